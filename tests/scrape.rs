//! `scrape`: a service's own Prometheus metrics read into the run. Against the official Python
//! client (`prometheus_client` from PyPI, tests/fixtures/prom_exporter.py) as a `service`,
//! against a hand-written exporter (tests/fixtures/counting_server.py) as a `target` with
//! values known in advance, and against a scrape URL where nothing answers.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{assert_exit, stress};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    crate::support::temp_file("scrape", name, text)
}

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether Python's `prometheus_client` is importable; in CI (`STRESS_REQUIRE_REAL`) it must be.
fn prometheus_client() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import prometheus_client"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("STRESS_REQUIRE_REAL").is_none(),
            "`prometheus_client` is required (STRESS_REQUIRE_REAL is set); run `bash .ci/deps.sh`"
        );
        eprintln!("skipped: python3 `prometheus_client` is not installed (`bash .ci/deps.sh`)");
    }
    ok
}

/// A file whose service `app` is the prometheus_client exporter, sent 12 `/work` and 3
/// `/fail` requests by one user.
fn exporter_file(name: &str, port: u16, slos: &str) -> PathBuf {
    temp_file(
        name,
        &format!(
            "service app {{\n  exec \"exec python3 {} {port}\"\n  ready http \"http://127.0.0.1:{port}/metrics\" within 20s\n  scrape \"http://127.0.0.1:{port}/metrics\" every 200ms\n}}\n\
             target api = \"http://127.0.0.1:{port}\"\n\
             workload w {{\n  repeat 4 {{ request work: get api \"/work\" }}\n  request fail: get api \"/fail\" {{ on failure continue }}\n}}\n\
             test \"t\" {{\n  services app\n  workload w\n  profile {{ users 1, iterations 3 }}\n  slo {{\n{slos}\n  }}\n}}\n",
            fixture("prom_exporter.py")
        ),
    )
}

#[test]
fn a_prometheus_client_exporter_feeds_metric_delta_and_rate() {
    if !prometheus_client() {
        return;
    }
    let port = free_port();
    let path = exporter_file(
        "pass.stress",
        port,
        "    delta(app, \"jobs_total\") == 15\n\
         \x20   delta(app, \"jobs_total{outcome=\\\"ok\\\"}\") == 12\n\
         \x20   metric(app, \"jobs_total{outcome=\\\"failed\\\"}\") == 3\n\
         \x20   metric(app, \"queue_lag_seconds\") < 2s\n\
         \x20   rate(app, \"jobs_total\") > 0/s\n\
         \x20   rate(app, \"process_cpu_seconds_total\") < 400%\n\
         \x20   metric(app, \"process_resident_memory_bytes\") > 1MB",
    );
    let out_dir = std::env::temp_dir().join(format!("stress-scrape-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = stress(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("scrapes"), "{stdout}");
    assert!(stdout.contains("0 failed"), "{stdout}");
    // The first scrape is taken when the service is ready (no job yet), the last after the
    // load (all 15).
    let before = std::fs::read_to_string(out_dir.join("services/app.metrics.before.txt")).unwrap();
    let after = std::fs::read_to_string(out_dir.join("services/app.metrics.after.txt")).unwrap();
    assert!(before.contains("queue_lag_seconds 1.5"), "{before}");
    assert!(!before.contains("jobs_total{outcome=\"ok\"}"), "{before}");
    assert!(after.contains("jobs_total{outcome=\"ok\"} 12.0"), "{after}");
    assert!(
        after.contains("jobs_total{outcome=\"failed\"} 3.0"),
        "{after}"
    );
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn a_scraped_slo_that_does_not_hold_fails_and_a_missing_series_is_no_data() {
    if !prometheus_client() {
        return;
    }
    let port = free_port();
    let path = exporter_file(
        "fail.stress",
        port,
        "    delta(app, \"jobs_total\") >= 16\n    metric(app, \"breaker_trips_total\") == 0",
    );
    let out = stress(&["run", path.to_str().unwrap()]);
    assert_exit(&out, 1);
    let (stdout, stderr) = text(&out);
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("was 15"), "{all}");
    assert!(
        all.contains("series `breaker_trips_total` never appeared in"),
        "{all}"
    );
}

#[test]
fn a_target_scrape_by_path_gives_deltas_known_in_advance() {
    let port = free_port();
    let mut server = Command::new("python3")
        .args([fixture("counting_server.py"), port.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The server prints a line once it listens.
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    // 2 users × 5 iterations × 2 requests = 20 requests; the server counts each once, and
    // 2 bytes each. `served_total` grows by exactly what `count` sees.
    let path = temp_file(
        "target.stress",
        &format!(
            "target api = \"http://127.0.0.1:{port}/base\" {{ scrape \"/metrics\" every 100ms }}\n\
             workload w {{\n  request a: get api \"/a\"\n  request b: get api \"/b\"\n}}\n\
             test \"t\" {{\n  workload w\n  profile {{ users 2, iterations 5 }}\n  slo {{\n    \
             delta(api, \"served_total\") == 20\n    \
             delta(api, \"served_total\") == count(status == 200)\n    \
             delta(api, \"served_bytes_total\") == 40B\n    \
             metric(api, \"served_total\") == 20\n  }}\n}}\n"
        ),
    );
    let out_dir = std::env::temp_dir().join(format!("stress-scrape-target-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = stress(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let _ = server.kill();
    let _ = server.wait();
    assert_exit(&out, 0);
    // summary.json: the scrape record, and each series the SLOs read, first to last.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    crate::artifacts::schema::validate_summary(&summary);
    let scrapes = summary["tests"][0]["scrapes"].as_array().unwrap();
    assert_eq!(scrapes.len(), 1, "{scrapes:?}");
    let api = &scrapes[0];
    assert_eq!(api["owner"], "api");
    assert_eq!(api["url"], format!("http://127.0.0.1:{port}/metrics"));
    assert_eq!(api["failed"], 0);
    assert!(api["ok"].as_u64().unwrap() >= 2, "{api}");
    let series = api["series"].as_array().unwrap();
    let names: Vec<&str> = series
        .iter()
        .map(|s| s["series"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["served_total", "served_bytes_total"]);
    assert_eq!(series[0]["first"], 0.0);
    assert_eq!(series[0]["last"], 20.0);
    assert_eq!(series[0]["delta"], 20.0);
    assert_eq!(series[1]["delta"], 40.0);
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn scrape_failures_are_counted_not_fatal() {
    let port = free_port();
    let dead = free_port();
    // The service answers /health but nothing listens where it is scraped.
    let path = temp_file(
        "dead.stress",
        &format!(
            "service app {{\n  exec \"exec python3 {} {port}\"\n  ready http \"http://127.0.0.1:{port}/health\" within 20s\n  scrape \"http://127.0.0.1:{dead}/metrics\" every 100ms\n}}\n\
             target api = \"http://127.0.0.1:{port}\"\n\
             workload w {{ request r: get api \"/health\" }}\n\
             test \"t\" {{\n  services app\n  workload w\n  profile {{ users 1, iterations 5 }}\n  slo {{\n    \
             error_rate == 0%\n    metric(app, \"up\") == 1\n  }}\n}}\n",
            fixture("body_server.py")
        ),
    );
    let out = stress(&["run", path.to_str().unwrap()]);
    assert_exit(&out, 1);
    let (stdout, stderr) = text(&out);
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("warning: scrape of `app`"), "{all}");
    assert!(
        all.contains("series `up` never appeared in 0 scrape(s) of `app`;"),
        "{all}"
    );
    assert!(all.contains("failed, the last:"), "{all}");
}
