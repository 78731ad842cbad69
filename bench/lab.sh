#!/usr/bin/env bash
# Benchmark of issue 7: `vnest lab up` for an N-host lab (default 32) against
# the vSphere simulator, and tests/../bench/pyvmomi-lab.py doing the same
# steps (port group, clones with guestinfo and marker, read back and
# reconcile, power on, wait for the identities), each on a fresh simulator.
# Not a test; run by hand, figures go to BENCHMARKS.md.
#
# The template route is measured (ESXi 6.7 template, cloned): the kickstart
# route adds the ISO remaster, which xorriso would do for a Python script
# and which bench/iso-remaster.sh measures on its own.
#
# Per run and client: a fresh vcsim with -ext-lab-guest (the simulated
# guests of tests/vcsim/lab_ext.go report their identity at power-on); the
# template is made with vnest, then one uncounted warm-up lab of N hosts
# ("warm", made with vnest for both clients: a fresh vcsim spends CPU on
# its first requests), then the counted lab ("run"). Client wall, user+sys
# and max RSS come from /usr/bin/time (interpreter start and imports
# included); the simulator's CPU from /proc/PID/stat around the counted run.
#
# usage: bench/lab.sh [RUNS=1] [N=32]      (VNEST=path to use another binary)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1} n=${2:-32}
export VCSIM_BUILD=${VCSIM_BUILD:-$top/build/vcsim}
vnest=${VNEST:-}
if [ -z "$vnest" ]; then
    make -s -C "$top" -j2 BUILD=build/h-lab-rel all >/dev/null || exit 3
    vnest=$top/build/h-lab-rel/vnest
fi
# shellcheck source=tests/vcsim/lib.sh
. "$top/tests/vcsim/lib.sh"
if ! why=$(vcsim_skip_reason) || ! why=$(vcsim_peer_skip_reason); then
    echo "bench: $why" >&2
    exit 3
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/vnest-bench-lab.XXXXXX")
trap 'rm -rf "$work"' EXIT

labfile() { # NAME
    cat >"$work/$1.yaml" <<YAML
lab: $1
esxi: "6.7"
route: template
template: tmpl67
target: {datacenter: DC0, cluster: DC0_C0, datastore: LocalDS_0}
network: {portgroups: ["VM Network"]}
hosts: {count: $n}
ip: {start: 10.0.0.11, netmask: 255.255.255.0, gateway: 10.0.0.1, dns: 10.0.0.1, domain: lab.local}
YAML
}
labfile warm
labfile run

ticks() { # PID: utime+stime in clock ticks
    local st
    # shellcheck disable=SC2086 # the fields are meant to split
    st=$(cat "/proc/$1/stat") && st=${st##*) } && set -- $st && echo $((${12} + ${13}))
}

# one CLIENT: prints "wall cpu vcsim_cpu maxrss_kb"
one() {
    vcsim_start -api-version 6.7 -product-version 6.7.0 -ext-lab-guest -cluster-host 3 -vm 2 ||
        return 1
    # shellcheck disable=SC2015 # any failure of the three is the setup's
    "$vnest" -q vm create tmpl67 --esxi 6.7 --cpus 4 --memory 16G --boot-disk 16G \
        --vsan-cache 64G --vsan-capacity 256G --network "VM Network" \
        --pool DC0/host/DC0_C0/Resources --datastore LocalDS_0 >/dev/null &&
        "$vnest" -q template tmpl67 >/dev/null &&
        "$vnest" -q lab up "$work/warm.yaml" --parallel 32 || {
        echo "bench: setup failed" >&2
        return 1
    }
    local t0 t1 hz
    hz=$(getconf CLK_TCK)
    t0=$(ticks "$VCSIM_PID")
    case $1 in
    vnest) /usr/bin/time -f '%e %U %S %M' -o "$work/time" sh "$top/bench/vnest-lab.sh" "$vnest" "$work/run.yaml" >"$work/out" 2>&1 ;;
    pyvmomi) /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$VCSIM_PYTHON" "$top/bench/pyvmomi-lab.py" run tmpl67 "$n" >"$work/out" 2>&1 ;;
    esac
    local rc=$?
    t1=$(ticks "$VCSIM_PID")
    # both clients must leave the same inventory: N marked, powered-on hosts
    "$vnest" -q lab status "$work/run.yaml" >/dev/null || rc=1
    vcsim_stop
    [ "$rc" -eq 0 ] || {
        echo "bench: $1 failed: $(tail -3 "$work/out")" >&2
        return 1
    }
    read -r wall u s rss <"$work/time"
    echo "$wall $(echo "$u + $s" | bc) $(echo "scale=2; ($t1 - $t0) / $hz" | bc) $rss"
}

for client in pyvmomi vnest; do
    : >"$work/$client.txt"
    for ((r = 1; r <= runs; r++)); do
        one "$client" >>"$work/$client.txt" || exit 3
    done
done
/usr/bin/python3 - "$work/pyvmomi.txt" "$work/vnest.txt" "$n" "$runs" <<'PY'
import statistics, sys
def med(path):
    rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
    return [statistics.median(c) for c in zip(*rows)]
p, v = med(sys.argv[1]), med(sys.argv[2])
print("lab up, %s hosts, template route, vcsim 0.24.2, median of %s run(s):" % (sys.argv[3], sys.argv[4]))
print("%-8s %8s %12s %10s %10s" % ("client", "wall s", "client cpu s", "vcsim cpu s", "maxrss MB"))
for name, f in (("pyvmomi", p), ("vnest", v)):
    print("%-8s %8.2f %12.3f %10.2f %10.1f" % (name, f[0], f[1], f[2], f[3] / 1024))
print("client cpu vnest/pyvmomi = %.3f (target <= 0.1); vnest wall / vcsim cpu for it = %.2f (target <= 1.2)"
      % (v[1] / p[1], v[0] / v[2] if v[2] else float("inf")))
PY
