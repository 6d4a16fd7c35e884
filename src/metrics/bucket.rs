//! Aggregates of one slice of samples (a segment of a scenario, a time window, a sliding-window
//! slot): per step request aggregates, iteration aggregates, dropped arrivals. Everything is
//! mergeable by adding.

use std::collections::BTreeMap;

use crate::plan::{Outcome, RetryOn};

use super::histogram::{CAPTURE_SCALE, COUNT_SCALE, Histogram, MONEY_SCALE};
use super::{Attempt, CaptureValue, ErrorClass, Iteration};

/// An attempt sent more than this after its intended start counts as a late send.
pub const LATE_AFTER_US: u64 = 10_000;

/// Every error class, in report order.
pub const ERROR_CLASSES: [ErrorClass; 8] = [
    ErrorClass::Timeout,
    ErrorClass::Connect,
    ErrorClass::Reset,
    ErrorClass::Status,
    ErrorClass::Check,
    ErrorClass::Body,
    ErrorClass::FdLimit,
    ErrorClass::BodyParse,
];

/// Reads `by_error` as stored: metrics written before a class was added have fewer entries.
fn by_error_padded<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u64; 8], D::Error> {
    let stored: Vec<u64> = serde::Deserialize::deserialize(d)?;
    if stored.len() > 8 {
        return Err(serde::de::Error::invalid_length(
            stored.len(),
            &"at most 8 error classes",
        ));
    }
    let mut out = [0; 8];
    out[..stored.len()].copy_from_slice(&stored);
    Ok(out)
}

/// Every outcome, in report order.
pub const OUTCOMES: [Outcome; 4] = [
    Outcome::Success,
    Outcome::Failed,
    Outcome::BudgetExceeded,
    Outcome::Timeout,
];

fn error_index(e: ErrorClass) -> usize {
    ERROR_CLASSES.iter().position(|c| *c == e).unwrap_or(0)
}

fn outcome_index(o: Outcome) -> usize {
    OUTCOMES.iter().position(|c| *c == o).unwrap_or(0)
}

/// Which histograms a bucket keeps. Segments keep all; time windows only what their SLOs
/// read, so memory stays bounded by what the test asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub latency: bool,
    pub service: bool,
    pub captures: bool,
    pub duration: bool,
    pub step_durations: bool,
    pub retries: bool,
    pub cost: bool,
}

impl Needs {
    pub fn all() -> Self {
        Self {
            latency: true,
            service: true,
            captures: true,
            duration: true,
            step_durations: true,
            retries: true,
            cost: true,
        }
    }
}

/// Attempts of one step.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RequestAgg {
    /// From the intended start (what SLOs read).
    pub latency: Histogram,
    /// From the actual send.
    pub service: Histogram,
    pub count: u64,
    pub failed: u64,
    /// Sent more than [`LATE_AFTER_US`] after the intended start.
    pub late: u64,
    pub injected: u64,
    pub by_status: BTreeMap<u16, u64>,
    pub no_status: u64,
    /// Indexed like [`ERROR_CLASSES`].
    #[serde(deserialize_with = "by_error_padded")]
    pub by_error: [u64; 8],
    /// Fires per fault rule index.
    pub fires: BTreeMap<usize, u64>,
    /// Numeric captures (index into `Workload::captures`), scaled by `CAPTURE_SCALE`.
    pub captures: BTreeMap<usize, Histogram>,
    /// Boolean captures: (true, false) counts.
    pub flags: BTreeMap<usize, (u64, u64)>,
    /// Matches per record predicate (index into `Metrics::predicates`).
    pub matches: Vec<u64>,
}

impl RequestAgg {
    fn add(&mut self, a: &Attempt, matched: &[bool], needs: &Needs) {
        if needs.latency {
            self.latency.record(a.latency_us());
        }
        if needs.service {
            self.service.record(a.service_us());
        }
        self.count += 1;
        self.failed += u64::from(a.failed);
        self.late += u64::from(a.sent_us.saturating_sub(a.intended_us) > LATE_AFTER_US);
        match a.status {
            Some(s) => *self.by_status.entry(s).or_default() += 1,
            None => self.no_status += 1,
        }
        if let Some(e) = a.error {
            self.by_error[error_index(e)] += 1;
        }
        if let Some(inj) = &a.injected {
            self.injected += 1;
            *self.fires.entry(inj.rule).or_default() += 1;
        }
        for (index, value) in &a.captures {
            match value {
                CaptureValue::Number(n) if needs.captures => {
                    self.captures
                        .entry(*index)
                        .or_default()
                        .record_scaled(*n, CAPTURE_SCALE);
                }
                CaptureValue::Number(_) => {}
                CaptureValue::Bool(b) => {
                    let e = self.flags.entry(*index).or_default();
                    if *b { e.0 += 1 } else { e.1 += 1 }
                }
            }
        }
        if self.matches.len() < matched.len() {
            self.matches.resize(matched.len(), 0);
        }
        for (m, hit) in self.matches.iter_mut().zip(matched) {
            *m += u64::from(*hit);
        }
    }

    pub fn merge(&mut self, o: &RequestAgg) {
        self.latency.merge(&o.latency);
        self.service.merge(&o.service);
        self.count += o.count;
        self.failed += o.failed;
        self.late += o.late;
        self.injected += o.injected;
        for (k, v) in &o.by_status {
            *self.by_status.entry(*k).or_default() += v;
        }
        self.no_status += o.no_status;
        for (a, b) in self.by_error.iter_mut().zip(o.by_error) {
            *a += b;
        }
        for (k, v) in &o.fires {
            *self.fires.entry(*k).or_default() += v;
        }
        for (k, h) in &o.captures {
            self.captures.entry(*k).or_default().merge(h);
        }
        for (k, (t, f)) in &o.flags {
            let e = self.flags.entry(*k).or_default();
            e.0 += t;
            e.1 += f;
        }
        if self.matches.len() < o.matches.len() {
            self.matches.resize(o.matches.len(), 0);
        }
        for (a, b) in self.matches.iter_mut().zip(&o.matches) {
            *a += b;
        }
    }

    /// Attempts that ended with this error class.
    pub fn errors(&self, class: ErrorClass) -> u64 {
        self.by_error[error_index(class)]
    }
}

/// Finished iterations.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct IterationAgg {
    pub count: u64,
    /// Iteration duration (µs, from the intended start).
    pub duration: Histogram,
    /// Retries per iteration (`COUNT_SCALE`).
    pub retries: Histogram,
    /// Cost per iteration, micro-dollars (`MONEY_SCALE`).
    pub cost: Histogram,
    /// Iterations whose cost was above zero.
    pub costed: u64,
    /// Indexed like [`OUTCOMES`].
    pub outcomes: [u64; 4],
    pub budget_exceeded_during_retry: u64,
    #[serde(with = "super::persist::retry_counts")]
    pub retries_by: Vec<(RetryOn, u64)>,
    /// Per step (index into `step_names`): the step's own time, µs.
    pub step_durations: BTreeMap<usize, Histogram>,
}

impl IterationAgg {
    fn add(&mut self, i: &Iteration, needs: &Needs) {
        self.count += 1;
        if needs.duration {
            self.duration
                .record(i.done_us.saturating_sub(i.intended_us));
        }
        if needs.retries {
            self.retries
                .record_scaled(f64::from(i.retries), COUNT_SCALE);
        }
        if needs.cost {
            self.cost.record_scaled(i.cost, MONEY_SCALE);
        }
        self.costed += u64::from(i.cost > 0.0);
        self.outcomes[outcome_index(i.outcome)] += 1;
        self.budget_exceeded_during_retry += u64::from(i.budget_exceeded_during_retry);
        for (reason, n) in &i.retries_by {
            self.add_retries(*reason, u64::from(*n));
        }
        if needs.step_durations {
            for (step, us) in &i.step_durations_us {
                self.step_durations.entry(*step).or_default().record(*us);
            }
        }
    }

    fn add_retries(&mut self, reason: RetryOn, n: u64) {
        match self.retries_by.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, c)) => *c += n,
            None => self.retries_by.push((reason, n)),
        }
    }

    pub fn merge(&mut self, o: &IterationAgg) {
        self.count += o.count;
        self.duration.merge(&o.duration);
        self.retries.merge(&o.retries);
        self.cost.merge(&o.cost);
        self.costed += o.costed;
        for (a, b) in self.outcomes.iter_mut().zip(o.outcomes) {
            *a += b;
        }
        self.budget_exceeded_during_retry += o.budget_exceeded_during_retry;
        for (reason, n) in &o.retries_by {
            self.add_retries(*reason, *n);
        }
        for (k, h) in &o.step_durations {
            self.step_durations.entry(*k).or_default().merge(h);
        }
    }

    pub fn outcome(&self, o: Outcome) -> u64 {
        self.outcomes[outcome_index(o)]
    }
}

/// Everything recorded for one slice of one scenario.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    /// By step index.
    pub requests: BTreeMap<usize, RequestAgg>,
    pub iterations: IterationAgg,
    pub dropped: u64,
    /// Earliest intended start of an attempt (`u64::MAX` when none).
    pub first_us: u64,
    /// Latest end of an attempt.
    pub last_us: u64,
}

impl Default for Bucket {
    fn default() -> Self {
        Self {
            requests: BTreeMap::new(),
            iterations: IterationAgg::default(),
            dropped: 0,
            first_us: u64::MAX,
            last_us: 0,
        }
    }
}

impl Bucket {
    pub fn add_attempt(&mut self, a: &Attempt, matched: &[bool], needs: &Needs) {
        self.requests
            .entry(a.step)
            .or_default()
            .add(a, matched, needs);
        self.first_us = self.first_us.min(a.intended_us);
        self.last_us = self.last_us.max(a.done_us);
    }

    pub fn add_iteration(&mut self, i: &Iteration, needs: &Needs) {
        self.iterations.add(i, needs);
    }

    pub fn merge(&mut self, o: &Bucket) {
        for (step, r) in &o.requests {
            self.requests.entry(*step).or_default().merge(r);
        }
        self.iterations.merge(&o.iterations);
        self.dropped += o.dropped;
        self.first_us = self.first_us.min(o.first_us);
        self.last_us = self.last_us.max(o.last_us);
    }
}
