/*
 * loop.h: the event loop every model and fake runs on.
 *
 * Shaped like libuv: caller-owned handles (timers, streams) with completion
 * callbacks, one cached clock per event, equal deadlines fired in the order
 * they were scheduled.  The loop is implemented by a virtual backend
 * (sim/kernel/loop.c): a heap keyed by (due_ns, seq) that jumps time to the
 * next event, so a run of simulated minutes costs only the events in it.
 * Stopping or moving a timer leaves its old heap entry behind, stale (its
 * tag no longer matches the timer's slot); stale entries are skipped when
 * they reach the top and swept out when they outnumber live ones.  A loop
 * has at most 2^24 timers armed at once (more: SIM_ENOMEM) and starts at
 * most 2^40 in its life (more: SIM_ERANGE).
 * Nothing here reads the wall clock.  A real-I/O backend must provide the
 * same calls (the ops in sim_loop_t) so models never change.
 *
 * Guarantees:
 * - A callback never runs inside the call that scheduled it.
 * - Timers with equal due_ns fire in start order (seq).
 * - sim_now() is constant during one event.
 */
#ifndef SIM_LOOP_H
#define SIM_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define SIM_NS_PER_US ((uint64_t)1000)
#define SIM_NS_PER_MS ((uint64_t)1000000)
#define SIM_NS_PER_S ((uint64_t)1000000000)
#define SIM_MS(x) ((uint64_t)(x) * SIM_NS_PER_MS)
#define SIM_S(x) ((uint64_t)(x) * SIM_NS_PER_S)
#define SIM_NEVER UINT64_MAX

typedef struct sim_loop sim_loop_t;
typedef struct sim_timer sim_timer_t;
typedef struct sim_stream sim_stream_t;
struct sim_trace;
struct sim_faults;
struct sim_inv;

typedef void (*sim_timer_cb)(sim_timer_t *t);
typedef void (*sim_call_cb)(void *a, void *b);
typedef void (*sim_hook_cb)(sim_loop_t *loop, void *arg);

struct sim_timer {
    void *data;         /* public: caller's pointer */
    sim_loop_t *loop;   /* read-only */
    sim_timer_cb cb;    /* private */
    uint64_t due_ns;    /* read-only: when it fires, if active */
    uint32_t slot;      /* private: index in loop->slots, 0 when none */
    uint8_t state;      /* private: SIM__TIMER_* */
    uint64_t cause;     /* private: trace seq that scheduled it (not hashed) */
};

/* The heap key: due_ns in the high 64 bits, a tag (seq << 24 | slot) in
 * the low, compared as one unsigned 128-bit number (branch-free). */
__extension__ typedef unsigned __int128 sim__key_t;

/* A heap entry, 16 bytes: the key alone.  Live iff
 * slots[tag & 0xffffff].tag == tag; its timer is that slot's t. */
struct sim__hent {
    sim__key_t key;
};

/* A timer slot, 16 bytes: the tag of the timer's one live entry and the
 * timer; a free slot's tag is the next free slot (below 2^24, never a
 * tag). */
struct sim__slot {
    uint64_t tag;
    sim_timer_t *t;
};

struct sim__call;

struct sim_loop {
    uint64_t now_ns;            /* read-only: virtual clock */
    uint64_t events;            /* read-only: callbacks run so far */
    uint64_t seed;              /* read-only: the run's root seed */
    int stopped;                /* private: sim_loop_stop() was called */
    uint64_t seq;               /* private */
    struct sim__hent *heap;     /* private: 1-based min-heap on (due_ns,
                                   seq), a max-key sentinel at
                                   heap[heap_len + 1], 64-byte aligned */
    void *heap_mem;             /* private: the allocation behind heap */
    uint32_t heap_len;          /* private: entries, stale ones included */
    uint32_t heap_cap;          /* private: room, the sentinel included */
    uint32_t armed;             /* private: active timers and calls, and
                                   the one firing */
    int firing;                 /* private: heap[0] is the entry running */
    uint32_t stale;             /* private: stale entries in the heap */
    struct sim__slot *slots;    /* private: live tag and timer per slot;
                                   [0] unused */
    uint32_t slot_cap;          /* private */
    uint32_t slot_free;         /* private: head of the free list, 0 = none */
    uint32_t slot_top;          /* private: slots handed out so far + 1 */
    struct sim__call *free_calls; /* private: recycled sim_call nodes */
    sim_hook_cb after_event;    /* public: run after every event, or NULL */
    void *after_event_arg;      /* public */
    struct sim_trace *trace;    /* public: trace sink, or NULL */
    struct sim_faults *faults;  /* public: fault sites, or NULL */
    void *world;                /* public: the models' world, or NULL */
};

/* init -------------------------------------------------------------------*/

/* Initialises a virtual-time loop at t=0.  Returns 0 or SIM_ENOMEM. */
int sim_loop_init(sim_loop_t *loop, uint64_t seed);

/* Frees the loop's memory.  Pending timers are dropped without callbacks;
 * their memory stays the caller's. */
void sim_loop_close(sim_loop_t *loop);

/* timers -----------------------------------------------------------------*/

void sim_timer_init(sim_loop_t *loop, sim_timer_t *t);

/* Arms t to fire delay_ns from now (a delay of 0 runs on a later turn, never
 * inside this call).  Restarting an active timer moves it.  Returns 0 or
 * SIM_ENOMEM, SIM_ERANGE when now + delay overflows. */
int sim_timer_start(sim_timer_t *t, sim_timer_cb cb, uint64_t delay_ns);

/* Disarms t; a no-op when inactive. */
void sim_timer_stop(sim_timer_t *t);

/* Names seq (a trace record written after t was armed, by the same event)
 * as the record that scheduled t: what t's callback writes then has it as
 * cause (explain).  Never hashed; seq 0 is ignored. */
void sim_timer_stamp(sim_timer_t *t, uint64_t seq);

int sim_timer_active(const sim_timer_t *t);

/* one-shot calls ---------------------------------------------------------*/

/* Runs cb(a, b) delay_ns from now.  The loop owns the node.  Returns 0 or
 * SIM_ENOMEM.  There is no cancel: callers that may be gone by then carry a
 * generation number in a or b and check it. */
int sim_call(sim_loop_t *loop, uint64_t delay_ns, sim_call_cb cb, void *a,
             void *b);

/* run --------------------------------------------------------------------*/

/* Runs events in (due_ns, seq) order until none is left, sim_loop_stop() is
 * called, or the next event is later than until_ns (then now = until_ns).
 * Returns the number of events run. */
uint64_t sim_loop_run(sim_loop_t *loop, uint64_t until_ns);

/* Makes sim_loop_run return after the current event.  Pending events stay. */
void sim_loop_stop(sim_loop_t *loop);

/* The cached virtual time in ns. */
static inline uint64_t sim_now(const sim_loop_t *loop)
{
    return loop->now_ns;
}

/* Number of armed timers and calls (inside a callback, its own timer
 * counts until the callback returns without re-arming it). */
uint32_t sim_loop_pending(const sim_loop_t *loop);

/* The due time of the earliest armed timer or call, SIM_NEVER if none. */
uint64_t sim_loop_next_due(sim_loop_t *loop);

/* streams ----------------------------------------------------------------*/

/*
 * A stream is one end of a bidirectional in-memory byte connection, shaped
 * like uv_stream_t: sim_stream_write copies the bytes and delivers them to the
 * peer's read callback on a later turn; closing one end delivers EOF
 * (nread = SIM_EPIPE) to the peer.  Streams are created in pairs by
 * sim_stream_pair() and owned by the loop until both ends are closed.
 */
typedef void (*sim_read_cb)(sim_stream_t *s, long nread, const void *buf);
typedef void (*sim_close_cb)(sim_stream_t *s);

struct sim_stream {
    void *data;               /* public: caller's pointer */
    sim_loop_t *loop;         /* read-only */
    sim_stream_t *peer;       /* read-only: NULL once the peer is gone */
    sim_read_cb read_cb;      /* private */
    sim_close_cb close_cb;    /* private */
    uint64_t latency_ns;      /* public: delay added to each write */
    int closed;               /* read-only */
    int refs;                 /* private: pending deliveries + 1 */
    void (*hook)(sim_stream_t *s, void *arg); /* private: transport hook */
    void *hook_arg;           /* private */
};

/* Creates a connected pair *a <-> *b.  Returns 0 or SIM_ENOMEM. */
int sim_stream_pair(sim_loop_t *loop, sim_stream_t **a, sim_stream_t **b);

/* Sets the read callback.  Bytes written before it is set are delivered once
 * it is. */
void sim_stream_read_start(sim_stream_t *s, sim_read_cb cb);

/* Copies len bytes to the peer.  Returns 0, SIM_EPIPE if the peer closed,
 * SIM_ECLOSED if s is closed, or SIM_ENOMEM. */
int sim_stream_write(sim_stream_t *s, const void *buf, size_t len);

/* Closes s.  The peer reads SIM_EPIPE on a later turn.  cb (may be NULL) runs
 * on a later turn; s is freed after it. */
void sim_stream_close(sim_stream_t *s, sim_close_cb cb);

/* For transports (npipe, uds) that must know when a handle goes away: hook
 * runs synchronously inside sim_stream_close(s), once.  Not for models. */
void sim_stream_set_hook(sim_stream_t *s,
                         void (*hook)(sim_stream_t *s, void *arg), void *arg);

#endif
