//! `stress merge`: runs of the same file add up exactly; runs of different plans are refused.

use std::path::Path;

use serde_json::Value;

use crate::artifacts::{
    assert_exit, hlog_counts, junit_cases, quickstart, read_json, schema, stress, temp_dir,
};

#[test]
fn merging_two_quickstart_runs_gives_the_percentiles_of_all_their_samples() {
    let (a, _) = quickstart();
    let dir = temp_dir("merge");
    let b = dir.join("b");
    assert_exit(
        &stress(
            &[
                "run",
                "scenarios/quickstart.stress",
                "--seed",
                "1",
                "--out",
                b.to_str().unwrap(),
            ],
            &[],
        ),
        0,
    );
    let merged = dir.join("merged");
    let step_summary = dir.join("step_summary.md");
    let out = stress(
        &[
            "merge",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ],
        &[("GITHUB_STEP_SUMMARY", &step_summary)],
    );
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("merged from 2 runs (seeds 0, 1)"), "{text}");
    assert!(text.contains("total 400"), "{text}");
    assert!(text.contains("PASSED: 4 of 4"), "{text}");

    let summary = read_json(&merged.join("summary.json"));
    schema::validate_summary(&summary);
    assert_eq!(summary["kind"], "merge");
    assert_eq!(summary["totals"]["requests"], 400);
    assert_eq!(summary["totals"]["iterations"], 400);
    assert_eq!(summary["tests"][0]["seeds"], serde_json::json!([0, 1]));
    assert_eq!(summary["tests"][0]["merged_from"]["runs"], 2);
    assert!(!merged.join("requests.jsonl").exists());

    // The merged percentiles are those of every sample of both runs, which their interval
    // logs hold: add the logs up independently and compare.
    let mut all = stress::metrics::Histogram::new();
    for run in [a.as_path(), b.as_path()] {
        let logs = hlog_counts(run);
        assert_eq!(logs.len(), 1);
        all.merge(&logs[0].1);
    }
    assert_eq!(all.count(), 400);
    let latency = &summary["tests"][0]["scenarios"][0]["steps"][0]["latency"];
    for (q, key) in [
        (0.5, "p50_us"),
        (0.9, "p90_us"),
        (0.95, "p95_us"),
        (0.99, "p99_us"),
        (1.0, "max_us"),
    ] {
        let want = stress::metrics::round_sig(all.percentile(q).unwrap() as f64, 3) as u64;
        assert_eq!(latency[key].as_u64(), Some(want), "{key}");
    }
    // The merged interval log holds both runs too, and the SLO result reads the same p95.
    let merged_logs = hlog_counts(&merged);
    assert_eq!(merged_logs[0].1.count(), 400);
    assert_eq!(
        merged_logs[0].1.percentile(0.95),
        all.percentile(0.95),
        "merged log"
    );
    let p95_slo = &summary["tests"][0]["slos"][1];
    assert_eq!(p95_slo["text"], "p95(latency) < 500ms");
    assert_eq!(p95_slo["measured"].as_f64(), latency["p95_us"].as_f64());

    let (_, cases) = junit_cases(&merged.join("junit.xml"));
    assert_eq!(cases.len(), 5); // four SLOs and the check
    let md = std::fs::read_to_string(merged.join("report.md")).unwrap();
    assert!(md.contains("merged from 2 runs"), "{md}");
    assert!(
        std::fs::read_to_string(&step_summary)
            .unwrap()
            .contains(&md)
    );
    let series = &read_json(&merged.join("metrics.json"))["tests"][0]["series"][0]["points"];
    let per_second: u64 = series
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(per_second, 400);

    // A merge merges again, and without --out it only prints.
    let again = stress(
        &["merge", merged.to_str().unwrap(), a.to_str().unwrap()],
        &[],
    );
    assert_exit(&again, 0);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        text.contains("merged from 3 runs (seeds 0, 1, 0)"),
        "{text}"
    );
    assert!(text.contains("total 600"), "{text}");
}

fn copy_run(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["plan.json", "metrics.json"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

#[test]
fn runs_of_different_plans_are_refused_with_exit_2() {
    let (a, _) = quickstart();
    let dir = temp_dir("merge-different");
    // The same file with one SLO changed.
    let changed = dir.join("changed");
    copy_run(a, &changed);
    let mut plan = read_json(&changed.join("plan.json"));
    plan["files"][0]["plan"]["tests"][0]["slos"][1]["text"] = Value::from("p95(latency) < 5ms");
    std::fs::write(changed.join("plan.json"), plan.to_string()).unwrap();
    let out = stress(
        &["merge", a.to_str().unwrap(), changed.to_str().unwrap()],
        &[],
    );
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stress::merge::different_plans"), "{err}");
    assert!(
        err.contains("the plans of `quickstart.stress` differ"),
        "{err}"
    );
    assert!(err.contains("tests[0].slos[1].text"), "{err}");
    assert!(out.stdout.is_empty(), "printed a report");

    // Another file.
    let other = dir.join("other");
    copy_run(a, &other);
    let mut plan = read_json(&other.join("plan.json"));
    plan["files"][0]["file"] = Value::from("scenarios/other.stress");
    plan["files"][0]["plan"]["file"] = Value::from("scenarios/other.stress");
    std::fs::write(other.join("plan.json"), plan.to_string()).unwrap();
    let out = stress(
        &["merge", a.to_str().unwrap(), other.to_str().unwrap()],
        &[],
    );
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ran `scenarios/other.stress`"), "{err}");

    // Not a run folder at all.
    let out = stress(&["merge", a.to_str().unwrap(), dir.to_str().unwrap()], &[]);
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not a folder written by `stress run --out`"),
        "{err}"
    );
}

#[test]
fn a_merge_into_an_unwritable_out_exits_3() {
    let (a, _) = quickstart();
    let dir = temp_dir("merge-unwritable");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let out = stress(
        &[
            "merge",
            a.to_str().unwrap(),
            "--out",
            blocker.join("out").to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&out, 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("stress::merge::out"));
}
