//! Typed quantities of the language (durations, percentages, rates, sizes, money) and the one
//! formatter that shows them in the user's units, shared by diagnostics, plans and reports.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A duration in whole microseconds (the resolution of every measurement in `stress`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub fn from_secs_f64(secs: f64) -> Self {
        Duration((secs * 1e6).round().max(0.0) as u64)
    }

    pub fn from_millis(ms: u64) -> Self {
        Duration(ms.saturating_mul(1000))
    }

    pub fn as_micros(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_micros(self.0)
    }

    pub fn from_std(d: std::time::Duration) -> Self {
        Duration(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }
}

impl fmt::Display for Duration {
    /// `412ms`, `1.5s`, `2m30s`, `1h`, `250us`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us == 0 {
            return f.write_str("0s");
        }
        if us < 1000 {
            return write!(f, "{us}us");
        }
        if us < 1_000_000 {
            return write!(f, "{}ms", trim(us as f64 / 1000.0, 3));
        }
        if us < 60_000_000 {
            return write!(f, "{}s", trim(us as f64 / 1e6, 3));
        }
        let total_s = us / 1_000_000;
        let rest_us = us % 1_000_000;
        let (h, m, s) = (total_s / 3600, (total_s % 3600) / 60, total_s % 60);
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 || rest_us > 0 {
            if rest_us > 0 {
                write!(f, "{}s", trim(s as f64 + rest_us as f64 / 1e6, 3))?;
            } else {
                write!(f, "{s}s")?;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// Reads a duration written as in the language (`1m30s`, `150ms`, `1.5s`, `250us`), exactly:
/// integer arithmetic, no rounding beyond the microsecond (sub-microsecond fractions are
/// dropped), a negative, unknown-unit or out-of-range text is an error, never clamped.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    let too_large = || format!("`{text}` is too large for a duration");
    let mut total: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        let unit_len = rest[num_len..]
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(rest.len() - num_len);
        let number = rest[..num_len].replace('_', "");
        let unit = &rest[num_len..num_len + unit_len];
        if number.is_empty() {
            return Err(format!("`{text}` is not a duration"));
        }
        if unit.is_empty() {
            return Err(format!("`{text}` has no unit (us, ms, s, m or h)"));
        }
        let scale = duration_unit_micros(unit)
            .ok_or_else(|| format!("unknown duration unit `{unit}` (use us, ms, s, m or h)"))?
            as u128;
        let (whole, frac) = number.split_once('.').unwrap_or((&number, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
            return Err(format!("`{text}` is not a duration"));
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse::<u64>().map_err(|_| too_large())?.into()
        };
        // 18 fractional digits keep the arithmetic inside u128; finer digits are below 1 µs.
        let frac = &frac[..frac.len().min(18)];
        let frac_us: u128 = if frac.is_empty() {
            0
        } else {
            let value: u128 = frac.parse::<u64>().map_err(|_| too_large())?.into();
            value * scale / 10u128.pow(frac.len() as u32)
        };
        total = total
            .checked_add(whole * scale + frac_us)
            .ok_or_else(too_large)?;
        rest = &rest[num_len + unit_len..];
    }
    u64::try_from(total).map(Duration).map_err(|_| too_large())
}

/// Microseconds in one of a duration unit, or `None` for an unknown unit.
pub fn duration_unit_micros(unit: &str) -> Option<f64> {
    Some(match unit {
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        _ => return None,
    })
}

/// A percentage, `30%` is `Percent(30.0)`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Percent(pub f64);

impl Percent {
    pub fn fraction(self) -> f64 {
        self.0 / 100.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", trim(self.0, 2))
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Events per second; `10/m` is `Rate(0.1667)`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Rate(pub f64);

impl Rate {
    pub fn per_sec(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1.0 || self.0 == 0.0 {
            write!(f, "{}/s", trim(self.0, 2))
        } else if self.0 * 60.0 >= 1.0 {
            write!(f, "{}/m", trim(self.0 * 60.0, 2))
        } else {
            write!(f, "{}/h", trim(self.0 * 3600.0, 2))
        }
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Seconds in one of a rate's time unit (`s`, `m`, `h`).
pub fn rate_unit_secs(unit: &str) -> Option<f64> {
    Some(match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    })
}

/// A size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0 as f64;
        const KIB: f64 = 1024.0;
        if b >= KIB * KIB * KIB {
            write!(f, "{}GiB", trim(b / (KIB * KIB * KIB), 2))
        } else if b >= KIB * KIB {
            write!(f, "{}MiB", trim(b / (KIB * KIB), 2))
        } else if b >= KIB {
            write!(f, "{}KiB", trim(b / KIB, 2))
        } else {
            write!(f, "{}B", self.0)
        }
    }
}

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Bytes in one of a size unit.
pub fn size_unit_bytes(unit: &str) -> Option<f64> {
    Some(match unit {
        "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    })
}

/// Money in dollars.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Money(pub f64);

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 != 0.0 && self.0.abs() < 0.01 {
            write!(f, "${}", trim(self.0, 6))
        } else {
            write!(f, "${}", trim(self.0, 4))
        }
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// `v` with at most `digits` decimals and no trailing zeros: `1.50` → `1.5`, `2.000` → `2`.
pub fn trim(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_in_the_users_units() {
        assert_eq!(Duration(250).to_string(), "250us");
        assert_eq!(Duration::from_millis(412).to_string(), "412ms");
        assert_eq!(Duration::from_millis(1500).to_string(), "1.5s");
        assert_eq!(Duration::from_millis(150_000).to_string(), "2m30s");
        assert_eq!(Duration::from_millis(3_600_000).to_string(), "1h");
    }

    #[test]
    fn compound_durations_parse() {
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_millis(90_000)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500us"), Ok(Duration(500)));
        assert!(parse_duration("5sec").is_err());
    }

    #[test]
    fn rates_and_money_print() {
        assert_eq!(Rate(500.0).to_string(), "500/s");
        assert_eq!(Rate(10.0 / 60.0).to_string(), "10/m");
        assert_eq!(Money(0.002).to_string(), "$0.002");
        assert_eq!(Percent(0.5).to_string(), "0.5%");
        assert_eq!(Bytes(64 * 1024).to_string(), "64KiB");
    }
}
