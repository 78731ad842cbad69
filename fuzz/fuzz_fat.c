/* libFuzzer target for the FAT12/16 reader/editor (lib/vn_fat.c).
 *
 * Properties checked (abort() on violation):
 *  - a rejected volume is VN_EINPUT with a message and no handle;
 *  - listing the tree (two levels) and reading each file either works or
 *    fails with VN_EINPUT (a damaged volume), never anything else;
 *  - replacing a file and creating one either work, or fail with VN_EINPUT
 *    (damage) or VN_ERUNTIME (no space); a created file reads back exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_fat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static void expect_rc(int rc, const vn_error *err)
{
    require(rc == VN_OK || ((rc == VN_EINPUT || rc == VN_ERUNTIME) && err->msg[0] != '\0'));
}

static void walk(vn_fat *fs, const char *path, int depth)
{
    vn_fat_dirent *ents = NULL;
    size_t n = 0;
    vn_error err;
    int rc = vn_fat_list(fs, path, &ents, &n, &err);
    expect_rc(rc, &err);
    for (size_t i = 0; i < n && i < 16; i++) {
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", path, ents[i].name);
        if ((ents[i].attr & VN_FAT_ATTR_DIR) && depth < 2) {
            walk(fs, p, depth + 1);
        } else if (!(ents[i].attr & VN_FAT_ATTR_DIR) && ents[i].size < (1u << 20)) {
            vn_buf b = VN_BUF_INIT;
            expect_rc(vn_fat_read(fs, p, &b, &err), &err);
            vn_buf_free(&b);
        }
    }
    free(ents);
}

static void edit(vn_fat *fs)
{
    vn_error err;
    static const char text[] = "bootstate=0\nkernelopt=allowLegacyCPU=true\n";
    expect_rc(vn_fat_replace(fs, "/boot.cfg", text, sizeof(text) - 1, 0, &err), &err);
    int rc = vn_fat_create(fs, "/fuzz created name.cfg", text, sizeof(text) - 1, 0, &err);
    expect_rc(rc, &err);
    if (rc == VN_OK) {
        vn_buf b = VN_BUF_INIT;
        rc = vn_fat_read(fs, "/FUZZ CREATED NAME.CFG", &b, &err);
        /* New clusters come from free FAT entries and the entries go to the
         * fixed root directory, so even a damaged volume reads it back. */
        require(rc == VN_OK && b.len == sizeof(text) - 1 && memcmp(b.data, text, b.len) == 0);
        vn_buf_free(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_blk_open_mem(data, size, 1, &b, &err) != VN_OK)
        return 0;
    vn_fat *fs = NULL;
    if (vn_fat_open(b, &fs, &err) != VN_OK) {
        require(fs == NULL && err.code == VN_EINPUT && err.msg[0] != '\0');
        vn_blk_close(b);
        return 0;
    }
    vn_fat_info info;
    vn_fat_info_get(fs, &info);
    require(info.bits == 12 || info.bits == 16);
    require(info.free_clusters <= info.clusters);
    walk(fs, "", 0);
    edit(fs);
    vn_fat_close(fs);
    vn_blk_close(b);
    return 0;
}
