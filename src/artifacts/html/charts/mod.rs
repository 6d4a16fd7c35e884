//! The page's charts, drawn as inline SVG in a fixed coordinate box (`viewBox`) that scales
//! with its column. One file per kind: [`latency`], [`throughput`] and the generator's
//! [`load`] (active users, status classes, lag) over time (sharing the
//! time axis, stage lanes and hover columns of [`time`]), the latency [`spectrum`] per step,
//! and the comparison [`bars`]. Here: the shared geometry, axes and text fitting.
//!
//! Every piece of text goes through `maud`, which escapes it; the only strings built by hand
//! are SVG path data, which hold numbers only.

pub(super) mod bars;
pub(super) mod latency;
pub(super) mod load;
pub(super) mod service;
pub(super) mod spectrum;
pub(super) mod throughput;
pub(super) mod time;

use std::fmt::Write as _;

use maud::{Markup, html};

/// Width of every chart's coordinate box; charts scale to their column.
pub(super) const CW: f64 = 640.0;
const PLOT_H: f64 = 176.0;
const ML: f64 = 58.0;
const MR: f64 = 22.0;
const LANE: f64 = 18.0;
/// Time charts show at most this many buckets (bars, hover targets, line points).
const MAX_BUCKETS: u64 = 180;
const FONT: f64 = 11.0;

/// A coordinate, one decimal, no trailing `.0`.
pub(super) fn c(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Rough width of `text` in SVG units at `size` px (system sans-serif).
fn text_w(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

/// `text` cut with `…` to fit `max` units, or `None` when not even two characters fit.
fn fit(text: &str, max: f64, size: f64) -> Option<String> {
    if text_w(text, size) <= max {
        return Some(text.to_string());
    }
    let n = (max / (size * 0.6)).floor() as usize;
    if n < 3 {
        return None;
    }
    Some(text.chars().take(n - 1).collect::<String>() + "…")
}

/// `text` cut in the middle with `…` to fit `max` units, keeping its end (where generated
/// names differ: `generated_s…_07`); `None` when not even three characters fit.
pub(super) fn fit_mid(text: &str, max: f64, size: f64) -> Option<String> {
    if text_w(text, size) <= max {
        return Some(text.to_string());
    }
    let n = (max / (size * 0.6)).floor() as usize;
    if n < 4 {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let tail = (n - 1) / 2;
    let head = n - 1 - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    Some(out)
}

/// A step of 1, 2, 2.5 or 5 × 10ⁿ giving about `n` ticks up to `max`; returns (step, top).
fn nice_axis(max: f64, n: usize) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, n as f64);
    }
    let raw = max / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|m| f <= m + 1e-9)
        .unwrap_or(10.0);
    let step = m * mag;
    let top = ((max / step) - 1e-9).ceil().max(1.0) * step;
    (step, top)
}

/// The values `0, step, 2·step, …` up to `top`.
fn linear_ticks(step: f64, top: f64) -> impl Iterator<Item = f64> {
    (0..)
        .map(move |k| k as f64 * step)
        .take_while(move |v| *v <= top + step * 1e-6)
}

/// The `<svg>` element of a chart `h` units high, labelled for screen readers.
fn svg(h: f64, label: &str, body: Markup) -> Markup {
    html! {
        svg viewBox={ "0 0 " (c(CW)) " " (c(h)) } role="img" aria-label=(label) { (body) }
    }
}

/// A chart: caption (with its legend, if any), the SVG, then an optional footnote.
pub(super) fn figure(
    caption: Markup,
    legend: Option<Markup>,
    chart: Markup,
    foot: Option<&str>,
) -> Markup {
    html! {
        figure.chart {
            figcaption {
                (caption)
                @if let Some(legend) = legend { span.legend { (legend) } }
            }
            (chart)
            @if let Some(foot) = foot { p.foot { (foot) } }
        }
    }
}

/// A message in the middle of an empty plot.
fn message(x0: f64, x1: f64, top: f64, bottom: f64, text: &str) -> Markup {
    html! {
        text.msg x=(c((x0 + x1) / 2.0)) y=(c((top + bottom) / 2.0 + 4.0)) text-anchor="middle" {
            (text)
        }
    }
}

/// Horizontal grid lines and left-hand labels for `ticks` (value, label).
fn y_grid(x0: f64, x1: f64, ticks: &[(f64, String)]) -> Markup {
    html! {
        g.grid {
            @for (y, _) in ticks {
                line x1=(c(x0)) x2=(c(x1)) y1=(c(*y)) y2=(c(*y)) {}
            }
        }
        g.ylab {
            @for (y, label) in ticks {
                text x=(c(x0 - 6.0)) y=(c(y + 3.5)) text-anchor="end" { (label) }
            }
        }
    }
}

/// A legend entry: a swatch of `class` and its label.
fn legend_item(class: &str, label: &str) -> Markup {
    html! {
        span.lg { i class={ "sw " (class) } {} (label) }
    }
}

/// A polyline through the present points, broken at gaps; a dot where a point stands alone
/// (or at every point when `dots`).
fn line(class: &str, dot_class: &str, pts: &[Option<(f64, f64)>], dots: bool) -> Markup {
    let mut d = String::new();
    let mut lone = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        let Some((x, y)) = p else { continue };
        let prev = i > 0 && pts[i - 1].is_some();
        let next = pts.get(i + 1).is_some_and(Option::is_some);
        let _ = write!(d, "{}{} {}", if prev { 'L' } else { 'M' }, c(*x), c(*y));
        if dots || (!prev && !next) {
            lone.push((*x, *y));
        }
    }
    html! {
        @if !d.is_empty() { path class=(class) d=(d) {} }
        @for (x, y) in lone {
            circle class=(dot_class) cx=(c(x)) cy=(c(y)) r="2.6" {}
        }
    }
}
