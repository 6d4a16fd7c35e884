//! What the artifact writers exchange: one `TestRecord` per test that ran, built by the run
//! from the report model plus time series gathered while streaming attempts. Plain data.

use serde::{Deserialize, Serialize};

/// Everything the renderers (summary.json, report.md, report.html, junit.xml) need of one test.
#[derive(Clone, Debug, Serialize)]
pub struct TestRecord {
    /// The `.stress` file as named on the command line.
    pub file: String,
    /// The report model (per scenario metrics, comparison, SLO results with file:line).
    pub report: crate::report::Report,
    /// Per scenario, in run order: one point per second of the scenario's run.
    pub series: Vec<ScenarioSeries>,
    /// What the test's services did (samples, restarts, scenario spans on their clock), one
    /// entry per machine: one for a run; one per shard for a merge, whose services are named
    /// `shard-I/NAME`. Empty without services.
    pub services: Vec<crate::metrics::ServiceData>,
}

/// Time series of one scenario's run, for charts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioSeries {
    pub scenario: String,
    /// Wall clock (RFC 3339, UTC, µs) when the scenario started; `None` for merged runs.
    #[serde(default)]
    pub started_at: Option<String>,
    /// One point per whole second since the scenario started (by intended start), in order;
    /// seconds with no request are present with zero counts.
    pub points: Vec<SeriesPoint>,
    /// Named stages (phases) and the chaos window, as time spans since the scenario started.
    pub phases: Vec<PhaseSpan>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SeriesPoint {
    /// Seconds since the scenario started.
    pub t_s: u64,
    /// Attempts that started in this second.
    pub requests: u64,
    /// Of those, failed ones.
    pub errors: u64,
    /// Latency percentiles (from the intended start) of those attempts, microseconds; 0 when none.
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    /// The most VUs active when one of the second's attempts was sent (0: no attempt).
    #[serde(default)]
    pub users: u64,
    /// The second's attempts by answer: [1xx/2xx, 3xx, 4xx, 5xx, no answer (timeout,
    /// refused, reset, …)].
    #[serde(default)]
    pub classes: [u64; 5],
    /// How late the generator sent them (send − intended start), p99 and max, µs: a stalled
    /// load generator shows here, a stalled server in the latency.
    #[serde(default)]
    pub lag_p99_us: u64,
    #[serde(default)]
    pub lag_max_us: u64,
}

/// The index in [`SeriesPoint::classes`] of an attempt with this status (`None`: no answer).
pub fn status_class(status: Option<u16>) -> usize {
    crate::samples::status_class(status)
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PhaseSpan {
    /// A named stage, or `chaos`.
    pub name: String,
    pub start_us: u64,
    pub end_us: u64,
}
