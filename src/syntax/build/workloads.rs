//! Builder functions for workloads: steps, requests, polls, `retry` and `budget` blocks.

use pest::iterators::Pair;

use super::{Builder, Children, Context, grammar_bug};
use crate::ast::*;
use crate::source::Span;
use crate::syntax::grammar::Rule;

impl Builder<'_> {
    // ── Workloads ─────────────────────────────────────────────────────

    /// grammar: workload_decl = { kw_workload ~ ident ~ step_block }
    pub(super) fn workload_decl(&self, pair: Pair<'_, Rule>) -> Workload {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_workload);
        let name = self.name(kids.presume(Rule::ident));
        let steps = self.step_block(kids.presume(Rule::step_block));
        Workload { name, steps, span }
    }

    /// grammar: step_block = { "{" ~ (step ~ sep?)* ~ "}" }
    pub(super) fn step_block(&self, pair: Pair<'_, Rule>) -> Vec<Step> {
        let mut steps = Vec::new();
        for step in pair.into_inner() {
            let span = self.span(&step);
            let kind = match step.as_rule() {
                Rule::request_step => StepKind::Request(self.request_step(step)),
                Rule::poll_step => StepKind::Poll(self.poll_step(step)),
                Rule::think_step => {
                    let mut kids = Children::new(step);
                    kids.presume(Rule::kw_think);
                    StepKind::Think(self.expr(kids.presume(Rule::expr)))
                }
                Rule::repeat_step => {
                    let mut kids = Children::new(step);
                    kids.presume(Rule::kw_repeat);
                    let count = self.expr(kids.presume(Rule::expr));
                    let var = kids
                        .optional(Rule::kw_as)
                        .map(|_| self.name(kids.presume(Rule::ident)));
                    let steps = self.step_block(kids.presume(Rule::step_block));
                    StepKind::Repeat { count, var, steps }
                }
                Rule::set_step => {
                    let mut kids = Children::new(step);
                    kids.presume(Rule::kw_set);
                    let name = self.name(kids.presume(Rule::ident));
                    let value = self.expr(kids.presume(Rule::expr));
                    StepKind::Set { name, value }
                }
                Rule::probability_step => {
                    let mut kids = Children::new(step);
                    kids.presume(Rule::kw_with);
                    kids.presume(Rule::kw_probability);
                    let probability = self.expr(kids.presume(Rule::expr));
                    let steps = self.step_block(kids.presume(Rule::step_block));
                    StepKind::Probability { probability, steps }
                }
                Rule::choose_step => {
                    let mut kids = Children::new(step);
                    kids.presume(Rule::kw_choose);
                    let arms = kids
                        .rest()
                        .map(|arm| {
                            let span = self.span(&arm);
                            let mut inner = Children::new(arm);
                            let weight = self.expr(inner.presume(Rule::expr));
                            let steps = self.step_block(inner.presume(Rule::step_block));
                            ChooseArm {
                                weight,
                                steps,
                                span,
                            }
                        })
                        .collect();
                    StepKind::Choose(arms)
                }
                Rule::retry_block => StepKind::Retry(self.retry_block(step)),
                Rule::budget_block => StepKind::Budget(self.budget_block(step)),
                Rule::bad_stmt => {
                    self.bad_stmt(step, Context::Step);
                    continue;
                }
                other => grammar_bug(Rule::step_block, Rule::request_step, Some(other)),
            };
            steps.push(Step { kind, span });
        }
        steps
    }

    /// grammar: request_step = { kw_request ~ ident ~ ":" ~ ident ~ ident ~ expr ~ request_block? }
    pub(super) fn request_step(&self, pair: Pair<'_, Rule>) -> Request {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        let _keyword = kids.any();
        self.request_rest(&mut kids, span)
    }

    pub(super) fn request_rest(&self, kids: &mut Children<'_>, span: Span) -> Request {
        let name = self.name(kids.presume(Rule::ident));
        let method = self.name(kids.presume(Rule::ident));
        let target = self.name(kids.presume(Rule::ident));
        let path = self.expr(kids.presume(Rule::expr));
        let stmts = kids
            .optional(Rule::request_block)
            .map(|b| self.request_block(b))
            .unwrap_or_default();
        Request {
            name,
            method,
            target,
            path,
            stmts,
            span,
        }
    }

    /// grammar: poll_step = { kw_poll ~ ident ~ ":" ~ ident ~ ident ~ expr ~ request_block? ~ poll_clause* }
    pub(super) fn poll_step(&self, pair: Pair<'_, Rule>) -> Poll {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_poll);
        let request = self.request_rest(&mut kids, span);
        let clauses = kids
            .rest()
            .map(|clause| {
                let span = self.span(&clause);
                let mut inner = Children::new(clause);
                let kind = match inner.any().as_rule() {
                    Rule::kw_every => PollClauseKind::Every,
                    Rule::kw_until => PollClauseKind::Until,
                    _ => PollClauseKind::Within,
                };
                let value = self.expr(inner.presume(Rule::expr));
                PollClause { kind, value, span }
            })
            .collect();
        Poll { request, clauses }
    }

    /// grammar: request_block = { "{" ~ (request_stmt ~ sep?)* ~ "}" }
    pub(super) fn request_block(&self, pair: Pair<'_, Rule>) -> Vec<RequestStmt> {
        let mut stmts = Vec::new();
        for stmt in pair.into_inner() {
            let span = self.span(&stmt);
            let rule = stmt.as_rule();
            if rule == Rule::bad_stmt {
                self.bad_stmt(stmt, Context::Request);
                continue;
            }
            if rule == Rule::retry_block {
                stmts.push(RequestStmt {
                    kind: RequestStmtKind::Retry(self.retry_block(stmt)),
                    span,
                });
                continue;
            }
            let mut kids = Children::new(stmt);
            let _keyword = kids.any();
            let kind = match rule {
                Rule::header_stmt => {
                    let name = self.expr(kids.presume(Rule::expr));
                    let value = self.expr(kids.presume(Rule::expr));
                    RequestStmtKind::Header { name, value }
                }
                Rule::query_stmt => RequestStmtKind::Query(self.expr(kids.presume(Rule::expr))),
                Rule::json_stmt => RequestStmtKind::Json(self.expr(kids.presume(Rule::expr))),
                Rule::body_stmt => RequestStmtKind::Body(self.expr(kids.presume(Rule::expr))),
                Rule::form_stmt => RequestStmtKind::Form(self.expr(kids.presume(Rule::expr))),
                Rule::timeout_stmt => RequestStmtKind::Timeout(self.expr(kids.presume(Rule::expr))),
                Rule::check_stmt => RequestStmtKind::Check(self.expr(kids.presume(Rule::expr))),
                Rule::capture_stmt => {
                    let name = self.name(kids.presume(Rule::ident));
                    let value = self.expr(kids.presume(Rule::expr));
                    RequestStmtKind::Capture { name, value }
                }
                Rule::on_failure_stmt => {
                    kids.presume(Rule::kw_failure);
                    RequestStmtKind::OnFailure(self.name(kids.presume(Rule::ident)))
                }
                other => grammar_bug(Rule::request_block, Rule::header_stmt, Some(other)),
            };
            stmts.push(RequestStmt { kind, span });
        }
        stmts
    }

    /// grammar: retry_block = { kw_retry ~ "{" ~ (retry_stmt ~ sep?)* ~ "}" }
    pub(super) fn retry_block(&self, pair: Pair<'_, Rule>) -> Retry {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_retry);
        let mut stmts = Vec::new();
        for stmt in kids.rest() {
            let span = self.span(&stmt);
            let rule = stmt.as_rule();
            if rule == Rule::bad_stmt {
                self.bad_stmt(stmt, Context::Retry);
                continue;
            }
            let mut inner = Children::new(stmt);
            let first = inner.any();
            let kind = match rule {
                Rule::retry_attempts => {
                    RetryStmtKind::Attempts(self.expr(inner.presume(Rule::expr)))
                }
                Rule::retry_on => RetryStmtKind::On(
                    inner
                        .rest()
                        .map(|item| {
                            let mut item = Children::new(item);
                            self.expr(item.presume(Rule::expr))
                        })
                        .collect(),
                ),
                Rule::retry_backoff => {
                    let backoff = self.expr(inner.presume(Rule::expr));
                    let jitter = inner
                        .optional(Rule::kw_jitter)
                        .map(|_| self.name(inner.presume(Rule::ident)));
                    RetryStmtKind::Backoff { backoff, jitter }
                }
                Rule::retry_jitter => RetryStmtKind::Jitter(self.name(inner.presume(Rule::ident))),
                Rule::retry_respect => {
                    RetryStmtKind::RespectRetryAfter(first.as_rule() == Rule::kw_respect)
                }
                other => grammar_bug(Rule::retry_block, Rule::retry_attempts, Some(other)),
            };
            stmts.push(RetryStmt { kind, span });
        }
        Retry { stmts, span }
    }

    /// grammar: budget_block = { kw_budget ~ "{" ~ (budget_item ~ sep?)* ~ "}" }
    pub(super) fn budget_block(&self, pair: Pair<'_, Rule>) -> Vec<BudgetItem> {
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_budget);
        let mut items = Vec::new();
        for item in kids.rest() {
            let span = self.span(&item);
            let mut inner = Children::new(item);
            let first = inner.any();
            let kind = match first.as_rule() {
                Rule::kw_time => BudgetKind::Time,
                Rule::kw_cost => BudgetKind::Cost,
                Rule::bad_stmt => {
                    self.bad_stmt(first, Context::Budget);
                    continue;
                }
                other => grammar_bug(Rule::budget_item, Rule::kw_time, Some(other)),
            };
            let value = self.expr(inner.presume(Rule::expr));
            items.push(BudgetItem { kind, value, span });
        }
        items
    }
}
