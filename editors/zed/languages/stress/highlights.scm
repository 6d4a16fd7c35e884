; Highlights for `.stress` files (Neovim, Zed; Helix uses queries/helix/highlights.scm,
; generated from this file by helix_queries.py; Zed uses a copy, editors/zed/languages/stress).
;
; No node gets two different capture names (editors disagree on which one wins: the last
; pattern in Neovim, the first in Helix and Zed); editors/test.sh checks it.

; ── Comments ──────────────────────────────────────────────────────────
(comment) @comment

; ── Keywords ──────────────────────────────────────────────────────────
[
  "let" "data" "target" "mock" "service" "proxy" "workload" "scenario" "profile" "test"
] @keyword

[
  "exec" "env" "ready" "within" "request" "poll" "every" "think" "as" "set"
  "header" "query" "json" "body" "form" "timeout" "check" "capture" "on" "failure"
  "retry" "attempts" "backoff" "jitter" "respect" "ignore" "retry_after" "budget" "time"
  "cost" "users" "iterations" "hold" "for" "ramp" "to" "over" "rate" "pause" "limit" "max"
  "inject" "at" "client" "seed" "services" "scenarios" "chaos" "from" "faults" "start"
  "stop" "http" "tcp" "slo" "step" "in" "before" "during" "after"
  "cwd" "log" "signal" "grace" "sample" "scrape" "resume" "restart" "down" "up"
] @keyword

"repeat" @keyword.repeat

["when" "if" "with" "probability" "choose" "until" "abort"] @keyword.conditional

; ── Declared names ────────────────────────────────────────────────────
(let_declaration name: (name) @constant)
(data_declaration name: (name) @constant)

(target_declaration name: (name) @type.definition)
(service_declaration name: (name) @type.definition)
(proxy_declaration name: (name) @type.definition)
(workload_declaration name: (name) @type.definition)
(scenario_declaration name: (name) @type.definition)
(profile_declaration name: (name) @type.definition)

; References to declarations where only a declared name fits.
(request_step target: (name) @type)
(poll_step target: (name) @type)
(scenario_composition (name) @type)
(test_workload name: (name) @type)
(test_profile name: (name) @type)
(test_services (name) @type)
(test_inject proxy: (name) @type)
(chaos_faults proxy: (name) @type)

; Steps, phases and stages, and the names a workload gives to values.
(request_step name: (name) @label)
(poll_step name: (name) @label)
(slo_qualifier name: (name) @label)
(scoped_expression step: (name) @label)
(phase_expression name: (name) @label)
(stage_modifier name: (name) @label)

(request_step method: (name) @function.method)
(poll_step method: (name) @function.method)
(action_http method: (name) @function.method)

(capture_statement name: (name) @variable)
(set_step name: (name) @variable)
(repeat_step counter: (name) @variable)

; ── Keys and fields ───────────────────────────────────────────────────
(setting key: (name) @property)
(pair key: (name) @property)
(field_expression field: (name) @property)
(argument name: (name) @variable.parameter)
(rule_argument name: (name) @variable.parameter)

; ── Functions, metrics, fault rules ───────────────────────────────────
(fault_rule name: (name) @function.builtin)

; Percentiles: `p95`, `p99.9`, `p9999`, and `p(99.9, latency)`.
(call_expression
  function: (identifier) @function.builtin
  (#match? @function.builtin "^p[0-9.]*$"))

(call_expression
  function: (identifier) @function.builtin
  (#any-of? @function.builtin
    "max" "min" "mean" "count" "outcome" "rate" "retries_by"
    "memory_growth" "max_rss" "cpu" "env" "pick" "next" "uniform" "words" "uuid" "len"
    "contains" "starts_with" "ends_with" "number"
    "lines" "csv" "jsonl" "yaml" "header" "constant" "linear" "exponential" "bandwidth"))

(call_expression
  function: (identifier) @function.call
  (#not-match? @function.call "^p[0-9.]*$")
  (#not-any-of? @function.call
    "max" "min" "mean" "count" "outcome" "rate" "retries_by"
    "memory_growth" "max_rss" "cpu" "env" "pick" "next" "uniform" "words" "uuid" "len"
    "contains" "starts_with" "ends_with" "number"
    "lines" "csv" "jsonl" "yaml" "header" "constant" "linear" "exponential" "bandwidth"))

; Built-in names: the request record, the VU, metrics without arguments.
((identifier) @variable.builtin
  (#any-of? @variable.builtin
    "user" "iteration" "scenario" "test" "stage" "step" "status" "json" "body" "latency" "duration"
    "retries" "cost" "attempt" "injected" "fault" "call" "error_rate" "success_rate" "throughput" "dropped" "budget_exceeded"
    "budget_exceeded_during_retry"))

; Faults, outcomes, words with a fixed meaning.
((identifier) @constant.builtin
  (#any-of? @constant.builtin
    "timeout" "connection_error" "reset" "hang" "truncate" "none" "success" "failed"
    "openai" "anthropic" "full" "equal" "continue" "on" "off"))

((identifier) @boolean
  (#any-of? @boolean "true" "false"))

; ── Literals ──────────────────────────────────────────────────────────
(number) @number
(money) @number
(unit) @type.builtin

(string) @string
(triple_string) @string
(raw_string) @string
(string_content) @string
(escape_sequence) @string.escape

[(interpolation_start) (interpolation_end)] @punctuation.special

; ── Operators and punctuation ─────────────────────────────────────────
[
  "=" "=>" ".." "||" "&&" "==" "!=" "<=" ">=" "<" ">" "+" "-" "*" "/" "%" "!"
] @operator

["(" ")" "[" "]" "{" "}"] @punctuation.bracket

["," ":" "."] @punctuation.delimiter
