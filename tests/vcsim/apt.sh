#!/usr/bin/env bash
# Installs the given Debian packages when some are missing, for the vSphere
# test harness (build.sh, lib.sh). Root, or passwordless sudo (never a
# password prompt: tests must not hang). Quiet on success.
#
# usage: tests/vcsim/apt.sh PKG...
# exit:  0 all installed, 3 cannot install (the reason is on stderr)
set -eu
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

command -v apt-get >/dev/null 2>&1 || {
    echo "missing:$missing (no apt-get to install them)" >&2
    exit 3
}
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo -n"
    else
        echo "missing:$missing (installing needs root or passwordless sudo)" >&2
        exit 3
    fi
fi
log=$(mktemp "${TMPDIR:-/tmp}/vnest-apt.XXXXXX")
trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086 # $sudo and $missing split into words on purpose
if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
    echo "missing:$missing (apt-get install failed: $(tail -1 "$log"))" >&2
    exit 3
fi
