#!/usr/bin/env bash
# End-to-end tests of `vnest ova export --vm NAME` (the API route) against the
# simulator (tests/vcsim, vCenter model, API 6.7). govmomi 0.24's vcsim has no
# ExportVm: these tests use the TEST EXTENSION tests/vcsim/export_ext.go, a
# simulation of vCenter's export lease (ExportVm -> HttpNfcLease, one
# streamOptimized VMDK per disk URL, progress/complete/abort); what passes
# here proves nothing about a real vCenter beyond what that file simulates.
#   a VM made by `vm create --esxi 6.7` with data written into its backing
#   file in the simulated datastore: exported; the OVA checked with
#   independent tools (tar member order, sha256sum against the manifest,
#   xmllint, qemu-img check and compare against the data) and with
#   `vnest ova check`; the descriptor's nested HV, network and vApp
#   properties; the lease calls (ExportVm, progress, complete, no abort);
#   no temporary file left; --json; --props; an 8.0 VM with vSAN disks (three
#   disks, virtualSSD); a template; a powered-on VM refused (exit 3, no
#   ExportVm, no OUT); an unknown name; a failed download (the extension's
#   simulated fault for names containing "faildl"): lease aborted, no OUT, no
#   temporary file; usage errors; every request body schema-checked; and a
#   server without ExportVm (stock vcsim): one error line, nothing written.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vcsim/lib.sh
. "$(dirname "$0")/../vcsim/lib.sh"

checks=(create export tar-order manifest xmllint descriptor-nested descriptor-props
    descriptor-network qemu-check disk-content ova-check lease-calls no-temp json props-subset
    vsan-export vsan-descriptor template-export powered-on powered-on-no-call powered-on-no-out
    unknown-vm faildl faildl-aborted faildl-no-out usage-both usage-none usage-conn ordercheck
    stock-no-exportvm)

unset GOVC_URL GOVC_USERNAME GOVC_PASSWORD GOVC_INSECURE GOVC_TLS_CA_CERTS \
    GOVC_TLS_KNOWN_HOSTS GOVC_DATACENTER GOVC_DATASTORE GOVC_NETWORK \
    GOVC_RESOURCE_POOL GOVC_FOLDER GOVC_HOST VNEST_ALLOW_HTTP

for t in qemu-img xmllint tar sha256sum; do
    if ! have "$t"; then
        for c in "${checks[@]}"; do skip "$c" "$t missing"; done
        exit 0
    fi
done
if ! why=$(vcsim_skip_reason); then
    for c in "${checks[@]}"; do skip "$c" "$why"; done
    exit 0
fi

REC=$WORK/rec
if ! vcsim_start -api-version 6.7 -product-version 6.7.0 -record "$REC"; then
    fail create "$VCSIM_ERROR"
    for c in "${checks[@]:1}"; do skip "$c" "simulator did not start"; done
    exit 0
fi

# one_error NAME RC REGEX: that status and one "vnest: " line matching REGEX.
one_error() {
    if [ "$RC" -ne "$2" ]; then
        fail "$1" "exit status $RC, expected $2; stderr: $(head -c 300 <<<"$ERR")"
    elif ! grep -Eq -- "$3" <<<"$ERR"; then
        fail "$1" "stderr lacks /$3/: $(head -c 300 <<<"$ERR")"
    elif [ "$(grep -c '' <<<"$ERR")" -ne 1 ] || [ "$(grep -c '^vnest: ' <<<"$ERR")" -ne 1 ]; then
        fail "$1" "expected one error line: $(head -c 300 <<<"$ERR")"
    else
        pass "$1"
    fi
}
# leftovers DIR: anything but the OVAs the tests expect (temporary files).
leftovers() { find "$1" -mindepth 1 -name '.*' -printf '%f '; }
# backing NAME: the simulated datastore's file behind the VM's first disk.
backing() { find "$VCSIM_DIR" -path "*/$1/$1.vmdk" -print -quit; }

std=(--network "VM Network" --host DC0_H0)
OUTD=$WORK/out
mkdir -p "$OUTD"

# --- a VM made by vnest, with data in its disk ------------------------------------
run vm create ex67 --esxi 6.7 "${std[@]}"
expect create 0 'created Nested ESXi 6\.7 VM "ex67"'
# Data for the simulated disk: text at the start, random bytes 1 MiB in and
# 70 KiB more across a grain boundary (vcsim's disk files are empty).
head -c 300000 /dev/urandom >"$WORK/rand"
B=$(backing ex67)
if [ -n "$B" ]; then
    printf 'vnest export test data %05d\n' $(seq 1 3000) >"$B"
    dd if="$WORK/rand" of="$B" bs=1024 seek=1024 conv=notrunc status=none
fi

rec_mark
run ova export --vm ex67 -o "$OUTD/ex67.ova"
expect export 0 'exported Nested ESXi 6\.7 VM "ex67" to .*ex67\.ova'
n_exp=$(rec_since ExportVm) n_prog=$(rec_since HttpNfcLeaseProgress)
n_done=$(rec_since HttpNfcLeaseComplete) n_abort=$(rec_since HttpNfcLeaseAbort)
if [ "$n_exp$n_done$n_abort" = 110 ] && [ "$n_prog" -ge 1 ]; then pass lease-calls; else
    fail lease-calls "ExportVm=$n_exp Progress=$n_prog Complete=$n_done Abort=$n_abort (expected 1 >=1 1 0)"
fi
left=$(leftovers "$OUTD")
if [ -z "$left" ]; then pass no-temp; else fail no-temp "left behind: $left"; fi

X=$WORK/x
mkdir -p "$X"
members=$(tar tf "$OUTD/ex67.ova" 2>&1 | tr '\n' ' ')
if [ "$members" = "ex67.ovf ex67.mf ex67-disk1.vmdk " ]; then pass tar-order; else
    fail tar-order "members: $members"
fi
if (cd "$X" && tar xf "$OUTD/ex67.ova" && sed -E 's/^SHA256\((.*)\)= ([0-9a-f]+)$/\2  \1/' ex67.mf |
    sha256sum -c --quiet) >"$WORK/sum.out" 2>&1 && [ "$(grep -c '' "$X/ex67.mf")" = 2 ]; then
    pass manifest
else
    fail manifest "$(oneline <"$WORK/sum.out")"
fi
if xmllint --noout "$X/ex67.ovf" 2>"$WORK/xml.err"; then pass xmllint; else
    fail xmllint "$(oneline <"$WORK/xml.err")"
fi
OVF=$(cat "$X/ex67.ovf" 2>/dev/null)
if grep -q '<vmw:Config ovf:required="false" vmw:key="nestedHVEnabled" vmw:value="true"/>' <<<"$OVF" &&
    grep -q 'vmw:osType="vmkernel65Guest"' <<<"$OVF"; then
    pass descriptor-nested
else
    fail descriptor-nested "no nestedHVEnabled=true or osType vmkernel65Guest: $(grep -E 'nestedHV|osType' <<<"$OVF" | oneline)"
fi
nprops=$(grep -c '<Property ovf:key="guestinfo\.' <<<"$OVF")
if [ "$nprops" = 10 ] && grep -q 'ovf:key="guestinfo.password" ovf:password="true"' <<<"$OVF"; then
    pass descriptor-props
else
    fail descriptor-props "$nprops guestinfo properties (expected 10, password marked)"
fi
if grep -q '<Network ovf:name="VM Network">' <<<"$OVF" &&
    grep -q '<rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>' <<<"$OVF"; then
    pass descriptor-network
else
    fail descriptor-network "no VM Network / VmxNet3 in the descriptor"
fi
if qemu-img check "$X/ex67-disk1.vmdk" >"$WORK/qc.out" 2>&1; then pass qemu-check; else
    fail qemu-check "$(oneline <"$WORK/qc.out")"
fi
# The exported disk holds exactly the backing file's bytes, then zeros.
cap=$(qemu-img info --output=json "$X/ex67-disk1.vmdk" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])' 2>/dev/null)
if [ -n "$B" ] && [ -n "$cap" ] && cp "$B" "$WORK/ref.raw" && truncate -s "$cap" "$WORK/ref.raw" &&
    qemu-img compare -q -f raw -F vmdk "$WORK/ref.raw" "$X/ex67-disk1.vmdk" 2>"$WORK/cmp.err"; then
    pass disk-content
else
    fail disk-content "backing=${B:-none} capacity=${cap:-?}: $(oneline <"$WORK/cmp.err" 2>/dev/null)"
fi
run ova check "$OUTD/ex67.ova"
expect ova-check 0 'no findings'

run --json ova export --vm ex67 -o "$OUTD/ex67j.ova"
if [ "$RC" -ne 0 ]; then fail json "exit $RC: $(oneline <<<"$ERR")"; else
    json_ok json 'd["ova"].endswith("ex67j.ova") and d["name"] == "ex67" and d["esxi"] == "6.7" and len(d["disks"]) == 1 and d["disks"][0]["source"] == "[LocalDS_0] ex67/ex67.vmdk" and d["disks"][0]["device"] == "scsi0:0" and d["disks"][0]["populated"] >= 327680 and len(d["properties"]) == 10'
fi
run --json ova export --vm ex67 -o "$OUTD/ex67p.ova" --props hostname,password
if [ "$RC" -ne 0 ]; then fail props-subset "exit $RC: $(oneline <<<"$ERR")"; else
    json_ok props-subset 'd["properties"] == ["guestinfo.hostname", "guestinfo.password"]'
fi

# --- ESXi 8.0 with vSAN disks: three disks, virtualSSD ------------------------------
run vm create ex80 --esxi 8.0 --vsan-cache 4G --vsan-capacity 8G "${std[@]}"
if [ "$RC" -ne 0 ]; then
    fail vsan-export "vm create ex80: exit $RC: $(oneline <<<"$ERR")"
    skip vsan-descriptor "no VM"
else
    run --json ova export --vm ex80 -o "$OUTD/ex80.ova"
    if [ "$RC" -ne 0 ]; then fail vsan-export "exit $RC: $(oneline <<<"$ERR")"; else
        json_ok vsan-export 'd["esxi"] == "8.0" and [x["device"] for x in d["disks"]] == ["scsi0:0", "scsi0:1", "scsi0:2"]'
    fi
    mkdir -p "$WORK/x80"
    if (cd "$WORK/x80" && tar xf "$OUTD/ex80.ova") 2>/dev/null &&
        [ "$(grep -c 'virtualSSD' "$WORK/x80/ex80.ovf")" = 2 ] &&
        grep -q 'vmw:osType="vmkernel8Guest"' "$WORK/x80/ex80.ovf" &&
        qemu-img check -q "$WORK/x80/ex80-disk3.vmdk" 2>/dev/null; then
        pass vsan-descriptor
    else
        fail vsan-descriptor "members: $(ls "$WORK/x80" | oneline)"
    fi
fi

# --- a template ---------------------------------------------------------------------
run vm create extpl --esxi 6.7 "${std[@]}"
if [ "$RC" -eq 0 ]; then run template extpl; fi
if [ "$RC" -ne 0 ]; then fail template-export "making the template: exit $RC: $(oneline <<<"$ERR")"; else
    run ova export --vm extpl -o "$OUTD/extpl.ova"
    expect template-export 0 'exported Nested ESXi 6\.7 VM "extpl"'
fi

# --- refusals -----------------------------------------------------------------------
# vcsim's own VMs are powered on.
rec_mark
run ova export --vm DC0_H0_VM0 -o "$OUTD/on.ova"
one_error powered-on 3 '^vnest: DC0_H0_VM0: is poweredOn \(expected a powered-off VM or template'
if [ "$(rec_since ExportVm)" = 0 ]; then pass powered-on-no-call; else
    fail powered-on-no-call "ExportVm was called"
fi
if [ ! -e "$OUTD/on.ova" ] && [ -z "$(leftovers "$OUTD")" ]; then pass powered-on-no-out; else
    fail powered-on-no-out "files: $(ls -A "$OUTD" | oneline)"
fi
run ova export --vm no-such-vm -o "$OUTD/none.ova"
one_error unknown-vm 2 '^vnest: no-such-vm: no VM or template with this name on 127\.0\.0\.1:[0-9]+$'

run vm create ex-faildl --esxi 6.7 "${std[@]}"
rec_mark
run ova export --vm ex-faildl -o "$OUTD/faildl.ova"
one_error faildl 3 '^vnest: 127\.0\.0\.1:[0-9]+: downloading disk ex-faildl\.vmdk .*HTTP status 500'
if [ "$(rec_since HttpNfcLeaseAbort)" = 1 ] && [ "$(rec_since HttpNfcLeaseComplete)" = 0 ] &&
    grep -q 'export lease export-[0-9]* aborted' "$VCSIM_LOG"; then
    pass faildl-aborted
else
    fail faildl-aborted "Abort=$(rec_since HttpNfcLeaseAbort) Complete=$(rec_since HttpNfcLeaseComplete)"
fi
if [ ! -e "$OUTD/faildl.ova" ] && [ -z "$(leftovers "$OUTD")" ]; then pass faildl-no-out; else
    fail faildl-no-out "files: $(ls -A "$OUTD" | oneline)"
fi

run ova export "$WORK/some.vmx" --vm ex67 -o "$OUTD/both.ova"
one_error usage-both 2 'expected one of FILE\.vmx or --vm NAME'
run ova export -o "$OUTD/neither.ova"
one_error usage-none 2 'expected FILE\.vmx or --vm NAME'
run ova export "$WORK/some.vmx" --url https://vc.invalid -o "$OUTD/conn.ova"
one_error usage-conn 2 'some\.vmx: --url is a connection option \(expected it only with --vm NAME\)'

# --- every request body, against the vim25 schema ------------------------------------
if "$VCSIM_ORDERCHECK" -q "$REC"/*.req.xml >"$WORK/oc.out" 2>&1; then pass ordercheck; else
    fail ordercheck "$(head -c 400 "$WORK/oc.out")"
fi
vcsim_stop

# --- a server without ExportVm: stock vcsim ------------------------------------------
if ! vcsim_start -api-version 6.7 -product-version 6.7.0 -stock; then
    fail stock-no-exportvm "$VCSIM_ERROR"
    exit 0
fi
run vm create st1 --esxi 6.7 "${std[@]}"
run ova export --vm st1 -o "$OUTD/st1.ova"
if [ ! -e "$OUTD/st1.ova" ] && [ -z "$(leftovers "$OUTD")" ]; then
    one_error stock-no-exportvm 3 '^vnest: 127\.0\.0\.1:[0-9]+: server fault MethodNotFound: .*ExportVm'
else
    fail stock-no-exportvm "files: $(ls -A "$OUTD" | oneline)"
fi
vcsim_stop
