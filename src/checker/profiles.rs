//! `check` for load profiles: stages, their order, modifiers and named phases.

use super::check::{Checker, Place};
use super::error::CheckError;
use super::types::Ty;
use crate::ast::*;
use crate::source::Span;

impl<'a> Checker<'a> {
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
}
