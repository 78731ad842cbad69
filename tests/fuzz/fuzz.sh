#!/usr/bin/env bash
# Runs every libFuzzer target (built by `make -f fuzz/fuzz.mk` with ASan and
# UBSan) for a bounded time over its seeds, plus the real-world files of the
# shared corpus where there are any. One PASS/FAIL line per target.
set -u
top=${VNEST_TOP:?run through tests/run.sh}
secs=${FUZZ_CHECK_SECONDS:-15}
for bin in "$top"/build/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    seeds="$top/fuzz/seeds/${name#fuzz_}"
    extra=()
    # Real VMX files seed the VMX targets when the shared corpus is here.
    case "$name" in
    fuzz_vmx*) [ -n "${VNEST_CORPUS:-}" ] && [ -d "$VNEST_CORPUS/vmx" ] && extra=("$VNEST_CORPUS/vmx") ;;
    esac
    work=$(mktemp -d "${TMPDIR:-/tmp}/vnest-fuzz.XXXXXX")
    (cd "$work" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        "$work" "$seeds" "${extra[@]}" >"$work/log" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        runs=$(grep -Eo 'Done [0-9]+ runs' "$work/log" | grep -Eo '[0-9]+')
        echo "PASS fuzz/$name (${runs:-?} runs in ${secs}s, no crash)"
    else
        echo "FAIL fuzz/$name: exit status $rc (a crash, a violated property, or the process was killed); its log follows"
        grep -E 'ERROR|SUMMARY|Test unit written|abort|runtime error|Killed' "$work/log" | head -10
        tail -n 5 "$work/log" | sed 's/^/    /'
        for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
            [ -e "$f" ] && echo "    input: $(basename "$f") ($(od -An -c "$f" | head -c 200 | tr -s ' \n' ' '))"
        done
    fi
    rm -rf "$work"
done
