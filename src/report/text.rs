//! The plain-text report: fixed-width columns that fit a 100-column terminal (laid out by
//! `tabled`, values formatted by [`super::format`]), one `write_*` function per section,
//! the section titles of the Python harness users migrate from (`--- Outcomes ---`,
//! `--- Retry metrics ---`, …). ANSI colors only when asked.

use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Format, Padding, Style, Width};

use crate::slo::{AssertionKind, SloResult, Status};
use crate::units::Money;

use super::format::{
    PLAIN, TIMING_HEADER, bound, capture_name, capture_values, collapsed_timing_rows, count_item,
    dur, worst_window,
};
use super::{CheckReport, ComparisonRow, Count, Report, ScenarioReport, Timing};

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

    fn table(&mut self, rows: Vec<Vec<String>>, cols: &[Col]) {
        for line in table(rows, cols) {
            self.line(&line);
        }
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

/// How one column of a borderless text table is laid out: `gap` spaces before it, at least
/// `min` wide, numbers right-aligned.
#[derive(Clone, Copy)]
struct Col {
    gap: usize,
    min: usize,
    /// Longer cells are cut, ending in `…`.
    max: Option<usize>,
    right: bool,
}

const fn left(gap: usize, min: usize) -> Col {
    Col {
        gap,
        min,
        max: None,
        right: false,
    }
}

const fn right(gap: usize, min: usize) -> Col {
    Col {
        gap,
        min,
        max: None,
        right: true,
    }
}

impl Col {
    const fn at_most(self, max: usize) -> Col {
        Col {
            max: Some(max),
            ..self
        }
    }
}

/// The lines of a borderless table (the first row is the header, if any), one line per row.
/// Each column is as wide as its widest cell and at least its `min`; a line break in a cell
/// is shown as a space so that rows stay one line each.
fn table(rows: Vec<Vec<String>>, cols: &[Col]) -> Vec<String> {
    let mut b = Builder::default();
    for row in rows {
        b.push_record(row.into_iter().map(|c| c.replace(['\n', '\r'], " ")));
    }
    let mut t = b.build();
    t.with(Style::empty()).with(Padding::zero());
    for (i, col) in cols.iter().enumerate() {
        let min = col.min;
        if col.right {
            // Right-aligned within at least `min`: padded on the left, as `{:>min$}` would.
            t.modify(
                Columns::one(i),
                (
                    Format::content(move |s| format!("{s:>min$}")),
                    Alignment::right(),
                ),
            );
        } else {
            t.modify(Columns::one(i), Width::increase(min));
        }
        if let Some(max) = col.max {
            t.modify(Columns::one(i), Width::truncate(max).suffix("…"));
        }
        t.modify(Columns::one(i), Padding::new(col.gap, 0, 0, 0));
    }
    t.to_string().lines().map(str::to_string).collect()
}

fn count_items(counts: &[Count]) -> Vec<String> {
    counts.iter().map(|c| count_item(&c.name, c)).collect()
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
    if !r.proxies.is_empty() {
        out.line("");
        out.s.push_str(&write_proxies(&r.proxies));
    }
    out.line("");
    write_summary(&mut out, r);
    out.s
}

/// One section per proxy: what it saw, and each wire fault with its count (so the report
/// proves each declared fault fired).
pub(crate) fn write_proxies(proxies: &[super::ProxyReport]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for p in proxies {
        let _ = writeln!(out, "proxy {} ({} → {})", p.name, p.listen, p.upstream);
        let statuses: Vec<String> = p
            .upstream_status
            .iter()
            .map(|c| format!("{}×{}", c.name, c.count))
            .collect();
        let tcp = p.upstream.starts_with("tcp://");
        if tcp {
            let _ = writeln!(
                out,
                "  connections {}  forwarded {}  upstream errors {}",
                p.connections, p.forwarded, p.upstream_errors
            );
        } else {
            let _ = writeln!(
                out,
                "  requests {}  forwarded {}  upstream status {}  upstream errors {}",
                p.requests,
                p.forwarded,
                if statuses.is_empty() {
                    "-".into()
                } else {
                    statuses.join(" ")
                },
                p.upstream_errors
            );
        }
        for c in &p.upstream_error_causes {
            let _ = writeln!(out, "  upstream error ×{}: {}", c.count, c.name);
        }
        let ms = |us: u64| format!("{:.1}ms", us as f64 / 1000.0);
        let what = if tcp {
            "connect time"
        } else {
            "upstream latency"
        };
        match &p.upstream_latency {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "  {what} p50 {}  p95 {}  p99 {}  max {}",
                    ms(l.p50_us),
                    ms(l.p95_us),
                    ms(l.p99_us),
                    ms(l.max_us)
                );
            }
            None => {
                let _ = writeln!(out, "  {what} -");
            }
        }
        let _ = writeln!(out, "  bytes up {}  down {}", p.bytes_up, p.bytes_down);
        if p.faults.is_empty() {
            let _ = writeln!(out, "  faults injected: none");
        } else {
            let _ = writeln!(out, "  faults injected:");
            for f in &p.faults {
                let _ = writeln!(out, "    {:<40} {:<16} {}", f.rule, f.kind, f.count);
            }
        }
    }
    out
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
    if !r.load.is_empty() {
        out.items("load", &shown_stages(&r.load));
    }
    if !r.targets.is_empty() {
        out.items("targets", &r.targets);
    }
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

/// Most stages shown in the header (a long `repeat` unrolls into many).
const STAGES_SHOWN: usize = 6;

/// The stages of the load line (`;` between them): the first few of a long profile and how
/// many more.
fn shown_stages(load: &[String]) -> Vec<String> {
    let mut shown = load.to_vec();
    if load.len() > STAGES_SHOWN {
        shown.truncate(STAGES_SHOWN - 1);
        shown.push(format!("… and {} more stages", load.len() - shown.len()));
    }
    let last = shown.len().saturating_sub(1);
    for l in &mut shown[..last] {
        l.push(';');
    }
    shown
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
    write_phases(out, s);
    if !s.outcomes.is_empty() {
        out.heading("Outcomes");
        out.line(
            "  per iteration (one run of the workload, retries included): what success_rate reads",
        );
        let rows = s
            .outcomes
            .iter()
            .map(|o| vec![o.name.clone(), o.count.to_string(), PLAIN.pct(o.pct)])
            .collect();
        out.table(rows, &[left(2, 18), right(0, 8), left(3, 0)]);
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
        let rows = s
            .captures
            .iter()
            .map(|c| vec![capture_name(c).to_string(), capture_values(c, "   ")])
            .collect();
        out.table(rows, &[left(2, 18), left(0, 0)]);
    }
    if !s.faults.is_empty() {
        out.heading("Fault rules");
        let rows = s
            .faults
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    "fired".into(),
                    f.count.to_string(),
                    format!("{} of requests", PLAIN.pct(f.pct)),
                ]
            })
            .collect();
        out.table(rows, &[left(2, 18), left(2, 0), right(1, 6), left(3, 0)]);
    }
    write_checks(out, &s.checks);
}

fn write_checks(out: &mut Out, checks: &[CheckReport]) {
    if checks.is_empty() {
        return;
    }
    out.heading("Checks");
    let mut rows = vec![
        ["", "step", "check", "passed", "failed", "failed %"]
            .map(String::from)
            .to_vec(),
    ];
    rows.extend(checks.iter().map(|c| {
        vec![
            check_mark(c).to_string(),
            c.step.clone(),
            c.check.clone(),
            c.passed.to_string(),
            c.failed.to_string(),
            PLAIN.pct(c.failed_pct),
        ]
    }));
    let cols = [
        left(2, 1),
        left(2, 10),
        left(2, 0).at_most(48),
        right(0, 7),
        right(0, 7),
        right(0, 9),
    ];
    for (i, line) in table(rows, &cols).into_iter().enumerate() {
        // Rows are one line each (the check column is cut, not wrapped): row `i` is check
        // `i - 1`.
        let painted = match i.checked_sub(1).and_then(|k| checks.get(k)) {
            Some(c) if c.failed > 0 => out.paint("31", &line),
            Some(_) => out.paint("32", &line),
            None => line,
        };
        out.line(&painted);
    }
    for c in checks.iter().filter(|c| c.ended_iterations > 0) {
        out.line(&ended_sentence(c));
    }
}

/// `✓` when a check never failed, `✗` otherwise.
pub(super) fn check_mark(c: &CheckReport) -> &'static str {
    if c.failed > 0 { "✗" } else { "✓" }
}

/// "check `X` at step `s` failed N times and ended M iterations (…)".
pub(super) fn ended_sentence(c: &CheckReport) -> String {
    let times = if c.failed == 1 { "time" } else { "times" };
    let its = if c.ended_iterations == 1 {
        "iteration"
    } else {
        "iterations"
    };
    format!(
        "  check `{}` at step `{}` failed {} {times} and ended {} {its} (steps after it did not run)",
        c.check, c.step, c.failed, c.ended_iterations
    )
}

fn write_requests(out: &mut Out, s: &ScenarioReport) {
    out.heading("Requests");
    let r = &s.requests;
    out.line(&format!(
        "  total {}   throughput {}   failed {} ({})   iterations {}",
        r.count,
        PLAIN.rate(r.throughput_per_s),
        r.failed,
        PLAIN.pct(r.error_rate_pct),
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
    let collapsed = collapsed_timing_rows(timings, str::to_string);
    let mut rows = vec![TIMING_HEADER.map(String::from).to_vec()];
    let mut notes = Vec::new();
    for row in collapsed {
        let mut cells = row.cells;
        if row.merged {
            notes.push(format!("  * {} {}", cells[0], cells[1]));
            cells[1] = format!("{}*", row.first_measure);
        }
        rows.push(cells);
    }
    let mut cols = vec![left(2, 10), left(2, 13), right(0, 7)];
    cols.extend([right(0, 9); 7]);
    out.table(rows, &cols);
    for note in &notes {
        out.line(note);
    }
    if !notes.is_empty() {
        out.line("    (* identical numbers, shown once)");
    }
    out.line("  latency: from the intended start (what SLOs read); service time: from the send");
}

/// The phases an SLO can name (`during warm`, `before chaos`, …), one row each.
fn write_phases(out: &mut Out, s: &ScenarioReport) {
    if s.phases.is_empty() {
        return;
    }
    out.heading("Phases");
    let mut rows = vec![
        [
            "phase",
            "requests",
            "failed",
            "throughput",
            "iterations",
            "p50",
            "p95",
            "p99",
        ]
        .map(String::from)
        .to_vec(),
    ];
    rows.extend(s.phases.iter().map(|p| {
        // The latency of the first step that has one (the whole workload has no single
        // latency); the Markdown and HTML reports list every step.
        let t = p
            .timings
            .iter()
            .find(|t| t.kind == super::TimingKind::Latency)
            .or(p.timings.first());
        let q = |f: fn(&Timing) -> u64| t.map_or_else(|| "-".to_string(), |t| dur(f(t)));
        vec![
            p.name.clone(),
            p.requests.to_string(),
            format!("{} ({})", p.failed, PLAIN.pct(p.error_rate_pct)),
            PLAIN.rate(p.throughput_per_s),
            p.iterations.to_string(),
            q(|t| t.p50_us),
            q(|t| t.p95_us),
            q(|t| t.p99_us),
        ]
    }));
    let mut cols = vec![
        left(2, 14),
        right(0, 9),
        right(2, 10),
        right(2, 11),
        right(0, 11),
    ];
    cols.extend([right(0, 9); 3]);
    out.table(rows, &cols);
    if let Some(step) = s.phases.iter().find_map(|p| {
        p.timings
            .iter()
            .find(|t| t.kind == super::TimingKind::Latency)
            .and_then(|t| t.step.clone())
    }) {
        out.line(&format!("  p50/p95/p99: latency of step `{step}`"));
    }
}

fn write_retries(out: &mut Out, s: &ScenarioReport) {
    let r = &s.retries;
    // Only when something was retried or a retry ran out of budget: a workload without a
    // retry policy has nothing to show here.
    let retried = r.max.is_some_and(|m| m > 0.0)
        || !r.by_reason.is_empty()
        || r.budget_exceeded_during_retry > 0;
    if s.iterations == 0 || !retried {
        return;
    }
    out.heading("Retry metrics");
    out.line(&format!(
        "  retries/iteration   p50 {}   p95 {}   max {}",
        PLAIN.num(r.p50),
        PLAIN.num(r.p95),
        PLAIN.num(r.max)
    ));
    if !r.by_reason.is_empty() {
        out.items("by reason", &count_items(&r.by_reason));
    }
    out.line(&format!(
        "  budget exceeded during retry   {} ({})",
        r.budget_exceeded_during_retry,
        PLAIN.pct(r.budget_exceeded_during_retry_pct)
    ));
}

fn write_comparison(out: &mut Out, rows: &[ComparisonRow]) {
    let title = out.paint("1", "=== Scenario comparison ===");
    out.line(&title);
    let with_base = rows
        .iter()
        .any(|r| r.duration_vs_baseline.is_some() || r.cost_vs_baseline.is_some());
    let mut header = vec!["scenario", "success", "p95 retries", "p95 cost", "p95 time"];
    let mut cols = vec![
        left(2, 12),
        right(0, 10),
        right(0, 13),
        right(0, 11),
        right(0, 11),
    ];
    if with_base {
        header.extend(["time/baseline", "cost/baseline"]);
        cols.extend([right(0, 15); 2]);
    }
    let mut table = vec![header.into_iter().map(String::from).collect()];
    table.extend(rows.iter().map(|r| {
        let mut row = vec![
            r.scenario.clone(),
            PLAIN.pct(r.success_rate_pct),
            PLAIN.num(r.p95_retries),
            PLAIN.money(r.p95_cost),
            PLAIN.dur(r.p95_duration_us),
        ];
        if with_base {
            row.extend([
                PLAIN.ratio(r.duration_vs_baseline),
                PLAIN.ratio(r.cost_vs_baseline),
            ]);
        }
        row
    }));
    out.table(table, &cols);
}

/// Longest SLO text shown; longer ones end in `…` (the source line is named).
const SLO_TEXT_MAX: usize = 44;

fn write_slos(out: &mut Out, slos: &[SloResult]) {
    let title = out.paint("1", "=== SLOs ===");
    out.line(&title);
    // One group per assertion (its line and text); one member per scenario it was read for.
    let mut groups: Vec<Vec<&SloResult>> = Vec::new();
    for r in slos {
        match groups
            .iter_mut()
            .find(|g| g[0].line == r.line && g[0].text == r.text && g[0].kind == r.kind)
        {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    let text = |r: &SloResult| {
        let prefix = if r.kind == AssertionKind::Abort {
            "abort if "
        } else {
            ""
        };
        format!("{prefix}{}", r.text)
    };
    if groups.iter().all(|g| g.len() == 1) {
        // One scenario per assertion: one line each, the scenario named when there are several.
        let named = slos.iter().any(|r| r.scenario != slos[0].scenario);
        let rows = slos
            .iter()
            .map(|r| {
                let mut row = vec![text(r), r.lhs_display.clone(), bound(r)];
                row.push(format!("line {}", r.line));
                if named {
                    row.insert(0, r.scenario.clone());
                }
                row
            })
            .collect();
        let mut cols = vec![
            left(0, 20).at_most(SLO_TEXT_MAX),
            right(2, 12),
            left(2, 14),
            left(0, 0),
        ];
        if named {
            cols.insert(0, left(0, 8));
        }
        let lines = table(rows, &cols);
        for (r, line) in slos.iter().zip(lines) {
            let mark = slo_mark(out, r.status == Status::Pass);
            out.line(&format!("  {mark} {line}"));
            write_slo_notes(out, r, "      ");
        }
        return;
    }
    // Several scenarios: the assertion once, then one indented row per scenario (aligned
    // over the whole table).
    let rows = groups
        .iter()
        .flatten()
        .map(|r| vec![r.scenario.clone(), r.lhs_display.clone(), bound(r)])
        .collect();
    let mut lines = table(rows, &[left(0, 8), right(2, 12), left(2, 14)]).into_iter();
    for g in &groups {
        let mark = slo_mark(out, g.iter().all(|r| r.status == Status::Pass));
        out.line(&format!("  {mark} {}   line {}", text(g[0]), g[0].line));
        for r in g {
            let mark = slo_mark(out, r.status == Status::Pass);
            let line = lines.next().unwrap_or_default();
            out.line(&format!("      {mark} {line}"));
            write_slo_notes(out, r, "          ");
        }
    }
}

fn slo_mark(out: &Out, passed: bool) -> String {
    if passed {
        out.paint("32", "✓")
    } else {
        out.paint("31", "✗")
    }
}

/// The lines under an SLO's row: its bound's expression, its worst window, why it has no
/// value.
fn write_slo_notes(out: &mut Out, r: &SloResult, indent: &str) {
    if let Some(expr) = &r.bound_expr {
        out.line(&format!("{indent}bound: {expr} = {}", r.rhs_display));
    }
    if let Some(window) = worst_window(r) {
        out.line(&format!("{indent}{window}"));
    }
    if let Some(message) = &r.message {
        out.line(&format!("{indent}{message}"));
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
