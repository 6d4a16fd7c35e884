//! What one embedded proxy measured during one scenario: counts, upstream statuses, the
//! upstream latency (HdrHistogram, µs), faults by rule and kind, bytes, and how many requests
//! matched each `count(…)`/`rate(…)` condition of the test's `proxy NAME:` SLOs. Written by
//! `crate::proxy`, stored with the scenario's metrics (`metrics.json`) and merged exactly by
//! `stress merge` (counts summed, histograms added, per proxy name).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::histogram::Histogram;
use super::segment::Segment;
use crate::plan::{Expr, Metric, ProxyMeasure, SloExpr, Test};

/// The conditions of the test's `proxy NAME: count(…)`/`rate(…)` SLOs, each once, in the
/// order of the SLOs: what every proxy of the test counts ([`ProxyMetrics::matches`]).
pub fn proxy_predicates(test: &Test) -> Vec<Expr> {
    fn walk(e: &SloExpr, out: &mut Vec<Expr>) {
        match e {
            SloExpr::Metric {
                metric:
                    Metric::Proxy {
                        measure: ProxyMeasure::Count(c) | ProxyMeasure::Rate(c),
                        ..
                    },
                ..
            } if !out.contains(c) => out.push(c.clone()),
            SloExpr::Mul(a, b) | SloExpr::Div(a, b) | SloExpr::Add(a, b) | SloExpr::Sub(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for slo in &test.slos {
        walk(&slo.lhs, &mut out);
        walk(&slo.rhs, &mut out);
    }
    out
}

/// One proxy over one scenario (or, merged, over a test).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProxyMetrics {
    pub name: String,
    /// The address it listened on (the real port when `listen` asked for port 0).
    pub listen: String,
    pub upstream: String,
    /// Requests received (at a TCP proxy: connections, each one decision).
    pub requests: u64,
    /// Connections accepted.
    #[serde(default)]
    pub connections: u64,
    /// Requests forwarded upstream (not answered by an injected fault).
    pub forwarded: u64,
    /// Upstream response statuses, by status.
    pub upstream_status: BTreeMap<u16, u64>,
    /// Forwarded requests whose upstream could not be reached or failed before answering
    /// (answered 502).
    pub upstream_errors: u64,
    /// Upstream errors by cause (`client error (Connect): invalid peer certificate:
    /// UnknownIssuer`), at most [`ERROR_KINDS`] distinct ones (then `other`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub upstream_error_kinds: BTreeMap<String, u64>,
    /// From sending to the upstream to its response head, µs.
    pub upstream_latency: Histogram,
    /// Injected faults by rule (as written) and by kind.
    pub faults: Vec<FaultCount>,
    /// Request body bytes forwarded upstream (declared lengths).
    pub bytes_up: u64,
    /// Response body bytes sent to clients.
    pub bytes_down: u64,
    /// Requests for which each of `Metrics::proxy_predicates` held, in that order.
    #[serde(default)]
    pub matches: Vec<u64>,
    /// The same measurements split by where each request fell on the test's time line (the
    /// profile stage and the part of the `chaos` window it arrived in, by its arrival at the
    /// proxy on the scenario's clock), for `proxy NAME: … during chaos`. The entries' own
    /// `segments` are empty; the fields above are their sum. Empty in metrics.json written
    /// before proxies were split by phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<ProxySegment>,
}

/// What a proxy measured in one segment of the time line.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProxySegment {
    pub segment: Segment,
    pub metrics: ProxyMetrics,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCount {
    pub rule: String,
    /// `429`, `timeout`, `reset`, … or `delay` for a delay-only rule.
    pub kind: String,
    pub count: u64,
}

/// How many distinct upstream error causes a proxy keeps (the rest count as `other`).
pub(crate) const ERROR_KINDS: usize = 8;

impl ProxyMetrics {
    pub fn new(name: &str, listen: &str, upstream: &str, predicates: usize) -> Self {
        ProxyMetrics {
            name: name.to_string(),
            listen: listen.to_string(),
            upstream: upstream.to_string(),
            matches: vec![0; predicates],
            ..ProxyMetrics::default()
        }
    }

    /// Counts one upstream error (answered 502), with its cause.
    pub fn upstream_error(&mut self, why: &str) {
        self.upstream_errors += 1;
        self.add_error_kind(why, 1);
    }

    fn add_error_kind(&mut self, why: &str, n: u64) {
        let key = if self.upstream_error_kinds.len() < ERROR_KINDS
            || self.upstream_error_kinds.contains_key(why)
        {
            why
        } else {
            "other"
        };
        *self
            .upstream_error_kinds
            .entry(key.to_string())
            .or_default() += n;
    }

    /// Faults of one kind (`"503"`, `"reset"`, `"delay"`), over every rule.
    pub fn fault_count(&self, kind: &str) -> u64 {
        self.faults
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.count)
            .sum()
    }

    /// Every injected fault (delays included).
    pub fn injected(&self) -> u64 {
        self.faults.iter().map(|f| f.count).sum()
    }

    /// Counts one fault of rule `rule` (as written) and kind `kind`.
    pub fn fault(&mut self, rule: &str, kind: String) {
        self.add_fault(rule, &kind, 1);
    }

    fn add_fault(&mut self, rule: &str, kind: &str, count: u64) {
        match self
            .faults
            .iter_mut()
            .find(|f| f.rule == rule && f.kind == kind)
        {
            Some(f) => f.count += count,
            None => self.faults.push(FaultCount {
                rule: rule.to_string(),
                kind: kind.to_string(),
                count,
            }),
        }
    }

    /// Adds `other` (the same proxy, another scenario or another run): counts summed,
    /// histograms added; the address is kept, or taken from `other` when this one has none.
    pub fn merge(&mut self, other: &ProxyMetrics) {
        if self.listen.is_empty() {
            self.listen.clone_from(&other.listen);
        }
        if self.upstream.is_empty() {
            self.upstream.clone_from(&other.upstream);
        }
        self.requests += other.requests;
        self.connections += other.connections;
        self.forwarded += other.forwarded;
        for (why, n) in &other.upstream_error_kinds {
            self.add_error_kind(why, *n);
        }
        for (status, n) in &other.upstream_status {
            *self.upstream_status.entry(*status).or_default() += n;
        }
        self.upstream_errors += other.upstream_errors;
        self.upstream_latency.merge(&other.upstream_latency);
        for f in &other.faults {
            self.add_fault(&f.rule, &f.kind, f.count);
        }
        self.bytes_up += other.bytes_up;
        self.bytes_down += other.bytes_down;
        if self.matches.len() < other.matches.len() {
            self.matches.resize(other.matches.len(), 0);
        }
        for (mine, theirs) in self.matches.iter_mut().zip(&other.matches) {
            *mine += theirs;
        }
        for theirs in &other.segments {
            self.segment_mut(theirs.segment).merge(&theirs.metrics);
        }
    }

    /// The measurements of one segment (made empty when it has none yet).
    pub fn segment_mut(&mut self, segment: Segment) -> &mut ProxyMetrics {
        let at = match self.segments.iter().position(|s| s.segment == segment) {
            Some(i) => i,
            None => {
                let metrics =
                    ProxyMetrics::new(&self.name, &self.listen, &self.upstream, self.matches.len());
                self.segments.push(ProxySegment { segment, metrics });
                self.segments.len() - 1
            }
        };
        &mut self.segments[at].metrics
    }

    /// The sum of the segments `keep` selects (no segments of its own); `None` when these
    /// measurements are not split by segment.
    pub fn select(&self, keep: impl Fn(Segment) -> bool) -> Option<ProxyMetrics> {
        if self.segments.is_empty() {
            return None;
        }
        let mut out =
            ProxyMetrics::new(&self.name, &self.listen, &self.upstream, self.matches.len());
        for s in self.segments.iter().filter(|s| keep(s.segment)) {
            out.merge(&s.metrics);
        }
        Some(out)
    }

    /// Fills the totals from the segments (what the recorder wrote there) and sorts them.
    pub fn sum_segments(&mut self) {
        let segments = std::mem::take(&mut self.segments);
        for s in &segments {
            let mut m = s.metrics.clone();
            m.segments.clear();
            self.merge(&m);
        }
        self.segments = segments;
        self.segments.sort_by_key(|s| s.segment);
    }
}

/// Merges `from` into `into` by proxy name (a proxy `into` does not have is added).
pub fn merge_by_name(into: &mut Vec<ProxyMetrics>, from: &[ProxyMetrics]) {
    for theirs in from {
        match into.iter_mut().find(|p| p.name == theirs.name) {
            Some(mine) => mine.merge(theirs),
            None => into.push(theirs.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(latencies: &[u64], faults: &[(&str, &str)]) -> ProxyMetrics {
        let mut p = ProxyMetrics::new("p", "127.0.0.1:1", "http://u", 2);
        for us in latencies {
            p.requests += 1;
            p.forwarded += 1;
            *p.upstream_status.entry(200).or_default() += 1;
            p.upstream_latency.record(*us);
        }
        for (rule, kind) in faults {
            p.requests += 1;
            p.fault(rule, (*kind).to_string());
            p.matches[0] += 1;
        }
        p.bytes_down = 10 * latencies.len() as u64;
        p
    }

    #[test]
    fn merging_sums_counts_and_adds_histograms_exactly() {
        let mut a = sample(&[1_000, 2_000], &[("503 rule", "503")]);
        let b = sample(&[3_000], &[("503 rule", "503"), ("reset rule", "reset")]);
        a.merge(&b);
        assert_eq!((a.requests, a.forwarded), (6, 3));
        assert_eq!(a.upstream_status.get(&200), Some(&3));
        assert_eq!(a.upstream_latency.count(), 3);
        assert_eq!(
            a.upstream_latency.max(),
            sample(&[3_000], &[]).upstream_latency.max()
        );
        assert_eq!(a.fault_count("503"), 2);
        assert_eq!(a.fault_count("reset"), 1);
        assert_eq!(a.matches, vec![3, 0]);
        assert_eq!(a.bytes_down, 30);
    }

    #[test]
    fn merging_by_name_keeps_proxies_apart() {
        let mut into = vec![sample(&[1_000], &[])];
        let mut other = sample(&[2_000], &[]);
        other.name = "q".into();
        merge_by_name(&mut into, &[sample(&[5_000], &[]), other]);
        assert_eq!(into.len(), 2);
        assert_eq!((into[0].name.as_str(), into[0].requests), ("p", 2));
        assert_eq!((into[1].name.as_str(), into[1].requests), ("q", 1));
    }

    #[test]
    fn segments_sum_to_the_totals_and_merge_by_segment() {
        use crate::metrics::ChaosPart;
        let seg = |stage, chaos| Segment { stage, chaos };
        let before = seg(0, ChaosPart::Before);
        let during = seg(0, ChaosPart::During);
        // As the recorder writes: nothing at the top, everything in segments.
        let mut run = ProxyMetrics::new("p", "127.0.0.1:1", "http://u", 1);
        for _ in 0..3 {
            let m = run.segment_mut(before);
            m.requests += 1;
            m.forwarded += 1;
            m.upstream_latency.record(1000);
        }
        let m = run.segment_mut(during);
        m.requests += 2;
        m.fault("r", "503".into());
        m.fault("r", "503".into());
        m.matches[0] += 2;
        run.sum_segments();
        assert_eq!((run.requests, run.forwarded, run.injected()), (5, 3, 2));
        assert_eq!(run.matches, vec![2]);
        let chaos = run.select(|s| s == during).unwrap();
        assert_eq!(
            (chaos.requests, chaos.forwarded, chaos.matches[0]),
            (2, 0, 2)
        );
        assert!(chaos.segments.is_empty());
        // Two runs merged (`stress merge`): totals and each segment add up.
        let mut merged = run.clone();
        merged.merge(&run);
        assert_eq!(merged.requests, 10);
        let calm = merged.select(|s| s == before).unwrap();
        assert_eq!((calm.requests, calm.upstream_latency.count()), (6, 6));
        // Measurements from before the split have no segments to select from.
        let old = ProxyMetrics::new("p", "", "", 0);
        assert!(old.select(|_| true).is_none());
    }
}
