//! `check` for `test` blocks: workload, profile, scenarios, injection point, services, chaos
//! windows and their actions; SLO statements are handed to `slos`.

use std::collections::{HashMap, HashSet};

use super::check::{Checker, Place, SloCtx, collect_names, collect_phases, scenario_display_name};
use super::domains;
use super::error::CheckError;
use super::read;
use super::resolved::{ScenarioUse, SloRefs, TestRefs};
use super::scope::Kind;
use super::types::Ty;
use crate::ast::*;
use crate::source::Span;

/// Deeper compositions than this are cycles (reported as such where they are written).
const MAX_COMPOSITION_DEPTH: usize = 64;

impl<'a> Checker<'a> {
    pub(crate) fn test(&mut self, t: &'a Test) {
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
        // `inject at proxy a, b`: those of them that are TCP proxies.
        let mut tcp_at: Vec<(String, Span)> = Vec::new();
        // The proxies `inject at proxy …` names, and `faults X at proxy NAME` of the chaos window.
        let mut inject_names: Vec<String> = Vec::new();
        let mut chaos_proxy: Option<&Name> = None;
        let mut chaos: Option<Span> = None;
        let mut singles: HashMap<String, Span> = HashMap::new();
        let mut scenario_exprs: Vec<&ScenarioExpr> = Vec::new();
        // Services the test starts, and those its chaos window acts on.
        let mut started: Vec<String> = Vec::new();
        let mut acted_on: Vec<&Name> = Vec::new();
        // What `lower` will need, as it resolves.
        let mut workload_ref: Option<(usize, &'a Workload)> = None;
        let mut profile_stages: Option<&'a [Stage]> = None;
        let mut scenario_uses: Vec<ScenarioUse<'a>> = Vec::new();
        let mut chaos_uses: Vec<ScenarioUse<'a>> = Vec::new();
        let mut service_ids: Vec<usize> = Vec::new();
        let mut unresolved = false;
        for stmt in &t.stmts {
            match &stmt.kind {
                TestStmtKind::Workload(w) => {
                    self.once(&mut singles, "workload", stmt.span);
                    if self.lookup(w, Kind::Workload) {
                        workload = Some(w);
                        workload_ref =
                            self.resolve(w, Kind::Workload)
                                .and_then(|(i, item)| match item {
                                    Item::Workload(w) => Some((i, w)),
                                    _ => None,
                                });
                    }
                }
                TestStmtKind::Profile(p) => {
                    self.once(&mut singles, "profile", stmt.span);
                    profile_seen = true;
                    match p {
                        ProfileRef::Named(n) => {
                            if self.lookup(n, Kind::Profile) {
                                if let Some((_, Item::Profile(profile))) =
                                    self.resolve(n, Kind::Profile)
                                {
                                    collect_phases(&profile.stages, &mut phases);
                                    profile_stages = Some(&profile.stages);
                                }
                            }
                        }
                        ProfileRef::Inline(stages) => {
                            self.stages(stages, &mut phases);
                            profile_stages = Some(stages);
                        }
                    }
                }
                TestStmtKind::Scenarios(list) => {
                    self.once(&mut singles, "scenarios", stmt.span);
                    for e in list {
                        for part in &e.parts {
                            self.lookup(part, Kind::Scenario);
                        }
                        scenario_exprs.push(e);
                        match self.scenario_use(e) {
                            Some(u) => scenario_uses.push(u),
                            None => unresolved = true,
                        }
                    }
                }
                TestStmtKind::Inject(at) => {
                    self.once(&mut singles, "inject", stmt.span);
                    match at {
                        InjectAt::Client => inject = Some((false, stmt.span)),
                        InjectAt::Proxy(names) => {
                            for (i, p) in names.iter().enumerate() {
                                if let Some(first) = names[..i].iter().find(|n| n.text == p.text) {
                                    self.duplicate("proxy", p.span, first.span);
                                } else if self.lookup(p, Kind::Proxy) && self.is_tcp_proxy(&p.text)
                                {
                                    tcp_at.push((p.text.clone(), p.span));
                                }
                            }
                            inject_names.extend(names.iter().map(|n| n.text.clone()));
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
                        if self.lookup(n, Kind::Service) {
                            match self.resolve(n, Kind::Service) {
                                Some((i, _)) => service_ids.push(i),
                                None => unresolved = true,
                            }
                        }
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
                            ChaosStmtKind::Faults(list, at) => {
                                if let Some(p) = at {
                                    match chaos_proxy {
                                        Some(first) if first.text != p.text => self.bad_value(
                                            p.span,
                                            "a chaos window injects at one proxy",
                                            &format!("the window's faults are at `{}` already", first.text),
                                            Some("put the other proxy's faults in a rule that reads `proxy == \"NAME\"`".into()),
                                        ),
                                        _ => {
                                            if self.lookup(p, Kind::Proxy) {
                                                chaos_proxy = Some(p);
                                            }
                                        }
                                    }
                                }
                                for e in list {
                                    for part in &e.parts {
                                        self.lookup(part, Kind::Scenario);
                                    }
                                    scenario_exprs.push(e);
                                    match self.scenario_use(e) {
                                        Some(u) => chaos_uses.push(u),
                                        None => unresolved = true,
                                    }
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
        if let Some(p) = chaos_proxy {
            if !inject_names.contains(&p.text) {
                let injected = inject.filter(|(_, s)| *s != Span::default());
                self.problems.push(CheckError::ChaosProxyNotInjected {
                    proxy: p.text.clone(),
                    span: p.span.into(),
                    inject: injected.map(|(_, s)| s.into()),
                    help: Some(if inject_names.is_empty() {
                        format!(
                            "inject this test's faults at the proxy: `inject at proxy {}`",
                            p.text
                        )
                    } else {
                        format!(
                            "add it to the test's proxies: `inject at proxy {}, {}`",
                            inject_names.join(", "),
                            p.text
                        )
                    }),
                });
            }
        }
        for (proxy, at) in &tcp_at {
            for e in &scenario_exprs {
                self.http_rules_at_tcp_proxy(e, proxy, *at);
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
        let mut slo_refs = Vec::new();
        for stmt in &t.stmts {
            if let TestStmtKind::Slo(slos) = &stmt.kind {
                for slo in slos {
                    self.slo(slo, &ctx);
                    let condition = match &slo.kind {
                        SloStmtKind::Assert { expr, .. } => expr,
                        SloStmtKind::Abort { condition, .. } => condition,
                    };
                    // `slo` reported a condition that is not a comparison.
                    match read::comparison(condition) {
                        Some((lhs, op, rhs)) => slo_refs.push(SloRefs {
                            stmt: slo,
                            lhs,
                            op,
                            rhs,
                        }),
                        None => unresolved = true,
                    }
                }
            }
        }
        // Anything that did not resolve was reported above.
        if let (Some(workload), Some(profile), false) = (workload_ref, profile_stages, unresolved) {
            self.tests.push(TestRefs {
                test: t,
                workload,
                profile,
                scenarios: scenario_uses,
                chaos: chaos_uses,
                services: service_ids,
                slos: slo_refs,
            });
        }
    }

    /// A name of `kind` that resolved: its index among the file's declarations of that kind
    /// (the plan's order), and its declaration.
    fn resolve(&self, name: &Name, kind: Kind) -> Option<(usize, &'a Item)> {
        let def = self.scope.get(&name.text).filter(|d| d.kind == kind)?;
        let items = &self.ast.items;
        let same_kind = |i: &Item| match i {
            Item::Workload(_) => kind == Kind::Workload,
            Item::Service(_) => kind == Kind::Service,
            Item::Profile(_) => kind == Kind::Profile,
            Item::Scenario(_) => kind == Kind::Scenario,
            _ => false,
        };
        let index = items[..def.item].iter().filter(|i| same_kind(i)).count();
        Some((index, &items[def.item]))
    }

    /// A scenario expression with its compositions expanded (`None` when a part does not
    /// resolve or a composition cycles; both are reported where they are written).
    fn scenario_use(&self, e: &ScenarioExpr) -> Option<ScenarioUse<'a>> {
        let mut rules = Vec::new();
        for part in &e.parts {
            self.scenario_rules(part, &mut rules, 0)?;
        }
        let parts = match e.parts.as_slice() {
            [only] => match self.resolve(only, Kind::Scenario)? {
                (
                    _,
                    Item::Scenario(Scenario {
                        body: ScenarioBody::Compose(c),
                        ..
                    }),
                ) => c.parts.iter().map(|p| p.text.clone()).collect(),
                _ => vec![only.text.clone()],
            },
            parts => parts.iter().map(|p| p.text.clone()).collect(),
        };
        Some(ScenarioUse {
            name: scenario_display_name(e),
            parts,
            rules,
        })
    }

    /// Appends the rules of scenario `name`, compositions expanded.
    fn scenario_rules(&self, name: &Name, out: &mut Vec<&'a Rule>, depth: usize) -> Option<()> {
        if depth > MAX_COMPOSITION_DEPTH {
            return None;
        }
        match self.resolve(name, Kind::Scenario)? {
            (_, Item::Scenario(s)) => match &s.body {
                ScenarioBody::Rules(rules) => out.extend(rules.iter()),
                ScenarioBody::Compose(c) => {
                    for part in &c.parts {
                        self.scenario_rules(part, out, depth + 1)?;
                    }
                }
            },
            _ => return None,
        }
        Some(())
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
