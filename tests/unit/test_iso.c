/* Unit tests for lib/vn_iso.c that need no ISO tools: refusals of files that
 * are not ISO images, the problem list, names. The remaster itself is tested
 * end to end (tests/e2e/iso.sh) on ISOs made with xorriso. */
#define TH_SUITE "iso"
#include "harness.h"

#include <unistd.h>

#include "vn_error.h"
#include "vn_iso.h"

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

TEST(refuses_non_iso)
{
    char dir[] = "/tmp/vn_test_iso_XXXXXX";
    if (!mkdtemp(dir))
        SKIP("cannot make a temporary folder");
    char path[256];
    snprintf(path, sizeof(path), "%s/x.iso", dir);
    static char zeros[40000];
    write_file(path, zeros, sizeof(zeros));

    vn_iso_info info;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_iso_inspect(path, &info, &err), VN_EINPUT);
    CHECK_STR(err.where, path);
    CHECK(strstr(err.msg, "not an ISO 9660 image") != NULL);
    vn_iso_info_free(&info);

    /* A primary volume descriptor that claims more blocks than the file has. */
    unsigned char *iso = calloc(1, 17 * 2048);
    iso[16 * 2048] = 1;
    memcpy(iso + 16 * 2048 + 1, "CD001", 5);
    iso[16 * 2048 + 80] = 200; /* 200 blocks */
    write_file(path, iso, 17 * 2048);
    free(iso);
    vn_error_clear(&err);
    CHECK_INT(vn_iso_inspect(path, &info, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "is truncated") != NULL);
    vn_iso_info_free(&info);

    vn_error_clear(&err);
    CHECK_INT(vn_iso_inspect(dir, &info, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "is a directory") != NULL);
    vn_iso_info_free(&info);
    unlink(path);

    vn_error_clear(&err);
    CHECK_INT(vn_iso_inspect(path, &info, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "cannot read") != NULL);
    vn_iso_info_free(&info);
    rmdir(dir);
}

static void cfg(vn_iso_cfg *c, const char *path, const char *text)
{
    vn_error err;
    vn_error_clear(&err);
    c->present = 1;
    snprintf(c->path, sizeof(c->path), "%s", path);
    c->text = strdup(text);
    c->len = strlen(text);
    if (vn_bootcfg_parse(c->text, c->len, path, &c->doc, &err) != VN_OK)
        c->doc = NULL;
}

TEST(problems_and_installer_check)
{
    vn_iso_info info;
    memset(&info, 0, sizeof(info));
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_iso_check_installer(&info, "x.iso", &err), VN_EINPUT);
    CHECK(strstr(err.msg, "no El Torito boot catalog") != NULL);

    info.nboot = 1; /* BIOS only */
    info.boot[0].platform = 0;
    vn_error_clear(&err);
    CHECK_INT(vn_iso_check_installer(&info, "x.iso", &err), VN_EINPUT);
    CHECK(strstr(err.msg, "no /BOOT.CFG") != NULL);

    cfg(&info.bios, "/BOOT.CFG", "kernel=/b.b00\nkernelopt=ks=cdrom:/KS.CFG runweasel\n");
    cfg(&info.efi, "/EFI/BOOT/BOOT.CFG", "kernel=/b.b00\nkernelopt=cdromBoot runweasel\n");
    snprintf(info.ks_path, sizeof(info.ks_path), "/KS.CFG");
    CHECK_INT(vn_iso_check_installer(&info, "x.iso", &err), VN_OK);
    vn_buf out = VN_BUF_INIT;
    CHECK_INT(vn_iso_problems(&info, &out), 3);
    CHECK(strstr(out.data, "no UEFI El Torito boot entry") != NULL);
    CHECK(strstr(out.data, "kernelopt differs") != NULL);
    CHECK(strstr(out.data, "ks=cdrom:/KS.CFG but the image has no such file") != NULL);

    info.nboot = 2;
    info.boot[1].platform = 0xEF;
    info.ks_present = 1;
    vn_bootcfg_wire_ks(info.efi.doc, "cdrom:/KS.CFG");
    vn_buf_reset(&out);
    CHECK_INT(vn_iso_problems(&info, &out), 0);
    CHECK_STR(out.data, "");
    vn_buf_free(&out);
    vn_iso_info_free(&info);
}

TEST(names)
{
    char buf[8];
    CHECK_STR(vn_iso_platform_name(0, buf), "BIOS");
    CHECK_STR(vn_iso_platform_name(0xEF, buf), "UEFI");
    CHECK_STR(vn_iso_platform_name(0x42, buf), "0x42");
    CHECK_STR(vn_iso_media_name(0), "no emulation");
    CHECK_STR(vn_iso_media_name(4), "hard disk");
    CHECK_STR(vn_iso_media_name(9), "unknown");
}

int main(void)
{
    RUN(refuses_non_iso);
    RUN(problems_and_installer_check);
    RUN(names);
    TH_EXIT();
}
