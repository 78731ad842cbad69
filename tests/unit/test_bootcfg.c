/* Unit tests for the boot.cfg reader/editor (lib/vn_bootcfg.c): esx-boot's
 * grammar, lossless writing, kernelopt token edits, and every real boot.cfg
 * of the shared corpus. */
#define TH_SUITE "bootcfg"
#include "harness.h"

#include <dirent.h>

#include "vn_bootcfg.h"
#include "vn_buf.h"
#include "vn_error.h"
#include "vn_file.h"

static vn_bootcfg *parse_ok(const char *fn, int line, const char *text)
{
    vn_bootcfg *cfg = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_bootcfg_parse(text, strlen(text), "t.cfg", &cfg, &err) != VN_OK) {
        fail_in(fn, line, "parse failed: %s: %s", err.where, err.msg);
        return NULL;
    }
    return cfg;
}
#define PARSE(text) parse_ok(__func__, __LINE__, text)

/* The document's bytes as a heap string. */
static char *written(const vn_bootcfg *cfg)
{
    vn_buf b = VN_BUF_INIT;
    vn_bootcfg_write(cfg, &b);
    return vn_buf_detach(&b, NULL);
}

static int writes_as(const vn_bootcfg *cfg, const char *want)
{
    char *got = written(cfg);
    int same = strcmp(got, want) == 0;
    if (!same)
        printf("     got: [%s]\n     want: [%s]\n", got, want);
    free(got);
    return same;
}

TEST(grammar)
{
    vn_bootcfg *cfg = PARSE("bootstate=0\n"
                            "  # kernelopt=commented\n"
                            "\n"
                            "Title = Loading   ESXi\tinstaller \r\n"
                            "no separator here\n"
                            "kernel=/b.b00\n"
                            "kernelopt=cdromBoot  runweasel\n"
                            "KERNELOPT=runweasel\n"
                            "modules=/a.gz --- /b.gz\n"
                            "prefix=\n"
                            "build=8.0.2-0.0.22380479");
    if (!cfg)
        return;
    CHECK_STR(vn_bootcfg_get(cfg, "title"), "Loading ESXi installer");
    CHECK_STR(vn_bootcfg_get(cfg, "TITLE"), "Loading ESXi installer");
    CHECK_STR(vn_bootcfg_get(cfg, "kernelopt"), "runweasel"); /* the last one wins */
    CHECK_INT(vn_bootcfg_line(cfg, "kernelopt"), 8);
    CHECK_STR(vn_bootcfg_get(cfg, "prefix"), "");
    CHECK_STR(vn_bootcfg_get(cfg, "build"), "8.0.2-0.0.22380479");
    CHECK(vn_bootcfg_get(cfg, "no separator here") == NULL);
    CHECK(vn_bootcfg_get(cfg, "# kernelopt") == NULL);
    CHECK(vn_bootcfg_get(cfg, "updated") == NULL);
    CHECK_INT(vn_bootcfg_line(cfg, "updated"), 0);
    CHECK_INT(vn_bootcfg_lines(cfg), 11);
    CHECK(vn_bootcfg_kopt_get(cfg, "cdromBoot") == NULL);
    CHECK_STR(vn_bootcfg_kopt_get(cfg, "RunWeasel"), "");
    vn_bootcfg_free(cfg);
}

TEST(rejects_bad_integers_and_nul)
{
    static const char *const bad[] = {"timeout=5s\n", "bootstate=0\nupdated=x\n",
                                      "nobootif = yes\n"};
    static const int bad_line[] = {1, 2, 1};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vn_bootcfg *cfg = NULL;
        vn_error err;
        vn_error_clear(&err);
        char want[32];
        snprintf(want, sizeof(want), "t.cfg:%d", bad_line[i]);
        CHECK_INT(vn_bootcfg_parse(bad[i], strlen(bad[i]), "t.cfg", &cfg, &err), VN_EINPUT);
        CHECK(cfg == NULL);
        CHECK_STR(err.where, want);
        CHECK(strstr(err.msg, "not a number") != NULL);
    }
    vn_bootcfg *cfg = NULL;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_bootcfg_parse("a=1\nb=\0x\n", 8, "t.cfg", &cfg, &err), VN_EINPUT);
    CHECK_STR(err.where, "t.cfg:2");
    /* Empty integer values, negative numbers and unknown keys are fine. */
    cfg = PARSE("timeout=\nerrtimeout=-1\nfoo=bar\n");
    vn_bootcfg_free(cfg);
}

TEST(round_trip_is_lossless)
{
    static const char *const docs[] = {
        "",
        "\n",
        "bootstate=0",
        "a=1\r\nb = 2 \r\n\r\n# c\r\n",
        "  kernelopt =  x   y\t\n\n\nweird line\n=lonely\n",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        vn_bootcfg *cfg = PARSE(docs[i]);
        if (cfg && !writes_as(cfg, docs[i]))
            FAILF("document %zu does not write back unchanged", i);
        vn_bootcfg_free(cfg);
    }
}

TEST(set_keeps_the_line_shape)
{
    vn_bootcfg *cfg = PARSE("Kernel = /b.b00  \r\nkernelopt=\r\nupdated=1\r\n");
    if (!cfg)
        return;
    CHECK_INT(vn_bootcfg_set(cfg, "kernel", "/b.b00"), 0);
    CHECK_INT(vn_bootcfg_set(cfg, "kernel", "/k.b00"), 1);
    CHECK_INT(vn_bootcfg_set(cfg, "kernelopt", "runweasel"), 1);
    CHECK(writes_as(cfg, "Kernel = /k.b00  \r\nkernelopt=runweasel\r\nupdated=1\r\n"));
    CHECK_INT(vn_bootcfg_set(cfg, "title", "New title"), 1); /* appended, CR LF */
    CHECK(writes_as(
        cfg, "Kernel = /k.b00  \r\nkernelopt=runweasel\r\nupdated=1\r\ntitle=New title\r\n"));
    CHECK_INT(vn_bootcfg_set(cfg, "bad key", "x"), -1);
    CHECK_INT(vn_bootcfg_set(cfg, "a=b", "x"), -1);
    CHECK_INT(vn_bootcfg_set(cfg, "k", "two\nlines"), -1);
    CHECK_INT(vn_bootcfg_set(cfg, "k", " padded"), -1);
    CHECK_INT(vn_bootcfg_set(cfg, "k", "a  b"), -1);
    vn_bootcfg_free(cfg);

    /* A missing kernelopt= goes right after kernel=; a last line without LF
     * gets one before a line is appended. */
    cfg = PARSE("bootstate=0\nkernel=/b.b00\nbuild=1");
    if (!cfg)
        return;
    CHECK_INT(vn_bootcfg_wire_ks(cfg, "cdrom:/KS.CFG"), 1);
    CHECK(writes_as(cfg, "bootstate=0\nkernel=/b.b00\nkernelopt=ks=cdrom:/KS.CFG\nbuild=1"));
    CHECK_INT(vn_bootcfg_set(cfg, "updated", "2"), 1);
    CHECK(writes_as(cfg, "bootstate=0\nkernel=/b.b00\nkernelopt=ks=cdrom:/KS.CFG\nbuild=1\n"
                         "updated=2\n"));
    vn_bootcfg_free(cfg);
}

TEST(kernelopt_tokens)
{
    struct {
        const char *before, *ks, *legacy;
    } cases[] = {
        {"cdromBoot runweasel", "ks=cdrom:/KS.CFG runweasel",
         "ks=cdrom:/KS.CFG runweasel allowLegacyCPU=true"},
        {"runweasel cdromBoot ks=http://x/ks.cfg", "runweasel ks=cdrom:/KS.CFG",
         "runweasel ks=cdrom:/KS.CFG allowLegacyCPU=true"},
        {"runweasel", "runweasel ks=cdrom:/KS.CFG",
         "runweasel ks=cdrom:/KS.CFG allowLegacyCPU=true"},
        {"KS=usb: a CDROMBOOT ks=b", "a ks=cdrom:/KS.CFG",
         "a ks=cdrom:/KS.CFG allowLegacyCPU=true"},
        {"", "ks=cdrom:/KS.CFG", "ks=cdrom:/KS.CFG allowLegacyCPU=true"},
        {"allowlegacycpu=FALSE runweasel", "allowlegacycpu=FALSE runweasel ks=cdrom:/KS.CFG",
         "allowLegacyCPU=true runweasel ks=cdrom:/KS.CFG"},
        {"allowLegacyCPU=true runweasel allowLegacyCPU=true",
         "allowLegacyCPU=true runweasel allowLegacyCPU=true ks=cdrom:/KS.CFG",
         "allowLegacyCPU=true runweasel ks=cdrom:/KS.CFG"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "kernel=/b.b00\nkernelopt=%s\nbuild=x\n", cases[i].before);
        vn_bootcfg *cfg = PARSE(text);
        if (!cfg)
            continue;
        CHECK_INT(vn_bootcfg_wire_ks(cfg, "cdrom:/KS.CFG"), 1);
        CHECK_STR(vn_bootcfg_get(cfg, "kernelopt"), cases[i].ks);
        CHECK_INT(vn_bootcfg_wire_ks(cfg, "cdrom:/KS.CFG"), 0);
        CHECK_INT(vn_bootcfg_allow_legacy_cpu(cfg), 1);
        CHECK_STR(vn_bootcfg_get(cfg, "kernelopt"), cases[i].legacy);
        CHECK_INT(vn_bootcfg_allow_legacy_cpu(cfg), 0);
        CHECK_STR(vn_bootcfg_kopt_get(cfg, "ks"), "cdrom:/KS.CFG");
        CHECK_STR(vn_bootcfg_kopt_get(cfg, "allowlegacycpu"), "true");
        vn_bootcfg_free(cfg);
    }
    vn_bootcfg *cfg = PARSE("kernelopt=a b=1 c B=2\n");
    if (!cfg)
        return;
    CHECK_INT(vn_bootcfg_kopt_remove(cfg, "b"), 1);
    CHECK_STR(vn_bootcfg_get(cfg, "kernelopt"), "a c");
    CHECK_INT(vn_bootcfg_kopt_remove(cfg, "b"), 0);
    CHECK_INT(vn_bootcfg_kopt_set(cfg, "x y", NULL), -1);
    CHECK_INT(vn_bootcfg_kopt_set(cfg, "=v", NULL), -1);
    CHECK_INT(vn_bootcfg_wire_ks(cfg, ""), -1);
    CHECK(writes_as(cfg, "kernelopt=a c\n"));
    vn_bootcfg_free(cfg);
}

/* The corpus files and the kernelopt each one must get. */
static const struct {
    const char *file, *ks;
} expected[] = {
    {"apnex__docker-esx__html__boot.cfg", "ks=cdrom:/KS.CFG runweasel"},
    {"dsjodin__hostdeployer__boot.cfg", "runweasel ks=cdrom:/KS.CFG"},
    {"dsjodin__hostdeployer__esxi__boot.cfg", "runweasel ks=cdrom:/KS.CFG"},
    {"msh-8__ansible_esxi_customization__boot.cfg", "ks=cdrom:/KS.CFG"},
    {"msh-8__ansible_esxi_customization__boot.cfg.orig", "ks=cdrom:/KS.CFG runweasel"},
    {"sagbash__vmware_autoinstaller_rhel9__boot.cfg", "runweasel ks=cdrom:/KS.CFG"},
    {"tekore__Hypervisor-Automation__VSphere__boot.cfg", "ks=cdrom:/KS.CFG"},
};

/* Line `n` (1-based) of text, or NULL. */
static const char *nth_line(const char *text, int n, size_t *len)
{
    const char *p = text;
    for (int i = 1; i < n; i++) {
        p = strchr(p, '\n');
        if (!p)
            return NULL;
        p++;
    }
    const char *e = strchr(p, '\n');
    *len = e ? (size_t)(e - p + 1) : strlen(p);
    return *len ? p : NULL;
}

/* Every line but `skip` is byte-identical in `a` and `b`. */
static int same_but(const char *a, const char *b, int skip, int lines)
{
    for (int i = 1; i <= lines; i++) {
        size_t la = 0, lb = 0;
        const char *pa = nth_line(a, i, &la), *pb = nth_line(b, i, &lb);
        if (i == skip)
            continue;
        if (!pa || !pb || la != lb || memcmp(pa, pb, la) != 0)
            return 0;
    }
    return 1;
}

static void corpus_file(const char *fn, const char *path, const char *want_ks)
{
    char *data = NULL;
    size_t len = 0;
    vn_error err;
    vn_error_clear(&err);
    if (vn_file_read(path, &data, &len, &err) != VN_OK) {
        fail_in(fn, __LINE__, "%s: %s", path, err.msg);
        return;
    }
    vn_bootcfg *cfg = NULL;
    if (vn_bootcfg_parse(data, len, path, &cfg, &err) != VN_OK) {
        fail_in(fn, __LINE__, "%s: %s: %s", path, err.where, err.msg);
        free(data);
        return;
    }
    char *out = written(cfg);
    if (strlen(out) != len || memcmp(out, data, len) != 0)
        fail_in(fn, __LINE__, "%s does not write back byte for byte", path);
    free(out);
    if (!vn_bootcfg_get(cfg, "build") || !vn_bootcfg_get(cfg, "kernel"))
        fail_in(fn, __LINE__, "%s: build= or kernel= not found", path);

    if (!want_ks) {
        /* A file this test does not know: the edit's invariants only. */
        if (vn_bootcfg_wire_ks(cfg, "cdrom:/KS.CFG") < 0 || vn_bootcfg_kopt_get(cfg, "cdromBoot") ||
            strcmp(vn_bootcfg_kopt_get(cfg, "ks"), "cdrom:/KS.CFG") != 0 ||
            vn_bootcfg_wire_ks(cfg, "cdrom:/KS.CFG") != 0)
            fail_in(fn, __LINE__, "%s: kernelopt=%s after the edit", path,
                    vn_bootcfg_get(cfg, "kernelopt"));
        vn_bootcfg_free(cfg);
        free(data);
        return;
    }
    int line = vn_bootcfg_line(cfg, "kernelopt");
    int lines = vn_bootcfg_lines(cfg);
    if (vn_bootcfg_wire_ks(cfg, "cdrom:/KS.CFG") != 1)
        fail_in(fn, __LINE__, "%s: wire_ks changed nothing", path);
    const char *got = vn_bootcfg_get(cfg, "kernelopt");
    if (!got || strcmp(got, want_ks) != 0)
        fail_in(fn, __LINE__, "%s: kernelopt=%s, expected %s", path, got ? got : "(none)", want_ks);
    out = written(cfg);
    if (vn_bootcfg_line(cfg, "kernelopt") != line || !same_but(out, data, line, lines))
        fail_in(fn, __LINE__, "%s: lines other than kernelopt= (line %d) changed", path, line);
    /* The edited line keeps its key and ending: only the value differs. */
    size_t ln = 0;
    const char *l = nth_line(out, line, &ln);
    char want_line[512];
    snprintf(want_line, sizeof(want_line), "kernelopt=%s%s", want_ks,
             l && l[ln - 1] == '\n' ? "\n" : "");
    if (!l || ln != strlen(want_line) || memcmp(l, want_line, ln) != 0)
        fail_in(fn, __LINE__, "%s: edited line is not \"kernelopt=%s\"", path, want_ks);
    free(out);

    char legacy[512];
    snprintf(legacy, sizeof(legacy), "%s allowLegacyCPU=true", want_ks);
    if (vn_bootcfg_allow_legacy_cpu(cfg) != 1 || vn_bootcfg_allow_legacy_cpu(cfg) != 0 ||
        vn_bootcfg_wire_ks(cfg, "cdrom:/KS.CFG") != 0)
        fail_in(fn, __LINE__, "%s: edits are not idempotent", path);
    got = vn_bootcfg_get(cfg, "kernelopt");
    if (!got || strcmp(got, legacy) != 0)
        fail_in(fn, __LINE__, "%s: kernelopt=%s, expected %s", path, got ? got : "(none)", legacy);
    vn_bootcfg_free(cfg);
    free(data);
}

TEST(corpus)
{
    const char *root = getenv("VNEST_CORPUS");
    char dir[1024];
    DIR *d = NULL;
    if (root && *root) {
        snprintf(dir, sizeof(dir), "%s/bootcfg", root);
        d = opendir(dir);
    }
    if (!d)
        SKIP("shared corpus not present (../shared/corpus): real boot.cfg files need it");
    int files = 0, known = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        const char *want = NULL;
        for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
            if (strcmp(expected[i].file, e->d_name) == 0)
                want = expected[i].ks;
        }
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        corpus_file(__func__, path, want);
        files++;
        known += want != NULL;
    }
    closedir(d);
    if (known != (int)(sizeof(expected) / sizeof(expected[0])))
        FAILF("%d of the %zu boot.cfg files this test knows are in %s (%d files)", known,
              sizeof(expected) / sizeof(expected[0]), dir, files);
}

int main(void)
{
    RUN(grammar);
    RUN(rejects_bad_integers_and_nul);
    RUN(round_trip_is_lossless);
    RUN(set_keeps_the_line_shape);
    RUN(kernelopt_tokens);
    RUN(corpus);
    TH_EXIT();
}
