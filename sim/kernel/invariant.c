/* invariant.c: registration and checking of invariants. */
#include "sim/invariant.h"

#include <string.h>

#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

void sim_inv_init(sim_inv_t *inv, sim_loop_t *loop)
{
    memset(inv, 0, sizeof(*inv));
    inv->loop = loop;
}

int sim_inv_add(sim_inv_t *inv, const char *id, const char *title,
                sim_inv_check_cb check, void *ctx, int end_only)
{
    sim_inv_entry_t *e;
    SIM_ASSERT(check != NULL);
    if (inv->n >= SIM_INV_MAX)
        return SIM_ERANGE;
    e = &inv->e[inv->n++];
    memset(e, 0, sizeof(*e));
    e->id = id;
    e->title = title;
    e->check = check;
    e->ctx = ctx;
    e->end_only = end_only;
    return 0;
}

void sim_inv_due(sim_inv_t *inv, uint64_t at_ns, uint64_t cause_seq)
{
    uint64_t now = sim_now(inv->loop);
    inv->due_set = 1;
    inv->due_ns = at_ns < now ? at_ns : now;
    inv->due_seq = cause_seq;
}

void sim_inv_link(sim_inv_t *inv, const char *key, uint64_t seq)
{
    if (seq && inv->nlinks < SIM_INV_LINKS) {
        inv->link_key[inv->nlinks] = key;
        inv->link_seq[inv->nlinks++] = seq;
    }
}

static void run_one(sim_inv_t *inv, sim_inv_entry_t *e, uint64_t seq,
                    const char *ev)
{
    char why[SIM_INV_WHY_MAX];
    sim_trace_t *tr;
    int i;
    /* A run reports each invariant's first violation only, so a broken
     * one is not checked again (its check may format a sentence on every
     * event: most of an explored world's time went there). */
    if (e->violations)
        return;
    why[0] = 0;
    inv->due_set = 0;
    inv->nlinks = 0;
    if (!e->check(e->ctx, why, sizeof(why)))
        return;
    e->violations = 1;
    e->first_ns = inv->due_set ? inv->due_ns : sim_now(inv->loop);
    e->first_seq = inv->due_set ? inv->due_seq : seq;
    snprintf(e->first_ev, sizeof(e->first_ev), "%s",
             inv->due_set ? "(deadline)" : ev);
    snprintf(e->why, sizeof(e->why), "%s", why);
    tr = sim_trace_begin(inv->loop, "sim.invariant.violated");
    sim_trace_str(tr, "id", e->id);
    sim_trace_u64(tr, "after_seq", e->first_seq);
    if (inv->due_set)
        sim_trace_ns(tr, "at", e->first_ns);
    sim_trace_str(tr, "why", e->why);
    for (i = 0; i < inv->nlinks; i++)
        sim_trace_link(tr, inv->link_key[i], inv->link_seq[i]);
    sim_trace_end(tr);
}

/* The event to blame is the last one traced before any check runs: a
 * violation record traced by one check must not be blamed by the next. */
static void run_all(sim_inv_t *inv, int with_end_only)
{
    const sim_trace_t *tr = inv->loop->trace;
    uint64_t seq = tr ? tr->last_seq : 0;
    char ev[sizeof(tr->last_ev)];
    int i;
    /* last_ev is always NUL-terminated in its array: a copy, no format. */
    if (tr)
        memcpy(ev, tr->last_ev, sizeof(ev));
    else
        ev[0] = 0;
    /* An event that traced nothing is blamed on what the last checks
     * blamed, not on the violation records those checks wrote. */
    if (tr && seq && seq == inv->checked_seq) {
        seq = inv->blame_seq;
        memcpy(ev, inv->blame_ev, sizeof(ev));
    }
    for (i = 0; i < inv->n; i++)
        if (with_end_only || !inv->e[i].end_only)
            run_one(inv, &inv->e[i], seq, ev);
    if (tr) {
        inv->checked_seq = tr->last_seq;
        inv->blame_seq = seq;
        memcpy(inv->blame_ev, ev, sizeof(ev));
    }
}

void sim_inv_check(sim_inv_t *inv)
{
    run_all(inv, 0);
}

void sim_inv_check_end(sim_inv_t *inv)
{
    run_all(inv, 1);
}

int sim_inv_violated(const sim_inv_t *inv)
{
    int i, n = 0;
    for (i = 0; i < inv->n; i++)
        n += inv->e[i].violations > 0;
    return n;
}
