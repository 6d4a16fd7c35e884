//! A service's memory (RSS) and CPU over a scenario's run, on the same time axis as the
//! scenario's latency and throughput charts (the samples are shifted to the scenario's start
//! and the frame is [`TimeFrame::new`] of the same series), with the same stage bands, chaos
//! window and lanes. RSS is the solid line on the left axis; CPU (% of one core) the dashed
//! line on the axis labelled inside the right edge. A restart is a dashed vertical line. A
//! gap between samples longer than 2.5 sampling periods (the service was down) breaks both
//! lines. Each hover column carries its bucket's numbers, and its peak RSS in bytes as
//! `data-rss` (the same value as in `services/NAME.csv`).

use maud::{Markup, html};

use crate::metrics::{Sample, ScenarioSpan, ServiceRecord};
use crate::report::format::dur;
use crate::units::{Bytes, trim};

use super::time::{TimeFrame, TimeSeries, phase_bands, phase_lanes, phase_legend, time_axis};
use super::{c, figure, legend_item, line, linear_ticks, message, nice_axis, svg, y_grid};

/// The unit of the RSS axis: (divisor, suffix) so that the top of the axis reads well.
fn rss_unit(max: f64) -> (f64, &'static str) {
    const KIB: f64 = 1024.0;
    if max >= KIB * KIB * KIB {
        (KIB * KIB * KIB, "GiB")
    } else if max >= KIB * KIB {
        (KIB * KIB, "MiB")
    } else {
        (KIB, "KiB")
    }
}

/// The samples of `record` inside `span`, at µs since the span (the scenario) started.
fn in_span(record: &ServiceRecord, span: &ScenarioSpan) -> Vec<(u64, Sample)> {
    record
        .samples
        .iter()
        .filter(|s| s.t_us >= span.start_us && s.t_us <= span.end_us)
        .map(|s| (s.t_us - span.start_us, s.clone()))
        .collect()
}

/// The hover text of one bucket's samples.
fn bucket_tip(t0: u64, t1: u64, samples: &[&(u64, Sample)]) -> String {
    let mut tip = format!("{} – {}", dur(t0 * 1_000_000), dur(t1 * 1_000_000));
    let Some((_, last)) = samples.last() else {
        tip.push_str("\nno sample (service down?)");
        return tip;
    };
    let peak = samples.iter().map(|(_, s)| s.rss).max().unwrap_or(0);
    if samples.len() > 1 {
        tip.push_str(&format!(
            "\nrss peak {} · last {}",
            Bytes(peak),
            Bytes(last.rss)
        ));
    } else {
        tip.push_str(&format!("\nrss {}", Bytes(peak)));
    }
    let cpus: Vec<f64> = samples.iter().filter_map(|(_, s)| s.cpu).collect();
    if !cpus.is_empty() {
        let mean = cpus.iter().sum::<f64>() / cpus.len() as f64;
        let peak = cpus.iter().copied().fold(0.0, f64::max);
        if cpus.len() > 1 {
            tip.push_str(&format!(
                "\ncpu mean {}% · peak {}%",
                trim(mean, 1),
                trim(peak, 1)
            ));
        } else {
            tip.push_str(&format!("\ncpu {}%", trim(mean, 1)));
        }
    }
    tip.push_str(&format!(
        "\nfds {} · threads {} · processes {}",
        last.fds, last.threads, last.procs
    ));
    tip
}

/// The RSS-and-CPU figure of one service over one scenario's run.
pub(in crate::artifacts::html) fn service_figure(
    ts: &TimeSeries,
    record: &ServiceRecord,
    span: &ScenarioSpan,
    name: &str,
) -> Markup {
    let f = TimeFrame::new(ts);
    let samples = in_span(record, span);
    let restarts: Vec<u64> = record
        .restarts
        .iter()
        .filter(|&&t| t >= span.start_us && t <= span.end_us)
        .map(|t| t - span.start_us)
        .collect();
    let max_rss = samples.iter().map(|(_, s)| s.rss).max().unwrap_or(0) as f64;
    let (div, unit) = rss_unit(max_rss);
    let (step, top) = nice_axis(max_rss / div, 4);
    let max_cpu = samples
        .iter()
        .filter_map(|(_, s)| s.cpu)
        .fold(0.0, f64::max);
    let (cpu_step, cpu_top) = nice_axis(max_cpu.max(10.0), 4);
    let ticks: Vec<(f64, String)> = linear_ticks(step, top)
        .filter(|_| !samples.is_empty())
        .map(|v| (f.y(v, top), format!("{}{unit}", trim(v, 2))))
        .collect();
    let cpu_ticks: Vec<(f64, String)> = linear_ticks(cpu_step, cpu_top)
        .skip(1)
        .filter(|_| !samples.is_empty())
        .map(|v| (f.y(v, cpu_top), format!("{}%", trim(v, 1))))
        .collect();
    // Break the lines where the service was down (a gap of more than 2.5 periods).
    let gap = record.sample_every_us.saturating_mul(5) / 2;
    let mut rss_pts = Vec::new();
    let mut cpu_pts = Vec::new();
    let mut prev: Option<u64> = None;
    for (t, s) in &samples {
        if prev.is_some_and(|p| t.saturating_sub(p) > gap.max(1)) {
            rss_pts.push(None);
            cpu_pts.push(None);
        }
        prev = Some(*t);
        let x = f.x_us(*t);
        rss_pts.push(Some((x, f.y(s.rss as f64 / div, top))));
        cpu_pts.push(s.cpu.map(|v| (x, f.y(v, cpu_top))));
    }
    let columns = html! {
        g {
            @for i in 0..ts.buckets.len() {
                @let (t0, t1) = ts.span(i);
                @let inside: Vec<&(u64, Sample)> = samples
                    .iter()
                    .filter(|(t, _)| *t >= t0 * 1_000_000 && (*t < t1 * 1_000_000 || (t1 == ts.end_s && *t == t1 * 1_000_000)))
                    .collect();
                @let (a, z) = (f.x(t0 as f64), f.x(t1 as f64));
                @let peak = inside.iter().map(|(_, s)| s.rss).max();
                rect.hov x=(c(a)) y=(c(f.top)) width=(c((z - a).max(0.5)))
                    height=(c(f.bottom - f.top)) data-tip=(bucket_tip(t0, t1, &inside))
                    data-rss=[peak] {}
            }
        }
    };
    let body = html! {
        (phase_bands(&f, ts))
        (y_grid(f.x0, f.x1, &ticks))
        g.ylab-r {
            @for (y, label) in &cpu_ticks {
                text.cpu-t x=(c(f.x1 - 3.0)) y=(c(y + 11.0)) text-anchor="end" { (label) }
            }
        }
        (time_axis(&f, ts.end_s))
        @if samples.is_empty() {
            (message(f.x0, f.x1, f.top, f.bottom, "no samples during this scenario"))
        } @else {
            (line("l l-cpu", "d-cpu", &cpu_pts, false))
            (line("l l-rss", "d-rss", &rss_pts, false))
        }
        @for t in &restarts {
            @let x = f.x_us(*t);
            line.restart x1=(c(x)) x2=(c(x)) y1=(c(f.top)) y2=(c(f.bottom)) {}
            text.restart-t x=(c(x + 3.0)) y=(c(f.top + 10.0)) { "restart" }
        }
        (columns)
        (phase_lanes(&f, ts))
    };
    let legend = html! {
        (legend_item("sw-rss", "RSS"))
        (legend_item("sw-cpu", "CPU % of one core"))
        @if !restarts.is_empty() { (legend_item("sw-restart", "restart")) }
        (phase_legend(ts))
    };
    let peak = samples.iter().map(|(_, s)| s.rss).max();
    let foot = match (samples.first(), peak, samples.last()) {
        (Some((_, first)), Some(peak), Some((_, last))) => format!(
            "{} sample{} every {}: rss first {} · peak {} · last {}",
            samples.len(),
            if samples.len() == 1 { "" } else { "s" },
            dur(record.sample_every_us),
            Bytes(first.rss),
            Bytes(peak),
            Bytes(last.rss)
        ),
        _ => format!("sampled every {}", dur(record.sample_every_us)),
    };
    // The chart shares the scenario's time axis; what the service did before the load (its
    // start-up) and after (its shutdown) is said here, and is in services/NAME.csv.
    let before = record
        .samples
        .iter()
        .filter(|s| s.t_us < span.start_us)
        .count();
    let after = record
        .samples
        .iter()
        .filter(|s| s.t_us > span.end_us)
        .count();
    let foot = if before + after == 0 {
        foot
    } else {
        let peak_outside = record
            .samples
            .iter()
            .filter(|s| s.t_us < span.start_us || s.t_us > span.end_us)
            .map(|s| s.rss)
            .max()
            .unwrap_or(0);
        format!(
            "{foot}; outside this chart: {before} before this scenario (start-up included), {after} after it (shutdown included), peak rss {} (every sample is in services/{}.csv)",
            Bytes(peak_outside),
            crate::paths::path_component(&record.name)
        )
    };
    let label = format!("service {name}: memory and CPU over time");
    figure(
        html! { "Service " (name) ": memory and CPU" },
        Some(legend),
        svg(f.height, &label, body),
        Some(&foot),
    )
}
