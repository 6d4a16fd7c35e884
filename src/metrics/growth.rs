//! Service metrics over samples: `memory_growth`, `max_rss`, `rss`, `cpu`, `max_cpu`, `fds`,
//! `threads`, `restarts`, for one scenario's run, narrowed by a phase or an `in every` window.
//!
//! **Memory growth** is the least-squares slope of RSS over the samples after the warm-up,
//! times the time those samples span (first to last). The warm-up is the first stage named
//! `warmup` when the profile has one with a known span, else the first 10 % of the scenario's
//! run. Compared with a size the growth is absolute; compared with a percentage it is relative
//! to the RSS at the end of the warm-up (the last sample at or before it; without one, the
//! first sample after it). A fit needs at least [`MIN_FIT_SAMPLES`] samples. A straight line
//! through all samples is what makes the figure robust: one spike (a GC pause, a burst) moves
//! the slope by its height × its distance from the middle / Σ(distance²), small for a long
//! run, where first-vs-last or max-vs-first would read the spike as the whole growth.

use serde::Serialize;

use crate::metrics::Missing;
use crate::metrics::Timeline;
use crate::plan::{Filter, Metric, ServiceStat, Unit};

use super::services::{Sample, ServiceData};

/// The fewest samples a growth fit is made from.
pub const MIN_FIT_SAMPLES: usize = 3;

/// The least-squares slope of `y` over `x`; `None` with fewer than two distinct `x`.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    Some(sxy / sxx)
}

/// A growth fit, as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Growth {
    /// Bytes per second.
    pub slope_per_s: f64,
    /// First to last fitted sample, seconds.
    pub span_s: f64,
    /// `slope × span`, bytes.
    pub bytes: f64,
    /// RSS at the end of the warm-up, bytes.
    pub baseline: f64,
    /// `bytes / baseline`, percent.
    pub percent: f64,
    pub samples: usize,
    /// End of the warm-up, µs on the scenario's clock.
    pub warmup_end_us: u64,
}

/// The fit over `(at_us, rss)` samples (sorted by time), after `warmup_end_us`.
pub fn growth(samples: &[(u64, u64)], warmup_end_us: u64) -> Option<Growth> {
    let fitted: Vec<(f64, f64)> = samples
        .iter()
        .filter(|(t, _)| *t >= warmup_end_us)
        .map(|&(t, rss)| (t as f64 / 1e6, rss as f64))
        .collect();
    if fitted.len() < MIN_FIT_SAMPLES {
        return None;
    }
    let slope_per_s = slope(&fitted)?;
    let span_s = fitted.last()?.0 - fitted.first()?.0;
    let baseline = samples
        .iter()
        .rev()
        .find(|(t, _)| *t <= warmup_end_us)
        .map_or(fitted[0].1, |&(_, rss)| rss as f64);
    let bytes = slope_per_s * span_s;
    Some(Growth {
        slope_per_s,
        span_s,
        bytes,
        baseline,
        percent: if baseline > 0.0 {
            bytes * 100.0 / baseline
        } else {
            0.0
        },
        samples: fitted.len(),
        warmup_end_us,
    })
}

/// Where the warm-up of a scenario's run ends: the `warmup` stage, else 10 % of the run.
pub fn warmup_end(timeline: &Timeline, run_us: u64) -> u64 {
    timeline
        .phase_span("warmup")
        .map_or(run_us / 10, |(_, end)| end)
}

/// The value of a service metric for one scenario (`window`: an `in every` window's span).
pub fn measure<'a>(
    data: &'a ServiceData,
    metric: &Metric,
    filter: &Filter,
    timeline: &Timeline,
    scenario: &str,
    window: Option<(u64, u64)>,
) -> Result<(f64, Unit), Missing> {
    let (service, what) = match metric {
        Metric::MemoryGrowth { service, .. } => (service, "memory_growth"),
        Metric::MaxRss { service } => (service, "max_rss"),
        Metric::Cpu { service } => (service, "cpu"),
        Metric::Service { service, .. } => (service, "service"),
        _ => return Err(Missing::NoData("not a service metric".into())),
    };
    let Some(record) = data.services.iter().find(|s| &s.name == service) else {
        return Err(Missing::NoData(format!(
            "service `{service}` was not started by this test (add `services {service}`)"
        )));
    };
    let Some(span) = data.scenarios.iter().find(|s| s.scenario == scenario) else {
        return Err(Missing::NoData(format!(
            "no samples of `{service}` for scenario `{scenario}`"
        )));
    };
    let Some(keep) = timeline.keeper(filter.phase.as_ref(), window) else {
        let name = filter.phase.as_ref().map_or("", |p| p.name.as_str());
        return Err(Missing::NoData(format!("no stage named `{name}`")));
    };
    // Samples of this scenario's run, on its clock.
    let on_clock = |s: &'a Sample| {
        (s.t_us >= span.start_us && s.t_us <= span.end_us).then(|| (s.t_us - span.start_us, s))
    };
    let all: Vec<(u64, &Sample)> = record.samples.iter().filter_map(on_clock).collect();
    let selected: Vec<(u64, &Sample)> = all.iter().copied().filter(|(t, _)| keep(*t)).collect();
    let place = crate::metrics::where_text(filter);
    let none = || {
        Missing::NoData(format!(
            "no samples of `{service}`{place} (sampled every {})",
            crate::units::Duration(record.sample_every_us)
        ))
    };
    if let Metric::Service {
        stat: ServiceStat::Restarts,
        ..
    } = metric
    {
        let n = record
            .restarts
            .iter()
            .filter(|&&t| t >= span.start_us && t <= span.end_us && keep(t - span.start_us))
            .count();
        return Ok((n as f64, Unit::Number));
    }
    let last = selected.last().ok_or_else(none)?.1;
    let cpus = || selected.iter().filter_map(|(_, s)| s.cpu);
    Ok(match metric {
        Metric::MaxRss { .. } => (
            selected.iter().map(|(_, s)| s.rss).max().unwrap_or(0) as f64,
            Unit::Size,
        ),
        Metric::Cpu { .. } => {
            let n = cpus().count();
            if n == 0 {
                return Err(none());
            }
            (cpus().sum::<f64>() / n as f64, Unit::Percent)
        }
        Metric::Service { stat, .. } => match stat {
            ServiceStat::Rss => (last.rss as f64, Unit::Size),
            ServiceStat::MaxCpu => (cpus().fold(f64::NAN, f64::max), Unit::Percent),
            ServiceStat::Fds => (
                selected.iter().map(|(_, s)| s.fds).max().unwrap_or(0) as f64,
                Unit::Number,
            ),
            ServiceStat::Threads => (
                selected.iter().map(|(_, s)| s.threads).max().unwrap_or(0) as f64,
                Unit::Number,
            ),
            ServiceStat::Restarts => unreachable!("handled above"),
        },
        Metric::MemoryGrowth { relative, .. } => {
            let run_us = span.end_us - span.start_us;
            let warm = warmup_end(timeline, run_us);
            // The baseline comes from every sample of the run; the fit from the selection.
            let mut points: Vec<(u64, u64)> = all
                .iter()
                .filter(|(t, _)| *t <= warm)
                .map(|(t, s)| (*t, s.rss))
                .collect();
            points.extend(
                selected
                    .iter()
                    .filter(|(t, _)| *t > warm)
                    .map(|(t, s)| (*t, s.rss)),
            );
            let g = growth(&points, warm.saturating_add(1)).ok_or_else(|| {
                Missing::NoData(format!(
                    "fewer than {MIN_FIT_SAMPLES} samples of `{service}` after the warm-up \
                     ({}){place}",
                    crate::units::Duration(warm)
                ))
            })?;
            if *relative {
                (g.percent, Unit::Percent)
            } else {
                (g.bytes, Unit::Size)
            }
        }
        _ => {
            return Err(Missing::NoData(format!("{what} is not a service metric")));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    fn series(f: impl Fn(u64) -> u64, n: u64) -> Vec<(u64, u64)> {
        (0..n).map(|i| (i * 1_000_000, f(i))).collect()
    }

    #[test]
    fn slope_of_a_line_is_exact() {
        let pts: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 3.0 * i as f64 + 7.0)).collect();
        assert_eq!(slope(&pts), Some(3.0));
        assert_eq!(slope(&[(1.0, 2.0)]), None);
        assert_eq!(slope(&[(1.0, 2.0), (1.0, 5.0)]), None);
    }

    #[test]
    fn a_linear_leak_is_its_slope_times_the_span() {
        // 100 MB + 1 MB/s for 60 s; warm-up 6 s (10 %): fit over t = 6..59, span 53 s.
        let s = series(|i| 100 * MB + i * MB, 60);
        let g = growth(&s, 6_000_000).unwrap();
        assert_eq!(g.samples, 54);
        assert!((g.slope_per_s - MB as f64).abs() < 1e-6);
        assert!((g.span_s - 53.0).abs() < 1e-9);
        assert!((g.bytes - 53.0 * MB as f64).abs() < 1e-3);
        // Baseline: RSS at t = 6 s, 106 MB → 53/106 = 50 %.
        assert_eq!(g.baseline, (106 * MB) as f64);
        assert!((g.percent - 50.0).abs() < 1e-9, "{}", g.percent);
    }

    #[test]
    fn a_saw_tooth_that_does_not_grow_passes_5_percent() {
        // GC-like: +10 MB a second for 4 s, then back, around 200 MB; 12 full periods.
        // By hand: x = 0..59 (fit over 6..59 = 54 points), y = 10 MB × (x mod 5).
        // The within-period ramp gives a small slope of either sign; the growth must stay
        // far below 5 % of 200 MB = 10 MB.
        let s = series(|i| 200 * MB + (i % 5) * 10 * MB, 60);
        let g = growth(&s, 6_000_000).unwrap();
        // Computed by hand (Σ(x−x̄)(y−ȳ)/Σ(x−x̄)²): 0.041929 × 10 MB/s × 53 s = 2.2222 MB,
        // over the baseline at t = 6 s (210 MB): 1.0582 %.
        assert!((g.bytes / MB as f64 - 2.222_222).abs() < 1e-5, "{g:?}");
        assert!((g.percent - 1.058_201).abs() < 1e-5, "{g:?}");
        // The naive last − first would report 40 MB (20 %): t = 6 → 210 MB, t = 59 → 240 MB.
        assert_eq!(s[59].1 - s[6].1, 30 * MB);
    }

    #[test]
    fn one_spike_neither_hides_nor_fakes_a_leak() {
        // Flat 100 MB with one 50 MB spike at t = 45 s: max − first would say +50 %.
        let mut flat = series(|_| 100 * MB, 60);
        flat[45].1 += 50 * MB;
        let g = growth(&flat, 6_000_000).unwrap();
        // By hand: x̄ = 32.5, Σ(x−x̄)² = 54·(54²−1)/12 = 13117.5; a spike of h at x = 45
        // gives slope h·12.5/13117.5, × 53 s = 2.5257 MB → 2.53 % of 100 MB.
        let expected = 50.0 * 12.5 / 13117.5 * 53.0;
        assert!((g.bytes / MB as f64 - expected).abs() < 1e-9, "{g:?}");
        assert!((g.percent - 2.525_253).abs() < 1e-5, "{g:?}");
        // A leak of 0.25 MB/s (13.25 MB over 53 s, 13 %) with a drop of 80 MB at t = 30
        // (a GC) and a drop at the very end: the fit still sees the leak, where last − first
        // would read a shrink.
        let mut leak = series(|i| 100 * MB + i * MB / 4, 60);
        leak[30].1 -= 80 * MB;
        leak[59].1 -= 20 * MB;
        let g = growth(&leak, 6_000_000).unwrap();
        assert!(leak[59].1 < leak[6].1);
        // The dip at 30 sits 2.5 s before the middle (x̄ = 32.5), the one at 59 26.5 s after:
        // slope = 0.25 + (80·2.5 − 20·26.5)/13117.5 MB/s.
        let expected = (0.25 + (80.0 * 2.5 - 20.0 * 26.5) / 13117.5) * 53.0;
        assert!((g.bytes / MB as f64 - expected).abs() < 1e-6, "{g:?}");
        assert!(g.percent > 5.0, "{g:?}");
    }

    #[test]
    fn too_few_samples_after_warm_up_is_no_fit() {
        let s = series(|_| MB, 3);
        assert!(growth(&s, 1_000_000).is_none());
        assert!(growth(&s, 0).is_some());
    }
}
