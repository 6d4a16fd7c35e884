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
mod tcp;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::engine::fault::FaultInjector;
use crate::eval::{EvalError, Scope, Value};
use crate::metrics::ProxyMetrics;
use crate::metrics::{ChaosPart, Segment, Timeline};
use crate::plan::{Builtin, Chaos, Expr, Fault, Scenario};

/// What every rule and condition at a proxy sees, HTTP or TCP: the proxy's name (`proxy`), the
/// call (the request or connection number) and, once decided, whether and what was injected
/// (as a proxy SLO's `count(…)` reads them).
#[derive(Clone, Copy)]
struct Decided<'a> {
    proxy: &'a str,
    call: u64,
    injected: bool,
    fault: Option<&'a Fault>,
}

impl Decided<'_> {
    /// `call`, `injected`, `fault`; any other builtin is not available (`elsewhere` says what
    /// a rule there sees).
    fn builtin(&self, builtin: &Builtin, elsewhere: &'static str) -> Result<Value, EvalError> {
        match builtin {
            Builtin::Call => Ok(Value::Number(self.call as f64)),
            Builtin::Injected => Ok(Value::Bool(self.injected)),
            Builtin::Fault => Ok(crate::eval::fault_value(self.fault)),
            _ => Err(EvalError::NotAvailable(elsewhere)),
        }
    }

    /// `proxy`, or `None` for another name.
    fn var(&self, name: &str) -> Option<Value> {
        (name == "proxy").then(|| Value::from(self.proxy))
    }
}

/// A proxy to start.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub name: String,
    pub listen: SocketAddr,
    /// `http://host:port[/prefix]`: request paths are appended to it; for a TCP proxy,
    /// `host:port`.
    pub upstream: String,
    /// `proxy NAME tcp { … }`: forwards bytes, one fault decision per connection.
    pub tcp: bool,
    /// Conditions to count per request (`proxy NAME: count(…)`), see
    /// [`crate::metrics::proxy_predicates`]; empty when no SLO reads them.
    pub predicates: Vec<Expr>,
    /// `ca "path.pem"`: certificates trusted for an `https://` upstream, besides the system's.
    pub ca: Option<String>,
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

/// What one proxy saw: [`crate::metrics::ProxyMetrics`], kept per scenario while the test
/// runs (see [`ProxyHandle::stats_by_scenario`]).
pub type ProxyStats = ProxyMetrics;

/// Where on the time line a request (or connection) is recorded: the scenario it arrived in
/// (`None`: before the first) and its segment on that scenario's clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    scenario: Option<usize>,
    segment: Segment,
}

/// Where a proxy records: one [`ProxyMetrics`] per scenario (by index in the test), plus what
/// arrived before the first scenario started (folded into that scenario when it starts). Each
/// request is recorded in the segment of the time line it arrived in
/// ([`ProxyMetrics::segments`]); the totals are summed when read.
struct Recorder {
    current: Option<usize>,
    /// When the current scenario started: the clock segments are placed by.
    t0: Instant,
    /// The test's stages and chaos window; without it, everything is in one segment.
    timeline: Option<Timeline>,
    before: ProxyMetrics,
    by_scenario: Vec<Option<ProxyMetrics>>,
}

impl Recorder {
    /// The slot of what arrives now.
    fn now(&self) -> Slot {
        let segment = match (&self.timeline, self.current) {
            (Some(t), Some(_)) => {
                t.segment_at(u64::try_from(self.t0.elapsed().as_micros()).unwrap_or(u64::MAX))
            }
            // Before the first scenario: counted at its start.
            (Some(t), None) => t.segment_at(0),
            (None, _) => Segment {
                stage: 0,
                chaos: ChaosPart::Before,
            },
        };
        Slot {
            scenario: self.current,
            segment,
        }
    }

    fn shell(&mut self, scenario: Option<usize>) -> &mut ProxyMetrics {
        match scenario.or(self.current) {
            None => &mut self.before,
            Some(i) => {
                if self.by_scenario.len() <= i {
                    self.by_scenario.resize(i + 1, None);
                }
                let template = &self.before;
                self.by_scenario[i].get_or_insert_with(|| {
                    ProxyMetrics::new(
                        &template.name,
                        &template.listen,
                        &template.upstream,
                        template.matches.len(),
                    )
                })
            }
        }
    }

    fn slot(&mut self, slot: Slot) -> &mut ProxyMetrics {
        self.shell(slot.scenario).segment_mut(slot.segment)
    }

    fn start_scenario(&mut self, index: usize) {
        if self.current.is_none() {
            let before = self.before.clone();
            self.shell(Some(index)).merge(&before);
            let (name, listen, upstream, n) = (
                before.name.clone(),
                before.listen.clone(),
                before.upstream.clone(),
                before.matches.len(),
            );
            self.before = ProxyMetrics::new(&name, &listen, &upstream, n);
        }
        self.current = Some(index);
        self.t0 = Instant::now();
        self.shell(Some(index));
    }

    fn total(&self) -> ProxyMetrics {
        let mut total = self.before.clone();
        for s in self.by_scenario.iter().flatten() {
            total.merge(s);
        }
        total.sum_segments();
        total
    }

    fn by_scenario(&self) -> Vec<Option<ProxyMetrics>> {
        self.by_scenario
            .iter()
            .map(|s| {
                s.clone().map(|mut s| {
                    s.sum_segments();
                    s
                })
            })
            .collect()
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
        Some(Fault::CloseAfter { .. }) => "close_after".into(),
    }
}

/// Where a proxy forwards.
enum Upstream {
    /// An HTTP upstream, with the keep-alive pool to it.
    Http(http::Upstream, Box<http::UpstreamClient>),
    /// `host:port` of a TCP proxy.
    Tcp(String),
}

/// State shared by a proxy's connections.
struct Shared {
    name: String,
    upstream: Upstream,
    faults: Mutex<Option<Arc<ActiveFaults>>>,
    stats: Mutex<Recorder>,
    /// The conditions of the test's `proxy NAME: count(…)`/`rate(…)` SLOs.
    predicates: Vec<Expr>,
}

impl Shared {
    /// Counts, in segment `slot`, the `count(…)` conditions of the test's proxy SLOs that hold
    /// for one request or connection as `scope` shows it.
    fn count_matches<S: Scope>(&self, slot: Slot, scope: &mut S) {
        if self.predicates.is_empty() {
            return;
        }
        let hits: Vec<bool> = self
            .predicates
            .iter()
            .map(|p| crate::eval::eval(p, scope).is_ok_and(|v| v.truthy()))
            .collect();
        let mut rec = self.recorder();
        let stats = rec.slot(slot);
        for (m, hit) in stats.matches.iter_mut().zip(hits) {
            if hit {
                *m += 1;
            }
        }
    }

    fn recorder(&self) -> std::sync::MutexGuard<'_, Recorder> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The scenario and segment a request that arrives now belongs to.
    fn current_slot(&self) -> Slot {
        self.recorder().now()
    }
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
    let upstream = if config.tcp {
        Upstream::Tcp(config.upstream.clone())
    } else {
        let upstream = http::Upstream::parse(&config.upstream)?;
        let client = http::client(&upstream, config.ca.as_deref())?;
        Upstream::Http(upstream, Box::new(client))
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        name: config.name.clone(),
        upstream,
        faults: Mutex::new(None),
        stats: Mutex::new(Recorder {
            current: None,
            t0: Instant::now(),
            timeline: None,
            before: ProxyMetrics::new(
                &config.name,
                &addr.to_string(),
                &if config.tcp {
                    format!("tcp://{}", config.upstream)
                } else {
                    config.upstream.clone()
                },
                config.predicates.len(),
            ),
            by_scenario: Vec::new(),
        }),
        predicates: config.predicates,
    });
    let cancel = CancellationToken::new();
    let task = if config.tcp {
        tokio::spawn(tcp::serve(listener, shared.clone(), cancel.clone()))
    } else {
        tokio::spawn(http::serve(listener, shared.clone(), cancel.clone()))
    };
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

    /// What the proxy saw so far, over every scenario.
    pub fn stats(&self) -> ProxyStats {
        self.shared.recorder().total()
    }

    /// Scenario `index` (of the test) starts: what arrives from now on is its.
    pub fn start_scenario(&self, index: usize) {
        self.shared.recorder().start_scenario(index);
    }

    /// What the proxy saw in each scenario (`None`: the scenario did not run while it
    /// listened), indexed like the test's scenarios.
    pub fn stats_by_scenario(&self) -> Vec<Option<ProxyMetrics>> {
        self.shared.recorder().by_scenario()
    }

    /// Places what the proxy records on this test's time line (its stages and chaos window,
    /// on each scenario's clock), so `proxy NAME: … during chaos` can select it.
    pub fn set_timeline(&self, timeline: Timeline) {
        self.shared.recorder().timeline = Some(timeline);
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
    /// Indexes into `running` of the proxies named by `inject at proxy a, b`.
    inject_at: Vec<usize>,
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
        let predicates = plan
            .tests
            .get(test)
            .map(crate::metrics::proxy_predicates)
            .unwrap_or_default();
        for p in &plan.proxies {
            let upstream = if p.tcp || p.upstream.contains("://") {
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
                    "proxy `{}`: upstream `{}` is neither a URL (`http://host:port`, `https://…`) nor a target",
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
                tcp: p.tcp,
                predicates: predicates.clone(),
                ca: p.ca.clone(),
            };
            match start(config).await {
                Ok(h) => {
                    if let Some(t) = plan.tests.get(test) {
                        h.set_timeline(Timeline::new(t));
                    }
                    out.running.push(h);
                }
                Err(e) => {
                    out.shutdown().await;
                    return Err(format!("proxy `{}`: {e}", p.name));
                }
            }
        }
        if let crate::plan::Inject::Proxy(names) = &plan.tests[test].inject {
            out.inject_at = plan
                .proxies
                .iter()
                .enumerate()
                .filter(|(_, p)| names.contains(&p.name))
                .map(|(i, _)| i)
                .collect();
        }
        Ok(out)
    }

    /// Scenario `index` starts: every proxy records into it from now on, and the injecting
    /// proxy takes its rules, counting calls from 0.
    pub(crate) fn scenario_started(
        &self,
        index: usize,
        seed: u64,
        scenario: &Scenario,
        chaos: Option<&Chaos>,
        shard: crate::engine::Shard,
    ) {
        for h in &self.running {
            h.start_scenario(index);
        }
        // Each injecting proxy counts its own calls from 0; a window's
        // `faults X at proxy NAME` is in force at that proxy only.
        for h in self.inject_at.iter().filter_map(|&i| self.running.get(i)) {
            let chaos = chaos.filter(|c| c.at_proxy.as_ref().is_none_or(|p| *p == h.shared.name));
            h.set_faults(Some(
                ActiveFaults::new(seed, scenario, chaos).on_shard(shard),
            ));
        }
    }

    /// Hands each scenario what every proxy saw while it ran (`ScenarioMetrics::proxies`).
    pub(crate) fn record_into(&self, metrics: &mut crate::metrics::Metrics) {
        for h in &self.running {
            for (i, stats) in h.stats_by_scenario().into_iter().enumerate() {
                if let (Some(stats), Some(sm)) = (stats, metrics.scenarios.get_mut(i)) {
                    sm.proxies.push(stats);
                }
            }
        }
    }

    pub(crate) async fn shutdown(self) {
        for h in self.running {
            h.shutdown().await;
        }
    }
}
