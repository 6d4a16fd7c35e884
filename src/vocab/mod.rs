//! The language's fixed vocabulary, as typed tables: the functions a workload may call
//! ([`Builtin`]), the fault rules a scenario may list ([`Rule`]) and the faults they inject
//! ([`Fault`]). Each is an enum with `ALL`, `name()` and `from_name()`, plus its signature.
//!
//! A leaf of the pipeline: the syntax builder (statement keywords), the checker (arity, argument
//! kinds, result types, "did you mean" candidates), `lower` (exhaustive matches on the enums)
//! and the evaluator (function names in run-time errors) all read these tables, so a word is
//! spelt in exactly one place. Imports nothing from the crate.

mod builtins;
mod rules;

pub use builtins::{Builtin, Param, Signature, ValueType};
pub use rules::{ArgKind, Fault, Rule, RuleParam};
