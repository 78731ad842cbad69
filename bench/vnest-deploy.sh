#!/bin/sh
# The deploy of ../shared/bench-peers/pyvmomi_deploy.py done with vnest:
# create one Nested ESXi VM, mark it as a template, clone N hosts with
# guestinfo.hostname/ipaddress, power them on. Used as CLIENT_CMD by the
# peer runner. POSIX sh, not bash: the wrapper's own start-up is counted as
# client CPU too. usage: vnest-deploy.sh VNEST PORT CA N PREFIX
set -eu
vnest=$1 port=$2 ca=$3 n=$4 prefix=$5
export GOVC_URL="https://127.0.0.1:$port" GOVC_USERNAME=user GOVC_PASSWORD=pass GOVC_TLS_CA_CERTS="$ca"
"$vnest" -q vm create "$prefix-tmpl" --esxi 6.7 --cpus 4 --memory 16G --boot-disk 16G \
    --vsan-cache 64G --vsan-capacity 256G --network "VM Network" --pool DC0/host/DC0_C0/Resources \
    --datastore LocalDS_0
"$vnest" -q template "$prefix-tmpl"
"$vnest" -q deploy "$prefix-tmpl" --count "$n" --name-format "$prefix-esx%02d" \
    --ip-range 10.0.0.10-10.0.255.250 --parallel 64 --power-on --pool DC0/host/DC0_C0/Resources
