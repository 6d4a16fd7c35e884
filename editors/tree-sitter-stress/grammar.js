/**
 * @file Tree-sitter grammar for `.stress` files (load, fault and SLO tests).
 * @license MIT OR Apache-2.0
 *
 * Follows grammar/stress.pest (the real syntax) rule by rule, without its error-recovery
 * rules (`bad_stmt`, `bad_item`): what the pest grammar only accepts as a recovered bad
 * statement is an ERROR node here. Units, escapes and keywords are validated by
 * `stress check`, not by this grammar; it only has to recognize their shape.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const PREC = {
  range: 1,
  or: 2,
  and: 3,
  compare: 4,
  add: 5,
  mul: 6,
  unary: 7,
  postfix: 8,
  qualifier: 9,
};

/** A block: `{` items separated by optional commas (newlines are whitespace) `}`. */
function block(item) {
  return seq('{', repeat(seq(item, optional(','))), '}');
}

/** `item ("," item)*` */
function commaSep1(item) {
  return seq(item, repeat(seq(',', item)));
}

/** `(item ("," item)* ","?)?` */
function commaSepTrailing(item) {
  return optional(seq(commaSep1(item), optional(',')));
}

module.exports = grammar({
  name: 'stress',

  extras: $ => [/\s/, '\u{FEFF}', $.comment],

  word: $ => $.identifier,

  conflicts: $ => [
    // `on 429, 5xx` vs `on 429,` followed by the next statement of the retry block (and
    // the same for `scenarios`, `services` and `faults` lists): GLR keeps both readings
    // until the word after the comma decides.
    [$.retry_on],
    [$.test_scenarios],
    [$.test_services],
    [$.chaos_faults],
    [$.test_inject],
    // `step` alone is the request record's field (`count(step == "ask")`); `step a: x` scopes
    // one operand to a step. Where a name may follow an expression (a setting's value, then
    // the next setting's key: `{ mode step  next 1 }`), the `:` after the name decides.
    [$._primary, $.scoped_expression],
  ],

  rules: {
    source_file: $ => repeat($._declaration),

    _declaration: $ => choice(
      $.let_declaration,
      $.data_declaration,
      $.target_declaration,
      $.service_declaration,
      $.proxy_declaration,
      $.workload_declaration,
      $.scenario_declaration,
      $.profile_declaration,
      $.test_declaration,
    ),

    comment: _ => token(seq('#', /.*/)),

    // A name, or a percentile with a fraction (`p99.9`, a metric function), as in the pest grammar.
    identifier: _ => /p[0-9]+\.[0-9]+|[A-Za-z_][A-Za-z0-9_]*/,

    /** A name that is declared or refers to a declaration, not an expression. */
    _name: $ => alias($.identifier, $.name),

    // ── Declarations ─────────────────────────────────────────────────────
    let_declaration: $ => seq('let', field('name', $._name), '=', field('value', $._expression)),

    data_declaration: $ => seq('data', field('name', $._name), '=', field('value', $._expression)),

    target_declaration: $ => seq(
      'target',
      field('name', $._name),
      choice(
        seq('=', field('url', $._expression), optional(field('body', $.target_block))),
        seq('mock', field('body', $.settings)),
      ),
    ),

    // `{ scrape "/metrics" every 5s }` after a target's URL
    target_block: $ => block($.scrape_statement),

    settings: $ => block($.setting),

    setting: $ => seq(field('key', $._name), field('value', $._expression)),

    service_declaration: $ => seq('service', field('name', $._name), field('body', $.service_block)),

    service_block: $ => block(choice(
      $.exec_statement,
      $.env_statement,
      $.cwd_statement,
      $.ready_statement,
      $.stop_statement,
      $.sample_statement,
      $.scrape_statement,
    )),

    exec_statement: $ => seq('exec', $._expression),

    env_statement: $ => seq('env', $._expression),

    cwd_statement: $ => seq('cwd', $._expression),

    // `stop signal SIGTERM grace 5s`
    stop_statement: $ => prec.right(seq(
      'stop',
      optional(seq('signal', field('signal', $._name))),
      optional(seq('grace', field('grace', $._expression))),
    )),

    // `sample every 1s`
    sample_statement: $ => seq('sample', 'every', field('interval', $._expression)),

    // `scrape "http://127.0.0.1:9100/metrics" every 5s`: Prometheus metrics of a service or target
    scrape_statement: $ => prec.right(seq(
      'scrape',
      field('url', $._expression),
      optional(seq('every', field('interval', $._expression))),
    )),

    ready_statement: $ => seq(
      'ready',
      field('kind', choice('http', 'tcp', 'log')),
      field('address', $._expression),
      'within',
      field('deadline', $._expression),
    ),

    // `proxy provider { … }`; `proxy cache tcp { … }` (TCP mode)
    proxy_declaration: $ => seq(
      'proxy',
      field('name', $._name),
      optional(field('mode', 'tcp')),
      field('body', $.settings),
    ),

    // ── Workloads and steps ──────────────────────────────────────────────
    workload_declaration: $ => seq('workload', field('name', $._name), field('body', $.step_block)),

    step_block: $ => block($._step),

    _step: $ => choice(
      $.request_step,
      $.poll_step,
      $.think_step,
      $.repeat_step,
      $.set_step,
      $.probability_step,
      $.choose_step,
      $.retry_block,
      $.budget_block,
    ),

    request_step: $ => seq(
      'request',
      field('name', $._name),
      ':',
      field('method', $._name),
      field('target', $._name),
      field('path', $._expression),
      optional(field('body', $.request_block)),
    ),

    request_block: $ => block(choice(
      $.header_statement,
      $.query_statement,
      $.json_statement,
      $.body_statement,
      $.form_statement,
      $.timeout_statement,
      $.check_statement,
      $.capture_statement,
      $.retry_block,
      $.on_failure_statement,
    )),

    header_statement: $ => seq('header', field('name', $._expression), '=', field('value', $._expression)),
    query_statement: $ => seq('query', $._expression),
    json_statement: $ => seq('json', $._expression),
    body_statement: $ => seq('body', $._expression),
    form_statement: $ => seq('form', $._expression),
    timeout_statement: $ => seq('timeout', $._expression),
    check_statement: $ => seq('check', $._expression),
    capture_statement: $ => seq('capture', field('name', $._name), '=', field('value', $._expression)),
    on_failure_statement: $ => seq('on', 'failure', field('action', $.identifier)),

    poll_step: $ => prec.right(seq(
      'poll',
      field('name', $._name),
      ':',
      field('method', $._name),
      field('target', $._name),
      field('path', $._expression),
      optional(field('body', $.request_block)),
      repeat($.poll_clause),
    )),

    poll_clause: $ => seq(choice('every', 'until', 'within'), $._expression),

    think_step: $ => seq('think', $._expression),

    repeat_step: $ => seq(
      'repeat',
      field('count', $._expression),
      optional(seq('as', field('counter', $._name))),
      field('body', $.step_block),
    ),

    set_step: $ => seq('set', field('name', $._name), '=', field('value', $._expression)),

    probability_step: $ => seq('with', 'probability', field('probability', $._expression), field('body', $.step_block)),

    choose_step: $ => seq('choose', block($.choose_arm)),

    choose_arm: $ => seq(field('weight', $._expression), ':', field('body', $.step_block)),

    retry_block: $ => seq('retry', block(choice(
      $.retry_attempts,
      $.retry_on,
      $.retry_backoff,
      $.retry_jitter,
      $.retry_respect,
    ))),

    retry_attempts: $ => seq('attempts', $._expression),
    retry_on: $ => seq('on', commaSep1($._expression)),
    retry_backoff: $ => prec.right(seq('backoff', $._expression, optional(seq('jitter', $.identifier)))),
    retry_jitter: $ => seq('jitter', $.identifier),
    retry_respect: $ => seq(choice('respect', 'ignore'), 'retry_after'),

    budget_block: $ => seq('budget', block($.budget_item)),
    budget_item: $ => seq(choice('time', 'cost'), $._expression),

    // ── Fault rules and scenarios ────────────────────────────────────────
    scenario_declaration: $ => seq(
      'scenario',
      field('name', $._name),
      choice(
        seq('=', field('value', $.scenario_composition)),
        field('body', $.rule_block),
      ),
    ),

    scenario_composition: $ => seq($._name, repeat(seq('+', $._name))),

    rule_block: $ => block(choice($.when_rule, $.fault_rule)),

    when_rule: $ => seq('when', field('condition', $._expression), '=>', field('fault', $.fault)),

    fault_rule: $ => seq(
      field('name', $._name),
      '(',
      commaSepTrailing($.rule_argument),
      ')',
    ),

    rule_argument: $ => seq(optional(seq(field('name', $._name), ':')), field('value', $.fault)),

    fault: $ => prec.right(seq($._expression, optional(seq('retry_after', $._expression)))),

    // ── Profiles ─────────────────────────────────────────────────────────
    profile_declaration: $ => seq('profile', field('name', $._name), field('body', $.stage_block)),

    stage_block: $ => block($._stage),

    _stage: $ => choice(
      $.users_stage,
      $.iterations_stage,
      $.hold_stage,
      $.ramp_users_stage,
      $.ramp_rate_stage,
      $.rate_stage,
      $.pause_stage,
      $.repeat_stage,
      $.max_users_stage,
      $.limit_stage,
    ),

    users_stage: $ => seq('users', $._expression),
    iterations_stage: $ => seq('iterations', $._expression),
    hold_stage: $ => prec.right(seq('hold', $._expression, 'users', 'for', $._expression, repeat($.stage_modifier))),
    ramp_users_stage: $ => prec.right(seq('ramp', 'to', $._expression, 'users', 'over', $._expression, repeat($.stage_modifier))),
    ramp_rate_stage: $ => prec.right(seq('ramp', 'rate', 'to', $._expression, 'over', $._expression, repeat($.stage_modifier))),
    rate_stage: $ => prec.right(seq('rate', $._expression, 'for', $._expression, repeat($.stage_modifier))),
    pause_stage: $ => prec.right(seq('pause', $._expression, repeat($.stage_modifier))),
    repeat_stage: $ => seq('repeat', $._expression, $.stage_block),
    max_users_stage: $ => seq('max', 'users', $._expression),
    limit_stage: $ => seq('limit', $._expression),

    stage_modifier: $ => choice(
      seq('limit', $._expression),
      seq('max', 'users', $._expression),
      seq('as', field('name', $._name)),
    ),

    // ── Tests and SLOs ───────────────────────────────────────────────────
    test_declaration: $ => seq('test', field('name', $._expression), field('body', $.test_block)),

    test_block: $ => block(choice(
      $.test_workload,
      $.test_profile,
      $.test_scenarios,
      $.test_inject,
      $.test_seed,
      $.test_services,
      $.test_chaos,
      $.slo_block,
    )),

    test_workload: $ => seq('workload', field('name', $._name)),
    test_profile: $ => seq('profile', choice(field('name', $._name), field('body', $.stage_block))),
    test_scenarios: $ => seq('scenarios', commaSep1($.scenario_composition)),
    // `inject at client`, `inject at proxy a`, `inject at proxy a, b`
    test_inject: $ => seq('inject', 'at', choice('client', seq('proxy', commaSep1(field('proxy', $._name))))),
    test_seed: $ => seq('seed', $._expression),
    test_services: $ => seq('services', commaSep1($._name)),

    test_chaos: $ => seq(
      'chaos',
      'from',
      field('start', $._expression),
      'to',
      field('end', $._expression),
      field('body', $.chaos_block),
    ),

    chaos_block: $ => block(choice($.chaos_faults, $.chaos_action, $.chaos_hold)),
    // `faults outage`, `faults outage, slow at proxy provider` (only at that proxy)
    chaos_faults: $ => seq(
      'faults',
      commaSep1($.scenario_composition),
      optional(seq('at', 'proxy', field('proxy', $._name))),
    ),
    chaos_action: $ => seq(choice('start', 'stop'), choice($.action_exec, $.action_http, $.action_service)),
    // `start pause cache`, `stop up cache`: a service action at one edge of the window
    action_service: $ => seq(
      field('operation', choice('pause', 'resume', 'restart', 'down', 'up')),
      field('service', $._name),
    ),
    // `pause cache`, `down cache` (held for the window), `restart cache` (at its start)
    chaos_hold: $ => seq(
      field('operation', choice('pause', 'down', 'restart')),
      field('service', $._name),
    ),
    action_exec: $ => seq('exec', $._expression),
    action_http: $ => prec.right(seq(
      'http',
      field('method', $._name),
      field('url', $._expression),
      optional(seq('json', field('json', $._expression))),
    )),

    slo_block: $ => seq('slo', block(choice($.abort_statement, $.assertion))),

    abort_statement: $ => prec.right(seq('abort', 'if', field('condition', $._expression), optional(seq('over', field('window', $._expression))))),

    assertion: $ => prec.right(seq(
      repeat($.slo_qualifier),
      field('condition', $._expression),
      optional($.every_clause),
    )),

    // `scenario baseline:`, `step chat:`, `proxy provider:` before an assertion. A leading
    // `step a:` is this qualifier, not a step-scoped first operand (as in the pest grammar,
    // whose qualifiers are read first).
    slo_qualifier: $ => prec(PREC.qualifier, seq(
      choice('scenario', 'step', 'proxy'),
      field('name', $._name),
      ':',
    )),

    every_clause: $ => seq('in', 'every', field('window', $._expression)),

    // ── Expressions ──────────────────────────────────────────────────────
    _expression: $ => choice(
      $.binary_expression,
      $.unary_expression,
      $.scoped_expression,
      $._postfixed,
    ),

    /** `step a: p50(latency)`: one operand (a primary with its postfixes) read at one step. */
    scoped_expression: $ => seq(
      'step',
      field('step', $._name),
      ':',
      field('value', $._postfixed),
    ),

    _postfixed: $ => choice(
      $.field_expression,
      $.index_expression,
      $.call_expression,
      $.phase_expression,
      $._primary,
    ),

    binary_expression: $ => {
      const table = [
        [PREC.range, '..'],
        [PREC.or, '||'],
        [PREC.and, '&&'],
        [PREC.compare, choice('==', '!=', '<=', '>=', '<', '>')],
        [PREC.add, choice('+', '-')],
        [PREC.mul, choice('*', '/', '%')],
      ];
      return choice(...table.map(([p, op]) => prec.left(/** @type {number} */ (p), seq(
        field('left', $._expression),
        field('operator', /** @type {RuleOrLiteral} */ (op)),
        field('right', $._expression),
      ))));
    },

    unary_expression: $ => prec(PREC.unary, seq(field('operator', choice('!', '-')), field('operand', $._expression))),

    field_expression: $ => prec(PREC.postfix, seq(field('value', $._postfixed), '.', field('field', $._name))),

    index_expression: $ => prec(PREC.postfix, seq(field('value', $._postfixed), '[', field('index', $._expression), ']')),

    call_expression: $ => prec(PREC.postfix, seq(field('function', $._postfixed), field('arguments', $.arguments))),

    arguments: $ => seq('(', commaSepTrailing($.argument), ')'),

    argument: $ => seq(optional(seq(field('name', $._name), ':')), field('value', $._expression)),

    /** `p95(latency) during overload`: a phase qualifier (meaningful in SLOs only). */
    phase_expression: $ => prec(PREC.postfix, seq(
      field('value', $._postfixed),
      field('phase', choice('before', 'during', 'after')),
      field('name', $._name),
    )),

    _primary: $ => choice(
      $.money,
      $.quantity,
      $.number,
      $.triple_string,
      $.string,
      $.raw_string,
      $.list,
      $.object,
      $.parenthesized_expression,
      $.identifier,
      // `step` alone: the request record's step name, `count(step == "ask")`
      alias('step', $.identifier),
    ),

    parenthesized_expression: $ => seq('(', $._expression, ')'),

    list: $ => seq('[', commaSepTrailing($._expression), ']'),

    object: $ => seq('{', repeat(seq($.pair, optional(','))), '}'),

    pair: $ => seq(
      field('key', choice($._name, $.string, $.raw_string)),
      ':',
      field('value', $._expression),
    ),

    // ── Literals with units ──────────────────────────────────────────────
    number: _ => /[0-9][0-9_]*(\.[0-9]+)?/,

    /** `150ms`, `1m30s`, `30%`, `500/s`, `64KiB`, `64KiB/s`, `5xx` */
    quantity: $ => seq(field('value', $.number), field('unit', $.unit)),

    unit: _ => token.immediate(prec(1, choice(
      '%',
      /\/[A-Za-z]+/,
      /[A-Za-z]+(\/[A-Za-z]+|([0-9]+(\.[0-9]+)?[A-Za-z]+)+)?/,
    ))),

    /** `$0.002` */
    money: $ => seq('$', token.immediate(/[0-9][0-9_]*(\.[0-9]+)?/)),

    string: $ => seq(
      '"',
      repeat(choice(
        alias($._string_text, $.string_content),
        alias('$', $.string_content),
        $.escape_sequence,
        $.interpolation,
      )),
      token.immediate('"'),
    ),

    _string_text: _ => token.immediate(prec(1, /[^"\\$\n]+/)),

    escape_sequence: _ => token.immediate(prec(1, seq('\\', choice(/u\{[^}\n]*\}/, /[^\n]/)))),

    interpolation: $ => seq(
      alias(token.immediate(prec(1, '${')), $.interpolation_start),
      field('expression', $._expression),
      alias('}', $.interpolation_end),
    ),

    /** `"""…"""`: may span lines, interpolates, takes escapes. */
    triple_string: $ => seq(
      '"""',
      repeat(choice(
        alias($._triple_text, $.string_content),
        alias(token.immediate(prec(1, '$')), $.string_content),
        $.escape_sequence,
        $.interpolation,
      )),
      token.immediate('"""'),
    ),

    // Text without `\`, `$` and three quotes in a row: one or two quotes may appear inside.
    _triple_text: _ => token.immediate(prec(1, /([^"\\$]|"[^"\\$]|""[^"\\$])+/)),

    /** `'raw ${not}'`: no escapes, no interpolation. */
    raw_string: _ => token(seq("'", /[^'\n]*/, "'")),
  },
});
