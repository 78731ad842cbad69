#!/usr/bin/env bash
# End-to-end tests of how the vSphere API commands fail: connection settings
# refused before connecting (no URL, a password in -u, plain http, a password
# file others can read), the network (a closed port, a server that closes
# the connection without a reply or in the middle of one), TLS trust (an
# untrusted certificate names its SHA-256 thumbprint; that thumbprint pinned
# with --thumbprint or a govc known_hosts file works, a wrong pin does not,
# --insecure works and warns), a wrong password, a task that fails on the
# server, and a session that expires in the middle of a command (vnest logs
# in again and finishes). Every error is one line "vnest: WHERE: message".
#
# The simulator (tests/vcsim) serves the checks that need a vSphere endpoint;
# they SKIP when it cannot be built. The others need only openssl and python3.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vcsim/lib.sh
. "$(dirname "$0")/../vcsim/lib.sh"

DATA=$(cd "$(dirname "$0")" && pwd)/data
unset GOVC_URL GOVC_USERNAME GOVC_PASSWORD GOVC_INSECURE GOVC_TLS_CA_CERTS \
    GOVC_TLS_KNOWN_HOSTS GOVC_DATACENTER GOVC_DATASTORE GOVC_NETWORK \
    GOVC_RESOURCE_POOL GOVC_FOLDER GOVC_HOST VNEST_ALLOW_HTTP VNEST_RECORD_DIR
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# runx ENV-ARG... -- VNEST-ARG...: like run, under `env ENV-ARG...`.
runx() {
    local e=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        e+=("$1")
        shift
    done
    shift
    env "${e[@]}" "$VNEST" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    RC=$?
    OUT=$(cat "$WORK/stdout")
    ERR=$(cat "$WORK/stderr")
}

# ok NAME: exit 0 with the endpoint's description (api about).
about_ok() {
    if [ "$RC" -eq 0 ] && grep -Eq '^API +VirtualCenter ' <<<"$OUT"; then
        pass "$1"
    else
        fail "$1" "exit $RC: $(oneline <<<"$OUT$ERR")"
    fi
}

# A loopback port nobody listens on: bound, then released.
free_port() {
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# --- settings refused before connecting (no simulator needed) --------------------

cred=(GOVC_USERNAME=vnest GOVC_PASSWORD=not-used)
runx "${cred[@]}" -- api about
err1 no-url 2 GOVC_URL 'set GOVC_URL'
runx "${cred[@]}" -- api about -u https://vnest:secret@127.0.0.1:1/sdk
err1 url-password 2 --url 'password in the URL'
if grep -q secret <<<"$OUT$ERR"; then
    fail url-password-not-echoed "the password from -u is echoed: $ERR"
else
    pass url-password-not-echoed
fi
runx "${cred[@]}" -- api about -u http://127.0.0.1:1/sdk
err1 http-url 2 http://127.0.0.1:1 'plain http is refused'

port=$(free_port)
runx "${cred[@]}" -- api about -u "https://127.0.0.1:$port/sdk"
err1 unreachable 3 "127.0.0.1:$port" 'cannot connect'

# A TLS server that reads each request and closes the connection (no reply,
# or half a reply): a crashing front end, or vcsim when a handler panics.
if ! have openssl || ! "$py" -c 'import ssl' 2>/dev/null; then
    skip closed-connection "needs openssl and python3 with ssl"
    skip closed-mid-reply "needs openssl and python3 with ssl"
elif ! openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/fake.key" -out "$WORK/fake.pem" \
    >"$WORK/openssl.log" 2>&1; then
    fail closed-connection "openssl req: $(oneline <"$WORK/openssl.log")"
    skip closed-mid-reply "no certificate for the fake server"
else
    for mode in close partial; do
        name=closed-connection pat='closed the connection without a reply'
        [ "$mode" = partial ] && name=closed-mid-reply pat='closed the connection in the middle of the reply'
        "$py" "$DATA/closing_server.py" "$WORK/fake.pem" "$WORK/fake.key" "$mode" \
            >"$WORK/fake.port" 2>"$WORK/fake.err" &
        spid=$!
        for _ in $(seq 1 100); do
            [ -s "$WORK/fake.port" ] && break
            sleep 0.1
        done
        fport=$(head -1 "$WORK/fake.port")
        if [ -z "$fport" ]; then
            fail "$name" "the fake server did not start: $(oneline <"$WORK/fake.err")"
        else
            runx "${cred[@]}" -- api about --insecure -u "https://127.0.0.1:$fport/sdk"
            err1 "$name" 3 "127.0.0.1:$fport" "$pat"
        fi
        kill "$spid" 2>/dev/null
        wait "$spid" 2>/dev/null
    done
fi

# --- against the simulator -------------------------------------------------------

sim_checks=(wrong-password password-file-0644 password-file-0600 untrusted ca-file
    thumbprint known-hosts known-hosts-env thumbprint-wrong insecure insecure-env
    task-fails session-expired session-relogin session-readback)
if ! why=$(vcsim_skip_reason); then
    for c in "${sim_checks[@]}"; do skip "$c" "$why"; done
    exit 0
fi
peer_why=""
peer_why=$(vcsim_peer_skip_reason) || true

if ! vcsim_start -api-version 6.7 -product-version 6.7.0; then
    fail wrong-password "$VCSIM_ERROR"
    for c in "${sim_checks[@]:1}"; do skip "$c" "simulator did not start"; done
    exit 0
fi
hp=${VCSIM_URL#https://}
hp=${hp%/sdk}

runx GOVC_PASSWORD=not-the-password -- api about
err1 wrong-password 3 "$hp" 'login failed for user "vnest"'

printf '%s\n' "$VCSIM_PASSWORD" >"$WORK/pw"
chmod 644 "$WORK/pw"
runx -u GOVC_PASSWORD -- api about --password-file "$WORK/pw"
err1 password-file-0644 2 "$WORK/pw" 'chmod 600'
chmod 600 "$WORK/pw"
runx -u GOVC_PASSWORD -- api about --password-file "$WORK/pw"
about_ok password-file-0600

fp=$(openssl x509 -in "$VCSIM_CA" -noout -fingerprint -sha256)
fp=${fp#*=}
runx -u GOVC_TLS_CA_CERTS -- api about
if [[ ! $fp =~ ^([0-9A-F]{2}:){31}[0-9A-F]{2}$ ]]; then
    fail untrusted "cannot compute the certificate's SHA-256 thumbprint: '$fp'"
else
    err1 untrusted 3 "$hp" "certificate not trusted.*\"$hp $fp\""
fi
runx -u GOVC_TLS_CA_CERTS -- api about --ca-file "$VCSIM_CA"
about_ok ca-file
runx -u GOVC_TLS_CA_CERTS -- api about --thumbprint "$fp"
about_ok thumbprint
{
    echo "# govc known_hosts"
    echo "127.0.0.1:1 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"
    echo "$hp $fp"
} >"$WORK/known_hosts"
runx -u GOVC_TLS_CA_CERTS -- api about --known-hosts "$WORK/known_hosts"
about_ok known-hosts
runx -u GOVC_TLS_CA_CERTS GOVC_TLS_KNOWN_HOSTS="$WORK/known_hosts" -- api about
about_ok known-hosts-env
# The same thumbprint with its first byte changed; a pin beats the CA file.
first=${fp%%:*}
[ "$first" = 00 ] && wrong=01${fp#??} || wrong=00${fp#??}
runx -- api about --thumbprint "$wrong"
err1 thumbprint-wrong 3 "$hp" "thumbprint $fp does not match the pinned $wrong"
runx -u GOVC_TLS_CA_CERTS -- api about --insecure
if [ "$RC" -eq 0 ] && grep -q '^vnest: warning: the server certificate is not verified' <<<"$ERR" &&
    grep -Eq '^API +VirtualCenter ' <<<"$OUT"; then
    pass insecure
else
    fail insecure "exit $RC, stderr: $(oneline <<<"$ERR")"
fi
runx -u GOVC_TLS_CA_CERTS GOVC_INSECURE=1 -- api about
if [ "$RC" -eq 0 ] && grep -q '^vnest: warning: the server certificate is not verified' <<<"$ERR"; then
    pass insecure-env
else
    fail insecure-env "exit $RC, stderr: $(oneline <<<"$ERR")"
fi

# A task that fails on the server: vcsim 0.24.2's guest list ends at
# vmkernel65Guest, so ReconfigVM_Task to vmkernel8Guest ends in the task
# error InvalidArgument (research 3.1).
run -q vm create task-vm --esxi 6.7 --network "VM Network" --host DC0_H0
if [ "$RC" -ne 0 ]; then
    fail task-fails "vm create for the setup: exit $RC: $(oneline <<<"$ERR")"
else
    run vm fix task-vm --esxi 8.0
    err1 task-fails 3 "" '^vnest: [^:]+: InvalidArgument'
fi
vcsim_stop

# --- a session that expires in the middle of a command ---------------------------
# -idle 2s expires a session idle for 2-4 s; ReconfigVM_Task answers after
# 5 s, so the session that sent it is gone when vm fix waits for the task,
# and the next call (CreatePropertyCollector) gets NotAuthenticated.
if ! vcsim_start -idle 2s -method-delay ReconfigVM_Task=5000 -record "$WORK/rec"; then
    fail session-expired "$VCSIM_ERROR"
    skip session-relogin "simulator did not start"
    skip session-readback "simulator did not start"
    exit 0
fi
count() { # METHOD: recorded requests of METHOD, numbered above $mark
    local n=0 f b
    for f in "$WORK"/rec/*-"$1".req.xml; do
        [ -e "$f" ] || continue
        b=${f##*/}
        [ $((10#${b%%-*})) -gt "$mark" ] && n=$((n + 1))
    done
    echo "$n"
}
run -q vm create idle-vm --esxi 8.0 --network "VM Network" --host DC0_H0
if [ "$RC" -ne 0 ]; then
    fail session-expired "vm create for the setup: exit $RC: $(oneline <<<"$ERR")"
    skip session-relogin "no VM"
    skip session-readback "no VM"
else
    mark=$(find "$WORK/rec" -name '*.req.xml' | wc -l)
    run vm fix idle-vm --esxi 6.7
    expect session-expired 0 '^  set config.guestId: vmkernel8Guest -> vmkernel65Guest$'
    logins=$(count Login) reconf=$(count ReconfigVM_Task) pcs=$(count CreatePropertyCollector)
    if [ "$logins" -eq 2 ] && [ "$reconf" -eq 1 ] && [ "$pcs" -eq 2 ]; then
        pass session-relogin
    else
        fail session-relogin "$logins Login (expected 2), $reconf ReconfigVM_Task (1), $pcs CreatePropertyCollector (2: one refused, one resent)"
    fi
    if [ -n "$peer_why" ]; then
        skip session-readback "$peer_why"
    else
        OUT=$("$VCSIM_PYTHON" "$VCSIM_READBACK" vm idle-vm 2>"$WORK/rb.err")
        RC=$?
        if [ "$RC" -ne 0 ]; then
            fail session-readback "readback.py exited $RC: $(oneline <"$WORK/rb.err")"
        else
            json_ok session-readback 'd["guestId"] == "vmkernel65Guest" and d["memoryMB"] == 8192'
        fi
    fi
fi
vcsim_stop
exit 0
