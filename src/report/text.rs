//! The plain-text report: fixed-width columns that fit a 100-column terminal, one `write_*`
//! function per section, the section titles of the Python harness users migrate from
//! (`--- Outcomes ---`, `--- Retry metrics ---`, …). ANSI colors only when asked.

use std::fmt::Write as _;

use crate::slo::{SloResult, Status};
use crate::units::{Duration, Money, Percent, Rate, trim};

use super::{CaptureSummary, ComparisonRow, Count, Report, ScenarioReport, Timing, TimingKind};

const WIDTH: usize = 100;

struct Out {
    s: String,
    color: bool,
}

impl Out {
    fn line(&mut self, text: &str) {
        self.s.push_str(text.trim_end());
        self.s.push('\n');
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn heading(&mut self, title: &str) {
        let text = self.paint("1", &format!("--- {title} ---"));
        self.line(&text);
    }

    /// `label` then items separated by three spaces, wrapped at the page width.
    fn items(&mut self, label: &str, items: &[String]) {
        let indent = format!("  {label:<12}");
        let mut current = indent.clone();
        for (i, item) in items.iter().enumerate() {
            if i > 0 && current.len() + 3 + item.len() > WIDTH {
                self.line(&current);
                current = " ".repeat(indent.len());
            } else if i > 0 {
                current.push_str("   ");
            }
            current.push_str(item);
        }
        self.line(&current);
    }
}

fn dur(us: u64) -> String {
    Duration(us).to_string()
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| Percent(v).to_string())
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| trim(v, 2))
}

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| Money(v).to_string())
}

fn count_items(counts: &[Count]) -> Vec<String> {
    counts
        .iter()
        .map(|c| match c.pct {
            Some(p) => format!("{}: {} ({})", c.name, c.count, Percent(p)),
            None => format!("{}: {}", c.name, c.count),
        })
        .collect()
}

/// Renders a report as plain text (ANSI colors when `color`).
pub fn render_text(r: &Report, color: bool) -> String {
    let mut out = Out {
        s: String::new(),
        color,
    };
    write_header(&mut out, r);
    for s in &r.scenarios {
        out.line("");
        write_scenario(&mut out, s);
    }
    if !r.comparison.is_empty() {
        out.line("");
        write_comparison(&mut out, &r.comparison);
    }
    if !r.slos.is_empty() {
        out.line("");
        write_slos(&mut out, &r.slos);
    }
    out.line("");
    write_summary(&mut out, r);
    out.s
}

fn write_header(out: &mut Out, r: &Report) {
    let n = r.scenarios.len();
    let plural = if n == 1 { "" } else { "s" };
    let title = out.paint("1", &format!("test {:?}", r.test));
    let line = format!(
        "{title}   seed {}   {n} scenario{plural}   ran {}   ({})",
        r.seed,
        dur(r.duration_us),
        r.file
    );
    out.line(&line);
    if let Some(m) = &r.merged_from {
        let seeds: Vec<String> = m.seeds.iter().map(u64::to_string).collect();
        out.line(&format!(
            "merged from {} runs (seeds {})",
            m.runs,
            seeds.join(", ")
        ));
    }
    if let Some(reason) = &r.could_not_run {
        let warn = out.paint("31", &format!("could not run: {reason}"));
        out.line(&warn);
    }
    if r.interrupted {
        let warn = out.paint(
            "33",
            "interrupted: the numbers cover only what ran before the run was stopped",
        );
        out.line(&warn);
    }
}

fn write_scenario(out: &mut Out, s: &ScenarioReport) {
    let name = if s.parts.is_empty() {
        s.name.clone()
    } else {
        format!("{} ({})", s.name, s.parts.join("+"))
    };
    let title = out.paint("1", &format!("=== scenario {name} ==="));
    out.line(&format!("{title}   ran {}", dur(s.duration_us)));
    write_requests(out, s);
    write_timings(out, &s.timings);
    if !s.outcomes.is_empty() {
        out.heading("Outcomes");
        for o in &s.outcomes {
            out.line(&format!("  {:<18}{:>8}   {}", o.name, o.count, pct(o.pct)));
        }
    }
    write_retries(out, s);
    if let Some(c) = &s.cost {
        out.heading("Cost");
        let (p50, p95, p99) = (Money(c.p50), Money(c.p95), Money(c.p99));
        out.line(&format!(
            "  per iteration     p50 {p50}   p95 {p95}   p99 {p99}"
        ));
    }
    if !s.captures.is_empty() {
        out.heading("Captures");
        for c in &s.captures {
            let line = match c {
                CaptureSummary::Number {
                    name,
                    count,
                    p50,
                    p95,
                    max,
                    ..
                } => format!(
                    "  {name:<18}count {count}   p50 {}   p95 {}   max {}",
                    c.show(*p50),
                    c.show(*p95),
                    c.show(*max)
                ),
                CaptureSummary::Flag {
                    name,
                    true_count,
                    total,
                    true_pct,
                } => {
                    format!(
                        "  {name:<18}true {true_count} of {total} ({})",
                        Percent(*true_pct)
                    )
                }
            };
            out.line(&line);
        }
    }
    if !s.faults.is_empty() {
        out.heading("Fault rules");
        let width = s
            .faults
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(0)
            .clamp(18, 60);
        for f in &s.faults {
            out.line(&format!(
                "  {:<width$}  fired {:>6}   {} of requests",
                f.name,
                f.count,
                pct(f.pct)
            ));
        }
    }
}

fn write_requests(out: &mut Out, s: &ScenarioReport) {
    out.heading("Requests");
    let r = &s.requests;
    let tp = r
        .throughput_per_s
        .map_or_else(|| "-".into(), |v| Rate(v).to_string());
    out.line(&format!(
        "  total {}   throughput {tp}   failed {} ({})   iterations {}",
        r.count,
        r.failed,
        pct(r.error_rate_pct),
        s.iterations
    ));
    out.line(&format!(
        "  late sends {}   dropped arrivals {}   injected faults {}",
        r.late, r.dropped, r.injected
    ));
    if !r.statuses.is_empty() {
        out.items("status", &count_items(&r.statuses));
    }
    if !r.errors.is_empty() {
        out.items("errors", &count_items(&r.errors));
    }
}

fn write_timings(out: &mut Out, timings: &[Timing]) {
    if timings.is_empty() {
        return;
    }
    out.heading("Latency");
    let names: Vec<String> = timings
        .iter()
        .map(|t| t.step.clone().unwrap_or_else(|| "iteration".into()))
        .collect();
    let w = names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .clamp(10, 30);
    out.line(&format!(
        "  {:<w$}  {:<13}{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "step", "measure", "count", "p50", "p90", "p95", "p99", "max"
    ));
    for (t, name) in timings.iter().zip(&names) {
        let kind = match (t.kind, &t.step) {
            (TimingKind::Latency, _) => "latency",
            (TimingKind::Service, _) => "service time",
            (TimingKind::Duration, None) => "duration",
            (TimingKind::Duration, Some(_)) => "step time",
        };
        out.line(&format!(
            "  {name:<w$}  {kind:<13}{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}",
            t.count,
            dur(t.p50_us),
            dur(t.p90_us),
            dur(t.p95_us),
            dur(t.p99_us),
            dur(t.max_us)
        ));
    }
    out.line("  latency: from the intended start (what SLOs read); service time: from the send");
}

fn write_retries(out: &mut Out, s: &ScenarioReport) {
    let r = &s.retries;
    if s.iterations == 0 {
        return;
    }
    out.heading("Retry metrics");
    out.line(&format!(
        "  retries/iteration   p50 {}   p95 {}   max {}",
        num(r.p50),
        num(r.p95),
        num(r.max)
    ));
    if !r.by_reason.is_empty() {
        out.items("by reason", &count_items(&r.by_reason));
    }
    out.line(&format!(
        "  budget exceeded during retry   {} ({})",
        r.budget_exceeded_during_retry,
        pct(r.budget_exceeded_during_retry_pct)
    ));
}

fn write_comparison(out: &mut Out, rows: &[ComparisonRow]) {
    let title = out.paint("1", "=== Scenario comparison ===");
    out.line(&title);
    let w = rows
        .iter()
        .map(|r| r.scenario.len())
        .max()
        .unwrap_or(0)
        .clamp(12, 30);
    let with_base = rows
        .iter()
        .any(|r| r.duration_vs_baseline.is_some() || r.cost_vs_baseline.is_some());
    let mut header = format!(
        "  {:<w$}{:>10}{:>13}{:>11}{:>11}",
        "scenario", "success", "p95 retries", "p95 cost", "p95 time"
    );
    if with_base {
        header.push_str(&format!("{:>15}{:>15}", "time/baseline", "cost/baseline"));
    }
    out.line(&header);
    let ratio = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.2}x"));
    for r in rows {
        let mut line = format!(
            "  {:<w$}{:>10}{:>13}{:>11}{:>11}",
            r.scenario,
            pct(r.success_rate_pct),
            num(r.p95_retries),
            money(r.p95_cost),
            r.p95_duration_us.map_or_else(|| "-".into(), dur)
        );
        if with_base {
            line.push_str(&format!(
                "{:>15}{:>15}",
                ratio(r.duration_vs_baseline),
                ratio(r.cost_vs_baseline)
            ));
        }
        out.line(&line);
    }
}

fn write_slos(out: &mut Out, slos: &[SloResult]) {
    let title = out.paint("1", "=== SLOs ===");
    out.line(&title);
    let sw = slos
        .iter()
        .map(|r| r.scenario.len())
        .max()
        .unwrap_or(0)
        .clamp(8, 24);
    let tw = slos
        .iter()
        .map(|r| r.text.len())
        .max()
        .unwrap_or(0)
        .clamp(20, 44);
    for r in slos {
        let mark = match r.status {
            Status::Pass => out.paint("32", "✓"),
            _ => out.paint("31", "✗"),
        };
        let mut text = r.text.clone();
        if text.chars().count() > tw {
            text = text.chars().take(tw - 1).collect::<String>() + "…";
        }
        let prefix = if r.kind == crate::slo::AssertionKind::Abort {
            "abort if "
        } else {
            ""
        };
        let bound = format!("{} {}", r.op.symbol(), r.rhs_display);
        let mut line = String::new();
        let _ = write!(
            line,
            "  {mark} {:<sw$}  {:<tw$}  {:>12}  {:<14}line {}",
            r.scenario,
            format!("{prefix}{text}"),
            r.lhs_display,
            bound,
            r.line
        );
        out.line(&line);
        if let Some(expr) = &r.bound_expr {
            out.line(&format!("      bound: {expr} = {}", r.rhs_display));
        }
        if let Some((start, value)) = r.worst_window {
            let shown = crate::metrics::format_value(value, r.unit);
            out.line(&format!("      worst window from {}: {shown}", dur(start)));
        }
        if let Some(message) = &r.message {
            out.line(&format!("      {message}"));
        }
    }
}

fn write_summary(out: &mut Out, r: &Report) {
    let total = r.slos.len();
    let failed = r.slos.iter().filter(|s| s.status != Status::Pass).count();
    let text = if r.passed {
        out.paint("32", &format!("PASSED: {total} of {total} SLO checks held"))
    } else {
        out.paint(
            "31",
            &format!("FAILED: {failed} of {total} SLO checks did not hold"),
        )
    };
    let suffix = if r.interrupted { " (interrupted)" } else { "" };
    out.line(&format!("{text}{suffix}"));
}

#[cfg(test)]
mod tests;
