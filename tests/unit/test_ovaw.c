/* Tests for vn_ovaw (the OVA archive writer) and vn_ovfw (the descriptor
 * writer) on their own; tests/e2e/ova_export.sh takes whole OVAs apart with
 * tar, sha256sum, xmllint and qemu-img. Archives here are read back by GNU
 * tar, an independent reader. */
#define TH_SUITE "ovaw"
#include "harness.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_ovaw.h"
#include "vn_ovfw.h"
#include "vn_vmx.h"

static char *make_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/vnest-ovaw-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

/* Reserved and streamed members in one archive: tar lists them in order
 * with their sizes and extracts the right bytes; the streamed member's
 * digest is sha256sum's. */
TEST(reserved_and_streamed_members)
{
    char *dir = make_dir(), path[4200], *o = NULL;
    snprintf(path, sizeof(path), "%s/a.ova", dir);
    vn_error err = {0};
    vn_ovaw *w = NULL;
    CHECK_INT(vn_ovaw_open(path, &w, &err), VN_OK);
    if (!w) {
        free(dir);
        return;
    }
    int s1, s2;
    CHECK_INT(vn_ovaw_reserve(w, "a.ovf", 5, &s1, &err), VN_OK);
    CHECK_INT(vn_ovaw_reserve(w, "a.mf", 700, &s2, &err), VN_OK);
    CHECK_INT(vn_ovaw_begin(w, "a-disk1.vmdk", &err), VN_OK);
    CHECK_INT(vn_ovaw_write(w, "hello ", 6, &err), VN_OK);
    CHECK_INT(vn_ovaw_write(w, "world", 5, &err), VN_OK);
    uint64_t size = 0;
    char hex[65];
    CHECK_INT(vn_ovaw_end(w, &size, hex, &err), VN_OK);
    CHECK_INT(size, 11);
    CHECK_STR(hex, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    char mf[700];
    memset(mf, 'm', sizeof(mf));
    CHECK_INT(vn_ovaw_fill(w, s1, "<x/>\n", 5, &err), VN_OK);
    CHECK_INT(vn_ovaw_fill(w, s2, "short", 5, &err), VN_ERUNTIME); /* not the reserved length */
    CHECK_INT(vn_ovaw_fill(w, s2, mf, sizeof(mf), &err), VN_OK);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s", vn_ovaw_temp_path(w));
    CHECK_INT(vn_ovaw_finish(w, &err), VN_OK);
    CHECK(access(tmp, F_OK) != 0);
    if (run(&o, "tar tvf '%s' | awk '{print $3, $6}' | tr '\\n' ' '", path) != 0 ||
        strcmp(o, "5 a.ovf 700 a.mf 11 a-disk1.vmdk ") != 0)
        FAILF("tar lists: %s", o);
    free(o);
    if (run(&o, "tar xOf '%s' a-disk1.vmdk", path) != 0 || strcmp(o, "hello world") != 0)
        FAILF("tar extracts: %s", o);
    free(o);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size % 10240 == 0); /* tar's record size */
    run(NULL, "rm -rf '%s'", dir);
    free(dir);
}

/* A member of 8 GiB or more: GNU base-256 size, which tar reads. (Reserved
 * and never filled, it stays a hole: no 9 GiB are written.) */
TEST(member_over_8_gib)
{
    char *dir = make_dir(), path[4200], *o = NULL;
    snprintf(path, sizeof(path), "%s/big.ova", dir);
    vn_error err = {0};
    vn_ovaw *w = NULL;
    CHECK_INT(vn_ovaw_open(path, &w, &err), VN_OK);
    int s;
    uint64_t big = UINT64_C(9) << 30;
    CHECK_INT(vn_ovaw_reserve(w, "big.vmdk", big, &s, &err), VN_OK);
    CHECK_INT(vn_ovaw_finish(w, &err), VN_OK);
    if (run(&o, "tar tvf '%s' | awk '{print $3, $6}'", path) != 0 ||
        strcmp(o, "9663676416 big.vmdk\n") != 0)
        FAILF("tar lists: %s", o);
    free(o);
    run(NULL, "rm -rf '%s'", dir);
    free(dir);
}

/* Two writers for one target: the second is refused (the temporary file is
 * locked), and abort leaves nothing behind. */
TEST(one_writer_per_target)
{
    char *dir = make_dir(), path[4200];
    snprintf(path, sizeof(path), "%s/c.ova", dir);
    vn_error err = {0};
    vn_ovaw *a = NULL, *b = NULL;
    CHECK_INT(vn_ovaw_open(path, &a, &err), VN_OK);
    CHECK_INT(vn_ovaw_open(path, &b, &err), VN_ERUNTIME);
    CHECK(strstr(err.msg, "another export") != NULL);
    CHECK(b == NULL);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s", vn_ovaw_temp_path(a));
    vn_ovaw_abort(a);
    CHECK(access(tmp, F_OK) != 0);
    CHECK(access(path, F_OK) != 0);
    CHECK_INT(vn_ovaw_open("/nonexistent-dir/x.ova", &a, &err), VN_ERUNTIME);
    CHECK(strstr(err.msg, "cannot create the temporary file") != NULL);
    vn_error e2 = {0};
    CHECK_INT(vn_ovaw_open(path, &a, &e2), VN_OK);
    int s;
    CHECK_INT(vn_ovaw_reserve(a, "a/b.ovf", 1, &s, &e2), VN_EINPUT); /* no directories */
    vn_ovaw_abort(a);
    run(NULL, "rm -rf '%s'", dir);
    free(dir);
}

TEST(props_parse)
{
    unsigned m = 0;
    vn_error err = {0};
    CHECK_INT(vn_ovf_props_parse("hostname,guestinfo.ssh,PASSWORD", "--props", &m, &err), VN_OK);
    CHECK_INT(m, (1u << VN_PROP_HOSTNAME) | (1u << VN_PROP_SSH) | (1u << VN_PROP_PASSWORD));
    CHECK_INT(vn_ovf_props_parse("all", "--props", &m, &err), VN_OK);
    CHECK_INT(m, VN_PROPS_ALL);
    CHECK_INT(vn_ovf_props_parse("none", "--props", &m, &err), VN_OK);
    CHECK_INT(m, 0);
    CHECK_INT(vn_ovf_props_parse("hostname,vlan", "--props", &m, &err), VN_EINPUT);
    CHECK_STR(err.where, "--props");
    CHECK(strstr(err.msg, "unknown property \"vlan\" (expected hostname, ipaddress") != NULL);
}

/* Hardware the descriptor cannot describe is an error naming the VMX line. */
TEST(unknown_nic_names_its_line)
{
    static const char text[] = "guestOS = \"vmkernel8\"\n"
                               "scsi0.present = \"TRUE\"\n"
                               "scsi0:0.present = \"TRUE\"\n"
                               "scsi0:0.fileName = \"a.vmdk\"\n"
                               "ethernet0.present = \"TRUE\"\n"
                               "ethernet0.virtualDev = \"vlance\"\n";
    vn_vmx *vmx = NULL;
    vn_error err = {0};
    CHECK_INT(vn_vmx_parse(text, sizeof(text) - 1, "t.vmx", &vmx, &err), VN_OK);
    vn_ovfw_disk d = {"t-disk1.vmdk", 1 << 20, 1000, 0};
    vn_ovfw_input in = {.vmx = vmx,
                        .vmx_name = "t.vmx",
                        .rel = vn_release_get(VN_ESXI_80),
                        .name = "t",
                        .disks = &d,
                        .ndisks = 1};
    vn_buf out = VN_BUF_INIT;
    CHECK_INT(vn_ovfw_render(&in, &out, &err), VN_EINPUT);
    CHECK_STR(err.where, "t.vmx:6");
    CHECK(strstr(err.msg, "ethernet0.virtualDev = \"vlance\"") != NULL);
    CHECK_INT(out.len, 0);
    vn_buf_free(&out);
    vn_vmx_free(vmx);
}

int main(void)
{
    RUN(reserved_and_streamed_members);
    RUN(member_over_8_gib);
    RUN(one_writer_per_target);
    RUN(props_parse);
    RUN(unknown_nic_names_its_line);
    TH_EXIT();
}
