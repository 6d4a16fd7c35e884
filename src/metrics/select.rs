//! A read-only selection of buckets (segments of a phase, one time window, a sliding window)
//! and the measurements SLOs and reports take from it.

use crate::plan::RetryOn;

use super::bucket::{Bucket, IterationAgg, RequestAgg};

/// Buckets of one scenario chosen by a qualifier, read as one.
#[derive(Clone, Debug, Default)]
pub struct Selection<'a> {
    buckets: Vec<&'a Bucket>,
    elapsed_us: Option<u64>,
}

impl<'a> Selection<'a> {
    pub fn new(buckets: Vec<&'a Bucket>) -> Self {
        Self {
            buckets,
            elapsed_us: None,
        }
    }

    /// Fixes the elapsed time throughput divides by (a window's length). Without it,
    /// throughput uses the selection's own span: first intended start → last end.
    #[must_use]
    pub fn with_elapsed(mut self, elapsed_us: u64) -> Self {
        self.elapsed_us = Some(elapsed_us);
        self
    }

    pub fn buckets(&self) -> &[&'a Bucket] {
        &self.buckets
    }

    /// Attempts of one step (`Some`) or of all steps, merged.
    pub fn requests(&self, step: Option<usize>) -> RequestAgg {
        let mut out = RequestAgg::default();
        for b in &self.buckets {
            for (s, r) in &b.requests {
                if step.is_none_or(|want| want == *s) {
                    out.merge(r);
                }
            }
        }
        out
    }

    /// Attempts that got an HTTP response (any status), without merging histograms.
    pub fn responses(&self, step: Option<usize>) -> u64 {
        self.buckets
            .iter()
            .flat_map(|b| b.requests.iter())
            .filter(|(s, _)| step.is_none_or(|want| want == **s))
            .map(|(_, r)| r.count - r.no_status.min(r.count))
            .sum()
    }

    /// Attempt count without merging histograms.
    pub fn attempts(&self, step: Option<usize>) -> u64 {
        self.buckets
            .iter()
            .flat_map(|b| b.requests.iter())
            .filter(|(s, _)| step.is_none_or(|want| want == **s))
            .map(|(_, r)| r.count)
            .sum()
    }

    pub fn iterations(&self) -> IterationAgg {
        let mut out = IterationAgg::default();
        for b in &self.buckets {
            out.merge(&b.iterations);
        }
        out
    }

    pub fn iteration_count(&self) -> u64 {
        self.buckets.iter().map(|b| b.iterations.count).sum()
    }

    pub fn dropped(&self) -> u64 {
        self.buckets.iter().map(|b| b.dropped).sum()
    }

    /// Retries for a reason. A class reason (`5xx`) also counts retries recorded under one of
    /// its statuses (`503`).
    pub fn retries_by(&self, reason: RetryOn) -> u64 {
        let counts = |r: &RetryOn| match (reason, *r) {
            (RetryOn::Class(c), RetryOn::Status(s)) => s / 100 == c,
            (want, got) => want == got,
        };
        self.buckets
            .iter()
            .flat_map(|b| b.iterations.retries_by.iter())
            .filter(|(r, _)| counts(r))
            .map(|(_, n)| n)
            .sum()
    }

    /// First intended start → last end of the selected attempts.
    pub fn span(&self) -> Option<(u64, u64)> {
        let first = self.buckets.iter().map(|b| b.first_us).min()?;
        let last = self.buckets.iter().map(|b| b.last_us).max()?;
        (first <= last && first != u64::MAX).then_some((first, last))
    }

    /// Attempts that got a response (any status, failed checks included) per second over the
    /// elapsed time; a timeout or transport error was not served and does not count. `None`
    /// without attempts or elapsed time.
    pub fn throughput(&self, step: Option<usize>) -> Option<f64> {
        if self.attempts(step) == 0 {
            return None;
        }
        let count = self.responses(step);
        let elapsed = match self.elapsed_us {
            Some(e) => e,
            None => self.span().map(|(f, l)| l - f)?,
        };
        (elapsed > 0).then(|| count as f64 / (elapsed as f64 / 1e6))
    }
}
