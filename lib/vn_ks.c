/* Kickstart helpers shared by the generator and the linter: the rule table,
 * the installer's word splitting, did-you-mean, keyboard names, crypt hash
 * shapes. */
#include "vn_ks.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ALL  VN_REL_ALL
#define ANY  VN_ROLE_ANY
#define KS   VN_SURF_KS
#define ERR  VN_SEV_ERROR
#define WARN VN_SEV_WARNING
#define INFO VN_SEV_INFO

/* Severities are the highest a rule reports; single findings may be lower
 * (the installer treats most grammar problems as warnings, a few as errors). */
static const vn_rule ks_rules[] = {
    {"ks-syntax", "", ERR, ALL, ANY, KS,
     "every command line splits into words (balanced quotes, valid UTF-8)",
     "the installer stops reading the file at a line it cannot split or decode"},
    {"ks-non-ascii", "", WARN, ALL, ANY, KS, "command lines are plain ASCII",
     "the installer warns about non-ASCII characters in a command line"},
    {"ks-crlf", "", WARN, ALL, ANY, KS, "script sections have LF line endings",
     "the installer hands %pre/%post/%firstboot bodies to the shell as written; a carriage "
     "return at the end of each line becomes part of every command"},
    {"ks-unknown-command", "", WARN, ALL, ANY, KS, "only commands the ESXi installer knows",
     "the installer skips an unknown command with a warning, so a misspelled command silently "
     "does nothing"},
    {"ks-deprecated-command", "", WARN, ALL, ANY, KS, "no deprecated or unused commands",
     "the installer ignores deprecated (ESX 3/4 era) and unused commands with a warning"},
    {"ks-unknown-option", "", WARN, ALL, ANY, KS,
     "only options and arguments the command knows, for the release installed",
     "the installer skips an unknown argument with a warning, so a misspelled option silently "
     "does nothing"},
    {"ks-bad-value", "", ERR, ALL, ANY, KS, "option values of the form the installer expects",
     "the installer ignores an option with a missing or malformed value (or stops, for an "
     "interpreter or a serial number)"},
    {"ks-option-conflict", "", ERR, ALL, ANY, KS, "no options that exclude each other",
     "the installer stops when a command has options that exclude each other"},
    {"ks-duplicate-command", "", ERR, ALL, ANY, KS, "each single-use command given once",
     "the installer keeps only the last of repeated commands, and stops on a second install, "
     "upgrade or installorupgrade"},
    {"ks-missing-accepteula", "", ERR, ALL, ANY, KS, "vmaccepteula (or accepteula) is present",
     "the installer refuses a scripted install that does not accept the EULA"},
    {"ks-missing-rootpw", "", ERR, ALL, ANY, KS, "rootpw is present",
     "the installer requires a root password in the file"},
    {"ks-missing-install", "", ERR, ALL, ANY, KS,
     "one of install, upgrade or installorupgrade is present",
     "without it the installer has no target disk and falls back to asking, so the install is "
     "not unattended"},
    {"ks-cleartext-rootpw", "", WARN, ALL, ANY, KS, "rootpw --iscrypted with a crypt(3) hash",
     "a clear-text root password is readable by anyone who can read the ISO, the web server or "
     "the repository holding the file"},
    {"ks-rootpw-hash", "", ERR, ALL, ANY, KS,
     "rootpw --iscrypted is followed by an MD5, SHA-256 or SHA-512 crypt(3) hash",
     "anything else is stored as the hash itself and no password opens the host"},
    {"ks-section-order", "", WARN, ALL, ANY, KS,
     "installer commands come before the first %pre/%post/%firstboot section",
     "a section runs until the next section header, %include or include line, so a command "
     "after a header is a shell line of that script, and lines after an %include inside a "
     "section are read as installer commands"},
    {"ks-firstboot-secure-boot", "", INFO, ALL, ANY, KS,
     "the VM boots without UEFI Secure Boot when the file uses %firstboot",
     "ESXi skips %firstboot scripts when UEFI Secure Boot is enabled"},
    {"ks-vmfs-on-boot-disk", "S9", WARN, ALL, ANY, KS,
     "install --novmfsondisk on the template route (ESXi 7.0 U1 and older)",
     "a VMFS datastore gets a UUID when it is created; every clone of the template carries the "
     "same one and vCenter refuses the second datastore with that UUID"},
};

size_t vn_ks_rule_count(void)
{
    return sizeof(ks_rules) / sizeof(ks_rules[0]);
}

const vn_rule *vn_ks_rule_at(size_t i)
{
    return i < vn_ks_rule_count() ? &ks_rules[i] : NULL;
}

const vn_rule *vn_ks_rule_find(const char *id)
{
    for (size_t i = 0; i < vn_ks_rule_count(); i++)
        if (strcmp(ks_rules[i].id, id) == 0)
            return &ks_rules[i];
    return NULL;
}

/* ---- word splitting (Python shlex.split(line, comments=True)) ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void vn_ks_words_free(char **words)
{
    if (!words)
        return;
    for (char **w = words; *w; w++)
        free(*w);
    free(words);
}

static void push_word(char ***words, size_t *n, size_t *cap, vn_buf *word)
{
    if (*n + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *words = vn_xrealloc(*words, *cap * sizeof(**words));
    }
    vn_buf_add(word, "", 0);
    (*words)[(*n)++] = vn_buf_detach(word, NULL);
    (*words)[*n] = NULL;
}

int vn_ks_split(const char *s, size_t len, char ***out, const char **why)
{
    return vn_ks_split_ex(s, len, out, why, NULL);
}

int vn_ks_split_ex(const char *s, size_t len, char ***out, const char **why, int *cut)
{
    if (cut)
        *cut = 0;
    char **words = NULL;
    size_t n = 0, cap = 0, i = 0;
    vn_buf word = VN_BUF_INIT;
    *out = NULL;
    for (;;) {
        while (i < len && is_space(s[i]))
            i++;
        if (i >= len || s[i] == '#')
            break;
        int quoted = 0, end_line = 0;
        vn_buf_reset(&word);
        while (i < len && !is_space(s[i])) {
            char c = s[i];
            if (c == '#') { /* a comment starts even inside a word */
                end_line = 1;
                if (cut && (word.len > 0 || quoted))
                    *cut = 1;
                break;
            }
            if (c == '\\') {
                if (i + 1 >= len) {
                    *why = "no escaped character after the final backslash";
                    goto fail;
                }
                vn_buf_addc(&word, s[i + 1]);
                i += 2;
            } else if (c == '\'') {
                const char *q = memchr(s + i + 1, '\'', len - i - 1);
                if (!q) {
                    *why = "no closing quotation";
                    goto fail;
                }
                vn_buf_add(&word, s + i + 1, (size_t)(q - (s + i + 1)));
                i = (size_t)(q - s) + 1;
                quoted = 1;
            } else if (c == '"') {
                i++;
                for (;;) {
                    if (i >= len) {
                        *why = "no closing quotation";
                        goto fail;
                    }
                    if (s[i] == '"')
                        break;
                    if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\')) {
                        vn_buf_addc(&word, s[i + 1]);
                        i += 2;
                    } else {
                        vn_buf_addc(&word, s[i++]);
                    }
                }
                i++;
                quoted = 1;
            } else {
                vn_buf_addc(&word, c);
                i++;
            }
        }
        if (word.len > 0 || quoted)
            push_word(&words, &n, &cap, &word);
        if (end_line)
            break;
    }
    vn_buf_free(&word);
    *out = words;
    return (int)n;
fail:
    vn_buf_free(&word);
    vn_ks_words_free(words);
    return -1;
}

/* ---- did you mean ---- */

static size_t bounded_distance(const char *a, const char *b, size_t limit);

size_t vn_ks_distance(const char *a, const char *b)
{
    return bounded_distance(a, b, (size_t)-1);
}

/* The distance, or any value above `limit` as soon as it must exceed it. */
static size_t bounded_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 256 || lb > 256) /* no word we compare is that long */
        return la > lb ? la : lb;
    /* Three rows of the dynamic programme: i-2, i-1, i. */
    size_t rows[3 * 257] = {0};
    size_t *pp = rows, *p = rows + lb + 1, *c = rows + 2 * (lb + 1);
    for (size_t j = 0; j <= lb; j++)
        p[j] = j;
    for (size_t i = 1; i <= la; i++) {
        c[0] = i;
        size_t row_min = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = p[j] + 1;
            if (c[j - 1] + 1 < best)
                best = c[j - 1] + 1;
            if (p[j - 1] + cost < best)
                best = p[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            c[j] = best;
            if (best < row_min)
                row_min = best;
        }
        if (row_min > limit) /* every later row is at least as far */
            return limit + 1;
        size_t *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb];
}

const char *vn_ks_suggest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t len = strlen(word);
    size_t limit = len >= 5 ? 2 : 1;
    for (size_t i = 0; cands && cands[i]; i++) {
        if (strcasecmp(word, cands[i]) == 0)
            return cands[i];
        /* The distance is at least the difference in length: skip the
         * candidates that cannot be close enough. */
        size_t lc = strlen(cands[i]);
        if ((len > lc ? len - lc : lc - len) > limit)
            continue;
        size_t d = bounded_distance(word, cands[i], limit);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best && best_d <= limit && best_d < len ? best : NULL;
}

/* ---- keyboards ---- */

/* The layout names of the installer's keyboard command (VMware install
 * guides, "Installation and Upgrade Script Commands"). */
static const char *const keyboards[] = {
    "Belgian",   "Brazilian",      "Croatian",   "Czechoslovakian", "Danish",       "Estonian",
    "Finnish",   "French",         "German",     "Greek",           "Icelandic",    "Italian",
    "Japanese",  "Latin American", "Norwegian",  "Polish",          "Portuguese",   "Russian",
    "Slovenian", "Spanish",        "Swedish",    "Swiss French",    "Swiss German", "Turkish",
    "Ukrainian", "United Kingdom", "US Default", "US Dvorak",       NULL,
};

const char *vn_ks_keyboard(const char *name)
{
    for (size_t i = 0; name && keyboards[i]; i++)
        if (strcasecmp(name, keyboards[i]) == 0)
            return keyboards[i];
    return NULL;
}

const char *vn_ks_keyboard_suggest(const char *name)
{
    return name ? vn_ks_suggest(name, keyboards) : NULL;
}

const char *vn_ks_keyboard_list(void)
{
    static char list[512];
    if (!list[0]) {
        size_t used = 0;
        for (size_t i = 0; keyboards[i]; i++) {
            int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", keyboards[i]);
            if (n < 0 || (size_t)n >= sizeof(list) - used)
                break;
            used += (size_t)n;
        }
    }
    return list;
}

/* ---- hashes ---- */

static int crypt_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '/';
}

int vn_ks_is_crypt_hash(const char *s)
{
    if (!s || s[0] != '$' || !strchr("156", s[1]) || s[1] == '\0' || s[2] != '$')
        return 0;
    const char *p = s + 3;
    if (s[1] != '1' && strncmp(p, "rounds=", 7) == 0) {
        p += 7;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p++ != '$')
            return 0;
    }
    size_t salt = 0;
    while (p[salt] && p[salt] != '$') {
        if (!crypt_char(p[salt]))
            return 0;
        salt++;
    }
    if (salt == 0 || salt > 16 || p[salt] != '$')
        return 0;
    p += salt + 1;
    /* Encoded digest lengths: MD5 22, SHA-256 43, SHA-512 86 characters. */
    size_t want = s[1] == '1' ? 22 : s[1] == '5' ? 43 : 86;
    size_t n = 0;
    while (p[n]) {
        if (!crypt_char(p[n]))
            return 0;
        n++;
    }
    return n == want;
}
