#!/usr/bin/env bash
# The live view, checked in a real terminal: runs `stress run` inside a detached tmux session
# of a fixed size, reads the screen with `tmux capture-pane -p` while the load runs and after
# it ends, and asserts what a person would see:
#   1. the status line (default on a terminal): VUs, rate, p95, stage and a bar mid-run; no
#      stale progress line once the report is printed;
#   2. `--tui`: the full-screen view's panels mid-run (alternate screen on); afterwards the
#      terminal is restored (alternate screen off, cursor shown, raw mode off) and the report
#      is on the normal screen; the same with stdout redirected to a file (the report there);
#   3. `--tui` then `q`: the run stops like Ctrl-C (partial report, exit 130), terminal
#      restored; `--tui` then SIGTERM: exit 143, terminal restored;
#   4. `--tui` without a terminal, or with `--quiet` / `--format json`: exit 2 with a message.
# The load is scenarios/quickstart.stress (an embedded mock on loopback, nothing else needed)
# held for 5 s. Prints what it captured; exits 1 on the first failed check, 0 when all held
# (or when tmux is not installed: then it says it skipped).
#
#   bash bench/live_view.sh            # builds target/release/stress first
#   BENCH_NO_BUILD=1 bash bench/live_view.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if ! command -v tmux > /dev/null; then
  echo "live_view: skipped: tmux is not installed (apt-get install tmux)"
  exit 0
fi
build_stress

work=$(mktemp -d)
socket="stress-live-$$"
cleanup() {
  tmux -L "$socket" kill-server 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# quickstart, held for 5 s instead of 10 users × 20 iterations (about 1 s).
sed 's/profile { users 10, iterations 20 }/profile { hold 10 users for 5s as steady }/' \
  "$BENCH_ROOT/scenarios/quickstart.stress" > "$work/live.stress"
grep -q 'hold 10 users for 5s as steady' "$work/live.stress" || {
  echo "live_view: scenarios/quickstart.stress changed: its profile line was not found" >&2
  exit 1
}

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# start WIDTH HEIGHT ARGS...: `stress run ARGS live.stress` in a new session (the next
# `live<N>`); after it exits the pane prints EXIT=<code> and the tty's icanon/echo flags, then
# stays open.
session=live0
start() {
  local width=$1 height=$2
  shift 2
  tmux -L "$socket" kill-session -t "$session" 2> /dev/null || true
  session=live$((${session#live} + 1))
  # CI=true would turn the status line into plain lines (Mode::detect): a person's terminal.
  tmux -L "$socket" new-session -d -s "$session" -x "$width" -y "$height" \
    "cd '$work' && env -u CI '$STRESS_BIN' run $* live.stress; echo EXIT=\$?; \
     echo TTY=\$(stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '); sleep 120"
}

screen() { tmux -L "$socket" capture-pane -p -t "$session"; }
# The whole pane, scrollback included.
history() { tmux -L "$socket" capture-pane -p -S - -t "$session"; }
pane() { tmux -L "$socket" display -p -t "$session" "$1"; }

# wait_for TEXT SECONDS: polls the screen until TEXT shows (0) or time runs out (1).
wait_for() {
  local text=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    screen | grep -qF -- "$text" && return 0
    sleep 0.2
  done
  return 1
}

# expect WHAT CAPTURE TEXT...: every TEXT is in CAPTURE.
expect() {
  local what=$1 capture=$2
  shift 2
  for text in "$@"; do
    grep -qF -- "$text" <<< "$capture" || fail "$what: \`$text\` not on screen"
  done
}

# refuse WHAT CAPTURE TEXT...: no TEXT is in CAPTURE.
refuse() {
  local what=$1 capture=$2
  shift 2
  for text in "$@"; do
    if grep -qF -- "$text" <<< "$capture"; then fail "$what: \`$text\` still on screen"; fi
  done
}

show() {
  echo "----- $1 -----"
  sed -e '/^$/d' <<< "$2"
  echo "-----"
}

# ── 1. the status line ─────────────────────────────────────────────────────────────────────
start 200 40 ""
wait_for "p95 (last 10s)" 15 || fail "status line: never appeared"
sleep 1 # a second in, so the rate over the last second is known
mid=$(screen)
show "status line, mid-run" "$mid"
expect "status line" "$mid" "smoke [baseline]" "stage steady" "VUs 10/10" "req · now " "/s ·" \
  "p95 (last 10s) " "█" " left)"
wait_for "EXIT=" 30 || fail "status line: the run did not end"
end=$(history)
show "status line, after the end" "$(tail -n 12 <<< "$end")"
expect "status line, end" "$end" "EXIT=0" "PASSED: 4 of 4 SLO checks held"
refuse "status line, end" "$end" "p95 (last 10s)" "█"

# ── 2. --tui ───────────────────────────────────────────────────────────────────────────────
start 110 32 --tui
wait_for "Requests per second (last" 15 || fail "--tui: the view never showed a second of rate"
mid=$(screen)
show "--tui, mid-run" "$mid"
expect "--tui" "$mid" "stress · smoke · scenario baseline" "stage steady" " left" "%" \
  " Load " "VUs         10 / 10" "rate now" "requests" "errors      0 (0%)" "iterations" \
  " Latency (last 10s) " "p50 " "p95 " "p99 " "≤" " Responses " "2xx" "no answer" \
  " Requests per second (last" "q or Ctrl-C: stop the run"
[[ $(pane '#{alternate_on}') == 1 ]] || fail "--tui: not on the alternate screen mid-run"
wait_for "EXIT=" 30 || fail "--tui: the run did not end"
sleep 0.3
end=$(history)
show "--tui, after the end" "$(tail -n 12 <<< "$end")"
expect "--tui, end" "$end" "EXIT=0" "PASSED: 4 of 4 SLO checks held" "TTY=icanon echo"
refuse "--tui, end" "$end" " Latency (last 10s) " " Requests per second" "q or Ctrl-C"
[[ $(pane '#{alternate_on}') == 0 ]] || fail "--tui: still on the alternate screen"
[[ $(pane '#{cursor_flag}') == 1 ]] || fail "--tui: cursor still hidden"

# ── 2b. --tui with stdout redirected: the view on stderr, the report in the file ─────────────
start 110 32 --tui "> '$work/report.txt'"
wait_for " Latency (last 10s) " 15 || fail "--tui > file: the view never showed"
mid=$(screen)
expect "--tui > file" "$mid" " Load " " Responses "
wait_for "EXIT=" 30 || fail "--tui > file: the run did not end"
sleep 0.3
end=$(history)
expect "--tui > file, end" "$end" "EXIT=0" "TTY=icanon echo"
refuse "--tui > file, end" "$end" " Latency (last 10s) "
expect "--tui > file, report" "$(cat "$work/report.txt")" "PASSED: 4 of 4 SLO checks held"
[[ $(pane '#{alternate_on}') == 0 ]] || fail "--tui > file: still on the alternate screen"

# ── 3. --tui, then q ───────────────────────────────────────────────────────────────────────
start 110 32 --tui
wait_for " Latency (last 10s) " 15 || fail "--tui q: the view never showed"
tmux -L "$socket" send-keys -t "$session" q
wait_for "EXIT=" 30 || fail "--tui q: the run did not stop"
sleep 0.3
end=$(history)
show "--tui, after q" "$(tail -n 6 <<< "$end")"
expect "--tui q" "$end" "interrupted: stopping the load and writing the partial report" \
  "(interrupted)" "EXIT=130" "TTY=icanon echo"
refuse "--tui q" "$end" " Latency (last 10s) " "q or Ctrl-C"
[[ $(pane '#{alternate_on}') == 0 ]] || fail "--tui q: still on the alternate screen"
[[ $(pane '#{cursor_flag}') == 1 ]] || fail "--tui q: cursor still hidden"

# ── 3b. --tui, then SIGTERM from outside: exit 143, terminal restored ───────────────────────
start 110 32 --tui
wait_for " Latency (last 10s) " 15 || fail "--tui TERM: the view never showed"
stress_pid=$(pgrep -P "$(pane '#{pane_pid}')" || true)
if [[ -n $stress_pid ]]; then
  kill -TERM "$stress_pid"
  wait_for "EXIT=" 30 || fail "--tui TERM: the run did not stop"
  sleep 0.3
  end=$(history)
  show "--tui, after SIGTERM" "$(tail -n 4 <<< "$end")"
  expect "--tui TERM" "$end" "SIGTERM: stopping the load and writing the partial report" \
    "(interrupted)" "EXIT=143" "TTY=icanon echo"
  refuse "--tui TERM" "$end" " Latency (last 10s) "
  [[ $(pane '#{alternate_on}') == 0 ]] || fail "--tui TERM: still on the alternate screen"
  [[ $(pane '#{cursor_flag}') == 1 ]] || fail "--tui TERM: cursor still hidden"
else
  fail "--tui TERM: no stress process under the pane's shell"
fi

# ── 4. --tui where it cannot draw, or beside --quiet / --format json ───────────────────────
# check_refused WHAT EXPECTED-MESSAGE ARGS...: `stress run ARGS` exits 2 saying the message.
check_refused() {
  local what=$1 message=$2 code=0
  shift 2
  "$STRESS_BIN" run "$@" "$work/live.stress" > "$work/out" 2> "$work/err" < /dev/null || code=$?
  [[ $code == 2 ]] || fail "$what: exit $code, not 2"
  grep -qF -- "$message" "$work/err" || {
    fail "$what: \`$message\` not in stderr"
    cat "$work/err"
  }
}
check_refused "--tui, stderr not a terminal" "--tui needs a terminal: stderr is not a terminal" --tui
check_refused "--tui --quiet" "'--tui' cannot be used with '--quiet'" --tui --quiet
check_refused "--tui --format json" "'--tui' cannot be used with '--format json'" --tui --format json

if ((failures > 0)); then
  echo "live_view: $failures check(s) failed"
  exit 1
fi
echo "live_view: all checks held"
