#!/usr/bin/python3
"""Independent read-back peer: what pyvmomi sees on a vSphere endpoint.

Run with Debian's /usr/bin/python3 (python3-pyvmomi 6.7.1); the python3 first
on PATH may be another install without pyvmomi.

usage: readback.py vm NAME        a VM (or template) as JSON
       readback.py template NAME  the same, but only if it is a template
       readback.py pg NAME        a standard port group's security, per host
       readback.py dvpg NAME      a distributed port group's MAC management,
                                  security policy and its switch's version

Connection from the environment, as govc reads it: GOVC_URL (https://host[:port]
[/sdk], or a bare host; user:pass@ in it is honoured), GOVC_USERNAME,
GOVC_PASSWORD, GOVC_TLS_CA_CERTS (PEM file the server's certificate must chain
to; without it the system store). GOVC_INSECURE=1 skips verification.

pyvmomi traps handled here (vsphere-api research 4.1):
 * the API version is forced to vim.version.version12 (6.7): negotiated
   against vcsim's default 6.5, pyvmomi would pick version11, in which
   macManagementPolicy does not exist and reads back as None;
 * an SSL context is always passed: pyVim.connect silently turns off
   certificate checks for 127.0.0.1/localhost when given none.

Output: one JSON object on stdout; unset properties are null.
Exit: 0 found, 2 not found (or not a template), 3 ambiguous name, 1 other
errors (connection, login), 64 usage.
"""

import json
import os
import ssl
import sys
from urllib.parse import urlparse

try:
    from pyVim.connect import Connect, Disconnect
    from pyVmomi import VmomiSupport, vim, vmodl
except ImportError as e:  # pragma: no cover - environment problem
    sys.stderr.write("readback.py: pyvmomi not importable (%s); run with /usr/bin/python3 "
                     "and install python3-pyvmomi\n" % e)
    sys.exit(1)

API_VERSION = "vim.version.version12"


class NotFound(Exception):
    pass


class Ambiguous(Exception):
    pass


def connect():
    raw = os.environ.get("GOVC_URL", "")
    if not raw:
        raise RuntimeError("GOVC_URL is not set")
    if "://" not in raw:
        raw = "https://" + raw
    u = urlparse(raw)
    if u.scheme != "https":
        raise RuntimeError("GOVC_URL must be https (pyvmomi forces TLS for local hosts)")
    user = os.environ.get("GOVC_USERNAME") or u.username or ""
    pwd = os.environ.get("GOVC_PASSWORD") or u.password or ""
    if os.environ.get("GOVC_INSECURE", "") in ("1", "true", "True"):
        ctx = ssl._create_unverified_context()
    else:
        ca = os.environ.get("GOVC_TLS_CA_CERTS") or None
        ctx = ssl.create_default_context(cafile=ca)
    return Connect(host=u.hostname, port=u.port or 443, user=user, pwd=pwd,
                   path=u.path or "/sdk", version=API_VERSION, sslContext=ctx)


def find(content, vimtype, name):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
    try:
        found = [o for o in view.view if o.name == name]
    finally:
        view.DestroyView()
    if not found:
        raise NotFound("no %s named %r" % (VmomiSupport.GetWsdlName(vimtype), name))
    if len(found) > 1:
        raise Ambiguous("%d objects of type %s are named %r" %
                        (len(found), VmomiSupport.GetWsdlName(vimtype), name))
    return found[0]


def wsdl(obj):
    return VmomiSupport.GetWsdlName(type(obj)) if obj is not None else None


def plain(v):
    """A JSON-able form of a simple property value."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, vim.ManagedObject):
        return v._moId
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return str(v)


def device_info(d):
    out = {
        "type": wsdl(d),
        "key": d.key,
        "label": d.deviceInfo.label if d.deviceInfo else None,
        "controllerKey": d.controllerKey,
        "unitNumber": d.unitNumber,
    }
    b = d.backing
    if b is not None:
        bi = {"type": wsdl(b)}
        if isinstance(b, vim.vm.device.VirtualDevice.FileBackingInfo):
            bi["fileName"] = b.fileName
            bi["datastore"] = b.datastore.name if b.datastore else None
        if isinstance(b, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo):
            bi["deviceName"] = b.deviceName
            bi["network"] = b.network.name if b.network else None
        if isinstance(b, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
            port = b.port
            bi["portgroupKey"] = port.portgroupKey if port else None
            bi["switchUuid"] = port.switchUuid if port else None
        if isinstance(b, vim.vm.device.VirtualDisk.FlatVer2BackingInfo):
            bi["diskMode"] = b.diskMode
            bi["thinProvisioned"] = b.thinProvisioned
        out["backing"] = bi
    if isinstance(d, vim.vm.device.VirtualEthernetCard):
        out["macAddress"] = d.macAddress
        out["addressType"] = d.addressType
    if isinstance(d, vim.vm.device.VirtualDisk):
        out["capacityInKB"] = d.capacityInKB
        thin = getattr(b, "thinProvisioned", None) if b is not None else None
        out["thinProvisioned"] = thin
    if d.connectable is not None:
        out["startConnected"] = d.connectable.startConnected
    return out


def read_vm(content, name, want_template):
    vm = find(content, vim.VirtualMachine, name)
    cfg = vm.config
    if cfg is None:
        raise RuntimeError("VM %r has no config (still being created?)" % name)
    if want_template and not cfg.template:
        raise NotFound("%r is a VM, not a template" % name)
    hw = cfg.hardware
    extra = {}
    for ov in cfg.extraConfig or []:
        extra[ov.key] = plain(ov.value)  # the last occurrence of a key wins
    boot = cfg.bootOptions
    return {
        "kind": "template" if cfg.template else "vm",
        "moref": vm._moId,
        "name": cfg.name,
        "guestId": cfg.guestId,
        "numCPU": hw.numCPU,
        "numCoresPerSocket": hw.numCoresPerSocket,
        "memoryMB": hw.memoryMB,
        "firmware": cfg.firmware,
        "nestedHVEnabled": cfg.nestedHVEnabled,
        "bootOptions": {
            "enterBIOSSetup": boot.enterBIOSSetup if boot else None,
            "efiSecureBootEnabled": boot.efiSecureBootEnabled if boot else None,
        },
        "template": bool(cfg.template),
        "powerState": str(vm.runtime.powerState),
        "vmPathName": cfg.files.vmPathName if cfg.files else None,
        "extraConfig": extra,
        "devices": [device_info(d) for d in hw.device],
        "datastores": [ds.name for ds in vm.datastore],
        "networks": [n.name for n in vm.network],
    }


def security(p):
    if p is None:
        return None
    return {
        "allowPromiscuous": p.allowPromiscuous,
        "forgedTransmits": p.forgedTransmits,
        "macChanges": p.macChanges,
    }


def read_pg(content, name):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    try:
        hosts = list(view.view)
    finally:
        view.DestroyView()
    out = {"name": name, "hosts": {}}
    for h in hosts:
        ns = h.configManager.networkSystem
        if ns is None or ns.networkInfo is None:
            continue
        for pg in ns.networkInfo.portgroup:
            if pg.spec.name != name:
                continue
            out["hosts"][h.name] = {
                "vswitch": pg.spec.vswitchName,
                "vlanId": pg.spec.vlanId,
                "spec": security(pg.spec.policy.security if pg.spec.policy else None),
                "computed": security(pg.computedPolicy.security if pg.computedPolicy else None),
            }
    if not out["hosts"]:
        raise NotFound("no host has a standard port group named %r" % name)
    return out


def boolpolicy(b):
    return b.value if b is not None else None


def read_dvpg(content, name):
    pg = find(content, vim.dvs.DistributedVirtualPortgroup, name)
    cfg = pg.config
    port = cfg.defaultPortConfig
    mm = getattr(port, "macManagementPolicy", None)
    ml = mm.macLearningPolicy if mm is not None else None
    sp = getattr(port, "securityPolicy", None)
    dvs = cfg.distributedVirtualSwitch
    summary = dvs.summary if dvs is not None else None
    vlan = getattr(port, "vlan", None)
    vlan_info = None
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec):
        vlan_info = {"type": wsdl(vlan), "vlanId": vlan.vlanId}
    elif isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.TrunkVlanSpec):
        vlan_info = {"type": wsdl(vlan),
                     "ranges": [[r.start, r.end] for r in vlan.vlanId]}
    elif vlan is not None:
        vlan_info = {"type": wsdl(vlan)}
    return {
        "name": pg.name,
        "key": pg.key,
        "configVersion": cfg.configVersion,
        "macManagementPolicy": None if mm is None else {
            "inherited": mm.inherited,
            "allowPromiscuous": mm.allowPromiscuous,
            "forgedTransmits": mm.forgedTransmits,
            "macChanges": mm.macChanges,
            "macLearningPolicy": None if ml is None else {
                "inherited": ml.inherited,
                "enabled": ml.enabled,
                "limit": ml.limit,
                "limitPolicy": ml.limitPolicy,
                "allowUnicastFlooding": ml.allowUnicastFlooding,
            },
        },
        "securityPolicy": None if sp is None else {
            "inherited": sp.inherited,
            "allowPromiscuous": boolpolicy(sp.allowPromiscuous),
            "forgedTransmits": boolpolicy(sp.forgedTransmits),
            "macChanges": boolpolicy(sp.macChanges),
        },
        "vlan": vlan_info,
        "dvs": None if dvs is None else {
            "name": dvs.name,
            "uuid": dvs.uuid,
            "version": summary.productInfo.version if summary and summary.productInfo else None,
        },
    }


def describe(e):
    """One line for an exception; pyvmomi faults print as multi-line dumps."""
    if isinstance(e, vmodl.MethodFault):
        return "%s: %s" % (wsdl(e), getattr(e, "msg", "") or "")
    return "%s: %s" % (type(e).__name__, e)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("vm", "template", "pg", "dvpg"):
        sys.stderr.write("usage: readback.py vm|template|pg|dvpg NAME\n")
        return 64
    kind, name = argv[1], argv[2]
    try:
        si = connect()
    except Exception as e:
        sys.stderr.write("readback.py: connecting to %s: %s\n" % (os.environ.get("GOVC_URL"), describe(e)))
        return 1
    try:
        content = si.RetrieveContent()
        if kind in ("vm", "template"):
            out = read_vm(content, name, kind == "template")
        elif kind == "pg":
            out = read_pg(content, name)
        else:
            out = read_dvpg(content, name)
    except NotFound as e:
        sys.stderr.write("readback.py: not found: %s\n" % e)
        return 2
    except Ambiguous as e:
        sys.stderr.write("readback.py: ambiguous: %s\n" % e)
        return 3
    except Exception as e:
        sys.stderr.write("readback.py: %s\n" % describe(e))
        return 1
    finally:
        try:
            Disconnect(si)
        except Exception:
            pass
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
