//! Client-side fault injection, retries and budgets, end to end: which calls fail, what they
//! look like, and that the pattern depends only on (seed, scenario, call number).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nth_call_fails_exactly_the_listed_calls() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let nth = rule(
        RuleWhen::Calls(vec![0, 2]),
        Some(Fault::Status {
            status: 503,
            retry_after: None,
        }),
    );
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 5),
        vec![scenario("flaky", vec![nth])],
    ))
    .await;
    result.unwrap();
    let failed: BTreeSet<u64> = c
        .attempts
        .iter()
        .filter(|a| a.failed)
        .map(|a| a.call)
        .collect();
    assert_eq!(failed, BTreeSet::from([0, 2]));
    assert_eq!(injected_calls(&c), BTreeSet::from([0, 2]));
    assert!(
        c.attempts
            .iter()
            .filter(|a| a.failed)
            .all(|a| a.status == Some(503))
    );
    assert_eq!(s.total(), 3, "injected faults never reach the network");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_covers_its_calls() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let burst = rule(
        RuleWhen::Burst {
            start: 3,
            length: 4,
        },
        Some(Fault::Status {
            status: 503,
            retry_after: None,
        }),
    );
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(2, 5),
        vec![scenario("outage", vec![burst])],
    ))
    .await;
    result.unwrap();
    assert_eq!(injected_calls(&c), BTreeSet::from([3, 4, 5, 6]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_fault_pattern_whatever_the_concurrency() {
    let s = server().await;
    let rate = rule(
        RuleWhen::Probability(0.3),
        Some(Fault::Status {
            status: 429,
            retry_after: None,
        }),
    );
    let mut patterns = Vec::new();
    for (users, its) in [(1, 40), (5, 8)] {
        let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
        let (result, c) = go(&plan(
            &s.url,
            w,
            iterations(users, its),
            vec![scenario("high_429s", vec![rate.clone()])],
        ))
        .await;
        result.unwrap();
        assert_eq!(c.attempts.len(), 40);
        patterns.push(injected_calls(&c));
    }
    assert_eq!(patterns[0], patterns[1]);
    assert!(!patterns[0].is_empty() && patterns[0].len() < 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_fault_lasts_the_request_timeout() {
    let s = server().await;
    let mut r = request("r", 0, "/ok");
    r.timeout = Duration::from_millis(50);
    let w = workload(vec![Step::Request(r)], &["r"], &[]);
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 2),
        vec![scenario(
            "stalls",
            vec![rule(RuleWhen::Probability(1.0), Some(Fault::Timeout))],
        )],
    ))
    .await;
    result.unwrap();
    assert_eq!(s.total(), 0);
    for a in &c.attempts {
        assert!(a.latency_us() >= 50_000, "latency {}", a.latency_us());
        assert_eq!((a.status, a.error), (None, Some(ErrorClass::Timeout)));
        assert_eq!(a.injected.as_ref().unwrap().fault, Some(Fault::Timeout));
    }
    assert!(c.iterations.iter().all(|i| i.outcome == Outcome::Timeout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_delay_is_part_of_latency() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let mut slow = rule(RuleWhen::Probability(1.0), None);
    slow.delay = Some((Duration::from_millis(30), Duration::from_millis(30)));
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 2),
        vec![scenario("slow", vec![slow])],
    ))
    .await;
    result.unwrap();
    assert_eq!(s.total(), 2);
    for a in &c.attempts {
        assert!(a.latency_us() >= 30_000);
        assert_eq!((a.status, a.failed), (Some(200), false));
        assert_eq!(a.injected.as_ref().map(|i| i.fault.clone()), Some(None));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_run_in_turn_with_their_own_call_counters() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let first = rule(RuleWhen::Calls(vec![0]), Some(Fault::ConnectionError));
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 3),
        vec![scenario("a", vec![]), scenario("b", vec![first])],
    ))
    .await;
    let summary = result.unwrap();
    assert_eq!(
        summary
            .scenarios
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        vec!["a", "b"]
    );
    let by: HashMap<usize, Vec<u64>> = c.attempts.iter().fold(HashMap::new(), |mut m, a| {
        m.entry(a.scenario).or_default().push(a.call);
        m
    });
    assert_eq!(by[&0], vec![0, 1, 2]);
    assert_eq!(by[&1], vec![0, 1, 2]);
    let injected: Vec<_> = c
        .attempts
        .iter()
        .filter(|a| a.injected.is_some())
        .map(|a| (a.scenario, a.call, a.error))
        .collect();
    assert_eq!(injected, vec![(1, 0, Some(ErrorClass::Connect))]);
    assert_eq!(summary.seed, 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_honour_retry_after() {
    let s = server().await;
    let mut r = request("r", 0, "/flaky");
    r.checks = vec![status_is(200.0)];
    r.retry = Some(RetryPolicy {
        attempts: 3,
        on: vec![RetryOn::Status(429), RetryOn::Class(5)],
        // Were Retry-After ignored, this backoff would blow the test's time bound.
        backoff: Backoff::Constant {
            delay: Duration::from_millis(5000),
        },
        jitter: Jitter::None,
        respect_retry_after: true,
    });
    let w = workload(vec![Step::Request(r)], &["r"], &[]);
    let started = std::time::Instant::now();
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 1),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(s.total(), 2);
    assert_eq!(
        c.attempts
            .iter()
            .map(|a| (a.attempt, a.status, a.failed))
            .collect::<Vec<_>>(),
        vec![(0, Some(429), true), (1, Some(200), false)]
    );
    let it = &c.iterations[0];
    assert_eq!((it.outcome, it.retries), (Outcome::Success, 1));
    assert_eq!(it.retries_by, vec![(RetryOn::Status(429), 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_budget_ends_the_iteration() {
    let s = server().await;
    let mut r = request("r", 0, "/ok");
    r.captures = vec![(0, json(&["usage", "cost"]))];
    let mut w = workload(
        vec![Step::Repeat {
            count: Expr::Number(5.0),
            var: None,
            steps: vec![Step::Request(r)],
        }],
        &["r"],
        &["cost"],
    );
    w.budget = Budget {
        time: None,
        cost: Some(Money(0.015)),
    };
    let (result, c) = go(&plan(
        &s.url,
        w,
        iterations(1, 1),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    assert_eq!(c.attempts.len(), 2);
    assert_eq!(c.iterations[0].outcome, Outcome::BudgetExceeded);
    assert!(!c.iterations[0].budget_exceeded_during_retry);
}
