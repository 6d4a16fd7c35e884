//! `stress run --tui`: the full-screen live view, drawn with ratatui on crossterm (the only
//! place either crate is used). Input: the shared [`Snapshot`] the engine's sink updates, the
//! test's planned [`Shape`] and the live VU gauge; output: frames on stderr's alternate
//! screen, about four a second, from the ticker thread (the engine never waits on it).
//!
//! [`view`] turns a snapshot into plain data (pure, tested); [`draw`] lays that data out as
//! widgets (tested on ratatui's `TestBackend`); [`show`] owns the terminal. The terminal is
//! given back (alternate screen left, cursor shown, raw mode off) when the test ends, when a
//! stop signal arrives (before its message is printed), and on a panic (a hook restores first).
//! Raw mode delivers Ctrl-C as a key: it and `q` raise SIGINT, so they stop the run exactly as
//! Ctrl-C does without the view (partial report, exit 130).

use std::io::Stderr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Block, Gauge, Paragraph, Sparkline};

use super::{Ask, RecentRate, Shape, Snapshot, Status, WINDOW, asked, done_fraction, left, short};
use crate::metrics::Histogram;
use crate::units::{Duration as UnitDuration, Percent, Rate};

/// Time between frames.
const FRAME: Duration = Duration::from_millis(250);
/// Longest wait for a key before looking at the clock and the stop flag again.
const KEY_POLL: Duration = Duration::from_millis(50);

/// The terminal is ours (raw mode, alternate screen): set by [`enter`], cleared by [`restore`].
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Held while a frame is written, so that a signal's or a panic's restore never lands in the
/// middle of one.
static DRAW: Mutex<()> = Mutex::new(());

/// Shows the live view until `stop` (or until a stop signal gives the terminal back).
pub(super) fn show(
    test: &str,
    shape: &Shape,
    snapshot: &Mutex<Snapshot>,
    stop: &AtomicBool,
    live_users: &AtomicU64,
) {
    let mut term = match enter() {
        Ok(term) => term,
        Err(e) => {
            restore();
            eprintln!("warning: --tui: cannot take over the terminal ({e}); no live view");
            return;
        }
    };
    // A stop signal (SIGINT, SIGTERM, or `q` / Ctrl-C here) ends the view: the terminal is
    // given back, then the message printed, and the run goes on to its partial report.
    crate::signals::set_printer(Box::new(|message| {
        let _drawing = DRAW.lock().unwrap_or_else(PoisonError::into_inner);
        restore();
        eprintln!("{message}");
    }));
    let mut rate = RecentRate::default();
    let mut next_frame = Instant::now();
    while !stop.load(Ordering::Relaxed) && ACTIVE.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= next_frame {
            next_frame = now + FRAME;
            let view = {
                let mut s = snapshot.lock().expect("progress lock");
                s.rotate(now);
                let status = Status {
                    elapsed: s.started.map(|t| now.duration_since(t)),
                    current_rate: rate.update(now, s.requests),
                    live: live_users.load(Ordering::Relaxed),
                };
                view(test, shape, &s, &status)
            };
            let _drawing = DRAW.lock().unwrap_or_else(PoisonError::into_inner);
            if !ACTIVE.load(Ordering::SeqCst) || term.draw(|f| draw(f, &view)).is_err() {
                break;
            }
        }
        match event::poll(KEY_POLL) {
            Ok(true) => {
                if let Ok(Event::Key(key)) = event::read() {
                    if stops(&key) {
                        crate::signals::interrupt();
                    }
                }
            }
            Ok(false) => {}
            Err(_) => std::thread::sleep(KEY_POLL),
        }
    }
    crate::signals::clear_printer();
    let _drawing = DRAW.lock().unwrap_or_else(PoisonError::into_inner);
    restore();
}

/// `q`, or Ctrl-C (a key in raw mode).
fn stops(key: &KeyEvent) -> bool {
    key.kind == KeyEventKind::Press
        && match key.code {
            KeyCode::Char('q') => true,
            KeyCode::Char('c') => key.modifiers.contains(KeyModifiers::CONTROL),
            _ => false,
        }
}

/// Raw mode, the alternate screen, no cursor; the panic hook that undoes them.
fn enter() -> std::io::Result<Terminal<CrosstermBackend<Stderr>>> {
    install_panic_hook();
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    // Cleared here: ratatui's `Terminal::clear` asks the terminal where the cursor is, writing
    // the query to stdout, which may be redirected (then the answer never comes).
    execute!(
        std::io::stderr(),
        terminal::EnterAlternateScreen,
        terminal::Clear(terminal::ClearType::All),
        cursor::Hide
    )?;
    Terminal::new(CrosstermBackend::new(std::io::stderr()))
}

/// Gives the terminal back (once; later calls do nothing).
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(
            std::io::stderr(),
            terminal::LeaveAlternateScreen,
            cursor::Show
        );
        let _ = terminal::disable_raw_mode();
    }
}

/// Restores the terminal before the panic message is printed (by the hook installed before,
/// which then runs as usual).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A frame being written on another thread finishes first; a panic while this
            // thread writes one holds the lock, so the wait is bounded.
            for _ in 0..20 {
                match DRAW.try_lock() {
                    Ok(_drawing) => break,
                    Err(std::sync::TryLockError::Poisoned(_)) => break,
                    Err(std::sync::TryLockError::WouldBlock) => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
            restore();
            previous(info);
        }));
    });
}

/// What one frame shows, as plain data.
#[derive(Debug, Default, PartialEq)]
struct View {
    /// `smoke · scenario baseline`.
    title: String,
    /// `stage warm · 6s / 11s · 5s left`, or `starting…`.
    clock: String,
    /// How far through (0–1).
    done: f64,
    /// (label, value) lines of the load panel.
    load: Vec<(&'static str, String)>,
    /// Whether errors are shown in red.
    failing: bool,
    /// `p50 12ms · p95 40ms · p99 70ms`.
    percentiles: String,
    /// (`≤20ms`, attempts) of the last window.
    latency: Vec<(String, u64)>,
    /// (`2xx`, attempts) …, then (`no answer`, attempts).
    answers: Vec<(&'static str, u64)>,
    /// (error class, failed attempts), the classes seen only.
    failures: Vec<(&'static str, u64)>,
    /// Attempts per completed second since the scenario started.
    rates: Vec<u64>,
}

/// The frame's data for the snapshot as of `status`.
fn view(test: &str, shape: &Shape, s: &Snapshot, status: &Status) -> View {
    let Some(elapsed) = status.elapsed else {
        return View {
            title: test.to_string(),
            clock: "starting…".to_string(),
            ..View::default()
        };
    };
    let (stage, ask) = asked(shape, elapsed);
    let mut clock: Vec<String> = stage.map(|n| format!("stage {n}")).into_iter().collect();
    match (shape.total, shape.iterations) {
        (Some(total), _) => {
            clock.push(format!("{} / {}", short(elapsed), short(total)));
            clock.push(format!("{} left", short(left(total, elapsed))));
        }
        (None, Some(n)) => {
            clock.push(short(elapsed));
            clock.push(format!("{}/{n} iterations", s.iterations.min(n)));
        }
        _ => clock.push(short(elapsed)),
    }
    if ask == Ask::Pause {
        clock.push("pause".to_string());
    }
    let live = status.live;
    let vus = match ask {
        Ask::Users(users) => format!("{live} / {users:.0}"),
        Ask::Rate(_, max) => format!("{live} / {max} max"),
        Ask::Fixed(users) => format!("{live} / {users}"),
        Ask::Pause | Ask::Nothing => live.to_string(),
    };
    let now = status
        .current_rate
        .map_or_else(|| "-".to_string(), |r| Rate(r).to_string());
    let target = match ask {
        Ask::Rate(rate, _) => Rate(rate).to_string(),
        _ => "-".to_string(),
    };
    let errors = if s.requests == 0 {
        "0".to_string()
    } else {
        format!(
            "{} ({})",
            s.errors,
            Percent(s.errors as f64 * 100.0 / s.requests as f64)
        )
    };
    let recent = s.recent();
    let at = |q| {
        recent
            .percentile(q)
            .map_or_else(|| "-".to_string(), |us| UnitDuration(us).to_string())
    };
    View {
        title: format!("{test} · scenario {}", s.scenario),
        clock: clock.join(" · "),
        done: done_fraction(shape, s, status),
        load: vec![
            ("VUs", vus),
            ("rate now", now),
            ("target rate", target),
            ("requests", s.requests.to_string()),
            ("errors", errors),
            ("iterations", s.iterations.to_string()),
        ],
        failing: s.errors > 0,
        percentiles: format!("p50 {} · p95 {} · p99 {}", at(0.5), at(0.95), at(0.99)),
        latency: latency_bars(&recent, MAX_BARS),
        answers: answers(s),
        failures: failures(s),
        rates: rate_series(&s.per_second, elapsed),
    }
}

/// Upper edges of the latency buckets, µs: 1–2–5 steps from 100us to 60s.
const EDGES: [u64; 18] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
    1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000, 60_000_000,
];

/// Most bars the latency chart shows.
const MAX_BARS: usize = 10;

/// The latency chart's bars: the buckets from the fastest to the slowest seen (at least 4),
/// labelled with their upper edge; with more than `max`, the fastest are folded into the
/// first bar shown (whose `≤` label stays true).
fn latency_bars(h: &Histogram, max: usize) -> Vec<(String, u64)> {
    let counts = h.counts_up_to(&EDGES);
    let label = |i: usize| match EDGES.get(i) {
        Some(&edge) => format!("≤{}", UnitDuration(edge)),
        None => format!(">{}", UnitDuration(EDGES[EDGES.len() - 1])),
    };
    let (Some(first), Some(last)) = (
        counts.iter().position(|&n| n > 0),
        counts.iter().rposition(|&n| n > 0),
    ) else {
        return Vec::new();
    };
    let last = last.max((first + 3).min(counts.len() - 1));
    let first = first.max((last + 1).saturating_sub(max.max(1)));
    let folded: u64 = counts[..=first].iter().sum();
    std::iter::once((label(first), folded))
        .chain((first + 1..=last).map(|i| (label(i), counts[i])))
        .collect()
}

/// Attempts by answer: 2xx (with 1xx), 3xx, 4xx, 5xx, no answer.
fn answers(s: &Snapshot) -> Vec<(&'static str, u64)> {
    ["2xx", "3xx", "4xx", "5xx", "no answer"]
        .into_iter()
        .zip(s.classes)
        .collect()
}

/// Failed attempts by error class, in the reports' names, the classes seen only.
fn failures(s: &Snapshot) -> Vec<(&'static str, u64)> {
    crate::metrics::ERROR_CLASSES
        .iter()
        .zip(s.by_error)
        .filter(|(_, n)| *n > 0)
        .map(|(&class, n)| (class.name(), n))
        .collect()
}

/// Attempts in each completed second (the current one is still counting), seconds without
/// any as 0.
fn rate_series(per_second: &[u64], elapsed: Duration) -> Vec<u64> {
    let done = usize::try_from(elapsed.as_secs()).unwrap_or(usize::MAX);
    let mut series: Vec<u64> = per_second.iter().copied().take(done).collect();
    series.resize(done, 0);
    series
}

/// Lays the frame out: header with gauge; load and latency; answers and requests per second;
/// the keys.
fn draw(frame: &mut Frame, v: &View) {
    let [header, middle, lower, footer] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(8),
        Constraint::Length(8),
        Constraint::Length(1),
    ])
    .areas(frame.area());

    let block = Block::bordered().title(Line::from(format!(" stress · {} ", v.title)).bold());
    let inner = block.inner(header);
    frame.render_widget(block, header);
    let [clock, gauge] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(v.clock.as_str()), clock);
    frame.render_widget(
        Gauge::default()
            .ratio(v.done.clamp(0.0, 1.0))
            .label(format!("{:.0}%", v.done * 100.0))
            .gauge_style(Style::new().fg(Color::Cyan))
            .use_unicode(true),
        gauge,
    );

    let [load, latency] =
        Layout::horizontal([Constraint::Length(32), Constraint::Min(20)]).areas(middle);
    let lines: Vec<Line> = v
        .load
        .iter()
        .map(|(label, value)| {
            let value = if *label == "errors" && v.failing {
                Span::from(value.as_str()).red()
            } else {
                Span::from(value.as_str())
            };
            Line::from(vec![Span::from(format!("{label:<12}")).dim(), value])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Load ")),
        load,
    );
    draw_latency(frame, v, latency);

    let [answers, rates] =
        Layout::horizontal([Constraint::Length(32), Constraint::Min(20)]).areas(lower);
    let mut lines: Vec<Line> = v
        .answers
        .iter()
        .map(|(label, n)| {
            Line::from(vec![
                Span::from(format!("{label:<12}")).dim(),
                n.to_string().into(),
            ])
        })
        .collect();
    if !v.failures.is_empty() {
        let failed: Vec<String> = v.failures.iter().map(|(c, n)| format!("{c} {n}")).collect();
        lines.push(Line::from(failed.join(" · ")).red());
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Responses ")),
        answers,
    );
    draw_rates(frame, v, rates);

    frame.render_widget(
        Paragraph::new(" q or Ctrl-C: stop the run (partial report, as SIGINT)").dim(),
        footer,
    );
}

fn draw_latency(frame: &mut Frame, v: &View, area: Rect) {
    let block = Block::bordered().title(format!(" Latency (last {}s) ", WINDOW.as_secs() * 2));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [text, chart] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(v.percentiles.as_str()), text);
    // Thicker bars when few fill the panel: up to 3 rows each, a row apart.
    let shown = v.latency.len().min(usize::from(chart.height));
    let rows = u16::try_from(shown).map_or(1, |n| chart.height / n.max(1));
    let (bar_width, bar_gap) = if rows >= 2 {
        ((rows - 1).min(3), 1)
    } else {
        (1, 0)
    };
    let bars: Vec<Bar> = v
        .latency
        .iter()
        .take(shown)
        .map(|(label, n)| {
            Bar::default()
                .label(Line::from(label.as_str()))
                .value(*n)
                .text_value(n.to_string())
        })
        .collect();
    frame.render_widget(
        BarChart::horizontal(bars)
            .bar_width(bar_width)
            .bar_gap(bar_gap)
            .bar_style(Style::new().fg(Color::Cyan)),
        chart,
    );
}

fn draw_rates(frame: &mut Frame, v: &View, area: Rect) {
    let width = usize::from(area.width.saturating_sub(2));
    let shown = &v.rates[v.rates.len().saturating_sub(width)..];
    let peak = shown.iter().copied().max().unwrap_or(0);
    let title = match shown.len() {
        0 => " Requests per second ".to_string(),
        n => format!(
            " Requests per second (last {}, peak {}) ",
            short(Duration::from_secs(n as u64)),
            Rate(peak as f64)
        ),
    };
    frame.render_widget(
        Sparkline::default()
            .block(Block::bordered().title(title))
            .data(shown)
            .style(Style::new().fg(Color::Green)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::tests::{STAGED, plan_of};
    use ratatui::backend::TestBackend;

    /// The frame as text, one line per row.
    fn render(v: &View, width: u16, height: u16) -> String {
        let mut term = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        term.draw(|f| draw(f, v)).expect("draws");
        let buffer = term.backend().buffer();
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn busy_snapshot() -> Snapshot {
        let mut s = Snapshot {
            scenario: "baseline".into(),
            started: Some(Instant::now()),
            requests: 1000,
            errors: 3,
            iterations: 990,
            classes: [990, 0, 2, 1, 7],
            by_error: [7, 0, 0, 3, 0, 0, 0, 0],
            per_second: vec![90, 100, 110, 100],
            ..Snapshot::default()
        };
        // Values below 2048us are exact in the histogram.
        for _ in 0..900 {
            s.window[0].record(1_000);
        }
        for _ in 0..85 {
            s.window[0].record(1_500);
        }
        for _ in 0..15 {
            s.window[0].record(2_000);
        }
        s
    }

    #[test]
    fn latency_bars_span_fastest_to_slowest_with_the_report_units() {
        let mut h = Histogram::new();
        for us in [12_000, 12_000, 40_000, 300_000] {
            h.record(us);
        }
        assert_eq!(
            latency_bars(&h, 10),
            vec![
                ("≤20ms".to_string(), 2),
                ("≤50ms".to_string(), 1),
                ("≤100ms".to_string(), 0),
                ("≤200ms".to_string(), 0),
                ("≤500ms".to_string(), 1),
            ]
        );
        assert!(latency_bars(&Histogram::new(), 10).is_empty());
    }

    #[test]
    fn too_many_latency_buckets_fold_the_fastest_into_the_first_bar() {
        let mut h = Histogram::new();
        for us in [50, 300, 2_000, 90_000_000] {
            h.record(us);
        }
        let bars = latency_bars(&h, 4);
        assert_eq!(bars.len(), 4, "{bars:?}");
        assert_eq!(bars[0], ("≤10s".to_string(), 3), "the fast ones folded");
        assert_eq!(bars[3], (">1m".to_string(), 1));
        // Few buckets are padded to four, upwards.
        let mut h = Histogram::new();
        h.record(1_000);
        let labels: Vec<String> = latency_bars(&h, 10).into_iter().map(|(l, _)| l).collect();
        assert_eq!(labels, ["≤1ms", "≤2ms", "≤5ms", "≤10ms"]);
    }

    #[test]
    fn answers_and_failures_count_by_class() {
        let s = busy_snapshot();
        assert_eq!(
            answers(&s),
            vec![
                ("2xx", 990),
                ("3xx", 0),
                ("4xx", 2),
                ("5xx", 1),
                ("no answer", 7)
            ]
        );
        assert_eq!(failures(&s), vec![("timeout", 7), ("status", 3)]);
    }

    #[test]
    fn the_rate_series_has_completed_seconds_only() {
        let per_second = [5, 7, 9];
        assert_eq!(
            rate_series(&per_second, Duration::from_millis(2500)),
            vec![5, 7],
            "the third second is still counting"
        );
        assert_eq!(
            rate_series(&per_second, Duration::from_millis(5200)),
            vec![5, 7, 9, 0, 0],
            "seconds without an attempt are 0"
        );
        assert!(rate_series(&[], Duration::from_millis(900)).is_empty());
    }

    #[test]
    fn a_tally_sorts_attempts_by_answer_error_and_second() {
        let t0 = Instant::now();
        let mut s = Snapshot {
            started: Some(t0),
            ..Snapshot::default()
        };
        let mut a = crate::metrics::testkit::attempt(0, 0, 0, 1_000);
        a.status = Some(503);
        a.failed = true;
        a.error = Some(crate::metrics::ErrorClass::Status);
        s.tally(&a, t0 + Duration::from_millis(1500));
        a.status = None;
        a.error = Some(crate::metrics::ErrorClass::Timeout);
        s.tally(&a, t0 + Duration::from_millis(100));
        assert_eq!(s.classes, [0, 0, 0, 1, 1]);
        assert_eq!(failures(&s), vec![("timeout", 1), ("status", 1)]);
        assert_eq!(s.per_second, vec![1, 1]);
    }

    #[test]
    fn the_view_of_a_staged_test_shows_stage_clock_and_counts() {
        let shape = Shape::of(&plan_of(STAGED), 0);
        let status = Status {
            elapsed: Some(Duration::from_millis(4_200)),
            current_rate: Some(101.5),
            live: 10,
        };
        let v = view("smoke", &shape, &busy_snapshot(), &status);
        assert_eq!(v.title, "smoke · scenario baseline");
        assert_eq!(v.clock, "stage warm · 4s / 25s · 21s left");
        assert!((v.done - 4.2 / 25.0).abs() < 1e-9);
        assert_eq!(v.load[0], ("VUs", "10 / 10".to_string()));
        assert_eq!(v.load[1], ("rate now", "101.5/s".to_string()));
        assert_eq!(v.load[4], ("errors", "3 (0.3%)".to_string()));
        assert_eq!(v.percentiles, "p50 1ms · p95 1.5ms · p99 2ms");
        assert_eq!(
            v.latency,
            vec![
                ("≤1ms".to_string(), 900),
                ("≤2ms".to_string(), 100),
                ("≤5ms".to_string(), 0),
                ("≤10ms".to_string(), 0),
            ]
        );
        assert_eq!(v.rates, vec![90, 100, 110, 100]);
    }

    #[test]
    fn a_frame_shows_every_panel() {
        let shape = Shape::of(&plan_of(STAGED), 0);
        let status = Status {
            elapsed: Some(Duration::from_millis(4_200)),
            current_rate: Some(101.5),
            live: 10,
        };
        let v = view("smoke", &shape, &busy_snapshot(), &status);
        let text = render(&v, 100, 30);
        for wanted in [
            "stress · smoke · scenario baseline",
            "stage warm · 4s / 25s · 21s left",
            "17%",
            "Load",
            "VUs         10 / 10",
            "rate now    101.5/s",
            "errors      3 (0.3%)",
            "iterations  990",
            "Latency (last 10s)",
            "p50 1ms · p95 1.5ms · p99 2ms",
            "≤1ms",
            "≤10ms",
            "Responses",
            "2xx         990",
            "no answer   7",
            "timeout 7 · status 3",
            "Requests per second (last 4s, peak 110/s)",
            "q or Ctrl-C: stop the run",
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from\n{text}");
        }
    }

    #[test]
    fn before_the_first_scenario_the_frame_says_starting() {
        let shape = Shape::of(&plan_of(STAGED), 0);
        let status = Status {
            elapsed: None,
            current_rate: None,
            live: 0,
        };
        let text = render(
            &view("smoke", &shape, &Snapshot::default(), &status),
            80,
            24,
        );
        assert!(text.contains("stress · smoke"), "{text}");
        assert!(text.contains("starting…"), "{text}");
    }

    #[test]
    fn q_and_ctrl_c_stop_other_keys_do_not() {
        let key = |code, modifiers| KeyEvent::new(code, modifiers);
        assert!(stops(&key(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(stops(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!stops(&key(KeyCode::Char('c'), KeyModifiers::NONE)));
        assert!(!stops(&key(KeyCode::Enter, KeyModifiers::NONE)));
    }
}
