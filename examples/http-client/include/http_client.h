#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H
#include <stddef.h>

int hc_request_line(const char *method, const char *path, char *out, size_t capacity);
int hc_json_post(const char *host, const char *path, const char *message, char *out, size_t capacity);

#endif
