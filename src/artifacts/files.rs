//! Writing the artifacts of a finished run or merge, and reading back what `stress merge`
//! needs (`plan.json`, `metrics.json`).
//!
//! Every file is written to a temporary name in the folder and renamed over the old one, so
//! a reader never sees a half-written file and a failed write leaves the previous one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::metrics::StoredMetrics;
use crate::plan::Plan;

use super::model::{ScenarioSeries, TestRecord};
use super::stream::HlogRef;
use super::summary::{RunInfo, plan_digest, summary};
use super::{STRESS_VERSION, codequality, html, junit};

/// Version of the `plan.json` and `metrics.json` layouts.
pub const STORE_VERSION: u32 = 1;
const METRICS_FORMAT: &str = "stress-metrics";

/// `plan.json`: the plans a run executed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanFile {
    pub version: u32,
    pub stress_version: String,
    pub files: Vec<PlanEntry>,
}

/// One `.stress` file of a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanEntry {
    /// As named on the command line.
    pub file: String,
    /// FNV-1a of the plan's compact JSON: equal digests, same plan.
    pub digest: String,
    /// The text the plan was lowered from (`--set` overrides applied).
    pub source: String,
    /// The lowered plan (`stress plan --format json`).
    pub plan: Value,
}

impl PlanEntry {
    /// `--set` secrets are shown as `***` in both the source and the plan (`crate::secrets`).
    pub fn new(plan: &Plan, source: &str) -> Self {
        let mut text = serde_json::to_string(plan).unwrap_or_default();
        let mut value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if crate::secrets::any() {
            crate::secrets::redact_json(&mut value);
            text = serde_json::to_string(&value).unwrap_or_default();
        }
        Self {
            file: plan.file.clone(),
            digest: plan_digest(&text),
            source: crate::secrets::redact(source).into_owned(),
            plan: value,
        }
    }
}

/// Everything written for one test.
#[derive(Clone, Debug)]
pub struct TestArtifacts {
    pub record: TestRecord,
    /// The seed of each run it adds up (one for a run).
    pub seeds: Vec<u64>,
    pub metrics: StoredMetrics,
    /// The test's services (`summary.json`: `tests[].services`); empty for a merge.
    pub services: Vec<crate::service::ServiceSummary>,
    /// The test's scrapes (`summary.json`: `tests[].scrapes`).
    pub scrapes: Vec<crate::service::ScrapeSummary>,
}

#[derive(Serialize)]
struct MetricsFileOut<'a> {
    format: &'static str,
    version: u32,
    stress_version: &'static str,
    tests: Vec<StoredTestOut<'a>>,
}

#[derive(Serialize)]
struct StoredTestOut<'a> {
    file: &'a str,
    test: &'a str,
    seeds: &'a [u64],
    interrupted: bool,
    metrics: &'a StoredMetrics,
    series: &'a [ScenarioSeries],
    services: &'a [crate::metrics::ServiceData],
}

/// `metrics.json` as read back.
#[derive(Clone, Debug, Deserialize)]
pub struct MetricsFile {
    pub format: String,
    pub version: u32,
    pub stress_version: String,
    pub tests: Vec<StoredTest>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct StoredTest {
    pub file: String,
    pub test: String,
    pub seeds: Vec<u64>,
    pub interrupted: bool,
    pub metrics: StoredMetrics,
    pub series: Vec<ScenarioSeries>,
    /// What the test's services did, per machine (one for a run, one per shard for a merge,
    /// named `shard-I/NAME`); absent in folders of older versions.
    #[serde(default)]
    pub services: Vec<crate::metrics::ServiceData>,
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    // `--set` secrets never reach a file (`crate::secrets`).
    let redacted = crate::secrets::any().then(|| redact_file(name, bytes));
    let bytes = redacted.as_deref().unwrap_or(bytes);
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
        .and_then(|()| std::fs::rename(&tmp, &path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write `{}`: {e}", path.display())
    })
}

/// A file's bytes with secrets replaced: in a JSON file only its string values.
fn redact_file(name: &str, bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    if name.ends_with(".json") {
        if let Ok(mut value) = serde_json::from_str::<Value>(&text) {
            crate::secrets::redact_json(&mut value);
            return pretty(&value).into_bytes();
        }
    }
    crate::secrets::redact(&text).into_owned().into_bytes()
}

/// `report.md`: every test's Markdown report under one title.
pub fn markdown(info: &RunInfo, tests: &[TestArtifacts]) -> String {
    let passed = tests.iter().all(|t| t.record.report.passed);
    let could_not_run = tests
        .iter()
        .any(|t| t.record.report.could_not_run.is_some());
    let mut out = format!(
        "# stress {}: {}\n\n",
        info.kind,
        if could_not_run {
            "⛔ could not run"
        } else if passed {
            "✅ passed"
        } else {
            "❌ failed"
        }
    );
    if !info.merged_from.is_empty() {
        out.push_str(&format!(
            "Merged from {} runs: {}\n\n",
            info.merged_from.len(),
            info.merged_from
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for t in tests {
        out.push_str(&crate::report::render_markdown(&t.record.report));
    }
    out
}

/// Writes every artifact that is not streamed; returns the Markdown report (for the GitHub
/// step summary). Stops at the first file that cannot be written.
pub fn write_all(
    dir: &Path,
    info: &RunInfo,
    plans: &[PlanEntry],
    tests: &[TestArtifacts],
    hlogs: &[HlogRef],
    text_report: &str,
) -> Result<String, String> {
    let plan_file = PlanFile {
        version: STORE_VERSION,
        stress_version: STRESS_VERSION.into(),
        files: plans.to_vec(),
    };
    write_atomic(dir, "plan.json", pretty(&plan_file).as_bytes())?;
    let metrics = MetricsFileOut {
        format: METRICS_FORMAT,
        version: STORE_VERSION,
        stress_version: STRESS_VERSION,
        tests: tests
            .iter()
            .map(|t| StoredTestOut {
                file: &t.record.file,
                test: &t.record.report.test,
                seeds: &t.seeds,
                interrupted: t.record.report.interrupted,
                metrics: &t.metrics,
                series: &t.record.series,
                services: &t.record.services,
            })
            .collect(),
    };
    // Compact: histograms make it large, and people read summary.json instead.
    let metrics_text = serde_json::to_string(&metrics).map_err(|e| e.to_string())? + "\n";
    write_atomic(dir, "metrics.json", metrics_text.as_bytes())?;
    let summary = summary(info, plans, tests, hlogs);
    write_atomic(dir, "summary.json", pretty(&summary).as_bytes())?;
    let md = markdown(info, tests);
    write_atomic(dir, "report.md", md.as_bytes())?;
    let records: Vec<TestRecord> = tests.iter().map(|t| t.record.clone()).collect();
    write_atomic(dir, "report.html", html::render(&records).as_bytes())?;
    write_atomic(dir, "junit.xml", junit::render(&records).as_bytes())?;
    write_atomic(
        dir,
        "codequality.json",
        codequality::render(&records).as_bytes(),
    )?;
    write_atomic(dir, "report.txt", text_report.as_bytes())?;
    Ok(md)
}

fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Appends `markdown` to the file named by `GITHUB_STEP_SUMMARY` when that is set: `None`
/// when it is not, else the file or why it could not be written.
pub fn append_step_summary(markdown: &str) -> Option<Result<PathBuf, String>> {
    let path = PathBuf::from(std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty())?);
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| {
            f.write_all(markdown.as_bytes())
                .and_then(|()| f.write_all(b"\n"))
        });
    Some(
        result
            .map(|()| path.clone())
            .map_err(|e| format!("cannot append to `{}`: {e}", path.display())),
    )
}

/// Reads `plan.json` of a run folder.
pub fn read_plan_file(dir: &Path) -> Result<PlanFile, String> {
    let plan: PlanFile = read_json(&dir.join("plan.json"))?;
    if plan.version != STORE_VERSION {
        return Err(format!(
            "`{}` has layout version {}, this stress reads {STORE_VERSION}",
            dir.join("plan.json").display(),
            plan.version
        ));
    }
    Ok(plan)
}

/// Reads `metrics.json` of a run folder.
pub fn read_metrics_file(dir: &Path) -> Result<MetricsFile, String> {
    let m: MetricsFile = read_json(&dir.join("metrics.json"))?;
    if m.format != METRICS_FORMAT || m.version != STORE_VERSION {
        return Err(format!(
            "`{}` is not a version {STORE_VERSION} stress metrics file",
            dir.join("metrics.json").display()
        ));
    }
    Ok(m)
}

/// Only the seeds of each test in a run's metrics.json (checked like [`read_metrics_file`]):
/// the histograms are parsed over, not kept, so `stress merge` can look at 100 runs first and
/// read their metrics one at a time afterwards.
pub fn read_metrics_seeds(dir: &Path) -> Result<Vec<u64>, String> {
    #[derive(Deserialize)]
    struct Header {
        format: String,
        version: u32,
        tests: Vec<TestSeeds>,
    }
    #[derive(Deserialize)]
    struct TestSeeds {
        #[serde(default)]
        seeds: Vec<u64>,
    }
    let path = dir.join("metrics.json");
    let h: Header = read_json(&path)?;
    if h.format != METRICS_FORMAT || h.version != STORE_VERSION {
        return Err(format!(
            "`{}` is not a version {STORE_VERSION} stress metrics file",
            path.display()
        ));
    }
    Ok(h.tests.into_iter().flat_map(|t| t.seeds).collect())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("`{}`: {e}", path.display()))
}

/// Creates the output folder and checks it can be written (before any load).
pub fn prepare_out(out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let probe = out.join(".stress-write-probe");
    std::fs::write(&probe, b"").map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}
