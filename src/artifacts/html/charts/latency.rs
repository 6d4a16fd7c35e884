//! Latency over time: p50, p90 and p99 per bucket (steps when there are few buckets, lines
//! otherwise), with the scenario's latency SLO bounds drawn as dashed lines over the time
//! they apply to (the whole run, or one phase: `p95(latency) during chaos < 2s`).

use std::fmt::Write as _;

use maud::{Markup, html};

use crate::plan::Unit;
use crate::report::format::dur;
use crate::slo::{AssertionKind, SloResult, Status};

use super::time::{Agg, TimeChart, TimeFrame, TimeSeries, time_figure};
use super::{c, fit, legend_item, line, linear_ticks, nice_axis};

/// An SLO bound on latency, drawn as a horizontal line on the latency chart.
pub(in crate::artifacts::html) struct Bound {
    us: f64,
    label: String,
    held: bool,
    /// `(before|during|after, phase)` when the SLO reads one phase only.
    phase: Option<(String, String)>,
}

/// `p95(latency)`, `step chat: max(latency) during chaos`: a latency statistic, optionally
/// of one step and one phase; `None` for anything else (`p95(latency) - p50(latency)`, …).
pub(in crate::artifacts::html) fn latency_metric(metric: &str) -> Option<Option<(String, String)>> {
    let rest = match metric.strip_prefix("step ") {
        Some(r) => r.split_once(": ")?.1,
        None => metric,
    };
    let (stat, tail) = rest.split_once("(latency)")?;
    let stat_ok = matches!(stat, "max" | "min" | "mean")
        || stat
            .strip_prefix('p')
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    if !stat_ok {
        return None;
    }
    if tail.is_empty() {
        return Some(None);
    }
    let (when, name) = tail.trim_start().split_once(' ')?;
    if !matches!(when, "before" | "during" | "after") || name.is_empty() || name.contains(' ') {
        return None;
    }
    Some(Some((when.to_string(), name.to_string())))
}

/// Where on the time line a phase qualifier applies; `None` when the phase is not drawn.
fn phase_spans(ts: &TimeSeries, when: &str, name: &str) -> Option<Vec<(u64, u64)>> {
    let spans: Vec<_> = ts.phases.iter().filter(|p| p.name == name).collect();
    let end = ts.end_s * 1_000_000;
    let first = spans.iter().map(|p| p.start_us).min()?;
    let last = spans.iter().map(|p| p.end_us).max()?;
    Some(match when {
        "before" => vec![(0, first)],
        "after" => vec![(last, end)],
        _ => spans.iter().map(|p| (p.start_us, p.end_us)).collect(),
    })
}

/// Latency SLOs of the scenario with a duration bound (`p95(latency) < 500ms`).
pub(in crate::artifacts::html) fn latency_bounds(slos: &[&SloResult]) -> Vec<Bound> {
    let mut out: Vec<Bound> = Vec::new();
    for r in slos {
        if r.kind != AssertionKind::Slo
            || r.unit != Unit::Duration
            || !r.bound.is_finite()
            || r.bound <= 0.0
        {
            continue;
        }
        let Some(phase) = latency_metric(&r.metric) else {
            continue;
        };
        if out
            .iter()
            .any(|b| (b.us - r.bound).abs() < 1.0 && b.phase == phase)
        {
            continue;
        }
        out.push(Bound {
            us: r.bound,
            label: format!("{} {} {}", r.metric, r.op.symbol(), r.rhs_display),
            held: r.status == Status::Pass,
            phase,
        });
    }
    out
}

/// Reads one percentile of a bucket.
type Percentile = fn(&Agg) -> u64;

/// The percentiles as steps: each value holds for its whole bucket (few, long buckets).
fn step_path(
    f: &TimeFrame,
    ts: &TimeSeries,
    y: impl Fn(f64) -> f64,
    get: fn(&Agg) -> u64,
) -> String {
    let mut d = String::new();
    let mut prev = false;
    for (i, b) in ts.buckets.iter().enumerate() {
        if b.requests == 0 {
            prev = false;
            continue;
        }
        let (t0, t1) = ts.span(i);
        let yy = c(y(get(b) as f64));
        let x1 = c(f.x(t1 as f64));
        if prev {
            let _ = write!(d, "V{yy}H{x1}");
        } else {
            let _ = write!(d, "M{} {yy}H{x1}", c(f.x(t0 as f64)));
        }
        prev = true;
    }
    d
}

/// A bound's dashed line over the spans it applies to, labelled at one end.
fn bound_line(f: &TimeFrame, ts: &TimeSeries, b: &Bound, yy: f64) -> Markup {
    let spans = match &b.phase {
        None => vec![(0, ts.end_s * 1_000_000)],
        Some((when, name)) => phase_spans(ts, when, name).unwrap_or_default(),
    };
    let ok = if b.held { "ok" } else { "bad" };
    let drawn: Vec<(f64, f64)> = spans
        .into_iter()
        .map(|(a, z)| (f.x_us(a), f.x_us(z)))
        .filter(|(xa, xz)| xz - xa >= 1.0)
        .collect();
    // The label ends where the line ends, or starts where it starts when that leaves more
    // room.
    let label = drawn.last().and_then(|&(xa, xz)| {
        let (x, anchor, room) = if xz - f.x0 >= f.x1 - xa {
            (xz - 4.0, "end", xz - f.x0 - 8.0)
        } else {
            (xa + 4.0, "start", f.x1 - xa - 8.0)
        };
        fit(&b.label, room, 10.0).map(|text| (x, anchor, text))
    });
    html! {
        @for (xa, xz) in &drawn {
            line class={ "thr " (ok) } x1=(c(*xa)) x2=(c(*xz)) y1=(c(yy)) y2=(c(yy)) {}
        }
        @if let Some((x, anchor, text)) = label {
            text class={ "thr-t " (ok) } x=(c(x)) y=(c(yy - 4.0)) text-anchor=(anchor) { (text) }
        }
    }
}

/// The latency-over-time figure of one scenario.
pub(in crate::artifacts::html) fn latency_figure(ts: &TimeSeries, bounds: &[Bound]) -> Markup {
    let data_max = ts.buckets.iter().map(|b| b.p99).max().unwrap_or(0) as f64;
    // A bound far above the data would flatten it: draw only those near the data.
    let shown: Vec<&Bound> = bounds
        .iter()
        .filter(|b| ts.has_requests() && b.us <= data_max * 2.5)
        .collect();
    let legend = html! {
        (legend_item("sw-p50", "p50"))
        (legend_item("sw-p90", "p90"))
        (legend_item("sw-p99", "p99"))
        @if !shown.is_empty() { (legend_item("sw-bound", "SLO bound")) }
    };
    let f = TimeFrame::new(ts);
    let ymax = shown.iter().map(|b| b.us).fold(data_max, f64::max);
    let (step, top) = nice_axis(ymax * 1.04, 4);
    let y = |v: f64| f.y(v, top);
    let ticks: Vec<(f64, String)> = linear_ticks(step, top)
        .filter(|_| ts.has_requests())
        .map(|v| (y(v), dur(v.round() as u64)))
        .collect();
    let xs: Vec<f64> = (0..ts.buckets.len())
        .map(|i| {
            let (a, b) = ts.span(i);
            f.x((a + b) as f64 / 2.0)
        })
        .collect();
    let dots = ts.buckets.len() <= 40;
    // A few long buckets read better as steps: each value holds for its whole second.
    let steps = ts.buckets.len() <= 12;
    let percentiles: [(&str, Percentile); 3] =
        [("p50", |b| b.p50), ("p90", |b| b.p90), ("p99", |b| b.p99)];
    let data = html! {
        @for (class, get) in percentiles {
            @if steps {
                path class={ "l l-" (class) } d=(step_path(&f, ts, y, get)) {}
            } @else {
                @let pts: Vec<Option<(f64, f64)>> = ts
                    .buckets
                    .iter()
                    .zip(&xs)
                    .map(|(b, x)| (b.requests > 0).then(|| (*x, y(get(b) as f64))))
                    .collect();
                (line(&format!("l l-{class}"), &format!("d-{class}"), &pts, dots))
            }
        }
        @for b in &shown {
            (bound_line(&f, ts, b, y(b.us)))
        }
    };
    let chart = TimeChart {
        caption: "Latency over time",
        legend,
        label: "latency percentiles over time",
        ticks,
        data,
        axis_over_data: false,
        mark: "point",
        what: "the worst second's percentiles",
    };
    time_figure(ts, &f, chart)
}
