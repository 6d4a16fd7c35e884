//! The report model: plain `Serialize` data built once from a test's metrics and verdict,
//! then rendered ([`text`] and [`markdown`] here; `summary.json` and the HTML page reuse the
//! model through `crate::artifacts`).
//!
//! Quantities are kept in base units (µs, percent 0–100, per second, dollars) with the unit
//! in the field name; renderers format them through [`format`] (one set of formatters, built
//! on `crate::units`). Statistics of histograms
//! are rounded to the histograms' precision (3 significant digits).

pub(crate) mod format;
mod markdown;
mod text;

use serde::Serialize;

use crate::ast::PhaseKind;
use crate::metrics::{
    ERROR_CLASSES, ErrorClass, Histogram, MONEY_SCALE, Metrics, OUTCOMES, RequestAgg,
    ScenarioMetrics, outcome_name, retry_on_text, round_sig,
};
use crate::plan::{Outcome, PhaseRef, Plan};
use crate::slo::{SloResult, Verdict};

pub use markdown::render_markdown;
pub use text::render_text;

pub const SCHEMA_VERSION: u32 = 1;

/// One test's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub file: String,
    pub test: String,
    pub seed: u64,
    /// Stopped by Ctrl-C: the numbers cover what ran.
    pub interrupted: bool,
    /// Sum of the run lengths of the scenarios that ran.
    pub duration_us: u64,
    pub passed: bool,
    /// The scenarios that ran (not those skipped by `--scenario`).
    pub scenarios: Vec<ScenarioReport>,
    /// One row per scenario when the test has more than one, else empty.
    pub comparison: Vec<ComparisonRow>,
    pub slos: Vec<SloResult>,
    /// Set by `stress merge`: the report adds up several runs (shards) of the test.
    pub merged_from: Option<MergedFrom>,
    /// Set when the test could not run (exit 3): the diagnostic code and why, e.g.
    /// `stress::run::unreachable: target `api` at http://… refused every connection`. The
    /// test is then not `passed`, whatever its SLOs say.
    pub could_not_run: Option<String>,
    /// What each proxy of the test saw, over every scenario (empty without proxies).
    pub proxies: Vec<ProxyReport>,
    /// The load profile, one line per stage as the file wrote it (`ramp 0 → 10 users over
    /// 30s`, `50/s for 1m (at most 200 users)`); `repeat` shows unrolled.
    pub load: Vec<String>,
    /// The targets: `api = http://…` or `llm = mock openai (latency 50ms..150ms)`.
    pub targets: Vec<String>,
}

/// What one proxy saw over the whole test: the proxy section of the reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProxyReport {
    pub name: String,
    /// The address it listened on (the real port when `listen` asked for port 0).
    pub listen: String,
    pub upstream: String,
    /// Requests received (at a TCP proxy: connections).
    pub requests: u64,
    /// Connections accepted.
    pub connections: u64,
    /// Requests sent upstream (not answered by an injected fault).
    pub forwarded: u64,
    /// Upstream response statuses (`name` is the status).
    pub upstream_status: Vec<Count>,
    /// Forwarded requests whose upstream failed before its response head (answered 502).
    pub upstream_errors: u64,
    /// The upstream errors by cause (`name`), e.g. a TLS handshake that failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upstream_error_causes: Vec<Count>,
    /// From sending upstream to the response head, µs; `None` when nothing was forwarded.
    pub upstream_latency: Option<ProxyLatency>,
    /// Injected faults by rule (as written) and kind (`503`, `reset`, `delay`, …).
    pub faults: Vec<ProxyFault>,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProxyLatency {
    pub p50_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProxyFault {
    pub rule: String,
    pub kind: String,
    pub count: u64,
}

impl ProxyReport {
    /// The report of one proxy's measurements.
    pub fn of(p: &crate::metrics::ProxyMetrics) -> ProxyReport {
        let h = &p.upstream_latency;
        let upstream_latency = match (
            h.percentile(0.5),
            h.percentile(0.95),
            h.percentile(0.99),
            h.max(),
        ) {
            (Some(p50_us), Some(p95_us), Some(p99_us), Some(max_us)) => Some(ProxyLatency {
                p50_us,
                p95_us,
                p99_us,
                max_us,
            }),
            _ => None,
        };
        ProxyReport {
            name: p.name.clone(),
            listen: p.listen.clone(),
            upstream: p.upstream.clone(),
            requests: p.requests,
            connections: p.connections,
            forwarded: p.forwarded,
            upstream_status: p
                .upstream_status
                .iter()
                .map(|(status, count)| Count {
                    name: status.to_string(),
                    count: *count,
                    pct: (p.forwarded > 0).then(|| *count as f64 * 100.0 / p.forwarded as f64),
                })
                .collect(),
            upstream_errors: p.upstream_errors,
            upstream_error_causes: p
                .upstream_error_kinds
                .iter()
                .map(|(why, count)| Count {
                    name: why.clone(),
                    count: *count,
                    pct: None,
                })
                .collect(),
            upstream_latency,
            faults: p
                .faults
                .iter()
                .map(|f| ProxyFault {
                    rule: f.rule.clone(),
                    kind: f.kind.clone(),
                    count: f.count,
                })
                .collect(),
            bytes_up: p.bytes_up,
            bytes_down: p.bytes_down,
        }
    }
}

/// The runs a merged report adds up.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MergedFrom {
    pub runs: usize,
    /// Each run's seed, in the order merged.
    pub seeds: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    /// The composed parts of `mixed = a + b`; empty when the scenario is not a composition.
    pub parts: Vec<String>,
    pub duration_us: u64,
    pub requests: Requests,
    /// Latency, service time and durations, per step.
    pub timings: Vec<Timing>,
    /// Per step: requests, failures, throughput, latency.
    pub steps: Vec<StepReport>,
    /// Per named stage (`during NAME`) and, with a chaos window, `before`/`during`/`after
    /// chaos`: the same numbers restricted to it.
    pub phases: Vec<PhaseReport>,
    pub iterations: u64,
    pub outcomes: Vec<Count>,
    pub retries: Retries,
    /// Per iteration, dollars; `None` when no iteration had a cost.
    pub cost: Option<Quantiles>,
    pub captures: Vec<CaptureSummary>,
    /// One per fault rule of the scenario.
    pub faults: Vec<Count>,
    /// One per `check` of each request step, in the workload's order; empty without checks.
    pub checks: Vec<CheckReport>,
}

/// One `check` of one request step: how often it held and failed (per attempt), and how many
/// iterations its failure stopped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckReport {
    pub step: String,
    /// The check's expression as written.
    pub check: String,
    pub passed: u64,
    /// False, or could not be evaluated.
    pub failed: u64,
    /// `failed` over evaluations; `None` when never evaluated.
    pub failed_pct: Option<f64>,
    /// Iterations this check's failure stopped (the steps after it did not run).
    pub ended_iterations: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Requests {
    pub count: u64,
    pub failed: u64,
    pub error_rate_pct: Option<f64>,
    pub throughput_per_s: Option<f64>,
    /// Sent more than 10ms after their intended start.
    pub late: u64,
    pub dropped: u64,
    pub injected: u64,
    /// `200`, `429`, … and `none` for attempts without a status.
    pub statuses: Vec<Count>,
    pub errors: Vec<Count>,
}

/// A label with a count and its share.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Count {
    pub name: String,
    pub count: u64,
    pub pct: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingKind {
    /// From the intended start: what SLOs read.
    Latency,
    /// From the actual send.
    Service,
    /// Of a whole iteration (`step` is `None`) or a step's own time.
    Duration,
}

/// Distribution of one timing, µs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timing {
    /// `None`: the whole iteration.
    pub step: Option<String>,
    pub kind: TimingKind,
    pub count: u64,
    pub min_us: u64,
    /// Arithmetic mean, rounded to 3 significant digits like the percentiles.
    pub mean_us: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    /// p75, p99.9 and p99.99, µs: the tail the HTML's latency distribution plots (not in
    /// summary.json, whose timings keep their fixed set).
    #[serde(skip)]
    pub tail_us: [u64; 3],
}

/// One step of the workload (requests of that step only).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    pub name: String,
    pub requests: u64,
    pub failed: u64,
    pub error_rate_pct: Option<f64>,
    pub throughput_per_s: Option<f64>,
    pub late: u64,
    pub injected: u64,
    pub statuses: Vec<Count>,
    /// From the intended start; `None` without requests.
    pub latency: Option<Timing>,
    /// From the send.
    pub service: Option<Timing>,
    /// The step's own time per iteration (all attempts, backoffs, polls).
    pub step_time: Option<Timing>,
}

/// A phase of the run: what an SLO qualified with `during NAME` (or `before chaos`, …) reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseReport {
    /// The qualifier as written in an SLO: `during overload`, `before chaos`.
    pub name: String,
    pub requests: u64,
    pub failed: u64,
    pub error_rate_pct: Option<f64>,
    pub throughput_per_s: Option<f64>,
    pub iterations: u64,
    pub outcomes: Vec<Count>,
    /// Latency per step.
    pub timings: Vec<Timing>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Retries {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
    pub by_reason: Vec<Count>,
    pub budget_exceeded_during_retry: u64,
    pub budget_exceeded_during_retry_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaptureSummary {
    Number {
        name: String,
        /// An amount of money (p50/p95/max in dollars).
        money: bool,
        /// A duration (p50/p95/max in µs).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        duration: bool,
        count: u64,
        p50: f64,
        p95: f64,
        max: f64,
    },
    Flag {
        name: String,
        true_count: u64,
        total: u64,
        true_pct: f64,
    },
}

impl CaptureSummary {
    /// One value of a numeric capture as the reports show it: money as money, other numbers
    /// with at most three decimals.
    pub fn show(&self, value: f64) -> String {
        match self {
            CaptureSummary::Number { money: true, .. } => crate::units::Money(value).to_string(),
            CaptureSummary::Number { duration: true, .. } => {
                crate::units::Duration(value.max(0.0).round() as u64).to_string()
            }
            _ => crate::units::trim(value, 3),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparisonRow {
    pub scenario: String,
    pub success_rate_pct: Option<f64>,
    pub p95_retries: Option<f64>,
    pub p95_cost: Option<f64>,
    /// p95 of the iteration duration.
    pub p95_duration_us: Option<u64>,
    /// Ratios to the scenario named `baseline`, when there is one.
    pub duration_vs_baseline: Option<f64>,
    pub cost_vs_baseline: Option<f64>,
}

/// An error class by name, as in reports and `requests.jsonl`.
pub fn error_name(c: ErrorClass) -> &'static str {
    c.name()
}

fn pct(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

fn q_us(h: &Histogram, q: f64) -> u64 {
    h.percentile(q).map_or(0, |v| round_sig(v as f64, 3) as u64)
}

fn q_scaled(h: &Histogram, q: f64, scale: f64) -> Option<f64> {
    h.percentile_scaled(q, scale).map(|v| round_sig(v, 3))
}

fn timing(step: Option<String>, kind: TimingKind, h: &Histogram) -> Option<Timing> {
    (!h.is_empty()).then(|| Timing {
        step,
        kind,
        count: h.count(),
        min_us: h.min().map_or(0, |v| round_sig(v as f64, 3) as u64),
        mean_us: h.mean().map_or(0, |v| round_sig(v, 3) as u64),
        p50_us: q_us(h, 0.5),
        p90_us: q_us(h, 0.9),
        p95_us: q_us(h, 0.95),
        p99_us: q_us(h, 0.99),
        max_us: q_us(h, 1.0),
        tail_us: [q_us(h, 0.75), q_us(h, 0.999), q_us(h, 0.9999)],
    })
}

/// One line per stage of a profile, in the words of the language.
pub fn load_lines(profile: &crate::plan::Profile) -> Vec<String> {
    use crate::plan::StageKind;
    use crate::units::{Duration, Rate};
    let users = |n: u32| format!("{n} user{}", if n == 1 { "" } else { "s" });
    profile
        .stages
        .iter()
        .map(|stage| {
            let mut line = match &stage.kind {
                StageKind::Iterations {
                    users: u,
                    iterations,
                } => format!(
                    "{} × {iterations} iteration{}",
                    users(*u),
                    if *iterations == 1 { "" } else { "s" }
                ),
                StageKind::Users { from, to, duration } if from == to => {
                    format!("hold {} for {}", users(*to), Duration(duration.0))
                }
                StageKind::Users { from, to, duration } => {
                    format!("ramp {from} → {} over {}", users(*to), Duration(duration.0))
                }
                StageKind::Rate {
                    from,
                    to,
                    duration,
                    max_users,
                } => {
                    let shape = if from == to {
                        format!("{} for {}", Rate(*to), Duration(duration.0))
                    } else {
                        format!(
                            "{} → {} over {}",
                            Rate(*from),
                            Rate(*to),
                            Duration(duration.0)
                        )
                    };
                    format!("{shape} (at most {})", users(*max_users))
                }
                StageKind::Pause { duration } => format!("pause {}", Duration(duration.0)),
            };
            if let Some(limit) = stage.limit {
                line.push_str(&format!(", limit {}", Rate(limit)));
            }
            match stage.phase.and_then(|i| profile.phases.get(i)) {
                Some(name) => format!("{name}: {line}"),
                None => line,
            }
        })
        .collect()
}

/// One line per target of the file: `api = http://…`, `llm = mock openai (latency …)`.
fn target_lines(plan: &Plan) -> Vec<String> {
    use crate::plan::TargetKind;
    use crate::units::Duration;
    plan.targets
        .iter()
        .map(|t| match &t.kind {
            TargetKind::Url(url) => format!("{} = {url}", t.name),
            TargetKind::Mock(m) => {
                let (lo, hi) = m.latency;
                let latency = if lo == hi {
                    Duration(lo.0).to_string()
                } else {
                    format!("{}..{}", Duration(lo.0), Duration(hi.0))
                };
                format!("{} = mock {} (latency {latency})", t.name, m.api)
            }
        })
        .collect()
}

/// Builds the report of `plan.tests[test]`.
pub fn build(
    plan: &Plan,
    test: usize,
    metrics: &Metrics,
    verdict: &Verdict,
    seed: u64,
    interrupted: bool,
) -> Report {
    let t = plan.tests.get(test);
    let scenarios: Vec<ScenarioReport> = metrics
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, sm)| sm.ran)
        .map(|(i, sm)| scenario(plan, test, i, sm, metrics))
        .collect();
    let comparison = if scenarios.len() > 1 {
        comparison(metrics)
    } else {
        vec![]
    };
    Report {
        schema_version: SCHEMA_VERSION,
        file: plan.file.clone(),
        test: t.map_or_else(|| metrics.test.clone(), |t| t.name.clone()),
        seed,
        interrupted,
        duration_us: metrics.scenarios.iter().map(|s| s.end_us).sum(),
        passed: verdict.passed,
        scenarios,
        comparison,
        slos: verdict.results.clone(),
        merged_from: None,
        could_not_run: None,
        load: t.map(|t| load_lines(&t.profile)).unwrap_or_default(),
        targets: target_lines(plan),
        proxies: metrics
            .proxy_names()
            .iter()
            .filter_map(|name| metrics.proxy_total(name))
            .map(|p| ProxyReport::of(&p))
            .collect(),
    }
}

fn scenario(
    plan: &Plan,
    test: usize,
    index: usize,
    sm: &ScenarioMetrics,
    m: &Metrics,
) -> ScenarioReport {
    let spec = plan.tests.get(test).and_then(|t| t.scenarios.get(index));
    let all = m.select(sm, |_| true);
    let req = all.requests(None);
    let it = all.iterations();
    let statuses = status_counts(&req);
    let errors = ERROR_CLASSES
        .iter()
        .map(|c| (c, req.errors(*c)))
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| Count {
            name: error_name(*c).into(),
            count: n,
            pct: pct(n, req.count),
        })
        .collect();
    let step_name = |s: usize| {
        m.step_names
            .get(s)
            .cloned()
            .unwrap_or_else(|| format!("step {s}"))
    };
    let mut timings = Vec::new();
    for step in 0..m.step_names.len().max(req_steps(sm)) {
        let r = all.requests(Some(step));
        timings.extend(timing(
            Some(step_name(step)),
            TimingKind::Latency,
            &r.latency,
        ));
        timings.extend(timing(
            Some(step_name(step)),
            TimingKind::Service,
            &r.service,
        ));
    }
    timings.extend(timing(None, TimingKind::Duration, &it.duration));
    for (step, h) in &it.step_durations {
        timings.extend(timing(Some(step_name(*step)), TimingKind::Duration, h));
    }
    let steps = (0..m.step_names.len().max(req_steps(sm)))
        .map(|step| {
            let r = all.requests(Some(step));
            StepReport {
                name: step_name(step),
                requests: r.count,
                failed: r.failed,
                error_rate_pct: pct(r.failed, r.count),
                throughput_per_s: all.throughput(Some(step)),
                late: r.late,
                injected: r.injected,
                statuses: status_counts(&r),
                latency: timing(Some(step_name(step)), TimingKind::Latency, &r.latency),
                service: timing(Some(step_name(step)), TimingKind::Service, &r.service),
                step_time: it
                    .step_durations
                    .get(&step)
                    .and_then(|h| timing(Some(step_name(step)), TimingKind::Duration, h)),
            }
        })
        .filter(|s| s.requests > 0 || s.step_time.is_some())
        .collect();
    let phases = phase_reports(plan, test, sm, m);
    let mut captures = Vec::new();
    for (i, name) in m.captures.iter().enumerate() {
        if let Some(h) = req.captures.get(&i).filter(|h| !h.is_empty()) {
            captures.push(CaptureSummary::Number {
                name: name.clone(),
                count: h.count(),
                money: m.is_money_capture(i),
                duration: m.is_duration_capture(i),
                p50: q_scaled(h, 0.5, m.capture_scale(i)).unwrap_or(0.0),
                p95: q_scaled(h, 0.95, m.capture_scale(i)).unwrap_or(0.0),
                max: q_scaled(h, 1.0, m.capture_scale(i)).unwrap_or(0.0),
            });
        }
        if let Some(&(t, f)) = req.flags.get(&i) {
            let true_pct = pct(t, t + f).unwrap_or(0.0);
            captures.push(CaptureSummary::Flag {
                name: name.clone(),
                true_count: t,
                total: t + f,
                true_pct,
            });
        }
    }
    // Numbered as the engine numbers them: the scenario's rules, then the chaos window's.
    let chaos_rules = plan
        .tests
        .get(test)
        .and_then(|t| t.chaos.as_ref())
        .into_iter()
        .flat_map(|c| c.scenarios.iter().flat_map(|s| &s.rules))
        .map(|r| format!("{} (during chaos)", r.label));
    let faults = spec
        .map(|s| {
            s.rules
                .iter()
                .map(|r| r.label.clone())
                .chain(chaos_rules)
                .enumerate()
                .map(|(i, name)| {
                    let fired = req.fires.get(&i).copied().unwrap_or(0);
                    Count {
                        name,
                        count: fired,
                        pct: pct(fired, req.count),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let parts = spec
        .filter(|s| s.parts.len() > 1 || s.parts.first().is_some_and(|p| *p != s.name))
        .map(|s| s.parts.clone())
        .unwrap_or_default();
    ScenarioReport {
        name: sm.name.clone(),
        parts,
        duration_us: sm.end_us,
        requests: Requests {
            count: req.count,
            failed: req.failed,
            error_rate_pct: pct(req.failed, req.count),
            throughput_per_s: all.throughput(None),
            late: req.late,
            dropped: all.dropped(),
            injected: req.injected,
            statuses,
            errors,
        },
        timings,
        steps,
        phases,
        iterations: it.count,
        outcomes: OUTCOMES
            .iter()
            .map(|o| Count {
                name: outcome_name(*o).into(),
                count: it.outcome(*o),
                pct: pct(it.outcome(*o), it.count),
            })
            .filter(|c| c.count > 0)
            .collect(),
        retries: Retries {
            p50: q_scaled(&it.retries, 0.5, 1.0),
            p95: q_scaled(&it.retries, 0.95, 1.0),
            max: q_scaled(&it.retries, 1.0, 1.0),
            by_reason: it
                .retries_by
                .iter()
                .map(|(r, n)| Count {
                    name: retry_on_text(*r),
                    count: *n,
                    pct: None,
                })
                .collect(),
            budget_exceeded_during_retry: it.budget_exceeded_during_retry,
            budget_exceeded_during_retry_pct: pct(it.budget_exceeded_during_retry, it.count),
        },
        cost: (it.costed > 0).then(|| Quantiles {
            p50: q_scaled(&it.cost, 0.5, MONEY_SCALE).unwrap_or(0.0),
            p95: q_scaled(&it.cost, 0.95, MONEY_SCALE).unwrap_or(0.0),
            p99: q_scaled(&it.cost, 0.99, MONEY_SCALE).unwrap_or(0.0),
        }),
        captures,
        faults,
        checks: sm
            .checks
            .iter()
            .map(|c| CheckReport {
                step: step_name(c.step),
                check: c.text.clone(),
                passed: c.passed,
                failed: c.failed,
                failed_pct: pct(c.failed, c.passed + c.failed),
                ended_iterations: c.ended_iterations,
            })
            .collect(),
    }
}

/// `200`, `429`, … and `none`, with shares of all requests.
fn status_counts(req: &RequestAgg) -> Vec<Count> {
    let mut statuses: Vec<Count> = req
        .by_status
        .iter()
        .map(|(s, n)| Count {
            name: s.to_string(),
            count: *n,
            pct: pct(*n, req.count),
        })
        .collect();
    if req.no_status > 0 {
        statuses.push(Count {
            name: "none".into(),
            count: req.no_status,
            pct: pct(req.no_status, req.count),
        });
    }
    statuses
}

/// The named stages (`during NAME`) and the chaos parts, each as the segments an SLO with
/// that qualifier reads.
fn phase_reports(plan: &Plan, test: usize, sm: &ScenarioMetrics, m: &Metrics) -> Vec<PhaseReport> {
    let Some(t) = plan.tests.get(test) else {
        return vec![];
    };
    let mut refs: Vec<PhaseRef> = t
        .profile
        .phases
        .iter()
        .map(|name| PhaseRef {
            when: PhaseKind::During,
            name: name.clone(),
        })
        .collect();
    if t.chaos.is_some() {
        for when in [PhaseKind::Before, PhaseKind::During, PhaseKind::After] {
            refs.push(PhaseRef {
                when,
                name: "chaos".into(),
            });
        }
    }
    refs.into_iter()
        .map(|phase| {
            let sel = m.select(sm, |seg| m.timeline.selects(&phase, seg) == Some(true));
            let req = sel.requests(None);
            let it = sel.iterations();
            let when = match phase.when {
                PhaseKind::Before => "before",
                PhaseKind::During => "during",
                PhaseKind::After => "after",
            };
            let timings = (0..m.step_names.len().max(req_steps(sm)))
                .filter_map(|step| {
                    let name = m
                        .step_names
                        .get(step)
                        .cloned()
                        .unwrap_or_else(|| format!("step {step}"));
                    timing(
                        Some(name),
                        TimingKind::Latency,
                        &sel.requests(Some(step)).latency,
                    )
                })
                .collect();
            PhaseReport {
                name: format!("{when} {}", phase.name),
                requests: req.count,
                failed: req.failed,
                error_rate_pct: pct(req.failed, req.count),
                throughput_per_s: sel.throughput(None),
                iterations: it.count,
                outcomes: OUTCOMES
                    .iter()
                    .map(|o| Count {
                        name: outcome_name(*o).into(),
                        count: it.outcome(*o),
                        pct: pct(it.outcome(*o), it.count),
                    })
                    .filter(|c| c.count > 0)
                    .collect(),
                timings,
            }
        })
        .collect()
}

/// One past the highest step index with data (steps unknown to the workload included).
fn req_steps(sm: &ScenarioMetrics) -> usize {
    sm.segments
        .values()
        .flat_map(|b| b.requests.keys())
        .max()
        .map_or(0, |s| s + 1)
}

fn comparison(m: &Metrics) -> Vec<ComparisonRow> {
    let row = |sm: &ScenarioMetrics| {
        let it = sm.select(|_| true).iterations();
        ComparisonRow {
            scenario: sm.name.clone(),
            success_rate_pct: pct(it.outcome(Outcome::Success), it.count),
            p95_retries: q_scaled(&it.retries, 0.95, 1.0),
            p95_cost: (it.costed > 0)
                .then(|| q_scaled(&it.cost, 0.95, MONEY_SCALE))
                .flatten(),
            p95_duration_us: (!it.duration.is_empty()).then(|| q_us(&it.duration, 0.95)),
            duration_vs_baseline: None,
            cost_vs_baseline: None,
        }
    };
    let mut rows: Vec<ComparisonRow> = m.scenarios.iter().filter(|s| s.ran).map(row).collect();
    let ratio =
        |a: Option<f64>, b: Option<f64>| a.zip(b).filter(|(_, b)| *b > 0.0).map(|(a, b)| a / b);
    if let Some(base) = rows.iter().find(|r| r.scenario == "baseline").cloned() {
        for r in &mut rows {
            let d = |r: &ComparisonRow| r.p95_duration_us.map(|v| v as f64);
            r.duration_vs_baseline = ratio(d(r), d(&base));
            r.cost_vs_baseline = ratio(r.p95_cost, base.p95_cost);
        }
    }
    rows
}

/// The plain-text report of one test: per scenario sections, a comparison table when there
/// are several scenarios, then every SLO with ✓/✗. ANSI colors only when `color`.
pub fn text(
    plan: &Plan,
    test: usize,
    metrics: &Metrics,
    verdict: &Verdict,
    seed: u64,
    interrupted: bool,
    color: bool,
) -> String {
    render_text(
        &build(plan, test, metrics, verdict, seed, interrupted),
        color,
    )
}
