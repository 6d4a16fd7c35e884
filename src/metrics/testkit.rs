//! Test fixtures shared by the metrics, SLO and report tests: a small plan and synthetic
//! attempts and iterations.

use crate::ast::PhaseKind;
use crate::plan::{
    Budget, CmpOp, Filter, Inject, Metric, Outcome, PhaseRef, Plan, Profile, Quantity, Scenario,
    Slo, SloExpr, Stage, StageKind, Stat, Test, Unit, Workload,
};
use crate::source::Span;
use crate::units::Duration;

use super::{Attempt, Iteration};

pub(crate) const MS: u64 = 1000;
pub(crate) const S: u64 = 1_000_000;

pub(crate) fn hold(secs: u64, phase: Option<usize>) -> Stage {
    let duration = Duration(secs * S);
    Stage {
        kind: StageKind::Users {
            from: 1,
            to: 1,
            duration,
        },
        phase,
        limit: None,
    }
}

/// A plan with one workload (steps `chat`, `explain`; captures `cached`, `tokens`, `cost`)
/// and one test `t` over the given scenarios, stages and phases.
pub(crate) fn plan(scenarios: &[&str], stages: Vec<Stage>, phases: &[&str]) -> Plan {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Plan {
        schema_version: crate::plan::SCHEMA_VERSION,
        file: "t.stress".into(),
        targets: vec![],
        data: vec![],
        services: vec![],
        workloads: vec![Workload {
            name: "w".into(),
            steps: vec![],
            retry: None,
            budget: Budget::default(),
            step_names: names(&["chat", "explain"]),
            captures: names(&["cached", "tokens", "cost"]),
            money_captures: vec![false; 3],
            duration_captures: vec![],
        }],
        tests: vec![Test {
            name: "t".into(),
            workload: 0,
            profile: Profile {
                stages,
                phases: names(phases),
            },
            scenarios: scenarios
                .iter()
                .map(|s| Scenario {
                    name: s.to_string(),
                    parts: vec![s.to_string()],
                    rules: vec![],
                })
                .collect(),
            inject: Inject::Client,
            seed: Some(42),
            services: vec![],
            chaos: None,
            slos: vec![],
            aborts: vec![],
        }],
        proxies: vec![],
    }
}

/// A successful attempt of `step` at `at_us` (intended = sent) taking `latency_us`.
pub(crate) fn attempt(scenario: usize, step: usize, at_us: u64, latency_us: u64) -> Attempt {
    Attempt {
        scenario,
        step,
        phase: None,
        user: 0,
        iteration: 0,
        call: 0,
        attempt: 0,
        intended_us: at_us,
        sent_us: at_us,
        done_us: at_us + latency_us,
        active_users: 1,
        status: Some(200),
        error: None,
        failed: false,
        injected: None,
        captures: vec![],
        checks_passed: 0,
        check_failed: None,
    }
}

/// A successful iteration starting at `at_us` and taking `duration_us`.
pub(crate) fn iteration(scenario: usize, at_us: u64, duration_us: u64) -> Iteration {
    Iteration {
        scenario,
        phase: None,
        user: 0,
        iteration: 0,
        intended_us: at_us,
        started_us: at_us,
        done_us: at_us + duration_us,
        outcome: Outcome::Success,
        retries: 0,
        retries_by: vec![],
        cost: 0.0,
        budget_exceeded_during_retry: false,
        step_durations_us: vec![],
        ended_by_check: None,
    }
}

pub(crate) fn metric(metric: Metric) -> SloExpr {
    SloExpr::Metric {
        metric,
        filter: Filter::default(),
    }
}

pub(crate) fn stat(stat: Stat, of: Quantity) -> SloExpr {
    metric(Metric::Stat { stat, of })
}

pub(crate) fn p95(of: Quantity) -> SloExpr {
    stat(Stat::Percentile(95.0), of)
}

pub(crate) fn konst(value: f64, unit: Unit) -> SloExpr {
    SloExpr::Const { value, unit }
}

/// The same metric limited to a phase.
pub(crate) fn during(expr: SloExpr, when: PhaseKind, name: &str) -> SloExpr {
    match expr {
        SloExpr::Metric { metric, mut filter } => {
            filter.phase = Some(PhaseRef {
                when,
                name: name.into(),
            });
            SloExpr::Metric { metric, filter }
        }
        other => other,
    }
}

/// The same metric limited to a step.
pub(crate) fn step(expr: SloExpr, name: &str) -> SloExpr {
    match expr {
        SloExpr::Metric { metric, mut filter } => {
            filter.step = Some(name.into());
            SloExpr::Metric { metric, filter }
        }
        other => other,
    }
}

pub(crate) fn slo(text: &str, lhs: SloExpr, op: CmpOp, rhs: SloExpr) -> Slo {
    Slo {
        text: text.into(),
        origin: Span::new(0, text.len()),
        line: 1,
        scenario: None,
        lhs,
        op,
        rhs,
        every: None,
    }
}
