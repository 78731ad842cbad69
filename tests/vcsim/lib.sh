# shellcheck shell=bash
# vSphere simulator for end-to-end tests. Source it from a tests/e2e/*.sh
# suite, after tests/e2e/lib.sh:
#
#   . "$(dirname "$0")/../vcsim/lib.sh"
#   if ! why=$(vcsim_skip_reason); then skip my-check "$why"; exit 0; fi
#   vcsim_start -api-version 6.7 -product-version 6.7.0 || { fail start "$VCSIM_ERROR"; exit 0; }
#   run vsphere ...              # vnest reads GOVC_URL/GOVC_USERNAME/... like govc
#   vcsim_stop
#
# vcsim_skip_reason     builds the simulator if needed (installing golang-go
#                       and golang-github-vmware-govmomi-dev when missing).
#                       Prints why and returns 1 when that is impossible, so
#                       the suite can SKIP; returns 0 otherwise (a compile
#                       error is left for vcsim_start to report as a failure).
# vcsim_peer_skip_reason  the same for the pyvmomi peer (python3-pyvmomi).
# vcsim_start [FLAG...] starts one simulator with TLS (a cached RSA-2048
#                       certificate for 127.0.0.1), user vnest and a random
#                       password, on a free loopback port, plus any vcsim
#                       flags given (-esx, -api-version 6.7, -vm 4, -idle 3s,
#                       -delay-ms 20, -record DIR, -stock, ... see main.go).
#                       Must run in the suite's own shell, not in $(...).
#                       Waits up to VCSIM_START_TIMEOUT (30) seconds for the
#                       URL. On failure returns 1 with the reason in
#                       $VCSIM_ERROR (also on stderr). On success exports:
#     VCSIM_URL       https://127.0.0.1:PORT/sdk
#     VCSIM_PID       the simulator's process id
#     VCSIM_CA        PEM certificate to trust
#     VCSIM_USER, VCSIM_PASSWORD
#     VCSIM_LOG       its stderr (vcsim logs faults there)
#     GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_TLS_CA_CERTS  the same, for
#                     the client under test and the peers
#   and always: VCSIM_BIN, VCSIM_ORDERCHECK (the request checker),
#   VCSIM_READBACK (tests/peers/readback.py), VCSIM_PYTHON (/usr/bin/python3).
# vcsim_stop [PID]      SIGTERM (SIGKILL after 10 s), reaps it, removes its
#                       temporary folder; default $VCSIM_PID.
#
# Every simulator started here is stopped when the suite exits (EXIT, INT,
# TERM and HUP traps, chained to the suite's own EXIT trap), and exits by
# itself if the suite's shell is killed outright (-exit-with-parent).

VCSIM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VCSIM_BUILD=${VCSIM_BUILD:-$VCSIM_TOP/build/vcsim}
VCSIM_BIN=$VCSIM_BUILD/vcsim
VCSIM_ORDERCHECK=$VCSIM_BUILD/ordercheck
VCSIM_READBACK=$VCSIM_TOP/tests/peers/readback.py
VCSIM_PYTHON=/usr/bin/python3
VCSIM_ERROR=""
export VCSIM_BIN VCSIM_ORDERCHECK VCSIM_READBACK VCSIM_PYTHON
_vcsim_pids=()
_vcsim_dirs=()

vcsim_skip_reason() {
    local out rc
    out=$(bash "$VCSIM_TOP/tests/vcsim/build.sh" "$VCSIM_BUILD" 2>&1)
    rc=$?
    if [ "$rc" -eq 3 ]; then
        echo "${out#vcsim/build.sh: }"
        return 1
    fi
    if ! command -v openssl >/dev/null 2>&1; then
        echo "openssl missing (needed for the simulator's certificate)"
        return 1
    fi
    return 0
}

vcsim_peer_skip_reason() {
    local out
    if [ -x "$VCSIM_PYTHON" ] && "$VCSIM_PYTHON" -c 'import pyVmomi' 2>/dev/null; then
        return 0
    fi
    out=$(bash "$VCSIM_TOP/tests/vcsim/apt.sh" python3 python3-pyvmomi 2>&1) || {
        echo "pyvmomi peer unavailable: $out"
        return 1
    }
    if ! "$VCSIM_PYTHON" -c 'import pyVmomi' 2>/dev/null; then
        echo "pyvmomi peer unavailable: $VCSIM_PYTHON cannot import pyVmomi"
        return 1
    fi
}

_vcsim_err() {
    VCSIM_ERROR="vcsim: $*"
    echo "$VCSIM_ERROR" >&2
    return 1
}

# The certificate, made once and reused while it has a day left.
_vcsim_cert() {
    local tls=$VCSIM_BUILD/tls tmp
    VCSIM_CA=$tls/cert.pem
    VCSIM_KEY=$tls/key.pem
    if openssl x509 -checkend 86400 -noout -in "$VCSIM_CA" >/dev/null 2>&1 && [ -s "$VCSIM_KEY" ]; then
        return 0
    fi
    mkdir -p "$VCSIM_BUILD" || return 1
    (
        # one generator at a time when suites start together
        command -v flock >/dev/null 2>&1 && flock 8
        if openssl x509 -checkend 86400 -noout -in "$VCSIM_CA" >/dev/null 2>&1 && [ -s "$VCSIM_KEY" ]; then
            exit 0
        fi
        tmp=$(mktemp -d "$VCSIM_BUILD/tls.XXXXXX") || exit 1
        if ! openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
            -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
            -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >"$tmp/log" 2>&1; then
            cat "$tmp/log" >&2
            rm -rf "$tmp"
            exit 1
        fi
        rm -f "$tmp/log"
        chmod 600 "$tmp/key.pem"
        rm -rf "$tls"
        mv -T "$tmp" "$tls"
    ) 8>"$VCSIM_BUILD/.tls.lock"
}

# _vcsim_alive PID: the process exists and is not a zombie.
_vcsim_alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}

_vcsim_cleanup() {
    local p
    for p in "${_vcsim_pids[@]}"; do
        vcsim_stop "$p"
    done
}

_vcsim_arg2() { printf '%s' "$2"; }

# Chains _vcsim_cleanup in front of the suite's EXIT trap (once), and makes
# INT/TERM/HUP exit through it when the suite has no handler of its own.
_vcsim_trap() {
    local cur sig n
    cur=$(trap -p EXIT)
    case $cur in *_vcsim_cleanup*) return 0 ;; esac
    if [ -n "$cur" ]; then
        # $cur reads: trap -- 'COMMAND' EXIT
        cur=$(eval "_vcsim_arg2 ${cur#trap }")
        # shellcheck disable=SC2064 # the suite's command is expanded now, on purpose
        trap "_vcsim_cleanup; $cur" EXIT
    else
        trap _vcsim_cleanup EXIT
    fi
    n=128
    for sig in HUP INT TERM; do
        case $sig in HUP) n=129 ;; INT) n=130 ;; TERM) n=143 ;; esac
        # shellcheck disable=SC2064 # $n is meant to expand now
        [ -z "$(trap -p "$sig")" ] && trap "exit $n" "$sig"
    done
    return 0
}

vcsim_start() {
    local dir pw url pid waited=0 limit
    VCSIM_ERROR=""
    local out
    if ! out=$(bash "$VCSIM_TOP/tests/vcsim/build.sh" "$VCSIM_BUILD" 2>&1); then
        _vcsim_err "build failed: $out"
        return 1
    fi
    _vcsim_cert || {
        _vcsim_err "cannot make a certificate with openssl"
        return 1
    }
    pw=$(openssl rand -hex 16) || {
        _vcsim_err "openssl rand failed"
        return 1
    }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/vnest-vcsim.XXXXXX") || {
        _vcsim_err "mktemp failed"
        return 1
    }
    _vcsim_trap
    # TMPDIR: vcsim's datastore folders land here and go with vcsim_stop.
    TMPDIR=$dir "$VCSIM_BIN" -l 127.0.0.1:0 -tls -cert "$VCSIM_CA" -key "$VCSIM_KEY" \
        -u "vnest:$pw" -exit-with-parent "$@" >"$dir/url" 2>"$dir/log" </dev/null &
    pid=$!
    _vcsim_pids+=("$pid")
    _vcsim_dirs+=("$pid:$dir")
    limit=$((${VCSIM_START_TIMEOUT:-30} * 10))
    url=""
    while [ "$waited" -lt "$limit" ]; do
        if [ -s "$dir/url" ] && IFS= read -r url <"$dir/url" && [ -n "$url" ]; then
            break
        fi
        if ! _vcsim_alive "$pid"; then
            wait "$pid" 2>/dev/null
            _vcsim_err "exited before serving (flags: $*): $(tail -5 "$dir/log")"
            vcsim_stop "$pid"
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    if [ -z "$url" ]; then
        _vcsim_err "no URL after ${VCSIM_START_TIMEOUT:-30} s: $(tail -5 "$dir/log")"
        vcsim_stop "$pid"
        return 1
    fi
    case $url in
    https://127.0.0.1:[0-9]*/sdk) ;;
    *)
        _vcsim_err "unexpected first line from vcsim: $url"
        vcsim_stop "$pid"
        return 1
        ;;
    esac
    export VCSIM_URL=$url VCSIM_PID=$pid VCSIM_CA VCSIM_USER=vnest VCSIM_PASSWORD=$pw
    export VCSIM_LOG=$dir/log VCSIM_DIR=$dir
    export GOVC_URL=$url GOVC_USERNAME=vnest GOVC_PASSWORD=$pw GOVC_TLS_CA_CERTS=$VCSIM_CA
    return 0
}

vcsim_stop() {
    local pid=${1:-${VCSIM_PID:-}} i e keep=()
    [ -n "$pid" ] || return 0
    if _vcsim_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
            _vcsim_alive "$pid" || break
            sleep 0.1
        done
        if _vcsim_alive "$pid"; then
            echo "vcsim: $pid ignored SIGTERM for 10 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
    for e in "${_vcsim_dirs[@]}"; do
        if [ "${e%%:*}" = "$pid" ]; then
            rm -rf "${e#*:}"
        else
            keep+=("$e")
        fi
    done
    _vcsim_dirs=("${keep[@]}")
    keep=()
    for e in "${_vcsim_pids[@]}"; do
        [ "$e" = "$pid" ] || keep+=("$e")
    done
    _vcsim_pids=("${keep[@]}")
    ! _vcsim_alive "$pid"
}

# With `vcsim_start -record "$REC"`: rec_mark notes how many request bodies
# the simulator has received; rec_since [METHOD...] prints how many came
# since the mark (of these methods only, when named).
rec_mark() { REC_MARK=$(find "$REC" -name '*.req.xml' | wc -l); }
rec_since() {
    local n=0 f b m
    for f in "$REC"/*.req.xml; do
        [ -e "$f" ] || continue
        b=${f##*/}
        [ "$((10#${b%%-*}))" -gt "$REC_MARK" ] || continue
        if [ $# -eq 0 ]; then
            n=$((n + 1))
            continue
        fi
        for m in "$@"; do
            [ "$b" = "${b%%-*}-$m.req.xml" ] && n=$((n + 1))
        done
    done
    echo "$n"
}
