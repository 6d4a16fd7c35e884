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

/// RFC 4180 CSV (read by the `csv` crate): a header row, then one object per row. Quoted
/// fields may hold commas, line breaks and doubled quotes; lines may end in LF or CRLF; blank
/// lines are skipped and a UTF-8 byte order mark is dropped. A row whose field count differs
/// from the header's, or a quoted field that is never closed, is an error naming the row (the
/// header is row 1) and the line it starts on.
fn csv(text: &str) -> Result<Vec<Value>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos: Some(pos),
            expected_len,
            len,
        } => format!(
            "row {} (line {}) has {len} field{}, the header has {expected_len}",
            pos.record() + 1,
            line_of(text, pos),
            if *len == 1 { "" } else { "s" }
        ),
        _ => e.to_string(),
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    let mut last = header.position().cloned();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        last = record.position().cloned();
        rows.push(Value::object(
            header
                .iter()
                .map(str::to_string)
                .zip(record.iter().map(Value::from))
                .collect(),
        ));
    }
    if let Some(pos) = last
        && !closed(&text[pos.byte() as usize..])
    {
        return Err(format!(
            "row {} (line {}): a quoted field is never closed",
            pos.record() + 1,
            line_of(text, &pos)
        ));
    }
    Ok(rows)
}

/// Whether the last record of `tail` (which starts at a record) ends outside a quoted field.
/// The `csv` crate reads an unclosed quote as running to the end of the input, with no error;
/// a line break added after a closed record changes nothing, while inside an open quote it
/// becomes part of the last field.
fn closed(tail: &str) -> bool {
    let last = |text: &str| {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .into_records()
            .last()
            .and_then(Result::ok)
    };
    last(tail) == last(&format!("{tail}\n"))
}

/// The line a record starts on. The `csv` crate gives the line where the previous record
/// ended, before the blank lines it skips.
fn line_of(text: &str, pos: &csv::Position) -> u64 {
    let skipped = text[pos.byte() as usize..]
        .bytes()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| *b == b'\n')
        .count();
    pos.line() + skipped as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_blanks() {
        let v = parse("lines", "a\r\n\n b \nc").unwrap();
        assert_eq!(v, Value::list(vec!["a".into(), " b ".into(), "c".into()]));
    }

    fn csv_rows(text: &str) -> Vec<Vec<(String, String)>> {
        parse("csv", text)
            .unwrap()
            .as_list()
            .unwrap()
            .iter()
            .map(|row| {
                let Value::Object(entries) = row else {
                    panic!("not an object: {row:?}")
                };
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect()
            })
            .collect()
    }

    fn pairs(row: &[(&str, &str)]) -> Vec<(String, String)> {
        row.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
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
    }

    #[test]
    fn csv_quoted_fields_hold_commas_line_breaks_and_doubled_quotes() {
        let rows = csv_rows(concat!(
            "id,\"note, with comma\",q\r\n",
            "1,\"a, b\",\"he said \"\"hi\"\"\"\r\n",
            "2,\"two\r\nlines\",\"\"\"\"\r\n",
            "\r\n",
            "3,,\"x\"\n",
        ));
        assert_eq!(
            rows,
            [
                pairs(&[
                    ("id", "1"),
                    ("note, with comma", "a, b"),
                    ("q", "he said \"hi\"")
                ]),
                pairs(&[
                    ("id", "2"),
                    ("note, with comma", "two\r\nlines"),
                    ("q", "\"")
                ]),
                pairs(&[("id", "3"), ("note, with comma", ""), ("q", "x")]),
            ]
        );
    }

    #[test]
    fn csv_header_only_empty_file_bom_and_no_final_newline() {
        assert_eq!(csv_rows(""), Vec::<Vec<_>>::new());
        assert_eq!(csv_rows("a,b\n"), Vec::<Vec<_>>::new());
        assert_eq!(
            csv_rows("\u{feff}a,b\n1,2"),
            [pairs(&[("a", "1"), ("b", "2")])]
        );
    }

    #[test]
    fn csv_ragged_rows_and_open_quotes_are_errors_with_row_and_line() {
        assert_eq!(
            parse("csv", "a,b\n1\n").unwrap_err(),
            "row 2 (line 2) has 1 field, the header has 2"
        );
        // The row count skips blank lines; the line number does not, and a quoted line break
        // moves it on.
        assert_eq!(
            parse("csv", "a,b\n\"x\ny\",1\n\n3,4,5\n").unwrap_err(),
            "row 3 (line 5) has 3 fields, the header has 2"
        );
        assert_eq!(
            parse("csv", "a\n1\n\"open\n2\n").unwrap_err(),
            "row 3 (line 3): a quoted field is never closed"
        );
        assert_eq!(
            parse("csv", "a,\"b\n").unwrap_err(),
            "row 1 (line 1): a quoted field is never closed"
        );
        assert_eq!(
            parse("csv", "a\n\"x\"\"\n").unwrap_err(),
            "row 2 (line 2): a quoted field is never closed"
        );
        assert!(parse("csv", "a\n\"x\"\"\"\n").is_ok());
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
