/* vn_lab: a whole Nested ESXi lab from a lab file (vn_labfile.h), composed
 * of the other vSphere operations: port groups made fit (vn_apinet, S13,
 * S14), hosts installed from a kickstart ISO (vn_ks, vn_iso, uploaded over
 * HTTP) or cloned from a template (vn_deploy), powered on, and awaited until
 * each reports its identity through VMware Tools.
 *
 * The state is the inventory, never a local file: every VM the lab makes
 * carries the extraConfig key "vnest.lab" = the lab's name (set in the
 * CreateVM or CloneVM spec itself, and restored by vn_deploy when a clone
 * lost it). So `up` after a crash finds what exists and finishes the job,
 * a second `up` changes nothing, and `down` removes only VMs carrying the
 * marker: a VM with a lab host's name but without the marker is foreign
 * and is never touched. */
#ifndef VN_LAB_H
#define VN_LAB_H

#include "vn_apinet.h"
#include "vn_labfile.h"
#include "vn_viminv.h"

typedef enum vn_lab_state {
    VN_LAB_ABSENT,  /* no VM with this name */
    VN_LAB_OURS,    /* a VM with this name and the lab's marker */
    VN_LAB_FOREIGN, /* a VM with this name without the lab's marker: never touched */
} vn_lab_state;

/* What one planned host is, was made into, and how it ended. */
typedef struct vn_lab_vm {
    char name[80];
    char ip[64];
    vn_lab_state state;
    vn_mor vm;
    char marker[80]; /* the marker value found ("" none) */
    int template;    /* the VM found is a template */
    int powered_on;
    char guest_host[256], guest_ip[64], tools[40];
    /* the plan */
    int create, power_on, wait;
    /* the outcome of up: "created", "unchanged", "failed", "timeout"... */
    char result[24];
    char detail[320];
    int ready; /* reported its identity */
} vn_lab_vm;

/* A VM carrying the lab's marker under a name the lab file no longer
 * plans (hosts.count lowered): reported by status, removed by down. */
typedef struct vn_lab_stray {
    char name[256];
    vn_mor vm;
    int powered_on;
} vn_lab_stray;

typedef struct vn_lab_pg {
    char name[256];
    int nstd, ndv; /* port groups of that name: standard (per host), distributed */
    int findings;  /* settings to change (S13/S14) */
    int changed;   /* settings changed by up */
    int failed;
    char detail[320];
} vn_lab_pg;

typedef struct vn_lab {
    const vn_labfile *lf;
    vn_placement place;
    vn_lab_vm *vms; /* lf->count of them */
    vn_lab_stray *strays;
    int nstrays;
    vn_lab_pg pgs[VN_LAB_MAX_PG];
    vn_mor template_vm;    /* template route */
    char iso_ds_path[512]; /* kickstart route: "[ds] vnest/LAB-ks.iso" */
    int iso_needed;        /* some host will be created */
    int iso_uploaded;      /* up built and uploaded it */
    /* counts after up */
    int created, powered, changed_pgs, failed, timed_out;
    long calls; /* SOAP calls made */
} vn_lab;

/* Progress for a terminal or a log: one short line per event. */
typedef void (*vn_lab_note)(void *ctx, const char *line);

typedef struct vn_lab_opts {
    int parallel;     /* hosts at a time (default 8) */
    int boot_timeout; /* seconds to wait for identities; -1: the lab file's */
    int no_wait;      /* do not wait for identities */
    vn_lab_note note;
    void *note_ctx;
} vn_lab_opts;

/* Reads the inventory (placement, port groups, the template, the lab's VMs
 * and any VM bearing a planned name) and computes what `up` would do.
 * Changes nothing. With `vms_only` (status, down) only the VMs are read, so
 * a lab whose template or port group is gone can still be seen and removed. */
int vn_lab_read(vn_vim *vim, const vn_labfile *lf, vn_lab *lab, int vms_only, vn_error *err);

/* Carries the plan out. Per-host failures are in each vm's result and
 * counted in lab->failed; the return is an error only when the lab as a
 * whole could not proceed (placement, port group, ISO). */
int vn_lab_up(vn_vim *vim, vn_lab *lab, const vn_lab_opts *opts, vn_error *err);

/* Powers off and destroys every VM with the lab's marker (planned names and
 * strays). Foreign VMs are not touched. `removed` counts the VMs gone. */
int vn_lab_down(vn_vim *vim, vn_lab *lab, const vn_lab_opts *opts, int *removed, vn_error *err);

/* Re-reads the guest identity and power state of the lab's VMs. */
int vn_lab_refresh(vn_vim *vim, vn_lab *lab, vn_error *err);

void vn_lab_free(vn_lab *lab);

#endif
