#!/usr/bin/env bash
# `make demo`: the offline VMX workflow, end to end, in build/demo.
# (When the lab issue lands, this becomes a whole lab against the vSphere
# simulator.) usage: scripts/demo.sh PATH/TO/vnest
set -u
vnest=$(realpath "${1:-build/vnest}")
top=$(cd "$(dirname "$0")/.." && pwd)
demo="$top/build/demo"
rm -rf "$demo" && mkdir -p "$demo"
cd "$demo" || exit 3

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; echo "(exit status $?)"; }

step "Can this machine run a nested hypervisor? (S18)" "$vnest" probe
step "The profile for an ESXi 8.0 template" "$vnest" rules --esxi 8.0 --role template

cp "$top/examples/handmade-esxi.vmx" esxi-lab-01.vmx
step "A hand-made Workstation VM for ESXi 8: what is wrong?" "$vnest" vmx check esxi-lab-01.vmx
step "What fix would change" "$vnest" vmx fix --dry-run esxi-lab-01.vmx
step "Fix it (atomic write, original kept as .orig)" "$vnest" vmx fix esxi-lab-01.vmx
step "Only the changed lines differ" diff esxi-lab-01.vmx.orig esxi-lab-01.vmx
step "Checked again" "$vnest" vmx check esxi-lab-01.vmx

step "A new Nested ESXi 8.0 VM with vSAN disks" "$vnest" vmx new esxi-01 --esxi 8.0 \
    --cpus 4 --memory 16G --vsan-cache 20G --vsan-capacity 100G --nics 2
step "It satisfies every rule" "$vnest" vmx check esxi-01/esxi-01.vmx
if command -v qemu-img >/dev/null; then
    for d in esxi-01/*.vmdk; do step "qemu-img checks $d" qemu-img check "$d"; done
fi
step "As a sealed template it would still need work (S4, S17)" \
    "$vnest" vmx check --role template esxi-01/esxi-01.vmx
step "Scripts read JSON" sh -c "'$vnest' --json vmx check esxi-01/esxi-01.vmx | head -20"
printf '\nThe demo files are in %s\n' "$demo"
