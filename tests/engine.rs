//! Engine end to end: hand-built plans run against an axum server on 127.0.0.1:0 that counts
//! what it receives. Runs are small (tens of requests) and short (well under 2 s each); timing
//! assertions use lower bounds only.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;

use stress::ast::BinaryOp;
use stress::engine::{RunError, RunOptions, RunSummary, Sink, run};
use stress::metrics::{Attempt, CaptureValue, ErrorClass, Iteration};
use stress::plan::*;
use stress::units::{Duration, Money};

// ── Test server ───────────────────────────────────────────────────────

#[derive(Default)]
struct Hits {
    total: AtomicU64,
    flaky: AtomicU64,
    poll: AtomicU64,
}

struct Server {
    url: String,
    hits: Arc<Hits>,
}

impl Server {
    fn total(&self) -> u64 {
        self.hits.total.load(Ordering::SeqCst)
    }
}

async fn server() -> Server {
    let hits = Arc::new(Hits::default());
    let app = Router::new()
        .route("/ok", get(ok))
        .route("/status/{code}", get(status))
        .route("/flaky", get(flaky))
        .route("/slow", get(slow))
        .route("/poll", get(poll))
        .route("/echo", get(echo))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        url: format!("http://{addr}"),
        hits,
    }
}

async fn ok(State(hits): State<Arc<Hits>>) -> impl IntoResponse {
    let n = hits.total.fetch_add(1, Ordering::SeqCst);
    (
        [("x-cache", "HIT")],
        axum::Json(serde_json::json!({ "n": n, "usage": { "tokens": 7, "cost": 0.01 } })),
    )
}

async fn status(State(hits): State<Arc<Hits>>, Path(code): Path<u16>) -> impl IntoResponse {
    hits.total.fetch_add(1, Ordering::SeqCst);
    StatusCode::from_u16(code).unwrap()
}

/// 429 with `retry-after: 0` on the first call, 200 after.
async fn flaky(State(hits): State<Arc<Hits>>) -> axum::response::Response {
    hits.total.fetch_add(1, Ordering::SeqCst);
    if hits.flaky.fetch_add(1, Ordering::SeqCst) == 0 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "0")],
            "slow down",
        )
            .into_response()
    } else {
        "ok".into_response()
    }
}

async fn slow(State(hits): State<Arc<Hits>>) -> &'static str {
    hits.total.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    "done"
}

/// `pending` twice, then `complete`.
async fn poll(State(hits): State<Arc<Hits>>) -> impl IntoResponse {
    hits.total.fetch_add(1, Ordering::SeqCst);
    let state = if hits.poll.fetch_add(1, Ordering::SeqCst) < 2 {
        "pending"
    } else {
        "complete"
    };
    axum::Json(serde_json::json!({ "state": state }))
}

/// Echoes the query string and the `x-tenant` header.
async fn echo(
    State(hits): State<Arc<Hits>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> impl IntoResponse {
    hits.total.fetch_add(1, Ordering::SeqCst);
    let tenant = headers
        .get("x-tenant")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    axum::Json(serde_json::json!({ "query": uri.query().unwrap_or(""), "tenant": tenant }))
}

// ── Plans by hand ─────────────────────────────────────────────────────

fn request(name: &str, step: usize, path: &str) -> Request {
    Request {
        name: name.into(),
        step,
        method: "get".into(),
        target: "api".into(),
        path: Expr::Str(path.into()),
        headers: vec![],
        query: None,
        body: Body::None,
        timeout: Duration::from_millis(5000),
        checks: vec![],
        check_texts: vec![],
        captures: vec![],
        retry: None,
        on_failure: OnFailure::Stop,
    }
}

fn workload(steps: Vec<Step>, step_names: &[&str], captures: &[&str]) -> Workload {
    Workload {
        name: "w".into(),
        steps,
        retry: None,
        budget: Budget::default(),
        step_names: step_names.iter().map(|s| s.to_string()).collect(),
        captures: captures.iter().map(|s| s.to_string()).collect(),
        money_captures: vec![false; captures.len()],
        duration_captures: vec![],
    }
}

fn stage(kind: StageKind) -> Stage {
    Stage {
        kind,
        phase: None,
        limit: None,
    }
}

fn iterations(users: u32, iterations: u64) -> Vec<Stage> {
    vec![stage(StageKind::Iterations { users, iterations })]
}

fn scenario(name: &str, rules: Vec<FaultRule>) -> Scenario {
    Scenario {
        name: name.into(),
        parts: vec![name.into()],
        rules,
    }
}

fn rule(when: RuleWhen, fault: Option<Fault>) -> FaultRule {
    FaultRule {
        label: "rule".into(),
        when,
        delay: None,
        fault,
    }
}

fn plan(url: &str, workload: Workload, stages: Vec<Stage>, scenarios: Vec<Scenario>) -> Plan {
    Plan {
        schema_version: SCHEMA_VERSION,
        file: "test.stress".into(),
        targets: vec![Target {
            name: "api".into(),
            kind: TargetKind::Url(url.into()),
            scrape: None,
        }],
        data: vec![],
        services: vec![],
        workloads: vec![workload],
        tests: vec![Test {
            name: "t".into(),
            workload: 0,
            profile: Profile {
                stages,
                phases: vec![],
            },
            scenarios,
            inject: Inject::Client,
            seed: Some(42),
            services: vec![],
            chaos: None,
            slos: vec![],
            aborts: vec![],
        }],
        proxies: vec![],
    }
}

fn bin(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    }
}

fn status_is(code: f64) -> Expr {
    bin(
        BinaryOp::Eq,
        Expr::Response(ResponseField::Status),
        Expr::Number(code),
    )
}

fn json(path: &[&str]) -> Expr {
    path.iter()
        .fold(Expr::Response(ResponseField::Json), |e, f| {
            Expr::Field(Box::new(e), f.to_string())
        })
}

// ── Running ───────────────────────────────────────────────────────────

#[derive(Default)]
struct Collect {
    attempts: Vec<Attempt>,
    iterations: Vec<Iteration>,
    dropped: Vec<u64>,
}

impl Sink for Collect {
    fn attempt(&mut self, a: Attempt) {
        self.attempts.push(a);
    }
    fn iteration(&mut self, i: Iteration) {
        self.iterations.push(i);
    }
    fn dropped(&mut self, _scenario: usize, _phase: Option<usize>, at_us: u64) {
        self.dropped.push(at_us);
    }
}

async fn go(plan: &Plan) -> (Result<RunSummary, RunError>, Collect) {
    let mut sink = Collect::default();
    let result = run(plan, 0, &RunOptions::default(), &mut sink).await;
    (result, sink)
}

fn injected_calls(c: &Collect) -> BTreeSet<u64> {
    c.attempts
        .iter()
        .filter(|a| a.injected.is_some())
        .map(|a| a.call)
        .collect()
}

mod faults;
mod shapes;
mod transport;

// ── Tests ─────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_users_times_iterations_is_exact() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(3, 4),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    let summary = result.unwrap();
    assert_eq!(s.total(), 12);
    assert_eq!(c.attempts.len(), 12);
    assert_eq!(summary.scenarios[0].iterations, 12);
    assert!(c.iterations.iter().all(|i| i.outcome == Outcome::Success));
    for user in 0..3 {
        let mut seen: Vec<u64> = c
            .iterations
            .iter()
            .filter(|i| i.user == user)
            .map(|i| i.iteration)
            .collect();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3], "user {user}");
    }
    let calls: BTreeSet<u64> = c.attempts.iter().map(|a| a.call).collect();
    assert_eq!(calls, (0..12).collect());
    assert!(
        c.attempts
            .iter()
            .all(|a| a.status == Some(200) && !a.failed && a.done_us >= a.sent_us)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_checks_fail_requests_and_iterations() {
    let s = server().await;
    let mut r = request("r", 0, "/ok");
    r.checks = vec![
        status_is(200.0),
        bin(BinaryOp::Eq, json(&["usage", "tokens"]), Expr::Number(8.0)),
    ];
    let w = workload(
        vec![Step::Request(r), Step::Request(request("after", 1, "/ok"))],
        &["r", "after"],
        &[],
    );
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 3),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    assert_eq!(
        c.attempts.len(),
        3,
        "the failed request ends each iteration"
    );
    assert!(
        c.attempts
            .iter()
            .all(|a| a.failed && a.error == Some(ErrorClass::Check) && a.status == Some(200))
    );
    assert!(c.iterations.iter().all(|i| i.outcome == Outcome::Failed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_400_without_check_fails_but_a_check_can_accept_it() {
    let s = server().await;
    let plain = request("plain", 0, "/status/404");
    let mut accepted = request("accepted", 1, "/status/404");
    accepted.checks = vec![status_is(404.0)];
    let mut cont = plain.clone();
    cont.on_failure = OnFailure::Continue;
    let w = workload(
        vec![Step::Request(cont), Step::Request(accepted)],
        &["plain", "accepted"],
        &[],
    );
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 1),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    assert_eq!(c.attempts.len(), 2, "on failure continue goes on");
    assert_eq!(
        (c.attempts[0].failed, c.attempts[0].error),
        (true, Some(ErrorClass::Status))
    );
    assert_eq!((c.attempts[1].failed, c.attempts[1].error), (false, None));
    assert_eq!(c.iterations[0].outcome, Outcome::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_and_cost_per_iteration() {
    let s = server().await;
    let mut r = request("r", 0, "/ok");
    r.captures = vec![
        (0, json(&["usage", "tokens"])),
        (
            1,
            bin(
                BinaryOp::Eq,
                Expr::Response(ResponseField::Header(Box::new(Expr::Str("x-cache".into())))),
                Expr::Str("HIT".into()),
            ),
        ),
        (2, json(&["usage", "cost"])),
    ];
    let repeat = Step::Repeat {
        count: Expr::Number(2.0),
        var: Some("i".into()),
        steps: vec![Step::Request(r)],
    };
    let w = workload(vec![repeat], &["r"], &["tokens", "cached", "cost"]);
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 2),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    assert_eq!(c.attempts.len(), 4);
    for a in &c.attempts {
        assert_eq!(
            a.captures,
            vec![
                (0, CaptureValue::Number(7.0)),
                (1, CaptureValue::Bool(true)),
                (2, CaptureValue::Number(0.01))
            ]
        );
    }
    for i in &c.iterations {
        assert!((i.cost - 0.02).abs() < 1e-9, "cost {}", i.cost);
        assert_eq!(i.step_durations_us.len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_repeats_until_the_condition_holds() {
    let s = server().await;
    let until = bin(BinaryOp::Eq, json(&["state"]), Expr::Str("complete".into()));
    let poll = Poll {
        request: request("status", 0, "/poll"),
        every: Duration::from_millis(10),
        until,
        within: Duration::from_millis(2000),
    };
    let w = workload(vec![Step::Poll(poll)], &["status"], &[]);
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 1),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    assert_eq!(c.attempts.len(), 3);
    let it = &c.iterations[0];
    assert_eq!(it.outcome, Outcome::Success);
    assert!(it.step_durations_us[0].1 >= 20_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_queries_headers_and_vu_variables_reach_the_server() {
    let s = server().await;
    let mut r = request("echo", 0, "/echo");
    r.path = Expr::Template(vec![Expr::Str("echo".into())]);
    r.query = Some(Expr::Object(vec![
        ("q".into(), Expr::Str("a b".into())),
        ("n".into(), Expr::Var("n".into())),
    ]));
    r.headers = vec![(
        Expr::Str("x-tenant".into()),
        Expr::Template(vec![Expr::Str("t-".into()), Expr::Builtin(Builtin::User)]),
    )];
    r.checks = vec![
        bin(
            BinaryOp::Eq,
            json(&["query"]),
            Expr::Str("q=a+b&n=1".into()),
        ),
        bin(BinaryOp::Eq, json(&["tenant"]), Expr::Str("t-0".into())),
    ];
    let set = Step::Set {
        var: "n".into(),
        value: Expr::Number(1.0),
    };
    let w = workload(vec![set, Step::Request(r)], &["echo"], &[]);
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 1),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    assert!(!c.attempts[0].failed, "{:?}", c.attempts[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_make_the_target_unreachable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let (result, c) = go(&plan(
        &url,
        w,
        iterations(2, 2),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    match result {
        Err(RunError::Unreachable { target, url: got }) => {
            assert_eq!((target.as_str(), got), ("api", url))
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(
        c.attempts
            .iter()
            .all(|a| a.error == Some(ErrorClass::Connect))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_sets_feed_requests_and_unknown_scenarios_are_errors() {
    let s = server().await;
    let dir = std::env::temp_dir().join(format!("stress-engine-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("words.txt"), "alpha\nbeta\n").unwrap();
    let mut r = request("echo", 0, "/echo");
    let next = Expr::Call {
        func: Func::Next,
        args: vec![Expr::Data("words".into())],
    };
    r.query = Some(Expr::Object(vec![("w".into(), next)]));
    let w = workload(vec![Step::Request(r)], &["echo"], &[]);
    let mut p = plan(
        &s.url,
        w,
        iterations(1, 2),
        vec![scenario("baseline", vec![])],
    );
    p.data = vec![DataSet {
        name: "words".into(),
        format: "lines".into(),
        path: "words.txt".into(),
    }];
    let opts = RunOptions {
        base_dir: dir.clone(),
        ..RunOptions::default()
    };
    let mut sink = Collect::default();
    run(&p, 0, &opts, &mut sink).await.unwrap();
    assert_eq!(sink.attempts.len(), 2);
    let missing = RunOptions {
        base_dir: dir.join("nope"),
        ..RunOptions::default()
    };
    assert!(matches!(
        run(&p, 0, &missing, &mut Collect::default()).await,
        Err(RunError::Data { .. })
    ));
    let filtered = RunOptions {
        scenario_filter: Some("nope".into()),
        base_dir: dir.clone(),
        ..RunOptions::default()
    };
    assert!(matches!(
        run(&p, 0, &filtered, &mut Collect::default()).await,
        Err(RunError::UnknownScenario { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_run_future_is_send() {
    fn is_send<T: Send>(_: &T) {}
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let p = plan(
        "http://127.0.0.1:1",
        w,
        iterations(1, 1),
        vec![scenario("baseline", vec![])],
    );
    let (opts, mut sink) = (RunOptions::default(), Collect::default());
    let future = run(&p, 0, &opts, &mut sink);
    is_send(&future);
}
