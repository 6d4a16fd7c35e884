//! What the engine reports to the metrics collector: one `Attempt` per request attempt, one
//! `Iteration` per finished iteration. Times are microseconds since the test's start.

use serde::Serialize;

/// Why a request attempt failed, by kind (never by error string).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The request's timeout elapsed.
    Timeout,
    /// The connection could not be made (refused, unreachable, DNS).
    Connect,
    /// The connection broke mid-request or mid-response.
    Reset,
    /// An HTTP status counted as failure (≥ 400 with no `check`).
    Status,
    /// A `check` evaluated to false.
    Check,
    /// The response body could not be read or decoded.
    Body,
    /// The process ran out of file descriptors (EMFILE/ENFILE) opening a connection: a limit
    /// of the load generator, not a failure of the target.
    FdLimit,
    /// A capture reads `json` and the response body is not JSON (a `200` with an HTML error
    /// page, a truncated document).
    BodyParse,
}

impl ErrorClass {
    /// Its name, as in reports and `requests.jsonl`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Timeout => "timeout",
            ErrorClass::Connect => "connect",
            ErrorClass::Reset => "reset",
            ErrorClass::Status => "status",
            ErrorClass::Check => "check",
            ErrorClass::Body => "body",
            ErrorClass::FdLimit => "fd_limit",
            ErrorClass::BodyParse => "body_parse",
        }
    }
}

/// The answer class of an attempt's status, as an index: 0 1xx/2xx, 1 3xx, 2 4xx, 3 5xx,
/// 4 no answer (timeout, refused, reset, …). The HTML report's chart and the live view count
/// attempts by it.
pub fn status_class(status: Option<u16>) -> usize {
    match status {
        Some(s) if s < 300 => 0,
        Some(s) if s < 400 => 1,
        Some(s) if s < 500 => 2,
        Some(_) => 3,
        None => 4,
    }
}

/// The fault a rule injected for this attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Injected {
    /// Index into the scenario's `rules`.
    pub rule: usize,
    /// `None` for a delay-only rule.
    pub fault: Option<crate::plan::Fault>,
}

/// A captured value of one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureValue {
    Number(f64),
    Bool(bool),
}

/// One request attempt, finished.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attempt {
    /// Index into `Test::scenarios`.
    pub scenario: usize,
    /// Index into `Workload::step_names`.
    pub step: usize,
    /// Index into `Profile::phases` of the stage the iteration started in.
    pub phase: Option<usize>,
    pub user: u32,
    pub iteration: u64,
    /// Call number at the injection point, from 0, per scenario (retries included).
    pub call: u64,
    /// 0 for the first try.
    pub attempt: u32,
    /// When the attempt should have started (open model: the schedule; closed: the send).
    pub intended_us: u64,
    pub sent_us: u64,
    pub done_us: u64,
    /// VUs active (the engine's gauge) when it was sent.
    pub active_users: u32,
    pub status: Option<u16>,
    pub error: Option<ErrorClass>,
    /// Counted as a failed request (transport error, timeout, failed check, or ≥ 400 with no check).
    pub failed: bool,
    pub injected: Option<Injected>,
    /// (index into `Workload::captures`, value)
    pub captures: Vec<(usize, CaptureValue)>,
    /// How many of the request's `check`s held, in order, before one failed or all held (0
    /// when the checks were not evaluated: no response).
    pub checks_passed: u32,
    /// The index (into `Request::checks`) of the check that failed: false, or could not be
    /// evaluated. Later checks were not evaluated.
    pub check_failed: Option<u32>,
}

impl Attempt {
    /// Latency from the intended start: what a user waiting for it saw.
    pub fn latency_us(&self) -> u64 {
        self.done_us.saturating_sub(self.intended_us)
    }

    /// Service time from the actual send.
    pub fn service_us(&self) -> u64 {
        self.done_us.saturating_sub(self.sent_us)
    }
}

/// One iteration of the workload, finished.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Iteration {
    pub scenario: usize,
    pub phase: Option<usize>,
    pub user: u32,
    pub iteration: u64,
    pub intended_us: u64,
    pub started_us: u64,
    pub done_us: u64,
    pub outcome: crate::plan::Outcome,
    /// Retries over all requests of the iteration.
    pub retries: u32,
    /// (reason, retries for it)
    pub retries_by: Vec<(crate::plan::RetryOn, u32)>,
    /// Sum of `cost` captures, in dollars.
    pub cost: f64,
    pub budget_exceeded_during_retry: bool,
    /// Per step (index into `step_names`): the step's own time (all attempts, backoffs, polls).
    pub step_durations_us: Vec<(usize, u64)>,
    /// The failed check that ended the iteration: (index into `step_names`, index into the
    /// request's `checks`); steps after it did not run.
    pub ended_by_check: Option<(usize, usize)>,
}
