//! The printer: the output being built line by line (indentation, continuation lines, blank
//! lines), its primitives, and blocks `{ … }` written one item per line or on one line. The
//! constructs are printed by the sibling modules, one `impl Printer` each.

use crate::ast::*;
use crate::source::Span;

use super::trivia::{Comment, scan_comments};

/// What goes before the next line that starts a comment or a statement.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Blank {
    /// Nothing (right after `{`, at the start of the file).
    Suppress,
    /// A blank line iff the source had one.
    Preserve,
}

pub(crate) struct Printer<'s> {
    pub(super) src: &'s str,
    pub(super) comments: Vec<Comment>,
    /// Byte `i` of the source is inside a comment.
    pub(super) in_comment: Vec<bool>,
    /// Index of the first comment not yet printed.
    pub(super) next: usize,
    pub(super) out: String,
    /// The current line, without its indentation.
    pub(super) line: String,
    /// Indentation of the current line (set when its first text is put).
    pub(super) line_indent: usize,
    /// Indentation of the current block, in spaces.
    pub(super) indent: usize,
    /// Extra indentation of continuation lines of the current statement.
    pub(super) cont: usize,
    /// Source offset just after the last thing printed.
    pub(super) last: usize,
    pub(super) blank: Blank,
}

impl<'s> Printer<'s> {
    pub(super) fn new(src: &'s str) -> Self {
        let comments = scan_comments(src);
        let mut in_comment = vec![false; src.len()];
        for c in &comments {
            in_comment[c.start..c.end]
                .iter_mut()
                .for_each(|b| *b = true);
        }
        Printer {
            src,
            comments,
            in_comment,
            next: 0,
            out: String::new(),
            line: String::new(),
            line_indent: 0,
            indent: 0,
            cont: 0,
            last: 0,
            blank: Blank::Suppress,
        }
    }

    pub(super) fn finish(mut self) -> String {
        self.end_line();
        let out = self.out.replace("\r\n", "\n");
        let trimmed = out.trim_end_matches('\n');
        if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}\n")
        }
    }

    // ── Output primitives ──

    pub(super) fn col(&self) -> usize {
        if self.line.is_empty() {
            self.indent + self.cont
        } else {
            self.line_indent + self.line.chars().count()
        }
    }

    /// The indentation of the current line (or of the next one, when it is empty).
    pub(super) fn current_indent(&self) -> usize {
        if self.line.is_empty() {
            self.indent + self.cont
        } else {
            self.line_indent
        }
    }

    pub(super) fn put(&mut self, text: &str) {
        if self.line.is_empty() {
            self.line_indent = self.indent + self.cont;
        }
        self.line.push_str(text);
    }

    /// A space, unless at the start of a line or after one.
    pub(super) fn sp(&mut self) {
        if !self.line.is_empty() && !self.line.ends_with(' ') {
            self.line.push(' ');
        }
    }

    /// Text that stands for source `start..end`: comments before it are printed first;
    /// comments inside it are part of the text (they are inside a literal).
    pub(super) fn token(&mut self, text: &str, start: usize, end: usize) {
        self.flush(start);
        self.put(text);
        self.last = self.last.max(end);
        while self.comments.get(self.next).is_some_and(|c| c.start < end) {
            self.next += 1;
        }
    }

    pub(super) fn name(&mut self, name: &Name) {
        self.token(&name.text, name.span.start as usize, name.span.end as usize);
    }

    /// A keyword or punctuation whose position is not tracked; comments before `before` are
    /// printed first.
    pub(super) fn kw(&mut self, word: &str, before: Span) {
        self.flush(before.start as usize);
        self.sp();
        self.put(word);
    }

    // ── Blocks ──

    /// `{ items }` with one item per line. `from` is where to look for the `{`.
    pub(super) fn block<T>(
        &mut self,
        from: usize,
        items: &[T],
        span: impl Fn(&T) -> Span,
        print: impl FnMut(&mut Self, &T),
        needs_comma: impl Fn(&T, &T) -> bool,
    ) {
        let open = self.find(from, b'{');
        self.sp();
        // Not `token`: a comment between the head and `{` goes inside the block, on its own
        // line, rather than pushing `{` onto a line of its own.
        self.put("{");
        self.last = self.last.max(open + 1);
        let after = items.last().map_or(open + 1, |i| self.tight_end(span(i)));
        let close = self.find(after, b'}');
        if items.is_empty() && !self.has_comment(from, close) {
            self.token("}", close, close + 1);
            return;
        }
        self.entries(
            items,
            span,
            print,
            |i| {
                items
                    .get(i + 1)
                    .is_some_and(|next| needs_comma(&items[i], next))
            },
            '}',
            close,
        );
    }

    /// The entries of a bracketed block or list that does not stay on one line, after its
    /// opening bracket: one entry per line, indented, then the closing bracket `close` found at
    /// `at`. `comma(i)` says whether entry `i` is followed by a comma.
    pub(super) fn entries<T>(
        &mut self,
        items: &[T],
        span: impl Fn(&T) -> Span,
        mut print: impl FnMut(&mut Self, &T),
        comma: impl Fn(usize) -> bool,
        close: char,
        at: usize,
    ) {
        let base = self.current_indent();
        let saved = (self.indent, self.cont);
        self.end_line();
        self.indent = base + 2;
        self.blank = Blank::Suppress;
        for (i, item) in items.iter().enumerate() {
            let s = span(item);
            self.begin(s.start as usize);
            print(self, item);
            self.last = self.last.max(self.tight_end(s));
            if comma(i) {
                self.put(",");
            }
        }
        self.end_line();
        self.cont = 0;
        self.flush(at);
        self.indent = base;
        self.cont = 0;
        self.token(&close.to_string(), at, at + 1);
        (self.indent, self.cont) = saved;
        self.blank = Blank::Preserve;
    }

    /// `{ a, b }` on the current line. `from` is where to look for the `{`.
    pub(super) fn compact<T>(
        &mut self,
        from: usize,
        items: &[T],
        span: impl Fn(&T) -> Span,
        mut print: impl FnMut(&mut Self, &T),
    ) {
        let open = self.find(from, b'{');
        self.sp();
        self.token("{", open, open + 1);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.put(",");
            }
            self.sp();
            print(self, item);
            self.last = self.last.max(self.tight_end(span(item)));
        }
        let after = items.last().map_or(open + 1, |i| self.tight_end(span(i)));
        let close = self.find(after, b'}');
        if !items.is_empty() {
            self.sp();
        }
        self.token("}", close, close + 1);
    }

    /// Whether a comment lies between `from` and the `}` that closes the first `{` after it.
    pub(super) fn braces_have_comment(&self, from: usize) -> bool {
        let b = self.src.as_bytes();
        let mut depth = 0usize;
        let mut i = self.find(from, b'{');
        while i < b.len() {
            if !self.in_comment[i] {
                match b[i] {
                    b'{' => depth += 1,
                    b'}' if depth <= 1 => break,
                    b'}' => depth -= 1,
                    _ => {}
                }
            }
            i += 1;
        }
        self.has_comment(from, i)
    }
}
