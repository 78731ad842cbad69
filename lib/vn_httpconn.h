/* vn_httpconn: one TCP connection, with TLS when asked, for vn_http.
 *
 * vn_http speaks HTTP/1.1 itself over these connections instead of going
 * through libcurl: a vSphere client needs one keep-alive connection to one
 * server, and libcurl's per-request work and the 25 shared libraries it
 * pulls in were most of vnest's client CPU (BENCHMARKS.md, issue 3).
 *
 * Trust (vn_trust), checked during the handshake:
 *  - insecure: nothing is verified;
 *  - pinned (a SHA-256 or SHA-1 digest of the leaf certificate's DER): the
 *    leaf must have exactly that digest, whatever the CA chain and the host
 *    name say;
 *  - otherwise the chain must lead to the CA file (or the system store) and
 *    the certificate must name the host (DNS name or IP address).
 * Whatever the mode, the leaf's thumbprints are recorded in the diagnosis,
 * so a refusal can tell the user what to pin.
 *
 * Sessions: every connection made from one vn_tlsctx offers the newest TLS
 * session the server gave that context, so the connections of a pool (and
 * reconnects) resume instead of repeating the full handshake.
 *
 * Sockets are non-blocking; every call takes an absolute deadline
 * (vn_now_ms() based) and fails with VN_CONN_TIMEOUT past it. Writes never
 * raise SIGPIPE. */
#ifndef VN_HTTPCONN_H
#define VN_HTTPCONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum vn_conn_status {
    VN_CONN_OK,
    VN_CONN_RESOLVE,       /* the host name does not resolve */
    VN_CONN_CONNECT,       /* TCP connect failed (detail: strerror) */
    VN_CONN_TIMEOUT,       /* the deadline passed */
    VN_CONN_UNTRUSTED,     /* chain not trusted (detail: OpenSSL's reason) */
    VN_CONN_NAME_MISMATCH, /* the certificate does not name the host */
    VN_CONN_PIN_MISMATCH,  /* the leaf is not the pinned certificate */
    VN_CONN_CA_FILE,       /* the CA file cannot be used */
    VN_CONN_TLS,           /* another handshake failure */
    VN_CONN_CLOSED,        /* the peer closed the connection */
    VN_CONN_IO,            /* a read or write failed (detail: strerror) */
} vn_conn_status;

typedef struct vn_conn_diag {
    vn_conn_status status;
    char detail[256];
    char seen256[96]; /* the leaf's thumbprints, "AA:BB:...", when one was seen */
    char seen1[64];
} vn_conn_diag;

typedef struct vn_trust {
    int insecure;
    const char *ca_file; /* PEM bundle, or NULL for the system store */
    const unsigned char *pin;
    size_t pin_len; /* 0: no pin; 20: SHA-1; 32: SHA-256 */
} vn_trust;

typedef struct vn_tlsctx vn_tlsctx;
typedef struct vn_conn vn_conn;

/* Milliseconds of a monotonic clock, for deadlines. */
int64_t vn_now_ms(void);

/* "AA:BB:..." of n bytes into out (at least 3n bytes), "" when it does not fit. */
void vn_hex_colon(const unsigned char *md, size_t n, char *out, size_t len);

/* A TLS client context for one server and one trust setting, shared
 * (reference counted, thread-safe) by a vn_http and its dups. NULL with the
 * diagnosis (VN_CONN_CA_FILE, VN_CONN_TLS) when it cannot be made. */
vn_tlsctx *vn_tlsctx_new(const vn_trust *trust, vn_conn_diag *diag);
void vn_tlsctx_ref(vn_tlsctx *t);
void vn_tlsctx_unref(vn_tlsctx *t);

/* Connects to host (a name or an IP address, without brackets) and port,
 * then, with `tls`, shakes hands and verifies. NULL on failure, with the
 * diagnosis. */
vn_conn *vn_conn_open(const char *host, const char *port, vn_tlsctx *tls, int64_t deadline,
                      vn_conn_diag *diag);
void vn_conn_close(vn_conn *c);

/* Writes all of data. 0, or -1 with the diagnosis. */
int vn_conn_write(vn_conn *c, const void *data, size_t len, int64_t deadline, vn_conn_diag *diag);

/* Reads what is there (waiting for at least one byte): the count, 0 at the
 * peer's end of stream, -1 with the diagnosis. */
ssize_t vn_conn_read(vn_conn *c, void *buf, size_t len, int64_t deadline, vn_conn_diag *diag);

/* 1 when an idle connection can no longer be used (the peer closed it or
 * sent something unasked), so the caller reconnects before a request. */
int vn_conn_stale(vn_conn *c);

/* 1 when the handshake resumed an earlier session. */
int vn_conn_resumed(vn_conn *c);

/* The server certificate's thumbprints (after a handshake), "" if none. */
void vn_conn_thumbprints(vn_conn *c, char *sha256, size_t n256, char *sha1, size_t n1);

#endif
