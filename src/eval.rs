//! Runtime evaluation of `plan::Expr` trees, shared by the engine (checks, captures, bodies,
//! `set`, fault `when` rules) and the metrics (`count(…)`/`rate(…)` predicates over request
//! records). Input: a pre-built expression and a [`Scope`]; output: a [`Value`] or an
//! [`EvalError`]. Nothing is parsed here and nothing panics on user data: a missing JSON field
//! is `none`, a type mismatch is an error the caller records (a failed check).
//!
//! Two scopes are provided: [`Env`], a virtual user's state (builtins, `set` variables, data
//! sets, responses, seeded RNG, `next` counters), and [`Record`], one finished request attempt
//! (`status`, `call`, `fault`, `step`, …).

mod scope;
mod value;

pub use scope::{
    Cursors, Env, Record, Response, eval_record, eval_record_with_captures, fault_value,
};
pub use value::Value;

use std::fmt::Write as _;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::ast::BinaryOp;
use crate::plan::{Builtin, Expr, Func, ResponseField};

use scope::fault_kind_value;

/// An expression that could not be evaluated at run time. The engine counts it as a failed
/// check (or a failed step) and goes on; it never aborts the run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("cannot apply `{op}` to {lhs} and {rhs}")]
    Types {
        op: &'static str,
        lhs: &'static str,
        rhs: &'static str,
    },
    #[error("cannot apply `{op}` to {operand}")]
    Type {
        op: &'static str,
        operand: &'static str,
    },
    #[error("division by zero")]
    DivisionByZero,
    #[error("unknown variable `{0}`")]
    UnknownVar(String),
    #[error("unknown data set `{0}`")]
    UnknownData(String),
    #[error("`{0}` is not available here")]
    NotAvailable(&'static str),
    #[error("step `{0}` has no response yet in this iteration")]
    NoResponse(String),
    #[error("environment variable `{0}` is not set")]
    EnvNotSet(String),
    #[error("{func}(): {message}")]
    BadArgument { func: &'static str, message: String },
}

/// A response field, with a header name already evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    Status,
    Json,
    Body,
    /// Microseconds from the intended start to the end of the response.
    Latency,
    Header(&'a str),
}

/// What names mean while evaluating. Every method has a conservative default so a scope only
/// implements what it can answer.
pub trait Scope {
    /// `user`, `iteration`, `scenario`, `test`, and the request-record fields.
    fn builtin(&mut self, builtin: &Builtin) -> Result<Value, EvalError>;
    /// A `set` variable or a `repeat … as` counter (in a request record: a capture).
    fn var(&mut self, name: &str) -> Result<Value, EvalError>;
    /// A data set, as a list.
    fn data(&mut self, name: &str) -> Result<Value, EvalError> {
        Err(EvalError::UnknownData(name.to_string()))
    }
    /// A field of the current response (`step == None`) or of an earlier step's last response.
    fn response(&mut self, step: Option<&str>, field: Field<'_>) -> Result<Value, EvalError>;
    /// The seeded RNG behind `pick`, `uniform`, `uuid`, `words` and ranges.
    fn rng(&mut self) -> Option<&mut ChaCha8Rng> {
        None
    }
    /// The next index (`< len`) of the round robin at call site `site`.
    fn next_index(&mut self, _site: usize, _len: usize) -> Option<usize> {
        None
    }
}

// ── Evaluation ────────────────────────────────────────────────────────

/// Evaluates an expression.
pub fn eval<S: Scope + ?Sized>(expr: &Expr, scope: &mut S) -> Result<Value, EvalError> {
    Ok(match expr {
        Expr::Null => Value::Null,
        Expr::Bool(b) => Value::Bool(*b),
        Expr::Number(n) => Value::Number(*n),
        Expr::Str(s) => Value::from(s.as_str()),
        Expr::Template(_) => {
            let mut text = String::new();
            render_into(expr, scope, &mut text)?;
            Value::from(text)
        }
        Expr::List(items) => Value::list(
            items
                .iter()
                .map(|e| eval(e, scope))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Object(entries) => Value::object(
            entries
                .iter()
                .map(|(k, e)| Ok((k.clone(), eval(e, scope)?)))
                .collect::<Result<_, EvalError>>()?,
        ),
        Expr::Builtin(b) => scope.builtin(b)?,
        Expr::Var(name) => scope.var(name)?,
        Expr::Data(name) => scope.data(name)?,
        Expr::Response(field) => response_field(scope, None, field)?,
        Expr::StepResponse { step, field } => response_field(scope, Some(step), field)?,
        Expr::FaultKind(kind) => fault_kind_value(kind),
        Expr::Field(base, name) => match eval(base, scope)? {
            Value::Object(entries) => entries
                .iter()
                .find(|(k, _)| k == name)
                .map_or(Value::Null, |(_, v)| v.clone()),
            _ => Value::Null,
        },
        Expr::Index(base, index) => {
            let base = eval(base, scope)?;
            let index = eval(index, scope)?;
            index_value(&base, &index)
        }
        Expr::Call { func, args } => call(expr as *const Expr as usize, *func, args, scope)?,
        Expr::Not(e) => Value::Bool(!eval(e, scope)?.truthy()),
        Expr::Neg(e) => match eval(e, scope)? {
            Value::Number(n) => Value::Number(-n),
            other => {
                return Err(EvalError::Type {
                    op: "-",
                    operand: other.type_name(),
                });
            }
        },
        Expr::Binary { op, lhs, rhs } => binary(*op, lhs, rhs, scope)?,
    })
}

/// Appends an expression's text (a template's parts, or any value's display) to `out`.
pub fn render_into<S: Scope + ?Sized>(
    expr: &Expr,
    scope: &mut S,
    out: &mut String,
) -> Result<(), EvalError> {
    match expr {
        Expr::Template(parts) => {
            for part in parts {
                render_into(part, scope, out)?;
            }
        }
        Expr::Str(s) => out.push_str(s),
        other => {
            let value = eval(other, scope)?;
            match &value {
                Value::Str(s) => out.push_str(s),
                // Writing to a String cannot fail.
                v => write!(out, "{v}").expect("writing to a String"),
            }
        }
    }
    Ok(())
}

/// Appends an expression as JSON to `out` without building intermediate values for its
/// literal parts (a request body is mostly literal).
pub fn json_into<S: Scope + ?Sized>(
    expr: &Expr,
    scope: &mut S,
    out: &mut Vec<u8>,
) -> Result<(), EvalError> {
    match expr {
        Expr::Object(entries) => {
            out.push(b'{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, key.as_str());
                out.push(b':');
                json_into(value, scope, out)?;
            }
            out.push(b'}');
        }
        Expr::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_into(item, scope, out)?;
            }
            out.push(b']');
        }
        Expr::Str(s) => write_json(out, s.as_str()),
        Expr::Template(_) => {
            let mut text = String::new();
            render_into(expr, scope, &mut text)?;
            write_json(out, text.as_str());
        }
        other => write_json(out, &eval(other, scope)?),
    }
    Ok(())
}

fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serializing a str or a Value into a Vec cannot fail (non-finite numbers become null).
    serde_json::to_writer(out, value).expect("JSON serialization of a plain value");
}

fn response_field<S: Scope + ?Sized>(
    scope: &mut S,
    step: Option<&str>,
    field: &ResponseField,
) -> Result<Value, EvalError> {
    match field {
        ResponseField::Status => scope.response(step, Field::Status),
        ResponseField::Json => scope.response(step, Field::Json),
        ResponseField::Body => scope.response(step, Field::Body),
        ResponseField::Latency => scope.response(step, Field::Latency),
        ResponseField::Header(name) => {
            let name = eval(name, scope)?;
            let text = name.to_string();
            scope.response(step, Field::Header(&text))
        }
    }
}

fn index_value(base: &Value, index: &Value) -> Value {
    match (base, index) {
        (Value::List(items), Value::Number(n)) if n.fract() == 0.0 => {
            let len = items.len() as f64;
            let i = if *n < 0.0 { len + n } else { *n };
            if i >= 0.0 && i < len {
                items[i as usize].clone()
            } else {
                Value::Null
            }
        }
        (Value::Object(_), Value::Str(key)) => base.get(key).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// Equality across types: different types are unequal, never an error.
fn equal(a: &Value, b: &Value) -> bool {
    a == b
}

fn binary<S: Scope + ?Sized>(
    op: BinaryOp,
    lhs: &Expr,
    rhs: &Expr,
    scope: &mut S,
) -> Result<Value, EvalError> {
    // Short-circuit first: the right side may not be evaluable when the left decides.
    match op {
        BinaryOp::And => {
            return Ok(Value::Bool(
                eval(lhs, scope)?.truthy() && eval(rhs, scope)?.truthy(),
            ));
        }
        BinaryOp::Or => {
            return Ok(Value::Bool(
                eval(lhs, scope)?.truthy() || eval(rhs, scope)?.truthy(),
            ));
        }
        BinaryOp::Eq | BinaryOp::Ne => {
            if let Some((class, other)) = status_class(lhs, rhs) {
                let hit = match eval(other, scope)? {
                    Value::Number(n) if n.fract() == 0.0 && n >= 0.0 => (n as u64) / 100 == class,
                    _ => false,
                };
                return Ok(Value::Bool(hit == (op == BinaryOp::Eq)));
            }
        }
        _ => {}
    }
    let a = eval(lhs, scope)?;
    let b = eval(rhs, scope)?;
    let mismatch = || EvalError::Types {
        op: op.symbol(),
        lhs: a.type_name(),
        rhs: b.type_name(),
    };
    Ok(match op {
        BinaryOp::And | BinaryOp::Or => unreachable!("handled above"),
        BinaryOp::Eq => Value::Bool(equal(&a, &b)),
        BinaryOp::Ne => Value::Bool(!equal(&a, &b)),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordering = match (&a, &b) {
                (Value::Null, _) | (_, Value::Null) => return Ok(Value::Bool(false)),
                (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
                (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
                _ => return Err(mismatch()),
            };
            let Some(ordering) = ordering else {
                return Ok(Value::Bool(false));
            };
            Value::Bool(match op {
                BinaryOp::Lt => ordering.is_lt(),
                BinaryOp::Le => ordering.is_le(),
                BinaryOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        BinaryOp::Add => match (&a, &b) {
            (Value::Number(x), Value::Number(y)) => Value::Number(x + y),
            (Value::List(x), Value::List(y)) => {
                Value::list(x.iter().chain(y.iter()).cloned().collect())
            }
            (Value::Str(_), _) | (_, Value::Str(_)) => Value::from(format!("{a}{b}")),
            _ => return Err(mismatch()),
        },
        BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            let (Value::Number(x), Value::Number(y)) = (&a, &b) else {
                return Err(mismatch());
            };
            let (x, y) = (*x, *y);
            Value::Number(match op {
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div if y == 0.0 => return Err(EvalError::DivisionByZero),
                BinaryOp::Div => x / y,
                BinaryOp::Mod if y == 0.0 => return Err(EvalError::DivisionByZero),
                _ => x % y,
            })
        }
        BinaryOp::Range => {
            let (Value::Number(x), Value::Number(y)) = (&a, &b) else {
                return Err(mismatch());
            };
            let rng = scope
                .rng()
                .ok_or(EvalError::NotAvailable("a random pick"))?;
            uniform(rng, *x, *y)
        }
    })
}

/// `status == 5xx`, `fault != 4xx`: when one side is a status class (`FaultKind("5xx")`), its
/// digit and the other side. A status or a status fault matches when its hundreds digit is the
/// class; anything else (`none`, `timeout`, a string) does not.
fn status_class<'e>(lhs: &'e Expr, rhs: &'e Expr) -> Option<(u64, &'e Expr)> {
    let class = |e: &Expr| match e {
        Expr::FaultKind(kind) => {
            let digit = kind.strip_suffix("xx")?;
            (digit.len() == 1).then(|| digit.parse::<u64>().ok())?
        }
        _ => None,
    };
    class(lhs)
        .map(|c| (c, rhs))
        .or_else(|| class(rhs).map(|c| (c, lhs)))
}

/// A uniform pick in `[lo, hi]`: an integer when both ends are integral.
fn uniform(rng: &mut ChaCha8Rng, a: f64, b: f64) -> Value {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    if lo.fract() == 0.0 && hi.fract() == 0.0 && hi - lo < 9e15 {
        Value::Number(rng.random_range(lo as i64..=hi as i64) as f64)
    } else {
        Value::Number(lo + (hi - lo) * rng.random::<f64>())
    }
}

fn call<S: Scope + ?Sized>(
    site: usize,
    func: Func,
    args: &[Expr],
    scope: &mut S,
) -> Result<Value, EvalError> {
    let name = func.builtin().name();
    let bad = |message: &str| EvalError::BadArgument {
        func: name,
        message: message.to_string(),
    };
    let values = args
        .iter()
        .map(|a| eval(a, scope))
        .collect::<Result<Vec<_>, _>>()?;
    let number = |i: usize| {
        values
            .get(i)
            .and_then(Value::as_f64)
            .ok_or_else(|| bad("expected a number"))
    };
    let list = |i: usize| match values.get(i) {
        Some(Value::List(items)) if items.is_empty() => Err(bad("the list is empty")),
        Some(Value::List(items)) => Ok(items.clone()),
        _ => Err(bad("expected a list")),
    };
    Ok(match func {
        Func::Env => {
            let var = values
                .first()
                .and_then(Value::as_str)
                .ok_or_else(|| bad("expected a variable name"))?;
            match std::env::var(var) {
                Ok(v) => Value::from(v),
                Err(_) => values
                    .get(1)
                    .cloned()
                    .ok_or_else(|| EvalError::EnvNotSet(var.to_string()))?,
            }
        }
        Func::Pick => {
            let items = list(0)?;
            let rng = scope.rng().ok_or(EvalError::NotAvailable("pick()"))?;
            items[rng.random_range(0..items.len())].clone()
        }
        Func::Next => {
            let items = list(0)?;
            let i = scope
                .next_index(site, items.len())
                .ok_or(EvalError::NotAvailable("next()"))?;
            items[i % items.len()].clone()
        }
        Func::Uniform => {
            let (a, b) = (number(0)?, number(1)?);
            uniform(
                scope.rng().ok_or(EvalError::NotAvailable("uniform()"))?,
                a,
                b,
            )
        }
        Func::Words => {
            let n = number(0)?;
            let rng = scope.rng().ok_or(EvalError::NotAvailable("words()"))?;
            Value::from(words(rng, n.clamp(0.0, 1e6) as usize))
        }
        Func::Uuid => Value::from(uuid(scope.rng().ok_or(EvalError::NotAvailable("uuid()"))?)),
        Func::Len => match values.first() {
            Some(Value::Str(s)) => Value::Number(s.chars().count() as f64),
            Some(Value::List(items)) => Value::Number(items.len() as f64),
            Some(Value::Object(entries)) => Value::Number(entries.len() as f64),
            Some(Value::Null) => Value::Number(0.0),
            _ => return Err(bad("expected a string, list or object")),
        },
        Func::Contains => match (values.first(), values.get(1)) {
            (Some(Value::Str(s)), Some(Value::Str(part))) => Value::Bool(s.contains(&**part)),
            (Some(Value::Str(_)), _) => return Err(bad("expected a string to look for")),
            (Some(Value::List(items)), Some(item)) => Value::Bool(items.contains(item)),
            // A missing header or field holds nothing.
            (Some(Value::Null), _) => Value::Bool(false),
            _ => return Err(bad("expected a string or a list")),
        },
        Func::StartsWith | Func::EndsWith => match (values.first(), values.get(1)) {
            (Some(Value::Str(s)), Some(Value::Str(affix))) => Value::Bool(match func {
                Func::StartsWith => s.starts_with(&**affix),
                _ => s.ends_with(&**affix),
            }),
            (Some(Value::Null), Some(Value::Str(_))) => Value::Bool(false),
            (Some(Value::Str(_) | Value::Null), _) => {
                return Err(bad("expected a string to look for"));
            }
            _ => return Err(bad("expected a string")),
        },
        Func::Number => match values.first() {
            Some(Value::Number(n)) => Value::Number(*n),
            Some(Value::Str(s)) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Value::Number(n),
                _ => return Err(bad(&format!("{:?} is not a number", &**s))),
            },
            Some(other) => {
                return Err(bad(&format!(
                    "expected a string, found {}",
                    other.type_name()
                )));
            }
            None => return Err(bad("expected a string")),
        },
    })
}

const WORDS: [&str; 64] = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "duis",
    "aute",
    "irure",
    "in",
    "reprehenderit",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "eu",
    "fugiat",
    "nulla",
    "pariatur",
    "excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "non",
    "proident",
    "sunt",
    "culpa",
    "qui",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "id",
    "est",
    "laborum",
    "vitae",
];

/// `n` filler words drawn from the seeded RNG (reproducible for a seed and VU).
fn words(rng: &mut ChaCha8Rng, n: usize) -> String {
    let mut text = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(WORDS[rng.random_range(0..WORDS.len())]);
    }
    text
}

/// A version 4 UUID from the seeded RNG: 16 random bytes with the version and variant bits
/// set, in the hyphenated lowercase form.
fn uuid(rng: &mut ChaCha8Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests;
