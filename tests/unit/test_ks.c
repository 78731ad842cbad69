/* Unit tests for the kickstart module (lib/vn_ks*.c): word splitting as the
 * installer does it, did-you-mean, crypt hashes and the password file, the
 * generator's output per option set, and the linter's findings with their
 * lines, on made-up files and on the real files of the shared corpus. */
#define TH_SUITE "ks"
#include "harness.h"

#include <crypt.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_ks.h"
#include "vn_profile.h"
#include "vn_release.h"

/* A valid SHA-512 crypt hash (of "Lab!pass1"), for generator tests. */
#define HASH                                                                                       \
    "$6$fuzzseedsalt0001$B3uvggNoHFKAhd8SlcdkoPpkvVCi5iZp8K5eO.bV"                                 \
    "1VMVl5sjIe5G/eaOl5rmBqFXfQFjiM4gw0Q6cXojO/hN./"

static const vn_release *rel(vn_release_id id)
{
    return vn_release_get(id);
}

/* ---- helpers ---- */

static char *gen(const vn_ks_spec *spec)
{
    vn_buf b = VN_BUF_INIT;
    vn_error err = {0};
    if (vn_ks_generate(spec, &b, &err) != VN_OK) {
        vn_buf_free(&b);
        return NULL;
    }
    return vn_buf_detach(&b, NULL);
}

static vn_ks_spec base_spec(vn_release_id id)
{
    vn_ks_spec s;
    memset(&s, 0, sizeof(s));
    s.rel = rel(id);
    s.rootpw_hash = HASH;
    return s;
}

/* 1 if `text` has `line` as a whole line. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/* Line number (1-based) of the first line equal to `line`, 0 if none. */
static int line_of(const char *text, const char *line)
{
    int no = 1;
    size_t n = strlen(line);
    for (const char *p = text; *p; no++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == n && strncmp(p, line, n) == 0)
            return no;
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

static int lint_text(const char *text, const vn_release *r, vn_findings *f)
{
    vn_error err = {0};
    memset(f, 0, sizeof(*f));
    return vn_ks_lint(text, strlen(text), "t.cfg", r, f, &err);
}

/* The finding of `rule` on `line` (0: any line), or NULL. */
static const vn_finding *find(const vn_findings *f, const char *rule, int line)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].rule->id, rule) && (line == 0 || f->v[i].line == line))
            return &f->v[i];
    return NULL;
}

static size_t count_rule(const vn_findings *f, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += !strcmp(f->v[i].rule->id, rule);
    return n;
}

#define EXPECT_FINDING(f, rule, line, sev)                                                         \
    do {                                                                                           \
        const vn_finding *x_ = find((f), (rule), (line));                                          \
        if (!x_)                                                                                   \
            FAILF("no %s finding on line %d", (rule), (line));                                     \
        else if (x_->severity != (sev))                                                            \
            FAILF("%s on line %d has severity %s", (rule), (line),                                 \
                  vn_severity_name(x_->severity));                                                 \
    } while (0)

#define EXPECT_NO(f, rule)                                                                         \
    do {                                                                                           \
        const vn_finding *x_ = find((f), (rule), 0);                                               \
        if (x_)                                                                                    \
            FAILF("unexpected %s finding on line %d: %s", (rule), x_->line, x_->note);             \
    } while (0)

static size_t at_least(const vn_findings *f, vn_severity sev)
{
    return vn_findings_count(f, sev);
}

/* ---- splitting ---- */

TEST(split_like_shlex)
{
    static const struct {
        const char *line;
        int n;
        const char *words[5];
        int cut;
    } cases[] = {
        {"install --firstdisk --overwritevmfs",
         3,
         {"install", "--firstdisk", "--overwritevmfs"},
         0},
        {"  keyboard 'US Default'  ", 2, {"keyboard", "US Default"}, 0},
        {"rootpw \"a \\\"b\\\" \\c\"", 2, {"rootpw", "a \"b\" \\c"}, 0},
        {"rootpw a\\ b", 2, {"rootpw", "a b"}, 0},
        {"network --nameserver=\"1.2.3.4,5.6.7.8\"",
         2,
         {"network", "--nameserver=1.2.3.4,5.6.7.8"},
         0},
        {"network --device=vmnic3 #Can change", 2, {"network", "--device=vmnic3"}, 0},
        {"rootpw pa#ss word", 2, {"rootpw", "pa"}, 1},
        {"# only a comment", 0, {NULL}, 0},
        {"", 0, {NULL}, 0},
        {"rootpw ''", 2, {"rootpw", ""}, 0},
        {"a'b'\"c\"d", 1, {"abcd"}, 0},
        {"x\r", 1, {"x"}, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char **w = NULL;
        const char *why = NULL;
        int cut = -1;
        int n = vn_ks_split_ex(cases[i].line, strlen(cases[i].line), &w, &why, &cut);
        if (n != cases[i].n) {
            FAILF("\"%s\": %d words, expected %d", cases[i].line, n, cases[i].n);
        } else {
            for (int j = 0; j < n; j++)
                if (strcmp(w[j], cases[i].words[j]) != 0)
                    FAILF("\"%s\": word %d is \"%s\", expected \"%s\"", cases[i].line, j, w[j],
                          cases[i].words[j]);
            if (n > 0 && w[n] != NULL)
                FAILF("\"%s\": word array not NULL-terminated", cases[i].line);
            CHECK_INT(cut, cases[i].cut);
        }
        vn_ks_words_free(w);
    }
    static const char *const bad[] = {"rootpw 'open", "rootpw \"open", "rootpw trailing\\",
                                      "echo \"a\\\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char **w = (char **)1;
        const char *why = NULL;
        int n = vn_ks_split(bad[i], strlen(bad[i]), &w, &why);
        if (n != -1 || w != NULL || !why)
            FAILF("\"%s\": expected a split error, got %d", bad[i], n);
    }
}

/* ---- did you mean ---- */

TEST(did_you_mean)
{
    CHECK_INT(vn_ks_distance("kitten", "sitting"), 3);
    CHECK_INT(vn_ks_distance("", "abc"), 3);
    CHECK_INT(vn_ks_distance("acceptuela", "accepteula"), 1); /* transposition */
    CHECK_INT(vn_ks_distance("same", "same"), 0);
    static const char *const cmds[] = {"vmaccepteula", "install",    "network",
                                       "rootpw",       "%firstboot", NULL};
    CHECK_STR(vn_ks_suggest("vmacceptuela", cmds), "vmaccepteula");
    CHECK_STR(vn_ks_suggest("instal", cmds), "install");
    CHECK_STR(vn_ks_suggest("netwrok", cmds), "network");
    CHECK_STR(vn_ks_suggest("ROOTPW", cmds), "rootpw");
    CHECK_STR(vn_ks_suggest("%firstbot", cmds), "%firstboot");
    CHECK(vn_ks_suggest("esxcli", cmds) == NULL);
    CHECK(vn_ks_suggest("x", cmds) == NULL);
    static const char *const opts[] = {"--overwritevmfs", "--novmfsondisk", "--firstdisk", NULL};
    CHECK_STR(vn_ks_suggest("--overwritevfms", opts), "--overwritevmfs");
    CHECK_STR(vn_ks_suggest("--novmfsondsk", opts), "--novmfsondisk");
    CHECK(vn_ks_suggest("--bootproto", opts) == NULL);
    CHECK_STR(vn_ks_keyboard("us default"), "US Default");
    CHECK_STR(vn_ks_keyboard("GERMAN"), "German");
    CHECK(vn_ks_keyboard("Klingon") == NULL);
    CHECK_STR(vn_ks_keyboard_suggest("Germna"), "German");
}

/* ---- hashes and the password file ---- */

TEST(crypt_hash_shapes)
{
    CHECK(vn_ks_is_crypt_hash("$1$DK/hzmaO$ZFEGEeAv3rNc8gqvhY2it1"));
    char h[256];
    vn_error err = {0};
    CHECK_INT(vn_ks_crypt("x", h, sizeof(h), &err), VN_OK);
    CHECK(vn_ks_is_crypt_hash(h));
    static const char *const bad[] = {
        "",
        "VMware1!",
        "$default_password_crypted",
        "{{ROOT_PASSWORD_HASH}}",
        "$6$salt$short",
        "$2y$10$abcdefghijklmnopqrstuuOQ8qG6yW5l7J8b6P5wq3z1D7c4v9s2O",
        "$6$toolongsaltvalue123$x",
        "$1$DK/hzmaO$ZFEGEeAv3rNc8gqvhY2it1x",
        "$1$DK/hzmaO$ZFEGEeAv3rNc8gqvhY2it!",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (vn_ks_is_crypt_hash(bad[i]))
            FAILF("\"%s\" taken for a crypt hash", bad[i]);
}

TEST(crypt_verifies)
{
    const char *pw = "Secr3t! with spaces and ünïcode";
    char h1[256], h2[256];
    vn_error err = {0};
    CHECK_INT(vn_ks_crypt(pw, h1, sizeof(h1), &err), VN_OK);
    CHECK_INT(vn_ks_crypt(pw, h2, sizeof(h2), &err), VN_OK);
    CHECK(strncmp(h1, "$6$", 3) == 0);
    CHECK(strlen(h1) == 3 + 16 + 1 + 86);
    CHECK(h1[19] == '$');
    CHECK(strcmp(h1, h2) != 0); /* random salt */
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    const char *again = crypt_r(pw, h1, cd);
    CHECK(again && strcmp(again, h1) == 0);
    const char *wrong = crypt_r("Secr3t!", h1, cd);
    CHECK(!wrong || strcmp(wrong, h1) != 0);
    free(cd);
    CHECK_INT(vn_ks_crypt(pw, h1, 20, &err), VN_ERUNTIME); /* buffer too small */
}

static char tmpdir[64];

static const char *write_file(const char *name, const char *content, size_t len, int mode)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return NULL;
    if (write(fd, content, len) != (ssize_t)len) {
        close(fd);
        return NULL;
    }
    close(fd);
    chmod(path, (mode_t)mode);
    return path;
}

static int read_pw(const char *content, size_t len, int mode, char **pw, vn_error *err)
{
    const char *p = write_file("pw", content, len, mode);
    if (!p)
        return -1;
    vn_error_clear(err);
    return vn_ks_read_password(p, pw, err);
}

TEST(password_file)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/vn_test_ks_XXXXXX");
    if (!mkdtemp(tmpdir))
        SKIP("cannot make a temporary directory");
    char *pw = NULL;
    vn_error err;
    CHECK_INT(read_pw("Secr3t!\n", 8, 0600, &pw, &err), VN_OK);
    CHECK_STR(pw, "Secr3t!");
    vn_ks_wipe_free(pw);
    CHECK_INT(read_pw("Secr3t!\r\n", 9, 0400, &pw, &err), VN_OK);
    CHECK_STR(pw, "Secr3t!");
    vn_ks_wipe_free(pw);
    CHECK_INT(read_pw(" spaced pw ", 11, 0600, &pw, &err), VN_OK);
    CHECK_STR(pw, " spaced pw ");
    vn_ks_wipe_free(pw);

    CHECK_INT(read_pw("Secr3t!\n", 8, 0644, &pw, &err), VN_EINPUT);
    CHECK(pw == NULL);
    CHECK(strstr(err.msg, "0644") != NULL && strstr(err.msg, "0600") != NULL);
    CHECK(strstr(err.msg, "Secr3t") == NULL);
    CHECK(strstr(err.where, "/pw") != NULL);
    CHECK_INT(read_pw("Secr3t!\n", 8, 0640, &pw, &err), VN_EINPUT);
    CHECK_INT(read_pw("Secr3t!\n", 8, 0602, &pw, &err), VN_EINPUT);
    CHECK_INT(read_pw("", 0, 0600, &pw, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "empty") != NULL);
    CHECK_INT(read_pw("\n", 1, 0600, &pw, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "empty") != NULL);
    CHECK_INT(read_pw("one\ntwo\n", 8, 0600, &pw, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "more than one line") != NULL);
    CHECK_INT(read_pw("a\0b", 3, 0600, &pw, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "NUL") != NULL);
    static char big[1100];
    memset(big, 'x', sizeof(big));
    CHECK_INT(read_pw(big, sizeof(big), 0600, &pw, &err), VN_EINPUT);

    vn_error_clear(&err);
    CHECK_INT(vn_ks_read_password("/nonexistent/pw", &pw, &err), VN_EINPUT);
    vn_error_clear(&err);
    CHECK_INT(vn_ks_read_password(tmpdir, &pw, &err), VN_EINPUT);
    CHECK(pw == NULL);

    char path[256];
    snprintf(path, sizeof(path), "%s/pw", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}

/* ---- generator ---- */

TEST(generate_default)
{
    vn_ks_spec s = base_spec(VN_ESXI_80);
    char *ks = gen(&s);
    if (!ks) {
        FAILF("generation failed");
        return;
    }
    CHECK(has_line(ks, "vmaccepteula"));
    CHECK(has_line(ks, "rootpw --iscrypted " HASH));
    CHECK(has_line(ks, "install --firstdisk --overwritevmfs --novmfsondisk"));
    CHECK(has_line(ks, "network --bootproto=dhcp --device=vmnic0 --addvmportgroup=0"));
    CHECK(has_line(ks, "reboot"));
    CHECK(has_line(ks, "%firstboot --interpreter=busybox"));
    CHECK(!strstr(ks, "%post"));
    CHECK(!strstr(ks, "vim-cmd"));
    CHECK(!strstr(ks, "SuppressShellWarning"));
    CHECK(!strstr(ks, "keyboard"));
    CHECK(!strstr(ks, "allowLegacyCPU=true\""));
    CHECK(has_line(ks, "run esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1"));
    CHECK(has_line(ks, "run \"$ROOT/sbin/auto-backup.sh\""));
    CHECK(has_line(ks, "ROOT=${VNEST_ROOT:-}"));
    CHECK(strstr(ks, "(S17)") && strstr(ks, "install every host fresh"));
    /* Commands come before the sections, in the installer's usual order. */
    CHECK(line_of(ks, "vmaccepteula") < line_of(ks, "rootpw --iscrypted " HASH));
    CHECK(line_of(ks, "reboot") < line_of(ks, "%firstboot --interpreter=busybox"));
    /* auto-backup is the last command. */
    CHECK(line_of(ks, "run \"$ROOT/sbin/auto-backup.sh\"") >
          line_of(ks, "run esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1"));
    free(ks);
}

TEST(generate_options)
{
    vn_ks_spec s = base_spec(VN_ESXI_67);
    s.keep_datastore = 1;
    s.ssh = 1;
    s.shell = 1;
    s.vsan = 1;
    s.legacy_cpu = 1;
    s.keyboard = "us default";
    char *ks = gen(&s);
    if (!ks) {
        FAILF("generation failed");
        return;
    }
    CHECK(has_line(ks, "install --firstdisk --overwritevmfs --ignoressd"));
    CHECK(has_line(ks, "keyboard 'US Default'"));
    CHECK(strstr(ks, "seal it (vnest seal script)") != NULL); /* template route comment */
    CHECK(has_line(ks, "%post --interpreter=busybox"));
    CHECK(has_line(ks, "legacy_cpu \"$ROOT/vmfs/volumes/BOOTBANK1/boot.cfg\""));
    CHECK(has_line(ks, "legacy_cpu \"$ROOT/bootbank/boot.cfg\""));
    CHECK(has_line(ks, "legacy_cpu \"$ROOT/altbootbank/boot.cfg\""));
    CHECK(line_of(ks, "%post --interpreter=busybox") <
          line_of(ks, "%firstboot --interpreter=busybox"));
    CHECK(has_line(ks, "    run vim-cmd hostsvc/enable_ssh"));
    CHECK(has_line(ks, "    run vim-cmd hostsvc/start_ssh"));
    CHECK(has_line(ks, "    run vim-cmd hostsvc/enable_esx_shell"));
    CHECK(has_line(ks, "    run vim-cmd hostsvc/start_esx_shell"));
    CHECK(has_line(ks, "enable_ssh"));
    CHECK(has_line(ks, "enable_shell"));
    CHECK(has_line(
        ks, "run esxcli system settings advanced set -o /UserVars/SuppressShellWarning -i 1"));
    CHECK(has_line(ks, "run esxcli vsan network ip add -i vmk0"));
    CHECK(!strstr(ks, "guestinfo"));
    free(ks);

    /* 6.0: the older vSAN namespace. */
    s = base_spec(VN_ESXI_60);
    s.vsan = 1;
    ks = gen(&s);
    CHECK(ks && has_line(ks, "run esxcli vsan network ipv4 add -i vmk0"));
    free(ks);

    /* --shell alone still hides the warning; --ssh alone too. */
    s = base_spec(VN_ESXI_80);
    s.shell = 1;
    ks = gen(&s);
    CHECK(ks && !strstr(ks, "enable_ssh") && has_line(ks, "enable_shell") &&
          strstr(ks, "SuppressShellWarning"));
    free(ks);
}

TEST(generate_guestinfo)
{
    static const char *const keys[] = {"hostname", "ipaddress", "netmask", "gateway", "dns",
                                       "domain",   "ntp",       "vlan",    "ssh",     "createvmfs"};
    for (int id = 0; id < VN_ESXI_COUNT; id++) {
        vn_ks_spec s = base_spec((vn_release_id)id);
        s.network = VN_KS_NET_GUESTINFO;
        char *ks = gen(&s);
        if (!ks) {
            FAILF("%s: generation failed", rel((vn_release_id)id)->name);
            continue;
        }
        int prev = 0;
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            char want[64];
            snprintf(want, sizeof(want), "gi_%s=$(gi %s)", keys[k], keys[k]);
            int at = line_of(ks, want);
            if (at <= prev)
                FAILF("%s: \"%s\" missing or out of order", rel((vn_release_id)id)->name, want);
            prev = at;
        }
        CHECK(strstr(ks, "vmtoolsd --cmd \"info-get guestinfo.$1\"") != NULL);
        CHECK(strstr(ks, "esxcli network ip interface ipv4 set -i vmk0 -t static") != NULL);
        CHECK(strstr(ks, "esxcli network ip route ipv4 add -n default") != NULL);
        CHECK(strstr(ks, "portgroup set -p \"Management Network\" -v") != NULL);
        CHECK(strstr(ks, "create_vmfs") != NULL);
        /* guestinfo.ssh decides about SSH when --ssh is not given. */
        CHECK(has_line(ks, "if is_true \"$gi_ssh\"; then"));
        if (id >= VN_ESXI_70U1) {
            CHECK(strstr(ks, "esxcli system ntp set") != NULL);
            CHECK(!strstr(ks, "ntp.conf"));
        } else {
            CHECK(!strstr(ks, "run esxcli system ntp"));
            CHECK(strstr(ks, "$ROOT/etc/ntp.conf") != NULL);
        }
        CHECK(strstr(ks, id >= VN_ESXI_65 ? "vmkfstools -C vmfs6" : "vmkfstools -C vmfs5") != NULL);
        free(ks);
    }
    vn_ks_spec s = base_spec(VN_ESXI_80);
    s.network = VN_KS_NET_GUESTINFO;
    s.ssh = 1;
    char *ks = gen(&s);
    CHECK(ks && !strstr(ks, "gi ssh") && has_line(ks, "enable_ssh"));
    free(ks);
}

TEST(generate_refuses)
{
    vn_buf b = VN_BUF_INIT;
    vn_error err = {0};
    vn_ks_spec s = base_spec(VN_ESXI_80);
    s.rel = NULL;
    CHECK_INT(vn_ks_generate(&s, &b, &err), VN_EINPUT);
    CHECK_STR(err.where, "--esxi");
    s = base_spec(VN_ESXI_80);
    s.rootpw_hash = "VMware1!";
    vn_error_clear(&err);
    CHECK_INT(vn_ks_generate(&s, &b, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "VMware1!") == NULL);
    s = base_spec(VN_ESXI_80);
    s.keyboard = "Klingon";
    vn_error_clear(&err);
    CHECK_INT(vn_ks_generate(&s, &b, &err), VN_EINPUT);
    CHECK_STR(err.where, "--keyboard");
    CHECK_INT(b.len, 0);
    vn_buf_free(&b);
}

/* Every generated file passes the linter for its release: no error, no
 * warning (keep on the template route is the one expected warning). */
TEST(generated_files_lint_clean)
{
    for (int id = 0; id < VN_ESXI_COUNT; id++) {
        for (int combo = 0; combo < 8; combo++) {
            vn_ks_spec s = base_spec((vn_release_id)id);
            s.ssh = combo & 1;
            s.shell = (combo >> 1) & 1;
            s.legacy_cpu = (combo >> 2) & 1;
            s.vsan = combo == 7;
            s.network = combo >= 4 ? VN_KS_NET_GUESTINFO : VN_KS_NET_DHCP;
            s.keyboard = combo == 3 ? "Swiss German" : NULL;
            char *ks = gen(&s);
            if (!ks) {
                FAILF("generation failed");
                continue;
            }
            vn_findings f;
            CHECK_INT(lint_text(ks, s.rel, &f), VN_OK);
            if (at_least(&f, VN_SEV_WARNING))
                FAILF("%s combo %d: %s (line %d)", s.rel->name, combo, f.n ? f.v[0].note : "?",
                      f.n ? f.v[0].line : 0);
            CHECK_INT(count_rule(&f, "ks-firstboot-secure-boot"), 1);
            vn_findings_free(&f);

            s.keep_datastore = 1;
            free(ks);
            ks = gen(&s);
            CHECK_INT(lint_text(ks, s.rel, &f), VN_OK);
            CHECK_INT(count_rule(&f, "ks-vmfs-on-boot-disk"), s.rel->template_clone_ok ? 1 : 0);
            vn_findings_free(&f);
            free(ks);
        }
    }
}

/* ---- linter ---- */

TEST(lint_rules_table)
{
    CHECK(vn_ks_rule_count() >= 15);
    for (size_t i = 0; i < vn_ks_rule_count(); i++) {
        const vn_rule *r = vn_ks_rule_at(i);
        CHECK(r->surfaces == VN_SURF_KS);
        CHECK(strncmp(r->id, "ks-", 3) == 0);
        CHECK(r->summary[0] && r->rationale[0]);
        CHECK(vn_ks_rule_find(r->id) == r);
        for (const char *p = r->id; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                FAILF("rule id %s is not kebab-case", r->id);
        /* Not mixed into the VMX/API profile table. */
        CHECK(vn_rule_find(r->id) == NULL);
    }
    CHECK(vn_ks_rule_at(vn_ks_rule_count()) == NULL);
}

TEST(lint_clean_file)
{
    const char *text = "# lab host\n"
                       "vmaccepteula\n"
                       "rootpw --iscrypted " HASH "\n"
                       "install --firstdisk --overwritevmfs --novmfsondisk\n"
                       "network --bootproto=static --ip=192.0.2.10 --netmask=255.255.255.0 "
                       "--gateway=192.0.2.1 --nameserver=\"192.0.2.53,192.0.2.54\" "
                       "--hostname=esx-01.lab --vlanid=20 --addvmportgroup=0\n"
                       "keyboard German\n"
                       "reboot --noeject\n"
                       "%pre --interpreter=busybox\n"
                       "echo 'install --firstdisk' > /tmp/x\n"
                       "%post --interpreter=python --ignorefailure=true --timeout=60\n"
                       "import time\n";
    vn_findings f;
    CHECK_INT(lint_text(text, rel(VN_ESXI_67), &f), VN_OK);
    CHECK_INT(f.n, 0);
    for (size_t i = 0; i < f.n; i++)
        FAILF("unexpected: line %d %s: %s", f.v[i].line, f.v[i].rule->id, f.v[i].note);
    vn_findings_free(&f);
}

TEST(lint_findings_with_lines)
{
    const char *text = "vmacceptuela\n"                            /* 1 */
                       "rootpw Clear#Text\n"                       /* 2 */
                       "install --firstdsk --overwritevfms\n"      /* 3 */
                       "network --bootproto=dhcpp --vlanid=5000\n" /* 4 */
                       "keyboard US Default\n"                     /* 5 */
                       "reboot\n"                                  /* 6 */
                       "reboot\n"                                  /* 7 */
                       "installorupgrade --firstdisk\n"            /* 8 */
                       "network --addvmportgroup\n"                /* 9 */
                       "autopart\n"                                /* 10 */
                       "%firstboot --interpreter=busybox\n"        /* 11 */
                       "vim-cmd hostsvc/enable_ssh\n"              /* 12 */
                       "vmaccepteula\n"                            /* 13 */
                       "  install --novmfsondisk\n"                /* 14 */
                       "install -m 644 a b\n"                      /* 15 */
                       "%include /tmp/x\n"                         /* 16 */
                       "echo after include\n"                      /* 17 */
                       "%post --interpreter=perl\n"                /* 18 */
                       "ls\n";                                     /* 19 */
    vn_findings f;
    CHECK_INT(lint_text(text, rel(VN_ESXI_70U1), &f), VN_OK);
    EXPECT_FINDING(&f, "ks-unknown-command", 1, VN_SEV_WARNING);
    const vn_finding *x = find(&f, "ks-unknown-command", 1);
    CHECK(x && x->wanted && !strcmp(x->wanted, "vmaccepteula") && strstr(x->note, "did you mean"));
    EXPECT_FINDING(&f, "ks-cleartext-rootpw", 2, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-syntax", 2, VN_SEV_WARNING); /* '#' cuts the password */
    EXPECT_FINDING(&f, "ks-unknown-option", 3, VN_SEV_WARNING);
    size_t opts3 = 0;
    for (size_t i = 0; i < f.n; i++)
        if (f.v[i].line == 3 && !strcmp(f.v[i].rule->id, "ks-unknown-option")) {
            opts3++;
            CHECK(f.v[i].wanted && (!strcmp(f.v[i].wanted, "--firstdisk") ||
                                    !strcmp(f.v[i].wanted, "--overwritevmfs")));
        }
    CHECK_INT(opts3, 2);
    EXPECT_FINDING(&f, "ks-vmfs-on-boot-disk", 3, VN_SEV_WARNING); /* 7.0U1: template route */
    EXPECT_FINDING(&f, "ks-bad-value", 4, VN_SEV_WARNING);
    CHECK_INT(count_rule(&f, "ks-bad-value") >= 3, 1);
    EXPECT_FINDING(&f, "ks-unknown-option", 5, VN_SEV_WARNING);
    x = find(&f, "ks-unknown-option", 5);
    CHECK(x && x->wanted && !strcmp(x->wanted, "US Default"));
    EXPECT_FINDING(&f, "ks-duplicate-command", 7, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-duplicate-command", 8, VN_SEV_ERROR);
    EXPECT_FINDING(&f, "ks-bad-value", 9, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-duplicate-command", 9, VN_SEV_WARNING); /* second network */
    EXPECT_FINDING(&f, "ks-deprecated-command", 10, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-firstboot-secure-boot", 11, VN_SEV_INFO);
    EXPECT_FINDING(&f, "ks-section-order", 13, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-section-order", 14, VN_SEV_WARNING);
    CHECK(find(&f, "ks-section-order", 12) == NULL);
    CHECK(find(&f, "ks-section-order", 15) == NULL); /* busybox install, not the command */
    EXPECT_FINDING(&f, "ks-section-order", 16, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-unknown-command", 17, VN_SEV_WARNING); /* read as a command */
    EXPECT_FINDING(&f, "ks-bad-value", 18, VN_SEV_ERROR);         /* interpreter */
    /* vmaccepteula only inside the script: missing, but %include may bring it. */
    EXPECT_FINDING(&f, "ks-missing-accepteula", 0, VN_SEV_INFO);
    EXPECT_NO(&f, "ks-missing-rootpw");
    EXPECT_NO(&f, "ks-missing-install");
    /* Findings come in line order, whole-file ones first. */
    for (size_t i = 1; i < f.n; i++)
        if (f.v[i].line < f.v[i - 1].line)
            FAILF("finding %zu (line %d) after line %d", i, f.v[i].line, f.v[i - 1].line);
    /* The clear password never shows. */
    for (size_t i = 0; i < f.n; i++) {
        const char *t[] = {f.v[i].note, f.v[i].key, f.v[i].current, f.v[i].wanted};
        for (int k = 0; k < 4; k++)
            if (t[k] && strstr(t[k], "Clear"))
                FAILF("finding on line %d shows the password: %s", f.v[i].line, t[k]);
    }
    vn_findings_free(&f);
}

TEST(lint_missing_and_release)
{
    vn_findings f;
    CHECK_INT(lint_text("", NULL, &f), VN_OK);
    EXPECT_FINDING(&f, "ks-missing-accepteula", 0, VN_SEV_ERROR);
    EXPECT_FINDING(&f, "ks-missing-rootpw", 0, VN_SEV_ERROR);
    EXPECT_FINDING(&f, "ks-missing-install", 0, VN_SEV_ERROR);
    vn_findings_free(&f);

    /* Release-specific options and the S9 route. */
    const char *text = "accepteula\nrootpw --iscrypted " HASH "\n"
                       "install --firstdisk --systemdisk=mpx.vmhba0:C0:T1:L0 --dpupcislots=1\n";
    CHECK_INT(lint_text(text, rel(VN_ESXI_67), &f), VN_OK);
    CHECK_INT(count_rule(&f, "ks-unknown-option"), 2);
    EXPECT_FINDING(&f, "ks-vmfs-on-boot-disk", 3, VN_SEV_WARNING);
    vn_findings_free(&f);
    CHECK_INT(lint_text(text, rel(VN_ESXI_80), &f), VN_OK);
    CHECK_INT(count_rule(&f, "ks-unknown-option"), 0);
    EXPECT_NO(&f, "ks-vmfs-on-boot-disk"); /* fresh-install route: fine */
    vn_findings_free(&f);
    CHECK_INT(lint_text(text, NULL, &f), VN_OK);
    EXPECT_FINDING(&f, "ks-vmfs-on-boot-disk", 3, VN_SEV_INFO);
    vn_findings_free(&f);
    CHECK_INT(lint_text("vmaccepteula\nrootpw --iscrypted {{HASH}}\nupgrade --diskBootedFrom\n"
                        "serialnum --esx=AAAAA-BBBBB-CCCCC-DDDDD-EEEEE\n",
                        rel(VN_ESXI_90), &f),
              VN_OK);
    EXPECT_FINDING(&f, "ks-rootpw-hash", 2, VN_SEV_ERROR);
    CHECK(strstr(find(&f, "ks-rootpw-hash", 2)->note, "placeholder") != NULL);
    EXPECT_FINDING(&f, "ks-deprecated-command", 4, VN_SEV_WARNING); /* serialnum on 9.0 */
    EXPECT_NO(&f, "ks-vmfs-on-boot-disk");                          /* upgrade keeps disks */
    vn_findings_free(&f);
}

TEST(lint_text_problems)
{
    vn_findings f;
    CHECK_INT(lint_text("vmaccepteula\nrootpw 'unclosed\ninstall --firstdisk\n", NULL, &f), VN_OK);
    EXPECT_FINDING(&f, "ks-syntax", 2, VN_SEV_ERROR);
    EXPECT_FINDING(&f, "ks-missing-rootpw", 0, VN_SEV_ERROR);
    vn_findings_free(&f);
    CHECK_INT(lint_text("vmaccepteula\r\nrootpw --iscrypted " HASH "\r\ninstall --firstdisk "
                        "--novmfsondisk\r\n%firstboot\r\necho hi\r\n",
                        NULL, &f),
              VN_OK);
    EXPECT_FINDING(&f, "ks-crlf", 5, VN_SEV_WARNING);
    CHECK_INT(f.n, 2); /* and the Secure Boot note; CR in commands is harmless */
    vn_findings_free(&f);
    CHECK_INT(lint_text("vmaccepteula\nkeyboard 'Fran\xc3\xa7"
                        "ais'\nrootpw \xff\n",
                        NULL, &f),
              VN_OK);
    EXPECT_FINDING(&f, "ks-non-ascii", 2, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-syntax", 3, VN_SEV_ERROR);
    for (size_t i = 0; i < f.n; i++)
        for (const char *p = f.v[i].note; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                FAILF("finding on line %d has a non-printable byte", f.v[i].line);
    vn_findings_free(&f);

    vn_error err = {0};
    memset(&f, 0, sizeof(f));
    CHECK_INT(vn_ks_lint("vmaccepteula\nrootpw x\0y\n", 22, "bin.cfg", NULL, &f, &err), VN_EINPUT);
    CHECK_STR(err.where, "bin.cfg:2");
    CHECK(strstr(err.msg, "NUL") != NULL);
    CHECK_INT(f.n, 0);
    vn_findings_free(&f);
}

/* ---- the real files of the shared corpus ---- */

static int corpus_path(char *out, size_t n, const char *name)
{
    const char *root = getenv("VNEST_CORPUS");
    if (!root || !*root)
        return 0;
    snprintf(out, n, "%s/ks/%s", root, name);
    return access(out, R_OK) == 0;
}

static int lint_corpus(const char *name, const vn_release *r, vn_findings *f)
{
    char path[1024];
    memset(f, 0, sizeof(*f));
    if (!corpus_path(path, sizeof(path), name))
        return -1;
    vn_error err = {0};
    return vn_ks_lint_file(path, r, f, &err);
}

TEST(corpus_every_file)
{
    const char *root = getenv("VNEST_CORPUS");
    char dir[1024];
    DIR *d = NULL;
    if (root && *root) {
        snprintf(dir, sizeof(dir), "%s/ks", root);
        d = opendir(dir);
    }
    if (!d)
        SKIP("shared corpus not present (../shared/corpus)");
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        for (int id = -1; id < VN_ESXI_COUNT; id++) {
            vn_findings f = {0};
            vn_error err = {0};
            int rc = vn_ks_lint_file(path, id < 0 ? NULL : rel((vn_release_id)id), &f, &err);
            if (rc != VN_OK)
                FAILF("%s: %s", e->d_name, err.msg);
            for (size_t i = 0; i < f.n; i++)
                if (!f.v[i].note || !f.v[i].rule)
                    FAILF("%s: finding without a message", e->d_name);
            vn_findings_free(&f);
        }
        files++;
    }
    closedir(d);
    if (files == 0)
        FAILF("no files in %s", dir);
}

TEST(corpus_expected_findings)
{
    vn_findings f;
    if (lint_corpus("frapposelli__esxi-packer-templates__scripts__esxi-kickstart.cfg", NULL, &f) <
        0)
        SKIP("shared corpus not present (../shared/corpus)");
    EXPECT_FINDING(&f, "ks-cleartext-rootpw", 7, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-firstboot-secure-boot", 15, VN_SEV_INFO);
    CHECK_INT(at_least(&f, VN_SEV_ERROR), 0);
    vn_findings_free(&f);

    /* keyboard US Default unquoted; a bracketed second nameserver; --novmfsondisk. */
    CHECK_INT(lint_corpus("tacobayle__nestedEsxiVcenter__ks_cust.cfg.0", rel(VN_ESXI_67), &f),
              VN_OK);
    EXPECT_FINDING(&f, "ks-unknown-option", 14, VN_SEV_WARNING);
    EXPECT_FINDING(&f, "ks-bad-value", 17, VN_SEV_WARNING);
    EXPECT_NO(&f, "ks-vmfs-on-boot-disk");
    vn_findings_free(&f);

    /* An MD5 hash, static network: nothing to warn about. */
    CHECK_INT(lint_corpus("rdronov__Automation__KS.CFG", rel(VN_ESXI_80), &f), VN_OK);
    CHECK_INT(at_least(&f, VN_SEV_WARNING), 0);
    EXPECT_NO(&f, "ks-cleartext-rootpw");
    vn_findings_free(&f);

    /* Cobbler template: unrendered placeholders. */
    CHECK_INT(lint_corpus("cobbler__cobbler__cobbler__data__templates__cheetah__autoinstall__"
                          "sample_esxi5.ks.template",
                          NULL, &f),
              VN_OK);
    EXPECT_FINDING(&f, "ks-rootpw-hash", 8, VN_SEV_ERROR);
    EXPECT_FINDING(&f, "ks-unknown-command", 13, VN_SEV_WARNING);
    vn_findings_free(&f);

    /* install comes from an %include written by %pre: info only. */
    CHECK_INT(lint_corpus("sagbash__vmware_autoinstaller_rhel9__ks.cfg", NULL, &f), VN_OK);
    EXPECT_FINDING(&f, "ks-missing-install", 0, VN_SEV_INFO);
    EXPECT_FINDING(&f, "ks-rootpw-hash", 9, VN_SEV_ERROR);
    vn_findings_free(&f);

    /* Two %firstboot sections and accepteula: no missing command. */
    CHECK_INT(lint_corpus("fabianbrash__Recipes__ESXILABDHCP.CFG", NULL, &f), VN_OK);
    EXPECT_NO(&f, "ks-missing-accepteula");
    EXPECT_NO(&f, "ks-section-order");
    CHECK_INT(count_rule(&f, "ks-firstboot-secure-boot"), 1);
    vn_findings_free(&f);
}

int main(void)
{
    RUN(split_like_shlex);
    RUN(did_you_mean);
    RUN(crypt_hash_shapes);
    RUN(crypt_verifies);
    RUN(password_file);
    RUN(generate_default);
    RUN(generate_options);
    RUN(generate_guestinfo);
    RUN(generate_refuses);
    RUN(generated_files_lint_clean);
    RUN(lint_rules_table);
    RUN(lint_clean_file);
    RUN(lint_findings_with_lines);
    RUN(lint_missing_and_release);
    RUN(lint_text_problems);
    RUN(corpus_every_file);
    RUN(corpus_expected_findings);
    TH_EXIT();
}
