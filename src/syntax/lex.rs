//! The lexical walk over `.stress` text: which bytes are code, comments and string text, read
//! the way the grammar reads them, without parsing.
//!
//! Sits beside the parser in the syntax stage. Every tool that must tell a `#` or a bracket in
//! code from one in a string asks this walker: the parser's guards (the nesting-depth limit
//! and the scan for unclosed strings, which run before or after pest), `stress fmt` (where the
//! comments are, where a string literal ends) and the language server (which words are names).
//!
//! The rules mirror `grammar/stress.pest`:
//! - `# …` is a comment up to the line end (`\n`, `\r\n` or a lone `\r`), outside strings.
//! - `"…"` ends at its `"` or, left open, at the line end; `\` escapes the next character
//!   (never a line end), `\u{…}` up to its `}` on the same line; `${…}` holds code, which may
//!   span lines and hold strings and comments of its own, up to the `}` that balances it.
//! - `"""…"""` may span lines; escapes and interpolations as in `"…"`.
//! - `'…'` has no escapes and no interpolation, and ends at its `'` or the line end.
//!
//! No allocation per byte and no parsing: one pass, tokens with byte offsets.

use std::collections::VecDeque;

/// What a [`Token`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Code other than brackets and quotes: names, numbers, operators, whitespace, line ends.
    Code,
    /// `(`, `[` or `{` in code.
    Open,
    /// `)`, `]` or `}` in code (the `}` that ends an interpolation is `InterpolationEnd`).
    Close,
    /// `# …`, without the line end.
    Comment,
    /// The opening quote of a string.
    Quote(Quote),
    /// Text inside a string, escapes included.
    Text,
    /// `${` in a `"…"` or `"""…"""` string: code follows, up to the `}` that balances it.
    InterpolationStart,
    /// The `}` that ends an interpolation.
    InterpolationEnd,
    /// The closing quote of the string whose opening quote is at `open`.
    EndQuote { open: usize },
    /// Empty: the string opened at `open` ended without its closing quote (at a line end, or at
    /// the end of the text).
    Unclosed { open: usize, quote: Quote },
}

/// The three kinds of string literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quote {
    /// `"…"`: escapes and interpolation, one line.
    Plain,
    /// `'…'`: neither, one line.
    Raw,
    /// `"""…"""`: escapes and interpolation, several lines.
    Triple,
}

/// One piece of the text: `text[start..end]` is a `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// What encloses the current position.
#[derive(Clone, Copy, Debug)]
enum Frame {
    /// A string opened at `open`.
    Str { open: usize, quote: Quote },
    /// An interpolation, with the `{` opened inside it and not yet closed.
    Interpolation { braces: usize },
}

/// How the walk treats a line end inside an interpolation of a one-line string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineEnds {
    /// As the grammar does: whitespace of the interpolation's code.
    Grammar,
    /// As the end of the string: the usual reading of text that failed to parse, where a
    /// `${` whose `}` is missing would otherwise swallow the lines after it.
    Recover,
}

/// The walker: an iterator over the [`Token`]s of a text, in order, covering every byte.
pub(crate) struct Lexer<'t> {
    text: &'t str,
    pos: usize,
    stack: Vec<Frame>,
    line_ends: LineEnds,
    /// Empty tokens decided together with the next one (strings closed by a line end).
    pending: VecDeque<Token>,
}

impl<'t> Lexer<'t> {
    /// Walks `text` as the grammar reads it.
    pub(crate) fn new(text: &'t str) -> Self {
        Lexer {
            text,
            pos: 0,
            stack: Vec::new(),
            line_ends: LineEnds::Grammar,
            pending: VecDeque::new(),
        }
    }

    /// Walks text that failed to parse: a line end inside an interpolation of a `"…"` string
    /// ends that string (one [`Kind::Unclosed`], for the innermost string if the line ended in
    /// one, else for the outermost, and no `InterpolationEnd` for the interpolations dropped).
    /// Interpolations of a `"""…"""` string still span lines.
    pub(crate) fn recovering(text: &'t str) -> Self {
        Lexer {
            line_ends: LineEnds::Recover,
            ..Lexer::new(text)
        }
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    fn token(&mut self, kind: Kind, end: usize) -> Token {
        let token = Token {
            kind,
            start: self.pos,
            end,
        };
        self.pos = end;
        token
    }

    /// Code at `pos` (outside strings, or inside an interpolation).
    fn code(&mut self) -> Token {
        let b = self.bytes();
        let i = self.pos;
        match b[i] {
            b'#' => {
                let end = line_end(b, i);
                self.token(Kind::Comment, end)
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => self.open(Quote::Triple, 3),
            b'"' => self.open(Quote::Plain, 1),
            b'\'' => self.open(Quote::Raw, 1),
            b'(' | b'[' => self.token(Kind::Open, i + 1),
            b'{' => {
                if let Some(Frame::Interpolation { braces }) = self.stack.last_mut() {
                    *braces += 1;
                }
                self.token(Kind::Open, i + 1)
            }
            b')' | b']' => self.token(Kind::Close, i + 1),
            b'}' => match self.stack.last_mut() {
                Some(Frame::Interpolation { braces: 0 }) => {
                    self.stack.pop();
                    self.token(Kind::InterpolationEnd, i + 1)
                }
                Some(Frame::Interpolation { braces }) => {
                    *braces -= 1;
                    self.token(Kind::Close, i + 1)
                }
                _ => self.token(Kind::Close, i + 1),
            },
            b'\n' | b'\r' if self.recovers_here() => {
                // The strings this line end closes come before it.
                self.recover_line_end();
                let line_end = self.token(Kind::Code, i + 1);
                self.pending.push_back(line_end);
                self.pending.pop_front().expect("the line end was queued")
            }
            _ => {
                let mut end = i + 1;
                while end < b.len()
                    && !matches!(
                        b[end],
                        b'#' | b'"' | b'\'' | b'(' | b'[' | b'{' | b')' | b']' | b'}'
                    )
                    && !(matches!(b[end], b'\n' | b'\r') && self.recovers_here())
                {
                    end += 1;
                }
                self.token(Kind::Code, end)
            }
        }
    }

    fn open(&mut self, quote: Quote, len: usize) -> Token {
        self.stack.push(Frame::Str {
            open: self.pos,
            quote,
        });
        self.token(Kind::Quote(quote), self.pos + len)
    }

    /// Inside the string opened at `open`.
    fn string(&mut self, open: usize, quote: Quote) -> Token {
        let b = self.bytes();
        let i = self.pos;
        let one_line = quote != Quote::Triple;
        let closes = |at: usize| match quote {
            Quote::Plain => b[at] == b'"',
            Quote::Raw => b[at] == b'\'',
            Quote::Triple => b[at..].starts_with(b"\"\"\""),
        };
        if closes(i) {
            self.stack.pop();
            let len = if quote == Quote::Triple { 3 } else { 1 };
            return self.token(Kind::EndQuote { open }, i + len);
        }
        if one_line && matches!(b[i], b'\n' | b'\r') {
            if self.line_ends == LineEnds::Recover {
                self.recover_line_end();
            } else {
                self.stack.pop();
                self.pending.push_back(Token {
                    kind: Kind::Unclosed { open, quote },
                    start: i,
                    end: i,
                });
            }
            return self
                .pending
                .pop_front()
                .expect("an unclosed string was queued");
        }
        let interpolates = quote != Quote::Raw;
        if interpolates && b[i..].starts_with(b"${") {
            self.stack.push(Frame::Interpolation { braces: 0 });
            return self.token(Kind::InterpolationStart, i + 2);
        }
        let stops = |at: usize| {
            closes(at)
                || (one_line && matches!(b[at], b'\n' | b'\r'))
                || (interpolates && b[at..].starts_with(b"${"))
        };
        let mut end = i;
        while end < b.len() && !stops(end) {
            end = if interpolates && b[end] == b'\\' {
                escape_end(b, end)
            } else {
                end + 1
            };
        }
        self.token(Kind::Text, end.min(b.len()))
    }

    /// Whether a line end at the current position ends strings (recovery, inside an
    /// interpolation of a one-line string).
    fn recovers_here(&self) -> bool {
        self.line_ends == LineEnds::Recover && !self.dropped_at_line_end().is_empty()
    }

    /// The frames a line end ends when recovering: everything above the interpolation of the
    /// innermost `"""…"""` string (or everything, without one), if that holds a one-line
    /// string.
    fn dropped_at_line_end(&self) -> &[Frame] {
        let keep = self
            .stack
            .iter()
            .rposition(|f| {
                matches!(
                    f,
                    Frame::Str {
                        quote: Quote::Triple,
                        ..
                    }
                )
            })
            .map_or(0, |t| (t + 2).min(self.stack.len()));
        let dropped = &self.stack[keep..];
        if dropped.iter().any(|f| matches!(f, Frame::Str { .. })) {
            dropped
        } else {
            &[]
        }
    }

    /// Recovery at a line end: drops the frames it ends and queues one `Unclosed`.
    fn recover_line_end(&mut self) {
        let dropped = self.dropped_at_line_end();
        let keep = self.stack.len() - dropped.len();
        let reported = match dropped.last() {
            Some(&Frame::Str { open, quote }) => Some((open, quote)),
            _ => dropped.iter().find_map(|f| match *f {
                Frame::Str { open, quote } => Some((open, quote)),
                Frame::Interpolation { .. } => None,
            }),
        };
        if let Some((open, quote)) = reported {
            self.pending.push_back(Token {
                kind: Kind::Unclosed { open, quote },
                start: self.pos,
                end: self.pos,
            });
        }
        self.stack.truncate(keep);
    }

    /// At the end of the text: every string still open is unclosed (innermost first; when
    /// recovering, the one-line ones count as at a line end).
    fn finish(&mut self) {
        if self.line_ends == LineEnds::Recover {
            self.recover_line_end();
        }
        let at = self.pos;
        while let Some(frame) = self.stack.pop() {
            if let Frame::Str { open, quote } = frame {
                self.pending.push_back(Token {
                    kind: Kind::Unclosed { open, quote },
                    start: at,
                    end: at,
                });
            }
        }
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if let Some(token) = self.pending.pop_front() {
            return Some(token);
        }
        if self.pos >= self.text.len() {
            self.finish();
            return self.pending.pop_front();
        }
        Some(match self.stack.last() {
            None | Some(Frame::Interpolation { .. }) => self.code(),
            Some(&Frame::Str { open, quote }) => self.string(open, quote),
        })
    }
}

/// The offset of the line end at or after `i` (or the end of the text).
fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .map_or(b.len(), |n| i + n)
}

/// The end of the escape that starts with the `\` at `i`: `\u{…}` up to its `}` on the same
/// line, else the `\` and the character after it, unless that is a line end.
fn escape_end(b: &[u8], i: usize) -> usize {
    let rest = &b[i + 1..];
    if rest.starts_with(b"u{") {
        let line = &rest[..line_end(rest, 0)];
        if let Some(close) = line.iter().position(|&c| c == b'}') {
            return i + 1 + close + 1;
        }
    }
    match rest.first() {
        None | Some(b'\n' | b'\r') => i + 1,
        Some(_) => {
            // The whole character, so that tokens end on character boundaries.
            let mut end = i + 2;
            while end < b.len() && (b[end] & 0xC0) == 0x80 {
                end += 1;
            }
            end
        }
    }
}

/// Every `# …` comment of `text`, as byte ranges without the line end.
pub(crate) fn comments(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    Lexer::new(text)
        .filter(|t| t.kind == Kind::Comment)
        .map(|t| (t.start, t.end))
}

/// The end of the string literal whose opening quote is at `open` (after its closing quote, or
/// where it was left open).
pub(crate) fn string_end(text: &str, open: usize) -> usize {
    let mut lexer = Lexer::new(&text[open..]);
    let mut end = 0;
    for token in lexer.by_ref() {
        end = token.end;
        if matches!(
            token.kind,
            Kind::EndQuote { open: 0 } | Kind::Unclosed { open: 0, .. }
        ) {
            break;
        }
    }
    open + end
}

#[cfg(test)]
mod tests;
