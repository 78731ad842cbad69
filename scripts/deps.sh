#!/usr/bin/env bash
# Installs the Debian packages a job needs, only those missing, so `make
# check` and `make demo` work on a fresh Debian 12 machine and cost nothing
# on a prepared one. Uses sudo when not root.
#
# usage: scripts/deps.sh check|demo|build
set -eu
job=${1:-build}

build_pkgs="gcc make pkg-config libjansson-dev libssl-dev libisoburn-dev libcrypt-dev libarchive-dev libdeflate-dev libfyaml-dev"
# libxml2 only for the tests: the differential test and fuzz target that
# hold vnest's own XML reader against it.
check_pkgs="$build_pkgs libxml2-dev clang libclang-rt-14-dev qemu-utils libvirt-clients scdoc python3 jq xorriso busybox shellcheck dosfstools mtools gdisk"
demo_pkgs="$build_pkgs qemu-utils xorriso openssl golang-go golang-github-vmware-govmomi-dev"

case "$job" in
build) want=$build_pkgs ;;
check) want=$check_pkgs ;;
demo) want=$demo_pkgs ;;
*)
    echo "usage: $0 check|demo|build" >&2
    exit 2
    ;;
esac

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "vnest: need root (or sudo) to install:$missing" >&2
        exit 3
    }
    sudo=sudo
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086 # the list is meant to split into words
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
