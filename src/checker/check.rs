//! `check`: walks the whole file once and reports every problem — names, kinds, units, value
//! ranges, SLO references — without stopping at the first. A name that fails to resolve is
//! reported once; checks that would only repeat that root cause are skipped.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::error::CheckError;
use super::resolved::TestRefs;
use super::scope::{Kind, Scope};
use super::types::Ty;

use crate::ast::*;
use crate::source::{SourceFile, Span};

/// What a workload captures: name → (type, first span).
pub(crate) type Captures = HashMap<String, (Ty, Span)>;

pub(crate) struct Checker<'a> {
    pub(crate) file: &'a SourceFile,
    pub(crate) ast: &'a File,
    pub(crate) scope: Scope,
    pub(crate) problems: Vec<CheckError>,
    pub(crate) base_dir: Option<&'a Path>,
    pub(crate) used: HashSet<String>,
    pub(crate) let_types: HashMap<String, Ty>,
    pub(crate) let_stack: Vec<String>,
    /// Per workload name: its captures.
    pub(crate) captures: HashMap<String, Captures>,
    /// Every test whose references all resolved, in order.
    pub(crate) tests: Vec<TestRefs<'a>>,
}

/// Where an expression stands: decides which names it can see.
#[derive(Clone)]
pub(crate) enum Place<'p> {
    /// `let`, settings, bounds: constants and `env()` only.
    Const,
    /// Inside a workload.
    Workload {
        vars: &'p HashSet<String>,
        locals: Vec<String>,
        steps: &'p HashSet<String>,
    },
    /// `count(…)`, `rate(…)`, `when …`: the request record.
    Record { captures: Option<&'p Captures> },
}

impl<'a> Checker<'a> {
    pub(crate) fn new(file: &'a SourceFile, ast: &'a File, base_dir: Option<&'a Path>) -> Self {
        let mut problems = Vec::new();
        let scope = Scope::build(ast, &mut problems);
        Checker {
            file,
            ast,
            scope,
            problems,
            base_dir,
            used: HashSet::new(),
            let_types: HashMap::new(),
            let_stack: Vec::new(),
            captures: HashMap::new(),
            tests: Vec::new(),
        }
    }

    pub(crate) fn run(&mut self) {
        let ast = self.ast;
        // Captures first: SLOs of any test may name them.
        for item in &ast.items {
            if let Item::Workload(w) = item {
                let caps = self.collect_captures(w);
                self.captures.insert(w.name.text.clone(), caps);
            }
        }
        let mut tests = 0;
        let mut test_names: HashMap<String, Span> = HashMap::new();
        for item in &ast.items {
            match item {
                Item::Let(l) => {
                    self.let_type(&l.name.text);
                }
                Item::Data(d) => self.data(d),
                Item::Target(t) => self.target(t),
                Item::Service(s) => self.service(s),
                Item::Proxy(p) => self.proxy(p),
                Item::Workload(w) => self.workload(w),
                Item::Scenario(s) => self.scenario(s),
                Item::Profile(p) => {
                    self.stages(&p.stages, &mut Vec::new());
                }
                Item::Test(t) => {
                    tests += 1;
                    if let Some(name) = t.name.as_plain_str() {
                        if let Some(first) = test_names.get(&name) {
                            self.problems.push(CheckError::DuplicateName {
                                name,
                                second: t.name.span.into(),
                                first: (*first).into(),
                            });
                        } else {
                            test_names.insert(name, t.name.span);
                        }
                    }
                    self.test(t);
                }
            }
        }
        if tests == 0 {
            self.problems.push(CheckError::NothingToRun {
                file: self.file.name.clone(),
                span: ast.items.first().map(|i| {
                    Span::new(i.span().start as usize, i.span().start as usize)
                        .visible()
                        .into()
                }),
            });
        } else if self.problems.is_empty() {
            // Only on an otherwise clean file: after a typo, "unused" would repeat its cause.
            self.unused();
            super::unmeasurable::warn(&self.tests, &mut self.problems);
        }
    }

    pub(crate) fn unused(&mut self) {
        for item in &self.ast.items {
            let (kind, name) = match item {
                Item::Let(x) => ("constant", &x.name),
                Item::Data(x) => ("data set", &x.name),
                Item::Target(x) => ("target", &x.name),
                Item::Service(x) => ("service", &x.name),
                Item::Proxy(x) => ("proxy", &x.name),
                Item::Workload(x) => ("workload", &x.name),
                Item::Scenario(x) => ("scenario", &x.name),
                Item::Profile(x) => ("profile", &x.name),
                Item::Test(_) => continue,
            };
            if !self.used.contains(&name.text) {
                self.problems.push(CheckError::Unused {
                    kind,
                    name: name.text.clone(),
                    span: name.span.into(),
                });
            }
        }
    }

    pub(crate) fn mark(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }

    /// `a → b → a`: the lets being typed from `name` on, back to it.
    pub(crate) fn let_chain(&self, name: &str) -> String {
        let from = self.let_stack.iter().position(|n| n == name).unwrap_or(0);
        let mut chain: Vec<&str> = self.let_stack[from..].iter().map(String::as_str).collect();
        chain.push(name);
        chain
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" → ")
    }

    pub(crate) fn let_in_progress(&self, name: &str) -> bool {
        self.let_stack.iter().any(|n| n == name)
    }

    pub(crate) fn mark_used(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }

    pub(crate) fn lookup(&mut self, name: &Name, kind: Kind) -> bool {
        self.mark_used(&name.text);
        self.scope.expect(name, kind, &mut self.problems).is_some()
    }
}

/// What the SLOs of one test can refer to.
pub(crate) struct SloCtx<'c> {
    pub(crate) phases: &'c [(String, Span)],
    pub(crate) has_chaos: bool,
    pub(crate) captures: &'c Captures,
    pub(crate) workload: Option<String>,
    pub(crate) steps: &'c HashSet<String>,
    pub(crate) scenarios: &'c [String],
}

pub(crate) fn duration_literal(e: &Expr) -> Option<crate::units::Duration> {
    match &e.kind {
        ExprKind::Duration(d) => Some(*d),
        ExprKind::Paren(inner) => duration_literal(inner),
        _ => None,
    }
}

/// `a + b` → `a+b`; one part → its name.
pub(crate) fn scenario_display_name(e: &ScenarioExpr) -> String {
    e.parts
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// Every `set` variable and request/poll name of a workload (forward references are legal).
pub(crate) fn collect_names(
    steps: &[Step],
    vars: &mut HashSet<String>,
    names: &mut HashSet<String>,
) {
    for step in steps {
        match &step.kind {
            StepKind::Request(r) => {
                names.insert(r.name.text.clone());
            }
            StepKind::Poll(p) => {
                names.insert(p.request.name.text.clone());
            }
            StepKind::Set { name, .. } => {
                vars.insert(name.text.clone());
            }
            StepKind::Repeat { steps, .. } | StepKind::Probability { steps, .. } => {
                collect_names(steps, vars, names)
            }
            StepKind::Choose(arms) => arms
                .iter()
                .for_each(|a| collect_names(&a.steps, vars, names)),
            _ => {}
        }
    }
}

pub(crate) fn collect_phases(stages: &[Stage], phases: &mut Vec<(String, Span)>) {
    for stage in stages {
        for m in &stage.mods {
            if let StageModKind::As(n) = &m.kind {
                if !phases.iter().any(|(p, _)| *p == n.text) {
                    phases.push((n.text.clone(), n.span));
                }
            }
        }
        if let StageKind::Repeat { stages, .. } = &stage.kind {
            collect_phases(stages, phases);
        }
    }
}

/// Whether a capture's expression is a duration (`latency`, `NAME.latency`, `latency - 5ms`,
/// a `let` of one): it then keeps its unit, recorded in µs and compared with durations.
/// `is_var` and `is_step` name the workload's variables and steps.
pub(crate) fn duration_valued(
    e: &Expr,
    ast: &File,
    is_var: &dyn Fn(&str) -> bool,
    is_step: &dyn Fn(&str) -> bool,
) -> bool {
    /// `lets`: what each `let` read so far is (`None` while it is being read: a cycle is not a
    /// duration). Each `let` is read once, so `let a = b + b`, `let b = c + c`, … is linear,
    /// not exponential, and `let a = a + a` ends.
    struct Walk<'a> {
        ast: &'a File,
        lets: std::collections::HashMap<&'a str, Option<bool>>,
        /// `let`s being read, one inside the other: bounded like every nesting.
        depth: usize,
    }
    impl<'a> Walk<'a> {
        fn at(
            &mut self,
            e: &'a Expr,
            is_var: &dyn Fn(&str) -> bool,
            is_step: &dyn Fn(&str) -> bool,
        ) -> bool {
            match &e.kind {
                ExprKind::Duration(_) => true,
                ExprKind::Name(n) if is_var(&n.text) || self.depth > 4096 => false,
                ExprKind::Name(n) if n.text == "latency" => true,
                ExprKind::Name(n) => {
                    if let Some(known) = self.lets.get(n.text.as_str()) {
                        return known.unwrap_or(false);
                    }
                    let ast = self.ast;
                    let Some(value) = ast.items.iter().find_map(|item| match item {
                        Item::Let(l) if l.name.text == n.text => Some(&l.value),
                        _ => None,
                    }) else {
                        return false;
                    };
                    self.lets.insert(n.text.as_str(), None);
                    self.depth += 1;
                    let is = self.at(value, &|_| false, &|_| false);
                    self.depth -= 1;
                    self.lets.insert(n.text.as_str(), Some(is));
                    is
                }
                ExprKind::Field { base, field } => {
                    field.text == "latency" && base.as_name().is_some_and(|s| is_step(&s.text))
                }
                ExprKind::Paren(inner) => self.at(inner, is_var, is_step),
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand,
                } => self.at(operand, is_var, is_step),
                ExprKind::Binary { op, lhs, rhs } => {
                    if !matches!(
                        op,
                        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
                    ) {
                        return false;
                    }
                    let (l, r) = (self.at(lhs, is_var, is_step), self.at(rhs, is_var, is_step));
                    match op {
                        BinaryOp::Add | BinaryOp::Sub => l || r,
                        BinaryOp::Mul => l != r,
                        _ => l && !r,
                    }
                }
                _ => false,
            }
        }
    }
    Walk {
        ast,
        lets: std::collections::HashMap::new(),
        depth: 0,
    }
    .at(e, is_var, is_step)
}

/// The type of a capture: boolean for comparisons and logic, money when it involves money,
/// a duration when [`duration_valued`], otherwise a number.
pub(crate) fn capture_ty(e: &Expr, checker: &mut Checker<'_>) -> Ty {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } => {
            if op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or) {
                Ty::Bool
            } else {
                let (l, r) = (capture_ty(lhs, checker), capture_ty(rhs, checker));
                if l == Ty::Money || r == Ty::Money {
                    Ty::Money
                } else {
                    Ty::Number
                }
            }
        }
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => Ty::Bool,
        ExprKind::Paren(inner) => capture_ty(inner, checker),
        ExprKind::Money(_) => Ty::Money,
        ExprKind::Name(n) if n.text == "true" || n.text == "false" => Ty::Bool,
        ExprKind::Name(n)
            if checker
                .scope
                .get(&n.text)
                .is_some_and(|d| d.kind == Kind::Let) =>
        {
            match checker.let_type(&n.text) {
                Ty::Money => Ty::Money,
                Ty::Bool => Ty::Bool,
                _ => Ty::Number,
            }
        }
        _ => Ty::Number,
    }
}
