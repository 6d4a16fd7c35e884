#!/usr/bin/env bash
# Tests of the editor grammars (docs/editors.md): run from anywhere, `bash editors/test.sh`.
#
# Needs node + npm (the npm registry, or npm's cache), gcc and python3. Installs its npm tools
# into editors/node_modules from the committed package-lock.json (`npm ci --ignore-scripts`:
# no package downloads anything else or builds a native addon), builds a small C test driver
# against the generated parser, and checks:
#   - the generated files are up to date (TextMate JSON, VS Code copy, sublime-syntax, Helix
#     queries, Zed copy of the queries, the parser against grammar.js);
#   - every valid .stress file in the repo parses with the tree-sitter grammar without an
#     ERROR or MISSING node, and every file in BROKEN below does have one; the corpus
#     (tree-sitter-stress/test/corpus, the format of `tree-sitter test`) gives exact trees;
#   - the highlight queries compile; no node gets two capture names; pinned captures hold
#     (editors/tree-sitter-stress/test/highlight/*.stress);
#   - the TextMate grammar scopes every character of the valid files, marks none invalid and
#     closes every region; pinned scopes hold (vscode-tmgrammar-test on
#     editors/textmate/tests/*.stress);
#   - the VS Code extension's manifest and script are well-formed;
#   - with `bat` (or Debian's `batcat`) installed: bat loads the sublime-syntax, highlights
#     every valid file, and colours the pinned characters of textmate/tests by their scopes
#     (a generated theme with one colour per scope); skipped otherwise.
# The last line is `editors: N passed, M failed[, K skipped]`; the exit code is non-zero when
# anything failed.

set -uo pipefail

editors="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$editors")"
ts="$editors/tree-sitter-stress"
build="$editors/build"
mkdir -p "$build"
passed=0
failed=0
skipped=0

step() { # step NAME COMMAND...: runs one check, counts it
  local name="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1))
    echo "ok     $name"
  else
    failed=$((failed + 1))
    echo "FAILED $name"
    echo "$out" | sed 's/^/       /' | head -60
  fi
}

cd "$root" || exit 2

for tool in node npm gcc python3; do
  command -v "$tool" >/dev/null || { echo "editors/test.sh needs $tool"; exit 2; }
done

# Files that do not parse on purpose: golden tests of syntax errors. Each must produce an
# ERROR or MISSING node, so that this list stays true. A new golden test of a syntax error
# (tests/ui/parse) that the tree-sitter grammar rejects belongs here.
BROKEN=(
  tests/ui/parse/several_bad_literals.stress        # an unterminated string
  tests/ui/parse/several_unknown_statements.stress  # statements that do not exist
  tests/ui/parse/unexpected.stress                  # a token where none fits
  tests/ui/parse/unknown_statement.stress
  tests/ui/parse/unterminated_string.stress
  tests/ui/parse/unterminated_string_swallows_a_brace.stress
  tests/ui/parse/unterminated_in_block.stress       # a string left open inside a block
  tests/ui/parse/unclosed_at_end.stress             # blocks left open at the end of the file
  tests/ui/parse/unclosed_brace.stress
  tests/ui/parse/unclosed_list.stress
  tests/ui/parse/keyword_after_a_number.stress      # `iterations 2 as warm`: a misplaced word
  tests/ui/parse/unclosed_paren.stress
  tests/ui/parse/expected_in_words.stress           # a token where none fits
  tests/ui/parse/spaced_unit.stress                 # `300 msec`, `2 s`
)
# Valid syntax with an escape the checker rejects (`\q`): the TextMate grammar marks it
# invalid.illegal, as it should; so do the broken files with unterminated strings.
TM_INVALID=(
  tests/ui/parse/unterminated_in_block.stress
  tests/ui/parse/bad_escape.stress
  tests/ui/parse/several_bad_literals.stress
  tests/ui/parse/unterminated_string_swallows_a_brace.stress
)
# Every other .stress file of the repository is valid syntax, including the golden tests of
# check errors (tests/ui/check), of literal contents the checker rejects (tests/ui/parse:
# bad_escape, bad_number, bad_unit, too_deep, too_long: the grammars, like the pest grammar,
# take any unit word, any escape character and any depth), and the samples under editors/.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t all < <(git ls-files --cached --others --exclude-standard -- '*.stress' | sort -u)
else
  mapfile -t all < <(find . -name '*.stress' -not -path './target/*' -not -path '*/node_modules/*' -not -path './editors/build/*' | sed 's|^\./||' | sort)
fi
valid=()
for f in "${all[@]}"; do
  [ -f "$f" ] || continue
  skip=0
  for b in "${BROKEN[@]}"; do [ "$f" = "$b" ] && skip=1; done
  [ $skip = 0 ] && valid+=("$f")
done
# The ```stress blocks of README.md and docs/*.md are whole files too, whatever their info
# string (`fragment`, `prelude`, `run`, `check-warn CODE`, `check-fail CODE`: see
# tests/docs.rs) and indentation (inside list items), except a deliberate syntax error
# (`check-fail stress::parse::…`).
rm -rf "$build/doc-blocks" && mkdir -p "$build/doc-blocks"
python3 - "$build/doc-blocks" README.md docs/*.md <<'PY'
import re, sys
out = sys.argv[1]
fence = re.compile(r"^([ \t]*)```stress([^\n`]*)\n(.*?)^\1```[ \t]*$", re.S | re.M)
for path in sys.argv[2:]:
    text = open(path, encoding="utf-8").read()
    for i, m in enumerate(fence.finditer(text)):
        indent, info, body = m.group(1), m.group(2).split(), m.group(3)
        if "check-fail" in info and any(w.startswith("stress::parse::") for w in info):
            continue
        lines = [l[len(indent):] if l.startswith(indent) else l.lstrip() for l in body.splitlines(True)]
        name = path.replace("/", "_").removesuffix(".md")
        open(f"{out}/{name}_{i + 1}.stress", "w", encoding="utf-8").write("".join(lines))
PY
for f in "$build"/doc-blocks/*.stress; do [ -f "$f" ] && valid+=("${f#"$root"/}"); done
echo "editors: ${#valid[@]} valid .stress files (with the docs' blocks), ${#BROKEN[@]} broken on purpose"

# ── Tools ────────────────────────────────────────────────────────────
t0=$SECONDS
if ! (cd "$editors" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null); then
  echo "FAILED npm ci (editors/package-lock.json)"
  echo "editors: $passed passed, 1 failed"
  exit 1
fi
echo "npm ci: $((SECONDS - t0)) s"
runtime="$editors/node_modules/tree-sitter/vendor/tree-sitter/lib"
rm -f "$build/harness"
step "build the tree-sitter test driver (gcc)" \
  gcc -std=c11 -D_DEFAULT_SOURCE -O1 -w -I "$runtime/include" -I "$runtime/src" -I "$ts/src" \
  -o "$build/harness" "$runtime/src/lib.c" "$ts/src/parser.c" "$ts/test/harness.c"
harness="$build/harness"

# ── Generated files ──────────────────────────────────────────────────
step "TextMate JSON, VS Code copy and sublime-syntax are generated from textmate/grammar.py" \
  python3 "$editors/textmate/grammar.py" --check
step "Helix queries are generated from queries/highlights.scm" python3 "$ts/helix_queries.py" --check
step "the Zed extension's queries are queries/highlights.scm" \
  cmp "$ts/queries/highlights.scm" "$editors/zed/languages/stress/highlights.scm"
step "the parser was generated from this grammar.js (src/grammar.js.sha256)" \
  bash -c "cd '$ts' && sha256sum --check --quiet src/grammar.js.sha256"
if command -v tree-sitter >/dev/null && tree-sitter --version | grep -q ' 0\.25\.10$'; then
  # With the tree-sitter CLI that generated src/ at hand, regenerate and compare (src/ is
  # committed because the CLI's npm package downloads its binary from outside the registry).
  step "tree-sitter generate reproduces src/" bash -c "
    tmp=\$(mktemp -d) && cp -r '$ts/grammar.js' '$ts/package.json' '$ts/tree-sitter.json' \"\$tmp\" &&
    cd \"\$tmp\" && tree-sitter generate --abi 14 >/dev/null && cmp src/parser.c '$ts/src/parser.c' &&
    cmp src/node-types.json '$ts/src/node-types.json'; r=\$?; rm -rf \"\$tmp\"; exit \$r"
fi

# ── Tree-sitter ──────────────────────────────────────────────────────
if [ -x "$harness" ]; then
  step "tree-sitter: ${#valid[@]} valid files parse without ERROR/MISSING nodes" "$harness" parse "${valid[@]}"
  step "tree-sitter: ${#BROKEN[@]} broken files have an ERROR/MISSING node" "$harness" fail "${BROKEN[@]}"
  step "tree-sitter: corpus (test/corpus, exact syntax trees)" "$harness" corpus "$ts"/test/corpus/*.txt
  for q in "$ts"/queries/*.scm "$ts"/queries/helix/*.scm "$editors"/zed/languages/stress/*.scm; do
    step "query ${q#"$editors"/} compiles" "$harness" query "$q"
  done
  step "highlights: pinned captures (test/highlight)" \
    "$harness" highlight "$ts/queries/highlights.scm" "$ts"/test/highlight/*.stress
  step "highlights: no node gets two capture names in the valid files" \
    "$harness" unambiguous "$ts/queries/highlights.scm" "${valid[@]}"
fi

# ── TextMate ─────────────────────────────────────────────────────────
tm_valid=()
for f in "${valid[@]}"; do
  for b in "${TM_INVALID[@]}"; do [ "$f" = "$b" ] && continue 2; done
  tm_valid+=("$f")
done
step "TextMate: ${#tm_valid[@]} valid files fully scoped, nothing invalid, every region closed" \
  node "$editors/textmate/check-files.js" "${tm_valid[@]}"
step "TextMate: ${#TM_INVALID[@]} files with a bad escape or a broken string are marked" \
  node "$editors/textmate/check-files.js" --expect-problems "${TM_INVALID[@]}"
step "TextMate: pinned scopes (vscode-tmgrammar-test textmate/tests)" \
  bash -c "cd '$editors/textmate' && ../node_modules/.bin/vscode-tmgrammar-test -c -g stress.tmLanguage.json 'tests/*.stress'"

# ── VS Code extension ────────────────────────────────────────────────
step "VS Code extension: extension.js and manifest" node -e '
  const fs = require("fs"), path = require("path");
  const dir = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const need = [pkg.main, ...pkg.contributes.languages.map(l => l.configuration),
                ...pkg.contributes.grammars.map(g => g.path)];
  for (const f of need) if (!fs.existsSync(path.join(dir, f))) throw new Error("missing " + f);
  JSON.parse(fs.readFileSync(path.join(dir, "language-configuration.json"), "utf8"));
  if (pkg.contributes.grammars[0].scopeName !== "source.stress") throw new Error("scope");
  require("child_process").execFileSync(process.execPath, ["--check", path.join(dir, pkg.main)]);
' "$editors/vscode"

# ── bat / syntect ────────────────────────────────────────────────────
bat="$(command -v bat || command -v batcat || true)"
if [ -n "$bat" ]; then
  step "bat: the sublime-syntax loads and highlights the valid files" bash -c '
    bat="$1"; shift; dir=$(mktemp -d); trap "rm -rf $dir" EXIT
    mkdir -p "$dir/config/syntaxes" && cp "$0" "$dir/config/syntaxes/"
    export BAT_CONFIG_PATH=/dev/null BAT_CONFIG_DIR="$dir/config" BAT_CACHE_PATH="$dir/cache"
    "$bat" cache --build --source "$dir/config" --target "$dir/cache" >/dev/null || exit 1
    "$bat" --list-languages | grep -q "^stress:stress$" || { echo "bat does not list stress"; exit 1; }
    for f in "$@"; do
      out=$("$bat" --color=always --paging=never --style=plain -l stress "$f") || exit 1
      # Something is coloured: the output differs from the text.
      [ ! -s "$f" ] || [ "$out" != "$(cat "$f")" ] || { echo "$f: no colours"; exit 1; }
    done' "$editors/sublime/stress.sublime-syntax" "$bat" "${valid[@]}"
  step "bat: the sublime-syntax gives the pinned scopes of textmate/tests" \
    python3 "$editors/sublime/check_bat.py" "$bat" "$editors/sublime/stress.sublime-syntax" "$editors"/textmate/tests/*.stress
else
  skipped=$((skipped + 2))
  echo "skip   bat: not installed (Debian: apt-get install bat)"
fi

echo "editors: $passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
