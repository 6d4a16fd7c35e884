//! The language's fixed vocabulary, as typed tables: the functions a workload may call
//! ([`Builtin`]), the formats a data set is read in ([`DataFormat`]), the fault rules a
//! scenario may list ([`Rule`]), the faults they inject ([`Fault`]), what an SLO reads
//! ([`MetricName`], [`MetricFn`], [`Quantity`], [`Outcome`]) and the built-in names an
//! expression reads ([`VU_NAMES`], [`RESPONSE`], [`RECORD`]). Each word list is an enum with
//! `ALL`, `name()` and `from_name()`, plus its signature where it has one.
//!
//! A leaf of the pipeline: the syntax builder (statement keywords), the checker (arity, argument
//! kinds, result types, "did you mean" candidates), `lower` (exhaustive matches on the enums),
//! the evaluator (function names in run-time errors) and the language server (hover and
//! completion) all read these tables, so a word is spelt in exactly one place. Imports nothing
//! from the crate.

/// Declares a word enum: `ALL` (in the order messages list them), `name()`, `from_name()` and
/// `names()`.
macro_rules! words {
    ($(#[$doc:meta])* $ty:ident { $($(#[$vdoc:meta])* $variant:ident => $name:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $ty {
            $($(#[$vdoc])* $variant,)*
        }

        impl $ty {
            /// Every word, in the order messages list them.
            pub const ALL: &'static [$ty] = &[$($ty::$variant,)*];

            /// The word as written in a `.stress` file.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }

            pub fn from_name(name: &str) -> Option<$ty> {
                Self::ALL.iter().copied().find(|w| w.name() == name)
            }

            /// Every word's name, in `ALL` order ("did you mean" candidates).
            pub fn names() -> impl Iterator<Item = &'static str> {
                Self::ALL.iter().map(|w| w.name())
            }
        }
    };
}

mod builtins;
mod data;
mod metrics;
mod names;
mod rules;

pub use builtins::{Builtin, Param, Signature, ValueType};
pub use data::DataFormat;
pub use metrics::{
    METRIC_FN_ALIASES, MetricArg, MetricFn, MetricName, Outcome, PROXY_RECORD, ProxyMetric,
    ProxyQuantity, Quantity, percentile,
};
pub use names::{RECORD, RESPONSE, VU_NAMES};
pub use rules::{ArgKind, Fault, Rule, RuleParam};
