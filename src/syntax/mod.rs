//! Stage 1: `.stress` text → `ast::File`. pest lives only in this module.
//!
//! Reports every syntax problem it can find in one pass: pest's own failure is fatal (pest
//! stops at the first), but malformed statements inside blocks are caught by the grammar's
//! `bad_stmt` fallback and reported one by one, and bad literals are reported with placeholders.

mod build;
mod error;
mod grammar;
pub(crate) mod literal;

pub use error::SyntaxError;

use std::ops::ControlFlow;

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
            let mut problems: Vec<SyntaxError> = unterminated_strings(text)
                .into_iter()
                .filter(|at| *at < failure.span().offset())
                .map(|at| SyntaxError::UnterminatedString {
                    span: Span::new(at, at + 1).into(),
                })
                .collect();
            problems.push(failure);
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

/// Walks `text` the way the grammar reads strings and comments, calling `on_code` with the
/// offset and byte of everything that is code (outside strings and comments, but inside a
/// `${…}` interpolation) until it returns `Break`. Returns the offsets of the opening quotes
/// of `"…"` and `'…'` strings that the end of their line (or of the file) reaches before
/// their closing quote. `"""…"""` may span lines.
fn walk_code(text: &str, mut on_code: impl FnMut(usize, u8) -> ControlFlow<()>) -> Vec<usize> {
    /// Where the walk is: code, a comment, a one-line string opened at `start`, or a
    /// `"""…"""` string. Inside a `${…}` it reads code until its `}`.
    enum Mode {
        Code,
        Comment,
        Quoted { start: usize, raw: bool },
        Triple,
    }
    let mut found = Vec::new();
    let mut mode = Mode::Code;
    // Strings suspended by `${`, with the brace depth inside each interpolation.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match mode {
            Mode::Comment => {
                // pest's NEWLINE: `\n`, `\r\n` or a lone `\r` ends a comment.
                if c == b'\n' || c == b'\r' {
                    mode = Mode::Code;
                }
            }
            Mode::Triple => {
                if bytes[i..].starts_with(b"\"\"\"") {
                    mode = Mode::Code;
                    i += 2;
                }
            }
            Mode::Quoted { start, raw } => match c {
                b'\n' | b'\r' => {
                    found.push(start);
                    close_all(&mut stack, i, &mut on_code);
                    mode = Mode::Code;
                }
                b'\\' if !raw => i += 1,
                b'"' if !raw => mode = Mode::Code,
                b'\'' if raw => mode = Mode::Code,
                b'$' if !raw && bytes.get(i + 1) == Some(&b'{') => {
                    stack.push((start, 0));
                    mode = Mode::Code;
                    i += 1;
                    // An interpolation nests like a bracket: `"${"${…}"}"` counts its depth.
                    if on_code(i, b'{').is_break() {
                        return found;
                    }
                }
                _ => {}
            },
            Mode::Code => {
                match c {
                    b'#' => mode = Mode::Comment,
                    b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                        mode = Mode::Triple;
                        i += 2;
                    }
                    b'"' => {
                        mode = Mode::Quoted {
                            start: i,
                            raw: false,
                        }
                    }
                    b'\'' => {
                        mode = Mode::Quoted {
                            start: i,
                            raw: true,
                        }
                    }
                    b'{' => {
                        if let Some((_, depth)) = stack.last_mut() {
                            *depth += 1;
                        }
                    }
                    b'}' => match stack.last_mut() {
                        Some((_, depth)) if *depth > 0 => *depth -= 1,
                        Some((start, _)) => {
                            // The interpolation's own `}`: back in its string.
                            mode = Mode::Quoted {
                                start: *start,
                                raw: false,
                            };
                            stack.pop();
                            if on_code(i, b'}').is_break() {
                                return found;
                            }
                            i += 1;
                            continue;
                        }
                        None => {}
                    },
                    b'\n' | b'\r' => {
                        // A line ending inside `${…}`: its string was never closed.
                        if let Some((start, _)) = stack.first() {
                            found.push(*start);
                        }
                        close_all(&mut stack, i, &mut on_code);
                    }
                    _ => {}
                }
                if matches!(mode, Mode::Code) && on_code(i, c).is_break() {
                    return found;
                }
            }
        }
        i += 1;
    }
    match (mode, stack.first()) {
        (Mode::Quoted { start, .. }, _) => found.push(start),
        (Mode::Code, Some((start, _))) => found.push(*start),
        _ => {}
    }
    found
}

/// Ends every suspended interpolation (a line ended inside it), telling `on_code` that each of
/// them and every brace still open in them is closed, so depth counts stay balanced.
fn close_all(
    stack: &mut Vec<(usize, usize)>,
    at: usize,
    on_code: &mut impl FnMut(usize, u8) -> ControlFlow<()>,
) {
    for (_, depth) in stack.drain(..) {
        for _ in 0..=depth {
            let _ = on_code(at, b'}');
        }
    }
}

/// The opening quotes of the strings left unclosed (see [`walk_code`]).
fn unterminated_strings(text: &str) -> Vec<usize> {
    walk_code(text, |_, _| ControlFlow::Continue(()))
}

/// The first bracket nested deeper than `MAX_DEPTH`, outside strings and comments.
fn too_deep(text: &str) -> Option<SyntaxError> {
    let mut depth = 0usize;
    let mut deepest = None;
    walk_code(text, |i, c| {
        match c {
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    deepest = Some(i);
                    return ControlFlow::Break(());
                }
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        ControlFlow::Continue(())
    });
    deepest.map(|i| SyntaxError::TooDeep {
        depth,
        limit: MAX_DEPTH,
        span: Span::new(i, i + 1).into(),
    })
}

#[cfg(test)]
mod tests;
