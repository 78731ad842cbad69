#!/usr/bin/env bash
# End-to-end tests of `vnest ova import` against the simulator (tests/vcsim,
# vCenter model, API 6.7), read back independently with pyvmomi. The OVA is
# built with independent tools (qemu-img streamOptimized disks, sha256sum,
# GNU tar; tests/e2e/data/ova-lib.sh).
#   import with properties, a network and a host; the VM read back (guest,
#   CPUs, memory, two disks, the NIC's network, nested HV, EFI, ExtraConfig);
#   the CreateImportSpec/ImportVApp/lease calls made, in schema order;
#   a duplicate name refused before any call; a corrupt disk found during the
#   upload: lease aborted, no VM left; packages and flags refused up front.
# vcsim 0.24.2 behaviour this suite relies on, read in its sources
# (simulator/ovf_manager.go, http_nfc_lease.go, resource_pool.go):
#   - CreateImportSpec ignores vmw:Config and vmw:ExtraConfig, so the VM
#     arrives without nestedHVEnabled, firmware or ExtraConfig: vnest restores
#     them after the import, which this suite checks;
#   - propertyMapping becomes extraConfig KEY=VALUE on the VM (vCenter makes
#     vApp properties of them; vcsim has no vAppConfig), so the properties are
#     read back from extraConfig here;
#   - HttpNfcLeaseAbort does not delete the VM (vCenter does): vnest removes it
#     itself, which is what "no VM left" checks;
#   - duplicate VM names are accepted, so the refusal must be vnest's.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vcsim/lib.sh
. "$(dirname "$0")/../vcsim/lib.sh"
# shellcheck source=tests/e2e/data/ova-lib.sh
. "$(dirname "$0")/data/ova-lib.sh"

checks=(import import-output readback-hw readback-disks readback-network readback-nested
    readback-firmware readback-extra readback-props import-calls vm-check-clean import-uploaded import-progress-calls
    import-mapping-body duplicate-name duplicate-no-calls corrupt-disk corrupt-aborted
    corrupt-no-vm refused-package refused-no-calls bad-prop password-inline-refused password-file-mode bad-provisioning no-name
    import-json readback-json-vm plain-ovf ordercheck)

unset GOVC_URL GOVC_USERNAME GOVC_PASSWORD GOVC_INSECURE GOVC_TLS_CA_CERTS \
    GOVC_TLS_KNOWN_HOSTS GOVC_DATACENTER GOVC_DATASTORE GOVC_NETWORK \
    GOVC_RESOURCE_POOL GOVC_FOLDER GOVC_HOST VNEST_ALLOW_HTTP

if ! have qemu-img || ! have tar || ! have sha256sum; then
    for c in "${checks[@]}"; do skip "$c" "qemu-img, tar or sha256sum missing: cannot build test OVAs"; done
    exit 0
fi
if ! why=$(vcsim_skip_reason); then
    for c in "${checks[@]}"; do skip "$c" "$why"; done
    exit 0
fi
peer_why=""
peer_why=$(vcsim_peer_skip_reason) || true

D=$WORK/pkg
if ! ova_make "$D" "$WORK/good.ova"; then
    for c in "${checks[@]}"; do skip "$c" "could not build the test OVA"; done
    exit 0
fi

REC=$WORK/rec
if ! vcsim_start -api-version 6.7 -product-version 6.7.0 -record "$REC"; then
    fail import "$VCSIM_ERROR"
    for c in "${checks[@]:1}"; do skip "$c" "simulator did not start"; done
    exit 0
fi

# last_body METHOD: the newest body of that method.
last_body() { find "$REC" -name "*-$1.req.xml" | sort | tail -1; }

rb() {
    OUT=$("$VCSIM_PYTHON" "$VCSIM_READBACK" "$1" "$2" 2>"$WORK/rb.err")
    RC=$?
    ERR=$(cat "$WORK/rb.err")
}
peer_check() { # NAME EXPR VM
    if [ -n "$peer_why" ]; then
        skip "$1" "$peer_why"
        return
    fi
    rb vm "$3"
    if [ "$RC" -ne 0 ]; then
        fail "$1" "readback.py vm $3 exited $RC: $(head -c 300 <<<"$ERR")"
    else
        json_ok "$1" "$2"
    fi
}
# one_error NAME RC REGEX: that status and one "vnest: " line matching REGEX.
one_error() {
    local lines
    lines=$(grep -c '' <<<"$ERR")
    if [ "$RC" -ne "$2" ]; then
        fail "$1" "exit status $RC, expected $2; stderr: $(head -c 300 <<<"$ERR")"
    elif ! grep -Eq -- "$3" <<<"$ERR"; then
        fail "$1" "stderr lacks /$3/: $(head -c 300 <<<"$ERR")"
    elif [ "$(grep -c '^vnest: ' <<<"$ERR")" -ne 1 ] || [ "$lines" -gt 4 ]; then
        fail "$1" "expected one error line: $(head -c 300 <<<"$ERR")"
    else
        pass "$1"
    fi
}

std=(--host DC0_H0 --network "VM Network")

# --- a good import ---------------------------------------------------------------
printf 's3cret\n' >"$WORK/root.pw"
chmod 600 "$WORK/root.pw"
rec_mark
run ova import "$WORK/good.ova" --name imp-1 "${std[@]}" \
    --prop guestinfo.hostname=esxi-imp1 --prop guestinfo.ssh=True --prop guestinfo.password=@"$WORK/root.pw"
expect import 0
expect import-output 0 'imported "imp-1" \(vm-[0-9]+\): 2 files, [0-9]+ bytes, 3 properties set'
peer_check readback-hw "d['guestId'] == 'vmkernel8Guest' and d['numCPU'] == 2 and d['memoryMB'] == 8192" imp-1
peer_check readback-disks "[x['type'] for x in d['devices'] if x['type'] == 'VirtualDisk'] == ['VirtualDisk', 'VirtualDisk'] and any(x['type'] == 'ParaVirtualSCSIController' for x in d['devices'])" imp-1
peer_check readback-network "d['networks'] == ['VM Network'] and any(x['type'] == 'VirtualVmxnet3' for x in d['devices'])" imp-1
peer_check readback-nested "d['nestedHVEnabled'] is True" imp-1
peer_check readback-firmware "d['firmware'] == 'efi'" imp-1
peer_check readback-extra "d['extraConfig'].get('disk.EnableUUID') == 'TRUE' and d['extraConfig'].get('scsi0:1.virtualSSD') == '1'" imp-1
peer_check readback-props "d['extraConfig'].get('guestinfo.hostname') == 'esxi-imp1' and d['extraConfig'].get('guestinfo.ssh') == 'True' and d['extraConfig'].get('guestinfo.password') == 's3cret'" imp-1
# The imported VM, judged by the API surface of the profile: nothing left.
run vm check imp-1
expect vm-check-clean 0
n_spec=$(rec_since CreateImportSpec) n_imp=$(rec_since ImportVApp) n_done=$(rec_since HttpNfcLeaseComplete)
n_abort=$(rec_since HttpNfcLeaseAbort) n_rec=$(rec_since ReconfigVM_Task)
if [ "$n_spec$n_imp$n_done$n_abort$n_rec" = 11101 ]; then pass import-calls; else
    fail import-calls "CreateImportSpec=$n_spec ImportVApp=$n_imp Complete=$n_done Abort=$n_abort Reconfig=$n_rec (expected 1 1 1 0 1)"
fi
# vcsim logs each NFC transfer ("nfc PUT FILE: transferred N bytes"): both
# disks arrived whole.
s1=$(stat -c %s "$D/nested8-disk1.vmdk") s2=$(stat -c %s "$D/nested8-disk2.vmdk")
if grep -q "nfc PUT .*imp-1/disk-0.vmdk: transferred $s1 bytes" "$VCSIM_LOG" &&
    grep -q "nfc PUT .*imp-1/disk-1.vmdk: transferred $s2 bytes" "$VCSIM_LOG"; then
    pass import-uploaded
else
    fail import-uploaded "vcsim did not log both uploads: $(grep 'nfc ' "$VCSIM_LOG" | head -3 | tr '\n' ' ')"
fi
n_prog=$(rec_since HttpNfcLeaseProgress)
if [ "$n_prog" -ge 2 ]; then pass import-progress-calls; else fail import-progress-calls "$n_prog HttpNfcLeaseProgress calls for 2 disks"; fi
body=$(last_body CreateImportSpec)
if grep -q '<key>guestinfo.hostname</key><value>esxi-imp1</value>' "$body" &&
    grep -q '<networkMapping><name>VM Network</name><network type="Network">' "$body" &&
    grep -q '<entityName>imp-1</entityName>' "$body" && grep -q '<diskProvisioning>thin</diskProvisioning>' "$body"; then
    pass import-mapping-body
else
    fail import-mapping-body "CreateImportSpec body lacks the mappings: $(head -c 300 "$body")"
fi

# --- a duplicate name: refused before anything is created ------------------------
rec_mark
run ova import "$WORK/good.ova" --name imp-1 "${std[@]}"
one_error duplicate-name 2 '^vnest: imp-1: a VM with this name already exists'
if [ "$(rec_since CreateImportSpec ImportVApp)" = 0 ]; then pass duplicate-no-calls; else fail duplicate-no-calls "import calls made for a duplicate name"; fi

# --- a corrupt disk: found while uploading, the lease aborted, nothing left ---------
cp -r "$D" "$WORK/bad"
printf 'X' | dd of="$WORK/bad/nested8-disk2.vmdk" bs=1 seek=70000 conv=notrunc status=none
ova_pack "$WORK/bad" "$WORK/corrupt.ova"
rec_mark
run ova import "$WORK/corrupt.ova" --name imp-bad "${std[@]}"
one_error corrupt-disk 2 '^vnest: nested8-disk2\.vmdk: SHA256 digest differs from the manifest'
if [ "$(rec_since ImportVApp)" = 1 ] && [ "$(rec_since HttpNfcLeaseAbort)" = 1 ] && [ "$(rec_since HttpNfcLeaseComplete)" = 0 ]; then
    pass corrupt-aborted
else
    fail corrupt-aborted "ImportVApp=$(rec_since ImportVApp) Abort=$(rec_since HttpNfcLeaseAbort) Complete=$(rec_since HttpNfcLeaseComplete)"
fi
if [ -n "$peer_why" ]; then skip corrupt-no-vm "$peer_why"; else
    rb vm imp-bad
    if [ "$RC" -eq 2 ]; then pass corrupt-no-vm; else fail corrupt-no-vm "readback found imp-bad (exit $RC): $(head -c 200 <<<"$OUT")"; fi
fi

# --- refused up front: nothing sent ---------------------------------------------------
M=$WORK/var
cp -r "$D" "$M"
ova_descriptor "$M" 's|ovf:/disk/vmdisk2|ovf:/disk/vmdisk9|'
ova_manifest "$M" && ova_pack "$M" "$WORK/dangling.ova"
rec_mark
run ova import "$WORK/dangling.ova" --name imp-dangling "${std[@]}"
one_error refused-package 2 'dangling\.ova: not importable: ovf-structure'
if [ "$(rec_since Login CreateImportSpec ImportVApp)" = 0 ]; then pass refused-no-calls; else fail refused-no-calls "calls made for a refused package"; fi
run ova import "$WORK/good.ova" --name imp-x --prop guestinfo.nosuch=1 "${std[@]}"
one_error bad-prop 2 '^vnest: --prop: the descriptor has no property "guestinfo.nosuch" \(it has: guestinfo.hostname'
# A password property never comes from the command line, and its file must be private.
run ova import "$WORK/good.ova" --name imp-x --prop guestinfo.password=s3cret "${std[@]}"
one_error password-inline-refused 2 '^vnest: --prop: guestinfo.password is a password: .*guestinfo.password=@FILE'
chmod 644 "$WORK/root.pw"
run ova import "$WORK/good.ova" --name imp-x --prop guestinfo.password=@"$WORK/root.pw" "${std[@]}"
one_error password-file-mode 2 "root.pw"
chmod 600 "$WORK/root.pw"
run ova import "$WORK/good.ova" --name imp-x --disk-provisioning sparse "${std[@]}"
one_error bad-provisioning 2 '^vnest: --disk-provisioning: '
run ova import "$WORK/good.ova" "${std[@]}"
one_error no-name 2 '^vnest: --name: '

# --- JSON, and a plain .ovf folder -------------------------------------------------------
run --json ova import "$WORK/good.ova" --name imp-json "${std[@]}" --prop guestinfo.hostname=j1
if [ "$RC" -eq 0 ]; then
    json_ok import-json "d['name'] == 'imp-json' and d['moref'].startswith('vm-') and d['files'] == 2 and d['nested_hv_set'] and d['properties'] == ['guestinfo.hostname']"
else
    fail import-json "exit $RC: $(head -c 300 <<<"$ERR")"
fi
peer_check readback-json-vm "d['nestedHVEnabled'] is True and d['extraConfig'].get('guestinfo.hostname') == 'j1'" imp-json
run ova import "$D/nested8.ovf" --name imp-plain "${std[@]}"
expect plain-ovf 0 'imported "imp-plain"'

# --- what went over the wire ------------------------------------------------------------
shopt -s nullglob
bodies=("$REC"/*.req.xml)
out=$("$VCSIM_ORDERCHECK" -q "${bodies[@]}" 2>&1)
rc=$?
if [ "${#bodies[@]}" -lt 20 ]; then
    fail ordercheck "only ${#bodies[@]} request bodies recorded"
elif [ "$rc" -ne 0 ]; then
    fail ordercheck "exit $rc: $(head -c 600 <<<"$out")"
else
    pass ordercheck
fi
vcsim_stop
