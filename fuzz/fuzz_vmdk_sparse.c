/* libFuzzer target for hosted sparse VMDK files (lib/vn_vmdkio.c), opened
 * from memory: header, footer, grain directory and tables, grain markers and
 * compressed grains.
 *
 * Properties checked (abort() on violation; ASan catches out-of-bounds):
 *  - a rejected input is VN_EINPUT;
 *  - an accepted one reads (first, last, and input-chosen sectors) either
 *    successfully or with VN_EINPUT, and reads the same bytes twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_vmdkio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static void probe(vn_blk *b, uint64_t off, size_t len)
{
    if (b->size < len)
        len = (size_t)b->size;
    if (off > b->size - len)
        off = b->size - len;
    unsigned char *x = malloc(len ? len : 1), *y = malloc(len ? len : 1);
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_blk_read(b, off, x, len, &err);
    require(rc == VN_OK || rc == VN_EINPUT);
    if (rc == VN_OK) {
        require(vn_blk_read(b, off, y, len, &err) == VN_OK);
        require(memcmp(x, y, len) == 0);
    }
    free(x);
    free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmdk_open_mem(data, size, &b, &err);
    if (rc != VN_OK) {
        require(rc == VN_EINPUT && b == NULL);
        return 0;
    }
    require(b->size > 0 && !b->writable);
    probe(b, 0, 4096);
    probe(b, b->size, 1000);
    uint64_t pick = 0;
    for (size_t i = 0; i < 8 && i < size; i++)
        pick = pick << 8 | data[size - 1 - i];
    probe(b, b->size ? pick % b->size : 0, 70000);
    vn_blk_close(b);
    return 0;
}
