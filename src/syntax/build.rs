//! pest pairs → `ast` nodes, one function per grammar rule (each names the rule it mirrors).
//!
//! A structural mismatch between grammar and builder is a bug in stress and panics through
//! `Children::presume`. A bad *value* (unknown unit, bad escape, unknown statement) becomes a
//! `SyntaxError` with a span; building continues with a placeholder so that every problem of
//! the file is reported in one run.

use std::cell::RefCell;
use std::sync::LazyLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::error::SyntaxError;
use super::grammar::Rule;
use super::literal::{self, LiteralError};
use crate::ast::*;
use crate::source::Span;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_range, Assoc::Left))
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left)
            | Op::infix(Rule::op_div, Assoc::Left)
            | Op::infix(Rule::op_mod, Assoc::Left))
        .op(Op::prefix(Rule::op_not) | Op::prefix(Rule::op_neg))
        .op(Op::postfix(Rule::field)
            | Op::postfix(Rule::index)
            | Op::postfix(Rule::call_args)
            | Op::postfix(Rule::phase))
});

/// Children of one pair, consumed in grammar order.
struct Children<'i> {
    parent: Rule,
    inner: std::iter::Peekable<Pairs<'i, Rule>>,
}

impl<'i> Children<'i> {
    fn new(pair: Pair<'i, Rule>) -> Self {
        Self {
            parent: pair.as_rule(),
            inner: pair.into_inner().peekable(),
        }
    }

    #[track_caller]
    fn presume(&mut self, rule: Rule) -> Pair<'i, Rule> {
        match self.inner.next() {
            Some(pair) if pair.as_rule() == rule => pair,
            other => grammar_bug(self.parent, rule, other.map(|p| p.as_rule())),
        }
    }

    fn optional(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        match self.inner.peek() {
            Some(pair) if pair.as_rule() == rule => self.inner.next(),
            _ => None,
        }
    }

    #[track_caller]
    fn any(&mut self) -> Pair<'i, Rule> {
        match self.inner.next() {
            Some(pair) => pair,
            None => grammar_bug(self.parent, Rule::EOI, None),
        }
    }

    fn rest(self) -> impl Iterator<Item = Pair<'i, Rule>> {
        self.inner
    }
}

#[track_caller]
fn grammar_bug(parent: Rule, wanted: Rule, found: Option<Rule>) -> ! {
    panic!(
        "bug in stress: grammar and builder disagree in {parent:?}: wanted {wanted:?}, found {found:?}"
    )
}

/// Where a statement stands, for "unknown …" messages and re-parsing a malformed one.
#[derive(Clone, Copy)]
enum Context {
    Top,
    Service,
    Step,
    Request,
    Retry,
    Budget,
    Rule,
    Stage,
    Test,
    Chaos,
}

impl Context {
    fn noun(self) -> &'static str {
        match self {
            Context::Top => "declaration",
            Context::Service => "service setting",
            Context::Step => "step",
            Context::Request => "request setting",
            Context::Retry => "retry setting",
            Context::Budget => "budget item",
            Context::Rule => "fault rule",
            Context::Stage => "profile stage",
            Context::Test => "test statement",
            Context::Chaos => "chaos statement",
        }
    }

    /// The words that may start a statement here, with the rule that parses it.
    fn keywords(self) -> Vec<(&'static str, Rule)> {
        let fixed: &[(&str, Rule)] = match self {
            Context::Top => &[
                ("let", Rule::let_decl),
                ("data", Rule::data_decl),
                ("target", Rule::target_decl),
                ("service", Rule::service_decl),
                ("proxy", Rule::proxy_decl),
                ("workload", Rule::workload_decl),
                ("scenario", Rule::scenario_decl),
                ("profile", Rule::profile_decl),
                ("test", Rule::test_decl),
            ],
            Context::Service => &[
                ("exec", Rule::svc_exec),
                ("env", Rule::svc_env),
                ("cwd", Rule::svc_cwd),
                ("ready", Rule::svc_ready),
                ("stop", Rule::svc_stop),
                ("sample", Rule::svc_sample),
            ],
            Context::Step => &[
                ("request", Rule::request_step),
                ("poll", Rule::poll_step),
                ("think", Rule::think_step),
                ("repeat", Rule::repeat_step),
                ("set", Rule::set_step),
                ("with", Rule::probability_step),
                ("choose", Rule::choose_step),
                ("retry", Rule::retry_block),
                ("budget", Rule::budget_block),
            ],
            Context::Request => &[
                ("header", Rule::header_stmt),
                ("query", Rule::query_stmt),
                ("json", Rule::json_stmt),
                ("body", Rule::body_stmt),
                ("form", Rule::form_stmt),
                ("timeout", Rule::timeout_stmt),
                ("check", Rule::check_stmt),
                ("capture", Rule::capture_stmt),
                ("retry", Rule::retry_block),
                ("on", Rule::on_failure_stmt),
            ],
            Context::Retry => &[
                ("attempts", Rule::retry_attempts),
                ("on", Rule::retry_on),
                ("backoff", Rule::retry_backoff),
                ("jitter", Rule::retry_jitter),
                ("respect", Rule::retry_respect),
                ("ignore", Rule::retry_respect),
            ],
            Context::Budget => &[("time", Rule::budget_item), ("cost", Rule::budget_item)],
            // The named rules come from the vocabulary table, then `when`.
            Context::Rule => {
                return crate::vocab::Rule::names()
                    .map(|name| (name, Rule::call_rule))
                    .chain([("when", Rule::when_rule)])
                    .collect();
            }
            Context::Stage => &[
                ("users", Rule::users_stage),
                ("iterations", Rule::iterations_stage),
                ("hold", Rule::hold_stage),
                ("ramp", Rule::ramp_users_stage),
                ("rate", Rule::rate_stage),
                ("pause", Rule::pause_stage),
                ("repeat", Rule::repeat_stage),
                ("max", Rule::max_users_stage),
                ("limit", Rule::limit_stage),
            ],
            Context::Test => &[
                ("workload", Rule::test_workload),
                ("profile", Rule::test_profile),
                ("scenarios", Rule::test_scenarios),
                ("inject", Rule::test_inject),
                ("seed", Rule::test_seed),
                ("services", Rule::test_services),
                ("chaos", Rule::test_chaos),
                ("slo", Rule::slo_block),
            ],
            Context::Chaos => &[
                ("faults", Rule::chaos_faults),
                ("start", Rule::chaos_action),
                ("stop", Rule::chaos_action),
                ("pause", Rule::chaos_hold),
                ("down", Rule::chaos_hold),
                ("restart", Rule::chaos_hold),
            ],
        };
        fixed.to_vec()
    }
}

pub(crate) struct Builder<'s> {
    src: &'s str,
    problems: RefCell<Vec<SyntaxError>>,
}

impl<'s> Builder<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Self {
            src,
            problems: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn into_problems(self) -> Vec<SyntaxError> {
        self.problems.into_inner()
    }

    fn push(&self, problem: SyntaxError) {
        self.problems.borrow_mut().push(problem);
    }

    /// A pair's span, without the whitespace and comments pest's implicit whitespace may have
    /// consumed at its end (before an optional part that was absent).
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(
            s.start(),
            s.start() + code_len(&self.src[s.start()..s.end()]),
        )
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        debug_assert_eq!(pair.as_rule(), Rule::ident);
        Name {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    /// grammar: file = { SOI ~ item* ~ EOI }
    pub(crate) fn file(&self, pair: Pair<'_, Rule>) -> File {
        let span = self.span(&pair);
        let mut items = Vec::new();
        for item in pair.into_inner() {
            let built = match item.as_rule() {
                Rule::let_decl => Item::Let(self.let_decl(item)),
                Rule::data_decl => Item::Data(self.data_decl(item)),
                Rule::target_decl => Item::Target(self.target_decl(item)),
                Rule::service_decl => Item::Service(self.service_decl(item)),
                Rule::proxy_decl => Item::Proxy(self.proxy_decl(item)),
                Rule::workload_decl => Item::Workload(self.workload_decl(item)),
                Rule::scenario_decl => Item::Scenario(self.scenario_decl(item)),
                Rule::profile_decl => Item::Profile(self.profile_decl(item)),
                Rule::test_decl => Item::Test(self.test_decl(item)),
                Rule::bad_item => {
                    self.bad_stmt(item, Context::Top);
                    continue;
                }
                Rule::EOI => continue,
                other => grammar_bug(Rule::file, Rule::item, Some(other)),
            };
            items.push(built);
        }
        File { items, span }
    }

    /// grammar: bad_stmt = ${ ident ~ bad_tail }. A known keyword is re-parsed with its own
    /// rule so pest's error lands on the exact token; an unknown one gets "did you mean".
    fn bad_stmt(&self, pair: Pair<'_, Rule>, context: Context) {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        let word = kids.presume(Rule::ident);
        let word_span = self.span(&word);
        let word = word.as_str();
        let keywords = context.keywords();
        let mut rule = keywords.iter().find(|(k, _)| *k == word).map(|(_, r)| *r);
        let text = &self.src[span.start as usize..span.end as usize];
        if matches!(rule, Some(Rule::ramp_users_stage))
            && text.split_whitespace().nth(1) == Some("rate")
        {
            rule = Some(Rule::ramp_rate_stage);
        }
        if matches!(context, Context::Rule)
            && rule.is_none()
            && text[word.len()..].trim_start().starts_with('(')
        {
            rule = Some(Rule::call_rule);
        }
        match rule {
            Some(rule) => self.reparse(rule, span),
            None => {
                let known = keywords.iter().map(|(k, _)| *k);
                let help = match crate::suggest::did_you_mean(word, known) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "a {} starts with {}",
                        context.noun(),
                        keyword_list(&keywords)
                    ),
                };
                let help = match (context, word) {
                    (Context::Test, "scenario") => {
                        "a test lists its scenarios with `scenarios a, b`".to_string()
                    }
                    (Context::Stage, "duration") => "write `hold N users for 30s`".to_string(),
                    _ => help,
                };
                self.push(SyntaxError::UnknownStatement {
                    word: word.to_string(),
                    context: context.noun(),
                    span: word_span.into(),
                    help,
                });
            }
        }
    }

    fn reparse(&self, rule: Rule, span: Span) {
        let start = span.start as usize;
        let text = &self.src[start..span.end as usize];
        let problem = match super::pest_parse(rule, text) {
            Err(err) => {
                let failure = SyntaxError::from_pest(&err, &self.src[start..], start);
                // As for the whole file: a string left open before the failure caused it.
                for at in super::unterminated_strings(text) {
                    if start + at < failure.span().offset() {
                        self.push(SyntaxError::UnterminatedString {
                            span: Span::new(start + at, start + at + 1).into(),
                        });
                    }
                }
                failure
            }
            Ok(pairs) => {
                let consumed = pairs.last().map_or(0, |p| p.as_span().end());
                let at = start + consumed;
                let rest = &self.src[at..];
                let token: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .take(40)
                    .collect();
                let found = if token.is_empty() {
                    "end of line".to_string()
                } else {
                    format!("`{token}`")
                };
                SyntaxError::Unexpected {
                    expected: "the end of the statement".to_string(),
                    found,
                    span: Span::new(at, at + token.len()).visible().into(),
                    label: "unexpected here".to_string(),
                    help: Some("put one statement per line, or separate them with `,`".to_string()),
                }
            }
        };
        self.push(problem);
    }

    // ── Declarations ──────────────────────────────────────────────────

    /// grammar: let_decl = { kw_let ~ ident ~ "=" ~ expr }
    fn let_decl(&self, pair: Pair<'_, Rule>) -> Let {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_let);
        let name = self.name(kids.presume(Rule::ident));
        let value = self.expr(kids.presume(Rule::expr));
        Let { name, value, span }
    }

    /// grammar: data_decl = { kw_data ~ ident ~ "=" ~ expr }
    fn data_decl(&self, pair: Pair<'_, Rule>) -> Data {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_data);
        let name = self.name(kids.presume(Rule::ident));
        let source = self.expr(kids.presume(Rule::expr));
        Data { name, source, span }
    }

    /// grammar: target_decl = { kw_target ~ ident ~ (target_url | target_mock) }
    fn target_decl(&self, pair: Pair<'_, Rule>) -> Target {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_target);
        let name = self.name(kids.presume(Rule::ident));
        let body = kids.any();
        let kind = match body.as_rule() {
            Rule::target_url => {
                let mut inner = Children::new(body);
                TargetKind::Url(self.expr(inner.presume(Rule::expr)))
            }
            Rule::target_mock => {
                let mut inner = Children::new(body);
                inner.presume(Rule::kw_mock);
                TargetKind::Mock(self.settings(inner.presume(Rule::settings)))
            }
            other => grammar_bug(Rule::target_decl, Rule::target_url, Some(other)),
        };
        Target { name, kind, span }
    }

    /// grammar: settings = { "{" ~ (setting ~ sep?)* ~ "}" }
    fn settings(&self, pair: Pair<'_, Rule>) -> Vec<Setting> {
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
    fn service_decl(&self, pair: Pair<'_, Rule>) -> Service {
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

    /// grammar: proxy_decl = { kw_proxy ~ ident ~ settings }
    fn proxy_decl(&self, pair: Pair<'_, Rule>) -> Proxy {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_proxy);
        let name = self.name(kids.presume(Rule::ident));
        let settings = self.settings(kids.presume(Rule::settings));
        Proxy {
            name,
            settings,
            span,
        }
    }

    // ── Workloads ─────────────────────────────────────────────────────

    /// grammar: workload_decl = { kw_workload ~ ident ~ step_block }
    fn workload_decl(&self, pair: Pair<'_, Rule>) -> Workload {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_workload);
        let name = self.name(kids.presume(Rule::ident));
        let steps = self.step_block(kids.presume(Rule::step_block));
        Workload { name, steps, span }
    }

    /// grammar: step_block = { "{" ~ (step ~ sep?)* ~ "}" }
    fn step_block(&self, pair: Pair<'_, Rule>) -> Vec<Step> {
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
    fn request_step(&self, pair: Pair<'_, Rule>) -> Request {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        let _keyword = kids.any();
        self.request_rest(&mut kids, span)
    }

    fn request_rest(&self, kids: &mut Children<'_>, span: Span) -> Request {
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
    fn poll_step(&self, pair: Pair<'_, Rule>) -> Poll {
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
    fn request_block(&self, pair: Pair<'_, Rule>) -> Vec<RequestStmt> {
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
    fn retry_block(&self, pair: Pair<'_, Rule>) -> Retry {
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
    fn budget_block(&self, pair: Pair<'_, Rule>) -> Vec<BudgetItem> {
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

    // ── Scenarios ─────────────────────────────────────────────────────

    /// grammar: scenario_decl = { kw_scenario ~ ident ~ (scenario_compose | rule_block) }
    fn scenario_decl(&self, pair: Pair<'_, Rule>) -> Scenario {
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
    fn scenario_expr(&self, pair: Pair<'_, Rule>) -> ScenarioExpr {
        let span = self.span(&pair);
        let parts = pair.into_inner().map(|p| self.name(p)).collect();
        ScenarioExpr { parts, span }
    }

    /// grammar: rule_block = { "{" ~ (rule ~ sep?)* ~ "}" }
    fn rule_block(&self, pair: Pair<'_, Rule>) -> Vec<crate::ast::Rule> {
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
    fn fault(&self, pair: Pair<'_, Rule>) -> FaultExpr {
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
    fn profile_decl(&self, pair: Pair<'_, Rule>) -> Profile {
        let span = self.span(&pair);
        let mut kids = Children::new(pair);
        kids.presume(Rule::kw_profile);
        let name = self.name(kids.presume(Rule::ident));
        let stages = self.stage_block(kids.presume(Rule::stage_block));
        Profile { name, stages, span }
    }

    /// grammar: stage_block = { "{" ~ (stage ~ sep?)* ~ "}" }
    fn stage_block(&self, pair: Pair<'_, Rule>) -> Vec<Stage> {
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
    fn stage_mod(&self, pair: Pair<'_, Rule>) -> StageMod {
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

    // ── Tests ─────────────────────────────────────────────────────────

    /// grammar: test_decl = { kw_test ~ expr ~ "{" ~ (test_stmt ~ sep?)* ~ "}" }
    fn test_decl(&self, pair: Pair<'_, Rule>) -> Test {
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
                            self.name(inner.presume(Rule::ident)),
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
    fn chaos(&self, mut kids: Children<'_>) -> Chaos {
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
                    ChaosStmtKind::Faults(inner.rest().map(|e| self.scenario_expr(e)).collect())
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
    fn slo_block(&self, pair: Pair<'_, Rule>) -> Vec<SloStmt> {
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

    // ── Expressions ───────────────────────────────────────────────────

    /// grammar: expr = { unary* ~ postfixed ~ (infix ~ unary* ~ postfixed)* }
    pub(crate) fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        debug_assert_eq!(pair.as_rule(), Rule::expr);
        let operators = pair
            .clone()
            .into_inner()
            .filter(|p| is_operator(p.as_rule()))
            .count();
        if operators > super::MAX_OPERATORS {
            let span = self.span(&pair);
            self.push(SyntaxError::TooLong {
                operators,
                limit: super::MAX_OPERATORS,
                span: span.into(),
            });
            return Expr {
                kind: ExprKind::Number {
                    value: 0.0,
                    integer: true,
                },
                span,
            };
        }
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, operand| {
                let span = self.span(&op).to(operand.span);
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                Expr {
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    span,
                }
            })
            .map_postfix(|base, op| self.postfix(base, op))
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_range => BinaryOp::Range,
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    Rule::op_mod => BinaryOp::Mod,
                    other => grammar_bug(Rule::expr, Rule::op_add, Some(other)),
                };
                Expr {
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                }
            })
            .parse(pair.into_inner())
    }

    fn postfix(&self, base: Expr, op: Pair<'_, Rule>) -> Expr {
        let span = base.span.to(self.span(&op));
        let rule = op.as_rule();
        let mut kids = Children::new(op);
        let kind = match rule {
            Rule::field => ExprKind::Field {
                base: Box::new(base),
                field: self.name(kids.presume(Rule::ident)),
            },
            Rule::index => ExprKind::Index {
                base: Box::new(base),
                index: Box::new(self.expr(kids.presume(Rule::expr))),
            },
            Rule::call_args => ExprKind::Call {
                callee: Box::new(base),
                args: kids
                    .rest()
                    .map(|arg| {
                        let span = self.span(&arg);
                        let mut a = Children::new(arg);
                        let name = a.optional(Rule::ident).map(|n| self.name(n));
                        let value = self.expr(a.presume(Rule::expr));
                        Arg { name, value, span }
                    })
                    .collect(),
            },
            Rule::phase => {
                let phase = match kids.any().as_rule() {
                    Rule::kw_before => PhaseKind::Before,
                    Rule::kw_during => PhaseKind::During,
                    _ => PhaseKind::After,
                };
                ExprKind::Phase {
                    base: Box::new(base),
                    phase,
                    name: self.name(kids.presume(Rule::ident)),
                }
            }
            other => grammar_bug(Rule::expr, Rule::field, Some(other)),
        };
        Expr { kind, span }
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::ident => ExprKind::Name(self.name(pair)),
            Rule::quantity => self.quantity(pair),
            Rule::money => {
                let mut kids = Children::new(pair);
                let number = kids.presume(Rule::number);
                match literal::money(number.as_str()) {
                    Ok(m) => ExprKind::Money(m),
                    Err(_) => {
                        self.push(SyntaxError::BadNumber {
                            text: number.as_str().to_string(),
                            span: span.into(),
                        });
                        ExprKind::Money(crate::units::Money(0.0))
                    }
                }
            }
            Rule::string | Rule::triple_string => ExprKind::Str(self.string_parts(pair, span)),
            Rule::raw_string => {
                let mut kids = Children::new(pair);
                let text = kids.presume(Rule::raw_text).as_str().to_string();
                if kids.presume(Rule::raw_close).as_str().is_empty() {
                    self.push(SyntaxError::UnterminatedString {
                        span: Span::new(span.start as usize, span.start as usize + 1).into(),
                    });
                }
                ExprKind::RawStr(text)
            }
            Rule::list => ExprKind::List(pair.into_inner().map(|e| self.expr(e)).collect()),
            Rule::object => ExprKind::Object({
                self.object_separators(&pair);
                pair.into_inner()
                    .map(|entry| {
                        let span = self.span(&entry);
                        let mut kids = Children::new(entry);
                        let key_pair = kids.any();
                        let key = if key_pair.as_rule() == Rule::ident {
                            self.name(key_pair)
                        } else {
                            let key_span = self.span(&key_pair);
                            let key_expr = self.primary(key_pair);
                            let text = key_expr.as_plain_str().unwrap_or_else(|| {
                                self.src[key_span.start as usize..key_span.end as usize].to_string()
                            });
                            Name {
                                text,
                                span: key_span,
                            }
                        };
                        let value = self.expr(kids.presume(Rule::expr));
                        Entry { key, value, span }
                    })
                    .collect()
            }),
            Rule::paren => {
                let mut kids = Children::new(pair);
                ExprKind::Paren(Box::new(self.expr(kids.presume(Rule::expr))))
            }
            other => grammar_bug(Rule::expr, Rule::ident, Some(other)),
        };
        Expr { kind, span }
    }

    /// Two fields of an object on one line need a `,` between them (LANGUAGE.md §9.1–2): the
    /// grammar makes the comma optional so that a new line can stand for it.
    fn object_separators(&self, pair: &Pair<'_, Rule>) {
        let mut previous: Option<usize> = None;
        for entry in pair.clone().into_inner() {
            let span = entry.as_span();
            if let Some(end) = previous {
                let between = &self.src[end..span.start()];
                if !between.contains([',', '\n', '\r']) {
                    self.push(SyntaxError::MissingComma {
                        span: Span::new(end, end).into(),
                    });
                }
            }
            // The pair may end after trailing whitespace: measure from its last character.
            previous = Some(span.start() + span.as_str().trim_end().len());
        }
    }

    /// grammar: quantity = ${ number ~ unit? }
    fn quantity(&self, pair: Pair<'_, Rule>) -> ExprKind {
        let span = self.span(&pair);
        let text = pair.as_str().to_string();
        let mut kids = Children::new(pair);
        let number = kids.presume(Rule::number);
        let integer = !number.as_str().contains('.');
        let Some(unit) = kids.optional(Rule::unit) else {
            return match literal::number(number.as_str()) {
                Ok(value) => ExprKind::Number { value, integer },
                Err(_) => {
                    self.push(SyntaxError::BadNumber {
                        text,
                        span: span.into(),
                    });
                    ExprKind::Number {
                        value: 0.0,
                        integer: true,
                    }
                }
            };
        };
        match literal::quantity(number.as_str(), unit.as_str()) {
            Ok(kind) => kind,
            Err(LiteralError::Number) => {
                self.push(SyntaxError::BadNumber {
                    text,
                    span: span.into(),
                });
                ExprKind::Number {
                    value: 0.0,
                    integer: true,
                }
            }
            Err(LiteralError::Unit { help }) => {
                self.push(SyntaxError::BadUnit {
                    unit: unit.as_str().to_string(),
                    text,
                    span: self.span(&unit).into(),
                    help,
                });
                ExprKind::Number {
                    value: 0.0,
                    integer: true,
                }
            }
        }
    }

    fn string_parts(&self, pair: Pair<'_, Rule>, span: Span) -> Vec<StrPart> {
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, text: &str| {
            if let Some(StrPart::Text(last)) = parts.last_mut() {
                last.push_str(text);
            } else {
                parts.push(StrPart::Text(text.to_string()));
            }
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::str_text | Rule::triple_text => push_text(&mut parts, part.as_str()),
                Rule::escape => match literal::escape(part.as_str()) {
                    Some(text) => push_text(&mut parts, &text),
                    None => self.push(SyntaxError::BadEscape {
                        text: part.as_str().to_string(),
                        span: self.span(&part).visible().into(),
                    }),
                },
                Rule::interp => {
                    let mut kids = Children::new(part);
                    parts.push(StrPart::Interp(self.expr(kids.presume(Rule::expr))));
                }
                Rule::str_close => {
                    if part.as_str().is_empty() {
                        self.push(SyntaxError::UnterminatedString {
                            span: Span::new(span.start as usize, span.start as usize + 1).into(),
                        });
                    }
                }
                other => grammar_bug(Rule::string, Rule::str_text, Some(other)),
            }
        }
        parts
    }
}

fn keyword_list(keywords: &[(&str, Rule)]) -> String {
    let mut words: Vec<String> = keywords.iter().map(|(k, _)| format!("`{k}`")).collect();
    words.dedup();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    super::error::join_alternatives(&refs)
}

/// Length of `text` up to the end of its last character of code: trailing whitespace and
/// comments are not code; strings (with `${…}` interpolations, which may hold strings of their
/// own), raw strings and `"""` strings are.
fn code_len(text: &str) -> usize {
    #[derive(Clone, Copy)]
    enum Mode {
        /// Code; `braces` counts `{` opened since this mode began (an interpolation ends at
        /// the `}` that balances its `${`).
        Code {
            braces: usize,
        },
        Str,
        Triple,
        Raw,
    }
    let bytes = text.as_bytes();
    let mut stack = vec![Mode::Code { braces: 0 }];
    let mut end = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &bytes[i..];
        let top = stack.len() - 1;
        let mut step = 1;
        match stack[top] {
            Mode::Code { braces } => match b {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'#' => {
                    while i + step < bytes.len() && bytes[i + step] != b'\n' {
                        step += 1;
                    }
                }
                _ => {
                    if rest.starts_with(b"\"\"\"") {
                        stack.push(Mode::Triple);
                        step = 3;
                    } else {
                        match b {
                            b'"' => stack.push(Mode::Str),
                            b'\'' => stack.push(Mode::Raw),
                            b'{' => stack[top] = Mode::Code { braces: braces + 1 },
                            b'}' if braces == 0 && top > 0 => {
                                stack.pop();
                            }
                            b'}' => {
                                stack[top] = Mode::Code {
                                    braces: braces.saturating_sub(1),
                                }
                            }
                            _ => {}
                        }
                    }
                    end = i + step;
                }
            },
            mode @ (Mode::Str | Mode::Triple) => {
                let triple = matches!(mode, Mode::Triple);
                if b == b'\\' {
                    step = 2;
                } else if rest.starts_with(b"${") {
                    stack.push(Mode::Code { braces: 0 });
                    step = 2;
                } else if triple && rest.starts_with(b"\"\"\"") {
                    stack.pop();
                    step = 3;
                } else if !triple && (b == b'"' || b == b'\n') {
                    stack.pop();
                }
                if triple || b != b'\n' {
                    end = (i + step).min(bytes.len());
                }
            }
            Mode::Raw => {
                if b == b'\'' || b == b'\n' {
                    stack.pop();
                }
                if b != b'\n' {
                    end = i + 1;
                }
            }
        }
        i += step;
    }
    end
}
fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::op_range
            | Rule::op_or
            | Rule::op_and
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_lt
            | Rule::op_le
            | Rule::op_gt
            | Rule::op_ge
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::op_mod
            | Rule::op_not
            | Rule::op_neg
            | Rule::field
            | Rule::index
            | Rule::call_args
            | Rule::phase
    )
}

/// The service operation a keyword names (`pause`, `resume`, `restart`, `down`, `up`).
fn service_op(keyword: Option<Pair<'_, Rule>>) -> ServiceOp {
    match keyword.map(|k| k.as_rule()) {
        Some(Rule::kw_pause) => ServiceOp::Pause,
        Some(Rule::kw_resume) => ServiceOp::Resume,
        Some(Rule::kw_restart) => ServiceOp::Restart,
        Some(Rule::kw_down) => ServiceOp::Down,
        Some(Rule::kw_up) => ServiceOp::Up,
        other => grammar_bug(Rule::svc_op, Rule::kw_pause, other),
    }
}
