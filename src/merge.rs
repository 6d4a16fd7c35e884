//! `stress merge DIR… [--out DIR]`: adds up runs of the same plan (shards run on several
//! machines, or one after the other) into one report with exact percentiles.
//!
//! 1. Each DIR's `plan.json` must hold the same plans (compared as JSON, the file's folder
//!    aside); otherwise exit 2 naming the first difference.
//!    Folders written by `stress run --shard I/N` must be one whole set: the same N, every
//!    index once, one seed ([`check_shards`]; `--allow-partial` lets a missing shard pass).
//! 2. The plan is rebuilt from the source text stored in `plan.json` and must lower to the
//!    stored plan (else this build of `stress` cannot evaluate it: exit 2).
//! 3. Each test's `metrics.json` entry is restored ([`Metrics::from_stored`]) and merged
//!    ([`Metrics::merge`]): histograms added, counts summed. Scenario clocks are aligned at
//!    their starts, so shards that ran at the same time add their throughputs.
//! 4. SLOs are evaluated again on the merged metrics; the text report is printed; exit 0 when
//!    every SLO held, 1 otherwise (3 when `--out` cannot be written).
//!    Services are never added up: each run's service samples and scrapes stay its own
//!    (`shard-I/NAME` in the reports), and an SLO that reads a service holds only when it
//!    holds on every machine ([`judge`]).
//!
//! With `--out`, the same artifacts as a run are written except `requests.jsonl` (the
//! per-request logs stay in the run folders); interval logs are merged second by second.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::args::MergeArgs;
use crate::artifacts::files::{
    PlanEntry, PlanFile, StoredTest, TestArtifacts, read_metrics_file, read_metrics_seeds,
    read_plan_file, write_all,
};
use crate::artifacts::model::{ScenarioSeries, SeriesPoint, TestRecord};
use crate::artifacts::stream::HlogRef;
use crate::artifacts::summary::{RunInfo, ShardRecord, ShardSet};
use crate::diag::Problem;
use crate::exit::Exit;
use crate::metrics::{Histogram, IntervalLogWriter, Metrics, ServiceData};
use crate::plan::{CmpOp, Metric, Plan, SloExpr};
use crate::report::MergedFrom;
use crate::source::SourceFile;
use crate::ui::Ui;

/// Runs `stress merge`; returns the exit code.
pub(crate) fn merge(ui: &Ui, args: &MergeArgs) -> Exit {
    match merge_inner(ui, args) {
        Ok(code) => code,
        Err(Failure { code, message }) => {
            eprintln!("{message}");
            code
        }
    }
}

struct Failure {
    code: Exit,
    message: String,
}

fn invalid(code: &str, message: String) -> Failure {
    Failure {
        code: Exit::Invalid,
        message: format!("error[stress::merge::{code}]: {message}"),
    }
}

/// One run folder, read.
struct Run {
    dir: PathBuf,
    plans: PlanFile,
    hlogs: Vec<HlogRef>,
    /// The seeds of its tests (metrics.json), for [`check_shards`]; the metrics themselves are
    /// read one run at a time while merging, so that 100 shards do not sit in memory at once.
    seeds: Vec<u64>,
    /// `--shard I/N` of the run (from summary.json), when it was one of several.
    shard: Option<ShardRecord>,
}

fn read_run(dir: &Path) -> Result<Run, Failure> {
    let not_a_run = |e: String| {
        invalid(
            "input",
            format!(
                "`{}` is not a folder written by `stress run --out`: {e}",
                dir.display()
            ),
        )
    };
    let plans = read_plan_file(dir).map_err(not_a_run)?;
    let seeds = read_metrics_seeds(dir).map_err(not_a_run)?;
    // The interval logs listed in summary.json (optional: without them, the merged series
    // has no per-second percentiles and no logs are written).
    let summary = std::fs::read_to_string(dir.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let shard = match summary.as_ref().and_then(|v| v.get("shard")) {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<ShardRecord>(v.clone())
                .map_err(|e| not_a_run(format!("its summary.json has a bad `shard`: {e}")))?,
        ),
    }
    .filter(|s| s.count > 1);
    let hlogs = summary
        .and_then(|v| v.get("histograms").cloned())
        .and_then(|h| serde_json::from_value::<Vec<HlogEntry>>(h).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|h| HlogRef {
            test: h.test,
            scenario: h.scenario,
            step: h.step,
            path: h.path,
        })
        .collect();
    Ok(Run {
        dir: dir.to_path_buf(),
        plans,
        hlogs,
        seeds,
        shard,
    })
}

/// For runs of `stress run --shard I/N`: checks that they are one set — all shards, or none;
/// one N; every index once; one seed — and says which are missing. A missing shard is an error
/// unless `allow_partial`; a duplicated or mixed set always is.
fn check_shards(runs: &[Run], allow_partial: bool) -> Result<Option<ShardSet>, Failure> {
    let shards = |code: &str, m: String| invalid(code, m);
    let Some(first) = runs.iter().find(|r| r.shard.is_some()) else {
        return Ok(None);
    };
    let name = |r: &Run| match &r.shard {
        Some(s) => format!("`{}` (shard {}/{})", r.dir.display(), s.index, s.count),
        None => format!("`{}` (not a shard)", r.dir.display()),
    };
    let count = first.shard.as_ref().map_or(1, |s| s.count);
    let mut by_index: BTreeMap<u32, &Run> = BTreeMap::new();
    for run in runs {
        let Some(shard) = &run.shard else {
            return Err(shards(
                "shards",
                format!(
                    "cannot merge {} with {}: merge the folders of one sharded run, or runs that were not sharded",
                    name(run),
                    name(first)
                ),
            ));
        };
        if shard.count != count {
            return Err(shards(
                "shards",
                format!(
                    "cannot merge {} with {}: they split the load differently",
                    name(run),
                    name(first)
                ),
            ));
        }
        if let Some(other) = by_index.insert(shard.index, run) {
            return Err(shards(
                "shards",
                format!(
                    "{} and {} are the same shard: each of the {count} shards must be merged once (a folder given twice, or a shard run twice?)",
                    name(other),
                    name(run)
                ),
            ));
        }
    }
    let seeds_text = |seeds: &[u64]| {
        seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let seed_of = |r: &Run| -> Vec<u64> { r.seeds.clone() };
    let first_seeds = seed_of(first);
    if let Some(odd) = runs.iter().find(|r| {
        let seeds = seed_of(r);
        !seeds.is_empty() && !first_seeds.is_empty() && seeds != first_seeds
    }) {
        return Err(shards(
            "shards",
            format!(
                "{} ran with seed {} and {} with seed {}: the shards of one test share one seed, so that fault decisions and data are those of one run (pass the same `--seed` to every shard)",
                name(odd),
                seeds_text(&seed_of(odd)),
                name(first),
                seeds_text(&first_seeds)
            ),
        ));
    }
    let merged: Vec<u32> = by_index.keys().copied().collect();
    let missing: Vec<u32> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|i| format!("{i}/{count}"))
            .collect::<Vec<_>>()
            .join(", ");
        if !allow_partial {
            return Err(shards(
                "shards",
                format!(
                    "the set of {count} shards is incomplete: missing shard {list}; merge every shard's folder, or pass `--allow-partial` to merge the {} at hand",
                    merged.len()
                ),
            ));
        }
        eprintln!(
            "warning: merging {} of {count} shards (missing {list}): the numbers and the verdict cover only the shards merged",
            merged.len()
        );
    }
    let starts: Vec<jiff::Timestamp> = runs
        .iter()
        .filter_map(|r| r.shard.as_ref()?.started_at.as_deref()?.parse().ok())
        .collect();
    let start_spread_us = match (starts.iter().min(), starts.iter().max()) {
        (Some(lo), Some(hi)) => u64::try_from(hi.duration_since(*lo).as_micros()).ok(),
        _ => None,
    };
    if let Some(spread) = start_spread_us.filter(|us| *us > 1_000_000) {
        eprintln!(
            "warning: the shards started up to {:.1} s apart (use the same `--start-at` on every shard); time charts align each shard at its own start",
            spread as f64 / 1e6
        );
    }
    Ok(Some(ShardSet {
        count,
        merged,
        missing,
        start_spread_us,
    }))
}

#[derive(serde::Deserialize)]
struct HlogEntry {
    test: String,
    scenario: String,
    step: String,
    path: String,
}

/// What must be equal for two runs to merge: the plan, with the file named by its last
/// component (the same file may be named from different folders on different machines).
fn identity(entry: &PlanEntry) -> Value {
    let mut plan = entry.plan.clone();
    if let Some(obj) = plan.as_object_mut() {
        obj.insert("file".into(), Value::String(file_name(&entry.file)));
    }
    plan
}

fn file_name(file: &str) -> String {
    Path::new(file)
        .file_name()
        .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned())
}

/// `tests[0].slos[1].text: "p95(latency) < 500ms" vs "p95(latency) < 5ms"`
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    let short = |v: &Value| {
        let t = v.to_string();
        if t.chars().count() > 60 {
            t.chars().take(57).collect::<String>() + "..."
        } else {
            t
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match y.get(k) {
                    Some(vb) => {
                        if let Some(d) = first_difference(va, vb, &p) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{p}: only in the first")),
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}.{k}: only in the second"))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(va, vb, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}: {} items vs {}", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{path}: {} vs {}", short(a), short(b))),
    }
}

/// Checks that every run holds the same plans as the first; returns, per run, the index in
/// the first run's `files` of each of its files.
fn check_same_plans(runs: &[Run]) -> Result<Vec<Vec<usize>>, Failure> {
    let first = &runs[0];
    let ids: Vec<Value> = first.plans.files.iter().map(identity).collect();
    let mut maps = Vec::new();
    for run in runs {
        let mut map = Vec::new();
        for entry in &run.plans.files {
            let id = identity(entry);
            match ids.iter().position(|i| *i == id) {
                Some(i) => map.push(i),
                None => {
                    let same_name = first
                        .plans
                        .files
                        .iter()
                        .position(|f| file_name(&f.file) == file_name(&entry.file));
                    let why = match same_name {
                        Some(i) => format!(
                            "the plans of `{}` differ (the file or a `--set` changed between the runs); first difference: {}",
                            file_name(&entry.file),
                            first_difference(&ids[i], &id, "").unwrap_or_default()
                        ),
                        None => format!(
                            "`{}` ran `{}`, which `{}` did not run",
                            run.dir.display(),
                            entry.file,
                            first.dir.display()
                        ),
                    };
                    return Err(invalid(
                        "different_plans",
                        format!(
                            "cannot merge `{}` with `{}`: {why}",
                            run.dir.display(),
                            first.dir.display()
                        ),
                    ));
                }
            }
        }
        if map.len() != ids.len() {
            return Err(invalid(
                "different_plans",
                format!(
                    "cannot merge `{}` with `{}`: they ran different sets of files",
                    run.dir.display(),
                    first.dir.display()
                ),
            ));
        }
        maps.push(map);
    }
    Ok(maps)
}

/// The plan lowered again from the stored source; it must be the stored plan.
fn rebuild(entry: &PlanEntry, recorded_by: &str) -> Result<(Plan, SourceFile), Failure> {
    let file = SourceFile::new(entry.file.clone(), entry.source.clone());
    let lowered = crate::frontend::on_big_stack(|| crate::frontend::compile(&file, None).ok())
        .ok()
        .flatten()
        .map(|compiled| compiled.plan);
    let cannot = |why: &str| {
        invalid(
            "plan",
            format!(
                "cannot rebuild the plan of `{}` recorded by stress {recorded_by} with this stress ({}): {why}",
                entry.file,
                crate::artifacts::STRESS_VERSION
            ),
        )
    };
    let mut plan = lowered.ok_or_else(|| cannot("its source no longer checks"))?;
    // Data paths were resolved against the file's folder at run time; keep them as run.
    let stored_data = entry.plan.get("data").and_then(Value::as_array);
    for (i, d) in plan.data.iter_mut().enumerate() {
        if let Some(path) = stored_data
            .and_then(|a| a.get(i))
            .and_then(|v| v.get("path"))
            .and_then(Value::as_str)
        {
            d.path = path.to_string();
        }
    }
    let again: Value = serde_json::to_string(&plan)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    if again != entry.plan {
        let diff = first_difference(&entry.plan, &again, "").unwrap_or_default();
        return Err(cannot(&format!("it lowers differently ({diff})")));
    }
    Ok((plan, file))
}

/// One test, merged over the runs that ran it.
struct Merged {
    file: usize,
    test: usize,
    metrics: Metrics,
    seeds: Vec<u64>,
    interrupted: bool,
    /// (run index, its series) in merge order.
    parts: Vec<(usize, Vec<ScenarioSeries>)>,
    /// What each machine's services did, apart (a service belongs to one machine).
    services: Vec<ServiceData>,
}

fn merge_inner(ui: &Ui, args: &MergeArgs) -> Result<Exit, Failure> {
    let runs: Vec<Run> = args
        .dirs
        .iter()
        .map(|d| read_run(d))
        .collect::<Result<_, _>>()?;
    let maps = check_same_plans(&runs)?;
    let shard_set = check_shards(&runs, args.allow_partial)?;
    let first = &runs[0];
    let plans: Vec<(Plan, SourceFile)> = first
        .plans
        .files
        .iter()
        .map(|e| rebuild(e, &first.plans.stress_version))
        .collect::<Result<_, _>>()?;
    let mut merged: Vec<Merged> = Vec::new();
    for (ri, run) in runs.iter().enumerate() {
        let file = read_metrics_file(&run.dir).map_err(|e| {
            invalid(
                "input",
                format!(
                    "`{}` is not a folder written by `stress run --out`: {e}",
                    run.dir.display()
                ),
            )
        })?;
        for stored in file.tests {
            let Some(fi) = run
                .plans
                .files
                .iter()
                .position(|f| f.file == stored.file)
                .map(|i| maps[ri][i])
            else {
                return Err(invalid(
                    "input",
                    format!(
                        "`{}`: metrics.json names file `{}`, which plan.json does not hold",
                        run.dir.display(),
                        stored.file
                    ),
                ));
            };
            let plan = &plans[fi].0;
            let Some(ti) = plan.tests.iter().position(|t| t.name == stored.test) else {
                return Err(invalid(
                    "input",
                    format!(
                        "`{}`: no test `{}` in `{}`",
                        run.dir.display(),
                        stored.test,
                        stored.file
                    ),
                ));
            };
            let StoredTest {
                metrics: stored_metrics,
                series,
                seeds,
                interrupted,
                services,
                ..
            } = stored;
            let services = services.into_iter().map(|mut data| {
                if data.machine.is_none() {
                    data.machine = Some(match &run.shard {
                        Some(s) => format!("shard-{}", s.index),
                        None => format!("run-{}", ri + 1),
                    });
                    data.shard = run.shard.as_ref().map(|s| s.index);
                }
                data
            });
            let metrics = Metrics::from_stored(plan, ti, stored_metrics)
                .map_err(|e| invalid("input", format!("`{}`: {e}", run.dir.display())))?;
            match merged.iter_mut().find(|m| m.file == fi && m.test == ti) {
                Some(m) => {
                    m.metrics.merge(&metrics).map_err(|e| {
                        invalid("different_plans", format!("`{}`: {e}", run.dir.display()))
                    })?;
                    m.seeds.extend(&seeds);
                    m.interrupted |= interrupted;
                    m.parts.push((ri, series));
                    m.services.extend(services);
                }
                None => merged.push(Merged {
                    file: fi,
                    test: ti,
                    metrics,
                    seeds,
                    interrupted,
                    parts: vec![(ri, series)],
                    services: services.collect(),
                }),
            }
        }
    }
    if merged.is_empty() {
        return Err(invalid(
            "input",
            "the runs hold no test results (did every run fail to start?)".into(),
        ));
    }
    let hlog_out = args.out.as_deref();
    if let Some(out) = hlog_out {
        crate::artifacts::files::prepare_out(out).map_err(|reason| Failure {
            code: Exit::CouldNotRun,
            message: format!(
                "error[stress::merge::out]: cannot write to `{}`: {reason}",
                out.display()
            ),
        })?;
    }
    let mut code = Exit::Passed;
    let mut text = String::new();
    let mut tests = Vec::new();
    let mut hlogs = Vec::new();
    let mut write_errors = Vec::new();
    for mut m in merged {
        let (plan, source) = &plans[m.file];
        let verdict = judge(plan, m.test, &mut m.metrics, &m.services);
        let mut report = crate::report::build(
            plan,
            m.test,
            &m.metrics,
            &verdict,
            m.seeds.first().copied().unwrap_or(0),
            m.interrupted,
        );
        report.merged_from = Some(MergedFrom {
            runs: m.seeds.len(),
            seeds: m.seeds.clone(),
        });
        if m.interrupted {
            eprintln!(
                "warning: test `{}`: at least one merged run was interrupted; the numbers cover what ran",
                report.test
            );
        }
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(
            stdout,
            "{}",
            crate::report::render_text(&report, ui.color())
        );
        drop(stdout);
        let violations: Vec<Problem> = verdict.violations().into_iter().map(Problem::Slo).collect();
        if !violations.is_empty() {
            ui.problems(Some(source), &violations);
        }
        if !verdict.passed {
            code = code.worst(Exit::Failed);
        }
        text.push_str(&crate::report::render_text(&report, false));
        for data in &m.services {
            let services = crate::service::render_text(data, &m.metrics.timeline);
            print!("{services}");
            text.push_str(&services);
        }
        let hist = match hlog_out {
            Some(out) => merge_hlogs(out, &runs, &m.parts, &report.test, &mut write_errors),
            None => MergedHlogs::default(),
        };
        hlogs.extend(hist.written);
        let series = merge_series(&m.parts, &hist.per_second);
        tests.push(TestArtifacts {
            record: TestRecord {
                file: plan.file.clone(),
                report,
                series,
                services: m.services.clone(),
            },
            seeds: m.seeds,
            metrics: m.metrics.to_stored(),
            // A service belongs to one machine: listed per shard, never added up.
            services: m
                .services
                .iter()
                .flat_map(|d| crate::service::summarize(d, &m.metrics.timeline))
                .collect(),
            scrapes: m
                .services
                .iter()
                .flat_map(|d| {
                    crate::service::summarize_scrapes(d, &crate::service::slo_series(plan, m.test))
                })
                .collect(),
        });
    }
    if let Some(out) = &args.out {
        let info = RunInfo {
            kind: "merge",
            started_at: None,
            finished_at: Some(crate::artifacts::rfc3339_us(SystemTime::now())),
            merged_from: runs.iter().map(|r| r.dir.display().to_string()).collect(),
            shard: None,
            shards: shard_set.clone(),
        };
        let entries: Vec<PlanEntry> = first.plans.files.clone();
        match write_all(out, &info, &entries, &tests, &hlogs, &text) {
            Ok(markdown) => {
                if let Some(Err(e)) = crate::artifacts::files::append_step_summary(&markdown) {
                    eprintln!("warning: GITHUB_STEP_SUMMARY: {e}");
                }
            }
            Err(e) => write_errors.push(e),
        }
    }
    for e in &write_errors {
        eprintln!("error[stress::merge::out]: {e}");
    }
    if !write_errors.is_empty() {
        code = code.worst(Exit::CouldNotRun);
    }
    Ok(code)
}

/// Whether an SLO reads a service or a scraped series (judged per machine in a merge).
fn reads_services(e: &SloExpr) -> bool {
    match e {
        SloExpr::Metric { metric, .. } => matches!(
            metric,
            Metric::MemoryGrowth { .. }
                | Metric::MaxRss { .. }
                | Metric::Cpu { .. }
                | Metric::Service { .. }
                | Metric::Scraped { .. }
        ),
        SloExpr::Mul(a, b) | SloExpr::Div(a, b) | SloExpr::Add(a, b) | SloExpr::Sub(a, b) => {
            reads_services(a) || reads_services(b)
        }
        _ => false,
    }
}

/// The merged verdict. An SLO over load metrics is judged on the merged metrics. An SLO that
/// reads a service (or a scraped series) is judged on each machine's services apart, with
/// the merged load metrics beside them: it holds when it holds on every machine; the result
/// shown is the first machine where it did not hold, else the one closest to its bound, and
/// names the machine. With no machine's services (folders of an older version), it is
/// judged like the rest: no data.
fn judge(
    plan: &Plan,
    test: usize,
    metrics: &mut Metrics,
    services: &[ServiceData],
) -> crate::slo::Verdict {
    use crate::slo::{AssertionKind, SloResult};
    metrics.services = ServiceData::default();
    let mut verdict = crate::slo::evaluate(plan, test, metrics);
    let t = &plan.tests[test];
    let per_machine = |r: &SloResult| {
        r.kind == AssertionKind::Slo
            && t.slos
                .get(r.slo)
                .is_some_and(|s| reads_services(&s.lhs) || reads_services(&s.rhs))
    };
    if services.is_empty() || !verdict.results.iter().any(per_machine) {
        return verdict;
    }
    let each: Vec<(String, crate::slo::Verdict)> = services
        .iter()
        .map(|data| {
            metrics.services = data.clone();
            let v = crate::slo::evaluate(plan, test, metrics);
            (data.machine.clone().unwrap_or_default(), v)
        })
        .collect();
    metrics.services = ServiceData::default();
    let n = each.len();
    for (i, result) in verdict.results.iter_mut().enumerate() {
        if !per_machine(result) {
            continue;
        }
        let candidates: Vec<(&str, &SloResult)> = each
            .iter()
            .filter_map(|(machine, v)| {
                v.results
                    .get(i)
                    .filter(|r| r.slo == result.slo && r.scenario == result.scenario)
                    .map(|r| (machine.as_str(), r))
            })
            .collect();
        let failed = candidates.iter().filter(|(_, r)| !r.passed()).count();
        let shown = candidates.iter().find(|(_, r)| !r.passed()).or_else(|| {
            // Closest to the bound: the largest left side for `<`, the smallest for `>`.
            candidates.iter().max_by(|(_, a), (_, b)| {
                let (x, y) = match a.op {
                    CmpOp::Gt | CmpOp::Ge => (b.measured, a.measured),
                    _ => (a.measured, b.measured),
                };
                x.total_cmp(&y)
            })
        });
        let Some((machine, chosen)) = shown else {
            continue;
        };
        let note = if failed > 0 {
            format!(
                "on {machine}: did not hold on {failed} of {n} machines (a service SLO is judged on each machine)"
            )
        } else {
            format!("held on each of {n} machines; closest to its bound on {machine}")
        };
        *result = (*chosen).clone();
        result.message = Some(match &chosen.message {
            Some(m) => format!("{note}; {m}"),
            None => note,
        });
    }
    verdict.passed = verdict.results.iter().all(SloResult::passed);
    verdict
}

#[derive(Default)]
struct MergedHlogs {
    written: Vec<HlogRef>,
    /// Per scenario name, per second: p50, p90, p99 of every step's latency of every run.
    per_second: BTreeMap<String, BTreeMap<u64, [u64; 3]>>,
}

/// One run's interval log of one step, read line by line.
struct LogSource {
    key: usize,
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    base: Option<Duration>,
    path: PathBuf,
}

impl LogSource {
    /// The next interval: (second since this log's BaseTime, histogram).
    fn next(&mut self) -> Option<(u64, Histogram)> {
        loop {
            let line = match self.lines.next()? {
                Ok(l) => l + "\n",
                Err(e) => {
                    eprintln!("warning: `{}`: {e}", self.path.display());
                    return None;
                }
            };
            match crate::metrics::read_interval_log(line.as_bytes()) {
                Ok(log) => {
                    if let Some(b) = log.base_time {
                        self.base.get_or_insert(b);
                    }
                    if let Some(i) = log.intervals.into_iter().next() {
                        return Some((i.start.as_secs(), i.histogram));
                    }
                }
                Err(e) => {
                    eprintln!(
                        "warning: `{}`: {e}; its remaining seconds are left out of the merged interval log",
                        self.path.display()
                    );
                    return None;
                }
            }
        }
    }
}

/// Adds up each step's interval logs over the runs, second by second (offsets from each
/// run's scenario start), streaming: every log is read once, all advanced together, and each
/// second is written as soon as every log has passed it.
fn merge_hlogs(
    out: &Path,
    runs: &[Run],
    parts: &[(usize, Vec<ScenarioSeries>)],
    test: &str,
    errors: &mut Vec<String>,
) -> MergedHlogs {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::io::BufRead as _;
    let mut result = MergedHlogs::default();
    // (scenario, step) → the first run's log path
    let mut keys: Vec<(String, String, String)> = Vec::new();
    let mut sources: Vec<LogSource> = Vec::new();
    for (ri, _) in parts {
        let run = &runs[*ri];
        for h in run.hlogs.iter().filter(|h| h.test == test) {
            let key = match keys
                .iter()
                .position(|(sc, st, _)| *sc == h.scenario && *st == h.step)
            {
                Some(k) => k,
                None => {
                    keys.push((h.scenario.clone(), h.step.clone(), h.path.clone()));
                    keys.len() - 1
                }
            };
            let path = run.dir.join(&h.path);
            match std::fs::File::open(&path) {
                Ok(f) => sources.push(LogSource {
                    key,
                    lines: std::io::BufReader::new(f).lines(),
                    base: None,
                    path,
                }),
                Err(e) => eprintln!(
                    "warning: `{}`: {e}; its seconds are left out of the merged interval log",
                    path.display()
                ),
            }
        }
    }
    let mut pending: Vec<Option<Histogram>> = Vec::with_capacity(sources.len());
    let mut heap = BinaryHeap::new();
    for (i, s) in sources.iter_mut().enumerate() {
        match s.next() {
            Some((t, h)) => {
                heap.push(Reverse((t, i)));
                pending.push(Some(h));
            }
            None => pending.push(None),
        }
    }
    // Every header has been read: the earliest BaseTime per step.
    let mut writers: Vec<Option<IntervalLogWriter<std::io::BufWriter<std::fs::File>>>> = Vec::new();
    for (k, (scenario, step, rel)) in keys.iter().enumerate() {
        let base = sources
            .iter()
            .filter(|s| s.key == k)
            .filter_map(|s| s.base)
            .min();
        let path = out.join(rel);
        let start = SystemTime::UNIX_EPOCH + base.unwrap_or_default();
        let comments = [
            format!(
                "stress {}: merge of {} run folders: test \"{test}\", scenario \"{scenario}\", step \"{step}\"",
                crate::artifacts::STRESS_VERSION,
                parts.len()
            ),
            "latency from the intended start in microseconds; one interval per second since each run's scenario start (BaseTime: the earliest run's)".to_string(),
        ];
        let writer = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::File::create(&path))
            .and_then(|f| {
                IntervalLogWriter::begin(
                    std::io::BufWriter::new(f),
                    start,
                    &crate::artifacts::rfc3339_us(start),
                    &comments,
                )
            });
        match writer {
            Ok(w) => writers.push(Some(w)),
            Err(e) => {
                errors.push(format!("cannot write `{}`: {e}", path.display()));
                writers.push(None);
            }
        }
    }
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    let mut failed: Vec<Option<String>> = vec![None; keys.len()];
    while let Some(Reverse((t, _))) = heap.peek().copied() {
        let mut steps: BTreeMap<usize, Histogram> = BTreeMap::new();
        while let Some(Reverse((u, i))) = heap.peek().copied() {
            if u != t {
                break;
            }
            heap.pop();
            if let Some(h) = pending[i].take() {
                steps.entry(sources[i].key).or_default().merge(&h);
            }
            if let Some((u, h)) = sources[i].next() {
                pending[i] = Some(h);
                heap.push(Reverse((u, i)));
            }
        }
        let mut scenarios: BTreeMap<&str, Histogram> = BTreeMap::new();
        for (k, h) in &steps {
            if let Some(w) = writers[*k].as_mut() {
                if let Err(e) = w.interval(h, Duration::from_secs(t), Duration::from_secs(1), None)
                {
                    failed[*k].get_or_insert(e.to_string());
                }
            }
            scenarios.entry(keys[*k].0.as_str()).or_default().merge(h);
        }
        for (scenario, h) in scenarios {
            // A second seen again (a late interval) keeps its first percentiles.
            let seen = last.get(scenario).is_some_and(|l| t <= *l);
            if !seen && !h.is_empty() {
                last.insert(scenario.to_string(), t);
                let q = |q: f64| h.percentile(q).unwrap_or(0);
                result
                    .per_second
                    .entry(scenario.to_string())
                    .or_default()
                    .insert(t, [q(0.5), q(0.9), q(0.99)]);
            }
        }
    }
    for (k, w) in writers.iter_mut().enumerate() {
        let Some(w) = w else { continue };
        let (scenario, step, rel) = &keys[k];
        match failed[k]
            .take()
            .map_or_else(|| w.flush().map_err(|e| e.to_string()), Err)
        {
            Ok(()) => result.written.push(HlogRef {
                test: test.to_string(),
                scenario: scenario.clone(),
                step: step.clone(),
                path: rel.clone(),
            }),
            Err(e) => errors.push(format!("cannot write `{}`: {e}", out.join(rel).display())),
        }
    }
    result
}

/// Series of the merged runs: counts added per second; percentiles from the merged interval
/// logs (without them, the highest of the runs' values); phases of the first run.
fn merge_series(
    parts: &[(usize, Vec<ScenarioSeries>)],
    per_second: &BTreeMap<String, BTreeMap<u64, [u64; 3]>>,
) -> Vec<ScenarioSeries> {
    let mut out: Vec<ScenarioSeries> = Vec::new();
    for (_, series) in parts {
        for s in series {
            let i = match out.iter().position(|o| o.scenario == s.scenario) {
                Some(i) => i,
                None => {
                    out.push(ScenarioSeries {
                        scenario: s.scenario.clone(),
                        started_at: None,
                        points: vec![],
                        phases: s.phases.clone(),
                    });
                    out.len() - 1
                }
            };
            let points = &mut out[i].points;
            for p in &s.points {
                while points.len() as u64 <= p.t_s {
                    let t_s = points.len() as u64;
                    points.push(SeriesPoint {
                        t_s,
                        ..SeriesPoint::default()
                    });
                }
                let q = &mut points[p.t_s as usize];
                q.requests += p.requests;
                q.errors += p.errors;
                q.max_us = q.max_us.max(p.max_us);
                q.p50_us = q.p50_us.max(p.p50_us);
                q.p90_us = q.p90_us.max(p.p90_us);
                q.p99_us = q.p99_us.max(p.p99_us);
                // Shards run at once on their own machines: their VUs add up; a lag is the
                // worst shard's (no interval log of lags to merge exactly).
                q.users += p.users;
                for (a, b) in q.classes.iter_mut().zip(p.classes) {
                    *a += b;
                }
                q.lag_p99_us = q.lag_p99_us.max(p.lag_p99_us);
                q.lag_max_us = q.lag_max_us.max(p.lag_max_us);
            }
        }
    }
    for s in &mut out {
        if let Some(seconds) = per_second.get(&s.scenario) {
            for p in &mut s.points {
                if let Some([p50, p90, p99]) = seconds.get(&p.t_s) {
                    (p.p50_us, p.p90_us, p.p99_us) = (*p50, *p90, *p99);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::testkit::*;
    use crate::metrics::{Collector, StoredMetrics};
    use crate::plan::{CmpOp, Quantity, Unit};

    /// 400 attempts and iterations over 4 s with two latency modes and some failures.
    fn samples() -> Vec<(crate::metrics::Attempt, crate::metrics::Iteration)> {
        (0..400u64)
            .map(|i| {
                let latency = if i % 7 == 0 {
                    900 * MS
                } else {
                    (20 + i % 50) * MS
                };
                let mut a = attempt(0, (i % 2) as usize, i * 10 * MS, latency);
                a.failed = i % 13 == 0;
                a.status = Some(if a.failed { 500 } else { 200 });
                let mut it = iteration(0, i * 10 * MS, latency + MS);
                it.retries = (i % 3) as u32;
                (a, it)
            })
            .collect()
    }

    fn through_json(m: &Metrics) -> StoredMetrics {
        serde_json::from_str(&serde_json::to_string(&m.to_stored()).unwrap()).unwrap()
    }

    #[test]
    fn merging_two_halves_reports_like_one_run_over_the_same_samples() {
        let mut p = plan(&["baseline"], vec![hold(4, Some(0))], &["steady"]);
        let mut every = slo(
            "p95(latency) < 500ms in every 1s",
            p95(Quantity::Latency),
            CmpOp::Lt,
            konst(500_000.0, Unit::Duration),
        );
        every.every = Some(crate::units::Duration(S));
        p.tests[0].slos = vec![
            slo(
                "p95(latency) < 1s",
                p95(Quantity::Latency),
                CmpOp::Lt,
                konst(1_000_000.0, Unit::Duration),
            ),
            every,
        ];
        let (mut whole, mut a, mut b) = (
            Collector::new(&p, 0),
            Collector::new(&p, 0),
            Collector::new(&p, 0),
        );
        for (i, (att, it)) in samples().into_iter().enumerate() {
            whole.attempt(att.clone());
            whole.iteration(it.clone());
            // Interleaved, as two shards running at the same time would be.
            let half = if i % 3 == 0 { &mut a } else { &mut b };
            half.attempt(att);
            half.iteration(it);
        }
        let whole = whole.finish();
        let mut merged = Metrics::from_stored(&p, 0, through_json(&a.finish())).unwrap();
        merged
            .merge(&Metrics::from_stored(&p, 0, through_json(&b.finish())).unwrap())
            .unwrap();
        let report = |m: &Metrics| {
            let verdict = crate::slo::evaluate(&p, 0, m);
            crate::report::build(&p, 0, m, &verdict, 1, false)
        };
        let (one, two) = (report(&whole), report(&merged));
        assert_eq!(one, two);
        let latency = &one.scenarios[0].steps[0].latency.as_ref().unwrap();
        assert_eq!(latency.count, 200);
        assert_eq!(one.slos.len(), 2);
        assert_eq!(
            crate::report::render_text(&one, false),
            crate::report::render_text(&two, false)
        );
    }

    #[test]
    fn differences_are_named_by_their_path() {
        let a: Value = serde_json::json!({"tests": [{"slos": [{"text": "a"}, {"text": "b"}]}]});
        let b: Value = serde_json::json!({"tests": [{"slos": [{"text": "a"}, {"text": "c"}]}]});
        assert_eq!(
            first_difference(&a, &b, "").as_deref(),
            Some("tests[0].slos[1].text: \"b\" vs \"c\"")
        );
        assert_eq!(first_difference(&a, &a, ""), None);
    }

    #[test]
    fn merged_series_add_counts_and_take_percentiles_from_the_logs() {
        let point = |t_s, requests, p50_us| SeriesPoint {
            t_s,
            requests,
            errors: 1,
            p50_us,
            p90_us: p50_us,
            p99_us: p50_us,
            max_us: p50_us,
            ..SeriesPoint::default()
        };
        let stored = |points: Vec<SeriesPoint>| {
            vec![ScenarioSeries {
                scenario: "s".into(),
                started_at: Some("x".into()),
                points,
                phases: vec![],
            }]
        };
        let parts = vec![
            (0, stored(vec![point(0, 2, 10), point(1, 3, 20)])),
            (1, stored(vec![point(0, 1, 30)])),
        ];
        let mut h = Histogram::new();
        for v in [1000, 2000, 3000] {
            h.record(v);
        }
        let q = |q: f64| h.percentile(q).unwrap();
        let per_second = BTreeMap::from([(
            "s".to_string(),
            BTreeMap::from([(0, [q(0.5), q(0.9), q(0.99)])]),
        )]);
        let series = merge_series(&parts, &per_second);
        assert_eq!(series.len(), 1);
        let p = &series[0].points;
        assert_eq!((p[0].requests, p[0].errors, p[0].max_us), (3, 2, 30));
        assert_eq!(p[0].p50_us, h.percentile(0.5).unwrap());
        assert_eq!((p[1].requests, p[1].p50_us), (3, 20));
        assert_eq!(series[0].started_at, None);
    }
}
