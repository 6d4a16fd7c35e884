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
    pest::set_error_detail(true);
    let mut pairs = match StressParser::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(err) => return Err(vec![SyntaxError::from_pest(&err, text, 0)]),
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

/// The first bracket nested deeper than `MAX_DEPTH`, outside strings and comments.
fn too_deep(text: &str) -> Option<SyntaxError> {
    let mut depth = 0usize;
    let mut in_comment = false;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q || c == '\n' {
                quote = None;
            }
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' | '\'' => quote = Some(c),
            '{' | '(' | '[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(SyntaxError::TooDeep {
                        depth,
                        limit: MAX_DEPTH,
                        span: Span::new(i, i + 1).into(),
                    });
                }
            }
            '}' | ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests;
