//! What the two charts over time share: a scenario's series in buckets of whole seconds
//! ([`TimeSeries`]), the plot box ([`TimeFrame`]), the time axis, the named stages and the
//! chaos window (shaded bands behind the data, labelled lanes above it) and the transparent
//! hover columns that carry each bucket's tooltip.

use maud::{Markup, html};

use crate::artifacts::model::{PhaseSpan, ScenarioSeries};
use crate::report::format::{dur, plural};
use crate::units::trim;

use super::y_grid;
use super::{CW, LANE, MAX_BUCKETS, ML, MR, PLOT_H, c, figure, fit, legend_item, message, svg};

/// One bucket of whole seconds.
#[derive(Clone, Debug, Default)]
pub(super) struct Agg {
    pub(super) requests: u64,
    pub(super) errors: u64,
    /// Worst second of the bucket, over seconds with requests.
    pub(super) p50: u64,
    pub(super) p90: u64,
    pub(super) p99: u64,
    pub(super) max: u64,
    /// The most VUs active in the bucket.
    pub(super) users: u64,
    /// Answers by status class (see `SeriesPoint::classes`).
    pub(super) classes: [u64; 5],
    /// Worst second's p99 of how late the generator sent.
    pub(super) lag_p99: u64,
}

/// A scenario's points in buckets of `bucket_s` seconds, over `[0, end_s)`.
pub(in crate::artifacts::html) struct TimeSeries<'a> {
    pub(super) end_s: u64,
    pub(super) bucket_s: u64,
    pub(super) buckets: Vec<Agg>,
    pub(super) phases: &'a [PhaseSpan],
}

impl<'a> TimeSeries<'a> {
    pub(in crate::artifacts::html) fn new(series: &'a ScenarioSeries, duration_us: u64) -> Self {
        let last = series.points.iter().map(|p| p.t_s + 1).max().unwrap_or(0);
        let end_s = last.max(duration_us.div_ceil(1_000_000)).max(1);
        let bucket_s = end_s.div_ceil(MAX_BUCKETS).max(1);
        let n = end_s.div_ceil(bucket_s) as usize;
        let mut buckets = vec![Agg::default(); n];
        for p in &series.points {
            let i = ((p.t_s / bucket_s) as usize).min(n - 1);
            let a = &mut buckets[i];
            a.requests += p.requests;
            a.errors += p.errors;
            a.users = a.users.max(p.users);
            for (x, y) in a.classes.iter_mut().zip(p.classes) {
                *x += y;
            }
            a.lag_p99 = a.lag_p99.max(p.lag_p99_us);
            if p.requests > 0 {
                a.p50 = a.p50.max(p.p50_us);
                a.p90 = a.p90.max(p.p90_us);
                a.p99 = a.p99.max(p.p99_us);
                a.max = a.max.max(p.max_us);
            }
        }
        TimeSeries {
            end_s,
            bucket_s,
            buckets,
            phases: &series.phases,
        }
    }

    /// Start and end second of bucket `i`.
    pub(super) fn span(&self, i: usize) -> (u64, u64) {
        let a = i as u64 * self.bucket_s;
        (a, (a + self.bucket_s).min(self.end_s))
    }

    fn stages(&self) -> impl Iterator<Item = &PhaseSpan> {
        self.phases.iter().filter(|p| p.name != "chaos")
    }

    fn chaos(&self) -> impl Iterator<Item = &PhaseSpan> {
        self.phases.iter().filter(|p| p.name == "chaos")
    }

    fn lanes(&self) -> usize {
        usize::from(self.stages().next().is_some()) + usize::from(self.chaos().next().is_some())
    }

    pub(super) fn has_requests(&self) -> bool {
        self.buckets.iter().any(|b| b.requests > 0)
    }
}

/// The plot box of a time chart: x maps seconds, lanes for stages/chaos sit above the plot.
pub(super) struct TimeFrame {
    end_s: f64,
    pub(super) x0: f64,
    pub(super) x1: f64,
    pub(super) top: f64,
    pub(super) bottom: f64,
    pub(super) height: f64,
}

impl TimeFrame {
    pub(super) fn new(ts: &TimeSeries) -> Self {
        let lanes = ts.lanes();
        let top = if lanes > 0 {
            10.0 + lanes as f64 * LANE + 4.0
        } else {
            12.0
        };
        let bottom = top + PLOT_H;
        TimeFrame {
            end_s: ts.end_s as f64,
            x0: ML,
            x1: CW - MR,
            top,
            bottom,
            height: bottom + 26.0,
        }
    }

    pub(super) fn x(&self, t_s: f64) -> f64 {
        self.x0 + (t_s / self.end_s).clamp(0.0, 1.0) * (self.x1 - self.x0)
    }

    pub(super) fn x_us(&self, us: u64) -> f64 {
        self.x(us as f64 / 1e6)
    }

    /// The y of `v` on a linear axis from 0 (bottom) to `top` (top of the plot).
    pub(super) fn y(&self, v: f64, top: f64) -> f64 {
        self.bottom - (v / top).clamp(0.0, 1.0) * (self.bottom - self.top)
    }
}

fn time_step(end_s: u64, max_ticks: u64) -> u64 {
    const STEPS: [u64; 20] = [
        1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600,
        43200, 86400,
    ];
    STEPS
        .into_iter()
        .find(|st| end_s / st <= max_ticks)
        .unwrap_or_else(|| end_s.div_ceil(max_ticks).max(1))
}

/// The x axis: a tick and a label in the user's units every few seconds.
pub(super) fn time_axis(f: &TimeFrame, end_s: u64) -> Markup {
    let step = time_step(end_s, 8) as usize;
    html! {
        line.axis x1=(c(f.x0)) x2=(c(f.x1)) y1=(c(f.bottom)) y2=(c(f.bottom)) {}
        g.xlab {
            @for t in (0..=end_s).step_by(step) {
                @let x = f.x(t as f64);
                line.tick x1=(c(x)) x2=(c(x)) y1=(c(f.bottom)) y2=(c(f.bottom + 4.0)) {}
                text x=(c(x)) y=(c(f.bottom + 16.0))
                    text-anchor=(if x > f.x1 - 14.0 { "end" } else { "middle" }) {
                    (dur(t * 1_000_000))
                }
            }
        }
    }
}

/// Stage bands (alternate shading, dashed boundaries) and the chaos window, behind the data.
pub(super) fn phase_bands(f: &TimeFrame, ts: &TimeSeries) -> Markup {
    let lanes_top = f.top - 4.0 - LANE * ts.lanes() as f64;
    html! {
        @for (i, p) in ts.stages().enumerate() {
            @let (a, b) = (f.x_us(p.start_us), f.x_us(p.end_us));
            @if b - a >= 0.5 {
                @if i % 2 == 1 {
                    rect.band x=(c(a)) y=(c(f.top)) width=(c(b - a)) height=(c(f.bottom - f.top)) {}
                }
                @if p.start_us > 0 && a > f.x0 + 0.5 {
                    line.sep x1=(c(a)) x2=(c(a)) y1=(c(lanes_top)) y2=(c(f.bottom)) {}
                }
            }
        }
        @for p in ts.chaos() {
            @let (a, b) = (f.x_us(p.start_us), f.x_us(p.end_us));
            @if b - a >= 0.5 {
                rect.band-chaos x=(c(a)) y=(c(f.top)) width=(c(b - a)) height=(c(f.bottom - f.top)) {}
            }
        }
    }
}

/// One lane above the plot: a labelled box per span (stages alternate their shade).
fn lane(f: &TimeFrame, spans: &[&PhaseSpan], lane: f64, chaos: bool) -> Markup {
    let y = 10.0 + lane * LANE;
    html! {
        @for (i, p) in spans.iter().enumerate() {
            @let (a, b) = (f.x_us(p.start_us), f.x_us(p.end_us));
            @if b - a >= 0.5 {
                @let class = if chaos { "lane-chaos" } else if i % 2 == 1 { "lane lane2" } else { "lane" };
                @let what = if chaos { "chaos window" } else { "stage" };
                rect class=(class) x=(c(a + 0.5)) y=(c(y)) width=(c((b - a - 1.0).max(0.5)))
                    height=(c(LANE - 3.0)) rx="3"
                    data-tip={ (what) " " (p.name) ": " (dur(p.start_us)) " – " (dur(p.end_us)) } {}
                @if let Some(label) = fit(&p.name, b - a - 8.0, 10.5) {
                    text.lane-t x=(c((a + b) / 2.0)) y=(c(y + 11.5)) text-anchor="middle" { (label) }
                }
            }
        }
    }
}

/// The labelled lanes above the plot: named stages, then the chaos window.
pub(super) fn phase_lanes(f: &TimeFrame, ts: &TimeSeries) -> Markup {
    let stages: Vec<&PhaseSpan> = ts.stages().collect();
    let chaos: Vec<&PhaseSpan> = ts.chaos().collect();
    let chaos_lane = if stages.is_empty() { 0.0 } else { 1.0 };
    html! {
        @if !stages.is_empty() { (lane(f, &stages, 0.0, false)) }
        @if !chaos.is_empty() { (lane(f, &chaos, chaos_lane, true)) }
    }
}

/// The tooltip of one bucket: its time span, requests and failures, percentiles.
fn bucket_tip(t0: u64, t1: u64, b: &Agg) -> String {
    let mut tip = format!(
        "{} – {}\n{} request{}",
        dur(t0 * 1_000_000),
        dur(t1 * 1_000_000),
        b.requests,
        plural(b.requests)
    );
    if b.errors > 0 {
        tip.push_str(&format!(", {} failed", b.errors));
    }
    if t1 > t0 + 1 {
        let per_s = trim(b.requests as f64 / (t1 - t0) as f64, 2);
        tip.push_str(&format!(" ({per_s}/s)"));
    }
    if b.requests > 0 {
        tip.push_str(&format!(
            "\np50 {} · p90 {} · p99 {} · max {}",
            dur(b.p50),
            dur(b.p90),
            dur(b.p99),
            dur(b.max)
        ));
        if t1 > t0 + 1 {
            tip.push_str("\n(latency: worst second)");
        }
    }
    tip
}

/// Transparent columns over the plot, one per bucket, carrying the tooltip.
fn hover_columns(f: &TimeFrame, ts: &TimeSeries) -> Markup {
    html! {
        g {
            @for (i, b) in ts.buckets.iter().enumerate() {
                @let (t0, t1) = ts.span(i);
                @let (a, z) = (f.x(t0 as f64), f.x(t1 as f64));
                rect.hov x=(c(a)) y=(c(f.top)) width=(c((z - a).max(0.5)))
                    height=(c(f.bottom - f.top)) data-tip=(bucket_tip(t0, t1, b)) {}
            }
        }
    }
}

/// The legend entry for the chaos window, when the series has one.
pub(super) fn phase_legend(ts: &TimeSeries) -> Markup {
    html! {
        @if ts.chaos().next().is_some() { (legend_item("sw-chaos", "chaos")) }
    }
}

/// What a chart over time draws in its frame, and how.
pub(super) struct TimeChart<'a> {
    pub(super) caption: &'a str,
    pub(super) legend: Markup,
    /// For screen readers.
    pub(super) label: &'a str,
    /// The y axis: (y, label).
    pub(super) ticks: Vec<(f64, String)>,
    /// The data, drawn when there were requests.
    pub(super) data: Markup,
    /// Whether the time axis is drawn over the data (bars) or under it (lines).
    pub(super) axis_over_data: bool,
    /// The footnote when a point covers several seconds: `one {mark} per 2s: {what}`.
    pub(super) mark: &'a str,
    pub(super) what: &'a str,
}

/// A chart over time: the stage bands, grid, data and time axis, hover columns and stage
/// lanes, in its figure.
pub(super) fn time_figure(ts: &TimeSeries, f: &TimeFrame, chart: TimeChart) -> Markup {
    let body = html! {
        (phase_bands(f, ts))
        (y_grid(f.x0, f.x1, &chart.ticks))
        @if !chart.axis_over_data { (time_axis(f, ts.end_s)) }
        @if ts.has_requests() {
            (chart.data)
        } @else {
            (message(f.x0, f.x1, f.top, f.bottom, "no requests"))
        }
        @if chart.axis_over_data { (time_axis(f, ts.end_s)) }
        (hover_columns(f, ts))
        (phase_lanes(f, ts))
    };
    let legend = html! { (chart.legend) (phase_legend(ts)) };
    let foot = (ts.bucket_s > 1).then(|| {
        let bucket = dur(ts.bucket_s * 1_000_000);
        format!("one {} per {bucket}: {}", chart.mark, chart.what)
    });
    figure(
        html! { (chart.caption) },
        Some(legend),
        svg(f.height, chart.label, body),
        foot.as_deref(),
    )
}
