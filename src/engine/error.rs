//! `RunError`: the run could not be carried out at all (exit code 3). Failures of single
//! requests are not errors here: they are data (`metrics::ErrorClass`) in the samples.

use miette::Diagnostic;
use thiserror::Error;

/// Why a test could not run (or, for `Unreachable`, why its result means nothing).
#[derive(Debug, Error, Diagnostic)]
pub enum RunError {
    /// Every connection to a target was refused for the whole test.
    #[error("target `{target}` at {url} refused every connection")]
    #[diagnostic(
        code(stress::run::unreachable),
        help(
            "is the server running and listening on that address? `stress` starts only mocks and services it declares"
        )
    )]
    Unreachable { target: String, url: String },

    /// A data set could not be read or parsed.
    #[error("cannot load data set `{name}` from `{path}`: {reason}")]
    #[diagnostic(code(stress::run::data))]
    Data {
        name: String,
        path: String,
        reason: String,
    },

    /// A target has no URL (a mock that was not started, or a name the caller did not pass).
    #[error("no URL for target `{target}`")]
    #[diagnostic(
        code(stress::run::target),
        help(
            "mock targets must be started by the caller and their URLs passed in `RunOptions::target_urls`"
        )
    )]
    MissingTarget { target: String },

    /// A target URL that is not a valid absolute http(s) URL.
    #[error("target `{target}` has an invalid URL `{url}`: {reason}")]
    #[diagnostic(code(stress::run::url))]
    BadUrl {
        target: String,
        url: String,
        reason: String,
    },

    /// `--scenario NAME` names no scenario of the test.
    #[error("test `{test}` has no scenario `{name}`")]
    #[diagnostic(
        code(stress::run::unknown_scenario),
        help("scenarios of this test: {available}")
    )]
    UnknownScenario {
        test: String,
        name: String,
        available: String,
    },

    /// The HTTP client could not be built (TLS setup).
    #[error("cannot build the HTTP client: {reason}")]
    #[diagnostic(code(stress::run::client))]
    Client { reason: String },

    /// A bug in `stress`: the plan does not hold what `check` should have proved, or a task
    /// panicked.
    #[error("internal error: {reason}")]
    #[diagnostic(
        code(stress::run::internal),
        help("this is a bug in stress; please report it")
    )]
    Internal { reason: String },
}
