//! A client's own retry behaviour: whether a failed attempt is retried (`on 429, 5xx, …`), and
//! how long to wait first (backoff, jitter from the VU's seeded RNG, `Retry-After`). Pure
//! functions; the waiting itself happens in `request.rs`.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::metrics::ErrorClass;
use crate::plan::{Backoff, Jitter, RetryOn, RetryPolicy};
use crate::units::Duration;

/// Why a failed attempt is retried, or `None` when the policy does not cover it.
///
/// The reason is the concrete cause (`Status(503)` even when the policy says `5xx`), so
/// `retries_by(503)` and `retries_by(5xx)` can both be answered from it. A connection that
/// broke mid-response or a body that could not be read counts as `connection_error`.
pub fn reason(
    policy: &RetryPolicy,
    status: Option<u16>,
    error: Option<ErrorClass>,
) -> Option<RetryOn> {
    let covers = |on: RetryOn| policy.on.contains(&on);
    match error {
        Some(ErrorClass::Timeout) => covers(RetryOn::Timeout).then_some(RetryOn::Timeout),
        Some(ErrorClass::Connect | ErrorClass::Reset | ErrorClass::Body | ErrorClass::FdLimit) => {
            covers(RetryOn::ConnectionError).then_some(RetryOn::ConnectionError)
        }
        Some(ErrorClass::Status | ErrorClass::Check | ErrorClass::BodyParse) | None => {
            let status = status?;
            (covers(RetryOn::Status(status)) || covers(RetryOn::Class(status / 100)))
                .then_some(RetryOn::Status(status))
        }
    }
}

/// The backoff before retry number `retry` (1 for the first retry), before jitter.
pub fn backoff(policy: &Backoff, retry: u32) -> Duration {
    let n = retry.max(1) - 1;
    match *policy {
        Backoff::Constant { delay } => delay,
        Backoff::Linear { delay, step } => {
            Duration(delay.0.saturating_add(step.0.saturating_mul(u64::from(n))))
        }
        Backoff::Exponential { delay, factor, max } => {
            let grown = delay.0 as f64 * factor.max(0.0).powi(n.min(1024) as i32);
            Duration(if grown.is_finite() {
                (grown as u64).min(max.0)
            } else {
                max.0
            })
        }
    }
}

/// Applies jitter to a backoff: `full` picks in `[0, d]`, `equal` in `[d/2, d]`.
pub fn jitter(kind: Jitter, base: Duration, rng: &mut ChaCha8Rng) -> Duration {
    match kind {
        Jitter::None => base,
        Jitter::Full if base.0 == 0 => base,
        Jitter::Full => Duration(rng.random_range(0..=base.0)),
        Jitter::Equal => {
            let half = base.0 / 2;
            Duration(half + rng.random_range(0..=base.0 - half))
        }
    }
}

/// How long to wait before retry number `retry`: the server's `Retry-After` when the policy
/// respects it and the response carried one, otherwise the jittered backoff.
pub fn delay(
    policy: &RetryPolicy,
    retry: u32,
    retry_after: Option<Duration>,
    rng: &mut ChaCha8Rng,
) -> Duration {
    match retry_after {
        Some(wait) if policy.respect_retry_after => wait,
        _ => jitter(policy.jitter, backoff(&policy.backoff, retry), rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn policy(on: Vec<RetryOn>) -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            on,
            backoff: Backoff::Exponential {
                delay: Duration::from_millis(100),
                factor: 2.0,
                max: Duration::from_millis(1000),
            },
            jitter: Jitter::None,
            respect_retry_after: true,
        }
    }

    #[test]
    fn reasons_follow_the_policy() {
        let p = policy(vec![
            RetryOn::Status(429),
            RetryOn::Class(5),
            RetryOn::Timeout,
        ]);
        assert_eq!(
            reason(&p, Some(429), Some(ErrorClass::Status)),
            Some(RetryOn::Status(429))
        );
        assert_eq!(
            reason(&p, Some(503), Some(ErrorClass::Check)),
            Some(RetryOn::Status(503))
        );
        assert_eq!(reason(&p, Some(404), Some(ErrorClass::Status)), None);
        assert_eq!(
            reason(&p, None, Some(ErrorClass::Timeout)),
            Some(RetryOn::Timeout)
        );
        assert_eq!(reason(&p, None, Some(ErrorClass::Connect)), None);
        let q = policy(vec![RetryOn::ConnectionError]);
        assert_eq!(
            reason(&q, None, Some(ErrorClass::Reset)),
            Some(RetryOn::ConnectionError)
        );
    }

    #[test]
    fn backoffs_grow_as_declared() {
        let exp = policy(vec![]).backoff;
        let got: Vec<u64> = (1..=6).map(|r| backoff(&exp, r).0 / 1000).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
        let lin = Backoff::Linear {
            delay: Duration::from_millis(10),
            step: Duration::from_millis(5),
        };
        assert_eq!(backoff(&lin, 3), Duration::from_millis(20));
        let constant = Backoff::Constant {
            delay: Duration::from_millis(7),
        };
        assert_eq!(backoff(&constant, 9), Duration::from_millis(7));
    }

    #[test]
    fn jitter_stays_in_range_and_is_seeded() {
        let base = Duration::from_millis(100);
        let mut a = ChaCha8Rng::seed_from_u64(1);
        let mut b = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let full = jitter(Jitter::Full, base, &mut a);
            assert!(full <= base);
            assert_eq!(full, jitter(Jitter::Full, base, &mut b));
            let equal = jitter(Jitter::Equal, base, &mut a);
            assert!(equal >= Duration::from_millis(50) && equal <= base);
            jitter(Jitter::Equal, base, &mut b);
        }
    }

    #[test]
    fn retry_after_wins_when_respected() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut p = policy(vec![]);
        assert_eq!(delay(&p, 1, Some(Duration::ZERO), &mut rng), Duration::ZERO);
        assert_eq!(delay(&p, 2, None, &mut rng), Duration::from_millis(200));
        p.respect_retry_after = false;
        assert_eq!(
            delay(&p, 1, Some(Duration::from_millis(5000)), &mut rng),
            Duration::from_millis(100)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_sleeps_on_the_tokio_clock() {
        let p = policy(vec![]);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let start = tokio::time::Instant::now();
        for retry in 1..=3 {
            tokio::time::sleep(delay(&p, retry, None, &mut rng).to_std()).await;
        }
        assert_eq!(start.elapsed().as_millis(), 700);
    }
}
