//! pest pairs → `ast` nodes, one function per grammar rule (each names the rule it mirrors).
//!
//! A structural mismatch between grammar and builder is a bug in stress and panics through
//! `Children::presume`. A bad *value* (unknown unit, bad escape, unknown statement) becomes a
//! `SyntaxError` with a span; building continues with a placeholder so that every problem of
//! the file is reported in one run.

mod declarations;
mod exprs;
mod scenarios;
mod test_block;
mod workloads;

use std::cell::RefCell;
use std::sync::LazyLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::error::SyntaxError;
use super::grammar::Rule;
use super::lex::{self, Lexer};
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
        .op(Op::prefix(Rule::op_not) | Op::prefix(Rule::op_neg) | Op::prefix(Rule::op_step))
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
    /// The block after a target's URL.
    Target,
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
            Context::Target => "target setting",
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
                ("scrape", Rule::svc_scrape),
            ],
            Context::Target => &[("scrape", Rule::svc_scrape)],
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
            None if self.spaced_unit(word, word_span) => {}
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

    /// `timeout 300 msec`, `think 2 s`: a word after a number on its line is its unit, written
    /// apart (the statement ended at the number, so the word read as the next one). Reports it
    /// and returns true when it is a unit or looks like one.
    fn spaced_unit(&self, word: &str, word_span: Span) -> bool {
        let before = &self.src[..word_span.start as usize];
        let gap = before.len() - before.trim_end_matches([' ', '\t']).len();
        let before = &before[..before.len() - gap];
        let number_len = before
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b'_')
            .count();
        let number = &before[before.len() - number_len..];
        let starts_a_name = before[..before.len() - number_len]
            .bytes()
            .next_back()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        if gap == 0 || !number.starts_with(|c: char| c.is_ascii_digit()) || starts_a_name {
            return false;
        }
        let number_span = Span::new(before.len() - number_len, before.len());
        if super::literal::is_unit(word) {
            self.push(SyntaxError::SpacedUnit {
                number: number.to_string(),
                unit: word.to_string(),
                span: Span::new(number_span.start as usize, word_span.end as usize).into(),
                help: format!("write `{number}{word}`"),
            });
            return true;
        }
        // Words of the language that follow a number (`iterations 2 as warm`, `rate 10/s for
        // 1m`) are misplaced words, never misspelled units.
        const AFTER_NUMBERS: [&str; 16] = [
            "as",
            "for",
            "over",
            "to",
            "in",
            "every",
            "within",
            "limit",
            "max",
            "users",
            "until",
            "at",
            "on",
            "if",
            "grace",
            "iterations",
        ];
        if AFTER_NUMBERS.contains(&word) {
            return false;
        }
        let Some(guess) = super::literal::guess_unit(word) else {
            return false;
        };
        self.push(SyntaxError::BadUnit {
            unit: word.to_string(),
            guess: exprs::did_you_mean(Some(guess)),
            span: word_span.into(),
            help: format!("write `{number}{guess}`, with no space"),
        });
        true
    }

    fn reparse(&self, rule: Rule, span: Span) {
        let start = span.start as usize;
        let text = &self.src[start..span.end as usize];
        let problem = match super::pest_parse(rule, text) {
            Err(err) => {
                let failure = SyntaxError::from_pest(&err, &self.src[start..], start);
                // As for the whole file: a string left open before the failure caused it, and
                // so may a bracket left open.
                let strings: Vec<usize> = super::unterminated_strings(text)
                    .into_iter()
                    .map(|at| start + at)
                    .filter(|at| *at < failure.span().offset())
                    .collect();
                for &at in &strings {
                    self.push(SyntaxError::UnterminatedString {
                        span: Span::new(at, at + 1).into(),
                    });
                }
                super::unclosed(self.src, start, text, &strings, &failure).unwrap_or(failure)
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
}

fn keyword_list(keywords: &[(&str, Rule)]) -> String {
    let mut words: Vec<String> = keywords.iter().map(|(k, _)| format!("`{k}`")).collect();
    words.dedup();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    super::error::join_alternatives(&refs)
}

/// Length of `text` up to the end of its last character of code, read by the lexical walker:
/// trailing whitespace and comments are not code; strings (with `${…}` interpolations, which
/// may hold strings of their own), raw strings and `"""` strings are.
fn code_len(text: &str) -> usize {
    let blank = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    Lexer::new(text)
        .filter_map(|t| match t.kind {
            lex::Kind::Comment => None,
            // Code other than brackets and quotes: up to its last character that is not blank.
            lex::Kind::Code => {
                let code = text[t.start..t.end].trim_end_matches(blank);
                (!code.trim_start_matches(blank).is_empty()).then_some(t.start + code.len())
            }
            // An unclosed string ends where its text did.
            lex::Kind::Unclosed { .. } => None,
            _ => Some(t.end),
        })
        .last()
        .unwrap_or(0)
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
            | Rule::op_step
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
