/* libFuzzer target for the lab file parser (lib/vn_labfile.c).
 *
 * Properties checked (abort() on violation):
 *  - the result is VN_OK or VN_EINPUT, never anything else;
 *  - an error names the file, with ":LINE:COLUMN" (both positive) when it has
 *    a position, and has a message;
 *  - on success the plan is possible: 1 to 1000 hosts, names distinct and
 *    non-empty, an address for every host or for none, a release, at least
 *    one port group, and the route's own requirement (ISO or template);
 *  - parsing is deterministic (the same names and addresses twice). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_error.h"
#include "vn_labfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.yaml"

static void require(int cond)
{
    if (!cond)
        abort();
}

static void check_where(const vn_error *err)
{
    require(!strncmp(err->where, NAME, strlen(NAME)));
    require(err->msg[0] != 0);
    const char *pos = err->where + strlen(NAME);
    if (!*pos)
        return;
    int line = 0, col = 0;
    char rest = 0;
    require(sscanf(pos, ":%d:%d%c", &line, &col, &rest) == 2);
    require(line > 0 && col > 0);
}

static void check_plan(const vn_labfile *lf)
{
    require(lf->name && lf->rel && lf->nportgroups > 0);
    require(lf->count >= 1 && lf->count <= VN_LAB_MAX_HOSTS);
    require(lf->route == VN_LAB_ROUTE_KICKSTART ? lf->iso != NULL : lf->template_name != NULL);
    int with_ip = 0;
    for (int i = 0; i < lf->count; i++) {
        require(lf->hosts[i].name[0] != 0);
        with_ip += lf->hosts[i].ip[0] != 0;
        for (int j = 0; j < i; j++)
            require(strcasecmp(lf->hosts[i].name, lf->hosts[j].name) != 0);
    }
    require(with_ip == 0 || with_ip == lf->count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_labfile a, b;
    vn_error ea = {0}, eb = {0};
    int ra = vn_labfile_parse(NAME, (const char *)data, size, &a, &ea);
    require(ra == VN_OK || ra == VN_EINPUT);
    if (ra != VN_OK) {
        check_where(&ea);
        vn_labfile_free(&a);
        return 0;
    }
    check_plan(&a);
    int rb = vn_labfile_parse(NAME, (const char *)data, size, &b, &eb);
    require(rb == VN_OK && a.count == b.count);
    for (int i = 0; i < a.count; i++)
        require(!strcmp(a.hosts[i].name, b.hosts[i].name) && !strcmp(a.hosts[i].ip, b.hosts[i].ip));
    vn_labfile_free(&a);
    vn_labfile_free(&b);
    return 0;
}
