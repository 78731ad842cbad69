#!/usr/bin/env bash
# Builds the test-only vSphere simulator launcher (vcsim) and the request
# checker (ordercheck) from Debian's packages only: golang-go and
# golang-github-vmware-govmomi-dev (govmomi 0.24.2 in /usr/share/gocode),
# GOPATH mode, no module downloads. Installs the two packages with apt-get
# when they are missing (apt.sh: as root, or through passwordless sudo). Skips the
# build when both binaries are newer than their sources. Quiet on success.
#
# usage: tests/vcsim/build.sh [OUT_DIR]      (default: build/vcsim)
# exit:  0 built or up to date, 1 build failed,
#        3 go/govmomi missing and could not be installed (callers skip)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/vcsim}
gopath=/usr/share/gocode
govmomi=$gopath/src/github.com/vmware/govmomi
go=${VCSIM_GO:-/usr/bin/go} # VCSIM_GO: only to test the skip path

have_deps() { [ -x "$go" ] && [ -f "$govmomi/simulator/model.go" ]; }

if ! have_deps; then
    why=$(bash "$here/apt.sh" golang-go golang-github-vmware-govmomi-dev 2>&1) || {
        echo "vcsim/build.sh: cannot build the simulator: $why" >&2
        exit 3
    }
    have_deps || {
        echo "vcsim/build.sh: cannot build the simulator: $go or $govmomi missing after installing" >&2
        exit 3
    }
fi

mkdir -p "$out"
# One build at a time when several test suites start together.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$out/.build.lock"
    flock 9
fi

# stale BIN SRC...: true when BIN is missing or older than any SRC.
stale() {
    local bin=$1 f
    shift
    [ -x "$bin" ] || return 0
    for f in "$@"; do
        [ -e "$f" ] && [ "$f" -nt "$bin" ] && return 0
    done
    return 1
}

# Package upgrades touch dpkg's file lists, which forces a rebuild.
dpkg_lists=(/var/lib/dpkg/info/golang-github-vmware-govmomi-dev.list /var/lib/dpkg/info/golang-go*.list)

# cgo only when a C compiler is there (Go 1.19 does not fall back by itself).
cgo=0
command -v cc >/dev/null 2>&1 && cgo=1

build() { # DIR BIN
    local dir=$1 bin=$2 log
    log=$(mktemp "${TMPDIR:-/tmp}/vcsim-go.XXXXXX")
    if ! (cd "$dir" && env GOPATH="$gopath" GO111MODULE=off GOFLAGS= GOPROXY=off GOENV=off \
        GOTOOLCHAIN=local GOCACHE="$top/build/go-cache" CGO_ENABLED=$cgo \
        "$go" build -o "$bin.tmp.$$" .) >"$log" 2>&1; then
        echo "vcsim/build.sh: go build in ${dir#"$top"/} failed:" >&2
        cat "$log" >&2
        rm -f "$log" "$bin.tmp.$$"
        return 1
    fi
    rm -f "$log"
    mv -f "$bin.tmp.$$" "$bin"
}

if stale "$out/vcsim" "$here"/*.go "$here/build.sh" "${dpkg_lists[@]}"; then
    build "$here" "$out/vcsim"
fi
if stale "$out/ordercheck" "$here"/ordercheck/*.go "$here/build.sh" "${dpkg_lists[@]}"; then
    build "$here/ordercheck" "$out/ordercheck"
fi
