/* libFuzzer target for the state.tgz reader/rewriter (lib/vn_statetgz.c).
 * Properties (abort() on violation): a rejected input is VN_EINPUT with a
 * message and nothing returned; when esx.conf is read, rewriting it with new
 * text succeeds and reading the result gives that text back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_error.h"
#include "vn_statetgz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_error err;
    vn_error_clear(&err);
    char *text = NULL;
    size_t len = 0;
    int rc = vn_statetgz_get_esxconf(data, size, "fuzz", &text, &len, &err);
    if (rc != VN_OK) {
        require(rc == VN_EINPUT && text == NULL && err.msg[0]);
        return 0;
    }
    static const char new_text[] = "/adv/Net/FollowHardwareMac = \"1\"\n";
    void *out = NULL;
    size_t out_len = 0;
    vn_error_clear(&err);
    rc = vn_statetgz_set_esxconf(data, size, "fuzz", new_text, sizeof(new_text) - 1, &out, &out_len,
                                 &err);
    if (rc == VN_OK) {
        char *back = NULL;
        size_t back_len = 0;
        require(vn_statetgz_get_esxconf(out, out_len, "again", &back, &back_len, &err) == VN_OK);
        require(back_len == sizeof(new_text) - 1 && memcmp(back, new_text, back_len) == 0);
        free(back);
        free(out);
    } else {
        /* Members the reader skipped may still be unwritable (odd headers). */
        require(out == NULL && err.msg[0]);
    }
    free(text);
    return 0;
}
