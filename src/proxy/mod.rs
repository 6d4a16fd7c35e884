//! The embedded fault proxy: `proxy NAME { listen "…"  upstream "…" }` with
//! `inject at proxy NAME`. A reverse proxy (hyper server, hyper client with a keep-alive pool)
//! that a test starts after its mocks and before its load, and stops after the load. With
//! faults, each request that passes through it is call number `k` (from 0, per scenario,
//! retries included: a retry is a new request) and the test's scenario rules decide its fate
//! with the same function as at the client ([`FaultInjector::decide_in`]): the decision
//! depends only on (seed, scenario, k) and on what the request shows (method, path, headers,
//! body size), so the pattern is the same whatever the interleaving.
//!
//! What the client sees for each wire fault is in docs/proxy.md; `http.rs` carries them out.

mod http;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::engine::fault::FaultInjector;
use crate::metrics::Histogram;
use crate::plan::{Chaos, Fault, Scenario};

/// A proxy to start.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub name: String,
    pub listen: SocketAddr,
    /// `http://host:port[/prefix]`: request paths are appended to it.
    pub upstream: String,
}

/// The fault rules in force at a proxy while one scenario runs.
pub struct ActiveFaults {
    injector: FaultInjector,
    /// Labels of the rules, indexed as [`crate::engine::fault::Decision::rule`].
    labels: Vec<String>,
    t0: Instant,
    calls: AtomicU64,
    /// On shard I of N, this proxy's c-th request is call `I + c·N` of the whole test.
    shard: crate::engine::Shard,
}

impl ActiveFaults {
    /// Numbers this proxy's calls as shard `shard`'s part of the whole test.
    pub fn on_shard(mut self, shard: crate::engine::Shard) -> Self {
        self.shard = shard;
        self
    }

    /// The rules of `scenario` (and of `chaos`, inside its window from now on).
    pub fn new(seed: u64, scenario: &Scenario, chaos: Option<&Chaos>) -> Self {
        let labels = scenario
            .rules
            .iter()
            .chain(
                chaos
                    .iter()
                    .flat_map(|c| c.scenarios.iter().flat_map(|s| &s.rules)),
            )
            .map(|r| r.label.clone())
            .collect();
        ActiveFaults {
            injector: FaultInjector::new(seed, scenario, chaos),
            labels,
            t0: Instant::now(),
            calls: AtomicU64::new(0),
            shard: crate::engine::Shard::WHOLE,
        }
    }
}

/// What one proxy saw, over a whole test.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProxyStats {
    pub name: String,
    /// The address it listened on (the real port when `listen` asked for port 0).
    pub listen: String,
    pub upstream: String,
    /// Requests received.
    pub requests: u64,
    /// Requests forwarded upstream (not answered by an injected fault).
    pub forwarded: u64,
    /// Upstream response statuses, by status.
    pub upstream_status: BTreeMap<u16, u64>,
    /// Requests whose upstream could not be reached or failed before answering (answered 502).
    pub upstream_errors: u64,
    /// Time from sending to the upstream to its response head, µs: p50, p95, p99, max.
    pub upstream_latency_us: LatencySummary,
    /// Injected faults by rule (as written) and by kind.
    pub faults: Vec<FaultCount>,
    /// Request body bytes forwarded upstream, response body bytes sent to clients.
    pub bytes_up: u64,
    pub bytes_down: u64,
    #[serde(skip)]
    latency: Histogram,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LatencySummary {
    pub p50: Option<u64>,
    pub p95: Option<u64>,
    pub p99: Option<u64>,
    pub max: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultCount {
    pub rule: String,
    /// `429`, `timeout`, `reset`, … or `delay` for a delay-only rule.
    pub kind: String,
    pub count: u64,
}

impl ProxyStats {
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

    fn fault(&mut self, rule: &str, kind: String) {
        match self
            .faults
            .iter_mut()
            .find(|f| f.rule == rule && f.kind == kind)
        {
            Some(f) => f.count += 1,
            None => self.faults.push(FaultCount {
                rule: rule.to_string(),
                kind,
                count: 1,
            }),
        }
    }
}

/// The name of a fault for reports (`429`, `timeout`, `bandwidth`).
pub fn fault_kind(fault: Option<&Fault>) -> String {
    match fault {
        None => "delay".into(),
        Some(Fault::Status { status, .. }) => status.to_string(),
        Some(Fault::Timeout) => "timeout".into(),
        Some(Fault::ConnectionError) => "connection_error".into(),
        Some(Fault::Reset) => "reset".into(),
        Some(Fault::Hang) => "hang".into(),
        Some(Fault::Truncate) => "truncate".into(),
        Some(Fault::Bandwidth { .. }) => "bandwidth".into(),
    }
}

/// State shared by a proxy's connections.
struct Shared {
    upstream: http::Upstream,
    client: http::UpstreamClient,
    faults: Mutex<Option<Arc<ActiveFaults>>>,
    stats: Mutex<ProxyStats>,
}

/// A running proxy; [`ProxyHandle::shutdown`] stops it and drops every connection (held
/// `hang`/`timeout` requests included).
pub struct ProxyHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Starts a proxy: binds at once (a busy port is an error here, before any load).
pub async fn start(config: ProxyConfig) -> Result<ProxyHandle, String> {
    let upstream = http::Upstream::parse(&config.upstream)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        upstream,
        client: http::client(),
        faults: Mutex::new(None),
        stats: Mutex::new(ProxyStats {
            name: config.name.clone(),
            listen: addr.to_string(),
            upstream: config.upstream.clone(),
            ..ProxyStats::default()
        }),
    });
    let cancel = CancellationToken::new();
    let task = tokio::spawn(http::serve(listener, shared.clone(), cancel.clone()));
    Ok(ProxyHandle {
        addr,
        shared,
        cancel,
        task: Some(task),
    })
}

impl ProxyHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Puts these rules in force from now on (`None`: forward everything untouched); the call
    /// counter and the chaos clock start again at 0.
    pub fn set_faults(&self, faults: Option<ActiveFaults>) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults.map(Arc::new);
    }

    /// What the proxy saw so far.
    pub fn stats(&self) -> ProxyStats {
        let mut s = self
            .shared
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        s.upstream_latency_us = LatencySummary {
            p50: s.latency.percentile(0.5),
            p95: s.latency.percentile(0.95),
            p99: s.latency.percentile(0.99),
            max: s.latency.max(),
        };
        s
    }

    /// Stops accepting, drops every open connection and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// The proxies of one test, started from the plan.
#[derive(Default)]
pub(crate) struct Proxies {
    running: Vec<ProxyHandle>,
    /// Index into `running` of the proxy named by `inject at proxy NAME`.
    inject_at: Option<usize>,
}

impl Proxies {
    /// Starts every proxy of the plan (`target_urls`: mock targets already started, so an
    /// `upstream` may name a target).
    pub(crate) async fn start(
        plan: &crate::plan::Plan,
        test: usize,
        target_urls: &std::collections::HashMap<String, String>,
    ) -> Result<Proxies, String> {
        let mut out = Proxies::default();
        for p in &plan.proxies {
            let upstream = if p.upstream.contains("://") {
                p.upstream.clone()
            } else if let Some(url) = target_urls.get(&p.upstream) {
                url.clone()
            } else if let Some(crate::plan::TargetKind::Url(url)) = plan
                .targets
                .iter()
                .find(|t| t.name == p.upstream)
                .map(|t| &t.kind)
            {
                url.clone()
            } else {
                return Err(format!(
                    "proxy `{}`: upstream `{}` is neither a URL (`http://host:port`) nor a target",
                    p.name, p.upstream
                ));
            };
            let listen: SocketAddr = p.listen.parse().map_err(|_| {
                format!(
                    "proxy `{}`: listen `{}` is not an address (`127.0.0.1:9100`)",
                    p.name, p.listen
                )
            })?;
            let config = ProxyConfig {
                name: p.name.clone(),
                listen,
                upstream,
            };
            match start(config).await {
                Ok(h) => out.running.push(h),
                Err(e) => {
                    out.shutdown().await;
                    return Err(format!("proxy `{}`: {e}", p.name));
                }
            }
        }
        if let crate::plan::Inject::Proxy(name) = &plan.tests[test].inject {
            out.inject_at = plan.proxies.iter().position(|p| &p.name == name);
        }
        Ok(out)
    }

    /// A scenario starts: the injecting proxy takes its rules, counting calls from 0.
    pub(crate) fn scenario_started(
        &self,
        seed: u64,
        scenario: &Scenario,
        chaos: Option<&Chaos>,
        shard: crate::engine::Shard,
    ) {
        if let Some(h) = self.inject_at.and_then(|i| self.running.get(i)) {
            h.set_faults(Some(
                ActiveFaults::new(seed, scenario, chaos).on_shard(shard),
            ));
        }
    }

    pub(crate) fn stats(&self) -> Vec<ProxyStats> {
        self.running.iter().map(ProxyHandle::stats).collect()
    }

    pub(crate) async fn shutdown(self) {
        for h in self.running {
            h.shutdown().await;
        }
    }
}

/// The text report's section for each proxy: what it saw, and each wire fault with its count.
pub fn render(stats: &[ProxyStats]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for s in stats {
        let _ = writeln!(out, "proxy {} ({} → {})", s.name, s.listen, s.upstream);
        let statuses: Vec<String> = s
            .upstream_status
            .iter()
            .map(|(k, v)| format!("{k}×{v}"))
            .collect();
        let _ = writeln!(
            out,
            "  requests {}  forwarded {}  upstream status {}  upstream errors {}",
            s.requests,
            s.forwarded,
            if statuses.is_empty() {
                "-".into()
            } else {
                statuses.join(" ")
            },
            s.upstream_errors
        );
        let ms = |v: Option<u64>| v.map_or("-".into(), |us| format!("{:.1}ms", us as f64 / 1000.0));
        let l = &s.upstream_latency_us;
        let _ = writeln!(
            out,
            "  upstream latency p50 {}  p95 {}  p99 {}  max {}",
            ms(l.p50),
            ms(l.p95),
            ms(l.p99),
            ms(l.max)
        );
        let _ = writeln!(out, "  bytes up {}  down {}", s.bytes_up, s.bytes_down);
        if s.faults.is_empty() {
            let _ = writeln!(out, "  faults injected: none");
        } else {
            let _ = writeln!(out, "  faults injected:");
            for f in &s.faults {
                let _ = writeln!(out, "    {:<40} {:<16} {}", f.rule, f.kind, f.count);
            }
        }
    }
    out
}
