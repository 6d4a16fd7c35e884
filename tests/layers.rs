//! The module stack drawn in `src/lib.rs` ("## Layers") is the real one: every `crate::`
//! path in `src/` (outside comments and test code) names a module of a lower layer, and every
//! top-level module has its place in the table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Module → layer (0 = bottom), read from the table in `src/lib.rs`.
fn layers() -> BTreeMap<String, usize> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let after = lib
        .split("//! ## Layers")
        .nth(1)
        .expect("src/lib.rs has a `## Layers` section");
    let table: Vec<&str> = after
        .lines()
        .skip_while(|l| !l.contains("```text"))
        .skip(1)
        .take_while(|l| !l.contains("```"))
        .map(|l| l.trim_start_matches("//!").trim())
        .collect();
    assert!(!table.is_empty(), "the layer table is empty");
    let mut layers = BTreeMap::new();
    // The table lists the top layer first.
    for (i, line) in table.iter().rev().enumerate() {
        let modules = line.split("  ").next().unwrap();
        for module in modules.split_whitespace() {
            let before = layers.insert(module.to_string(), i);
            assert!(before.is_none(), "`{module}` is in the table twice");
        }
    }
    layers
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file that the library is built from: comments dropped, and nothing from a
/// `#[cfg(test)] mod … {` on (test modules close their files by convention).
fn library_code(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .get(i + 1)
                .is_some_and(|next| next.trim_end().ends_with('{') && next.contains("mod "))
        {
            break;
        }
        let code = line.split("//").next().unwrap();
        out.push((i + 1, code.to_string()));
    }
    out
}

/// `crate::NAME` paths of a line.
fn crate_paths(code: &str) -> Vec<&str> {
    code.match_indices("crate::")
        .filter(|(at, _)| {
            // Not part of a longer word (`stress_crate::`).
            *at == 0
                || !code.as_bytes()[at - 1].is_ascii_alphanumeric()
                    && code.as_bytes()[at - 1] != b'_'
        })
        .map(|(at, m)| {
            let rest = &code[at + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn no_module_names_one_above_or_beside_it() {
    let layers = layers();
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut missing = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&src).unwrap();
        let rel_text = rel.display().to_string();
        if rel_text == "lib.rs" || rel_text == "main.rs" {
            continue;
        }
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        let Some(&own) = layers.get(&module) else {
            if !missing.contains(&module) {
                missing.push(module);
            }
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy();
        if name == "tests.rs" || name == "testkit.rs" || rel_text.contains("/tests/") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        for (line, code) in library_code(&text) {
            for used in crate_paths(&code) {
                if used == module {
                    continue;
                }
                match layers.get(used) {
                    Some(&layer) if layer < own => {}
                    Some(&layer) => wrong.push(format!(
                        "src/{rel_text}:{line}: `{module}` (layer {own}) uses `crate::{used}` (layer {layer}), which is not below it"
                    )),
                    None => wrong.push(format!(
                        "src/{rel_text}:{line}: `crate::{used}` is not a module of the layer table"
                    )),
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "top-level modules missing from the layer table in src/lib.rs: {missing:?}"
    );
    assert!(
        wrong.is_empty(),
        "the stack is broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_table_names_only_modules_that_exist() {
    let src = root().join("src");
    for module in layers().keys() {
        assert!(
            src.join(format!("{module}.rs")).exists() || src.join(module).join("mod.rs").exists(),
            "the layer table names `{module}`, which src/ does not have"
        );
    }
}

#[test]
fn a_path_upward_is_found() {
    let code = library_code(
        "use crate::cli::Ui; // crate::run\n#[cfg(test)]\nmod tests {\n use crate::run;\n}\n",
    );
    assert_eq!(code.len(), 1);
    assert_eq!(crate_paths(&code[0].1), ["cli"]);
    assert_eq!(crate_paths("x(crate::a::b, my_crate::c)"), ["a"]);
}
