//! Builder functions for declarations: `let`, `data`, `target`, `service`, `proxy`.

use pest::iterators::Pair;

use super::{Builder, Children, Context, grammar_bug};
use crate::ast::*;
use crate::syntax::grammar::Rule;

impl Builder<'_> {
    // ── Declarations ──────────────────────────────────────────────────

    /// grammar: let_decl = { kw_let ~ ident ~ "=" ~ expr }
    pub(super) fn let_decl(&self, pair: Pair<'_, Rule>) -> Let {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_let);
        let name = self.name(kids.presume(Rule::ident));
        let value = self.expr(kids.presume(Rule::expr));
        Let { name, value, span }
    }

    /// grammar: data_decl = { kw_data ~ ident ~ "=" ~ expr }
    pub(super) fn data_decl(&self, pair: Pair<'_, Rule>) -> Data {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_data);
        let name = self.name(kids.presume(Rule::ident));
        let source = self.expr(kids.presume(Rule::expr));
        Data { name, source, span }
    }

    /// grammar: target_decl = { kw_target ~ ident ~ (target_url | target_mock) }
    pub(super) fn target_decl(&self, pair: Pair<'_, Rule>) -> Target {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_target);
        let name = self.name(kids.presume(Rule::ident));
        let body = kids.any();
        let mut scrapes = Vec::new();
        let kind = match body.as_rule() {
            Rule::target_url => {
                let mut inner = Children::new(body);
                let url = self.expr(inner.presume(Rule::expr));
                if let Some(block) = inner.optional(Rule::target_block) {
                    for stmt in block.into_inner() {
                        match stmt.as_rule() {
                            Rule::svc_scrape => scrapes.push(self.svc_scrape(stmt)),
                            Rule::bad_stmt => self.bad_stmt(stmt, Context::Target),
                            other => grammar_bug(Rule::target_block, Rule::svc_scrape, Some(other)),
                        }
                    }
                }
                TargetKind::Url(url)
            }
            Rule::target_mock => {
                let mut inner = Children::new(body);
                inner.presume(Rule::kw_mock);
                TargetKind::Mock(self.settings(inner.presume(Rule::settings)))
            }
            other => grammar_bug(Rule::target_decl, Rule::target_url, Some(other)),
        };
        Target {
            name,
            kind,
            scrapes,
            span,
        }
    }

    /// grammar: svc_scrape = { kw_scrape ~ expr ~ (kw_every ~ expr)? }
    fn svc_scrape(&self, pair: Pair<'_, Rule>) -> Scrape {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_scrape);
        let url = self.expr(kids.presume(Rule::expr));
        let every = kids
            .optional(Rule::kw_every)
            .map(|_| self.expr(kids.presume(Rule::expr)));
        Scrape { url, every, span }
    }

    /// grammar: settings = { "{" ~ (setting ~ sep?)* ~ "}" }
    pub(super) fn settings(&self, pair: Pair<'_, Rule>) -> Vec<Setting> {
        pair.into_inner()
            .map(|setting| {
                let span = self.span(&setting);
                let mut kids = Children::new(setting);
                let key = self.name(kids.presume(Rule::ident));
                let value = self.expr(kids.presume(Rule::expr));
                Setting { key, value, span }
            })
            .collect()
    }

    /// grammar: service_decl = { kw_service ~ ident ~ "{" ~ (service_stmt ~ sep?)* ~ "}" }
    pub(super) fn service_decl(&self, pair: Pair<'_, Rule>) -> Service {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_service);
        let name = self.name(kids.presume(Rule::ident));
        let mut stmts = Vec::new();
        for stmt in kids.rest() {
            let span = self.span(&stmt);
            let rule = stmt.as_rule();
            let mut inner = Children::new(stmt.clone());
            let kind = match rule {
                Rule::svc_exec => {
                    inner.presume(Rule::kw_exec);
                    ServiceStmtKind::Exec(self.expr(inner.presume(Rule::expr)))
                }
                Rule::svc_env => {
                    inner.presume(Rule::kw_env);
                    ServiceStmtKind::Env(self.expr(inner.presume(Rule::expr)))
                }
                Rule::svc_ready => {
                    inner.presume(Rule::kw_ready);
                    let probe = match inner.any().as_rule() {
                        Rule::kw_http => ProbeKind::Http,
                        Rule::kw_log => ProbeKind::Log,
                        _ => ProbeKind::Tcp,
                    };
                    let address = self.expr(inner.presume(Rule::expr));
                    inner.presume(Rule::kw_within);
                    let within = self.expr(inner.presume(Rule::expr));
                    ServiceStmtKind::Ready {
                        probe,
                        address,
                        within,
                    }
                }
                Rule::svc_cwd => {
                    inner.presume(Rule::kw_cwd);
                    ServiceStmtKind::Cwd(self.expr(inner.presume(Rule::expr)))
                }
                Rule::svc_stop => {
                    inner.presume(Rule::kw_stop);
                    let signal = inner
                        .optional(Rule::kw_signal)
                        .map(|_| self.name(inner.presume(Rule::ident)));
                    let grace = inner
                        .optional(Rule::kw_grace)
                        .map(|_| self.expr(inner.presume(Rule::expr)));
                    ServiceStmtKind::Stop { signal, grace }
                }
                Rule::svc_sample => {
                    inner.presume(Rule::kw_sample);
                    inner.presume(Rule::kw_every);
                    ServiceStmtKind::Sample(self.expr(inner.presume(Rule::expr)))
                }
                Rule::svc_scrape => ServiceStmtKind::Scrape(self.svc_scrape(stmt)),
                Rule::bad_stmt => {
                    self.bad_stmt(stmt, Context::Service);
                    continue;
                }
                other => grammar_bug(Rule::service_decl, Rule::svc_exec, Some(other)),
            };
            stmts.push(ServiceStmt { kind, span });
        }
        Service { name, stmts, span }
    }

    /// grammar: proxy_decl = { kw_proxy ~ ident ~ kw_tcp? ~ settings }
    pub(super) fn proxy_decl(&self, pair: Pair<'_, Rule>) -> Proxy {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_proxy);
        let name = self.name(kids.presume(Rule::ident));
        let tcp = kids.optional(Rule::kw_tcp).map(|k| self.span(&k));
        let settings = self.settings(kids.presume(Rule::settings));
        Proxy {
            name,
            tcp,
            settings,
            span,
        }
    }
}
