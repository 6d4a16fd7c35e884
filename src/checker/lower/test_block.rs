//! `lower` for `test` blocks: workload, profile stages, scenarios, injection point, services,
//! chaos windows.

use super::{DEFAULT_MAX_USERS, Lowerer, Names, index_of};
use crate::ast;
use crate::checker::resolved::TestRefs;
use crate::plan::{self};

impl Lowerer<'_> {
    pub(super) fn test(&self, refs: &TestRefs<'_>, plan: &plan::Plan) -> plan::Test {
        let t = refs.test;
        let name = t.name.as_plain_str().unwrap_or_default();
        let (workload, _) = refs.workload;
        let mut out = plan::Test {
            name,
            workload,
            profile: self.profile(refs.profile),
            scenarios: refs.scenarios.iter().map(|s| self.scenario(s)).collect(),
            inject: plan::Inject::Client,
            seed: None,
            services: refs.services.clone(),
            chaos: None,
            slos: vec![],
            aborts: vec![],
        };
        for stmt in &t.stmts {
            match &stmt.kind {
                ast::TestStmtKind::Inject(at) => {
                    out.inject = match at {
                        ast::InjectAt::Client => plan::Inject::Client,
                        ast::InjectAt::Proxy(names) => {
                            plan::Inject::Proxy(names.iter().map(|n| n.text.clone()).collect())
                        }
                    };
                }
                ast::TestStmtKind::Seed(s) => out.seed = Some(self.count(s)),
                ast::TestStmtKind::Chaos(c) => {
                    let mut chaos = plan::Chaos {
                        from: self.duration(&c.from),
                        to: self.duration(&c.to),
                        scenarios: refs.chaos.iter().map(|s| self.scenario(s)).collect(),
                        start: vec![],
                        stop: vec![],
                        at_proxy: None,
                    };
                    for cs in &c.stmts {
                        match &cs.kind {
                            ast::ChaosStmtKind::Faults(_, at) => {
                                if let Some(p) = at {
                                    chaos.at_proxy = Some(p.text.clone());
                                }
                            }
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
                ast::TestStmtKind::Workload(_)
                | ast::TestStmtKind::Profile(_)
                | ast::TestStmtKind::Scenarios(_)
                | ast::TestStmtKind::Services(_)
                | ast::TestStmtKind::Slo(_) => {}
            }
        }
        if out.scenarios.is_empty() {
            out.scenarios.push(plan::Scenario {
                name: "baseline".into(),
                parts: vec!["baseline".into()],
                rules: vec![],
            });
        }
        let captures = &plan.workloads[workload].captures;
        for slo in &refs.slos {
            self.slo(slo, captures, &mut out);
        }
        out
    }

    pub(super) fn action(&self, a: &ast::Action) -> plan::Action {
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

    pub(super) fn profile(&self, stages: &[ast::Stage]) -> plan::Profile {
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

    pub(super) fn stages(
        &self,
        stages: &[ast::Stage],
        profile: &mut plan::Profile,
        state: &mut StageState,
    ) {
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
}

pub(super) struct StageState {
    users: u32,
    rate: f64,
    max_users: Option<u32>,
    limit: Option<f64>,
}
