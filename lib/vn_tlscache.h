/* vn_tlscache: TLS sessions kept between vnest runs, so that the second
 * and later commands of a script resume the session the server gave the
 * first one instead of repeating the full handshake (the certificate chain
 * decoded and verified, the CA file read and parsed: about 3 ms of CPU
 * each, a tenth of a short command).
 *
 * One file per server and trust setting, under
 * $XDG_CACHE_HOME/vnest/tls (default ~/.cache/vnest/tls; folders 0700,
 * files 0600), named by a SHA-256 of "host:port", the trust mode, the pin
 * and the CA file's content: changing any of them starts afresh. A
 * resumed session needs no verification because the server proves it holds
 * the secret of a session that was verified under this same trust. The
 * file is a credential like a session cookie (govc keeps those in
 * ~/.govmomi/sessions): one that is not ours, or readable by others, is
 * ignored. Nothing is cached with --insecure, and VNEST_TLS_CACHE=0 turns
 * the cache off. Failures to read or write only cost the saving. */
#ifndef VN_TLSCACHE_H
#define VN_TLSCACHE_H

#include <openssl/ssl.h>
#include <stddef.h>

/* The cache file for `hostport` under this trust, into `out`. 0, or -1
 * when there is to be no cache (turned off, insecure, no home folder) or
 * the CA file cannot be read (errno set). */
int vn_tlscache_path(const char *hostport, int insecure, const char *ca_file,
                     const unsigned char *pin, size_t pin_len, char *out, size_t n);

/* The session stored at `path` if it is ours, private, well-formed,
 * resumable and not expired; else NULL. */
SSL_SESSION *vn_tlscache_load(const char *path);

/* Stores `s` at `path` (written aside, then renamed over). */
void vn_tlscache_store(const char *path, SSL_SESSION *s);

#endif
