//! Scraped Prometheus series as data, and the SLO metrics over them: `metric(S, "x")` (the
//! value at the last scrape), `delta(S, "x")` (the increase) and `rate(S, "x")` (the increase
//! per second), for one scenario's run, narrowed by a phase or an `in every` window.
//!
//! Written by `crate::service` (which fetches and parses the expositions); pure here: no I/O.
//!
//! - **Selection.** A series selector is `name` or `name{label="value",…}`; the value of a
//!   selector at one scrape is the sum over every series of that name whose labels include the
//!   given ones (all label sets when none is given). A scrape belongs to a scenario from the
//!   scenario's start until the next scenario starts (so the last scrape, taken after the load,
//!   belongs to the last scenario), and to a phase by its time on the scenario's clock, like a
//!   service sample.
//! - **Delta** runs from the last scrape *before* the selection (the baseline: the first
//!   scrape is taken when the service is ready, before the load) to the last scrape in it; a
//!   counter (a name ending in `_total`, `_count`, `_sum` or `_bucket`) that goes down was
//!   reset, and its new value counts as the increase. Any other series: last − baseline.
//!   A counter missing from a scrape counts as 0 there (a labelled counter is printed from its
//!   first increment on).
//! - **Rate** is the delta divided by the time between those two scrapes.
//! - **Units** follow the Prometheus naming convention: a name ending in `_seconds` (also
//!   `_seconds_total`, `_seconds_sum`) is a duration, and its rate a percentage (seconds per
//!   second: `process_cpu_seconds_total`); `_bytes` (…) a size; anything else a number, and
//!   its rate per second.

use serde::{Deserialize, Serialize};

pub use crate::plan::scrape::{
    Kind, ScrapePoint, Selector, Series, increase, is_counter, join_url,
};

use crate::metrics::{Missing, Timeline};
use crate::plan::{Filter, Metric, ScrapeForm, Unit};

use super::services::ServiceData;

/// Everything scraped from one service or target during a test.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScrapeRecord {
    /// The service or target.
    pub owner: String,
    pub url: String,
    pub every_us: u64,
    pub scrapes: Vec<ScrapePoint>,
    /// Scrapes that failed (no answer, a status ≥ 400, not an exposition).
    pub failures: u64,
    pub last_error: Option<String>,
}

/// The value of a scraped-series metric for one scenario (`window`: an `in every` window).
pub fn measure(
    data: &ServiceData,
    metric: &Metric,
    filter: &Filter,
    timeline: &Timeline,
    scenario: &str,
    window: Option<(u64, u64)>,
) -> Result<(f64, Unit), Missing> {
    let Metric::Scraped {
        owner,
        series,
        form,
    } = metric
    else {
        return Err(Missing::NoData("not a scraped series".into()));
    };
    let Some(record) = data.scrapes.iter().find(|r| &r.owner == owner) else {
        return Err(Missing::NoData(format!(
            "`{owner}` was not scraped by this test (a service must be in `services`)"
        )));
    };
    let selector = Selector::parse(series).map_err(Missing::NoData)?;
    let Some(span) = data.scenarios.iter().find(|s| s.scenario == scenario) else {
        return Err(Missing::NoData(format!(
            "no scrapes of `{owner}` for scenario `{scenario}`"
        )));
    };
    if !record.scrapes.iter().any(|p| selector.value(p).is_some()) {
        return Err(Missing::NoData(format!(
            "series `{series}` never appeared in {} scrape(s) of `{owner}`{}",
            record.scrapes.len(),
            failures_text(record)
        )));
    }
    let limit = data
        .scenarios
        .iter()
        .map(|s| s.start_us)
        .filter(|&t| t > span.start_us)
        .min()
        .unwrap_or(u64::MAX);
    let Some(keep) = timeline.keeper(filter.phase.as_ref(), window) else {
        let name = filter.phase.as_ref().map_or("", |p| p.name.as_str());
        return Err(Missing::NoData(format!("no stage named `{name}`")));
    };
    // (time since the services started, value) of every scrape that has the series; a
    // counter that is not there yet is 0 (client libraries print a labelled counter from its
    // first increment on).
    let counter = is_counter(&selector.name);
    let values: Vec<(u64, f64)> = record
        .scrapes
        .iter()
        .filter_map(|p| match selector.value(p) {
            Some(v) => Some((p.t_us, v)),
            None if counter => Some((p.t_us, 0.0)),
            None => None,
        })
        .collect();
    let selected: Vec<usize> = (0..values.len())
        .filter(|&i| {
            let t = values[i].0;
            t >= span.start_us && t < limit && keep(t - span.start_us)
        })
        .collect();
    let place = crate::metrics::where_text(filter);
    let (Some(&first), Some(&last)) = (selected.first(), selected.last()) else {
        return Err(Missing::NoData(format!(
            "no scrape of `{owner}` with `{series}`{place} (scraped every {})",
            crate::units::Duration(record.every_us)
        )));
    };
    let (unit, factor) = Kind::of(&selector.name).unit(*form);
    if *form == ScrapeForm::Last {
        return Ok((values[last].1 * factor, unit));
    }
    // From the scrape before the selection (when there is one) to its last.
    let from = first.saturating_sub(1);
    let chain: Vec<f64> = values[from..=last].iter().map(|&(_, v)| v).collect();
    if chain.len() < 2 {
        return Err(Missing::NoData(format!(
            "one scrape of `{owner}` with `{series}`{place}: a {} needs two (scrape more often than every {})",
            if *form == ScrapeForm::Delta {
                "delta"
            } else {
                "rate"
            },
            crate::units::Duration(record.every_us)
        )));
    }
    let delta = increase(&chain, counter).unwrap_or(0.0);
    match form {
        ScrapeForm::Delta => Ok((delta * factor, unit)),
        _ => {
            let secs = (values[last].0 - values[from].0) as f64 / 1e6;
            if secs <= 0.0 {
                return Err(Missing::NoData(format!(
                    "the scrapes of `{owner}`{place} span no time"
                )));
            }
            Ok((delta / secs * factor, unit))
        }
    }
}

fn failures_text(r: &ScrapeRecord) -> String {
    match (&r.last_error, r.failures) {
        (Some(e), n) if n > 0 => format!("; {n} failed, the last: {e}"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::ScenarioSpan;
    use crate::plan::{PhaseRef, Test};

    fn series(name: &str, labels: &[(&str, &str)], value: f64) -> Series {
        Series {
            name: name.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    #[test]
    fn selectors_parse_and_sum_over_label_sets() {
        let s = Selector::parse(r#"http_requests_total{code="500", path="/a\"b"}"#).unwrap();
        assert_eq!(s.name, "http_requests_total");
        assert_eq!(
            s.labels,
            vec![
                ("code".into(), "500".into()),
                ("path".into(), "/a\"b".into())
            ]
        );
        for bad in [
            "",
            "{a=\"b\"}",
            "9lives",
            "x{a=b}",
            "x{a=\"b\"",
            "x{a=\"b}",
            "x{=\"b\"}",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
        let point = ScrapePoint {
            t_us: 0,
            series: vec![
                series("req_total", &[("code", "200")], 7.0),
                series("req_total", &[("code", "500")], 2.0),
                series("other", &[], 100.0),
                series("lat_bucket", &[("le", "1.0")], 4.0),
            ],
        };
        assert_eq!(
            Selector::parse("req_total").unwrap().value(&point),
            Some(9.0)
        );
        let only = Selector::parse(r#"req_total{code="500"}"#).unwrap();
        assert_eq!(only.value(&point), Some(2.0));
        assert_eq!(Selector::parse("nope").unwrap().value(&point), None);
        let le = Selector::parse(r#"lat_bucket{le="1"}"#).unwrap();
        assert_eq!(le.value(&point), Some(4.0));
    }

    #[test]
    fn units_follow_the_name() {
        assert_eq!(Kind::of("queue_lag_seconds"), Kind::Seconds);
        assert_eq!(Kind::of("process_cpu_seconds_total"), Kind::Seconds);
        assert_eq!(Kind::of("rss_bytes"), Kind::Bytes);
        assert_eq!(Kind::of("requests_total"), Kind::Plain);
        assert_eq!(Kind::Seconds.unit(ScrapeForm::Rate), (Unit::Percent, 100.0));
        assert_eq!(Kind::Seconds.unit(ScrapeForm::Last), (Unit::Duration, 1e6));
        assert_eq!(Kind::Plain.unit(ScrapeForm::Rate), (Unit::Rate, 1.0));
    }

    #[test]
    fn a_counter_reset_counts_the_new_value() {
        // 3 → 10 (+7), restart → 2 (+2), → 5 (+3): 12.
        assert_eq!(increase(&[3.0, 10.0, 2.0, 5.0], true), Some(12.0));
        // A gauge goes down: last − first.
        assert_eq!(increase(&[3.0, 10.0, 2.0, 5.0], false), Some(2.0));
        assert_eq!(increase(&[], true), None);
    }

    #[test]
    fn urls_join_a_path_to_the_targets_origin() {
        assert_eq!(
            join_url("http://127.0.0.1:8080/api", "/metrics"),
            "http://127.0.0.1:8080/metrics"
        );
        assert_eq!(
            join_url("http://127.0.0.1:8080", "/m?x=1"),
            "http://127.0.0.1:8080/m?x=1"
        );
    }

    fn test_with_chaos() -> Test {
        use crate::metrics::testkit;
        let mut plan = testkit::plan(&["baseline"], vec![testkit::hold(10, None)], &[]);
        plan.tests[0].chaos = Some(crate::plan::Chaos {
            from: crate::units::Duration(4_000_000),
            to: crate::units::Duration(6_000_000),
            scenarios: vec![],
            start: vec![],
            stop: vec![],
            at_proxy: None,
        });
        plan.tests[0].clone()
    }

    /// Scrapes every second, t = 0 … 10 s of a scenario that starts at 0.5 s; the counter
    /// goes up by 2 a second, by 10 between 4 s and 6 s (chaos).
    fn data() -> ServiceData {
        let mut v = 0.0;
        let scrapes = (0..=10)
            .map(|i| {
                if i > 0 {
                    v += if (5..=6).contains(&i) { 5.0 } else { 2.0 };
                }
                ScrapePoint {
                    t_us: 500_000 + i * 1_000_000,
                    series: vec![
                        series("trips_total", &[("kind", "a")], v),
                        series("trips_total", &[("kind", "b")], 1.0),
                        series("lag_seconds", &[], i as f64 / 10.0),
                    ],
                }
            })
            .collect();
        ServiceData {
            services: vec![],
            scenarios: vec![ScenarioSpan {
                scenario: "baseline".into(),
                start_us: 500_000,
                end_us: 10_400_000,
            }],
            scrapes: vec![ScrapeRecord {
                owner: "gw".into(),
                url: "http://127.0.0.1:1/metrics".into(),
                every_us: 1_000_000,
                scrapes,
                failures: 1,
                last_error: Some("refused".into()),
            }],
            machine: None,
            shard: None,
        }
    }

    fn read(
        form: ScrapeForm,
        series: &str,
        phase: Option<PhaseRef>,
    ) -> Result<(f64, Unit), Missing> {
        let test = test_with_chaos();
        let timeline = Timeline::new(&test);
        let metric = Metric::Scraped {
            owner: "gw".into(),
            series: series.into(),
            form,
        };
        let filter = Filter { step: None, phase };
        measure(&data(), &metric, &filter, &timeline, "baseline", None)
    }

    #[test]
    fn last_delta_and_rate_by_hand() {
        // Values of trips_total (both label sets) at t = 0..10 s on the scenario's clock:
        // 1, 3, 5, 7, 9, 14, 19, 21, 23, 25, 27 (the scrape at 10 s is after the run's end,
        // before any next scenario: it belongs to this one).
        let (v, u) = read(ScrapeForm::Last, "trips_total", None).unwrap();
        assert_eq!((v, u), (27.0, Unit::Number));
        let (v, _) = read(ScrapeForm::Delta, "trips_total", None).unwrap();
        // No scrape before the first selected: from t = 0 (1) to t = 10 s (27).
        assert_eq!(v, 26.0);
        let (v, u) = read(ScrapeForm::Rate, "trips_total", None).unwrap();
        assert_eq!((v, u), (2.6, Unit::Rate));
        // During chaos [4 s, 6 s): scrapes at 4 s and 5 s; the baseline is the one at 3 s (7):
        // 14 − 7 = 7 over 2 s.
        let chaos = |when| PhaseRef {
            when,
            name: "chaos".into(),
        };
        let (v, _) = read(
            ScrapeForm::Delta,
            r#"trips_total{kind="a"}"#,
            Some(chaos(crate::ast::PhaseKind::During)),
        )
        .unwrap();
        assert_eq!(v, 7.0);
        let (v, _) = read(
            ScrapeForm::Rate,
            "trips_total",
            Some(chaos(crate::ast::PhaseKind::During)),
        )
        .unwrap();
        assert_eq!(v, 3.5);
        // A duration: 1.0 s at the last scrape, in µs.
        let (v, u) = read(ScrapeForm::Last, "lag_seconds", None).unwrap();
        assert_eq!((v, u), (1_000_000.0, Unit::Duration));
        // Before chaos, last: the scrape at 3 s → 0.3 s.
        let (v, _) = read(
            ScrapeForm::Last,
            "lag_seconds",
            Some(chaos(crate::ast::PhaseKind::Before)),
        )
        .unwrap();
        assert!((v - 300_000.0).abs() < 1e-6);
    }

    #[test]
    fn a_counter_missing_from_the_first_scrape_starts_at_zero() {
        let mut d = data();
        let scrapes = &mut d.scrapes[0].scrapes;
        for p in scrapes.iter_mut().take(3) {
            p.series.retain(|s| s.name != "trips_total");
        }
        let timeline = Timeline::new(&test_with_chaos());
        let read = |series: &str| {
            let metric = Metric::Scraped {
                owner: "gw".into(),
                series: series.into(),
                form: ScrapeForm::Delta,
            };
            measure(&d, &metric, &Filter::default(), &timeline, "baseline", None)
        };
        // 0 at t = 0, 1, 2 s; 27 at the end.
        assert_eq!(read("trips_total").unwrap().0, 27.0);
        // A gauge is not made up: from its first scrape (0.0 at t = 0) to 1.0.
        assert_eq!(read("lag_seconds").unwrap().0, 1_000_000.0);
    }

    #[test]
    fn a_series_that_never_appeared_is_no_data_with_the_failures() {
        let Err(Missing::NoData(why)) = read(ScrapeForm::Last, "missing_total", None) else {
            panic!("expected no data");
        };
        assert_eq!(
            why,
            "series `missing_total` never appeared in 11 scrape(s) of `gw`; 1 failed, the last: refused"
        );
    }
}
