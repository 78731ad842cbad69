/* Tests for vn_probe. Each sim_* test builds a simulated machine: a mkdtemp
 * folder holding the proc/sys/dev files the probe reads, written the way the
 * kernel writes them on that kind of machine. One test probes the real
 * machine ("/") and checks the answers against /proc/cpuinfo read here. */
#define TH_SUITE "probe"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_probe.h"

/* ---- simulated roots --------------------------------------------------- */

typedef struct sim {
    char root[64];
} sim;

static int sim_new(sim *s)
{
    snprintf(s->root, sizeof(s->root), "/tmp/vnest-probe-sim-XXXXXX");
    if (!mkdtemp(s->root))
        return -1;
    /* Readable by everyone: the permission test probes it as "nobody". */
    return chmod(s->root, 0755);
}

/* Writes root/rel, creating the folders on the way (mkdir -p). */
static int sim_write(const sim *s, const char *rel, const char *text, int mode)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", s->root, rel);
    for (char *q = path + strlen(s->root) + 1; (q = strchr(q, '/')) != NULL; q++) {
        *q = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *q = '/';
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n;
    close(fd);
    return (ok && chmod(path, (mode_t)mode) == 0) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void sim_free(sim *s)
{
    nftw(s->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A cpuinfo text for `n` logical CPUs, each with the same block, as Linux
 * prints it on x86 (tab-aligned keys, blank line between CPUs). */
static char *cpuinfo_text(int n, const char *vendor, const char *model, const char *flags)
{
    vn_buf b = VN_BUF_INIT;
    for (int i = 0; i < n; i++)
        vn_buf_addf(&b,
                    "processor\t: %d\nvendor_id\t: %s\ncpu family\t: 6\nmodel\t\t: 85\n"
                    "model name\t: %s\nstepping\t: 4\nflags\t\t: %s\nbogomips\t: 4999.99\n"
                    "power management:\n\n",
                    i, vendor, model, flags);
    return vn_buf_detach(&b, NULL);
}

static int sim_cpuinfo(const sim *s, int n, const char *vendor, const char *model,
                       const char *flags)
{
    char *text = cpuinfo_text(n, vendor, model, flags);
    int rc = sim_write(s, "proc/cpuinfo", text, 0444);
    free(text);
    return rc;
}

#define INTEL_FLAGS_BASE                                                                           \
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge sse sse2 ht syscall nx lm"
#define AMD_FLAGS_BASE                                                                             \
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge sse sse2 ht syscall nx lm"

static int contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* ---- simulated machines ------------------------------------------------ */

TEST(sim_bare_metal_intel_vmx_nested_Y)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 4, "GenuineIntel", "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz",
                      INTEL_FLAGS_BASE " vmx est tm2 ssse3 avx2") == 0);
    CHECK(sim_write(&s, "sys/module/kvm_intel/parameters/nested", "Y\n", 0444) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/sys_vendor", "Dell Inc.\n", 0444) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/product_name", "PowerEdge R740\n", 0444) == 0);
    CHECK(sim_write(&s, "dev/kvm", "", 0666) == 0);

    vn_probe p;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_probe_run(&p, s.root, &err), VN_OK);
    CHECK_INT(p.cpuinfo_read, 1);
    CHECK_STR(p.cpu_vendor, "GenuineIntel");
    CHECK_STR(p.cpu_model, "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz");
    CHECK_INT(p.cpu_count, 4);
    CHECK_INT(p.has_vmx, 1);
    CHECK_INT(p.has_svm, 0);
    CHECK_INT(p.has_hypervisor_flag, 0);
    CHECK_INT(p.is_vm, VN_NO);
    CHECK_STR(p.hypervisor, "");
    CHECK_STR(p.dmi_vendor, "Dell Inc.");
    CHECK_STR(p.dmi_product, "PowerEdge R740");
    CHECK_INT(p.kvm_device, 1);
    CHECK_INT(p.kvm_usable, 1);
    CHECK_STR(p.kvm_reason, "");
    CHECK_INT(p.kvm_nested, VN_YES);
    CHECK_STR(p.kvm_module, "kvm_intel");
    CHECK_INT(p.can_nest, VN_YES);
    CHECK_STR(p.verdict, "VT-x is available (bare metal)");
    sim_free(&s);
}

TEST(sim_kvm_guest_no_vtx)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 2, "GenuineIntel", "Intel Core Processor (Skylake, IBRS)",
                      INTEL_FLAGS_BASE " hypervisor lahf_lm") == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/sys_vendor", "QEMU\n", 0444) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n",
                    0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.cpu_count, 2);
    CHECK_INT(p.has_vmx, 0);
    CHECK_INT(p.has_svm, 0);
    CHECK_INT(p.has_hypervisor_flag, 1);
    CHECK_INT(p.is_vm, VN_YES);
    CHECK_STR(p.hypervisor, "QEMU");
    CHECK_INT(p.kvm_device, 0);
    CHECK_INT(p.kvm_usable, 0);
    CHECK_STR(p.kvm_reason, "absent");
    CHECK_INT(p.kvm_nested, VN_UNKNOWN);
    CHECK_STR(p.kvm_module, "");
    CHECK_INT(p.can_nest, VN_NO);
    CHECK(contains(p.verdict, "this machine is a QEMU virtual machine whose hypervisor does not "
                              "expose VT-x/AMD-V: nested hypervisors (ESXi, KVM) cannot run here"));
    CHECK(contains(p.verdict, "nested=1"));
    CHECK(contains(p.verdict, "host-passthrough"));
    sim_free(&s);
}

TEST(sim_vmware_guest_vtx_exposed)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 8, "GenuineIntel", "Intel(R) Xeon(R) Silver 4214R CPU @ 2.40GHz",
                      INTEL_FLAGS_BASE " vmx hypervisor ssse3") == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/sys_vendor", "VMware, Inc.\n", 0444) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/product_name", "VMware7,1\n", 0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.cpu_count, 8);
    CHECK_INT(p.has_vmx, 1);
    CHECK_INT(p.is_vm, VN_YES);
    CHECK_STR(p.hypervisor, "VMware");
    CHECK_INT(p.can_nest, VN_YES);
    CHECK_STR(p.verdict,
              "VT-x is exposed by the VMware hypervisor: nested hypervisors can run here");
    sim_free(&s);
}

TEST(sim_amd_svm_kvm_amd_nested_0)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 16, "AuthenticAMD", "AMD EPYC 7302P 16-Core Processor",
                      AMD_FLAGS_BASE " svm extapic cr8_legacy abm sse4a") == 0);
    CHECK(sim_write(&s, "sys/module/kvm_amd/parameters/nested", "0\n", 0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_STR(p.cpu_vendor, "AuthenticAMD");
    CHECK_INT(p.cpu_count, 16);
    CHECK_INT(p.has_vmx, 0);
    CHECK_INT(p.has_svm, 1);
    CHECK_INT(p.is_vm, VN_NO);
    CHECK_INT(p.kvm_nested, VN_NO);
    CHECK_STR(p.kvm_module, "kvm_amd");
    CHECK_INT(p.can_nest, VN_YES);
    CHECK(strncmp(p.verdict, "AMD-V is available (bare metal)", 31) == 0);
    CHECK(contains(p.verdict, "kvm_amd is loaded with nested=1"));
    sim_free(&s);
}

TEST(sim_hyperv_guest_no_vtx)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 2, "GenuineIntel", "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz",
                      INTEL_FLAGS_BASE " hypervisor lahf_lm") == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/sys_vendor", "Microsoft Corporation\n", 0444) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/product_name", "Virtual Machine\n", 0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.is_vm, VN_YES);
    CHECK_STR(p.hypervisor, "Microsoft Hyper-V");
    CHECK_INT(p.can_nest, VN_NO);
    CHECK(contains(p.verdict, "a Microsoft Hyper-V virtual machine whose hypervisor does not"));
    CHECK(contains(p.verdict, "-ExposeVirtualizationExtensions $true"));
    sim_free(&s);
}

TEST(sim_empty_root_all_unknown)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    vn_probe p;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_probe_run(&p, s.root, &err), VN_OK);
    CHECK_INT(err.code, VN_OK);
    CHECK_INT(p.cpuinfo_read, 0);
    CHECK_STR(p.cpu_vendor, "");
    CHECK_STR(p.cpu_model, "");
    CHECK_INT(p.cpu_count, 0);
    CHECK_INT(p.has_vmx, 0);
    CHECK_INT(p.has_svm, 0);
    CHECK_INT(p.is_vm, VN_UNKNOWN);
    CHECK_STR(p.hypervisor, "");
    CHECK_STR(p.dmi_vendor, "");
    CHECK_INT(p.kvm_device, 0);
    CHECK_INT(p.kvm_usable, 0);
    CHECK_STR(p.kvm_reason, "absent");
    CHECK_INT(p.kvm_nested, VN_UNKNOWN);
    CHECK_STR(p.kvm_module, "");
    CHECK_INT(p.can_nest, VN_NO);
    CHECK(contains(p.verdict, "cpuinfo is unreadable"));
    sim_free(&s);
}

/* A root that does not exist at all is the same: nothing known, no error. */
TEST(sim_missing_root_all_unknown)
{
    vn_probe p;
    CHECK_INT(vn_probe_run(&p, "/nonexistent/vnest-probe-sim", NULL), VN_OK);
    CHECK_INT(p.cpuinfo_read, 0);
    CHECK_INT(p.can_nest, VN_NO);
    CHECK_STR(p.kvm_reason, "absent");
}

TEST(sim_xen_guest_no_vtx)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 1, "GenuineIntel", "Intel(R) Xeon(R) CPU E5-2676 v3 @ 2.40GHz",
                      INTEL_FLAGS_BASE " hypervisor") == 0);
    CHECK(sim_write(&s, "sys/hypervisor/type", "xen\n", 0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.is_vm, VN_YES);
    CHECK_STR(p.hypervisor, "Xen");
    CHECK_INT(p.can_nest, VN_NO);
    CHECK(contains(p.verdict, "nestedhvm=1"));
    sim_free(&s);
}

/* Cloud guests: the fix is a choice of instance, not a hypervisor setting. */
TEST(sim_ec2_guest_no_vtx)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 2, "GenuineIntel", "Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz",
                      INTEL_FLAGS_BASE " hypervisor") == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/sys_vendor", "Amazon EC2\n", 0444) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/product_name", "m5.large\n", 0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_STR(p.hypervisor, "Amazon EC2");
    CHECK_INT(p.can_nest, VN_NO);
    CHECK(contains(p.verdict, "this machine is an Amazon EC2 virtual machine"));
    CHECK(contains(p.verdict, "*.metal"));
    sim_free(&s);
}

/* EC2 bare metal carries the same DMI vendor as its VMs but is no VM. */
TEST(sim_ec2_metal_is_bare_metal)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 2, "GenuineIntel", "Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz",
                      INTEL_FLAGS_BASE " vmx") == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/sys_vendor", "Amazon EC2\n", 0444) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/product_name", "m5.metal\n", 0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.is_vm, VN_NO);
    CHECK_STR(p.hypervisor, "");
    CHECK_INT(p.can_nest, VN_YES);
    CHECK_STR(p.verdict, "VT-x is available (bare metal)");
    sim_free(&s);
}

/* A Surface laptop shares Hyper-V's DMI vendor; with VT-x off in firmware it
 * must get the firmware advice, not Hyper-V's. */
TEST(sim_surface_laptop_vtx_off)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 4, "GenuineIntel", "Intel(R) Core(TM) i7-1065G7 CPU @ 1.30GHz",
                      INTEL_FLAGS_BASE) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/sys_vendor", "Microsoft Corporation\n", 0444) == 0);
    CHECK(sim_write(&s, "sys/class/dmi/id/product_name", "Surface Pro 7\n", 0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.is_vm, VN_NO);
    CHECK_STR(p.hypervisor, "");
    CHECK_INT(p.can_nest, VN_NO);
    CHECK(contains(p.verdict, "(bare metal)"));
    CHECK(contains(p.verdict, "firmware"));
    sim_free(&s);
}

/* An arm64 cpuinfo has no "flags" line: whether it is a VM stays unknown. */
TEST(sim_arm64_no_flags_line)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_write(&s, "proc/cpuinfo",
                    "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes\n"
                    "CPU implementer\t: 0x41\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n",
                    0444) == 0);

    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.cpuinfo_read, 1);
    CHECK_INT(p.cpu_count, 2);
    CHECK_INT(p.is_vm, VN_UNKNOWN);
    CHECK_INT(p.can_nest, VN_NO);
    CHECK(contains(p.verdict, "x86"));
    sim_free(&s);
}

/* /dev/kvm readable only by root: an ordinary user is told why. Run as root,
 * the probe happens in a child that has become "nobody". */
TEST(sim_kvm_permission_denied)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_write(&s, "dev/kvm", "", 0600) == 0);

    int fds[2];
    if (pipe(fds) != 0) {
        sim_free(&s);
        SKIP("cannot create a pipe");
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(2);
        vn_probe p;
        vn_probe_run(&p, s.root, NULL);
        char line[256];
        int n = snprintf(line, sizeof(line), "%d %d %s", p.kvm_device, p.kvm_usable, p.kvm_reason);
        _exit(write(fds[1], line, (size_t)n) == n ? 0 : 3);
    }
    close(fds[1]);
    char got[256] = "";
    ssize_t n = pid > 0 ? read(fds[0], got, sizeof(got) - 1) : -1;
    close(fds[0]);
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    sim_free(&s);
    if (pid < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 2))
        SKIP("cannot run the probe as an unprivileged user");
    CHECK(n > 0);
    got[n > 0 ? n : 0] = '\0';
    CHECK_STR(got, "1 0 permission denied");
}

/* Any other open failure is reported with the system's own words. */
TEST(sim_kvm_is_a_folder)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_write(&s, "dev/kvm/x", "", 0644) == 0);
    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.kvm_device, 1);
    CHECK_INT(p.kvm_usable, 0);
    CHECK_STR(p.kvm_reason, strerror(EISDIR));
    sim_free(&s);
}

/* A nested value other than Y/N/1/0 leaves the answer unknown but still
 * names the module that is loaded. */
TEST(sim_kvm_nested_odd_value)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_write(&s, "sys/module/kvm_intel/parameters/nested", "maybe\n", 0444) == 0);
    vn_probe p;
    CHECK_INT(vn_probe_run(&p, s.root, NULL), VN_OK);
    CHECK_INT(p.kvm_nested, VN_UNKNOWN);
    CHECK_STR(p.kvm_module, "kvm_intel");
    sim_free(&s);
}

/* "ROOT/" and "ROOT" give the same answers. */
TEST(sim_root_trailing_slash)
{
    sim s;
    if (sim_new(&s) != 0)
        SKIP("cannot create a temporary folder");
    CHECK(sim_cpuinfo(&s, 3, "GenuineIntel", "X", INTEL_FLAGS_BASE " vmx") == 0);
    char slashed[80];
    snprintf(slashed, sizeof(slashed), "%s//", s.root);
    vn_probe a, b;
    CHECK_INT(vn_probe_run(&a, s.root, NULL), VN_OK);
    CHECK_INT(vn_probe_run(&b, slashed, NULL), VN_OK);
    CHECK_INT(b.cpu_count, 3);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    sim_free(&s);
}

TEST(run_null_probe_is_input_error)
{
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_probe_run(NULL, "/", &err), VN_EINPUT);
    CHECK_INT(err.code, VN_EINPUT);
}

/* ---- the cpuinfo parser on its own ------------------------------------- */

TEST(parse_whole_words_only)
{
    vn_probe p;
    memset(&p, 0, sizeof(p));
    /* "vmx flags" is a separate line in newer kernels; "svm_lock" and
     * "hypervisorx" are not the flags looked for. */
    const char *t = "flags\t: fpu vmxx svm_lock hypervisorx\nvmx flags\t: vnmi ept\n";
    CHECK_INT(vn_probe_parse_cpuinfo(&p, t, strlen(t)), 1);
    CHECK_INT(p.has_vmx, 0);
    CHECK_INT(p.has_svm, 0);
    CHECK_INT(p.has_hypervisor_flag, 0);
    const char *u = "flags\t: vmx\r\nflags: svm hypervisor";
    CHECK_INT(vn_probe_parse_cpuinfo(&p, u, strlen(u)), 1);
    CHECK_INT(p.has_vmx, 1);
    CHECK_INT(p.has_svm, 1);
    CHECK_INT(p.has_hypervisor_flag, 1);
}

TEST(parse_odd_bytes_and_lengths)
{
    vn_probe p;
    memset(&p, 0, sizeof(p));
    /* An embedded NUL and control bytes must neither stop the parse nor
     * reach the fields; a too-long model name is cut, not overflowed. */
    char t[600];
    size_t n = 0;
    n += (size_t)snprintf(t + n, sizeof(t) - n, "vendor_id : Genu\x01ne\nmodel name : ");
    memset(t + n, 'M', 300);
    n += 300;
    t[n++] = '\n';
    t[n++] = '\0';
    n += (size_t)snprintf(t + n, sizeof(t) - n, "\nprocessor : 0\nflags : svm");
    CHECK_INT(vn_probe_parse_cpuinfo(&p, t, n), 1);
    CHECK_STR(p.cpu_vendor, "Genu?ne");
    CHECK_INT(strlen(p.cpu_model), sizeof(p.cpu_model) - 1);
    CHECK_INT(p.cpu_count, 1);
    CHECK_INT(p.has_svm, 1);
    CHECK_INT(vn_probe_parse_cpuinfo(&p, "", 0), 0);
    CHECK_INT(p.has_svm, 0);
    CHECK_STR(p.cpu_vendor, "");
}

/* ---- the real machine ---------------------------------------------------- */

/* This machine's answers, read independently of the probe. */
typedef struct real_cpu {
    int read_ok, cpus, vmx, svm, hyp;
    char vendor[32];
} real_cpu;

static void has_word(const char *flags, real_cpu *r)
{
    char *copy = strdup(flags), *save = NULL;
    for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        r->vmx |= strcmp(w, "vmx") == 0;
        r->svm |= strcmp(w, "svm") == 0;
        r->hyp |= strcmp(w, "hypervisor") == 0;
    }
    free(copy);
}

static void read_real_cpuinfo(real_cpu *r)
{
    memset(r, 0, sizeof(*r));
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    r->read_ok = 1;
    char line[8192];
    int flags_done = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "processor", 9) == 0 && (line[9] == '\t' || line[9] == ' '))
            r->cpus++;
        else if (!r->vendor[0] && sscanf(line, "vendor_id : %31s", r->vendor) == 1)
            continue;
        else if (!flags_done && strncmp(line, "flags", 5) == 0 && strspn(line + 5, " \t") > 0 &&
                 strchr(line, ':')) {
            has_word(strchr(line, ':') + 1, r);
            flags_done = 1;
        }
    }
    fclose(f);
}

TEST(real_machine)
{
    real_cpu r;
    read_real_cpuinfo(&r);
    if (!r.read_ok)
        SKIP("/proc/cpuinfo is not readable here");

    vn_probe p;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_probe_run(&p, "/", &err), VN_OK);
    CHECK_INT(p.cpuinfo_read, 1);
    CHECK_INT(p.cpu_count, r.cpus);
    CHECK_STR(p.cpu_vendor, r.vendor);
    CHECK_INT(p.has_vmx, r.vmx);
    CHECK_INT(p.has_svm, r.svm);
    CHECK_INT(p.has_hypervisor_flag, r.hyp);
    CHECK_INT(p.kvm_device, access("/dev/kvm", F_OK) == 0);
    CHECK(p.verdict[0] != '\0');
    CHECK_INT(p.can_nest, (r.vmx || r.svm) ? VN_YES : VN_NO);
    if (r.hyp) {
        /* A VM: the CPU's own hypervisor bit says so, whatever DMI says. */
        CHECK_INT(p.is_vm, VN_YES);
        if (!r.vmx && !r.svm)
            CHECK(contains(p.verdict, "whose hypervisor does not expose VT-x/AMD-V"));
    }
    if (!r.vmx && !r.svm)
        CHECK(contains(p.verdict, "cannot run here"));
}

int main(void)
{
    RUN(sim_bare_metal_intel_vmx_nested_Y);
    RUN(sim_kvm_guest_no_vtx);
    RUN(sim_vmware_guest_vtx_exposed);
    RUN(sim_amd_svm_kvm_amd_nested_0);
    RUN(sim_hyperv_guest_no_vtx);
    RUN(sim_empty_root_all_unknown);
    RUN(sim_missing_root_all_unknown);
    RUN(sim_xen_guest_no_vtx);
    RUN(sim_ec2_guest_no_vtx);
    RUN(sim_ec2_metal_is_bare_metal);
    RUN(sim_surface_laptop_vtx_off);
    RUN(sim_arm64_no_flags_line);
    RUN(sim_kvm_permission_denied);
    RUN(sim_kvm_is_a_folder);
    RUN(sim_kvm_nested_odd_value);
    RUN(sim_root_trailing_slash);
    RUN(run_null_probe_is_input_error);
    RUN(parse_whole_words_only);
    RUN(parse_odd_bytes_and_lengths);
    RUN(real_machine);
    TH_EXIT();
}
