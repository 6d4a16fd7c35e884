//! The value of one SLO side over a selection of samples, and how SLO sides read as text.
//! Shared by `slo` (evaluation, `abort if`) and `report`.
//!
//! Semantics (docs/language.md §11, "SLOs"):
//! - values in base units: µs, percent 0–100, per second, dollars, bytes;
//! - `Stat::Percentile(p)` is a percent (95, 99.9), as `checker::lower` writes it; a statistic
//!   of a histogram is rounded to its precision, 3 significant digits, before it is compared
//!   (so `p95(latency) <= 3s` holds when every request took exactly 3s);
//! - a metric over no samples (p95 of an empty phase, the error rate or a `count` of no
//!   requests) is [`Missing::NoData`], never a silent pass; service metrics (`memory_growth`,
//!   `max_rss`, `cpu`, …) are computed from samples by `growth`;
//! - `throughput` is attempts that got a response (any status; not timeouts or transport
//!   errors) per second of the time the selection covers: the scheduled length of its stages
//!   (a phase's stages only, summed over a `repeat`), cut to the run; a window's covered
//!   length in a window; the samples' own span (first intended start → last end) where the
//!   profile has no scheduled length (`users N, iterations M`);
//! - under `step X:`, request metrics read that step, `duration` reads the step's own time,
//!   and iteration metrics (`success_rate`, `outcome`, retries, cost, budgets) ignore it.

use crate::plan::{
    Expr, Filter, Metric, Outcome, ProxyMeasure, Quantity, RetryOn, SloExpr, Stat, Unit,
};
use crate::units::{Bytes, Duration, Money, Percent, Rate, trim};

use super::bucket::Bucket;
use super::collector::{Metrics, ScenarioMetrics};
use super::histogram::{COUNT_SCALE, Histogram, MONEY_SCALE, SIGFIG};
use super::segment::PhaseSelect;
use super::select::Selection;

/// Why a side has no value.
#[derive(Clone, Debug, PartialEq)]
pub enum Missing {
    /// No samples: the message says where (`no requests during `calm``).
    NoData(String),
    /// This version cannot measure it.
    NotMeasured(String),
}

/// What the samples of a side are taken from.
pub enum Scope<'a> {
    /// The scenario's whole run (or the phases a side names).
    Run(&'a ScenarioMetrics),
    /// One `in every` window: `index * len ..`, of which `elapsed` µs were inside the run.
    Window {
        sm: &'a ScenarioMetrics,
        len: u64,
        index: u64,
        elapsed: u64,
    },
    /// A sliding window of `elapsed` µs (`abort if … over`), not split by phase.
    Recent { bucket: &'a Bucket, elapsed: u64 },
}

/// The value and unit of one SLO side.
pub fn side(expr: &SloExpr, m: &Metrics, scope: &Scope<'_>) -> Result<(f64, Unit), Missing> {
    let non_number = |a: Unit, b: Unit| if a == Unit::Number { b } else { a };
    Ok(match expr {
        SloExpr::Const { value, unit } => (*value, *unit),
        SloExpr::Metric { metric, filter } => measure(metric, filter, m, scope)?,
        SloExpr::Mul(a, b) => {
            let ((x, xu), (y, yu)) = (side(a, m, scope)?, side(b, m, scope)?);
            let product = if xu == Unit::Percent && yu == Unit::Percent {
                x * y / 100.0
            } else {
                x * y
            };
            (product, non_number(xu, yu))
        }
        SloExpr::Div(a, b) => {
            let ((x, xu), (y, yu)) = (side(a, m, scope)?, side(b, m, scope)?);
            if y == 0.0 {
                return Err(Missing::NoData(format!("{} was 0", describe(b, m))));
            }
            (x / y, if xu == yu { Unit::Number } else { xu })
        }
        SloExpr::Add(a, b) | SloExpr::Sub(a, b) => {
            let ((x, xu), (y, yu)) = (side(a, m, scope)?, side(b, m, scope)?);
            let v = if matches!(expr, SloExpr::Add(..)) {
                x + y
            } else {
                x - y
            };
            (v, non_number(xu, yu))
        }
    })
}

fn select<'a>(filter: &Filter, m: &Metrics, scope: &Scope<'a>) -> Result<Selection<'a>, Missing> {
    let segments = match &filter.phase {
        None => None,
        Some(phase) => match m.timeline.select(phase) {
            PhaseSelect::Segments(s) => Some(s),
            PhaseSelect::Unknown => {
                return Err(Missing::NoData(format!("no stage named `{}`", phase.name)));
            }
        },
    };
    let keep = |s| {
        segments
            .as_ref()
            .is_none_or(|list: &Vec<_>| list.contains(&s))
    };
    Ok(match scope {
        Scope::Run(sm) => m.select(sm, keep),
        Scope::Window {
            sm,
            len,
            index,
            elapsed,
        } => sm.select_window(*len, *index, keep).with_elapsed(*elapsed),
        Scope::Recent { .. } if segments.is_some() => {
            return Err(Missing::NoData(
                "a phase inside `over` is not supported".into(),
            ));
        }
        Scope::Recent { bucket, elapsed } => Selection::new(vec![*bucket]).with_elapsed(*elapsed),
    })
}

/// `v` rounded to `digits` significant digits: the precision a histogram statistic has.
pub fn round_sig(v: f64, digits: u8) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let magnitude = 10f64.powi(v.abs().log10().floor() as i32 - i32::from(digits) + 1);
    (v / magnitude).round() * magnitude
}

fn share(part: u64, whole: u64) -> f64 {
    part as f64 * 100.0 / whole as f64
}

fn measure(
    metric: &Metric,
    filter: &Filter,
    m: &Metrics,
    scope: &Scope<'_>,
) -> Result<(f64, Unit), Missing> {
    let sel = select(filter, m, scope)?;
    let step = match &filter.step {
        None => None,
        Some(name) => Some(
            m.step_index(name)
                .ok_or_else(|| Missing::NoData(format!("no step named `{name}`")))?,
        ),
    };
    let place = where_text(filter);
    let no_requests = || Missing::NoData(format!("no requests{place}"));
    let no_iterations = || Missing::NoData(format!("no iterations{place}"));
    let requests = || {
        let r = sel.requests(step);
        if r.count == 0 {
            Err(no_requests())
        } else {
            Ok(r)
        }
    };
    let iterations = || {
        let it = sel.iterations();
        if it.count == 0 {
            Err(no_iterations())
        } else {
            Ok(it)
        }
    };
    let not_measured = |what: String| Missing::NotMeasured(format!("{what} is not measured"));
    Ok(match metric {
        Metric::Stat { stat, of } => {
            let (h, scale, unit, missing): (Histogram, f64, Unit, Missing) = match of {
                Quantity::Latency => (requests()?.latency, 1.0, Unit::Duration, no_requests()),
                Quantity::Duration => {
                    let it = iterations()?;
                    let h = match step {
                        Some(s) => it.step_durations.get(&s).cloned().unwrap_or_default(),
                        None => it.duration,
                    };
                    (h, 1.0, Unit::Duration, no_iterations())
                }
                Quantity::Retries => (
                    iterations()?.retries,
                    COUNT_SCALE,
                    Unit::Number,
                    no_iterations(),
                ),
                Quantity::Cost => (
                    iterations()?.cost,
                    MONEY_SCALE,
                    Unit::Money,
                    no_iterations(),
                ),
                Quantity::Capture(i) => {
                    let name = m.captures.get(*i).map_or("?", String::as_str);
                    let h = requests()?.captures.get(i).cloned().unwrap_or_default();
                    let missing = Missing::NoData(format!("no values of capture `{name}`{place}"));
                    let unit = if m.is_money_capture(*i) {
                        Unit::Money
                    } else if m.is_duration_capture(*i) {
                        Unit::Duration
                    } else {
                        Unit::Number
                    };
                    (h, m.capture_scale(*i), unit, missing)
                }
            };
            let value = match stat {
                Stat::Percentile(p) => h.percentile(p / 100.0).map(|v| v as f64),
                Stat::Max => h.max().map(|v| v as f64),
                Stat::Min => h.min().map(|v| v as f64),
                Stat::Mean => h.mean(),
            };
            (round_sig(value.ok_or(missing)? / scale, SIGFIG), unit)
        }
        Metric::ErrorRate => {
            let r = requests()?;
            (share(r.failed, r.count), Unit::Percent)
        }
        Metric::SuccessRate => {
            let it = iterations()?;
            (share(it.outcome(Outcome::Success), it.count), Unit::Percent)
        }
        Metric::Count(e) | Metric::Rate(e) => {
            let index = predicate(m, e)?;
            let r = requests()?;
            let hits = r.matches.get(index).copied().unwrap_or(0);
            match metric {
                Metric::Count(_) => (hits as f64, Unit::Number),
                _ => {
                    // Over the attempts the condition could be judged on: those that recorded
                    // the captures it reads (a step that never sets `cached` is not a miss).
                    let judged = capture_denominator(m, e, &r).unwrap_or(r.count);
                    if judged == 0 {
                        return Err(Missing::NoData(format!(
                            "no request recorded the capture `{}` reads{place}",
                            expr_text(e)
                        )));
                    }
                    (share(hits, judged), Unit::Percent)
                }
            }
        }
        Metric::Outcome(o) => {
            let it = iterations()?;
            (share(it.outcome(*o), it.count), Unit::Percent)
        }
        Metric::Throughput => (sel.throughput(step).ok_or_else(no_requests)?, Unit::Rate),
        Metric::Dropped => {
            let dropped = sel.dropped();
            if dropped == 0 && sel.iteration_count() == 0 && sel.attempts(None) == 0 {
                return Err(Missing::NoData(format!("no arrivals{place}")));
            }
            (dropped as f64, Unit::Number)
        }
        Metric::BudgetExceeded => {
            let it = iterations()?;
            (
                share(it.outcome(Outcome::BudgetExceeded), it.count),
                Unit::Percent,
            )
        }
        Metric::BudgetExceededDuringRetry => {
            let it = iterations()?;
            (
                share(it.budget_exceeded_during_retry, it.count),
                Unit::Percent,
            )
        }
        Metric::RetriesBy(reason) => {
            iterations()?;
            (sel.retries_by(*reason) as f64, Unit::Number)
        }
        Metric::Proxy { proxy, measure } => {
            return proxy_measure(proxy, measure, filter, m, scope);
        }
        Metric::MemoryGrowth { .. }
        | Metric::MaxRss { .. }
        | Metric::Cpu { .. }
        | Metric::Service { .. }
        | Metric::Scraped { .. } => {
            let (sm, window) = match scope {
                Scope::Run(sm) => (*sm, None),
                Scope::Window { sm, len, index, .. } => {
                    (*sm, Some((index * len, (index + 1) * len)))
                }
                Scope::Recent { .. } => {
                    return Err(not_measured(
                        "a service metric in `abort if … over`".to_string(),
                    ));
                }
            };
            if let Metric::Scraped { .. } = metric {
                return super::scraped::measure(
                    &m.services,
                    metric,
                    filter,
                    &m.timeline,
                    &sm.name,
                    window,
                );
            }
            return super::growth::measure(
                &m.services,
                metric,
                filter,
                &m.timeline,
                &sm.name,
                window,
            );
        }
    })
}

/// A proxy's measurement over the scenario's whole run (`proxy NAME:`), or over the phases the
/// filter names (`proxy NAME: requests during chaos`: the segments of the time line the
/// proxy's requests arrived in). Counts are values even when 0; a statistic, `count` or
/// `rate` over no requests is `NoData`.
fn proxy_measure(
    proxy: &str,
    measure: &ProxyMeasure,
    filter: &Filter,
    m: &Metrics,
    scope: &Scope<'_>,
) -> Result<(f64, Unit), Missing> {
    let Scope::Run(sm) = scope else {
        return Err(Missing::NotMeasured(
            "a proxy's measurement in a window is not measured".into(),
        ));
    };
    let p = sm
        .proxies
        .iter()
        .find(|p| p.name == proxy)
        .ok_or_else(|| Missing::NoData(format!("proxy `{proxy}` recorded nothing")))?;
    let selected;
    let (p, during) = match &filter.phase {
        None => (p, String::new()),
        Some(phase) => {
            let PhaseSelect::Segments(list) = m.timeline.select(phase) else {
                return Err(Missing::NoData(format!("no stage named `{}`", phase.name)));
            };
            selected = p.select(|s| list.contains(&s)).ok_or_else(|| {
                Missing::NotMeasured(format!(
                    "proxy `{proxy}`'s measurements were not split by phase (metrics.json from an older stress)"
                ))
            })?;
            let when = match phase.when {
                crate::ast::PhaseKind::Before => "before",
                crate::ast::PhaseKind::During => "during",
                crate::ast::PhaseKind::After => "after",
            };
            (&selected, format!(" {when} `{}`", phase.name))
        }
    };
    let no_requests = || Missing::NoData(format!("proxy `{proxy}` received no requests{during}"));
    Ok(match measure {
        ProxyMeasure::Requests => (p.requests as f64, Unit::Number),
        ProxyMeasure::Connections => (p.connections as f64, Unit::Number),
        ProxyMeasure::Forwarded => (p.forwarded as f64, Unit::Number),
        ProxyMeasure::UpstreamErrors => (p.upstream_errors as f64, Unit::Number),
        ProxyMeasure::BytesUp => (p.bytes_up as f64, Unit::Size),
        ProxyMeasure::BytesDown => (p.bytes_down as f64, Unit::Size),
        ProxyMeasure::UpstreamLatency(stat) => {
            let h = &p.upstream_latency;
            let value = match stat {
                Stat::Percentile(q) => h.percentile(q / 100.0).map(|v| v as f64),
                Stat::Max => h.max().map(|v| v as f64),
                Stat::Min => h.min().map(|v| v as f64),
                Stat::Mean => h.mean(),
            };
            let value = value.ok_or_else(|| {
                Missing::NoData(format!("proxy `{proxy}` forwarded no requests{during}"))
            })?;
            (round_sig(value, SIGFIG), Unit::Duration)
        }
        ProxyMeasure::Count(e) | ProxyMeasure::Rate(e) => {
            if p.requests == 0 {
                return Err(no_requests());
            }
            let hits = m
                .proxy_predicates
                .iter()
                .position(|c| c == e)
                .and_then(|i| p.matches.get(i))
                .copied()
                .ok_or_else(|| {
                    Missing::NoData(format!(
                        "`{}` was not counted at proxy `{proxy}`",
                        expr_text(e)
                    ))
                })?;
            match measure {
                ProxyMeasure::Count(_) => (hits as f64, Unit::Number),
                _ => (share(hits, p.requests), Unit::Percent),
            }
        }
    })
}

/// The attempts that recorded a capture `e` reads (the most of them when it reads several);
/// `None` when it reads none.
fn capture_denominator(m: &Metrics, e: &Expr, r: &super::bucket::RequestAgg) -> Option<u64> {
    fn vars<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
        match e {
            Expr::Var(name) => out.push(name),
            Expr::Template(items) | Expr::List(items) => items.iter().for_each(|i| vars(i, out)),
            Expr::Object(entries) => entries.iter().for_each(|(_, v)| vars(v, out)),
            Expr::Field(b, _) | Expr::Not(b) | Expr::Neg(b) => vars(b, out),
            Expr::Index(a, b) | Expr::Binary { lhs: a, rhs: b, .. } => {
                vars(a, out);
                vars(b, out);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| vars(a, out)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    vars(e, &mut names);
    names
        .iter()
        .filter_map(|name| m.captures.iter().position(|c| c == name))
        .map(|i| {
            let flags = r.flags.get(&i).map_or(0, |(t, f)| t + f);
            let numbers = r.captures.get(&i).map_or(0, |h| h.count());
            flags.max(numbers)
        })
        .max()
        // Numeric captures are only kept when an SLO reads their values: without them, over
        // every attempt.
        .filter(|n| *n > 0)
}

fn predicate(m: &Metrics, e: &Expr) -> Result<usize, Missing> {
    m.predicate_index(e).ok_or_else(|| {
        Missing::NoData(format!(
            "`{}` was not collected for this test",
            expr_text(e)
        ))
    })
}

/// A value in base units, shown in the user's units: `412ms`, `1.2%`, `20/s`, `$0.002`.
pub fn format_value(v: f64, unit: Unit) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    match unit {
        Unit::Duration => Duration(v.round().max(0.0) as u64).to_string(),
        Unit::Percent => Percent(v).to_string(),
        Unit::Rate => Rate(v).to_string(),
        Unit::Money => Money(v).to_string(),
        Unit::Size => Bytes(v.round().max(0.0) as u64).to_string(),
        Unit::Number => trim(v, 3),
    }
}

/// More digits, for a failed comparison whose two sides would print the same: still in the
/// user's units (`999.999ms`, `1.000001s`), never raw microseconds.
pub fn precise(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Duration if v.abs() < 1e3 => format!("{}us", trim(v, 3)),
        Unit::Duration if v.abs() < 1e6 => format!("{}ms", trim(v / 1e3, 6)),
        Unit::Duration => format!("{}s", trim(v / 1e6, 6)),
        Unit::Percent => format!("{}%", trim(v, 6)),
        Unit::Money => format!("${}", trim(v, 8)),
        Unit::Rate => format!("{}/s", trim(v, 6)),
        Unit::Size | Unit::Number => trim(v, 6),
    }
}

pub(crate) fn where_text(filter: &Filter) -> String {
    let mut out = String::new();
    if let Some(step) = &filter.step {
        out.push_str(&format!(" for step `{step}`"));
    }
    if let Some(p) = &filter.phase {
        let when = match p.when {
            crate::ast::PhaseKind::Before => "before",
            crate::ast::PhaseKind::During => "during",
            crate::ast::PhaseKind::After => "after",
        };
        out.push_str(&format!(" {when} `{}`", p.name));
    }
    out
}

/// A retry reason as written (`429`, `5xx`, `timeout`).
pub fn retry_on_text(r: RetryOn) -> String {
    match r {
        RetryOn::Status(s) => s.to_string(),
        RetryOn::Class(c) => format!("{c}xx"),
        RetryOn::Timeout => "timeout".into(),
        RetryOn::ConnectionError => "connection_error".into(),
    }
}

/// An SLO side as text: `step chat: p95(latency) during calm`, `0.5 * throughput during c10`.
pub fn describe(expr: &SloExpr, m: &Metrics) -> String {
    match expr {
        SloExpr::Const { value, unit } => format_value(*value, *unit),
        SloExpr::Metric { metric, filter } => {
            let base = match metric {
                Metric::Stat { stat, of } => {
                    let s = stat_text(*stat);
                    let q = match of {
                        Quantity::Latency => "latency",
                        Quantity::Duration => "duration",
                        Quantity::Retries => "retries",
                        Quantity::Cost => "cost",
                        Quantity::Capture(i) => m.captures.get(*i).map_or("?", String::as_str),
                    };
                    format!("{s}({q})")
                }
                Metric::ErrorRate => "error_rate".into(),
                Metric::SuccessRate => "success_rate".into(),
                Metric::Count(e) => format!("count({})", expr_text(e)),
                Metric::Rate(e) => format!("rate({})", expr_text(e)),
                Metric::Outcome(o) => format!("outcome({})", outcome_name(*o)),
                Metric::Throughput => "throughput".into(),
                Metric::Dropped => "dropped".into(),
                Metric::BudgetExceeded => "budget_exceeded".into(),
                Metric::BudgetExceededDuringRetry => "budget_exceeded_during_retry".into(),
                Metric::RetriesBy(r) => format!("retries_by({})", retry_on_text(*r)),
                Metric::MemoryGrowth { service, .. } => format!("memory_growth({service})"),
                Metric::MaxRss { service } => format!("max_rss({service})"),
                Metric::Cpu { service } => format!("cpu({service})"),
                Metric::Service { service, stat } => {
                    let f = match stat {
                        crate::plan::ServiceStat::Rss => "rss",
                        crate::plan::ServiceStat::MaxCpu => "max_cpu",
                        crate::plan::ServiceStat::Fds => "fds",
                        crate::plan::ServiceStat::Threads => "threads",
                        crate::plan::ServiceStat::Restarts => "restarts",
                    };
                    format!("{f}({service})")
                }
                Metric::Scraped {
                    owner,
                    series,
                    form,
                } => {
                    let f = match form {
                        crate::plan::ScrapeForm::Last => "metric",
                        crate::plan::ScrapeForm::Delta => "delta",
                        crate::plan::ScrapeForm::Rate => "rate",
                    };
                    format!("{f}({owner}, {series:?})")
                }
                Metric::Proxy { proxy, measure } => {
                    let what = match measure {
                        ProxyMeasure::Requests => "requests".to_string(),
                        ProxyMeasure::Connections => "connections".to_string(),
                        ProxyMeasure::Forwarded => "forwarded".to_string(),
                        ProxyMeasure::UpstreamErrors => "upstream_errors".to_string(),
                        ProxyMeasure::BytesUp => "bytes_up".to_string(),
                        ProxyMeasure::BytesDown => "bytes_down".to_string(),
                        ProxyMeasure::UpstreamLatency(stat) => {
                            format!("{}(upstream_latency)", stat_text(*stat))
                        }
                        ProxyMeasure::Count(e) => format!("count({})", expr_text(e)),
                        ProxyMeasure::Rate(e) => format!("rate({})", expr_text(e)),
                    };
                    format!("proxy {proxy}: {what}")
                }
            };
            let step = filter
                .step
                .as_ref()
                .map(|s| format!("step {s}: "))
                .unwrap_or_default();
            let phase = filter.phase.as_ref().map(|p| {
                let when = where_text(&Filter {
                    step: None,
                    phase: Some(p.clone()),
                });
                when.replace('`', "")
            });
            format!("{step}{base}{}", phase.unwrap_or_default())
        }
        SloExpr::Mul(a, b) => format!("{} * {}", describe(a, m), describe(b, m)),
        SloExpr::Div(a, b) => format!("{} / {}", describe(a, m), describe(b, m)),
        SloExpr::Add(a, b) => format!("{} + {}", describe(a, m), describe(b, m)),
        SloExpr::Sub(a, b) => format!("{} - {}", describe(a, m), describe(b, m)),
    }
}

/// A statistic's function name: `p95`, `p999`, `max`.
fn stat_text(stat: Stat) -> String {
    match stat {
        Stat::Percentile(p) => format!("p{}", trim(p, 3).replace('.', "")),
        Stat::Max => "max".into(),
        Stat::Min => "min".into(),
        Stat::Mean => "mean".into(),
    }
}

/// An outcome's name as written in `.stress` files.
pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Failed => "failed",
        Outcome::BudgetExceeded => "budget_exceeded",
        Outcome::Timeout => "timeout",
    }
}

/// A record predicate as text (`status == 429`), for reports.
pub fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Null => "none".into(),
        Expr::Bool(b) => b.to_string(),
        Expr::Number(n) => trim(*n, 3),
        Expr::Str(s) => format!("{s:?}"),
        Expr::Var(v) => v.clone(),
        Expr::FaultKind(k) => k.clone(),
        Expr::Builtin(b) => format!("{b:?}").to_lowercase(),
        Expr::Response(crate::plan::ResponseField::Status) => "status".into(),
        Expr::Response(crate::plan::ResponseField::Latency) => "latency".into(),
        Expr::Not(inner) => format!("!{}", expr_text(inner)),
        Expr::Neg(inner) => format!("-{}", expr_text(inner)),
        Expr::Binary { op, lhs, rhs } => {
            format!("{} {} {}", expr_text(lhs), op.symbol(), expr_text(rhs))
        }
        _ => "…".into(),
    }
}

#[cfg(test)]
mod precise_tests {
    use super::*;

    #[test]
    fn precise_durations_stay_in_the_users_units() {
        assert_eq!(precise(1_000_000.0, Unit::Duration), "1s");
        assert_eq!(precise(999_999.0, Unit::Duration), "999.999ms");
        assert_eq!(precise(1_000_001.0, Unit::Duration), "1.000001s");
        assert_eq!(precise(250.0, Unit::Duration), "250us");
    }
}
