//! Typed readings of AST shapes, shared by `check` and `lower`: a fault rule with its arguments
//! resolved by name or position, a fault, a data source, a backoff, a mock setting, an SLO
//! comparison. `check` reports every shape that does not read (with the precise diagnostic);
//! `lower` matches exhaustively on what reads, so the cases `check` refused cannot be written
//! there. Pure functions of the AST: no diagnostics, no I/O.

use crate::ast::{Arg, Expr, ExprKind, FaultExpr, Name, Rule as AstRule, RuleKind};
use crate::vocab::{self, ArgKind, DataFormat};

/// A fault as a rule injects it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FaultRead<'a> {
    /// `429`, `503 retry_after 2s`
    Status {
        status: u16,
        retry_after: Option<&'a Expr>,
    },
    /// `timeout`, `reset`, … (written as a word, `args` empty) or `bandwidth(64KiB/s)`
    /// (written as a call).
    Named {
        fault: vocab::Fault,
        args: &'a [Arg],
    },
}

/// Reads a fault: an integer status, a fault word, or `bandwidth(…)`.
pub(crate) fn fault(f: &FaultExpr) -> Option<FaultRead<'_>> {
    match &f.value.kind {
        ExprKind::Number {
            value,
            integer: true,
        } => Some(FaultRead::Status {
            status: *value as u16,
            retry_after: f.retry_after.as_ref(),
        }),
        ExprKind::Name(n) => {
            let fault = vocab::Fault::from_name(&n.text).filter(|w| !w.is_call())?;
            Some(FaultRead::Named { fault, args: &[] })
        }
        ExprKind::Call { callee, args } => Some(FaultRead::Named {
            fault: callee_fault(callee)?,
            args,
        }),
        _ => None,
    }
}

fn callee_fault(callee: &Expr) -> Option<vocab::Fault> {
    callee
        .as_name()
        .and_then(|n| vocab::Fault::from_name(&n.text))
        .filter(|f| f.is_call())
}

/// A fault rule, read: every argument in place.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RuleRead<'a> {
    /// `when CONDITION => FAULT`
    When {
        condition: &'a Expr,
        fault: FaultRead<'a>,
    },
    ErrorRate {
        probability: &'a Expr,
        fault: FaultRead<'a>,
    },
    Latency {
        probability: &'a Expr,
        delay: &'a Expr,
    },
    Burst {
        start: &'a Expr,
        length: &'a Expr,
        fault: FaultRead<'a>,
    },
    NthCall {
        calls: &'a [Expr],
        fault: FaultRead<'a>,
    },
    LatencyError {
        probability: &'a Expr,
        delay: &'a Expr,
        fault: FaultRead<'a>,
    },
}

/// The arguments of a call rule in the order of [`vocab::Rule::params`]: a named argument goes
/// to its parameter, a positional one to its position. `None` where nothing (or an unknown
/// name) fills a parameter.
pub(crate) fn rule_args(
    rule: vocab::Rule,
    args: &[crate::ast::RuleArg],
) -> Vec<Option<&FaultExpr>> {
    let params = rule.params();
    let mut slots = vec![None; params.len()];
    for (i, arg) in args.iter().enumerate() {
        let at = match &arg.name {
            Some(key) => params.iter().position(|p| p.name == key.text),
            None => (i < params.len()).then_some(i),
        };
        if let Some(at) = at {
            slots[at].get_or_insert(&arg.value);
        }
    }
    slots
}

/// Reads a rule of a scenario; `None` when check would refuse it.
pub(crate) fn rule(r: &AstRule) -> Option<RuleRead<'_>> {
    let (name, args) = match &r.kind {
        RuleKind::When {
            condition,
            fault: f,
        } => {
            return Some(RuleRead::When {
                condition,
                fault: fault(f)?,
            });
        }
        RuleKind::Call { name, args } => (name, args),
    };
    let rule = vocab::Rule::from_name(&name.text)?;
    if args.len() != rule.params().len() {
        return None;
    }
    let slots = rule_args(rule, args);
    let arg = |kind: ArgKind| -> Option<&FaultExpr> { slots[rule.param_of(kind)?] };
    let value = |kind: ArgKind| arg(kind).map(|f| &f.value);
    let fault_arg = || fault(arg(ArgKind::Fault)?);
    Some(match rule {
        vocab::Rule::ErrorRate => RuleRead::ErrorRate {
            probability: value(ArgKind::Probability)?,
            fault: fault_arg()?,
        },
        vocab::Rule::Latency => RuleRead::Latency {
            probability: value(ArgKind::Probability)?,
            delay: value(ArgKind::Delay)?,
        },
        vocab::Rule::Burst => RuleRead::Burst {
            start: value(ArgKind::Start)?,
            length: value(ArgKind::Length)?,
            fault: fault_arg()?,
        },
        vocab::Rule::NthCall => RuleRead::NthCall {
            calls: match &value(ArgKind::Calls)?.kind {
                ExprKind::List(items) if !items.is_empty() => items,
                _ => return None,
            },
            fault: fault_arg()?,
        },
        vocab::Rule::LatencyError => RuleRead::LatencyError {
            probability: value(ArgKind::Probability)?,
            delay: value(ArgKind::Delay)?,
            fault: fault_arg()?,
        },
    })
}

/// `lines("f.txt")`: the format and the plain path of a data source.
pub(crate) fn data_source(e: &Expr) -> Option<(DataFormat, String)> {
    let ExprKind::Call { callee, args } = &e.kind else {
        return None;
    };
    let format = DataFormat::from_name(&callee.as_name()?.text)?;
    let [arg] = args.as_slice() else {
        return None;
    };
    Some((format, arg.value.as_plain_str()?))
}

/// The shapes of `backoff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BackoffKind {
    Constant,
    Linear,
    Exponential,
}

impl BackoffKind {
    pub(crate) const ALL: [BackoffKind; 3] = [
        BackoffKind::Constant,
        BackoffKind::Linear,
        BackoffKind::Exponential,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            BackoffKind::Constant => "constant",
            BackoffKind::Linear => "linear",
            BackoffKind::Exponential => "exponential",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<BackoffKind> {
        BackoffKind::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The named arguments it takes (besides its one positional delay).
    pub(crate) fn named(self) -> &'static [&'static str] {
        match self {
            BackoffKind::Constant => &[],
            BackoffKind::Linear => &["step"],
            BackoffKind::Exponential => &["factor", "max"],
        }
    }
}

/// `exponential(100ms, factor: 2)`: the backoff's kind, its name and its arguments.
pub(crate) fn backoff(e: &Expr) -> Option<(BackoffKind, &Name, &[Arg])> {
    let ExprKind::Call { callee, args } = &e.kind else {
        return None;
    };
    let name = callee.as_name()?;
    Some((BackoffKind::from_name(&name.text)?, name, args))
}

/// The settings of a `target NAME mock { … }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MockKey {
    Api,
    Latency,
    Tokens,
    Capacity,
    Cache,
}

impl MockKey {
    pub(crate) const ALL: [MockKey; 5] = [
        MockKey::Api,
        MockKey::Latency,
        MockKey::Tokens,
        MockKey::Capacity,
        MockKey::Cache,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            MockKey::Api => "api",
            MockKey::Latency => "latency",
            MockKey::Tokens => "tokens",
            MockKey::Capacity => "capacity",
            MockKey::Cache => "cache",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<MockKey> {
        MockKey::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// An SLO or abort condition: `LHS op RHS` with a comparison operator.
pub(crate) fn comparison(e: &Expr) -> Option<(&Expr, crate::plan::CmpOp, &Expr)> {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } => Some((lhs, super::resolved::cmp_op(*op)?, rhs)),
        _ => None,
    }
}
