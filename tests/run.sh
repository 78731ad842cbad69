#!/usr/bin/env bash
# Runs every test and prints the one summary line CI reads:
#   N passed, N failed, N skipped
# Each test program prints lines "PASS name", "FAIL name: why" and
# "SKIP name: why". A program that exits non-zero without a FAIL line (a
# crash, a sanitizer report) counts as one failure of its own.
#
# usage: tests/run.sh BUILD_DIR   (the build whose vnest and unit tests run)
set -u
build=${1:-build/san}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 3

export VNEST="$top/$build/vnest"
export VNEST_TOP="$top"
# The shared corpus sits beside the repository on the project's machines;
# in a user's clone it is absent and the tests that need it skip.
if [ -z "${VNEST_CORPUS:-}" ] && [ -d "$top/../shared/corpus" ]; then
    export VNEST_CORPUS="$top/../shared/corpus"
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

log=$(mktemp -d "${TMPDIR:-/tmp}/vnest-tests.XXXXXX")
trap 'rm -rf "$log"' EXIT
passed=0 failed=0 skipped=0

run_one() { # name, command...
    local name=$1 out="$log/out" rc
    shift
    "$@" >"$out" 2>"$log/err"
    rc=$?
    grep -E '^(PASS|FAIL|SKIP|     also:)' "$out"
    local p f s
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    s=$(grep -c '^SKIP ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited $rc without a FAIL line; its stderr follows"
        sed 's/^/    /' "$log/err" | tail -40
        f=1
    elif [ "$f" -gt 0 ]; then
        sed 's/^/    stderr: /' "$log/err" | tail -20
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    run_one "e2e/$(basename "$t" .sh)" bash "$t"
done
for t in tests/fuzz/*.sh tests/lint/*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$(dirname "$t")")/$(basename "$t" .sh)" bash "$t"
done

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
