//! Literal text → typed value: numbers, quantities with units, money, string escapes.
//! Pure functions; the builder attaches spans to the errors.

use crate::ast::ExprKind;
use crate::units::{
    Bytes, Duration, Money, Percent, Rate, duration_unit_micros, rate_unit_secs, size_unit_bytes,
};

/// Why a literal is wrong, with a help line that shows the fix.
#[derive(Debug, PartialEq)]
pub(crate) enum LiteralError {
    /// `guess`: the known unit it most likely means (`sec` → `s`).
    Unit {
        guess: Option<&'static str>,
        help: String,
    },
    Number,
}

pub(crate) fn number(text: &str) -> Result<f64, LiteralError> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    let value: f64 = cleaned.parse().map_err(|_| LiteralError::Number)?;
    if value.is_finite() && value <= 1e15 {
        Ok(value)
    } else {
        Err(LiteralError::Number)
    }
}

const DURATION_UNITS: &[&str] = &["us", "ms", "s", "m", "h"];
const SIZE_UNITS: &[&str] = &["B", "KB", "MB", "GB", "KiB", "MiB", "GiB"];

/// `number` followed by `unit` (the grammar's `quantity`).
pub(crate) fn quantity(number_text: &str, unit: &str) -> Result<ExprKind, LiteralError> {
    let value = number(number_text)?;
    if unit == "%" {
        return Ok(ExprKind::Percent(Percent(value)));
    }
    if let Some(per) = unit.strip_prefix('/') {
        return match rate_unit_secs(per) {
            Some(secs) => Ok(ExprKind::Rate(Rate(value / secs))),
            None => Err(unit_error(
                number_text,
                unit,
                &format!("a rate is per `s`, `m` or `h`: write `{number_text}/s`"),
            )),
        };
    }
    if let Some((size, per)) = unit.split_once('/') {
        let bytes = size_unit_bytes(size);
        let secs = rate_unit_secs(per);
        return match (bytes, secs) {
            (Some(b), Some(s)) => Ok(ExprKind::Bandwidth(Bytes((value * b / s).round() as u64))),
            _ => Err(unit_error(
                number_text,
                unit,
                &format!("a bandwidth is a size per time, like `{number_text}KiB/s`"),
            )),
        };
    }
    if unit == "xx" {
        return match number_text.parse::<u16>() {
            Ok(class @ 1..=5) => Ok(ExprKind::StatusClass(class)),
            _ => Err(unit_error(
                number_text,
                unit,
                "a status class is `1xx` to `5xx`",
            )),
        };
    }
    // Durations are whole microseconds and sizes whole bytes: a finer value is refused, not
    // rounded.
    if let Some(micros) = duration_unit_micros(unit) {
        return whole(value * micros).map(|v| ExprKind::Duration(Duration(v)));
    }
    if let Some(bytes) = size_unit_bytes(unit) {
        return whole(value * bytes).map(|v| ExprKind::Size(Bytes(v)));
    }
    if unit.chars().any(|c| c.is_ascii_digit()) {
        return compound_duration(number_text, unit);
    }
    let guess = guess_unit(unit);
    Err(LiteralError::Unit {
        guess,
        help: unit_help(number_text, guess),
    })
}

/// `v` when it is a whole number (up to float noise), else the literal is refused.
fn whole(v: f64) -> Result<u64, LiteralError> {
    let rounded = v.round();
    if (v - rounded).abs() <= 1e-6 * v.abs().max(1.0) && (0.0..1.8e19).contains(&rounded) {
        Ok(rounded as u64)
    } else {
        Err(LiteralError::Number)
    }
}

/// `1m30s`: the first number and unit, then more number-unit pairs.
fn compound_duration(number_text: &str, unit: &str) -> Result<ExprKind, LiteralError> {
    let full = format!("{number_text}{unit}");
    crate::units::parse_duration(&full)
        .map(ExprKind::Duration)
        .map_err(|_| {
            unit_error(
                number_text,
                unit,
                "a compound duration reads like `1m30s` or `1h15m`",
            )
        })
}

fn unit_error(_number: &str, _unit: &str, help: &str) -> LiteralError {
    LiteralError::Unit {
        guess: None,
        help: help.to_string(),
    }
}

/// The unit a misspelt one most likely means: a spelling of it (`sec`, `msec`, `minutes`,
/// `kb`), else the closest unit.
pub(crate) fn guess_unit(unit: &str) -> Option<&'static str> {
    let lower = unit.to_ascii_lowercase();
    let spelled = match lower.as_str() {
        "sec" | "secs" | "second" | "seconds" => Some("s"),
        "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => Some("ms"),
        "min" | "mins" | "minute" | "minutes" => Some("m"),
        "hr" | "hrs" | "hour" | "hours" => Some("h"),
        "usec" | "micros" | "microseconds" => Some("us"),
        "kb" => Some("KB"),
        "kib" => Some("KiB"),
        "mb" => Some("MB"),
        "mib" => Some("MiB"),
        "gb" => Some("GB"),
        "gib" => Some("GiB"),
        "b" => Some("B"),
        _ => None,
    };
    spelled.or_else(|| {
        crate::suggest::did_you_mean(unit, DURATION_UNITS.iter().chain(SIZE_UNITS).copied())
    })
}

/// Whether `word` is a unit as written after a number (`ms`, `KiB`).
pub(crate) fn is_unit(word: &str) -> bool {
    DURATION_UNITS.contains(&word) || SIZE_UNITS.contains(&word)
}

fn unit_help(number_text: &str, guess: Option<&str>) -> String {
    if let Some(fix) = guess {
        return format!("write `{number_text}{fix}`");
    }
    "units are durations (us, ms, s, m, h), sizes (B, KB, MB, GB, KiB, MiB, GiB), `%`, rates (`/s`, `/m`, `/h`) and `$` for money".to_string()
}

pub(crate) fn money(number_text: &str) -> Result<Money, LiteralError> {
    number(number_text).map(Money)
}

/// One escape sequence (with its backslash) → the text it stands for.
pub(crate) fn escape(text: &str) -> Option<String> {
    let body = text.strip_prefix('\\')?;
    let ch = match body {
        "\"" => '"',
        "\\" => '\\',
        "/" => '/',
        "n" => '\n',
        "t" => '\t',
        "r" => '\r',
        "b" => '\u{8}',
        "f" => '\u{c}',
        "$" => '$',
        "'" => '\'',
        _ => {
            let hex = body.strip_prefix("u{")?.strip_suffix('}')?;
            if hex.is_empty() || hex.len() > 6 {
                return None;
            }
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
        }
    };
    Some(ch.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_their_units() {
        assert_eq!(
            quantity("150", "ms"),
            Ok(ExprKind::Duration(Duration(150_000)))
        );
        assert_eq!(
            quantity("1", "m30s"),
            Ok(ExprKind::Duration(Duration(90_000_000)))
        );
        assert_eq!(quantity("30", "%"), Ok(ExprKind::Percent(Percent(30.0))));
        assert_eq!(quantity("3600", "/h"), Ok(ExprKind::Rate(Rate(1.0))));
        assert_eq!(quantity("64", "KiB"), Ok(ExprKind::Size(Bytes(65536))));
        assert_eq!(
            quantity("64", "KiB/s"),
            Ok(ExprKind::Bandwidth(Bytes(65536)))
        );
        assert_eq!(quantity("5", "xx"), Ok(ExprKind::StatusClass(5)));
    }

    #[test]
    fn a_misspelled_unit_gets_the_fix() {
        let Err(LiteralError::Unit { guess, help }) = quantity("5", "sec") else {
            panic!()
        };
        assert_eq!((guess, help.as_str()), (Some("s"), "write `5s`"));
        let Err(LiteralError::Unit { guess, help }) = quantity("300", "msec") else {
            panic!()
        };
        assert_eq!((guess, help.as_str()), (Some("ms"), "write `300ms`"));
        let Err(LiteralError::Unit { guess, help }) = quantity("5", "mss") else {
            panic!()
        };
        assert_eq!((guess, help.as_str()), (Some("ms"), "write `5ms`"));
        let Err(LiteralError::Unit { guess, .. }) = quantity("5", "zorp") else {
            panic!()
        };
        assert_eq!(guess, None);
    }

    #[test]
    fn escapes() {
        assert_eq!(escape("\\n").as_deref(), Some("\n"));
        assert_eq!(escape("\\u{1F600}").as_deref(), Some("😀"));
        assert_eq!(escape("\\$").as_deref(), Some("$"));
        assert_eq!(escape("\\q"), None);
        assert_eq!(escape("\\u{110000}"), None);
    }
}
