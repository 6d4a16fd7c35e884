//! `check` for workloads: steps, requests, polls, `retry` and `budget` blocks, captures.

use std::collections::{HashMap, HashSet};

use super::check::{
    Captures, Checker, Place, capture_ty, collect_names, duration_literal, duration_valued,
};
use super::error::CheckError;
use super::read::BackoffKind;
use super::scope::Kind;
use super::types::Ty;
use crate::ast::*;
use crate::source::Span;

impl<'a> Checker<'a> {
    pub(crate) fn collect_captures(&mut self, w: &Workload) -> Captures {
        let mut caps = Captures::new();
        fn walk(steps: &[Step], out: &mut Vec<(Name, Expr)>) {
            for step in steps {
                match &step.kind {
                    StepKind::Request(r) => collect_request(r, out),
                    StepKind::Poll(p) => collect_request(&p.request, out),
                    StepKind::Repeat { steps, .. } | StepKind::Probability { steps, .. } => {
                        walk(steps, out)
                    }
                    StepKind::Choose(arms) => arms.iter().for_each(|a| walk(&a.steps, out)),
                    _ => {}
                }
            }
        }
        fn collect_request(r: &Request, out: &mut Vec<(Name, Expr)>) {
            for stmt in &r.stmts {
                if let RequestStmtKind::Capture { name, value } = &stmt.kind {
                    out.push((name.clone(), value.clone()));
                }
            }
        }
        let mut found = Vec::new();
        walk(&w.steps, &mut found);
        let mut vars = HashSet::new();
        let mut steps = HashSet::new();
        collect_names(&w.steps, &mut vars, &mut steps);
        for (name, value) in found {
            let ty = match capture_ty(&value, self) {
                Ty::Number
                    if duration_valued(&value, self.ast, &|n| vars.contains(n), &|n| {
                        steps.contains(n)
                    }) =>
                {
                    Ty::Duration
                }
                ty => ty,
            };
            caps.entry(name.text.clone()).or_insert((ty, name.span));
        }
        caps
    }

    pub(crate) fn workload(&mut self, w: &Workload) {
        let mut vars = HashSet::new();
        let mut steps = HashSet::new();
        collect_names(&w.steps, &mut vars, &mut steps);
        let place = Place::Workload {
            vars: &vars,
            locals: Vec::new(),
            steps: &steps,
        };
        let mut seen_steps: HashMap<String, Span> = HashMap::new();
        self.steps(&w.steps, &place, &mut seen_steps, true);
    }

    pub(crate) fn steps(
        &mut self,
        steps: &[Step],
        place: &Place<'_>,
        seen: &mut HashMap<String, Span>,
        top: bool,
    ) {
        let mut retry_seen: Option<Span> = None;
        let mut budget_seen: Option<Span> = None;
        for step in steps {
            match &step.kind {
                StepKind::Request(r) => self.request(r, place, seen),
                StepKind::Poll(p) => self.poll(p, place, seen),
                StepKind::Think(d) => self.think(d, place),
                StepKind::Repeat { count, var, steps } => {
                    self.positive_int(count, "a repeat count", true);
                    let mut inner = place.clone();
                    if let (Some(var), Place::Workload { locals, .. }) = (var, &mut inner) {
                        locals.push(var.text.clone());
                    }
                    self.steps(steps, &inner, seen, false);
                }
                StepKind::Set { value, .. } => {
                    self.expr(value, place);
                }
                StepKind::Probability { probability, steps } => {
                    self.step_probability(probability, place);
                    self.steps(steps, place, seen, false);
                }
                StepKind::Choose(arms) => {
                    let mut sum = 0.0;
                    let mut all_known = true;
                    for arm in arms {
                        match self.probability(&arm.weight) {
                            Some(p) => sum += p,
                            None => all_known = false,
                        }
                        self.steps(&arm.steps, place, seen, false);
                    }
                    if all_known && (sum - 100.0).abs() > 1e-6 {
                        self.problems.push(CheckError::BadWeights {
                            sum: crate::units::Percent(sum).to_string(),
                            span: Span::new(
                                step.span.start as usize,
                                step.span.start as usize + "choose".len(),
                            )
                            .into(),
                        });
                    }
                }
                StepKind::Retry(r) => {
                    if !top {
                        self.bad_value(r.span, "a workload's `retry` belongs at its top level", "inside a block", Some("put `retry { }` in the request it applies to, or at the top of the workload".into()));
                    }
                    if let Some(first) = retry_seen.replace(r.span) {
                        self.duplicate("retry", r.span, first);
                    }
                    self.retry(r);
                }
                StepKind::Budget(items) => {
                    if let Some(first) = budget_seen.replace(step.span) {
                        self.duplicate("budget", step.span, first);
                    }
                    if !top {
                        self.bad_value(
                            step.span,
                            "`budget` belongs at the top of a workload",
                            "inside a block",
                            None,
                        );
                    }
                    for item in items {
                        match item.kind {
                            BudgetKind::Time => {
                                self.positive_duration(&item.value, "a time budget")
                            }
                            BudgetKind::Cost => {
                                let ty = self.expr(&item.value, &Place::Const);
                                if self.expect_ty(&item.value, &ty, &Ty::Money) {
                                    self.in_domain(&item.value, "a cost budget");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether a workload expression is a constant (see [`domains::is_constant`]).
    fn workload_constant(&self, e: &Expr, place: &Place<'_>) -> bool {
        let is_var = |n: &str| match place {
            Place::Workload { vars, locals, .. } => {
                vars.contains(n) || locals.iter().any(|l| l == n)
            }
            _ => false,
        };
        super::domains::is_constant(e, self.ast, &is_var)
    }

    /// `think D`, `think A..B`, or an expression evaluated per iteration
    /// (`think [2s, 20s][user % 2]`); a constant is checked against the domain as a setting.
    fn think(&mut self, e: &Expr, place: &Place<'_>) {
        if self.workload_constant(e, place) {
            return self.duration_or_range(e, "a think time");
        }
        let ty = self.expr(e, place);
        if !matches!(&ty, Ty::Range(inner) if matches!(**inner, Ty::Duration | Ty::Any)) {
            self.expect_ty(e, &ty, &Ty::Duration);
        }
    }

    /// `with probability P`: a constant percentage, or an expression evaluated per iteration
    /// (`with probability [10%, 90%][user % 2]`).
    fn step_probability(&mut self, e: &Expr, place: &Place<'_>) {
        if self.workload_constant(e, place) {
            self.probability(e);
            return;
        }
        let ty = self.expr(e, place);
        self.expect_ty(e, &ty, &Ty::Percent);
    }

    pub(crate) fn request(
        &mut self,
        r: &Request,
        place: &Place<'_>,
        seen: &mut HashMap<String, Span>,
    ) {
        let _ = seen;
        const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];
        let method = r.method.text.to_ascii_lowercase();
        if !METHODS.contains(&method.as_str()) {
            self.problems.push(CheckError::UnknownSetting {
                context: "HTTP method",
                name: r.method.text.clone(),
                span: r.method.span.into(),
                help: Some(
                    match crate::suggest::did_you_mean(&method, METHODS.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => {
                            "methods are get, post, put, patch, delete, head and options".into()
                        }
                    },
                ),
            });
        }
        self.lookup(&r.target, Kind::Target);
        let ty = self.expr(&r.path, place);
        self.expect_ty(&r.path, &ty, &Ty::Str);
        if let Some(path) = r.path.as_plain_str() {
            if !path.starts_with('/') && !path.is_empty() {
                self.bad_value(
                    r.path.span,
                    "a request path starts with `/`",
                    "relative to the target's URL",
                    Some(format!("write `\"/{path}\"`")),
                );
            }
        }
        let mut body: Option<Span> = None;
        let mut singles: HashMap<String, Span> = HashMap::new();
        for stmt in &r.stmts {
            match &stmt.kind {
                RequestStmtKind::Header { name, value } => {
                    let ty = self.expr(name, place);
                    self.expect_ty(name, &ty, &Ty::Str);
                    self.expr(value, place);
                }
                RequestStmtKind::Query(q) | RequestStmtKind::Form(q) => {
                    if !matches!(q.kind, ExprKind::Object(_)) {
                        self.bad_value(
                            q.span,
                            "`query` and `form` take an object",
                            "expected `{ key: value }`",
                            None,
                        );
                    }
                    self.expr(q, place);
                    if matches!(stmt.kind, RequestStmtKind::Form(_)) {
                        self.body_once(&mut body, stmt.span);
                    } else {
                        self.once(&mut singles, "query", stmt.span);
                    }
                }
                RequestStmtKind::Json(e) | RequestStmtKind::Body(e) => {
                    self.body_once(&mut body, stmt.span);
                    self.expr(e, place);
                }
                RequestStmtKind::Timeout(t) => {
                    self.once(&mut singles, "timeout", stmt.span);
                    self.positive_duration(t, "a timeout");
                }
                RequestStmtKind::Check(c) => {
                    self.expr(c, place);
                }
                RequestStmtKind::Capture { value, .. } => {
                    self.expr(value, place);
                }
                RequestStmtKind::Retry(retry) => {
                    self.once(&mut singles, "retry", stmt.span);
                    self.retry(retry);
                }
                RequestStmtKind::OnFailure(what) => {
                    self.once(&mut singles, "on failure", stmt.span);
                    if what.text != "continue" && what.text != "stop" {
                        self.bad_value(
                            what.span,
                            &format!("unknown failure action `{}`", what.text),
                            "expected `continue` or `stop`",
                            None,
                        );
                    }
                }
            }
        }
    }

    pub(crate) fn body_once(&mut self, body: &mut Option<Span>, span: Span) {
        if let Some(first) = body.replace(span) {
            self.duplicate("request body", span, first);
        }
    }

    pub(crate) fn poll(&mut self, p: &Poll, place: &Place<'_>, seen: &mut HashMap<String, Span>) {
        self.request(&p.request, place, seen);
        let mut every = None;
        let mut within = None;
        let mut until = false;
        let mut clauses: HashMap<String, Span> = HashMap::new();
        for clause in &p.clauses {
            let word = match clause.kind {
                PollClauseKind::Every => "every",
                PollClauseKind::Until => "until",
                PollClauseKind::Within => "within",
            };
            self.once(&mut clauses, word, clause.span);
            match clause.kind {
                PollClauseKind::Every => {
                    self.positive_duration(&clause.value, "`every`");
                    every = duration_literal(&clause.value);
                }
                PollClauseKind::Within => {
                    self.positive_duration(&clause.value, "`within`");
                    within = duration_literal(&clause.value).map(|d| (d, clause.value.span));
                }
                PollClauseKind::Until => {
                    until = true;
                    self.expr(&clause.value, place);
                }
            }
        }
        let name_span = p.request.name.span;
        for (present, clause, help) in [
            (
                every.is_some() || clauses.contains_key("every"),
                "every",
                "add `every 500ms`: how often to ask again",
            ),
            (
                until,
                "until",
                "add `until json.done`: the condition that ends the poll",
            ),
            (
                within.is_some() || clauses.contains_key("within"),
                "within",
                "add `within 30s`: the deadline",
            ),
        ] {
            if !present {
                self.problems.push(CheckError::PollClause {
                    clause,
                    span: name_span.into(),
                    help: help.into(),
                });
            }
        }
        if let (Some(every), Some((within, span))) = (every, within) {
            if within < every {
                self.problems.push(CheckError::PollWithin {
                    within: within.to_string(),
                    every: every.to_string(),
                    span: span.into(),
                });
            }
        }
    }

    pub(crate) fn retry(&mut self, r: &Retry) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for stmt in &r.stmts {
            match &stmt.kind {
                RetryStmtKind::Attempts(n) => {
                    self.once(&mut seen, "attempts", stmt.span);
                    self.int_at_least(n, "`attempts`", 0);
                }
                RetryStmtKind::On(items) => {
                    self.once(&mut seen, "on", stmt.span);
                    for item in items {
                        self.retry_on(item);
                    }
                }
                RetryStmtKind::Backoff { backoff, jitter } => {
                    self.once(&mut seen, "backoff", stmt.span);
                    self.backoff(backoff);
                    if let Some(j) = jitter {
                        self.once(&mut seen, "jitter", j.span);
                        self.jitter(j);
                    }
                }
                RetryStmtKind::Jitter(j) => {
                    self.once(&mut seen, "jitter", stmt.span);
                    self.jitter(j);
                }
                RetryStmtKind::RespectRetryAfter(_) => {
                    self.once(&mut seen, "retry_after", stmt.span)
                }
            }
        }
    }

    pub(crate) fn jitter(&mut self, j: &Name) {
        const JITTERS: &[&str] = &["none", "full", "equal"];
        if !JITTERS.contains(&j.text.as_str()) {
            self.unknown_setting("jitter", &j.text, j.span, JITTERS);
        }
    }

    pub(crate) fn retry_on(&mut self, item: &Expr) {
        match &item.kind {
            ExprKind::Number {
                value,
                integer: true,
            } if (400.0..600.0).contains(value) => {}
            ExprKind::Number { .. } => self.problems.push(CheckError::BadStatus {
                status: self.text(item.span),
                span: item.span.into(),
            }),
            ExprKind::StatusClass(4 | 5) => {}
            ExprKind::StatusClass(_) => self.problems.push(CheckError::BadStatus {
                status: self.text(item.span),
                span: item.span.into(),
            }),
            ExprKind::Name(n) if n.text == "timeout" || n.text == "connection_error" => {}
            ExprKind::Name(n) => self.unknown_setting(
                "retry reason",
                &n.text,
                n.span,
                &["timeout", "connection_error"],
            ),
            _ => self.bad_value(
                item.span,
                "`on` lists statuses (`429`, `5xx`), `timeout` and `connection_error`",
                "not a retry reason",
                None,
            ),
        }
    }

    pub(crate) fn backoff(&mut self, e: &Expr) {
        let ExprKind::Call { callee, args } = &e.kind else {
            return self.bad_value(e.span, "a backoff is `constant(D)`, `linear(D, step: D)` or `exponential(D, factor: F, max: D)`", "not a backoff", None);
        };
        let Some(name) = callee.as_name() else {
            return self.bad_value(e.span, "expected a backoff", "here", None);
        };
        let Some(kind) = BackoffKind::from_name(&name.text) else {
            return self.unknown_setting(
                "backoff",
                &name.text,
                name.span,
                &BackoffKind::ALL.map(BackoffKind::name),
            );
        };
        // One positional delay, then the kind's named arguments.
        let (positional, named) = (1, kind.named());
        let mut positional_seen = 0;
        for arg in args {
            match &arg.name {
                None => {
                    positional_seen += 1;
                    if positional_seen > positional {
                        self.bad_args(
                            arg.span,
                            format!("`{}` takes one delay", name.text),
                            "extra argument",
                            None,
                        );
                        continue;
                    }
                    self.positive_duration(&arg.value, "a backoff delay");
                }
                Some(key) if named.contains(&key.text.as_str()) => {
                    if key.text == "factor" {
                        let ty = self.expr(&arg.value, &Place::Const);
                        if self.expect_ty(&arg.value, &ty, &Ty::Number) {
                            self.in_domain(&arg.value, "a backoff factor");
                        }
                    } else {
                        self.positive_duration(&arg.value, "a backoff duration");
                    }
                }
                Some(key) => self.unknown_setting("backoff argument", &key.text, key.span, named),
            }
        }
        if positional_seen == 0 {
            self.bad_args(
                e.span,
                format!("`{}` needs a delay", name.text),
                "like `exponential(100ms, factor: 2, max: 10s)`",
                None,
            );
        }
    }
}
