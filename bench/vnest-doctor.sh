#!/usr/bin/env bash
# vnest doctor as the peer runner's CLIENT_CMD: findings (exit 1) are the
# expected result on a simulator inventory, so only 2 and 3 are failures.
# usage: vnest-doctor.sh VNEST PORT CA
GOVC_URL=https://127.0.0.1:$2 GOVC_USERNAME=user GOVC_PASSWORD=pass GOVC_TLS_CA_CERTS=$3 \
    "$1" --json doctor
[ $? -le 1 ]
