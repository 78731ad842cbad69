/* ERR_load_*_strings are deprecated in OpenSSL 3.0 in favour of loading at
 * initialisation, but they remain the one way to load the strings after an
 * initialisation that skipped them, which is the point of this file. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "vn_tlserr.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>

void vn_tlserr_init(void)
{
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
}

static pthread_once_t strings_once = PTHREAD_ONCE_INIT;

static void load_strings(void)
{
    ERR_load_CRYPTO_strings();
    ERR_load_SSL_strings();
}

void vn_tlserr_reason(char *out, size_t n)
{
    unsigned long e = ERR_peek_last_error();
    if (!e) {
        snprintf(out, n, "unknown reason");
        return;
    }
    pthread_once(&strings_once, load_strings);
    const char *r = ERR_reason_error_string(e);
    snprintf(out, n, "%s", r ? r : "unknown OpenSSL error");
}
