package main

// TEST EXTENSION (opt-in: vcsim -ext-guestops DIR): a SIMULATION of vSphere
// guest operations, the VMware Tools calls `vnest seal run` makes.
//
// vcsim 0.24.2 runs guest programs only in Docker containers (a VM with
// RUN.container in its extraConfig), and has no StartProgramInGuest or
// ListProcessesInGuest at all; this machine has no Docker engine. So this
// file replaces the simulator's GuestFileManager and GuestProcessManager with
// stand-ins that act on a simulated ESXi root per VM, DIR/<VM moref>/ (built
// by tests/esxsim: esx.conf, boot.cfg, recording stand-ins for esxcli and
// friends). None of it is VMware's code nor vcsim's, and behaviour seen only
// here proves nothing about a real host. What it does:
//
//   - every guest call checks, in this order, the VM's power state
//     (InvalidPowerState), its simulated VMware Tools (GuestOperationsUnavailable,
//     the fault vCenter answers when Tools do not run) and the credentials:
//     NamePasswordAuthentication for "root" with the password of
//     -ext-guestops-password (InvalidGuestLogin otherwise);
//   - VMware Tools "run" in a VM whose name matches -ext-guestops-tools
//     (a path.Match pattern, default "*") from the moment it is powered on
//     until it is powered off: guest.toolsRunningStatus follows the power
//     state of those VMs (VMs powered on before the extension was installed,
//     such as the model's own, keep Tools not running);
//   - InitiateFileTransferToGuest / FromGuest answer a URL of the vCenter
//     form "https://*/guestFile?id=N&token=T" ("*" meaning the server the
//     client talks to) on this simulator's own server; a PUT there stores
//     the body, which must be fileSize bytes long, as that guest path inside
//     the VM's root with the given POSIX permissions; a GET returns the file;
//     each URL serves one transfer;
//   - StartProgramInGuest runs only programPath /bin/sh: the command line
//     "/bin/sh ARGUMENTS" is run as `busybox sh -c` (VMware Tools hand it to
//     the guest's shell, so redirections work) in the VM's root, with
//     ESXSIM_ROOT set to the root (the seal script's test prefix), PATH to
//     ROOT/bin:ROOT/sbin (the stand-ins) then /usr/bin:/bin, and every "/tmp/"
//     in the arguments rewritten to ROOT/tmp/ (the guest's /tmp; no chroot);
//     it returns a simulated pid at once and the program runs on;
//   - ListProcessesInGuest reports those programs (name, pid, owner root,
//     cmdLine, startTime, and endTime and exitCode once they ended);
//   - when a program ends after the root's poweroff stand-in ran (esxsim
//     leaves ROOT/.esxsim/powered-off), the VM is powered off before the exit
//     is recorded, as a guest-initiated power-off would (runtime.powerState).
//
// -ext-guestops-mkroot CMD makes a VM's root on its first guest call when
// DIR/<moref> does not exist yet: `sh -c CMD mkroot ROOT`, so CMD names the
// root as "$1" (e.g. 'sh tests/esxsim/esxsim.sh build "$1" --version 6.7.0').
// Without it a missing root is made empty (the seal's preflight then fails).
// A test that wants a particular root builds DIR/<moref> itself beforehand.
//
// Not simulated: other programs than /bin/sh, other users, interactive
// sessions, TerminateProcessInGuest, directory and file-attribute methods,
// the guest's environment variables, the working directory of GuestProgramSpec.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type guestOps struct {
	dir      string
	password string
	tools    string
	mkroot   string
	busybox  string
	scheme   string

	mu      sync.Mutex
	nextPid int64
	procs   map[types.ManagedObjectReference][]*types.GuestProcessInfo
	xfers   map[string]*guestXfer
}

type guestXfer struct {
	file string // host path inside the VM's root
	put  bool
	size int64
	mode os.FileMode
}

// testExtGuestFileManager and testExtGuestProcessManager embed vcsim's types
// by value, like ext.go's wrapper, so the PropertyCollector still finds them.
type testExtGuestFileManager struct {
	simulator.GuestFileManager
	g *guestOps
}

type testExtGuestProcessManager struct {
	simulator.GuestProcessManager
	g *guestOps
}

// guestToolsWatch is a registry handler: it makes the simulated VMware Tools
// follow the power state of the VMs they run in.
type guestToolsWatch struct {
	g *guestOps
}

func (w *guestToolsWatch) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "TestExtGuestOps", Value: "tools-watch"}
}

func (w *guestToolsWatch) PutObject(mo.Reference)                    {}
func (w *guestToolsWatch) RemoveObject(types.ManagedObjectReference) {}

func (w *guestToolsWatch) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	ref := obj.Reference()
	if ref.Type != "VirtualMachine" {
		return
	}
	for _, c := range changes {
		if c.Name == "runtime.powerState" {
			w.g.toolsFollow(ref, fmt.Sprint(c.Val))
		}
	}
}

// addGuestOps installs the extension (before the server starts).
func addGuestOps(m *simulator.Model, dir, password, tools, mkroot string, tls bool) error {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("-ext-guestops needs busybox: %v", err)
	}
	if _, err := path.Match(tools, "x"); err != nil {
		return fmt.Errorf("-ext-guestops-tools %q: %v", tools, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	g := &guestOps{
		dir: abs, password: password, tools: tools, mkroot: mkroot, busybox: bb,
		scheme: "http", nextPid: 4000,
		procs: map[types.ManagedObjectReference][]*types.GuestProcessInfo{},
		xfers: map[string]*guestXfer{},
	}
	if tls {
		g.scheme = "https"
	}
	if m.ServiceContent.GuestOperationsManager == nil {
		return fmt.Errorf("the model has no GuestOperationsManager")
	}
	gom, ok := simulator.Map.Get(*m.ServiceContent.GuestOperationsManager).(*simulator.GuestOperationsManager)
	if !ok || gom.FileManager == nil || gom.ProcessManager == nil {
		return fmt.Errorf("the model's GuestOperationsManager lacks its managers")
	}
	fm, ok1 := simulator.Map.Get(*gom.FileManager).(*simulator.GuestFileManager)
	pm, ok2 := simulator.Map.Get(*gom.ProcessManager).(*simulator.GuestProcessManager)
	if !ok1 || !ok2 {
		return fmt.Errorf("unexpected guest operation manager types")
	}
	simulator.Map.Put(&testExtGuestFileManager{*fm, g})
	simulator.Map.Put(&testExtGuestProcessManager{*pm, g})
	simulator.Map.AddHandler(&guestToolsWatch{g})
	m.Service.HandleFunc("/guestFile", g.serveTransfer)
	return nil
}

func (g *guestOps) toolsFollow(ref types.ManagedObjectReference, power string) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	if match, _ := path.Match(g.tools, vm.Name); !match {
		return
	}
	running := power == string(types.VirtualMachinePowerStatePoweredOn)
	rs := types.VirtualMachineToolsRunningStatusGuestToolsNotRunning
	st := types.VirtualMachineToolsStatusToolsNotRunning
	if running {
		rs = types.VirtualMachineToolsRunningStatusGuestToolsRunning
		st = types.VirtualMachineToolsStatusToolsOk
	}
	simulator.Map.Update(vm, []types.PropertyChange{
		{Name: "guest.toolsRunningStatus", Val: string(rs)},
		{Name: "guest.toolsStatus", Val: st},
		{Name: "summary.guest.toolsRunningStatus", Val: string(rs)},
		{Name: "summary.guest.toolsStatus", Val: st},
	})
}

// prepare checks a guest call as VMware Tools would and returns the VM's root.
func (g *guestOps) prepare(ref types.ManagedObjectReference, auth types.BaseGuestAuthentication) (string, *simulator.VirtualMachine, types.BaseMethodFault) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return "", nil, &types.ManagedObjectNotFound{Obj: ref}
	}
	var power types.VirtualMachinePowerState
	var tools string
	simulator.Map.WithLock(vm, func() {
		power = vm.Runtime.PowerState
		if vm.Guest != nil {
			tools = vm.Guest.ToolsRunningStatus
		}
	})
	if power != types.VirtualMachinePowerStatePoweredOn {
		return "", nil, &types.InvalidPowerState{
			RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: power}
	}
	if tools != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
		return "", nil, new(types.GuestOperationsUnavailable)
	}
	creds, ok := auth.(*types.NamePasswordAuthentication)
	if !ok || creds.Username != "root" || creds.Password != g.password || creds.InteractiveSession {
		return "", nil, new(types.InvalidGuestLogin)
	}
	root := filepath.Join(g.dir, ref.Value)
	if _, err := os.Stat(root); os.IsNotExist(err) {
		if g.mkroot != "" {
			out, err := exec.Command("/bin/sh", "-c", g.mkroot, "mkroot", root).CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "vcsim: -ext-guestops-mkroot %s: %v: %s\n", root, err, out)
				return "", nil, new(types.GuestOperationsUnavailable)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
		return "", nil, &types.SystemError{Reason: err.Error()}
	}
	return root, vm, nil
}

// hostPath maps an absolute guest path into the root (no escaping it).
func hostPath(root, guest string) (string, types.BaseMethodFault) {
	if !strings.HasPrefix(guest, "/") {
		return "", &types.InvalidArgument{InvalidProperty: "guestFilePath"}
	}
	return filepath.Join(root, filepath.Clean(guest)), nil
}

func (g *guestOps) newXfer(x *guestXfer) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	g.mu.Lock()
	g.xfers[id] = x
	g.mu.Unlock()
	return fmt.Sprintf("%s://*/guestFile?id=%s&token=%s", g.scheme, id, id)
}

func guestFault(f types.BaseMethodFault) *soap.Fault {
	return simulator.Fault("", f)
}

func (m *testExtGuestFileManager) InitiateFileTransferToGuest(req *types.InitiateFileTransferToGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferToGuestBody)
	root, _, f := m.g.prepare(req.Vm, req.Auth)
	if f != nil {
		body.Fault_ = guestFault(f)
		return body
	}
	file, f := hostPath(root, req.GuestFilePath)
	if f != nil {
		body.Fault_ = guestFault(f)
		return body
	}
	if st, err := os.Stat(filepath.Dir(file)); err != nil || !st.IsDir() {
		body.Fault_ = guestFault(&types.FileNotFound{FileFault: types.FileFault{File: filepath.Dir(req.GuestFilePath)}})
		return body
	}
	if _, err := os.Lstat(file); err == nil && !req.Overwrite {
		body.Fault_ = guestFault(&types.FileAlreadyExists{FileFault: types.FileFault{File: req.GuestFilePath}})
		return body
	}
	if req.FileSize < 0 {
		body.Fault_ = guestFault(&types.InvalidArgument{InvalidProperty: "fileSize"})
		return body
	}
	mode := os.FileMode(0o644)
	if a, ok := req.FileAttributes.(*types.GuestPosixFileAttributes); ok && a.Permissions != 0 {
		mode = os.FileMode(a.Permissions) & os.ModePerm
	}
	url := m.g.newXfer(&guestXfer{file: file, put: true, size: req.FileSize, mode: mode})
	body.Res = &types.InitiateFileTransferToGuestResponse{Returnval: url}
	return body
}

func (m *testExtGuestFileManager) InitiateFileTransferFromGuest(req *types.InitiateFileTransferFromGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferFromGuestBody)
	root, _, f := m.g.prepare(req.Vm, req.Auth)
	if f != nil {
		body.Fault_ = guestFault(f)
		return body
	}
	file, f := hostPath(root, req.GuestFilePath)
	if f != nil {
		body.Fault_ = guestFault(f)
		return body
	}
	st, err := os.Stat(file)
	if err != nil || !st.Mode().IsRegular() {
		body.Fault_ = guestFault(&types.FileNotFound{FileFault: types.FileFault{File: req.GuestFilePath}})
		return body
	}
	url := m.g.newXfer(&guestXfer{file: file})
	body.Res = &types.InitiateFileTransferFromGuestResponse{
		Returnval: types.FileTransferInformation{
			Attributes: &types.GuestPosixFileAttributes{Permissions: int64(st.Mode().Perm())},
			Size:       st.Size(),
			Url:        url,
		},
	}
	return body
}

// serveTransfer is the /guestFile endpoint of the simulated transfers.
func (g *guestOps) serveTransfer(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	g.mu.Lock()
	x := g.xfers[id]
	if x != nil && ((r.Method == http.MethodPut) == x.put) {
		delete(g.xfers, id) // one transfer per URL
	}
	g.mu.Unlock()
	if x == nil {
		http.Error(w, "unknown or used transfer id", http.StatusNotFound)
		return
	}
	switch {
	case r.Method == http.MethodPut && x.put:
		data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if int64(len(data)) != x.size {
			http.Error(w, fmt.Sprintf("%d bytes sent, fileSize said %d", len(data), x.size), http.StatusBadRequest)
			return
		}
		tmp := x.file + ".guestops-tmp"
		if err := os.WriteFile(tmp, data, x.mode); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = os.Chmod(tmp, x.mode)
		if err := os.Rename(tmp, x.file); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	case r.Method == http.MethodGet && !x.put:
		data, err := os.ReadFile(x.file)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)
	default:
		http.Error(w, "method not allowed for this transfer", http.StatusMethodNotAllowed)
	}
}

func (m *testExtGuestProcessManager) StartProgramInGuest(req *types.StartProgramInGuest) soap.HasFault {
	body := new(methods.StartProgramInGuestBody)
	root, vm, f := m.g.prepare(req.Vm, req.Auth)
	if f != nil {
		body.Fault_ = guestFault(f)
		return body
	}
	spec := req.Spec.GetGuestProgramSpec()
	if spec.ProgramPath != "/bin/sh" {
		body.Fault_ = simulator.Fault("TEST EXTENSION: only /bin/sh is simulated",
			&types.FileNotFound{FileFault: types.FileFault{File: spec.ProgramPath}})
		return body
	}
	args := strings.ReplaceAll(spec.Arguments, "/tmp/", root+"/tmp/")
	cmd := exec.Command(m.g.busybox, "sh", "-c", m.g.busybox+" sh "+args)
	cmd.Dir = root
	cmd.Env = []string{
		"ESXSIM_ROOT=" + root,
		"PATH=" + root + "/bin:" + root + "/sbin:/usr/bin:/bin",
		"HOME=/",
		"LC_ALL=C",
	}
	if err := cmd.Start(); err != nil {
		body.Fault_ = guestFault(&types.SystemError{Reason: err.Error()})
		return body
	}
	m.g.mu.Lock()
	m.g.nextPid++
	info := &types.GuestProcessInfo{
		Name:      "sh",
		Pid:       m.g.nextPid,
		Owner:     "root",
		CmdLine:   "\"/bin/sh\" " + spec.Arguments,
		StartTime: time.Now(),
	}
	m.g.procs[req.Vm] = append(m.g.procs[req.Vm], info)
	m.g.mu.Unlock()
	go m.g.reap(cmd, info, vm, root)
	body.Res = &types.StartProgramInGuestResponse{Returnval: info.Pid}
	return body
}

// reap waits for a program, powers the VM off when the program powered the
// simulated host off, and records the exit.
func (g *guestOps) reap(cmd *exec.Cmd, info *types.GuestProcessInfo, vm *simulator.VirtualMachine, root string) {
	err := cmd.Wait()
	code := 0
	if err != nil {
		code = 1
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() >= 0 {
			code = ee.ExitCode()
		}
	}
	if _, err := os.Stat(filepath.Join(root, ".esxsim", "powered-off")); err == nil {
		simulator.Map.WithLock(vm, func() {
			if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
				simulator.Map.Update(vm, []types.PropertyChange{
					{Name: "runtime.powerState", Val: types.VirtualMachinePowerStatePoweredOff},
					{Name: "summary.runtime.powerState", Val: types.VirtualMachinePowerStatePoweredOff},
				})
			}
		})
	}
	now := time.Now()
	g.mu.Lock()
	info.EndTime = &now
	info.ExitCode = int32(code)
	g.mu.Unlock()
}

func (m *testExtGuestProcessManager) ListProcessesInGuest(req *types.ListProcessesInGuest) soap.HasFault {
	body := new(methods.ListProcessesInGuestBody)
	if _, _, f := m.g.prepare(req.Vm, req.Auth); f != nil {
		body.Fault_ = guestFault(f)
		return body
	}
	want := map[int64]bool{}
	for _, p := range req.Pids {
		want[p] = true
	}
	res := &types.ListProcessesInGuestResponse{}
	m.g.mu.Lock()
	for _, p := range m.g.procs[req.Vm] {
		if len(want) == 0 || want[p.Pid] {
			res.Returnval = append(res.Returnval, *p)
		}
	}
	m.g.mu.Unlock()
	body.Res = res
	return body
}
