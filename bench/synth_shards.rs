//! Writes N synthetic shard folders of a D-minute run, for `bench/merge.sh`.
//!
//! Each folder is what `stress run FILE --shard I/N --out DIR` leaves, written by the
//! library's own code: the plan comes from `frontend::load` (with `--set`), the samples go
//! through `metrics::Collector` and `artifacts::stream::TestStream` (interval logs, series),
//! the verdict and report through `slo::evaluate` and `report::build`, and every file through
//! `artifacts::files::write_all`. Only the samples are made up (no server runs): an open
//! model of 3 requests per iteration, `--rate` requests per second per shard, arrivals
//! striped over the shards as the sharding contract does (global arrival k runs on shard
//! k % N), latencies from a seeded lognormal per step with a rare slow tail, a 20-second
//! slowdown at half-time and 0.3 % failed checks. Samples reach the writers in completion
//! order, as the engine delivers them.
//!
//! `requests.jsonl` goes to `/dev/null` unless `--requests` is given (`stress merge` does
//! not read it, and at 500 requests/s it is ~120 MB per shard for 10 minutes).
//! `summary.json` gets the contract's top-level `"shard"` record (index, count, start_at,
//! started_at, start_offset_us) unless the writer already put one there.
//!
//! ```text
//! cargo run --release --example synth_shards -- --shards 100 --minutes 10 --out /tmp/shards \
//!     [--rate 500] [--seed 42] [--jobs 1] [--requests] [--file bench/merge.stress]
//! ```

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use stress::artifacts::files::{PlanEntry, TestArtifacts, prepare_out, write_all, write_atomic};
use stress::artifacts::model::TestRecord;
use stress::artifacts::stream::{RequestLog, TestStream};
use stress::artifacts::summary::RunInfo;
use stress::artifacts::{path_component, rfc3339_us};
use stress::metrics::{Attempt, Collector, ErrorClass, Iteration};
use stress::plan::{Outcome, Plan};

/// Per step: median latency (µs) of the lognormal.
const MEDIAN_US: [f64; 3] = [20_000.0, 35_000.0, 80_000.0];
/// Spread (σ of the underlying normal).
const SIGMA: f64 = 0.5;
/// Share of attempts in the slow tail (×20).
const SLOW: f64 = 0.002;
/// Share of attempts whose check fails (status 500); the iteration stops there.
const FAILED: f64 = 0.003;

struct Args {
    shards: usize,
    minutes: u64,
    rate: u64,
    seed: u64,
    jobs: usize,
    requests: bool,
    file: PathBuf,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        shards: 100,
        minutes: 10,
        rate: 500,
        seed: 42,
        jobs: 1,
        requests: false,
        file: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/bench/merge.stress")),
        out: PathBuf::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--requests" {
            a.requests = true;
            continue;
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = || {
            value
                .parse::<u64>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--shards" => a.shards = num()? as usize,
            "--minutes" => a.minutes = num()?,
            "--rate" => a.rate = num()?,
            "--seed" => a.seed = num()?,
            "--jobs" => a.jobs = num()?.max(1) as usize,
            "--file" => a.file = PathBuf::from(&value),
            "--out" => a.out = PathBuf::from(&value),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if a.out.as_os_str().is_empty() || a.shards == 0 || a.rate == 0 {
        return Err("usage: synth_shards --shards N --minutes D --out DIR [--rate R] [--seed S] [--jobs J] [--requests] [--file F]".into());
    }
    Ok(a)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    // The whole run's iteration rate, per minute: 3 requests per iteration.
    let per_minute = args.rate * 20 * args.shards as u64;
    let sets = [
        format!("arrival_rate={per_minute}/m"),
        format!("duration={}m", args.minutes),
    ];
    // As `stress run` does: on a big stack (deeply nested files), with `--set` applied.
    let file = args.file.clone();
    let front = stress::frontend::on_big_stack(move || stress::frontend::load(&file, &sets))
        .expect("the front end panicked");
    let (Some(plan), Some(source)) = (front.plan, front.file) else {
        eprintln!("error: {} does not check", args.file.display());
        std::process::exit(2);
    };
    let entry = PlanEntry::new(&plan, &source.text);
    // Every shard waits for the same `--start-at`.
    let start_at = SystemTime::now();
    let next = AtomicUsize::new(0);
    let began = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..args.jobs.min(args.shards) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= args.shards {
                        break;
                    }
                    if let Err(e) = shard(&args, &plan, &entry, i, per_minute, start_at) {
                        eprintln!("error: shard {i}: {e}");
                        std::process::exit(3);
                    }
                }
            });
        }
    });
    eprintln!(
        "# wrote {} shards × {} min in {:.1} s to {}",
        args.shards,
        args.minutes,
        began.elapsed().as_secs_f64(),
        args.out.display()
    );
}

enum Event {
    Attempt(Attempt),
    Iteration(Iteration),
}

/// Events not yet delivered, in completion order (ties in the order they were made).
#[derive(Default)]
struct Pending {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    events: std::collections::HashMap<u64, Event>,
    made: u64,
}

impl Pending {
    fn push(&mut self, done_us: u64, event: Event) {
        self.made += 1;
        self.heap.push(Reverse((done_us, self.made)));
        self.events.insert(self.made, event);
    }

    /// The next event done by `upto`.
    fn pop_until(&mut self, upto: u64) -> Option<Event> {
        let Reverse((done, id)) = *self.heap.peek()?;
        if done > upto {
            return None;
        }
        self.heap.pop();
        self.events.remove(&id)
    }
}

/// Lognormal with the given median: median · e^(σ·N(0,1)) (Box–Muller).
fn lognormal(rng: &mut ChaCha8Rng, median: f64) -> u64 {
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (median * (SIGMA * z).exp()).round().max(1.0) as u64
}

/// Writes shard `index` of `args.shards`.
fn shard(
    args: &Args,
    plan: &Plan,
    entry: &PlanEntry,
    index: usize,
    per_minute: u64,
    start_at: SystemTime,
) -> Result<(), String> {
    let n = args.shards as u64;
    let dir = args.out.join(format!("shard-{index:03}"));
    prepare_out(&dir)?;
    let requests = if args.requests {
        dir.join("requests.jsonl")
    } else {
        PathBuf::from("/dev/null")
    };
    let mut log = RequestLog::create(&requests)?;
    let test = 0;
    let mut stream = TestStream::new(
        plan,
        test,
        Some((&dir, &path_component(&plan.tests[test].name))),
    );
    let mut collector = Collector::new(plan, test);
    // The scenario's clock starts (the stream stamps BaseTime now).
    stream.scenario_started(0);
    collector.scenario_started(0);
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ (index as u64).wrapping_mul(0x9E37_79B9));
    let duration_us = args.minutes * 60_000_000;
    let mut pending = Pending::default();
    let mut deliver = |upto: u64, pending: &mut Pending| {
        while let Some(event) = pending.pop_until(upto) {
            match event {
                Event::Attempt(a) => {
                    stream.attempt(&a, &mut log);
                    collector.attempt(a);
                }
                Event::Iteration(i) => collector.iteration(i),
            }
        }
    };
    let mut k = index as u64;
    loop {
        // Global arrival k, at k / rate.
        let intended = (u128::from(k) * 60_000_000 / u128::from(per_minute)) as u64;
        if intended >= duration_us {
            break;
        }
        deliver(intended, &mut pending);
        // A slowdown of 20 s at half-time: latencies ×3.
        let half = duration_us / 2;
        let slow = if (half..half + 20_000_000).contains(&intended) {
            3.0
        } else {
            1.0
        };
        let user = (k % 2000) as u32;
        let iteration = k / 2000;
        let mut at = intended;
        let mut outcome = Outcome::Success;
        let mut steps = Vec::new();
        for (step, median) in MEDIAN_US.iter().enumerate() {
            let tail = if rng.random::<f64>() < SLOW {
                20.0
            } else {
                1.0
            };
            let latency = lognormal(&mut rng, median * slow * tail);
            let failed = rng.random::<f64>() < FAILED;
            // The first request is paced by the schedule; later ones start when the previous
            // one is done (a few µs of the VU's own work).
            let sent = at + if step == 0 { 40 } else { 5 };
            let done = sent + latency;
            let a = Attempt {
                scenario: 0,
                step,
                phase: None,
                user,
                iteration,
                call: k * 3 + step as u64,
                attempt: 0,
                intended_us: if step == 0 { intended } else { sent },
                sent_us: sent,
                done_us: done,
                active_users: 1,
                status: Some(if failed { 500 } else { 200 }),
                error: failed.then_some(ErrorClass::Check),
                failed,
                injected: None,
                captures: vec![],
                checks_passed: 0,
                check_failed: None,
            };
            pending.push(done, Event::Attempt(a));
            steps.push((step, done - at));
            at = done;
            if failed {
                outcome = Outcome::Failed;
                break;
            }
        }
        let i = Iteration {
            scenario: 0,
            phase: None,
            user,
            iteration,
            intended_us: intended,
            started_us: intended + 40,
            done_us: at,
            outcome,
            retries: 0,
            retries_by: vec![],
            cost: 0.0,
            budget_exceeded_during_retry: false,
            step_durations_us: steps,
            ended_by_check: None,
        };
        pending.push(at, Event::Iteration(i));
        k += n;
    }
    deliver(u64::MAX, &mut pending);
    stream.scenario_finished(0, duration_us);
    collector.scenario_finished(0, duration_us);
    let (series, hlogs, error) = stream.finish();
    if let Some(e) = error {
        return Err(e);
    }
    log.flush()?;
    let metrics = collector.finish();
    let verdict = stress::slo::evaluate(plan, test, &metrics);
    let report = stress::report::build(plan, test, &metrics, &verdict, args.seed, false);
    let text = stress::report::render_text(&report, false);
    let tests = [TestArtifacts {
        record: TestRecord {
            file: plan.file.clone(),
            report,
            series,
            services: vec![],
        },
        seeds: vec![args.seed],
        metrics: metrics.to_stored(),
        services: vec![],
        scrapes: vec![],
    }];
    // The run's wall clock: it started at `start_at` (plus its lateness) and took the
    // scenario's length.
    let offset_us = 100 + (index as u64 * 7_919) % 2_000;
    let started = start_at + Duration::from_micros(offset_us);
    let info = RunInfo {
        kind: "run",
        started_at: Some(rfc3339_us(started)),
        finished_at: Some(rfc3339_us(started + Duration::from_micros(duration_us))),
        merged_from: vec![],
        // Filled in by `add_shard_record` below, with the offset this generator makes up.
        shard: None,
        shards: None,
    };
    write_all(
        &dir,
        &info,
        std::slice::from_ref(entry),
        &tests,
        &hlogs,
        &text,
    )?;
    add_shard_record(&dir, index, args.shards, start_at, started, offset_us)
}

/// Adds the sharding contract's `"shard"` record to `summary.json`, after `interrupted`,
/// unless the writer already wrote one.
fn add_shard_record(
    dir: &Path,
    index: usize,
    count: usize,
    start_at: SystemTime,
    started: SystemTime,
    offset_us: u64,
) -> Result<(), String> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if value.get("shard").is_some_and(|s| !s.is_null()) {
        return Ok(());
    }
    let record = serde_json::json!({
        "index": index,
        "count": count,
        "start_at": rfc3339_us(start_at),
        "started_at": rfc3339_us(started),
        "start_offset_us": offset_us,
    });
    // Keep the writer's key order: insert the record as text before `"totals"`.
    let anchor = "\n  \"totals\": ";
    let Some(at) = text.find(anchor) else {
        return Err("summary.json has no top-level `totals`".into());
    };
    let pretty = serde_json::to_string_pretty(&record)
        .map_err(|e| e.to_string())?
        .replace('\n', "\n  ");
    let mut out = text.clone();
    let without_shard = value.get("shard").is_some();
    if without_shard {
        // `"shard": null` from a writer that knows the field but ran unsharded.
        out = out.replacen("\n  \"shard\": null,", "", 1);
    }
    let at = out.find(anchor).unwrap_or(at);
    out.insert_str(at, &format!("\n  \"shard\": {pretty},"));
    serde_json::from_str::<serde_json::Value>(&out).map_err(|e| e.to_string())?;
    write_atomic(dir, "summary.json", out.as_bytes())
}
