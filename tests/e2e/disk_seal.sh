#!/usr/bin/env bash
# End-to-end tests of `vnest disk seal` on ESXi boot disk images built from
# scratch with real tools (tests/diskimg/make-esxi-image.sh), as raw files
# and as VMDKs made by qemu-img (monolithicSparse, twoGbMaxExtentSparse,
# monolithicFlat). Every sealed image is checked by other programs:
# fsck.fat -n on both bootbanks, mtools reading boot.cfg, tar/gzip reading
# esx.conf out of state.tgz, sgdisk -v and -p, qemu-img check, and
# qemu-img compare of each VMDK against the raw image sealed the same way.
# Then: dry run and second seal change nothing, release refusals, images in
# use, a non-ESXi image, fault injection at every journal write point
# (recovered by --recover and by disk inspect, byte-identical), and the
# bytes a seal touches on a 64 GiB image.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
MAKE_IMG="$(dirname "$0")/../diskimg/make-esxi-image.sh"
checks=(build list list-json bad-ops deselect dry-run dry-run-identical seal-67 fsck-67 bootcfg-67
    esxconf-67 gpt-67 template-67 second-seal idempotent-bytes vmdk-monolithicSparse
    vmdk-twoGbMaxExtentSparse vmdk-monolithicFlat seal-70u1 template-70u1 seal-70
    refuse-70-explicit refuse-70-identical vmware-lock writer-process reader-allowed not-esxi
    crash-raw crash-sparse recover-inspect stats-64g)
for t in sgdisk mkfs.vfat mcopy fsck.fat qemu-img tar gzip; do
    if ! have "$t"; then
        for c in "${checks[@]}"; do skip "$c" "$t not installed (apt-get install gdisk dosfstools mtools qemu-utils tar gzip)"; done
        exit 0
    fi
done
export MTOOLS_SKIP_CHECK=1
# The new files' times are pinned so that two seals give equal bytes.
export SOURCE_DATE_EPOCH=1700000000
BANK5=8224 BANK6=520224 # 6.7 layout (formats.md 2.2)

# The fixtures: as small as the layouts allow.
if bash "$MAKE_IMG" 6.7 "$WORK/o67.img" 960M 2>"$WORK/mk.err" &&
    bash "$MAKE_IMG" 7.0u1 "$WORK/o70u1.img" 640M 2>>"$WORK/mk.err" &&
    bash "$MAKE_IMG" 7.0 "$WORK/o70.img" 640M 2>>"$WORK/mk.err"; then
    pass build
else
    fail build "$(head -c 300 "$WORK/mk.err")"
fi

# bank_ok NAME IMG START_LBA...: fsck.fat -n on each bootbank, extracted.
banks_fsck() {
    local img=$1 s
    shift
    for s in "$@"; do
        dd if="$img" of="$WORK/bank.img" bs=512 skip="$s" count=$((250 * 2048 - 32)) status=none
        fsck.fat -n "$WORK/bank.img" >"$WORK/fsck.out" 2>&1 || return 1
    done
}
esxconf() { # IMG BANK_LBA: esx.conf out of state.tgz, read by mtools, tar, gzip
    mtype -i "$1@@$(($2 * 512))" ::/state.tgz | tar xzOf - local.tgz | tar xzOf - etc/vmware/esx.conf
}
run disk seal --list
expect list 0 'legacy-cpu +S5 +all'
run --json disk seal --list
json_ok list-json "[o['name'] for o in d] == ['legacy-cpu', 'follow-hw-mac', 'system-uuid', 'local-vmfs'] and [o['seed'] for o in d] == ['S5', 'S7', 'S11', 'S9'] and d[1]['releases'] == '6.0..7.0U1'"
run disk seal "$WORK/o67.img" --ops legacy-cpu,bogus
expect bad-ops 2 'unknown seal operation "bogus"'
run --json disk seal "$WORK/o67.img" --ops -system-uuid,-local-vmfs --dry-run
json_ok deselect "[o['status'] for o in d['ops']] == ['change', 'change', 'deselected', 'deselected'] and len(d['changes']) == 3"

# Dry run: exactly the plan, and not a byte changed.
cp --sparse=always "$WORK/o67.img" "$WORK/s67.img"
run --json disk seal "$WORK/s67.img" --dry-run
json_ok dry-run "[(c['op'], c['where'].split()[1] if c['op'] != 'local-vmfs' else c['where'], c['new']) for c in d['changes']] == [('legacy-cpu', '5', 'autoPartition=FALSE allowLegacyCPU=true'), ('legacy-cpu', '6', 'autoPartition=FALSE allowLegacyCPU=true'), ('follow-hw-mac', '5', '1'), ('system-uuid', '5', None), ('local-vmfs', 'GPT partition 3 (primary and backup table)', None)] and d['changes'][3]['old'].startswith('5f1e2d3c') and not d['written']"
if cmp -s "$WORK/o67.img" "$WORK/s67.img" && [ ! -e "$WORK/s67.img.vnest-journal" ]; then pass dry-run-identical; else fail dry-run-identical "the image changed"; fi

# The seal, checked by other programs.
run disk seal "$WORK/s67.img"
expect seal-67 0 'sealed: 5 change\(s\) written'
if banks_fsck "$WORK/s67.img" $BANK5 $BANK6; then pass fsck-67; else fail fsck-67 "$(head -c 200 "$WORK/fsck.out")"; fi
why=""
for s in $BANK5 $BANK6; do
    mtype -i "$WORK/s67.img@@$((s * 512))" ::/boot.cfg >"$WORK/boot.cfg"
    grep -qx 'kernelopt=autoPartition=FALSE allowLegacyCPU=true' "$WORK/boot.cfg" || why="$why bank at LBA $s: $(grep kernelopt "$WORK/boot.cfg")"
    [ "$(head -n 1 "$WORK/boot.cfg")" = bootstate=0 ] || why="$why bootstate= is no longer the first line"
done
if [ -z "$why" ]; then pass bootcfg-67; else fail bootcfg-67 "$why"; fi
if esxconf "$WORK/s67.img" $BANK5 | diff <(esxconf "$WORK/o67.img" $BANK5 | sed -e 's|^\(/adv/Net/FollowHardwareMac = \).*|\1"1"|' -e '/^\/system\/uuid/d') - >"$WORK/diff.out"; then
    pass esxconf-67
else
    fail esxconf-67 "esx.conf differs beyond the two lines: $(head -c 300 "$WORK/diff.out")"
fi
if sgdisk -v "$WORK/s67.img" | grep -q 'No problems found' && ! sgdisk -p "$WORK/s67.img" | grep -Eq '^ +3 ' &&
    [ "$(sgdisk -p "$WORK/s67.img" | grep -Ec '^ +[0-9]+ ')" = 5 ]; then
    pass gpt-67
else
    fail gpt-67 "$(sgdisk -v "$WORK/s67.img" | head -c 200) / $(sgdisk -p "$WORK/s67.img" | tail -n 7)"
fi
run --json disk inspect "$WORK/s67.img" --role template
json_ok template-67 "d['findings'] == [] and d['esx_conf']['follow_hardware_mac'] == '1' and d['esx_conf']['system_uuid'] is None"

# Sealing again: everything satisfied, 0 bytes written.
cp --sparse=always "$WORK/s67.img" "$WORK/s67b.img"
run --json disk seal "$WORK/s67.img" --stats
json_ok second-seal "d['changes'] == [] and all(o['status'] == 'satisfied' for o in d['ops']) and d['stats']['bytes_written'] == 0 and d['stats']['journal_bytes'] == 0"
if cmp -s "$WORK/s67.img" "$WORK/s67b.img"; then pass idempotent-bytes; else fail idempotent-bytes "a second seal changed the image"; fi

# VMDK variants: valid for qemu-img, and the same disk content as the raw
# image sealed the same way (qemu-img reads them, not vnest).
for fmt in monolithicSparse twoGbMaxExtentSparse monolithicFlat; do
    mkdir -p "$WORK/$fmt"
    v=$WORK/$fmt/esx.vmdk
    qemu-img convert -O vmdk -o subformat=$fmt "$WORK/o67.img" "$v"
    run disk seal "$v"
    why=""
    [ "$RC" = 0 ] || why="seal exit $RC: $ERR"
    qemu-img check "$v" >"$WORK/check.out" 2>&1 || why="$why qemu-img check: $(head -c 200 "$WORK/check.out")"
    qemu-img compare -q "$v" "$WORK/s67b.img" || why="$why content differs from the sealed raw image"
    qemu-img convert -O raw "$v" "$WORK/back.img"
    banks_fsck "$WORK/back.img" $BANK5 $BANK6 || why="$why fsck.fat after convert"
    if [ -z "$why" ]; then pass "vmdk-$fmt"; else fail "vmdk-$fmt" "$why"; fi
done
rm -f "$WORK/back.img"

# 7.0 U1: esx.conf is still the configuration; no VMFS on this layout.
cp --sparse=always "$WORK/o70u1.img" "$WORK/s70u1.img"
run --json disk seal "$WORK/s70u1.img"
json_ok seal-70u1 "d['esxi'] == '7.0U1' and [o['status'] for o in d['ops']] == ['change', 'change', 'change', 'satisfied'] and d['written']"
run --json disk inspect "$WORK/s70u1.img" --role template
json_ok template-70u1 "d['findings'] == []"

# 7.0 U2+: the esx.conf operations do not apply (default) or are refused
# (asked for by name), with the reason and the kickstart route.
cp --sparse=always "$WORK/o70.img" "$WORK/s70.img"
run --json disk seal "$WORK/s70.img"
json_ok seal-70 "d['esxi'] == '7.0U2+' and [o['status'] for o in d['ops']] == ['change', 'not-applicable', 'not-applicable', 'satisfied'] and 'vnest ks new' in d['ops'][1]['note'] and [c['op'] for c in d['changes']] == ['legacy-cpu', 'legacy-cpu']"
cp --sparse=always "$WORK/o70.img" "$WORK/r70.img"
run disk seal "$WORK/r70.img" --ops legacy-cpu,follow-hw-mac
expect refuse-70-explicit 2 'follow-hw-mac: from ESXi 7.0 U2 .*vnest ks new'
if cmp -s "$WORK/o70.img" "$WORK/r70.img"; then pass refuse-70-identical; else fail refuse-70-identical "a refused seal changed the image"; fi

# Images in use: a VMware lock beside it, another process writing it.
mkdir -p "$WORK/vm/esx.vmx.lck"
cp --sparse=always "$WORK/o67.img" "$WORK/vm/esx.img"
run disk seal "$WORK/vm/esx.img"
if [ "$RC" = 3 ] && grep -q 'VMware lock "esx.vmx.lck"' <<<"$ERR" && cmp -s "$WORK/o67.img" "$WORK/vm/esx.img"; then
    pass vmware-lock
else
    fail vmware-lock "exit $RC: $ERR"
fi
rm -rf "$WORK/vm"
mkfifo "$WORK/ready" "$WORK/go"
cp --sparse=always "$WORK/o67.img" "$WORK/busy.img"
# The holder opens the image read-write, says so, and waits to be told to go.
(exec 7<>"$WORK/busy.img" && echo ready >"$WORK/ready" && read -r _ <"$WORK/go") &
holder=$!
read -r _ <"$WORK/ready"
run disk seal "$WORK/busy.img"
if [ "$RC" = 3 ] && grep -q "pid $holder .*open for writing" <<<"$ERR" && cmp -s "$WORK/o67.img" "$WORK/busy.img"; then
    pass writer-process
else
    fail writer-process "exit $RC: $ERR"
fi
echo go >"$WORK/go"
wait "$holder"
# A reader only (a backup, a checksum) does not stop a seal.
(exec 7<"$WORK/busy.img" && echo ready >"$WORK/ready" && read -r _ <"$WORK/go") &
holder=$!
read -r _ <"$WORK/ready"
run disk seal "$WORK/busy.img" --ops legacy-cpu
expect reader-allowed 0 'sealed: 2 change'
echo go >"$WORK/go"
wait "$holder"
rm -f "$WORK/busy.img"

head -c 2097152 /dev/urandom >"$WORK/random.img"
cp "$WORK/random.img" "$WORK/random0.img"
run disk seal "$WORK/random.img"
if [ "$RC" = 2 ] && grep -q 'random.img' <<<"$ERR" && cmp -s "$WORK/random.img" "$WORK/random0.img"; then
    pass not-esxi
else
    fail not-esxi "exit $RC: $ERR"
fi

# Fault injection: the process is killed at each write point in turn (the
# N-th time it reaches it, N = 1, 2, ... until a seal completes). After
# each crash the image is rolled back, alternately by `disk seal --recover`
# and by `disk inspect`, and must be byte-identical to the original.
# crash_loop NAME ORIG WORKCOPY FILES_TO_COMPARE...
crash_loop() {
    local name=$1 orig=$2 img=$3 point n rc why="" runs=0 via
    for point in journal-before-target-write journal-after-target-write journal-torn-record journal-before-remove; do
        n=1
        while [ "$n" -lt 200 ]; do
            rm -rf "$WORK/crash" && cp -r --sparse=always "$orig" "$WORK/crash"
            # In a subshell, so that its shell, not this one, reports the kill.
            (VNEST_CRASH_AT=$point VNEST_CRASH_COUNT=$n "$VNEST" disk seal "$WORK/crash/$img" >/dev/null 2>"$WORK/crash.err") 2>/dev/null
            rc=$?
            [ "$rc" = 0 ] && break
            runs=$((runs + 1))
            if [ "$rc" != 137 ] || [ ! -e "$WORK/crash/$img.vnest-journal" ]; then
                why="$why $point#$n: exit $rc (expected death by SIGKILL with a journal left): $(head -c 200 "$WORK/crash.err")"
                break
            fi
            if [ $((n % 2)) = 0 ]; then via="disk inspect"; else via="disk seal --recover"; fi
            # shellcheck disable=SC2086 # $via is two words on purpose
            "$VNEST" $via "$WORK/crash/$img" >/dev/null 2>"$WORK/rec.err"
            if [ -e "$WORK/crash/$img.vnest-journal" ]; then
                why="$why $point#$n: journal still there after $via: $(head -c 200 "$WORK/rec.err")"
            elif ! diff -rq "$orig" "$WORK/crash" >/dev/null; then
                why="$why $point#$n: not byte-identical after $via"
            elif [ "$via" = "disk inspect" ] && ! grep -q 'rolled back an interrupted seal' "$WORK/rec.err"; then
                why="$why $point#$n: disk inspect did not say it rolled back"
            fi
            n=$((n + 1))
        done
    done
    if [ -z "$why" ] && [ "$runs" -gt 20 ]; then
        pass "$name"
    else
        fail "$name" "${why:- only $runs crash points reached}"
    fi
}
mkdir -p "$WORK/o-raw" "$WORK/o-sparse"
cp --sparse=always "$WORK/o67.img" "$WORK/o-raw/esx.img"
qemu-img convert -O vmdk -o subformat=monolithicSparse "$WORK/o67.img" "$WORK/o-sparse/esx.vmdk"
crash_loop crash-raw "$WORK/o-raw" esx.img
crash_loop crash-sparse "$WORK/o-sparse" esx.vmdk
# The original fixture itself is clean for fsck.fat and sgdisk, so being
# byte-identical to it after each recovery means clean too; check once more
# on the last recovered copy with the tools themselves.
qemu-img convert -O raw "$WORK/crash/esx.vmdk" "$WORK/rec.img"
if banks_fsck "$WORK/rec.img" $BANK5 $BANK6 && sgdisk -v "$WORK/rec.img" | grep -q 'No problems found' &&
    qemu-img check "$WORK/crash/esx.vmdk" >/dev/null 2>&1; then
    pass recover-inspect
else
    fail recover-inspect "recovered image not clean: $(head -c 200 "$WORK/fsck.out")"
fi
rm -rf "$WORK/crash" "$WORK/rec.img"

# A 64 GiB image: a seal reads and writes a few hundred KiB, not the disk.
bash "$MAKE_IMG" 6.7 "$WORK/big.img" 64 2>/dev/null
qemu-img convert -O vmdk -o subformat=monolithicSparse "$WORK/big.img" "$WORK/big.vmdk"
run --json disk seal "$WORK/big.img" --stats
big_raw=$OUT
run --json disk seal "$WORK/big.vmdk" --stats
OUT="[$big_raw, $OUT]"
json_ok stats-64g "all(x['written'] and 0 < x['stats']['bytes_read'] < 8 * 1024 * 1024 and 0 < x['stats']['bytes_written'] < 1024 * 1024 for x in d)"
exit 0
