//! What an SLO can read: metrics by name (`error_rate`), metric functions (`p95(latency)`,
//! `count(status == 200)`, `cpu(api)`), the quantities a statistic is taken of and the
//! outcomes of an iteration.

words! {
    /// A metric an SLO reads by its name alone.
    MetricName {
        ErrorRate => "error_rate",
        SuccessRate => "success_rate",
        Throughput => "throughput",
        Dropped => "dropped",
        BudgetExceeded => "budget_exceeded",
        BudgetExceededDuringRetry => "budget_exceeded_during_retry",
    }
}

words! {
    /// A metric an SLO calls with one argument.
    MetricFn {
        P50 => "p50",
        P90 => "p90",
        P95 => "p95",
        P99 => "p99",
        P999 => "p999",
        Max => "max",
        Min => "min",
        Mean => "mean",
        Count => "count",
        Rate => "rate",
        Outcome => "outcome",
        RetriesBy => "retries_by",
        MemoryGrowth => "memory_growth",
        MaxRss => "max_rss",
        Cpu => "cpu",
        Rss => "rss",
        MaxCpu => "max_cpu",
        Fds => "fds",
        Threads => "threads",
        Restarts => "restarts",
        Metric => "metric",
        Delta => "delta",
    }
}

words! {
    /// What a statistic (`p95(…)`, `max(…)`) is taken of, besides a workload's captures.
    Quantity {
        /// Per request attempt.
        Latency => "latency",
        /// Per iteration (or per step).
        Duration => "duration",
        /// Retries per iteration.
        Retries => "retries",
        /// Per iteration: the sum of `capture cost = …`.
        Cost => "cost",
    }
}

words! {
    /// How an iteration ended (`outcome(…)`).
    Outcome {
        Success => "success",
        Failed => "failed",
        BudgetExceeded => "budget_exceeded",
        Timeout => "timeout",
    }
}

/// What a [`MetricFn`] takes as its one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricArg {
    /// A [`Quantity`] or a capture: `p95(latency)`.
    Quantity,
    /// A condition over the request record: `count(status == 200)`.
    Condition,
    /// An [`Outcome`].
    Outcome,
    /// A retry reason: a status, `5xx`, `timeout` or `connection_error`.
    RetryReason,
    /// A service: `cpu(api)`.
    Service,
    /// A scraped service or target and a series: `metric(gw, "queue_lag_seconds")` (and
    /// `rate(gw, "requests_total")`, `rate` with two arguments).
    Scraped,
}

impl MetricFn {
    /// What the function takes.
    pub fn arg(self) -> MetricArg {
        match self {
            MetricFn::P50
            | MetricFn::P90
            | MetricFn::P95
            | MetricFn::P99
            | MetricFn::P999
            | MetricFn::Max
            | MetricFn::Min
            | MetricFn::Mean => MetricArg::Quantity,
            MetricFn::Count | MetricFn::Rate => MetricArg::Condition,
            MetricFn::Outcome => MetricArg::Outcome,
            MetricFn::RetriesBy => MetricArg::RetryReason,
            MetricFn::MemoryGrowth
            | MetricFn::MaxRss
            | MetricFn::Cpu
            | MetricFn::Rss
            | MetricFn::MaxCpu
            | MetricFn::Fds
            | MetricFn::Threads
            | MetricFn::Restarts => MetricArg::Service,
            MetricFn::Metric | MetricFn::Delta => MetricArg::Scraped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in MetricName::ALL {
            assert_eq!(MetricName::from_name(m.name()), Some(*m));
        }
        for f in MetricFn::ALL {
            assert_eq!(MetricFn::from_name(f.name()), Some(*f));
        }
        for q in Quantity::ALL {
            assert_eq!(Quantity::from_name(q.name()), Some(*q));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_name(o.name()), Some(*o));
        }
        assert_eq!(MetricFn::from_name("error_rate"), None);
        assert_eq!(MetricFn::Cpu.arg(), MetricArg::Service);
    }
}
