/*
 * http.c: the HTTP/1.1 request reader and response helpers the live fronts
 * share (http.h).  libhttp-parser does the parsing; the parser pauses on
 * each complete message, so a connection holds one request at a time.
 */
#include "http/http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim/alloc.h"
#include "sim/errno.h"

enum { H_NONE, H_ACCEPT, H_CTYPE, H_OTHER };

static int on_message_begin(http_parser *p)
{
    fk_http_in_t *in = p->data;
    in->url_len = 0;
    in->url[0] = 0;
    in->url_long = 0;
    in->body_len = 0;
    in->body_big = 0;
    in->accept[0] = 0;
    in->ctype[0] = 0;
    in->hdr = H_NONE;
    if (in->body)
        in->body[0] = 0;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    fk_http_in_t *in = p->data;
    if (in->url_len + len >= FK_HTTP_URL_MAX) {
        in->url_long = 1;
        return 1;
    }
    memcpy(in->url + in->url_len, at, len);
    in->url_len += len;
    in->url[in->url_len] = 0;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    fk_http_in_t *in = p->data;
    in->hdr = len == 6 && !strncasecmp(at, "accept", 6)           ? H_ACCEPT
              : len == 12 && !strncasecmp(at, "content-type", 12) ? H_CTYPE
                                                                  : H_OTHER;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    fk_http_in_t *in = p->data;
    char *dst = in->hdr == H_ACCEPT  ? in->accept
                : in->hdr == H_CTYPE ? in->ctype
                                     : NULL;
    size_t have;
    if (!dst)
        return 0;
    have = strlen(dst);
    if (have + len >= FK_HTTP_HDR_MAX)
        len = FK_HTTP_HDR_MAX - 1 - have;
    memcpy(dst + have, at, len);
    dst[have + len] = 0;
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    fk_http_in_t *in = p->data;
    char *b;
    if (in->body_len + len > in->body_max) {
        in->body_big = 1;
        return 1;
    }
    if (!(b = sim__realloc(in->body, in->body_len + len + 1)))
        return 1;
    in->body = b;
    memcpy(b + in->body_len, at, len);
    in->body_len += len;
    b[in->body_len] = 0;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    fk_http_in_t *in = p->data;
    in->method = p->method;
    in->keep_alive = http_should_keep_alive(p);
    in->complete = 1;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void fk_http_in_init(fk_http_in_t *in, size_t body_max)
{
    memset(in, 0, sizeof(*in));
    in->body_max = body_max;
    in->in_max = body_max + 128 * 1024;
    http_parser_init(&in->p, HTTP_REQUEST);
    in->p.data = in;
}

void fk_http_in_free(fk_http_in_t *in)
{
    SIM_FREE(in->buf);
    SIM_FREE(in->body);
    in->len = in->off = in->cap = 0;
}

int fk_http_in_feed(fk_http_in_t *in, const void *buf, size_t n)
{
    if (in->len - in->off + n > in->in_max)
        return SIM_ERANGE;
    if (in->off) {
        memmove(in->buf, in->buf + in->off, in->len - in->off);
        in->len -= in->off;
        in->off = 0;
    }
    if (in->len + n > in->cap) {
        size_t cap = in->cap ? in->cap : 4096;
        char *b;
        while (cap < in->len + n)
            cap *= 2;
        if (!(b = sim__realloc(in->buf, cap)))
            return SIM_ENOMEM;
        in->buf = b;
        in->cap = cap;
    }
    memcpy(in->buf + in->len, buf, n);
    in->len += n;
    return 0;
}

int fk_http_in_next(fk_http_in_t *in, int *code, const char **msg)
{
    size_t n;
    enum http_errno e;
    if (in->complete)
        return 1;
    if (in->off == in->len)
        return 0;
    n = http_parser_execute(&in->p, &settings, in->buf + in->off,
                            in->len - in->off);
    e = HTTP_PARSER_ERRNO(&in->p);
    in->off += n;
    if (in->off == in->len)
        in->off = in->len = 0;
    if (e == HPE_PAUSED && in->complete)
        return 1;
    if (e == HPE_OK)
        return 0;
    *code = in->body_big               ? 413
            : in->url_long             ? 414
            : e == HPE_HEADER_OVERFLOW ? 431
                                       : 400;
    *msg = in->body_big               ? "request body too large"
           : in->url_long             ? "request URL too long"
           : e == HPE_HEADER_OVERFLOW ? "request header too large"
                                      : http_errno_description(e);
    return -1;
}

void fk_http_in_done(fk_http_in_t *in)
{
    in->complete = 0;
    http_parser_pause(&in->p, 0);
}

size_t fk_http_in_pending(const fk_http_in_t *in)
{
    return in->len - in->off;
}

/* helpers ----------------------------------------------------------------*/

const char *fk_http_status_text(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Request Entity Too Large";
    case 414:
        return "Request-URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return code >= 500 ? "Internal Server Error" : "Error";
    }
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

void fk_http_unescape(const char *src, size_t n, char *out, size_t len)
{
    size_t i, o = 0;
    if (!len)
        return;
    for (i = 0; i < n && o + 1 < len; i++) {
        if (src[i] == '%' && i + 2 < n && hexval(src[i + 1]) >= 0 &&
            hexval(src[i + 2]) >= 0) {
            out[o++] = (char)(hexval(src[i + 1]) * 16 + hexval(src[i + 2]));
            i += 2;
        } else
            out[o++] = src[i] == '+' ? ' ' : src[i];
    }
    out[o] = 0;
}

int fk_http_query_get(const char *q, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n > kl && !strncmp(q, key, kl) && q[kl] == '=') {
            fk_http_unescape(q + kl + 1, n - kl - 1, out, len);
            return 1;
        }
        if (n == kl && !strncmp(q, key, kl)) {
            if (len)
                out[0] = 0;
            return 1;
        }
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

int fk_http_split_url(const char *url, size_t url_len, char *path, size_t plen,
                      char *query, size_t qlen)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(url, url_len, 0, &u) ||
        !(u.field_set & (1 << UF_PATH)))
        return -1;
    fk_http_unescape(url + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len,
                     path, plen);
    query[0] = 0;
    if (u.field_set & (1 << UF_QUERY))
        snprintf(query, qlen, "%.*s", (int)u.field_data[UF_QUERY].len,
                 url + u.field_data[UF_QUERY].off);
    return 0;
}

int fk_http_chunk(sim_stream_t *s, const char *data, size_t n)
{
    char head[24];
    int rc;
    snprintf(head, sizeof(head), "%zx\r\n", n);
    if ((rc = sim_stream_write(s, head, strlen(head))) != 0 ||
        (rc = sim_stream_write(s, data, n)) != 0)
        return rc;
    return sim_stream_write(s, "\r\n", 2);
}

int fk_http_chunk_end(sim_stream_t *s)
{
    return sim_stream_write(s, "0\r\n\r\n", 5);
}
