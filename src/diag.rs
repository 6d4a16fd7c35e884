//! All problems of every stage in one type, "did you mean", and rendering (human or JSON).
//! miette's rendering lives here, in `cli.rs` and `main.rs` only.

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use thiserror::Error;

use crate::checker::CheckError;
use crate::source::SourceFile;
use crate::syntax::SyntaxError;

/// How many problems are shown (the rest are counted). Rendering finds each problem's line in
/// the file: a huge file with thousands of problems (13,623 in one fuzzed input) still answers
/// at once.
pub const MAX_SHOWN: usize = 200;

/// A problem with an input file, from any front-end stage.
#[derive(Debug, Error, Diagnostic)]
pub enum Problem {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] SyntaxError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Run(#[from] crate::engine::RunError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Slo(#[from] crate::slo::SloViolation),
}

impl Problem {
    pub fn is_error(&self) -> bool {
        !matches!(
            self.severity(),
            Some(miette::Severity::Warning | miette::Severity::Advice)
        )
    }

    pub fn code_str(&self) -> String {
        self.code().map(|c| c.to_string()).unwrap_or_default()
    }
}

/// Problems with the file as bytes, before any parsing.
#[derive(Debug, Error, Diagnostic)]
pub enum InputError {
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(code(stress::io::read))]
    Read { path: String, reason: String },

    #[error("{message}")]
    #[diagnostic(code(stress::input::bad_set))]
    BadSet {
        message: String,
        #[help]
        help: String,
    },

    #[error("`{path}` is not UTF-8 text (invalid byte at offset {offset})")]
    #[diagnostic(
        code(stress::input::not_utf8),
        help("a .stress file is UTF-8 text; is this the right file?")
    )]
    NotUtf8 { path: String, offset: usize },
}

/// Every diagnostic code stress emits, each with a row in docs/language.md; the check and
/// parse codes also have a golden case each (tests/ui). `tests/docs.rs` fails when a code
/// written in `src/` is missing here.
pub const CODES: &[&str] = &[
    "stress::check::bad_arguments",
    "stress::check::bad_probability",
    "stress::check::bad_profile",
    "stress::check::bad_slo",
    "stress::check::bad_status",
    "stress::check::bad_value",
    "stress::check::bad_weights",
    "stress::check::capture_type",
    "stress::check::chaos_proxy_not_injected",
    "stress::check::composition_cycle",
    "stress::check::duplicate_name",
    "stress::check::too_large",
    "stress::check::duplicate_statement",
    "stress::check::http_fault_at_tcp_proxy",
    "stress::check::incomparable",
    "stress::check::incomplete_test",
    "stress::check::let_cycle",
    "stress::check::missing_data_file",
    "stress::check::missing_unit",
    "stress::check::never_injected",
    "stress::check::never_retried",
    "stress::check::not_positive",
    "stress::check::not_at_proxy",
    "stress::check::not_scraped",
    "stress::check::nothing_to_run",
    "stress::check::out_of_range",
    "stress::check::poll_clause",
    "stress::check::poll_within",
    "stress::check::step_never_runs",
    "stress::check::unit_mismatch",
    "stress::check::unknown_capture",
    "stress::check::unknown_name",
    "stress::check::unknown_phase",
    "stress::check::unknown_setting",
    "stress::check::unused",
    "stress::check::wire_fault_at_client",
    "stress::check::wrong_kind",
    "stress::compare::input",
    "stress::input::bad_set",
    "stress::input::not_utf8",
    "stress::io::read",
    "stress::merge::different_plans",
    "stress::merge::input",
    "stress::merge::out",
    "stress::merge::plan",
    "stress::merge::shards",
    "stress::parse::bad_escape",
    "stress::parse::bad_number",
    "stress::parse::bad_unit",
    "stress::parse::missing_comma",
    "stress::parse::too_deep",
    "stress::parse::too_long",
    "stress::parse::unclosed",
    "stress::parse::unexpected",
    "stress::parse::unknown_statement",
    "stress::parse::unterminated_string",
    "stress::run::client",
    "stress::run::data",
    "stress::run::fd_limit",
    "stress::run::internal",
    "stress::run::mock",
    "stress::run::out",
    "stress::run::proxy",
    "stress::run::service",
    "stress::run::service_exited",
    "stress::run::shard",
    "stress::run::tui",
    "stress::run::target",
    "stress::run::unknown_scenario",
    "stress::run::unreachable",
    "stress::run::url",
    "stress::slo::violated",
];

/// How to render problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    pub color: bool,
    pub unicode: bool,
    pub width: usize,
}

impl RenderOptions {
    /// Fixed options for snapshots: no color, unicode, 80 columns.
    pub fn plain() -> Self {
        Self {
            color: false,
            unicode: true,
            width: 80,
        }
    }
}

/// One diagnostic, rendered as a human reads it (rustc style).
pub fn render(
    diagnostic: &dyn Diagnostic,
    file: Option<&SourceFile>,
    opts: RenderOptions,
) -> String {
    let theme = match (opts.color, opts.unicode) {
        (true, true) => GraphicalTheme::unicode(),
        (false, true) => GraphicalTheme::unicode_nocolor(),
        (true, false) => GraphicalTheme::ascii(),
        (false, false) => GraphicalTheme::none(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_context_lines(1)
        .tab_width(4);
    let mut out = String::new();
    let result = with_source(diagnostic, file, |d| handler.render_report(&mut out, d));
    if result.is_err() {
        out = format!("{diagnostic}\n");
    }
    out
}

/// One diagnostic as one line of JSON, for editors and CI: `file`, `line`, `column`,
/// `end_line`, `end_column` (1-based, columns in characters, the end one past the last
/// character) of its primary label, `severity`, `code`, `message`, `help`, and every label with
/// its text, positions and byte `span` (`offset`, `length`). Positions are absent for a
/// problem with no place in a file (`--set`, a missing file).
pub fn render_json(diagnostic: &dyn Diagnostic, file: Option<&SourceFile>) -> String {
    use serde_json::{Map, Value, json};
    let position = |offset: usize, len: usize| -> Option<(usize, usize, usize, usize)> {
        let text = &file?.text;
        let (line, column) = crate::source::line_col(text, offset);
        let (end_line, end_column) = crate::source::line_col(text, offset + len);
        Some((line, column, end_line, end_column))
    };
    let labels: Vec<miette::LabeledSpan> = diagnostic
        .labels()
        .map(Iterator::collect)
        .unwrap_or_default();
    let primary = labels.iter().find(|l| l.primary()).or(labels.first());
    let mut out = Map::new();
    out.insert("file".into(), json!(file.map(|f| f.name.as_str())));
    if let Some((line, column, end_line, end_column)) =
        primary.and_then(|l| position(l.offset(), l.len()))
    {
        out.insert("line".into(), json!(line));
        out.insert("column".into(), json!(column));
        out.insert("end_line".into(), json!(end_line));
        out.insert("end_column".into(), json!(end_column));
    }
    let severity = match diagnostic.severity() {
        Some(miette::Severity::Warning) => "warning",
        Some(miette::Severity::Advice) => "advice",
        Some(miette::Severity::Error) | None => "error",
    };
    out.insert("severity".into(), json!(severity));
    out.insert(
        "code".into(),
        json!(diagnostic.code().map(|c| c.to_string())),
    );
    out.insert("message".into(), json!(diagnostic.to_string()));
    out.insert(
        "help".into(),
        json!(diagnostic.help().map(|h| h.to_string())),
    );
    let labels: Vec<Value> = labels
        .iter()
        .map(|l| {
            let mut label = Map::new();
            label.insert("label".into(), json!(l.label()));
            label.insert(
                "primary".into(),
                json!(std::ptr::eq(l, primary.expect("a label"))),
            );
            if let Some((line, column, end_line, end_column)) = position(l.offset(), l.len()) {
                label.insert("line".into(), json!(line));
                label.insert("column".into(), json!(column));
                label.insert("end_line".into(), json!(end_line));
                label.insert("end_column".into(), json!(end_column));
            }
            label.insert(
                "span".into(),
                json!({ "offset": l.offset(), "length": l.len() }),
            );
            Value::Object(label)
        })
        .collect();
    out.insert("labels".into(), Value::Array(labels));
    Value::Object(out).to_string()
}

/// Calls `render` with the diagnostic, its file's text attached when there is one.
fn with_source<T>(
    diagnostic: &dyn Diagnostic,
    file: Option<&SourceFile>,
    render: impl FnOnce(&dyn Diagnostic) -> T,
) -> T {
    match file {
        Some(file) => {
            let (source, labels) = crate::diag_window::windowed(diagnostic, file);
            render(&WithSource {
                inner: diagnostic,
                source,
                labels,
            })
        }
        None => render(diagnostic),
    }
}

/// Attaches a file's text to a diagnostic whose spans point into it.
struct WithSource<'a> {
    inner: &'a dyn Diagnostic,
    source: miette::NamedSource<std::sync::Arc<str>>,
    /// The labels moved into a window of their line, when it is too long to show whole.
    labels: Option<Vec<miette::LabeledSpan>>,
}

impl std::fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.inner, f)
    }
}

impl std::fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.inner, f)
    }
}

impl std::error::Error for WithSource<'_> {}

impl Diagnostic for WithSource<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.help()
    }
    fn url<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        match &self.labels {
            Some(labels) => Some(Box::new(labels.iter().cloned())),
            None => self.inner.labels(),
        }
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        self.inner.related()
    }
    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.inner.diagnostic_source()
    }
}
