//! `lower` for SLOs and abort conditions: comparisons of metrics (filtered by step and
//! phase) with bounds.

use super::{Lowerer, Names};
use crate::ast::{self, BinaryOp, ExprKind, Item};
use crate::checker::domains;
use crate::checker::read::{self};
use crate::plan::{self};

impl Lowerer<'_> {
    pub(super) fn slo(&self, slo: &ast::SloStmt, captures: &[String], test: &mut plan::Test) {
        let text = self
            .file
            .slice(slo.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let line = self.file.line_of(slo.span);
        match &slo.kind {
            ast::SloStmtKind::Assert {
                prefixes,
                expr,
                every,
            } => {
                let mut scenario = None;
                let mut step = None;
                for p in prefixes {
                    match p.kind {
                        ast::SloPrefixKind::Scenario => scenario = Some(p.name.text.clone()),
                        ast::SloPrefixKind::Step => step = Some(p.name.text.clone()),
                    }
                }
                let Some((lhs, op, rhs)) = self.comparison(expr, step.as_ref(), captures) else {
                    return;
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
            ast::SloStmtKind::Abort { condition, over } => {
                let Some((lhs, op, rhs)) = self.comparison(condition, None, captures) else {
                    return;
                };
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
        e: &ast::Expr,
        step: Option<&String>,
        captures: &[String],
    ) -> Option<(plan::SloExpr, plan::CmpOp, plan::SloExpr)> {
        let Some((lhs, op, rhs)) = read::comparison(e) else {
            domains::unlowerable(&format!("not a comparison: {}", self.file.slice(e.span)));
            return None;
        };
        let op = match op {
            BinaryOp::Lt => plan::CmpOp::Lt,
            BinaryOp::Le => plan::CmpOp::Le,
            BinaryOp::Gt => plan::CmpOp::Gt,
            BinaryOp::Ge => plan::CmpOp::Ge,
            BinaryOp::Eq => plan::CmpOp::Eq,
            BinaryOp::Ne => plan::CmpOp::Ne,
            BinaryOp::Range
            | BinaryOp::Or
            | BinaryOp::And
            | BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::Mod => {
                domains::unlowerable(&format!("not a comparison: {}", self.file.slice(e.span)));
                return None;
            }
        };
        let filter = plan::Filter {
            step: step.cloned(),
            phase: None,
        };
        let mut l = self.slo_expr(lhs, &filter, captures);
        let mut r = self.slo_expr(rhs, &filter, captures);
        // §9.11: a qualifier at the end of an assertion whose bound is a literal applies to
        // the metric(s) on the left.
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
        Some((l, op, r))
    }

    pub(super) fn slo_expr(
        &self,
        e: &ast::Expr,
        filter: &plan::Filter,
        captures: &[String],
    ) -> plan::SloExpr {
        use plan::SloExpr as S;
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
            ExprKind::Binary { op, lhs, rhs } => {
                let (l, r) = (
                    Box::new(self.slo_expr(lhs, filter, captures)),
                    Box::new(self.slo_expr(rhs, filter, captures)),
                );
                match op {
                    BinaryOp::Add => S::Add(l, r),
                    BinaryOp::Sub => S::Sub(l, r),
                    BinaryOp::Div => S::Div(l, r),
                    _ => {
                        // A percentage scales: `50% * throughput` is half of it.
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
            ExprKind::Name(n) => match n.text.as_str() {
                "error_rate" => metric(plan::Metric::ErrorRate, filter),
                "success_rate" => metric(plan::Metric::SuccessRate, filter),
                "throughput" => metric(plan::Metric::Throughput, filter),
                "dropped" => metric(plan::Metric::Dropped, filter),
                "budget_exceeded" => metric(plan::Metric::BudgetExceeded, filter),
                "budget_exceeded_during_retry" => {
                    metric(plan::Metric::BudgetExceededDuringRetry, filter)
                }
                _ => self.constant(e),
            },
            ExprKind::Call { callee, args } => {
                let f = callee
                    .as_name()
                    .map(|n| n.text.as_str())
                    .unwrap_or_default();
                let Some(arg) = args.first().map(|a| &a.value) else {
                    domains::unlowerable(&format!("metric without argument: {f}"));
                    return self.constant(e);
                };
                let stat = match f {
                    "p50" => Some(plan::Stat::Percentile(50.0)),
                    "p90" => Some(plan::Stat::Percentile(90.0)),
                    "p95" => Some(plan::Stat::Percentile(95.0)),
                    "p99" => Some(plan::Stat::Percentile(99.0)),
                    "p999" => Some(plan::Stat::Percentile(99.9)),
                    "max" => Some(plan::Stat::Max),
                    "min" => Some(plan::Stat::Min),
                    "mean" => Some(plan::Stat::Mean),
                    _ => None,
                };
                let record = Names {
                    record: true,
                    ..Names::default()
                };
                let m = if let Some(stat) = stat {
                    let name = arg.as_name().map(|n| n.text.as_str()).unwrap_or_default();
                    let of = match name {
                        "latency" => plan::Quantity::Latency,
                        "duration" => plan::Quantity::Duration,
                        "retries" => plan::Quantity::Retries,
                        "cost" if !captures.iter().any(|c| c == "cost") => plan::Quantity::Cost,
                        "cost" => plan::Quantity::Cost,
                        other => match captures.iter().position(|c| c == other) {
                            Some(i) => plan::Quantity::Capture(i),
                            None => {
                                domains::unlowerable(&format!("unknown capture `{other}`"));
                                plan::Quantity::Latency
                            }
                        },
                    };
                    plan::Metric::Stat { stat, of }
                } else {
                    match f {
                        "count" => plan::Metric::Count(self.expr(arg, &record)),
                        "rate" => plan::Metric::Rate(self.expr(arg, &record)),
                        "outcome" => {
                            plan::Metric::Outcome(match arg.as_name().map(|n| n.text.as_str()) {
                                Some("success") => plan::Outcome::Success,
                                Some("failed") => plan::Outcome::Failed,
                                Some("budget_exceeded") => plan::Outcome::BudgetExceeded,
                                _ => plan::Outcome::Timeout,
                            })
                        }
                        "retries_by" => plan::Metric::RetriesBy(self.retry_on(arg)),
                        "memory_growth" => plan::Metric::MemoryGrowth {
                            service: self.string(arg),
                            relative: false,
                        },
                        "max_rss" => plan::Metric::MaxRss {
                            service: self.string(arg),
                        },
                        "rss" | "max_cpu" | "fds" | "threads" | "restarts" => {
                            plan::Metric::Service {
                                service: self.string(arg),
                                stat: match f {
                                    "rss" => plan::ServiceStat::Rss,
                                    "max_cpu" => plan::ServiceStat::MaxCpu,
                                    "fds" => plan::ServiceStat::Fds,
                                    "threads" => plan::ServiceStat::Threads,
                                    _ => plan::ServiceStat::Restarts,
                                },
                            }
                        }
                        _ => plan::Metric::Cpu {
                            service: self.string(arg),
                        },
                    }
                };
                metric(m, filter)
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
        ExprKind::Name(n) => crate::checker::exprs::METRIC_NAMES.contains(&n.text.as_str()),
        ExprKind::Binary { lhs, rhs, .. } => has_metric(lhs) || has_metric(rhs),
        ExprKind::Paren(inner) | ExprKind::Phase { base: inner, .. } => has_metric(inner),
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
