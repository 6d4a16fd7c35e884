//! Helpers shared by the integration tests.

use std::path::Path;

use stress::diag::{Problem, RenderOptions, render};
use stress::source::SourceFile;

/// Parse + check one file in-process; every problem (errors and warnings) in order.
/// Runs on a thread with a large stack, as the CLI does.
pub(crate) fn check_text(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
) -> (SourceFile, Vec<Problem>) {
    let (name, text, base_dir) = (
        name.to_string(),
        text.to_string(),
        base_dir.map(Path::to_path_buf),
    );
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || check_text_here(&name, &text, base_dir.as_deref()))
        .unwrap()
        .join()
        .unwrap()
}

fn check_text_here(name: &str, text: &str, base_dir: Option<&Path>) -> (SourceFile, Vec<Problem>) {
    let file = SourceFile::new(name, text);
    let problems = match stress::syntax::parse(&file) {
        Err(errors) => errors.into_iter().map(Problem::from).collect(),
        Ok(ast) => match stress::interp::check(&file, &ast, base_dir) {
            Ok(checked) => checked.warnings.into_iter().map(Problem::from).collect(),
            Err(errors) => errors.into_iter().map(Problem::from).collect(),
        },
    };
    (file, problems)
}

/// Problems rendered as a person sees them (no color, unicode, 80 columns).
pub(crate) fn render_all(file: &SourceFile, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| render(p, Some(file), RenderOptions::plain()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The codes a golden file expects, from its `# expect: a, b` header lines.
pub(crate) fn expected_codes(text: &str) -> Vec<String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# expect:"))
        .flat_map(|l| l.split(',').map(|c| c.trim().to_string()))
        .filter(|c| !c.is_empty())
        .collect()
}
