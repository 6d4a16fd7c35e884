//! `lower` for scenarios (compositions already expanded by `check`): fault rules and faults
//! from their typed readings (`read::rule`, `read::fault`).

use super::{Lowerer, Names};
use crate::ast;
use crate::checker::domains;
use crate::checker::read::{self, FaultRead, RuleRead};
use crate::checker::resolved::ScenarioUse;
use crate::plan::{self};
use crate::vocab::{self};

impl Lowerer<'_> {
    /// A scenario of a test, with the rules `check` expanded.
    pub(super) fn scenario(&self, s: &ScenarioUse<'_>) -> plan::Scenario {
        plan::Scenario {
            name: s.name.clone(),
            parts: s.parts.clone(),
            // Rules that do not read were refused by check.
            rules: s.rules.iter().filter_map(|r| self.rule(r)).collect(),
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
                vocab::Fault::CloseAfter => plan::Fault::CloseAfter {
                    bytes: args.first().map_or(0, |a| {
                        domains::exact_u64(self.num(&a.value), u64::MAX, "a size")
                    }),
                },
                vocab::Fault::Bandwidth => plan::Fault::Bandwidth {
                    bytes_per_sec: args.first().map_or(0, |a| {
                        domains::exact_u64(self.num(&a.value), u64::MAX, "a bandwidth")
                    }),
                },
            },
        }
    }
}
