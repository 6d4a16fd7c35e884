//! Every numeric slot's domain, in one table the checker reads (docs/language.md lists it).
//!
//! A slot is a place in the language that takes a number: `users N`, `timeout D`, a burst's
//! `length`, a mock's `capacity`… The checker evaluates the slot's constant (literal, `-x`,
//! `let`, arithmetic on constants, exactly as `lower` will) and refuses any value outside the
//! slot's domain with a diagnostic naming the slot and the value. `lower` then converts without
//! a lossy step; should one still happen (a slot missing from this table), it is recorded so
//! the fuzzing harness can tell (see [`take_lossy_conversions`]).

use std::cell::RefCell;

use crate::ast::{BinaryOp, Expr, ExprKind, File, Item, UnaryOp};

/// What a slot holds, in the base unit `lower` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A whole number.
    Count,
    /// Microseconds, whole.
    Duration,
    /// Per second.
    Rate,
    /// Percent, 0–100.
    Probability,
    /// A plain number, not necessarily whole.
    Number,
    /// Dollars.
    Money,
}

/// One slot's domain: `min..=max`, with or without zero.
#[derive(Debug)]
pub(crate) struct Domain {
    /// How the slot is named in messages (`users`, a timeout…); also the key callers use.
    pub(crate) slot: &'static str,
    pub(crate) kind: Kind,
    /// Lowest value allowed (inclusive, in base units), unless `above_zero`.
    pub(crate) min: f64,
    /// The value must be strictly above zero (a duration or rate that must pass time).
    pub(crate) above_zero: bool,
    /// Highest value allowed (inclusive, in base units).
    pub(crate) max: f64,
    /// The rule as the message states it ("must be …").
    pub(crate) rule: &'static str,
    /// The maximum as written in the message.
    pub(crate) max_text: &'static str,
}

const U32: f64 = u32::MAX as f64;
/// The largest integer a literal may write (`syntax::literal`).
const BIG: f64 = 1e15;
/// A year in microseconds: the longest duration any slot takes.
const YEAR: f64 = 365.0 * 24.0 * 3600.0 * 1e6;
const COUNT_1: &str = "a whole number of at least 1";
const COUNT_0: &str = "a whole number (0 or more)";
const LONGER: &str = "longer than zero";
const NOT_NEGATIVE: &str = "zero or longer";

const fn count(slot: &'static str, min: f64, max: f64, max_text: &'static str) -> Domain {
    Domain {
        slot,
        kind: Kind::Count,
        min,
        above_zero: false,
        max,
        rule: if min >= 1.0 { COUNT_1 } else { COUNT_0 },
        max_text,
    }
}

const fn duration(slot: &'static str, above_zero: bool) -> Domain {
    Domain {
        slot,
        kind: Kind::Duration,
        min: 0.0,
        above_zero,
        max: YEAR,
        rule: if above_zero { LONGER } else { NOT_NEGATIVE },
        max_text: "365 days (8760h)",
    }
}

const fn rate(slot: &'static str) -> Domain {
    Domain {
        slot,
        kind: Kind::Rate,
        min: 0.0,
        above_zero: true,
        max: 1e6,
        rule: "above zero",
        max_text: "1000000/s",
    }
}

/// The table. Keep docs/language.md ("Value domains") in step.
pub(crate) const DOMAINS: &[Domain] = &[
    // counts
    count("`users`", 1.0, U32, "4294967295"),
    count("`iterations`", 1.0, BIG, "10^15"),
    count("`hold`", 1.0, U32, "4294967295"),
    count("a ramp's target", 0.0, U32, "4294967295"),
    count("`max users`", 1.0, U32, "4294967295"),
    count("a repeat count", 1.0, U32, "4294967295"),
    count("capacity", 1.0, U32, "4294967295"),
    count("`attempts`", 0.0, U32, "4294967295"),
    count("`start`", 0.0, BIG, "10^15"),
    count("a burst length", 1.0, BIG, "10^15"),
    count("a call number", 0.0, BIG, "10^15"),
    count("a seed", 0.0, BIG, "10^15"),
    count("`tokens`", 0.0, 1e6, "1000000"),
    // durations that must pass time
    duration("a timeout", true),
    duration("`every`", true),
    duration("an `in every` window", true),
    duration("an `over` window", true),
    duration("`within`", true),
    duration("a time budget", true),
    duration("a backoff delay", true),
    duration("a backoff duration", true),
    duration("`retry_after`", true),
    duration("a stage's duration", true),
    duration("a ramp's duration", true),
    duration("a pause", true),
    duration("the end of the chaos window", true),
    // durations that may be zero
    duration("the start of the chaos window", false),
    duration("`latency`", false),
    duration("a think time", false),
    duration("a delay", false),
    duration("a stop grace", false),
    // rates
    rate("a rate"),
    rate("a limit"),
    // other numbers
    Domain {
        slot: "a backoff factor",
        kind: Kind::Number,
        min: 1.0,
        above_zero: false,
        max: 100.0,
        rule: "at least 1 (each retry waits as long or longer)",
        max_text: "100",
    },
    Domain {
        slot: "a cost budget",
        kind: Kind::Money,
        min: 0.0,
        above_zero: true,
        max: 1e9,
        rule: "above zero",
        max_text: "$1000000000",
    },
    // probabilities
    Domain {
        slot: "a probability",
        kind: Kind::Probability,
        min: 0.0,
        above_zero: false,
        max: 100.0,
        rule: "between 0% and 100%",
        max_text: "100%",
    },
];

/// The domain of `slot`; every caller names a slot of the table.
pub(crate) fn domain(slot: &str) -> Option<&'static Domain> {
    DOMAINS.iter().find(|d| d.slot == slot)
}

/// How a value breaks its domain.
#[derive(Debug, PartialEq)]
pub(crate) enum Violation {
    /// Below the minimum, zero where zero is not allowed, or not whole.
    Low,
    /// Above the maximum.
    High,
}

impl Domain {
    /// Checks a value in base units.
    pub(crate) fn test(&self, v: f64) -> Result<(), Violation> {
        if !v.is_finite() || v < self.min || (self.above_zero && v <= 0.0) {
            return Err(Violation::Low);
        }
        if matches!(self.kind, Kind::Count | Kind::Duration) && !is_whole(v) {
            return Err(Violation::Low);
        }
        if v > self.max {
            return Err(Violation::High);
        }
        Ok(())
    }
}

fn is_whole(v: f64) -> bool {
    (v - v.round()).abs() <= 1e-9 * v.abs().max(1.0)
}

/// A constant's value in base units (µs, percent 0–100, per second, dollars, bytes), exactly as
/// `lower` computes it; `None` when it is not a numeric constant (checked elsewhere).
/// Whether a workload expression is made of literals and `let` constants only (`think 1s..2s`,
/// `with probability rare`), so `check` and `lower` take it as a constant slot; anything else
/// (`user`, a variable, an item, a call) is evaluated per iteration. `is_var` names the
/// workload's variables, which hide a `let` of the same name.
pub(crate) fn is_constant(e: &Expr, ast: &File, is_var: &dyn Fn(&str) -> bool) -> bool {
    constant_at(e, ast, is_var, 0)
}

fn constant_at(e: &Expr, ast: &File, is_var: &dyn Fn(&str) -> bool, depth: usize) -> bool {
    match &e.kind {
        ExprKind::Number { .. }
        | ExprKind::Duration(_)
        | ExprKind::Percent(_)
        | ExprKind::Rate(_)
        | ExprKind::Size(_)
        | ExprKind::Bandwidth(_)
        | ExprKind::Money(_)
        | ExprKind::StatusClass(_)
        | ExprKind::RawStr(_) => true,
        ExprKind::Str(parts) => parts.iter().all(|p| match p {
            crate::ast::StrPart::Text(_) => true,
            crate::ast::StrPart::Interp(inner) => constant_at(inner, ast, is_var, depth),
        }),
        ExprKind::Paren(inner) | ExprKind::Unary { operand: inner, .. } => {
            constant_at(inner, ast, is_var, depth)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            constant_at(lhs, ast, is_var, depth) && constant_at(rhs, ast, is_var, depth)
        }
        ExprKind::Name(n) if matches!(n.text.as_str(), "true" | "false" | "none" | "null") => true,
        ExprKind::Name(n) => {
            let text = n.text.as_str();
            if depth > 4096
                || is_var(text)
                || crate::vocab::VU_NAMES.contains(&text)
                || crate::vocab::RESPONSE.contains(&text)
            {
                return false;
            }
            ast.items.iter().any(|item| match item {
                Item::Let(l) if l.name.text == n.text => {
                    constant_at(&l.value, ast, &|_| false, depth + 1)
                }
                _ => false,
            })
        }
        _ => false,
    }
}

pub(crate) fn value(e: &Expr, ast: &File) -> Option<f64> {
    value_at(e, ast, 0)
}

fn value_at(e: &Expr, ast: &File, depth: usize) -> Option<f64> {
    // `depth` counts `let` hops only (a cycle is reported elsewhere); parentheses, signs and
    // operators nest as deep as the parser let them, as in `lower`, so that a value `lower`
    // computes is never one `check` did not see (`---…10` with 67 signs is -10 in both).
    if depth > 4096 {
        return None;
    }
    let v = match &e.kind {
        ExprKind::Number { value, .. } => *value,
        ExprKind::Duration(d) => d.as_micros() as f64,
        ExprKind::Percent(p) => p.0,
        ExprKind::Rate(r) => r.per_sec(),
        ExprKind::Size(b) | ExprKind::Bandwidth(b) => b.0 as f64,
        ExprKind::Money(m) => m.0,
        ExprKind::Paren(inner) => value_at(inner, ast, depth)?,
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => -value_at(operand, ast, depth)?,
        ExprKind::Name(n) => {
            let value = ast.items.iter().find_map(|item| match item {
                Item::Let(l) if l.name.text == n.text => Some(&l.value),
                _ => None,
            })?;
            value_at(value, ast, depth + 1)?
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (value_at(lhs, ast, depth)?, value_at(rhs, ast, depth)?);
            arithmetic(*op, (lhs, a), (rhs, b))?
        }
        _ => return None,
    };
    Some(v)
}

/// `a op b` between two constants: a percentage scales the other side (`50% * 10s` is 5s);
/// `None` for a division by zero and for operators that do not compute a number.
pub(crate) fn arithmetic(
    op: BinaryOp,
    (lhs, a): (&Expr, f64),
    (rhs, b): (&Expr, f64),
) -> Option<f64> {
    let percent = |x: &Expr| matches!(x.kind, ExprKind::Percent(_));
    Some(match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul if percent(lhs) => a / 100.0 * b,
        BinaryOp::Mul if percent(rhs) => a * b / 100.0,
        BinaryOp::Mul => a * b,
        BinaryOp::Div if b != 0.0 => a / b,
        BinaryOp::Mod if b != 0.0 => a % b,
        _ => return None,
    })
}

thread_local! {
    static LOSSY: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The number conversions `lower` made on this thread since the last call that did not keep
/// the value as written (a negative, fractional or too large number made to fit), and the
/// shapes it could not lower (see [`unlowerable`]). Empty for every file `check` accepts; the
/// fuzzing harness asserts it.
pub fn take_lossy_conversions() -> Vec<String> {
    LOSSY.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

/// Records that `lower` met a shape `check` should have refused: `lower` carries on with a
/// placeholder instead of panicking, and the fuzzing harness sees the record. Names `check`
/// resolves (workloads, profiles, scenarios, services, SLO comparisons) reach `lower` resolved
/// (`resolved::TestRefs`); what is left is read inside expressions, which `check` types in
/// place: a non-constant where a constant belongs, a call of an unknown function or metric, an
/// unknown capture.
pub(crate) fn unlowerable(what: &str) {
    LOSSY.with(|l| l.borrow_mut().push(format!("not lowerable: {what}")));
}

/// `v` as a whole number in `0..=max`, recording the conversion when it is not exact.
pub(crate) fn exact_u64(v: f64, max: u64, what: &str) -> u64 {
    let converted = v.max(0.0).round().min(max as f64) as u64;
    if !v.is_finite() || v < 0.0 || !is_whole(v) || v > max as f64 {
        LOSSY.with(|l| {
            l.borrow_mut()
                .push(format!("{what}: {v} became {converted}"))
        });
    }
    converted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_is_named_once() {
        for (i, d) in DOMAINS.iter().enumerate() {
            assert!(
                DOMAINS[..i].iter().all(|o| o.slot != d.slot),
                "{} twice",
                d.slot
            );
        }
    }

    #[test]
    fn domains_hold_their_bounds() {
        let users = domain("`users`").unwrap();
        assert_eq!(users.test(1.0), Ok(()));
        assert_eq!(users.test(0.0), Err(Violation::Low));
        assert_eq!(users.test(-5.0), Err(Violation::Low));
        assert_eq!(users.test(1.5), Err(Violation::Low));
        assert_eq!(users.test(4_294_967_296.0), Err(Violation::High));
        let attempts = domain("`attempts`").unwrap();
        assert_eq!(attempts.test(0.0), Ok(()));
        let timeout = domain("a timeout").unwrap();
        assert_eq!(timeout.test(0.0), Err(Violation::Low));
        assert_eq!(timeout.test(-1e6), Err(Violation::Low));
        assert_eq!(timeout.test(YEAR + 1.0), Err(Violation::High));
        let think = domain("a think time").unwrap();
        assert_eq!(think.test(0.0), Ok(()));
        let p = domain("a probability").unwrap();
        assert_eq!(p.test(100.0), Ok(()));
        assert_eq!(p.test(100.5), Err(Violation::High));
        assert_eq!(p.test(-1.0), Err(Violation::Low));
    }

    #[test]
    fn lossy_conversions_are_recorded() {
        take_lossy_conversions();
        assert_eq!(exact_u64(5.0, 10, "x"), 5);
        assert!(take_lossy_conversions().is_empty());
        assert_eq!(exact_u64(-5.0, 10, "users"), 0);
        assert_eq!(exact_u64(11.0, 10, "users"), 10);
        assert_eq!(take_lossy_conversions().len(), 2);
    }
}
