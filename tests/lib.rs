//! The integration tests, in one binary (fewer links on a 2-core machine).

mod examples;
mod support;
mod ui;
