//! What `check` resolved, handed to `lower` (and to the unmeasurable-SLO warnings) so that
//! neither looks a name up again: for each test, its workload (as an index into the file's
//! workloads, which is the plan's order), its profile's stages, every scenario expression
//! flattened to its fault rules, the services it starts and its SLO comparisons with a typed
//! operator. `check` records a test here only when every one of these resolved; when one did
//! not, it has reported why, so a file that passes `check` has a [`TestRefs`] for every test.

use crate::ast;
use crate::plan::CmpOp;

/// One test's resolved references.
pub(crate) struct TestRefs<'a> {
    pub(crate) test: &'a ast::Test,
    /// The test's workload, and its index among the file's workloads.
    pub(crate) workload: (usize, &'a ast::Workload),
    /// The stages of the named or inline profile.
    pub(crate) profile: &'a [ast::Stage],
    /// The `scenarios` list, in order (empty when the test lists none).
    pub(crate) scenarios: Vec<ScenarioUse<'a>>,
    /// The `faults` of the chaos window, in order.
    pub(crate) chaos: Vec<ScenarioUse<'a>>,
    /// Indexes of the started services among the file's services.
    pub(crate) services: Vec<usize>,
    /// Every `slo` and `abort if` statement, in order.
    pub(crate) slos: Vec<SloRefs<'a>>,
}

/// A scenario expression (`a`, `a + b`) with its compositions expanded.
pub(crate) struct ScenarioUse<'a> {
    /// `a+b` for a sum, else the scenario's name.
    pub(crate) name: String,
    /// The parts: those of the sum, or of the one scenario's composition, or its own name.
    pub(crate) parts: Vec<String>,
    /// Every fault rule, in order, compositions expanded.
    pub(crate) rules: Vec<&'a ast::Rule>,
}

/// An SLO statement and its comparison.
pub(crate) struct SloRefs<'a> {
    pub(crate) stmt: &'a ast::SloStmt,
    pub(crate) lhs: &'a ast::Expr,
    pub(crate) op: CmpOp,
    pub(crate) rhs: &'a ast::Expr,
}

/// The operator of a comparison (`None` for any other operator).
pub(crate) fn cmp_op(op: ast::BinaryOp) -> Option<CmpOp> {
    use ast::BinaryOp as B;
    Some(match op {
        B::Lt => CmpOp::Lt,
        B::Le => CmpOp::Le,
        B::Gt => CmpOp::Gt,
        B::Ge => CmpOp::Ge,
        B::Eq => CmpOp::Eq,
        B::Ne => CmpOp::Ne,
        B::Range | B::Or | B::And | B::Add | B::Sub | B::Mul | B::Div | B::Mod => return None,
    })
}
