//! One `request` step (and the rounds of a `poll`): build the request from its expressions
//! once, then per attempt: count the call, apply the fault rule that fires (delay, synthesized
//! status, timeout, connection error), send, judge (`check`s, or status ≥ 400 without
//! checks), capture, emit an `Attempt`, and retry per the policy with backoff, jitter and
//! `Retry-After`.
//!
//! Latency runs from the intended start: the open model's scheduled instant for the first
//! attempt of an iteration's first request, the actual start otherwise. An injected delay is
//! part of it, and counts against the request's `timeout` as a slow provider's would.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::time::{Instant, sleep, sleep_until};

use crate::eval::{Env, Record, Response, Value, eval, json_into, render_into};
use crate::metrics::{Attempt, CaptureValue, ErrorClass, Injected};
use crate::plan::{Body, OnFailure, Poll, Request};
use crate::units::Duration;

use super::client::{Payload, Prepared, Received, form_encode};
use super::fault::Effect;
use super::worker::{Failure, Flow, IterState};
use super::{Ctx, Event, TargetEntry, retry};

/// How a request (all its attempts) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Done {
    Ok,
    Failed(Failure),
    /// The cost budget was crossed.
    Budget,
}

/// A `request` step.
pub(crate) async fn request_step(
    ctx: &Ctx,
    env: &mut Env,
    it: &mut IterState,
    req: &Request,
) -> Flow {
    let start = Instant::now();
    it.last_check_failed = None;
    let done = send_with_retries(ctx, env, it, req, None).await;
    it.step_durations_us.push((req.step, elapsed_us(start)));
    match done {
        Done::Ok => Flow::Next,
        Done::Budget => Flow::Stop,
        Done::Failed(failure) => {
            it.fail(failure);
            match req.on_failure {
                OnFailure::Continue => Flow::Next,
                OnFailure::Stop => {
                    it.ended_by_check = it.last_check_failed;
                    Flow::Stop
                }
            }
        }
    }
}

/// A `poll` step: rounds every `every` until `until` holds, failing as a timeout at `within`.
/// A failed round (an error status, a failed check) is recorded and polling goes on.
pub(crate) async fn poll_step(ctx: &Ctx, env: &mut Env, it: &mut IterState, poll: &Poll) -> Flow {
    let start = Instant::now();
    let deadline = start + poll.within.to_std();
    let met = loop {
        let round = {
            let send = send_with_retries(ctx, env, it, &poll.request, Some(deadline));
            tokio::select! {
                biased;
                done = send => Some(done),
                _ = sleep_until(deadline) => None,
            }
        };
        it.in_retry = false;
        match round {
            None => break Some(false),
            Some(Done::Budget) => break None,
            Some(Done::Ok | Done::Failed(_)) => {}
        }
        match eval(&poll.until, env) {
            Ok(v) if v.truthy() => break Some(true),
            Ok(_) => {}
            Err(e) => ctx.eval_error(format!("poll {} until: {e}", poll.request.name)),
        }
        let next = Instant::now() + poll.every.to_std();
        if next >= deadline {
            sleep_until(deadline).await;
            break Some(false);
        }
        sleep_until(next).await;
    };
    it.step_durations_us
        .push((poll.request.step, elapsed_us(start)));
    match met {
        None => Flow::Stop,
        Some(true) => Flow::Next,
        Some(false) => {
            it.fail(Failure::Timeout);
            match poll.request.on_failure {
                OnFailure::Continue => Flow::Next,
                OnFailure::Stop => Flow::Stop,
            }
        }
    }
}

fn elapsed_us(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// What one attempt gave, for the retry decision.
struct Tried {
    failed: bool,
    status: Option<u16>,
    error: Option<ErrorClass>,
    retry_after: Option<Duration>,
}

/// All attempts of one request. `deadline` (a poll's) caps each attempt's timeout.
async fn send_with_retries(
    ctx: &Ctx,
    env: &mut Env,
    it: &mut IterState,
    req: &Request,
    deadline: Option<Instant>,
) -> Done {
    let (prepared, target) = match prepare(ctx, env, req) {
        Ok(p) => p,
        Err(message) => {
            ctx.eval_error(format!("request {}: {message}", req.name));
            return Done::Failed(Failure::Other);
        }
    };
    let policy = req.retry.as_ref().or(ctx.workload().retry.as_ref());
    let max_retries = policy.map_or(0, |p| p.attempts);
    let cost_limit = ctx.workload().budget.cost.map(|m| m.0);
    let mut prepared = Some(prepared);
    let mut attempt = 0u32;
    let done = loop {
        let copy = if attempt < max_retries {
            prepared.as_ref().map(Prepared::duplicate)
        } else {
            prepared.take()
        };
        let Some(copy) = copy else {
            break Done::Failed(Failure::Other);
        };
        let tried = one_attempt(ctx, env, it, req, &target, copy, attempt, deadline).await;
        if cost_limit.is_some_and(|limit| it.cost > limit) {
            it.exceed_budget();
            break Done::Budget;
        }
        if !tried.failed {
            break Done::Ok;
        }
        let failure = if tried.error == Some(ErrorClass::Timeout) {
            Failure::Timeout
        } else {
            Failure::Other
        };
        let Some(policy) = policy.filter(|_| attempt < max_retries) else {
            break Done::Failed(failure);
        };
        let Some(reason) = retry::reason(policy, tried.status, tried.error) else {
            break Done::Failed(failure);
        };
        it.retried(reason);
        it.in_retry = true;
        let wait = retry::delay(policy, attempt + 1, tried.retry_after, &mut env.rng);
        sleep(wait.to_std()).await;
        attempt += 1;
    };
    it.in_retry = false;
    done
}

/// Evaluates the request's parts into a sendable request.
fn prepare(
    ctx: &Ctx,
    env: &mut Env,
    req: &Request,
) -> Result<(Prepared, Arc<TargetEntry>), String> {
    let target = ctx
        .targets
        .get(&req.target)
        .ok_or_else(|| format!("no URL for target `{}`", req.target))?
        .clone();
    let mut url = String::with_capacity(target.base.len() + 64);
    url.push_str(&target.base);
    let path_start = url.len();
    render_into(&req.path, env, &mut url).map_err(|e| format!("path: {e}"))?;
    if !url[path_start..].starts_with('/') {
        url.insert(path_start, '/');
    }
    let query = match &req.query {
        None => Vec::new(),
        Some(expr) => pairs(&eval(expr, env).map_err(|e| format!("query: {e}"))?)
            .map_err(|e| format!("query: {e}"))?,
    };
    let mut headers = Vec::with_capacity(req.headers.len());
    for (name, value) in &req.headers {
        let mut n = String::new();
        let mut v = String::new();
        render_into(name, env, &mut n).map_err(|e| format!("header name: {e}"))?;
        render_into(value, env, &mut v).map_err(|e| format!("header `{n}`: {e}"))?;
        headers.push((n, v));
    }
    let body = match &req.body {
        Body::None => None,
        Body::Json(expr) => {
            let mut bytes = Vec::with_capacity(256);
            json_into(expr, env, &mut bytes).map_err(|e| format!("json body: {e}"))?;
            Some(Payload {
                bytes,
                content_type: "application/json",
            })
        }
        Body::Text(expr) => {
            let mut text = String::new();
            render_into(expr, env, &mut text).map_err(|e| format!("body: {e}"))?;
            Some(Payload {
                bytes: text.into_bytes(),
                content_type: "text/plain; charset=utf-8",
            })
        }
        Body::Form(expr) => {
            let fields = pairs(&eval(expr, env).map_err(|e| format!("form: {e}"))?)
                .map_err(|e| format!("form: {e}"))?;
            Some(Payload {
                bytes: form_encode(&fields).into_bytes(),
                content_type: "application/x-www-form-urlencoded",
            })
        }
    };
    let prepared =
        ctx.client
            .prepare(&target.endpoint, &req.method, &url, &query, &headers, body)?;
    Ok((prepared, target))
}

/// An object's entries as text pairs; a list value repeats its key, `none` is left out.
fn pairs(value: &Value) -> Result<Vec<(String, String)>, String> {
    let Value::Object(entries) = value else {
        return Err(format!("expected an object, found {}", value.type_name()));
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries.iter() {
        match value {
            Value::Null => {}
            Value::List(items) => out.extend(items.iter().map(|v| (key.clone(), v.to_string()))),
            other => out.push((key.clone(), other.to_string())),
        }
    }
    Ok(out)
}

/// One attempt: fault, send, judge, capture, emit.
#[allow(clippy::too_many_arguments)]
async fn one_attempt(
    ctx: &Ctx,
    env: &mut Env,
    it: &mut IterState,
    req: &Request,
    target: &TargetEntry,
    prepared: Prepared,
    attempt: u32,
    deadline: Option<Instant>,
) -> Tried {
    let call = ctx.next_call();
    let sent = Instant::now();
    let intended = match attempt {
        0 => it.pending_intended.take().map_or(sent, |p| p.min(sent)),
        _ => sent,
    };
    let sent_us = ctx.us(sent);
    let timeout = match deadline {
        Some(d) => req
            .timeout
            .min(Duration::from_std(d.saturating_duration_since(sent))),
        None => req.timeout,
    };
    let decision = ctx.faults.as_ref().and_then(|faults| {
        let record = Record {
            call,
            attempt,
            user: env.user,
            iteration: env.iteration,
            step: &req.name,
            status: None,
            latency_us: 0,
            injected: false,
            fault: None,
            captures: &[],
            capture_names: &[],
        };
        faults.decide(sent_us, &record)
    });
    let (delay, effect) = decision
        .as_ref()
        .map_or((Duration::ZERO, Effect::Send), |d| d.effect(timeout));
    // The request's timeout bounds the whole attempt, injected delay included, as it would a
    // slow provider: a delay that reaches it ends the attempt as a timeout at the timeout.
    // (A `timeout` fault has no delay here; it lasts its own time.)
    let effect = if delay > Duration::ZERO && delay >= timeout {
        Effect::Timeout(timeout)
    } else {
        if delay > Duration::ZERO {
            sleep(delay.to_std()).await;
        }
        effect
    };
    let remaining = Duration(timeout.0.saturating_sub(delay.0));
    let outcome: Result<Received, ErrorClass> = match effect {
        Effect::Send => {
            let result = ctx
                .client
                .send(prepared, remaining, ctx.read_headers, ctx.read_body)
                .await;
            let counter = match &result {
                Ok(_) => &target.responses,
                Err(ErrorClass::Connect) => &target.connect_errors,
                Err(_) => &target.other_errors,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            result
        }
        Effect::Respond {
            status,
            retry_after,
        } => Ok(synthesized(status, retry_after, ctx.read_headers)),
        Effect::Timeout(wait) => {
            sleep(wait.to_std()).await;
            Err(ErrorClass::Timeout)
        }
        Effect::Connect => Err(ErrorClass::Connect),
        Effect::Reset => Err(ErrorClass::Reset),
    };
    let done = Instant::now();
    let latency_us =
        u64::try_from(done.saturating_duration_since(intended).as_micros()).unwrap_or(u64::MAX);
    let (status, mut error, retry_after, response) = match outcome {
        Ok(r) => (
            Some(r.status),
            None,
            r.retry_after,
            Response::new(Some(r.status), r.headers, r.body, latency_us),
        ),
        Err(class) => (
            None,
            Some(class),
            None,
            Response::new(None, Vec::new(), Vec::new(), latency_us),
        ),
    };
    let response = Arc::new(response);
    env.current = Some(response.clone());
    if let Some(slot) = env.last.get_mut(req.step) {
        *slot = Some(response);
    }
    // Checks run in order; the first that fails (false, or cannot be evaluated) fails the
    // attempt and the ones after it are not evaluated.
    let mut checks_passed = 0u32;
    let mut check_failed = None;
    if error.is_none() {
        if req.checks.is_empty() {
            if status.is_some_and(|s| s >= 400) {
                error = Some(ErrorClass::Status);
            }
        } else {
            for (index, check) in req.checks.iter().enumerate() {
                match eval(check, env) {
                    Ok(v) if v.truthy() => checks_passed += 1,
                    Ok(_) => {
                        error = Some(ErrorClass::Check);
                        check_failed = Some(index);
                        break;
                    }
                    Err(e) => {
                        ctx.eval_error(format!("request {} check: {e}", req.name));
                        error = Some(ErrorClass::Check);
                        check_failed = Some(index);
                        break;
                    }
                }
            }
        }
    }
    it.last_check_failed = check_failed.map(|i| (req.step, i));
    // A capture that reads `json` from a body that is not JSON fails the attempt as
    // `body_parse`: a `200` with an HTML error page is not a success with nothing captured.
    if error.is_none()
        && env.current.as_ref().is_some_and(|r| !r.body_is_json())
        && req
            .captures
            .iter()
            .any(|(_, e)| super::expr_reads(e, &|f| matches!(f, crate::plan::ResponseField::Json)))
    {
        error = Some(ErrorClass::BodyParse);
    }
    let mut captures = Vec::new();
    for (index, expr) in &req.captures {
        let value = match eval(expr, env) {
            Ok(Value::Number(n)) if n.is_finite() => CaptureValue::Number(n),
            Ok(Value::Bool(b)) => CaptureValue::Bool(b),
            Ok(_) => continue,
            Err(e) => {
                // A failed attempt (no response, an error status) often lacks what a capture
                // reads: expected, not worth reporting.
                if error.is_none() {
                    ctx.eval_error(format!("request {} capture: {e}", req.name));
                }
                continue;
            }
        };
        if let (CaptureValue::Number(n), true) = (value, ctx.cost_capture == Some(*index)) {
            it.cost += n;
        }
        captures.push((*index, value));
    }
    let failed = error.is_some();
    ctx.emit(Event::Attempt(Attempt {
        scenario: ctx.scenario,
        step: req.step,
        phase: it.phase,
        user: env.user,
        iteration: env.iteration,
        call,
        attempt,
        intended_us: ctx.us(intended),
        sent_us,
        done_us: ctx.us(done),
        active_users: u32::try_from(ctx.live_users.load(std::sync::atomic::Ordering::Relaxed))
            .unwrap_or(u32::MAX),
        status,
        error,
        failed,
        injected: decision.map(|d| Injected {
            rule: d.rule,
            fault: d.fault,
        }),
        captures,
        checks_passed,
        check_failed: check_failed.and_then(|i| u32::try_from(i).ok()),
    }));
    Tried {
        failed,
        status,
        error,
        retry_after,
    }
}

/// The response an injected status fault answers with: empty body, `Retry-After` when given.
fn synthesized(status: u16, retry_after: Option<Duration>, read_headers: bool) -> Received {
    let mut headers = Vec::new();
    if let (Some(wait), true) = (retry_after, read_headers) {
        headers.push((
            "retry-after".to_string(),
            wait.0.div_ceil(1_000_000).to_string(),
        ));
    }
    Received {
        status,
        headers,
        retry_after,
        body: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_queries_encode_like_browsers() {
        let fields = vec![
            ("user".to_string(), "a b".to_string()),
            ("x".to_string(), "é&=".to_string()),
        ];
        assert_eq!(form_encode(&fields), "user=a+b&x=%C3%A9%26%3D");
        let v = Value::object(vec![
            ("page".into(), Value::Number(1.0)),
            ("tag".into(), Value::list(vec!["a".into(), "b".into()])),
            ("skip".into(), Value::Null),
        ]);
        assert_eq!(
            pairs(&v).unwrap(),
            vec![
                ("page".into(), "1".into()),
                ("tag".into(), "a".into()),
                ("tag".into(), "b".into())
            ]
        );
        assert!(pairs(&Value::from("x")).is_err());
    }

    #[test]
    fn injected_statuses_carry_retry_after() {
        let r = synthesized(429, Some(Duration::from_millis(1500)), true);
        assert_eq!(
            r.headers,
            vec![("retry-after".to_string(), "2".to_string())]
        );
        assert_eq!(r.retry_after, Some(Duration::from_millis(1500)));
        assert!(synthesized(503, None, true).headers.is_empty());
    }
}
