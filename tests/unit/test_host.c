/*
 * test_host.c: the host fake (fakes/host/host.h): processes (pid counter,
 * reuse, exit watchers, kill, kill tree/group, interrupt), the filesystem
 * (implicit parents, RemoveAll with held files on Windows vs Linux), the WSL
 * registry (vhdx lock, missing disk, unregister, the log), loopback ports and
 * the vsock namespace, their traces and their allocation failures.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/host.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/loop.h"
#include "sim/trace.h"

#define RDD_EXE "C:/Program Files/Rancher Desktop/rdd.exe"
#define DISTRO "lima-rd"
#define VHDX "C:/Users/u/.rd/lima/rd/ext4.vhdx"
#define INST "C:/Users/u/.rd/lima/rd"

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    FILE *text;
    char *tbuf;
    size_t tlen;
    host_t *h;
} world_t;

static world_t *world_new(int windows)
{
    world_t *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    assert_int_equal(sim_loop_init(&w->loop, 1), 0);
    w->text = open_memstream(&w->tbuf, &w->tlen);
    assert_non_null(w->text);
    sim_trace_init(&w->tr, w->text, NULL);
    w->loop.trace = &w->tr;
    assert_int_equal(host_new(&w->loop, windows, &w->h), 0);
    return w;
}

static void world_free(world_t *w)
{
    host_free(w->h);
    sim_loop_run(&w->loop, SIM_NEVER);
    sim_loop_close(&w->loop);
    fclose(w->text);
    free(w->tbuf);
    free(w);
}

/* The trace text so far. */
static const char *trace_text(world_t *w)
{
    fflush(w->text);
    return w->tbuf ? w->tbuf : "";
}

static int traced(world_t *w, const char *needle)
{
    return strstr(trace_text(w), needle) != NULL;
}

static uint32_t spawn(world_t *w, const char *name, uint32_t ppid,
                      int new_group)
{
    uint32_t pid = 0;
    assert_int_equal(host_spawn(w->h, RDD_EXE, name, ppid, new_group, &pid), 0);
    return pid;
}

/* recorders --------------------------------------------------------------*/

typedef struct {
    int n;
    char log[256]; /* "tag:pid:code:killed:alive;" per call */
    const char *tag;
    world_t *w;
    int unwatch_id;    /* > 0: unwatch this id from the callback */
    uint32_t kill_pid; /* != 0: kill this pid from the callback */
} exit_rec_t;

static void on_exit_rec(void *arg, const host_proc_t *p)
{
    exit_rec_t *r = arg;
    size_t len = strlen(r->log);
    r->n++;
    snprintf(r->log + len, sizeof(r->log) - len, "%s:%u:%d:%d:%d;",
             r->tag ? r->tag : "", (unsigned)p->pid, p->exit_code, p->killed,
             p->alive);
    if (r->unwatch_id > 0)
        host_unwatch_exit(r->w->h, r->unwatch_id);
    if (r->kill_pid)
        host_kill(r->w->h, r->kill_pid);
}

/* One shared log, so the order across watchers shows. */
static char g_order[512];

static void on_exit_order(void *arg, const host_proc_t *p)
{
    size_t len = strlen(g_order);
    snprintf(g_order + len, sizeof(g_order) - len, "%s%u", len ? "," : "",
             (unsigned)p->pid);
    (void)arg;
}

static void on_exit_tag(void *arg, const host_proc_t *p)
{
    size_t len = strlen(g_order);
    snprintf(g_order + len, sizeof(g_order) - len, "%s%s", len ? "," : "",
             (const char *)arg);
    (void)p;
}

typedef struct {
    int n;
    uint32_t pid;
    uint64_t at_ns;
    world_t *w;
} sig_rec_t;

static void on_signal(void *arg, uint32_t pid)
{
    sig_rec_t *r = arg;
    r->n++;
    r->pid = pid;
    r->at_ns = sim_now(&r->w->loop);
}

/* host -------------------------------------------------------------------*/

static void test_host_new_reports_its_platform(void **state)
{
    world_t *a = world_new(1), *b = world_new(0);
    (void)state;
    assert_int_equal(host_is_windows(a->h), 1);
    assert_int_equal(host_is_windows(b->h), 0);
    world_free(a);
    world_free(b);
}

static void test_host_new_returns_enomem_until_memory_suffices(void **state)
{
    sim_loop_t loop;
    host_t *h = (host_t *)&loop;
    unsigned long n;
    int rc = SIM_ENOMEM;
    (void)state;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    for (n = 1; n < 10; n++) {
        sim_alloc_fail_at(n);
        rc = host_new(&loop, 1, &h);
        sim_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
        assert_null(h);
    }
    assert_int_equal(rc, 0);
    assert_non_null(h);
    host_free(h);
    host_free(NULL);
    sim_loop_close(&loop);
}

/* processes --------------------------------------------------------------*/

static void test_spawn_counts_pids_from_4000_by_4_with_groups(void **state)
{
    world_t *w = world_new(1);
    uint32_t a, b, c;
    const host_proc_t *p;
    (void)state;
    a = spawn(w, "rdd", 0, 1);
    b = spawn(w, "hostagent", a, 1);
    c = spawn(w, "ssh", b, 0);
    assert_int_equal(a, HOST_PID_FIRST);
    assert_int_equal(b, HOST_PID_FIRST + HOST_PID_STEP);
    assert_int_equal(c, HOST_PID_FIRST + 2 * HOST_PID_STEP);
    p = host_proc(w->h, c);
    assert_non_null(p);
    assert_int_equal(p->pid, c);
    assert_int_equal(p->ppid, b);
    assert_int_equal(p->pgid, b); /* inherited */
    assert_string_equal(p->name, "ssh");
    assert_string_equal(p->exe, RDD_EXE);
    assert_int_equal(p->alive, 1);
    assert_int_equal(host_proc(w->h, b)->pgid, b); /* new group */
    assert_null(host_proc(w->h, 4001));
    assert_null(host_proc(w->h, c + HOST_PID_STEP));
    assert_int_equal(host_proc_alive(w->h, a), 1);
    assert_int_equal(host_proc_alive(w->h, 1234), 0);
    assert_true(traced(w, "host.proc.spawn pid=4004 name=hostagent "
                          "ppid=4000 pgid=4004"));
    world_free(w);
}

static void test_spawn_skips_live_pids_and_reuses_dead_ones(void **state)
{
    world_t *w = world_new(1);
    uint32_t a, b;
    (void)state;
    /* A chosen pid ahead of the counter is skipped while alive. */
    assert_int_equal(host_spawn_pid(w->h, 4004, "x.exe", "x", 0, 1), 0);
    a = spawn(w, "a", 0, 1);
    b = spawn(w, "b", 0, 1);
    assert_int_equal(a, 4000);
    assert_int_equal(b, 4008);
    assert_int_equal(host_spawn_pid(w->h, 4004, "y.exe", "y", 0, 1),
                     SIM_EEXIST);
    assert_int_equal(host_spawn_pid(w->h, 0, "y.exe", "y", 0, 1), SIM_EINVAL);
    assert_string_equal(host_proc(w->h, 4004)->name, "x");
    world_free(w);
}

static void test_spawn_pid_replaces_a_dead_record(void **state)
{
    world_t *w = world_new(1);
    exit_rec_t r = {0};
    uint32_t drv;
    const host_proc_t *p;
    (void)state;
    r.w = w;
    drv = spawn(w, "wsl", 0, 1);
    assert_true(host_watch_exit(w->h, drv, on_exit_rec, &r) > 0);
    assert_int_equal(host_kill(w->h, drv), 0);
    p = host_proc(w->h, drv);
    assert_int_equal(p->alive, 0);
    assert_int_equal(p->killed, 1);
    /* H14: the OS hands the pid to an unrelated process. */
    assert_int_equal(
        host_spawn_pid(w->h, drv, "C:/Windows/notepad.exe", "notepad", 0, 1),
        0);
    p = host_proc(w->h, drv);
    assert_int_equal(p->alive, 1);
    assert_int_equal(p->killed, 0);
    assert_int_equal(p->exit_code, 0);
    assert_string_equal(p->name, "notepad");
    assert_string_equal(p->exe, "C:/Windows/notepad.exe");
    /* The old watcher went with the old process. */
    assert_int_equal(host_exit(w->h, drv, 0), 0);
    assert_int_equal(r.n, 1);
    world_free(w);
}

static void test_exit_records_code_and_is_esrch_once_dead(void **state)
{
    world_t *w = world_new(0);
    uint32_t a = spawn(w, "rdd", 0, 1);
    const host_proc_t *p;
    (void)state;
    assert_int_equal(host_exit(w->h, a, 3), 0);
    p = host_proc(w->h, a);
    assert_non_null(p); /* stays in the table */
    assert_int_equal(p->alive, 0);
    assert_int_equal(p->exit_code, 3);
    assert_int_equal(p->killed, 0);
    assert_int_equal(host_exit(w->h, a, 4), SIM_ESRCH);
    assert_int_equal(host_exit(w->h, 999, 0), SIM_ESRCH);
    assert_int_equal(host_proc(w->h, a)->exit_code, 3);
    assert_true(traced(w, "host.proc.exit pid=4000 name=rdd code=3 "
                          "killed=0"));
    world_free(w);
}

static void test_exit_releases_files_ports_and_vsock(void **state)
{
    world_t *w = world_new(1);
    uint32_t a = spawn(w, "hostagent", 0, 1);
    uint32_t b = spawn(w, "other", 0, 1);
    char msg[256];
    int got = 0;
    (void)state;
    assert_int_equal(host_fs_write(w->h, INST "/ha.pid", "4000"), 0);
    assert_int_equal(host_fs_hold(w->h, INST "/ha.pid", a), 0);
    assert_int_equal(host_port_bind(w->h, 6443, a, &got), 0);
    assert_int_equal(host_port_bind(w->h, 6444, b, &got), 0);
    assert_int_equal(host_vsock_listen(w->h, 6656, "inst-a", a), 0);
    assert_int_equal(host_vsock_listen(w->h, 6669, "inst-b", b), 0);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)),
                     SIM_ESHARING);
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_int_equal(host_port_owner(w->h, 6443), 0);
    assert_int_equal(host_port_owner(w->h, 6444), b);
    assert_null(host_vsock_owner(w->h, 6656));
    assert_string_equal(host_vsock_owner(w->h, 6669), "inst-b");
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)), 0);
    assert_int_equal(host_fs_exists(w->h, INST), 0);
    world_free(w);
}

static world_t *g_w;

static void check_released(void *arg, const host_proc_t *p)
{
    int *ok = arg;
    *ok = host_port_owner(g_w->h, 6443) == 0 &&
          host_vsock_owner(g_w->h, 6656) == NULL &&
          host_fs_remove(g_w->h, "C:/f") == 0 && !p->alive;
}

static void test_exit_releases_before_watchers_run(void **state)
{
    world_t *w = world_new(1);
    uint32_t a = spawn(w, "hostagent", 0, 1);
    int ok = -1, got;
    (void)state;
    g_w = w;
    assert_int_equal(host_fs_write(w->h, "C:/f", ""), 0);
    assert_int_equal(host_fs_hold(w->h, "C:/f", a), 0);
    assert_int_equal(host_port_bind(w->h, 6443, a, &got), 0);
    assert_int_equal(host_vsock_listen(w->h, 6656, "x", a), 0);
    assert_true(host_watch_exit(w->h, a, check_released, &ok) > 0);
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_int_equal(ok, 1);
    g_w = NULL;
    world_free(w);
}

static void test_watchers_run_in_add_order_then_are_dropped(void **state)
{
    world_t *w = world_new(1);
    uint32_t a = spawn(w, "rdd", 0, 1), b = spawn(w, "x", 0, 1);
    int id1, id2, id3, idb;
    (void)state;
    g_order[0] = 0;
    id1 = host_watch_exit(w->h, a, on_exit_tag, "first");
    idb = host_watch_exit(w->h, b, on_exit_tag, "b");
    id2 = host_watch_exit(w->h, a, on_exit_tag, "second");
    id3 = host_watch_exit(w->h, a, on_exit_tag, "third");
    assert_true(id1 > 0 && idb > id1 && id2 > idb && id3 > id2);
    host_unwatch_exit(w->h, id2);
    host_unwatch_exit(w->h, 12345); /* unknown: a no-op */
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_string_equal(g_order, "first,third");
    /* Synchronous: done before host_exit returned; nothing queued. */
    assert_int_equal(sim_loop_pending(&w->loop), 0);
    assert_int_equal(host_watch_exit(w->h, a, on_exit_tag, "late"), SIM_ESRCH);
    assert_int_equal(host_watch_exit(w->h, 777, on_exit_tag, "x"), SIM_ESRCH);
    g_order[0] = 0;
    assert_int_equal(host_exit(w->h, b, 0), 0);
    assert_string_equal(g_order, "b");
    world_free(w);
}

static void test_watcher_may_unwatch_another_and_kill(void **state)
{
    world_t *w = world_new(0);
    uint32_t a = spawn(w, "a", 0, 1), b = spawn(w, "b", 0, 1);
    exit_rec_t r1 = {0}, r2 = {0}, rb = {0};
    int id2;
    (void)state;
    r1.w = r2.w = rb.w = w;
    r1.tag = "1";
    r2.tag = "2";
    rb.tag = "b";
    assert_true(host_watch_exit(w->h, a, on_exit_rec, &r1) > 0);
    id2 = host_watch_exit(w->h, a, on_exit_rec, &r2);
    assert_true(host_watch_exit(w->h, b, on_exit_rec, &rb) > 0);
    r1.unwatch_id = id2;
    r1.kill_pid = b;
    assert_int_equal(host_exit(w->h, a, 7), 0);
    assert_string_equal(r1.log, "1:4000:7:0:0;");
    assert_int_equal(r2.n, 0);
    assert_string_equal(rb.log, "b:4004:-1:1:0;");
    world_free(w);
}

static void respawn_and_watch(void *arg, const host_proc_t *p)
{
    world_t *w = arg;
    /* The pid comes back at once; a watcher on the newcomer must wait
     * for the newcomer's own exit. */
    assert_int_equal(host_spawn_pid(w->h, p->pid, "n", "n", 0, 1), 0);
    assert_true(host_watch_exit(w->h, p->pid, on_exit_tag, "new") > 0);
}

static void test_watcher_added_for_a_reused_pid_waits_for_its_exit(void **state)
{
    world_t *w = world_new(1);
    uint32_t a = spawn(w, "a", 0, 1);
    (void)state;
    g_order[0] = 0;
    assert_true(host_watch_exit(w->h, a, respawn_and_watch, w) > 0);
    assert_true(host_watch_exit(w->h, a, on_exit_tag, "old") > 0);
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_string_equal(g_order, "old");
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_string_equal(g_order, "old,new");
    world_free(w);
}

static void test_kill_codes_and_esrch_text_per_platform(void **state)
{
    world_t *win = world_new(1), *lin = world_new(0);
    uint32_t a = spawn(win, "rdd", 0, 1), b = spawn(lin, "rdd", 0, 1);
    (void)state;
    assert_int_equal(host_kill(win->h, a), 0);
    assert_int_equal(host_proc(win->h, a)->exit_code, 1);
    assert_int_equal(host_proc(win->h, a)->killed, 1);
    assert_int_equal(host_kill(lin->h, b), 0);
    assert_int_equal(host_proc(lin->h, b)->exit_code, -1);
    assert_int_equal(host_kill(win->h, a), SIM_ESRCH);
    assert_int_equal(host_kill(lin->h, 42), SIM_ESRCH);
    assert_string_equal(host_kill_errmsg(win->h),
                        "The parameter is incorrect.");
    assert_string_equal(host_kill_errmsg(lin->h), "no such process");
    assert_true(traced(win, "host.proc.kill how=kill pid=4000 err=OK"));
    assert_true(traced(win, "host.proc.kill how=kill pid=4000 err=ESRCH"));
    assert_true(traced(win, "host.proc.exit pid=4000 name=rdd code=1 "
                            "killed=1"));
    world_free(win);
    world_free(lin);
}

static void
test_kill_tree_kills_descendants_in_pid_order_then_root(void **state)
{
    world_t *w = world_new(1);
    uint32_t svc, ha, drv, ssh, fwd, other;
    (void)state;
    svc = spawn(w, "rdd", 0, 1);        /* 4000 */
    ha = spawn(w, "hostagent", svc, 1); /* 4004 */
    other = spawn(w, "other", svc, 1);  /* 4008: ha's sibling */
    drv = spawn(w, "wsl", ha, 0);       /* 4012 */
    ssh = spawn(w, "ssh", drv, 0);      /* 4016: grandchild */
    fwd = spawn(w, "fwd", ha, 0);       /* 4020 */
    g_order[0] = 0;
    assert_true(host_watch_exit(w->h, ha, on_exit_order, NULL) > 0);
    assert_true(host_watch_exit(w->h, drv, on_exit_order, NULL) > 0);
    assert_true(host_watch_exit(w->h, ssh, on_exit_order, NULL) > 0);
    assert_true(host_watch_exit(w->h, fwd, on_exit_order, NULL) > 0);
    assert_int_equal(host_kill_tree(w->h, ha), 0);
    assert_string_equal(g_order, "4012,4016,4020,4004");
    assert_int_equal(host_proc_alive(w->h, svc), 1);
    assert_int_equal(host_proc_alive(w->h, other), 1);
    assert_int_equal(host_proc(w->h, ssh)->killed, 1);
    assert_int_equal(host_kill_tree(w->h, ha), SIM_ESRCH);
    assert_true(traced(w, "host.proc.kill how=tree pid=4004 err=ESRCH"));
    world_free(w);
}

static void test_kill_tree_survives_a_ppid_cycle_from_pid_reuse(void **state)
{
    world_t *w = world_new(1);
    uint32_t a, b;
    (void)state;
    a = spawn(w, "a", 0, 1); /* 4000 */
    b = spawn(w, "b", a, 1); /* 4004, child of 4000 */
    assert_int_equal(host_exit(w->h, a, 0), 0);
    /* 4000 comes back as a child of 4004: each is the other's parent. */
    assert_int_equal(host_spawn_pid(w->h, a, "c.exe", "c", b, 0), 0);
    assert_int_equal(host_proc(w->h, a)->pgid, b);
    assert_int_equal(host_kill_tree(w->h, b), 0);
    assert_int_equal(host_proc_alive(w->h, a), 0);
    assert_int_equal(host_proc_alive(w->h, b), 0);
    world_free(w);
}

static void test_kill_group_kills_members_only(void **state)
{
    world_t *w = world_new(0);
    uint32_t lead, m1, m2, own;
    (void)state;
    lead = spawn(w, "hostagent", 0, 1);
    m1 = spawn(w, "qemu", lead, 0);
    own = spawn(w, "ssh", m1, 1); /* its own group */
    m2 = spawn(w, "ssh", m1, 0);
    g_order[0] = 0;
    assert_true(host_watch_exit(w->h, lead, on_exit_order, NULL) > 0);
    assert_true(host_watch_exit(w->h, m1, on_exit_order, NULL) > 0);
    assert_true(host_watch_exit(w->h, m2, on_exit_order, NULL) > 0);
    assert_int_equal(host_kill_group(w->h, lead), 0);
    assert_string_equal(g_order, "4000,4004,4012");
    assert_int_equal(host_proc_alive(w->h, own), 1);
    assert_int_equal(host_kill_group(w->h, lead), SIM_ESRCH);
    assert_int_equal(host_kill_group(w->h, 5), SIM_ESRCH);
    world_free(w);
}

static void test_interrupt_calls_handler_on_a_later_turn(void **state)
{
    world_t *w = world_new(1);
    sig_rec_t r = {0};
    uint32_t a = spawn(w, "rdd", 0, 1);
    (void)state;
    r.w = w;
    sim_loop_run(&w->loop, SIM_MS(5));
    host_on_interrupt(w->h, a, on_signal, &r);
    assert_int_equal(host_interrupt(w->h, a), 0);
    assert_int_equal(r.n, 0); /* not inside the call */
    assert_int_equal(host_interrupt(w->h, a), 0);
    sim_loop_run(&w->loop, SIM_NEVER);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.pid, a);
    assert_int_equal(r.at_ns, SIM_MS(5)); /* +0 */
    assert_int_equal(host_proc_alive(w->h, a), 1);
    /* Nodes are reused. */
    assert_int_equal(host_interrupt(w->h, a), 0);
    sim_loop_run(&w->loop, SIM_NEVER);
    assert_int_equal(r.n, 3);
    assert_true(traced(w, "host.proc.interrupt pid=4000 name=rdd "
                          "action=queued err=OK"));
    world_free(w);
}

static void test_interrupt_without_handler_per_platform(void **state)
{
    world_t *win = world_new(1), *lin = world_new(0);
    uint32_t a = spawn(win, "rdd", 0, 1), b = spawn(lin, "rdd", 0, 1);
    exit_rec_t r = {0};
    sig_rec_t s = {0};
    (void)state;
    r.w = lin;
    s.w = win;
    /* Windows, no shared console: refused, the process lives on. */
    assert_int_equal(host_interrupt(win->h, a), SIM_EACCES);
    assert_int_equal(host_proc_alive(win->h, a), 1);
    /* A cleared handler is no handler. */
    host_on_interrupt(win->h, a, on_signal, &s);
    host_on_interrupt(win->h, a, NULL, &s);
    assert_int_equal(host_interrupt(win->h, a), SIM_EACCES);
    /* Elsewhere SIGINT's default action ends it, synchronously. */
    assert_true(host_watch_exit(lin->h, b, on_exit_rec, &r) > 0);
    assert_int_equal(host_interrupt(lin->h, b), 0);
    assert_string_equal(r.log, ":4000:-1:1:0;");
    assert_int_equal(host_interrupt(lin->h, b), SIM_ESRCH);
    assert_int_equal(host_interrupt(win->h, 77), SIM_ESRCH);
    host_on_interrupt(win->h, 77, on_signal, &s); /* ignored */
    sim_loop_run(&win->loop, SIM_NEVER);
    assert_int_equal(s.n, 0);
    assert_true(traced(win, "action=none err=EACCES"));
    assert_true(traced(lin, "action=default err=OK"));
    world_free(win);
    world_free(lin);
}

static void test_queued_interrupt_is_dropped_after_exit_or_reuse(void **state)
{
    world_t *w = world_new(1);
    sig_rec_t old = {0}, neu = {0};
    uint32_t a = spawn(w, "rdd", 0, 1), b = spawn(w, "x", 0, 1);
    (void)state;
    old.w = neu.w = w;
    host_on_interrupt(w->h, a, on_signal, &old);
    host_on_interrupt(w->h, b, on_signal, &old);
    assert_int_equal(host_interrupt(w->h, a), 0);
    assert_int_equal(host_interrupt(w->h, b), 0);
    assert_int_equal(host_exit(w->h, b, 0), 0);
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_int_equal(host_spawn_pid(w->h, a, "n.exe", "n", 0, 1), 0);
    host_on_interrupt(w->h, a, on_signal, &neu);
    sim_loop_run(&w->loop, SIM_NEVER);
    assert_int_equal(old.n, 0);
    assert_int_equal(neu.n, 0); /* sent to the previous incarnation */
    world_free(w);
}

static void test_host_free_disarms_queued_interrupts(void **state)
{
    world_t *w = world_new(1);
    sig_rec_t r = {0};
    uint32_t a = spawn(w, "rdd", 0, 1);
    (void)state;
    r.w = w;
    host_on_interrupt(w->h, a, on_signal, &r);
    assert_int_equal(host_interrupt(w->h, a), 0);
    assert_int_equal(sim_loop_pending(&w->loop), 1);
    world_free(w); /* frees the host first, then runs the loop */
    assert_int_equal(r.n, 0);
}

static int collect_pids(void *arg, const host_proc_t *p)
{
    size_t len = strlen(g_order);
    world_t *w = arg;
    snprintf(g_order + len, sizeof(g_order) - len, "%s%u", len ? "," : "",
             (unsigned)p->pid);
    if (p->pid == 4004) {
        /* Mutating the table from the callback is allowed. */
        uint32_t pid;
        assert_int_equal(host_kill(w->h, 4008), 0);
        assert_int_equal(host_spawn(w->h, "z", "z", 0, 1, &pid), 0);
    }
    return p->pid >= 4012;
}

static void test_procs_visits_live_processes_in_pid_order(void **state)
{
    world_t *w = world_new(1);
    uint32_t pid;
    (void)state;
    assert_int_equal(host_spawn_pid(w->h, 4012, "x", "x", 0, 1), 0);
    (void)spawn(w, "a", 0, 1); /* 4000 */
    (void)spawn(w, "b", 0, 1); /* 4004 */
    (void)spawn(w, "c", 0, 1); /* 4008 */
    assert_int_equal(host_exit(w->h, 4000, 0), 0);
    assert_int_equal(host_spawn_pid(w->h, 4020, "y", "y", 0, 1), 0);
    g_order[0] = 0;
    host_procs(w->h, collect_pids, w);
    /* 4000 dead, 4008 killed by the callback; stops at 4012. */
    assert_string_equal(g_order, "4004,4012");
    /* The spawn in the callback took 4016 (4012 is alive). */
    assert_int_equal(host_proc_alive(w->h, 4016), 1);
    assert_int_equal(host_spawn(w->h, "z", "z", 0, 1, &pid), 0);
    assert_int_equal(pid, 4024); /* 4020 is alive */
    world_free(w);
}

static void test_spawn_and_watch_return_enomem_cleanly(void **state)
{
    world_t *w = world_new(1);
    unsigned long n;
    uint32_t pid = 0;
    int rc = SIM_ENOMEM;
    (void)state;
    for (n = 1; n < 10; n++) {
        sim_alloc_fail_at(n);
        rc = host_spawn(w->h, RDD_EXE, "rdd", 0, 1, &pid);
        sim_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
        assert_null(host_proc(w->h, HOST_PID_FIRST));
    }
    assert_int_equal(rc, 0);
    assert_int_equal(pid, HOST_PID_FIRST); /* the counter did not move */
    for (n = 1; n < 10; n++) {
        sim_alloc_fail_at(n);
        rc = host_watch_exit(w->h, pid, on_exit_order, NULL);
        sim_alloc_fail_at(0);
        if (rc > 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
    }
    assert_true(rc > 0);
    host_on_interrupt(w->h, pid, on_signal, NULL);
    for (n = 1; n < 10; n++) {
        sim_alloc_fail_at(n);
        rc = host_interrupt(w->h, pid);
        sim_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
        assert_int_equal(sim_loop_pending(&w->loop), 0);
    }
    assert_int_equal(rc, 0);
    host_on_interrupt(w->h, pid, NULL, NULL); /* the handler stays unrun */
    g_order[0] = 0;
    assert_int_equal(host_exit(w->h, pid, 0), 0);
    assert_string_equal(g_order, "4000");
    world_free(w);
}

/* filesystem -------------------------------------------------------------*/

static void test_path_norm_turns_backslashes_into_slashes(void **state)
{
    char out[HOST_PATH_MAX], in[HOST_PATH_MAX + 10];
    (void)state;
    host_path_norm("C:\\Users\\u\\.rd\\lima", out);
    assert_string_equal(out, "C:/Users/u/.rd/lima");
    host_path_norm("/home/u/x", out);
    assert_string_equal(out, "/home/u/x");
    memset(in, 'a', sizeof(in) - 1);
    in[sizeof(in) - 1] = 0;
    host_path_norm(in, out);
    assert_int_equal(strlen(out), HOST_PATH_MAX - 1);
}

static void test_write_read_and_implicit_parents(void **state)
{
    world_t *w = world_new(0);
    char buf[64];
    (void)state;
    assert_int_equal(host_fs_write(w->h, "/home/u/.rd/lima.yaml", "vm"), 0);
    assert_int_equal(
        host_fs_read(w->h, "/home/u/.rd/lima.yaml", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "vm");
    assert_int_equal(host_fs_is_dir(w->h, "/home/u/.rd"), 1);
    assert_int_equal(host_fs_is_dir(w->h, "/home/u/.rd/"), 1);
    assert_int_equal(host_fs_is_dir(w->h, "/home"), 1);
    assert_int_equal(host_fs_exists(w->h, "/home/u/.rd/lima.yaml"), 1);
    assert_int_equal(host_fs_is_dir(w->h, "/home/u/.rd/lima.yaml"), 0);
    assert_int_equal(host_fs_exists(w->h, "/home/u/.rd/x"), 0);
    assert_int_equal(host_fs_exists(w->h, ""), 0);
    /* Replace; NULL data is empty. */
    assert_int_equal(host_fs_write(w->h, "/home/u/.rd/lima.yaml", NULL), 0);
    assert_int_equal(
        host_fs_read(w->h, "/home/u/.rd/lima.yaml", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    world_free(w);
}

static void test_fs_error_paths(void **state)
{
    world_t *w = world_new(0);
    char buf[4], big[HOST_DATA_MAX + 1], longp[HOST_PATH_MAX + 1];
    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    memset(longp, 'p', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = 0;
    assert_int_equal(host_fs_write(w->h, "/d/f", "hello"), 0);
    assert_int_equal(host_fs_read(w->h, "/d/f", buf, sizeof(buf)), SIM_ERANGE);
    assert_string_equal(buf, "hel");
    assert_int_equal(host_fs_read(w->h, "/d/f", buf, 0), SIM_ERANGE);
    assert_int_equal(host_fs_read(w->h, "/d", buf, sizeof(buf)), SIM_ENOENT);
    assert_int_equal(host_fs_read(w->h, "/d/g", buf, sizeof(buf)), SIM_ENOENT);
    assert_int_equal(host_fs_write(w->h, "", "x"), SIM_EINVAL);
    assert_int_equal(host_fs_write(w->h, NULL, "x"), SIM_EINVAL);
    assert_int_equal(host_fs_write(w->h, longp, "x"), SIM_ERANGE);
    assert_int_equal(host_fs_write(w->h, "/d/h", big), SIM_ERANGE);
    assert_int_equal(host_fs_write(w->h, "/d", "x"), SIM_EACCES);
    assert_int_equal(host_fs_write(w->h, "/d/f/g", "x"), SIM_EEXIST);
    assert_int_equal(host_fs_exists(w->h, "/d/f/g"), 0);
    assert_int_equal(host_fs_mkdir(w->h, "/d/f"), SIM_EEXIST);
    assert_int_equal(host_fs_mkdir(w->h, "/d/f/sub/dir"), SIM_EEXIST);
    assert_int_equal(host_fs_mkdir(w->h, ""), SIM_EINVAL);
    assert_int_equal(host_fs_mkdir(w->h, "/d"), 0); /* -p: exists */
    assert_int_equal(host_fs_remove(w->h, "/nope"), SIM_ENOENT);
    assert_int_equal(host_fs_remove(w->h, ""), SIM_EINVAL);
    assert_int_equal(host_fs_remove(w->h, "/d"), SIM_EEXIST); /* not empty */
    assert_int_equal(host_fs_hold(w->h, "/d/f", 4000), SIM_ESRCH);
    world_free(w);
}

static void test_mkdir_and_remove_keep_directories_real(void **state)
{
    world_t *w = world_new(1);
    (void)state;
    assert_int_equal(host_fs_mkdir(w->h, "C:/a/b/c"), 0);
    assert_int_equal(host_fs_is_dir(w->h, "C:/a/b/c"), 1);
    assert_int_equal(host_fs_is_dir(w->h, "C:"), 1);
    assert_int_equal(host_fs_write(w->h, "C:/a/b/f", "1"), 0);
    assert_int_equal(host_fs_remove(w->h, "C:/a/b/f"), 0);
    /* The directory stays when its last file goes. */
    assert_int_equal(host_fs_is_dir(w->h, "C:/a/b"), 1);
    assert_int_equal(host_fs_remove(w->h, "C:/a/b"), SIM_EEXIST);
    assert_int_equal(host_fs_remove(w->h, "C:/a/b/c"), 0);
    assert_int_equal(host_fs_remove(w->h, "C:/a/b"), 0);
    assert_int_equal(host_fs_exists(w->h, "C:/a/b"), 0);
    assert_int_equal(host_fs_is_dir(w->h, "C:/a"), 1);
    world_free(w);
}

static int list_cb(void *arg, const char *name, int is_dir)
{
    size_t len = strlen(g_order);
    snprintf(g_order + len, sizeof(g_order) - len, "%s%s%s", len ? "," : "",
             name, is_dir ? "/" : "");
    return arg != NULL && strcmp(name, (const char *)arg) == 0;
}

static void test_list_gives_direct_children_in_byte_order(void **state)
{
    world_t *w = world_new(0);
    (void)state;
    assert_int_equal(host_fs_write(w->h, "/r/b", ""), 0);
    assert_int_equal(host_fs_write(w->h, "/r/a/x", ""), 0);
    assert_int_equal(host_fs_write(w->h, "/r/a.x", ""), 0);
    assert_int_equal(host_fs_write(w->h, "/r/B", ""), 0);
    assert_int_equal(host_fs_write(w->h, "/r/a-y/z", ""), 0);
    assert_int_equal(host_fs_write(w->h, "/rr", ""), 0);
    /* "/r-1" sorts between "/r" and "/r/...". */
    assert_int_equal(host_fs_write(w->h, "/r-1", ""), 0);
    g_order[0] = 0;
    host_fs_list(w->h, "/r", list_cb, NULL);
    assert_string_equal(g_order, "B,a/,a-y/,a.x,b");
    g_order[0] = 0;
    host_fs_list(w->h, "/r/", list_cb, "a-y");
    assert_string_equal(g_order, "B,a/,a-y/"); /* stopped by cb */
    g_order[0] = 0;
    host_fs_list(w->h, "/", list_cb, NULL);
    assert_string_equal(g_order, "r/,r-1,rr");
    g_order[0] = 0;
    host_fs_list(w->h, "/r/b", list_cb, NULL);
    host_fs_list(w->h, "/none", list_cb, NULL);
    host_fs_list(w->h, "", list_cb, NULL);
    assert_string_equal(g_order, "");
    world_free(w);
}

/* The instance directory of docs/rdd/limavm.md path 6, one file the orphaned
 * hostagent holds and one in a sibling whose name sorts before '/'. */
static void make_instance_dir(world_t *w, uint32_t orphan)
{
    assert_int_equal(host_fs_write(w->h, INST "/lima.yaml", "x"), 0);
    assert_int_equal(host_fs_write(w->h, INST "/ha.stderr.log", "x"), 0);
    assert_int_equal(host_fs_write(w->h, INST "/ha.pid", "4000"), 0);
    assert_int_equal(host_fs_write(w->h, INST "/serial/serial.log", "x"), 0);
    assert_int_equal(host_fs_write(w->h, INST "/z/held.log", "x"), 0);
    assert_int_equal(host_fs_write(w->h, INST "/z.txt", "x"), 0);
    assert_int_equal(host_fs_mkdir(w->h, INST "/empty"), 0);
    assert_int_equal(host_fs_hold(w->h, INST "/z/held.log", orphan), 0);
    assert_int_equal(host_fs_hold(w->h, INST "/ha.stderr.log", orphan), 0);
}

static void test_remove_all_on_windows_keeps_held_files(void **state)
{
    world_t *w = world_new(1);
    uint32_t orphan = spawn(w, "hostagent", 0, 1);
    char msg[256];
    (void)state;
    make_instance_dir(w, orphan);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)),
                     SIM_ESHARING);
    /* The first error in depth-first byte order. */
    assert_string_equal(msg, "remove " INST "/ha.stderr.log: The process "
                             "cannot access the file because it is being "
                             "used by another process.");
    assert_int_equal(host_fs_exists(w->h, INST "/ha.stderr.log"), 1);
    assert_int_equal(host_fs_exists(w->h, INST "/z/held.log"), 1);
    assert_int_equal(host_fs_is_dir(w->h, INST "/z"), 1);
    assert_int_equal(host_fs_is_dir(w->h, INST), 1);
    assert_int_equal(host_fs_exists(w->h, INST "/lima.yaml"), 0);
    assert_int_equal(host_fs_exists(w->h, INST "/ha.pid"), 0);
    assert_int_equal(host_fs_exists(w->h, INST "/serial"), 0);
    assert_int_equal(host_fs_exists(w->h, INST "/z.txt"), 0);
    assert_int_equal(host_fs_exists(w->h, INST "/empty"), 0);
    assert_true(traced(w, "host.fs.remove_all path=" INST " first=" INST
                          "/ha.stderr.log err=ESHARING"));
    /* host_fs_remove of a held file, too; msg may be NULL. */
    assert_int_equal(host_fs_remove(w->h, INST "/z/held.log"), SIM_ESHARING);
    assert_int_equal(host_fs_remove_all(w->h, INST, NULL, 0), SIM_ESHARING);
    /* One release of one handle; the other file stays held. */
    host_fs_release(w->h, INST "/ha.stderr.log", orphan);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)),
                     SIM_ESHARING);
    assert_string_equal(msg, "remove " INST "/z/held.log: " HOST_SHARING_MSG);
    assert_int_equal(host_fs_exists(w->h, INST "/ha.stderr.log"), 0);
    /* The orphan's exit releases the rest. */
    assert_int_equal(host_kill(w->h, orphan), 0);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
    assert_int_equal(host_fs_exists(w->h, INST), 0);
    assert_int_equal(host_fs_is_dir(w->h, "C:/Users/u/.rd/lima"), 1);
    world_free(w);
}

static void test_remove_all_on_linux_ignores_holds(void **state)
{
    world_t *w = world_new(0);
    uint32_t orphan = spawn(w, "hostagent", 0, 1);
    char msg[64] = "junk";
    (void)state;
    make_instance_dir(w, orphan);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
    assert_int_equal(host_fs_exists(w->h, INST), 0);
    assert_false(traced(w, "host.fs.remove_all"));
    world_free(w);
}

/* host.fs.disk_full: a write or a new directory fails with ENOSPC and
 * nothing is written; an existing directory needs no space; the
 * simulator's own /.rddsim records are not the disk's. */
/* os.WriteFile on a full disk: the open creates or truncates the file,
 * the write fails, the file stays empty; an empty file needs no data
 * blocks and is created; the text is the OS's. */
static void test_disk_full_leaves_the_file_empty(void **state)
{
    world_t *w = world_new(1);
    sim_faults_t fs;
    sim_fault_arm_t a;
    char buf[16];
    (void)state;
    sim_faults_init(&fs);
    memset(&a, 0, sizeof(a));
    a.by_time = 1;
    a.from_ns = 0;
    a.to_ns = SIM_NS_PER_S;
    sim_faults_arm(&fs, SIM_FAULT_HOST_FS_DISK_FULL, &a, 1);
    assert_int_equal(host_fs_mkdir(w->h, "C:/d"), 0); /* before the arm */
    assert_int_equal(host_fs_write(w->h, "C:/d/g", "old"), 0);
    w->loop.faults = &fs;
    assert_int_equal(host_fs_write(w->h, "C:/d/g", "new"), SIM_ENOSPC);
    assert_int_equal(host_fs_read(w->h, "C:/d/g", buf, sizeof(buf)), 0);
    assert_string_equal(buf, ""); /* truncated */
    assert_int_equal(host_fs_write(w->h, "C:/d/f", "x"), SIM_ENOSPC);
    assert_int_equal(host_fs_exists(w->h, "C:/d/f"), 1);
    assert_int_equal(host_fs_read(w->h, "C:/d/f", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    assert_int_equal(host_fs_write(w->h, "C:/d/h", ""), 0);
    assert_string_equal(host_fs_errmsg(w->h, SIM_ENOSPC),
                        "There is not enough space on the disk.");
    assert_int_equal(host_fs_mkdir(w->h, "C:/e"), SIM_ENOSPC);
    assert_int_equal(host_fs_exists(w->h, "C:/e"), 0);
    assert_int_equal(host_fs_mkdir(w->h, "C:/d"), 0);
    assert_int_equal(host_fs_write(w->h, "/.rddsim/x", "1"), 0);
    assert_true(traced(w, "fault.fire site=host.fs.disk_full target=C:/d/f"));
    sim_loop_run(&w->loop, 2 * SIM_NS_PER_S);
    assert_int_equal(host_fs_write(w->h, "C:/d/f", "x"), 0);
    assert_int_equal(host_fs_read(w->h, "C:/d/f", buf, sizeof(buf)), 0);
    w->loop.faults = NULL;
    world_free(w);
}

static void test_remove_all_edge_cases(void **state)
{
    world_t *w = world_new(1);
    uint32_t p = spawn(w, "x", 0, 1);
    char msg[64];
    (void)state;
    assert_int_equal(host_fs_remove_all(w->h, "C:/none", msg, sizeof(msg)), 0);
    assert_int_equal(host_fs_remove_all(w->h, "", msg, sizeof(msg)), 0);
    assert_int_equal(host_fs_write(w->h, "C:/f", "x"), 0);
    assert_int_equal(host_fs_hold(w->h, "C:/f", p), 0);
    assert_int_equal(host_fs_hold(w->h, "C:/f", p), 0); /* two handles */
    /* A held file itself; a short msg is truncated. */
    assert_int_equal(host_fs_remove_all(w->h, "C:/f", msg, 12), SIM_ESHARING);
    assert_string_equal(msg, "remove C:/f");
    host_fs_release(w->h, "C:/f", p);
    host_fs_release(w->h, "C:/f", 9999); /* not its handle: no-op */
    assert_int_equal(host_fs_remove(w->h, "C:/f"), SIM_ESHARING);
    host_fs_release(w->h, "C:/f", p);
    assert_int_equal(host_fs_remove_all(w->h, "C:/f", msg, sizeof(msg)), 0);
    assert_int_equal(host_fs_hold(w->h, "C:/f", p), SIM_ENOENT);
    assert_int_equal(host_fs_mkdir(w->h, "C:/d"), 0);
    assert_int_equal(host_fs_hold(w->h, "C:/d", p), SIM_ENOENT);
    assert_int_equal(host_fs_hold(w->h, "", p), SIM_EINVAL);
    world_free(w);
}

static void test_fs_write_is_all_or_nothing_under_enomem(void **state)
{
    world_t *w = world_new(1);
    unsigned long n;
    int rc = SIM_ENOMEM;
    (void)state;
    assert_int_equal(host_fs_write(w->h, "C:/a", ""), 0);
    for (n = 1; n < 10; n++) {
        sim_alloc_fail_at(n);
        rc = host_fs_write(w->h, "C:/b/c/d/e/f/g/h/i/j/k", "x");
        sim_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
        assert_int_equal(host_fs_exists(w->h, "C:/b"), 0);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(host_fs_is_dir(w->h, "C:/b/c/d/e/f/g/h/i/j"), 1);
    world_free(w);
}

/* WSL --------------------------------------------------------------------*/

static void test_wsl_import_start_terminate_unregister(void **state)
{
    world_t *w = world_new(1);
    char msg[128];
    (void)state;
    assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_ABSENT);
    assert_string_equal(host_wsl_registered_by(w->h, DISTRO), "");
    assert_string_equal(host_vm_guid(w->h), "");
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "rd-a"), 0);
    assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_STOPPED);
    assert_string_equal(host_wsl_registered_by(w->h, DISTRO), "rd-a");
    assert_int_equal(host_fs_exists(w->h, VHDX), 1);
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "rd-b"), SIM_EEXIST);
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-b", msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
    assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_RUNNING);
    assert_string_equal(host_vm_guid(w->h), HOST_VM_GUID);
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-b", NULL, 0), 0);
    assert_int_equal(host_wsl_terminate(w->h, DISTRO, "rd-b"), 0);
    assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_STOPPED);
    assert_int_equal(host_wsl_terminate(w->h, DISTRO, "rd-b"), 0);
    assert_int_equal(host_wsl_unregister(w->h, DISTRO, "rd-b"), 0);
    assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_ABSENT);
    assert_int_equal(host_fs_exists(w->h, VHDX), 0);
    assert_int_equal(host_fs_is_dir(w->h, INST), 1); /* only the disk */
    /* The GUID outlives the distros. */
    assert_string_equal(host_vm_guid(w->h), HOST_VM_GUID);
    assert_string_equal(host_wsl_state_name(HOST_WSL_ABSENT), "absent");
    assert_string_equal(host_wsl_state_name(HOST_WSL_STOPPED), "stopped");
    assert_string_equal(host_wsl_state_name(HOST_WSL_RUNNING), "running");
    assert_string_equal(host_wsl_state_name((host_wsl_state_t)9), "unknown");
    world_free(w);
}

typedef struct {
    int calls;
    char last[64];
} stop_seen_t;

static void on_stop(void *arg, const char *distro)
{
    stop_seen_t *seen = arg;
    seen->calls++;
    snprintf(seen->last, sizeof(seen->last), "%s", distro);
}

/* A running distro's stop, and only that, reaches the observers. */
static void test_wsl_stop_observers_see_running_distros_stop(void **state)
{
    world_t *w = world_new(1);
    stop_seen_t a = {0, ""}, b = {0, ""};
    int ida, idb;
    (void)state;
    ida = host_wsl_on_stop(w->h, on_stop, &a);
    idb = host_wsl_on_stop(w->h, on_stop, &b);
    assert_true(ida > 0 && idb > 0 && ida != idb);
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "rd-a"), 0);
    assert_int_equal(host_wsl_terminate(w->h, DISTRO, "rd-a"), 0);
    assert_int_equal(a.calls, 0); /* it was not running */
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-a", NULL, 0), 0);
    assert_int_equal(host_wsl_terminate(w->h, DISTRO, "user"), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_string_equal(a.last, DISTRO);
    host_wsl_off(w->h, idb);
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-a", NULL, 0), 0);
    assert_int_equal(host_wsl_unregister(w->h, DISTRO, "rd-b"), 0);
    assert_int_equal(a.calls, 2);
    assert_int_equal(b.calls, 1);
    world_free(w);
}

static void test_wsl_observers_are_bounded(void **state)
{
    world_t *w = world_new(1);
    stop_seen_t a = {0, ""};
    int i;
    (void)state;
    for (i = 0; i < HOST_WSL_OBS_MAX; i++)
        assert_true(host_wsl_on_stop(w->h, on_stop, &a) > 0);
    assert_int_equal(host_wsl_on_stop(w->h, on_stop, &a), SIM_ENOMEM);
    host_wsl_off(w->h, 3);
    assert_int_equal(host_wsl_on_stop(w->h, on_stop, &a), 3);
    host_wsl_off(w->h, 0);               /* ignored */
    host_wsl_off(w->h, HOST_WSL_OBS_MAX + 1);
    world_free(w);
}

static void test_wsl_errors_for_unknown_distros_and_bad_args(void **state)
{
    world_t *w = world_new(1);
    char msg[128], longname[80];
    (void)state;
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    assert_int_equal(host_wsl_start(w->h, DISTRO, "a", msg, sizeof(msg)),
                     SIM_ENOENT);
    assert_string_equal(msg, HOST_WSL_NODISTRO_MSG);
    assert_int_equal(host_wsl_terminate(w->h, DISTRO, "a"), SIM_ENOENT);
    assert_int_equal(host_wsl_unregister(w->h, DISTRO, "a"), SIM_ENOENT);
    assert_int_equal(host_wsl_import(w->h, "", VHDX, "a"), SIM_EINVAL);
    assert_int_equal(host_wsl_import(w->h, longname, VHDX, "a"), SIM_EINVAL);
    assert_int_equal(host_wsl_import(w->h, DISTRO, "", "a"), SIM_EINVAL);
    assert_int_equal(host_fs_write(w->h, "C:/file", "x"), 0);
    assert_int_equal(host_wsl_import(w->h, DISTRO, "C:/file/ext4.vhdx", "a"),
                     SIM_EEXIST);
    assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_ABSENT);
    assert_int_equal(host_wsl_state(w->h, NULL), HOST_WSL_ABSENT);
    world_free(w);
}

static void test_wsl_running_distro_locks_its_vhdx_on_windows(void **state)
{
    world_t *w = world_new(1);
    char msg[256];
    (void)state;
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "rd-a"), 0);
    assert_int_equal(host_fs_write(w->h, INST "/lima.yaml", "x"), 0);
    /* Stopped: nothing holds the disk. */
    assert_int_equal(host_fs_remove(w->h, VHDX), 0);
    assert_int_equal(host_fs_write(w->h, VHDX, "ext4"), 0);
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-a", NULL, 0), 0);
    assert_int_equal(host_fs_remove(w->h, VHDX), SIM_ESHARING);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)),
                     SIM_ESHARING);
    assert_string_equal(msg, "remove " VHDX ": " HOST_SHARING_MSG);
    assert_int_equal(host_fs_exists(w->h, INST "/lima.yaml"), 0);
    assert_int_equal(host_fs_exists(w->h, VHDX), 1);
    /* terminate releases it (removeStaleInstance's order). */
    assert_int_equal(host_wsl_terminate(w->h, DISTRO, "rd-b"), 0);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)), 0);
    assert_int_equal(host_fs_exists(w->h, INST), 0);
    world_free(w);
}

static void test_wsl_running_distro_does_not_lock_on_linux(void **state)
{
    world_t *w = world_new(0);
    char msg[128];
    (void)state;
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "rd-a"), 0);
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-a", NULL, 0), 0);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)), 0);
    assert_int_equal(host_fs_exists(w->h, VHDX), 0);
    world_free(w);
}

static void test_wsl_start_fails_when_the_vhdx_is_gone(void **state)
{
    world_t *w = world_new(1);
    char msg[128];
    (void)state;
    /* docs/rdd/limavm.md path 8: the disk went, the registration stayed. */
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "rd-a"), 0);
    assert_int_equal(host_fs_remove_all(w->h, INST, msg, sizeof(msg)), 0);
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-a", msg, sizeof(msg)),
                     SIM_ENOENT);
    assert_string_equal(msg, "The system cannot find the file specified.");
    assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_STOPPED);
    assert_string_equal(host_vm_guid(w->h), "");
    /* A directory in its place is no disk either. */
    assert_int_equal(host_fs_mkdir(w->h, VHDX), 0);
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-a", msg, sizeof(msg)),
                     SIM_ENOENT);
    /* unregister with the disk gone still forgets the distro. */
    assert_int_equal(host_wsl_unregister(w->h, DISTRO, "rd-a"), 0);
    assert_int_equal(host_fs_is_dir(w->h, VHDX), 1);
    assert_int_equal(host_wsl_import(w->h, DISTRO, INST "/2.vhdx", "rd-b"), 0);
    world_free(w);
}

static void
test_wsl_unregister_by_another_instance_deletes_its_disk(void **state)
{
    world_t *w = world_new(1);
    uint32_t p = spawn(w, "wsl", 0, 1);
    const host_wsl_rec_t *log;
    size_t n;
    (void)state;
    /* H9: A's distro; B unregisters the same global name. */
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "rd-a"), 0);
    assert_int_equal(host_wsl_start(w->h, DISTRO, "rd-a", NULL, 0), 0);
    assert_int_equal(host_fs_hold(w->h, VHDX, p), 0);
    sim_loop_run(&w->loop, SIM_S(3));
    assert_int_equal(host_wsl_unregister(w->h, DISTRO, "rd-b"), 0);
    assert_int_equal(host_fs_exists(w->h, VHDX), 0);
    assert_int_equal(host_wsl_terminate(w->h, DISTRO, "rd-b"), SIM_ENOENT);
    n = host_wsl_log(w->h, &log);
    assert_int_equal(n, 4);
    assert_int_equal(log[0].op, HOST_WSL_OP_IMPORT);
    assert_string_equal(log[0].actor, "rd-a");
    assert_string_equal(log[0].registered_by, "");
    assert_int_equal(log[0].rc, 0);
    assert_int_equal(log[1].op, HOST_WSL_OP_START);
    assert_string_equal(log[1].registered_by, "rd-a");
    assert_int_equal(log[2].op, HOST_WSL_OP_UNREGISTER);
    assert_string_equal(log[2].distro, DISTRO);
    assert_string_equal(log[2].actor, "rd-b");
    assert_string_equal(log[2].registered_by, "rd-a");
    assert_int_equal(log[2].at_ns, SIM_S(3));
    assert_int_equal(log[3].op, HOST_WSL_OP_TERMINATE);
    assert_int_equal(log[3].rc, SIM_ENOENT);
    assert_string_equal(log[3].registered_by, "");
    assert_int_equal(host_wsl_log(w->h, NULL), 4);
    assert_true(traced(w, "host.wsl.unregister distro=lima-rd actor=rd-b "
                          "owner=rd-a err=OK"));
    assert_true(traced(w, "host.wsl.terminate distro=lima-rd actor=rd-b "
                          "owner=\"\" err=ENOENT"));
    world_free(w);
}

static void test_wsl_every_op_is_logged_failures_too(void **state)
{
    world_t *w = world_new(1);
    const host_wsl_rec_t *log;
    (void)state;
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "a"), 0);
    assert_int_equal(host_wsl_import(w->h, DISTRO, VHDX, "b"), SIM_EEXIST);
    assert_int_equal(host_wsl_start(w->h, "lima-x", "c", NULL, 0), SIM_ENOENT);
    assert_int_equal(host_wsl_unregister(w->h, "lima-x", "d"), SIM_ENOENT);
    assert_int_equal(host_wsl_import(w->h, "", VHDX, "e"), SIM_EINVAL);
    assert_int_equal(host_wsl_log(w->h, &log), 5);
    assert_int_equal(log[1].rc, SIM_EEXIST);
    assert_string_equal(log[1].actor, "b");
    assert_string_equal(log[1].registered_by, "a");
    assert_int_equal(log[2].rc, SIM_ENOENT);
    assert_string_equal(log[2].distro, "lima-x");
    assert_int_equal(log[3].op, HOST_WSL_OP_UNREGISTER);
    assert_int_equal(log[4].rc, SIM_EINVAL);
    world_free(w);
}

static void test_wsl_ops_return_enomem_cleanly(void **state)
{
    world_t *w = world_new(1);
    unsigned long n;
    int rc = SIM_ENOMEM;
    (void)state;
    for (n = 1; n < 20; n++) {
        sim_alloc_fail_at(n);
        rc = host_wsl_import(w->h, DISTRO, VHDX, "a");
        sim_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
        assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_ABSENT);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(host_wsl_state(w->h, DISTRO), HOST_WSL_STOPPED);
    assert_int_equal(host_fs_exists(w->h, VHDX), 1);
    world_free(w);
}

/* ports ------------------------------------------------------------------*/

static void test_port_bind_collides_with_platform_text(void **state)
{
    world_t *win = world_new(1), *lin = world_new(0);
    uint32_t a = spawn(win, "rdd", 0, 1), b = spawn(win, "k3s", 0, 1);
    int got = -1;
    (void)state;
    assert_int_equal(host_port_bind(win->h, 6443, a, &got), 0);
    assert_int_equal(got, 6443);
    assert_int_equal(host_port_owner(win->h, 6443), a);
    assert_int_equal(host_port_bind(win->h, 6443, b, &got), SIM_EADDRINUSE);
    assert_int_equal(got, 0);
    assert_int_equal(host_port_bind(win->h, 6443, a, NULL), SIM_EADDRINUSE);
    assert_string_equal(host_port_errmsg(win->h),
                        "bind: Only one usage of each socket address "
                        "(protocol/network address/port) is normally "
                        "permitted.");
    assert_string_equal(host_port_errmsg(lin->h),
                        "bind: address already in use");
    assert_true(traced(win, "host.port.bind port=6443 pid=4004 holder=4000 "
                            "err=EADDRINUSE"));
    /* Release by the wrong pid is a no-op; by the owner frees it. */
    host_port_release(win->h, 6443, b);
    assert_int_equal(host_port_owner(win->h, 6443), a);
    host_port_release(win->h, 6443, a);
    host_port_release(win->h, 7000, a);
    assert_int_equal(host_port_owner(win->h, 6443), 0);
    assert_int_equal(host_port_bind(win->h, 6443, b, &got), 0);
    world_free(win);
    world_free(lin);
}

static void test_port_bind_rejects_bad_ports_and_dead_pids(void **state)
{
    world_t *w = world_new(0);
    uint32_t a = spawn(w, "rdd", 0, 1);
    int got = -1;
    (void)state;
    assert_int_equal(host_port_bind(w->h, -1, a, &got), SIM_EINVAL);
    assert_int_equal(host_port_bind(w->h, 65536, a, &got), SIM_EINVAL);
    assert_int_equal(host_port_bind(w->h, 80, 0, &got), SIM_EINVAL);
    assert_int_equal(host_port_bind(w->h, 80, 4444, &got), SIM_ESRCH);
    assert_int_equal(host_port_bind(w->h, 65535, a, &got), 0);
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_int_equal(host_port_bind(w->h, 80, a, &got), SIM_ESRCH);
    assert_int_equal(host_port_owner(w->h, 65535), 0);
    world_free(w);
}

static void test_ephemeral_ports_come_in_order(void **state)
{
    world_t *w = world_new(1);
    uint32_t a = spawn(w, "rdd", 0, 1), b = spawn(w, "x", 0, 1);
    int got = 0;
    (void)state;
    assert_int_equal(host_port_bind(w->h, 49154, b, &got), 0);
    assert_int_equal(host_port_bind(w->h, 0, a, &got), 0);
    assert_int_equal(got, 49152);
    assert_int_equal(host_port_bind(w->h, 0, a, &got), 0);
    assert_int_equal(got, 49153);
    assert_int_equal(host_port_bind(w->h, 0, a, &got), 0);
    assert_int_equal(got, 49155); /* 49154 is taken */
    /* The cursor moves on; a freed port is not handed back at once. */
    host_port_release(w->h, 49152, a);
    assert_int_equal(host_port_bind(w->h, 0, a, &got), 0);
    assert_int_equal(got, 49156);
    assert_int_equal(host_port_owner(w->h, 49156), a);
    world_free(w);
}

static void test_ephemeral_range_wraps_and_runs_out(void **state)
{
    world_t *w = world_new(0);
    uint32_t a = spawn(w, "rdd", 0, 1);
    int got = 0, i, n = 65535 - HOST_PORT_EPHEMERAL + 1;
    (void)state;
    for (i = 0; i < n; i++) {
        assert_int_equal(host_port_bind(w->h, 0, a, &got), 0);
        assert_int_equal(got, HOST_PORT_EPHEMERAL + i);
    }
    assert_int_equal(host_port_bind(w->h, 0, a, &got), SIM_EADDRINUSE);
    host_port_release(w->h, 50000, a);
    host_port_release(w->h, 49160, a);
    assert_int_equal(host_port_bind(w->h, 0, a, &got), 0);
    assert_int_equal(got, 49160); /* wrapped past 65535 */
    assert_int_equal(host_port_bind(w->h, 0, a, &got), 0);
    assert_int_equal(got, 50000);
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_int_equal(host_port_owner(w->h, 60000), 0);
    world_free(w);
}

static void test_port_bind_returns_enomem_cleanly(void **state)
{
    world_t *w = world_new(1);
    uint32_t a = spawn(w, "rdd", 0, 1);
    unsigned long n;
    int rc = SIM_ENOMEM, got = -1;
    (void)state;
    for (n = 1; n < 10; n++) {
        sim_alloc_fail_at(n);
        rc = host_port_bind(w->h, 0, a, &got);
        sim_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
        assert_int_equal(host_port_owner(w->h, HOST_PORT_EPHEMERAL), 0);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(got, HOST_PORT_EPHEMERAL);
    world_free(w);
}

/* vsock ------------------------------------------------------------------*/

static void test_vsock_first_listener_wins(void **state)
{
    world_t *w = world_new(1);
    uint32_t a = spawn(w, "rdd", 0, 1);
    (void)state;
    /* H10: both instances' guests run in the one utility VM. */
    assert_int_equal(host_vsock_listen(w->h, 6656, "rd-a", a), 0);
    assert_int_equal(host_vsock_listen(w->h, 6656, "rd-b", 0), SIM_EADDRINUSE);
    assert_string_equal(host_vsock_owner(w->h, 6656), "rd-a");
    assert_true(traced(w, "host.vsock.listen port=6656 owner=rd-b "
                          "holder=rd-a err=EADDRINUSE"));
    assert_int_equal(host_vsock_listen(w->h, 6660, "guest-b", 0), 0);
    host_vsock_close(w->h, 6656, "rd-b"); /* not its listener */
    assert_string_equal(host_vsock_owner(w->h, 6656), "rd-a");
    host_vsock_close(w->h, 6656, "rd-a");
    host_vsock_close(w->h, 9999, "rd-a");
    assert_null(host_vsock_owner(w->h, 6656));
    assert_int_equal(host_vsock_listen(w->h, 6656, "rd-b", 0), 0);
    /* A guest's listener (pid 0) is not a host process's. */
    assert_int_equal(host_exit(w->h, a, 0), 0);
    assert_string_equal(host_vsock_owner(w->h, 6660), "guest-b");
    world_free(w);
}

static void test_vsock_listen_rejects_bad_args(void **state)
{
    world_t *w = world_new(1);
    uint32_t a = spawn(w, "rdd", 0, 1);
    unsigned long n;
    int rc = SIM_ENOMEM;
    (void)state;
    assert_int_equal(host_vsock_listen(w->h, -1, "x", a), SIM_EINVAL);
    assert_int_equal(host_vsock_listen(w->h, 1, "", a), SIM_EINVAL);
    assert_int_equal(host_vsock_listen(w->h, 1, NULL, a), SIM_EINVAL);
    assert_int_equal(host_vsock_listen(w->h, 1, "x", 4444), SIM_ESRCH);
    for (n = 1; n < 10; n++) {
        sim_alloc_fail_at(n);
        rc = host_vsock_listen(w->h, 6669, "x", a);
        sim_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
        assert_null(host_vsock_owner(w->h, 6669));
    }
    assert_int_equal(rc, 0);
    world_free(w);
}

/* traces -----------------------------------------------------------------*/

static uint64_t run_story(void)
{
    world_t *w = world_new(1);
    uint32_t a, b;
    char msg[128];
    int got;
    uint64_t hash;
    a = spawn(w, "rdd", 0, 1);
    b = spawn(w, "hostagent", a, 1);
    (void)host_wsl_import(w->h, DISTRO, VHDX, "rd");
    (void)host_wsl_start(w->h, DISTRO, "rd", msg, sizeof(msg));
    (void)host_fs_remove_all(w->h, INST, msg, sizeof(msg));
    (void)host_port_bind(w->h, 0, b, &got);
    (void)host_port_bind(w->h, got, a, &got);
    (void)host_vsock_listen(w->h, 6656, "rd", b);
    (void)host_vsock_listen(w->h, 6656, "rd2", a);
    (void)host_interrupt(w->h, a);
    (void)host_kill_tree(w->h, a);
    hash = w->tr.hash;
    world_free(w);
    return hash;
}

static void test_trace_is_the_same_on_every_run(void **state)
{
    uint64_t h1 = run_story(), h2 = run_story();
    (void)state;
    assert_true(h1 != 0);
    assert_true(h1 == h2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_new_reports_its_platform),
        cmocka_unit_test(test_wsl_stop_observers_see_running_distros_stop),
        cmocka_unit_test(test_wsl_observers_are_bounded),
        cmocka_unit_test(test_host_new_returns_enomem_until_memory_suffices),
        cmocka_unit_test(test_spawn_counts_pids_from_4000_by_4_with_groups),
        cmocka_unit_test(test_spawn_skips_live_pids_and_reuses_dead_ones),
        cmocka_unit_test(test_spawn_pid_replaces_a_dead_record),
        cmocka_unit_test(test_exit_records_code_and_is_esrch_once_dead),
        cmocka_unit_test(test_exit_releases_files_ports_and_vsock),
        cmocka_unit_test(test_exit_releases_before_watchers_run),
        cmocka_unit_test(test_watchers_run_in_add_order_then_are_dropped),
        cmocka_unit_test(test_watcher_may_unwatch_another_and_kill),
        cmocka_unit_test(
            test_watcher_added_for_a_reused_pid_waits_for_its_exit),
        cmocka_unit_test(test_kill_codes_and_esrch_text_per_platform),
        cmocka_unit_test(
            test_kill_tree_kills_descendants_in_pid_order_then_root),
        cmocka_unit_test(test_kill_tree_survives_a_ppid_cycle_from_pid_reuse),
        cmocka_unit_test(test_kill_group_kills_members_only),
        cmocka_unit_test(test_interrupt_calls_handler_on_a_later_turn),
        cmocka_unit_test(test_interrupt_without_handler_per_platform),
        cmocka_unit_test(test_queued_interrupt_is_dropped_after_exit_or_reuse),
        cmocka_unit_test(test_host_free_disarms_queued_interrupts),
        cmocka_unit_test(test_procs_visits_live_processes_in_pid_order),
        cmocka_unit_test(test_spawn_and_watch_return_enomem_cleanly),
        cmocka_unit_test(test_path_norm_turns_backslashes_into_slashes),
        cmocka_unit_test(test_write_read_and_implicit_parents),
        cmocka_unit_test(test_fs_error_paths),
        cmocka_unit_test(test_mkdir_and_remove_keep_directories_real),
        cmocka_unit_test(test_list_gives_direct_children_in_byte_order),
        cmocka_unit_test(test_remove_all_on_windows_keeps_held_files),
        cmocka_unit_test(test_remove_all_on_linux_ignores_holds),
        cmocka_unit_test(test_disk_full_leaves_the_file_empty),
        cmocka_unit_test(test_remove_all_edge_cases),
        cmocka_unit_test(test_fs_write_is_all_or_nothing_under_enomem),
        cmocka_unit_test(test_wsl_import_start_terminate_unregister),
        cmocka_unit_test(test_wsl_errors_for_unknown_distros_and_bad_args),
        cmocka_unit_test(test_wsl_running_distro_locks_its_vhdx_on_windows),
        cmocka_unit_test(test_wsl_running_distro_does_not_lock_on_linux),
        cmocka_unit_test(test_wsl_start_fails_when_the_vhdx_is_gone),
        cmocka_unit_test(
            test_wsl_unregister_by_another_instance_deletes_its_disk),
        cmocka_unit_test(test_wsl_every_op_is_logged_failures_too),
        cmocka_unit_test(test_wsl_ops_return_enomem_cleanly),
        cmocka_unit_test(test_port_bind_collides_with_platform_text),
        cmocka_unit_test(test_port_bind_rejects_bad_ports_and_dead_pids),
        cmocka_unit_test(test_ephemeral_ports_come_in_order),
        cmocka_unit_test(test_ephemeral_range_wraps_and_runs_out),
        cmocka_unit_test(test_port_bind_returns_enomem_cleanly),
        cmocka_unit_test(test_vsock_first_listener_wins),
        cmocka_unit_test(test_vsock_listen_rejects_bad_args),
        cmocka_unit_test(test_trace_is_the_same_on_every_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
