//! The latency distribution per step (an HDR percentile plot): each step's p50 … p99.99 and
//! max on a log x axis
//! (−log10(1 − q)), the whole iteration's duration dashed; the y axis turns logarithmic when
//! the values span more than a factor of 20.

use maud::{Markup, html};

use crate::report::format::{dur, iteration_timing, plural};
use crate::report::{Timing, TimingKind};

use super::{CW, ML, MR, PLOT_H, c, figure, legend_item, line, linear_ticks, message, nice_axis};
use super::{svg, y_grid};

/// The percentiles of a `Timing`, placed at −log10(1 − q) (an HDR percentile plot up to
/// p99.99); `max` after them.
const QUANTILES: [(&str, f64); 8] = [
    ("p50", std::f64::consts::LOG10_2),
    ("p75", 2.0 * std::f64::consts::LOG10_2),
    ("p90", 1.0),
    ("p95", 1.0 + std::f64::consts::LOG10_2),
    ("p99", 2.0),
    ("p99.9", 3.0),
    ("p99.99", 4.0),
    ("max", 4.6),
];

/// The values of a `Timing` at [`QUANTILES`], µs.
fn quantile_values(t: &Timing) -> [u64; 8] {
    let [p75, p999, p9999] = t.tail_us;
    [
        t.p50_us, p75, t.p90_us, t.p95_us, t.p99_us, p999, p9999, t.max_us,
    ]
}

/// Steps drawn at most (each has its own colour).
const MAX_STEPS: usize = 8;

/// The 1-2-5 values from `lo` to `hi` (both such values).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut mag = 10f64.powf(lo.log10().floor());
    while mag <= hi * 1.000_001 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * mag;
            if v >= lo * 0.999_999 && v <= hi * 1.000_001 {
                out.push(v);
            }
        }
        mag *= 10.0;
    }
    if out.len() > 7 {
        out.retain(|v| {
            let m = v / 10f64.powf(v.log10().floor());
            (m - 1.0).abs() < 1e-6
        });
    }
    out
}

fn snap_down(v: f64) -> f64 {
    let mag = 10f64.powf(v.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|x| *x <= v * 1.000_001)
        .unwrap_or(mag)
}

fn snap_up(v: f64) -> f64 {
    let mag = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|x| *x >= v * 0.999_999)
        .unwrap_or(10.0 * mag)
}

/// One line of the chart: a step's latency, or the iteration's duration (dashed).
struct Series<'a> {
    name: String,
    timing: &'a Timing,
    dashed: bool,
}

impl Series<'_> {
    /// Line and dot classes of series `i`.
    fn classes(&self, i: usize) -> (String, String) {
        if self.dashed {
            ("l l-iter".into(), "d-iter".into())
        } else {
            (format!("l k{}", i % 8), format!("d-k{}", i % 8))
        }
    }

    fn swatch(&self, i: usize) -> String {
        if self.dashed {
            "sw-iter".into()
        } else {
            format!("sw-k{}", i % 8)
        }
    }

    /// The tooltip of one of its points.
    fn tip(&self, q: &str, v: u64) -> String {
        let what = if self.dashed { "duration" } else { "latency" };
        let n = self.timing.count;
        format!(
            "{} {what}: {q} {}\n{n} sample{}",
            self.name,
            dur(v),
            plural(n)
        )
    }
}

/// The y axis: where its ticks stand, how a value maps to y, and whether it is logarithmic.
struct YScale {
    ticks: Vec<f64>,
    y: Box<dyn Fn(f64) -> f64>,
    log: bool,
}

/// The y scale: log (1-2-5 ticks) when the values span ×20 or more, else linear from 0.
fn y_scale(values: &[f64], top: f64, bottom: f64) -> YScale {
    let vmax = values.iter().copied().fold(0.0, f64::max);
    let vmin = values
        .iter()
        .copied()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    if vmin.is_finite() && vmax / vmin >= 20.0 {
        let (lo, hi) = (snap_down(vmin), snap_up(vmax));
        let (llo, lhi) = (lo.log10(), hi.log10());
        let y = move |v: f64| {
            let l = v.max(lo).log10();
            bottom - ((l - llo) / (lhi - llo)).clamp(0.0, 1.0) * (bottom - top)
        };
        YScale {
            ticks: log_ticks(lo, hi),
            y: Box::new(y),
            log: true,
        }
    } else {
        let (step, topv) = nice_axis(vmax * 1.04, 4);
        let y = move |v: f64| bottom - (v / topv).clamp(0.0, 1.0) * (bottom - top);
        YScale {
            ticks: linear_ticks(step, topv).collect(),
            y: Box::new(y),
            log: false,
        }
    }
}

/// The latency spectrum of one scenario's timings.
pub(in crate::artifacts::html) fn spectrum_figure(timings: &[Timing]) -> Markup {
    // Each step's latency (what SLOs read), then the whole iteration's duration, dashed.
    let latencies = || timings.iter().filter(|t| t.kind == TimingKind::Latency);
    let mut lines: Vec<Series> = latencies()
        .take(MAX_STEPS)
        .map(|t| Series {
            name: t.step.clone().unwrap_or_else(|| "request".into()),
            timing: t,
            dashed: false,
        })
        .collect();
    let cut = latencies().count() > MAX_STEPS;
    if let Some(t) = iteration_timing(timings) {
        lines.push(Series {
            name: "iteration".into(),
            timing: t,
            dashed: true,
        });
    }
    let legend = html! {
        @for (i, s) in lines.iter().enumerate() { (legend_item(&s.swatch(i), &s.name)) }
    };
    let (top, bottom) = (12.0, 12.0 + PLOT_H);
    let (x0, x1) = (ML, CW - MR);
    let xq = |pos: f64| {
        x0 + 16.0
            + (pos - std::f64::consts::LOG10_2) / (4.6 - std::f64::consts::LOG10_2)
                * (x1 - x0 - 32.0)
    };
    let values: Vec<f64> = lines
        .iter()
        .flat_map(|s| quantile_values(s.timing))
        .map(|v| v as f64)
        .collect();
    let YScale { ticks, y, log } = y_scale(&values, top, bottom);
    let labelled: Vec<(f64, String)> = ticks
        .iter()
        .filter(|_| !lines.is_empty())
        .map(|v| (y(*v), dur(v.round() as u64)))
        .collect();
    let chart = html! {
        (y_grid(x0, x1, &labelled))
        g.grid {
            @for (_, pos) in QUANTILES {
                line x1=(c(xq(pos))) x2=(c(xq(pos))) y1=(c(top)) y2=(c(bottom)) {}
            }
        }
        line.axis x1=(c(x0)) x2=(c(x1)) y1=(c(bottom)) y2=(c(bottom)) {}
        g.xlab {
            @for (name, pos) in QUANTILES {
                text x=(c(xq(pos))) y=(c(bottom + 16.0)) text-anchor="middle" { (name) }
            }
        }
        @if lines.is_empty() { (message(x0, x1, top, bottom, "no requests")) }
        @for (i, s) in lines.iter().enumerate() {
            @let (lc, dc) = s.classes(i);
            @let values = quantile_values(s.timing);
            @let pts: Vec<Option<(f64, f64)>> = QUANTILES
                .iter()
                .zip(values)
                .map(|((_, pos), v)| Some((xq(*pos), y(v as f64))))
                .collect();
            (line(&lc, &dc, &pts, false))
            @for ((q, pos), v) in QUANTILES.iter().zip(values) {
                circle class={ (dc) " pt" } cx=(c(xq(*pos))) cy=(c(y(v as f64))) r="3.2"
                    data-tip=(s.tip(q, v)) {}
            }
        }
    };
    let mut foot = String::from("x: percentile on a log scale of 1 − q");
    if log {
        foot.push_str(" · y: log scale");
    }
    if cut {
        foot.push_str(" · first 8 steps shown");
    }
    figure(
        html! { "Latency distribution per step" },
        Some(legend),
        svg(bottom + 26.0, "latency percentiles per step", chart),
        Some(&foot),
    )
}
