/* vn_streamvmdk: writing a disk as a streamOptimized VMDK, the format an
 * OVA carries (formats.md 3.5-3.7).
 *
 * The output is produced front to back in one pass, so it can go into a
 * pipe or straight into a tar member: the header says the grain directory
 * is at the end (GD_AT_END), then come the embedded descriptor, one
 * compressed-grain marker per grain that holds any non-zero byte (zero
 * grains are skipped and read back as zeros), a GT marker and table after
 * the grains of each table that has any, the GD marker and directory, the
 * footer (the header again with the directory's real offset) and the
 * end-of-stream marker.
 *
 * Grains are compressed as zlib streams (what qemu, open-vmdk and ESXi
 * read) by worker threads, one libdeflate compressor each; the caller's
 * thread reads the source and emits the finished batches in disk order.
 * Memory is a fixed ring of batches, a few per worker, whatever the disk
 * size. */
#ifndef VN_STREAMVMDK_H
#define VN_STREAMVMDK_H

#include <stddef.h>
#include <stdint.h>

#include "vn_blk.h"
#include "vn_error.h"

/* Receives the output in order. Returns VN_OK or fills `err`. */
typedef int (*vn_svmdk_sink)(void *ctx, const void *data, size_t len, vn_error *err);

/* Called after each batch with the source bytes done so far. */
typedef void (*vn_svmdk_progress)(void *ctx, uint64_t done, uint64_t total);

typedef struct vn_svmdk_opts {
    int threads;         /* compressing threads; 0: one per online CPU */
    int level;           /* libdeflate level 1-12; 0: VN_SVMDK_LEVEL */
    const char *adapter; /* ddb.adapterType; NULL: "lsilogic" */
    const char *name;    /* file name in the extent line; NULL: "disk.vmdk" */
    vn_svmdk_progress progress;
    void *progress_ctx;
    /* Optional: 0 when [off, off+len) of the source is known to read as
     * zeros (a hole of a sparse file), 1 otherwise. Holes are then neither
     * read nor scanned, as qemu-img skips them through its block status. */
    int (*maybe_data)(void *ctx, uint64_t off, uint64_t len);
    void *maybe_data_ctx;
} vn_svmdk_opts;

/* The default level: libdeflate 6 gives output no larger than zlib level 6
 * (qemu-img's) on the benchmark data, at a fraction of its time. */
#define VN_SVMDK_LEVEL 6

typedef struct vn_svmdk_result {
    uint64_t capacity;  /* virtual size in bytes (source size rounded up to sectors) */
    uint64_t written;   /* bytes handed to the sink */
    uint64_t populated; /* bytes of the grains stored (non-zero grains x grain size) */
    uint64_t grains;    /* non-zero grains stored */
} vn_svmdk_result;

/* Writes `src` (read from offset 0 to its size) as a streamOptimized VMDK to
 * `sink`. `res` may be NULL. A read error of the source or an error of the
 * sink stops the writer and is returned as it came. */
int vn_svmdk_write(vn_blk *src, const vn_svmdk_opts *opts, vn_svmdk_sink sink, void *sink_ctx,
                   vn_svmdk_result *res, vn_error *err);

/* A sink that writes to file descriptor `*(int *)ctx` (errors name
 * "output"). */
int vn_svmdk_fd_sink(void *ctx, const void *data, size_t len, vn_error *err);

#endif
