/*
 * loop.c: the virtual backend of sim_loop_t.
 *
 * A binary min-heap of 16-byte entries, each one key: an unsigned 128-bit
 * number, due_ns in the high half and a tag in the low half, the tag
 * being (seq << 24) | slot with seq the start counter.  The slot names
 * the timer (loop->slots[slot].t), so a sift moves 16 bytes a level and
 * a 1,000-timer heap fits in 16 KiB.  Keys are
 * unique (seq is) and ordered by (due_ns, seq), so the pop order is the
 * total order on (due_ns, start order) whatever the heap's shape; this is
 * what keeps traces byte-identical.
 *
 * Cancellation is lazy.  A started timer owns a slot; loop->slots[slot]
 * holds the tag of its one live entry and the timer.  Stopping a timer frees its slot
 * (the slot then holds a free-list link, below 2^24, never a tag); moving
 * it pushes a new entry and stores the new tag.  The old entry stays in
 * the heap, stale, and is dropped when it reaches the top, so no operation
 * writes back-pointers into timers and each one sifts in one direction
 * only: a push sifts up, a pop or a re-arm of the root sifts down.  An
 * entry is checked against its slot (named by the tag's low bits) before
 * its timer is touched, so a stale entry never reads a timer its owner
 * may have freed; while no entry is stale (loop->stale counts them) the
 * check is skipped.  When stale entries outnumber live ones at a growth,
 * they are swept out instead (amortised O(1)).
 *
 * The entry being fired stays at the root while its callback runs
 * (loop->firing), so the common "timer re-arms itself" case costs one
 * sift-down instead of a pop and a push; this is what makes the W1
 * benchmark fast.  Nothing can overtake a firing entry: anything started
 * during its callback gets due >= now and a larger seq.
 */
#include "sim/loop.h"
#include "sim/trace.h"

#include <string.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"

/* Hot-path checks: on in dev and sanitizer builds, off under NDEBUG. */
#ifdef NDEBUG
#define LOOP_ASSERT(e) ((void)0)
#else
#define LOOP_ASSERT(e) SIM_ASSERT(e)
#endif

enum {
    SIM__TIMER_IDLE = 0,
    SIM__TIMER_ACTIVE,
    SIM__TIMER_FIRING,
};

struct sim__call {
    sim_timer_t timer;
    sim_call_cb cb;
    void *a;
    void *b;
    struct sim__call *next_free;
};

#define KEY_MAX (~(sim__key_t)0)

static inline sim__key_t mkkey(uint64_t due, uint64_t seq)
{
    return ((sim__key_t)due << 64) | seq;
}

static inline uint64_t key_due(sim__key_t k)
{
    return (uint64_t)(k >> 64);
}

#define TAG_SLOT_BITS 24
#define TAG_SLOT_MASK ((UINT64_C(1) << TAG_SLOT_BITS) - 1)
#define SEQ_MAX (UINT64_MAX >> TAG_SLOT_BITS)

static inline uint64_t key_tag(sim__key_t k)
{
    return (uint64_t)k;
}

static inline int hent_live(const sim_loop_t *loop, const struct sim__hent *e)
{
    uint64_t tag = key_tag(e->key);
    return loop->slots[tag & TAG_SLOT_MASK].tag == tag;
}

/*
 * The heap is 1-based: the root is heap[1], the children of i are 2i and
 * 2i+1, and heap[len + 1] holds a max-key sentinel.  The array is 64-byte
 * aligned, so two siblings (16 bytes each) share one cache line.
 */

/* Places e at hole i or above.  heap[i] is free. */
static inline void heap_sift_up(struct sim__hent *h, uint32_t i,
                                struct sim__hent e)
{
    while (i > 1) {
        uint32_t parent = i / 2;
        if (!(e.key < h[parent].key))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

/* The key of the entry at byte offset off from base. */
static inline sim__key_t key_at(const char *base, size_t off)
{
    return ((const struct sim__hent *)(const void *)(base + off))->key;
}

/* Places e at hole i or below, among n entries.  The sentinel at h[n + 1]
 * lets the smaller child be picked by arithmetic, without a bounds test.
 * Positions are kept as byte offsets (16 * index): the children of the
 * entry at offset o are at 2o and 2o + 16, so no shift sits on the
 * load-compare-pick chain that each level waits on. */
static inline void heap_sift_down(struct sim__hent *h, uint32_t n, uint32_t i,
                                  struct sim__hent e)
{
    char *base = (char *)h;
    size_t o = (size_t)i * sizeof(*h), end = (size_t)n * sizeof(*h);
    for (;;) {
        size_t c = 2 * o;
        sim__key_t kl, kr, kc;
        int right;
        if (c > end)
            break;
        /* Both keys in registers, the smaller picked by arithmetic: no
         * reload of the chosen child on the critical path. */
        kl = key_at(base, c);
        kr = key_at(base, c + sizeof(*h));
        right = kr < kl;
        kc = right ? kr : kl;
        c = right ? c + sizeof(*h) : c; /* a cmov, like kc's halves */
        if (!(kc < e.key))
            break;
        /* the entry is its key: no reload */
        ((struct sim__hent *)(void *)(base + o))->key = kc;
        o = c;
    }
    *(struct sim__hent *)(void *)(base + o) = e;
}

static inline void heap_pop_root(sim_loop_t *loop)
{
    uint32_t n = --loop->heap_len;
    struct sim__hent last = loop->heap[n + 1];
    loop->heap[n + 1].key = KEY_MAX;
    if (n > 0)
        heap_sift_down(loop->heap, n, 1, last);
}

/* Drops stale entries and re-heapifies (Floyd).  While an entry fires it
 * is the minimum of the heap, so it stays at the root either way. */
static void heap_sweep(sim_loop_t *loop)
{
    struct sim__hent *h = loop->heap;
    uint32_t i, n = 0;
    for (i = 1; i <= loop->heap_len; i++)
        if ((i == 1 && loop->firing) || hent_live(loop, &h[i]))
            h[++n] = h[i];
    loop->heap_len = n;
    loop->stale = 0;
    h[n + 1].key = KEY_MAX;
    for (i = n / 2; i >= 1; i--)
        heap_sift_down(h, n, i, h[i]);
}

/* Points loop->heap at the first 64-byte boundary of loop->heap_mem and
 * moves the entries there if realloc shifted them. */
static void heap_align(sim_loop_t *loop, size_t old_off)
{
    uintptr_t base = (uintptr_t)loop->heap_mem;
    size_t off = (size_t)((64 - base % 64) % 64);
    if (off != old_off)
        memmove((char *)loop->heap_mem + off, (char *)loop->heap_mem + old_off,
                (size_t)(loop->heap_len + 2) * sizeof(struct sim__hent));
    loop->heap = (struct sim__hent *)(void *)((char *)loop->heap_mem + off);
}

static int heap_alloc(sim_loop_t *loop, uint32_t cap)
{
    size_t old_off = loop->heap_mem
        ? (size_t)((char *)loop->heap - (char *)loop->heap_mem) : 0;
    void *m = sim__realloc(loop->heap_mem,
                           (size_t)cap * sizeof(struct sim__hent) + 64);
    if (!m)
        return SIM_ENOMEM;
    loop->heap_mem = m;
    loop->heap_cap = cap;
    heap_align(loop, old_off);
    return 0;
}

/* Room for one more entry (and the sentinel).  For a move (the timer's
 * old entry already made stale) it cannot fail: when the array cannot
 * grow, a sweep frees at least that old entry, so moving an armed timer
 * never allocates-or-fails, as the callers that move armed timers rely
 * on. */
static int heap_reserve(sim_loop_t *loop, int moving)
{
    if (loop->heap_len + 3 <= loop->heap_cap)
        return 0;
    if (loop->heap_len - loop->armed > loop->heap_len / 2) {
        heap_sweep(loop);
        if (loop->heap_len + 3 <= loop->heap_cap)
            return 0;
    }
    if (heap_alloc(loop, loop->heap_cap * 2) == 0)
        return 0;
    if (!moving)
        return SIM_ENOMEM;
    heap_sweep(loop);
    SIM_ASSERT(loop->heap_len + 3 <= loop->heap_cap);
    return 0;
}

/* Room for one more slot.  Slot 0 is never used; a free slot holds the
 * index of the next free one (0: none), always below 2^24, never a tag. */
static int slot_reserve(sim_loop_t *loop)
{
    struct sim__slot *s;
    uint32_t cap;
    if (loop->slot_free || loop->slot_top < loop->slot_cap)
        return 0;
    if (loop->slot_cap >= TAG_SLOT_MASK)
        return SIM_ENOMEM; /* 2^24 timers armed at once */
    cap = loop->slot_cap * 2;
    s = sim__realloc(loop->slots, (size_t)cap * sizeof(*s));
    if (!s)
        return SIM_ENOMEM;
    loop->slots = s;
    loop->slot_cap = cap;
    return 0;
}

/* After slot_reserve: a slot for t, which holds none. */
static void slot_take(sim_loop_t *loop, sim_timer_t *t)
{
    uint32_t i = loop->slot_free;
    if (i)
        loop->slot_free = (uint32_t)loop->slots[i].tag;
    else
        i = loop->slot_top++;
    loop->slots[i].t = t;
    t->slot = i;
}

static void slot_release(sim_loop_t *loop, sim_timer_t *t)
{
    loop->slots[t->slot].tag = loop->slot_free;
    loop->slot_free = t->slot;
    t->slot = 0;
}

/* The tag of a new entry for t (which holds a slot), stored in its slot. */
static inline uint64_t tag_next(sim_loop_t *loop, const sim_timer_t *t)
{
    uint64_t tag = (++loop->seq << TAG_SLOT_BITS) | t->slot;
    loop->slots[t->slot].tag = tag;
    return tag;
}

int sim_loop_init(sim_loop_t *loop, uint64_t seed)
{
    memset(loop, 0, sizeof(*loop));
    loop->seed = seed;
    loop->slot_cap = 64;
    loop->slot_top = 1;
    loop->slots = sim__calloc(loop->slot_cap, sizeof(*loop->slots));
    /* A run starts at most SEQ_MAX (2^40) timers: 12 hours of W1. */
    if (!loop->slots || heap_alloc(loop, 64)) {
        SIM_FREE(loop->heap_mem);
        SIM_FREE(loop->slots);
        return SIM_ENOMEM;
    }
    loop->heap[1].key = KEY_MAX;
    return 0;
}

void sim_loop_close(sim_loop_t *loop)
{
    uint32_t i;
    /* Every armed (or firing) timer has one live entry.  Calls still
     * queued are owned by the loop: the marker set by sim_call finds
     * them. */
    for (i = 1; i <= loop->heap_len; i++) {
        sim_timer_t *t;
        if (!hent_live(loop, &loop->heap[i]))
            continue;
        t = loop->slots[key_tag(loop->heap[i].key) & TAG_SLOT_MASK].t;
        t->state = SIM__TIMER_IDLE;
        t->slot = 0;
        if (t->data == (void *)loop)
            sim__free(t); /* timer is the first member */
    }
    while (loop->free_calls) {
        struct sim__call *c = loop->free_calls;
        loop->free_calls = c->next_free;
        sim__free(c);
    }
    SIM_FREE(loop->heap_mem);
    loop->heap = NULL;
    SIM_FREE(loop->slots);
    loop->heap_len = loop->heap_cap = loop->armed = loop->stale = 0;
    loop->slot_cap = loop->slot_top = loop->slot_free = 0;
}

void sim_timer_init(sim_loop_t *loop, sim_timer_t *t)
{
    memset(t, 0, sizeof(*t));
    t->loop = loop;
}

/* Every start but a re-arm from the timer's own callback: a push.  Kept
 * out of line so that the re-arm path saves no registers it does not use. */
static __attribute__((noinline)) int timer_push(sim_timer_t *t,
                                                sim_timer_cb cb, uint64_t due)
{
    sim_loop_t *loop = t->loop;
    struct sim__hent e;
    int moving = t->state == SIM__TIMER_ACTIVE;
    if (moving) {
        loop->slots[t->slot].tag = 0; /* its entry goes stale: matches no tag */
        loop->stale++;
    }
    if (heap_reserve(loop, moving) || (!t->slot && slot_reserve(loop)))
        return SIM_ENOMEM;
    if (!t->slot)
        slot_take(loop, t);
    if (t->state == SIM__TIMER_IDLE)
        loop->armed++;
    t->cb = cb;
    t->due_ns = due;
    t->state = SIM__TIMER_ACTIVE;
    e.key = mkkey(due, tag_next(loop, t));
    heap_sift_up(loop->heap, ++loop->heap_len, e);
    loop->heap[loop->heap_len + 1].key = KEY_MAX;
    return 0;
}

int sim_timer_start(sim_timer_t *t, sim_timer_cb cb, uint64_t delay_ns)
{
    sim_loop_t *loop = t->loop;
    struct sim__hent e;
    uint64_t due;
    LOOP_ASSERT(loop != NULL);
    LOOP_ASSERT(cb != NULL);
    if (delay_ns > UINT64_MAX - loop->now_ns - 1 || loop->seq >= SEQ_MAX)
        return SIM_ERANGE;
    due = loop->now_ns + delay_ns;
    if (loop->trace)
        t->cause = loop->trace->stamp; /* the record that scheduled it */
    if (!(t->state == SIM__TIMER_FIRING && loop->firing))
        return timer_push(t, cb, due);
    /* Re-armed by its own callback: its entry is the root; the new key is
     * larger, so one sift-down places it. */
    LOOP_ASSERT(loop->slots[key_tag(loop->heap[1].key) & TAG_SLOT_MASK].t == t);
    t->cb = cb;
    t->due_ns = due;
    t->state = SIM__TIMER_ACTIVE;
    loop->firing = 0;
    e.key = mkkey(due, tag_next(loop, t));
    heap_sift_down(loop->heap, loop->heap_len, 1, e);
    return 0;
}

void sim_timer_stamp(sim_timer_t *t, uint64_t seq)
{
    if (seq)
        t->cause = seq;
}

void sim_timer_stop(sim_timer_t *t)
{
    if (t->state == SIM__TIMER_IDLE)
        return;
    t->loop->armed--; /* armed or firing */
    if (t->state == SIM__TIMER_ACTIVE)
        t->loop->stale++; /* a firing one's entry is popped after it */
    slot_release(t->loop, t); /* its entry goes stale */
    t->state = SIM__TIMER_IDLE;
}

int sim_timer_active(const sim_timer_t *t)
{
    return t->state == SIM__TIMER_ACTIVE;
}

static void call_fire(sim_timer_t *t)
{
    struct sim__call *c = (struct sim__call *)t;
    sim_loop_t *loop = t->loop;
    sim_call_cb cb = c->cb;
    void *a = c->a, *b = c->b;
    /* Recycle first: cb may schedule calls of its own. */
    sim_timer_stop(t);
    c->next_free = loop->free_calls;
    loop->free_calls = c;
    cb(a, b);
}

int sim_call(sim_loop_t *loop, uint64_t delay_ns, sim_call_cb cb, void *a,
             void *b)
{
    struct sim__call *c = loop->free_calls;
    int rc;
    if (c) {
        loop->free_calls = c->next_free;
    } else {
        c = sim__malloc(sizeof(*c));
        if (!c)
            return SIM_ENOMEM;
    }
    sim_timer_init(loop, &c->timer);
    c->timer.data = loop; /* marks a loop-owned node for sim_loop_close */
    c->cb = cb;
    c->a = a;
    c->b = b;
    rc = sim_timer_start(&c->timer, call_fire, delay_ns);
    if (rc) {
        c->next_free = loop->free_calls;
        loop->free_calls = c;
    }
    return rc;
}

uint64_t sim_loop_run(sim_loop_t *loop, uint64_t until_ns)
{
    uint64_t n = 0;
    loop->stopped = 0;
    while (!loop->stopped && loop->heap_len > 0) {
        struct sim__hent *top = &loop->heap[1];
        sim_timer_t *t;
        uint64_t due = key_due(top->key);
        if (loop->stale && !hent_live(loop, top)) {
            heap_pop_root(loop); /* stale: stopped or moved */
            loop->stale--;
            continue;
        }
        LOOP_ASSERT(hent_live(loop, top)); /* the count is exact */
        if (due > until_ns) {
            if (loop->now_ns < until_ns)
                loop->now_ns = until_ns;
            return n;
        }
        LOOP_ASSERT(due >= loop->now_ns);
        t = loop->slots[key_tag(top->key) & TAG_SLOT_MASK].t;
        loop->now_ns = due;
        t->state = SIM__TIMER_FIRING; /* still counted in armed */
        loop->firing = 1;
        loop->events++;
        n++;
        if (loop->trace) {
            loop->trace->ambient = loop->trace->stamp = t->cause;
            loop->trace->in_event = 1;
        }
        t->cb(t);
        if (loop->firing) {
            /* Not re-armed in place: the entry leaves the heap. */
            loop->firing = 0;
            heap_pop_root(loop);
            if (t->state == SIM__TIMER_FIRING) {
                slot_release(loop, t);
                t->state = SIM__TIMER_IDLE;
                loop->armed--;
            }
        }
        if (loop->after_event)
            loop->after_event(loop, loop->after_event_arg);
        if (loop->trace) {
            loop->trace->in_event = 0;
            loop->trace->ambient = loop->trace->stamp = 0;
        }
    }
    if (!loop->stopped && until_ns != SIM_NEVER && loop->now_ns < until_ns)
        loop->now_ns = until_ns;
    return n;
}

void sim_loop_stop(sim_loop_t *loop)
{
    loop->stopped = 1;
}

uint32_t sim_loop_pending(const sim_loop_t *loop)
{
    return loop->armed;
}

/* The due time of the earliest armed timer or call, SIM_NEVER if none (for
 * the real-time driver in backend_uv.c, which sleeps until it).  Stale
 * entries at the top are dropped first, as sim_loop_run drops them. */
uint64_t sim_loop_next_due(sim_loop_t *loop)
{
    while (loop->heap_len > 0 && loop->stale &&
           !hent_live(loop, &loop->heap[1])) {
        heap_pop_root(loop);
        loop->stale--;
    }
    return loop->heap_len > 0 ? key_due(loop->heap[1].key) : SIM_NEVER;
}
