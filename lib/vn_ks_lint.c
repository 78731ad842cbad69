/* The kickstart linter. It models the ESXi installer's own reader (weasel's
 * scripted-install preparser and grammar):
 *  - the file is read line by line; each line is split into words like
 *    Python's shlex (vn_ks_split) and its first word names the command;
 *  - %pre, %post and %firstboot take the following lines as their script,
 *    up to the next line that *starts* with %pre, %post, %firstboot,
 *    %packages, %vmlicense_text, %include or include (a prefix test, at
 *    column 0); the lines after that are commands again;
 *  - options are "--name" or "--name=value"; anything else is a positional
 *    argument the command may take from the front or the back, and what is
 *    left over is an unknown argument;
 *  - unknown commands and arguments are warnings, a few problems (repeated
 *    install, a bad interpreter, conflicting options) are errors.
 * On top of the grammar it checks what makes a lab install go wrong: clear
 * passwords, commands that ended up inside a script, %firstboot under
 * Secure Boot, and a local VMFS on a template's boot disk (S9). */
#include "vn_ks.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_file.h"

/* ---- grammar ---- */

enum {
    V_FLAG = 0,      /* takes no value */
    V_REQ = 1,       /* needs =value */
    V_OPT = 2,       /* value optional (the installer has a default) */
    O_DEPR = 4,      /* deprecated: accepted with a warning */
    O_BAD_ERROR = 8, /* a malformed value stops the installer */
};

typedef int (*value_check)(const char *v);

typedef struct ks_opt {
    const char *name;
    unsigned flags;
    value_check check;    /* NULL: any non-empty value */
    const char *expect;   /* what a good value looks like, for messages */
    const char *alias;    /* the other spelling of the same option, or NULL */
    const char *excludes; /* space-separated options it cannot be used with */
    int since;            /* 1 + the first vn_release_id that knows it; 0 = all */
} ks_opt;

enum {
    C_REQUIRED = 1,   /* the file must have it */
    C_MULTIPLE = 2,   /* may be repeated */
    C_DEPR = 4,       /* deprecated or unused: ignored with a warning */
    C_SECTION = 8,    /* %pre/%post/%firstboot: the next lines are its script */
    C_DUP_ERROR = 16, /* repeating it stops the installer */
    C_INSTALL = 32,   /* one of install/upgrade/installorupgrade */
    C_HANG_REQ = 64,  /* the positional argument is required */
    C_HANG_FRONT = 128,
};

typedef struct ks_cmd {
    const char *name;
    const char *id; /* the command this one is an alias of, or NULL */
    unsigned flags;
    const ks_opt *opts;
    const char *hang;      /* name of the positional argument, or NULL */
    const char *hang_depr; /* deprecated positional words ("cdrom usb") */
} ks_cmd;

static int check_bootproto(const char *v)
{
    return strcasecmp(v, "dhcp") == 0 || strcasecmp(v, "static") == 0;
}

static int check_ip(const char *v)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1;
}

static int check_ips(const char *v)
{
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", v);
    if (strlen(v) >= sizeof(tmp) || !*v)
        return 0;
    char *save = NULL;
    int n = 0;
    for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        char *e = t + strlen(t);
        while (e > t && e[-1] == ' ')
            *--e = '\0';
        if (!check_ip(t))
            return 0;
        n++;
    }
    return n > 0;
}

static int check_netmask(const char *v)
{
    struct in_addr a;
    if (inet_pton(AF_INET, v, &a) != 1)
        return 0;
    unsigned long m = ntohl(a.s_addr);
    unsigned long inv = ~m & 0xffffffffUL;
    return m != 0 && (inv & (inv + 1)) == 0; /* ones, then zeros */
}

static int check_hostname(const char *v)
{
    size_t total = strlen(v);
    if (total == 0 || total > 255)
        return 0;
    const char *label = v;
    for (;;) {
        size_t n = strcspn(label, ".");
        if (n == 0 || n > 63 || !isalnum((unsigned char)label[0]) ||
            !isalnum((unsigned char)label[n - 1]))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)label[i]) && label[i] != '-')
                return 0;
        if (label[n] == '\0')
            return 1;
        label += n + 1;
    }
}

static int check_uint(const char *v)
{
    if (!*v || strlen(v) > 9)
        return 0;
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

static int check_vlan(const char *v)
{
    return check_uint(v) && atoi(v) <= 4095;
}

static int check_bool01(const char *v)
{
    return !strcmp(v, "0") || !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "false");
}

static int check_truefalse(const char *v)
{
    return !strcasecmp(v, "true") || !strcasecmp(v, "false");
}

static int check_interpreter(const char *v)
{
    return !strcmp(v, "busybox") || !strcmp(v, "python");
}

static int check_serial(const char *v)
{
    /* five groups of five letters or digits, separated by dashes */
    if (strlen(v) != 29)
        return 0;
    for (int i = 0; i < 29; i++) {
        if (i % 6 == 5 ? v[i] != '-' : !isalnum((unsigned char)v[i]))
            return 0;
    }
    return 1;
}

#define SINCE(id) ((id) + 1)

static const ks_opt opts_clearpart[] = {
    {"--all", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--alldrives", V_FLAG, NULL, NULL, NULL, "--drives --firstdisk", 0},
    {"--drives", V_REQ, NULL, "a comma-separated disk list", NULL,
     "--ignoredrives --alldrives --firstdisk", 0},
    {"--firstdisk", V_OPT, NULL, NULL, NULL, "--alldrives --drives --ignoredrives", 0},
    {"--ignoredrives", V_REQ, NULL, "a comma-separated disk list", NULL, "--drives --firstdisk", 0},
    {"--initlabel", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {"--overwritevmfs", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_install[] = {
    {"--disk", V_REQ, NULL, "a disk name", "--drive", "--firstdisk --ignoressd", 0},
    {"--drive", V_REQ, NULL, "a disk name", "--disk", "--firstdisk --ignoressd", 0},
    {"--firstdisk", V_OPT, NULL, NULL, NULL, "--disk --drive", 0},
    {"--overwritevmfs", V_FLAG, NULL, NULL, NULL, "--preservevmfs", 0},
    {"--preservevmfs", V_FLAG, NULL, NULL, NULL, "--overwritevmfs --novmfsondisk", 0},
    {"--overwritevsan", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--novmfsondisk", V_FLAG, NULL, NULL, NULL, "--preservevmfs", 0},
    {"--ignoressd", V_FLAG, NULL, NULL, NULL, "--disk --drive", 0},
    {"--ignoreprereqwarnings", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--ignoreprereqerrors", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--forceunsupportedinstall", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--systemdisk", V_REQ, NULL, "a disk name", NULL, NULL, SINCE(VN_ESXI_70U2)},
    {"--repartitionsystemdisk", V_FLAG, NULL, NULL, NULL, NULL, SINCE(VN_ESXI_70U2)},
    {"--dpupcislots", V_REQ, NULL, "PCI slot numbers", NULL, NULL, SINCE(VN_ESXI_80)},
    {"--server", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {"--dir", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_installorupgrade[] = {
    {"--disk", V_REQ, NULL, "a disk name", "--drive", "--firstdisk", 0},
    {"--drive", V_REQ, NULL, "a disk name", "--disk", "--firstdisk", 0},
    {"--firstdisk", V_OPT, NULL, NULL, NULL, "--disk --drive", 0},
    {"--overwritevmfs", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--overwritevsan", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--ignoreprereqwarnings", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--ignoreprereqerrors", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--forcemigrate", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--forceunsupportedinstall", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--systemdisk", V_REQ, NULL, "a disk name", NULL, NULL, SINCE(VN_ESXI_70U2)},
    {"--repartitionsystemdisk", V_FLAG, NULL, NULL, NULL, NULL, SINCE(VN_ESXI_70U2)},
    {"--server", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {"--dir", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_upgrade[] = {
    {"--disk", V_REQ, NULL, "a disk name", "--drive", "--firstdisk --diskBootedFrom", 0},
    {"--drive", V_REQ, NULL, "a disk name", "--disk", "--firstdisk --diskBootedFrom", 0},
    {"--firstdisk", V_OPT, NULL, NULL, NULL, "--disk --drive --diskBootedFrom", 0},
    {"--diskBootedFrom", V_FLAG, NULL, NULL, NULL, "--disk --drive --firstdisk", 0},
    {"--overwritevmfs", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--savebootbank", V_REQ, NULL, NULL, NULL, NULL, 0},
    {"--bootDiskMarker", V_REQ, NULL, NULL, NULL, NULL, 0},
    {"--deletecosvmdk", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--ignoreprereqwarnings", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--ignoreprereqerrors", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--forcemigrate", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--forceunsupportedinstall", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_network[] = {
    {"--bootproto", V_REQ, check_bootproto, "dhcp or static", NULL, NULL, 0},
    {"--device", V_REQ, NULL, "vmnicN or a MAC address", NULL, NULL, 0},
    {"--ip", V_REQ, check_ip, "an IP address", NULL, NULL, 0},
    {"--gateway", V_REQ, check_ip, "an IP address", NULL, NULL, 0},
    {"--nameserver", V_REQ, check_ips, "one or two comma-separated IP addresses", NULL, NULL, 0},
    {"--nodns", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {"--netmask", V_REQ, check_netmask, "an IPv4 netmask such as 255.255.255.0", NULL, NULL, 0},
    {"--hostname", V_REQ, check_hostname, "a host name (letters, digits, hyphens, dots)", NULL,
     NULL, 0},
    {"--vlanid", V_REQ, check_vlan, "a VLAN id from 0 to 4095", NULL, NULL, 0},
    {"--addvmportgroup", V_REQ, check_bool01, "0, 1, true or false", NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_part[] = {
    {"--ondisk", V_REQ, NULL, "a disk name", "--ondrive", "--onfirstdisk", 0},
    {"--ondrive", V_REQ, NULL, "a disk name", "--ondisk", "--onfirstdisk", 0},
    {"--onfirstdisk", V_OPT, NULL, NULL, NULL, "--ondisk --ondrive", 0},
    {"--size", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {"--grow", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {"--maxsize", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {"--fstype", O_DEPR, NULL, NULL, NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_reboot[] = {
    {"--noeject", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_rootpw[] = {
    {"--iscrypted", V_FLAG, NULL, NULL, NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_serial[] = {
    {"--esx", V_REQ | O_BAD_ERROR, check_serial, "five groups of five characters, XXXXX-XXXXX-...",
     NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_pre[] = {
    {"--interpreter", V_REQ | O_BAD_ERROR, check_interpreter, "busybox or python", NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_post[] = {
    {"--interpreter", V_REQ | O_BAD_ERROR, check_interpreter, "busybox or python", NULL, NULL, 0},
    {"--timeout", V_REQ, check_uint, "a number of seconds", NULL, NULL, 0},
    {"--ignorefailure", V_REQ, check_truefalse, "true or false", NULL, NULL, 0},
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

static const ks_opt opts_none[] = {
    {NULL, 0, NULL, NULL, NULL, NULL, 0},
};

#define DEPR(name)                                                                                 \
    {                                                                                              \
        name, NULL, C_DEPR, opts_none, NULL, NULL                                                  \
    }

static const ks_cmd commands[] = {
    {"vmaccepteula", NULL, C_REQUIRED, opts_none, NULL, NULL},
    {"accepteula", "vmaccepteula", C_REQUIRED, opts_none, NULL, NULL},
    {"rootpw", NULL, C_REQUIRED | C_HANG_REQ, opts_rootpw, "password", NULL},
    {"install", NULL, C_DUP_ERROR | C_INSTALL, opts_install, NULL, "cdrom usb nfs url"},
    {"installorupgrade", NULL, C_DUP_ERROR | C_INSTALL, opts_installorupgrade, NULL,
     "cdrom usb nfs url"},
    {"upgrade", NULL, C_DUP_ERROR | C_INSTALL, opts_upgrade, NULL, NULL},
    {"clearpart", NULL, C_MULTIPLE, opts_clearpart, NULL, NULL},
    {"network", NULL, 0, opts_network, NULL, NULL},
    {"keyboard", NULL, C_HANG_REQ, opts_none, "keyboard type", NULL},
    {"part", NULL, C_MULTIPLE | C_HANG_REQ | C_HANG_FRONT, opts_part, "datastore name", NULL},
    {"partition", "part", C_MULTIPLE | C_HANG_REQ | C_HANG_FRONT, opts_part, "datastore name",
     NULL},
    {"partitionembed", NULL, 0, opts_none, NULL, NULL},
    {"paranoid", NULL, 0, opts_none, NULL, NULL},
    {"dryrun", NULL, 0, opts_none, NULL, NULL},
    {"reboot", NULL, 0, opts_reboot, NULL, NULL},
    {"vmserialnum", NULL, 0, opts_serial, NULL, NULL},
    {"serialnum", "vmserialnum", 0, opts_serial, NULL, NULL},
    {"%include", NULL, C_MULTIPLE | C_HANG_REQ, opts_none, "file name", NULL},
    {"include", "%include", C_MULTIPLE | C_HANG_REQ, opts_none, "file name", NULL},
    {"%pre", NULL, C_MULTIPLE | C_SECTION, opts_pre, NULL, NULL},
    {"%post", NULL, C_MULTIPLE | C_SECTION, opts_post, NULL, NULL},
    {"%firstboot", NULL, C_MULTIPLE | C_SECTION, opts_pre, NULL, NULL},
    DEPR("auth"),
    DEPR("authconfig"),
    DEPR("autopart"),
    DEPR("autostep"),
    DEPR("bootloader"),
    DEPR("cmdline"),
    DEPR("device"),
    DEPR("deviceprobe"),
    DEPR("esxlocation"),
    DEPR("firewall"),
    DEPR("firewallport"),
    DEPR("firstboot"),
    DEPR("harddrive"),
    DEPR("ignoredisk"),
    DEPR("interactive"),
    DEPR("lang"),
    DEPR("langsupport"),
    DEPR("lilo"),
    DEPR("lilocheck"),
    DEPR("logvol"),
    DEPR("mouse"),
    DEPR("raid"),
    DEPR("skipx"),
    DEPR("text"),
    DEPR("timezone"),
    DEPR("virtualdisk"),
    DEPR("vnc"),
    DEPR("volgroup"),
    DEPR("xconfig"),
    DEPR("xdisplay"),
    DEPR("vmlicense"),
    DEPR("zerombr"),
    DEPR("%packages"),
    DEPR("%vmlicense_text"),
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const ks_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* The canonical command (the alias target's record). */
static const ks_cmd *canon(const ks_cmd *c)
{
    return c->id ? find_cmd(c->id) : c;
}

static size_t cmd_index(const ks_cmd *c)
{
    return (size_t)(canon(c) - commands);
}

static const ks_opt *find_opt(const ks_cmd *c, const char *name)
{
    for (const ks_opt *o = c->opts; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/* Section keywords: a line starting with one of these ends a script body. */
static const char *const keywords[] = {
    "%post", "%pre", "%packages", "%vmlicense_text", "%firstboot", "%include", "include",
};

static const char *starts_keyword(const char *line, size_t len)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        size_t k = strlen(keywords[i]);
        if (len >= k && memcmp(line, keywords[i], k) == 0)
            return keywords[i];
    }
    return NULL;
}

/* ---- lint state ---- */

typedef struct line_ref {
    const char *s;
    size_t len; /* without the '\n' */
} line_ref;

typedef struct lint {
    const char *name;
    const vn_release *rel;
    vn_findings *out;
    line_ref *lines;
    size_t nlines;
    int seen[NCOMMANDS];    /* line of the first use of each canonical command */
    int install_line;       /* the first install/upgrade/installorupgrade */
    const ks_cmd *install;  /* which one */
    int novmfsondisk;       /* the install command has --novmfsondisk */
    int include_line;       /* the first %include/include, 0 if none */
    char include_file[256]; /* its file name */
    int firstboot_line;
    int upgrade;
    int crlf_reported;
    int utf8_reported;
} lint;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static const vn_rule *rule(const char *id)
{
    const vn_rule *r = vn_ks_rule_find(id);
    if (!r)
        abort(); /* a rule id not in the table is a programming error */
    return r;
}

static void addf(lint *L, const char *id, vn_severity sev, int line, const char *key,
                 const char *current, const char *wanted, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void addf(lint *L, const char *id, vn_severity sev, int line, const char *key,
                 const char *current, const char *wanted, const char *fmt, ...)
{
    const vn_rule *r = rule(id);
    vn_finding *f = vn_findings_add(L->out, r, key, current, wanted);
    f->severity = sev > r->severity ? r->severity : sev;
    f->line = line;
    f->fixable = 0;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    free(f->note);
    f->note = vn_xstrdup(msg);
}

/* A word shown in a message: at most 60 bytes, control characters and
 * non-ASCII bytes as '?', so a finding stays one printable line. */
static void shown(char *dst, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 4 < n && i < 60; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
    dst[i] = '\0';
    if (s[i])
        snprintf(dst + i, n - i, "...");
}

/* A hint when a word looks like an unrendered template placeholder. */
static const char *placeholder_hint(const char *s)
{
    if (strstr(s, "{{") || strstr(s, "<%") || strchr(s, '$') || (s[0] == '<' && strchr(s, '>')))
        return " (an unrendered template placeholder? check the rendered file)";
    return "";
}

static int utf8_valid(const unsigned char *s, size_t n, int *ascii)
{
    *ascii = 1;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        *ascii = 0;
        size_t k;
        unsigned long cp;
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* ---- one command ---- */

typedef struct arg {
    const char *word;  /* as written */
    char *key;         /* before '=' */
    const char *value; /* after '=', or NULL */
    const ks_opt *opt; /* the option it names, or NULL */
    int first;         /* the first use of that option (or its alias) */
    int used;
} arg;

static const char *const *option_names(const ks_cmd *c, const char **buf, size_t n)
{
    size_t k = 0;
    for (const ks_opt *o = c->opts; o->name && k + 1 < n; o++)
        buf[k++] = o->name;
    buf[k] = NULL;
    return buf;
}

/* Reports an argument the command does not know (not used for rootpw,
 * whose words are never shown). */
static void unknown_arg(lint *L, int line, const ks_cmd *c, const char *word, int is_error)
{
    const char *names[40];
    option_names(c, names, 40);
    char w[80];
    shown(w, sizeof(w), word);
    char key[128];
    snprintf(key, sizeof(key), "%s", c->name);
    vn_severity sev = is_error ? VN_SEV_ERROR : VN_SEV_WARNING;
    const char *sugg = NULL;
    if (word[0] == '-') {
        const char *eq = strchr(word, '=');
        char bare[128];
        snprintf(bare, sizeof(bare), "%.*s", (int)(eq ? (size_t)(eq - word) : strlen(word)), word);
        sugg = vn_ks_suggest(bare, names);
    } else if (isalpha((unsigned char)word[0])) {
        char dashed[128];
        const char *eq = strchr(word, '=');
        snprintf(dashed, sizeof(dashed), "--%.*s", (int)(eq ? (size_t)(eq - word) : strlen(word)),
                 word);
        sugg = vn_ks_suggest(dashed, names);
    }
    if (sugg)
        addf(L, "ks-unknown-option", sev, line, key, w, sugg,
             "%s: unknown argument \"%s\" (did you mean %s?)", c->name, w, sugg);
    else if (!strcmp(canon(c)->name, "keyboard"))
        addf(L, "ks-unknown-option", sev, line, key, w, NULL,
             "keyboard: extra argument \"%s\": the layout is the last word only; quote a name "
             "with spaces (keyboard 'US Default')",
             w);
    else if (c->opts->name)
        addf(L, "ks-unknown-option", sev, line, key, w, NULL,
             "%s: unknown argument \"%s\"%s (expected one of the options of %s)", c->name, w,
             placeholder_hint(word), c->name);
    else
        addf(L, "ks-unknown-option", sev, line, key, w, NULL,
             "%s: unexpected argument \"%s\" (%s takes none)", c->name, w, c->name);
}

static int in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        size_t k = strcspn(p, " ");
        if (k == n && strncmp(p, word, n) == 0)
            return 1;
        p += k;
        while (*p == ' ')
            p++;
    }
    return 0;
}

static void check_rootpw(lint *L, int line, int iscrypted, const char *pw)
{
    if (!iscrypted) {
        addf(L, "ks-cleartext-rootpw", VN_SEV_WARNING, line, "rootpw", "(clear text)",
             "--iscrypted HASH",
             "rootpw: the root password is in clear text; store a SHA-512 crypt hash with "
             "rootpw --iscrypted (vnest ks new does, or: openssl passwd -6)");
    } else if (pw && !vn_ks_is_crypt_hash(pw)) {
        addf(L, "ks-rootpw-hash", VN_SEV_ERROR, line, "rootpw --iscrypted", "(not a crypt hash)",
             "$6$SALT$HASH",
             "rootpw --iscrypted: the value is not an MD5/SHA-256/SHA-512 crypt(3) hash%s; no "
             "password would open the host",
             placeholder_hint(pw));
    }
}

static void check_value(lint *L, int line, const ks_cmd *c, const ks_opt *o, const char *value)
{
    char key[128];
    snprintf(key, sizeof(key), "%s %s", c->name, o->name);
    int takes = (o->flags & (V_REQ | V_OPT)) != 0;
    if (o->flags & O_DEPR) {
        addf(L, "ks-deprecated-command", VN_SEV_WARNING, line, key, o->name, NULL,
             "%s: %s is deprecated; the installer ignores it", c->name, o->name);
        return;
    }
    if (!takes && value) {
        char v[80];
        shown(v, sizeof(v), value);
        addf(L, "ks-bad-value", VN_SEV_WARNING, line, key, v, NULL,
             "%s: %s takes no value (the installer ignores the option)", c->name, o->name);
        return;
    }
    if ((o->flags & V_REQ) && (!value || !*value)) {
        addf(L, "ks-bad-value", VN_SEV_WARNING, line, key, value ? "" : NULL, o->expect,
             "%s: %s has no value (expected %s=%s; the installer ignores the option)", c->name,
             o->name, o->name, o->expect ? o->expect : "VALUE");
        return;
    }
    if (value && *value && o->check && !o->check(value)) {
        char v[80];
        shown(v, sizeof(v), value);
        vn_severity sev = (o->flags & O_BAD_ERROR) ? VN_SEV_ERROR : VN_SEV_WARNING;
        addf(L, "ks-bad-value", sev, line, key, v, o->expect, "%s: %s=%s is not %s%s%s", c->name,
             o->name, v, o->expect, placeholder_hint(value),
             sev == VN_SEV_ERROR ? " (the installer stops)" : " (the installer ignores it)");
    }
}

static void lint_command(lint *L, int line, char **words, int nwords, const ks_cmd *c)
{
    const ks_cmd *k = canon(c);
    size_t idx = cmd_index(c);

    if (c->flags & C_DEPR) {
        addf(L, "ks-deprecated-command", VN_SEV_WARNING, line, c->name, c->name, NULL,
             "%s is deprecated or unused; the installer ignores it", c->name);
        return;
    }
    if (!strcmp(k->name, "vmserialnum") && L->rel && L->rel->id >= VN_ESXI_90)
        addf(L, "ks-deprecated-command", VN_SEV_WARNING, line, c->name, c->name, NULL,
             "%s is obsolete from ESX 9.0: hosts are licensed through vCenter", c->name);

    /* Arguments: options first, the rest are positional. */
    size_t na = (size_t)(nwords - 1);
    arg *args = vn_xcalloc(na + 1, sizeof(arg));
    for (size_t i = 0; i < na; i++) {
        const char *w = words[i + 1];
        const char *eq = strchr(w, '=');
        args[i].word = w;
        args[i].key = eq ? vn_xstrndup(w, (size_t)(eq - w)) : vn_xstrdup(w);
        args[i].value = eq ? eq + 1 : NULL;
        args[i].opt = find_opt(c, args[i].key);
        args[i].used = args[i].opt != NULL;
    }
    /* First uses, by option index (an alias shares its target's slot). */
    {
        unsigned char seen_opt[64] = {0};
        for (size_t i = 0; i < na; i++) {
            const ks_opt *o = args[i].opt;
            if (!o)
                continue;
            const ks_opt *a = o->alias ? find_opt(c, o->alias) : NULL;
            size_t slot = (size_t)(o - c->opts), aslot = a ? (size_t)(a - c->opts) : slot;
            size_t key = slot < aslot ? slot : aslot;
            if (key < sizeof(seen_opt) && !seen_opt[key]) {
                seen_opt[key] = 1;
                args[i].first = 1;
            }
        }
    }
    /* Deprecated positional words ("install cdrom"). */
    for (size_t i = 0; i < na; i++) {
        if (!args[i].used && c->hang_depr && in_list(c->hang_depr, args[i].word)) {
            args[i].used = 1;
            addf(L, "ks-deprecated-command", VN_SEV_WARNING, line, c->name, args[i].word, NULL,
                 "%s %s: the install source argument is deprecated and ignored", c->name,
                 args[i].word);
        }
    }
    /* The positional argument: the first or last leftover word. */
    const char *hang = NULL;
    if (c->hang) {
        for (size_t j = 0; j < na; j++) {
            size_t i = (c->flags & C_HANG_FRONT) ? j : na - 1 - j;
            if (!args[i].used) {
                args[i].used = 1;
                hang = args[i].word;
                break;
            }
        }
        if (!hang && (c->flags & C_HANG_REQ))
            addf(L, "ks-bad-value", VN_SEV_ERROR, line, c->name, NULL, c->hang,
                 "%s: the %s is missing (the installer stops)", c->name, c->hang);
    }
    size_t extra = 0;
    for (size_t i = 0; i < na; i++)
        extra += !args[i].used;
    int keyboard_done = 0;
    if (extra && !strcmp(k->name, "rootpw")) {
        /* One finding, and never the words: they may be part of a password. */
        addf(L, "ks-unknown-option", VN_SEV_WARNING, line, c->name, "(not shown)", NULL,
             "rootpw has %zu extra argument%s (not shown, as %s be part of the password): "
             "the installer takes the last word as the password; quote a password with spaces",
             extra, extra == 1 ? "" : "s", extra == 1 ? "it may" : "they may");
        extra = 0;
    } else if (extra && !strcmp(k->name, "keyboard") && hang) {
        /* keyboard US Default: the installer reads only "Default". */
        vn_buf joined = VN_BUF_INIT;
        for (size_t i = 0; i < na; i++) {
            if (args[i].used && args[i].word != hang)
                continue;
            if (joined.len)
                vn_buf_addc(&joined, ' ');
            vn_buf_adds(&joined, args[i].word);
        }
        const char *kb = vn_ks_keyboard(joined.data);
        if (kb) {
            char v[80];
            shown(v, sizeof(v), hang);
            addf(L, "ks-unknown-option", VN_SEV_WARNING, line, "keyboard", v, kb,
                 "keyboard: the layout name is not quoted, so the installer reads only \"%s\" "
                 "(expected keyboard '%s')",
                 v, kb);
            keyboard_done = 1;
            extra = 0;
        }
        vn_buf_free(&joined);
    }
    for (size_t i = 0; extra && i < na; i++) {
        if (args[i].used)
            continue;
        int err = !strcmp(k->name, "installorupgrade") && !strcmp(args[i].key, "--ignoressd");
        unknown_arg(L, line, c, args[i].word, err);
    }

    /* Known options: values, duplicates, release, conflicts. */
    int iscrypted = 0, have_ip = 0, static_proto = 0, has_disksel = 0;
    for (size_t i = 0; i < na; i++) {
        const ks_opt *o = args[i].opt;
        if (!o)
            continue;
        char key[128];
        snprintf(key, sizeof(key), "%s %s", c->name, o->name);
        if (!args[i].first) {
            addf(L, "ks-bad-value", VN_SEV_WARNING, line, key, o->name, NULL,
                 "%s: %s is given more than once", c->name, o->name);
            continue;
        }
        if (o->since && L->rel && (int)L->rel->id < o->since - 1) {
            addf(L, "ks-unknown-option", VN_SEV_WARNING, line, key, o->name, NULL,
                 "%s: %s is not known to ESXi %s (it came with %s)", c->name, o->name, L->rel->name,
                 vn_release_get((vn_release_id)(o->since - 1))->name);
            continue;
        }
        check_value(L, line, c, o, args[i].value);
        for (size_t j = i + 1; j < na && o->excludes; j++) {
            const ks_opt *p = args[j].opt;
            if (p && args[j].first && in_list(o->excludes, p->name))
                addf(L, "ks-option-conflict", VN_SEV_ERROR, line, key, p->name, NULL,
                     "%s: %s cannot be used with %s (the installer stops)", c->name, o->name,
                     p->name);
        }
        if (!strcmp(o->name, "--iscrypted"))
            iscrypted = 1;
        if (!strcmp(o->name, "--ip"))
            have_ip = 1;
        if (!strcmp(o->name, "--bootproto") && args[i].value &&
            !strcasecmp(args[i].value, "static"))
            static_proto = 1;
        if (!strcmp(o->name, "--novmfsondisk") && (k->flags & C_INSTALL))
            L->novmfsondisk = 1;
        if (!strcmp(o->name, "--alldrives") || !strcmp(o->name, "--drives") ||
            !strcmp(o->name, "--firstdisk") || !strcmp(o->name, "--ignoredrives"))
            has_disksel = 1;
    }

    /* Command-specific meaning. */
    if (!strcmp(k->name, "rootpw"))
        check_rootpw(L, line, iscrypted, hang);
    if (!strcmp(k->name, "network") && static_proto && !have_ip)
        addf(L, "ks-bad-value", VN_SEV_WARNING, line, "network --ip", NULL, "an IP address",
             "network: --bootproto=static without --ip");
    if (!strcmp(k->name, "clearpart") && !has_disksel)
        addf(L, "ks-bad-value", VN_SEV_ERROR, line, "clearpart", NULL,
             "--alldrives, --firstdisk, --drives= or --ignoredrives=",
             "clearpart: no disk selection (expected --alldrives, --firstdisk, --drives= or "
             "--ignoredrives=; the installer stops)");
    if (!strcmp(k->name, "keyboard") && hang && !keyboard_done && !vn_ks_keyboard(hang)) {
        char v[80];
        shown(v, sizeof(v), hang);
        const char *s = vn_ks_keyboard_suggest(hang);
        if (s)
            addf(L, "ks-bad-value", VN_SEV_WARNING, line, "keyboard", v, s,
                 "keyboard: unknown layout \"%s\" (did you mean '%s'?)", v, s);
        else
            addf(L, "ks-bad-value", VN_SEV_WARNING, line, "keyboard", v, NULL,
                 "keyboard: unknown layout \"%s\" (expected one of %s)", v, vn_ks_keyboard_list());
    }
    if (!strcmp(k->name, "%include") && !L->include_line) {
        L->include_line = line;
        snprintf(L->include_file, sizeof(L->include_file), "%s", hang ? hang : "");
    }

    /* Duplicates. */
    if (k->flags & C_INSTALL) {
        if (L->install) {
            char prev[160];
            snprintf(prev, sizeof(prev), "%s on line %d", L->install->name, L->install_line);
            addf(L, "ks-duplicate-command", VN_SEV_ERROR, line, c->name, c->name, NULL,
                 "%s: only one of install, upgrade and installorupgrade may be given (already "
                 "%s; the installer stops)",
                 c->name, prev);
        } else {
            L->install = k;
            L->install_line = line;
            if (!strcmp(k->name, "upgrade"))
                L->upgrade = 1;
        }
    } else if (!(k->flags & C_MULTIPLE) && L->seen[idx]) {
        addf(L, "ks-duplicate-command", VN_SEV_WARNING, line, c->name, c->name, NULL,
             "%s is already given on line %d; the installer uses this later one", c->name,
             L->seen[idx]);
    }
    if (!L->seen[idx])
        L->seen[idx] = line;

    for (size_t i = 0; i < na; i++)
        free(args[i].key);
    free(args);
}

/* ---- sections ---- */

/* Words that are installer commands and never busybox commands on ESXi: a
 * shell line starting with one is a command in the wrong place. install and
 * upgrade are busybox applets too, so they count only with an installer
 * option. */
static int word_is(const char *w, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(w, name, n) == 0;
}

static const char *misplaced_command(const char *w0, size_t n0, const char *w1, size_t n1)
{
    static const char *const never_shell[] = {
        "vmaccepteula", "accepteula", "rootpw",    "clearpart",   "installorupgrade",
        "network",      "keyboard",   "part",      "partition",   "partitionembed",
        "paranoid",     "dryrun",     "serialnum", "vmserialnum", NULL,
    };
    for (size_t i = 0; never_shell[i]; i++)
        if (word_is(w0, n0, never_shell[i]))
            return never_shell[i];
    if ((word_is(w0, n0, "install") || word_is(w0, n0, "upgrade")) && n1 > 2 &&
        !strncmp(w1, "--", 2)) {
        const ks_cmd *c = find_cmd(word_is(w0, n0, "install") ? "install" : "upgrade");
        char key[128];
        size_t k = 0;
        while (k < n1 && k + 1 < sizeof(key) && w1[k] != '=') {
            key[k] = w1[k];
            k++;
        }
        key[k] = '\0';
        if (find_opt(c, key))
            return c->name;
    }
    return NULL;
}

/* The next blank-separated word of a shell line at *pos: its start, and
 * its length in *n (0 at the end of the line). */
static const char *raw_word(const line_ref *l, size_t *pos, size_t *n)
{
    size_t a = *pos;
    while (a < l->len && is_blank(l->s[a]))
        a++;
    size_t e = a;
    while (e < l->len && !is_blank(l->s[e]))
        e++;
    *pos = e;
    *n = e - a;
    return l->s + a;
}

/* Lints the script body of the section whose header is on line `head`
 * (1-based), lines [from, to) (0-based indices). */
static void lint_body(lint *L, const char *section, int python, int head, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const line_ref *l = &L->lines[i];
        if (!L->crlf_reported && l->len > 0 && l->s[l->len - 1] == '\r') {
            L->crlf_reported = 1;
            addf(L, "ks-crlf", VN_SEV_WARNING, (int)i + 1, section, "CRLF", "LF",
                 "%s: the script has CRLF line endings; the shell sees a carriage return at "
                 "the end of every command (convert the file with dos2unix)",
                 section);
        }
        int ascii;
        if (!L->utf8_reported && !utf8_valid((const unsigned char *)l->s, l->len, &ascii)) {
            L->utf8_reported = 1;
            addf(L, "ks-syntax", VN_SEV_ERROR, (int)i + 1, section, NULL, "UTF-8 text",
                 "%s: the script is not valid UTF-8 here; the installer stops reading the file",
                 section);
        }
        if (python)
            continue;
        /* The shell sees the command name as its first word. */
        size_t pos = 0, n0, n1;
        const char *w0 = raw_word(l, &pos, &n0);
        const char *w1 = raw_word(l, &pos, &n1);
        const char *cmd = n0 ? misplaced_command(w0, n0, w1, n1) : NULL;
        if (cmd) {
            char key[64];
            snprintf(key, sizeof(key), "%s", cmd);
            addf(L, "ks-section-order", VN_SEV_WARNING, (int)i + 1, key, section, NULL,
                 "%s inside the %s section begun on line %d runs as a shell command, not as an "
                 "installer command; move it above the first %%pre/%%post/%%firstboot",
                 cmd, section, head);
        }
    }
}

/* Handles a section header line; returns the index of the first line after
 * its body. */
static size_t lint_section(lint *L, size_t i, char **words, int nwords, const ks_cmd *c)
{
    /* The header's own arguments (the body is not one of them here). */
    lint_command(L, (int)i + 1, words, nwords, c);
    int python = 0;
    for (int w = 1; w < nwords; w++)
        if (!strcmp(words[w], "--interpreter=python"))
            python = 1;
    if (!strcmp(c->name, "%firstboot") && !L->firstboot_line) {
        L->firstboot_line = (int)i + 1;
        addf(L, "ks-firstboot-secure-boot", VN_SEV_INFO, (int)i + 1, "%firstboot", NULL, NULL,
             "%%firstboot does not run when the VM boots with UEFI Secure Boot (keep "
             "uefi.secureBoot.enabled = FALSE, or customize through the API instead)");
    }
    size_t j = i + 1;
    while (j < L->nlines && !starts_keyword(L->lines[j].s, L->lines[j].len))
        j++;
    lint_body(L, c->name, python, (int)i + 1, i + 1, j);
    /* An include line ends the script: what follows is read as commands. */
    if (j < L->nlines) {
        const char *kw = starts_keyword(L->lines[j].s, L->lines[j].len);
        if (!strcmp(kw, "%include") || !strcmp(kw, "include")) {
            char **w = NULL;
            const char *why;
            int n = vn_ks_split(L->lines[j].s, L->lines[j].len, &w, &why);
            int exact = n > 0 && (!strcmp(w[0], "%include") || !strcmp(w[0], "include"));
            vn_ks_words_free(w);
            char cur[80];
            shown(cur, sizeof(cur), exact ? kw : "include...");
            addf(L, "ks-section-order", VN_SEV_WARNING, (int)j + 1, kw, cur, NULL,
                 "%s: a line starting with \"%s\" ends the %s script begun on line %zu; the "
                 "installer reads the lines after it as installer commands%s",
                 c->name, kw, c->name, i + 1,
                 exact ? " (put %include in the command section, before the first script)"
                       : " (indent it or rename the variable)");
        }
    }
    return j;
}

/* ---- the whole file ---- */

static void final_checks(lint *L)
{
    int inc = L->include_line;
    char note[400] = "";
    if (inc) {
        char file[80];
        shown(file, sizeof(file), L->include_file);
        snprintf(note, sizeof(note),
                 " (it may come from %s, included on line %d; that file is not checked)", file,
                 inc);
    }
    vn_severity sev = inc ? VN_SEV_INFO : VN_SEV_ERROR;
    const ks_cmd *eula = find_cmd("vmaccepteula");
    const ks_cmd *rootpw = find_cmd("rootpw");
    if (!L->seen[cmd_index(eula)] && !L->upgrade)
        addf(L, "ks-missing-accepteula", sev, 0, "vmaccepteula", NULL, "vmaccepteula",
             "no vmaccepteula command: the installer refuses to run without it%s", note);
    if (!L->seen[cmd_index(rootpw)])
        addf(L, "ks-missing-rootpw", sev, 0, "rootpw", NULL, "rootpw --iscrypted HASH",
             "no rootpw command: the installer requires a root password%s", note);
    if (!L->install)
        addf(L, "ks-missing-install", sev, 0, "install", NULL, "install --firstdisk ...",
             "no install, upgrade or installorupgrade command: the install is not "
             "unattended%s",
             note);
    if (L->install && strcmp(L->install->name, "upgrade") != 0 && !L->novmfsondisk) {
        int template_route = L->rel && L->rel->template_clone_ok;
        if (template_route)
            addf(L, "ks-vmfs-on-boot-disk", VN_SEV_WARNING, L->install_line, L->install->name, NULL,
                 "--novmfsondisk",
                 "%s without --novmfsondisk creates a local VMFS datastore on the boot disk; "
                 "on the template route (ESXi %s) every clone would carry its UUID (S9)",
                 L->install->name, L->rel->name);
        else if (!L->rel)
            addf(L, "ks-vmfs-on-boot-disk", VN_SEV_INFO, L->install_line, L->install->name, NULL,
                 "--novmfsondisk",
                 "%s without --novmfsondisk creates a local VMFS datastore on the boot disk: "
                 "fine for a host installed fresh, wrong for a template to clone (S9; give "
                 "--esxi to decide)",
                 L->install->name);
    }
}

static void split_lines(lint *L, const char *text, size_t len)
{
    size_t cap = 16;
    L->lines = vn_xmalloc(cap * sizeof(line_ref));
    L->nlines = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            if (i == len && start == len)
                break; /* no empty line after a final newline */
            if (L->nlines == cap) {
                cap *= 2;
                L->lines = vn_xrealloc(L->lines, cap * sizeof(line_ref));
            }
            L->lines[L->nlines].s = text + start;
            L->lines[L->nlines].len = i - start;
            L->nlines++;
            start = i + 1;
        }
    }
}

/* Findings of one file in line order (stable), whole-file ones (line 0)
 * first. */
static void sort_by_line(vn_findings *f, size_t first)
{
    for (size_t i = first + 1; i < f->n; i++) {
        vn_finding x = f->v[i];
        size_t j = i;
        while (j > first && f->v[j - 1].line > x.line) {
            f->v[j] = f->v[j - 1];
            j--;
        }
        f->v[j] = x;
    }
}

int vn_ks_lint(const char *text, size_t len, const char *name, const vn_release *rel,
               vn_findings *out, vn_error *err)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        return vn_fail_at(err, VN_EINPUT, name, line,
                          "NUL byte (expected a text kickstart file; is this a binary file?)");
    }
    size_t first = out->n;
    lint L;
    memset(&L, 0, sizeof(L));
    L.name = name;
    L.rel = rel;
    L.out = out;
    split_lines(&L, text, len);

    const char *cmd_names[NCOMMANDS + 1];
    size_t nn = 0;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!(commands[i].flags & C_DEPR))
            cmd_names[nn++] = commands[i].name;
    cmd_names[nn] = NULL;

    for (size_t i = 0; i < L.nlines;) {
        const line_ref *l = &L.lines[i];
        int ascii;
        if (!utf8_valid((const unsigned char *)l->s, l->len, &ascii)) {
            addf(&L, "ks-syntax", VN_SEV_ERROR, (int)i + 1, "line", NULL, "UTF-8 text",
                 "the line is not valid UTF-8; the installer stops reading the file here");
            i++;
            continue;
        }
        char **words = NULL;
        const char *why = NULL;
        int cut = 0;
        int n = vn_ks_split_ex(l->s, l->len, &words, &why, &cut);
        if (n < 0) {
            addf(&L, "ks-syntax", VN_SEV_ERROR, (int)i + 1, "line", NULL, NULL,
                 "cannot split the line into words: %s; the installer stops reading the file "
                 "here",
                 why);
            i++;
            continue;
        }
        if (n == 0) {
            vn_ks_words_free(words);
            i++;
            continue;
        }
        if (!ascii) {
            char w[80];
            shown(w, sizeof(w), words[0]);
            addf(&L, "ks-non-ascii", VN_SEV_WARNING, (int)i + 1, w, NULL, NULL,
                 "the command line has non-ASCII characters; the installer warns about them");
        }
        const ks_cmd *c = find_cmd(words[0]);
        if (cut && c && !strcmp(canon(c)->name, "rootpw"))
            addf(&L, "ks-syntax", VN_SEV_WARNING, (int)i + 1, "rootpw", NULL, NULL,
                 "rootpw: a '#' inside a word starts a comment, so the installer cuts the "
                 "password short there; quote the password");
        else if (cut)
            addf(&L, "ks-syntax", VN_SEV_WARNING, (int)i + 1, c ? c->name : "line", NULL, NULL,
                 "a '#' inside a word starts a comment: the installer ignores the rest of the "
                 "line; quote the word");
        if (!c) {
            char w[80];
            shown(w, sizeof(w), words[0]);
            const char *s = vn_ks_suggest(words[0], cmd_names);
            if (s)
                addf(&L, "ks-unknown-command", VN_SEV_WARNING, (int)i + 1, w, w, s,
                     "unknown command \"%s\" (did you mean %s?); the installer skips the line", w,
                     s);
            else
                addf(&L, "ks-unknown-command", VN_SEV_WARNING, (int)i + 1, w, w, NULL,
                     "unknown command \"%s\"%s; the installer skips the line", w,
                     placeholder_hint(words[0]));
            i++;
        } else if (c->flags & C_SECTION) {
            i = lint_section(&L, i, words, n, c);
        } else {
            lint_command(&L, (int)i + 1, words, n, c);
            i++;
        }
        vn_ks_words_free(words);
    }
    final_checks(&L);
    free(L.lines);
    sort_by_line(out, first);
    return VN_OK;
}

int vn_ks_lint_file(const char *path, const vn_release *rel, vn_findings *out, vn_error *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = vn_file_read(path, &data, &len, err);
    if (rc != VN_OK)
        return rc;
    rc = vn_ks_lint(data, len, path, rel, out, err);
    free(data);
    return rc;
}
