//! The lowered, executable plan: what `checker::lower` produces and `engine::run` executes.
//! Names are resolved, compositions flattened, defaults applied, units normalised. Every SLO
//! keeps its origin span so a failed one can be reported at its line. `Serialize` for
//! `stress plan --format yaml|json`.

use serde::Serialize;

use crate::source::Span;
use crate::units::{Duration, Money};

pub mod scrape;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub schema_version: u32,
    /// The file as named on the command line.
    pub file: String,
    pub targets: Vec<Target>,
    pub data: Vec<DataSet>,
    pub services: Vec<Service>,
    pub workloads: Vec<Workload>,
    pub tests: Vec<Test>,
    /// `proxy NAME { listen; upstream }` (see `crate::proxy`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proxies: Vec<Proxy>,
}

/// `proxy NAME { listen "…"  upstream "…" }`: the embedded fault proxy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Proxy {
    pub name: String,
    /// `host:port` to listen on (port 0: any free port).
    pub listen: String,
    /// `http://host:port`, or the name of a target (e.g. a mock) whose URL is used; for a TCP
    /// proxy, `host:port`.
    pub upstream: String,
    /// `proxy NAME tcp { … }`: forwards bytes, faults decided per connection.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tcp: bool,
    /// `ca "path.pem"`: certificates trusted for an `https://` upstream, besides the system's
    /// roots (the path as resolved against the file's folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// `target api = "…" { scrape "/metrics" }`: the URL resolved against the target's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape: Option<ScrapeSpec>,
}

/// `scrape "URL" every D`: where a service's or target's Prometheus metrics are read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScrapeSpec {
    pub url: String,
    /// `every D` (default [`ScrapeSpec::DEFAULT_EVERY`]).
    pub every: Duration,
}

impl ScrapeSpec {
    /// A scrape without `every`: every 5 s (besides the first and the last, see
    /// docs/services.md).
    pub const DEFAULT_EVERY: Duration = Duration(5_000_000);
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Url(String),
    Mock(MockSpec),
}

/// `target NAME mock { … }` with defaults applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MockSpec {
    /// `openai` or `anthropic`
    pub api: String,
    pub latency: (Duration, Duration),
    pub tokens: (u64, u64),
    pub capacity: Option<u32>,
    pub cache: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataSet {
    pub name: String,
    /// `lines`, `csv`, `jsonl` or `yaml`
    pub format: String,
    /// Resolved against the `.stress` file's folder.
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Service {
    pub name: String,
    pub exec: String,
    pub env: Vec<(String, String)>,
    /// `cwd`, resolved against the `.stress` file's folder; `None`: that folder.
    pub cwd: Option<String>,
    pub ready: Option<Ready>,
    /// `stop signal NAME` (default `SIGTERM`).
    pub stop_signal: String,
    /// `stop … grace D` (default 5s): how long after the signal before SIGKILL.
    pub grace: Duration,
    /// `sample every D` (default 1s).
    pub sample_every: Duration,
    /// `scrape "URL" every D`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape: Option<ScrapeSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ready {
    /// `http`, `tcp` or `log`
    pub probe: String,
    pub address: String,
    pub within: Duration,
}

/// What one virtual user does in one iteration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Workload {
    pub name: String,
    pub steps: Vec<Step>,
    /// Workload-level retry policy; a request's own `retry` replaces it.
    pub retry: Option<RetryPolicy>,
    pub budget: Budget,
    /// Names of every request/poll step, in order of first appearance (metric keys).
    pub step_names: Vec<String>,
    /// Names of every capture, in order of first appearance.
    pub captures: Vec<String>,
    /// Whether each capture (same order) is an amount of money (recorded like `cost`, in
    /// micro-dollars, rather than in thousandths).
    pub money_captures: Vec<bool>,
    /// Whether each capture (same order) is a duration (recorded like `latency`, in whole
    /// microseconds, and compared with durations in SLOs).
    #[serde(skip_serializing_if = "no_durations")]
    pub duration_captures: Vec<bool>,
}

fn no_durations(flags: &[bool]) -> bool {
    !flags.contains(&true)
}

#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Budget {
    pub time: Option<Duration>,
    pub cost: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Request(Request),
    Poll(Poll),
    /// Pause for a fixed time or a uniform pick in a range.
    Think {
        min: Duration,
        max: Duration,
    },
    /// `think EXPR` whose value is known only at run time (`think [1s, 5s][user % 2]`):
    /// evaluated each time the step runs, a duration in µs.
    ThinkExpr {
        pause: Expr,
    },
    Repeat {
        count: Expr,
        var: Option<String>,
        steps: Vec<Step>,
    },
    Set {
        var: String,
        value: Expr,
    },
    /// The probability is a fraction (0–1), evaluated each time the step runs; a constant
    /// is an `Expr::Number`.
    Probability {
        probability: Expr,
        steps: Vec<Step>,
    },
    /// Weights as fractions summing to 1.
    Choose {
        arms: Vec<(f64, Vec<Step>)>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Request {
    pub name: String,
    /// Index into `Workload::step_names`.
    pub step: usize,
    pub method: String,
    pub target: String,
    pub path: Expr,
    pub headers: Vec<(Expr, Expr)>,
    pub query: Option<Expr>,
    pub body: Body,
    pub timeout: Duration,
    pub checks: Vec<Expr>,
    /// The source text of each of `checks`, as written: how reports name a check.
    #[serde(skip)]
    pub check_texts: Vec<String>,
    /// (index into `Workload::captures`, expression)
    pub captures: Vec<(usize, Expr)>,
    pub retry: Option<RetryPolicy>,
    pub on_failure: OnFailure,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    None,
    Json(Expr),
    Text(Expr),
    Form(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// End the iteration with outcome `failed` (the default).
    Stop,
    Continue,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Poll {
    pub request: Request,
    pub every: Duration,
    pub until: Expr,
    pub within: Duration,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RetryPolicy {
    /// Retries after the first try.
    pub attempts: u32,
    pub on: Vec<RetryOn>,
    pub backoff: Backoff,
    pub jitter: Jitter,
    pub respect_retry_after: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryOn {
    Status(u16),
    /// `5xx`: the hundreds digit.
    Class(u16),
    Timeout,
    ConnectionError,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    Constant {
        delay: Duration,
    },
    Linear {
        delay: Duration,
        step: Duration,
    },
    Exponential {
        delay: Duration,
        factor: f64,
        max: Duration,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    None,
    Full,
    Equal,
}

// ── Tests ─────────────────────────────────────────────────────────────

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Test {
    pub name: String,
    /// Index into `Plan::workloads`.
    pub workload: usize,
    pub profile: Profile,
    /// At least one (an implicit `baseline` with no rules when none is listed).
    pub scenarios: Vec<Scenario>,
    pub inject: Inject,
    /// `None`: 0 unless `--seed` is given.
    pub seed: Option<u64>,
    /// Indexes into `Plan::services`.
    pub services: Vec<usize>,
    pub chaos: Option<Chaos>,
    pub slos: Vec<Slo>,
    pub aborts: Vec<Abort>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Profile {
    pub stages: Vec<Stage>,
    /// Names of the profile's named stages (phases), in order.
    pub phases: Vec<String>,
}

/// One load stage, flattened (`repeat` unrolled). Closed stages run VUs; open stages start
/// iterations on a schedule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    pub kind: StageKind,
    /// Index into `Profile::phases` when the stage is named.
    pub phase: Option<usize>,
    /// A cap on the start rate of iterations (token bucket), per second.
    pub limit: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// `users N, iterations M`: N VUs each run M iterations.
    Iterations {
        users: u32,
        iterations: u64,
    },
    /// Hold a number of VUs (or ramp linearly from the previous count) for a duration.
    Users {
        from: u32,
        to: u32,
        duration: Duration,
    },
    /// Open model: iterations start at a rate (ramping linearly), at most `max_users` at once.
    Rate {
        from: f64,
        to: f64,
        duration: Duration,
        max_users: u32,
    },
    Pause {
        duration: Duration,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// `mixed`, or `a+b` for an inline composition.
    pub name: String,
    /// The composed parts (`[a, b]` for `a + b`), or `[name]`.
    pub parts: Vec<String>,
    pub rules: Vec<FaultRule>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultRule {
    /// The rule as written (`error_rate(30%, 429)`), for reports.
    pub label: String,
    pub when: RuleWhen,
    /// Injected delay before the outcome (a range picks uniformly).
    pub delay: Option<(Duration, Duration)>,
    pub fault: Option<Fault>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleWhen {
    /// Fires with a probability (a fraction).
    Probability(f64),
    /// Fires for calls `start .. start + length`.
    Burst {
        start: u64,
        length: u64,
    },
    Calls(Vec<u64>),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    Timeout,
    ConnectionError,
    Reset,
    Hang,
    Truncate,
    Bandwidth {
        bytes_per_sec: u64,
    },
    /// `close_after(1KiB)`: that many bytes reach the client, then the connection is closed.
    CloseAfter {
        bytes: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Inject {
    Client,
    /// `inject at proxy a, b`: the scenario rules apply at each of these proxies.
    Proxy(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chaos {
    pub from: Duration,
    pub to: Duration,
    pub scenarios: Vec<Scenario>,
    pub start: Vec<Action>,
    pub stop: Vec<Action>,
    /// `faults X at proxy NAME`: the window's faults apply at that proxy only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_proxy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Exec(String),
    Http {
        method: String,
        url: String,
        json: Option<Expr>,
    },
    /// `pause cache`, `start restart cache`, …: an action on a service of the test.
    Service {
        op: crate::ast::ServiceOp,
        service: String,
    },
}

// ── SLOs ──────────────────────────────────────────────────────────────

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Slo {
    /// The assertion as written, for reports.
    pub text: String,
    pub origin: Span,
    pub line: usize,
    /// `scenario X:`: only that scenario; otherwise every scenario of the test.
    pub scenario: Option<String>,
    pub lhs: SloExpr,
    pub op: CmpOp,
    pub rhs: SloExpr,
    pub every: Option<Duration>,
}

/// `abort if COND over D`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Abort {
    pub text: String,
    pub origin: Span,
    pub line: usize,
    pub lhs: SloExpr,
    pub op: CmpOp,
    pub rhs: SloExpr,
    pub over: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CmpOp {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl CmpOp {
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        const EPS: f64 = 1e-9;
        match self {
            CmpOp::Lt => lhs < rhs,
            CmpOp::Le => lhs <= rhs + EPS,
            CmpOp::Gt => lhs > rhs,
            CmpOp::Ge => lhs + EPS >= rhs,
            CmpOp::Eq => (lhs - rhs).abs() <= EPS * rhs.abs().max(1.0),
            CmpOp::Ne => (lhs - rhs).abs() > EPS * rhs.abs().max(1.0),
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

/// One side of an SLO. Numbers are in base units: durations in microseconds, percentages
/// in percent (0–100), rates per second, money in dollars, sizes in bytes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SloExpr {
    Const { value: f64, unit: Unit },
    Metric { metric: Metric, filter: Filter },
    Mul(Box<SloExpr>, Box<SloExpr>),
    Div(Box<SloExpr>, Box<SloExpr>),
    Add(Box<SloExpr>, Box<SloExpr>),
    Sub(Box<SloExpr>, Box<SloExpr>),
}

/// Which samples a metric reads.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Filter {
    /// `step NAME:`
    pub step: Option<String>,
    pub phase: Option<PhaseRef>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseRef {
    pub when: crate::ast::PhaseKind,
    /// A named stage, or `chaos`.
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Number,
    Duration,
    Percent,
    Rate,
    Money,
    Size,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// `p95(latency)`, `max(cost)`, `mean(tokens)`
    Stat {
        stat: Stat,
        of: Quantity,
    },
    ErrorRate,
    SuccessRate,
    /// Request attempts for which the predicate holds.
    Count(Expr),
    /// Share of request attempts for which the predicate (or boolean capture) holds.
    Rate(Expr),
    Outcome(Outcome),
    Throughput,
    Dropped,
    BudgetExceeded,
    BudgetExceededDuringRetry,
    RetriesBy(RetryOn),
    MemoryGrowth {
        service: String,
        relative: bool,
    },
    MaxRss {
        service: String,
    },
    Cpu {
        service: String,
    },
    /// `rss(x)`, `max_cpu(x)`, `fds(x)`, `threads(x)`, `restarts(x)`
    Service {
        service: String,
        stat: ServiceStat,
    },
    /// `metric(gw, "queue_lag_seconds")`, `delta(gw, "trips_total")`, `rate(gw, "requests_total")`:
    /// a series of a service's or target's `scrape` (see `crate::metrics::scraped`).
    Scraped {
        /// The service or target.
        owner: String,
        /// The series selector as written: `name` or `name{label="value",…}`.
        series: String,
        form: ScrapeForm,
    },
    /// `proxy NAME: …`: what a proxy measured.
    Proxy {
        proxy: String,
        measure: ProxyMeasure,
    },
}

/// A proxy's measurement (`proxy NAME:` in an SLO), over one scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyMeasure {
    /// Requests that reached the proxy.
    Requests,
    /// Connections the proxy accepted.
    Connections,
    /// Requests sent upstream.
    Forwarded,
    /// Forwarded requests the upstream failed before its response head.
    UpstreamErrors,
    /// Request body bytes forwarded (declared lengths).
    BytesUp,
    /// Response body bytes sent to clients.
    BytesDown,
    /// `p95(upstream_latency)`: µs from sending upstream to the response head.
    UpstreamLatency(Stat),
    /// Requests for which a condition over the proxy's record holds.
    Count(Expr),
    /// Share of requests for which it holds.
    Rate(Expr),
}

/// What an SLO reads of a scraped series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScrapeForm {
    /// `metric(…)`: the value at the last scrape selected
    Last,
    /// `delta(…)`: the increase over the selection
    Delta,
    /// `rate(…, "…")`: the increase per second
    Rate,
}

/// A sampled quantity of a service's process tree (see `crate::service`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStat {
    /// RSS at the last sample, bytes
    Rss,
    /// Highest CPU between two samples, % of one core
    MaxCpu,
    /// Open file descriptors at the last sample (the highest, under `max`… not: the last)
    Fds,
    /// Threads at the last sample
    Threads,
    /// Restarts by chaos actions
    Restarts,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    Percentile(f64),
    Max,
    Min,
    Mean,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    Latency,
    Duration,
    Retries,
    Cost,
    /// Index into `Workload::captures`.
    Capture(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failed,
    BudgetExceeded,
    Timeout,
}

// ── Expressions ───────────────────────────────────────────────────────

/// A resolved expression, evaluated by the engine against a VU's state and the current
/// response (or a request record in `count`/`rate`). Built once at lowering; never re-parsed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
///
/// Quantities are plain numbers in base units: durations in microseconds, percentages as
/// fractions (30% → 0.3), money in dollars, sizes in bytes, rates per second.
pub enum Expr {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    /// An interpolated string.
    Template(Vec<Expr>),
    List(Vec<Expr>),
    Object(Vec<(String, Expr)>),
    /// `user`, `iteration`, `scenario`, `test`, a `repeat … as` counter.
    Builtin(Builtin),
    /// A `set` variable or a `repeat … as` counter of the VU.
    Var(String),
    /// A data set (a list of values).
    Data(String),
    /// The current response (in a request block, `until`, or the request record).
    Response(ResponseField),
    /// `NAME.json…` of an earlier step's last response.
    StepResponse {
        step: String,
        field: ResponseField,
    },
    /// A fault kind keyword in a request record (`fault == timeout`).
    FaultKind(String),
    Field(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Call {
        func: Func,
        args: Vec<Expr>,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary {
        op: crate::ast::BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    User,
    Iteration,
    Scenario,
    Test,
    /// The name of the stage the iteration started in (`as NAME`), `""` when unnamed.
    Stage,
    /// Request record fields, in `count(…)` and `rate(…)` and fault `when` rules.
    Call,
    Attempt,
    Injected,
    Fault,
    Step,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseField {
    Status,
    Json,
    Body,
    Latency,
    Header(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    Env,
    Pick,
    Next,
    Uniform,
    Words,
    Uuid,
    Len,
    Contains,
    StartsWith,
    EndsWith,
    Number,
}

impl Func {
    /// The vocabulary entry this run-time function implements (its name, its signature).
    pub fn builtin(self) -> crate::vocab::Builtin {
        use crate::vocab::Builtin;
        match self {
            Func::Env => Builtin::Env,
            Func::Pick => Builtin::Pick,
            Func::Next => Builtin::Next,
            Func::Uniform => Builtin::Uniform,
            Func::Words => Builtin::Words,
            Func::Uuid => Builtin::Uuid,
            Func::Len => Builtin::Len,
            Func::Contains => Builtin::Contains,
            Func::StartsWith => Builtin::StartsWith,
            Func::EndsWith => Builtin::EndsWith,
            Func::Number => Builtin::Number,
        }
    }
}
