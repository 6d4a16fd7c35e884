//! `junit.xml`: one `<testsuite>` per test, one `<testcase>` per SLO × scenario
//! (`classname` = the test, `name` = `scenario: SLO as written`); a failed, no-data or
//! not-measured result is a `<failure>` whose message gives the measured value, the bound
//! and `file:line`. An `abort if` that stopped the run is one more failed test case.

use std::fmt::Write as _;

use crate::slo::{AssertionKind, SloResult, Status};

use super::model::TestRecord;

/// Text for a double-quoted attribute: `& < > " '` escaped, characters XML 1.0 cannot hold
/// replaced by U+FFFD, line breaks kept as character references.
pub fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// Text for element content: as [`escape`], line breaks and tabs kept as they are.
pub fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

fn escape_with(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' if !attribute => out.push(c),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn case_name(r: &SloResult) -> String {
    match r.kind {
        AssertionKind::Slo => format!("{}: {}", r.scenario, r.text),
        AssertionKind::Abort => format!("{}: abort if {}", r.scenario, r.text),
    }
}

fn failure_message(r: &SloResult, location: &str) -> String {
    let limit = match &r.bound_expr {
        Some(expr) => format!("{} {} ({expr})", r.op.symbol(), r.rhs_display),
        None => format!("{} {}", r.op.symbol(), r.rhs_display),
    };
    let observed = if r.lhs_display.is_empty() {
        "-"
    } else {
        &r.lhs_display
    };
    format!(
        "SLO not met at {location}: {} was {observed}, limit is {limit}",
        r.metric
    )
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::NoData => "no_data",
        Status::NotMeasured => "not_measured",
    }
}

/// The whole file.
pub fn render(records: &[TestRecord]) -> String {
    let all = || records.iter().flat_map(|r| r.report.slos.iter());
    let failures = all().filter(|s| s.status != Status::Pass).count();
    let errors = records
        .iter()
        .filter(|r| r.report.could_not_run.is_some())
        .count();
    let time: f64 = records
        .iter()
        .map(|r| r.report.duration_us as f64 / 1e6)
        .sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"stress\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.3}\">",
        all().count() + errors
    );
    for rec in records {
        let r = &rec.report;
        let failed = r.slos.iter().filter(|s| s.status != Status::Pass).count();
        let errored = usize::from(r.could_not_run.is_some());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"{errored}\" skipped=\"0\" time=\"{:.3}\" file=\"{}\">",
            escape(&r.test),
            r.slos.len() + errored,
            r.duration_us as f64 / 1e6,
            escape(&r.file)
        );
        let _ = writeln!(out, "    <properties>");
        let mut props = vec![
            ("file", r.file.clone()),
            ("seed", r.seed.to_string()),
            ("interrupted", r.interrupted.to_string()),
        ];
        if let Some(m) = &r.merged_from {
            props.push(("merged_runs", m.runs.to_string()));
        }
        for (name, value) in props {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                escape(&value)
            );
        }
        let _ = writeln!(out, "    </properties>");
        // A test that could not run is an errored case of its own: a dashboard must not
        // show green for it.
        if let Some(reason) = &r.could_not_run {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"could not run\" file=\"{}\" time=\"0\">",
                escape(&r.test),
                escape(&r.file)
            );
            let _ = writeln!(
                out,
                "      <error message=\"{}\" type=\"could_not_run\">{}</error>",
                escape(reason),
                escape_text(reason)
            );
            let _ = writeln!(out, "    </testcase>");
        }
        for s in &r.slos {
            let location = format!("{}:{}", r.file, s.line);
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"0\"",
                escape(&r.test),
                escape(&case_name(s)),
                escape(&r.file),
                s.line
            );
            if s.status == Status::Pass {
                let _ = writeln!(out, "{open}/>");
                continue;
            }
            let mut details = format!(
                "{}\nscenario: {}\nmeasured: {}\nbound: {} {}\nstatus: {}\nat: {location}",
                case_name(s),
                s.scenario,
                if s.lhs_display.is_empty() {
                    "-"
                } else {
                    &s.lhs_display
                },
                s.op.symbol(),
                s.rhs_display,
                status_name(s.status)
            );
            if let Some(expr) = &s.bound_expr {
                let _ = write!(details, "\nbound computed as: {expr}");
            }
            if let Some((start, value)) = s.worst_window {
                let _ = write!(
                    details,
                    "\nworst window from {}: {}",
                    crate::units::Duration(start),
                    crate::metrics::format_value(value, s.unit)
                );
            }
            if let Some(message) = &s.message {
                let _ = write!(details, "\n{message}");
            }
            let _ = writeln!(out, "{open}>");
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&failure_message(s, &location)),
                status_name(s.status),
                escape_text(&details)
            );
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("a < b && c > \"d\" 'e'"),
            "a &lt; b &amp;&amp; c &gt; &quot;d&quot; &apos;e&apos;"
        );
        assert_eq!(escape("x\u{1}y\nz"), "x\u{FFFD}y&#10;z");
        assert_eq!(escape_text("x\u{1}y\nz<"), "x\u{FFFD}y\nz&lt;");
    }
}
