//! `stress`: statically checked load, fault-injection and SLO testing from one `.stress` file.
//!
//! ```text
//!  .stress text                 frontend::load reads it and applies `--set`
//!      │ syntax::parse          (pest lives only here)
//!      ▼
//!  ast::File                    syntax-shaped, every node has a Span
//!      │ checker::check         names, composition `a + b`, units, value rules → all problems at once
//!      ▼
//!  checker::Checked             AST + resolved scope
//!      │ checker::lower         infallible: check already proved what lower needs
//!      ▼
//!  plan::Plan                   scenarios, stages, fault rules, SLOs (with origin spans)
//!      │ engine::run            tokio + reqwest; faults injected; samples::Attempt → metrics
//!      ▼
//!  metrics::Metrics             hdrhistogram per (test, scenario, step, phase)
//!      │ slo::evaluate   ─────► slo::Verdict
//!      ▼
//!  report → artifacts           text | markdown | json | html | junit
//!                               exit::Exit: 0 passed · 1 SLO failed · 2 invalid · 3 could not run · 130/143 stopped
//! ```
//!
//! ## Layers
//!
//! Every top-level module sits in one layer and uses only modules of the layers below its
//! own, never one above or beside it, so the modules form no cycle and each can be read
//! knowing only what is under it. `tests/layers.rs` reads this table and fails when a
//! `crate::` path in `src/` (outside comments and tests) points up or sideways, or when a
//! module is missing from the table.
//!
//! ```text
//! cli                          the command line: arguments → command → exit code
//! run merge compare lsp        the commands that run, merge, compare and serve
//! ui frontend fmt args         printing; read → --set → parse → check → lower; formatting
//! annotations                  GitHub workflow commands for problems
//! diag                         every problem of every stage as one type, rendered
//! diag_window                  the lines shown around a problem
//! artifacts                    files a run leaves: JSONL, summary.json, HTML, JUnit, …
//! report progress              the test report; live progress
//! slo service proxy mock       verdicts; the processes, the fault proxy, the mock LLM
//! engine fdlimit               the load: scheduler, client, faults, retries
//! metrics                      HdrHistograms per test × scenario × step × phase
//! eval                         the run-time evaluator of expressions
//! samples                      what the engine reports per attempt and iteration
//! checker                      the static checker and the lowering to a plan
//! plan secrets                 the checked program; `--set` secrets
//! syntax                       pest grammar → AST, with spans
//! ast signals                  the syntax tree; signal names and stop handling
//! units suggest source paths exit vocab   quantities; did-you-mean; text and spans; file names; exit codes; builtins and rules
//! ```

pub mod annotations;
pub mod args;
pub mod artifacts;
pub mod ast;
pub mod checker;
pub mod cli;
mod compare;
pub mod diag;
mod diag_window;
pub mod engine;
pub mod eval;
pub mod exit;
mod fdlimit;
pub mod fmt;
pub mod frontend;
pub mod lsp;
mod merge;
pub mod metrics;
pub mod mock;
pub mod paths;
pub mod plan;
pub mod progress;
pub mod proxy;
pub mod report;
mod run;
pub mod samples;
mod secrets;
pub mod service;
pub mod signals;
pub mod slo;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod ui;
pub mod units;
pub mod vocab;
