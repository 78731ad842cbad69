/* libFuzzer target for vn_known_hosts_find (lib/vn_knownhosts.c): known_hosts is
 * a file the user (or govc) writes, read before any connection, so the
 * parser must take any bytes.
 *
 * Properties checked (abort() on violation):
 *  - the result is -1, 0 or 1; -1 is VN_EINPUT at "fuzz:LINE" with a
 *    message; an input that fails for one host fails the same way for all;
 *  - a found thumbprint is canonical ("AA:BB:..." upper case, 20 or 32
 *    bytes) and is found again in a one-line file written from it;
 *  - "host" and "host:443" are the same entry, and host names ignore case;
 *  - a trailing comment and blank line change nothing. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_error.h"
#include "vn_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static int find(const char *text, size_t len, const char *hostport, char thumb[96], vn_error *err)
{
    vn_error_clear(err);
    memset(thumb, 0x55, 96);
    int rc = vn_known_hosts_find(text, len, "fuzz", hostport, thumb, 96, err);
    require(rc == -1 || rc == 0 || rc == 1);
    if (rc == -1)
        require(err->code == VN_EINPUT && strncmp(err->where, "fuzz:", 5) == 0 &&
                err->where[5] >= '1' && err->where[5] <= '9' && err->msg[0] != '\0');
    else
        require(err->code == VN_OK);
    return rc;
}

static void check_canonical(const char *t)
{
    size_t n = strlen(t);
    require(n == 59 || n == 95);
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 2)
            require(t[i] == ':');
        else
            require((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'A' && t[i] <= 'F'));
    }
}

/* The first token of the first line (a host name to look up), if short. */
static void first_host(const char *text, size_t len, char *out, size_t n)
{
    size_t i = 0, j;
    out[0] = '\0';
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    for (j = i; j < len && text[j] != ' ' && text[j] != '\t' && text[j] != '\n'; j++)
        ;
    if (j > i && j - i < n && !memchr(text + i, '\0', j - i)) {
        memcpy(out, text + i, j - i);
        out[j - i] = '\0';
    }
}

static void upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
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

    vn_error err, err2;
    char thumb[96], thumb2[96];
    char hosts[4][80] = {"vc.example.com:443", "127.0.0.1:8443", "[::1]:443", ""};
    first_host(text, size, hosts[3], sizeof(hosts[3]));
    int nhosts = 3;
    if (hosts[3][0]) {
        vn_error_clear(&err);
        /* Keep the derived name only if it is a host name at all. */
        if (vn_known_hosts_find("", 0, "fuzz", hosts[3], thumb, sizeof(thumb), &err) == 0)
            nhosts = 4;
        else
            require(err.code == VN_EINPUT && strcmp(err.where, hosts[3]) == 0);
    }

    int bad = -2;
    for (int k = 0; k < nhosts; k++) {
        const char *hp = hosts[k];
        int rc = find(text, size, hp, thumb, &err);
        /* Whether the file is malformed does not depend on the host. */
        if (bad == -2)
            bad = rc == -1;
        else
            require(bad == (rc == -1));
        if (rc == -1) {
            require(find(text, size, hp, thumb2, &err2) == -1);
            require(strcmp(err.where, err2.where) == 0 && strcmp(err.msg, err2.msg) == 0);
            continue;
        }

        /* Case of the host name does not matter. */
        char up[80];
        snprintf(up, sizeof(up), "%s", hp);
        upper(up);
        int rc2 = find(text, size, up, thumb2, &err2);
        require(rc2 == rc && (rc == 0 || strcmp(thumb, thumb2) == 0));

        /* "host" means "host:443". */
        size_t l = strlen(hp);
        if (l > 4 && strcmp(hp + l - 4, ":443") == 0) {
            char bare[80];
            snprintf(bare, sizeof(bare), "%.*s", (int)(l - 4), hp);
            rc2 = find(text, size, bare, thumb2, &err2);
            require(rc2 == rc && (rc == 0 || strcmp(thumb, thumb2) == 0));
        }

        /* A trailing comment and blank line change nothing. */
        const char tail[] = "\n# trailing comment\n\n";
        char *more = malloc(size + sizeof(tail) - 1);
        if (!more)
            abort();
        if (size)
            memcpy(more, text, size);
        memcpy(more + size, tail, sizeof(tail) - 1);
        rc2 = find(more, size + sizeof(tail) - 1, hp, thumb2, &err2);
        free(more);
        require(rc2 == rc && (rc == 0 || strcmp(thumb, thumb2) == 0));

        if (rc == 1) {
            check_canonical(thumb);
            char line[200];
            int n = snprintf(line, sizeof(line), "%s %s\n", hp, thumb);
            require(n > 0 && (size_t)n < sizeof(line));
            require(find(line, (size_t)n, hp, thumb2, &err2) == 1);
            require(strcmp(thumb, thumb2) == 0);
        }
    }
    free(text);
    return 0;
}
