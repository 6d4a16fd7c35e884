//! Runtime values of the language: what an expression evaluates to, what a JSON body is built
//! from, and what a parsed response body becomes. Clones are cheap (strings, lists and objects
//! are behind `Arc`). `Serialize`/`Deserialize` go straight to and from JSON (or YAML) text
//! without a `serde_json::Value` in between; conversions to and from `serde_json::Value` exist
//! for callers that hold one. No evaluation here (see `eval`).

use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A value at run time. JSON-shaped; numbers are `f64` in base units (durations in
/// microseconds, percentages as fractions, money in dollars).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    Str(Arc<str>),
    List(Arc<Vec<Value>>),
    /// Keys in insertion order (a JSON object as written or as received).
    Object(Arc<Vec<(String, Value)>>),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::Str(s.into())
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// An object value (keys in the given order).
    pub fn object(entries: Vec<(String, Value)>) -> Value {
        Value::Object(Arc::new(entries))
    }

    /// The type's name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "none",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    /// Truthiness for `check`, `&&`, `||`, `!` and `until`: `none`, `false`, `0`, `""` and `[]`
    /// are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Object(_) => true,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The member `key` of an object (`None` for a missing key or a non-object).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Parses JSON text.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Converts to a `serde_json::Value` (non-finite numbers become `null`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => json_number(*n),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Object(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn json_number(n: f64) -> serde_json::Value {
    match integral(n) {
        Some(i) => serde_json::Value::from(i),
        None => serde_json::Number::from_f64(n)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
    }
}

/// `n` as an integer when it is integral and exactly representable.
fn integral(n: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    (n.fract() == 0.0 && n.abs() <= EXACT).then_some(n as i64)
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::Str(s.into()),
            serde_json::Value::Array(items) => {
                Value::list(items.into_iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => {
                Value::object(map.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s.into())
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// Writes a number as the language shows it: integral values without `.0`.
pub(crate) fn write_number(f: &mut impl fmt::Write, n: f64) -> fmt::Result {
    match integral(n) {
        Some(i) => write!(f, "{i}"),
        None => write!(f, "{n}"),
    }
}

impl fmt::Display for Value {
    /// Interpolation text: strings as is, numbers without a trailing `.0`, `none` as `null`,
    /// lists and objects as JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write_number(f, *n),
            Value::Str(s) => f.write_str(s),
            Value::List(_) | Value::Object(_) => {
                let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
                f.write_str(&text)
            }
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => match integral(*n) {
                Some(i) => s.serialize_i64(i),
                None if n.is_finite() => s.serialize_f64(*n),
                None => s.serialize_unit(),
            },
            Value::Str(text) => s.serialize_str(text),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-shaped value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.into()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s.into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some((k, v)) = map.next_entry::<MapKey, Value>()? {
            entries.push((k.0, v));
        }
        Ok(Value::object(entries))
    }
}

/// An object key; YAML allows non-string keys, which become their text.
struct MapKey(String);

impl<'de> Deserialize<'de> for MapKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Str(s) => Ok(MapKey(s.to_string())),
            other => Ok(MapKey(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_without_trailing_zero() {
        assert_eq!(Value::Number(3.0).to_string(), "3");
        assert_eq!(Value::Number(-12.0).to_string(), "-12");
        assert_eq!(Value::Number(0.25).to_string(), "0.25");
        assert_eq!(Value::Null.to_string(), "null");
    }

    #[test]
    fn json_round_trip_keeps_order_and_integers() {
        let text = r#"{"b":1,"a":[true,null,"x",2.5],"c":{"d":-3}}"#;
        let v = Value::from_json_slice(text.as_bytes()).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), text);
        assert_eq!(v.get("b"), Some(&Value::Number(1.0)));
        let via: Value = serde_json::from_str::<serde_json::Value>(text)
            .unwrap()
            .into();
        assert_eq!(
            via.to_json(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

    #[test]
    fn lists_and_objects_display_as_json() {
        let v = Value::object(vec![
            ("role".into(), "user".into()),
            ("n".into(), 2.0.into()),
        ]);
        assert_eq!(v.to_string(), r#"{"role":"user","n":2}"#);
        assert_eq!(
            Value::list(vec![1.0.into(), "a".into()]).to_string(),
            r#"[1,"a"]"#
        );
    }

    #[test]
    fn yaml_sequences_deserialize() {
        let v: Value = serde_yaml::from_str("- a: 1\n  b: two\n- 3\n").unwrap();
        let items = v.as_list().unwrap();
        assert_eq!(items[0].get("b"), Some(&Value::from("two")));
        assert_eq!(items[1], Value::Number(3.0));
    }

    #[test]
    fn truthiness() {
        assert!(!Value::Null.truthy());
        assert!(!Value::Number(0.0).truthy());
        assert!(Value::from("x").truthy());
        assert!(!Value::list(vec![]).truthy());
    }
}
