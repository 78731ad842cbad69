/* vn_utf8: the small UTF-8 pieces the on-disk formats need (FAT long names
 * and GPT partition names are UTF-16; vnest speaks UTF-8). */
#ifndef VN_UTF8_H
#define VN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Writes code point `c` (up to U+10FFFF) as UTF-8 at `o` (room for 4
 * bytes); returns the number of bytes written. */
size_t vn_utf8_put(char *o, uint32_t c);

/* Decodes the 1- to 3-byte sequence at *p (a code point of the Basic
 * Multilingual Plane) into *c and advances *p; -1 when the bytes there are
 * not such a sequence (invalid UTF-8, or a 4-byte character). */
int vn_utf8_next_bmp(const unsigned char **p, uint32_t *c);

#endif
