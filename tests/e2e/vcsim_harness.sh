#!/usr/bin/env bash
# End-to-end checks of the vSphere test harness itself (tests/vcsim,
# tests/peers), so that later suites can trust it: the simulator builds from
# Debian's packages and starts behind TLS with a password; raw SOAP over curl
# gets ServiceContent, InvalidLogin and the UpdatePortGroup test extension
# (success, read back by pyvmomi, NotFound); the ESX model, -stock and
# -delay-ms flags work; ordercheck passes the research captures, every body
# recorded during this run and its own good fixture, and catches the bad
# fixtures; readback.py reads a default VM, port group and dvportgroup; no
# simulator outlives its suite, however the suite ends. When go/govmomi cannot
# be installed every check SKIPs with the reason. $VNEST is not used.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vcsim/lib.sh
. "$(dirname "$0")/../vcsim/lib.sh"

checks=(build build-cached start cert rsc tls-verify login login-invalid
    updatepg updatepg-readback updatepg-notfound esx-model esx-stock delay
    ordercheck-research ordercheck-research-order ordercheck-fixtures
    ordercheck-recorded readback-vm readback-missing readback-template
    readback-pg readback-dvpg stop trap-exit parent-killed)

if ! why=$(vcsim_skip_reason); then
    for c in "${checks[@]}"; do skip "$c" "$why"; done
    exit 0
fi
peer_why=""
peer_why=$(vcsim_peer_skip_reason) || true
research=${VNEST_RESEARCH:-$VCSIM_TOP/../shared/research}/vsphere-api/examples
data=$VCSIM_TOP/tests/vcsim/testdata
py=$VCSIM_PYTHON
[ -x "$py" ] || py=python3

# --- helpers -----------------------------------------------------------------

# Small XML reader for the replies (stdlib only, namespace-aware).
cat >"$WORK/xq.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
XSI = "{http://www.w3.org/2001/XMLSchema-instance}type"
def local(tag): return tag.rsplit("}", 1)[-1]
mode, path = sys.argv[1], sys.argv[2]
root = ET.parse(path).getroot()
if mode == "text":          # text of the first element named ARG
    for e in root.iter():
        if local(e.tag) == sys.argv[3]:
            print(e.text or ""); break
elif mode == "fault":       # fault type: the detail child's xsi:type
    for e in root.iter():
        if local(e.tag) == "detail":
            for c in e:
                t = c.get(XSI) or local(c.tag)
                t = t.split(":")[-1]
                print(t[:-5] if t.endswith("Fault") and not c.get(XSI) else t)
                break
elif mode == "hosts":       # RetrievePropertiesEx: "name networkSystem-moref" per host
    for oc in root.iter():
        if local(oc.tag) != "objects": continue
        props = {}
        for ps in oc:
            if local(ps.tag) == "propSet":
                kv = {local(x.tag): x for x in ps}
                props[kv["name"].text] = kv["val"].text
        print(props.get("name"), props.get("configManager.networkSystem"))
elif mode == "pgsec":       # networkInfo.portgroup: "spec computed" allowPromiscuous of ARG
    for pg in root.iter():
        if local(pg.tag) != "HostPortGroup": continue
        def find(node, *names):
            for n in names:
                node = next((c for c in node if local(c.tag) == n), None)
                if node is None: return "unset"
            return node.text
        if find(pg, "spec", "name") == sys.argv[3]:
            print(find(pg, "spec", "policy", "security", "allowPromiscuous"),
                  find(pg, "computedPolicy", "security", "allowPromiscuous"))
EOF
xq() { "$py" "$WORK/xq.py" "$@" 2>/dev/null; }

envelope() {
    printf '%s\n%s%s%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>' \
        "$1" '</soapenv:Body></soapenv:Envelope>'
}

# soap NAME BODY: POSTs the envelope to $VCSIM_URL with a per-instance cookie
# jar; the reply lands in $WORK/NAME.resp.xml, the status in $CODE, the time
# in $SECS. Request bodies are kept as $WORK/sent/NAME.req.xml for ordercheck.
mkdir -p "$WORK/sent"
soap() {
    local name=$1 out
    envelope "$2" >"$WORK/sent/$name.req.xml"
    out=$(curl -sS --max-time 20 --cacert "$VCSIM_CA" -c "$WORK/jar.$VCSIM_PID" -b "$WORK/jar.$VCSIM_PID" \
        -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: urn:vim25/6.7' \
        --data-binary @"$WORK/sent/$name.req.xml" -o "$WORK/$name.resp.xml" \
        -w '%{http_code} %{time_total}' "$VCSIM_URL" 2>"$WORK/curl.err") || out="curl-error 0"
    CODE=${out%% *} SECS=${out#* }
    [ -f "$WORK/$name.resp.xml" ] || : >"$WORK/$name.resp.xml"
}
resp() { head -c 300 "$WORK/$1.resp.xml"; }

rsc_body='<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>'

# content NAME: RetrieveServiceContent, sets SM/PC/VM/ROOT morefs.
content() {
    soap "$1" "$rsc_body"
    SM=$(xq text "$WORK/$1.resp.xml" sessionManager)
    PC=$(xq text "$WORK/$1.resp.xml" propertyCollector)
    VM=$(xq text "$WORK/$1.resp.xml" viewManager)
    ROOT=$(xq text "$WORK/$1.resp.xml" rootFolder)
}

login_body() { # PASSWORD
    printf '<Login xmlns="urn:vim25"><_this type="SessionManager">%s</_this><userName>%s</userName><password>%s</password></Login>' \
        "$SM" "$VCSIM_USER" "$1"
}

# hosts NAME: "host-name networkSystem-moref" lines for every HostSystem.
hosts() {
    soap "$1-view" "<CreateContainerView xmlns=\"urn:vim25\"><_this type=\"ViewManager\">$VM</_this><container type=\"Folder\">$ROOT</container><type>HostSystem</type><recursive>true</recursive></CreateContainerView>"
    local view
    view=$(xq text "$WORK/$1-view.resp.xml" returnval)
    soap "$1" "<RetrievePropertiesEx xmlns=\"urn:vim25\"><_this type=\"PropertyCollector\">$PC</_this><specSet><propSet><type>HostSystem</type><pathSet>name</pathSet><pathSet>configManager.networkSystem</pathSet></propSet><objectSet><obj type=\"ContainerView\">$view</obj><skip>true</skip><selectSet xsi:type=\"TraversalSpec\"><name>v</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet></specSet><options/></RetrievePropertiesEx>"
    xq hosts "$WORK/$1.resp.xml"
}

updatepg_body() { # NETSYS PGNAME PROMISC
    printf '<UpdatePortGroup xmlns="urn:vim25"><_this type="HostNetworkSystem">%s</_this><pgName>%s</pgName><portgrp><name>%s</name><vlanId>0</vlanId><vswitchName>vSwitch0</vswitchName><policy><security><allowPromiscuous>%s</allowPromiscuous><macChanges>true</macChanges><forgedTransmits>true</forgedTransmits></security></policy></portgrp></UpdatePortGroup>' \
        "$1" "$2" "$2" "$3"
}

pg_read_body() { # NETSYS
    printf '<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">%s</_this><specSet><propSet><type>HostNetworkSystem</type><pathSet>networkInfo.portgroup</pathSet></propSet><objectSet><obj type="HostNetworkSystem">%s</obj></objectSet></specSet><options/></RetrievePropertiesEx>' \
        "$PC" "$1"
}

mtime() { stat -c %Y "$1" 2>/dev/null || echo 0; }

# --- build ---------------------------------------------------------------------

out=$(bash "$VCSIM_TOP/tests/vcsim/build.sh" "$VCSIM_BUILD" 2>&1)
rc=$?
if [ "$rc" -ne 0 ]; then
    fail build "build.sh exited $rc: $(head -c 400 <<<"$out")"
elif [ -n "$out" ]; then
    fail build "build.sh printed on success: $(head -c 200 <<<"$out")"
elif [ ! -x "$VCSIM_BIN" ] || [ ! -x "$VCSIM_ORDERCHECK" ]; then
    fail build "binaries missing in $VCSIM_BUILD"
else
    pass build
fi

before="$(mtime "$VCSIM_BIN") $(mtime "$VCSIM_ORDERCHECK")"
t0=$(date +%s%N)
out=$(bash "$VCSIM_TOP/tests/vcsim/build.sh" "$VCSIM_BUILD" 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
after="$(mtime "$VCSIM_BIN") $(mtime "$VCSIM_ORDERCHECK")"
if [ "$rc" -eq 0 ] && [ -z "$out" ] && [ "$before" = "$after" ]; then
    pass build-cached
else
    fail build-cached "rc=$rc, output '$out', mtimes $before -> $after (${ms} ms)"
fi

# --- the main instance (vCenter model) -----------------------------------------

if ! vcsim_start -record "$WORK/rec"; then
    fail start "$VCSIM_ERROR"
    for c in "${checks[@]:3}"; do skip "$c" "simulator did not start"; done
    exit 0
fi
main_pid=$VCSIM_PID
if [[ $VCSIM_URL =~ ^https://127\.0\.0\.1:[0-9]+/sdk$ ]] && _vcsim_alive "$VCSIM_PID" &&
    [ "$GOVC_URL" = "$VCSIM_URL" ] && [ "$GOVC_USERNAME" = vnest ] &&
    [ "$GOVC_PASSWORD" = "$VCSIM_PASSWORD" ] && [ "${#VCSIM_PASSWORD}" -ge 16 ] &&
    [ "$GOVC_TLS_CA_CERTS" = "$VCSIM_CA" ]; then
    pass start
else
    fail start "URL '$VCSIM_URL', pid $VCSIM_PID, GOVC_URL '$GOVC_URL', user '$GOVC_USERNAME'"
fi

certinfo=$(openssl x509 -in "$VCSIM_CA" -noout -text 2>&1)
if grep -q 'Public-Key: (2048 bit)' <<<"$certinfo" && grep -q 'IP Address:127.0.0.1' <<<"$certinfo"; then
    pass cert
else
    fail cert "not an RSA-2048 certificate for IP 127.0.0.1: $(grep -E 'Public-Key|Subject' <<<"$certinfo")"
fi

content rsc
apiv=$(xq text "$WORK/rsc.resp.xml" apiVersion)
if [ "$CODE" = 200 ] && grep -q '<about>' "$WORK/rsc.resp.xml" && [ -n "$apiv" ] && [ -n "$SM" ] && [ -n "$PC" ]; then
    pass rsc
else
    fail rsc "HTTP $CODE, apiVersion '$apiv': $(resp rsc)"
fi

envelope "$rsc_body" >"$WORK/rsc-noca.xml"
if curl -sS --max-time 10 -o /dev/null --data-binary @"$WORK/rsc-noca.xml" "$VCSIM_URL" 2>"$WORK/noca.err"; then
    fail tls-verify "curl accepted the self-signed certificate without --cacert"
elif grep -qiE 'certificate|SSL' "$WORK/noca.err"; then
    pass tls-verify
else
    fail tls-verify "unexpected curl error: $(head -c 200 "$WORK/noca.err")"
fi

soap login-bad "$(login_body "not-$VCSIM_PASSWORD")"
ft=$(xq fault "$WORK/login-bad.resp.xml")
if [ "$CODE" = 500 ] && [ "$ft" = InvalidLogin ]; then
    pass login-invalid
else
    fail login-invalid "HTTP $CODE, fault '$ft': $(resp login-bad)"
fi

soap login "$(login_body "$VCSIM_PASSWORD")"
if [ "$CODE" = 200 ] && grep -q 'vmware_soap_session' "$WORK/jar.$VCSIM_PID" 2>/dev/null; then
    pass login
else
    fail login "HTTP $CODE: $(resp login)"
fi

# UpdatePortGroup (test extension) on DC0_H0's network system only.
hostlist=$(hosts hosts)
netsys=$(awk '$1 == "DC0_H0" {print $2}' <<<"$hostlist")
other=$(awk '$1 != "DC0_H0" && $2 != "None" {print $2; exit}' <<<"$hostlist")
if [ -z "$netsys" ] || [ -z "$other" ]; then
    fail updatepg "no network systems found: $hostlist"
    skip updatepg-readback "no network system"
    skip updatepg-notfound "no network system"
else
    soap updatepg "$(updatepg_body "$netsys" "VM Network" true)"
    code=$CODE
    soap pg-after "$(pg_read_body "$netsys")"
    mine=$(xq pgsec "$WORK/pg-after.resp.xml" "VM Network")
    soap pg-other "$(pg_read_body "$other")"
    theirs=$(xq pgsec "$WORK/pg-other.resp.xml" "VM Network")
    if [ "$code" = 200 ] && grep -q 'UpdatePortGroupResponse' "$WORK/updatepg.resp.xml" &&
        [ "$mine" = "true true" ] && [ "$theirs" = "unset false" ]; then
        pass updatepg
    else
        fail updatepg "HTTP $code, DC0_H0 spec/computed allowPromiscuous '$mine' (want 'true true'), other host '$theirs' (want 'unset false'): $(resp updatepg)"
    fi

    if [ -n "$peer_why" ]; then
        skip updatepg-readback "$peer_why"
    else
        OUT=$("$VCSIM_PYTHON" "$VCSIM_READBACK" pg "VM Network" 2>"$WORK/rb.err")
        RC=$?
        if [ "$RC" -ne 0 ]; then
            fail updatepg-readback "readback.py exited $RC: $(head -c 300 "$WORK/rb.err")"
        else
            json_ok updatepg-readback 'd["hosts"]["DC0_H0"]["spec"]["allowPromiscuous"] is True and d["hosts"]["DC0_H0"]["computed"] == {"allowPromiscuous": True, "forgedTransmits": True, "macChanges": True} and d["hosts"]["DC0_C0_H0"]["computed"]["allowPromiscuous"] is False and d["hosts"]["DC0_C0_H0"]["spec"]["allowPromiscuous"] is None'
        fi
    fi

    soap updatepg-missing "$(updatepg_body "$netsys" "No Such Port Group" true)"
    ft=$(xq fault "$WORK/updatepg-missing.resp.xml")
    if [ "$CODE" = 500 ] && [ "$ft" = NotFound ]; then
        pass updatepg-notfound
    else
        fail updatepg-notfound "HTTP $CODE, fault '$ft': $(resp updatepg-missing)"
    fi
fi

# --- pyvmomi read-back of vcsim's default inventory ----------------------------

if [ -n "$peer_why" ]; then
    for c in readback-vm readback-missing readback-template readback-pg readback-dvpg; do
        skip "$c" "$peer_why"
    done
else
    rb() { # KIND NAME
        OUT=$("$VCSIM_PYTHON" "$VCSIM_READBACK" "$1" "$2" 2>"$WORK/rb.err")
        RC=$?
        ERR=$(cat "$WORK/rb.err")
    }
    rb vm DC0_H0_VM0
    if [ "$RC" -ne 0 ]; then
        fail readback-vm "exit $RC: $(head -c 300 <<<"$ERR")"
    else
        json_ok readback-vm 'd["name"] == "DC0_H0_VM0" and d["guestId"] and d["template"] is False and any(x["type"] == "VirtualDisk" and x["capacityInKB"] > 0 for x in d["devices"]) and d["datastores"] and isinstance(d["extraConfig"], dict)'
    fi
    rb vm "No Such VM"
    expect readback-missing 2 'not found'
    rb template DC0_H0_VM0
    expect readback-template 2 'not a template'
    rb pg "VM Network"
    if [ "$RC" -ne 0 ]; then
        fail readback-pg "exit $RC: $(head -c 300 <<<"$ERR")"
    else
        json_ok readback-pg 'len(d["hosts"]) == 4 and all(set(h["computed"]) == {"allowPromiscuous", "forgedTransmits", "macChanges"} for h in d["hosts"].values())'
    fi
    rb dvpg DC0_DVPG0
    if [ "$RC" -ne 0 ]; then
        fail readback-dvpg "exit $RC: $(head -c 300 <<<"$ERR")"
    else
        json_ok readback-dvpg 'd["name"] == "DC0_DVPG0" and d["dvs"]["name"] == "DVS0" and d["dvs"]["version"] and "macManagementPolicy" in d and "securityPolicy" in d'
    fi
fi

# --- ordercheck ----------------------------------------------------------------

shopt -s nullglob
caps=("$research"/*.req.xml)
if [ "${#caps[@]}" -eq 0 ]; then
    skip ordercheck-research "no research captures in $research"
    skip ordercheck-research-order "no research captures in $research"
else
    out=$("$VCSIM_ORDERCHECK" "${caps[@]}" 2>&1)
    rc=$?
    nok=$(grep -c '^OK ' <<<"$out")
    if [ "$rc" -eq 0 ] && [ "$nok" -eq "${#caps[@]}" ]; then
        pass ordercheck-research
    else
        fail ordercheck-research "exit $rc, $nok of ${#caps[@]} OK: $(grep -v '^OK ' <<<"$out" | head -c 400)"
    fi
    if [ -f "$research/wire/f24-order.req.xml" ]; then
        out=$("$VCSIM_ORDERCHECK" "$research/wire/f24-order.req.xml" 2>&1)
        rc=$?
        if [ "$rc" -eq 1 ] && grep -q '^ORDER .*<memoryMB> after <nestedHVEnabled>' <<<"$out" &&
            grep -q '^UNKNOWN .*bogusElement' <<<"$out"; then
            pass ordercheck-research-order
        else
            fail ordercheck-research-order "exit $rc: $(head -c 400 <<<"$out")"
        fi
    else
        skip ordercheck-research-order "no $research/wire/f24-order.req.xml"
    fi
fi

out_good=$("$VCSIM_ORDERCHECK" "$data/good-createvm.req.xml" 2>&1)
rc_good=$?
out_order=$("$VCSIM_ORDERCHECK" "$data/bad-order.req.xml" 2>&1)
rc_order=$?
out_schema=$("$VCSIM_ORDERCHECK" "$data/bad-schema.req.xml" 2>&1)
rc_schema=$?
if [ "$rc_good" -ne 0 ] || [ "$out_good" != "OK $data/good-createvm.req.xml" ]; then
    fail ordercheck-fixtures "good fixture: exit $rc_good: $out_good"
elif [ "$rc_order" -ne 1 ] || [ "$(grep -c '^ORDER ' <<<"$out_order")" -ne 2 ] ||
    ! grep -q '<numCPUs> after <memoryMB>' <<<"$out_order" ||
    ! grep -q '<diskMode> after <thinProvisioned>' <<<"$out_order"; then
    fail ordercheck-fixtures "bad-order: exit $rc_order: $(head -c 400 <<<"$out_order")"
elif [ "$rc_schema" -ne 1 ] || ! grep -q '^UNKNOWN .*bogusElement' <<<"$out_schema" ||
    ! grep -q '^MISSING .*required <key>' <<<"$out_schema" ||
    ! grep -q '^MISSING .*without its type attribute' <<<"$out_schema" ||
    ! grep -q '^TYPE .*anyType element needs an xsi:type' <<<"$out_schema" ||
    ! grep -q '^TYPE .*xsi:type="VirtualDisk" does not fit' <<<"$out_schema"; then
    fail ordercheck-fixtures "bad-schema: exit $rc_schema: $(head -c 600 <<<"$out_schema")"
else
    pass ordercheck-fixtures
fi

# --- the ESX model, -stock, -delay-ms: a second instance -------------------------

if ! vcsim_start -esx -stock -api-version 6.7 -product-version 6.7.0 -delay-ms 150; then
    fail esx-model "$VCSIM_ERROR"
    skip esx-stock "ESX instance did not start"
    skip delay "ESX instance did not start"
else
    esx_pid=$VCSIM_PID
    content esx-rsc
    apit=$(xq text "$WORK/esx-rsc.resp.xml" apiType)
    apiv=$(xq text "$WORK/esx-rsc.resp.xml" apiVersion)
    prod=$(xq text "$WORK/esx-rsc.resp.xml" version)
    if [ "$CODE" = 200 ] && [ "$apit" = HostAgent ] && [ "$apiv" = 6.7 ] && [ "$prod" = 6.7.0 ] &&
        [ "$esx_pid" != "$main_pid" ] && _vcsim_alive "$main_pid"; then
        pass esx-model
    else
        fail esx-model "HTTP $CODE, apiType '$apit', apiVersion '$apiv', version '$prod'"
    fi
    if awk -v s="$SECS" 'BEGIN { exit !(s >= 0.15) }'; then
        pass delay
    else
        fail delay "RetrieveServiceContent took $SECS s with -delay-ms 150"
    fi
    soap esx-login "$(login_body "$VCSIM_PASSWORD")"
    netsys=$(hosts esx-hosts | awk '{print $2; exit}')
    soap esx-updatepg "$(updatepg_body "$netsys" "VM Network" true)"
    ft=$(xq fault "$WORK/esx-updatepg.resp.xml")
    if [ "$CODE" = 500 ] && [ "$ft" = MethodNotFound ]; then
        pass esx-stock
    else
        fail esx-stock "stock vcsim UpdatePortGroup on '$netsys': HTTP $CODE, fault '$ft' (want MethodNotFound)"
    fi
    vcsim_stop "$esx_pid"
fi

# Every body the simulator received (curl's here, pyvmomi's from readback.py)
# and every body this script built.
VCSIM_PID=$main_pid
rec=("$WORK"/rec/*.req.xml "$WORK"/sent/*.req.xml)
out=$("$VCSIM_ORDERCHECK" -q "${rec[@]}" 2>&1)
rc=$?
if [ "${#rec[@]}" -lt 10 ]; then
    fail ordercheck-recorded "only ${#rec[@]} bodies recorded in $WORK/rec"
elif [ "$rc" -ne 0 ]; then
    fail ordercheck-recorded "exit $rc: $(head -c 400 <<<"$out")"
else
    pass ordercheck-recorded
fi

# --- stopping ------------------------------------------------------------------

dir=$VCSIM_DIR
vcsim_stop "$main_pid"
rc=$?
if [ "$rc" -eq 0 ] && ! _vcsim_alive "$main_pid" && [ ! -e "/proc/$main_pid" ] && [ ! -d "$dir" ] &&
    [ "${#_vcsim_pids[@]}" -eq 0 ]; then
    pass stop
else
    fail stop "vcsim_stop rc $rc; pid $main_pid alive: $(_vcsim_alive "$main_pid" && echo yes || echo no); dir left: $([ -d "$dir" ] && echo yes || echo no); tracked: ${_vcsim_pids[*]}"
fi

# A suite that exits normally, and one killed with SIGKILL, leave nothing
# running (a zombie waiting for init to reap it counts as gone).
lib=$VCSIM_TOP/tests/vcsim/lib.sh
child=$(TMPDIR=$WORK VCSIM_BUILD=$VCSIM_BUILD bash -c '. "$1"; trap "echo bye >/dev/null" EXIT; vcsim_start >/dev/null 2>&1 || exit 1; echo "$VCSIM_PID $VCSIM_DIR"; exit 0' sh "$lib")
cpid=${child%% *}
cdir=${child#* }
sleep 0.2
if [ -z "$child" ]; then
    fail trap-exit "child suite could not start vcsim"
elif _vcsim_alive "$cpid" || [ -d "$cdir" ]; then
    fail trap-exit "vcsim $cpid outlived its suite (or left $cdir)"
    kill -KILL "$cpid" 2>/dev/null
else
    pass trap-exit
fi

child=$(TMPDIR=$WORK VCSIM_BUILD=$VCSIM_BUILD bash -c '. "$1"; vcsim_start >/dev/null 2>&1 || exit 1; echo "$VCSIM_PID"; kill -KILL $$' sh "$lib")
cpid=${child%% *}
gone=no
for _ in $(seq 1 50); do
    _vcsim_alive "$cpid" || {
        gone=yes
        break
    }
    sleep 0.1
done
if [ -z "$child" ]; then
    fail parent-killed "child suite could not start vcsim"
elif [ "$gone" = yes ]; then
    pass parent-killed
else
    fail parent-killed "vcsim $cpid still running 5 s after its suite was killed"
    kill -KILL "$cpid" 2>/dev/null
fi

exit 0
