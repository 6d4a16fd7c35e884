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
        /// Any other percentile: `p75(x)`, `p99.9(x)`, `p9999(x)`, or `p(99.9, x)`.
        Percentile => "p",
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
    /// A proxy's measurement read by its name alone, under `proxy NAME:`.
    ProxyMetric {
        /// Requests that reached the proxy.
        Requests => "requests",
        /// Connections the proxy accepted.
        Connections => "connections",
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

/// Other names of metric functions, as other tools spell them, and the function they mean.
pub const METRIC_FN_ALIASES: &[(&str, &str)] = &[
    ("avg", "mean"),
    ("average", "mean"),
    ("median", "p50"),
    ("minimum", "min"),
    ("maximum", "max"),
    ("percentile", "p"),
    ("pct", "p"),
];

impl MetricFn {
    /// The function a name calls: its own name, or any percentile `pN` (see [`percentile`]).
    pub fn lookup(name: &str) -> Option<MetricFn> {
        MetricFn::from_name(name).or_else(|| percentile(name).map(|_| MetricFn::Percentile))
    }

    /// The known function another tool's name for it means (`avg` → `mean`).
    pub fn alias(name: &str) -> Option<&'static str> {
        let lower = name.to_ascii_lowercase();
        METRIC_FN_ALIASES
            .iter()
            .find(|(alias, _)| *alias == lower)
            .map(|(_, name)| *name)
    }
}

/// The percentile a `pN` name reads, in (0, 100]: the digits after `p` are the percent, with
/// an optional fraction (`p95` → 95, `p99.9` → 99.9); three digits or more put the point after
/// the first two, as load tools write them (`p999` → 99.9, `p9999` → 99.99, `p995` → 99.5),
/// except `p100` (the maximum). `None` for anything else (`p0`, `p05`, `p101`, `pabc`).
pub fn percentile(name: &str) -> Option<f64> {
    let digits = name.strip_prefix('p')?;
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || whole.starts_with('0') || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    let text = match fraction {
        Some(f) => format!("{whole}.{f}"),
        None if whole.len() <= 2 || whole == "100" => whole.to_string(),
        None => format!("{}.{}", &whole[..2], &whole[2..]),
    };
    let value: f64 = text.parse().ok()?;
    (value > 0.0 && value <= 100.0).then_some(value)
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
            | MetricFn::Percentile
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

    #[test]
    fn percentile_names_read_as_load_tools_write_them() {
        assert_eq!(percentile("p95"), Some(95.0));
        assert_eq!(percentile("p5"), Some(5.0));
        assert_eq!(percentile("p99.9"), Some(99.9));
        assert_eq!(percentile("p99.99"), Some(99.99));
        assert_eq!(percentile("p999"), Some(99.9));
        assert_eq!(percentile("p9999"), Some(99.99));
        assert_eq!(percentile("p995"), Some(99.5));
        assert_eq!(percentile("p100"), Some(100.0));
        for bad in [
            "p", "p0", "p05", "p101.5", "p100.1", "p9.", "p.9", "pa", "q95", "p9_9",
        ] {
            assert_eq!(percentile(bad), None, "{bad}");
        }
        assert_eq!(MetricFn::lookup("p75"), Some(MetricFn::Percentile));
        assert_eq!(MetricFn::lookup("p95"), Some(MetricFn::P95));
        assert_eq!(MetricFn::lookup("avg"), None);
        assert_eq!(MetricFn::alias("AVG"), Some("mean"));
    }
}
