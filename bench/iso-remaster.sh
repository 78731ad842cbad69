#!/usr/bin/env bash
# Benchmark of issue 4: remaster a ~600 MB ESXi installer ISO (add /KS.CFG,
# point kernelopt= of /BOOT.CFG and /EFI/BOOT/BOOT.CFG at it, keep both El
# Torito entries), xorriso and vnest in the same run, with the peer runner
# from ../shared/bench-peers (input made by its make-esxi-iso-big.sh and kept
# in the page cache, output deleted and `sync` before each run, one warm-up
# run not counted, median and min-max). The runner times either its own
# commands or REMASTER_CMD, so it is called twice: xorriso with cp, then
# vnest with cp. Prints both and the ratios. Not a test.
# usage: bench/iso-remaster.sh [RUNS=5]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$top/../shared/bench-peers}
runs=${1:-5}
[ -d "$peers" ] || { echo "bench: $peers not found (the shared peer scripts)" >&2; exit 2; }
for tool in xorriso mkfs.vfat mcopy; do
    command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin:/sbin
    command -v "$tool" >/dev/null ||
        { echo "bench: $tool not found (apt-get install xorriso dosfstools mtools)" >&2; exit 2; }
done
make -s -C "$top" all >/dev/null || exit 3
export WORK=${WORK:-/tmp/vnest-bench-iso} # the input ISO is made once and kept here
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== xorriso -boot_image any replay, and cp"
ORDER="xorriso xorriso_nosync cp cp_fsync" bash "$peers/bench-xorriso.sh" "$runs" | tee "$out/peer"
echo "== vnest iso build, and cp"
REMASTER_CMD="$top/build/vnest -q iso build --from {IN} --ks {KS} -o {OUT}" \
    bash "$peers/bench-xorriso.sh" "$runs" | tee "$out/vn"
/usr/bin/python3 - "$out/peer" "$out/vn" <<'PY'
import re, sys
def wall(path, name):
    m = re.search(r"^%s: wall ([0-9.]+)" % name, open(path).read(), re.M)
    return float(m.group(1)) if m else float("nan")
x, xn, cp1 = wall(sys.argv[1], "xorriso"), wall(sys.argv[1], "xorriso_nosync"), wall(sys.argv[1], "cp")
v, cp2 = wall(sys.argv[2], "client"), wall(sys.argv[2], "cp")
dd = wall(sys.argv[1], "cp_fsync")
print("ratios (median wall): xorriso/vnest = %.1fx, xorriso_nosync/vnest = %.1fx; "
      "vnest/cp = %.2fx (cp of the vnest batch), %.2fx (cp of the xorriso batch); "
      "vnest/dd conv=fsync = %.2fx" % (x / v, xn / v, v / cp2, v / cp1, v / dd))
PY
