/* Unit tests for `vmx new` (lib/vn_vmxnew.c): the VM folder it creates,
 * that the result satisfies the profile, and that it never leaves half a
 * VM behind. */
#define TH_SUITE "vmxnew"
#include "harness.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_file.h"
#include "vn_profile.h"
#include "vn_profile_vmx.h"
#include "vn_release.h"
#include "vn_size.h"
#include "vn_vmx.h"
#include "vn_vmxop.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_dir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/vn_test_vmxnew_XXXXXX");
    return mkdtemp(dir) != NULL;
}

static int exists(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Entries of `dir` other than . and .., or -1 when it cannot be read. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int count_named(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, needle) != NULL;
    closedir(d);
    return n;
}

static vn_vmx *load(const char *dir, const char *name, const char *fn, int line)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s.vmx", dir, name);
    vn_vmx *vmx = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_vmx_load(path, &vmx, &err) != VN_OK)
        fail_in(fn, line, "cannot load %s: %s: %s", path, err.where, err.msg);
    return vmx;
}

#define LOAD(dir, name) load(dir, name, __func__, __LINE__)

static void expect_no_findings(const vn_vmx *vmx, const vn_release *rel, unsigned role,
                               const char *fn, int line)
{
    vn_findings f = {0};
    vn_profile_vmx_check(vmx, rel, role, &f);
    if (f.n) {
        fail_in(fn, line, "%zu finding(s) for ESXi %s as %s:", f.n, rel->name, vn_role_name(role));
        for (size_t i = 0; i < f.n; i++)
            printf("     finding: %s %s: %s -> %s\n", f.v[i].rule->id, f.v[i].key,
                   f.v[i].current ? f.v[i].current : "(null)",
                   f.v[i].wanted ? f.v[i].wanted : "(null)");
    }
    vn_findings_free(&f);
}

#define NO_FINDINGS(vmx, rel, role) expect_no_findings(vmx, rel, role, __func__, __LINE__)

TEST(new_every_release)
{
    char top[64];
    if (!make_dir(top, sizeof(top)))
        SKIP("cannot create a temporary folder");
    for (int id = 0; id < VN_ESXI_COUNT; id++) {
        const vn_release *rel = vn_release_get((vn_release_id)id);
        char dir[128];
        snprintf(dir, sizeof(dir), "%s/vm%d", top, id); /* created by new */
        vn_vm_spec spec;
        vn_vm_spec_defaults(&spec, rel, "esx01");
        CHECK_INT(spec.cpus, 2);
        CHECK_INT(spec.nics, 1);
        CHECK(spec.memory == (uint64_t)rel->min_memory_mb * VN_MIB);
        CHECK(spec.boot_disk == (id >= VN_ESXI_70 ? 32 : 8) * VN_GIB);
        vn_buf created = VN_BUF_INIT;
        vn_error err;
        vn_error_clear(&err);
        int rc = vn_vmxop_new(dir, &spec, &created, &err);
        if (rc != VN_OK) {
            FAILF("ESXi %s: %s: %s", rel->name, err.where, err.msg);
            vn_buf_free(&created);
            continue;
        }
        CHECK(exists(dir, "esx01.vmx"));
        CHECK(exists(dir, "esx01.vmdk"));
        CHECK_INT(entries(dir), 2);
        CHECK_INT(count_named(dir, ".vnest-tmp."), 0);
        char want[512];
        snprintf(want, sizeof(want), "%s/esx01.vmdk\n%s/esx01.vmx\n", dir, dir);
        CHECK_STR(created.data, want);
        vn_buf_free(&created);

        vn_vmx *vmx = LOAD(dir, "esx01");
        if (!vmx)
            continue;
        NO_FINDINGS(vmx, rel, VN_ROLE_HOST);
        char hw[16];
        snprintf(hw, sizeof(hw), "%d", rel->hw_version);
        CHECK_STR(vn_vmx_get(vmx, "virtualHW.version"), hw);
        CHECK_STR(vn_vmx_get(vmx, "guestOS"), rel->guest_os);
        char mem[16];
        snprintf(mem, sizeof(mem), "%d", rel->min_memory_mb);
        CHECK_STR(vn_vmx_get(vmx, "memsize"), mem);
        CHECK_STR(vn_vmx_get(vmx, "numvcpus"), "2");
        CHECK_STR(vn_vmx_get(vmx, "firmware"), "efi");
        CHECK_STR(vn_vmx_get(vmx, "displayName"), "esx01");
        CHECK_STR(vn_vmx_get(vmx, "scsi0:0.fileName"), "esx01.vmdk");
        CHECK_STR(vn_vmx_get(vmx, "vhv.enable"), "TRUE");
        CHECK_STR(vn_vmx_get(vmx, "disk.EnableUUID"), "TRUE");
        CHECK_STR(vn_vmx_get(vmx, "ethernet0.virtualDev"), "vmxnet3");
        /* S4: the first power-on stops in the firmware menu. */
        CHECK_STR(vn_vmx_get(vmx, "bios.forceSetupOnce"), "TRUE");
        CHECK(vn_vmx_get(vmx, "scsi0:0.virtualSSD") == NULL);
        CHECK(vn_vmx_get(vmx, "sata0:0.present") == NULL);
        CHECK(vn_vmx_get(vmx, "ethernet1.present") == NULL);
        /* The guest type tells a later check which release it is. */
        const vn_release *implied = vn_profile_vmx_release(vmx);
        CHECK(implied != NULL && strcmp(implied->guest_os, rel->guest_os) == 0);
        vn_vmx_free(vmx);

        /* The same through the file-level check, release from guestOS. */
        char path[256];
        snprintf(path, sizeof(path), "%s/esx01.vmx", dir);
        vn_vmx_report r;
        vn_error_clear(&err);
        CHECK_INT(vn_vmxop_check(path, NULL, VN_ROLE_HOST, &r, &err), VN_OK);
        CHECK_STR(r.release_from, "guestOS");
        CHECK_INT(r.findings.n, 0);
        vn_vmx_report_free(&r);
        struct stat st;
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
    }
    rm_tree(top);
}

TEST(new_vsan_and_options)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    const vn_release *rel = vn_release_get(VN_ESXI_80);
    vn_vm_spec spec;
    vn_vm_spec_defaults(&spec, rel, "vsan-a");
    spec.cpus = 4;
    spec.memory = 16 * VN_GIB;
    spec.boot_disk = 2 * VN_GIB;
    spec.vsan_cache = 4 * VN_GIB;
    spec.vsan_capacity = 8 * VN_GIB;
    spec.nics = 2;
    spec.network = "Nested \"Trunk\"";
    spec.iso = "/isos/VMware-VMvisor-Installer-8.0U3.iso";
    vn_buf created = VN_BUF_INIT;
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmxop_new(dir, &spec, &created, &err);
    if (rc != VN_OK) {
        FAILF("%s: %s", err.where, err.msg);
        vn_buf_free(&created);
        rm_tree(dir);
        return;
    }
    CHECK(exists(dir, "vsan-a.vmdk"));
    CHECK(exists(dir, "vsan-a-vsan-cache.vmdk"));
    CHECK(exists(dir, "vsan-a-vsan-capacity.vmdk"));
    CHECK(exists(dir, "vsan-a.vmx"));
    CHECK_INT(entries(dir), 4);
    char want[1024];
    snprintf(
        want, sizeof(want),
        "%s/vsan-a.vmdk\n%s/vsan-a-vsan-cache.vmdk\n%s/vsan-a-vsan-capacity.vmdk\n%s/vsan-a.vmx\n",
        dir, dir, dir, dir);
    CHECK_STR(created.data, want);
    vn_buf_free(&created);

    vn_vmx *vmx = LOAD(dir, "vsan-a");
    if (!vmx) {
        rm_tree(dir);
        return;
    }
    NO_FINDINGS(vmx, rel, VN_ROLE_HOST);
    CHECK_STR(vn_vmx_get(vmx, "scsi0:1.fileName"), "vsan-a-vsan-cache.vmdk");
    CHECK_STR(vn_vmx_get(vmx, "scsi0:2.fileName"), "vsan-a-vsan-capacity.vmdk");
    /* The two vSAN disks are flash, the boot disk is not. */
    CHECK(vn_vmx_get(vmx, "scsi0:0.virtualSSD") == NULL);
    CHECK_STR(vn_vmx_get(vmx, "scsi0:1.virtualSSD"), "1");
    CHECK_STR(vn_vmx_get(vmx, "scsi0:2.virtualSSD"), "1");
    CHECK_STR(vn_vmx_get(vmx, "numvcpus"), "4");
    CHECK_STR(vn_vmx_get(vmx, "cpuid.coresPerSocket"), "4");
    CHECK_STR(vn_vmx_get(vmx, "memsize"), "16384");
    CHECK_STR(vn_vmx_get(vmx, "ethernet1.virtualDev"), "vmxnet3");
    CHECK_STR(vn_vmx_get(vmx, "ethernet1.networkName"), "Nested \"Trunk\"");
    CHECK(vn_vmx_get(vmx, "ethernet1.connectionType") == NULL);
    CHECK_STR(vn_vmx_get(vmx, "sata0:0.deviceType"), "cdrom-image");
    CHECK_STR(vn_vmx_get(vmx, "sata0:0.fileName"), "/isos/VMware-VMvisor-Installer-8.0U3.iso");
    CHECK_STR(vn_vmx_get(vmx, "sata0:0.startConnected"), "TRUE");

    /* As a template it is not sealed yet: the ISO, the setup entry and (for
     * 8.0) the boot disk are what a template check reports. */
    vn_findings f = {0};
    vn_profile_vmx_check(vmx, rel, VN_ROLE_TEMPLATE, &f);
    CHECK_INT(f.n, 3);
    for (size_t i = 0; i < f.n; i++) {
        const char *id = f.v[i].rule->id;
        CHECK(strcmp(id, "no-install-media") == 0 || strcmp(id, "setup-once-cleared") == 0 ||
              strcmp(id, "clone-policy") == 0);
    }
    vn_findings_free(&f);
    vn_vmx_free(vmx);
    rm_tree(dir);
}

TEST(new_relative_iso_made_absolute)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)) || chdir(dir) != 0) {
        rm_tree(dir);
        SKIP("cannot change folder");
    }
    FILE *f = fopen("installer.iso", "w");
    if (f)
        fclose(f);
    vn_vm_spec spec;
    vn_vm_spec_defaults(&spec, vn_release_get(VN_ESXI_67), "iso");
    spec.iso = "installer.iso";
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmxop_new("vm", &spec, NULL, &err);
    CHECK_INT(rc, VN_OK);
    vn_vmx *vmx = rc == VN_OK ? LOAD("vm", "iso") : NULL;
    char *abs = realpath("installer.iso", NULL);
    if (vmx && abs)
        CHECK_STR(vn_vmx_get(vmx, "sata0:0.fileName"), abs);
    free(abs);
    vn_vmx_free(vmx);
    if (chdir(cwd) != 0)
        FAILF("cannot return to %s", cwd);
    rm_tree(dir);
}

TEST(new_hw_version_override)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    const vn_release *rel = vn_release_get(VN_ESXI_80);
    vn_vm_spec spec;
    vn_vm_spec_defaults(&spec, rel, "hw9");
    spec.boot_disk = VN_GIB;
    spec.hw_version = 9;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_vmxop_new(dir, &spec, NULL, &err), VN_OK);
    vn_vmx *vmx = LOAD(dir, "hw9");
    if (vmx) {
        CHECK_STR(vn_vmx_get(vmx, "virtualHW.version"), "9");
        NO_FINDINGS(vmx, rel, VN_ROLE_HOST);
    }
    vn_vmx_free(vmx);
    rm_tree(dir);
}

/* One invalid spec: VN_EINPUT naming the option, and nothing created. */
static void invalid(const vn_vm_spec *spec, const char *where, const char *fn, int line)
{
    char top[64];
    if (!make_dir(top, sizeof(top))) {
        fail_in(fn, line, "cannot create a temporary folder");
        return;
    }
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/vm", top);
    vn_buf created = VN_BUF_INIT;
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmxop_new(dir, spec, &created, &err);
    if (rc != VN_EINPUT || err.code != VN_EINPUT)
        fail_in(fn, line, "rc %d (%s: %s), expected VN_EINPUT", rc, err.where, err.msg);
    else if (strcmp(err.where, where) != 0)
        fail_in(fn, line, "where \"%s\", expected \"%s\" (%s)", err.where, where, err.msg);
    if (!strchr(err.msg, '('))
        fail_in(fn, line, "message says nothing of what is expected: %s", err.msg);
    if (entries(top) != 0)
        fail_in(fn, line, "something was created in %s", top);
    if (created.len)
        fail_in(fn, line, "created list not empty: %s", created.data);
    /* Into an existing folder: still nothing. */
    rc = vn_vmxop_new(top, spec, NULL, &err);
    if (rc != VN_EINPUT || entries(top) != 0)
        fail_in(fn, line, "existing folder: rc %d, %d entries", rc, entries(top));
    vn_buf_free(&created);
    rm_tree(top);
}

#define INVALID(spec, where) invalid(spec, where, __func__, __LINE__)

TEST(new_validation)
{
    const vn_release *rel = vn_release_get(VN_ESXI_80);
    vn_vm_spec s;

    vn_vm_spec_defaults(&s, rel, "esx");
    s.cpus = 1;
    INVALID(&s, "--cpus");
    s.cpus = 0;
    INVALID(&s, "--cpus");

    vn_vm_spec_defaults(&s, rel, "esx");
    s.memory = 4 * VN_GIB; /* 8.0 needs 8 GiB */
    INVALID(&s, "--memory");
    s.memory = 8 * VN_GIB - 4 * VN_MIB;
    INVALID(&s, "--memory");
    s.memory = 8 * VN_GIB + VN_MIB;
    INVALID(&s, "--memory");
    s.memory = 8 * VN_GIB + 2;
    INVALID(&s, "--memory");

    vn_vm_spec_defaults(&s, rel, "esx");
    s.nics = 0;
    INVALID(&s, "--nics");
    s.nics = 11;
    INVALID(&s, "--nics");
    s.nics = -1;
    INVALID(&s, "--nics");

    vn_vm_spec_defaults(&s, rel, "a/b");
    INVALID(&s, "--name");
    vn_vm_spec_defaults(&s, rel, "");
    INVALID(&s, "--name");
    vn_vm_spec_defaults(&s, rel, ".hidden");
    INVALID(&s, "--name");
    vn_vm_spec_defaults(&s, rel, "..");
    INVALID(&s, "--name");
    vn_vm_spec_defaults(&s, rel, NULL);
    INVALID(&s, "--name");

    vn_vm_spec_defaults(&s, rel, "esx");
    s.hw_version = 8;
    INVALID(&s, "--hw-version");
    s.hw_version = 23;
    INVALID(&s, "--hw-version");

    vn_vm_spec_defaults(&s, rel, "esx");
    s.boot_disk = 512 * VN_MIB;
    INVALID(&s, "--boot-disk");

    /* 6.x needs only 4 GiB. */
    vn_vm_spec_defaults(&s, vn_release_get(VN_ESXI_67), "esx");
    s.memory = 4 * VN_GIB - 4 * VN_MIB;
    INVALID(&s, "--memory");
}

TEST(new_refuses_existing_vmx)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    snprintf(path, sizeof(path), "%s/esx.vmx", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("# mine\n", f);
        fclose(f);
    }
    chmod(path, 0600);
    vn_vm_spec spec;
    vn_vm_spec_defaults(&spec, vn_release_get(VN_ESXI_80), "esx");
    spec.vsan_cache = VN_GIB;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_vmxop_new(dir, &spec, NULL, &err), VN_EINPUT);
    CHECK_STR(err.where, path);
    CHECK(strstr(err.msg, "already exists") != NULL);
    char *data = NULL;
    size_t len = 0;
    vn_error_clear(&err);
    CHECK_INT(vn_file_read(path, &data, &len, &err), VN_OK);
    if (data)
        CHECK_STR(data, "# mine\n");
    free(data);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_INT(entries(dir), 1);
    rm_tree(dir);
}

TEST(new_failure_midway_takes_back)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    /* Someone else's file where the second disk goes. */
    char path[128];
    snprintf(path, sizeof(path), "%s/esx-vsan-cache.vmdk", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("precious", f);
        fclose(f);
    }
    vn_vm_spec spec;
    vn_vm_spec_defaults(&spec, vn_release_get(VN_ESXI_80), "esx");
    spec.boot_disk = VN_GIB;
    spec.vsan_cache = VN_GIB;
    spec.vsan_capacity = 2 * VN_GIB;
    vn_buf created = VN_BUF_INIT;
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmxop_new(dir, &spec, &created, &err);
    CHECK(rc != VN_OK);
    CHECK_STR(err.where, path);
    CHECK(!exists(dir, "esx.vmdk"));
    CHECK(!exists(dir, "esx-vsan-capacity.vmdk"));
    CHECK(!exists(dir, "esx.vmx"));
    CHECK_INT(count_named(dir, ".vnest-tmp."), 0);
    CHECK_INT(entries(dir), 1);
    CHECK_INT(created.len, 0);
    char *data = NULL;
    size_t len = 0;
    vn_error_clear(&err);
    CHECK_INT(vn_file_read(path, &data, &len, &err), VN_OK);
    if (data)
        CHECK_STR(data, "precious");
    free(data);
    vn_buf_free(&created);

    /* The same when the boot disk itself is in the way: nothing made. */
    rm_tree(dir);
    if (mkdir(dir, 0700) != 0)
        return;
    snprintf(path, sizeof(path), "%s/esx.vmdk", dir);
    f = fopen(path, "w");
    if (f)
        fclose(f);
    vn_error_clear(&err);
    CHECK(vn_vmxop_new(dir, &spec, NULL, &err) != VN_OK);
    CHECK_STR(err.where, path);
    CHECK_INT(entries(dir), 1);
    rm_tree(dir);
}

/* A folder the call created itself is removed again when it fails. */
TEST(new_failure_removes_own_folder)
{
    char top[64];
    if (!make_dir(top, sizeof(top)))
        SKIP("cannot create a temporary folder");
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/vm", top);
    vn_vm_spec spec;
    vn_vm_spec_defaults(&spec, vn_release_get(VN_ESXI_80), "esx");
    /* A disk over the VMDK size limit fails after the folder exists. */
    spec.vsan_capacity = 63 * VN_TIB;
    vn_error err;
    vn_error_clear(&err);
    CHECK(vn_vmxop_new(dir, &spec, NULL, &err) != VN_OK);
    CHECK_INT(entries(top), 0);
    rm_tree(top);
}

int main(void)
{
    RUN(new_every_release);
    RUN(new_vsan_and_options);
    RUN(new_relative_iso_made_absolute);
    RUN(new_hw_version_override);
    RUN(new_validation);
    RUN(new_refuses_existing_vmx);
    RUN(new_failure_midway_takes_back);
    RUN(new_failure_removes_own_folder);
    TH_EXIT();
}
