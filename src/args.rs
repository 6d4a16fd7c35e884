//! The arguments of `stress run` and `stress merge` (clap), apart from the command line's
//! dispatch in `crate::cli` so that `run` and `merge`, which read them, sit below it.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The .stress files to run.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Run only the test with this name.
    #[arg(long)]
    pub test: Option<String>,
    /// Run only the scenario with this name.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Seed for every random decision (overrides `seed` in the file; default 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override a `let` constant: `--set name=value` (value in the language's syntax).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Show no live progress (by default: a status line on a terminal, plain lines every 5 s
    /// otherwise).
    #[arg(long, short)]
    pub quiet: bool,
    /// Write artifacts (reports, logs) to this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folders written by `stress run --out` (or `stress merge --out`) for the same file.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Write the merged artifacts (reports, metrics, histograms) to this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
}
