//! `report.html`: one self-contained page for all tests of a run, the last artifact of a
//! run (records in, one HTML string out; writing it is `artifacts::files`' job). Inline CSS
//! (`report.css` next to this file), a few lines of inline JS for hover tooltips
//! (`report.js`), and charts drawn as inline SVG ([`charts`]): nothing is loaded from the
//! network. The markup is written with `maud`, which escapes every spliced
//! value, so user text (test, scenario, step and stage names, SLO text, file names, error
//! messages) can never become markup.
//!
//! Per test, top to bottom:
//! - a header: PASSED/FAILED badge, test name, file, seed, run length, SLO tally (here);
//! - the SLO table (✓/✗, scenario, assertion, measured, bound, `file:line`) ([`slos`]);
//! - the scenario comparison: table, then bars of p95 iteration time (× baseline) and
//!   success rate ([`comparison`]);
//! - one card per scenario: latency percentiles over time and throughput/errors over time
//!   (named stages and the chaos window shaded and labelled, SLO latency bounds drawn), the
//!   latency spectrum per step (p50 … max on a log-ish axis), one RSS-and-CPU chart per
//!   service of the test on the scenario's time axis (restarts marked), then the numbers
//!   ([`scenario`]);
//! - one card per proxy of the test: requests, forwarded, upstream statuses and latency,
//!   bytes, each wire fault with its count ([`proxies`]).
//!
//! The page is a responsive grid that holds from 800 px up. Colours are CSS variables, so
//! the charts follow the light/dark theme. Values are formatted by `report::format`, the
//! formatters the text and Markdown reports use. Output is deterministic: same records,
//! same bytes.

mod charts;
mod comparison;
mod proxies;
mod scenario;
mod slos;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::report::format::{dur, plural, verdict_word};
use crate::slo::{SloResult, Status};

use super::model::TestRecord;

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// One self-contained HTML page for all tests of a run: no network, no CDN, inline CSS and
/// JS, charts as inline SVG.
pub fn render(records: &[TestRecord]) -> String {
    let failed = records.iter().filter(|r| !r.report.passed).count();
    let title = match records {
        [one] => format!(
            "{} · {} · stress",
            verdict_word(one.report.passed),
            one.report.test
        ),
        _ => format!("stress: {} tests, {failed} failed", records.len()),
    };
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            "\n"
            head {
                "\n"
                meta charset="utf-8"; "\n"
                meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
                meta name="color-scheme" content="light dark"; "\n"
                meta name="generator" content={ "stress " (env!("CARGO_PKG_VERSION")) }; "\n"
                title { (title) } "\n"
                // The page's own stylesheet, a file of this crate: not user text.
                style { "\n" (PreEscaped(CSS)) } "\n"
            }
            "\n"
            body {
                "\n"
                (top_bar(records))
                main {
                    "\n"
                    @if records.len() > 1 { (index(records)) }
                    @if records.is_empty() { p.card.empty { "No test ran." } "\n" }
                    @for (i, r) in records.iter().enumerate() { (test_section(i, r)) }
                }
                "\n"
                div #tip hidden {}
                "\n"
                // The page's own script, a file of this crate: not user text.
                script { "\n" (PreEscaped(JS)) }
                "\n"
            }
            "\n"
        }
        "\n"
    };
    page.into_string()
}

/// `class="pass"` or `"fail"` for a verdict.
fn verdict_class(passed: bool) -> &'static str {
    if passed { "pass" } else { "fail" }
}

/// `text` with a line-break opportunity (`<wbr>`) after `_`, `-`, `.`, `/` and `:` so that
/// long identifiers wrap at their joints in narrow table cells.
fn wbr(text: &str) -> Markup {
    let mut parts = Vec::new();
    let (mut start, mut run) = (0, 0);
    for (i, ch) in text.char_indices() {
        run += 1;
        if matches!(ch, '_' | '-' | '.' | '/' | ':') && run > 2 {
            parts.push(&text[start..i + ch.len_utf8()]);
            start = i + ch.len_utf8();
            run = 0;
        }
    }
    let rest = &text[start..];
    html! {
        @for part in parts { (part) wbr; }
        (rest)
    }
}

/// The last component of a path, for narrow `file:line` cells.
fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn top_bar(records: &[TestRecord]) -> Markup {
    let n = records.len();
    let failed = records.iter().filter(|r| !r.report.passed).count();
    let passed = n - failed;
    html! {
        header.top {
            span.brand { "stress" }
            span.top-sum {
                (n) " test" (plural(n as u64))
                @if failed > 0 { " · " b.t-fail { (failed) " failed" } }
                @if passed > 0 { " · " span.t-pass { (passed) " passed" } }
            }
        }
        "\n"
    }
}

fn index(records: &[TestRecord]) -> Markup {
    html! {
        nav.card.index {
            h2.h { "Tests" }
            div.tbl { table {
                thead { tr {
                    th { "verdict" } th { "test" } th.num { "scenarios" }
                    th.num { "SLO checks held" } th { "file" }
                } }
                tbody {
                    "\n"
                    @for (i, rec) in records.iter().enumerate() {
                        @let r = &rec.report;
                        @let held = r.slos.iter().filter(|x| x.status == Status::Pass).count();
                        tr {
                            td { span class={ "badge sm " (verdict_class(r.passed)) } { (verdict_word(r.passed)) } }
                            td.wrap { a href={ "#t" (i) } { (r.test) } }
                            td.num { (r.scenarios.len()) }
                            td.num { (held) " of " (r.slos.len()) }
                            td.loc { (rec.file) }
                        }
                        "\n"
                    }
                }
            } }
        }
        "\n"
    }
}

/// One `label: value` pair of a test's header.
fn meta(label: &str, value: Markup) -> Markup {
    html! { div { dt { (label) } dd { (value) } } }
}

fn test_header(rec: &TestRecord) -> Markup {
    let r = &rec.report;
    let total = r.slos.len();
    let bad = r.slos.iter().filter(|x| x.status != Status::Pass).count();
    let cls = verdict_class(r.passed);
    let requests: u64 = r.scenarios.iter().map(|x| x.requests.count).sum();
    let failed: u64 = r.scenarios.iter().map(|x| x.requests.failed).sum();
    html! {
        header class={ "card test-head " (cls) } {
            div.title-row {
                span class={ "badge " (cls) } { (verdict_word(r.passed)) }
                h1 { (r.test) }
            }
            dl.meta {
                (meta("file", html! { span.loc { (rec.file) } }))
                (meta("seed", html! { (r.seed) }))
                (meta("ran", html! { (dur(r.duration_us)) }))
                (meta("scenarios", html! { (r.scenarios.len()) }))
                (meta("requests", html! { (requests) }))
                (meta("failed requests", html! {
                    @if failed > 0 { span.t-fail { (failed) } } @else { "0" }
                }))
                (meta("SLO checks", html! {
                    @if total == 0 { "none" }
                    @else if bad == 0 { span.t-pass { "all " (total) " held" } }
                    @else { span.t-fail { (bad) " of " (total) " failed" } }
                }))
            }
            @if r.interrupted {
                p.warn { "Interrupted (Ctrl-C): the numbers cover only what ran." }
            }
            @if let Some(m) = &r.merged_from {
                @let seeds: Vec<String> = m.seeds.iter().map(u64::to_string).collect();
                p.note { "Merged from " (m.runs) " runs (seeds " (seeds.join(", ")) ")." }
            }
        }
        "\n"
    }
}

fn test_section(ti: usize, rec: &TestRecord) -> Markup {
    let r = &rec.report;
    // Scenario name → its card's index, for links from the SLO and comparison tables.
    let anchors: BTreeMap<&str, usize> = r
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, sc)| (sc.name.as_str(), i))
        .rev()
        .collect();
    // Past ten scenarios only the failing ones start open.
    let many = r.scenarios.len() > 10;
    html! {
        section.test id={ "t" (ti) } {
            "\n"
            (test_header(rec))
            (slos::slo_section(ti, &rec.file, &r.slos, &anchors))
            (comparison::comparison_section(ti, r, &anchors))
            @if !r.scenarios.is_empty() {
                h2.section-h { "Scenarios " span.count { (r.scenarios.len()) } }
                "\n"
            }
            @for (si, sc) in r.scenarios.iter().enumerate() {
                @let series = rec.series.iter().find(|x| x.scenario == sc.name);
                @let slos: Vec<&SloResult> = r.slos.iter().filter(|x| x.scenario == sc.name).collect();
                @let failing = slos.iter().any(|x| x.status != Status::Pass);
                (scenario::scenario_card(ti, si, sc, series, &slos, &rec.services, !many || failing))
            }
            (proxies::proxy_section(ti, &r.proxies))
        }
        "\n"
    }
}
