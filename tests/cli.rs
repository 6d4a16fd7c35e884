//! CLI cases: args → stdout/stderr/exit code (trycmd), over tests/cmd/*.toml.
#[test]
fn cli_cases() {
    // Pinned: CI annotations are off unless a case asks for them (a run inside GitHub Actions
    // would otherwise add workflow commands to every stdout).
    trycmd::TestCases::new()
        .env("STRESS_ANNOTATIONS", "none")
        .env("GITHUB_ACTIONS", "false")
        .case("tests/cmd/*.toml");
}
