/* libFuzzer target for undo-journal recovery (lib/vn_journal_files.c): the
 * journal is a file beside an image, so after a crash, a bad disk or a
 * planted file it is outside input to every later `disk seal` or `disk
 * inspect`. Each input is written as the journal of a fixed image in a
 * private folder and recovered. Properties (abort() on violation): recovery
 * returns VN_OK (journal gone) or VN_EINPUT/VN_ERUNTIME with a message
 * (journal kept); it never touches a file outside the folder (a sentinel
 * file beside the folder stays intact). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_error.h"
#include "vn_file.h"
#include "vn_journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static char top[64], dir[96], img[128], jpath[160], sentinel[128];
static unsigned char pattern[16384];

static void setup(void)
{
    snprintf(top, sizeof(top), "/tmp/vnest-fuzz-journal.XXXXXX");
    require(mkdtemp(top) != NULL);
    snprintf(dir, sizeof(dir), "%s/image", top);
    require(mkdir(dir, 0700) == 0);
    snprintf(img, sizeof(img), "%s/disk.img", dir);
    snprintf(jpath, sizeof(jpath), "%s.vnest-journal", img);
    snprintf(sentinel, sizeof(sentinel), "%s/outside", top);
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (unsigned char)(i * 31 + 7);
    vn_error err;
    vn_error_clear(&err);
    require(vn_file_replace(sentinel, pattern, sizeof(pattern), 0600, &err) == VN_OK);
    /* A symbolic link beside the image, to the sentinel: never followed. */
    char link[160];
    snprintf(link, sizeof(link), "%s/link.img", dir);
    require(symlink(sentinel, link) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!top[0])
        setup();
    vn_error err;
    vn_error_clear(&err);
    require(vn_file_replace(img, pattern, sizeof(pattern), 0600, &err) == VN_OK);
    require(vn_file_replace(jpath, data, size, 0600, &err) == VN_OK);
    int recovered = 0;
    int rc = vn_journal_recover_files(jpath, &recovered, &err);
    struct stat st;
    if (rc == VN_OK)
        require(recovered == 1 && lstat(jpath, &st) != 0);
    else
        require((rc == VN_EINPUT || rc == VN_ERUNTIME) && err.msg[0] && lstat(jpath, &st) == 0);
    char *back = NULL;
    size_t len = 0;
    require(vn_file_read(sentinel, &back, &len, &err) == VN_OK);
    require(len == sizeof(pattern) && memcmp(back, pattern, len) == 0);
    free(back);
    unlink(jpath);
    return 0;
}
