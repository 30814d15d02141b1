#ifndef JSON_KIT_H
#define JSON_KIT_H
#include <stddef.h>

/* Writes `text` as a quoted JSON string into `out` (NUL-terminated).
   Returns the length written, or -1 if `capacity` is too small. */
int jk_escape(const char *text, char *out, size_t capacity);

/* Writes `value` in decimal into `out`. Returns the length, or -1 if too small. */
int jk_format_int(long value, char *out, size_t capacity);

#endif
