/* vn_http: HTTPS transport for the vSphere client: HTTP/1.1 over OpenSSL
 * (lib/vn_httpconn.c), no libcurl.
 *
 * One vn_http is one keep-alive connection; a bounded pool for parallel
 * work is made with vn_http_dup(), whose handles share the session cookie
 * and the TLS context (so their connections resume the TLS session).
 * Proxies are not used: vSphere clients talk to vCenter directly.
 *
 * TLS verification is on by default. Trust comes from, in order: a pinned
 * certificate thumbprint (explicit, or from a govc-compatible known_hosts
 * file: lines "host[:port] AA:BB:..." with a SHA-256 or SHA-1 thumbprint of
 * the DER certificate; port 443 by default), else the CA file, else the
 * system store. A pinned host must match its pin, whatever the CA says (and
 * whatever host name the certificate names). `insecure` turns verification
 * off, pins included (the caller warns the user). */
#ifndef VN_HTTP_H
#define VN_HTTP_H

#include <stddef.h>

#include "vn_buf.h"
#include "vn_error.h"

typedef struct vn_tls {
    int insecure;            /* skip certificate verification */
    const char *ca_file;     /* PEM bundle, or NULL for the system store */
    const char *known_hosts; /* path of a govc-style known_hosts file, or NULL; like
                              * GOVC_TLS_KNOWN_HOSTS it may be a ':'-separated list
                              * (a later file wins) and missing files are skipped */
    const char *thumbprint;  /* explicit pin, "AA:BB:..." (SHA-256 or SHA-1), or NULL */
    long timeout_ms;         /* per request; 0 for the default (10 minutes) */
    long connect_timeout_ms; /* 0 for the default (15 s) */
} vn_tls;

typedef struct vn_http vn_http;

/* `base` is "https://host[:port]" (no path). Plain "http://" is accepted
 * only when the environment variable VNEST_ALLOW_HTTP=1 is set (tests), and
 * is otherwise VN_EINPUT. Nothing is sent until the first request, but the
 * known_hosts files are read here. Errors are VN_EINPUT naming `base` (bad
 * URL), "--thumbprint" (bad explicit pin) or "FILE:LINE" (bad known_hosts
 * line). An explicit thumbprint wins over known_hosts; `tls` may be NULL. */
int vn_http_open(vn_http **out, const char *base, const vn_tls *tls, vn_error *err);

/* A second connection sharing cookies (the session), TLS sessions and DNS
 * with `h`; safe to use from another thread. */
int vn_http_dup(vn_http *h, vn_http **out, vn_error *err);

void vn_http_close(vn_http *h);

/* POSTs `body` to `path` with Content-Type text/xml and the SOAPAction
 * header; appends the response body to `resp` (capped at 256 MiB) and
 * stores the HTTP status. Any HTTP status is success here (SOAP faults come
 * with 500); only transport failures are errors (VN_ERUNTIME), with one
 * line naming the host and what to do, e.g.
 *   "cannot connect (Connection refused)"
 *   "certificate not trusted (self-signed certificate): pass --ca-file, add
 *    "vc.lab AA:BB:..." to the GOVC_TLS_KNOWN_HOSTS file, or use --insecure"
 *   "certificate thumbprint AA:.. does not match the pinned BB:.. (from FILE)"
 *   "the server closed the connection without a reply".
 * A bad `path` (not "/...", spaces, control characters) or a SOAPAction
 * with a line break is VN_EINPUT. */
int vn_http_post(vn_http *h, const char *path, const char *soap_action, const char *body,
                 size_t len, vn_buf *resp, long *status, vn_error *err);

/* GET `path`; same conventions. */
int vn_http_get(vn_http *h, const char *path, vn_buf *resp, long *status, vn_error *err);

/* PUTs `len` bytes of `data` to `path` on this handle's server, as
 * Content-Type application/octet-stream (a guest file upload, an ISO, a
 * disk: `data` may be a mapped file); the reply body goes to `resp`. Same
 * conventions as vn_http_post: any HTTP status is success here, the caller
 * judges `status`. A body over 64 KiB is sent in 1 MiB pieces, and the
 * request timeout bounds each piece and then the wait for the reply, not
 * the whole upload. */
int vn_http_put(vn_http *h, const char *path, const void *data, size_t len, vn_buf *resp,
                long *status, vn_error *err);

/* The same two requests on an absolute URL the server handed out, such as
 * the one GuestFileManager.InitiateFileTransferToGuest returns:
 * "https://HOST[:PORT]/path?query". A HOST of "*" means the server `h`
 * talks to (its host and port, as govc reads it). A URL on `h`'s own server
 * goes over `h` (sharing its session cookie); a URL on another host (an
 * ESXi host behind vCenter) goes over a new connection that trusts what
 * `other` says (CA file, known_hosts, insecure; its explicit thumbprint is
 * ignored, since it pins `h`'s server), and is refused (VN_ERUNTIME) when
 * `other` is NULL. A URL that is not http(s) with a host and a path is
 * VN_EINPUT; plain http follows vn_http_open's rule (VNEST_ALLOW_HTTP). */
int vn_http_put_url(vn_http *h, const vn_tls *other, const char *url, const void *data, size_t len,
                    vn_buf *resp, long *status, vn_error *err);
int vn_http_get_url(vn_http *h, const vn_tls *other, const char *url, vn_buf *resp, long *status,
                    vn_error *err);

/* GET on such a URL with the reply body written to `fd` as it arrives
 * (a disk download: never held in memory, no size limit); *bytes is the
 * body's length. The body is written whatever the status (the caller
 * judges `status` and discards the file when it is not 200). The request
 * timeout bounds each wait for more bytes instead of the whole download.
 * A failed write is VN_ERUNTIME "cannot write the download (REASON)". */
int vn_http_get_url_fd(vn_http *h, const vn_tls *other, const char *url, int fd,
                       unsigned long long *bytes, long *status, vn_error *err);

/* Splits such a URL into `origin` ("https://host:port", lower case, the
 * default port filled in, "*" resolved against `h`) and `path` ("/..." with
 * the query). Returns VN_OK or VN_EINPUT. */
int vn_http_split_url(const vn_http *h, const char *url, vn_buf *origin, vn_buf *path,
                      vn_error *err);

/* Forgets the session cookie (before a re-login), for `h` and every handle
 * sharing its cookies through vn_http_dup(). */
void vn_http_clear_cookies(vn_http *h);

/* The session cookie value (vmware_soap_session) as the server sent it,
 * quotes included, or "" if none yet (or if it does not fit in `len`). */
const char *vn_http_session_cookie(vn_http *h, char *buf, size_t len);

/* Connections opened so far by this handle (keep-alive check in tests). */
long vn_http_connects(const vn_http *h);

/* "host:port" this handle talks to (for messages and known_hosts). */
const char *vn_http_hostport(const vn_http *h);

/* Lowers (or raises) the response body limit of this handle, 256 MiB by
 * default; a longer response is VN_ERUNTIME. For tests and callers that
 * expect small replies. */
void vn_http_set_max_response(vn_http *h, size_t max);

/* Kept for callers: there is no global state to release any more; it was
 * for libcurl. Call once at exit, after the last
 * vn_http_close() (it lets leak checkers see a clean exit). */
void vn_http_global_cleanup(void);

/* Connects without verification and returns the server certificate's
 * SHA-256 and SHA-1 thumbprints ("AA:BB:..."), for trust on first use. */
int vn_http_fetch_thumbprint(const char *base, char *sha256, size_t n256, char *sha1, size_t n1,
                             vn_error *err);

/* Reads one HTTP/1.x reply from memory, as vn_http does from a connection
 * (status line, headers, 1xx replies skipped, body framed by chunked
 * encoding, Content-Length or the end of the data, at most `max` bytes),
 * appending the body to `body`. For the fuzz target and tests. */
int vn_http_parse_reply(const char *data, size_t len, size_t max, vn_buf *body, long *status,
                        vn_error *err);

/* Connections of this handle that resumed an earlier TLS session. */
long vn_http_resumptions(const vn_http *h);

/* Looks `hostport` up in known_hosts text (govc format: one "host[:port]
 * thumbprint" per line, '#' comments, blank lines; a host without a port
 * means 443). Returns 1 and the thumbprint, 0 when absent. `name` and bad
 * lines: a malformed line is VN_EINPUT "name:LINE: ..." (returns -1). */
int vn_known_hosts_find(const char *text, size_t len, const char *name, const char *hostport,
                        char *thumb, size_t n, vn_error *err);

#endif
