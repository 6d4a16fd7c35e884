//! Issue 13: SLOs over what a proxy measured (`proxy NAME: …`), its section in the artifacts,
//! `stress merge` of runs with proxies, and faults at two proxies in one test. A small deterministic case whose every value is
//! worked out by hand: 1 user × 6 iterations, one request each, through proxy `provider` to a
//! mock; `nth_call([1, 3], 503)` at the proxy answers calls 1 and 3 itself.

use serde_json::{Value, json};

use crate::artifacts::{junit_cases, read_json, schema};
use crate::support::{assert_exit, stress as stress_bin, temp_file};

/// `{"model":"m","messages":[{"role":"user","content":"hi"}]}`: the request body's length.
const BODY_LEN: u64 = 57;

fn file(slos: &str) -> String {
    format!(
        r#"target llm mock {{ api openai, latency 1ms..2ms }}
target gw = "http://127.0.0.1:{port}"
proxy provider {{
  listen "127.0.0.1:{port}"
  upstream "llm"
}}
workload chat {{
  request chat: post gw "/v1/chat/completions" {{
    json {{ model: "m", messages: [{{ role: "user", content: "hi" }}] }}
    timeout 2s
  }}
}}
scenario flaky {{ nth_call([1, 3], 503) }}
test "proxy slos" {{
  workload chat
  profile {{ users 1, iterations 6 }}
  scenarios flaky
  inject at proxy provider
  seed 7
  slo {{
{slos}
  }}
}}
"#,
        port = free_port()
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Each value by hand: 6 requests reach the proxy (calls 0–5); calls 1 and 3 are answered
/// 503 by the proxy, so 4 are forwarded, the mock answers 200 to each; the upstream never
/// fails; 4 request bodies go up.
const HAND_COMPUTED: &str = r#"    proxy provider: requests == 6
    proxy provider: forwarded == 4
    proxy provider: upstream_errors == 0
    proxy provider: count(fault != none) == 2
    proxy provider: count(fault == 503) == 2
    proxy provider: count(status == 503) == 2
    proxy provider: count(status == 200 && method == "POST") == 4
    proxy provider: count((call == 1 || call == 3) && injected) == 2
    proxy provider: count(path == "/v1/chat/completions") == requests
    proxy provider: rate(injected) > 33.3%
    proxy provider: rate(injected) < 33.4%
    proxy provider: bytes_up == 228B
    proxy provider: bytes_down > 0B
    proxy provider: p95(upstream_latency) < 2s
    proxy provider: max(upstream_latency) >= min(upstream_latency)
    proxy provider: forwarded == requests - count(injected)
    count(status == 503) == 2"#;

#[test]
fn proxy_slos_read_what_the_proxy_measured() {
    assert_eq!(BODY_LEN * 4, 228);
    let path = temp_file("proxy-slo", "pass.stress", &file(HAND_COMPUTED));
    let out_dir = path.with_file_name("pass-out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let run = stress_bin(&[
        "run",
        "--quiet",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_exit(&run, 0);

    // summary.json: the proxy section, valid against the schema.
    let summary = read_json(&out_dir.join("summary.json"));
    schema::validate_summary(&summary);
    let test = &summary["tests"][0];
    let p = &test["proxies"][0];
    assert_eq!(p["name"], "provider");
    assert_eq!(
        (p["requests"].as_u64(), p["forwarded"].as_u64()),
        (Some(6), Some(4))
    );
    assert_eq!(
        p["upstream_status"],
        json!([{ "name": "200", "count": 4, "pct": 100.0 }])
    );
    assert_eq!(p["upstream_errors"], 0);
    assert_eq!(
        p["faults"],
        json!([{ "rule": "nth_call([1, 3], 503)", "kind": "503", "count": 2 }])
    );
    assert_eq!(p["bytes_up"], BODY_LEN * 4);
    assert!(p["bytes_down"].as_u64().unwrap() > 0);
    assert!(p["upstream_latency"]["p95_us"].as_u64().unwrap() > 0);
    let slos = test["slos"].as_array().unwrap();
    assert_eq!(slos.len(), 17);
    assert!(slos.iter().all(|s| s["status"] == "pass"), "{slos:?}");
    let requests = slos
        .iter()
        .find(|s| s["text"] == "proxy provider: requests == 6")
        .unwrap();
    assert_eq!(requests["measured"], 6.0);

    // junit.xml: each proxy SLO is a test case of its own.
    let (_, cases) = junit_cases(&out_dir.join("junit.xml"));
    let case = cases
        .iter()
        .find(|(_, name, _)| name.ends_with("proxy provider: count(fault != none) == 2"))
        .unwrap_or_else(|| panic!("{cases:?}"));
    assert_eq!(case.2, None);

    // report.html and report.md: a proxy section beside the client's.
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("proxy provider"), "no proxy card");
    assert!(html.contains("Faults injected") && html.contains("nth_call([1, 3], 503)"));
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(md.contains("### Proxy `provider`"), "{md}");
    assert!(md.contains("| `nth_call([1, 3], 503)` | `503`"), "{md}");
}

#[test]
fn a_failed_proxy_slo_fails_the_run_with_the_measured_value() {
    let path = temp_file(
        "proxy-slo",
        "fail.stress",
        &file("    proxy provider: count(fault != none) == 3\n    proxy provider: requests == 6"),
    );
    let run = stress_bin(&["run", "--quiet", "--color", "never", path.to_str().unwrap()]);
    assert_exit(&run, 1);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("proxy provider: count(fault != none) was 2, limit is == 3"),
        "{stderr}"
    );
    assert!(!stderr.contains("requests was"), "{stderr}");
}

#[test]
fn a_proxy_that_received_nothing_has_no_data_never_a_pass() {
    // `inject at client`: the client answers calls 1 and 3 itself, and the mock is called
    // directly, so the proxy sees nothing.
    let text = file("    proxy provider: count(status == 503) == 0")
        .replace("inject at proxy provider", "inject at client")
        .replace("post gw ", "post llm ");
    let path = temp_file("proxy-slo", "nothing.stress", &text);
    let run = stress_bin(&["run", "--quiet", "--color", "never", path.to_str().unwrap()]);
    assert_exit(&run, 1);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("no data"), "{stderr}");
    assert!(stderr.contains("received no requests"), "{stderr}");
}

/// Two runs of one file merged: the proxy's counts add up, its latency histograms merge
/// exactly (the merged max is the larger max), and the SLOs are judged on the sums.
#[test]
fn merging_runs_adds_up_what_the_proxy_saw() {
    let text = file(
        "    proxy provider: forwarded == 2 * count(injected)\n    proxy provider: requests <= 6",
    );
    let path = temp_file("proxy-slo", "merge.stress", &text);
    let dirs: Vec<_> = ["merge-a", "merge-b", "merge-ab"]
        .iter()
        .map(|d| {
            let dir = path.with_file_name(d);
            let _ = std::fs::remove_dir_all(&dir);
            dir
        })
        .collect();
    for out in &dirs[..2] {
        let run = stress_bin(&[
            "run",
            "--quiet",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_exit(&run, 0);
    }
    let merged = stress_bin(&[
        "merge",
        "--color",
        "never",
        dirs[0].to_str().unwrap(),
        dirs[1].to_str().unwrap(),
        "--out",
        dirs[2].to_str().unwrap(),
    ]);
    // 12 requests in all: `requests <= 6` held in each run, not over both.
    assert_exit(&merged, 1);
    let stderr = String::from_utf8_lossy(&merged.stderr);
    assert!(
        stderr.contains("proxy provider: requests was 12, limit is <= 6"),
        "{stderr}"
    );
    let proxy = |dir: &std::path::Path| -> Value {
        let summary = read_json(&dir.join("summary.json"));
        schema::validate_summary(&summary);
        summary["tests"][0]["proxies"][0].clone()
    };
    let (a, b, ab) = (proxy(&dirs[0]), proxy(&dirs[1]), proxy(&dirs[2]));
    assert_eq!(
        (ab["requests"].as_u64(), ab["forwarded"].as_u64()),
        (Some(12), Some(8))
    );
    assert_eq!(ab["upstream_status"][0]["count"], 8);
    assert_eq!(ab["faults"][0]["count"], 4);
    assert_eq!(ab["bytes_up"], BODY_LEN * 8);
    let bytes = |p: &Value| p["bytes_down"].as_u64().unwrap();
    assert_eq!(bytes(&ab), bytes(&a) + bytes(&b));
    let max = |p: &Value| p["upstream_latency"]["max_us"].as_u64().unwrap();
    assert_eq!(max(&ab), max(&a).max(max(&b)));
    let text = String::from_utf8_lossy(&merged.stdout);
    assert!(
        text.contains("requests 12  forwarded 8  upstream status 200×8"),
        "{text}"
    );
}

/// `inject at proxy a, b`: one scenario's rules apply at both proxies, each counting its own
/// calls from 0, and `proxy == "a"` gives each proxy its own rules. Step `one` goes through
/// `a` (calls 1 and 3 answered 503), step `two` through `b` (call 0 answered 429).
#[test]
fn two_proxies_each_with_their_own_faults() {
    let (pa, pb) = (free_port(), free_port());
    let text = format!(
        r#"target llm mock {{ api openai, latency 1ms..2ms }}
target a_gw = "http://127.0.0.1:{pa}"
target b_gw = "http://127.0.0.1:{pb}"
proxy a {{
  listen "127.0.0.1:{pa}"
  upstream "llm"
}}
proxy b {{
  listen "127.0.0.1:{pb}"
  upstream "llm"
}}
workload chat {{
  request one: post a_gw "/v1/chat/completions" {{
    json {{ model: "m", messages: [{{ role: "user", content: "hi" }}] }}
    on failure continue
  }}
  request two: post b_gw "/v1/chat/completions" {{
    json {{ model: "m", messages: [{{ role: "user", content: "hi" }}] }}
  }}
}}
scenario split {{
  when proxy == "a" && (call == 1 || call == 3) => 503
  when proxy == "b" && call == 0 => 429
}}
test "two proxies" {{
  workload chat
  profile {{ users 1, iterations 6 }}
  scenarios split
  inject at proxy a, b
  seed 7
  slo {{
    proxy a: requests == 6
    proxy a: forwarded == 4
    proxy a: count(fault == 503) == 2
    proxy a: count(fault == 429) == 0
    proxy b: requests == 6
    proxy b: forwarded == 5
    proxy b: count(fault == 429 && call == 0) == 1
    proxy b: count(proxy == "b") == 6
    step one: count(status == 503) == 2
    step two: count(status == 429) == 1
  }}
}}
"#
    );
    let path = temp_file("proxy-slo", "two.stress", &text);
    let run = stress_bin(&["run", "--quiet", path.to_str().unwrap()]);
    assert_exit(&run, 0);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("PASSED: 10 of 10"), "{stdout}");
}

/// `proxy NAME: … before/during/after chaos` and `during STAGE` read what arrived at the proxy
/// in that phase (on the scenario's clock). 10 requests a second for 3 s; the window, 1.05 s
/// to 2.05 s, lies between arrivals, so about 11 come before it, 10 during and 9 after (the
/// bounds leave room for a loaded machine); every one during it is answered 503 by the proxy,
/// none outside it. The last SLO must fail with the phase's own value, 0.
#[test]
fn proxy_slos_split_by_phase() {
    let port = free_port();
    let text = format!(
        r#"target llm mock {{ api openai, latency 1ms..2ms }}
target gw = "http://127.0.0.1:{port}"
proxy provider {{
  listen "127.0.0.1:{port}"
  upstream "llm"
}}
workload chat {{
  request chat: post gw "/v1/chat/completions" {{
    json {{ model: "m", messages: [{{ role: "user", content: "hi" }}] }}
    timeout 2s
  }}
}}
scenario outage {{ error_rate(100%, 503) }}
test "phases" {{
  workload chat
  profile {{
    rate 10/s for 1s as warm
    rate 10/s for 2s as hot
  }}
  inject at proxy provider
  chaos from 1050ms to 2050ms {{ faults outage at proxy provider }}
  slo {{
    proxy provider: requests before chaos >= 8
    proxy provider: requests during chaos >= 8
    proxy provider: requests after chaos >= 7
    proxy provider: requests == requests before chaos + requests during chaos + requests after chaos
    proxy provider: count(fault != none) before chaos == 0
    proxy provider: count(fault != none) after chaos == 0
    proxy provider: count(fault == 503) during chaos == requests during chaos
    proxy provider: count(fault != none) == count(fault != none) during chaos
    proxy provider: rate(injected) during chaos == 100%
    proxy provider: forwarded == 0 during chaos
    proxy provider: forwarded before chaos == requests before chaos
    proxy provider: p95(upstream_latency) after chaos < 1s
    proxy provider: requests during warm >= 8
    proxy provider: requests during hot >= 17
    proxy provider: requests during warm + requests during hot == requests
    proxy provider: count(fault != none) before chaos >= 1
  }}
}}
"#
    );
    let path = temp_file("proxy-slo", "phases.stress", &text);
    let run = stress_bin(&["run", "--quiet", "--color", "never", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_exit(&run, 1);
    assert!(
        stderr.contains("proxy provider: count(fault != none) before chaos was 0, limit is >= 1"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches(" was ").count(),
        1,
        "only the last SLO fails:\n{stderr}"
    );
}
