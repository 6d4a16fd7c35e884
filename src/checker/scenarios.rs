//! `check` for scenarios: composition `a + b` (unknown parts, cycles), fault rules and their
//! arguments (read from `vocab::Rule`), faults, and wire faults where only a proxy can inject.

use std::collections::HashSet;

use super::check::{Checker, Place};
use super::error::CheckError;
use super::read::{self, FaultRead};
use super::scope::Kind;
use super::types::Ty;
use crate::ast::*;
use crate::vocab::{self, ArgKind};

impl<'a> Checker<'a> {
    pub(crate) fn scenario(&mut self, s: &Scenario) {
        match &s.body {
            ScenarioBody::Compose(parts) => {
                for part in &parts.parts {
                    self.lookup(part, Kind::Scenario);
                }
                let mut path = vec![s.name.text.clone()];
                if self.cycle(&parts.parts, &mut path) {
                    self.problems.push(CheckError::CompositionCycle {
                        name: s.name.text.clone(),
                        span: parts.span.into(),
                    });
                }
            }
            ScenarioBody::Rules(rules) => {
                for rule in rules {
                    self.rule(rule);
                }
            }
        }
    }

    pub(crate) fn cycle(&self, parts: &[Name], path: &mut Vec<String>) -> bool {
        for part in parts {
            if path.first() == Some(&part.text) {
                return true;
            }
            if path.contains(&part.text) {
                continue;
            }
            if let Some(def) = self.scope.get(&part.text) {
                if let Item::Scenario(Scenario {
                    body: ScenarioBody::Compose(inner),
                    ..
                }) = &self.ast.items[def.item]
                {
                    path.push(part.text.clone());
                    let found = self.cycle(&inner.parts, path);
                    path.pop();
                    if found {
                        return true;
                    }
                }
            }
        }
        false
    }

    pub(crate) fn rule(&mut self, rule: &crate::ast::Rule) {
        match &rule.kind {
            RuleKind::When { condition, fault } => {
                self.expr(condition, &Place::Record { captures: None });
                self.fault(fault);
            }
            RuleKind::Call { name, args } => {
                let Some(known) = vocab::Rule::from_name(&name.text) else {
                    let names: Vec<&str> = vocab::Rule::names().collect();
                    return self.unknown_setting("fault rule", &name.text, name.span, &names);
                };
                let spec = known.params();
                let signature = spec.iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
                if args.len() != spec.len() {
                    return self.bad_args(
                        rule.span,
                        format!(
                            "`{}` takes {} arguments, found {}",
                            name.text,
                            spec.len(),
                            args.len()
                        ),
                        "here",
                        Some(format!("write `{}({signature})`", name.text)),
                    );
                }
                let before = self.problems.len();
                let mut by_name = false;
                for (i, arg) in args.iter().enumerate() {
                    let kind = match &arg.name {
                        Some(key) => {
                            by_name = true;
                            match spec.iter().find(|p| p.name == key.text) {
                                Some(p) => p.kind,
                                None => {
                                    self.unknown_setting(
                                        "rule argument",
                                        &key.text,
                                        key.span,
                                        &spec.iter().map(|p| p.name).collect::<Vec<_>>(),
                                    );
                                    continue;
                                }
                            }
                        }
                        None if by_name => {
                            self.bad_args(
                                arg.span,
                                "a positional argument after a named one".into(),
                                "name it too",
                                None,
                            );
                            continue;
                        }
                        None => spec[i].kind,
                    };
                    self.rule_arg(arg, kind);
                }
                if self.problems.len() == before {
                    // Every argument is fine on its own, yet one parameter is given twice and
                    // another not at all: `error_rate(probability: 1%, probability: 2%)`.
                    let slots = read::rule_args(known, args);
                    if let Some(missing) = spec.iter().zip(&slots).find(|(_, s)| s.is_none()) {
                        self.bad_args(
                            rule.span,
                            format!("`{}` has no `{}` argument", name.text, missing.0.name),
                            "here",
                            Some(format!("write `{}({signature})`", name.text)),
                        );
                    }
                }
            }
        }
    }

    pub(crate) fn rule_arg(&mut self, arg: &RuleArg, kind: ArgKind) {
        if kind != ArgKind::Fault && arg.value.retry_after.is_some() {
            self.bad_value(
                arg.value.span,
                "`retry_after` belongs to a status fault",
                "not a fault",
                None,
            );
        }
        let value = &arg.value.value;
        match kind {
            ArgKind::Fault => self.fault(&arg.value),
            ArgKind::Probability => {
                self.probability(value);
            }
            ArgKind::Delay => self.duration_or_range(value, "a delay"),
            ArgKind::Start => self.int_at_least(value, "`start`", 0),
            ArgKind::Length => self.int_at_least(value, "a burst length", 1),
            ArgKind::Calls => match &value.kind {
                ExprKind::List(items) if !items.is_empty() => {
                    for item in items {
                        self.int_at_least(item, "a call number", 0);
                    }
                }
                _ => self.bad_value(
                    value.span,
                    "`nth_call` takes a list of call numbers",
                    "expected `[1, 5, 10]`",
                    None,
                ),
            },
        }
    }

    /// A fault: an HTTP status (400–599), `timeout`, `connection_error`, or a wire fault.
    pub(crate) fn fault(&mut self, f: &FaultExpr) {
        let value = &f.value;
        match read::fault(f) {
            Some(FaultRead::Status { retry_after, .. }) => {
                if let ExprKind::Number { value: n, .. } = &value.kind {
                    if !(400.0..600.0).contains(n) {
                        self.problems.push(CheckError::BadStatus {
                            status: self.text(value.span),
                            span: value.span.into(),
                        });
                    }
                }
                if let Some(after) = retry_after {
                    self.positive_duration(after, "`retry_after`");
                }
                return;
            }
            Some(FaultRead::Named { fault, .. }) if !fault.is_call() => {}
            Some(FaultRead::Named { fault, args }) => {
                let (want, message) = match fault {
                    vocab::Fault::CloseAfter => (
                        Ty::Size,
                        "`close_after` takes one size, like `close_after(1KiB)`",
                    ),
                    _ => (
                        Ty::Bandwidth,
                        "`bandwidth` takes one rate, like `bandwidth(64KiB/s)`",
                    ),
                };
                match args {
                    [arg] => {
                        let ty = self.expr(&arg.value, &Place::Const);
                        self.expect_ty(&arg.value, &ty, &want);
                    }
                    _ => self.bad_args(value.span, message.into(), "here", None),
                }
            }
            None => {
                if let ExprKind::Name(n) = &value.kind {
                    let names: Vec<&str> = vocab::Fault::names().collect();
                    self.unknown_setting("fault", &n.text, n.span, &names);
                } else {
                    self.bad_value(value.span, "a fault is an HTTP status (`429`), `timeout`, `connection_error`, or at a proxy `reset`, `hang`, `truncate`, `bandwidth(…)`, `close_after(…)`", "not a fault", None);
                }
                return;
            }
        }
        if let Some(after) = &f.retry_after {
            self.bad_value(
                after.span,
                "`retry_after` belongs to a status fault",
                "only after a status like `429`",
                None,
            );
        }
    }

    pub(crate) fn wire_faults_at_client(
        &mut self,
        e: &ScenarioExpr,
        inject: Option<miette::SourceSpan>,
    ) {
        let mut seen = HashSet::new();
        let mut stack: Vec<String> = e.parts.iter().map(|p| p.text.clone()).collect();
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(def) = self.scope.get(&name) else {
                continue;
            };
            let Item::Scenario(s) = &self.ast.items[def.item] else {
                continue;
            };
            match &s.body {
                ScenarioBody::Compose(parts) => {
                    stack.extend(parts.parts.iter().map(|p| p.text.clone()))
                }
                ScenarioBody::Rules(rules) => {
                    for rule in rules {
                        let faults: Vec<&FaultExpr> = match &rule.kind {
                            RuleKind::When { fault, .. } => vec![fault],
                            RuleKind::Call { args, .. } => args.iter().map(|a| &a.value).collect(),
                        };
                        for f in faults {
                            let wire = match read::fault(f) {
                                Some(FaultRead::Named { fault, .. }) if fault.at_proxy_only() => {
                                    Some(fault)
                                }
                                _ => None,
                            };
                            if let Some(fault) = wire {
                                self.problems.push(CheckError::WireFaultAtClient {
                                    fault: fault.name().to_string(),
                                    span: f.value.span.into(),
                                    inject,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
}
