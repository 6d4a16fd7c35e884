//! The Markdown report (GitHub-flavoured tables): one section per test, SLOs first (what a
//! CI reader looks for), then per scenario tables. Used for `report.md` and the GitHub step
//! summary.

use std::fmt::Write as _;

use tabled::builder::Builder;
use tabled::grid::config::Offset;
use tabled::settings::object::Columns;
use tabled::settings::style::LineChar;
use tabled::settings::{Alignment, Style};

use crate::slo::{AssertionKind, Status};
use crate::units::Money;

use super::format::{
    PLAIN, TIMING_HEADER, bound, capture_name, capture_values, collapsed_timing_rows, count_item,
    dur, worst_window,
};
use super::{Count, Report, ScenarioReport};

/// A table cell: `|` escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Inline code in a table cell.
fn code(text: &str) -> String {
    let t = cell(text);
    if t.contains('`') {
        format!("`` {t} ``")
    } else {
        format!("`{t}`")
    }
}

/// A GitHub-flavoured table: columns padded to line up in the source, numbers (`right`)
/// right-aligned (`---:`), then a blank line.
fn table(out: &mut String, header: &[&str], right: &[bool], rows: &[Vec<String>]) {
    let mut b = Builder::default();
    b.push_record(header.iter().copied());
    for row in rows {
        b.push_record(row.iter().map(String::as_str));
    }
    let mut t = b.build();
    t.with(Style::markdown());
    for (i, _) in right.iter().enumerate().filter(|(_, r)| **r) {
        t.modify(Columns::one(i), Alignment::right());
        t.modify((1, i), LineChar::horizontal(':', Offset::End(0)));
    }
    let _ = writeln!(out, "{t}");
    out.push('\n');
}

fn counts(c: &[Count]) -> String {
    c.iter()
        .map(|c| count_item(&cell(&c.name), c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One test's report as Markdown, starting with a `##` heading.
pub fn render_markdown(r: &Report) -> String {
    let mut out = String::new();
    let verdict = if r.could_not_run.is_some() {
        "⛔ could not run"
    } else if r.passed {
        "✅ passed"
    } else {
        "❌ failed"
    };
    let _ = writeln!(out, "## Test {} — {verdict}\n", code(&r.test));
    let n = r.scenarios.len();
    let _ = write!(
        out,
        "{} · seed {} · {n} scenario{} · ran {}",
        code(&r.file),
        r.seed,
        if n == 1 { "" } else { "s" },
        dur(r.duration_us)
    );
    if let Some(m) = &r.merged_from {
        let seeds: Vec<String> = m.seeds.iter().map(u64::to_string).collect();
        let _ = write!(
            out,
            " · merged from {} runs (seeds {})",
            m.runs,
            seeds.join(", ")
        );
    }
    out.push_str("\n\n");
    if let Some(reason) = &r.could_not_run {
        let _ = writeln!(out, "> ⛔ **Could not run**: {reason}\n");
    }
    if r.interrupted {
        out.push_str(
            "> ⚠️ **Interrupted**: the numbers cover only what ran before the run was stopped (SIGINT or SIGTERM).\n\n",
        );
    }
    write_slos(&mut out, r);
    for s in &r.scenarios {
        write_scenario(&mut out, s);
    }
    if !r.comparison.is_empty() {
        out.push_str("### Scenario comparison\n\n");
        let rows: Vec<Vec<String>> = r
            .comparison
            .iter()
            .map(|c| {
                vec![
                    code(&c.scenario),
                    PLAIN.pct(c.success_rate_pct),
                    PLAIN.num(c.p95_retries),
                    PLAIN.money(c.p95_cost),
                    PLAIN.dur(c.p95_duration_us),
                    PLAIN.ratio(c.duration_vs_baseline),
                    PLAIN.ratio(c.cost_vs_baseline),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "scenario",
                "success",
                "p95 retries",
                "p95 cost",
                "p95 time",
                "time / baseline",
                "cost / baseline",
            ],
            &[false, true, true, true, true, true, true],
            &rows,
        );
    }
    for p in &r.proxies {
        write_proxy(&mut out, p);
    }
    out
}

/// One proxy: what reached it and went upstream, the upstream's latency, each fault fired.
fn write_proxy(out: &mut String, p: &super::ProxyReport) {
    let _ = writeln!(
        out,
        "### Proxy {} ({} → {})\n",
        code(&p.name),
        code(&p.listen),
        code(&p.upstream)
    );
    let latency = |f: fn(&super::ProxyLatency) -> u64| {
        p.upstream_latency
            .as_ref()
            .map_or("-".into(), |l| dur(f(l)))
    };
    table(
        out,
        &[
            "requests",
            "forwarded",
            "upstream status",
            "upstream errors",
            "upstream p50",
            "upstream p95",
            "upstream p99",
            "bytes up",
            "bytes down",
        ],
        &[true, true, false, true, true, true, true, true, true],
        &[vec![
            p.requests.to_string(),
            p.forwarded.to_string(),
            if p.upstream_status.is_empty() {
                "-".into()
            } else {
                counts(&p.upstream_status)
            },
            p.upstream_errors.to_string(),
            latency(|l| l.p50_us),
            latency(|l| l.p95_us),
            latency(|l| l.p99_us),
            p.bytes_up.to_string(),
            p.bytes_down.to_string(),
        ]],
    );
    if !p.upstream_error_causes.is_empty() {
        let rows: Vec<Vec<String>> = p
            .upstream_error_causes
            .iter()
            .map(|c| vec![code(&c.name), c.count.to_string()])
            .collect();
        table(out, &["upstream error", "count"], &[false, true], &rows);
    }
    if !p.faults.is_empty() {
        let rows: Vec<Vec<String>> = p
            .faults
            .iter()
            .map(|f| vec![code(&f.rule), code(&f.kind), f.count.to_string()])
            .collect();
        table(
            out,
            &["fault rule", "fault", "fired"],
            &[false, false, true],
            &rows,
        );
    }
}

fn write_slos(out: &mut String, r: &Report) {
    out.push_str("### SLOs\n\n");
    if r.slos.is_empty() {
        out.push_str("No SLOs.\n\n");
        return;
    }
    let total = r.slos.len();
    let failed = r.slos.iter().filter(|s| s.status != Status::Pass).count();
    let rows: Vec<Vec<String>> = r
        .slos
        .iter()
        .map(|s| {
            let mark = match s.status {
                Status::Pass => "✅",
                Status::Fail => "❌",
                Status::NoData => "❌ no data",
                Status::NotMeasured => "❌ not measured",
            };
            let text = match s.kind {
                AssertionKind::Slo => s.text.clone(),
                AssertionKind::Abort => format!("abort if {}", s.text),
            };
            let mut bound = bound(s);
            if let Some(expr) = &s.bound_expr {
                bound.push_str(&format!(" ({expr})"));
            }
            let mut measured = s.lhs_display.clone();
            if let Some(window) = worst_window(s) {
                measured.push_str(&format!(" ({window})"));
            }
            if let Some(message) = &s.message {
                measured.push_str(&format!("; {message}"));
            }
            vec![
                mark.to_string(),
                code(&s.scenario),
                code(&text),
                cell(&measured),
                cell(&bound),
                code(&format!("{}:{}", r.file, s.line)),
            ]
        })
        .collect();
    table(
        out,
        &["", "scenario", "SLO", "measured", "bound", "where"],
        &[false, false, false, true, false, false],
        &rows,
    );
    if r.passed {
        let _ = writeln!(out, "**PASSED**: {total} of {total} SLO checks held.\n");
    } else {
        let _ = writeln!(
            out,
            "**FAILED**: {failed} of {total} SLO checks did not hold.\n"
        );
    }
}

fn write_scenario(out: &mut String, s: &ScenarioReport) {
    let name = if s.parts.is_empty() {
        code(&s.name)
    } else {
        format!("{} ({})", code(&s.name), cell(&s.parts.join(" + ")))
    };
    let _ = writeln!(out, "### Scenario {name} — ran {}\n", dur(s.duration_us));
    let r = &s.requests;
    table(
        out,
        &[
            "requests",
            "throughput",
            "failed",
            "iterations",
            "late sends",
            "dropped",
            "injected faults",
        ],
        &[true; 7],
        &[vec![
            r.count.to_string(),
            PLAIN.rate(r.throughput_per_s),
            format!("{} ({})", r.failed, PLAIN.pct(r.error_rate_pct)),
            s.iterations.to_string(),
            r.late.to_string(),
            r.dropped.to_string(),
            r.injected.to_string(),
        ]],
    );
    if !r.statuses.is_empty() || !r.errors.is_empty() {
        let _ = writeln!(out, "Statuses: {}", counts(&r.statuses));
        if !r.errors.is_empty() {
            let _ = writeln!(out, "<br>Errors: {}", counts(&r.errors));
        }
        out.push('\n');
    }
    if !s.timings.is_empty() {
        let rows: Vec<Vec<String>> = collapsed_timing_rows(&s.timings, code)
            .into_iter()
            .map(|r| r.cells)
            .collect();
        table(
            out,
            &TIMING_HEADER,
            &[false, false, true, true, true, true, true, true, true, true],
            &rows,
        );
        out.push_str(
            "Latency is measured from the intended start (what SLOs read); service time from the send.\n\n",
        );
    }
    if !s.outcomes.is_empty() {
        let _ = writeln!(out, "Outcomes: {}\n", counts(&s.outcomes));
    }
    if s.iterations > 0 {
        let rt = &s.retries;
        let _ = write!(
            out,
            "Retries per iteration: p50 {} · p95 {} · max {} · budget exceeded during retry {} ({})",
            PLAIN.num(rt.p50),
            PLAIN.num(rt.p95),
            PLAIN.num(rt.max),
            rt.budget_exceeded_during_retry,
            PLAIN.pct(rt.budget_exceeded_during_retry_pct)
        );
        if !rt.by_reason.is_empty() {
            let _ = write!(out, " · by reason: {}", counts(&rt.by_reason));
        }
        out.push_str("\n\n");
    }
    if let Some(c) = &s.cost {
        let _ = writeln!(
            out,
            "Cost per iteration: p50 {} · p95 {} · p99 {}\n",
            Money(c.p50),
            Money(c.p95),
            Money(c.p99)
        );
    }
    if !s.captures.is_empty() {
        let rows: Vec<Vec<String>> = s
            .captures
            .iter()
            .map(|c| vec![code(capture_name(c)), capture_values(c, " · ")])
            .collect();
        table(out, &["capture", "values"], &[false, false], &rows);
    }
    if !s.faults.is_empty() {
        let rows: Vec<Vec<String>> = s
            .faults
            .iter()
            .map(|f| vec![code(&f.name), f.count.to_string(), PLAIN.pct(f.pct)])
            .collect();
        table(
            out,
            &["fault rule", "fired", "of requests"],
            &[false, true, true],
            &rows,
        );
    }
    if !s.checks.is_empty() {
        let rows: Vec<Vec<String>> = s
            .checks
            .iter()
            .map(|c| {
                vec![
                    super::text::check_mark(c).to_string(),
                    code(&c.step),
                    code(&c.check),
                    c.passed.to_string(),
                    c.failed.to_string(),
                    PLAIN.pct(c.failed_pct),
                    c.ended_iterations.to_string(),
                ]
            })
            .collect();
        table(
            out,
            &[
                "",
                "step",
                "check",
                "passed",
                "failed",
                "failed %",
                "ended iterations",
            ],
            &[false, false, false, true, true, true, true],
            &rows,
        );
    }
    if !s.phases.is_empty() {
        let rows: Vec<Vec<String>> = s
            .phases
            .iter()
            .map(|p| {
                let latency = p
                    .timings
                    .iter()
                    .map(|t| {
                        format!(
                            "{}: p95 {}",
                            cell(t.step.as_deref().unwrap_or("")),
                            dur(t.p95_us)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                vec![
                    code(&p.name),
                    p.requests.to_string(),
                    format!("{} ({})", p.failed, PLAIN.pct(p.error_rate_pct)),
                    PLAIN.rate(p.throughput_per_s),
                    if latency.is_empty() {
                        "-".into()
                    } else {
                        latency
                    },
                ]
            })
            .collect();
        table(
            out,
            &["phase", "requests", "failed", "throughput", "latency"],
            &[false, true, true, true, false],
            &rows,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Collector;
    use crate::metrics::testkit::*;

    #[test]
    fn steps_and_phases_are_reported_and_tabled() {
        let p = plan(
            &["baseline"],
            vec![hold(2, Some(0)), hold(2, Some(1))],
            &["warm", "calm"],
        );
        let mut c = Collector::new(&p, 0);
        for i in 0..40u64 {
            let mut a = attempt(0, (i % 2) as usize, i * 100 * MS, (10 + i) * MS);
            a.phase = Some(usize::from(i >= 20));
            a.failed = i == 30;
            c.attempt(a);
        }
        let m = c.finish();
        let verdict = crate::slo::evaluate(&p, 0, &m);
        let r = super::super::build(&p, 0, &m, &verdict, 7, false);
        let s = &r.scenarios[0];
        let steps: Vec<(&str, u64, u64)> = s
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.requests, s.failed))
            .collect();
        assert_eq!(steps, [("chat", 20, 1), ("explain", 20, 0)]);
        assert_eq!(s.steps[0].latency.as_ref().unwrap().count, 20);
        let phases: Vec<(&str, u64, u64)> = s
            .phases
            .iter()
            .map(|p| (p.name.as_str(), p.requests, p.failed))
            .collect();
        assert_eq!(phases, [("during warm", 20, 0), ("during calm", 20, 1)]);
        assert_eq!(s.phases[1].timings.len(), 2);
        let md = render_markdown(&r);
        assert!(md.contains("## Test `t` — ✅ passed"), "{md}");
        assert!(
            md.contains("| `chat`    | latency = service time |    20 | 10ms | 29ms | 28ms |"),
            "{md}"
        );
        assert!(
            md.contains("|-----------|------------------------|------:|-----:|"),
            "{md}"
        );
        // Columns are padded to line up; what the cells hold:
        let md = md
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(md.contains("| `during calm` | 20 | 1 (5%) |"), "{md}");
        assert!(
            md.contains("| `chat` | latency = service time | 20 |"),
            "{md}"
        );
    }

    #[test]
    fn cells_cannot_break_a_table() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
        assert_eq!(code("x `y`"), "`` x `y` ``");
    }
}
