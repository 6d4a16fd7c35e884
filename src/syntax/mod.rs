//! Stage 1: `.stress` text → `ast::File`. pest lives only in this module.
//!
//! Reports every syntax problem it can find in one pass: pest's own failure is fatal (pest
//! stops at the first), but malformed statements inside blocks are caught by the grammar's
//! `bad_stmt` fallback and reported one by one, and bad literals are reported with placeholders.

mod build;
mod delimiters;
mod error;
mod grammar;
pub(crate) mod lex;
pub(crate) mod literal;

pub use error::SyntaxError;

use pest::Parser;

use crate::ast;
use crate::source::{SourceFile, Span};
use grammar::{Rule, StressParser};

/// Deepest bracket nesting read. Deeper input is refused before pest sees it, so that no input
/// can exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Most operators in one expression (real ones have a handful); bounds the tree's depth.
pub const MAX_OPERATORS: usize = 256;

/// Parses one file into its syntax tree, or returns every syntax problem found.
pub fn parse(file: &SourceFile) -> Result<ast::File, Vec<SyntaxError>> {
    let text: &str = &file.text;
    if let Some(problem) = too_deep(text) {
        return Err(vec![problem]);
    }
    let mut pairs = match pest_parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(err) => {
            // pest stops at the first failure, which an unclosed string usually causes lines
            // later (a `{` or `}` in it became text): name every such string before it too.
            let failure = SyntaxError::from_pest(&err, text, 0);
            let strings: Vec<usize> = unterminated_strings(text)
                .into_iter()
                .filter(|at| *at < failure.span().offset())
                .collect();
            let mut problems: Vec<SyntaxError> = strings
                .iter()
                .map(|&at| SyntaxError::UnterminatedString {
                    span: Span::new(at, at + 1).into(),
                })
                .collect();
            // A bracket left open before the failure explains it better than pest's position
            // (often lines later, or the end of the file), unless an open string came first:
            // it swallowed the closing bracket.
            problems.push(unclosed(text, 0, text, &strings, &failure).unwrap_or(failure));
            return Err(problems);
        }
    };
    let builder = build::Builder::new(text);
    let root = pairs
        .next()
        .expect("a successful parse of `file` yields one `file` pair");
    let ast = builder.file(root);
    let mut problems = builder.into_problems();
    if problems.is_empty() {
        Ok(ast)
    } else {
        problems.sort_by_key(|p| (p.span().offset(), p.span().len()));
        problems.dedup();
        Err(problems)
    }
}

/// Runs pest. A success is parsed without pest's error detail (tracking every attempt more
/// than doubles the work); a failure is parsed again with it, so that "expected …" can name
/// literal tokens such as `:`. The detail switch is global in pest, hence the lock.
pub(crate) fn pest_parse(
    rule: Rule,
    text: &str,
) -> Result<pest::iterators::Pairs<'_, Rule>, Box<pest::error::Error<Rule>>> {
    static DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = DETAIL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    pest::set_error_detail(false);
    match StressParser::parse(rule, text) {
        Ok(pairs) => Ok(pairs),
        Err(_) => {
            pest::set_error_detail(true);
            let detailed = StressParser::parse(rule, text).map_err(Box::new);
            pest::set_error_detail(false);
            detailed
        }
    }
}

/// The bracket left open in `part` (which starts `offset` bytes into the file `text`), as the
/// error to report instead of pest's `failure`: when it opens before the failure, and no string
/// was left open before the failure (at `strings`, file offsets): such a string may have
/// swallowed the closing bracket of any block around it, and is the one to report.
fn unclosed(
    text: &str,
    offset: usize,
    part: &str,
    strings: &[usize],
    failure: &SyntaxError,
) -> Option<SyntaxError> {
    let u = delimiters::unclosed(part)?.shifted(offset);
    let explains = u.open <= failure.span().offset() && strings.is_empty();
    explains.then(|| SyntaxError::unclosed(text, &u))
}

/// The opening quotes of the `"…"` and `'…'` strings that a line end (or the end of the text)
/// reaches before their closing quote, read as text that failed to parse: a line end inside a
/// `${…}` of such a string ends it (see [`lex::Lexer::recovering`]).
fn unterminated_strings(text: &str) -> Vec<usize> {
    lex::Lexer::recovering(text)
        .filter_map(|t| match t.kind {
            lex::Kind::Unclosed { open, quote } if quote != lex::Quote::Triple => Some(open),
            _ => None,
        })
        .collect()
}

/// The first bracket nested deeper than `MAX_DEPTH`, outside strings and comments. A `${…}`
/// nests like a bracket, and its code may span lines, as pest reads it.
fn too_deep(text: &str) -> Option<SyntaxError> {
    let mut depth = 0usize;
    let deepest = lex::Lexer::new(text).find_map(|t| {
        match t.kind {
            lex::Kind::Open | lex::Kind::InterpolationStart => {
                depth += 1;
                if depth > MAX_DEPTH {
                    // The bracket itself (the `{` of `${`).
                    return Some(t.end - 1);
                }
            }
            lex::Kind::Close | lex::Kind::InterpolationEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        None
    });
    deepest.map(|i| SyntaxError::TooDeep {
        depth,
        limit: MAX_DEPTH,
        span: Span::new(i, i + 1).into(),
    })
}

#[cfg(test)]
mod tests;
