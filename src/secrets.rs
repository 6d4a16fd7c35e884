//! Secrets given on the command line: `--set NAME=VALUE` values that are not plain numeric
//! or boolean literals. They reach the requests (headers, bodies) but are shown as `***`
//! everywhere else: `plan.json` (source and plan), `stress plan --set …`, the reports and
//! artifacts, and diagnostics (a value that does not check is not echoed).
//!
//! Which values are secret: every `--set` value except a number, amount, duration, rate,
//! percentage, size, bandwidth, status class or `true`/`false` (those shape the load and are
//! shown so that a plan can be reviewed). A quoted string, a list, an object or any other
//! text is a secret. `env("NAME")` values are read when the requests are built and never
//! written anywhere, as before.
//!
//! Redaction is textual: each secret (and the forms it takes in the source text) is replaced
//! by `***` in text that is shown or written; in JSON, only string values are rewritten.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::Value;

use crate::ast::{ExprKind, UnaryOp};
use crate::source::SourceFile;

/// What a `--set` value is, for how it is inserted and whether it is secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetValue {
    /// A number, amount, duration, rate, … or boolean literal: inserted as written, shown.
    Literal,
    /// A string literal, list or object: inserted as written, secret.
    Code,
    /// Anything else: inserted as a string, secret.
    Text,
}

/// Classifies a `--set` value by parsing it as a `let` value.
pub(crate) fn classify(value: &str) -> SetValue {
    let probe = SourceFile::new("--set", format!("let x = {value}"));
    let Ok(parsed) = crate::syntax::parse(&probe) else {
        return SetValue::Text;
    };
    let [crate::ast::Item::Let(l)] = &parsed.items[..] else {
        return SetValue::Text;
    };
    fn literal(kind: &ExprKind) -> bool {
        match kind {
            k if k.is_quantity() => true,
            ExprKind::Name(n) => n.text == "true" || n.text == "false",
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => literal(&operand.kind),
            ExprKind::Paren(inner) => literal(&inner.kind),
            _ => false,
        }
    }
    match &l.value.kind {
        kind if literal(kind) => SetValue::Literal,
        ExprKind::Str(_) | ExprKind::RawStr(_) | ExprKind::List(_) | ExprKind::Object(_) => {
            SetValue::Code
        }
        _ => SetValue::Text,
    }
}

/// The texts to hide for a set of `--set NAME=VALUE` arguments, longest first.
pub(crate) fn patterns(overrides: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for item in overrides {
        let Some((_, value)) = item.split_once('=') else {
            continue;
        };
        let kind = classify(value);
        if kind == SetValue::Literal {
            continue;
        }
        out.push(value.to_string());
        let trimmed = value.trim();
        for quote in ['"', '\''] {
            if let Some(inner) = trimmed
                .strip_prefix(quote)
                .and_then(|v| v.strip_suffix(quote))
            {
                out.push(inner.to_string());
            }
        }
        // Text is inserted into the source as a string literal (`source::apply_overrides`).
        if kind == SetValue::Text {
            let json = serde_json::to_string(value).unwrap_or_default();
            out.push(json[1..json.len().saturating_sub(1).max(1)].replace('$', "\\$"));
        }
    }
    out.retain(|p| !p.trim().is_empty());
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

static SECRETS: OnceLock<Vec<String>> = OnceLock::new();

/// Declares this process's secrets (the first call wins; a CLI command makes one).
pub(crate) fn install(overrides: &[String]) {
    let _ = SECRETS.set(patterns(overrides));
}

fn installed() -> &'static [String] {
    SECRETS.get().map_or(&[], Vec::as_slice)
}

/// `text` with every secret replaced by `***`.
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    redact_with(text, installed())
}

fn redact_with<'a>(text: &'a str, secrets: &[String]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), "***"));
        }
    }
    out
}

/// Every string value in `value` (not object keys) with secrets replaced.
pub(crate) fn redact_json(value: &mut Value) {
    redact_json_with(value, installed());
}

fn redact_json_with(value: &mut Value, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    match value {
        Value::String(s) => {
            if let Cow::Owned(r) = redact_with(s, secrets) {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_json_with(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_json_with(v, secrets)),
        _ => {}
    }
}

/// Whether any secret was declared.
pub(crate) fn any() -> bool {
    !installed().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_booleans_are_configuration_everything_else_is_secret() {
        for v in [
            "2", "-5", "1.5", "250ms", "10/s", "95%", "$0.01", "true", "64KiB",
        ] {
            assert_eq!(classify(v), SetValue::Literal, "{v}");
        }
        for v in ["\"abc\"", "'abc'", "[1, 2]"] {
            assert_eq!(classify(v), SetValue::Code, "{v}");
        }
        for v in ["s3cr3t-value", "sk-123", "1+", "abc", "2 * n", "123abc", ""] {
            assert_eq!(classify(v), SetValue::Text, "{v}");
        }
    }

    #[test]
    fn secrets_are_replaced_in_text_and_json_string_values_only() {
        let p = patterns(&["n=3".into(), "token=sk-1$x".into(), "q=\"quoted\"".into()]);
        assert_eq!(p, ["\"quoted\"", "sk-1\\$x", "quoted", "sk-1$x"]);
        assert_eq!(
            redact_with("Bearer sk-1$x and \"sk-1\\$x\", 3", &p),
            "Bearer *** and \"***\", 3"
        );
        let mut v = serde_json::json!({"quoted": ["a quoted b", 3], "h": "x sk-1$x"});
        redact_json_with(&mut v, &p);
        assert_eq!(
            v,
            serde_json::json!({"quoted": ["a *** b", 3], "h": "x ***"})
        );
    }
}
