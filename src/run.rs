//! `stress run`: front end → mocks on loopback → engine → metrics → SLO verdicts → report.
//! Exit codes: 0 every SLO held · 1 an SLO failed · 2 invalid file (nothing ran) · 3 could not
//! run · 130 interrupted (the partial report is still printed).
//!
//! With `--out DIR`, attempts are streamed to `requests.jsonl` and the interval logs while the
//! load runs (see `crate::artifacts::stream`), and the other artifacts are written at the end,
//! also after Ctrl-C. An output that cannot be written is exit 3: before any load when DIR
//! itself is not writable, after the run (reports still printed) when a later write fails.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::artifacts::files::{PlanEntry, TestArtifacts};
use crate::artifacts::model::TestRecord;
use crate::artifacts::stream::{HlogRef, RequestLog, TestStream};
use crate::artifacts::summary::RunInfo;

use crate::args::{RunArgs, RunFormat};
use crate::diag::Problem;
use crate::engine::{self, RunOptions, Sink};
use crate::exit::Exit;
use crate::frontend::load;
use crate::metrics::{Attempt, Collector, Iteration};
use crate::plan::{Plan, TargetKind};
use crate::source::SourceFile;
use crate::ui::{Ui, say};

/// Runs every test of every file; returns the exit code.
pub(crate) fn run(ui: &Ui, args: &RunArgs) -> Exit {
    crate::secrets::install(&args.set);
    let mut launch = match Launch::from_args(args) {
        Ok(launch) => launch,
        Err(message) => {
            eprintln!("error[stress::run::shard]: {message}");
            return Exit::Invalid;
        }
    };
    if args.tui {
        if let Some(why) = crate::progress::tui_unavailable() {
            eprintln!(
                "error[stress::run::tui]: --tui needs a terminal: {why}\n  = help: run it in a terminal, or drop --tui (progress is then printed as plain lines)"
            );
            return Exit::Invalid;
        }
    }
    let mut files = Vec::new();
    for path in &args.files {
        let result = load(path, &args.set);
        ui.problems(result.file.as_ref(), &result.problems);
        match (result.plan, result.file) {
            (Some(plan), Some(file)) if !result.failed => files.push((path.clone(), file, plan)),
            _ => {
                eprintln!("error: {}: invalid, nothing was run", path.display());
                return Exit::Invalid;
            }
        }
    }
    let mut selected = Vec::new();
    for (path, file, plan) in &files {
        let tests: Vec<usize> = match &args.test {
            Some(name) => plan
                .tests
                .iter()
                .position(|t| &t.name == name)
                .into_iter()
                .collect(),
            None => (0..plan.tests.len()).collect(),
        };
        // `--scenario NAME` runs the tests that have it.
        let tests: Vec<usize> = match &args.scenario {
            Some(name) => tests
                .into_iter()
                .filter(|&t| plan.tests[t].scenarios.iter().any(|s| &s.name == name))
                .collect(),
            None => tests,
        };
        selected.push((path, file, plan, tests));
    }
    if let Some(name) = &args.test {
        if selected.iter().all(|(_, _, _, tests)| tests.is_empty()) {
            let names: Vec<&str> = files
                .iter()
                .flat_map(|(_, _, p)| p.tests.iter().map(|t| t.name.as_str()))
                .collect();
            let hint = crate::suggest::did_you_mean(name, names.iter().copied()).map_or_else(
                || format!("tests: {}", names.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            eprintln!("error: no test named `{name}`\n  = help: {hint}");
            return Exit::Invalid;
        }
    }
    if let Some(name) = &args.scenario {
        if selected.iter().all(|(_, _, _, tests)| tests.is_empty()) {
            let mut names: Vec<&str> = files
                .iter()
                .flat_map(|(_, _, p)| p.tests.iter())
                .filter(|t| args.test.as_ref().is_none_or(|wanted| &t.name == wanted))
                .flat_map(|t| t.scenarios.iter().map(|s| s.name.as_str()))
                .collect();
            names.sort_unstable();
            names.dedup();
            let hint = crate::suggest::did_you_mean(name, names.iter().copied()).map_or_else(
                || format!("scenarios: {}", names.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            eprintln!("error: no scenario named `{name}`\n  = help: {hint}");
            return Exit::Invalid;
        }
    }
    for (path, _, plan, tests) in &selected {
        for &test in tests {
            let (need, users) =
                crate::fdlimit::needed(plan, test, (launch.shard.index, launch.shard.count));
            if let Err(limit) = crate::fdlimit::ensure(need) {
                eprintln!(
                    "error[stress::run::fd_limit]: {}: test `{}` {}declares {users} users, which needs up to {need} open files, but this process may open only {limit} (RLIMIT_NOFILE, hard limit included)\n  = help: raise the limit (`ulimit -n {need}`, or the hard limit in limits.conf / `docker run --ulimit nofile={need}`), or declare fewer users",
                    path.display(),
                    plan.tests[test].name,
                    launch
                        .label()
                        .replace(": ", " ")
                        .replace("shard", "on shard"),
                );
                return Exit::CouldNotRun;
            }
        }
    }
    let started_at = SystemTime::now();
    // `--format json` without `--out`: the artifacts go to a private folder, removed once its
    // summary.json is printed.
    let scratch = (args.format == RunFormat::Json && args.out.is_none()).then(|| {
        let nanos = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        std::env::temp_dir().join(format!("stress-run-{}-{nanos}", std::process::id()))
    });
    let mut out = match args.out.as_ref().or(scratch.as_ref()) {
        Some(dir) => {
            match crate::artifacts::files::prepare_out(dir)
                .and_then(|()| RequestLog::create(&dir.join("requests.jsonl")))
            {
                Ok(log) => Some(Out {
                    dir: dir.clone(),
                    log,
                    test_dirs: BTreeSet::new(),
                }),
                Err(reason) => {
                    eprintln!(
                        "error[stress::run::out]: cannot write to `{}`: {reason}",
                        dir.display()
                    );
                    return Exit::CouldNotRun;
                }
            }
        }
        None => None,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return Exit::CouldNotRun;
        }
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let stopped = crate::signals::install(&runtime, cancel.clone());
    let mut code = Exit::Passed;
    let mut reports = String::new();
    let mut written = Vec::new();
    let mut hlogs = Vec::new();
    let mut write_errors = Vec::new();
    let plans: Vec<PlanEntry> = selected
        .iter()
        .filter(|(_, _, _, tests)| !tests.is_empty())
        .map(|(_, file, plan, _)| PlanEntry::new(plan, &file.text))
        .collect();
    'files: for (path, file, plan, tests) in selected {
        for test in tests {
            let stream = out.as_mut().map(|o| {
                let name = o.test_dir(&plan.tests[test].name);
                let stream = TestStream::new(plan, test, Some((&o.dir, &name)));
                (stream, &mut o.log)
            });
            let outcome = runtime.block_on(run_test(
                ui,
                path,
                file,
                plan,
                test,
                args,
                &mut launch,
                cancel.clone(),
                stream,
            ));
            reports.push_str(&outcome.report);
            written.extend(outcome.artifacts);
            hlogs.extend(outcome.hlogs);
            write_errors.extend(outcome.write_error);
            code = code.worst(outcome.code);
            if code.is_stop() {
                break 'files;
            }
        }
    }
    if let Some(mut out) = out {
        write_errors.extend(out.log.flush().err());
        let info = RunInfo {
            kind: "run",
            started_at: Some(crate::artifacts::rfc3339_us(started_at)),
            finished_at: Some(crate::artifacts::rfc3339_us(SystemTime::now())),
            merged_from: vec![],
            shard: launch.record(),
            shards: None,
        };
        match crate::artifacts::files::write_all(
            &out.dir, &info, &plans, &written, &hlogs, &reports,
        ) {
            Ok(markdown) => {
                if let Some(Err(e)) = crate::artifacts::files::append_step_summary(&markdown) {
                    eprintln!("warning: GITHUB_STEP_SUMMARY: {e}");
                }
            }
            Err(e) => write_errors.push(e),
        }
        for e in &write_errors {
            eprintln!("error[stress::run::out]: {e}");
        }
        if args.format == RunFormat::Json {
            match std::fs::read_to_string(out.dir.join("summary.json")) {
                Ok(summary) => say(format_args!("{summary}")),
                Err(e) => {
                    eprintln!("error[stress::run::out]: cannot read back summary.json: {e}");
                    code = code.worst(Exit::CouldNotRun);
                }
            }
        }
        if let Some(dir) = &scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
        if !write_errors.is_empty() {
            code = code.worst(Exit::CouldNotRun);
        }
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    // An interrupted run exits with the code of the signal that stopped it (130 or 143).
    match (code, stopped.exit()) {
        (Exit::Interrupted, Some(signal)) => signal,
        _ => code,
    }
}

/// Which shard this process runs and when its load starts (`--shard`, `--start-at`).
struct Launch {
    shard: engine::Shard,
    start_at: Option<jiff::Timestamp>,
    /// When the first test's load started (wall clock).
    started: Option<jiff::Timestamp>,
}

impl Launch {
    fn from_args(args: &RunArgs) -> Result<Launch, String> {
        Ok(Launch {
            shard: args.shard()?,
            start_at: args.start_at()?,
            started: None,
        })
    }

    /// Waits for `--start-at` (only before the first test's load); false when cancelled.
    async fn wait(&mut self, cancel: &tokio_util::sync::CancellationToken) -> bool {
        if self.started.is_some() {
            return true;
        }
        if let Some(at) = self.start_at {
            let now = jiff::Timestamp::now();
            let ahead = std::time::Duration::try_from(at.duration_since(now)).unwrap_or_default();
            if !ahead.is_zero() {
                eprintln!(
                    "{}waiting until {at} ({:.1} s) to start the load…",
                    self.label(),
                    ahead.as_secs_f64()
                );
                tokio::select! {
                    _ = tokio::time::sleep(ahead) => {}
                    _ = cancel.cancelled() => return false,
                }
            }
        }
        let started = jiff::Timestamp::now();
        if let Some(at) = self.start_at {
            let late = started.duration_since(at);
            if late.as_secs_f64() > 1.0 {
                eprintln!(
                    "warning: {}the load started {:.1} s after --start-at {at}; this shard's clock is offset from the others' by that much",
                    self.label(),
                    late.as_secs_f64()
                );
            }
        }
        self.started = Some(started);
        true
    }

    /// `shard 1/4: ` (empty for a whole run).
    fn label(&self) -> String {
        if self.shard.is_whole() {
            String::new()
        } else {
            format!("shard {}: ", self.shard)
        }
    }

    /// What `summary.json` records of a shard.
    fn record(&self) -> Option<crate::artifacts::summary::ShardRecord> {
        if self.shard.is_whole() && self.start_at.is_none() {
            return None;
        }
        let rfc = |t: jiff::Timestamp| t.to_string();
        Some(crate::artifacts::summary::ShardRecord {
            index: self.shard.index,
            count: self.shard.count,
            start_at: self.start_at.map(rfc),
            started_at: self.started.map(rfc),
            start_offset_us: self.start_at.zip(self.started).map(|(at, started)| {
                let d = started.duration_since(at);
                i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
            }),
        })
    }
}

/// The output folder of a run with `--out`.
struct Out {
    dir: PathBuf,
    log: RequestLog,
    /// Folder names under `histograms/` given so far (one per test).
    test_dirs: BTreeSet<String>,
}

impl Out {
    /// A folder name under `histograms/` for a test, unique in this run.
    fn test_dir(&mut self, test: &str) -> String {
        let base = crate::paths::path_component(test);
        let mut name = base.clone();
        let mut k = 2;
        while self.test_dirs.contains(&name) {
            name = format!("{base}-{k}");
            k += 1;
        }
        self.test_dirs.insert(name.clone());
        name
    }
}

#[derive(Default)]
struct TestOutcome {
    code: Exit,
    report: String,
    artifacts: Option<TestArtifacts>,
    hlogs: Vec<HlogRef>,
    write_error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn run_test(
    ui: &Ui,
    path: &Path,
    file: &SourceFile,
    plan: &Plan,
    test: usize,
    args: &RunArgs,
    launch: &mut Launch,
    cancel: tokio_util::sync::CancellationToken,
    stream: Option<(TestStream, &mut RequestLog)>,
) -> TestOutcome {
    let t = &plan.tests[test];
    let seed = args.seed.or(t.seed).unwrap_or(0);
    let mut mocks = Vec::new();
    let mut target_urls = HashMap::new();
    for target in &plan.targets {
        if let TargetKind::Mock(spec) = &target.kind {
            let config = crate::mock::MockConfig {
                api: if spec.api == "anthropic" {
                    crate::mock::MockApi::Anthropic
                } else {
                    crate::mock::MockApi::OpenAi
                },
                latency_us: (spec.latency.0.as_micros(), spec.latency.1.as_micros()),
                tokens: spec.tokens,
                capacity: spec.capacity,
                cache: spec.cache,
                seed,
            };
            match crate::mock::start(config, ([127, 0, 0, 1], 0).into()).await {
                Ok(server) => {
                    target_urls.insert(target.name.clone(), server.url());
                    mocks.push(server);
                }
                Err(e) => {
                    let reason = format!("cannot start mock `{}`: {e}", target.name);
                    eprintln!("error[stress::run::mock]: {reason}");
                    let metrics = Collector::new(plan, test).finish();
                    let streamed = stream.map(|(stream, _)| stream.finish());
                    let reason = format!("stress::run::mock: {reason}");
                    return could_not_run(path, plan, test, seed, &metrics, streamed, reason);
                }
            }
        }
    }
    // Proxies listen before the load (and before services that call through them).
    let proxies = match crate::proxy::Proxies::start(plan, test, &target_urls).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error[stress::run::proxy]: {e}");
            for mock in mocks {
                mock.shutdown().await;
            }
            return TestOutcome {
                code: Exit::CouldNotRun,
                ..TestOutcome::default()
            };
        }
    };
    // Services start after proxies and before the load; a service that exits by itself
    // cancels `load_cancel` (the load stops, the test fails).
    let load_cancel = cancel.child_token();
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let services =
        if t.services.is_empty() && crate::service::scraped_targets(plan, test).is_empty() {
            None
        } else {
            let starting = crate::service::Services::start(
                plan,
                test,
                &base_dir,
                args.out.as_deref(),
                load_cancel.clone(),
            );
            let started = tokio::select! {
                r = starting => Some(r),
                _ = cancel.cancelled() => None,
            };
            match started {
                Some(Ok(s)) => Some(s),
                Some(Err(e)) => {
                    eprintln!("error[stress::run::service]: {e}");
                    return stopped_before_load(Exit::CouldNotRun, None, proxies, mocks).await;
                }
                None => return stopped_before_load(Exit::Interrupted, None, proxies, mocks).await,
            }
        };
    if !launch.wait(&cancel).await {
        return stopped_before_load(Exit::Interrupted, services.as_ref(), proxies, mocks).await;
    }
    eprintln!(
        "{}running test `{}` of {} (seed {seed})…",
        launch.label(),
        t.name,
        path.display()
    );
    let live_users = std::sync::Arc::<std::sync::atomic::AtomicU64>::default();
    let options = RunOptions {
        seed: Some(seed),
        scenario_filter: args.scenario.clone(),
        cancel: load_cancel,
        target_urls,
        base_dir,
        max_duration: None,
        services: services.as_ref().map(crate::service::Services::control),
        shard: launch.shard,
        live_users: live_users.clone(),
    };
    let mut sink = CollectorSink {
        plan,
        test,
        collector: Collector::new(plan, test),
        stream,
        progress: crate::progress::Progress::start(
            plan,
            test,
            crate::progress::Mode::detect(args.quiet, args.tui),
            live_users,
        ),
        services: services.as_ref(),
        proxies: &proxies,
        seed,
        shard: launch.shard,
    };
    let result = engine::run(plan, test, &options, &mut sink).await;
    sink.progress.finish();
    let service_data = match &services {
        Some(s) => Some(s.stop().await),
        None => None,
    };
    let service_failure = services
        .as_ref()
        .and_then(crate::service::Services::failure)
        .filter(|_| !cancel.is_cancelled());
    for mock in mocks {
        mock.shutdown().await;
    }
    let streamed = sink.stream.take().map(|(stream, _)| stream.finish());
    let summary = match result {
        Ok(summary) => summary,
        Err(err) => {
            use miette::Diagnostic as _;
            let reason = match err.code() {
                Some(code) => format!("{code}: {err}"),
                None => err.to_string(),
            };
            ui.problems(None, &[Problem::Run(err)]);
            let metrics = sink.collector.finish();
            proxies.shutdown().await;
            return could_not_run(path, plan, test, seed, &metrics, streamed, reason);
        }
    };
    let mut metrics = sink.collector.finish();
    if let Some(data) = service_data {
        metrics.services = data;
    }
    proxies.record_into(&mut metrics);
    proxies.shutdown().await;
    let verdict = crate::slo::evaluate(plan, test, &metrics);
    let built = crate::report::build(
        plan,
        test,
        &metrics,
        &verdict,
        summary.seed,
        summary.interrupted,
    );
    let mut report = crate::report::render_text(&built, ui.color());
    let mut plain = crate::report::render_text(&built, false);
    let services_text = crate::service::render_text(&metrics.services, &metrics.timeline);
    if !services_text.is_empty() {
        report.push_str(&services_text);
        plain.push_str(&services_text);
    }
    let redact = crate::secrets::redact;
    // With `--format json`, stdout carries summary.json only: the report goes to stderr.
    let mut stdout: Box<dyn Write> = if args.format == RunFormat::Json {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(std::io::stdout().lock())
    };
    let _ = writeln!(stdout, "{}", redact(&report));
    for warning in &summary.warnings {
        let _ = writeln!(stdout, "warning: {}", redact(warning));
    }
    for s in &summary.scenarios {
        if s.eval_errors > 0 {
            let line = format!(
                "warning: scenario `{}`: {} expression errors, e.g. {}",
                s.name,
                s.eval_errors,
                s.eval_error_samples.join("; ")
            );
            let _ = writeln!(stdout, "{}", redact(&line));
        }
    }
    drop(stdout);
    // A shard's SLO results cover its part of the load only: shown, not judged. The verdict
    // is `stress merge`'s over every shard.
    let judged_here = launch.shard.is_whole();
    let violations: Vec<Problem> = verdict.violations().into_iter().map(Problem::Slo).collect();
    if judged_here && !violations.is_empty() {
        ui.problems(Some(file), &violations);
    }
    if !judged_here {
        eprintln!(
            "note: {}the SLO results above cover this shard's part of the load ({} of {} not met); the test's verdict is `stress merge` of the {} shards' --out folders",
            launch.label(),
            violations.len(),
            verdict.results.len(),
            launch.shard.count
        );
    }
    if let Some((message, tail)) = &service_failure {
        eprintln!(
            "error[stress::run::service_exited]: {}",
            crate::service::failure_text(message, tail)
        );
    }
    let code = if service_failure.is_some() {
        Exit::Failed
    } else if summary.interrupted {
        Exit::Interrupted
    } else if verdict.passed || !judged_here {
        Exit::Passed
    } else {
        Exit::Failed
    };
    let (artifacts, hlogs, write_error) = match streamed {
        Some((series, hlogs, error)) => (
            Some(TestArtifacts {
                record: TestRecord {
                    file: path.display().to_string(),
                    report: built,
                    series,
                    services: service_records(&metrics.services),
                },
                seeds: vec![summary.seed],
                metrics: metrics.to_stored(),
                services: crate::service::summarize(&metrics.services, &metrics.timeline),
                scrapes: crate::service::summarize_scrapes(
                    &metrics.services,
                    &crate::service::slo_series(plan, test),
                ),
            }),
            hlogs,
            error,
        ),
        None => (None, vec![], None),
    };
    TestOutcome {
        code,
        report: plain,
        artifacts,
        hlogs,
        write_error,
    }
}

/// The services of a run for its artifacts: one machine's, or none.
fn service_records(data: &crate::metrics::ServiceData) -> Vec<crate::metrics::ServiceData> {
    if data.services.is_empty() && data.scrapes.is_empty() {
        vec![]
    } else {
        vec![data.clone()]
    }
}

/// Stops what a test started (services, proxies, mocks) when it ends before its load runs.
async fn stopped_before_load(
    code: Exit,
    services: Option<&crate::service::Services>,
    proxies: crate::proxy::Proxies,
    mocks: Vec<crate::mock::MockServer>,
) -> TestOutcome {
    if let Some(s) = services {
        s.stop().await;
    }
    proxies.shutdown().await;
    for mock in mocks {
        mock.shutdown().await;
    }
    TestOutcome {
        code,
        ..TestOutcome::default()
    }
}

/// The outcome of a test that could not run (exit 3): its artifacts still carry the true
/// verdict, `passed: false` with the reason, over whatever was measured before it stopped.
fn could_not_run(
    path: &Path,
    plan: &Plan,
    test: usize,
    seed: u64,
    metrics: &crate::metrics::Metrics,
    streamed: Option<(
        Vec<crate::artifacts::model::ScenarioSeries>,
        Vec<HlogRef>,
        Option<String>,
    )>,
    reason: String,
) -> TestOutcome {
    let verdict = crate::slo::evaluate(plan, test, metrics);
    let mut built = crate::report::build(plan, test, metrics, &verdict, seed, false);
    built.passed = false;
    built.could_not_run = Some(reason);
    let report = crate::report::render_text(&built, false);
    let Some((series, hlogs, write_error)) = streamed else {
        return TestOutcome {
            code: Exit::CouldNotRun,
            report,
            ..TestOutcome::default()
        };
    };
    TestOutcome {
        code: Exit::CouldNotRun,
        report,
        artifacts: Some(TestArtifacts {
            record: TestRecord {
                file: path.display().to_string(),
                report: built,
                series,
                services: service_records(&metrics.services),
            },
            seeds: vec![seed],
            metrics: metrics.to_stored(),
            services: crate::service::summarize(&metrics.services, &metrics.timeline),
            scrapes: crate::service::summarize_scrapes(
                &metrics.services,
                &crate::service::slo_series(plan, test),
            ),
        }),
        hlogs,
        write_error,
    }
}

/// Feeds the engine's samples to the metrics collector and checks `abort if` while it runs;
/// with `--out`, also streams each attempt to the request log, interval logs and series.
struct CollectorSink<'p> {
    plan: &'p Plan,
    test: usize,
    collector: Collector,
    stream: Option<(TestStream, &'p mut RequestLog)>,
    progress: crate::progress::Progress,
    /// The test's services, told when each scenario runs (service metrics by phase).
    services: Option<&'p crate::service::Services>,
    proxies: &'p crate::proxy::Proxies,
    seed: u64,
    shard: engine::Shard,
}

impl Sink for CollectorSink<'_> {
    fn attempt(&mut self, a: Attempt) {
        if let Some((stream, log)) = &mut self.stream {
            stream.attempt(&a, log);
        }
        self.progress.attempt(&a);
        self.collector.attempt(a);
    }

    fn iteration(&mut self, i: Iteration) {
        self.progress.iteration();
        self.collector.iteration(i);
    }

    fn dropped(&mut self, scenario: usize, phase: Option<usize>, at_us: u64) {
        self.collector.dropped(scenario, phase, at_us);
    }

    fn scenario_started(&mut self, scenario: usize) {
        if let Some((stream, _)) = &mut self.stream {
            stream.scenario_started(scenario);
        }
        if let Some(s) = self.plan.tests[self.test].scenarios.get(scenario) {
            self.progress.scenario_started(&s.name);
            if let Some(services) = self.services {
                services.scenario_started(&s.name);
            }
            let chaos = self.plan.tests[self.test].chaos.as_ref();
            self.proxies
                .scenario_started(scenario, self.seed, s, chaos, self.shard);
        }
        self.collector.scenario_started(scenario);
    }

    fn scenario_finished(&mut self, scenario: usize, duration_us: u64) {
        if let (Some(services), Some(s)) = (
            self.services,
            self.plan.tests[self.test].scenarios.get(scenario),
        ) {
            services.scenario_finished(&s.name);
        }
        if let Some((stream, log)) = &mut self.stream {
            stream.scenario_finished(scenario, duration_us);
            // Errors are kept by the log and reported at the end.
            let _ = log.flush();
        }
        self.collector.scenario_finished(scenario, duration_us);
    }

    fn should_abort(&mut self, scenario: usize, now_us: u64) -> bool {
        match crate::slo::should_abort(self.plan, self.test, scenario, &self.collector, now_us) {
            Some(hit) => {
                self.collector.record_abort(hit.record(scenario, now_us));
                true
            }
            None => false,
        }
    }
}
