//! `lower`: a checked AST → the executable `plan::Plan`. Infallible: `check` proved what this
//! needs and hands over what it resolved (`resolved::TestRefs`: each test's workload, profile,
//! scenarios expanded to their rules, services and SLO comparisons), so lower does not look
//! those names up again. Words are read through the typed readers `check` uses (`read`,
//! `vocab`), so lower matches exhaustively on what check accepted. The few shapes lower still
//! reads inside expressions (a constant, a function, a capture) record a placeholder
//! (`domains::unlowerable`) for the fuzzing harness if check ever let one through, never a
//! panic.
//! Defaults applied here (documented in docs/language.md): request timeout 30s; retry
//! `attempts 3, on 429, 5xx, timeout, connection_error, backoff exponential(100ms, factor: 2,
//! max: 10s), jitter full, respect retry_after`; mock `api openai, latency 0s, tokens 20..200`;
//! open stages `max users 1000`; a test with no `scenarios` runs one named `baseline`.

use std::collections::HashMap;
use std::path::Path;

mod declarations;
mod scenarios;
mod slos;
mod test_block;
mod workloads;

use super::Checked;
use super::domains;
use super::resolved::TestRefs;
use crate::ast::{self, BinaryOp, ExprKind, Item, StrPart};
use crate::plan::{self};
use crate::units::Duration;

/// Lowers a checked file to its plan.
pub fn lower(checked: &Checked<'_>) -> plan::Plan {
    let mut lowerer = Lowerer::new(checked);
    lowerer.plan()
}

pub(crate) const DEFAULT_TIMEOUT: Duration = Duration(30_000_000);
pub(crate) const DEFAULT_MAX_USERS: u32 = 1000;

pub(super) struct Lowerer<'a> {
    file: &'a crate::source::SourceFile,
    ast: &'a ast::File,
    base_dir: Option<&'a Path>,
    items: HashMap<&'a str, &'a Item>,
    tests: &'a [TestRefs<'a>],
}

/// Names a workload expression can see, beyond the file's declarations.
#[derive(Clone, Default)]
pub(super) struct Names {
    vars: Vec<String>,
    steps: Vec<String>,
    record: bool,
}

impl<'a> Lowerer<'a> {
    pub(super) fn new(checked: &'a Checked<'a>) -> Self {
        let mut items = HashMap::new();
        for item in &checked.ast.items {
            let name = match item {
                Item::Let(x) => &x.name.text,
                Item::Data(x) => &x.name.text,
                Item::Target(x) => &x.name.text,
                Item::Service(x) => &x.name.text,
                Item::Proxy(x) => &x.name.text,
                Item::Workload(x) => &x.name.text,
                Item::Scenario(x) => &x.name.text,
                Item::Profile(x) => &x.name.text,
                Item::Test(_) => continue,
            };
            items.insert(name.as_str(), item);
        }
        Lowerer {
            file: checked.file,
            ast: checked.ast,
            base_dir: checked.base_dir,
            items,
            tests: &checked.tests,
        }
    }

    pub(super) fn plan(&mut self) -> plan::Plan {
        let mut plan = plan::Plan {
            schema_version: plan::SCHEMA_VERSION,
            file: self.file.name.clone(),
            targets: vec![],
            data: vec![],
            services: vec![],
            workloads: vec![],
            tests: vec![],
            proxies: vec![],
        };
        for item in &self.ast.items {
            match item {
                Item::Target(t) => plan.targets.push(self.target(t)),
                Item::Data(d) => plan.data.extend(self.data(d)),
                Item::Service(s) => plan.services.push(self.service(s)),
                Item::Workload(w) => plan.workloads.push(self.workload(w)),
                Item::Proxy(p) => plan.proxies.push(self.proxy(p)),
                _ => {}
            }
        }
        for refs in self.tests {
            let test = self.test(refs, &plan);
            plan.tests.push(test);
        }
        let tests = self.ast.items.iter().filter(|i| matches!(i, Item::Test(_)));
        if tests.count() != self.tests.len() {
            domains::unlowerable("a test whose references did not resolve");
        }
        plan
    }

    // ── Constants ─────────────────────────────────────────────────────

    /// A constant's value in base units (µs, percent 0–100, per second, dollars, bytes).
    pub(super) fn num(&self, e: &ast::Expr) -> f64 {
        match &e.kind {
            ExprKind::Number { value, .. } => *value,
            ExprKind::Duration(d) => d.as_micros() as f64,
            ExprKind::Percent(p) => p.0,
            ExprKind::Rate(r) => r.per_sec(),
            ExprKind::Size(b) | ExprKind::Bandwidth(b) => b.0 as f64,
            ExprKind::Money(m) => m.0,
            ExprKind::StatusClass(c) => f64::from(*c),
            ExprKind::Paren(inner) => self.num(inner),
            ExprKind::Unary {
                op: ast::UnaryOp::Neg,
                operand,
            } => -self.num(operand),
            ExprKind::Name(n) => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.num(&l.value),
                _ => self.not_constant(e),
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.num(lhs), self.num(rhs));
                domains::arithmetic(*op, (lhs, a), (rhs, b)).unwrap_or(0.0)
            }
            ExprKind::Str(_)
            | ExprKind::RawStr(_)
            | ExprKind::List(_)
            | ExprKind::Object(_)
            | ExprKind::Field { .. }
            | ExprKind::Index { .. }
            | ExprKind::Call { .. }
            | ExprKind::Unary {
                op: ast::UnaryOp::Not,
                ..
            }
            | ExprKind::Phase { .. }
            | ExprKind::StepOf { .. } => self.not_constant(e),
        }
    }

    /// A placeholder for a number `check` should have refused; recorded, see
    /// [`domains::unlowerable`]. Stays: constants are read where they stand (a `let` by its
    /// name), as `check` typed them in place.
    pub(super) fn not_constant(&self, e: &ast::Expr) -> f64 {
        domains::unlowerable(&format!(
            "not a numeric constant: {}",
            self.file.slice(e.span)
        ));
        0.0
    }

    pub(super) fn duration(&self, e: &ast::Expr) -> Duration {
        Duration(domains::exact_u64(self.num(e), u64::MAX, "a duration"))
    }

    pub(super) fn count(&self, e: &ast::Expr) -> u64 {
        domains::exact_u64(self.num(e), u64::MAX, "a count")
    }

    /// A count that the plan keeps as `u32` (users, capacity, attempts).
    pub(super) fn count32(&self, e: &ast::Expr) -> u32 {
        domains::exact_u64(self.num(e), u64::from(u32::MAX), "a count") as u32
    }

    /// A constant string (literal, `let`, `env("X", "default")`).
    pub(super) fn string(&self, e: &ast::Expr) -> String {
        match &e.kind {
            ExprKind::Name(n) => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.string(&l.value),
                _ => n.text.clone(),
            },
            ExprKind::Call { callee, args }
                if callee.as_name().is_some_and(|n| n.text == "env") =>
            {
                let name = args
                    .first()
                    .map(|a| self.string(&a.value))
                    .unwrap_or_default();
                std::env::var(&name).unwrap_or_else(|_| {
                    args.get(1)
                        .map(|a| self.string(&a.value))
                        .unwrap_or_default()
                })
            }
            ExprKind::Str(parts) => parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => t.clone(),
                    StrPart::Interp(inner) => self.string(inner),
                })
                .collect(),
            ExprKind::RawStr(s) => s.clone(),
            ExprKind::Paren(inner) => self.string(inner),
            // A literal as written (`${port}` with `let port = 9300`, `${2s}`).
            ExprKind::Number { .. }
            | ExprKind::Duration(_)
            | ExprKind::Percent(_)
            | ExprKind::Rate(_)
            | ExprKind::Size(_)
            | ExprKind::Bandwidth(_)
            | ExprKind::Money(_)
            | ExprKind::StatusClass(_) => self.file.slice(e.span).to_string(),
            // `"http://" + host`: the two strings joined.
            ExprKind::Binary {
                op: BinaryOp::Add,
                lhs,
                rhs,
            } if self.stringy(lhs, 0) || self.stringy(rhs, 0) => {
                self.string(lhs) + &self.string(rhs)
            }
            // Arithmetic (`${base + 1}`, `${2 * 1s}`): its value, in its unit.
            ExprKind::Unary {
                op: ast::UnaryOp::Neg,
                ..
            }
            | ExprKind::Binary {
                op: BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod,
                ..
            } => {
                let v = self.num(e);
                match self.unit_leaf(e, 0) {
                    // Text, not a slot: a negative duration is shown with its sign.
                    Some(ExprKind::Duration(_)) => format!(
                        "{}{}",
                        if v < 0.0 { "-" } else { "" },
                        crate::units::Duration(v.abs().round().min(u64::MAX as f64) as u64)
                    ),
                    Some(ExprKind::Percent(_)) => crate::units::Percent(v).to_string(),
                    Some(ExprKind::Rate(_)) => crate::units::Rate(v).to_string(),
                    Some(ExprKind::Money(_)) => crate::units::Money(v).to_string(),
                    _ => crate::units::trim(v, 6),
                }
            }
            _ => {
                // `check` lets through only strings, names, literals, `env(…)` and
                // arithmetic on plain numbers where a constant string is read.
                domains::unlowerable(&format!("not a string: {}", self.file.slice(e.span)));
                self.file.slice(e.span).to_string()
            }
        }
    }

    /// Whether a constant is text: a string, `env(…)`, or a `+` with text on one side (a `let`
    /// followed by its name).
    fn stringy(&self, e: &ast::Expr, hops: usize) -> bool {
        match &e.kind {
            ExprKind::Str(_) | ExprKind::RawStr(_) => true,
            ExprKind::Call { callee, .. } => callee.as_name().is_some_and(|n| n.text == "env"),
            ExprKind::Paren(inner) => self.stringy(inner, hops),
            ExprKind::Name(n) if hops < 4096 => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.stringy(&l.value, hops + 1),
                _ => false,
            },
            ExprKind::Binary {
                op: BinaryOp::Add,
                lhs,
                rhs,
            } => self.stringy(lhs, hops) || self.stringy(rhs, hops),
            _ => false,
        }
    }

    /// The first literal with a unit in a constant (a `let` followed by its name): the unit its
    /// value is shown in.
    fn unit_leaf<'e>(&'e self, e: &'e ast::Expr, hops: usize) -> Option<&'e ExprKind> {
        match &e.kind {
            ExprKind::Duration(_)
            | ExprKind::Percent(_)
            | ExprKind::Rate(_)
            | ExprKind::Money(_)
            | ExprKind::Size(_)
            | ExprKind::Bandwidth(_) => Some(&e.kind),
            ExprKind::Paren(operand) | ExprKind::Unary { operand, .. } => {
                self.unit_leaf(operand, hops)
            }
            ExprKind::Name(n) if hops < 4096 => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.unit_leaf(&l.value, hops + 1),
                _ => None,
            },
            ExprKind::Binary { lhs, rhs, .. } => self
                .unit_leaf(lhs, hops)
                .or_else(|| self.unit_leaf(rhs, hops)),
            _ => None,
        }
    }

    /// `a..b` or one value, as a pair.
    pub(super) fn range(&self, e: &ast::Expr) -> (f64, f64) {
        match &e.kind {
            ExprKind::Binary {
                op: BinaryOp::Range,
                lhs,
                rhs,
            } => (self.num(lhs), self.num(rhs)),
            ExprKind::Paren(inner) => self.range(inner),
            ExprKind::Name(n) => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.range(&l.value),
                _ => (0.0, 0.0),
            },
            _ => {
                let v = self.num(e);
                (v, v)
            }
        }
    }

    pub(super) fn duration_range(&self, e: &ast::Expr) -> (Duration, Duration) {
        let (a, b) = self.range(e);
        (
            Duration(domains::exact_u64(a, u64::MAX, "a duration")),
            Duration(domains::exact_u64(b, u64::MAX, "a duration")),
        )
    }
}

pub(super) fn index_of(list: &mut Vec<String>, name: &str) -> usize {
    match list.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            list.push(name.to_string());
            list.len() - 1
        }
    }
}
