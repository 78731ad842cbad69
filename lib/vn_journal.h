/* vn_journal: an undo journal that makes writes to a disk image crash-safe.
 *
 * vn_journal_open() wraps a writable device. Before the first write to any
 * 4 KiB block through the wrapper, the block's original contents are
 * appended to the journal file (with its offset, length and a CRC-32) and
 * the journal is fsynced; only then is the target written. Each block is
 * saved once. vn_journal_commit() flushes the target and removes the
 * journal (and fsyncs its directory): the new state is complete. Closing the
 * wrapper without committing leaves the journal, so a later
 * vn_journal_recover() rolls the image back to its original bytes.
 *
 * Journal file ("IMAGE.vnest-journal"), all integers little-endian:
 *   header  "VNJRNL01" | u32 block size | u32 0 | u64 target size | u32 crc
 *   record  "VNJB" | u32 length | u64 offset | u32 crc | data[length]
 * The record crc covers length, offset and data. A record cut short or with
 * a bad crc can only be the last one (a crash while appending); it is
 * ignored, since its block was never written (the journal is fsynced before
 * every target write).
 *
 * Test hooks (vn_crash_point): "journal-before-target-write",
 * "journal-after-target-write", "journal-torn-record" (half a record
 * appended) and "journal-before-remove" (commit, target flushed). With
 * VNEST_CRASH_COUNT=N the process dies at the N-th occurrence of the point
 * named by VNEST_CRASH_AT instead of the first. */
#ifndef VN_JOURNAL_H
#define VN_JOURNAL_H

#include <stddef.h>

#include "vn_blk.h"
#include "vn_buf.h"
#include "vn_error.h"

#define VN_JOURNAL_BLOCK 4096u

/* Opens a journaled view of `target` (which must be writable and outlive
 * the view; closing the view does not close it). The journal file is
 * created at the first write. Refuses (VN_ERUNTIME) when `journal_path`
 * already exists: an interrupted run must be recovered first. */
int vn_journal_open(vn_blk *target, const char *journal_path, vn_blk **out, vn_error *err);

/* Makes the new state final: flushes the target, removes the journal and
 * fsyncs its directory. The view stays usable; a later write starts a new
 * journal. `j` must come from vn_journal_open. */
int vn_journal_commit(vn_blk *j, vn_error *err);

/* Rolls back an interrupted run: when `journal_path` exists, writes every
 * saved block back to `target` (last saved first), flushes, removes the
 * journal. *recovered (may be NULL) is 1 when a journal was rolled back, 0
 * when there was none. A journal that is not one, or that was made for a
 * device of another size, is VN_EINPUT and is left in place. */
int vn_journal_recover(vn_blk *target, const char *journal_path, int *recovered, vn_error *err);

/* Sets buf to "IMAGE.vnest-journal" and returns buf->data. */
const char *vn_journal_path(const char *image_path, vn_buf *buf);

#endif
