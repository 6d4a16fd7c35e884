//! Data sets (`data NAME = lines(…) | csv(…) | jsonl(…) | yaml(…)`): read once at the start
//! of a run into lists of values shared by every VU. `lines` gives one string per non-empty
//! line, `csv` one object per row keyed by the header row (values are strings), `jsonl` one
//! JSON value per non-empty line, `yaml` the elements of a top-level sequence.

use std::collections::HashMap;
use std::path::Path;

use crate::eval::Value;
use crate::plan::DataSet;

use super::RunError;

/// Loads every data set of a plan (see [`load`] for how paths resolve).
pub(crate) fn load_all(
    sets: &[DataSet],
    base_dir: &Path,
) -> Result<HashMap<String, Value>, RunError> {
    sets.iter()
        .map(|set| Ok((set.name.clone(), load(set, base_dir)?)))
        .collect()
}

/// `DataSet::path` as lowered is already resolved against the `.stress` file's folder; a
/// relative path that does not exist from here is tried against `base_dir`.
fn load(set: &DataSet, base_dir: &Path) -> Result<Value, RunError> {
    let direct = Path::new(&set.path);
    let path = if direct.is_absolute() || direct.exists() {
        direct.to_path_buf()
    } else {
        base_dir.join(direct)
    };
    let fail = |reason: String| RunError::Data {
        name: set.name.clone(),
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
    parse(&set.format, &text).map_err(fail)
}

/// Parses a data set's text in one of the four formats.
pub(crate) fn parse(format: &str, text: &str) -> Result<Value, String> {
    let items = match format {
        "lines" => text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty())
            .map(Value::from)
            .collect(),
        "jsonl" => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                Value::from_json_slice(l.as_bytes()).map_err(|e| format!("line {}: {e}", i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?,
        "csv" => csv(text)?,
        "yaml" => match serde_yaml::from_str::<Value>(text).map_err(|e| e.to_string())? {
            Value::List(items) => items.as_ref().clone(),
            other => {
                return Err(format!(
                    "expected a YAML sequence at the top level, found {}",
                    other.type_name()
                ));
            }
        },
        other => return Err(format!("unknown data format `{other}`")),
    };
    Ok(Value::list(items))
}

/// RFC 4180 CSV: a header row, then one object per row. Quoted fields may hold commas,
/// newlines and doubled quotes; blank lines are skipped.
fn csv(text: &str) -> Result<Vec<Value>, String> {
    let mut rows = csv_rows(text)?.into_iter();
    let Some(header) = rows.next() else {
        return Ok(Vec::new());
    };
    rows.enumerate()
        .map(|(i, row)| {
            if row.len() != header.len() {
                return Err(format!(
                    "row {} has {} fields, the header has {}",
                    i + 2,
                    row.len(),
                    header.len()
                ));
            }
            Ok(Value::object(
                header
                    .iter()
                    .cloned()
                    .zip(row.into_iter().map(Value::from))
                    .collect(),
            ))
        })
        .collect()
}

fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    let mut row_has_content = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                row_has_content = true;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                row_has_content = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                if row_has_content || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                row_has_content = false;
            }
            _ => {
                field.push(c);
                row_has_content = true;
            }
        }
    }
    if quoted {
        return Err(format!("unterminated quoted field (line {line})"));
    }
    if row_has_content || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_blanks() {
        let v = parse("lines", "a\r\n\n b \nc").unwrap();
        assert_eq!(v, Value::list(vec!["a".into(), " b ".into(), "c".into()]));
    }

    #[test]
    fn csv_rows_become_objects() {
        let v = parse(
            "csv",
            "name,quote\nann,\"hi, there\"\n\nbob,\"say \"\"x\"\"\nok\"\n",
        )
        .unwrap();
        let rows = v.as_list().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("quote"), Some(&Value::from("hi, there")));
        assert_eq!(rows[1].get("quote"), Some(&Value::from("say \"x\"\nok")));
        assert!(parse("csv", "a,b\n1\n").unwrap_err().contains("row 2"));
        assert!(parse("csv", "a\n\"open\n").is_err());
    }

    #[test]
    fn jsonl_and_yaml() {
        let v = parse("jsonl", "{\"a\":1}\n\n[2]\n").unwrap();
        assert_eq!(v.as_list().unwrap().len(), 2);
        assert!(parse("jsonl", "{oops}").unwrap_err().starts_with("line 1"));
        let y = parse("yaml", "- x\n- y: 2\n").unwrap();
        assert_eq!(y.as_list().unwrap()[0], Value::from("x"));
        assert!(parse("yaml", "a: 1").is_err());
    }

    #[test]
    fn missing_file_is_a_data_error() {
        let set = DataSet {
            name: "d".into(),
            format: "lines".into(),
            path: "no/such/file.txt".into(),
        };
        let err = load_all(&[set], Path::new("/nonexistent")).unwrap_err();
        assert!(matches!(err, RunError::Data { ref name, .. } if name == "d"));
    }
}
