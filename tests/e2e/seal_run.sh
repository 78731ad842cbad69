#!/usr/bin/env bash
# End-to-end tests of `vnest seal run` against the simulator (tests/vcsim,
# vCenter model, API 6.7) with its opt-in TEST EXTENSION -ext-guestops: a
# SIMULATION of VMware Tools guest operations on a simulated ESXi root per VM
# (tests/esxsim; see tests/vcsim/guestops.go for what is and is not
# simulated). Nothing here runs on a real ESXi.
#   The seal of a 6.7 VM: the script uploaded (mode 0755, the same bytes as
#   `vnest seal script --esxi 6.7`) and run (esx.conf lost /system/uuid, the
#   stand-ins' log shows the steps in order, auto-backup with the UUID and
#   the shutdown without it, poweroff last), the VM powered off by the guest
#   and made a template (pyvmomi read-back); --json --no-template; a wrong
#   guest password (exit 3, one line, nothing uploaded); a failing step (an
#   extra vmk1: exit 3 with the log's tail, no template, VM still on);
#   VMware Tools not running, a powered-off VM, input errors; 7.0U3 without
#   --allow-unsupported-clone (exit 2, by --esxi before any request, and by
#   the VM's guest type before any guest operation); every request body
#   schema-checked; the guest password never in vnest's own recorder.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vcsim/lib.sh
. "$(dirname "$0")/../vcsim/lib.sh"

TOP=$(cd "$(dirname "$0")/../.." && pwd)
ESXSIM=$TOP/tests/esxsim/esxsim.sh
OPS=$TOP/tests/e2e/data/vsphere_ops.py

checks=(setup
    seal seal-uploaded seal-uploaded-mode seal-uuid-removed seal-log-order seal-log-uuid
    seal-script-log seal-template seal-again-template
    json-no-template json-no-template-readback
    wrong-password wrong-password-nothing-uploaded
    failing-step failing-step-tail failing-step-no-template failing-step-no-mark
    tools-not-running tools-not-running-no-guestops powered-off
    esxi-70u3-refused esxi-70u3-refused-no-request guest-70u3-refused guest-70u3-no-guestops
    guest-70u3-allowed
    no-password-file password-file-0644 bad-ops
    ordercheck guest-password-not-recorded)

unset GOVC_URL GOVC_USERNAME GOVC_PASSWORD GOVC_INSECURE GOVC_TLS_CA_CERTS \
    GOVC_TLS_KNOWN_HOSTS GOVC_DATACENTER GOVC_DATASTORE GOVC_NETWORK \
    GOVC_RESOURCE_POOL GOVC_FOLDER GOVC_HOST VNEST_ALLOW_HTTP

skip_all() {
    local c
    for c in "${checks[@]}"; do skip "$c" "$1"; done
    exit 0
}

why=$(vcsim_skip_reason) || skip_all "$why"
why=$(vcsim_peer_skip_reason) || skip_all "$why (powering VMs on needs the pyvmomi peer)"
have busybox || skip_all "busybox missing (the simulated guest's shell)"

GUESTS=$WORK/guests
REC=$WORK/rec
export VNEST_RECORD_DIR=$WORK/vrec
mkdir -p "$GUESTS" "$VNEST_RECORD_DIR"
GUEST_PW=vnest-guest-$$
# Every VM whose name starts with seal- runs simulated VMware Tools while on;
# its root is a 6.7 host unless the test built one first.
if ! vcsim_start -api-version 6.7 -product-version 6.7.0 -record "$REC" \
    -ext-guestops "$GUESTS" -ext-guestops-password "$GUEST_PW" -ext-guestops-tools 'seal-*' \
    -ext-guestops-mkroot "sh '$ESXSIM' build \"\$1\" --version 6.7.0"; then
    fail setup "$VCSIM_ERROR"
    for c in "${checks[@]:1}"; do skip "$c" "simulator did not start"; done
    exit 0
fi

GUESTOPS=(InitiateFileTransferToGuest InitiateFileTransferFromGuest StartProgramInGuest
    ListProcessesInGuest)

rb() { # KIND NAME: pyvmomi's view in $OUT
    OUT=$("$VCSIM_PYTHON" "$VCSIM_READBACK" "$1" "$2" 2>"$WORK/rb.err")
    RC=$?
    ERR=$(cat "$WORK/rb.err")
}

# create NAME ESXI: a Nested ESXi VM; its moref in MOREF[NAME].
declare -A MOREF
create() {
    run --json vm create "$1" --esxi "$2" --network "VM Network" --host DC0_H0
    [ "$RC" -eq 0 ] || return 1
    MOREF[$1]=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["moref"])' <<<"$OUT")
}
power_on() { "$VCSIM_PYTHON" "$OPS" power-on "$1" >/dev/null 2>&1; }

printf '%s\n' "$GUEST_PW" >"$WORK/pw"
chmod 600 "$WORK/pw"
printf 'not-the-password\n' >"$WORK/badpw"
chmod 600 "$WORK/badpw"
printf '%s\n' "$GUEST_PW" >"$WORK/pw644"
chmod 644 "$WORK/pw644"

# --- setup --------------------------------------------------------------------------

ok=1
for v in seal-67:6.7 seal-json:6.7 seal-pw:6.7 seal-bad:6.7 seal-70u3:7.0U3 notools-67:6.7 \
    seal-off:6.7; do
    create "${v%%:*}" "${v#*:}" || {
        ok=0
        why="vm create ${v%%:*}: $ERR"
    }
done
# seal-bad: a host with a second VMkernel port, which the vmknics step refuses (S8).
if [ "$ok" -eq 1 ] && ! sh "$ESXSIM" build "$GUESTS/${MOREF[seal-bad]}" --version 6.7.0 --vmk vmk1; then
    ok=0
    why="esxsim build failed"
fi
# A 7.0.3 host for seal-70u3 (only reached with --allow-unsupported-clone).
if [ "$ok" -eq 1 ] && ! sh "$ESXSIM" build "$GUESTS/${MOREF[seal-70u3]}" --version 7.0.3; then
    ok=0
    why="esxsim build failed"
fi
for v in seal-67 seal-json seal-pw seal-bad seal-70u3 notools-67; do
    [ "$ok" -eq 1 ] || break
    power_on "$v" || {
        ok=0
        why="cannot power $v on"
    }
done
if [ "$ok" -eq 1 ]; then
    pass setup
else
    fail setup "$why"
    for c in "${checks[@]:1}"; do skip "$c" "setup failed"; done
    exit 0
fi

# --- the seal of a 6.7 VM ------------------------------------------------------------

R=$GUESTS/${MOREF[seal-67]}
run seal run seal-67 --guest-password-file "$WORK/pw" --timeout 60
if [ "$RC" -eq 0 ] && grep -q '^seal-67: sealed: the guest powered itself off$' <<<"$OUT" &&
    [ "$(tail -1 <<<"$OUT")" = "seal-67: marked as template" ]; then
    pass seal
else
    fail seal "exit $RC; stdout: $(oneline <<<"$OUT"); stderr: $(oneline <<<"$ERR")"
fi

"$VNEST" seal script --esxi 6.7 >"$WORK/expected.sh" 2>/dev/null
if cmp -s "$WORK/expected.sh" "$R/tmp/vnest-seal.sh"; then
    pass seal-uploaded
else
    fail seal-uploaded "$R/tmp/vnest-seal.sh differs from 'vnest seal script --esxi 6.7'"
fi
mode=$(stat -c %a "$R/tmp/vnest-seal.sh" 2>/dev/null)
if [ "$mode" = 755 ]; then pass seal-uploaded-mode; else fail seal-uploaded-mode "mode ${mode:-none}"; fi

if [ -f "$R/etc/vmware/esx.conf" ] && ! grep -q '^/system/uuid' "$R/etc/vmware/esx.conf" &&
    grep -q '^/net/vmkernelnic/child\[0000\]/name' "$R/etc/vmware/esx.conf"; then
    pass seal-uuid-removed
else
    fail seal-uuid-removed "esx.conf still has /system/uuid (or is gone)"
fi

# The steps in order: the stand-ins' log, filtered to one marker per step.
order=$(grep -nE '^(esxcli system version get|vim-cmd hostsvc/enable_ssh|esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1|esxcli network ip interface list|partedUtil delete |esxcli system settings advanced list -o /VSAN/NodeUuid|auto-backup.sh|shutdown.sh|poweroff)' \
    "$R/.esxsim/log" 2>/dev/null | cut -d: -f2- | sed 's/ .*//' | tr '\n' ' ')
want='esxcli vim-cmd esxcli esxcli partedUtil esxcli auto-backup.sh shutdown.sh poweroff '
last=$(tail -1 "$R/.esxsim/log" 2>/dev/null)
if [ "$order" = "$want" ] && [ "$last" = poweroff ]; then
    pass seal-log-order
else
    fail seal-log-order "got '$order' (last '$last'), expected '$want'"
fi
if grep -qx 'auto-backup.sh | uuid=present' "$R/.esxsim/trace" 2>/dev/null &&
    grep -qx 'shutdown.sh | uuid=absent' "$R/.esxsim/trace" &&
    ! grep -q '^esxcli system uuid get' "$R/.esxsim/log"; then
    pass seal-log-uuid
else
    fail seal-log-uuid "auto-backup not before the UUID's removal, or shutdown saw it: $(oneline <"$R/.esxsim/trace")"
fi
if grep -q '^vnest-seal: \[1/11\] preflight: ' "$R/tmp/vnest-seal.log" 2>/dev/null &&
    grep -q '^vnest-seal: \[11/11\] power-off: ' "$R/tmp/vnest-seal.log"; then
    pass seal-script-log
else
    fail seal-script-log "the script's output: $(head -c 300 "$R/tmp/vnest-seal.log" 2>/dev/null)"
fi

rb template seal-67
if [ "$RC" -ne 0 ]; then
    fail seal-template "readback.py template seal-67 exited $RC: $(head -c 300 <<<"$ERR")"
else
    json_ok seal-template 'd["template"] is True and d["powerState"] == "poweredOff" and d["bootOptions"]["enterBIOSSetup"] is False'
fi
# Run again on the template: refused before any guest operation.
rec_mark
run seal run seal-67 --guest-password-file "$WORK/pw"
if [ "$(rec_since "${GUESTOPS[@]}")" -ne 0 ]; then
    fail seal-again-template "guest operations sent to a template"
else
    err1 seal-again-template 3 seal-67 'is a template'
fi

# --- --json --no-template -------------------------------------------------------------

run --json seal run seal-json --guest-password-file "$WORK/pw" --no-template --ops -ssh
if [ "$RC" -ne 0 ]; then
    fail json-no-template "exit $RC: $(oneline <<<"$ERR")"
else
    json_ok json-no-template 'd["name"] == "seal-json" and d["moref"] == "'"${MOREF[seal-json]}"'" and d["esxi"] == "6.7" and d["sealed"] is True and d["template"] is False and "ssh" not in d["operations"] and d["operations"][-1] == "system-uuid" and d["pid"] > 0'
fi
rb vm seal-json
if [ "$RC" -ne 0 ]; then
    fail json-no-template-readback "readback.py vm seal-json exited $RC: $(head -c 300 <<<"$ERR")"
elif grep -q 'hostsvc/enable_ssh' "$GUESTS/${MOREF[seal-json]}/.esxsim/log"; then
    fail json-no-template-readback "--ops -ssh still ran the ssh step"
else
    json_ok json-no-template-readback 'd["template"] is False and d["powerState"] == "poweredOff"'
fi

# --- failures ----------------------------------------------------------------------

run seal run seal-pw --guest-password-file "$WORK/badpw"
err1 wrong-password 3 seal-pw 'InvalidGuestLogin'
if [ -e "$GUESTS/${MOREF[seal-pw]}/tmp/vnest-seal.sh" ]; then
    fail wrong-password-nothing-uploaded "the script was uploaded with a wrong password"
else
    pass wrong-password-nothing-uploaded
fi

rec_mark
run seal run seal-bad --guest-password-file "$WORK/pw" --timeout 60
if [ "$RC" -eq 3 ] && ! grep -q 'marked as template' <<<"$OUT" &&
    grep -q '^vnest: seal-bad: the seal script failed in the guest (exit status 1); no template made' <<<"$ERR"; then
    pass failing-step
else
    fail failing-step "exit $RC, stdout: $(oneline <<<"$OUT"), stderr: $(oneline <<<"$ERR")"
fi
if grep -q '^  | vnest-seal: step vmknics failed: VMkernel ports other than vmk0 exist: vmk1' <<<"$ERR" &&
    grep -q '^  | vnest-seal: \[4/11\] vmknics: ' <<<"$ERR"; then
    pass failing-step-tail
else
    fail failing-step-tail "the log's tail is missing: $(oneline <<<"$ERR")"
fi
rb vm seal-bad
if [ "$RC" -ne 0 ]; then
    fail failing-step-no-template "readback.py vm seal-bad exited $RC"
else
    json_ok failing-step-no-template 'd["template"] is False and d["powerState"] == "poweredOn"'
fi
if [ "$(rec_since MarkAsTemplate PowerOffVM_Task ShutdownGuest)" -eq 0 ] &&
    [ "$(rec_since InitiateFileTransferFromGuest)" -eq 1 ] &&
    grep -q '^/system/uuid' "$GUESTS/${MOREF[seal-bad]}/etc/vmware/esx.conf"; then
    pass failing-step-no-mark
else
    fail failing-step-no-mark "a template, power-off or UUID removal happened after a failed step"
fi

rec_mark
run seal run notools-67 --guest-password-file "$WORK/pw"
err1 tools-not-running 3 notools-67 'VMware Tools are not running in the guest \(guest\.toolsRunningStatus is guestToolsNotRunning\)'
if [ "$(rec_since "${GUESTOPS[@]}")" -eq 0 ]; then
    pass tools-not-running-no-guestops
else
    fail tools-not-running-no-guestops "guest operations were sent"
fi

run seal run seal-off --guest-password-file "$WORK/pw"
err1 powered-off 3 seal-off 'is poweredOff'

rec_mark
run seal run seal-70u3 --esxi 7.0U3 --guest-password-file "$WORK/pw"
err1 esxi-70u3-refused 2 --esxi 'not sealed for cloning.*S17.*--allow-unsupported-clone'
if [ "$(rec_since)" -eq 0 ]; then
    pass esxi-70u3-refused-no-request
else
    fail esxi-70u3-refused-no-request "$(rec_since) requests sent before refusing"
fi
rec_mark
run seal run seal-70u3 --guest-password-file "$WORK/pw"
err1 guest-70u3-refused 2 --esxi "7\.0U2\+ read from the VM's guest type vmkernel7Guest"
if [ "$(rec_since "${GUESTOPS[@]}")" -eq 0 ]; then
    pass guest-70u3-no-guestops
else
    fail guest-70u3-no-guestops "guest operations were sent"
fi
run seal run seal-70u3 --esxi 7.0U3 --allow-unsupported-clone --guest-password-file "$WORK/pw" \
    --no-template
if [ "$RC" -eq 0 ] && ! grep -q '^/system/uuid' "$GUESTS/${MOREF[seal-70u3]}/etc/vmware/esx.conf"; then
    pass guest-70u3-allowed
else
    fail guest-70u3-allowed "exit $RC: $(oneline <<<"$ERR")"
fi

run seal run seal-67
err1 no-password-file 2 --guest-password-file 'missing'
run seal run seal-67 --guest-password-file "$WORK/pw644"
err1 password-file-0644 2 "$WORK/pw644" 'chmod 600'
run seal run seal-67 --esxi 6.7 --ops nonsense --guest-password-file "$WORK/pw"
err1 bad-ops 2 --ops 'unknown operation "nonsense"'

# --- what went over the wire ---------------------------------------------------------

shopt -s nullglob
bodies=("$REC"/*.req.xml)
out=$("$VCSIM_ORDERCHECK" -q "${bodies[@]}" 2>&1)
rc=$?
n_guest=0
for f in "${bodies[@]}"; do
    case $f in *-InitiateFileTransferToGuest.req.xml | *-StartProgramInGuest.req.xml | \
        *-ListProcessesInGuest.req.xml | *-InitiateFileTransferFromGuest.req.xml)
        n_guest=$((n_guest + 1)) ;;
    esac
done
if [ "$n_guest" -lt 6 ]; then
    fail ordercheck "only $n_guest guest operation bodies recorded"
elif [ "$rc" -ne 0 ]; then
    fail ordercheck "exit $rc: $(head -c 400 <<<"$out")"
else
    pass ordercheck
fi

own=("$VNEST_RECORD_DIR"/*.req.xml)
sent=$(grep -lF -- "$GUEST_PW" "${bodies[@]}" | wc -l)
leaked=$(grep -lF -- "$GUEST_PW" "${own[@]}" 2>/dev/null | head -3)
if [ "${#own[@]}" -lt 20 ]; then
    fail guest-password-not-recorded "only ${#own[@]} bodies in VNEST_RECORD_DIR"
elif [ -n "$leaked" ]; then
    fail guest-password-not-recorded "the guest password is in vnest's recorded bodies: $leaked"
elif [ "$sent" -lt 6 ]; then
    fail guest-password-not-recorded "the guest password reached the server in only $sent bodies"
else
    pass guest-password-not-recorded
fi

vcsim_stop
exit 0
