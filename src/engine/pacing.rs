//! Pacing of a closed-model VU after a failed iteration, so that a failing target is not
//! hammered (and the request log stays proportional to the load).
//!
//! After an iteration whose outcome is not `success`, the VU waits before its next one:
//!
//! - the `think` time the iteration skipped (the `think` steps after the step that stopped
//!   it, drawn as they would have been), and at least
//! - a backoff: the k-th failed iteration in a row lasts, waiting included, at least
//!   `BACKOFF_BASE · 2^(k−1)`, capped at `BACKOFF_MAX` (10 ms, 20 ms, 40 ms, … 1 s). An
//!   iteration that already took that long (a timeout) waits no more for it.
//!
//! A successful iteration resets k. Open-model arrivals are not paced here: their rate is.
//! So 5 users against a closed port for 1 s start iterations at 0, 10, 30, 70, 150, 310 and
//! 630 ms: 7 each, 35 in all, where an unpaced loop made tens of thousands.

use std::time::Duration;

use super::worker::Ended;

/// The first failed iteration in a row lasts at least this long.
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(10);
/// The backoff stops doubling here.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// One VU's count of failed iterations in a row.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pacing {
    failures: u32,
}

impl Pacing {
    /// How long to wait after an iteration that ended so.
    pub(crate) fn after(&mut self, ended: &Ended) -> Duration {
        if !ended.failed {
            self.failures = 0;
            return Duration::ZERO;
        }
        self.failures = self.failures.saturating_add(1);
        let backoff = backoff(self.failures).saturating_sub(ended.elapsed);
        backoff.max(ended.skipped_think)
    }
}

/// The least length of the k-th failed iteration in a row (k ≥ 1).
pub(crate) fn backoff(k: u32) -> Duration {
    let doublings = k.saturating_sub(1).min(16);
    BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(failed: bool, elapsed_ms: u64, think_ms: u64) -> Ended {
        Ended {
            failed,
            elapsed: Duration::from_millis(elapsed_ms),
            skipped_think: Duration::from_millis(think_ms),
        }
    }

    #[test]
    fn backoff_doubles_from_10ms_to_1s() {
        let ms: Vec<u128> = (1..=9).map(|k| backoff(k).as_millis()).collect();
        assert_eq!(ms, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }

    #[test]
    fn a_failed_iteration_waits_its_think_or_the_backoff_and_success_resets() {
        let mut p = Pacing::default();
        // Fails fast (1 ms) with no think: waits out the 10 ms backoff.
        assert_eq!(p.after(&ended(true, 1, 0)), Duration::from_millis(9));
        // Second failure in a row: 20 ms.
        assert_eq!(p.after(&ended(true, 0, 0)), Duration::from_millis(20));
        // A skipped think of 500 ms is longer than the 40 ms backoff.
        assert_eq!(p.after(&ended(true, 0, 500)), Duration::from_millis(500));
        // A 5 s timeout already lasted longer than the 80 ms backoff.
        assert_eq!(p.after(&ended(true, 5000, 0)), Duration::ZERO);
        assert_eq!(p.after(&ended(false, 1, 0)), Duration::ZERO);
        // Reset: back to 10 ms.
        assert_eq!(p.after(&ended(true, 0, 0)), Duration::from_millis(10));
    }
}
