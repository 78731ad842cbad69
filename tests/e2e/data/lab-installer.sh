#!/usr/bin/env bash
# A STAND-IN for the ESXi installer ISO, for `vnest lab` tests and `make
# demo`: the layout vnest's ISO remastering reads (BOOT.CFG for BIOS and
# UEFI, an ISOLINUX El Torito entry and an EFI one, module files of random
# bytes), made with xorriso. It boots nothing; the simulator never boots it.
# usage: lab-installer.sh OUT.iso [BUILD]   (BUILD default 8.0.3-0.0.24022510)
set -eu
out=$1
build=${2:-8.0.3-0.0.24022510}
tree=$(mktemp -d "${TMPDIR:-/tmp}/vnest-lab-iso.XXXXXX")
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/EFI/BOOT"
cat >"$tree/BOOT.CFG" <<CFG
bootstate=0
title=Loading ESXi installer
timeout=5
prefix=
kernel=/b.b00
kernelopt=cdromBoot runweasel
modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00 --- /s.v00 --- /imgpayld.tgz
build=$build
updated=0
CFG
cp "$tree/BOOT.CFG" "$tree/EFI/BOOT/BOOT.CFG"
head -c 24576 /dev/zero >"$tree/ISOLINUX.BIN"
printf 'DEFAULT menu.c32\nLABEL install\n KERNEL mboot.c32\n APPEND -c boot.cfg\n' >"$tree/ISOLINUX.CFG"
head -c 65536 /dev/zero >"$tree/EFI/BOOT/BOOTX64.EFI"
for m in B.B00 JUMPSTRT.GZ USEROPTS.GZ FEATURES.GZ K.B00 S.V00 IMGPAYLD.TGZ; do
    head -c 8192 /dev/urandom >"$tree/$m"
done
head -c $((1440 * 1024)) /dev/zero >"$tree/EFIBOOT.IMG"
xorriso -as mkisofs -quiet -iso-level 2 -V ESXI-8.0U3-STANDIN -o "$out" \
    -b ISOLINUX.BIN -c BOOT.CAT -no-emul-boot -boot-load-size 4 -boot-info-table \
    -eltorito-alt-boot -e EFIBOOT.IMG -no-emul-boot "$tree" >/dev/null 2>&1
