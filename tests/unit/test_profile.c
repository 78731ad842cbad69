/* Unit tests for the profile rule table (lib/vn_profile.c) and its VMX
 * adapter (lib/vn_profile_vmx.c): one test per rule that breaks exactly that
 * rule in an otherwise compliant document, checks the finding, fixes it and
 * checks again. */
#define TH_SUITE "profile"
#include "harness.h"

#include <stdarg.h>
#include <strings.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_profile.h"
#include "vn_profile_vmx.h"
#include "vn_release.h"
#include "vn_vmx.h"

static const char *show(const char *s)
{
    return s ? s : "(null)";
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static vn_vmx *parse_text(const char *text, size_t len, const char *fn, int line)
{
    vn_vmx *vmx = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_vmx_parse(text, len, "t.vmx", &vmx, &err) != VN_OK)
        fail_in(fn, line, "parse failed: %s: %s", err.where, err.msg);
    return vmx;
}

/* ---- compliant base documents ------------------------------------------ */

/* A Nested ESXi VMX that satisfies every rule for `id` in the host role
 * (and in the template role too, when it has no disk or the release still
 * allows boot-disk templates). `disk` adds the boot disk scsi0:0. */
static vn_vmx *base_doc(vn_release_id id, int disk, const char *fn, int line)
{
    const vn_release *rel = vn_release_get(id);
    vn_buf b = VN_BUF_INIT;
    vn_buf_addf(&b,
                ".encoding = \"UTF-8\"\n"
                "config.version = \"8\"\n"
                "virtualHW.version = \"%d\"\n"
                "displayName = \"esx\"\n"
                "guestOS = \"%s\"\n"
                "numvcpus = \"2\"\n"
                "cpuid.coresPerSocket = \"2\"\n"
                "memsize = \"%d\"\n"
                "firmware = \"efi\"\n"
                "uefi.secureBoot.enabled = \"FALSE\"\n"
                "vhv.enable = \"TRUE\"\n"
                "disk.EnableUUID = \"TRUE\"\n"
                "scsi0.present = \"TRUE\"\n"
                "scsi0.virtualDev = \"pvscsi\"\n"
                "ethernet0.present = \"TRUE\"\n"
                "ethernet0.virtualDev = \"vmxnet3\"\n"
                "ethernet0.addressType = \"generated\"\n",
                rel->hw_version, rel->guest_os, rel->min_memory_mb);
    if (disk)
        vn_buf_adds(&b, "scsi0:0.present = \"TRUE\"\n"
                        "scsi0:0.deviceType = \"scsi-hardDisk\"\n"
                        "scsi0:0.fileName = \"esx.vmdk\"\n");
    vn_vmx *vmx = parse_text(b.data, b.len, fn, line);
    vn_buf_free(&b);
    return vmx;
}

/* An edit of the base: value NULL removes the key. */
typedef struct kv {
    const char *key, *value;
} kv;

static vn_vmx *variant(vn_release_id id, int disk, const kv *edits, size_t n, const char *fn,
                       int line)
{
    vn_vmx *vmx = base_doc(id, disk, fn, line);
    if (!vmx)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int rc = edits[i].value ? vn_vmx_set(vmx, edits[i].key, edits[i].value)
                                : vn_vmx_unset(vmx, edits[i].key);
        if (rc != 1)
            fail_in(fn, line, "edit of %s to %s changed nothing", edits[i].key,
                    show(edits[i].value));
    }
    return vmx;
}

#define NODISK         0
#define DISK           1
#define HOST           VN_ROLE_HOST
#define TMPL           VN_ROLE_TEMPLATE
#define BASE(id, disk) base_doc(id, disk, __func__, __LINE__)
#define VARIANT(id, disk, ...)                                                                     \
    variant(id, disk, (const kv[]){__VA_ARGS__}, sizeof((const kv[]){__VA_ARGS__}) / sizeof(kv),   \
            __func__, __LINE__)

static void run_check(const vn_vmx *vmx, vn_release_id id, unsigned role, vn_findings *f)
{
    memset(f, 0, sizeof(*f));
    vn_profile_vmx_check(vmx, vn_release_get(id), role, f);
}

/* Applies `f`, then checks again into `f`. Returns the keys changed. */
static size_t fix_recheck(vn_vmx *vmx, vn_release_id id, unsigned role, vn_findings *f)
{
    size_t changed = vn_profile_vmx_apply(vmx, f);
    vn_findings_free(f);
    run_check(vmx, id, role, f);
    return changed;
}

static size_t count_rule(const vn_findings *f, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += strcmp(f->v[i].rule->id, rule) == 0;
    return n;
}

static const vn_finding *find(const vn_findings *f, const char *rule, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].rule->id, rule) == 0 && strcmp(f->v[i].key, key) == 0)
            return &f->v[i];
    return NULL;
}

static void dump(const vn_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        printf("     finding: %s %s: %s -> %s%s\n", f->v[i].rule->id, f->v[i].key,
               show(f->v[i].current), show(f->v[i].wanted), f->v[i].fixable ? "" : " (manual)");
}

/* Exactly `n` findings, all of rule `rule`. */
static void only_rule(const vn_findings *f, const char *rule, size_t n, const char *fn, int line)
{
    if (f->n != n || count_rule(f, rule) != n) {
        fail_in(fn, line, "expected %zu finding(s) of %s, got %zu:", n, rule, f->n);
        dump(f);
    }
}

static const vn_finding *expect_finding(const vn_findings *f, const char *rule, const char *key,
                                        const char *cur, const char *want, int fixable,
                                        vn_severity sev, const char *fn, int line)
{
    const vn_finding *x = find(f, rule, key);
    if (!x) {
        fail_in(fn, line, "no finding of %s for %s", rule, key);
        dump(f);
        return NULL;
    }
    if (!same_str(x->current, cur))
        fail_in(fn, line, "%s current \"%s\", expected \"%s\"", key, show(x->current), show(cur));
    if (!same_str(x->wanted, want))
        fail_in(fn, line, "%s wanted \"%s\", expected \"%s\"", key, show(x->wanted), show(want));
    if (x->fixable != fixable)
        fail_in(fn, line, "%s fixable %d, expected %d", key, x->fixable, fixable);
    if (x->severity != sev)
        fail_in(fn, line, "%s severity %s, expected %s", key, vn_severity_name(x->severity),
                vn_severity_name(sev));
    if (x->rule != vn_rule_find(rule))
        fail_in(fn, line, "%s finding does not point at the table's rule %s", key, rule);
    return x;
}

#define ONLY(f, rule, n) only_rule(f, rule, n, __func__, __LINE__)
#define EXPECT(f, rule, key, cur, want, fixable, sev)                                              \
    expect_finding(f, rule, key, cur, want, fixable, sev, __func__, __LINE__)
#define NONE(f)           ONLY(f, "", 0)
#define ERR               VN_SEV_ERROR
#define WARN              VN_SEV_WARNING
#define NOTE_HAS(x, text) CHECK((x) != NULL && (x)->note != NULL && strstr((x)->note, text) != NULL)

/* Checks `vmx` for (id, role) and expects no findings. */
static void expect_clean(const vn_vmx *vmx, vn_release_id id, unsigned role, const char *fn,
                         int line)
{
    vn_findings f;
    run_check(vmx, id, role, &f);
    only_rule(&f, "", 0, fn, line);
    vn_findings_free(&f);
}

#define CLEAN(vmx, id, role) expect_clean(vmx, id, role, __func__, __LINE__)

/* ---- the table ---------------------------------------------------------- */

static int is_kebab(const char *s)
{
    if (!*s || *s == '-')
        return 0;
    for (const char *p = s; *p; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
        if (!ok || (*p == '-' && (p[1] == '-' || p[1] == '\0')))
            return 0;
    }
    return 1;
}

TEST(table_well_formed)
{
    size_t n = vn_rule_count();
    CHECK(n > 0);
    CHECK(vn_rule_at(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const vn_rule *r = vn_rule_at(i);
        if (!r || !r->id) {
            FAILF("rule %zu missing", i);
            continue;
        }
        if (!is_kebab(r->id))
            FAILF("rule id \"%s\" is not kebab-case", r->id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(vn_rule_at(j)->id, r->id) == 0)
                FAILF("rule id \"%s\" appears twice", r->id);
        if (!r->summary || !*r->summary)
            FAILF("%s: no summary", r->id);
        if (!r->rationale || !*r->rationale)
            FAILF("%s: no rationale", r->id);
        if (!r->seed)
            FAILF("%s: seed is NULL (use \"\")", r->id);
        if (r->releases == 0 || (r->releases & ~VN_REL_ALL))
            FAILF("%s: releases mask 0x%x", r->id, r->releases);
        if (r->roles == 0 || (r->roles & ~VN_ROLE_ANY))
            FAILF("%s: roles mask 0x%x", r->id, r->roles);
        if (r->surfaces == 0)
            FAILF("%s: no surface", r->id);
        if (r->severity > VN_SEV_ERROR)
            FAILF("%s: severity %d", r->id, (int)r->severity);
        if (vn_rule_find(r->id) != r)
            FAILF("vn_rule_find(\"%s\") is not the table row", r->id);
    }
    CHECK(vn_rule_find("no-such-rule") == NULL);
    CHECK(vn_rule_find("") == NULL);
}

TEST(table_vmx_adapters_in_step)
{
    for (size_t i = 0; i < vn_rule_count(); i++) {
        const vn_rule *r = vn_rule_at(i);
        int claims = (r->surfaces & VN_SURF_VMX) != 0;
        int covered = vn_profile_vmx_covers(r->id);
        if (claims && !covered)
            FAILF("%s claims the VMX surface but has no VMX adapter", r->id);
        if (!claims && covered)
            FAILF("%s has a VMX adapter but does not claim VN_SURF_VMX", r->id);
    }
    /* An adapter registered under an id the table lacks would never run;
     * these are the near misses a typo would produce. */
    CHECK(!vn_profile_vmx_covers(""));
    CHECK(!vn_profile_vmx_covers("nested_hv"));
    CHECK(!vn_profile_vmx_covers("Nested-HV"));
    CHECK(!vn_profile_vmx_covers("nested-hv "));
}

/* Every finding the adapter can produce points into the table. Run over a
 * document that breaks as many rules as possible. */
TEST(findings_point_into_table)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"guestOS", "other"}, {"vhv.enable", NULL},
                          {"ethernet0.generatedAddress", "00:0c:29:01:02:03"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, TMPL, &f);
    CHECK(f.n >= 3);
    for (size_t i = 0; i < f.n; i++) {
        const vn_rule *r = f.v[i].rule;
        int in_table = 0;
        for (size_t j = 0; j < vn_rule_count(); j++)
            in_table |= vn_rule_at(j) == r;
        if (!in_table)
            FAILF("finding %zu does not point at a table row", i);
        else if (!(r->surfaces & VN_SURF_VMX))
            FAILF("finding of %s, a rule without the VMX surface", r->id);
        if (i > 0 && f.v[i - 1].rule > r)
            FAILF("findings not in rule-table order at %s", r->id);
    }
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

/* The rules this file has a rule_* test for; a rule added to the table
 * without a test here fails. */
static const char *const tested_rules[] = {
    "guest-os",
    "nested-hv",
    "cpu-count",
    "cpu-topology",
    "memory-min",
    "firmware-efi",
    "secure-boot-off",
    "nic-vmxnet3",
    "nic-present",
    "storage-pvscsi",
    "disk-uuid",
    "virtual-ssd",
    "hw-version",
    "setup-once-cleared",
    "no-install-media",
    "no-instance-identity",
    "clone-policy",
    /* API-only rules: their rule_* tests are in test_apinet.c */
    "portgroup-security",
    "portgroup-mac-learning",
    /* offline-disk rules: exercised on built images in tests/e2e/disk.sh */
    "disk-legacy-cpu",
    "disk-follow-hw-mac",
    "disk-only-vmk0",
    "disk-no-local-vmfs",
    "disk-no-system-uuid",
};

TEST(every_rule_has_a_test)
{
    size_t n = sizeof(tested_rules) / sizeof(tested_rules[0]);
    CHECK_INT(n, vn_rule_count());
    for (size_t i = 0; i < vn_rule_count(); i++) {
        int found = 0;
        for (size_t j = 0; j < n; j++)
            found |= strcmp(tested_rules[j], vn_rule_at(i)->id) == 0;
        if (!found)
            FAILF("rule %s has no rule_* test", vn_rule_at(i)->id);
    }
}

TEST(table_helpers)
{
    const vn_rule *clone = vn_rule_find("clone-policy");
    const vn_rule *setup = vn_rule_find("setup-once-cleared");
    const vn_rule *hv = vn_rule_find("nested-hv");
    if (!clone || !setup || !hv) {
        FAILF("rules missing");
        return;
    }
    CHECK(vn_rule_applies(hv, VN_ESXI_60, HOST));
    CHECK(vn_rule_applies(hv, VN_ESXI_90, TMPL));
    CHECK(!vn_rule_applies(setup, VN_ESXI_80, HOST));
    CHECK(vn_rule_applies(setup, VN_ESXI_80, TMPL));
    CHECK(!vn_rule_applies(clone, VN_ESXI_70U1, TMPL));
    CHECK(vn_rule_applies(clone, VN_ESXI_70U2, TMPL));
    CHECK(vn_rule_applies(clone, VN_ESXI_90, TMPL));
    CHECK(!vn_rule_applies(clone, VN_ESXI_80, HOST));

    CHECK_STR(vn_severity_name(VN_SEV_ERROR), "error");
    CHECK_STR(vn_severity_name(VN_SEV_WARNING), "warning");
    CHECK_STR(vn_severity_name(VN_SEV_INFO), "info");
    CHECK_STR(vn_role_name(HOST), "host");
    CHECK_STR(vn_role_name(TMPL), "template");
    CHECK_INT(vn_role_parse("host"), HOST);
    CHECK_INT(vn_role_parse("Template"), TMPL);
    CHECK_INT(vn_role_parse("vm"), 0);
    CHECK_INT(vn_role_parse(NULL), 0);

    vn_findings f = {0};
    vn_finding *x = vn_findings_add(&f, hv, "vhv.enable", NULL, "TRUE");
    CHECK(x->fixable == 1 && x->severity == VN_SEV_ERROR && x->current == NULL);
    for (int i = 0; i < 40; i++) /* grows past the first allocation */
        vn_findings_add(&f, vn_rule_find("disk-uuid"), "disk.EnableUUID", "FALSE", "TRUE");
    CHECK_INT(f.n, 41);
    CHECK_INT(vn_findings_count(&f, VN_SEV_ERROR), 1);
    CHECK_INT(vn_findings_count(&f, VN_SEV_WARNING), 41);
    CHECK_INT(vn_findings_count(&f, VN_SEV_INFO), 41);
    CHECK_STR(f.v[0].key, "vhv.enable");
    CHECK_STR(f.v[40].current, "FALSE");
    vn_findings_free(&f);
    CHECK(f.n == 0 && f.v == NULL);
}

/* The base documents really are compliant, or nothing below means much. */
TEST(base_documents_compliant)
{
    for (int id = 0; id < VN_ESXI_COUNT; id++) {
        vn_vmx *disk = BASE((vn_release_id)id, DISK);
        vn_vmx *bare = BASE((vn_release_id)id, NODISK);
        if (!disk || !bare) {
            vn_vmx_free(disk);
            vn_vmx_free(bare);
            return;
        }
        CLEAN(disk, (vn_release_id)id, HOST);
        CLEAN(bare, (vn_release_id)id, HOST);
        CLEAN(bare, (vn_release_id)id, TMPL);
        vn_findings f;
        run_check(disk, (vn_release_id)id, TMPL, &f);
        /* With a boot disk, a template is only fine before 7.0 U2 (S17). */
        ONLY(&f, "clone-policy", id >= VN_ESXI_70U2 ? 1 : 0);
        vn_findings_free(&f);
        vn_vmx_free(disk);
        vn_vmx_free(bare);
    }
}

/* ---- one test per rule --------------------------------------------------- */

TEST(rule_guest_os)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"guestOS", "other-64"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "guest-os", 1);
    const vn_finding *x = EXPECT(&f, "guest-os", "guestOS", "other-64", "vmkernel8", 1, ERR);
    CHECK(x == NULL || x->note == NULL);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "guestOS"), "vmkernel8");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* Absent: the same error, nothing current. */
    vmx = VARIANT(VN_ESXI_67, DISK, {"guestOS", NULL});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_67, HOST, &f);
    ONLY(&f, "guest-os", 1);
    EXPECT(&f, "guest-os", "guestOS", NULL, "vmkernel65", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_67, HOST, &f), 1);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_guest_os_other_vmkernel)
{
    /* Another ESXi guest type: a warning that says which release it is. */
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"guestOS", "vmkernel7"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "guest-os", 1);
    const vn_finding *x = EXPECT(&f, "guest-os", "guestOS", "vmkernel7", "vmkernel8", 1, WARN);
    NOTE_HAS(x, "7.0U2+");
    NOTE_HAS(x, "8.0");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* The type is compared case-insensitively; 6.5 and 6.7 share theirs. */
    vmx = VARIANT(VN_ESXI_80, DISK, {"guestOS", "VMKernel8"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, HOST);
    vn_vmx_free(vmx);
    vmx = BASE(VN_ESXI_67, DISK);
    if (vmx)
        CLEAN(vmx, VN_ESXI_65, HOST);
    vn_vmx_free(vmx);
}

TEST(rule_nested_hv)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"vhv.enable", NULL});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "nested-hv", 1);
    EXPECT(&f, "nested-hv", "vhv.enable", NULL, "TRUE", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "vhv.enable"), "TRUE");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    vmx = VARIANT(VN_ESXI_60, DISK, {"vhv.enable", "FALSE"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_60, HOST, &f);
    ONLY(&f, "nested-hv", 1);
    EXPECT(&f, "nested-hv", "vhv.enable", "FALSE", "TRUE", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_60, HOST, &f), 1);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* Any VMware spelling of true is enough. */
    vmx = VARIANT(VN_ESXI_80, DISK, {"vhv.enable", "yes"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, HOST);
    vn_vmx_free(vmx);
}

TEST(rule_cpu_count)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"numvcpus", "1"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "cpu-count", 1);
    EXPECT(&f, "cpu-count", "numvcpus", "1", "2", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "numvcpus"), "2");
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_cpu_count_absent)
{
    /* VMware's default for a missing numvcpus is one CPU. */
    vn_vmx *vmx = VARIANT(VN_ESXI_70, DISK, {"numvcpus", NULL});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_70, HOST, &f);
    ONLY(&f, "cpu-count", 1);
    EXPECT(&f, "cpu-count", "numvcpus", NULL, "2", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_70, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "numvcpus"), "2");
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_cpu_topology)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"numvcpus", "6"}, {"cpuid.coresPerSocket", "4"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "cpu-topology", 1);
    EXPECT(&f, "cpu-topology", "cpuid.coresPerSocket", "4", "6", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "cpuid.coresPerSocket"), "6");
    CHECK_STR(vn_vmx_get(vmx, "numvcpus"), "6");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* A divisor is fine; no coresPerSocket is VMware's one core per socket. */
    vmx = VARIANT(VN_ESXI_80, DISK, {"numvcpus", "6"}, {"cpuid.coresPerSocket", "3"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, HOST);
    vn_vmx_free(vmx);
    vmx = VARIANT(VN_ESXI_80, DISK, {"numvcpus", "6"}, {"cpuid.coresPerSocket", NULL});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, HOST);
    vn_vmx_free(vmx);

    /* Zero cores per socket is never right. */
    vmx = VARIANT(VN_ESXI_80, DISK, {"numvcpus", "4"}, {"cpuid.coresPerSocket", "0"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "cpu-topology", 1);
    EXPECT(&f, "cpu-topology", "cpuid.coresPerSocket", "0", "4", 1, ERR);
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* One vCPU with 4 cores per socket: the topology is judged against the
     * 2 CPUs cpu-count is about to set, so both fixes agree. */
    vmx = VARIANT(VN_ESXI_80, DISK, {"numvcpus", "1"}, {"cpuid.coresPerSocket", "4"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    CHECK_INT(f.n, 2);
    EXPECT(&f, "cpu-count", "numvcpus", "1", "2", 1, ERR);
    EXPECT(&f, "cpu-topology", "cpuid.coresPerSocket", "4", "2", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 2);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

/* memsize `have` for release `id` wants `want`. */
static void memory_case(vn_release_id id, const char *have, const char *want, const char *fn,
                        int line)
{
    kv edit = {"memsize", have};
    vn_vmx *vmx = variant(id, DISK, &edit, 1, fn, line);
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, id, HOST, &f);
    only_rule(&f, "memory-min", 1, fn, line);
    expect_finding(&f, "memory-min", "memsize", have, want, 1, ERR, fn, line);
    vn_profile_vmx_apply(vmx, &f);
    vn_findings_free(&f);
    if (!same_str(vn_vmx_get(vmx, "memsize"), want))
        fail_in(fn, line, "memsize after fix \"%s\"", show(vn_vmx_get(vmx, "memsize")));
    expect_clean(vmx, id, HOST, fn, line);
    vn_vmx_free(vmx);
}

#define MEMORY_CASE(id, have, want) memory_case(id, have, want, __func__, __LINE__)

TEST(rule_memory_min)
{
    MEMORY_CASE(VN_ESXI_67, "2048", "4096");
    MEMORY_CASE(VN_ESXI_67, "4095", "4096");
    MEMORY_CASE(VN_ESXI_80, "4096", "8192");
    MEMORY_CASE(VN_ESXI_70, "8000", "8192");
    /* Above the minimum but not a multiple of 4 MB: rounded up. */
    MEMORY_CASE(VN_ESXI_80, "8193", "8196");
    MEMORY_CASE(VN_ESXI_67, "4097", "4100");
    MEMORY_CASE(VN_ESXI_80, "-1", "8192");

    vn_vmx *vmx = VARIANT(VN_ESXI_90, DISK, {"memsize", NULL});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_90, HOST, &f);
    ONLY(&f, "memory-min", 1);
    EXPECT(&f, "memory-min", "memsize", NULL, "8192", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_90, HOST, &f), 1);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* 4 GB is enough for 6.7 but not for 8.0; more is always fine. */
    vmx = BASE(VN_ESXI_67, DISK);
    if (vmx) {
        CHECK_STR(vn_vmx_get(vmx, "memsize"), "4096");
        CLEAN(vmx, VN_ESXI_67, HOST);
        run_check(vmx, VN_ESXI_80, HOST, &f);
        CHECK_INT(count_rule(&f, "memory-min"), 1);
        vn_findings_free(&f);
    }
    vn_vmx_free(vmx);
    vmx = VARIANT(VN_ESXI_80, DISK, {"memsize", "65536"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, HOST);
    vn_vmx_free(vmx);
}

/* Values at the edge of `long` must not overflow the rounding. */
TEST(rule_memory_min_huge_values)
{
    static const char *const huge[] = {"9223372036854775807", "9223372036854775806",
                                       "99999999999999999999"};
    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"memsize", huge[i]});
        if (!vmx)
            return;
        vn_findings f;
        run_check(vmx, VN_ESXI_80, HOST, &f);
        CHECK(f.n <= 1);
        for (size_t j = 0; j < f.n; j++) {
            const char *w = f.v[j].wanted;
            CHECK(w != NULL && w[0] != '-' && strtoll(w, NULL, 10) % 4 == 0 &&
                  strtoll(w, NULL, 10) >= 8192);
        }
        vn_profile_vmx_apply(vmx, &f);
        vn_findings_free(&f);
        CLEAN(vmx, VN_ESXI_80, HOST);
        vn_vmx_free(vmx);
    }
}

TEST(rule_firmware_efi)
{
    /* With a boot disk the switch would make an installed ESXi unbootable:
     * reported, never applied. */
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"firmware", "bios"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "firmware-efi", 1);
    const vn_finding *x = EXPECT(&f, "firmware-efi", "firmware", "bios", "efi", 0, WARN);
    NOTE_HAS(x, "unbootable");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 0);
    ONLY(&f, "firmware-efi", 1);
    CHECK_STR(vn_vmx_get(vmx, "firmware"), "bios");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* Absent firmware is BIOS. */
    vmx = VARIANT(VN_ESXI_67, DISK, {"firmware", NULL});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_67, HOST, &f);
    ONLY(&f, "firmware-efi", 1);
    EXPECT(&f, "firmware-efi", "firmware", NULL, "efi", 0, WARN);
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    vmx = VARIANT(VN_ESXI_80, DISK, {"firmware", "EFI"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, HOST);
    vn_vmx_free(vmx);
}

TEST(rule_firmware_efi_no_disk)
{
    /* No disk yet (a CD-ROM is not one): nothing installed, so it is fixed. */
    vn_vmx *vmx = VARIANT(VN_ESXI_80, NODISK, {"firmware", "bios"}, {"sata0.present", "TRUE"},
                          {"sata0:0.present", "TRUE"}, {"sata0:0.deviceType", "cdrom-image"},
                          {"sata0:0.fileName", "/isos/esxi.iso"}, {"scsi0:1.present", "FALSE"},
                          {"scsi0:1.fileName", "old.vmdk"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "firmware-efi", 1);
    const vn_finding *x = EXPECT(&f, "firmware-efi", "firmware", "bios", "efi", 1, WARN);
    CHECK(x == NULL || x->note == NULL);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "firmware"), "efi");
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_secure_boot_off)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"uefi.secureBoot.enabled", "TRUE"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "secure-boot-off", 1);
    EXPECT(&f, "secure-boot-off", "uefi.secureBoot.enabled", "TRUE", "FALSE", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "uefi.secureBoot.enabled"), "FALSE");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* Absent means off. */
    vmx = VARIANT(VN_ESXI_80, DISK, {"uefi.secureBoot.enabled", NULL});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, HOST);
    vn_vmx_free(vmx);

    /* On version 11 Secure Boot also raises the hardware version wanted. */
    vmx =
        VARIANT(VN_ESXI_70, DISK, {"uefi.secureBoot.enabled", "TRUE"}, {"virtualHW.version", "11"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_70, HOST, &f);
    CHECK_INT(f.n, 2);
    EXPECT(&f, "secure-boot-off", "uefi.secureBoot.enabled", "TRUE", "FALSE", 1, WARN);
    const vn_finding *x = EXPECT(&f, "hw-version", "virtualHW.version", "11", "13", 1, ERR);
    NOTE_HAS(x, "Secure Boot");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_70, HOST, &f), 2);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_nic_vmxnet3)
{
    vn_vmx *vmx =
        VARIANT(VN_ESXI_80, DISK, {"ethernet1.present", "TRUE"}, {"ethernet1.virtualDev", "e1000"},
                {"ethernet1.addressType", "generated"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "nic-vmxnet3", 1);
    EXPECT(&f, "nic-vmxnet3", "ethernet1.virtualDev", "e1000", "vmxnet3", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "ethernet1.virtualDev"), "vmxnet3");
    CHECK_STR(vn_vmx_get(vmx, "ethernet0.virtualDev"), "vmxnet3");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* No virtualDev is VMware's default adapter, not VMXNET3; an adapter
     * that is not present does not count. */
    vmx = VARIANT(VN_ESXI_60, DISK, {"ethernet0.virtualDev", NULL}, {"ethernet3.present", "FALSE"},
                  {"ethernet3.virtualDev", "e1000e"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_60, HOST, &f);
    ONLY(&f, "nic-vmxnet3", 1);
    EXPECT(&f, "nic-vmxnet3", "ethernet0.virtualDev", NULL, "vmxnet3", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_60, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "ethernet3.virtualDev"), "e1000e");
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_nic_present)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"ethernet0.present", "FALSE"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "nic-present", 1);
    const vn_finding *x = EXPECT(&f, "nic-present", "ethernet0.present", "FALSE", "TRUE", 0, ERR);
    NOTE_HAS(x, "VMXNET3");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 0);
    ONLY(&f, "nic-present", 1);
    CHECK_STR(vn_vmx_get(vmx, "ethernet0.present"), "FALSE");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    vmx = VARIANT(VN_ESXI_65, DISK, {"ethernet0.present", NULL}, {"ethernet0.virtualDev", NULL},
                  {"ethernet0.addressType", NULL});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_65, HOST, &f);
    ONLY(&f, "nic-present", 1);
    EXPECT(&f, "nic-present", "ethernet0.present", NULL, "TRUE", 0, ERR);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_storage_pvscsi)
{
    /* From 6.5: LSI Logic becomes PVSCSI. */
    vn_vmx *vmx = VARIANT(VN_ESXI_70, DISK, {"scsi0.virtualDev", "lsilogic"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_70, HOST, &f);
    ONLY(&f, "storage-pvscsi", 1);
    EXPECT(&f, "storage-pvscsi", "scsi0.virtualDev", "lsilogic", "pvscsi", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_70, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "scsi0.virtualDev"), "pvscsi");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* A second controller without virtualDev (VMware's default, BusLogic
     * or LSI depending on the guest) is reported too. */
    vmx = VARIANT(VN_ESXI_65, DISK, {"scsi1.present", "TRUE"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_65, HOST, &f);
    ONLY(&f, "storage-pvscsi", 1);
    EXPECT(&f, "storage-pvscsi", "scsi1.virtualDev", NULL, "pvscsi", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_65, HOST, &f), 1);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_storage_pvscsi_esxi60)
{
    /* 6.0: BusLogic becomes LSI Logic SAS, the controller 6.0 boots from. */
    vn_vmx *vmx = VARIANT(VN_ESXI_60, DISK, {"scsi0.virtualDev", "buslogic"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_60, HOST, &f);
    ONLY(&f, "storage-pvscsi", 1);
    EXPECT(&f, "storage-pvscsi", "scsi0.virtualDev", "buslogic", "lsisas1068", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_60, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "scsi0.virtualDev"), "lsisas1068");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* LSI Logic is fine on 6.0 (and stays a finding on 6.5). */
    vmx = VARIANT(VN_ESXI_60, DISK, {"scsi0.virtualDev", "lsilogic"});
    if (!vmx)
        return;
    CLEAN(vmx, VN_ESXI_60, HOST);
    run_check(vmx, VN_ESXI_65, HOST, &f);
    CHECK_INT(count_rule(&f, "storage-pvscsi"), 1);
    EXPECT(&f, "storage-pvscsi", "scsi0.virtualDev", "lsilogic", "pvscsi", 1, WARN);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_storage_nvme_esxi60)
{
    /* 6.0 has no NVMe driver: a person must change the controller. */
    vn_vmx *vmx = VARIANT(VN_ESXI_60, DISK, {"virtualHW.version", "13"}, {"nvme0.present", "TRUE"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_60, HOST, &f);
    ONLY(&f, "storage-pvscsi", 1);
    const vn_finding *x = EXPECT(&f, "storage-pvscsi", "nvme0.virtualDev", NULL, NULL, 0, WARN);
    NOTE_HAS(x, "NVMe");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_60, HOST, &f), 0);
    ONLY(&f, "storage-pvscsi", 1);
    CHECK_STR(vn_vmx_get(vmx, "nvme0.present"), "TRUE");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* From 6.5 NVMe is fine. */
    vmx = VARIANT(VN_ESXI_65, DISK, {"nvme0.present", "TRUE"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_65, HOST);
    vn_vmx_free(vmx);
}

TEST(rule_disk_uuid)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"disk.EnableUUID", NULL});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "disk-uuid", 1);
    EXPECT(&f, "disk-uuid", "disk.EnableUUID", NULL, "TRUE", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "disk.EnableUUID"), "TRUE");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    vmx = VARIANT(VN_ESXI_67, DISK, {"disk.EnableUUID", "FALSE"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_67, HOST, &f);
    ONLY(&f, "disk-uuid", 1);
    EXPECT(&f, "disk-uuid", "disk.EnableUUID", "FALSE", "TRUE", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_67, HOST, &f), 1);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_virtual_ssd)
{
    vn_vmx *vmx =
        VARIANT(VN_ESXI_80, DISK, {"scsi0:1.present", "TRUE"},
                {"scsi0:1.deviceType", "scsi-hardDisk"}, {"scsi0:1.fileName", "esx-cache.vmdk"},
                {"scsi0:2.present", "TRUE"}, {"scsi0:2.fileName", "esx-capacity.vmdk"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "virtual-ssd", 2);
    EXPECT(&f, "virtual-ssd", "scsi0:1.virtualSSD", NULL, "1", 1, WARN);
    EXPECT(&f, "virtual-ssd", "scsi0:2.virtualSSD", NULL, "1", 1, WARN);
    CHECK(find(&f, "virtual-ssd", "scsi0:0.virtualSSD") == NULL);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 2);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "scsi0:1.virtualSSD"), "1");
    CHECK_STR(vn_vmx_get(vmx, "scsi0:2.virtualSSD"), "1");
    CHECK(vn_vmx_get(vmx, "scsi0:0.virtualSSD") == NULL);
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* "TRUE" counts; a virtualSSD of "0" does not. */
    vmx = VARIANT(VN_ESXI_80, DISK, {"scsi0:1.present", "TRUE"}, {"scsi0:1.fileName", "c.vmdk"},
                  {"scsi0:1.virtualSSD", "TRUE"}, {"scsi0:2.present", "TRUE"},
                  {"scsi0:2.fileName", "d.vmdk"}, {"scsi0:2.virtualSSD", "0"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "virtual-ssd", 1);
    EXPECT(&f, "virtual-ssd", "scsi0:2.virtualSSD", "0", "1", 1, WARN);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_virtual_ssd_nvme)
{
    /* The NVMe disk is written first, but the boot disk is the first by
     * bus order (SCSI before NVMe), so scsi0:0 stays a plain disk. CD-ROMs
     * are not disks. */
    vn_vmx *vmx = VARIANT(VN_ESXI_80, NODISK, {"nvme0.present", "TRUE"},
                          {"nvme0:0.present", "TRUE"}, {"nvme0:0.fileName", "esx-cache.vmdk"},
                          {"nvme0:1.present", "TRUE"}, {"nvme0:1.fileName", "esx-capacity.vmdk"},
                          {"sata0.present", "TRUE"}, {"sata0:0.present", "TRUE"},
                          {"sata0:0.deviceType", "cdrom-image"}, {"sata0:0.fileName", "esxi.iso"},
                          {"scsi0:0.present", "TRUE"}, {"scsi0:0.fileName", "esx.vmdk"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "virtual-ssd", 2);
    EXPECT(&f, "virtual-ssd", "nvme0:0.virtualSSD", NULL, "1", 1, WARN);
    EXPECT(&f, "virtual-ssd", "nvme0:1.virtualSSD", NULL, "1", 1, WARN);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 2);
    NONE(&f);
    CHECK(vn_vmx_get(vmx, "scsi0:0.virtualSSD") == NULL);
    CHECK(vn_vmx_get(vmx, "sata0:0.virtualSSD") == NULL);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_hw_version)
{
    /* VMware reads a missing virtualHW.version as 4; nested HV needs 9. */
    vn_vmx *vmx = VARIANT(VN_ESXI_80, DISK, {"virtualHW.version", NULL});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_80, HOST, &f);
    ONLY(&f, "hw-version", 1);
    const vn_finding *x = EXPECT(&f, "hw-version", "virtualHW.version", NULL, "9", 1, ERR);
    NOTE_HAS(x, "version 9");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "virtualHW.version"), "9");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    vmx = VARIANT(VN_ESXI_60, DISK, {"virtualHW.version", "8"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_60, HOST, &f);
    ONLY(&f, "hw-version", 1);
    EXPECT(&f, "hw-version", "virtualHW.version", "8", "9", 1, ERR);
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_hw_version_nvme)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_70, DISK, {"virtualHW.version", "11"}, {"nvme0.present", "TRUE"});
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_70, HOST, &f);
    ONLY(&f, "hw-version", 1);
    const vn_finding *x = EXPECT(&f, "hw-version", "virtualHW.version", "11", "13", 1, ERR);
    NOTE_HAS(x, "NVMe");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_70, HOST, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "virtualHW.version"), "13");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* Version 11 without NVMe is enough. */
    vmx = VARIANT(VN_ESXI_70, DISK, {"virtualHW.version", "11"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_70, HOST);
    vn_vmx_free(vmx);
}

TEST(rule_setup_once_cleared)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_70U1, DISK, {"bios.forceSetupOnce", "TRUE"});
    if (!vmx)
        return;
    CLEAN(vmx, VN_ESXI_70U1, HOST); /* a host may stop in setup once */
    vn_findings f;
    run_check(vmx, VN_ESXI_70U1, TMPL, &f);
    ONLY(&f, "setup-once-cleared", 1);
    EXPECT(&f, "setup-once-cleared", "bios.forceSetupOnce", "TRUE", NULL, 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_70U1, TMPL, &f), 1);
    NONE(&f);
    CHECK(vn_vmx_get(vmx, "bios.forceSetupOnce") == NULL);
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    vmx = VARIANT(VN_ESXI_80, NODISK, {"bios.forceSetupOnce", "FALSE"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, TMPL);
    vn_vmx_free(vmx);
}

TEST(rule_no_install_media)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_70U1, DISK, {"sata0.present", "TRUE"},
                          {"sata0:0.present", "TRUE"}, {"sata0:0.deviceType", "cdrom-image"},
                          {"sata0:0.fileName", "/isos/VMware-VMvisor-Installer-7.0U1.iso"},
                          {"sata0:0.startConnected", "TRUE"});
    if (!vmx)
        return;
    CLEAN(vmx, VN_ESXI_70U1, HOST);
    vn_findings f;
    run_check(vmx, VN_ESXI_70U1, TMPL, &f);
    ONLY(&f, "no-install-media", 1);
    const vn_finding *x =
        EXPECT(&f, "no-install-media", "sata0:0.startConnected", "TRUE", "FALSE", 1, ERR);
    NOTE_HAS(x, "/isos/VMware-VMvisor-Installer-7.0U1.iso");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_70U1, TMPL, &f), 1);
    NONE(&f);
    CHECK_STR(vn_vmx_get(vmx, "sata0:0.startConnected"), "FALSE");
    CHECK_STR(vn_vmx_get(vmx, "sata0:0.fileName"), "/isos/VMware-VMvisor-Installer-7.0U1.iso");
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* startConnected absent means connected. */
    vmx = VARIANT(VN_ESXI_80, NODISK, {"ide1:0.present", "TRUE"},
                  {"ide1:0.deviceType", "cdrom-image"}, {"ide1:0.fileName", "esxi.iso"});
    if (!vmx)
        return;
    run_check(vmx, VN_ESXI_80, TMPL, &f);
    ONLY(&f, "no-install-media", 1);
    EXPECT(&f, "no-install-media", "ide1:0.startConnected", NULL, "FALSE", 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, TMPL, &f), 1);
    NONE(&f);
    vn_findings_free(&f);
    vn_vmx_free(vmx);

    /* A host drive or a disconnected image is no installer at power-on. */
    vmx = VARIANT(VN_ESXI_80, NODISK, {"sata0:0.present", "TRUE"},
                  {"sata0:0.deviceType", "cdrom-raw"}, {"sata0:0.fileName", "auto detect"},
                  {"sata0:1.present", "TRUE"}, {"sata0:1.deviceType", "cdrom-image"},
                  {"sata0:1.fileName", "esxi.iso"}, {"sata0:1.startConnected", "FALSE"});
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, TMPL);
    vn_vmx_free(vmx);
}

TEST(rule_no_instance_identity)
{
    vn_vmx *vmx = VARIANT(VN_ESXI_70U1, DISK,
                          {"uuid.bios", "56 4d 11 22 33 44 55 66-77 88 99 aa bb cc dd ee"},
                          {"uuid.location", "56 4d 11 22 33 44 55 66-77 88 99 aa bb cc dd ee"},
                          {"vc.uuid", "52 00 11 22 33 44 55 66-77 88 99 aa bb cc dd ee"},
                          {"ethernet0.generatedAddress", "00:0c:29:cc:dd:ee"},
                          {"ethernet0.generatedAddressOffset", "0"});
    if (!vmx)
        return;
    CLEAN(vmx, VN_ESXI_70U1, HOST);
    vn_findings f;
    run_check(vmx, VN_ESXI_70U1, TMPL, &f);
    ONLY(&f, "no-instance-identity", 5);
    EXPECT(&f, "no-instance-identity", "uuid.bios",
           "56 4d 11 22 33 44 55 66-77 88 99 aa bb cc dd ee", NULL, 1, ERR);
    EXPECT(&f, "no-instance-identity", "uuid.location",
           "56 4d 11 22 33 44 55 66-77 88 99 aa bb cc dd ee", NULL, 1, ERR);
    EXPECT(&f, "no-instance-identity", "vc.uuid", "52 00 11 22 33 44 55 66-77 88 99 aa bb cc dd ee",
           NULL, 1, ERR);
    EXPECT(&f, "no-instance-identity", "ethernet0.generatedAddress", "00:0c:29:cc:dd:ee", NULL, 1,
           ERR);
    EXPECT(&f, "no-instance-identity", "ethernet0.generatedAddressOffset", "0", NULL, 1, ERR);
    CHECK_INT(fix_recheck(vmx, VN_ESXI_70U1, TMPL, &f), 5);
    NONE(&f);
    CHECK(vn_vmx_get(vmx, "uuid.bios") == NULL);
    CHECK(vn_vmx_get(vmx, "uuid.location") == NULL);
    CHECK(vn_vmx_get(vmx, "vc.uuid") == NULL);
    CHECK(vn_vmx_get(vmx, "ethernet0.generatedAddress") == NULL);
    CHECK(vn_vmx_get(vmx, "ethernet0.generatedAddressOffset") == NULL);
    CHECK_STR(vn_vmx_get(vmx, "ethernet0.addressType"), "generated");
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_no_instance_identity_static_mac)
{
    /* A static MAC needs a person (which address should clones get?). */
    vn_vmx *vmx = VARIANT(VN_ESXI_80, NODISK, {"ethernet0.addressType", "static"},
                          {"ethernet0.address", "00:50:56:01:02:03"});
    if (!vmx)
        return;
    CLEAN(vmx, VN_ESXI_80, HOST);
    vn_findings f;
    run_check(vmx, VN_ESXI_80, TMPL, &f);
    ONLY(&f, "no-instance-identity", 1);
    const vn_finding *x =
        EXPECT(&f, "no-instance-identity", "ethernet0.addressType", "static", "generated", 0, ERR);
    NOTE_HAS(x, "clone");
    CHECK_INT(fix_recheck(vmx, VN_ESXI_80, TMPL, &f), 0);
    ONLY(&f, "no-instance-identity", 1);
    CHECK_STR(vn_vmx_get(vmx, "ethernet0.addressType"), "static");
    vn_findings_free(&f);
    vn_vmx_free(vmx);
}

TEST(rule_clone_policy)
{
    vn_vmx *vmx = BASE(VN_ESXI_70U2, DISK);
    if (!vmx)
        return;
    static const vn_release_id later[] = {VN_ESXI_70U2, VN_ESXI_80, VN_ESXI_90};
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
        vn_findings f;
        run_check(vmx, later[i], TMPL, &f);
        if (later[i] == VN_ESXI_70U2) {
            ONLY(&f, "clone-policy", 1);
        } else {
            /* The base was written for 7.0U2+: only guest-os differs. */
            CHECK_INT(f.n, 2);
            CHECK_INT(count_rule(&f, "guest-os"), 1);
        }
        const vn_finding *x = EXPECT(&f, "clone-policy", "scsi0:0.fileName", "esx.vmdk",
                                     "(a fresh kickstart install per host)", 0, ERR);
        NOTE_HAS(x, "kickstart");
        size_t before = f.n;
        size_t changed = fix_recheck(vmx, later[i], TMPL, &f);
        CHECK_INT(changed, later[i] == VN_ESXI_70U2 ? 0 : 1);
        CHECK_INT(count_rule(&f, "clone-policy"), 1);
        CHECK(f.n <= before);
        CHECK_STR(vn_vmx_get(vmx, "scsi0:0.fileName"), "esx.vmdk");
        vn_findings_free(&f);
        vn_vmx_free(vmx);
        vmx = BASE(VN_ESXI_70U2, DISK);
        if (!vmx)
            return;
    }
    vn_vmx_free(vmx);

    /* 7.0 U1 still allowed boot-disk templates; a template with no disk is
     * fine for every release; a host is never a template. */
    vmx = BASE(VN_ESXI_70U1, DISK);
    if (vmx)
        CLEAN(vmx, VN_ESXI_70U1, TMPL);
    vn_vmx_free(vmx);
    vmx = BASE(VN_ESXI_70U2, NODISK);
    if (vmx)
        CLEAN(vmx, VN_ESXI_70U2, TMPL);
    vn_vmx_free(vmx);
    vmx = BASE(VN_ESXI_80, DISK);
    if (vmx)
        CLEAN(vmx, VN_ESXI_80, HOST);
    vn_vmx_free(vmx);
}

/* Every template-only rule is broken here; a host check reports none of
 * them, a template check each of them. */
TEST(template_rules_not_for_host)
{
    vn_vmx *vmx = VARIANT(
        VN_ESXI_80, DISK, {"bios.forceSetupOnce", "TRUE"}, {"sata0.present", "TRUE"},
        {"sata0:0.present", "TRUE"}, {"sata0:0.deviceType", "cdrom-image"},
        {"sata0:0.fileName", "esxi.iso"}, {"uuid.bios", "56 4d 00"}, {"vc.uuid", "52 00"},
        {"ethernet0.generatedAddress", "00:0c:29:00:00:01"}, {"ethernet0.addressType", "static"});
    if (!vmx)
        return;
    vn_findings host, tmpl;
    run_check(vmx, VN_ESXI_80, HOST, &host);
    run_check(vmx, VN_ESXI_80, TMPL, &tmpl);
    NONE(&host);
    size_t tmpl_rules = 0;
    for (size_t i = 0; i < vn_rule_count(); i++) {
        const vn_rule *r = vn_rule_at(i);
        if (r->roles != VN_ROLE_TEMPLATE || !(r->surfaces & VN_SURF_VMX))
            continue; /* rules of other surfaces are judged by their own tests */
        tmpl_rules++;
        if (count_rule(&tmpl, r->id) == 0)
            FAILF("template rule %s did not fire for a template", r->id);
    }
    CHECK(tmpl_rules >= 4);
    CHECK_INT(tmpl.n, 7);
    vn_findings_free(&host);
    vn_findings_free(&tmpl);
    vn_vmx_free(vmx);
}

/* ---- apply keeps the rest of the file ----------------------------------- */

typedef struct span {
    const char *p;
    size_t n; /* with the terminator */
} span;

static size_t split_lines(const char *s, size_t len, span *out, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i < len && n < max; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n'))) {
            out[n++] = (span){s + start, i + 1 - start};
            start = i + 1;
        }
    }
    if (start < len && n < max)
        out[n++] = (span){s + start, len - start};
    return n;
}

/* The key of an entry line, as spelled; "" for comments and blank lines. */
static void line_key(span l, char *key, size_t keysz)
{
    size_t i = 0, k = 0;
    while (i < l.n && (l.p[i] == ' ' || l.p[i] == '\t'))
        i++;
    while (i < l.n && k + 1 < keysz && !strchr(" \t=#\r\n", l.p[i]))
        key[k++] = l.p[i++];
    key[k] = '\0';
}

static const vn_finding *fix_for(const vn_findings *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].fixable && strcasecmp(f->v[i].key, key) == 0)
            return &f->v[i];
    return NULL;
}

static const char messy[] = "#!/usr/bin/vmware\r\n"
                            "# hand-edited nested ESXi\r\n"
                            ".encoding = \"UTF-8\"\r\n"
                            "config.version=\"8\"\r\n"
                            "   virtualHW.version   =   \"18\"   # kept as it is\r\n"
                            "\r\n"
                            "GuestOS = \"other-64\"  # wrong type\r\n"
                            "numvcpus\t=\t\"4\"\r\n"
                            "cpuid.coresPerSocket = \"2\"\r\n"
                            "MemSize = \"8190\"\r\n"
                            "firmware = efi\r\n"
                            "uuid.bios = \"56 4d 12 34 56 78 9a bc-de f0 12 34 56 78 9a bc\"\r\n"
                            "  # the disks\r\n"
                            "scsi0.present = \"TRUE\"\r\n"
                            "scsi0.virtualDev = \"lsilogic\"\r\n"
                            "scsi0:0.present = \"TRUE\"\r\n"
                            "scsi0:0.fileName = \"esx.vmdk\"\r\n"
                            "scsi0:1.present = TRUE\r\n"
                            "scsi0:1.fileName = \"esx |22ssd|22.vmdk\"\r\n"
                            "ethernet0.present = \"TRUE\"\r\n"
                            "ethernet0.virtualDev = \"vmxnet3\"   \r\n"
                            "ethernet0.generatedAddress = \"00:0c:29:aa:bb:cc\"\r\n"
                            "\t\r\n"
                            "bios.forceSetupOnce = \"TRUE\"\r\n"
                            "displayName = \"esx #1\" # the end\r\n";

TEST(apply_keeps_other_bytes)
{
    vn_vmx *vmx = parse_text(messy, sizeof(messy) - 1, __func__, __LINE__);
    if (!vmx)
        return;
    vn_findings f;
    run_check(vmx, VN_ESXI_70U1, TMPL, &f);
    /* Line numbers point into the input; appended keys have none. */
    const vn_finding *g = find(&f, "guest-os", "guestOS");
    CHECK(g != NULL && g->line == 7);
    const vn_finding *m = find(&f, "memory-min", "memsize");
    CHECK(m != NULL && m->line == 10);
    const vn_finding *h = find(&f, "nested-hv", "vhv.enable");
    CHECK(h != NULL && h->line == 0);

    size_t changed = vn_profile_vmx_apply(vmx, &f);
    /* guestOS, memsize, scsi0.virtualDev changed; uuid.bios,
     * generatedAddress, forceSetupOnce removed; three keys appended. */
    CHECK_INT(changed, 9);
    vn_buf out = VN_BUF_INIT;
    vn_vmx_write(vmx, &out);

    span in_l[64], out_l[64];
    size_t nin = split_lines(messy, sizeof(messy) - 1, in_l, 64);
    size_t nout = split_lines(out.data, out.len, out_l, 64);
    size_t o = 0, touched = 0, removed = 0;
    for (size_t i = 0; i < nin; i++) {
        char key[128];
        line_key(in_l[i], key, sizeof(key));
        const vn_finding *x = *key ? fix_for(&f, key) : NULL;
        if (x && !x->wanted) {
            removed++;
            continue; /* removed: must not be in the output */
        }
        if (o >= nout) {
            FAILF("output ends before input line %zu", i + 1);
            break;
        }
        if (x) {
            touched++;
            vn_buf want = VN_BUF_INIT;
            vn_buf_addf(&want, "%s = \"%s\"\r\n", key, x->wanted);
            if (out_l[o].n != want.len || memcmp(out_l[o].p, want.data, want.len) != 0)
                FAILF("changed line %zu is [%.*s], expected [%s]", i + 1, (int)out_l[o].n,
                      out_l[o].p, want.data);
            vn_buf_free(&want);
        } else if (out_l[o].n != in_l[i].n || memcmp(out_l[o].p, in_l[i].p, in_l[i].n) != 0) {
            FAILF("untouched line %zu became [%.*s], was [%.*s]", i + 1, (int)out_l[o].n,
                  out_l[o].p, (int)in_l[i].n, in_l[i].p);
        }
        o++;
    }
    CHECK_INT(touched, 3);
    CHECK_INT(removed, 3);

    /* The rest is appended, in rule-table order (not key order). */
    static const char *const appended[] = {"vhv.enable = \"TRUE\"\r\n",
                                           "disk.EnableUUID = \"TRUE\"\r\n",
                                           "scsi0:1.virtualSSD = \"1\"\r\n"};
    CHECK_INT(nout - o, 3);
    for (size_t i = 0; i < 3 && o + i < nout; i++) {
        size_t n = strlen(appended[i]);
        if (out_l[o + i].n != n || memcmp(out_l[o + i].p, appended[i], n) != 0)
            FAILF("appended line %zu is [%.*s], expected [%s]", i, (int)out_l[o + i].n,
                  out_l[o + i].p, appended[i]);
    }
    /* The remaining findings are the manual ones. */
    vn_findings_free(&f);
    run_check(vmx, VN_ESXI_70U1, TMPL, &f);
    NONE(&f);
    vn_findings_free(&f);
    vn_buf_free(&out);
    vn_vmx_free(vmx);
}

/* ---- idempotence ----------------------------------------------------------- */

static const char broken[] = "virtualHW.version = \"7\"\n"
                             "guestOS = \"windows9-64\"\n"
                             "numvcpus = \"1\"\n"
                             "cpuid.coresPerSocket = \"4\"\n"
                             "memsize = \"1001\"\n"
                             "uefi.secureBoot.enabled = \"TRUE\"\n"
                             "disk.EnableUUID = \"FALSE\"\n"
                             "bios.forceSetupOnce = \"TRUE\"\n"
                             "uuid.bios = \"56 4d\"\n"
                             "uuid.location = \"56 4d\"\n"
                             "vc.uuid = \"52 00\"\n"
                             "scsi0.present = \"TRUE\"\n"
                             "scsi0.virtualDev = \"lsilogic\"\n"
                             "scsi1.present = \"TRUE\"\n"
                             "scsi1.virtualDev = \"buslogic\"\n"
                             "scsi0:0.present = \"TRUE\"\n"
                             "scsi0:0.fileName = \"boot.vmdk\"\n"
                             "scsi1:0.present = \"TRUE\"\n"
                             "scsi1:0.fileName = \"data.vmdk\"\n"
                             "nvme0.present = \"TRUE\"\n"
                             "nvme0:0.present = \"TRUE\"\n"
                             "nvme0:0.fileName = \"fast.vmdk\"\n"
                             "ide1:0.present = \"TRUE\"\n"
                             "ide1:0.deviceType = \"cdrom-image\"\n"
                             "ide1:0.fileName = \"esxi.iso\"\n"
                             "ethernet0.present = \"TRUE\"\n"
                             "ethernet0.virtualDev = \"e1000\"\n"
                             "ethernet0.generatedAddress = \"00:0c:29:00:00:01\"\n"
                             "ethernet0.generatedAddressOffset = \"0\"\n"
                             "ethernet1.present = \"TRUE\"\n"
                             "ethernet1.addressType = \"static\"\n";

TEST(idempotent)
{
    static const unsigned roles[] = {VN_ROLE_HOST, VN_ROLE_TEMPLATE};
    for (int id = 0; id < VN_ESXI_COUNT; id++) {
        for (size_t r = 0; r < 2; r++) {
            vn_vmx *vmx = parse_text(broken, sizeof(broken) - 1, __func__, __LINE__);
            if (!vmx)
                return;
            vn_findings f;
            run_check(vmx, (vn_release_id)id, roles[r], &f);
            size_t first = vn_profile_vmx_apply(vmx, &f);
            if (first == 0)
                FAILF("%s/%s: nothing fixed", vn_release_get((vn_release_id)id)->name,
                      vn_role_name(roles[r]));
            vn_findings_free(&f);
            run_check(vmx, (vn_release_id)id, roles[r], &f);
            for (size_t i = 0; i < f.n; i++)
                if (f.v[i].fixable)
                    FAILF("%s/%s: still fixable after fix: %s %s",
                          vn_release_get((vn_release_id)id)->name, vn_role_name(roles[r]),
                          f.v[i].rule->id, f.v[i].key);
            vn_buf once = VN_BUF_INIT;
            vn_vmx_write(vmx, &once);
            size_t again = vn_profile_vmx_apply(vmx, &f);
            if (again != 0)
                FAILF("%s/%s: second apply changed %zu keys",
                      vn_release_get((vn_release_id)id)->name, vn_role_name(roles[r]), again);
            vn_buf twice = VN_BUF_INIT;
            vn_vmx_write(vmx, &twice);
            CHECK(once.len == twice.len && memcmp(once.data, twice.data, once.len) == 0);
            /* What is left needs a person: the firmware of an installed
             * disk, the static MAC and (7.0U2+) the template's boot disk. */
            size_t manual = f.n;
            CHECK_INT(count_rule(&f, "firmware-efi"), 1);
            CHECK_INT(count_rule(&f, "no-instance-identity"), roles[r] == TMPL);
            CHECK_INT(count_rule(&f, "clone-policy"), roles[r] == TMPL && id >= VN_ESXI_70U2);
            CHECK_INT(count_rule(&f, "storage-pvscsi"), id == VN_ESXI_60);
            vn_findings_free(&f);
            run_check(vmx, (vn_release_id)id, roles[r], &f);
            CHECK_INT(f.n, manual);
            vn_findings_free(&f);
            vn_buf_free(&once);
            vn_buf_free(&twice);
            vn_vmx_free(vmx);
        }
    }
}

int main(void)
{
    RUN(table_well_formed);
    RUN(table_vmx_adapters_in_step);
    RUN(findings_point_into_table);
    RUN(every_rule_has_a_test);
    RUN(table_helpers);
    RUN(base_documents_compliant);
    RUN(rule_guest_os);
    RUN(rule_guest_os_other_vmkernel);
    RUN(rule_nested_hv);
    RUN(rule_cpu_count);
    RUN(rule_cpu_count_absent);
    RUN(rule_cpu_topology);
    RUN(rule_memory_min);
    RUN(rule_memory_min_huge_values);
    RUN(rule_firmware_efi);
    RUN(rule_firmware_efi_no_disk);
    RUN(rule_secure_boot_off);
    RUN(rule_nic_vmxnet3);
    RUN(rule_nic_present);
    RUN(rule_storage_pvscsi);
    RUN(rule_storage_pvscsi_esxi60);
    RUN(rule_storage_nvme_esxi60);
    RUN(rule_disk_uuid);
    RUN(rule_virtual_ssd);
    RUN(rule_virtual_ssd_nvme);
    RUN(rule_hw_version);
    RUN(rule_hw_version_nvme);
    RUN(rule_setup_once_cleared);
    RUN(rule_no_install_media);
    RUN(rule_no_instance_identity);
    RUN(rule_no_instance_identity_static_mac);
    RUN(rule_clone_policy);
    RUN(template_rules_not_for_host);
    RUN(apply_keeps_other_bytes);
    RUN(idempotent);
    TH_EXIT();
}
