//! `stress fmt`: the canonical text of a `.stress` file.
//!
//! # Canonical style
//!
//! The style is the one the examples in `scenarios/` are written in: each of them is its own
//! canonical text (a test checks it byte for byte).
//!
//! - **Layout.** Two-space indentation, one statement per line, blocks written `name {` …
//!   `}`, an empty block as `{}`. Statements that the input separated with commas go on lines
//!   of their own. No trailing whitespace; the file ends with exactly one newline; CRLF
//!   becomes LF (also inside `"""` strings).
//! - **Blank lines.** Between two top-level declarations there is one blank line where the
//!   input had one or more, or where either declaration takes several lines of output;
//!   otherwise none, so a run of one-line declarations (`let`s, `target x = …`, a table of
//!   `scenario x { rule }`) stays together. The blank line goes before the comments that
//!   precede the second declaration; comments after the last declaration are treated like a
//!   one-line declaration. Inside a block (and between the entries of a multi-line object or
//!   list) one blank line is kept where the input had one or more, so grouping survives;
//!   never right after `{` or before `}`.
//! - **Short forms.** A profile (named or inline in a test) whose stages are only `users` and
//!   `iterations`, or that has a single stage other than `repeat`, is written on one line:
//!   `profile { users 10, iterations 20 }`, `profile { rate 200/s for 30s max users 100 }`.
//!   A `budget` is written on one line: `budget { time 10s, cost $0.01 }`. A scenario with
//!   exactly one rule (or none) that was written on one line stays on one line:
//!   `scenario s { error_rate(30%, 429) }`; in such a one-line scenario the spaces between
//!   the name and `{` are kept as written (one or more; anything else becomes one space), so
//!   a table of scenarios can align its `{` column. A short form is broken into one statement
//!   per line when a comment sits inside its braces (or between its keyword and `{`).
//! - **Objects and lists** are broken over lines, one entry per line, iff they spanned
//!   several lines in the input or their one-line rendering would end past column 100;
//!   otherwise they are written `{ key: value, k2: v2 }` and `[1, 2, 3]`. Broken, every entry
//!   but the last is followed by a comma, and the last one too iff it was in the input.
//! - **Expressions.** One space around binary operators (`a + b`, `status == 200`), none
//!   around `..` (`2s..5s`); calls `f(a, factor: 2)`; paths `json.a.b[0]`; phase qualifiers
//!   `p95(latency) during c200`. Parentheses are kept as written; none are added. Literals
//!   (numbers, units, money, status classes, strings of all kinds) are copied from the source
//!   text byte for byte, so `1m30s` stays `1m30s` and escapes are untouched.
//! - **Poll clauses** (`every`, `until`, `within`) stay on the `poll` line (or the line of its
//!   closing `}`) when that line then fits in 100 columns; otherwise each clause goes on a
//!   continuation line indented 2 spaces more than the `poll` statement.
//! - **Comments** are all kept. A comment on a line of its own stays on its own line, at the
//!   indentation of the statement (or entry) that follows it; comments before a closing `}`
//!   stay inside that block; comments at the start or end of the file stay there. A comment
//!   after code stays at the end of the line of the statement (or entry, or `{`) it followed.
//!   A comment between the head of a block and its `{` moves inside the block. A comment
//!   inside an expression that is joined onto one line ends that line, and the expression
//!   continues on a line indented 4 spaces more.
//! - **The gap before a trailing comment** is the run of spaces that preceded the `#` in the
//!   input when the comment followed code on its line and the run is two spaces or more, so
//!   comments aligned by hand stay aligned; otherwise (one space, a tab, or a comment that
//!   was on a line of its own and now ends a joined line) it is two spaces.
//! - **Commas kept for meaning.** Where putting the next statement on its own line would
//!   change how it parses, the separating comma is kept at the end of the line: a `limit` or
//!   `max users` stage after a stage that takes modifiers (`hold 10 users for 1m,` then
//!   `limit 5/s` is a separate stage, not a modifier), a `jitter` line after a `backoff`
//!   without one, and an SLO assertion that starts with `(`, `[`, `-` or one of the words
//!   `before`, `during`, `after`, `in`, `over`, `if`.
//!
//! Formatting is idempotent and keeps the syntax tree unchanged (except for spans, and line
//! endings inside `"""` strings).

mod expr;
mod flat;
mod items;
mod printer;
mod test_item;
mod trivia;
mod workload;

use crate::ast::*;
use crate::source::SourceFile;
use printer::Printer;

/// Column limit for objects, lists and poll clauses.
pub(super) const WIDTH: usize = 100;

/// Canonical text of a parsed file. Keeps every comment. Idempotent:
/// `format(parse(format(x))) == format(x)`.
///
/// Should the canonical text not read back as the same tree (a bug in stress, reported by
/// [`try_format`]), the file's text is returned unchanged: formatting never alters meaning.
pub fn format(file: &SourceFile, ast: &File) -> String {
    try_format(file, ast).unwrap_or_else(|| file.text.to_string())
}

/// Canonical text of a parsed file, or `None` when that text would not parse back to the same
/// syntax tree (spans aside).
/// The text is also a fixed point (formatting it again changes nothing): a layout that would
/// move again on a second run is formatted again, a few times at most.
pub fn try_format(file: &SourceFile, ast: &File) -> Option<String> {
    let tree = tree_text(ast);
    let mut out = render(file, ast);
    for _ in 0..3 {
        let text = SourceFile::new(file.name.clone(), out.as_str());
        let again = crate::syntax::parse(&text).ok()?;
        if tree_text(&again) != tree {
            return None;
        }
        let next = render(&text, &again);
        if next == out {
            return Some(out);
        }
        out = next;
    }
    None
}

/// The formatter proper, unchecked.
fn render(file: &SourceFile, ast: &File) -> String {
    let mut p = Printer::new(&file.text);
    p.file(ast);
    p.finish()
}

/// A syntax tree's Debug text with every span (`12..18`) replaced by `_`, and CRLF inside
/// strings read as LF (the formatter writes LF everywhere): equal for two trees that differ
/// only in layout.
fn tree_text(ast: &File) -> String {
    let debug = format!("{ast:?}").replace("\\r\\n", "\\n");
    let b = debug.as_bytes();
    let digits_end = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut out = String::with_capacity(debug.len());
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'.')
        {
            let j = digits_end(i);
            if b[j..].starts_with(b"..") && b.get(j + 2).is_some_and(u8::is_ascii_digit) {
                out.push('_');
                i = digits_end(j + 2);
            } else {
                out.push_str(&debug[i..j]);
                i = j;
            }
        } else {
            let ch = debug[i..].chars().next().expect("i is on a char boundary");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests;
