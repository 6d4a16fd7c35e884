//! Golden diagnostics: every `tests/ui/**/*.stress` file states the codes it expects in a
//! `# expect: …` header; the rendered diagnostics are pinned by insta snapshots.

use std::path::Path;

#[test]
fn golden_diagnostics() {
    insta::glob!("ui/**/*.stress", |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (file, problems) = crate::support::check_text(&name, &text, path.parent());
        let codes: Vec<String> = problems.iter().map(|p| p.code_str()).collect();
        let mut expected = crate::support::expected_codes(&text);
        let mut found = codes.clone();
        expected.sort();
        expected.dedup();
        found.sort();
        found.dedup();
        assert_eq!(
            found,
            expected,
            "{}:\n{}",
            path.display(),
            crate::support::render_all(&file, &problems)
        );
        insta::assert_snapshot!(crate::support::render_all(&file, &problems));
    });
}

#[test]
fn every_check_code_has_a_golden_case() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut covered = std::collections::BTreeSet::new();
    for dir in ["parse", "check"] {
        for entry in std::fs::read_dir(ui.join(dir)).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            covered.extend(crate::support::expected_codes(&text));
        }
    }
    let missing: Vec<&&str> = stress::diag::CODES
        .iter()
        .filter(|c| c.starts_with("stress::check::") || c.starts_with("stress::parse::"))
        .filter(|c| !covered.contains(**c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a tests/ui case: {missing:?}"
    );
}
