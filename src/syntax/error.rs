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

    #[error("unknown unit `{unit}`{guess}")]
    #[diagnostic(code(stress::parse::bad_unit))]
    BadUnit {
        unit: String,
        /// ", did you mean `ms`?" or nothing.
        guess: String,
        #[label("unknown unit")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("a space between the number `{number}` and its unit `{unit}`")]
    #[diagnostic(code(stress::parse::bad_unit))]
    SpacedUnit {
        number: String,
        unit: String,
        #[label("no space before a unit")]
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

    #[error("unclosed `{delimiter}`")]
    #[diagnostic(code(stress::parse::unclosed))]
    Unclosed {
        delimiter: char,
        #[label(primary, "unclosed `{delimiter}` opened here")]
        open: SourceSpan,
        #[label("{end_label}")]
        end: SourceSpan,
        end_label: &'static str,
        #[label("this closes it by position, but is indented like an outer block")]
        taken_by: Option<SourceSpan>,
        #[help]
        help: String,
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
            | SyntaxError::SpacedUnit { span, .. }
            | SyntaxError::BadNumber { span, .. }
            | SyntaxError::BadEscape { span, .. }
            | SyntaxError::UnterminatedString { span }
            | SyntaxError::MissingComma { span }
            | SyntaxError::TooLong { span, .. }
            | SyntaxError::TooDeep { span, .. } => *span,
            SyntaxError::Unclosed { open, .. } => *open,
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
        let expected = in_words(expected);
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

impl SyntaxError {
    /// The diagnostic for a bracket left open (see [`super::delimiters`]).
    pub(crate) fn unclosed(text: &str, u: &super::delimiters::Unclosed) -> Self {
        use super::delimiters::End;
        let closer = match u.delimiter {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        let line_of = |i: usize| text[..i].matches('\n').count() + 1;
        let one = |i: usize| -> SourceSpan { Span::new(i, i + 1).into() };
        let (end, end_label, taken_by, help) = match u.end {
            End::File { at, taken_by } => {
                let help = match taken_by {
                    Some(c) => format!(
                        "add the missing `{closer}` before the `{closer}` on line {}, which is indented like an outer block",
                        line_of(c)
                    ),
                    None => format!("add the missing `{closer}`"),
                };
                (one(at), "the file ends here", taken_by.map(one), help)
            }
            End::Closer { at, delimiter } => (
                one(at),
                "the enclosing block ends here",
                None,
                format!("close it with `{closer}` before this `{delimiter}`"),
            ),
        };
        SyntaxError::Unclosed {
            delimiter: u.delimiter,
            open: one(u.open),
            end,
            end_label,
            taken_by,
            help,
        }
    }
}

/// The tokens pest tried, as a reader of the language names them: no grammar internals (the
/// `_` that may start a name, a string's `\\`, "a file"), the operators that may continue an
/// expression as one "an operator", the parts of a string as its closing quote.
fn in_words(mut expected: Vec<String>) -> Vec<String> {
    const OPERATORS: &[&str] = &[
        "`!=`", "`%`", "`&&`", "`*`", "`+`", "`-`", "`..`", "`/`", "`<=`", "`<`", "`==`", "`>=`",
        "`>`", "`||`",
    ];
    // What may follow an expression besides an operator, shown only when no operator is.
    const CONTINUATIONS: &[&str] = &["`.`", "`.field`", "`[`", "`before`, `during` or `after`"];
    const INTERNAL: &[&str] = &[
        "input",
        "whitespace",
        "a file",
        "`_`",
        "`\\`",
        "`'`",
        "`${`",
    ];
    let in_string = expected.iter().any(|e| e == "text" || e == "an escape");
    expected.retain(|e| !INTERNAL.contains(&e.as_str()));
    if in_string {
        expected.retain(|e| e != "text" && e != "an escape" && e != "`\"`");
        expected.push("the closing `\"`".to_string());
    }
    let operators = expected
        .iter()
        .filter(|e| OPERATORS.contains(&e.as_str()))
        .count();
    if operators >= 3 {
        expected
            .retain(|e| !OPERATORS.contains(&e.as_str()) && !CONTINUATIONS.contains(&e.as_str()));
        expected.push("an operator".to_string());
    }
    if expected.iter().any(|e| e == "a string") {
        expected.retain(|e| e != "`\"`");
    }
    if expected.iter().any(|e| e == "`.field`") {
        expected.retain(|e| e != "`.`");
    }
    // Words of the language first (keywords and punctuation, in backticks), then the kinds of
    // thing ("a name", "an operator").
    expected.sort_unstable_by(|a, b| (!a.starts_with('`'), a).cmp(&(!b.starts_with('`'), b)));
    expected.dedup();
    expected
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
