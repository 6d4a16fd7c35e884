//! `lower` for workloads: steps, requests, retry policies, and workload expressions into
//! `plan::Expr` (builtin functions read from `vocab::Builtin`).

use super::{DEFAULT_TIMEOUT, Lowerer, Names, index_of};
use crate::ast::{self, ExprKind, Item, StrPart};
use crate::checker::domains;
use crate::checker::read::{self, BackoffKind};
use crate::plan::{self, Expr};
use crate::units::{Duration, Money};
use crate::vocab::{self, Builtin};

impl Lowerer<'_> {
    pub(super) fn workload(&self, w: &ast::Workload) -> plan::Workload {
        let mut vars = std::collections::HashSet::new();
        let mut steps = std::collections::HashSet::new();
        crate::checker::check::collect_names(&w.steps, &mut vars, &mut steps);
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
            duration_captures: vec![],
        };
        let steps = self.steps(&w.steps, &names, &mut out);
        out.steps = steps;
        out
    }

    pub(super) fn steps(
        &self,
        steps: &[ast::Step],
        names: &Names,
        w: &mut plan::Workload,
    ) -> Vec<plan::Step> {
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
                ast::StepKind::Think(d) if self.is_constant(d, names) => {
                    let (min, max) = self.duration_range(d);
                    plan::Step::Think { min, max }
                }
                ast::StepKind::Think(d) => plan::Step::ThinkExpr {
                    pause: self.expr(d, names),
                },
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
                    probability: if self.is_constant(probability, names) {
                        Expr::Number(self.num(probability) / 100.0)
                    } else {
                        self.expr(probability, names)
                    },
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

    pub(super) fn request(
        &self,
        r: &ast::Request,
        names: &Names,
        w: &mut plan::Workload,
    ) -> plan::Request {
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
            check_texts: vec![],
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
                ast::RequestStmtKind::Check(c) => {
                    out.check_texts
                        .push(self.file.slice(c.span).trim().to_string());
                    out.checks.push(self.expr(c, names));
                }
                ast::RequestStmtKind::Capture { name, value } => {
                    let index = index_of(&mut w.captures, &name.text);
                    if w.money_captures.len() < w.captures.len() {
                        w.money_captures.push(self.unit(value) == plan::Unit::Money);
                        let duration = crate::checker::check::duration_valued(
                            value,
                            self.ast,
                            &|n| names.vars.iter().any(|v| v == n),
                            &|n| names.steps.iter().any(|s| s == n),
                        );
                        w.duration_captures.push(duration);
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

    pub(super) fn retry(&self, r: &ast::Retry) -> plan::RetryPolicy {
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
                    if let Some(backoff) = self.backoff(backoff) {
                        policy.backoff = backoff;
                    }
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

    pub(super) fn retry_on(&self, e: &ast::Expr) -> plan::RetryOn {
        match &e.kind {
            ExprKind::Number { value, .. } => plan::RetryOn::Status(*value as u16),
            ExprKind::StatusClass(c) => plan::RetryOn::Class(*c),
            ExprKind::Name(n) if n.text == "timeout" => plan::RetryOn::Timeout,
            _ => plan::RetryOn::ConnectionError,
        }
    }

    /// A backoff; `None` for a shape check refused.
    pub(super) fn backoff(&self, e: &ast::Expr) -> Option<plan::Backoff> {
        let (kind, _, args) = read::backoff(e)?;
        let delay = args
            .iter()
            .find(|a| a.name.is_none())
            .map_or(Duration::from_millis(100), |a| self.duration(&a.value));
        let named = |key: &str| {
            args.iter()
                .find(|a| a.name.as_ref().is_some_and(|n| n.text == key))
                .map(|a| &a.value)
        };
        Some(match kind {
            BackoffKind::Constant => plan::Backoff::Constant { delay },
            BackoffKind::Linear => plan::Backoff::Linear {
                delay,
                step: named("step").map_or(delay, |v| self.duration(v)),
            },
            BackoffKind::Exponential => plan::Backoff::Exponential {
                delay,
                factor: named("factor").map_or(2.0, |v| self.num(v)),
                max: named("max").map_or(Duration::from_millis(10_000), |v| self.duration(v)),
            },
        })
    }

    /// A workload or record expression.
    pub(super) fn expr(&self, e: &ast::Expr, names: &Names) -> Expr {
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
                // Stays: `check` types an expression in place and keeps no table per node, so
                // the function is read again from the vocabulary by its name.
                let Some(builtin) = callee.as_name().and_then(|n| Builtin::from_name(&n.text))
                else {
                    domains::unlowerable(&format!("unknown function: {}", self.file.slice(e.span)));
                    return Expr::Null;
                };
                let args: Vec<Expr> = args.iter().map(|a| self.expr(&a.value, names)).collect();
                let func = match builtin {
                    Builtin::Header => {
                        let name = args.into_iter().next().unwrap_or(Expr::Null);
                        return Expr::Response(plan::ResponseField::Header(Box::new(name)));
                    }
                    Builtin::Env => plan::Func::Env,
                    Builtin::Pick => plan::Func::Pick,
                    Builtin::Next => plan::Func::Next,
                    Builtin::Uniform => plan::Func::Uniform,
                    Builtin::Words => plan::Func::Words,
                    Builtin::Uuid => plan::Func::Uuid,
                    Builtin::Len => plan::Func::Len,
                    Builtin::Contains => plan::Func::Contains,
                    Builtin::StartsWith => plan::Func::StartsWith,
                    Builtin::EndsWith => plan::Func::EndsWith,
                    Builtin::Number => plan::Func::Number,
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
            ExprKind::Phase { base, .. } | ExprKind::StepOf { base, .. } => self.expr(base, names),
            ExprKind::Paren(inner) => self.expr(inner, names),
        }
    }

    /// Whether a workload expression is a constant (literals and `let`s only), lowered to its
    /// value as before; else it is evaluated at run time (`think [1s, 2s][user % 2]`).
    fn is_constant(&self, e: &ast::Expr, names: &Names) -> bool {
        domains::is_constant(e, self.ast, &|n| names.vars.iter().any(|v| v == n))
    }

    pub(super) fn name(&self, name: &str, names: &Names) -> Expr {
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
                _ if vocab::Fault::from_name(name).is_some_and(|f| !f.is_call()) => {
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
                "stage" => return Expr::Builtin(plan::Builtin::Stage),
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
