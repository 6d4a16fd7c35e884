//! Problems found by `check`: every one has a stable code, a label on the exact span and, where
//! it helps, a suggestion. Only derives `Diagnostic`; rendering is `diag`'s job.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

#[derive(Debug, Error, Diagnostic, Clone, PartialEq)]
pub enum CheckError {
    #[error("nothing to run: `{file}` declares no test")]
    #[diagnostic(
        code(stress::check::nothing_to_run),
        help(
            "add a test: `test \"smoke\" {{ workload NAME  profile {{ users 1, iterations 1 }} }}`"
        )
    )]
    NothingToRun {
        file: String,
        #[label("no `test` in this file")]
        span: Option<SourceSpan>,
    },

    #[error(
        "`{name}` stands for {terms} terms once the constants it reads are copied in; stress reads at most {limit}"
    )]
    #[diagnostic(
        code(stress::check::too_large),
        help(
            "a constant built from other constants is copied where it is used: build it from fewer repetitions (`let b = a * 4`, not `let b = a + a + a + a` over many lines)"
        )
    )]
    TooLarge {
        name: String,
        terms: u64,
        limit: u64,
        #[label("this constant")]
        span: SourceSpan,
    },

    #[error("`{name}` is defined twice")]
    #[diagnostic(
        code(stress::check::duplicate_name),
        help("names share one namespace per file; rename one of them")
    )]
    DuplicateName {
        name: String,
        #[label(primary, "defined again here")]
        second: SourceSpan,
        #[label("first defined here")]
        first: SourceSpan,
    },

    #[error("unknown {kind} `{name}`")]
    #[diagnostic(code(stress::check::unknown_name))]
    UnknownName {
        kind: &'static str,
        name: String,
        #[label("{}", unknown_label(kind))]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("{kind} `{name}` has no `scrape`, so `{function}` has nothing to read")]
    #[diagnostic(code(stress::check::not_scraped))]
    NotScraped {
        kind: &'static str,
        name: String,
        function: String,
        #[label(primary, "never scraped")]
        span: SourceSpan,
        #[label("declared here")]
        defined: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("`{name}` is a {found}, not a {expected}")]
    #[diagnostic(code(stress::check::wrong_kind))]
    WrongKind {
        name: String,
        expected: &'static str,
        found: &'static str,
        #[label(primary, "a {expected} is needed here")]
        span: SourceSpan,
        #[label("`{name}` is defined here")]
        defined: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("scenario `{name}` includes itself")]
    #[diagnostic(
        code(stress::check::composition_cycle),
        help("a composition `a + b` may not lead back to the scenario it defines")
    )]
    CompositionCycle {
        name: String,
        #[label("part of the cycle")]
        span: SourceSpan,
    },

    #[error("`let {name}` depends on itself")]
    #[diagnostic(
        code(stress::check::let_cycle),
        help("the chain is {path}; give one of them a value that does not refer back")
    )]
    LetCycle {
        name: String,
        /// `a → b → a`
        path: String,
        #[label("`{name}` is used here, inside the chain that defines it")]
        span: SourceSpan,
    },

    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(stress::check::unit_mismatch))]
    UnitMismatch {
        expected: String,
        found: String,
        #[label("this is {found}")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("a bare number where {expected} is expected")]
    #[diagnostic(code(stress::check::missing_unit))]
    MissingUnit {
        expected: String,
        #[label("no unit")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("cannot compare {left} with {right}")]
    #[diagnostic(
        code(stress::check::incomparable),
        help("both sides of a comparison need the same kind of quantity")
    )]
    Incomparable {
        left: String,
        right: String,
        #[label(primary, "{right}")]
        right_span: SourceSpan,
        #[label("{left}")]
        left_span: SourceSpan,
    },

    #[error("a probability must be between 0% and 100%, found {value}")]
    #[diagnostic(code(stress::check::bad_probability))]
    BadProbability {
        value: String,
        #[label("out of range")]
        span: SourceSpan,
    },

    #[error("the weights of `choose` add up to {sum}, not 100%")]
    #[diagnostic(
        code(stress::check::bad_weights),
        help("give the branches weights that sum to 100%")
    )]
    BadWeights {
        sum: String,
        #[label("these branches")]
        span: SourceSpan,
    },

    #[error("{what} must be {rule}")]
    #[diagnostic(code(stress::check::not_positive))]
    NotPositive {
        what: &'static str,
        rule: &'static str,
        #[label("{what} is {value}")]
        span: SourceSpan,
        value: String,
        #[help]
        help: Option<String>,
    },

    #[error("{what} must be at most {max}")]
    #[diagnostic(
        code(stress::check::out_of_range),
        help("every value's range is listed in docs/language.md (Value domains)")
    )]
    OutOfRange {
        what: &'static str,
        max: &'static str,
        #[label("{what} is {value}")]
        span: SourceSpan,
        value: String,
    },

    #[error("`{status}` is not a fault status")]
    #[diagnostic(
        code(stress::check::bad_status),
        help("an injected status is an HTTP error: 400 to 599")
    )]
    BadStatus {
        status: String,
        #[label("not 400–599")]
        span: SourceSpan,
    },

    #[error("unknown capture `{name}`")]
    #[diagnostic(code(stress::check::unknown_capture))]
    UnknownCapture {
        name: String,
        #[label("no request of workload `{workload}` captures this")]
        span: SourceSpan,
        workload: String,
        #[help]
        help: Option<String>,
    },

    #[error("capture `{name}` is {found}, but {wanted} needs {expected}")]
    #[diagnostic(code(stress::check::capture_type))]
    CaptureType {
        name: String,
        found: &'static str,
        wanted: String,
        expected: &'static str,
        #[label(primary, "{found} capture")]
        span: SourceSpan,
        #[label("captured here")]
        defined: SourceSpan,
    },

    #[error("unknown phase `{name}`")]
    #[diagnostic(code(stress::check::unknown_phase))]
    UnknownPhase {
        name: String,
        #[label("{}", if name == "chaos" { "this test has no chaos window".to_string() } else { format!("no stage of this test's profile is named `{name}`") })]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("`poll` gives up after {within}, before its first retry at {every}")]
    #[diagnostic(
        code(stress::check::poll_within),
        help("make `within` longer than `every`")
    )]
    PollWithin {
        within: String,
        every: String,
        #[label("shorter than `every`")]
        span: SourceSpan,
    },

    #[error("`poll` needs `{clause}`")]
    #[diagnostic(code(stress::check::poll_clause))]
    PollClause {
        clause: &'static str,
        #[label("this poll has no `{clause}`")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("data file `{path}` cannot be read: {reason}")]
    #[diagnostic(
        code(stress::check::missing_data_file),
        help("paths are relative to the .stress file's folder")
    )]
    MissingDataFile {
        path: String,
        reason: String,
        #[label("here")]
        span: SourceSpan,
    },

    #[error("test `{test}` has no {what}")]
    #[diagnostic(code(stress::check::incomplete_test))]
    IncompleteTest {
        test: String,
        what: &'static str,
        #[label("needs a `{what}`")]
        span: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{what}` is given twice")]
    #[diagnostic(code(stress::check::duplicate_statement))]
    DuplicateStatement {
        what: String,
        #[label(primary, "given again here")]
        second: SourceSpan,
        #[label("first given here")]
        first: SourceSpan,
    },

    #[error("unknown {context} `{name}`")]
    #[diagnostic(code(stress::check::unknown_setting))]
    UnknownSetting {
        context: &'static str,
        name: String,
        #[label("not a {context}")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(stress::check::bad_value))]
    BadValue {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(stress::check::bad_arguments))]
    BadArguments {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("`{fault}` is a wire fault; it can only be injected at a proxy")]
    #[diagnostic(
        code(stress::check::wire_fault_at_client),
        help(
            "use `inject at proxy NAME` with a `proxy` in front of the upstream, or a client fault (a status, `timeout`, `connection_error`)"
        )
    )]
    WireFaultAtClient {
        fault: String,
        #[label(primary, "needs a proxy")]
        span: SourceSpan,
        #[label("faults of this test are injected at the client")]
        inject: Option<SourceSpan>,
    },

    #[error("the chaos window injects at proxy `{proxy}`, where this test does not inject")]
    #[diagnostic(code(stress::check::chaos_proxy_not_injected))]
    ChaosProxyNotInjected {
        proxy: String,
        #[label("not among the test's `inject at proxy …`")]
        span: SourceSpan,
        #[label("the test injects here")]
        inject: Option<SourceSpan>,
        #[help]
        help: Option<String>,
    },

    #[error("{what} needs an HTTP proxy: proxy `{proxy}` is a TCP proxy")]
    #[diagnostic(code(stress::check::http_fault_at_tcp_proxy))]
    HttpAtTcpProxy {
        what: String,
        #[label("not at a TCP proxy")]
        span: SourceSpan,
        proxy: String,
        #[label("faults of this test are injected at TCP proxy `{proxy}`")]
        at: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("{what} is not measured at a proxy")]
    #[diagnostic(code(stress::check::not_at_proxy))]
    NotAtProxy {
        what: String,
        #[label("not measured by proxy `{proxy}`")]
        span: SourceSpan,
        proxy: String,
        #[label("the assertion reads this proxy")]
        prefix: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(stress::check::bad_slo))]
    BadSlo {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(stress::check::bad_profile))]
    BadProfile {
        message: String,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("{kind} `{name}` is never used")]
    #[diagnostic(
        code(stress::check::unused),
        severity(Warning),
        help("use it in a test, or remove it")
    )]
    Unused {
        kind: &'static str,
        name: String,
        #[label("declared here")]
        span: SourceSpan,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Unmeasurable(#[from] super::unmeasurable::Unmeasurable),
}

impl CheckError {
    /// Where the problem is, for sorting.
    pub fn offset(&self) -> usize {
        use miette::Diagnostic;
        self.labels()
            .and_then(|mut labels| {
                let all: Vec<_> = labels.by_ref().collect();
                all.iter()
                    .find(|l| l.primary())
                    .or(all.first())
                    .map(|l| l.offset())
            })
            .unwrap_or(0)
    }
}

/// The label under an unknown name: built-in vocabularies are not "defined in this file".
fn unknown_label(kind: &str) -> &'static str {
    match kind {
        "metric" => "not a metric",
        "function" => "not a function",
        "step" => "not a step of this test's workload",
        "scenario of this test" => "this test does not run it",
        _ => "not defined in this file",
    }
}
