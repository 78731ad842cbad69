# shellcheck shell=bash
# Building test OVAs for the ova check/import suites, with independent
# tools only: qemu-img writes the streamOptimized disks, sha256sum the
# manifest, GNU tar the archive. Sourced after lib.sh.

OVA_DATA=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ova_disks DIR: two small streamOptimized disks with some data in them
# (the second one different, so digests differ).
ova_disks() {
    local dir=$1
    mkdir -p "$dir"
    qemu-img create -q -f raw "$dir/d1.raw" 16M &&
        printf 'vnest ova test disk one\n%.0s' $(seq 1 2000) | dd of="$dir/d1.raw" conv=notrunc status=none &&
        qemu-img create -q -f raw "$dir/d2.raw" 8M &&
        printf 'vnest ova test disk two\n' | dd of="$dir/d2.raw" bs=1 seek=1048576 conv=notrunc status=none &&
        qemu-img convert -O vmdk -o subformat=streamOptimized "$dir/d1.raw" "$dir/nested8-disk1.vmdk" &&
        qemu-img convert -O vmdk -o subformat=streamOptimized "$dir/d2.raw" "$dir/nested8-disk2.vmdk" &&
        rm -f "$dir/d1.raw" "$dir/d2.raw"
}

# ova_descriptor DIR [SED_EXPR...]: DIR/nested8.ovf from the template, with
# the disk sizes filled in and each SED_EXPR applied (to make variants).
ova_descriptor() {
    local dir=$1 s0 s1
    shift
    s0=$(stat -c %s "$dir/nested8-disk1.vmdk")
    s1=$(stat -c %s "$dir/nested8-disk2.vmdk")
    local args=(-e "s/@SIZE0@/$s0/" -e "s/@SIZE1@/$s1/")
    for e in "$@"; do args+=(-e "$e"); done
    sed "${args[@]}" "$OVA_DATA/ova-nested8.ovf.in" >"$dir/nested8.ovf"
}

# ova_manifest DIR: DIR/nested8.mf with SHA256(name)= hex lines.
ova_manifest() {
    (cd "$1" && sha256sum nested8.ovf nested8-disk1.vmdk nested8-disk2.vmdk |
        awk '{ printf "SHA256(%s)= %s\n", $2, $1 }' >nested8.mf)
}

# ova_pack DIR OUT [MEMBER...]: a ustar archive of the members in the given
# order (default: ovf, mf, disks in References order).
ova_pack() {
    local dir=$1 out=$2
    shift 2
    [ $# -gt 0 ] || set -- nested8.ovf nested8.mf nested8-disk1.vmdk nested8-disk2.vmdk
    tar --format=ustar --owner=0 --group=0 --numeric-owner -cf "$out" -C "$dir" "$@"
}

# ova_make DIR OUT [SED_EXPR...]: disks (once), descriptor, manifest, pack.
ova_make() {
    local dir=$1 out=$2
    shift 2
    [ -e "$dir/nested8-disk1.vmdk" ] || ova_disks "$dir" || return 1
    ova_descriptor "$dir" "$@" && ova_manifest "$dir" && ova_pack "$dir" "$out"
}
