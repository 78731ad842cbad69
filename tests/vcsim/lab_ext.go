package main

// TEST EXTENSION (opt-in: vcsim -ext-lab-guest): a SIMULATION of nested ESXi
// guests reporting their identity through VMware Tools, for `vnest lab up`.
//
// A real nested ESXi installed by vnest's kickstart (or cloned from a sealed
// template) reads guestinfo.hostname and guestinfo.ipaddress at first boot
// (S16), configures itself, and its built-in VMware Tools then report
// guest.hostName and guest.ipAddress to vCenter. vcsim 0.24.2 runs no guest:
// a powered-on VM reports no host name, no address and Tools not running.
// This file stands in for the guest, and proves nothing about a real one:
//
//   - when a VM whose extraConfig has guestinfo.hostname is powered on, it
//     reports at once guest.hostName = that value, guest.ipAddress =
//     guestinfo.ipaddress (when set), guest.toolsRunningStatus
//     guestToolsRunning and guest.guestState running (also in summary.guest);
//   - when it is powered off, those are cleared and Tools stop;
//   - VMs whose name matches -ext-lab-guest-silent (a path.Match pattern)
//     never report: a guest that failed to boot, for timeout tests.
//
// And a SIMULATED FAULT (opt-in: -ext-lab-fail-create PATTERN): creating a
// VM whose name matches fails, as a datastore that is full would make it
// fail on a real vCenter: the CreateVM_Task's task (and so a CloneVM_Task's,
// which creates through the folder) ends with NoDiskSpace on the datastore
// named in the VM's path. Each datacenter's VM folder is wrapped for that;
// vcsim code that expects its own Folder type there (vApps, moving a VM
// between folders) is not used by those tests, and destroying VMs of that
// folder was seen to fail now and then (ManagedObjectNotFound): tests that
// destroy VMs use a simulator without this flag.
//
// Not simulated: boot time, DHCP, a guest that reports a different name.
// It is installed by a goroutine once the model exists (main.go is shared
// by the other extensions and stays as it is), and sweeps the VMs already
// powered on at that moment.

import (
	"flag"
	"path"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

var (
	labFailCreate  = flag.String("ext-lab-fail-create", "", "TEST EXTENSION: a simulated fault: creating or cloning a VM whose name matches this path.Match pattern fails with NoDiskSpace (lab_ext.go)")
	labGuest       = flag.Bool("ext-lab-guest", false, "TEST EXTENSION: simulate nested ESXi guests reporting guestinfo.hostname/ipaddress through VMware Tools when powered on (lab_ext.go)")
	labGuestSilent = flag.String("ext-lab-guest-silent", "", "names (path.Match pattern) of VMs whose simulated guest never reports (with -ext-lab-guest)")
)

func init() {
	go installLabGuest()
}

// installLabGuest waits for main to parse the flags and create the model
// (its hosts exist), then registers the watch.
func installLabGuest() {
	for !flag.Parsed() {
		time.Sleep(10 * time.Millisecond)
	}
	if !*labGuest && *labFailCreate == "" {
		return
	}
	for len(simulator.Map.All("HostSystem")) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	if *labFailCreate != "" {
		for _, e := range simulator.Map.All("Datacenter") {
			dc, ok := e.(*simulator.Datacenter)
			if !ok {
				continue
			}
			if f, ok := simulator.Map.Get(dc.VmFolder).(*simulator.Folder); ok {
				simulator.Map.Put(&labFailFolder{*f})
			}
		}
	}
	if !*labGuest {
		return
	}
	simulator.Map.AddHandler(&labGuestWatch{})
	for _, e := range simulator.Map.All("VirtualMachine") {
		if vm, ok := e.(*simulator.VirtualMachine); ok {
			labGuestFollow(vm.Reference(), string(vm.Runtime.PowerState))
		}
	}
}

type labGuestWatch struct{}

func (w *labGuestWatch) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "TestExtLabGuest", Value: "lab-guest-watch"}
}

func (w *labGuestWatch) PutObject(mo.Reference)                    {}
func (w *labGuestWatch) RemoveObject(types.ManagedObjectReference) {}

func (w *labGuestWatch) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	ref := obj.Reference()
	if ref.Type != "VirtualMachine" {
		return
	}
	for _, c := range changes {
		if c.Name == "runtime.powerState" {
			if s, ok := c.Val.(types.VirtualMachinePowerState); ok {
				labGuestFollow(ref, string(s))
			} else if s, ok := c.Val.(string); ok {
				labGuestFollow(ref, s)
			}
		}
	}
}

// extraValue: the last value of key (vcsim appends keys instead of
// replacing them).
func extraValue(vm *simulator.VirtualMachine, key string) string {
	v := ""
	if vm.Config == nil {
		return v
	}
	for _, o := range vm.Config.ExtraConfig {
		if ov := o.GetOptionValue(); ov.Key == key {
			if s, ok := ov.Value.(string); ok {
				v = s
			}
		}
	}
	return v
}

func labGuestFollow(ref types.ManagedObjectReference, power string) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	host := extraValue(vm, "guestinfo.hostname")
	if host == "" {
		return
	}
	if *labGuestSilent != "" {
		if m, _ := path.Match(*labGuestSilent, vm.Name); m {
			return
		}
	}
	on := power == string(types.VirtualMachinePowerStatePoweredOn)
	ip, rs, state := extraValue(vm, "guestinfo.ipaddress"), types.VirtualMachineToolsRunningStatusGuestToolsRunning, "running"
	if !on {
		host, ip, rs, state = "", "", types.VirtualMachineToolsRunningStatusGuestToolsNotRunning, "notRunning"
	}
	simulator.Map.Update(vm, []types.PropertyChange{
		{Name: "guest.hostName", Val: host},
		{Name: "guest.ipAddress", Val: ip},
		{Name: "guest.toolsRunningStatus", Val: string(rs)},
		{Name: "guest.guestState", Val: state},
		{Name: "summary.guest.hostName", Val: host},
		{Name: "summary.guest.ipAddress", Val: ip},
		{Name: "summary.guest.toolsRunningStatus", Val: string(rs)},
	})
}

// labFailFolder wraps a datacenter's VM folder (embedded by value, like
// ext.go's wrapper, so the PropertyCollector still sees a Folder).
type labFailFolder struct {
	simulator.Folder
}

func (f *labFailFolder) CreateVMTask(ctx *simulator.Context, c *types.CreateVM_Task) soap.HasFault {
	if m, _ := path.Match(*labFailCreate, c.Config.Name); !m {
		return f.Folder.CreateVMTask(ctx, c)
	}
	ds := "datastore"
	if c.Config.Files != nil {
		p := c.Config.Files.VmPathName
		if i := strings.Index(p, "]"); strings.HasPrefix(p, "[") && i > 0 {
			ds = p[1:i]
		}
	}
	task := simulator.CreateTask(f, "createVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, &types.NoDiskSpace{Datastore: ds}
	})
	return &methods.CreateVM_TaskBody{Res: &types.CreateVM_TaskResponse{Returnval: task.Run()}}
}
