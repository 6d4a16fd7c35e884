//! The command line (clap): `check`, `plan`, `fmt`, `run`, `merge`, `compare`, `mock llm`, `lsp`,
//! `completions`, `man`. The top of the stack: it parses arguments, calls the command and
//! turns its [`Exit`] into the process's exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::args::{CompareArgs, MergeArgs, RunArgs};
use crate::diag::{InputError, Problem};
use crate::exit::Exit;
use crate::frontend::{load, read_source};
use crate::ui::{Ui, say};

/// Statically checked load, fault-injection and SLO testing from one `.stress` file.
///
/// A `.stress` file declares targets, workloads, fault scenarios, load profiles and tests with
/// SLOs. `stress check` finds every mistake before anything runs; `stress run` drives the load,
/// injects the faults, measures honestly and exits 0 or 1 on the SLOs, so CI can gate on it.
///
/// Exit codes: 0 all SLOs held (or no problem found) · 1 an SLO failed · 2 invalid file or
/// usage (nothing ran) · 3 the run could not proceed · 130 interrupted.
#[derive(Debug, Parser)]
#[command(
    name = "stress",
    version = VERSION,
    about,
    long_about,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to color output.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    /// How to print diagnostics: for people, or one JSON object per line for editors and CI.
    #[arg(long, value_enum, default_value_t = DiagnosticsFormat::Human, global = true)]
    diagnostics: DiagnosticsFormat,
    /// Also print problems and failed SLOs as CI annotations on stdout (`github`: workflow
    /// commands; default when GITHUB_ACTIONS=true, or from STRESS_ANNOTATIONS).
    #[arg(long, value_enum, global = true)]
    annotations: Option<Annotations>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Annotations {
    None,
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum DiagnosticsFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and check files, print every problem, run nothing.
    Check {
        /// The .stress files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Treat warnings (such as unused declarations) as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Print the lowered, executable plan of a file.
    Plan {
        /// The .stress file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Yaml)]
        format: PlanFormat,
        /// Override a `let` constant as `stress run --set` does (secrets are shown as `***`).
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
    },
    /// Rewrite files in the canonical format (comments kept).
    Fmt {
        /// The .stress files to format in place.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing; exit 1 if any file would change.
        #[arg(long)]
        check: bool,
    },
    /// Run the tests of files: drive load, inject faults, evaluate SLOs.
    Run(RunArgs),
    /// Merge runs of the same file (shards, `stress run --out DIR`) into one report.
    Merge(MergeArgs),
    /// Compare two runs (`--out` folders) step by step: exit 1 on a regression.
    ///
    /// Latency p50/p95/p99, error rate and throughput per test × scenario × step, base vs new;
    /// exit 1 when one is worse than `--max-regression` / `--max-error-increase` allow.
    Compare(CompareArgs),
    /// Run an embedded mock service on its own.
    Mock {
        #[command(subcommand)]
        kind: MockKind,
    },
    /// Print a shell completion script: `stress completions bash > /etc/bash_completion.d/stress`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `stress man | man -l -`.
    Man,
    /// Serve the Language Server Protocol over stdin/stdout (diagnostics, hover, definition,
    /// references, completion, formatting) for editors.
    Lsp,
}

#[derive(Debug, Subcommand)]
enum MockKind {
    /// The mock LLM (OpenAI /v1/chat/completions and Anthropic /v1/messages shapes).
    Llm(crate::mock::MockLlmArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum PlanFormat {
    Yaml,
    Json,
}

/// The version with the commit it was built from (`0.1.0 (1fc7a31)`, or `0.1.0 (unknown)` when
/// not built from a git checkout; see build.rs). `option_env!`, so that a build without the
/// build script's variable (another build system) still compiles.
const VERSION: &str = match option_env!("STRESS_VERSION") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};

/// `--tui` with `--format json`, as clap reports a conflict (`--tui` with `--quiet` is
/// clap's own `conflicts_with`; a conflict with one value of `--format` cannot be declared).
fn tui_conflict(args: &RunArgs) -> Option<clap::Error> {
    if !(args.tui && args.format == crate::args::RunFormat::Json) {
        return None;
    }
    let mut command = <Cli as clap::CommandFactory>::command();
    command.build();
    let run = command
        .find_subcommand_mut("run")
        .expect("`run` is a subcommand");
    Some(run.error(
        clap::error::ErrorKind::ArgumentConflict,
        "the argument '--tui' cannot be used with '--format json'",
    ))
}

/// Parses arguments, runs, returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                Exit::Invalid
            } else {
                Exit::Passed
            });
        }
    };
    if let Command::Run(args) = &cli.command {
        if let Some(err) = tui_conflict(args) {
            let _ = err.print();
            return ExitCode::from(Exit::Invalid);
        }
    }
    // The flag, else STRESS_ANNOTATIONS (`none` or `github`; empty or other: ignored), else
    // on inside GitHub Actions.
    let from_env = std::env::var("STRESS_ANNOTATIONS")
        .ok()
        .and_then(|v| Annotations::from_str(v.trim(), true).ok());
    let annotations = cli.annotations.or(from_env).unwrap_or_else(|| {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            Annotations::Github
        } else {
            Annotations::None
        }
    });
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let ui = Ui::new(
        color,
        cli.diagnostics == DiagnosticsFormat::Json,
        annotations == Annotations::Github,
    );
    let code = match cli.command {
        Command::Check {
            files,
            deny_warnings,
        } => check(&ui, &files, deny_warnings),
        Command::Plan { file, format, set } => plan(&ui, &file, format, &set),
        // On a big stack, as the front end runs: formatting walks the tree recursively.
        Command::Fmt { files, check } => {
            crate::frontend::on_big_stack(|| fmt(&ui, &files, check)).unwrap_or(Exit::Invalid)
        }
        Command::Run(args) => crate::run::run(&ui, &args),
        Command::Merge(args) => crate::merge::merge(&ui, &args),
        Command::Compare(args) => crate::compare::compare(&ui, &args),
        Command::Mock {
            kind: MockKind::Llm(args),
        } => mock_llm(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "stress", &mut std::io::stdout());
            Exit::Passed
        }
        Command::Lsp => crate::lsp::serve(),
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(command).render(&mut std::io::stdout()) {
                Ok(()) => Exit::Passed,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Passed,
                Err(e) => {
                    eprintln!("error: cannot write the manual page: {e}");
                    Exit::CouldNotRun
                }
            }
        }
    };
    code.into()
}

fn summary_line(ui: &Ui, name: &str, problems: &[Problem]) {
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let warnings = problems.len() - errors;
    if ui.json() {
        return;
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if errors > 0 {
        eprintln!(
            "error: {name}: {}{}",
            plural(errors, "error"),
            if warnings > 0 {
                format!(", {}", plural(warnings, "warning"))
            } else {
                String::new()
            }
        );
    } else if warnings > 0 {
        eprintln!("warning: {name}: {}", plural(warnings, "warning"));
    }
}

fn check(ui: &Ui, files: &[PathBuf], deny_warnings: bool) -> Exit {
    let mut code = Exit::Passed;
    for path in files {
        let result = load(path, &[]);
        ui.problems(result.file.as_ref(), &result.problems);
        summary_line(ui, &path.display().to_string(), &result.problems);
        if result.failed {
            code = Exit::Invalid;
        } else if deny_warnings && !result.problems.is_empty() {
            if !ui.json() {
                eprintln!(
                    "error: {}: warnings are errors with --deny-warnings",
                    path.display()
                );
            }
            code = Exit::Invalid;
        } else if !ui.json() {
            say(format_args!("{}: ok\n", path.display()));
        }
    }
    code
}

fn plan(ui: &Ui, path: &Path, format: PlanFormat, overrides: &[String]) -> Exit {
    crate::secrets::install(overrides);
    let result = load(path, overrides);
    ui.problems(result.file.as_ref(), &result.problems);
    let Some(plan) = result.plan else {
        summary_line(ui, &path.display().to_string(), &result.problems);
        return Exit::Invalid;
    };
    let text = match format {
        PlanFormat::Json if !crate::secrets::any() => {
            serde_json::to_string_pretty(&plan).expect("a plan serializes to JSON") + "\n"
        }
        PlanFormat::Json => {
            let mut value = serde_json::to_value(&plan).expect("a plan serializes to JSON");
            crate::secrets::redact_json(&mut value);
            serde_json::to_string_pretty(&value).expect("JSON values serialize") + "\n"
        }
        // Through JSON's data model: serde_yaml cannot write nested enums directly.
        PlanFormat::Yaml => {
            let mut value = serde_json::to_value(&plan).expect("a plan serializes to JSON");
            crate::secrets::redact_json(&mut value);
            serde_yaml::to_string(&value).expect("JSON values serialize to YAML")
        }
    };
    say(format_args!("{text}"));
    Exit::Passed
}

fn fmt(ui: &Ui, files: &[PathBuf], check_only: bool) -> Exit {
    let mut code = Exit::Passed;
    for path in files {
        let file = match read_source(path) {
            Ok(f) => f,
            Err(p) => {
                ui.problems(None, &[p]);
                code = Exit::Invalid;
                continue;
            }
        };
        let ast = match crate::syntax::parse(&file) {
            Ok(ast) => ast,
            Err(errors) => {
                let problems: Vec<Problem> = errors.into_iter().map(Problem::from).collect();
                ui.problems(Some(&file), &problems);
                summary_line(ui, &file.name, &problems);
                code = Exit::Invalid;
                continue;
            }
        };
        let formatted = crate::fmt::format(&file, &ast);
        if formatted == *file.text {
            continue;
        }
        if check_only {
            say(format_args!("would reformat {}\n", path.display()));
            code = code.worst(Exit::Failed);
        } else if let Err(e) = std::fs::write(path, formatted) {
            ui.problems(
                None,
                &[InputError::Read {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }
                .into()],
            );
            code = Exit::Invalid;
        } else {
            say(format_args!("formatted {}\n", path.display()));
        }
    }
    code
}

fn mock_llm(args: crate::mock::MockLlmArgs) -> Exit {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return Exit::CouldNotRun;
        }
    };
    match runtime.block_on(crate::mock::serve_standalone(args)) {
        Ok(()) => Exit::Passed,
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Invalid
        }
    }
}
