use super::trivia::scan_comments;
use super::*;
use crate::syntax::lex;

fn parse(text: &str) -> File {
    let file = SourceFile::new("t.stress", text);
    crate::syntax::parse(&file).unwrap_or_else(|e| panic!("does not parse: {e:#?}\n---\n{text}---"))
}

/// The formatter without its safety net, so that a bug shows.
fn fmt_str(text: &str) -> String {
    let file = SourceFile::new("t.stress", text);
    render(&file, &parse(text))
}

fn comment_texts(text: &str) -> Vec<String> {
    scan_comments(text).into_iter().map(|c| c.text).collect()
}

/// Output parses to the same tree, formatting it again changes nothing, no comment is lost.
fn assert_invariants(input: &str) -> String {
    assert_invariants_of(input, &parse(input))
}

fn assert_invariants_of(input: &str, ast: &File) -> String {
    let out = render(&SourceFile::new("t.stress", input), ast);
    let again = parse(&out);
    assert_eq!(tree_text(&again), tree_text(ast), "tree changed:\n{out}");
    assert_eq!(
        render(&SourceFile::new("t.stress", out.as_str()), &again),
        out,
        "not idempotent; first pass:\n{out}"
    );
    assert_eq!(
        comment_texts(&out),
        comment_texts(input),
        "comments differ:\n{out}"
    );
    assert!(
        out.is_empty() || out.ends_with('\n') && !out.ends_with("\n\n"),
        "file end:\n{out:?}"
    );
    assert!(!out.contains('\r'), "CR left:\n{out:?}");
    assert!(
        out.lines().all(|l| l == l.trim_end()),
        "trailing whitespace:\n{out}"
    );
    out
}

/// `input` formats to `expected` (and obeys the invariants).
#[track_caller]
fn golden(input: &str, expected: &str) {
    let out = assert_invariants(input);
    assert_eq!(
        out, expected,
        "\n--- got ---\n{out}--- expected ---\n{expected}"
    );
}

fn scenario_text(name: &str) -> String {
    let path = std::format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn span_stripping_replaces_only_spans() {
    assert_eq!(
        tree_text(&parse("let a = 2s..5s\nlet b = 1.5")),
        tree_text(&parse("let  a=2s .. 5s\n\n\nlet b = 1.5"))
    );
    assert_ne!(
        tree_text(&parse("let a = 1.5")),
        tree_text(&parse("let a = 1.25"))
    );
}

#[test]
fn every_shipped_scenario_round_trips() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "stress") {
            let text = std::fs::read_to_string(&path).unwrap();
            let out = assert_invariants(&text);
            assert!(!comment_texts(&text).is_empty() || !out.contains('#'));
            seen += 1;
        }
    }
    assert!(
        seen >= 6,
        "expected the spec examples in scenarios/, saw {seen}"
    );
}

#[test]
fn shipped_scenarios_are_already_canonical() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "stress") {
            let text = std::fs::read_to_string(&path).unwrap();
            let file = SourceFile::new("t.stress", text.as_str());
            let ast = parse(&text);
            assert_eq!(
                try_format(&file, &ast).as_deref(),
                Some(text.as_str()),
                "{} is not canonical",
                path.display()
            );
            assert_eq!(fmt_str(&text), text, "{}", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 6, "saw {seen}");
}

#[test]
fn comments_on_their_own_line_and_trailing() {
    golden(
        "# file header\n\n# about llm\ntarget llm mock {   # the mock\n  # the api\n  api openai  # openai or anthropic\n   latency 1ms # fast\n\n  # last words\n}\n# the end\n",
        "# file header\n\n# about llm\ntarget llm mock {   # the mock\n  # the api\n  api openai  # openai or anthropic\n  latency 1ms  # fast\n\n  # last words\n}\n\n# the end\n",
    );
}

#[test]
fn the_gap_before_a_trailing_comment_is_kept_from_two_spaces() {
    golden(
        "let a = 1        # aligned\nlet bb = 22      # by hand\nlet c = 3 # one space\nlet d = 4\t# tab\nlet e = [1,     # in a list\n  2]\n",
        "let a = 1        # aligned\nlet bb = 22      # by hand\nlet c = 3  # one space\nlet d = 4  # tab\n\nlet e = [\n  1,     # in a list\n  2\n]\n",
    );
    // A comment on a line of its own that ends a joined line gets two spaces, whatever
    // its indentation was.
    golden(
        "workload w {\n  request r: get t \"/\" {\n    check status == 200 ||\n            # or\n      status == 503\n  }\n}\n",
        "workload w {\n  request r: get t \"/\" {\n    check status == 200  # or\n        || status == 503\n  }\n}\n",
    );
}

#[test]
fn a_trailing_comma_after_the_last_entry_is_kept_not_added() {
    golden(
        "let a = [\n  1,\n  2,\n]\nlet b = [\n  1,\n  2\n]\nlet c = { x: 1,\n  y: [3,\n  4, ],  # last\n}\nlet d = { x: 1,\n  y: 2 # no comma\n}\nlet e = [1, 2,]\n",
        "let a = [\n  1,\n  2,\n]\n\nlet b = [\n  1,\n  2\n]\n\nlet c = {\n  x: 1,\n  y: [\n    3,\n    4,\n  ],  # last\n}\n\nlet d = {\n  x: 1,\n  y: 2  # no comma\n}\n\nlet e = [1, 2]\n",
    );
}

#[test]
fn one_line_declarations_stay_together() {
    golden(
        "# header\nlet a = 1\ntarget t = \"http://h\"\n# about the table\nscenario x { error_rate(1%, 500) }\n\n\nscenario y { latency(1%, 1s) }\n# about w\nworkload w { think 1s }\nlet z = 2\n# the end\n",
        "# header\nlet a = 1\ntarget t = \"http://h\"\n# about the table\nscenario x { error_rate(1%, 500) }\n\nscenario y { latency(1%, 1s) }\n\n# about w\nworkload w {\n  think 1s\n}\n\nlet z = 2\n# the end\n",
    );
}

#[test]
fn alignment_before_the_brace_of_a_one_line_scenario_is_kept() {
    golden(
        "scenario a    {}\nscenario bb   { error_rate(1%, 500) }\nscenario c\t{ latency(1%, 1s) }\nscenario d   {\n  latency(1%, 1s)\n}\nscenario e   { latency(1%, 1s), error_rate(1%, 500) }\n",
        "scenario a    {}\nscenario bb   { error_rate(1%, 500) }\nscenario c { latency(1%, 1s) }\n\nscenario d {\n  latency(1%, 1s)\n}\n\nscenario e {\n  latency(1%, 1s)\n  error_rate(1%, 500)\n}\n",
    );
}

#[test]
fn hash_inside_strings_is_not_a_comment() {
    golden(
        "let a = \"#1\" # real\nlet b = '#raw'\nlet c = \"\"\"x\n# not a comment\n\"\"\"\nlet d = \"${\"#\"}\"  # real too\n",
        "let a = \"#1\"  # real\nlet b = '#raw'\n\nlet c = \"\"\"x\n# not a comment\n\"\"\"\n\nlet d = \"${\"#\"}\"  # real too\n",
    );
    assert_eq!(
        comment_texts("let a = \"#1\" # real\nlet d = \"${\"#\"}\"  # b"),
        ["# real", "# b"]
    );
}

#[test]
fn messy_spacing_becomes_canonical() {
    golden(
        "let   x=1+2*3\nworkload   w{request a:get t   \"/p\"{check status==200&&!(body==\"x\")\ncapture c=json.a.b[0]}\n   think 2s  ..5s}\n\n\n\nscenario s{when call%10==0=>429 retry_after 2s,burst(start:5,length:10,fault:503,)}\n",
        "let x = 1 + 2 * 3\n\nworkload w {\n  request a: get t \"/p\" {\n    check status == 200 && !(body == \"x\")\n    capture c = json.a.b[0]\n  }\n  think 2s..5s\n}\n\nscenario s {\n  when call % 10 == 0 => 429 retry_after 2s\n  burst(start: 5, length: 10, fault: 503)\n}\n",
    );
}

#[test]
fn crlf_becomes_lf() {
    golden(
        "# one\r\nlet a = 1  # two\r\n\r\n\r\nlet b = 2\r\n",
        "# one\nlet a = 1  # two\n\nlet b = 2\n",
    );
    // Inside a `"""` string too: the one change of a string's value the formatter makes.
    let file = SourceFile::new("t.stress", "let b = \"\"\"x\r\ny\"\"\"\r\n");
    let ast = parse(&file.text);
    assert_eq!(
        try_format(&file, &ast).as_deref(),
        Some("let b = \"\"\"x\ny\"\"\"\n")
    );
}

#[test]
fn short_forms_stay_short() {
    golden(
        "profile p {\n  users 5\n  iterations 10\n}\nprofile q { rate 10/m for 1h max users 5 }\nprofile r { hold 10 users for 1m  ramp to 500 users over 10s }\ntest \"t\" { workload w, profile { users 10, iterations 20 }, seed 1 }\nworkload w { budget { time 10s\n cost $0.01 } }\nscenario baseline {}\nscenario one { error_rate(30%, 429) }\nscenario two {\n  latency(50%, 2s)\n}\n",
        "profile p { users 5, iterations 10 }\nprofile q { rate 10/m for 1h max users 5 }\n\nprofile r {\n  hold 10 users for 1m\n  ramp to 500 users over 10s\n}\n\ntest \"t\" {\n  workload w\n  profile { users 10, iterations 20 }\n  seed 1\n}\n\nworkload w {\n  budget { time 10s, cost $0.01 }\n}\n\nscenario baseline {}\nscenario one { error_rate(30%, 429) }\n\nscenario two {\n  latency(50%, 2s)\n}\n",
    );
}

#[test]
fn a_comment_inside_a_short_form_breaks_it() {
    golden(
        "test \"t\" {\n  profile { users 10  # ten\n  iterations 20 }\n}\nworkload w { budget { time 1s, # t\n cost $1 } }\n",
        "test \"t\" {\n  profile {\n    users 10  # ten\n    iterations 20\n  }\n}\n\nworkload w {\n  budget {\n    time 1s  # t\n    cost $1\n  }\n}\n",
    );
}

#[test]
fn multi_line_json_object_keeps_its_comments() {
    golden(
        "workload w {\n  request r: post t \"/\" {\n    json {\n      # the model\n      model: \"m\",   # which one\n\n      n: [1,2,\n  3],\n      msgs: [{ role: \"user\" }] # last\n      # after all\n    }\n    query { a: 1, b: \"x\" }\n  }\n}\n",
        "workload w {\n  request r: post t \"/\" {\n    json {\n      # the model\n      model: \"m\",   # which one\n\n      n: [\n        1,\n        2,\n        3\n      ],\n      msgs: [{ role: \"user\" }]  # last\n      # after all\n    }\n    query { a: 1, b: \"x\" }\n  }\n}\n",
    );
}

#[test]
fn long_lists_break_at_100_columns() {
    let long = (0..30)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let out = assert_invariants(&std::format!("let xs = [{long}]\nlet ys = [1, 2]\n"));
    assert!(out.starts_with("let xs = [\n  0,\n  1,\n"), "{out}");
    assert!(
        out.ends_with("  28,\n  29\n]\n\nlet ys = [1, 2]\n"),
        "{out}"
    );
    // Exactly 100 columns stays on one line.
    let fits = std::format!("let xs = [\"{}\"]\n", "a".repeat(100 - 13));
    assert_eq!(assert_invariants(&fits), fits);
    let over = std::format!("let xs = [\"{}\"]\n", "a".repeat(100 - 12));
    assert!(assert_invariants(&over).starts_with("let xs = [\n"));
}

#[test]
fn nested_steps() {
    golden(
        "workload w {\n  repeat 3 as i { set x = i\n    with probability 30% { think 1s }\n    choose { 80%: { think 2s } 20%: {\n      repeat 2 { request r: get t \"/\" }\n    }, }\n  }\n  retry { attempts 5, on 429, 5xx, timeout\n  backoff exponential(200ms, factor: 2, max: 5s) jitter full\n  ignore retry_after }\n}\n",
        "workload w {\n  repeat 3 as i {\n    set x = i\n    with probability 30% {\n      think 1s\n    }\n    choose {\n      80%: {\n        think 2s\n      }\n      20%: {\n        repeat 2 {\n          request r: get t \"/\"\n        }\n      }\n    }\n  }\n  retry {\n    attempts 5\n    on 429, 5xx, timeout\n    backoff exponential(200ms, factor: 2, max: 5s) jitter full\n    ignore retry_after\n  }\n}\n",
    );
}

#[test]
fn composed_scenario() {
    golden(
        "scenario mixed=a+b  +c   # all three\ntest \"t\" {\n  scenarios baseline,a + b , c\n  inject at proxy p\n  services x,y\n  chaos from 2m to 5m { faults a+b, c\n start exec \"x\", stop http post \"http://h/c\" json {on: false} }\n}\n",
        "scenario mixed = a + b + c   # all three\n\ntest \"t\" {\n  scenarios baseline, a + b, c\n  inject at proxy p\n  services x, y\n  chaos from 2m to 5m {\n    faults a + b, c\n    start exec \"x\"\n    stop http post \"http://h/c\" json { on: false }\n  }\n}\n",
    );
}

#[test]
fn poll_clauses_inline_or_on_continuation_lines() {
    golden(
        "workload w {\n  poll s: get api \"/jobs\"\n every 500ms until json.done within 30s\n  poll explanation: get gateway \"/v1/traces/${chat.json.trace_id}/status\" every 500ms until json.state == \"complete\" || json.state == \"expired\" within 30s\n  poll b: get api \"/b\" { header \"x\" = \"y\" } every 1s # often\n   # the condition\n   until json.ok within 5s\n}\n",
        "workload w {\n  poll s: get api \"/jobs\" every 500ms until json.done within 30s\n  poll explanation: get gateway \"/v1/traces/${chat.json.trace_id}/status\"\n    every 500ms\n    until json.state == \"complete\" || json.state == \"expired\"\n    within 30s\n  poll b: get api \"/b\" {\n    header \"x\" = \"y\"\n  }\n    every 1s  # often\n    # the condition\n    until json.ok\n    within 5s\n}\n",
    );
}

#[test]
fn slo_lines() {
    golden(
        "test \"t\" { slo { scenario x:step y:p95(latency)<500ms during overload in every 10m\nabort if error_rate>50% over 30s, abort if error_rate > 90%\n count(status==429)>=1 } }\n",
        "test \"t\" {\n  slo {\n    scenario x: step y: p95(latency) < 500ms during overload in every 10m\n    abort if error_rate > 50% over 30s\n    abort if error_rate > 90%\n    count(status == 429) >= 1\n  }\n}\n",
    );
}

#[test]
fn separating_commas_are_kept_where_a_line_break_would_change_the_meaning() {
    golden(
        "profile p { hold 10 users for 1m, limit 5/s, rate 5/s for 1m limit 2/s, max users 3 }\nworkload w { retry { backoff constant(1s), jitter none } }\ntest \"t\" { slo { p95(latency) < 1s, -(x) < 2, (y) > 1, abort, if } }\n",
        "profile p {\n  hold 10 users for 1m,\n  limit 5/s\n  rate 5/s for 1m limit 2/s,\n  max users 3\n}\n\nworkload w {\n  retry {\n    backoff constant(1s),\n    jitter none\n  }\n}\n\ntest \"t\" {\n  slo {\n    p95(latency) < 1s,\n    -(x) < 2,\n    (y) > 1\n    abort,\n    if\n  }\n}\n",
    );
}

#[test]
fn comment_inside_a_joined_expression_ends_the_line() {
    golden(
        "workload w {\n  request r: get t \"/\" {\n    check status == 200 ||\n      # or a 503\n      status == 503\n  }\n}\n",
        "workload w {\n  request r: get t \"/\" {\n    check status == 200  # or a 503\n        || status == 503\n  }\n}\n",
    );
}

#[test]
fn comments_in_odd_places_are_kept() {
    golden(
        "workload w # after name\n{ # after brace\n  repeat 3 # count\n  as i { }\n  set x = f(1, # first arg\n     2)\n  set y = [ # open\n  ]\n  set q = a[0 # index\n  ].b # dot\n    .c\n}\ntest \"t\" { profile # which\n { users 1 } }\n",
        "workload w {\n  # after name\n  # after brace\n  repeat 3  # count\n      as i {}\n  set x = f(1,  # first arg\n      2)\n  set y = [  # open\n  ]\n  set q = a[0  # index\n      ].b  # dot\n      .c\n}\n\ntest \"t\" {\n  profile {\n    # which\n    users 1\n  }\n}\n",
    );
}

#[test]
fn blank_lines_inside_blocks_are_kept_once() {
    golden(
        "workload w {\n\n  think 1s\n\n\n\n  think 2s\n  think 3s\n\n}\n\n\n\n\nlet a = 1\nlet b = 2\n\n\n\nlet c = 3\n",
        "workload w {\n  think 1s\n\n  think 2s\n  think 3s\n}\n\nlet a = 1\nlet b = 2\n\nlet c = 3\n",
    );
}

#[test]
fn empty_and_comment_only_files() {
    golden("", "");
    golden("\n\n  \n", "");
    golden(
        "  # only a comment  \n\n\n# and another",
        "# only a comment\n\n# and another\n",
    );
}

#[test]
fn services_targets_and_literals_keep_their_text() {
    golden(
        "service app{exec \"python -m x\" env {A:\"1\",\"b-c\": '2'} ready tcp \"127.0.0.1:1\" within 60s}\nproxy p{listen \"127.0.0.1:9100\"\nupstream \"http://127.0.0.1:9200\"}\nlet t = [1m30s, 1_000, 0.5%, 64KiB/s, $0.002, 5xx, 10/m, 512B]\n",
        "service app {\n  exec \"python -m x\"\n  env { A: \"1\", \"b-c\": '2' }\n  ready tcp \"127.0.0.1:1\" within 60s\n}\n\nproxy p {\n  listen \"127.0.0.1:9100\"\n  upstream \"http://127.0.0.1:9200\"\n}\n\nlet t = [1m30s, 1_000, 0.5%, 64KiB/s, $0.002, 5xx, 10/m, 512B]\n",
    );
}

#[test]
fn scrapes_of_services_and_targets_are_formatted() {
    golden(
        "service gw{exec \"x\"  scrape   \"http://127.0.0.1:9100/metrics\"every 5s}\ntarget api=\"http://127.0.0.1:1\"{scrape \"/metrics\"}\n",
        "service gw {\n  exec \"x\"\n  scrape \"http://127.0.0.1:9100/metrics\" every 5s\n}\n\ntarget api = \"http://127.0.0.1:1\" {\n  scrape \"/metrics\"\n}\n",
    );
}

#[test]
fn messy_quickstart_formats_like_quickstart() {
    let messy = r#"   # Runs with nothing else installed: the mock LLM below is started by `stress` on loopback.
#   stress run quickstart.stress



target llm mock { api openai, latency 20ms .. 80ms,   tokens 20..200 }
workload chat {


  request complete : post llm "/v1/chat/completions" { json {
      model: "test-model", max_tokens: 200,
        messages: [ { role: "user", content: "Hello from user ${user}, iteration ${iteration}" } ]
    }
    timeout 5s, check status==200
    capture tokens = json .usage.completion_tokens, }
}
test "smoke" { workload chat
  profile {
    users 10
    iterations 20
  }
  slo { success_rate == 100%, p95(latency) < 500ms
    p99( latency ) < 1s, throughput > 20/s }
}"#;
    assert_eq!(assert_invariants(messy), scenario_text("quickstart.stress"));
}

/// Offsets of the spaces and line breaks of `text` that lie outside strings (and their
/// interpolations) and comments.
fn code_gaps(text: &str) -> Vec<usize> {
    let mut depth = 0usize;
    let mut gaps = Vec::new();
    for t in lex::Lexer::new(text) {
        match t.kind {
            lex::Kind::Quote(_) => depth += 1,
            lex::Kind::EndQuote { .. } | lex::Kind::Unclosed { .. } => depth -= 1,
            lex::Kind::Code if depth == 0 => {
                gaps.extend(
                    (t.start..t.end).filter(|&i| matches!(text.as_bytes()[i], b' ' | b'\n')),
                );
            }
            _ => {}
        }
    }
    gaps
}

/// Every shipped scenario with, at every `stride`-th gap between tokens in turn: a trailing
/// comment, a comment on its own line, a line break, a blank line, a space (which joins
/// two lines); each variant that parses must format with the invariants intact.
fn mutate_scenarios(stride: usize) -> usize {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "stress") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, at) in code_gaps(&text).into_iter().enumerate() {
            for (k, insert) in [" # c\n", "\n# own\n", "\n", "\n\n", " "]
                .into_iter()
                .enumerate()
            {
                if (n + k) % stride != 0 {
                    continue;
                }
                let mutated = std::format!("{}{insert}{}", &text[..at], &text[at + 1..]);
                let file = SourceFile::new("t.stress", mutated.as_str());
                if let Ok(ast) = crate::syntax::parse(&file) {
                    assert_invariants_of(&mutated, &ast);
                    checked += 1;
                }
            }
        }
    }
    checked
}

#[test]
fn mutated_scenarios_keep_the_invariants() {
    assert!(mutate_scenarios(23) > 100);
}

/// The same at every gap: slow in a debug build, run with `cargo test -- --ignored`.
#[test]
#[ignore]
fn every_mutation_of_the_scenarios_keeps_the_invariants() {
    assert!(mutate_scenarios(1) > 3000);
}

/// Every `.stress` file in the repository that parses (scenarios, examples, golden inputs,
/// CLI inputs) formats to a text that reads back as the same tree, and is a fixed point.
#[test]
fn every_parsing_stress_file_in_the_repo_formats_to_the_same_tree() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "stress") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in ["scenarios", "examples", "tests"] {
        walk(&root.join(dir), &mut paths);
    }
    paths.sort();
    let mut formatted = 0;
    for path in &paths {
        // A few golden inputs are not UTF-8 on purpose.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let file = SourceFile::new("t.stress", text.as_str());
        let Ok(ast) = crate::syntax::parse(&file) else {
            continue;
        };
        let Some(once) = try_format(&file, &ast) else {
            panic!("{}: fmt changed the tree", path.display());
        };
        let again = SourceFile::new("t.stress", once.as_str());
        let ast2 = crate::syntax::parse(&again).unwrap();
        assert_eq!(tree_text(&ast2), tree_text(&ast), "{}", path.display());
        assert_eq!(
            format(&again, &ast2),
            once,
            "{}: not idempotent",
            path.display()
        );
        formatted += 1;
    }
    assert!(formatted > 40, "only {formatted} files parsed");
}
