//! `stress check` never panics or hangs, whatever the input: garbage, huge files, deep
//! nesting, long lines, random token soup (a bounded proptest that runs in CI).

use proptest::prelude::*;

fn check_never_panics(text: &str) -> usize {
    let (_, problems) = crate::support::check_text("fuzz.stress", text, None);
    problems.len()
}

/// Runs the CLI on bytes; returns its exit code.
fn cli_check(bytes: &[u8]) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("stress-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("input-{}.stress", bytes.len()));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stress"))
        .args(["check", "--color", "never"])
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn invalid_utf8_is_a_diagnostic() {
    let (code, err) = cli_check(&[0xff, 0xfe, b'l', b'e', b't', 0x80]);
    assert_eq!(code, 2);
    assert!(err.contains("stress::input::not_utf8"), "{err}");
}

#[test]
fn binary_garbage_is_a_diagnostic() {
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 & 0x7f)
        .collect();
    let (code, err) = cli_check(&bytes);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("stress::"), "{err}");
}

#[test]
fn empty_and_comment_only_files_say_there_is_nothing_to_run() {
    for text in ["", "# just a comment\n# and another\n", "\n\n   \t\n"] {
        let (code, err) = cli_check(text.as_bytes());
        assert_eq!(code, 2);
        assert!(err.contains("nothing to run"), "{err}");
    }
}

#[test]
fn ten_thousand_nested_braces() {
    let text = "workload w ".to_string() + &"{".repeat(10_000);
    let (code, err) = cli_check(text.as_bytes());
    assert_eq!(code, 2);
    assert!(err.contains("stress::parse::too_deep"), "{err}");
}

#[test]
fn a_hundred_thousand_character_line() {
    let text = format!(
        "let a = \"{}\"\nlet b = {}\n",
        "x".repeat(100_000),
        "1 + ".repeat(20_000) + "1"
    );
    assert!(check_never_panics(&text) > 0); // no test: nothing to run
    let unary = format!("let c = {}1\n", "!".repeat(100_000));
    let (code, _) = cli_check(unary.as_bytes());
    assert_eq!(code, 2);
}

#[test]
fn a_two_megabyte_file() {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 2_000_000 {
        text.push_str(&format!("let c{i} = {i}ms\n"));
        i += 1;
    }
    let (code, err) = cli_check(text.as_bytes());
    assert_eq!(code, 2, "{}", &err[..err.len().min(2000)]);
    assert!(
        err.contains("nothing to run"),
        "{}",
        &err[..err.len().min(2000)]
    );
}

const TOKENS: &[&str] = &[
    "workload",
    "scenario",
    "profile",
    "test",
    "target",
    "mock",
    "let",
    "data",
    "request",
    "poll",
    "think",
    "repeat",
    "choose",
    "with",
    "probability",
    "slo",
    "p95(latency)",
    "count(",
    "status",
    "==",
    "<",
    ">=",
    "+",
    "..",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "=>",
    "\"s\"",
    "\"${user}\"",
    "'r'",
    "\"",
    "30%",
    "5s",
    "1m30s",
    "500/s",
    "$0.01",
    "64KiB",
    "5xx",
    "429",
    "x",
    "chat",
    "users",
    "iterations",
    "hold",
    "for",
    "rate",
    "during",
    "as",
    "retry",
    "budget",
    "when",
    "call",
    "error_rate(",
    "timeout",
    "#c\n",
    "\n",
    " ",
    "\t",
    "\r\n",
    "\\",
    "${",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(picks in proptest::collection::vec(0..TOKENS.len(), 0..120)) {
        let text: String = picks.iter().map(|&i| TOKENS[i]).collect::<Vec<_>>().join(" ");
        check_never_panics(&text);
    }

    #[test]
    fn mutated_examples_never_panic(cut in 0usize..2000, insert in 0..TOKENS.len(), file in 0usize..6) {
        let names = ["agents", "bad_day", "circuit_breaker", "gateway_chaos", "pool_exhaustion", "quickstart"];
        let path = format!("{}/scenarios/{}.stress", env!("CARGO_MANIFEST_DIR"), names[file]);
        let text = std::fs::read_to_string(path).unwrap();
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) { at -= 1; }
        let mutated = format!("{}{}{}", &text[..at], TOKENS[insert], &text[at..]);
        check_never_panics(&mutated);
    }
}
