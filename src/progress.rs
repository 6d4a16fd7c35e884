//! Live progress while a test runs: a redrawn line on a terminal (indicatif), a plain line
//! every few seconds otherwise (CI logs), nothing with `--quiet`. The engine's sink updates a
//! shared snapshot (one uncontended lock per attempt); a ticker thread renders it, so the
//! engine never waits on the terminal.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::metrics::{Attempt, Histogram};
use crate::plan::{Plan, StageKind};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A redrawn status line (stderr is a terminal and not CI).
    Bar,
    /// A plain line every `PLAIN_EVERY`.
    Lines,
    Quiet,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Mode {
    /// The mode for this process: `quiet` wins; a terminal outside CI gets the bar.
    pub fn detect(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            Mode::Bar
        } else {
            Mode::Lines
        }
    }
}

/// What the ticker shows; updated by the sink.
#[derive(Default)]
struct Snapshot {
    scenario: String,
    started: Option<Instant>,
    requests: u64,
    errors: u64,
    iterations: u64,
    latency: Histogram,
}

/// The test's planned shape, for elapsed/remaining, the current stage and target VUs.
struct Shape {
    /// (start, end, name, VUs at start, VUs at end) of each timed stage.
    stages: Vec<(Duration, Duration, Option<String>, f64, f64)>,
    total: Option<Duration>,
    iterations: Option<u64>,
}

impl Shape {
    fn of(plan: &Plan, test: usize) -> Shape {
        let profile = &plan.tests[test].profile;
        let mut at = Duration::ZERO;
        let mut stages = Vec::new();
        let mut iterations = None;
        for stage in &profile.stages {
            let name = stage.phase.map(|p| profile.phases[p].clone());
            let (length, from, to) = match &stage.kind {
                StageKind::Iterations {
                    users,
                    iterations: n,
                } => {
                    iterations = Some(u64::from(*users) * n);
                    continue;
                }
                StageKind::Users { from, to, duration } => {
                    (duration.to_std(), f64::from(*from), f64::from(*to))
                }
                StageKind::Rate {
                    duration,
                    max_users,
                    ..
                } => (
                    duration.to_std(),
                    f64::from(*max_users),
                    f64::from(*max_users),
                ),
                StageKind::Pause { duration } => (duration.to_std(), 0.0, 0.0),
            };
            stages.push((at, at + length, name, from, to));
            at += length;
        }
        let total = (iterations.is_none() && !stages.is_empty()).then_some(at);
        Shape {
            stages,
            total,
            iterations,
        }
    }

    fn stage_at(&self, t: Duration) -> Option<(&Option<String>, f64)> {
        self.stages
            .iter()
            .find(|(s, e, ..)| t >= *s && t < *e)
            .map(|(s, e, name, from, to)| {
                let frac = (t - *s).as_secs_f64() / (*e - *s).as_secs_f64().max(1e-9);
                (name, from + (to - from) * frac)
            })
    }
}

/// Live progress of one test.
pub struct Progress {
    mode: Mode,
    snapshot: Arc<Mutex<Snapshot>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts showing progress of `test` (a no-op in `Mode::Quiet`).
    pub fn start(plan: &Plan, test: usize, mode: Mode) -> Progress {
        let snapshot = Arc::new(Mutex::new(Snapshot::default()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticker = (mode != Mode::Quiet).then(|| {
            let shape = Shape::of(plan, test);
            let (snapshot, stop) = (snapshot.clone(), stop.clone());
            let name = plan.tests[test].name.clone();
            std::thread::spawn(move || tick(&name, &shape, mode, &snapshot, &stop))
        });
        Progress {
            mode,
            snapshot,
            stop,
            ticker,
        }
    }

    /// A scenario began: its clock and counts start again.
    pub fn scenario_started(&self, name: &str) {
        if self.mode == Mode::Quiet {
            return;
        }
        let mut s = self.snapshot.lock().expect("progress lock");
        *s = Snapshot {
            scenario: name.to_string(),
            started: Some(Instant::now()),
            ..Snapshot::default()
        };
    }

    /// One finished attempt.
    pub fn attempt(&self, a: &Attempt) {
        if self.mode == Mode::Quiet {
            return;
        }
        let mut s = self.snapshot.lock().expect("progress lock");
        s.requests += 1;
        s.errors += u64::from(a.failed);
        s.latency.record(a.latency_us());
    }

    /// One finished iteration.
    pub fn iteration(&self) {
        if self.mode == Mode::Quiet {
            return;
        }
        self.snapshot.lock().expect("progress lock").iterations += 1;
    }

    /// Stops the ticker and clears the bar (again: nothing).
    pub fn finish(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn tick(
    test: &str,
    shape: &Shape,
    mode: Mode,
    snapshot: &Mutex<Snapshot>,
    stop: &std::sync::atomic::AtomicBool,
) {
    let bar = (mode == Mode::Bar).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"),
        );
        bar
    });
    let step = if mode == Mode::Bar {
        Duration::from_millis(200)
    } else {
        Duration::from_millis(100)
    };
    let mut last_line = Instant::now();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(step);
        let line = {
            let s = snapshot.lock().expect("progress lock");
            status_line(test, shape, &s)
        };
        match &bar {
            Some(bar) => {
                bar.set_message(line);
                bar.tick();
            }
            None if last_line.elapsed() >= PLAIN_EVERY => {
                eprintln!("{line}");
                last_line = Instant::now();
            }
            None => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn status_line(test: &str, shape: &Shape, s: &Snapshot) -> String {
    let Some(started) = s.started else {
        return format!("{test}: starting…");
    };
    let elapsed = started.elapsed();
    let secs = elapsed.as_secs_f64().max(1e-3);
    let clock = match (shape.total, shape.iterations) {
        (Some(total), _) => format!("{} / {}", short(elapsed), short(total)),
        (None, Some(n)) => format!(
            "{} · {}/{} iterations",
            short(elapsed),
            s.iterations.min(n),
            n
        ),
        _ => short(elapsed),
    };
    let stage = match shape.stage_at(elapsed) {
        Some((Some(name), vus)) => format!(" · stage {name} · {vus:.0} VUs"),
        Some((None, vus)) => format!(" · {vus:.0} VUs"),
        None => String::new(),
    };
    let p95 = s.latency.percentile(0.95).map_or_else(
        || "–".to_string(),
        |us| crate::units::Duration(us).to_string(),
    );
    format!(
        "{test} [{}] {clock}{stage} · {} req · {:.1}/s · {} errors · p95 {p95}",
        s.scenario,
        s.requests,
        s.requests as f64 / secs,
        s.errors
    )
}

fn short(d: Duration) -> String {
    crate::units::Duration::from_std(Duration::from_secs(d.as_secs())).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(text: &str) -> Plan {
        let file = crate::source::SourceFile::new("t.stress", text);
        let ast = crate::syntax::parse(&file).expect("parses");
        let checked = crate::checker::check(&file, &ast, None).expect("checks");
        crate::checker::lower(&checked)
    }

    const STAGED: &str = "target t = \"http://127.0.0.1:1\"\nworkload w { request r: get t \"/\" }\n\
        test \"t\" { workload w  profile { hold 10 users for 10s as warm  ramp to 30 users over 10s  pause 5s } }\n";

    #[test]
    fn the_shape_knows_stages_their_names_and_target_vus() {
        let shape = Shape::of(&plan_of(STAGED), 0);
        assert_eq!(shape.total, Some(Duration::from_secs(25)));
        let (name, vus) = shape.stage_at(Duration::from_secs(3)).unwrap();
        assert_eq!((name.as_deref(), vus), (Some("warm"), 10.0));
        let (name, vus) = shape.stage_at(Duration::from_secs(15)).unwrap();
        assert_eq!((name.as_deref(), vus), (None, 20.0));
        assert!(shape.stage_at(Duration::from_secs(30)).is_none());
    }

    #[test]
    fn the_status_line_shows_counts_rate_errors_and_p95() {
        let shape = Shape::of(&plan_of(STAGED), 0);
        let mut s = Snapshot {
            scenario: "baseline".into(),
            started: Some(Instant::now()),
            ..Snapshot::default()
        };
        for us in [1000, 2000, 3000, 400_000] {
            s.requests += 1;
            s.latency.record(us);
        }
        s.errors = 1;
        let line = status_line("smoke", &shape, &s);
        assert!(
            line.starts_with("smoke [baseline] 0s / 25s · stage warm · 10 VUs · 4 req"),
            "{line}"
        );
        assert!(line.contains("1 errors · p95 400ms"), "{line}");
    }

    #[test]
    fn closed_iteration_profiles_count_iterations() {
        let plan = plan_of(
            "target t = \"http://127.0.0.1:1\"\nworkload w { request r: get t \"/\" }\n\
             test \"t\" { workload w  profile { users 5, iterations 4 } }\n",
        );
        let shape = Shape::of(&plan, 0);
        let s = Snapshot {
            scenario: "baseline".into(),
            started: Some(Instant::now()),
            iterations: 7,
            ..Snapshot::default()
        };
        assert!(status_line("t", &shape, &s).contains("7/20 iterations"));
    }
}
