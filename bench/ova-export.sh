#!/usr/bin/env bash
# Benchmark of issue 6 section 3: an 8 GiB disk holding 1 GiB of mixed data
# (half incompressible, half text-like: ../shared/bench-peers/make-mixed-raw.py)
# made streamOptimized by `qemu-img convert -O vmdk -o subformat=streamOptimized`
# and by `vnest ova export`, alternately in the same run (input in the page
# cache, outputs deleted and `sync` before each run, one warm-up run of each
# not counted; median and min-max from the peers' lib.sh).
#
# What is timed is fair to the peer: vnest reads the same raw file (a one-disk
# VMX names it as scsi0:0, so both tools skip its holes through SEEK_DATA) and
# does more work than qemu-img: besides the VMDK it writes the OVF, hashes
# everything with SHA-256 for the manifest and fsyncs the OVA. Both outputs are
# checked afterwards: qemu-img check, and qemu-img compare against the input
# (vnest's disk taken out of the OVA with tar). Not a test.
#
# usage: bench/ova-export.sh [RUNS=3]
#   VNEST=path/to/vnest (default build/vnest, built if missing)
#   WORK=scratch folder (default /tmp/peer-work, where the input is kept)
#   THREADS=N passes --threads N to vnest (default: one per CPU)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$top/../shared/bench-peers}
runs=${1:-3}
[ -d "$peers" ] || { echo "bench: $peers not found (the shared peer scripts)" >&2; exit 2; }
command -v qemu-img >/dev/null || { echo "bench: qemu-img not found (apt-get install qemu-utils)" >&2; exit 2; }
# shellcheck source=/dev/null
. "$peers/lib.sh" # timed, stats, machine_notes, $PY, $WORK
VNEST=${VNEST:-$top/build/vnest}
[ -x "$VNEST" ] || make -s -C "$top" all >/dev/null || exit 3
IN=${IN:-$WORK/in.raw}
[ -s "$IN" ] || $PY "$peers/make-mixed-raw.py" "$IN" || exit 1

vm=$WORK/ova-bench
mkdir -p "$vm"
ln -sf "$IN" "$vm/bench.raw"
cat >"$vm/bench.vmx" <<'EOF'
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "20"
displayName = "bench"
guestOS = "vmkernel8"
numvcpus = "2"
memsize = "8192"
firmware = "efi"
vhv.enable = "TRUE"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.deviceType = "scsi-hardDisk"
scsi0:0.fileName = "bench.raw"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
EOF
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
q=$WORK/ova-bench/qemu.vmdk
ova=$WORK/ova-bench/vnest.ova
: >"$WORK/ova-bench/qemu.txt"
: >"$WORK/ova-bench/vnest.txt"
echo "machine: $(machine_notes)"
echo "input: $IN, $(stat -L -c %s "$IN") bytes apparent, $(($(stat -L -c %b "$IN") * 512)) allocated; vnest: $VNEST ${threads[*]}"
cat "$IN" >/dev/null # page cache: every run reads the input from memory
record() {           # FILE: "wall cpu maxrss" from the last timed run
    read -r wall u s rss <"$WORK/.one"
    echo "$wall $(echo "$u + $s" | bc) $rss" >>"$1"
}
for r in $(seq 0 "$runs"); do # run 0 = warm-up, not counted
    rm -f "$q"
    sync
    : >"$WORK/.one"
    timed "$WORK/.one" qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$IN" "$q" ||
        echo "qemu-img run $r failed" >&2
    [ "$r" = 0 ] || record "$WORK/ova-bench/qemu.txt"
    rm -f "$ova"
    sync
    : >"$WORK/.one"
    timed "$WORK/.one" "$VNEST" -q ova export "$vm/bench.vmx" -o "$ova" "${threads[@]}" ||
        echo "vnest run $r failed" >&2
    [ "$r" = 0 ] || record "$WORK/ova-bench/vnest.txt"
done
disk=$($PY -c 'import sys, tarfile
t = tarfile.open(sys.argv[1]); m = [x for x in t.getmembers() if x.name.endswith(".vmdk")][0]
print(m.name, m.size)' "$ova")
qsize=$(stat -c %s "$q")
echo "qemu-img streamOptimized: wall $(stats "$WORK/ova-bench/qemu.txt" 1) | cpu $(stats "$WORK/ova-bench/qemu.txt" 2) | maxrss_kb $(stats "$WORK/ova-bench/qemu.txt" 3) | out $qsize bytes"
echo "vnest ova export:         wall $(stats "$WORK/ova-bench/vnest.txt" 1) | cpu $(stats "$WORK/ova-bench/vnest.txt" 2) | maxrss_kb $(stats "$WORK/ova-bench/vnest.txt" 3) | disk ${disk#* } bytes, OVA $(stat -c %s "$ova") bytes"
$PY - "$WORK/ova-bench/qemu.txt" "$WORK/ova-bench/vnest.txt" "$qsize" "${disk#* }" <<'PY'
import statistics, sys
med = lambda p, c: statistics.median(float(l.split()[c]) for l in open(p) if l.strip())
q, v = med(sys.argv[1], 0), med(sys.argv[2], 0)
print("ratio (median wall) qemu-img/vnest = %.2fx; output vnest/qemu-img = %.4f (%+d bytes)"
      % (q / v, int(sys.argv[4]) / int(sys.argv[3]), int(sys.argv[4]) - int(sys.argv[3])))
PY
echo "checks:"
echo "  qemu-img output: $(qemu-img check "$q" 2>&1 | tail -n 1) / $(qemu-img compare -f raw -F vmdk "$IN" "$q" 2>&1 | tail -n 1)"
tar xOf "$ova" "${disk% *}" >"$WORK/ova-bench/vnest-disk.vmdk"
echo "  vnest disk:      $(qemu-img check "$WORK/ova-bench/vnest-disk.vmdk" 2>&1 | tail -n 1) / $(qemu-img compare -f raw -F vmdk "$IN" "$WORK/ova-bench/vnest-disk.vmdk" 2>&1 | tail -n 1)"
rm -f "$WORK/ova-bench/vnest-disk.vmdk" "$q" "$ova"
