#include "json_kit.h"
#include <stdio.h>

int jk_format_int(long value, char *out, size_t capacity) {
    int len = snprintf(out, capacity, "%ld", value);
    return (len < 0 || (size_t)len >= capacity) ? -1 : len;
}
