//! `check` for scenarios: composition `a + b` (unknown parts, cycles), fault rules and their
//! arguments (read from `vocab::Rule`), faults, and wire faults where only a proxy can inject.

use std::collections::HashSet;

use super::check::{ArgKind, Checker, Place};
use super::error::CheckError;
use super::scope::Kind;
use super::types::Ty;
use crate::ast::*;

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
                let spec: &[(&str, ArgKind)] = match name.text.as_str() {
                    "error_rate" => &[
                        ("probability", ArgKind::Probability),
                        ("fault", ArgKind::Fault),
                    ],
                    "latency" => &[
                        ("probability", ArgKind::Probability),
                        ("delay", ArgKind::Delay),
                    ],
                    "burst" => &[
                        ("start", ArgKind::Count(0)),
                        ("length", ArgKind::Count(1)),
                        ("fault", ArgKind::Fault),
                    ],
                    "nth_call" => &[("calls", ArgKind::Calls), ("fault", ArgKind::Fault)],
                    "latency_error" => &[
                        ("probability", ArgKind::Probability),
                        ("delay", ArgKind::Delay),
                        ("fault", ArgKind::Fault),
                    ],
                    other => {
                        return self.unknown_setting(
                            "fault rule",
                            other,
                            name.span,
                            &[
                                "error_rate",
                                "latency",
                                "burst",
                                "nth_call",
                                "latency_error",
                            ],
                        );
                    }
                };
                let signature = spec.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
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
                let mut by_name = false;
                for (i, arg) in args.iter().enumerate() {
                    let kind = match &arg.name {
                        Some(key) => {
                            by_name = true;
                            match spec.iter().find(|(n, _)| *n == key.text) {
                                Some((_, kind)) => *kind,
                                None => {
                                    self.unknown_setting(
                                        "rule argument",
                                        &key.text,
                                        key.span,
                                        &spec.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
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
                        None => spec[i].1,
                    };
                    self.rule_arg(arg, kind);
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
            ArgKind::Count(min) => self.int_at_least(
                value,
                if min == 0 {
                    "`start`"
                } else {
                    "a burst length"
                },
                min,
            ),
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
        match &value.kind {
            ExprKind::Number {
                value: n,
                integer: true,
            } => {
                if !(400.0..600.0).contains(n) {
                    self.problems.push(CheckError::BadStatus {
                        status: self.text(value.span),
                        span: value.span.into(),
                    });
                }
                if let Some(after) = &f.retry_after {
                    self.positive_duration(after, "`retry_after`");
                }
                return;
            }
            ExprKind::Name(n)
                if ["timeout", "connection_error", "reset", "hang", "truncate"]
                    .contains(&n.text.as_str()) => {}
            ExprKind::Call { callee, args }
                if callee.as_name().is_some_and(|n| n.text == "bandwidth") =>
            {
                match args.as_slice() {
                    [arg] => {
                        let ty = self.expr(&arg.value, &Place::Const);
                        self.expect_ty(&arg.value, &ty, &Ty::Bandwidth);
                    }
                    _ => self.bad_args(
                        value.span,
                        "`bandwidth` takes one rate, like `bandwidth(64KiB/s)`".into(),
                        "here",
                        None,
                    ),
                }
            }
            ExprKind::Name(n) => {
                self.unknown_setting(
                    "fault",
                    &n.text,
                    n.span,
                    &[
                        "timeout",
                        "connection_error",
                        "reset",
                        "hang",
                        "truncate",
                        "bandwidth",
                    ],
                );
                return;
            }
            _ => {
                self.bad_value(value.span, "a fault is an HTTP status (`429`), `timeout`, `connection_error`, or at a proxy `reset`, `hang`, `truncate`, `bandwidth(…)`", "not a fault", None);
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
                            let wire = match &f.value.kind {
                                ExprKind::Name(n)
                                    if ["reset", "hang", "truncate"].contains(&n.text.as_str()) =>
                                {
                                    Some(n.text.clone())
                                }
                                ExprKind::Call { callee, .. }
                                    if callee.as_name().is_some_and(|n| n.text == "bandwidth") =>
                                {
                                    Some("bandwidth".to_string())
                                }
                                _ => None,
                            };
                            if let Some(fault) = wire {
                                self.problems.push(CheckError::WireFaultAtClient {
                                    fault,
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
