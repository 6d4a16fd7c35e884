//! `stress run` end to end through the binary: the shipped runnable examples pass, and every
//! exit code (0, 1, 2, 3, 130) means what the README says.

use std::path::Path;
use std::process::Command;

use crate::support::{assert_exit, stress};

/// This module's temporary files.
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    crate::support::temp_file("run", name, text)
}

#[test]
fn quickstart_runs_green() {
    let out = stress(&["run", "scenarios/quickstart.stress"]);
    assert_exit(&out, 0);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("total 200"), "{report}");
    assert!(report.contains("PASSED: 4 of 4"), "{report}");
}

#[test]
fn agents_runs_green() {
    let out = stress(&["run", "scenarios/agents.stress"]);
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("seed 7"));
}

#[test]
fn pool_exhaustion_first_test_runs_green() {
    let out = stress(&[
        "run",
        "scenarios/pool_exhaustion.stress",
        "--test",
        "graceful 429 when the pool is exhausted",
    ]);
    assert_exit(&out, 0);
}

#[test]
fn pool_recovery_runs_green_shortened() {
    let out = stress(&["run", "tests/run_inputs/pool_short.stress"]);
    assert_exit(&out, 0);
}

#[test]
fn bad_day_runs_its_seven_scenarios_green() {
    let out = stress(&["run", "scenarios/bad_day.stress"]);
    assert_exit(&out, 0);
    let report = String::from_utf8_lossy(&out.stdout);
    for scenario in [
        "baseline",
        "high_429s",
        "slow_provider",
        "outage",
        "flaky",
        "stalls",
        "mixed",
    ] {
        assert!(
            report.contains(&format!("=== scenario {scenario}")),
            "{scenario} missing:\n{report}"
        );
    }
}

#[test]
fn an_unmeetable_slo_exits_1_pointing_at_its_line() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.stress"),
    )
    .unwrap()
    .replace("p95(latency) < 500ms", "p95(latency) < 5ms");
    let path = temp_file("unmeetable.stress", &text);
    let out = stress(&["run", path.to_str().unwrap()]);
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stress::slo::violated"), "{err}");
    assert!(err.contains("unmeetable.stress:28:5"), "{err}");
    assert!(err.contains("limit is < 5ms"), "{err}");
}

#[test]
fn an_invalid_file_exits_2_and_runs_nothing() {
    let path = temp_file(
        "invalid.stress",
        "workload w { think 5 }\ntest \"t\" { workload w profile { users 1, iterations 1 } }\n",
    );
    let out = stress(&["run", path.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty());
}

#[test]
fn an_unknown_set_exits_2() {
    let out = stress(&[
        "run",
        "scenarios/bad_day.stress",
        "--set",
        "price_per_tokn=$0.01",
    ]);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `price_per_token`?"));
}

#[test]
fn set_overrides_a_constant() {
    let path = temp_file(
        "set.stress",
        "target llm mock { api openai }\nlet n = 2\nworkload w { request r: post llm \"/v1/chat/completions\" { json { messages: [] } } }\n\
         test \"t\" { workload w  profile { users 1, iterations 3 }  slo { count(true) == 3 * n } }\n",
    );
    assert_exit(&stress(&["run", path.to_str().unwrap()]), 1);
    assert_exit(&stress(&["run", path.to_str().unwrap(), "--set", "n=1"]), 0);
}

#[test]
fn a_set_of_the_wrong_kind_names_set_and_never_the_value() {
    let path = temp_file(
        "set_kind.stress",
        "target llm mock { api openai }\nlet users = 2\nlet token = \"t\"\n\
         workload w { request r: post llm \"/v1/chat/completions\" { header \"x-token\" = token, json { messages: [] } } }\n\
         test \"t\" { workload w  profile { users users, iterations 1 } }\n",
    );
    let file = path.to_str().unwrap();
    let out = stress(&["run", file, "--set", "users=s3cr3tvalue"]);
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`--set users` expects a whole number"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3tvalue"), "{stderr}");
    // A string `let` takes any value as its text, digits included.
    assert_exit(
        &stress(&["run", file, "--quiet", "--set", "token=12345"]),
        0,
    );
}

#[test]
fn format_json_prints_the_summary_on_stdout_and_the_report_on_stderr() {
    let path = temp_file(
        "format_json.stress",
        "target llm mock { api openai }\nworkload w { request r: post llm \"/v1/chat/completions\" { json { messages: [] } } }\n\
         test \"t\" { workload w  profile { users 2, iterations 3 }  slo { p99.9(latency) < 10s } }\n",
    );
    let out = stress(&["run", path.to_str().unwrap(), "--quiet", "--format", "json"]);
    assert_exit(&out, 0);
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is summary.json alone");
    assert_eq!(summary["kind"], "run");
    assert_eq!(summary["tests"][0]["test"], "t");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("=== scenario baseline ==="), "{stderr}");
}

#[test]
fn an_unreachable_target_exits_3() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let path = temp_file(
        "dead.stress",
        &format!(
            "target api = \"http://127.0.0.1:{port}\"\nworkload w {{ request r: get api \"/\" }}\ntest \"t\" {{ workload w  profile {{ users 2, iterations 2 }} }}\n"
        ),
    );
    let out = stress(&["run", path.to_str().unwrap()]);
    assert_exit(&out, 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("stress::run::unreachable"));
}

#[test]
fn an_unwritable_out_exits_3_before_load() {
    let blocker = temp_file("not-a-dir", "x");
    let out = stress(&[
        "run",
        "scenarios/quickstart.stress",
        "--out",
        blocker.join("sub").to_str().unwrap(),
    ]);
    assert_exit(&out, 3);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("running test"),
        "load started"
    );
}

#[test]
fn ctrl_c_exits_130_with_a_partial_report() {
    let path = temp_file(
        "long.stress",
        "target llm mock { latency 10ms }\nworkload w { request r: post llm \"/v1/chat/completions\" { json { messages: [] } } }\n\
         test \"t\" { workload w  profile { hold 5 users for 60s } }\n",
    );
    // Wait until the load has started (the run announces it), not for a fixed time.
    let (mut child, mut stderr, _) = crate::support::spawn_running(&[path.as_os_str()]);
    use std::io::Read;
    let started = std::time::Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(
        // A bound against a hang, not a timing: stopping takes well under a second.
        started.elapsed() < std::time::Duration::from_secs(30),
        "Ctrl-C took {:?}",
        started.elapsed()
    );
    assert!(stdout.to_lowercase().contains("interrupted"), "{stdout}");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
}

#[test]
fn an_unknown_scenario_exits_2_before_any_load() {
    let out = stress(&[
        "run",
        "-q",
        "scenarios/bad_day.stress",
        "--scenario",
        "stall",
    ]);
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `stalls`?"), "{err}");
    assert!(!err.contains("running test"), "load started: {err}");
}

#[test]
fn a_money_capture_keeps_its_cents_and_prints_as_money() {
    let out = stress(&[
        "run",
        "-q",
        "scenarios/bad_day.stress",
        "--scenario",
        "baseline",
    ]);
    assert_exit(&out, 0);
    let report = String::from_utf8_lossy(&out.stdout);
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with("cost ") && l.contains("count"))
        .unwrap();
    // bad_day's cost is tokens × $0.000002: well under a tenth of a cent, never rounded to 0.
    assert!(line.contains("p50 $0.000"), "{line}");
    assert!(!line.contains("p50 0 "), "{line}");
}

#[test]
fn every_example_runs_green() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut ran = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "stress") {
            let out = stress(&["run", "-q", path.to_str().unwrap()]);
            assert_exit(&out, 0);
            ran += 1;
        }
    }
    assert!(ran >= 3, "expected the examples, ran {ran}");
}

/// A `csv` data set end to end: quoted commas, doubled quotes, a quoted CRLF and a blank line
/// reach the workload as written; a ragged row stops the run (exit 3) naming its row and line.
#[test]
fn csv_data_sets_keep_quoted_fields_and_name_a_ragged_row() {
    let stress_file = temp_file(
        "csv_data.stress",
        r#"target llm mock {
  api openai
  latency 1ms
}

data rows = csv("csv_rows.csv")

workload w {
  set row = next(rows)
  request r: post llm "/v1/chat/completions" {
    json { model: "m", messages: [{ role: "user", content: row.note }] }
    check len(rows) == 2
    check (row.id == "1" && row.note == "a, b" && row.q == "say \"hi\"") || (row.id == "2" && row.note == "two\r\nlines" && row.q == "x")
  }
}

test "csv" {
  workload w
  profile { users 1, iterations 4 }
  slo {
    success_rate == 100%
  }
}
"#,
    );
    let csv = stress_file.with_file_name("csv_rows.csv");
    std::fs::write(
        &csv,
        "id,note,q\r\n1,\"a, b\",\"say \"\"hi\"\"\"\r\n\r\n2,\"two\r\nlines\",x\r\n",
    )
    .unwrap();
    let out = stress(&["run", "-q", stress_file.to_str().unwrap()]);
    assert_exit(&out, 0);
    std::fs::write(&csv, "id,note,q\n1,a,b\n\n2,c\n").unwrap();
    let out = stress(&["run", "-q", stress_file.to_str().unwrap()]);
    assert_exit(&out, 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // miette wraps the message: compare without the wrapping.
    let flat: String = stderr
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("row 3 (line 4) has 2 fields, the header has 3"),
        "{stderr}"
    );
}
