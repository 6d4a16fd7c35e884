//! Expression typing for `check`: resolves every name for the place it stands in (a workload,
//! a request record, a constant, an SLO) and infers units, so `p95(latency) < 50%` and
//! `timeout 5` are caught before anything runs.

use super::check::{Checker, Place, SloCtx};
use super::error::CheckError;
use super::scope::Kind;
use super::types::{Ty, literal_ty};
use crate::ast::*;
use crate::source::Span;
use crate::vocab::Builtin;

pub(crate) const BUILTINS: &[&str] = &["user", "iteration", "scenario", "test"];
pub(crate) const RESPONSE: &[&str] = &["status", "json", "body", "latency"];
pub(crate) const RECORD: &[&str] = &[
    "status",
    "latency",
    "injected",
    "fault",
    "call",
    "attempt",
    "user",
    "iteration",
    "step",
    // What a fault rule sees of a request at a proxy (`inject at proxy NAME`).
    "method",
    "path",
    "body_size",
];
pub(crate) const METRIC_FUNCS: &[&str] = &[
    "p50",
    "p90",
    "p95",
    "p99",
    "p999",
    "max",
    "min",
    "mean",
    "count",
    "rate",
    "outcome",
    "retries_by",
    "memory_growth",
    "max_rss",
    "cpu",
    "rss",
    "max_cpu",
    "fds",
    "threads",
    "restarts",
];
pub(crate) const METRIC_NAMES: &[&str] = &[
    "error_rate",
    "success_rate",
    "throughput",
    "dropped",
    "budget_exceeded",
    "budget_exceeded_during_retry",
];
pub(crate) const QUANTITIES: &[&str] = &["latency", "duration", "retries", "cost"];
pub(crate) const OUTCOMES: &[&str] = &["success", "failed", "budget_exceeded", "timeout"];

impl Checker<'_> {
    /// `x.a` and `x[0]` need an object, a list, text or a value known only at run time; a
    /// quantity (`1%.a`, `5s[0]`) has no fields.
    fn indexable(&mut self, base: &Expr, ty: &Ty) {
        if !matches!(ty, Ty::Any | Ty::Object | Ty::List | Ty::Str) {
            self.problems.push(CheckError::UnitMismatch {
                expected: "an object or a list".into(),
                found: ty.noun(),
                span: base.span.into(),
                help: Some("only objects, lists and response values have fields and items".into()),
            });
        }
    }

    /// The type of an expression in a place, reporting unknown names and unit errors.
    pub(crate) fn expr(&mut self, e: &Expr, place: &Place<'_>) -> Ty {
        match &e.kind {
            ExprKind::Number { .. }
            | ExprKind::Duration(_)
            | ExprKind::Percent(_)
            | ExprKind::Rate(_)
            | ExprKind::Size(_)
            | ExprKind::Bandwidth(_)
            | ExprKind::Money(_)
            | ExprKind::StatusClass(_)
            | ExprKind::RawStr(_) => literal_ty(e).unwrap_or(Ty::Any),
            ExprKind::Str(parts) => {
                for part in parts {
                    if let StrPart::Interp(inner) = part {
                        self.expr(inner, place);
                    }
                }
                Ty::Str
            }
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item, place);
                }
                Ty::List
            }
            ExprKind::Object(entries) => {
                let mut seen: std::collections::HashMap<String, Span> =
                    std::collections::HashMap::new();
                for entry in entries {
                    if let Some(first) = seen.insert(entry.key.text.clone(), entry.key.span) {
                        self.problems.push(CheckError::DuplicateStatement {
                            what: format!("key `{}`", entry.key.text),
                            second: entry.key.span.into(),
                            first: first.into(),
                        });
                    }
                    self.expr(&entry.value, place);
                }
                Ty::Object
            }
            ExprKind::Name(name) => self.name_ty(name, place),
            ExprKind::Field { base, .. } => {
                if let Some(n) = base.as_name() {
                    if let Place::Workload { steps, .. } = place {
                        if steps.contains(&n.text) {
                            return Ty::Any;
                        }
                    }
                }
                let base_ty = self.expr(base, place);
                self.indexable(base, &base_ty);
                Ty::Any
            }
            ExprKind::Index { base, index } => {
                let base_ty = self.expr(base, place);
                self.indexable(base, &base_ty);
                self.expr(index, place);
                Ty::Any
            }
            ExprKind::Call { callee, args } => self.call_ty(e, callee, args, place),
            ExprKind::Unary { op, operand } => {
                let ty = self.expr(operand, place);
                match op {
                    UnaryOp::Not => Ty::Bool,
                    UnaryOp::Neg => ty,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(lhs, place);
                let r = self.expr(rhs, place);
                self.binary_ty(*op, lhs, &l, rhs, &r)
            }
            ExprKind::Phase { base, .. } => {
                self.bad_value(
                    e.span,
                    "a phase qualifier (`before`, `during`, `after`) belongs in an `slo` block",
                    "not in an SLO",
                    None,
                );
                self.expr(base, place)
            }
            ExprKind::Paren(inner) => self.expr(inner, place),
        }
    }

    fn binary_ty(&mut self, op: BinaryOp, lhs: &Expr, l: &Ty, rhs: &Expr, r: &Ty) -> Ty {
        match op {
            BinaryOp::And | BinaryOp::Or => Ty::Bool,
            _ if op.is_comparison() => {
                if !l.compatible(r)
                    && !(matches!(op, BinaryOp::Eq | BinaryOp::Ne)
                        && (is_null(lhs) || is_null(rhs)))
                {
                    self.incomparable(lhs, l, rhs, r);
                }
                Ty::Bool
            }
            BinaryOp::Range => {
                if !l.compatible(r) {
                    self.incomparable(lhs, l, rhs, r);
                }
                Ty::Range(Box::new(if *l == Ty::Any { r.clone() } else { l.clone() }))
            }
            BinaryOp::Add | BinaryOp::Sub => {
                let concatenates = op == BinaryOp::Add
                    && matches!((l, r), (Ty::Str, _) | (_, Ty::Str) | (Ty::List, Ty::List));
                if !l.compatible(r) && !concatenates {
                    self.incomparable(lhs, l, rhs, r);
                }
                if *l == Ty::Any { r.clone() } else { l.clone() }
            }
            BinaryOp::Mul => match (l, r) {
                (Ty::Percent, Ty::Number) | (Ty::Number, Ty::Percent) => Ty::Number,
                (Ty::Percent, Ty::Percent) => Ty::Percent,
                (Ty::Number | Ty::Percent | Ty::Any, x) if x.is_quantity() => x.clone(),
                (x, Ty::Number | Ty::Percent | Ty::Any) if x.is_quantity() => x.clone(),
                (a, b) if a.is_quantity() && b.is_quantity() => {
                    self.incomparable(lhs, l, rhs, r);
                    Ty::Any
                }
                (Ty::Any, _) | (_, Ty::Any) => Ty::Any,
                _ => Ty::Number,
            },
            BinaryOp::Div => match (l, r) {
                (a, b) if a.is_quantity() && a == b => Ty::Number,
                (x, Ty::Number | Ty::Any) => x.clone(),
                (Ty::Any, _) => Ty::Any,
                _ => {
                    self.incomparable(lhs, l, rhs, r);
                    Ty::Any
                }
            },
            BinaryOp::Mod => Ty::Number,
            _ => Ty::Any,
        }
    }

    fn incomparable(&mut self, lhs: &Expr, l: &Ty, rhs: &Expr, r: &Ty) {
        if *l == Ty::Number && r.is_quantity() && matches!(lhs.kind, ExprKind::Number { .. }) {
            self.expect_ty(lhs, l, r);
            return;
        }
        if *r == Ty::Number && l.is_quantity() && matches!(rhs.kind, ExprKind::Number { .. }) {
            self.expect_ty(rhs, r, l);
            return;
        }
        self.problems.push(CheckError::Incomparable {
            left: l.noun(),
            right: r.noun(),
            left_span: lhs.span.into(),
            right_span: rhs.span.into(),
        });
    }

    fn name_ty(&mut self, name: &Name, place: &Place<'_>) -> Ty {
        let text = name.text.as_str();
        if matches!(text, "true" | "false") {
            return Ty::Bool;
        }
        if matches!(text, "none" | "null") {
            return Ty::Any;
        }
        let mut candidates: Vec<&str> = Vec::new();
        match place {
            Place::Workload {
                vars,
                locals,
                steps,
            } => {
                if BUILTINS.contains(&text)
                    || locals.iter().any(|l| l == text)
                    || vars.contains(text)
                {
                    return if text == "scenario" || text == "test" {
                        Ty::Str
                    } else {
                        Ty::Any
                    };
                }
                if RESPONSE.contains(&text) {
                    return if text == "latency" {
                        Ty::Duration
                    } else {
                        Ty::Any
                    };
                }
                if steps.contains(text) {
                    self.bad_value(name.span, &format!("`{text}` is a step; read its response with `{text}.json…`, `{text}.status`"), "a step, not a value", None);
                    return Ty::Any;
                }
                candidates.extend(BUILTINS);
                candidates.extend(RESPONSE);
                candidates.extend(locals.iter().map(String::as_str));
                candidates.extend(vars.iter().map(String::as_str));
            }
            Place::Record { captures } => {
                if RECORD.contains(&text) {
                    return match text {
                        "latency" => Ty::Duration,
                        "injected" => Ty::Bool,
                        "step" | "method" | "path" => Ty::Str,
                        "fault" => Ty::Any,
                        _ => Ty::Any,
                    };
                }
                if crate::vocab::Fault::from_name(text).is_some_and(|f| !f.is_call()) {
                    return Ty::Any;
                }
                if let Some(caps) = captures {
                    if let Some((ty, _)) = caps.get(text) {
                        return ty.clone();
                    }
                    candidates.extend(caps.keys().map(String::as_str));
                }
                candidates.extend(RECORD);
            }
            Place::Const => {}
        }
        match self.scope.get(text).copied() {
            Some(def) if def.kind == Kind::Let => {
                self.used_name(text);
                if self.let_in_progress(text) {
                    let path = self.let_chain(text);
                    self.problems.push(CheckError::LetCycle {
                        name: text.to_string(),
                        path,
                        span: name.span.into(),
                    });
                    return Ty::Any;
                }
                self.let_type(text)
            }
            Some(def) if def.kind == Kind::Data && !matches!(place, Place::Const) => {
                self.used_name(text);
                Ty::List
            }
            Some(def) => {
                self.problems.push(CheckError::WrongKind {
                    name: text.to_string(),
                    expected: "value",
                    found: def.kind.noun(),
                    span: name.span.into(),
                    defined: def.span.into(),
                    help: None,
                });
                Ty::Any
            }
            None => {
                let lets = self.scope.names_of(Kind::Let);
                let data = if matches!(place, Place::Const) {
                    vec![]
                } else {
                    self.scope.names_of(Kind::Data)
                };
                let all: Vec<String> = candidates
                    .iter()
                    .chain(lets.iter())
                    .chain(data.iter())
                    .map(|s| s.to_string())
                    .collect();
                let help = crate::suggest::did_you_mean(text, all.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                let help = help.or_else(|| match place {
                    Place::Const => {
                        Some("only constants (`let`) and `env(…)` can be used here".to_string())
                    }
                    _ => None,
                });
                self.problems.push(CheckError::UnknownName {
                    kind: "name",
                    name: text.to_string(),
                    span: name.span.into(),
                    help,
                });
                Ty::Any
            }
        }
    }

    fn call_ty(&mut self, e: &Expr, callee: &Expr, args: &[Arg], place: &Place<'_>) -> Ty {
        let Some(func) = callee.as_name() else {
            self.bad_value(
                callee.span,
                "only named functions can be called",
                "not a function",
                None,
            );
            return Ty::Any;
        };
        let Some(builtin) = Builtin::from_name(&func.text) else {
            let help = match crate::suggest::did_you_mean(&func.text, Builtin::names()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if METRIC_FUNCS.contains(&func.text.as_str()) => {
                    format!("`{}(…)` is a metric: use it in an `slo` block", func.text)
                }
                None => format!(
                    "functions are {}",
                    Builtin::names().collect::<Vec<_>>().join(", ")
                ),
            };
            self.problems.push(CheckError::UnknownName {
                kind: "function",
                name: func.text.clone(),
                span: func.span.into(),
                help: Some(help),
            });
            for arg in args {
                self.expr(&arg.value, place);
            }
            return Ty::Any;
        };
        let signature = builtin.signature();
        let (min, max) = (signature.min_args(), signature.max_args());
        if args.len() < min || args.len() > max {
            let takes = if min == max {
                format!("{min}")
            } else {
                format!("{min} or {max}")
            };
            self.problems.push(CheckError::BadArguments {
                message: format!(
                    "`{}` takes {takes} argument{}, found {}",
                    func.text,
                    if max == 1 { "" } else { "s" },
                    args.len()
                ),
                span: e.span.into(),
                label: "here".into(),
                help: None,
            });
        }
        if signature.reads_response && matches!(place, Place::Const) {
            self.bad_value(
                e.span,
                &format!(
                    "`{}(…)` reads a response; it belongs in a workload",
                    func.text
                ),
                "no response here",
                None,
            );
        }
        if signature.per_request && !matches!(place, Place::Workload { .. }) {
            self.bad_value(
                e.span,
                &format!(
                    "`{}(…)` runs per request; it belongs in a workload",
                    func.text
                ),
                "not a constant",
                None,
            );
        }
        for arg in args {
            if let Some(n) = &arg.name {
                self.bad_value(
                    n.span,
                    &format!("`{}` takes no named arguments", func.text),
                    "unexpected name",
                    None,
                );
            }
            self.expr(&arg.value, place);
        }
        Ty::from(signature.result)
    }

    fn used_name(&mut self, name: &str) {
        self.mark(name);
    }

    // ── SLOs ──────────────────────────────────────────────────────────

    pub(crate) fn slo(&mut self, slo: &SloStmt, ctx: &SloCtx<'_>) {
        match &slo.kind {
            SloStmtKind::Assert {
                prefixes,
                expr,
                every,
            } => {
                let mut seen_scenario = false;
                let mut seen_step = false;
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
                        SloPrefixKind::Step => {
                            if std::mem::replace(&mut seen_step, true) {
                                self.bad_value(
                                    prefix.span,
                                    "one `step X:` per assertion",
                                    "second qualifier",
                                    None,
                                );
                            }
                            if !ctx.steps.contains(&prefix.name.text) && ctx.workload.is_some() {
                                let mut steps: Vec<&str> =
                                    ctx.steps.iter().map(String::as_str).collect();
                                steps.sort_unstable();
                                let help = crate::suggest::did_you_mean(
                                    &prefix.name.text,
                                    steps.iter().copied(),
                                )
                                .map(|s| format!("did you mean `{s}`?"))
                                .or_else(|| {
                                    Some(format!("the workload's steps are: {}", steps.join(", ")))
                                });
                                self.problems.push(CheckError::UnknownName {
                                    kind: "step",
                                    name: prefix.name.text.clone(),
                                    span: prefix.name.span.into(),
                                    help,
                                });
                            }
                        }
                    }
                }
                self.assertion(expr, ctx, "an SLO");
                if let Some(d) = every {
                    let ty = self.expr(d, &Place::Const);
                    self.expect_ty(d, &ty, &Ty::Duration);
                }
            }
            SloStmtKind::Abort { condition, over } => {
                self.assertion(condition, ctx, "`abort if`");
                if let Some(d) = over {
                    let ty = self.expr(d, &Place::Const);
                    self.expect_ty(d, &ty, &Ty::Duration);
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
            self.incomparable(lhs, &l, rhs, &r);
        }
    }

    /// The type of one side of an SLO, and whether it reads a metric.
    fn slo_side(&mut self, e: &Expr, ctx: &SloCtx<'_>) -> (Ty, bool) {
        match &e.kind {
            ExprKind::Name(n) if METRIC_NAMES.contains(&n.text.as_str()) => {
                (metric_name_ty(&n.text), true)
            }
            ExprKind::Name(n) if self.scope.get(&n.text).is_some() => {
                (self.expr(e, &Place::Const), false)
            }
            ExprKind::Name(n) => {
                let mut all: Vec<&str> = METRIC_NAMES.to_vec();
                all.extend(METRIC_FUNCS);
                let help = crate::suggest::did_you_mean(&n.text, all.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"));
                let help = help.or_else(|| {
                    Some(format!(
                        "metrics are {}, and p95(x), count(…), rate(…), …",
                        METRIC_NAMES.join(", ")
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
                Some(f) if METRIC_FUNCS.contains(&f.text.as_str()) => {
                    (self.metric_call(e, f, args, ctx), true)
                }
                Some(f) => {
                    let help = crate::suggest::did_you_mean(&f.text, METRIC_FUNCS.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"));
                    self.problems.push(CheckError::UnknownName {
                        kind: "metric",
                        name: f.text.clone(),
                        span: f.span.into(),
                        help,
                    });
                    (Ty::Any, true)
                }
                None => (self.expr(e, &Place::Const), false),
            },
            ExprKind::Phase { base, phase, name } => {
                self.phase_ref(*phase, name, ctx);
                let (ty, metric) = self.slo_side(base, ctx);
                (ty, metric)
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
                self.problems.push(CheckError::BadSlo {
                    message: format!("`{}` cannot appear inside a side of an SLO", op.symbol()),
                    span: e.span.into(),
                    label: "one comparison per assertion".into(),
                    help: Some("write each condition as its own assertion".into()),
                });
                (Ty::Any, false)
            }
            _ => (self.expr(e, &Place::Const), false),
        }
    }

    fn phase_ref(&mut self, _phase: PhaseKind, name: &Name, ctx: &SloCtx<'_>) {
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

    fn metric_call(&mut self, e: &Expr, f: &Name, args: &[Arg], ctx: &SloCtx<'_>) -> Ty {
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
        match f.text.as_str() {
            "p50" | "p90" | "p95" | "p99" | "p999" | "max" | "min" | "mean" => {
                match arg.as_name() {
                    Some(n) if n.text == "latency" || n.text == "duration" => Ty::Duration,
                    Some(n) if n.text == "retries" => Ty::Number,
                    Some(n) if n.text == "cost" => Ty::Money,
                    Some(n) => match ctx.captures.get(&n.text) {
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
                        Some((ty, _)) => {
                            if *ty == Ty::Money {
                                Ty::Money
                            } else {
                                Ty::Number
                            }
                        }
                        None => {
                            self.unknown_capture(n, ctx, QUANTITIES);
                            Ty::Any
                        }
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
                }
            }
            "count" | "rate" => {
                if f.text == "rate" {
                    if let Some(n) = arg.as_name() {
                        if let Some((ty, defined)) = ctx.captures.get(&n.text) {
                            if *ty != Ty::Bool {
                                self.problems.push(CheckError::CaptureType {
                                    name: n.text.clone(),
                                    found: "a number",
                                    wanted: "`rate(…)`".into(),
                                    expected: "a boolean (like `header(\"x-cache\") == \"HIT\"`)",
                                    span: n.span.into(),
                                    defined: (*defined).into(),
                                });
                            }
                            return Ty::Percent;
                        }
                        if !RECORD.contains(&n.text.as_str())
                            && self.scope.get(&n.text).is_none()
                            && !matches!(n.text.as_str(), "true" | "false")
                        {
                            self.unknown_capture(n, ctx, RECORD);
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
                if f.text == "count" {
                    Ty::Number
                } else {
                    Ty::Percent
                }
            }
            "outcome" => {
                match arg.as_name() {
                    Some(n) if OUTCOMES.contains(&n.text.as_str()) => {}
                    Some(n) => self.unknown_setting("outcome", &n.text, n.span, OUTCOMES),
                    None => self.bad_value(
                        arg.span,
                        "`outcome` takes an outcome name",
                        "expected success, failed, budget_exceeded or timeout",
                        None,
                    ),
                }
                Ty::Percent
            }
            "retries_by" => {
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
            "memory_growth" | "max_rss" | "cpu" | "rss" | "max_cpu" | "fds" | "threads"
            | "restarts" => {
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
                match f.text.as_str() {
                    "memory_growth" => Ty::Growth,
                    "max_rss" | "rss" => Ty::Size,
                    "fds" | "threads" | "restarts" => Ty::Number,
                    _ => Ty::Percent,
                }
            }
            _ => Ty::Any,
        }
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

fn metric_name_ty(name: &str) -> Ty {
    match name {
        "throughput" => Ty::Rate,
        "dropped" => Ty::Number,
        _ => Ty::Percent,
    }
}

fn is_null(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Name(n) if n.text == "none" || n.text == "null")
}
