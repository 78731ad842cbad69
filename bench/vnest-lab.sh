#!/bin/sh
# The client side of bench/lab.sh for vnest: one `vnest lab up`. POSIX sh,
# so the wrapper's own start-up is counted with the client, as for pyvmomi.
# usage: vnest-lab.sh VNEST LAB.yaml
set -eu
exec "$1" -q lab up "$2" --parallel 32
