#!/usr/bin/env bash
# vnest lab plan|up|status|down against the vSphere simulator (vcsim built
# from Debian's govmomi), with pyvmomi reading back what was made.
#
# The lab is examples/lab.yaml itself (3 ESXi 8.0 hosts, kickstart route),
# with a STAND-IN installer ISO (tests/e2e/data/lab-installer.sh: the boot
# layout only). Two TEST EXTENSIONS of vcsim are used, both simulations
# (tests/vcsim/lab_ext.go): -ext-lab-guest makes a powered-on VM report
# guestinfo.hostname/ipaddress as its guest identity, as a nested ESXi's
# VMware Tools would; -ext-lab-fail-create makes creating matching VMs fail
# with NoDiskSpace. vcsim 0.24 takes any element order, so every request
# body is also checked against the vim25 schema with ordercheck.
#
# Checks: bad lab files (FILE:LINE:COL errors, before any connection); plan
# on an empty inventory; up (hosts exist, powered on, marker and identity in
# extraConfig, port group fixed: read back with pyvmomi); up again changes
# nothing (no write method among the recorded requests); status; a crash
# after the first batch then up again (completes, no duplicate); a foreign
# VM with a lab host's name is refused by up and left by down; a failing
# create and a failing clone name their host and the fault; the template
# route (ESXi 6.7) with the marker surviving the clone; a guest that never
# reports ends as a timeout for that host only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../vcsim/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OPS=$TOP/tests/e2e/data/vsphere_ops.py

# ---- bad lab files: refused before anything is contacted ---------------------

L=$WORK/lab
mkdir -p "$L"
printf 'VMware1!\n' >"$L/esxi-root.pw"
chmod 600 "$L/esxi-root.pw"
cp "$TOP/examples/lab.yaml" "$L/lab.yaml"

# badlab NAME YAML WHERE REGEX: the file is $L/bad.yaml; GOVC_URL points
# nowhere, so reaching the network would fail differently.
badlab() {
    printf '%s\n' "$2" >"$L/bad.yaml"
    GOVC_URL=https://127.0.0.1:9/sdk run lab plan "$L/bad.yaml"
    err1 "$1" 2 "$3" "$4"
}
HEAD='lab: t
esxi: "8.0"
network: {portgroups: [pg]}
installer: {iso: x.iso}'
badlab bad-unknown-key "$HEAD
hosts: {count: 2, password-file: p}
hostz: 3" "$L/bad.yaml:6:1" 'unknown key "hostz" in \(top\) \(expected one of: lab, esxi'
badlab bad-type "$HEAD
hosts: {count: three, password-file: p}" "$L/bad.yaml:5:16" 'hosts.count \(expected a whole number from 1 to 1000\)'
badlab bad-count-0 "$HEAD
hosts:
  count: 0
  password-file: p" "$L/bad.yaml:6:10" 'hosts.count \(expected a whole number'
badlab bad-range-small "$HEAD
hosts: {count: 3, password-file: p}
ip:
  range: 10.0.0.11-10.0.0.12" "$L/bad.yaml:7:10" 'holds 2 addresses \(expected at least 3, one per host\)'
badlab bad-names "$HEAD
hosts: {count: 3, names: esxi, password-file: p}" "$L/bad.yaml:5:26" 'expected exactly one %d'
badlab bad-nested-type "$HEAD
target: DC0
hosts: {count: 1, password-file: p}" "$L/bad.yaml:5:9" 'target is not a mapping'
badlab bad-syntax "$HEAD
hosts: {count: 1, password-file: p
ip: x" "$L/bad.yaml:6:3" 'YAML syntax: missing comma in flow mapping'
badlab bad-duplicate-key "$HEAD
hosts: {count: 1, password-file: p}
hosts: {count: 2, password-file: p}" "$L/bad.yaml:6:1" 'YAML syntax: duplicate key'
badlab bad-s17-template 'lab: t
esxi: "8.0"
route: template
template: tmpl
network: {portgroups: [pg]}
hosts: {count: 1}' "$L/bad.yaml:3:8" 'must not be cloned from a template \(S17'
badlab bad-guestinfo-password "$HEAD
hosts: {count: 1, password-file: p}
guestinfo: {password: x}" "$L/bad.yaml:6:13" 'guestinfo.password is set by vnest'
GOVC_URL=https://127.0.0.1:9/sdk run lab plan "$L/missing.yaml"
err1 bad-missing-file 2 "$L/missing.yaml" 'cannot read'

# ---- the simulator ------------------------------------------------------------

if ! have xorriso; then
    skip setup "xorriso not installed (apt-get install xorriso): it makes the stand-in installer ISO"
    exit 0
fi
if ! why=$(vcsim_skip_reason); then
    skip setup "$why"
    exit 0
fi
if ! peer_why=$(vcsim_peer_skip_reason); then
    skip setup "$peer_why (the checks read back with pyvmomi)"
    exit 0
fi
bash "$TOP/tests/e2e/data/lab-installer.sh" "$L/VMware-VMvisor-Installer-8.0U3-24022510.x86_64.iso" ||
    {
        fail setup "lab-installer.sh failed"
        exit 0
    }
REC=$WORK/req
if ! vcsim_start -api-version 6.7 -product-version 6.7.0 -ext-lab-guest -record "$REC"; then
    fail setup "$VCSIM_ERROR"
    exit 0
fi

run --json lab plan "$L/lab.yaml"
if [ "$RC" -ne 0 ]; then
    fail plan-empty "exit $RC: $(oneline <<<"$ERR")"
else
    json_ok plan-empty 'd["changes"] == 7 and [h["name"] for h in d["hosts"]] == ["demo-esxi-01", "demo-esxi-02", "demo-esxi-03"] and all(h["state"] == "absent" and h["actions"] == ["create", "power-on"] for h in d["hosts"]) and d["portgroups"][0]["findings"] > 0 and d["iso"] == "[LocalDS_0] vnest/demo-ks.iso"'
fi
run lab plan "$L/lab.yaml"
expect plan-human 0 '^  demo-esxi-03 +10\.0\.0\.13 +create, power on, wait for its identity$'
WRITES='-(CreateVM_Task|CloneVM_Task|PowerOnVM_Task|PowerOffVM_Task|ReconfigVM_Task|UpdatePortGroup|ReconfigureDVPortgroup_Task|MakeDirectory|Destroy_Task)\.req'
n=$(find "$REC" -name '*.xml' | grep -cE -e "$WRITES")
if [ "$n" -eq 0 ]; then pass plan-changes-nothing; else fail plan-changes-nothing "$n write requests"; fi

run --json lab up "$L/lab.yaml"
if [ "$RC" -ne 0 ]; then
    fail up "exit $RC: $(oneline <<<"$ERR$OUT")"
else
    json_ok up 'd["ok"] and d["created"] == 3 and d["powered_on"] == 3 and d["portgroups_fixed"] == 1 and all(h["ready"] and h["result"] == "created" for h in d["hosts"])'
fi
bad=""
for i in 1 2 3; do
    h=demo-esxi-0$i
    "$VCSIM_PYTHON" "$VCSIM_READBACK" vm "$h" >"$WORK/rb.json" 2>"$WORK/rb.err" || {
        bad="$bad $h: $(oneline <"$WORK/rb.err")"
        continue
    }
    "$VCSIM_PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1])); x = d["extraConfig"]; i = sys.argv[2]
ok = (d["powerState"] == "poweredOn" and x.get("vnest.lab") == "demo"
      and x.get("guestinfo.hostname") == "demo-esxi-0" + i
      and x.get("guestinfo.ipaddress") == "10.0.0.1" + i
      and x.get("guestinfo.netmask") == "255.255.255.0" and x.get("guestinfo.domain") == "lab.local"
      and d["guestId"] == "vmkernel8Guest" and d["nestedHVEnabled"] is True
      and d["networks"] == ["VM Network"] * 2 and x.get("scsi0:2.virtualSSD") == "1"
      and sum(dv["type"] == "VirtualVmxnet3" for dv in d["devices"]) == 2 and d["numCPU"] == 4 and d["memoryMB"] == 16384
      and any(v.get("fileName") == "[LocalDS_0] vnest/demo-ks.iso" for v in
              [dv.get("backing") or {} for dv in d["devices"]]))
sys.exit(0 if ok else 1)' "$WORK/rb.json" "$i" 2>"$WORK/py.err" || bad="$bad $h: $(head -c 600 "$WORK/rb.json" | oneline) $(oneline <"$WORK/py.err")"
done
if [ -z "$bad" ]; then pass up-readback; else fail up-readback "$bad"; fi
"$VCSIM_PYTHON" "$VCSIM_READBACK" pg "VM Network" >"$WORK/pg.json" 2>"$WORK/pg.err"
if "$VCSIM_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["hosts"] and all(h["computed"] == {"allowPromiscuous": True, "forgedTransmits": True, "macChanges": True} for h in d["hosts"].values()) else 1)' "$WORK/pg.json" 2>/dev/null; then
    pass up-portgroup-readback
else
    fail up-portgroup-readback "$(oneline <"$WORK/pg.json") $(oneline <"$WORK/pg.err")"
fi

# Twice: the second run may read, never write.
before=$(find "$REC" -name '*.xml' | wc -l)
run --json lab up "$L/lab.yaml"
writes=$(find "$REC" -name '*.xml' | sort | tail -n +"$((before + 1))" |
    grep -E -e "$WRITES" | oneline)
if [ "$RC" -eq 0 ] && [ -z "$writes" ]; then
    json_ok up-twice-no-change 'd["ok"] and d["created"] == 0 and d["powered_on"] == 0 and d["portgroups_fixed"] == 0 and d["iso_uploaded"] is None and all(h["result"] == "unchanged" for h in d["hosts"])'
else
    fail up-twice-no-change "exit $RC, write requests: ${writes:-none}; $(oneline <<<"$ERR")"
fi
run lab status "$L/lab.yaml"
expect status 0 '^3 of 3 host\(s\) ready$'

# Every body sent so far, against the vim25 schema.
if out=$("$VCSIM_ORDERCHECK" -q "$REC"/*.xml 2>&1); then pass schema-order; else fail schema-order "$(oneline <<<"$out")"; fi

# ---- a foreign VM with a lab host's name ----------------------------------------

sed -e 's/count: 3/count: 4/' -e 's/10.0.0.11-10.0.0.13/10.0.0.11-10.0.0.14/' "$L/lab.yaml" >"$L/lab4.yaml"
run vm create demo-esxi-04 --esxi 6.7 --network "VM Network" --datastore LocalDS_0 \
    --pool DC0/host/DC0_C0/Resources
if [ "$RC" -ne 0 ]; then fail foreign-setup "exit $RC: $(oneline <<<"$ERR")"; fi
run --json lab up "$L/lab4.yaml"
if [ "$RC" -ne 3 ]; then
    fail foreign-refused "exit $RC, expected 3: $(oneline <<<"$ERR")"
else
    json_ok foreign-refused 'd["hosts"][3]["state"] == "foreign" and d["hosts"][3]["result"] == "refused" and "without this lab" in d["hosts"][3]["detail"] and d["created"] == 0 and [h["result"] for h in d["hosts"][:3]] == ["unchanged"] * 3'
fi
run lab down "$L/lab4.yaml"
# Without --yes: the VMs that would go are listed on stdout, then one error line.
saved_out=$OUT OUT=""
err1 down-needs-yes 2 --yes '3 VM\(s\) of this lab would be powered off and destroyed'
if [ "$(grep -c '^would remove demo-esxi-0[1-3] (vm-' <<<"$saved_out")" = 3 ]; then
    pass down-lists-what-would-go
else
    fail down-lists-what-would-go "expected the three lab VMs on stdout: $(oneline <<<"$saved_out")"
fi
run --json lab down "$L/lab4.yaml" --yes
vms=$("$VCSIM_PYTHON" "$OPS" vms 2>&1 | grep '^demo-esxi' | oneline)
if [ "$RC" -eq 0 ] && [ "$vms" = "demo-esxi-04 " ]; then
    json_ok down-leaves-foreign 'd["removed"] == 3 and d["hosts"][3]["result"] == "not ours"'
else
    fail down-leaves-foreign "exit $RC, demo VMs left: '$vms'; $(oneline <<<"$ERR")"
fi

# ---- a crash after the first batch, then up again -------------------------------

{ VNEST_CRASH_AT=lab-after-first-batch run lab up "$L/lab.yaml" --parallel 1; } 2>/dev/null # SIGKILL by design
vms=$("$VCSIM_PYTHON" "$OPS" vms 2>&1 | grep -E '^demo-esxi-0[123]' | oneline)
if [ "$RC" -eq 137 ] && [ "$vms" = "demo-esxi-01 " ]; then
    pass crash-midway
else
    fail crash-midway "exit $RC (expected 137, SIGKILL), lab VMs: '$vms'"
fi
run --json lab up "$L/lab.yaml" --parallel 1
vms=$("$VCSIM_PYTHON" "$OPS" vms 2>&1 | grep -E '^demo-esxi-0[123]' | oneline)
if [ "$RC" -eq 0 ] && [ "$vms" = "demo-esxi-01 demo-esxi-02 demo-esxi-03 " ]; then
    json_ok crash-resumed 'd["created"] == 2 and [h["result"] for h in d["hosts"]] == ["powered on", "created", "created"] and all(h["ready"] for h in d["hosts"])'
else
    fail crash-resumed "exit $RC, lab VMs: '$vms' (each once expected); $(oneline <<<"$ERR")"
fi
# A lab whose port group is gone: plan refuses it, down still removes the lab.
sed 's/portgroups: \["VM Network"\]/portgroups: [No-Such-PG]/' "$L/lab.yaml" >"$L/lab-nopg.yaml"
run lab plan "$L/lab-nopg.yaml"
err1 plan-missing-portgroup 2 "$L/lab-nopg.yaml" 'network.portgroups: no Network named "No-Such-PG"'
run --json lab down "$L/lab-nopg.yaml" --yes
vms=$("$VCSIM_PYTHON" "$OPS" vms 2>&1 | grep -E '^demo-esxi-0[123]' | oneline)
if [ "$RC" -eq 0 ] && [ -z "$vms" ]; then
    json_ok down-without-portgroup 'd["removed"] == 3 and d["portgroups"] == []'
else
    fail down-without-portgroup "exit $RC, lab VMs left: '$vms'; $(oneline <<<"$ERR$OUT")"
fi
vcsim_stop

# ---- failures: a create and a clone that fail, a guest that never reports -------

if ! vcsim_start -api-version 6.7 -product-version 6.7.0 -ext-lab-guest \
    -ext-lab-fail-create '*-esxi-02' -ext-lab-guest-silent 't67-esxi-03'; then
    fail setup-faults "$VCSIM_ERROR"
    exit 0
fi
run --json lab up "$L/lab.yaml"
if [ "$RC" -ne 3 ]; then
    fail create-fails-one "exit $RC, expected 3: $(oneline <<<"$ERR")"
else
    json_ok create-fails-one '[h["result"] for h in d["hosts"]] == ["created", "failed", "created"] and d["hosts"][1]["detail"].startswith("create: NoDiskSpace") and d["failed"] == 1 and d["hosts"][0]["ready"] and d["hosts"][2]["ready"]'
fi
run lab up "$L/lab.yaml"
expect create-fails-table 3 '^demo-esxi-02 +failed .*create: NoDiskSpace'

# The template route: ESXi 6.7, cloned from a template made with vnest.
run vm create tmpl67 --esxi 6.7 --network "VM Network" --datastore LocalDS_0 \
    --pool DC0/host/DC0_C0/Resources
run -q template tmpl67
cat >"$L/t67.yaml" <<'EOF'
lab: t67
esxi: "6.7"
route: template
template: tmpl67
target: {datacenter: DC0, cluster: DC0_C0, datastore: LocalDS_0}
network: {portgroups: ["VM Network"]}
hosts: {count: 3, names: "t67-esxi-%02d", password-file: esxi-root.pw}
ip: {start: 10.0.1.21, netmask: 255.255.255.0}
EOF
run --json lab up "$L/t67.yaml" --timeout 0
if [ "$RC" -ne 3 ]; then
    fail clone-fails-one "exit $RC, expected 3: $(oneline <<<"$ERR")"
else
    json_ok clone-fails-one '[h["result"] for h in d["hosts"]] == ["created", "failed", "timeout"] and d["hosts"][1]["detail"].startswith("clone: NoDiskSpace") and "no identity from VMware Tools" in d["hosts"][2]["detail"] and d["hosts"][0]["ready"] and d["timed_out"] == 1'
fi
"$VCSIM_PYTHON" "$VCSIM_READBACK" vm t67-esxi-01 >"$WORK/rb.json" 2>&1
if "$VCSIM_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); x=d["extraConfig"]; sys.exit(0 if x.get("vnest.lab") == "t67" and x.get("guestinfo.ipaddress") == "10.0.1.21" and x.get("guestinfo.password") == "VMware1!" and d["nestedHVEnabled"] is True else 1)' "$WORK/rb.json" 2>/dev/null; then
    pass clone-marker-readback
else
    fail clone-marker-readback "$(head -c 400 "$WORK/rb.json" | oneline)"
fi
run --json lab status "$L/t67.yaml"
if [ "$RC" -ne 1 ]; then
    fail status-not-ready "exit $RC, expected 1"
else
    json_ok status-not-ready '[h["result"] for h in d["hosts"]] == ["ready", "absent", "booting"] and d["ready"] == 1'
fi
vcsim_stop
