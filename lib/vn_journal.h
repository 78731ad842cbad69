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
#include <stdint.h>

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

/* ---- the files of an image ----
 *
 * A disk image can be several files (a VMDK descriptor and its extents),
 * and writing through a sparse VMDK does more than overwrite blocks: it
 * appends grains and grain tables to the extent file and points table
 * entries at them. Journaling the virtual disk would miss all of that, so
 * this journal sits one level lower, under the VMDK code, on the files
 * themselves: every byte physically written is covered, whatever the
 * format.
 *
 *   - vn_journal_begin() names the journal; vn_journal_file() opens one file
 *     of the image through it (vn_vmdk_open_with takes it as its opener).
 *     Every file must lie in the journal's folder (resolved): the journal
 *     records plain file names, and recovery opens only plain names beside
 *     it (not following a symbolic link), so a journal planted beside an
 *     image can never make vnest write anywhere else.
 *   - The first write to any file creates the journal: a header and the
 *     table of every file opened so far with its original length, fsynced
 *     (and the directory) before that write. Files cannot join later.
 *   - A write below a file's original length first saves the original
 *     4 KiB blocks it touches (once each) and fsyncs the journal; a write
 *     past it (an appended grain) saves nothing: recovery truncates the file
 *     back to its original length, which removes it.
 *   - vn_journal_end() fsyncs every written file, then removes the journal.
 *   - vn_journal_recover_files() restores the saved blocks (last first),
 *     truncates every file to its recorded length, fsyncs, and removes the
 *     journal. It can run again after a crash of its own.
 *
 * Journal file, little-endian:
 *   header  "VNJRNL02" | u32 block size | u32 file count | u32 crc
 *   file    "VNJF" | u32 index | u64 original length | u32 name length |
 *           u32 crc | name  (a file in the journal's folder)
 *   block   "VNJB" | u32 length | u64 offset | u32 file index | u32 crc |
 *           data[length]
 * A torn or bad file table means no file was written yet: recovery just
 * removes the journal. The same crash points as above apply. */
typedef struct vn_journal vn_journal;

/* Refuses (VN_ERUNTIME) when `journal_path` exists: recover first. */
int vn_journal_begin(const char *journal_path, vn_journal **out, vn_error *err);

/* Opens `path` (a regular file beside the journal; VN_EINPUT otherwise)
 * as a device whose writes are journaled;
 * with writable = 0 it is a plain read-only raw device. The signature is
 * vn_vmdk_open_with's opener, `ctx` being the vn_journal. */
int vn_journal_file(void *ctx, const char *path, int writable, vn_blk **out, vn_error *err);

/* Makes the new state final (see above); the files stay usable and a
 * later write starts a new journal. */
int vn_journal_end(vn_journal *j, vn_error *err);

/* Bytes of original data read to save them, and bytes written to the
 * journal file, since vn_journal_begin. */
void vn_journal_stats(const vn_journal *j, uint64_t *saved_read, uint64_t *journal_written);

/* Closes the journal and its files without committing: a journal that was
 * started stays for recovery. Devices from vn_journal_file must not be
 * used afterwards (closing them is still fine). */
void vn_journal_free(vn_journal *j);

/* Rolls back an interrupted run of the above; *recovered (may be NULL) is
 * 1 when a journal was found and removed. A file of another kind, a name
 * that is not a plain file name, a file that is missing, a symbolic link or
 * shorter than recorded is VN_EINPUT and the journal is left in place. */
int vn_journal_recover_files(const char *journal_path, int *recovered, vn_error *err);

#endif
