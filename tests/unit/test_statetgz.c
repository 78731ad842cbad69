/* vn_esxconf and vn_statetgz: esx.conf parsing/editing, and state.tgz built
 * the way ESXi's backup.sh does (tar czf local.tgz; tar czf state.tgz
 * local.tgz) with the real tar and gzip, read and rewritten, then checked
 * with tar. */
#define TH_SUITE "statetgz"
#include "harness.h"

#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_esxconf.h"
#include "vn_file.h"
#include "vn_statetgz.h"

static char dir[64];

static const char conf_text[] = "/adv/Misc/HostName = \"esxi-tpl\"\n"
                                "/adv/Net/ManagementAddr = \"192.168.1.50\"\n"
                                "/adv/UserVars/SuppressShellWarning = \"1\"\n"
                                "/firewall/services/sshServer/enabled = \"true\"\n"
                                "/net/pnic/child[0000]/mac = \"00:0c:29:aa:bb:cc\"\n"
                                "/net/pnic/child[0000]/name = \"vmnic0\"\n"
                                "/net/vmkernelnic/child[0000]/enable = \"true\"\n"
                                "/net/vmkernelnic/child[0000]/mac = \"00:0c:29:aa:bb:cc\"\n"
                                "/net/vmkernelnic/child[0000]/name = \"vmk0\"\n"
                                "/net/vmkernelnic/child[0000]/portgroup = \"Management Network\"\n"
                                "/net/vmkernelnic/child[0001]/name = \"vmk1\"\n"
                                "/net/vmkernelnic/child[0001]/mac = \"00:50:56:61:22:33\"\n"
                                "/resourceGroups/version = \"6.7.0\"\n"
                                "/system/uuid = \"5f1a2b3c-1234-5678-9abc-000c29aabbcc\"\n";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    fflush(stdout);
    return system(cmd);
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    vn_error err;
    if (vn_file_read(path, &data, len, &err) != VN_OK)
        return NULL;
    return data;
}

/* ---- esx.conf ---- */

static vn_esxconf *parse(const char *text)
{
    vn_esxconf *c = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_esxconf_parse(text, strlen(text), "esx.conf", &c, &err) != VN_OK)
        printf("     parse: %s: %s\n", err.where, err.msg);
    return c;
}

static char *written(const vn_esxconf *c)
{
    vn_buf b = VN_BUF_INIT;
    vn_esxconf_write(c, &b);
    return vn_buf_detach(&b, NULL);
}

TEST(esxconf_lossless_and_get)
{
    const char *text = "/a/b = \"1\"\r\n\n# note\n  /c/d=\"x y\"   \n/e = \"\"";
    vn_esxconf *c = parse(text);
    CHECK(c != NULL);
    if (!c)
        return;
    char *out = written(c);
    CHECK_STR(out, text);
    free(out);
    CHECK_STR(vn_esxconf_get(c, "/c/d"), "x y");
    CHECK_STR(vn_esxconf_get(c, "/e"), "");
    CHECK(vn_esxconf_get(c, "/a") == NULL);
    CHECK_INT(vn_esxconf_line(c, "/c/d"), 4);
    CHECK_INT(vn_esxconf_count(c), 3);
    CHECK_STR(vn_esxconf_key_at(c, 2), "/e");
    vn_esxconf_free(c);
}

TEST(esxconf_edit)
{
    vn_esxconf *c = parse(conf_text);
    if (!c) {
        FAILF("parse");
        return;
    }
    CHECK_INT(vn_esxconf_remove(c, "/system/uuid"), 1);
    CHECK_INT(vn_esxconf_remove(c, "/system/uuid"), 0);
    CHECK_INT(vn_esxconf_set(c, "/adv/Net/FollowHardwareMac", "1"), 1);
    CHECK_INT(vn_esxconf_set(c, "/adv/Net/FollowHardwareMac", "1"), 0);
    CHECK_INT(vn_esxconf_set(c, "/adv/Misc/HostName", "new"), 1);
    CHECK_INT(vn_esxconf_set(c, "/adv/x", "a\"b"), -1);
    CHECK_INT(vn_esxconf_set(c, "adv/x", "1"), -1);
    CHECK_INT(vn_esxconf_set(c, "/adv/x y", "1"), -1);
    CHECK_INT(vn_esxconf_set(c, "/adv/x", "a\nb"), -1);
    char *out = written(c);
    /* The new key goes with its /adv/Net/ siblings; untouched lines stay. */
    CHECK(strstr(out, "/adv/Misc/HostName = \"new\"\n"
                      "/adv/Net/ManagementAddr = \"192.168.1.50\"\n"
                      "/adv/Net/FollowHardwareMac = \"1\"\n"
                      "/adv/UserVars/SuppressShellWarning") == out);
    CHECK(strstr(out, "/system/uuid") == NULL);
    CHECK(strstr(out, "/resourceGroups/version = \"6.7.0\"\n") != NULL);
    vn_esxconf *again = parse(out);
    CHECK(again && strcmp(vn_esxconf_get(again, "/adv/Net/FollowHardwareMac"), "1") == 0);
    vn_esxconf_free(again);
    free(out);
    /* A file without a final LF gets one before an appended line. */
    vn_esxconf *d = parse("/x/a = \"1\"");
    CHECK_INT(vn_esxconf_set(d, "/y", "2"), 1);
    out = written(d);
    CHECK_STR(out, "/x/a = \"1\"\n/y = \"2\"\n");
    free(out);
    vn_esxconf_free(d);
    vn_esxconf_free(c);
}

TEST(esxconf_vmknics_ssh)
{
    vn_esxconf *c = parse(conf_text);
    if (!c) {
        FAILF("parse");
        return;
    }
    vn_esxconf_vmknic *v = NULL;
    size_t n = vn_esxconf_vmknics(c, &v);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(v[0].index, 0);
        CHECK_STR(v[0].name, "vmk0");
        CHECK_STR(v[0].mac, "00:0c:29:aa:bb:cc");
        CHECK_STR(v[0].portgroup, "Management Network");
        CHECK_INT(v[1].index, 1);
        CHECK_STR(v[1].name, "vmk1");
        CHECK_STR(v[1].mac, "00:50:56:61:22:33");
        CHECK(v[1].portgroup == NULL);
    }
    free(v);
    CHECK_INT(vn_esxconf_ssh(c), 1);
    CHECK_INT(vn_esxconf_set(c, "/firewall/services/sshServer/enabled", "false"), 1);
    CHECK_INT(vn_esxconf_ssh(c), 0);
    vn_esxconf_remove(c, "/firewall/services/sshServer/enabled");
    CHECK_INT(vn_esxconf_ssh(c), -1);
    vn_esxconf_free(c);
}

TEST(esxconf_errors)
{
    static const struct {
        const char *text;
        int line;
        const char *msg;
    } bad[] = {
        {"/a = \"1\"\nfoo = \"2\"\n", 2, "starts with /"},
        {"/a \"1\"\n", 1, "after the key"},
        {"/a = 1\n", 1, "double-quoted"},
        {"/a = \"1\n", 1, "unterminated"},
        {"/a = \"1\" x\n", 1, "after the closing"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vn_esxconf *c = NULL;
        vn_error err;
        vn_error_clear(&err);
        CHECK_INT(vn_esxconf_parse(bad[i].text, strlen(bad[i].text), "esx.conf", &c, &err),
                  VN_EINPUT);
        CHECK(c == NULL);
        char where[32];
        snprintf(where, sizeof(where), "esx.conf:%d", bad[i].line);
        CHECK_STR(err.where, where);
        CHECK(strstr(err.msg, bad[i].msg) != NULL);
    }
    vn_esxconf *c = NULL;
    vn_error err;
    CHECK_INT(vn_esxconf_parse("/a = \"1\"\n\0", 10, "esx.conf", &c, &err), VN_EINPUT);
    CHECK_STR(err.where, "esx.conf:2");
}

/* ---- state.tgz ---- */

/* Builds DIR/state.tgz like backup.sh; returns 0 on success. */
static int build_state(void)
{
    char path[256];
    if (sh("set -e; cd %s; rm -rf root && mkdir -p root/etc/vmware/hostd root/etc/vmware/ssl "
           "root/etc/ssh",
           dir) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/root/etc/vmware/esx.conf", dir);
    vn_error err;
    if (vn_file_replace(path, conf_text, strlen(conf_text), 0644, &err) != VN_OK)
        return -1;
    return sh("set -e; cd %s/root; "
              "printf '<ConfigRoot><hostd/></ConfigRoot>\\n' > etc/vmware/hostd/hostsvc.xml; "
              "printf '<ConfigRoot/>\\n' > etc/vmware/hostd/vmInventory.xml; "
              "head -c 3000 /dev/urandom > etc/vmware/ssl/rui.key; chmod 600 "
              "etc/vmware/ssl/rui.key; "
              "printf 'root:x:0:0::/:/bin/sh\\n' > etc/passwd; "
              "printf '127.0.0.1 localhost\\n' > etc/hosts; "
              "ln -s ../hosts etc/ssh/hosts-link; "
              "touch -h -d '2023-05-06 07:08:09' etc/vmware/esx.conf etc/passwd etc/hosts "
              "etc/ssh/hosts-link etc/vmware/hostd/*.xml etc/vmware/ssl/rui.key; "
              "tar czf ../local.tgz --owner=0 --group=0 etc; cd ..; "
              "touch -d '2023-05-06 07:09:00' local.tgz; "
              "tar czf state.tgz --owner=0 --group=0 local.tgz",
              dir);
}

TEST(read_esxconf)
{
    if (build_state() != 0)
        SKIP("cannot build state.tgz with tar/gzip");
    char path[256];
    snprintf(path, sizeof(path), "%s/state.tgz", dir);
    size_t len;
    char *state = slurp(path, &len);
    CHECK(state != NULL);
    char *text = NULL;
    size_t tlen = 0;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_statetgz_get_esxconf(state, len, "state.tgz", &text, &tlen, &err), VN_OK);
    CHECK(text && tlen == strlen(conf_text) && memcmp(text, conf_text, tlen) == 0);
    free(text);
    free(state);
}

TEST(roundtrip_and_edit)
{
    if (build_state() != 0)
        SKIP("cannot build state.tgz with tar/gzip");
    char path[256];
    snprintf(path, sizeof(path), "%s/state.tgz", dir);
    size_t len;
    char *state = slurp(path, &len);
    if (!state) {
        FAILF("read state.tgz");
        return;
    }
    vn_error err;
    vn_error_clear(&err);
    char *text = NULL;
    size_t tlen;
    CHECK_INT(vn_statetgz_get_esxconf(state, len, "state.tgz", &text, &tlen, &err), VN_OK);
    vn_esxconf *c = NULL;
    CHECK_INT(vn_esxconf_parse(text, tlen, "esx.conf", &c, &err), VN_OK);
    free(text);
    if (!c)
        return;
    vn_esxconf_remove(c, "/system/uuid");
    vn_esxconf_set(c, "/adv/Net/FollowHardwareMac", "1");
    vn_buf nt = VN_BUF_INIT;
    vn_esxconf_write(c, &nt);
    vn_esxconf_free(c);

    void *out = NULL;
    size_t out_len = 0;
    CHECK_INT(
        vn_statetgz_set_esxconf(state, len, "state.tgz", nt.data, nt.len, &out, &out_len, &err),
        VN_OK);
    snprintf(path, sizeof(path), "%s/new.tgz", dir);
    CHECK_INT(vn_file_replace(path, out, out_len, 0644, &err), VN_OK);

    /* Unpack both with tar; listings equal but for esx.conf's size (and
     * local.tgz's), every file equal but esx.conf. */
    int rc =
        sh("set -e; cd %s; rm -rf a b; mkdir a b; "
           "tar -xzf state.tgz -C a; tar -xzf new.tgz -C b; "
           "tar -tzvf state.tgz --full-time | awk '{$3=\"N\"; print}' > a.list; "
           "tar -tzvf new.tgz --full-time | awk '{$3=\"N\"; print}' > b.list; "
           "cmp a.list b.list; "
           "cd a; mkdir x; tar -xzpf local.tgz -C x; cd ../b; mkdir x; tar -xzpf local.tgz "
           "-C x; cd ..; "
           "tar -tzvf a/local.tgz --full-time | grep -v esx.conf > a.ll; "
           "tar -tzvf b/local.tgz --full-time | grep -v esx.conf > b.ll; cmp a.ll b.ll; "
           "tar -tzvf a/local.tgz --full-time | grep esx.conf | awk '{$3=\"N\"; print}' > a.e; "
           "tar -tzvf b/local.tgz --full-time | grep esx.conf | awk '{$3=\"N\"; print}' > b.e; cmp "
           "a.e b.e; "
           "tar -tzf a/local.tgz > a.order; tar -tzf b/local.tgz > b.order; "
           "cmp a.order b.order; "
           "diff -r --no-dereference -x esx.conf a/x b/x; "
           "test -L b/x/etc/ssh/hosts-link; "
           "test \"$(stat -c %%a b/x/etc/vmware/ssl/rui.key)\" = 600",
           dir);
    CHECK_INT(rc, 0);
    snprintf(path, sizeof(path), "%s/b/x/etc/vmware/esx.conf", dir);
    size_t elen;
    char *e = slurp(path, &elen);
    CHECK(e && elen == nt.len && memcmp(e, nt.data, elen) == 0);
    free(e);

    /* A second pass reads the new text back, and unchanged text round-trips. */
    text = NULL;
    CHECK_INT(vn_statetgz_get_esxconf(out, out_len, "new.tgz", &text, &tlen, &err), VN_OK);
    CHECK(text && tlen == nt.len && memcmp(text, nt.data, tlen) == 0);
    free(text);
    void *same = NULL;
    size_t same_len;
    CHECK_INT(vn_statetgz_set_esxconf(state, len, "state.tgz", conf_text, strlen(conf_text), &same,
                                      &same_len, &err),
              VN_OK);
    snprintf(path, sizeof(path), "%s/same.tgz", dir);
    CHECK_INT(vn_file_replace(path, same, same_len, 0644, &err), VN_OK);
    CHECK_INT(sh("set -e; cd %s; rm -rf c; mkdir c; tar -xzf same.tgz -C c; mkdir c/x; "
                 "tar -xzpf c/local.tgz -C c/x; diff -r --no-dereference a/x c/x",
                 dir),
              0);
    free(same);
    free(out);
    vn_buf_free(&nt);
    free(state);
}

static void expect_bad(const char *fn, int line, const void *data, size_t len, const char *msg)
{
    vn_error err;
    vn_error_clear(&err);
    char *text = NULL;
    size_t tlen;
    int rc = vn_statetgz_get_esxconf(data, len, "state.tgz", &text, &tlen, &err);
    char full[2048];
    snprintf(full, sizeof(full), "%s: %s", err.where, err.msg);
    if (rc != VN_EINPUT || text != NULL || !strstr(full, msg))
        fail_in(fn, line, "get: rc %d, \"%s\" (expected \"%s\")", rc, err.msg, msg);
    void *out = NULL;
    size_t out_len;
    vn_error_clear(&err);
    rc = vn_statetgz_set_esxconf(data, len, "state.tgz", "x", 1, &out, &out_len, &err);
    snprintf(full, sizeof(full), "%s: %s", err.where, err.msg);
    if (rc != VN_EINPUT || out != NULL || !strstr(full, msg))
        fail_in(fn, line, "set: rc %d, \"%s\" (expected \"%s\")", rc, err.msg, msg);
}

TEST(bad_inputs)
{
    if (build_state() != 0)
        SKIP("cannot build state.tgz with tar/gzip");
    expect_bad(__func__, __LINE__, "hello", 5, "not a gzip file");
    expect_bad(__func__, __LINE__, "", 0, "not a gzip file");
    char path[256];
    snprintf(path, sizeof(path), "%s/state.tgz", dir);
    size_t len;
    char *state = slurp(path, &len);
    if (!state)
        return;
    expect_bad(__func__, __LINE__, state, len / 2, "damaged or truncated");
    expect_bad(__func__, __LINE__, state, 12, "");
    free(state);
    /* No local.tgz; an encrypted one; local.tgz without esx.conf. */
    CHECK_INT(sh("set -e; cd %s; printf x > other; tar czf noloc.tgz other; "
                 "cp other local.tgz.ve; printf y > encryption.info; "
                 "tar czf enc.tgz local.tgz.ve encryption.info; "
                 "tar czf local.tgz -C root etc/hosts; tar czf noconf.tgz local.tgz; "
                 "gzip -c other > plain.gz; cp plain.gz local.tgz; tar czf badinner.tgz local.tgz",
                 dir),
              0);
    static const struct {
        const char *file, *msg;
    } cases[] = {
        {"noloc.tgz", "no member local.tgz"},
        {"enc.tgz", "encrypted local.tgz.ve"},
        {"noconf.tgz", "no member etc/vmware/esx.conf"},
        {"badinner.tgz", "state.tgz: local.tgz: "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
        char *d = slurp(path, &len);
        if (!d) {
            FAILF("%s", path);
            continue;
        }
        expect_bad(__func__, __LINE__, d, len, cases[i].msg);
        free(d);
    }
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vnest-statetgz-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(esxconf_lossless_and_get);
    RUN(esxconf_edit);
    RUN(esxconf_vmknics_ssh);
    RUN(esxconf_errors);
    RUN(read_esxconf);
    RUN(roundtrip_and_edit);
    RUN(bad_inputs);
    if (!getenv("KEEP"))
        sh("rm -rf %s", dir);
    TH_EXIT();
}
