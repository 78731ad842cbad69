#!/usr/bin/python3
"""Small pyvmomi actions for the e2e suites, beside tests/peers/readback.py
(whose connection code, with its certificate checks, it reuses).

usage: vsphere_ops.py vms              every VM and template name, one a line, sorted
       vsphere_ops.py power-off NAME   power a VM off (no-op when already off)
       vsphere_ops.py power-on NAME    power a VM on (no-op when already on)
Exit: 0 done, 2 not found, 1 other errors, 64 usage.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "peers"))
import readback  # noqa: E402
from pyVim.connect import Disconnect  # noqa: E402
from pyVim.task import WaitForTask  # noqa: E402
from pyVmomi import vim  # noqa: E402


def main(argv):
    if len(argv) < 2 or argv[1] not in ("vms", "power-off", "power-on") or \
            (argv[1] != "vms" and len(argv) != 3):
        sys.stderr.write(__doc__)
        return 64
    try:
        si = readback.connect()
    except Exception as e:
        sys.stderr.write("vsphere_ops.py: connecting to %s: %s\n"
                         % (os.environ.get("GOVC_URL"), readback.describe(e)))
        return 1
    try:
        content = si.RetrieveContent()
        if argv[1] == "vms":
            view = content.viewManager.CreateContainerView(content.rootFolder,
                                                           [vim.VirtualMachine], True)
            try:
                names = sorted(vm.name for vm in view.view)
            finally:
                view.DestroyView()
            sys.stdout.write("".join(n + "\n" for n in names))
            return 0
        vm = readback.find(content, vim.VirtualMachine, argv[2])
        on = argv[1] == "power-on"
        state = vm.runtime.powerState
        if on and state != "poweredOn":
            WaitForTask(vm.PowerOnVM_Task())
        elif not on and state != "poweredOff":
            WaitForTask(vm.PowerOffVM_Task())
        return 0
    except readback.NotFound as e:
        sys.stderr.write("vsphere_ops.py: not found: %s\n" % e)
        return 2
    except Exception as e:
        sys.stderr.write("vsphere_ops.py: %s\n" % readback.describe(e))
        return 1
    finally:
        try:
            Disconnect(si)
        except Exception:
            pass


if __name__ == "__main__":
    sys.exit(main(sys.argv))
