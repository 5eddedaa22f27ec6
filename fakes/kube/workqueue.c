/*
 * workqueue.c: one controller-runtime controller's work queue and worker
 * (client-go's rate-limited delaying queue, MaxConcurrentReconciles = 1).
 *
 * Models (docs/platform.md; client-go util/workqueue queue.go,
 * delaying_queue.go, default_rate_limiters.go; controller-runtime
 * internal/controller reconcileHandler):
 * - Add: a key already waiting in the queue is not added again (dirty
 *   set); a key being reconciled is marked and queued again when its
 *   reconcile ends, so it runs once more, never twice at once;
 * - one reconcile at a time, started on a later turn than the add;
 * - an error re-adds the key after its back-off, 5ms * 2^(failures-1)
 *   capped at 1000s, failures counted per key (ItemExponentialFailure);
 *   success forgets them; RequeueAfter forgets them and re-adds after the
 *   delay (AddAfter: an earlier pending re-add wins over a later one);
 *   a delayed re-add does not block event-driven adds in the meantime.
 * Leaves out: the 10 qps / burst 100 bucket of the default limiter,
 * Result.Requeue without a delay, terminal errors, shutdown draining.
 */
#include <string.h>

#include "kube/kube.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

#define CTRL_NAME_MAX 64
#define QKEY_MAX (KUBE_NS_MAX + KUBE_NAME_MAX + 8)
#define BACKOFF_BASE_NS SIM_MS(5)
#define BACKOFF_MAX_NS SIM_S(1000)

/* Per-key state; kept only while it has any. */
typedef struct qkey {
    char key[QKEY_MAX];
    kube_ctrl_t *c;
    unsigned failures;      /* NumRequeues */
    int dirty;              /* in the dirty set */
    int processing;         /* being reconciled */
    sim_timer_t wait;       /* a delayed add (back-off, RequeueAfter) */
    struct qkey *next;      /* FIFO link while queued */
} qkey_t;

struct kube_ctrl {
    sim_loop_t *loop;
    char name[CTRL_NAME_MAX];
    kube_reconcile_cb cb;
    void *arg;
    qkey_t **keys;          /* sorted by key */
    size_t nkeys;
    size_t capkeys;
    qkey_t *head;           /* FIFO of keys ready to run */
    qkey_t *tail;
    qkey_t *running;        /* the reconcile in flight, or NULL */
    sim_timer_t dispatch;   /* starts the next reconcile */
    uint64_t reconciles;
    int in_cb;              /* inside the reconcile callback */
    int dead;               /* freed inside it: reaped next turn */
};

static void trace_drop(kube_ctrl_t *c, const char *key, int rc)
{
    sim_trace_t *tr = sim_trace_begin(c->loop, "kube.reconcile.drop");
    sim_trace_str(tr, "ctrl", c->name);
    sim_trace_str(tr, "key", key);
    sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
}

/* keys ------------------------------------------------------------------*/

static int key_find(const kube_ctrl_t *c, const char *key, size_t *pos)
{
    size_t lo = 0, hi = c->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->keys[mid]->key, key);
        if (cmp == 0) {
            *pos = mid;
            return 1;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

static qkey_t *key_get(kube_ctrl_t *c, const char *key)
{
    size_t pos, len = strlen(key);
    qkey_t *k;
    SIM_ASSERT(len < QKEY_MAX);
    if (key_find(c, key, &pos))
        return c->keys[pos];
    if (c->nkeys == c->capkeys) {
        size_t cap = c->capkeys ? c->capkeys * 2 : 8;
        qkey_t **v = sim__realloc(c->keys, cap * sizeof(*v));
        if (!v)
            return NULL;
        c->keys = v;
        c->capkeys = cap;
    }
    k = sim__calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    memcpy(k->key, key, len + 1);
    k->c = c;
    sim_timer_init(c->loop, &k->wait);
    k->wait.data = k;
    memmove(&c->keys[pos + 1], &c->keys[pos],
            (c->nkeys - pos) * sizeof(*c->keys));
    c->keys[pos] = k;
    c->nkeys++;
    return k;
}

/* Frees k once nothing refers to it: not queued, not running, no delayed
 * add, no failures to remember.  Never called from k's own timer. */
static void key_maybe_drop(kube_ctrl_t *c, qkey_t *k)
{
    size_t pos;
    if (k->dirty || k->processing || k->failures ||
        sim_timer_active(&k->wait))
        return;
    if (!key_find(c, k->key, &pos))
        SIM_ASSERT(!"key not indexed");
    memmove(&c->keys[pos], &c->keys[pos + 1],
            (c->nkeys - pos - 1) * sizeof(*c->keys));
    c->nkeys--;
    sim__free(k);
}

/* queue -----------------------------------------------------------------*/

static void dispatch(sim_timer_t *t);

/* Starts the worker on a later turn if it is idle and work is queued. */
static void kick(kube_ctrl_t *c)
{
    int rc;
    if (c->running || !c->head || sim_timer_active(&c->dispatch))
        return;
    rc = sim_timer_start(&c->dispatch, dispatch, 0);
    if (rc)
        trace_drop(c, c->head->key, rc);
}

static void push(kube_ctrl_t *c, qkey_t *k)
{
    k->next = NULL;
    if (c->tail)
        c->tail->next = k;
    else
        c->head = k;
    c->tail = k;
}

/* workqueue.Add */
static void add(kube_ctrl_t *c, qkey_t *k)
{
    if (k->dirty)
        return;
    k->dirty = 1;
    if (k->processing)
        return;
    push(c, k);
    kick(c);
}

static void wait_fire(sim_timer_t *t)
{
    qkey_t *k = t->data;
    add(k->c, k);
}

/* delayingQueue.AddAfter: now when d is 0; else the earlier of a pending
 * delayed add and this one. */
static void add_after(kube_ctrl_t *c, qkey_t *k, uint64_t d)
{
    int rc;
    if (d == 0) {
        add(c, k);
        return;
    }
    if (sim_timer_active(&k->wait) &&
        k->wait.due_ns <= sim_now(c->loop) + d)
        return;
    rc = sim_timer_start(&k->wait, wait_fire, d);
    if (rc)
        trace_drop(c, k->key, rc);
}

/* ItemExponentialFailureRateLimiter.When: 5ms * 2^failures, then
 * failures + 1; capped at 1000s. */
static uint64_t backoff_next(qkey_t *k)
{
    unsigned exp = k->failures++;
    if (exp >= 40 || (BACKOFF_BASE_NS << exp) > BACKOFF_MAX_NS)
        return BACKOFF_MAX_NS;
    return BACKOFF_BASE_NS << exp;
}

static void ctrl_reap(void *a, void *b)
{
    (void)b;
    sim__free(a);
}

/* Timer callback: pops one key and hands it to the reconciler. */
static void dispatch(sim_timer_t *t)
{
    kube_ctrl_t *c = t->data;
    qkey_t *k = c->head;
    sim_trace_t *tr;
    if (c->running || !k)
        return;
    c->head = k->next;
    if (!c->head)
        c->tail = NULL;
    k->next = NULL;
    k->dirty = 0;
    k->processing = 1;
    c->running = k;
    c->reconciles++;
    tr = sim_trace_begin(c->loop, "kube.reconcile.start");
    sim_trace_str(tr, "ctrl", c->name);
    sim_trace_str(tr, "key", k->key);
    sim_trace_u64(tr, "n", c->reconciles);
    sim_trace_end(tr);
    c->in_cb = 1;
    c->cb(c->arg, c, k->key); /* may call kube_ctrl_done: k may be gone */
    c->in_cb = 0;
    if (c->dead) /* the loop reads t after we return: free c next turn */
        (void)sim_call(c->loop, 0, ctrl_reap, c, NULL);
}

/* api -------------------------------------------------------------------*/

/* A controller with an empty queue.  name goes in its traces.  0 or
 * SIM_ENOMEM. */
int kube_ctrl_new(sim_loop_t *loop, const char *name, kube_reconcile_cb cb,
                  void *arg, kube_ctrl_t **out)
{
    kube_ctrl_t *c;
    SIM_ASSERT(cb != NULL);
    SIM_ASSERT(strlen(name) < CTRL_NAME_MAX);
    *out = NULL;
    c = sim__calloc(1, sizeof(*c));
    if (!c)
        return SIM_ENOMEM;
    c->loop = loop;
    memcpy(c->name, name, strlen(name) + 1);
    c->cb = cb;
    c->arg = arg;
    sim_timer_init(loop, &c->dispatch);
    c->dispatch.data = c;
    *out = c;
    return 0;
}

/* Drops every key and pending re-add.  A reconcile in flight must not
 * call kube_ctrl_done afterwards.  Safe inside the reconcile callback.
 * NULL is a no-op. */
void kube_ctrl_free(kube_ctrl_t *c)
{
    size_t i;
    if (!c)
        return;
    for (i = 0; i < c->nkeys; i++) {
        sim_timer_stop(&c->keys[i]->wait);
        sim__free(c->keys[i]);
    }
    SIM_FREE(c->keys);
    c->nkeys = c->capkeys = 0;
    c->head = c->tail = c->running = NULL;
    sim_timer_stop(&c->dispatch);
    if (c->in_cb) {
        c->dead = 1; /* dispatch() hands c to a loop-owned call */
        return;
    }
    sim__free(c);
}

/* workqueue.Add from an event handler; see kube.h.  Never runs the
 * reconcile inside this call.  On ENOMEM the key is dropped and traced
 * (kube.reconcile.drop). */
void kube_ctrl_enqueue(kube_ctrl_t *c, const char *key)
{
    qkey_t *k;
    SIM_ASSERT(!c->dead);
    k = key_get(c, key);
    if (!k) {
        trace_drop(c, key, SIM_ENOMEM);
        return;
    }
    add(c, k);
}

/* The end of the reconcile of key; see kube.h.  Traces
 * kube.reconcile.done with the delay of the next run (0: none planned). */
void kube_ctrl_done(kube_ctrl_t *c, const char *key, int err,
                    uint64_t requeue_after_ns)
{
    qkey_t *k = c->running;
    uint64_t next = 0;
    sim_trace_t *tr;
    SIM_ASSERT(k != NULL);
    SIM_ASSERT(strcmp(k->key, key) == 0);
    c->running = NULL;
    if (err) {
        next = backoff_next(k);
        add_after(c, k, next);
    } else if (requeue_after_ns > 0) {
        k->failures = 0;
        next = requeue_after_ns;
        add_after(c, k, next);
    } else {
        k->failures = 0;
    }
    tr = sim_trace_begin(c->loop, "kube.reconcile.done");
    sim_trace_str(tr, "ctrl", c->name);
    sim_trace_str(tr, "key", k->key);
    sim_trace_err(tr, "err", err);
    sim_trace_ns(tr, "next", next);
    sim_trace_u64(tr, "failures", k->failures);
    sim_trace_end(tr);
    k->processing = 0;
    if (k->dirty)
        push(c, k);
    else
        key_maybe_drop(c, k);
    kick(c);
}

/* Reconciles started so far. */
uint64_t kube_ctrl_reconciles(const kube_ctrl_t *c)
{
    return c->reconciles;
}
