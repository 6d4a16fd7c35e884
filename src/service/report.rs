//! The services section of the text report, and `services/NAME.csv`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::metrics::Timeline;
use crate::units::{Bytes, Duration};

use crate::metrics::growth::{growth, warmup_end};
use crate::metrics::{ServiceData, ServiceRecord};

fn size(b: f64) -> String {
    let sign = if b < 0.0 { "-" } else { "" };
    format!("{sign}{}", Bytes(b.abs().round() as u64))
}

/// One paragraph per service: ready after, RSS first/peak/last, the growth fit (per
/// scenario), CPU mean/peak, fds, threads, restarts.
pub fn render_text(data: &ServiceData, timeline: &Timeline) -> String {
    let mut out = String::new();
    if data.services.is_empty() {
        render_scrapes(&mut out, data);
        return out;
    }
    let _ = writeln!(out, "services");
    for s in &data.services {
        let _ = writeln!(out, "  {}", data.shown(&s.name));
        if let Some(us) = s.ready_after_us {
            let _ = writeln!(out, "    ready after      {}", Duration(us));
        }
        let _ = writeln!(
            out,
            "    samples          {} (every {})",
            s.samples.len(),
            Duration(s.sample_every_us)
        );
        if let (Some(first), Some(last)) = (s.samples.first(), s.samples.last()) {
            let peak = s.samples.iter().map(|x| x.rss).max().unwrap_or(0);
            let _ = writeln!(
                out,
                "    rss              first {}  peak {}  last {}",
                Bytes(first.rss),
                Bytes(peak),
                Bytes(last.rss)
            );
            for span in &data.scenarios {
                let points: Vec<(u64, u64)> = s
                    .samples
                    .iter()
                    .filter(|x| x.t_us >= span.start_us && x.t_us <= span.end_us)
                    .map(|x| (x.t_us - span.start_us, x.rss))
                    .collect();
                let warm = warmup_end(timeline, span.end_us.saturating_sub(span.start_us));
                let label = if data.scenarios.len() > 1 {
                    format!(" ({})", span.scenario)
                } else {
                    String::new()
                };
                match growth(&points, warm.saturating_add(1)) {
                    Some(g) => {
                        let _ = writeln!(
                            out,
                            "    growth{label:<10} {} ({:+.1}%) over {}: slope {}/s × {:.1}s, {} samples after a warm-up of {}, from {}",
                            size(g.bytes),
                            g.percent,
                            Duration((g.span_s * 1e6) as u64),
                            size(g.slope_per_s),
                            g.span_s,
                            g.samples,
                            Duration(warm),
                            Bytes(g.baseline as u64)
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "    growth{label:<10} - (fewer than {} samples after a warm-up of {})",
                            crate::metrics::growth::MIN_FIT_SAMPLES,
                            Duration(warm)
                        );
                    }
                }
            }
            let cpus: Vec<f64> = s.samples.iter().filter_map(|x| x.cpu).collect();
            if !cpus.is_empty() {
                let mean = cpus.iter().sum::<f64>() / cpus.len() as f64;
                let peak = cpus.iter().copied().fold(0.0, f64::max);
                let _ = writeln!(
                    out,
                    "    cpu              mean {mean:.1}%  peak {peak:.1}% (of one core)"
                );
            }
            let max = |f: fn(&super::Sample) -> u64| s.samples.iter().map(f).max().unwrap_or(0);
            let _ = writeln!(
                out,
                "    fds              last {}  max {}",
                last.fds,
                max(|x| x.fds)
            );
            let _ = writeln!(
                out,
                "    threads          last {}  max {}  (processes: max {})",
                last.threads,
                max(|x| x.threads),
                max(|x| x.procs)
            );
        }
        let _ = writeln!(out, "    restarts         {}", s.restarts.len());
        if s.killed_after_grace {
            let _ = writeln!(
                out,
                "    stop             ignored the stop signal: killed after the grace"
            );
        }
        if let Some(f) = &s.failure {
            let _ = writeln!(out, "    failure          {f}");
        }
    }
    render_scrapes(&mut out, data);
    out
}

/// `scrapes`: per service or target, how many scrapes succeeded and failed, and its series.
fn render_scrapes(out: &mut String, data: &ServiceData) {
    if data.scrapes.is_empty() {
        return;
    }
    let _ = writeln!(out, "scrapes");
    for r in &data.scrapes {
        let series = r.scrapes.last().map_or(0, |p| p.series.len());
        let _ = writeln!(
            out,
            "  {:<16} {} ok, {} failed (every {}, {}): {series} series at the last",
            data.shown(&r.owner),
            r.scrapes.len(),
            r.failures,
            Duration(r.every_us),
            r.url
        );
        if let Some(e) = &r.last_error {
            let _ = writeln!(out, "    last error       {e}");
        }
    }
}

/// `t_s,rss_bytes,cpu_percent,fds,threads,procs`, one line per sample.
pub fn write_csv(path: &Path, record: &ServiceRecord) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "t_s,rss_bytes,cpu_percent,fds,threads,procs")?;
    for s in &record.samples {
        let cpu = s.cpu.map_or(String::new(), |c| format!("{c:.2}"));
        writeln!(
            f,
            "{:.3},{},{cpu},{},{},{}",
            s.t_us as f64 / 1e6,
            s.rss,
            s.fds,
            s.threads,
            s.procs
        )?;
    }
    f.flush()
}

/// One service in `summary.json` (`tests[].services[]`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ServiceSummary {
    pub name: String,
    /// In a merge: the shard that ran it (`name` is then `shard-I/NAME`).
    pub shard: Option<u32>,
    pub ready_after_us: Option<u64>,
    pub sample_every_us: u64,
    pub samples: usize,
    pub rss_first: Option<u64>,
    pub rss_peak: Option<u64>,
    pub rss_last: Option<u64>,
    /// The memory-growth fit of each scenario's run (`null` with too few samples).
    pub growth: Vec<ScenarioGrowth>,
    /// % of one core.
    pub cpu_mean: Option<f64>,
    pub cpu_peak: Option<f64>,
    pub fds_max: Option<u64>,
    pub threads_max: Option<u64>,
    pub restarts: usize,
    pub killed_after_grace: bool,
    /// "service NAME exited with …" when it exited by itself during the test.
    pub failure: Option<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScenarioGrowth {
    pub scenario: String,
    pub fit: Option<crate::metrics::growth::Growth>,
}

/// The `summary.json` entries of a test's services.
pub fn summarize(data: &ServiceData, timeline: &Timeline) -> Vec<ServiceSummary> {
    data.services
        .iter()
        .map(|s| {
            let cpus: Vec<f64> = s.samples.iter().filter_map(|x| x.cpu).collect();
            ServiceSummary {
                name: data.shown(&s.name),
                shard: data.shard,
                ready_after_us: s.ready_after_us,
                sample_every_us: s.sample_every_us,
                samples: s.samples.len(),
                rss_first: s.samples.first().map(|x| x.rss),
                rss_peak: s.samples.iter().map(|x| x.rss).max(),
                rss_last: s.samples.last().map(|x| x.rss),
                growth: data
                    .scenarios
                    .iter()
                    .map(|span| {
                        let points: Vec<(u64, u64)> = s
                            .samples
                            .iter()
                            .filter(|x| x.t_us >= span.start_us && x.t_us <= span.end_us)
                            .map(|x| (x.t_us - span.start_us, x.rss))
                            .collect();
                        let warm = warmup_end(timeline, span.end_us.saturating_sub(span.start_us));
                        ScenarioGrowth {
                            scenario: span.scenario.clone(),
                            fit: growth(&points, warm.saturating_add(1)),
                        }
                    })
                    .collect(),
                cpu_mean: (!cpus.is_empty()).then(|| cpus.iter().sum::<f64>() / cpus.len() as f64),
                cpu_peak: cpus.iter().copied().reduce(f64::max),
                fds_max: s.samples.iter().map(|x| x.fds).max(),
                threads_max: s.samples.iter().map(|x| x.threads).max(),
                restarts: s.restarts.len(),
                killed_after_grace: s.killed_after_grace,
                failure: s.failure.clone(),
            }
        })
        .collect()
}

/// One `scrape` in `summary.json` (`tests[].scrapes[]`): how the scrapes of a service or
/// target went, and the series the test's SLOs read from it over the whole test.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScrapeSummary {
    /// The service or target (`shard-I/NAME` in a merge).
    pub owner: String,
    /// In a merge: the shard that scraped it.
    pub shard: Option<u32>,
    pub url: String,
    pub every_us: u64,
    pub ok: usize,
    pub failed: u64,
    pub last_error: Option<String>,
    pub series: Vec<SeriesSummary>,
}

/// A series an SLO reads, over every scrape of the test (from the first, taken when the
/// service was ready, to the last, taken after the load).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SeriesSummary {
    /// The selector as written in the SLO: `name` or `name{label="value",…}`.
    pub series: String,
    /// Scrapes that had it (a counter missing from a scrape counts as 0 there).
    pub scrapes: usize,
    /// Values that are not finite are written `"+Inf"`, `"-Inf"`, `"NaN"` (JSON has no such
    /// numbers); `null` is no value.
    #[serde(serialize_with = "crate::plan::scrape::write_opt_float")]
    pub first: Option<f64>,
    #[serde(serialize_with = "crate::plan::scrape::write_opt_float")]
    pub last: Option<f64>,
    /// `last − first`; for a counter (`_total`, `_count`, `_sum`, `_bucket`) the increase,
    /// a drop counted as a reset.
    #[serde(serialize_with = "crate::plan::scrape::write_opt_float")]
    pub delta: Option<f64>,
}

/// The `summary.json` entries of a test's scrapes; `selectors` are the (owner, series) pairs
/// its SLOs read ([`crate::service::slo_series`]).
pub fn summarize_scrapes(data: &ServiceData, selectors: &[(String, String)]) -> Vec<ScrapeSummary> {
    use crate::metrics::scraped::{Selector, increase, is_counter};
    data.scrapes
        .iter()
        .map(|r| ScrapeSummary {
            owner: data.shown(&r.owner),
            shard: data.shard,
            url: r.url.clone(),
            every_us: r.every_us,
            ok: r.scrapes.len(),
            failed: r.failures,
            last_error: r.last_error.clone(),
            series: selectors
                .iter()
                .filter(|(owner, _)| *owner == r.owner)
                .map(|(_, text)| {
                    let values: Vec<f64> = match Selector::parse(text) {
                        Ok(sel) => {
                            let counter = is_counter(&sel.name);
                            let seen = r.scrapes.iter().any(|p| sel.value(p).is_some());
                            r.scrapes
                                .iter()
                                .filter_map(|p| match sel.value(p) {
                                    None if counter && seen => Some(0.0),
                                    v => v,
                                })
                                .collect()
                        }
                        Err(_) => vec![],
                    };
                    let counter = Selector::parse(text).is_ok_and(|s| is_counter(&s.name));
                    SeriesSummary {
                        series: text.clone(),
                        scrapes: values.len(),
                        first: values.first().copied(),
                        last: values.last().copied(),
                        delta: increase(&values, counter),
                    }
                })
                .collect(),
        })
        .collect()
}
