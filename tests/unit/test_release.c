/* Unit tests for the ESXi release table and its parsers (lib/vn_release.c). */
#define TH_SUITE "release"
#include "harness.h"

#include <stdarg.h>

#include "vn_error.h"
#include "vn_release.h"

static void parses_as(const char *text, vn_release_id want, const char *fn, int line)
{
    vn_error err;
    vn_error_clear(&err);
    const vn_release *r = vn_release_parse(text, "--esxi", &err);
    if (!r)
        fail_in(fn, line, "\"%s\" rejected: %s: %s", text, err.where, err.msg);
    else if (r != vn_release_get(want))
        fail_in(fn, line, "\"%s\" parsed as %s, expected %s", text, r->name,
                vn_release_get(want)->name);
    if (err.code != VN_OK)
        fail_in(fn, line, "\"%s\" parsed but set an error", text);
}

static void rejects(const char *text, const char *fn, int line)
{
    vn_error err;
    vn_error_clear(&err);
    const vn_release *r = vn_release_parse(text, "--esxi", &err);
    if (r) {
        fail_in(fn, line, "\"%s\" accepted as %s", text ? text : "(null)", r->name);
        return;
    }
    if (err.code != VN_EINPUT)
        fail_in(fn, line, "\"%s\": code %d, expected VN_EINPUT", text, err.code);
    if (strcmp(err.where, "--esxi") != 0)
        fail_in(fn, line, "\"%s\": where \"%s\", expected \"--esxi\"", text, err.where);
    char quoted[128];
    snprintf(quoted, sizeof(quoted), "\"%s\"", text ? text : "");
    if (!strstr(err.msg, quoted))
        fail_in(fn, line, "message does not quote the input: %s", err.msg);
    if (!strstr(err.msg, "expected one of") || !strstr(err.msg, "7.0U2+") ||
        !strstr(err.msg, "9.0"))
        fail_in(fn, line, "message does not list the releases: %s", err.msg);
}

#define PARSES_AS(text, id) parses_as(text, id, __func__, __LINE__)
#define REJECTS(text)       rejects(text, __func__, __LINE__)

TEST(parse_canonical_and_updates)
{
    PARSES_AS("6.0", VN_ESXI_60);
    PARSES_AS("6.5", VN_ESXI_65);
    PARSES_AS("6.7", VN_ESXI_67);
    PARSES_AS("7.0", VN_ESXI_70);
    PARSES_AS("7.0U1", VN_ESXI_70U1);
    PARSES_AS("7.0u1", VN_ESXI_70U1);
    PARSES_AS("7.0u2", VN_ESXI_70U2);
    PARSES_AS("7.0U3", VN_ESXI_70U2);
    PARSES_AS("7.0U2+", VN_ESXI_70U2);
    PARSES_AS("7.0U0", VN_ESXI_70);
    PARSES_AS("8", VN_ESXI_80);
    PARSES_AS("8.0", VN_ESXI_80);
    PARSES_AS("8.0U3", VN_ESXI_80);
    PARSES_AS("8.0u1", VN_ESXI_80);
    PARSES_AS("8U2", VN_ESXI_80);
    PARSES_AS("9.0", VN_ESXI_90);
    PARSES_AS("9", VN_ESXI_90);
    PARSES_AS("7", VN_ESXI_70);
    PARSES_AS("6", VN_ESXI_60);
    PARSES_AS("6.7U3", VN_ESXI_67);
    PARSES_AS("6.5u2", VN_ESXI_65);
}

TEST(parse_round_trips_names)
{
    for (int id = 0; id < VN_ESXI_COUNT; id++)
        PARSES_AS(vn_release_get((vn_release_id)id)->name, (vn_release_id)id);
}

TEST(parse_rejects)
{
    REJECTS("");
    REJECTS("5.5");
    REJECTS("7.1");
    REJECTS("abc");
    REJECTS("7.0U");
    REJECTS("7.0u");
    REJECTS("8.0.1");
    REJECTS("7.0U2++");
    REJECTS("7.0U3c");
    REJECTS(" 7.0");
    REJECTS("7.0 ");
    REJECTS("v7.0");
    REJECTS("7.");
    REJECTS(".0");
    REJECTS("-7.0");
    REJECTS("7.-0");
    REJECTS("7.0U-2");
    REJECTS("70");
    REJECTS("+");
}

/* Numbers that only alias a release through arithmetic (major * 10 +
 * minor) or through wrap-around must not be taken for one. */
TEST(parse_rejects_aliases)
{
    REJECTS("6.10");
    REJECTS("1.50");
    REJECTS("0.70");
    REJECTS("6.05");
    REJECTS("4294967302.0");
    REJECTS("8.4294967296");
    REJECTS("99999999999");
    REJECTS("99999999999999999999999.0");
    REJECTS("7.0U4294967297");
}

TEST(parse_null_and_where)
{
    REJECTS(NULL);
    vn_error err;
    vn_error_clear(&err);
    CHECK(vn_release_parse("5.1", "esxi", &err) == NULL);
    CHECK_STR(err.where, "esxi");
    vn_error_clear(&err);
    CHECK(vn_release_parse("5.1", NULL, &err) == NULL);
    CHECK_STR(err.where, "");
    CHECK_INT(err.code, VN_EINPUT);
    /* A NULL error is allowed. */
    CHECK(vn_release_parse("5.1", "--esxi", NULL) == NULL);
    CHECK(vn_release_parse("8.0", "--esxi", NULL) == vn_release_get(VN_ESXI_80));
}

TEST(from_guest)
{
    CHECK(vn_release_from_guest("vmkernel6") == vn_release_get(VN_ESXI_60));
    /* A shared type maps to the newest release of its family. */
    CHECK(vn_release_from_guest("vmkernel65") == vn_release_get(VN_ESXI_67));
    CHECK(vn_release_from_guest("vmkernel7") == vn_release_get(VN_ESXI_70U2));
    CHECK(vn_release_from_guest("vmkernel8") == vn_release_get(VN_ESXI_80));
    CHECK(vn_release_from_guest("vmkernel9") == vn_release_get(VN_ESXI_90));
    /* The vSphere API forms. */
    CHECK(vn_release_from_guest("vmkernel6Guest") == vn_release_get(VN_ESXI_60));
    CHECK(vn_release_from_guest("vmkernel65Guest") == vn_release_get(VN_ESXI_67));
    CHECK(vn_release_from_guest("vmkernel7Guest") == vn_release_get(VN_ESXI_70U2));
    CHECK(vn_release_from_guest("vmkernel8Guest") == vn_release_get(VN_ESXI_80));
    CHECK(vn_release_from_guest("vmkernel9Guest") == vn_release_get(VN_ESXI_90));
    /* Case-insensitive, like VMX keys and values VMware compares. */
    CHECK(vn_release_from_guest("VMKERNEL8") == vn_release_get(VN_ESXI_80));
    CHECK(vn_release_from_guest("VMkernel7guest") == vn_release_get(VN_ESXI_70U2));
    /* Not an ESXi guest type. */
    CHECK(vn_release_from_guest("other-64") == NULL);
    CHECK(vn_release_from_guest("other3xlinux-64") == NULL);
    CHECK(vn_release_from_guest("vmkernel") == NULL);
    CHECK(vn_release_from_guest("vmkernel5") == NULL);
    CHECK(vn_release_from_guest("vmkernel8 ") == NULL);
    CHECK(vn_release_from_guest("") == NULL);
    CHECK(vn_release_from_guest(NULL) == NULL);
}

TEST(table)
{
    static const struct {
        const char *name, *guest_os;
        int memory, hw, clone_ok;
    } want[VN_ESXI_COUNT] = {
        {"6.0", "vmkernel6", 4096, 11, 1},   {"6.5", "vmkernel65", 4096, 13, 1},
        {"6.7", "vmkernel65", 4096, 14, 1},  {"7.0", "vmkernel7", 8192, 17, 1},
        {"7.0U1", "vmkernel7", 8192, 18, 1}, {"7.0U2+", "vmkernel7", 8192, 19, 0},
        {"8.0", "vmkernel8", 8192, 20, 0},   {"9.0", "vmkernel9", 8192, 21, 0},
    };
    for (int id = 0; id < VN_ESXI_COUNT; id++) {
        const vn_release *r = vn_release_get((vn_release_id)id);
        if (!r) {
            FAILF("no row for %d", id);
            continue;
        }
        CHECK_INT(r->id, id);
        CHECK_STR(r->name, want[id].name);
        CHECK_STR(r->guest_os, want[id].guest_os);
        char guest_id[64];
        snprintf(guest_id, sizeof(guest_id), "%sGuest", want[id].guest_os);
        CHECK_STR(r->guest_id, guest_id);
        CHECK_INT(r->min_memory_mb, want[id].memory);
        CHECK_INT(r->hw_version, want[id].hw);
        CHECK_INT(r->template_clone_ok, want[id].clone_ok);
        /* 7.0U2 is where cloning stopped (S17). */
        CHECK_INT(r->template_clone_ok, id < VN_ESXI_70U2);
        CHECK(strstr(vn_release_list(), r->name) != NULL);
        if (id > 0)
            CHECK(r->hw_version > vn_release_get((vn_release_id)(id - 1))->hw_version);
    }
    CHECK(vn_release_get(VN_ESXI_COUNT) == NULL);
    CHECK(vn_release_get((vn_release_id)-1) == NULL);
    CHECK(vn_release_get(VN_ESXI_DEFAULT) == vn_release_get(VN_ESXI_80));
}

TEST(masks)
{
    CHECK_INT(VN_REL_ALL, (1u << VN_ESXI_COUNT) - 1);
    unsigned from = VN_REL_FROM(VN_ESXI_70U2);
    CHECK(!(from & VN_REL(VN_ESXI_70U1)));
    CHECK(from & VN_REL(VN_ESXI_70U2));
    CHECK(from & VN_REL(VN_ESXI_80));
    CHECK(from & VN_REL(VN_ESXI_90));
    CHECK_INT(VN_REL_FROM(VN_ESXI_60), VN_REL_ALL);
    unsigned upto = VN_REL_UPTO(VN_ESXI_67);
    CHECK(upto & VN_REL(VN_ESXI_60));
    CHECK(upto & VN_REL(VN_ESXI_67));
    CHECK(!(upto & VN_REL(VN_ESXI_70)));
    CHECK_INT(VN_REL_UPTO(VN_ESXI_90), VN_REL_ALL);
    CHECK_INT(VN_REL_FROM(VN_ESXI_70) | VN_REL_UPTO(VN_ESXI_67), VN_REL_ALL);
    CHECK_INT(VN_REL_FROM(VN_ESXI_70) & VN_REL_UPTO(VN_ESXI_67), 0);
}

int main(void)
{
    RUN(parse_canonical_and_updates);
    RUN(parse_round_trips_names);
    RUN(parse_rejects);
    RUN(parse_rejects_aliases);
    RUN(parse_null_and_where);
    RUN(from_guest);
    RUN(table);
    RUN(masks);
    TH_EXIT();
}
