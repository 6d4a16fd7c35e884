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

/// `2024-05-01T12:00:00.123456Z`: RFC 3339 in UTC with microseconds (fractions of a
/// microsecond are cut, not rounded). A time outside years -9999..=9999 prints as the nearest
/// end of that range.
pub fn rfc3339_us(t: SystemTime) -> String {
    let at = jiff::Timestamp::try_from(t).unwrap_or(if t < SystemTime::UNIX_EPOCH {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    format!("{at:.6}")
}

/// `t + offset_us`, as [`rfc3339_us`].
pub fn rfc3339_at(start: SystemTime, offset_us: u64) -> String {
    rfc3339_us(start + Duration::from_micros(offset_us))
}

pub use crate::paths::path_component;

/// FNV-1a, 64 bits (the `fnv` crate), as 16 hex digits: a stable fingerprint of a plan's JSON
/// for people to compare runs at a glance (not for security).
pub fn fnv1a64(bytes: &[u8]) -> String {
    use std::hash::Hasher as _;
    let mut h = fnv::FnvHasher::default();
    h.write(bytes);
    format!("{:016x}", h.finish())
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
        // nanoseconds are cut to microseconds; before 1970 still works
        assert_eq!(
            rfc3339_us(SystemTime::UNIX_EPOCH + Duration::from_nanos(1_999)),
            "1970-01-01T00:00:00.000001Z"
        );
        assert_eq!(
            rfc3339_us(SystemTime::UNIX_EPOCH - Duration::from_secs(86_400)),
            "1969-12-31T00:00:00.000000Z"
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
