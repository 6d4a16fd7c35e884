//! The arguments of `stress run`, `stress merge` and `stress compare` (clap), apart from the command line's
//! dispatch in `crate::cli` so that `run` and `merge`, which read them, sit below it.

use std::path::PathBuf;

use clap::Args;

use crate::engine::Shard;

/// What `stress run` prints on stdout.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum RunFormat {
    /// The report for people.
    Human,
    /// `summary.json`, as written to `--out`.
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The .stress files to run.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Run only the test with this name.
    #[arg(long)]
    pub test: Option<String>,
    /// Run only the scenario with this name.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Seed for every random decision (overrides `seed` in the file; default 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override a `let` constant: `--set name=value` (value in the language's syntax).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Show no live progress (by default: a status line on a terminal, plain lines every 5 s
    /// otherwise).
    #[arg(long, short)]
    pub quiet: bool,
    /// Show a full-screen live view instead of the status line (stages, VUs, rate, latency
    /// histogram, status codes, requests per second); `q` or Ctrl-C stops the run as SIGINT
    /// does. Needs stderr to be a terminal; the report prints as usual when the view closes.
    #[arg(long, conflicts_with = "quiet")]
    pub tui: bool,
    /// Write artifacts (reports, logs) to this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What stdout carries: the human report (`human`), or `summary.json` (`json`; the human
    /// report then goes to stderr). Same exit codes either way.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// Run shard I of N (0-based, e.g. `--shard 2/4`): this process runs its part of the load
    /// (every N-th VU, arrival and call number); `stress merge` the N `--out` folders for the
    /// whole test's report and verdict. See docs/scale-out.md.
    #[arg(long, value_name = "I/N", env = "STRESS_SHARD")]
    pub shard: Option<Shard>,
    /// Run as one of N shards, taking the index from JOB_COMPLETION_INDEX (as a Kubernetes
    /// Indexed Job sets it).
    #[arg(
        long,
        value_name = "N",
        env = "STRESS_SHARDS",
        conflicts_with = "shard"
    )]
    pub shards: Option<u32>,
    /// Start the load at this instant (RFC 3339, e.g. `2026-12-05T10:00:00Z`), after services
    /// and proxies are ready, so that shards on several machines start together. A shard that
    /// gets there late starts at once and records how late.
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<String>,
}

impl RunArgs {
    /// The shard this process runs: `--shard I/N`, or `--shards N` with the index from
    /// `JOB_COMPLETION_INDEX`; the whole test without either.
    pub fn shard(&self) -> Result<Shard, String> {
        self.shard_from(std::env::var("JOB_COMPLETION_INDEX").ok())
    }

    fn shard_from(&self, job_index: Option<String>) -> Result<Shard, String> {
        if let Some(shard) = self.shard {
            return Ok(shard);
        }
        let Some(count) = self.shards else {
            return Ok(Shard::WHOLE);
        };
        let Some(index) = job_index else {
            return Err(format!(
                "`--shards {count}` takes this shard's index from JOB_COMPLETION_INDEX, which is not set (a Kubernetes Indexed Job sets it); elsewhere use `--shard I/{count}`"
            ));
        };
        let index = index.trim().parse::<u32>().map_err(|_| {
            format!("JOB_COMPLETION_INDEX is `{index}`, not a shard index (a whole number)")
        })?;
        Shard::new(index, count)
    }

    /// `--start-at`, parsed.
    pub fn start_at(&self) -> Result<Option<jiff::Timestamp>, String> {
        let Some(text) = &self.start_at else {
            return Ok(None);
        };
        let at: jiff::Timestamp = text.trim().parse().map_err(|e| {
            format!(
                "`--start-at {text}` is not an RFC 3339 instant such as `2026-12-05T10:00:00Z`: {e}"
            )
        })?;
        let ahead = at.duration_since(jiff::Timestamp::now());
        if ahead.as_secs() > MAX_START_DELAY_S {
            return Err(format!(
                "`--start-at {text}` is more than 24 hours away: a typo? (the shards wait for it)"
            ));
        }
        Ok(Some(at))
    }
}

/// `--start-at` further away than this is refused.
const MAX_START_DELAY_S: i64 = 24 * 3600;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folders written by `stress run --out` (or `stress merge --out`) for the same file.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Write the merged artifacts (reports, metrics, histograms) to this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Merge the shards at hand even when some of a `--shard I/N` set are missing (a
    /// duplicated or mixed set is still refused); the report says which are missing.
    #[arg(long)]
    pub allow_partial: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline: a folder written by `stress run --out` (or `stress merge --out`).
    pub base: PathBuf,
    /// The run to judge against it: another such folder.
    pub new: PathBuf,
    /// Fail (exit 1) when a latency percentile (p50/p95/p99) grows, or a throughput shrinks,
    /// by more than this relative change (`10%`); exactly at the tolerance passes. Without
    /// it (and without `--max-error-increase`) the comparison only reports.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub max_regression: Option<f64>,
    /// Fail when an error rate grows by more than this many percentage points (`1%`: 0.5 % →
    /// 1.6 % fails). Default 1 point once `--max-regression` is given.
    #[arg(long, value_name = "POINTS", value_parser = parse_percent)]
    pub max_error_increase: Option<f64>,
    /// A latency that grows by less than this (absolute) is never a regression, so that noise
    /// on fast steps (1.2ms → 1.5ms is +25 %) does not fail CI.
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_micros)]
    pub min_latency_delta: u64,
    /// Output: an aligned text table, a Markdown table, or JSON (for dashboards).
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
}

/// How `stress compare` prints its table.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum CompareFormat {
    Text,
    Markdown,
    Json,
}

/// `10%` or `10` → 10.0 (a non-negative number of percent).
fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{text}` is not a percentage such as `10%`")),
    }
}

/// A duration in the language's units (`1ms`, `500us`, `0`) → microseconds.
fn parse_micros(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b == b'0' || b == b'.') {
        return Ok(0);
    }
    crate::units::parse_duration(text)
        .map(crate::units::Duration::as_micros)
        .map_err(|e| format!("`{text}` is not a duration such as `1ms`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn args(line: &[&str]) -> Result<RunArgs, clap::Error> {
        Cli::try_parse_from(["stress"].iter().chain(line)).map(|c| c.run)
    }

    #[test]
    fn the_shard_comes_from_the_flag_or_the_job_index() {
        let a = args(&["f.stress", "--shard", "1/4"]).unwrap();
        assert_eq!(
            a.shard_from(Some("3".into())),
            Ok(Shard::new(1, 4).unwrap())
        );
        let b = args(&["f.stress", "--shards", "4"]).unwrap();
        assert_eq!(
            b.shard_from(Some("3".into())),
            Ok(Shard::new(3, 4).unwrap())
        );
        assert!(
            b.shard_from(None)
                .unwrap_err()
                .contains("JOB_COMPLETION_INDEX")
        );
        assert!(
            b.shard_from(Some("4".into()))
                .unwrap_err()
                .contains("0 to 3")
        );
        assert!(b.shard_from(Some("x".into())).unwrap_err().contains("`x`"));
        let c = args(&["f.stress"]).unwrap();
        assert_eq!(c.shard_from(Some("3".into())), Ok(Shard::WHOLE));
        assert!(args(&["f.stress", "--shard", "4/4"]).is_err());
        assert!(args(&["f.stress", "--shard", "1/4", "--shards", "4"]).is_err());
    }

    #[test]
    fn compare_tolerances_parse_as_percent_and_durations() {
        assert_eq!(parse_percent("10%"), Ok(10.0));
        assert_eq!(parse_percent("2.5"), Ok(2.5));
        assert!(parse_percent("-1%").is_err());
        assert!(parse_percent("ten").is_err());
        assert_eq!(parse_micros("1ms"), Ok(1000));
        assert_eq!(parse_micros("0"), Ok(0));
        assert!(parse_micros("fast").is_err());
    }

    #[test]
    fn start_at_is_an_rfc3339_instant_within_a_day() {
        let at = |t: &str| args(&["f.stress", "--start-at", t]).unwrap().start_at();
        assert!(at("2020-01-01T00:00:00Z").unwrap().is_some());
        assert!(at("tomorrow").unwrap_err().contains("RFC 3339"));
        assert!(at("2999-01-01T00:00:00Z").unwrap_err().contains("24 hours"));
    }
}
