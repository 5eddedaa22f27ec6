/*
 * host.c: the machine the RDD instances share (host.h is the contract):
 * processes, a filesystem, the WSL distro registry, loopback TCP ports and
 * the utility VM's vsock namespace.  docs/rdd/limavm.md, docs/rdd/hazards.md
 * (H7-H12, H14), docs/rdd/README.md (what is modelled).
 *
 * Every table is an array kept sorted by its key (pid, path, distro name,
 * port), so every walk is in key order and nothing depends on addresses.
 * Directories are entries of their own: a write creates its missing
 * parents (mkdir -p), and a directory stays when its last file goes, as on
 * a real disk.  A queued interrupt is a timer owned by the host (started at
 * +0, so it runs on a later turn at the same instant, in the order it was
 * queued, like sim_call), which host_free can disarm.
 *
 * Left out: access rights, case-insensitive Windows names, file sizes and
 * times, share modes other than "open blocks delete", short names, the
 * utility VM stopping when its last distro stops, vsock dialing beyond
 * "who listens", UDP and non-loopback addresses.
 */
#include "host/host.h"

#include <stdio.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

#define HOST_PORT_MAX 65535
#define HOST_PID_LAST (UINT32_MAX - HOST_PID_STEP)
#define HOST_KILL_CODE_WIN 1     /* TerminateProcess(h, 1): RDD's Kill */
#define HOST_KILL_CODE_UNIX (-1) /* Go's ExitCode() of a signalled process */

typedef struct {
    host_proc_t p;         /* the public record */
    uint64_t gen;          /* incarnation (pid reuse) */
    uint64_t spawn_trace;  /* its host.proc.spawn record (explain link) */
    uint64_t exit_trace;   /* its host.proc.exit record (explain link) */
    uint64_t mark;         /* kill_tree/kill_group selection token */
    host_signal_cb int_cb; /* interrupt handler, or NULL */
    void *int_arg;
} proc_t;

typedef struct {
    int id; /* > 0, increasing in add order */
    uint32_t pid;
    host_exit_cb cb;
    void *arg;
} watch_t;

typedef struct {
    char path[HOST_PATH_MAX];
    int is_dir;
    char data[HOST_DATA_MAX];
} fent_t;

typedef struct {
    char path[HOST_PATH_MAX];
    uint32_t pid;
} hold_t;

typedef struct {
    char name[64];
    char vhdx[HOST_PATH_MAX];
    char registered_by[96];
    host_wsl_state_t state;
    uint64_t op_trace; /* its latest host.wsl.* record (explain's link) */
} distro_t;

typedef struct {
    int port;
    uint32_t pid;
} port_t;

typedef struct {
    int port;
    uint32_t pid; /* 0: a guest's listener */
    char owner[96];
    void *data;   /* what a dial reaches (host_vsock_set_data) */
} vsl_t;

typedef struct host_intr {
    sim_timer_t timer; /* fires the delivery at +0 */
    host_t *h;
    struct host_intr *next; /* every node, for host_free */
    uint32_t pid;
    uint64_t gen; /* incarnation the interrupt was sent to */
    int busy;     /* timer armed */
} host_intr_t;

struct host {
    sim_loop_t *loop;
    int windows;
    proc_t *procs; /* sorted by pid, dead ones too */
    size_t nprocs, cap_procs;
    uint32_t next_pid;
    uint64_t gen_seq;
    uint64_t mark_seq;
    watch_t *watches; /* add order */
    size_t nwatches, cap_watches;
    int next_watch_id;
    fent_t *files; /* sorted by path (strcmp) */
    size_t nfiles, cap_files;
    uint64_t fs_gen; /* +1 per file write, create or removal */
    uint64_t kill_trace; /* the latest host.proc.kill record (explain) */
    hold_t *holds; /* add order */
    size_t nholds, cap_holds;
    distro_t *distros; /* sorted by name */
    size_t ndistros, cap_distros;
    host_wsl_rec_t *wlog; /* every WSL operation */
    size_t nwlog, cap_wlog;
    port_t *ports; /* sorted by port */
    size_t nports, cap_ports;
    int eph_next; /* next ephemeral port to try */
    vsl_t *vsl;   /* sorted by port */
    size_t nvsl, cap_vsl;
    host_intr_t *intrs;
    char guid[40]; /* "" until the first WSL start */
    struct {
        host_wsl_stop_cb cb;
        void *arg;
    } wsl_obs[HOST_WSL_OBS_MAX]; /* add order; cb NULL: free slot */
};

/* helpers ----------------------------------------------------------------*/

/* Grows the array whose pointer is at arrp to hold need elements. */
static int grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
    void *old, *p;
    size_t ncap;
    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    memcpy(&old, arrp, sizeof(old));
    p = sim__realloc(old, ncap * elem);
    if (!p)
        return SIM_ENOMEM;
    memcpy(arrp, &p, sizeof(p));
    *cap = ncap;
    return 0;
}

#define GROW(arr, cap, need) grow(&(arr), &(cap), (need), sizeof(*(arr)))

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static void trace_proc(sim_trace_t *tr, const proc_t *pr)
{
    sim_trace_u64(tr, "pid", pr->p.pid);
    sim_trace_str(tr, "name", pr->p.name);
}

/* host -------------------------------------------------------------------*/

int host_new(sim_loop_t *loop, int windows, host_t **out)
{
    host_t *h;
    SIM_ASSERT(loop != NULL);
    SIM_ASSERT(out != NULL);
    *out = NULL;
    h = sim__calloc(1, sizeof(*h));
    if (!h)
        return SIM_ENOMEM;
    h->loop = loop;
    h->windows = windows ? 1 : 0;
    h->next_pid = HOST_PID_FIRST;
    h->next_watch_id = 1;
    h->eph_next = HOST_PORT_EPHEMERAL;
    *out = h;
    return 0;
}

void host_free(host_t *h)
{
    if (!h)
        return;
    while (h->intrs) {
        host_intr_t *n = h->intrs;
        h->intrs = n->next;
        sim_timer_stop(&n->timer);
        sim__free(n);
    }
    sim__free(h->procs);
    sim__free(h->watches);
    sim__free(h->files);
    sim__free(h->holds);
    sim__free(h->distros);
    sim__free(h->wlog);
    sim__free(h->ports);
    sim__free(h->vsl);
    sim__free(h);
}

int host_is_windows(const host_t *h)
{
    return h->windows;
}

/* processes --------------------------------------------------------------*/

/* First index whose pid is >= pid. */
static size_t proc_lb(const host_t *h, uint32_t pid)
{
    size_t lo = 0, hi = h->nprocs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->procs[mid].p.pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static proc_t *proc_get(const host_t *h, uint32_t pid)
{
    size_t i = proc_lb(h, pid);
    if (i < h->nprocs && h->procs[i].p.pid == pid)
        return &h->procs[i];
    return NULL;
}

static proc_t *proc_live(const host_t *h, uint32_t pid)
{
    proc_t *pr = proc_get(h, pid);
    return pr && pr->p.alive ? pr : NULL;
}

/* Creates pid (a new record, or replacing a dead one). */
static int spawn_at(host_t *h, uint32_t pid, const char *exe, const char *name,
                    uint32_t ppid, int new_group)
{
    proc_t *pr = proc_get(h, pid), *parent;
    uint32_t pgid = pid;
    sim_trace_t *tr;
    if (pr && pr->p.alive)
        return SIM_EEXIST;
    parent = ppid ? proc_get(h, ppid) : NULL;
    if (!new_group && parent && parent->p.pid != pid)
        pgid = parent->p.pgid;
    if (!pr) {
        size_t i = proc_lb(h, pid);
        if (GROW(h->procs, h->cap_procs, h->nprocs + 1))
            return SIM_ENOMEM;
        memmove(&h->procs[i + 1], &h->procs[i],
                (h->nprocs - i) * sizeof(*h->procs));
        h->nprocs++;
        pr = &h->procs[i];
    }
    memset(pr, 0, sizeof(*pr));
    pr->p.pid = pid;
    pr->p.ppid = ppid;
    pr->p.pgid = pgid;
    copy_str(pr->p.exe, sizeof(pr->p.exe), exe);
    copy_str(pr->p.name, sizeof(pr->p.name), name);
    pr->p.alive = 1;
    pr->gen = ++h->gen_seq;
    tr = sim_trace_begin(h->loop, "host.proc.spawn");
    trace_proc(tr, pr);
    sim_trace_u64(tr, "ppid", ppid);
    sim_trace_u64(tr, "pgid", pgid);
    sim_trace_end(tr);
    pr->spawn_trace = sim_trace_last(h->loop);
    return 0;
}

/* CreateProcess / fork+exec with SetGroup (process_windows.go:24-32,
 * process_unix.go:18-23): pids from one counter, skipping live ones. */
int host_spawn(host_t *h, const char *exe, const char *name, uint32_t ppid,
               int new_group, uint32_t *pid)
{
    uint32_t cand = h->next_pid;
    size_t tries;
    int rc;
    SIM_ASSERT(pid != NULL);
    for (tries = 0; tries <= h->nprocs && proc_live(h, cand); tries++)
        cand = cand >= HOST_PID_LAST ? HOST_PID_FIRST : cand + HOST_PID_STEP;
    SIM_ASSERT(proc_live(h, cand) == NULL);
    rc = spawn_at(h, cand, exe, name, ppid, new_group);
    if (rc)
        return rc;
    h->next_pid = cand >= HOST_PID_LAST ? HOST_PID_FIRST : cand + HOST_PID_STEP;
    *pid = cand;
    return 0;
}

/* A recycled pid (H14, limavm_lifecycle.go:629-654). */
int host_spawn_pid(host_t *h, uint32_t pid, const char *exe, const char *name,
                   uint32_t ppid, int new_group)
{
    if (pid == 0)
        return SIM_EINVAL;
    return spawn_at(h, pid, exe, name, ppid, new_group);
}

const host_proc_t *host_proc(const host_t *h, uint32_t pid)
{
    proc_t *pr = proc_get(h, pid);
    return pr ? &pr->p : NULL;
}

int host_proc_alive(const host_t *h, uint32_t pid)
{
    return proc_live(h, pid) != NULL;
}

uint64_t host_proc_trace(const host_t *h, uint32_t pid, int exited)
{
    proc_t *pr = proc_get(h, pid);
    if (!pr)
        return 0;
    return exited ? pr->exit_trace : pr->spawn_trace;
}

static void holds_drop_pid(host_t *h, uint32_t pid)
{
    size_t i, j = 0;
    for (i = 0; i < h->nholds; i++)
        if (h->holds[i].pid != pid)
            h->holds[j++] = h->holds[i];
    h->nholds = j;
}

static void ports_drop_pid(host_t *h, uint32_t pid)
{
    size_t i, j = 0;
    for (i = 0; i < h->nports; i++)
        if (h->ports[i].pid != pid)
            h->ports[j++] = h->ports[i];
    h->nports = j;
}

static void vsl_drop_pid(host_t *h, uint32_t pid)
{
    size_t i, j = 0;
    for (i = 0; i < h->nvsl; i++)
        if (h->vsl[i].pid != pid)
            h->vsl[j++] = h->vsl[i];
    h->nvsl = j;
}

/* The end of a live process: mark it dead, release what it held, then run
 * its exit watchers (those added before now) in add order, each dropped
 * before its call. */
static void proc_end(host_t *h, proc_t *pr, int code, int killed)
{
    host_proc_t snap;
    uint32_t pid = pr->p.pid;
    int max_id = h->next_watch_id;
    sim_trace_t *tr;
    sim_trace_scope_t scope;
    SIM_ASSERT(pr->p.alive);
    pr->p.alive = 0;
    pr->p.exit_code = code;
    pr->p.killed = killed;
    pr->int_cb = NULL;
    pr->int_arg = NULL;
    snap = pr->p;
    holds_drop_pid(h, pid);
    ports_drop_pid(h, pid);
    vsl_drop_pid(h, pid);
    tr = sim_trace_begin(h->loop, "host.proc.exit");
    trace_proc(tr, pr);
    sim_trace_i64(tr, "code", code);
    sim_trace_u64(tr, "killed", (uint64_t)killed);
    sim_trace_link(tr, "spawn", pr->spawn_trace);
    if (killed)
        sim_trace_link(tr, "kill", h->kill_trace);
    sim_trace_end(tr);
    /* What the watchers write links back to the exit (explain). */
    pr->exit_trace = sim_trace_last(h->loop);
    scope = sim_trace_link_scope(h->loop, "exit", pr->exit_trace);
    for (;;) {
        size_t i;
        host_exit_cb cb;
        void *arg;
        for (i = 0; i < h->nwatches; i++)
            if (h->watches[i].pid == pid && h->watches[i].id < max_id)
                break;
        if (i == h->nwatches)
            break;
        cb = h->watches[i].cb;
        arg = h->watches[i].arg;
        memmove(&h->watches[i], &h->watches[i + 1],
                (h->nwatches - i - 1) * sizeof(*h->watches));
        h->nwatches--;
        cb(arg, &snap);
    }
    sim_trace_scope_restore(h->loop, scope);
}

int host_exit(host_t *h, uint32_t pid, int code)
{
    proc_t *pr = proc_live(h, pid);
    if (!pr)
        return SIM_ESRCH;
    proc_end(h, pr, code, 0);
    return 0;
}

static int kill_code(const host_t *h)
{
    return h->windows ? HOST_KILL_CODE_WIN : HOST_KILL_CODE_UNIX;
}

static void trace_kill(host_t *h, const char *how, uint32_t id, int rc)
{
    sim_trace_t *tr = sim_trace_begin(h->loop, "host.proc.kill");
    sim_trace_str(tr, "how", how);
    sim_trace_u64(tr, "pid", id);
    sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
    h->kill_trace = sim_trace_last(h->loop);
}

/* process.Kill: OpenProcess + TerminateProcess(h, 1) on Windows
 * (process_windows.go:255-279), SIGTERM elsewhere (process_unix.go:53-56;
 * modelled as an immediate end: RDD's actors do not handle SIGTERM apart
 * from the service, whose handler the model drives itself). */
int host_kill(host_t *h, uint32_t pid)
{
    proc_t *pr = proc_live(h, pid);
    int rc = pr ? 0 : SIM_ESRCH;
    trace_kill(h, "kill", pid, rc);
    if (pr)
        proc_end(h, pr, kill_code(h), 1);
    return rc;
}

const char *host_kill_errmsg(const host_t *h)
{
    return h->windows ? "The parameter is incorrect." : "no such process";
}

/* Kills every live process marked with token, in pid order, skipping
 * except_pid.  Marks survive table moves; a nested kill only re-marks
 * processes it then kills itself. */
static void kill_marked(host_t *h, uint64_t token, uint32_t except_pid)
{
    for (;;) {
        size_t i;
        for (i = 0; i < h->nprocs; i++) {
            proc_t *pr = &h->procs[i];
            if (pr->mark == token && pr->p.alive && pr->p.pid != except_pid)
                break;
        }
        if (i == h->nprocs)
            return;
        h->procs[i].mark = 0;
        proc_end(h, &h->procs[i], kill_code(h), 1);
    }
}

/* process.KillTree: taskkill /F /T (process_windows.go:285-307) walks the
 * parent-child tree by ppid; kill(-pid) with a fallback to the process
 * elsewhere (process_unix.go:58-80).  Called by stopInstanceForcibly
 * (limavm_lifecycle.go:695-754).  RDD maps "not found" to nil itself. */
int host_kill_tree(host_t *h, uint32_t pid)
{
    proc_t *root = proc_live(h, pid);
    uint64_t token, gen;
    int more = 1;
    if (!root) {
        trace_kill(h, "tree", pid, SIM_ESRCH);
        return SIM_ESRCH;
    }
    trace_kill(h, "tree", pid, 0);
    token = ++h->mark_seq;
    gen = root->gen;
    root->mark = token;
    while (more) {
        size_t i;
        more = 0;
        for (i = 0; i < h->nprocs; i++) {
            proc_t *c = &h->procs[i], *par;
            if (!c->p.alive || c->mark == token)
                continue;
            par = proc_live(h, c->p.ppid);
            if (par && par->mark == token) {
                c->mark = token;
                more = 1;
            }
        }
    }
    kill_marked(h, token, pid);
    root = proc_live(h, pid);
    if (root && root->gen == gen)
        proc_end(h, root, kill_code(h), 1);
    return 0;
}

/* kill(-pgid, SIGKILL) (process_unix.go:71). */
int host_kill_group(host_t *h, uint32_t pgid)
{
    uint64_t token = ++h->mark_seq;
    size_t i, n = 0;
    for (i = 0; i < h->nprocs; i++) {
        if (h->procs[i].p.alive && h->procs[i].p.pgid == pgid) {
            h->procs[i].mark = token;
            n++;
        }
    }
    trace_kill(h, "group", pgid, n ? 0 : SIM_ESRCH);
    if (!n)
        return SIM_ESRCH;
    kill_marked(h, token, 0);
    return 0;
}

static void intr_fire(sim_timer_t *t)
{
    host_intr_t *n = t->data;
    host_t *h = n->h;
    proc_t *pr = proc_live(h, n->pid);
    n->busy = 0;
    if (pr && pr->gen == n->gen && pr->int_cb)
        pr->int_cb(pr->int_arg, n->pid);
}

static void trace_intr(host_t *h, const proc_t *pr, uint32_t pid,
                       const char *action, int rc)
{
    sim_trace_t *tr = sim_trace_begin(h->loop, "host.proc.interrupt");
    sim_trace_u64(tr, "pid", pid);
    if (pr)
        sim_trace_str(tr, "name", pr->p.name);
    sim_trace_str(tr, "action", action);
    sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
}

/* process.Interrupt: GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, pid) on
 * Windows (process_windows.go:34-39), which fails without a shared console
 * (what makes `rdd svc stop` fall back to Kill, service.go:488-492);
 * SIGINT elsewhere (process_unix.go:25-28), whose default action ends the
 * process. */
int host_interrupt(host_t *h, uint32_t pid)
{
    proc_t *pr = proc_live(h, pid);
    host_intr_t *n;
    int rc;
    if (!pr) {
        trace_intr(h, NULL, pid, "none", SIM_ESRCH);
        return SIM_ESRCH;
    }
    if (!pr->int_cb) {
        if (h->windows) {
            trace_intr(h, pr, pid, "none", SIM_EACCES);
            return SIM_EACCES;
        }
        trace_intr(h, pr, pid, "default", 0);
        h->kill_trace = sim_trace_last(h->loop);
        proc_end(h, pr, HOST_KILL_CODE_UNIX, 1);
        return 0;
    }
    for (n = h->intrs; n && n->busy; n = n->next)
        ;
    if (!n) {
        n = sim__calloc(1, sizeof(*n));
        if (!n) {
            trace_intr(h, pr, pid, "none", SIM_ENOMEM);
            return SIM_ENOMEM;
        }
        sim_timer_init(h->loop, &n->timer);
        n->timer.data = n;
        n->h = h;
        n->next = h->intrs;
        h->intrs = n;
    }
    n->pid = pid;
    n->gen = pr->gen;
    rc = sim_timer_start(&n->timer, intr_fire, 0);
    n->busy = rc == 0;
    trace_intr(h, pr, pid, "queued", rc);
    return rc;
}

void host_on_interrupt(host_t *h, uint32_t pid, host_signal_cb cb, void *arg)
{
    proc_t *pr = proc_live(h, pid);
    if (!pr)
        return;
    pr->int_cb = cb;
    pr->int_arg = cb ? arg : NULL;
}

/* The reaper goroutine of runWatcher (hostagent_watcher.go:71-148). */
int host_watch_exit(host_t *h, uint32_t pid, host_exit_cb cb, void *arg)
{
    watch_t *w;
    SIM_ASSERT(cb != NULL);
    SIM_ASSERT(h->next_watch_id < INT32_MAX);
    if (!proc_live(h, pid))
        return SIM_ESRCH;
    if (GROW(h->watches, h->cap_watches, h->nwatches + 1))
        return SIM_ENOMEM;
    w = &h->watches[h->nwatches++];
    w->id = h->next_watch_id++;
    w->pid = pid;
    w->cb = cb;
    w->arg = arg;
    return w->id;
}

void host_unwatch_exit(host_t *h, int id)
{
    size_t i;
    for (i = 0; i < h->nwatches; i++) {
        if (h->watches[i].id == id) {
            memmove(&h->watches[i], &h->watches[i + 1],
                    (h->nwatches - i - 1) * sizeof(*h->watches));
            h->nwatches--;
            return;
        }
    }
}

void host_procs(const host_t *h, int (*cb)(void *arg, const host_proc_t *p),
                void *arg)
{
    uint32_t next = 0;
    for (;;) {
        size_t i = proc_lb(h, next);
        host_proc_t snap;
        while (i < h->nprocs && !h->procs[i].p.alive)
            i++;
        if (i == h->nprocs)
            return;
        snap = h->procs[i].p;
        if (cb(arg, &snap) || snap.pid == UINT32_MAX)
            return;
        next = snap.pid + 1;
    }
}

/* filesystem -------------------------------------------------------------*/

void host_path_norm(const char *in, char *out)
{
    size_t i;
    for (i = 0; in[i] && i < HOST_PATH_MAX - 1; i++)
        out[i] = in[i] == '\\' ? '/' : in[i];
    out[i] = 0;
}

/* Copies path into out without trailing slashes.  SIM_EINVAL (empty),
 * SIM_ERANGE (too long). */
static int path_ok(const char *in, char *out)
{
    size_t len;
    if (!in || !in[0])
        return SIM_EINVAL;
    len = strlen(in);
    if (len >= HOST_PATH_MAX)
        return SIM_ERANGE;
    memcpy(out, in, len + 1);
    while (len > 1 && out[len - 1] == '/')
        out[--len] = 0;
    return 0;
}

/* First index whose path is >= path (strict: > path). */
static size_t fent_bound(const host_t *h, const char *path, int strict)
{
    size_t lo = 0, hi = h->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(h->files[mid].path, path);
        if (c < 0 || (strict && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static fent_t *fent_find(const host_t *h, const char *path, size_t *idx)
{
    size_t i = fent_bound(h, path, 0);
    if (idx)
        *idx = i;
    if (i < h->nfiles && strcmp(h->files[i].path, path) == 0)
        return &h->files[i];
    return NULL;
}

/* p is below dir ("dir/..."); *rest gets what follows the separator. */
static int is_under(const char *p, const char *dir, const char **rest)
{
    size_t n = strlen(dir);
    if (strncmp(p, dir, n) != 0)
        return 0;
    if (n > 0 && dir[n - 1] == '/') {
        if (!p[n])
            return 0;
        *rest = p + n;
        return 1;
    }
    if (p[n] != '/' || !p[n + 1])
        return 0;
    *rest = p + n + 1;
    return 1;
}

/* The index of the first direct child of dir whose path is > after, or
 * nfiles. */
static size_t next_child(const host_t *h, const char *dir, const char *after)
{
    char pre[HOST_PATH_MAX + 1];
    size_t i = fent_bound(h, after, 1), first;
    const char *rest;
    /* "dir/..." is one run, but "dir.x" sorts between "dir" and it. */
    snprintf(pre, sizeof(pre), "%s%s", dir,
             dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/");
    first = fent_bound(h, pre, 0);
    if (i < first)
        i = first;
    for (; i < h->nfiles && is_under(h->files[i].path, dir, &rest); i++)
        if (!strchr(rest, '/'))
            return i;
    return h->nfiles;
}

/* Inserts at i; capacity must be there. */
static void fent_insert(host_t *h, size_t i, const char *path, int is_dir,
                        const char *data)
{
    fent_t *e;
    SIM_ASSERT(h->nfiles < h->cap_files);
    memmove(&h->files[i + 1], &h->files[i],
            (h->nfiles - i) * sizeof(*h->files));
    h->nfiles++;
    e = &h->files[i];
    memset(e, 0, sizeof(*e));
    copy_str(e->path, sizeof(e->path), path);
    e->is_dir = is_dir;
    copy_str(e->data, sizeof(e->data), data);
}

/* Creates path (a file with data, or a directory) and its missing
 * parents, all or nothing.  path is clean (path_ok). */
static int fs_make(host_t *h, const char *path, int is_dir, const char *data)
{
    char pre[HOST_PATH_MAX];
    size_t i, missing = 0, len = strlen(path);
    fent_t *e;
    for (i = 1; i < len; i++) {
        if (path[i] != '/')
            continue;
        memcpy(pre, path, i);
        pre[i] = 0;
        e = fent_find(h, pre, NULL);
        if (e && !e->is_dir)
            return SIM_EEXIST;
        missing += e == NULL;
    }
    e = fent_find(h, path, NULL);
    if (e && e->is_dir != is_dir)
        return is_dir ? SIM_EEXIST : SIM_EACCES;
    if (GROW(h->files, h->cap_files, h->nfiles + missing + 1))
        return SIM_ENOMEM;
    for (i = 1; i < len; i++) {
        size_t at;
        if (path[i] != '/')
            continue;
        memcpy(pre, path, i);
        pre[i] = 0;
        if (!fent_find(h, pre, &at))
            fent_insert(h, at, pre, 1, "");
    }
    e = fent_find(h, path, &i);
    if (!e)
        fent_insert(h, i, path, is_dir, is_dir ? "" : data);
    else if (!is_dir)
        copy_str(e->data, sizeof(e->data), data);
    h->fs_gen++;
    return 0;
}

uint64_t host_fs_generation(const host_t *h)
{
    return h->fs_gen;
}

/* Fault host.fs.disk_full: the disk is full (Win32 ERROR_DISK_FULL, Unix
 * ENOSPC; the caller words the error as its Go code does, with
 * host_fs_errmsg's text). */
static int disk_full(host_t *h, const char *p)
{
    /* /.rddsim/ holds the simulator's own records (the Docker-context
     * journal, sim/rdd/dockerctx.h), not a component's files */
    if (!strncmp(p, "/.rddsim/", 9))
        return 0;
    return SIM_FAULT(h->loop, HOST_FS_DISK_FULL, p) ? SIM_ENOSPC : 0;
}

int host_fs_write(host_t *h, const char *path, const char *data)
{
    char p[HOST_PATH_MAX];
    int rc = path_ok(path, p);
    if (rc)
        return rc;
    if (data && strlen(data) >= HOST_DATA_MAX)
        return SIM_ERANGE;
    if (data && data[0] && (rc = disk_full(h, p))) {
        /* os.WriteFile's open (O_CREATE|O_TRUNC) succeeded, its write
         * did not: the file stays, empty. */
        int mk = fs_make(h, p, 0, "");
        return mk ? mk : rc;
    }
    return fs_make(h, p, 0, data);
}

const char *host_fs_errmsg(const host_t *h, int err)
{
    if (err == SIM_ENOSPC)
        return h->windows ? HOST_DISK_FULL_WIN_MSG : HOST_DISK_FULL_MSG;
    return sim_strerror(err);
}

int host_fs_read(const host_t *h, const char *path, char *buf, size_t len)
{
    char p[HOST_PATH_MAX];
    fent_t *e;
    if (path_ok(path, p) || !(e = fent_find(h, p, NULL)) || e->is_dir)
        return SIM_ENOENT;
    if (len == 0)
        return SIM_ERANGE;
    return (size_t)snprintf(buf, len, "%s", e->data) >= len ? SIM_ERANGE : 0;
}

int host_fs_exists(const host_t *h, const char *path)
{
    char p[HOST_PATH_MAX];
    return path_ok(path, p) == 0 && fent_find(h, p, NULL) != NULL;
}

int host_fs_is_dir(const host_t *h, const char *path)
{
    char p[HOST_PATH_MAX];
    fent_t *e;
    return path_ok(path, p) == 0 && (e = fent_find(h, p, NULL)) && e->is_dir;
}

int host_fs_mkdir(host_t *h, const char *path)
{
    char p[HOST_PATH_MAX];
    int rc = path_ok(path, p);
    if (rc)
        return rc;
    if (!fent_find(h, p, NULL) && (rc = disk_full(h, p)))
        return rc;
    return fs_make(h, p, 1, "");
}

/* Windows only: a handle a live process holds, or the disk of a running
 * distro (docs/rdd/limavm.md path 6). */
static int fs_blocked(const host_t *h, const char *path)
{
    size_t i;
    if (!h->windows)
        return 0;
    for (i = 0; i < h->nholds; i++)
        if (strcmp(h->holds[i].path, path) == 0)
            return 1;
    for (i = 0; i < h->ndistros; i++)
        if (h->distros[i].state == HOST_WSL_RUNNING &&
            strcmp(h->distros[i].vhdx, path) == 0)
            return 1;
    return 0;
}

/* Removes entry i; a removed file's handles go with it (on Linux the open
 * file lives on, but under no name). */
static void fs_drop(host_t *h, size_t i)
{
    size_t k, j = 0;
    for (k = 0; k < h->nholds; k++)
        if (strcmp(h->holds[k].path, h->files[i].path) != 0)
            h->holds[j++] = h->holds[k];
    h->nholds = j;
    memmove(&h->files[i], &h->files[i + 1],
            (h->nfiles - i - 1) * sizeof(*h->files));
    h->nfiles--;
    h->fs_gen++;
}

/* os.Remove. */
int host_fs_remove(host_t *h, const char *path)
{
    char p[HOST_PATH_MAX];
    size_t i;
    fent_t *e;
    int rc = path_ok(path, p);
    if (rc)
        return rc;
    if (!(e = fent_find(h, p, &i)))
        return SIM_ENOENT;
    if (e->is_dir && next_child(h, p, p) < h->nfiles)
        return SIM_EEXIST;
    if (!e->is_dir && fs_blocked(h, p))
        return SIM_ESHARING;
    fs_drop(h, i);
    return 0;
}

/* Depth first, children in byte order (Go's removeall_noat.go reads the
 * directory and recurses into each name, keeping the first error).  The
 * first failing path goes to first. */
static int rm_all(host_t *h, const char *path, char *first)
{
    char cur[HOST_PATH_MAX], child[HOST_PATH_MAX];
    size_t i;
    fent_t *e = fent_find(h, path, &i);
    int err = 0;
    if (!e)
        return 0;
    if (!e->is_dir) {
        if (fs_blocked(h, path)) {
            if (!first[0])
                copy_str(first, HOST_PATH_MAX, path);
            return SIM_ESHARING;
        }
        fs_drop(h, i);
        return 0;
    }
    copy_str(cur, sizeof(cur), path);
    for (;;) {
        int r;
        i = next_child(h, path, cur);
        if (i == h->nfiles)
            break;
        copy_str(child, sizeof(child), h->files[i].path);
        copy_str(cur, sizeof(cur), child);
        r = rm_all(h, child, first);
        if (!err)
            err = r;
    }
    if (err)
        return err;
    if (fent_find(h, path, &i))
        fs_drop(h, i);
    return 0;
}

/* The spawn record of the process whose handle blocks path (explain's
 * link), or 0. */
static uint64_t holder_trace(const host_t *h, const char *path)
{
    size_t i;
    for (i = 0; i < h->nholds; i++)
        if (strcmp(h->holds[i].path, path) == 0) {
            proc_t *pr = proc_get(h, h->holds[i].pid);
            return pr ? pr->spawn_trace : 0;
        }
    return 0;
}

/* os.RemoveAll, as `rdd svc delete` (service.go:559-564) and
 * removeStaleInstance (limavm_lifecycle.go:793-800) call it. */
int host_fs_remove_all(host_t *h, const char *path, char *msg, size_t len)
{
    char p[HOST_PATH_MAX], first[HOST_PATH_MAX] = "";
    sim_trace_t *tr;
    int rc;
    if (msg && len)
        msg[0] = 0;
    if (!path || !path[0])
        return 0; /* Go: "fail silently", issue 28830 */
    rc = path_ok(path, p);
    if (rc)
        return rc;
    /* Fault host.fs.remove_all: on Windows another process (a scanner,
     * an editor) holds path open: nothing is removed and RemoveAll returns
     * ERROR_SHARING_VIOLATION for path.  Unix removes open files, and a
     * missing path is no error, so the site is not evaluated there. */
    if (h->windows && fent_find(h, p, NULL) &&
        SIM_FAULT(h->loop, HOST_FS_REMOVE_ALL, p)) {
        rc = SIM_ESHARING;
        copy_str(first, HOST_PATH_MAX, p);
    } else {
        rc = rm_all(h, p, first);
    }
    if (!rc)
        return 0;
    if (msg && len)
        snprintf(msg, len, "remove %s: %s", first, HOST_SHARING_MSG);
    tr = sim_trace_begin(h->loop, "host.fs.remove_all");
    sim_trace_str(tr, "path", p);
    sim_trace_str(tr, "first", first);
    sim_trace_err(tr, "err", rc);
    sim_trace_link(tr, "holder", holder_trace(h, first));
    sim_trace_end(tr);
    return rc;
}

int host_fs_hold(host_t *h, const char *path, uint32_t pid)
{
    char p[HOST_PATH_MAX];
    fent_t *e;
    int rc = path_ok(path, p);
    if (rc)
        return rc;
    if (!proc_live(h, pid))
        return SIM_ESRCH;
    if (!(e = fent_find(h, p, NULL)) || e->is_dir)
        return SIM_ENOENT;
    if (GROW(h->holds, h->cap_holds, h->nholds + 1))
        return SIM_ENOMEM;
    copy_str(h->holds[h->nholds].path, HOST_PATH_MAX, p);
    h->holds[h->nholds].pid = pid;
    h->nholds++;
    return 0;
}

void host_fs_release(host_t *h, const char *path, uint32_t pid)
{
    char p[HOST_PATH_MAX];
    size_t i;
    if (path_ok(path, p))
        return;
    for (i = 0; i < h->nholds; i++) {
        if (h->holds[i].pid == pid && strcmp(h->holds[i].path, p) == 0) {
            memmove(&h->holds[i], &h->holds[i + 1],
                    (h->nholds - i - 1) * sizeof(*h->holds));
            h->nholds--;
            return;
        }
    }
}

void host_fs_list(const host_t *h, const char *dir,
                  int (*cb)(void *arg, const char *name, int is_dir), void *arg)
{
    char d[HOST_PATH_MAX], cur[HOST_PATH_MAX];
    if (path_ok(dir, d))
        return;
    copy_str(cur, sizeof(cur), d);
    for (;;) {
        const char *rest = NULL;
        char name[HOST_PATH_MAX];
        int is_dir;
        size_t i = next_child(h, d, cur);
        if (i == h->nfiles)
            return;
        copy_str(cur, sizeof(cur), h->files[i].path);
        is_under(cur, d, &rest);
        SIM_ASSERT(rest != NULL);
        copy_str(name, sizeof(name), rest);
        is_dir = h->files[i].is_dir;
        if (cb(arg, name, is_dir))
            return;
    }
}

/* WSL --------------------------------------------------------------------*/

static const char *const wsl_op_names[] = {"import", "start", "terminate",
                                           "unregister"};

static distro_t *distro_find(const host_t *h, const char *name, size_t *idx)
{
    size_t lo = 0, hi = h->ndistros;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(h->distros[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (idx)
        *idx = lo;
    if (lo < h->ndistros && strcmp(h->distros[lo].name, name) == 0)
        return &h->distros[lo];
    return NULL;
}

/* Appends the record (capacity reserved by the caller) and traces it. */
static int wsl_log(host_t *h, host_wsl_op_t op, const char *distro,
                   const char *actor, const char *regby, int rc)
{
    host_wsl_rec_t *r;
    sim_trace_t *tr;
    char ev[32];
    SIM_ASSERT(h->nwlog < h->cap_wlog);
    SIM_ASSERT((size_t)op < SIM_ARRAY_LEN(wsl_op_names));
    r = &h->wlog[h->nwlog++];
    memset(r, 0, sizeof(*r));
    r->op = op;
    copy_str(r->distro, sizeof(r->distro), distro);
    copy_str(r->actor, sizeof(r->actor), actor);
    copy_str(r->registered_by, sizeof(r->registered_by), regby);
    r->rc = rc;
    r->at_ns = sim_now(h->loop);
    snprintf(ev, sizeof(ev), "host.wsl.%s", wsl_op_names[op]);
    tr = sim_trace_begin(h->loop, ev);
    sim_trace_str(tr, "distro", r->distro);
    sim_trace_str(tr, "actor", r->actor);
    sim_trace_str(tr, "owner", r->registered_by);
    sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
    {
        distro_t *d = distro_find(h, r->distro, NULL);
        if (d)
            d->op_trace = sim_trace_last(h->loop);
    }
    return rc;
}

uint64_t host_wsl_trace(const host_t *h, const char *distro)
{
    distro_t *d = distro_find(h, distro, NULL);
    return d ? d->op_trace : 0;
}

/* A registered distro: STOPPED -start-> RUNNING -terminate-> STOPPED;
 * start and terminate are idempotent (ABSENT is "not in the table"). */
static const unsigned char distro_allowed[3][3] = {
    /* to:         ABSENT STOPPED RUNNING */
    /* ABSENT */ {0, 1, 0},
    /* STOPPED */ {0, 1, 1},
    /* RUNNING */ {0, 1, 1},
};

static void distro_transition(distro_t *d, host_wsl_state_t to)
{
    SIM_ASSERT((unsigned)d->state < 3 && (unsigned)to < 3);
    SIM_ASSERT(distro_allowed[d->state][to]);
    d->state = to;
}

static void set_msg(char *msg, size_t len, const char *text)
{
    if (msg && len)
        snprintf(msg, len, "%s", text);
}

/* wsl.exe --import, as Lima's wsl2 driver runs it when the distro is not
 * registered [external: Lima], docs/rdd/limavm.md path 8. */
int host_wsl_import(host_t *h, const char *distro, const char *vhdx,
                    const char *actor)
{
    char p[HOST_PATH_MAX];
    distro_t *d;
    size_t i;
    int rc;
    if (GROW(h->wlog, h->cap_wlog, h->nwlog + 1))
        return SIM_ENOMEM;
    if (!distro || !distro[0] || strlen(distro) >= sizeof(d->name))
        return wsl_log(h, HOST_WSL_OP_IMPORT, distro, actor, "", SIM_EINVAL);
    if ((d = distro_find(h, distro, &i)))
        return wsl_log(h, HOST_WSL_OP_IMPORT, distro, actor, d->registered_by,
                       SIM_EEXIST);
    rc = path_ok(vhdx, p);
    if (!rc && GROW(h->distros, h->cap_distros, h->ndistros + 1))
        rc = SIM_ENOMEM;
    if (!rc)
        rc = fs_make(h, p, 0, "ext4");
    if (rc)
        return wsl_log(h, HOST_WSL_OP_IMPORT, distro, actor, "", rc);
    memmove(&h->distros[i + 1], &h->distros[i],
            (h->ndistros - i) * sizeof(*h->distros));
    h->ndistros++;
    d = &h->distros[i];
    memset(d, 0, sizeof(*d));
    copy_str(d->name, sizeof(d->name), distro);
    copy_str(d->vhdx, sizeof(d->vhdx), p);
    copy_str(d->registered_by, sizeof(d->registered_by), actor);
    distro_transition(d, HOST_WSL_STOPPED);
    return wsl_log(h, HOST_WSL_OP_IMPORT, distro, actor, "", 0);
}

/* wsl.exe --distribution (Lima's wsl2 Start [external]); the first start
 * boots the one utility VM whose GUID getVMGUID finds in the registry
 * (hostswitch_windows.go:471-519, H10). */
int host_wsl_start(host_t *h, const char *distro, const char *actor, char *msg,
                   size_t len)
{
    distro_t *d;
    fent_t *e;
    set_msg(msg, len, "");
    if (GROW(h->wlog, h->cap_wlog, h->nwlog + 1))
        return SIM_ENOMEM;
    if (!distro || !(d = distro_find(h, distro, NULL))) {
        set_msg(msg, len, HOST_WSL_NODISTRO_MSG);
        return wsl_log(h, HOST_WSL_OP_START, distro, actor, "", SIM_ENOENT);
    }
    e = fent_find(h, d->vhdx, NULL);
    if (!e || e->is_dir) {
        set_msg(msg, len, HOST_NOFILE_MSG);
        return wsl_log(h, HOST_WSL_OP_START, distro, actor, d->registered_by,
                       SIM_ENOENT);
    }
    distro_transition(d, HOST_WSL_RUNNING);
    if (!h->guid[0])
        copy_str(h->guid, sizeof(h->guid), HOST_VM_GUID);
    return wsl_log(h, HOST_WSL_OP_START, distro, actor, d->registered_by, 0);
}

static void wsl_stopped(host_t *h, const char *distro);

/* terminateWSL2Distro: wsl.exe --terminate lima-<name>
 * (limavm_lifecycle.go:756-769). */
int host_wsl_terminate(host_t *h, const char *distro, const char *actor)
{
    distro_t *d;
    int was, rc;
    if (GROW(h->wlog, h->cap_wlog, h->nwlog + 1))
        return SIM_ENOMEM;
    if (!distro || !(d = distro_find(h, distro, NULL)))
        return wsl_log(h, HOST_WSL_OP_TERMINATE, distro, actor, "", SIM_ENOENT);
    was = d->state == HOST_WSL_RUNNING;
    distro_transition(d, HOST_WSL_STOPPED);
    rc = wsl_log(h, HOST_WSL_OP_TERMINATE, distro, actor, d->registered_by, 0);
    if (was)
        wsl_stopped(h, distro);
    return rc;
}

/* Tells the observers a running distro stopped (its guest is gone). */
static void wsl_stopped(host_t *h, const char *distro)
{
    char name[64];
    int i;
    copy_str(name, sizeof(name), distro);
    for (i = 0; i < HOST_WSL_OBS_MAX; i++)
        if (h->wsl_obs[i].cb)
            h->wsl_obs[i].cb(h->wsl_obs[i].arg, name);
}

int host_wsl_on_stop(host_t *h, host_wsl_stop_cb cb, void *arg)
{
    int i;
    for (i = 0; i < HOST_WSL_OBS_MAX; i++)
        if (!h->wsl_obs[i].cb) {
            h->wsl_obs[i].cb = cb;
            h->wsl_obs[i].arg = arg;
            return i + 1;
        }
    return SIM_ENOMEM;
}

void host_wsl_off(host_t *h, int id)
{
    if (id > 0 && id <= HOST_WSL_OBS_MAX)
        h->wsl_obs[id - 1].cb = NULL;
}

/* unregisterWSL2Distro: wsl.exe --unregister lima-<name> deletes the
 * distro's ext4.vhdx (limavm_lifecycle.go:771-786; H9).  WSL's service
 * deletes the disk whoever else has it open. */
int host_wsl_unregister(host_t *h, const char *distro, const char *actor)
{
    char regby[96];
    distro_t *d;
    size_t i, fi;
    int was, rc;
    if (GROW(h->wlog, h->cap_wlog, h->nwlog + 1))
        return SIM_ENOMEM;
    if (!distro || !(d = distro_find(h, distro, &i)))
        return wsl_log(h, HOST_WSL_OP_UNREGISTER, distro, actor, "",
                       SIM_ENOENT);
    copy_str(regby, sizeof(regby), d->registered_by);
    was = d->state == HOST_WSL_RUNNING;
    if (fent_find(h, d->vhdx, &fi) && !h->files[fi].is_dir)
        fs_drop(h, fi);
    memmove(&h->distros[i], &h->distros[i + 1],
            (h->ndistros - i - 1) * sizeof(*h->distros));
    h->ndistros--;
    rc = wsl_log(h, HOST_WSL_OP_UNREGISTER, distro, actor, regby, 0);
    if (was)
        wsl_stopped(h, distro);
    return rc;
}

host_wsl_state_t host_wsl_state(const host_t *h, const char *distro)
{
    distro_t *d = distro ? distro_find(h, distro, NULL) : NULL;
    return d ? d->state : HOST_WSL_ABSENT;
}

const char *host_wsl_distro(const host_t *h, size_t i)
{
    return i < h->ndistros ? h->distros[i].name : NULL;
}

const char *host_wsl_registered_by(const host_t *h, const char *distro)
{
    distro_t *d = distro ? distro_find(h, distro, NULL) : NULL;
    return d ? d->registered_by : "";
}

size_t host_wsl_log(const host_t *h, const host_wsl_rec_t **out)
{
    if (out)
        *out = h->wlog;
    return h->nwlog;
}

const char *host_wsl_state_name(host_wsl_state_t s)
{
    switch (s) {
    case HOST_WSL_ABSENT:
        return "absent";
    case HOST_WSL_STOPPED:
        return "stopped";
    case HOST_WSL_RUNNING:
        return "running";
    }
    return "unknown";
}

/* ports ------------------------------------------------------------------*/

static port_t *port_find(const host_t *h, int port, size_t *idx)
{
    size_t lo = 0, hi = h->nports;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->ports[mid].port < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (idx)
        *idx = lo;
    if (lo < h->nports && h->ports[lo].port == port)
        return &h->ports[lo];
    return NULL;
}

static int port_fail(host_t *h, int port, uint32_t pid, int rc)
{
    port_t *held = port > 0 ? port_find(h, port, NULL) : NULL;
    sim_trace_t *tr = sim_trace_begin(h->loop, "host.port.bind");
    sim_trace_i64(tr, "port", port);
    sim_trace_u64(tr, "pid", pid);
    sim_trace_u64(tr, "holder", held ? held->pid : 0);
    sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
    return rc;
}

/* net.Listen("tcp", "127.0.0.1:<port>"), with ResolvePort's fallback to
 * port 0 (rdd/pkg/service/controllers/ports.go:19-31; H7, H8, H11). */
int host_port_bind(host_t *h, int port, uint32_t pid, int *got)
{
    size_t i;
    if (got)
        *got = 0;
    if (port < 0 || port > HOST_PORT_MAX || pid == 0)
        return port_fail(h, port, pid, SIM_EINVAL);
    if (!proc_live(h, pid))
        return port_fail(h, port, pid, SIM_ESRCH);
    if (GROW(h->ports, h->cap_ports, h->nports + 1))
        return port_fail(h, port, pid, SIM_ENOMEM);
    if (port == 0) {
        int cand = h->eph_next, n;
        for (n = 0; n <= HOST_PORT_MAX - HOST_PORT_EPHEMERAL; n++) {
            if (!port_find(h, cand, NULL))
                break;
            cand = cand == HOST_PORT_MAX ? HOST_PORT_EPHEMERAL : cand + 1;
        }
        if (port_find(h, cand, NULL))
            return port_fail(h, 0, pid, SIM_EADDRINUSE);
        port = cand;
        h->eph_next = cand == HOST_PORT_MAX ? HOST_PORT_EPHEMERAL : cand + 1;
    } else if (port_find(h, port, NULL)) {
        return port_fail(h, port, pid, SIM_EADDRINUSE);
    }
    port_find(h, port, &i);
    memmove(&h->ports[i + 1], &h->ports[i],
            (h->nports - i) * sizeof(*h->ports));
    h->nports++;
    h->ports[i].port = port;
    h->ports[i].pid = pid;
    if (got)
        *got = port;
    return 0;
}

void host_port_release(host_t *h, int port, uint32_t pid)
{
    size_t i;
    port_t *p = port_find(h, port, &i);
    if (!p || p->pid != pid)
        return;
    memmove(&h->ports[i], &h->ports[i + 1],
            (h->nports - i - 1) * sizeof(*h->ports));
    h->nports--;
}

uint32_t host_port_owner(const host_t *h, int port)
{
    port_t *p = port_find(h, port, NULL);
    return p ? p->pid : 0;
}

const char *host_port_errmsg(const host_t *h)
{
    return h->windows ? HOST_PORT_INUSE_WIN_MSG : HOST_PORT_INUSE_MSG;
}

/* vsock ------------------------------------------------------------------*/

const char *host_vm_guid(const host_t *h)
{
    return h->guid;
}

static vsl_t *vsl_find(const host_t *h, int port, size_t *idx)
{
    size_t lo = 0, hi = h->nvsl;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->vsl[mid].port < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (idx)
        *idx = lo;
    if (lo < h->nvsl && h->vsl[lo].port == port)
        return &h->vsl[lo];
    return NULL;
}

static int vsl_fail(host_t *h, int port, const char *owner, int rc)
{
    vsl_t *held = vsl_find(h, port, NULL);
    sim_trace_t *tr = sim_trace_begin(h->loop, "host.vsock.listen");
    sim_trace_i64(tr, "port", port);
    sim_trace_str(tr, "owner", owner ? owner : "");
    sim_trace_str(tr, "holder", held ? held->owner : "");
    sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
    return rc;
}

/* hvsock listen on the utility VM's GUID: vsockListen(vmGUID, 6656)
 * (hostswitch_windows.go:439-461; ports :94-99; H10). */
int host_vsock_listen(host_t *h, int port, const char *owner, uint32_t pid)
{
    size_t i;
    vsl_t *v;
    if (port < 0 || !owner || !owner[0])
        return vsl_fail(h, port, owner, SIM_EINVAL);
    if (pid && !proc_live(h, pid))
        return vsl_fail(h, port, owner, SIM_ESRCH);
    if (vsl_find(h, port, &i))
        return vsl_fail(h, port, owner, SIM_EADDRINUSE);
    if (GROW(h->vsl, h->cap_vsl, h->nvsl + 1))
        return vsl_fail(h, port, owner, SIM_ENOMEM);
    memmove(&h->vsl[i + 1], &h->vsl[i], (h->nvsl - i) * sizeof(*h->vsl));
    h->nvsl++;
    v = &h->vsl[i];
    memset(v, 0, sizeof(*v));
    v->port = port;
    v->pid = pid;
    copy_str(v->owner, sizeof(v->owner), owner);
    return 0;
}

void host_vsock_close(host_t *h, int port, const char *owner)
{
    size_t i;
    vsl_t *v = vsl_find(h, port, &i);
    if (!v || !owner || strcmp(v->owner, owner) != 0)
        return;
    memmove(&h->vsl[i], &h->vsl[i + 1], (h->nvsl - i - 1) * sizeof(*h->vsl));
    h->nvsl--;
}

void host_vsock_set_data(host_t *h, int port, const char *owner, void *data)
{
    vsl_t *v = vsl_find(h, port, NULL);
    if (v && owner && strcmp(v->owner, owner) == 0)
        v->data = data;
}

/* hvsock.Dial(VMID = the utility VM's GUID, port): every distro shares the
 * GUID, so the dial reaches whoever listens on port (H10). */
void *host_vsock_data(const host_t *h, int port)
{
    vsl_t *v = vsl_find(h, port, NULL);
    return v ? v->data : NULL;
}

const char *host_vsock_owner(const host_t *h, int port)
{
    vsl_t *v = vsl_find(h, port, NULL);
    return v ? v->owner : NULL;
}
