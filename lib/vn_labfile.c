#include "vn_labfile.h"

#include <arpa/inet.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_apinet.h"
#include "vn_buf.h"
#include "vn_deploy.h"
#include "vn_file.h"
#include "vn_size.h"

/* The parse state: the file's name for messages and the first error. */
typedef struct lp {
    const char *path;
    vn_labfile *lf;
    vn_error *err;
    /* values kept until the whole file is read, to check them together */
    struct fy_node *range_at, *start_at, *count_at, *names_at, *route_at, *iso_at, *tmpl_at,
        *hosts_at;
    char *range, *start, *route;
} lp;

/* libfyaml 0.7 keeps positions on tokens, so a node's position is that of
 * its scalar; a mapping or sequence is located by the key that names it. */
static int node_pos(struct fy_node *n, int *line, int *col)
{
    struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    if (!m)
        return 0;
    *line = m->line + 1;
    *col = m->column + 1;
    return 1;
}

static int fail_at(lp *p, struct fy_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(lp *p, struct fy_node *at, const char *fmt, ...)
{
    char msg[600], where[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int line, col;
    if (node_pos(at, &line, &col))
        snprintf(where, sizeof(where), "%.480s:%d:%d", p->path, line, col);
    else
        snprintf(where, sizeof(where), "%.480s", p->path);
    return vn_fail(p->err, VN_EINPUT, where, "%s", msg);
}

/* ---- scalars ---- */

/* The scalar's text (owned by the caller), or an error naming `key`.
 * `key_node` locates values that are not scalars. */
static int get_str(lp *p, struct fy_node *v, struct fy_node *key_node, const char *key, char **out)
{
    if (!v || fy_node_get_type(v) != FYNT_SCALAR)
        return fail_at(p, v && fy_node_get_type(v) == FYNT_SCALAR ? v : key_node,
                       "%s is not a single value (expected text)", key);
    if (fy_node_get_style(v) == FYNS_ALIAS)
        return fail_at(p, v, "%s is a YAML alias (expected the value written out)", key);
    size_t len;
    const char *s = fy_node_get_scalar(v, &len);
    if (!s || memchr(s, '\0', len) || len > 4096)
        return fail_at(p, v, "%s holds a NUL byte or is too long (expected text)", key);
    char *dup = vn_xmalloc(len + 1);
    memcpy(dup, s, len);
    dup[len] = 0;
    free(*out); /* duplicate keys are refused by the parser; be safe anyway */
    *out = dup;
    return VN_OK;
}

static int get_int(lp *p, struct fy_node *v, struct fy_node *k, const char *key, int min, int max,
                   int *out)
{
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    char *end;
    long n = strtol(s, &end, 10);
    int bad = !*s || *end || n < min || n > max;
    free(s);
    if (bad)
        return fail_at(p, v, "%s (expected a whole number from %d to %d)", key, min, max);
    *out = (int)n;
    return VN_OK;
}

static int get_bool(lp *p, struct fy_node *v, struct fy_node *k, const char *key, int *out)
{
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    int val = -1;
    for (int i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i]))
            val = 1;
        if (!strcasecmp(s, no[i]))
            val = 0;
    }
    free(s);
    if (val < 0)
        return fail_at(p, v, "%s (expected true or false)", key);
    *out = val;
    return VN_OK;
}

static int get_size(lp *p, struct fy_node *v, struct fy_node *k, const char *key, uint64_t *out)
{
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    vn_error e = {0};
    rc = vn_size_parse(s, VN_MIB, key, out, &e);
    free(s);
    if (rc != VN_OK)
        return fail_at(p, v, "%s: %s", key, e.msg);
    return VN_OK;
}

/* A path relative to the lab file's folder becomes absolute-ish. */
static int get_path(lp *p, struct fy_node *v, struct fy_node *k, const char *key, char **out)
{
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    if (!*s) {
        free(s);
        return fail_at(p, v, "%s is empty (expected a file name)", key);
    }
    free(*out);
    const char *home = getenv("HOME");
    if (s[0] == '~' && s[1] == '/' && home && *home) {
        vn_buf h = VN_BUF_INIT;
        vn_buf_addf(&h, "%s%s", home, s + 1);
        free(s);
        *out = vn_buf_detach(&h, NULL);
        return VN_OK;
    }
    if (s[0] == '/' || !strcmp(p->lf->dir, ".")) {
        *out = s;
        return VN_OK;
    }
    vn_buf b = VN_BUF_INIT;
    vn_buf_addf(&b, "%s/%s", p->lf->dir, s);
    free(s);
    *out = vn_buf_detach(&b, NULL);
    return VN_OK;
}

/* ---- mappings ---- */

/* One key of a section: its handler gets the value node and the key node. */
typedef int (*key_fn)(lp *p, struct fy_node *v, struct fy_node *k, const char *key);
typedef struct key_def {
    const char *name;
    key_fn fn;
} key_def;

static void key_list(const key_def *defs, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (const key_def *d = defs; d->name && at < len; d++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", d->name);
}

/* Walks a mapping, dispatching each key; an unknown key is an error that
 * lists the known ones. */
static int walk_map(lp *p, struct fy_node *map, struct fy_node *map_key, const char *section,
                    const key_def *defs)
{
    if (!map || fy_node_get_type(map) != FYNT_MAPPING)
        return fail_at(p, map && fy_node_get_type(map) == FYNT_SCALAR ? map : map_key,
                       "%s is not a mapping (expected KEY: VALUE lines)", section);
    void *it = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
        const char *kname = k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar0(k) : NULL;
        if (!kname)
            return fail_at(p, map_key, "%s has a key that is not text (expected names)", section);
        const key_def *d = defs;
        while (d->name && strcmp(d->name, kname) != 0)
            d++;
        if (!d->name) {
            char known[400];
            key_list(defs, known, sizeof(known));
            return fail_at(p, k, "unknown key \"%.80s\" in %s (expected one of: %s)", kname,
                           section, known);
        }
        char full[160];
        snprintf(full, sizeof(full), "%s%s%s", section[0] == '(' ? "" : section,
                 section[0] == '(' ? "" : ".", kname);
        int rc = d->fn(p, v, k, full);
        if (rc != VN_OK)
            return rc;
    }
    return VN_OK;
}

#define STR_KEY(fn_name, field)                                                                    \
    static int fn_name(lp *p, struct fy_node *v, struct fy_node *k, const char *key)               \
    {                                                                                              \
        return get_str(p, v, k, key, &p->lf->field);                                               \
    }
#define PATH_KEY(fn_name, field)                                                                   \
    static int fn_name(lp *p, struct fy_node *v, struct fy_node *k, const char *key)               \
    {                                                                                              \
        return get_path(p, v, k, key, &p->lf->field);                                              \
    }
#define SIZE_KEY(fn_name, field)                                                                   \
    static int fn_name(lp *p, struct fy_node *v, struct fy_node *k, const char *key)               \
    {                                                                                              \
        return get_size(p, v, k, key, &p->lf->field);                                              \
    }

/* connection */
STR_KEY(k_url, url)
STR_KEY(k_username, username)
PATH_KEY(k_conn_pw, password_file)
STR_KEY(k_thumbprint, thumbprint)
PATH_KEY(k_ca_file, ca_file)
PATH_KEY(k_known_hosts, known_hosts)
static int k_insecure(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return get_bool(p, v, k, key, &p->lf->insecure);
}
static const key_def conn_keys[] = {
    {"url", k_url},
    {"username", k_username},
    {"password-file", k_conn_pw},
    {"insecure", k_insecure},
    {"thumbprint", k_thumbprint},
    {"ca-file", k_ca_file},
    {"known-hosts", k_known_hosts},
    {0},
};

/* target */
STR_KEY(k_datacenter, datacenter)
STR_KEY(k_cluster, cluster)
STR_KEY(k_host, host)
STR_KEY(k_datastore, datastore)
STR_KEY(k_folder, folder)
STR_KEY(k_pool, pool)
static const key_def target_keys[] = {
    {"datacenter", k_datacenter},
    {"cluster", k_cluster},
    {"host", k_host},
    {"datastore", k_datastore},
    {"folder", k_folder},
    {"resource-pool", k_pool},
    {0},
};

/* network */
static int add_pg(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    vn_labfile *lf = p->lf;
    if (lf->nportgroups >= VN_LAB_MAX_PG)
        return fail_at(p, v, "%s: too many port groups (expected at most %d)", key, VN_LAB_MAX_PG);
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    if (!*s) {
        free(s);
        return fail_at(p, v, "%s: an empty port group name (expected a name)", key);
    }
    for (int i = 0; i < lf->nportgroups; i++)
        if (!strcmp(lf->portgroups[i], s)) {
            free(s);
            return fail_at(p, v, "%s: port group \"%s\" is listed twice (expected each once)", key,
                           lf->portgroups[i]);
        }
    lf->portgroups[lf->nportgroups++] = s;
    return VN_OK;
}
static int k_portgroups(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    if (v && fy_node_get_type(v) == FYNT_SCALAR)
        return add_pg(p, v, k, key);
    if (!v || fy_node_get_type(v) != FYNT_SEQUENCE)
        return fail_at(p, k, "%s (expected a port group name or a list of names)", key);
    void *it = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(v, &it))) {
        int rc = add_pg(p, e, k, key);
        if (rc != VN_OK)
            return rc;
    }
    return VN_OK;
}
static int k_mode(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    int m = vn_netmode_parse(s);
    free(s);
    if (m < 0)
        return fail_at(p, v, "%s (expected auto, promiscuous or maclearn)", key);
    p->lf->netmode = m;
    return VN_OK;
}
static const key_def net_keys[] = {
    {"portgroups", k_portgroups},
    {"mode", k_mode},
    {0},
};

/* installer */
PATH_KEY(k_iso, iso)
STR_KEY(k_iso_folder, iso_folder)
static const key_def installer_keys[] = {
    {"iso", k_iso},
    {"upload-to", k_iso_folder},
    {0},
};

/* hosts */
static int k_count(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    p->count_at = v;
    return get_int(p, v, k, key, 1, VN_LAB_MAX_HOSTS, &p->lf->count);
}
static int k_names(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    p->names_at = v;
    return get_str(p, v, k, key, &p->lf->name_format);
}
static int k_cpus(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return get_int(p, v, k, key, 2, 768, &p->lf->cpus);
}
static int k_nics(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return get_int(p, v, k, key, 1, 10, &p->lf->nics);
}
SIZE_KEY(k_memory, memory)
SIZE_KEY(k_boot_disk, boot_disk)
SIZE_KEY(k_vsan_cache, vsan_cache)
SIZE_KEY(k_vsan_capacity, vsan_capacity)
PATH_KEY(k_root_pw, root_password_file)
static int k_ssh(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return get_bool(p, v, k, key, &p->lf->ssh);
}
static int k_boot_timeout(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return get_int(p, v, k, key, 0, 86400, &p->lf->boot_timeout);
}
static const key_def host_keys[] = {
    {"count", k_count},
    {"names", k_names},
    {"cpus", k_cpus},
    {"memory", k_memory},
    {"boot-disk", k_boot_disk},
    {"vsan-cache", k_vsan_cache},
    {"vsan-capacity", k_vsan_capacity},
    {"nics", k_nics},
    {"password-file", k_root_pw},
    {"ssh", k_ssh},
    {"boot-timeout", k_boot_timeout},
    {0},
};

/* guestinfo keys shared by every host */
static int set_gi(lp *p, struct fy_node *at, const char *key, char *value)
{
    vn_labfile *lf = p->lf;
    const char *bare = strncmp(key, "guestinfo.", 10) ? key : key + 10;
    for (int i = 0; i < lf->ngi; i++)
        if (!strcmp(lf->gi_keys[i], bare)) {
            free(value);
            return fail_at(p, at, "guestinfo.%s is given twice (expected it once)", bare);
        }
    if (lf->ngi >= VN_LAB_MAX_GINFO) {
        free(value);
        return fail_at(p, at, "too many guestinfo keys (expected at most %d)", VN_LAB_MAX_GINFO);
    }
    lf->gi_keys[lf->ngi] = vn_xstrdup(bare);
    lf->gi_values[lf->ngi++] = value;
    return VN_OK;
}
static int ip_addr(lp *p, struct fy_node *v, struct fy_node *k, const char *key, int many)
{
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    /* dns may list several servers, comma-separated */
    char *copy = vn_xstrdup(s), *save = NULL;
    int ok = 1;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        struct in_addr a;
        ok &= inet_pton(AF_INET, tok, &a) == 1;
        if (!many)
            break;
    }
    ok &= !!*s && (many || !strpbrk(s, ", "));
    free(copy);
    if (!ok) {
        free(s);
        return fail_at(p, v, "%s (expected an IPv4 address%s)", key,
                       many ? ", or several separated by commas" : "");
    }
    const char *dot = strrchr(key, '.');
    return set_gi(p, v, dot ? dot + 1 : key, s);
}
static int k_netmask(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return ip_addr(p, v, k, key, 0);
}
static int k_gateway(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return ip_addr(p, v, k, key, 0);
}
static int k_dns(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return ip_addr(p, v, k, key, 1);
}
static int k_text_gi(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    const char *dot = strrchr(key, '.');
    return set_gi(p, v, dot ? dot + 1 : key, s);
}
static int k_range(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    p->range_at = v;
    return get_str(p, v, k, key, &p->range);
}
static int k_start(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    p->start_at = v;
    return get_str(p, v, k, key, &p->start);
}
static const key_def ip_keys[] = {
    {"range", k_range},     {"start", k_start},  {"netmask", k_netmask},
    {"gateway", k_gateway}, {"dns", k_dns},      {"domain", k_text_gi},
    {"ntp", k_text_gi},     {"vlan", k_text_gi}, {0},
};

static int k_guestinfo(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    if (!v || fy_node_get_type(v) != FYNT_MAPPING)
        return fail_at(p, k, "%s is not a mapping (expected KEY: VALUE lines)", key);
    void *it = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(v, &it))) {
        struct fy_node *gk = fy_node_pair_key(pair), *gv = fy_node_pair_value(pair);
        const char *name =
            gk && fy_node_get_type(gk) == FYNT_SCALAR ? fy_node_get_scalar0(gk) : NULL;
        if (!name || !*name || strlen(name) > 80 || strpbrk(name, " \t=\"'"))
            return fail_at(p, gk ? gk : k, "%s: a bad key (expected a name like ntp or syslog)",
                           key);
        const char *bare = strncmp(name, "guestinfo.", 10) ? name : name + 10;
        if (!strcmp(bare, "password") || !strcmp(bare, "hostname") || !strcmp(bare, "ipaddress"))
            return fail_at(p, gk,
                           "%s.%s is set by vnest (expected hosts.password-file, hosts.names or "
                           "ip.range instead)",
                           key, bare);
        char full[128];
        snprintf(full, sizeof(full), "%s.%s", key, bare);
        char *s = NULL;
        int rc = get_str(p, gv, gk, full, &s);
        if (rc == VN_OK)
            rc = set_gi(p, gk, bare, s);
        if (rc != VN_OK)
            return rc;
    }
    return VN_OK;
}

/* top level */
static int k_lab(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    int rc = get_str(p, v, k, key, &p->lf->name);
    if (rc != VN_OK)
        return rc;
    const char *s = p->lf->name;
    size_t n = strlen(s);
    int ok = n > 0 && n <= 60;
    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
             (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.';
    if (!ok)
        return fail_at(p, v, "lab name \"%.60s\" (expected 1 to 60 letters, digits, '-', '_', '.')",
                       s);
    return VN_OK;
}
static int k_esxi(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    char *s = NULL;
    int rc = get_str(p, v, k, key, &s);
    if (rc != VN_OK)
        return rc;
    vn_error e = {0};
    p->lf->rel = vn_release_parse(s, key, &e);
    free(s);
    if (!p->lf->rel)
        return fail_at(p, v, "%s", e.msg);
    return VN_OK;
}
static int k_route(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    p->route_at = v;
    return get_str(p, v, k, key, &p->route);
}
static int k_template(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    p->tmpl_at = v;
    return get_str(p, v, k, key, &p->lf->template_name);
}
static int k_allow_clone(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return get_bool(p, v, k, key, &p->lf->allow_unsupported_clone);
}
static int k_connection(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return walk_map(p, v, k, key, conn_keys);
}
static int k_target(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return walk_map(p, v, k, key, target_keys);
}
static int k_network(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return walk_map(p, v, k, key, net_keys);
}
static int k_installer(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    p->iso_at = k;
    return walk_map(p, v, k, key, installer_keys);
}
static int k_hosts(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    p->hosts_at = k;
    return walk_map(p, v, k, key, host_keys);
}
static int k_ip(lp *p, struct fy_node *v, struct fy_node *k, const char *key)
{
    return walk_map(p, v, k, key, ip_keys);
}
static const key_def top_keys[] = {
    {"lab", k_lab},
    {"esxi", k_esxi},
    {"route", k_route},
    {"connection", k_connection},
    {"target", k_target},
    {"network", k_network},
    {"installer", k_installer},
    {"template", k_template},
    {"allow-unsupported-clone", k_allow_clone},
    {"hosts", k_hosts},
    {"ip", k_ip},
    {"guestinfo", k_guestinfo},
    {0},
};

/* ---- the plan as a whole ---- */

static int plan_names_and_ips(lp *p, struct fy_node *root_key)
{
    vn_labfile *lf = p->lf;
    if (!lf->count)
        return fail_at(p, p->hosts_at ? p->hosts_at : root_key,
                       "hosts.count is missing (expected how many hosts, 1 to %d)",
                       VN_LAB_MAX_HOSTS);
    if (!lf->name_format) {
        vn_buf b = VN_BUF_INIT;
        vn_buf_addf(&b, "%s-esxi-%%02d", lf->name);
        lf->name_format = vn_buf_detach(&b, NULL);
    }
    lf->hosts = vn_xcalloc((size_t)lf->count, sizeof(*lf->hosts));
    vn_error e = {0};
    for (int i = 0; i < lf->count; i++) {
        if (vn_deploy_name(lf->name_format, i + 1, lf->hosts[i].name, sizeof(lf->hosts[i].name),
                           &e) != VN_OK)
            return fail_at(p, p->names_at, "hosts.names: %s", e.msg);
        for (int j = 0; j < i; j++)
            if (!strcasecmp(lf->hosts[j].name, lf->hosts[i].name))
                return fail_at(p, p->names_at,
                               "hosts.names \"%s\" gives host %d and host %d the same name "
                               "\"%s\" (expected distinct names, e.g. esxi-%%02d)",
                               lf->name_format, j + 1, i + 1, lf->hosts[i].name);
    }
    if (p->range && p->start)
        return fail_at(p, p->start_at, "ip.start and ip.range together (expected one of them)");
    const char *range = p->range;
    vn_buf r = VN_BUF_INIT;
    if (p->start) {
        struct in_addr a;
        if (inet_pton(AF_INET, p->start, &a) != 1)
            return fail_at(p, p->start_at, "ip.start \"%.60s\" (expected an IPv4 address)",
                           p->start);
        uint32_t first = ntohl(a.s_addr);
        if ((uint64_t)first + (uint64_t)lf->count - 1 > 0xFFFFFFFFull)
            return fail_at(p, p->start_at, "ip.start %s leaves too few addresses for %d hosts",
                           p->start, lf->count);
        struct in_addr last = {htonl(first + (uint32_t)lf->count - 1)};
        char lastbuf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &last, lastbuf, sizeof(lastbuf));
        vn_buf_addf(&r, "%s-%s", p->start, lastbuf);
        range = r.data;
    }
    int rc = VN_OK;
    for (int i = 0; range && rc == VN_OK && i < lf->count; i++)
        if (vn_deploy_ip(range, i, lf->count, lf->hosts[i].ip, sizeof(lf->hosts[i].ip), &e) !=
            VN_OK)
            rc = fail_at(p, p->range_at ? p->range_at : p->start_at, "ip.range: %s", e.msg);
    vn_buf_free(&r);
    return rc;
}

static int plan_route(lp *p, struct fy_node *root_key)
{
    vn_labfile *lf = p->lf;
    if (!lf->rel)
        return fail_at(p, root_key, "esxi is missing (expected the release, e.g. esxi: \"8.0\")");
    if (p->route) {
        if (!strcmp(p->route, "kickstart"))
            lf->route = VN_LAB_ROUTE_KICKSTART;
        else if (!strcmp(p->route, "template"))
            lf->route = VN_LAB_ROUTE_TEMPLATE;
        else
            return fail_at(p, p->route_at, "route \"%.40s\" (expected kickstart or template)",
                           p->route);
    } else {
        /* S17: from 7.0 U2 on, a boot disk must not be cloned. */
        lf->route = lf->rel->template_clone_ok ? VN_LAB_ROUTE_TEMPLATE : VN_LAB_ROUTE_KICKSTART;
    }
    if (lf->route == VN_LAB_ROUTE_TEMPLATE) {
        if (!lf->template_name || !*lf->template_name)
            return fail_at(p,
                           p->tmpl_at    ? p->tmpl_at
                           : p->route_at ? p->route_at
                                         : root_key,
                           "the template route needs template: NAME (expected the sealed "
                           "template to clone)");
        if (!lf->rel->template_clone_ok && !lf->allow_unsupported_clone)
            return fail_at(p, p->route_at ? p->route_at : p->tmpl_at,
                           "ESXi %s must not be cloned from a template (S17, KB 84280: expected "
                           "route: kickstart, or allow-unsupported-clone: true)",
                           lf->rel->name);
        if (lf->iso)
            return fail_at(p, p->iso_at,
                           "installer is for the kickstart route (expected "
                           "route: kickstart, or no installer section)");
    } else {
        if (!lf->iso)
            return fail_at(p,
                           p->iso_at     ? p->iso_at
                           : p->route_at ? p->route_at
                                         : root_key,
                           "the kickstart route needs installer.iso (expected the ESXi "
                           "installer ISO file)");
        if (lf->template_name)
            return fail_at(p, p->tmpl_at,
                           "template is for the template route (expected "
                           "route: template, or no template key)");
        if (!lf->root_password_file)
            return fail_at(p, p->hosts_at ? p->hosts_at : root_key,
                           "the kickstart route needs hosts.password-file (expected a 0600 "
                           "file with the hosts' root password)");
    }
    if (!lf->iso_folder)
        lf->iso_folder = vn_xstrdup("vnest");
    return VN_OK;
}

static void set_dir(vn_labfile *lf, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        lf->dir = vn_xstrdup(".");
    else if (slash == path)
        lf->dir = vn_xstrdup("/");
    else {
        lf->dir = vn_xmalloc((size_t)(slash - path) + 1);
        memcpy(lf->dir, path, (size_t)(slash - path));
        lf->dir[slash - path] = 0;
    }
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if bad. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xC2 && s[0] <= 0xDF   ? 2
                 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                                : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return len;
}

/* A lab file is UTF-8 text without YAML directives. Checked before
 * libfyaml sees it: libfyaml 0.7 loops forever on a directive line holding
 * a byte that is not UTF-8 ("%\xb9", found by fuzz_labfile). */
static int check_text(lp *p, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    int line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        char where[512];
        snprintf(where, sizeof(where), "%.480s:%d:%d", p->path, line, col);
        if (col == 1 && s[i] == '%')
            return vn_fail(p->err, VN_EINPUT, where,
                           "a YAML directive (expected lab file keys; %%YAML and %%TAG are not "
                           "used)");
        size_t n = utf8_len(s + i, len - i);
        if (!n || (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7F)
            return vn_fail(p->err, VN_EINPUT, where,
                           "byte 0x%02X (expected UTF-8 text without control characters)", s[i]);
        if (s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return VN_OK;
}

/* The first syntax error libfyaml collected, as FILE:LINE:COL. */
static int syntax_error(lp *p, struct fy_diag *diag)
{
    void *it = NULL;
    struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
    if (!de)
        return vn_fail(p->err, VN_EINPUT, p->path,
                       "empty or not a YAML document (expected a lab file: lab, esxi, hosts...)");
    char where[512];
    /* the diagnostics count lines and columns from 1, unlike marks */
    snprintf(where, sizeof(where), "%.480s:%d:%d", p->path, de->line, de->column);
    return vn_fail(p->err, VN_EINPUT, where, "YAML syntax: %.300s (expected a lab file)",
                   de->msg ? de->msg : "error");
}

int vn_labfile_parse(const char *path, const char *text, size_t len, vn_labfile *lf, vn_error *err)
{
    memset(lf, 0, sizeof(*lf));
    lf->insecure = -1;
    lf->ssh = -1;
    lf->boot_timeout = 1800;
    lf->netmode = VN_NETMODE_AUTO;
    lf->path = vn_xstrdup(path);
    set_dir(lf, path);
    lp p;
    memset(&p, 0, sizeof(p));
    p.path = path;
    p.lf = lf;
    p.err = err;

    if (check_text(&p, text, len) != VN_OK) {
        vn_labfile_free(lf);
        return VN_EINPUT;
    }
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag)
        return vn_fail(err, VN_ERUNTIME, path, "out of memory");
    fy_diag_set_collect_errors(diag, true);
    /* No recursion into anchors' expansion: aliases are refused below, so a
     * "billion laughs" file costs nothing. */
    struct fy_parse_cfg cfg = {NULL, FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DISABLE_MMAP_OPT,
                               NULL, diag};
    struct fy_document *doc = fy_document_build_from_string(&cfg, text, len);
    int rc = VN_OK;
    if (!doc) {
        rc = syntax_error(&p, diag);
    } else {
        struct fy_node *root = fy_document_root(doc);
        if (!root)
            rc = vn_fail(err, VN_EINPUT, path, "empty (expected a lab file: lab, esxi, hosts...)");
        else if (fy_node_get_type(root) != FYNT_MAPPING)
            rc = fail_at(&p, root, "not a mapping (expected a lab file: lab, esxi, hosts...)");
        else
            rc = walk_map(&p, root, root, "(top)", top_keys);
        if (rc == VN_OK && !lf->name)
            rc = vn_fail(err, VN_EINPUT, path,
                         "lab is missing (expected lab: NAME, which marks every VM it makes)");
        if (rc == VN_OK && !lf->nportgroups)
            rc = vn_fail(err, VN_EINPUT, path,
                         "network.portgroups is missing (expected the port group(s) the nested "
                         "hosts use)");
        if (rc == VN_OK)
            rc = plan_route(&p, root);
        if (rc == VN_OK)
            rc = plan_names_and_ips(&p, root);
    }
    if (doc)
        fy_document_destroy(doc);
    fy_diag_destroy(diag);
    free(p.range);
    free(p.start);
    free(p.route);
    if (rc != VN_OK)
        vn_labfile_free(lf);
    return rc;
}

int vn_labfile_load(const char *path, vn_labfile *lf, vn_error *err)
{
    char *data = NULL;
    size_t len = 0;
    memset(lf, 0, sizeof(*lf));
    int rc = vn_file_read(path, &data, &len, err);
    if (rc != VN_OK)
        return rc;
    rc = vn_labfile_parse(path, data, len, lf, err);
    free(data);
    return rc;
}

void vn_labfile_free(vn_labfile *lf)
{
    char **strs[] = {
        &lf->path,        &lf->dir,           &lf->name,        &lf->url,
        &lf->username,    &lf->password_file, &lf->thumbprint,  &lf->ca_file,
        &lf->known_hosts, &lf->datacenter,    &lf->cluster,     &lf->host,
        &lf->datastore,   &lf->folder,        &lf->pool,        &lf->iso,
        &lf->iso_folder,  &lf->template_name, &lf->name_format, &lf->root_password_file};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    for (int i = 0; i < lf->nportgroups; i++)
        free(lf->portgroups[i]);
    for (int i = 0; i < lf->ngi; i++) {
        free(lf->gi_keys[i]);
        free(lf->gi_values[i]);
    }
    free(lf->hosts);
    memset(lf, 0, sizeof(*lf));
}
