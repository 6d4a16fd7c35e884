//! The language's fixed vocabulary, as typed tables: the functions a workload may call
//! ([`Builtin`]), the fault rules a scenario may list ([`Rule`]), the faults they inject
//! ([`Fault`]), what an SLO reads ([`MetricName`], [`MetricFn`], [`Quantity`], [`Outcome`]) and the
//! built-in names an expression reads ([`VU_NAMES`], [`RESPONSE`], [`RECORD`]).
//! Each is an enum with `ALL`, `name()` and `from_name()`, plus its signature.
//!
//! A leaf of the pipeline: the syntax builder (statement keywords), the checker (arity, argument
//! kinds, result types, "did you mean" candidates), `lower` (exhaustive matches on the enums)
//! and the evaluator (function names in run-time errors) all read these tables, so a word is
//! spelt in exactly one place. Imports nothing from the crate.

mod builtins;
mod metrics;
mod names;
mod rules;

pub use builtins::{Builtin, Param, Signature, ValueType};
pub use metrics::{MetricArg, MetricFn, MetricName, Outcome, Quantity};
pub use names::{RECORD, RESPONSE, VU_NAMES};
pub use rules::{ArgKind, Fault, Rule, RuleParam};
