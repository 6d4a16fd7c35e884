//! `check`: walks the whole file once and reports every problem — names, kinds, units, value
//! ranges, SLO references — without stopping at the first. A name that fails to resolve is
//! reported once; checks that would only repeat that root cause are skipped.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::domains;
use super::error::CheckError;
use super::scope::{Kind, Scope};
use super::types::{Ty, literal_ty, unit_fix};

use crate::ast::*;
use crate::source::{SourceFile, Span};

/// What a workload captures: name → (type, first span).
pub(crate) type Captures = HashMap<String, (Ty, Span)>;

pub(crate) struct Checker<'a> {
    pub(crate) file: &'a SourceFile,
    pub(crate) ast: &'a File,
    pub(crate) scope: Scope,
    pub(crate) problems: Vec<CheckError>,
    base_dir: Option<&'a Path>,
    used: HashSet<String>,
    let_types: HashMap<String, Ty>,
    let_stack: Vec<String>,
    /// Per workload name: its captures.
    pub(crate) captures: HashMap<String, Captures>,
}

/// Where an expression stands: decides which names it can see.
#[derive(Clone)]
pub(crate) enum Place<'p> {
    /// `let`, settings, bounds: constants and `env()` only.
    Const,
    /// Inside a workload.
    Workload {
        vars: &'p HashSet<String>,
        locals: Vec<String>,
        steps: &'p HashSet<String>,
    },
    /// `count(…)`, `rate(…)`, `when …`: the request record.
    Record { captures: Option<&'p Captures> },
}

impl<'a> Checker<'a> {
    pub(crate) fn new(file: &'a SourceFile, ast: &'a File, base_dir: Option<&'a Path>) -> Self {
        let mut problems = Vec::new();
        let scope = Scope::build(ast, &mut problems);
        Checker {
            file,
            ast,
            scope,
            problems,
            base_dir,
            used: HashSet::new(),
            let_types: HashMap::new(),
            let_stack: Vec::new(),
            captures: HashMap::new(),
        }
    }

    pub(crate) fn run(&mut self) {
        let ast = self.ast;
        // Captures first: SLOs of any test may name them.
        for item in &ast.items {
            if let Item::Workload(w) = item {
                let caps = self.collect_captures(w);
                self.captures.insert(w.name.text.clone(), caps);
            }
        }
        let mut tests = 0;
        let mut test_names: HashMap<String, Span> = HashMap::new();
        for item in &ast.items {
            match item {
                Item::Let(l) => {
                    self.let_type(&l.name.text);
                }
                Item::Data(d) => self.data(d),
                Item::Target(t) => self.target(t),
                Item::Service(s) => self.service(s),
                Item::Proxy(p) => self.proxy(p),
                Item::Workload(w) => self.workload(w),
                Item::Scenario(s) => self.scenario(s),
                Item::Profile(p) => {
                    self.stages(&p.stages, &mut Vec::new());
                }
                Item::Test(t) => {
                    tests += 1;
                    if let Some(name) = t.name.as_plain_str() {
                        if let Some(first) = test_names.get(&name) {
                            self.problems.push(CheckError::DuplicateName {
                                name,
                                second: t.name.span.into(),
                                first: (*first).into(),
                            });
                        } else {
                            test_names.insert(name, t.name.span);
                        }
                    }
                    self.test(t);
                }
            }
        }
        if tests == 0 {
            self.problems.push(CheckError::NothingToRun {
                file: self.file.name.clone(),
                span: ast.items.first().map(|i| {
                    Span::new(i.span().start as usize, i.span().start as usize)
                        .visible()
                        .into()
                }),
            });
        } else if self.problems.is_empty() {
            // Only on an otherwise clean file: after a typo, "unused" would repeat its cause.
            self.unused();
            super::unmeasurable::warn(self.ast, &mut self.problems);
        }
    }

    fn unused(&mut self) {
        for item in &self.ast.items {
            let (kind, name) = match item {
                Item::Let(x) => ("constant", &x.name),
                Item::Data(x) => ("data set", &x.name),
                Item::Target(x) => ("target", &x.name),
                Item::Service(x) => ("service", &x.name),
                Item::Proxy(x) => ("proxy", &x.name),
                Item::Workload(x) => ("workload", &x.name),
                Item::Scenario(x) => ("scenario", &x.name),
                Item::Profile(x) => ("profile", &x.name),
                Item::Test(_) => continue,
            };
            if !self.used.contains(&name.text) {
                self.problems.push(CheckError::Unused {
                    kind,
                    name: name.text.clone(),
                    span: name.span.into(),
                });
            }
        }
    }

    pub(crate) fn mark(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }

    /// `a → b → a`: the lets being typed from `name` on, back to it.
    pub(crate) fn let_chain(&self, name: &str) -> String {
        let from = self.let_stack.iter().position(|n| n == name).unwrap_or(0);
        let mut chain: Vec<&str> = self.let_stack[from..].iter().map(String::as_str).collect();
        chain.push(name);
        chain
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" → ")
    }

    pub(crate) fn let_in_progress(&self, name: &str) -> bool {
        self.let_stack.iter().any(|n| n == name)
    }

    fn mark_used(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }

    fn lookup(&mut self, name: &Name, kind: Kind) -> bool {
        self.mark_used(&name.text);
        self.scope.expect(name, kind, &mut self.problems).is_some()
    }

    // ── Declarations ──────────────────────────────────────────────────

    /// The type of a `let`, computed once, with cycle detection.
    pub(crate) fn let_type(&mut self, name: &str) -> Ty {
        if let Some(ty) = self.let_types.get(name) {
            return ty.clone();
        }
        let Some(def) = self.scope.get(name).copied() else {
            return Ty::Any;
        };
        let Item::Let(l) = &self.ast.items[def.item] else {
            return Ty::Any;
        };
        if self.let_stack.iter().any(|n| n == name) {
            return Ty::Any;
        }
        self.let_stack.push(name.to_string());
        let ty = self.expr(&l.value, &Place::Const);
        self.let_stack.pop();
        self.let_types.insert(name.to_string(), ty.clone());
        ty
    }

    fn data(&mut self, d: &Data) {
        let ExprKind::Call { callee, args } = &d.source.kind else {
            return self.bad_value(
                d.source.span,
                "a data set is read from a file",
                "not `lines(\"…\")`, `csv(\"…\")`, `jsonl(\"…\")` or `yaml(\"…\")`",
                None,
            );
        };
        let Some(func) = callee.as_name() else {
            return self.bad_value(
                callee.span,
                "a data set is read from a file",
                "expected a format",
                None,
            );
        };
        const FORMATS: &[&str] = &["lines", "csv", "jsonl", "yaml"];
        if !FORMATS.contains(&func.text.as_str()) {
            self.problems.push(CheckError::UnknownSetting {
                context: "data format",
                name: func.text.clone(),
                span: func.span.into(),
                help: Some(
                    match crate::suggest::did_you_mean(&func.text, FORMATS.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "formats are `lines`, `csv`, `jsonl` and `yaml`".into(),
                    },
                ),
            });
            return;
        }
        let [arg] = args.as_slice() else {
            return self.bad_args(
                d.source.span,
                format!("`{}` takes one path", func.text),
                "expected one argument",
                None,
            );
        };
        let Some(path) = arg.value.as_plain_str() else {
            return self.bad_value(
                arg.value.span,
                "a data file path is a plain string",
                "expected a string",
                None,
            );
        };
        if let Some(dir) = self.base_dir {
            let full = dir.join(&path);
            if let Err(err) = std::fs::metadata(&full) {
                self.problems.push(CheckError::MissingDataFile {
                    path,
                    reason: match err.kind() {
                        std::io::ErrorKind::NotFound => "no such file".to_string(),
                        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                        _ => err.to_string(),
                    },
                    span: arg.value.span.into(),
                });
            }
        }
    }

    fn target(&mut self, t: &Target) {
        match &t.kind {
            TargetKind::Url(url) => {
                let ty = self.expr(url, &Place::Const);
                self.expect_ty(url, &ty, &Ty::Str);
                if let Some(text) = url.as_plain_str() {
                    if !(text.starts_with("http://") || text.starts_with("https://")) {
                        self.bad_value(
                            url.span,
                            "a target is an http:// or https:// URL",
                            "not a URL",
                            Some(format!("write `\"http://{text}\"`")),
                        );
                    }
                }
            }
            TargetKind::Mock(settings) => {
                let mut seen: HashMap<String, Span> = HashMap::new();
                for s in settings {
                    self.once(&mut seen, &s.key.text, s.key.span);
                    match s.key.text.as_str() {
                        "api" => self.word(&s.value, &["openai", "anthropic"], "mock api"),
                        "latency" => self.duration_or_range(&s.value, "`latency`"),
                        "tokens" => self.count_or_range(&s.value, "`tokens`"),
                        "capacity" => self.positive_int(&s.value, "capacity", false),
                        "cache" => self.word(&s.value, &["on", "off"], "cache setting"),
                        other => self.unknown_setting(
                            "mock setting",
                            other,
                            s.key.span,
                            &["api", "latency", "tokens", "capacity", "cache"],
                        ),
                    }
                }
            }
        }
    }

    fn service(&mut self, s: &Service) {
        let mut has_exec = false;
        for stmt in &s.stmts {
            match &stmt.kind {
                ServiceStmtKind::Exec(e) => {
                    has_exec = true;
                    let ty = self.expr(e, &Place::Const);
                    self.expect_ty(e, &ty, &Ty::Str);
                }
                ServiceStmtKind::Env(e) => {
                    if !matches!(e.kind, ExprKind::Object(_)) {
                        self.bad_value(
                            e.span,
                            "`env` takes an object",
                            "expected `{ NAME: \"value\" }`",
                            None,
                        );
                    } else {
                        self.expr(e, &Place::Const);
                    }
                }
                ServiceStmtKind::Ready {
                    probe,
                    address,
                    within,
                } => {
                    let ty = self.expr(address, &Place::Const);
                    self.expect_ty(address, &ty, &Ty::Str);
                    self.positive_duration(within, "`within`");
                    if let (ProbeKind::Log, ExprKind::Str(parts)) = (probe, &address.kind) {
                        if let [StrPart::Text(text)] = parts.as_slice() {
                            if let Err(e) = regex::Regex::new(text) {
                                self.bad_value(
                                    address.span,
                                    "`ready log` takes a regular expression",
                                    "not a valid regular expression",
                                    Some(e.to_string()),
                                );
                            }
                        }
                    }
                }
                ServiceStmtKind::Cwd(e) => {
                    let ty = self.expr(e, &Place::Const);
                    self.expect_ty(e, &ty, &Ty::Str);
                }
                ServiceStmtKind::Stop { signal, grace } => {
                    if let Some(sig) = signal {
                        if crate::signals::signal_number(&sig.text).is_none() {
                            self.unknown_setting(
                                "signal",
                                &sig.text,
                                sig.span,
                                crate::signals::SIGNALS,
                            );
                        }
                    }
                    if let Some(g) = grace {
                        let ty = self.expr(g, &Place::Const);
                        self.expect_ty(g, &ty, &Ty::Duration);
                    }
                }
                ServiceStmtKind::Sample(e) => self.positive_duration(e, "`sample every`"),
            }
        }
        if !has_exec {
            self.bad_value(
                s.name.span,
                &format!("service `{}` has no `exec`", s.name.text),
                "needs `exec \"command\"`",
                None,
            );
        }
    }

    fn proxy(&mut self, p: &Proxy) {
        // Every proxy of a file runs during each test, so none is unused.
        self.mark(&p.name.text);
        let mut seen: HashMap<String, Span> = HashMap::new();
        for s in &p.settings {
            self.once(&mut seen, &s.key.text, s.key.span);
            match s.key.text.as_str() {
                "listen" | "upstream" => {
                    let ty = self.expr(&s.value, &Place::Const);
                    self.expect_ty(&s.value, &ty, &Ty::Str);
                    // `upstream "llm"` names a target (e.g. a mock started on port 0).
                    let name = s.value.as_plain_str().filter(|t| !t.contains("://"));
                    if let (Some(name), "upstream") = (name, s.key.text.as_str()) {
                        if self
                            .scope
                            .get(&name)
                            .is_some_and(|d| d.kind == Kind::Target)
                        {
                            self.mark(&name);
                        } else {
                            let targets = self.scope.names_of(Kind::Target);
                            let help = crate::suggest::did_you_mean(&name, targets.iter().copied())
                                .map(|t| format!("did you mean `{t}`?"))
                                .or_else(|| {
                                    Some(
                                        "write a URL, `http://127.0.0.1:9200`, or a target's name"
                                            .into(),
                                    )
                                });
                            self.bad_value(
                                s.value.span,
                                &format!("proxy upstream `{name}` is neither a URL nor a target"),
                                "not `http://host:port` nor a target's name",
                                help,
                            );
                        }
                    }
                }
                other => self.unknown_setting(
                    "proxy setting",
                    other,
                    s.key.span,
                    &["listen", "upstream"],
                ),
            }
        }
        for needed in ["listen", "upstream"] {
            if !seen.contains_key(needed) {
                self.bad_value(
                    p.name.span,
                    &format!("proxy `{}` has no `{needed}`", p.name.text),
                    &format!("needs `{needed}`"),
                    None,
                );
            }
        }
    }

    // ── Workloads ─────────────────────────────────────────────────────

    fn collect_captures(&mut self, w: &Workload) -> Captures {
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
        for (name, value) in found {
            let ty = capture_ty(&value, self);
            caps.entry(name.text.clone()).or_insert((ty, name.span));
        }
        caps
    }

    fn workload(&mut self, w: &Workload) {
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

    fn steps(
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
                StepKind::Think(d) => self.duration_or_range(d, "a think time"),
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
                    self.probability(probability);
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

    fn request(&mut self, r: &Request, place: &Place<'_>, seen: &mut HashMap<String, Span>) {
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

    fn body_once(&mut self, body: &mut Option<Span>, span: Span) {
        if let Some(first) = body.replace(span) {
            self.duplicate("request body", span, first);
        }
    }

    fn poll(&mut self, p: &Poll, place: &Place<'_>, seen: &mut HashMap<String, Span>) {
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

    fn retry(&mut self, r: &Retry) {
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

    fn jitter(&mut self, j: &Name) {
        const JITTERS: &[&str] = &["none", "full", "equal"];
        if !JITTERS.contains(&j.text.as_str()) {
            self.unknown_setting("jitter", &j.text, j.span, JITTERS);
        }
    }

    fn retry_on(&mut self, item: &Expr) {
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

    fn backoff(&mut self, e: &Expr) {
        let ExprKind::Call { callee, args } = &e.kind else {
            return self.bad_value(e.span, "a backoff is `constant(D)`, `linear(D, step: D)` or `exponential(D, factor: F, max: D)`", "not a backoff", None);
        };
        let Some(name) = callee.as_name() else {
            return self.bad_value(e.span, "expected a backoff", "here", None);
        };
        let (positional, named): (&[&str], &[&str]) = match name.text.as_str() {
            "constant" => (&["delay"], &[]),
            "linear" => (&["delay"], &["step"]),
            "exponential" => (&["delay"], &["factor", "max"]),
            other => {
                return self.unknown_setting(
                    "backoff",
                    other,
                    name.span,
                    &["constant", "linear", "exponential"],
                );
            }
        };
        let mut positional_seen = 0;
        for arg in args {
            match &arg.name {
                None => {
                    positional_seen += 1;
                    if positional_seen > positional.len() {
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

    // ── Scenarios ─────────────────────────────────────────────────────

    fn scenario(&mut self, s: &Scenario) {
        match &s.body {
            ScenarioBody::Compose(parts) => {
                for part in &parts.parts {
                    self.lookup(part, Kind::Scenario);
                }
                let mut path = vec![s.name.text.clone()];
                if self.cycle(&parts.parts, &mut path) {
                    self.problems.push(CheckError::CompositionCycle {
                        name: s.name.text.clone(),
                        span: parts.span.into(),
                    });
                }
            }
            ScenarioBody::Rules(rules) => {
                for rule in rules {
                    self.rule(rule);
                }
            }
        }
    }

    fn cycle(&self, parts: &[Name], path: &mut Vec<String>) -> bool {
        for part in parts {
            if path.first() == Some(&part.text) {
                return true;
            }
            if path.contains(&part.text) {
                continue;
            }
            if let Some(def) = self.scope.get(&part.text) {
                if let Item::Scenario(Scenario {
                    body: ScenarioBody::Compose(inner),
                    ..
                }) = &self.ast.items[def.item]
                {
                    path.push(part.text.clone());
                    let found = self.cycle(&inner.parts, path);
                    path.pop();
                    if found {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn rule(&mut self, rule: &crate::ast::Rule) {
        match &rule.kind {
            RuleKind::When { condition, fault } => {
                self.expr(condition, &Place::Record { captures: None });
                self.fault(fault);
            }
            RuleKind::Call { name, args } => {
                let spec: &[(&str, ArgKind)] = match name.text.as_str() {
                    "error_rate" => &[
                        ("probability", ArgKind::Probability),
                        ("fault", ArgKind::Fault),
                    ],
                    "latency" => &[
                        ("probability", ArgKind::Probability),
                        ("delay", ArgKind::Delay),
                    ],
                    "burst" => &[
                        ("start", ArgKind::Count(0)),
                        ("length", ArgKind::Count(1)),
                        ("fault", ArgKind::Fault),
                    ],
                    "nth_call" => &[("calls", ArgKind::Calls), ("fault", ArgKind::Fault)],
                    "latency_error" => &[
                        ("probability", ArgKind::Probability),
                        ("delay", ArgKind::Delay),
                        ("fault", ArgKind::Fault),
                    ],
                    other => {
                        return self.unknown_setting(
                            "fault rule",
                            other,
                            name.span,
                            &[
                                "error_rate",
                                "latency",
                                "burst",
                                "nth_call",
                                "latency_error",
                            ],
                        );
                    }
                };
                let signature = spec.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
                if args.len() != spec.len() {
                    return self.bad_args(
                        rule.span,
                        format!(
                            "`{}` takes {} arguments, found {}",
                            name.text,
                            spec.len(),
                            args.len()
                        ),
                        "here",
                        Some(format!("write `{}({signature})`", name.text)),
                    );
                }
                let mut by_name = false;
                for (i, arg) in args.iter().enumerate() {
                    let kind = match &arg.name {
                        Some(key) => {
                            by_name = true;
                            match spec.iter().find(|(n, _)| *n == key.text) {
                                Some((_, kind)) => *kind,
                                None => {
                                    self.unknown_setting(
                                        "rule argument",
                                        &key.text,
                                        key.span,
                                        &spec.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                                    );
                                    continue;
                                }
                            }
                        }
                        None if by_name => {
                            self.bad_args(
                                arg.span,
                                "a positional argument after a named one".into(),
                                "name it too",
                                None,
                            );
                            continue;
                        }
                        None => spec[i].1,
                    };
                    self.rule_arg(arg, kind);
                }
            }
        }
    }

    fn rule_arg(&mut self, arg: &RuleArg, kind: ArgKind) {
        if kind != ArgKind::Fault && arg.value.retry_after.is_some() {
            self.bad_value(
                arg.value.span,
                "`retry_after` belongs to a status fault",
                "not a fault",
                None,
            );
        }
        let value = &arg.value.value;
        match kind {
            ArgKind::Fault => self.fault(&arg.value),
            ArgKind::Probability => {
                self.probability(value);
            }
            ArgKind::Delay => self.duration_or_range(value, "a delay"),
            ArgKind::Count(min) => self.int_at_least(
                value,
                if min == 0 {
                    "`start`"
                } else {
                    "a burst length"
                },
                min,
            ),
            ArgKind::Calls => match &value.kind {
                ExprKind::List(items) if !items.is_empty() => {
                    for item in items {
                        self.int_at_least(item, "a call number", 0);
                    }
                }
                _ => self.bad_value(
                    value.span,
                    "`nth_call` takes a list of call numbers",
                    "expected `[1, 5, 10]`",
                    None,
                ),
            },
        }
    }

    /// A fault: an HTTP status (400–599), `timeout`, `connection_error`, or a wire fault.
    pub(crate) fn fault(&mut self, f: &FaultExpr) {
        let value = &f.value;
        match &value.kind {
            ExprKind::Number {
                value: n,
                integer: true,
            } => {
                if !(400.0..600.0).contains(n) {
                    self.problems.push(CheckError::BadStatus {
                        status: self.text(value.span),
                        span: value.span.into(),
                    });
                }
                if let Some(after) = &f.retry_after {
                    self.positive_duration(after, "`retry_after`");
                }
                return;
            }
            ExprKind::Name(n)
                if ["timeout", "connection_error", "reset", "hang", "truncate"]
                    .contains(&n.text.as_str()) => {}
            ExprKind::Call { callee, args }
                if callee.as_name().is_some_and(|n| n.text == "bandwidth") =>
            {
                match args.as_slice() {
                    [arg] => {
                        let ty = self.expr(&arg.value, &Place::Const);
                        self.expect_ty(&arg.value, &ty, &Ty::Bandwidth);
                    }
                    _ => self.bad_args(
                        value.span,
                        "`bandwidth` takes one rate, like `bandwidth(64KiB/s)`".into(),
                        "here",
                        None,
                    ),
                }
            }
            ExprKind::Name(n) => {
                self.unknown_setting(
                    "fault",
                    &n.text,
                    n.span,
                    &[
                        "timeout",
                        "connection_error",
                        "reset",
                        "hang",
                        "truncate",
                        "bandwidth",
                    ],
                );
                return;
            }
            _ => {
                self.bad_value(value.span, "a fault is an HTTP status (`429`), `timeout`, `connection_error`, or at a proxy `reset`, `hang`, `truncate`, `bandwidth(…)`", "not a fault", None);
                return;
            }
        }
        if let Some(after) = &f.retry_after {
            self.bad_value(
                after.span,
                "`retry_after` belongs to a status fault",
                "only after a status like `429`",
                None,
            );
        }
    }

    // ── Profiles ──────────────────────────────────────────────────────

    /// Checks stages; collects named phases (name, span) into `phases`.
    pub(crate) fn stages(&mut self, stages: &[Stage], phases: &mut Vec<(String, Span)>) {
        let mut users: Option<Span> = None;
        let mut iterations: Option<Span> = None;
        let mut shaped = false;
        for stage in stages {
            for m in &stage.mods {
                match &m.kind {
                    StageModKind::Limit(r) => self.positive_rate(r, "a limit"),
                    StageModKind::MaxUsers(n) => self.positive_int(n, "`max users`", false),
                    StageModKind::As(name) => {
                        if name.text == "chaos" {
                            self.bad_value(
                                name.span,
                                "`chaos` names the chaos window; a stage cannot take it",
                                "reserved",
                                Some("pick another name".into()),
                            );
                        }
                        if !phases.iter().any(|(n, _)| *n == name.text) {
                            phases.push((name.text.clone(), name.span));
                        }
                    }
                }
            }
            let open = matches!(
                stage.kind,
                StageKind::Rate { .. } | StageKind::RampRate { .. }
            );
            if !open
                && stage
                    .mods
                    .iter()
                    .any(|m| matches!(m.kind, StageModKind::MaxUsers(_)))
            {
                self.bad_profile(
                    stage.span,
                    "`max users` bounds an open-model stage (`rate`)",
                    "not an open stage",
                    Some("closed stages already say how many users run".into()),
                );
            }
            match &stage.kind {
                StageKind::Users(n) => {
                    if let Some(first) = users.replace(stage.span) {
                        self.duplicate("users", stage.span, first);
                    }
                    self.positive_int(n, "`users`", false);
                }
                StageKind::Iterations(n) => {
                    if let Some(first) = iterations.replace(stage.span) {
                        self.duplicate("iterations", stage.span, first);
                    }
                    self.positive_int(n, "`iterations`", false);
                }
                StageKind::Hold { users, duration } => {
                    shaped = true;
                    if let ExprKind::Number { value, .. } = users.kind {
                        if value == 0.0 {
                            self.problems.push(CheckError::NotPositive {
                                what: "a hold",
                                rule: "at least 1 user",
                                span: users.span.into(),
                                value: "0".into(),
                                help: Some("to pause the load, write `pause 30s`".into()),
                            });
                        } else {
                            self.positive_int(users, "`hold`", false);
                        }
                    } else {
                        self.positive_int(users, "`hold`", false);
                    }
                    self.positive_duration(duration, "a stage's duration");
                }
                StageKind::RampUsers { to, over } => {
                    shaped = true;
                    self.int_at_least(to, "a ramp's target", 0);
                    self.positive_duration(over, "a ramp's duration");
                }
                StageKind::RampRate { to, over } => {
                    shaped = true;
                    let ty = self.expr(to, &Place::Const);
                    self.expect_ty(to, &ty, &Ty::Rate);
                    self.positive_duration(over, "a ramp's duration");
                }
                StageKind::Rate { rate, duration } => {
                    shaped = true;
                    self.positive_rate(rate, "a rate");
                    self.positive_duration(duration, "a stage's duration");
                }
                StageKind::Pause(d) => {
                    shaped = true;
                    self.positive_duration(d, "a pause");
                }
                StageKind::Repeat { count, stages } => {
                    shaped = true;
                    self.positive_int(count, "a repeat count", false);
                    self.stages(stages, phases);
                }
                StageKind::MaxUsers(n) => self.positive_int(n, "`max users`", false),
                StageKind::Limit(r) => self.positive_rate(r, "a limit"),
            }
        }
        match (users, iterations) {
            (Some(u), None) => self.bad_profile(
                u,
                "`users` needs `iterations`",
                "how many iterations each user runs?",
                Some(
                    "write `users 10, iterations 20`, or `hold 10 users for 1m` to run for a time"
                        .into(),
                ),
            ),
            (None, Some(i)) => self.bad_profile(
                i,
                "`iterations` needs `users`",
                "how many users?",
                Some("write `users 10, iterations 20`".into()),
            ),
            (Some(u), Some(_)) if shaped => self.bad_profile(
                u,
                "`users … iterations` is a whole profile of its own",
                "cannot mix with stages",
                Some("use `hold N users for D` stages instead".into()),
            ),
            _ => {}
        }
    }

    // ── Tests ─────────────────────────────────────────────────────────

    fn test(&mut self, t: &Test) {
        let test_name = t.name.as_plain_str().unwrap_or_else(|| {
            self.bad_value(
                t.name.span,
                "a test's name is a plain string",
                "expected `\"name\"`",
                None,
            );
            String::new()
        });
        let mut workload: Option<&Name> = None;
        let mut profile_seen = false;
        let mut phases: Vec<(String, Span)> = Vec::new();
        let mut inject: Option<(bool, Span)> = None;
        let mut chaos: Option<Span> = None;
        let mut singles: HashMap<String, Span> = HashMap::new();
        let mut scenario_exprs: Vec<&ScenarioExpr> = Vec::new();
        // Services the test starts, and those its chaos window acts on.
        let mut started: Vec<String> = Vec::new();
        let mut acted_on: Vec<&Name> = Vec::new();
        for stmt in &t.stmts {
            match &stmt.kind {
                TestStmtKind::Workload(w) => {
                    self.once(&mut singles, "workload", stmt.span);
                    if self.lookup(w, Kind::Workload) {
                        workload = Some(w);
                    }
                }
                TestStmtKind::Profile(p) => {
                    self.once(&mut singles, "profile", stmt.span);
                    profile_seen = true;
                    match p {
                        ProfileRef::Named(n) => {
                            if self.lookup(n, Kind::Profile) {
                                if let Some(Item::Profile(profile)) =
                                    self.scope.get(&n.text).map(|d| &self.ast.items[d.item])
                                {
                                    collect_phases(&profile.stages, &mut phases);
                                }
                            }
                        }
                        ProfileRef::Inline(stages) => self.stages(stages, &mut phases),
                    }
                }
                TestStmtKind::Scenarios(list) => {
                    self.once(&mut singles, "scenarios", stmt.span);
                    for e in list {
                        for part in &e.parts {
                            self.lookup(part, Kind::Scenario);
                        }
                        scenario_exprs.push(e);
                    }
                }
                TestStmtKind::Inject(at) => {
                    self.once(&mut singles, "inject", stmt.span);
                    match at {
                        InjectAt::Client => inject = Some((false, stmt.span)),
                        InjectAt::Proxy(p) => {
                            self.lookup(p, Kind::Proxy);
                            inject = Some((true, stmt.span));
                        }
                    }
                }
                TestStmtKind::Seed(s) => {
                    self.once(&mut singles, "seed", stmt.span);
                    self.int_at_least(s, "a seed", 0);
                }
                TestStmtKind::Services(names) => {
                    self.once(&mut singles, "services", stmt.span);
                    for n in names {
                        self.lookup(n, Kind::Service);
                        started.push(n.text.clone());
                    }
                }
                TestStmtKind::Chaos(c) => {
                    if let Some(first) = chaos.replace(stmt.span) {
                        self.duplicate("chaos", stmt.span, first);
                    }
                    self.positive_duration(&c.to, "the end of the chaos window");
                    let from_ty = self.expr(&c.from, &Place::Const);
                    if self.expect_ty(&c.from, &from_ty, &Ty::Duration) {
                        self.in_domain(&c.from, "the start of the chaos window");
                    }
                    if let (Some(from), Some(to)) = (
                        domains::value(&c.from, self.ast),
                        domains::value(&c.to, self.ast),
                    ) {
                        if to <= from {
                            self.bad_value(
                                c.to.span,
                                "a chaos window ends after it starts",
                                "not after `from`",
                                None,
                            );
                        }
                    }
                    for cs in &c.stmts {
                        match &cs.kind {
                            ChaosStmtKind::Faults(list) => {
                                for e in list {
                                    for part in &e.parts {
                                        self.lookup(part, Kind::Scenario);
                                    }
                                    scenario_exprs.push(e);
                                }
                            }
                            ChaosStmtKind::Start(a) | ChaosStmtKind::Stop(a) => {
                                if let Action::Service { service, .. } = a {
                                    acted_on.push(service);
                                }
                                self.action(a);
                            }
                            ChaosStmtKind::Hold { service, .. } => {
                                acted_on.push(service);
                                self.lookup(service, Kind::Service);
                            }
                        }
                    }
                }
                TestStmtKind::Slo(_) => {}
            }
        }
        for service in acted_on {
            if self.scope.get(&service.text).is_some() && !started.contains(&service.text) {
                self.bad_value(
                    service.span,
                    &format!(
                        "the chaos window acts on service `{}`, which this test does not start",
                        service.text
                    ),
                    "not in the test's `services`",
                    Some(format!("add `services {}` to the test", service.text)),
                );
            }
        }
        if workload.is_none() && !singles.contains_key("workload") {
            self.problems.push(CheckError::IncompleteTest {
                test: test_name.clone(),
                what: "workload",
                span: t.name.span.into(),
                help: format!(
                    "add `workload NAME`{}",
                    match self.scope.names_of(Kind::Workload).as_slice() {
                        [only] => format!(", e.g. `workload {only}`"),
                        _ => String::new(),
                    }
                ),
            });
        }
        if !profile_seen {
            self.problems.push(CheckError::IncompleteTest {
                test: test_name.clone(),
                what: "profile",
                span: t.name.span.into(),
                help: "add a load shape, e.g. `profile { users 1, iterations 10 }`".into(),
            });
        }
        if let Some((at_proxy, inject_span)) = inject.or(Some((false, Span::default()))) {
            if !at_proxy {
                let inject_label = (inject_span != Span::default()).then(|| inject_span.into());
                for e in &scenario_exprs {
                    self.wire_faults_at_client(e, inject_label);
                }
            }
        }
        let captures = workload
            .and_then(|w| self.captures.get(&w.text).cloned())
            .unwrap_or_default();
        let workload_name = workload.map(|w| w.text.clone());
        let steps: HashSet<String> = workload
            .and_then(|w| self.scope.get(&w.text))
            .and_then(|d| match &self.ast.items[d.item] {
                Item::Workload(w) => {
                    let mut vars = HashSet::new();
                    let mut steps = HashSet::new();
                    collect_names(&w.steps, &mut vars, &mut steps);
                    Some(steps)
                }
                _ => None,
            })
            .unwrap_or_default();
        let scenario_names: Vec<String> = scenario_exprs
            .iter()
            .filter(|e| !chaos.is_some_and(|c| c.start <= e.span.start && e.span.end <= c.end))
            .map(|e| scenario_display_name(e))
            .collect();
        let ctx = SloCtx {
            phases: &phases,
            has_chaos: chaos.is_some(),
            captures: &captures,
            workload: workload_name,
            steps: &steps,
            scenarios: &scenario_names,
        };
        for stmt in &t.stmts {
            if let TestStmtKind::Slo(slos) = &stmt.kind {
                for slo in slos {
                    self.slo(slo, &ctx);
                }
            }
        }
    }

    fn wire_faults_at_client(&mut self, e: &ScenarioExpr, inject: Option<miette::SourceSpan>) {
        let mut seen = HashSet::new();
        let mut stack: Vec<String> = e.parts.iter().map(|p| p.text.clone()).collect();
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(def) = self.scope.get(&name) else {
                continue;
            };
            let Item::Scenario(s) = &self.ast.items[def.item] else {
                continue;
            };
            match &s.body {
                ScenarioBody::Compose(parts) => {
                    stack.extend(parts.parts.iter().map(|p| p.text.clone()))
                }
                ScenarioBody::Rules(rules) => {
                    for rule in rules {
                        let faults: Vec<&FaultExpr> = match &rule.kind {
                            RuleKind::When { fault, .. } => vec![fault],
                            RuleKind::Call { args, .. } => args.iter().map(|a| &a.value).collect(),
                        };
                        for f in faults {
                            let wire = match &f.value.kind {
                                ExprKind::Name(n)
                                    if ["reset", "hang", "truncate"].contains(&n.text.as_str()) =>
                                {
                                    Some(n.text.clone())
                                }
                                ExprKind::Call { callee, .. }
                                    if callee.as_name().is_some_and(|n| n.text == "bandwidth") =>
                                {
                                    Some("bandwidth".to_string())
                                }
                                _ => None,
                            };
                            if let Some(fault) = wire {
                                self.problems.push(CheckError::WireFaultAtClient {
                                    fault,
                                    span: f.value.span.into(),
                                    inject,
                                });
                            }
                        }
                    }
                }
            }
        }
    }

    fn action(&mut self, a: &Action) {
        match a {
            Action::Exec(e) => {
                let ty = self.expr(e, &Place::Const);
                self.expect_ty(e, &ty, &Ty::Str);
            }
            Action::Service { service, .. } => {
                self.lookup(service, Kind::Service);
            }
            Action::Http { method, url, json } => {
                const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];
                if !METHODS.contains(&method.text.to_ascii_lowercase().as_str()) {
                    self.unknown_setting("HTTP method", &method.text, method.span, METHODS);
                }
                let ty = self.expr(url, &Place::Const);
                self.expect_ty(url, &ty, &Ty::Str);
                if let Some(j) = json {
                    self.expr(j, &Place::Const);
                }
            }
        }
    }

    // ── Shared value rules ────────────────────────────────────────────

    pub(crate) fn text(&self, span: Span) -> String {
        self.file.slice(span).to_string()
    }

    fn once(&mut self, seen: &mut HashMap<String, Span>, what: &str, span: Span) {
        if let Some(first) = seen.get(what) {
            let first = *first;
            self.duplicate(what, span, first);
        } else {
            seen.insert(what.to_string(), span);
        }
    }

    fn duplicate(&mut self, what: &str, second: Span, first: Span) {
        self.problems.push(CheckError::DuplicateStatement {
            what: what.to_string(),
            second: second.into(),
            first: first.into(),
        });
    }

    pub(crate) fn bad_value(
        &mut self,
        span: Span,
        message: &str,
        label: &str,
        help: Option<String>,
    ) {
        self.problems.push(CheckError::BadValue {
            message: message.to_string(),
            span: span.into(),
            label: label.to_string(),
            help,
        });
    }

    fn bad_args(&mut self, span: Span, message: String, label: &str, help: Option<String>) {
        self.problems.push(CheckError::BadArguments {
            message,
            span: span.into(),
            label: label.to_string(),
            help,
        });
    }

    fn bad_profile(&mut self, span: Span, message: &str, label: &str, help: Option<String>) {
        self.problems.push(CheckError::BadProfile {
            message: message.to_string(),
            span: span.into(),
            label: label.to_string(),
            help,
        });
    }

    pub(crate) fn unknown_setting(
        &mut self,
        context: &'static str,
        name: &str,
        span: Span,
        known: &[&str],
    ) {
        let help = match crate::suggest::did_you_mean(name, known.iter().copied()) {
            Some(s) => Some(format!("did you mean `{s}`?")),
            None => Some(format!(
                "expected one of: {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        self.problems.push(CheckError::UnknownSetting {
            context,
            name: name.to_string(),
            span: span.into(),
            help,
        });
    }

    fn word(&mut self, e: &Expr, allowed: &[&str], context: &'static str) {
        match e.as_name() {
            Some(n) if allowed.contains(&n.text.as_str()) => {}
            Some(n) => self.unknown_setting(context, &n.text, n.span, allowed),
            None => self.bad_value(
                e.span,
                &format!("expected one of {}", allowed.join(", ")),
                "here",
                None,
            ),
        }
    }

    /// Reports a type mismatch between `found` and `expected` (a bare number gets the unit fix).
    pub(crate) fn expect_ty(&mut self, e: &Expr, found: &Ty, expected: &Ty) -> bool {
        if found.compatible(expected) {
            return true;
        }
        if *found == Ty::Number && (expected.is_quantity() || matches!(expected, Ty::Range(_))) {
            if let ExprKind::Number { .. } = &e.kind {
                self.problems.push(CheckError::MissingUnit {
                    expected: expected.noun(),
                    span: e.span.into(),
                    help: unit_fix(&self.text(e.span), expected),
                });
                return false;
            }
        }
        let help = match (found, expected) {
            (Ty::Number, Ty::Percent) => Some("write a percentage like `30%`".to_string()),
            (Ty::Percent, Ty::Duration) => {
                Some("a duration is written like `500ms` or `2s`".to_string())
            }
            _ => None,
        };
        self.problems.push(CheckError::UnitMismatch {
            expected: expected.noun(),
            found: found.noun(),
            span: e.span.into(),
            help,
        });
        false
    }

    fn positive_duration(&mut self, e: &Expr, what: &'static str) {
        let ty = self.expr(e, &Place::Const);
        if self.expect_ty(e, &ty, &Ty::Duration) {
            self.in_domain(e, what);
        }
    }

    fn positive_rate(&mut self, e: &Expr, what: &'static str) {
        let ty = self.expr(e, &Place::Const);
        if self.expect_ty(e, &ty, &Ty::Rate) {
            self.in_domain(e, what);
        }
    }

    fn positive_int(&mut self, e: &Expr, what: &'static str, workload: bool) {
        let ty = if workload {
            Ty::Number
        } else {
            self.expr(e, &Place::Const)
        };
        if !self.expect_ty(e, &ty, &Ty::Number) {
            return;
        }
        if let ExprKind::Number { integer: false, .. } = e.kind {
            self.problems.push(CheckError::NotPositive {
                what,
                rule: "a whole number of at least 1",
                span: e.span.into(),
                value: self.text(e.span),
                help: None,
            });
            return;
        }
        self.in_domain(e, what);
    }

    fn int_at_least(&mut self, e: &Expr, what: &'static str, min: u64) {
        let _ = min; // the domain table holds the minimum
        let ty = self.expr(e, &Place::Const);
        if !self.expect_ty(e, &ty, &Ty::Number) {
            return;
        }
        if let ExprKind::Number { integer: false, .. } = e.kind {
            let rule = domains::domain(what).map_or("a whole number", |d| d.rule);
            self.problems.push(CheckError::NotPositive {
                what,
                rule,
                span: e.span.into(),
                value: self.text(e.span),
                help: None,
            });
            return;
        }
        self.in_domain(e, what);
    }

    /// Checks a constant against its slot's domain (`domains::DOMAINS`): one diagnostic naming
    /// the slot and the value when it is outside. Non-constants are left to the type checks.
    pub(crate) fn in_domain(&mut self, e: &Expr, slot: &'static str) {
        let Some(domain) = domains::domain(slot) else {
            debug_assert!(false, "slot {slot} is missing from domains::DOMAINS");
            return;
        };
        let Some(v) = domains::value(e, self.ast) else {
            return;
        };
        let Err(violation) = domain.test(v) else {
            return;
        };
        let text = self.text(e.span);
        let literal = match &e.kind {
            ExprKind::Unary { operand, .. } => !matches!(operand.kind, ExprKind::Name(_)),
            ExprKind::Name(_) | ExprKind::Binary { .. } | ExprKind::Paren(_) => false,
            _ => true,
        };
        let value = if domain.kind == domains::Kind::Duration && v == 0.0 && literal {
            "0".to_string()
        } else if literal {
            text
        } else {
            let unit = match domain.kind {
                domains::Kind::Count | domains::Kind::Number | domains::Kind::Money => "",
                domains::Kind::Duration => "us",
                domains::Kind::Rate => "/s",
                domains::Kind::Probability => "%",
            };
            format!("`{text}` = {v}{unit}")
        };
        let span = e.span.into();
        let problem = match (domain.kind, violation) {
            (domains::Kind::Probability, _) => CheckError::BadProbability { value, span },
            (_, domains::Violation::Low) => CheckError::NotPositive {
                what: domain.slot,
                rule: domain.rule,
                span,
                value,
                help: None,
            },
            (_, domains::Violation::High) => CheckError::OutOfRange {
                what: domain.slot,
                max: domain.max_text,
                span,
                value,
            },
        };
        self.problems.push(problem);
    }

    fn count_or_range(&mut self, e: &Expr, slot: &'static str) {
        let ty = self.expr(e, &Place::Const);
        if !matches!(ty, Ty::Number | Ty::Range(_) | Ty::Any)
            || matches!(&ty, Ty::Range(inner) if **inner != Ty::Number)
        {
            self.problems.push(CheckError::UnitMismatch {
                expected: "a count or a range like `20..200`".into(),
                found: ty.noun(),
                span: e.span.into(),
                help: None,
            });
        } else {
            self.range_in_domain(e, slot);
        }
    }

    /// `a..b` (or one value) in `slot`'s domain, low to high.
    fn range_in_domain(&mut self, e: &Expr, slot: &'static str) {
        let mut e = e;
        while let ExprKind::Paren(inner) = &e.kind {
            e = inner;
        }
        let ExprKind::Binary {
            op: BinaryOp::Range,
            lhs,
            rhs,
        } = &e.kind
        else {
            return self.in_domain(e, slot);
        };
        let before = self.problems.len();
        self.in_domain(lhs, slot);
        self.in_domain(rhs, slot);
        if self.problems.len() > before {
            return;
        }
        if let (Some(a), Some(b)) = (domains::value(lhs, self.ast), domains::value(rhs, self.ast)) {
            if b < a {
                let (a, b) = (self.text(lhs.span), self.text(rhs.span));
                self.bad_value(
                    e.span,
                    "a range goes from low to high",
                    "reversed",
                    Some(format!("write `{b}..{a}`")),
                );
            }
        }
    }

    fn duration_or_range(&mut self, e: &Expr, slot: &'static str) {
        let ty = self.expr(e, &Place::Const);
        match &ty {
            Ty::Duration | Ty::Any => self.in_domain(e, slot),
            Ty::Range(inner) if **inner == Ty::Duration => self.range_in_domain(e, slot),
            Ty::Range(_) => {
                if let ExprKind::Binary { lhs, rhs, .. } = &e.kind {
                    for side in [lhs, rhs] {
                        let t = literal_ty(side).unwrap_or(Ty::Any);
                        self.expect_ty(side, &t, &Ty::Duration);
                    }
                }
            }
            _ => {
                self.expect_ty(e, &ty, &Ty::Duration);
            }
        }
    }

    /// A percentage between 0 and 100%; returns it when literal.
    fn probability(&mut self, e: &Expr) -> Option<f64> {
        let ty = self.expr(e, &Place::Const);
        if !self.expect_ty(e, &ty, &Ty::Percent) {
            return None;
        }
        if ty == Ty::Any && domains::value(e, self.ast).is_none() {
            // Lowering needs the number itself: a value known only at run time will not do.
            self.problems.push(CheckError::UnitMismatch {
                expected: "a percentage".into(),
                found: "a value known only at run time".into(),
                span: e.span.into(),
                help: Some("write a percentage such as `30%`, or a `let` constant".into()),
            });
            return None;
        }
        if let ExprKind::Percent(p) = e.kind {
            if !(0.0..=100.0).contains(&p.0) {
                self.problems.push(CheckError::BadProbability {
                    value: p.to_string(),
                    span: e.span.into(),
                });
                return None;
            }
            return Some(p.0);
        }
        let before = self.problems.len();
        self.in_domain(e, "a probability");
        if self.problems.len() > before {
            return None;
        }
        domains::value(e, self.ast)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ArgKind {
    Probability,
    Fault,
    Delay,
    Count(u64),
    Calls,
}

/// What the SLOs of one test can refer to.
pub(crate) struct SloCtx<'c> {
    pub(crate) phases: &'c [(String, Span)],
    pub(crate) has_chaos: bool,
    pub(crate) captures: &'c Captures,
    pub(crate) workload: Option<String>,
    pub(crate) steps: &'c HashSet<String>,
    pub(crate) scenarios: &'c [String],
}

pub(crate) fn duration_literal(e: &Expr) -> Option<crate::units::Duration> {
    match &e.kind {
        ExprKind::Duration(d) => Some(*d),
        ExprKind::Paren(inner) => duration_literal(inner),
        _ => None,
    }
}

/// `a + b` → `a+b`; one part → its name.
pub(crate) fn scenario_display_name(e: &ScenarioExpr) -> String {
    e.parts
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// Every `set` variable and request/poll name of a workload (forward references are legal).
pub(crate) fn collect_names(
    steps: &[Step],
    vars: &mut HashSet<String>,
    names: &mut HashSet<String>,
) {
    for step in steps {
        match &step.kind {
            StepKind::Request(r) => {
                names.insert(r.name.text.clone());
            }
            StepKind::Poll(p) => {
                names.insert(p.request.name.text.clone());
            }
            StepKind::Set { name, .. } => {
                vars.insert(name.text.clone());
            }
            StepKind::Repeat { steps, .. } | StepKind::Probability { steps, .. } => {
                collect_names(steps, vars, names)
            }
            StepKind::Choose(arms) => arms
                .iter()
                .for_each(|a| collect_names(&a.steps, vars, names)),
            _ => {}
        }
    }
}

fn collect_phases(stages: &[Stage], phases: &mut Vec<(String, Span)>) {
    for stage in stages {
        for m in &stage.mods {
            if let StageModKind::As(n) = &m.kind {
                if !phases.iter().any(|(p, _)| *p == n.text) {
                    phases.push((n.text.clone(), n.span));
                }
            }
        }
        if let StageKind::Repeat { stages, .. } = &stage.kind {
            collect_phases(stages, phases);
        }
    }
}

/// The type of a capture: boolean for comparisons and logic, money when it involves money,
/// otherwise a number.
fn capture_ty(e: &Expr, checker: &mut Checker<'_>) -> Ty {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } => {
            if op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or) {
                Ty::Bool
            } else {
                let (l, r) = (capture_ty(lhs, checker), capture_ty(rhs, checker));
                if l == Ty::Money || r == Ty::Money {
                    Ty::Money
                } else {
                    Ty::Number
                }
            }
        }
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => Ty::Bool,
        ExprKind::Paren(inner) => capture_ty(inner, checker),
        ExprKind::Money(_) => Ty::Money,
        ExprKind::Name(n) if n.text == "true" || n.text == "false" => Ty::Bool,
        ExprKind::Name(n)
            if checker
                .scope
                .get(&n.text)
                .is_some_and(|d| d.kind == Kind::Let) =>
        {
            match checker.let_type(&n.text) {
                Ty::Money => Ty::Money,
                Ty::Bool => Ty::Bool,
                _ => Ty::Number,
            }
        }
        _ => Ty::Number,
    }
}
