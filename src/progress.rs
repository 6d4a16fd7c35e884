//! Live progress while a test runs: a redrawn line on a terminal (indicatif), a plain line
//! every few seconds otherwise (CI logs), nothing with `--quiet`, a full-screen view with
//! `--tui` ([`tui`]). The engine's sink updates a shared snapshot (one uncontended lock per
//! attempt); a ticker thread renders it, so the engine never waits on the terminal.

mod tui;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::metrics::{Attempt, Histogram};
use crate::plan::{Plan, StageKind};
use crate::units::{Duration as UnitDuration, Percent, Rate};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A redrawn status line (stderr is a terminal and not CI).
    Bar,
    /// A plain line every `PLAIN_EVERY`.
    Lines,
    Quiet,
    /// The full-screen view of `--tui` (on stderr, which must be a terminal: see
    /// [`tui_unavailable`]).
    Tui,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Mode {
    /// The mode for this process: `--tui` (clap keeps it from `--quiet`) and `quiet` win; a
    /// terminal outside CI gets the bar.
    pub fn detect(quiet: bool, tui: bool) -> Mode {
        if tui {
            Mode::Tui
        } else if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            Mode::Bar
        } else {
            Mode::Lines
        }
    }
}

/// Why `--tui` cannot draw in this process (`None`: it can). The view draws on stderr, so
/// stdout may be redirected and still gets the report.
pub fn tui_unavailable() -> Option<&'static str> {
    (!std::io::stderr().is_terminal()).then_some("stderr is not a terminal")
}

/// The latency window of the live p95: the last 5 to 10 seconds.
const WINDOW: Duration = Duration::from_secs(5);

/// What the ticker shows; updated by the sink.
#[derive(Default)]
struct Snapshot {
    scenario: String,
    started: Option<Instant>,
    requests: u64,
    errors: u64,
    iterations: u64,
    /// Latency of the current window and of the one before (rotated every [`WINDOW`]).
    window: [Histogram; 2],
    window_started: Option<Instant>,
    /// Kept for the full-screen view only (`Mode::Tui`):
    /// attempts by answer, as the HTML report's chart: 1xx/2xx, 3xx, 4xx, 5xx, no answer;
    classes: [u64; 5],
    /// failed attempts by [`crate::metrics::ERROR_CLASSES`];
    by_error: [u64; 8],
    /// attempts finished in each second since the scenario started.
    per_second: Vec<u64>,
}

impl Snapshot {
    fn rotate(&mut self, now: Instant) {
        let started = *self.window_started.get_or_insert(now);
        if now.duration_since(started) >= WINDOW {
            let [current, previous] = &mut self.window;
            std::mem::swap(current, previous);
            *current = Histogram::default();
            self.window_started = Some(now);
        }
    }

    /// Latencies of the last 5–10 s.
    fn recent(&self) -> Histogram {
        let mut both = self.window[0].clone();
        both.merge(&self.window[1]);
        both
    }

    /// p95 of the last 5–10 s.
    fn recent_p95(&self) -> Option<u64> {
        self.recent().percentile(0.95)
    }

    /// What the full-screen view keeps beside the counts.
    fn tally(&mut self, a: &Attempt, now: Instant) {
        self.classes[crate::samples::status_class(a.status)] += 1;
        if let Some(class) = a.error.filter(|_| a.failed) {
            if let Some(i) = crate::metrics::ERROR_CLASSES
                .iter()
                .position(|c| *c == class)
            {
                self.by_error[i] += 1;
            }
        }
        if let Some(started) = self.started {
            let second = usize::try_from(now.duration_since(started).as_secs()).unwrap_or(0);
            if self.per_second.len() <= second {
                self.per_second.resize(second + 1, 0);
            }
            self.per_second[second] += 1;
        }
    }
}

/// What a timed stage asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Load {
    /// Closed VUs, from → to over the stage.
    Users(f64, f64),
    /// Arrivals per second from → to over the stage, with at most this many VUs.
    Rate(f64, f64, u32),
    Pause,
}

/// One timed stage: its span from the scenario's start, its name, what it asks for.
struct Stage {
    start: Duration,
    end: Duration,
    name: Option<String>,
    load: Load,
}

/// The test's planned shape, for elapsed/remaining, the current stage and its targets.
struct Shape {
    stages: Vec<Stage>,
    total: Option<Duration>,
    iterations: Option<u64>,
    /// VUs of `users N, iterations M`.
    fixed_users: Option<u32>,
}

impl Shape {
    fn of(plan: &Plan, test: usize) -> Shape {
        let profile = &plan.tests[test].profile;
        let mut at = Duration::ZERO;
        let mut stages = Vec::new();
        let (mut iterations, mut fixed_users) = (None, None);
        for stage in &profile.stages {
            let name = stage.phase.map(|p| profile.phases[p].clone());
            let (length, load) = match &stage.kind {
                StageKind::Iterations {
                    users,
                    iterations: n,
                } => {
                    iterations = Some(u64::from(*users) * n);
                    fixed_users = Some(*users);
                    continue;
                }
                StageKind::Users { from, to, duration } => (
                    duration.to_std(),
                    Load::Users(f64::from(*from), f64::from(*to)),
                ),
                StageKind::Rate {
                    from,
                    to,
                    duration,
                    max_users,
                } => (duration.to_std(), Load::Rate(*from, *to, *max_users)),
                StageKind::Pause { duration } => (duration.to_std(), Load::Pause),
            };
            stages.push(Stage {
                start: at,
                end: at + length,
                name,
                load,
            });
            at += length;
        }
        let total = (iterations.is_none() && !stages.is_empty()).then_some(at);
        Shape {
            stages,
            total,
            iterations,
            fixed_users,
        }
    }

    /// The stage running at `t`, and how far through it (0–1).
    fn stage_at(&self, t: Duration) -> Option<(&Stage, f64)> {
        self.stages
            .iter()
            .find(|s| t >= s.start && t < s.end)
            .map(|s| {
                let frac = (t - s.start).as_secs_f64() / (s.end - s.start).as_secs_f64().max(1e-9);
                (s, frac)
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
    /// Starts showing progress of `test` (a no-op in `Mode::Quiet`); `live_users` is the
    /// engine's count of active VUs ([`crate::engine::RunOptions::live_users`]).
    pub fn start(plan: &Plan, test: usize, mode: Mode, live_users: Arc<AtomicU64>) -> Progress {
        let snapshot = Arc::new(Mutex::new(Snapshot::default()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticker = (mode != Mode::Quiet).then(|| {
            let shape = Shape::of(plan, test);
            let (snapshot, stop) = (snapshot.clone(), stop.clone());
            let name = plan.tests[test].name.clone();
            std::thread::spawn(move || {
                if mode == Mode::Tui {
                    tui::show(&name, &shape, &snapshot, &stop, &live_users);
                } else {
                    tick(&name, &shape, mode, &snapshot, &stop, &live_users);
                }
            })
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
        s.window[0].record(a.latency_us());
        if self.mode == Mode::Tui {
            s.tally(a, Instant::now());
        }
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
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The full-screen view gives the terminal back before anything else is printed.
        if self.mode == Mode::Tui {
            self.finish();
        }
    }
}

/// Requests seen at recent ticks, for the rate over the last second.
#[derive(Default)]
struct RecentRate(std::collections::VecDeque<(Instant, u64)>);

impl RecentRate {
    /// Records `requests` at `now`; the rate over the last second or so (`None` until a
    /// second has passed since the first sample).
    fn update(&mut self, now: Instant, requests: u64) -> Option<f64> {
        if self.0.back().is_some_and(|(_, r)| *r > requests) {
            self.0.clear(); // a new scenario started its counts again
        }
        self.0.push_back((now, requests));
        while self.0.len() > 2 && now.duration_since(self.0[1].0) >= Duration::from_secs(1) {
            self.0.pop_front();
        }
        let (then, before) = *self.0.front()?;
        let span = now.duration_since(then);
        (span >= Duration::from_millis(900))
            .then(|| (requests - before) as f64 / span.as_secs_f64())
    }
}

fn tick(
    test: &str,
    shape: &Shape,
    mode: Mode,
    snapshot: &Mutex<Snapshot>,
    stop: &std::sync::atomic::AtomicBool,
    live_users: &AtomicU64,
) {
    let silenced = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let bar = (mode == Mode::Bar).then(|| {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(1000),
            indicatif::ProgressDrawTarget::term_like_with_hz(
                Box::new(Narrow(console::Term::stderr())),
                10,
            ),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:20.cyan/blue} {msg}")
                .expect("a valid template")
                .progress_chars("█▌ "),
        );
        // A signal ends the live view: the bar is cleared for good, then the message printed
        // (redrawing the bar under it left the old line on screen after ^C's echo).
        let (printer, silenced) = (bar.clone(), silenced.clone());
        crate::signals::set_printer(Box::new(move |message| {
            silenced.store(true, Ordering::Relaxed);
            printer.finish_and_clear();
            eprintln!("{message}");
        }));
        bar
    });
    let step = if mode == Mode::Bar {
        Duration::from_millis(200)
    } else {
        Duration::from_millis(100)
    };
    let mut last_line = Instant::now();
    let mut rate = RecentRate::default();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(step);
        let now = Instant::now();
        let (line, done) = {
            let mut s = snapshot.lock().expect("progress lock");
            s.rotate(now);
            let current = rate.update(now, s.requests);
            let live = live_users.load(Ordering::Relaxed);
            let status = Status {
                elapsed: s.started.map(|t| now.duration_since(t)),
                current_rate: current,
                live,
            };
            (
                status_line(test, shape, &s, &status),
                done_fraction(shape, &s, &status),
            )
        };
        match &bar {
            Some(_) if silenced.load(Ordering::Relaxed) => {}
            Some(bar) => {
                bar.set_position((done * 1000.0) as u64);
                bar.set_message(line);
            }
            None if last_line.elapsed() >= PLAIN_EVERY => {
                eprintln!("{line}");
                last_line = Instant::now();
            }
            None => {}
        }
    }
    if let Some(bar) = bar {
        crate::signals::clear_printer();
        bar.finish_and_clear();
    }
}

/// stderr, two columns narrower than it is. indicatif fills the bar's line to the terminal's
/// width and leaves the cursor at its end; the `^C` a terminal echoes then wraps to a new line,
/// and clearing the bar cleared that line, not the bar's. Two spare columns hold the `^C`.
#[derive(Debug)]
struct Narrow(console::Term);

impl indicatif::TermLike for Narrow {
    fn width(&self) -> u16 {
        self.0.size().1.saturating_sub(2).max(20)
    }
    fn height(&self) -> u16 {
        self.0.size().0
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.0.write_str(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }
    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// What the ticker measured now, beside the snapshot.
struct Status {
    /// Since the scenario started (`None` before).
    elapsed: Option<Duration>,
    /// Requests per second over the last second.
    current_rate: Option<f64>,
    /// Active VUs.
    live: u64,
}

/// How far through the scenario (0–1): by time, or by iterations for `users N, iterations M`.
fn done_fraction(shape: &Shape, s: &Snapshot, status: &Status) -> f64 {
    match (shape.total, shape.iterations, status.elapsed) {
        (Some(total), _, Some(e)) => e.as_secs_f64() / total.as_secs_f64().max(1e-9),
        (None, Some(n), _) => s.iterations as f64 / (n.max(1) as f64),
        _ => 0.0,
    }
    .clamp(0.0, 1.0)
}

fn status_line(test: &str, shape: &Shape, s: &Snapshot, status: &Status) -> String {
    let Some(elapsed) = status.elapsed else {
        return format!("{test}: starting…");
    };
    let clock = match (shape.total, shape.iterations) {
        (Some(total), _) => format!(
            "{} / {} ({} left)",
            short(elapsed),
            short(total),
            short(left(total, elapsed))
        ),
        (None, Some(n)) => format!(
            "{} · {}/{} iterations",
            short(elapsed),
            s.iterations.min(n),
            n
        ),
        _ => short(elapsed),
    };
    let live = status.live;
    let (name, ask) = asked(shape, elapsed);
    let name = name.map_or_else(String::new, |n| format!(" · stage {n}"));
    let target = match ask {
        Ask::Users(users) => format!(" · VUs {live}/{users:.0}"),
        Ask::Rate(rate, max) => format!(" · target {} · VUs {live}/{max}", Rate(rate)),
        Ask::Pause => " · pause".to_string(),
        Ask::Fixed(users) => format!(" · VUs {live}/{users}"),
        Ask::Nothing => String::new(),
    };
    let stage = format!("{name}{target}");
    let p95 = s
        .recent_p95()
        .map_or_else(|| "-".to_string(), |us| UnitDuration(us).to_string());
    let current = status
        .current_rate
        .map_or_else(|| "-".to_string(), |r| Rate(r).to_string());
    let errors = if s.requests == 0 {
        "0 errors".to_string()
    } else {
        format!(
            "{} error{} ({})",
            s.errors,
            if s.errors == 1 { "" } else { "s" },
            Percent(s.errors as f64 * 100.0 / s.requests as f64)
        )
    };
    format!(
        "{test} [{}] {clock}{stage} · {} req · now {current} · {errors} · p95 (last {}s) {p95}",
        s.scenario,
        s.requests,
        WINDOW.as_secs() * 2,
    )
}

/// What the plan asks for at some instant.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ask {
    /// Closed VUs, now.
    Users(f64),
    /// Arrivals per second now, with at most this many VUs.
    Rate(f64, u32),
    Pause,
    /// `users N, iterations M`.
    Fixed(u32),
    /// Past the last stage.
    Nothing,
}

/// The stage's name and what it asks for, `elapsed` into the scenario.
fn asked(shape: &Shape, elapsed: Duration) -> (Option<&str>, Ask) {
    match shape.stage_at(elapsed) {
        Some((stage, frac)) => {
            let ask = match stage.load {
                Load::Users(from, to) => Ask::Users(from + (to - from) * frac),
                Load::Rate(from, to, max) => Ask::Rate(from + (to - from) * frac, max),
                Load::Pause => Ask::Pause,
            };
            (stage.name.as_deref(), ask)
        }
        None => (None, shape.fixed_users.map_or(Ask::Nothing, Ask::Fixed)),
    }
}

/// Time left of `total`, in whole seconds rounded up (so `0s left` only at the end).
fn left(total: Duration, elapsed: Duration) -> Duration {
    total.saturating_sub(elapsed) + Duration::from_nanos(999_999_999)
}

fn short(d: Duration) -> String {
    UnitDuration::from_std(Duration::from_secs(d.as_secs())).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn plan_of(text: &str) -> Plan {
        let file = crate::source::SourceFile::new("t.stress", text);
        let ast = crate::syntax::parse(&file).expect("parses");
        let checked = crate::checker::check(&file, &ast, None).expect("checks");
        crate::checker::lower(&checked)
    }

    pub(super) const STAGED: &str = "target t = \"http://127.0.0.1:1\"\nworkload w { request r: get t \"/\" }\n\
        test \"t\" { workload w  profile { hold 10 users for 10s as warm  ramp to 30 users over 10s  pause 5s } }\n";

    #[test]
    fn the_shape_knows_stages_their_names_and_targets() {
        let shape = Shape::of(&plan_of(STAGED), 0);
        assert_eq!(shape.total, Some(Duration::from_secs(25)));
        let (stage, _) = shape.stage_at(Duration::from_secs(3)).unwrap();
        assert_eq!(
            (stage.name.as_deref(), stage.load),
            (Some("warm"), Load::Users(10.0, 10.0))
        );
        let (stage, frac) = shape.stage_at(Duration::from_secs(15)).unwrap();
        assert_eq!(
            (stage.name.as_deref(), stage.load, frac),
            (None, Load::Users(10.0, 30.0), 0.5)
        );
        assert!(shape.stage_at(Duration::from_secs(30)).is_none());
    }

    /// The open model shows its target rate and live VUs against the cap, never the cap as
    /// if it were the VUs running.
    #[test]
    fn an_open_stage_shows_target_rate_and_live_vus_of_the_cap() {
        let plan = plan_of(
            "target t = \"http://127.0.0.1:1\"\nworkload w { request r: get t \"/\" }\n\
             test \"t\" { workload w  profile { rate 10/s for 1s  ramp rate to 30/s over 10s as warm  max users 1000 } }\n",
        );
        let shape = Shape::of(&plan, 0);
        let s = Snapshot {
            scenario: "baseline".into(),
            ..Snapshot::default()
        };
        let status = Status {
            elapsed: Some(Duration::from_secs(6)),
            current_rate: Some(19.5),
            live: 3,
        };
        let line = status_line("t", &shape, &s, &status);
        assert!(
            line.contains("6s / 11s (5s left) · stage warm · target 20/s · VUs 3/1000"),
            "{line}"
        );
        assert!(line.contains("now 19.5/s"), "{line}");
        assert!((done_fraction(&shape, &s, &status) - 6.0 / 11.0).abs() < 1e-9);
    }

    /// The rate is over the last second, not the average since the start.
    #[test]
    fn the_rate_is_over_the_last_second() {
        let mut rate = RecentRate::default();
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(rate.update(at(0), 0), None);
        // 1000 requests in the first second, then 10 per second.
        assert_eq!(rate.update(at(1000), 1000), Some(1000.0));
        let mut last = None;
        for i in 1..=10u64 {
            last = rate.update(at(1000 + i * 200), 1000 + 2 * i);
        }
        let r = last.unwrap();
        assert!((9.0..=11.0).contains(&r), "{r}");
    }

    /// p95 covers the last 5–10 s: an old slow spell leaves it.
    #[test]
    fn the_p95_forgets_old_windows() {
        let mut s = Snapshot::default();
        let t0 = Instant::now();
        s.rotate(t0);
        s.window[0].record(900_000);
        s.rotate(t0 + WINDOW);
        s.window[0].record(1_000);
        assert_eq!(s.recent_p95().map(|us| us > 800_000), Some(true));
        s.rotate(t0 + WINDOW * 2);
        s.window[0].record(1_000);
        assert_eq!(
            s.recent_p95().map(|us| us < 2_000),
            Some(true),
            "{:?}",
            s.recent_p95()
        );
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
            s.window[0].record(us);
        }
        s.errors = 1;
        let status = Status {
            elapsed: Some(Duration::from_millis(300)),
            current_rate: None,
            live: 10,
        };
        let line = status_line("smoke", &shape, &s, &status);
        assert!(
            line.starts_with(
                "smoke [baseline] 0s / 25s (25s left) · stage warm · VUs 10/10 · 4 req · now -"
            ),
            "{line}"
        );
        assert!(
            line.contains("1 error (25%) · p95 (last 10s) 400ms"),
            "{line}"
        );
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
        let status = Status {
            elapsed: Some(Duration::from_secs(1)),
            current_rate: None,
            live: 5,
        };
        let line = status_line("t", &shape, &s, &status);
        assert!(line.contains("7/20 iterations · VUs 5/5"), "{line}");
        assert!((done_fraction(&shape, &s, &status) - 0.35).abs() < 1e-9);
    }
}
