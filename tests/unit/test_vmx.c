/* Unit tests for the VMX dictionary codec (lib/vn_vmx.c). */
#define TH_SUITE "vmx"
#include "harness.h"

#include <dirent.h>
#include <stdarg.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_file.h"
#include "vn_vmx.h"

/* Parses a string literal; fails the test (and returns NULL) on error. */
#define PARSE(text) parse_ok(text, sizeof(text) - 1, __func__, __LINE__)

static vn_vmx *parse_ok(const char *text, size_t len, const char *fn, int line)
{
    vn_vmx *vmx = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_vmx_parse(text, len, "t.vmx", &vmx, &err) != VN_OK) {
        fail_in(fn, line, "parse failed: %s: %s", err.where, err.msg);
        return NULL;
    }
    return vmx;
}

/* Serializes into a heap string the caller frees; *len gets its length. */
static char *written(const vn_vmx *vmx, size_t *len)
{
    vn_buf b = VN_BUF_INIT;
    vn_buf_add(&b, "", 0); /* detach of a never-written buffer is not a string */
    vn_vmx_write(vmx, &b);
    return vn_buf_detach(&b, len);
}

/* True when writing `vmx` gives exactly the `n` bytes at `want`. */
static int writes_as(const vn_vmx *vmx, const char *want, size_t n)
{
    size_t len;
    char *got = written(vmx, &len);
    int same = len == n && memcmp(got, want, n) == 0;
    free(got);
    return same;
}

static void check_writes(const vn_vmx *vmx, const char *want, size_t n, const char *fn, int line)
{
    size_t len;
    char *got = written(vmx, &len);
    if (len != n || memcmp(got, want, n) != 0)
        fail_in(fn, line, "wrote [%.*s] (%zu bytes), expected [%.*s] (%zu bytes)", (int)len, got,
                len, (int)n, want, n);
    free(got);
}

#define WRITES_AS(vmx, lit) check_writes(vmx, lit, sizeof(lit) - 1, __func__, __LINE__)

/* Parses input expected to be rejected; checks the error shape: VN_EINPUT,
 * no document, "FILE:LINE", the `needle` text and an "(expected ...)" part. */
static void expect_bad(const char *text, size_t len, const char *where, const char *needle,
                       const char *fn, int line)
{
    vn_vmx *vmx = NULL;
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmx_parse(text, len, "bad.vmx", &vmx, &err);
    int ok = rc == VN_EINPUT && err.code == VN_EINPUT && vmx == NULL &&
             strcmp(err.where, where) == 0 && strstr(err.msg, needle) != NULL &&
             strstr(err.msg, "(") != NULL;
    if (!ok)
        fail_in(fn, line, "rc=%d where=\"%s\" msg=\"%s\"; expected where \"%s\" and \"%s\"", rc,
                err.where, err.msg, where, needle);
    vn_vmx_free(vmx);
}

#define EXPECT_BAD(lit, where, needle)                                                             \
    expect_bad(lit, sizeof(lit) - 1, where, needle, __func__, __LINE__)

TEST(parse_and_get)
{
    vn_vmx *vmx = PARSE(".encoding = \"UTF-8\"\n"
                        "config.version = \"8\"\n"
                        "  scsi0:0.fileName=\"disk one.vmdk\"\n"
                        "\tmemsize\t=\t\"8192\"\t\n");
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_count(vmx), 4);
    CHECK_STR(vn_vmx_get(vmx, ".encoding"), "UTF-8");
    CHECK_STR(vn_vmx_get(vmx, "config.version"), "8");
    CHECK_STR(vn_vmx_get(vmx, "scsi0:0.fileName"), "disk one.vmdk");
    CHECK_STR(vn_vmx_get(vmx, "memsize"), "8192");
    CHECK(vn_vmx_get(vmx, "numvcpus") == NULL);
    CHECK_INT(vn_vmx_line(vmx, "memsize"), 4);
    CHECK_INT(vn_vmx_line(vmx, "numvcpus"), 0);
    CHECK_STR(vn_vmx_key_at(vmx, 2), "scsi0:0.fileName");
    CHECK_STR(vn_vmx_value_at(vmx, 3), "8192");
    CHECK(vn_vmx_key_at(vmx, 4) == NULL);
    CHECK_INT(vn_vmx_has_bom(vmx), 0);
    vn_vmx_free(vmx);
}

TEST(get_case_insensitive)
{
    vn_vmx *vmx = PARSE("ethernet0.virtualDev = \"vmxnet3\"\nGUESTOS = \"vmkernel8\"\n");
    if (!vmx)
        return;
    CHECK_STR(vn_vmx_get(vmx, "ETHERNET0.VIRTUALDEV"), "vmxnet3");
    CHECK_STR(vn_vmx_get(vmx, "ethernet0.virtualdev"), "vmxnet3");
    CHECK_STR(vn_vmx_get(vmx, "guestOS"), "vmkernel8");
    CHECK_INT(vn_vmx_line(vmx, "guestos"), 2);
    /* The spelling in the file is what key_at reports. */
    CHECK_STR(vn_vmx_key_at(vmx, 1), "GUESTOS");
    vn_vmx_free(vmx);
}

TEST(unescape_on_read)
{
    vn_vmx *vmx = PARSE("a = \"my |22quoted|22 vm\"\n"
                        "b = \"pipe |7C here\"\n"
                        "c = \"line1|0Aline2\"\n"
                        "d = \"lower |7c|0a|4a\"\n"
                        "e = \"lone | and |Z1 and end|\"\n"
                        "f = \"short |4\"\n"
                        "g = \"hash # inside = ok\"\n");
    if (!vmx)
        return;
    CHECK_STR(vn_vmx_get(vmx, "a"), "my \"quoted\" vm");
    CHECK_STR(vn_vmx_get(vmx, "b"), "pipe | here");
    CHECK_STR(vn_vmx_get(vmx, "c"), "line1\nline2");
    CHECK_STR(vn_vmx_get(vmx, "d"), "lower |\nJ");
    CHECK_STR(vn_vmx_get(vmx, "e"), "lone | and |Z1 and end|");
    CHECK_STR(vn_vmx_get(vmx, "f"), "short |4");
    CHECK_STR(vn_vmx_get(vmx, "g"), "hash # inside = ok");
    vn_vmx_free(vmx);
}

TEST(escape_on_write)
{
    vn_buf b = VN_BUF_INIT;
    vn_vmx_escape("q\"p|n\nr\rt\tx\x7f\x01#\xc3\xa9", &b);
    CHECK_STR(b.data, "q|22p|7Cn|0Ar|0Dt\tx|7F|01#\xc3\xa9");
    vn_buf_reset(&b);
    vn_vmx_unescape("|22|7c|0A|", 10, &b);
    CHECK_STR(b.data, "\"|\n|");
    vn_buf_free(&b);

    /* Through the document: set escapes, get and a re-parse unescape. */
    vn_vmx *vmx = vn_vmx_new();
    CHECK_INT(vn_vmx_set(vmx, "annotation", "say \"hi\"|\nbye"), 1);
    WRITES_AS(vmx, "annotation = \"say |22hi|22|7C|0Abye\"\n");
    CHECK_STR(vn_vmx_get(vmx, "annotation"), "say \"hi\"|\nbye");
    size_t len;
    char *text = written(vmx, &len);
    vn_vmx *again = parse_ok(text, len, __func__, __LINE__);
    if (again)
        CHECK_STR(vn_vmx_get(again, "annotation"), "say \"hi\"|\nbye");
    vn_vmx_free(again);
    free(text);
    vn_vmx_free(vmx);
}

TEST(unquoted_and_empty_values)
{
    vn_vmx *vmx = PARSE("a=b\n"
                        "num = 42 # trailing\n"
                        "mid = x\"y\"z\n"
                        "empty1 =\n"
                        "empty2 = \n"
                        "empty3 = # only a comment\n"
                        "empty4 = \"\"\n"
                        "eq = a=b\n");
    if (!vmx)
        return;
    CHECK_STR(vn_vmx_get(vmx, "a"), "b");
    CHECK_STR(vn_vmx_get(vmx, "num"), "42");
    CHECK_STR(vn_vmx_get(vmx, "mid"), "x\"y\"z");
    CHECK_STR(vn_vmx_get(vmx, "empty1"), "");
    CHECK_STR(vn_vmx_get(vmx, "empty2"), "");
    CHECK_STR(vn_vmx_get(vmx, "empty3"), "");
    CHECK_STR(vn_vmx_get(vmx, "empty4"), "");
    CHECK_STR(vn_vmx_get(vmx, "eq"), "a=b");
    CHECK_INT(vn_vmx_count(vmx), 8);
    vn_vmx_free(vmx);
}

TEST(comments_kept)
{
    static const char in[] = "#!/usr/bin/vmware\n"
                             "# a comment\n"
                             "\n"
                             "   \t\n"
                             "   # indented comment\n"
                             "a = \"1\"   # why a is 1\n"
                             "b = \"2\"#tight\n";
    vn_vmx *vmx = PARSE(in);
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_count(vmx), 2);
    CHECK_STR(vn_vmx_get(vmx, "a"), "1");
    CHECK_STR(vn_vmx_get(vmx, "b"), "2");
    CHECK_INT(vn_vmx_line(vmx, "a"), 6);
    WRITES_AS(vmx, in);
    vn_vmx_free(vmx);
}

TEST(crlf_round_trip_and_set)
{
    vn_vmx *vmx = PARSE("# crlf\r\na = \"1\"\r\nb = \"2\"\r\n");
    if (!vmx)
        return;
    CHECK_STR(vn_vmx_get(vmx, "a"), "1");
    CHECK_STR(vn_vmx_get(vmx, "b"), "2");
    WRITES_AS(vmx, "# crlf\r\na = \"1\"\r\nb = \"2\"\r\n");
    CHECK_INT(vn_vmx_set(vmx, "a", "one"), 1);
    CHECK_INT(vn_vmx_set(vmx, "c", "3"), 1);
    WRITES_AS(vmx, "# crlf\r\na = \"one\"\r\nb = \"2\"\r\nc = \"3\"\r\n");
    vn_vmx_free(vmx);
}

TEST(lone_cr_file)
{
    vn_vmx *vmx = PARSE("a = \"1\"\rb = 2\r\r# c\r");
    if (!vmx)
        return;
    CHECK_STR(vn_vmx_get(vmx, "a"), "1");
    CHECK_STR(vn_vmx_get(vmx, "b"), "2");
    CHECK_INT(vn_vmx_line(vmx, "b"), 2);
    WRITES_AS(vmx, "a = \"1\"\rb = 2\r\r# c\r");
    CHECK_INT(vn_vmx_set(vmx, "d", "4"), 1);
    WRITES_AS(vmx, "a = \"1\"\rb = 2\r\r# c\rd = \"4\"\r");
    vn_vmx_free(vmx);
}

TEST(mixed_endings_round_trip)
{
    static const char in[] = "a = 1\r\nb = 2\nc = 3\r\r\nd = 4";
    vn_vmx *vmx = PARSE(in);
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_count(vmx), 4);
    CHECK_INT(vn_vmx_line(vmx, "d"), 5);
    WRITES_AS(vmx, in);
    vn_vmx_free(vmx);
}

TEST(bom_round_trip)
{
    static const char in[] = "\xEF\xBB\xBF.encoding = \"UTF-8\"\nname = \"caf\xC3\xA9\"\n";
    vn_vmx *vmx = PARSE(in);
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_has_bom(vmx), 1);
    CHECK_STR(vn_vmx_key_at(vmx, 0), ".encoding");
    CHECK_STR(vn_vmx_get(vmx, ".encoding"), "UTF-8");
    CHECK_INT(vn_vmx_line(vmx, ".encoding"), 1);
    CHECK_STR(vn_vmx_get(vmx, "name"), "caf\xC3\xA9");
    WRITES_AS(vmx, in);
    CHECK_INT(vn_vmx_set(vmx, "x", "1"), 1);
    WRITES_AS(vmx, "\xEF\xBB\xBF.encoding = \"UTF-8\"\nname = \"caf\xC3\xA9\"\nx = \"1\"\n");
    vn_vmx_free(vmx);

    /* A BOM alone is an empty document that keeps its BOM. */
    vmx = PARSE("\xEF\xBB\xBF");
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_has_bom(vmx), 1);
    CHECK_INT(vn_vmx_count(vmx), 0);
    WRITES_AS(vmx, "\xEF\xBB\xBF");
    vn_vmx_free(vmx);
}

TEST(no_final_newline)
{
    vn_vmx *vmx = PARSE("a = \"1\"\nb = \"2\"");
    if (!vmx)
        return;
    WRITES_AS(vmx, "a = \"1\"\nb = \"2\"");
    CHECK_STR(vn_vmx_get(vmx, "b"), "2");
    CHECK_INT(vn_vmx_set(vmx, "b", "two"), 1);
    WRITES_AS(vmx, "a = \"1\"\nb = \"two\"");
    CHECK_INT(vn_vmx_set(vmx, "c", "3"), 1);
    WRITES_AS(vmx, "a = \"1\"\nb = \"two\"\nc = \"3\"\n");
    vn_vmx_free(vmx);

    /* CRLF style is taken from the first terminated line. */
    vmx = PARSE("a = 1\r\nb = 2");
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_set(vmx, "c", "3"), 1);
    WRITES_AS(vmx, "a = 1\r\nb = 2\r\nc = \"3\"\r\n");
    vn_vmx_free(vmx);

    /* A single unterminated line: LF by default. */
    vmx = PARSE("a = 1");
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_set(vmx, "b", "2"), 1);
    WRITES_AS(vmx, "a = 1\nb = \"2\"\n");
    vn_vmx_free(vmx);
}

TEST(set_identical_is_no_change)
{
    static const char in[] = "a = 1   # keep me\nb=\"x|22y\"\r\nc = \"\"";
    vn_vmx *vmx = PARSE(in);
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_set(vmx, "a", "1"), 0);
    CHECK_INT(vn_vmx_set(vmx, "B", "x\"y"), 0);
    CHECK_INT(vn_vmx_set(vmx, "c", ""), 0);
    WRITES_AS(vmx, in);
    vn_vmx_free(vmx);
}

TEST(set_changes_only_that_line)
{
    vn_vmx *vmx = PARSE("# head\n"
                        ".encoding = \"UTF-8\"\n"
                        "  memSize=4096   # old size\n"
                        "numvcpus = \"2\"\n");
    if (!vmx)
        return;
    /* The key keeps the file's spelling even when set in another case. */
    CHECK_INT(vn_vmx_set(vmx, "memsize", "8192"), 1);
    WRITES_AS(vmx, "# head\n"
                   ".encoding = \"UTF-8\"\n"
                   "memSize = \"8192\"\n"
                   "numvcpus = \"2\"\n");
    CHECK_STR(vn_vmx_get(vmx, "MEMSIZE"), "8192");
    CHECK_INT(vn_vmx_line(vmx, "memsize"), 3);
    CHECK_INT(vn_vmx_set(vmx, "vhv.enable", "TRUE"), 1);
    CHECK_INT(vn_vmx_set(vmx, "vhv.enable", "TRUE"), 0);
    CHECK_INT(vn_vmx_line(vmx, "vhv.enable"), 0);
    CHECK_INT(vn_vmx_count(vmx), 4);
    CHECK_STR(vn_vmx_key_at(vmx, 3), "vhv.enable");
    WRITES_AS(vmx, "# head\n"
                   ".encoding = \"UTF-8\"\n"
                   "memSize = \"8192\"\n"
                   "numvcpus = \"2\"\n"
                   "vhv.enable = \"TRUE\"\n");
    /* Invalid keys are refused and change nothing. */
    CHECK_INT(vn_vmx_set(vmx, "bad key", "1"), -1);
    CHECK_INT(vn_vmx_set(vmx, "", "1"), -1);
    CHECK_INT(vn_vmx_set(vmx, "a=b", "1"), -1);
    CHECK_INT(vn_vmx_set(vmx, "a\nb", "1"), -1);
    CHECK_INT(vn_vmx_set(vmx, "\xEF\xBB\xBFx", "1"), -1);
    CHECK_INT(vn_vmx_count(vmx), 4);
    vn_vmx_free(vmx);
}

TEST(new_document)
{
    vn_vmx *vmx = vn_vmx_new();
    CHECK_INT(vn_vmx_count(vmx), 0);
    CHECK(vn_vmx_get(vmx, "a") == NULL);
    WRITES_AS(vmx, "");
    CHECK_INT(vn_vmx_set(vmx, ".encoding", "UTF-8"), 1);
    CHECK_INT(vn_vmx_set(vmx, "config.version", "8"), 1);
    WRITES_AS(vmx, ".encoding = \"UTF-8\"\nconfig.version = \"8\"\n");
    /* Many keys: exercises the table growing. */
    char key[32], val[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "k%d.Present", i);
        snprintf(val, sizeof(val), "v%d", i);
        vn_vmx_set(vmx, key, val);
    }
    CHECK_INT(vn_vmx_count(vmx), 2002);
    CHECK_STR(vn_vmx_get(vmx, "K1234.PRESENT"), "v1234");
    CHECK_INT(vn_vmx_unset(vmx, "k0.present"), 1);
    CHECK_STR(vn_vmx_get(vmx, "k1999.present"), "v1999");
    CHECK_INT(vn_vmx_count(vmx), 2001);
    vn_vmx_free(vmx);
}

TEST(unset)
{
    vn_vmx *vmx = PARSE("a = 1\r\n# note\r\nB = 2\r\nc = 3\r\n");
    if (!vmx)
        return;
    CHECK_INT(vn_vmx_unset(vmx, "b"), 1);
    CHECK_INT(vn_vmx_unset(vmx, "b"), 0);
    CHECK_INT(vn_vmx_unset(vmx, "zzz"), 0);
    CHECK(vn_vmx_get(vmx, "B") == NULL);
    CHECK_STR(vn_vmx_get(vmx, "c"), "3");
    CHECK_INT(vn_vmx_line(vmx, "c"), 4);
    CHECK_INT(vn_vmx_count(vmx), 2);
    CHECK_STR(vn_vmx_key_at(vmx, 1), "c");
    WRITES_AS(vmx, "a = 1\r\n# note\r\nc = 3\r\n");
    CHECK_INT(vn_vmx_unset(vmx, "A"), 1);
    CHECK_INT(vn_vmx_unset(vmx, "C"), 1);
    WRITES_AS(vmx, "# note\r\n");
    CHECK_INT(vn_vmx_count(vmx), 0);
    /* Set again after unset: appended at the end. */
    CHECK_INT(vn_vmx_set(vmx, "a", "x"), 1);
    WRITES_AS(vmx, "# note\r\na = \"x\"\r\n");
    vn_vmx_free(vmx);
}

TEST(bad_input)
{
    EXPECT_BAD("a = 1\njust words\n", "bad.vmx:2", "no '='");
    EXPECT_BAD("a = 1\n\n# c\nkey\n", "bad.vmx:4", "expected NAME = VALUE");
    EXPECT_BAD("= \"value\"\n", "bad.vmx:1", "empty key");
    EXPECT_BAD("  =1\n", "bad.vmx:1", "empty key");
    EXPECT_BAD("a = 1\nb = \"open\n", "bad.vmx:2", "unterminated quoted value (expected a closing");
    EXPECT_BAD("b = \"open", "bad.vmx:1", "unterminated");
    EXPECT_BAD("a = \"x\"y\n", "bad.vmx:1", "after the value");
    EXPECT_BAD("a = two words\n", "bad.vmx:1", "after the value");
    EXPECT_BAD("a = \"x\" \"y\"\n", "bad.vmx:1", "after the value");
    EXPECT_BAD("a#b = 1\n", "bad.vmx:1", "no '='");
    EXPECT_BAD("a = 1\nb = \"x\0y\"\n", "bad.vmx:2", "NUL byte");
    EXPECT_BAD("# comment \0 too\n", "bad.vmx:1", "NUL byte");
    EXPECT_BAD("a = 1\n\xEF\xBB\xBF.encoding = 2\n", "bad.vmx:2", "byte order mark");
    EXPECT_BAD("\xEF\xBB\xBF\xEF\xBB\xBF"
               "a = 2\n",
               "bad.vmx:1", "byte order mark");
    /* Line numbers count CR-only and CRLF lines too. */
    EXPECT_BAD("a = 1\rb = 2\r\nc\n", "bad.vmx:3", "no '='");

    /* The message names the offending key, with control bytes masked. */
    vn_vmx *vmx = NULL;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_vmx_parse("k\x1b[31m\n", 7, "f", &vmx, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "k?[31m") != NULL);
    CHECK(vmx == NULL);
}

TEST(duplicate_keys)
{
    EXPECT_BAD("memsize = \"1\"\nx = 2\nmemsize = \"1\"\n", "bad.vmx:3",
               "duplicate key \"memsize\" (first at line 1; keys are case-insensitive)");
    EXPECT_BAD("# c\nmsg.autoanswer = \"TRUE\"\n\nmsg.autoAnswer = \"TRUE\"\n", "bad.vmx:4",
               "duplicate key \"msg.autoAnswer\" (first at line 2; keys are case-insensitive)");
}

TEST(load_file)
{
    vn_vmx *vmx = NULL;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_vmx_load("/nonexistent/dir/x.vmx", &vmx, &err), VN_EINPUT);
    CHECK_STR(err.where, "/nonexistent/dir/x.vmx");
    CHECK(vmx == NULL);

    char path[] = "/tmp/vn_test_vmx_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        SKIP("cannot create a temporary file");
    FILE *f = fdopen(fd, "w");
    fputs("a = 1\nb\n", f);
    fclose(f);
    vn_error_clear(&err);
    CHECK_INT(vn_vmx_load(path, &vmx, &err), VN_EINPUT);
    char where[600];
    snprintf(where, sizeof(where), "%s:2", path);
    CHECK_STR(err.where, where);
    f = fopen(path, "w");
    fputs("a = 1\n", f);
    fclose(f);
    CHECK_INT(vn_vmx_load(path, &vmx, &err), VN_OK);
    if (vmx)
        CHECK_STR(vn_vmx_get(vmx, "A"), "1");
    vn_vmx_free(vmx);
    remove(path);
}

/* The terminator new lines should get, worked out independently of the
 * codec: the first line ending in the file, LF when there is none. */
static const char *first_eol(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            return "\n";
        if (s[i] == '\r')
            return (i + 1 < n && s[i + 1] == '\n') ? "\r\n" : "\r";
    }
    return "\n";
}

static int ends_with_eol(const char *s, size_t n)
{
    return n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r');
}

/* Round-trips one corpus file; returns 1 on success. */
static int corpus_file(const char *path)
{
    char *data;
    size_t len;
    vn_error err;
    vn_error_clear(&err);
    if (vn_file_read(path, &data, &len, &err) != VN_OK) {
        FAILF("%s: %s", err.where, err.msg);
        return 0;
    }
    vn_vmx *vmx = NULL;
    int ok = 0;
    if (vn_vmx_parse(data, len, path, &vmx, &err) != VN_OK) {
        FAILF("%s: %s", err.where, err.msg);
        goto out;
    }
    if (!writes_as(vmx, data, len)) {
        FAILF("%s: unchanged write is not byte-identical", path);
        goto out;
    }
    if (vn_vmx_set(vmx, "vnest.testKey", "a \"b\" |c") != 1) {
        FAILF("%s: set of a new key did not change the document", path);
        goto out;
    }
    const char *eol = first_eol(data, len);
    vn_buf want = VN_BUF_INIT;
    vn_buf_add(&want, data, len);
    if (len > 0 && !ends_with_eol(data, len))
        vn_buf_adds(&want, eol);
    vn_buf_adds(&want, "vnest.testKey = \"a |22b|22 |7Cc\"");
    vn_buf_adds(&want, eol);
    ok = writes_as(vmx, want.data, want.len);
    if (!ok)
        FAILF("%s: set of a new key did not append exactly one line", path);
    vn_buf_free(&want);
out:
    vn_vmx_free(vmx);
    free(data);
    return ok;
}

TEST(corpus_round_trip)
{
    const char *root = getenv("VNEST_CORPUS");
    char dir[1024];
    DIR *d = NULL;
    if (root && *root) {
        snprintf(dir, sizeof(dir), "%s/vmx", root);
        d = opendir(dir);
    }
    if (!d)
        SKIP("shared corpus not present (../shared/corpus): real-world VMX round-trip needs it");
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 4, ".vmx") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        corpus_file(path);
        files++;
    }
    closedir(d);
    if (files == 0)
        FAILF("no *.vmx files in %s", dir);
}

int main(void)
{
    RUN(parse_and_get);
    RUN(get_case_insensitive);
    RUN(unescape_on_read);
    RUN(escape_on_write);
    RUN(unquoted_and_empty_values);
    RUN(comments_kept);
    RUN(crlf_round_trip_and_set);
    RUN(lone_cr_file);
    RUN(mixed_endings_round_trip);
    RUN(bom_round_trip);
    RUN(no_final_newline);
    RUN(set_identical_is_no_change);
    RUN(set_changes_only_that_line);
    RUN(new_document);
    RUN(unset);
    RUN(bad_input);
    RUN(duplicate_keys);
    RUN(load_file);
    RUN(corpus_round_trip);
    TH_EXIT();
}
