#!/bin/sh
# SIMULATION. The one implementation behind every recording stand-in of a
# simulated ESXi root (tests/esxsim/esxsim.sh builds the root and puts a small
# wrapper per command into ROOT/bin and ROOT/sbin, each naming itself as a
# simulation). None of this is VMware code: it records how it was called and
# answers the few queries the tests need, with output shaped like ESXi's
# (formats.md 2.6-2.12, 8.1; real outputs quoted in the research notes).
#
# usage: standin.sh ROOT NAME [ARGS...]
#
# Every call appends "NAME ARGS" to ROOT/.esxsim/log and "NAME ARGS | uuid=
# present|absent" (whether esx.conf holds /system/uuid at that moment) to
# ROOT/.esxsim/trace. A line of ROOT/.esxsim/fail that is a prefix of "NAME
# ARGS" makes that call fail with status 1. After poweroff every call fails.
set -u
ROOT=$1
NAME=$2
shift 2
PATH=/usr/bin:/bin:/usr/sbin:/sbin
S=$ROOT/.esxsim
CONF=$ROOT/etc/vmware/esx.conf

CALL="$NAME${*:+ $*}"
if grep -q '^[[:space:]]*/system/uuid[[:space:]]*=' "$CONF" 2>/dev/null; then
    uuid=present
else
    uuid=absent
fi
printf '%s\n' "$CALL" >>"$S/log"
printf '%s | uuid=%s\n' "$CALL" "$uuid" >>"$S/trace"

die() {
    printf '%s\n' "$*" >&2
    exit 1
}

if [ -e "$S/powered-off" ]; then
    die "esxsim: $NAME: the simulated host is powered off"
fi
if [ -f "$S/fail" ]; then
    while IFS= read -r pat; do
        [ -n "$pat" ] || continue
        case $CALL in
        "$pat"*) die "esxsim: simulated failure of '$CALL'" ;;
        esac
    done <"$S/fail"
fi

# conf_get KEY: the value of KEY in esx.conf (without quotes), empty if absent.
conf_get() {
    awk -v k="$1" '{ split($0, a, " = ") } a[1] == k { v = substr($0, length(k) + 4); gsub(/^"|"$/, "", v); print v; exit }' "$CONF"
}

# conf_set KEY VALUE: replaces the line of KEY, or appends one (as ESXi's
# config library keeps one "key = "value"" line per setting).
conf_set() {
    awk -v k="$1" -v v="$2" 'BEGIN { done = 0 }
        { split($0, a, " = ") }
        a[1] == k { print k " = \"" v "\""; done = 1; next }
        { print }
        END { if (!done) print k " = \"" v "\"" }' "$CONF" >"$CONF.esxsim" && mv "$CONF.esxsim" "$CONF"
}

conf_del() {
    awk -v k="$1" '{ split($0, a, " = ") } a[1] != k' "$CONF" >"$CONF.esxsim" && mv "$CONF.esxsim" "$CONF"
}

# The configuration save of /sbin/backup.sh (formats.md 2.7, 8.1): refuses
# without valid SSL certificates; else state.tgz (holding local.tgz, holding
# etc/vmware/esx.conf and the DHCP leases) is written to the boot bank.
backup() {
    for f in "$ROOT/etc/vmware/ssl/rui.crt" "$ROOT/etc/vmware/ssl/rui.key"; do
        [ -s "$f" ] || die "SSL certificates are invalid: backup refused ($1)"
    done
    tmp=$S/backup.tmp
    rm -rf "$tmp"
    mkdir -p "$tmp"
    (
        cd "$ROOT" || exit 1
        set -- etc/vmware/esx.conf
        for f in etc/dhclient*.leases; do
            [ -e "$f" ] && set -- "$@" "$f"
        done
        tar czf "$tmp/local.tgz" "$@"
    ) || die "backup: cannot write local.tgz"
    tar czf "$tmp/state.tgz" -C "$tmp" local.tgz || die "backup: cannot write state.tgz"
    mv "$tmp/state.tgz" "$ROOT/bootbank/state.tgz"
    rm -rf "$tmp"
    n=$(cat "$S/backup-counter" 2>/dev/null || echo 0)
    echo $((n + 1)) >"$S/backup-counter"
}

# ---- esxcli --------------------------------------------------------------

adv_type() {
    case $1 in
    /VSAN/NodeUuid) echo string ;;
    /Net/FollowHardwareMac | /UserVars/SuppressShellWarning) echo integer ;;
    *) echo unknown ;;
    esac
}

esxcli_advanced() { # list|set ARGS
    verb=$1
    shift
    opt='' ival='' sval='' reset=0 sset=0
    while [ $# -gt 0 ]; do
        case $1 in
        -o | --option) opt=$2; shift ;;
        -i | --int-value) ival=$2; shift ;;
        -s | --string-value) sval=$2; sset=1; shift ;;
        -d | --default) reset=1 ;;
        *) die "Error: Invalid option $1" ;;
        esac
        shift
    done
    type=$(adv_type "$opt")
    [ "$type" != unknown ] || die "Error: Unable to find option ${opt#/}"
    key=/adv$opt
    case $verb in
    list)
        v=$(conf_get "$key")
        if [ "$type" = integer ]; then
            printf '   Path: %s\n   Type: integer\n   Int Value: %s\n   Default Int Value: 0\n' "$opt" "${v:-0}"
            printf '   Min Value: 0\n   Max Value: 1\n   String Value: \n   Default String Value: \n'
        else
            printf '   Path: %s\n   Type: string\n   Int Value: 0\n   Default Int Value: 0\n' "$opt"
            printf '   Min Value: 0\n   Max Value: 0\n   String Value: %s\n   Default String Value: \n' "$v"
        fi
        printf '   Valid Characters: \n   Description: %s\n' "simulated option"
        ;;
    set)
        if [ "$reset" -eq 1 ]; then
            conf_del "$key"
        elif [ "$type" = integer ] && [ -n "$ival" ]; then
            conf_set "$key" "$ival"
        elif [ "$type" = string ] && [ "$sset" -eq 1 ]; then
            conf_set "$key" "$sval"
        else
            die "Error: a value of type $type is needed for $opt"
        fi
        ;;
    esac
}

esxcli_fs_list() {
    printf '%-49s  %-42s  %-35s  %-7s  %-6s  %12s  %12s\n' "Mount Point" "Volume Name" UUID Mounted Type Size Free
    printf '%-49s  %-42s  %-35s  %-7s  %-6s  %12s  %12s\n' ------------------------------------------------- \
        ------------------------------------------ ----------------------------------- ------- ------ \
        ------------ ------------
    while IFS='|' read -r mp name u mounted type size free; do
        [ -n "$u" ] || continue
        [ "$mounted" = true ] || mp=''
        printf '%-49s  %-42s  %-35s  %7s  %-6s  %12s  %12s\n' "$mp" "$name" "$u" "$mounted" "$type" "$size" "$free"
    done <"$S/fs"
}

esxcli_extent_list() {
    printf '%-42s  %-35s  %13s  %-20s  %9s\n' "Volume Name" "VMFS UUID" "Extent Number" "Device Name" Partition
    printf '%-42s  %-35s  %13s  %-20s  %9s\n' ------------------------------------------ \
        ----------------------------------- ------------- -------------------- ---------
    while IFS='|' read -r name u ext dev part; do
        [ -n "$u" ] || continue
        printf '%-42s  %-35s  %13s  %-20s  %9s\n' "$name" "$u" "$ext" "$dev" "$part"
    done <"$S/extents"
}

esxcli_unmount() {
    u='' label=''
    while [ $# -gt 0 ]; do
        case $1 in
        -u | --volume-uuid) u=$2; shift ;;
        -l | --volume-label) label=$2; shift ;;
        *) die "Error: Invalid option $1" ;;
        esac
        shift
    done
    awk -F'|' -v u="$u" -v l="$label" '($3 == u || $2 == l) && $4 == "true" { f = 1 } END { exit !f }' "$S/fs" ||
        die "Error: No mounted volume with UUID '$u$label' was found"
    awk -F'|' -v u="$u" -v l="$label" 'BEGIN { OFS = "|" } ($3 == u || $2 == l) { $4 = "false" } { print }' \
        "$S/fs" >"$S/fs.new" && mv "$S/fs.new" "$S/fs"
}

esxcli_main() {
    while [ $# -gt 0 ]; do
        case $1 in
        --formatter=* | --debug) shift ;;
        *) break ;;
        esac
    done
    case "$*" in
    "system version get")
        ver=$(cat "$S/version")
        upd=${ver##*.}
        case $ver in 6.*) upd=$(cat "$S/update" 2>/dev/null || echo 0) ;; esac
        printf '   Product: VMware ESXi\n   Version: %s\n   Build: Releasebuild-%s\n   Update: %s\n   Patch: 0\n' \
            "$ver" "$(cat "$S/build")" "$upd"
        ;;
    "system uuid get")
        # As on ESXi: asking for the UUID writes it back when esx.conf has none.
        v=$(conf_get /system/uuid)
        if [ -z "$v" ]; then
            v=$(cat "$S/kernel-uuid")
            conf_set /system/uuid "$v"
        fi
        echo "$v"
        ;;
    "system settings advanced list "* | "system settings advanced set "*)
        shift 3
        esxcli_advanced "$@"
        ;;
    "network ip interface list")
        while IFS='|' read -r vmk mac pg ps; do
            [ -n "$vmk" ] || continue
            printf '%s\n   Name: %s\n   MAC Address: %s\n   Enabled: true\n   Portset: %s\n' "$vmk" "$vmk" "$mac" "$ps"
            printf '   Portgroup: %s\n   Netstack Instance: defaultTcpipStack\n   VDS Name: N/A\n' "$pg"
            printf '   VDS UUID: N/A\n   VDS Port: N/A\n   VDS Connection: -1\n   MTU: 1500\n   TSO MSS: 65535\n'
            printf '   Port ID: 33554436\n\n'
        done <"$S/vmknics"
        ;;
    "storage filesystem list") esxcli_fs_list ;;
    "storage vmfs extent list") esxcli_extent_list ;;
    "storage filesystem unmount "*)
        shift 3
        esxcli_unmount "$@"
        ;;
    "storage core adapter rescan --all" | "storage core adapter rescan -A") ;;
    *) die "esxsim: esxcli stand-in does not simulate '$*'" ;;
    esac
}

# ---- other tools -----------------------------------------------------------

vmkfstools_main() {
    case $1 in
    -P)
        case $2 in
        /bootbank | /bootbank/) part=5 label=BOOTBANK1 ;;
        /altbootbank | /altbootbank/) part=6 label=BOOTBANK2 ;;
        *) die "esxsim: vmkfstools stand-in knows only /bootbank and /altbootbank, not $2" ;;
        esac
        printf 'vfat-0.04 (Raw Major Version: 0) file system spanning 1 partitions.\n'
        printf 'File system label (if any): %s\nMode: private\n' "$label"
        printf 'Capacity 4293591040 (65515 file blocks * 65536), 4120444928 (62873 blocks) avail, max supported file size 0\n'
        printf 'Disk Block Size: 512/0/0\nUUID: 5f8b4c97-234dcc30-d982-54ea7418ec3f\n'
        printf 'Partitions spanned (on "disks"):\n\t%s:%s\nIs Native Snapshot Capable: NO\n' "$(cat "$S/bootdev")" "$part"
        ;;
    -V) ;;
    *) die "esxsim: vmkfstools stand-in does not simulate '$*'" ;;
    esac
}

partedutil_main() {
    dev=${2##*/}
    tbl=$S/ptbl/$dev
    [ -f "$tbl" ] || die "Error: Could not stat device $2 - No such file or directory."
    case $1 in
    getptbl) cat "$tbl" ;;
    delete)
        awk -v p="$3" 'NR > 2 && $1 == p { f = 1 } END { exit !f }' "$tbl" ||
            die "Error: Partition $3 does not exist on $2"
        # A mounted volume keeps its partition busy, as on ESXi.
        if awk -F'|' -v d="$dev" -v p="$3" '$4 == d && $5 == p { print $2 }' "$S/extents" >"$S/del.uuid" &&
            [ -s "$S/del.uuid" ] &&
            awk -F'|' -v u="$(cat "$S/del.uuid")" '$3 == u && $4 == "true" { f = 1 } END { exit !f }' "$S/fs"; then
            die "Error: Read-only file system during write on $2"
        fi
        awk -v p="$3" 'NR <= 2 || $1 != p' "$tbl" >"$tbl.new" && mv "$tbl.new" "$tbl"
        u=$(cat "$S/del.uuid")
        awk -F'|' -v d="$dev" -v p="$3" '!($4 == d && $5 == p)' "$S/extents" >"$S/extents.new" &&
            mv "$S/extents.new" "$S/extents"
        if [ -n "$u" ]; then
            awk -F'|' -v u="$u" '$3 != u' "$S/fs" >"$S/fs.new" && mv "$S/fs.new" "$S/fs"
        fi
        ;;
    *) die "esxsim: partedUtil stand-in does not simulate '$*'" ;;
    esac
}

vimcmd_main() {
    case $1 in
    hostsvc/enable_ssh | hostsvc/start_ssh | hostsvc/enable_esx_shell | hostsvc/start_esx_shell)
        echo "${1#hostsvc/}" >>"$S/services"
        ;;
    hostsvc/hostsummary) printf '(vim.host.Summary) {\n   host = '"'"'vim.HostSystem:ha-host'"'"',\n}\n' ;;
    *) die "esxsim: vim-cmd stand-in does not simulate '$*'" ;;
    esac
}

vmtoolsd_main() {
    [ "${1:-}" = --cmd ] || die "esxsim: vmtoolsd stand-in simulates only --cmd"
    case $2 in
    "log "*) printf '%s\n' "${2#log }" >>"$S/vmware.log" ;;
    "info-get guestinfo."*)
        k=${2#info-get }
        v=$(awk -F= -v k="$k" '$1 == k { print substr($0, length(k) + 2); f = 1; exit } END { exit !f }' "$S/guestinfo" 2>/dev/null) ||
            die "No value found"
        printf '%s\n' "$v"
        ;;
    "info-set guestinfo."*)
        kv=${2#info-set }
        printf '%s=%s\n' "${kv%% *}" "${kv#* }" >>"$S/guestinfo"
        ;;
    *) die "esxsim: vmtoolsd stand-in does not simulate '$2'" ;;
    esac
}

case $NAME in
esxcli) esxcli_main "$@" ;;
vmkfstools) vmkfstools_main "$@" ;;
partedUtil) partedutil_main "$@" ;;
vim-cmd) vimcmd_main "$@" ;;
vmtoolsd) vmtoolsd_main "$@" ;;
auto-backup.sh) backup 0 ;;
backup.sh) backup "${1:-0}" ;;
shutdown.sh)
    # ESXi's shutdown.sh stops the services and runs backup.sh 1; with bad
    # certificates a real host then loops forever and never powers off.
    backup 1
    ;;
poweroff) : >"$S/powered-off" ;;
*) die "esxsim: no stand-in for $NAME" ;;
esac
exit 0
