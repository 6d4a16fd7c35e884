//! Diagnostics on very long lines: miette draws a label's whole line and cannot place a label
//! past display column 65,535 (it panics), and a 100,000-column line helps no one anyway. A
//! labelled line wider than [`MAX_LINE`] is shown as a window around its labels, `…` marking
//! what was cut; the labels move with it. Everything else is rendered as is.

use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource};

use crate::source::SourceFile;

/// Widest labelled line shown whole, in display columns (a tab counts 4, as rendered).
const MAX_LINE: usize = 1000;
/// Display columns of text kept on each side of the labels in a cut line.
const CONTEXT: usize = 60;
/// Most of a label's own extent kept in a cut line.
const MAX_LABEL: usize = 200;

/// The source to render `d` against and, when a labelled line had to be cut, its labels
/// moved into the cut text.
pub(crate) fn windowed(
    d: &dyn Diagnostic,
    file: &SourceFile,
) -> (NamedSource<Arc<str>>, Option<Vec<LabeledSpan>>) {
    // miette ends a line at `\n` and `\r\n` only; a lone `\r` ends one in this language (and in
    // our line numbers). Shown as `\n` (same length: every offset holds), a CR-only file is
    // drawn line by line, not as one line miette cannot place a label in.
    let normalized: Option<Arc<str>> = has_lone_cr(&file.text).then(|| lone_cr_to_lf(&file.text));
    let text: &str = normalized.as_deref().unwrap_or(&file.text);
    let labels: Vec<LabeledSpan> = d.labels().map(|l| l.collect()).unwrap_or_default();
    // The long lines miette would draw (each label's lines and one line of context on either
    // side), with the window to keep of each.
    let mut cuts: Vec<(usize, usize, usize, usize)> = Vec::new();
    for label in &labels {
        let start = label.offset().min(text.len());
        let end = (label.offset() + label.len()).min(text.len());
        let first = previous_line(text, line_bounds(text, start).0);
        let last = line_bounds(text, end).1;
        let mut ls = first;
        loop {
            let (_, le) = line_bounds(text, ls);
            if width(&text[ls..le]) > MAX_LINE && !cuts.iter().any(|c| c.0 == ls) {
                // Keep the label's start (or end) in this line, clipped, and text around it;
                // a context line keeps its beginning.
                let from = if (ls..=le).contains(&start) {
                    start
                } else if (ls..=le).contains(&end) {
                    end
                } else {
                    ls
                };
                let from = floor_boundary(text, from);
                let to = floor_boundary(text, end.clamp(from, le).min(from + MAX_LABEL));
                let w0 = back_columns(text, from, ls, CONTEXT);
                let w1 = forward_columns(text, to, le, CONTEXT);
                cuts.push((ls, le, w0, w1));
            }
            if ls > last || le >= text.len() {
                break;
            }
            ls = next_line(text, le);
            if ls > last {
                // one line of context after the label
                let (_, le) = line_bounds(text, ls);
                if width(&text[ls..le]) > MAX_LINE && !cuts.iter().any(|c| c.0 == ls) {
                    let w1 = forward_columns(text, ls, le, 2 * CONTEXT);
                    cuts.push((ls, le, ls, w1));
                }
                break;
            }
        }
    }
    if cuts.is_empty() {
        let source = match normalized {
            Some(text) => NamedSource::new(file.name.clone(), text),
            None => file.named_source(),
        };
        return (source, None);
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
            let offset = l.offset().min(text.len());
            let start = map(offset);
            let end = map((l.offset() + l.len()).min(text.len())).max(start);
            // The header's column counts from the cut: say where the label really is.
            let (ls, _) = line_bounds(text, offset);
            let label = if cuts.iter().any(|c| c.0 == ls) {
                let line = text[..ls].matches('\n').count() + 1;
                let column = text[ls..offset].chars().count() + 1;
                let at = format!("line {line}, column {column}");
                Some(match l.label() {
                    Some(label) => format!("{label} ({at})"),
                    None => at,
                })
            } else {
                l.label().map(str::to_string)
            };
            LabeledSpan::new(label, start, end - start)
        })
        .collect();
    (
        NamedSource::new(file.name.clone(), Arc::<str>::from(out)),
        Some(moved),
    )
}

/// Whether `text` has a `\r` not followed by `\n`.
fn has_lone_cr(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// `text` with every lone `\r` made a `\n` (`\r\n` kept).
fn lone_cr_to_lf(text: &str) -> Arc<str> {
    let mut bytes = text.as_bytes().to_vec();
    for i in 0..bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            bytes[i] = b'\n';
        }
    }
    Arc::from(String::from_utf8(bytes).expect("one ASCII byte replaced by another"))
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

/// `i`, or the start of the character it falls in.
fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The start of the line before the one starting at `ls` (`ls` itself on the first line).
fn previous_line(text: &str, ls: usize) -> usize {
    let bytes = text.as_bytes();
    if ls == 0 {
        return 0;
    }
    let mut at = ls - 1;
    if bytes[at] == b'\n' && at > 0 && bytes[at - 1] == b'\r' {
        at -= 1;
    }
    line_bounds(text, at).0
}

/// The start of the line after the one ending at `le` (a line ending at `le`).
fn next_line(text: &str, le: usize) -> usize {
    let bytes = text.as_bytes();
    if bytes.get(le) == Some(&b'\r') && bytes.get(le + 1) == Some(&b'\n') {
        le + 2
    } else {
        (le + 1).min(text.len())
    }
}

/// The offset `columns` display columns after `at` (not after `ceiling`).
fn forward_columns(text: &str, at: usize, ceiling: usize, columns: usize) -> usize {
    let mut width = 0;
    for (i, c) in text[at..ceiling].char_indices() {
        width += if c == '\t' { 4 } else { 1 };
        if width > columns {
            return at + i;
        }
    }
    ceiling
}

/// The offset `columns` display columns before `at` (not before `floor`).
fn back_columns(text: &str, at: usize, floor: usize, columns: usize) -> usize {
    let mut width = 0;
    let mut start = at;
    for (i, c) in text[floor..at].char_indices().rev() {
        width += if c == '\t' { 4 } else { 1 };
        if width > columns {
            break;
        }
        start = floor + i;
    }
    start
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
            assert!(shown.contains("line 1, column "), "{shown}");
            assert!(shown.len() < 2000, "{}", shown.len());
        }
    }

    #[test]
    fn a_long_context_line_is_cut_too() {
        let text = format!("workload ch{}\nlet a = 1 @\n", "\t".repeat(40_000));
        let problems = problems(&text);
        let file = SourceFile::new("t.stress", text.as_str());
        for p in &problems {
            let shown = render(p, Some(&file), RenderOptions::plain());
            assert!(shown.len() < 3000, "{}", shown.len());
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

    /// A CR-only file is drawn line by line: a label 70,000 columns into the file (but on
    /// line 3 of it) made miette panic when the whole file was one line to it.
    #[test]
    fn cr_only_files_are_drawn_line_by_line() {
        let text = format!("# c\r{}\rlet a = 1 @\r", "#x\r".repeat(20_000));
        let problems = problems(&text);
        assert!(!problems.is_empty());
        let file = SourceFile::new("t.stress", text.as_str());
        let shown = render(&problems[0], Some(&file), RenderOptions::plain());
        assert!(shown.contains("let a = 1 @"), "{shown}");
        assert!(shown.len() < 2000, "{}", shown.len());
        assert!(has_lone_cr("a\rb") && !has_lone_cr("a\r\nb"));
        assert_eq!(&*lone_cr_to_lf("a\rb\r\nc\r"), "a\nb\r\nc\n");
    }
}
