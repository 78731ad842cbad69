/* vn_isoapi: libisoburn with libisofs and libburn (ESXi installer ISOs), loaded on first use
 * (see vn_lazylib.h). vn_iso.c includes this instead of the library's
 * headers and calls vn_isoapi_load() at each entry point before the first
 * library call. The list is every library function vnest calls: a new
 * call needs its line here. Generated once from the calls; edit by hand. */
#ifndef VN_ISOAPI_H
#define VN_ISOAPI_H

/* libisofs.h needs these first. */
#include <stdint.h>
#include <sys/types.h>

#include <libisofs/libisofs.h>
#include <libburn/libburn.h>
#include <libisoburn/libisoburn.h>

#include "vn_error.h"
#include "vn_lazylib.h"

#define VN_ISOAPI_FUNCS(X)                                                                         \
    X(burn_disc_free)                                                                              \
    X(burn_drive_get_status)                                                                       \
    X(burn_drive_info_free)                                                                        \
    X(burn_msgs_obtain)                                                                            \
    X(burn_msgs_set_severities)                                                                    \
    X(burn_write_opts_free)                                                                        \
    X(burn_write_opts_new)                                                                         \
    X(burn_write_opts_set_perform_opc)                                                             \
    X(burn_write_opts_set_stdio_fsync)                                                             \
    X(el_torito_seems_boot_info_table)                                                             \
    X(iso_data_source_new_from_file)                                                               \
    X(iso_data_source_unref)                                                                       \
    X(iso_dir_get_children)                                                                        \
    X(iso_dir_iter_free)                                                                           \
    X(iso_dir_iter_next)                                                                           \
    X(iso_error_to_msg)                                                                            \
    X(iso_file_get_old_image_lba)                                                                  \
    X(iso_file_get_stream)                                                                         \
    X(iso_image_add_new_file)                                                                      \
    X(iso_image_get_all_boot_imgs)                                                                 \
    X(iso_image_get_boot_image)                                                                    \
    X(iso_image_get_bootcat)                                                                       \
    X(iso_image_get_root)                                                                          \
    X(iso_image_get_volume_id)                                                                     \
    X(iso_image_import)                                                                            \
    X(iso_image_new)                                                                               \
    X(iso_image_unref)                                                                             \
    X(iso_memory_stream_new)                                                                       \
    X(iso_node_get_gid)                                                                            \
    X(iso_node_get_hidden)                                                                         \
    X(iso_node_get_name)                                                                           \
    X(iso_node_get_parent)                                                                         \
    X(iso_node_get_permissions)                                                                    \
    X(iso_node_get_type)                                                                           \
    X(iso_node_get_uid)                                                                            \
    X(iso_node_remove)                                                                             \
    X(iso_node_set_atime)                                                                          \
    X(iso_node_set_ctime)                                                                          \
    X(iso_node_set_gid)                                                                            \
    X(iso_node_set_hidden)                                                                         \
    X(iso_node_set_mtime)                                                                          \
    X(iso_node_set_permissions)                                                                    \
    X(iso_node_set_uid)                                                                            \
    X(iso_obtain_msgs)                                                                             \
    X(iso_read_image_features_destroy)                                                             \
    X(iso_read_image_features_has_joliet)                                                          \
    X(iso_read_image_features_has_rockridge)                                                       \
    X(iso_read_opts_free)                                                                          \
    X(iso_read_opts_new)                                                                           \
    X(iso_read_opts_set_no_aaip)                                                                   \
    X(iso_read_opts_set_no_md5)                                                                    \
    X(iso_set_msgs_severities)                                                                     \
    X(iso_stream_close)                                                                            \
    X(iso_stream_get_size)                                                                         \
    X(iso_stream_open)                                                                             \
    X(iso_stream_read)                                                                             \
    X(iso_stream_unref)                                                                            \
    X(iso_tree_get_node_path)                                                                      \
    X(isoburn_activate_session)                                                                    \
    X(isoburn_cancel_prepared_write)                                                               \
    X(isoburn_disc_write)                                                                          \
    X(isoburn_drive_aquire)                                                                        \
    X(isoburn_drive_release)                                                                       \
    X(isoburn_drive_wrote_well)                                                                    \
    X(isoburn_finish)                                                                              \
    X(isoburn_igopt_destroy)                                                                       \
    X(isoburn_igopt_new)                                                                           \
    X(isoburn_igopt_set_extensions)                                                                \
    X(isoburn_igopt_set_level)                                                                     \
    X(isoburn_igopt_set_stdio_endsync)                                                             \
    X(isoburn_igopt_set_system_area)                                                               \
    X(isoburn_initialize)                                                                          \
    X(isoburn_prepare_disc)                                                                        \
    X(isoburn_read_image)                                                                          \
    X(isoburn_ropt_destroy)                                                                        \
    X(isoburn_ropt_new)                                                                            \
    X(isoburn_ropt_set_extensions)                                                                 \
    X(isoburn_sync_after_write)
typedef struct vn_isoapi {
#define VN_ISOAPI_SLOT(fn) __typeof__(fn) *fn;
    VN_ISOAPI_FUNCS(VN_ISOAPI_SLOT)
#undef VN_ISOAPI_SLOT
} vn_isoapi;

extern vn_lazylib vn_isoapi_lib;

/* Loads the libraries (once); VN_ERUNTIME naming the package if missing. */
int vn_isoapi_load(vn_error *err);

static inline const vn_isoapi *vn_isoapi_get(void)
{
    return vn_lazylib_table(&vn_isoapi_lib);
}

/* Every call below goes through the table. */
#define burn_disc_free                     (vn_isoapi_get()->burn_disc_free)
#define burn_drive_get_status              (vn_isoapi_get()->burn_drive_get_status)
#define burn_drive_info_free               (vn_isoapi_get()->burn_drive_info_free)
#define burn_msgs_obtain                   (vn_isoapi_get()->burn_msgs_obtain)
#define burn_msgs_set_severities           (vn_isoapi_get()->burn_msgs_set_severities)
#define burn_write_opts_free               (vn_isoapi_get()->burn_write_opts_free)
#define burn_write_opts_new                (vn_isoapi_get()->burn_write_opts_new)
#define burn_write_opts_set_perform_opc    (vn_isoapi_get()->burn_write_opts_set_perform_opc)
#define burn_write_opts_set_stdio_fsync    (vn_isoapi_get()->burn_write_opts_set_stdio_fsync)
#define el_torito_seems_boot_info_table    (vn_isoapi_get()->el_torito_seems_boot_info_table)
#define iso_data_source_new_from_file      (vn_isoapi_get()->iso_data_source_new_from_file)
#define iso_data_source_unref              (vn_isoapi_get()->iso_data_source_unref)
#define iso_dir_get_children               (vn_isoapi_get()->iso_dir_get_children)
#define iso_dir_iter_free                  (vn_isoapi_get()->iso_dir_iter_free)
#define iso_dir_iter_next                  (vn_isoapi_get()->iso_dir_iter_next)
#define iso_error_to_msg                   (vn_isoapi_get()->iso_error_to_msg)
#define iso_file_get_old_image_lba         (vn_isoapi_get()->iso_file_get_old_image_lba)
#define iso_file_get_stream                (vn_isoapi_get()->iso_file_get_stream)
#define iso_image_add_new_file             (vn_isoapi_get()->iso_image_add_new_file)
#define iso_image_get_all_boot_imgs        (vn_isoapi_get()->iso_image_get_all_boot_imgs)
#define iso_image_get_boot_image           (vn_isoapi_get()->iso_image_get_boot_image)
#define iso_image_get_bootcat              (vn_isoapi_get()->iso_image_get_bootcat)
#define iso_image_get_root                 (vn_isoapi_get()->iso_image_get_root)
#define iso_image_get_volume_id            (vn_isoapi_get()->iso_image_get_volume_id)
#define iso_image_import                   (vn_isoapi_get()->iso_image_import)
#define iso_image_new                      (vn_isoapi_get()->iso_image_new)
#define iso_image_unref                    (vn_isoapi_get()->iso_image_unref)
#define iso_memory_stream_new              (vn_isoapi_get()->iso_memory_stream_new)
#define iso_node_get_gid                   (vn_isoapi_get()->iso_node_get_gid)
#define iso_node_get_hidden                (vn_isoapi_get()->iso_node_get_hidden)
#define iso_node_get_name                  (vn_isoapi_get()->iso_node_get_name)
#define iso_node_get_parent                (vn_isoapi_get()->iso_node_get_parent)
#define iso_node_get_permissions           (vn_isoapi_get()->iso_node_get_permissions)
#define iso_node_get_type                  (vn_isoapi_get()->iso_node_get_type)
#define iso_node_get_uid                   (vn_isoapi_get()->iso_node_get_uid)
#define iso_node_remove                    (vn_isoapi_get()->iso_node_remove)
#define iso_node_set_atime                 (vn_isoapi_get()->iso_node_set_atime)
#define iso_node_set_ctime                 (vn_isoapi_get()->iso_node_set_ctime)
#define iso_node_set_gid                   (vn_isoapi_get()->iso_node_set_gid)
#define iso_node_set_hidden                (vn_isoapi_get()->iso_node_set_hidden)
#define iso_node_set_mtime                 (vn_isoapi_get()->iso_node_set_mtime)
#define iso_node_set_permissions           (vn_isoapi_get()->iso_node_set_permissions)
#define iso_node_set_uid                   (vn_isoapi_get()->iso_node_set_uid)
#define iso_obtain_msgs                    (vn_isoapi_get()->iso_obtain_msgs)
#define iso_read_image_features_destroy    (vn_isoapi_get()->iso_read_image_features_destroy)
#define iso_read_image_features_has_joliet (vn_isoapi_get()->iso_read_image_features_has_joliet)
#define iso_read_image_features_has_rockridge                                                      \
    (vn_isoapi_get()->iso_read_image_features_has_rockridge)
#define iso_read_opts_free              (vn_isoapi_get()->iso_read_opts_free)
#define iso_read_opts_new               (vn_isoapi_get()->iso_read_opts_new)
#define iso_read_opts_set_no_aaip       (vn_isoapi_get()->iso_read_opts_set_no_aaip)
#define iso_read_opts_set_no_md5        (vn_isoapi_get()->iso_read_opts_set_no_md5)
#define iso_set_msgs_severities         (vn_isoapi_get()->iso_set_msgs_severities)
#define iso_stream_close                (vn_isoapi_get()->iso_stream_close)
#define iso_stream_get_size             (vn_isoapi_get()->iso_stream_get_size)
#define iso_stream_open                 (vn_isoapi_get()->iso_stream_open)
#define iso_stream_read                 (vn_isoapi_get()->iso_stream_read)
#define iso_stream_unref                (vn_isoapi_get()->iso_stream_unref)
#define iso_tree_get_node_path          (vn_isoapi_get()->iso_tree_get_node_path)
#define isoburn_activate_session        (vn_isoapi_get()->isoburn_activate_session)
#define isoburn_cancel_prepared_write   (vn_isoapi_get()->isoburn_cancel_prepared_write)
#define isoburn_disc_write              (vn_isoapi_get()->isoburn_disc_write)
#define isoburn_drive_aquire            (vn_isoapi_get()->isoburn_drive_aquire)
#define isoburn_drive_release           (vn_isoapi_get()->isoburn_drive_release)
#define isoburn_drive_wrote_well        (vn_isoapi_get()->isoburn_drive_wrote_well)
#define isoburn_finish                  (vn_isoapi_get()->isoburn_finish)
#define isoburn_igopt_destroy           (vn_isoapi_get()->isoburn_igopt_destroy)
#define isoburn_igopt_new               (vn_isoapi_get()->isoburn_igopt_new)
#define isoburn_igopt_set_extensions    (vn_isoapi_get()->isoburn_igopt_set_extensions)
#define isoburn_igopt_set_level         (vn_isoapi_get()->isoburn_igopt_set_level)
#define isoburn_igopt_set_stdio_endsync (vn_isoapi_get()->isoburn_igopt_set_stdio_endsync)
#define isoburn_igopt_set_system_area   (vn_isoapi_get()->isoburn_igopt_set_system_area)
#define isoburn_initialize              (vn_isoapi_get()->isoburn_initialize)
#define isoburn_prepare_disc            (vn_isoapi_get()->isoburn_prepare_disc)
#define isoburn_read_image              (vn_isoapi_get()->isoburn_read_image)
#define isoburn_ropt_destroy            (vn_isoapi_get()->isoburn_ropt_destroy)
#define isoburn_ropt_new                (vn_isoapi_get()->isoburn_ropt_new)
#define isoburn_ropt_set_extensions     (vn_isoapi_get()->isoburn_ropt_set_extensions)
#define isoburn_sync_after_write        (vn_isoapi_get()->isoburn_sync_after_write)

#endif
