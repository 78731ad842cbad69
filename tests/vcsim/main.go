// Command vcsim starts govmomi's vSphere simulator (vcsim, Debian's
// golang-github-vmware-govmomi-dev 0.24.2) for vnest's tests, plus one TEST
// EXTENSION that vcsim lacks: HostNetworkSystem.UpdatePortGroup (ext.go),
// VirtualMachine.ExportVm with a simulated export lease (export_ext.go), and
// an opt-in one, -ext-guestops DIR: simulated guest operations (VMware Tools)
// on a simulated ESXi root per VM (guestops.go).
//
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build (tests/vcsim/build.sh).
//
// On start it prints exactly one line on stdout, the SDK URL it serves
// (e.g. "https://127.0.0.1:43211/sdk", without credentials), then serves until
// SIGTERM or SIGINT, when it closes the listener, removes its temporary
// datastore folders (under $TMPDIR) and exits 0. Diagnostics go to stderr.
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "vcsim: "+format+"\n", args...)
	os.Exit(2)
}

func main() {
	addr := flag.String("l", "127.0.0.1:0", "listen address (port 0: pick a free one)")
	userPass := flag.String("u", "", "user:pass that Login requires (empty: vcsim accepts any non-empty pair)")
	useTLS := flag.Bool("tls", false, "serve https")
	certFile := flag.String("cert", "", "PEM certificate for -tls (default: Go's 1024-bit test certificate, which OpenSSL 3 refuses)")
	keyFile := flag.String("key", "", "PEM private key for -cert")
	apiVersion := flag.String("api-version", "", "about.apiVersion, also /sdk/vimServiceVersions.xml (vcsim default 6.5)")
	productVersion := flag.String("product-version", "", "about.version, also the default DVS productInfo.version (vcsim default 6.5.0)")
	esx := flag.Bool("esx", false, "standalone ESXi model (ha-* managed object ids) instead of vCenter")
	hosts := flag.Int("host", 1, "standalone hosts per datacenter (vCenter model)")
	clusterHosts := flag.Int("cluster-host", 3, "hosts in the cluster (vCenter model; 0: no cluster)")
	vms := flag.Int("vm", 2, "VMs per host / cluster resource pool")
	idle := flag.Duration("idle", 0, "session idle timeout, e.g. 3s (0: sessions never expire)")
	delayMs := flag.Int("delay-ms", 0, "delay every SOAP reply by this many milliseconds")
	methodDelay := flag.String("method-delay", "", "extra per-method delay, e.g. CloneVM_Task=200,CreateVM_Task=500 (ms)")
	record := flag.String("record", "", "write every SOAP request body to DIR/NNNNN-Method.req.xml (for ordercheck)")
	trace := flag.Bool("trace", false, "trace SOAP requests and replies to stderr")
	withParent := flag.Bool("exit-with-parent", false, "exit when the parent process dies (a test script killed with SIGKILL)")
	stock := flag.Bool("stock", false, "leave out the test extensions (UpdatePortGroup answers MethodNotFound, as in stock vcsim)")
	guestOpsDir := flag.String("ext-guestops", "", "TEST EXTENSION: simulate guest operations (VMware Tools) on a simulated ESXi root per VM under DIR/<moref> (guestops.go)")
	guestOpsPass := flag.String("ext-guestops-password", "vnest-guest", "the root password the simulated guests accept (with -ext-guestops)")
	guestOpsTools := flag.String("ext-guestops-tools", "*", "names (path.Match pattern) of the VMs whose simulated VMware Tools run while powered on (with -ext-guestops)")
	guestOpsMkroot := flag.String("ext-guestops-mkroot", "", "sh -c command making a missing simulated ESXi root, which it names as \"$1\" (with -ext-guestops)")
	flag.Parse()
	if flag.NArg() > 0 {
		die("unexpected argument %q", flag.Arg(0))
	}

	m := simulator.VPX()
	if *esx {
		m = simulator.ESX()
	} else {
		if *hosts < 0 || *clusterHosts < 0 || *vms < 0 {
			die("-host, -cluster-host and -vm must not be negative")
		}
		m.Host = *hosts
		m.ClusterHost = *clusterHosts
		if *clusterHosts == 0 {
			m.Cluster = 0 // vcsim 0.24.2 panics placing VMs in a host-less cluster
		}
	}
	m.Machine = *vms
	if *apiVersion != "" {
		m.ServiceContent.About.ApiVersion = *apiVersion
	}
	if *productVersion != "" {
		m.ServiceContent.About.Version = *productVersion
	}
	m.DelayConfig.Delay = *delayMs
	if *methodDelay != "" {
		m.DelayConfig.MethodDelay = map[string]int{}
		for _, kv := range strings.Split(*methodDelay, ",") {
			p := strings.SplitN(kv, "=", 2)
			ms, err := strconv.Atoi(strings.TrimSpace(p[len(p)-1]))
			if len(p) != 2 || err != nil {
				die("bad -method-delay entry %q (want Method=ms)", kv)
			}
			m.DelayConfig.MethodDelay[strings.TrimSpace(p[0])] = ms
		}
	}

	if err := m.Create(); err != nil {
		die("creating the model: %v", err)
	}
	defer m.Remove()
	simulator.SessionIdleTimeout = *idle
	if !*stock {
		addTestExtensions()
	}
	if *guestOpsDir != "" {
		if err := addGuestOps(m, *guestOpsDir, *guestOpsPass, *guestOpsTools, *guestOpsMkroot, *useTLS); err != nil {
			die("-ext-guestops: %v", err)
		}
	} else {
		flag.Visit(func(f *flag.Flag) {
			if strings.HasPrefix(f.Name, "ext-guestops-") {
				die("-%s needs -ext-guestops DIR", f.Name)
			}
		})
	}
	if *trace {
		simulator.Trace = true
		simulator.TraceFile = os.Stderr
	}

	listen := &url.URL{Host: *addr}
	if *userPass != "" {
		p := strings.SplitN(*userPass, ":", 2)
		if len(p) != 2 || p[0] == "" || p[1] == "" {
			die("-u wants user:pass")
		}
		listen.User = url.UserPassword(p[0], p[1])
	}
	m.Service.Listen = listen
	if *useTLS {
		m.Service.TLS = new(tls.Config)
		if (*certFile == "") != (*keyFile == "") {
			die("-cert and -key go together")
		}
		if *certFile != "" {
			kp, err := tls.LoadX509KeyPair(*certFile, *keyFile)
			if err != nil {
				die("loading -cert/-key: %v", err)
			}
			m.Service.TLS.Certificates = []tls.Certificate{kp}
		} else {
			fmt.Fprintln(os.Stderr, "vcsim: warning: -tls without -cert uses Go's 1024-bit test certificate; OpenSSL 3 clients refuse to verify it")
		}
	} else if *certFile != "" || *keyFile != "" {
		die("-cert/-key need -tls")
	}

	s := m.Service.NewServer()
	if !*stock {
		// TEST EXTENSION: ExportVm and its lease's disk URLs (export_ext.go).
		// Before any request: nobody knows the port yet.
		s.Config.Handler = exportExt(s.Config.Handler)
	}
	if *record != "" {
		if err := os.MkdirAll(*record, 0o755); err != nil {
			die("-record: %v", err)
		}
		// Nobody knows the port before the URL is printed below, so no
		// request is in flight while the handler is swapped.
		s.Config.Handler = recorder(*record, s.Config.Handler)
	}

	u := *s.URL
	u.User = nil
	fmt.Println(u.String())
	_ = os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if *withParent {
		go watchParent(sig)
	}
	<-sig
	signal.Stop(sig)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second): // a client holding a request open
		fmt.Fprintln(os.Stderr, "vcsim: requests still open after 5 s; exiting anyway")
	}
}

// watchParent posts SIGTERM on sig once this process is re-parented, that
// is once the process that started it has gone.
func watchParent(sig chan<- os.Signal) {
	ppid := os.Getppid()
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != ppid {
			fmt.Fprintln(os.Stderr, "vcsim: parent process gone; exiting")
			sig <- syscall.SIGTERM
			return
		}
	}
}

var methodRE = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?Body\b[^>]*>\s*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w]*)`)

// recorder saves each POSTed SOAP body before vcsim handles it.
func recorder(dir string, next http.Handler) http.Handler {
	var n int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Body != nil {
			body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
			if err == nil {
				method := "unknown"
				if mm := methodRE.FindSubmatch(body); mm != nil {
					method = string(mm[1])
				}
				name := fmt.Sprintf("%05d-%s.req.xml", atomic.AddInt64(&n, 1), method)
				if werr := os.WriteFile(filepath.Join(dir, name), body, 0o644); werr != nil {
					fmt.Fprintf(os.Stderr, "vcsim: -record: %v\n", werr)
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}
