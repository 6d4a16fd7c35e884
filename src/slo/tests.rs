//! SLO evaluation on hand-built metrics (a collector fed synthetic attempts and iterations).

use super::*;
use crate::ast::{BinaryOp, PhaseKind};
use crate::metrics::testkit::*;
use crate::metrics::{Attempt, CaptureValue};
use crate::plan::{Abort, Expr, Metric, Outcome, Quantity, ResponseField, RetryOn, Slo, Stat};

fn run(p: &Plan, feed: impl FnOnce(&mut Collector)) -> (Metrics, Verdict) {
    let mut c = Collector::new(p, 0);
    feed(&mut c);
    let m = c.finish();
    let v = evaluate(p, 0, &m);
    (m, v)
}

fn with_slos(mut p: Plan, slos: Vec<Slo>) -> Plan {
    p.tests[0].slos = slos;
    p
}

#[track_caller]
fn close(actual: f64, expected: f64) {
    let tol = expected.abs().max(1.0) * 1e-3;
    assert!(
        (actual - expected).abs() <= tol,
        "{actual} is not {expected}"
    );
}

fn lt(text: &str, lhs: SloExpr, value: f64, unit: Unit) -> Slo {
    slo(text, lhs, CmpOp::Lt, konst(value, unit))
}

fn status_is(code: f64) -> Expr {
    Expr::Binary {
        op: BinaryOp::Eq,
        lhs: Box::new(Expr::Response(ResponseField::Status)),
        rhs: Box::new(Expr::Number(code)),
    }
}

#[test]
fn latency_percentiles_pass_and_fail() {
    let p = with_slos(
        plan(&["baseline"], vec![], &[]),
        vec![
            lt(
                "p50(latency) < 500ms",
                p95_at(50.0),
                500_000.0,
                Unit::Duration,
            ),
            lt(
                "p95(latency) < 2s",
                p95(Quantity::Latency),
                2e6,
                Unit::Duration,
            ),
        ],
    );
    let (_, v) = run(&p, |c| {
        for i in 0..100 {
            c.attempt(attempt(
                0,
                0,
                i * MS,
                if i % 2 == 0 { 300 * MS } else { 3 * S },
            ));
        }
    });
    assert_eq!(v.results.len(), 2);
    assert_eq!(v.results[0].status, Status::Pass);
    close(v.results[0].measured, 300_000.0);
    let failed = &v.results[1];
    assert_eq!((failed.status, failed.unit), (Status::Fail, Unit::Duration));
    close(failed.measured, 3e6);
    assert_eq!(
        (failed.lhs_display.as_str(), failed.rhs_display.as_str()),
        ("3s", "2s")
    );
    assert_eq!(failed.metric, "p95(latency)");
    assert!(!v.passed);
}

fn p95_at(p: f64) -> SloExpr {
    stat(Stat::Percentile(p), Quantity::Latency)
}

#[test]
fn every_metric_kind_measures_what_it_says() {
    let m = |metric| crate::metrics::testkit::metric(metric);
    let kinds: Vec<(SloExpr, f64)> = vec![
        (m(Metric::ErrorRate), 20.0),
        (m(Metric::SuccessRate), 50.0),
        (m(Metric::Count(status_is(429.0))), 2.0),
        (m(Metric::Rate(Expr::Var("cached".into()))), 40.0),
        (m(Metric::Outcome(Outcome::Failed)), 25.0),
        (m(Metric::Throughput), 10.0 / 9.1),
        (m(Metric::Dropped), 3.0),
        (m(Metric::BudgetExceeded), 25.0),
        (m(Metric::BudgetExceededDuringRetry), 25.0),
        (m(Metric::RetriesBy(RetryOn::Status(429))), 6.0),
        (m(Metric::RetriesBy(RetryOn::Class(5))), 1.0),
        (stat(Stat::Max, Quantity::Retries), 4.0),
        (stat(Stat::Max, Quantity::Cost), 0.004),
        (stat(Stat::Max, Quantity::Capture(1)), 90.0),
        (stat(Stat::Mean, Quantity::Latency), 100_000.0),
        (
            step(stat(Stat::Max, Quantity::Duration), "explain"),
            700_000.0,
        ),
        (stat(Stat::Max, Quantity::Duration), 2e6),
        (step(m(Metric::ErrorRate), "explain"), 0.0),
    ];
    let slos = kinds
        .iter()
        .map(|(e, _)| lt("x", e.clone(), 1e12, Unit::Number))
        .collect();
    let p = with_slos(plan(&["x"], vec![], &[]), slos);
    let (_, v) = run(&p, |c| {
        for k in 0..10u64 {
            let mut a = attempt(0, usize::from(k == 9), k * S, 100 * MS);
            a.failed = k < 2;
            a.status = Some(if k < 2 { 429 } else { 200 });
            a.captures = vec![
                (0, CaptureValue::Bool(k % 5 < 2)),
                (1, CaptureValue::Number(k as f64 * 10.0)),
            ];
            c.attempt(a);
        }
        let outcomes = [
            Outcome::Success,
            Outcome::Success,
            Outcome::Failed,
            Outcome::BudgetExceeded,
        ];
        for (k, outcome) in outcomes.into_iter().enumerate() {
            let mut i = iteration(0, k as u64 * S, 2 * S);
            i.outcome = outcome;
            i.retries = k as u32 + 1;
            i.retries_by = vec![
                (RetryOn::Status(429), k as u32),
                (RetryOn::Status(503), u32::from(k == 3)),
            ];
            i.cost = 0.001 * (k + 1) as f64;
            i.budget_exceeded_during_retry = outcome == Outcome::BudgetExceeded;
            i.step_durations_us = vec![(1, 700 * MS)];
            c.iteration(i);
        }
        for _ in 0..3 {
            c.dropped(0, None, 5 * S);
        }
    });
    for ((expr, expected), r) in kinds.iter().zip(&v.results) {
        assert_eq!(r.status, Status::Pass, "{expr:?}");
        close(r.measured, *expected);
    }
    assert_eq!(v.results[0].lhs_display, "20%");
    assert_eq!(v.results[5].lhs_display, "1.1/s");
    assert_eq!(v.results[12].lhs_display, "$0.004");
}

#[test]
fn scenario_qualifier_limits_an_slo_to_one_scenario() {
    let mut only_b = lt(
        "scenario b: error_rate < 1%",
        metric(Metric::ErrorRate),
        1.0,
        Unit::Percent,
    );
    only_b.scenario = Some("b".into());
    let all = lt(
        "error_rate < 1%",
        metric(Metric::ErrorRate),
        1.0,
        Unit::Percent,
    );
    let p = with_slos(plan(&["a", "b"], vec![], &[]), vec![only_b, all]);
    let (_, v) = run(&p, |c| {
        let mut bad = attempt(0, 0, 0, MS);
        bad.failed = true;
        c.attempt(bad);
        c.attempt(attempt(1, 0, 0, MS));
    });
    let seen: Vec<_> = v
        .results
        .iter()
        .map(|r| (r.slo, r.scenario.as_str(), r.status))
        .collect();
    assert_eq!(
        seen,
        vec![
            (0, "b", Status::Pass),
            (1, "a", Status::Fail),
            (1, "b", Status::Pass)
        ]
    );
}

fn phased(latency_b: u64) -> Verdict {
    let rhs = SloExpr::Mul(
        Box::new(konst(3.0, Unit::Number)),
        Box::new(during(p95(Quantity::Latency), PhaseKind::During, "a")),
    );
    let lhs = during(p95(Quantity::Latency), PhaseKind::During, "b");
    let tp = SloExpr::Mul(
        Box::new(konst(0.5, Unit::Number)),
        Box::new(during(metric(Metric::Throughput), PhaseKind::During, "a")),
    );
    let tp_b = during(metric(Metric::Throughput), PhaseKind::During, "b");
    let p = with_slos(
        plan(
            &["x"],
            vec![hold(10, Some(0)), hold(10, Some(1))],
            &["a", "b"],
        ),
        vec![
            slo(
                "p95(latency) during b < 3 * p95(latency) during a",
                lhs,
                CmpOp::Lt,
                rhs,
            ),
            slo(
                "throughput during b >= 50% * throughput during a",
                tp_b,
                CmpOp::Ge,
                tp,
            ),
        ],
    );
    run(&p, |c| {
        for k in 0..20u64 {
            let (phase, latency) = if k < 10 {
                (0, 100 * MS)
            } else {
                (1, latency_b)
            };
            let mut a = attempt(0, 0, k * S, latency);
            a.phase = Some(phase);
            c.attempt(a);
        }
    })
    .1
}

#[test]
fn relative_slo_compares_two_phases() {
    let ok = phased(250 * MS);
    assert_eq!(ok.results[0].status, Status::Pass);
    close(ok.results[0].bound, 300_000.0);
    assert_eq!(ok.results[0].metric, "p95(latency) during b");
    assert_eq!(ok.results[1].status, Status::Pass);
    let slow = phased(400 * MS);
    assert_eq!(slow.results[0].status, Status::Fail);
    let limit = slow.results[0].violation().unwrap().limit;
    assert_eq!(limit, "< 300ms (3 * p95(latency) during a)");
    close(slow.results[0].measured, 400_000.0);
}

#[test]
fn in_every_fails_on_the_worst_window_and_skips_a_short_last_one() {
    let mut s = lt(
        "p95(latency) < 500ms in every 10s",
        p95(Quantity::Latency),
        500_000.0,
        Unit::Duration,
    );
    s.every = Some(Duration(10 * S));
    let p = with_slos(plan(&["x"], vec![], &[]), vec![s]);
    let (_, v) = run(&p, |c| {
        for k in 0..34u64 {
            // window 1 (10s..20s) is slow; the last window (30s..34s) is slower but short
            let latency = match k {
                10..20 => 800 * MS,
                30.. => 5 * S,
                _ => 100 * MS,
            };
            c.attempt(attempt(0, 0, k * S, latency.min((34 - k) * S - MS)));
        }
    });
    let r = &v.results[0];
    assert_eq!(r.status, Status::Fail);
    assert_eq!(r.worst_window.map(|w| w.0), Some(10 * S));
    close(r.measured, 800_000.0);
    assert!(
        r.violation()
            .unwrap()
            .help
            .unwrap()
            .contains("worst window from 10s: 800ms")
    );
}

#[test]
fn a_run_shorter_than_half_a_window_has_no_data() {
    let mut s = lt(
        "p95(latency) < 500ms in every 1m",
        p95(Quantity::Latency),
        500_000.0,
        Unit::Duration,
    );
    s.every = Some(Duration(60 * S));
    let p = with_slos(plan(&["x"], vec![], &[]), vec![s]);
    let (_, v) = run(&p, |c| c.attempt(attempt(0, 0, 0, 10 * MS)));
    assert_eq!(v.results[0].status, Status::NoData);
    assert_eq!(
        v.results[0].message.as_deref(),
        Some("the run (10ms) is shorter than half a window (1m)")
    );
}

#[test]
fn an_empty_phase_is_no_data_not_a_pass() {
    let count = during(
        metric(Metric::Count(status_is(429.0))),
        PhaseKind::During,
        "calm",
    );
    let p = with_slos(
        plan(
            &["x"],
            vec![hold(5, Some(0)), hold(2, None), hold(5, Some(1))],
            &["overload", "calm"],
        ),
        vec![slo(
            "count(status == 429) == 0 during calm",
            count,
            CmpOp::Eq,
            konst(0.0, Unit::Number),
        )],
    );
    let (_, v) = run(&p, |c| {
        let mut a: Attempt = attempt(0, 0, S, MS);
        a.phase = Some(0);
        c.attempt(a);
    });
    let r = &v.results[0];
    assert_eq!(r.status, Status::NoData);
    assert_eq!(r.message.as_deref(), Some("no requests during `calm`"));
    assert!(!v.passed);
}

#[test]
fn a_service_metric_without_samples_has_no_data_and_fails() {
    let growth = metric(Metric::MemoryGrowth {
        service: "breaker".into(),
        relative: false,
    });
    let p = with_slos(
        plan(&["x"], vec![], &[]),
        vec![lt(
            "memory_growth(breaker) < 100MB",
            growth,
            1e8,
            Unit::Size,
        )],
    );
    let (_, v) = run(&p, |c| c.attempt(attempt(0, 0, 0, MS)));
    assert_eq!(v.results[0].status, Status::NoData);
    assert_eq!(
        v.results[0].message.as_deref(),
        Some("service `breaker` was not started by this test (add `services breaker`)")
    );
    assert!(!v.passed);
}

#[test]
fn a_violation_points_at_the_assertion() {
    let text = "test \"t\" {\n  slo {\n    p95(latency) < 2s\n  }\n}\n";
    let start = text.find("p95").unwrap();
    let mut s = lt(
        "p95(latency) < 2s",
        p95(Quantity::Latency),
        2e6,
        Unit::Duration,
    );
    s.origin = Span::new(start, start + "p95(latency) < 2s".len());
    let p = with_slos(plan(&["baseline"], vec![], &[]), vec![s]);
    let (_, v) = run(&p, |c| c.attempt(attempt(0, 0, 0, 3 * S)));
    let file = crate::source::SourceFile::new("t.stress", text);
    let out = crate::diag::render(
        &v.violations()[0],
        Some(&file),
        crate::diag::RenderOptions::plain(),
    );
    assert!(
        out.contains("SLO not met: p95(latency) was 3s, limit is < 2s"),
        "{out}"
    );
    assert!(out.contains("this assertion failed"), "{out}");
    assert!(out.contains("stress::slo::violated"), "{out}");
    assert!(out.contains("measured in scenario `baseline`"), "{out}");
}

#[test]
fn abort_fires_over_the_last_window_and_fails_the_test() {
    let mut p = plan(&["x"], vec![], &[]);
    p.tests[0].aborts = vec![Abort {
        text: "error_rate > 50% over 10s".into(),
        origin: Span::new(0, 1),
        line: 3,
        lhs: metric(Metric::ErrorRate),
        op: CmpOp::Gt,
        rhs: konst(50.0, Unit::Percent),
        over: Some(Duration(10 * S)),
    }];
    let mut c = Collector::new(&p, 0);
    let mut hit = None;
    for k in 0..60u64 {
        let mut a = attempt(0, 0, k * S, 10 * MS);
        a.failed = k >= 45;
        c.attempt(a);
        let now = (k + 1) * S;
        if let Some(h) = should_abort(&p, 0, 0, &c, now) {
            hit = Some((now, h));
            break;
        }
    }
    let (now, h) = hit.expect("the abort fires");
    assert_eq!(now, 51 * S);
    assert_eq!((h.abort, h.unit), (0, Unit::Percent));
    close(h.measured, 60.0);
    c.record_abort(h.record(0, now));
    let v = evaluate(&p, 0, &c.finish());
    assert_eq!(v.results[0].kind, AssertionKind::Abort);
    assert_eq!(v.results[0].lhs_display, "60%");
    assert!(!v.passed);
}

#[test]
fn a_scenario_that_did_not_run_is_not_evaluated() {
    let all = lt(
        "error_rate < 1%",
        metric(Metric::ErrorRate),
        1.0,
        Unit::Percent,
    );
    let p = with_slos(plan(&["a", "b", "c"], vec![], &[]), vec![all]);
    let (_, v) = run(&p, |c| {
        c.attempt(attempt(0, 0, 0, MS));
        c.scenario_started(1);
        c.scenario_finished(1, 5 * S);
    });
    let seen: Vec<_> = v
        .results
        .iter()
        .map(|r| (r.scenario.as_str(), r.status))
        .collect();
    assert_eq!(seen, vec![("a", Status::Pass), ("b", Status::NoData)]);
    assert_eq!(v.results[1].message.as_deref(), Some("no requests"));
}
