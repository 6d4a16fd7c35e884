//! `stress run --shard I/N` + `stress merge`: N local processes on loopback (each with its own
//! embedded mock) add up to exactly one process running the same file — requests, iterations,
//! statuses, fault rule counts, call numbers, data rows, open-model arrivals — and `merge`
//! refuses a set of shard folders that is not one whole set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::artifacts::{assert_exit, hlog_counts, read_json, schema, stress, temp_dir};

/// 8 users × 10 iterations, one request each: 80 calls, three of them 503 by number, ten 429
/// in a burst, and a `next(…)` over 80 rows captured per request. The SLOs are exact counts,
/// so the merged verdict only holds when the shards add up to the whole exactly.
const CLOSED: &str = r#"
target llm mock {
  api openai
  latency 1ms..3ms
  tokens 5..10
}

let rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
  23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45,
  46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68,
  69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79]

workload chat {
  request complete: post llm "/v1/chat/completions" {
    json { model: "m", messages: [{ role: "user", content: "u${user} i${iteration}" }] }
    timeout 5s
    capture row = next(rows)
  }
}

scenario mixed {
  nth_call([5, 17, 63], 503)
  burst(start: 20, length: 10, fault: 429)
}

test "sharded" {
  workload chat
  scenarios mixed
  profile { users 8, iterations 10 }
  slo {
    count(status == 503) == 3
    count(status == 429) == 10
    success_rate == 83.75%
    count(status == 200) == 67
  }
}
"#;

/// 200 arrivals a second for one second, split over the shards.
const OPEN: &str = r#"
target llm mock {
  api openai
  latency 1ms..2ms
  tokens 5..10
}

workload chat {
  request complete: post llm "/v1/chat/completions" {
    json { model: "m", messages: [{ role: "user", content: "hi" }] }
    timeout 5s
  }
}

test "open" {
  workload chat
  profile { rate 200/s for 1s, max users 40 }
  slo {
    count(status == 200) == 200
  }
}
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `stress run FILE EXTRA… --out DIR` for every shard of `count` at once, as N machines
/// would; returns each shard's folder and output.
fn run_shards(file: &Path, dir: &Path, count: u32, extra: &[&str]) -> Vec<(PathBuf, Output)> {
    let children: Vec<(PathBuf, std::process::Child)> = (0..count)
        .map(|i| {
            let out = dir.join(format!("shard-{i}"));
            let child = Command::new(env!("CARGO_BIN_EXE_stress"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env_remove("GITHUB_STEP_SUMMARY")
                .env_remove("GITHUB_ACTIONS")
                .env_remove("STRESS_SHARD")
                .env_remove("STRESS_SHARDS")
                .args(["--color", "never", "run", "-q"])
                .arg(file)
                .args(["--shard", &format!("{i}/{count}"), "--out"])
                .arg(&out)
                .args(extra)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(out, child)| (out, child.wait_with_output().unwrap()))
        .collect()
}

fn requests(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("requests.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn strs(args: &[&Path]) -> Vec<String> {
    args.iter().map(|p| p.display().to_string()).collect()
}

fn merge(dirs: &[PathBuf], extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(strs(&dirs.iter().map(PathBuf::as_path).collect::<Vec<_>>()));
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    stress(&refs, &[])
}

/// Status → count of a summary's first scenario.
fn statuses(summary: &Value) -> BTreeMap<String, u64> {
    summary["tests"][0]["scenarios"][0]["requests"]["status"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn four_shards_add_up_to_one_process_exactly() {
    let dir = temp_dir("shards-closed");
    let file = write(&dir, "closed.stress", CLOSED);
    let whole = dir.join("whole");
    let single = stress(
        &[
            "run",
            "-q",
            file.to_str().unwrap(),
            "--out",
            whole.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&single, 0);

    let shards = run_shards(&file, &dir, 4, &[]);
    let mut calls = Vec::new();
    let mut rows = Vec::new();
    let mut users: BTreeMap<u64, u64> = BTreeMap::new();
    for (i, (out, output)) in shards.iter().enumerate() {
        // A shard's own SLO results (its quarter of the counts) are shown, not judged.
        assert_exit(output, 0);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("shard {i}/4")), "{stderr}");
        let summary = read_json(&out.join("summary.json"));
        schema::validate_summary(&summary);
        assert_eq!(summary["shard"]["index"], i);
        assert_eq!(summary["shard"]["count"], 4);
        assert_eq!(summary["totals"]["requests"], 20, "shard {i}");
        let mut mine = Vec::new();
        for r in requests(out) {
            let user = r["user"].as_u64().unwrap();
            // Striped VUs with global indexes: shard i runs users i and i + 4.
            assert_eq!(user % 4, i as u64, "{r}");
            *users.entry(user).or_default() += 1;
            let call = r["call"].as_u64().unwrap();
            assert_eq!(call % 4, i as u64, "{r}");
            calls.push(call);
            mine.push(r["captures"]["row"].as_u64().unwrap());
        }
        // `next(rows)` on shard i hands out rows i, i + 4, i + 8, …
        mine.sort_unstable();
        let expected: Vec<u64> = (0..mine.len() as u64).map(|c| i as u64 + 4 * c).collect();
        assert_eq!(mine, expected, "shard {i}");
        rows.extend(mine);
    }
    // Every global call number once, every row once, every user its 10 iterations.
    calls.sort_unstable();
    assert_eq!(calls, (0..80).collect::<Vec<_>>());
    rows.sort_unstable();
    assert_eq!(rows, (0..80).collect::<Vec<_>>());
    assert_eq!(users, (0..8).map(|u| (u, 10)).collect());

    let merged = dir.join("merged");
    let dirs: Vec<PathBuf> = shards.iter().map(|(d, _)| d.clone()).collect();
    let out = merge(&dirs, &["--out", merged.to_str().unwrap()]);
    // The tight SLOs hold only if the shards add up exactly; so does the single run.
    assert_exit(&out, 0);
    let m = read_json(&merged.join("summary.json"));
    let w = read_json(&whole.join("summary.json"));
    schema::validate_summary(&m);
    assert_eq!(m["passed"], w["passed"]);
    assert_eq!(m["totals"]["requests"], w["totals"]["requests"]);
    assert_eq!(m["totals"]["iterations"], w["totals"]["iterations"]);
    assert_eq!(statuses(&m), statuses(&w));
    assert_eq!(
        m["tests"][0]["scenarios"][0]["faults"],
        w["tests"][0]["scenarios"][0]["faults"]
    );
    assert_eq!(
        m["shards"],
        serde_json::json!({
            "count": 4,
            "merged": [0, 1, 2, 3],
            "missing": [],
            "start_spread_us": m["shards"]["start_spread_us"].clone()
        })
    );
    // The merged percentiles are those of the union of the shards' samples.
    let mut all = stress::metrics::Histogram::new();
    for d in &dirs {
        for (_, h) in hlog_counts(d) {
            all.merge(&h);
        }
    }
    assert_eq!(all.count(), 80);
    let latency = &m["tests"][0]["scenarios"][0]["steps"][0]["latency"];
    for (q, key) in [(0.5, "p50_us"), (0.99, "p99_us"), (1.0, "max_us")] {
        let want = stress::metrics::round_sig(all.percentile(q).unwrap() as f64, 3) as u64;
        assert_eq!(latency[key].as_u64(), Some(want), "{key}");
    }
}

#[test]
fn sharded_open_arrivals_are_the_single_schedule() {
    let dir = temp_dir("shards-open");
    let file = write(&dir, "open.stress", OPEN);
    let shards = run_shards(&file, &dir, 4, &[]);
    let mut intended = Vec::new();
    for (i, (out, output)) in shards.iter().enumerate() {
        assert_exit(output, 0);
        let reqs = requests(out);
        assert_eq!(reqs.len(), 50, "shard {i}");
        intended.extend(reqs.iter().map(|r| r["intended_us"].as_u64().unwrap()));
    }
    // 200/s from 0: arrival k at k · 5 ms; shard i has k ≡ i (mod 4). Each shard's clock
    // starts at its own start, so the union is the schedule exactly.
    intended.sort_unstable();
    assert_eq!(intended, (0..200).map(|k| k * 5000).collect::<Vec<_>>());
    let dirs: Vec<PathBuf> = shards.into_iter().map(|(d, _)| d).collect();
    let out = merge(&dirs, &[]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("total 200"), "{text}");
    assert!(text.contains("dropped arrivals 0"), "{text}");
}

#[test]
fn merge_refuses_a_set_of_shards_that_is_not_whole() {
    let dir = temp_dir("shards-sets");
    let file = write(&dir, "closed.stress", CLOSED);
    let shards = run_shards(&file, &dir, 3, &[]);
    let dirs: Vec<PathBuf> = shards.iter().map(|(d, _)| d.clone()).collect();
    let err = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();

    let missing = merge(&dirs[..2], &[]);
    assert_exit(&missing, 2);
    assert!(
        err(&missing).contains("stress::merge::shards")
            && err(&missing).contains("missing shard 2/3"),
        "{}",
        err(&missing)
    );

    let twice = merge(&[dirs[0].clone(), dirs[1].clone(), dirs[1].clone()], &[]);
    assert_exit(&twice, 2);
    assert!(
        err(&twice).contains("are the same shard"),
        "{}",
        err(&twice)
    );

    // A duplicate is refused even with --allow-partial.
    let twice = merge(&[dirs[0].clone(), dirs[0].clone()], &["--allow-partial"]);
    assert_exit(&twice, 2);

    let odd = dir.join("odd");
    assert_exit(
        &stress(
            &[
                "run",
                "-q",
                file.to_str().unwrap(),
                "--shard",
                "2/3",
                "--seed",
                "9",
                "--out",
                odd.to_str().unwrap(),
            ],
            &[],
        ),
        0,
    );
    let seeds = merge(&[dirs[0].clone(), dirs[1].clone(), odd.clone()], &[]);
    assert_exit(&seeds, 2);
    assert!(err(&seeds).contains("seed 9"), "{}", err(&seeds));

    let whole = dir.join("whole");
    assert_exit(
        &stress(
            &[
                "run",
                "-q",
                file.to_str().unwrap(),
                "--out",
                whole.to_str().unwrap(),
            ],
            &[],
        ),
        0,
    );
    let mixed = merge(&[dirs[0].clone(), whole], &[]);
    assert_exit(&mixed, 2);
    assert!(err(&mixed).contains("not a shard"), "{}", err(&mixed));

    // --allow-partial merges what is there, says so, and judges it: two thirds of the
    // exact counts miss the SLOs.
    let merged = dir.join("partial");
    let partial = merge(
        &dirs[..2],
        &["--allow-partial", "--out", merged.to_str().unwrap()],
    );
    assert_exit(&partial, 1);
    assert!(err(&partial).contains("merging 2 of 3 shards (missing 2/3)"));
    let summary = read_json(&merged.join("summary.json"));
    schema::validate_summary(&summary);
    assert_eq!(summary["shards"]["missing"], serde_json::json!([2]));
    assert_eq!(summary["shards"]["merged"], serde_json::json!([0, 1]));
}

#[test]
fn the_shard_comes_from_the_job_index_and_start_at_is_recorded() {
    let dir = temp_dir("shards-job");
    let file = write(&dir, "open.stress", OPEN);
    let out = dir.join("job");
    let past = "2020-01-01T00:00:00Z";
    let run = Command::new(env!("CARGO_BIN_EXE_stress"))
        .env("JOB_COMPLETION_INDEX", "1")
        .env_remove("STRESS_SHARD")
        .args(["--color", "never", "run", "-q"])
        .arg(&file)
        .args(["--shards", "2", "--start-at", past, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_exit(&run, 0);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("after --start-at"), "{stderr}");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["shard"]["index"], 1);
    assert_eq!(summary["shard"]["count"], 2);
    assert_eq!(summary["shard"]["start_at"], past);
    // Started years after the instant: the offset says so.
    assert!(summary["shard"]["start_offset_us"].as_i64().unwrap() > 3600 * 1_000_000);
    assert_eq!(summary["totals"]["requests"], 100);

    let without = Command::new(env!("CARGO_BIN_EXE_stress"))
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("STRESS_SHARD")
        .args(["run", "-q"])
        .arg(&file)
        .args(["--shards", "2"])
        .output()
        .unwrap();
    assert_exit(&without, 2);
    assert!(String::from_utf8_lossy(&without.stderr).contains("JOB_COMPLETION_INDEX"));

    for bad in [["--shard", "2/2"], ["--start-at", "soon"]] {
        let out = stress(&["run", file.to_str().unwrap(), bad[0], bad[1]], &[]);
        assert_exit(&out, 2);
    }
}

/// Each shard starts its own service `app`; shard 1's samples are then edited to grow (as if
/// its machine's copy leaked). The merge lists `shard-0/app` and `shard-1/app` apart (RSS
/// never added across machines), and `memory_growth(app) < 5%` fails on shard 1 alone, so
/// the merge fails and says where; without the edit the same merge passes.
#[test]
fn merge_keeps_each_shards_services_apart_and_judges_them_per_shard() {
    let dir = temp_dir("shards-services");
    let file = write(
        &dir,
        "svc.stress",
        "service app {\n  exec \"exec sleep 60\"\n  sample every 20ms\n}\n\
         target api mock { latency 5ms }\n\
         workload w { request r: get api \"/health\" }\n\
         test \"t\" {\n  services app\n  workload w\n  profile { hold 2 users for 1s }\n  slo {\n    \
         memory_growth(app) < 5%\n    max_rss(app) < 500MB\n    error_rate == 0%\n  }\n}\n",
    );
    let shards = run_shards(&file, &dir, 2, &[]);
    for (out, o) in &shards {
        assert_exit(o, 0);
        assert!(out.join("services/app.csv").is_file());
    }
    let dirs: Vec<PathBuf> = shards.iter().map(|(d, _)| d.clone()).collect();
    let peak = |d: &Path| {
        read_json(&d.join("summary.json"))["tests"][0]["services"][0]["rss_peak"]
            .as_u64()
            .unwrap()
    };
    let peaks = [peak(&dirs[0]), peak(&dirs[1])];

    let merged = dir.join("merged");
    let o = merge(&dirs, &["--out", merged.to_str().unwrap()]);
    assert_exit(&o, 0);
    let summary = read_json(&merged.join("summary.json"));
    schema::validate_summary(&summary);
    let services = summary["tests"][0]["services"].as_array().unwrap();
    let names: Vec<&str> = services
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shard-0/app", "shard-1/app"]);
    assert_eq!(services[1]["shard"], 1);
    let merged_peaks: Vec<u64> = services
        .iter()
        .map(|s| s["rss_peak"].as_u64().unwrap())
        .collect();
    assert_eq!(merged_peaks, peaks, "each shard's own peak, never a sum");
    let html = std::fs::read_to_string(merged.join("report.html")).unwrap();
    assert!(html.contains("service shard-1/app: memory and CPU over time"));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("  shard-0/app\n") && text.contains("  shard-1/app\n"),
        "{text}"
    );

    // Shard 1's copy of `app` grows by 1 MiB per sample from 10 MiB.
    let metrics_path = dirs[1].join("metrics.json");
    let mut metrics = read_json(&metrics_path);
    let samples = metrics["tests"][0]["services"][0]["services"][0]["samples"]
        .as_array_mut()
        .unwrap();
    assert!(samples.len() >= 20, "{}", samples.len());
    for (i, s) in samples.iter_mut().enumerate() {
        s["rss"] = Value::from((10 + i as u64) << 20);
    }
    std::fs::write(&metrics_path, serde_json::to_string(&metrics).unwrap()).unwrap();
    let merged = dir.join("merged-leak");
    let o = merge(&dirs, &["--out", merged.to_str().unwrap()]);
    assert_exit(&o, 1);
    let summary = read_json(&merged.join("summary.json"));
    let slos = summary["tests"][0]["slos"].as_array().unwrap();
    let growth = slos
        .iter()
        .find(|s| s["text"] == "memory_growth(app) < 5%")
        .unwrap();
    assert_eq!(growth["passed"], false, "{growth}");
    assert!(
        growth["message"]
            .as_str()
            .unwrap()
            .starts_with("on shard-1: did not hold on 1 of 2 machines"),
        "{growth}"
    );
    let max_rss = slos
        .iter()
        .find(|s| s["text"] == "max_rss(app) < 500MB")
        .unwrap();
    assert_eq!(max_rss["passed"], true, "{max_rss}");
    assert!(
        max_rss["message"]
            .as_str()
            .unwrap()
            .starts_with("held on each of 2 machines"),
        "{max_rss}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("SLO not met: memory_growth(app)"), "{err}");
}
