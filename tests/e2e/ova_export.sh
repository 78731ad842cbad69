#!/usr/bin/env bash
# End-to-end tests of `vnest ova export`: a VM made by `vnest vmx new` (boot
# disk and two vSAN disks) with data written into its disks by qemu-img and
# qemu-io, exported, then taken apart with real tools: tar (member order),
# sha256sum (the manifest), xmllint (well-formed descriptor), Python's XML
# parser (what the descriptor says), qemu-img check and compare (every disk
# equals its source). Then the refusals: a running VM, a missing disk, bad
# options, and a crash before the rename (no partial OVA under the name).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
checks=(setup export stderr-quiet tar-order ustar manifest xmllint descriptor sizes
    qemu-check qemu-compare json props-subset props-bad nvme esxi-override not-esxi running
    missing-disk keeps-old crash-no-out crash-rerun ova-check)
for t in qemu-img qemu-io xmllint tar sha256sum; do
    if ! have "$t"; then
        for c in "${checks[@]}"; do skip "$c" "$t not installed (apt-get install qemu-utils libxml2-utils tar coreutils)"; done
        exit 0
    fi
done

# ---- a VM with data in its disks ----
VM=$WORK/esxi-01
setup_ok=1
"$VNEST" vmx new "$VM" --esxi 8.0 --boot-disk 1G --vsan-cache 40M --vsan-capacity 72M --nics 2 \
    >"$WORK/new.out" 2>&1 || setup_ok=0
VMX=$VM/esxi-01.vmx
# Boot disk: random and text-like data at unaligned places, via a raw copy.
raw=$WORK/boot.raw
{
    qemu-img convert -f vmdk -O raw "$VM/esxi-01.vmdk" "$raw" &&
        head -c 3000000 /dev/urandom | dd of="$raw" bs=512 seek=7 conv=notrunc status=none &&
        seq 1 400000 | dd of="$raw" bs=1M seek=300 conv=notrunc status=none &&
        printf 'tail of the disk' | dd of="$raw" bs=1 seek=$((1024 * 1024 * 1024 - 16)) conv=notrunc status=none &&
        rm "$VM/esxi-01.vmdk" &&
        qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic "$raw" "$VM/esxi-01.vmdk"
} >>"$WORK/new.out" 2>&1 || setup_ok=0
# vSAN cache disk: a pattern written in place by qemu-io.
qemu-io -f vmdk -c 'write -P 0x5a 1M 3M' -c 'write -P 0xa5 39M 512' "$VM/esxi-01-vsan-cache.vmdk" \
    >>"$WORK/new.out" 2>&1 || setup_ok=0
if [ "$setup_ok" = 1 ]; then pass setup; else fail setup "$(tail -c 300 "$WORK/new.out")"; fi

# ---- export ----
OVA=$WORK/out/esxi-01.ova
mkdir -p "$WORK/out"
run ova export "$VMX" -o "$OVA"
expect export 0 'exported Nested ESXi 8.0 VM "esxi-01"'
# Not a terminal: no progress lines, nothing on stderr.
if [ -z "$ERR" ]; then pass stderr-quiet; else fail stderr-quiet "stderr: $(head -c 200 <<<"$ERR")"; fi

members=$(tar tf "$OVA" 2>&1 | tr '\n' ' ')
want="esxi-01.ovf esxi-01.mf esxi-01-disk1.vmdk esxi-01-disk2.vmdk esxi-01-disk3.vmdk "
if [ "$members" = "$want" ]; then pass tar-order; else fail tar-order "members: $members (expected $want)"; fi

# Plain ustar headers (no GNU or pax records) for every member.
if "$PY" - "$OVA" <<'EOF' 2>"$WORK/ustar.err"; then pass ustar; else fail ustar "$(head -c 300 "$WORK/ustar.err")"; fi
import sys, tarfile
with open(sys.argv[1], 'rb') as f:
    data = f.read()
off = 0
while off + 512 <= len(data) and data[off:off + 512] != bytes(512):
    h = data[off:off + 512]
    assert h[257:263] == b'ustar\0' and h[263:265] == b'00', 'member at %d is not ustar' % off
    assert h[156:157] == b'0', 'member at %d is not a regular file' % off
    size = int(h[124:136].rstrip(b'\0 ').decode(), 8)
    off += 512 + (size + 511) // 512 * 512
assert data[off:off + 1024] == bytes(1024), 'no end-of-archive blocks'
with tarfile.open(sys.argv[1]) as t:
    assert all(m.isreg() and m.mode == 0o644 for m in t.getmembers())
EOF

X=$WORK/x
mkdir -p "$X"
tar xf "$OVA" -C "$X"
# The manifest: one line per other member, SHA256(name)= hex, all matching.
mf=$X/esxi-01.mf
if grep -Evq '^SHA256\([^)]+\)= [0-9a-f]{64}$' "$mf"; then
    fail manifest "malformed line: $(grep -Ev '^SHA256\([^)]+\)= [0-9a-f]{64}$' "$mf" | head -1)"
elif [ "$(sed -E 's/^SHA256\((.*)\)= .*/\1/' "$mf" | tr '\n' ' ')" != "esxi-01.ovf esxi-01-disk1.vmdk esxi-01-disk2.vmdk esxi-01-disk3.vmdk " ]; then
    fail manifest "lists $(sed -E 's/^SHA256\((.*)\)= .*/\1/' "$mf" | tr '\n' ' ')"
elif ! (cd "$X" && sed -E 's/^SHA256\((.*)\)= ([0-9a-f]{64})$/\2  \1/' esxi-01.mf | sha256sum -c --quiet) >"$WORK/sha.out" 2>&1; then
    fail manifest "sha256sum -c: $(head -c 300 "$WORK/sha.out")"
else
    pass manifest
fi

if xmllint --noout "$X/esxi-01.ovf" 2>"$WORK/xmllint.err"; then pass xmllint; else fail xmllint "$(head -c 300 "$WORK/xmllint.err")"; fi

# What the descriptor says, read by a second XML parser.
if "$PY" - "$X/esxi-01.ovf" <<'EOF' 2>"$WORK/desc.err"; then pass descriptor; else fail descriptor "$(tail -c 400 "$WORK/desc.err")"; fi
import sys, xml.etree.ElementTree as ET
O = '{http://schemas.dmtf.org/ovf/envelope/1}'
R = '{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData}'
S = '{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData}'
V = '{http://www.vmware.com/schema/ovf}'
env = ET.parse(sys.argv[1]).getroot()
assert [c.tag for c in env] == [O + 'References', O + 'DiskSection', O + 'NetworkSection', O + 'VirtualSystem'], [c.tag for c in env]
vs = env.find(O + 'VirtualSystem')
os_ = vs.find(O + 'OperatingSystemSection')
assert os_.get(O + 'id') == '104' and os_.get(V + 'osType') == 'vmkernel8Guest', os_.attrib
hw = vs.find(O + 'VirtualHardwareSection')
assert hw.get(O + 'transport') == 'com.vmware.guestInfo'
assert hw.find(O + 'System/' + S + 'VirtualSystemType').text == 'vmx-20'
items = hw.findall(O + 'Item')
def rt(i): return i.find(R + 'ResourceType').text
def sub(i):
    e = i.find(R + 'ResourceSubType')
    return e.text if e is not None else None
for i in items:  # rasd children in the schema's (alphabetical) order
    names = [c.tag[len(R):] for c in i if c.tag.startswith(R)]
    assert names == sorted(names), names
assert [sub(i) for i in items if rt(i) == '6'] == ['VirtualSCSI']
assert [sub(i) for i in items if rt(i) == '10'] == ['VmxNet3', 'VmxNet3']
assert len([i for i in items if rt(i) == '17']) == 3
assert [i.find(R + 'VirtualQuantity').text for i in items if rt(i) == '4'] == ['8192']
cfg = {c.get(V + 'key'): c.get(V + 'value') for c in hw.findall(V + 'Config')}
extra = {c.get(V + 'key'): c.get(V + 'value') for c in hw.findall(V + 'ExtraConfig')}
assert cfg.get('nestedHVEnabled') == 'true' and cfg.get('firmware') == 'efi', cfg
assert 'vhv.enable' not in extra, extra
assert extra == {'disk.EnableUUID': 'TRUE', 'scsi0:1.virtualSSD': '1', 'scsi0:2.virtualSSD': '1'}, extra
props = {p.get(O + 'key'): p for p in vs.iter(O + 'Property')}
want = ['guestinfo.' + k for k in 'hostname ipaddress netmask gateway dns domain ntp ssh password createvmfs'.split()]
assert list(props) == want, list(props)
assert props['guestinfo.password'].get(O + 'password') == 'true'
assert props['guestinfo.ssh'].get(O + 'type') == 'boolean' and props['guestinfo.ssh'].get(O + 'value') == 'True'
assert all(p.get(O + 'userConfigurable') == 'true' and p.find(O + 'Label') is not None for p in props.values())
EOF

# References sizes = member sizes; Disk capacities = the sources' sizes.
sizes_ok=1
why=""
for n in 1 2 3; do
    src=$(case $n in 1) echo esxi-01.vmdk ;; 2) echo esxi-01-vsan-cache.vmdk ;; 3) echo esxi-01-vsan-capacity.vmdk ;; esac)
    member=$(stat -c %s "$X/esxi-01-disk$n.vmdk")
    grep -q "ovf:href=\"esxi-01-disk$n.vmdk\" ovf:id=\"file$n\" ovf:size=\"$member\"" "$X/esxi-01.ovf" || {
        sizes_ok=0
        why="$why disk$n size $member not in References;"
    }
    cap=$(qemu-img info --output=json "$VM/$src" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
    grep -q "ovf:capacity=\"$cap\" ovf:capacityAllocationUnits=\"byte\" ovf:diskId=\"vmdisk$n\"" "$X/esxi-01.ovf" || {
        sizes_ok=0
        why="$why disk$n capacity $cap not in DiskSection;"
    }
done
if [ "$sizes_ok" = 1 ]; then pass sizes; else fail sizes "$why"; fi

check_ok=1 cmp_ok=1 why_c="" why_m=""
while read -r n src; do
    d=$X/esxi-01-disk$n.vmdk
    if ! qemu-img check "$d" >"$WORK/chk.out" 2>&1; then check_ok=0; why_c="$why_c disk$n: $(tail -c 200 "$WORK/chk.out")"; fi
    if ! qemu-img info "$d" | grep -q 'create type: streamOptimized'; then check_ok=0; why_c="$why_c disk$n not streamOptimized"; fi
    if ! qemu-img compare -f vmdk -F vmdk "$VM/$src" "$d" >"$WORK/cmp.out" 2>&1; then cmp_ok=0; why_m="$why_m disk$n: $(tail -c 200 "$WORK/cmp.out")"; fi
done <<'LIST'
1 esxi-01.vmdk
2 esxi-01-vsan-cache.vmdk
3 esxi-01-vsan-capacity.vmdk
LIST
if [ "$check_ok" = 1 ]; then pass qemu-check; else fail qemu-check "$why_c"; fi
if [ "$cmp_ok" = 1 ]; then pass qemu-compare; else fail qemu-compare "$why_m"; fi

run --json ova export "$VMX" -o "$WORK/out/j.ova" --props hostname,password
json_ok json "d['esxi'] == '8.0' and d['os_type'] == 'vmkernel8Guest' and [x['file'] for x in d['disks']] == ['j-disk1.vmdk', 'j-disk2.vmdk', 'j-disk3.vmdk'] and d['disks'][0]['populated'] > 3000000 and all(len(x['sha256']) == 64 for x in d['disks']) and d['properties'] == ['guestinfo.hostname', 'guestinfo.password'] and d['size'] == $(stat -c %s "$WORK/out/j.ova" 2>/dev/null || echo 0)"

tar xOf "$WORK/out/j.ova" j.ovf >"$WORK/j.ovf" 2>/dev/null
keys=$(grep -o 'ovf:key="guestinfo\.[a-z]*"' "$WORK/j.ovf" | tr '\n' ' ')
if [ "$keys" = 'ovf:key="guestinfo.hostname" ovf:key="guestinfo.password" ' ]; then pass props-subset; else fail props-subset "keys: $keys"; fi

run ova export "$VMX" -o "$WORK/out/bad.ova" --props hostname,colour
expect props-bad 2 '^vnest: --props: unknown property "colour" \(expected hostname, '

# An NVMe controller: ResourceType 20, vmware.nvme.controller.
mkdir -p "$WORK/nv"
sed -e 's/^scsi0\.virtualDev.*//' -e 's/^scsi0/nvme0/' "$VMX" >"$WORK/nv/nv.vmx"
for f in "$VM"/*.vmdk; do ln -s "$f" "$WORK/nv/"; done
run ova export "$WORK/nv/nv.vmx" -o "$WORK/out/nv.ova" --props none
tar xOf "$WORK/out/nv.ova" nv.ovf >"$WORK/nv.ovf" 2>/dev/null
if [ "$RC" = 0 ] && grep -q '<rasd:ResourceSubType>vmware.nvme.controller</rasd:ResourceSubType>' "$WORK/nv.ovf" &&
    grep -q 'nvme0:1.virtualSSD' "$WORK/nv.ovf" && ! grep -q ProductSection "$WORK/nv.ovf"; then
    pass nvme
else
    fail nvme "exit $RC: $(head -c 200 <<<"$ERR")"
fi

# --esxi names the release when the VMX says otherwise; a VMX whose guestOS
# is no ESXi release needs it.
sed 's/^guestOS = .*/guestOS = "other-64"/' "$WORK/nv/nv.vmx" >"$WORK/nv/other.vmx"
run ova export "$WORK/nv/other.vmx" -o "$WORK/out/o7.ova" --esxi 7.0U3 --props none
tar xOf "$WORK/out/o7.ova" o7.ovf >"$WORK/o7.ovf" 2>/dev/null
if [ "$RC" = 0 ] && grep -q 'ovf:id="104" ovf:version="7" vmw:osType="vmkernel7Guest"' "$WORK/o7.ovf"; then
    pass esxi-override
else
    fail esxi-override "exit $RC: $(head -c 200 <<<"$ERR") $(grep -o '<OperatingSystemSection[^>]*>' "$WORK/o7.ovf")"
fi
gline=$(grep -n '^guestOS' "$WORK/nv/other.vmx" | cut -d: -f1)
run ova export "$WORK/nv/other.vmx" -o "$WORK/out/o8.ova"
expect not-esxi 2 "^vnest: .*other.vmx:$gline: guestOS \"other-64\" names no ESXi release \(expected .*--esxi VER\)"

# ---- refusals: nothing is written ----
no_output() { # DIR: no .ova and no temporary file in DIR
    [ -z "$(find "$1" -maxdepth 1 \( -name '*.ova' -o -name '.*.part' \) 2>/dev/null)" ]
}
mkdir -p "$WORK/r1" "$VM/esxi-01.vmx.lck"
run ova export "$VMX" -o "$WORK/r1/run.ova"
if [ "$RC" = 3 ] && grep -q 'running' <<<"$ERR" && [ "$(wc -l <<<"$ERR")" = 1 ] && no_output "$WORK/r1"; then
    pass running
else
    fail running "exit $RC (expected 3), stderr: $(head -c 200 <<<"$ERR"), files: $(ls -A "$WORK/r1")"
fi
rmdir "$VM/esxi-01.vmx.lck"

mkdir -p "$WORK/md" "$WORK/r2"
sed 's/^scsi0:2\.fileName.*/scsi0:2.fileName = "gone.vmdk"/' "$VMX" >"$WORK/md/md.vmx"
for f in "$VM"/*.vmdk; do ln -s "$f" "$WORK/md/"; done
line=$(grep -n 'gone.vmdk' "$WORK/md/md.vmx" | cut -d: -f1)
run ova export "$WORK/md/md.vmx" -o "$WORK/r2/md.ova"
if [ "$RC" = 2 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && grep -q "md.vmx:$line: scsi0:2.fileName: .*gone.vmdk" <<<"$ERR" && no_output "$WORK/r2"; then
    pass missing-disk
else
    fail missing-disk "exit $RC (expected 2), stderr: $(head -c 300 <<<"$ERR"), files: $(ls -A "$WORK/r2")"
fi

# An existing OVA stays as it was when the export fails.
echo old >"$WORK/r2/keep.ova"
run ova export "$WORK/md/md.vmx" -o "$WORK/r2/keep.ova"
if [ "$RC" = 2 ] && [ "$(cat "$WORK/r2/keep.ova")" = old ] && [ -z "$(find "$WORK/r2" -name '.*.part')" ]; then
    pass keeps-old
else
    fail keeps-old "exit $RC, content $(head -c 20 "$WORK/r2/keep.ova")"
fi

# A crash just before the rename: no OVA under the name (an old one stays),
# and the next run completes and leaves no temporary file.
mkdir -p "$WORK/r3"
echo old >"$WORK/r3/c.ova"
{
    VNEST_CRASH_AT=ova-before-rename "$VNEST" ova export "$VMX" -o "$WORK/r3/c.ova" >/dev/null 2>&1
    RC=$?
} 2>/dev/null
if [ "$RC" = 137 ] && [ "$(cat "$WORK/r3/c.ova")" = old ]; then pass crash-no-out; else fail crash-no-out "exit $RC (expected 137), content $(head -c 20 "$WORK/r3/c.ova")"; fi
run ova export "$VMX" -o "$WORK/r3/c.ova"
if [ "$RC" = 0 ] && tar tf "$WORK/r3/c.ova" >/dev/null 2>&1 && [ -z "$(find "$WORK/r3" -name '.*.part')" ]; then
    pass crash-rerun
else
    fail crash-rerun "exit $RC, files: $(ls -A "$WORK/r3")"
fi

# The OVA passes vnest's own checker (when that command is built).
if "$VNEST" ova check --help 2>&1 | grep -qi 'not implemented'; then
    skip ova-check "vnest ova check is not implemented in this build"
else
    run ova check "$OVA"
    expect ova-check 0
fi
