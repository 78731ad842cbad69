#!/usr/bin/env bash
# End-to-end tests of `vnest ova check`: OVAs built with independent tools
# (qemu-img streamOptimized disks, sha256sum manifest, GNU tar ustar/pax),
# broken variants of each kind (digest, order, references, sizes, XML, DTD
# attacks, truncation), and the real OVF descriptors of the shared corpus.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/data/ova-lib.sh
. "$(dirname "$0")/data/ova-lib.sh"

# has_finding RULE KEY_REGEX: the JSON findings in $OUT hold one with that
# rule whose key matches.
has_finding() { # NAME RULE KEY_REGEX
    json_ok "$1" "any(f['rule'] == '$2' and __import__('re').search(r'''$3''', f['key']) for f in d['findings'])"
}

# one_error NAME RC REGEX: exit status RC, exactly one line on stderr
# starting "vnest: " and matching REGEX, nothing on stdout.
one_error() {
    local lines
    lines=$(grep -c '' <<<"$ERR")
    if [ "$RC" -ne "$2" ]; then
        fail "$1" "exit status $RC, expected $2; stderr: $(head -c 300 <<<"$ERR")"
    elif [ "$lines" -ne 1 ] || [[ $ERR != "vnest: "* ]]; then
        fail "$1" "expected one 'vnest: ' line on stderr, got: $(head -c 300 <<<"$ERR")"
    elif ! grep -Eq -- "$3" <<<"$ERR"; then
        fail "$1" "stderr lacks /$3/: $(head -c 300 <<<"$ERR")"
    elif [ -n "$OUT" ]; then
        fail "$1" "stdout not empty on error: $(head -c 200 <<<"$OUT")"
    else
        pass "$1"
    fi
}

# --- the real descriptors of the shared corpus --------------------------------
CORPUS=${VNEST_CORPUS:-}
if [ -z "$CORPUS" ] || [ ! -d "$CORPUS/ovf" ]; then
    skip corpus "VNEST_CORPUS/ovf not available (the shared corpus is not mounted)"
else
    for f in "$CORPUS"/ovf/*.ovf; do
        base=$(basename "$f" .ovf)
        run --json ova check "$f"
        # They must parse: exit 0 or 1 (findings), never 2 or 3, and JSON.
        if [ "$RC" -le 1 ] && [ -z "$ERR" ]; then
            json_ok "corpus-$base" "d['descriptor']['virtual_system'] != '' and 'findings' in d"
        else
            fail "corpus-$base" "exit $RC: $(head -c 300 <<<"$ERR")"
        fi
    done
    # What is found, per descriptor (recorded in docs/notes/ovaimp.md).
    esx="$CORPUS/ovf/vmware__govmomi__ovf__fixtures__vmware__esxvmovf-25262174.ovf"
    if [ -f "$esx" ]; then
        run --json ova check "$esx"
        json_ok corpus-esxvm-release "d['esxi'] == '8.0' and d['esxi_from'] == 'vmw:osType'"
        json_ok corpus-esxvm-nested-ok "not any(f['rule'] in ('nested-hv','guest-os','nic-vmxnet3','storage-pvscsi','firmware-efi','hw-version') for f in d['findings'])"
        has_finding corpus-esxvm-disk-missing ova-files '^disk-0\.vmdk$'
        has_finding corpus-esxvm-disk-uuid disk-uuid 'vmw:ExtraConfig disk.EnableUUID'
    fi
    sb="$CORPUS/ovf/vmware__govmomi__ovf__fixtures__external__vbs__secure-boot-enabled-with-bios-firmware.ovf"
    if [ -f "$sb" ]; then
        run --json ova check "$sb"
        has_finding corpus-vbs-bios firmware-efi '^vmw:Config firmware$'
        has_finding corpus-vbs-secureboot secure-boot-off 'efiSecureBootEnabled'
        has_finding corpus-vbs-guest guest-os 'vmw:osType'
    fi
fi

if ! have qemu-img || ! have tar || ! have sha256sum; then
    skip ova "qemu-img, tar or sha256sum missing: cannot build test OVAs"
    exit 0
fi

D=$WORK/pkg
if ! ova_make "$D" "$WORK/good.ova"; then
    fail build "could not build the test OVA with qemu-img/tar"
    exit 0
fi

# --- a correct package -------------------------------------------------------------
run ova check "$WORK/good.ova"
expect good-clean 0 'no findings'
run --json ova check "$WORK/good.ova"
json_ok good-json "d['clean'] and d['archive'] and [m['name'] for m in d['members']] == ['nested8.ovf','nested8.mf','nested8-disk1.vmdk','nested8-disk2.vmdk'] and d['manifest'] == 'nested8.mf'"
json_ok good-props "[p['key'] for p in d['descriptor']['properties']] == ['guestinfo.hostname','guestinfo.ipaddress','guestinfo.password','guestinfo.ssh'] and d['descriptor']['properties'][2]['password'] and d['descriptor']['properties'][2]['default'] is None and d['descriptor']['properties'][3]['default'] == 'False'"
json_ok good-disks "[x['capacity_bytes'] for x in d['descriptor']['disks']] == [16<<20, 8<<20]"
if have xmllint; then
    if xmllint --noout --nonet "$D/nested8.ovf" 2>"$WORK/xl"; then pass good-xmllint; else fail good-xmllint "$(head -c 200 "$WORK/xl")"; fi
fi

# The same folder as a plain .ovf with its manifest and disks beside it.
run ova check "$D/nested8.ovf"
expect plain-ovf-clean 0 'OVF, descriptor nested8.ovf, 2 files, with a manifest'

# pax headers (GNU tar --format=pax) and the manifest at the end are allowed.
tar --format=pax -cf "$WORK/pax.ova" -C "$D" nested8.ovf nested8.mf nested8-disk1.vmdk nested8-disk2.vmdk
run ova check "$WORK/pax.ova"
expect pax-clean 0 'no findings'
ova_pack "$D" "$WORK/mf-last.ova" nested8.ovf nested8-disk1.vmdk nested8-disk2.vmdk nested8.mf
run ova check "$WORK/mf-last.ova"
expect manifest-last-ok 0 'no findings'

# --- package problems: exit 1 with the finding --------------------------------------
cp -r "$D" "$WORK/bad"
printf 'X' | dd of="$WORK/bad/nested8-disk2.vmdk" bs=1 seek=70000 conv=notrunc status=none
ova_pack "$WORK/bad" "$WORK/bad-digest.ova"
run --json ova check "$WORK/bad-digest.ova"
expect bad-digest-status 1
has_finding bad-digest ova-manifest '^nested8-disk2\.vmdk$'
json_ok bad-digest-only-disk2 "[f['key'] for f in d['findings'] if f['rule'] == 'ova-manifest'] == ['nested8-disk2.vmdk']"

ova_pack "$D" "$WORK/disk-first.ova" nested8-disk1.vmdk nested8.ovf nested8.mf nested8-disk2.vmdk
run --json ova check "$WORK/disk-first.ova"
expect wrong-order-status 1
has_finding wrong-order-ovf ova-order '^nested8\.ovf$'
ova_pack "$D" "$WORK/swapped.ova" nested8.ovf nested8.mf nested8-disk2.vmdk nested8-disk1.vmdk
run --json ova check "$WORK/swapped.ova"
has_finding wrong-order-refs ova-order '^nested8-disk[12]\.vmdk$'
ova_pack "$D" "$WORK/mf-middle.ova" nested8.ovf nested8-disk1.vmdk nested8.mf nested8-disk2.vmdk
run --json ova check "$WORK/mf-middle.ova"
has_finding manifest-middle ova-order '^nested8\.mf$'

ova_pack "$D" "$WORK/no-disk2.ova" nested8.ovf nested8.mf nested8-disk1.vmdk
run --json ova check "$WORK/no-disk2.ova"
expect missing-file-status 1
has_finding missing-file ova-files '^nested8-disk2\.vmdk$'
has_finding missing-file-manifest ova-manifest 'nested8\.mf'

M=$WORK/var
cp -r "$D" "$M"
ova_descriptor "$M" 's|ovf:/disk/vmdisk2|ovf:/disk/vmdisk9|' 's|<rasd:Connection>VM Network|<rasd:Connection>Nowhere|' 's|<rasd:Parent>3</rasd:Parent>|<rasd:Parent>42</rasd:Parent>|'
ova_manifest "$M" && ova_pack "$M" "$WORK/dangling.ova"
run --json ova check "$WORK/dangling.ova"
expect dangling-status 1
json_ok dangling-refs "sum(1 for f in d['findings'] if f['rule'] == 'ovf-structure' and ('vmdisk9' in f['note'] or 'Nowhere' in f['note'] or 'Parent 42' in f['note'])) >= 3"

ova_descriptor "$M" 's|ovf:id="file2" ovf:size="[0-9]*"|ovf:id="file2" ovf:size="12345"|'
ova_manifest "$M" && ova_pack "$M" "$WORK/size.ova"
run --json ova check "$WORK/size.ova"
json_ok size-mismatch "any(f['rule'] == 'ova-files' and f['key'] == 'nested8-disk2.vmdk' and f['wanted'] == '12345' for f in d['findings'])"

# The profile on the hardware: E1000, LSI Logic, no nested HV, BIOS, 4 GB.
ova_descriptor "$M" 's|>VmxNet3<|>E1000<|' 's|>VirtualSCSI<|>lsilogic<|' '/nestedHVEnabled/d' 's|vmw:value="efi"|vmw:value="bios"|' 's|>8192<|>4096<|'
ova_manifest "$M" && ova_pack "$M" "$WORK/profile.ova"
run ova check "$WORK/profile.ova"
expect profile-status 1 'nested-hv +vmw:Config nestedHVEnabled'
run --json ova check "$WORK/profile.ova"
has_finding profile-e1000 nic-vmxnet3 "^Item 'Network adapter 1' rasd:ResourceSubType"
has_finding profile-lsi storage-pvscsi "^Item 'SCSI controller 0' rasd:ResourceSubType"
has_finding profile-bios firmware-efi '^vmw:Config firmware'
has_finding profile-memory memory-min 'memory'
json_ok profile-wanted "any(f['rule'] == 'nic-vmxnet3' and f['current'] == 'E1000' and f['wanted'] == 'VmxNet3' and f['line'] for f in d['findings'])"
run --json ova check --esxi 6.0 "$WORK/profile.ova"
json_ok esxi-flag "d['esxi'] == '6.0' and d['esxi_from'] == '--esxi'"

# vhv.enable as ExtraConfig: importers drop it.
ova_descriptor "$M" 's|<vmw:Config ovf:required="false" vmw:key="nestedHVEnabled" vmw:value="true"/>|<vmw:ExtraConfig ovf:required="false" vmw:key="vhv.enable" vmw:value="TRUE"/>|'
ova_manifest "$M" && ova_pack "$M" "$WORK/extra-vhv.ova"
run --json ova check "$WORK/extra-vhv.ova"
has_finding extraconfig-vhv ovf-structure '^vmw:ExtraConfig vhv\.enable$'
has_finding extraconfig-vhv-nested nested-hv 'nestedHVEnabled'

# A manifest written with spaces (refused by ESXi) and SHA1.
ova_descriptor "$M"
(cd "$M" && sha1sum nested8.ovf nested8-disk1.vmdk nested8-disk2.vmdk | awk '{ printf "SHA1 (%s) = %s\n", $2, $1 }' >nested8.mf)
ova_pack "$M" "$WORK/sha1.ova"
run --json ova check "$WORK/sha1.ova"
json_ok sha1-spaced "any(f['rule'] == 'ova-manifest' and 'refuses' in f['note'] for f in d['findings']) and any(f['severity'] == 'info' and 'SHA1' in f['note'] for f in d['findings']) and not any('differs' in (f['note'] or '') for f in d['findings'])"

# --- unreadable input: exit 2, one line naming the file ------------------------------
ova_descriptor "$M" 's|</References>|</Reference>|'
ova_manifest "$M" && ova_pack "$M" "$WORK/malformed.ova"
run ova check "$WORK/malformed.ova"
one_error malformed-xml 2 'malformed\.ova\(nested8\.ovf\):[0-9]+: malformed XML'

cat >"$M/nested8.ovf" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE Envelope [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><VirtualSystem>&d;&d;&d;&d;</VirtualSystem></Envelope>
EOF
ova_manifest "$M" && ova_pack "$M" "$WORK/bomb.ova"
run ova check "$WORK/bomb.ova"
one_error dtd-bomb-refused 2 'DTD'
cat >"$M/nested8.ovf" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE Envelope [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><VirtualSystem><Name>&xxe;</Name></VirtualSystem></Envelope>
EOF
run ova check "$M/nested8.ovf"
one_error xxe-refused 2 'DTD'
if grep -q 'root:' <<<"$OUT$ERR"; then fail xxe-no-leak "/etc/passwd content in the output"; else pass xxe-no-leak; fi

printf '<?xml version="1.0"?>\n<Envelope xmlns="urn:not-ovf"/>\n' >"$M/nested8.ovf"
run ova check "$M/nested8.ovf"
one_error not-ovf-root 2 'not an OVF Envelope'

head -c 200000 "$WORK/good.ova" >"$WORK/truncated.ova"
run ova check "$WORK/truncated.ova"
one_error truncated 2 'truncated\.ova: member nested8-disk[12]\.vmdk is truncated'
head -c 1000 "$WORK/good.ova" >"$WORK/truncated-ovf.ova"
run ova check "$WORK/truncated-ovf.ova"
one_error truncated-descriptor 2 'member nested8\.ovf is truncated'
head -c 4096 /dev/urandom >"$WORK/random.ova"
run ova check "$WORK/random.ova"
one_error not-an-ova 2 'neither an OVA'
tar --format=ustar -cf "$WORK/no-ovf.ova" -C "$D" nested8-disk1.vmdk
run ova check "$WORK/no-ovf.ova"
one_error no-descriptor 2 'no \.ovf descriptor'
run ova check "$WORK/absent.ova"
one_error absent-file 2 'absent\.ova: cannot open'
run ova check --role nobody "$WORK/good.ova"
one_error bad-role 2 '^vnest: --role'
