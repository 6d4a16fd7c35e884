//! `check` for SLOs under `proxy NAME:`: the assertion reads what that proxy measured
//! (`requests`, `forwarded`, `upstream_errors`, `bytes_up`, `bytes_down`,
//! `p95(upstream_latency)`, `count(…)` and `rate(…)` over the proxy's request record). What a
//! proxy cannot measure (the client's metrics, a step, `in every`, a record field such as
//! `attempt`) is a `not_at_proxy` error at the word, with a label at the qualifier.

use super::check::{Checker, Place, SloCtx};
use super::error::CheckError;
use super::types::Ty;
use crate::ast::*;
use crate::source::Span;
use crate::vocab::{self, MetricArg, MetricFn, MetricName, ProxyMetric, ProxyQuantity};

/// The `proxy NAME:` qualifier an assertion carries.
pub(crate) struct ProxyAt<'a, 'c> {
    pub(crate) name: &'a str,
    /// The test's phases and chaos window, for `proxy NAME: requests during chaos`.
    pub(crate) ctx: &'a SloCtx<'c>,
    pub(crate) prefix: Span,
    /// A `proxy NAME tcp { … }`: no requests, only connections.
    pub(crate) tcp: bool,
}

/// What a proxy measures, for help texts.
const MEASURES: &str = "requests, connections, forwarded, upstream_errors, bytes_up, bytes_down, \
     p95(upstream_latency) (and p50, p90, p99, p999, max, min, mean), count(…), rate(…)";

/// What a TCP proxy measures, for help texts.
const TCP_MEASURES: &str = "connections, forwarded, upstream_errors, bytes_up, bytes_down, \
     p95(upstream_latency) (the connect time), count(…) and rate(…) over call, fault, injected, proxy";

impl Checker<'_> {
    pub(crate) fn not_at_proxy(
        &mut self,
        at: &ProxyAt<'_, '_>,
        span: Span,
        what: &str,
        help: &str,
    ) {
        self.problems.push(CheckError::NotAtProxy {
            what: what.to_string(),
            span: span.into(),
            proxy: at.name.to_string(),
            prefix: at.prefix.into(),
            help: Some(help.to_string()),
        });
    }

    /// An assertion under `proxy NAME:`: a comparison whose sides read the proxy's
    /// measurements or constants.
    pub(crate) fn proxy_assertion(&mut self, expr: &Expr, at: &ProxyAt<'_, '_>) {
        let ExprKind::Binary { op, lhs, rhs } = &expr.kind else {
            self.problems.push(CheckError::BadSlo {
                message: "an SLO compares a metric with a bound".into(),
                span: expr.span.into(),
                label: "not a comparison".into(),
                help: Some("write e.g. `proxy provider: count(fault != none) >= 1`".into()),
            });
            return;
        };
        if !op.is_comparison() {
            self.problems.push(CheckError::BadSlo {
                message: "an SLO compares a metric with a bound".into(),
                span: expr.span.into(),
                label: format!("`{}` is not a comparison", op.symbol()),
                help: Some("use <, <=, >, >=, == or !=".into()),
            });
            return;
        }
        let before = self.problems.len();
        let (l, l_metric) = self.proxy_side(lhs, at);
        let (r, r_metric) = self.proxy_side(rhs, at);
        if self.problems.len() > before {
            return;
        }
        if !l_metric && !r_metric {
            self.problems.push(CheckError::BadSlo {
                message: "an SLO needs a metric".into(),
                span: expr.span.into(),
                label: "only constants here".into(),
                help: Some(format!("a proxy measures {MEASURES}")),
            });
            return;
        }
        if !l.compatible(&r) {
            self.incomparable(lhs, &l, rhs, &r);
        }
    }

    /// The type of one side under `proxy NAME:`, and whether it reads a measurement.
    fn proxy_side(&mut self, e: &Expr, at: &ProxyAt<'_, '_>) -> (Ty, bool) {
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some(m) = ProxyMetric::from_name(&n.text) {
                    if at.tcp && m == ProxyMetric::Requests {
                        self.not_at_proxy(
                            at,
                            n.span,
                            "`requests`",
                            &format!(
                                "proxy `{}` is a TCP proxy: it counts `connections`; it measures {TCP_MEASURES}",
                                at.name
                            ),
                        );
                        return (Ty::Any, true);
                    }
                    let ty = match m {
                        ProxyMetric::BytesUp | ProxyMetric::BytesDown => Ty::Size,
                        _ => Ty::Number,
                    };
                    return (ty, true);
                }
                if MetricName::from_name(&n.text).is_some() {
                    self.not_at_proxy(
                        at,
                        n.span,
                        &format!("`{}`", n.text),
                        &format!(
                            "`{}` is measured at the client: drop `proxy {}:`; a proxy measures {MEASURES}",
                            n.text, at.name
                        ),
                    );
                    return (Ty::Any, true);
                }
                if self.scope.get(&n.text).is_some() {
                    return (self.expr(e, &Place::Const), false);
                }
                let all: Vec<&str> = ProxyMetric::names().chain(MetricFn::names()).collect();
                let help = crate::suggest::did_you_mean(&n.text, all.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| Some(format!("a proxy measures {MEASURES}")));
                self.problems.push(CheckError::UnknownName {
                    kind: "proxy metric",
                    name: n.text.clone(),
                    span: n.span.into(),
                    help,
                });
                (Ty::Any, true)
            }
            ExprKind::Call { callee, args } => {
                let Some(f) = callee.as_name() else {
                    return (self.expr(e, &Place::Const), false);
                };
                let Some(func) = MetricFn::from_name(&f.text) else {
                    return (self.expr(e, &Place::Const), false);
                };
                if args.len() != 1 || args[0].name.is_some() {
                    self.problems.push(CheckError::BadArguments {
                        message: format!("`{}` takes one argument", f.text),
                        span: e.span.into(),
                        label: "here".into(),
                        help: None,
                    });
                    return (Ty::Any, true);
                }
                let arg = &args[0].value;
                match func.arg() {
                    MetricArg::Quantity => match arg.as_name() {
                        Some(n) if ProxyQuantity::from_name(&n.text).is_some() => {
                            (Ty::Duration, true)
                        }
                        _ => {
                            self.not_at_proxy(
                                at,
                                arg.span,
                                &format!("`{}`", self.file.slice(arg.span)),
                                "a proxy times its upstream: `upstream_latency`, from sending upstream to the response head",
                            );
                            (Ty::Any, true)
                        }
                    },
                    MetricArg::Condition => (self.proxy_condition(f, func, arg, at), true),
                    _ => {
                        self.not_at_proxy(
                            at,
                            f.span,
                            &format!("`{}(…)`", f.text),
                            &format!("a proxy measures {MEASURES}"),
                        );
                        (Ty::Any, true)
                    }
                }
            }
            // `requests during chaos`: what arrived at the proxy in that phase.
            ExprKind::Phase { base, phase, name } => {
                self.phase_ref(*phase, name, at.ctx);
                self.proxy_side(base, at)
            }
            ExprKind::StepOf { step, .. } => {
                self.not_at_proxy(
                    at,
                    step.span,
                    "a step",
                    "a proxy sees requests, not the workload's steps; drop `step X:`",
                );
                (Ty::Any, true)
            }
            ExprKind::Paren(inner) => self.proxy_side(inner, at),
            ExprKind::Binary { op, lhs, rhs }
                if matches!(
                    op,
                    BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
                ) =>
            {
                let (l, lm) = self.proxy_side(lhs, at);
                let (r, rm) = self.proxy_side(rhs, at);
                (self.binary_ty(*op, lhs, &l, rhs, &r), lm || rm)
            }
            ExprKind::Binary { op, .. } => {
                self.comparison_inside_side(*op, e);
                (Ty::Any, false)
            }
            _ => (self.expr(e, &Place::Const), false),
        }
    }

    /// `count(…)`/`rate(…)` at a proxy: a condition over the proxy's request record.
    fn proxy_condition(
        &mut self,
        f: &Name,
        func: MetricFn,
        arg: &Expr,
        at: &ProxyAt<'_, '_>,
    ) -> Ty {
        let mut names = Vec::new();
        record_names(arg, &mut names);
        let mut client_only = false;
        for n in names {
            if vocab::RECORD.contains(&n.text.as_str())
                && !vocab::PROXY_RECORD.contains(&n.text.as_str())
            {
                client_only = true;
                self.not_at_proxy(
                    at,
                    n.span,
                    &format!("`{}`", n.text),
                    &format!(
                        "a proxy's request record has {}",
                        vocab::PROXY_RECORD.join(", ")
                    ),
                );
            }
        }
        if at.tcp {
            let mut http = Vec::new();
            super::tcp_proxy::http_reads_of(arg, &mut http);
            for (what, span) in http {
                client_only = true;
                self.not_at_proxy(
                    at,
                    span,
                    &what,
                    &format!(
                        "proxy `{}` is a TCP proxy: its record has call, fault, injected, proxy",
                        at.name
                    ),
                );
            }
        }
        if client_only {
            return Ty::Any;
        }
        let ty = self.expr(arg, &Place::Record { captures: None });
        let number_field = arg
            .as_name()
            .is_some_and(|n| matches!(n.text.as_str(), "status" | "call" | "body_size"));
        if number_field || !matches!(ty, Ty::Bool | Ty::Any) {
            self.problems.push(CheckError::UnitMismatch {
                expected: "a condition".into(),
                found: if number_field {
                    "a number".to_string()
                } else {
                    ty.noun()
                },
                span: arg.span.into(),
                help: Some(format!(
                    "`{}(…)` counts the proxy's requests for which a condition holds, like `status == 503`",
                    f.text
                )),
            });
        }
        if func == MetricFn::Count {
            Ty::Number
        } else {
            Ty::Percent
        }
    }
}

/// The bare names an expression reads (not function names, not field names).
fn record_names<'e>(e: &'e Expr, out: &mut Vec<&'e Name>) {
    match &e.kind {
        ExprKind::Name(n) => out.push(n),
        ExprKind::Binary { lhs, rhs, .. } => {
            record_names(lhs, out);
            record_names(rhs, out);
        }
        ExprKind::Unary { operand, .. } => record_names(operand, out),
        ExprKind::Paren(inner)
        | ExprKind::Phase { base: inner, .. }
        | ExprKind::StepOf { base: inner, .. } => record_names(inner, out),
        ExprKind::Call { args, .. } => args.iter().for_each(|a| record_names(&a.value, out)),
        _ => {}
    }
}
