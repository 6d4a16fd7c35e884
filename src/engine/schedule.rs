//! Load shapes as time: profile stages → target VU counts (closed model) and intended
//! iteration start instants (open model), plus the `limit` token bucket on iteration starts.
//! Pure arithmetic over microsecond offsets from a stage's start, and two timers: `Limiter`
//! sleeps on tokio's clock so paused-time tests can pin it; `Pacer` waits on its own OS thread
//! for precision (or on tokio's clock, for paused-time tests). `driver.rs` runs the stages.

use std::sync::Mutex;

use tokio::time::{Instant, sleep_until};

use crate::units::Duration;

/// Arrival offsets of an open stage, in microseconds from its start.
///
/// The rate ramps linearly from `from` to `to` (per second) over `duration`, so arrivals up to
/// time `t` number `N(t) = from·t + (to − from)·t² / (2T)`; the k-th arrival (from 0) is at the
/// `t` where `N(t) = k`, and only arrivals strictly before `T` belong to the stage. A constant
/// rate of 10/s for 1 s gives 0, 100 ms, …, 900 ms.
///
/// On a shard ([`Arrivals::striped`]) only every N-th arrival is kept: arrival `k` of the
/// stage is global arrival `before + k` of the test, and shard I keeps those with
/// `(before + k) mod N = I`, so the shards' arrivals together are exactly the schedule.
#[derive(Clone, Debug)]
pub struct Arrivals {
    from: f64,
    /// `(to − from) / (2T)`, per second².
    accel: f64,
    end_us: u64,
    k: u64,
    /// Global number of the stage's first arrival.
    before: u64,
    /// Keep arrivals whose global number is `index` modulo `stride`.
    stride: u64,
    index: u64,
}

/// The arrivals of an open stage (see [`Arrivals`]).
pub fn arrivals(from: f64, to: f64, duration: Duration) -> Arrivals {
    let secs = duration.as_secs_f64();
    let accel = if secs > 0.0 {
        (to - from) / (2.0 * secs)
    } else {
        0.0
    };
    Arrivals {
        from: from.max(0.0),
        accel,
        end_us: duration.as_micros(),
        k: 0,
        before: 0,
        stride: 1,
        index: 0,
    }
}

impl Arrivals {
    /// Only the arrivals of shard `index` of `stride`, the stage's first arrival being
    /// arrival number `before` of the test.
    pub fn striped(mut self, before: u64, index: u64, stride: u64) -> Self {
        self.before = before;
        self.stride = stride.max(1);
        self.index = index % self.stride;
        self
    }

    /// How many arrivals the whole stage has, on every shard together: the first `k` whose
    /// instant is not before the stage's end (a binary search over the same arithmetic as
    /// the iterator, so the two always agree).
    pub fn total(&self) -> u64 {
        let inside = |k: u64| {
            self.time_of(k)
                .map(|t| (t * 1e6).round())
                .is_some_and(|offset| offset.is_finite() && offset < self.end_us as f64)
        };
        // N(T) = (from + to) / 2 · T arrivals; a little more for rounding.
        let secs = self.end_us as f64 / 1e6;
        let peak = self.from.max(self.from + 2.0 * self.accel * secs).max(0.0);
        let bound = (peak * secs).ceil();
        let mut hi = if bound.is_finite() && bound < 1e18 {
            bound as u64 + 2
        } else {
            u64::MAX / 2
        };
        let mut lo = 0;
        if inside(hi) {
            // Should not happen; walk up rather than undercount.
            while inside(hi) && hi < u64::MAX / 4 {
                hi *= 2;
            }
        }
        // First k with !inside(k) in [lo, hi].
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if inside(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Seconds from the stage start of arrival `k`, or `None` when the rate never gets there.
    fn time_of(&self, k: u64) -> Option<f64> {
        if k == 0 {
            return (self.from > 0.0 || self.accel > 0.0).then_some(0.0);
        }
        let k = k as f64;
        if self.accel.abs() < 1e-12 {
            return (self.from > 0.0).then(|| k / self.from);
        }
        let disc = self.from * self.from + 4.0 * self.accel * k;
        if disc < 0.0 {
            return None;
        }
        // 2k / (b + √disc): the stable root of a·t² + b·t − k = 0 for either sign of a.
        let denominator = self.from + disc.sqrt();
        (denominator > 0.0).then(|| 2.0 * k / denominator)
    }
}

impl Iterator for Arrivals {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        // Skip to this shard's next arrival.
        let global = self.before.wrapping_add(self.k);
        let skip = (self.index + self.stride - global % self.stride) % self.stride;
        self.k = self.k.checked_add(skip)?;
        let t = self.time_of(self.k)?;
        let offset = (t * 1e6).round();
        if !offset.is_finite() || offset >= self.end_us as f64 {
            return None;
        }
        self.k += 1;
        Some(offset as u64)
    }
}

/// When the VU target of a closed stage changes: `(offset µs, target)`, the first at offset 0.
///
/// A hold is one point. A ramp up from `a` to `b` adds VU `a + j` at `(j − 1)·T/(b − a)`, so
/// the first new VU starts at once and the last one `T/(b − a)` before the end; a ramp down
/// removes one VU at each `j·T/(a − b)` before the end (the stage's end stops the rest).
pub fn closed_targets(from: u32, to: u32, duration: Duration) -> Vec<(u64, u32)> {
    let total = duration.as_micros();
    let mut points = vec![(0u64, from)];
    let at = |j: u64, steps: u64| (u128::from(j) * u128::from(total) / u128::from(steps)) as u64;
    if to > from {
        let steps = u64::from(to - from);
        for j in 1..=steps {
            push_point(&mut points, at(j - 1, steps), from + j as u32);
        }
    } else if to < from {
        let steps = u64::from(from - to);
        for j in 1..=steps {
            let offset = at(j, steps);
            if offset >= total {
                break;
            }
            push_point(&mut points, offset, from - j as u32);
        }
    }
    points
}

fn push_point(points: &mut Vec<(u64, u32)>, offset: u64, target: u32) {
    match points.last_mut() {
        Some(last) if last.0 == offset => last.1 = target,
        _ => points.push((offset, target)),
    }
}

/// The largest number of VUs a profile can run at once (to size the connection pool).
pub fn peak_users(stages: &[crate::plan::Stage]) -> u32 {
    use crate::plan::StageKind;
    stages
        .iter()
        .map(|s| match &s.kind {
            StageKind::Iterations { users, .. } => *users,
            StageKind::Users { from, to, .. } => (*from).max(*to),
            StageKind::Rate { max_users, .. } => *max_users,
            StageKind::Pause { .. } => 0,
        })
        .max()
        .unwrap_or(0)
}

/// `limit R`: a token bucket of depth one on iteration starts, shared by every VU of a stage.
/// Starts are spaced at least `1/R` apart; a VU that asks early waits for its slot. A slot at
/// or after the stage's end (`deadline`, for a timed stage) is refused: the stage lasts what
/// it says, whichever of the stage's timer and the slot's timer fires first.
#[derive(Debug)]
pub struct Limiter {
    interval: std::time::Duration,
    next: Mutex<Option<Instant>>,
    deadline: Option<Instant>,
}

impl Limiter {
    /// `None` for a rate that is not positive (no limit).
    pub fn new(per_sec: f64, deadline: Option<Instant>) -> Option<Self> {
        (per_sec > 0.0 && per_sec.is_finite()).then(|| Limiter {
            interval: std::time::Duration::from_secs_f64(1.0 / per_sec),
            next: Mutex::new(None),
            deadline,
        })
    }

    /// Reserves the next start slot at or after `now`.
    pub fn reserve(&self, now: Instant) -> Instant {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = next.map_or(now, |n| n.max(now));
        *next = Some(slot + self.interval);
        slot
    }

    /// Waits for this caller's start slot: `false` (at once) when the slot falls at or after
    /// the deadline.
    pub async fn acquire(&self) -> bool {
        let slot = self.reserve(Instant::now());
        if self.deadline.is_some_and(|d| slot >= d) {
            return false;
        }
        if slot > Instant::now() {
            sleep_until(slot).await;
        }
        true
    }
}

/// Walks an open stage's arrivals: each `next` waits until the next intended instant (not
/// at all when it has already passed) and returns it.
///
/// [`Pacer::new`] waits on a dedicated OS thread, precise to the OS timer (tens of
/// microseconds). Tokio's timer has a 1 ms resolution and rounds deadlines up, so pacing on it
/// starts every open-model iteration up to 1 ms late, and since latency is measured from the
/// intended instant, adds that to every latency (bench/README.md, open-model precision).
/// [`Pacer::on_runtime_clock`] paces on tokio's clock, which paused-clock tests can drive.
#[derive(Debug)]
pub struct Pacer {
    inner: PacerInner,
}

#[derive(Debug)]
enum PacerInner {
    Runtime {
        start: Instant,
        arrivals: Arrivals,
    },
    Thread {
        /// Dropping it (with the pacer) tells the thread to end.
        due: tokio::sync::mpsc::UnboundedReceiver<Instant>,
        /// Not joined: the thread ends by itself within [`PACER_NAP`] (a test joins it).
        #[cfg_attr(not(test), allow(dead_code))]
        thread: std::thread::JoinHandle<()>,
    },
}

/// The pacer thread sleeps at most this long between checks that the pacer still exists.
const PACER_NAP: std::time::Duration = std::time::Duration::from_millis(20);

impl Pacer {
    /// Paces on a dedicated thread (falls back to tokio's clock if no thread can start).
    pub fn new(start: Instant, arrivals: Arrivals) -> Self {
        let (tx, due) = tokio::sync::mpsc::unbounded_channel();
        let origin = start.into_std();
        let pacing = arrivals.clone();
        let spawned = std::thread::Builder::new()
            .name("stress-pacer".into())
            .spawn(move || {
                // The OS may otherwise wake a sleeping thread up to 50 µs late, to batch
                // wake-ups; this thread is the one place where that shows in latency.
                #[cfg(target_os = "linux")]
                // SAFETY: prctl(PR_SET_TIMERSLACK) only sets this thread's timer slack.
                unsafe {
                    libc::prctl(libc::PR_SET_TIMERSLACK, 1_000 as libc::c_ulong);
                }
                for offset in pacing {
                    let at = origin + std::time::Duration::from_micros(offset);
                    loop {
                        if tx.is_closed() {
                            return;
                        }
                        let now = std::time::Instant::now();
                        if now >= at {
                            break;
                        }
                        std::thread::sleep((at - now).min(PACER_NAP));
                    }
                    if tx.send(Instant::from_std(at)).is_err() {
                        return;
                    }
                }
            });
        match spawned {
            Ok(thread) => Pacer {
                inner: PacerInner::Thread { due, thread },
            },
            Err(_) => Pacer::on_runtime_clock(start, arrivals),
        }
    }

    /// Paces on tokio's clock (1 ms resolution).
    pub fn on_runtime_clock(start: Instant, arrivals: Arrivals) -> Self {
        Pacer {
            inner: PacerInner::Runtime { start, arrivals },
        }
    }

    pub async fn next(&mut self) -> Option<Instant> {
        match &mut self.inner {
            PacerInner::Runtime { start, arrivals } => {
                let at = *start + std::time::Duration::from_micros(arrivals.next()?);
                if at > Instant::now() {
                    sleep_until(at).await;
                }
                Some(at)
            }
            PacerInner::Thread { due, .. } => due.recv().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> u64 {
        v * 1000
    }

    #[test]
    fn constant_rate_arrives_evenly_and_stops_before_the_end() {
        let got: Vec<u64> = arrivals(10.0, 10.0, Duration::from_millis(1000)).collect();
        assert_eq!(got, (0..10).map(|k| ms(100 * k)).collect::<Vec<_>>());
        let per_minute: Vec<u64> =
            arrivals(10.0 / 60.0, 10.0 / 60.0, Duration::from_millis(3_600_000)).collect();
        assert_eq!(per_minute.len(), 600);
        assert_eq!(per_minute[1], ms(6000));
    }

    #[test]
    fn linear_ramp_solves_the_quadratic() {
        // 0 → 10/s over 2 s: N(t) = 2.5 t², N(2) = 10 arrivals at √(k / 2.5).
        let got: Vec<u64> = arrivals(0.0, 10.0, Duration::from_millis(2000)).collect();
        assert_eq!(got.len(), 10);
        for (k, offset) in got.iter().enumerate() {
            let expected = ((k as f64 / 2.5).sqrt() * 1e6).round() as u64;
            assert_eq!(*offset, expected, "arrival {k}");
        }
        // 10/s → 0 over 2 s: N(2) = 10, arrivals bunch at the start.
        let down: Vec<u64> = arrivals(10.0, 0.0, Duration::from_millis(2000)).collect();
        assert_eq!(down.len(), 10);
        assert!(down.windows(2).all(|w| w[1] > w[0]));
        assert!(down[1] - down[0] < down[9] - down[8]);
        // Ramp 50/s → 500/s over 2 s: 550 arrivals.
        assert_eq!(
            arrivals(50.0, 500.0, Duration::from_millis(2000)).count(),
            550
        );
    }

    #[test]
    fn shards_split_the_arrivals_exactly() {
        // 400/s for 10 s on 4 shards: 1000 each, and together exactly the single schedule.
        let whole = || arrivals(400.0, 400.0, Duration::from_millis(10_000));
        let single: Vec<u64> = whole().collect();
        assert_eq!(single.len(), 4000);
        assert_eq!(whole().total(), 4000);
        let mut union = Vec::new();
        for i in 0..4 {
            let mine: Vec<u64> = whole().striped(0, i, 4).collect();
            assert_eq!(mine.len(), 1000, "shard {i}");
            // Every 4th instant: 10 ms apart, the first at i · 2.5 ms.
            assert_eq!(mine[0], i * 2500);
            assert!(mine.windows(2).all(|w| w[1] - w[0] == 10_000));
            union.extend(mine);
        }
        union.sort_unstable();
        assert_eq!(union, single);
    }

    #[test]
    fn striping_continues_the_global_count_across_stages_and_ramps() {
        // A ramp 0 → 30/s over 3 s (45 arrivals), striped 3 ways after 7 earlier arrivals.
        let ramp = || arrivals(0.0, 30.0, Duration::from_millis(3000));
        let single: Vec<u64> = ramp().collect();
        assert_eq!(ramp().total(), single.len() as u64);
        let mut union = Vec::new();
        for i in 0..3 {
            let mine: Vec<u64> = ramp().striped(7, i, 3).collect();
            // Global arrival 7 + k is shard (7 + k) mod 3's: shard 1 gets k = 0, 3, 6, …
            let expected: Vec<u64> = single
                .iter()
                .enumerate()
                .filter(|(k, _)| (7 + *k as u64) % 3 == i)
                .map(|(_, t)| *t)
                .collect();
            assert_eq!(mine, expected, "shard {i}");
            union.extend(mine);
        }
        union.sort_unstable();
        assert_eq!(union, single);
        for (from, to, ms) in [
            (0.0, 0.0, 1000),
            (5.0, 5.0, 0),
            (10.0, 0.0, 2000),
            (0.5, 0.5, 999),
        ] {
            let a = arrivals(from, to, Duration::from_millis(ms));
            assert_eq!(
                a.total(),
                a.clone().count() as u64,
                "{from} → {to} over {ms} ms"
            );
        }
    }

    #[test]
    fn zero_rate_has_no_arrivals() {
        assert_eq!(arrivals(0.0, 0.0, Duration::from_millis(1000)).count(), 0);
        assert_eq!(arrivals(5.0, 5.0, Duration::ZERO).count(), 0);
    }

    #[test]
    fn closed_ramps_add_and_remove_one_vu_at_a_time() {
        assert_eq!(
            closed_targets(5, 5, Duration::from_millis(1000)),
            vec![(0, 5)]
        );
        assert_eq!(
            closed_targets(0, 4, Duration::from_millis(1000)),
            vec![(0, 1), (ms(250), 2), (ms(500), 3), (ms(750), 4)]
        );
        assert_eq!(
            closed_targets(10, 8, Duration::from_millis(1000)),
            vec![(0, 10), (ms(500), 9)]
        );
        assert_eq!(
            closed_targets(2, 0, Duration::from_millis(1000)),
            vec![(0, 2), (ms(500), 1)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_spaces_starts() {
        let limiter = Limiter::new(10.0, None).unwrap();
        let start = Instant::now();
        let mut seen = Vec::new();
        for _ in 0..5 {
            assert!(limiter.acquire().await);
            seen.push(start.elapsed().as_millis());
        }
        assert_eq!(seen, vec![0, 100, 200, 300, 400]);
        assert!(Limiter::new(0.0, None).is_none());
    }

    /// `hold … for 1s limit 10/s`: slots at 0, 100, …, 900 ms start; the one at 1 s (the
    /// stage's end) is refused at once, without waiting for it.
    #[tokio::test(start_paused = true)]
    async fn limiter_refuses_a_slot_at_the_stage_end() {
        let start = Instant::now();
        let limiter = Limiter::new(10.0, Some(start + std::time::Duration::from_secs(1))).unwrap();
        let mut started = 0;
        for _ in 0..10 {
            assert!(limiter.acquire().await);
            started += 1;
        }
        assert_eq!(started, 10);
        assert_eq!(start.elapsed().as_millis(), 900);
        assert!(!limiter.acquire().await);
        assert_eq!(start.elapsed().as_millis(), 900, "refused without waiting");
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_sleeps_until_each_intended_instant() {
        let start = Instant::now();
        let mut pacer =
            Pacer::on_runtime_clock(start, arrivals(10.0, 10.0, Duration::from_millis(1000)));
        let mut seen = Vec::new();
        while let Some(at) = pacer.next().await {
            assert_eq!(Instant::now(), at);
            seen.push(at.duration_since(start).as_millis());
        }
        assert_eq!(seen, (0..10).map(|k| k * 100).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_does_not_sleep_for_past_arrivals() {
        let start = Instant::now();
        tokio::time::advance(std::time::Duration::from_millis(350)).await;
        let mut pacer =
            Pacer::on_runtime_clock(start, arrivals(10.0, 10.0, Duration::from_millis(1000)));
        let first = pacer.next().await.unwrap();
        assert_eq!(first, start);
        assert_eq!(
            start.elapsed().as_millis(),
            350,
            "late arrivals come at once, not skipped"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn the_pacer_thread_hands_out_each_intended_instant_once_due() {
        let start = Instant::now();
        // 20 arrivals at 2000/s: 10 ms of real time.
        let mut pacer = Pacer::new(start, arrivals(2000.0, 2000.0, Duration::from_millis(10)));
        assert!(matches!(pacer.inner, PacerInner::Thread { .. }));
        let mut seen = Vec::new();
        while let Some(at) = pacer.next().await {
            assert!(Instant::now() >= at, "handed out before it was due");
            seen.push(at.duration_since(start).as_micros());
        }
        assert_eq!(seen, (0..20).map(|k| k * 500).collect::<Vec<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn dropping_the_pacer_stops_its_thread() {
        let start = Instant::now();
        // One arrival now, the next in an hour: the thread must not outlive the pacer.
        let mut pacer = Pacer::new(
            start,
            arrivals(1.0 / 3600.0, 1.0 / 3600.0, Duration::from_millis(7_200_000)),
        );
        assert_eq!(pacer.next().await, Some(start));
        let PacerInner::Thread { due, thread } = pacer.inner else {
            panic!("expected the pacer thread")
        };
        drop(due);
        // Returns within PACER_NAP, not in an hour.
        thread.join().unwrap();
    }
}
