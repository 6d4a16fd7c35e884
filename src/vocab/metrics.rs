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
    /// A proxy's measurement read by its name alone, under `proxy NAME:`.
    ProxyMetric {
        /// Requests that reached the proxy.
        Requests => "requests",
        /// Requests sent upstream (not answered by an injected fault).
        Forwarded => "forwarded",
        /// Forwarded requests whose upstream could not be reached or failed before its
        /// response head (answered 502).
        UpstreamErrors => "upstream_errors",
        /// Request body bytes forwarded upstream (declared lengths).
        BytesUp => "bytes_up",
        /// Response body bytes sent to clients.
        BytesDown => "bytes_down",
    }
}

words! {
    /// What a statistic is taken of under `proxy NAME:`.
    ProxyQuantity {
        /// From sending to the upstream to its response head, per forwarded request.
        UpstreamLatency => "upstream_latency",
    }
}

/// The request record a proxy's `count(…)` and `rate(…)` read (the client's record has more).
pub const PROXY_RECORD: &[&str] = &[
    "status",
    "injected",
    "fault",
    "call",
    "method",
    "path",
    "body_size",
    "proxy",
];

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
