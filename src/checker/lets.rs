//! How big each `let` is once the constants it reads are copied in. A constant built from
//! other constants is copied where it is used (by `check`'s typing and domain checks and by
//! `lower`), so `let a1 = a0 + a0`, `let a2 = a1 + a1`, … doubles at each step: 80 such lines
//! stand for 2^80 terms. Each `let` is measured once (linear in the file), before anything
//! else reads it; one that stands for more than [`MAX_TERMS`] is an error and the file is not
//! checked further.

use std::collections::HashMap;

use super::error::CheckError;
use crate::ast::{Expr, ExprKind, File, Item, StrPart};

/// The most terms a `let` may stand for.
pub(crate) const MAX_TERMS: u64 = 100_000;

/// The first `let` (in file order) that stands for more than [`MAX_TERMS`] terms: the ones that
/// read it are too large too, and saying so 80 times helps nobody.
pub(crate) fn too_large(ast: &File) -> Vec<CheckError> {
    let lets: HashMap<&str, &Expr> = ast
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Let(l) => Some((l.name.text.as_str(), &l.value)),
            _ => None,
        })
        .collect();
    let mut sizes: HashMap<&str, Option<u64>> = HashMap::new();
    let mut out = Vec::new();
    for item in &ast.items {
        if let Item::Let(l) = item {
            let terms = size_of_let(&l.name.text, &lets, &mut sizes, 0);
            if terms > MAX_TERMS {
                out.push(CheckError::TooLarge {
                    name: l.name.text.clone(),
                    terms,
                    limit: MAX_TERMS,
                    span: l.name.span.into(),
                });
                break;
            }
        }
    }
    out
}

fn size_of_let<'a>(
    name: &'a str,
    lets: &HashMap<&'a str, &'a Expr>,
    sizes: &mut HashMap<&'a str, Option<u64>>,
    depth: usize,
) -> u64 {
    match sizes.get(name) {
        Some(Some(n)) => return *n,
        // Being measured: a cycle (reported elsewhere) counts once.
        Some(None) => return 1,
        None => {}
    }
    let Some(value) = lets.get(name) else {
        return 1;
    };
    if depth > 4096 {
        return 1;
    }
    sizes.insert(name, None);
    let n = size(value, lets, sizes, depth + 1);
    sizes.insert(name, Some(n));
    n
}

fn size<'a>(
    e: &'a Expr,
    lets: &HashMap<&'a str, &'a Expr>,
    sizes: &mut HashMap<&'a str, Option<u64>>,
    depth: usize,
) -> u64 {
    let mut sum = |es: &mut dyn Iterator<Item = &'a Expr>| {
        es.fold(1u64, |n, e| n.saturating_add(size(e, lets, sizes, depth)))
    };
    match &e.kind {
        ExprKind::Name(n) => size_of_let(&n.text, lets, sizes, depth),
        ExprKind::Str(parts) => sum(&mut parts.iter().filter_map(|p| match p {
            StrPart::Interp(e) => Some(e),
            StrPart::Text(_) => None,
        })),
        ExprKind::List(items) => sum(&mut items.iter()),
        ExprKind::Object(entries) => sum(&mut entries.iter().map(|en| &en.value)),
        ExprKind::Field { base, .. }
        | ExprKind::Phase { base, .. }
        | ExprKind::StepOf { base, .. }
        | ExprKind::Paren(base)
        | ExprKind::Unary { operand: base, .. } => sum(&mut std::iter::once(&**base)),
        ExprKind::Index { base, index } => sum(&mut [&**base, &**index].into_iter()),
        ExprKind::Call { callee, args } => {
            sum(&mut std::iter::once(&**callee).chain(args.iter().map(|a| &a.value)))
        }
        ExprKind::Binary { lhs, rhs, .. } => sum(&mut [&**lhs, &**rhs].into_iter()),
        ExprKind::Number { .. }
        | ExprKind::Duration(_)
        | ExprKind::Percent(_)
        | ExprKind::Rate(_)
        | ExprKind::Size(_)
        | ExprKind::Bandwidth(_)
        | ExprKind::Money(_)
        | ExprKind::StatusClass(_)
        | ExprKind::RawStr(_) => 1,
    }
}
