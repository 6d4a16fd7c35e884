//! `summary.json`: the run's identity and every test's [`crate::report::Report`], plus for
//! each SLO its `location` (`file:line`). Validated by `schema/summary.schema.json`.

use serde::Serialize;
use serde_json::{Value, json};

use crate::slo::Status;

use super::files::{PlanEntry, TestArtifacts};
use super::stream::HlogRef;
use super::{STRESS_VERSION, fnv1a64};

/// Bumped on a change that breaks readers (a field removed, renamed or retyped); new
/// fields do not bump it.
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// What produced the artifacts.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    /// `run` or `merge`.
    pub kind: &'static str,
    /// Wall clock, RFC 3339 (`None` for a merge).
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// For a merge: the run folders merged, in order.
    pub merged_from: Vec<String>,
    /// A run of one shard (`--shard I/N`).
    pub shard: Option<ShardRecord>,
    /// A merge of shards: which of the set were merged.
    pub shards: Option<ShardSet>,
}

/// Which shard wrote a run folder, and when it started against `--start-at`.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
    /// `--start-at`, RFC 3339.
    pub start_at: Option<String>,
    /// Wall clock when the load started, RFC 3339.
    pub started_at: Option<String>,
    /// How much later than `start_at` the load started (negative: earlier), in µs.
    pub start_offset_us: Option<i64>,
}

/// The shards a merge added up.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardSet {
    pub count: u32,
    /// Shard indexes merged, ascending.
    pub merged: Vec<u32>,
    /// Shard indexes of the set that were not there (`--allow-partial`).
    pub missing: Vec<u32>,
    /// Latest start minus earliest start over the shards' `started_at`, in µs.
    pub start_spread_us: Option<u64>,
}

/// The whole `summary.json` (top-level fields in this order; inside a test, the report's
/// fields as `serde_json` orders them).
#[derive(Clone, Debug, Serialize)]
pub struct Summary<'a> {
    pub schema_version: u32,
    pub kind: &'static str,
    pub stress_version: &'static str,
    pub started_at: Option<&'a str>,
    pub finished_at: Option<&'a str>,
    pub merged_from: &'a [String],
    /// A shard's run: `{index, count, start_at, started_at, start_offset_us}`, else null.
    pub shard: Option<&'a ShardRecord>,
    /// A merge of shards: `{count, merged, missing, start_spread_us}`, else null.
    pub shards: Option<&'a ShardSet>,
    pub passed: bool,
    /// `passed`, `failed` (an SLO failed), `could_not_run` (exit 3: see `reason`) or
    /// `interrupted` (SIGINT/SIGTERM; the numbers cover what ran).
    pub status: &'static str,
    /// Why the run could not run (the first test that could not), else `null`.
    pub reason: Option<String>,
    pub interrupted: bool,
    pub totals: Totals,
    pub files: Vec<FileIdentity<'a>>,
    pub histograms: &'a [HlogRef],
    /// One `report::Report` per test, each SLO result with `location` and `passed` added,
    /// and `seeds`.
    pub tests: Vec<Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    pub tests: usize,
    pub scenarios: usize,
    pub requests: u64,
    pub failed: u64,
    pub iterations: u64,
    pub slos: usize,
    pub slos_failed: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileIdentity<'a> {
    pub file: &'a str,
    pub plan_digest: &'a str,
}

/// Builds `summary.json`.
pub fn summary<'a>(
    info: &'a RunInfo,
    plans: &'a [PlanEntry],
    tests: &'a [TestArtifacts],
    hlogs: &'a [HlogRef],
) -> Summary<'a> {
    let reports = || tests.iter().map(|t| &t.record.report);
    let scenarios = || reports().flat_map(|r| r.scenarios.iter());
    let slos = || reports().flat_map(|r| r.slos.iter());
    let test_values: Vec<Value> = tests
        .iter()
        .map(|t| {
            let r = &t.record.report;
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Some(list) = v.get_mut("slos").and_then(Value::as_array_mut) {
                for (value, slo) in list.iter_mut().zip(&r.slos) {
                    if let Some(obj) = value.as_object_mut() {
                        obj.insert(
                            "location".into(),
                            Value::String(format!("{}:{}", r.file, slo.line)),
                        );
                        obj.insert("passed".into(), Value::Bool(slo.status == Status::Pass));
                    }
                }
            }
            if let Some(obj) = v.as_object_mut() {
                obj.insert("seeds".into(), json!(t.seeds));
                obj.insert("services".into(), json!(t.services));
                obj.insert("scrapes".into(), json!(t.scrapes));
            }
            v
        })
        .collect();
    Summary {
        schema_version: SUMMARY_SCHEMA_VERSION,
        kind: info.kind,
        stress_version: STRESS_VERSION,
        started_at: info.started_at.as_deref(),
        finished_at: info.finished_at.as_deref(),
        merged_from: &info.merged_from,
        shard: info.shard.as_ref(),
        shards: info.shards.as_ref(),
        passed: reports().all(|r| r.passed && r.could_not_run.is_none()),
        status: if reports().any(|r| r.could_not_run.is_some()) {
            "could_not_run"
        } else if reports().any(|r| r.interrupted) {
            "interrupted"
        } else if reports().all(|r| r.passed) {
            "passed"
        } else {
            "failed"
        },
        reason: reports().find_map(|r| {
            r.could_not_run
                .as_ref()
                .map(|reason| format!("test `{}`: {reason}", r.test))
        }),
        interrupted: reports().any(|r| r.interrupted),
        totals: Totals {
            tests: tests.len(),
            scenarios: scenarios().count(),
            requests: scenarios().map(|s| s.requests.count).sum(),
            failed: scenarios().map(|s| s.requests.failed).sum(),
            iterations: scenarios().map(|s| s.iterations).sum(),
            slos: slos().count(),
            slos_failed: slos().filter(|s| s.status != Status::Pass).count(),
        },
        files: plans
            .iter()
            .map(|p| FileIdentity {
                file: &p.file,
                plan_digest: &p.digest,
            })
            .collect(),
        histograms: hlogs,
        tests: test_values,
    }
}

/// The fingerprint `summary.json` and `plan.json` show for a plan's JSON text.
pub fn plan_digest(plan_json: &str) -> String {
    fnv1a64(plan_json.as_bytes())
}
