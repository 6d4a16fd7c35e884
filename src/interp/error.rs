//! Problems found by `check`.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

#[derive(Debug, Error, Diagnostic, Clone, PartialEq)]
pub enum CheckError {
    #[error("nothing to run: `{file}` declares no test")]
    #[diagnostic(code(stress::check::nothing_to_run), help("add a `test \"name\" {{ workload …  profile {{ users 1, iterations 1 }} }}`"))]
    NothingToRun {
        file: String,
        #[label("no `test` in this file")]
        span: Option<SourceSpan>,
    },
}
