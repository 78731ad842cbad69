/* vn_probe: can the machine vnest runs on host a nested hypervisor (S18)?
 *
 * Every fact comes from a file under `root` so that tests can hand in a
 * simulated machine; only the CPUID question needs the real CPU and is asked
 * only when root is the real "/". A missing or unreadable file never fails
 * the probe: it just leaves that fact unknown, because a probe that refuses
 * to answer on an odd machine is worse than one that says "unknown". */
#include "vn_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "vn_buf.h"

/* /proc/cpuinfo of a 1024-CPU machine is about 1.5 MiB; anything far larger
 * is not a cpuinfo file and is not worth holding in memory. */
#define PROBE_MAX_FILE (16u * 1024u * 1024u)

/* ---- small text helpers ------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Copies n bytes into a fixed field, truncating, with control and non-ASCII
 * bytes replaced by '?': these strings come from files anyone may have
 * written (a VM's DMI is chosen by its owner) and end up on a terminal. */
static void set_field(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[n] = '\0';
}

static void set_str(char *dst, size_t cap, const char *src)
{
    set_field(dst, cap, src, strlen(src));
}

/* Does [s, s+n) equal the C string `word`? */
static int span_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* ---- /proc/cpuinfo ----------------------------------------------------- */

/* Looks at each blank-separated word of a "flags" value; only whole words
 * count, so "vmx" does not match inside "vmx_ept" style names. */
static void scan_flags(vn_probe *p, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && is_space(s[i]))
            i++;
        size_t start = i;
        while (i < n && !is_space(s[i]))
            i++;
        const char *w = s + start;
        size_t wn = i - start;
        if (span_is(w, wn, "vmx"))
            p->has_vmx = 1;
        else if (span_is(w, wn, "svm"))
            p->has_svm = 1;
        else if (span_is(w, wn, "hypervisor"))
            p->has_hypervisor_flag = 1;
    }
}

/* Handles one "key<tabs>: value" line. Returns 1 for a flags line. */
static int parse_cpuinfo_line(vn_probe *p, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return 0; /* blank separators between CPUs, or junk */
    size_t kn = (size_t)(colon - s);
    while (kn > 0 && is_space(s[kn - 1]))
        kn--;
    const char *v = colon + 1;
    size_t vn = n - (size_t)(v - s);
    while (vn > 0 && is_space(*v)) {
        v++;
        vn--;
    }
    while (vn > 0 && is_space(v[vn - 1]))
        vn--;

    if (span_is(s, kn, "processor")) {
        if (p->cpu_count < INT_MAX)
            p->cpu_count++;
    } else if (span_is(s, kn, "vendor_id")) {
        if (!p->cpu_vendor[0]) /* every CPU repeats it; the first is enough */
            set_field(p->cpu_vendor, sizeof(p->cpu_vendor), v, vn);
    } else if (span_is(s, kn, "model name")) {
        if (!p->cpu_model[0])
            set_field(p->cpu_model, sizeof(p->cpu_model), v, vn);
    } else if (span_is(s, kn, "flags")) {
        /* Union over CPUs: the kernel prints the same flags for each, and a
         * flag seen on any CPU is still a flag the machine has. */
        scan_flags(p, v, vn);
        return 1;
    }
    return 0;
}

int vn_probe_parse_cpuinfo(vn_probe *p, const char *text, size_t len)
{
    p->cpu_vendor[0] = '\0';
    p->cpu_model[0] = '\0';
    p->cpu_count = 0;
    p->has_vmx = 0;
    p->has_svm = 0;
    p->has_hypervisor_flag = 0;

    int saw_flags = 0;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (parse_cpuinfo_line(p, text + i, end - i))
            saw_flags = 1;
        i = end + 1;
    }
    return saw_flags;
}

/* ---- reading files under root ------------------------------------------ */

/* root + "/" + rel, with root's trailing slashes dropped so "/" and "/tmp/x/"
 * both give clean paths. */
static void make_path(vn_buf *out, const char *root, const char *rel)
{
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    vn_buf_reset(out);
    vn_buf_add(out, root, n);
    vn_buf_addc(out, '/');
    vn_buf_adds(out, rel);
}

/* Reads a regular file whole (proc and sysfs files report size 0, so it reads
 * until EOF rather than trusting st_size). Anything else (absent, a folder,
 * a FIFO that could block forever, too big) is -1: "fact unknown". */
static int read_file_under(const char *root, const char *rel, vn_buf *out)
{
    vn_buf path = VN_BUF_INIT;
    make_path(&path, root, rel);
    int fd = open(path.data, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    vn_buf_free(&path);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    vn_buf_reset(out);
    vn_buf_add(out, "", 0); /* so out->data is "" even for an empty file */
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || out->len + (size_t)n > PROBE_MAX_FILE) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        vn_buf_add(out, chunk, (size_t)n);
    }
    close(fd);
    return 0;
}

/* One-line sysfs value with surrounding whitespace (the newline) removed,
 * into a fixed field. Returns -1 (and leaves "") when unreadable. */
static int read_line_under(const char *root, const char *rel, char *dst, size_t cap)
{
    dst[0] = '\0';
    vn_buf b = VN_BUF_INIT;
    if (read_file_under(root, rel, &b) != 0) {
        vn_buf_free(&b);
        return -1;
    }
    const char *s = b.data;
    size_t n = b.len;
    while (n > 0 && is_space(*s)) {
        s++;
        n--;
    }
    const char *nl = memchr(s, '\n', n);
    if (nl)
        n = (size_t)(nl - s);
    while (n > 0 && is_space(s[n - 1]))
        n--;
    set_field(dst, cap, s, n);
    vn_buf_free(&b);
    return 0;
}

static void probe_cpuinfo(vn_probe *p, const char *root)
{
    vn_buf b = VN_BUF_INIT;
    if (read_file_under(root, "proc/cpuinfo", &b) == 0) {
        p->cpuinfo_read = 1;
        /* Without a flags line the flag fields are guesses, so bare metal
         * cannot be concluded from a missing "hypervisor" word. */
        if (vn_probe_parse_cpuinfo(p, b.data, b.len))
            p->is_vm = p->has_hypervisor_flag ? VN_YES : VN_NO;
    }
    vn_buf_free(&b);
}

/* ---- who is the hypervisor? -------------------------------------------- */

/* DMI names the machine's maker, which for a VM is its hypervisor or cloud.
 * Some clouds sell bare metal under the same vendor string (EC2 "*.metal"),
 * so those entries also look at the product name. */
static void probe_dmi(vn_probe *p, const char *root)
{
    read_line_under(root, "sys/class/dmi/id/sys_vendor", p->dmi_vendor, sizeof(p->dmi_vendor));
    read_line_under(root, "sys/class/dmi/id/product_name", p->dmi_product, sizeof(p->dmi_product));
    const char *v = p->dmi_vendor, *prod = p->dmi_product;
    const char *name = NULL;

    if (strcmp(v, "QEMU") == 0)
        name = "QEMU"; /* KVM or pure emulation: CPUID tells them apart */
    else if (strcmp(v, "VMware, Inc.") == 0)
        name = "VMware";
    else if (strcmp(v, "Microsoft Corporation") == 0 && strcmp(prod, "Virtual Machine") == 0)
        name = "Microsoft Hyper-V"; /* Surface laptops share the vendor */
    else if (strcmp(v, "Xen") == 0)
        name = "Xen";
    else if (strcmp(v, "innotek GmbH") == 0 || strcmp(prod, "VirtualBox") == 0)
        name = "VirtualBox";
    else if (strncmp(v, "Parallels", 9) == 0)
        name = "Parallels";
    else if (strcmp(v, "Amazon EC2") == 0 && !strstr(prod, ".metal"))
        name = "Amazon EC2";
    else if (strcmp(v, "Google") == 0 && strcmp(prod, "Google Compute Engine") == 0)
        name = "Google Compute Engine";

    if (name) {
        set_str(p->hypervisor, sizeof(p->hypervisor), name);
        p->is_vm = VN_YES;
    }
}

/* /sys/hypervisor/type exists under Xen (domU and dom0 alike). */
static void probe_sys_hypervisor(vn_probe *p, const char *root)
{
    char type[32];
    if (read_line_under(root, "sys/hypervisor/type", type, sizeof(type)) == 0 &&
        strcmp(type, "xen") == 0) {
        set_str(p->hypervisor, sizeof(p->hypervisor), "Xen");
        p->is_vm = VN_YES;
    }
}

#if defined(__x86_64__) || defined(__i386__)
static const struct {
    char sig[13];
    const char *name;
} cpuid_sigs[] = {
    {"KVMKVMKVM\0\0\0", "KVM"},
    {"VMwareVMware", "VMware"},
    {"Microsoft Hv", "Microsoft Hyper-V"},
    {"XenVMMXenVMM", "Xen"},
    {"TCGTCGTCGTCG", "QEMU TCG"},
    {"VBoxVBoxVBox", "VirtualBox"},
    {" lrpepyh  vr", "Parallels"},
    {"bhyve bhyve ", "bhyve"},
};

/* The 12-byte vendor signature a hypervisor returns for `leaf`, mapped to a
 * name, or NULL when it is not one we know (including random data from a
 * hypervisor that does not implement the leaf). */
static const char *cpuid_sig_name(unsigned leaf)
{
    unsigned a, b, c, d;
    __cpuid(leaf, a, b, c, d);
    (void)a;
    char sig[12];
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &c, 4);
    memcpy(sig + 8, &d, 4);
    for (size_t i = 0; i < sizeof(cpuid_sigs) / sizeof(cpuid_sigs[0]); i++)
        if (memcmp(sig, cpuid_sigs[i].sig, 12) == 0)
            return cpuid_sigs[i].name;
    return NULL;
}

/* Asks the CPU directly. The hypervisor bit (leaf 1, ECX bit 31) is what the
 * kernel's "hypervisor" flag reports; the hypervisor leaves are only
 * meaningful when it is set, otherwise they echo unrelated basic leaves. */
static const char *cpuid_hypervisor(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31)))
        return NULL;
    const char *name = cpuid_sig_name(0x40000000u);
    /* KVM and Xen offering Hyper-V enlightenments (for Windows guests) show
     * "Microsoft Hv" first and their own signature at 0x40000100. */
    if (name && strcmp(name, "Microsoft Hyper-V") == 0) {
        const char *real = cpuid_sig_name(0x40000100u);
        if (real)
            name = real;
    }
    return name ? name : "";
}
#endif

static void probe_cpuid(vn_probe *p)
{
#if defined(__x86_64__) || defined(__i386__)
    const char *name = cpuid_hypervisor();
    if (!name)
        return;
    p->is_vm = VN_YES;
    /* VirtualBox may present a KVM or Hyper-V paravirt interface; naming it
     * after that disguise would give the wrong fix, so its DMI name stays. */
    if (name[0] && strcmp(p->hypervisor, "VirtualBox") != 0)
        set_str(p->hypervisor, sizeof(p->hypervisor), name);
#else
    (void)p;
#endif
}

/* ---- KVM ---------------------------------------------------------------- */

static void probe_kvm_device(vn_probe *p, const char *root)
{
    vn_buf path = VN_BUF_INIT;
    make_path(&path, root, "dev/kvm");
    struct stat st;
    if (stat(path.data, &st) != 0) {
        int e = errno;
        set_str(p->kvm_reason, sizeof(p->kvm_reason), e == ENOENT ? "absent" : strerror(e));
        vn_buf_free(&path);
        return;
    }
    p->kvm_device = 1;
    /* Opening is the only honest test: group membership, ACLs and SELinux
     * all decide, and opening /dev/kvm has no side effect. */
    int fd = open(path.data, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        p->kvm_usable = 1;
        close(fd);
    } else {
        int e = errno;
        set_str(p->kvm_reason, sizeof(p->kvm_reason),
                (e == EACCES || e == EPERM) ? "permission denied" : strerror(e));
    }
    vn_buf_free(&path);
}

/* kvm_intel/kvm_amd "nested": whether KVM guests of this machine see VT-x
 * or AMD-V. The module matching the CPU vendor is tried first, as only it can
 * be the one in use. */
static void probe_kvm_nested(vn_probe *p, const char *root)
{
    static const char *const intel = "kvm_intel", *const amd = "kvm_amd";
    int amd_first = p->has_svm || strcmp(p->cpu_vendor, "AuthenticAMD") == 0;
    const char *mods[2] = {amd_first ? amd : intel, amd_first ? intel : amd};

    for (int i = 0; i < 2; i++) {
        char rel[64], val[16];
        snprintf(rel, sizeof(rel), "sys/module/%s/parameters/nested", mods[i]);
        if (read_line_under(root, rel, val, sizeof(val)) != 0)
            continue;
        set_str(p->kvm_module, sizeof(p->kvm_module), mods[i]);
        /* kvm_intel prints Y/N, kvm_amd prints 1/0. */
        if (strcmp(val, "Y") == 0 || strcmp(val, "1") == 0)
            p->kvm_nested = VN_YES;
        else if (strcmp(val, "N") == 0 || strcmp(val, "0") == 0)
            p->kvm_nested = VN_NO;
        return;
    }
}

/* ---- verdict ------------------------------------------------------------ */

/* What to change on the outer host so that it passes VT-x/AMD-V through; the
 * cloud entries come first because there the user controls the instance, not
 * the hypervisor underneath it. */
static const char *outer_fix(const vn_probe *p)
{
    const char *h = p->hypervisor;
    if (strcmp(p->dmi_vendor, "Amazon EC2") == 0)
        return "choose an instance type that offers nested virtualization, or a *.metal "
               "instance";
    if (strcmp(p->dmi_vendor, "Google") == 0)
        return "turn on nested virtualization for the instance (gcloud "
               "--enable-nested-virtualization)";
    if (strcmp(h, "VMware") == 0)
        return "set vhv.enable = \"TRUE\" in the VM's .vmx (ESXi: Edit Settings > CPU > Expose "
               "hardware assisted virtualization to the guest OS)";
    if (strcmp(h, "KVM") == 0 || strcmp(h, "QEMU") == 0)
        return "load kvm_intel/kvm_amd with nested=1 on the outer host and give this VM the "
               "host-passthrough CPU model";
    if (strcmp(h, "QEMU TCG") == 0)
        return "run the VM with KVM acceleration (-accel kvm) on a host with kvm nested=1";
    if (strcmp(h, "Microsoft Hyper-V") == 0)
        return "run Set-VMProcessor -VMName NAME -ExposeVirtualizationExtensions $true on the "
               "Hyper-V host";
    if (strcmp(h, "Xen") == 0)
        return "set nestedhvm=1 in the domain configuration (HVM guests only)";
    if (strcmp(h, "VirtualBox") == 0)
        return "run VBoxManage modifyvm NAME --nested-hw-virt on";
    if (strcmp(h, "Parallels") == 0)
        return "enable Nested virtualization in the VM's CPU & Memory settings";
    return "enable nested virtualization on the outer host (vhv.enable = TRUE on ESXi, kvm "
           "nested=1 on KVM)";
}

static const char *ext_name(const vn_probe *p)
{
    return p->has_vmx ? "VT-x" : "AMD-V";
}

/* A later layer: KVM guests of this machine only see the extension when the
 * kvm module's nested parameter is on. Worth saying next to a YES. */
static void add_kvm_note(vn_buf *b, const vn_probe *p)
{
    if (p->kvm_nested == VN_NO)
        vn_buf_addf(b,
                    "; KVM guests of this machine will not see it until %s is loaded with "
                    "nested=1",
                    p->kvm_module);
}

static void decide(vn_probe *p)
{
    vn_buf b = VN_BUF_INIT;
    const char *h = p->hypervisor;

    if (!p->cpuinfo_read) {
        p->can_nest = VN_NO;
        vn_buf_adds(&b, "/proc/cpuinfo is unreadable, so there is no evidence of VT-x/AMD-V: "
                        "nested hypervisors are assumed unable to run here");
    } else if (p->has_vmx || p->has_svm) {
        p->can_nest = VN_YES;
        if (p->is_vm == VN_YES)
            vn_buf_addf(&b, "%s is exposed by the %s hypervisor: nested hypervisors can run here",
                        ext_name(p), h[0] ? h : "outer");
        else
            vn_buf_addf(&b, "%s is available (bare metal)", ext_name(p));
        add_kvm_note(&b, p);
    } else if (p->is_vm == VN_YES) {
        p->can_nest = VN_NO;
        /* "an Amazon EC2", "a KVM": the article follows the name's first letter. */
        const char *article = (h[0] && strchr("AEIOU", h[0])) ? "an" : "a";
        vn_buf_addf(&b,
                    "this machine is %s %s%svirtual machine whose hypervisor does not expose "
                    "VT-x/AMD-V: nested hypervisors (ESXi, KVM) cannot run here; to fix, with "
                    "this VM powered off (a reboot from inside it is not enough): %s",
                    article, h, h[0] ? " " : "", outer_fix(p));
    } else if (p->is_vm == VN_NO) {
        p->can_nest = VN_NO;
        vn_buf_adds(&b, "the CPU shows no VT-x/AMD-V (bare metal): nested hypervisors cannot run "
                        "here; enable Intel VT-x or AMD SVM in the firmware (BIOS/UEFI) setup");
    } else {
        p->can_nest = VN_NO;
        vn_buf_adds(&b, "/proc/cpuinfo lists no CPU flags (not an x86 machine?): nested ESXi "
                        "needs an x86 CPU with VT-x or AMD-V");
    }
    set_str(p->verdict, sizeof(p->verdict), b.data);
    vn_buf_free(&b);
}

/* ---- entry point -------------------------------------------------------- */

static int is_real_root(const char *root)
{
    while (*root == '/')
        root++;
    return *root == '\0';
}

int vn_probe_run(vn_probe *p, const char *root, vn_error *err)
{
    if (!p)
        return vn_fail(err, VN_EINPUT, NULL, "no probe result to fill (expected a vn_probe)");
    if (!root)
        root = "/";
    memset(p, 0, sizeof(*p));
    p->is_vm = VN_UNKNOWN;
    p->kvm_nested = VN_UNKNOWN;
    p->can_nest = VN_NO;

    /* Order matters for naming: later sources are more precise and win
     * (DMI, then Xen's own sysfs, then the CPU's hypervisor signature). */
    probe_cpuinfo(p, root);
    probe_dmi(p, root);
    probe_sys_hypervisor(p, root);
    if (is_real_root(root))
        probe_cpuid(p);
    probe_kvm_device(p, root);
    probe_kvm_nested(p, root);
    decide(p);
    return VN_OK;
}
