//! One card per scenario: a summary line (requests, errors, throughput, p95 iteration, SLO
//! state) that opens onto the charts over time (latency, throughput, active users, status
//! classes, generator lag), the latency distribution, one memory-and-CPU chart per service of
//! the test (on the same time axis), the table per step, then the numbers (requests,
//! iterations, fault rules, captures, phases).

use maud::{Markup, html};

use crate::artifacts::model::ScenarioSeries;
use crate::metrics::ServiceData;
use crate::report::format::{
    TIMING_HEADER, TYPESET, capture_name, capture_values, collapsed_timing_rows, dur,
    iteration_timing, plural,
};
use crate::report::{Count, ScenarioReport, Timing, TimingKind};
use crate::slo::{SloResult, Status};
use crate::units::Percent;

use super::charts::latency::{latency_bounds, latency_figure};
use super::charts::load::{classes_figure, lag_figure, users_figure};
use super::charts::service::service_figure;
use super::charts::spectrum::spectrum_figure;
use super::charts::throughput::throughput_figure;
use super::charts::time::TimeSeries;
use super::wbr;

pub(super) fn scenario_card(
    ti: usize,
    si: usize,
    sc: &ScenarioReport,
    series: Option<&ScenarioSeries>,
    slos: &[&SloResult],
    services: &[ServiceData],
    open: bool,
) -> Markup {
    html! {
        details.card.scn id={ "t" (ti) "-s" (si) } open[open] {
            (summary(sc, slos))
            "\n"
            div.scn-body {
                div.grid2 {
                    @match series {
                        Some(series) => {
                            @let ts = TimeSeries::new(series, sc.duration_us);
                            (latency_figure(&ts, &latency_bounds(slos)))
                            (throughput_figure(&ts))
                            (users_figure(&ts))
                            (classes_figure(&ts))
                            (lag_figure(&ts))
                        }
                        None => p.muted.nodata { "No time series was recorded for this scenario." },
                    }
                    (spectrum_figure(&sc.timings))
                    @if let Some(series) = series {
                        @let ts = TimeSeries::new(series, sc.duration_us);
                        @for data in services {
                            @if let Some(span) = data.scenarios.iter().find(|s| s.scenario == sc.name) {
                                @for record in &data.services {
                                    (service_figure(&ts, record, span, &data.shown(&record.name)))
                                }
                            }
                        }
                    }
                }
                (timings_table(&sc.timings))
                (facts(sc))
            }
        }
        "\n"
    }
}

/// The always-visible line of a card: state dot, name, parts, pills.
fn summary(sc: &ScenarioReport, slos: &[&SloResult]) -> Markup {
    let bad = slos.iter().filter(|x| x.status != Status::Pass).count();
    let dot = match (slos.is_empty(), bad) {
        (true, _) => "none",
        (false, 0) => "pass",
        _ => "fail",
    };
    let rq = &sc.requests;
    html! {
        summary {
            span class={ "dot " (dot) } {}
            span.scn-name { (sc.name) }
            @if !sc.parts.is_empty() { span.parts { "= " (sc.parts.join(" + ")) } }
            span.pills {
                span.pill { (rq.count) " request" (plural(rq.count)) }
                @if rq.count > 0 {
                    span class={ "pill" (if rq.failed > 0 { " bad" } else { "" }) } {
                        (TYPESET.pct(rq.error_rate_pct)) " errors"
                    }
                    span.pill { (TYPESET.rate(rq.throughput_per_s)) }
                }
                @if let Some(t) = iteration_timing(&sc.timings) {
                    span.pill { "p95 iteration " (dur(t.p95_us)) }
                }
                span.pill { "ran " (dur(sc.duration_us)) }
                @if bad > 0 {
                    span.pill.bad.strong { (bad) " SLO" (plural(bad as u64)) " failed" }
                } @else if !slos.is_empty() {
                    span.pill.good { "SLOs held" }
                }
            }
        }
    }
}

fn timings_table(timings: &[Timing]) -> Markup {
    html! {
        div.sub-card {
            h3.hh { "Latency per step" }
            @if timings.is_empty() {
                p.muted { "No requests." }
            } @else {
                div.tbl { table.timings {
                    thead { tr {
                        @for (i, h) in TIMING_HEADER.iter().enumerate() {
                            th class=[(i >= 2).then_some("num")] { (h) }
                        }
                    } }
                    tbody {
                        @for r in collapsed_timing_rows(timings, str::to_string) {
                            tr class=[(r.first_measure == "latency").then_some("lat")] {
                                td.wrap { (r.cells[0]) }
                                td { (r.cells[1]) }
                                @for cell in &r.cells[2..] { td.num { (cell) } }
                            }
                        }
                    }
                } }
                p.foot {
                    "latency: from the intended start (what SLOs read) · service time: from the send · rows with identical numbers are shown once"
                }
            }
        }
    }
}

/// Counts as chips (`429 12 30%`), each coloured by `class_of` its name.
pub(super) fn chips(counts: &[Count], class_of: impl Fn(&str) -> &'static str) -> Markup {
    html! {
        div.chips {
            @for c in counts {
                span class={ "chip" (class_of(&c.name)) } {
                    b { (c.name) } " " (c.count)
                    @if let Some(p) = c.pct { " " i { (Percent(p)) } }
                }
            }
        }
    }
}

/// One `key: value` row of a facts list.
pub(super) fn kv(key: &str, value: Markup) -> Markup {
    html! { div { dt { (key) } dd { (value) } } }
}

/// A `count (percent)` value, in red when `bad`.
fn count_pct(count: u64, pct: Option<f64>, bad: bool) -> Markup {
    let text = format!("{count} ({})", TYPESET.pct(pct));
    html! {
        @if bad { span.t-fail { (text) } } @else { (text) }
    }
}

pub(super) fn status_class(name: &str) -> &'static str {
    match name.as_bytes().first() {
        Some(b'2') => " good",
        Some(b'4') => " warn",
        Some(b'5') | Some(b'n') => " bad",
        _ => "",
    }
}

fn facts(sc: &ScenarioReport) -> Markup {
    let r = &sc.requests;
    html! {
        div.facts {
            div.sub-card {
                h3.hh { "Requests" }
                dl.kv {
                    (kv("total", html! { (r.count) }))
                    (kv("failed", count_pct(r.failed, r.error_rate_pct, r.failed > 0)))
                    (kv("throughput", html! { (TYPESET.rate(r.throughput_per_s)) }))
                    (kv("iterations", html! { (sc.iterations) }))
                    (kv("late sends", html! { (r.late) }))
                    (kv("dropped arrivals", html! { (r.dropped) }))
                    (kv("injected faults", html! { (r.injected) }))
                }
                @if !r.statuses.is_empty() { h4 { "status" } (chips(&r.statuses, status_class)) }
                @if !r.errors.is_empty() { h4 { "errors" } (chips(&r.errors, |_| " bad")) }
            }
            @if sc.iterations > 0 { (iterations(sc)) }
            @if !sc.captures.is_empty() || !sc.faults.is_empty() { (faults_and_captures(sc)) }
            @if !sc.checks.is_empty() { (checks(sc)) }
            @if !sc.phases.is_empty() { (phases(sc)) }
        }
    }
}

/// The table of `check`s: ✓/✗, step, expression, passed, failed, ended iterations.
fn checks(sc: &ScenarioReport) -> Markup {
    html! {
        div.sub-card.span2 {
            h3.hh { "Checks" }
            div.tbl { table.slo {
                thead { tr {
                    th { "" } th { "step" } th { "check" } th.num { "passed" }
                    th.num { "failed" } th.num { "failed %" } th.num { "ended iterations" }
                } }
                tbody {
                    @for c in &sc.checks {
                        tr class=(if c.failed > 0 { "bad" } else { "ok" }) {
                            td.mark { (if c.failed > 0 { "✗" } else { "✓" }) }
                            td.wrap { (c.step) }
                            td.wrap { code { (c.check) } }
                            td.num { (c.passed) }
                            td.num { (c.failed) }
                            td.num { (TYPESET.pct(c.failed_pct)) }
                            td.num { (c.ended_iterations) }
                        }
                    }
                }
            } }
        }
    }
}

fn iterations(sc: &ScenarioReport) -> Markup {
    let rt = &sc.retries;
    html! {
        div.sub-card {
            h3.hh { "Iterations" }
            @if !sc.outcomes.is_empty() {
                h4 { "outcomes" }
                (chips(&sc.outcomes, |name| if name == "success" { " good" } else { " bad" }))
            }
            h4 { "retries per iteration" }
            dl.kv {
                (kv("p50", html! { (TYPESET.num(rt.p50)) }))
                (kv("p95", html! { (TYPESET.num(rt.p95)) }))
                (kv("max", html! { (TYPESET.num(rt.max)) }))
                (kv("budget exceeded during retry", count_pct(
                    rt.budget_exceeded_during_retry,
                    rt.budget_exceeded_during_retry_pct,
                    false,
                )))
            }
            @if !rt.by_reason.is_empty() {
                h4 { "retries by reason" }
                (chips(&rt.by_reason, |_| ""))
            }
            @if let Some(cost) = &sc.cost {
                h4 { "cost per iteration" }
                dl.kv {
                    (kv("p50", html! { (TYPESET.money(Some(cost.p50))) }))
                    (kv("p95", html! { (TYPESET.money(Some(cost.p95))) }))
                    (kv("p99", html! { (TYPESET.money(Some(cost.p99))) }))
                }
            }
        }
    }
}

fn faults_and_captures(sc: &ScenarioReport) -> Markup {
    html! {
        div.sub-card {
            @if !sc.faults.is_empty() {
                h3.hh { "Fault rules" }
                div.tbl { table {
                    thead { tr { th { "rule" } th.num { "fired" } th.num { "of requests" } } }
                    tbody {
                        @for f in &sc.faults {
                            tr {
                                td.wrap { code { (f.name) } }
                                td.num { (f.count) }
                                td.num { (TYPESET.pct(f.pct)) }
                            }
                        }
                    }
                } }
            }
            @if !sc.captures.is_empty() {
                h3.hh { "Captures" }
                div.tbl { table {
                    thead { tr { th { "capture" } th { "summary" } } }
                    tbody {
                        @for cap in &sc.captures {
                            tr { td.wrap { (capture_name(cap)) } td { (capture_values(cap, " · ")) } }
                        }
                    }
                } }
            }
        }
    }
}

fn phases(sc: &ScenarioReport) -> Markup {
    html! {
        div.sub-card.span2 {
            h3.hh { "By phase" }
            div.tbl { table {
                thead { tr {
                    th { "phase" } th.num { "requests" } th.num { "errors" }
                    th.num { "throughput" } th.num { "p95 latency" }
                } }
                tbody {
                    @for p in &sc.phases {
                        @let p95 = p
                            .timings
                            .iter()
                            .filter(|t| t.kind == TimingKind::Latency)
                            .map(|t| t.p95_us)
                            .max();
                        tr {
                            td.ph { (wbr(&p.name)) }
                            td.num { (p.requests) }
                            td class={ "num" (if p.failed > 0 { " t-fail" } else { "" }) } {
                                (TYPESET.pct(p.error_rate_pct))
                            }
                            td.num { (TYPESET.rate(p.throughput_per_s)) }
                            td.num { (TYPESET.dur(p95)) }
                        }
                    }
                }
            } }
            p.foot { "p95 latency: the slowest step's" }
        }
    }
}
