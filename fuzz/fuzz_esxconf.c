/* libFuzzer target for the esx.conf reader/editor (lib/vn_esxconf.c).
 * Properties (abort() on violation): a rejected input is VN_EINPUT at
 * "fuzz:LINE" with no document; an accepted one writes back byte for byte;
 * after set/remove the output parses again with the value read back, every
 * setting but the edited ones unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_esxconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_esxconf *c = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_esxconf_parse((const char *)data, size, "fuzz", &c, &err) != VN_OK) {
        require(c == NULL && err.code == VN_EINPUT && strncmp(err.where, "fuzz:", 5) == 0 &&
                err.msg[0]);
        return 0;
    }
    vn_buf b = VN_BUF_INIT;
    vn_esxconf_write(c, &b);
    require(b.len == size && memcmp(b.data, data, size) == 0);
    size_t before = vn_esxconf_count(c);
    vn_esxconf_vmknic *v = NULL;
    size_t nv = vn_esxconf_vmknics(c, &v);
    require(nv <= before);
    free(v);
    int ssh = vn_esxconf_ssh(c);
    require(ssh >= -1 && ssh <= 1);

    char value[24];
    size_t vn = size < 23 ? size : 23;
    memcpy(value, data, vn);
    value[vn] = '\0';
    int removed = vn_esxconf_remove(c, "/system/uuid");
    int rc = vn_esxconf_set(c, "/adv/Net/FollowHardwareMac", value);
    require(rc >= -1 && rc <= 1);
    require(vn_esxconf_set(c, "/adv/Misc/HostName", "tpl") >= 0);
    vn_buf_reset(&b);
    vn_esxconf_write(c, &b);
    vn_esxconf *again = NULL;
    require(vn_esxconf_parse(b.data, b.len, "again", &again, &err) == VN_OK);
    require(vn_esxconf_get(again, "/system/uuid") == NULL);
    require(strcmp(vn_esxconf_get(again, "/adv/Misc/HostName"), "tpl") == 0);
    if (rc >= 0)
        require(strcmp(vn_esxconf_get(again, "/adv/Net/FollowHardwareMac"), value) == 0);
    require(vn_esxconf_count(again) == vn_esxconf_count(c));
    require(vn_esxconf_count(again) + (size_t)removed <= before + 2 + (size_t)removed);
    vn_esxconf_free(again);
    vn_esxconf_free(c);
    vn_buf_free(&b);
    return 0;
}
