# shellcheck shell=bash
# Helpers for the end-to-end tests, sourced by tests/e2e/*.sh. Each check
# prints one line that tests/run.sh counts: PASS, FAIL (with why) or SKIP
# (with why). $VNEST is the vnest binary under test.
set -u
: "${VNEST:?run through tests/run.sh (VNEST unset)}"
SUITE=e2e/$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vnest-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

pass() { echo "PASS $SUITE/$1"; }
fail() { echo "FAIL $SUITE/$1: $2"; }
skip() { echo "SKIP $SUITE/$1: $2"; }

# run CMD...: runs vnest, keeping stdout in $OUT, stderr in $ERR, status in $RC.
run() {
    "$VNEST" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    RC=$?
    OUT=$(cat "$WORK/stdout")
    ERR=$(cat "$WORK/stderr")
}

# expect NAME RC [GREP_PATTERN_IN_STDOUT_OR_STDERR]
expect() {
    local name=$1 want=$2 pat=${3:-}
    if [ "$RC" -ne "$want" ]; then
        fail "$name" "exit status $RC, expected $want; stderr: $(head -c 300 <<<"$ERR")"
    elif [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$OUT$ERR"; then
        fail "$name" "output lacks /$pat/; got: $(head -c 300 <<<"$OUT$ERR")"
    else
        pass "$name"
    fi
}

# A JSON document on stdout: validated by Python's json module (a second,
# independent parser), then the expression is evaluated with it as `d`.
json_ok() { # NAME PYTHON_EXPR
    if /usr/bin/python3 -c "import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if ($2) else 1)" <<<"$OUT" 2>"$WORK/pyerr"; then
        pass "$1"
    else
        fail "$1" "JSON check ($2) failed: $(head -c 200 "$WORK/pyerr") ; stdout: $(head -c 200 <<<"$OUT")"
    fi
}

have() { command -v "$1" >/dev/null 2>&1; }

oneline() { tr '\n' ' ' | head -c 400; }

# err1 NAME WANT WHERE [REGEX]: the last `run` failed with exit status WANT
# and exactly one line on stderr, "vnest: WHERE: ..." matching REGEX, and
# printed nothing on stdout (a refusal must not leave half a result).
# WHERE "" accepts any place; "FILE:#" accepts any line number of FILE. The
# warning that --insecure prints is not counted as a line.
err1() {
    local name=$1 want=$2 where=$3 pat=${4:-} msg lines=0
    msg=$(grep -av '^vnest: warning: the server certificate is not verified' "$WORK/stderr")
    [ -n "$msg" ] && lines=$(grep -ac '' <<<"$msg")
    if [[ $where == *":#" ]]; then
        where=${where%#}
        [[ ${msg#"vnest: $where"} =~ ^[0-9]+:\  ]] && where=$where${BASH_REMATCH[0]%: }
    fi
    if [ "$RC" -ne "$want" ]; then
        fail "$name" "exit status $RC, expected $want; stderr: $(oneline <<<"$ERR")"
    elif [ "$lines" -ne 1 ]; then
        fail "$name" "expected one line on stderr, got $lines: $(oneline <<<"$ERR")"
    elif [[ $msg != "vnest: ${where:+$where: }"* ]]; then
        fail "$name" "stderr does not start with 'vnest: ${where:+$where: }': $(oneline <<<"$msg")"
    elif [ -n "$pat" ] && ! grep -aEq -- "$pat" <<<"$msg"; then
        fail "$name" "stderr lacks /$pat/: $(oneline <<<"$msg")"
    elif [ -n "$OUT" ]; then
        fail "$name" "unexpected output on stdout: $(oneline <<<"$OUT")"
    else
        pass "$name"
    fi
}
