//! The types the checker gives expressions: quantities with units, and plain values.

use crate::ast::{Expr, ExprKind};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    Number,
    Duration,
    Percent,
    Rate,
    Money,
    Size,
    Bandwidth,
    StatusClass,
    Bool,
    Str,
    List,
    Object,
    /// Known only at run time (a response's JSON, a data row).
    Any,
    Range(Box<Ty>),
    /// `memory_growth(x)`: compares with a size (absolute) or a percentage (relative).
    Growth,
}

impl Ty {
    pub(crate) fn noun(&self) -> String {
        match self {
            Ty::Number => "a number".into(),
            Ty::Duration => "a duration".into(),
            Ty::Percent => "a percentage".into(),
            Ty::Rate => "a rate".into(),
            Ty::Money => "an amount of money".into(),
            Ty::Size => "a size".into(),
            Ty::Bandwidth => "a bandwidth".into(),
            Ty::StatusClass => "a status class".into(),
            Ty::Bool => "a boolean".into(),
            Ty::Str => "a string".into(),
            Ty::List => "a list".into(),
            Ty::Object => "an object".into(),
            Ty::Any => "a value".into(),
            Ty::Range(inner) => format!("a range of {}", inner.plural()),
            Ty::Growth => "a memory growth".into(),
        }
    }

    fn plural(&self) -> &'static str {
        match self {
            Ty::Duration => "durations",
            Ty::Number => "numbers",
            Ty::Percent => "percentages",
            _ => "values",
        }
    }

    /// Carries a unit (so a bare number next to it is a mistake).
    pub(crate) fn is_quantity(&self) -> bool {
        matches!(
            self,
            Ty::Duration
                | Ty::Percent
                | Ty::Rate
                | Ty::Money
                | Ty::Size
                | Ty::Bandwidth
                | Ty::Growth
        )
    }

    /// Two types that may be compared or added.
    pub(crate) fn compatible(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Any, _) | (_, Ty::Any) => true,
            (Ty::Growth, Ty::Size | Ty::Percent) | (Ty::Size | Ty::Percent, Ty::Growth) => true,
            (a, b) => a == b,
        }
    }
}

/// A literal's type, if the expression is a literal.
pub(crate) fn literal_ty(expr: &Expr) -> Option<Ty> {
    Some(match &expr.kind {
        ExprKind::Number { .. } => Ty::Number,
        ExprKind::Duration(_) => Ty::Duration,
        ExprKind::Percent(_) => Ty::Percent,
        ExprKind::Rate(_) => Ty::Rate,
        ExprKind::Size(_) => Ty::Size,
        ExprKind::Bandwidth(_) => Ty::Bandwidth,
        ExprKind::Money(_) => Ty::Money,
        ExprKind::StatusClass(_) => Ty::StatusClass,
        ExprKind::Str(_) | ExprKind::RawStr(_) => Ty::Str,
        _ => return None,
    })
}

/// How to write a bare number as the quantity that was expected: `timeout 5` → "write `5s`".
pub(crate) fn unit_fix(number_text: &str, expected: &Ty) -> String {
    let n: f64 = number_text.parse().unwrap_or(0.0);
    match expected {
        Ty::Duration => format!("write `{number_text}s` (or ms, m, h)"),
        Ty::Percent if n > 0.0 && n <= 1.0 && number_text.contains('.') => {
            format!("write `{}%`", crate::units::trim(n * 100.0, 4))
        }
        Ty::Percent => format!("write `{number_text}%`"),
        Ty::Rate => format!("write `{number_text}/s` (or /m, /h)"),
        Ty::Money => format!("write `${number_text}`"),
        Ty::Size => format!("write `{number_text}MB` (or B, KB, KiB, MiB, GB, GiB)"),
        Ty::Bandwidth => format!("write `{number_text}KiB/s`"),
        Ty::Growth => format!("write `{number_text}MB` or `{number_text}%`"),
        Ty::Range(inner) => unit_fix(number_text, inner),
        _ => format!("write {}", expected.noun()),
    }
}

impl From<crate::vocab::ValueType> for Ty {
    fn from(ty: crate::vocab::ValueType) -> Ty {
        use crate::vocab::ValueType;
        match ty {
            ValueType::Any => Ty::Any,
            ValueType::Str => Ty::Str,
            ValueType::Number => Ty::Number,
            ValueType::List => Ty::List,
            ValueType::Bool => Ty::Bool,
        }
    }
}
