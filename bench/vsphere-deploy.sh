#!/usr/bin/env bash
# Benchmark (a) of issue 3: deploy 1 template + N clones + power-on against
# the vSphere simulator, vnest and pyvmomi in the same run, with the peer
# runner from ../shared/bench-peers (fresh simulator per run, one warm-up
# deploy first). Prints both results and the ratios. Not a test.
# usage: bench/vsphere-deploy.sh [RUNS=5] [N=64]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$top/../shared/bench-peers}
runs=${1:-5} n=${2:-64}
[ -d "$peers" ] || { echo "bench: $peers not found (the shared peer scripts)" >&2; exit 2; }
make -s -C "$top" all >/dev/null
out=$(mktemp -d)
echo "== pyvmomi (conc: tasks started, then awaited together)"
bash "$peers/bench-vsphere-deploy.sh" "$runs" "$n" 18950 conc | tee "$out/py"
echo "== vnest"
CLIENT_CMD="$top/bench/vnest-deploy.sh $top/build/vnest {PORT} {CA} {N} {PREFIX}" \
    bash "$peers/bench-vsphere-deploy.sh" "$runs" "$n" 18951 conc | tee "$out/vn"
/usr/bin/python3 - "$out/py" "$out/vn" <<'PY'
import re, sys
def fig(path):
    t = open(path).read()
    g = lambda k: float(re.search(k + r" ([0-9.]+)", t).group(1))
    return g("wall"), g("client cpu"), g("vcsim cpu")
pw, pc, ps = fig(sys.argv[1]); vw, vc, vs = fig(sys.argv[2])
print("ratios (median): client cpu pyvmomi/vnest = %.1fx; wall pyvmomi/vnest = %.2fx; "
      "vnest wall / vcsim cpu = %.2f" % (pc / vc if vc else float("inf"), pw / vw, vw / vs))
PY
rm -rf "$out"
