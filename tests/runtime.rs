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

/// `support::spawn_running` with `--quiet`.
fn spawn_running(args: &[&str]) -> (std::process::Child, std::process::ChildStderr, String) {
    let mut all: Vec<&std::ffi::OsStr> = vec!["--quiet".as_ref()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    crate::support::spawn_running(&all)
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
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe fills two fresh descriptors, each owned once below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe {
        libc::close(fds[0]);
        Stdio::from(std::os::fd::OwnedFd::from_raw_fd(fds[1]))
    }
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
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
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
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// `hold 20 users for 1s limit 10/s`: start slots every 100 ms from 0 ms, so 10 iterations
/// start within the stage; the 10 users still waiting for a token at 1 s stop with it, so
/// the stage takes 1 s (it took 2 s, the last reserved slot, before). The slot at 1 s is the
/// stage's end and is refused whichever timer fires first (a loaded machine once started it).
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

/// A raw HTTP/1.1 server on loopback, scripted by hand: each request (head read up to the
/// blank line, a `Content-Length` body skipped) is answered with `respond(head)`, the bytes
/// of a whole response; connections are kept alive. Returns the port and every request head.
fn raw_server(
    respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let respond = std::sync::Arc::new(respond);
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let (respond, log) = (respond.clone(), log.clone());
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < end + length {
                        match conn.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..end + length);
                    let response = respond(&head);
                    log.lock().unwrap().push(head);
                    if conn.write_all(&response).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, seen)
}

fn ok_response(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// `--set token=…` reaches the request but no output: not plan.json, the other artifacts,
/// stdout, stderr, or `stress plan --set`; a value that does not check is not echoed.
#[test]
fn a_set_secret_reaches_the_request_and_nothing_else() {
    const SECRET: &str = "sk-live-7f3a9c";
    let (port, seen) = raw_server(|_| ok_response(b"{}"));
    let path = file(
        "secret.stress",
        &format!(
            "target api = \"http://127.0.0.1:{port}\"\nlet token = \"none\"\nlet n = 2\n\
             workload w {{ request r: get api \"/\" {{ header \"Authorization\" = \"Bearer ${{token}}\" }} }}\n\
             test \"t\" {{ workload w  profile {{ users 1, iterations n }}  slo {{ count(true) == 2 }} }}\n"
        ),
    );
    let out = out_dir("secret");
    let set = format!("token={SECRET}");
    let run = stress(&[
        "run",
        path.to_str().unwrap(),
        "--set",
        &set,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_exit(&run, 0);
    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 2);
    assert!(
        heads[0]
            .to_lowercase()
            .contains(&format!("authorization: bearer {SECRET}")),
        "{}",
        heads[0]
    );
    for out_text in [&run.stdout, &run.stderr] {
        assert!(!String::from_utf8_lossy(out_text).contains(SECRET));
    }
    let mut files = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            files += 1;
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            assert!(!text.contains(SECRET), "{} holds the secret", p.display());
        }
    }
    assert!(files >= 7, "{files} files");
    let plan = read_json(&out.join("plan.json"));
    let source = plan["files"][0]["source"].as_str().unwrap();
    assert!(source.contains("let token = \"***\""), "{source}");
    // `n` is configuration, not a secret: shown.
    let shown = stress(&[
        "plan",
        path.to_str().unwrap(),
        "--set",
        &set,
        "--set",
        "n=3",
    ]);
    assert_exit(&shown, 0);
    let yaml = String::from_utf8_lossy(&shown.stdout);
    assert!(!yaml.contains(SECRET) && yaml.contains("***"), "{yaml}");
    // A value that does not check (a string where a count is expected) is not echoed.
    let bad = stress(&["run", path.to_str().unwrap(), "--set", "n=hunter2-x"]);
    assert_exit(&bad, 2);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(stderr.contains("stress::input::bad_set"), "{stderr}");
    assert!(stderr.contains("`--set n`"), "{stderr}");
}

/// Runs `cmd` to its end; returns its exit code and its peak resident memory in KiB: the
/// `VmHWM` of its own address space, read from /proc while it is stopped at its exit
/// (`PTRACE_O_TRACEEXIT`). Not `wait4`'s `ru_maxrss`: Linux folds into that the high-water
/// mark of the address space the child had before `exec` — the test process's own, when it
/// is spawned by vfork — which made this test fail (246 MiB) while the whole suite ran.
#[allow(clippy::zombie_processes, reason = "reaped by the waitpid loop below")]
fn run_with_peak_rss(mut cmd: Command) -> (i32, u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only ptrace(PTRACE_TRACEME), async-signal-safe, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut peak_kib = 0;
    let mut status = 0;
    loop {
        // SAFETY: waitpid/ptrace on our own traced child, with a pointer to a local.
        let signal = unsafe {
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                break;
            }
            let stop = libc::WSTOPSIG(status);
            let event = status >> 16;
            if stop == libc::SIGTRAP && event == 0 && peak_kib == 0 {
                // The stop at exec: ask for a stop at exit too.
                libc::ptrace(
                    libc::PTRACE_SETOPTIONS,
                    pid,
                    0,
                    libc::PTRACE_O_TRACEEXIT as libc::c_long,
                );
                0
            } else if event == libc::PTRACE_EVENT_EXIT {
                0
            } else {
                stop
            }
        };
        if status >> 16 == libc::PTRACE_EVENT_EXIT {
            let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
            peak_kib = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .expect("VmHWM in /proc/PID/status");
        }
        // SAFETY: resume our traced child, passing on the signal that stopped it, if any.
        unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, signal as libc::c_long) };
    }
    assert!(peak_kib > 0, "never saw the child's exit stop");
    (libc::WEXITSTATUS(status), peak_kib)
}

/// The measure itself: a child that holds 64 MiB for a moment, then frees it and exits,
/// peaks at 64 MiB and more, whatever this test process holds (a 300 MiB buffer here).
#[test]
fn peak_rss_is_the_childs_own() {
    let ballast = vec![1u8; 300 << 20];
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "x = bytearray(64 << 20); x[::4096] = b'y' * len(x[::4096]); del x",
    ]);
    let (code, kib) = run_with_peak_rss(cmd);
    assert_eq!(code, 0);
    assert!((64 << 10..200 << 10).contains(&kib), "peak {kib} KiB");
    assert_eq!(ballast[ballast.len() - 1], 1);
}

/// A 50 MB body that nothing reads is streamed and dropped: 5 users × 2 iterations read
/// 500 MB, and the process stays under 100 MiB, less than two bodies (it held every body in
/// flight whole before: 265 MiB for 5 users).
#[test]
fn a_large_body_nothing_reads_is_not_held() {
    let body = std::sync::Arc::new(vec![b'x'; 50 * 1024 * 1024]);
    let (port, seen) = raw_server(move |_| ok_response(&body));
    let path = file(
        "big.stress",
        &format!(
            "target api = \"http://127.0.0.1:{port}\"\nworkload w {{ request r: get api \"/\" {{ timeout 30s }} }}\n\
             test \"t\" {{ workload w  profile {{ users 5, iterations 2 }}  slo {{ success_rate == 100% }} }}\n"
        ),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stress"));
    cmd.args(["--color", "never", "run", "--quiet", path.to_str().unwrap()])
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (code, rss_kib) = run_with_peak_rss(cmd);
    assert_eq!(code, 0);
    assert_eq!(seen.lock().unwrap().len(), 10);
    assert!(rss_kib < 100 * 1024, "peak RSS {} MiB", rss_kib / 1024);
}

/// A `200` whose body is not JSON, where a capture reads `json.…`: a failure of its own
/// class, `body_parse`, not a success with nothing captured.
#[test]
fn a_capture_from_a_body_that_is_not_json_fails_as_body_parse() {
    let (port, _) = raw_server(|_| ok_response(b"<html>oops</html>"));
    let path = file(
        "parse.stress",
        &format!(
            "target api = \"http://127.0.0.1:{port}\"\nworkload w {{ request r: get api \"/\" {{ capture tokens = json.usage.total }} }}\n\
             test \"t\" {{ workload w  profile {{ users 1, iterations 3 }}  slo {{ success_rate == 100% }} }}\n"
        ),
    );
    let out = out_dir("parse");
    let run = stress(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_exit(&run, 1);
    let attempts = lines(&out.join("requests.jsonl"));
    assert_eq!(attempts.len(), 3);
    for a in &attempts {
        assert_eq!(a["status"], 200, "{a}");
        assert_eq!(a["error"], "body_parse", "{a}");
    }
}

/// Too few descriptors for the declared users is an error before load; a soft limit under
/// the hard one is raised first.
#[test]
fn too_few_file_descriptors_is_an_error_before_load() {
    use std::os::unix::process::CommandExt;
    let path = file(
        "fds.stress",
        "target llm mock { latency 1ms }\nworkload w { request r: post llm \"/v1/chat/completions\" { json { messages: [] } } }\n\
         test \"t\" { workload w  profile { users 300, iterations 1 }  slo { count(true) == 300 } }\n",
    );
    let run = |soft: u64, hard: u64| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stress"));
        cmd.args(["--color", "never", "run", "--quiet", path.to_str().unwrap()])
            .env_remove("GITHUB_STEP_SUMMARY");
        // SAFETY: only async-signal-safe setrlimit between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: soft as libc::rlim_t,
                    rlim_max: hard as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd.output().unwrap()
    };
    // 300 users of a mock: 300 × 2 + 64 = 664 descriptors.
    let refused = run(256, 256);
    assert_exit(&refused, 3);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("stress::run::fd_limit"), "{stderr}");
    assert!(
        stderr.contains("300 users, which needs up to 664 open files"),
        "{stderr}"
    );
    assert!(stderr.contains("only 256"), "{stderr}");
    assert!(!stderr.contains("running test"), "load started: {stderr}");
    // Soft 256 under a hard 4096: raised, and the run passes.
    assert_exit(&run(256, 4096), 0);
}
