//! `Metrics` on disk (`metrics.json` of `stress run --out`), exactly: every bucket with its
//! counts and its histograms (V2 deflate, base64), so that `stress merge` rebuilds what the
//! run measured and merges it with [`Metrics::merge`] as if the samples had been collected in
//! one process.
//!
//! What the plan determines (the timeline, step and capture names, `count(…)` predicates,
//! `in every` lengths) is not stored: [`Metrics::from_stored`] takes it from the plan (the
//! same plan, which `stress merge` checks) and refuses data that does not fit it.

use serde::{Deserialize, Serialize};

use crate::plan::{Plan, Unit};

use super::{AbortRecord, Collector, Metrics, ScenarioMetrics};

/// Bumped when the stored form changes incompatibly.
pub const STORED_METRICS_VERSION: u32 = 1;

/// The stored form of one test's [`Metrics`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredMetrics {
    pub version: u32,
    pub test: String,
    /// For checking against the plan (not restored from here).
    pub step_names: Vec<String>,
    pub window_lengths: Vec<u64>,
    pub predicates: usize,
    pub scenarios: Vec<ScenarioMetrics>,
    pub aborted: Option<StoredAbort>,
}

/// [`AbortRecord`] with the unit by name and the sides possibly not finite (`null`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredAbort {
    pub scenario: usize,
    pub abort: usize,
    pub at_us: u64,
    pub measured: Option<f64>,
    pub bound: Option<f64>,
    #[serde(with = "UnitDef")]
    pub unit: Unit,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "Unit", rename_all = "snake_case")]
enum UnitDef {
    Number,
    Duration,
    Percent,
    Rate,
    Money,
    Size,
}

/// Stored metrics that do not belong to the plan they are restored with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored metrics of test `{test}` do not fit the plan: {why}")]
pub struct RestoreError {
    pub test: String,
    pub why: String,
}

impl Metrics {
    /// The stored form (see the module doc).
    pub fn to_stored(&self) -> StoredMetrics {
        let finite = |v: f64| v.is_finite().then_some(v);
        StoredMetrics {
            version: STORED_METRICS_VERSION,
            test: self.test.clone(),
            step_names: self.step_names.clone(),
            window_lengths: self.window_lengths.clone(),
            predicates: self.predicates.len(),
            scenarios: self.scenarios.clone(),
            aborted: self.aborted.as_ref().map(|a| StoredAbort {
                scenario: a.scenario,
                abort: a.abort,
                at_us: a.at_us,
                measured: finite(a.measured),
                bound: finite(a.bound),
                unit: a.unit,
            }),
        }
    }

    /// Rebuilds the metrics of `plan.tests[test]` from their stored form.
    pub fn from_stored(
        plan: &Plan,
        test: usize,
        stored: StoredMetrics,
    ) -> Result<Metrics, RestoreError> {
        let mut m = Collector::new(plan, test).finish();
        let fail = |why: String| RestoreError {
            test: stored.test.clone(),
            why,
        };
        if stored.version != STORED_METRICS_VERSION {
            return Err(fail(format!(
                "stored in format {}, this version of stress reads {STORED_METRICS_VERSION}",
                stored.version
            )));
        }
        if stored.test != m.test {
            return Err(fail(format!("the plan's test is `{}`", m.test)));
        }
        let names = |s: &[ScenarioMetrics]| s.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        if names(&stored.scenarios) != names(&m.scenarios) {
            return Err(fail(format!(
                "scenarios {:?}, the plan has {:?}",
                names(&stored.scenarios),
                names(&m.scenarios)
            )));
        }
        if stored.step_names != m.step_names
            || stored.window_lengths != m.window_lengths
            || stored.predicates != m.predicates.len()
        {
            return Err(fail("different steps or SLOs".into()));
        }
        m.aborted = stored.aborted.map(|a| AbortRecord {
            scenario: a.scenario,
            abort: a.abort,
            at_us: a.at_us,
            measured: a.measured.unwrap_or(f64::NAN),
            bound: a.bound.unwrap_or(f64::NAN),
            unit: a.unit,
        });
        m.scenarios = stored.scenarios;
        Ok(m)
    }
}

/// A map with non-string keys as a list of `[key, value]` pairs (JSON objects only have
/// string keys).
pub(super) mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub(crate) fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// Retry counts by reason as `[["429", 3], ["5xx", 1], ["timeout", 2]]`: reasons in the
/// language's words.
pub(super) mod retry_counts {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::plan::RetryOn;

    pub(crate) fn serialize<S: Serializer>(v: &[(RetryOn, u64)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            v.iter()
                .map(|(r, n)| (crate::metrics::retry_on_text(*r), *n)),
        )
    }

    pub(crate) fn parse(text: &str) -> Option<RetryOn> {
        match text {
            "timeout" => Some(RetryOn::Timeout),
            "connection_error" => Some(RetryOn::ConnectionError),
            _ => match text.strip_suffix("xx") {
                Some(class) => class.parse().ok().map(RetryOn::Class),
                None => text.parse().ok().map(RetryOn::Status),
            },
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(RetryOn, u64)>, D::Error> {
        Vec::<(String, u64)>::deserialize(d)?
            .into_iter()
            .map(|(text, n)| {
                parse(&text)
                    .map(|r| (r, n))
                    .ok_or_else(|| D::Error::custom(format!("unknown retry reason `{text}`")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::plan::RetryOn;

    #[test]
    fn retry_reasons_round_trip() {
        for r in [
            RetryOn::Status(429),
            RetryOn::Class(5),
            RetryOn::Timeout,
            RetryOn::ConnectionError,
        ] {
            assert_eq!(
                retry_counts::parse(&crate::metrics::retry_on_text(r)),
                Some(r)
            );
        }
        assert_eq!(retry_counts::parse("sometimes"), None);
    }

    #[test]
    fn stored_metrics_restore_exactly_and_only_into_their_plan() {
        let p = plan(&["baseline", "other"], vec![hold(20, Some(0))], &["warm"]);
        let mut c = Collector::new(&p, 0);
        for i in 0..50u64 {
            c.attempt(attempt(
                i as usize % 2,
                i as usize % 2,
                i * 7 * MS,
                (i + 1) * MS,
            ));
            let mut it = iteration(i as usize % 2, i * 7 * MS, (i + 3) * MS);
            it.retries = (i % 3) as u32;
            it.retries_by = vec![(RetryOn::Status(429), u32::from(i % 3 == 1))];
            it.cost = 0.001 * i as f64;
            c.iteration(it);
        }
        c.record_abort(AbortRecord {
            scenario: 1,
            abort: 0,
            at_us: 5 * S,
            measured: f64::NAN,
            bound: 3.0,
            unit: Unit::Percent,
        });
        let m = c.finish();
        let json = serde_json::to_string(&m.to_stored()).unwrap();
        let stored: StoredMetrics = serde_json::from_str(&json).unwrap();
        let back = Metrics::from_stored(&p, 0, stored.clone()).unwrap();
        assert_eq!(
            serde_json::to_string(&back.to_stored()).unwrap(),
            json,
            "a second round trip changes nothing"
        );
        let (a, b) = (
            m.scenarios[0].select(|_| true),
            back.scenarios[0].select(|_| true),
        );
        assert_eq!(a.requests(None).count, b.requests(None).count);
        assert_eq!(
            a.requests(None).latency.percentile(0.9),
            b.requests(None).latency.percentile(0.9)
        );
        assert_eq!(a.iterations().retries_by, b.iterations().retries_by);
        assert_eq!(a.throughput(None), b.throughput(None));
        assert!(back.aborted.as_ref().unwrap().measured.is_nan());

        let other = plan(&["baseline"], vec![], &[]);
        let err = Metrics::from_stored(&other, 0, stored).unwrap_err();
        assert!(err.to_string().contains("scenarios"), "{err}");
    }
}
