/* vn_lab_iso: builds the lab's kickstart ISO and uploads it to the
 * datastore (lab->iso_ds_path). */
#ifndef VN_LAB_ISO_H
#define VN_LAB_ISO_H

#include "vn_lab.h"

int vn_lab_iso_prepare(vn_vim *vim, const vn_lab *lab, vn_lab_note note, void *note_ctx,
                       vn_error *err);

#endif
