//! Warnings for SLOs that can never measure anything (issue 15): the file is valid, but what an
//! assertion reads cannot be produced by the file, so it can only be 0 or "no data".
//!
//! - `stress::check::never_retried`: `retries_by(R)` when no retry policy of the test's workload
//!   retries R (no `retry` at all, `attempts 0`, or an `on` list without R).
//! - `stress::check::never_injected`: `count(fault == F)` / `rate(fault == F)` (alone or in an
//!   `&&` chain) when no fault rule of the scenarios the assertion reads can inject F.
//! - `stress::check::step_never_runs`: `step x:` when, in a scenario the assertion reads, every
//!   call fails (a rule that fires for every call with a timeout, a connection error, or an error
//!   status on a request without `check`s), so an earlier request ends every iteration before x.
//!
//! Conservative by design: anything not known statically (a `let` as `attempts`, a probability
//! that is not a literal, a `when` that is not `true`) counts as "may happen", so a warning is
//! never wrong. Runs only on a file without errors.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use super::resolved::TestRefs;
use crate::ast::*;
use crate::vocab::{self, MetricFn};

#[derive(Debug, Error, Diagnostic, Clone, PartialEq)]
pub enum Unmeasurable {
    #[error("`{metric}` can only be 0: {why}")]
    #[diagnostic(code(stress::check::never_retried), severity(Warning))]
    NeverRetried {
        metric: String,
        why: String,
        #[label("never retried")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{metric}` can only be 0: no fault rule {whose} injects `{fault}`")]
    #[diagnostic(code(stress::check::never_injected), severity(Warning))]
    NeverInjected {
        metric: String,
        whose: String,
        fault: String,
        #[label("never injected")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`step {step}:` has no data in scenario `{scenario}`: step `{step}` never runs there")]
    #[diagnostic(code(stress::check::step_never_runs), severity(Warning))]
    StepNeverRuns {
        step: String,
        scenario: String,
        #[label("no data in scenario `{scenario}`")]
        span: SourceSpan,
        #[label("fails every call of `{scenario}`")]
        rule: SourceSpan,
        #[help]
        help: String,
    },
}

/// Adds a warning for every unmeasurable assertion of every test of a checked file.
pub(crate) fn warn(tests: &[TestRefs<'_>], problems: &mut Vec<super::CheckError>) {
    let mut out = Vec::new();
    for t in tests {
        test(t, &mut out);
    }
    problems.extend(out.into_iter().map(super::CheckError::from));
}

/// What a fault rule can make of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    /// The attempt fails whatever the request checks (no response).
    Fails,
    /// An error status: a failure for a request without `check`s.
    Status,
    /// A delay only, or a fault not known here: the call may succeed.
    MaySucceed,
}

fn test(t: &TestRefs<'_>, out: &mut Vec<Unmeasurable>) {
    let (_, workload) = t.workload;
    let mut scenarios: Vec<(String, Vec<&Rule>)> = t
        .scenarios
        .iter()
        .map(|s| (s.name.clone(), s.rules.clone()))
        .collect();
    let chaos: Vec<&Rule> = t
        .chaos
        .iter()
        .flat_map(|s| s.rules.iter().copied())
        .collect();
    let slos = t.slos.iter().map(|s| s.stmt);
    if scenarios.is_empty() {
        scenarios.push(("baseline".into(), Vec::new()));
    }
    for slo in slos {
        let (prefixes, exprs): (&[SloPrefix], Vec<&Expr>) = match &slo.kind {
            SloStmtKind::Assert { prefixes, expr, .. } => (prefixes, vec![expr]),
            SloStmtKind::Abort { condition, .. } => (&[], vec![condition]),
        };
        // The scenarios this assertion is evaluated for.
        let only = prefixes
            .iter()
            .find(|p| p.kind == SloPrefixKind::Scenario)
            .map(|p| p.name.text.as_str());
        let read: Vec<&(String, Vec<&Rule>)> = scenarios
            .iter()
            .filter(|(name, _)| only.is_none_or(|o| o == name))
            .collect();
        for expr in exprs {
            let mut found = Vec::new();
            metric_calls(expr, &mut found);
            for (f, args, span) in found {
                match f {
                    MetricFn::RetriesBy => never_retried(workload, args, span, out),
                    MetricFn::Count | MetricFn::Rate => {
                        let mut faults = Vec::new();
                        if let Some(arg) = args.first() {
                            fault_equalities(&arg.value, &mut faults);
                        }
                        for (wanted, text) in faults {
                            let injects = read.iter().any(|(_, rules)| {
                                rules
                                    .iter()
                                    .chain(chaos.iter())
                                    .any(|r| rule_fault(r).is_some_and(|f| matches(f, &wanted)))
                            });
                            if !injects && !read.is_empty() {
                                let whose = match only {
                                    Some(s) => format!("of scenario `{s}`"),
                                    None => "of this test".to_string(),
                                };
                                out.push(Unmeasurable::NeverInjected {
                                        metric: format!("{}(fault == {text})", f.name()),
                                        whose,
                                        fault: text.clone(),
                                        span: span.into(),
                                        help: format!(
                                            "`fault` is set only by fault rules; add one to a scenario of the test, like `error_rate(10%, {text})`, or read what the server did with `status`"
                                        ),
                                    });
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // The steps read: `step X:` before the assertion, `step Y: …` before one operand.
        let mut steps: Vec<(&Name, crate::source::Span)> = prefixes
            .iter()
            .filter(|p| p.kind == SloPrefixKind::Step)
            .map(|p| (&p.name, p.span))
            .collect();
        if let SloStmtKind::Assert { expr, .. } = &slo.kind {
            step_operands(expr, &mut steps);
        }
        for (step, span) in steps {
            for (name, rules) in &read {
                if let Some((blocker, rule)) = never_reached(workload, &step.text, rules) {
                    out.push(Unmeasurable::StepNeverRuns {
                            step: step.text.clone(),
                            scenario: name.clone(),
                            span: span.into(),
                            rule: rule.span.into(),
                            help: format!(
                                "every call fails in `{name}`, so request `{blocker}` fails and ends each iteration before `{}`; add `on failure continue` to `{blocker}`, or narrow the assertion to other scenarios with `scenario NAME:`",
                                step.text
                            ),
                        });
                }
            }
        }
    }
}

/// `step X: operand` qualifiers inside an assertion, with their spans (`step X:` only).
fn step_operands<'e>(e: &'e Expr, out: &mut Vec<(&'e Name, crate::source::Span)>) {
    match &e.kind {
        ExprKind::StepOf { step, base } => {
            out.push((step, step.span));
            step_operands(base, out);
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            step_operands(lhs, out);
            step_operands(rhs, out);
        }
        ExprKind::Paren(inner) | ExprKind::Phase { base: inner, .. } => step_operands(inner, out),
        ExprKind::Unary { operand, .. } => step_operands(operand, out),
        _ => {}
    }
}

/// `f(args)` calls of metric functions in an SLO side, with their spans.
fn metric_calls<'e>(e: &'e Expr, out: &mut Vec<(MetricFn, &'e [Arg], crate::source::Span)>) {
    match &e.kind {
        ExprKind::Call { callee, args } => {
            if let Some(f) = callee.as_name().and_then(|n| MetricFn::lookup(&n.text)) {
                out.push((f, args.as_slice(), e.span));
            }
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            metric_calls(lhs, out);
            metric_calls(rhs, out);
        }
        ExprKind::Paren(inner)
        | ExprKind::Phase { base: inner, .. }
        | ExprKind::StepOf { base: inner, .. } => metric_calls(inner, out),
        ExprKind::Unary { operand, .. } => metric_calls(operand, out),
        _ => {}
    }
}

/// A fault as the request record's `fault` compares with it.
#[derive(Clone, Debug, PartialEq)]
enum FaultWord {
    Status(u16),
    Class(u16),
    Word(String),
}

/// `fault == F` comparisons that decide the whole expression or one conjunct of an `&&`
/// chain (so that when F is never injected, the expression never holds).
fn fault_equalities(e: &Expr, out: &mut Vec<(FaultWord, String)>) {
    match &e.kind {
        ExprKind::Paren(inner) => fault_equalities(inner, out),
        ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            fault_equalities(lhs, out);
            fault_equalities(rhs, out);
        }
        ExprKind::Binary {
            op: BinaryOp::Eq,
            lhs,
            rhs,
        } => {
            let is_fault = |x: &Expr| x.as_name().is_some_and(|n| n.text == "fault");
            let other = if is_fault(lhs) {
                rhs
            } else if is_fault(rhs) {
                lhs
            } else {
                return;
            };
            if let Some(word) = fault_word(other) {
                out.push(word);
            }
        }
        _ => {}
    }
}

fn fault_word(e: &Expr) -> Option<(FaultWord, String)> {
    match &e.kind {
        ExprKind::Number {
            value,
            integer: true,
        } if (400.0..600.0).contains(value) => {
            Some((FaultWord::Status(*value as u16), format!("{value}")))
        }
        ExprKind::StatusClass(c) => Some((FaultWord::Class(*c), format!("{c}xx"))),
        ExprKind::Name(n) if vocab::Fault::from_name(&n.text).is_some_and(|f| !f.is_call()) => {
            Some((FaultWord::Word(n.text.clone()), n.text.clone()))
        }
        ExprKind::Paren(inner) => fault_word(inner),
        _ => None,
    }
}

/// The fault a rule injects, if it injects one (`latency` only delays).
fn rule_fault(rule: &Rule) -> Option<FaultWord> {
    let value = match &rule.kind {
        RuleKind::When { fault, .. } => &fault.value,
        RuleKind::Call { name, args } => {
            let rule = vocab::Rule::from_name(&name.text)?;
            let position = rule.param_of(vocab::ArgKind::Fault)?;
            let param = rule.params()[position].name;
            let arg = args
                .iter()
                .find(|a| a.name.as_ref().is_some_and(|n| n.text == param))
                .or_else(|| args.get(position).filter(|a| a.name.is_none()))?;
            &arg.value.value
        }
    };
    match &value.kind {
        ExprKind::Number { value, .. } => Some(FaultWord::Status(*value as u16)),
        ExprKind::Name(n) => Some(FaultWord::Word(n.text.clone())),
        ExprKind::Call { callee, .. } => Some(FaultWord::Word(
            callee
                .as_name()
                .map_or(vocab::Fault::Bandwidth.name(), |n| n.text.as_str())
                .into(),
        )),
        _ => None,
    }
}

fn matches(injected: FaultWord, wanted: &FaultWord) -> bool {
    match (&injected, wanted) {
        (FaultWord::Status(s), FaultWord::Status(w)) => s == w,
        (FaultWord::Status(s), FaultWord::Class(c)) => s / 100 == *c,
        (FaultWord::Word(a), FaultWord::Word(b)) => a == b,
        _ => false,
    }
}

// ── retries_by ────────────────────────────────────────────────────────

/// What a retry policy retries, as written (`None`: the default list).
struct Policy<'a> {
    attempts_zero: bool,
    on: Option<&'a [Expr]>,
}

fn policies<'a>(steps: &'a [Step], out: &mut Vec<Policy<'a>>) {
    for step in steps {
        match &step.kind {
            StepKind::Retry(r) => out.push(policy(r)),
            StepKind::Request(req) => request_policies(req, out),
            StepKind::Poll(p) => request_policies(&p.request, out),
            StepKind::Repeat { steps, .. } | StepKind::Probability { steps, .. } => {
                policies(steps, out)
            }
            StepKind::Choose(arms) => arms.iter().for_each(|a| policies(&a.steps, out)),
            _ => {}
        }
    }
}

fn request_policies<'a>(req: &'a Request, out: &mut Vec<Policy<'a>>) {
    for stmt in &req.stmts {
        if let RequestStmtKind::Retry(r) = &stmt.kind {
            out.push(policy(r));
        }
    }
}

fn policy(r: &Retry) -> Policy<'_> {
    let mut p = Policy {
        attempts_zero: false,
        on: None,
    };
    for stmt in &r.stmts {
        match &stmt.kind {
            RetryStmtKind::Attempts(e) => {
                p.attempts_zero = matches!(e.kind, ExprKind::Number { value, .. } if value == 0.0)
            }
            RetryStmtKind::On(items) => p.on = Some(items),
            _ => {}
        }
    }
    p
}

/// Whether a policy's `on` list covers a reason (`retries_by`'s argument).
fn covers(on: Option<&[Expr]>, reason: &FaultWord) -> bool {
    let Some(items) = on else {
        // The default: 429, 5xx, timeout, connection_error.
        return match reason {
            FaultWord::Status(s) => *s == 429 || s / 100 == 5,
            FaultWord::Class(c) => *c == 4 || *c == 5,
            FaultWord::Word(w) => w == "timeout" || w == "connection_error",
        };
    };
    items.iter().any(|item| match (fault_word(item), reason) {
        (None, _) => true, // not understood here: may cover it
        (Some((FaultWord::Status(a), _)), FaultWord::Status(b)) => a == *b,
        (Some((FaultWord::Class(a), _)), FaultWord::Status(b)) => a == b / 100,
        (Some((FaultWord::Status(a), _)), FaultWord::Class(b)) => a / 100 == *b,
        (Some((FaultWord::Class(a), _)), FaultWord::Class(b)) => a == *b,
        (Some((FaultWord::Word(a), _)), FaultWord::Word(b)) => a == *b,
        _ => false,
    })
}

fn never_retried(
    workload: &Workload,
    args: &[Arg],
    span: crate::source::Span,
    out: &mut Vec<Unmeasurable>,
) {
    let Some((reason, text)) = args.first().and_then(|a| fault_word(&a.value)) else {
        return;
    };
    let mut all = Vec::new();
    policies(&workload.steps, &mut all);
    let metric = format!("retries_by({text})");
    let w = &workload.name.text;
    if all.is_empty() {
        out.push(Unmeasurable::NeverRetried {
            metric,
            why: format!("workload `{w}` has no retry policy"),
            span: span.into(),
            help: format!(
                "without `retry` a failed request is sent once; add `retry {{ attempts 3 }}` to workload `{w}` (it retries 429, 5xx, timeout and connection_error)"
            ),
        });
    } else if !all
        .iter()
        .any(|p| !p.attempts_zero && covers(p.on, &reason))
    {
        out.push(Unmeasurable::NeverRetried {
            metric,
            why: format!("no retry policy of workload `{w}` retries `{text}`"),
            span: span.into(),
            help: format!(
                "add `{text}` to the `on` list of a `retry` in workload `{w}` (and give it `attempts` of 1 or more)"
            ),
        });
    }
}

// ── step x: ───────────────────────────────────────────────────────────

/// When every call of a scenario fails: the first top-level request that ends the iteration on
/// failure, if `step` comes after it (its name, and the rule that fails every call).
fn never_reached<'r>(
    workload: &Workload,
    step: &str,
    rules: &[&'r Rule],
) -> Option<(String, &'r Rule)> {
    let mut blocker: Option<(&Request, &'r Rule)> = None;
    for s in &workload.steps {
        if let Some((req, rule)) = blocker {
            if names_step(s, step) {
                return Some((req.name.text.clone(), rule));
            }
            continue;
        }
        let req = match &s.kind {
            StepKind::Request(r) => r,
            StepKind::Poll(p) => &p.request,
            _ => continue,
        };
        let continues = req
            .stmts
            .iter()
            .any(|st| matches!(&st.kind, RequestStmtKind::OnFailure(n) if n.text == "continue"));
        if continues {
            continue;
        }
        let checked = req
            .stmts
            .iter()
            .any(|st| matches!(st.kind, RequestStmtKind::Check(_)));
        match always_fails(rules, checked) {
            Some(rule) => blocker = Some((req, rule)),
            None => return None,
        }
    }
    None
}

/// Whether a step (or a step nested in it) is named `name`.
fn names_step(s: &Step, name: &str) -> bool {
    match &s.kind {
        StepKind::Request(r) => r.name.text == name,
        StepKind::Poll(p) => p.request.name.text == name,
        StepKind::Repeat { steps, .. } | StepKind::Probability { steps, .. } => {
            steps.iter().any(|s| names_step(s, name))
        }
        StepKind::Choose(arms) => arms
            .iter()
            .any(|a| a.steps.iter().any(|s| names_step(s, name))),
        _ => false,
    }
}

/// The rule that makes every call fail, if the first rule to fire is always a failing one.
fn always_fails<'r>(rules: &[&'r Rule], checked: bool) -> Option<&'r Rule> {
    for &rule in rules {
        let effect = match rule_fault(rule) {
            Some(FaultWord::Word(w)) if w == "timeout" || w == "connection_error" => Effect::Fails,
            Some(FaultWord::Status(_)) if !checked => Effect::Status,
            _ => Effect::MaySucceed,
        };
        if effect == Effect::MaySucceed {
            return None;
        }
        if fires_always(rule) {
            return Some(rule);
        }
    }
    None
}

/// `error_rate(100%, …)`, `latency_error(100%, …)`, `when true => …`.
fn fires_always(rule: &Rule) -> bool {
    match &rule.kind {
        RuleKind::When { condition, .. } => condition.as_name().is_some_and(|n| n.text == "true"),
        RuleKind::Call { name, args } => {
            matches!(
                vocab::Rule::from_name(&name.text),
                Some(vocab::Rule::ErrorRate | vocab::Rule::LatencyError)
            ) && args
                .iter()
                .find(|a| a.name.as_ref().is_some_and(|n| n.text == "probability"))
                .or_else(|| args.first().filter(|a| a.name.is_none()))
                .is_some_and(|a| matches!(a.value.value.kind, ExprKind::Percent(p) if p.0 >= 100.0))
        }
    }
}
