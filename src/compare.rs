//! `stress compare BASE NEW`: the regression table of two run folders (`stress run --out` or
//! `stress merge --out`), read from their `summary.json`.
//!
//! Tests, scenarios and steps are matched by name; what is only on one side is listed, not an
//! error. For each matched step five metrics are compared: latency p50, p95 and p99, error
//! rate and throughput. What is worse: latency up, error rate up, throughput down.
//!
//! What the tolerances compare (a change exactly at a tolerance passes):
//! - `--max-regression P`: latency percentiles by relative change (`new / base − 1 > P`),
//!   but only when the latency also grew by at least `--min-latency-delta` (default 1ms), so
//!   that noise on fast steps does not fail CI; throughput by relative drop
//!   (`1 − new / base > P`).
//! - `--max-error-increase P`: the error rate by percentage points (`new − base > P`; a ratio
//!   of 0 % → 0.1 % would mean nothing). 1 point when only `--max-regression` is given.
//!
//! Without a tolerance the table is only a report (exit 0). Exit 1: a regression beyond a
//! tolerance; 2: a folder is not a run (`stress::compare::input`). Plans with different
//! digests (a changed file, another `--set`) are compared anyway, with a warning.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Padding, Style};

use crate::args::{CompareArgs, CompareFormat};
use crate::exit::Exit;
use crate::report::format::dur;
use crate::ui::{Ui, say};

/// The error rate tolerance (points) once `--max-regression` is given without
/// `--max-error-increase`.
const DEFAULT_ERROR_POINTS: f64 = 1.0;

/// Slack for comparisons at a tolerance (`110 / 100 − 1` is a hair above 0.10 in floating point).
const EPSILON: f64 = 1e-9;

/// Runs `stress compare`; returns the exit code.
pub(crate) fn compare(ui: &Ui, args: &CompareArgs) -> Exit {
    let (base, new) = match (read_run(&args.base), read_run(&args.new)) {
        (Ok(b), Ok(n)) => (b, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error[stress::compare::input]: {e}");
            return Exit::Invalid;
        }
    };
    let tolerance = Tolerance::from_args(args);
    let comparison = compare_runs(&base, &new, &tolerance);
    for w in &comparison.warnings {
        eprintln!("warning: {w}");
    }
    match args.format {
        CompareFormat::Json => {
            let text = serde_json::to_string_pretty(&comparison).expect("plain data serializes");
            say(format_args!("{text}\n"));
        }
        CompareFormat::Markdown => say(format_args!("{}", markdown(&comparison))),
        CompareFormat::Text => say(format_args!("{}", text(&comparison, ui.color()))),
    }
    if let Some(Err(e)) = crate::artifacts::files::append_step_summary(&markdown(&comparison)) {
        eprintln!("warning: GITHUB_STEP_SUMMARY: {e}");
    }
    if comparison.regressions > 0 {
        Exit::Failed
    } else {
        Exit::Passed
    }
}

/// The tolerances in force; `None`: that metric is reported, not judged.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Tolerance {
    /// Relative, in percent: latency growth and throughput drop.
    max_regression_pct: Option<f64>,
    /// Error rate growth in percentage points.
    max_error_increase_points: Option<f64>,
    /// Latency growth below this many µs is never a regression.
    min_latency_delta_us: u64,
}

impl Tolerance {
    fn from_args(args: &CompareArgs) -> Self {
        Tolerance {
            max_regression_pct: args.max_regression,
            max_error_increase_points: args
                .max_error_increase
                .or(args.max_regression.map(|_| DEFAULT_ERROR_POINTS)),
            min_latency_delta_us: args.min_latency_delta,
        }
    }

    fn judged(&self) -> bool {
        self.max_regression_pct.is_some() || self.max_error_increase_points.is_some()
    }
}

/// One run folder's `summary.json`, reduced to what is compared.
struct Run {
    dir: PathBuf,
    digests: BTreeMap<String, String>,
    seeds: Vec<u64>,
    status: String,
    /// (test, scenario, step) → the step's numbers, in the file's order.
    steps: Vec<(Key, Numbers)>,
}

type Key = (String, String, String);

#[derive(Debug, Clone, Copy, Default)]
struct Numbers {
    p50_us: Option<u64>,
    p95_us: Option<u64>,
    p99_us: Option<u64>,
    error_rate_pct: Option<f64>,
    throughput_per_s: Option<f64>,
}

fn read_run(dir: &Path) -> Result<Run, String> {
    let not_a_run = |why: String| {
        format!(
            "`{}` is not a folder written by `stress run --out`: {why}",
            dir.display()
        )
    };
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| not_a_run(format!("cannot read `{}`: {e}", path.display())))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| not_a_run(format!("`{}` is not JSON: {e}", path.display())))?;
    if v.get("schema_version").and_then(Value::as_u64) != Some(1) {
        return Err(not_a_run(format!(
            "`{}` has no `schema_version` 1 (this stress reads version 1)",
            path.display()
        )));
    }
    let tests = v
        .get("tests")
        .and_then(Value::as_array)
        .ok_or_else(|| not_a_run(format!("`{}` has no `tests`", path.display())))?;
    let digests = v
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let name = Path::new(f.get("file")?.as_str()?).file_name()?;
            Some((
                name.to_string_lossy().into_owned(),
                f.get("plan_digest")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut steps = Vec::new();
    let mut seeds = Vec::new();
    for test in tests {
        let test_name = str_of(test, "test");
        seeds.extend(test.get("seed").and_then(Value::as_u64));
        for scenario in test
            .get("scenarios")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let scenario_name = str_of(scenario, "name");
            for step in scenario
                .get("steps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let latency = step.get("latency");
                let pct = |k: &str| latency.and_then(|l| l.get(k)).and_then(Value::as_u64);
                let numbers = Numbers {
                    p50_us: pct("p50_us"),
                    p95_us: pct("p95_us"),
                    p99_us: pct("p99_us"),
                    error_rate_pct: step.get("error_rate_pct").and_then(Value::as_f64),
                    throughput_per_s: step.get("throughput_per_s").and_then(Value::as_f64),
                };
                let key = (
                    test_name.clone(),
                    scenario_name.clone(),
                    str_of(step, "name"),
                );
                steps.push((key, numbers));
            }
        }
    }
    seeds.sort_unstable();
    seeds.dedup();
    Ok(Run {
        dir: dir.to_path_buf(),
        digests,
        seeds,
        status: str_of(&v, "status"),
        steps,
    })
}

/// The comparison of two runs: plain data, printed as text, Markdown or JSON.
#[derive(Debug, Serialize)]
pub(crate) struct Comparison {
    schema_version: u32,
    base: Side,
    new: Side,
    tolerance: Tolerance,
    rows: Vec<Row>,
    /// `test / scenario / step` only in the base run.
    only_in_base: Vec<String>,
    /// `test / scenario / step` only in the new run.
    only_in_new: Vec<String>,
    warnings: Vec<String>,
    /// Metrics beyond their tolerance.
    regressions: usize,
    /// No metric beyond its tolerance (true when nothing is judged).
    passed: bool,
}

#[derive(Debug, Serialize)]
struct Side {
    dir: String,
    seeds: Vec<u64>,
    status: String,
}

/// One metric of one step on both sides.
#[derive(Debug, Serialize)]
struct Row {
    test: String,
    scenario: String,
    step: String,
    /// `p50`, `p95`, `p99` (µs), `error_rate` (%), `throughput` (per second).
    metric: &'static str,
    base: Option<f64>,
    new: Option<f64>,
    /// Relative change `new / base − 1` in percent (latency, throughput); `null` for the
    /// error rate, or without both values or with a base of 0.
    change_pct: Option<f64>,
    /// `new − base` in the metric's unit (µs, percentage points, per second).
    delta: Option<f64>,
    /// `true` beyond the tolerance, `false` within it, `null` when not judged (no tolerance
    /// for this metric, or no data on one side).
    regression: Option<bool>,
}

fn compare_runs(base: &Run, new: &Run, tolerance: &Tolerance) -> Comparison {
    let mut warnings = Vec::new();
    for (file, digest) in &base.digests {
        match new.digests.get(file) {
            Some(d) if d != digest => warnings.push(format!(
                "the plans of {file} differ (digest {digest} vs {d}): the file or a --set changed between the runs; comparing by name anyway"
            )),
            _ => {}
        }
    }
    let base_files: Vec<&String> = base.digests.keys().collect();
    let new_files: Vec<&String> = new.digests.keys().collect();
    if base_files != new_files {
        warnings.push(format!(
            "the runs are of different files ({} vs {}); comparing by name anyway",
            list(&base_files),
            list(&new_files)
        ));
    }
    for (side, run) in [("base", base), ("new", new)] {
        if run.status != "passed" && run.status != "failed" && !run.status.is_empty() {
            warnings.push(format!(
                "the {side} run `{}` is {}: its numbers cover only what ran",
                run.dir.display(),
                run.status.replace('_', " ")
            ));
        }
    }
    let new_steps: BTreeMap<&Key, &Numbers> = new.steps.iter().map(|(k, n)| (k, n)).collect();
    let base_keys: std::collections::BTreeSet<&Key> = base.steps.iter().map(|(k, _)| k).collect();
    let mut rows = Vec::new();
    let mut only_in_base = Vec::new();
    for (key, b) in &base.steps {
        let Some(n) = new_steps.get(key) else {
            only_in_base.push(path(key));
            continue;
        };
        rows.extend(step_rows(key, b, n, tolerance));
    }
    let only_in_new = new
        .steps
        .iter()
        .filter(|(k, _)| !base_keys.contains(k))
        .map(|(k, _)| path(k))
        .collect();
    let regressions = rows.iter().filter(|r| r.regression == Some(true)).count();
    Comparison {
        schema_version: 1,
        base: side(base),
        new: side(new),
        tolerance: tolerance.clone(),
        rows,
        only_in_base,
        only_in_new,
        warnings,
        regressions,
        passed: regressions == 0,
    }
}

fn side(run: &Run) -> Side {
    Side {
        dir: run.dir.display().to_string(),
        seeds: run.seeds.clone(),
        status: run.status.clone(),
    }
}

fn list(items: &[&String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn path((test, scenario, step): &Key) -> String {
    format!("{test} / {scenario} / {step}")
}

fn step_rows(key: &Key, b: &Numbers, n: &Numbers, t: &Tolerance) -> Vec<Row> {
    let row = |metric, base: Option<f64>, new: Option<f64>, regression| {
        let both = base.zip(new);
        Row {
            test: key.0.clone(),
            scenario: key.1.clone(),
            step: key.2.clone(),
            metric,
            base,
            new,
            change_pct: if metric == "error_rate" {
                None
            } else {
                both.filter(|(b, _)| *b > 0.0)
                    .map(|(b, n)| (n / b - 1.0) * 100.0)
            },
            delta: both.map(|(b, n)| n - b),
            regression,
        }
    };
    let latency = |metric, base: Option<u64>, new: Option<u64>| {
        let regression = t
            .max_regression_pct
            .zip(base.zip(new))
            .map(|(max, (b, n))| {
                n.saturating_sub(b) >= t.min_latency_delta_us.max(1)
                    && (b == 0 || (n as f64 / b as f64 - 1.0) * 100.0 > max + EPSILON)
            });
        row(
            metric,
            base.map(|v| v as f64),
            new.map(|v| v as f64),
            regression,
        )
    };
    // A metric without data on one side is not judged (`regression: null`).
    let errors = t
        .max_error_increase_points
        .zip(b.error_rate_pct.zip(n.error_rate_pct))
        .map(|(max, (b, n))| n - b > max + EPSILON);
    let throughput = t
        .max_regression_pct
        .zip(b.throughput_per_s.zip(n.throughput_per_s))
        .map(|(max, (b, n))| b > 0.0 && (1.0 - n / b) * 100.0 > max + EPSILON);
    vec![
        latency("p50", b.p50_us, n.p50_us),
        latency("p95", b.p95_us, n.p95_us),
        latency("p99", b.p99_us, n.p99_us),
        row("error_rate", b.error_rate_pct, n.error_rate_pct, errors),
        row(
            "throughput",
            b.throughput_per_s,
            n.throughput_per_s,
            throughput,
        ),
    ]
}

/// The cells of one row: metric, base, new, change, marker.
fn cells(r: &Row, judged: bool) -> [String; 5] {
    let value = |v: Option<f64>| match (v, r.metric) {
        (None, _) => "–".to_string(),
        (Some(v), "error_rate") => format!("{v:.2}%"),
        (Some(v), "throughput") => format!("{v:.1}/s"),
        (Some(v), _) => dur(v.round() as u64),
    };
    let change = match (r.metric, r.change_pct, r.delta) {
        ("error_rate", _, Some(d)) => format!("{d:+.2} pt"),
        (_, Some(c), _) => format!("{c:+.1}%"),
        (_, None, Some(0.0)) => "±0".to_string(),
        (_, None, Some(_)) => "from 0".to_string(),
        _ => "–".to_string(),
    };
    let marker = match r.regression {
        Some(true) => "✗",
        Some(false) => "✓",
        None if judged => "–",
        None => "",
    };
    let metric = match r.metric {
        "error_rate" => "error rate",
        m => m,
    };
    [
        metric.to_string(),
        value(r.base),
        value(r.new),
        change,
        marker.to_string(),
    ]
}

/// The table rows: test, scenario and step shown on the first metric of each step.
fn table_rows(c: &Comparison) -> Vec<[String; 8]> {
    let judged = c.tolerance.judged();
    let mut last: Option<(&str, &str, &str)> = None;
    c.rows
        .iter()
        .map(|r| {
            let key = (r.test.as_str(), r.scenario.as_str(), r.step.as_str());
            let first = last != Some(key);
            last = Some(key);
            let [m, b, n, ch, mark] = cells(r, judged);
            let name = |s: &str| if first { s.to_string() } else { String::new() };
            [
                name(&r.test),
                name(&r.scenario),
                name(&r.step),
                m,
                b,
                n,
                ch,
                mark,
            ]
        })
        .collect()
}

const HEADER: [&str; 8] = [
    "test", "scenario", "step", "metric", "base", "new", "change", "",
];
/// Columns aligned right (numbers).
const RIGHT: [bool; 8] = [false, false, false, false, true, true, true, false];

fn verdict(c: &Comparison) -> String {
    if !c.tolerance.judged() {
        return format!(
            "compared {} step{} (no tolerance given: report only)",
            c.rows.len() / 5,
            if c.rows.len() == 5 { "" } else { "s" }
        );
    }
    let mut tol = Vec::new();
    if let Some(p) = c.tolerance.max_regression_pct {
        tol.push(format!("latency and throughput {p}%"));
    }
    if let Some(p) = c.tolerance.max_error_increase_points {
        tol.push(format!("error rate +{p} pt"));
    }
    if c.regressions == 0 {
        format!("✓ no regression beyond tolerance ({})", tol.join(", "))
    } else {
        let worst: Vec<String> = c
            .rows
            .iter()
            .filter(|r| r.regression == Some(true))
            .take(3)
            .map(|r| {
                let [m, _, _, ch, _] = cells(r, true);
                format!("{m} of {}/{}/{} {ch}", r.test, r.scenario, r.step)
            })
            .collect();
        format!(
            "✗ {} regression{} beyond tolerance ({}): {}{}",
            c.regressions,
            if c.regressions == 1 { "" } else { "s" },
            tol.join(", "),
            worst.join("; "),
            if c.regressions > 3 { "; …" } else { "" }
        )
    }
}

fn seeds(s: &Side) -> String {
    match s.seeds.as_slice() {
        [] => String::new(),
        [one] => format!(" (seed {one})"),
        many => format!(
            " (seeds {})",
            many.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The human table: aligned columns, ✓/✗ colored when asked, a one-line verdict.
pub(crate) fn text(c: &Comparison, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        paint(
            "1",
            &format!(
                "--- compare: base {}{} vs new {}{} ---",
                c.base.dir,
                seeds(&c.base),
                c.new.dir,
                seeds(&c.new)
            )
        )
    );
    if !c.rows.is_empty() {
        let mut b = Builder::default();
        b.push_record(HEADER);
        for row in table_rows(c) {
            b.push_record(row);
        }
        let mut t = b.build();
        t.with(Style::empty()).with(Padding::new(2, 0, 0, 0));
        for (i, _) in RIGHT.iter().enumerate().filter(|(_, r)| **r) {
            t.modify(Columns::one(i), Alignment::right());
        }
        for line in t.to_string().lines() {
            let line = line.trim_end();
            let line = line
                .replace('✗', &paint("31;1", "✗"))
                .replace('✓', &paint("32", "✓"));
            let _ = writeln!(out, "{line}");
        }
    }
    for (label, items) in [
        ("only in base", &c.only_in_base),
        ("only in new", &c.only_in_new),
    ] {
        for item in items {
            let _ = writeln!(out, "  {label}: {item}");
        }
    }
    let v = verdict(c);
    let v = if !c.tolerance.judged() {
        v
    } else if c.passed {
        paint("32", &v)
    } else {
        paint("31;1", &v)
    };
    let _ = writeln!(out, "{v}");
    out
}

/// The table in GitHub-flavoured Markdown (also appended to `$GITHUB_STEP_SUMMARY`).
pub(crate) fn markdown(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### stress compare: `{}`{} → `{}`{}\n",
        c.base.dir,
        seeds(&c.base),
        c.new.dir,
        seeds(&c.new)
    );
    if !c.rows.is_empty() {
        let mut b = Builder::default();
        b.push_record(HEADER);
        for row in table_rows(c) {
            b.push_record(row.map(|s| s.replace('|', "\\|")));
        }
        let mut t = b.build();
        t.with(Style::markdown());
        for (i, _) in RIGHT.iter().enumerate().filter(|(_, r)| **r) {
            t.modify(Columns::one(i), Alignment::right());
        }
        let _ = writeln!(out, "{t}\n");
    }
    for (label, items) in [
        ("Only in base", &c.only_in_base),
        ("Only in new", &c.only_in_new),
    ] {
        for item in items {
            let _ = writeln!(out, "- {label}: `{item}`");
        }
    }
    for w in &c.warnings {
        let _ = writeln!(out, "- ⚠ {w}");
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    let _ = writeln!(out, "**{}**", verdict(c));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(p95_us: u64, error: f64, throughput: f64) -> Numbers {
        Numbers {
            p50_us: Some(10_000),
            p95_us: Some(p95_us),
            p99_us: Some(p95_us),
            error_rate_pct: Some(error),
            throughput_per_s: Some(throughput),
        }
    }

    fn tol(max: f64) -> Tolerance {
        Tolerance {
            max_regression_pct: Some(max),
            max_error_increase_points: Some(1.0),
            min_latency_delta_us: 1000,
        }
    }

    fn regressions(b: Numbers, n: Numbers, t: &Tolerance) -> Vec<&'static str> {
        let key = ("t".into(), "s".into(), "x".into());
        step_rows(&key, &b, &n, t)
            .into_iter()
            .filter(|r| r.regression == Some(true))
            .map(|r| r.metric)
            .collect()
    }

    #[test]
    fn exactly_at_the_tolerance_passes_and_beyond_fails() {
        let b = numbers(100_000, 0.0, 100.0);
        assert!(regressions(b, numbers(110_000, 0.0, 100.0), &tol(10.0)).is_empty());
        assert_eq!(
            regressions(b, numbers(110_100, 0.0, 100.0), &tol(10.0)),
            ["p95", "p99"]
        );
        assert!(regressions(b, numbers(100_000, 1.0, 90.0), &tol(10.0)).is_empty());
        assert_eq!(
            regressions(b, numbers(100_000, 1.01, 89.9), &tol(10.0)),
            ["error_rate", "throughput"]
        );
    }

    #[test]
    fn a_metric_without_data_on_one_side_is_not_judged() {
        let b = numbers(100_000, 0.0, 100.0);
        let mut n = b;
        n.p95_us = None;
        n.error_rate_pct = None;
        let key = ("t".into(), "s".into(), "x".into());
        let rows = step_rows(&key, &b, &n, &tol(10.0));
        let judged: Vec<Option<bool>> = rows.iter().map(|r| r.regression).collect();
        assert_eq!(judged, [Some(false), None, Some(false), None, Some(false)]);
    }

    #[test]
    fn small_absolute_latency_growth_is_noise() {
        let b = numbers(1_200, 0.0, 100.0);
        // +25 % but only 300µs: under the 1ms floor.
        assert!(regressions(b, numbers(1_500, 0.0, 100.0), &tol(10.0)).is_empty());
        assert_eq!(
            regressions(b, numbers(2_200, 0.0, 100.0), &tol(10.0)),
            ["p95", "p99"]
        );
    }
}
