//! Tests of the HTML page: self-contained, escaped, one SVG per chart, deterministic, and
//! sane on edge cases (no requests, no series, 50 scenarios, very long names). Two ignored
//! tests write sample pages to /tmp/stress-shot/ to look at.

use super::charts::fit_mid;
use super::charts::latency::latency_metric;
use super::{base_name, render, wbr};
use crate::artifacts::model::{PhaseSpan, ScenarioSeries, SeriesPoint, TestRecord};
use crate::ast::PhaseKind;
use crate::metrics::testkit::*;
use crate::metrics::{Collector, ErrorClass, Injected};
use crate::plan::Unit;
use crate::plan::{Chaos, CmpOp, Metric, Outcome, Plan, Quantity, SloExpr};
use crate::units::Duration;

/// splitmix64: deterministic noise for synthetic samples.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    }
}

/// One synthetic request attempt.
struct Shot {
    scenario: usize,
    step: usize,
    at_us: u64,
    latency_us: u64,
    status: Option<u16>,
    error: Option<ErrorClass>,
}

const STAGES: [(&str, u64, u64); 3] = [("warm", 0, 10), ("steady", 10, 50), ("cooldown", 50, 60)];
const CHAOS: (u64, u64) = (25, 40);

fn stage_of(at_us: u64) -> usize {
    STAGES
        .iter()
        .position(|(_, a, b)| at_us >= a * S && at_us < b * S)
        .unwrap_or(STAGES.len() - 1)
}

/// Requests of five scenarios over 60s: ramp up, steady, cool down; a chaos window.
fn shots(scenarios: &[&str]) -> Vec<Shot> {
    let mut n = Noise(42);
    let mut out = Vec::new();
    for (si, name) in scenarios.iter().enumerate() {
        for sec in 0..60u64 {
            let rps = match sec {
                0..10 => 4 + sec * 2,
                10..50 => 24,
                _ => 24 - (sec - 50) * 2,
            };
            let chaos = (CHAOS.0..CHAOS.1).contains(&sec);
            for k in 0..rps {
                let at_us = sec * S + k * S / rps;
                let base = 60.0 + 90.0 * n.next() + 250.0 * n.next().powi(8);
                let roll = n.next();
                let (mut ms, mut status, mut error) = (base, Some(200), None);
                match *name {
                    "high_429s" if roll < 0.3 => {
                        ms = 8.0 + 10.0 * n.next();
                        status = Some(429);
                        error = Some(ErrorClass::Status);
                    }
                    "slow_provider" if roll < 0.5 => ms += 2000.0 * (0.8 + 0.4 * n.next()),
                    "outage" if chaos && roll < 0.7 => {
                        ms = 20.0 + 30.0 * n.next();
                        status = Some(503);
                        error = Some(ErrorClass::Status);
                    }
                    "outage" if chaos => ms *= 3.0,
                    "stalls" if roll < 0.2 => {
                        ms = 1000.0;
                        status = None;
                        error = Some(ErrorClass::Timeout);
                    }
                    _ => {}
                }
                let step = usize::from(k % 3 == 2);
                if step == 1 {
                    ms *= 0.6;
                }
                out.push(Shot {
                    scenario: si,
                    step,
                    at_us,
                    latency_us: (ms * 1000.0) as u64,
                    status,
                    error,
                });
            }
        }
    }
    out
}

fn bad_day_plan(scenarios: &[&str]) -> Plan {
    let stages = STAGES
        .iter()
        .enumerate()
        .map(|(i, (_, a, b))| hold(b - a, Some(i)))
        .collect();
    let names: Vec<&str> = STAGES.iter().map(|s| s.0).collect();
    let mut p = plan(scenarios, stages, &names);
    let t = &mut p.tests[0];
    t.name = "bad day at the provider".into();
    t.chaos = Some(Chaos {
        from: Duration(CHAOS.0 * S),
        to: Duration(CHAOS.1 * S),
        scenarios: vec![],
        start: vec![],
        stop: vec![],
        at_proxy: None,
    });
    let mut success = slo(
        "success_rate >= 90%",
        metric(Metric::SuccessRate),
        CmpOp::Ge,
        konst(90.0, Unit::Percent),
    );
    success.line = 45;
    let mut every = slo(
        "p95(latency) < 500ms in every 10s",
        p95(Quantity::Latency),
        CmpOp::Lt,
        konst(500_000.0, Unit::Duration),
    );
    every.every = Some(Duration(10 * S));
    every.line = 46;
    let mut chaos = slo(
        "p95(latency) during chaos < 3 * p95(latency) before chaos",
        during(p95(Quantity::Latency), PhaseKind::During, "chaos"),
        CmpOp::Lt,
        SloExpr::Mul(
            Box::new(konst(3.0, Unit::Number)),
            Box::new(during(p95(Quantity::Latency), PhaseKind::Before, "chaos")),
        ),
    );
    chaos.line = 47;
    let mut base = slo(
        "success_rate == 100%",
        metric(Metric::SuccessRate),
        CmpOp::Eq,
        konst(100.0, Unit::Percent),
    );
    base.scenario = Some("baseline".into());
    base.line = 48;
    t.slos = vec![success, every, chaos, base];
    p
}

/// Per second percentile of sorted `v`.
fn q(v: &[u64], q: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn series_of(shots: &[Shot], scenarios: &[&str]) -> Vec<ScenarioSeries> {
    let mut phases: Vec<PhaseSpan> = STAGES
        .iter()
        .map(|(name, a, b)| PhaseSpan {
            name: name.to_string(),
            start_us: a * S,
            end_us: b * S,
        })
        .collect();
    phases.push(PhaseSpan {
        name: "chaos".into(),
        start_us: CHAOS.0 * S,
        end_us: CHAOS.1 * S,
    });
    scenarios
        .iter()
        .enumerate()
        .map(|(si, name)| {
            let points = (0..60u64)
                .map(|sec| {
                    let these: Vec<&Shot> = shots
                        .iter()
                        .filter(|s| s.scenario == si && s.at_us / S == sec)
                        .collect();
                    let mut lat: Vec<u64> = these.iter().map(|s| s.latency_us).collect();
                    lat.sort_unstable();
                    SeriesPoint {
                        t_s: sec,
                        requests: these.len() as u64,
                        errors: these.iter().filter(|s| s.error.is_some()).count() as u64,
                        p50_us: q(&lat, 0.5),
                        p90_us: q(&lat, 0.9),
                        p99_us: q(&lat, 0.99),
                        max_us: q(&lat, 1.0),
                        users: 4,
                        classes: [these.len() as u64, 0, 0, 0, 0],
                        ..SeriesPoint::default()
                    }
                })
                .collect();
            ScenarioSeries {
                scenario: name.to_string(),
                started_at: None,
                points,
                phases: phases.clone(),
            }
        })
        .collect()
}

/// A realistic record: five scenarios of a bad day at an LLM provider over 60s.
fn bad_day() -> TestRecord {
    let scenarios = ["baseline", "high_429s", "slow_provider", "outage", "stalls"];
    let p = bad_day_plan(&scenarios);
    let shots = shots(&scenarios);
    let mut c = Collector::new(&p, 0);
    for si in 0..scenarios.len() {
        c.scenario_started(si);
    }
    for s in &shots {
        let mut a = attempt(s.scenario, s.step, s.at_us, s.latency_us);
        a.phase = Some(stage_of(s.at_us));
        a.status = s.status;
        a.error = s.error;
        a.failed = s.error.is_some();
        if a.failed {
            a.injected = Some(Injected {
                rule: 0,
                fault: None,
            });
        }
        c.attempt(a);
        if s.step == 1 {
            let mut it = iteration(s.scenario, s.at_us, s.latency_us * 3);
            it.phase = Some(stage_of(s.at_us));
            it.cost = 0.0004 + s.latency_us as f64 * 1e-9;
            if s.error.is_some() {
                it.retries = 2;
                it.outcome = if s.scenario == 3 {
                    Outcome::BudgetExceeded
                } else {
                    Outcome::Success
                };
            }
            c.iteration(it);
        }
    }
    for si in 0..scenarios.len() {
        c.scenario_finished(si, 60 * S);
    }
    let m = c.finish();
    let v = crate::slo::evaluate(&p, 0, &m);
    TestRecord {
        file: "scenarios/bad_day.stress".into(),
        report: crate::report::build(&p, 0, &m, &v, 42, false),
        series: series_of(&shots, &scenarios),
        services: vec![cache_service()],
    }
}

/// A service `cache` sampled every second while `baseline` and `outage` ran: RSS that
/// grows slowly with a GC-like saw-tooth, CPU that follows the load, and a restart in the
/// middle of the chaos window (no samples while it was down, RSS back to its start after).
fn cache_service() -> crate::metrics::ServiceData {
    use crate::metrics::{Sample, ScenarioSpan, ServiceData, ServiceRecord};
    let mut n = Noise(7);
    let mut samples = Vec::new();
    // `baseline` at 0–60 s, `outage` at 70–130 s on the services' clock.
    for (start, restart) in [(0u64, None), (70, Some(33u64))] {
        let mut base = 48.0;
        for sec in 0..=60u64 {
            if restart.is_some_and(|r| sec == r || sec == r + 1) {
                continue;
            }
            if restart == Some(sec.saturating_sub(2)) && sec >= 2 {
                base = 48.0;
            }
            base += 0.35;
            let saw = (sec % 12) as f64 * 0.6;
            samples.push(Sample {
                t_us: (start + sec) * S,
                rss: ((base + saw + n.next()) * 1024.0 * 1024.0) as u64,
                cpu: (sec > 0).then(|| 20.0 + 25.0 * n.next()),
                fds: 40 + (n.next() * 6.0) as u64,
                threads: 9,
                procs: 2,
            });
        }
    }
    let span = |name: &str, start: u64| ScenarioSpan {
        scenario: name.into(),
        start_us: start * S,
        end_us: (start + 60) * S,
    };
    ServiceData {
        services: vec![ServiceRecord {
            name: "cache".into(),
            ready_after_us: Some(420_000),
            sample_every_us: S,
            samples,
            restarts: vec![(70 + 34) * S],
            failure: None,
            killed_after_grace: false,
        }],
        scenarios: vec![span("baseline", 0), span("outage", 70)],
        scrapes: vec![],
        machine: None,
        shard: None,
    }
}

/// A small passing test: one scenario, no stages.
fn smoke() -> TestRecord {
    let mut p = plan(&["quickstart"], vec![hold(20, None)], &[]);
    p.tests[0].name = "smoke: checkout".into();
    let mut ok = slo(
        "p95(latency) < 300ms",
        p95(Quantity::Latency),
        CmpOp::Lt,
        konst(300_000.0, Unit::Duration),
    );
    ok.line = 9;
    p.tests[0].slos = vec![ok];
    let mut c = Collector::new(&p, 0);
    let mut n = Noise(7);
    let mut points = Vec::new();
    for sec in 0..20u64 {
        let mut lat = Vec::new();
        for k in 0..10 {
            let l = (40.0 + 60.0 * n.next()) as u64 * MS;
            c.attempt(attempt(0, 0, sec * S + k * 100 * MS, l));
            lat.push(l);
        }
        lat.sort_unstable();
        points.push(SeriesPoint {
            t_s: sec,
            requests: 10,
            errors: 0,
            p50_us: q(&lat, 0.5),
            p90_us: q(&lat, 0.9),
            p99_us: q(&lat, 0.99),
            max_us: q(&lat, 1.0),
            ..SeriesPoint::default()
        });
    }
    c.scenario_finished(0, 20 * S);
    let m = c.finish();
    let v = crate::slo::evaluate(&p, 0, &m);
    TestRecord {
        file: "scenarios/quickstart.stress".into(),
        report: crate::report::build(&p, 0, &m, &v, 7, false),
        series: vec![ScenarioSeries {
            scenario: "quickstart".into(),
            started_at: None,
            points,
            phases: vec![],
        }],
        services: vec![],
    }
}

fn charts(html: &str) -> usize {
    html.matches("<figure class=\"chart\">").count()
}

/// Charts the page should hold: per test, 2 comparison bars (when compared), and per
/// scenario latency + throughput over time and one chart per service that ran during it
/// (when it has a series) and the spectrum.
fn expected_charts(records: &[TestRecord]) -> usize {
    records
        .iter()
        .map(|r| {
            let cmp = if r.report.comparison.is_empty() { 0 } else { 2 };
            let per: usize = r
                .report
                .scenarios
                .iter()
                .map(|sc| {
                    let series = r.series.iter().any(|x| x.scenario == sc.name);
                    let services: usize = r
                        .services
                        .iter()
                        .filter(|d| d.scenarios.iter().any(|s| s.scenario == sc.name))
                        .map(|d| d.services.len())
                        .sum();
                    // latency, throughput, users, classes, lag over time; the distribution.
                    1 + if series { 5 + services } else { 0 }
                })
                .sum();
            cmp + per
        })
        .sum()
}

#[test]
fn a_service_chart_per_service_and_scenario_with_its_samples_and_restart() {
    let r = bad_day();
    let html = render(std::slice::from_ref(&r));
    assert_eq!(
        html.matches("aria-label=\"service cache: memory and CPU over time\"")
            .count(),
        2,
        "one chart for `baseline`, one for `outage`"
    );
    // The restart at 34 s into `outage`, drawn once.
    assert_eq!(html.matches("class=\"restart\"").count(), 1);
    // Every bucket's `data-rss` is the peak of that second's sample; none is made up.
    let rss: Vec<u64> = r.services[0].services[0]
        .samples
        .iter()
        .map(|s| s.rss)
        .collect();
    let shown: Vec<u64> = html
        .split("data-rss=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    // 61 one-second buckets per scenario (its series runs to 61 s); the two seconds `cache`
    // was down have none.
    assert_eq!(shown.len(), 2 * 61 - 2, "{shown:?}");
    assert!(shown.iter().all(|v| rss.contains(v)));
    assert!(html.contains("no sample (service down?)"));
    // What the chart's time axis leaves out is said, with the file that has it: `baseline`
    // (0–60 s) has `outage`'s 59 samples after it, `outage` (70–130 s) `baseline`'s 61 before.
    assert!(
        html.contains(
            "outside this chart: 0 before this scenario (start-up included), 59 after it"
        ),
        "baseline"
    );
    assert!(
        html.contains(
            "outside this chart: 61 before this scenario (start-up included), 0 after it"
        ),
        "outage"
    );
    assert!(html.contains("every sample is in services/cache.csv"));
}

#[test]
fn loads_nothing_from_the_network() {
    let html = render(&[bad_day(), smoke()]);
    let rest = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!rest.contains("http://"), "http:// in the page");
    assert!(!rest.contains("https://"), "https:// in the page");
    assert!(!rest.contains("<link"));
    assert!(!rest.contains(" src="));
    assert!(!rest.contains("@import"));
    assert!(!rest.contains("url("));
}

#[test]
fn escapes_user_text() {
    let mut r = smoke();
    r.report.test = "<script>alert(1)</script> & \"friends\"".into();
    r.report.scenarios[0].name = "<b>x</b>".into();
    r.series[0].scenario = "<b>x</b>".into();
    r.report.slos[0].text = "p95(latency) < 300ms <img onerror=x>".into();
    r.report.slos[0].scenario = "<b>x</b>".into();
    let html = render(&[r]);
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;"));
    assert!(!html.contains("<b>x</b>"));
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;img onerror=x&gt;"));
}

/// Hostile text in every place user text reaches the page (names, paths, SLO text, bound
/// expressions, error messages, stage names) comes out as text, never as markup or as a way
/// out of an attribute.
#[test]
fn escapes_user_text_everywhere() {
    const EVIL: &str = "<x y=\"1\" z='2'>&";
    let evil = |s: &mut String| s.push_str(EVIL);
    let mut r = bad_day();
    r.file = format!("dir/{EVIL}.stress");
    evil(&mut r.report.test);
    for sc in &mut r.report.scenarios {
        evil(&mut sc.name);
        sc.parts = vec![EVIL.into(), "b".into()];
        for t in &mut sc.timings {
            t.step = t.step.as_ref().map(|s| format!("{s}{EVIL}"));
        }
        let rq = &mut sc.requests;
        for c in rq.statuses.iter_mut().chain(&mut rq.errors) {
            evil(&mut c.name);
        }
        for c in sc.outcomes.iter_mut().chain(&mut sc.retries.by_reason) {
            evil(&mut c.name);
        }
        for p in &mut sc.phases {
            evil(&mut p.name);
        }
        for f in &mut sc.faults {
            evil(&mut f.name);
        }
    }
    for row in &mut r.report.comparison {
        evil(&mut row.scenario);
    }
    for s in &mut r.report.slos {
        evil(&mut s.text);
        evil(&mut s.scenario);
        evil(&mut s.metric);
        s.message = Some(EVIL.into());
        s.bound_expr = Some(EVIL.into());
    }
    for se in &mut r.series {
        evil(&mut se.scenario);
        for p in &mut se.phases {
            evil(&mut p.name);
        }
    }
    let html = render(&[r.clone(), smoke()]);
    assert!(!html.contains("<x"), "user text became markup");
    assert!(!html.contains("y=\"1\""), "user text left an attribute");
    let escaped = "&lt;x y=&quot;1&quot; z='2'&gt;&amp;";
    assert!(
        html.matches(escaped).count() > 100,
        "user text is shown, escaped"
    );
    assert_eq!(charts(&html), expected_charts(&[r, smoke()]));
}

#[test]
fn one_svg_per_chart() {
    let records = [bad_day(), smoke()];
    let html = render(&records);
    let expected = expected_charts(&records);
    assert_eq!(expected, 5 * 6 + 2 + 6 + 2);
    assert_eq!(charts(&html), expected);
    assert_eq!(html.matches("<svg").count(), expected);
    assert_eq!(html.matches("</svg>").count(), expected);
}

#[test]
fn same_input_same_output() {
    let records = [bad_day(), smoke()];
    let a = render(&records);
    let b = render(&records.clone());
    assert_eq!(a, b);
    assert_eq!(a, render(&[bad_day(), smoke()]));
}

#[test]
fn shows_verdict_slos_and_units() {
    let html = render(&[bad_day()]);
    assert!(html.contains("<span class=\"badge fail\">FAILED</span>"));
    assert!(html.contains("scenarios/bad_day.stress:46"));
    assert!(html.contains(">✗</td>") && html.contains(">✓</td>"));
    assert!(html.contains("500ms"));
    for stage in ["warm", "steady", "cooldown", "chaos"] {
        assert!(
            html.contains(&format!(">{stage}</text>")),
            "{stage} lane label"
        );
    }
    assert!(!html.contains("NaN") && !html.contains("inf\""));
}

#[test]
fn edge_cases_render() {
    let base = bad_day();
    // Zero requests, one point, no series, a very long name.
    let mut r = base.clone();
    let mut empty = r.report.scenarios[0].clone();
    empty.name = "idle".into();
    empty.requests.count = 0;
    empty.requests.failed = 0;
    empty.requests.error_rate_pct = None;
    empty.requests.throughput_per_s = None;
    empty.requests.statuses.clear();
    empty.timings.clear();
    empty.iterations = 0;
    empty.outcomes.clear();
    r.report.scenarios.push(empty);
    r.series.push(ScenarioSeries {
        scenario: "idle".into(),
        started_at: None,
        points: vec![SeriesPoint::default()],
        phases: vec![],
    });
    r.series[1].points.truncate(1);
    r.series[1].phases.clear();
    r.series.remove(2);
    r.report.test = "x".repeat(400);
    let html = render(&[r.clone()]);
    assert_eq!(charts(&html), expected_charts(&[r]));
    assert!(html.contains("no requests"));
    assert!(html.contains("No time series"));
    assert!(!html.contains("NaN"));

    // 50 scenarios.
    let mut r = base.clone();
    let proto = r.report.scenarios[1].clone();
    let row = r.report.comparison[1].clone();
    let series = r.series[1].clone();
    r.report.scenarios.clear();
    r.report.comparison.clear();
    r.series.clear();
    for i in 0..50 {
        let name = format!("scenario_{i:02}_with_a_rather_long_name");
        let mut sc = proto.clone();
        sc.name = name.clone();
        r.report.scenarios.push(sc);
        let mut cr = row.clone();
        cr.scenario = name.clone();
        r.report.comparison.push(cr);
        let mut se = series.clone();
        se.scenario = name;
        r.series.push(se);
    }
    let html = render(&[r.clone()]);
    assert_eq!(charts(&html), expected_charts(&[r]));

    // Nothing at all.
    let html = render(&[]);
    assert!(html.contains("No test ran."));
    assert_eq!(html.matches("<svg").count(), 0);
}

#[test]
fn latency_bounds_read_step_and_phase() {
    assert_eq!(latency_metric("p95(latency)"), Some(None));
    assert_eq!(latency_metric("step chat: max(latency)"), Some(None));
    assert_eq!(
        latency_metric("p99.9(latency) during chaos"),
        None,
        "p999 is written without the dot"
    );
    assert_eq!(
        latency_metric("p95(latency) before chaos"),
        Some(Some(("before".into(), "chaos".into())))
    );
    assert_eq!(latency_metric("p95(latency) - p50(latency)"), None);
    assert_eq!(latency_metric("p95(duration)"), None);
    assert_eq!(wbr("slow_provider").into_string(), "slow_<wbr>provider");
    assert_eq!(base_name("scenarios/bad_day.stress"), "bad_day.stress");
    assert_eq!(
        fit_mid("generated_scenario_number_07", 13.0 * 6.6, 11.0).as_deref(),
        Some("genera…ber_07")
    );
}

/// Writes the edge cases (a very long name, an idle scenario, 50 scenarios) to
/// /tmp/stress-shot/edge.html, to look at.
#[test]
#[ignore]
fn write_edge_html() {
    let mut r = bad_day();
    r.report.test = format!("{} <b>not bold</b>", "a_very_long_test_name_".repeat(12));
    let proto = r.report.scenarios[1].clone();
    let row = r.report.comparison[1].clone();
    let series = r.series[1].clone();
    for i in 0..45 {
        let name = format!("generated_scenario_number_{i:02}");
        let mut sc = proto.clone();
        sc.name = name.clone();
        r.report.scenarios.push(sc);
        let mut cr = row.clone();
        cr.scenario = name.clone();
        cr.p95_duration_us = cr.p95_duration_us.map(|v| v + i * 37_000);
        r.report.comparison.push(cr);
        let mut se = series.clone();
        se.scenario = name;
        se.points.truncate(1 + i as usize);
        r.series.push(se);
    }
    r.report.scenarios[2].timings.clear();
    r.report.scenarios[2].requests.count = 0;
    r.series[2].points.iter_mut().for_each(|p| {
        *p = SeriesPoint {
            t_s: p.t_s,
            ..SeriesPoint::default()
        }
    });
    r.series.remove(3);
    std::fs::create_dir_all("/tmp/stress-shot").expect("mkdir");
    std::fs::write("/tmp/stress-shot/edge.html", render(&[r])).expect("write");
}

/// Writes the text and Markdown reports of the sample records to /tmp/stress-shot/, to
/// compare the three renderers side by side.
#[test]
#[ignore]
fn write_sample_text_and_markdown() {
    let dir = std::path::Path::new("/tmp/stress-shot");
    std::fs::create_dir_all(dir).expect("create /tmp/stress-shot");
    let (mut text, mut md) = (String::new(), String::new());
    for r in [bad_day(), smoke()] {
        text.push_str(&crate::report::render_text(&r.report, false));
        md.push_str(&crate::report::render_markdown(&r.report));
    }
    std::fs::write(dir.join("report.txt"), text).expect("write report.txt");
    std::fs::write(dir.join("report.md"), md).expect("write report.md");
}

/// Writes a realistic page to /tmp/stress-shot/report.html for `docs/screenshots/take.sh`.
#[test]
#[ignore]
fn write_sample_html() {
    let dir = std::path::Path::new("/tmp/stress-shot");
    std::fs::create_dir_all(dir).expect("create /tmp/stress-shot");
    let html = render(&[bad_day(), smoke()]);
    std::fs::write(dir.join("report.html"), html).expect("write report.html");
}
