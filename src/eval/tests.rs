//! Unit tests of expression evaluation with hand-built `plan::Expr` trees.

use super::*;
use std::collections::HashMap;
use std::sync::Arc;

use crate::plan::Fault;
use crate::samples::Injected;
use crate::samples::{Attempt, CaptureValue};
use rand::SeedableRng;

fn num(n: f64) -> Expr {
    Expr::Number(n)
}

fn s(text: &str) -> Expr {
    Expr::Str(text.to_string())
}

fn bin(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    }
}

fn field(base: Expr, name: &str) -> Expr {
    Expr::Field(Box::new(base), name.to_string())
}

fn env() -> Env {
    let mut data = HashMap::new();
    data.insert(
        "prompts".to_string(),
        Value::list(vec!["a".into(), "b".into(), "c".into()]),
    );
    let steps: Arc<[String]> = vec!["chat".to_string(), "poll".to_string()].into();
    Env::new(
        2,
        "baseline".into(),
        "t".into(),
        steps,
        Arc::new(data),
        ChaCha8Rng::seed_from_u64(7),
        Arc::new(Cursors::default()),
    )
}

fn with_response(env: &mut Env, status: u16, body: &str) {
    let headers = vec![("x-cache".to_string(), "HIT".to_string())];
    env.current = Some(Arc::new(Response::new(
        Some(status),
        headers,
        body.as_bytes().to_vec(),
        1500,
    )));
}

#[test]
fn arithmetic_and_templates() {
    let mut e = env();
    let tenant = Expr::Template(vec![
        s("tenant-"),
        bin(BinaryOp::Mod, Expr::Builtin(Builtin::User), num(3.0)),
    ]);
    assert_eq!(eval(&tenant, &mut e).unwrap(), Value::from("tenant-2"));
    let half = bin(BinaryOp::Div, num(3.0), num(2.0));
    assert_eq!(eval(&half, &mut e).unwrap(), Value::Number(1.5));
    assert_eq!(
        eval(&bin(BinaryOp::Div, num(1.0), num(0.0)), &mut e),
        Err(EvalError::DivisionByZero)
    );
    let concat = bin(BinaryOp::Add, s("n="), num(4.0));
    assert_eq!(eval(&concat, &mut e).unwrap(), Value::from("n=4"));
}

#[test]
fn missing_json_field_is_none_and_compares_false() {
    let mut e = env();
    with_response(
        &mut e,
        200,
        r#"{"usage":{"output_tokens":12},"content":[{"text":"hi"}]}"#,
    );
    let json = || Expr::Response(ResponseField::Json);
    let tokens = field(field(json(), "usage"), "output_tokens");
    assert_eq!(eval(&tokens, &mut e).unwrap(), Value::Number(12.0));
    let missing = bin(BinaryOp::Eq, field(field(json(), "nope"), "x"), num(1.0));
    assert_eq!(eval(&missing, &mut e).unwrap(), Value::Bool(false));
    let text = field(
        Expr::Index(Box::new(field(json(), "content")), Box::new(num(0.0))),
        "text",
    );
    assert_eq!(eval(&text, &mut e).unwrap(), Value::from("hi"));
    let cached = bin(
        BinaryOp::Eq,
        Expr::Response(ResponseField::Header(Box::new(s("X-Cache")))),
        s("HIT"),
    );
    assert_eq!(eval(&cached, &mut e).unwrap(), Value::Bool(true));
    let status_ok = bin(
        BinaryOp::Eq,
        Expr::Response(ResponseField::Status),
        num(200.0),
    );
    assert!(eval(&status_ok, &mut e).unwrap().truthy());
}

#[test]
fn type_errors_are_errors_not_panics() {
    let mut e = env();
    with_response(&mut e, 200, "not json");
    let cost = bin(
        BinaryOp::Mul,
        field(Expr::Response(ResponseField::Json), "usage"),
        num(2.0),
    );
    assert!(matches!(
        eval(&cost, &mut e),
        Err(EvalError::Types { op: "*", .. })
    ));
    assert!(matches!(
        eval(&bin(BinaryOp::Lt, s("a"), num(1.0)), &mut e),
        Err(EvalError::Types { .. })
    ));
    assert_eq!(
        eval(&Expr::Var("nope".into()), &mut e),
        Err(EvalError::UnknownVar("nope".into()))
    );
}

#[test]
fn lists_concatenate_and_step_responses_resolve() {
    let mut e = env();
    e.vars
        .insert("history".into(), Value::list(vec!["x".into()]));
    let more = bin(
        BinaryOp::Add,
        Expr::Var("history".into()),
        Expr::List(vec![s("y")]),
    );
    assert_eq!(
        eval(&more, &mut e).unwrap(),
        Value::list(vec!["x".into(), "y".into()])
    );
    let trace = field(
        Expr::StepResponse {
            step: "chat".into(),
            field: ResponseField::Json,
        },
        "id",
    );
    assert_eq!(
        eval(&trace, &mut e),
        Err(EvalError::NoResponse("chat".into()))
    );
    e.last[0] = Some(Arc::new(Response::new(
        Some(200),
        vec![],
        br#"{"id":"t1"}"#.to_vec(),
        0,
    )));
    assert_eq!(eval(&trace, &mut e).unwrap(), Value::from("t1"));
}

#[test]
fn seeded_functions_are_reproducible() {
    let pick = Expr::Call {
        func: Func::Pick,
        args: vec![Expr::Data("prompts".into())],
    };
    let id = Expr::Call {
        func: Func::Uuid,
        args: vec![],
    };
    let between = Expr::Call {
        func: Func::Uniform,
        args: vec![num(10.0), num(50.0)],
    };
    let filler = Expr::Call {
        func: Func::Words,
        args: vec![num(5.0)],
    };
    let run = || {
        let mut e = env();
        [&pick, &id, &between, &filler].map(|x| eval(x, &mut e).unwrap())
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    let uuid = a[1].as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4");
    let n = a[2].as_f64().unwrap();
    assert!((10.0..=50.0).contains(&n) && n.fract() == 0.0);
    assert_eq!(a[3].as_str().unwrap().split(' ').count(), 5);
    let range = bin(BinaryOp::Range, num(0.5), num(1.5));
    let v = eval(&range, &mut env()).unwrap().as_f64().unwrap();
    assert!((0.5..=1.5).contains(&v));
}

#[test]
fn next_is_a_round_robin_per_call_site_shared_by_the_vus() {
    // A call site is one expression node.
    let site_a = Expr::Call {
        func: Func::Next,
        args: vec![Expr::Data("prompts".into())],
    };
    let site_b = site_a.clone();
    let cursors = Arc::new(Cursors::default());
    let mut a = env();
    a.cursors = cursors.clone();
    let mut b = env();
    b.cursors = cursors;
    // Two VUs share site 0's counter: a, b, c, a, … whoever asks.
    let seq = vec![
        eval(&site_a, &mut a).unwrap(),
        eval(&site_a, &mut b).unwrap(),
        eval(&site_a, &mut a).unwrap(),
        eval(&site_a, &mut b).unwrap(),
    ];
    assert_eq!(seq, vec!["a".into(), "b".into(), "c".into(), "a".into()]);
    // Another call site has its own counter.
    assert_eq!(eval(&site_b, &mut a).unwrap(), Value::from("a"));
}

#[test]
fn next_on_a_shard_takes_every_nth_element_from_its_index() {
    let mut e = env();
    e.cursors = Arc::new(Cursors::new(1, 2)); // shard 1 of 2
    let next = Expr::Call {
        func: Func::Next,
        args: vec![Expr::Data("prompts".into())],
    };
    let seq: Vec<Value> = (0..3).map(|_| eval(&next, &mut e).unwrap()).collect();
    // Global positions 1, 3, 5 of [a, b, c].
    assert_eq!(seq, vec!["b".into(), "a".into(), "c".into()]);
}

#[test]
fn env_function_falls_back_to_default() {
    let mut e = env();
    let missing = Expr::Call {
        func: Func::Env,
        args: vec![s("STRESS_SURELY_UNSET_VAR"), s("dev")],
    };
    assert_eq!(eval(&missing, &mut e).unwrap(), Value::from("dev"));
    let no_default = Expr::Call {
        func: Func::Env,
        args: vec![s("STRESS_SURELY_UNSET_VAR")],
    };
    assert!(matches!(
        eval(&no_default, &mut e),
        Err(EvalError::EnvNotSet(_))
    ));
    let len = Expr::Call {
        func: Func::Len,
        args: vec![Expr::Data("prompts".into())],
    };
    assert_eq!(eval(&len, &mut e).unwrap(), Value::Number(3.0));
}

fn call(func: Func, args: Vec<Expr>) -> Expr {
    Expr::Call { func, args }
}

#[test]
fn string_functions_test_text_and_none_holds_nothing() {
    let mut e = env();
    with_response(&mut e, 200, r#"{"model":"gpt-mini","tags":["a","b"]}"#);
    let model = || field(Expr::Response(ResponseField::Json), "model");
    let t = |e: &mut Env, x: Expr| eval(&x, e).unwrap();
    assert_eq!(
        t(&mut e, call(Func::Contains, vec![model(), s("mini")])),
        Value::Bool(true)
    );
    assert_eq!(
        t(&mut e, call(Func::Contains, vec![model(), s("max")])),
        Value::Bool(false)
    );
    // A list holds an item.
    let tags = field(Expr::Response(ResponseField::Json), "tags");
    assert_eq!(
        t(&mut e, call(Func::Contains, vec![tags.clone(), s("b")])),
        Value::Bool(true)
    );
    assert_eq!(
        t(&mut e, call(Func::Contains, vec![tags, s("c")])),
        Value::Bool(false)
    );
    assert_eq!(
        t(&mut e, call(Func::StartsWith, vec![model(), s("gpt-")])),
        Value::Bool(true)
    );
    assert_eq!(
        t(&mut e, call(Func::StartsWith, vec![model(), s("mini")])),
        Value::Bool(false)
    );
    assert_eq!(
        t(&mut e, call(Func::EndsWith, vec![model(), s("mini")])),
        Value::Bool(true)
    );
    assert_eq!(
        t(&mut e, call(Func::EndsWith, vec![model(), s("gpt")])),
        Value::Bool(false)
    );
    // A missing header holds nothing: false, not an error.
    let absent = Expr::Response(ResponseField::Header(Box::new(s("x-absent"))));
    assert_eq!(
        t(&mut e, call(Func::Contains, vec![absent.clone(), s("a")])),
        Value::Bool(false)
    );
    assert_eq!(
        t(&mut e, call(Func::StartsWith, vec![absent, s("a")])),
        Value::Bool(false)
    );
    // A number is not text.
    assert!(matches!(
        eval(&call(Func::StartsWith, vec![num(12.0), s("1")]), &mut e),
        Err(EvalError::BadArgument {
            func: "starts_with",
            ..
        })
    ));
    assert!(matches!(
        eval(&call(Func::Contains, vec![model(), num(1.0)]), &mut e),
        Err(EvalError::BadArgument {
            func: "contains",
            ..
        })
    ));
}

#[test]
fn number_reads_a_string_or_fails_the_expression() {
    let mut e = env();
    let n = |e: &mut Env, x: Expr| eval(&call(Func::Number, vec![x]), e);
    assert_eq!(n(&mut e, s("42")).unwrap(), Value::Number(42.0));
    assert_eq!(n(&mut e, s(" -2.5 ")).unwrap(), Value::Number(-2.5));
    assert_eq!(n(&mut e, s("1e3")).unwrap(), Value::Number(1000.0));
    assert_eq!(n(&mut e, num(7.0)).unwrap(), Value::Number(7.0));
    let err = n(&mut e, s("12ms")).unwrap_err();
    assert_eq!(err.to_string(), r#"number(): "12ms" is not a number"#);
    assert!(n(&mut e, s("NaN")).is_err());
    assert!(n(&mut e, s("inf")).is_err());
    assert!(n(&mut e, s("")).is_err());
    let err = n(&mut e, Expr::Null).unwrap_err();
    assert_eq!(err.to_string(), "number(): expected a string, found none");
}

#[test]
fn stage_is_the_iterations_stage_name() {
    let mut e = env();
    let stage = Expr::Builtin(Builtin::Stage);
    assert_eq!(eval(&stage, &mut e).unwrap(), Value::from(""));
    e.stage = "peak".into();
    let text = Expr::Template(vec![s("phase "), stage.clone()]);
    assert_eq!(eval(&text, &mut e).unwrap(), Value::from("phase peak"));
}

#[test]
fn json_bodies_stream_literals_and_values() {
    let mut e = env();
    let body = Expr::Object(vec![
        ("model".into(), s("m")),
        ("max_tokens".into(), num(50.0)),
        (
            "messages".into(),
            Expr::List(vec![Expr::Object(vec![(
                "content".into(),
                Expr::Template(vec![s("Agent "), Expr::Builtin(Builtin::User), s(" \"q\"")]),
            )])]),
        ),
        ("prompts".into(), Expr::Data("prompts".into())),
    ]);
    let mut out = Vec::new();
    json_into(&body, &mut e, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        r#"{"model":"m","max_tokens":50,"messages":[{"content":"Agent 2 \"q\""}],"prompts":["a","b","c"]}"#
    );
    let direct = serde_json::to_string(&eval(&body, &mut env()).unwrap()).unwrap();
    assert_eq!(direct, text);
}

fn attempt(status: Option<u16>, fault: Option<Fault>) -> Attempt {
    Attempt {
        scenario: 0,
        step: 1,
        phase: None,
        user: 3,
        iteration: 4,
        call: 7,
        attempt: 1,
        intended_us: 100,
        sent_us: 100,
        done_us: 600,
        active_users: 1,
        status,
        error: None,
        failed: false,
        injected: fault.clone().map(|f| Injected {
            rule: 0,
            fault: Some(f),
        }),
        captures: vec![(1, CaptureValue::Bool(true))],
        checks_passed: 0,
        check_failed: None,
    }
}

#[test]
fn request_records_answer_count_predicates() {
    let steps = vec!["chat".to_string(), "poll".to_string()];
    let status = || Expr::Response(ResponseField::Status);
    let ge500 = bin(BinaryOp::Ge, status(), num(500.0));
    assert!(!eval_record(
        &ge500,
        &attempt(None, Some(Fault::Timeout)),
        &steps
    ));
    assert!(eval_record(&ge500, &attempt(Some(503), None), &steps));
    let is_timeout = bin(
        BinaryOp::Eq,
        Expr::Builtin(Builtin::Fault),
        Expr::FaultKind("timeout".into()),
    );
    assert!(eval_record(
        &is_timeout,
        &attempt(None, Some(Fault::Timeout)),
        &steps
    ));
    assert!(!eval_record(&is_timeout, &attempt(Some(200), None), &steps));
    let no_fault = bin(
        BinaryOp::Eq,
        Expr::Builtin(Builtin::Fault),
        Expr::FaultKind("none".into()),
    );
    assert!(eval_record(&no_fault, &attempt(Some(200), None), &steps));
    let is_429 = bin(
        BinaryOp::Eq,
        Expr::Builtin(Builtin::Fault),
        Expr::FaultKind("429".into()),
    );
    let injected_429 = attempt(
        Some(429),
        Some(Fault::Status {
            status: 429,
            retry_after: None,
        }),
    );
    assert!(eval_record(&is_429, &injected_429, &steps));
    assert!(eval_record(
        &Expr::Builtin(Builtin::Injected),
        &injected_429,
        &steps
    ));
    let step_is = bin(BinaryOp::Eq, Expr::Builtin(Builtin::Step), s("poll"));
    assert!(eval_record(&step_is, &attempt(Some(200), None), &steps));
    let window = bin(
        BinaryOp::And,
        bin(BinaryOp::Ge, Expr::Builtin(Builtin::Call), num(5.0)),
        bin(BinaryOp::Lt, Expr::Builtin(Builtin::Call), num(8.0)),
    );
    assert!(eval_record(&window, &attempt(Some(200), None), &steps));
    let slow = bin(
        BinaryOp::Gt,
        Expr::Response(ResponseField::Latency),
        num(400.0),
    );
    assert!(eval_record(&slow, &attempt(Some(200), None), &steps));
    let captures = vec!["cost".to_string(), "cached".to_string()];
    let cached = Expr::Var("cached".into());
    assert!(eval_record_with_captures(
        &cached,
        &attempt(Some(200), None),
        &steps,
        &captures
    ));
    assert!(!eval_record(&cached, &attempt(Some(200), None), &steps));
}

#[test]
fn status_classes_match_statuses_and_status_faults() {
    let steps = vec!["chat".to_string(), "poll".to_string()];
    let class = |c: &str| Expr::FaultKind(c.into());
    let status = || Expr::Response(ResponseField::Status);
    let fault = || Expr::Builtin(Builtin::Fault);
    let s503 = Fault::Status {
        status: 503,
        retry_after: None,
    };
    let injected_503 = attempt(Some(503), Some(s503));
    let real_404 = attempt(Some(404), None);
    let timed_out = attempt(None, Some(Fault::Timeout));
    let status_5xx = bin(BinaryOp::Eq, status(), class("5xx"));
    assert!(eval_record(&status_5xx, &injected_503, &steps));
    assert!(!eval_record(&status_5xx, &real_404, &steps));
    assert!(!eval_record(&status_5xx, &timed_out, &steps));
    // Either side, and `!=`.
    assert!(eval_record(
        &bin(BinaryOp::Eq, class("4xx"), status()),
        &real_404,
        &steps
    ));
    assert!(eval_record(
        &bin(BinaryOp::Ne, status(), class("5xx")),
        &real_404,
        &steps
    ));
    let fault_5xx = bin(BinaryOp::Eq, fault(), class("5xx"));
    assert!(eval_record(&fault_5xx, &injected_503, &steps));
    assert!(!eval_record(&fault_5xx, &real_404, &steps), "not injected");
    assert!(!eval_record(&fault_5xx, &timed_out, &steps));
    // A status class in a workload `check` reads the current response the same way.
    let mut e = env();
    with_response(&mut e, 502, "");
    assert_eq!(eval(&status_5xx, &mut e), Ok(Value::Bool(true)));
}
