//! Top-level declarations: the file's layout (blank lines between declarations), `let`,
//! `data`, `target`, `service`, `proxy`, `scenario` and `profile`.

use crate::ast::*;

use super::printer::{Blank, Printer};

impl Printer<'_> {
    // ── File ──

    /// The declarations, each with the comments on lines of their own before it. A blank line
    /// separates two declarations where the source had one, or where either of them takes
    /// several lines of output (it goes before the comments of the second one).
    pub(super) fn file(&mut self, file: &File) {
        self.blank = Blank::Suppress;
        let mut prev_multiline = false;
        for item in &file.items {
            let span = item.span();
            self.end_line();
            let before = self.out.len();
            self.begin(span.start as usize);
            let start = self.out.len();
            self.item(item);
            self.last = self.last.max(self.tight_end(span));
            self.end_line();
            let multiline = self.out[start..].matches('\n').count() > 1;
            if prev_multiline || multiline {
                self.blank_at(before);
            }
            prev_multiline = multiline;
            self.blank = Blank::Preserve;
        }
        self.cont = 0;
        self.indent = 0;
        if prev_multiline && self.has_comment(self.last, self.src.len()) {
            self.blank_at(self.out.len());
        }
        self.flush(self.src.len() + 1);
        self.end_line();
    }

    /// A blank line at `pos` of the output (the start of a line), unless there is one already
    /// or `pos` is the start of the file.
    pub(super) fn blank_at(&mut self, pos: usize) {
        if pos > 0 && !self.out[..pos].ends_with("\n\n") && !self.out[pos..].starts_with('\n') {
            self.out.insert(pos, '\n');
        }
    }

    pub(super) fn item(&mut self, item: &Item) {
        match item {
            Item::Let(x) => {
                self.put("let");
                self.sp();
                self.name(&x.name);
                self.kw("=", x.value.span);
                self.sp();
                self.expr(&x.value);
            }
            Item::Data(x) => {
                self.put("data");
                self.sp();
                self.name(&x.name);
                self.kw("=", x.source.span);
                self.sp();
                self.expr(&x.source);
            }
            Item::Target(x) => {
                self.put("target");
                self.sp();
                self.name(&x.name);
                match &x.kind {
                    TargetKind::Url(url) => {
                        self.kw("=", url.span);
                        self.sp();
                        self.expr(url);
                        if !x.scrapes.is_empty() {
                            self.block(
                                url.span.end as usize,
                                &x.scrapes,
                                |s| s.span,
                                Self::scrape,
                                |_, _| false,
                            );
                        }
                    }
                    TargetKind::Mock(settings) => {
                        self.sp();
                        self.put("mock");
                        self.settings(x.name.span.end as usize, settings);
                    }
                }
            }
            Item::Service(x) => {
                self.put("service");
                self.sp();
                self.name(&x.name);
                self.block(
                    x.name.span.end as usize,
                    &x.stmts,
                    |s| s.span,
                    Self::service_stmt,
                    |_, _| false,
                );
            }
            Item::Proxy(x) => {
                self.put("proxy");
                self.sp();
                self.name(&x.name);
                let mut end = x.name.span.end as usize;
                if let Some(tcp) = x.tcp {
                    self.sp();
                    self.put("tcp");
                    end = tcp.end as usize;
                }
                self.settings(end, &x.settings);
            }
            Item::Workload(x) => {
                self.put("workload");
                self.sp();
                self.name(&x.name);
                self.steps(x.name.span.end as usize, &x.steps);
            }
            Item::Scenario(x) => self.scenario(x),
            Item::Profile(x) => {
                self.put("profile");
                self.sp();
                self.name(&x.name);
                self.stages(x.name.span.end as usize, &x.stages);
            }
            Item::Test(x) => {
                self.put("test");
                self.sp();
                self.expr(&x.name);
                self.block(
                    x.name.span.end as usize,
                    &x.stmts,
                    |s| s.span,
                    Self::test_stmt,
                    |_, _| false,
                );
            }
        }
    }

    pub(super) fn settings(&mut self, from: usize, settings: &[Setting]) {
        self.block(
            from,
            settings,
            |s| s.span,
            |p, s| {
                p.name(&s.key);
                p.sp();
                p.expr(&s.value);
            },
            |_, next| matches!(next.key.text.as_str(), "before" | "during" | "after"),
        );
    }

    pub(super) fn service_stmt(&mut self, stmt: &ServiceStmt) {
        match &stmt.kind {
            ServiceStmtKind::Exec(e) => {
                self.put("exec");
                self.sp();
                self.expr(e);
            }
            ServiceStmtKind::Env(e) => {
                self.put("env");
                self.sp();
                self.expr(e);
            }
            ServiceStmtKind::Ready {
                probe,
                address,
                within,
            } => {
                self.put("ready");
                self.sp();
                self.put(match probe {
                    ProbeKind::Http => "http",
                    ProbeKind::Tcp => "tcp",
                    ProbeKind::Log => "log",
                });
                self.sp();
                self.expr(address);
                self.kw("within", within.span);
                self.sp();
                self.expr(within);
            }
            ServiceStmtKind::Cwd(e) => {
                self.put("cwd");
                self.sp();
                self.expr(e);
            }
            ServiceStmtKind::Stop { signal, grace } => {
                self.put("stop");
                if let Some(sig) = signal {
                    self.sp();
                    self.put("signal");
                    self.sp();
                    self.name(sig);
                }
                if let Some(g) = grace {
                    self.kw("grace", g.span);
                    self.sp();
                    self.expr(g);
                }
            }
            ServiceStmtKind::Sample(e) => {
                self.put("sample every");
                self.sp();
                self.expr(e);
            }
            ServiceStmtKind::Scrape(s) => self.scrape(s),
        }
    }

    fn scrape(&mut self, s: &Scrape) {
        self.put("scrape");
        self.sp();
        self.expr(&s.url);
        if let Some(every) = &s.every {
            self.kw("every", every.span);
            self.sp();
            self.expr(every);
        }
    }

    // ── Scenarios ──

    pub(super) fn scenario(&mut self, s: &Scenario) {
        self.put("scenario");
        self.sp();
        self.name(&s.name);
        match &s.body {
            ScenarioBody::Compose(expr) => {
                self.kw("=", expr.span);
                self.sp();
                self.scenario_expr(expr);
            }
            ScenarioBody::Rules(rules) => {
                let from = s.name.span.end as usize;
                let end = self.tight_end(s.span);
                let one_line = rules.len() <= 1
                    && !self.multiline(s.span.start as usize, end)
                    && !self.has_comment(from, end);
                if one_line {
                    // Spaces that align the `{` of a table of one-line scenarios are kept.
                    let gap = &self.src[from..self.find(from, b'{')];
                    if gap.bytes().all(|b| b == b' ') {
                        self.put(gap);
                    }
                }
                if one_line && rules.len() == 1 {
                    self.compact(from, rules, |r| r.span, Self::rule);
                } else {
                    self.block(from, rules, |r| r.span, Self::rule, |prev, next| {
                        matches!(&prev.kind, RuleKind::When { fault, .. } if fault.retry_after.is_none())
                            && matches!(&next.kind, RuleKind::Call { name, .. } if name.text == "retry_after")
                    });
                }
            }
        }
    }

    pub(super) fn scenario_expr(&mut self, e: &ScenarioExpr) {
        for (i, part) in e.parts.iter().enumerate() {
            if i > 0 {
                self.kw("+", part.span);
                self.sp();
            }
            self.name(part);
        }
    }

    pub(super) fn rule(&mut self, rule: &crate::ast::Rule) {
        match &rule.kind {
            RuleKind::Call { name, args } => {
                self.name(name);
                self.put("(");
                self.args(args, |a| a.name.as_ref(), |p, a| p.fault(&a.value));
                let close = self.find(
                    args.last()
                        .map_or(name.span.end as usize, |a| self.tight_end(a.span)),
                    b')',
                );
                self.token(")", close, close + 1);
            }
            RuleKind::When { condition, fault } => {
                self.put("when");
                self.sp();
                self.expr(condition);
                self.kw("=>", fault.span);
                self.sp();
                self.fault(fault);
            }
        }
    }

    pub(super) fn fault(&mut self, f: &FaultExpr) {
        self.expr(&f.value);
        if let Some(after) = &f.retry_after {
            self.kw("retry_after", after.span);
            self.sp();
            self.expr(after);
        }
    }

    // ── Profiles ──

    /// A stage block: on one line when it has no comment and holds only `users` and
    /// `iterations` stages, or a single stage other than `repeat`.
    pub(super) fn stages(&mut self, from: usize, stages: &[Stage]) {
        let short = stages.iter().all(|s| {
            s.mods.is_empty() && matches!(s.kind, StageKind::Users(_) | StageKind::Iterations(_))
        }) || matches!(stages, [one] if !matches!(one.kind, StageKind::Repeat { .. }));
        if short && !self.braces_have_comment(from) {
            self.compact(from, stages, |s| s.span, Self::stage);
        } else {
            self.block(
                from,
                stages,
                |s| s.span,
                Self::stage,
                |prev, next| {
                    matches!(
                        prev.kind,
                        StageKind::Hold { .. }
                            | StageKind::RampUsers { .. }
                            | StageKind::RampRate { .. }
                            | StageKind::Rate { .. }
                            | StageKind::Pause(_)
                    ) && matches!(next.kind, StageKind::Limit(_) | StageKind::MaxUsers(_))
                },
            );
        }
    }

    pub(super) fn stage(&mut self, stage: &Stage) {
        match &stage.kind {
            StageKind::Users(e) => {
                self.put("users");
                self.sp();
                self.expr(e);
            }
            StageKind::Iterations(e) => {
                self.put("iterations");
                self.sp();
                self.expr(e);
            }
            StageKind::Hold { users, duration } => {
                self.put("hold");
                self.sp();
                self.expr(users);
                self.kw("users for", duration.span);
                self.sp();
                self.expr(duration);
            }
            StageKind::RampUsers { to, over } => {
                self.put("ramp to");
                self.sp();
                self.expr(to);
                self.kw("users over", over.span);
                self.sp();
                self.expr(over);
            }
            StageKind::RampRate { to, over } => {
                self.put("ramp rate to");
                self.sp();
                self.expr(to);
                self.kw("over", over.span);
                self.sp();
                self.expr(over);
            }
            StageKind::Rate { rate, duration } => {
                self.put("rate");
                self.sp();
                self.expr(rate);
                self.kw("for", duration.span);
                self.sp();
                self.expr(duration);
            }
            StageKind::Pause(e) => {
                self.put("pause");
                self.sp();
                self.expr(e);
            }
            StageKind::Repeat { count, stages } => {
                self.put("repeat");
                self.sp();
                self.expr(count);
                self.stages(count.span.end as usize, stages);
            }
            StageKind::MaxUsers(e) => {
                self.put("max users");
                self.sp();
                self.expr(e);
            }
            StageKind::Limit(e) => {
                self.put("limit");
                self.sp();
                self.expr(e);
            }
        }
        for m in &stage.mods {
            match &m.kind {
                StageModKind::Limit(e) => {
                    self.kw("limit", m.span);
                    self.sp();
                    self.expr(e);
                }
                StageModKind::MaxUsers(e) => {
                    self.kw("max users", m.span);
                    self.sp();
                    self.expr(e);
                }
                StageModKind::As(name) => {
                    self.kw("as", m.span);
                    self.sp();
                    self.name(name);
                }
            }
        }
    }
}
