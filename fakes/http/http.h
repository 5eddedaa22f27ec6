/*
 * http.h: the HTTP/1.1 server plumbing the live fronts share (the Docker
 * Engine API, fakes/docker/front_http.c, and the Kubernetes API,
 * fakes/kube/front.c).  Real-time code's helpers only: nothing here reads
 * a clock or draws a number.
 *
 * fk_http_in_t reads requests off a byte stream with libhttp-parser, one
 * complete request at a time: feed it bytes as they come, take each
 * request with fk_http_in_next, answer it, then fk_http_in_done before the
 * next.  It keeps the method, the URL, the body (at most body_max bytes)
 * and the headers Accept and Content-Type.  A request that breaks a limit
 * or HTTP is an error with the status a server answers (400; a header
 * block over 80 KiB 431; a URL over FK_HTTP_URL_MAX 414; a body over
 * body_max 413), after which the connection must close.
 *
 * The helpers write whole responses and chunks on a sim_stream_t and
 * decode query strings.
 */
#ifndef FK_HTTP_H
#define FK_HTTP_H

#include <http_parser.h>
#include <stddef.h>

#include "sim/loop.h"

#define FK_HTTP_URL_MAX 8192
#define FK_HTTP_HDR_MAX 256

typedef struct {
    http_parser p;          /* private */
    char *buf;              /* private: bytes fed, not yet parsed */
    size_t len, off, cap;   /* private */
    size_t in_max;          /* private: most bytes held unparsed */
    size_t body_max;        /* read-only */
    int hdr;                /* private: the header being read */
    int complete;           /* private: a request is held */
    int url_long, body_big; /* private */
    /* The request held (valid after fk_http_in_next returned 1): */
    int method;                   /* read-only: enum http_method */
    int keep_alive;               /* read-only */
    char url[FK_HTTP_URL_MAX];    /* read-only */
    size_t url_len;               /* read-only */
    char *body;                   /* read-only: NUL-terminated, NULL if none */
    size_t body_len;              /* read-only */
    char accept[FK_HTTP_HDR_MAX]; /* read-only: "" if absent */
    char ctype[FK_HTTP_HDR_MAX];  /* read-only: Content-Type, "" if absent */
} fk_http_in_t;

void fk_http_in_init(fk_http_in_t *in, size_t body_max);
void fk_http_in_free(fk_http_in_t *in);
/* Appends n bytes.  0, SIM_ENOMEM, or SIM_ERANGE when more than body_max
 * plus 128 KiB would wait unparsed (answer 413 and close). */
int fk_http_in_feed(fk_http_in_t *in, const void *buf, size_t n);
/* 1: a request is held (read its fields); 0: more bytes are needed;
 * -1: malformed or over a limit: *code and *msg say what to answer. */
int fk_http_in_next(fk_http_in_t *in, int *code, const char **msg);
/* The held request is answered: parse on. */
void fk_http_in_done(fk_http_in_t *in);
/* Bytes fed and not yet parsed. */
size_t fk_http_in_pending(const fk_http_in_t *in);

/* helpers ----------------------------------------------------------------*/

/* "OK", "Not Found", ... for a status code. */
const char *fk_http_status_text(int code);
/* Percent-decodes src[0..n) into out (always terminated); '+' is ' '. */
void fk_http_unescape(const char *src, size_t n, char *out, size_t len);
/* The decoded value of key in the query string q (no leading '?'); 1 if
 * present ("" for a bare key), 0 if absent. */
int fk_http_query_get(const char *q, const char *key, char *out, size_t len);
/* Splits url into its decoded path and its raw query ("" if none).
 * 0, or -1 when libhttp-parser finds no path. */
int fk_http_split_url(const char *url, size_t url_len, char *path, size_t plen,
                      char *query, size_t qlen);
/* Writes one chunk of a chunked body (n > 0).  0 or the stream's error. */
int fk_http_chunk(sim_stream_t *s, const char *data, size_t n);
/* Writes the last chunk.  0 or the stream's error. */
int fk_http_chunk_end(sim_stream_t *s);

#endif
