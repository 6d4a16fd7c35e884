//! The integration tests, in one binary (fewer links on a 2-core machine).

mod action;
mod artifacts;
mod checks;
mod cli;
mod compare;
mod deploy;
mod docs;
mod engine;
mod examples;
mod expressions;
mod faults;
mod fuzz;
mod layers;
mod lsp;
mod merge;
mod proxy;
mod proxy_slo;
mod proxy_tcp;
mod robustness;
mod run;
mod runtime;
mod scrape;
mod services;
mod shards;
mod support;
mod ui;
