/* libFuzzer target for the VMDK descriptor parser (lib/vn_vmdk_desc.c).
 *
 * Properties checked (abort() on violation):
 *  - a rejected input is VN_EINPUT with a place and no descriptor;
 *  - an accepted one has a version 1-3, a createType, at least one extent,
 *    extent sizes that add up to total_sectors, and line numbers in order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_vmdk_desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_vmdk_desc *d = NULL;
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmdk_desc_parse((const char *)data, size, "f.vmdk", &d, &err);
    if (rc != VN_OK) {
        require(rc == VN_EINPUT && d == NULL && strncmp(err.where, "f.vmdk", 6) == 0);
        return 0;
    }
    require(d && d->version >= 1 && d->version <= 3 && d->create_type && d->n_extents > 0);
    uint64_t sum = 0;
    int line = 0;
    for (size_t i = 0; i < d->n_extents; i++) {
        require(d->extents[i].sectors > 0 && d->extents[i].line > line);
        line = d->extents[i].line;
        sum += d->extents[i].sectors;
    }
    require(sum == d->total_sectors);
    for (size_t i = 0; i < d->n_keys; i++)
        require(vn_vmdk_desc_get(d, d->keys[i].key) != NULL);
    vn_vmdk_desc_free(d);
    return 0;
}
