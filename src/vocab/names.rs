//! The built-in names an expression can read without declaring them, by where it stands.

/// A virtual user's place in the run, readable anywhere in a workload.
pub const VU_NAMES: &[&str] = &["user", "iteration", "scenario", "test", "stage"];

/// The current response, readable in a workload after a request.
pub const RESPONSE: &[&str] = &["status", "json", "body", "latency"];

/// The request record a fault rule's `when`, `count(…)` and `rate(…)` read.
pub const RECORD: &[&str] = &[
    "status",
    "latency",
    "injected",
    "fault",
    "call",
    "attempt",
    "user",
    "iteration",
    "step",
    // What a fault rule sees of a request at a proxy (`inject at proxy NAME`).
    "method",
    "path",
    "body_size",
    // The proxy's name, for one scenario with rules for several proxies.
    "proxy",
];
