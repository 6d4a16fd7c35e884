//! Diagnostics on very long lines: miette draws a label's whole line and cannot place a label
//! past display column 65,535 (it panics), and a 100,000-column line helps no one anyway. A
//! labelled line wider than [`MAX_LINE`] is shown as a window around its labels, `…` marking
//! what was cut; the labels move with it. Everything else is rendered as is.

use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource};

use crate::source::SourceFile;

/// Widest labelled line shown whole, in display columns (a tab counts 4, as rendered).
const MAX_LINE: usize = 1000;
/// Bytes of text kept on each side of the labels in a cut line.
const CONTEXT: usize = 60;
/// Most of a label's own extent kept in a cut line.
const MAX_LABEL: usize = 200;

/// The source to render `d` against and, when a labelled line had to be cut, its labels
/// moved into the cut text.
pub(crate) fn windowed(
    d: &dyn Diagnostic,
    file: &SourceFile,
) -> (NamedSource<Arc<str>>, Option<Vec<LabeledSpan>>) {
    let text: &str = &file.text;
    let labels: Vec<LabeledSpan> = d.labels().map(|l| l.collect()).unwrap_or_default();
    // The long lines that hold a label's start or end, with the window to keep of each.
    let mut cuts: Vec<(usize, usize, usize, usize)> = Vec::new();
    for label in &labels {
        let start = label.offset().min(text.len());
        let end = (label.offset() + label.len()).min(text.len());
        for at in [start, end] {
            let (ls, le) = line_bounds(text, at);
            if width(&text[ls..le]) <= MAX_LINE || cuts.iter().any(|c| c.0 == ls) {
                continue;
            }
            // Keep the first label in this line (clipped) and some text around it.
            let from = start.clamp(ls, le);
            let to = end.clamp(from, le).min(from + MAX_LABEL);
            let w0 = floor_boundary(text, from.saturating_sub(CONTEXT).max(ls));
            let w1 = ceil_boundary(text, (to + CONTEXT).min(le));
            cuts.push((ls, le, w0, w1));
        }
    }
    if cuts.is_empty() {
        return (file.named_source(), None);
    }
    cuts.sort_unstable();
    let mut out = String::with_capacity(text.len().min(1 << 20));
    let mut pos = 0;
    // (original offset where a kept piece starts, its offset in `out`, its length)
    let mut kept: Vec<(usize, usize, usize)> = Vec::new();
    for &(ls, le, w0, w1) in &cuts {
        kept.push((pos, out.len(), ls - pos));
        out.push_str(&text[pos..ls]);
        if w0 > ls {
            out.push('…');
        }
        kept.push((w0, out.len(), w1 - w0));
        out.push_str(&text[w0..w1]);
        if w1 < le {
            out.push('…');
        }
        pos = le;
    }
    kept.push((pos, out.len(), text.len() - pos));
    out.push_str(&text[pos..]);
    // An offset in a cut-away part moves to the nearest kept text.
    let map = |offset: usize| -> usize {
        let mut last = 0;
        for &(orig, new, len) in &kept {
            if offset < orig {
                return new;
            }
            if offset <= orig + len {
                return new + (offset - orig);
            }
            last = new + len;
        }
        last
    };
    let moved = labels
        .iter()
        .map(|l| {
            let start = map(l.offset().min(text.len()));
            let end = map((l.offset() + l.len()).min(text.len())).max(start);
            LabeledSpan::new(l.label().map(str::to_string), start, end - start)
        })
        .collect();
    (
        NamedSource::new(file.name.clone(), Arc::<str>::from(out)),
        Some(moved),
    )
}

/// The line (without its ending) around byte `at`; `\n`, `\r\n` and `\r` end lines.
fn line_bounds(text: &str, at: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1);
    let end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(text.len(), |i| at + i);
    (start, end)
}

/// Display columns of a line as rendered (a tab counts 4, a character at least 1).
fn width(line: &str) -> usize {
    line.chars().count() + 3 * line.bytes().filter(|&b| b == b'\t').count()
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{RenderOptions, render};

    fn problems(text: &str) -> Vec<crate::diag::Problem> {
        let file = SourceFile::new("t.stress", text);
        crate::syntax::parse(&file)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect()
    }

    #[test]
    fn a_label_far_along_a_line_is_shown_in_a_window() {
        for filler in [" ".repeat(100_000), "\t".repeat(20_000)] {
            let text = format!("let a = 1{filler}@\n");
            let problems = problems(&text);
            assert!(!problems.is_empty());
            let file = SourceFile::new("t.stress", text.as_str());
            let shown = render(&problems[0], Some(&file), RenderOptions::plain());
            assert!(shown.contains("…"), "{shown}");
            assert!(shown.contains('@'), "{shown}");
            assert!(shown.len() < 2000, "{}", shown.len());
        }
    }

    #[test]
    fn short_lines_are_untouched() {
        let file = SourceFile::new("t.stress", "let a = 1 @\n");
        let problems = problems(&file.text);
        let (source, labels) = windowed(&problems[0], &file);
        assert!(labels.is_none());
        assert_eq!(source.inner().as_ref(), "let a = 1 @\n");
    }
}
