#include "vn_size.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static uint64_t unit_of(const char *s, int *ok)
{
    *ok = 1;
    if (!*s)
        return 0; /* bare number: caller's unit */
    static const struct {
        const char *name;
        uint64_t mult;
    } units[] = {
        {"b", 1},       {"k", VN_KIB},   {"kb", VN_KIB},  {"kib", VN_KIB}, {"m", VN_MIB},
        {"mb", VN_MIB}, {"mib", VN_MIB}, {"g", VN_GIB},   {"gb", VN_GIB},  {"gib", VN_GIB},
        {"t", VN_TIB},  {"tb", VN_TIB},  {"tib", VN_TIB},
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcasecmp(s, units[i].name) == 0)
            return units[i].mult;
    *ok = 0;
    return 0;
}

int vn_size_parse(const char *text, uint64_t bare_unit, const char *where, uint64_t *bytes,
                  vn_error *err)
{
    const char *expect = "expected a size such as 8G, 8192M or 40GiB";
    if (!text || !isdigit((unsigned char)*text))
        return vn_fail(err, VN_EINPUT, where, "invalid size \"%s\" (%s)", text ? text : "", expect);
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    while (*end == ' ')
        end++;
    int ok;
    uint64_t mult = unit_of(end, &ok);
    if (!ok)
        return vn_fail(err, VN_EINPUT, where, "invalid size \"%s\" (%s)", text, expect);
    if (!mult)
        mult = bare_unit;
    const uint64_t max = 62 * VN_TIB;
    if (n == 0 || n > max / mult)
        return vn_fail(err, VN_EINPUT, where,
                       "size \"%s\" out of range (expected 1 byte to 62 TiB)", text);
    *bytes = (uint64_t)n * mult;
    return VN_OK;
}

void vn_size_format(uint64_t bytes, char *out, int outlen)
{
    static const char *const names[] = {"TiB", "GiB", "MiB", "KiB"};
    static const uint64_t mults[] = {VN_TIB, VN_GIB, VN_MIB, VN_KIB};
    for (int i = 0; i < 4; i++) {
        if (bytes >= mults[i] && bytes % mults[i] == 0) {
            snprintf(out, (size_t)outlen, "%llu %s", (unsigned long long)(bytes / mults[i]),
                     names[i]);
            return;
        }
    }
    snprintf(out, (size_t)outlen, "%llu bytes", (unsigned long long)bytes);
}
