//! `lower` for scenarios: compositions flattened, fault rules and faults from their typed
//! readings (`read::rule`, `read::fault`).

use super::{Lowerer, Names};
use crate::ast::{self, Item};
use crate::checker::domains;
use crate::checker::read::{self, FaultRead, RuleRead};
use crate::plan::{self};
use crate::vocab::{self};

impl Lowerer<'_> {
    pub(super) fn scenario_expr(&self, e: &ast::ScenarioExpr) -> plan::Scenario {
        if let [only] = e.parts.as_slice() {
            return self.scenario_named(&only.text);
        }
        let parts: Vec<String> = e.parts.iter().map(|p| p.text.clone()).collect();
        let mut rules = Vec::new();
        for part in &parts {
            rules.extend(self.scenario_named(part).rules);
        }
        plan::Scenario {
            name: parts.join("+"),
            parts,
            rules,
        }
    }

    pub(super) fn scenario_named(&self, name: &str) -> plan::Scenario {
        let (parts, rules) = match self.items.get(name) {
            Some(Item::Scenario(s)) => match &s.body {
                ast::ScenarioBody::Rules(rules) => (
                    vec![name.to_string()],
                    // Rules that do not read were refused by check.
                    rules.iter().filter_map(|r| self.rule(r)).collect(),
                ),
                ast::ScenarioBody::Compose(parts) => {
                    let mut rules = Vec::new();
                    for part in &parts.parts {
                        rules.extend(self.scenario_named(&part.text).rules);
                    }
                    (parts.parts.iter().map(|p| p.text.clone()).collect(), rules)
                }
            },
            _ => {
                domains::unlowerable(&format!("unknown scenario `{name}`"));
                (vec![name.to_string()], vec![])
            }
        };
        plan::Scenario {
            name: name.to_string(),
            parts,
            rules,
        }
    }

    /// A fault rule, from its typed reading; `None` for a rule check refused.
    pub(super) fn rule(&self, r: &ast::Rule) -> Option<plan::FaultRule> {
        let label = self
            .file
            .slice(r.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let probability = |p: &ast::Expr| plan::RuleWhen::Probability(self.num(p) / 100.0);
        let (when, delay, fault) = match read::rule(r)? {
            RuleRead::When { condition, fault } => {
                let record = Names {
                    record: true,
                    ..Names::default()
                };
                let when = plan::RuleWhen::Expr(self.expr(condition, &record));
                (when, None, Some(fault))
            }
            RuleRead::ErrorRate {
                probability: p,
                fault,
            } => (probability(p), None, Some(fault)),
            RuleRead::Latency {
                probability: p,
                delay,
            } => (probability(p), Some(delay), None),
            RuleRead::LatencyError {
                probability: p,
                delay,
                fault,
            } => (probability(p), Some(delay), Some(fault)),
            RuleRead::Burst {
                start,
                length,
                fault,
            } => {
                let when = plan::RuleWhen::Burst {
                    start: self.count(start),
                    length: self.count(length),
                };
                (when, None, Some(fault))
            }
            RuleRead::NthCall { calls, fault } => {
                let when = plan::RuleWhen::Calls(calls.iter().map(|i| self.count(i)).collect());
                (when, None, Some(fault))
            }
        };
        Some(plan::FaultRule {
            label,
            when,
            delay: delay.map(|d| self.duration_range(d)),
            fault: fault.map(|f| self.fault(f)),
        })
    }

    pub(super) fn fault(&self, f: FaultRead<'_>) -> plan::Fault {
        match f {
            FaultRead::Status {
                status,
                retry_after,
            } => plan::Fault::Status {
                status,
                retry_after: retry_after.map(|d| self.duration(d)),
            },
            FaultRead::Named { fault, args } => match fault {
                vocab::Fault::Timeout => plan::Fault::Timeout,
                vocab::Fault::ConnectionError => plan::Fault::ConnectionError,
                vocab::Fault::Reset => plan::Fault::Reset,
                vocab::Fault::Hang => plan::Fault::Hang,
                vocab::Fault::Truncate => plan::Fault::Truncate,
                vocab::Fault::Bandwidth => plan::Fault::Bandwidth {
                    bytes_per_sec: args.first().map_or(0, |a| {
                        domains::exact_u64(self.num(&a.value), u64::MAX, "a bandwidth")
                    }),
                },
            },
        }
    }
}
