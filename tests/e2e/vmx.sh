#!/usr/bin/env bash
# End-to-end tests of `vnest vmx check|fix|new`: new VMs checked by vnest and
# by independent readers (qemu-img for the disks, libvirt's VMX parser for the
# .vmx), fixing a bad VMX in place, template sealing, the lock guard, crash
# atomicity, bad input, and the real-world files of the shared corpus.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# same NAME FILE COPY: FILE is byte-identical to COPY.
same() {
    if [ ! -e "$2" ]; then
        fail "$1" "$2 does not exist"
    elif cmp -s "$2" "$3"; then
        pass "$1"
    else
        fail "$1" "$2 differs from $3: $(diff "$3" "$2" | oneline)"
    fi
}

# pycheck NAME SCRIPT [ARGS...]: a Python check reading $OUT on stdin; it
# exits 0 when the property holds, else prints why.
pycheck() {
    local name=$1 script=$2 why
    shift 2
    if why=$("$PY" -c "$script" "$@" <<<"$OUT" 2>&1); then
        pass "$name"
    else
        fail "$name" "$(oneline <<<"$why")"
    fi
}

# sig FILE: inode, size and modification time (nanoseconds): any rewrite,
# atomic (new inode) or in place (new mtime), changes it.
sig() { stat -c '%i %s %y' "$1" 2>/dev/null; }

# crash POINT ARGS...: runs vnest with VNEST_CRASH_AT=POINT; the shell's
# "Killed" notice is kept off the test's stderr.
crash() {
    local point=$1
    shift
    {
        VNEST_CRASH_AT=$point "$VNEST" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
        RC=$?
    } 2>/dev/null
    OUT=$(cat "$WORK/stdout")
    ERR=$(cat "$WORK/stderr")
}

killed() { # NAME: the last command died of SIGKILL
    if [ "$RC" -eq 137 ]; then
        pass "$1"
    else
        fail "$1" "exit status $RC, expected 137 (SIGKILL at the crash point)"
    fi
}

# ==== vmx new, read back by vnest, qemu-img and libvirt ====================

iso=$WORK/esxi-installer.iso
: >"$iso"
shim=$WORK/shim
mkdir -p "$shim"
printf '#!/bin/sh\nexit 0\n' >"$shim/vmrun"
printf '#!/bin/sh\necho "VMware Player 16.2.0 build-18760230"\n' >"$shim/vmplayer"
chmod +x "$shim/vmrun" "$shim/vmplayer"

# Independent check of libvirt's domain XML (stdin): firmware, NIC models,
# SCSI controller model, memory, vCPUs and the disks.
# shellcheck disable=SC2016 # Python source, not shell
libvirt_xml_check='
import sys, xml.etree.ElementTree as ET
mem_mib, cpus, nics, disks = (int(a) for a in sys.argv[1:5])
d = ET.fromstring(sys.stdin.read())
bad = []
fw = d.find("os").get("firmware")
if fw != "efi": bad.append("firmware %r" % fw)
models = [i.find("model").get("type") for i in d.iter("interface")]
if models != ["vmxnet3"] * nics: bad.append("NIC models %r" % models)
scsi = [c.get("model") for c in d.iter("controller") if c.get("type") == "scsi"]
if scsi != ["vmpvscsi"]: bad.append("SCSI controllers %r" % scsi)
m = d.find("memory")
kib = int(m.text) * {"KiB": 1, "MiB": 1024, "GiB": 1024 * 1024}[m.get("unit", "KiB")]
if kib != mem_mib * 1024: bad.append("memory %d KiB" % kib)
if int(d.find("vcpu").text) != cpus: bad.append("vcpu %s" % d.find("vcpu").text)
hd = [x for x in d.iter("disk") if x.get("device") == "disk"]
if len(hd) != disks: bad.append("%d disks" % len(hd))
if bad: sys.exit("; ".join(bad))
'

# release | extra options | memory MiB | vCPUs | boot disk GiB
for spec in "6.7||4096|2|8" "7.0U3|--cpus 4 --memory 12G|12288|4|32" "8.0|--boot-disk 40G|8192|2|40"; do
    IFS='|' read -r rel extra mem cpus boot <<<"$spec"
    dir=$WORK/new-$rel
    name=esxi-$rel
    vmx=$dir/$name.vmx
    # shellcheck disable=SC2086 # extra options split on purpose
    run --json vmx new "$dir" --name "$name" --esxi "$rel" $extra --vsan-cache 20G \
        --vsan-capacity 100G --iso "$iso" --nics 2 --network "VM Network"
    expect "new-$rel" 0
    json_ok "new-$rel-json" "d['vmx'] == '$vmx' and len(d['files']) == 4 and all(__import__('os').path.isfile(f) for f in d['files'])"

    run vmx check "$vmx"
    expect "new-$rel-check" 0 'no findings'
    run --json vmx check "$vmx"
    expect "new-$rel-check-json-status" 0
    json_ok "new-$rel-check-json" "d['files'][0]['findings'] == [] and d['clean'] is True"
    run vmx check --esxi "$rel" "$vmx"
    expect "new-$rel-check-esxi" 0 'no findings'

    if have qemu-img; then
        for disk in ":$boot" "-vsan-cache:20" "-vsan-capacity:100"; do
            suffix=${disk%%:*} gib=${disk##*:}
            f=$dir/$name$suffix.vmdk
            tag=new-$rel-vmdk${suffix:--boot}
            if qemu-img check -f vmdk "$f" >"$WORK/qi" 2>&1; then
                pass "$tag-qemu-img-check"
            else
                fail "$tag-qemu-img-check" "$(oneline <"$WORK/qi")"
            fi
            OUT=$(qemu-img info -f vmdk --output=json "$f" 2>&1)
            json_ok "$tag-size" "d['virtual-size'] == $gib * 2**30 and d['format'] == 'vmdk'"
        done
    else
        skip "new-$rel-vmdk" "qemu-img not installed (qemu-utils)"
    fi

    if have virsh; then
        if OUT=$(PATH=$shim:$PATH virsh -q -c vmwareplayer:///session \
            domxml-from-native vmware-vmx "$vmx" 2>&1); then
            pass "new-$rel-libvirt-parses"
            pycheck "new-$rel-libvirt-domain" "$libvirt_xml_check" "$mem" "$cpus" 2 3
        else
            fail "new-$rel-libvirt-parses" "$(oneline <<<"$OUT")"
        fi
    else
        skip "new-$rel-libvirt" "virsh not installed (libvirt-clients)"
    fi
done

# ==== check and fix a VMX that breaks the profile ===========================

# Odd but valid formatting, so "only changed lines change" means something.
bad_vmx() {
    cat <<'EOF'
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName=bad-vm
# a comment that must survive
  annotation = "kept|0Aas is"   # trailing comment
guestOS = "other-64"
numvcpus = "1"
memsize = "2048"

ethernet0.present = "TRUE"
ethernet0.virtualDev = "e1000"
ethernet0.addressType = "generated"
EOF
    if [ "$1" = disk ]; then
        cat <<'EOF'
scsi0.present = "TRUE"
scsi0.virtualDev = "lsilogic"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "bad.vmdk"
EOF
    fi
}

mkdir -p "$WORK/bad" "$WORK/nodisk"
b=$WORK/bad/bad.vmx
bad_vmx disk >"$b"
cp "$b" "$WORK/bad.copy"

run vmx check "$b"
expect "bad-check-status" 1
missing=()
for id in guest-os nested-hv cpu-count memory-min nic-vmxnet3 storage-pvscsi firmware-efi; do
    grep -Eq "^(error|warning) +$id " <<<"$OUT" || missing+=("$id")
done
if [ "${#missing[@]}" -eq 0 ]; then
    pass "bad-check-names-rules"
else
    fail "bad-check-names-rules" "rules not reported: ${missing[*]}"
fi

run --json vmx check "$b"
expect "bad-check-json-status" 1
json_ok "bad-check-json-rules" '{"guest-os", "nested-hv", "cpu-count", "memory-min", "nic-vmxnet3", "storage-pvscsi", "firmware-efi"} <= {f["rule"] for f in d["files"][0]["findings"]} and d["clean"] is False'
# Line numbers, against an independent reading of the file: the line of the
# key when it is present, null when it is absent.
# shellcheck disable=SC2016
pycheck "bad-check-json-lines" '
import json, sys
lines = {}
for n, l in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    s = l.strip()
    if s and not s.startswith("#") and "=" in s:
        lines[s.split("=")[0].strip().lower()] = n
d = json.loads(sys.stdin.read())
bad = [(f["key"], f["line"]) for f in d["files"][0]["findings"] if f["line"] != lines.get(f["key"].lower())]
if bad: sys.exit("wrong line numbers: %r" % bad)
if lines["guestos"] not in [f["line"] for f in d["files"][0]["findings"]]: sys.exit("no guestOS line")
' "$b"
json_ok "bad-check-json-manual-firmware" 'any(f["rule"] == "firmware-efi" and f["fixable"] is False and f["note"] for f in d["files"][0]["findings"])'

run vmx fix --dry-run "$b"
expect "bad-dry-run-status" 1 'would set'
same "bad-dry-run-unchanged" "$b" "$WORK/bad.copy"
if [ -e "$b.orig" ]; then fail "bad-dry-run-no-orig" "$b.orig created"; else pass "bad-dry-run-no-orig"; fi
run --json vmx fix --dry-run "$b"
json_ok "bad-dry-run-json" 'd["dry_run"] is True and d["written"] is False and d["changed"] == 7 and d["backup"] is None'

run vmx fix "$b"
expect "bad-fix-status" 1 'firmware'
same "bad-fix-orig" "$b.orig" "$WORK/bad.copy"
if cmp -s "$b" "$WORK/bad.copy"; then fail "bad-fix-wrote" "$b unchanged"; else pass "bad-fix-wrote"; fi
# Every line of the original whose key was not changed is still there, byte
# for byte and in place; changed keys keep their spelling; new keys follow.
# shellcheck disable=SC2016
pycheck "bad-fix-only-changed-lines" '
import sys
a = open(sys.argv[1], "rb").read().splitlines(keepends=True)
b = open(sys.argv[2], "rb").read().splitlines(keepends=True)
changed = {"guestos", "numvcpus", "memsize", "ethernet0.virtualdev", "scsi0.virtualdev"}
added = {"vhv.enable", "disk.enableuuid"}
def key(l):
    s = l.strip()
    return s.split(b"=")[0].strip().decode().lower() if s and not s.startswith(b"#") else None
if len(b) != len(a) + len(added): sys.exit("%d lines, expected %d" % (len(b), len(a) + len(added)))
for i, l in enumerate(a):
    if key(l) in changed:
        if key(b[i]) != key(l) or b[i] == l or not b[i].endswith(b"\n"): sys.exit("line %d: %r" % (i + 1, b[i]))
    elif b[i] != l:
        sys.exit("line %d changed: %r -> %r" % (i + 1, l, b[i]))
if {key(l) for l in b[len(a):]} != added: sys.exit("appended: %r" % b[len(a):])
' "$WORK/bad.copy" "$b"

run vmx check "$b"
expect "bad-after-fix-check-status" 1
pycheck "bad-after-fix-only-manual" 'import sys; o = sys.stdin.read(); sys.exit(0 if "1 finding" in o and "[manual]" in o and "firmware-efi" in o else o)'
run --json vmx check "$b"
json_ok "bad-after-fix-json" '[(f["rule"], f["fixable"]) for f in d["files"][0]["findings"]] == [("firmware-efi", False)]'

before=$(sig "$b") before_orig=$(sig "$b.orig")
cp "$b" "$WORK/bad.fixed"
run vmx fix "$b"
expect "bad-second-fix-status" 1 'nothing to change'
same "bad-second-fix-bytes" "$b" "$WORK/bad.fixed"
same "bad-second-fix-orig-bytes" "$b.orig" "$WORK/bad.copy"
if [ "$(sig "$b")" = "$before" ] && [ "$(sig "$b.orig")" = "$before_orig" ]; then
    pass "bad-second-fix-untouched"
else
    fail "bad-second-fix-untouched" "rewritten: $before -> $(sig "$b"); orig $before_orig -> $(sig "$b.orig")"
fi

# Without a disk the firmware can be switched too, so fix ends clean.
n=$WORK/nodisk/nodisk.vmx
bad_vmx none >"$n"
run vmx fix "$n"
expect "nodisk-fix-status" 0 'wrote'
run vmx check "$n"
expect "nodisk-after-fix-check" 0 'no findings'
if grep -qx 'firmware = "efi"' "$n"; then pass "nodisk-fix-sets-efi"; else fail "nodisk-fix-sets-efi" "no firmware = \"efi\" line"; fi

# A CRLF file gets CRLF lines appended.
c=$WORK/crlf.vmx
bad_vmx none | sed 's/$/\r/' >"$c"
run vmx fix "$c"
expect "crlf-fix-status" 0
if [ "$(grep -c $'\r$' "$c")" -eq "$(wc -l <"$c")" ]; then
    pass "crlf-fix-keeps-crlf"
else
    fail "crlf-fix-keeps-crlf" "some lines end without CR"
fi

# ==== templates ==============================================================

tmpl_vmx() {
    cat <<'EOF'
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "18"
displayName = "tmpl"
guestOS = "vmkernel7"
numvcpus = "2"
memsize = "8192"
firmware = "efi"
vhv.enable = "TRUE"
disk.EnableUUID = "TRUE"
uuid.bios = "56 4d 12 34 56 78 9a bc-de f0 12 34 56 78 9a bc"
vc.uuid = "52 11 22 33 44 55 66 77-88 99 aa bb cc dd ee ff"
bios.forceSetupOnce = "TRUE"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "tmpl.vmdk"
sata0.present = "TRUE"
sata0:0.present = "TRUE"
sata0:0.deviceType = "cdrom-image"
sata0:0.fileName = "/isos/esxi.iso"
sata0:0.startConnected = "TRUE"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.addressType = "generated"
ethernet0.generatedAddress = "00:0c:29:12:34:56"
EOF
}
seal_keys='{"uuid.bios", "vc.uuid", "ethernet0.generatedAddress", "bios.forceSetupOnce", "sata0:0.startConnected"}'
mkdir -p "$WORK/t71" "$WORK/t80"
t71=$WORK/t71/tmpl.vmx t80=$WORK/t80/tmpl.vmx
tmpl_vmx >"$t71"
tmpl_vmx >"$t80"

run vmx check "$t71"
expect "template-as-host-clean" 0 'no findings'
run vmx check --role template --esxi 7.0U1 "$t71"
expect "template-check-status" 1 'no-instance-identity'
run --json vmx check --role template --esxi 7.0U1 "$t71"
json_ok "template-check-json" "{f['key'] for f in d['files'][0]['findings']} == $seal_keys and d['files'][0]['role'] == 'template'"

run vmx fix --role template --esxi 7.0U1 "$t71"
expect "template-7.0U1-fix-status" 0
if grep -Eiq '^(uuid\.bios|vc\.uuid|ethernet0\.generatedAddress|bios\.forceSetupOnce) ' "$t71"; then
    fail "template-7.0U1-fix-removes-identity" "$(grep -Ei '^(uuid|vc|ethernet0\.gen|bios)' "$t71" | oneline)"
else
    pass "template-7.0U1-fix-removes-identity"
fi
if grep -qx 'sata0:0.startConnected = "FALSE"' "$t71"; then
    pass "template-7.0U1-fix-disconnects-iso"
else
    fail "template-7.0U1-fix-disconnects-iso" "$(grep -i startConnected "$t71" | oneline)"
fi
run vmx check --role template --esxi 7.0U1 "$t71"
expect "template-7.0U1-after-fix-clean" 0 'no findings'

run --json vmx check --role template --esxi 8.0 "$t80"
json_ok "template-8.0-check-clone-policy" "any(f['rule'] == 'clone-policy' and f['fixable'] is False for f in d['files'][0]['findings']) and $seal_keys <= {f['key'] for f in d['files'][0]['findings']}"
run --json vmx fix --role template --esxi 8.0 "$t80"
expect "template-8.0-fix-status" 1
json_ok "template-8.0-fix-remaining" '[(f["rule"], f["fixable"]) for f in d["remaining"]] == [("clone-policy", False)] and d["written"] is True'
# What is left to do points into the file as written (lines above it went).
json_ok "template-8.0-fix-remaining-line" "d['remaining'][0]['line'] == $(grep -n '^scsi0:0\.fileName ' "$t80" | cut -d: -f1)"
run vmx check --role template --esxi 8.0 "$t80"
expect "template-8.0-after-fix" 1 'clone-policy.*\[manual\]'
if grep -Eiq '^(uuid\.bios|vc\.uuid|ethernet0\.generatedAddress|bios\.forceSetupOnce) ' "$t80"; then
    fail "template-8.0-fix-removes-identity" "identity keys left"
else
    pass "template-8.0-fix-removes-identity"
fi

# ==== a running VM ============================================================

mkdir -p "$WORK/run"
r=$WORK/run/run.vmx
bad_vmx disk >"$r"
cp "$r" "$WORK/run.copy"
mkdir "$WORK/run/run.vmx.lck"
run vmx fix "$r"
err1 "locked-fix-refused" 3 "$r" 'run\.vmx\.lck'
same "locked-fix-unchanged" "$r" "$WORK/run.copy"
if [ -e "$r.orig" ]; then fail "locked-fix-no-orig" "$r.orig created"; else pass "locked-fix-no-orig"; fi
run vmx fix --dry-run "$r"
expect "locked-dry-run" 1 'would set'
same "locked-dry-run-unchanged" "$r" "$WORK/run.copy"
run vmx fix --force "$r"
expect "locked-force-status" 1 'wrote'
same "locked-force-orig" "$r.orig" "$WORK/run.copy"
run vmx check "$r"
expect "locked-force-result" 1 '1 finding'

mkdir -p "$WORK/run2"
r2=$WORK/run2/run2.vmx
bad_vmx disk >"$r2"
: >"$WORK/run2/.lck-0123456789abcdef"
run vmx fix "$r2"
err1 "locked-other-lock-name" 3 "$r2" '\.lck-'

# ==== atomicity: killed at the crash points ===================================

# The reference result: a fix run to its end.
mkdir -p "$WORK/ref"
bad_vmx disk >"$WORK/ref/a.vmx"
"$VNEST" -q vmx fix "$WORK/ref/a.vmx" >/dev/null 2>&1
fixed=$WORK/ref/a.vmx

# A first fix writes FILE.vmx.orig and then FILE.vmx, each by the same
# write-then-rename, so a crash point fires at the first of them.
mkdir -p "$WORK/crash1" "$WORK/crash2" "$WORK/crash3" "$WORK/crash4"
c1=$WORK/crash1/a.vmx
bad_vmx disk >"$c1"
crash before-rename vmx fix "$c1"
killed "crash-fix-before-rename-killed"
same "crash-fix-before-rename-original" "$c1" "$WORK/bad.copy"
if [ -e "$c1.orig" ]; then fail "crash-fix-before-rename-no-orig" "$c1.orig exists"; else pass "crash-fix-before-rename-no-orig"; fi
run vmx fix "$c1"
expect "crash-fix-rerun-status" 1 'wrote'
same "crash-fix-rerun-result" "$c1" "$fixed"
same "crash-fix-rerun-orig" "$c1.orig" "$WORK/bad.copy"

c2=$WORK/crash2/a.vmx
bad_vmx disk >"$c2"
crash after-rename vmx fix "$c2"
killed "crash-fix-after-rename-killed"
if cmp -s "$c2" "$WORK/bad.copy" || cmp -s "$c2" "$fixed"; then
    pass "crash-fix-after-rename-whole-file"
else
    fail "crash-fix-after-rename-whole-file" "neither the original nor the fixed file"
fi
same "crash-fix-after-rename-orig" "$c2.orig" "$WORK/bad.copy"

# With FILE.vmx.orig already there the only rename is the .vmx's own.
c3=$WORK/crash3/a.vmx
bad_vmx disk >"$c3"
cp "$c3" "$c3.orig"
crash before-rename vmx fix "$c3"
killed "crash-fix-vmx-before-rename-killed"
same "crash-fix-vmx-before-rename-original" "$c3" "$WORK/bad.copy"

c4=$WORK/crash4/a.vmx
bad_vmx disk >"$c4"
cp "$c4" "$c4.orig"
crash after-rename vmx fix "$c4"
killed "crash-fix-vmx-after-rename-killed"
same "crash-fix-vmx-after-rename-fixed" "$c4" "$fixed"

crash before-rename vmx new "$WORK/crashnew1" --esxi 8.0
killed "crash-new-before-rename-killed"
if [ -e "$WORK/crashnew1/crashnew1.vmx" ]; then
    fail "crash-new-before-rename-no-vmx" "crashnew1.vmx exists"
else
    pass "crash-new-before-rename-no-vmx"
fi
crash after-rename vmx new "$WORK/crashnew2" --esxi 8.0
killed "crash-new-after-rename-killed"
run vmx check "$WORK/crashnew2/crashnew2.vmx"
expect "crash-new-after-rename-complete" 0 'no findings'

# ==== bad input: exit 2, one line, nothing written ============================

# bad_input NAME CONTENT-FILE WHERE-SUFFIX REGEX: `vmx check` and `vmx fix` of
# the file fail with "vnest: FILE:LINE: ..." and leave it as it was.
mkdir -p "$WORK/in"
bad_input() {
    local name=$1 f=$2 where=$3 pat=$4
    cp "$f" "$WORK/in.copy"
    run vmx check "$f"
    err1 "input-$name-check" 2 "$f$where" "$pat"
    run vmx fix "$f"
    err1 "input-$name-fix" 2 "$f$where" "$pat"
    same "input-$name-unchanged" "$f" "$WORK/in.copy"
    if [ -e "$f.orig" ]; then fail "input-$name-no-orig" "$f.orig created"; else pass "input-$name-no-orig"; fi
}

f=$WORK/in/quote.vmx
printf 'config.version = "8"\nguestOS = "vmkernel8\nmemsize = "8192"\n' >"$f"
bad_input quote "$f" ":2" 'unterminated'

f=$WORK/in/noeq.vmx
printf 'config.version = "8"\nguestOS = "vmkernel8"\njust-a-key\n' >"$f"
bad_input no-equals "$f" ":3" "no '='"

f=$WORK/in/dup.vmx
printf 'guestOS = "vmkernel8"\nmemsize = "8192"\nGUESTOS = "vmkernel7"\n' >"$f"
bad_input duplicate "$f" ":3" 'duplicate key.*line 1'

f=$WORK/in/binary.vmx
head -c 4096 /dev/urandom >"$f"
bad_input binary "$f" ":#" '.'

run vmx check "$WORK/in/missing.vmx"
err1 "input-missing-file" 2 "$WORK/in/missing.vmx" '^vnest: [^:]+: cannot read'
run vmx fix "$WORK/in"
err1 "input-directory" 2 "$WORK/in" 'directory'

f=$WORK/in/ok.vmx
bad_vmx disk >"$f"
cp "$f" "$WORK/in.copy"
run vmx check --esxi 5.5 "$f"
err1 "input-unknown-esxi" 2 "--esxi" '"5\.5"'
run vmx fix --esxi 5.5 "$f"
err1 "input-unknown-esxi-fix" 2 "--esxi" '"5\.5"'
run vmx check --role bogus "$f"
err1 "input-role-bogus" 2 "--role" '"bogus"'
run vmx fix --role bogus "$f"
err1 "input-role-bogus-fix" 2 "--role" '"bogus"'
same "input-options-file-unchanged" "$f" "$WORK/in.copy"

# vmx new refuses bad values before creating anything.
new_refused() { # NAME WHERE REGEX OPTIONS...
    local name=$1 where=$2 pat=$3
    shift 3
    run vmx new "$WORK/refused" "$@"
    err1 "new-$name" 2 "$where" "$pat"
    if [ -e "$WORK/refused" ]; then
        fail "new-$name-nothing-created" "$WORK/refused exists"
        rm -rf "$WORK/refused"
    else
        pass "new-$name-nothing-created"
    fi
}
new_refused memory-below-minimum --memory "8192 MiB" --esxi 8.0 --memory 4G
new_refused one-cpu --cpus "2 to 768" --esxi 8.0 --cpus 1
new_refused memory-not-a-size --memory '"abc"' --esxi 8.0 --memory abc
new_refused unknown-esxi --esxi '"5\.5"' --esxi 5.5
new_refused no-esxi --esxi 'missing'

mkdir -p "$WORK/exists"
printf 'displayName = "mine"\n' >"$WORK/exists/exists.vmx"
{ stat -c '%y' "$WORK/exists" && ls -lA --time-style=full-iso "$WORK/exists"; } >"$WORK/exists.before"
run vmx new "$WORK/exists" --esxi 8.0
err1 "new-existing-vm" 2 "$WORK/exists/exists.vmx" 'already exists'
{ stat -c '%y' "$WORK/exists" && ls -lA --time-style=full-iso "$WORK/exists"; } >"$WORK/exists.after"
if cmp -s "$WORK/exists.before" "$WORK/exists.after" &&
    [ "$(cat "$WORK/exists/exists.vmx")" = 'displayName = "mine"' ]; then
    pass "new-existing-vm-untouched"
else
    fail "new-existing-vm-untouched" "$(diff "$WORK/exists.before" "$WORK/exists.after" | oneline)"
fi

# ==== the shared corpus of real-world files ===================================

if [ -n "${VNEST_CORPUS:-}" ] && [ -d "$VNEST_CORPUS/vmx" ]; then
    bad_status=() bad_json=() bad_fix=() nfiles=0
    mkdir -p "$WORK/corpus"
    for f in "$VNEST_CORPUS"/vmx/*; do
        [ -f "$f" ] || continue
        nfiles=$((nfiles + 1))
        base=$(basename "$f")
        run vmx check "$f"
        [ "$RC" -le 1 ] || bad_status+=("$base (exit $RC: $(oneline <<<"$ERR"))")
        run --json vmx check "$f"
        if ! "$PY" -c 'import json, sys; d = json.load(sys.stdin); assert isinstance(d["files"][0]["findings"], list)' <<<"$OUT" 2>/dev/null; then
            bad_json+=("$base")
        fi
        # Fixing a copy converges: afterwards only manual findings remain and
        # a second fix changes nothing.
        cp "$f" "$WORK/corpus/$base"
        run vmx fix "$WORK/corpus/$base"
        rc1=$RC
        run --json vmx check "$WORK/corpus/$base"
        left=$("$PY" -c 'import json, sys; print(sum(f["fixable"] for f in json.load(sys.stdin)["files"][0]["findings"]))' <<<"$OUT" 2>/dev/null)
        run vmx fix "$WORK/corpus/$base"
        if [ "$rc1" -gt 1 ] || [ "${left:-x}" != 0 ] || ! grep -q 'nothing to change' <<<"$OUT"; then
            bad_fix+=("$base (fix exit $rc1, fixable left ${left:-?})")
        fi
    done
    if [ "$nfiles" -eq 0 ]; then
        skip "corpus" "no files in $VNEST_CORPUS/vmx"
    else
        if [ "${#bad_status[@]}" -eq 0 ]; then pass "corpus-check-status ($nfiles files)"; else fail "corpus-check-status" "${bad_status[*]}"; fi
        if [ "${#bad_json[@]}" -eq 0 ]; then pass "corpus-check-json ($nfiles files)"; else fail "corpus-check-json" "invalid JSON for: ${bad_json[*]}"; fi
        if [ "${#bad_fix[@]}" -eq 0 ]; then pass "corpus-fix-converges ($nfiles files)"; else fail "corpus-fix-converges" "${bad_fix[*]}"; fi
    fi
else
    skip "corpus" "shared corpus not present (../shared/corpus)"
fi

exit 0
