#!/usr/bin/env bash
# End-to-end tests of the command line itself: help, version, usage errors,
# command discovery through the completion protocol, the rule listing, the
# completion candidates, probe on this machine and the man page sources.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# The commands, discovered the way bash completion sees them: the first
# words, then for each the next word unless the first is a command itself.
run __complete ''
nouns=$OUT
cmds=()
for noun in $nouns; do
    run __complete "$noun" ''
    if [ "$OUT" = "__files__" ] || [ -z "$OUT" ]; then
        cmds+=("$noun")
    else
        for verb in $OUT; do
            cmds+=("$noun $verb")
        done
    fi
done
# Each noun is offered once, wherever its verbs sit in the command table.
dups=$(tr ' ' '\n' <<<"$nouns" | grep -v '^$' | sort | uniq -d | tr '\n' ' ')
if [ -z "$dups" ]; then pass complete-nouns-once; else fail complete-nouns-once "offered twice: $dups"; fi
want_cmds=("rules" "vmx check" "vmx fix" "vmx new" "probe")
missing=()
for c in "${want_cmds[@]}"; do
    found=0
    for d in "${cmds[@]}"; do
        [ "$d" = "$c" ] && found=1
    done
    [ "$found" -eq 1 ] || missing+=("$c")
done
if [ "${#missing[@]}" -eq 0 ]; then
    pass "discover-commands"
else
    fail "discover-commands" "__complete did not lead to: ${missing[*]} (found: ${cmds[*]})"
fi

# ---- top level ----------------------------------------------------------

run --help
expect "help" 0 '^Usage: vnest '
absent=()
for c in "${cmds[@]}"; do
    grep -Eq "^  $c +[A-Z]" <<<"$OUT" || absent+=("$c")
done
if [ "$RC" -eq 0 ] && [ "${#absent[@]}" -eq 0 ]; then
    pass "help-lists-every-command"
else
    fail "help-lists-every-command" "exit $RC; not listed: ${absent[*]}"
fi

run --version
expect "version" 0 '^vnest [0-9]+\.[0-9]+\.[0-9]+'

run
if [ "$RC" -eq 2 ] && [ -z "$OUT" ] && grep -q '^Usage: vnest' <<<"$ERR"; then
    pass "no-arguments"
else
    fail "no-arguments" "exit $RC (expected 2 with the usage on stderr only)"
fi

run frobnicate
err1 "unknown-command" 2 "frobnicate" "unknown command"

run --frobnicate rules
err1 "unknown-global-option" 2 "--frobnicate" "unknown"

run vmx
if [ "$RC" -eq 2 ] && grep -q 'vmx check' <<<"$ERR" && grep -q 'vmx fix' <<<"$ERR" &&
    grep -q 'vmx new' <<<"$ERR"; then
    pass "noun-lists-verbs"
else
    fail "noun-lists-verbs" "exit $RC (expected 2 and the verbs on stderr): $(oneline <<<"$ERR")"
fi

run vmx --help
if [ "$RC" -eq 0 ] && grep -q 'vmx check' <<<"$OUT" && grep -q 'vmx fix' <<<"$OUT" &&
    grep -q 'vmx new' <<<"$OUT"; then
    pass "noun-help"
else
    fail "noun-help" "exit $RC (expected 0 and the verbs on stdout)"
fi

run vmx frobnicate
if [ "$RC" -eq 2 ] && [ "$(tail -n 1 "$WORK/stderr")" = "vnest: frobnicate: unknown verb" ]; then
    pass "unknown-verb"
else
    fail "unknown-verb" "exit $RC, stderr ends: $(tail -n 1 "$WORK/stderr")"
fi

# ---- every command ------------------------------------------------------

for c in "${cmds[@]}"; do
    tag=${c// /-}
    # shellcheck disable=SC2086 # the command's words split on purpose
    run $c --help
    if [ "$RC" -ne 0 ]; then
        fail "help-$tag" "exit status $RC; stderr: $(oneline <<<"$ERR")"
    elif ! grep -q "^Usage: vnest $c " <<<"$OUT"; then
        fail "help-$tag" "no 'Usage: vnest $c' line"
    elif ! grep -q '^Options:' <<<"$OUT"; then
        fail "help-$tag" "no 'Options:' section"
    else
        pass "help-$tag"
    fi

    # shellcheck disable=SC2086
    run $c --no-such-option
    err1 "unknown-option-$tag" 2 "--no-such-option" "unknown option"
done

run rules --esxi
err1 "missing-value-rules-esxi" 2 "--esxi" "missing value"
run vmx check "$WORK/x.vmx" --role
err1 "missing-value-vmx-check-role" 2 "--role" "missing value"
run vmx fix --dry-run=yes "$WORK/x.vmx"
err1 "flag-with-value" 2 "--dry-run=yes" "takes no value"
run vmx check
err1 "missing-argument" 2 "" "missing argument.*vmx check"
run rules extra
err1 "unexpected-argument" 2 "extra" "unexpected argument"

# ---- rules ----------------------------------------------------------------

run rules
expect "rules" 0 '^RULE +SEED +SEVERITY'
missing=()
for id in guest-os nested-hv memory-min virtual-ssd clone-policy; do
    grep -q "^$id " <<<"$OUT" || missing+=("$id")
done
if [ "${#missing[@]}" -eq 0 ]; then
    pass "rules-table-ids"
else
    fail "rules-table-ids" "not in the table: ${missing[*]}"
fi

run rules --json
expect "rules-json-status" 0
json_ok "rules-json-fields" 'len(d["rules"]) > 0 and all(isinstance(r.get(k), str) and r[k] for r in d["rules"] for k in ("id", "severity", "summary", "rationale"))'
json_ok "rules-json-severities" 'all(r["severity"] in ("error", "warning", "info") for r in d["rules"])'
json_ok "rules-json-ids" '{"nested-hv", "guest-os", "virtual-ssd", "clone-policy"} <= {r["id"] for r in d["rules"]}'
json_ok "rules-json-ids-unique" 'len({r["id"] for r in d["rules"]}) == len(d["rules"])'

run --json rules --esxi 7.0U1
expect "rules-esxi-7.0U1-status" 0
json_ok "rules-esxi-7.0U1-no-clone-policy" '"clone-policy" not in {r["id"] for r in d["rules"]} and "nested-hv" in {r["id"] for r in d["rules"]}'

run --json rules --esxi 8.0 --role template
expect "rules-esxi-8.0-template-status" 0
json_ok "rules-esxi-8.0-template-clone-policy" '"clone-policy" in {r["id"] for r in d["rules"]} and d["esxi"] == "8.0"'

run --json rules --role host
json_ok "rules-role-host-no-template-rules" 'all(r["roles"] != "template" for r in d["rules"]) and "clone-policy" not in {r["id"] for r in d["rules"]}'

run rules --esxi 5.5
err1 "rules-esxi-5.5" 2 "--esxi" '"5\.5"'

run rules --role bogus
err1 "rules-role-bogus" 2 "--role" '"bogus"'

# ---- completion -------------------------------------------------------------

# has_words NAME WORD...: every WORD is one line of $OUT.
has_words() {
    local name=$1 w missing=()
    shift
    for w in "$@"; do
        grep -qx -- "$w" <<<"$OUT" || missing+=("$w")
    done
    if [ "$RC" -eq 0 ] && [ "${#missing[@]}" -eq 0 ]; then
        pass "$name"
    else
        fail "$name" "exit $RC; not offered: ${missing[*]}; got: $(tr '\n' ' ' <<<"$OUT")"
    fi
}

run __complete ''
has_words "complete-commands" rules vmx probe
run __complete vmx ''
has_words "complete-vmx-verbs" check fix new
run __complete vmx ch
has_words "complete-vmx-prefix" check
if grep -qx fix <<<"$OUT"; then
    fail "complete-vmx-prefix-filters" "'fix' offered for prefix 'ch'"
else
    pass "complete-vmx-prefix-filters"
fi
run __complete vmx check --
has_words "complete-vmx-check-options" --esxi --role --json
run __complete vmx check --esxi ''
has_words "complete-vmx-check-esxi" 8.0 7.0U1 6.7
run __complete vmx check ''
has_words "complete-vmx-check-files" __files__

# ---- probe -----------------------------------------------------------------

if grep -Eqw 'vmx|svm' /proc/cpuinfo; then
    want_probe=0
else
    want_probe=1
fi
run probe
if [ "$want_probe" -eq 1 ]; then
    expect "probe" 1 'VT-x.*(not|no)|(not|no).*VT-x'
    if grep -q '^VT-x (vmx) *no$' <<<"$OUT" && grep -q 'not expose' <<<"$OUT"; then
        pass "probe-says-not-exposed"
    else
        fail "probe-says-not-exposed" "output does not say VT-x is not exposed: $(oneline <<<"$OUT")"
    fi
else
    expect "probe" 0 'can run here'
fi
probe_rc=$RC

run --json probe
if [ "$RC" -eq "$probe_rc" ]; then
    pass "probe-json-status"
else
    fail "probe-json-status" "exit $RC with --json, $probe_rc without"
fi
json_ok "probe-json-can-nest" "d['can_nest'] is $([ "$RC" -eq 0 ] && echo True || echo False) and isinstance(d['verdict'], str) and d['verdict']"
json_ok "probe-json-flags" "(d['vmx'] or d['svm']) is $([ "$want_probe" -eq 0 ] && echo True || echo False)"

# A made-up root: the verdict follows the CPU flags it lists.
root=$WORK/root
mkdir -p "$root/proc" "$root/sys" "$root/dev"
printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU\nflags\t\t: fpu vme vmx sse2\n\n' >"$root/proc/cpuinfo"
run probe --root "$root"
expect "probe-root-with-vmx" 0 'can run here'
printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU\nflags\t\t: fpu vme sse2\n\n' >"$root/proc/cpuinfo"
run --json probe --root "$root"
expect "probe-root-without-vmx-status" 1
json_ok "probe-root-without-vmx-json" 'd["can_nest"] is False and d["vmx"] is False'

# ---- man page sources --------------------------------------------------------

if have scdoc; then
    for c in "" "${cmds[@]}"; do
        tag=${c// /-}
        # shellcheck disable=SC2086
        "$VNEST" __scdoc $c >"$WORK/page.scd" 2>"$WORK/stderr"
        rc=$?
        if [ "$rc" -ne 0 ] || [ ! -s "$WORK/page.scd" ]; then
            fail "scdoc-${tag:-vnest}" "__scdoc exited $rc or printed nothing"
        elif ! scdoc <"$WORK/page.scd" >"$WORK/page.1" 2>"$WORK/scdoc.err"; then
            fail "scdoc-${tag:-vnest}" "scdoc rejects it: $(oneline <"$WORK/scdoc.err")"
        else
            pass "scdoc-${tag:-vnest}"
        fi
    done
else
    skip "scdoc" "scdoc not installed"
fi

exit 0
