//! `check`'s shared value rules: diagnostics helpers, units, positive numbers, domains of
//! numeric slots, durations and ranges, probabilities.

use std::collections::HashMap;

use super::check::{Checker, Place};
use super::domains;
use super::error::CheckError;
use super::types::{Ty, literal_ty, unit_fix};
use crate::ast::*;
use crate::source::Span;

impl<'a> Checker<'a> {
    pub(crate) fn text(&self, span: Span) -> String {
        self.file.slice(span).to_string()
    }

    pub(crate) fn once(&mut self, seen: &mut HashMap<String, Span>, what: &str, span: Span) {
        if let Some(first) = seen.get(what) {
            let first = *first;
            self.duplicate(what, span, first);
        } else {
            seen.insert(what.to_string(), span);
        }
    }

    pub(crate) fn duplicate(&mut self, what: &str, second: Span, first: Span) {
        self.problems.push(CheckError::DuplicateStatement {
            what: what.to_string(),
            second: second.into(),
            first: first.into(),
        });
    }

    pub(crate) fn bad_value(
        &mut self,
        span: Span,
        message: &str,
        label: &str,
        help: Option<String>,
    ) {
        self.problems.push(CheckError::BadValue {
            message: message.to_string(),
            span: span.into(),
            label: label.to_string(),
            help,
        });
    }

    pub(crate) fn bad_args(
        &mut self,
        span: Span,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        self.problems.push(CheckError::BadArguments {
            message,
            span: span.into(),
            label: label.to_string(),
            help,
        });
    }

    pub(crate) fn bad_profile(
        &mut self,
        span: Span,
        message: &str,
        label: &str,
        help: Option<String>,
    ) {
        self.problems.push(CheckError::BadProfile {
            message: message.to_string(),
            span: span.into(),
            label: label.to_string(),
            help,
        });
    }

    pub(crate) fn unknown_setting(
        &mut self,
        context: &'static str,
        name: &str,
        span: Span,
        known: &[&str],
    ) {
        let help = match crate::suggest::did_you_mean(name, known.iter().copied()) {
            Some(s) => Some(format!("did you mean `{s}`?")),
            None => Some(format!(
                "expected one of: {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        self.problems.push(CheckError::UnknownSetting {
            context,
            name: name.to_string(),
            span: span.into(),
            help,
        });
    }

    pub(crate) fn word(&mut self, e: &Expr, allowed: &[&str], context: &'static str) {
        match e.as_name() {
            Some(n) if allowed.contains(&n.text.as_str()) => {}
            Some(n) => self.unknown_setting(context, &n.text, n.span, allowed),
            None => self.bad_value(
                e.span,
                &format!("expected one of {}", allowed.join(", ")),
                "here",
                None,
            ),
        }
    }

    /// Reports a type mismatch between `found` and `expected` (a bare number gets the unit fix).
    pub(crate) fn expect_ty(&mut self, e: &Expr, found: &Ty, expected: &Ty) -> bool {
        if found.compatible(expected) {
            return true;
        }
        if *found == Ty::Number && (expected.is_quantity() || matches!(expected, Ty::Range(_))) {
            if let ExprKind::Number { .. } = &e.kind {
                self.problems.push(CheckError::MissingUnit {
                    expected: expected.noun(),
                    span: e.span.into(),
                    help: unit_fix(&self.text(e.span), expected),
                });
                return false;
            }
        }
        let help = match (found, expected) {
            (Ty::Number, Ty::Percent) => Some("write a percentage like `30%`".to_string()),
            (Ty::Percent, Ty::Duration) => {
                Some("a duration is written like `500ms` or `2s`".to_string())
            }
            _ => None,
        };
        self.problems.push(CheckError::UnitMismatch {
            expected: expected.noun(),
            found: found.noun(),
            span: e.span.into(),
            help,
        });
        false
    }

    pub(crate) fn positive_duration(&mut self, e: &Expr, what: &'static str) {
        let ty = self.expr(e, &Place::Const);
        if self.expect_ty(e, &ty, &Ty::Duration) {
            self.in_domain(e, what);
        }
    }

    pub(crate) fn positive_rate(&mut self, e: &Expr, what: &'static str) {
        let ty = self.expr(e, &Place::Const);
        if self.expect_ty(e, &ty, &Ty::Rate) {
            self.in_domain(e, what);
        }
    }

    pub(crate) fn positive_int(&mut self, e: &Expr, what: &'static str, workload: bool) {
        let ty = if workload {
            Ty::Number
        } else {
            self.expr(e, &Place::Const)
        };
        if !self.expect_ty(e, &ty, &Ty::Number) {
            return;
        }
        if let ExprKind::Number { integer: false, .. } = e.kind {
            self.problems.push(CheckError::NotPositive {
                what,
                rule: "a whole number of at least 1",
                span: e.span.into(),
                value: self.text(e.span),
                help: None,
            });
            return;
        }
        self.in_domain(e, what);
    }

    pub(crate) fn int_at_least(&mut self, e: &Expr, what: &'static str, min: u64) {
        let _ = min; // the domain table holds the minimum
        let ty = self.expr(e, &Place::Const);
        if !self.expect_ty(e, &ty, &Ty::Number) {
            return;
        }
        if let ExprKind::Number { integer: false, .. } = e.kind {
            let rule = domains::domain(what).map_or("a whole number", |d| d.rule);
            self.problems.push(CheckError::NotPositive {
                what,
                rule,
                span: e.span.into(),
                value: self.text(e.span),
                help: None,
            });
            return;
        }
        self.in_domain(e, what);
    }

    /// Checks a constant against its slot's domain (`domains::DOMAINS`): one diagnostic naming
    /// the slot and the value when it is outside. Non-constants are left to the type checks.
    pub(crate) fn in_domain(&mut self, e: &Expr, slot: &'static str) {
        let Some(domain) = domains::domain(slot) else {
            debug_assert!(false, "slot {slot} is missing from domains::DOMAINS");
            return;
        };
        let Some(v) = domains::value(e, self.ast) else {
            return;
        };
        let Err(violation) = domain.test(v) else {
            return;
        };
        let text = self.text(e.span);
        let literal = match &e.kind {
            // `-5s` is shown as written; `--5s` or `-x` with its value.
            ExprKind::Unary { operand, .. } => !matches!(
                operand.kind,
                ExprKind::Name(_)
                    | ExprKind::Unary { .. }
                    | ExprKind::Paren(_)
                    | ExprKind::Binary { .. }
            ),
            ExprKind::Name(_) | ExprKind::Binary { .. } | ExprKind::Paren(_) => false,
            _ => true,
        };
        let value = if domain.kind == domains::Kind::Duration && v == 0.0 && literal {
            "0".to_string()
        } else if literal {
            text
        } else {
            let unit = match domain.kind {
                domains::Kind::Count | domains::Kind::Number | domains::Kind::Money => "",
                domains::Kind::Duration => "us",
                domains::Kind::Rate => "/s",
                domains::Kind::Probability => "%",
            };
            format!("`{text}` = {v}{unit}")
        };
        let span = e.span.into();
        let problem = match (domain.kind, violation) {
            (domains::Kind::Probability, _) => CheckError::BadProbability { value, span },
            (_, domains::Violation::Low) => CheckError::NotPositive {
                what: domain.slot,
                rule: domain.rule,
                span,
                value,
                help: None,
            },
            (_, domains::Violation::High) => CheckError::OutOfRange {
                what: domain.slot,
                max: domain.max_text,
                span,
                value,
            },
        };
        self.problems.push(problem);
    }

    pub(crate) fn count_or_range(&mut self, e: &Expr, slot: &'static str) {
        let ty = self.expr(e, &Place::Const);
        if !matches!(ty, Ty::Number | Ty::Range(_) | Ty::Any)
            || matches!(&ty, Ty::Range(inner) if **inner != Ty::Number)
        {
            self.problems.push(CheckError::UnitMismatch {
                expected: "a count or a range like `20..200`".into(),
                found: ty.noun(),
                span: e.span.into(),
                help: None,
            });
        } else {
            self.range_in_domain(e, slot);
        }
    }

    /// `a..b` (or one value) in `slot`'s domain, low to high.
    pub(crate) fn range_in_domain(&mut self, e: &Expr, slot: &'static str) {
        let mut e = e;
        while let ExprKind::Paren(inner) = &e.kind {
            e = inner;
        }
        let ExprKind::Binary {
            op: BinaryOp::Range,
            lhs,
            rhs,
        } = &e.kind
        else {
            return self.in_domain(e, slot);
        };
        let before = self.problems.len();
        self.in_domain(lhs, slot);
        self.in_domain(rhs, slot);
        if self.problems.len() > before {
            return;
        }
        if let (Some(a), Some(b)) = (domains::value(lhs, self.ast), domains::value(rhs, self.ast)) {
            if b < a {
                let (a, b) = (self.text(lhs.span), self.text(rhs.span));
                self.bad_value(
                    e.span,
                    "a range goes from low to high",
                    "reversed",
                    Some(format!("write `{b}..{a}`")),
                );
            }
        }
    }

    pub(crate) fn duration_or_range(&mut self, e: &Expr, slot: &'static str) {
        let ty = self.expr(e, &Place::Const);
        match &ty {
            Ty::Duration | Ty::Any => self.in_domain(e, slot),
            Ty::Range(inner) if **inner == Ty::Duration => self.range_in_domain(e, slot),
            Ty::Range(_) => {
                if let ExprKind::Binary { lhs, rhs, .. } = &e.kind {
                    for side in [lhs, rhs] {
                        let t = literal_ty(side).unwrap_or(Ty::Any);
                        self.expect_ty(side, &t, &Ty::Duration);
                    }
                }
            }
            _ => {
                self.expect_ty(e, &ty, &Ty::Duration);
            }
        }
    }

    /// A percentage between 0 and 100%; returns it when literal.
    pub(crate) fn probability(&mut self, e: &Expr) -> Option<f64> {
        let ty = self.expr(e, &Place::Const);
        if !self.expect_ty(e, &ty, &Ty::Percent) {
            return None;
        }
        if ty == Ty::Any && domains::value(e, self.ast).is_none() {
            // Lowering needs the number itself: a value known only at run time will not do.
            self.problems.push(CheckError::UnitMismatch {
                expected: "a percentage".into(),
                found: "a value known only at run time".into(),
                span: e.span.into(),
                help: Some("write a percentage such as `30%`, or a `let` constant".into()),
            });
            return None;
        }
        if let ExprKind::Percent(p) = e.kind {
            if !(0.0..=100.0).contains(&p.0) {
                self.problems.push(CheckError::BadProbability {
                    value: p.to_string(),
                    span: e.span.into(),
                });
                return None;
            }
            return Some(p.0);
        }
        let before = self.problems.len();
        self.in_domain(e, "a probability");
        if self.problems.len() > before {
            return None;
        }
        domains::value(e, self.ast)
    }
}
