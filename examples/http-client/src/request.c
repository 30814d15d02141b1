#include "http_client.h"
#include "json_kit.h"
#include <stdio.h>

int hc_request_line(const char *method, const char *path, char *out, size_t capacity) {
    int len = snprintf(out, capacity, "%s %s HTTP/1.1\r\n", method, path);
    return (len < 0 || (size_t)len >= capacity) ? -1 : len;
}

int hc_json_post(const char *host, const char *path, const char *message, char *out, size_t capacity) {
    char body[512];
    char quoted[480];
    if (jk_escape(message, quoted, sizeof quoted) < 0) return -1;
    int body_len = snprintf(body, sizeof body, "{\"message\":%s}", quoted);
    if (body_len < 0 || (size_t)body_len >= sizeof body) return -1;
    int len = snprintf(out, capacity,
                       "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n%s",
                       path, host, body_len, body);
    return (len < 0 || (size_t)len >= capacity) ? -1 : len;
}
