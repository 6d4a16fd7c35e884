//! Load shapes end to end: open model drops, closed ramps and phases, `limit`, cancellation,
//! and a by-hand loopback throughput benchmark.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_model_drops_arrivals_when_no_vu_is_free() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/slow"))], &["r"], &[]);
    let open = stage(StageKind::Rate {
        from: 50.0,
        to: 50.0,
        duration: Duration::from_millis(200),
        max_users: 1,
    });
    let (result, c) = go(&plan(
        &s.url,
        w,
        vec![open],
        vec![scenario("baseline", vec![])],
    ))
    .await;
    let summary = result.unwrap();
    assert!(!c.dropped.is_empty());
    assert_eq!(
        c.dropped.len() as u64 + c.iterations.len() as u64,
        10,
        "every arrival is run or dropped"
    );
    assert_eq!(summary.dropped(), c.dropped.len() as u64);
    assert!(c.iterations.iter().all(|i| i.user == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_stops_promptly_and_marks_the_summary() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/slow"))], &["r"], &[]);
    let hold = stage(StageKind::Users {
        from: 2,
        to: 2,
        duration: Duration::from_millis(30_000),
    });
    let p = plan(&s.url, w, vec![hold], vec![scenario("baseline", vec![])]);
    let opts = RunOptions::default();
    let cancel = opts.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        cancel.cancel();
    });
    let started = std::time::Instant::now();
    let mut sink = Collect::default();
    let summary = run(&p, 0, &opts, &mut sink).await.unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1400),
        "took {:?}",
        started.elapsed()
    );
    assert!(summary.interrupted);
    assert!(!sink.iterations.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramps_follow_the_target_and_vus_keep_their_state_across_stages() {
    let s = server().await;
    let think = Step::Think {
        min: Duration::from_millis(20),
        max: Duration::from_millis(20),
    };
    let w = workload(
        vec![Step::Request(request("r", 0, "/ok")), think],
        &["r"],
        &[],
    );
    let ramp = Stage {
        kind: StageKind::Users {
            from: 0,
            to: 3,
            duration: Duration::from_millis(300),
        },
        phase: Some(0),
        limit: None,
    };
    let hold = Stage {
        kind: StageKind::Users {
            from: 2,
            to: 2,
            duration: Duration::from_millis(200),
        },
        phase: Some(1),
        limit: None,
    };
    let mut p = plan(
        &s.url,
        w,
        vec![ramp, hold],
        vec![scenario("baseline", vec![])],
    );
    p.tests[0].profile.phases = vec!["up".into(), "steady".into()];
    let (result, c) = go(&p).await;
    result.unwrap();
    let users_in = |phase| {
        c.iterations
            .iter()
            .filter(|i| i.phase == Some(phase))
            .map(|i| i.user)
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(users_in(0), BTreeSet::from([0, 1, 2]));
    assert_eq!(users_in(1), BTreeSet::from([0, 1]));
    // VU 0 keeps counting its iterations from one stage to the next.
    let mut mine: Vec<(u64, Option<usize>)> = c
        .iterations
        .iter()
        .filter(|i| i.user == 0)
        .map(|i| (i.iteration, i.phase))
        .collect();
    mine.sort();
    assert!(
        mine.iter().enumerate().all(|(k, (n, _))| *n == k as u64),
        "{mine:?}"
    );
    assert!(mine.first().unwrap().1 == Some(0) && mine.last().unwrap().1 == Some(1));
    // VU 2 joins the ramp later than VU 0.
    let first_start = |u| {
        c.iterations
            .iter()
            .filter(|i| i.user == u)
            .map(|i| i.started_us)
            .min()
            .unwrap()
    };
    assert!(
        first_start(2) >= 150_000,
        "VU 2 started at {}",
        first_start(2)
    );
    assert!(c.attempts.iter().all(|a| a.phase.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_spaces_iteration_starts() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let mut limited = stage(StageKind::Iterations {
        users: 4,
        iterations: 2,
    });
    limited.limit = Some(20.0);
    let (result, c) = go(&plan(
        &s.url,
        w,
        vec![limited],
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    let mut starts: Vec<u64> = c.iterations.iter().map(|i| i.started_us).collect();
    starts.sort();
    assert_eq!(starts.len(), 8);
    // Slots are 50 ms apart: the k-th start can be late (a busy machine), never early.
    assert!(
        starts
            .iter()
            .enumerate()
            .all(|(k, &at)| at + 1_000 >= k as u64 * 50_000),
        "{starts:?}"
    );
}

/// Loopback throughput, for humans: `cargo test --release --test tests throughput -- --ignored --nocapture`.

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run by hand in release mode"]
async fn throughput_on_loopback() {
    let s = server().await;
    let w = workload(
        vec![Step::Request(request("r", 0, "/status/200"))],
        &["r"],
        &[],
    );
    let hold = stage(StageKind::Users {
        from: 50,
        to: 50,
        duration: Duration::from_millis(3000),
    });
    let started = std::time::Instant::now();
    let (result, c) = go(&plan(
        &s.url,
        w,
        vec![hold],
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    let secs = started.elapsed().as_secs_f64();
    let mut lat: Vec<u64> = c.attempts.iter().map(Attempt::latency_us).collect();
    lat.sort();
    println!(
        "{} requests in {secs:.2}s = {:.0} req/s, p50 {}us p99 {}us, failed {}",
        c.attempts.len(),
        c.attempts.len() as f64 / secs,
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100],
        c.attempts.iter().filter(|a| a.failed).count()
    );
}

#[derive(Default)]
struct AbortAfter {
    inner: Collect,
    polls: u32,
}

impl Sink for AbortAfter {
    fn attempt(&mut self, a: Attempt) {
        self.inner.attempt(a);
    }
    fn iteration(&mut self, i: Iteration) {
        self.inner.iteration(i);
    }
    fn dropped(&mut self, scenario: usize, phase: Option<usize>, at_us: u64) {
        self.inner.dropped(scenario, phase, at_us);
    }
    fn should_abort(&mut self, _scenario: usize, now_us: u64) -> bool {
        self.polls += 1;
        now_us >= 250_000
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sink_can_abort_and_max_duration_bounds_the_run() {
    let s = server().await;
    let w = workload(vec![Step::Request(request("r", 0, "/ok"))], &["r"], &[]);
    let hold = stage(StageKind::Users {
        from: 1,
        to: 1,
        duration: Duration::from_millis(30_000),
    });
    let p = plan(
        &s.url,
        w,
        vec![hold],
        vec![scenario("a", vec![]), scenario("b", vec![])],
    );

    let started = std::time::Instant::now();
    let mut sink = AbortAfter::default();
    let summary = run(&p, 0, &RunOptions::default(), &mut sink).await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(summary.aborted && !summary.interrupted);
    assert_eq!(summary.scenarios.len(), 1, "an abort stops the whole test");
    assert!(sink.polls >= 2 && !sink.inner.attempts.is_empty());

    let started = std::time::Instant::now();
    let bounded = RunOptions {
        max_duration: Some(std::time::Duration::from_millis(300)),
        ..RunOptions::default()
    };
    let summary = run(&p, 0, &bounded, &mut Collect::default()).await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(summary.deadline_reached && !summary.interrupted);
}
