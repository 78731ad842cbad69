#include "cmd_iso_common.h"

json_t *iso_boot_json(const vn_iso_info *info)
{
    json_t *a = json_array();
    char buf[8];
    for (int i = 0; i < info->nboot; i++) {
        const vn_iso_boot *b = &info->boot[i];
        json_t *o = json_object();
        json_object_set_new(o, "platform", json_string(vn_iso_platform_name(b->platform, buf)));
        json_object_set_new(o, "platform_id", json_integer(b->platform));
        json_object_set_new(o, "image", b->path[0] ? json_string(b->path) : json_null());
        json_object_set_new(o, "emulation", json_string(vn_iso_media_name(b->media)));
        json_object_set_new(o, "bootable", json_boolean(b->bootable));
        json_object_set_new(o, "load_segment", json_integer(b->load_seg));
        json_object_set_new(o, "load_size", json_integer(b->load_size));
        json_object_set_new(o, "boot_info_table", json_boolean(b->boot_info_table));
        json_object_set_new(o, "lba", json_integer(b->lba));
        json_array_append_new(a, o);
    }
    return a;
}
