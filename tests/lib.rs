//! The integration tests, in one binary (fewer links on a 2-core machine).

mod cli;
mod engine;
mod examples;
mod robustness;
mod run;
mod support;
mod ui;
