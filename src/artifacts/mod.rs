//! Artifacts of `stress run --out DIR` and `stress merge … --out DIR` (docs/artifacts.md
//! describes every file and field):
//!
//! ```text
//!  engine ──Sink──► run::CollectorSink ──► metrics::Collector ──► Metrics ─► report::Report
//!                         │                                          │            │
//!                         └─► stream::TestStream                     │            │
//!                               requests.jsonl (one line per attempt, as it completes)
//!                               histograms/<test>/<scenario>/<step>.hlog (per second)
//!                               ScenarioSeries + PhaseSpan ─────► model::TestRecord ◄┘
//!                                                                    │
//!  files::write_all: summary.json · report.md · report.html · junit.xml · report.txt
//!                    metrics.json + plan.json (what `stress merge` reads back)
//! ```

pub mod codequality;
pub mod files;
pub mod html;
pub mod junit;
pub mod model;
pub mod stream;
pub mod summary;

use std::time::{Duration, SystemTime};

/// `2024-05-01T12:00:00.123456Z`: RFC 3339 in UTC with microseconds.
pub fn rfc3339_us(t: SystemTime) -> String {
    let (neg, since) = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => (false, d),
        Err(e) => (true, e.duration()),
    };
    let mut micros = i128::try_from(since.as_micros()).unwrap_or(i128::MAX);
    if neg {
        micros = -micros;
    }
    let secs = micros.div_euclid(1_000_000);
    let us = micros.rem_euclid(1_000_000);
    let days = i64::try_from(secs.div_euclid(86_400)).unwrap_or(0);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{us:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `t + offset_us`, as [`rfc3339_us`].
pub fn rfc3339_at(start: SystemTime, offset_us: u64) -> String {
    rfc3339_us(start + Duration::from_micros(offset_us))
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub use crate::paths::path_component;

/// FNV-1a, 64 bits, as 16 hex digits: a stable fingerprint of a plan's JSON for people to
/// compare runs at a glance (not for security).
pub fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub const STRESS_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_with_microseconds() {
        let at = |us: u64| rfc3339_us(SystemTime::UNIX_EPOCH + Duration::from_micros(us));
        assert_eq!(at(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(1_714_564_800_123_456), "2024-05-01T12:00:00.123456Z");
        // leap day, end of a leap year, far future
        assert_eq!(at(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
        assert_eq!(at(1_735_689_599_999_999), "2024-12-31T23:59:59.999999Z");
        assert_eq!(at(4_102_444_800_000_000), "2100-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339_at(SystemTime::UNIX_EPOCH, 86_400_000_000 + 1_500_000),
            "1970-01-02T00:00:01.500000Z"
        );
    }

    #[test]
    fn names_become_safe_path_components() {
        assert_eq!(
            path_component("bad day at the provider"),
            "bad_day_at_the_provider"
        );
        assert_eq!(path_component("../etc/passwd"), ".._etc_passwd");
        assert_eq!(path_component(".."), "__");
        assert_eq!(path_component(""), "_");
        assert_eq!(path_component("a+b"), "a_b");
        assert_eq!(path_component("step-1.v2"), "step-1.v2");
    }

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), "cbf29ce484222325");
        assert_eq!(fnv1a64(b"a"), "af63dc4c8601ec8c");
    }
}
