//! What the language server knows about one open file: its declarations (with the span of the
//! declaring name), the identifier under a cursor, every use of a name, and the conversion
//! between byte offsets and LSP positions (lines and UTF-16 columns).
//!
//! References are found lexically: every identifier token outside comments and string text
//! (but inside `${…}` interpolations) whose text equals the name. The language has one
//! namespace for declarations, so this matches what the checker resolves, except where a
//! built-in word (`user`, `status`) shadows nothing and is simply not declared.

use crate::ast::{self, Item, StepKind};
use crate::source::Span;
use crate::syntax::lex;

/// A declared name and what declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Declaration {
    pub(crate) name: String,
    /// `let`, `data`, `target`, `service`, `proxy`, `workload`, `scenario`, `profile`, `step`,
    /// `capture`, `variable`.
    pub(crate) kind: &'static str,
    /// The span of the name where it is declared.
    pub(crate) span: Span,
}

/// Every declaration of a parsed file, in source order.
pub(crate) fn declarations(file: &ast::File) -> Vec<Declaration> {
    let mut out = Vec::new();
    let mut push = |name: &ast::Name, kind: &'static str| {
        out.push(Declaration {
            name: name.text.clone(),
            kind,
            span: name.span,
        });
    };
    for item in &file.items {
        match item {
            Item::Let(x) => push(&x.name, "let"),
            Item::Data(x) => push(&x.name, "data"),
            Item::Target(x) => push(&x.name, "target"),
            Item::Service(x) => push(&x.name, "service"),
            Item::Proxy(x) => push(&x.name, "proxy"),
            Item::Workload(x) => {
                push(&x.name, "workload");
                steps(&x.steps, &mut push);
            }
            Item::Scenario(x) => push(&x.name, "scenario"),
            Item::Profile(x) => push(&x.name, "profile"),
            Item::Test(_) => {}
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}

fn steps(list: &[ast::Step], push: &mut impl FnMut(&ast::Name, &'static str)) {
    for step in list {
        match &step.kind {
            StepKind::Request(r) => request(r, push),
            StepKind::Poll(p) => request(&p.request, push),
            StepKind::Repeat { var, steps: s, .. } => {
                if let Some(var) = var {
                    push(var, "variable");
                }
                steps(s, push);
            }
            StepKind::Set { name, .. } => push(name, "variable"),
            StepKind::Probability { steps: s, .. } => steps(s, push),
            StepKind::Choose(arms) => {
                for arm in arms {
                    steps(&arm.steps, push);
                }
            }
            StepKind::Think(_) | StepKind::Retry(_) | StepKind::Budget(_) => {}
        }
    }
}

fn request(r: &ast::Request, push: &mut impl FnMut(&ast::Name, &'static str)) {
    push(&r.name, "step");
    for stmt in &r.stmts {
        if let ast::RequestStmtKind::Capture { name, .. } = &stmt.kind {
            push(name, "capture");
        }
    }
}

/// An identifier token of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Every identifier token outside comments and string text, in order; the code inside `${…}`
/// interpolations counts (the lexical walk is the parser's, [`lex::Lexer`]).
pub(crate) fn identifiers(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for code in lex::Lexer::new(text).filter(|t| t.kind == lex::Kind::Code) {
        let mut i = code.start;
        while i < code.end {
            let b = bytes[i];
            if b.is_ascii_alphabetic() || b == b'_' {
                let start = i;
                while i < code.end && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push(Token { start, end: i });
            } else if b.is_ascii_digit() {
                // A number with its unit (`30s`, `64KiB`) is not an identifier.
                while i < code.end && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
    }
    out
}

/// The identifier that contains (or ends at) byte `offset`.
pub(crate) fn token_at(text: &str, offset: usize) -> Option<Token> {
    identifiers(text)
        .into_iter()
        .find(|t| t.start <= offset && offset <= t.end)
}

/// The word (letters, digits, `_`) around `offset`, whatever its context: for hover on keywords
/// and units inside literals (`30s` → `s` is not useful, so digits are part of the word).
pub(crate) fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let offset = offset.min(bytes.len());
    let mut start = offset;
    while start > 0 && is_word(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    (start < end).then_some((start, end))
}

/// Every use of `name` (its declaration included).
pub(crate) fn references(text: &str, name: &str) -> Vec<Token> {
    identifiers(text)
        .into_iter()
        .filter(|t| &text[t.start..t.end] == name)
        .collect()
}

/// Byte offsets ↔ LSP positions (0-based lines; columns in UTF-16 code units).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        Self { text, starts }
    }

    /// (line, UTF-16 column) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let mut start = self.starts[line];
        let mut at = offset;
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        start = start.min(at);
        let column: usize = self.text[start..at].chars().map(char::len_utf16).sum();
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of (line, UTF-16 column), clamped to the line's end.
    pub(crate) fn offset(&self, line: u32, column: u32) -> usize {
        let Some(&start) = self.starts.get(line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(line as usize + 1)
            .copied()
            .unwrap_or(self.text.len());
        let mut units = 0usize;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= column as usize || c == '\n' || c == '\r' {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        identifiers(text)
            .into_iter()
            .map(|t| &text[t.start..t.end])
            .collect()
    }

    #[test]
    fn identifiers_skip_comments_strings_and_units_but_enter_interpolations() {
        let text = "let a = \"x ${b + \"${c}\"} y\" # d e\nlet f = 'g ${h}' 30s i\n";
        assert_eq!(words(text), ["let", "a", "b", "c", "let", "f", "i"]);
    }

    #[test]
    fn triple_quoted_strings_span_lines() {
        let text = "let a = \"\"\"one\ntwo ${b}\"\"\" c";
        assert_eq!(words(text), ["let", "a", "b", "c"]);
    }

    #[test]
    fn positions_count_utf16_units_and_every_line_ending() {
        let text = "a\r\nbé😀c\rd";
        let index = LineIndex::new(text);
        let c = text.find('c').expect("c");
        assert_eq!(index.position(c), (1, 4)); // b, é, and 😀 as two units
        assert_eq!(index.offset(1, 4), c);
        let d = text.find('d').expect("d");
        assert_eq!(index.position(d), (2, 0));
        assert_eq!(index.offset(9, 0), text.len());
    }
}
