//! All problems of every stage in one type, "did you mean", and rendering (human or JSON).
//! miette's rendering lives here, in `cli.rs` and `main.rs` only.

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, JSONReportHandler};
use thiserror::Error;

use crate::checker::CheckError;
use crate::source::SourceFile;
use crate::syntax::SyntaxError;

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
    "stress::check::composition_cycle",
    "stress::check::duplicate_name",
    "stress::check::duplicate_statement",
    "stress::check::incomparable",
    "stress::check::incomplete_test",
    "stress::check::let_cycle",
    "stress::check::missing_data_file",
    "stress::check::missing_unit",
    "stress::check::never_injected",
    "stress::check::never_retried",
    "stress::check::not_positive",
    "stress::check::not_at_proxy",
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

/// One diagnostic as a JSON object (miette's JSON handler), for editors and CI.
pub fn render_json(diagnostic: &dyn Diagnostic, file: Option<&SourceFile>) -> String {
    let handler = JSONReportHandler::new();
    let mut out = String::new();
    let result = with_source(diagnostic, file, |d| handler.render_report(&mut out, d));
    if result.is_err() {
        out = serde_json::json!({ "message": diagnostic.to_string() }).to_string();
    }
    out
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
