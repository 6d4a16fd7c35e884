//! Stage 2 and 3: `check` (names, kinds, units, value rules → every problem at once) and
//! `lower` (checked AST → executable `plan::Plan`, infallible).

mod error;

pub use error::CheckError;
