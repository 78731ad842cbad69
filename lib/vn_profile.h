/* vn_profile: the Nested ESXi profile, the rules of SEEDS.md written down
 * once. Every surface (VMX file, vSphere API, OVF, kickstart, boot disk) has
 * an adapter module (vn_profile_<surface>.c) that reads and writes the state
 * of these same rules, so "is this a good Nested ESXi?" has one answer.
 *
 * The table is data only; what a rule means on a surface lives in that
 * surface's adapter, which is registered against the rule's id. */
#ifndef VN_PROFILE_H
#define VN_PROFILE_H

#include <stddef.h>

#include "vn_release.h"

typedef enum vn_severity { VN_SEV_INFO, VN_SEV_WARNING, VN_SEV_ERROR } vn_severity;

/* What the VM is for. A host is a nested ESXi VM being installed or run;
 * a template is a sealed VM meant to be cloned (S12): it must carry no
 * instance identity and no one-shot boot settings. */
#define VN_ROLE_HOST     1u
#define VN_ROLE_TEMPLATE 2u
#define VN_ROLE_ANY      (VN_ROLE_HOST | VN_ROLE_TEMPLATE)

/* Surfaces a rule exists on (documentation, and a cross-check in tests that
 * each surface's adapter table covers exactly the rules claiming it). */
#define VN_SURF_VMX  1u
#define VN_SURF_API  2u
#define VN_SURF_OVF  4u
#define VN_SURF_KS   8u
#define VN_SURF_DISK 16u

typedef struct vn_rule {
    const char *id;        /* stable, kebab-case: "nested-hv" */
    const char *seed;      /* the SEEDS.md setting(s): "S3", or "" */
    vn_severity severity;  /* of a finding (an adapter may lower it, never raise it) */
    unsigned releases;     /* VN_REL_* mask the rule applies to */
    unsigned roles;        /* VN_ROLE_* mask */
    unsigned surfaces;     /* VN_SURF_* mask */
    const char *summary;   /* what is wanted, one line */
    const char *rationale; /* why, one line, from SEEDS.md */
} vn_rule;

size_t vn_rule_count(void);
const vn_rule *vn_rule_at(size_t i);
const vn_rule *vn_rule_find(const char *id);
int vn_rule_applies(const vn_rule *rule, vn_release_id release, unsigned role);

const char *vn_severity_name(vn_severity sev);
const char *vn_role_name(unsigned role);
/* "host" / "template" -> VN_ROLE_*; 0 when unknown. */
unsigned vn_role_parse(const char *text);

/* A finding: one thing that differs from what a rule wants, with the edit
 * that fixes it. `wanted` NULL with `fixable` means "remove the key". */
typedef struct vn_finding {
    const vn_rule *rule;
    vn_severity severity;
    char *key;     /* the setting concerned (VMX key, API property...) */
    char *current; /* NULL when absent */
    char *wanted;  /* NULL: should be absent */
    int line;      /* where `key` is in the input, 0 if unknown/absent */
    int fixable;   /* 1 if `fix` applies it; 0 if it needs a person */
    char *note;    /* why not fixable, or extra context; may be NULL */
} vn_finding;

typedef struct vn_findings {
    vn_finding *v;
    size_t n, cap;
} vn_findings;

vn_finding *vn_findings_add(vn_findings *f, const vn_rule *rule, const char *key,
                            const char *current, const char *wanted);
/* A finding that needs a person (not fixable), with no current/wanted
 * value ("-"): a problem of a package or a document rather than of a
 * setting. The note is formatted like printf. */
vn_finding *vn_findings_problem(vn_findings *f, const vn_rule *rule, vn_severity sev,
                                const char *key, int line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void vn_findings_free(vn_findings *f);
/* Count of findings at or above `sev`. */
size_t vn_findings_count(const vn_findings *f, vn_severity sev);

#endif
