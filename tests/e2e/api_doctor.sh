#!/usr/bin/env bash
# End-to-end tests of `vnest doctor` against the simulator (tests/vcsim):
# the whole inventory in one pass: only ESXi-guest VMs are judged, each by
# its role; the port groups those VMs use are checked (S13/S14) and, once
# fixed with `net fix`, no longer reported; the VM properties are read with
# a single RetrievePropertiesEx (streamed), not one call per VM.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vcsim/lib.sh
. "$(dirname "$0")/../vcsim/lib.sh"

checks=(setup doctor-findings doctor-json doctor-only-esxi doctor-roles doctor-portgroup
    doctor-one-vm-read doctor-after-netfix doctor-clean)

unset GOVC_URL GOVC_USERNAME GOVC_PASSWORD GOVC_INSECURE GOVC_TLS_CA_CERTS \
    GOVC_TLS_KNOWN_HOSTS GOVC_DATACENTER GOVC_DATASTORE GOVC_NETWORK \
    GOVC_RESOURCE_POOL GOVC_FOLDER GOVC_HOST VNEST_ALLOW_HTTP

if ! why=$(vcsim_skip_reason); then
    for c in "${checks[@]}"; do skip "$c" "$why"; done
    exit 0
fi
export VNEST_RECORD_DIR=$WORK/vrec
mkdir -p "$VNEST_RECORD_DIR"
if ! vcsim_start -api-version 6.7 -product-version 6.7.0; then
    fail setup "$VCSIM_ERROR"
    exit 0
fi

# Two nested hosts on "VM Network" and a 6.7 template; the simulator's own
# VMs (otherGuest) must be left out of the report.
run vm create good-01 --esxi 8.0 --network "VM Network" --host DC0_H0
rc1=$RC
run vm create tmpl-67 --esxi 6.7 --network "VM Network" --host DC0_H0
rc2=$RC
run template tmpl-67
if [ "$rc1$rc2$RC" = 000 ]; then pass setup; else fail setup "create/template failed: $ERR"; fi

run doctor
expect doctor-findings 1 'VM Network@DC0_H0: computedPolicy.security.allowPromiscuous'

rm -f "$VNEST_RECORD_DIR"/*
run --json doctor
json_ok doctor-json "d['clean'] is False and len(d['vms']) == 2 and len(d['portgroups']) == 1"
json_ok doctor-only-esxi "sorted(v['name'] for v in d['vms']) == ['good-01', 'tmpl-67']"
json_ok doctor-roles "{v['name']: v['role'] for v in d['vms']} == {'good-01': 'host', 'tmpl-67': 'template'}"
json_ok doctor-portgroup "d['portgroups'][0]['name'] == 'VM Network' and all(f['rule'] == 'portgroup-security' for f in d['portgroups'][0]['findings'])"
# One read of the VM properties (the second one is for the network names).
n=$(grep -l 'config.hardware.device' "$VNEST_RECORD_DIR"/*.xml | xargs grep -l RetrievePropertiesEx | wc -l)
if [ "$n" -eq 1 ]; then pass doctor-one-vm-read; else fail doctor-one-vm-read "$n VM property reads, expected 1"; fi

run net fix "VM Network"
run --json doctor
json_ok doctor-after-netfix "d['portgroups'][0]['findings'] == []"
# The template judged as a template for 6.7 is clean; the 8.0 host too.
json_ok doctor-clean "all(v['summary']['errors'] == 0 and v['summary']['warnings'] == 0 for v in d['vms']) and d['clean'] is True"
vcsim_stop
exit 0
