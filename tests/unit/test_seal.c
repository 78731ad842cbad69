/* Unit tests for the in-guest seal (lib/vn_seal.c): the operations table and
 * its invariants, --ops selection, the S17 clone policy and the shape of
 * the generated script. Running the script is tests/e2e/seal.sh's job. */
#define TH_SUITE "seal"
#include "harness.h"

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_release.h"
#include "vn_seal.h"

#define BIT(i) (1ul << (i))

static size_t idx(const char *id)
{
    const vn_seal_op *op = vn_seal_find(id);
    return op ? vn_seal_index(op) : 999;
}

static vn_seal_set bit(const char *id)
{
    return BIT(idx(id));
}

/* Selects with one --ops value; returns the status, the set in *out. */
static int sel(const char *spec, vn_release_id rel, vn_seal_set *out, vn_error *err)
{
    const char *specs[] = {spec};
    vn_error_clear(err);
    *out = 0;
    return vn_seal_select(specs, 1, rel, out, err);
}

TEST(table_order_is_the_issues)
{
    static const char *const want[] = {
        "legacy-cpu",    "ssh",         "follow-hw-mac",  "vmknics",     "local-vmfs",
        "install-media", "dhcp-leases", "vsan-node-uuid", "auto-backup", "system-uuid"};
    CHECK_INT(vn_seal_count(), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < vn_seal_count() && i < sizeof(want) / sizeof(want[0]); i++)
        CHECK_STR(vn_seal_at(i)->id, want[i]);
    CHECK(vn_seal_at(vn_seal_count()) == NULL);
}

TEST(system_uuid_last_after_auto_backup)
{
    CHECK_STR(vn_seal_at(vn_seal_count() - 1)->id, "system-uuid");
    CHECK_INT(idx("auto-backup"), vn_seal_count() - 2);
    CHECK_STR(vn_seal_find("system-uuid")->seed, "S11");
    /* Nothing in any fragment may ask for the UUID (that writes it back). */
    for (size_t i = 0; i < vn_seal_count(); i++)
        if (strstr(vn_seal_at(i)->script, "uuid get"))
            FAILF("%s asks for the system UUID", vn_seal_at(i)->id);
}

TEST(ids_unique_and_rows_complete)
{
    for (size_t i = 0; i < vn_seal_count(); i++) {
        const vn_seal_op *a = vn_seal_at(i);
        if (!a->id || !*a->id || !a->summary || !*a->summary || !a->script || !*a->script)
            FAILF("row %zu is incomplete", i);
        for (const char *p = a->id; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || *p == '-'))
                FAILF("id \"%s\" is not kebab-case", a->id);
        if (strchr(a->summary, '\n'))
            FAILF("%s: summary is not one line", a->id);
        if (*a->seed && (a->seed[0] != 'S' || a->seed[1] < '1' || a->seed[1] > '9'))
            FAILF("%s: seed \"%s\"", a->id, a->seed);
        if (!a->releases || (a->releases & ~VN_REL_ALL))
            FAILF("%s: releases mask %#x", a->id, a->releases);
        for (size_t j = i + 1; j < vn_seal_count(); j++)
            if (strcmp(a->id, vn_seal_at(j)->id) == 0)
                FAILF("id \"%s\" twice (rows %zu and %zu)", a->id, i, j);
        CHECK(vn_seal_find(a->id) == a);
        CHECK_INT(vn_seal_index(a), i);
    }
    CHECK(vn_seal_find("nope") == NULL);
    CHECK(vn_seal_find(NULL) == NULL);
    CHECK(vn_seal_count() <= 8 * sizeof(vn_seal_set));
}

TEST(seeds_and_defaults)
{
    CHECK_STR(vn_seal_find("legacy-cpu")->seed, "S5");
    CHECK_STR(vn_seal_find("ssh")->seed, "S6");
    CHECK_STR(vn_seal_find("follow-hw-mac")->seed, "S7");
    CHECK_STR(vn_seal_find("vmknics")->seed, "S8");
    CHECK_STR(vn_seal_find("local-vmfs")->seed, "S9");
    CHECK_INT(vn_seal_find("legacy-cpu")->default_on, 0);
    for (size_t i = 1; i < vn_seal_count(); i++)
        CHECK_INT(vn_seal_at(i)->default_on, 1);
    /* allowLegacyCPU is a 7.0+ boot option. */
    CHECK_INT(vn_seal_find("legacy-cpu")->releases, VN_REL_FROM(VN_ESXI_70));
    vn_seal_set all = BIT(vn_seal_count()) - 1;
    CHECK_INT(vn_seal_defaults(VN_ESXI_67), all & ~bit("legacy-cpu"));
    CHECK_INT(vn_seal_defaults(VN_ESXI_70U1), all & ~bit("legacy-cpu"));
}

TEST(fragments_keep_to_their_job)
{
    CHECK(strstr(vn_seal_find("legacy-cpu")->script, "$R/bootbank/boot.cfg"));
    CHECK(strstr(vn_seal_find("legacy-cpu")->script, "$R/altbootbank/boot.cfg"));
    const char *ssh = vn_seal_find("ssh")->script;
    CHECK(strstr(ssh, "vim-cmd hostsvc/enable_ssh"));
    CHECK(strstr(ssh, "vim-cmd hostsvc/start_ssh"));
    CHECK(strstr(ssh, "vim-cmd hostsvc/enable_esx_shell"));
    CHECK(strstr(ssh, "vim-cmd hostsvc/start_esx_shell"));
    CHECK(strstr(vn_seal_find("follow-hw-mac")->script,
                 "esxcli system settings advanced set -o /Net/FollowHardwareMac -i 1"));
    CHECK(strstr(vn_seal_find("vmknics")->script, "esxcli network ip interface list"));
    const char *vmfs = vn_seal_find("local-vmfs")->script;
    CHECK(strstr(vmfs, "partedUtil getptbl"));
    CHECK(strstr(vmfs, "partedUtil delete"));
    CHECK(strstr(vmfs, "AA31E02A400F11DB9590000C2911D1B8")); /* VMFS type only */
    CHECK(strstr(vmfs, "VMFS-[0-9]"));                       /* never VMFSOS (OSDATA) */
    CHECK(strstr(vn_seal_find("dhcp-leases")->script, "\"$R\"/etc/dhclient*.leases"));
    CHECK(strstr(vn_seal_find("vsan-node-uuid")->script, "/VSAN/NodeUuid"));
    CHECK(strstr(vn_seal_find("auto-backup")->script, "$R/sbin/auto-backup.sh"));
    CHECK(strstr(vn_seal_find("system-uuid")->script, "$R/etc/vmware/esx.conf"));
    /* Only system-uuid touches the UUID line, and no step powers off. */
    for (size_t i = 0; i < vn_seal_count(); i++) {
        const vn_seal_op *op = vn_seal_at(i);
        if (strcmp(op->id, "system-uuid") != 0 && strstr(op->script, "/system/uuid"))
            FAILF("%s touches /system/uuid", op->id);
        if (strstr(op->script, "poweroff") || strstr(op->script, "shutdown.sh") ||
            strstr(op->script, "reboot"))
            FAILF("%s powers off or reboots", op->id);
    }
}

TEST(ops_add_remove)
{
    vn_error err;
    vn_seal_set s, def = vn_seal_defaults(VN_ESXI_70U1);
    CHECK_INT(sel("legacy-cpu", VN_ESXI_70U1, &s, &err), VN_OK);
    CHECK_INT(s, def | bit("legacy-cpu"));
    CHECK_INT(sel("+legacy-cpu,-ssh", VN_ESXI_70U1, &s, &err), VN_OK);
    CHECK_INT(s, (def | bit("legacy-cpu")) & ~bit("ssh"));
    CHECK_INT(sel("none,system-uuid", VN_ESXI_67, &s, &err), VN_OK);
    CHECK_INT(s, bit("system-uuid"));
    CHECK_INT(sel("all", VN_ESXI_70, &s, &err), VN_OK);
    CHECK_INT(s, BIT(vn_seal_count()) - 1);
    CHECK_INT(sel("all", VN_ESXI_65, &s, &err), VN_OK); /* all that apply */
    CHECK_INT(s, (BIT(vn_seal_count()) - 1) & ~bit("legacy-cpu"));
    CHECK_INT(sel("-legacy-cpu", VN_ESXI_60, &s, &err), VN_OK); /* removing is fine */
    CHECK_INT(s, vn_seal_defaults(VN_ESXI_60));
    CHECK_INT(sel("-ssh,ssh", VN_ESXI_70U1, &s, &err), VN_OK); /* in order */
    CHECK_INT(s, def);

    /* Several --ops values apply in turn. */
    const char *specs[] = {"none,ssh", "vmknics", "-ssh"};
    vn_error_clear(&err);
    CHECK_INT(vn_seal_select(specs, 3, VN_ESXI_70U1, &s, &err), VN_OK);
    CHECK_INT(s, bit("vmknics"));
    CHECK_INT(vn_seal_select(NULL, 0, VN_ESXI_67, &s, &err), VN_OK);
    CHECK_INT(s, vn_seal_defaults(VN_ESXI_67));
}

TEST(ops_errors)
{
    vn_error err;
    vn_seal_set s;
    CHECK_INT(sel("ssh,frobnicate", VN_ESXI_70U1, &s, &err), VN_EINPUT);
    CHECK_STR(err.where, "--ops");
    CHECK(strstr(err.msg, "\"frobnicate\""));
    CHECK(strstr(err.msg, "system-uuid")); /* the known ones are listed */
    CHECK_INT(s, 0);                       /* untouched on error */
    CHECK_INT(sel("-frobnicate", VN_ESXI_70U1, &s, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "\"frobnicate\""));
    CHECK_INT(sel("ssh,,vmknics", VN_ESXI_70U1, &s, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "empty"));
    CHECK_INT(sel("", VN_ESXI_70U1, &s, &err), VN_EINPUT);
    CHECK_INT(sel("-", VN_ESXI_70U1, &s, &err), VN_EINPUT);
    CHECK_INT(sel("SSH", VN_ESXI_70U1, &s, &err), VN_EINPUT); /* names are exact */
    CHECK_INT(sel("legacy-cpu", VN_ESXI_67, &s, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "legacy-cpu") && strstr(err.msg, "6.7"));
    CHECK_INT(sel("none", VN_ESXI_70U1, &s, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "no operation"));
    CHECK_INT(sel("-all", VN_ESXI_70U1, &s, &err), VN_EINPUT);
}

TEST(clone_policy_s17)
{
    for (int r = 0; r < VN_ESXI_COUNT; r++) {
        const vn_release *rel = vn_release_get((vn_release_id)r);
        vn_error err;
        vn_error_clear(&err);
        int rc = vn_seal_policy(rel, 0, &err);
        if (rel->template_clone_ok) {
            if (rc != VN_OK)
                FAILF("%s refused: %s", rel->name, err.msg);
            continue;
        }
        if (rc != VN_EINPUT) {
            FAILF("%s not refused", rel->name);
            continue;
        }
        CHECK_STR(err.where, "--esxi");
        CHECK(strstr(err.msg, "S17"));
        CHECK(strstr(err.msg, "ks new"));
        CHECK(strstr(err.msg, "--allow-unsupported-clone"));
        CHECK(strstr(err.msg, "KB 84280"));
        vn_error_clear(&err);
        CHECK_INT(vn_seal_policy(rel, 1, &err), VN_OK);
    }
    /* 7.0U2 and later are the refused ones (S17). */
    CHECK_INT(vn_release_get(VN_ESXI_70U1)->template_clone_ok, 1);
    CHECK_INT(vn_release_get(VN_ESXI_70U2)->template_clone_ok, 0);

    vn_buf out = VN_BUF_INIT;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(
        vn_seal_script(vn_release_get(VN_ESXI_80), vn_seal_defaults(VN_ESXI_80), 0, &out, &err),
        VN_EINPUT);
    CHECK_INT(out.len, 0);
    CHECK_INT(
        vn_seal_script(vn_release_get(VN_ESXI_80), vn_seal_defaults(VN_ESXI_80), 1, &out, &err),
        VN_OK);
    CHECK(strstr(out.data, "SEAL_ALLOW_UNSUPPORTED=1"));
    CHECK(strstr(out.data, "WARNING: made with --allow-unsupported-clone"));
    vn_buf_free(&out);
}

/* Position of the first `needle` in `hay` after `from`, or -1. */
static long at(const char *hay, const char *needle, long from)
{
    if (from < 0)
        return -1;
    const char *p = strstr(hay + from, needle);
    return p ? (long)(p - hay) : -1;
}

/* Whether a line of `script` that is not a comment contains `needle`. */
static int code_has(const char *script, const char *needle)
{
    for (const char *line = script; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *p = line;
        while (*p == ' ')
            p++;
        if (*p != '#') {
            char buf[512];
            snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
            if (strstr(buf, needle))
                return 1;
        }
        line += len + (end != NULL);
    }
    return 0;
}

TEST(script_shape)
{
    vn_buf out = VN_BUF_INIT;
    vn_error err;
    vn_error_clear(&err);
    const vn_release *rel = vn_release_get(VN_ESXI_70U1);
    vn_seal_set all = BIT(vn_seal_count()) - 1;
    CHECK_INT(vn_seal_script(rel, all, 0, &out, &err), VN_OK);
    const char *s = out.data;
    CHECK(strncmp(s, "#!/bin/sh\n", 10) == 0);
    CHECK(strstr(s, "\nset -eu\n"));
    CHECK(strstr(s, "R=${ESXSIM_ROOT:-}\n"));
    CHECK(strstr(s, "SEAL_RELEASE='7.0U1'\n"));
    CHECK(strstr(s, "SEAL_FAMILY='7.0'\n"));
    CHECK(strstr(s, "SEAL_ALLOW_UNSUPPORTED=0\n"));
    CHECK(strstr(s, "SEAL_STEPS=12\n"));
    CHECK(!code_has(s, "uuid get")); /* only the comments may name it */
    /* The main sequence: preflight, the operations in table order, the
     * power-off last; nothing after it. */
    long pos = at(s, "\nstep 1 preflight ", 0);
    CHECK(pos >= 0);
    pos = at(s, "\nop_preflight\n", pos);
    char want[64];
    for (size_t i = 0; i < vn_seal_count(); i++) {
        snprintf(want, sizeof(want), "\nstep %zu %s ", i + 2, vn_seal_at(i)->id);
        long p = at(s, want, pos);
        if (p < 0)
            FAILF("step \"%s\" missing or out of order", want + 1);
        pos = p;
    }
    long uuid = at(s, "\nop_system_uuid\n", pos);
    long off = at(s, "\nstep 12 power-off ", uuid);
    CHECK(uuid > 0 && off > uuid);
    CHECK(at(s, "\nop_power_off\nexit 0\n", off) > 0);
    CHECK(strcmp(s + out.len - strlen("op_power_off\nexit 0\n"), "op_power_off\nexit 0\n") == 0);
    /* Between system-uuid and the power-off only comments and the step line. */
    const char *between = s + uuid + strlen("\nop_system_uuid\n");
    CHECK(strncmp(between, "# Nothing but the power-off", 27) == 0);
    /* The power-off is a clean shutdown (saves esx.conf), then poweroff. */
    long sd = at(s, "\"$R/sbin/shutdown.sh\" ||", 0);
    CHECK(sd > 0 && at(s, "run \"$R/sbin/poweroff\"", sd) > sd);
    vn_buf_free(&out);
}

TEST(script_only_selected)
{
    vn_buf out = VN_BUF_INIT;
    vn_error err;
    vn_error_clear(&err);
    const vn_release *rel = vn_release_get(VN_ESXI_67);
    vn_seal_set set = bit("ssh") | bit("vmknics");
    CHECK_INT(vn_seal_script(rel, set, 0, &out, &err), VN_OK);
    CHECK(strstr(out.data, "\nop_ssh() {\n"));
    CHECK(strstr(out.data, "\nop_vmknics() {\n"));
    CHECK(!strstr(out.data, "op_local_vmfs"));
    CHECK(!strstr(out.data, "op_system_uuid"));
    CHECK(!strstr(out.data, "sed -i"));
    CHECK(strstr(out.data, "WARNING: system-uuid is left out"));
    CHECK(strstr(out.data, "SEAL_STEPS=4\n"));
    CHECK(strstr(out.data, "SEAL_FAMILY='6.7'\n"));
    CHECK(strstr(out.data, "--ops none,ssh,vmknics'"));
    vn_buf_reset(&out);

    /* An operation that does not apply, or nothing at all, is refused. */
    CHECK_INT(vn_seal_script(rel, bit("legacy-cpu"), 0, &out, &err), VN_EINPUT);
    CHECK_INT(vn_seal_script(rel, 0, 0, &out, &err), VN_EINPUT);
    vn_buf_free(&out);

    vn_buf t = VN_BUF_INIT;
    vn_seal_set_text(bit("system-uuid") | bit("ssh"), ",", &t);
    CHECK_STR(t.data, "ssh,system-uuid");
    vn_buf_free(&t);
}

int main(void)
{
    RUN(table_order_is_the_issues);
    RUN(system_uuid_last_after_auto_backup);
    RUN(ids_unique_and_rows_complete);
    RUN(seeds_and_defaults);
    RUN(fragments_keep_to_their_job);
    RUN(ops_add_remove);
    RUN(ops_errors);
    RUN(clone_policy_s17);
    RUN(script_shape);
    RUN(script_only_selected);
    TH_EXIT();
}
