/* What `iso build` and `iso inspect` share. */
#ifndef VN_CMD_ISO_COMMON_H
#define VN_CMD_ISO_COMMON_H

#include <jansson.h>

#include "vn_iso.h"

/* The El Torito boot entries as a JSON array. */
json_t *iso_boot_json(const vn_iso_info *info);

#endif
