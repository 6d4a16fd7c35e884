//! `stress run --out DIR`: every artifact of a quickstart run, parsed and checked against what
//! the run reported (docs/artifacts.md is the contract).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

pub(crate) use crate::support::{assert_exit, stress_with_env as stress};

/// A fresh folder for one test.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("stress-artifacts-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The quickstart run with `--out`, once for every test here: (out dir, step summary file).
/// The folder holds stale files first (they must be overwritten), and the step summary a
/// previous step's text (it must be appended to).
pub(crate) fn quickstart() -> &'static (PathBuf, PathBuf) {
    static RUN: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = temp_dir("quickstart");
        let out = dir.join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("requests.jsonl"), "stale\n".repeat(500)).unwrap();
        std::fs::write(out.join("summary.json"), "stale").unwrap();
        let step_summary = dir.join("step_summary.md");
        std::fs::write(&step_summary, "previous step\n").unwrap();
        let run = stress(
            &[
                "run",
                "scenarios/quickstart.stress",
                "--out",
                out.to_str().unwrap(),
            ],
            &[("GITHUB_STEP_SUMMARY", &step_summary)],
        );
        assert_exit(&run, 0);
        (out, step_summary)
    })
}

pub(crate) const REQUEST_FIELDS: [&str; 23] = [
    "test",
    "scenario",
    "step",
    "user",
    "iteration",
    "call",
    "attempt",
    "phase",
    "chaos",
    "intended",
    "sent",
    "done",
    "intended_us",
    "sent_us",
    "done_us",
    "latency_us",
    "service_us",
    "status",
    "error",
    "fault",
    "rule",
    "outcome",
    "captures",
];

/// `2026-11-23T19:13:32.655018Z`
fn is_rfc3339_us(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    b.len() == 27
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            26 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn requests_jsonl_has_one_documented_line_per_attempt() {
    let (out, _) = quickstart();
    let text = std::fs::read_to_string(out.join("requests.jsonl")).unwrap();
    let summary = read_json(&out.join("summary.json"));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 200, "stale lines were not overwritten");
    assert_eq!(summary["totals"]["requests"], 200);
    assert_eq!(
        summary["tests"][0]["scenarios"][0]["requests"]["count"],
        200
    );
    let mut users = std::collections::BTreeSet::new();
    for line in &lines {
        let obj = line.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = REQUEST_FIELDS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want, "{line}");
        assert_eq!(line["test"], "smoke");
        assert_eq!(line["scenario"], "baseline");
        assert_eq!(line["step"], "complete");
        assert_eq!(line["phase"], Value::Null);
        assert_eq!(line["attempt"], 0);
        assert_eq!(line["status"], 200);
        assert_eq!(line["error"], Value::Null);
        assert_eq!(line["fault"], Value::Null);
        assert_eq!(line["rule"], Value::Null);
        assert_eq!(line["outcome"], "ok");
        // `capture tokens = json.usage.completion_tokens`: the mock's token count, a whole
        // number within its `tokens` range.
        let captures = line["captures"].as_object().unwrap();
        assert_eq!(captures.keys().collect::<Vec<_>>(), ["tokens"], "{line}");
        let tokens = captures["tokens"].as_f64().unwrap();
        assert!(tokens >= 1.0 && tokens.fract() == 0.0, "{line}");
        for t in ["intended", "sent", "done"] {
            assert!(is_rfc3339_us(&line[t]), "{t}: {}", line[t]);
        }
        let us = |k: &str| line[k].as_u64().unwrap_or_else(|| panic!("{k}: {line}"));
        assert!(us("intended_us") <= us("sent_us") && us("sent_us") <= us("done_us"));
        assert_eq!(us("latency_us"), us("done_us") - us("intended_us"));
        assert_eq!(us("service_us"), us("done_us") - us("sent_us"));
        // The wall clock and the offset tell the same time (to the second here).
        assert!(line["done"].as_str() >= line["intended"].as_str());
        users.insert(us("user"));
        let _ = (us("iteration"), us("call"));
    }
    assert_eq!(users.len(), 10);
}

#[test]
fn summary_json_validates_against_the_schema_and_counts_what_was_sent() {
    let (out, _) = quickstart();
    let summary = read_json(&out.join("summary.json"));
    schema::validate_summary(&summary);
    assert_eq!(summary["schema_version"], 1);
    assert_eq!(summary["kind"], "run");
    assert_eq!(summary["passed"], true);
    assert_eq!(summary["files"][0]["file"], "scenarios/quickstart.stress");
    let totals = &summary["totals"];
    assert_eq!(totals["requests"], 200);
    assert_eq!(totals["iterations"], 200);
    assert_eq!(totals["slos"], 4);
    assert_eq!(totals["slos_failed"], 0);
    let test = &summary["tests"][0];
    assert_eq!(test["test"], "smoke");
    assert_eq!(test["seeds"], serde_json::json!([0]));
    let scenario = &test["scenarios"][0];
    assert_eq!(scenario["iterations"], 200);
    assert_eq!(scenario["steps"][0]["name"], "complete");
    assert_eq!(scenario["steps"][0]["requests"], 200);
    assert_eq!(scenario["outcomes"][0]["name"], "success");
    assert_eq!(scenario["outcomes"][0]["count"], 200);
    let slos = test["slos"].as_array().unwrap();
    let where_: Vec<&str> = slos
        .iter()
        .map(|s| s["location"].as_str().unwrap())
        .collect();
    assert_eq!(
        where_,
        [
            "scenarios/quickstart.stress:27",
            "scenarios/quickstart.stress:28",
            "scenarios/quickstart.stress:29",
            "scenarios/quickstart.stress:30"
        ]
    );
    assert!(
        slos.iter()
            .all(|s| s["status"] == "pass" && s["passed"] == true)
    );
    assert_eq!(slos[1]["text"], "p95(latency) < 500ms");
    assert_eq!(slos[1]["bound"], 500_000.0);
    assert_eq!(
        slos[1]["measured"],
        scenario["steps"][0]["latency"]["p95_us"].as_f64().unwrap()
    );
}

/// One JUnit test case: (classname, name, failure message).
pub(crate) type JunitCase = (String, String, Option<String>);

/// The suites' names, and every test case.
pub(crate) fn junit_cases(path: &Path) -> (Vec<String>, Vec<JunitCase>) {
    use quick_xml::events::Event;
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut suites, mut cases) = (Vec::new(), Vec::new());
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> Option<String> {
        e.attributes()
            .map(Result::unwrap)
            .find(|a| {
                let key: &str = a.key.as_ref();
                key == name
            })
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                    .unwrap()
                    .into_owned()
            })
    };
    let name = |e: &quick_xml::events::BytesStart<'_>| -> String {
        let qname = e.name();
        let n: &str = qname.as_ref();
        n.to_string()
    };
    let mut depth = 0;
    loop {
        match reader.read_event().expect("junit.xml is well-formed XML") {
            Event::Start(e) | Event::Empty(e) if name(&e) == "testsuite" => {
                suites.push(attr(&e, "name").unwrap());
            }
            Event::Start(e) | Event::Empty(e) if name(&e) == "testcase" => {
                cases.push((
                    attr(&e, "classname").unwrap(),
                    attr(&e, "name").unwrap(),
                    None,
                ));
            }
            Event::Start(e) | Event::Empty(e) if name(&e) == "failure" => {
                cases.last_mut().unwrap().2 = Some(attr(&e, "message").unwrap());
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    let _ = depth;
    (suites, cases)
}

#[test]
fn junit_xml_has_one_testcase_per_slo_and_scenario() {
    let (out, _) = quickstart();
    let (suites, cases) = junit_cases(&out.join("junit.xml"));
    assert_eq!(suites, ["smoke"]);
    let names: Vec<&str> = cases.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(
        names,
        [
            "baseline: success_rate == 100%",
            "baseline: p95(latency) < 500ms",
            "baseline: p99(latency) < 1s",
            "baseline: throughput > 20/s",
            "baseline: check status == 200 (step complete)"
        ]
    );
    assert!(cases.iter().all(|c| c.0 == "smoke" && c.2.is_none()));
    assert_eq!(
        read_json(&out.join("codequality.json")),
        serde_json::json!([])
    );
}

#[test]
fn a_failing_slo_is_a_junit_failure_with_its_file_line_measured_and_bound() {
    let dir = temp_dir("failing");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.stress"),
    )
    .unwrap()
    .replace("p95(latency) < 500ms", "p95(latency) < 5ms")
    .replace("test \"smoke\"", "test \"smoke <&> \\\"quoted\\\"\"");
    let file = dir.join("unmeetable.stress");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let run = stress(
        &[
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&run, 1);
    let (suites, cases) = junit_cases(&out.join("junit.xml"));
    assert_eq!(suites, ["smoke <&> \"quoted\""], "escaped and read back");
    assert_eq!(cases.len(), 5); // four SLOs and the check
    let failed: Vec<_> = cases.iter().filter(|c| c.2.is_some()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].1, "baseline: p95(latency) < 5ms");
    let message = failed[0].2.as_deref().unwrap();
    assert!(message.contains("unmeetable.stress:28"), "{message}");
    assert!(message.contains("limit is < 5ms"), "{message}");
    let summary = read_json(&out.join("summary.json"));
    schema::validate_summary(&summary);
    let measured = summary["tests"][0]["slos"][1]["lhs_display"]
        .as_str()
        .unwrap();
    assert!(message.contains(&format!("was {measured}")), "{message}");
    assert_eq!(summary["passed"], false);
    assert_eq!(summary["totals"]["slos_failed"], 1);
    assert_eq!(summary["tests"][0]["slos"][1]["status"], "fail");
    // GitLab Code Quality: the one failed assertion, at its line, with a stable fingerprint.
    let quality = read_json(&out.join("codequality.json"));
    let issues = quality.as_array().expect("an array");
    assert_eq!(issues.len(), 1, "{quality}");
    assert_eq!(issues[0]["check_name"], "stress::slo::violated");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 28);
    assert!(
        issues[0]["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("unmeetable.stress")
    );
    assert!(
        issues[0]["description"]
            .as_str()
            .unwrap()
            .contains("p95(latency) < 5ms")
    );
    assert_eq!(issues[0]["fingerprint"].as_str().unwrap().len(), 16);
    // Table columns are padded to line up: compare with runs of spaces folded.
    let md = fold_spaces(&std::fs::read_to_string(out.join("report.md")).unwrap());
    assert!(md.contains("❌ failed"), "{md}");
    assert!(
        md.contains("| ❌ | `baseline` | `p95(latency) < 5ms` |"),
        "{md}"
    );
}

#[test]
fn report_md_has_the_slo_table_and_is_appended_to_the_github_step_summary() {
    let (out, step_summary) = quickstart();
    let raw = std::fs::read_to_string(out.join("report.md")).unwrap();
    let md = fold_spaces(&raw);
    assert!(md.starts_with("# stress run: ✅ passed"), "{md}");
    assert!(
        md.contains("| scenario | SLO | measured | bound | where |"),
        "{md}"
    );
    for slo in [
        "success_rate == 100%",
        "p95(latency) < 500ms",
        "p99(latency) < 1s",
        "throughput > 20/s",
    ] {
        assert!(
            md.contains(&format!("| ✅ | `baseline` | `{slo}` |")),
            "{slo}:\n{md}"
        );
    }
    assert!(md.contains("`scenarios/quickstart.stress:28`"), "{md}");
    let appended = std::fs::read_to_string(step_summary).unwrap();
    assert!(appended.starts_with("previous step\n"), "{appended}");
    assert!(appended.contains(&raw), "report.md was not appended");
}

#[test]
fn report_html_is_self_contained_and_names_the_test() {
    let (out, _) = quickstart();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.to_lowercase().contains("<html"), "not a page");
    assert!(html.contains("smoke"));
    let lower = html.to_lowercase();
    for banned in ["<script src", "<link", "@import", "url(http", "url(//"] {
        assert!(!lower.contains(banned), "external resource: {banned}");
    }
    // Any absolute URL may only be an XML namespace name, never something to fetch.
    for scheme in ["http://", "https://"] {
        for (at, _) in lower.match_indices(scheme) {
            let before = &lower[..at];
            assert!(
                before.ends_with("xmlns=\"") || before.ends_with("xmlns:xlink=\""),
                "a URL in report.html: {}",
                &html[at.saturating_sub(40)..(at + 60).min(html.len())]
            );
        }
    }
}

/// Every interval of every log, decoded, per log path.
pub(crate) fn hlog_counts(out: &Path) -> Vec<(String, stress::metrics::Histogram)> {
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    let summary = read_json(&out.join("summary.json"));
    let mut logs = Vec::new();
    for h in summary["histograms"].as_array().unwrap() {
        let path = h["path"].as_str().unwrap();
        let bytes = std::fs::read(out.join(path)).unwrap();
        let mut total = stress::metrics::Histogram::new();
        let mut base_time = false;
        for entry in IntervalLogIterator::new(&bytes) {
            match entry.expect("a well-formed interval log") {
                LogEntry::Interval(i) => {
                    let h = stress::metrics::Histogram::from_v2_base64(i.encoded_histogram())
                        .expect("a V2 histogram");
                    assert!(h.count() > 0);
                    assert_eq!(i.duration(), std::time::Duration::from_secs(1));
                    total.merge(&h);
                }
                LogEntry::BaseTime(_) => base_time = true,
                LogEntry::StartTime(_) => {}
            }
        }
        assert!(base_time, "{path}: no BaseTime");
        logs.push((path.to_string(), total));
    }
    logs
}

#[test]
fn hlogs_decode_with_the_interval_log_iterator_and_hold_every_request() {
    let (out, _) = quickstart();
    let logs = hlog_counts(out);
    assert_eq!(
        logs.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(),
        ["histograms/smoke/baseline/complete.hlog"]
    );
    let h = &logs[0].1;
    assert_eq!(h.count(), 200);
    let summary = read_json(&out.join("summary.json"));
    let latency = &summary["tests"][0]["scenarios"][0]["steps"][0]["latency"];
    for (q, key) in [
        (0.5, "p50_us"),
        (0.95, "p95_us"),
        (0.99, "p99_us"),
        (1.0, "max_us"),
    ] {
        let from_log = stress::metrics::round_sig(h.percentile(q).unwrap() as f64, 3) as u64;
        assert_eq!(Some(from_log), latency[key].as_u64(), "{key}");
    }
}

#[test]
fn metrics_and_plan_are_stored_for_merge() {
    let (out, _) = quickstart();
    let plan = read_json(&out.join("plan.json"));
    assert_eq!(plan["files"][0]["file"], "scenarios/quickstart.stress");
    assert!(
        plan["files"][0]["source"]
            .as_str()
            .unwrap()
            .contains("test \"smoke\"")
    );
    assert_eq!(plan["files"][0]["plan"]["tests"][0]["name"], "smoke");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(
        summary["files"][0]["plan_digest"],
        plan["files"][0]["digest"]
    );
    let metrics = read_json(&out.join("metrics.json"));
    assert_eq!(metrics["format"], "stress-metrics");
    let test = &metrics["tests"][0];
    assert_eq!(test["test"], "smoke");
    let series = &test["series"][0];
    assert_eq!(series["scenario"], "baseline");
    let per_second: u64 = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(per_second, 200);
}

#[test]
fn an_unwritable_out_exits_3_before_load_and_leaves_nothing_half_written() {
    let dir = temp_dir("unwritable");
    // A folder under a file cannot be created.
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let run = stress(
        &[
            "run",
            "scenarios/quickstart.stress",
            "--out",
            blocker.join("out").to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&run, 3);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("stress::run::out"), "{err}");
    assert!(!err.contains("running test"), "load started: {err}");
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "x");
    // A folder where requests.jsonl cannot be created: refused before load, nothing written.
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("requests.jsonl")).unwrap();
    let run = stress(
        &[
            "run",
            "scenarios/quickstart.stress",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&run, 3);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!err.contains("running test"), "load started: {err}");
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["requests.jsonl"]);
}

/// A validator for the subset of JSON Schema (2020-12) that `schema/summary.schema.json`
/// uses, strict about it: an unknown keyword in the schema, or a property in the data that
/// the schema does not declare, is an error (so the schema and docs cannot fall behind the
/// output). Chosen over the `jsonschema` crate, which brings some 60 crates with it.
pub(crate) mod schema {
    use serde_json::Value;

    pub(crate) fn validate_summary(data: &Value) {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/summary.schema.json");
        let schema = super::read_json(&path);
        let mut errors = Vec::new();
        check(&schema, &schema, data, "$", &mut errors);
        assert!(
            errors.is_empty(),
            "summary.json does not match its schema:\n{}",
            errors.join("\n")
        );
    }

    fn type_ok(t: &str, v: &Value) -> bool {
        match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "number" => v.is_number(),
            "integer" => v.is_u64() || v.is_i64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
            other => panic!("unknown type `{other}` in the schema"),
        }
    }

    fn check(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(s) = schema.as_object() else {
            panic!("schema at {at} is not an object");
        };
        for (key, rule) in s {
            match key.as_str() {
                "$schema" | "$id" | "$defs" | "title" | "description" | "format" => {}
                "$ref" => {
                    let name = rule
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/$defs/"))
                        .unwrap_or_else(|| panic!("unsupported $ref {rule}"));
                    let target = &root["$defs"][name];
                    assert!(!target.is_null(), "no $defs/{name}");
                    check(root, target, v, at, errors);
                }
                "type" => {
                    let ok = match rule {
                        Value::String(t) => type_ok(t, v),
                        Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
                        _ => panic!("bad type at {at}"),
                    };
                    if !ok {
                        errors.push(format!("{at}: {v} is not of type {rule}"));
                    }
                }
                "const" => {
                    if v != rule {
                        errors.push(format!("{at}: {v} is not {rule}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().unwrap().contains(v) {
                        errors.push(format!("{at}: {v} is not one of {rule}"));
                    }
                }
                "minimum" => {
                    if v.as_f64().is_some_and(|n| n < rule.as_f64().unwrap()) {
                        errors.push(format!("{at}: {v} < {rule}"));
                    }
                }
                "minItems" | "maxItems" => {
                    if let Some(a) = v.as_array() {
                        let n = rule.as_u64().unwrap() as usize;
                        let bad = if key == "minItems" {
                            a.len() < n
                        } else {
                            a.len() > n
                        };
                        if bad {
                            errors.push(format!("{at}: {} items, {key} {n}", a.len()));
                        }
                    }
                }
                "required" => {
                    if let Some(o) = v.as_object() {
                        for r in rule.as_array().unwrap() {
                            if !o.contains_key(r.as_str().unwrap()) {
                                errors.push(format!("{at}: missing `{}`", r.as_str().unwrap()));
                            }
                        }
                    }
                }
                "properties" => {
                    if let Some(o) = v.as_object() {
                        let props = rule.as_object().unwrap();
                        for (k, value) in o {
                            match props.get(k) {
                                Some(p) => check(root, p, value, &format!("{at}.{k}"), errors),
                                None => errors
                                    .push(format!("{at}: `{k}` is not declared in the schema")),
                            }
                        }
                    }
                }
                "items" => {
                    if let Some(a) = v.as_array() {
                        for (i, item) in a.iter().enumerate() {
                            check(root, rule, item, &format!("{at}[{i}]"), errors);
                        }
                    }
                }
                "anyOf" | "oneOf" => {
                    let passing = rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|branch| {
                            let mut e = Vec::new();
                            check(root, branch, v, at, &mut e);
                            e.is_empty()
                        })
                        .count();
                    let ok = if key == "oneOf" {
                        passing == 1
                    } else {
                        passing >= 1
                    };
                    if !ok {
                        errors.push(format!("{at}: {passing} branches of {key} match {v}"));
                    }
                }
                other => panic!("keyword `{other}` at {at} is not supported by this checker"),
            }
        }
    }

    #[test]
    fn the_checker_rejects_what_it_should() {
        let schema: Value = serde_json::json!({
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": { "type": "integer", "minimum": 0 },
                "b": { "anyOf": [{ "type": "null" }, { "enum": ["x"] }] }
            }
        });
        let run = |v: Value| {
            let mut e = Vec::new();
            check(&schema, &schema, &v, "$", &mut e);
            e.len()
        };
        assert_eq!(run(serde_json::json!({"a": 1, "b": null})), 0);
        assert_eq!(run(serde_json::json!({"a": 1, "b": "x"})), 0);
        assert_eq!(run(serde_json::json!({"b": "y"})), 2);
        assert_eq!(run(serde_json::json!({"a": -1})), 1);
        assert_eq!(run(serde_json::json!({"a": 1, "c": 2})), 1);
    }
}

/// `text` with every run of spaces folded into one (Markdown tables pad their columns).
fn fold_spaces(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn request_lines_say_where_they_fall_around_the_chaos_window() {
    let dir = temp_dir("chaos-lines");
    let file = dir.join("chaos.stress");
    std::fs::write(
        &file,
        r#"
target llm mock {
  api openai
  latency 1ms..2ms
  tokens 5..10
}
workload chat {
  request complete: post llm "/v1/chat/completions" {
    json { model: "m", messages: [{ role: "user", content: "hi" }] }
  }
}
scenario slow { latency(100%, 1ms) }
test "t" {
  workload chat
  profile { rate 50/s for 900ms }
  chaos from 300ms to 600ms { faults slow }
  slo { count(true) == 45 }
}
"#,
    )
    .unwrap();
    let out = dir.join("out");
    let run = stress(
        &[
            "run",
            "-q",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&run, 0);
    let text = std::fs::read_to_string(out.join("requests.jsonl")).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let at = v["intended_us"].as_u64().unwrap();
        let want = if at < 300_000 {
            "before"
        } else if at < 600_000 {
            "during"
        } else {
            "after"
        };
        assert_eq!(v["chaos"], want, "{line}");
        *seen.entry(want).or_insert(0) += 1;
    }
    // 50/s: arrivals every 20 ms, 15 in each 300 ms part.
    assert_eq!(
        seen,
        [("after", 15), ("before", 15), ("during", 15)]
            .into_iter()
            .collect()
    );
}
