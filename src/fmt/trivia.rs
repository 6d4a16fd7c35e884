//! Comments and the source around them, for the printer: where every comment is (from the
//! syntax stage's lexical walk, so `#` in a string is text), the source's blank lines and
//! commas, and how a comment is placed (on its own line, or after code with its gap kept).

use crate::source::Span;
use crate::syntax::lex;

use super::printer::{Blank, Printer};

/// A `# …` comment: byte range in the source (without the line break) and its text with
/// trailing whitespace removed.
#[derive(Clone, Debug)]
pub(super) struct Comment {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) text: String,
}

/// Every comment of `src`, in order. `#` inside string literals is not a comment; inside a
/// `${…}` interpolation it is (as for the parser).
pub(super) fn scan_comments(src: &str) -> Vec<Comment> {
    lex::comments(src)
        .map(|(start, end)| Comment {
            start,
            end,
            text: src[start..end].trim_end().to_string(),
        })
        .collect()
}

impl Printer<'_> {
    // ── Source helpers ──

    /// The end of `span` without trailing whitespace and comments (a parser rule that ends
    /// with an optional part can include them).
    pub(super) fn tight_end(&self, span: Span) -> usize {
        let b = self.src.as_bytes();
        let start = span.start as usize;
        let mut end = span.end as usize;
        while end > start && (b[end - 1].is_ascii_whitespace() || self.in_comment[end - 1]) {
            end -= 1;
        }
        end
    }

    /// The first `ch` at or after `from` that is not inside a comment.
    pub(super) fn find(&self, from: usize, ch: u8) -> usize {
        let b = self.src.as_bytes();
        let mut i = from;
        while i < b.len() && (b[i] != ch || self.in_comment[i]) {
            i += 1;
        }
        i
    }

    /// Whether the last code before `pos` (whitespace and comments aside) is a comma.
    pub(super) fn comma_before(&self, pos: usize) -> bool {
        let b = self.src.as_bytes();
        let mut i = pos;
        while i > 0 && (b[i - 1].is_ascii_whitespace() || self.in_comment[i - 1]) {
            i -= 1;
        }
        i > 0 && b[i - 1] == b','
    }

    /// Whether a comment starts in `start..end`.
    pub(super) fn has_comment(&self, start: usize, end: usize) -> bool {
        let i = self.comments.partition_point(|c| c.start < start);
        self.comments.get(i).is_some_and(|c| c.start < end)
    }

    pub(super) fn multiline(&self, start: usize, end: usize) -> bool {
        self.src
            .get(start..end)
            .is_some_and(|t| t.contains(['\n', '\r']))
    }

    /// Whether the source between `from` and `to` holds an empty line.
    pub(super) fn has_blank(&self, from: usize, to: usize) -> bool {
        let Some(gap) = self.src.get(from..to) else {
            return false;
        };
        let mut newlines = 0;
        for c in gap.chars() {
            match c {
                '\n' => {
                    newlines += 1;
                    if newlines >= 2 {
                        return true;
                    }
                }
                ' ' | '\t' | '\r' => {}
                _ => newlines = 0,
            }
        }
        false
    }

    // ── Comments ──

    pub(super) fn finish_line(&mut self) {
        let text = self.line.trim_end();
        if !text.is_empty() {
            self.out.push_str(&" ".repeat(self.line_indent));
            self.out.push_str(text);
            self.out.push('\n');
        }
        self.line.clear();
    }

    /// Ends the current line, with the comment that followed its last code in the source.
    pub(super) fn end_line(&mut self) {
        if self.line.is_empty() {
            return;
        }
        if let Some(c) = self.comments.get(self.next)
            && c.start >= self.last
            && self.src[self.last..c.start]
                .bytes()
                .all(|b| matches!(b, b' ' | b'\t' | b','))
        {
            let (start, end, text) = (c.start, c.end, c.text.clone());
            self.next += 1;
            self.last = end;
            self.trail(start, &text);
        }
        self.finish_line();
    }

    /// The gap to leave between code and the comment that starts at `start`: the spaces
    /// before it in the source when it follows code on its line and they are 2 or more (so
    /// comments aligned by hand stay aligned), otherwise 2.
    pub(super) fn comment_gap(&self, start: usize) -> usize {
        let b = self.src.as_bytes();
        let mut i = start;
        while i > 0 && b[i - 1] == b' ' {
            i -= 1;
        }
        let follows_code = i > 0 && !matches!(b[i - 1], b'\n' | b'\r' | b'\t');
        if follows_code && start - i >= 2 {
            start - i
        } else {
            2
        }
    }

    /// Appends the comment that starts at `start` to the current line, after code.
    pub(super) fn trail(&mut self, start: usize, text: &str) {
        let kept = self.line.trim_end().len();
        self.line.truncate(kept);
        let gap = self.comment_gap(start);
        self.line.push_str(&" ".repeat(gap));
        self.line.push_str(text);
    }

    pub(super) fn blank_before(&mut self, pos: usize) {
        let blank = match self.blank {
            Blank::Suppress => false,
            Blank::Preserve => self.has_blank(self.last, pos),
        };
        if blank && !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
        self.blank = Blank::Preserve;
    }

    /// Prints the comments that start before `pos`: on lines of their own at the start of a
    /// line; in the middle of one, the first ends that line and the code continues on a
    /// continuation line.
    pub(super) fn flush(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next)
            && c.start < pos
        {
            let (start, end, text) = (c.start, c.end, c.text.clone());
            self.next += 1;
            if self.line.is_empty() {
                self.blank_before(start);
                self.put(&text);
            } else {
                self.trail(start, &text);
                self.cont = self.cont.max(4);
            }
            self.last = self.last.max(end);
            self.finish_line();
        }
    }

    /// Starts a statement (or entry) at `pos` on a new line.
    pub(super) fn begin(&mut self, pos: usize) {
        self.end_line();
        self.cont = 0;
        self.flush(pos);
        self.blank_before(pos);
    }
}
