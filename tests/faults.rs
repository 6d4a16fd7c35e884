//! Issue #5, end to end from `.stress` text: client-side fault rules, retries, budgets and the
//! metrics/SLOs over them. Each plan goes through the real front end (parse → check → lower),
//! the engine and the metrics collector, and SLOs are judged by `slo::evaluate`, as
//! `stress run` does; the exit-code tests run the binary.
//!
//! The five flaws of the Python harness (`enzu.stress`) that must not come back are pinned by
//! the tests named `python_flaw_N_…`.
//!
//! Plans whose every attempt is injected never touch the network and run on tokio's paused
//! clock: their timings are exact. The others use an axum server on 127.0.0.1:0.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

use stress::engine::{RunError, RunOptions, RunSummary, Sink, run};
use stress::metrics::{Attempt, CaptureValue, Collector, ErrorClass, Iteration};
use stress::plan::{Fault, Outcome, Plan, RetryOn};
use stress::slo::{Status, Verdict};
use stress::source::SourceFile;

use crate::support::{assert_exit, stress as stress_bin};

// ── Front end ─────────────────────────────────────────────────────────

/// Parses, checks and lowers `text`, panicking with every problem when it is not valid.
/// On a thread with a large stack, as the CLI does.
fn plan_of(text: &str) -> Plan {
    let file = SourceFile::new("faults.stress", text);
    stress::frontend::on_big_stack(|| stress::frontend::compile(&file, None))
        .expect("the front end does not panic")
        .unwrap_or_else(|problems| panic!("problems in:\n{text}\n{problems:?}"))
        .plan
}

// ── Running ───────────────────────────────────────────────────────────

/// Feeds the collector, as `stress run` does, and keeps every sample for inspection.
struct Keep {
    collector: Collector,
    attempts: Vec<Attempt>,
    iterations: Vec<Iteration>,
}

impl Sink for Keep {
    fn attempt(&mut self, a: Attempt) {
        self.attempts.push(a.clone());
        self.collector.attempt(a);
    }
    fn iteration(&mut self, i: Iteration) {
        self.iterations.push(i.clone());
        self.collector.iteration(i);
    }
    fn dropped(&mut self, scenario: usize, phase: Option<usize>, at_us: u64) {
        self.collector.dropped(scenario, phase, at_us);
    }
    fn scenario_started(&mut self, scenario: usize) {
        self.collector.scenario_started(scenario);
    }
    fn scenario_finished(&mut self, scenario: usize, duration_us: u64) {
        self.collector.scenario_finished(scenario, duration_us);
    }
}

struct Ran {
    summary: RunSummary,
    attempts: Vec<Attempt>,
    iterations: Vec<Iteration>,
    verdict: Verdict,
}

impl Ran {
    /// Attempts of scenario `s`, by call number.
    fn attempts_of(&self, s: usize) -> Vec<&Attempt> {
        let mut out: Vec<&Attempt> = self.attempts.iter().filter(|a| a.scenario == s).collect();
        out.sort_by_key(|a| a.call);
        out
    }

    fn injected_calls(&self, s: usize) -> BTreeSet<u64> {
        self.attempts_of(s)
            .into_iter()
            .filter(|a| a.injected.is_some())
            .map(|a| a.call)
            .collect()
    }

    fn iterations_of(&self, s: usize) -> Vec<&Iteration> {
        let mut out: Vec<&Iteration> = self.iterations.iter().filter(|i| i.scenario == s).collect();
        out.sort_by_key(|i| (i.user, i.iteration));
        out
    }

    /// Panics with every SLO result that did not pass.
    #[track_caller]
    fn assert_slos_pass(&self) {
        let failed: Vec<String> = self
            .verdict
            .results
            .iter()
            .filter(|r| r.status != Status::Pass)
            .map(|r| {
                format!(
                    "{} [{}]: measured {} ({:?})",
                    r.text, r.scenario, r.lhs_display, r.status
                )
            })
            .collect();
        assert!(failed.is_empty(), "SLOs failed:\n{}", failed.join("\n"));
        assert!(self.verdict.passed);
        assert!(!self.verdict.results.is_empty());
    }

    /// The measured value (base units) of the SLO written `text` for `scenario`.
    #[track_caller]
    fn measured(&self, text: &str, scenario: &str) -> f64 {
        self.verdict
            .results
            .iter()
            .find(|r| r.text == text && r.scenario == scenario)
            .unwrap_or_else(|| panic!("no SLO `{text}` for `{scenario}`"))
            .measured
    }
}

async fn try_run(plan: &Plan, test: usize, opts: &RunOptions) -> Result<Ran, RunError> {
    let mut sink = Keep {
        collector: Collector::new(plan, test),
        attempts: vec![],
        iterations: vec![],
    };
    let summary = run(plan, test, opts, &mut sink).await?;
    let metrics = sink.collector.finish();
    let verdict = stress::slo::evaluate(plan, test, &metrics);
    Ok(Ran {
        summary,
        attempts: sink.attempts,
        iterations: sink.iterations,
        verdict,
    })
}

async fn run_test(plan: &Plan, test: usize) -> Ran {
    try_run(plan, test, &RunOptions::default()).await.unwrap()
}

fn test_index(plan: &Plan, name: &str) -> usize {
    plan.tests.iter().position(|t| t.name == name).unwrap()
}

/// A target URL nothing listens on: for plans whose every attempt is injected.
const NOWHERE: &str = "http://127.0.0.1:9";

// ── Test server ───────────────────────────────────────────────────────

#[derive(Default)]
struct Hits(AtomicU64);

struct Server {
    url: String,
    hits: Arc<Hits>,
}

impl Server {
    fn hits(&self) -> u64 {
        self.hits.0.load(Ordering::SeqCst)
    }
}

async fn server() -> Server {
    let hits = Arc::new(Hits::default());
    let app = Router::new()
        .route("/ok", get(ok))
        .route("/bimodal/{k}", get(bimodal))
        .route("/status/{code}", get(status))
        .route("/costly503", get(costly503))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        url: format!("http://{addr}"),
        hits,
    }
}

/// 200 with a `usage.cost` of $0.01.
async fn ok(State(hits): State<Arc<Hits>>) -> impl IntoResponse {
    hits.0.fetch_add(1, Ordering::SeqCst);
    axum::Json(serde_json::json!({ "usage": { "cost": 0.01 } }))
}

/// The Python harness's case: 300 ms for `k == 0`, 3 s otherwise.
async fn bimodal(State(hits): State<Arc<Hits>>, Path(k): Path<u32>) -> &'static str {
    hits.0.fetch_add(1, Ordering::SeqCst);
    let ms = if k == 0 { 300 } else { 3000 };
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    "done"
}

async fn status(State(hits): State<Arc<Hits>>, Path(code): Path<u16>) -> StatusCode {
    hits.0.fetch_add(1, Ordering::SeqCst);
    StatusCode::from_u16(code).unwrap()
}

/// A provider that bills failed calls: 503 with a `usage.cost` of $0.01.
async fn costly503(State(hits): State<Arc<Hits>>) -> impl IntoResponse {
    hits.0.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({ "usage": { "cost": 0.01 } })),
    )
}

// ── The binary ────────────────────────────────────────────────────────

/// This module's temporary files.
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    crate::support::temp_file("faults", name, text)
}

// ── The Python harness's flaws ────────────────────────────────────────

/// Flaw 1: a bucket histogram reported p95 = 0.95 s for 50 runs at 0.3 s and 50 at 3.0 s.
/// Here the same workload, end to end (text → engine → HdrHistogram → SLO), gives p95 = 3 s.
/// On the paused clock (every attempt injected: odd calls stall for the request's 3 s timeout,
/// the others for `latency_error`'s 300 ms) the durations are exact, so p95(duration) is 3 s
/// to HdrHistogram's 3 significant digits.
#[tokio::test(start_paused = true)]
async fn python_flaw_1_bimodal_p95_is_exact_not_bucketed() {
    let plan = plan_of(&format!(
        r#"
target api = "{NOWHERE}"
workload run {{
  request call: get api "/" {{ timeout 3s }}
}}
scenario bimodal {{
  when call % 2 == 1 => timeout
  latency_error(100%, 300ms, timeout)
}}
test "bimodal" {{
  workload run
  profile {{ users 100, iterations 1 }}
  scenarios bimodal
  slo {{
    p95(duration) >= 2.997s
    p95(duration) <= 3.003s
    p99(duration) <= 3.003s
    p50(duration) >= 299.7ms
    p50(duration) <= 300.3ms
    p95(latency) >= 2.997s
    p95(latency) <= 3.003s
  }}
}}
"#
    ));
    let ran = run_test(&plan, 0).await;
    assert_eq!(ran.iterations.len(), 100);
    let mut durations: Vec<u64> = ran
        .iterations
        .iter()
        .map(|i| i.done_us - i.started_us)
        .collect();
    durations.sort();
    assert_eq!(durations[..50], [300_000; 50]);
    assert_eq!(durations[50..], [3_000_000; 50]);
    ran.assert_slos_pass();
    let p95 = ran.measured("p95(duration) >= 2.997s", "bimodal");
    assert!((p95 - 3e6).abs() / 3e6 < 1e-3, "p95(duration) = {p95} µs");
}

/// Flaw 1 again over real sockets: a server answers in 300 ms for even users and 3 s for odd
/// ones; 100 users in parallel, one iteration each (~3 s of wall time). Real I/O adds a few
/// ms of overhead on a loaded machine, so the upper bound leaves room; the bucketed answer
/// (0.95 s) is far outside either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_flaw_1_bimodal_p95_over_real_sockets() {
    let s = server().await;
    let plan = plan_of(&format!(
        r#"
target api = "{url}"
workload run {{
  request call: get api "/bimodal/${{user % 2}}" {{ timeout 10s }}
}}
test "bimodal" {{
  workload run
  profile {{ users 100, iterations 1 }}
  slo {{
    p95(duration) >= 2.99s
    p95(duration) < 3.1s
    p50(duration) >= 300ms
    p50(duration) < 400ms
    success_rate == 100%
  }}
}}
"#,
        url = s.url
    ));
    let started = std::time::Instant::now();
    let ran = run_test(&plan, 0).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert_eq!(ran.iterations.len(), 100);
    assert_eq!(s.hits(), 100);
    ran.assert_slos_pass();
}

/// Flaw 2: the `timeout` fault was raised at once. Here it lasts the request's timeout (or
/// the rule's delay for `latency_error`), so latency, duration and time budgets see it.
#[tokio::test(start_paused = true)]
async fn python_flaw_2_timeout_fault_lasts_the_timeout_so_latency_and_budgets_see_it() {
    let plan = plan_of(&format!(
        r#"
target api = "{NOWHERE}"
workload plain {{
  request call: get api "/" {{ timeout 300ms }}
}}
workload budgeted {{
  budget {{ time 100ms }}
  request call: get api "/" {{ timeout 300ms }}
}}
scenario stalls   {{ error_rate(100%, timeout) }}
scenario stalls_d {{ latency_error(100%, 200ms, timeout) }}
test "latency" {{
  workload plain
  profile {{ users 2, iterations 2 }}
  scenarios stalls, stalls_d
  slo {{
    scenario stalls: min(latency) == 300ms
    scenario stalls: max(latency) == 300ms
    scenario stalls: p50(duration) == 300ms
    scenario stalls_d: min(latency) == 200ms
    scenario stalls_d: max(latency) == 200ms
    outcome(timeout) == 100%
    count(fault == timeout) == 4
    count(injected) == 4
  }}
}}
test "budget" {{
  workload budgeted
  profile {{ users 2, iterations 2 }}
  scenarios stalls
  slo {{
    outcome(budget_exceeded) == 100%
    budget_exceeded == 100%
    max(duration) == 100ms
    min(duration) == 100ms
  }}
}}
"#
    ));
    let latency = run_test(&plan, test_index(&plan, "latency")).await;
    latency.assert_slos_pass();
    for a in &latency.attempts {
        assert_eq!((a.status, a.error), (None, Some(ErrorClass::Timeout)));
        assert_eq!(a.injected.as_ref().unwrap().fault, Some(Fault::Timeout));
        let lasts = if a.scenario == 0 { 300_000 } else { 200_000 };
        assert_eq!(a.latency_us(), lasts, "{a:?}");
    }
    let budget = run_test(&plan, test_index(&plan, "budget")).await;
    budget.assert_slos_pass();
    // The budget cut the attempt in flight: nothing is reported for it.
    assert!(budget.attempts.is_empty());
    assert!(
        budget
            .iterations
            .iter()
            .all(|i| !i.budget_exceeded_during_retry)
    );
}

/// Flaw 3: seeds came from a scenario's position in the list, so adding a scenario before
/// another changed the other's fault pattern. Here they come from its name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_flaw_3_seed_comes_from_the_scenario_name_not_its_position() {
    let s = server().await;
    let plan = plan_of(&format!(
        r#"
target api = "{url}"
workload w {{ request call: get api "/ok" }}
scenario a {{ error_rate(30%, 503) }}
scenario z {{ error_rate(30%, 503) }}
test "alone" {{
  workload w
  profile {{ users 1, iterations 40 }}
  scenarios a
  seed 42
}}
test "after z" {{
  workload w
  profile {{ users 1, iterations 40 }}
  scenarios z, a
  seed 42
}}
"#,
        url = s.url
    ));
    let alone = run_test(&plan, 0).await;
    let after = run_test(&plan, 1).await;
    assert_eq!(
        after
            .summary
            .scenarios
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["z", "a"]
    );
    let a_alone = alone.injected_calls(0);
    let a_second = after.injected_calls(1);
    assert!(!a_alone.is_empty() && a_alone.len() < 40, "{a_alone:?}");
    assert_eq!(a_alone, a_second, "adding `z` first changed `a`'s faults");
    // The name is part of the seed: the same rule under another name fires elsewhere.
    assert_ne!(after.injected_calls(0), a_second);
}

/// Flaw 4: one unhandled fault crashed the whole run. Here it is that iteration's outcome and
/// the run goes on; every iteration ends in exactly one outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_flaw_4_an_unhandled_fault_is_the_iteration_outcome_not_a_crash() {
    let s = server().await;
    let plan = plan_of(&format!(
        r#"
target api = "{url}"
workload w {{ request call: get api "/ok" {{ timeout 50ms }} }}
scenario refused  {{ nth_call([2], connection_error) }}
scenario broken   {{ nth_call([2], 500) }}
scenario stalled  {{ nth_call([2], timeout) }}
test "t" {{
  workload w
  profile {{ users 1, iterations 5 }}
  scenarios refused, broken, stalled
  slo {{
    success_rate == 80%
    scenario refused: outcome(failed) == 20%
    scenario broken: outcome(failed) == 20%
    scenario stalled: outcome(timeout) == 20%
    outcome(success) + outcome(failed) + outcome(budget_exceeded) + outcome(timeout) == 100%
    error_rate == 20%
  }}
}}
"#,
        url = s.url
    ));
    let ran = run_test(&plan, 0).await;
    ran.assert_slos_pass();
    assert_eq!(ran.summary.scenarios.len(), 3, "the run went on");
    assert_eq!(s.hits(), 3 * 4, "every other call reached the server");
    for scenario in 0..3 {
        let its = ran.iterations_of(scenario);
        let keys: BTreeSet<u64> = its.iter().map(|i| i.iteration).collect();
        assert_eq!(keys, (0..5).collect(), "one outcome per iteration");
        let outcomes: Vec<Outcome> = its.iter().map(|i| i.outcome).collect();
        let bad = if scenario == 2 {
            Outcome::Timeout
        } else {
            Outcome::Failed
        };
        assert_eq!(
            outcomes,
            vec![
                Outcome::Success,
                Outcome::Success,
                bad,
                Outcome::Success,
                Outcome::Success
            ]
        );
    }
}

/// Flaw 5: the harness had no exit code. `stress run` gates on the SLOs of a fault scenario:
/// 0 when they hold, 1 when one fails.
#[test]
fn python_flaw_5_slos_of_a_fault_scenario_gate_the_exit_code() {
    let path = temp_file(
        "gate.stress",
        r#"target llm mock { api openai }
let want = 40%
workload w {
  request chat: post llm "/v1/chat/completions" { json { messages: [] } }
}
scenario outage { nth_call([0, 2], 503) }
test "gate" {
  workload w
  profile { users 1, iterations 5 }
  scenarios outage
  slo {
    outcome(failed) == want
    count(fault == 503) == 2
  }
}
"#,
    );
    let path = path.to_str().unwrap();
    let pass = stress_bin(&["run", path]);
    assert_exit(&pass, 0);
    let fail = stress_bin(&["run", path, "--set", "want=0%"]);
    assert_exit(&fail, 1);
    let err = String::from_utf8_lossy(&fail.stderr);
    assert!(err.contains("stress::slo::violated"), "{err}");
    assert!(err.contains("outcome(failed)"), "{err}");
}

// ── Rules ─────────────────────────────────────────────────────────────

/// `nth_call([0, 2], 503)` with 5 calls and no retry: exactly 2 failures, at calls 0 and 2.
/// `burst(start: 3, length: 4, …)`: calls 3–6. `when call % 10 == 0`: calls 0, 10, 20.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_fire_on_exactly_their_calls() {
    let s = server().await;
    let plan = plan_of(&format!(
        r#"
target api = "{url}"
workload w {{ request call: get api "/ok" {{ timeout 20ms }} }}
scenario flaky       {{ nth_call([0, 2], 503) }}
scenario outage      {{ burst(start: 3, length: 4, fault: 503) }}
scenario every_tenth {{ when call % 10 == 0 => timeout }}
test "nth" {{
  workload w
  profile {{ users 1, iterations 5 }}
  scenarios flaky
  slo {{ count(status == 503) == 2  outcome(failed) == 40%  count(injected) == 2 }}
}}
test "burst" {{
  workload w
  profile {{ users 2, iterations 6 }}
  scenarios outage
  slo {{ count(call >= 3 && call < 7 && status == 503) == 4  count(status == 503) == 4 }}
}}
test "when" {{
  workload w
  profile {{ users 3, iterations 9 }}
  scenarios every_tenth
  slo {{ count(fault == timeout) == 3  outcome(timeout) > 100% / 9 - 0.1%  outcome(timeout) < 100% / 9 + 0.1% }}
}}
"#,
        url = s.url
    ));
    let nth = run_test(&plan, 0).await;
    nth.assert_slos_pass();
    let failed: BTreeSet<u64> = nth
        .attempts_of(0)
        .iter()
        .filter(|a| a.failed)
        .map(|a| a.call)
        .collect();
    assert_eq!(failed, BTreeSet::from([0, 2]));
    assert_eq!(nth.injected_calls(0), BTreeSet::from([0, 2]));
    let burst = run_test(&plan, 1).await;
    burst.assert_slos_pass();
    assert_eq!(burst.injected_calls(0), (3..7).collect());
    let when = run_test(&plan, 2).await;
    when.assert_slos_pass();
    assert_eq!(when.injected_calls(0), BTreeSet::from([0, 10, 20]));
}

/// The decision for call k depends only on (seed, scenario name, k): the same calls fault at
/// 1 user or 50, retries included (they are calls too); another seed gives another pattern.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probabilistic_rules_same_seed_same_calls_at_1_or_50_users_retries_included() {
    let s = server().await;
    let plan = plan_of(&format!(
        r#"
target api = "{url}"
workload w {{
  retry {{ attempts 50  on 5xx  backoff constant(1ms)  jitter none }}
  request call: get api "/ok" {{ check status == 200 }}
}}
scenario high_503s {{ error_rate(30%, 503) }}
test "one" {{
  workload w
  profile {{ users 1, iterations 100 }}
  scenarios high_503s
  seed 7
}}
test "fifty" {{
  workload w
  profile {{ users 50, iterations 2 }}
  scenarios high_503s
  seed 7
}}
"#,
        url = s.url
    ));
    let one = run_test(&plan, 0).await;
    let fifty = run_test(&plan, 1).await;
    let pattern = one.injected_calls(0);
    assert!(
        (10..60).contains(&pattern.len()),
        "about 30% of ~140 calls: {}",
        pattern.len()
    );
    assert_eq!(pattern, fifty.injected_calls(0));
    assert_eq!(one.attempts.len(), fifty.attempts.len());
    assert_eq!(one.attempts.len(), 100 + pattern.len());
    let retries = |r: &Ran| r.iterations.iter().map(|i| i.retries).sum::<u32>() as usize;
    assert_eq!(retries(&one), pattern.len());
    assert_eq!(retries(&fifty), pattern.len());
    assert!(one.iterations.iter().all(|i| i.outcome == Outcome::Success));

    let reseeded = RunOptions {
        seed: Some(8),
        ..RunOptions::default()
    };
    let other = try_run(&plan, 0, &reseeded).await.unwrap();
    assert_eq!(other.summary.seed, 8);
    assert_ne!(
        other.injected_calls(0),
        pattern,
        "--seed changes the pattern"
    );
    let again = run_test(&plan, 0).await;
    assert_eq!(again.injected_calls(0), pattern, "same seed, same pattern");
}

/// `a + b` keeps the rules in order and the first rule that fires wins; the attempt records
/// which rule fired (numbered across the composition).
#[tokio::test(start_paused = true)]
async fn composition_keeps_rule_order_and_the_first_rule_that_fires_wins() {
    let plan = plan_of(&format!(
        r#"
target api = "{NOWHERE}"
workload w {{ request call: get api "/" }}
scenario a     {{ nth_call([0, 1], 503) }}
scenario b     {{ nth_call([1, 2], 429) }}
scenario rest  {{ error_rate(100%, connection_error) }}
scenario mixed = a + b + rest
test "t" {{
  workload w
  profile {{ users 1, iterations 4 }}
  scenarios mixed, b + a + rest
}}
"#
    ));
    let names: Vec<&str> = plan.tests[0]
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, vec!["mixed", "b+a+rest"]);
    let ran = run_test(&plan, 0).await;
    let seen = |s: usize| -> Vec<(u64, usize, Option<u16>, Option<ErrorClass>)> {
        ran.attempts_of(s)
            .iter()
            .map(|a| (a.call, a.injected.as_ref().unwrap().rule, a.status, a.error))
            .collect()
    };
    let conn = Some(ErrorClass::Connect);
    let status = Some(ErrorClass::Status);
    assert_eq!(
        seen(0),
        vec![
            (0, 0, Some(503), status),
            (1, 0, Some(503), status), // both a and b fire: a comes first
            (2, 1, Some(429), status),
            (3, 2, None, conn),
        ]
    );
    assert_eq!(
        seen(1),
        vec![
            (0, 1, Some(503), status),
            (1, 0, Some(429), status), // b + a: b wins
            (2, 0, Some(429), status),
            (3, 2, None, conn),
        ]
    );
}

/// An injected 503 goes through checks, retries, outcomes and metrics exactly as a real one;
/// the only difference in the record is `injected` (with the rule that fired).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_503_is_recorded_like_a_real_one_but_marked_injected() {
    let s = server().await;
    let plan = plan_of(&format!(
        r#"
target api = "{url}"
workload w {{
  retry {{ attempts 2  on 5xx  backoff constant(1ms)  jitter none }}
  request call: get api "/status/503" {{ check status == 200 }}
}}
scenario injected {{ error_rate(100%, 503) }}
test "t" {{
  workload w
  profile {{ users 1, iterations 2 }}
  scenarios injected, real
  slo {{
    count(status == 503) == 6
    error_rate == 100%
    outcome(failed) == 100%
    retries_by(503) == 4
    p50(retries) == 2
  }}
}}
scenario real {{ }}
"#,
        url = s.url
    ));
    let ran = run_test(&plan, 0).await;
    ran.assert_slos_pass();
    assert_eq!(s.hits(), 6, "only the real scenario reached the server");
    let shape = |a: &&Attempt| (a.call, a.attempt, a.status, a.error, a.failed);
    let injected: Vec<_> = ran.attempts_of(0).iter().map(shape).collect();
    let real: Vec<_> = ran.attempts_of(1).iter().map(shape).collect();
    assert_eq!(injected, real);
    assert!(ran.attempts_of(0).iter().all(|a| {
        a.injected.as_ref().is_some_and(|i| {
            i.rule == 0
                && i.fault
                    == Some(Fault::Status {
                        status: 503,
                        retry_after: None,
                    })
        })
    }));
    assert!(ran.attempts_of(1).iter().all(|a| a.injected.is_none()));
    let outline = |i: &&Iteration| (i.outcome, i.retries, i.retries_by.clone());
    assert_eq!(
        ran.iterations_of(0).iter().map(outline).collect::<Vec<_>>(),
        ran.iterations_of(1).iter().map(outline).collect::<Vec<_>>()
    );
}

/// An injected delay counts against the request's timeout, as a slow provider's would: a
/// delay that reaches the timeout ends the attempt as a timeout at the timeout. A `timeout`
/// fault of `latency_error` lasts its own delay (§9.8).
#[tokio::test(start_paused = true)]
async fn an_injected_delay_counts_against_the_request_timeout() {
    let plan = plan_of(&format!(
        r#"
target api = "{NOWHERE}"
workload w {{ request call: get api "/" {{ timeout 500ms }} }}
scenario slow      {{ latency(100%, 2s) }}
scenario slow_503  {{ latency_error(100%, 2s, 503) }}
scenario long_stall {{ latency_error(100%, 2s, timeout) }}
test "t" {{
  workload w
  profile {{ users 1, iterations 2 }}
  scenarios slow, slow_503, long_stall
  slo {{
    outcome(timeout) == 100%
    scenario slow: max(latency) == 500ms
    scenario slow_503: max(latency) == 500ms
    scenario long_stall: min(latency) == 2s
  }}
}}
"#
    ));
    let ran = run_test(&plan, 0).await;
    ran.assert_slos_pass();
    for a in &ran.attempts {
        assert_eq!((a.status, a.error), (None, Some(ErrorClass::Timeout)));
        assert!(a.injected.is_some());
    }
}

// ── Retries and budgets ───────────────────────────────────────────────

/// Gaps between one iteration's attempts (ms): from an attempt's end to the next one's send.
fn gaps_ms(ran: &Ran, scenario: usize, user: u32, iteration: u64) -> Vec<u64> {
    let attempts: Vec<&Attempt> = ran
        .attempts_of(scenario)
        .into_iter()
        .filter(|a| a.user == user && a.iteration == iteration)
        .collect();
    attempts
        .windows(2)
        .map(|w| (w[1].sent_us - w[0].done_us) / 1000)
        .collect()
}

/// Backoff schedules on tokio's paused clock: every attempt is injected, so the waits are
/// exactly the policy's.
#[tokio::test(start_paused = true)]
async fn backoff_schedules_on_the_paused_clock() {
    let text = |backoff: &str, attempts: u32| {
        format!(
            r#"
target api = "{NOWHERE}"
workload w {{
  retry {{ attempts {attempts}  on 5xx  {backoff} }}
  request call: get api "/"
}}
scenario down {{ error_rate(100%, 503) }}
test "t" {{
  workload w
  profile {{ users 2, iterations 2 }}
  scenarios down
  slo {{ max(retries) == {attempts}  outcome(failed) == 100% }}
}}
"#
        )
    };
    let cases: Vec<(&str, u32, Vec<u64>)> = vec![
        (
            "backoff constant(100ms) jitter none",
            3,
            vec![100, 100, 100],
        ),
        (
            "backoff linear(100ms, step: 50ms) jitter none",
            3,
            vec![100, 150, 200],
        ),
        (
            "backoff exponential(100ms, factor: 2, max: 300ms) jitter none",
            4,
            vec![100, 200, 300, 300],
        ),
        // The defaults (§9.3) but without jitter: exponential(100ms, factor: 2, max: 10s).
        ("jitter none", 3, vec![100, 200, 400]),
    ];
    for (backoff, attempts, want) in cases {
        let ran = run_test(&plan_of(&text(backoff, attempts)), 0).await;
        ran.assert_slos_pass();
        for (user, iteration) in [(0, 0), (1, 1)] {
            assert_eq!(gaps_ms(&ran, 0, user, iteration), want, "{backoff}");
        }
        let calls: Vec<u64> = ran.attempts_of(0).iter().map(|a| a.call).collect();
        let n = 4 * (u64::from(attempts) + 1);
        assert_eq!(calls, (0..n).collect::<Vec<_>>(), "retries are calls");
    }

    // Jitter: full in [0, d], equal in [d/2, d]; seeded, so a rerun waits the same.
    for (jitter, low) in [("full", 0), ("equal", 200)] {
        let plan = plan_of(&text(
            &format!("backoff constant(400ms) jitter {jitter}"),
            5,
        ));
        let ran = run_test(&plan, 0).await;
        let all: Vec<u64> = (0..2)
            .flat_map(|u| (0..2).map(move |i| (u, i)))
            .flat_map(|(u, i)| gaps_ms(&ran, 0, u, i))
            .collect();
        assert_eq!(all.len(), 20);
        assert!(
            all.iter().all(|g| (low..=400).contains(g)),
            "{jitter}: {all:?}"
        );
        assert!(
            all.iter().collect::<BTreeSet<_>>().len() > 1,
            "{jitter} varies"
        );
        let again = run_test(&plan, 0).await;
        assert_eq!(gaps_ms(&again, 0, 1, 1), gaps_ms(&ran, 0, 1, 1));
    }
}

/// `429 retry_after 2s` answers with a `Retry-After` header and, under `respect retry_after`
/// (the default), the next attempt waits exactly 2 s instead of the backoff; `ignore
/// retry_after` waits the backoff.
#[tokio::test(start_paused = true)]
async fn injected_retry_after_sets_the_header_and_delays_the_next_attempt() {
    let plan = plan_of(&format!(
        r#"
target api = "{NOWHERE}"
workload respects {{
  retry {{ attempts 1  on 429, 5xx  backoff constant(10ms)  jitter none }}
  request call: get api "/" {{
    capture told = header("retry-after") == "2"
  }}
}}
workload ignores {{
  retry {{ attempts 1  on 429, 5xx  backoff constant(10ms)  jitter none  ignore retry_after }}
  request call: get api "/"
}}
scenario limited {{ nth_call([0], 429 retry_after 2s)  error_rate(100%, 503) }}
test "respects" {{
  workload respects
  profile {{ users 1, iterations 1 }}
  scenarios limited
  slo {{ retries_by(429) == 1  rate(told) == 50% }}
}}
test "ignores" {{
  workload ignores
  profile {{ users 1, iterations 1 }}
  scenarios limited
}}
"#
    ));
    let respects = run_test(&plan, 0).await;
    respects.assert_slos_pass();
    assert_eq!(gaps_ms(&respects, 0, 0, 0), vec![2000]);
    let first = respects.attempts_of(0)[0];
    assert_eq!(first.status, Some(429));
    assert_eq!(first.captures, vec![(0, CaptureValue::Bool(true))]);
    let ignores = run_test(&plan, 1).await;
    assert_eq!(gaps_ms(&ignores, 0, 0, 0), vec![10]);
}

/// A time budget crossed while a retry is pending ends the iteration as `budget_exceeded`
/// and counts once more, per iteration, as `budget_exceeded_during_retry`; one crossed during
/// a first attempt does not.
#[tokio::test(start_paused = true)]
async fn a_budget_crossed_while_retrying_counts_once_as_during_retry() {
    let plan = plan_of(&format!(
        r#"
target api = "{NOWHERE}"
workload w {{
  retry {{ attempts 10  on 5xx  backoff constant(100ms)  jitter none }}
  budget {{ time 250ms }}
  request call: get api "/" {{ timeout 1s }}
}}
scenario storm {{ error_rate(100%, 503) }}
scenario stall {{ error_rate(100%, timeout) }}
test "t" {{
  workload w
  profile {{ users 2, iterations 2 }}
  scenarios storm, stall
  slo {{
    budget_exceeded == 100%
    outcome(budget_exceeded) == 100%
    outcome(budget_exceeded) + outcome(success) + outcome(failed) + outcome(timeout) == 100%
    max(duration) == 250ms
    scenario storm: budget_exceeded_during_retry == 100%
    scenario storm: p50(retries) == 3
    scenario storm: retries_by(5xx) == 12
    scenario stall: budget_exceeded_during_retry == 0%
  }}
}}
"#
    ));
    let ran = run_test(&plan, 0).await;
    ran.assert_slos_pass();
    assert_eq!(ran.iterations.len(), 8);
    for i in ran.iterations_of(0) {
        assert_eq!(
            (i.outcome, i.budget_exceeded_during_retry),
            (Outcome::BudgetExceeded, true)
        );
        // Attempts at 0, 100 and 200 ms; the third retry was pending when the budget ran out.
        assert_eq!(i.retries, 3);
    }
    assert_eq!(ran.attempts_of(0).len(), 4 * 3);
}

/// The cost budget: `capture cost` is summed per iteration, and a retry that pushes it over
/// the budget ends the iteration as `budget_exceeded`, during retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cost_budget_crossed_by_a_retry_counts_as_during_retry() {
    let s = server().await;
    let plan = plan_of(&format!(
        r#"
target api = "{url}"
workload w {{
  retry {{ attempts 5  on 5xx  backoff constant(1ms)  jitter none }}
  budget {{ cost $0.015 }}
  request call: get api "/costly503" {{
    check status == 200
    capture cost = json.usage.cost
  }}
}}
test "t" {{
  workload w
  profile {{ users 1, iterations 3 }}
  slo {{
    budget_exceeded_during_retry == 100%
    outcome(budget_exceeded) == 100%
    p50(cost) >= $0.0199
    p99(cost) <= $0.0201
    p95(retries) == 1
    retries_by(5xx) == 3
  }}
}}
"#,
        url = s.url
    ));
    let ran = run_test(&plan, 0).await;
    ran.assert_slos_pass();
    assert_eq!(s.hits(), 6);
}

/// `retries_by(5xx)` counts the retries caused by 503 (the engine records the actual status;
/// the class matches it), and the retry/cost/duration metrics are per `scenario NAME:`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_by_5xx_counts_503_retries_and_metrics_are_per_scenario() {
    let s = server().await;
    let plan = plan_of(&format!(
        r#"
target api = "{url}"
workload w {{
  retry {{ attempts 5  on 429, 5xx  backoff constant(1ms)  jitter none }}
  request call: get api "/ok" {{
    check status == 200
    capture cost = json.usage.cost
  }}
}}
scenario outage {{ burst(start: 0, length: 3, fault: 503) }}
scenario limited {{ nth_call([0], 429) }}
test "t" {{
  workload w
  profile {{ users 1, iterations 4 }}
  scenarios outage, limited, baseline
  slo {{
    success_rate == 100%
    p50(cost) >= $0.0099
    p99(cost) <= $0.0101
    scenario outage: retries_by(5xx) == 3
    scenario outage: retries_by(503) == 3
    scenario outage: retries_by(4xx) == 0
    scenario outage: retries_by(429) == 0
    scenario outage: p99(retries) == 3
    scenario outage: p50(retries) == 0
    scenario limited: retries_by(429) == 1
    scenario limited: retries_by(4xx) == 1
    scenario limited: retries_by(5xx) == 0
    scenario limited: max(retries) == 1
    scenario baseline: max(retries) == 0
    scenario outage: count(fault == 503) == 3
    scenario outage: p95(duration) < 5s
  }}
}}
scenario baseline {{ }}
"#,
        url = s.url
    ));
    let ran = run_test(&plan, 0).await;
    ran.assert_slos_pass();
    let outage = ran.iterations_of(0);
    assert_eq!(outage[0].retries_by, vec![(RetryOn::Status(503), 3)]);
}

/// `status == 5xx` and `fault == 5xx` match any 5xx status (lowered to a status class, see
/// `eval::tests::status_classes_match_statuses_and_status_faults`).
#[tokio::test(start_paused = true)]
async fn status_classes_in_count_predicates() {
    let plan = plan_of(&format!(
        r#"
target api = "{NOWHERE}"
workload w {{ request call: get api "/" }}
scenario down {{ error_rate(100%, 503) }}
test "t" {{
  workload w
  profile {{ users 1, iterations 4 }}
  scenarios down
  slo {{ count(status == 5xx) == 4  count(fault == 5xx) == 4  count(status != 4xx) == 4 }}
}}
"#
    ));
    run_test(&plan, 0).await.assert_slos_pass();
}

// ── --scenario ────────────────────────────────────────────────────────

/// `--scenario NAME` runs that scenario only, with the same fault pattern it has in the full
/// run (its call counter starts at 0 either way).
#[tokio::test(start_paused = true)]
async fn scenario_filter_runs_one_scenario_with_its_own_pattern() {
    let plan = plan_of(&format!(
        r#"
target api = "{NOWHERE}"
workload w {{ request call: get api "/" }}
scenario a {{ error_rate(30%, 503)  error_rate(100%, 429) }}
scenario b {{ error_rate(30%, 503)  error_rate(100%, 429) }}
test "t" {{
  workload w
  profile {{ users 1, iterations 30 }}
  scenarios a, b
}}
"#
    ));
    let full = run_test(&plan, 0).await;
    let only_b = RunOptions {
        scenario_filter: Some("b".into()),
        ..RunOptions::default()
    };
    let filtered = try_run(&plan, 0, &only_b).await.unwrap();
    let names: Vec<&str> = filtered
        .summary
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, vec!["b"]);
    assert!(filtered.attempts.iter().all(|a| a.scenario == 1));
    let s503 = |r: &Ran| -> BTreeSet<u64> {
        r.attempts_of(1)
            .iter()
            .filter(|a| a.status == Some(503))
            .map(|a| a.call)
            .collect()
    };
    assert_eq!(s503(&full), s503(&filtered));
    assert!(!s503(&full).is_empty());
}

#[test]
fn scenario_flag_runs_one_scenario_through_the_binary() {
    let path = temp_file(
        "one.stress",
        r#"target llm mock { api openai }
workload w {
  request chat: post llm "/v1/chat/completions" { json { messages: [] } }
}
scenario calm {}
scenario outage { nth_call([0], 503) }
test "t" {
  workload w
  profile { users 1, iterations 3 }
  scenarios calm, outage
  slo { scenario outage: count(fault == 503) == 1 }
}
"#,
    );
    let out = stress_bin(&["run", path.to_str().unwrap(), "--scenario", "outage"]);
    assert_exit(&out, 0);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("=== scenario outage"), "{report}");
    assert!(!report.contains("=== scenario calm"), "{report}");
}
