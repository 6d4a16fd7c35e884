//! Every ```stress block of README.md and docs/*.md is checked, and the runnable ones are run
//! (issue 15: "every example runs as written"). A block's info string says what it is:
//!
//! - ```` ```stress ```` — a whole file: checks with no error and no warning but `unused` (an
//!   example may declare more than it uses). Data files are not looked for (no base folder).
//! - ```` ```stress prelude ```` — the declarations (in docs/language.md) that fragments use.
//! - ```` ```stress fragment ```` — declarations checked together with the prelude (so a short
//!   example can use `llm`, `api`, `chat`, `high_429s`, … without repeating them).
//! - ```` ```stress check-fail CODE ```` / ```` ```stress fragment check-fail CODE ```` — a
//!   deliberate mistake: checking it must report CODE as an error.
//! - ```` ```stress check-warn CODE ```` — checks with no error and warns with CODE.
//! - ```` ```stress run ```` / ```` ```stress run exit=N ```` — a whole file that uses only the
//!   embedded mock: it checks clean, and `stress run --quiet` on it exits 0 (or N).
//!
//! Fences are recognised at any indentation (inside list items too); the block's lines lose
//! the fence's indentation. A hand-written scan: the docs use nothing but plain fences.

use std::path::{Path, PathBuf};

use stress::diag::Problem;

/// One ```stress block.
struct Block {
    file: String,
    line: usize,
    info: Vec<String>,
    text: String,
}

impl Block {
    fn has(&self, word: &str) -> bool {
        self.info.iter().any(|w| w == word)
    }
    /// The word after `key` in the info string (`check-fail CODE`).
    fn after(&self, key: &str) -> Option<&str> {
        let i = self.info.iter().position(|w| w == key)?;
        self.info.get(i + 1).map(String::as_str)
    }
    fn exit(&self) -> i32 {
        self.info
            .iter()
            .find_map(|w| w.strip_prefix("exit="))
            .map_or(0, |n| n.parse().expect("exit=N"))
    }
    fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The fenced blocks whose info string starts with `stress`.
fn blocks_of(name: &str, text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, usize, Vec<String>, String)> = None; // line, indent, info, text
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let words: Vec<String> = info.split_whitespace().map(String::from).collect();
                    open = Some((i + 1, indent, words, String::new()));
                }
            }
            Some((start, fence_indent, info, body)) => {
                if trimmed == "```" {
                    if info.first().is_some_and(|w| w == "stress") {
                        blocks.push(Block {
                            file: name.to_string(),
                            line: *start,
                            info: info[1..].to_vec(),
                            text: std::mem::take(body),
                        });
                    }
                    open = None;
                } else {
                    let cut = indent.min(*fence_indent);
                    body.push_str(&line[cut..]);
                    body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "{name}: a code fence is never closed");
    blocks
}

fn all_blocks() -> Vec<Block> {
    let mut all = Vec::new();
    for path in markdown_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.strip_prefix(root()).unwrap().display().to_string();
        all.extend(blocks_of(&name, &text));
    }
    all
}

fn prelude(blocks: &[Block]) -> String {
    let preludes: Vec<&Block> = blocks.iter().filter(|b| b.has("prelude")).collect();
    assert_eq!(preludes.len(), 1, "exactly one ```stress prelude block");
    preludes[0].text.clone()
}

/// The text to check: a fragment goes after the prelude.
fn full_text(block: &Block, prelude: &str) -> String {
    if block.has("fragment") {
        format!("{prelude}\n{}", block.text)
    } else {
        block.text.clone()
    }
}

fn check(block: &Block, prelude: &str) -> (String, Vec<Problem>) {
    let text = full_text(block, prelude);
    let (file, problems) = crate::support::check_text(&block.place(), &text, None);
    let rendered = crate::support::render_all(&file, &problems);
    (rendered, problems)
}

fn codes(problems: &[Problem], errors: bool) -> Vec<String> {
    problems
        .iter()
        .filter(|p| p.is_error() == errors)
        .map(Problem::code_str)
        .collect()
}

#[test]
fn the_docs_have_stress_examples() {
    let blocks = all_blocks();
    // The tour, the three getting-started files, and the reference's examples.
    assert!(blocks.len() >= 40, "found only {} blocks", blocks.len());
    assert!(
        blocks.iter().any(|b| b.file == "README.md" && b.has("run")),
        "the README tour is marked runnable"
    );
}

#[test]
fn every_stress_block_checks_as_marked() {
    let blocks = all_blocks();
    let prelude = prelude(&blocks);
    let mut failures = Vec::new();
    for block in &blocks {
        let (rendered, problems) = check(block, &prelude);
        let errors = codes(&problems, true);
        let warnings = codes(&problems, false);
        if let Some(code) = block.after("check-fail") {
            if !errors.iter().any(|c| c == code) {
                failures.push(format!(
                    "{}: expected error {code}, found {errors:?}\n{rendered}",
                    block.place()
                ));
            }
        } else if !errors.is_empty() {
            failures.push(format!("{}: unexpected errors\n{rendered}", block.place()));
        } else if let Some(code) = block.after("check-warn") {
            if !warnings.iter().any(|c| c == code) {
                failures.push(format!(
                    "{}: expected warning {code}, found {warnings:?}\n{rendered}",
                    block.place()
                ));
            }
        } else if warnings.iter().any(|c| c != "stress::check::unused") {
            failures.push(format!(
                "{}: unexpected warnings\n{rendered}",
                block.place()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_runnable_block_runs_to_its_exit_code() {
    let blocks = all_blocks();
    let runnable: Vec<&Block> = blocks.iter().filter(|b| b.has("run")).collect();
    assert!(
        runnable.len() >= 4,
        "found {} runnable blocks",
        runnable.len()
    );
    for (i, block) in runnable.iter().enumerate() {
        assert!(
            !block.has("fragment"),
            "{}: a runnable block is a whole file",
            block.place()
        );
        let path = crate::support::temp_file("docs", &format!("run{i}.stress"), &block.text);
        let out = crate::support::stress(&["run", "--quiet", path.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(block.exit()),
            "{} (as {}):\nstdout:\n{}\nstderr:\n{}",
            block.place(),
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Every diagnostic code stress can print is in `diag::CODES` and in the reference's table.
#[test]
fn every_diagnostic_code_is_in_the_reference() {
    let reference = std::fs::read_to_string(root().join("docs/language.md")).unwrap();
    let codes = stress::diag::CODES;
    let missing: Vec<&&str> = codes
        .iter()
        .filter(|c| !reference.contains(&format!("| `{c}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a row in docs/language.md: {missing:?}"
    );
    let mut unlisted = source_codes(&root().join("src"));
    unlisted.retain(|c| !codes.contains(&c.as_str()));
    unlisted.sort();
    unlisted.dedup();
    assert!(
        unlisted.is_empty(),
        "codes written in src/ but missing from diag::CODES: {unlisted:?}"
    );
}

/// `stress::run::x`, `stress::slo::x`, `stress::merge::x` written literally in src/.
fn source_codes(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(source_codes(&path));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for prefix in ["stress::run::", "stress::slo::", "stress::merge::"] {
            for (at, _) in text.match_indices(prefix) {
                let rest = &text[at + prefix.len()..];
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !word.is_empty() {
                    out.push(format!("{prefix}{word}"));
                }
            }
        }
    }
    out
}

/// The docs stand alone: no reference to the spec the repository does not ship, and every
/// relative link names a file that exists.
#[test]
fn the_docs_link_only_to_files_in_the_repository() {
    for path in markdown_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("LANGUAGE.md"),
            "{} refers to LANGUAGE.md, which the repository does not ship",
            path.display()
        );
        for (at, _) in text.match_indices("](") {
            let target: String = text[at + 2..].chars().take_while(|c| *c != ')').collect();
            let target = target.split('#').next().unwrap();
            if target.is_empty() || target.contains("://") {
                continue;
            }
            let linked = path.parent().unwrap().join(target);
            assert!(
                linked.exists(),
                "{}: link to `{target}`, which does not exist",
                path.display()
            );
        }
    }
}
