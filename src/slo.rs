//! SLO evaluation: `plan::Slo` × scenario → pass or fail, with the measured value beside the
//! bound, and live `abort if` checks.
//!
//! Rules (docs/language.md §11, "SLOs"):
//! - An SLO without `scenario X:` is evaluated for every scenario of the test; one result
//!   per SLO × scenario. Scenarios that did not run (`--scenario`) are skipped.
//! - Both sides are computed in base units (µs, percent 0–100, per second, dollars, bytes) and
//!   compared with `CmpOp::holds`. Each side reads its own qualifiers; a side without one
//!   covers the whole run of the scenario.
//! - `in every D`: windows of D from the start of the scenario's run, samples placed by
//!   intended start; a last partial window counts only if it covers at least half of D. A
//!   window where a side has no data is skipped. Fails if any window fails; the result
//!   reports the worst window (its start and value). A run shorter than half a window has
//!   no window: `NoData`.
//! - A metric over no samples is `NoData` (also a service metric without samples, see
//!   `service::growth`); `NotMeasured` is what cannot be measured (a service metric in
//!   `abort if … over`). Both count as failures, never a silent pass.
//!   What each metric measures is documented in `metrics::measure` (`metrics::side`).

use miette::{Diagnostic, SourceSpan};
use serde::Serialize;
use thiserror::Error;

use crate::metrics::{
    AbortRecord, Collector, Metrics, Missing, ScenarioMetrics, Scope, describe, format_value,
    precise, side,
};
use crate::plan::{CmpOp, Plan, SloExpr, Unit};
use crate::source::Span;
use crate::units::Duration;

/// How one assertion for one scenario ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// The metric had no samples (an empty phase, no requests): a failure.
    NoData,
    /// The metric cannot be measured by this version: a failure, never a silent pass.
    NotMeasured,
}

/// Whether a result comes from `slo { }` or from an `abort if` that stopped the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssertionKind {
    Slo,
    Abort,
}

/// One assertion × one scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SloResult {
    pub kind: AssertionKind,
    /// Index into `Test::slos` (or `Test::aborts` for an abort).
    pub slo: usize,
    pub scenario: String,
    /// The assertion as written.
    pub text: String,
    pub line: usize,
    pub origin: Span,
    /// Left side (or the worst window's), base units.
    pub measured: f64,
    /// Right side (or the worst window's), base units.
    pub bound: f64,
    pub unit: Unit,
    pub op: CmpOp,
    pub status: Status,
    /// (window start µs, left side) of the worst window of an `in every` SLO.
    pub worst_window: Option<(u64, f64)>,
    /// The left side as text (`p95(latency) during calm`).
    pub metric: String,
    /// Measured value in the user's units (`412ms`), or `no data` / `not measured`.
    pub lhs_display: String,
    /// Bound in the user's units.
    pub rhs_display: String,
    /// For a relative SLO, how the bound was computed (`3 * p95(latency) during a`).
    pub bound_expr: Option<String>,
    /// Why there is no value (`no requests during `calm``), or when an abort fired.
    pub message: Option<String>,
}

/// Every result of one test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub results: Vec<SloResult>,
    /// Every result passed (and no `abort if` fired).
    pub passed: bool,
}

/// A failed SLO as a diagnostic at its line in the `.stress` file.
#[derive(Debug, Clone, Error, Diagnostic)]
#[error("SLO not met: {metric} was {observed}, limit is {limit}")]
#[diagnostic(code(stress::slo::violated))]
pub struct SloViolation {
    pub metric: String,
    pub observed: String,
    pub limit: String,
    #[label("this assertion failed")]
    pub at: SourceSpan,
    #[help]
    pub help: Option<String>,
}

impl SloResult {
    pub fn passed(&self) -> bool {
        self.status == Status::Pass
    }

    /// The diagnostic for a result that did not pass.
    pub fn violation(&self) -> Option<SloViolation> {
        if self.passed() {
            return None;
        }
        let mut help = format!("measured in scenario `{}`", self.scenario);
        if let Some((start, value)) = self.worst_window {
            let shown = format_value(value, self.unit);
            help.push_str(&format!("; worst window from {}: {shown}", Duration(start)));
        }
        if let Some(message) = &self.message {
            help.push_str(&format!("; {message}"));
        }
        Some(SloViolation {
            metric: self.metric.clone(),
            observed: self.lhs_display.clone(),
            limit: match &self.bound_expr {
                Some(expr) => format!("{} {} ({expr})", self.op.symbol(), self.rhs_display),
                None => format!("{} {}", self.op.symbol(), self.rhs_display),
            },
            at: self.origin.visible().into(),
            help: Some(help),
        })
    }
}

impl Verdict {
    pub fn violations(&self) -> Vec<SloViolation> {
        self.results
            .iter()
            .filter_map(SloResult::violation)
            .collect()
    }
}

// ── Evaluation ────────────────────────────────────────────────────────

/// Evaluates every SLO of `plan.tests[test]` for every scenario it applies to, plus a failed
/// result for an `abort if` that stopped the run.
pub fn evaluate(plan: &Plan, test: usize, metrics: &Metrics) -> Verdict {
    let Some(t) = plan.tests.get(test) else {
        return Verdict {
            results: vec![],
            passed: true,
        };
    };
    let mut results = Vec::new();
    for (index, slo) in t.slos.iter().enumerate() {
        for (si, scenario) in t.scenarios.iter().enumerate() {
            if slo
                .scenario
                .as_ref()
                .is_some_and(|only| *only != scenario.name)
            {
                continue;
            }
            let Some(sm) = metrics.scenarios.get(si).filter(|sm| sm.ran) else {
                continue;
            };
            let a = Assertion {
                lhs: &slo.lhs,
                op: slo.op,
                rhs: &slo.rhs,
            };
            let outcome = match slo.every.map(Duration::as_micros).filter(|d| *d > 0) {
                Some(len) => a.windowed(metrics, sm, len),
                None => a.whole(metrics, Scope::Run(sm)),
            };
            let mut result = outcome.into_result(SloResult {
                kind: AssertionKind::Slo,
                slo: index,
                scenario: scenario.name.clone(),
                text: slo.text.clone(),
                line: slo.line,
                origin: slo.origin,
                measured: f64::NAN,
                bound: f64::NAN,
                unit: Unit::Number,
                op: slo.op,
                status: Status::Pass,
                worst_window: None,
                metric: describe(&slo.lhs, metrics),
                lhs_display: String::new(),
                rhs_display: String::new(),
                bound_expr: relative(&slo.rhs).then(|| describe(&slo.rhs, metrics)),
                message: None,
            });
            // A constant bound is shown even when the metric had no data.
            if result.rhs_display.is_empty() && !relative(&slo.rhs) {
                if let Ok((bound, unit)) = side(&slo.rhs, metrics, &Scope::Run(sm)) {
                    (result.bound, result.rhs_display) = (bound, format_value(bound, unit));
                }
            }
            results.push(result);
        }
    }
    if let Some(rec) = &metrics.aborted {
        if let Some(abort) = t.aborts.get(rec.abort) {
            let unit = rec.unit;
            results.push(SloResult {
                kind: AssertionKind::Abort,
                slo: rec.abort,
                scenario: t
                    .scenarios
                    .get(rec.scenario)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                text: abort.text.clone(),
                line: abort.line,
                origin: abort.origin,
                measured: rec.measured,
                bound: rec.bound,
                unit,
                op: abort.op,
                status: Status::Fail,
                worst_window: None,
                metric: describe(&abort.lhs, metrics),
                lhs_display: format_value(rec.measured, unit),
                rhs_display: format_value(rec.bound, unit),
                bound_expr: relative(&abort.rhs).then(|| describe(&abort.rhs, metrics)),
                message: Some(format!("the run was aborted at {}", Duration(rec.at_us))),
            });
        }
    }
    let passed = results.iter().all(SloResult::passed);
    Verdict { results, passed }
}

/// Whether a side reads a measurement (a relative bound) rather than constants only.
fn relative(e: &SloExpr) -> bool {
    match e {
        SloExpr::Const { .. } => false,
        SloExpr::Metric { .. } => true,
        SloExpr::Mul(a, b) | SloExpr::Div(a, b) | SloExpr::Add(a, b) | SloExpr::Sub(a, b) => {
            relative(a) || relative(b)
        }
    }
}

/// An `abort if` whose condition held.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AbortHit {
    /// Index into `Test::aborts`.
    pub abort: usize,
    pub measured: f64,
    pub bound: f64,
    pub unit: Unit,
}

impl AbortHit {
    /// What to hand `Collector::record_abort` when the engine stops on this hit.
    pub fn record(self, scenario: usize, at_us: u64) -> AbortRecord {
        AbortRecord {
            scenario,
            abort: self.abort,
            at_us,
            measured: self.measured,
            bound: self.bound,
            unit: self.unit,
        }
    }
}

/// Checks the test's `abort if` conditions for the scenario running now. Meant to be called
/// by the engine periodically (every second, say) with the live collector, read-only.
///
/// - `over D`: the condition over what finished in the last D (`Collector::recent`), checked
///   only once `now_us >= D`; a phase qualifier inside it has no data (the sliding window is
///   not split by phase), so it never fires.
/// - without `over`: over the scenario's whole run so far.
///
/// A side with no data never fires. On a hit, the engine stops the run and calls
/// `Collector::record_abort` so that `evaluate` reports the abort as a failure.
pub fn should_abort(
    plan: &Plan,
    test: usize,
    scenario: usize,
    live: &Collector,
    now_us: u64,
) -> Option<AbortHit> {
    let t = plan.tests.get(test)?;
    let metrics = live.metrics();
    let sm = metrics.scenarios.get(scenario)?;
    for (index, abort) in t.aborts.iter().enumerate() {
        let a = Assertion {
            lhs: &abort.lhs,
            op: abort.op,
            rhs: &abort.rhs,
        };
        let checked = match abort.over.map(Duration::as_micros).filter(|d| *d > 0) {
            Some(over) if now_us < over => continue,
            Some(over) => {
                let Some(bucket) = live.recent(scenario, over, now_us) else {
                    continue;
                };
                a.sides(
                    metrics,
                    &Scope::Recent {
                        bucket: &bucket,
                        elapsed: over,
                    },
                )
            }
            None => a.sides(metrics, &Scope::Run(sm)),
        };
        if let Ok((measured, bound, unit)) = checked {
            if abort.op.holds(measured, bound) {
                return Some(AbortHit {
                    abort: index,
                    measured,
                    bound,
                    unit,
                });
            }
        }
    }
    None
}

/// The evaluated form of an assertion.
enum Evaluated {
    Value {
        lhs: f64,
        rhs: f64,
        unit: Unit,
        worst_window: Option<u64>,
    },
    Missing(Missing),
}

impl Evaluated {
    fn into_result(self, mut r: SloResult) -> SloResult {
        match self {
            Evaluated::Value {
                lhs,
                rhs,
                unit,
                worst_window,
            } => {
                r.status = if r.op.holds(lhs, rhs) {
                    Status::Pass
                } else {
                    Status::Fail
                };
                (r.measured, r.bound, r.unit) = (lhs, rhs, unit);
                r.worst_window = worst_window.map(|start| (start, lhs));
                (r.lhs_display, r.rhs_display) = (format_value(lhs, unit), format_value(rhs, unit));
                if r.status == Status::Fail && r.lhs_display == r.rhs_display {
                    // More digits tell the two sides apart; equal values (`1s < 1s` failed)
                    // keep the plain form.
                    let (l, r2) = (precise(lhs, unit), precise(rhs, unit));
                    if l != r2 {
                        (r.lhs_display, r.rhs_display) = (l, r2);
                    }
                }
            }
            Evaluated::Missing(Missing::NoData(message)) => {
                r.status = Status::NoData;
                r.lhs_display = "no data".into();
                r.message = Some(message);
            }
            Evaluated::Missing(Missing::NotMeasured(message)) => {
                r.status = Status::NotMeasured;
                r.lhs_display = "not measured".into();
                r.message = Some(message);
            }
        }
        r
    }
}

struct Assertion<'a> {
    lhs: &'a SloExpr,
    op: CmpOp,
    rhs: &'a SloExpr,
}

impl Assertion<'_> {
    fn sides(&self, m: &Metrics, scope: &Scope<'_>) -> Result<(f64, f64, Unit), Missing> {
        let (l, lu) = side(self.lhs, m, scope)?;
        let (r, ru) = side(self.rhs, m, scope)?;
        Ok((l, r, if lu == Unit::Number { ru } else { lu }))
    }

    fn whole(&self, m: &Metrics, scope: Scope<'_>) -> Evaluated {
        match self.sides(m, &scope) {
            Ok((lhs, rhs, unit)) => Evaluated::Value {
                lhs,
                rhs,
                unit,
                worst_window: None,
            },
            Err(missing) => Evaluated::Missing(missing),
        }
    }

    fn windowed(&self, m: &Metrics, sm: &ScenarioMetrics, len: u64) -> Evaluated {
        let mut seen: Vec<(u64, f64, f64, Unit)> = Vec::new();
        let mut first_missing = None;
        for index in sm.window_indices(len) {
            let start = index.saturating_mul(len);
            let covered = sm.end_us.saturating_sub(start).min(len);
            if covered.saturating_mul(2) < len {
                continue;
            }
            let scope = Scope::Window {
                sm,
                len,
                index,
                elapsed: covered,
            };
            match self.sides(m, &scope) {
                Ok((l, r, unit)) => seen.push((start, l, r, unit)),
                Err(missing @ Missing::NotMeasured(_)) => return Evaluated::Missing(missing),
                Err(Missing::NoData(msg)) => {
                    first_missing.get_or_insert(msg);
                }
            }
        }
        let badness = |l: f64, r: f64| match self.op {
            CmpOp::Lt | CmpOp::Le => l - r,
            CmpOp::Gt | CmpOp::Ge => r - l,
            CmpOp::Eq => (l - r).abs(),
            CmpOp::Ne => -(l - r).abs(),
        };
        let any_fail = seen.iter().any(|(_, l, r, _)| !self.op.holds(*l, *r));
        let worst = seen
            .iter()
            .filter(|(_, l, r, _)| !any_fail || !self.op.holds(*l, *r))
            .max_by(|a, b| badness(a.1, a.2).total_cmp(&badness(b.1, b.2)));
        match worst {
            Some(&(start, lhs, rhs, unit)) => Evaluated::Value {
                lhs,
                rhs,
                unit,
                worst_window: Some(start),
            },
            None if sm.end_us.saturating_mul(2) < len => {
                Evaluated::Missing(Missing::NoData(format!(
                    "the run ({}) is shorter than half a window ({})",
                    Duration(sm.end_us),
                    Duration(len)
                )))
            }
            None => Evaluated::Missing(Missing::NoData(
                first_missing.unwrap_or_else(|| "no samples in any window".into()),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
