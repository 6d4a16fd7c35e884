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

use crate::ast::*;
use crate::source::{SourceFile, Span};

/// Column limit for objects, lists and poll clauses.
const WIDTH: usize = 100;

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

// ── Comments ─────────────────────────────────────────────────────────

/// A `# …` comment: byte range in the source (without the line break) and its text with
/// trailing whitespace removed.
#[derive(Clone, Debug)]
struct Comment {
    start: usize,
    end: usize,
    text: String,
}

/// Every comment of `src`, in order. `#` inside string literals is not a comment; inside a
/// `${…}` interpolation it is (as for the parser).
fn scan_comments(src: &str) -> Vec<Comment> {
    scan(src, 0, false).0
}

/// The end of the string literal that starts at `start` (at its opening quote).
fn literal_end(src: &str, start: usize) -> usize {
    scan(src, start, true).1
}

/// Reads `src` from `start`: the comments found, and where the reading stopped (the end of
/// the text, or with `one_literal` the end of the string literal that starts at `start`).
fn scan(src: &str, start: usize, one_literal: bool) -> (Vec<Comment>, usize) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        /// Code; `depth` counts open `{` inside an interpolation.
        Code {
            depth: usize,
        },
        Str,
        Triple,
        Raw,
    }
    let b = src.as_bytes();
    let mut stack = vec![Mode::Code { depth: 0 }];
    let mut comments = Vec::new();
    let mut i = start;
    while i < b.len() {
        if one_literal && i > start && stack.len() == 1 {
            break;
        }
        let top = *stack
            .last()
            .expect("the bottom of the stack is never popped");
        let c = b[i];
        match top {
            Mode::Code { depth } => match c {
                b'#' => {
                    let start = i;
                    while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                        i += 1;
                    }
                    let text = src[start..i].trim_end().to_string();
                    comments.push(Comment {
                        start,
                        end: i,
                        text,
                    });
                    continue;
                }
                b'"' if b[i..].starts_with(b"\"\"\"") => {
                    stack.push(Mode::Triple);
                    i += 3;
                    continue;
                }
                b'"' => stack.push(Mode::Str),
                b'\'' => stack.push(Mode::Raw),
                b'{' if stack.len() > 1 => {
                    *stack.last_mut().unwrap() = Mode::Code { depth: depth + 1 }
                }
                b'}' if stack.len() > 1 => {
                    if depth == 0 {
                        stack.pop();
                    } else {
                        *stack.last_mut().unwrap() = Mode::Code { depth: depth - 1 };
                    }
                }
                _ => {}
            },
            Mode::Str => match c {
                b'\\' => {
                    let next = b.get(i + 1).copied();
                    i += if matches!(next, Some(b'\n' | b'\r') | None) {
                        1
                    } else {
                        2
                    };
                    continue;
                }
                b'"' | b'\n' | b'\r' => {
                    stack.pop();
                }
                b'$' if b.get(i + 1) == Some(&b'{') => {
                    stack.push(Mode::Code { depth: 0 });
                    i += 2;
                    continue;
                }
                _ => {}
            },
            Mode::Triple => match c {
                b'\\' => {
                    i += 2;
                    continue;
                }
                b'"' if b[i..].starts_with(b"\"\"\"") => {
                    stack.pop();
                    i += 3;
                    continue;
                }
                b'$' if b.get(i + 1) == Some(&b'{') => {
                    stack.push(Mode::Code { depth: 0 });
                    i += 2;
                    continue;
                }
                _ => {}
            },
            Mode::Raw => {
                if matches!(c, b'\'' | b'\n' | b'\r') {
                    stack.pop();
                }
            }
        }
        i += 1;
    }
    (comments, i.min(b.len()))
}

// ── Flat rendering (one line, no comments) ───────────────────────────

fn slice(src: &str, span: Span) -> &str {
    &src[span.start as usize..span.end as usize]
}

/// The one-line rendering of an expression.
fn flat(src: &str, e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number { .. }
        | ExprKind::Duration(_)
        | ExprKind::Percent(_)
        | ExprKind::Rate(_)
        | ExprKind::Size(_)
        | ExprKind::Bandwidth(_)
        | ExprKind::Money(_)
        | ExprKind::StatusClass(_) => slice(src, e.span).to_string(),
        ExprKind::Str(_) | ExprKind::RawStr(_) => {
            src[e.span.start as usize..literal_span_end(src, e)].to_string()
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(|x| flat(src, x)).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Object(entries) if entries.is_empty() => "{}".to_string(),
        ExprKind::Object(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|en| format!("{}: {}", slice(src, en.key.span), flat(src, &en.value)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        ExprKind::Name(n) => n.text.clone(),
        ExprKind::Field { base, field } => format!("{}.{}", flat(src, base), field.text),
        ExprKind::Index { base, index } => format!("{}[{}]", flat(src, base), flat(src, index)),
        ExprKind::Call { callee, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{}: {}", n.text, flat(src, &a.value)),
                    None => flat(src, &a.value),
                })
                .collect();
            format!("{}({})", flat(src, callee), args.join(", "))
        }
        ExprKind::Unary { op, operand } => format!("{}{}", unary_symbol(*op), flat(src, operand)),
        ExprKind::Binary {
            op: BinaryOp::Range,
            lhs,
            rhs,
        } => format!("{}..{}", flat(src, lhs), flat(src, rhs)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("{} {} {}", flat(src, lhs), op.symbol(), flat(src, rhs))
        }
        ExprKind::Phase { base, phase, name } => {
            format!("{} {} {}", flat(src, base), phase_word(*phase), name.text)
        }
        ExprKind::Paren(inner) => format!("({})", flat(src, inner)),
    }
}

/// The end of a string literal expression: its span's end, or further when the literal is
/// longer (a string nested in an interpolation can leave the parser's span short).
fn literal_span_end(src: &str, e: &Expr) -> usize {
    let start = e.span.start as usize;
    let end = e.span.end as usize;
    if src[start..].starts_with(['"', '\'']) {
        end.max(literal_end(src, start))
    } else {
        end
    }
}

/// The end of an expression in the source, for an expression that is or ends in a string
/// literal whose span may be short (see `literal_span_end`).
fn expr_end(src: &str, e: &Expr) -> usize {
    match &e.kind {
        ExprKind::Str(_) | ExprKind::RawStr(_) => literal_span_end(src, e),
        _ => e.span.end as usize,
    }
}

fn unary_symbol(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Not => "!",
        UnaryOp::Neg => "-",
    }
}

fn phase_word(phase: PhaseKind) -> &'static str {
    match phase {
        PhaseKind::Before => "before",
        PhaseKind::During => "during",
        PhaseKind::After => "after",
    }
}

fn poll_word(kind: PollClauseKind) -> &'static str {
    match kind {
        PollClauseKind::Every => "every",
        PollClauseKind::Until => "until",
        PollClauseKind::Within => "within",
    }
}

/// Whether an expression holds a list or an object (something that can be broken over lines).
fn has_seq(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::List(_) | ExprKind::Object(_) => true,
        ExprKind::Field { base, .. } | ExprKind::Phase { base, .. } => has_seq(base),
        ExprKind::Index { base, index } => has_seq(base) || has_seq(index),
        ExprKind::Call { callee, args } => {
            has_seq(callee) || args.iter().any(|a| has_seq(&a.value))
        }
        ExprKind::Unary { operand, .. } => has_seq(operand),
        ExprKind::Binary { lhs, rhs, .. } => has_seq(lhs) || has_seq(rhs),
        ExprKind::Paren(inner) => has_seq(inner),
        _ => false,
    }
}

// ── Printer ──────────────────────────────────────────────────────────

/// What goes before the next line that starts a comment or a statement.
#[derive(Clone, Copy, PartialEq)]
enum Blank {
    /// Nothing (right after `{`, at the start of the file).
    Suppress,
    /// A blank line iff the source had one.
    Preserve,
}

struct Printer<'s> {
    src: &'s str,
    comments: Vec<Comment>,
    /// Byte `i` of the source is inside a comment.
    in_comment: Vec<bool>,
    /// Index of the first comment not yet printed.
    next: usize,
    out: String,
    /// The current line, without its indentation.
    line: String,
    /// Indentation of the current line (set when its first text is put).
    line_indent: usize,
    /// Indentation of the current block, in spaces.
    indent: usize,
    /// Extra indentation of continuation lines of the current statement.
    cont: usize,
    /// Source offset just after the last thing printed.
    last: usize,
    blank: Blank,
}

impl<'s> Printer<'s> {
    fn new(src: &'s str) -> Self {
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

    fn finish(mut self) -> String {
        self.end_line();
        let out = self.out.replace("\r\n", "\n");
        let trimmed = out.trim_end_matches('\n');
        if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}\n")
        }
    }

    // ── Source helpers ──

    /// The end of `span` without trailing whitespace and comments (a parser rule that ends
    /// with an optional part can include them).
    fn tight_end(&self, span: Span) -> usize {
        let b = self.src.as_bytes();
        let start = span.start as usize;
        let mut end = span.end as usize;
        while end > start && (b[end - 1].is_ascii_whitespace() || self.in_comment[end - 1]) {
            end -= 1;
        }
        end
    }

    /// The first `ch` at or after `from` that is not inside a comment.
    fn find(&self, from: usize, ch: u8) -> usize {
        let b = self.src.as_bytes();
        let mut i = from;
        while i < b.len() && (b[i] != ch || self.in_comment[i]) {
            i += 1;
        }
        i
    }

    /// Whether the last code before `pos` (whitespace and comments aside) is a comma.
    fn comma_before(&self, pos: usize) -> bool {
        let b = self.src.as_bytes();
        let mut i = pos;
        while i > 0 && (b[i - 1].is_ascii_whitespace() || self.in_comment[i - 1]) {
            i -= 1;
        }
        i > 0 && b[i - 1] == b','
    }

    /// Whether a comment starts in `start..end`.
    fn has_comment(&self, start: usize, end: usize) -> bool {
        let i = self.comments.partition_point(|c| c.start < start);
        self.comments.get(i).is_some_and(|c| c.start < end)
    }

    fn multiline(&self, start: usize, end: usize) -> bool {
        self.src
            .get(start..end)
            .is_some_and(|t| t.contains(['\n', '\r']))
    }

    /// Whether the source between `from` and `to` holds an empty line.
    fn has_blank(&self, from: usize, to: usize) -> bool {
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

    // ── Output primitives ──

    fn col(&self) -> usize {
        if self.line.is_empty() {
            self.indent + self.cont
        } else {
            self.line_indent + self.line.chars().count()
        }
    }

    /// The indentation of the current line (or of the next one, when it is empty).
    fn current_indent(&self) -> usize {
        if self.line.is_empty() {
            self.indent + self.cont
        } else {
            self.line_indent
        }
    }

    fn put(&mut self, text: &str) {
        if self.line.is_empty() {
            self.line_indent = self.indent + self.cont;
        }
        self.line.push_str(text);
    }

    /// A space, unless at the start of a line or after one.
    fn sp(&mut self) {
        if !self.line.is_empty() && !self.line.ends_with(' ') {
            self.line.push(' ');
        }
    }

    /// Text that stands for source `start..end`: comments before it are printed first;
    /// comments inside it are part of the text (they are inside a literal).
    fn token(&mut self, text: &str, start: usize, end: usize) {
        self.flush(start);
        self.put(text);
        self.last = self.last.max(end);
        while self.comments.get(self.next).is_some_and(|c| c.start < end) {
            self.next += 1;
        }
    }

    fn name(&mut self, name: &Name) {
        self.token(&name.text, name.span.start as usize, name.span.end as usize);
    }

    /// A keyword or punctuation whose position is not tracked; comments before `before` are
    /// printed first.
    fn kw(&mut self, word: &str, before: Span) {
        self.flush(before.start as usize);
        self.sp();
        self.put(word);
    }

    fn finish_line(&mut self) {
        let text = self.line.trim_end();
        if !text.is_empty() {
            self.out.push_str(&" ".repeat(self.line_indent));
            self.out.push_str(text);
            self.out.push('\n');
        }
        self.line.clear();
    }

    /// Ends the current line, with the comment that followed its last code in the source.
    fn end_line(&mut self) {
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
    fn comment_gap(&self, start: usize) -> usize {
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
    fn trail(&mut self, start: usize, text: &str) {
        let kept = self.line.trim_end().len();
        self.line.truncate(kept);
        let gap = self.comment_gap(start);
        self.line.push_str(&" ".repeat(gap));
        self.line.push_str(text);
    }

    fn blank_before(&mut self, pos: usize) {
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
    fn flush(&mut self, pos: usize) {
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
    fn begin(&mut self, pos: usize) {
        self.end_line();
        self.cont = 0;
        self.flush(pos);
        self.blank_before(pos);
    }

    // ── Blocks ──

    /// `{ items }` with one item per line. `from` is where to look for the `{`.
    fn block<T>(
        &mut self,
        from: usize,
        items: &[T],
        span: impl Fn(&T) -> Span,
        mut print: impl FnMut(&mut Self, &T),
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
            if let Some(next) = items.get(i + 1)
                && needs_comma(item, next)
            {
                self.put(",");
            }
        }
        self.end_line();
        self.cont = 0;
        self.flush(close);
        self.indent = base;
        self.cont = 0;
        self.token("}", close, close + 1);
        (self.indent, self.cont) = saved;
        self.blank = Blank::Preserve;
    }

    /// `{ a, b }` on the current line. `from` is where to look for the `{`.
    fn compact<T>(
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
    fn braces_have_comment(&self, from: usize) -> bool {
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

    // ── File ──

    /// The declarations, each with the comments on lines of their own before it. A blank line
    /// separates two declarations where the source had one, or where either of them takes
    /// several lines of output (it goes before the comments of the second one).
    fn file(&mut self, file: &File) {
        self.blank = Blank::Suppress;
        let mut prev_multiline = false;
        for item in &file.items {
            let span = item.span();
            self.end_line();
            let before = self.out.len();
            self.begin(span.start as usize);
            let start = self.out.len();
            self.item(item);
            self.last = self.last.max(self.tight_end(span));
            self.end_line();
            let multiline = self.out[start..].matches('\n').count() > 1;
            if prev_multiline || multiline {
                self.blank_at(before);
            }
            prev_multiline = multiline;
            self.blank = Blank::Preserve;
        }
        self.cont = 0;
        self.indent = 0;
        if prev_multiline && self.has_comment(self.last, self.src.len()) {
            self.blank_at(self.out.len());
        }
        self.flush(self.src.len() + 1);
        self.end_line();
    }

    /// A blank line at `pos` of the output (the start of a line), unless there is one already
    /// or `pos` is the start of the file.
    fn blank_at(&mut self, pos: usize) {
        if pos > 0 && !self.out[..pos].ends_with("\n\n") && !self.out[pos..].starts_with('\n') {
            self.out.insert(pos, '\n');
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Let(x) => {
                self.put("let");
                self.sp();
                self.name(&x.name);
                self.kw("=", x.value.span);
                self.sp();
                self.expr(&x.value);
            }
            Item::Data(x) => {
                self.put("data");
                self.sp();
                self.name(&x.name);
                self.kw("=", x.source.span);
                self.sp();
                self.expr(&x.source);
            }
            Item::Target(x) => {
                self.put("target");
                self.sp();
                self.name(&x.name);
                match &x.kind {
                    TargetKind::Url(url) => {
                        self.kw("=", url.span);
                        self.sp();
                        self.expr(url);
                    }
                    TargetKind::Mock(settings) => {
                        self.sp();
                        self.put("mock");
                        self.settings(x.name.span.end as usize, settings);
                    }
                }
            }
            Item::Service(x) => {
                self.put("service");
                self.sp();
                self.name(&x.name);
                self.block(
                    x.name.span.end as usize,
                    &x.stmts,
                    |s| s.span,
                    Self::service_stmt,
                    |_, _| false,
                );
            }
            Item::Proxy(x) => {
                self.put("proxy");
                self.sp();
                self.name(&x.name);
                self.settings(x.name.span.end as usize, &x.settings);
            }
            Item::Workload(x) => {
                self.put("workload");
                self.sp();
                self.name(&x.name);
                self.steps(x.name.span.end as usize, &x.steps);
            }
            Item::Scenario(x) => self.scenario(x),
            Item::Profile(x) => {
                self.put("profile");
                self.sp();
                self.name(&x.name);
                self.stages(x.name.span.end as usize, &x.stages);
            }
            Item::Test(x) => {
                self.put("test");
                self.sp();
                self.expr(&x.name);
                self.block(
                    x.name.span.end as usize,
                    &x.stmts,
                    |s| s.span,
                    Self::test_stmt,
                    |_, _| false,
                );
            }
        }
    }

    fn settings(&mut self, from: usize, settings: &[Setting]) {
        self.block(
            from,
            settings,
            |s| s.span,
            |p, s| {
                p.name(&s.key);
                p.sp();
                p.expr(&s.value);
            },
            |_, next| matches!(next.key.text.as_str(), "before" | "during" | "after"),
        );
    }

    fn service_stmt(&mut self, stmt: &ServiceStmt) {
        match &stmt.kind {
            ServiceStmtKind::Exec(e) => {
                self.put("exec");
                self.sp();
                self.expr(e);
            }
            ServiceStmtKind::Env(e) => {
                self.put("env");
                self.sp();
                self.expr(e);
            }
            ServiceStmtKind::Ready {
                probe,
                address,
                within,
            } => {
                self.put("ready");
                self.sp();
                self.put(match probe {
                    ProbeKind::Http => "http",
                    ProbeKind::Tcp => "tcp",
                    ProbeKind::Log => "log",
                });
                self.sp();
                self.expr(address);
                self.kw("within", within.span);
                self.sp();
                self.expr(within);
            }
            ServiceStmtKind::Cwd(e) => {
                self.put("cwd");
                self.sp();
                self.expr(e);
            }
            ServiceStmtKind::Stop { signal, grace } => {
                self.put("stop");
                if let Some(sig) = signal {
                    self.sp();
                    self.put("signal");
                    self.sp();
                    self.name(sig);
                }
                if let Some(g) = grace {
                    self.kw("grace", g.span);
                    self.sp();
                    self.expr(g);
                }
            }
            ServiceStmtKind::Sample(e) => {
                self.put("sample every");
                self.sp();
                self.expr(e);
            }
        }
    }

    // ── Workloads ──

    fn steps(&mut self, from: usize, steps: &[Step]) {
        self.block(from, steps, |s| s.span, Self::step, |_, _| false);
    }

    fn step(&mut self, step: &Step) {
        match &step.kind {
            StepKind::Request(r) => self.request("request", r),
            StepKind::Poll(poll) => self.poll(poll),
            StepKind::Think(e) => {
                self.put("think");
                self.sp();
                self.expr(e);
            }
            StepKind::Repeat { count, var, steps } => {
                self.put("repeat");
                self.sp();
                self.expr(count);
                let mut from = count.span.end as usize;
                if let Some(var) = var {
                    self.kw("as", var.span);
                    self.sp();
                    self.name(var);
                    from = var.span.end as usize;
                }
                self.steps(from, steps);
            }
            StepKind::Set { name, value } => {
                self.put("set");
                self.sp();
                self.name(name);
                self.kw("=", value.span);
                self.sp();
                self.expr(value);
            }
            StepKind::Probability { probability, steps } => {
                self.put("with probability");
                self.sp();
                self.expr(probability);
                self.steps(probability.span.end as usize, steps);
            }
            StepKind::Choose(arms) => {
                self.put("choose");
                self.block(
                    step.span.start as usize,
                    arms,
                    |a| a.span,
                    |p, arm| {
                        p.expr(&arm.weight);
                        p.put(":");
                        p.steps(arm.weight.span.end as usize, &arm.steps);
                    },
                    |_, _| false,
                );
            }
            StepKind::Retry(retry) => self.retry(retry),
            StepKind::Budget(items) => {
                self.put("budget");
                let from = step.span.start as usize;
                let item = |p: &mut Self, b: &BudgetItem| {
                    p.put(match b.kind {
                        BudgetKind::Time => "time",
                        BudgetKind::Cost => "cost",
                    });
                    p.sp();
                    p.expr(&b.value);
                };
                if self.braces_have_comment(from) {
                    self.block(from, items, |b| b.span, item, |_, _| false);
                } else {
                    self.compact(from, items, |b| b.span, item);
                }
            }
        }
    }

    /// `request NAME: METHOD TARGET path { … }` (also the head of a `poll`).
    fn request(&mut self, keyword: &str, r: &Request) {
        self.put(keyword);
        self.sp();
        self.name(&r.name);
        self.put(":");
        self.sp();
        self.name(&r.method);
        self.sp();
        self.name(&r.target);
        self.sp();
        self.expr(&r.path);
        if !r.stmts.is_empty() {
            self.block(
                r.path.span.end as usize,
                &r.stmts,
                |s| s.span,
                Self::request_stmt,
                |_, _| false,
            );
        }
    }

    fn poll(&mut self, poll: &Poll) {
        self.request("poll", &poll.request);
        let Some(last) = poll.clauses.last() else {
            return;
        };
        let region_end = self.tight_end(last.span);
        let width: usize = poll
            .clauses
            .iter()
            .map(|c| 2 + poll_word(c.kind).len() + flat(self.src, &c.value).chars().count())
            .sum();
        let inline = !self.has_comment(self.last, region_end)
            && !poll
                .clauses
                .iter()
                .any(|c| self.multiline(c.value.span.start as usize, c.value.span.end as usize))
            && self.col() + width <= WIDTH;
        for clause in &poll.clauses {
            if inline {
                self.kw(poll_word(clause.kind), clause.value.span);
            } else {
                self.end_line();
                self.cont = 2;
                self.flush(clause.span.start as usize);
                self.put(poll_word(clause.kind));
            }
            self.sp();
            self.expr(&clause.value);
        }
    }

    fn request_stmt(&mut self, stmt: &RequestStmt) {
        let (word, value) = match &stmt.kind {
            RequestStmtKind::Header { name, value } => {
                self.put("header");
                self.sp();
                self.expr(name);
                self.kw("=", value.span);
                self.sp();
                self.expr(value);
                return;
            }
            RequestStmtKind::Capture { name, value } => {
                self.put("capture");
                self.sp();
                self.name(name);
                self.kw("=", value.span);
                self.sp();
                self.expr(value);
                return;
            }
            RequestStmtKind::Retry(retry) => return self.retry(retry),
            RequestStmtKind::OnFailure(action) => {
                self.put("on failure");
                self.sp();
                self.name(action);
                return;
            }
            RequestStmtKind::Query(e) => ("query", e),
            RequestStmtKind::Json(e) => ("json", e),
            RequestStmtKind::Body(e) => ("body", e),
            RequestStmtKind::Form(e) => ("form", e),
            RequestStmtKind::Timeout(e) => ("timeout", e),
            RequestStmtKind::Check(e) => ("check", e),
        };
        self.put(word);
        self.sp();
        self.expr(value);
    }

    fn retry(&mut self, retry: &Retry) {
        self.put("retry");
        self.block(
            retry.span.start as usize,
            &retry.stmts,
            |s| s.span,
            |p, stmt| match &stmt.kind {
                RetryStmtKind::Attempts(e) => {
                    p.put("attempts");
                    p.sp();
                    p.expr(e);
                }
                RetryStmtKind::On(items) => {
                    p.put("on");
                    for (i, e) in items.iter().enumerate() {
                        if i > 0 {
                            p.put(",");
                        }
                        p.sp();
                        p.expr(e);
                    }
                }
                RetryStmtKind::Backoff { backoff, jitter } => {
                    p.put("backoff");
                    p.sp();
                    p.expr(backoff);
                    if let Some(j) = jitter {
                        p.kw("jitter", j.span);
                        p.sp();
                        p.name(j);
                    }
                }
                RetryStmtKind::Jitter(j) => {
                    p.put("jitter");
                    p.sp();
                    p.name(j);
                }
                RetryStmtKind::RespectRetryAfter(respect) => {
                    p.put(if *respect {
                        "respect retry_after"
                    } else {
                        "ignore retry_after"
                    });
                }
            },
            |prev, next| {
                matches!(prev.kind, RetryStmtKind::Backoff { jitter: None, .. })
                    && matches!(next.kind, RetryStmtKind::Jitter(_))
            },
        );
    }

    // ── Scenarios ──

    fn scenario(&mut self, s: &Scenario) {
        self.put("scenario");
        self.sp();
        self.name(&s.name);
        match &s.body {
            ScenarioBody::Compose(expr) => {
                self.kw("=", expr.span);
                self.sp();
                self.scenario_expr(expr);
            }
            ScenarioBody::Rules(rules) => {
                let from = s.name.span.end as usize;
                let end = self.tight_end(s.span);
                let one_line = rules.len() <= 1
                    && !self.multiline(s.span.start as usize, end)
                    && !self.has_comment(from, end);
                if one_line {
                    // Spaces that align the `{` of a table of one-line scenarios are kept.
                    let gap = &self.src[from..self.find(from, b'{')];
                    if gap.bytes().all(|b| b == b' ') {
                        self.put(gap);
                    }
                }
                if one_line && rules.len() == 1 {
                    self.compact(from, rules, |r| r.span, Self::rule);
                } else {
                    self.block(from, rules, |r| r.span, Self::rule, |prev, next| {
                        matches!(&prev.kind, RuleKind::When { fault, .. } if fault.retry_after.is_none())
                            && matches!(&next.kind, RuleKind::Call { name, .. } if name.text == "retry_after")
                    });
                }
            }
        }
    }

    fn scenario_expr(&mut self, e: &ScenarioExpr) {
        for (i, part) in e.parts.iter().enumerate() {
            if i > 0 {
                self.kw("+", part.span);
                self.sp();
            }
            self.name(part);
        }
    }

    fn rule(&mut self, rule: &crate::ast::Rule) {
        match &rule.kind {
            RuleKind::Call { name, args } => {
                self.name(name);
                self.put("(");
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        self.put(",");
                        self.sp();
                    }
                    if let Some(n) = &arg.name {
                        self.name(n);
                        self.put(":");
                        self.sp();
                    }
                    self.fault(&arg.value);
                }
                let close = self.find(
                    args.last()
                        .map_or(name.span.end as usize, |a| self.tight_end(a.span)),
                    b')',
                );
                self.token(")", close, close + 1);
            }
            RuleKind::When { condition, fault } => {
                self.put("when");
                self.sp();
                self.expr(condition);
                self.kw("=>", fault.span);
                self.sp();
                self.fault(fault);
            }
        }
    }

    fn fault(&mut self, f: &FaultExpr) {
        self.expr(&f.value);
        if let Some(after) = &f.retry_after {
            self.kw("retry_after", after.span);
            self.sp();
            self.expr(after);
        }
    }

    // ── Profiles ──

    /// A stage block: on one line when it has no comment and holds only `users` and
    /// `iterations` stages, or a single stage other than `repeat`.
    fn stages(&mut self, from: usize, stages: &[Stage]) {
        let short = stages.iter().all(|s| {
            s.mods.is_empty() && matches!(s.kind, StageKind::Users(_) | StageKind::Iterations(_))
        }) || matches!(stages, [one] if !matches!(one.kind, StageKind::Repeat { .. }));
        if short && !self.braces_have_comment(from) {
            self.compact(from, stages, |s| s.span, Self::stage);
        } else {
            self.block(
                from,
                stages,
                |s| s.span,
                Self::stage,
                |prev, next| {
                    matches!(
                        prev.kind,
                        StageKind::Hold { .. }
                            | StageKind::RampUsers { .. }
                            | StageKind::RampRate { .. }
                            | StageKind::Rate { .. }
                            | StageKind::Pause(_)
                    ) && matches!(next.kind, StageKind::Limit(_) | StageKind::MaxUsers(_))
                },
            );
        }
    }

    fn stage(&mut self, stage: &Stage) {
        match &stage.kind {
            StageKind::Users(e) => {
                self.put("users");
                self.sp();
                self.expr(e);
            }
            StageKind::Iterations(e) => {
                self.put("iterations");
                self.sp();
                self.expr(e);
            }
            StageKind::Hold { users, duration } => {
                self.put("hold");
                self.sp();
                self.expr(users);
                self.kw("users for", duration.span);
                self.sp();
                self.expr(duration);
            }
            StageKind::RampUsers { to, over } => {
                self.put("ramp to");
                self.sp();
                self.expr(to);
                self.kw("users over", over.span);
                self.sp();
                self.expr(over);
            }
            StageKind::RampRate { to, over } => {
                self.put("ramp rate to");
                self.sp();
                self.expr(to);
                self.kw("over", over.span);
                self.sp();
                self.expr(over);
            }
            StageKind::Rate { rate, duration } => {
                self.put("rate");
                self.sp();
                self.expr(rate);
                self.kw("for", duration.span);
                self.sp();
                self.expr(duration);
            }
            StageKind::Pause(e) => {
                self.put("pause");
                self.sp();
                self.expr(e);
            }
            StageKind::Repeat { count, stages } => {
                self.put("repeat");
                self.sp();
                self.expr(count);
                self.stages(count.span.end as usize, stages);
            }
            StageKind::MaxUsers(e) => {
                self.put("max users");
                self.sp();
                self.expr(e);
            }
            StageKind::Limit(e) => {
                self.put("limit");
                self.sp();
                self.expr(e);
            }
        }
        for m in &stage.mods {
            match &m.kind {
                StageModKind::Limit(e) => {
                    self.kw("limit", m.span);
                    self.sp();
                    self.expr(e);
                }
                StageModKind::MaxUsers(e) => {
                    self.kw("max users", m.span);
                    self.sp();
                    self.expr(e);
                }
                StageModKind::As(name) => {
                    self.kw("as", m.span);
                    self.sp();
                    self.name(name);
                }
            }
        }
    }

    // ── Tests ──

    fn test_stmt(&mut self, stmt: &TestStmt) {
        match &stmt.kind {
            TestStmtKind::Workload(name) => {
                self.put("workload");
                self.sp();
                self.name(name);
            }
            TestStmtKind::Profile(ProfileRef::Named(name)) => {
                self.put("profile");
                self.sp();
                self.name(name);
            }
            TestStmtKind::Profile(ProfileRef::Inline(stages)) => {
                self.put("profile");
                self.stages(stmt.span.start as usize, stages);
            }
            TestStmtKind::Scenarios(list) => {
                self.put("scenarios");
                self.scenario_list(list);
            }
            TestStmtKind::Inject(InjectAt::Client) => self.put("inject at client"),
            TestStmtKind::Inject(InjectAt::Proxy(name)) => {
                self.put("inject at proxy");
                self.sp();
                self.name(name);
            }
            TestStmtKind::Seed(e) => {
                self.put("seed");
                self.sp();
                self.expr(e);
            }
            TestStmtKind::Services(names) => {
                self.put("services");
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        self.put(",");
                    }
                    self.sp();
                    self.name(n);
                }
            }
            TestStmtKind::Chaos(chaos) => {
                self.put("chaos from");
                self.sp();
                self.expr(&chaos.from);
                self.kw("to", chaos.to.span);
                self.sp();
                self.expr(&chaos.to);
                self.block(
                    chaos.to.span.end as usize,
                    &chaos.stmts,
                    |s| s.span,
                    Self::chaos_stmt,
                    |_, _| false,
                );
            }
            TestStmtKind::Slo(stmts) => {
                self.put("slo");
                self.block(
                    stmt.span.start as usize,
                    stmts,
                    |s| s.span,
                    Self::slo_stmt,
                    slo_needs_comma,
                );
            }
        }
    }

    fn scenario_list(&mut self, list: &[ScenarioExpr]) {
        for (i, e) in list.iter().enumerate() {
            if i > 0 {
                self.put(",");
            }
            self.sp();
            self.scenario_expr(e);
        }
    }

    fn chaos_stmt(&mut self, stmt: &ChaosStmt) {
        let (edge, action) = match &stmt.kind {
            ChaosStmtKind::Faults(list) => {
                self.put("faults");
                self.scenario_list(list);
                return;
            }
            ChaosStmtKind::Start(a) => ("start", a),
            ChaosStmtKind::Stop(a) => ("stop", a),
            ChaosStmtKind::Hold { op, service } => {
                self.put(service_op_word(*op));
                self.sp();
                self.name(service);
                return;
            }
        };
        self.put(edge);
        self.sp();
        match action {
            Action::Exec(e) => {
                self.put("exec");
                self.sp();
                self.expr(e);
            }
            Action::Service { op, service } => {
                self.put(service_op_word(*op));
                self.sp();
                self.name(service);
            }
            Action::Http { method, url, json } => {
                self.put("http");
                self.sp();
                self.name(method);
                self.sp();
                self.expr(url);
                if let Some(json) = json {
                    self.kw("json", json.span);
                    self.sp();
                    self.expr(json);
                }
            }
        }
    }

    fn slo_stmt(&mut self, stmt: &SloStmt) {
        match &stmt.kind {
            SloStmtKind::Assert {
                prefixes,
                expr,
                every,
            } => {
                for prefix in prefixes {
                    self.put(match prefix.kind {
                        SloPrefixKind::Scenario => "scenario",
                        SloPrefixKind::Step => "step",
                    });
                    self.sp();
                    self.name(&prefix.name);
                    self.put(":");
                    self.sp();
                }
                self.expr(expr);
                if let Some(every) = every {
                    self.kw("in every", every.span);
                    self.sp();
                    self.expr(every);
                }
            }
            SloStmtKind::Abort { condition, over } => {
                self.put("abort if");
                self.sp();
                self.expr(condition);
                if let Some(over) = over {
                    self.kw("over", over.span);
                    self.sp();
                    self.expr(over);
                }
            }
        }
    }

    // ── Expressions ──

    fn expr(&mut self, e: &Expr) {
        let (start, end) = (e.span.start as usize, expr_end(self.src, e));
        if !self.multiline(start, end) && !self.has_comment(start, end) {
            let text = flat(self.src, e);
            if !has_seq(e) || self.col() + text.chars().count() <= WIDTH {
                self.token(&text, start, end);
                return;
            }
        }
        self.flush(start);
        match &e.kind {
            ExprKind::Number { .. }
            | ExprKind::Duration(_)
            | ExprKind::Percent(_)
            | ExprKind::Rate(_)
            | ExprKind::Size(_)
            | ExprKind::Bandwidth(_)
            | ExprKind::Money(_)
            | ExprKind::StatusClass(_)
            | ExprKind::Str(_)
            | ExprKind::RawStr(_) => {
                let text = &self.src[start..end];
                self.token(text, start, end);
            }
            ExprKind::Name(n) => self.name(n),
            ExprKind::List(items) => {
                self.seq(e.span, '[', ']', items, |x| x.span, |p, x| p.expr(x))
            }
            ExprKind::Object(entries) => self.seq(
                e.span,
                '{',
                '}',
                entries,
                |en| en.span,
                |p, en| {
                    let key = slice(p.src, en.key.span);
                    p.token(key, en.key.span.start as usize, en.key.span.end as usize);
                    p.put(":");
                    p.sp();
                    p.expr(&en.value);
                },
            ),
            ExprKind::Field { base, field } => {
                self.expr(base);
                // `.name` is one token: no comment may come between the dot and the name.
                let dot = self.find(self.tight_end(base.span), b'.');
                self.token(&format!(".{}", field.text), dot, field.span.end as usize);
            }
            ExprKind::Index { base, index } => {
                self.expr(base);
                self.put("[");
                self.expr(index);
                self.token("]", end - 1, end);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                self.put("(");
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        self.put(",");
                        self.sp();
                    }
                    if let Some(n) = &arg.name {
                        self.name(n);
                        self.put(":");
                        self.sp();
                    }
                    self.expr(&arg.value);
                }
                let close = end - 1;
                self.token(")", close, end);
            }
            ExprKind::Unary { op, operand } => {
                self.put(unary_symbol(*op));
                self.expr(operand);
            }
            ExprKind::Binary {
                op: BinaryOp::Range,
                lhs,
                rhs,
            } => {
                self.expr(lhs);
                self.flush(rhs.span.start as usize);
                self.put("..");
                self.expr(rhs);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                self.kw(op.symbol(), rhs.span);
                self.sp();
                self.expr(rhs);
            }
            ExprKind::Phase { base, phase, name } => {
                self.expr(base);
                self.kw(phase_word(*phase), name.span);
                self.sp();
                self.name(name);
            }
            ExprKind::Paren(inner) => {
                self.put("(");
                self.expr(inner);
                self.token(")", end - 1, end);
            }
        }
    }

    /// A list or an object that does not stay on one line: one entry per line, each but the
    /// last followed by a comma; the last one too when it was in the source.
    fn seq<T>(
        &mut self,
        span: Span,
        open: char,
        close: char,
        items: &[T],
        item_span: impl Fn(&T) -> Span,
        mut print: impl FnMut(&mut Self, &T),
    ) {
        let (start, end) = (span.start as usize, span.end as usize);
        self.token(&open.to_string(), start, start + 1);
        if items.is_empty() && !self.has_comment(start, end) {
            self.token(&close.to_string(), end - 1, end);
            return;
        }
        let trailing_comma = self.comma_before(end - 1);
        let base = self.current_indent();
        let saved = (self.indent, self.cont);
        self.end_line();
        self.indent = base + 2;
        self.blank = Blank::Suppress;
        for (i, item) in items.iter().enumerate() {
            let s = item_span(item);
            self.begin(s.start as usize);
            print(self, item);
            self.last = self.last.max(self.tight_end(s));
            if i + 1 < items.len() || trailing_comma {
                self.put(",");
            }
        }
        self.end_line();
        self.cont = 0;
        self.flush(end - 1);
        self.indent = base;
        self.cont = 0;
        self.token(&close.to_string(), end - 1, end);
        (self.indent, self.cont) = saved;
        self.blank = Blank::Preserve;
    }
}

/// Whether the next assertion would be read as part of the previous one without a comma.
fn slo_needs_comma(_prev: &SloStmt, next: &SloStmt) -> bool {
    let SloStmtKind::Assert { prefixes, expr, .. } = &next.kind else {
        return false;
    };
    if !prefixes.is_empty() {
        return false;
    }
    starts_ambiguously(expr)
}

/// Whether an expression starts with something that could continue the statement before it:
/// `-`, `(`, `[`, or one of the words `before`, `during`, `after`, `in`, `over`, `if` (an
/// assertion that is the bare name `abort` followed by one starting with `if` would read as
/// `abort if …`).
fn starts_ambiguously(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        }
        | ExprKind::Paren(_)
        | ExprKind::List(_) => true,
        ExprKind::Name(n) => matches!(
            n.text.as_str(),
            "before" | "during" | "after" | "in" | "over" | "if"
        ),
        ExprKind::Field { base, .. }
        | ExprKind::Index { base, .. }
        | ExprKind::Phase { base, .. } => starts_ambiguously(base),
        ExprKind::Call { callee, .. } => starts_ambiguously(callee),
        ExprKind::Binary { lhs, .. } => starts_ambiguously(lhs),
        _ => false,
    }
}

/// The keyword of a service action in a chaos window.
fn service_op_word(op: ServiceOp) -> &'static str {
    match op {
        ServiceOp::Pause => "pause",
        ServiceOp::Resume => "resume",
        ServiceOp::Restart => "restart",
        ServiceOp::Down => "down",
        ServiceOp::Up => "up",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> File {
        let file = SourceFile::new("t.stress", text);
        crate::syntax::parse(&file)
            .unwrap_or_else(|e| panic!("does not parse: {e:#?}\n---\n{text}---"))
    }

    /// The formatter without its safety net, so that a bug shows.
    fn fmt_str(text: &str) -> String {
        let file = SourceFile::new("t.stress", text);
        render(&file, &parse(text))
    }

    fn comment_texts(text: &str) -> Vec<String> {
        scan_comments(text).into_iter().map(|c| c.text).collect()
    }

    /// Output parses to the same tree, formatting it again changes nothing, no comment is lost.
    fn assert_invariants(input: &str) -> String {
        assert_invariants_of(input, &parse(input))
    }

    fn assert_invariants_of(input: &str, ast: &File) -> String {
        let out = render(&SourceFile::new("t.stress", input), ast);
        let again = parse(&out);
        assert_eq!(tree_text(&again), tree_text(ast), "tree changed:\n{out}");
        assert_eq!(
            render(&SourceFile::new("t.stress", out.as_str()), &again),
            out,
            "not idempotent; first pass:\n{out}"
        );
        assert_eq!(
            comment_texts(&out),
            comment_texts(input),
            "comments differ:\n{out}"
        );
        assert!(
            out.is_empty() || out.ends_with('\n') && !out.ends_with("\n\n"),
            "file end:\n{out:?}"
        );
        assert!(!out.contains('\r'), "CR left:\n{out:?}");
        assert!(
            out.lines().all(|l| l == l.trim_end()),
            "trailing whitespace:\n{out}"
        );
        out
    }

    /// `input` formats to `expected` (and obeys the invariants).
    #[track_caller]
    fn golden(input: &str, expected: &str) {
        let out = assert_invariants(input);
        assert_eq!(
            out, expected,
            "\n--- got ---\n{out}--- expected ---\n{expected}"
        );
    }

    fn scenario_text(name: &str) -> String {
        let path = std::format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn span_stripping_replaces_only_spans() {
        assert_eq!(
            tree_text(&parse("let a = 2s..5s\nlet b = 1.5")),
            tree_text(&parse("let  a=2s .. 5s\n\n\nlet b = 1.5"))
        );
        assert_ne!(
            tree_text(&parse("let a = 1.5")),
            tree_text(&parse("let a = 1.25"))
        );
    }

    #[test]
    fn every_shipped_scenario_round_trips() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "stress") {
                let text = std::fs::read_to_string(&path).unwrap();
                let out = assert_invariants(&text);
                assert!(!comment_texts(&text).is_empty() || !out.contains('#'));
                seen += 1;
            }
        }
        assert!(
            seen >= 6,
            "expected the spec examples in scenarios/, saw {seen}"
        );
    }

    #[test]
    fn shipped_scenarios_are_already_canonical() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "stress") {
                let text = std::fs::read_to_string(&path).unwrap();
                let file = SourceFile::new("t.stress", text.as_str());
                let ast = parse(&text);
                assert_eq!(
                    try_format(&file, &ast).as_deref(),
                    Some(text.as_str()),
                    "{} is not canonical",
                    path.display()
                );
                assert_eq!(fmt_str(&text), text, "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen >= 6, "saw {seen}");
    }

    #[test]
    fn comments_on_their_own_line_and_trailing() {
        golden(
            "# file header\n\n# about llm\ntarget llm mock {   # the mock\n  # the api\n  api openai  # openai or anthropic\n   latency 1ms # fast\n\n  # last words\n}\n# the end\n",
            "# file header\n\n# about llm\ntarget llm mock {   # the mock\n  # the api\n  api openai  # openai or anthropic\n  latency 1ms  # fast\n\n  # last words\n}\n\n# the end\n",
        );
    }

    #[test]
    fn the_gap_before_a_trailing_comment_is_kept_from_two_spaces() {
        golden(
            "let a = 1        # aligned\nlet bb = 22      # by hand\nlet c = 3 # one space\nlet d = 4\t# tab\nlet e = [1,     # in a list\n  2]\n",
            "let a = 1        # aligned\nlet bb = 22      # by hand\nlet c = 3  # one space\nlet d = 4  # tab\n\nlet e = [\n  1,     # in a list\n  2\n]\n",
        );
        // A comment on a line of its own that ends a joined line gets two spaces, whatever
        // its indentation was.
        golden(
            "workload w {\n  request r: get t \"/\" {\n    check status == 200 ||\n            # or\n      status == 503\n  }\n}\n",
            "workload w {\n  request r: get t \"/\" {\n    check status == 200  # or\n        || status == 503\n  }\n}\n",
        );
    }

    #[test]
    fn a_trailing_comma_after_the_last_entry_is_kept_not_added() {
        golden(
            "let a = [\n  1,\n  2,\n]\nlet b = [\n  1,\n  2\n]\nlet c = { x: 1,\n  y: [3,\n  4, ],  # last\n}\nlet d = { x: 1,\n  y: 2 # no comma\n}\nlet e = [1, 2,]\n",
            "let a = [\n  1,\n  2,\n]\n\nlet b = [\n  1,\n  2\n]\n\nlet c = {\n  x: 1,\n  y: [\n    3,\n    4,\n  ],  # last\n}\n\nlet d = {\n  x: 1,\n  y: 2  # no comma\n}\n\nlet e = [1, 2]\n",
        );
    }

    #[test]
    fn one_line_declarations_stay_together() {
        golden(
            "# header\nlet a = 1\ntarget t = \"http://h\"\n# about the table\nscenario x { error_rate(1%, 500) }\n\n\nscenario y { latency(1%, 1s) }\n# about w\nworkload w { think 1s }\nlet z = 2\n# the end\n",
            "# header\nlet a = 1\ntarget t = \"http://h\"\n# about the table\nscenario x { error_rate(1%, 500) }\n\nscenario y { latency(1%, 1s) }\n\n# about w\nworkload w {\n  think 1s\n}\n\nlet z = 2\n# the end\n",
        );
    }

    #[test]
    fn alignment_before_the_brace_of_a_one_line_scenario_is_kept() {
        golden(
            "scenario a    {}\nscenario bb   { error_rate(1%, 500) }\nscenario c\t{ latency(1%, 1s) }\nscenario d   {\n  latency(1%, 1s)\n}\nscenario e   { latency(1%, 1s), error_rate(1%, 500) }\n",
            "scenario a    {}\nscenario bb   { error_rate(1%, 500) }\nscenario c { latency(1%, 1s) }\n\nscenario d {\n  latency(1%, 1s)\n}\n\nscenario e {\n  latency(1%, 1s)\n  error_rate(1%, 500)\n}\n",
        );
    }

    #[test]
    fn hash_inside_strings_is_not_a_comment() {
        golden(
            "let a = \"#1\" # real\nlet b = '#raw'\nlet c = \"\"\"x\n# not a comment\n\"\"\"\nlet d = \"${\"#\"}\"  # real too\n",
            "let a = \"#1\"  # real\nlet b = '#raw'\n\nlet c = \"\"\"x\n# not a comment\n\"\"\"\n\nlet d = \"${\"#\"}\"  # real too\n",
        );
        assert_eq!(
            comment_texts("let a = \"#1\" # real\nlet d = \"${\"#\"}\"  # b"),
            ["# real", "# b"]
        );
    }

    #[test]
    fn messy_spacing_becomes_canonical() {
        golden(
            "let   x=1+2*3\nworkload   w{request a:get t   \"/p\"{check status==200&&!(body==\"x\")\ncapture c=json.a.b[0]}\n   think 2s  ..5s}\n\n\n\nscenario s{when call%10==0=>429 retry_after 2s,burst(start:5,length:10,fault:503,)}\n",
            "let x = 1 + 2 * 3\n\nworkload w {\n  request a: get t \"/p\" {\n    check status == 200 && !(body == \"x\")\n    capture c = json.a.b[0]\n  }\n  think 2s..5s\n}\n\nscenario s {\n  when call % 10 == 0 => 429 retry_after 2s\n  burst(start: 5, length: 10, fault: 503)\n}\n",
        );
    }

    #[test]
    fn crlf_becomes_lf() {
        golden(
            "# one\r\nlet a = 1  # two\r\n\r\n\r\nlet b = 2\r\n",
            "# one\nlet a = 1  # two\n\nlet b = 2\n",
        );
        // Inside a `"""` string too: the one change of a string's value the formatter makes.
        let file = SourceFile::new("t.stress", "let b = \"\"\"x\r\ny\"\"\"\r\n");
        let ast = parse(&file.text);
        assert_eq!(
            try_format(&file, &ast).as_deref(),
            Some("let b = \"\"\"x\ny\"\"\"\n")
        );
    }

    #[test]
    fn short_forms_stay_short() {
        golden(
            "profile p {\n  users 5\n  iterations 10\n}\nprofile q { rate 10/m for 1h max users 5 }\nprofile r { hold 10 users for 1m  ramp to 500 users over 10s }\ntest \"t\" { workload w, profile { users 10, iterations 20 }, seed 1 }\nworkload w { budget { time 10s\n cost $0.01 } }\nscenario baseline {}\nscenario one { error_rate(30%, 429) }\nscenario two {\n  latency(50%, 2s)\n}\n",
            "profile p { users 5, iterations 10 }\nprofile q { rate 10/m for 1h max users 5 }\n\nprofile r {\n  hold 10 users for 1m\n  ramp to 500 users over 10s\n}\n\ntest \"t\" {\n  workload w\n  profile { users 10, iterations 20 }\n  seed 1\n}\n\nworkload w {\n  budget { time 10s, cost $0.01 }\n}\n\nscenario baseline {}\nscenario one { error_rate(30%, 429) }\n\nscenario two {\n  latency(50%, 2s)\n}\n",
        );
    }

    #[test]
    fn a_comment_inside_a_short_form_breaks_it() {
        golden(
            "test \"t\" {\n  profile { users 10  # ten\n  iterations 20 }\n}\nworkload w { budget { time 1s, # t\n cost $1 } }\n",
            "test \"t\" {\n  profile {\n    users 10  # ten\n    iterations 20\n  }\n}\n\nworkload w {\n  budget {\n    time 1s  # t\n    cost $1\n  }\n}\n",
        );
    }

    #[test]
    fn multi_line_json_object_keeps_its_comments() {
        golden(
            "workload w {\n  request r: post t \"/\" {\n    json {\n      # the model\n      model: \"m\",   # which one\n\n      n: [1,2,\n  3],\n      msgs: [{ role: \"user\" }] # last\n      # after all\n    }\n    query { a: 1, b: \"x\" }\n  }\n}\n",
            "workload w {\n  request r: post t \"/\" {\n    json {\n      # the model\n      model: \"m\",   # which one\n\n      n: [\n        1,\n        2,\n        3\n      ],\n      msgs: [{ role: \"user\" }]  # last\n      # after all\n    }\n    query { a: 1, b: \"x\" }\n  }\n}\n",
        );
    }

    #[test]
    fn long_lists_break_at_100_columns() {
        let long = (0..30)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let out = assert_invariants(&std::format!("let xs = [{long}]\nlet ys = [1, 2]\n"));
        assert!(out.starts_with("let xs = [\n  0,\n  1,\n"), "{out}");
        assert!(
            out.ends_with("  28,\n  29\n]\n\nlet ys = [1, 2]\n"),
            "{out}"
        );
        // Exactly 100 columns stays on one line.
        let fits = std::format!("let xs = [\"{}\"]\n", "a".repeat(100 - 13));
        assert_eq!(assert_invariants(&fits), fits);
        let over = std::format!("let xs = [\"{}\"]\n", "a".repeat(100 - 12));
        assert!(assert_invariants(&over).starts_with("let xs = [\n"));
    }

    #[test]
    fn nested_steps() {
        golden(
            "workload w {\n  repeat 3 as i { set x = i\n    with probability 30% { think 1s }\n    choose { 80%: { think 2s } 20%: {\n      repeat 2 { request r: get t \"/\" }\n    }, }\n  }\n  retry { attempts 5, on 429, 5xx, timeout\n  backoff exponential(200ms, factor: 2, max: 5s) jitter full\n  ignore retry_after }\n}\n",
            "workload w {\n  repeat 3 as i {\n    set x = i\n    with probability 30% {\n      think 1s\n    }\n    choose {\n      80%: {\n        think 2s\n      }\n      20%: {\n        repeat 2 {\n          request r: get t \"/\"\n        }\n      }\n    }\n  }\n  retry {\n    attempts 5\n    on 429, 5xx, timeout\n    backoff exponential(200ms, factor: 2, max: 5s) jitter full\n    ignore retry_after\n  }\n}\n",
        );
    }

    #[test]
    fn composed_scenario() {
        golden(
            "scenario mixed=a+b  +c   # all three\ntest \"t\" {\n  scenarios baseline,a + b , c\n  inject at proxy p\n  services x,y\n  chaos from 2m to 5m { faults a+b, c\n start exec \"x\", stop http post \"http://h/c\" json {on: false} }\n}\n",
            "scenario mixed = a + b + c   # all three\n\ntest \"t\" {\n  scenarios baseline, a + b, c\n  inject at proxy p\n  services x, y\n  chaos from 2m to 5m {\n    faults a + b, c\n    start exec \"x\"\n    stop http post \"http://h/c\" json { on: false }\n  }\n}\n",
        );
    }

    #[test]
    fn poll_clauses_inline_or_on_continuation_lines() {
        golden(
            "workload w {\n  poll s: get api \"/jobs\"\n every 500ms until json.done within 30s\n  poll explanation: get gateway \"/v1/traces/${chat.json.trace_id}/status\" every 500ms until json.state == \"complete\" || json.state == \"expired\" within 30s\n  poll b: get api \"/b\" { header \"x\" = \"y\" } every 1s # often\n   # the condition\n   until json.ok within 5s\n}\n",
            "workload w {\n  poll s: get api \"/jobs\" every 500ms until json.done within 30s\n  poll explanation: get gateway \"/v1/traces/${chat.json.trace_id}/status\"\n    every 500ms\n    until json.state == \"complete\" || json.state == \"expired\"\n    within 30s\n  poll b: get api \"/b\" {\n    header \"x\" = \"y\"\n  }\n    every 1s  # often\n    # the condition\n    until json.ok\n    within 5s\n}\n",
        );
    }

    #[test]
    fn slo_lines() {
        golden(
            "test \"t\" { slo { scenario x:step y:p95(latency)<500ms during overload in every 10m\nabort if error_rate>50% over 30s, abort if error_rate > 90%\n count(status==429)>=1 } }\n",
            "test \"t\" {\n  slo {\n    scenario x: step y: p95(latency) < 500ms during overload in every 10m\n    abort if error_rate > 50% over 30s\n    abort if error_rate > 90%\n    count(status == 429) >= 1\n  }\n}\n",
        );
    }

    #[test]
    fn separating_commas_are_kept_where_a_line_break_would_change_the_meaning() {
        golden(
            "profile p { hold 10 users for 1m, limit 5/s, rate 5/s for 1m limit 2/s, max users 3 }\nworkload w { retry { backoff constant(1s), jitter none } }\ntest \"t\" { slo { p95(latency) < 1s, -(x) < 2, (y) > 1, abort, if } }\n",
            "profile p {\n  hold 10 users for 1m,\n  limit 5/s\n  rate 5/s for 1m limit 2/s,\n  max users 3\n}\n\nworkload w {\n  retry {\n    backoff constant(1s),\n    jitter none\n  }\n}\n\ntest \"t\" {\n  slo {\n    p95(latency) < 1s,\n    -(x) < 2,\n    (y) > 1\n    abort,\n    if\n  }\n}\n",
        );
    }

    #[test]
    fn comment_inside_a_joined_expression_ends_the_line() {
        golden(
            "workload w {\n  request r: get t \"/\" {\n    check status == 200 ||\n      # or a 503\n      status == 503\n  }\n}\n",
            "workload w {\n  request r: get t \"/\" {\n    check status == 200  # or a 503\n        || status == 503\n  }\n}\n",
        );
    }

    #[test]
    fn comments_in_odd_places_are_kept() {
        golden(
            "workload w # after name\n{ # after brace\n  repeat 3 # count\n  as i { }\n  set x = f(1, # first arg\n     2)\n  set y = [ # open\n  ]\n  set q = a[0 # index\n  ].b # dot\n    .c\n}\ntest \"t\" { profile # which\n { users 1 } }\n",
            "workload w {\n  # after name\n  # after brace\n  repeat 3  # count\n      as i {}\n  set x = f(1,  # first arg\n      2)\n  set y = [  # open\n  ]\n  set q = a[0  # index\n      ].b  # dot\n      .c\n}\n\ntest \"t\" {\n  profile {\n    # which\n    users 1\n  }\n}\n",
        );
    }

    #[test]
    fn blank_lines_inside_blocks_are_kept_once() {
        golden(
            "workload w {\n\n  think 1s\n\n\n\n  think 2s\n  think 3s\n\n}\n\n\n\n\nlet a = 1\nlet b = 2\n\n\n\nlet c = 3\n",
            "workload w {\n  think 1s\n\n  think 2s\n  think 3s\n}\n\nlet a = 1\nlet b = 2\n\nlet c = 3\n",
        );
    }

    #[test]
    fn empty_and_comment_only_files() {
        golden("", "");
        golden("\n\n  \n", "");
        golden(
            "  # only a comment  \n\n\n# and another",
            "# only a comment\n\n# and another\n",
        );
    }

    #[test]
    fn services_targets_and_literals_keep_their_text() {
        golden(
            "service app{exec \"python -m x\" env {A:\"1\",\"b-c\": '2'} ready tcp \"127.0.0.1:1\" within 60s}\nproxy p{listen \"127.0.0.1:9100\"\nupstream \"http://127.0.0.1:9200\"}\nlet t = [1m30s, 1_000, 0.5%, 64KiB/s, $0.002, 5xx, 10/m, 512B]\n",
            "service app {\n  exec \"python -m x\"\n  env { A: \"1\", \"b-c\": '2' }\n  ready tcp \"127.0.0.1:1\" within 60s\n}\n\nproxy p {\n  listen \"127.0.0.1:9100\"\n  upstream \"http://127.0.0.1:9200\"\n}\n\nlet t = [1m30s, 1_000, 0.5%, 64KiB/s, $0.002, 5xx, 10/m, 512B]\n",
        );
    }

    #[test]
    fn messy_quickstart_formats_like_quickstart() {
        let messy = r#"   # Runs with nothing else installed: the mock LLM below is started by `stress` on loopback.
#   stress run quickstart.stress



target llm mock { api openai, latency 20ms .. 80ms,   tokens 20..200 }
workload chat {


  request complete : post llm "/v1/chat/completions" { json {
      model: "test-model", max_tokens: 200,
        messages: [ { role: "user", content: "Hello from user ${user}, iteration ${iteration}" } ]
    }
    timeout 5s, check status==200
    capture tokens = json .usage.completion_tokens, }
}
test "smoke" { workload chat
  profile {
    users 10
    iterations 20
  }
  slo { success_rate == 100%, p95(latency) < 500ms
    p99( latency ) < 1s, throughput > 20/s }
}"#;
        assert_eq!(assert_invariants(messy), scenario_text("quickstart.stress"));
    }

    /// Offsets of the spaces and line breaks of `text` that lie outside strings and comments.
    fn code_gaps(text: &str) -> Vec<usize> {
        let b = text.as_bytes();
        let mut gaps = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'"' | b'\'' => i = literal_end(text, i),
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b' ' | b'\n' => {
                    gaps.push(i);
                    i += 1;
                }
                _ => i += 1,
            }
        }
        gaps
    }

    /// Every shipped scenario with, at every `stride`-th gap between tokens in turn: a trailing
    /// comment, a comment on its own line, a line break, a blank line, a space (which joins
    /// two lines); each variant that parses must format with the invariants intact.
    fn mutate_scenarios(stride: usize) -> usize {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "stress") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, at) in code_gaps(&text).into_iter().enumerate() {
                for (k, insert) in [" # c\n", "\n# own\n", "\n", "\n\n", " "]
                    .into_iter()
                    .enumerate()
                {
                    if (n + k) % stride != 0 {
                        continue;
                    }
                    let mutated = std::format!("{}{insert}{}", &text[..at], &text[at + 1..]);
                    let file = SourceFile::new("t.stress", mutated.as_str());
                    if let Ok(ast) = crate::syntax::parse(&file) {
                        assert_invariants_of(&mutated, &ast);
                        checked += 1;
                    }
                }
            }
        }
        checked
    }

    #[test]
    fn mutated_scenarios_keep_the_invariants() {
        assert!(mutate_scenarios(23) > 100);
    }

    /// The same at every gap: slow in a debug build, run with `cargo test -- --ignored`.
    #[test]
    #[ignore]
    fn every_mutation_of_the_scenarios_keeps_the_invariants() {
        assert!(mutate_scenarios(1) > 3000);
    }
}
