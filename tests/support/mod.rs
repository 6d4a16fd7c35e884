//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use stress::diag::{Problem, RenderOptions, render};
use stress::source::SourceFile;

/// Spawns `stress --color never run ARGS…` from the repository root (stdout and stderr
/// piped) and returns once it has announced its load on stderr ("running test …"): tests
/// that signal a run wait for that, never for a fixed time. Returns the child, its stderr
/// (to read the rest) and what stderr said so far.
pub(crate) fn spawn_running(
    args: &[&std::ffi::OsStr],
) -> (std::process::Child, std::process::ChildStderr, String) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_stress"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["--color", "never", "run"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("running test") {
        let n = stderr.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "stress exited early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    (child, stderr, String::from_utf8_lossy(&seen).into_owned())
}

/// Parse + check one file in-process; every problem (errors and warnings) in order.
/// Runs on a thread with a large stack, as the CLI does.
pub(crate) fn check_text(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
) -> (SourceFile, Vec<Problem>) {
    let file = SourceFile::new(name, text);
    let problems = stress::frontend::on_big_stack(|| stress::frontend::check(&file, base_dir))
        .expect("the front end does not panic");
    (file, problems)
}

/// Problems rendered as a person sees them (no color, unicode, 80 columns).
pub(crate) fn render_all(file: &SourceFile, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| render(p, Some(file), RenderOptions::plain()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The codes a golden file expects, from its `# expect: a, b` header lines.
pub(crate) fn expected_codes(text: &str) -> Vec<String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# expect:"))
        .flat_map(|l| l.split(',').map(|c| c.trim().to_string()))
        .filter(|c| !c.is_empty())
        .collect()
}

/// Runs the `stress` binary from the crate's root with `--color never`, `env` set and no
/// inherited `GITHUB_STEP_SUMMARY` (a test must not write to CI's summary).
pub(crate) fn stress_with_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stress"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("STRESS_ANNOTATIONS")
        .args(["--color", "never"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs the `stress` binary (see [`stress_with_env`]).
pub(crate) fn stress(args: &[&str]) -> Output {
    stress_with_env(args, &[])
}

#[track_caller]
pub(crate) fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `text` to `name` in this process's temporary folder for `group` (one per test
/// module, so that modules running in parallel never share a file) and returns its path.
pub(crate) fn temp_file(group: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stress-{group}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The path of a real server binary from Debian (`nginx`, `haproxy`, …) that a test drives as
/// the system under test. `.ci/deps.sh` installs them and `.ci/run` sets
/// `STRESS_REQUIRE_REAL=1`, so in CI a missing binary fails the test; on a developer's machine
/// without it the test says it was skipped and passes.
#[allow(dead_code)] // used by the service and proxy tests
pub(crate) fn real_binary(name: &str) -> Option<PathBuf> {
    let found = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("STRESS_REQUIRE_REAL").is_none(),
            "`{name}` is required (STRESS_REQUIRE_REAL is set) but not installed; run `bash .ci/deps.sh`"
        );
        eprintln!("skipped: `{name}` is not installed (`bash .ci/deps.sh` installs it)");
    }
    found
}
