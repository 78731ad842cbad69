#!/usr/bin/env bash
# End-to-end tests of `vnest disk inspect` on ESXi boot disk images built
# from scratch with real tools (tests/diskimg/make-esxi-image.sh: sgdisk,
# mkfs.vfat, mtools, tar), as raw files and as VMDKs converted by qemu-img:
# partitions, bootbank selection by the boot loader's rules, kernelopt,
# esx.conf from state.tgz, the template findings (S5, S7, S8, S9, S11),
# bad input, and how little of the image is read.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
MAKE_IMG="$(dirname "$0")/../diskimg/make-esxi-image.sh"
checks=(build-67 inspect-67 json-67 template-67 vmdk-sparse vmdk-stream bank-switch
    bank-invalid build-70 template-70 extra-vmknic not-esxi missing-file stats-small)
for t in sgdisk mkfs.vfat mcopy qemu-img; do
    if ! have "$t"; then
        for c in "${checks[@]}"; do skip "$c" "$t not installed (apt-get install gdisk dosfstools mtools qemu-utils)"; done
        exit 0
    fi
done
export MTOOLS_SKIP_CHECK=1
img=$WORK/e67.img
if bash "$MAKE_IMG" 6.7 "$img" 8 2>"$WORK/mk.err"; then pass build-67; else fail build-67 "$(head -c 300 "$WORK/mk.err")"; fi

run disk inspect "$img"
expect inspect-67 0 'bootbank +partition 5, build 6\.7\.0'

run --json disk inspect "$img"
json_ok json-67 "d['layout'] == '6.x' and d['esxi'] == '6.7' and [b['role'] for b in d['bootbanks']] == ['bootbank', 'altbootbank'] and d['esx_conf']['system_uuid'].startswith('5f1e2d3c') and [p['number'] for p in d['partitions']] == [1, 3, 5, 6, 7, 8]"

run --json disk inspect "$img" --role template
json_ok template-67 "sorted(f['rule'] for f in d['findings']) == ['disk-follow-hw-mac', 'disk-no-local-vmfs', 'disk-no-system-uuid'] and all(f['severity'] == 'error' for f in d['findings'])"

# The same disk as VMDKs: the same answers.
qemu-img convert -O vmdk -o subformat=monolithicSparse "$img" "$WORK/e67.vmdk"
run --json disk inspect "$WORK/e67.vmdk"
json_ok vmdk-sparse "d['format'] == 'monolithicSparse' and d['bootbanks'][0]['build'] == '6.7.0-0.0.13006603' and d['esx_conf']['available']"
qemu-img convert -O vmdk -o subformat=streamOptimized "$img" "$WORK/e67s.vmdk"
run --json disk inspect "$WORK/e67s.vmdk"
json_ok vmdk-stream "d['format'] == 'streamOptimized' and d['esx_conf']['follow_hardware_mac'] == '0'"

# The loader boots the valid bank with the highest updated=.
bank6=$((520224 * 512))
sed 's/^updated=.*/updated=9/' <(mtype -i "$img@@$bank6" ::/boot.cfg) >"$WORK/boot.cfg"
mcopy -o -i "$img@@$bank6" "$WORK/boot.cfg" ::/boot.cfg
run --json disk inspect "$img"
json_ok bank-switch "[b['role'] for b in d['bootbanks']] == ['altbootbank', 'bootbank']"
sed 's/^bootstate=.*/bootstate=3/' "$WORK/boot.cfg" >"$WORK/boot3.cfg"
mcopy -o -i "$img@@$bank6" "$WORK/boot3.cfg" ::/boot.cfg
run --json disk inspect "$img"
json_ok bank-invalid "[b['role'] for b in d['bootbanks']] == ['bootbank', 'invalid'] and 'bootstate' in d['bootbanks'][1]['note']"

img70=$WORK/e70.img
if bash "$MAKE_IMG" 7.0 "$img70" 32 2>"$WORK/mk.err"; then pass build-70; else fail build-70 "$(head -c 300 "$WORK/mk.err")"; fi
run --json disk inspect "$img70" --role template
json_ok template-70 "d['layout'] == '7.0+' and d['esxi'] == '7.0U2+' and sorted(f['rule'] for f in d['findings']) == ['disk-follow-hw-mac', 'disk-legacy-cpu']"

# A second VMkernel port in esx.conf (S8): rebuild state.tgz by hand.
mkdir -p "$WORK/st" && (cd "$WORK/st" && mtype -i "$img@@$((8224 * 512))" ::/state.tgz | tar xzf - && mkdir x && tar xzf local.tgz -C x &&
    printf '/net/vmkernelnic/child[0001]/name = "vmk1"\n' >>x/etc/vmware/esx.conf &&
    (cd x && tar czf ../local.tgz etc) && tar czf state.tgz local.tgz)
mcopy -o -i "$img@@$((8224 * 512))" "$WORK/st/state.tgz" ::/state.tgz
run --json disk inspect "$img" --role template
json_ok extra-vmknic "any(f['rule'] == 'disk-only-vmk0' and f['current'] == 'vmk1' for f in d['findings'])"

head -c 1048576 /dev/urandom >"$WORK/random.img"
run disk inspect "$WORK/random.img"
expect not-esxi 2 'vnest: .*random.img'
run disk inspect "$WORK/nope.img"
expect missing-file 2 'cannot open'

# A 64 GiB image: inspect reads a few hundred KiB, not the disk.
bash "$MAKE_IMG" 7.0 "$WORK/big.img" 64 2>/dev/null
run --json disk inspect "$WORK/big.img" --stats
json_ok stats-small "0 < d['bytes_read'] < 4 * 1024 * 1024"
exit 0
