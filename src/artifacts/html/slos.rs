//! The SLO table of a test: one row per assertion, its result for every scenario it was
//! evaluated for side by side (✓/✗, scenario, measured), the bound, and `file:line`.

use std::collections::BTreeMap;

use maud::{Markup, html};

use crate::report::format::{bound, worst_window};
use crate::slo::{AssertionKind, SloResult, Status};

use super::base_name;

pub(super) fn slo_section(
    ti: usize,
    file: &str,
    slos: &[SloResult],
    anchors: &BTreeMap<&str, usize>,
) -> Markup {
    let bad = slos.iter().filter(|x| x.status != Status::Pass).count();
    html! {
        section.card {
            h2.h {
                "SLOs "
                @if slos.is_empty() {}
                @else if bad == 0 { span.count.pass { "all " (slos.len()) " checks held" } }
                @else { span.count.fail { (bad) " of " (slos.len()) " checks failed" } }
            }
            @if slos.is_empty() {
                p.muted { "This test declares no SLO." }
            } @else {
                div.tbl { table.slo {
                    thead { tr {
                        th.mark {} th { "assertion" } th { "scenario: measured" } th { "bound" }
                        th { "where" }
                    } }
                    tbody {
                        "\n"
                        @for group in groups(slos) { (slo_row(ti, file, &group, anchors)) }
                    }
                } }
            }
        }
        "\n"
    }
}

/// One row per assertion; an SLO evaluated for every scenario has one result each, shown
/// side by side so that 7 scenarios × 8 SLOs stay 8 rows.
fn groups(slos: &[SloResult]) -> Vec<Vec<&SloResult>> {
    let mut out: Vec<Vec<&SloResult>> = Vec::new();
    for r in slos {
        match out.last_mut() {
            Some(group)
                if group[0].kind == r.kind
                    && group[0].slo == r.slo
                    && group[0].line == r.line
                    && group[0].text == r.text =>
            {
                group.push(r);
            }
            _ => out.push(vec![r]),
        }
    }
    out
}

/// What was measured: the value, or why there is none.
fn measured(r: &SloResult) -> String {
    match r.status {
        Status::NoData => "no data".to_string(),
        Status::NotMeasured => "not measured".to_string(),
        _ => r.lhs_display.clone(),
    }
}

/// The tooltip of one result: scenario, metric, value and bound, worst window, message.
fn result_tip(r: &SloResult) -> String {
    let mut tip = format!("{}: {} {} {}", r.scenario, r.metric, measured(r), bound(r));
    if let Some(window) = worst_window(r) {
        tip.push('\n');
        tip.push_str(&window);
    }
    if let Some(m) = &r.message {
        tip.push('\n');
        tip.push_str(m);
    }
    tip
}

/// One assertion and its results (one per scenario it was evaluated for).
fn slo_row(ti: usize, file: &str, group: &[&SloResult], anchors: &BTreeMap<&str, usize>) -> Markup {
    let first = group[0];
    let failed = group.iter().filter(|r| r.status != Status::Pass).count();
    let (cls, mark, word) = if failed == 0 {
        ("ok", "✓", "held")
    } else {
        ("bad", "✗", "failed")
    };
    // The bound goes in its own column when it is the same for every scenario (a relative
    // bound differs per scenario: then each result carries its own).
    let same_bound = group
        .iter()
        .all(|r| r.rhs_display == first.rhs_display && r.op == first.op);
    html! {
        tr class=(cls) {
            td.mark title=(word) { (mark) }
            td.assert {
                @if first.kind == AssertionKind::Abort { span.tag { "abort if" } " " }
                code { (first.text) }
                @if let Some(expr) = &first.bound_expr { div.note { "bound: " (expr) } }
                @if group.len() > 1 && failed > 0 {
                    div.note.t-fail { "failed for " (failed) " of " (group.len()) " scenarios" }
                }
            }
            td.res {
                @for r in group {
                    @let ok = r.status == Status::Pass;
                    a class={ "res-chip " (if ok { "ok" } else { "bad" }) }
                        href=[anchors.get(r.scenario.as_str()).map(|si| format!("#t{ti}-s{si}"))]
                        title=(result_tip(r)) {
                        i { (if ok { "✓" } else { "✗" }) }
                        span.sn { (r.scenario) }
                        " "
                        b { (measured(r)) }
                        @if !same_bound { " " span.bd { (bound(r)) } }
                    }
                }
                // Why a check failed, under the results: its worst window, or why there
                // was no value.
                @for r in group.iter().filter(|r| r.status != Status::Pass) {
                    @let why: Vec<String> = worst_window(r).into_iter().chain(r.message.clone()).collect();
                    @if !why.is_empty() {
                        div.note.why { b { (r.scenario) } ": " (why.join("; ")) }
                    }
                }
            }
            td.nowrap {
                @if same_bound { (bound(first)) } @else { span.muted { "per scenario" } }
            }
            td.loc title={ (file) ":" (first.line) } { (base_name(file)) ":" (first.line) }
        }
        "\n"
    }
}
