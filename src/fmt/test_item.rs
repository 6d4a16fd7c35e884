//! `test` blocks: their statements, `chaos` windows and `slo` assertions, with the commas kept
//! where a line break would change how the next assertion reads.

use crate::ast::*;

use super::printer::Printer;

impl Printer<'_> {
    // ── Tests ──

    pub(super) fn test_stmt(&mut self, stmt: &TestStmt) {
        match &stmt.kind {
            TestStmtKind::Workload(name) => {
                self.put("workload");
                self.sp();
                self.name(name);
            }
            TestStmtKind::Profile(ProfileRef::Named(name)) => {
                self.put("profile");
                self.sp();
                self.name(name);
            }
            TestStmtKind::Profile(ProfileRef::Inline(stages)) => {
                self.put("profile");
                self.stages(stmt.span.start as usize, stages);
            }
            TestStmtKind::Scenarios(list) => {
                self.put("scenarios");
                self.scenario_list(list);
            }
            TestStmtKind::Inject(InjectAt::Client) => self.put("inject at client"),
            TestStmtKind::Inject(InjectAt::Proxy(names)) => {
                self.put("inject at proxy");
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        self.put(",");
                    }
                    self.sp();
                    self.name(n);
                }
            }
            TestStmtKind::Seed(e) => {
                self.put("seed");
                self.sp();
                self.expr(e);
            }
            TestStmtKind::Services(names) => {
                self.put("services");
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        self.put(",");
                    }
                    self.sp();
                    self.name(n);
                }
            }
            TestStmtKind::Chaos(chaos) => {
                self.put("chaos from");
                self.sp();
                self.expr(&chaos.from);
                self.kw("to", chaos.to.span);
                self.sp();
                self.expr(&chaos.to);
                self.block(
                    chaos.to.span.end as usize,
                    &chaos.stmts,
                    |s| s.span,
                    Self::chaos_stmt,
                    |_, _| false,
                );
            }
            TestStmtKind::Slo(stmts) => {
                self.put("slo");
                self.block(
                    stmt.span.start as usize,
                    stmts,
                    |s| s.span,
                    Self::slo_stmt,
                    slo_needs_comma,
                );
            }
        }
    }

    pub(super) fn scenario_list(&mut self, list: &[ScenarioExpr]) {
        for (i, e) in list.iter().enumerate() {
            if i > 0 {
                self.put(",");
            }
            self.sp();
            self.scenario_expr(e);
        }
    }

    pub(super) fn chaos_stmt(&mut self, stmt: &ChaosStmt) {
        let (edge, action) = match &stmt.kind {
            ChaosStmtKind::Faults(list, at) => {
                self.put("faults");
                self.scenario_list(list);
                if let Some(proxy) = at {
                    self.sp();
                    self.put("at proxy");
                    self.sp();
                    self.name(proxy);
                }
                return;
            }
            ChaosStmtKind::Start(a) => ("start", a),
            ChaosStmtKind::Stop(a) => ("stop", a),
            ChaosStmtKind::Hold { op, service } => {
                self.put(service_op_word(*op));
                self.sp();
                self.name(service);
                return;
            }
        };
        self.put(edge);
        self.sp();
        match action {
            Action::Exec(e) => {
                self.put("exec");
                self.sp();
                self.expr(e);
            }
            Action::Service { op, service } => {
                self.put(service_op_word(*op));
                self.sp();
                self.name(service);
            }
            Action::Http { method, url, json } => {
                self.put("http");
                self.sp();
                self.name(method);
                self.sp();
                self.expr(url);
                if let Some(json) = json {
                    self.kw("json", json.span);
                    self.sp();
                    self.expr(json);
                }
            }
        }
    }

    pub(super) fn slo_stmt(&mut self, stmt: &SloStmt) {
        match &stmt.kind {
            SloStmtKind::Assert {
                prefixes,
                expr,
                every,
            } => {
                for prefix in prefixes {
                    self.put(match prefix.kind {
                        SloPrefixKind::Scenario => "scenario",
                        SloPrefixKind::Step => "step",
                        SloPrefixKind::Proxy => "proxy",
                    });
                    self.sp();
                    self.name(&prefix.name);
                    self.put(":");
                    self.sp();
                }
                self.expr(expr);
                if let Some(every) = every {
                    self.kw("in every", every.span);
                    self.sp();
                    self.expr(every);
                }
            }
            SloStmtKind::Abort { condition, over } => {
                self.put("abort if");
                self.sp();
                self.expr(condition);
                if let Some(over) = over {
                    self.kw("over", over.span);
                    self.sp();
                    self.expr(over);
                }
            }
        }
    }
}

/// Whether the next assertion would be read as part of the previous one without a comma.
pub(super) fn slo_needs_comma(_prev: &SloStmt, next: &SloStmt) -> bool {
    let SloStmtKind::Assert { prefixes, expr, .. } = &next.kind else {
        return false;
    };
    if !prefixes.is_empty() {
        return false;
    }
    starts_ambiguously(expr)
}

/// Whether an expression starts with something that could continue the statement before it:
/// `-`, `(`, `[`, or one of the words `before`, `during`, `after`, `in`, `over`, `if` (an
/// assertion that is the bare name `abort` followed by one starting with `if` would read as
/// `abort if …`).
pub(super) fn starts_ambiguously(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        }
        | ExprKind::Paren(_)
        | ExprKind::List(_) => true,
        ExprKind::Name(n) => matches!(
            n.text.as_str(),
            "before" | "during" | "after" | "in" | "over" | "if"
        ),
        ExprKind::Field { base, .. }
        | ExprKind::Index { base, .. }
        | ExprKind::Phase { base, .. } => starts_ambiguously(base),
        ExprKind::Call { callee, .. } => starts_ambiguously(callee),
        ExprKind::Binary { lhs, .. } => starts_ambiguously(lhs),
        _ => false,
    }
}

/// The keyword of a service action in a chaos window.
pub(super) fn service_op_word(op: ServiceOp) -> &'static str {
    match op {
        ServiceOp::Pause => "pause",
        ServiceOp::Resume => "resume",
        ServiceOp::Restart => "restart",
        ServiceOp::Down => "down",
        ServiceOp::Up => "up",
    }
}
