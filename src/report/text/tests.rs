//! Snapshot of the text report on synthetic metrics with fixed numbers.

use crate::ast::PhaseKind;
use crate::metrics::testkit::*;
use crate::metrics::{CaptureValue, Collector, ErrorClass, Injected};
use crate::plan::{
    CmpOp, FaultRule, Metric, Outcome, Plan, Quantity, RetryOn, RuleWhen, SloExpr, Unit,
};
use crate::units::Duration;

use super::{left, right, table};

fn fixture() -> Plan {
    let mut p = plan(
        &["baseline", "high_429s"],
        vec![hold(20, Some(0)), hold(20, Some(1))],
        &["warm", "calm"],
    );
    let t = &mut p.tests[0];
    t.scenarios[1].rules = vec![FaultRule {
        label: "error_rate(30%, 429)".into(),
        when: RuleWhen::Probability(0.3),
        delay: None,
        fault: Some(crate::plan::Fault::Status {
            status: 429,
            retry_after: None,
        }),
    }];
    let mut every = slo(
        "p95(latency) < 500ms in every 10s",
        p95(Quantity::Latency),
        CmpOp::Lt,
        konst(500_000.0, Unit::Duration),
    );
    every.every = Some(Duration(10_000_000));
    every.line = 12;
    let mut only_base = slo(
        "success_rate == 100%",
        metric(Metric::SuccessRate),
        CmpOp::Eq,
        konst(100.0, Unit::Percent),
    );
    only_base.scenario = Some("baseline".into());
    only_base.line = 13;
    let mut calm = slo(
        "count(status == 429) == 0 during calm",
        during(
            metric(Metric::Count(crate::plan::Expr::Bool(true))),
            PhaseKind::During,
            "calm",
        ),
        CmpOp::Eq,
        konst(0.0, Unit::Number),
    );
    calm.line = 14;
    let mut success = slo(
        "success_rate >= 90%",
        metric(Metric::SuccessRate),
        CmpOp::Ge,
        konst(90.0, Unit::Percent),
    );
    success.line = 11;
    let half = SloExpr::Mul(
        Box::new(konst(0.5, Unit::Number)),
        Box::new(during(
            metric(Metric::Throughput),
            PhaseKind::During,
            "warm",
        )),
    );
    let mut relative = slo(
        "throughput >= 50% * throughput during warm",
        metric(Metric::Throughput),
        CmpOp::Ge,
        half,
    );
    relative.line = 15;
    relative.scenario = Some("baseline".into());
    t.slos = vec![success, every, only_base, calm, relative];
    p
}

fn feed(c: &mut Collector) {
    for scenario in 0..2usize {
        let slow = scenario as u64;
        for k in 0..40u64 {
            let at = k * 500 * MS;
            let mut a = attempt(
                scenario,
                0,
                at,
                120 * MS + (k % 10) * 10 * MS + slow * k * 20 * MS,
            );
            a.phase = Some(0);
            a.sent_us = at + if k % 20 == 0 { 15 * MS } else { 0 };
            a.captures = vec![
                (0, CaptureValue::Bool(k % 4 == 0)),
                (1, CaptureValue::Number(100.0 + k as f64)),
            ];
            if scenario == 1 && k % 3 == 0 {
                a.status = Some(429);
                a.failed = true;
                a.error = Some(ErrorClass::Status);
                a.injected = Some(Injected {
                    rule: 0,
                    fault: None,
                });
            }
            c.attempt(a);
            if k % 2 == 0 {
                let mut e = attempt(scenario, 1, at + 200 * MS, 80 * MS);
                e.phase = Some(0);
                c.attempt(e);
            }
        }
        for k in 0..20u64 {
            let mut i = iteration(scenario, k * S, 900 * MS + slow * k * 50 * MS);
            i.phase = Some(0);
            i.cost = 0.002 + 0.0001 * k as f64 + 0.004 * slow as f64;
            i.step_durations_us = vec![(1, 80 * MS)];
            if scenario == 1 {
                i.retries = (k % 5) as u32;
                i.retries_by = vec![(RetryOn::Status(429), (k % 5) as u32)];
                if k >= 18 {
                    i.outcome = Outcome::BudgetExceeded;
                    i.budget_exceeded_during_retry = true;
                }
            }
            c.iteration(i);
        }
    }
    c.dropped(1, Some(0), 19 * S);
}

fn render(color: bool) -> String {
    let p = fixture();
    let mut c = Collector::new(&p, 0);
    feed(&mut c);
    let m = c.finish();
    let v = crate::slo::evaluate(&p, 0, &m);
    super::super::text(&p, 0, &m, &v, 42, false, color)
}

#[test]
fn text_report_snapshot() {
    let out = render(false);
    assert!(!out.contains('\x1b'));
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn color_only_when_asked() {
    assert!(render(true).contains("\x1b[31m✗"));
}

#[test]
fn report_model_serializes() {
    let p = fixture();
    let mut c = Collector::new(&p, 0);
    feed(&mut c);
    let m = c.finish();
    let v = crate::slo::evaluate(&p, 0, &m);
    let r = super::super::build(&p, 0, &m, &v, 42, true);
    let json = serde_json::to_value(&r).expect("serializes");
    assert_eq!(json["scenarios"][1]["requests"]["failed"], 14);
    assert_eq!(json["comparison"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["interrupted"], true);
}

#[test]
fn table_cuts_long_cells_and_keeps_minimum_widths() {
    let rows = vec![
        vec!["a".repeat(50), "7".into(), "x".into()],
        vec!["b".into(), "1234567".into(), "y".into()],
    ];
    let cols = [left(0, 8).at_most(44), right(2, 6), left(1, 0)];
    let lines = table(rows, &cols);
    assert_eq!(lines[0], format!("{}…        7 x", "a".repeat(43)));
    assert_eq!(lines[1], format!("b{}  1234567 y", " ".repeat(43)));
}
