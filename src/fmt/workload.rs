//! Workloads: steps, requests and their statements, `poll` clauses and `retry` blocks.

use crate::ast::*;

use super::WIDTH;
use super::flat::{flat, poll_word};
use super::printer::Printer;

impl Printer<'_> {
    // ── Workloads ──

    pub(super) fn steps(&mut self, from: usize, steps: &[Step]) {
        self.block(from, steps, |s| s.span, Self::step, |_, _| false);
    }

    pub(super) fn step(&mut self, step: &Step) {
        match &step.kind {
            StepKind::Request(r) => self.request("request", r),
            StepKind::Poll(poll) => self.poll(poll),
            StepKind::Think(e) => {
                self.put("think");
                self.sp();
                self.expr(e);
            }
            StepKind::Repeat { count, var, steps } => {
                self.put("repeat");
                self.sp();
                self.expr(count);
                let mut from = count.span.end as usize;
                if let Some(var) = var {
                    self.kw("as", var.span);
                    self.sp();
                    self.name(var);
                    from = var.span.end as usize;
                }
                self.steps(from, steps);
            }
            StepKind::Set { name, value } => {
                self.put("set");
                self.sp();
                self.name(name);
                self.kw("=", value.span);
                self.sp();
                self.expr(value);
            }
            StepKind::Probability { probability, steps } => {
                self.put("with probability");
                self.sp();
                self.expr(probability);
                self.steps(probability.span.end as usize, steps);
            }
            StepKind::Choose(arms) => {
                self.put("choose");
                self.block(
                    step.span.start as usize,
                    arms,
                    |a| a.span,
                    |p, arm| {
                        p.expr(&arm.weight);
                        p.put(":");
                        p.steps(arm.weight.span.end as usize, &arm.steps);
                    },
                    |_, _| false,
                );
            }
            StepKind::Retry(retry) => self.retry(retry),
            StepKind::Budget(items) => {
                self.put("budget");
                let from = step.span.start as usize;
                let item = |p: &mut Self, b: &BudgetItem| {
                    p.put(match b.kind {
                        BudgetKind::Time => "time",
                        BudgetKind::Cost => "cost",
                    });
                    p.sp();
                    p.expr(&b.value);
                };
                if self.braces_have_comment(from) {
                    self.block(from, items, |b| b.span, item, |_, _| false);
                } else {
                    self.compact(from, items, |b| b.span, item);
                }
            }
        }
    }

    /// `request NAME: METHOD TARGET path { … }` (also the head of a `poll`).
    pub(super) fn request(&mut self, keyword: &str, r: &Request) {
        self.put(keyword);
        self.sp();
        self.name(&r.name);
        self.put(":");
        self.sp();
        self.name(&r.method);
        self.sp();
        self.name(&r.target);
        self.sp();
        self.expr(&r.path);
        if !r.stmts.is_empty() {
            self.block(
                r.path.span.end as usize,
                &r.stmts,
                |s| s.span,
                Self::request_stmt,
                |_, _| false,
            );
        }
    }

    pub(super) fn poll(&mut self, poll: &Poll) {
        self.request("poll", &poll.request);
        let Some(last) = poll.clauses.last() else {
            return;
        };
        let region_end = self.tight_end(last.span);
        let width: usize = poll
            .clauses
            .iter()
            .map(|c| 2 + poll_word(c.kind).len() + flat(self.src, &c.value).chars().count())
            .sum();
        let inline = !self.has_comment(self.last, region_end)
            && !poll
                .clauses
                .iter()
                .any(|c| self.multiline(c.value.span.start as usize, c.value.span.end as usize))
            && self.col() + width <= WIDTH;
        for clause in &poll.clauses {
            if inline {
                self.kw(poll_word(clause.kind), clause.value.span);
            } else {
                self.end_line();
                self.cont = 2;
                self.flush(clause.span.start as usize);
                self.put(poll_word(clause.kind));
            }
            self.sp();
            self.expr(&clause.value);
        }
    }

    pub(super) fn request_stmt(&mut self, stmt: &RequestStmt) {
        let (word, value) = match &stmt.kind {
            RequestStmtKind::Header { name, value } => {
                self.put("header");
                self.sp();
                self.expr(name);
                self.kw("=", value.span);
                self.sp();
                self.expr(value);
                return;
            }
            RequestStmtKind::Capture { name, value } => {
                self.put("capture");
                self.sp();
                self.name(name);
                self.kw("=", value.span);
                self.sp();
                self.expr(value);
                return;
            }
            RequestStmtKind::Retry(retry) => return self.retry(retry),
            RequestStmtKind::OnFailure(action) => {
                self.put("on failure");
                self.sp();
                self.name(action);
                return;
            }
            RequestStmtKind::Query(e) => ("query", e),
            RequestStmtKind::Json(e) => ("json", e),
            RequestStmtKind::Body(e) => ("body", e),
            RequestStmtKind::Form(e) => ("form", e),
            RequestStmtKind::Timeout(e) => ("timeout", e),
            RequestStmtKind::Check(e) => ("check", e),
        };
        self.put(word);
        self.sp();
        self.expr(value);
    }

    pub(super) fn retry(&mut self, retry: &Retry) {
        self.put("retry");
        self.block(
            retry.span.start as usize,
            &retry.stmts,
            |s| s.span,
            |p, stmt| match &stmt.kind {
                RetryStmtKind::Attempts(e) => {
                    p.put("attempts");
                    p.sp();
                    p.expr(e);
                }
                RetryStmtKind::On(items) => {
                    p.put("on");
                    for (i, e) in items.iter().enumerate() {
                        if i > 0 {
                            p.put(",");
                        }
                        p.sp();
                        p.expr(e);
                    }
                }
                RetryStmtKind::Backoff { backoff, jitter } => {
                    p.put("backoff");
                    p.sp();
                    p.expr(backoff);
                    if let Some(j) = jitter {
                        p.kw("jitter", j.span);
                        p.sp();
                        p.name(j);
                    }
                }
                RetryStmtKind::Jitter(j) => {
                    p.put("jitter");
                    p.sp();
                    p.name(j);
                }
                RetryStmtKind::RespectRetryAfter(respect) => {
                    p.put(if *respect {
                        "respect retry_after"
                    } else {
                        "ignore retry_after"
                    });
                }
            },
            |prev, next| {
                matches!(prev.kind, RetryStmtKind::Backoff { jitter: None, .. })
                    && matches!(next.kind, RetryStmtKind::Jitter(_))
            },
        );
    }
}
