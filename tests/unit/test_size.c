/* Unit tests for size parsing and formatting (lib/vn_size.c). */
#define TH_SUITE "size"
#include "harness.h"

#include <stdarg.h>
#include <stdint.h>

#include "vn_error.h"
#include "vn_size.h"

static void size_ok(const char *text, uint64_t bare, uint64_t want, const char *fn, int line)
{
    vn_error err;
    vn_error_clear(&err);
    uint64_t got = 12345;
    int rc = vn_size_parse(text, bare, "--memory", &got, &err);
    if (rc != VN_OK)
        fail_in(fn, line, "\"%s\" rejected: %s: %s", text, err.where, err.msg);
    else if (got != want)
        fail_in(fn, line, "\"%s\" is %llu bytes, expected %llu", text, (unsigned long long)got,
                (unsigned long long)want);
}

static void size_bad(const char *text, uint64_t bare, const char *needle, const char *fn, int line)
{
    vn_error err;
    vn_error_clear(&err);
    uint64_t got = 12345;
    int rc = vn_size_parse(text, bare, "--boot-disk", &got, &err);
    if (rc != VN_EINPUT || err.code != VN_EINPUT) {
        fail_in(fn, line, "\"%s\": rc %d, expected VN_EINPUT", text ? text : "(null)", rc);
        return;
    }
    if (strcmp(err.where, "--boot-disk") != 0)
        fail_in(fn, line, "where \"%s\"", err.where);
    if (!strstr(err.msg, needle))
        fail_in(fn, line, "message \"%s\" lacks \"%s\"", err.msg, needle);
    if (got != 12345)
        fail_in(fn, line, "\"%s\": output written on error", text ? text : "(null)");
}

#define SIZE_OK(text, bare, want)    size_ok(text, bare, want, __func__, __LINE__)
#define SIZE_BAD(text, bare, needle) size_bad(text, bare, needle, __func__, __LINE__)

TEST(parse_units)
{
    SIZE_OK("8G", VN_MIB, 8 * VN_GIB);
    SIZE_OK("8GiB", VN_MIB, 8 * VN_GIB);
    SIZE_OK("8gb", VN_MIB, 8 * VN_GIB);
    SIZE_OK("8g", VN_MIB, 8 * VN_GIB);
    SIZE_OK("8 G", VN_MIB, 8 * VN_GIB);
    SIZE_OK("8192M", VN_GIB, 8 * VN_GIB);
    SIZE_OK("8192MiB", VN_GIB, 8 * VN_GIB);
    SIZE_OK("8192mb", VN_GIB, 8 * VN_GIB);
    SIZE_OK("1T", VN_MIB, VN_TIB);
    SIZE_OK("1tib", VN_MIB, VN_TIB);
    SIZE_OK("2TB", VN_MIB, 2 * VN_TIB);
    SIZE_OK("4K", VN_MIB, 4 * VN_KIB);
    SIZE_OK("4kb", VN_MIB, 4 * VN_KIB);
    SIZE_OK("4KiB", VN_MIB, 4 * VN_KIB);
    SIZE_OK("512b", VN_MIB, 512);
    SIZE_OK("512B", VN_MIB, 512);
    /* Units are binary. */
    SIZE_OK("40GB", VN_MIB, 40ull * 1024 * 1024 * 1024);
}

TEST(parse_bare_number)
{
    /* A bare number takes the caller's unit. */
    SIZE_OK("8192", VN_MIB, 8 * VN_GIB);
    SIZE_OK("32", VN_GIB, 32 * VN_GIB);
    SIZE_OK("1", 1, 1);
    SIZE_OK("4096", 1, 4096);
}

TEST(parse_limits)
{
    SIZE_OK("62T", VN_MIB, 62 * VN_TIB);
    SIZE_OK("63488G", VN_MIB, 62 * VN_TIB);
    SIZE_OK("68169720922112", 1, 62 * VN_TIB);
    SIZE_BAD("68169720922113", 1, "out of range");
    SIZE_BAD("63T", VN_MIB, "out of range");
    SIZE_BAD("63489G", VN_MIB, "out of range");
    SIZE_BAD("65011713", VN_MIB, "out of range");
    SIZE_BAD("18446744073709551615", 1, "out of range");
    SIZE_BAD("18446744073709551616", 1, "out of range");
    SIZE_BAD("99999999999999999999999999T", VN_MIB, "out of range");
    SIZE_BAD("17179869184G", VN_MIB, "out of range"); /* 2^64 bytes: wraps if multiplied */
}

TEST(parse_errors)
{
    SIZE_BAD("0", VN_MIB, "out of range");
    SIZE_BAD("0G", VN_MIB, "out of range");
    SIZE_BAD("", VN_MIB, "invalid size \"\"");
    SIZE_BAD(NULL, VN_MIB, "invalid size");
    SIZE_BAD("G", VN_MIB, "invalid size \"G\"");
    SIZE_BAD("8X", VN_MIB, "invalid size \"8X\"");
    SIZE_BAD("-1", VN_MIB, "invalid size \"-1\"");
    SIZE_BAD("+8G", VN_MIB, "invalid size");
    SIZE_BAD(" 8G", VN_MIB, "invalid size");
    SIZE_BAD("8.5G", VN_MIB, "invalid size");
    SIZE_BAD("8GG", VN_MIB, "invalid size");
    SIZE_BAD("8G ", VN_MIB, "invalid size");
    SIZE_BAD("8Gi", VN_MIB, "invalid size");
    SIZE_BAD("8P", VN_MIB, "invalid size");
    SIZE_BAD("0x10", VN_MIB, "invalid size");
    /* Every invalid form says what is expected. */
    vn_error err;
    vn_error_clear(&err);
    uint64_t b;
    CHECK_INT(vn_size_parse("8X", VN_MIB, "--memory", &b, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "expected a size such as 8G") != NULL);
    CHECK_STR(err.where, "--memory");
    vn_error_clear(&err);
    CHECK_INT(vn_size_parse("0", VN_MIB, "--memory", &b, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "expected 1 byte to 62 TiB") != NULL);
}

static void formats(uint64_t bytes, const char *want, const char *fn, int line)
{
    char out[64];
    memset(out, 'x', sizeof(out));
    vn_size_format(bytes, out, (int)sizeof(out));
    if (strcmp(out, want) != 0)
        fail_in(fn, line, "%llu formats as \"%s\", expected \"%s\"", (unsigned long long)bytes, out,
                want);
}

#define FORMATS(bytes, want) formats(bytes, want, __func__, __LINE__)

TEST(format)
{
    FORMATS(8 * VN_GIB, "8 GiB");
    FORMATS(512 * VN_MIB, "512 MiB");
    FORMATS(1536 * VN_MIB, "1536 MiB");
    FORMATS(VN_TIB, "1 TiB");
    FORMATS(62 * VN_TIB, "62 TiB");
    FORMATS(1024 * VN_TIB, "1024 TiB");
    FORMATS(VN_KIB, "1 KiB");
    FORMATS(3 * VN_KIB, "3 KiB");
    FORMATS(VN_GIB + VN_KIB, "1048577 KiB");
    FORMATS(1000, "1000 bytes");
    FORMATS(1, "1 bytes");
    FORMATS(0, "0 bytes");
    FORMATS(UINT64_MAX, "18446744073709551615 bytes");

    /* Truncated to the buffer, always terminated. */
    char small[4];
    vn_size_format(8 * VN_GIB, small, (int)sizeof(small));
    CHECK_STR(small, "8 G");
}

TEST(format_parse_round_trip)
{
    static const uint64_t sizes[] = {VN_KIB,        4 * VN_KIB,  VN_MIB, 4096 * VN_MIB,
                                     8 * VN_GIB,    40 * VN_GIB, VN_TIB, 62 * VN_TIB,
                                     1536 * VN_MIB, 5 * VN_KIB};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char text[64];
        vn_size_format(sizes[i], text, (int)sizeof(text));
        char *space = strchr(text, ' ');
        if (space) /* "8 GiB" parses as is too; test the compact form */
            memmove(space, space + 1, strlen(space));
        uint64_t back = 0;
        vn_error err;
        vn_error_clear(&err);
        if (vn_size_parse(text, 1, "--size", &back, &err) != VN_OK || back != sizes[i])
            FAILF("%llu -> \"%s\" -> %llu (%s)", (unsigned long long)sizes[i], text,
                  (unsigned long long)back, err.msg);
    }
}

int main(void)
{
    RUN(parse_units);
    RUN(parse_bare_number);
    RUN(parse_limits);
    RUN(parse_errors);
    RUN(format);
    RUN(format_parse_round_trip);
    TH_EXIT();
}
