//! `check`s as results: each check of each request step counted (passed, failed, iterations
//! it ended) in the text report, summary.json and junit.xml, and summed by `stress merge`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::artifacts::{assert_exit, junit_cases, read_json, schema, stress, temp_dir};
use crate::support::temp_file;

/// One user, ten iterations, two requests each: call numbers are `complete` 0, then `again`
/// 1 … The rule fails calls 0 and 3, both `complete` calls (iterations 0 and 2), whose
/// `status == 200` fails and ends the iteration: `complete` is sent 10 times (8 pass), its
/// second check is evaluated 8 times (it never fails), `again` is sent 8 times.
const FILE: &str = r#"
target llm mock {
  api openai
  latency 1ms..2ms
  tokens 20..30
}

workload chat {
  request complete: post llm "/v1/chat/completions" {
    json { model: "m", messages: [{ role: "user", content: "hi" }] }
    check status == 200
    check json.usage.completion_tokens < 1000
  }
  request again: post llm "/v1/chat/completions" {
    json { model: "m", messages: [{ role: "user", content: "again" }] }
    check status == 200
  }
}

scenario flaky { nth_call([0, 3], 503) }

test "checks" {
  workload chat
  scenarios flaky
  profile { users 1, iterations 10 }
  slo {
    p99(latency) < 10s
  }
}
"#;

fn run(dir: &Path, name: &str, seed: &str) -> (PathBuf, String) {
    let file = temp_file("checks", "checks.stress", FILE);
    let out = dir.join(name);
    let o = stress(
        &[
            "run",
            file.to_str().unwrap(),
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&o, 0);
    (out, String::from_utf8_lossy(&o.stdout).into_owned())
}

fn checks(summary: &Value) -> &Value {
    &summary["tests"][0]["scenarios"][0]["checks"]
}

fn expected(times: u64) -> Value {
    json!([
        {"step": "complete", "check": "status == 200", "passed": 8 * times, "failed": 2 * times,
         "failed_pct": 20.0, "ended_iterations": 2 * times},
        {"step": "complete", "check": "json.usage.completion_tokens < 1000", "passed": 8 * times,
         "failed": 0, "failed_pct": 0.0, "ended_iterations": 0},
        {"step": "again", "check": "status == 200", "passed": 8 * times, "failed": 0,
         "failed_pct": 0.0, "ended_iterations": 0},
    ])
}

#[test]
fn each_check_is_counted_per_step_and_reported_everywhere() {
    let dir = temp_dir("checks-run");
    let (out, text) = run(&dir, "a", "0");
    assert!(text.contains("--- Checks ---"), "{text}");
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip_while(|l| !l.starts_with("--- Checks ---"))
        .skip(2)
        .take(3)
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            vec!["✗", "complete", "status == 200", "8", "2", "20%"],
            vec![
                "✓",
                "complete",
                "json.usage.completion_tokens < 1000",
                "8",
                "0",
                "0%"
            ],
            vec!["✓", "again", "status == 200", "8", "0", "0%"],
        ],
        "{text}"
    );
    assert!(
        text.contains(
            "check `status == 200` at step `complete` failed 2 times and ended 2 iterations \
             (steps after it did not run)"
        ),
        "{text}"
    );

    let summary = read_json(&out.join("summary.json"));
    schema::validate_summary(&summary);
    assert_eq!(checks(&summary), &expected(1));

    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| ✗ | `complete` | `status == 200` "), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<h3 class=\"hh\">Checks</h3>"),
        "no checks table"
    );

    let (_, cases) = junit_cases(&out.join("junit.xml"));
    let check_cases: Vec<(&str, Option<&str>)> = cases
        .iter()
        .filter(|c| c.1.contains(": check "))
        .map(|c| (c.1.as_str(), c.2.as_deref()))
        .collect();
    assert_eq!(
        check_cases,
        [
            (
                "flaky: check status == 200 (step complete)",
                Some(
                    "check `status == 200` at step `complete` failed 2 times of 10 (20%); \
                     it ended 2 iterations"
                )
            ),
            (
                "flaky: check json.usage.completion_tokens < 1000 (step complete)",
                None
            ),
            ("flaky: check status == 200 (step again)", None),
        ]
    );
}

#[test]
fn merging_two_runs_sums_the_check_counts() {
    let dir = temp_dir("checks-merge");
    let (a, _) = run(&dir, "a", "0");
    let (b, _) = run(&dir, "b", "1");
    let merged = dir.join("merged");
    let o = stress(
        &[
            "merge",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&o, 0);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(
            "check `status == 200` at step `complete` failed 4 times and ended 4 iterations"
        ),
        "{text}"
    );
    let summary = read_json(&merged.join("summary.json"));
    schema::validate_summary(&summary);
    assert_eq!(checks(&summary), &expected(2));
}
