//! `lower` for SLOs and abort conditions: comparisons (resolved by `check`) of metrics
//! (filtered by step and phase, read from `vocab::MetricName` and `vocab::MetricFn`) with
//! bounds.

use super::{Lowerer, Names};
use crate::ast::{self, BinaryOp, ExprKind, Item};
use crate::checker::domains;
use crate::checker::resolved::SloRefs;
use crate::plan::{self};
use crate::vocab::{self, MetricFn, MetricName};

impl Lowerer<'_> {
    pub(super) fn slo(&self, refs: &SloRefs<'_>, captures: &[String], test: &mut plan::Test) {
        let slo = refs.stmt;
        let text = self
            .file
            .slice(slo.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let line = self.file.line_of(slo.span);
        match &slo.kind {
            ast::SloStmtKind::Assert {
                prefixes, every, ..
            } => {
                let mut scenario = None;
                let mut step = None;
                let mut proxy = None;
                for p in prefixes {
                    match p.kind {
                        ast::SloPrefixKind::Scenario => scenario = Some(p.name.text.clone()),
                        ast::SloPrefixKind::Step => step = Some(p.name.text.clone()),
                        ast::SloPrefixKind::Proxy => proxy = Some(p.name.text.as_str()),
                    }
                }
                let (lhs, op, rhs) = match proxy {
                    Some(proxy) => self.proxy_comparison(refs, proxy),
                    None => self.comparison(refs, step.as_ref(), captures),
                };
                test.slos.push(plan::Slo {
                    text,
                    origin: slo.span,
                    line,
                    scenario,
                    lhs,
                    op,
                    rhs,
                    every: every.as_ref().map(|d| self.duration(d)),
                });
            }
            ast::SloStmtKind::Abort { over, .. } => {
                let (lhs, op, rhs) = self.comparison(refs, None, captures);
                test.aborts.push(plan::Abort {
                    text,
                    origin: slo.span,
                    line,
                    lhs,
                    op,
                    rhs,
                    over: over.as_ref().map(|d| self.duration(d)),
                });
            }
        }
    }

    pub(super) fn comparison(
        &self,
        refs: &SloRefs<'_>,
        step: Option<&String>,
        captures: &[String],
    ) -> (plan::SloExpr, plan::CmpOp, plan::SloExpr) {
        let (lhs, op, rhs) = (refs.lhs, refs.op, refs.rhs);
        let filter = plan::Filter {
            step: step.cloned(),
            phase: None,
        };
        let mut l = self.slo_expr(lhs, &filter, captures);
        let mut r = self.slo_expr(rhs, &filter, captures);
        // A qualifier at the end of an assertion whose bound is a literal applies to the
        // metric(s) on the left.
        if let ExprKind::Phase { base, phase, name } = &rhs.kind {
            if !has_metric(base) {
                let phase = plan::PhaseRef {
                    when: *phase,
                    name: name.text.clone(),
                };
                set_phase(&mut l, &phase);
                r = self.slo_expr(base, &filter, captures);
            }
        }
        // `memory_growth(x) < 5%` is relative to the RSS after warm-up.
        if unit_of(&r) == Some(plan::Unit::Percent) {
            set_relative(&mut l);
        }
        (l, op, r)
    }

    pub(super) fn slo_expr(
        &self,
        e: &ast::Expr,
        filter: &plan::Filter,
        captures: &[String],
    ) -> plan::SloExpr {
        match &e.kind {
            ExprKind::Paren(inner) => self.slo_expr(inner, filter, captures),
            ExprKind::Phase { base, phase, name } => {
                let mut inner = self.slo_expr(base, filter, captures);
                set_phase(
                    &mut inner,
                    &plan::PhaseRef {
                        when: *phase,
                        name: name.text.clone(),
                    },
                );
                inner
            }
            // `step b: p50(latency)`: this operand reads step b, whatever the assertion's prefix.
            ExprKind::StepOf { step, base } => {
                let filter = plan::Filter {
                    step: Some(step.text.clone()),
                    ..filter.clone()
                };
                self.slo_expr(base, &filter, captures)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (l, r) = (
                    Box::new(self.slo_expr(lhs, filter, captures)),
                    Box::new(self.slo_expr(rhs, filter, captures)),
                );
                arithmetic(*op, l, r)
            }
            ExprKind::Name(n) => match MetricName::from_name(&n.text) {
                Some(m) => metric(
                    match m {
                        MetricName::ErrorRate => plan::Metric::ErrorRate,
                        MetricName::SuccessRate => plan::Metric::SuccessRate,
                        MetricName::Throughput => plan::Metric::Throughput,
                        MetricName::Dropped => plan::Metric::Dropped,
                        MetricName::BudgetExceeded => plan::Metric::BudgetExceeded,
                        MetricName::BudgetExceededDuringRetry => {
                            plan::Metric::BudgetExceededDuringRetry
                        }
                    },
                    filter,
                ),
                None => self.constant(e),
            },
            ExprKind::Call { callee, args } => {
                // Stays, like the function of a workload call: `check` let through only metric
                // functions with one argument here, read again from the vocabulary.
                let name = callee.as_name().map_or("", |n| n.text.as_str());
                let func = MetricFn::lookup(name);
                if let (
                    Some(func @ (MetricFn::Metric | MetricFn::Delta | MetricFn::Rate)),
                    [owner, series],
                ) = (func, args.as_slice())
                {
                    let form = match func {
                        MetricFn::Metric => plan::ScrapeForm::Last,
                        MetricFn::Delta => plan::ScrapeForm::Delta,
                        _ => plan::ScrapeForm::Rate,
                    };
                    return metric(
                        plan::Metric::Scraped {
                            owner: self.string(&owner.value),
                            series: self.string(&series.value),
                            form,
                        },
                        filter,
                    );
                }
                let (func, arg, q) = match (func, args.as_slice()) {
                    (Some(MetricFn::Percentile), [q, arg]) => (
                        MetricFn::Percentile,
                        arg,
                        crate::checker::slos::percentile_arg(&q.value),
                    ),
                    (Some(func), [arg]) => (func, arg, vocab::percentile(name)),
                    _ => {
                        domains::unlowerable(&format!("not a metric: {}", self.file.slice(e.span)));
                        return self.constant(e);
                    }
                };
                metric(self.metric_call(func, &arg.value, captures, q), filter)
            }
            _ => self.constant(e),
        }
    }

    /// A metric function applied to its argument.
    /// `q` is the percentile a `pN(…)` or `p(q, …)` call reads.
    fn metric_call(
        &self,
        func: MetricFn,
        arg: &ast::Expr,
        captures: &[String],
        q: Option<f64>,
    ) -> plan::Metric {
        let record = Names {
            record: true,
            ..Names::default()
        };
        let stat = |stat| plan::Metric::Stat {
            stat,
            of: self.quantity(arg, captures),
        };
        let service = |stat| plan::Metric::Service {
            service: self.string(arg),
            stat,
        };
        match func {
            MetricFn::P50 => stat(plan::Stat::Percentile(50.0)),
            MetricFn::P90 => stat(plan::Stat::Percentile(90.0)),
            MetricFn::P95 => stat(plan::Stat::Percentile(95.0)),
            MetricFn::P99 => stat(plan::Stat::Percentile(99.0)),
            MetricFn::P999 => stat(plan::Stat::Percentile(99.9)),
            MetricFn::Percentile => stat(plan::Stat::Percentile(
                q.expect("check proved that a percentile call names its percentile"),
            )),
            MetricFn::Max => stat(plan::Stat::Max),
            MetricFn::Min => stat(plan::Stat::Min),
            MetricFn::Mean => stat(plan::Stat::Mean),
            MetricFn::Count => plan::Metric::Count(self.expr(arg, &record)),
            MetricFn::Rate => plan::Metric::Rate(self.expr(arg, &record)),
            MetricFn::Outcome => plan::Metric::Outcome(
                match arg
                    .as_name()
                    .and_then(|n| vocab::Outcome::from_name(&n.text))
                {
                    Some(vocab::Outcome::Success) => plan::Outcome::Success,
                    Some(vocab::Outcome::Failed) => plan::Outcome::Failed,
                    Some(vocab::Outcome::BudgetExceeded) => plan::Outcome::BudgetExceeded,
                    Some(vocab::Outcome::Timeout) | None => plan::Outcome::Timeout,
                },
            ),
            MetricFn::RetriesBy => plan::Metric::RetriesBy(self.retry_on(arg)),
            MetricFn::MemoryGrowth => plan::Metric::MemoryGrowth {
                service: self.string(arg),
                relative: false,
            },
            MetricFn::MaxRss => plan::Metric::MaxRss {
                service: self.string(arg),
            },
            MetricFn::Cpu => plan::Metric::Cpu {
                service: self.string(arg),
            },
            MetricFn::Rss => service(plan::ServiceStat::Rss),
            MetricFn::MaxCpu => service(plan::ServiceStat::MaxCpu),
            MetricFn::Fds => service(plan::ServiceStat::Fds),
            MetricFn::Threads => service(plan::ServiceStat::Threads),
            MetricFn::Restarts => service(plan::ServiceStat::Restarts),
            MetricFn::Metric | MetricFn::Delta => {
                domains::unlowerable("a scraped series with one argument");
                plan::Metric::Scraped {
                    owner: self.string(arg),
                    series: String::new(),
                    form: plan::ScrapeForm::Last,
                }
            }
        }
    }

    /// What a statistic is taken of: a quantity, else one of the workload's captures.
    fn quantity(&self, arg: &ast::Expr, captures: &[String]) -> plan::Quantity {
        let name = arg.as_name().map(|n| n.text.as_str()).unwrap_or_default();
        match vocab::Quantity::from_name(name) {
            Some(vocab::Quantity::Latency) => plan::Quantity::Latency,
            Some(vocab::Quantity::Duration) => plan::Quantity::Duration,
            Some(vocab::Quantity::Retries) => plan::Quantity::Retries,
            Some(vocab::Quantity::Cost) => plan::Quantity::Cost,
            // A capture. Stays: `check` found the name in the workload's captures, but the plan
            // numbers captures in the order lowering meets them, so the index is looked up
            // here.
            None => match captures.iter().position(|c| c == name) {
                Some(i) => plan::Quantity::Capture(i),
                None => {
                    domains::unlowerable(&format!("unknown capture `{name}`"));
                    plan::Quantity::Latency
                }
            },
        }
    }

    /// A side under `proxy NAME:` (`check` let through only what a proxy measures).
    /// `proxy NAME: L op R`; a qualifier at the end (`requests > 0 during chaos`) applies to
    /// the metric(s) on the left, as at the client.
    fn proxy_comparison(
        &self,
        refs: &SloRefs<'_>,
        proxy: &str,
    ) -> (plan::SloExpr, plan::CmpOp, plan::SloExpr) {
        let mut l = self.proxy_expr(refs.lhs, proxy);
        let mut r = self.proxy_expr(refs.rhs, proxy);
        if let ExprKind::Phase { base, phase, name } = &refs.rhs.kind {
            if !has_proxy_metric(base) {
                set_phase(
                    &mut l,
                    &plan::PhaseRef {
                        when: *phase,
                        name: name.text.clone(),
                    },
                );
                r = self.proxy_expr(base, proxy);
            }
        }
        (l, refs.op, r)
    }

    fn proxy_expr(&self, e: &ast::Expr, proxy: &str) -> plan::SloExpr {
        let at = |measure| plan::SloExpr::Metric {
            metric: plan::Metric::Proxy {
                proxy: proxy.to_string(),
                measure,
            },
            filter: plan::Filter::default(),
        };
        match &e.kind {
            ExprKind::Paren(inner) => self.proxy_expr(inner, proxy),
            ExprKind::Phase { base, phase, name } => {
                let mut inner = self.proxy_expr(base, proxy);
                set_phase(
                    &mut inner,
                    &plan::PhaseRef {
                        when: *phase,
                        name: name.text.clone(),
                    },
                );
                inner
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (l, r) = (
                    Box::new(self.proxy_expr(lhs, proxy)),
                    Box::new(self.proxy_expr(rhs, proxy)),
                );
                arithmetic(*op, l, r)
            }
            ExprKind::Name(n) => match vocab::ProxyMetric::from_name(&n.text) {
                Some(m) => at(match m {
                    vocab::ProxyMetric::Requests => plan::ProxyMeasure::Requests,
                    vocab::ProxyMetric::Connections => plan::ProxyMeasure::Connections,
                    vocab::ProxyMetric::Forwarded => plan::ProxyMeasure::Forwarded,
                    vocab::ProxyMetric::UpstreamErrors => plan::ProxyMeasure::UpstreamErrors,
                    vocab::ProxyMetric::BytesUp => plan::ProxyMeasure::BytesUp,
                    vocab::ProxyMetric::BytesDown => plan::ProxyMeasure::BytesDown,
                }),
                None => self.constant(e),
            },
            ExprKind::Call { callee, args } => {
                let func = callee.as_name().and_then(|n| MetricFn::from_name(&n.text));
                let (Some(func), [arg]) = (func, args.as_slice()) else {
                    domains::unlowerable(&format!("not a metric: {}", self.file.slice(e.span)));
                    return self.constant(e);
                };
                let record = Names {
                    record: true,
                    ..Names::default()
                };
                let stat = |s| at(plan::ProxyMeasure::UpstreamLatency(s));
                match func {
                    MetricFn::P50 => stat(plan::Stat::Percentile(50.0)),
                    MetricFn::P90 => stat(plan::Stat::Percentile(90.0)),
                    MetricFn::P95 => stat(plan::Stat::Percentile(95.0)),
                    MetricFn::P99 => stat(plan::Stat::Percentile(99.0)),
                    MetricFn::P999 => stat(plan::Stat::Percentile(99.9)),
                    MetricFn::Max => stat(plan::Stat::Max),
                    MetricFn::Min => stat(plan::Stat::Min),
                    MetricFn::Mean => stat(plan::Stat::Mean),
                    MetricFn::Count => {
                        at(plan::ProxyMeasure::Count(self.expr(&arg.value, &record)))
                    }
                    MetricFn::Rate => at(plan::ProxyMeasure::Rate(self.expr(&arg.value, &record))),
                    // `check` refused every other function under `proxy NAME:`.
                    _ => {
                        domains::unlowerable(&format!(
                            "not a proxy metric: {}",
                            self.file.slice(e.span)
                        ));
                        self.constant(e)
                    }
                }
            }
            _ => self.constant(e),
        }
    }

    pub(super) fn constant(&self, e: &ast::Expr) -> plan::SloExpr {
        plan::SloExpr::Const {
            value: self.num(e),
            unit: self.unit(e),
        }
    }

    pub(super) fn unit(&self, e: &ast::Expr) -> plan::Unit {
        match &e.kind {
            ExprKind::Duration(_) => plan::Unit::Duration,
            ExprKind::Percent(_) => plan::Unit::Percent,
            ExprKind::Rate(_) => plan::Unit::Rate,
            ExprKind::Money(_) => plan::Unit::Money,
            ExprKind::Size(_) | ExprKind::Bandwidth(_) => plan::Unit::Size,
            ExprKind::Paren(inner) | ExprKind::Unary { operand: inner, .. } => self.unit(inner),
            ExprKind::Name(n) => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.unit(&l.value),
                _ => plan::Unit::Number,
            },
            ExprKind::Binary {
                op: BinaryOp::Div,
                lhs,
                rhs,
            } if self.unit(lhs) == self.unit(rhs) => plan::Unit::Number,
            ExprKind::Binary { lhs, rhs, .. } => match self.unit(lhs) {
                plan::Unit::Number | plan::Unit::Percent => self.unit(rhs),
                u => u,
            },
            _ => plan::Unit::Number,
        }
    }
}

fn metric(m: plan::Metric, filter: &plan::Filter) -> plan::SloExpr {
    plan::SloExpr::Metric {
        metric: m,
        filter: filter.clone(),
    }
}

fn has_metric(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Call { .. } => true,
        ExprKind::Name(n) => MetricName::from_name(&n.text).is_some(),
        ExprKind::Binary { lhs, rhs, .. } => has_metric(lhs) || has_metric(rhs),
        ExprKind::Paren(inner)
        | ExprKind::Phase { base: inner, .. }
        | ExprKind::StepOf { base: inner, .. } => has_metric(inner),
        _ => false,
    }
}

/// Whether a side under `proxy NAME:` reads a proxy measurement.
fn has_proxy_metric(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Call { .. } => true,
        ExprKind::Name(n) => vocab::ProxyMetric::from_name(&n.text).is_some(),
        ExprKind::Binary { lhs, rhs, .. } => has_proxy_metric(lhs) || has_proxy_metric(rhs),
        ExprKind::Paren(inner) | ExprKind::Phase { base: inner, .. } => has_proxy_metric(inner),
        _ => false,
    }
}

fn set_phase(e: &mut plan::SloExpr, phase: &plan::PhaseRef) {
    match e {
        plan::SloExpr::Metric { filter, .. } => {
            if filter.phase.is_none() {
                filter.phase = Some(phase.clone());
            }
        }
        plan::SloExpr::Mul(a, b)
        | plan::SloExpr::Div(a, b)
        | plan::SloExpr::Add(a, b)
        | plan::SloExpr::Sub(a, b) => {
            set_phase(a, phase);
            set_phase(b, phase);
        }
        plan::SloExpr::Const { .. } => {}
    }
}

fn set_relative(e: &mut plan::SloExpr) {
    match e {
        plan::SloExpr::Metric {
            metric: plan::Metric::MemoryGrowth { relative, .. },
            ..
        } => *relative = true,
        plan::SloExpr::Mul(a, b)
        | plan::SloExpr::Div(a, b)
        | plan::SloExpr::Add(a, b)
        | plan::SloExpr::Sub(a, b) => {
            set_relative(a);
            set_relative(b);
        }
        _ => {}
    }
}

fn unit_of(e: &plan::SloExpr) -> Option<plan::Unit> {
    match e {
        plan::SloExpr::Const { unit, .. } => Some(*unit),
        _ => None,
    }
}

/// `l op r` for a side of an SLO; a percentage scales (`50% * throughput` is half of it).
fn arithmetic(op: BinaryOp, l: Box<plan::SloExpr>, r: Box<plan::SloExpr>) -> plan::SloExpr {
    use plan::SloExpr as S;
    match op {
        BinaryOp::Add => S::Add(l, r),
        BinaryOp::Sub => S::Sub(l, r),
        BinaryOp::Div => S::Div(l, r),
        _ => {
            let scale = |s: Box<S>| match *s {
                S::Const {
                    value,
                    unit: plan::Unit::Percent,
                } => Box::new(S::Const {
                    value: value / 100.0,
                    unit: plan::Unit::Number,
                }),
                other => Box::new(other),
            };
            S::Mul(scale(l), scale(r))
        }
    }
}
