/* vn_xmlw: writing vim25 SOAP bodies into a vn_buf. Callers emit elements
 * in the schema's sequence order themselves (one builder function per data
 * object, see vn_vimreq.c); this module only guarantees well-formed,
 * escaped output. Characters XML 1.0 forbids (C0 controls other than TAB,
 * LF, CR) and invalid UTF-8 are replaced by U+FFFD rather than sent. */
#ifndef VN_XMLW_H
#define VN_XMLW_H

#include <stdint.h>

#include "vn_buf.h"

/* Escaped character data. */
void vn_xw_text(vn_buf *b, const char *text);

void vn_xw_open(vn_buf *b, const char *tag);
/* <tag xsi:type="TYPE"> for polymorphic members. */
void vn_xw_open_type(vn_buf *b, const char *tag, const char *xsi_type);
void vn_xw_close(vn_buf *b, const char *tag);

/* <tag>text</tag>; nothing when text is NULL (an unset optional field). */
void vn_xw_str(vn_buf *b, const char *tag, const char *text);
void vn_xw_int(vn_buf *b, const char *tag, long long value);
void vn_xw_bool(vn_buf *b, const char *tag, int value);
/* <tag type="TYPE">ID</tag>: a ManagedObjectReference. */
void vn_xw_mor(vn_buf *b, const char *tag, const char *type, const char *id);
/* <tag xsi:type="xsd:string">text</tag>: a value of declared type anyType. */
void vn_xw_any_str(vn_buf *b, const char *tag, const char *text);

/* Envelope around a method call: <METHOD xmlns="urn:vim25"><_this ...>. */
void vn_xw_call_begin(vn_buf *b, const char *method, const char *this_type, const char *this_id);
void vn_xw_call_end(vn_buf *b, const char *method);

#endif
