//! The integration tests, in one binary (fewer links on a 2-core machine).

mod artifacts;
mod cli;
mod docs;
mod engine;
mod examples;
mod faults;
mod merge;
mod robustness;
mod run;
mod support;
mod ui;
