#!/usr/bin/env bash
# The run step of the GitHub Action (action.yml), also usable from any CI: runs the files
# with artifacts in $STRESS_OUT, annotations on (GITHUB_ACTIONS=true turns them on), the
# report appended to $GITHUB_STEP_SUMMARY by stress itself; records the exit code and paths in
# $GITHUB_OUTPUT and exits 0, so that the artifacts are uploaded before the verdict step fails
# the job with that code.
#
# Environment: STRESS_FILES (required; space-separated, globs allowed), STRESS_ARGS,
# STRESS_OUT (default stress-results), STRESS_BIN (default: stress on PATH).
set -uo pipefail
bin="${STRESS_BIN:-stress}"
out="${STRESS_OUT:-stress-results}"
if [ -z "${STRESS_FILES:-}" ]; then
  echo "::error title=stress::no files given (input \`files\`)"
  echo "exit-code=2" >> "${GITHUB_OUTPUT:-/dev/null}"
  exit 0
fi
# Word splitting and globbing of the inputs are wanted here.
# shellcheck disable=SC2086
set -- $STRESS_FILES
# shellcheck disable=SC2086
"$bin" run --annotations github --out "$out" ${STRESS_ARGS:-} "$@"
code=$?
{
  echo "exit-code=$code"
  echo "summary=$out/summary.json"
  echo "report=$out/report.md"
} >> "${GITHUB_OUTPUT:-/dev/null}"
echo "stress exited with $code"
exit 0
