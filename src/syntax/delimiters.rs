//! Unbalanced brackets, found by the lexical walk over text that failed to parse: the `{`, `(`
//! or `[` left open, so that the error points at it (rustc's "unclosed delimiter") rather than
//! at the place lines later where pest gave up.
//!
//! Pure: text in, offsets out; `syntax::parse` turns the answer into a `SyntaxError`.

use super::lex::{Kind, Lexer};

/// A bracket that is never closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unclosed {
    /// Offset of the opening bracket.
    pub(crate) open: usize,
    /// `{`, `(` or `[`.
    pub(crate) delimiter: char,
    /// Where its block ended without it.
    pub(crate) end: End,
}

/// How a block ended with a bracket still open in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The file ended; `at` is its last character of text (or 0 for an empty file).
    File {
        at: usize,
        /// A closing bracket that closed the wrong opener by position: it is indented like an
        /// outer block, so it most likely belongs to one (rustc's indentation hint).
        taken_by: Option<usize>,
    },
    /// A closing bracket of an outer block came first (`f(a, b }`).
    Closer { at: usize, delimiter: char },
}

/// The bracket left open in `text`, if one is: the innermost one open when an outer block
/// closes, or, when the file ends inside blocks, the one whose closing bracket is indented
/// unlike it (the likely missing one), else the innermost still open. Strings and comments are
/// skipped as the grammar reads them; a string left open ends at its line end.
pub(crate) fn unclosed(text: &str) -> Option<Unclosed> {
    let bytes = text.as_bytes();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    // The first opener closed by a bracket indented unlike it, and that bracket.
    let mut misindented: Option<(usize, usize)> = None;
    for token in Lexer::recovering(text) {
        match token.kind {
            Kind::Open => stack.push((bytes[token.start], token.start)),
            Kind::Close => {
                let close = bytes[token.start];
                let open = opener_of(close);
                match stack.last() {
                    Some(&(top, at)) if top == open => {
                        stack.pop();
                        if misindented.is_none() && misaligned(text, at, token.start) {
                            misindented = Some((at, token.start));
                        }
                    }
                    Some(&(top, at)) if stack.iter().any(|&(b, _)| b == open) => {
                        return Some(Unclosed {
                            open: at,
                            delimiter: char::from(top),
                            end: End::Closer {
                                at: token.start,
                                delimiter: char::from(close),
                            },
                        });
                    }
                    // A closing bracket with nothing to close: pest's "expected …, found `}`"
                    // already points at it.
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let &(top, innermost) = stack.last()?;
    let at = text.trim_end().char_indices().last().map_or(0, |(i, _)| i);
    // The misaligned opener is a better guess only if it sits inside a block still open (a
    // lone misaligned pair in a balanced part of the file is just odd indentation).
    let guess = misindented.filter(|&(open, _)| stack.first().is_some_and(|&(_, o)| o < open));
    Some(match guess {
        Some((open, closer)) => Unclosed {
            open,
            delimiter: char::from(bytes[open]),
            end: End::File {
                at,
                taken_by: Some(closer),
            },
        },
        None => Unclosed {
            open: innermost,
            delimiter: char::from(top),
            end: End::File { at, taken_by: None },
        },
    })
}

impl Unclosed {
    /// The same, for text that starts `by` bytes into the file.
    pub(crate) fn shifted(self, by: usize) -> Unclosed {
        let end = match self.end {
            End::File { at, taken_by } => End::File {
                at: at + by,
                taken_by: taken_by.map(|t| t + by),
            },
            End::Closer { at, delimiter } => End::Closer {
                at: at + by,
                delimiter,
            },
        };
        Unclosed {
            open: self.open + by,
            end,
            ..self
        }
    }
}

fn opener_of(close: u8) -> u8 {
    match close {
        b')' => b'(',
        b']' => b'[',
        _ => b'{',
    }
}

/// Whether the bracket at `close` starts its line (after blanks) on another line than `open`,
/// with another indentation than the line of `open`.
fn misaligned(text: &str, open: usize, close: usize) -> bool {
    let line_start = |i: usize| text[..i].rfind(['\n', '\r']).map_or(0, |n| n + 1);
    let indent = |start: usize| {
        text[start..]
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count()
    };
    let (open_line, close_line) = (line_start(open), line_start(close));
    open_line != close_line
        && text[close_line..close].trim().is_empty()
        && indent(open_line) != indent(close_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> usize {
        text.find(needle).expect("needle")
    }

    #[test]
    fn an_unclosed_block_at_the_end_of_the_file() {
        let text = "test \"t\" {\n  slo {\n    p95(latency) < 1s\n";
        let u = unclosed(text).expect("unclosed");
        assert_eq!(u.open, at(text, "slo {") + 4);
        assert_eq!(u.delimiter, '{');
        assert!(matches!(u.end, End::File { taken_by: None, .. }));
    }

    #[test]
    fn a_missing_brace_is_found_by_indentation() {
        let text = "workload w {\n  request a: get api \"/\" {\n    check status == 200\n\n}\n\ntest \"t\" {\n  workload w\n}\n";
        let u = unclosed(text).expect("unclosed");
        assert_eq!(u.open, at(text, "{\n    check"));
        assert_eq!(
            u.end,
            End::File {
                at: text.trim_end().len() - 1,
                taken_by: Some(at(text, "}\n\ntest")),
            }
        );
    }

    #[test]
    fn an_outer_closer_ends_an_unclosed_paren() {
        let text = "workload w {\n  think uniform(1s, 2s\n}\n";
        let u = unclosed(text).expect("unclosed");
        assert_eq!(u.open, at(text, "(1s"));
        assert_eq!(u.delimiter, '(');
        assert_eq!(
            u.end,
            End::Closer {
                at: at(text, "}\n"),
                delimiter: '}'
            }
        );
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        assert_eq!(unclosed("let a = \"{(\" # [\nlet b = '{'\n"), None);
        assert_eq!(unclosed("let a = [1, 2]\n"), None);
        assert_eq!(unclosed(""), None);
    }
}
