//! One-line explanations of the language's words for hover and completion: keywords, metrics,
//! functions, fault rules, faults, built-in names and units (the reference, docs/language.md,
//! says more).

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

/// `(word, kind, explanation)`.
pub(crate) const WORDS: &[(&str, WordKind, &str)] = &[
    // Declarations.
    (
        "let",
        WordKind::Keyword,
        "`let NAME = EXPR`: a constant, evaluated once; `--set NAME=VALUE` overrides it for one run.",
    ),
    (
        "data",
        WordKind::Keyword,
        "`data NAME = lines(\"f.txt\") | csv(…) | jsonl(…) | yaml(…)`: a data set, path relative to the file; read rows with `next(NAME)` or `pick(NAME)`.",
    ),
    (
        "target",
        WordKind::Keyword,
        "`target NAME = \"http://host:port\"` (an outside service) or `target NAME mock { … }` (an embedded mock LLM started on loopback for the run).",
    ),
    (
        "mock",
        WordKind::Keyword,
        "`target NAME mock { api openai; latency 40ms..120ms; tokens 20..200; capacity 100; cache on }`: an embedded mock LLM.",
    ),
    (
        "service",
        WordKind::Keyword,
        "`service NAME { exec \"…\"; ready http \"URL\" within 30s }`: a process stress starts before load, samples (RSS, CPU) and stops after.",
    ),
    (
        "proxy",
        WordKind::Keyword,
        "`proxy NAME { listen \"127.0.0.1:9100\"; upstream \"http://127.0.0.1:9200\" }`: an embedded fault-injecting reverse proxy.",
    ),
    (
        "workload",
        WordKind::Keyword,
        "`workload NAME { steps }`: what one virtual user does in one iteration.",
    ),
    (
        "scenario",
        WordKind::Keyword,
        "`scenario NAME { rules }` or `scenario NAME = a + b`: a named set of fault rules (first rule that fires wins). In a workload, `scenario` is the running scenario's name.",
    ),
    (
        "profile",
        WordKind::Keyword,
        "`profile NAME { stages }`: a load shape over time (closed `users`/`hold`/`ramp`, open `rate`).",
    ),
    (
        "test",
        WordKind::Keyword,
        "`test \"NAME\" { workload …; profile …; scenarios …; slo { … } }`: something that runs and passes or fails. In a workload, `test` is the test's name.",
    ),
    // Steps and request parts.
    (
        "request",
        WordKind::Keyword,
        "`request NAME: METHOD TARGET \"path\" { … }`: one HTTP call; NAME labels its metrics.",
    ),
    (
        "poll",
        WordKind::Keyword,
        "`poll NAME: METHOD TARGET \"path\" every D until EXPR within D`: repeat a request until a condition holds, or fail at the deadline.",
    ),
    (
        "think",
        WordKind::Keyword,
        "`think D` or `think 1s..3s`: pause (a range picks uniformly from the seeded RNG).",
    ),
    (
        "repeat",
        WordKind::Keyword,
        "`repeat N { steps }` / `repeat N as i { … }`: a loop; in a profile, `repeat N { stages }`.",
    ),
    (
        "set",
        WordKind::Keyword,
        "`set NAME = EXPR`: a VU-local variable that lives across iterations.",
    ),
    (
        "with",
        WordKind::Keyword,
        "`with probability P { steps }`: run the block with probability P.",
    ),
    (
        "probability",
        WordKind::Keyword,
        "`with probability 30% { steps }`: run the block with this probability.",
    ),
    (
        "choose",
        WordKind::Keyword,
        "`choose { 80%: { … } 20%: { … } }`: a weighted branch; weights sum to 100%.",
    ),
    (
        "header",
        WordKind::Keyword,
        "`header \"name\" = EXPR` in a request; `header(\"name\")` reads a response header.",
    ),
    (
        "query",
        WordKind::Keyword,
        "`query { page: 1, q: \"x\" }`: URL query parameters.",
    ),
    (
        "json",
        WordKind::Keyword,
        "`json { … }` sends a JSON body; `json.a.b[0]` reads the response's JSON.",
    ),
    (
        "body",
        WordKind::Keyword,
        "`body \"…\"` sends text as is; `body` reads the response body as text.",
    ),
    (
        "form",
        WordKind::Keyword,
        "`form { user: \"a\" }`: an URL-encoded form body.",
    ),
    (
        "timeout",
        WordKind::Keyword,
        "`timeout 5s`: the request's timeout (default 30s). As a fault: the request times out.",
    ),
    (
        "check",
        WordKind::Keyword,
        "`check EXPR`: a failed check makes the request count as failed (without a check, a status >= 400 fails).",
    ),
    (
        "capture",
        WordKind::Keyword,
        "`capture NAME = EXPR`: a per-request value usable in SLOs (`p95(NAME)`, `rate(NAME)`).",
    ),
    (
        "retry",
        WordKind::Keyword,
        "`retry { attempts 3; on 429, 5xx, timeout, connection_error; backoff exponential(100ms, factor: 2, max: 10s); jitter full; respect retry_after }`: `attempts` counts retries after the first try.",
    ),
    (
        "attempts",
        WordKind::Keyword,
        "`attempts N`: retries after the first try (so N + 1 tries at most).",
    ),
    (
        "backoff",
        WordKind::Keyword,
        "`backoff constant(D) | linear(D, step: D) | exponential(D, factor: F, max: D)`.",
    ),
    (
        "jitter",
        WordKind::Keyword,
        "`jitter none | full | equal`: randomizes the backoff (from the seeded RNG).",
    ),
    (
        "budget",
        WordKind::Keyword,
        "`budget { time 30s, cost $0.05 }`: per iteration; crossing it ends the iteration with outcome `budget_exceeded`.",
    ),
    // Profiles.
    (
        "users",
        WordKind::Keyword,
        "`users N, iterations M`: closed model, N virtual users each run M iterations.",
    ),
    (
        "iterations",
        WordKind::Keyword,
        "`iterations M`: iterations per virtual user (closed model).",
    ),
    (
        "hold",
        WordKind::Keyword,
        "`hold N users for D`: keep N virtual users busy for D (closed model).",
    ),
    (
        "ramp",
        WordKind::Keyword,
        "`ramp to N users over D` (closed) or `ramp rate to R over D` (open).",
    ),
    (
        "rate",
        WordKind::Keyword,
        "`rate 50/s for 1m`: open model, iterations start on schedule whether or not earlier ones finished. In an SLO, `rate(EXPR)` is the share of attempts for which EXPR holds.",
    ),
    ("pause", WordKind::Keyword, "`pause D`: no load for D."),
    (
        "limit",
        WordKind::Keyword,
        "`limit R`: caps the start rate of iterations of a closed stage (a token bucket).",
    ),
    (
        "max",
        WordKind::Keyword,
        "`max users N`: bounds concurrency of an open stage; arrivals finding no free VU are `dropped`. In an SLO, `max(x)` is the largest value.",
    ),
    (
        "as",
        WordKind::Keyword,
        "`… as NAME` names a stage (a phase for `during/before/after NAME`) or a `repeat` counter.",
    ),
    // Tests.
    (
        "scenarios",
        WordKind::Keyword,
        "`scenarios a, b + c`: run each scenario in turn with the same workload and profile.",
    ),
    (
        "inject",
        WordKind::Keyword,
        "`inject at client` (default: in-process) or `inject at proxy NAME` (on the wire).",
    ),
    (
        "seed",
        WordKind::Keyword,
        "`seed 42`: every random decision comes from this seed (`--seed` overrides; default 0).",
    ),
    (
        "services",
        WordKind::Keyword,
        "`services a, b`: start these services before load, stop them after.",
    ),
    (
        "chaos",
        WordKind::Keyword,
        "`chaos from 2m to 5m { faults s; start exec \"…\"; stop exec \"…\" }`: a time window; splits the run into before/during/after chaos.",
    ),
    (
        "slo",
        WordKind::Keyword,
        "`slo { assertions }`: every assertion must hold for the test to pass (exit 0).",
    ),
    (
        "abort",
        WordKind::Keyword,
        "`abort if error_rate > 50% over 30s`: stop the test early (it fails) when the condition holds.",
    ),
    (
        "during",
        WordKind::Keyword,
        "`during PHASE`: limit an assertion to a named stage or `chaos`.",
    ),
    (
        "before",
        WordKind::Keyword,
        "`before PHASE`: limit an assertion to what started before the phase.",
    ),
    (
        "after",
        WordKind::Keyword,
        "`after PHASE`: limit an assertion to what started after the phase.",
    ),
    (
        "every",
        WordKind::Keyword,
        "`in every D`: the assertion must hold in every window of length D; `poll … every D`.",
    ),
    // Metrics.
    (
        "latency",
        WordKind::Metric,
        "Per request attempt, from the intended start (no coordinated omission). As a rule: `latency(P, D)` delays P of calls by D.",
    ),
    (
        "duration",
        WordKind::Metric,
        "Per iteration (or per step under `step X:`): all attempts, backoffs and think time.",
    ),
    ("retries", WordKind::Metric, "Retries per iteration."),
    (
        "cost",
        WordKind::Metric,
        "Per iteration: the sum of `capture cost = …` values (money).",
    ),
    (
        "error_rate",
        WordKind::Metric,
        "Share of failed request attempts (transport error, timeout, failed check, or status >= 400 without a check). As a rule: `error_rate(P, FAULT)`.",
    ),
    (
        "success_rate",
        WordKind::Metric,
        "Share of iterations whose outcome is `success`.",
    ),
    (
        "throughput",
        WordKind::Metric,
        "Completed requests per second.",
    ),
    (
        "dropped",
        WordKind::Metric,
        "Open-model arrivals that found no free virtual user.",
    ),
    (
        "count",
        WordKind::Metric,
        "`count(EXPR)`: request attempts matching EXPR over the request record (status, latency, injected, fault, call, attempt, user, iteration, step).",
    ),
    (
        "outcome",
        WordKind::Metric,
        "`outcome(success|failed|budget_exceeded|timeout)`: share of iterations with that outcome.",
    ),
    (
        "retries_by",
        WordKind::Metric,
        "`retries_by(429)`, `retries_by(timeout)`: count of retries for that reason.",
    ),
    (
        "budget_exceeded",
        WordKind::Metric,
        "Share of iterations ended by their budget.",
    ),
    (
        "budget_exceeded_during_retry",
        WordKind::Metric,
        "Share of iterations whose budget was crossed while retrying.",
    ),
    (
        "memory_growth",
        WordKind::Metric,
        "`memory_growth(SERVICE)`: least-squares RSS slope after warm-up × the measured time; with a size absolute, with a % relative to RSS at warm-up end.",
    ),
    (
        "max_rss",
        WordKind::Metric,
        "`max_rss(SERVICE)`: peak RSS of the service's process tree.",
    ),
    (
        "cpu",
        WordKind::Metric,
        "`cpu(SERVICE)`: mean CPU of the service's process tree, in % of one core.",
    ),
    (
        "p50",
        WordKind::Metric,
        "`p50(x)`: median of latency, duration, retries, cost or a numeric capture.",
    ),
    ("p90", WordKind::Metric, "`p90(x)`: 90th percentile."),
    ("p95", WordKind::Metric, "`p95(x)`: 95th percentile."),
    ("p99", WordKind::Metric, "`p99(x)`: 99th percentile."),
    ("p999", WordKind::Metric, "`p999(x)`: 99.9th percentile."),
    ("mean", WordKind::Metric, "`mean(x)`: arithmetic mean."),
    ("min", WordKind::Metric, "`min(x)`: smallest value."),
    // Functions.
    (
        "env",
        WordKind::Function,
        "`env(name[, default])`: an environment variable (its value never appears in artifacts).",
    ),
    (
        "pick",
        WordKind::Function,
        "`pick(list)`: a seeded random element.",
    ),
    (
        "next",
        WordKind::Function,
        "`next(list)`: round robin over a list or data set.",
    ),
    (
        "uniform",
        WordKind::Function,
        "`uniform(a, b)`: a seeded uniform number between a and b.",
    ),
    (
        "words",
        WordKind::Function,
        "`words(n)`: deterministic filler text of n words.",
    ),
    ("uuid", WordKind::Function, "`uuid()`: a seeded UUID."),
    (
        "len",
        WordKind::Function,
        "`len(x)`: length of a string, list or object.",
    ),
    (
        "lines",
        WordKind::Function,
        "`lines(\"f.txt\")`: a data set, one row per line.",
    ),
    (
        "csv",
        WordKind::Function,
        "`csv(\"f.csv\")`: a data set, one object per row (header line).",
    ),
    (
        "jsonl",
        WordKind::Function,
        "`jsonl(\"f.jsonl\")`: a data set, one JSON value per line.",
    ),
    (
        "yaml",
        WordKind::Function,
        "`yaml(\"f.yaml\")`: a data set, a YAML list.",
    ),
    // Fault rules and faults.
    (
        "error_rate",
        WordKind::Rule,
        "`error_rate(P, FAULT)`: inject FAULT into P of calls.",
    ),
    (
        "latency_error",
        WordKind::Rule,
        "`latency_error(P, D, FAULT)`: P of calls wait D, then fail with FAULT.",
    ),
    (
        "burst",
        WordKind::Rule,
        "`burst(start: K, length: N, fault: F)`: calls K … K+N-1 fail with F.",
    ),
    (
        "nth_call",
        WordKind::Rule,
        "`nth_call([1, 5, 10], F)`: exactly these calls fail with F.",
    ),
    (
        "when",
        WordKind::Rule,
        "`when EXPR => FAULT`: calls for which EXPR holds (`call % 10 == 0`) fail with FAULT.",
    ),
    (
        "connection_error",
        WordKind::Fault,
        "Fault: the connection fails.",
    ),
    (
        "reset",
        WordKind::Fault,
        "Wire fault (proxy only): the response starts, then the TCP connection is reset.",
    ),
    (
        "hang",
        WordKind::Fault,
        "Wire fault (proxy only): accept, read the request, never answer.",
    ),
    (
        "bandwidth",
        WordKind::Fault,
        "Wire fault (proxy only): `bandwidth(64KiB/s)` throttles the response body.",
    ),
    (
        "truncate",
        WordKind::Fault,
        "Wire fault (proxy only): the response body is cut short.",
    ),
    (
        "retry_after",
        WordKind::Fault,
        "`429 retry_after 2s`: the injected answer carries `Retry-After`; `respect retry_after` honours it.",
    ),
    // Built-in names.
    (
        "user",
        WordKind::Builtin,
        "The virtual user's index, from 0.",
    ),
    (
        "iteration",
        WordKind::Builtin,
        "This virtual user's iteration, from 0.",
    ),
    (
        "status",
        WordKind::Builtin,
        "The response's HTTP status (`none` for a timeout or connection error).",
    ),
    (
        "call",
        WordKind::Builtin,
        "The call number at the injection point, from 0, across all users, retries included.",
    ),
    (
        "attempt",
        WordKind::Builtin,
        "The attempt of a request: 0 is the first try.",
    ),
    (
        "injected",
        WordKind::Builtin,
        "True when any fault rule fired for the attempt.",
    ),
    (
        "fault",
        WordKind::Builtin,
        "The injected fault (`429`, `timeout`, …) or `none`.",
    ),
    (
        "step",
        WordKind::Builtin,
        "The step's name (`step == \"chat\"`); `step NAME:` qualifies an SLO.",
    ),
    // Units.
    ("us", WordKind::Unit, "Microseconds."),
    ("ms", WordKind::Unit, "Milliseconds."),
    (
        "s",
        WordKind::Unit,
        "Seconds (a duration), or per second after `/` (a rate).",
    ),
    ("m", WordKind::Unit, "Minutes, or per minute after `/`."),
    ("h", WordKind::Unit, "Hours, or per hour after `/`."),
    ("B", WordKind::Unit, "Bytes."),
    ("KiB", WordKind::Unit, "1024 bytes."),
    ("MiB", WordKind::Unit, "1024 KiB."),
    ("GiB", WordKind::Unit, "1024 MiB."),
    ("KB", WordKind::Unit, "1000 bytes."),
    ("MB", WordKind::Unit, "1000 KB."),
    ("GB", WordKind::Unit, "1000 MB."),
];

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
    fn every_word_has_text() {
        assert!(WORDS.iter().all(|(w, _, t)| !w.is_empty() && t.len() > 5));
        assert_eq!(explain("rate").len(), 1);
        assert_eq!(explain("error_rate").len(), 2);
    }
}
