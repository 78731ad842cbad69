#!/usr/bin/env bash
# Benchmark (b) of issue 3: the doctor read over ~1000 VMs, vnest and
# pyvmomi against the same simulator in one run (the peer runner from
# ../shared/bench-peers builds the inventory: 936 vcsim VMs + a 64-clone
# Nested ESXi deploy). Also runs the curl+xmllint floor. Not a test.
# usage: bench/vsphere-doctor.sh [RUNS=5]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$top/../shared/bench-peers}
runs=${1:-5}
[ -d "$peers" ] || { echo "bench: $peers not found (the shared peer scripts)" >&2; exit 2; }
make -s -C "$top" all >/dev/null
vnest_cmd="$top/bench/vnest-doctor.sh $top/build/vnest {PORT} {CA}"
echo "== pyvmomi (pc: one PropertyCollector call; attr: a typical per-VM script)"
bash "$peers/bench-vsphere-doctor.sh" "$runs" 18960 "pc attr" | grep -E '^(doctor|VMs|vcsim)'
echo "== floor: the same read sent by curl, parsed by xmllint --stream (4 curl processes)"
CLIENT_CMD="bash $peers/curl_doctor.sh {PORT} {CA}" bash "$peers/bench-vsphere-doctor.sh" "$runs" 18962 curl |
    grep -E '^doctor'
echo "== vnest doctor (all VMs read with 13 properties, ESXi guests checked, port groups checked)"
CLIENT_CMD="$vnest_cmd" bash "$peers/bench-vsphere-doctor.sh" "$runs" 18961 vnest |
    grep -E '^(doctor|VMs)'
