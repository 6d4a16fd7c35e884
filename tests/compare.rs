//! `stress compare BASE NEW`: the regression table of two run folders and its exit code. The
//! runs are copies of the quickstart run's summary.json with numbers set by hand, so every
//! ratio and verdict below is computed on paper.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use crate::artifacts::{assert_exit, quickstart, read_json, stress, temp_dir};

/// The quickstart's only step in a summary.json.
fn step(summary: &mut Value) -> &mut Value {
    &mut summary["tests"][0]["scenarios"][0]["steps"][0]
}

/// Sets the step's numbers: p50/p95/p99 in µs, error rate in %, throughput per second.
fn set(summary: &mut Value, p50: u64, p95: u64, p99: u64, error_pct: f64, per_s: f64) {
    let s = step(summary);
    s["latency"]["p50_us"] = json!(p50);
    s["latency"]["p95_us"] = json!(p95);
    s["latency"]["p99_us"] = json!(p99);
    s["error_rate_pct"] = json!(error_pct);
    s["throughput_per_s"] = json!(per_s);
}

/// Two folders holding the quickstart's summary.json, the base with p50 10ms, p95 100ms, p99
/// 200ms, 0.5 % errors and 100/s, the new one the same after `edit`.
fn pair(name: &str, edit: impl FnOnce(&mut Value)) -> (PathBuf, PathBuf) {
    let (run, _) = quickstart();
    let mut summary = read_json(&run.join("summary.json"));
    set(&mut summary, 10_000, 100_000, 200_000, 0.5, 100.0);
    let dir = temp_dir(&format!("compare-{name}"));
    let (base, new) = (dir.join("base"), dir.join("new"));
    for d in [&base, &new] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(base.join("summary.json"), summary.to_string()).unwrap();
    edit(&mut summary);
    std::fs::write(new.join("summary.json"), summary.to_string()).unwrap();
    (base, new)
}

fn compare(base: &Path, new: &Path, flags: &[&str]) -> Output {
    let mut args = vec!["compare", base.to_str().unwrap(), new.to_str().unwrap()];
    args.extend_from_slice(flags);
    stress(&args, &[])
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn two_real_runs_are_reported_without_a_tolerance() {
    let (run, _) = quickstart();
    let out = compare(run, run, &[]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for part in [
        "smoke",
        "baseline",
        "complete",
        "p95",
        "error rate",
        "throughput",
        "+0.0%",
        "report only",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    assert!(!text.contains('✓') && !text.contains('✗'), "{text}");
}

#[test]
fn a_p95_half_again_as_slow_fails_ten_percent_and_passes_fifty() {
    let (base, new) = pair("p95", |s| step(s)["latency"]["p95_us"] = json!(150_000));
    let out = compare(&base, &new, &["--max-regression", "10%"]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("+50.0%"), "{text}");
    assert!(text.contains('✗'), "{text}");
    assert!(
        text.contains("✗ 1 regression beyond tolerance")
            && text.contains("p95 of smoke/baseline/complete +50.0%"),
        "{text}"
    );
    // Exactly at the tolerance passes.
    assert_exit(&compare(&base, &new, &["--max-regression", "50%"]), 0);
    assert_exit(&compare(&base, &new, &["--max-regression", "49.9"]), 1);
}

#[test]
fn throughput_is_judged_by_its_relative_drop() {
    let (base, new) = pair("throughput", |s| step(s)["throughput_per_s"] = json!(90.0));
    assert_exit(&compare(&base, &new, &["--max-regression", "10%"]), 0);
    let (base, new) = pair("throughput-beyond", |s| {
        step(s)["throughput_per_s"] = json!(89.9);
    });
    let out = compare(&base, &new, &["--max-regression", "10%"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("-10.1%"), "{}", stdout(&out));
    // More throughput is never a regression.
    let (base, new) = pair("throughput-up", |s| {
        step(s)["throughput_per_s"] = json!(500.0)
    });
    assert_exit(&compare(&base, &new, &["--max-regression", "0%"]), 0);
}

#[test]
fn the_error_rate_is_judged_in_points() {
    // 0.5 % → 1.5 %: +1 point, exactly the default tolerance with --max-regression.
    let (base, new) = pair("errors", |s| step(s)["error_rate_pct"] = json!(1.5));
    let out = compare(&base, &new, &["--max-regression", "10%"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("+1.00 pt"), "{}", stdout(&out));
    assert_exit(&compare(&base, &new, &["--max-error-increase", "0.5%"]), 1);
    // Only the error rate judged: latency and throughput are shown without a marker.
    let out = compare(&base, &new, &["--max-error-increase", "2"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("no regression beyond tolerance (error rate +2 pt)"));
}

#[test]
fn a_small_latency_growth_is_noise_under_the_floor() {
    // p50 1.2ms → 1.5ms is +25 % but only 300µs: noise under the default 1ms floor.
    let (base, new) = pair("floor", |s| {
        set(s, 1_500, 100_000, 200_000, 0.5, 100.0);
    });
    std::fs::write(base.join("summary.json"), {
        let mut v = read_json(&base.join("summary.json"));
        step(&mut v)["latency"]["p50_us"] = json!(1_200);
        v.to_string()
    })
    .unwrap();
    let out = compare(&base, &new, &["--max-regression", "10%"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("+25.0%"), "{}", stdout(&out));
    assert_exit(
        &compare(
            &base,
            &new,
            &["--max-regression", "10%", "--min-latency-delta", "0"],
        ),
        1,
    );
    assert_exit(
        &compare(
            &base,
            &new,
            &["--max-regression", "10%", "--min-latency-delta", "250us"],
        ),
        1,
    );
}

#[test]
fn steps_only_on_one_side_are_listed_not_errors() {
    let (base, new) = pair("renamed", |s| step(s)["name"] = json!("finish"));
    let out = compare(&base, &new, &["--max-regression", "10%"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("only in base: smoke / baseline / complete"),
        "{text}"
    );
    assert!(
        text.contains("only in new: smoke / baseline / finish"),
        "{text}"
    );
}

#[test]
fn json_output_holds_every_row_and_the_verdict() {
    let (base, new) = pair("json", |s| {
        set(s, 10_000, 150_000, 200_000, 0.5, 100.0);
        s["files"][0]["plan_digest"] = json!("0000000000000000");
    });
    let out = compare(
        &base,
        &new,
        &["--max-regression", "10%", "--format", "json"],
    );
    assert_exit(&out, 1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["passed"], false);
    assert_eq!(v["regressions"], 1);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let p95 = rows.iter().find(|r| r["metric"] == "p95").unwrap();
    assert_eq!(p95["base"], 100_000.0);
    assert_eq!(p95["new"], 150_000.0);
    assert_eq!(p95["change_pct"], 50.0);
    assert_eq!(p95["regression"], true);
    let errors = rows.iter().find(|r| r["metric"] == "error_rate").unwrap();
    assert_eq!(errors["change_pct"], Value::Null);
    assert_eq!(errors["delta"], 0.0);
    // Different plans are compared anyway, with a warning.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: the plans of quickstart.stress differ"),
        "{stderr}"
    );
}

#[test]
fn markdown_goes_to_stdout_and_the_step_summary() {
    let (base, new) = pair("markdown", |_| {});
    let summary = base.parent().unwrap().join("step_summary.md");
    let out = stress(
        &[
            "compare",
            base.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "markdown",
            "--max-regression",
            "5%",
        ],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("| smoke | baseline | complete | p50"),
        "{text}"
    );
    assert!(
        text.contains("**✓ no regression beyond tolerance"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&summary).unwrap().trim(),
        text.trim()
    );
}

#[test]
fn a_folder_that_is_not_a_run_is_invalid_input() {
    let (run, _) = quickstart();
    let dir = temp_dir("compare-invalid");
    let out = compare(&dir, run, &[]);
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[stress::compare::input]"), "{stderr}");
    assert!(
        stderr.contains("is not a folder written by `stress run --out`"),
        "{stderr}"
    );
    std::fs::write(dir.join("summary.json"), "stale").unwrap();
    let out = compare(run, &dir, &[]);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not JSON"));
    assert_exit(&compare(run, run, &["--max-regression", "ten"]), 2);
}
