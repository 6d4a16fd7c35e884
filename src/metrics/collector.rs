//! The collector: owns every aggregate while a test runs, fed one event at a time by the
//! engine, and turns into [`Metrics`] at the end.
//!
//! Per scenario it keeps:
//! - one [`Bucket`] per [`Segment`] (stage × chaos part): everything the report and SLOs over
//!   the whole run or a phase read;
//! - for every distinct `in every D` of the test's SLOs, one bucket per (D, window index,
//!   segment), windows of length D from the start of the run, placed by intended start, with
//!   only the histograms those SLOs read;
//! - for `abort if … over D`, a ring of short slots placed by *end* time (what finished
//!   recently), pruned as the run goes: see [`Collector::recent`].
//!
//! `count(…)`/`rate(…)` predicates are evaluated once per attempt on arrival
//! (`eval::eval_record_with_captures`), so they cost one counter each, not a replay of the log.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::plan::{Expr, Metric, Plan, Quantity, SloExpr, Test};

use super::bucket::{Bucket, Needs};
use super::segment::{Segment, Timeline};
use super::select::Selection;
use super::{Attempt, Iteration};

/// A time window of an `in every D` SLO.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct WindowKey {
    pub len_us: u64,
    /// The window covers `index * len_us .. (index + 1) * len_us`.
    pub index: u64,
    pub segment: Segment,
}

/// Everything measured for one scenario of a test.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ScenarioMetrics {
    pub name: String,
    #[serde(with = "super::persist::pairs")]
    pub segments: BTreeMap<Segment, Bucket>,
    #[serde(with = "super::persist::pairs")]
    pub windows: BTreeMap<WindowKey, Bucket>,
    /// The latest time seen (an attempt's or iteration's end, a drop): the run's length.
    pub end_us: u64,
    /// The scenario ran (started, or sent any sample); `false` for one `--scenario` skipped.
    pub ran: bool,
    /// Each `check` of each request, in the workload's order.
    #[serde(default)]
    pub checks: Vec<CheckCount>,
    /// What each proxy of the test measured while this scenario ran.
    #[serde(default)]
    pub proxies: Vec<super::ProxyMetrics>,
}

/// One `check` of one request step: how often it held, failed, and ended an iteration.
/// Counted per attempt (a retried request evaluates its checks again).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckCount {
    /// Index into `Metrics::step_names`.
    pub step: usize,
    /// Index into the request's checks.
    pub index: usize,
    /// The check's expression as written.
    pub text: String,
    pub passed: u64,
    /// False, or could not be evaluated.
    pub failed: u64,
    /// Iterations this check's failure stopped (the steps after it did not run).
    pub ended_iterations: u64,
}

impl CheckCount {
    /// Failed over evaluated, 0 when never evaluated.
    pub fn failed_fraction(&self) -> f64 {
        let total = self.passed + self.failed;
        if total == 0 {
            0.0
        } else {
            self.failed as f64 / total as f64
        }
    }
}

/// The checks of `steps` (nested blocks included), in order.
fn checks_of(steps: &[crate::plan::Step], out: &mut Vec<CheckCount>) {
    use crate::plan::Step;
    let add = |r: &crate::plan::Request, out: &mut Vec<CheckCount>| {
        for index in 0..r.checks.len() {
            if out.iter().any(|c| c.step == r.step && c.index == index) {
                continue;
            }
            out.push(CheckCount {
                step: r.step,
                index,
                text: r
                    .check_texts
                    .get(index)
                    .cloned()
                    .unwrap_or_else(|| format!("check #{}", index + 1)),
                ..CheckCount::default()
            });
        }
    };
    for step in steps {
        match step {
            Step::Request(r) => add(r, out),
            Step::Poll(p) => add(&p.request, out),
            Step::Repeat { steps, .. } | Step::Probability { steps, .. } => checks_of(steps, out),
            Step::Choose { arms } => {
                for (_, steps) in arms {
                    checks_of(steps, out);
                }
            }
            Step::Think { .. } | Step::ThinkExpr { .. } | Step::Set { .. } => {}
        }
    }
}

impl ScenarioMetrics {
    /// The segments for which `keep` holds.
    pub fn select(&self, keep: impl Fn(Segment) -> bool) -> Selection<'_> {
        Selection::new(
            self.segments
                .iter()
                .filter(|(s, _)| keep(**s))
                .map(|(_, b)| b)
                .collect(),
        )
    }

    /// One window of length `len_us`, restricted to the segments for which `keep` holds.
    pub fn select_window(
        &self,
        len_us: u64,
        index: u64,
        keep: impl Fn(Segment) -> bool,
    ) -> Selection<'_> {
        Selection::new(
            self.windows
                .iter()
                .filter(|(k, _)| k.len_us == len_us && k.index == index && keep(k.segment))
                .map(|(_, b)| b)
                .collect(),
        )
    }

    /// Indices of the windows of length `len_us` that hold any sample.
    pub fn window_indices(&self, len_us: u64) -> BTreeSet<u64> {
        self.windows
            .keys()
            .filter(|k| k.len_us == len_us)
            .map(|k| k.index)
            .collect()
    }

    fn merge(&mut self, o: &ScenarioMetrics) {
        for (k, b) in &o.segments {
            self.segments.entry(*k).or_default().merge(b);
        }
        for (k, b) in &o.windows {
            self.windows.entry(*k).or_default().merge(b);
        }
        self.end_us = self.end_us.max(o.end_us);
        self.ran |= o.ran;
        for theirs in &o.checks {
            match self
                .checks
                .iter_mut()
                .find(|c| c.step == theirs.step && c.index == theirs.index)
            {
                Some(mine) => {
                    mine.passed += theirs.passed;
                    mine.failed += theirs.failed;
                    mine.ended_iterations += theirs.ended_iterations;
                }
                None => self.checks.push(theirs.clone()),
            }
        }
        super::proxy::merge_by_name(&mut self.proxies, &o.proxies);
    }

    fn check_mut(&mut self, step: usize, index: usize) -> Option<&mut CheckCount> {
        self.checks
            .iter_mut()
            .find(|c| c.step == step && c.index == index)
    }
}

/// An `abort if` that stopped the run.
#[derive(Clone, Debug, PartialEq)]
pub struct AbortRecord {
    pub scenario: usize,
    /// Index into `Test::aborts`.
    pub abort: usize,
    pub at_us: u64,
    /// The condition's sides when it fired, in base units.
    pub measured: f64,
    pub bound: f64,
    pub unit: crate::plan::Unit,
}

/// What a test measured: the input of `slo::evaluate` and the report.
#[derive(Clone, Debug)]
pub struct Metrics {
    pub test: String,
    pub timeline: Timeline,
    pub step_names: Vec<String>,
    pub captures: Vec<String>,
    /// Whether each capture is money (see [`Metrics::capture_scale`]).
    pub money_captures: Vec<bool>,
    /// Whether each capture is a duration, in µs (see [`Metrics::capture_scale`]).
    pub duration_captures: Vec<bool>,
    /// The record predicates of `count(…)` and `rate(…)`, in the order `RequestAgg::matches`
    /// counts them.
    pub predicates: Vec<Expr>,
    /// The conditions of `proxy NAME: count(…)`/`rate(…)`, in the order
    /// `ProxyMetrics::matches` counts them.
    pub proxy_predicates: Vec<Expr>,
    /// The distinct `in every` lengths kept, µs.
    pub window_lengths: Vec<u64>,
    /// Indexed like `Test::scenarios`.
    pub scenarios: Vec<ScenarioMetrics>,
    pub aborted: Option<AbortRecord>,
    /// Samples of the test's services (written by `crate::service`); empty without services.
    pub services: super::ServiceData,
}

/// Two `Metrics` that do not come from the same test of the same plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot merge metrics of `{ours}` with metrics of `{theirs}`: {why}")]
pub struct MergeError {
    pub ours: String,
    pub theirs: String,
    pub why: &'static str,
}

impl Metrics {
    /// The scale capture `index` is stored at: money like cost (micro-dollars), a duration
    /// like latency (whole µs), other numbers in thousandths.
    pub fn capture_scale(&self, index: usize) -> f64 {
        if self.money_captures.get(index).copied().unwrap_or(false) {
            super::MONEY_SCALE
        } else if self.is_duration_capture(index) {
            1.0
        } else {
            super::CAPTURE_SCALE
        }
    }

    /// Whether capture `index` is money.
    pub fn is_money_capture(&self, index: usize) -> bool {
        self.money_captures.get(index).copied().unwrap_or(false)
    }

    /// Whether capture `index` is a duration (µs).
    pub fn is_duration_capture(&self, index: usize) -> bool {
        self.duration_captures.get(index).copied().unwrap_or(false)
    }

    /// Adds `other` (the same test measured elsewhere: another machine, another run) to this.
    /// Histograms are added, counts summed, the run length is the longer of the two.
    pub fn merge(&mut self, other: &Metrics) -> Result<(), MergeError> {
        let mismatch = |why| MergeError {
            ours: self.test.clone(),
            theirs: other.test.clone(),
            why,
        };
        if self.test != other.test || self.scenarios.len() != other.scenarios.len() {
            return Err(mismatch("different tests"));
        }
        if self.predicates != other.predicates
            || self.proxy_predicates != other.proxy_predicates
            || self.window_lengths != other.window_lengths
        {
            return Err(mismatch("different SLOs"));
        }
        for (mine, theirs) in self.scenarios.iter_mut().zip(&other.scenarios) {
            mine.merge(theirs);
        }
        if self.aborted.is_none() {
            self.aborted = other.aborted.clone();
        }
        Ok(())
    }

    /// The segments of scenario `sm` for which `keep` holds, with the time they cover: the
    /// scheduled length of their stages (clipped to the run, and to the chaos window's parts),
    /// which `throughput` divides by; a profile with an `iterations` stage has no scheduled
    /// length there, and its throughput divides by the samples' own span.
    pub fn select<'a>(
        &self,
        sm: &'a ScenarioMetrics,
        keep: impl Fn(Segment) -> bool,
    ) -> Selection<'a> {
        let scheduled = self.timeline.scheduled_us(&keep, sm.end_us);
        let selection = sm.select(keep);
        match scheduled {
            Some(us) => selection.with_elapsed(us),
            None => selection,
        }
    }

    pub fn step_index(&self, name: &str) -> Option<usize> {
        self.step_names.iter().position(|s| s == name)
    }

    pub fn predicate_index(&self, expr: &Expr) -> Option<usize> {
        self.predicates.iter().position(|p| p == expr)
    }

    /// What proxy `name` measured over the whole test (every scenario), or `None` when no
    /// scenario recorded it.
    pub fn proxy_total(&self, name: &str) -> Option<super::ProxyMetrics> {
        let mut total: Option<super::ProxyMetrics> = None;
        for p in self.scenarios.iter().flat_map(|s| &s.proxies) {
            if p.name != name {
                continue;
            }
            match &mut total {
                Some(t) => t.merge(p),
                None => total = Some(p.clone()),
            }
        }
        total
    }

    /// The names of the proxies any scenario recorded, in the order first seen.
    pub fn proxy_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for p in self.scenarios.iter().flat_map(|s| &s.proxies) {
            if !names.contains(&p.name) {
                names.push(p.name.clone());
            }
        }
        names
    }
}

/// Adds to `needs` what evaluating `expr` reads from histograms.
pub fn needs_of(expr: &SloExpr, needs: &mut Needs) {
    match expr {
        SloExpr::Const { .. } => {}
        SloExpr::Metric {
            metric: Metric::Stat { of, .. },
            filter,
        } => match of {
            Quantity::Latency => needs.latency = true,
            Quantity::Duration if filter.step.is_some() => needs.step_durations = true,
            Quantity::Duration => needs.duration = true,
            Quantity::Retries => needs.retries = true,
            Quantity::Cost => needs.cost = true,
            Quantity::Capture(_) => needs.captures = true,
        },
        SloExpr::Metric { .. } => {}
        SloExpr::Mul(a, b) | SloExpr::Div(a, b) | SloExpr::Add(a, b) | SloExpr::Sub(a, b) => {
            needs_of(a, needs);
            needs_of(b, needs);
        }
    }
}

fn predicates_of(expr: &SloExpr, out: &mut Vec<Expr>) {
    match expr {
        SloExpr::Metric {
            metric: Metric::Count(e) | Metric::Rate(e),
            ..
        } if !out.contains(e) => out.push(e.clone()),
        SloExpr::Mul(a, b) | SloExpr::Div(a, b) | SloExpr::Add(a, b) | SloExpr::Sub(a, b) => {
            predicates_of(a, out);
            predicates_of(b, out);
        }
        _ => {}
    }
}

/// Sliding-window slots for `abort if … over D`.
#[derive(Clone, Debug)]
struct Recent {
    slot_us: u64,
    keep_slots: u64,
    needs: Needs,
    /// Per scenario: (slot index, bucket), ascending.
    rings: Vec<VecDeque<(u64, Bucket)>>,
}

impl Recent {
    fn slot(&mut self, scenario: usize, at_us: u64) -> Option<&mut Bucket> {
        let slot = at_us / self.slot_us;
        let keep = self.keep_slots;
        let ring = self.rings.get_mut(scenario)?;
        let newest = ring.back().map_or(slot, |(s, _)| (*s).max(slot));
        while ring.front().is_some_and(|(s, _)| s + keep < newest) {
            ring.pop_front();
        }
        if slot + keep < newest {
            return None; // too old to matter
        }
        let pos = ring.iter().rposition(|(s, _)| *s <= slot);
        let index = match pos {
            Some(p) if ring[p].0 == slot => p,
            Some(p) => {
                ring.insert(p + 1, (slot, Bucket::default()));
                p + 1
            }
            None => {
                ring.push_front((slot, Bucket::default()));
                0
            }
        };
        ring.get_mut(index).map(|(_, b)| b)
    }
}

/// Receives the engine's events for one test and aggregates them.
#[derive(Clone, Debug)]
pub struct Collector {
    metrics: Metrics,
    window_needs: Needs,
    recent: Option<Recent>,
}

impl Collector {
    pub fn new(plan: &Plan, test: usize) -> Self {
        let fallback;
        let t: &Test = match plan.tests.get(test) {
            Some(t) => t,
            None => {
                fallback = empty_test();
                &fallback
            }
        };
        let workload = plan.workloads.get(t.workload);
        let mut predicates = Vec::new();
        let mut window_needs = Needs::default();
        let mut window_lengths = Vec::new();
        for slo in &t.slos {
            predicates_of(&slo.lhs, &mut predicates);
            predicates_of(&slo.rhs, &mut predicates);
            if let Some(every) = slo.every.filter(|d| d.as_micros() > 0) {
                needs_of(&slo.lhs, &mut window_needs);
                needs_of(&slo.rhs, &mut window_needs);
                if !window_lengths.contains(&every.as_micros()) {
                    window_lengths.push(every.as_micros());
                }
            }
        }
        let mut abort_needs = Needs::default();
        let mut overs = Vec::new();
        for abort in &t.aborts {
            predicates_of(&abort.lhs, &mut predicates);
            predicates_of(&abort.rhs, &mut predicates);
            if let Some(over) = abort.over.filter(|d| d.as_micros() > 0) {
                needs_of(&abort.lhs, &mut abort_needs);
                needs_of(&abort.rhs, &mut abort_needs);
                overs.push(over.as_micros());
            }
        }
        window_lengths.sort_unstable();
        let recent = overs
            .iter()
            .min()
            .zip(overs.iter().max())
            .map(|(&min, &max)| {
                let slot_us = (min / 10).clamp(10_000, 1_000_000);
                Recent {
                    slot_us,
                    keep_slots: max.div_ceil(slot_us) + 1,
                    needs: abort_needs,
                    rings: vec![VecDeque::new(); t.scenarios.len()],
                }
            });
        let mut checks = Vec::new();
        if let Some(w) = workload {
            checks_of(&w.steps, &mut checks);
        }
        let scenarios = t
            .scenarios
            .iter()
            .map(|s| ScenarioMetrics {
                name: s.name.clone(),
                checks: checks.clone(),
                ..ScenarioMetrics::default()
            })
            .collect();
        let metrics = Metrics {
            test: t.name.clone(),
            timeline: Timeline::new(t),
            step_names: workload.map(|w| w.step_names.clone()).unwrap_or_default(),
            captures: workload.map(|w| w.captures.clone()).unwrap_or_default(),
            money_captures: workload
                .map(|w| w.money_captures.clone())
                .unwrap_or_default(),
            duration_captures: workload
                .map(|w| w.duration_captures.clone())
                .unwrap_or_default(),
            predicates,
            proxy_predicates: super::proxy::proxy_predicates(t),
            window_lengths,
            scenarios,
            aborted: None,
            services: Default::default(),
        };
        Self {
            metrics,
            window_needs,
            recent,
        }
    }

    /// One finished request attempt.
    pub fn attempt(&mut self, mut a: Attempt) {
        let m = &mut self.metrics;
        // The predicates read the captures as evaluated (`count(t > 5ms)`: µs, `$` dollars).
        let matched: Vec<bool> = m
            .predicates
            .iter()
            .map(|p| crate::eval::eval_record_with_captures(p, &a, &m.step_names, &m.captures))
            .collect();
        // Buckets store numeric captures in thousandths; a money capture is turned into
        // milli-dollars first, so that it is kept in micro-dollars like `cost`, and a duration
        // into thousandths of its µs, so that it is kept in whole µs like `latency`.
        for (index, value) in &mut a.captures {
            if let crate::metrics::CaptureValue::Number(n) = value {
                *n *= m.capture_scale(*index) / super::CAPTURE_SCALE;
            }
        }
        let Some(s) = m.scenarios.get_mut(a.scenario) else {
            return;
        };
        let segment = m.timeline.segment(a.phase, a.intended_us);
        s.segments
            .entry(segment)
            .or_default()
            .add_attempt(&a, &matched, &Needs::all());
        for &len_us in &m.window_lengths {
            let key = WindowKey {
                len_us,
                index: a.intended_us / len_us,
                segment,
            };
            s.windows
                .entry(key)
                .or_default()
                .add_attempt(&a, &matched, &self.window_needs);
        }
        s.end_us = s.end_us.max(a.done_us);
        s.ran = true;
        let failed_at = a.check_failed.map(|i| i as usize);
        let evaluated = a.checks_passed as usize + usize::from(failed_at.is_some());
        for index in 0..evaluated {
            if let Some(c) = s.check_mut(a.step, index) {
                if Some(index) == failed_at {
                    c.failed += 1;
                } else {
                    c.passed += 1;
                }
            }
        }
        if let Some(recent) = &mut self.recent {
            let needs = recent.needs;
            if let Some(b) = recent.slot(a.scenario, a.done_us) {
                b.add_attempt(&a, &matched, &needs);
            }
        }
    }

    /// One finished iteration.
    pub fn iteration(&mut self, i: Iteration) {
        let m = &mut self.metrics;
        let Some(s) = m.scenarios.get_mut(i.scenario) else {
            return;
        };
        let segment = m.timeline.segment(i.phase, i.intended_us);
        s.segments
            .entry(segment)
            .or_default()
            .add_iteration(&i, &Needs::all());
        for &len_us in &m.window_lengths {
            let key = WindowKey {
                len_us,
                index: i.intended_us / len_us,
                segment,
            };
            s.windows
                .entry(key)
                .or_default()
                .add_iteration(&i, &self.window_needs);
        }
        s.end_us = s.end_us.max(i.done_us);
        s.ran = true;
        if let Some(c) = i
            .ended_by_check
            .and_then(|(step, index)| s.check_mut(step, index))
        {
            c.ended_iterations += 1;
        }
        if let Some(recent) = &mut self.recent {
            let needs = recent.needs;
            if let Some(b) = recent.slot(i.scenario, i.done_us) {
                b.add_iteration(&i, &needs);
            }
        }
    }

    /// An open-model arrival that found no free VU.
    pub fn dropped(&mut self, scenario: usize, phase: Option<usize>, at_us: u64) {
        let m = &mut self.metrics;
        let Some(s) = m.scenarios.get_mut(scenario) else {
            return;
        };
        let segment = m.timeline.segment(phase, at_us);
        s.segments.entry(segment).or_default().dropped += 1;
        for &len_us in &m.window_lengths {
            let key = WindowKey {
                len_us,
                index: at_us / len_us,
                segment,
            };
            s.windows.entry(key).or_default().dropped += 1;
        }
        s.end_us = s.end_us.max(at_us);
        s.ran = true;
        if let Some(b) = self.recent.as_mut().and_then(|r| r.slot(scenario, at_us)) {
            b.dropped += 1;
        }
    }

    /// A scenario's run begins (its clock starts at 0).
    pub fn scenario_started(&mut self, scenario: usize) {
        if let Some(s) = self.metrics.scenarios.get_mut(scenario) {
            s.ran = true;
        }
    }

    /// A scenario's run ended after `duration_us`: the run's length, even if its last
    /// seconds had no samples.
    pub fn scenario_finished(&mut self, scenario: usize, duration_us: u64) {
        if let Some(s) = self.metrics.scenarios.get_mut(scenario) {
            s.ran = true;
            s.end_us = s.end_us.max(duration_us);
        }
    }

    /// Notes that an `abort if` stopped the run (see `slo::should_abort`).
    pub fn record_abort(&mut self, record: AbortRecord) {
        if self.metrics.aborted.is_none() {
            self.metrics.aborted = Some(record);
        }
    }

    /// What has been measured so far (read-only, for live checks and progress).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// What finished in `now_us - over_us .. now_us` for one scenario, merged; `None` when the
    /// test has no `abort if … over`. Placed by end time in slots of a tenth of the shortest
    /// `over` (between 10 ms and 1 s), so the window's edges are exact to one slot.
    pub fn recent(&self, scenario: usize, over_us: u64, now_us: u64) -> Option<Bucket> {
        let recent = self.recent.as_ref()?;
        let ring = recent.rings.get(scenario)?;
        let from = now_us.saturating_sub(over_us);
        let mut out = Bucket::default();
        for (slot, b) in ring {
            let start = slot * recent.slot_us;
            if start >= from && start < now_us {
                out.merge(b);
            }
        }
        Some(out)
    }

    pub fn finish(self) -> Metrics {
        self.metrics
    }
}

fn empty_test() -> Test {
    Test {
        name: String::new(),
        workload: 0,
        profile: crate::plan::Profile {
            stages: vec![],
            phases: vec![],
        },
        scenarios: vec![],
        inject: crate::plan::Inject::Client,
        seed: None,
        services: vec![],
        chaos: None,
        slos: vec![],
        aborts: vec![],
    }
}
