/* libFuzzer target for the VMX codec (lib/vn_vmx.c).
 *
 * Properties checked (abort() on violation):
 *  - a rejected input is VN_EINPUT with a "name:LINE" place and no document;
 *  - an accepted input writes back byte for byte;
 *  - after get/set/unset edits, the output parses again, writes identically
 *    and gives back every value that was set (escaping round-trips). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_vmx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_KEYS 4

static void require(int cond)
{
    if (!cond)
        abort();
}

static char *write_doc(const vn_vmx *vmx, size_t *len)
{
    vn_buf b = VN_BUF_INIT;
    vn_buf_add(&b, "", 0);
    vn_vmx_write(vmx, &b);
    return vn_buf_detach(&b, len);
}

/* Parses `text`, which must succeed, and checks it writes back unchanged. */
static vn_vmx *reparse(const char *text, size_t len)
{
    vn_vmx *vmx = NULL;
    vn_error err;
    vn_error_clear(&err);
    require(vn_vmx_parse(text, len, "again", &vmx, &err) == VN_OK && vmx);
    size_t n;
    char *out = write_doc(vmx, &n);
    require(n == len && memcmp(out, text, n) == 0);
    free(out);
    return vmx;
}

/* Every entry of `a` has the same value in `b` and the counts agree. */
static void same_entries(const vn_vmx *a, const vn_vmx *b)
{
    require(vn_vmx_count(a) == vn_vmx_count(b));
    for (size_t i = 0; i < vn_vmx_count(a); i++) {
        const char *v = vn_vmx_get(b, vn_vmx_key_at(a, i));
        require(v && strcmp(v, vn_vmx_value_at(a, i)) == 0);
    }
}

/* A value made from the input's first bytes, to put arbitrary bytes
 * (quotes, pipes, control characters, UTF-8) through the escaping. */
static void fuzz_value(const uint8_t *data, size_t size, char out[24])
{
    size_t n = size < 23 ? size : 23;
    for (size_t i = 0; i < n; i++)
        out[i] = data[i] ? (char)data[i] : '|';
    out[n] = '\0';
}

static void upper(char *s)
{
    for (; *s; s++) {
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
    }
}

static void edit(vn_vmx *vmx, const uint8_t *data, size_t size)
{
    char *keys[MAX_KEYS];
    size_t nkeys = vn_vmx_count(vmx) < MAX_KEYS ? vn_vmx_count(vmx) : MAX_KEYS;
    for (size_t i = 0; i < nkeys; i++)
        keys[i] = vn_xstrdup(vn_vmx_key_at(vmx, i)); /* edits free the originals */

    char value[24];
    fuzz_value(data, size, value);
    for (size_t i = 0; i < nkeys; i++) {
        const char *v = vn_vmx_get(vmx, keys[i]);
        require(v != NULL && vn_vmx_line(vmx, keys[i]) > 0);
        char *uk = vn_xstrdup(keys[i]);
        upper(uk);
        require(vn_vmx_get(vmx, uk) == v);
        free(uk);
        if (i == 0) {
            require(vn_vmx_unset(vmx, keys[i]) == 1);
            require(vn_vmx_get(vmx, keys[i]) == NULL);
            require(vn_vmx_unset(vmx, keys[i]) == 0);
        } else {
            int rc = vn_vmx_set(vmx, keys[i], value);
            require(rc == 0 || rc == 1);
            require(vn_vmx_set(vmx, keys[i], value) == 0);
            require(strcmp(vn_vmx_get(vmx, keys[i]), value) == 0);
        }
    }
    require(vn_vmx_set(vmx, "fuzz.newKey", value) >= 0);
    require(strcmp(vn_vmx_get(vmx, "FUZZ.NEWKEY"), value) == 0);
    /* Putting the first key back appends it again (it was unset). */
    if (nkeys > 0) {
        require(vn_vmx_set(vmx, keys[0], "back") >= 0);
        require(strcmp(vn_vmx_get(vmx, keys[0]), "back") == 0);
    }
    for (size_t i = 0; i < nkeys; i++)
        free(keys[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    vn_vmx *vmx = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_vmx_parse(text, size, "fuzz", &vmx, &err) != VN_OK) {
        require(vmx == NULL && err.code == VN_EINPUT && strncmp(err.where, "fuzz:", 5) == 0 &&
                err.msg[0] != '\0');
        return 0;
    }

    /* Lossless: unchanged document writes back as the input. */
    size_t n;
    char *out = write_doc(vmx, &n);
    require(n == size && memcmp(out, data, size) == 0);
    vn_vmx *again = reparse(out, n);
    same_entries(vmx, again);
    vn_vmx_free(again);
    free(out);

    edit(vmx, data, size);
    out = write_doc(vmx, &n);
    again = reparse(out, n);
    same_entries(vmx, again);
    vn_vmx_free(again);
    free(out);
    vn_vmx_free(vmx);
    return 0;
}
