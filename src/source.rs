//! Source files and byte spans. Line and column are computed only when rendering (by miette).

use std::fmt;
use std::sync::Arc;

/// A `.stress` file's name (as the user wrote it) and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
    /// Byte offsets where lines start, computed on first use (`line_of`).
    line_starts: Arc<std::sync::OnceLock<Vec<usize>>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            line_starts: Arc::default(),
        }
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    /// 1-based line of a span's start (a binary search in the line index, built once: a file
    /// with thousands of SLOs stays linear to check).
    pub fn line_of(&self, span: Span) -> usize {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        starts.partition_point(|&start| start <= span.start as usize)
    }

    pub fn named_source(&self) -> miette::NamedSource<Arc<str>> {
        miette::NamedSource::new(self.name.clone(), self.text.clone())
    }
}

/// A byte range in one source file. Debug prints `12..18` so AST snapshots stay readable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Self {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The smallest span covering both.
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// At least one character wide, so a label is always visible.
    #[must_use]
    pub fn visible(self) -> Span {
        Span {
            start: self.start,
            end: self.end.max(self.start + 1),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.start as usize..span.end as usize).into()
    }
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq([self.start, self.end])
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line = 1 + before.matches('\n').count() + before.matches('\r').count()
        - before.matches("\r\n").count();
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_counts_from_one_at_every_offset() {
        let file = SourceFile::new("t", "ab\ncd\n\nef");
        let lines: Vec<usize> = (0..10).map(|i| file.line_of(Span::new(i, i))).collect();
        assert_eq!(lines, [1, 1, 1, 2, 2, 2, 3, 4, 4, 4]);
    }
}
