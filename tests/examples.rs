//! Every shipped `.stress` file (scenarios/, examples/) and the spec's examples check clean,
//! with no warnings, and plan to YAML and JSON.

use std::path::{Path, PathBuf};

fn stress_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "stress"))
        .collect();
    files.sort();
    files
}

fn check_clean(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let (file, problems) =
        crate::support::check_text(&path.display().to_string(), &text, path.parent());
    assert!(
        problems.is_empty(),
        "{}:\n{}",
        path.display(),
        crate::support::render_all(&file, &problems)
    );
}

#[test]
fn every_scenario_and_example_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = stress_files(&root.join("scenarios"));
    files.extend(stress_files(&root.join("examples")));
    assert!(
        files.len() >= 6,
        "expected the shipped scenarios, found {files:?}"
    );
    for path in &files {
        check_clean(path);
    }
}

#[test]
fn the_specs_examples_check_clean_where_shared_is_present() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/examples");
    for path in stress_files(&spec) {
        check_clean(&path);
    }
}

#[test]
fn every_scenario_plans_to_yaml_and_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in stress_files(&root.join("scenarios")) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stress"))
            .args(["plan", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["schema_version"], 1);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stress"))
            .arg("plan")
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", path.display());
        let yaml: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
        assert_eq!(yaml["schema_version"], serde_yaml::Value::from(1));
    }
}
