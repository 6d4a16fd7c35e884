// A small test driver for the tree-sitter grammar, built with gcc against the tree-sitter
// runtime (the C sources vendored in the `tree-sitter` npm package) and the generated
// src/parser.c, so that the tests need neither the tree-sitter CLI binary nor a network.
//
//   harness parse FILE...            every file parses with no ERROR or MISSING node
//   harness fail FILE...             every file has at least one ERROR or MISSING node
//   harness corpus CORPUS.txt...     tree-sitter corpus tests (the format of `tree-sitter test`)
//   harness sexp FILE...             prints each file's syntax tree
//   harness query QUERY.scm          the query compiles against the grammar
//   harness unambiguous QUERY.scm FILE...
//       no node gets two different capture names, and the files parse without errors
//   harness highlight QUERY.scm FILE...
//       the same, and every assertion comment holds: `# <- name` (the column of the `#`) or `#  ^^ name`
//       (the caret columns) on the closest line above that is not an assertion.
//
// Query predicates evaluated: #eq?, #not-eq?, #any-of?, #not-any-of?, #match?, #not-match?
// (the ones the highlight queries use; Neovim, Helix and Zed evaluate the same ones). A
// #match? pattern is read as a POSIX extended regex: the queries keep to the part that
// Neovim's Vim regexes and Helix's and Zed's Rust regexes read the same (`^`, `$`, `[…]`, `*`).

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_sitter/api.h"

const TSLanguage *tree_sitter_stress(void);

static char *read_file(const char *path, uint32_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "%s: cannot read\n", path);
    exit(2);
  }
  buf[n] = 0;
  fclose(f);
  *len = (uint32_t)n;
  return buf;
}

static TSTree *parse(TSParser *parser, const char *text, uint32_t len) {
  return ts_parser_parse_string(parser, NULL, text, len);
}

// Prints every ERROR or MISSING node under `node`; returns how many.
static int report_errors(const char *path, TSNode node, bool print) {
  int count = 0;
  if (ts_node_is_error(node) || ts_node_is_missing(node)) {
    TSPoint p = ts_node_start_point(node);
    if (print) {
      fprintf(stderr, "%s:%u:%u: %s %s\n", path, p.row + 1, p.column + 1,
              ts_node_is_missing(node) ? "MISSING" : "ERROR", ts_node_type(node));
    }
    count++;
    if (ts_node_is_error(node)) return count;  // the first error of a region is enough
  }
  uint32_t n = ts_node_child_count(node);
  for (uint32_t i = 0; i < n; i++) count += report_errors(path, ts_node_child(node, i), print);
  return count;
}

static TSQuery *load_query(const char *path, char **source_out) {
  uint32_t len;
  char *source = read_file(path, &len);
  uint32_t error_offset;
  TSQueryError error_type;
  TSQuery *query = ts_query_new(tree_sitter_stress(), source, len, &error_offset, &error_type);
  if (!query) {
    uint32_t row = 1, col = 1;
    for (uint32_t i = 0; i < error_offset && i < len; i++) {
      if (source[i] == '\n') {
        row++;
        col = 1;
      } else {
        col++;
      }
    }
    static const char *kinds[] = {"none", "syntax", "node type", "field", "capture", "structure", "language"};
    fprintf(stderr, "%s:%u:%u: invalid query (%s error)\n", path, row, col,
            error_type < 7 ? kinds[error_type] : "unknown");
    return NULL;
  }
  if (source_out) {
    *source_out = source;
  } else {
    free(source);
  }
  return query;
}

static bool node_text_eq(const char *text, TSNode node, const char *s, uint32_t slen) {
  uint32_t a = ts_node_start_byte(node), b = ts_node_end_byte(node);
  return b - a == slen && memcmp(text + a, s, slen) == 0;
}

static TSNode capture_node(const TSQueryMatch *m, uint32_t capture_id, bool *found) {
  for (uint16_t i = 0; i < m->capture_count; i++) {
    if (m->captures[i].index == capture_id) {
      *found = true;
      return m->captures[i].node;
    }
  }
  *found = false;
  TSNode none = {0};
  return none;
}

// Evaluates the text predicates of a match's pattern.
static bool predicates_hold(const TSQuery *q, const TSQueryMatch *m, const char *text, bool *unknown) {
  uint32_t steps_len;
  const TSQueryPredicateStep *steps = ts_query_predicates_for_pattern(q, m->pattern_index, &steps_len);
  uint32_t i = 0;
  while (i < steps_len) {
    uint32_t start = i;
    while (i < steps_len && steps[i].type != TSQueryPredicateStepTypeDone) i++;
    uint32_t end = i;  // steps[start..end) is one predicate
    i++;
    if (end == start) continue;
    uint32_t nlen;
    const char *name = ts_query_string_value_for_id(q, steps[start].value_id, &nlen);
    bool negate = strncmp(name, "not-", 4) == 0;
    const char *base = negate ? name + 4 : name;
    if (end - start < 3 || steps[start + 1].type != TSQueryPredicateStepTypeCapture) {
      *unknown = true;
      continue;
    }
    bool found;
    TSNode node = capture_node(m, steps[start + 1].value_id, &found);
    if (!found) continue;
    bool result;
    if (strcmp(base, "eq?") == 0 || strcmp(base, "any-of?") == 0) {
      result = false;
      for (uint32_t k = start + 2; k < end; k++) {
        uint32_t slen;
        const char *s;
        if (steps[k].type == TSQueryPredicateStepTypeString) {
          s = ts_query_string_value_for_id(q, steps[k].value_id, &slen);
          if (node_text_eq(text, node, s, slen)) result = true;
        } else {
          bool f2;
          TSNode other = capture_node(m, steps[k].value_id, &f2);
          if (f2) {
            uint32_t a = ts_node_start_byte(other), b = ts_node_end_byte(other);
            if (node_text_eq(text, node, text + a, b - a)) result = true;
          }
        }
      }
    } else if (strcmp(base, "match?") == 0 && end - start == 3 &&
               steps[start + 2].type == TSQueryPredicateStepTypeString) {
      uint32_t plen;
      const char *pattern = ts_query_string_value_for_id(q, steps[start + 2].value_id, &plen);
      regex_t re;
      if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        *unknown = true;
        continue;
      }
      uint32_t a = ts_node_start_byte(node), b = ts_node_end_byte(node);
      char *subject = strndup(text + a, b - a);
      result = regexec(&re, subject, 0, NULL, 0) == 0;
      free(subject);
      regfree(&re);
    } else {
      *unknown = true;
      continue;
    }
    if (negate) result = !result;
    if (!result) return false;
  }
  return true;
}

typedef struct {
  uint32_t start, end;  // bytes
  TSPoint start_point, end_point;
  const char *name;
  uint32_t pattern;
} Capture;

static int highlight_file(TSParser *parser, TSQuery *q, const char *path, bool with_assertions) {
  uint32_t len;
  char *text = read_file(path, &len);
  TSTree *tree = parse(parser, text, len);
  TSNode root = ts_tree_root_node(tree);
  int failures = report_errors(path, root, true);

  Capture *caps = NULL;
  size_t ncaps = 0, cap_alloc = 0;
  TSQueryCursor *cursor = ts_query_cursor_new();
  ts_query_cursor_exec(cursor, q, root);
  TSQueryMatch m;
  bool unknown = false;
  while (ts_query_cursor_next_match(cursor, &m)) {
    if (!predicates_hold(q, &m, text, &unknown)) continue;
    for (uint16_t i = 0; i < m.capture_count; i++) {
      uint32_t nlen;
      const char *name = ts_query_capture_name_for_id(q, m.captures[i].index, &nlen);
      if (name[0] == '_') continue;  // helper captures for predicates
      if (ncaps == cap_alloc) {
        cap_alloc = cap_alloc ? cap_alloc * 2 : 256;
        caps = realloc(caps, cap_alloc * sizeof(Capture));
      }
      TSNode n = m.captures[i].node;
      caps[ncaps++] = (Capture){ts_node_start_byte(n), ts_node_end_byte(n), ts_node_start_point(n),
                                ts_node_end_point(n), name, m.pattern_index};
    }
  }
  if (unknown) {
    fprintf(stderr, "%s: the query uses a predicate this harness does not evaluate\n", path);
    failures++;
  }
  // Two different names for one node: which one an editor shows depends on its precedence
  // rules (Neovim: the last pattern, Helix and Zed: the first), so the queries avoid it.
  for (size_t a = 0; a < ncaps; a++) {
    for (size_t b = a + 1; b < ncaps; b++) {
      if (caps[a].start == caps[b].start && caps[a].end == caps[b].end && strcmp(caps[a].name, caps[b].name) != 0) {
        fprintf(stderr, "%s:%u:%u: ambiguous highlight: @%s (pattern %u) and @%s (pattern %u)\n", path,
                caps[a].start_point.row + 1, caps[a].start_point.column + 1, caps[a].name, caps[a].pattern,
                caps[b].name, caps[b].pattern);
        failures++;
      }
    }
  }

  // Assertion comments.
  int assertions = 0;
  uint32_t row = 0, target_row = 0;
  bool have_target = false;
  const char *line = text;
  while (line < text + len) {
    const char *eol = memchr(line, '\n', (size_t)(text + len - line));
    if (!eol) eol = text + len;
    const char *p = line;
    while (p < eol && (*p == ' ' || *p == '\t')) p++;
    bool is_assertion = false;
    if (with_assertions && p < eol && *p == '#') {
      const char *q2 = p + 1;
      while (q2 < eol && *q2 == ' ') q2++;
      const char *carets = q2;
      bool arrow = (eol - q2 >= 2 && q2[0] == '<' && q2[1] == '-');
      uint32_t ncarets = 0;
      if (arrow) {
        q2 += 2;
        while (q2 < eol && *q2 == '-') q2++;
      } else {
        while (q2 < eol && *q2 == '^') {
          q2++;
          ncarets++;
        }
      }
      if ((arrow || ncarets > 0) && q2 < eol && *q2 == ' ') {
        is_assertion = true;
        while (q2 < eol && *q2 == ' ') q2++;
        const char *name = q2;
        while (q2 < eol && *q2 != ' ' && *q2 != '\r') q2++;
        size_t name_len = (size_t)(q2 - name);
        uint32_t first_col = arrow ? (uint32_t)(p - line) : (uint32_t)(carets - line);
        uint32_t cols = arrow ? 1 : ncarets;
        for (uint32_t c = first_col; c < first_col + cols; c++) {
          assertions++;
          if (!have_target) {
            fprintf(stderr, "%s:%u: assertion without a line above\n", path, row + 1);
            failures++;
            continue;
          }
          // The innermost capture at (target_row, c).
          const Capture *best = NULL;
          for (size_t k = 0; k < ncaps; k++) {
            const Capture *cp = &caps[k];
            bool after_start = cp->start_point.row < target_row ||
                               (cp->start_point.row == target_row && cp->start_point.column <= c);
            bool before_end = cp->end_point.row > target_row ||
                              (cp->end_point.row == target_row && cp->end_point.column > c);
            if (after_start && before_end && (!best || cp->end - cp->start < best->end - best->start)) best = cp;
          }
          if (!best || strlen(best->name) != name_len || strncmp(best->name, name, name_len) != 0) {
            fprintf(stderr, "%s:%u:%u: expected @%.*s, found %s%s\n", path, target_row + 1, c + 1, (int)name_len,
                    name, best ? "@" : "no capture", best ? best->name : "");
            failures++;
          }
        }
      }
    }
    if (!is_assertion) {
      target_row = row;
      have_target = true;
    }
    row++;
    line = eol + 1;
  }
  if (with_assertions) printf("%s: %d assertions, %zu captures\n", path, assertions, ncaps);
  ts_query_cursor_delete(cursor);
  ts_tree_delete(tree);
  free(caps);
  free(text);
  return failures;
}

// Collapses whitespace, drops it after "(" and before ")"; with strip_fields, drops
// `name: ` field labels (a corpus entry without labels is compared without them, as
// `tree-sitter test` does).
static char *normalize_sexp(const char *in, bool strip_fields) {
  size_t n = strlen(in);
  char *out = malloc(n + 1);
  size_t o = 0;
  bool space = false;
  for (size_t i = 0; i < n; i++) {
    char c = in[i];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (strip_fields && (c == '_' || (c >= 'a' && c <= 'z'))) {
      size_t j = i;
      while (j < n && (in[j] == '_' || (in[j] >= 'a' && in[j] <= 'z'))) j++;
      if (j < n && in[j] == ':' && (i == 0 || in[i - 1] == ' ' || in[i - 1] == '\n' || in[i - 1] == '(')) {
        i = j;  // skip the label and its colon
        space = true;
        continue;
      }
    }
    if (space && o > 0 && out[o - 1] != '(' && c != ')') out[o++] = ' ';
    space = false;
    out[o++] = c;
  }
  out[o] = 0;
  return out;
}

static bool is_rule(const char *line, const char *eol, char ch) {
  if (eol - line < 3) return false;
  for (const char *p = line; p < eol; p++) {
    if (*p != ch && *p != '\r') return false;
  }
  return true;
}

// Runs a tree-sitter corpus file (test/corpus/*.txt: `===` name `===`, input, `---`,
// expected S-expression). Returns the number of failed entries.
static int run_corpus(TSParser *parser, const char *path, int *total) {
  uint32_t len;
  char *text = read_file(path, &len);
  char *end = text + len;
  char *p = text;
  int failures = 0;
  while (p < end) {
    char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    if (!is_rule(p, eol, '=')) {
      p = eol + 1;
      continue;
    }
    char *name = eol + 1;
    char *name_end = memchr(name, '\n', (size_t)(end - name));
    if (!name_end) break;
    char *after = memchr(name_end + 1, '\n', (size_t)(end - name_end - 1));
    if (!after) break;
    char *input = after + 1;
    // The input ends at a line of dashes.
    char *q = input, *sep = NULL, *sep_end = NULL;
    while (q < end) {
      char *e = memchr(q, '\n', (size_t)(end - q));
      if (!e) e = end;
      if (is_rule(q, e, '-')) {
        sep = q;
        sep_end = e;
        break;
      }
      q = e + 1;
    }
    if (!sep) break;
    // The expected tree ends at the next line of `=`.
    char *expected = sep_end;
    char *next = expected;
    while (next < end) {
      char *e = memchr(next, '\n', (size_t)(end - next));
      if (!e) e = end;
      if (next != expected && is_rule(next, e, '=')) break;
      next = e + 1;
    }
    if (next > end) next = end;
    uint32_t input_len = (uint32_t)(sep - input);
    while (input_len > 0 && input[input_len - 1] == '\n') input_len--;
    TSTree *tree = parse(parser, input, input_len);
    char *actual_raw = ts_node_string(ts_tree_root_node(tree));
    size_t exp_len = (size_t)(next - expected);
    char *exp_raw = malloc(exp_len + 1);
    memcpy(exp_raw, expected, exp_len);
    exp_raw[exp_len] = 0;
    bool fields = strstr(exp_raw, ": ") != NULL;
    char *a = normalize_sexp(actual_raw, !fields);
    char *b = normalize_sexp(exp_raw, false);
    (*total)++;
    if (strcmp(a, b) != 0) {
      failures++;
      fprintf(stderr, "%s: %.*s\n  expected: %s\n  actual:   %s\n", path, (int)(name_end - name), name, b, a);
    }
    free(a);
    free(b);
    free(exp_raw);
    free(actual_raw);
    ts_tree_delete(tree);
    p = next;
  }
  free(text);
  return failures;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: harness parse|fail FILE... | query QUERY | highlight QUERY FILE...\n");
    return 2;
  }
  TSParser *parser = ts_parser_new();
  if (!ts_parser_set_language(parser, tree_sitter_stress())) {
    fprintf(stderr, "the runtime rejected the language (ABI version %u)\n",
            ts_language_abi_version(tree_sitter_stress()));
    return 2;
  }
  const char *cmd = argv[1];
  int failed = 0;
  if (strcmp(cmd, "parse") == 0 || strcmp(cmd, "fail") == 0) {
    bool expect_errors = strcmp(cmd, "fail") == 0;
    for (int i = 2; i < argc; i++) {
      uint32_t len;
      char *text = read_file(argv[i], &len);
      TSTree *tree = parse(parser, text, len);
      int errors = report_errors(argv[i], ts_tree_root_node(tree), !expect_errors);
      if (expect_errors ? errors == 0 : errors > 0) {
        if (expect_errors) fprintf(stderr, "%s: parsed without an error node\n", argv[i]);
        failed++;
      }
      ts_tree_delete(tree);
      free(text);
    }
    printf("%s: %d files, %d failed\n", cmd, argc - 2, failed);
  } else if (strcmp(cmd, "corpus") == 0) {
    int total = 0;
    for (int i = 2; i < argc; i++) failed += run_corpus(parser, argv[i], &total);
    printf("corpus: %d entries, %d failed\n", total, failed);
  } else if (strcmp(cmd, "sexp") == 0) {
    for (int i = 2; i < argc; i++) {
      uint32_t len;
      char *text = read_file(argv[i], &len);
      TSTree *tree = parse(parser, text, len);
      char *s = ts_node_string(ts_tree_root_node(tree));
      printf("%s\n", s);
      free(s);
      ts_tree_delete(tree);
      free(text);
    }
  } else if (strcmp(cmd, "query") == 0) {
    TSQuery *q = load_query(argv[2], NULL);
    if (!q) return 1;
    printf("%s: %u patterns, %u captures\n", argv[2], ts_query_pattern_count(q), ts_query_capture_count(q));
    ts_query_delete(q);
  } else if ((strcmp(cmd, "highlight") == 0 || strcmp(cmd, "unambiguous") == 0) && argc >= 4) {
    TSQuery *q = load_query(argv[2], NULL);
    if (!q) return 1;
    for (int i = 3; i < argc; i++) {
      if (highlight_file(parser, q, argv[i], strcmp(cmd, "highlight") == 0) > 0) failed++;
    }
    ts_query_delete(q);
  } else {
    fprintf(stderr, "unknown command %s\n", cmd);
    return 2;
  }
  ts_parser_delete(parser);
  return failed ? 1 : 0;
}
