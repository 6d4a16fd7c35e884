//! One-line explanations of the language's words for hover and completion: keywords, metrics,
//! functions, fault rules, faults, built-in names and units (the reference, docs/language.md,
//! says more).

use std::sync::LazyLock;

use crate::vocab::{Builtin, DataFormat, Fault, MetricFn, MetricName, Quantity, Rule};

/// What a word is, for completion's item kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WordKind {
    Keyword,
    Metric,
    Function,
    Rule,
    Fault,
    Builtin,
    Unit,
}

/// The keywords: `(word, explanation)`.
const KEYWORDS: &[(&str, &str)] = &[
    // Declarations.
    (
        "let",
        "`let NAME = EXPR`: a constant, evaluated once; `--set NAME=VALUE` overrides it for one run.",
    ),
    (
        "data",
        "`data NAME = lines(\"f.txt\") | csv(…) | jsonl(…) | yaml(…)`: a data set, path relative to the file; read rows with `next(NAME)` or `pick(NAME)`.",
    ),
    (
        "target",
        "`target NAME = \"http://host:port\"` (an outside service) or `target NAME mock { … }` (an embedded mock LLM started on loopback for the run).",
    ),
    (
        "mock",
        "`target NAME mock { api openai; latency 40ms..120ms; tokens 20..200; capacity 100; cache on }`: an embedded mock LLM.",
    ),
    (
        "service",
        "`service NAME { exec \"…\"; ready http \"URL\" within 30s }`: a process stress starts before load, samples (RSS, CPU) and stops after.",
    ),
    (
        "proxy",
        "`proxy NAME { listen \"127.0.0.1:9100\"; upstream \"http://127.0.0.1:9200\" }`: an embedded fault-injecting reverse proxy.",
    ),
    (
        "workload",
        "`workload NAME { steps }`: what one virtual user does in one iteration.",
    ),
    (
        "scenario",
        "`scenario NAME { rules }` or `scenario NAME = a + b`: a named set of fault rules (first rule that fires wins). In a workload, `scenario` is the running scenario's name.",
    ),
    (
        "profile",
        "`profile NAME { stages }`: a load shape over time (closed `users`/`hold`/`ramp`, open `rate`).",
    ),
    (
        "test",
        "`test \"NAME\" { workload …; profile …; scenarios …; slo { … } }`: something that runs and passes or fails. In a workload, `test` is the test's name.",
    ),
    // Steps and request parts.
    (
        "request",
        "`request NAME: METHOD TARGET \"path\" { … }`: one HTTP call; NAME labels its metrics.",
    ),
    (
        "poll",
        "`poll NAME: METHOD TARGET \"path\" every D until EXPR within D`: repeat a request until a condition holds, or fail at the deadline.",
    ),
    (
        "think",
        "`think D` or `think 1s..3s`: pause (a range picks uniformly from the seeded RNG).",
    ),
    (
        "repeat",
        "`repeat N { steps }` / `repeat N as i { … }`: a loop; in a profile, `repeat N { stages }`.",
    ),
    (
        "set",
        "`set NAME = EXPR`: a VU-local variable that lives across iterations.",
    ),
    (
        "with",
        "`with probability P { steps }`: run the block with probability P.",
    ),
    (
        "probability",
        "`with probability 30% { steps }`: run the block with this probability.",
    ),
    (
        "choose",
        "`choose { 80%: { … } 20%: { … } }`: a weighted branch; weights sum to 100%.",
    ),
    (
        "header",
        "`header \"name\" = EXPR` in a request; `header(\"name\")` reads a response header.",
    ),
    (
        "query",
        "`query { page: 1, q: \"x\" }`: URL query parameters.",
    ),
    (
        "json",
        "`json { … }` sends a JSON body; `json.a.b[0]` reads the response's JSON.",
    ),
    (
        "body",
        "`body \"…\"` sends text as is; `body` reads the response body as text.",
    ),
    ("form", "`form { user: \"a\" }`: an URL-encoded form body."),
    (
        "timeout",
        "`timeout 5s`: the request's timeout (default 30s). As a fault: the request times out.",
    ),
    (
        "check",
        "`check EXPR`: a failed check makes the request count as failed (without a check, a status >= 400 fails).",
    ),
    (
        "capture",
        "`capture NAME = EXPR`: a per-request value usable in SLOs (`p95(NAME)`, `rate(NAME)`).",
    ),
    (
        "retry",
        "`retry { attempts 3; on 429, 5xx, timeout, connection_error; backoff exponential(100ms, factor: 2, max: 10s); jitter full; respect retry_after }`: `attempts` counts retries after the first try.",
    ),
    (
        "attempts",
        "`attempts N`: retries after the first try (so N + 1 tries at most).",
    ),
    (
        "backoff",
        "`backoff constant(D) | linear(D, step: D) | exponential(D, factor: F, max: D)`.",
    ),
    (
        "jitter",
        "`jitter none | full | equal`: randomizes the backoff (from the seeded RNG).",
    ),
    (
        "budget",
        "`budget { time 30s, cost $0.05 }`: per iteration; crossing it ends the iteration with outcome `budget_exceeded`.",
    ),
    // Profiles.
    (
        "users",
        "`users N, iterations M`: closed model, N virtual users each run M iterations.",
    ),
    (
        "iterations",
        "`iterations M`: iterations per virtual user (closed model).",
    ),
    (
        "hold",
        "`hold N users for D`: keep N virtual users busy for D (closed model).",
    ),
    (
        "ramp",
        "`ramp to N users over D` (closed) or `ramp rate to R over D` (open).",
    ),
    (
        "rate",
        "`rate 50/s for 1m`: open model, iterations start on schedule whether or not earlier ones finished. In an SLO, `rate(EXPR)` is the share of attempts for which EXPR holds.",
    ),
    ("pause", "`pause D`: no load for D."),
    (
        "limit",
        "`limit R`: caps the start rate of iterations of a closed stage (a token bucket).",
    ),
    (
        "max",
        "`max users N`: bounds concurrency of an open stage; arrivals finding no free VU are `dropped`. In an SLO, `max(x)` is the largest value.",
    ),
    (
        "as",
        "`… as NAME` names a stage (a phase for `during/before/after NAME`) or a `repeat` counter.",
    ),
    // Tests.
    (
        "scenarios",
        "`scenarios a, b + c`: run each scenario in turn with the same workload and profile.",
    ),
    (
        "inject",
        "`inject at client` (default: in-process) or `inject at proxy NAME` (on the wire).",
    ),
    (
        "seed",
        "`seed 42`: every random decision comes from this seed (`--seed` overrides; default 0).",
    ),
    (
        "services",
        "`services a, b`: start these services before load, stop them after.",
    ),
    (
        "chaos",
        "`chaos from 2m to 5m { faults s; start exec \"…\"; stop exec \"…\" }`: a time window; splits the run into before/during/after chaos.",
    ),
    (
        "slo",
        "`slo { assertions }`: every assertion must hold for the test to pass (exit 0).",
    ),
    (
        "abort",
        "`abort if error_rate > 50% over 30s`: stop the test early (it fails) when the condition holds.",
    ),
    (
        "during",
        "`during PHASE`: limit an assertion to a named stage or `chaos`.",
    ),
    (
        "before",
        "`before PHASE`: limit an assertion to what started before the phase.",
    ),
    (
        "after",
        "`after PHASE`: limit an assertion to what started after the phase.",
    ),
    (
        "every",
        "`in every D`: the assertion must hold in every window of length D; `poll … every D`.",
    ),
];

/// A quantity a statistic is taken of (`latency` is also the delay rule).
fn quantity(q: Quantity) -> &'static str {
    match q {
        Quantity::Latency => {
            "Per request attempt, from the intended start (no coordinated omission). As a rule: `latency(P, D)` delays P of calls by D."
        }
        Quantity::Duration => {
            "Per iteration (or per step under `step X:`): all attempts, backoffs and think time."
        }
        Quantity::Retries => "Retries per iteration.",
        Quantity::Cost => "Per iteration: the sum of `capture cost = …` values (money).",
    }
}

fn metric_name(n: MetricName) -> &'static str {
    match n {
        MetricName::ErrorRate => {
            "Share of failed request attempts (transport error, timeout, failed check, or status >= 400 without a check). As a rule: `error_rate(P, FAULT)`."
        }
        MetricName::SuccessRate => "Share of iterations whose outcome is `success`.",
        MetricName::Throughput => "Completed requests per second.",
        MetricName::Dropped => "Open-model arrivals that found no free virtual user.",
        MetricName::BudgetExceeded => "Share of iterations ended by their budget.",
        MetricName::BudgetExceededDuringRetry => {
            "Share of iterations whose budget was crossed while retrying."
        }
    }
}

/// `None` for a function explained with the keyword it shares its name with.
fn metric_fn(f: MetricFn) -> Option<&'static str> {
    Some(match f {
        MetricFn::P50 => {
            "`p50(x)`: median of latency, duration, retries, cost or a numeric capture."
        }
        MetricFn::P90 => "`p90(x)`: 90th percentile.",
        MetricFn::P95 => "`p95(x)`: 95th percentile.",
        MetricFn::P99 => "`p99(x)`: 99th percentile.",
        MetricFn::P999 => "`p999(x)`: 99.9th percentile.",
        MetricFn::Percentile => {
            "`pN(x)`: any percentile: `p75(x)`, `p99.9(x)`, `p9999(x)` (99.99th), or `p(99.9, x)`."
        }
        MetricFn::Min => "`min(x)`: smallest value.",
        MetricFn::Mean => "`mean(x)`: arithmetic mean.",
        MetricFn::Count => {
            "`count(EXPR)`: request attempts matching EXPR over the request record (status, latency, injected, fault, call, attempt, user, iteration, step)."
        }
        MetricFn::Outcome => {
            "`outcome(success|failed|budget_exceeded|timeout)`: share of iterations with that outcome."
        }
        MetricFn::RetriesBy => {
            "`retries_by(429)`, `retries_by(timeout)`: count of retries for that reason."
        }
        MetricFn::MemoryGrowth => {
            "`memory_growth(SERVICE)`: least-squares RSS slope after warm-up × the measured time; with a size absolute, with a % relative to RSS at warm-up end."
        }
        MetricFn::MaxRss => "`max_rss(SERVICE)`: peak RSS of the service's process tree.",
        MetricFn::Cpu => {
            "`cpu(SERVICE)`: mean CPU of the service's process tree, in % of one core."
        }
        MetricFn::Rss => {
            "`rss(SERVICE)`: resident memory of the service's process tree at the end."
        }
        MetricFn::MaxCpu => {
            "`max_cpu(SERVICE)`: peak CPU of the service's process tree, in % of one core."
        }
        MetricFn::Fds => {
            "`fds(SERVICE)`: open file descriptors of the service's process tree at the end."
        }
        MetricFn::Threads => {
            "`threads(SERVICE)`: threads of the service's process tree at the end."
        }
        MetricFn::Restarts => "`restarts(SERVICE)`: restarts of the service by chaos actions.",
        MetricFn::Metric => {
            "`metric(SERVICE, \"name{label=\\\"v\\\"}\")`: a scraped Prometheus series at the last scrape (summed over its label sets); `_seconds` names are durations, `_bytes` sizes."
        }
        MetricFn::Delta => {
            "`delta(SERVICE, \"name\")`: the increase of a scraped series from the scrape before the selection to its last (a counter reset counts the new value)."
        }
        MetricFn::Max | MetricFn::Rate => return None,
    })
}

/// `None` for a function explained with the keyword it shares its name with.
fn function(b: Builtin) -> Option<&'static str> {
    Some(match b {
        Builtin::Env => {
            "`env(name[, default])`: an environment variable (its value never appears in artifacts)."
        }
        Builtin::Pick => "`pick(list)`: a seeded random element.",
        Builtin::Next => "`next(list)`: round robin over a list or data set.",
        Builtin::Uniform => "`uniform(a, b)`: a seeded uniform number between a and b.",
        Builtin::Words => "`words(n)`: deterministic filler text of n words.",
        Builtin::Uuid => "`uuid()`: a seeded UUID.",
        Builtin::Len => "`len(x)`: length of a string, list or object.",
        Builtin::Header => return None,
        Builtin::Contains => {
            "`contains(s, part)`: whether a string holds a part, or a list an item; `false` for `none`."
        }
        Builtin::StartsWith => "`starts_with(s, prefix)`: whether a string starts with a prefix.",
        Builtin::EndsWith => "`ends_with(s, suffix)`: whether a string ends with a suffix.",
        Builtin::Number => "`number(s)`: the number a string holds (`number(\"42\")` is 42).",
    })
}

fn data_format(format: DataFormat) -> &'static str {
    match format {
        DataFormat::Lines => "`lines(\"f.txt\")`: a data set, one row per line.",
        DataFormat::Csv => "`csv(\"f.csv\")`: a data set, one object per row (header line).",
        DataFormat::Jsonl => "`jsonl(\"f.jsonl\")`: a data set, one JSON value per line.",
        DataFormat::Yaml => "`yaml(\"f.yaml\")`: a data set, a YAML list.",
    }
}

/// `None` for the `latency` rule, explained with the quantity.
fn rule(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ErrorRate => "`error_rate(P, FAULT)`: inject FAULT into P of calls.",
        Rule::LatencyError => {
            "`latency_error(P, D, FAULT)`: P of calls wait D, then fail with FAULT."
        }
        Rule::Burst => "`burst(start: K, length: N, fault: F)`: calls K … K+N-1 fail with F.",
        Rule::NthCall => "`nth_call([1, 5, 10], F)`: exactly these calls fail with F.",
        Rule::Latency => return None,
    })
}

/// The rule that is not a call: `when EXPR => FAULT`.
const WHEN: &str =
    "`when EXPR => FAULT`: calls for which EXPR holds (`call % 10 == 0`) fail with FAULT.";

/// `None` for `timeout`, explained with the keyword.
fn fault(f: Fault) -> Option<&'static str> {
    Some(match f {
        Fault::ConnectionError => "Fault: the connection fails.",
        Fault::Reset => {
            "Wire fault (proxy only): the response starts, then the TCP connection is reset."
        }
        Fault::Hang => "Wire fault (proxy only): accept, read the request, never answer.",
        Fault::Bandwidth => {
            "Wire fault (proxy only): `bandwidth(64KiB/s)` throttles the response body."
        }
        Fault::Truncate => "Wire fault (proxy only): the response body is cut short.",
        Fault::CloseAfter => {
            "Wire fault (proxy only): `close_after(1KiB)` sends that many bytes of the response, then closes the connection."
        }
        Fault::Timeout => return None,
    })
}

/// What an injected status may carry: `429 retry_after 2s`.
const RETRY_AFTER: &str = "`429 retry_after 2s`: the injected answer carries `Retry-After`; `respect retry_after` honours it.";

/// Names a workload or the request record reads: `(name, explanation)`.
const BUILT_IN_NAMES: &[(&str, &str)] = &[
    ("user", "The virtual user's index, from 0."),
    ("iteration", "This virtual user's iteration, from 0."),
    (
        "stage",
        "The name of the stage the iteration started in (`as NAME`), `\"\"` when unnamed.",
    ),
    (
        "status",
        "The response's HTTP status (`none` for a timeout or connection error).",
    ),
    (
        "call",
        "The call number at the injection point, from 0, across all users, retries included.",
    ),
    ("attempt", "The attempt of a request: 0 is the first try."),
    (
        "injected",
        "True when any fault rule fired for the attempt.",
    ),
    (
        "fault",
        "The injected fault (`429`, `timeout`, …) or `none`.",
    ),
    (
        "step",
        "The step's name (`step == \"chat\"`); `step NAME:` qualifies an SLO.",
    ),
];

/// Units of quantity literals: `(unit, explanation)`.
const UNITS: &[(&str, &str)] = &[
    ("us", "Microseconds."),
    ("ms", "Milliseconds."),
    (
        "s",
        "Seconds (a duration), or per second after `/` (a rate).",
    ),
    ("m", "Minutes, or per minute after `/`."),
    ("h", "Hours, or per hour after `/`."),
    ("B", "Bytes."),
    ("KiB", "1024 bytes."),
    ("MiB", "1024 KiB."),
    ("GiB", "1024 MiB."),
    ("KB", "1000 bytes."),
    ("MB", "1000 KB."),
    ("GB", "1000 MB."),
];

/// Every word with its kind and explanation, in completion order: keywords, metrics,
/// functions, fault rules and faults (those four from the vocabulary tables), built-in names,
/// units.
pub(crate) static WORDS: LazyLock<Vec<(&'static str, WordKind, &'static str)>> =
    LazyLock::new(|| {
        let mut words: Vec<(&'static str, WordKind, &'static str)> = Vec::new();
        words.extend(KEYWORDS.iter().map(|(w, t)| (*w, WordKind::Keyword, *t)));
        let metrics = Quantity::ALL
            .iter()
            .map(|q| (q.name(), Some(quantity(*q))))
            .chain(
                MetricName::ALL
                    .iter()
                    .map(|n| (n.name(), Some(metric_name(*n)))),
            )
            .chain(MetricFn::ALL.iter().map(|f| (f.name(), metric_fn(*f))));
        words.extend(metrics.filter_map(|(w, t)| Some((w, WordKind::Metric, t?))));
        let functions = Builtin::ALL.iter().map(|b| (b.name(), function(*b))).chain(
            DataFormat::ALL
                .iter()
                .map(|f| (f.name(), Some(data_format(*f)))),
        );
        words.extend(functions.filter_map(|(w, t)| Some((w, WordKind::Function, t?))));
        let rules = Rule::ALL.iter().map(|r| (r.name(), rule(*r)));
        words.extend(rules.filter_map(|(w, t)| Some((w, WordKind::Rule, t?))));
        words.push(("when", WordKind::Rule, WHEN));
        let faults = Fault::ALL.iter().map(|f| (f.name(), fault(*f)));
        words.extend(faults.filter_map(|(w, t)| Some((w, WordKind::Fault, t?))));
        words.push(("retry_after", WordKind::Fault, RETRY_AFTER));
        words.extend(
            BUILT_IN_NAMES
                .iter()
                .map(|(w, t)| (*w, WordKind::Builtin, *t)),
        );
        words.extend(UNITS.iter().map(|(w, t)| (*w, WordKind::Unit, *t)));
        words
    });

/// The explanations of `word` (a word may be a keyword and a metric, like `rate`).
pub(crate) fn explain(word: &str) -> Vec<&'static str> {
    WORDS
        .iter()
        .filter(|(w, _, _)| *w == word)
        .map(|(_, _, text)| *text)
        .collect()
}

/// The unit of a literal such as `250ms` or `64KiB` (the letters after the number).
pub(crate) fn unit_of(literal: &str) -> Option<&str> {
    let at = literal.find(|c: char| c.is_ascii_alphabetic())?;
    literal[..at]
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
        .then_some(&literal[at..])
        .filter(|unit| !at.eq(&0) && !unit.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_literals() {
        assert_eq!(unit_of("250ms"), Some("ms"));
        assert_eq!(unit_of("64KiB"), Some("KiB"));
        assert_eq!(unit_of("abc"), None);
        assert_eq!(unit_of("12"), None);
    }

    #[test]
    fn built_in_names_are_the_vocabularys() {
        for (name, _) in BUILT_IN_NAMES {
            assert!(
                crate::vocab::RECORD.contains(name) || crate::vocab::VU_NAMES.contains(name),
                "{name}"
            );
        }
        for (name, _) in KEYWORDS {
            assert!(Builtin::from_name(name).is_none_or(|b| b == Builtin::Header));
        }
    }

    #[test]
    fn every_word_has_text() {
        assert!(WORDS.iter().all(|(w, _, t)| !w.is_empty() && t.len() > 5));
        assert_eq!(explain("rate").len(), 1);
        assert_eq!(explain("error_rate").len(), 2);
    }
}
