package main

// TEST EXTENSION: VirtualMachine.ExportVm and its HttpNfcLease, a SIMULATION
// of vCenter's export lease for `vnest ova export --vm NAME`.
//
// vcsim 0.24.2 has no ExportVm (MethodNotFound). This file simulates what a
// real vCenter does closely enough for vnest's tests; it is not VMware's code
// and not vcsim's, and a behaviour seen only here proves nothing about a real
// server. Following the vSphere API reference for ExportVm/HttpNfcLease:
//
//   - ExportVm on a VM that is not powered off answers InvalidPowerState;
//     otherwise it creates an HttpNfcLease object (state ready at once;
//     vCenter may first say "initializing") whose info.deviceUrl has one entry
//     per VirtualDisk: url "https://*/nfc/export-<n>/disk-<i>.vmdk", key
//     "/<vm moref>/<device key>", disk true, targetId the file name;
//   - a GET of such a URL answers a streamOptimized VMDK (version 3, 64 KiB
//     zlib grains, zero grains left out, grain tables and directory at the
//     end, footer and end-of-stream markers) whose content is the disk's
//     backing file in the simulated datastore when it exists (vcsim's disks
//     are empty files: then all zeros), at the disk's capacity, sent with
//     chunked transfer encoding;
//   - HttpNfcLeaseProgress records the percentage, HttpNfcLeaseComplete ends
//     the lease (state done), HttpNfcLeaseAbort ends it in state error; the
//     URLs stop answering (404) once the lease has ended.
//
// SIMULATED FAULT: a GET for a VM whose name contains "faildl" answers HTTP
// 500 after the headers, for the tests of a failed download.
//
// Not simulated: the lease timeout, initializeProgress, non-disk device URLs
// (nvram), sharing a datastore file between leases, authentication of the
// NFC URLs (vCenter's are ticketed), snapshots. ExportVm is answered by a
// handler in front of vcsim's own (vcsim's VirtualMachine type has no method
// to add to, and its own HttpNfcLease type keeps its files unexported and is
// made for the upload direction): the SOAP request must carry a session
// cookie, and the VM is looked up in vcsim's inventory.
//
// `vcsim -stock` leaves the extension out.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type exportDisk struct {
	file     string // local backing file ("" if none)
	capacity int64  // bytes
	name     string
}

// testExtExportLease is the lease object in vcsim's registry (mo.HttpNfcLease
// first and by value, so the PropertyCollector reads its properties).
type testExtExportLease struct {
	mo.HttpNfcLease
	vmName string
	disks  []exportDisk
}

var (
	exportLeases sync.Map // "export-<n>" -> *testExtExportLease
	exportCount  int64
	exportURLRE  = regexp.MustCompile(`^/nfc/(export-[0-9]+)/disk-([0-9]+)\.vmdk$`)
	exportThisRE = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?_this\b[^>]*>([^<]+)<`)
	exportCallRE = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?Body\b[^>]*>\s*<(?:[A-Za-z_][\w.-]*:)?ExportVm\b`)
)

// exportExt puts the extension in front of vcsim's HTTP handler.
func exportExt(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/nfc/export-") {
			serveExportDisk(w, r)
			return
		}
		if r.Method == http.MethodPost && r.Body != nil {
			body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
			if err == nil && exportCallRE.Match(body) {
				exportVM(w, r, body)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

const soapHead = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`
const soapTail = `</soapenv:Body></soapenv:Envelope>`

func xmlText(s string) string {
	var b bytes.Buffer
	for _, c := range s {
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func soapFault(w http.ResponseWriter, msg, detail string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, "%s<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring><detail>%s</detail></soapenv:Fault>%s",
		soapHead, xmlText(msg), detail, soapTail)
}

func exportVM(w http.ResponseWriter, r *http.Request, body []byte) {
	if _, err := r.Cookie("vmware_soap_session"); err != nil {
		soapFault(w, "", `<NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated"></NotAuthenticatedFault>`)
		return
	}
	m := exportThisRE.FindSubmatch(body)
	if m == nil {
		soapFault(w, "missing _this", `<InvalidRequestFault xmlns="urn:vim25" xsi:type="InvalidRequest"></InvalidRequestFault>`)
		return
	}
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: strings.TrimSpace(string(m[1]))}
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		soapFault(w, "managed object not found: "+ref.String(),
			`<ManagedObjectNotFoundFault xmlns="urn:vim25" xsi:type="ManagedObjectNotFound"><obj type="VirtualMachine">`+xmlText(ref.Value)+`</obj></ManagedObjectNotFoundFault>`)
		return
	}
	var state types.VirtualMachinePowerState
	var disks []exportDisk
	var keys []string
	name := ""
	simulator.Map.WithLock(vm, func() {
		state = vm.Runtime.PowerState
		name = vm.Name
		if vm.Config == nil {
			return
		}
		for _, d := range vm.Config.Hardware.Device {
			disk, ok := d.(*types.VirtualDisk)
			if !ok {
				continue
			}
			ed := exportDisk{capacity: disk.CapacityInBytes}
			if ed.capacity == 0 {
				ed.capacity = disk.CapacityInKB * 1024
			}
			if b, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
				fn := b.GetVirtualDeviceFileBackingInfo().FileName
				ed.file = localPath(fn)
				ed.name = filepath.Base(fn[strings.Index(fn, "]")+1:])
			}
			disks = append(disks, ed)
			keys = append(keys, strconv.Itoa(int(disk.Key)))
		}
	})
	if state != types.VirtualMachinePowerStatePoweredOff {
		soapFault(w, "The attempted operation cannot be performed in the current state ("+string(state)+").",
			`<InvalidPowerStateFault xmlns="urn:vim25" xsi:type="InvalidPowerState"><requestedState>poweredOff</requestedState><existingState>`+
				string(state)+`</existingState></InvalidPowerStateFault>`)
		return
	}
	id := fmt.Sprintf("export-%d", atomic.AddInt64(&exportCount, 1))
	l := &testExtExportLease{vmName: name, disks: disks}
	l.Self = types.ManagedObjectReference{Type: "HttpNfcLease", Value: id}
	l.State = types.HttpNfcLeaseStateReady
	l.Info = &types.HttpNfcLeaseInfo{Lease: l.Self, Entity: ref, LeaseTimeout: 300}
	for i, d := range disks {
		l.Info.DeviceUrl = append(l.Info.DeviceUrl, types.HttpNfcLeaseDeviceUrl{
			Key:      "/" + ref.Value + "/" + keys[i],
			Url:      fmt.Sprintf("https://*/nfc/%s/disk-%d.vmdk", id, i),
			Disk:     types.NewBool(true),
			TargetId: d.name,
		})
	}
	simulator.Map.Put(l)
	exportLeases.Store(id, l)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprintf(w, `%s<ExportVmResponse xmlns="urn:vim25"><returnval type="HttpNfcLease">%s</returnval></ExportVmResponse>%s`,
		soapHead, id, soapTail)
}

// localPath: "[ds] dir/file.vmdk" -> the file in the simulated datastore.
func localPath(dsPath string) string {
	if !strings.HasPrefix(dsPath, "[") || !strings.Contains(dsPath, "]") {
		return ""
	}
	i := strings.Index(dsPath, "]")
	dsName, rel := dsPath[1:i], strings.TrimSpace(dsPath[i+1:])
	for _, e := range simulator.Map.All("Datastore") {
		ds, ok := e.(*simulator.Datastore)
		if !ok || ds.Name != dsName {
			continue
		}
		if info := ds.Info.GetDatastoreInfo(); info != nil {
			return filepath.Join(info.Url, rel)
		}
	}
	return ""
}

func (l *testExtExportLease) ended() bool {
	return l.State != types.HttpNfcLeaseStateReady
}

func serveExportDisk(w http.ResponseWriter, r *http.Request) {
	m := exportURLRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.NotFound(w, r)
		return
	}
	v, ok := exportLeases.Load(m[1])
	if !ok {
		http.NotFound(w, r)
		return
	}
	l := v.(*testExtExportLease)
	i, _ := strconv.Atoi(m[2])
	var d exportDisk
	ended := false
	simulator.Map.WithLock(l, func() {
		ended = l.ended()
		if i < len(l.disks) {
			d = l.disks[i]
		}
	})
	if ended || i >= len(l.disks) {
		http.NotFound(w, r)
		return
	}
	if strings.Contains(l.vmName, "faildl") {
		http.Error(w, "TEST EXTENSION: simulated download failure", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	var src io.Reader = bytes.NewReader(nil)
	if d.file != "" {
		if f, err := os.Open(d.file); err == nil {
			defer f.Close()
			src = f
		}
	}
	if err := writeStreamVMDK(w, src, d.capacity, d.name); err != nil {
		fmt.Fprintf(os.Stderr, "vcsim: export %s: %v\n", r.URL.Path, err)
	}
}

const (
	grainSectors = 128
	grainBytes   = grainSectors * 512
	gtEntries    = 512
)

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countWriter) pad() error {
	if rem := c.n % 512; rem != 0 {
		_, err := c.Write(make([]byte, 512-rem))
		return err
	}
	return nil
}

func marker(numSectors uint64, typ uint32) []byte {
	b := make([]byte, 512)
	binary.LittleEndian.PutUint64(b[0:], numSectors)
	binary.LittleEndian.PutUint32(b[12:], typ)
	return b
}

func sparseHeader(capSectors, gdOffset uint64) []byte {
	h := make([]byte, 512)
	copy(h[0:], "KDMV")
	binary.LittleEndian.PutUint32(h[4:], 3)
	binary.LittleEndian.PutUint32(h[8:], 1|1<<16|1<<17)
	binary.LittleEndian.PutUint64(h[12:], capSectors)
	binary.LittleEndian.PutUint64(h[20:], grainSectors)
	binary.LittleEndian.PutUint64(h[28:], 1)  // descriptorOffset
	binary.LittleEndian.PutUint64(h[36:], 20) // descriptorSize
	binary.LittleEndian.PutUint32(h[44:], gtEntries)
	binary.LittleEndian.PutUint64(h[48:], 0) // no redundant GD
	binary.LittleEndian.PutUint64(h[56:], gdOffset)
	binary.LittleEndian.PutUint64(h[64:], grainSectors) // overHead
	copy(h[73:], "\n \r\n")
	binary.LittleEndian.PutUint16(h[77:], 1) // deflate
	return h
}

// writeStreamVMDK writes a streamOptimized VMDK of capacity bytes whose
// content is src (zeros after its end).
func writeStreamVMDK(w io.Writer, src io.Reader, capacity int64, name string) error {
	capSectors := uint64((capacity + 511) / 512)
	cw := &countWriter{w: w}
	if _, err := cw.Write(sparseHeader(capSectors, ^uint64(0))); err != nil {
		return err
	}
	cyl := capSectors / (255 * 63)
	if cyl > 65535 {
		cyl = 65535
	}
	desc := fmt.Sprintf("# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n\n"+
		"# Extent description\nRW %d SPARSE \"%s\"\n\n# The Disk Data Base\n#DDB\n\n"+
		"ddb.adapterType = \"lsilogic\"\nddb.geometry.cylinders = \"%d\"\nddb.geometry.heads = \"255\"\n"+
		"ddb.geometry.sectors = \"63\"\nddb.virtualHWVersion = \"4\"\n", capSectors, name, cyl)
	block := make([]byte, 20*512)
	copy(block, desc)
	if _, err := cw.Write(block); err != nil {
		return err
	}
	if _, err := cw.Write(make([]byte, grainBytes-int(cw.n))); err != nil {
		return err
	}
	ngrains := (capSectors + grainSectors - 1) / grainSectors
	ngts := (ngrains + gtEntries - 1) / gtEntries
	gt := make([]uint32, ngts*gtEntries)
	buf := make([]byte, grainBytes)
	zero := make([]byte, grainBytes)
	for g := uint64(0); g < ngrains; g++ {
		for i := range buf {
			buf[i] = 0
		}
		if _, err := io.ReadFull(src, buf); err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return err
		}
		if bytes.Equal(buf, zero) {
			continue
		}
		var z bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&z, zlib.DefaultCompression)
		if _, err := zw.Write(buf); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		gt[g] = uint32(cw.n / 512)
		hdr := make([]byte, 12)
		binary.LittleEndian.PutUint64(hdr[0:], g*grainSectors)
		binary.LittleEndian.PutUint32(hdr[8:], uint32(z.Len()))
		if _, err := cw.Write(hdr); err != nil {
			return err
		}
		if _, err := cw.Write(z.Bytes()); err != nil {
			return err
		}
		if err := cw.pad(); err != nil {
			return err
		}
	}
	gd := make([]uint32, ngts)
	for t := uint64(0); t < ngts; t++ {
		if _, err := cw.Write(marker(4, 1)); err != nil {
			return err
		}
		gd[t] = uint32(cw.n / 512)
		if err := binary.Write(cw, binary.LittleEndian, gt[t*gtEntries:(t+1)*gtEntries]); err != nil {
			return err
		}
	}
	gdSectors := (ngts*4 + 511) / 512
	if _, err := cw.Write(marker(gdSectors, 2)); err != nil {
		return err
	}
	gdOffset := uint64(cw.n / 512)
	if err := binary.Write(cw, binary.LittleEndian, gd); err != nil {
		return err
	}
	if err := cw.pad(); err != nil {
		return err
	}
	if _, err := cw.Write(marker(1, 3)); err != nil {
		return err
	}
	if _, err := cw.Write(sparseHeader(capSectors, gdOffset)); err != nil {
		return err
	}
	_, err := cw.Write(make([]byte, 512)) // end of stream
	return err
}

// HttpNfcLeaseProgress records the percentage.
func (l *testExtExportLease) HttpNfcLeaseProgress(req *types.HttpNfcLeaseProgress) soap.HasFault {
	body := new(methods.HttpNfcLeaseProgressBody)
	if l.ended() {
		body.Fault_ = simulator.Fault("the lease has ended", &types.InvalidState{})
		return body
	}
	l.TransferProgress = req.Percent
	body.Res = new(types.HttpNfcLeaseProgressResponse)
	return body
}

// HttpNfcLeaseComplete ends the lease (state done).
func (l *testExtExportLease) HttpNfcLeaseComplete(req *types.HttpNfcLeaseComplete) soap.HasFault {
	body := new(methods.HttpNfcLeaseCompleteBody)
	if l.ended() {
		body.Fault_ = simulator.Fault("the lease has ended", &types.InvalidState{})
		return body
	}
	simulator.Map.Update(l, []types.PropertyChange{{Name: "state", Val: types.HttpNfcLeaseStateDone}})
	fmt.Fprintf(os.Stderr, "vcsim: TEST EXTENSION: export lease %s completed\n", l.Self.Value)
	body.Res = new(types.HttpNfcLeaseCompleteResponse)
	return body
}

// HttpNfcLeaseAbort ends the lease in state error.
func (l *testExtExportLease) HttpNfcLeaseAbort(req *types.HttpNfcLeaseAbort) soap.HasFault {
	body := new(methods.HttpNfcLeaseAbortBody)
	if l.ended() {
		body.Fault_ = simulator.Fault("the lease has ended", &types.InvalidState{})
		return body
	}
	fault := req.Fault
	if fault == nil {
		fault = &types.LocalizedMethodFault{Fault: &types.RequestCanceled{}, LocalizedMessage: "aborted"}
	}
	simulator.Map.Update(l, []types.PropertyChange{
		{Name: "state", Val: types.HttpNfcLeaseStateError},
		{Name: "error", Val: fault},
	})
	fmt.Fprintf(os.Stderr, "vcsim: TEST EXTENSION: export lease %s aborted\n", l.Self.Value)
	body.Res = new(types.HttpNfcLeaseAbortResponse)
	return body
}
