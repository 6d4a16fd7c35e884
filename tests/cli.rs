//! CLI cases: args → stdout/stderr/exit code (trycmd), over tests/cmd/*.toml.
#[test]
fn cli_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
