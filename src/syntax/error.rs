//! Syntax errors: pest's parse failure turned into "expected …, found …", and every bad literal
//! or unknown statement the builder finds. Only derives `Diagnostic`; rendering is `diag`'s job.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use super::grammar::{Rule, rule_name};
use crate::source::Span;

#[derive(Debug, Error, Diagnostic, Clone, PartialEq)]
pub enum SyntaxError {
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(stress::parse::unexpected))]
    Unexpected {
        expected: String,
        found: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("unknown {context} `{word}`")]
    #[diagnostic(code(stress::parse::unknown_statement))]
    UnknownStatement {
        word: String,
        context: &'static str,
        #[label("not a {context}")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("unknown unit `{unit}` in `{text}`")]
    #[diagnostic(code(stress::parse::bad_unit))]
    BadUnit {
        unit: String,
        text: String,
        #[label("unknown unit")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{text}` is not a number stress can use")]
    #[diagnostic(
        code(stress::parse::bad_number),
        help("numbers are decimal, like `42` or `1.5`")
    )]
    BadNumber {
        text: String,
        #[label("too large or malformed")]
        span: SourceSpan,
    },

    #[error("unknown escape `{text}` in a string")]
    #[diagnostic(
        code(stress::parse::bad_escape),
        help(
            "use one of \\\" \\\\ \\n \\t \\r \\$ \\u{{1F600}}, or a raw string 'like this' for no escapes"
        )
    )]
    BadEscape {
        text: String,
        #[label("not an escape")]
        span: SourceSpan,
    },

    #[error("unterminated string")]
    #[diagnostic(
        code(stress::parse::unterminated_string),
        help("close it with `\"` on the same line; use \"\"\"…\"\"\" for text over several lines")
    )]
    UnterminatedString {
        #[label("this string is never closed")]
        span: SourceSpan,
    },

    #[error("an expression with {operators} operators; stress reads at most {limit}")]
    #[diagnostic(code(stress::parse::too_long), help("split it with `let` constants"))]
    TooLong {
        operators: usize,
        limit: usize,
        #[label("this expression")]
        span: SourceSpan,
    },

    #[error("blocks are nested {depth} deep; stress reads at most {limit}")]
    #[diagnostic(
        code(stress::parse::too_deep),
        help("flatten the structure; real files nest a few levels")
    )]
    TooDeep {
        depth: usize,
        limit: usize,
        #[label("this bracket is too deep")]
        span: SourceSpan,
    },

    #[error("object fields need a `,` or a new line between them")]
    #[diagnostic(
        code(stress::parse::missing_comma),
        help("write `{{ a: 1, b: 2 }}`, or put each field on its own line")
    )]
    MissingComma {
        #[label("add `,` here")]
        span: SourceSpan,
    },
}

impl SyntaxError {
    pub fn span(&self) -> SourceSpan {
        match self {
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::UnknownStatement { span, .. }
            | SyntaxError::BadUnit { span, .. }
            | SyntaxError::BadNumber { span, .. }
            | SyntaxError::BadEscape { span, .. }
            | SyntaxError::UnterminatedString { span }
            | SyntaxError::MissingComma { span }
            | SyntaxError::TooLong { span, .. }
            | SyntaxError::TooDeep { span, .. } => *span,
        }
    }

    /// Converts pest's error into ours. `offset` is where the parsed text starts in the file
    /// (non-zero when one statement is re-parsed on its own).
    pub(crate) fn from_pest(err: &pest::error::Error<Rule>, text: &str, offset: usize) -> Self {
        let pos = match err.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
        let mut pos = pos;
        let mut expected: Vec<String> = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => positives
                .iter()
                .map(|r| rule_name(*r).to_string())
                .collect(),
            pest::error::ErrorVariant::CustomError { .. } => vec![],
        };
        // With error detail on, pest also records literal tokens (`:`, `{`) tried at the
        // farthest position, which its rule-only `positives` cannot name.
        if let Some(attempts) = err.parse_attempts() {
            if attempts.max_position > pos {
                pos = attempts.max_position;
                expected.clear();
            }
            if attempts.max_position == pos {
                for stack in attempts.call_stacks() {
                    if let Some(rule) = stack.deepest.get_rule() {
                        expected.push(rule_name(*rule).to_string());
                    }
                }
                for token in attempts.expected_tokens() {
                    let token = token.to_string();
                    let literal = !token.trim().is_empty()
                        && token != "#"
                        && token.chars().all(|c| c.is_ascii_punctuation())
                        && token.len() <= 3;
                    if literal {
                        expected.push(format!("`{token}`"));
                    }
                }
            }
        }
        expected.retain(|e| e != "input" && e != "whitespace");
        expected.sort_unstable();
        expected.dedup();
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        let expected = join_alternatives(&expected);
        let (found, width) = found_token(&text[pos.min(text.len())..]);
        let start = offset + pos;
        let span = Span::new(start, start + width).visible();
        let help = if found == "end of file" {
            Some("a `{`, `(`, `[` or string may have been left open above".to_string())
        } else {
            None
        };
        SyntaxError::Unexpected {
            label: format!("expected {expected}"),
            expected,
            found,
            span: span.into(),
            help,
        }
    }
}

/// "`a`, `b` or `c`"
pub(crate) fn join_alternatives(items: &[&str]) -> String {
    match items {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The next token's text for "found …" and its width in bytes.
fn found_token(rest: &str) -> (String, usize) {
    let Some(first) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if first == '\n' || first == '\r' {
        return ("end of line".to_string(), first.len_utf8());
    }
    let word_len: usize = rest
        .char_indices()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .map(|(_, c)| c.len_utf8())
        .sum();
    if word_len > 0 {
        let word = &rest[..word_len];
        let shown: String = word.chars().take(40).collect();
        return (format!("`{shown}`"), word_len);
    }
    if first.is_control() {
        return (format!("character {:?}", first), first.len_utf8());
    }
    (format!("`{first}`"), first.len_utf8())
}
