/* vn_vimexport: VM through the API -> OVA (see the header). */
#include "vn_vimexport.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_profile_api.h"
#include "vn_vimovf.h"
#include "vn_vimprop.h"
#include "vn_vmx.h"
#include "vn_vmx_hw.h"
#include "vn_xmlw.h"

#define LEASE_READY_TIMEOUT_S 300
#define KEEPALIVE_S           30

/* A disk device of the VM: its key, and where the .vmx keys put it. */
typedef struct dev_disk {
    long key;
    char prefix[32];    /* "scsi0:1" */
    char ctrl_type[64]; /* VirtualLsiLogicController... */
    long bus, unit;
    unsigned long long capacity; /* bytes */
} dev_disk;

typedef struct found_vm {
    const char *want;
    int matches;
    vn_api_vm vm;
    dev_disk disks[VN_OVAEXP_MAX_DISKS];
    size_t ndisks;
} found_vm;

static const struct {
    const char *type, *bus;
} ctrl_bus[] = {
    {"ParaVirtualSCSIController", "scsi"},    {"VirtualLsiLogicController", "scsi"},
    {"VirtualLsiLogicSASController", "scsi"}, {"VirtualBusLogicController", "scsi"},
    {"VirtualNVMEController", "nvme"},        {"VirtualAHCIController", "sata"},
    {"VirtualIDEController", "ide"},
};

static long child_long(const vn_xnode *n, const char *name, long dflt)
{
    char buf[32];
    vn_xn_text(vn_xn_first(n, name), buf, sizeof(buf));
    return buf[0] ? strtol(buf, NULL, 10) : dflt;
}

/* What vn_api_vm_read leaves out and a descriptor wants: the disks' device
 * keys (to match the lease's URLs) and the NICs' network names, in the
 * order vn_profile_api numbers the NICs (device order). */
static void read_more(found_vm *f, const vn_xnode *devs)
{
    char type[64], key[64], net[256];
    int nic = 0;
    for (const vn_xnode *d = vn_xn_first(devs, NULL); d; d = vn_xn_next(d, NULL)) {
        vn_xn_xsi_type(d, type, sizeof(type));
        if (!strcmp(type, "VirtualDisk") && f->ndisks < VN_OVAEXP_MAX_DISKS) {
            long ck = child_long(d, "controllerKey", -1);
            for (const vn_xnode *c = vn_xn_first(devs, NULL); c; c = vn_xn_next(c, NULL)) {
                char ct[64];
                vn_xn_xsi_type(c, ct, sizeof(ct));
                if (child_long(c, "key", -2) != ck)
                    continue;
                for (size_t i = 0; i < sizeof(ctrl_bus) / sizeof(ctrl_bus[0]); i++)
                    if (!strcmp(ct, ctrl_bus[i].type)) {
                        dev_disk *x = &f->disks[f->ndisks++];
                        x->key = child_long(d, "key", -1);
                        x->bus = child_long(c, "busNumber", 0);
                        x->unit = child_long(d, "unitNumber", 0);
                        long kb = child_long(d, "capacityInKB", 0);
                        x->capacity = kb > 0 ? (unsigned long long)kb * 1024 : 0;
                        snprintf(x->ctrl_type, sizeof(x->ctrl_type), "%s", ct);
                        snprintf(x->prefix, sizeof(x->prefix), "%s%ld:%ld", ctrl_bus[i].bus, x->bus,
                                 x->unit);
                        break;
                    }
                break;
            }
        }
        /* A NIC: a device with a MAC address type (vn_profile_api numbers
         * the known NIC types the same way, in device order). */
        if (vn_xn_first(d, "addressType") && strstr(type, "Virtual")) {
            const vn_xnode *backing = vn_xn_first(d, "backing");
            vn_xn_text(vn_xn_first(backing, "deviceName"), net, sizeof(net));
            snprintf(key, sizeof(key), "ethernet%d.networkName", nic);
            if (net[0])
                vn_vmx_set(f->vm.vmx, key, net);
            nic++;
        }
    }
}

static int on_vm(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    found_vm *f = ctx;
    char name[256];
    vn_prop_text(o, "name", name, sizeof(name));
    if (strcmp(name, f->want) != 0)
        return 0;
    if (f->matches++)
        return 0;
    vn_api_vm_read(&f->vm, obj, o);
    vn_vmx_set(f->vm.vmx, "displayName", f->vm.name);
    read_more(f, vn_prop_find(o, "config.hardware.device"));
    return 0;
}

/* ---- The lease ---- */

typedef struct export_url {
    char *key, *url, *target;
    int disk;
} export_url;

typedef struct lease_state {
    char state[32];
    vn_fault fault;
    export_url *urls;
    size_t nurls;
    int want_info;
} lease_state;

static int on_lease(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    lease_state *s = ctx;
    vn_prop_text(o, "state", s->state, sizeof(s->state));
    const vn_xnode *e = vn_prop_find(o, "error");
    if (e)
        vn_soap_method_fault(e, &s->fault);
    const vn_xnode *info = vn_prop_find(o, "info");
    if (!info || !s->want_info)
        return 0;
    char buf[16];
    for (const vn_xnode *d = vn_xn_first(info, "deviceUrl"); d; d = vn_xn_next(d, "deviceUrl")) {
        s->urls = vn_xrealloc(s->urls, (s->nurls + 1) * sizeof(*s->urls));
        export_url *u = &s->urls[s->nurls++];
        u->key = vn_xn_strdup(vn_xn_first(d, "key"));
        u->url = vn_xn_strdup(vn_xn_first(d, "url"));
        u->target = vn_xn_strdup(vn_xn_first(d, "targetId"));
        /* disk is optional in the schema: only an explicit false (nvram,
         * other files) is not a disk. */
        u->disk = strcmp(vn_xn_text(vn_xn_first(d, "disk"), buf, sizeof(buf)), "false") != 0;
        if (!u->key)
            u->key = vn_xstrdup("");
        if (!u->url)
            u->url = vn_xstrdup("");
        if (!u->target)
            u->target = vn_xstrdup("");
    }
    return 0;
}

static void lease_state_free(lease_state *s)
{
    for (size_t i = 0; i < s->nurls; i++) {
        free(s->urls[i].key);
        free(s->urls[i].url);
        free(s->urls[i].target);
    }
    free(s->urls);
    memset(s, 0, sizeof(*s));
}

static int lease_wait(vn_vim *vim, const vn_mor *lease, lease_state *out, vn_error *err)
{
    static const char *const state_paths[] = {"state", "error", NULL};
    static const char *const info_paths[] = {"state", "error", "info", NULL};
    time_t start = time(NULL);
    for (;;) {
        lease_state s = {0};
        int rc = vn_vim_retrieve_objs(vim, lease, 1, state_paths, on_lease, &s, err);
        if (rc != VN_OK)
            return rc;
        if (!strcmp(s.state, "error"))
            return vn_fail(err, VN_ERUNTIME, vim->where, "the export lease failed: %s%s%s",
                           s.fault.type[0] ? s.fault.type : "error", s.fault.message[0] ? ": " : "",
                           s.fault.message);
        if (!strcmp(s.state, "done"))
            return vn_fail(err, VN_ERUNTIME, vim->where,
                           "the export lease ended before the download");
        if (!strcmp(s.state, "ready")) {
            out->want_info = 1;
            return vn_vim_retrieve_objs(vim, lease, 1, info_paths, on_lease, out, err);
        }
        if (time(NULL) - start >= LEASE_READY_TIMEOUT_S)
            return vn_fail(err, VN_ERUNTIME, vim->where,
                           "the export lease is still \"%s\" after %d s", s.state,
                           LEASE_READY_TIMEOUT_S);
        /* "initializing": a lease has no task to wait on, hence the poll. */
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
}

/* The lease URL of a disk device: its key is "/VMID/DEVKEY" (vcsim's
 * extension, and vCenter for some versions) or "/VMID/CTRLTYPEBUS:UNIT"
 * (vCenter: "/vm-42/VirtualLsiLogicController0:0"). */
static int url_matches(const export_url *u, const dev_disk *d)
{
    const char *last = strrchr(u->key, '/');
    last = last ? last + 1 : u->key;
    char want[96];
    snprintf(want, sizeof(want), "%ld", d->key);
    if (!strcmp(last, want))
        return 1;
    snprintf(want, sizeof(want), "%s%ld:%ld", d->ctrl_type, d->bus, d->unit);
    return !strcmp(last, want);
}

/* ---- Keeping the lease alive during a download ---- */

typedef struct keepalive {
    vn_vim *dup;
    const vn_mor *lease;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int fd;                   /* the file being downloaded, -1 between disks */
    unsigned long long done;  /* bytes of the disks already downloaded */
    unsigned long long total; /* their capacities: the expected upper bound */
} keepalive;

static int percent_of(unsigned long long done, unsigned long long total)
{
    if (!total)
        return 0;
    unsigned long long p = done * 100 / total;
    return p > 99 ? 99 : (int)p;
}

static void *keepalive_main(void *arg)
{
    keepalive *k = arg;
    pthread_mutex_lock(&k->mu);
    while (!k->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += KEEPALIVE_S;
        if (pthread_cond_timedwait(&k->cv, &k->mu, &ts) != ETIMEDOUT || k->stop)
            continue;
        unsigned long long now = k->done;
        struct stat st;
        if (k->fd >= 0 && fstat(k->fd, &st) == 0)
            now += (unsigned long long)st.st_size;
        int pct = percent_of(now, k->total);
        pthread_mutex_unlock(&k->mu);
        vn_error e = {0};
        vn_vimovf_lease_progress(k->dup, k->lease, pct, &e); /* best effort */
        pthread_mutex_lock(&k->mu);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* ---- The operation ---- */

typedef struct dl {
    char path[1024]; /* the temporary file, "" when none */
    int fd;
} dl;

static void stem_dir(const char *out, char *dir, size_t ndir, char *stem, size_t nstem)
{
    const char *slash = strrchr(out, '/');
    if (slash)
        snprintf(dir, ndir, "%.*s", (int)(slash - out) ? (int)(slash - out) : 1, out);
    else
        snprintf(dir, ndir, ".");
    const char *base = slash ? slash + 1 : out;
    size_t len = strlen(base);
    if (len > 4 && strcasecmp(base + len - 4, ".ova") == 0)
        len -= 4;
    snprintf(stem, nstem, "%.*s", (int)len, base);
}

static int download(vn_vim *vim, const vn_vmexport_opts *o, keepalive *k, size_t i, size_t n,
                    const export_url *u, dl *d, vn_error *err)
{
    char dir[600], stem[256];
    stem_dir(o->out_path, dir, sizeof(dir), stem, sizeof(stem));
    snprintf(d->path, sizeof(d->path), "%.600s/.%.256s-vmdisk%zu.XXXXXX", dir, stem, i + 1);
    d->fd = mkostemp(d->path, O_CLOEXEC);
    if (d->fd < 0) {
        int e = errno;
        d->path[0] = '\0';
        return vn_fail(err, VN_ERUNTIME, o->out_path, "cannot create a temporary file in %s (%s)",
                       dir, strerror(e));
    }
    pthread_mutex_lock(&k->mu);
    k->fd = d->fd;
    pthread_mutex_unlock(&k->mu);
    if (o->download)
        o->download(o->download_ctx, i, n, 0);
    unsigned long long bytes = 0;
    long status = 0;
    int rc = vn_http_get_url_fd(vim->http, o->tls, u->url, d->fd, &bytes, &status, err);
    if (rc == VN_OK && status != 200)
        rc = vn_fail(err, VN_ERUNTIME, vim->where,
                     "downloading disk %s (%s) failed: HTTP status %ld (expected 200)", u->target,
                     u->key, status);
    if (rc == VN_OK && bytes == 0)
        rc = vn_fail(err, VN_ERUNTIME, vim->where,
                     "downloading disk %s (%s) gave no data (expected a streamOptimized VMDK)",
                     u->target, u->key);
    pthread_mutex_lock(&k->mu);
    k->fd = -1;
    k->done += bytes;
    unsigned long long done = k->done, total = k->total;
    pthread_mutex_unlock(&k->mu);
    if (rc == VN_OK && o->download)
        o->download(o->download_ctx, i, n, bytes);
    if (rc == VN_OK)
        rc = vn_vimovf_lease_progress(vim, k->lease, percent_of(done, total), err);
    return rc;
}

int vn_vm_export(vn_vim *vim, const vn_vmexport_opts *o, vn_ovaexp_result *res, vn_error *err)
{
    memset(res, 0, sizeof(*res));
    found_vm *f = vn_xcalloc(1, sizeof(*f));
    f->want = o->vm_name;
    vn_mor lease;
    memset(&lease, 0, sizeof(lease));
    int have_lease = 0;
    lease_state ls = {0};
    dl files[VN_OVAEXP_MAX_DISKS];
    const char *paths[VN_OVAEXP_MAX_DISKS];
    size_t nfiles = 0;
    keepalive k = {.fd = -1, .lease = &lease};
    pthread_mutex_init(&k.mu, NULL);
    pthread_cond_init(&k.cv, NULL);
    pthread_t thread;
    int thread_started = 0;
    vn_vmx_hw *hw = vn_xmalloc(sizeof(*hw));
    const vn_vmx_dev *devs[VN_VMX_HW_MAX];
    size_t nd = 0;

    int rc = vn_vim_retrieve_all(vim, NULL, "VirtualMachine", vn_api_vm_paths, on_vm, f, err);
    if (rc == VN_OK && !f->matches)
        rc = vn_fail(err, VN_EINPUT, o->vm_name, "no VM or template with this name on %s",
                     vim->where);
    else if (rc == VN_OK && f->matches > 1)
        rc = vn_fail(err, VN_EINPUT, o->vm_name,
                     "%d VMs have this name on %s (expected one: rename the others)", f->matches,
                     vim->where);
    else if (rc == VN_OK && strcmp(f->vm.power, "poweredOff") != 0)
        rc = vn_fail(err, VN_ERUNTIME, o->vm_name,
                     "is %s (expected a powered-off VM or template: shut it down first)",
                     f->vm.power[0] ? f->vm.power : "in an unknown power state");
    const vn_release *rel = o->rel;
    if (rc == VN_OK && !rel) {
        const char *g = vn_vmx_get(f->vm.vmx, "guestOS");
        rel = g ? vn_release_from_guest(g) : NULL;
        if (!rel)
            rc = vn_fail(err, VN_EINPUT, o->vm_name,
                         "guest type \"%sGuest\" names no ESXi release (expected vmkernel6..9, or "
                         "--esxi VER)",
                         g ? g : "");
    }
    if (rc == VN_OK) {
        vn_vmx_hw_read(f->vm.vmx, hw);
        nd = vn_vmx_hw_disks(hw, devs, VN_VMX_HW_MAX);
        if (nd == 0)
            rc = vn_fail(err, VN_EINPUT, o->vm_name, "the VM has no disk (expected at least one)");
        else if (nd > VN_OVAEXP_MAX_DISKS)
            rc = vn_fail(err, VN_EINPUT, o->vm_name, "%zu disks (expected at most %d)", nd,
                         VN_OVAEXP_MAX_DISKS);
    }
    /* ExportVm and the lease. */
    if (rc == VN_OK) {
        vn_buf b = VN_BUF_INIT;
        vn_xw_call_begin(&b, "ExportVm", "VirtualMachine", f->vm.mor.id);
        vn_xw_call_end(&b, "ExportVm");
        vn_soap_reply reply;
        vn_fault fault;
        rc = vn_vim_call(vim, &b, &reply, &fault, err);
        vn_buf_free(&b);
        if (rc == VN_OK) {
            vn_mor_from(vn_xn_first(reply.result, "returnval"), &lease);
            vn_soap_reply_free(&reply);
            have_lease = lease.id[0] != 0;
            if (!have_lease)
                rc = vn_fail(err, VN_ERUNTIME, vim->where, "ExportVm returned no lease");
        }
    }
    if (rc == VN_OK)
        rc = lease_wait(vim, &lease, &ls, err);
    /* One URL per disk, in the order the descriptor lists the disks. */
    const export_url *urls[VN_OVAEXP_MAX_DISKS];
    for (size_t i = 0; i < nd && rc == VN_OK; i++) {
        const dev_disk *dd = NULL;
        for (size_t j = 0; j < f->ndisks; j++)
            if (!strcmp(f->disks[j].prefix, devs[i]->prefix))
                dd = &f->disks[j];
        urls[i] = NULL;
        for (size_t j = 0; dd && j < ls.nurls && !urls[i]; j++)
            if (ls.urls[j].disk && url_matches(&ls.urls[j], dd))
                urls[i] = &ls.urls[j];
        if (!urls[i])
            rc = vn_fail(err, VN_ERUNTIME, vim->where,
                         "the export lease offers no URL for disk %s of %s (expected one per "
                         "disk)",
                         devs[i]->prefix, o->vm_name);
    }
    for (size_t i = 0; i < f->ndisks && rc == VN_OK; i++)
        k.total += f->disks[i].capacity;
    /* Downloads, with a second session connection keeping the lease alive. */
    if (rc == VN_OK && vn_vim_dup(vim, &k.dup, err) == VN_OK) {
        if (pthread_create(&thread, NULL, keepalive_main, &k) == 0)
            thread_started = 1;
    } else if (rc == VN_OK) {
        memset(err, 0, sizeof(*err)); /* keep-alive is best effort */
    }
    for (size_t i = 0; i < nd && rc == VN_OK; i++) {
        files[i].path[0] = '\0';
        files[i].fd = -1;
        nfiles = i + 1;
        rc = download(vim, o, &k, i, nd, urls[i], &files[i], err);
        paths[i] = files[i].path;
        if (files[i].fd >= 0 && close(files[i].fd) != 0 && rc == VN_OK)
            rc = vn_fail(err, VN_ERUNTIME, files[i].path, "cannot write (%s)", strerror(errno));
        files[i].fd = -1;
    }
    if (thread_started) {
        pthread_mutex_lock(&k.mu);
        k.stop = 1;
        pthread_cond_signal(&k.cv);
        pthread_mutex_unlock(&k.mu);
        pthread_join(thread, NULL);
    }
    if (k.dup)
        vn_vim_close_dup(k.dup);
    if (rc == VN_OK && have_lease) {
        rc = vn_vimovf_lease_progress(vim, &lease, 100, err);
        if (rc == VN_OK)
            rc = vn_vimovf_lease_complete(vim, &lease, err);
        have_lease = 0;
    }
    if (rc != VN_OK && have_lease) {
        vn_error e2 = {0};
        vn_vimovf_lease_abort(vim, &lease, err->msg[0] ? err->msg : "vnest: export failed", &e2);
    }
    /* The OVA, from the downloaded disks, by the offline route's code. */
    if (rc == VN_OK) {
        char source[300];
        snprintf(source, sizeof(source), "%s", o->vm_name);
        vn_ovaexp_opts eo = {.out_path = o->out_path,
                             .rel = rel,
                             .props = o->props,
                             .threads = o->threads,
                             .progress = o->progress,
                             .progress_ctx = o->progress_ctx,
                             .vmx = f->vm.vmx,
                             .disk_files = paths,
                             .source = source};
        rc = vn_ova_export(&eo, res, err);
    }
    for (size_t i = 0; i < nfiles; i++)
        if (files[i].path[0])
            unlink(files[i].path);
    lease_state_free(&ls);
    pthread_mutex_destroy(&k.mu);
    pthread_cond_destroy(&k.cv);
    free(hw);
    if (f->matches)
        vn_api_vm_free(&f->vm);
    free(f);
    return rc;
}
