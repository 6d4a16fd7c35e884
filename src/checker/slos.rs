//! `check` for SLOs and abort conditions: each side of a comparison is a metric (read from the
//! vocabulary: `vocab::MetricName`, `vocab::MetricFn`) or a constant; qualifiers (`scenario X:`,
//! `step X:`, `during PHASE`) name what the test has; captures are typed for the statistic that
//! reads them.

use super::check::{Checker, Place, SloCtx};
use super::error::CheckError;
use super::scope::Kind;
use super::types::Ty;
use crate::ast::*;
use crate::vocab::{self, MetricArg, MetricFn, MetricName};

impl Checker<'_> {
    /// `a < b` (or `&&`, …) inside one side of an SLO: one comparison per assertion.
    pub(crate) fn comparison_inside_side(&mut self, op: BinaryOp, e: &Expr) {
        self.problems.push(CheckError::BadSlo {
            message: format!("`{}` cannot appear inside a side of an SLO", op.symbol()),
            span: e.span.into(),
            label: "one comparison per assertion".into(),
            help: Some("write each condition as its own assertion".into()),
        });
    }

    pub(crate) fn slo(&mut self, slo: &SloStmt, ctx: &SloCtx<'_>) {
        match &slo.kind {
            SloStmtKind::Assert {
                prefixes,
                expr,
                every,
            } => {
                let mut seen_scenario = false;
                let mut seen_step = false;
                let mut proxy: Option<&SloPrefix> = None;
                for prefix in prefixes {
                    match prefix.kind {
                        SloPrefixKind::Scenario => {
                            if std::mem::replace(&mut seen_scenario, true) {
                                self.bad_value(
                                    prefix.span,
                                    "one `scenario X:` per assertion",
                                    "second qualifier",
                                    None,
                                );
                            }
                            let known = ctx.scenarios.contains(&prefix.name.text);
                            let implicit =
                                ctx.scenarios.is_empty() && prefix.name.text == "baseline";
                            if !known && !implicit {
                                let help = crate::suggest::did_you_mean(
                                    &prefix.name.text,
                                    ctx.scenarios.iter().map(String::as_str),
                                )
                                .map(|s| format!("did you mean `{s}`?"))
                                .or_else(|| {
                                    Some(format!(
                                        "this test runs: {}",
                                        if ctx.scenarios.is_empty() {
                                            "no listed scenario".to_string()
                                        } else {
                                            ctx.scenarios.join(", ")
                                        }
                                    ))
                                });
                                self.problems.push(CheckError::UnknownName {
                                    kind: "scenario of this test",
                                    name: prefix.name.text.clone(),
                                    span: prefix.name.span.into(),
                                    help,
                                });
                            }
                        }
                        SloPrefixKind::Proxy => {
                            if proxy.replace(prefix).is_some() {
                                self.bad_value(
                                    prefix.span,
                                    "one `proxy X:` per assertion",
                                    "second qualifier",
                                    None,
                                );
                            }
                            self.lookup(&prefix.name, Kind::Proxy);
                        }
                        SloPrefixKind::Step => {
                            if std::mem::replace(&mut seen_step, true) {
                                self.bad_value(
                                    prefix.span,
                                    "one `step X:` per assertion",
                                    "second qualifier",
                                    None,
                                );
                            }
                            self.step_ref(&prefix.name, ctx);
                        }
                    }
                }
                if let Some(proxy) = proxy {
                    let at = super::proxy_slos::ProxyAt {
                        name: &proxy.name.text,
                        prefix: proxy.span,
                        tcp: self.is_tcp_proxy(&proxy.name.text),
                        ctx,
                    };
                    if let Some(step) = prefixes.iter().find(|p| p.kind == SloPrefixKind::Step) {
                        self.not_at_proxy(
                            &at,
                            step.span,
                            "a step",
                            "a proxy sees requests, not the workload's steps; drop `step X:`",
                        );
                    }
                    if let Some(d) = every {
                        self.not_at_proxy(
                            &at,
                            d.span,
                            "`in every`",
                            "a proxy's measurements are split by scenario and phase, not by window",
                        );
                    }
                    self.proxy_assertion(expr, &at);
                } else {
                    self.assertion(expr, ctx, "an SLO");
                }
                if let Some(d) = every {
                    self.positive_duration(d, "an `in every` window");
                }
            }
            SloStmtKind::Abort { condition, over } => {
                self.assertion(condition, ctx, "`abort if`");
                if let Some(d) = over {
                    self.positive_duration(d, "an `over` window");
                }
            }
        }
    }

    fn assertion(&mut self, expr: &Expr, ctx: &SloCtx<'_>, what: &str) {
        let ExprKind::Binary { op, lhs, rhs } = &expr.kind else {
            self.problems.push(CheckError::BadSlo {
                message: format!("{what} compares a metric with a bound"),
                span: expr.span.into(),
                label: "not a comparison".into(),
                help: Some("write e.g. `p95(latency) < 500ms`".into()),
            });
            return;
        };
        if !op.is_comparison() {
            self.problems.push(CheckError::BadSlo {
                message: format!("{what} compares a metric with a bound"),
                span: expr.span.into(),
                label: format!("`{}` is not a comparison", op.symbol()),
                help: Some("use <, <=, >, >=, == or !=".into()),
            });
            return;
        }
        let before = self.problems.len();
        let (l, l_metric) = self.slo_side(lhs, ctx);
        let (r, r_metric) = self.slo_side(rhs, ctx);
        if self.problems.len() > before {
            return;
        }
        if !l_metric && !r_metric {
            self.problems.push(CheckError::BadSlo {
                message: format!("{what} needs a metric"),
                span: expr.span.into(),
                label: "only constants here".into(),
                help: Some("metrics are p95(latency), error_rate, success_rate, throughput, count(…), rate(…), …".into()),
            });
            return;
        }
        if !l.compatible(&r) {
            // A bare number against a latency is a latency in ms far more often than in s.
            for (bound, ty, metric, metric_ty) in [(rhs, &r, lhs, &l), (lhs, &l, rhs, &r)] {
                if *ty == Ty::Number
                    && *metric_ty == Ty::Duration
                    && matches!(bound.kind, ExprKind::Number { .. })
                {
                    let text = self.text(bound.span);
                    self.problems.push(CheckError::MissingUnit {
                        expected: Ty::Duration.noun(),
                        span: bound.span.into(),
                        help: duration_bound_fix(&text, metric),
                    });
                    return;
                }
            }
            self.incomparable(lhs, &l, rhs, &r);
        }
    }

    /// The type of one side of an SLO, and whether it reads a metric.
    fn slo_side(&mut self, e: &Expr, ctx: &SloCtx<'_>) -> (Ty, bool) {
        match &e.kind {
            ExprKind::Name(n) if MetricName::from_name(&n.text).is_some() => (
                MetricName::from_name(&n.text).map_or(Ty::Any, metric_name_ty),
                true,
            ),
            ExprKind::Name(n) if self.scope.get(&n.text).is_some() => {
                (self.expr(e, &Place::Const), false)
            }
            ExprKind::Name(n) if vocab::ProxyMetric::from_name(&n.text).is_some() => {
                self.needs_proxy(n, &n.text);
                (Ty::Any, true)
            }
            ExprKind::Name(n) => {
                let all: Vec<&str> = MetricName::names().chain(MetricFn::names()).collect();
                let help = crate::suggest::did_you_mean(&n.text, all.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"));
                let help = help.or_else(|| {
                    Some(format!(
                        "metrics are {}, and p95(x), count(…), rate(…), …",
                        MetricName::names().collect::<Vec<_>>().join(", ")
                    ))
                });
                self.problems.push(CheckError::UnknownName {
                    kind: "metric",
                    name: n.text.clone(),
                    span: n.span.into(),
                    help,
                });
                (Ty::Any, true)
            }
            ExprKind::Call { callee, args } => match callee.as_name() {
                Some(f) => match MetricFn::lookup(&f.text) {
                    Some(func) => (self.metric_call(e, f, func, args, ctx), true),
                    None => {
                        let help = Some(unknown_metric_fn_help(&f.text));
                        self.problems.push(CheckError::UnknownName {
                            kind: "metric",
                            name: f.text.clone(),
                            span: f.span.into(),
                            help,
                        });
                        (Ty::Any, true)
                    }
                },
                None => (self.expr(e, &Place::Const), false),
            },
            ExprKind::Phase { base, phase, name } => {
                self.phase_ref(*phase, name, ctx);
                let (ty, metric) = self.slo_side(base, ctx);
                (ty, metric)
            }
            ExprKind::StepOf { step, base } => {
                self.step_ref(step, ctx);
                self.slo_side(base, ctx)
            }
            ExprKind::Paren(inner) => self.slo_side(inner, ctx),
            ExprKind::Binary { op, lhs, rhs }
                if matches!(
                    op,
                    BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
                ) =>
            {
                let (l, lm) = self.slo_side(lhs, ctx);
                let (r, rm) = self.slo_side(rhs, ctx);
                (self.binary_ty(*op, lhs, &l, rhs, &r), lm || rm)
            }
            ExprKind::Binary { op, .. } => {
                self.comparison_inside_side(*op, e);
                (Ty::Any, false)
            }
            _ => (self.expr(e, &Place::Const), false),
        }
    }

    /// `step NAME:` names a step of the test's workload.
    fn step_ref(&mut self, name: &Name, ctx: &SloCtx<'_>) {
        if ctx.steps.contains(&name.text) || ctx.workload.is_none() {
            return;
        }
        let mut steps: Vec<&str> = ctx.steps.iter().map(String::as_str).collect();
        steps.sort_unstable();
        let help = crate::suggest::did_you_mean(&name.text, steps.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| Some(format!("the workload's steps are: {}", steps.join(", "))));
        self.problems.push(CheckError::UnknownName {
            kind: "step",
            name: name.text.clone(),
            span: name.span.into(),
            help,
        });
    }

    pub(super) fn phase_ref(&mut self, _phase: PhaseKind, name: &Name, ctx: &SloCtx<'_>) {
        if name.text == "chaos" {
            if !ctx.has_chaos {
                self.problems.push(CheckError::UnknownPhase {
                    name: name.text.clone(),
                    span: name.span.into(),
                    help: Some("this test has no `chaos from … to … { }` window".into()),
                });
            }
            return;
        }
        if !ctx.phases.iter().any(|(p, _)| *p == name.text) {
            let help = crate::suggest::did_you_mean(&name.text, ctx.phases.iter().map(|(p, _)| p.as_str()))
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| Some(if ctx.phases.is_empty() {
                    "name a stage of the profile with `as NAME`, e.g. `hold 150 users for 5s as overload`".to_string()
                } else {
                    format!("named stages: {}", ctx.phases.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join(", "))
                }));
            self.problems.push(CheckError::UnknownPhase {
                name: name.text.clone(),
                span: name.span.into(),
                help,
            });
        }
    }

    fn metric_call(
        &mut self,
        e: &Expr,
        f: &Name,
        func: MetricFn,
        args: &[Arg],
        ctx: &SloCtx<'_>,
    ) -> Ty {
        if func.arg() == MetricArg::Scraped || (func == MetricFn::Rate && args.len() == 2) {
            return self.scraped_call(e, f, func, args);
        }
        // `p(99.9, latency)`: the percentile first, then what it is taken of.
        let args = if func == MetricFn::Percentile && f.text == MetricFn::Percentile.name() {
            match args {
                [q, x] if q.name.is_none() && percentile_arg(&q.value).is_some() => {
                    std::slice::from_ref(x)
                }
                _ => {
                    self.problems.push(CheckError::BadArguments {
                        message: "`p` takes a percentile and a quantity".into(),
                        span: e.span.into(),
                        label: "here".into(),
                        help: Some("write `p(99.9, latency)`, or `p99.9(latency)`".into()),
                    });
                    return Ty::Any;
                }
            }
        } else {
            args
        };
        let arity_ok = args.len() == 1 && args[0].name.is_none();
        if !arity_ok {
            self.problems.push(CheckError::BadArguments {
                message: format!("`{}` takes one argument", f.text),
                span: e.span.into(),
                label: "here".into(),
                help: None,
            });
            return Ty::Any;
        }
        let arg = &args[0].value;
        match func.arg() {
            MetricArg::Quantity => match arg.as_name() {
                Some(n) if vocab::ProxyQuantity::from_name(&n.text).is_some() => {
                    self.needs_proxy(n, &format!("{}({})", f.text, n.text));
                    Ty::Any
                }
                Some(n) => match vocab::Quantity::from_name(&n.text) {
                    Some(vocab::Quantity::Latency | vocab::Quantity::Duration) => Ty::Duration,
                    Some(vocab::Quantity::Retries) => Ty::Number,
                    Some(vocab::Quantity::Cost) => Ty::Money,
                    None => self.capture_stat(f, n, ctx),
                },
                None => {
                    self.bad_value(
                        arg.span,
                        &format!("`{}` takes a quantity", f.text),
                        "expected `latency`, `duration`, `retries`, `cost` or a capture",
                        None,
                    );
                    Ty::Any
                }
            },
            MetricArg::Condition => {
                if func == MetricFn::Rate {
                    if let Some(n) = arg.as_name() {
                        if let Some((ty, defined)) = ctx.captures.get(&n.text) {
                            if *ty != Ty::Bool {
                                self.problems.push(CheckError::CaptureType {
                                    name: n.text.clone(),
                                    found: match ty {
                                        Ty::Duration => "a duration",
                                        Ty::Money => "money",
                                        _ => "a number",
                                    },
                                    wanted: "`rate(…)`".into(),
                                    expected: "a boolean (like `header(\"x-cache\") == \"HIT\"`)",
                                    span: n.span.into(),
                                    defined: (*defined).into(),
                                });
                            }
                            return Ty::Percent;
                        }
                        if !vocab::RECORD.contains(&n.text.as_str())
                            && self.scope.get(&n.text).is_none()
                            && !matches!(n.text.as_str(), "true" | "false")
                        {
                            self.unknown_capture(n, ctx, vocab::RECORD);
                            return Ty::Percent;
                        }
                    }
                }
                let ty = self.expr(
                    arg,
                    &Place::Record {
                        captures: Some(ctx.captures),
                    },
                );
                // The record's numbers are typed loosely (`status` may be `none`), but alone
                // they are never a condition: `count(status)`.
                let number_field = arg.as_name().is_some_and(|n| {
                    matches!(
                        n.text.as_str(),
                        "status" | "call" | "attempt" | "user" | "iteration"
                    ) && !ctx.captures.contains_key(&n.text)
                });
                if number_field || !matches!(ty, Ty::Bool | Ty::Any) {
                    let found = if number_field {
                        "a number".to_string()
                    } else {
                        ty.noun()
                    };
                    self.problems.push(CheckError::UnitMismatch {
                        expected: "a condition".into(),
                        found,
                        span: arg.span.into(),
                        help: Some(format!("`{}(…)` counts request attempts for which a condition holds, like `status == 200`", f.text)),
                    });
                }
                if func == MetricFn::Count {
                    Ty::Number
                } else {
                    Ty::Percent
                }
            }
            MetricArg::Outcome => {
                match arg.as_name() {
                    Some(n) if vocab::Outcome::from_name(&n.text).is_some() => {}
                    Some(n) => {
                        let outcomes: Vec<&str> = vocab::Outcome::names().collect();
                        self.unknown_setting("outcome", &n.text, n.span, &outcomes)
                    }
                    None => self.bad_value(
                        arg.span,
                        "`outcome` takes an outcome name",
                        "expected success, failed, budget_exceeded or timeout",
                        None,
                    ),
                }
                Ty::Percent
            }
            MetricArg::RetryReason => {
                match &arg.kind {
                    ExprKind::Number {
                        value,
                        integer: true,
                    } if (400.0..600.0).contains(value) => {}
                    ExprKind::StatusClass(4 | 5) => {}
                    ExprKind::Name(n) if n.text == "timeout" || n.text == "connection_error" => {}
                    _ => self.bad_value(
                        arg.span,
                        "`retries_by` takes a retry reason",
                        "expected a status (`429`), `5xx`, `timeout` or `connection_error`",
                        None,
                    ),
                }
                Ty::Number
            }
            MetricArg::Service => {
                match arg.as_name() {
                    Some(n) => {
                        self.mark(&n.text);
                        self.scope.expect(n, Kind::Service, &mut self.problems);
                    }
                    None => self.bad_value(
                        arg.span,
                        &format!("`{}` takes a service name", f.text),
                        "expected a service",
                        None,
                    ),
                }
                match func {
                    MetricFn::MemoryGrowth => Ty::Growth,
                    MetricFn::MaxRss | MetricFn::Rss => Ty::Size,
                    MetricFn::Fds | MetricFn::Threads | MetricFn::Restarts => Ty::Number,
                    _ => Ty::Percent,
                }
            }
            MetricArg::Scraped => Ty::Any,
        }
    }

    /// A `metric`/`delta`/`rate` call whose arguments are not `(owner, "series")`.
    fn scraped_call_shape(&mut self, e: &Expr, f: &Name, what: &str) -> Ty {
        self.problems.push(CheckError::BadArguments {
            message: format!("`{}` {what}", f.text),
            span: e.span.into(),
            label: "here".into(),
            help: Some(format!(
                "write e.g. `{}(gateway, \"requests_total\")`",
                f.text
            )),
        });
        Ty::Any
    }

    /// `metric(S, "series")`, `delta(S, "series")`, `rate(S, "series")`: S is a service or
    /// target with a `scrape`; the series a selector. The unit comes from the series' name.
    fn scraped_call(&mut self, e: &Expr, f: &Name, func: MetricFn, args: &[Arg]) -> Ty {
        let [owner, series] = args else {
            return self.scraped_call_shape(e, f, "takes a service or target and a series");
        };
        if owner.name.is_some() || series.name.is_some() {
            return self.scraped_call_shape(e, f, "takes no named arguments");
        }
        let mut ok = true;
        match owner.value.as_name() {
            Some(n) => {
                self.mark(&n.text);
                ok &= self.scraped_owner(n, f);
            }
            None => {
                self.bad_value(
                    owner.value.span,
                    &format!("`{}` reads a service or a target", f.text),
                    "expected the name of one",
                    None,
                );
                ok = false;
            }
        }
        let selector = match series.value.as_plain_str() {
            Some(text) => match crate::plan::scrape::Selector::parse(&text) {
                Ok(sel) => Some(sel),
                Err(why) => {
                    self.bad_value(
                        series.value.span,
                        "not a series selector",
                        &why,
                        Some("write `name` or `name{label=\"value\"}`".into()),
                    );
                    None
                }
            },
            None => {
                self.bad_value(
                    series.value.span,
                    "a series is named by a plain string",
                    "expected a string like `\"requests_total\"`",
                    None,
                );
                None
            }
        };
        let (Some(selector), true) = (selector, ok) else {
            return Ty::Any;
        };
        let form = match func {
            MetricFn::Metric => crate::plan::ScrapeForm::Last,
            MetricFn::Delta => crate::plan::ScrapeForm::Delta,
            _ => crate::plan::ScrapeForm::Rate,
        };
        match crate::plan::scrape::Kind::of(&selector.name).unit(form).0 {
            crate::plan::Unit::Duration => Ty::Duration,
            crate::plan::Unit::Percent => Ty::Percent,
            crate::plan::Unit::Rate => Ty::Rate,
            crate::plan::Unit::Size => Ty::Size,
            _ => Ty::Number,
        }
    }

    /// Whether `n` names a service or target that has a `scrape`; reports why not.
    fn scraped_owner(&mut self, n: &Name, f: &Name) -> bool {
        let Some(def) = self.scope.get(&n.text).copied() else {
            let mut names = self.scope.names_of(Kind::Service);
            names.extend(self.scope.names_of(Kind::Target));
            names.sort_unstable();
            let help = crate::suggest::did_you_mean(&n.text, names.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| {
                    Some("declare `service NAME { … scrape \"http://…/metrics\" }`".into())
                });
            self.problems.push(CheckError::UnknownName {
                kind: "service or target",
                name: n.text.clone(),
                span: n.span.into(),
                help,
            });
            return false;
        };
        let scraped = match (&self.ast.items[def.item], def.kind) {
            (Item::Service(s), Kind::Service) => s
                .stmts
                .iter()
                .any(|st| matches!(st.kind, ServiceStmtKind::Scrape(_))),
            (Item::Target(t), Kind::Target) => !t.scrapes.is_empty(),
            _ => {
                self.problems.push(CheckError::WrongKind {
                    name: n.text.clone(),
                    expected: "service or target",
                    found: def.kind.noun(),
                    span: n.span.into(),
                    defined: def.span.into(),
                    help: None,
                });
                return false;
            }
        };
        if !scraped {
            let example = if def.kind == Kind::Service {
                "scrape \"http://127.0.0.1:9100/metrics\" every 5s"
            } else {
                "{ scrape \"/metrics\" every 5s }"
            };
            self.problems.push(CheckError::NotScraped {
                kind: def.kind.noun(),
                name: n.text.clone(),
                function: format!("{}(…)", f.text),
                span: n.span.into(),
                defined: def.span.into(),
                help: Some(if def.kind == Kind::Service {
                    format!("add `{example}` to service `{}`", n.text)
                } else {
                    format!("add `{example}` after the target's URL")
                }),
            });
        }
        scraped
    }

    /// A statistic of a capture: a number, money or a duration, not a boolean.
    fn capture_stat(&mut self, f: &Name, n: &Name, ctx: &SloCtx<'_>) -> Ty {
        match ctx.captures.get(&n.text) {
            Some((Ty::Bool, defined)) => {
                self.problems.push(CheckError::CaptureType {
                    name: n.text.clone(),
                    found: "a boolean",
                    wanted: format!("`{}(…)`", f.text),
                    expected: "a number",
                    span: n.span.into(),
                    defined: (*defined).into(),
                });
                Ty::Any
            }
            Some((ty, _)) => match ty {
                Ty::Money | Ty::Duration => ty.clone(),
                _ => Ty::Number,
            },
            None => {
                let quantities: Vec<&str> = vocab::Quantity::names().collect();
                self.unknown_capture(n, ctx, &quantities);
                Ty::Any
            }
        }
    }

    /// A proxy's measurement without `proxy NAME:`.
    fn needs_proxy(&mut self, n: &Name, written: &str) {
        let proxies = self.scope.names_of(Kind::Proxy);
        let name = proxies.first().copied().unwrap_or("NAME");
        self.problems.push(CheckError::BadSlo {
            message: format!("`{}` is measured by a proxy", n.text),
            span: n.span.into(),
            label: "needs `proxy NAME:` before the assertion".into(),
            help: Some(if proxies.is_empty() {
                format!("declare a `proxy NAME {{ listen …  upstream … }}` and write `proxy NAME: {written} …`")
            } else {
                format!("write `proxy {name}: {written} …`")
            }),
        });
    }

    fn unknown_capture(&mut self, n: &Name, ctx: &SloCtx<'_>, builtins: &[&str]) {
        let Some(workload) = ctx.workload.clone() else {
            return;
        };
        let mut all: Vec<&str> = ctx.captures.keys().map(String::as_str).collect();
        all.sort_unstable();
        all.extend(builtins);
        let help = crate::suggest::did_you_mean(&n.text, all.iter().copied())
            .map(|s| format!("did you mean `{s}`?"));
        self.problems.push(CheckError::UnknownCapture {
            name: n.text.clone(),
            span: n.span.into(),
            workload,
            help,
        });
    }
}

fn metric_name_ty(name: MetricName) -> Ty {
    match name {
        MetricName::Throughput => Ty::Rate,
        MetricName::Dropped => Ty::Number,
        MetricName::ErrorRate
        | MetricName::SuccessRate
        | MetricName::BudgetExceeded
        | MetricName::BudgetExceededDuringRetry => Ty::Percent,
    }
}

/// The percentile `p(q, x)` names: `99.9` or `99.9%` (`check` proved it one of these, in
/// (0, 100]).
pub(crate) fn percentile_arg(q: &Expr) -> Option<f64> {
    let value = match &q.kind {
        ExprKind::Number { value, .. } => *value,
        ExprKind::Percent(p) => p.0,
        _ => return None,
    };
    (value > 0.0 && value <= 100.0).then_some(value)
}

/// Help for an unknown metric function: the known one another tool's name means (`avg` →
/// `mean`), else a close spelling, then every metric function.
fn unknown_metric_fn_help(name: &str) -> String {
    let listed = MetricFn::ALL
        .iter()
        .filter(|f| **f != MetricFn::Percentile)
        .map(|f| format!("{}(…)", f.name()))
        .collect::<Vec<_>>()
        .join(", ");
    let all = format!("metric functions are {listed}, and any percentile like p75(…) or p99.9(…)");
    if name.starts_with('p') && name[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return format!(
            "a percentile is above 0 and at most 100, like `p95`, `p99.9` or `p999` (99.9); {all}"
        );
    }
    let aliases = vocab::METRIC_FN_ALIASES.iter().map(|(alias, _)| *alias);
    let guess = MetricFn::alias(name).or_else(|| {
        let close = crate::suggest::did_you_mean(name, MetricFn::names().chain(aliases))?;
        Some(MetricFn::alias(close).unwrap_or(close))
    });
    match guess {
        Some("p") => format!(
            "write a percentile as `pN`, like `p99.9(latency)`, or as `p(99.9, latency)`; {all}"
        ),
        Some(known) => format!("did you mean `{known}`? {all}"),
        None => all,
    }
}

/// The unit a bare bound on a duration metric most likely meant: `ms` for a request latency
/// (`p95(latency) < 500` → `500ms`) or a bound of 100 or more, else `s` (`max(duration) < 5`).
fn duration_bound_fix(number_text: &str, metric: &Expr) -> String {
    let n: f64 = number_text.replace('_', "").parse().unwrap_or(0.0);
    if reads_latency(metric) || n >= 100.0 {
        format!("write `{number_text}ms` (or us, s)")
    } else {
        format!("write `{number_text}s` (or ms, m)")
    }
}

/// Whether an SLO side takes a statistic of `latency`.
fn reads_latency(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call { args, .. } => args.iter().any(|a| {
            a.value
                .as_name()
                .is_some_and(|n| n.text == vocab::Quantity::Latency.name())
        }),
        ExprKind::Paren(inner)
        | ExprKind::Phase { base: inner, .. }
        | ExprKind::StepOf { base: inner, .. } => reads_latency(inner),
        ExprKind::Binary { lhs, rhs, .. } => reads_latency(lhs) || reads_latency(rhs),
        _ => false,
    }
}
