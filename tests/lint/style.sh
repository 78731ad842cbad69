#!/usr/bin/env bash
# Style gates run with the tests: every C file clang-format clean (the
# committed .clang-format), every shell script shellcheck clean, every Go
# file gofmt clean. One PASS/FAIL/SKIP line per gate.
set -u
top=${VNEST_TOP:?run through tests/run.sh}
cd "$top" || exit 3

if command -v clang-format >/dev/null; then
    bad=$(for f in lib/*.[ch] src/*.[ch] tests/unit/*.[ch] fuzz/*.c; do
        clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
    done)
    if [ -z "$bad" ]; then echo "PASS lint/clang-format"; else
        echo "FAIL lint/clang-format: not formatted: $(echo "$bad" | tr '\n' ' ')"; fi
else
    echo "SKIP lint/clang-format: clang-format not installed"
fi

if command -v shellcheck >/dev/null; then
    mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null)
    if out=$(shellcheck -x -S warning "${scripts[@]}" 2>&1); then
        echo "PASS lint/shellcheck (${#scripts[@]} scripts)"
    else
        echo "FAIL lint/shellcheck: $(echo "$out" | grep -m3 -E '^In |SC[0-9]+' | tr '\n' ' ')"
    fi
else
    echo "SKIP lint/shellcheck: shellcheck not installed"
fi

if command -v gofmt >/dev/null; then
    bad=$(gofmt -l tests/vcsim 2>/dev/null)
    if [ -z "$bad" ]; then echo "PASS lint/gofmt"; else echo "FAIL lint/gofmt: $bad"; fi
else
    echo "SKIP lint/gofmt: Go not installed (the vSphere tests install it)"
fi
