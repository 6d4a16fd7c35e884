//! Throughput and errors over time: one stacked bar per bucket (succeeded over failed), in
//! mean requests per second.

use std::fmt::Write as _;

use maud::{Markup, html};

use crate::units::trim;

use super::time::{TimeChart, TimeFrame, TimeSeries, time_figure};
use super::{c, legend_item, linear_ticks, nice_axis};

/// A bar as path data: `M x y h w v h h-w Z`.
fn bar(d: &mut String, x: f64, y: f64, w: f64, h: f64) {
    let _ = write!(d, "M{} {}h{}v{}h-{}Z", c(x), c(y), c(w), c(h), c(w));
}

/// The throughput-and-errors figure of one scenario.
pub(in crate::artifacts::html) fn throughput_figure(ts: &TimeSeries) -> Markup {
    let legend = html! {
        (legend_item("sw-ok", "succeeded"))
        (legend_item("sw-err", "failed"))
    };
    let f = TimeFrame::new(ts);
    let per_s = |i: usize, n: u64| {
        let (a, b) = ts.span(i);
        n as f64 / (b - a).max(1) as f64
    };
    let ymax = (0..ts.buckets.len())
        .map(|i| per_s(i, ts.buckets[i].requests))
        .fold(0.0, f64::max);
    let (step, top) = nice_axis(ymax, 4);
    let y = |v: f64| f.y(v, top);
    let ticks: Vec<(f64, String)> = linear_ticks(step, top)
        .filter(|_| ts.has_requests())
        .map(|v| (y(v), format!("{}/s", trim(v, 2))))
        .collect();
    let mut ok = String::new();
    let mut err = String::new();
    for (i, b) in ts.buckets.iter().enumerate() {
        if b.requests == 0 {
            continue;
        }
        let (t0, t1) = ts.span(i);
        let (a, z) = (f.x(t0 as f64), f.x(t1 as f64));
        let gap = if z - a > 4.0 { 1.0 } else { 0.0 };
        let (x, wd) = (a + gap / 2.0, (z - a - gap).max(0.6));
        let y_all = y(per_s(i, b.requests));
        let y_err = y(per_s(i, b.errors));
        let h_ok = (y_err - y_all).max(0.0);
        if h_ok > 0.0 {
            bar(&mut ok, x, y_all, wd, h_ok);
        }
        if b.errors > 0 {
            bar(&mut err, x, y_err, wd, (f.bottom - y_err).max(1.0));
        }
    }
    let data = html! {
        @if !ok.is_empty() { path.b-ok d=(ok) {} }
        @if !err.is_empty() { path.b-err d=(err) {} }
    };
    let chart = TimeChart {
        caption: "Throughput and errors",
        legend,
        label: "requests and errors per second over time",
        ticks,
        data,
        axis_over_data: true,
        mark: "bar",
        what: "mean requests per second",
    };
    time_figure(ts, &f, chart)
}
