//! Grammar and builder tests: tricky tokens, and that every spec example parses.

use super::*;

fn parse_str(text: &str) -> Result<ast::File, Vec<SyntaxError>> {
    parse(&SourceFile::new("t.stress", text))
}

fn codes(text: &str) -> Vec<String> {
    use miette::Diagnostic;
    match parse_str(text) {
        Ok(_) => vec![],
        Err(problems) => problems
            .iter()
            .map(|p| p.code().map(|c| c.to_string()).unwrap_or_default())
            .collect(),
    }
}

#[test]
fn every_shipped_scenario_parses() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "stress") {
            let text = std::fs::read_to_string(&path).unwrap();
            if let Err(problems) = parse_str(&text) {
                panic!("{}: {problems:#?}", path.display());
            }
            seen += 1;
        }
    }
    assert!(
        seen >= 6,
        "expected the spec examples in scenarios/, saw {seen}"
    );
}

#[test]
fn keywords_are_not_prefixes_of_names() {
    let file = parse_str("let testing = 1\nlet scenario_x = 2").unwrap();
    assert_eq!(file.items.len(), 2);
}

#[test]
fn units_and_ranges() {
    let file =
        parse_str("let a = 2s..5s\nlet b = 1m30s\nlet c = 10..50\nlet d = 64KiB/s\nlet e = $0.002")
            .unwrap();
    let ast::Item::Let(a) = &file.items[0] else {
        panic!()
    };
    assert!(matches!(
        a.value.kind,
        ast::ExprKind::Binary {
            op: ast::BinaryOp::Range,
            ..
        }
    ));
    let ast::Item::Let(b) = &file.items[1] else {
        panic!()
    };
    assert_eq!(
        b.value.kind,
        ast::ExprKind::Duration(crate::units::Duration(90_000_000))
    );
}

#[test]
fn crlf_and_tabs_are_whitespace() {
    assert!(parse_str("let a = 1\r\n\tlet b = 2\r\n").is_ok());
}

#[test]
fn several_unknown_statements_are_all_reported() {
    let text = "workload w {\n  requst a: get t \"/\"\n  thnk 1s\n}\n";
    assert_eq!(
        codes(text),
        [
            "stress::parse::unknown_statement",
            "stress::parse::unknown_statement"
        ]
    );
}

#[test]
fn a_malformed_known_statement_is_reparsed_for_a_precise_error() {
    let text = "workload w {\n  request a get t \"/\"\n}\n";
    let Err(problems) = parse_str(text) else {
        panic!()
    };
    let SyntaxError::Unexpected { expected, span, .. } = &problems[0] else {
        panic!("{problems:?}")
    };
    assert!(expected.contains("`:`"), "{expected}");
    assert_eq!(span.offset(), text.find("get").unwrap());
}

#[test]
fn unterminated_string_points_at_its_opening_quote() {
    let text = "let a = \"abc\nlet b = 1\n";
    let Err(problems) = parse_str(text) else {
        panic!()
    };
    assert!(matches!(problems[0], SyntaxError::UnterminatedString { span } if span.offset() == 8));
}

#[test]
fn the_scan_for_unclosed_strings_knows_interpolation_raw_triple_strings_and_comments() {
    let at = |text: &str| unterminated_strings(text);
    assert_eq!(
        at("let a = \"x ${pick([\"a\", \"b\"])} y\"\n"),
        Vec::<usize>::new()
    );
    assert_eq!(
        at("let a = \"x \\\" y\"\n"),
        Vec::<usize>::new(),
        "escaped quote"
    );
    assert_eq!(
        at("# it's \"quoted\nlet a = 'raw \\'\n"),
        Vec::<usize>::new()
    );
    assert_eq!(at("let a = \"\"\"two\nlines\"\"\"\n"), Vec::<usize>::new());
    assert_eq!(at("let a = \"open\nlet b = 'also\n"), vec![8, 22]);
    assert_eq!(
        at("let a = \"x ${len(\"y\"\nlet b = 1"),
        vec![8],
        "line ends inside an interpolation"
    );
    assert_eq!(at("let a = \"to the end"), vec![8]);
}

#[test]
fn a_brace_swallowed_by_an_unclosed_string_names_the_string_too() {
    // The `{` is text in the string, so pest fails at the last `}`, three lines later.
    let text = "workload w {\n  request r: get api \"/x {\n    check status == 200\n  }\n}\n";
    let Err(problems) = parse_str(text) else {
        panic!("expected problems")
    };
    assert!(
        matches!(problems[0], SyntaxError::UnterminatedString { span } if span.offset() == text.find('"').unwrap()),
        "{problems:?}"
    );
    assert_eq!(codes(text).last().unwrap(), "stress::parse::unexpected");
}

#[test]
fn bad_units_are_reported_with_the_fix() {
    assert_eq!(
        codes("let a = 5sec\nlet b = 3 * 2xs"),
        ["stress::parse::bad_unit", "stress::parse::bad_unit"]
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let text = "let a = ".to_string() + &"[".repeat(10_000);
    assert_eq!(codes(&text), ["stress::parse::too_deep"]);
    // Inside an interpolation the brackets are code too; in plain text they are not.
    let inside = "let a = \"${".to_string() + &"(".repeat(10_000) + "\"";
    assert_eq!(codes(&inside).first().unwrap(), "stress::parse::too_deep");
    let text_only = "let a = \"".to_string() + &"(".repeat(10_000) + "\"";
    assert!(!codes(&text_only).contains(&"stress::parse::too_deep".to_string()));
}

#[test]
fn slo_qualifiers_parse() {
    let text = r#"test "t" { slo {
        step chat: p95(latency) < 500ms before chaos in every 1m
        throughput during c200 >= 50% * throughput during c10
        abort if error_rate > 50% over 30s
    } }"#;
    let file = parse_str(text).unwrap();
    let ast::Item::Test(t) = &file.items[0] else {
        panic!()
    };
    let ast::TestStmtKind::Slo(slos) = &t.stmts[0].kind else {
        panic!()
    };
    assert_eq!(slos.len(), 3);
}

#[test]
fn spans_end_at_the_last_character_of_code() {
    // A `#` inside a string nested in an interpolation is not a comment.
    let text = "let d = \"${\"#\"}\"\nlet e = 1 # trailing\n";
    let file = parse_str(text).unwrap();
    let ast::Item::Let(d) = &file.items[0] else {
        panic!()
    };
    assert_eq!(
        &text[d.value.span.start as usize..d.value.span.end as usize],
        "\"${\"#\"}\""
    );
    let ast::Item::Let(e) = &file.items[1] else {
        panic!()
    };
    assert_eq!(
        &text[e.span.start as usize..e.span.end as usize],
        "let e = 1"
    );
}

#[test]
fn statement_spans_exclude_trailing_comments() {
    let text = "workload w {\n  think 1s   # pause\n  request r: get t \"/#not\" # c\n}\n";
    let file = parse_str(text).unwrap();
    let ast::Item::Workload(w) = &file.items[0] else {
        panic!()
    };
    let spans: Vec<&str> = w
        .steps
        .iter()
        .map(|s| &text[s.span.start as usize..s.span.end as usize])
        .collect();
    assert_eq!(spans, ["think 1s", "request r: get t \"/#not\""]);
}

#[test]
fn depth_counts_interpolations_and_every_line_ending() {
    let deep = |n: usize| format!("let a = {}1{}\n", "\"${".repeat(n), "}\"".repeat(n));
    assert_eq!(codes(&deep(70)), ["stress::parse::too_deep"]);
    assert_eq!(codes(&deep(10)), Vec::<String>::new());
    // A lone CR ends a comment (as pest reads it): the brackets after it are code.
    let cr = format!("# a comment\rlet a = {}", "[".repeat(70));
    assert_eq!(codes(&cr), ["stress::parse::too_deep"]);
    // An interpolation cut by a line end closes, so later depth is not inflated.
    let cut = format!(
        "let a = \"${{ (\nlet b = {}1{}\n",
        "[".repeat(60),
        "]".repeat(60)
    );
    assert!(!codes(&cut).contains(&"stress::parse::too_deep".to_string()));
}

#[test]
fn object_fields_need_a_comma_on_one_line() {
    assert_eq!(
        codes("let o = { a: 1 b: 2 }"),
        ["stress::parse::missing_comma"]
    );
    assert_eq!(codes("let o = { a: 1, b: 2 }"), Vec::<String>::new());
    assert_eq!(codes("let o = {\n  a: 1\n  b: 2\n}"), Vec::<String>::new());
    assert_eq!(codes("let o = {\r  a: 1\r  b: 2\r}"), Vec::<String>::new());
}

#[test]
fn open_groups_in_bad_statements_take_linear_time() {
    for opener in ["(", "[", "{"] {
        let text = format!("workload w {{ bogus {}\n", opener.repeat(60));
        let started = std::time::Instant::now();
        assert!(!codes(&text).is_empty());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{opener}"
        );
    }
}

#[test]
fn sub_unit_literals_are_refused_not_rounded() {
    assert_eq!(codes("let a = 0.5us"), ["stress::parse::bad_number"]);
    assert_eq!(codes("let a = 0.5B"), ["stress::parse::bad_number"]);
    assert_eq!(codes("let a = 1.5ms"), Vec::<String>::new());
}
