/*
 * trace.c: trace records, the run hash, and the text / JSON renderings.
 *
 * A record is built once, in binary: t_ns and seq (8 bytes each, little
 * endian), the event name and a NUL, then per field a type byte ('s' str,
 * 'u' u64, 'i' i64, 'n' ns), the key and a NUL, and the value (a string
 * and a NUL, or 8 bytes little endian); a record that outgrew the buffer
 * keeps its header and gets one 't' (truncated) instead of its fields;
 * 'e' ends it.  The hash folds the records in, 8 bytes at a time, so it
 * depends on the events only, never on which sinks are attached.  Text
 * and JSON are rendered from the record at sim_trace_end, and only for
 * attached sinks.
 */
#include "sim/trace.h"

#include <inttypes.h>
#include <string.h>

#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/rng.h"

enum {
    REC_STR = 's',
    REC_U64 = 'u',
    REC_I64 = 'i',
    REC_NS = 'n',
    REC_TRUNC = 't',
    REC_END = 'e',
};

void sim_trace_init(sim_trace_t *tr, FILE *text, FILE *jsonl)
{
    memset(tr, 0, sizeof(*tr));
    tr->text = text;
    tr->jsonl = jsonl;
    tr->hash = SIM_FNV_OFFSET;
}

/* building the record ----------------------------------------------------*/

static void rec_u64(sim_trace_t *tr, uint64_t v)
{
    if (tr->rlen + 8 > sizeof(tr->rec)) {
        tr->overflow = 1;
        return;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(tr->rec + tr->rlen, &v, 8);
    tr->rlen += 8;
}

static void rec_cstr(sim_trace_t *tr, const char *s)
{
    size_t n = strlen(s) + 1;
    if (tr->rlen + n > sizeof(tr->rec)) {
        tr->overflow = 1;
        return;
    }
    memcpy(tr->rec + tr->rlen, s, n);
    tr->rlen += n;
}

static void rec_byte(sim_trace_t *tr, unsigned char c)
{
    if (tr->rlen + 1 > sizeof(tr->rec)) {
        tr->overflow = 1;
        return;
    }
    tr->rec[tr->rlen++] = c;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

sim_trace_t *sim_trace_begin(sim_loop_t *loop, const char *ev)
{
    sim_trace_t *tr = loop->trace;
    size_t n;
    if (!tr)
        return NULL;
    SIM_ASSERT(!tr->open);
    tr->open = 1;
    tr->overflow = 0;
    tr->rlen = 0;
    tr->seq++;
    n = strlen(ev);
    if (n >= sizeof(tr->last_ev))
        n = sizeof(tr->last_ev) - 1;
    memcpy(tr->last_ev, ev, n);
    tr->last_ev[n] = 0;
    tr->last_seq = tr->seq;
    tr->cause = tr->ambient;
    tr->nlinks = 0;
    if (tr->scope_seq && tr->scope_seq < tr->seq) {
        tr->link_key[0] = tr->scope_key;
        tr->link_seq[0] = tr->scope_seq;
        tr->nlinks = 1;
    }
    if (tr->in_event)
        tr->stamp = tr->seq;
    rec_u64(tr, sim_now(loop));
    rec_u64(tr, tr->seq);
    rec_cstr(tr, ev);
    tr->head_len = tr->rlen;
    if (tr->on_event)
        tr->on_event(tr->on_event_arg, ev);
    return tr;
}

static void rec_field(sim_trace_t *tr, unsigned char type, const char *key)
{
    rec_byte(tr, type);
    rec_cstr(tr, key);
}

void sim_trace_cause(sim_trace_t *tr, uint64_t seq)
{
    if (tr && seq && seq < tr->seq)
        tr->cause = seq;
}

void sim_trace_link(sim_trace_t *tr, const char *key, uint64_t seq)
{
    int i;
    if (!tr || !seq || seq >= tr->seq || tr->nlinks >= SIM_TRACE_LINKS)
        return;
    for (i = 0; i < tr->nlinks; i++)
        if (!strcmp(tr->link_key[i], key))
            return;
    tr->link_key[tr->nlinks] = key;
    tr->link_seq[tr->nlinks++] = seq;
}

sim_trace_scope_t sim_trace_link_scope(sim_loop_t *loop, const char *key,
                                       uint64_t seq)
{
    sim_trace_scope_t prev = {NULL, 0};
    if (!loop->trace)
        return prev;
    prev.key = loop->trace->scope_key;
    prev.seq = loop->trace->scope_seq;
    loop->trace->scope_key = seq ? key : NULL;
    loop->trace->scope_seq = seq;
    return prev;
}

sim_trace_scope_t sim_trace_scope_now(sim_loop_t *loop)
{
    sim_trace_scope_t now = {NULL, 0};
    if (loop->trace) {
        now.key = loop->trace->scope_key;
        now.seq = loop->trace->scope_seq;
    }
    return now;
}

void sim_trace_scope_restore(sim_loop_t *loop, sim_trace_scope_t prev)
{
    if (!loop->trace)
        return;
    loop->trace->scope_key = prev.key;
    loop->trace->scope_seq = prev.seq;
}

uint64_t sim_trace_last(sim_loop_t *loop)
{
    return loop->trace ? loop->trace->seq : 0;
}

uint64_t sim_trace_now(sim_loop_t *loop)
{
    return loop->trace ? loop->trace->stamp : 0;
}

void sim_trace_str(sim_trace_t *tr, const char *key, const char *val)
{
    if (!tr)
        return;
    rec_field(tr, REC_STR, key);
    rec_cstr(tr, val ? val : "");
}

void sim_trace_u64(sim_trace_t *tr, const char *key, uint64_t val)
{
    if (!tr)
        return;
    rec_field(tr, REC_U64, key);
    rec_u64(tr, val);
}

void sim_trace_i64(sim_trace_t *tr, const char *key, int64_t val)
{
    if (!tr)
        return;
    rec_field(tr, REC_I64, key);
    rec_u64(tr, (uint64_t)val);
}

void sim_trace_ns(sim_trace_t *tr, const char *key, uint64_t ns)
{
    if (!tr)
        return;
    rec_field(tr, REC_NS, key);
    rec_u64(tr, ns);
}

void sim_trace_err(sim_trace_t *tr, const char *key, int err)
{
    sim_trace_str(tr, key, sim_err_name(err));
}

/* rendering --------------------------------------------------------------*/

typedef struct {
    char *b;
    size_t n, cap; /* cap leaves room for the NUL */
    int full;
} outbuf_t;

static void oputc(outbuf_t *o, char c)
{
    if (o->n >= o->cap) {
        o->full = 1;
        return;
    }
    o->b[o->n++] = c;
}

static void oputs(outbuf_t *o, const char *s)
{
    size_t n = strlen(s);
    if (o->n + n > o->cap) {
        n = o->cap - o->n;
        o->full = 1;
    }
    memcpy(o->b + o->n, s, n);
    o->n += n;
}

static void oput_u64(outbuf_t *o, uint64_t v)
{
    char tmp[20];
    int i = (int)sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (; i < (int)sizeof(tmp); i++)
        oputc(o, tmp[i]);
}

static void oput_i64(outbuf_t *o, int64_t v)
{
    if (v < 0) {
        oputc(o, '-');
        oput_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        oput_u64(o, (uint64_t)v);
    }
}

static void oput_json_str(outbuf_t *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    oputc(o, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            oputc(o, '\\');
            oputc(o, (char)c);
        } else if (c < 0x20) {
            oputs(o, "\\u00");
            oputc(o, hex[c >> 4]);
            oputc(o, hex[c & 15]);
        } else {
            oputc(o, (char)c);
        }
    }
    oputc(o, '"');
}

static int needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (; *s; s++)
        if (*s == ' ' || *s == '"' || *s == '=' || (unsigned char)*s < 0x20)
            return 1;
    return 0;
}

/* One field of the record at p: its type, key and where its value is;
 * returns the position after it. */
typedef struct {
    unsigned char type;
    const char *key;
    const char *str;
    uint64_t num;
} field_t;

static const unsigned char *next_field(const unsigned char *p, field_t *f)
{
    f->type = *p++;
    if (f->type == REC_TRUNC || f->type == REC_END)
        return p;
    f->key = (const char *)p;
    p += strlen(f->key) + 1;
    if (f->type == REC_STR) {
        f->str = (const char *)p;
        return p + strlen(f->str) + 1;
    }
    f->num = get_u64(p);
    return p + 8;
}

static void render_text(const sim_trace_t *tr, outbuf_t *o)
{
    const unsigned char *p = tr->rec + tr->head_len;
    uint64_t now = get_u64(tr->rec);
    char frac[16];
    field_t f;
    int i;
    oputs(o, "t=");
    oput_u64(o, now / SIM_NS_PER_S);
    oputc(o, '.');
    for (i = 8, now %= SIM_NS_PER_S; i >= 0; i--, now /= 10)
        frac[i] = (char)('0' + now % 10);
    frac[9] = 0;
    oputs(o, frac);
    oputs(o, "s #");
    oput_u64(o, get_u64(tr->rec + 8));
    oputc(o, ' ');
    oputs(o, (const char *)tr->rec + 16);
    for (p = next_field(p, &f); f.type != REC_END; p = next_field(p, &f)) {
        char buf[32];
        if (f.type == REC_TRUNC) {
            oputs(o, " truncated=true");
            continue;
        }
        oputc(o, ' ');
        oputs(o, f.key);
        oputc(o, '=');
        if (f.type == REC_U64) {
            oput_u64(o, f.num);
        } else if (f.type == REC_I64) {
            oput_i64(o, (int64_t)f.num);
        } else if (f.type == REC_NS) {
            oputs(o, sim_fmt_ns(buf, f.num));
        } else if (!needs_quotes(f.str)) {
            oputs(o, f.str);
        } else {
            const char *s;
            oputc(o, '"');
            for (s = f.str; *s; s++) {
                if (*s == '"' || *s == '\\') {
                    oputc(o, '\\');
                    oputc(o, *s);
                } else if (*s == '\n') {
                    oputs(o, "\\n");
                } else {
                    oputc(o, *s);
                }
            }
            oputc(o, '"');
        }
    }
}

static void render_json(const sim_trace_t *tr, outbuf_t *o, int fields)
{
    const unsigned char *p = tr->rec + tr->head_len;
    field_t f;
    oputs(o, "{\"t_ns\":");
    oput_u64(o, get_u64(tr->rec));
    oputs(o, ",\"seq\":");
    oput_u64(o, get_u64(tr->rec + 8));
    oputs(o, ",\"ev\":");
    oput_json_str(o, (const char *)tr->rec + 16);
    if (tr->cause) {
        oputs(o, ",\"cause\":");
        oput_u64(o, tr->cause);
    }
    if (tr->nlinks) {
        int i;
        oputs(o, ",\"links\":{");
        for (i = 0; i < tr->nlinks; i++) {
            if (i)
                oputc(o, ',');
            oput_json_str(o, tr->link_key[i]);
            oputc(o, ':');
            oput_u64(o, tr->link_seq[i]);
        }
        oputc(o, '}');
    }
    for (p = next_field(p, &f); fields && f.type != REC_END;
         p = next_field(p, &f)) {
        if (f.type == REC_TRUNC) {
            oputs(o, ",\"truncated\":true");
            continue;
        }
        oputc(o, ',');
        oput_json_str(o, f.key);
        oputc(o, ':');
        if (f.type == REC_STR)
            oput_json_str(o, f.str);
        else if (f.type == REC_I64)
            oput_i64(o, (int64_t)f.num);
        else
            oput_u64(o, f.num);
    }
    if (!fields)
        oputs(o, ",\"truncated\":true");
    oputc(o, '}');
}

/* reading records --------------------------------------------------------*/

int sim_trace_rec_field(const sim_trace_rec_t *rec, size_t *pos,
                        sim_trace_field_t *f)
{
    field_t x;
    const unsigned char *p = rec->fields + *pos;
    for (;;) {
        const unsigned char *q = next_field(p, &x);
        if (x.type == REC_END)
            return 0;
        if (x.type == REC_TRUNC) {
            p = q;
            continue;
        }
        f->type = (char)x.type;
        f->key = x.key;
        f->str = x.type == REC_STR ? x.str : NULL;
        f->num = x.type == REC_STR ? 0 : x.num;
        *pos = (size_t)(q - rec->fields);
        return 1;
    }
}

const char *sim_trace_rec_str(const sim_trace_rec_t *rec, const char *key)
{
    sim_trace_field_t f;
    size_t pos = 0;
    while (sim_trace_rec_field(rec, &pos, &f))
        if (!strcmp(f.key, key))
            return f.type == REC_STR ? f.str : NULL;
    return NULL;
}

int sim_trace_rec_num(const sim_trace_rec_t *rec, const char *key,
                      uint64_t *v)
{
    sim_trace_field_t f;
    size_t pos = 0;
    while (sim_trace_rec_field(rec, &pos, &f))
        if (!strcmp(f.key, key)) {
            if (f.type == REC_STR)
                return 0;
            *v = f.num;
            return 1;
        }
    return 0;
}

const char *sim_fmt_ns(char *buf, uint64_t ns)
{
    if (ns == 0)
        snprintf(buf, 32, "0s");
    else if (ns % SIM_NS_PER_S == 0)
        snprintf(buf, 32, "%" PRIu64 "s", ns / SIM_NS_PER_S);
    else if (ns % SIM_NS_PER_MS == 0 && ns < SIM_NS_PER_S)
        snprintf(buf, 32, "%" PRIu64 "ms", ns / SIM_NS_PER_MS);
    else if (ns % SIM_NS_PER_MS == 0)
        snprintf(buf, 32, "%" PRIu64 ".%03" PRIu64 "s", ns / SIM_NS_PER_S,
                 (ns % SIM_NS_PER_S) / SIM_NS_PER_MS);
    else
        snprintf(buf, 32, "%" PRIu64 ".%09" PRIu64 "s", ns / SIM_NS_PER_S,
                 ns % SIM_NS_PER_S);
    return buf;
}

void sim_trace_end(sim_trace_t *tr)
{
    outbuf_t o;
    if (!tr)
        return;
    SIM_ASSERT(tr->open);
    tr->open = 0;
    if (tr->overflow || tr->rlen + 1 > sizeof(tr->rec)) {
        /* Keep the header, drop the fields, say so. */
        tr->rlen = tr->head_len;
        tr->rec[tr->rlen++] = REC_TRUNC;
    }
    tr->rec[tr->rlen++] = REC_END;
    tr->hash = sim_hash_fold(tr->rec, tr->rlen, tr->hash);
    if (tr->on_record) {
        sim_trace_rec_t r;
        r.t_ns = get_u64(tr->rec);
        r.seq = get_u64(tr->rec + 8);
        r.cause = tr->cause;
        r.ev = (const char *)tr->rec + 16;
        r.fields = tr->rec + tr->head_len;
        r.truncated = r.fields[0] == REC_TRUNC;
        tr->on_record(tr->on_record_arg, &r);
    }
    if (tr->text || tr->on_text) {
        o = (outbuf_t){tr->out, 0, SIM_TRACE_LINE_MAX - 1, 0};
        render_text(tr, &o);
        tr->out[o.n] = 0;
        if (tr->on_text)
            tr->on_text(tr->on_text_arg, tr->out, o.n);
        if (tr->text) {
            tr->out[o.n] = '\n';
            fwrite(tr->out, 1, o.n + 1, tr->text);
        }
    }
    if (tr->jsonl) {
        o = (outbuf_t){tr->out, 0, sizeof(tr->out) - 2, 0};
        render_json(tr, &o, 1);
        if (o.full) {
            o = (outbuf_t){tr->out, 0, sizeof(tr->out) - 2, 0};
            render_json(tr, &o, 0);
        }
        tr->out[o.n++] = '\n';
        fwrite(tr->out, 1, o.n, tr->jsonl);
    }
}
