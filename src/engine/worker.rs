//! One iteration of the workload for one VU: walks the steps (`think`, `repeat`, `set`,
//! `with probability`, `choose`; requests and polls are in `request.rs`), enforces the
//! iteration's budget, decides its outcome and emits an `Iteration`.
//!
//! Outcome rules (docs/language.md §7.3, "Failures and outcomes"): `budget_exceeded` when the time or cost budget was crossed;
//! otherwise, if any request failed after its retries (also under `on failure continue`, which
//! only lets the iteration go on), `timeout` when the last failure was a timeout and `failed`
//! otherwise; else `success`. A step whose expression cannot be evaluated (`set`, a `repeat`
//! count, a request's URL, headers or body) fails the iteration like a failed request.
//!
//! The time budget is a deadline on the whole iteration: when it passes, the step in progress
//! is abandoned (an attempt in flight is dropped and not reported) and the outcome is
//! `budget_exceeded`, counted as during a retry when a retry was pending or in flight. The
//! cost budget is checked after each attempt's captures.

use std::future::Future;
use std::pin::Pin;

use rand::Rng;
use tokio::time::{Instant, sleep, sleep_until};

use crate::eval::{Env, Value, eval};
use crate::metrics::Iteration;
use crate::plan::{Outcome, RetryOn, Step};
use crate::units::Duration;

use super::{Ctx, Event, request};

/// Whether the iteration goes on after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Next,
    Stop,
}

/// The kind of an iteration's failure, for the `timeout` outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    Timeout,
    Other,
}

/// What one iteration has done so far.
#[derive(Debug)]
pub(crate) struct IterState {
    pub phase: Option<usize>,
    /// The intended start of the first request (open model), consumed by its first attempt.
    pub pending_intended: Option<Instant>,
    pub retries: u32,
    pub retries_by: Vec<(RetryOn, u32)>,
    pub cost: f64,
    pub last_failure: Option<Failure>,
    pub budget_exceeded: bool,
    pub budget_exceeded_during_retry: bool,
    /// A retry is pending or in flight (for `budget_exceeded_during_retry`).
    pub in_retry: bool,
    pub step_durations_us: Vec<(usize, u64)>,
    /// The check that failed the latest attempt: (step, check index); `None` when it held.
    pub last_check_failed: Option<(usize, usize)>,
    /// The failed check that stopped the iteration (see `Iteration::ended_by_check`).
    pub ended_by_check: Option<(usize, usize)>,
    /// The `think` steps a failed step made the iteration skip (see [`Ended`]).
    pub skipped_think: std::time::Duration,
}

/// How an iteration ended, for the VU's pacing (`super::pacing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ended {
    /// The outcome was not `success`.
    pub failed: bool,
    /// How long the iteration ran.
    pub elapsed: std::time::Duration,
    /// The think time of the `think` steps after the step that stopped the iteration (in the
    /// block that stopped and each block around it), drawn as they would have been.
    pub skipped_think: std::time::Duration,
}

impl IterState {
    fn new(phase: Option<usize>, scheduled: Option<Instant>) -> Self {
        IterState {
            phase,
            pending_intended: scheduled,
            retries: 0,
            retries_by: Vec::new(),
            cost: 0.0,
            last_failure: None,
            budget_exceeded: false,
            budget_exceeded_during_retry: false,
            in_retry: false,
            step_durations_us: Vec::new(),
            last_check_failed: None,
            ended_by_check: None,
            skipped_think: std::time::Duration::ZERO,
        }
    }

    pub(crate) fn fail(&mut self, failure: Failure) {
        self.last_failure = Some(failure);
    }

    pub(crate) fn retried(&mut self, reason: RetryOn) {
        self.retries += 1;
        match self.retries_by.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => self.retries_by.push((reason, 1)),
        }
    }

    pub(crate) fn exceed_budget(&mut self) {
        self.budget_exceeded = true;
        self.budget_exceeded_during_retry |= self.in_retry;
    }

    fn outcome(&self) -> Outcome {
        match (self.budget_exceeded, self.last_failure) {
            (true, _) => Outcome::BudgetExceeded,
            (false, Some(Failure::Timeout)) => Outcome::Timeout,
            (false, Some(Failure::Other)) => Outcome::Failed,
            (false, None) => Outcome::Success,
        }
    }
}

/// Runs one iteration and emits it. `scheduled` is the open model's intended start.
/// Cancellation is the caller's: it drops this future (a VU's whole loop, or an arrival),
/// and nothing is emitted for the cut iteration. (Selecting on the token here would register
/// a waiter with it on every iteration, which costs more than the rest of the bookkeeping.)
pub(crate) async fn iteration(
    ctx: &Ctx,
    env: &mut Env,
    phase: Option<usize>,
    scheduled: Option<Instant>,
) -> Ended {
    let number = env.iteration;
    env.start_iteration(number);
    let stage = phase.and_then(|i| ctx.profile().phases.get(i));
    let stage = stage.map_or("", String::as_str);
    if *env.stage != *stage {
        env.stage = stage.into();
    }
    let started = Instant::now();
    let mut it = IterState::new(phase, scheduled);
    let budget_at = ctx.workload().budget.time.map(|d| started + d.to_std());
    let steps = &ctx.workload().steps;
    let finished = match budget_at {
        None => {
            run_steps(ctx, env, &mut it, steps).await;
            true
        }
        Some(at) => tokio::select! {
            biased;
            _ = sleep_until(at) => false,
            _ = run_steps(ctx, env, &mut it, steps) => true,
        },
    };
    if !finished {
        it.exceed_budget();
    }
    let done = Instant::now();
    let outcome = it.outcome();
    let ended = Ended {
        failed: outcome != Outcome::Success,
        elapsed: done.saturating_duration_since(started),
        skipped_think: it.skipped_think,
    };
    env.iteration = number + 1;
    ctx.emit(Event::Iteration(Iteration {
        scenario: ctx.scenario,
        phase,
        user: env.user,
        iteration: number,
        intended_us: ctx.us(scheduled.unwrap_or(started).min(started)),
        started_us: ctx.us(started),
        done_us: ctx.us(done),
        outcome,
        retries: it.retries,
        retries_by: it.retries_by,
        cost: it.cost,
        budget_exceeded_during_retry: it.budget_exceeded_during_retry,
        step_durations_us: it.step_durations_us,
        ended_by_check: it.ended_by_check,
    }));
    ended
}

type StepsFuture<'a> = Pin<Box<dyn Future<Output = Flow> + Send + 'a>>;

/// Runs a block of steps. The top-level block runs inline in the VU's task; a nested block
/// (`repeat`, `with probability`, `choose`) is boxed ([`nested`]), as blocks nest. (Boxing
/// every block allocated and copied the whole request future once per iteration.)
async fn run_steps(ctx: &Ctx, env: &mut Env, it: &mut IterState, steps: &[Step]) -> Flow {
    for (i, step) in steps.iter().enumerate() {
        if run_step(ctx, env, it, step).await == Flow::Stop {
            // A failed iteration still owes the think time it skipped: the VU waits it
            // before its next iteration (`pacing`), so a failing target is not hammered.
            for rest in &steps[i + 1..] {
                match rest {
                    Step::Think { min, max } => {
                        it.skipped_think += think_pause(env, *min, *max).to_std();
                    }
                    // One that cannot be evaluated owes nothing.
                    Step::ThinkExpr { pause } => {
                        if let Ok(pause) = think_value(pause, env) {
                            it.skipped_think += pause.to_std();
                        }
                    }
                    _ => {}
                }
            }
            return Flow::Stop;
        }
    }
    Flow::Next
}

/// One draw of a `think min..max` pause.
fn think_pause(env: &mut Env, min: Duration, max: Duration) -> Duration {
    if max > min {
        Duration(env.rng.random_range(min.0..=max.0))
    } else {
        min
    }
}

/// The pause of a `think EXPR`: a duration (µs) of at least 0, else why not.
fn think_value(pause: &crate::plan::Expr, env: &mut Env) -> Result<Duration, String> {
    match eval(pause, env) {
        Ok(Value::Number(us)) if us.is_finite() && us >= 0.0 => Ok(Duration(us.round() as u64)),
        Ok(Value::Number(us)) => Err(format!(
            "think time is {}, not a duration of at least 0",
            crate::units::trim(us / 1000.0, 3) + "ms"
        )),
        Ok(other) => Err(format!(
            "think time is {}, not a duration",
            other.type_name()
        )),
        Err(e) => Err(format!("think: {e}")),
    }
}

/// The probability of a `with probability EXPR` (a fraction), else why not.
fn probability_value(probability: &crate::plan::Expr, env: &mut Env) -> Result<f64, String> {
    match eval(probability, env) {
        Ok(Value::Number(p)) if (0.0..=1.0).contains(&p) => Ok(p),
        Ok(Value::Number(p)) => Err(format!(
            "probability is {}%, not between 0% and 100%",
            crate::units::trim(p * 100.0, 3)
        )),
        Ok(other) => Err(format!(
            "probability is {}, not a percentage",
            other.type_name()
        )),
        Err(e) => Err(format!("with probability: {e}")),
    }
}

/// A nested block of steps.
fn nested<'a>(
    ctx: &'a Ctx,
    env: &'a mut Env,
    it: &'a mut IterState,
    steps: &'a [Step],
) -> StepsFuture<'a> {
    Box::pin(run_steps(ctx, env, it, steps))
}

async fn run_step(ctx: &Ctx, env: &mut Env, it: &mut IterState, step: &Step) -> Flow {
    match step {
        Step::Request(req) => request::request_step(ctx, env, it, req).await,
        Step::Poll(poll) => request::poll_step(ctx, env, it, poll).await,
        Step::Think { min, max } => {
            let pause = think_pause(env, *min, *max);
            // An open-model iteration that thinks first: its first request is due later.
            if let Some(intended) = &mut it.pending_intended {
                *intended += pause.to_std();
            }
            sleep(pause.to_std()).await;
            Flow::Next
        }
        Step::ThinkExpr { pause } => {
            let pause = match think_value(pause, env) {
                Ok(pause) => pause,
                Err(message) => return step_error(ctx, it, message),
            };
            if let Some(intended) = &mut it.pending_intended {
                *intended += pause.to_std();
            }
            sleep(pause.to_std()).await;
            Flow::Next
        }
        Step::Repeat { count, var, steps } => {
            let times = match eval(count, env) {
                Ok(Value::Number(n)) if n.is_finite() => n.max(0.0) as u64,
                Ok(other) => {
                    return step_error(
                        ctx,
                        it,
                        format!("repeat count is {}, not a number", other.type_name()),
                    );
                }
                Err(e) => return step_error(ctx, it, e.to_string()),
            };
            let saved = var.as_ref().and_then(|v| env.vars.get(v).cloned());
            let mut flow = Flow::Next;
            for i in 0..times {
                if let Some(var) = var {
                    env.vars.insert(var.clone(), Value::Number(i as f64));
                }
                flow = nested(ctx, env, it, steps).await;
                if flow == Flow::Stop {
                    break;
                }
            }
            if let Some(var) = var {
                match saved {
                    Some(value) => env.vars.insert(var.clone(), value),
                    None => env.vars.remove(var),
                };
            }
            flow
        }
        Step::Set { var, value } => match eval(value, env) {
            Ok(value) => {
                env.vars.insert(var.clone(), value);
                Flow::Next
            }
            Err(e) => step_error(ctx, it, format!("set {var}: {e}")),
        },
        Step::Probability { probability, steps } => {
            let probability = match probability_value(probability, env) {
                Ok(p) => p,
                Err(message) => return step_error(ctx, it, message),
            };
            if env.rng.random::<f64>() < probability {
                nested(ctx, env, it, steps).await
            } else {
                Flow::Next
            }
        }
        Step::Choose { arms } => {
            let draw = env.rng.random::<f64>();
            let mut acc = 0.0;
            let chosen = arms.iter().find(|(weight, _)| {
                acc += weight;
                draw < acc
            });
            // Weights sum to 1; rounding may leave the draw just past the last arm.
            match chosen.or(arms.last()) {
                Some((_, steps)) => nested(ctx, env, it, steps).await,
                None => Flow::Next,
            }
        }
    }
}

/// A step whose expression could not be evaluated: counted, and the iteration fails.
fn step_error(ctx: &Ctx, it: &mut IterState, message: String) -> Flow {
    ctx.eval_error(message);
    it.fail(Failure::Other);
    Flow::Stop
}
