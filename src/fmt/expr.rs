//! Expressions: written on one line when they fit (see `flat`), else with their lists and
//! objects broken one entry per line, comments kept.

use crate::ast::*;
use crate::source::Span;

use super::WIDTH;
use super::flat::{expr_end, flat, has_seq, phase_word, slice, unary_symbol};
use super::printer::Printer;

impl Printer<'_> {
    // ── Expressions ──

    pub(super) fn expr(&mut self, e: &Expr) {
        let (start, end) = (e.span.start as usize, expr_end(self.src, e));
        if !self.multiline(start, end) && !self.has_comment(start, end) {
            let text = flat(self.src, e);
            if !has_seq(e) || self.col() + text.chars().count() <= WIDTH {
                self.token(&text, start, end);
                return;
            }
        }
        self.flush(start);
        match &e.kind {
            ExprKind::Number { .. }
            | ExprKind::Duration(_)
            | ExprKind::Percent(_)
            | ExprKind::Rate(_)
            | ExprKind::Size(_)
            | ExprKind::Bandwidth(_)
            | ExprKind::Money(_)
            | ExprKind::StatusClass(_)
            | ExprKind::Str(_)
            | ExprKind::RawStr(_) => {
                let text = &self.src[start..end];
                self.token(text, start, end);
            }
            ExprKind::Name(n) => self.name(n),
            ExprKind::List(items) => {
                self.seq(e.span, '[', ']', items, |x| x.span, |p, x| p.expr(x))
            }
            ExprKind::Object(entries) => self.seq(
                e.span,
                '{',
                '}',
                entries,
                |en| en.span,
                |p, en| {
                    let key = slice(p.src, en.key.span);
                    p.token(key, en.key.span.start as usize, en.key.span.end as usize);
                    p.put(":");
                    p.sp();
                    p.expr(&en.value);
                },
            ),
            ExprKind::Field { base, field } => {
                self.expr(base);
                // `.name` is one token: no comment may come between the dot and the name.
                let dot = self.find(self.tight_end(base.span), b'.');
                self.token(&format!(".{}", field.text), dot, field.span.end as usize);
            }
            ExprKind::Index { base, index } => {
                self.expr(base);
                self.put("[");
                self.expr(index);
                self.token("]", end - 1, end);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                self.put("(");
                self.args(args, |a| a.name.as_ref(), |p, a| p.expr(&a.value));
                let close = end - 1;
                self.token(")", close, end);
            }
            ExprKind::Unary { op, operand } => {
                self.put(unary_symbol(*op));
                self.expr(operand);
            }
            ExprKind::Binary {
                op: BinaryOp::Range,
                lhs,
                rhs,
            } => {
                self.expr(lhs);
                self.flush(rhs.span.start as usize);
                self.put("..");
                self.expr(rhs);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                self.kw(op.symbol(), rhs.span);
                self.sp();
                self.expr(rhs);
            }
            ExprKind::Phase { base, phase, name } => {
                self.expr(base);
                self.kw(phase_word(*phase), name.span);
                self.sp();
                self.name(name);
            }
            ExprKind::StepOf { step, base } => {
                self.put("step ");
                self.name(step);
                self.put(": ");
                self.expr(base);
            }
            ExprKind::Paren(inner) => {
                self.put("(");
                self.expr(inner);
                self.token(")", end - 1, end);
            }
        }
    }

    /// The arguments of a call, after its `(`: `value` or `name: value`, comma-separated.
    pub(super) fn args<A>(
        &mut self,
        args: &[A],
        name: impl Fn(&A) -> Option<&Name>,
        mut value: impl FnMut(&mut Self, &A),
    ) {
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.put(",");
                self.sp();
            }
            if let Some(n) = name(arg) {
                self.name(n);
                self.put(":");
                self.sp();
            }
            value(self, arg);
        }
    }

    /// A list or an object that does not stay on one line: one entry per line, each but the
    /// last followed by a comma; the last one too when it was in the source.
    pub(super) fn seq<T>(
        &mut self,
        span: Span,
        open: char,
        close: char,
        items: &[T],
        item_span: impl Fn(&T) -> Span,
        print: impl FnMut(&mut Self, &T),
    ) {
        let (start, end) = (span.start as usize, span.end as usize);
        self.token(&open.to_string(), start, start + 1);
        if items.is_empty() && !self.has_comment(start, end) {
            self.token(&close.to_string(), end - 1, end);
            return;
        }
        let trailing_comma = self.comma_before(end - 1);
        self.entries(
            items,
            item_span,
            print,
            |i| i + 1 < items.len() || trailing_comma,
            close,
            end - 1,
        );
    }
}
