//! Stage: samples → metrics. HdrHistograms (microseconds, 3 significant digits) per
//! test × scenario × step × phase, counts by status and error class, outcomes. hdrhistogram
//! is used only in this module.
//!
//! - [`Collector`] receives the engine's events (`attempt`, `iteration`, `dropped`) and keeps
//!   one [`Bucket`] per scenario × [`Segment`] (stage × chaos part), plus the time windows
//!   `in every D` and `abort if … over D` need.
//! - [`Collector::finish`] gives [`Metrics`], mergeable with [`Metrics::merge`], storable
//!   exactly with [`Metrics::to_stored`] / [`Metrics::from_stored`] (`metrics.json`).
//! - [`IntervalLogWriter`] / [`read_interval_log`]: HdrHistogram interval logs (`.hlog`).
//! - A [`Selection`] reads a union of buckets (a phase, a window) as one; [`side`] computes
//!   an SLO side's value over one.

mod bucket;
mod collector;
mod histogram;
mod hlog;
mod measure;
pub(crate) use measure::where_text;
pub mod growth;
mod persist;
mod proxy;
pub mod scraped;
mod segment;
mod select;
mod services;

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

pub use crate::samples::{Attempt, CaptureValue, ErrorClass, Injected, Iteration};
pub use bucket::{Bucket, ERROR_CLASSES, IterationAgg, LATE_AFTER_US, Needs, OUTCOMES, RequestAgg};
pub use collector::{
    AbortRecord, CheckCount, Collector, MergeError, Metrics, ScenarioMetrics, WindowKey, needs_of,
};
pub use histogram::{CAPTURE_SCALE, COUNT_SCALE, Histogram, MAX_TRACKABLE, MONEY_SCALE, SIGFIG};
pub use hlog::{IntervalLog, IntervalLogWriter, LoggedInterval, read_interval_log};
pub use measure::{
    Missing, Scope, describe, expr_text, format_value, outcome_name, precise, retry_on_text,
    round_sig, side,
};
pub use persist::{RestoreError, STORED_METRICS_VERSION, StoredAbort, StoredMetrics};
pub use proxy::{FaultCount, ProxyMetrics, merge_by_name, proxy_predicates};
pub use segment::{ChaosPart, PhaseSelect, Segment, Timeline};
pub use select::Selection;
pub use services::{Sample, ScenarioSpan, ServiceData, ServiceRecord};
