//! Stage 2 and 3: `check` (names, kinds, units, value rules → every problem at once) and
//! `lower` (checked AST → executable `plan::Plan`, infallible).

mod check;
mod declarations;
mod domains;
mod error;
mod exprs;
mod lets;
mod lower;
mod profiles;
mod proxy_slos;
mod read;
mod resolved;
mod scenarios;
mod scope;
mod slos;
mod tcp_proxy;
mod test_block;
mod types;
mod unmeasurable;
mod values;
mod workloads;

pub use domains::take_lossy_conversions;
pub use error::CheckError;

use std::path::Path;

use crate::ast;
use crate::source::SourceFile;

/// A file that passed `check`: what `lower` needs.
pub struct Checked<'a> {
    pub file: &'a SourceFile,
    pub ast: &'a ast::File,
    /// Warnings found while checking (errors make `check` fail).
    pub warnings: Vec<CheckError>,
    base_dir: Option<&'a Path>,
    /// Every test's resolved references, in order.
    tests: Vec<resolved::TestRefs<'a>>,
}

/// Checks a parsed file. `base_dir` resolves data file paths (None: not checked).
/// Returns every problem, sorted by position, when any is an error.
pub fn check<'a>(
    file: &'a SourceFile,
    ast: &'a ast::File,
    base_dir: Option<&'a Path>,
) -> Result<Checked<'a>, Vec<CheckError>> {
    use miette::Diagnostic;
    // Before anything reads a `let`: one that stands for too many terms would make every
    // reader of it slow.
    let too_large = lets::too_large(ast);
    if !too_large.is_empty() {
        return Err(too_large);
    }
    let mut checker = check::Checker::new(file, ast, base_dir);
    checker.run();
    let mut problems = checker.problems;
    let tests = checker.tests;
    problems.sort_by_key(CheckError::offset);
    problems.dedup();
    let is_warning = |p: &CheckError| matches!(p.severity(), Some(miette::Severity::Warning));
    if problems.iter().all(is_warning) {
        Ok(Checked {
            file,
            ast,
            warnings: problems,
            base_dir,
            tests,
        })
    } else {
        Err(problems)
    }
}

pub use lower::lower;
