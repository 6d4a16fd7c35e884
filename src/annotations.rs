//! CI annotations: each problem (a check error or warning, a failed SLO) as a GitHub Actions
//! workflow command (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`), so
//! the pull request shows it inline on the `.stress` line.
//!
//! Input: a rendered-free view of a problem (severity, code, message, help, primary span);
//! output: one line of text. No I/O here.

use miette::Diagnostic;

use crate::diag::Problem;
use crate::source::{SourceFile, line_col};

/// One problem as a GitHub workflow command line (without the trailing newline).
pub fn github(problem: &Problem, file: Option<&SourceFile>) -> String {
    let command = if problem.is_error() {
        "error"
    } else {
        "warning"
    };
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", property(&file.name)));
        let primary = problem.labels().and_then(|mut labels| {
            let all: Vec<_> = labels.by_ref().collect();
            all.iter()
                .find(|l| l.primary())
                .or_else(|| all.first())
                .map(|l| (l.offset(), l.len()))
        });
        if let Some((offset, len)) = primary {
            let (line, col) = line_col(&file.text, offset);
            let (end_line, end_col) = line_col(&file.text, offset + len.max(1) - 1);
            properties.push(format!("line={line}"));
            properties.push(format!("col={col}"));
            properties.push(format!("endLine={end_line}"));
            if end_line == line {
                properties.push(format!("endColumn={}", end_col + 1));
            }
        }
    }
    let code = problem.code_str();
    if !code.is_empty() {
        properties.push(format!("title={}", property(&code)));
    }
    let mut message = problem.to_string();
    if let Some(help) = problem.help() {
        message.push_str(&format!("\nhelp: {help}"));
    }
    format!("::{command} {}::{}", properties.join(","), data(&message))
}

/// Escapes a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters_and_every_line_ending() {
        let text = "ab\r\ncé\rd\ne";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, text.find('é').expect("é")), (2, 2));
        assert_eq!(line_col(text, text.find('d').expect("d")), (3, 1));
        assert_eq!(line_col(text, text.find('e').expect("e")), (4, 1));
    }

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
