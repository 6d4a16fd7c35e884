//! The one-line rendering of an expression (no comments), and the small word tables the
//! printer shares. Literals are copied from the source byte for byte.

use crate::ast::*;
use crate::source::Span;
use crate::syntax::lex;

pub(super) fn slice(src: &str, span: Span) -> &str {
    &src[span.start as usize..span.end as usize]
}

/// The one-line rendering of an expression.
pub(super) fn flat(src: &str, e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number { .. }
        | ExprKind::Duration(_)
        | ExprKind::Percent(_)
        | ExprKind::Rate(_)
        | ExprKind::Size(_)
        | ExprKind::Bandwidth(_)
        | ExprKind::Money(_)
        | ExprKind::StatusClass(_) => slice(src, e.span).to_string(),
        ExprKind::Str(_) | ExprKind::RawStr(_) => {
            src[e.span.start as usize..literal_span_end(src, e)].to_string()
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(|x| flat(src, x)).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Object(entries) if entries.is_empty() => "{}".to_string(),
        ExprKind::Object(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|en| format!("{}: {}", slice(src, en.key.span), flat(src, &en.value)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        ExprKind::Name(n) => n.text.clone(),
        ExprKind::Field { base, field } => format!("{}.{}", flat(src, base), field.text),
        ExprKind::Index { base, index } => format!("{}[{}]", flat(src, base), flat(src, index)),
        ExprKind::Call { callee, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{}: {}", n.text, flat(src, &a.value)),
                    None => flat(src, &a.value),
                })
                .collect();
            format!("{}({})", flat(src, callee), args.join(", "))
        }
        ExprKind::Unary { op, operand } => format!("{}{}", unary_symbol(*op), flat(src, operand)),
        ExprKind::Binary {
            op: BinaryOp::Range,
            lhs,
            rhs,
        } => format!("{}..{}", flat(src, lhs), flat(src, rhs)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("{} {} {}", flat(src, lhs), op.symbol(), flat(src, rhs))
        }
        ExprKind::Phase { base, phase, name } => {
            format!("{} {} {}", flat(src, base), phase_word(*phase), name.text)
        }
        ExprKind::StepOf { step, base } => format!("step {}: {}", step.text, flat(src, base)),
        ExprKind::Paren(inner) => format!("({})", flat(src, inner)),
    }
}

/// The end of a string literal expression: its span's end, or further when the literal is
/// longer (a string nested in an interpolation can leave the parser's span short).
pub(super) fn literal_span_end(src: &str, e: &Expr) -> usize {
    let start = e.span.start as usize;
    let end = e.span.end as usize;
    if src[start..].starts_with(['"', '\'']) {
        end.max(lex::string_end(src, start))
    } else {
        end
    }
}

/// The end of an expression in the source, for an expression that is or ends in a string
/// literal whose span may be short (see `literal_span_end`).
pub(super) fn expr_end(src: &str, e: &Expr) -> usize {
    match &e.kind {
        ExprKind::Str(_) | ExprKind::RawStr(_) => literal_span_end(src, e),
        _ => e.span.end as usize,
    }
}

pub(super) fn unary_symbol(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Not => "!",
        UnaryOp::Neg => "-",
    }
}

pub(super) fn phase_word(phase: PhaseKind) -> &'static str {
    match phase {
        PhaseKind::Before => "before",
        PhaseKind::During => "during",
        PhaseKind::After => "after",
    }
}

pub(super) fn poll_word(kind: PollClauseKind) -> &'static str {
    match kind {
        PollClauseKind::Every => "every",
        PollClauseKind::Until => "until",
        PollClauseKind::Within => "within",
    }
}

/// Whether an expression holds a list or an object (something that can be broken over lines).
pub(super) fn has_seq(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::List(_) | ExprKind::Object(_) => true,
        ExprKind::Field { base, .. }
        | ExprKind::Phase { base, .. }
        | ExprKind::StepOf { base, .. } => has_seq(base),
        ExprKind::Index { base, index } => has_seq(base) || has_seq(index),
        ExprKind::Call { callee, args } => {
            has_seq(callee) || args.iter().any(|a| has_seq(&a.value))
        }
        ExprKind::Unary { operand, .. } => has_seq(operand),
        ExprKind::Binary { lhs, rhs, .. } => has_seq(lhs) || has_seq(rhs),
        ExprKind::Paren(inner) => has_seq(inner),
        _ => false,
    }
}
