//! Collector tests against hand-computed values.

use crate::ast::{BinaryOp, PhaseKind};
use crate::plan::{
    CmpOp, Expr, Fault, Metric, Outcome, PhaseRef, ResponseField, RetryOn, Stage, StageKind, Unit,
};
use crate::units::Duration;

use super::testkit::*;
use super::*;

#[track_caller]
fn assert_3_digits(actual: Option<u64>, expected: u64) {
    let actual = actual.expect("a value");
    let rel = (actual as f64 - expected as f64).abs() / expected as f64;
    assert!(
        rel < 1e-3,
        "{actual} is not {expected} to 3 significant digits"
    );
}

fn status_is(code: f64) -> Expr {
    Expr::Binary {
        op: BinaryOp::Eq,
        lhs: Box::new(Expr::Response(ResponseField::Status)),
        rhs: Box::new(Expr::Number(code)),
    }
}

fn two_mode(c: &mut Collector, scenario: usize, range: std::ops::Range<u64>) {
    for i in range {
        let latency = if i % 2 == 0 { 300 * MS } else { 3 * S };
        c.attempt(attempt(scenario, 0, i * 10 * MS, latency));
    }
}

#[test]
fn percentiles_follow_the_samples() {
    let p = plan(&["baseline"], vec![], &[]);
    let mut c = Collector::new(&p, 0);
    two_mode(&mut c, 0, 0..100);
    let m = c.finish();
    let all = m.scenarios[0].select(|_| true);
    let req = all.requests(None);
    assert_eq!(req.count, 100);
    assert_3_digits(req.latency.percentile(0.5), 300 * MS);
    assert_3_digits(req.latency.percentile(0.95), 3 * S);
    assert_3_digits(req.service.percentile(0.95), 3 * S);
    // 100 requests from 0 to 990ms + 3s
    let tp = all.throughput(None).unwrap();
    assert!((tp - 100.0 / 3.99).abs() < 1e-9, "{tp}");
}

#[test]
fn merge_of_two_halves_equals_the_whole() {
    let p = plan(&["baseline"], vec![], &[]);
    let mut whole = Collector::new(&p, 0);
    two_mode(&mut whole, 0, 0..100);
    let (mut a, mut b) = (Collector::new(&p, 0), Collector::new(&p, 0));
    two_mode(&mut a, 0, 0..40);
    two_mode(&mut b, 0, 40..100);
    let whole = whole.finish();
    let mut merged = a.finish();
    merged.merge(&b.finish()).unwrap();
    let (w, m) = (
        whole.scenarios[0].select(|_| true),
        merged.scenarios[0].select(|_| true),
    );
    let (w, m) = (w.requests(None), m.requests(None));
    assert_eq!(w.count, m.count);
    for q in [0.5, 0.9, 0.95, 0.99, 1.0] {
        assert_eq!(w.latency.percentile(q), m.latency.percentile(q));
    }
    assert_eq!(whole.scenarios[0].end_us, merged.scenarios[0].end_us);

    let other = plan(&["a", "b"], vec![], &[]);
    assert!(merged.merge(&Collector::new(&other, 0).finish()).is_err());
}

#[test]
fn phases_are_separated() {
    // hold 5s as overload, pause 2s, hold 5s as calm
    let p = plan(
        &["x"],
        vec![hold(5, Some(0)), hold(2, None), hold(5, Some(1))],
        &["overload", "calm"],
    );
    let mut c = Collector::new(&p, 0);
    for i in 0..10 {
        let mut a = attempt(0, 0, i * 400 * MS, 50 * MS);
        a.phase = Some(0);
        a.status = Some(429);
        c.attempt(a);
    }
    for i in 0..4 {
        let mut a = attempt(0, 0, 7 * S + i * S, 20 * MS);
        a.phase = Some(1);
        c.attempt(a);
    }
    let m = c.finish();
    let count = |when, name: &str| {
        let phase = PhaseRef {
            when,
            name: name.into(),
        };
        let t = &m.timeline;
        m.scenarios[0]
            .select(|s| t.selects(&phase, s) == Some(true))
            .attempts(None)
    };
    assert_eq!(count(PhaseKind::During, "overload"), 10);
    assert_eq!(count(PhaseKind::During, "calm"), 4);
    assert_eq!(count(PhaseKind::Before, "calm"), 10);
    assert_eq!(count(PhaseKind::After, "overload"), 4);
    assert_eq!(count(PhaseKind::Before, "overload"), 0);
    let calm = PhaseRef {
        when: PhaseKind::During,
        name: "calm".into(),
    };
    let sel = m.scenarios[0].select(|s| m.timeline.selects(&calm, s) == Some(true));
    assert_eq!(sel.requests(None).by_status.get(&429), None);
    assert_eq!(sel.span(), Some((7 * S, 10 * S + 20 * MS)));
}

#[test]
fn counts_by_status_error_fault_capture_and_predicate() {
    let mut p = plan(&["x"], vec![], &[]);
    let count_429 = metric(Metric::Count(status_is(429.0)));
    let cached = metric(Metric::Rate(Expr::Var("cached".into())));
    p.tests[0].slos = vec![
        slo(
            "count(status == 429) == 1",
            count_429,
            CmpOp::Eq,
            konst(1.0, Unit::Number),
        ),
        slo(
            "rate(cached) > 50%",
            cached,
            CmpOp::Gt,
            konst(50.0, Unit::Percent),
        ),
    ];
    let mut c = Collector::new(&p, 0);
    let mut a = attempt(0, 0, 0, 10 * MS);
    a.captures = vec![
        (0, CaptureValue::Bool(true)),
        (1, CaptureValue::Number(120.0)),
    ];
    c.attempt(a);
    let mut a = attempt(0, 1, 0, 10 * MS);
    a.status = Some(429);
    a.failed = true;
    a.error = Some(ErrorClass::Status);
    a.injected = Some(Injected {
        rule: 1,
        fault: Some(Fault::Status {
            status: 429,
            retry_after: None,
        }),
    });
    a.captures = vec![
        (0, CaptureValue::Bool(false)),
        (1, CaptureValue::Number(80.0)),
    ];
    c.attempt(a);
    let mut a = attempt(0, 1, 0, 30 * S);
    a.status = None;
    a.failed = true;
    a.error = Some(ErrorClass::Timeout);
    a.sent_us = 50 * MS;
    c.attempt(a);
    let m = c.finish();
    assert_eq!(m.predicates.len(), 2);
    let all = m.scenarios[0].select(|_| true);
    let r = all.requests(None);
    assert_eq!(
        (r.count, r.failed, r.no_status, r.late, r.injected),
        (3, 2, 1, 1, 1)
    );
    assert_eq!(r.by_status.get(&200), Some(&1));
    assert_eq!(r.by_status.get(&429), Some(&1));
    assert_eq!(
        (r.errors(ErrorClass::Status), r.errors(ErrorClass::Timeout)),
        (1, 1)
    );
    assert_eq!(r.fires.get(&1), Some(&1));
    assert_eq!(r.flags.get(&0), Some(&(1, 1)));
    assert_3_digits(r.captures[&1].percentile(1.0), 120_000);
    assert_eq!(r.matches, vec![1, 1]);
    assert_eq!(all.attempts(Some(1)), 2);
    assert_eq!(all.requests(Some(0)).matches, vec![0, 1]);
}

#[test]
fn iterations_keep_outcomes_retries_cost_and_step_time() {
    let p = plan(&["x"], vec![], &[]);
    let mut c = Collector::new(&p, 0);
    for k in 0..10u64 {
        let mut i = iteration(0, k * S, 2 * S);
        i.retries = k as u32;
        i.retries_by = vec![(RetryOn::Status(429), k as u32)];
        i.cost = 0.001 * (k + 1) as f64;
        i.step_durations_us = vec![(1, 500 * MS)];
        if k == 9 {
            i.outcome = Outcome::BudgetExceeded;
            i.budget_exceeded_during_retry = true;
        }
        c.iteration(i);
    }
    c.dropped(0, None, 12 * S);
    let m = c.finish();
    let all = m.scenarios[0].select(|_| true);
    let it = all.iterations();
    assert_eq!(it.count, 10);
    assert_eq!(it.outcome(Outcome::Success), 9);
    assert_eq!(it.outcome(Outcome::BudgetExceeded), 1);
    assert_eq!(it.budget_exceeded_during_retry, 1);
    assert_eq!(it.retries.percentile(0.5), Some(4));
    assert_eq!(all.retries_by(RetryOn::Status(429)), 45);
    assert_eq!(all.retries_by(RetryOn::Class(4)), 45);
    assert_eq!(all.retries_by(RetryOn::Timeout), 0);
    let p95_cost = it.cost.percentile_scaled(0.95, MONEY_SCALE).unwrap();
    assert!((p95_cost - 0.010).abs() < 1e-5, "{p95_cost}");
    assert_3_digits(it.step_durations[&1].percentile(0.5), 500 * MS);
    assert_3_digits(it.duration.percentile(0.5), 2 * S);
    assert_eq!(all.dropped(), 1);
    assert_eq!(m.scenarios[0].end_us, 12 * S);
}

#[test]
fn windows_are_kept_only_for_the_lengths_asked() {
    let mut p = plan(&["x"], vec![], &[]);
    let mut s = slo(
        "p95(latency) < 1s in every 10s",
        p95(crate::plan::Quantity::Latency),
        CmpOp::Lt,
        konst(1e6, Unit::Duration),
    );
    s.every = Some(Duration(10 * S));
    p.tests[0].slos = vec![s];
    let mut c = Collector::new(&p, 0);
    for k in 0..25u64 {
        c.attempt(attempt(0, 0, k * S, 100 * MS));
    }
    let m = c.finish();
    assert_eq!(m.window_lengths, vec![10 * S]);
    let sc = &m.scenarios[0];
    assert_eq!(
        sc.window_indices(10 * S).into_iter().collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(sc.select_window(10 * S, 2, |_| true).attempts(None), 5);
    assert!(
        sc.select_window(10 * S, 0, |_| true)
            .requests(None)
            .service
            .is_empty()
    );
}

#[test]
fn recent_slots_slide_by_end_time() {
    let mut p = plan(&["x"], vec![], &[]);
    p.tests[0].aborts = vec![crate::plan::Abort {
        text: "error_rate > 50% over 10s".into(),
        origin: crate::source::Span::new(0, 1),
        line: 1,
        lhs: metric(Metric::ErrorRate),
        op: CmpOp::Gt,
        rhs: konst(50.0, Unit::Percent),
        over: Some(Duration(10 * S)),
    }];
    let mut c = Collector::new(&p, 0);
    for k in 0..60u64 {
        let mut a = attempt(0, 0, k * S, 10 * MS);
        a.failed = k >= 50;
        c.attempt(a);
    }
    let last = c.recent(0, 10 * S, 60 * S).unwrap();
    let sel = Selection::new(vec![&last]);
    assert_eq!(sel.requests(None).count, 10);
    assert_eq!(sel.requests(None).failed, 10);
    // slots older than the longest `over` are pruned: memory stays bounded
    let old = c.recent(0, 10 * S, 20 * S).unwrap();
    assert_eq!(Selection::new(vec![&old]).attempts(None), 0);
}

/// `rate 10/m for 90s`: 15 arrivals, 6 s apart, the last at 84 s. Throughput is 15 per 90 s of
/// the stage (10/m), not 15 per the 84 s between the first and the last request (10.7/m).
#[test]
fn throughput_divides_by_the_scheduled_length_not_the_request_span() {
    let rate = Stage {
        kind: StageKind::Rate {
            from: 10.0 / 60.0,
            to: 10.0 / 60.0,
            duration: Duration(90 * S),
            max_users: 5,
        },
        phase: None,
        limit: None,
    };
    let p = plan(&["x"], vec![rate], &[]);
    let mut c = Collector::new(&p, 0);
    c.scenario_started(0);
    for k in 0..15 {
        c.attempt(attempt(0, 0, k * 6 * S, 50 * MS));
    }
    // The engine ends a timed stage at its end.
    c.scenario_finished(0, 90 * S);
    let m = c.finish();
    let tp = m
        .select(&m.scenarios[0], |_| true)
        .throughput(None)
        .unwrap();
    assert!((tp * 60.0 - 10.0).abs() < 1e-9, "{} per minute", tp * 60.0);

    // Interrupted at 30 s after 5 arrivals: 5 per 30 s.
    let mut c = Collector::new(&p, 0);
    c.scenario_started(0);
    for k in 0..5 {
        c.attempt(attempt(0, 0, k * 6 * S, 50 * MS));
    }
    c.scenario_finished(0, 30 * S);
    let m = c.finish();
    let tp = m
        .select(&m.scenarios[0], |_| true)
        .throughput(None)
        .unwrap();
    assert!((tp * 60.0 - 10.0).abs() < 1e-9, "{} per minute", tp * 60.0);
}

/// `repeat 2 { hold 1 users for 10s  hold 1 users for 10s as calm }`: calm is 2 × 10 s; its 40
/// requests are 2/s, not 40 over the 30 s from the first calm request to the last (with the
/// other stage in between).
#[test]
fn throughput_of_a_phase_repeated_sums_its_stages_lengths() {
    let stages = vec![
        hold(10, None),
        hold(10, Some(0)),
        hold(10, None),
        hold(10, Some(0)),
    ];
    let p = plan(&["x"], stages, &["calm"]);
    let mut c = Collector::new(&p, 0);
    c.scenario_started(0);
    for (start, phase) in [(0, None), (10, Some(0)), (20, None), (30, Some(0))] {
        for i in 0..20 {
            let mut a = attempt(0, 0, start * S + i * 500 * MS, 10 * MS);
            a.phase = phase;
            c.attempt(a);
        }
    }
    c.scenario_finished(0, 40 * S);
    let m = c.finish();
    let calm = PhaseRef {
        when: PhaseKind::During,
        name: "calm".into(),
    };
    let sel = m.select(&m.scenarios[0], |s| {
        m.timeline.selects(&calm, s) == Some(true)
    });
    assert_eq!(sel.attempts(None), 40);
    assert_eq!(sel.throughput(None), Some(2.0));
    // The whole run: 80 requests over 40 s.
    assert_eq!(
        m.select(&m.scenarios[0], |_| true).throughput(None),
        Some(2.0)
    );
}

/// Timed-out attempts were not served: 10 attempts in a 10 s stage, 4 of them timeouts, is
/// 0.6/s.
#[test]
fn throughput_counts_only_answered_attempts() {
    let p = plan(&["x"], vec![hold(10, None)], &[]);
    let mut c = Collector::new(&p, 0);
    c.scenario_started(0);
    for i in 0..10 {
        let mut a = attempt(0, 0, i * S, 10 * MS);
        if i % 3 == 0 {
            a.status = None;
            a.failed = true;
            a.error = Some(crate::samples::ErrorClass::Timeout);
        }
        c.attempt(a);
    }
    c.scenario_finished(0, 10 * S);
    let m = c.finish();
    let tp = m
        .select(&m.scenarios[0], |_| true)
        .throughput(None)
        .unwrap();
    assert!((tp - 0.6).abs() < 1e-12, "{tp}");
}

/// `rate(cached)` without `step X:` over a workload whose step `chat` captures `cached` and
/// whose step `explain` does not: true on 10 of chat's 10 requests is 100 %, not 10 of 20.
#[test]
fn rate_of_a_capture_counts_the_requests_that_recorded_it() {
    let mut p = plan(&["x"], vec![], &[]);
    let cached = metric(Metric::Rate(Expr::Var("cached".into())));
    p.tests[0].slos = vec![slo(
        "rate(cached) == 100%",
        cached.clone(),
        CmpOp::Eq,
        konst(100.0, Unit::Percent),
    )];
    let mut c = Collector::new(&p, 0);
    for i in 0..10 {
        let mut chat = attempt(0, 0, i * S, 10 * MS);
        chat.captures = vec![(0, CaptureValue::Bool(true))];
        c.attempt(chat);
        c.attempt(attempt(0, 1, i * S + 20 * MS, 10 * MS));
    }
    let m = c.finish();
    let (v, unit) = measure::side(&cached, &m, &measure::Scope::Run(&m.scenarios[0])).unwrap();
    assert_eq!((v, unit), (100.0, Unit::Percent));
}
