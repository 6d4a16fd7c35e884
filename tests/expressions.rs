//! Expressions where a workload needs them, end to end through the binary: per-user `think`
//! and `with probability`, `stage`, the string functions, and a captured duration that keeps
//! its unit in SLOs. Counts are closed-model (users × iterations), computed by hand.

use crate::support::{assert_exit, stress};

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    crate::support::temp_file("expressions", name, text)
}

const MOCK: &str = "target llm mock {\n  api openai\n  latency 1ms\n}\n";

#[test]
fn think_and_probability_per_user_string_functions_and_a_duration_capture() {
    let text = format!(
        r#"{MOCK}
workload w {{
  think [30ms, 0ms][user % 2]
  with probability [0%, 100%][user % 2] {{
    request odd: post llm "/v1/chat/completions" {{
      json {{ model: "odd", messages: [{{ role: "user", content: "hi" }}] }}
      check status == 200
    }}
  }}
  request all: post llm "/v1/chat/completions" {{
    json {{ model: "m-${{user}}", messages: [{{ role: "user", content: "in <${{stage}}>" }}] }}
    check contains(json.model, "m-") && starts_with(header("content-type"), "application/json")
    check ends_with(json.model, "${{user}}") && !contains(header("x-absent"), "m")
    capture t = latency
    capture u = number("${{user}}") + number(" 0.5 ")
    capture unnamed = stage == ""
  }}
}}

test "per user" {{
  workload w
  profile {{ users 4, iterations 3 }}
  slo {{
    step odd: count(true) == 6
    step all: count(true) == 12
    max(u) == 3.5
    min(u) == 0.5
    rate(unnamed) == 100%
    max(duration) >= 30ms
    max(t) < 5s
    count(t >= 0ms) == 12
    success_rate == 100%
  }}
}}
"#
    );
    let path = temp_file("per_user.stress", &text);
    let out = stress(&["run", "-q", path.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_exit(&out, 0);
    assert!(report.contains("PASSED: 9 of 9"), "{report}");
    // A duration capture prints as a duration.
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with("t "))
        .unwrap();
    assert!(line.contains("ms"), "{line}");
}

#[test]
fn stage_is_the_name_of_the_stage_the_iteration_started_in() {
    let text = format!(
        r#"{MOCK}
workload w {{
  request r: post llm "/v1/chat/completions" {{
    json {{ model: "m", messages: [{{ role: "user", content: "${{stage}}" }}] }}
    check stage == "calm" || stage == "peak"
    capture in_calm = stage == "calm"
  }}
  think 20ms
}}

test "stages" {{
  workload w
  profile {{
    hold 1 users for 200ms as calm
    hold 1 users for 200ms as peak
  }}
  slo {{
    rate(in_calm) during calm == 100%
    rate(in_calm) during peak == 0%
    success_rate == 100%
  }}
}}
"#
    );
    let path = temp_file("stages.stress", &text);
    let out = stress(&["run", "-q", path.to_str().unwrap()]);
    assert_exit(&out, 0);
}

#[test]
fn a_negative_think_or_a_probability_above_100_percent_fails_the_iteration() {
    let text = format!(
        r#"{MOCK}
workload w {{
  think [-1s, 0s, 0s][user % 3]
  with probability [100%, 150%, 100%][user % 3] {{
    request r: post llm "/v1/chat/completions" {{
      json {{ model: "m", messages: [{{ role: "user", content: "hi" }}] }}
    }}
  }}
}}

test "invalid at run time" {{
  workload w
  profile {{ users 3, iterations 2 }}
  slo {{
    count(true) == 2
    outcome(failed) > 66%
    outcome(failed) < 67%
  }}
}}
"#
    );
    let path = temp_file("invalid.stress", &text);
    let out = stress(&["run", path.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_exit(&out, 0);
    assert!(
        report.contains("think time is -1000ms, not a duration of at least 0"),
        "{report}"
    );
    assert!(
        report.contains("probability is 150%, not between 0% and 100%"),
        "{report}"
    );
}

/// `step a: X - step b: Y`: each operand reads its own step; an operand without `step X:`
/// reads the assertion's prefix. Counts by hand: 4 users × 3 iterations = 12 runs of `all`;
/// `odd` runs for the 2 odd users only: 6.
#[test]
fn an_slo_compares_two_steps() {
    let text = format!(
        r#"{MOCK}
workload w {{
  with probability [0%, 100%][user % 2] {{
    request odd: get llm "/health"
  }}
  request all: get llm "/health"
}}

test "two steps" {{
  workload w
  profile {{ users 4, iterations 3 }}
  slo {{
    step all: count(true) - step odd: count(true) == 6
    step all: count(true) - count(true) == 0
    step odd: count(true) * 2 == step all: count(true)
    step all: p50(latency) - step odd: p50(latency) < 1s
  }}
}}
"#
    );
    let path = temp_file("two_steps.stress", &text);
    let out = stress(&["run", "-q", path.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_exit(&out, 0);
    assert!(report.contains("PASSED: 4 of 4"), "{report}");
}
