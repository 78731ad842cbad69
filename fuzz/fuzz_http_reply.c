/* libFuzzer target for the HTTP/1.x reply reader of lib/vn_http.c (through
 * vn_http_parse_reply, which feeds it from memory in 1000-byte pieces as a
 * connection would): a server's reply is outside input.
 *
 * Properties checked (abort() on violation):
 *  - the result is VN_OK or VN_ERUNTIME with a one-line message;
 *  - on success the status is 200-999 (1xx replies are skipped) and the
 *    body is at most the limit; on failure the status is 0 and nothing is
 *    added to the body;
 *  - the same input gives the same result (no state outlives a call);
 *  - a smaller limit never turns a failure into a success. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static int parse(const char *text, size_t size, size_t max, vn_buf *body, long *status,
                 vn_error *err)
{
    vn_buf_reset(body);
    vn_buf_adds(body, "pre");
    vn_error_clear(err);
    int rc = vn_http_parse_reply(text, size, max, body, status, err);
    require(rc == VN_OK || rc == VN_ERUNTIME);
    require(body->len >= 3 && memcmp(body->data, "pre", 3) == 0);
    if (rc == VN_OK) {
        require(*status >= 200 && *status <= 999);
        require(body->len - 3 <= max);
    } else {
        require(*status == 0 && body->len == 3 && err->msg[0] && !strchr(err->msg, '\n'));
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, not NUL-terminated, so ASan catches any read past
     * `size`. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    vn_buf a = VN_BUF_INIT, b = VN_BUF_INIT;
    long sa = 0, sb = 0;
    vn_error ea, eb;
    int ra = parse(text, size, 1 << 20, &a, &sa, &ea);
    int rb = parse(text, size, 1 << 20, &b, &sb, &eb);
    require(ra == rb && sa == sb && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    int rs = parse(text, size, 16, &b, &sb, &eb);
    require(ra == VN_OK || rs != VN_OK);
    vn_buf_free(&a);
    vn_buf_free(&b);
    free(text);
    return 0;
}
