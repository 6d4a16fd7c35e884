//! Stage: samples → metrics. HdrHistograms (microseconds, 3 significant digits) per
//! test × scenario × step × phase, counts by status and error class, outcomes. hdrhistogram
//! is used only in this module.

mod sample;

pub use sample::{Attempt, CaptureValue, ErrorClass, Injected, Iteration};
