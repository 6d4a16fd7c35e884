//! Builder functions for scenarios (rules, faults) and load profiles (stages, modifiers).

use pest::iterators::Pair;

use super::{Builder, Children, Context, grammar_bug};
use crate::ast::*;
use crate::syntax::grammar::Rule;

impl Builder<'_> {
    // ── Scenarios ─────────────────────────────────────────────────────

    /// grammar: scenario_decl = { kw_scenario ~ ident ~ (scenario_compose | rule_block) }
    pub(super) fn scenario_decl(&self, pair: Pair<'_, Rule>) -> Scenario {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_scenario);
        let name = self.name(kids.presume(Rule::ident));
        let body = kids.any();
        let body = match body.as_rule() {
            Rule::scenario_compose => {
                let mut inner = Children::new(body);
                ScenarioBody::Compose(self.scenario_expr(inner.presume(Rule::scenario_expr)))
            }
            Rule::rule_block => ScenarioBody::Rules(self.rule_block(body)),
            other => grammar_bug(Rule::scenario_decl, Rule::rule_block, Some(other)),
        };
        Scenario { name, body, span }
    }

    /// grammar: scenario_expr = { ident ~ ("+" ~ ident)* }
    pub(super) fn scenario_expr(&self, pair: Pair<'_, Rule>) -> ScenarioExpr {
        let span = self.span(&pair);
        let parts = pair.into_inner().map(|p| self.name(p)).collect();
        ScenarioExpr { parts, span }
    }

    /// grammar: rule_block = { "{" ~ (rule ~ sep?)* ~ "}" }
    pub(super) fn rule_block(&self, pair: Pair<'_, Rule>) -> Vec<crate::ast::Rule> {
        let mut rules = Vec::new();
        for rule in pair.into_inner() {
            let span = self.span(&rule);
            let kind = match rule.as_rule() {
                Rule::when_rule => {
                    let mut kids = Children::new(rule);
                    kids.presume(Rule::kw_when);
                    let condition = self.expr(kids.presume(Rule::expr));
                    let fault = self.fault(kids.presume(Rule::fault));
                    RuleKind::When { condition, fault }
                }
                Rule::call_rule => {
                    let mut kids = Children::new(rule);
                    let name = self.name(kids.presume(Rule::ident));
                    let args = kids
                        .rest()
                        .map(|arg| {
                            let span = self.span(&arg);
                            let mut inner = Children::new(arg);
                            let name = inner.optional(Rule::ident).map(|n| self.name(n));
                            let value = self.fault(inner.presume(Rule::fault));
                            RuleArg { name, value, span }
                        })
                        .collect();
                    RuleKind::Call { name, args }
                }
                Rule::bad_stmt => {
                    self.bad_stmt(rule, Context::Rule);
                    continue;
                }
                other => grammar_bug(Rule::rule_block, Rule::call_rule, Some(other)),
            };
            rules.push(crate::ast::Rule { kind, span });
        }
        rules
    }

    /// grammar: fault = { expr ~ (kw_retry_after ~ expr)? }
    pub(super) fn fault(&self, pair: Pair<'_, Rule>) -> FaultExpr {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        let value = self.expr(kids.presume(Rule::expr));
        let retry_after = kids
            .optional(Rule::kw_retry_after)
            .map(|_| self.expr(kids.presume(Rule::expr)));
        FaultExpr {
            value,
            retry_after,
            span,
        }
    }

    // ── Profiles ──────────────────────────────────────────────────────

    /// grammar: profile_decl = { kw_profile ~ ident ~ stage_block }
    pub(super) fn profile_decl(&self, pair: Pair<'_, Rule>) -> Profile {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_profile);
        let name = self.name(kids.presume(Rule::ident));
        let stages = self.stage_block(kids.presume(Rule::stage_block));
        Profile { name, stages, span }
    }

    /// grammar: stage_block = { "{" ~ (stage ~ sep?)* ~ "}" }
    pub(super) fn stage_block(&self, pair: Pair<'_, Rule>) -> Vec<Stage> {
        let mut stages = Vec::new();
        for stage in pair.into_inner() {
            let span = self.span(&stage);
            let rule = stage.as_rule();
            if rule == Rule::bad_stmt {
                self.bad_stmt(stage, Context::Stage);
                continue;
            }
            let mut kids = Children::new(stage);
            let kind = match rule {
                Rule::users_stage => {
                    kids.presume(Rule::kw_users);
                    StageKind::Users(self.expr(kids.presume(Rule::expr)))
                }
                Rule::iterations_stage => {
                    kids.presume(Rule::kw_iterations);
                    StageKind::Iterations(self.expr(kids.presume(Rule::expr)))
                }
                Rule::hold_stage => {
                    kids.presume(Rule::kw_hold);
                    let users = self.expr(kids.presume(Rule::expr));
                    kids.presume(Rule::kw_users);
                    kids.presume(Rule::kw_for);
                    let duration = self.expr(kids.presume(Rule::expr));
                    StageKind::Hold { users, duration }
                }
                Rule::ramp_users_stage => {
                    kids.presume(Rule::kw_ramp);
                    kids.presume(Rule::kw_to);
                    let to = self.expr(kids.presume(Rule::expr));
                    kids.presume(Rule::kw_users);
                    kids.presume(Rule::kw_over);
                    let over = self.expr(kids.presume(Rule::expr));
                    StageKind::RampUsers { to, over }
                }
                Rule::ramp_rate_stage => {
                    kids.presume(Rule::kw_ramp);
                    kids.presume(Rule::kw_rate);
                    kids.presume(Rule::kw_to);
                    let to = self.expr(kids.presume(Rule::expr));
                    kids.presume(Rule::kw_over);
                    let over = self.expr(kids.presume(Rule::expr));
                    StageKind::RampRate { to, over }
                }
                Rule::rate_stage => {
                    kids.presume(Rule::kw_rate);
                    let rate = self.expr(kids.presume(Rule::expr));
                    kids.presume(Rule::kw_for);
                    let duration = self.expr(kids.presume(Rule::expr));
                    StageKind::Rate { rate, duration }
                }
                Rule::pause_stage => {
                    kids.presume(Rule::kw_pause);
                    StageKind::Pause(self.expr(kids.presume(Rule::expr)))
                }
                Rule::repeat_stage => {
                    kids.presume(Rule::kw_repeat);
                    let count = self.expr(kids.presume(Rule::expr));
                    let stages = self.stage_block(kids.presume(Rule::stage_block));
                    StageKind::Repeat { count, stages }
                }
                Rule::max_users_stage => {
                    kids.presume(Rule::kw_max);
                    kids.presume(Rule::kw_users);
                    StageKind::MaxUsers(self.expr(kids.presume(Rule::expr)))
                }
                Rule::limit_stage => {
                    kids.presume(Rule::kw_limit);
                    StageKind::Limit(self.expr(kids.presume(Rule::expr)))
                }
                other => grammar_bug(Rule::stage_block, Rule::hold_stage, Some(other)),
            };
            let mods = kids.rest().map(|m| self.stage_mod(m)).collect();
            stages.push(Stage { kind, mods, span });
        }
        stages
    }

    /// grammar: stage_mod = { kw_limit ~ expr | kw_max ~ kw_users ~ expr | kw_as ~ ident }
    pub(super) fn stage_mod(&self, pair: Pair<'_, Rule>) -> StageMod {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        let first = kids.any();
        let kind = match first.as_rule() {
            Rule::kw_limit => StageModKind::Limit(self.expr(kids.presume(Rule::expr))),
            Rule::kw_max => {
                kids.presume(Rule::kw_users);
                StageModKind::MaxUsers(self.expr(kids.presume(Rule::expr)))
            }
            Rule::kw_as => StageModKind::As(self.name(kids.presume(Rule::ident))),
            other => grammar_bug(Rule::stage_mod, Rule::kw_limit, Some(other)),
        };
        StageMod { kind, span }
    }
}
