#!/usr/bin/env bash
# `make demo`: a whole Nested ESXi lab from one file (examples/lab.yaml),
# built against the vSphere simulator, then checked with `vnest doctor`.
#
# The simulator is vcsim built from Debian's govmomi (tests/vcsim/build.sh,
# which installs golang-go and golang-github-vmware-govmomi-dev when
# missing), started on a loopback port with a fresh certificate and password,
# and stopped when this script ends however it ends. Two things are
# stand-ins, because no ESXi can run here: the installer ISO (the boot
# layout of an ESXi 8.0 installer, made with xorriso; vnest remasters it for
# real) and the nested guests reporting their identity (vcsim's TEST
# EXTENSION -ext-lab-guest, tests/vcsim/lab_ext.go, answers for them as
# VMware Tools in a real nested ESXi would).
#
# usage: scripts/demo.sh PATH/TO/vnest
set -u
vnest=$(realpath "${1:-build/vnest}")
top=$(cd "$(dirname "$0")/.." && pwd)
demo="$top/build/demo"
rm -rf "$demo" && mkdir -p "$demo"
cd "$demo" || exit 3

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; echo "(exit status $?)"; }

# ---- offline: a hand-made VMX, checked and fixed --------------------------------
step "Can this machine run a nested hypervisor? (S18)" "$vnest" probe
cp "$top/examples/handmade-esxi.vmx" esxi-lab-01.vmx
step "A hand-made Workstation VM for ESXi 8: what is wrong?" "$vnest" vmx check esxi-lab-01.vmx
step "Fix it (atomic write, original kept as .orig)" "$vnest" -q vmx fix esxi-lab-01.vmx
step "Only the changed lines differ" diff esxi-lab-01.vmx.orig esxi-lab-01.vmx

# ---- a lab against the vSphere simulator ----------------------------------------
# shellcheck source=tests/vcsim/lib.sh
. "$top/tests/vcsim/lib.sh"
printf '\n\033[1m== Building the vSphere simulator (vcsim, from Debian'"'"'s govmomi)\033[0m\n'
if ! why=$(vcsim_skip_reason); then
    echo "demo: the simulator cannot be built here: $why" >&2
    exit 3
fi
if ! vcsim_start -api-version 6.7 -product-version 6.7.0 -ext-lab-guest; then
    echo "demo: $VCSIM_ERROR" >&2
    exit 3
fi
echo "simulator: $VCSIM_URL (user $VCSIM_USER, certificate $VCSIM_CA)"
echo "vnest reads it like govc: GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_TLS_CA_CERTS are set"

cp "$top/examples/lab.yaml" lab.yaml
bash "$top/tests/e2e/data/lab-installer.sh" VMware-VMvisor-Installer-8.0U3-24022510.x86_64.iso || exit 3
(umask 077 && printf 'VMware1!\n' >esxi-root.pw)
echo "stand-in installer ISO and a root password file (mode 0600) next to lab.yaml"

step "The lab file (examples/lab.yaml)" grep -vE '^ *(#|$)' lab.yaml
step "What 'up' would do, changing nothing" "$vnest" lab plan lab.yaml
step "Build the lab: port group, kickstart ISO, 3 hosts, power on, wait for identities" \
    "$vnest" lab up lab.yaml
step "Again: idempotent, nothing changes" "$vnest" lab up lab.yaml
step "Each host as the inventory shows it" "$vnest" lab status lab.yaml
step "The whole inventory against the profile" "$vnest" doctor
step "The hosts' port group is fit for nested ESXi (S13)" "$vnest" net check "VM Network"
step "Scripts read JSON" sh -c "'$vnest' --json lab status lab.yaml | head -c 600; echo"
step "Remove what the lab made, and nothing else" "$vnest" lab down lab.yaml --yes

vcsim_stop
printf '\nThe simulator is stopped. The demo files are in %s\n' "$demo"
printf 'Point the same file at a real vCenter: fill its connection section (or export GOVC_URL...),\n'
printf 'change target/network names to yours, and set installer.iso to the real ESXi installer.\n'
