#!/usr/bin/env bash
# End-to-end tests of `vnest iso build|inspect`: small ISOs with the ESXi
# installer's layout (ISOLINUX.BIN with a boot info table and BOOT.CAT, a FAT
# EFIBOOT.IMG as UEFI entry, /BOOT.CFG and /EFI/BOOT/BOOT.CFG) are made with
# xorriso, remastered with vnest and checked with xorriso (-report_el_torito,
# -extract) and by reading the boot catalog's bytes; variants of the input
# (no Rock Ridge like VMware's own ISOs, Joliet, a hidden catalog, catalog ID
# strings, an MBR), crash atomicity, and inputs that must be refused.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

if ! have xorriso; then
    skip setup "xorriso not installed (apt-get install xorriso): it makes and reads the test ISOs"
    exit 0
fi

# check NAME CMD...: passes when CMD succeeds, else fails with its output.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        pass "$name"
    else
        fail "$name" "$(oneline <<<"$out")"
    fi
}

# ---- the installer layout ----------------------------------------------------

CORPUS_CFG=${VNEST_CORPUS:-}/bootcfg/msh-8__ansible_esxi_customization__boot.cfg.orig
T=$WORK/tree
mkdir -p "$T/EFI/BOOT" "$T/UPGRADE"
if [ -n "${VNEST_CORPUS:-}" ] && [ -f "$CORPUS_CFG" ]; then
    cp "$CORPUS_CFG" "$T/BOOT.CFG" # a real 7.0 U2 installer boot.cfg
else
    cat >"$T/BOOT.CFG" <<'CFG'
bootstate=0
title=Loading ESXi installer
timeout=5
prefix=
kernel=/b.b00
kernelopt=cdromBoot runweasel
modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00 --- /s.v00 --- /imgpayld.tgz
build=7.0.2-0.0.17630552
updated=0
CFG
fi
cp "$T/BOOT.CFG" "$T/EFI/BOOT/BOOT.CFG"
head -c 24576 /dev/urandom >"$T/ISOLINUX.BIN"
printf 'DEFAULT menu.c32\nLABEL install\n KERNEL mboot.c32\n APPEND -c boot.cfg\n' >"$T/ISOLINUX.CFG"
head -c 65536 /dev/urandom >"$T/EFI/BOOT/BOOTX64.EFI"
for m in B.B00 JUMPSTRT.GZ K.B00 S.V00 IMGPAYLD.TGZ; do head -c $((RANDOM * 8 + 4096)) /dev/urandom >"$T/$m"; done
echo '<precheck/>' >"$T/UPGRADE/PRECHECK.XML"
if have mkfs.vfat; then
    mkfs.vfat -C "$T/EFIBOOT.IMG" 1440 >/dev/null
else
    head -c $((1440 * 1024)) /dev/urandom >"$T/EFIBOOT.IMG" # firmware never reads it here
fi

# mkiso OUT [xorriso -as mkisofs options...]: an ISO of $T with both boot entries.
mkiso() {
    local out=$1
    shift
    xorriso -as mkisofs -quiet -iso-level 2 -V ESXI-7.0U2-TEST -o "$out" "$@" \
        -b ISOLINUX.BIN -c BOOT.CAT -no-emul-boot -boot-load-size 4 -boot-info-table \
        -eltorito-alt-boot -e EFIBOOT.IMG -no-emul-boot "$T" >/dev/null 2>&1
}

# eltorito ISO: the boot entry lines of xorriso's report (not the catalog's block).
eltorito() {
    xorriso -indev "$1" -report_el_torito plain 2>/dev/null | grep -E '^El Torito (boot img|img path|img opts|cat path|images)'
}

# catalog ISO: the boot catalog's bytes in hex, found from sector 17's boot record.
catalog() {
    "$PY" - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
for s in range(16, 80):
    vd = d[s * 2048:(s + 1) * 2048]
    if vd[0] == 0 and vd[7:30] == b'EL TORITO SPECIFICATION':
        lba = struct.unpack('<I', vd[71:75])[0]
        print(d[lba * 2048:(lba + 1) * 2048].hex())
        break
    if vd[0] == 255:
        break
EOF
}

# extract ISO PATH OUT: one file of the image.
extract() {
    rm -f "$3"
    xorriso -osirrox on -indev "$1" -extract "$2" "$3" >/dev/null 2>&1
}

# same_boot NAME IN OUT: identical El Torito report and catalog bytes.
same_boot() {
    local a b
    a=$(eltorito "$2")
    b=$(eltorito "$3")
    if [ -z "$a" ] || [ "$(grep -c 'boot img' <<<"$a")" -ne 2 ]; then
        fail "$1" "input $2 lacks the two boot entries: $(oneline <<<"$a")"
    elif [ "$a" != "$b" ]; then
        fail "$1" "El Torito report differs: in: $(oneline <<<"$a") out: $(oneline <<<"$b")"
    elif [ "$(catalog "$2")" != "$(catalog "$3")" ]; then
        fail "$1" "boot catalog bytes differ"
    else
        pass "$1"
    fi
}

# expect_cfg NAME ISO PATH KERNELOPT: the file is the input's boot.cfg with
# only the kernelopt= line changed to KERNELOPT.
expect_cfg() {
    local name=$1 iso=$2 path=$3 want=$4 src
    src=$T${path}
    sed "s|^kernelopt=.*|kernelopt=$want|" "$src" >"$WORK/want.cfg"
    extract "$iso" "$path" "$WORK/got.cfg"
    if [ ! -f "$WORK/got.cfg" ]; then
        fail "$name" "$path not in $iso"
    elif cmp -s "$WORK/want.cfg" "$WORK/got.cfg"; then
        pass "$name"
    else
        fail "$name" "$path differs from the expected edit: $(diff "$WORK/want.cfg" "$WORK/got.cfg" | oneline)"
    fi
}

# no_temp NAME DIR: no temporary file was left in DIR.
no_temp() {
    local left
    left=$(find "$2" -maxdepth 1 -name '*.vnest-tmp.*' | head -3)
    if [ -z "$left" ]; then pass "$1"; else fail "$1" "left behind: $left"; fi
}

IN=$WORK/in.iso
if ! mkiso "$IN"; then
    fail setup "xorriso could not make the test ISO"
    exit 0
fi
cp "$IN" "$WORK/in.copy"
cat >"$WORK/ks.cfg" <<'KS'
vmaccepteula
install --firstdisk --overwritevmfs --novmfsondisk
rootpw --iscrypted $6$salt$hash
network --bootproto=dhcp --addvmportgroup=0
reboot
KS
KSOPT="ks=cdrom:/KS.CFG runweasel"

# ---- a remaster and what it must hold --------------------------------------

OUTD=$WORK/out
mkdir -p "$OUTD"
run iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$OUTD/ks.iso"
expect build_ok 0 'kept'
if [ -s "$WORK/stderr" ]; then
    fail build_quiet_stderr "stderr is not a terminal, yet: $(oneline <<<"$ERR")"
else
    pass build_quiet_stderr
fi
same_boot build_keeps_both_boot_entries "$IN" "$OUTD/ks.iso"
expect_cfg build_bios_bootcfg "$OUTD/ks.iso" /BOOT.CFG "$KSOPT"
expect_cfg build_uefi_bootcfg "$OUTD/ks.iso" /EFI/BOOT/BOOT.CFG "$KSOPT"
extract "$OUTD/ks.iso" /KS.CFG "$WORK/got.ks"
check build_ks_cfg cmp "$WORK/ks.cfg" "$WORK/got.ks"
check build_input_untouched cmp "$IN" "$WORK/in.copy"
differ=""
for f in /S.V00 /EFIBOOT.IMG /ISOLINUX.BIN /EFI/BOOT/BOOTX64.EFI /UPGRADE/PRECHECK.XML; do
    extract "$IN" "$f" "$WORK/a.bin"
    extract "$OUTD/ks.iso" "$f" "$WORK/b.bin"
    [ -f "$WORK/a.bin" ] && cmp -s "$WORK/a.bin" "$WORK/b.bin" || differ="$differ $f"
done
if [ -z "$differ" ]; then pass build_other_files_kept; else fail build_other_files_kept "differ:$differ"; fi
listing() { xorriso -indev "$1" -find / 2>/dev/null | grep "^'/" | sort; }
if diff <( (listing "$IN"; echo "'/KS.CFG'") | sort) <(listing "$OUTD/ks.iso") >"$WORK/diff"; then
    pass build_tree_is_input_plus_ks
else
    fail build_tree_is_input_plus_ks "$(oneline <"$WORK/diff")"
fi
toc=$(xorriso -indev "$OUTD/ks.iso" -toc 2>&1)
if grep -Eq 'Media summary: 1 session' <<<"$toc" &&
    [ "$(stat -c %s "$OUTD/ks.iso")" -lt $(($(stat -c %s "$IN") + 1048576)) ]; then
    pass build_one_session_small_growth
else
    fail build_one_session_small_growth "$(grep -E 'session|summary' <<<"$toc" | oneline); size $(stat -c %s "$OUTD/ks.iso")"
fi
no_temp build_no_temp_left "$OUTD"

run --json iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$OUTD/ks2.iso"
json_ok build_json "d['output'].endswith('ks2.iso') and len(d['boot']) == 2 and \
d['boot'][0]['platform'] == 'BIOS' and d['boot'][0]['boot_info_table'] and d['boot'][1]['platform'] == 'UEFI' \
and all(c['kernelopt'] == '$KSOPT' and c['kernelopt_before'] == 'cdromBoot runweasel' for c in d['bootcfg']) \
and len(d['bootcfg']) == 2 and d['kickstart']['path'] == '/KS.CFG'"

# inspect, before and after
run iso inspect "$IN"
expect inspect_input 0 'kernelopt=cdromBoot runweasel'
run --json iso inspect "$IN"
json_ok inspect_input_json "d['esxi']['version'] == '7.0.2' and d['esxi']['build'] == '17630552' and \
d['esxi']['release'] == '7.0 U2' and not d['kickstart']['wired'] and d['boot_catalog']['path'] == '/BOOT.CAT' \
and [b['platform'] for b in d['boot']] == ['BIOS', 'UEFI'] and d['boot'][0]['load_size'] == 4 \
and d['boot'][1]['image'] == '/EFIBOOT.IMG' and d['problems'] == []"
run --json iso inspect "$OUTD/ks.iso"
json_ok inspect_output_json "d['kickstart']['wired'] and d['kickstart']['path'] == '/KS.CFG' and \
d['kickstart']['bytes'] == $(stat -c %s "$WORK/ks.cfg") and d['bootcfg']['bios']['kernelopt'] == '$KSOPT' \
and d['bootcfg']['uefi']['kernelopt'] == '$KSOPT' and d['bootcfg']['bios']['ks'] == 'cdrom:/KS.CFG'"
run iso inspect "$OUTD/ks.iso"
expect inspect_output_text 0 'kickstart +wired: ks=cdrom:/KS.CFG'
extract "$OUTD/ks.iso" /EFI/BOOT/BOOT.CFG "$WORK/got.cfg"
run --json iso inspect --bootcfg "$OUTD/ks.iso"
json_ok inspect_bootcfg_text "d['bootcfg']['uefi']['text'] == open('$WORK/got.cfg').read()"

# --legacy-cpu, and a remaster of a remaster
run iso build --from "$OUTD/ks.iso" --ks "$WORK/ks.cfg" --legacy-cpu -o "$OUTD/legacy.iso"
expect build_again_legacy 0
expect_cfg build_legacy_bios "$OUTD/legacy.iso" /BOOT.CFG "$KSOPT allowLegacyCPU=true"
expect_cfg build_legacy_uefi "$OUTD/legacy.iso" /EFI/BOOT/BOOT.CFG "$KSOPT allowLegacyCPU=true"
same_boot build_again_keeps_boot "$IN" "$OUTD/legacy.iso"

# ---- input variants ----------------------------------------------------------

variant() { # NAME [mkisofs options...]
    local name=$1
    shift
    if ! mkiso "$WORK/$name.iso" "$@"; then
        fail "variant_$name" "xorriso could not make it"
        return
    fi
    run iso build --from "$WORK/$name.iso" --ks "$WORK/ks.cfg" -o "$WORK/$name.out.iso"
    if [ "$RC" -ne 0 ]; then
        fail "variant_$name" "exit $RC: $(oneline <<<"$ERR")"
        return
    fi
    same_boot "variant_${name}_boot" "$WORK/$name.iso" "$WORK/$name.out.iso"
    expect_cfg "variant_${name}_uefi_bootcfg" "$WORK/$name.out.iso" /EFI/BOOT/BOOT.CFG "$KSOPT"
}
variant no_rock_ridge --norock # as VMware's ISOs: plain ISO 9660 names
variant joliet -J
variant hidden_catalog --boot-catalog-hide
if grep -q 'cat path' <<<"$(eltorito "$WORK/hidden_catalog.out.iso")"; then
    fail variant_hidden_catalog_stays_hidden "the output shows a catalog path"
else
    pass variant_hidden_catalog_stays_hidden
fi
variant mbr --protective-msdos-label
if cmp -s -n 512 "$WORK/mbr.iso" "$WORK/mbr.out.iso"; then
    pass variant_mbr_system_area_kept
else
    fail variant_mbr_system_area_kept "the first 512 bytes changed"
fi
if toc=$(xorriso -indev "$WORK/no_rock_ridge.out.iso" -toc 2>&1) && grep -q 'Only_ECMA_119' <<<"$toc"; then
    pass variant_no_rock_ridge_stays_plain
else
    fail variant_no_rock_ridge_stays_plain "$(grep 'ISO loaded' <<<"$toc" | oneline)"
fi

# ID strings in the catalog (validation entry and section header) survive.
"$PY" - "$IN" "$WORK/idstr.iso" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
lba = struct.unpack('<I', d[17 * 2048 + 71:17 * 2048 + 75])[0]
c = lba * 2048
d[c + 4:c + 14] = b'VMWARE ESX'
d[c + 28:c + 30] = b'\0\0'
s = sum(struct.unpack('<16H', bytes(d[c:c + 32]))) & 0xffff
struct.pack_into('<H', d, c + 28, (-s) & 0xffff)
d[c + 68:c + 75] = b'UEFI ID'
open(sys.argv[2], 'wb').write(d)
EOF
run iso build --from "$WORK/idstr.iso" --ks "$WORK/ks.cfg" -o "$WORK/idstr.out.iso"
expect variant_catalog_id_strings 0
same_boot variant_catalog_id_strings_kept "$WORK/idstr.iso" "$WORK/idstr.out.iso"

# ---- atomicity -----------------------------------------------------------------

A=$WORK/atomic
mkdir -p "$A"
# crash POINT ARGS...: vnest killed at POINT (in a child shell, so that the
# shell's "Killed" notice stays out of the test output); status in $rc.
crash() {
    local point=$1
    shift
    VNEST_CRASH_AT=$point bash -c '"$@" >/dev/null 2>&1' _ "$VNEST" "$@" 2>/dev/null
    rc=$?
}
crash before-rename iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$A/new.iso"
if [ "$rc" -ne 137 ]; then
    fail crash_before_rename_new "exit $rc, expected 137 (SIGKILL at the crash point)"
elif [ -e "$A/new.iso" ]; then
    fail crash_before_rename_new "new.iso exists after a crash before the rename"
else
    pass crash_before_rename_new
fi
echo "previous content" >"$A/old.iso"
cp "$A/old.iso" "$A/old.copy"
crash before-rename iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$A/old.iso"
check crash_before_rename_keeps_old cmp "$A/old.iso" "$A/old.copy"
crash after-rename iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$A/old.iso"
run --json iso inspect "$A/old.iso"
json_ok crash_after_rename_complete "d['kickstart']['wired']"
rm -f "$A"/*.vnest-tmp.*
echo "previous content" >"$A/old.iso"
run iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$A/old.iso"
expect build_replaces_existing 0
same_boot build_replaces_existing_boot "$IN" "$A/old.iso"
no_temp build_replaces_no_temp "$A"

# ---- refusals ------------------------------------------------------------------

B=$WORK/bad
mkdir -p "$B"
head -c 100000 /dev/urandom >"$B/random.iso"
run iso build --from "$B/random.iso" --ks "$WORK/ks.cfg" -o "$B/o.iso"
err1 refuse_not_iso 2 "$B/random.iso" 'not an ISO 9660 image'
head -c 300000 "$IN" >"$B/truncated.iso"
run iso build --from "$B/truncated.iso" --ks "$WORK/ks.cfg" -o "$B/o.iso"
err1 refuse_truncated 2 "$B/truncated.iso" 'is truncated'
mkdir -p "$WORK/plain"
cp "$T/BOOT.CFG" "$WORK/plain/"
xorriso -as mkisofs -quiet -o "$B/plain.iso" "$WORK/plain" >/dev/null 2>&1
run iso build --from "$B/plain.iso" --ks "$WORK/ks.cfg" -o "$B/o.iso"
err1 refuse_no_boot_catalog 2 "$B/plain.iso" 'no El Torito boot catalog'
mkdir -p "$WORK/nocfg"
cp "$T/ISOLINUX.BIN" "$T/EFIBOOT.IMG" "$WORK/nocfg/"
xorriso -as mkisofs -quiet -o "$B/nocfg.iso" -b ISOLINUX.BIN -c BOOT.CAT -no-emul-boot \
    -boot-load-size 4 -boot-info-table -eltorito-alt-boot -e EFIBOOT.IMG -no-emul-boot \
    "$WORK/nocfg" >/dev/null 2>&1
run iso build --from "$B/nocfg.iso" --ks "$WORK/ks.cfg" -o "$B/o.iso"
err1 refuse_no_bootcfg 2 "$B/nocfg.iso" 'no /BOOT.CFG'
run iso inspect "$B/nocfg.iso"
err1 inspect_refuses_non_installer 2 "$B/nocfg.iso" 'no /BOOT.CFG'
cp -r "$T" "$WORK/badcfg"
sed -i 's/^timeout=.*/timeout=soon/' "$WORK/badcfg/BOOT.CFG"
xorriso -as mkisofs -quiet -o "$B/badcfg.iso" -b ISOLINUX.BIN -c BOOT.CAT -no-emul-boot \
    -boot-load-size 4 -boot-info-table -eltorito-alt-boot -e EFIBOOT.IMG -no-emul-boot \
    "$WORK/badcfg" >/dev/null 2>&1
run iso build --from "$B/badcfg.iso" --ks "$WORK/ks.cfg" -o "$B/o.iso"
err1 refuse_bad_bootcfg 2 "$B/badcfg.iso:/BOOT.CFG:#" 'timeout=soon is not a number'
run iso build --from "$IN" --ks "$WORK/missing.cfg" -o "$B/o.iso"
err1 refuse_missing_ks 2 "$WORK/missing.cfg" 'cannot read'
: >"$B/empty.cfg"
run iso build --from "$IN" --ks "$B/empty.cfg" -o "$B/o.iso"
err1 refuse_empty_ks 2 "$B/empty.cfg" 'expected a kickstart file'
run iso build --from "$WORK/nothere.iso" --ks "$WORK/ks.cfg" -o "$B/o.iso"
err1 refuse_missing_input 2 "$WORK/nothere.iso" 'cannot read'
run iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$IN"
err1 refuse_output_is_input 2 "$IN" 'is the input ISO'
ln -s "$IN" "$B/link.iso"
ln "$IN" "$B/hard.iso"
run iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$B/link.iso"
err1 refuse_output_is_input_symlink 2 "$B/link.iso" 'is the input ISO'
run iso build --from "$B/hard.iso" --ks "$WORK/ks.cfg" -o "$IN"
err1 refuse_output_is_input_hardlink 2 "$IN" 'is the input ISO'
check refusals_leave_input_untouched cmp "$IN" "$WORK/in.copy"
run iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$B"
err1 refuse_output_directory 2 "$B" 'is a directory'
run iso build --from "$IN" --ks "$WORK/ks.cfg" -o "$WORK/no/such/dir/o.iso"
err1 refuse_output_folder_missing 3 "$WORK/no/such/dir/o.iso" 'output folder'
run iso build --ks "$WORK/ks.cfg" -o "$B/o.iso"
err1 refuse_missing_from 2 "--from" 'missing'
run iso build --from "$IN" -o "$B/o.iso"
err1 refuse_missing_ks_flag 2 "--ks" 'missing'
if [ -e "$B/o.iso" ]; then
    fail refusals_write_nothing "$B/o.iso exists"
else
    pass refusals_write_nothing
fi
no_temp refusals_no_temp "$B"

# ---- what inspect flags ----------------------------------------------------------

# A BIOS-only remaster (the common failure of scripts) and a half-edited one.
mkdir -p "$WORK/bios"
cp -r "$T"/. "$WORK/bios/"
sed -i "s|^kernelopt=.*|kernelopt=$KSOPT|" "$WORK/bios/BOOT.CFG"
cp "$WORK/ks.cfg" "$WORK/bios/KS.CFG"
xorriso -as mkisofs -quiet -o "$B/biosonly.iso" -b ISOLINUX.BIN -c BOOT.CAT -no-emul-boot \
    -boot-load-size 4 -boot-info-table "$WORK/bios" >/dev/null 2>&1
run --json iso inspect "$B/biosonly.iso"
json_ok inspect_flags_bios_only "any('no UEFI' in p for p in d['problems']) and \
any('kernelopt differs' in p for p in d['problems']) and not d['kickstart']['wired']"
run iso inspect "$B/biosonly.iso"
expect inspect_problems_exit_1 1 '^problem: no UEFI El Torito boot entry'

run iso build --from "$B/biosonly.iso" --ks "$WORK/ks.cfg" -o "$B/fromboth.iso"
if [ "$RC" -eq 0 ] && grep -q "^vnest: $B/fromboth.iso: note: no UEFI El Torito boot entry" <<<"$ERR"; then
    pass build_notes_what_the_input_lacks
else
    fail build_notes_what_the_input_lacks "exit $RC; stderr: $(oneline <<<"$ERR")"
fi
rm -f "$B/fromboth.iso"

# ---- progress on a terminal ----------------------------------------------------

if have script; then
    script -qec "'$VNEST' iso build --from '$IN' --ks '$WORK/ks.cfg' -o '$WORK/tty.iso'" /dev/null \
        >"$WORK/tty.out" 2>&1
    if grep -q 'copying the input' "$WORK/tty.out" && [ -f "$WORK/tty.iso" ]; then
        pass progress_on_terminal
    else
        fail progress_on_terminal "no progress line: $(oneline <"$WORK/tty.out")"
    fi
else
    skip progress_on_terminal "script(1) not installed (util-linux): it provides the terminal"
fi
