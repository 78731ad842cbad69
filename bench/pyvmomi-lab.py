#!/usr/bin/python3
"""The peer of `vnest lab up` for bench/lab.sh: the same steps with pyvmomi
(Debian python3-pyvmomi), written the way a careful script would: bulk
property reads, tasks started together then awaited together.

  1. look up the datacenter, cluster pool, datastore and template;
  2. make the port group fit for nested hosts (S13) on every host;
  3. read every VM's name and marker (one PropertyCollector call);
  4. clone N hosts from the template, each with guestinfo.hostname,
     guestinfo.ipaddress, the shared guestinfo and the marker vnest.lab,
     nested HV on; all CloneVM_Task started, then awaited;
  5. read the clones back, ReconfigVM those that lost nested HV or extraConfig;
  6. power them all on, awaited together;
  7. poll guest.hostName / guest.ipAddress until every host reports its
     planned identity.

usage: pyvmomi-lab.py LAB TEMPLATE N   (connection from GOVC_URL, GOVC_USERNAME,
GOVC_PASSWORD, GOVC_TLS_CA_CERTS, like tests/peers/readback.py, whose connect()
it reuses)
"""
import ipaddress
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "peers"))
import readback  # noqa: E402
from pyVim.task import WaitForTasks  # noqa: E402
from pyVmomi import vim, vmodl  # noqa: E402

PG = "VM Network"


def retrieve(content, objs, vimtype, paths):
    """{obj: {path: value}} for the given objects, in one call."""
    pc = content.propertyCollector
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=o) for o in objs],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vimtype, pathSet=paths)])
    out = {}
    for oc in pc.RetrieveContents([spec]):
        out[oc.obj] = {p.name: p.val for p in oc.propSet}
    return out


def all_of(content, vimtype):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
    try:
        return list(view.view)
    finally:
        view.DestroyView()


def by_name(content, vimtype, name):
    objs = all_of(content, vimtype)
    names = retrieve(content, objs, vimtype, ["name"])
    return [o for o in objs if names.get(o, {}).get("name") == name][0]


def main(argv):
    lab, tmpl_name, n = argv[1], argv[2], int(argv[3])
    si = readback.connect()
    content = si.RetrieveContent()
    dc = by_name(content, vim.Datacenter, "DC0")
    cluster = by_name(content, vim.ClusterComputeResource, "DC0_C0")
    pool = cluster.resourcePool
    ds = by_name(content, vim.Datastore, "LocalDS_0")
    tmpl = by_name(content, vim.VirtualMachine, tmpl_name)

    for h in all_of(content, vim.HostSystem):
        ns = h.configManager.networkSystem
        for pg in ns.networkInfo.portgroup:
            sec = pg.computedPolicy.security
            if pg.spec.name != PG or (sec.allowPromiscuous and sec.forgedTransmits and sec.macChanges):
                continue
            spec = pg.spec
            spec.policy.security = vim.host.NetworkPolicy.SecurityPolicy(
                allowPromiscuous=True, forgedTransmits=True, macChanges=True)
            ns.UpdatePortGroup(PG, spec)

    vms = all_of(content, vim.VirtualMachine)
    existing = {p["name"] for p in retrieve(content, vms, vim.VirtualMachine, ["name"]).values()}
    first = ipaddress.IPv4Address("10.0.0.11")
    plan = []
    for i in range(n):
        name = "%s-esxi-%02d" % (lab, i + 1)
        if name not in existing:
            plan.append((name, str(first + i)))
    shared = {"guestinfo.netmask": "255.255.255.0", "guestinfo.gateway": "10.0.0.1",
              "guestinfo.dns": "10.0.0.1", "guestinfo.domain": "lab.local"}

    def extra(name, ip):
        kv = dict(shared, **{"guestinfo.hostname": name, "guestinfo.ipaddress": ip, "vnest.lab": lab})
        return [vim.option.OptionValue(key=k, value=v) for k, v in kv.items()]

    tasks = []
    for name, ip in plan:
        spec = vim.vm.CloneSpec(
            location=vim.vm.RelocateSpec(pool=pool, datastore=ds), template=False, powerOn=False,
            config=vim.vm.ConfigSpec(extraConfig=extra(name, ip), nestedHVEnabled=True))
        tasks.append(tmpl.CloneVM_Task(folder=dc.vmFolder, name=name, spec=spec))
    WaitForTasks(tasks, si=si)
    clones = [t.info.result for t in tasks]

    props = retrieve(content, clones, vim.VirtualMachine, ["config.nestedHVEnabled", "config.extraConfig"])
    fix = []
    for vm, (name, ip) in zip(clones, plan):
        p = props[vm]
        have = {o.key: o.value for o in p.get("config.extraConfig", [])}
        lost = [o for o in extra(name, ip) if have.get(o.key) != o.value]
        if lost or not p.get("config.nestedHVEnabled"):
            fix.append(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=lost, nestedHVEnabled=True)))
    WaitForTasks(fix, si=si) if fix else None

    WaitForTasks([vm.PowerOnVM_Task() for vm in clones], si=si)

    want = {vm: (name, ip) for vm, (name, ip) in zip(clones, plan)}
    while want:
        got = retrieve(content, list(want), vim.VirtualMachine, ["guest.hostName", "guest.ipAddress"])
        for vm, p in got.items():
            if (p.get("guest.hostName"), p.get("guest.ipAddress")) == want[vm]:
                del want[vm]
        if want:
            time.sleep(0.5)
    print("%d hosts cloned, powered on, identities reported" % len(clones))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
