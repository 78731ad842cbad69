#!/usr/bin/env bash
# End-to-end tests of `vnest ks new` and `vnest ks check`: the CLI and its
# exit codes, the root password file and hash (checked with openssl, an
# independent SHA-512 crypt), generated files checked clean for every
# release, the %post/%firstboot scripts checked by shellcheck and run under
# busybox sh against a SIMULATED ESXi root (recording stand-ins for esxcli,
# vim-cmd, vmtoolsd, partedUtil, vmkfstools, chkconfig, ntpd and
# auto-backup.sh), and the linter on the real kickstart files of the shared
# corpus.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
RELEASES="6.0 6.5 6.7 7.0 7.0U1 7.0U2 8.0 9.0"
PASSWORD='Lab!pass-7 x'

# no_password NAME FILE...: the clear password appears in none of the files.
no_password() {
    local name=$1 f
    shift
    for f in "$@"; do
        if grep -qF -- "$PASSWORD" "$f"; then
            fail "$name" "the clear password appears in $f"
            return
        fi
    done
    pass "$name"
}

# section FILE HEADER: the body of the first section whose header line
# starts with HEADER, up to the next line the installer treats as a
# section keyword.
section() {
    awk -v h="$2" '
        !on && index($0, h) == 1 { on = 1; next }
        on && /^(%pre|%post|%firstboot|%packages|%vmlicense_text|%include|include)/ { exit }
        on { print }' "$1"
}

pw=$WORK/pw
printf '%s\n' "$PASSWORD" >"$pw"
chmod 600 "$pw"

# ---- ks new: usage and the password file ----

run ks new --password-file "$pw"
err1 new-needs-esxi 2 "--esxi" "expected the ESXi release"
run ks new --esxi 8.0
err1 new-needs-password 2 "--password-file" "root password"
run ks new --esxi 5.5 --password-file "$pw"
err1 new-unknown-release 2 "--esxi" "unknown ESXi release"
run ks new --esxi 8.0 --password-file "$pw" --datastore local
err1 new-bad-datastore 2 "--datastore" "none or keep"
run ks new --esxi 8.0 --password-file "$pw" --network static
err1 new-bad-network 2 "--network" "dhcp or guestinfo"
run ks new --esxi 8.0 --password-file "$pw" --keyboard Germna
err1 new-keyboard-did-you-mean 2 "--keyboard" "did you mean 'German'"
run --json ks new --esxi 8.0 --password-file "$pw"
err1 new-json-needs-output 2 "--json" "-o FILE"

cp "$pw" "$WORK/pw644"
chmod 644 "$WORK/pw644"
run ks new --esxi 8.0 --password-file "$WORK/pw644" -o "$WORK/refused.cfg"
err1 new-password-0644-refused 2 "$WORK/pw644" "0644.*chmod 600"
if [ -e "$WORK/refused.cfg" ]; then fail new-password-0644-no-file "a kickstart was written"; else pass new-password-0644-no-file; fi
no_password new-password-0644-not-shown "$WORK/stdout" "$WORK/stderr"
: >"$WORK/pw-empty"
chmod 600 "$WORK/pw-empty"
run ks new --esxi 8.0 --password-file "$WORK/pw-empty"
err1 new-password-empty-refused 2 "$WORK/pw-empty" "empty"
run ks new --esxi 8.0 --password-file "$WORK/no-such-file"
err1 new-password-missing 2 "$WORK/no-such-file" "cannot read"

# ---- ks new: the file ----

out=$WORK/ks.cfg
run ks new --esxi 8.0 --password-file "$pw" --ssh --shell -o "$out"
expect new-writes-file 0 "wrote .*ks.cfg"
mode=$(stat -c %a "$out" 2>/dev/null)
if [ "$mode" = 600 ]; then pass new-file-mode-0600; else fail new-file-mode-0600 "mode $mode"; fi
no_password new-password-not-written "$out" "$WORK/stdout" "$WORK/stderr"
hash=$(awk '$1 == "rootpw" && $2 == "--iscrypted" { print $3 }' "$out")
salt=$(cut -d'$' -f3 <<<"$hash")
if ! have openssl; then
    skip new-hash-verifies "openssl not installed"
elif [ -n "$salt" ] && [ "$(openssl passwd -6 -salt "$salt" "$PASSWORD")" = "$hash" ]; then
    pass new-hash-verifies
else
    fail new-hash-verifies "rootpw hash '$hash' is not SHA-512 crypt of the password (salt '$salt')"
fi
if [ "${#salt}" -eq 16 ]; then pass new-salt-16-chars; else fail new-salt-16-chars "salt '$salt'"; fi
run ks new --esxi 8.0 --password-file "$pw" -o "$WORK/ks2.cfg"
hash2=$(awk '$1 == "rootpw" { print $3 }' "$WORK/ks2.cfg")
if [ -n "$hash2" ] && [ "$hash2" != "$hash" ]; then pass new-random-salt; else fail new-random-salt "same hash twice"; fi

for line in vmaccepteula "install --firstdisk --overwritevmfs --novmfsondisk" \
    "network --bootproto=dhcp --device=vmnic0 --addvmportgroup=0" reboot \
    "%firstboot --interpreter=busybox"; do
    if ! grep -qxF -- "$line" "$out"; then
        fail new-commands "missing line '$line'"
        break
    fi
done && pass new-commands

run --json ks new --esxi 7.0U1 --password-file "$pw" --legacy-cpu --network guestinfo \
    --vsan --keyboard 'us default' -o "$WORK/ks3.cfg"
json_ok new-json "d['file'].endswith('ks3.cfg') and d['esxi'] == '7.0U1' and d['legacy_cpu'] is True and d['network'] == 'guestinfo' and d['vsan'] is True and d['ssh'] is False and d['datastore'] == 'none' and d['keyboard'] == 'US Default' and d['route'] == 'fresh-install-or-template'"
if grep -q '\$6\$' <<<"$OUT"; then fail new-json-no-hash "the hash is in the JSON"; else pass new-json-no-hash; fi
if grep -qxF "keyboard 'US Default'" "$WORK/ks3.cfg" && grep -qxF "install --firstdisk --overwritevmfs --novmfsondisk --ignoressd" "$WORK/ks3.cfg"; then
    pass new-keyboard-and-vsan
else
    fail new-keyboard-and-vsan "$(grep -E '^(keyboard|install)' "$WORK/ks3.cfg" | oneline)"
fi

run ks new --esxi 8.0 --password-file "$pw"
if [[ $OUT == "# ESXi 8.0 kickstart"* ]] && grep -q '^rootpw --iscrypted \$6\$' <<<"$OUT"; then
    pass new-stdout
else
    fail new-stdout "$(head -c 200 <<<"$OUT")"
fi

# Atomic replacement: a crash before the rename leaves the old file.
printf 'old\n' >"$WORK/crash.cfg"
{
    VNEST_CRASH_AT=before-rename "$VNEST" ks new --esxi 8.0 --password-file "$pw" -o "$WORK/crash.cfg" >/dev/null 2>&1
    RC=$?
} 2>/dev/null
if [ "$RC" -eq 137 ] && [ "$(cat "$WORK/crash.cfg")" = old ]; then pass new-atomic; else fail new-atomic "exit $RC, content $(head -c 40 "$WORK/crash.cfg")"; fi

# ---- generated files check clean, and their scripts pass shellcheck ----

bad=() sc_bad=() n=0
for rel in $RELEASES; do
    for opts in "" "--ssh --shell" "--legacy-cpu --vsan" "--network guestinfo" \
        "--network guestinfo --ssh --shell --legacy-cpu --vsan --keyboard German"; do
        f=$WORK/gen-$n.cfg
        n=$((n + 1))
        # shellcheck disable=SC2086
        "$VNEST" -q ks new --esxi "$rel" --password-file "$pw" $opts -o "$f" || { bad+=("$rel $opts: ks new failed"); continue; }
        run ks check --esxi "$rel" "$f"
        [ "$RC" -eq 0 ] || bad+=("$rel $opts: exit $RC: $(oneline <<<"$OUT")")
        if have shellcheck; then
            for h in %post %firstboot; do
                section "$f" "$h" >"$f.$h.sh"
                [ -s "$f.$h.sh" ] || continue
                shellcheck -s sh "$f.$h.sh" >"$f.sc" 2>&1 || sc_bad+=("$rel $opts $h: $(oneline <"$f.sc")")
            done
        fi
    done
done
if [ "${#bad[@]}" -eq 0 ]; then pass "generated-check-clean ($n files)"; else fail generated-check-clean "${bad[*]}"; fi
if ! have shellcheck; then
    skip generated-shellcheck "shellcheck not installed"
elif [ "${#sc_bad[@]}" -eq 0 ]; then
    pass "generated-shellcheck ($n files)"
else
    fail generated-shellcheck "${sc_bad[*]}"
fi
"$VNEST" -q ks new --esxi 6.7 --password-file "$pw" --datastore keep -o "$WORK/keep.cfg"
run ks check --esxi 6.7 "$WORK/keep.cfg"
expect generated-keep-on-template-route-warns 1 "ks-vmfs-on-boot-disk"

# ---- the scripts, run under busybox sh in a simulated ESXi ----

# sim_setup DIR: a simulated ESXi root DIR/root and recording stand-ins in
# DIR/bin. Every stand-in appends one line to DIR/log: its name and its
# arguments (an argument with spaces in single quotes).
sim_setup() {
    local d=$1 tool
    rm -rf "$d"
    mkdir -p "$d/bin" "$d/bb" "$d/root/sbin" "$d/root/etc/init.d" "$d/root/bootbank" \
        "$d/root/altbootbank" "$d/root/vmfs/volumes/BOOTBANK1" "$d/root/vmfs/devices/disks"
    : >"$d/log"
    cat >"$d/record.sh" <<'EOF'
# SIMULATION helper: appends "NAME ARGS..." to $SIM/log.
record() {
    name=$1
    shift
    line=$name
    for a in "$@"; do
        case $a in
        *' '*) line="$line '$a'" ;;
        *) line="$line $a" ;;
        esac
    done
    echo "$line" >>"$SIM/log"
}
EOF
    for tool in esxcli vim-cmd vmtoolsd partedUtil vmkfstools chkconfig; do
        cat >"$d/bin/$tool" <<EOF
#!/bin/sh
# SIMULATION of ESXi's $tool for vnest's tests: records the call, answers
# from files under \$SIM.
. "\$SIM/record.sh"
record $tool "\$@"
EOF
    done
    cat >>"$d/bin/vmtoolsd" <<'EOF'
# info-get guestinfo.KEY: the value from $SIM/guestinfo (KEY=VALUE lines).
[ "$1" = --cmd ] || exit 1
case $2 in
"info-get guestinfo."*) key=${2#info-get guestinfo.} ;;
*) exit 1 ;;
esac
line=$(grep "^$key=" "$SIM/guestinfo" 2>/dev/null) || { echo "No value found" >&2; exit 1; }
printf '%s\n' "${line#*=}"
EOF
    cat >>"$d/bin/esxcli" <<'EOF'
# storage core device list -d NAME: an SSD when NAME is listed in $SIM/ssd.
if [ "$1 $2 $3 $4" = "storage core device list" ]; then
    if grep -qxF "$6" "$SIM/ssd" 2>/dev/null; then echo "   Is SSD: true"; else echo "   Is SSD: false"; fi
fi
exit 0
EOF
    cat >>"$d/bin/partedUtil" <<'EOF'
# getptbl: the table in $SIM/ptbl/NAME, else an empty GPT disk.
case $1 in
getptbl)
    name=${2##*/}
    if [ -f "$SIM/ptbl/$name" ]; then cat "$SIM/ptbl/$name"; else printf 'gpt\n2610 255 63 41943040\n'; fi ;;
getUsableSectors) echo "34 41943006" ;;
esac
exit 0
EOF
    printf '#!/bin/sh\n# SIMULATION of /sbin/auto-backup.sh\n. "$SIM/record.sh"\nrecord auto-backup.sh "$@"\n' >"$d/root/sbin/auto-backup.sh"
    printf '#!/bin/sh\n# SIMULATION of /etc/init.d/ntpd\n. "$SIM/record.sh"\nrecord ntpd "$@"\n' >"$d/root/etc/init.d/ntpd"
    chmod +x "$d"/bin/* "$d/root/sbin/auto-backup.sh" "$d/root/etc/init.d/ntpd"
    # The text tools the scripts use are busybox applets on ESXi.
    for tool in sed grep awk wc tr cat printf echo sleep; do
        ln -s "$(command -v busybox)" "$d/bb/$tool"
    done
    cat >"$d/boot.cfg" <<'EOF'
bootstate=0
title=Loading VMware ESXi
timeout=5
prefix=
kernel=b.b00
kernelopt=autoPartition=FALSE
modules=jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- state.tgz
build=8.0.3-0.0.24022510
updated=2
EOF
    cp "$d/boot.cfg" "$d/root/bootbank/boot.cfg"
    sed 's/^kernelopt=.*/kernelopt=autoPartition=FALSE allowLegacyCPU=false/' "$d/boot.cfg" >"$d/root/altbootbank/boot.cfg"
    cp "$d/boot.cfg" "$d/root/vmfs/volumes/BOOTBANK1/boot.cfg"
    # Disks: the boot disk (partitioned), a vSAN flash disk, an empty disk.
    for disk in mpx.vmhba0:C0:T0:L0 mpx.vmhba0:C0:T0:L0:1 mpx.vmhba0:C0:T0:L0:5 \
        mpx.vmhba0:C0:T1:L0 mpx.vmhba0:C0:T2:L0 vml.0000000000766d686261303a303a30; do
        : >"$d/root/vmfs/devices/disks/$disk"
    done
    mkdir -p "$d/ptbl"
    printf 'gpt\n2610 255 63 41943040\n1 64 204863 C12A7328F81F11D2BA4B00A0C93EC93B systemPartition 128\n5 208896 8595455 EBD0A0A2B9E5443387C068B6B72699C7 linuxNative 0\n' >"$d/ptbl/mpx.vmhba0:C0:T0:L0"
    echo mpx.vmhba0:C0:T1:L0 >"$d/ssd"
}

# sim_run DIR SCRIPT: runs SCRIPT under busybox sh with the stand-ins first
# on PATH and VNEST_ROOT at the simulated root; output in DIR/out.
sim_run() {
    (cd "$1" && SIM=$1 VNEST_ROOT=$1/root PATH="$1/bin:$1/bb:$PATH" busybox sh "$2" >"$1/out" 2>&1)
}

# same_log NAME DIR EXPECTED: the recorded calls are exactly EXPECTED.
same_log() {
    if diff -u <(printf '%s\n' "$3") "$2/log" >"$2/diff"; then
        pass "$1"
    else
        fail "$1" "recorded calls differ: $(grep '^[-+][^-+]' "$2/diff" | oneline)"
    fi
}

if ! have busybox; then
    skip firstboot-simulation "busybox not installed"
else
    # 1. guestinfo identity, shell, vSAN, legacy CPU on 8.0.
    sim=$WORK/sim1
    sim_setup "$sim"
    cat >"$sim/guestinfo" <<'EOF'
hostname=esx-07
domain=lab.local
ipaddress=192.0.2.17
netmask=255.255.255.0
gateway=192.0.2.1
dns=192.0.2.53,192.0.2.54
ntp=pool.ntp.org
vlan=20
ssh=True
createvmfs=true
EOF
    "$VNEST" -q ks new --esxi 8.0 --password-file "$pw" --network guestinfo --shell --vsan \
        --legacy-cpu -o "$sim/ks.cfg"
    section "$sim/ks.cfg" %firstboot >"$sim/firstboot.sh"
    section "$sim/ks.cfg" %post >"$sim/post.sh"
    if sim_run "$sim" "$sim/firstboot.sh"; then pass firstboot-runs; else fail firstboot-runs "exit $?: $(tail -5 "$sim/out" | oneline)"; fi
    same_log firstboot-guestinfo-commands "$sim" "esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1
vmtoolsd --cmd 'info-get guestinfo.hostname'
vmtoolsd --cmd 'info-get guestinfo.ipaddress'
vmtoolsd --cmd 'info-get guestinfo.netmask'
vmtoolsd --cmd 'info-get guestinfo.gateway'
vmtoolsd --cmd 'info-get guestinfo.dns'
vmtoolsd --cmd 'info-get guestinfo.domain'
vmtoolsd --cmd 'info-get guestinfo.ntp'
vmtoolsd --cmd 'info-get guestinfo.vlan'
vmtoolsd --cmd 'info-get guestinfo.ssh'
vmtoolsd --cmd 'info-get guestinfo.createvmfs'
esxcli system hostname set --fqdn=esx-07.lab.local
esxcli network vswitch standard portgroup set -p 'Management Network' -v 20
esxcli network ip interface ipv4 set -i vmk0 -t static -I 192.0.2.17 -N 255.255.255.0
esxcli network ip route ipv4 add -n default -g 192.0.2.1
esxcli network ip dns server add -s 192.0.2.53
esxcli network ip dns server add -s 192.0.2.54
esxcli network ip dns search add -d lab.local
esxcli system ntp set -s pool.ntp.org -e true
vim-cmd hostsvc/runtimeinfo
vim-cmd hostsvc/enable_ssh
vim-cmd hostsvc/start_ssh
vim-cmd hostsvc/runtimeinfo
vim-cmd hostsvc/enable_esx_shell
vim-cmd hostsvc/start_esx_shell
esxcli system settings advanced set -o /UserVars/SuppressShellWarning -i 1
esxcli vsan network ip add -i vmk0
esxcli storage core device list -d mpx.vmhba0:C0:T0:L0
partedUtil getptbl /vmfs/devices/disks/mpx.vmhba0:C0:T0:L0
esxcli storage core device list -d mpx.vmhba0:C0:T1:L0
esxcli storage core device list -d mpx.vmhba0:C0:T2:L0
partedUtil getptbl /vmfs/devices/disks/mpx.vmhba0:C0:T2:L0
partedUtil getUsableSectors /vmfs/devices/disks/mpx.vmhba0:C0:T2:L0
partedUtil setptbl /vmfs/devices/disks/mpx.vmhba0:C0:T2:L0 gpt '1 2048 41943006 AA31E02A400F11DB9590000C2911D1B8 0'
vmkfstools -C vmfs6 -S esx-07-local /vmfs/devices/disks/mpx.vmhba0:C0:T2:L0:1
auto-backup.sh"
    if grep -q FAILED "$sim/out"; then fail firstboot-no-failures "$(grep FAILED "$sim/out" | oneline)"; else pass firstboot-no-failures; fi

    # boot.cfg: allowLegacyCPU=true added to kernelopt in both banks, the
    # rest untouched; a second run changes nothing.
    want=$(sed 's/^kernelopt=.*/kernelopt=autoPartition=FALSE allowLegacyCPU=true/' "$sim/boot.cfg")
    if [ "$(cat "$sim/root/bootbank/boot.cfg")" = "$want" ] && [ "$(cat "$sim/root/altbootbank/boot.cfg")" = "$want" ]; then
        pass firstboot-bootcfg-legacy-cpu
    else
        fail firstboot-bootcfg-legacy-cpu "$(diff <(printf '%s\n' "$want") "$sim/root/bootbank/boot.cfg" | oneline) / $(diff <(printf '%s\n' "$want") "$sim/root/altbootbank/boot.cfg" | oneline)"
    fi
    cp "$sim/root/bootbank/boot.cfg" "$sim/bb1" && cp "$sim/root/altbootbank/boot.cfg" "$sim/bb2"
    : >"$sim/log"
    sim_run "$sim" "$sim/firstboot.sh"
    if cmp -s "$sim/bb1" "$sim/root/bootbank/boot.cfg" && cmp -s "$sim/bb2" "$sim/root/altbootbank/boot.cfg" &&
        [ "$(grep -c allowLegacyCPU "$sim/root/bootbank/boot.cfg")" -eq 1 ] &&
        [ "$(grep -o allowLegacyCPU "$sim/root/altbootbank/boot.cfg" | wc -l)" -eq 1 ]; then
        pass firstboot-bootcfg-idempotent
    else
        fail firstboot-bootcfg-idempotent "second run changed boot.cfg: $(diff "$sim/bb1" "$sim/root/bootbank/boot.cfg" | oneline)"
    fi

    # %post: the new boot bank of the installer; the missing second bank is skipped.
    : >"$sim/log"
    if sim_run "$sim" "$sim/post.sh" && [ "$(cat "$sim/root/vmfs/volumes/BOOTBANK1/boot.cfg")" = "$want" ] &&
        grep -q 'BOOTBANK2/boot.cfg not found, skipped' "$sim/out" && [ ! -s "$sim/log" ]; then
        pass post-bootbank-legacy-cpu
    else
        fail post-bootbank-legacy-cpu "$(oneline <"$sim/out")"
    fi

    # 2. DHCP with SSH on 6.7: the few commands, in order.
    sim=$WORK/sim2
    sim_setup "$sim"
    "$VNEST" -q ks new --esxi 6.7 --password-file "$pw" --ssh -o "$sim/ks.cfg"
    section "$sim/ks.cfg" %firstboot >"$sim/firstboot.sh"
    sim_run "$sim" "$sim/firstboot.sh"
    same_log firstboot-dhcp-ssh-commands "$sim" "esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1
vim-cmd hostsvc/runtimeinfo
vim-cmd hostsvc/enable_ssh
vim-cmd hostsvc/start_ssh
esxcli system settings advanced set -o /UserVars/SuppressShellWarning -i 1
auto-backup.sh"
    if cmp -s "$sim/boot.cfg" "$sim/root/bootbank/boot.cfg"; then pass firstboot-no-legacy-cpu-no-edit; else fail firstboot-no-legacy-cpu-no-edit "boot.cfg changed without --legacy-cpu"; fi

    # 3. guestinfo on 6.7: a short host name, NTP through ntp.conf (no
    # 'esxcli system ntp' there), an address without netmask stays DHCP,
    # ssh=false and createvmfs unset do nothing.
    sim=$WORK/sim3
    sim_setup "$sim"
    printf 'hostname=esx-08\nipaddress=192.0.2.18\nntp=10.0.0.1\nssh=false\nvlan=null\n' >"$sim/guestinfo"
    "$VNEST" -q ks new --esxi 6.7 --password-file "$pw" --network guestinfo -o "$sim/ks.cfg"
    section "$sim/ks.cfg" %firstboot >"$sim/firstboot.sh"
    sim_run "$sim" "$sim/firstboot.sh"
    sim_run "$sim" "$sim/firstboot.sh" # twice: ntp.conf gets the server once
    one="esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1
vmtoolsd --cmd 'info-get guestinfo.hostname'
vmtoolsd --cmd 'info-get guestinfo.ipaddress'
vmtoolsd --cmd 'info-get guestinfo.netmask'
vmtoolsd --cmd 'info-get guestinfo.gateway'
vmtoolsd --cmd 'info-get guestinfo.dns'
vmtoolsd --cmd 'info-get guestinfo.domain'
vmtoolsd --cmd 'info-get guestinfo.ntp'
vmtoolsd --cmd 'info-get guestinfo.vlan'
vmtoolsd --cmd 'info-get guestinfo.ssh'
vmtoolsd --cmd 'info-get guestinfo.createvmfs'
esxcli system hostname set --host=esx-08
esxcli network firewall ruleset set -r ntpClient -e true
chkconfig ntpd on
ntpd restart
auto-backup.sh"
    same_log firstboot-guestinfo-67-commands "$sim" "$one
$one"
    if [ "$(cat "$sim/root/etc/ntp.conf" 2>/dev/null)" = "server 10.0.0.1" ]; then pass firstboot-ntp-conf-once; else fail firstboot-ntp-conf-once "ntp.conf: $(oneline <"$sim/root/etc/ntp.conf")"; fi
    if grep -q 'without guestinfo.netmask: vmk0 stays on DHCP' "$sim/out"; then pass firstboot-ip-without-netmask; else fail firstboot-ip-without-netmask "$(oneline <"$sim/out")"; fi
fi

# ---- ks check: CLI ----

cat >"$WORK/typo.cfg" <<'EOF'
vmaccepteula
rootpw Clear-Text-Pw1
instal --firstdisk
install --firstdisk --overwritevfms
EOF
run ks check "$WORK/typo.cfg"
expect check-did-you-mean-command 1 'typo.cfg:3: warning: unknown command "instal" \(did you mean install\?\)'
expect check-did-you-mean-option 1 'typo.cfg:4: warning: install: unknown argument "--overwritevfms" \(did you mean --overwritevmfs\?\)'
expect check-cleartext 1 'typo.cfg:2: warning: .*clear text.*\[ks-cleartext-rootpw\]'
if grep -q Clear-Text-Pw1 <<<"$OUT$ERR"; then fail check-password-not-shown "the clear password is in the output"; else pass check-password-not-shown; fi
run --json ks check --esxi 7.0U1 "$WORK/typo.cfg"
json_ok check-json "d['clean'] is False and d['files'][0]['esxi'] == '7.0U1' and any(f['rule'] == 'ks-unknown-command' and f['line'] == 3 and f['wanted'] == 'install' for f in d['files'][0]['findings']) and any(f['rule'] == 'ks-vmfs-on-boot-disk' and f['severity'] == 'warning' for f in d['files'][0]['findings']) and d['files'][0]['summary']['warnings'] >= 3"
if [ "$RC" -eq 1 ]; then pass check-json-exit-1; else fail check-json-exit-1 "exit $RC"; fi
run ks check "$WORK/ks.cfg"
expect check-generated-clean 0 "info"

run ks check "$WORK/no-such.cfg"
err1 check-missing-file 2 "$WORK/no-such.cfg" "cannot read"
printf 'vmaccepteula\nrootpw x\000y\n' >"$WORK/bin.cfg"
run ks check "$WORK/bin.cfg"
err1 check-binary-file 2 "$WORK/bin.cfg:2" "NUL byte"
run ks check "$WORK"
err1 check-directory 2 "$WORK" "directory"
run ks check --esxi 4.1 "$WORK/typo.cfg"
err1 check-unknown-release 2 "--esxi" "unknown ESXi release"
run ks check
expect check-needs-file 2 "missing argument"

# ---- ks check: the real kickstart files of the shared corpus ----

if [ -n "${VNEST_CORPUS:-}" ] && [ -d "$VNEST_CORPUS/ks" ]; then
    bad_status=() bad_json=() nfiles=0
    for f in "$VNEST_CORPUS"/ks/*; do
        [ -f "$f" ] || continue
        nfiles=$((nfiles + 1))
        for rel in "" 6.7 8.0; do
            if [ -n "$rel" ]; then run ks check --esxi "$rel" "$f"; else run ks check "$f"; fi
            [ "$RC" -le 1 ] || bad_status+=("$(basename "$f") ${rel:-any} (exit $RC: $(oneline <<<"$ERR"))")
        done
        run --json ks check "$f"
        if ! "$PY" -c 'import json, sys; d = json.load(sys.stdin); assert isinstance(d["files"][0]["findings"], list)' <<<"$OUT" 2>/dev/null; then
            bad_json+=("$(basename "$f")")
        fi
    done
    if [ "$nfiles" -eq 0 ]; then
        skip corpus "no files in $VNEST_CORPUS/ks"
    else
        if [ "${#bad_status[@]}" -eq 0 ]; then pass "corpus-check-status ($nfiles files)"; else fail corpus-check-status "${bad_status[*]}"; fi
        if [ "${#bad_json[@]}" -eq 0 ]; then pass "corpus-check-json ($nfiles files)"; else fail corpus-check-json "invalid JSON for: ${bad_json[*]}"; fi
    fi
    c=$VNEST_CORPUS/ks
    run ks check "$c/frapposelli__esxi-packer-templates__scripts__esxi-kickstart.cfg"
    expect corpus-cleartext-rootpw 1 ':7: warning: .*\[ks-cleartext-rootpw\]'
    if grep -qF 'Vagrant!23' <<<"$OUT$ERR"; then fail corpus-password-not-shown "the corpus file's password is in the output"; else pass corpus-password-not-shown; fi
    run ks check "$c/tacobayle__nestedEsxiVcenter__ks_cust.cfg.0"
    expect corpus-unquoted-keyboard 1 ":14: warning: keyboard: the layout name is not quoted.*'US Default'"
    run --json ks check --esxi 8.0 "$c/rdronov__Automation__KS.CFG"
    json_ok corpus-md5-hash-clean "d['clean'] is True and all(f['severity'] == 'info' for f in d['files'][0]['findings'])"
    run ks check "$c/cobbler__cobbler__cobbler__data__templates__cheetah__autoinstall__sample_esxi5.ks.template"
    expect corpus-template-placeholder 1 ':8: error: rootpw --iscrypted: .*placeholder'
    run ks check "$c/sagbash__vmware_autoinstaller_rhel9__ks.cfg"
    expect corpus-include-makes-missing-info 1 'info: no install, upgrade or installorupgrade command.*included on line 6'
else
    skip corpus "shared corpus not present (../shared/corpus)"
fi

exit 0
