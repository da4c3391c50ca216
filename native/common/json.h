/* json.h: write a JSON string literal. Shared by rkt-stage1 (error file) and the probe. */
#ifndef RKT_JSON_H
#define RKT_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..len) as a quoted JSON string. Control characters are escaped, valid UTF-8 is
 * kept, and each byte that is not part of valid UTF-8 becomes U+FFFD, so the output is always
 * valid JSON whatever bytes a path or file holds. */
void json_string(FILE *f, const char *s, size_t len);

/* The same for a NUL-terminated string; NULL is written as null. */
void json_cstring(FILE *f, const char *s);

#endif
