//! `check` for what a TCP proxy (`proxy NAME tcp { … }`) cannot do: it forwards bytes, so it
//! sees connections, not requests. A status fault, `truncate`, or a rule that reads the
//! request (`method`, `path`, `header(…)`, `body_size`, `status`) in a test that injects at a
//! TCP proxy is `http_fault_at_tcp_proxy`, at the fault or the name, with a label at the
//! proxy's name in `inject`.

use std::collections::HashSet;

use super::check::Checker;
use super::error::CheckError;
use super::read::{self, FaultRead};
use crate::ast::*;
use crate::source::Span;

/// What a rule at a TCP proxy may read, for help texts.
pub(crate) const TCP_RULES: &str = "a TCP proxy decides per connection: its rules read `call` \
     (the connection number, from 0) and `proxy`, and inject `reset`, `hang`, `timeout`, \
     `connection_error`, `bandwidth(…)`, `close_after(…)` or a delay (`latency(P, D)`)";

/// Request fields an HTTP proxy's rule or record has and a TCP proxy's has not.
pub(crate) const HTTP_FIELDS: &[&str] = &["method", "path", "body_size", "status"];

impl Checker<'_> {
    /// Whether `name` is a `proxy NAME tcp { … }` of the file.
    pub(crate) fn is_tcp_proxy(&self, name: &str) -> bool {
        self.scope
            .get(name)
            .and_then(|d| match &self.ast.items.get(d.item)? {
                Item::Proxy(p) => Some(p.tcp.is_some()),
                _ => None,
            })
            .unwrap_or(false)
    }

    /// The rules of the scenarios `e` names, followed through compositions.
    fn rules_of(&self, e: &ScenarioExpr) -> Vec<&Rule> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut stack: Vec<String> = e.parts.iter().map(|p| p.text.clone()).collect();
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(def) = self.scope.get(&name) else {
                continue;
            };
            let Some(Item::Scenario(s)) = self.ast.items.get(def.item) else {
                continue;
            };
            match &s.body {
                ScenarioBody::Compose(parts) => {
                    stack.extend(parts.parts.iter().map(|p| p.text.clone()))
                }
                ScenarioBody::Rules(rules) => out.extend(rules),
            }
        }
        out
    }

    /// Scenarios `e` injected at TCP proxy `proxy` (named at `at` in `inject`): every HTTP-only
    /// fault or request field is an error.
    pub(crate) fn http_rules_at_tcp_proxy(&mut self, e: &ScenarioExpr, proxy: &str, at: Span) {
        let mut found: Vec<(String, Span)> = Vec::new();
        for rule in self.rules_of(e) {
            let faults: Vec<&FaultExpr> = match &rule.kind {
                RuleKind::When { condition, fault } => {
                    http_reads(condition, &mut found);
                    vec![fault]
                }
                RuleKind::Call { args, .. } => args.iter().map(|a| &a.value).collect(),
            };
            for f in faults {
                match read::fault(f) {
                    Some(FaultRead::Status { status, .. }) => {
                        found.push((format!("a status fault (`{status}`)"), f.value.span));
                    }
                    Some(FaultRead::Named { fault, .. }) if fault.http_only() => {
                        found.push((format!("`{}`", fault.name()), f.value.span));
                    }
                    _ => {}
                }
            }
        }
        let mut seen = HashSet::new();
        for (what, span) in found {
            if !seen.insert((span.start, span.end)) {
                continue;
            }
            let help = if what.starts_with("`truncate`") {
                format!("`close_after(1KiB)` cuts a TCP stream after that many bytes; {TCP_RULES}")
            } else {
                TCP_RULES.to_string()
            };
            self.problems.push(CheckError::HttpAtTcpProxy {
                what,
                span: span.into(),
                proxy: proxy.to_string(),
                at: at.into(),
                help: Some(help),
            });
        }
    }
}

/// The request fields a condition reads: HTTP-only names and `header(…)`.
pub(crate) fn http_reads_of(e: &Expr, out: &mut Vec<(String, Span)>) {
    http_reads(e, out);
}

fn http_reads(e: &Expr, out: &mut Vec<(String, Span)>) {
    match &e.kind {
        ExprKind::Name(n) if HTTP_FIELDS.contains(&n.text.as_str()) => {
            out.push((format!("`{}`", n.text), n.span));
        }
        ExprKind::Call { callee, args } => {
            if let Some(n) = callee.as_name().filter(|n| n.text == "header") {
                out.push(("`header(…)`".to_string(), n.span));
            }
            args.iter().for_each(|a| http_reads(&a.value, out));
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            http_reads(lhs, out);
            http_reads(rhs, out);
        }
        ExprKind::Unary { operand, .. } => http_reads(operand, out),
        ExprKind::Paren(inner) => http_reads(inner, out),
        _ => {}
    }
}
