//! What the load generator did over time, beside what the server did: the VUs active
//! ([`users_figure`]), the answers by status class ([`classes_figure`]), and how late the
//! generator sent against the server's latency ([`lag_figure`]) — a stalled generator shows
//! as lag, a stalled server as latency.

use std::fmt::Write as _;

use maud::{Markup, html};

use crate::report::format::dur;
use crate::units::trim;

use super::time::{Agg, TimeChart, TimeFrame, TimeSeries, time_figure};
use super::{c, legend_item, line, linear_ticks, nice_axis};

/// The status classes of [`crate::artifacts::model::SeriesPoint::classes`]: label and CSS
/// suffix, stacked bottom to top.
const CLASSES: [(&str, &str); 5] = [
    ("2xx", "c2"),
    ("3xx", "c3"),
    ("4xx", "c4"),
    ("5xx", "c5"),
    ("no answer", "cx"),
];

/// The centre x of each bucket.
fn centres(f: &TimeFrame, ts: &TimeSeries) -> Vec<f64> {
    (0..ts.buckets.len())
        .map(|i| {
            let (a, b) = ts.span(i);
            f.x((a + b) as f64 / 2.0)
        })
        .collect()
}

/// A line over the buckets that had requests, `get` of each.
fn points(
    ts: &TimeSeries,
    xs: &[f64],
    y: impl Fn(f64) -> f64,
    get: fn(&Agg) -> u64,
) -> Vec<Option<(f64, f64)>> {
    ts.buckets
        .iter()
        .zip(xs)
        .map(|(b, x)| (b.requests > 0).then(|| (*x, y(get(b) as f64))))
        .collect()
}

/// Active VUs over time (the most seen when a request of the bucket was sent).
pub(in crate::artifacts::html) fn users_figure(ts: &TimeSeries) -> Markup {
    let f = TimeFrame::new(ts);
    let ymax = ts.buckets.iter().map(|b| b.users).max().unwrap_or(0) as f64;
    let (step, top) = nice_axis(ymax.max(1.0), 4);
    let step = step.max(1.0);
    let y = |v: f64| f.y(v, top);
    let ticks: Vec<(f64, String)> = linear_ticks(step, top)
        .filter(|_| ts.has_requests())
        .map(|v| (y(v), trim(v, 0)))
        .collect();
    let xs = centres(&f, ts);
    let pts = points(ts, &xs, y, |b| b.users);
    let chart = TimeChart {
        caption: "Active users",
        legend: legend_item("sw-users", "VUs active"),
        label: "active virtual users over time",
        ticks,
        data: line("l l-users", "d-users", &pts, ts.buckets.len() <= 40),
        axis_over_data: false,
        mark: "point",
        what: "the most VUs active when a request was sent",
    };
    time_figure(ts, &f, chart)
}

/// Answers per second by status class, stacked.
pub(in crate::artifacts::html) fn classes_figure(ts: &TimeSeries) -> Markup {
    let f = TimeFrame::new(ts);
    let per_s = |i: usize, n: u64| {
        let (a, b) = ts.span(i);
        n as f64 / (b - a).max(1) as f64
    };
    let ymax = (0..ts.buckets.len())
        .map(|i| per_s(i, ts.buckets[i].classes.iter().sum()))
        .fold(0.0, f64::max);
    let (step, top) = nice_axis(ymax, 4);
    let y = |v: f64| f.y(v, top);
    let ticks: Vec<(f64, String)> = linear_ticks(step, top)
        .filter(|_| ts.has_requests())
        .map(|v| (y(v), format!("{}/s", trim(v, 2))))
        .collect();
    let mut paths: [String; 5] = Default::default();
    for (i, b) in ts.buckets.iter().enumerate() {
        let (t0, t1) = ts.span(i);
        let (a, z) = (f.x(t0 as f64), f.x(t1 as f64));
        let gap = if z - a > 4.0 { 1.0 } else { 0.0 };
        let (x, wd) = (a + gap / 2.0, (z - a - gap).max(0.6));
        let mut below = 0u64;
        for (k, n) in b.classes.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let (y_lo, y_hi) = (y(per_s(i, below)), y(per_s(i, below + n)));
            let _ = write!(
                paths[k],
                "M{} {}h{}v{}h-{}Z",
                c(x),
                c(y_hi),
                c(wd),
                c((y_lo - y_hi).max(0.8)),
                c(wd)
            );
            below += n;
        }
    }
    let present: Vec<usize> = (0..5)
        .filter(|k| ts.buckets.iter().any(|b| b.classes[*k] > 0))
        .collect();
    let legend = html! {
        @for k in &present { (legend_item(&format!("sw-{}", CLASSES[*k].1), CLASSES[*k].0)) }
    };
    let data = html! {
        @for k in &present { path class={ "b-" (CLASSES[*k].1) } d=(paths[*k]) {} }
    };
    let chart = TimeChart {
        caption: "Answers by status class",
        legend,
        label: "answers per second by status class over time",
        ticks,
        data,
        axis_over_data: true,
        mark: "bar",
        what: "mean answers per second",
    };
    time_figure(ts, &f, chart)
}

/// How late the generator sent (p99 of send − intended start) beside the server's p99
/// latency, on one axis.
pub(in crate::artifacts::html) fn lag_figure(ts: &TimeSeries) -> Markup {
    let f = TimeFrame::new(ts);
    let ymax = ts
        .buckets
        .iter()
        .map(|b| b.p99.max(b.lag_p99))
        .max()
        .unwrap_or(0) as f64;
    let (step, top) = nice_axis(ymax.max(1000.0) * 1.04, 4);
    let y = |v: f64| f.y(v, top);
    let ticks: Vec<(f64, String)> = linear_ticks(step, top)
        .filter(|_| ts.has_requests())
        .map(|v| (y(v), dur(v.round() as u64)))
        .collect();
    let xs = centres(&f, ts);
    let dots = ts.buckets.len() <= 40;
    let latency = points(ts, &xs, y, |b| b.p99);
    let lag = points(ts, &xs, y, |b| b.lag_p99);
    let legend = html! {
        (legend_item("sw-lag", "generator lag p99"))
        (legend_item("sw-p99", "latency p99"))
    };
    let data = html! {
        (line("l l-p99 l-faint", "d-p99", &latency, false))
        (line("l l-lag", "d-lag", &lag, dots))
    };
    let chart = TimeChart {
        caption: "Generator lag and latency",
        legend,
        label: "how late requests were sent, beside their latency, over time",
        ticks,
        data,
        axis_over_data: false,
        mark: "point",
        what: "the worst second's p99",
    };
    time_figure(ts, &f, chart)
}
