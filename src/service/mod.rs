//! `service NAME { … }`: the system under test as a process that `stress run` starts, waits
//! for, samples and stops (docs/services.md).
//!
//! A test's `services a, b` are started in order before the load, each `sh -c EXEC` in its
//! own process group, and each awaited (`ready …`) before the next starts; they are stopped
//! after the load in reverse order (the stop signal to the whole group, SIGKILL after the
//! grace). While the load runs, every service's process tree is sampled (RSS, CPU, fds,
//! threads) and watched: a service that exits on its own stops the load and fails the test.
//! Chaos windows act on services through [`crate::engine::ServiceControl`].
//!
//! A service's (or a target's) `scrape` is read once when it is ready (before the load), every
//! `every` while it runs (not while a chaos action holds it down), and once more after the
//! load, before the services stop; failures are counted, never fatal.
//!
//! Files: `spawn.rs` (process group, output capture, stop), `ready.rs` (probes), `sample.rs`
//! (procfs), `scrape.rs` (Prometheus expositions), `report.rs` (text section, CSV); the
//! metrics over samples and scrapes are `crate::metrics::growth` and `crate::metrics::scraped`.

mod ready;
mod report;
pub mod sample;
mod scrape;
mod spawn;

pub use crate::metrics::{Sample, ScenarioSpan, ServiceData, ServiceRecord};
pub use report::{
    ScenarioGrowth, ScrapeSummary, SeriesSummary, ServiceSummary, render_text, summarize,
    summarize_scrapes, write_csv,
};

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::ast::ServiceOp;
use crate::metrics::scraped::{ScrapePoint, ScrapeRecord};
use crate::plan::{Metric, Plan, ScrapeSpec, Service, SloExpr};

use spawn::{LogBuf, Running, SpawnSpec};

/// Lines of a service's output shown with an error.
pub const ERROR_TAIL: usize = 20;

/// A service could not be started or did not become ready: exit 3.
#[derive(Clone, Debug)]
pub struct StartError {
    pub message: String,
    /// The last lines of the service's output.
    pub tail: Vec<String>,
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        write_tail(f, &self.tail)
    }
}

fn write_tail(f: &mut impl std::fmt::Write, tail: &[String]) -> std::fmt::Result {
    if tail.is_empty() {
        write!(f, "\n  (the service printed nothing)")
    } else {
        write!(f, "\n  last lines of its output:")?;
        for line in tail {
            write!(f, "\n  | {line}")?;
        }
        Ok(())
    }
}

struct Svc {
    spec: Service,
    cwd: PathBuf,
    log: Arc<LogBuf>,
    running: tokio::sync::Mutex<Option<Running>>,
    /// The process group sampled now; 0 while down.
    pgid: AtomicI32,
    /// Set while `stress` stops it on purpose (end of test, chaos `down`/`restart`).
    expected_down: AtomicBool,
    record: Mutex<ServiceRecord>,
}

/// The `scrape` of one service or target.
struct Scraper {
    spec: ScrapeSpec,
    /// The service it belongs to (`None`: a target): not scraped while it is down.
    svc: Option<Arc<Svc>>,
    record: Mutex<ScrapeRecord>,
    /// The raw text of the first and the last successful scrape.
    first_text: Mutex<Option<String>>,
    last_text: Mutex<Option<String>>,
}

impl Scraper {
    fn new(owner: &str, spec: &ScrapeSpec, svc: Option<Arc<Svc>>) -> Self {
        Scraper {
            spec: spec.clone(),
            svc,
            record: Mutex::new(ScrapeRecord {
                owner: owner.to_string(),
                url: spec.url.clone(),
                every_us: spec.every.as_micros().max(1),
                ..ScrapeRecord::default()
            }),
            first_text: Mutex::new(None),
            last_text: Mutex::new(None),
        }
    }

    /// One scrape, recorded (a failure counted; the first one also printed).
    async fn scrape(&self, t0: Instant) {
        if self
            .svc
            .as_ref()
            .is_some_and(|s| s.pgid.load(Ordering::SeqCst) == 0)
        {
            return;
        }
        let limit = self
            .spec
            .every
            .to_std()
            .clamp(Duration::from_secs(1), Duration::from_secs(10));
        let t_us = since(t0);
        let result = scrape::fetch(&self.spec.url, limit).await;
        let mut record = self.record.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(fetched) => {
                record.scrapes.push(ScrapePoint {
                    t_us,
                    series: fetched.series,
                });
                let mut first = self.first_text.lock().unwrap_or_else(|p| p.into_inner());
                if first.is_none() {
                    *first = Some(fetched.text.clone());
                }
                *self.last_text.lock().unwrap_or_else(|p| p.into_inner()) = Some(fetched.text);
            }
            Err(why) => {
                if record.failures == 0 {
                    eprintln!(
                        "warning: scrape of `{}` ({}) failed: {why} (counted; further failures are only counted)",
                        record.owner, self.spec.url
                    );
                }
                record.failures += 1;
                record.last_error = Some(why);
            }
        }
    }

    /// With `--out`: `NAME.metrics.before.txt` and `NAME.metrics.after.txt` in `dir`.
    fn write_snapshots(&self, dir: &Path) {
        let owner = self
            .record
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .owner
            .clone();
        let name = crate::paths::path_component(&owner);
        for (which, text) in [("before", &self.first_text), ("after", &self.last_text)] {
            let Some(text) = text.lock().unwrap_or_else(|p| p.into_inner()).clone() else {
                continue;
            };
            let path = dir.join(format!("{name}.metrics.{which}.txt"));
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("warning: cannot write `{}`: {e}", path.display());
            }
        }
    }
}

/// Scrapes every `every` (the first one was taken at the start) until `stop`.
async fn scrape_loop(t0: Instant, scraper: Arc<Scraper>, stop: CancellationToken) {
    let every = scraper.spec.every.to_std().max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = scraper.scrape(t0) => {}
        }
    }
}

/// The scraped series a test's SLOs read: (service or target, selector as written), each
/// once, in the order the SLOs name them.
pub fn slo_series(plan: &Plan, test: usize) -> Vec<(String, String)> {
    fn walk(e: &SloExpr, out: &mut Vec<(String, String)>) {
        match e {
            SloExpr::Metric {
                metric: Metric::Scraped { owner, series, .. },
                ..
            } => {
                let pair = (owner.clone(), series.clone());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
            SloExpr::Mul(a, b) | SloExpr::Div(a, b) | SloExpr::Add(a, b) | SloExpr::Sub(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for slo in &plan.tests[test].slos {
        walk(&slo.lhs, &mut out);
        walk(&slo.rhs, &mut out);
    }
    out
}

/// The targets with a `scrape` that a test reads: named by one of its SLOs, or sent requests
/// by its workload.
pub fn scraped_targets(plan: &Plan, test: usize) -> Vec<usize> {
    fn owners<'a>(e: &'a SloExpr, out: &mut Vec<&'a str>) {
        match e {
            SloExpr::Metric {
                metric: Metric::Scraped { owner, .. },
                ..
            } => out.push(owner),
            SloExpr::Mul(a, b) | SloExpr::Div(a, b) | SloExpr::Add(a, b) | SloExpr::Sub(a, b) => {
                owners(a, out);
                owners(b, out);
            }
            _ => {}
        }
    }
    let t = &plan.tests[test];
    let mut read = Vec::new();
    for slo in &t.slos {
        owners(&slo.lhs, &mut read);
        owners(&slo.rhs, &mut read);
    }
    let used = plan
        .workloads
        .get(t.workload)
        .map(crate::engine::workload_targets)
        .unwrap_or_default();
    plan.targets
        .iter()
        .enumerate()
        .filter(|(_, target)| {
            target.scrape.is_some()
                && (read.contains(&target.name.as_str()) || used.contains(target.name.as_str()))
        })
        .map(|(i, _)| i)
        .collect()
}

struct Inner {
    t0: Instant,
    svcs: Vec<Arc<Svc>>,
    scrapers: Vec<Arc<Scraper>>,
    /// The first service that exited by itself: message and log tail.
    failure: Mutex<Option<(String, Vec<String>)>>,
    scenarios: Mutex<Vec<ScenarioSpan>>,
    out: Option<PathBuf>,
}

/// The running services of one test.
pub struct Services {
    inner: Arc<Inner>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    stop_tasks: CancellationToken,
}

impl Drop for Services {
    /// Without [`Services::stop`] (an early return, a panic): the sampling and watching tasks
    /// end and release the processes, whose guards kill their groups.
    fn drop(&mut self) {
        self.stop_tasks.cancel();
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("count", &self.svcs.len())
            .finish()
    }
}

fn since(t0: Instant) -> u64 {
    u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl Services {
    /// Starts the services of `plan.tests[test]` in order and waits for each to be ready.
    /// `failed` is cancelled when one exits by itself later. On error, every service started
    /// so far is stopped again.
    pub async fn start(
        plan: &Plan,
        test: usize,
        base_dir: &Path,
        out: Option<&Path>,
        failed: CancellationToken,
    ) -> Result<Services, StartError> {
        let t = &plan.tests[test];
        let specs: Vec<&Service> = t.services.iter().map(|&i| &plan.services[i]).collect();
        let plain = |message: String| StartError {
            message,
            tail: vec![],
        };
        // Ports first: a port already taken is an error before anything starts.
        for spec in &specs {
            if let Some(ready) = spec.ready.as_ref().filter(|r| r.probe != "log") {
                let address = ready::address_of(ready)
                    .map_err(|e| plain(format!("service `{}`: {e}", spec.name)))?;
                if ready::in_use(&address).await {
                    return Err(plain(format!(
                        "service `{}`: {address} is already in use by another process before \
                         the service started; stop that process or change the port",
                        spec.name
                    )));
                }
            }
        }
        let out = match out {
            Some(dir) => {
                let dir = dir.join("services");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| plain(format!("cannot create `{}`: {e}", dir.display())))?;
                Some(dir)
            }
            None => None,
        };
        let mut svcs = Vec::new();
        for spec in &specs {
            let pattern = match spec.ready.as_ref().filter(|r| r.probe == "log") {
                Some(r) => Some(regex::Regex::new(&r.address).map_err(|e| {
                    plain(format!(
                        "service `{}`: `ready log` pattern is not valid: {e}",
                        spec.name
                    ))
                })?),
                None => None,
            };
            let file = out
                .as_ref()
                .map(|d| d.join(format!("{}.log", crate::paths::path_component(&spec.name))));
            let log = LogBuf::new(file.as_deref(), pattern)
                .map_err(|e| plain(format!("service `{}`: log file: {e}", spec.name)))?;
            let cwd = match &spec.cwd {
                Some(dir) => PathBuf::from(dir),
                None if base_dir.as_os_str().is_empty() => PathBuf::from("."),
                None => base_dir.to_path_buf(),
            };
            svcs.push(Arc::new(Svc {
                spec: (*spec).clone(),
                cwd,
                log: Arc::new(log),
                running: tokio::sync::Mutex::new(None),
                pgid: AtomicI32::new(0),
                expected_down: AtomicBool::new(false),
                record: Mutex::new(ServiceRecord {
                    name: spec.name.clone(),
                    sample_every_us: spec.sample_every.as_micros().max(1),
                    ..ServiceRecord::default()
                }),
            }));
        }
        let mut scrapers: Vec<Arc<Scraper>> = svcs
            .iter()
            .filter_map(|svc| {
                let spec = svc.spec.scrape.as_ref()?;
                Some(Arc::new(Scraper::new(
                    &svc.spec.name,
                    spec,
                    Some(svc.clone()),
                )))
            })
            .collect();
        let first_target = scrapers.len();
        for i in scraped_targets(plan, test) {
            let target = &plan.targets[i];
            if let Some(spec) = &target.scrape {
                scrapers.push(Arc::new(Scraper::new(&target.name, spec, None)));
            }
        }
        let inner = Arc::new(Inner {
            t0: Instant::now(),
            svcs,
            scrapers,
            failure: Mutex::new(None),
            scenarios: Mutex::new(Vec::new()),
            out,
        });
        let services = Services {
            inner: inner.clone(),
            tasks: Mutex::new(Vec::new()),
            stop_tasks: CancellationToken::new(),
        };
        let push = |task| {
            services
                .tasks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(task);
        };
        for svc in &inner.svcs {
            eprintln!("starting service `{}`…", svc.spec.name);
            let started = Instant::now();
            if let Err(e) = svc.up().await {
                services.stop().await;
                return Err(e);
            }
            let after = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            svc.record
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .ready_after_us = Some(after);
            // Sampling starts with the service, so the report sees its start-up too.
            push(tokio::spawn(sampler(
                inner.t0,
                svc.clone(),
                services.stop_tasks.clone(),
            )));
            // The first scrape once it is ready: the baseline of every `delta`.
            if let Some(scraper) = inner
                .scrapers
                .iter()
                .find(|s| s.svc.as_ref().is_some_and(|x| Arc::ptr_eq(x, svc)))
            {
                scraper.scrape(inner.t0).await;
                push(tokio::spawn(scrape_loop(
                    inner.t0,
                    scraper.clone(),
                    services.stop_tasks.clone(),
                )));
            }
        }
        for scraper in &inner.scrapers[first_target..] {
            scraper.scrape(inner.t0).await;
            push(tokio::spawn(scrape_loop(
                inner.t0,
                scraper.clone(),
                services.stop_tasks.clone(),
            )));
        }
        push(tokio::spawn(monitor(
            inner.clone(),
            failed,
            services.stop_tasks.clone(),
        )));
        Ok(services)
    }

    /// A handle for chaos actions.
    pub fn control(&self) -> Arc<dyn crate::engine::ServiceControl> {
        Arc::new(Control(self.inner.clone()))
    }

    /// The first service that exited by itself: "service NAME exited with …", log tail.
    pub fn failure(&self) -> Option<(String, Vec<String>)> {
        self.inner
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn scenario_started(&self, name: &str) {
        let at = since(self.inner.t0);
        let mut spans = self
            .inner
            .scenarios
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        spans.retain(|s| s.scenario != name);
        spans.push(ScenarioSpan {
            scenario: name.to_string(),
            start_us: at,
            end_us: u64::MAX,
        });
    }

    pub fn scenario_finished(&self, name: &str) {
        let at = since(self.inner.t0);
        let mut spans = self
            .inner
            .scenarios
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(s) = spans.iter_mut().find(|s| s.scenario == name) {
            s.end_us = at;
        }
    }

    /// Stops every service (reverse order) and returns what they did. With `--out`, writes
    /// `services/NAME.csv`.
    pub async fn stop(&self) -> ServiceData {
        self.stop_tasks.cancel();
        let tasks: Vec<_> = self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for task in tasks {
            let _ = task.await;
        }
        // The last scrape, after the load and before anything stops.
        for scraper in &self.inner.scrapers {
            scraper.scrape(self.inner.t0).await;
        }
        for svc in self.inner.svcs.iter().rev() {
            if svc.running.lock().await.is_some() {
                eprintln!("stopping service `{}`…", svc.spec.name);
            }
            svc.down().await;
        }
        let end = since(self.inner.t0);
        let mut scenarios = self
            .inner
            .scenarios
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for s in &mut scenarios {
            s.end_us = s.end_us.min(end);
        }
        let data = ServiceData {
            services: self
                .inner
                .svcs
                .iter()
                .map(|s| s.record.lock().unwrap_or_else(|p| p.into_inner()).clone())
                .collect(),
            scenarios,
            scrapes: self
                .inner
                .scrapers
                .iter()
                .map(|s| s.record.lock().unwrap_or_else(|p| p.into_inner()).clone())
                .collect(),
            machine: None,
            shard: None,
        };
        if let Some(dir) = &self.inner.out {
            for scraper in &self.inner.scrapers {
                scraper.write_snapshots(dir);
            }
            for record in &data.services {
                let path = dir.join(format!(
                    "{}.csv",
                    crate::paths::path_component(&record.name)
                ));
                if let Err(e) = write_csv(&path, record) {
                    eprintln!("warning: cannot write `{}`: {e}", path.display());
                }
            }
        }
        data
    }
}

impl Svc {
    /// Starts the process and waits until it is ready.
    async fn up(&self) -> Result<(), StartError> {
        let name = &self.spec.name;
        let mut slot = self.running.lock().await;
        let running = spawn::spawn(
            &SpawnSpec {
                exec: &self.spec.exec,
                env: &self.spec.env,
                cwd: &self.cwd,
            },
            &self.log,
        )
        .map_err(|e| StartError {
            message: format!(
                "service `{name}`: cannot run `{}` in `{}`: {e}",
                self.spec.exec,
                self.cwd.display()
            ),
            tail: vec![],
        })?;
        self.expected_down.store(false, Ordering::SeqCst);
        self.pgid.store(running.pgid, Ordering::SeqCst);
        let result = match &self.spec.ready {
            None => Ok(()),
            Some(ready) => ready::await_ready(ready, &running, &self.log)
                .await
                .map_err(|why| {
                    let probe = format!("ready {} \"{}\"", ready.probe, ready.address);
                    match why {
                        ready::NotReady::Timeout => format!(
                            "service `{name}` was not ready within {} ({probe})",
                            ready.within
                        ),
                        ready::NotReady::Exited(exit) => {
                            format!(
                                "service `{name}` exited with {exit} before it was ready ({probe})"
                            )
                        }
                        ready::NotReady::Invalid(e) => format!("service `{name}`: {e}"),
                    }
                }),
        };
        *slot = Some(running);
        drop(slot);
        match result {
            Ok(()) => Ok(()),
            Err(message) => {
                self.down().await;
                Err(StartError {
                    message,
                    tail: self.log.tail(ERROR_TAIL),
                })
            }
        }
    }

    /// Stops the process group (signal, grace, SIGKILL); nothing when it is not running.
    async fn down(&self) {
        self.expected_down.store(true, Ordering::SeqCst);
        let mut slot = self.running.lock().await;
        if let Some(running) = slot.take() {
            let signal =
                crate::signals::signal_number(&self.spec.stop_signal).unwrap_or(libc::SIGTERM);
            if running.stop(signal, self.spec.grace.to_std()).await {
                self.log.note(&format!(
                    "did not stop within {} of {}: killed",
                    self.spec.grace, self.spec.stop_signal
                ));
                self.record
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .killed_after_grace = true;
            }
        }
        self.pgid.store(0, Ordering::SeqCst);
    }

    async fn act(&self, op: ServiceOp, t0: Instant) -> Result<(), String> {
        let signal = |sig| async move {
            match self.running.lock().await.as_ref() {
                Some(r) => {
                    r.signal(sig);
                    Ok(())
                }
                None => Err(format!("service `{}` is not running", self.spec.name)),
            }
        };
        match op {
            ServiceOp::Pause => signal(libc::SIGSTOP).await,
            ServiceOp::Resume => signal(libc::SIGCONT).await,
            ServiceOp::Down => {
                self.down().await;
                self.log.note("stopped by a chaos action");
                Ok(())
            }
            ServiceOp::Up | ServiceOp::Restart => {
                if op == ServiceOp::Restart {
                    self.down().await;
                } else if self.running.lock().await.is_some() {
                    return Ok(());
                }
                self.log.note("started again by a chaos action");
                self.up().await.map_err(|e| e.to_string())?;
                self.record
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .restarts
                    .push(since(t0));
                Ok(())
            }
        }
    }
}

/// Samples a service every `sample every`, following restarts.
async fn sampler(t0: Instant, svc: Arc<Svc>, stop: CancellationToken) {
    let every = svc
        .spec
        .sample_every
        .to_std()
        .max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let hz = sample::ticks_per_second() as f64;
    // (pgid, ticks, when) of the previous sample.
    let mut prev: Option<(i32, u64, Instant)> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let pgid = svc.pgid.load(Ordering::SeqCst);
        if pgid == 0 {
            prev = None;
            continue;
        }
        let now = Instant::now();
        let Ok(Some(u)) = tokio::task::spawn_blocking(move || sample::usage(pgid)).await else {
            continue;
        };
        let cpu = match prev {
            Some((p, ticks, at)) if p == pgid && now > at => {
                let secs = (now - at).as_secs_f64();
                Some(u.ticks.saturating_sub(ticks) as f64 / hz / secs * 100.0)
            }
            _ => None,
        };
        prev = Some((pgid, u.ticks, now));
        let s = Sample {
            t_us: since(t0),
            rss: u.rss,
            cpu,
            fds: u.fds,
            threads: u.threads,
            procs: u.procs,
        };
        svc.record
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .samples
            .push(s);
    }
}

/// How often the monitor looks for a service that exited by itself.
const WATCH_EVERY: Duration = Duration::from_millis(50);

/// Watches for a service that exits by itself: records it and cancels `failed`.
async fn monitor(inner: Arc<Inner>, failed: CancellationToken, stop: CancellationToken) {
    let mut ticker = tokio::time::interval(WATCH_EVERY);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        for svc in &inner.svcs {
            let Ok(slot) = svc.running.try_lock() else {
                continue;
            };
            let Some(exit) = slot.as_ref().and_then(Running::exited) else {
                continue;
            };
            if svc.expected_down.load(Ordering::SeqCst) {
                continue;
            }
            drop(slot);
            let at = crate::units::Duration(since(inner.t0));
            let message = format!(
                "service `{}` exited with {exit} at {at} (after the services started)",
                svc.spec.name
            );
            svc.expected_down.store(true, Ordering::SeqCst);
            svc.record.lock().unwrap_or_else(|p| p.into_inner()).failure = Some(message.clone());
            let mut first = inner.failure.lock().unwrap_or_else(|p| p.into_inner());
            if first.is_none() {
                *first = Some((message, svc.log.tail(ERROR_TAIL)));
            }
            failed.cancel();
        }
    }
}

/// Chaos actions on the services of a test.
#[derive(Debug)]
struct Control(Arc<Inner>);

impl crate::engine::ServiceControl for Control {
    fn act<'a>(
        &'a self,
        op: ServiceOp,
        service: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let svc = self
                .0
                .svcs
                .iter()
                .find(|s| s.spec.name == service)
                .ok_or_else(|| format!("service `{service}` is not running in this test"))?;
            svc.act(op, self.0.t0).await
        })
    }
}

/// The error with its log tail, as printed.
pub fn failure_text(message: &str, tail: &[String]) -> String {
    let mut s = message.to_string();
    let _ = write_tail(&mut s, tail);
    s
}
