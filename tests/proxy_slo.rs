//! Issue 13: SLOs over what a proxy measured (`proxy NAME: …`), its section in the artifacts,
//! and `stress merge` of runs with proxies. A small deterministic case whose every value is
//! worked out by hand: 1 user × 6 iterations, one request each, through proxy `provider` to a
//! mock; `nth_call([1, 3], 503)` at the proxy answers calls 1 and 3 itself.

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
