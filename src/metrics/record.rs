//! The request record predicates of `count(…)` and `rate(…)`, evaluated once per attempt as
//! it arrives (so `count`/`rate` cost one counter per predicate, not a replay of the log).
//!
//! A small private evaluator over `plan::Expr` against one [`Attempt`]. The record fields
//! (§6, §9.14): `status` (`none` without an HTTP status), `latency` (µs), `injected`,
//! `fault` (the injected failure: its status number for a status fault, a kind keyword such
//! as `timeout`, or `none`), `call`, `attempt`, `user`, `iteration`, `step` (its name). A bare
//! name (`Expr::Var`) is a capture of the attempt: a boolean capture in `rate(cached)`, or a
//! number. Anything else (data sets, functions, earlier steps) evaluates to `none`.
//! Ordering comparisons are false unless both sides are numbers, so `status >= 500` is false
//! for an attempt with no status.

use crate::ast::BinaryOp;
use crate::plan::{Builtin, Expr, Fault, ResponseField};

use super::{Attempt, CaptureValue};

/// Names the record refers to by index.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecordNames<'a> {
    pub(crate) step_names: &'a [String],
    pub(crate) captures: &'a [String],
}

#[derive(Clone, Debug, PartialEq)]
enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

impl Val {
    fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0,
            Val::Str(s) => !s.is_empty(),
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }
}

/// Whether the predicate holds for this attempt.
pub(crate) fn matches(expr: &Expr, attempt: &Attempt, names: RecordNames<'_>) -> bool {
    eval(expr, attempt, names).truthy()
}

fn fault_keyword(fault: &Fault) -> Val {
    let kind = match fault {
        Fault::Status { status, .. } => return Val::Num(f64::from(*status)),
        Fault::Timeout => "timeout",
        Fault::ConnectionError => "connection_error",
        Fault::Reset => "reset",
        Fault::Hang => "hang",
        Fault::Truncate => "truncate",
        Fault::Bandwidth { .. } => "bandwidth",
    };
    Val::Str(kind.to_string())
}

fn eval(expr: &Expr, a: &Attempt, names: RecordNames<'_>) -> Val {
    match expr {
        Expr::Null => Val::Null,
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Number(n) => Val::Num(*n),
        Expr::Str(s) => Val::Str(s.clone()),
        Expr::FaultKind(k) if k == "none" => Val::Null,
        Expr::FaultKind(k) => Val::Str(k.clone()),
        Expr::Builtin(b) => match b {
            Builtin::User => Val::Num(f64::from(a.user)),
            Builtin::Iteration => Val::Num(a.iteration as f64),
            Builtin::Call => Val::Num(a.call as f64),
            Builtin::Attempt => Val::Num(f64::from(a.attempt)),
            Builtin::Injected => Val::Bool(a.injected.is_some()),
            Builtin::Fault => {
                a.injected.as_ref().and_then(|i| i.fault.as_ref()).map_or(Val::Null, fault_keyword)
            }
            Builtin::Step => {
                names.step_names.get(a.step).map_or(Val::Null, |s| Val::Str(s.clone()))
            }
            Builtin::Scenario | Builtin::Test => Val::Null,
        },
        Expr::Response(ResponseField::Status) => {
            a.status.map_or(Val::Null, |s| Val::Num(f64::from(s)))
        }
        Expr::Response(ResponseField::Latency) => Val::Num(a.latency_us() as f64),
        Expr::Var(name) => {
            let Some(index) = names.captures.iter().position(|c| c == name) else {
                return Val::Null;
            };
            match a.captures.iter().rev().find(|(i, _)| *i == index) {
                Some((_, CaptureValue::Bool(b))) => Val::Bool(*b),
                Some((_, CaptureValue::Number(n))) => Val::Num(*n),
                None => Val::Null,
            }
        }
        Expr::Not(inner) => Val::Bool(!eval(inner, a, names).truthy()),
        Expr::Neg(inner) => eval(inner, a, names).num().map_or(Val::Null, |n| Val::Num(-n)),
        Expr::Binary { op, lhs, rhs } => binary(*op, lhs, rhs, a, names),
        _ => Val::Null,
    }
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, a: &Attempt, names: RecordNames<'_>) -> Val {
    match op {
        BinaryOp::And => {
            return Val::Bool(eval(lhs, a, names).truthy() && eval(rhs, a, names).truthy());
        }
        BinaryOp::Or => {
            return Val::Bool(eval(lhs, a, names).truthy() || eval(rhs, a, names).truthy());
        }
        _ => {}
    }
    let (l, r) = (eval(lhs, a, names), eval(rhs, a, names));
    let nums = l.num().zip(r.num());
    match op {
        BinaryOp::Eq => Val::Bool(equal(&l, &r)),
        BinaryOp::Ne => Val::Bool(!equal(&l, &r)),
        BinaryOp::Lt => Val::Bool(nums.is_some_and(|(x, y)| x < y)),
        BinaryOp::Le => Val::Bool(nums.is_some_and(|(x, y)| x <= y)),
        BinaryOp::Gt => Val::Bool(nums.is_some_and(|(x, y)| x > y)),
        BinaryOp::Ge => Val::Bool(nums.is_some_and(|(x, y)| x >= y)),
        BinaryOp::Add => nums.map_or(Val::Null, |(x, y)| Val::Num(x + y)),
        BinaryOp::Sub => nums.map_or(Val::Null, |(x, y)| Val::Num(x - y)),
        BinaryOp::Mul => nums.map_or(Val::Null, |(x, y)| Val::Num(x * y)),
        BinaryOp::Div => nums.filter(|(_, y)| *y != 0.0).map_or(Val::Null, |(x, y)| Val::Num(x / y)),
        BinaryOp::Mod => nums.filter(|(_, y)| *y != 0.0).map_or(Val::Null, |(x, y)| Val::Num(x % y)),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Range => Val::Null,
    }
}

fn equal(l: &Val, r: &Val) -> bool {
    match (l, r) {
        (Val::Num(x), Val::Num(y)) => (x - y).abs() < 1e-9,
        _ => l == r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Injected;

    fn attempt() -> Attempt {
        Attempt {
            scenario: 0,
            step: 1,
            phase: None,
            user: 2,
            iteration: 3,
            call: 7,
            attempt: 1,
            intended_us: 0,
            sent_us: 0,
            done_us: 250_000,
            status: Some(429),
            error: None,
            failed: true,
            injected: Some(Injected { rule: 0, fault: Some(Fault::Timeout) }),
            captures: vec![(0, CaptureValue::Bool(true)), (1, CaptureValue::Number(12.0))],
        }
    }

    fn bin(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
        Expr::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }
    }

    fn check(expr: &Expr, a: &Attempt) -> bool {
        let steps = ["a".to_string(), "chat".to_string()];
        let caps = ["cached".to_string(), "tokens".to_string()];
        matches(expr, a, RecordNames { step_names: &steps, captures: &caps })
    }

    #[test]
    fn record_fields_evaluate() {
        let a = attempt();
        let status = Expr::Response(ResponseField::Status);
        assert!(check(&bin(BinaryOp::Eq, status.clone(), Expr::Number(429.0)), &a));
        assert!(check(&Expr::Builtin(Builtin::Injected), &a));
        assert!(check(&Expr::Var("cached".into()), &a));
        assert!(!check(&Expr::Var("missing".into()), &a));
        let fault = Expr::Builtin(Builtin::Fault);
        assert!(check(&bin(BinaryOp::Eq, fault.clone(), Expr::FaultKind("timeout".into())), &a));
        assert!(!check(&bin(BinaryOp::Eq, fault, Expr::FaultKind("none".into())), &a));
        let step = Expr::Builtin(Builtin::Step);
        assert!(check(&bin(BinaryOp::Eq, step, Expr::Str("chat".into())), &a));
        let call = Expr::Builtin(Builtin::Call);
        let window = bin(
            BinaryOp::And,
            bin(BinaryOp::Ge, call.clone(), Expr::Number(5.0)),
            bin(BinaryOp::Lt, call.clone(), Expr::Number(8.0)),
        );
        assert!(check(&window, &a));
        let modulo = bin(BinaryOp::Mod, call, Expr::Number(7.0));
        assert!(check(&bin(BinaryOp::Eq, modulo, Expr::Number(0.0)), &a));
        let latency = Expr::Response(ResponseField::Latency);
        assert!(check(&bin(BinaryOp::Gt, latency, Expr::Number(200_000.0)), &a));
        assert!(check(&bin(BinaryOp::Gt, Expr::Var("tokens".into()), Expr::Number(10.0)), &a));
    }

    #[test]
    fn no_status_is_none_and_never_ordered() {
        let mut a = attempt();
        a.status = None;
        a.injected = None;
        let status = Expr::Response(ResponseField::Status);
        assert!(!check(&bin(BinaryOp::Ge, status.clone(), Expr::Number(500.0)), &a));
        assert!(check(&bin(BinaryOp::Eq, status, Expr::Null), &a));
        let fault = Expr::Builtin(Builtin::Fault);
        assert!(check(&bin(BinaryOp::Eq, fault, Expr::FaultKind("none".into())), &a));
        assert!(check(&Expr::Not(Box::new(Expr::Builtin(Builtin::Injected))), &a));
        assert!(check(&Expr::Bool(true), &a));
    }
}
