//! Stage: `plan::Plan` → samples. [`run`] executes one test: each of its scenarios in turn,
//! each with the whole profile, and streams what happens to a [`Sink`] (the metrics
//! collector). Workers (one task per closed-model VU, one per open-model arrival) send
//! `Attempt`s, `Iteration`s and drops over an unbounded channel; the task running [`run`]
//! drains it into the sink, as oha's collector does, and polls the sink for an early abort.
//!
//! Times in samples are microseconds since the start of the scenario's run (every scenario
//! starts the profile from zero). Latency is measured from the intended start (open model:
//! the schedule), so a stalled server shows in the percentiles.
//!
//! Not here: SLO evaluation and reports (metrics, slo, report), starting mocks and services
//! (the caller passes their URLs), wire-level faults (the proxy).
//!
//! Files: `schedule.rs` (stage arithmetic, limiter), `driver.rs` (runs the stages, owns VU
//! state), `worker.rs` (one iteration's steps), `request.rs` (one request: faults, retries,
//! checks, captures; polls), `fault.rs`, `retry.rs`, `client.rs` (reqwest), `data.rs`,
//! `chaos.rs` (chaos window actions), `error.rs`.

mod chaos;
mod client;
mod data;
mod driver;
mod error;
pub mod fault;
mod pacing;
mod request;
pub mod retry;
pub mod schedule;
mod shard;
mod worker;

pub use error::RunError;
pub use shard::{MAX_SHARDS, Shard};

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::eval::{Cursors, Env, Value};
use crate::metrics::{Attempt, Iteration};
use crate::plan::{
    Action, Inject, Plan, Profile, ResponseField, StageKind, Step, TargetKind, Test, Workload,
};

use client::Client;
use fault::{FaultInjector, mix};

/// Where the engine's samples go. The metrics collector implements it; tests collect into
/// vectors. Called from the task that runs [`run`], never concurrently.
pub trait Sink: Send {
    /// One finished request attempt.
    fn attempt(&mut self, a: Attempt);
    /// One finished iteration (an iteration cut short by cancellation is not reported).
    fn iteration(&mut self, i: Iteration);
    /// An open-model arrival that found no free VU (`at_us`: its intended start).
    fn dropped(&mut self, scenario: usize, phase: Option<usize>, at_us: u64);
    /// A scenario's run begins (its clock starts at 0).
    fn scenario_started(&mut self, _scenario: usize) {}
    /// A scenario's run ended after `duration_us`.
    fn scenario_finished(&mut self, _scenario: usize, _duration_us: u64) {}
    /// Polled about every 100 ms while a scenario runs, with the time since its start: return
    /// true to stop the test early (`abort if …`). Nothing further is started; in-flight
    /// requests are abandoned and the summary is marked `aborted`.
    fn should_abort(&mut self, _scenario: usize, _now_us: u64) -> bool {
        false
    }
}

/// What chaos actions can do to the test's services (`pause cache`, `restart cache`): the
/// caller (`stress run`) owns the processes.
pub trait ServiceControl: Send + Sync + std::fmt::Debug {
    fn act<'a>(
        &'a self,
        op: crate::ast::ServiceOp,
        service: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;
}

/// How to run a test.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `--seed`; overrides the test's `seed`; with neither the seed is 0.
    pub seed: Option<u64>,
    /// `--scenario NAME`: run only this scenario of the test.
    pub scenario_filter: Option<String>,
    /// Cancel to stop (Ctrl-C): nothing new starts, in-flight requests are dropped, and
    /// [`run`] returns promptly with `interrupted: true`.
    pub cancel: CancellationToken,
    /// Base URLs by target name: every mock target (the caller starts mocks), and any URL
    /// target to redirect. URL targets missing here use the plan's URL.
    pub target_urls: HashMap<String, String>,
    /// Folder to resolve a relative data set path against when it does not exist as given
    /// (lowering already resolves paths against the `.stress` file's folder).
    pub base_dir: PathBuf,
    /// A safety bound on the whole test; when reached the run stops as if interrupted, with
    /// `deadline_reached: true`.
    pub max_duration: Option<std::time::Duration>,
    /// The test's running services, for chaos actions on them.
    pub services: Option<Arc<dyn ServiceControl>>,
    /// `--shard I/N`: run this shard's part of the load (see `shard.rs`).
    pub shard: Shard,
    /// Active VUs right now, kept by the engine for the live view: closed VUs between their
    /// start and their stage's end (think time included), open arrivals from their start to
    /// their end.
    pub live_users: Arc<AtomicU64>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            seed: None,
            scenario_filter: None,
            cancel: CancellationToken::new(),
            target_urls: HashMap::new(),
            base_dir: PathBuf::from("."),
            max_duration: None,
            services: None,
            shard: Shard::WHOLE,
            live_users: Arc::default(),
        }
    }
}

/// What happened, beyond the samples.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RunSummary {
    /// The seed used (print it in the report).
    pub seed: u64,
    /// Cancelled through `RunOptions::cancel` (exit 130).
    pub interrupted: bool,
    /// Stopped because the sink asked (`abort if`).
    pub aborted: bool,
    /// Stopped by `RunOptions::max_duration`.
    pub deadline_reached: bool,
    /// One per scenario that ran, in order.
    pub scenarios: Vec<ScenarioSummary>,
    /// Problems worth showing that did not stop the run (a failed chaos action).
    pub warnings: Vec<String>,
}

impl RunSummary {
    /// Open-model iterations that started more than [`LATE_START_US`] after their intended
    /// instant, over all scenarios.
    pub fn late_starts(&self) -> u64 {
        self.scenarios.iter().map(|s| s.late_starts).sum()
    }

    pub fn dropped(&self) -> u64 {
        self.scenarios.iter().map(|s| s.dropped).sum()
    }
}

/// One scenario's run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ScenarioSummary {
    /// Index into `Test::scenarios`.
    pub scenario: usize,
    pub name: String,
    pub duration_us: u64,
    pub attempts: u64,
    pub iterations: u64,
    pub dropped: u64,
    pub late_starts: u64,
    /// Expressions that failed to evaluate (counted as failed checks or failed steps).
    pub eval_errors: u64,
    /// The first few distinct evaluation error messages.
    pub eval_error_samples: Vec<String>,
}

/// An open-model iteration starting later than this after its intended instant is late.
pub const LATE_START_US: u64 = 10_000;

/// How often the sink is asked whether to abort.
const ABORT_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// How often the collecting loop drains the workers' samples.
const DRAIN_EVERY: std::time::Duration = std::time::Duration::from_millis(5);

/// At most this many distinct evaluation error messages are kept per scenario.
const ERROR_SAMPLES: usize = 5;

/// What workers send to the collecting task.
#[derive(Debug)]
pub(crate) enum Event {
    Attempt(Attempt),
    Iteration(Iteration),
    Dropped { phase: Option<usize>, at_us: u64 },
}

/// A resolved target: base URL (no trailing slash) and what its connections did.
#[derive(Debug)]
pub(crate) struct TargetEntry {
    pub name: String,
    pub base: String,
    pub endpoint: client::Endpoint,
    pub responses: AtomicU64,
    pub connect_errors: AtomicU64,
    pub other_errors: AtomicU64,
}

/// Counters one scenario's tasks share with the collecting task.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub late_starts: AtomicU64,
    pub eval_errors: AtomicU64,
    pub error_samples: Mutex<Vec<String>>,
}

/// Everything a scenario's tasks share (read-only but for atomics).
pub(crate) struct Ctx {
    pub plan: Arc<Plan>,
    pub test: usize,
    pub scenario: usize,
    pub scenario_name: Arc<str>,
    pub test_name: Arc<str>,
    pub step_names: Arc<[String]>,
    pub data: Arc<HashMap<String, Value>>,
    pub client: Client,
    pub targets: Arc<HashMap<String, Arc<TargetEntry>>>,
    /// `None` when faults are injected at a proxy.
    pub faults: Option<FaultInjector>,
    pub events: mpsc::UnboundedSender<Event>,
    /// The scenario's start.
    pub t0: Instant,
    pub seed: u64,
    /// This shard's call counter at the injection point (retries included), from 0; see
    /// [`Ctx::next_call`].
    pub calls: AtomicU64,
    /// Which part of the load is this process's.
    pub shard: Shard,
    /// The scenario run's `next(…)` round robins.
    pub cursors: Arc<Cursors>,
    /// Active VUs ([`RunOptions::live_users`]).
    pub live_users: Arc<AtomicU64>,
    pub counters: Arc<Counters>,
    /// Index of the `cost` capture, summed per iteration.
    pub cost_capture: Option<usize>,
    /// Whether any expression reads a response header (else headers are not copied).
    pub read_headers: bool,
    /// Something in the workload reads `body` or `json`: keep response bodies.
    pub read_body: bool,
}

/// One active VU while it lives: counted in [`Ctx::live_users`] from `new` to its drop
/// (cancellation included).
pub(crate) struct LiveUser(Arc<AtomicU64>);

impl LiveUser {
    pub(crate) fn new(ctx: &Ctx) -> LiveUser {
        ctx.live_users.fetch_add(1, Ordering::Relaxed);
        LiveUser(ctx.live_users.clone())
    }
}

impl Drop for LiveUser {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Ctx {
    pub(crate) fn test(&self) -> &Test {
        &self.plan.tests[self.test]
    }

    pub(crate) fn workload(&self) -> &Workload {
        &self.plan.workloads[self.test().workload]
    }

    pub(crate) fn profile(&self) -> &Profile {
        &self.test().profile
    }

    /// Microseconds from the scenario's start to `at`.
    pub(crate) fn us(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.t0).as_micros()).unwrap_or(u64::MAX)
    }

    pub(crate) fn emit(&self, event: Event) {
        // A closed channel means the run is being torn down; the sample is moot.
        let _ = self.events.send(event);
    }

    pub(crate) fn dropped(&self, phase: Option<usize>, at: Instant) {
        self.emit(Event::Dropped {
            phase,
            at_us: self.us(at),
        });
    }

    /// The global number of the next call at the injection point: this shard's c-th call is
    /// call `I + c·N` of the whole test, so rules that name call numbers fire on one shard.
    pub(crate) fn next_call(&self) -> u64 {
        self.shard
            .global(self.calls.fetch_add(1, Ordering::Relaxed))
    }

    /// Counts an expression that could not be evaluated, keeping the first few messages.
    pub(crate) fn eval_error(&self, message: impl Into<String>) {
        self.counters.eval_errors.fetch_add(1, Ordering::Relaxed);
        let mut samples = self
            .counters
            .error_samples
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if samples.len() < ERROR_SAMPLES {
            let message = message.into();
            if !samples.contains(&message) {
                samples.push(message);
            }
        }
    }

    /// A fresh VU state for VU `user`, with its own seeded RNG.
    pub(crate) fn new_env(&self, user: u32) -> Env {
        let rng = ChaCha8Rng::seed_from_u64(mix(
            self.seed,
            &self.scenario_name,
            0x7675_0000_0000 | u64::from(user),
        ));
        Env::new(
            user,
            self.scenario_name.clone(),
            self.test_name.clone(),
            self.step_names.clone(),
            self.data.clone(),
            rng,
            self.cursors.clone(),
        )
    }
}

/// Runs test number `test` of `plan`: every scenario (or the one `opts.scenario_filter`
/// names) in turn, streaming samples to `sink`.
///
/// Errors are "could not run": a data set that cannot be read, a target without URL, or a
/// target that refused every connection during the whole run (`Unreachable`, reported after
/// the samples were streamed).
pub async fn run(
    plan: &Plan,
    test: usize,
    opts: &RunOptions,
    sink: &mut dyn Sink,
) -> Result<RunSummary, RunError> {
    let t = plan
        .tests
        .get(test)
        .ok_or_else(|| internal(format!("no test number {test}")))?;
    let workload = plan
        .workloads
        .get(t.workload)
        .ok_or_else(|| internal(format!("test `{}` has no workload", t.name)))?;
    let seed = opts.seed.or(t.seed).unwrap_or(0);
    let scenarios: Vec<usize> = match &opts.scenario_filter {
        None => (0..t.scenarios.len()).collect(),
        Some(name) => match t.scenarios.iter().position(|s| &s.name == name) {
            Some(i) => vec![i],
            None => {
                return Err(RunError::UnknownScenario {
                    test: t.name.clone(),
                    name: name.clone(),
                    available: t
                        .scenarios
                        .iter()
                        .map(|s| format!("`{}`", s.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        },
    };
    let client = Client::new(schedule::peak_users(&t.profile.stages) as usize);
    let targets = Arc::new(resolve_targets(plan, workload, opts, &client)?);
    let data = Arc::new(data::load_all(&plan.data, &opts.base_dir)?);
    let shared = Shared {
        plan: Arc::new(plan.clone()),
        test,
        seed,
        data,
        client,
        targets: targets.clone(),
        step_names: workload.step_names.clone().into(),
        cost_capture: workload.captures.iter().position(|c| c == "cost"),
        read_headers: workload_reads_headers(&workload.steps),
        read_body: workload_reads(&workload.steps, &|f| {
            matches!(f, ResponseField::Body | ResponseField::Json)
        }),
        deadline: opts.max_duration.map(|d| Instant::now() + d),
        shard: opts.shard,
    };
    let mut summary = RunSummary {
        seed,
        warnings: shard_warnings(&t.profile, opts.shard),
        ..RunSummary::default()
    };
    for scenario in scenarios {
        if opts.cancel.is_cancelled() {
            break;
        }
        let ran = run_scenario(&shared, scenario, opts, sink).await?;
        summary.scenarios.push(ran.summary);
        summary.warnings.extend(ran.warnings);
        summary.aborted |= ran.aborted;
        summary.deadline_reached |= ran.deadline_reached;
        if ran.aborted || ran.deadline_reached {
            break;
        }
    }
    summary.interrupted = opts.cancel.is_cancelled();
    if !summary.interrupted {
        if let Some(dead) = unreachable(&targets) {
            return Err(RunError::Unreachable {
                target: dead.name.clone(),
                url: dead.base.clone(),
            });
        }
    }
    Ok(summary)
}

/// What a shard will not do that the whole test does: `rate` stages whose `max users`,
/// split N ways, leaves this shard none (its arrivals are all dropped).
fn shard_warnings(profile: &Profile, shard: Shard) -> Vec<String> {
    let mut warnings = Vec::new();
    for (i, stage) in profile.stages.iter().enumerate() {
        if let StageKind::Rate {
            from,
            to,
            duration,
            max_users,
        } = &stage.kind
        {
            if shard.share_u32(*max_users) == 0
                && schedule::arrivals(*from, *to, *duration).total() > 0
            {
                warnings.push(format!(
                    "shard {shard}: stage {} has `max users {max_users}`, which split {} ways leaves this shard no VU: its arrivals are all dropped (declare at least {} max users)",
                    i + 1,
                    shard.count,
                    shard.count
                ));
            }
        }
    }
    warnings
}

fn internal(reason: String) -> RunError {
    RunError::Internal { reason }
}

/// What every scenario of one test shares.
struct Shared {
    plan: Arc<Plan>,
    test: usize,
    seed: u64,
    data: Arc<HashMap<String, Value>>,
    client: Client,
    targets: Arc<HashMap<String, Arc<TargetEntry>>>,
    step_names: Arc<[String]>,
    cost_capture: Option<usize>,
    read_headers: bool,
    read_body: bool,
    deadline: Option<Instant>,
    shard: Shard,
}

struct ScenarioRun {
    summary: ScenarioSummary,
    warnings: Vec<String>,
    aborted: bool,
    deadline_reached: bool,
}

async fn run_scenario(
    shared: &Shared,
    scenario: usize,
    opts: &RunOptions,
    sink: &mut dyn Sink,
) -> Result<ScenarioRun, RunError> {
    let test = &shared.plan.tests[shared.test];
    let spec = &test.scenarios[scenario];
    let cancel = opts.cancel.child_token();
    let (events, mut rx) = mpsc::unbounded_channel();
    let counters = Arc::new(Counters::default());
    let faults = match test.inject {
        Inject::Client => Some(FaultInjector::new(shared.seed, spec, test.chaos.as_ref())),
        Inject::Proxy(_) => None,
    };
    let t0 = Instant::now();
    let ctx = Arc::new(Ctx {
        plan: shared.plan.clone(),
        test: shared.test,
        scenario,
        scenario_name: spec.name.as_str().into(),
        test_name: test.name.as_str().into(),
        step_names: shared.step_names.clone(),
        data: shared.data.clone(),
        client: shared.client.clone(),
        targets: shared.targets.clone(),
        faults,
        events,
        t0,
        seed: shared.seed,
        calls: AtomicU64::new(0),
        shard: shared.shard,
        cursors: Arc::new(Cursors::new(
            u64::from(shared.shard.index),
            u64::from(shared.shard.count),
        )),
        counters: counters.clone(),
        live_users: opts.live_users.clone(),
        cost_capture: shared.cost_capture,
        read_headers: shared.read_headers,
        read_body: shared.read_body,
    });
    sink.scenario_started(scenario);
    let chaos_done = CancellationToken::new();
    let chaos = test.chaos.clone().map(|mut c| {
        if shared.shard.index != 0 {
            // A command or an HTTP call acts on the shared system: shard 0 makes it, once.
            // Each shard's own services get their actions.
            c.start.retain(|a| matches!(a, Action::Service { .. }));
            c.stop.retain(|a| matches!(a, Action::Service { .. }));
        }
        let env = ctx.new_env(0);
        tokio::spawn(chaos::run(
            c,
            shared.client.clone(),
            env,
            t0,
            cancel.clone(),
            chaos_done.clone(),
            opts.services.clone(),
        ))
    });
    let driver = tokio::spawn(driver::run_profile(ctx, cancel.clone()));

    let mut summary = ScenarioSummary {
        scenario,
        name: spec.name.clone(),
        ..ScenarioSummary::default()
    };
    let (mut aborted, mut deadline_reached) = (false, false);
    let mut ticker = tokio::time::interval(ABORT_POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let deadline = tokio::time::sleep_until(shared.deadline.unwrap_or_else(far_future));
    tokio::pin!(deadline);
    // The collector polls the channel instead of waiting on it: a waiting receiver would be
    // woken by every sample, and this loop runs on the caller's thread (`block_on`), so each
    // request would cost a cross-thread wake-up and two context switches. Draining every
    // few milliseconds keeps the workers' sends wake-free (bench/README.md, efficiency).
    let mut drain = tokio::time::interval(DRAIN_EVERY);
    drain.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = drain.tick() => {
                if drain_events(&mut rx, scenario, &mut summary, sink) {
                    break;
                }
            }
            _ = ticker.tick(), if !aborted => {
                let now_us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                if sink.should_abort(scenario, now_us) {
                    aborted = true;
                    cancel.cancel();
                }
            }
            _ = &mut deadline, if shared.deadline.is_some() && !deadline_reached => {
                deadline_reached = true;
                cancel.cancel();
            }
        }
    }
    let driven = driver.await;
    chaos_done.cancel();
    let warnings = match chaos {
        Some(task) => task
            .await
            .unwrap_or_else(|e| vec![format!("chaos actions task failed: {e}")]),
        None => Vec::new(),
    };
    summary.duration_us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
    sink.scenario_finished(scenario, summary.duration_us);
    match driven {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(e) => return Err(internal(format!("the scenario driver failed: {e}"))),
    }
    summary.late_starts = counters.late_starts.load(Ordering::Relaxed);
    summary.eval_errors = counters.eval_errors.load(Ordering::Relaxed);
    summary.eval_error_samples = counters
        .error_samples
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Ok(ScenarioRun {
        summary,
        warnings,
        aborted,
        deadline_reached,
    })
}

/// Hands every queued sample to the sink; true once every sender is gone and the queue is
/// empty (the scenario's tasks have all ended).
fn drain_events(
    rx: &mut mpsc::UnboundedReceiver<Event>,
    scenario: usize,
    summary: &mut ScenarioSummary,
    sink: &mut dyn Sink,
) -> bool {
    loop {
        match rx.try_recv() {
            Ok(Event::Attempt(a)) => {
                summary.attempts += 1;
                sink.attempt(a);
            }
            Ok(Event::Iteration(i)) => {
                summary.iterations += 1;
                sink.iteration(i);
            }
            Ok(Event::Dropped { phase, at_us }) => {
                summary.dropped += 1;
                sink.dropped(scenario, phase, at_us);
            }
            Err(mpsc::error::TryRecvError::Empty) => return false,
            Err(mpsc::error::TryRecvError::Disconnected) => return true,
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(100 * 365 * 24 * 3600)
}

/// Resolves the base URL of every target the workload uses (and of every other target that
/// has one), checking each.
fn resolve_targets(
    plan: &Plan,
    workload: &Workload,
    opts: &RunOptions,
    client: &Client,
) -> Result<HashMap<String, Arc<TargetEntry>>, RunError> {
    let mut used = HashSet::new();
    targets_of(&workload.steps, &mut used);
    let mut names: Vec<&str> = plan.targets.iter().map(|t| t.name.as_str()).collect();
    names.extend(
        used.iter()
            .copied()
            .filter(|u| !plan.targets.iter().any(|t| t.name == *u)),
    );
    let mut resolved = HashMap::new();
    for name in names {
        let declared = plan
            .targets
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| match &t.kind {
                TargetKind::Url(url) => Some(url.as_str()),
                TargetKind::Mock(_) => None,
            });
        let Some(url) = opts.target_urls.get(name).map(String::as_str).or(declared) else {
            if used.contains(name) {
                return Err(RunError::MissingTarget {
                    target: name.to_string(),
                });
            }
            continue;
        };
        Client::check_url(url).map_err(|reason| RunError::BadUrl {
            target: name.to_string(),
            url: url.to_string(),
            reason,
        })?;
        let base = url.trim_end_matches('/').to_string();
        let endpoint = client.endpoint(&base);
        if endpoint.is_generic() {
            client.generic()?;
        }
        let entry = TargetEntry {
            name: name.to_string(),
            endpoint,
            base,
            responses: AtomicU64::new(0),
            connect_errors: AtomicU64::new(0),
            other_errors: AtomicU64::new(0),
        };
        resolved.insert(name.to_string(), Arc::new(entry));
    }
    Ok(resolved)
}

/// The names of the targets a workload sends requests to.
pub fn workload_targets(workload: &Workload) -> HashSet<&str> {
    let mut used = HashSet::new();
    targets_of(&workload.steps, &mut used);
    used
}

fn targets_of<'a>(steps: &'a [Step], out: &mut HashSet<&'a str>) {
    for step in steps {
        match step {
            Step::Request(r) => {
                out.insert(&r.target);
            }
            Step::Poll(p) => {
                out.insert(&p.request.target);
            }
            Step::Repeat { steps, .. } | Step::Probability { steps, .. } => targets_of(steps, out),
            Step::Choose { arms } => arms.iter().for_each(|(_, steps)| targets_of(steps, out)),
            Step::Think { .. } | Step::ThinkExpr { .. } | Step::Set { .. } => {}
        }
    }
}

/// The first target that was tried and refused every connection (no HTTP response at all,
/// and every failure a connection error).
fn unreachable(targets: &HashMap<String, Arc<TargetEntry>>) -> Option<&TargetEntry> {
    let mut tried: Vec<&TargetEntry> = targets
        .values()
        .map(Arc::as_ref)
        .filter(|t| {
            t.responses.load(Ordering::Relaxed) == 0
                && t.other_errors.load(Ordering::Relaxed) == 0
                && t.connect_errors.load(Ordering::Relaxed) > 0
        })
        .collect();
    tried.sort_by(|a, b| a.name.cmp(&b.name));
    tried.into_iter().next()
}

fn workload_reads_headers(steps: &[Step]) -> bool {
    workload_reads(steps, &|f| matches!(f, ResponseField::Header(_)))
}

/// Whether an expression reads a response field that `wanted` picks.
pub(crate) fn expr_reads(e: &crate::plan::Expr, wanted: &dyn Fn(&ResponseField) -> bool) -> bool {
    use crate::plan::Expr;
    let expr = |e: &Expr| expr_reads(e, wanted);
    match e {
        Expr::Response(field) | Expr::StepResponse { field, .. } => {
            wanted(field)
                || matches!(field, ResponseField::Header(name) if expr_reads(name, wanted))
        }
        Expr::Template(items) | Expr::List(items) => items.iter().any(expr),
        Expr::Object(entries) => entries.iter().any(|(_, v)| expr(v)),
        Expr::Field(base, _) | Expr::Not(base) | Expr::Neg(base) => expr(base),
        Expr::Index(a, b) | Expr::Binary { lhs: a, rhs: b, .. } => expr(a) || expr(b),
        Expr::Call { args, .. } => args.iter().any(expr),
        _ => false,
    }
}

/// Whether any expression of the steps reads a response field that `wanted` picks.
fn workload_reads(steps: &[Step], wanted: &dyn Fn(&ResponseField) -> bool) -> bool {
    use crate::plan::{Body, Expr};
    let expr = |e: &Expr| expr_reads(e, wanted);
    let request = |r: &crate::plan::Request| -> bool {
        let body = match &r.body {
            Body::None => false,
            Body::Json(e) | Body::Text(e) | Body::Form(e) => expr(e),
        };
        body || expr(&r.path)
            || r.headers.iter().any(|(k, v)| expr(k) || expr(v))
            || r.query.as_ref().is_some_and(expr)
            || r.checks.iter().any(expr)
            || r.captures.iter().any(|(_, e)| expr(e))
    };
    steps.iter().any(|step| match step {
        Step::Request(r) => request(r),
        Step::Poll(p) => request(&p.request) || expr(&p.until),
        Step::Repeat { count, steps, .. } => expr(count) || workload_reads(steps, wanted),
        Step::Set { value, .. } => expr(value),
        Step::Probability { probability, steps } => {
            expr(probability) || workload_reads(steps, wanted)
        }
        Step::Choose { arms } => arms.iter().any(|(_, steps)| workload_reads(steps, wanted)),
        Step::Think { .. } => false,
        Step::ThinkExpr { pause } => expr(pause),
    })
}
