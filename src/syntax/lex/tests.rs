use super::*;

/// Every token as its kind and text.
fn tokens(text: &str) -> Vec<(Kind, &str)> {
    Lexer::new(text)
        .map(|t| (t.kind, &text[t.start..t.end]))
        .collect()
}

fn recovering(text: &str) -> Vec<(Kind, &str)> {
    Lexer::recovering(text)
        .map(|t| (t.kind, &text[t.start..t.end]))
        .collect()
}

/// The offsets of the opening quotes of the strings left unclosed.
fn unclosed(tokens: impl Iterator<Item = Token>) -> Vec<usize> {
    tokens
        .filter_map(|t| match t.kind {
            Kind::Unclosed { open, .. } => Some(open),
            _ => None,
        })
        .collect()
}

const PLAIN: Kind = Kind::Quote(Quote::Plain);

#[test]
fn tokens_cover_the_text_in_order() {
    for text in [
        "let a = \"x ${ {b: \"}\"} } y\" # c\r\n'raw ${' \"\"\"t\n${1}\"\"\"",
        "\"open\nlet b = 'also\r\n\"${\n(",
        "\"é\\é\" # ü\n",
    ] {
        for lexer in [Lexer::new(text), Lexer::recovering(text)] {
            let mut at = 0;
            for t in lexer {
                assert_eq!(t.start, at, "{text:?}: {t:?}");
                assert!(t.end >= t.start);
                at = t.end;
            }
            assert_eq!(at, text.len(), "{text:?}");
        }
    }
}

#[test]
fn an_escaped_quote_does_not_end_the_string() {
    assert_eq!(
        tokens(r#""a\"b" # c"#),
        [
            (PLAIN, "\""),
            (Kind::Text, r#"a\"b"#),
            (Kind::EndQuote { open: 0 }, "\""),
            (Kind::Code, " "),
            (Kind::Comment, "# c"),
        ]
    );
    // `\u{…}` runs to its `}`, quotes included, as the grammar's `escape` does.
    assert_eq!(
        tokens(r#""\u{"}" x"#)[1..3],
        [(Kind::Text, r#"\u{"}"#), (Kind::EndQuote { open: 0 }, "\"")]
    );
    // A `\` never escapes a line end: the string ends there.
    assert_eq!(unclosed(Lexer::new("let a = \"x\\\nlet b = \"y\"")), [8]);
}

#[test]
fn a_string_inside_an_interpolation_may_hold_braces() {
    assert_eq!(
        tokens(r#""x ${ "}" } y""#),
        [
            (PLAIN, "\""),
            (Kind::Text, "x "),
            (Kind::InterpolationStart, "${"),
            (Kind::Code, " "),
            (PLAIN, "\""),
            (Kind::Text, "}"),
            (Kind::EndQuote { open: 6 }, "\""),
            (Kind::Code, " "),
            (Kind::InterpolationEnd, "}"),
            (Kind::Text, " y"),
            (Kind::EndQuote { open: 0 }, "\""),
        ]
    );
    // An object inside an interpolation: its `}` is a bracket, the next one ends it.
    let kinds: Vec<Kind> = tokens("\"${ {a: 1} }\"").into_iter().map(|t| t.0).collect();
    assert_eq!(
        kinds,
        [
            PLAIN,
            Kind::InterpolationStart,
            Kind::Code,
            Kind::Open,
            Kind::Code,
            Kind::Close,
            Kind::Code,
            Kind::InterpolationEnd,
            Kind::EndQuote { open: 0 },
        ]
    );
}

#[test]
fn a_hash_inside_a_string_is_text_but_inside_an_interpolation_a_comment() {
    let text = "\"a # b\" '# c' \"\"\"# d\"\"\" # e";
    assert_eq!(
        comments(text).collect::<Vec<_>>(),
        [(text.find("# e").unwrap(), text.len())]
    );
    let text = "\"\"\"${ x # f\n}\"\"\"";
    let comment: Vec<&str> = comments(text).map(|(s, e)| &text[s..e]).collect();
    assert_eq!(comment, ["# f"]);
}

#[test]
fn raw_strings_have_no_escapes_and_no_interpolation() {
    assert_eq!(
        tokens(r"'a\' ${b}'"),
        [
            (Kind::Quote(Quote::Raw), "'"),
            (Kind::Text, r"a\"),
            (Kind::EndQuote { open: 0 }, "'"),
            (Kind::Code, " $"),
            (Kind::Open, "{"),
            (Kind::Code, "b"),
            (Kind::Close, "}"),
            (Kind::Quote(Quote::Raw), "'"),
            (
                Kind::Unclosed {
                    open: 9,
                    quote: Quote::Raw
                },
                ""
            ),
        ]
    );
}

#[test]
fn unterminated_strings_end_at_their_line() {
    let text = "let a = \"open\nlet b = 'also\nlet c = \"\"\"to the end";
    assert_eq!(unclosed(Lexer::new(text)), [8, 22, 36]);
    assert_eq!(
        tokens("\"a\nb")[..3],
        [
            (PLAIN, "\""),
            (Kind::Text, "a"),
            (
                Kind::Unclosed {
                    open: 0,
                    quote: Quote::Plain
                },
                ""
            ),
        ]
    );
}

#[test]
fn crlf_and_a_lone_cr_end_comments_and_strings() {
    assert_eq!(
        tokens("# a\r\nb"),
        [(Kind::Comment, "# a"), (Kind::Code, "\r\nb")]
    );
    assert_eq!(unclosed(Lexer::new("\"a\r\n\"b\rc")), [0, 4]);
    // Inside `"""…"""` a line end is text, whichever it is.
    assert_eq!(tokens("\"\"\"a\r\nb\"\"\"")[1], (Kind::Text, "a\r\nb"));
}

#[test]
fn an_interpolation_spans_lines_unless_recovering() {
    let text = "let a = \"x ${ f(\n  # c\n  1) } y\"\n";
    assert_eq!(unclosed(Lexer::new(text)), Vec::<usize>::new());
    let comment: Vec<&str> = comments(text).map(|(s, e)| &text[s..e]).collect();
    assert_eq!(comment, ["# c"]);
    // Recovering, the line end closes the string the `${` was in.
    assert_eq!(unclosed(Lexer::recovering(text)), [8, 31]);
    assert!(recovering(text).contains(&(Kind::Comment, "# c")));
    // A line ending inside a nested string names that string only; ending in the
    // interpolation's code, the outermost one-line string.
    assert_eq!(unclosed(Lexer::recovering("\"a ${ \"b ${ \"c\nx")), [12]);
    assert_eq!(unclosed(Lexer::recovering("\"a ${ \"b ${ c\nx")), [0]);
    // The interpolations of a `"""` string still span lines.
    assert_eq!(
        unclosed(Lexer::recovering("\"\"\"a ${ \"b ${ c\nx } }\"\"\"")),
        [8]
    );
    assert_eq!(
        unclosed(Lexer::recovering("\"\"\"a ${\n c }\"\"\"")),
        Vec::<usize>::new()
    );
}

#[test]
fn the_end_of_a_string_literal() {
    let text = "x = \"a ${ \"}\" } b\" + 'c' + \"\"\"d\ne\"\"\" + \"f";
    let at = |needle: &str| string_end(text, text.find(needle).unwrap());
    assert_eq!(
        &text[text.find("\"a").unwrap()..at("\"a")],
        "\"a ${ \"}\" } b\""
    );
    assert_eq!(&text[text.find("'c").unwrap()..at("'c")], "'c'");
    assert_eq!(
        &text[text.find("\"\"\"").unwrap()..at("\"\"\"")],
        "\"\"\"d\ne\"\"\""
    );
    assert_eq!(at("\"f"), text.len());
}
