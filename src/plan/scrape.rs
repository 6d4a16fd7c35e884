//! What a scrape SLO names and how a scraped series is read: the selector
//! (`name{label="value"}`), the unit a series name implies, counter resets, and the scraped
//! data itself. Here, below the checker, because the checker parses selectors and units and
//! lowering joins scrape URLs; `metrics::scraped` measures with them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::plan::{ScrapeForm, Unit};

/// One series of one scrape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    /// Sorted by label name.
    pub labels: Vec<(String, String)>,
    /// JSON has no NaN or infinity: those are written as the exposition spells them
    /// (`"+Inf"`, `"-Inf"`, `"NaN"`) and read back exactly (a `null` reads as NaN).
    #[serde(serialize_with = "write_float", deserialize_with = "read_float")]
    pub value: f64,
}

fn write_float<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else if v.is_nan() {
        s.serialize_str("NaN")
    } else if *v > 0.0 {
        s.serialize_str("+Inf")
    } else {
        s.serialize_str("-Inf")
    }
}

/// `write_float` for an optional value: `None` is `null`.
pub fn write_opt_float<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => write_float(v, s),
        None => s.serialize_none(),
    }
}

fn read_float<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Float {
        Number(f64),
        Text(String),
        Null(()),
    }
    match Float::deserialize(d)? {
        Float::Number(v) => Ok(v),
        Float::Null(()) => Ok(f64::NAN),
        Float::Text(t) => {
            go_float(&t).ok_or_else(|| serde::de::Error::custom(format!("not a number: {t:?}")))
        }
    }
}

/// One successful scrape, at `t_us` since the services started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScrapePoint {
    pub t_us: u64,
    pub series: Vec<Series>,
}

/// `name` or `name{label="value",…}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    pub name: String,
    pub labels: Vec<(String, String)>,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

impl Selector {
    /// Parses a selector; the error says what is wrong, for a diagnostic.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let text = text.trim();
        let end = text.find('{').unwrap_or(text.len());
        let name = text[..end].trim();
        if name.is_empty() {
            return Err("a series selector starts with a metric name".into());
        }
        if !name.starts_with(is_name_start) || !name.chars().all(is_name_char) {
            return Err(format!(
                "`{name}` is not a Prometheus metric name (letters, digits, `_` and `:`)"
            ));
        }
        let mut labels = Vec::new();
        if end < text.len() {
            let rest = &text[end + 1..];
            let Some(body) = rest.strip_suffix('}') else {
                return Err("a label list ends with `}`".into());
            };
            let mut chars = body.chars().peekable();
            loop {
                while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    break;
                }
                let mut key = String::new();
                while let Some(&c) = chars.peek() {
                    if !is_name_char(c) {
                        break;
                    }
                    key.push(c);
                    chars.next();
                }
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if key.is_empty() || chars.next() != Some('=') {
                    return Err("labels are written `name=\"value\"`".into());
                }
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if chars.next() != Some('"') {
                    return Err(format!("the value of label `{key}` is a quoted string"));
                }
                let mut value = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some('n') => value.push('\n'),
                            Some(other) => value.push(other),
                            None => break,
                        },
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                if !closed {
                    return Err(format!("the value of label `{key}` is not closed by `\"`"));
                }
                labels.push((key, value));
            }
        }
        Ok(Selector {
            name: name.to_string(),
            labels,
        })
    }

    /// Whether a series is one of those the selector sums.
    pub fn matches(&self, s: &Series) -> bool {
        s.name == self.name
            && self.labels.iter().all(|(k, v)| {
                s.labels
                    .iter()
                    .any(|(sk, sv)| sk == k && label_eq(k, sv, v))
            })
    }

    /// The sum of the selected series at one scrape; `None` when none is there.
    pub fn value(&self, point: &ScrapePoint) -> Option<f64> {
        let mut found = false;
        let mut sum = 0.0;
        for s in point.series.iter().filter(|s| self.matches(s)) {
            found = true;
            sum += s.value;
        }
        found.then_some(sum)
    }
}

/// `le` and `quantile` compare as numbers (`1` is `1.0`, `+Inf` is `+inf`).
fn label_eq(key: &str, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if key == "le" || key == "quantile" {
        if let (Some(x), Some(y)) = (go_float(a), go_float(b)) {
            return x == y;
        }
    }
    false
}

fn go_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "+inf" | "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        other => other.parse().ok(),
    }
}

/// What a series name says about its unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Seconds,
    Bytes,
    Plain,
}

impl Kind {
    pub fn of(name: &str) -> Kind {
        let base = ["_total", "_sum"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        if base.ends_with("_seconds") {
            Kind::Seconds
        } else if base.ends_with("_bytes") {
            Kind::Bytes
        } else {
            Kind::Plain
        }
    }

    /// The unit of a form of a series of this kind, and the factor from the series' value.
    pub fn unit(self, form: ScrapeForm) -> (Unit, f64) {
        match (self, form) {
            (Kind::Seconds, ScrapeForm::Rate) => (Unit::Percent, 100.0),
            (Kind::Seconds, _) => (Unit::Duration, 1e6),
            (Kind::Bytes, ScrapeForm::Rate) | (Kind::Plain, ScrapeForm::Rate) => (Unit::Rate, 1.0),
            (Kind::Bytes, _) => (Unit::Size, 1.0),
            (Kind::Plain, _) => (Unit::Number, 1.0),
        }
    }
}

/// A counter by its name: it only goes up, so a drop is a restart of the process.
pub fn is_counter(name: &str) -> bool {
    ["_total", "_count", "_sum", "_bucket"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The increase from the first to the last value, counting a drop of a counter as a reset.
pub fn increase(values: &[f64], counter: bool) -> Option<f64> {
    let (first, last) = (values.first()?, values.last()?);
    if !counter {
        return Some(last - first);
    }
    Some(
        values
            .windows(2)
            .map(|w| if w[1] < w[0] { w[1] } else { w[1] - w[0] })
            .sum(),
    )
}

/// `base` (a target's URL) with `path` in place of its path.
pub fn join_url(base: &str, path: &str) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            let (p, q) = path
                .split_once('?')
                .map_or((path, None), |(p, q)| (p, Some(q)));
            u.set_path(p);
            u.set_query(q);
            u.to_string()
        }
        Err(_) => format!("{}{path}", base.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `+Inf`, `-Inf` and `NaN` (a gauge may report them) survive summary.json and a merge.
    #[test]
    fn non_finite_values_round_trip_through_json() {
        for v in [f64::INFINITY, f64::NEG_INFINITY, 1.5, 0.0] {
            let s = Series {
                name: "x".into(),
                labels: vec![],
                value: v,
            };
            let json = serde_json::to_string(&s).unwrap();
            let back: Series = serde_json::from_str(&json).unwrap();
            assert_eq!(back.value, v, "{json}");
        }
        let nan = Series {
            name: "x".into(),
            labels: vec![],
            value: f64::NAN,
        };
        let json = serde_json::to_string(&nan).unwrap();
        assert!(json.contains(r#""value":"NaN""#), "{json}");
        assert!(
            serde_json::from_str::<Series>(&json)
                .unwrap()
                .value
                .is_nan()
        );
        // Files written before this change hold `null`.
        let old: Series = serde_json::from_str(r#"{"name":"x","labels":[],"value":null}"#).unwrap();
        assert!(old.value.is_nan());
        assert!(
            serde_json::from_str::<Series>(r#"{"name":"x","labels":[],"value":"abc"}"#).is_err()
        );
    }
}
