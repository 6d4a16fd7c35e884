//! `junit.xml`: one `<testsuite>` per test, one `<testcase>` per SLO × scenario
//! (`classname` = the test, `name` = `scenario: SLO as written`); a failed, no-data or
//! not-measured result is a `<failure>` whose message gives the measured value, the bound
//! and `file:line`. An `abort if` that stopped the run is one more failed test case, and a
//! test that could not run is an errored `could not run` case. Each `check` of each scenario
//! is one more case (`scenario: check EXPR (step S)`), failed when it failed at least once. Built from the report model
//! (`model::TestRecord`) by `files::write_all`; `quick-junit` writes the XML.

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite, XmlString,
};

use crate::slo::{AssertionKind, SloResult, Status};

use super::model::TestRecord;

/// Text for the XML. `quick-junit` escapes markup and drops terminal colour codes and the
/// control characters XML 1.0 cannot hold; the two non-characters it lets through become
/// U+FFFD.
fn xml(text: &str) -> XmlString {
    XmlString::new(text.replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}"))
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

/// The whole file: `<testsuites name="stress">` with the counts and the summed time.
pub fn render(records: &[TestRecord]) -> String {
    let mut report = Report::new("stress");
    report.set_time(
        records
            .iter()
            .map(|r| Duration::from_micros(r.report.duration_us))
            .sum(),
    );
    report.add_test_suites(records.iter().map(suite));
    report
        .to_string()
        .expect("serializing a JUnit report to memory cannot fail")
}

/// One test: its properties, then a `could not run` case if it could not, then one case per
/// SLO × scenario.
fn suite(rec: &TestRecord) -> TestSuite {
    let r = &rec.report;
    let mut suite = TestSuite::new(xml(&r.test));
    suite.set_time(Duration::from_micros(r.duration_us));
    suite.extra.insert("file".into(), xml(&r.file));
    suite.add_property(Property::new("file", xml(&r.file)));
    suite.add_property(Property::new("seed", r.seed.to_string()));
    suite.add_property(Property::new("interrupted", r.interrupted.to_string()));
    if let Some(m) = &r.merged_from {
        suite.add_property(Property::new("merged_runs", m.runs.to_string()));
    }
    // A test that could not run is an errored case of its own: a dashboard must not show
    // green for it.
    if let Some(reason) = &r.could_not_run {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_message(xml(reason))
            .set_type("could_not_run")
            .set_description(xml(reason));
        let mut case = TestCase::new("could not run", status);
        case.set_classname(xml(&r.test)).set_time(Duration::ZERO);
        case.extra.insert("file".into(), xml(&r.file));
        suite.add_test_case(case);
    }
    for s in &r.slos {
        suite.add_test_case(slo_case(rec, s));
    }
    for sc in &r.scenarios {
        for c in &sc.checks {
            suite.add_test_case(check_case(rec, &sc.name, c));
        }
    }
    suite
}

/// One `check` of one scenario: failed when it failed at least once, the counts in the
/// message.
fn check_case(rec: &TestRecord, scenario: &str, c: &crate::report::CheckReport) -> TestCase {
    let r = &rec.report;
    let name = format!("{scenario}: check {} (step {})", c.check, c.step);
    let status = if c.failed == 0 {
        TestCaseStatus::success()
    } else {
        let times = if c.failed == 1 { "time" } else { "times" };
        let message = format!(
            "check `{}` at step `{}` failed {} {times} of {} ({}); it ended {} iterations",
            c.check,
            c.step,
            c.failed,
            c.passed + c.failed,
            crate::report::format::PLAIN.pct(c.failed_pct),
            c.ended_iterations
        );
        let details = format!(
            "scenario: {scenario}\nstep: {}\ncheck: {}\npassed: {}\nfailed: {}\nended iterations: {}",
            c.step, c.check, c.passed, c.failed, c.ended_iterations
        );
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(xml(&message))
            .set_type("check")
            .set_description(xml(&details));
        status
    };
    let mut case = TestCase::new(xml(&name), status);
    case.set_classname(xml(&r.test)).set_time(Duration::ZERO);
    case.extra.insert("file".into(), xml(&r.file));
    case
}

fn slo_case(rec: &TestRecord, s: &SloResult) -> TestCase {
    let r = &rec.report;
    let location = format!("{}:{}", r.file, s.line);
    let status = if s.status == Status::Pass {
        TestCaseStatus::success()
    } else {
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
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(xml(&failure_message(s, &location)))
            .set_type(status_name(s.status))
            .set_description(xml(&details));
        status
    };
    let mut case = TestCase::new(xml(&case_name(s)), status);
    case.set_classname(xml(&r.test)).set_time(Duration::ZERO);
    case.extra.insert("file".into(), xml(&r.file));
    case.extra.insert("line".into(), s.line.to_string().into());
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{CmpOp, Unit};
    use crate::report::MergedFrom;

    fn result(text: &str, status: Status, measured: &str) -> SloResult {
        SloResult {
            kind: AssertionKind::Slo,
            slo: 0,
            scenario: "base".into(),
            text: text.into(),
            line: 7,
            origin: Default::default(),
            measured: 0.0,
            bound: 0.0,
            unit: Unit::Duration,
            op: CmpOp::Lt,
            status,
            worst_window: None,
            metric: "p95(latency)".into(),
            lhs_display: measured.into(),
            rhs_display: "5ms".into(),
            bound_expr: None,
            message: None,
        }
    }

    fn record(test: &str, slos: Vec<SloResult>, could_not_run: Option<&str>) -> TestRecord {
        TestRecord {
            file: "a <b>.stress".into(),
            report: crate::report::Report {
                schema_version: 1,
                file: "a <b>.stress".into(),
                test: test.into(),
                seed: 42,
                interrupted: false,
                duration_us: 1_500_000,
                passed: false,
                scenarios: Vec::new(),
                comparison: Vec::new(),
                slos,
                merged_from: Some(MergedFrom {
                    runs: 2,
                    seeds: vec![1, 2],
                }),
                could_not_run: could_not_run.map(str::to_string),
                proxies: Vec::new(),
                load: Vec::new(),
                targets: Vec::new(),
            },
            series: Vec::new(),
            services: Vec::new(),
        }
    }

    #[test]
    fn render_whole_file() {
        // The failed SLO, a passing one, and a test that could not run.
        let failed = result("p95(latency) < 5ms", Status::Fail, "9ms");
        let mut passed = result("p99(latency) < 1s", Status::Pass, "3ms");
        passed.line = 8;
        let records = [
            record(
                "smoke \"q\" & 'a'\u{1}\u{1b}[31m",
                vec![failed, passed],
                None,
            ),
            record("down", Vec::new(), Some("stress::run::unreachable: <api>")),
        ];
        // Markup is escaped; a control character and a terminal colour code are dropped.
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="stress" tests="3" skipped="0" failures="1" errors="1" time="3.000">
    <testsuite name="smoke &quot;q&quot; &amp; &apos;a&apos;" tests="2" skipped="0" errors="0" failures="1" time="1.500" file="a &lt;b&gt;.stress">
        <properties>
            <property name="file" value="a &lt;b&gt;.stress"/>
            <property name="seed" value="42"/>
            <property name="interrupted" value="false"/>
            <property name="merged_runs" value="2"/>
        </properties>
        <testcase name="base: p95(latency) &lt; 5ms" classname="smoke &quot;q&quot; &amp; &apos;a&apos;" time="0.000" file="a &lt;b&gt;.stress" line="7">
            <failure message="SLO not met at a &lt;b&gt;.stress:7: p95(latency) was 9ms, limit is &lt; 5ms" type="fail">base: p95(latency) &lt; 5ms
scenario: base
measured: 9ms
bound: &lt; 5ms
status: fail
at: a &lt;b&gt;.stress:7</failure>
        </testcase>
        <testcase name="base: p99(latency) &lt; 1s" classname="smoke &quot;q&quot; &amp; &apos;a&apos;" time="0.000" file="a &lt;b&gt;.stress" line="8"/>
    </testsuite>
    <testsuite name="down" tests="1" skipped="0" errors="1" failures="0" time="1.500" file="a &lt;b&gt;.stress">
        <properties>
            <property name="file" value="a &lt;b&gt;.stress"/>
            <property name="seed" value="42"/>
            <property name="interrupted" value="false"/>
            <property name="merged_runs" value="2"/>
        </properties>
        <testcase name="could not run" classname="down" time="0.000" file="a &lt;b&gt;.stress">
            <error message="stress::run::unreachable: &lt;api&gt;" type="could_not_run">stress::run::unreachable: &lt;api&gt;</error>
        </testcase>
    </testsuite>
</testsuites>
"#;
        assert_eq!(render(&records), expected);
    }
}
