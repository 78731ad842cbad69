/* libFuzzer target for vn_probe_parse_cpuinfo: /proc/cpuinfo is text from
 * outside vnest (and tests or containers may substitute their own), so the
 * parser must take any bytes without reading past them or overflowing the
 * fixed fields it fills. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A field must hold a terminated, printable string within its array. */
static void check_field(const char *f, size_t cap)
{
    const char *end = memchr(f, '\0', cap);
    if (!end)
        abort();
    for (const char *c = f; c < end; c++)
        if (*c < 0x20 || *c > 0x7e)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, not NUL-terminated, so ASan catches any read past
     * `len`. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);

    vn_probe p;
    memset(&p, 0x55, sizeof(p)); /* the parser must set every field it owns */
    int flags = vn_probe_parse_cpuinfo(&p, text, size);
    if (flags != 0 && flags != 1)
        abort();
    check_field(p.cpu_vendor, sizeof(p.cpu_vendor));
    check_field(p.cpu_model, sizeof(p.cpu_model));
    if (p.cpu_count < 0 || (size_t)p.cpu_count > size)
        abort();
    if ((p.has_vmx | p.has_svm | p.has_hypervisor_flag) & ~1)
        abort();
    /* Flags can only be known from a flags line. */
    if (!flags && (p.has_vmx || p.has_svm || p.has_hypervisor_flag))
        abort();
    free(text);
    return 0;
}
