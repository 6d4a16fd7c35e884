//! The two scopes expressions are evaluated in: [`Env`], a virtual user's state (builtins,
//! `set` variables, data sets, the current and earlier responses, the seeded RNG, `next`
//! counters), and [`Record`], one finished request attempt as `count(…)`, `rate(…)` and fault
//! `when` rules see it. Also [`Response`], a response as expressions read it (JSON parsed
//! lazily, once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rand_chacha::ChaCha8Rng;

use crate::plan::{Builtin, Expr, Fault};
use crate::samples::{Attempt, CaptureValue};

use super::{EvalError, Field, Scope, Value, eval};

// ── Responses ─────────────────────────────────────────────────────────

/// A received (or synthesized) HTTP response, as expressions see it. The body is parsed as
/// JSON lazily, at most once, the first time `json` is read.
#[derive(Debug, Default)]
pub struct Response {
    /// `None` for a transport error or a timeout.
    pub status: Option<u16>,
    /// Names in lower case. Empty when no expression of the workload reads headers.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub latency_us: u64,
    json: OnceLock<Value>,
    text: OnceLock<Arc<str>>,
}

impl Response {
    pub fn new(
        status: Option<u16>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        latency_us: u64,
    ) -> Self {
        Response {
            status,
            headers,
            body,
            latency_us,
            json: OnceLock::new(),
            text: OnceLock::new(),
        }
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; `none` when it is not JSON.
    pub fn json(&self) -> &Value {
        self.json
            .get_or_init(|| Value::from_json_slice(&self.body).unwrap_or(Value::Null))
    }

    /// Whether the body parses as JSON (an empty body does not).
    pub fn body_is_json(&self) -> bool {
        !matches!(self.json(), Value::Null)
            || serde_json::from_slice::<serde::de::IgnoredAny>(&self.body).is_ok()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Arc<str> {
        self.text
            .get_or_init(|| String::from_utf8_lossy(&self.body).into())
            .clone()
    }

    /// Reads one field.
    pub fn field(&self, field: Field<'_>) -> Value {
        match field {
            Field::Status => self
                .status
                .map_or(Value::Null, |s| Value::Number(f64::from(s))),
            Field::Json => self.json().clone(),
            Field::Body => Value::Str(self.text()),
            Field::Latency => Value::Number(self.latency_us as f64),
            Field::Header(name) => self.header(name).map_or(Value::Null, Value::from),
        }
    }
}

// ── The virtual user's scope ──────────────────────────────────────────

/// A virtual user's evaluation state. It lives as long as the VU (within one scenario run):
/// `set` variables, the RNG and the `next` counters carry over from one iteration to the next.
///
/// `next(list)` is a round robin per call site (the `next(…)` expression in the plan) shared
/// by every VU of the scenario run ([`Cursors`]): the k-th evaluation of a site, whichever VU
/// makes it, yields `list[k % len]`, so concurrent VUs take different elements until the
/// list wraps.
#[derive(Debug)]
pub struct Env {
    pub user: u32,
    /// This VU's iteration, from 0.
    pub iteration: u64,
    pub scenario: Arc<str>,
    pub test: Arc<str>,
    /// The name of the stage the current iteration started in (`as NAME`), `""` when unnamed.
    pub stage: Arc<str>,
    /// `Workload::step_names`, to resolve `NAME.json…`.
    pub step_names: Arc<[String]>,
    pub data: Arc<HashMap<String, Value>>,
    pub vars: HashMap<String, Value>,
    pub rng: ChaCha8Rng,
    /// The response of the request being handled (or the last one).
    pub current: Option<Arc<Response>>,
    /// Last response of each step in this iteration, by index into `step_names`.
    pub last: Vec<Option<Arc<Response>>>,
    /// The scenario run's `next(…)` counters.
    pub cursors: Arc<Cursors>,
}

/// The `next(list)` counters of one scenario run, one per call site, shared by its VUs. On
/// shard I of N (`stress run --shard`), the shard's c-th evaluation of a site takes element
/// `I + c·N`, so the shards' elements never overlap and together are the single-process ones.
#[derive(Debug)]
pub struct Cursors {
    offset: u64,
    stride: u64,
    sites: Mutex<HashMap<usize, u64>>,
}

impl Default for Cursors {
    fn default() -> Self {
        Cursors::new(0, 1)
    }
}

impl Cursors {
    /// Counters that hand out `offset, offset + stride, …` (`0, 1, …` for a whole run).
    pub fn new(offset: u64, stride: u64) -> Self {
        Cursors {
            offset,
            stride: stride.max(1),
            sites: Mutex::new(HashMap::new()),
        }
    }

    /// The next global position of call site `site`.
    fn take(&self, site: usize) -> u64 {
        let mut sites = self.sites.lock().unwrap_or_else(|p| p.into_inner());
        let local = sites.entry(site).or_insert(0);
        let taken = *local;
        *local = local.wrapping_add(1);
        self.offset.wrapping_add(taken.wrapping_mul(self.stride))
    }
}

impl Env {
    pub fn new(
        user: u32,
        scenario: Arc<str>,
        test: Arc<str>,
        step_names: Arc<[String]>,
        data: Arc<HashMap<String, Value>>,
        rng: ChaCha8Rng,
        cursors: Arc<Cursors>,
    ) -> Self {
        let last = vec![None; step_names.len()];
        Env {
            user,
            iteration: 0,
            scenario,
            test,
            stage: Arc::from(""),
            step_names,
            data,
            vars: HashMap::new(),
            rng,
            current: None,
            last,
            cursors,
        }
    }

    /// Forgets the responses of the previous iteration (variables stay).
    pub fn start_iteration(&mut self, iteration: u64) {
        self.iteration = iteration;
        self.current = None;
        self.last.iter_mut().for_each(|slot| *slot = None);
    }
}

impl Scope for Env {
    fn builtin(&mut self, builtin: &Builtin) -> Result<Value, EvalError> {
        Ok(match builtin {
            Builtin::User => Value::Number(f64::from(self.user)),
            Builtin::Iteration => Value::Number(self.iteration as f64),
            Builtin::Scenario => Value::Str(self.scenario.clone()),
            Builtin::Test => Value::Str(self.test.clone()),
            Builtin::Stage => Value::Str(self.stage.clone()),
            Builtin::Call => return Err(EvalError::NotAvailable("call")),
            Builtin::Attempt => return Err(EvalError::NotAvailable("attempt")),
            Builtin::Injected => return Err(EvalError::NotAvailable("injected")),
            Builtin::Fault => return Err(EvalError::NotAvailable("fault")),
            Builtin::Step => return Err(EvalError::NotAvailable("step")),
        })
    }

    fn var(&mut self, name: &str) -> Result<Value, EvalError> {
        self.vars
            .get(name)
            .cloned()
            .ok_or_else(|| EvalError::UnknownVar(name.to_string()))
    }

    fn data(&mut self, name: &str) -> Result<Value, EvalError> {
        self.data
            .get(name)
            .cloned()
            .ok_or_else(|| EvalError::UnknownData(name.to_string()))
    }

    fn response(&mut self, step: Option<&str>, field: Field<'_>) -> Result<Value, EvalError> {
        let response = match step {
            None => self
                .current
                .as_ref()
                .ok_or(EvalError::NotAvailable("a response"))?,
            Some(step) => {
                let index = self.step_names.iter().position(|s| s == step);
                index
                    .and_then(|i| self.last.get(i))
                    .and_then(Option::as_ref)
                    .ok_or_else(|| EvalError::NoResponse(step.to_string()))?
            }
        };
        Ok(response.field(field))
    }

    fn rng(&mut self) -> Option<&mut ChaCha8Rng> {
        Some(&mut self.rng)
    }

    fn next_index(&mut self, site: usize, len: usize) -> Option<usize> {
        let len = u64::try_from(len).ok().filter(|&l| l > 0)?;
        usize::try_from(self.cursors.take(site) % len).ok()
    }
}

// ── The request record's scope ────────────────────────────────────────

/// One request attempt as `count(…)`, `rate(…)` and fault `when` rules see it.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub call: u64,
    pub attempt: u32,
    pub user: u32,
    pub iteration: u64,
    /// The step's name.
    pub step: &'a str,
    pub status: Option<u16>,
    pub latency_us: u64,
    pub injected: bool,
    /// The injected failure, `None` for none (or a delay-only rule).
    pub fault: Option<&'a Fault>,
    pub captures: &'a [(usize, CaptureValue)],
    /// `Workload::captures`, to resolve a capture by name (empty: captures are unknown).
    pub capture_names: &'a [String],
}

impl<'a> Record<'a> {
    /// The record of a finished attempt.
    pub fn of(attempt: &'a Attempt, step_names: &'a [String], capture_names: &'a [String]) -> Self {
        Record {
            call: attempt.call,
            attempt: attempt.attempt,
            user: attempt.user,
            iteration: attempt.iteration,
            step: step_names.get(attempt.step).map_or("", String::as_str),
            status: attempt.status,
            latency_us: attempt.latency_us(),
            injected: attempt.injected.is_some(),
            fault: attempt.injected.as_ref().and_then(|i| i.fault.as_ref()),
            captures: &attempt.captures,
            capture_names,
        }
    }
}

/// The value of a fault in a request record: a status as a number, other faults by keyword.
pub fn fault_value(fault: Option<&Fault>) -> Value {
    match fault {
        None => Value::Null,
        Some(Fault::Status { status, .. }) => Value::Number(f64::from(*status)),
        Some(Fault::Timeout) => Value::from("timeout"),
        Some(Fault::ConnectionError) => Value::from("connection_error"),
        Some(Fault::Reset) => Value::from("reset"),
        Some(Fault::Hang) => Value::from("hang"),
        Some(Fault::Truncate) => Value::from("truncate"),
        Some(Fault::Bandwidth { .. }) => Value::from("bandwidth"),
        Some(Fault::CloseAfter { .. }) => Value::from("close_after"),
    }
}

/// A fault keyword in an expression (`fault == timeout`, `fault == none`, `fault == 429`).
pub(super) fn fault_kind_value(kind: &str) -> Value {
    match kind {
        "none" => Value::Null,
        _ => kind
            .parse::<u16>()
            .map_or_else(|_| Value::from(kind), |s| Value::Number(f64::from(s))),
    }
}

impl Scope for Record<'_> {
    fn builtin(&mut self, builtin: &Builtin) -> Result<Value, EvalError> {
        Ok(match builtin {
            Builtin::User => Value::Number(f64::from(self.user)),
            Builtin::Iteration => Value::Number(self.iteration as f64),
            Builtin::Call => Value::Number(self.call as f64),
            Builtin::Attempt => Value::Number(f64::from(self.attempt)),
            Builtin::Injected => Value::Bool(self.injected),
            Builtin::Fault => fault_value(self.fault),
            Builtin::Step => Value::from(self.step),
            Builtin::Scenario => return Err(EvalError::NotAvailable("scenario")),
            Builtin::Test => return Err(EvalError::NotAvailable("test")),
            Builtin::Stage => return Err(EvalError::NotAvailable("stage")),
        })
    }

    /// A capture of this attempt; `none` when the attempt did not capture it.
    fn var(&mut self, name: &str) -> Result<Value, EvalError> {
        let Some(index) = self.capture_names.iter().position(|c| c == name) else {
            return Err(EvalError::UnknownVar(name.to_string()));
        };
        Ok(self
            .captures
            .iter()
            .find(|(i, _)| *i == index)
            .map_or(Value::Null, |(_, v)| match v {
                CaptureValue::Number(n) => Value::Number(*n),
                CaptureValue::Bool(b) => Value::Bool(*b),
            }))
    }

    fn response(&mut self, step: Option<&str>, field: Field<'_>) -> Result<Value, EvalError> {
        if step.is_some() {
            return Err(EvalError::NotAvailable("an earlier step's response"));
        }
        Ok(match field {
            Field::Status => self
                .status
                .map_or(Value::Null, |s| Value::Number(f64::from(s))),
            Field::Latency => Value::Number(self.latency_us as f64),
            Field::Json | Field::Body | Field::Header(_) => Value::Null,
        })
    }
}

/// Evaluates a `count(…)`/`rate(…)` predicate over a finished attempt. Errors count as false;
/// `status` is `none` for an attempt without an HTTP status, so `status >= 500` is false.
/// Capture names are unknown here (see [`eval_record_with_captures`]).
pub fn eval_record(expr: &Expr, attempt: &Attempt, step_names: &[String]) -> bool {
    eval_record_with_captures(expr, attempt, step_names, &[])
}

/// [`eval_record`] where a bare name is a capture of the attempt (`rate(cached)`).
pub fn eval_record_with_captures(
    expr: &Expr,
    attempt: &Attempt,
    step_names: &[String],
    capture_names: &[String],
) -> bool {
    let mut record = Record::of(attempt, step_names, capture_names);
    eval(expr, &mut record).is_ok_and(|v| v.truthy())
}
