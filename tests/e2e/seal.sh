#!/usr/bin/env bash
# End-to-end tests of `vnest seal list|script`. Every generated script is
# checked by shellcheck (-s sh) and EXECUTED under busybox sh inside a
# SIMULATED ESXi root (tests/esxsim: esx.conf, both banks' boot.cfg, DHCP
# leases, and recording stand-ins for esxcli, vim-cmd, vmtoolsd, partedUtil,
# vmkfstools, auto-backup.sh, shutdown.sh and poweroff - simulations, not
# VMware's programs). The tests assert the files the script leaves, the exact
# commands it issued in order (system-uuid after auto-backup and before the
# power-off, nothing after the power-off), that a failing step stops it with
# its name, and that running it again is safe.
# check() evaluates its condition, so conditions are in single quotes:
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

TOP=${VNEST_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIM=$TOP/tests/esxsim/esxsim.sh

# check NAME COND WHY...: PASS when COND, shell code evaluated here (hence in
# single quotes throughout), holds.
check() {
    local name=$1 cond=$2
    shift 2
    if eval "$cond"; then pass "$name"; else fail "$name" "$*"; fi
}

# ==== seal list ==============================================================

ORDER="legacy-cpu ssh follow-hw-mac vmknics local-vmfs install-media dhcp-leases vsan-node-uuid auto-backup system-uuid"

run seal list
expect list 0 'system-uuid'
got=$(awk 'NR > 1 && NF { print $1 } /^$/ { exit }' <<<"$OUT" | tr '\n' ' ')
check list-order '[ "$got" = "$ORDER " ]' "operations listed as '$got'"
check list-defaults '[[ $OUT =~ legacy-cpu\ +off ]] && [[ $OUT =~ system-uuid\ +on ]]' \
    "default column wrong: $(oneline <<<"$OUT")"
run seal list --esxi 6.7
expect list-6.7 0 'legacy-cpu +n/a'
run --json seal list
expect list-json-status 0
json_ok list-json "[o['id'] for o in d['operations']] == '$ORDER'.split() and d['first'] == 'preflight' and d['last'] == 'power-off' and [o['default'] for o in d['operations']] == [False] + [True] * 9 and all(o['script'] for o in d['operations']) and d['operations'][0]['seed'] == 'S5' and d['operations'][-1]['seed'] == 'S11'"
run --json seal list --esxi 6.5
json_ok list-json-6.5 "d['esxi'] == '6.5' and d['operations'][0]['applies'] is False and d['operations'][0]['default'] is False"
run -v seal list
expect list-verbose 0 'partedUtil delete'
run seal list --esxi 5.5
err1 list-bad-release 2 --esxi '"5.5"'

# ==== seal script: arguments, policy, output =================================

run seal script
err1 script-no-esxi 2 --esxi 'missing'
run seal script --esxi 7.0U1 --ops ssh,bogus
err1 script-unknown-op 2 --ops '"bogus"'
run seal script --esxi 7.0U1 --ops=-bogus
err1 script-unknown-removed-op 2 --ops '"bogus"'
run seal script --esxi 6.7 --ops legacy-cpu
err1 script-op-not-for-release 2 --ops 'legacy-cpu.*6\.7'
run seal script --esxi 7.0U1 --ops none
err1 script-no-ops 2 --ops 'no operation'
for rel in 7.0U2 7.0U3 8.0 9.0; do
    run seal script --esxi "$rel"
    err1 "script-refuse-$rel" 2 --esxi 'S17.*ks new.*--allow-unsupported-clone'
done
run seal script --esxi 7.0U3 --allow-unsupported-clone
check script-allow-7.0U3 '[ "$RC" -eq 0 ] && [[ $OUT == "#!/bin/sh"* ]] && grep -q "S17" <<<"$ERR"' \
    "rc $RC; stderr: $(oneline <<<"$ERR")"

run seal script --esxi 7.0U1
expect script-stdout 0 '^#!/bin/sh'
# shellcheck disable=SC2034 # read by check
stdout_script=$OUT
out=$WORK/seal.sh
run seal script --esxi 7.0U1 -o "$out"
expect script-o 0
check script-o-mode '[ "$(stat -c %a "$out")" = 755 ]' "mode $(stat -c %a "$out")"
check script-o-same '[ "$(cat "$out")" = "$stdout_script" ]' "-o differs from stdout"
printf 'old\n' >"$out"
chmod 0644 "$out"
# shellcheck disable=SC2034 # read by check
ino=$(stat -c %i "$out")
run seal script --esxi 7.0U1 -o "$out"
check script-o-replace '[ "$RC" -eq 0 ] && [ "$(stat -c %a "$out")" = 755 ] && [ "$(stat -c %i "$out")" != "$ino" ] && [ "$(cat "$out")" = "$stdout_script" ]' \
    "rc $RC, mode $(stat -c %a "$out"), same inode or content"
run seal script --esxi 7.0U1 -o "$WORK/no/such/dir/seal.sh"
err1 script-o-unwritable 3 "$WORK/no/such/dir/seal.sh"
run --json seal script --esxi 7.0 --ops legacy-cpu,-ssh
json_ok script-json "d['esxi'] == '7.0' and d['operations'] == ['legacy-cpu', 'follow-hw-mac', 'vmknics', 'local-vmfs', 'install-media', 'dhcp-leases', 'vsan-node-uuid', 'auto-backup', 'system-uuid'] and d['steps'][0] == 'preflight' and d['steps'][-1] == 'power-off' and d['script'].startswith('#!/bin/sh') and d['output'] is None"
run --json seal script --esxi 6.7 -o "$WORK/j.sh"
json_ok script-json-o "d['output'] == '$WORK/j.sh' and 'script' not in d"

# ==== every script: shellcheck, then busybox sh in a simulated ESXi =========

have_sc=0 have_bb=0
have shellcheck && have_sc=1
have busybox && have_bb=1

# The version a simulated host of each release reports.
sim_version() {
    case $1 in
    6.0) echo 6.0.0 ;; 6.5) echo 6.5.0 ;; 6.7) echo 6.7.0 ;; 7.0) echo 7.0.0 ;;
    7.0U1) echo 7.0.1 ;; 7.0U2+) echo 7.0.3 ;; 8.0) echo 8.0.3 ;; 9.0) echo 9.0.0 ;;
    esac
}

# gen FILE ARGS...: writes a script; 0 when vnest did.
gen() {
    local file=$1
    shift
    "$VNEST" seal script "$@" -o "$file" >"$WORK/gen.out" 2>"$WORK/gen.err"
}

# simrun ROOT SCRIPT: runs it in the simulation; $SRC, $SOUT, $SERR.
simrun() {
    sh "$SIM" run "$1" "$2" >"$WORK/sim.out" 2>"$WORK/sim.err"
    SRC=$?
    SOUT=$(cat "$WORK/sim.out")
    SERR=$(cat "$WORK/sim.err")
}

# The commands the script must issue, in order, for the operations $2 (a
# space-separated list) on the simulated host ROOT ($1) as it is now.
expected_log() {
    local root=$1 ops=" $2 " rel=$3 S=$1/.esxsim ext dev part uuid
    echo "vmtoolsd --cmd log vnest-seal: start: ESXi $rel, operations ${2}"
    echo "esxcli system version get"
    if [[ $ops == *" ssh "* ]]; then
        printf 'vim-cmd hostsvc/%s\n' enable_ssh start_ssh enable_esx_shell start_esx_shell
    fi
    [[ $ops != *" follow-hw-mac "* ]] ||
        echo "esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1"
    [[ $ops != *" vmknics "* ]] || echo "esxcli network ip interface list"
    if [[ $ops == *" local-vmfs "* ]]; then
        echo "vmkfstools -P /bootbank"
        echo "esxcli storage filesystem list"
        ext=$(grep -v '^OSDATA' "$S/extents" | head -1)
        if [ -n "$ext" ]; then
            IFS='|' read -r _ uuid _ dev part <<<"$ext"
            echo "esxcli storage vmfs extent list"
            echo "partedUtil getptbl /vmfs/devices/disks/$dev"
            echo "esxcli storage filesystem unmount -u $uuid"
            echo "partedUtil delete /vmfs/devices/disks/$dev $part"
            echo "vmkfstools -V"
        fi
    fi
    if [[ $ops == *" vsan-node-uuid "* ]]; then
        echo "esxcli system settings advanced list -o /VSAN/NodeUuid"
        ! grep -q '^/adv/VSAN/NodeUuid = "..*"' "$root/etc/vmware/esx.conf" ||
            echo "esxcli system settings advanced set -o /VSAN/NodeUuid -d"
    fi
    [[ $ops != *" auto-backup "* ]] || echo "auto-backup.sh"
    echo "shutdown.sh"
    echo "poweroff"
}

# The esx.conf the seal must leave: the original without /system/uuid (and
# /adv/VSAN/NodeUuid), with /adv/Net/FollowHardwareMac set, else untouched.
expected_conf() {
    local orig=$1 ops=" $2 "
    if [[ $ops == *" system-uuid "* ]]; then grep -v '^/system/uuid = ' "$orig"; else cat "$orig"; fi |
        if [[ $ops == *" vsan-node-uuid "* ]]; then grep -v '^/adv/VSAN/NodeUuid = '; else cat; fi
    [[ $ops != *" follow-hw-mac "* ]] || echo '/adv/Net/FollowHardwareMac = "1"'
}

# tar_conf ROOT: the esx.conf saved in bootbank/state.tgz.
tar_conf() {
    tar xzOf "$1/bootbank/state.tgz" local.tgz | tar xzO etc/vmware/esx.conf
}

# kernelopt FILE: the value of its kernelopt line.
kernelopt() { sed -n 's/^kernelopt=//p' "$1"; }

# seal_case NAME REL ESXSIM-BUILD-OPTIONS -- VNEST-OPTIONS: generate, lint,
# run in a fresh simulated host, and check everything.
seal_case() {
    local name=$1 rel=$2 root=$WORK/sim-$1 script=$WORK/seal-$1.sh
    shift 2
    local simopts=() vnopts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        simopts+=("$1")
        shift
    done
    shift
    vnopts=("$@")
    if ! gen "$script" --esxi "$rel" "${vnopts[@]}"; then
        fail "$name-gen" "vnest seal script failed: $(oneline <"$WORK/gen.err")"
        return
    fi
    pass "$name-gen"
    if [ "$have_sc" -eq 1 ]; then
        if shellcheck -s sh "$script" >"$WORK/sc.out" 2>&1; then
            pass "$name-shellcheck"
        else
            fail "$name-shellcheck" "$(oneline <"$WORK/sc.out")"
        fi
    else
        skip "$name-shellcheck" "shellcheck is not installed"
    fi
    if [ "$have_bb" -eq 0 ]; then
        skip "$name-run" "busybox is not installed (the script is for ESXi's busybox sh)"
        return
    fi
    local ops
    ops=$(sed -n "s/^SEAL_OPS='\(.*\)'$/\1/p" "$script")
    sh "$SIM" build "$root" --version "$(sim_version "$rel")" "${simopts[@]}"
    cp "$root/etc/vmware/esx.conf" "$WORK/orig-esx.conf"
    cp "$root/bootbank/boot.cfg" "$WORK/orig-boot.cfg"
    [ ! -f "$root/altbootbank/boot.cfg" ] || cp "$root/altbootbank/boot.cfg" "$WORK/orig-alt.cfg"
    local olduuid
    olduuid=$(cat "$root/.esxsim/kernel-uuid")
    expected_log "$root" "$ops" "$(sed -n "s/^SEAL_RELEASE='\(.*\)'$/\1/p" "$script")" >"$WORK/want.log"

    simrun "$root" "$script"
    if [ "$SRC" -ne 0 ]; then
        fail "$name-run" "exit status $SRC; stderr: $(oneline <<<"$SERR")"
        return
    fi
    pass "$name-run"

    # The exact commands, in order; poweroff the last of them.
    if diff "$WORK/want.log" "$root/.esxsim/log" >"$WORK/diff" 2>&1; then
        pass "$name-commands"
    else
        fail "$name-commands" "$(oneline <"$WORK/diff")"
    fi
    # When each command ran, was /system/uuid still in esx.conf? Present up to
    # and including auto-backup.sh; gone for the shutdown and the power-off.
    local trace
    trace=$(sed -n 's/.* | uuid=//p' "$root/.esxsim/trace" | uniq | tr '\n' ' ')
    if [[ " $ops " == *" system-uuid "* ]]; then
        check "$name-uuid-order" '[ "$trace" = "present absent " ] && grep -q "^shutdown.sh | uuid=absent" "$root/.esxsim/trace" && ! grep -q "^auto-backup.sh | uuid=absent" "$root/.esxsim/trace"' \
            "uuid presence along the calls: $trace"
    else
        check "$name-uuid-kept" '[ "$trace" = "present " ]' "uuid presence: $trace"
    fi
    check "$name-steps" '[ "$(sed -n "s/^vnest-seal: \[[0-9]*\/[0-9]*\] \([a-z-]*\):.*/\1/p" <<<"$SOUT" | tr "\n" " ")" = "preflight $ops power-off " ]' \
        "step lines: $(grep '^vnest-seal' <<<"$SOUT" | oneline)"

    expected_conf "$WORK/orig-esx.conf" "$ops" >"$WORK/want-esx.conf"
    if diff "$WORK/want-esx.conf" "$root/etc/vmware/esx.conf" >"$WORK/diff" 2>&1; then
        pass "$name-esx.conf"
    else
        fail "$name-esx.conf" "$(oneline <"$WORK/diff")"
    fi
    if tar_conf "$root" | diff "$WORK/want-esx.conf" - >"$WORK/diff" 2>&1; then
        pass "$name-state.tgz"
    else
        fail "$name-state.tgz" "the saved esx.conf differs: $(oneline <"$WORK/diff")"
    fi

    local bank orig
    for bank in bootbank altbootbank; do
        orig=$WORK/orig-boot.cfg
        [ "$bank" = bootbank ] || orig=$WORK/orig-alt.cfg
        [ -f "$root/$bank/boot.cfg" ] || continue
        if [[ " $ops " == *" legacy-cpu "* ]]; then
            local ko n
            ko=$(kernelopt "$root/$bank/boot.cfg")
            n=$(grep -o -i 'allowLegacyCPU=[a-z]*' <<<"$ko" | wc -l)
            check "$name-$bank-legacy-cpu" '[ "$n" -eq 1 ] && [[ " $ko " == *" allowLegacyCPU=true "* ]] && [ "$(grep -v "^kernelopt=" "$orig")" = "$(grep -v "^kernelopt=" "$root/$bank/boot.cfg")" ] && [ "$(head -1 "$root/$bank/boot.cfg" | cut -c1-10)" = bootstate= ]' \
                "kernelopt '$ko' ($n allowLegacyCPU) or other lines changed"
        else
            check "$name-$bank-untouched" 'cmp -s "$orig" "$root/$bank/boot.cfg"' "boot.cfg changed"
        fi
    done
    if [[ " $ops " == *" dhcp-leases "* ]]; then
        check "$name-leases" '! ls "$root"/etc/dhclient*.leases >/dev/null 2>&1' "leases left"
    fi
    if [[ " $ops " == *" local-vmfs "* ]]; then
        check "$name-vmfs" '! grep -q " vmfs 0$" "$root/.esxsim/ptbl/mpx.vmhba0:C0:T0:L0" && ! grep -q "|VMFS-" "$root/.esxsim/fs"' \
            "the boot disk still has a VMFS partition"
        case $rel in 6.*) ;; *)
            check "$name-osdata-kept" 'grep -q " vmfsl 0$" "$root/.esxsim/ptbl/mpx.vmhba0:C0:T0:L0"' \
                "OSDATA (VMFS-L) was deleted" ;;
        esac
    fi
    check "$name-powered-off" '[ -e "$root/.esxsim/powered-off" ] && [ "$(tail -1 "$root/.esxsim/log")" = poweroff ]' \
        "the last command was not poweroff"

    # The clone's first boot: a new UUID (when system-uuid ran).
    sh "$SIM" boot "$root"
    local newuuid
    newuuid=$(sed -n 's/^\/system\/uuid = "\(.*\)"$/\1/p' "$root/etc/vmware/esx.conf")
    if [[ " $ops " == *" system-uuid "* ]]; then
        check "$name-clone-uuid" '[ -n "$newuuid" ] && [ "$newuuid" != "$olduuid" ]' \
            "after boot /system/uuid is '$newuuid' (template had $olduuid)"
    fi
}

# Every release up to 7.0 U1, default and all operations; 7.0U2 and later
# with --allow-unsupported-clone.
for rel in 6.0 6.5 6.7 7.0 7.0U1; do
    seal_case "$rel-defaults" "$rel" --vsan-node-uuid --
    seal_case "$rel-all" "$rel" --
done
for rel in 7.0U2+ 8.0 9.0; do
    seal_case "$rel-allow" "$rel" --vsan-node-uuid -- --allow-unsupported-clone --ops legacy-cpu
done
# Other selections and host shapes.
seal_case 7.0U1-uuid-only 7.0U1 -- --ops none,system-uuid
seal_case 7.0U1-no-backup 7.0U1 -- --ops -auto-backup,-local-vmfs
seal_case 6.7-no-uuid 6.7 -- --ops -system-uuid
seal_case 7.0U1-no-datastore 7.0U1 --no-datastore -- --ops legacy-cpu
seal_case 7.0U1-no-altbootbank 7.0U1 --no-altbootbank -- --ops legacy-cpu
seal_case 6.5-spaced-name 6.5 --datastore-name "datastore1 (1)" --
seal_case 7.0-legacy-false 7.0 --kernelopt "autoPartition=FALSE allowLegacyCPU=false" -- --ops legacy-cpu

if [ "$have_bb" -eq 0 ]; then
    for c in fail-vmknics fail-standin fail-ssl fail-other-datastore preflight-s17 \
        preflight-family not-esxi twice; do
        skip "$c" "busybox is not installed (the script is for ESXi's busybox sh)"
    done
    exit 0
fi

# ==== failures stop the script at the failing step ===========================

# fails NAME ROOT STEP REGEX: the last simrun stopped with a non-zero status,
# the message naming STEP; the host kept its UUID and was not shut down.
fails() {
    local name=$1 root=$2 stepname=$3 pat=$4
    if [ "$SRC" -eq 0 ]; then
        fail "$name" "exit status 0"
    elif ! grep -q "^vnest-seal: step $stepname failed" <<<"$SERR"; then
        fail "$name" "stderr does not name step $stepname: $(oneline <<<"$SERR")"
    elif ! grep -Eq -- "$pat" <<<"$SERR"; then
        fail "$name" "stderr lacks /$pat/: $(oneline <<<"$SERR")"
    elif ! grep -q '^/system/uuid = ' "$root/etc/vmware/esx.conf"; then
        fail "$name" "the /system/uuid line is gone after a failure"
    elif grep -Eq '^(auto-backup.sh|shutdown.sh|poweroff)' "$root/.esxsim/log"; then
        fail "$name" "the script went on: $(oneline <"$root/.esxsim/log")"
    else
        pass "$name"
    fi
}

script=$WORK/seal-fail.sh
if ! gen "$script" --esxi 7.0U1 --ops legacy-cpu; then
    fail failure-cases "vnest seal script failed: $(oneline <"$WORK/gen.err")"
    exit 0
fi

# A second VMkernel port (S8): the vmknics step stops the script.
root=$WORK/sim-fail-vmknics
sh "$SIM" build "$root" --version 7.0.1 --vmk vmk1
simrun "$root" "$script"
fails fail-vmknics "$root" vmknics 'vmk1'
check fail-vmknics-stopped '[ "$(grep -v "^vmtoolsd" "$root/.esxsim/log" | tail -1)" = "esxcli network ip interface list" ]' \
    "commands after the failing step: $(oneline <"$root/.esxsim/log")"
# Fixed, then run again: it completes.
grep -v '^vmk1|' "$root/.esxsim/vmknics" >"$root/.esxsim/v" && mv "$root/.esxsim/v" "$root/.esxsim/vmknics"
simrun "$root" "$script"
check fail-vmknics-rerun '[ "$SRC" -eq 0 ] && ! grep -q "^/system/uuid" "$root/etc/vmware/esx.conf" && [ "$(tail -1 "$root/.esxsim/log")" = poweroff ] && [ "$(grep -c allowLegacyCPU "$root/bootbank/boot.cfg")" -eq 1 ]' \
    "rerun: status $SRC; $(oneline <<<"$SERR")"

# A stand-in that exits 1.
root=$WORK/sim-fail-standin
sh "$SIM" build "$root" --version 7.0.1
sh "$SIM" fail "$root" "vim-cmd hostsvc/start_ssh"
simrun "$root" "$script"
fails fail-standin "$root" ssh "vim-cmd hostsvc/start_ssh' exited with status 1"

# No host certificate: backup.sh refuses (and would loop at shutdown);
# auto-backup stops the seal before the UUID goes.
root=$WORK/sim-fail-ssl
sh "$SIM" build "$root" --version 7.0.1 --no-ssl
simrun "$root" "$script"
if [ "$SRC" -ne 0 ] && grep -q '^vnest-seal: step auto-backup failed' <<<"$SERR" &&
    grep -q '^/system/uuid = ' "$root/etc/vmware/esx.conf" &&
    [ "$(tail -1 "$root/.esxsim/log")" = "vmtoolsd --cmd log vnest-seal: step auto-backup failed" ]; then
    pass fail-ssl
else
    fail fail-ssl "status $SRC; $(oneline <<<"$SERR")"
fi

# A VMFS datastore on another disk: not deleted, the step stops.
root=$WORK/sim-fail-other
sh "$SIM" build "$root" --version 6.7.0 --extra-datastore
gen "$WORK/seal-67.sh" --esxi 6.7
simrun "$root" "$WORK/seal-67.sh"
fails fail-other-datastore "$root" local-vmfs '"datastore2" on mpx.vmhba0:C0:T1:L0'
check fail-other-nothing-deleted '! grep -q "partedUtil delete" "$root/.esxsim/log"' "a partition was deleted"

# The preflight: a 7.0U1 script on a 7.0 U2 host (S17), on a 6.7 host, and
# outside any ESXi.
root=$WORK/sim-pre
sh "$SIM" build "$root" --version 7.0.2
simrun "$root" "$script"
fails preflight-s17 "$root" preflight 'S17.*ks new'
sh "$SIM" build "$root" --version 6.7.0
simrun "$root" "$script"
fails preflight-family "$root" preflight "for ESXi 7.0U1, not 6.7.0.*--esxi 6.7"
mkdir -p "$WORK/empty"
ESXSIM_ROOT=$WORK/empty busybox sh "$script" >"$WORK/sim.out" 2>"$WORK/sim.err"
SRC=$?
SERR=$(cat "$WORK/sim.err")
check not-esxi '[ "$SRC" -ne 0 ] && grep -q "^vnest-seal: step preflight failed: .*esx.conf not found" <<<"$SERR"' \
    "status $SRC; $(oneline <<<"$SERR")"

# ==== running it twice is safe ===============================================

root=$WORK/sim-twice
sh "$SIM" build "$root" --version 7.0.1 --vsan-node-uuid
first_uuid=$(cat "$root/.esxsim/kernel-uuid")
simrun "$root" "$script"
rc1=$SRC
sh "$SIM" boot "$root" # the template powered on again: a new UUID
second_uuid=$(sed -n 's/^\/system\/uuid = "\(.*\)"$/\1/p' "$root/etc/vmware/esx.conf")
cp "$root/bootbank/boot.cfg" "$WORK/twice-boot.cfg"
: >"$root/.esxsim/log"
simrun "$root" "$script"
if [ "$rc1" -ne 0 ] || [ "$SRC" -ne 0 ]; then
    fail twice "status $rc1 then $SRC; $(oneline <<<"$SERR")"
elif [ -z "$second_uuid" ] || [ "$second_uuid" = "$first_uuid" ]; then
    fail twice "the boot after the seal kept UUID $first_uuid"
elif grep -Eq 'partedUtil delete|unmount|NodeUuid -d' "$root/.esxsim/log"; then
    fail twice "the second run deleted or reset again: $(oneline <"$root/.esxsim/log")"
elif ! cmp -s "$WORK/twice-boot.cfg" "$root/bootbank/boot.cfg" ||
    [ "$(grep -o allowLegacyCPU "$root/bootbank/boot.cfg" | wc -l)" -ne 1 ]; then
    fail twice "boot.cfg changed on the second run: $(kernelopt "$root/bootbank/boot.cfg")"
elif grep -q '^/system/uuid' "$root/etc/vmware/esx.conf" || [ "$(tail -1 "$root/.esxsim/log")" != poweroff ]; then
    fail twice "second run: uuid line left or no power-off"
elif ! grep -q 'already has allowLegacyCPU=true' <<<"$SOUT" || ! grep -q 'no VMFS datastore' <<<"$SOUT"; then
    fail twice "second run did not report the done steps: $(oneline <<<"$SOUT")"
else
    pass twice
fi
