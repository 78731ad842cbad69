/* vn_tlserr: OpenSSL's error strings, loaded only when an error is to be
 * told. Loading them at start-up (OpenSSL's default) builds tables of
 * thousands of strings: 0.55 ms of every vnest run that talks to a server,
 * a tenth of what a short command costs in all, for text that a successful
 * run never shows. */
#ifndef VN_TLSERR_H
#define VN_TLSERR_H

#include <stddef.h>

/* Initialises OpenSSL without its error strings. Before any other OpenSSL
 * call; once per process (pthread_once in the caller). */
void vn_tlserr_init(void);

/* The reason of OpenSSL's last queued error ("wrong version number"),
 * loading the strings on first use; "unknown reason" when none is queued. */
void vn_tlserr_reason(char *out, size_t n);

#endif
