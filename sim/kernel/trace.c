/* trace.c: text + JSON Lines rendering of trace events, and the run hash. */
#include "sim/trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/rng.h"

void sim_trace_init(sim_trace_t *tr, FILE *text, FILE *jsonl)
{
    memset(tr, 0, sizeof(*tr));
    tr->text = text;
    tr->jsonl = jsonl;
    tr->hash = SIM_FNV_OFFSET;
}

static void tput(sim_trace_t *tr, const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t room = sizeof(tr->tbuf) - tr->tlen;
    va_start(ap, fmt);
    n = vsnprintf(tr->tbuf + tr->tlen, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        tr->overflow = 1;
        tr->tlen = sizeof(tr->tbuf) - 1;
    } else {
        tr->tlen += (size_t)n;
    }
}

static void jputc(sim_trace_t *tr, char c)
{
    if (tr->jlen + 2 >= sizeof(tr->jbuf)) {
        tr->overflow = 1;
        return;
    }
    tr->jbuf[tr->jlen++] = c;
    tr->jbuf[tr->jlen] = 0;
}

static void jputs(sim_trace_t *tr, const char *s)
{
    while (*s)
        jputc(tr, *s++);
}

static void jput_json_str(sim_trace_t *tr, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    jputc(tr, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            jputc(tr, '\\');
            jputc(tr, (char)c);
        } else if (c < 0x20) {
            jputs(tr, "\\u00");
            jputc(tr, hex[c >> 4]);
            jputc(tr, hex[c & 15]);
        } else {
            jputc(tr, (char)c);
        }
    }
    jputc(tr, '"');
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

sim_trace_t *sim_trace_begin(sim_loop_t *loop, const char *ev)
{
    sim_trace_t *tr = loop->trace;
    uint64_t now = sim_now(loop);
    char num[64];
    if (!tr)
        return NULL;
    SIM_ASSERT(!tr->open);
    tr->open = 1;
    tr->overflow = 0;
    tr->tlen = tr->jlen = 0;
    tr->seq++;
    snprintf(tr->last_ev, sizeof(tr->last_ev), "%s", ev);
    tr->last_seq = tr->seq;
    tput(tr, "t=%" PRIu64 ".%09" PRIu64 "s #%" PRIu64 " %s",
         now / SIM_NS_PER_S, now % SIM_NS_PER_S, tr->seq, ev);
    snprintf(num, sizeof(num), "{\"t_ns\":%" PRIu64 ",\"seq\":%" PRIu64
             ",\"ev\":", now, tr->seq);
    jputs(tr, num);
    jput_json_str(tr, ev);
    return tr;
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

void sim_trace_str(sim_trace_t *tr, const char *key, const char *val)
{
    if (!tr)
        return;
    if (!val)
        val = "";
    if (needs_quotes(val)) {
        tput(tr, " %s=\"", key);
        for (const char *p = val; *p; p++) {
            if (*p == '"' || *p == '\\')
                tput(tr, "\\%c", *p);
            else if (*p == '\n')
                tput(tr, "\\n");
            else
                tput(tr, "%c", *p);
        }
        tput(tr, "\"");
    } else {
        tput(tr, " %s=%s", key, val);
    }
    jputc(tr, ',');
    jput_json_str(tr, key);
    jputc(tr, ':');
    jput_json_str(tr, val);
}

void sim_trace_u64(sim_trace_t *tr, const char *key, uint64_t val)
{
    char num[32];
    if (!tr)
        return;
    tput(tr, " %s=%" PRIu64, key, val);
    jputc(tr, ',');
    jput_json_str(tr, key);
    snprintf(num, sizeof(num), ":%" PRIu64, val);
    jputs(tr, num);
}

void sim_trace_i64(sim_trace_t *tr, const char *key, int64_t val)
{
    char num[32];
    if (!tr)
        return;
    tput(tr, " %s=%" PRId64, key, val);
    jputc(tr, ',');
    jput_json_str(tr, key);
    snprintf(num, sizeof(num), ":%" PRId64, val);
    jputs(tr, num);
}

void sim_trace_ns(sim_trace_t *tr, const char *key, uint64_t ns)
{
    char buf[32], num[40];
    if (!tr)
        return;
    tput(tr, " %s=%s", key, sim_fmt_ns(buf, ns));
    jputc(tr, ',');
    jput_json_str(tr, key);
    snprintf(num, sizeof(num), ":%" PRIu64, ns);
    jputs(tr, num);
}

void sim_trace_err(sim_trace_t *tr, const char *key, int err)
{
    sim_trace_str(tr, key, sim_err_name(err));
}

void sim_trace_end(sim_trace_t *tr)
{
    if (!tr)
        return;
    SIM_ASSERT(tr->open);
    tr->open = 0;
    if (tr->overflow) {
        /* Keep the line valid JSON: drop the fields, say so. */
        char *brace = strchr(tr->jbuf, ',');
        brace = brace ? strchr(brace + 1, ',') : NULL;
        brace = brace ? strchr(brace + 1, ',') : NULL;
        if (brace)
            tr->jlen = (size_t)(brace - tr->jbuf);
        tr->jbuf[tr->jlen] = 0;
        jputs(tr, ",\"truncated\":true");
    }
    jputc(tr, '}');
    tr->hash = sim_fnv1a(tr->jbuf, tr->jlen, tr->hash);
    tr->hash = sim_fnv1a("\n", 1, tr->hash);
    if (tr->jsonl) {
        fputs(tr->jbuf, tr->jsonl);
        fputc('\n', tr->jsonl);
    }
    if (tr->text) {
        fwrite(tr->tbuf, 1, tr->tlen, tr->text);
        fputc('\n', tr->text);
    }
}
