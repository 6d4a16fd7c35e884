//! The scenario comparison of a test with several scenarios: a table (requests, errors,
//! success, p95 retries, cost and iteration time, and both as a multiple of the baseline),
//! then the same as bars.

use std::collections::BTreeMap;

use maud::{Markup, html};

use crate::report::format::TYPESET;
use crate::report::{ComparisonRow, Report};

use super::charts::bars::{success_bars, success_floor, time_bars};
use super::charts::figure;
use super::wbr;

/// ` t-fail` when a ratio to the baseline is ×2 or worse, ` t-warn` above ×1.1.
fn ratio_class(v: Option<f64>) -> &'static str {
    match v {
        Some(v) if v >= 2.0 => " t-fail",
        Some(v) if v > 1.1 => " t-warn",
        _ => "",
    }
}

/// A number cell, with an extra class (`" t-fail"`, …) or none.
fn num(class: &str, value: String) -> Markup {
    html! { td class={ "num" (class) } { (value) } }
}

pub(super) fn comparison_section(ti: usize, r: &Report, anchors: &BTreeMap<&str, usize>) -> Markup {
    let rows = &r.comparison;
    if rows.is_empty() {
        return html! {};
    }
    let base = rows.iter().find(|x| x.scenario == "baseline");
    let with_base = rows
        .iter()
        .any(|x| x.duration_vs_baseline.is_some() || x.cost_vs_baseline.is_some());
    let with_cost = rows.iter().any(|x| x.p95_cost.is_some());
    let time_caption = html! {
        "p95 iteration time"
        @if base.is_some() { " " span.sub { "× baseline" } }
    };
    let success_caption = html! {
        "Success rate " span.sub { "iterations that succeeded" }
    };
    let floor = success_floor(rows);
    let success_foot = (floor > 0.0).then(|| format!("the track starts at {floor}%"));
    html! {
        section.card {
            h2.h {
                "Scenario comparison"
                @if base.is_some() { " " span.count { "vs baseline" } }
            }
            div.tbl { table.cmp {
                thead { tr {
                    th { "scenario" } th.num { "requests" } th.num { "errors" }
                    th.num { "success" } th.num { "p95 retries" }
                    @if with_cost { th.num { "p95 cost" } }
                    th.num { "p95 time" }
                    @if with_base {
                        th.num { "time ÷ baseline" }
                        @if with_cost { th.num { "cost ÷ baseline" } }
                    }
                } }
                tbody {
                    "\n"
                    @for row in rows {
                        (comparison_row(ti, r, row, base, anchors, with_base, with_cost))
                    }
                }
            } }
            div.grid2 {
                (figure(time_caption, None, time_bars(rows, base), None))
                (figure(success_caption, None, success_bars(rows), success_foot.as_deref()))
            }
        }
        "\n"
    }
}

fn comparison_row(
    ti: usize,
    r: &Report,
    row: &ComparisonRow,
    base: Option<&ComparisonRow>,
    anchors: &BTreeMap<&str, usize>,
    with_base: bool,
    with_cost: bool,
) -> Markup {
    let sc = r.scenarios.iter().find(|x| x.name == row.scenario);
    let is_base = base.is_some_and(|b| b.scenario == row.scenario);
    let (req, err, err_cls) = match sc {
        Some(sc) => (
            sc.requests.count.to_string(),
            TYPESET.pct(sc.requests.error_rate_pct),
            if sc.requests.failed > 0 {
                " t-fail"
            } else {
                ""
            },
        ),
        None => (TYPESET.missing.into(), TYPESET.missing.into(), ""),
    };
    let succ_cls = if row.success_rate_pct.is_some_and(|v| v < 100.0) {
        " t-warn"
    } else {
        ""
    };
    html! {
        tr class=[is_base.then_some("base")] {
            td.wrap {
                @match anchors.get(row.scenario.as_str()) {
                    Some(si) => a href={ "#t" (ti) "-s" (si) } { (wbr(&row.scenario)) },
                    None => (wbr(&row.scenario)),
                }
            }
            (num("", req))
            (num(err_cls, err))
            (num(succ_cls, TYPESET.pct(row.success_rate_pct)))
            (num("", TYPESET.num(row.p95_retries)))
            @if with_cost { (num("", TYPESET.money(row.p95_cost))) }
            (num("", TYPESET.dur(row.p95_duration_us)))
            @if with_base {
                (num(ratio_class(row.duration_vs_baseline), TYPESET.ratio(row.duration_vs_baseline)))
                @if with_cost {
                    (num(ratio_class(row.cost_vs_baseline), TYPESET.ratio(row.cost_vs_baseline)))
                }
            }
        }
        "\n"
    }
}
