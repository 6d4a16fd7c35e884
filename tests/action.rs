//! The GitHub Action's run step (action/run.sh), run locally as the runner would: a fake
//! GITHUB_STEP_SUMMARY and GITHUB_OUTPUT, GITHUB_ACTIONS=true. A failed SLO becomes an
//! annotation at its line, the report lands in the step summary, the outputs carry the exit
//! code, and the script itself succeeds so the artifacts are uploaded before the verdict.

use std::path::Path;
use std::process::Command;

#[test]
fn the_action_annotates_summarizes_and_reports_the_exit_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("stress-action-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let step_summary = dir.join("step_summary.md");
    let output = dir.join("output.txt");
    let out_dir = dir.join("results");
    let run = Command::new("bash")
        .arg(root.join("action/run.sh"))
        .current_dir(root)
        .env("STRESS_BIN", env!("CARGO_BIN_EXE_stress"))
        .env("STRESS_FILES", "tests/cmd/inputs/slo_fail.stress")
        .env("STRESS_ARGS", "--quiet --seed 7")
        .env("STRESS_OUT", &out_dir)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &step_summary)
        .env("GITHUB_OUTPUT", &output)
        .env_remove("STRESS_ANNOTATIONS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("::error file=tests/cmd/inputs/slo_fail.stress,line=18,col=5,")),
        "{stdout}"
    );
    assert!(stdout.contains("stress exited with 1"), "{stdout}");
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(outputs.lines().any(|l| l == "exit-code=1"), "{outputs}");
    assert!(outputs.contains(&format!(
        "summary={}",
        out_dir.join("summary.json").display()
    )));
    let summary = std::fs::read_to_string(&step_summary).unwrap();
    assert!(summary.starts_with("# stress run: ❌ failed"), "{summary}");
    assert!(out_dir.join("junit.xml").is_file());
    assert!(out_dir.join("codequality.json").is_file());
    let summary_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary_json["tests"][0]["seed"], 7);
}

#[test]
fn the_action_without_files_is_an_error_not_a_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("stress-action-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = dir.join("output.txt");
    let run = Command::new("bash")
        .arg(root.join("action/run.sh"))
        .env("STRESS_BIN", env!("CARGO_BIN_EXE_stress"))
        .env("STRESS_FILES", "")
        .env("GITHUB_OUTPUT", &output)
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("::error"));
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert_eq!(outputs.trim(), "exit-code=2");
}

#[test]
fn annotations_are_on_inside_github_actions_and_off_when_asked() {
    let file = Path::new("tests/cmd/inputs/three_errors.stress");
    let on = crate::support::stress_with_env(
        &["check", file.to_str().unwrap()],
        &[("GITHUB_ACTIONS", Path::new("true"))],
    );
    let stdout = String::from_utf8_lossy(&on.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("::error file="))
            .count(),
        3,
        "{stdout}"
    );
    let off = crate::support::stress_with_env(
        &["check", file.to_str().unwrap()],
        &[
            ("GITHUB_ACTIONS", Path::new("true")),
            ("STRESS_ANNOTATIONS", Path::new("none")),
        ],
    );
    assert!(!String::from_utf8_lossy(&off.stdout).contains("::error"));
}
