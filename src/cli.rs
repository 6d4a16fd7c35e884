//! The command line (clap): `check`, `plan`, `fmt`, `run`, `merge`, `mock llm`. Decides exit codes in
//! one place: 0 clean/passed · 1 SLO failed · 2 invalid input or usage · 3 could not run ·
//! 130 interrupted.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diag::{InputError, Problem, RenderOptions};
use crate::source::SourceFile;

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

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum PlanFormat {
    Yaml,
    Json,
}

/// The version with the commit it was built from (`0.1.0 (1fc7a31)`), when built from a git
/// checkout (see build.rs).
const VERSION: &str = match option_env!("STRESS_GIT_COMMIT") {
    Some(_) => concat!(
        env!("CARGO_PKG_VERSION"),
        " (",
        env!("STRESS_GIT_COMMIT"),
        ")"
    ),
    None => env!("CARGO_PKG_VERSION"),
};

/// Parses arguments, runs, returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
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
    let mut ui = Ui::new(cli.color, cli.diagnostics);
    ui.github = annotations == Annotations::Github;
    let code = match cli.command {
        Command::Check {
            files,
            deny_warnings,
        } => check(&ui, &files, deny_warnings),
        Command::Plan { file, format, set } => plan(&ui, &file, format, &set),
        // On a big stack, as the front end runs: formatting walks the tree recursively.
        Command::Fmt { files, check } => std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(256 * 1024 * 1024)
                .spawn_scoped(scope, || fmt(&ui, &files, check))
                .expect("spawning the formatter thread")
                .join()
                .unwrap_or(2)
        }),
        Command::Run(args) => run(&ui, &args),
        Command::Merge(args) => crate::merge::merge(&ui, &args),
        Command::Mock {
            kind: MockKind::Llm(args),
        } => mock_llm(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "stress", &mut std::io::stdout());
            0
        }
        Command::Lsp => crate::lsp::serve(),
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(command).render(&mut std::io::stdout()) {
                Ok(()) => 0,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    eprintln!("error: cannot write the manual page: {e}");
                    3
                }
            }
        }
    };
    ExitCode::from(code)
}

/// How to print for this invocation.
pub(crate) struct Ui {
    color: bool,
    json: bool,
    /// Print GitHub workflow commands for problems too.
    github: bool,
}

impl Ui {
    pub(crate) fn color(&self) -> bool {
        self.color
    }

    fn new(color: Color, format: DiagnosticsFormat) -> Self {
        let color = match color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Ui {
            color,
            json: format == DiagnosticsFormat::Json,
            github: false,
        }
    }

    fn width() -> usize {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100)
    }

    /// Prints problems (sorted) to stderr.
    pub(crate) fn problems(&self, file: Option<&SourceFile>, problems: &[Problem]) {
        let mut err = std::io::stderr().lock();
        // Rendering finds each problem's line in the file: cap the count so a huge file with
        // thousands of problems still answers at once.
        const SHOWN: usize = 200;
        if problems.len() > SHOWN && !self.json {
            let _ = writeln!(
                err,
                "({} problems; showing the first {SHOWN})",
                problems.len()
            );
        }
        // `--set` secrets are never echoed, not even in a diagnostic about their value.
        let redact = crate::secrets::redact;
        for problem in problems.iter().take(SHOWN) {
            if self.json {
                let json = crate::diag::render_json(problem, file);
                let _ = writeln!(err, "{}", redact(&json));
            } else {
                let opts = RenderOptions {
                    color: self.color,
                    unicode: true,
                    width: Self::width(),
                };
                let text = crate::diag::render(problem, file, opts);
                let _ = write!(err, "{}", redact(&text));
                let _ = writeln!(err);
            }
        }
        if self.github {
            let mut out = std::io::stdout().lock();
            for problem in problems {
                let _ = writeln!(out, "{}", crate::annotations::github(problem, file));
            }
        }
    }
}

/// Reads a file as UTF-8 text.
pub(crate) fn read_source(path: &Path) -> Result<SourceFile, Problem> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| InputError::Read {
        path: name.clone(),
        reason: e.to_string(),
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => Err(InputError::NotUtf8 {
            path: name,
            offset: e.utf8_error().valid_up_to(),
        }
        .into()),
    }
}

/// The front end on one file: read → parse → check → lower. Runs on a thread with a large
/// stack so that no input, however deeply nested, can overflow it.
pub(crate) fn front_end(path: &Path) -> FrontEnd {
    front_end_with(path, &[])
}

/// The front end with `--set NAME=VALUE` overrides of `let` constants applied to the text.
pub(crate) fn front_end_with(path: &Path, overrides: &[String]) -> FrontEnd {
    let path = path.to_path_buf();
    let overrides = overrides.to_vec();
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || front_end_inner(&path, &overrides))
        .expect("spawning the front-end thread")
        .join()
        .unwrap_or_else(|_| FrontEnd {
            file: None,
            problems: vec![],
            plan: None,
            failed: true,
        })
}

pub(crate) struct FrontEnd {
    pub(crate) file: Option<SourceFile>,
    pub(crate) problems: Vec<Problem>,
    pub(crate) plan: Option<crate::plan::Plan>,
    pub(crate) failed: bool,
}

impl FrontEnd {
    fn failed(file: Option<SourceFile>, problems: Vec<Problem>) -> Self {
        FrontEnd {
            file,
            problems,
            plan: None,
            failed: true,
        }
    }
}

fn front_end_inner(path: &Path, overrides: &[String]) -> FrontEnd {
    let mut file = match read_source(path) {
        Ok(file) => file,
        Err(problem) => return FrontEnd::failed(None, vec![problem]),
    };
    let mut ast = match crate::syntax::parse(&file) {
        Ok(ast) => ast,
        Err(errors) => {
            return FrontEnd::failed(Some(file), errors.into_iter().map(Problem::from).collect());
        }
    };
    if !overrides.is_empty() {
        file = match crate::source::apply_overrides(&file, &ast, overrides) {
            Ok(file) => file,
            Err(problem) => return FrontEnd::failed(Some(file), vec![problem.into()]),
        };
        ast = match crate::syntax::parse(&file) {
            Ok(ast) => ast,
            Err(errors) => {
                return FrontEnd::failed(
                    Some(file),
                    errors.into_iter().map(Problem::from).collect(),
                );
            }
        };
    }
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    match crate::checker::check(&file, &ast, Some(&base_dir)) {
        Ok(checked) => {
            let plan = crate::checker::lower(&checked);
            let problems = checked.warnings.into_iter().map(Problem::from).collect();
            FrontEnd {
                file: Some(file.clone()),
                problems,
                plan: Some(plan),
                failed: false,
            }
        }
        Err(errors) => FrontEnd::failed(
            Some(file.clone()),
            errors.into_iter().map(Problem::from).collect(),
        ),
    }
}

/// Parse + check of a file already in memory (the language server's diagnostics): every
/// problem, errors and warnings, in order. Runs on the caller's stack.
pub(crate) fn check_in_place(file: &SourceFile, base_dir: Option<&Path>) -> Vec<Problem> {
    match crate::syntax::parse(file) {
        Err(errors) => errors.into_iter().map(Problem::from).collect(),
        Ok(ast) => match crate::checker::check(file, &ast, base_dir) {
            Ok(checked) => checked.warnings.into_iter().map(Problem::from).collect(),
            Err(errors) => errors.into_iter().map(Problem::from).collect(),
        },
    }
}

fn summary_line(ui: &Ui, name: &str, problems: &[Problem]) {
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let warnings = problems.len() - errors;
    if ui.json {
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

fn check(ui: &Ui, files: &[PathBuf], deny_warnings: bool) -> u8 {
    let mut code = 0;
    for path in files {
        let result = front_end(path);
        ui.problems(result.file.as_ref(), &result.problems);
        summary_line(ui, &path.display().to_string(), &result.problems);
        if result.failed {
            code = 2;
        } else if deny_warnings && !result.problems.is_empty() {
            if !ui.json {
                eprintln!(
                    "error: {}: warnings are errors with --deny-warnings",
                    path.display()
                );
            }
            code = 2;
        } else if !ui.json {
            say(format_args!("{}: ok\n", path.display()));
        }
    }
    code
}

fn plan(ui: &Ui, path: &Path, format: PlanFormat, overrides: &[String]) -> u8 {
    crate::secrets::install(overrides);
    let result = front_end_with(path, overrides);
    ui.problems(result.file.as_ref(), &result.problems);
    let Some(plan) = result.plan else {
        summary_line(ui, &path.display().to_string(), &result.problems);
        return 2;
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
    0
}

fn fmt(ui: &Ui, files: &[PathBuf], check_only: bool) -> u8 {
    let mut code = 0;
    for path in files {
        let file = match read_source(path) {
            Ok(f) => f,
            Err(p) => {
                ui.problems(None, &[p]);
                code = 2;
                continue;
            }
        };
        let ast = match crate::syntax::parse(&file) {
            Ok(ast) => ast,
            Err(errors) => {
                let problems: Vec<Problem> = errors.into_iter().map(Problem::from).collect();
                ui.problems(Some(&file), &problems);
                summary_line(ui, &file.name, &problems);
                code = 2;
                continue;
            }
        };
        let formatted = crate::fmt::format(&file, &ast);
        if formatted == *file.text {
            continue;
        }
        if check_only {
            say(format_args!("would reformat {}\n", path.display()));
            if code == 0 {
                code = 1;
            }
        } else if let Err(e) = std::fs::write(path, formatted) {
            ui.problems(
                None,
                &[InputError::Read {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }
                .into()],
            );
            code = 2;
        } else {
            say(format_args!("formatted {}\n", path.display()));
        }
    }
    code
}

/// Writes to stdout, ignoring failures: a reader that went away (`stress plan f | head -c1`,
/// a closed pipe) ends the output quietly instead of panicking as `print!` does.
pub(crate) fn say(text: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(text).and_then(|()| out.flush());
}

fn run(ui: &Ui, args: &RunArgs) -> u8 {
    crate::run::run(ui, args)
}

fn mock_llm(args: crate::mock::MockLlmArgs) -> u8 {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 3;
        }
    };
    match runtime.block_on(crate::mock::serve_standalone(args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
