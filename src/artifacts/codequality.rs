//! `codequality.json`: every SLO that did not pass, as a GitLab Code Quality report (the
//! CodeClimate subset GitLab reads), so a merge request shows the failed assertion on its
//! `.stress` line. An empty array when everything held.

use serde::Serialize;

use crate::slo::{AssertionKind, Status};

use super::fnv1a64;
use super::model::TestRecord;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// The whole file.
pub fn render(records: &[TestRecord]) -> String {
    let mut issues = Vec::new();
    for record in records {
        let r = &record.report;
        for s in r.slos.iter().filter(|s| s.status != Status::Pass) {
            let what = match s.kind {
                AssertionKind::Slo => s.text.clone(),
                AssertionKind::Abort => format!("abort if {}", s.text),
            };
            let measured = if s.lhs_display.is_empty() {
                "no data".to_string()
            } else {
                s.lhs_display.clone()
            };
            let description = format!(
                "test `{}`, scenario `{}`: {what} — measured {measured}, limit {} {}",
                r.test,
                s.scenario,
                s.op.symbol(),
                s.rhs_display
            );
            // Stable across runs of the same file: which assertion, not what it measured.
            let identity = format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                r.file, r.test, s.scenario, s.line
            );
            issues.push(Issue {
                description,
                check_name: "stress::slo::violated".to_string(),
                fingerprint: fnv1a64(identity.as_bytes()),
                severity: "major",
                location: Location {
                    path: r.file.clone(),
                    lines: Lines { begin: s.line },
                },
            });
        }
    }
    serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string()) + "\n"
}
