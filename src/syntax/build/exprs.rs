//! Builder functions for expressions: the Pratt parser's operators, postfix field/index/call/
//! phase, primaries, quantities with units and strings with interpolation.

use pest::iterators::Pair;

use super::{Builder, Children, PRATT, grammar_bug, is_operator};
use crate::ast::*;
use crate::source::Span;
use crate::syntax::error::SyntaxError;
use crate::syntax::grammar::Rule;
use crate::syntax::literal::{self, LiteralError};

impl Builder<'_> {
    // ── Expressions ───────────────────────────────────────────────────

    /// grammar: expr = { unary* ~ postfixed ~ (infix ~ unary* ~ postfixed)* }
    pub(crate) fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        debug_assert_eq!(pair.as_rule(), Rule::expr);
        let operators = pair
            .clone()
            .into_inner()
            .filter(|p| is_operator(p.as_rule()))
            .count();
        if operators > crate::syntax::MAX_OPERATORS {
            let span = self.span(&pair);
            self.push(SyntaxError::TooLong {
                operators,
                limit: crate::syntax::MAX_OPERATORS,
                span: span.into(),
            });
            return Expr {
                kind: ExprKind::Number {
                    value: 0.0,
                    integer: true,
                },
                span,
            };
        }
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, operand| {
                let span = self.span(&op).to(operand.span);
                if op.as_rule() == Rule::op_step {
                    let mut kids = Children::new(op);
                    kids.presume(Rule::kw_step);
                    return Expr {
                        kind: ExprKind::StepOf {
                            step: self.name(kids.presume(Rule::ident)),
                            base: Box::new(operand),
                        },
                        span,
                    };
                }
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Expr {
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    span,
                }
            })
            .map_postfix(|base, op| self.postfix(base, op))
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_range => BinaryOp::Range,
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    Rule::op_mod => BinaryOp::Mod,
                    other => grammar_bug(Rule::expr, Rule::op_add, Some(other)),
                };
                Expr {
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                }
            })
            .parse(pair.into_inner())
    }

    pub(super) fn postfix(&self, base: Expr, op: Pair<'_, Rule>) -> Expr {
        let span = base.span.to(self.span(&op));
        let rule = op.as_rule();
        let mut kids = Children::new(op);
        let kind = match rule {
            Rule::field => ExprKind::Field {
                base: Box::new(base),
                field: self.name(kids.presume(Rule::ident)),
            },
            Rule::index => ExprKind::Index {
                base: Box::new(base),
                index: Box::new(self.expr(kids.presume(Rule::expr))),
            },
            Rule::call_args => ExprKind::Call {
                callee: Box::new(base),
                args: kids
                    .rest()
                    .map(|arg| {
                        let span = self.span(&arg);
                        let mut a = Children::new(arg);
                        let name = a.optional(Rule::ident).map(|n| self.name(n));
                        let value = self.expr(a.presume(Rule::expr));
                        Arg { name, value, span }
                    })
                    .collect(),
            },
            Rule::phase => {
                let phase = match kids.any().as_rule() {
                    Rule::kw_before => PhaseKind::Before,
                    Rule::kw_during => PhaseKind::During,
                    _ => PhaseKind::After,
                };
                ExprKind::Phase {
                    base: Box::new(base),
                    phase,
                    name: self.name(kids.presume(Rule::ident)),
                }
            }
            other => grammar_bug(Rule::expr, Rule::field, Some(other)),
        };
        Expr { kind, span }
    }

    pub(super) fn primary(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::ident => ExprKind::Name(self.name(pair)),
            Rule::quantity => self.quantity(pair),
            Rule::money => {
                let mut kids = Children::new(pair);
                let number = kids.presume(Rule::number);
                match literal::money(number.as_str()) {
                    Ok(m) => ExprKind::Money(m),
                    Err(_) => {
                        self.push(SyntaxError::BadNumber {
                            text: number.as_str().to_string(),
                            span: span.into(),
                        });
                        ExprKind::Money(crate::units::Money(0.0))
                    }
                }
            }
            Rule::string | Rule::triple_string => ExprKind::Str(self.string_parts(pair, span)),
            Rule::raw_string => {
                let mut kids = Children::new(pair);
                let text = kids.presume(Rule::raw_text).as_str().to_string();
                if kids.presume(Rule::raw_close).as_str().is_empty() {
                    self.push(SyntaxError::UnterminatedString {
                        span: Span::new(span.start as usize, span.start as usize + 1).into(),
                    });
                }
                ExprKind::RawStr(text)
            }
            Rule::list => ExprKind::List(pair.into_inner().map(|e| self.expr(e)).collect()),
            Rule::object => ExprKind::Object({
                self.object_separators(&pair);
                pair.into_inner()
                    .map(|entry| {
                        let span = self.span(&entry);
                        let mut kids = Children::new(entry);
                        let key_pair = kids.any();
                        let key = if key_pair.as_rule() == Rule::ident {
                            self.name(key_pair)
                        } else {
                            let key_span = self.span(&key_pair);
                            let key_expr = self.primary(key_pair);
                            let text = key_expr.as_plain_str().unwrap_or_else(|| {
                                self.src[key_span.start as usize..key_span.end as usize].to_string()
                            });
                            Name {
                                text,
                                span: key_span,
                            }
                        };
                        let value = self.expr(kids.presume(Rule::expr));
                        Entry { key, value, span }
                    })
                    .collect()
            }),
            Rule::paren => {
                let mut kids = Children::new(pair);
                ExprKind::Paren(Box::new(self.expr(kids.presume(Rule::expr))))
            }
            other => grammar_bug(Rule::expr, Rule::ident, Some(other)),
        };
        Expr { kind, span }
    }

    /// Two fields of an object on one line need a `,` between them (LANGUAGE.md §9.1–2): the
    /// grammar makes the comma optional so that a new line can stand for it.
    pub(super) fn object_separators(&self, pair: &Pair<'_, Rule>) {
        let mut previous: Option<usize> = None;
        for entry in pair.clone().into_inner() {
            let span = entry.as_span();
            if let Some(end) = previous {
                let between = &self.src[end..span.start()];
                if !between.contains([',', '\n', '\r']) {
                    self.push(SyntaxError::MissingComma {
                        span: Span::new(end, end).into(),
                    });
                }
            }
            // The pair may end after trailing whitespace: measure from its last character.
            previous = Some(span.start() + span.as_str().trim_end().len());
        }
    }

    /// grammar: quantity = ${ number ~ unit? }
    pub(super) fn quantity(&self, pair: Pair<'_, Rule>) -> ExprKind {
        let span = self.span(&pair);
        let text = pair.as_str().to_string();
        let mut kids = Children::new(pair);
        let number = kids.presume(Rule::number);
        let integer = !number.as_str().contains('.');
        // A malformed literal reads as `0` once its error is recorded.
        let zero = ExprKind::Number {
            value: 0.0,
            integer: true,
        };
        let unit = kids.optional(Rule::unit);
        let result = match &unit {
            None => {
                literal::number(number.as_str()).map(|value| ExprKind::Number { value, integer })
            }
            Some(unit) => literal::quantity(number.as_str(), unit.as_str()),
        };
        match result {
            Ok(kind) => kind,
            Err(LiteralError::Number) => {
                self.push(SyntaxError::BadNumber {
                    text,
                    span: span.into(),
                });
                zero
            }
            Err(LiteralError::Unit { guess, help }) => {
                // Only a unit can be a bad unit.
                let unit_span = unit.as_ref().map_or(span, |u| self.span(u));
                self.push(SyntaxError::BadUnit {
                    unit: unit.as_ref().map_or("", |u| u.as_str()).to_string(),
                    guess: did_you_mean(guess),
                    span: unit_span.into(),
                    help,
                });
                zero
            }
        }
    }

    pub(super) fn string_parts(&self, pair: Pair<'_, Rule>, span: Span) -> Vec<StrPart> {
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, text: &str| {
            if let Some(StrPart::Text(last)) = parts.last_mut() {
                last.push_str(text);
            } else {
                parts.push(StrPart::Text(text.to_string()));
            }
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::str_text | Rule::triple_text => push_text(&mut parts, part.as_str()),
                Rule::escape => match literal::escape(part.as_str()) {
                    Some(text) => push_text(&mut parts, &text),
                    None => self.push(SyntaxError::BadEscape {
                        text: part.as_str().to_string(),
                        span: self.span(&part).visible().into(),
                    }),
                },
                Rule::interp => {
                    let mut kids = Children::new(part);
                    parts.push(StrPart::Interp(self.expr(kids.presume(Rule::expr))));
                }
                Rule::str_close => {
                    if part.as_str().is_empty() {
                        self.push(SyntaxError::UnterminatedString {
                            span: Span::new(span.start as usize, span.start as usize + 1).into(),
                        });
                    }
                }
                other => grammar_bug(Rule::string, Rule::str_text, Some(other)),
            }
        }
        parts
    }
}

/// ", did you mean `ms`?" after "unknown unit `msec`", or nothing.
pub(super) fn did_you_mean(guess: Option<&str>) -> String {
    guess.map_or_else(String::new, |g| format!(", did you mean `{g}`?"))
}
