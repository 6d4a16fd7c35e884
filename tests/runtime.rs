//! Run-time robustness (issue 14): the true verdict in every artifact, SIGTERM, pacing of a
//! failing target, closed pipes, `limit` at a stage's end. Each test drives the binary
//! against a real condition (a closed port, a signal, a closed pipe) on loopback.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::artifacts::{read_json, schema::validate_summary};
use crate::support::{assert_exit, stress, temp_file};

fn file(name: &str, text: &str) -> PathBuf {
    temp_file("runtime", name, text)
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("stress-runtime-out-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// 5 users for 1 s against a closed port: the run exits 3 and every artifact says the test
/// could not run; and each user is paced (pacing.rs): its failed iterations start at 0, 10,
/// 30, 70, 150, 310 and 630 ms (each lasts at least 10 ms · 2^(k−1)); the next would start
/// at 1270 ms, after the stage: 7 attempts per user, 35 in all.
#[test]
fn a_dead_target_is_paced_and_every_artifact_says_could_not_run() {
    let port = closed_port();
    let path = file(
        "dead.stress",
        &format!(
            "target api = \"http://127.0.0.1:{port}\"\nworkload w {{ request r: get api \"/\" }}\n\
             test \"t\" {{ workload w  profile {{ hold 5 users for 1s }} }}\n"
        ),
    );
    let out = out_dir("dead");
    let run = stress(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_exit(&run, 3);
    let attempts = lines(&out.join("requests.jsonl"));
    assert_eq!(attempts.len(), 35, "paced attempts");
    for a in &attempts {
        assert_eq!(a["error"], "connect", "{a}");
    }
    for user in 0..5u64 {
        let n = attempts.iter().filter(|a| a["user"] == user).count();
        assert_eq!(n, 7, "user {user}");
    }
    let summary = read_json(&out.join("summary.json"));
    validate_summary(&summary);
    assert_eq!(summary["passed"], false);
    assert_eq!(summary["status"], "could_not_run");
    let reason = summary["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("test `t`: stress::run::unreachable: target `api`"),
        "{reason}"
    );
    assert_eq!(summary["tests"][0]["passed"], false);
    assert_eq!(summary["totals"]["requests"], 35);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("⛔ could not run"), "{md}");
    assert!(!md.contains('✅'), "{md}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("errors=\"1\""), "{junit}");
    assert!(
        junit.contains("<error message=\"stress::run::unreachable"),
        "{junit}"
    );
}

/// Spawns `stress run` and returns once it has announced its load on stderr.
fn spawn_running(args: &[&str]) -> (std::process::Child, std::process::ChildStderr, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stress"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["--color", "never", "run", "--quiet"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("running test") {
        let n = stderr.read(&mut buf).unwrap();
        assert!(n > 0, "exited early: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    (child, stderr, String::from_utf8_lossy(&seen).into_owned())
}

#[test]
fn sigterm_stops_like_ctrl_c_writes_every_artifact_and_exits_143() {
    let path = file(
        "long.stress",
        "target llm mock { latency 5ms }\nworkload w { request r: post llm \"/v1/chat/completions\" { json { messages: [] } } }\n\
         test \"t\" { workload w  profile { hold 5 users for 60s }  slo { success_rate == 100% } }\n",
    );
    let out = out_dir("sigterm");
    let (mut child, mut stderr, _) =
        spawn_running(&[path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    // Let some requests finish first: poll the request log, not a fixed sleep.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::fs::metadata(out.join("requests.jsonl")).map_or(0, |m| m.len()) == 0 {
        assert!(std::time::Instant::now() < deadline, "no request logged");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let started = std::time::Instant::now();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(status.code(), Some(143), "{rest}");
    assert!(rest.contains("SIGTERM: stopping the load"), "{rest}");
    assert!(stdout.contains("interrupted"), "{stdout}");
    let summary = read_json(&out.join("summary.json"));
    validate_summary(&summary);
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["status"], "interrupted");
    let logged = lines(&out.join("requests.jsonl")).len() as u64;
    assert!(logged > 0);
    assert_eq!(summary["totals"]["requests"], logged);
    for name in ["report.md", "report.html", "junit.xml", "plan.json"] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    assert!(
        std::fs::read_to_string(out.join("report.md"))
            .unwrap()
            .contains("Interrupted")
    );
}

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

#[test]
fn writing_to_a_closed_pipe_ends_quietly() {
    let plan = Command::new(env!("CARGO_BIN_EXE_stress"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["plan", "scenarios/quickstart.stress"])
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", String::from_utf8_lossy(&plan.stderr));
    assert!(!String::from_utf8_lossy(&plan.stderr).contains("panicked"));
    let check = Command::new(env!("CARGO_BIN_EXE_stress"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "scenarios/quickstart.stress"])
        .stdout(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0));
    let path = file(
        "short.stress",
        "target llm mock { latency 1ms }\nworkload w { request r: post llm \"/v1/chat/completions\" { json { messages: [] } } }\n\
         test \"t\" { workload w  profile { users 2, iterations 2 }  slo { success_rate == 100% } }\n",
    );
    let run = Command::new(env!("CARGO_BIN_EXE_stress"))
        .args(["--color", "never", "run", path.to_str().unwrap()])
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
}

/// `hold 20 users for 1s limit 10/s`: start slots every 100 ms from 0 ms, so 10 iterations
/// start within the stage; the 10 users still waiting for a token at 1 s stop with it, so
/// the stage takes 1 s (it took 2 s, the last reserved slot, before).
#[test]
fn users_waiting_for_a_limit_token_stop_when_their_stage_ends() {
    let path = file(
        "limit.stress",
        "target llm mock { latency 1ms }\nworkload w { request r: post llm \"/v1/chat/completions\" { json { messages: [] } } }\n\
         test \"t\" { workload w  profile { hold 20 users for 1s limit 10/s }  slo { count(true) == 10 } }\n",
    );
    let out = out_dir("limit");
    let run = stress(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_exit(&run, 0);
    let summary = read_json(&out.join("summary.json"));
    let duration = summary["tests"][0]["duration_us"].as_u64().unwrap();
    assert!(
        (1_000_000..1_300_000).contains(&duration),
        "stage took {duration} µs"
    );
}
