//! `lower`: a checked AST → the executable `plan::Plan`. Infallible: `check` proved what this
//! needs, so a broken invariant here is a bug in stress and panics with a message.
//! Defaults applied here (documented in docs/language.md): request timeout 30s; retry
//! `attempts 3, on 429, 5xx, timeout, connection_error, backoff exponential(100ms, factor: 2,
//! max: 10s), jitter full, respect retry_after`; mock `api openai, latency 0s, tokens 20..200`;
//! open stages `max users 1000`; a test with no `scenarios` runs one named `baseline`.

use std::collections::HashMap;
use std::path::Path;

use super::Checked;
use super::domains;
use crate::ast::{self, BinaryOp, ExprKind, Item, StrPart};
use crate::plan::{self, Expr};
use crate::units::{Duration, Money};

/// Lowers a checked file to its plan.
pub fn lower(checked: &Checked<'_>) -> plan::Plan {
    let mut lowerer = Lowerer::new(checked);
    lowerer.plan()
}

pub(crate) const DEFAULT_TIMEOUT: Duration = Duration(30_000_000);
pub(crate) const DEFAULT_MAX_USERS: u32 = 1000;

struct Lowerer<'a> {
    file: &'a crate::source::SourceFile,
    ast: &'a ast::File,
    base_dir: Option<&'a Path>,
    items: HashMap<&'a str, &'a Item>,
}

/// Names a workload expression can see, beyond the file's declarations.
#[derive(Clone, Default)]
struct Names {
    vars: Vec<String>,
    steps: Vec<String>,
    record: bool,
}

impl<'a> Lowerer<'a> {
    fn new(checked: &Checked<'a>) -> Self {
        let mut items = HashMap::new();
        for item in &checked.ast.items {
            let name = match item {
                Item::Let(x) => &x.name.text,
                Item::Data(x) => &x.name.text,
                Item::Target(x) => &x.name.text,
                Item::Service(x) => &x.name.text,
                Item::Proxy(x) => &x.name.text,
                Item::Workload(x) => &x.name.text,
                Item::Scenario(x) => &x.name.text,
                Item::Profile(x) => &x.name.text,
                Item::Test(_) => continue,
            };
            items.insert(name.as_str(), item);
        }
        Lowerer {
            file: checked.file,
            ast: checked.ast,
            base_dir: checked.base_dir,
            items,
        }
    }

    fn plan(&mut self) -> plan::Plan {
        let mut plan = plan::Plan {
            schema_version: plan::SCHEMA_VERSION,
            file: self.file.name.clone(),
            targets: vec![],
            data: vec![],
            services: vec![],
            workloads: vec![],
            tests: vec![],
            proxies: vec![],
        };
        for item in &self.ast.items {
            match item {
                Item::Target(t) => plan.targets.push(self.target(t)),
                Item::Data(d) => plan.data.push(self.data(d)),
                Item::Service(s) => plan.services.push(self.service(s)),
                Item::Workload(w) => plan.workloads.push(self.workload(w)),
                Item::Proxy(p) => plan.proxies.push(self.proxy(p)),
                _ => {}
            }
        }
        for item in &self.ast.items {
            if let Item::Test(t) = item {
                let test = self.test(t, &plan);
                plan.tests.push(test);
            }
        }
        plan
    }

    // ── Constants ─────────────────────────────────────────────────────

    /// A constant's value in base units (µs, percent 0–100, per second, dollars, bytes).
    fn num(&self, e: &ast::Expr) -> f64 {
        match &e.kind {
            ExprKind::Number { value, .. } => *value,
            ExprKind::Duration(d) => d.as_micros() as f64,
            ExprKind::Percent(p) => p.0,
            ExprKind::Rate(r) => r.per_sec(),
            ExprKind::Size(b) | ExprKind::Bandwidth(b) => b.0 as f64,
            ExprKind::Money(m) => m.0,
            ExprKind::StatusClass(c) => f64::from(*c),
            ExprKind::Paren(inner) => self.num(inner),
            ExprKind::Unary {
                op: ast::UnaryOp::Neg,
                operand,
            } => -self.num(operand),
            ExprKind::Name(n) => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.num(&l.value),
                _ => panic!(
                    "bug in stress: `{}` is not a numeric constant after check",
                    n.text
                ),
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.num(lhs), self.num(rhs));
                let percent = |x: &ast::Expr| matches!(x.kind, ExprKind::Percent(_));
                match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    BinaryOp::Mul if percent(lhs) => a / 100.0 * b,
                    BinaryOp::Mul if percent(rhs) => a * b / 100.0,
                    BinaryOp::Mul => a * b,
                    BinaryOp::Div if b != 0.0 => a / b,
                    BinaryOp::Mod if b != 0.0 => a % b,
                    _ => 0.0,
                }
            }
            _ => panic!(
                "bug in stress: not a numeric constant after check: {:?}",
                self.file.slice(e.span)
            ),
        }
    }

    fn duration(&self, e: &ast::Expr) -> Duration {
        Duration(domains::exact_u64(self.num(e), u64::MAX, "a duration"))
    }

    fn count(&self, e: &ast::Expr) -> u64 {
        domains::exact_u64(self.num(e), u64::MAX, "a count")
    }

    /// A count that the plan keeps as `u32` (users, capacity, attempts).
    fn count32(&self, e: &ast::Expr) -> u32 {
        domains::exact_u64(self.num(e), u64::from(u32::MAX), "a count") as u32
    }

    /// A constant string (literal, `let`, `env("X", "default")`).
    fn string(&self, e: &ast::Expr) -> String {
        match &e.kind {
            ExprKind::Name(n) => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.string(&l.value),
                _ => n.text.clone(),
            },
            ExprKind::Call { callee, args }
                if callee.as_name().is_some_and(|n| n.text == "env") =>
            {
                let name = args
                    .first()
                    .map(|a| self.string(&a.value))
                    .unwrap_or_default();
                std::env::var(&name).unwrap_or_else(|_| {
                    args.get(1)
                        .map(|a| self.string(&a.value))
                        .unwrap_or_default()
                })
            }
            ExprKind::Str(parts) => parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => t.clone(),
                    StrPart::Interp(inner) => self.string(inner),
                })
                .collect(),
            ExprKind::RawStr(s) => s.clone(),
            ExprKind::Paren(inner) => self.string(inner),
            _ => self.file.slice(e.span).to_string(),
        }
    }

    /// `a..b` or one value, as a pair.
    fn range(&self, e: &ast::Expr) -> (f64, f64) {
        match &e.kind {
            ExprKind::Binary {
                op: BinaryOp::Range,
                lhs,
                rhs,
            } => (self.num(lhs), self.num(rhs)),
            ExprKind::Paren(inner) => self.range(inner),
            ExprKind::Name(n) => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.range(&l.value),
                _ => (0.0, 0.0),
            },
            _ => {
                let v = self.num(e);
                (v, v)
            }
        }
    }

    fn duration_range(&self, e: &ast::Expr) -> (Duration, Duration) {
        let (a, b) = self.range(e);
        (
            Duration(domains::exact_u64(a, u64::MAX, "a duration")),
            Duration(domains::exact_u64(b, u64::MAX, "a duration")),
        )
    }

    // ── Declarations ──────────────────────────────────────────────────

    fn target(&self, t: &ast::Target) -> plan::Target {
        let kind = match &t.kind {
            ast::TargetKind::Url(url) => {
                plan::TargetKind::Url(self.string(url).trim_end_matches('/').to_string())
            }
            ast::TargetKind::Mock(settings) => {
                let mut spec = plan::MockSpec {
                    api: "openai".into(),
                    latency: (Duration::ZERO, Duration::ZERO),
                    tokens: (20, 200),
                    capacity: None,
                    cache: false,
                };
                for s in settings {
                    match s.key.text.as_str() {
                        "api" => spec.api = self.string(&s.value),
                        "latency" => spec.latency = self.duration_range(&s.value),
                        "tokens" => {
                            let (a, b) = self.range(&s.value);
                            spec.tokens = (
                                domains::exact_u64(a, u64::MAX, "tokens"),
                                domains::exact_u64(b, u64::MAX, "tokens"),
                            );
                        }
                        "capacity" => spec.capacity = Some(self.count32(&s.value)),
                        "cache" => spec.cache = self.string(&s.value) == "on",
                        other => panic!("bug in stress: mock setting `{other}` passed check"),
                    }
                }
                plan::TargetKind::Mock(spec)
            }
        };
        plan::Target {
            name: t.name.text.clone(),
            kind,
        }
    }

    fn data(&self, d: &ast::Data) -> plan::DataSet {
        let ExprKind::Call { callee, args } = &d.source.kind else {
            panic!("bug in stress: data source is not a call after check")
        };
        let format = callee.as_name().map(|n| n.text.clone()).unwrap_or_default();
        let path = args
            .first()
            .and_then(|a| a.value.as_plain_str())
            .unwrap_or_default();
        let full = match self.base_dir {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(&path).display().to_string(),
            _ => path,
        };
        plan::DataSet {
            name: d.name.text.clone(),
            format,
            path: full,
        }
    }

    fn proxy(&self, p: &ast::Proxy) -> plan::Proxy {
        let mut proxy = plan::Proxy {
            name: p.name.text.clone(),
            listen: String::new(),
            upstream: String::new(),
        };
        for s in &p.settings {
            match s.key.text.as_str() {
                "listen" => proxy.listen = self.string(&s.value),
                "upstream" => proxy.upstream = self.string(&s.value),
                _ => {}
            }
        }
        proxy
    }

    fn service(&self, s: &ast::Service) -> plan::Service {
        let mut service = plan::Service {
            name: s.name.text.clone(),
            exec: String::new(),
            env: vec![],
            cwd: None,
            ready: None,
            stop_signal: "SIGTERM".into(),
            grace: Duration(5_000_000),
            sample_every: Duration(1_000_000),
        };
        for stmt in &s.stmts {
            match &stmt.kind {
                ast::ServiceStmtKind::Exec(e) => service.exec = self.string(e),
                ast::ServiceStmtKind::Env(e) => {
                    if let ExprKind::Object(entries) = &e.kind {
                        service.env = entries
                            .iter()
                            .map(|en| (en.key.text.clone(), self.string(&en.value)))
                            .collect();
                    }
                }
                ast::ServiceStmtKind::Ready {
                    probe,
                    address,
                    within,
                } => {
                    service.ready = Some(plan::Ready {
                        probe: match probe {
                            ast::ProbeKind::Http => "http".into(),
                            ast::ProbeKind::Tcp => "tcp".into(),
                            ast::ProbeKind::Log => "log".into(),
                        },
                        address: self.string(address),
                        within: self.duration(within),
                    });
                }
                ast::ServiceStmtKind::Cwd(e) => {
                    let dir = self.string(e);
                    service.cwd = Some(match self.base_dir {
                        Some(base) if !base.as_os_str().is_empty() => {
                            base.join(&dir).display().to_string()
                        }
                        _ => dir,
                    });
                }
                ast::ServiceStmtKind::Stop { signal, grace } => {
                    if let Some(sig) = signal {
                        service.stop_signal = crate::signals::canonical_signal(&sig.text);
                    }
                    if let Some(g) = grace {
                        service.grace = self.duration(g);
                    }
                }
                ast::ServiceStmtKind::Sample(e) => service.sample_every = self.duration(e),
            }
        }
        service
    }

    // ── Workloads ─────────────────────────────────────────────────────

    fn workload(&self, w: &ast::Workload) -> plan::Workload {
        let mut vars = std::collections::HashSet::new();
        let mut steps = std::collections::HashSet::new();
        super::check::collect_names(&w.steps, &mut vars, &mut steps);
        let mut names = Names {
            vars: vars.into_iter().collect(),
            steps: steps.into_iter().collect(),
            record: false,
        };
        names.vars.sort();
        names.steps.sort();
        let mut out = plan::Workload {
            name: w.name.text.clone(),
            steps: vec![],
            retry: None,
            budget: plan::Budget::default(),
            step_names: vec![],
            captures: vec![],
            money_captures: vec![],
        };
        let steps = self.steps(&w.steps, &names, &mut out);
        out.steps = steps;
        out
    }

    fn steps(&self, steps: &[ast::Step], names: &Names, w: &mut plan::Workload) -> Vec<plan::Step> {
        let mut out = Vec::new();
        for step in steps {
            let lowered = match &step.kind {
                ast::StepKind::Request(r) => plan::Step::Request(self.request(r, names, w)),
                ast::StepKind::Poll(p) => {
                    let request = self.request(&p.request, names, w);
                    let mut every = Duration::from_millis(1000);
                    let mut within = Duration::from_millis(30_000);
                    let mut until = Expr::Bool(true);
                    for clause in &p.clauses {
                        match clause.kind {
                            ast::PollClauseKind::Every => every = self.duration(&clause.value),
                            ast::PollClauseKind::Within => within = self.duration(&clause.value),
                            ast::PollClauseKind::Until => until = self.expr(&clause.value, names),
                        }
                    }
                    plan::Step::Poll(plan::Poll {
                        request,
                        every,
                        until,
                        within,
                    })
                }
                ast::StepKind::Think(d) => {
                    let (min, max) = self.duration_range(d);
                    plan::Step::Think { min, max }
                }
                ast::StepKind::Repeat { count, var, steps } => {
                    let mut inner = names.clone();
                    if let Some(v) = var {
                        inner.vars.push(v.text.clone());
                    }
                    plan::Step::Repeat {
                        count: self.expr(count, names),
                        var: var.as_ref().map(|v| v.text.clone()),
                        steps: self.steps(steps, &inner, w),
                    }
                }
                ast::StepKind::Set { name, value } => plan::Step::Set {
                    var: name.text.clone(),
                    value: self.expr(value, names),
                },
                ast::StepKind::Probability { probability, steps } => plan::Step::Probability {
                    probability: self.num(probability) / 100.0,
                    steps: self.steps(steps, names, w),
                },
                ast::StepKind::Choose(arms) => plan::Step::Choose {
                    arms: arms
                        .iter()
                        .map(|a| (self.num(&a.weight) / 100.0, self.steps(&a.steps, names, w)))
                        .collect(),
                },
                ast::StepKind::Retry(r) => {
                    w.retry = Some(self.retry(r));
                    continue;
                }
                ast::StepKind::Budget(items) => {
                    for item in items {
                        match item.kind {
                            ast::BudgetKind::Time => {
                                w.budget.time = Some(self.duration(&item.value))
                            }
                            ast::BudgetKind::Cost => {
                                w.budget.cost = Some(Money(self.num(&item.value)))
                            }
                        }
                    }
                    continue;
                }
            };
            out.push(lowered);
        }
        out
    }

    fn request(&self, r: &ast::Request, names: &Names, w: &mut plan::Workload) -> plan::Request {
        let step = index_of(&mut w.step_names, &r.name.text);
        let mut out = plan::Request {
            name: r.name.text.clone(),
            step,
            method: r.method.text.to_ascii_uppercase(),
            target: r.target.text.clone(),
            path: self.expr(&r.path, names),
            headers: vec![],
            query: None,
            body: plan::Body::None,
            timeout: DEFAULT_TIMEOUT,
            checks: vec![],
            captures: vec![],
            retry: None,
            on_failure: plan::OnFailure::Stop,
        };
        for stmt in &r.stmts {
            match &stmt.kind {
                ast::RequestStmtKind::Header { name, value } => out
                    .headers
                    .push((self.expr(name, names), self.expr(value, names))),
                ast::RequestStmtKind::Query(q) => out.query = Some(self.expr(q, names)),
                ast::RequestStmtKind::Json(e) => out.body = plan::Body::Json(self.expr(e, names)),
                ast::RequestStmtKind::Body(e) => out.body = plan::Body::Text(self.expr(e, names)),
                ast::RequestStmtKind::Form(e) => out.body = plan::Body::Form(self.expr(e, names)),
                ast::RequestStmtKind::Timeout(t) => out.timeout = self.duration(t),
                ast::RequestStmtKind::Check(c) => out.checks.push(self.expr(c, names)),
                ast::RequestStmtKind::Capture { name, value } => {
                    let index = index_of(&mut w.captures, &name.text);
                    if w.money_captures.len() < w.captures.len() {
                        w.money_captures.push(self.unit(value) == plan::Unit::Money);
                    }
                    out.captures.push((index, self.expr(value, names)));
                }
                ast::RequestStmtKind::Retry(retry) => out.retry = Some(self.retry(retry)),
                ast::RequestStmtKind::OnFailure(what) => {
                    out.on_failure = if what.text == "continue" {
                        plan::OnFailure::Continue
                    } else {
                        plan::OnFailure::Stop
                    };
                }
            }
        }
        out
    }

    fn retry(&self, r: &ast::Retry) -> plan::RetryPolicy {
        let mut policy = plan::RetryPolicy {
            attempts: 3,
            on: vec![
                plan::RetryOn::Status(429),
                plan::RetryOn::Class(5),
                plan::RetryOn::Timeout,
                plan::RetryOn::ConnectionError,
            ],
            backoff: plan::Backoff::Exponential {
                delay: Duration::from_millis(100),
                factor: 2.0,
                max: Duration::from_millis(10_000),
            },
            jitter: plan::Jitter::Full,
            respect_retry_after: true,
        };
        for stmt in &r.stmts {
            match &stmt.kind {
                ast::RetryStmtKind::Attempts(n) => policy.attempts = self.count32(n),
                ast::RetryStmtKind::On(items) => {
                    policy.on = items.iter().map(|i| self.retry_on(i)).collect()
                }
                ast::RetryStmtKind::Backoff { backoff, jitter } => {
                    policy.backoff = self.backoff(backoff);
                    if let Some(j) = jitter {
                        policy.jitter = jitter_of(&j.text);
                    }
                }
                ast::RetryStmtKind::Jitter(j) => policy.jitter = jitter_of(&j.text),
                ast::RetryStmtKind::RespectRetryAfter(respect) => {
                    policy.respect_retry_after = *respect
                }
            }
        }
        policy
    }

    fn retry_on(&self, e: &ast::Expr) -> plan::RetryOn {
        match &e.kind {
            ExprKind::Number { value, .. } => plan::RetryOn::Status(*value as u16),
            ExprKind::StatusClass(c) => plan::RetryOn::Class(*c),
            ExprKind::Name(n) if n.text == "timeout" => plan::RetryOn::Timeout,
            _ => plan::RetryOn::ConnectionError,
        }
    }

    fn backoff(&self, e: &ast::Expr) -> plan::Backoff {
        let ExprKind::Call { callee, args } = &e.kind else {
            panic!("bug in stress: backoff is not a call after check")
        };
        let delay = args
            .iter()
            .find(|a| a.name.is_none())
            .map_or(Duration::from_millis(100), |a| self.duration(&a.value));
        let named = |key: &str| {
            args.iter()
                .find(|a| a.name.as_ref().is_some_and(|n| n.text == key))
                .map(|a| &a.value)
        };
        match callee.as_name().map(|n| n.text.as_str()) {
            Some("constant") => plan::Backoff::Constant { delay },
            Some("linear") => plan::Backoff::Linear {
                delay,
                step: named("step").map_or(delay, |v| self.duration(v)),
            },
            _ => plan::Backoff::Exponential {
                delay,
                factor: named("factor").map_or(2.0, |v| self.num(v)),
                max: named("max").map_or(Duration::from_millis(10_000), |v| self.duration(v)),
            },
        }
    }

    /// A workload or record expression.
    fn expr(&self, e: &ast::Expr, names: &Names) -> Expr {
        match &e.kind {
            ExprKind::Number { value, .. } => Expr::Number(*value),
            ExprKind::Duration(d) => Expr::Number(d.as_micros() as f64),
            ExprKind::Percent(p) => Expr::Number(p.fraction()),
            ExprKind::Rate(r) => Expr::Number(r.per_sec()),
            ExprKind::Size(b) | ExprKind::Bandwidth(b) => Expr::Number(b.0 as f64),
            ExprKind::Money(m) => Expr::Number(m.0),
            ExprKind::StatusClass(c) => Expr::FaultKind(format!("{c}xx")),
            ExprKind::RawStr(s) => Expr::Str(s.clone()),
            ExprKind::Str(parts) => {
                let lowered: Vec<Expr> = parts
                    .iter()
                    .map(|p| match p {
                        StrPart::Text(t) => Expr::Str(t.clone()),
                        StrPart::Interp(inner) => self.expr(inner, names),
                    })
                    .collect();
                match lowered.as_slice() {
                    [] => Expr::Str(String::new()),
                    [Expr::Str(s)] => Expr::Str(s.clone()),
                    _ => Expr::Template(lowered),
                }
            }
            ExprKind::List(items) => {
                Expr::List(items.iter().map(|i| self.expr(i, names)).collect())
            }
            ExprKind::Object(entries) => Expr::Object(
                entries
                    .iter()
                    .map(|en| (en.key.text.clone(), self.expr(&en.value, names)))
                    .collect(),
            ),
            ExprKind::Name(n) => self.name(&n.text, names),
            ExprKind::Field { base, field } => {
                if let Some(step) = base.as_name().filter(|s| names.steps.contains(&s.text)) {
                    if let Some(f) = response_field(&field.text) {
                        return Expr::StepResponse {
                            step: step.text.clone(),
                            field: f,
                        };
                    }
                    return Expr::Field(
                        Box::new(Expr::StepResponse {
                            step: step.text.clone(),
                            field: plan::ResponseField::Json,
                        }),
                        field.text.clone(),
                    );
                }
                Expr::Field(Box::new(self.expr(base, names)), field.text.clone())
            }
            ExprKind::Index { base, index } => Expr::Index(
                Box::new(self.expr(base, names)),
                Box::new(self.expr(index, names)),
            ),
            ExprKind::Call { callee, args } => {
                let func = callee
                    .as_name()
                    .map(|n| n.text.as_str())
                    .unwrap_or_default();
                let args: Vec<Expr> = args.iter().map(|a| self.expr(&a.value, names)).collect();
                let func = match func {
                    "header" => {
                        let name = args.into_iter().next().unwrap_or(Expr::Null);
                        return Expr::Response(plan::ResponseField::Header(Box::new(name)));
                    }
                    "env" => plan::Func::Env,
                    "pick" => plan::Func::Pick,
                    "next" => plan::Func::Next,
                    "uniform" => plan::Func::Uniform,
                    "words" => plan::Func::Words,
                    "uuid" => plan::Func::Uuid,
                    "len" => plan::Func::Len,
                    other => panic!("bug in stress: function `{other}` passed check"),
                };
                Expr::Call { func, args }
            }
            ExprKind::Unary { op, operand } => match op {
                ast::UnaryOp::Not => Expr::Not(Box::new(self.expr(operand, names))),
                ast::UnaryOp::Neg => Expr::Neg(Box::new(self.expr(operand, names))),
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let (l, r) = (self.expr(lhs, names), self.expr(rhs, names));
                // `30% * x` means 0.3 × x: percentages are already fractions here.
                Expr::Binary {
                    op: *op,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                }
            }
            ExprKind::Phase { base, .. } => self.expr(base, names),
            ExprKind::Paren(inner) => self.expr(inner, names),
        }
    }

    fn name(&self, name: &str, names: &Names) -> Expr {
        match name {
            "true" => return Expr::Bool(true),
            "false" => return Expr::Bool(false),
            "none" | "null" => return Expr::Null,
            _ => {}
        }
        if names.record {
            match name {
                "status" => return Expr::Response(plan::ResponseField::Status),
                "latency" => return Expr::Response(plan::ResponseField::Latency),
                "injected" => return Expr::Builtin(plan::Builtin::Injected),
                "fault" => return Expr::Builtin(plan::Builtin::Fault),
                "call" => return Expr::Builtin(plan::Builtin::Call),
                "attempt" => return Expr::Builtin(plan::Builtin::Attempt),
                "step" => return Expr::Builtin(plan::Builtin::Step),
                "user" => return Expr::Builtin(plan::Builtin::User),
                "iteration" => return Expr::Builtin(plan::Builtin::Iteration),
                "timeout" | "connection_error" | "reset" | "hang" | "truncate" => {
                    return Expr::FaultKind(name.to_string());
                }
                _ => {}
            }
        } else {
            if names.vars.iter().any(|v| v == name) {
                return Expr::Var(name.to_string());
            }
            match name {
                "user" => return Expr::Builtin(plan::Builtin::User),
                "iteration" => return Expr::Builtin(plan::Builtin::Iteration),
                "scenario" => return Expr::Builtin(plan::Builtin::Scenario),
                "test" => return Expr::Builtin(plan::Builtin::Test),
                _ => {}
            }
            if let Some(field) = response_field(name) {
                return Expr::Response(field);
            }
        }
        match self.items.get(name) {
            Some(Item::Let(l)) => self.expr(&l.value, &Names::default()),
            Some(Item::Data(_)) => Expr::Data(name.to_string()),
            // A capture name in a record predicate (`rate(cached)`, `count(cached)`).
            _ => Expr::Var(name.to_string()),
        }
    }

    // ── Tests ─────────────────────────────────────────────────────────

    fn test(&self, t: &ast::Test, plan: &plan::Plan) -> plan::Test {
        let name = t.name.as_plain_str().unwrap_or_default();
        let mut out = plan::Test {
            name,
            workload: 0,
            profile: plan::Profile {
                stages: vec![],
                phases: vec![],
            },
            scenarios: vec![],
            inject: plan::Inject::Client,
            seed: None,
            services: vec![],
            chaos: None,
            slos: vec![],
            aborts: vec![],
        };
        let mut workload_name = String::new();
        for stmt in &t.stmts {
            match &stmt.kind {
                ast::TestStmtKind::Workload(w) => {
                    workload_name = w.text.clone();
                    out.workload = plan
                        .workloads
                        .iter()
                        .position(|x| x.name == w.text)
                        .expect("a checked test names a workload");
                }
                ast::TestStmtKind::Profile(p) => {
                    out.profile = match p {
                        ast::ProfileRef::Named(n) => match self.items.get(n.text.as_str()) {
                            Some(Item::Profile(profile)) => self.profile(&profile.stages),
                            _ => panic!("bug in stress: profile `{}` passed check", n.text),
                        },
                        ast::ProfileRef::Inline(stages) => self.profile(stages),
                    };
                }
                ast::TestStmtKind::Scenarios(list) => {
                    out.scenarios = list.iter().map(|e| self.scenario_expr(e)).collect()
                }
                ast::TestStmtKind::Inject(at) => {
                    out.inject = match at {
                        ast::InjectAt::Client => plan::Inject::Client,
                        ast::InjectAt::Proxy(p) => plan::Inject::Proxy(p.text.clone()),
                    };
                }
                ast::TestStmtKind::Seed(s) => out.seed = Some(self.count(s)),
                ast::TestStmtKind::Services(list) => {
                    out.services = list
                        .iter()
                        .filter_map(|n| plan.services.iter().position(|s| s.name == n.text))
                        .collect();
                }
                ast::TestStmtKind::Chaos(c) => {
                    let mut chaos = plan::Chaos {
                        from: self.duration(&c.from),
                        to: self.duration(&c.to),
                        scenarios: vec![],
                        start: vec![],
                        stop: vec![],
                    };
                    for cs in &c.stmts {
                        match &cs.kind {
                            ast::ChaosStmtKind::Faults(list) => chaos
                                .scenarios
                                .extend(list.iter().map(|e| self.scenario_expr(e))),
                            ast::ChaosStmtKind::Start(a) => chaos.start.push(self.action(a)),
                            ast::ChaosStmtKind::Stop(a) => chaos.stop.push(self.action(a)),
                            ast::ChaosStmtKind::Hold { op, service } => {
                                let action = |op| plan::Action::Service {
                                    op,
                                    service: service.text.clone(),
                                };
                                match op {
                                    ast::ServiceOp::Pause => {
                                        chaos.start.push(action(ast::ServiceOp::Pause));
                                        chaos.stop.push(action(ast::ServiceOp::Resume));
                                    }
                                    ast::ServiceOp::Down => {
                                        chaos.start.push(action(ast::ServiceOp::Down));
                                        chaos.stop.push(action(ast::ServiceOp::Up));
                                    }
                                    other => chaos.start.push(action(*other)),
                                }
                            }
                        }
                    }
                    out.chaos = Some(chaos);
                }
                ast::TestStmtKind::Slo(_) => {}
            }
        }
        if out.scenarios.is_empty() {
            out.scenarios.push(plan::Scenario {
                name: "baseline".into(),
                parts: vec!["baseline".into()],
                rules: vec![],
            });
        }
        let workload = plan.workloads.iter().find(|w| w.name == workload_name);
        let captures: Vec<String> = workload.map(|w| w.captures.clone()).unwrap_or_default();
        for stmt in &t.stmts {
            if let ast::TestStmtKind::Slo(slos) = &stmt.kind {
                for slo in slos {
                    self.slo(slo, &captures, &mut out);
                }
            }
        }
        out
    }

    fn action(&self, a: &ast::Action) -> plan::Action {
        match a {
            ast::Action::Exec(e) => plan::Action::Exec(self.string(e)),
            ast::Action::Service { op, service } => plan::Action::Service {
                op: *op,
                service: service.text.clone(),
            },
            ast::Action::Http { method, url, json } => plan::Action::Http {
                method: method.text.to_ascii_uppercase(),
                url: self.string(url),
                json: json.as_ref().map(|j| self.expr(j, &Names::default())),
            },
        }
    }

    fn profile(&self, stages: &[ast::Stage]) -> plan::Profile {
        let mut profile = plan::Profile {
            stages: vec![],
            phases: vec![],
        };
        let mut state = StageState {
            users: 0,
            rate: 0.0,
            max_users: None,
            limit: None,
        };
        for stage in stages {
            match &stage.kind {
                ast::StageKind::MaxUsers(n) => state.max_users = Some(self.count32(n)),
                ast::StageKind::Limit(r) => state.limit = Some(self.num(r)),
                _ => {}
            }
        }
        let users = stages.iter().find_map(|s| match &s.kind {
            ast::StageKind::Users(n) => Some(self.count32(n)),
            _ => None,
        });
        let iterations = stages.iter().find_map(|s| match &s.kind {
            ast::StageKind::Iterations(n) => Some(self.count(n)),
            _ => None,
        });
        if let (Some(users), Some(iterations)) = (users, iterations) {
            profile.stages.push(plan::Stage {
                kind: plan::StageKind::Iterations { users, iterations },
                phase: None,
                limit: state.limit,
            });
        }
        self.stages(stages, &mut profile, &mut state);
        profile
    }

    fn stages(&self, stages: &[ast::Stage], profile: &mut plan::Profile, state: &mut StageState) {
        for stage in stages {
            let mut limit = state.limit;
            let mut max_users = state.max_users;
            let mut phase = None;
            for m in &stage.mods {
                match &m.kind {
                    ast::StageModKind::Limit(r) => limit = Some(self.num(r)),
                    ast::StageModKind::MaxUsers(n) => max_users = Some(self.count32(n)),
                    ast::StageModKind::As(name) => {
                        phase = Some(index_of(&mut profile.phases, &name.text))
                    }
                }
            }
            let max_users = max_users.unwrap_or(DEFAULT_MAX_USERS);
            let kind = match &stage.kind {
                ast::StageKind::Hold { users, duration } => {
                    let n = self.count32(users);
                    state.users = n;
                    plan::StageKind::Users {
                        from: n,
                        to: n,
                        duration: self.duration(duration),
                    }
                }
                ast::StageKind::RampUsers { to, over } => {
                    let n = self.count32(to);
                    let from = std::mem::replace(&mut state.users, n);
                    plan::StageKind::Users {
                        from,
                        to: n,
                        duration: self.duration(over),
                    }
                }
                ast::StageKind::Rate { rate, duration } => {
                    let r = self.num(rate);
                    state.rate = r;
                    plan::StageKind::Rate {
                        from: r,
                        to: r,
                        duration: self.duration(duration),
                        max_users,
                    }
                }
                ast::StageKind::RampRate { to, over } => {
                    let r = self.num(to);
                    let from = std::mem::replace(&mut state.rate, r);
                    plan::StageKind::Rate {
                        from,
                        to: r,
                        duration: self.duration(over),
                        max_users,
                    }
                }
                ast::StageKind::Pause(d) => plan::StageKind::Pause {
                    duration: self.duration(d),
                },
                ast::StageKind::Repeat { count, stages } => {
                    for _ in 0..self.count(count) {
                        self.stages(stages, profile, state);
                    }
                    continue;
                }
                ast::StageKind::Users(_)
                | ast::StageKind::Iterations(_)
                | ast::StageKind::MaxUsers(_)
                | ast::StageKind::Limit(_) => continue,
            };
            profile.stages.push(plan::Stage { kind, phase, limit });
        }
    }

    /// `a + b` → one scenario named `a+b` (or the declared composition's own name).
    fn scenario_expr(&self, e: &ast::ScenarioExpr) -> plan::Scenario {
        if let [only] = e.parts.as_slice() {
            return self.scenario_named(&only.text);
        }
        let parts: Vec<String> = e.parts.iter().map(|p| p.text.clone()).collect();
        let mut rules = Vec::new();
        for part in &parts {
            rules.extend(self.scenario_named(part).rules);
        }
        plan::Scenario {
            name: parts.join("+"),
            parts,
            rules,
        }
    }

    fn scenario_named(&self, name: &str) -> plan::Scenario {
        let Some(Item::Scenario(s)) = self.items.get(name) else {
            panic!("bug in stress: scenario `{name}` passed check")
        };
        match &s.body {
            ast::ScenarioBody::Rules(rules) => plan::Scenario {
                name: name.to_string(),
                parts: vec![name.to_string()],
                rules: rules.iter().map(|r| self.rule(r)).collect(),
            },
            ast::ScenarioBody::Compose(parts) => {
                let mut rules = Vec::new();
                for part in &parts.parts {
                    rules.extend(self.scenario_named(&part.text).rules);
                }
                plan::Scenario {
                    name: name.to_string(),
                    parts: parts.parts.iter().map(|p| p.text.clone()).collect(),
                    rules,
                }
            }
        }
    }

    fn rule(&self, r: &ast::Rule) -> plan::FaultRule {
        let label = self
            .file
            .slice(r.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let record = Names {
            record: true,
            ..Names::default()
        };
        match &r.kind {
            ast::RuleKind::When { condition, fault } => plan::FaultRule {
                label,
                when: plan::RuleWhen::Expr(self.expr(condition, &record)),
                delay: None,
                fault: Some(self.fault(fault)),
            },
            ast::RuleKind::Call { name, args } => {
                let spec: &[&str] = match name.text.as_str() {
                    "error_rate" => &["probability", "fault"],
                    "latency" => &["probability", "delay"],
                    "burst" => &["start", "length", "fault"],
                    "nth_call" => &["calls", "fault"],
                    _ => &["probability", "delay", "fault"],
                };
                let arg = |key: &str| -> &ast::FaultExpr {
                    let position = spec
                        .iter()
                        .position(|k| *k == key)
                        .expect("rule spec has the key");
                    args.iter()
                        .find(|a| a.name.as_ref().is_some_and(|n| n.text == key))
                        .or_else(|| args.get(position).filter(|a| a.name.is_none()))
                        .map(|a| &a.value)
                        .expect("a checked rule has all its arguments")
                };
                let has = |key: &str| spec.contains(&key);
                let when = match name.text.as_str() {
                    "burst" => plan::RuleWhen::Burst {
                        start: self.count(&arg("start").value),
                        length: self.count(&arg("length").value),
                    },
                    "nth_call" => match &arg("calls").value.kind {
                        ExprKind::List(items) => {
                            plan::RuleWhen::Calls(items.iter().map(|i| self.count(i)).collect())
                        }
                        _ => plan::RuleWhen::Calls(vec![]),
                    },
                    _ => plan::RuleWhen::Probability(self.num(&arg("probability").value) / 100.0),
                };
                plan::FaultRule {
                    label,
                    when,
                    delay: has("delay").then(|| self.duration_range(&arg("delay").value)),
                    fault: has("fault").then(|| self.fault(arg("fault"))),
                }
            }
        }
    }

    fn fault(&self, f: &ast::FaultExpr) -> plan::Fault {
        match &f.value.kind {
            ExprKind::Number { value, .. } => plan::Fault::Status {
                status: *value as u16,
                retry_after: f.retry_after.as_ref().map(|d| self.duration(d)),
            },
            ExprKind::Name(n) => match n.text.as_str() {
                "timeout" => plan::Fault::Timeout,
                "connection_error" => plan::Fault::ConnectionError,
                "reset" => plan::Fault::Reset,
                "hang" => plan::Fault::Hang,
                _ => plan::Fault::Truncate,
            },
            ExprKind::Call { args, .. } => plan::Fault::Bandwidth {
                bytes_per_sec: args.first().map_or(0, |a| {
                    domains::exact_u64(self.num(&a.value), u64::MAX, "a bandwidth")
                }),
            },
            _ => panic!(
                "bug in stress: fault passed check: {}",
                self.file.slice(f.span)
            ),
        }
    }

    // ── SLOs ──────────────────────────────────────────────────────────

    fn slo(&self, slo: &ast::SloStmt, captures: &[String], test: &mut plan::Test) {
        let text = self
            .file
            .slice(slo.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let line = self.file.line_of(slo.span);
        match &slo.kind {
            ast::SloStmtKind::Assert {
                prefixes,
                expr,
                every,
            } => {
                let mut scenario = None;
                let mut step = None;
                for p in prefixes {
                    match p.kind {
                        ast::SloPrefixKind::Scenario => scenario = Some(p.name.text.clone()),
                        ast::SloPrefixKind::Step => step = Some(p.name.text.clone()),
                    }
                }
                let (lhs, op, rhs) = self.comparison(expr, step.as_ref(), captures);
                test.slos.push(plan::Slo {
                    text,
                    origin: slo.span,
                    line,
                    scenario,
                    lhs,
                    op,
                    rhs,
                    every: every.as_ref().map(|d| self.duration(d)),
                });
            }
            ast::SloStmtKind::Abort { condition, over } => {
                let (lhs, op, rhs) = self.comparison(condition, None, captures);
                test.aborts.push(plan::Abort {
                    text,
                    origin: slo.span,
                    line,
                    lhs,
                    op,
                    rhs,
                    over: over.as_ref().map(|d| self.duration(d)),
                });
            }
        }
    }

    fn comparison(
        &self,
        e: &ast::Expr,
        step: Option<&String>,
        captures: &[String],
    ) -> (plan::SloExpr, plan::CmpOp, plan::SloExpr) {
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            panic!("bug in stress: SLO is not a comparison after check")
        };
        let op = match op {
            BinaryOp::Lt => plan::CmpOp::Lt,
            BinaryOp::Le => plan::CmpOp::Le,
            BinaryOp::Gt => plan::CmpOp::Gt,
            BinaryOp::Ge => plan::CmpOp::Ge,
            BinaryOp::Eq => plan::CmpOp::Eq,
            _ => plan::CmpOp::Ne,
        };
        let filter = plan::Filter {
            step: step.cloned(),
            phase: None,
        };
        let mut l = self.slo_expr(lhs, &filter, captures);
        let mut r = self.slo_expr(rhs, &filter, captures);
        // §9.11: a qualifier at the end of an assertion whose bound is a literal applies to
        // the metric(s) on the left.
        if let ExprKind::Phase { base, phase, name } = &rhs.kind {
            if !has_metric(base) {
                let phase = plan::PhaseRef {
                    when: *phase,
                    name: name.text.clone(),
                };
                set_phase(&mut l, &phase);
                r = self.slo_expr(base, &filter, captures);
            }
        }
        // `memory_growth(x) < 5%` is relative to the RSS after warm-up.
        if unit_of(&r) == Some(plan::Unit::Percent) {
            set_relative(&mut l);
        }
        (l, op, r)
    }

    fn slo_expr(&self, e: &ast::Expr, filter: &plan::Filter, captures: &[String]) -> plan::SloExpr {
        use plan::SloExpr as S;
        match &e.kind {
            ExprKind::Paren(inner) => self.slo_expr(inner, filter, captures),
            ExprKind::Phase { base, phase, name } => {
                let mut inner = self.slo_expr(base, filter, captures);
                set_phase(
                    &mut inner,
                    &plan::PhaseRef {
                        when: *phase,
                        name: name.text.clone(),
                    },
                );
                inner
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (l, r) = (
                    Box::new(self.slo_expr(lhs, filter, captures)),
                    Box::new(self.slo_expr(rhs, filter, captures)),
                );
                match op {
                    BinaryOp::Add => S::Add(l, r),
                    BinaryOp::Sub => S::Sub(l, r),
                    BinaryOp::Div => S::Div(l, r),
                    _ => {
                        // A percentage scales: `50% * throughput` is half of it.
                        let scale = |s: Box<S>| match *s {
                            S::Const {
                                value,
                                unit: plan::Unit::Percent,
                            } => Box::new(S::Const {
                                value: value / 100.0,
                                unit: plan::Unit::Number,
                            }),
                            other => Box::new(other),
                        };
                        S::Mul(scale(l), scale(r))
                    }
                }
            }
            ExprKind::Name(n) => match n.text.as_str() {
                "error_rate" => metric(plan::Metric::ErrorRate, filter),
                "success_rate" => metric(plan::Metric::SuccessRate, filter),
                "throughput" => metric(plan::Metric::Throughput, filter),
                "dropped" => metric(plan::Metric::Dropped, filter),
                "budget_exceeded" => metric(plan::Metric::BudgetExceeded, filter),
                "budget_exceeded_during_retry" => {
                    metric(plan::Metric::BudgetExceededDuringRetry, filter)
                }
                _ => self.constant(e),
            },
            ExprKind::Call { callee, args } => {
                let f = callee
                    .as_name()
                    .map(|n| n.text.as_str())
                    .unwrap_or_default();
                let arg = &args
                    .first()
                    .expect("a checked metric has its argument")
                    .value;
                let stat = match f {
                    "p50" => Some(plan::Stat::Percentile(50.0)),
                    "p90" => Some(plan::Stat::Percentile(90.0)),
                    "p95" => Some(plan::Stat::Percentile(95.0)),
                    "p99" => Some(plan::Stat::Percentile(99.0)),
                    "p999" => Some(plan::Stat::Percentile(99.9)),
                    "max" => Some(plan::Stat::Max),
                    "min" => Some(plan::Stat::Min),
                    "mean" => Some(plan::Stat::Mean),
                    _ => None,
                };
                let record = Names {
                    record: true,
                    ..Names::default()
                };
                let m = if let Some(stat) = stat {
                    let name = arg.as_name().map(|n| n.text.as_str()).unwrap_or_default();
                    let of = match name {
                        "latency" => plan::Quantity::Latency,
                        "duration" => plan::Quantity::Duration,
                        "retries" => plan::Quantity::Retries,
                        "cost" if !captures.iter().any(|c| c == "cost") => plan::Quantity::Cost,
                        "cost" => plan::Quantity::Cost,
                        other => plan::Quantity::Capture(
                            captures
                                .iter()
                                .position(|c| c == other)
                                .expect("a checked capture exists"),
                        ),
                    };
                    plan::Metric::Stat { stat, of }
                } else {
                    match f {
                        "count" => plan::Metric::Count(self.expr(arg, &record)),
                        "rate" => plan::Metric::Rate(self.expr(arg, &record)),
                        "outcome" => {
                            plan::Metric::Outcome(match arg.as_name().map(|n| n.text.as_str()) {
                                Some("success") => plan::Outcome::Success,
                                Some("failed") => plan::Outcome::Failed,
                                Some("budget_exceeded") => plan::Outcome::BudgetExceeded,
                                _ => plan::Outcome::Timeout,
                            })
                        }
                        "retries_by" => plan::Metric::RetriesBy(self.retry_on(arg)),
                        "memory_growth" => plan::Metric::MemoryGrowth {
                            service: self.string(arg),
                            relative: false,
                        },
                        "max_rss" => plan::Metric::MaxRss {
                            service: self.string(arg),
                        },
                        "rss" | "max_cpu" | "fds" | "threads" | "restarts" => {
                            plan::Metric::Service {
                                service: self.string(arg),
                                stat: match f {
                                    "rss" => plan::ServiceStat::Rss,
                                    "max_cpu" => plan::ServiceStat::MaxCpu,
                                    "fds" => plan::ServiceStat::Fds,
                                    "threads" => plan::ServiceStat::Threads,
                                    _ => plan::ServiceStat::Restarts,
                                },
                            }
                        }
                        _ => plan::Metric::Cpu {
                            service: self.string(arg),
                        },
                    }
                };
                metric(m, filter)
            }
            _ => self.constant(e),
        }
    }

    fn constant(&self, e: &ast::Expr) -> plan::SloExpr {
        plan::SloExpr::Const {
            value: self.num(e),
            unit: self.unit(e),
        }
    }

    fn unit(&self, e: &ast::Expr) -> plan::Unit {
        match &e.kind {
            ExprKind::Duration(_) => plan::Unit::Duration,
            ExprKind::Percent(_) => plan::Unit::Percent,
            ExprKind::Rate(_) => plan::Unit::Rate,
            ExprKind::Money(_) => plan::Unit::Money,
            ExprKind::Size(_) | ExprKind::Bandwidth(_) => plan::Unit::Size,
            ExprKind::Paren(inner) | ExprKind::Unary { operand: inner, .. } => self.unit(inner),
            ExprKind::Name(n) => match self.items.get(n.text.as_str()) {
                Some(Item::Let(l)) => self.unit(&l.value),
                _ => plan::Unit::Number,
            },
            ExprKind::Binary {
                op: BinaryOp::Div,
                lhs,
                rhs,
            } if self.unit(lhs) == self.unit(rhs) => plan::Unit::Number,
            ExprKind::Binary { lhs, rhs, .. } => match self.unit(lhs) {
                plan::Unit::Number | plan::Unit::Percent => self.unit(rhs),
                u => u,
            },
            _ => plan::Unit::Number,
        }
    }
}

struct StageState {
    users: u32,
    rate: f64,
    max_users: Option<u32>,
    limit: Option<f64>,
}

fn metric(m: plan::Metric, filter: &plan::Filter) -> plan::SloExpr {
    plan::SloExpr::Metric {
        metric: m,
        filter: filter.clone(),
    }
}

fn has_metric(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Call { .. } => true,
        ExprKind::Name(n) => super::exprs::METRIC_NAMES.contains(&n.text.as_str()),
        ExprKind::Binary { lhs, rhs, .. } => has_metric(lhs) || has_metric(rhs),
        ExprKind::Paren(inner) | ExprKind::Phase { base: inner, .. } => has_metric(inner),
        _ => false,
    }
}

fn set_phase(e: &mut plan::SloExpr, phase: &plan::PhaseRef) {
    match e {
        plan::SloExpr::Metric { filter, .. } => {
            if filter.phase.is_none() {
                filter.phase = Some(phase.clone());
            }
        }
        plan::SloExpr::Mul(a, b)
        | plan::SloExpr::Div(a, b)
        | plan::SloExpr::Add(a, b)
        | plan::SloExpr::Sub(a, b) => {
            set_phase(a, phase);
            set_phase(b, phase);
        }
        plan::SloExpr::Const { .. } => {}
    }
}

fn set_relative(e: &mut plan::SloExpr) {
    match e {
        plan::SloExpr::Metric {
            metric: plan::Metric::MemoryGrowth { relative, .. },
            ..
        } => *relative = true,
        plan::SloExpr::Mul(a, b)
        | plan::SloExpr::Div(a, b)
        | plan::SloExpr::Add(a, b)
        | plan::SloExpr::Sub(a, b) => {
            set_relative(a);
            set_relative(b);
        }
        _ => {}
    }
}

fn unit_of(e: &plan::SloExpr) -> Option<plan::Unit> {
    match e {
        plan::SloExpr::Const { unit, .. } => Some(*unit),
        _ => None,
    }
}

fn response_field(name: &str) -> Option<plan::ResponseField> {
    Some(match name {
        "status" => plan::ResponseField::Status,
        "json" => plan::ResponseField::Json,
        "body" => plan::ResponseField::Body,
        "latency" => plan::ResponseField::Latency,
        _ => return None,
    })
}

fn jitter_of(text: &str) -> plan::Jitter {
    match text {
        "none" => plan::Jitter::None,
        "equal" => plan::Jitter::Equal,
        _ => plan::Jitter::Full,
    }
}

fn index_of(list: &mut Vec<String>, name: &str) -> usize {
    match list.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            list.push(name.to_string());
            list.len() - 1
        }
    }
}
