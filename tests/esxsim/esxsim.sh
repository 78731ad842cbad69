#!/bin/sh
# SIMULATION. Builds and drives a simulated ESXi root for tests of scripts
# meant to run inside a nested ESXi (the seal script; kickstart %firstboot
# sections): a directory with the files such scripts touch, shaped like a
# real host's (formats.md 2.6, 2.7, 2.10; the installed-bank boot.cfg field
# order of 2.6), and recording stand-ins for ESXi's commands. Nothing here is
# VMware code or output copied from a host.
#
#   esxsim.sh build ROOT [options]   make ROOT (removed first if it exists)
#   esxsim.sh run ROOT SCRIPT [ARGS] run SCRIPT under busybox sh "inside" ROOT
#   esxsim.sh boot ROOT              a simulated reboot (see below)
#   esxsim.sh fail ROOT PREFIX       make every call starting with PREFIX
#                                    ("vim-cmd hostsvc/start_ssh") fail
#
# build options:
#   --version X.Y.Z      ESXi version `esxcli system version get` reports
#                        (default 7.0.1); 6.x gets the 6.x disk layout, 7.0+
#                        the 7.0 one with its OSDATA (VMFS-L) volume
#   --update N           the Update field for 6.x (7.0+: the third number)
#   --no-datastore       no VMFS datastore on the boot disk
#   --datastore-name N   name of the boot disk's datastore (default datastore1)
#   --extra-datastore    a second VMFS datastore, on another disk
#   --vmk NAME           one more VMkernel port besides vmk0 (repeatable)
#   --kernelopt TEXT     kernelopt of both banks' boot.cfg
#   --no-altbootbank     an empty /altbootbank (no boot.cfg)
#   --vsan-node-uuid     /adv/VSAN/NodeUuid set in esx.conf
#   --no-ssl             no host certificate (backup.sh then refuses to run)
#
# Inside ROOT:
#   etc/vmware/esx.conf, etc/dhclient-vmk0.leases, etc/vmware/ssl/rui.*,
#   bootbank/boot.cfg, bootbank/state.tgz, altbootbank/boot.cfg
#   bin/    stand-ins for esxcli, vim-cmd, vmtoolsd, partedUtil, vmkfstools,
#           and links to busybox for the utilities ESXi's shell has
#   sbin/   stand-ins for auto-backup.sh, backup.sh, shutdown.sh, poweroff
#   .esxsim/log    one "NAME ARGS" line per stand-in call, in order
#   .esxsim/trace  the same with "| uuid=present|absent": whether esx.conf
#                  held /system/uuid when the call was made
#   .esxsim/       the simulated host's state (disk partitions, volumes,
#                  VMkernel ports, services, vmware.log lines, guestinfo)
#
# The stand-ins (tests/esxsim/standin.sh) keep that state consistent: an
# advanced option set with esxcli becomes an /adv/... line of esx.conf;
# `esxcli system uuid get` writes /system/uuid back when it is missing (as
# ESXi does, S11); partedUtil delete removes the partition and its volume,
# and refuses while the volume is mounted; auto-backup.sh, backup.sh and
# shutdown.sh save etc/vmware/esx.conf and the DHCP leases into
# bootbank/state.tgz (state.tgz > local.tgz > etc/...), refusing without SSL
# certificates; poweroff marks the host powered off, after which every
# stand-in fails. `boot` brings /etc back from state.tgz, as ESXi does at
# boot, makes a new /system/uuid when esx.conf has none, and powers on.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
    sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

new_uuid() { # 8-4-4-4-12 hex, like /system/uuid
    h=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s-%s-%s-%s-%s\n' "$(echo "$h" | cut -c1-8)" "$(echo "$h" | cut -c9-12)" \
        "$(echo "$h" | cut -c13-16)" "$(echo "$h" | cut -c17-20)" "$(echo "$h" | cut -c21-32)"
}

vmfs_uuid() { # 8-8-4-12 hex, like a VMFS volume UUID
    h=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s-%s-%s-%s\n' "$(echo "$h" | cut -c1-8)" "$(echo "$h" | cut -c9-16)" \
        "$(echo "$h" | cut -c17-20)" "$(echo "$h" | cut -c21-32)"
}

build_number() {
    case $1 in
    6.0.*) echo 3620759 ;;
    6.5.*) echo 4564106 ;;
    6.7.*) echo 8169922 ;;
    7.0.0) echo 15843807 ;;
    7.0.1) echo 16850804 ;;
    7.0.2) echo 17630552 ;;
    7.0.3) echo 19193900 ;;
    8.0.*) echo 24022510 ;;
    *) echo 24755229 ;;
    esac
}

write_bootcfg() { # FILE BOOTSTATE UPDATED
    if [ "$major" -ge 7 ]; then
        kernel=b.b00
        mods="jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- uc_intel.b00 --- uc_amd.b00 --- uc_hygon.b00 --- procfs.b00 --- vmx.v00 --- vim.v00 --- tpm.v00 --- sb.v00 --- s.v00 --- bnxtnet.v00 --- vmxnet3.v00 --- pvscsi.v00 --- nvme_pci.v00 --- vmkusb.v00 --- esx_ui.v00 --- vsan.v00 --- vsanheal.v00 --- vmware_e.v00 --- tools.t00 --- loadesx.v00 --- xorg.v00 --- imgdb.tgz --- state.tgz"
    else
        kernel=tboot.b00
        mods="b.b00 --- jumpstrt.gz --- useropts.gz --- features.gz --- k.b00 --- chardevs.b00 --- user.b00 --- procfs.b00 --- uc_intel.b00 --- uc_amd.b00 --- vmx.v00 --- vim.v00 --- sb.v00 --- s.v00 --- vmxnet3.v00 --- pvscsi.v00 --- nvme.v00 --- esx_ui.v00 --- vsan.v00 --- vsanheal.v00 --- tools.t00 --- xorg.v00 --- imgdb.tgz --- state.tgz"
    fi
    {
        echo "bootstate=$2"
        echo "title=Loading VMware ESXi"
        echo "timeout=5"
        echo "prefix="
        echo "kernel=$kernel"
        echo "kernelopt=$kernelopt"
        echo "modules=$mods"
        echo "build=$version-0.0.$build"
        echo "updated=$3"
    } >"$1"
}

cmd_build() {
    root=$1
    shift
    version=7.0.1 update=0 datastore=1 dsname=datastore1 extra=0 vmks='' alt=1 vsan=0 ssl=1
    kernelopt=''
    while [ $# -gt 0 ]; do
        case $1 in
        --version) version=$2; shift ;;
        --update) update=$2; shift ;;
        --no-datastore) datastore=0 ;;
        --datastore-name) dsname=$2; shift ;;
        --extra-datastore) extra=1 ;;
        --vmk) vmks="$vmks $2"; shift ;;
        --kernelopt) kernelopt=$2; shift ;;
        --no-altbootbank) alt=0 ;;
        --vsan-node-uuid) vsan=1 ;;
        --no-ssl) ssl=0 ;;
        *) echo "esxsim: unknown build option $1" >&2; exit 2 ;;
        esac
        shift
    done
    major=${version%%.*}
    build=$(build_number "$version")
    if [ -z "$kernelopt" ]; then
        if [ "$major" -ge 7 ]; then kernelopt=autoPartition=FALSE; else kernelopt=no-auto-partition; fi
    fi
    rm -rf "$root"
    mkdir -p "$root/etc/vmware/ssl" "$root/bootbank" "$root/altbootbank" "$root/bin" "$root/sbin" \
        "$root/.esxsim/ptbl"
    root=$(cd "$root" && pwd)
    S=$root/.esxsim
    cp "$HERE/standin.sh" "$S/standin.sh"
    : >"$S/log"
    : >"$S/trace"
    echo "$version" >"$S/version"
    echo "$update" >"$S/update"
    echo "$build" >"$S/build"
    bootdev=mpx.vmhba0:C0:T0:L0
    echo "$bootdev" >"$S/bootdev"

    uuid=$(new_uuid)
    echo "$uuid" >"$S/kernel-uuid"
    mac=00:50:56:61:4d:5e
    # esx.conf: one `/path = "value"` line per setting (formats.md 2.10).
    {
        echo '/adv/Misc/HostIPAddr = "192.168.10.21"'
        echo '/adv/Misc/HostName = "esxi-tmpl"'
        echo '/adv/Net/ManagementAddr = "192.168.10.21"'
        echo '/adv/UserVars/HostClientCEIPOptIn = "2"'
        [ "$vsan" -eq 0 ] || echo "/adv/VSAN/NodeUuid = \"$uuid\""
        echo '/net/pnic/child[0000]/mac = "00:0c:29:a1:2b:3c"'
        echo '/net/pnic/child[0000]/name = "vmnic0"'
        echo '/net/pnic/child[0000]/virtualMac = "00:50:56:51:2b:3c"'
        echo '/net/routes/kernel/gateway = "192.168.10.1"'
        echo "/system/uuid = \"$uuid\""
        echo '/net/vmkernelnic/child[0000]/dhcp = "true"'
        echo "/net/vmkernelnic/child[0000]/mac = \"$mac\""
        echo '/net/vmkernelnic/child[0000]/name = "vmk0"'
        echo '/net/vmkernelnic/child[0000]/portgroup = "Management Network"'
        echo '/net/vswitch/child[0000]/name = "vSwitch0"'
        echo '/net/vswitch/child[0000]/portgroup/child[0000]/name = "Management Network"'
        echo '/net/vswitch/child[0000]/portgroup/child[0000]/vlanId = "0"'
        echo '/net/vswitch/child[0000]/uplinks/child[0000]/pnic = "vmnic0"'
        echo "/resourceGroups/version = \"$version\""
    } >"$root/etc/vmware/esx.conf"
    cat >"$root/etc/dhclient-vmk0.leases" <<'EOF'
lease {
  interface "vmk0";
  fixed-address 192.168.10.21;
  option subnet-mask 255.255.255.0;
  option routers 192.168.10.1;
  option dhcp-lease-time 86400;
  option dhcp-server-identifier 192.168.10.1;
  renew 2 2021/08/24 10:12:01;
  rebind 3 2021/08/25 06:12:01;
  expire 3 2021/08/25 09:12:01;
}
EOF
    if [ "$ssl" -eq 1 ]; then
        printf -- '-----BEGIN CERTIFICATE-----\nSIMULATED\n-----END CERTIFICATE-----\n' >"$root/etc/vmware/ssl/rui.crt"
        printf -- '-----BEGIN PRIVATE KEY-----\nSIMULATED\n-----END PRIVATE KEY-----\n' >"$root/etc/vmware/ssl/rui.key"
    fi

    write_bootcfg "$root/bootbank/boot.cfg" 0 2
    [ "$alt" -eq 0 ] || write_bootcfg "$root/altbootbank/boot.cfg" 3 1
    (cd "$root" && tar czf "$S/local.tgz" etc/vmware/esx.conf etc/dhclient-vmk0.leases)
    tar czf "$root/bootbank/state.tgz" -C "$S" local.tgz
    rm -f "$S/local.tgz"

    # VMkernel ports: NAME|MAC|PORTGROUP|PORTSET
    echo "vmk0|$mac|Management Network|vSwitch0" >"$S/vmknics"
    n=1
    for v in $vmks; do
        echo "$v|00:50:56:6a:33:4$n|vMotion Network $n|vSwitch0" >>"$S/vmknics"
        n=$((n + 1))
    done

    # Disks (partedUtil getptbl), volumes (MOUNT|NAME|UUID|MOUNTED|TYPE|SIZE|FREE)
    # and VMFS extents (NAME|UUID|EXTENT|DEVICE|PARTITION); layouts of
    # formats.md 2.2 (6.x) and 2.3 (7.0+).
    bb1=$(vmfs_uuid) bb2=$(vmfs_uuid) ds=$(vmfs_uuid)
    : >"$S/fs"
    : >"$S/extents"
    if [ "$major" -ge 7 ]; then
        os=$(vmfs_uuid)
        {
            echo gpt
            echo "26108 255 63 419430400"
            echo "1 64 204863 C12A7328F81F11D2BA4B00A0C93EC93B systemPartition 128"
            echo "5 208896 8595455 EBD0A0A2B9E5443387C068B6B72699C7 linuxNative 0"
            echo "6 8597504 16984063 EBD0A0A2B9E5443387C068B6B72699C7 linuxNative 0"
            echo "7 16986112 268435455 4EB2EA3978554790A79EFAE495E21F8D vmfsl 0"
            [ "$datastore" -eq 0 ] || echo "8 268437504 419430366 AA31E02A400F11DB9590000C2911D1B8 vmfs 0"
        } >"$S/ptbl/$bootdev"
        dspart=8 dstype=VMFS-6
        echo "/vmfs/volumes/$os|OSDATA-$os|$os|true|VMFSOS|128580583424|125329997824" >>"$S/fs"
        echo "OSDATA-$os|$os|0|$bootdev|7" >>"$S/extents"
    else
        {
            echo gpt
            echo "5221 255 63 83886080"
            echo "1 64 8191 C12A7328F81F11D2BA4B00A0C93EC93B systemPartition 128"
            echo "5 8224 520191 EBD0A0A2B9E5443387C068B6B72699C7 linuxNative 0"
            echo "6 520224 1032191 EBD0A0A2B9E5443387C068B6B72699C7 linuxNative 0"
            echo "7 1032224 1257471 9D27538040AD11DBBF97000C2911D1B8 vmkDiagnostic 0"
            echo "8 1257504 1843199 EBD0A0A2B9E5443387C068B6B72699C7 linuxNative 0"
            echo "9 1843200 7086079 9D27538040AD11DBBF97000C2911D1B8 vmkDiagnostic 0"
            echo "2 7086080 15472639 EBD0A0A2B9E5443387C068B6B72699C7 linuxNative 0"
            [ "$datastore" -eq 0 ] || echo "3 15472640 83886046 AA31E02A400F11DB9590000C2911D1B8 vmfs 0"
        } >"$S/ptbl/$bootdev"
        dspart=3 dstype=VMFS-6
        case $version in 6.0.*) dstype=VMFS-5 ;; esac
        scratch=$(vmfs_uuid)
        echo "/vmfs/volumes/$scratch|$scratch|$scratch|true|vfat|4293591040|4269932544" >>"$S/fs"
    fi
    if [ "$datastore" -eq 1 ]; then
        echo "/vmfs/volumes/$ds|$dsname|$ds|true|$dstype|34091302912|32238469120" >>"$S/fs"
        echo "$dsname|$ds|0|$bootdev|$dspart" >>"$S/extents"
    fi
    echo "/vmfs/volumes/$bb1|BOOTBANK1|$bb1|true|vfat|4293591040|3975413760" >>"$S/fs"
    echo "/vmfs/volumes/$bb2|BOOTBANK2|$bb2|true|vfat|4293591040|4293525504" >>"$S/fs"
    if [ "$extra" -eq 1 ]; then
        ds2=$(vmfs_uuid)
        {
            echo gpt
            echo "2610 255 63 41943040"
            echo "1 2048 41943006 AA31E02A400F11DB9590000C2911D1B8 vmfs 0"
        } >"$S/ptbl/mpx.vmhba0:C0:T1:L0"
        echo "/vmfs/volumes/$ds2|datastore2|$ds2|true|VMFS-6|21206401024|19975372800" >>"$S/fs"
        echo "datastore2|$ds2|0|mpx.vmhba0:C0:T1:L0|1" >>"$S/extents"
    fi
    echo "guestinfo.hostname=esxi-tmpl" >"$S/guestinfo"

    for name in esxcli vim-cmd vmtoolsd partedUtil vmkfstools; do
        standin "$root/bin/$name" "$name"
    done
    for name in auto-backup.sh backup.sh shutdown.sh poweroff; do
        standin "$root/sbin/$name" "$name"
    done
    # ESXi's shell utilities are busybox applets.
    if command -v busybox >/dev/null 2>&1; then
        bb=$(command -v busybox)
        for a in awk cat cp cut grep head ls mkdir mv od rm sed sort tail tr wc; do
            ln -s "$bb" "$root/bin/$a"
        done
    fi
}

standin() { # FILE NAME
    cat >"$1" <<EOF
#!/bin/sh
# SIMULATION: a recording stand-in for ESXi's $2 (vnest tests/esxsim), not
# VMware's program. See tests/esxsim/standin.sh.
exec /bin/sh "\${0%/*}/../.esxsim/standin.sh" "\${0%/*}/.." '$2' "\$@"
EOF
    chmod 0755 "$1"
}

cmd_run() {
    root=$(cd "$1" && pwd)
    shift
    ESXSIM_ROOT=$root PATH=$root/bin:$root/sbin:$PATH exec busybox sh "$@"
}

# A simulated reboot: /etc comes back from state.tgz (ESXi keeps /etc in
# memory), a missing /system/uuid is made anew, the host is on again.
cmd_boot() {
    root=$(cd "$1" && pwd)
    S=$root/.esxsim
    tmp=$S/boot.tmp
    rm -rf "$tmp"
    mkdir -p "$tmp/etc"
    tar xzf "$root/bootbank/state.tgz" -C "$tmp"
    tar xzf "$tmp/local.tgz" -C "$tmp"
    rm -f "$root"/etc/dhclient*.leases
    cp "$tmp/etc/vmware/esx.conf" "$root/etc/vmware/esx.conf"
    for f in "$tmp"/etc/dhclient*.leases; do
        [ -e "$f" ] && cp "$f" "$root/etc/"
    done
    rm -rf "$tmp"
    if ! grep -q '^/system/uuid = ' "$root/etc/vmware/esx.conf"; then
        u=$(new_uuid)
        echo "/system/uuid = \"$u\"" >>"$root/etc/vmware/esx.conf"
        echo "$u" >"$S/kernel-uuid"
    fi
    rm -f "$S/powered-off"
}

[ $# -ge 2 ] || usage
verb=$1
shift
case $verb in
build) cmd_build "$@" ;;
run) cmd_run "$@" ;;
boot) cmd_boot "$@" ;;
fail) printf '%s\n' "$2" >>"$1/.esxsim/fail" ;;
*) usage ;;
esac
