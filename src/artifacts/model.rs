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

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PhaseSpan {
    /// A named stage, or `chaos`.
    pub name: String,
    pub start_us: u64,
    pub end_us: u64,
}
