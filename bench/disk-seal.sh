#!/usr/bin/env bash
# Benchmark of issue 5: one offline boot.cfg edit of an ESXi 6.7-layout
# boot disk (16 GiB sparse raw image, built by tests/diskimg), libguestfs'
# guestfish against `vnest disk seal --ops legacy-cpu`, in the same run on
# the same machine. guestfish is timed by the shared peer runner
# (../shared/bench-peers/bench-guestfs.sh: its appliance under TCG, run 0
# warms the appliance cache and is not counted). vnest is timed the same
# way (/usr/bin/time through the runner's lib.sh; wall clock from date, in
# ns, since time's 10 ms steps are too coarse), each run on a fresh copy
# of the image so that every run really edits both bootbanks (a second seal
# of the same image would change nothing and prove nothing). Prints both
# and the ratio. Not a test.
# usage: VNEST=build/vnest bench/disk-seal.sh [GUESTFS_RUNS=1] [VNEST_RUNS=5]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$top/../shared/bench-peers}
gruns=${1:-1} vruns=${2:-5}
vnest=${VNEST:-$top/build/vnest}
[ -d "$peers" ] || { echo "bench: $peers not found (the shared peer scripts)" >&2; exit 2; }
[ -x "$vnest" ] || { echo "bench: $vnest not built (make, or set VNEST)" >&2; exit 2; }
for tool in guestfish sgdisk mkfs.vfat mcopy; do
    command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin:/sbin
    command -v "$tool" >/dev/null ||
        { echo "bench: $tool not found (apt-get install libguestfs-tools gdisk dosfstools mtools)" >&2; exit 2; }
done
export WORK=${WORK:-/tmp/vnest-bench-seal}
mkdir -p "$WORK"
# shellcheck source=/dev/null
. "$peers/lib.sh"
img=$WORK/esx67.img
bash "$top/tests/diskimg/make-esxi-image.sh" 6.7 "$img.orig" 16 || exit 3
cp --sparse=always "$img.orig" "$img"

echo "== guestfish (libguestfs, TCG), $gruns counted run(s)"
IMG=$img bash "$peers/bench-guestfs.sh" "$gruns" 240 | tee "$WORK/peer.txt"

echo "== vnest disk seal --ops legacy-cpu, $vruns run(s), each on a fresh copy"
res=$WORK/vnest.txt
: >"$res"
for r in $(seq 1 "$vruns"); do
    cp --sparse=always "$img.orig" "$img"
    sync
    : >"$WORK/.one"
    t0=$(date +%s%N)
    timed "$WORK/.one" "$vnest" -q disk seal "$img" --ops legacy-cpu || { echo "vnest failed" >&2; exit 3; }
    t1=$(date +%s%N)
    # GNU time's wall clock has 10 ms steps, too coarse here: nanoseconds
    # from date around the same call (includes starting /usr/bin/time).
    read -r _ u s rss <"$WORK/.one"
    wall=$(echo "scale=4; ($t1 - $t0) / 1000000000" | bc)
    echo "run $r: wall=$wall user=$u sys=$s maxrss_kb=$rss -> $(MTOOLS_SKIP_CHECK=1 mtype -i "$img@@$((8224 * 512))" ::/boot.cfg | grep '^kernelopt')"
    echo "$wall $(echo "$u + $s" | bc) $rss" >>"$res"
done
"$vnest" --json disk seal "$img" --ops legacy-cpu --dry-run --stats |
    /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("dry run on the sealed image reads", d["stats"]["bytes_read"], "bytes")'
echo "vnest: wall $(stats "$res" 1) | cpu $(stats "$res" 2) | maxrss_kb $(stats "$res" 3)"
/usr/bin/python3 - "$WORK/peer.txt" "$res" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
m = re.search(r"warm runs: wall ([0-9.]+)", text)
g = float(m.group(1)) if m else float("nan")
v = statistics.median(float(l.split()[0]) for l in open(sys.argv[2]) if l.strip())
print("ratio (median wall): guestfish/vnest = %.0fx (guestfish %.2f s, vnest %.3f s)" % (g / v, g, v))
PY
