//! The syntax tree of a `.stress` file: shaped like the grammar, a `Span` on every node, no
//! semantics. Literal values are already typed (units read by `syntax::literal`); names are not
//! resolved (that is `checker::check`'s job).

use crate::source::Span;
use crate::units::{Bytes, Duration, Money, Percent, Rate};

#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Let(Let),
    Data(Data),
    Target(Target),
    Service(Service),
    Proxy(Proxy),
    Workload(Workload),
    Scenario(Scenario),
    Profile(Profile),
    Test(Test),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Let(x) => x.span,
            Item::Data(x) => x.span,
            Item::Target(x) => x.span,
            Item::Service(x) => x.span,
            Item::Proxy(x) => x.span,
            Item::Workload(x) => x.span,
            Item::Scenario(x) => x.span,
            Item::Profile(x) => x.span,
            Item::Test(x) => x.span,
        }
    }
}

/// `let NAME = EXPR`
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    pub name: Name,
    pub value: Expr,
    pub span: Span,
}

/// `data NAME = lines("f.txt")`
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    pub name: Name,
    pub source: Expr,
    pub span: Span,
}

/// `target NAME = "url"` or `target NAME mock { … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub name: Name,
    pub kind: TargetKind,
    /// `target api = "…" { scrape "/metrics" }`: the statements of the block after a URL.
    pub scrapes: Vec<Scrape>,
    pub span: Span,
}

/// `scrape "http://127.0.0.1:9100/metrics" every 5s`: read a Prometheus text exposition.
#[derive(Clone, Debug, PartialEq)]
pub struct Scrape {
    pub url: Expr,
    pub every: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TargetKind {
    Url(Expr),
    Mock(Vec<Setting>),
}

/// One `key value` line of a mock or proxy block.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: Name,
    pub value: Expr,
    pub span: Span,
}

/// `service NAME { exec "…"  env { … }  ready http "…" within 60s }`
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub name: Name,
    pub stmts: Vec<ServiceStmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceStmt {
    pub kind: ServiceStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ServiceStmtKind {
    Exec(Expr),
    Env(Expr),
    /// `cwd "dir"`
    Cwd(Expr),
    Ready {
        probe: ProbeKind,
        address: Expr,
        within: Expr,
    },
    /// `stop signal SIGTERM grace 5s` (either part optional)
    Stop {
        signal: Option<Name>,
        grace: Option<Expr>,
    },
    /// `sample every 1s`
    Sample(Expr),
    /// `scrape "URL" every 5s`
    Scrape(Scrape),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Http,
    Tcp,
    /// `ready log "REGEX"`: a line of the service's output matches
    Log,
}

/// What a chaos action does to a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceOp {
    /// SIGSTOP to the process group
    Pause,
    /// SIGCONT to the process group
    Resume,
    /// stop, then start again and await readiness
    Restart,
    /// stop (signal, grace, SIGKILL)
    Down,
    /// start again and await readiness
    Up,
}

/// `proxy NAME { listen "…"  upstream "…" }`, `proxy NAME tcp { … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Proxy {
    pub name: Name,
    /// `tcp`: a TCP proxy (per-connection faults), where it is written.
    pub tcp: Option<Span>,
    pub settings: Vec<Setting>,
    pub span: Span,
}

/// `workload NAME { steps }`
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub name: Name,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    Request(Request),
    Poll(Poll),
    Think(Expr),
    Repeat {
        count: Expr,
        var: Option<Name>,
        steps: Vec<Step>,
    },
    Set {
        name: Name,
        value: Expr,
    },
    Probability {
        probability: Expr,
        steps: Vec<Step>,
    },
    Choose(Vec<ChooseArm>),
    Retry(Retry),
    Budget(Vec<BudgetItem>),
}

/// `request NAME: METHOD TARGET "path" { … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub name: Name,
    pub method: Name,
    pub target: Name,
    pub path: Expr,
    pub stmts: Vec<RequestStmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RequestStmt {
    pub kind: RequestStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RequestStmtKind {
    Header {
        name: Expr,
        value: Expr,
    },
    Query(Expr),
    Json(Expr),
    Body(Expr),
    Form(Expr),
    Timeout(Expr),
    Check(Expr),
    Capture {
        name: Name,
        value: Expr,
    },
    Retry(Retry),
    /// `on failure continue`
    OnFailure(Name),
}

/// `poll NAME: METHOD TARGET "path" every D until EXPR within D`
#[derive(Clone, Debug, PartialEq)]
pub struct Poll {
    pub request: Request,
    pub clauses: Vec<PollClause>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PollClause {
    pub kind: PollClauseKind,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollClauseKind {
    Every,
    Until,
    Within,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChooseArm {
    pub weight: Expr,
    pub steps: Vec<Step>,
    pub span: Span,
}

/// `retry { … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    pub stmts: Vec<RetryStmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RetryStmt {
    pub kind: RetryStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RetryStmtKind {
    Attempts(Expr),
    On(Vec<Expr>),
    Backoff {
        backoff: Expr,
        jitter: Option<Name>,
    },
    Jitter(Name),
    /// `respect retry_after` (true) or `ignore retry_after` (false)
    RespectRetryAfter(bool),
}

/// `time 30s` or `cost $0.05` in a `budget { }`
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetItem {
    pub kind: BudgetKind,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetKind {
    Time,
    Cost,
}

/// `scenario NAME { rules }` or `scenario NAME = a + b`
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: Name,
    pub body: ScenarioBody,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioBody {
    Rules(Vec<Rule>),
    Compose(ScenarioExpr),
}

/// `a + b + c`
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioExpr {
    pub parts: Vec<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub kind: RuleKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RuleKind {
    /// `error_rate(30%, 429)`
    Call { name: Name, args: Vec<RuleArg> },
    /// `when call % 10 == 0 => timeout`
    When { condition: Expr, fault: FaultExpr },
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleArg {
    pub name: Option<Name>,
    pub value: FaultExpr,
    pub span: Span,
}

/// An expression in a position where a fault may stand: `429 retry_after 2s`, `timeout`.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultExpr {
    pub value: Expr,
    pub retry_after: Option<Expr>,
    pub span: Span,
}

/// `profile NAME { stages }`
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub name: Name,
    pub stages: Vec<Stage>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub kind: StageKind,
    pub mods: Vec<StageMod>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StageKind {
    Users(Expr),
    Iterations(Expr),
    Hold { users: Expr, duration: Expr },
    RampUsers { to: Expr, over: Expr },
    RampRate { to: Expr, over: Expr },
    Rate { rate: Expr, duration: Expr },
    Pause(Expr),
    Repeat { count: Expr, stages: Vec<Stage> },
    MaxUsers(Expr),
    Limit(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageMod {
    pub kind: StageModKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StageModKind {
    Limit(Expr),
    MaxUsers(Expr),
    As(Name),
}

/// `test "NAME" { … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub name: Expr,
    pub stmts: Vec<TestStmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TestStmt {
    pub kind: TestStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TestStmtKind {
    Workload(Name),
    Profile(ProfileRef),
    Scenarios(Vec<ScenarioExpr>),
    Inject(InjectAt),
    Seed(Expr),
    Services(Vec<Name>),
    Chaos(Chaos),
    Slo(Vec<SloStmt>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProfileRef {
    Named(Name),
    Inline(Vec<Stage>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum InjectAt {
    Client,
    /// `inject at proxy a, b`: the test's scenarios apply at each (one or more).
    Proxy(Vec<Name>),
}

/// `chaos from 2m to 5m { … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Chaos {
    pub from: Expr,
    pub to: Expr,
    pub stmts: Vec<ChaosStmt>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChaosStmt {
    pub kind: ChaosStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ChaosStmtKind {
    /// `faults a, b` or `faults a, b at proxy NAME`
    Faults(Vec<ScenarioExpr>, Option<Name>),
    Start(Action),
    Stop(Action),
    /// `pause cache`, `down cache` (for the window), `restart cache` (at its start)
    Hold {
        op: ServiceOp,
        service: Name,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Exec(Expr),
    Http {
        method: Name,
        url: Expr,
        json: Option<Expr>,
    },
    /// `start pause cache`
    Service {
        op: ServiceOp,
        service: Name,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct SloStmt {
    pub kind: SloStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SloStmtKind {
    /// `scenario x: step y: EXPR in every D`
    Assert {
        prefixes: Vec<SloPrefix>,
        expr: Expr,
        every: Option<Expr>,
    },
    /// `abort if EXPR over D`
    Abort { condition: Expr, over: Option<Expr> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct SloPrefix {
    pub kind: SloPrefixKind,
    pub name: Name,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SloPrefixKind {
    Scenario,
    Step,
    /// `proxy NAME:`: the assertion reads what that proxy measured.
    Proxy,
}

// ── Expressions ──────────────────────────────────────────────────────

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A plain number; `integer` when written without a fraction.
    Number {
        value: f64,
        integer: bool,
    },
    Duration(Duration),
    Percent(Percent),
    Rate(Rate),
    Size(Bytes),
    /// `64KiB/s`
    Bandwidth(Bytes),
    Money(Money),
    /// `5xx`: a class of HTTP statuses (the digit).
    StatusClass(u16),
    /// A double-quoted string with its interpolations.
    Str(Vec<StrPart>),
    /// A single-quoted string: no escapes, no interpolation.
    RawStr(String),
    List(Vec<Expr>),
    Object(Vec<Entry>),
    Name(Name),
    Field {
        base: Box<Expr>,
        field: Name,
    },
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `p95(latency) during overload`
    Phase {
        base: Box<Expr>,
        phase: PhaseKind,
        name: Name,
    },
    Paren(Box<Expr>),
    /// `step b: p50(latency)`: one operand of an SLO read from one step (SLOs only).
    StepOf {
        step: Name,
        base: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Text(String),
    Interp(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Name,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Name>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Range,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Range => "..",
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    Before,
    During,
    After,
}

impl ExprKind {
    /// A literal number with its unit, if any (`5`, `30s`, `25%`, `10/s`, `64KiB`,
    /// `64KiB/s`, `$0.02`, `5xx`).
    pub fn is_quantity(&self) -> bool {
        matches!(
            self,
            ExprKind::Number { .. }
                | ExprKind::Duration(_)
                | ExprKind::Percent(_)
                | ExprKind::Rate(_)
                | ExprKind::Size(_)
                | ExprKind::Bandwidth(_)
                | ExprKind::Money(_)
                | ExprKind::StatusClass(_)
        )
    }
}

impl Expr {
    /// The name this expression is, when it is a bare name.
    pub fn as_name(&self) -> Option<&Name> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            ExprKind::Paren(inner) => inner.as_name(),
            _ => None,
        }
    }

    /// The literal text of a string without interpolation.
    pub fn as_plain_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::RawStr(s) => Some(s.clone()),
            ExprKind::Str(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        StrPart::Text(t) => out.push_str(t),
                        StrPart::Interp(_) => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }
}
