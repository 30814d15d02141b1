#include "json_kit.h"
#include <stdio.h>

int jk_escape(const char *text, char *out, size_t capacity) {
    size_t n = 0;
    if (capacity < 3) return -1;
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char buf[7];
        int len;
        if (*p == '"' || *p == '\\') { buf[0] = '\\'; buf[1] = (char)*p; len = 2; }
        else if (*p < 0x20) { len = snprintf(buf, sizeof buf, "\\u%04x", *p); }
        else { buf[0] = (char)*p; len = 1; }
        if (n + (size_t)len + 2 > capacity) return -1;
        for (int i = 0; i < len; i++) out[n++] = buf[i];
    }
    out[n++] = '"';
    out[n] = '\0';
    return (int)n;
}
