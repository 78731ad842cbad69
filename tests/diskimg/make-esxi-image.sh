#!/usr/bin/env bash
# Builds a raw disk image with an ESXi boot disk's layout, from scratch, with
# real tools (sgdisk, mkfs.vfat, mtools, tar, gzip): no real ESXi image can be
# shipped, so the offline-disk tests run on these (formats.md 2.2, 2.3, 2.7).
# The bootbanks are FAT16 with VMware's volume magic in their second sector,
# boot.cfg shaped like the real ones, and a state.tgz holding local.tgz with
# etc/vmware/esx.conf (with a /system/uuid line).
#
# usage: make-esxi-image.sh 6.7|7.0|7.0u1 OUT.img [SIZE=16]
# SIZE is in GiB, or in MiB with an M suffix (6.7 needs at least 960M, 7.0
# 640M). 7.0 is a 7.0 U3 build (esx.conf no longer the source of truth),
# 7.0u1 the same layout with a 7.0 U1 build. Partition sizes are scaled
# down (250 MiB bootbanks) to keep the tests small; the partition numbers,
# types, names and order are ESXi's.
set -eu
layout=$1 out=$2 size_gib=${3:-16}
for t in sgdisk mkfs.vfat mcopy tar gzip; do
    command -v "$t" >/dev/null || { echo "make-esxi-image: $t not installed" >&2; exit 3; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f "$out"
case $size_gib in
*M) truncate -s "$size_gib" "$out" ;;
*) truncate -s "${size_gib}G" "$out" ;;
esac

ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
DATA=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
DIAG=9D275380-40AD-11DB-BF97-000C2911D1B8
VMFSL=4EB2EA39-7855-4790-A79E-FAE495E21F8D
VMFS=AA31E02A-400F-11DB-9590-000C2911D1B8

case $layout in
6.7)
    build=13006603 version=6.7.0
    sgdisk -Z "$out" >/dev/null 2>&1 || true
    sgdisk -a 1 \
        -n 1:64:8191 -t 1:$ESP \
        -n 5:8224:520191 -t 5:$DATA \
        -n 6:520224:1032191 -t 6:$DATA \
        -n 7:1032224:1257471 -t 7:$DIAG \
        -n 8:1257504:1843199 -t 8:$DATA \
        -n 3:1843200:0 -t 3:$VMFS "$out" >/dev/null
    banks="5 6"
    ;;
7.0 | 7.0u1)
    build=21424296 version=7.0.3
    [ "$layout" = 7.0u1 ] && build=16850804 version=7.0.1
    sgdisk -Z "$out" >/dev/null 2>&1 || true
    sgdisk -a 1 \
        -n 1:64:204863 -t 1:$ESP -c 1:"system boot" \
        -n 5:208896:720895 -t 5:$DATA -c 5:BOOTBANK1 \
        -n 6:722944:1234943 -t 6:$DATA -c 6:BOOTBANK2 \
        -n 7:1236992:0 -t 7:$VMFSL -c 7:OSDATA "$out" >/dev/null
    banks="5 6"
    ;;
*)
    echo "usage: $0 6.7|7.0|7.0u1 OUT.img [SIZE_GIB | SIZE_MIB M]" >&2
    exit 2
    ;;
esac

first_lba() { sgdisk -i "$1" "$out" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'; }
last_lba() { sgdisk -i "$1" "$out" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p'; }

# esx.conf in local.tgz in state.tgz, as backup.sh makes them.
mkdir -p "$work/root/etc/vmware/hostd" "$work/root/etc/ssh"
cat >"$work/root/etc/vmware/esx.conf" <<CONF
/adv/Misc/HostName = "esxi-template"
/adv/Net/FollowHardwareMac = "0"
/adv/UserVars/SuppressShellWarning = "1"
/net/pnic/child[0000]/mac = "00:50:56:aa:bb:01"
/net/pnic/child[0000]/name = "vmnic0"
/net/vmkernelnic/child[0000]/mac = "00:50:56:aa:bb:01"
/net/vmkernelnic/child[0000]/name = "vmk0"
/net/vmkernelnic/child[0000]/portgroup = "Management Network"
/resourceGroups/version = "$version"
/system/uuid = "5f1e2d3c-aaaa-bbbb-cccc-005056aabb01"
/system/version = "$version"
CONF
echo '<ConfigRoot><mode>normal</mode></ConfigRoot>' >"$work/root/etc/vmware/hostd/hostsvc.xml"
echo 'PermitRootLogin yes' >"$work/root/etc/ssh/sshd_config"
(cd "$work/root" && tar czf "$work/local.tgz" etc)
(cd "$work" && tar czf "$work/state.tgz" local.tgz)

for n in $banks; do
    start=$(first_lba "$n") end=$(last_lba "$n")
    kib=$(((end - start + 1) / 2))
    off=$((start * 512))
    mkfs.vfat -F 16 -R 4 -n "BOOTBANK$((n - 4))" --offset "$start" "$out" "$kib" >/dev/null 2>&1
    # VMware's FAT16 volume magic and UUID in the partition's second sector.
    { printf 'VMWARE FAT16    '; head -c 16 /dev/urandom; } |
        dd of="$out" bs=1 seek=$((off + 512)) conv=notrunc status=none
    updated=$((n == 5 ? 3 : 2))
    cat >"$work/boot.cfg" <<CFG
bootstate=0
title=Loading VMware ESXi
timeout=5
prefix=
kernel=b.b00
kernelopt=autoPartition=FALSE
modules=jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- state.tgz
build=$version-0.0.$build
updated=$updated
CFG
    export MTOOLS_SKIP_CHECK=1
    mcopy -i "$out@@$off" "$work/boot.cfg" ::/boot.cfg
    mcopy -i "$out@@$off" "$work/state.tgz" ::/state.tgz
    printf 'kernel image placeholder\n' >"$work/b.b00"
    mcopy -i "$out@@$off" "$work/b.b00" ::/b.b00
done
