//! `check` for `test` blocks: workload, profile, scenarios, injection point, services, chaos
//! windows and their actions; SLO statements are handed to `slos`.

use std::collections::{HashMap, HashSet};

use super::check::{Checker, Place, SloCtx, collect_names, collect_phases, scenario_display_name};
use super::domains;
use super::error::CheckError;
use super::scope::Kind;
use super::types::Ty;
use crate::ast::*;
use crate::source::Span;

impl<'a> Checker<'a> {
    pub(crate) fn test(&mut self, t: &Test) {
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

    pub(crate) fn action(&mut self, a: &Action) {
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
}
