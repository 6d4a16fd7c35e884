//! `stress`: statically checked load, fault-injection and SLO testing from one `.stress` file.
//!
//! ```text
//!  .stress text
//!      │ syntax::parse          (pest lives only here)
//!      ▼
//!  ast::File                    syntax-shaped, every node has a Span
//!      │ checker::check          names, composition `a + b`, units, value rules → all problems at once
//!      ▼
//!  checker::Checked              AST + resolved scope
//!      │ checker::lower          infallible: check already proved what lower needs
//!      ▼
//!  plan::Plan                   scenarios, stages, fault rules, SLOs (with origin spans)
//!      │ engine::run            tokio + reqwest; faults injected; samples → metrics
//!      ▼
//!  metrics::Metrics             hdrhistogram per (test, scenario, step, phase)
//!      │ slo::evaluate   ─────► slo::Verdict
//!      ▼
//!  report                       text | markdown | json       exit: 0 pass · 1 SLO failed · 2 invalid · 3 could not run
//! ```

pub mod annotations;
pub mod artifacts;
pub mod ast;
pub mod checker;
pub mod cli;
pub mod diag;
mod diag_window;
pub mod engine;
pub mod eval;
mod fdlimit;
pub mod fmt;
pub mod lsp;
mod merge;
pub mod metrics;
pub mod mock;
pub mod plan;
pub mod progress;
pub mod proxy;
pub mod report;
mod run;
mod secrets;
pub mod service;
mod signals;
pub mod slo;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod units;
pub mod vocab;
