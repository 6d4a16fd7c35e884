//! Builder functions for `test` blocks: statements, chaos windows, `slo` blocks.

use pest::iterators::Pair;

use super::{Builder, Children, Context, grammar_bug, service_op};
use crate::ast::*;
use crate::syntax::grammar::Rule;

impl Builder<'_> {
    // ── Tests ─────────────────────────────────────────────────────────

    /// grammar: test_decl = { kw_test ~ expr ~ "{" ~ (test_stmt ~ sep?)* ~ "}" }
    pub(super) fn test_decl(&self, pair: Pair<'_, Rule>) -> Test {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_test);
        let name = self.expr(kids.presume(Rule::expr));
        let mut stmts = Vec::new();
        for stmt in kids.rest() {
            let span = self.span(&stmt);
            let rule = stmt.as_rule();
            if rule == Rule::bad_stmt {
                self.bad_stmt(stmt, Context::Test);
                continue;
            }
            if rule == Rule::slo_block {
                stmts.push(TestStmt {
                    kind: TestStmtKind::Slo(self.slo_block(stmt)),
                    span,
                });
                continue;
            }
            let mut inner = Children::new(stmt);
            let _keyword = inner.any();
            let kind = match rule {
                Rule::test_workload => {
                    TestStmtKind::Workload(self.name(inner.presume(Rule::ident)))
                }
                Rule::test_profile => {
                    let body = inner.any();
                    match body.as_rule() {
                        Rule::ident => TestStmtKind::Profile(ProfileRef::Named(self.name(body))),
                        _ => TestStmtKind::Profile(ProfileRef::Inline(self.stage_block(body))),
                    }
                }
                Rule::test_scenarios => {
                    TestStmtKind::Scenarios(inner.rest().map(|e| self.scenario_expr(e)).collect())
                }
                Rule::test_inject => {
                    inner.presume(Rule::kw_at);
                    let at = inner.any();
                    match at.as_rule() {
                        Rule::kw_client => TestStmtKind::Inject(InjectAt::Client),
                        _ => TestStmtKind::Inject(InjectAt::Proxy(
                            inner.rest().map(|n| self.name(n)).collect(),
                        )),
                    }
                }
                Rule::test_seed => TestStmtKind::Seed(self.expr(inner.presume(Rule::expr))),
                Rule::test_services => {
                    TestStmtKind::Services(inner.rest().map(|n| self.name(n)).collect())
                }
                Rule::test_chaos => TestStmtKind::Chaos(self.chaos(inner)),
                other => grammar_bug(Rule::test_decl, Rule::test_workload, Some(other)),
            };
            stmts.push(TestStmt { kind, span });
        }
        Test { name, stmts, span }
    }

    /// grammar: test_chaos = { kw_chaos ~ kw_from ~ expr ~ kw_to ~ expr ~ "{" ~ (chaos_stmt ~ sep?)* ~ "}" }
    pub(super) fn chaos(&self, mut kids: Children<'_>) -> Chaos {
        kids.presume(Rule::kw_from);
        let from = self.expr(kids.presume(Rule::expr));
        kids.presume(Rule::kw_to);
        let to = self.expr(kids.presume(Rule::expr));
        let mut stmts = Vec::new();
        for stmt in kids.rest() {
            let span = self.span(&stmt);
            let kind = match stmt.as_rule() {
                Rule::chaos_faults => {
                    let mut inner = Children::new(stmt);
                    inner.presume(Rule::kw_faults);
                    let mut list = Vec::new();
                    let mut at = None;
                    for e in inner.rest() {
                        match e.as_rule() {
                            Rule::scenario_expr => list.push(self.scenario_expr(e)),
                            Rule::ident => at = Some(self.name(e)),
                            _ => {}
                        }
                    }
                    ChaosStmtKind::Faults(list, at)
                }
                Rule::chaos_action => {
                    let mut inner = Children::new(stmt);
                    let edge = inner.any();
                    let action = inner.any();
                    let action_rule = action.as_rule();
                    let mut a = Children::new(action);
                    let _keyword = a.any();
                    let action = if action_rule == Rule::action_exec {
                        Action::Exec(self.expr(a.presume(Rule::expr)))
                    } else if action_rule == Rule::action_service {
                        let op = service_op(_keyword.into_inner().next());
                        let service = self.name(a.presume(Rule::ident));
                        Action::Service { op, service }
                    } else {
                        let method = self.name(a.presume(Rule::ident));
                        let url = self.expr(a.presume(Rule::expr));
                        let json = a
                            .optional(Rule::kw_json)
                            .map(|_| self.expr(a.presume(Rule::expr)));
                        Action::Http { method, url, json }
                    };
                    if edge.as_rule() == Rule::kw_start {
                        ChaosStmtKind::Start(action)
                    } else {
                        ChaosStmtKind::Stop(action)
                    }
                }
                Rule::chaos_hold => {
                    let mut inner = Children::new(stmt);
                    let op = service_op(Some(inner.any()));
                    let service = self.name(inner.presume(Rule::ident));
                    ChaosStmtKind::Hold { op, service }
                }
                Rule::bad_stmt => {
                    self.bad_stmt(stmt, Context::Chaos);
                    continue;
                }
                other => grammar_bug(Rule::test_chaos, Rule::chaos_faults, Some(other)),
            };
            stmts.push(ChaosStmt { kind, span });
        }
        Chaos { from, to, stmts }
    }

    /// grammar: slo_block = { kw_slo ~ "{" ~ (slo_stmt ~ sep?)* ~ "}" }
    pub(super) fn slo_block(&self, pair: Pair<'_, Rule>) -> Vec<SloStmt> {
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_slo);
        kids.rest()
            .map(|stmt| {
                let span = self.span(&stmt);
                let rule = stmt.as_rule();
                let mut inner = Children::new(stmt);
                let kind = if rule == Rule::abort_stmt {
                    inner.presume(Rule::kw_abort);
                    inner.presume(Rule::kw_if);
                    let condition = self.expr(inner.presume(Rule::expr));
                    let over = inner
                        .optional(Rule::kw_over)
                        .map(|_| self.expr(inner.presume(Rule::expr)));
                    SloStmtKind::Abort { condition, over }
                } else {
                    let mut prefixes = Vec::new();
                    while let Some(prefix) = inner.optional(Rule::slo_prefix) {
                        let span = self.span(&prefix);
                        let mut p = Children::new(prefix);
                        let kind = match p.any().as_rule() {
                            Rule::kw_scenario => SloPrefixKind::Scenario,
                            Rule::kw_proxy => SloPrefixKind::Proxy,
                            _ => SloPrefixKind::Step,
                        };
                        let name = self.name(p.presume(Rule::ident));
                        prefixes.push(SloPrefix { kind, name, span });
                    }
                    let expr = self.expr(inner.presume(Rule::expr));
                    let every = inner.optional(Rule::every_clause).map(|clause| {
                        let mut c = Children::new(clause);
                        c.presume(Rule::kw_in);
                        c.presume(Rule::kw_every);
                        self.expr(c.presume(Rule::expr))
                    });
                    SloStmtKind::Assert {
                        prefixes,
                        expr,
                        every,
                    }
                };
                SloStmt { kind, span }
            })
            .collect()
    }
}
