#include "vn_release.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sources: guest ids from open-vm-tools guest_os_tables.h and govmomi's
 * enum list; memory minimums from VMware's install guides (4 GB for 6.x,
 * 8 GB from 7.0); hardware versions are the ones each release introduced
 * (formats.md 1.6, 1.7). vmkernel65 serves both 6.5 and 6.7. */
static const vn_release releases[VN_ESXI_COUNT] = {
    {VN_ESXI_60, "6.0", "vmkernel6", "vmkernel6Guest", 4096, 11, 1},
    {VN_ESXI_65, "6.5", "vmkernel65", "vmkernel65Guest", 4096, 13, 1},
    {VN_ESXI_67, "6.7", "vmkernel65", "vmkernel65Guest", 4096, 14, 1},
    {VN_ESXI_70, "7.0", "vmkernel7", "vmkernel7Guest", 8192, 17, 1},
    {VN_ESXI_70U1, "7.0U1", "vmkernel7", "vmkernel7Guest", 8192, 18, 1},
    {VN_ESXI_70U2, "7.0U2+", "vmkernel7", "vmkernel7Guest", 8192, 19, 0},
    {VN_ESXI_80, "8.0", "vmkernel8", "vmkernel8Guest", 8192, 20, 0},
    {VN_ESXI_90, "9.0", "vmkernel9", "vmkernel9Guest", 8192, 21, 0},
};

const vn_release *vn_release_get(vn_release_id id)
{
    return (unsigned)id < VN_ESXI_COUNT ? &releases[id] : NULL;
}

const char *vn_release_list(void)
{
    return "6.0, 6.5, 6.7, 7.0, 7.0U1, 7.0U2+ (7.0U2, 7.0U3), 8.0 (8.0U1-U3), 9.0";
}

/* Reads 1 to `max` decimal digits at *s into *out, advancing *s; 0 when
 * there are none or more. Bounding the digits keeps "6.10" from reading as
 * 7.0 (major * 10 + minor) and long numbers from wrapping around. */
static int read_part(const char **s, int max, int *out)
{
    int n = 0, len = 0;
    while (isdigit((unsigned char)**s)) {
        if (++len > max)
            return 0;
        n = n * 10 + (*(*s)++ - '0');
    }
    *out = n;
    return len > 0;
}

/* Splits "7.0U3" into major 7, minor 0, update 3; "8" is 8.0 with no update.
 * Returns 0 when the text is not of that shape. */
static int split_version(const char *s, int *major, int *minor, int *update)
{
    *minor = 0;
    *update = 0;
    if (!read_part(&s, 2, major))
        return 0;
    if (*s == '.') {
        s++;
        if (!read_part(&s, 1, minor))
            return 0;
    }
    if (*s == 'u' || *s == 'U') {
        s++;
        if (!read_part(&s, 2, update))
            return 0;
        if (*s == '+')
            s++;
    }
    return *s == '\0';
}

static const vn_release *release_for(int major, int minor, int update)
{
    switch (major * 10 + minor) {
    case 60:
        return &releases[VN_ESXI_60];
    case 65:
        return &releases[VN_ESXI_65];
    case 67:
        return &releases[VN_ESXI_67];
    case 70:
        if (update >= 2)
            return &releases[VN_ESXI_70U2];
        return &releases[update == 1 ? VN_ESXI_70U1 : VN_ESXI_70];
    case 80:
        return &releases[VN_ESXI_80];
    case 90:
        return &releases[VN_ESXI_90];
    default:
        return NULL;
    }
}

const vn_release *vn_release_parse(const char *text, const char *where, vn_error *err)
{
    int major, minor, update;
    const vn_release *r = NULL;
    if (text && split_version(text, &major, &minor, &update))
        r = release_for(major, minor, update);
    if (!r)
        vn_fail(err, VN_EINPUT, where, "unknown ESXi release \"%s\" (expected one of %s)",
                text ? text : "", vn_release_list());
    return r;
}

const vn_release *vn_release_from_guest(const char *guest_os)
{
    if (!guest_os)
        return NULL;
    /* Newest first, so a shared guest type maps to the newest release of
     * its family; the API form only adds the "Guest" suffix. */
    for (int i = VN_ESXI_COUNT - 1; i >= 0; i--) {
        if (strcasecmp(guest_os, releases[i].guest_os) == 0 ||
            strcasecmp(guest_os, releases[i].guest_id) == 0)
            return &releases[i];
    }
    return NULL;
}

void vn_release_mask_text(unsigned mask, char *out, size_t n)
{
    if (mask == VN_REL_ALL) {
        snprintf(out, n, "all");
        return;
    }
    int first = -1, last = -1;
    for (int r = 0; r < VN_ESXI_COUNT; r++)
        if (mask & VN_REL(r)) {
            if (first < 0)
                first = r;
            last = r;
        }
    snprintf(out, n, "%s..%s", vn_release_get((vn_release_id)first)->name,
             vn_release_get((vn_release_id)last)->name);
}
