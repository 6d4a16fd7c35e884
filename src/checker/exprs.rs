//! Expression typing for `check`: resolves every name for the place it stands in (a workload,
//! a request record, a constant, an SLO) and infers units, so `p95(latency) < 50%` and
//! `timeout 5` are caught before anything runs.

use super::check::{Checker, Place};
use super::error::CheckError;
use super::scope::Kind;
use super::types::{Ty, literal_ty};
use crate::ast::*;
use crate::source::Span;
use crate::vocab::{self, Builtin};

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
                        let ty = self.expr(inner, place);
                        let text = matches!(place, Place::Const)
                            && matches!(ty, Ty::List | Ty::Object | Ty::Range(_) | Ty::Bool);
                        if text {
                            // A constant string is built before the run: a list, an object,
                            // a range or a condition has no text form there.
                            self.problems.push(CheckError::UnitMismatch {
                                expected: "a string or a number".into(),
                                found: ty.noun(),
                                span: inner.span.into(),
                                help: Some(
                                    "a constant string (a target, a service, a setting) holds \
                                     names, numbers, quantities and `env(…)`"
                                        .into(),
                                ),
                            });
                        }
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
            ExprKind::Index { base, .. }
                if matches!(place, Place::Const)
                    && !matches!(base.kind, ExprKind::Index { .. } | ExprKind::Field { .. }) =>
            {
                // A constant (a `let`, a target, a service, a setting) is known before the
                // run: it has no response or data row to read from.
                self.bad_value(
                    e.span,
                    "a constant cannot read a field or an item",
                    "read at run time",
                    Some(
                        "fields and items of responses and data rows are read inside a workload"
                            .into(),
                    ),
                );
                Ty::Any
            }
            ExprKind::Field { base, .. } => {
                if let Some(n) = base.as_name() {
                    if let Place::Workload { steps, .. } = place {
                        if steps.contains(&n.text) {
                            return Ty::Any;
                        }
                    }
                }
                let base_ty = self.expr(base, place);
                if matches!(base_ty, Ty::Str | Ty::List) {
                    // `"http://…".a`: a string or a list has items, not fields.
                    self.problems.push(CheckError::UnitMismatch {
                        expected: "an object".into(),
                        found: base_ty.noun(),
                        span: base.span.into(),
                        help: Some("only objects and response values have fields".into()),
                    });
                } else if matches!(place, Place::Const)
                    && !matches!(base.kind, ExprKind::Index { .. } | ExprKind::Field { .. })
                {
                    // (The innermost field or item says it once.)
                    self.bad_value(
                        e.span,
                        "a constant cannot read a field or an item",
                        "read at run time",
                        Some(
                            "fields and items of responses and data rows are read inside a \
                             workload"
                                .into(),
                        ),
                    );
                } else {
                    self.indexable(base, &base_ty);
                }
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
                    UnaryOp::Neg if matches!(ty, Ty::Str | Ty::List | Ty::Object | Ty::Bool) => {
                        // `-"http://…"`: only numbers and quantities have a sign.
                        self.problems.push(CheckError::UnitMismatch {
                            expected: "a number".into(),
                            found: ty.noun(),
                            span: operand.span.into(),
                            help: Some("only numbers and quantities take a `-` sign".into()),
                        });
                        Ty::Any
                    }
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
            ExprKind::StepOf { base, .. } => {
                self.bad_value(
                    e.span,
                    "a step qualifier (`step NAME:`) belongs in an `slo` block",
                    "not in an SLO",
                    None,
                );
                self.expr(base, place)
            }
            ExprKind::Paren(inner) => self.expr(inner, place),
        }
    }

    pub(crate) fn binary_ty(&mut self, op: BinaryOp, lhs: &Expr, l: &Ty, rhs: &Expr, r: &Ty) -> Ty {
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

    pub(crate) fn incomparable(&mut self, lhs: &Expr, l: &Ty, rhs: &Expr, r: &Ty) {
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
                if vocab::VU_NAMES.contains(&text)
                    || locals.iter().any(|l| l == text)
                    || vars.contains(text)
                {
                    return if matches!(text, "scenario" | "test" | "stage") {
                        Ty::Str
                    } else {
                        Ty::Any
                    };
                }
                if vocab::RESPONSE.contains(&text) {
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
                candidates.extend(vocab::VU_NAMES);
                candidates.extend(vocab::RESPONSE);
                candidates.extend(locals.iter().map(String::as_str));
                candidates.extend(vars.iter().map(String::as_str));
            }
            Place::Record { captures } => {
                if vocab::RECORD.contains(&text) {
                    return match text {
                        "latency" => Ty::Duration,
                        "injected" => Ty::Bool,
                        "step" | "method" | "path" | "proxy" => Ty::Str,
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
                candidates.extend(vocab::RECORD);
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
                None if vocab::MetricFn::lookup(&func.text).is_some() => {
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
        let mut tys = Vec::with_capacity(args.len());
        for arg in args {
            if let Some(n) = &arg.name {
                self.bad_value(
                    n.span,
                    &format!("`{}` takes no named arguments", func.text),
                    "unexpected name",
                    None,
                );
            }
            tys.push(self.expr(&arg.value, place));
        }
        if builtin == Builtin::Uniform {
            return self.uniform_ty(args, &tys);
        }
        Ty::from(signature.result)
    }

    /// `uniform(a, b)` picks a value of its bounds' kind: `uniform(1, 10)` a number,
    /// `uniform(1s, 2s)` a duration, `uniform(10%, 20%)` a percentage. Both bounds must be of
    /// the same kind.
    fn uniform_ty(&mut self, args: &[Arg], tys: &[Ty]) -> Ty {
        let numeric = |t: &Ty| *t == Ty::Number || t.is_quantity();
        let mut kind: Option<Ty> = None;
        for (arg, ty) in args.iter().zip(tys) {
            if *ty == Ty::Any {
                continue;
            }
            match &kind {
                None if numeric(ty) => kind = Some(ty.clone()),
                None => {
                    self.expect_ty(&arg.value, ty, &Ty::Number);
                    return Ty::Number;
                }
                Some(k) => {
                    if !self.expect_ty(&arg.value, ty, k) {
                        return k.clone();
                    }
                }
            }
        }
        kind.unwrap_or(Ty::Number)
    }

    fn used_name(&mut self, name: &str) {
        self.mark(name);
    }
}

fn is_null(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Name(n) if n.text == "none" || n.text == "null")
}
