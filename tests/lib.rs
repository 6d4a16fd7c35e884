//! The integration tests, in one binary (fewer links on a 2-core machine).

mod artifacts;
mod cli;
mod engine;
mod examples;
mod faults;
mod fuzz;
mod merge;
mod robustness;
mod run;
mod support;
mod ui;
