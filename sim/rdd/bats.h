/*
 * bats.h: RDD's BATS harness as far as engine-docker.bats needs it
 * (docs/rdd/bats.md): rdd/bats/helpers/os.bash's OS detection, the
 * `local_setup_file` of rdd/bats/tests/32-app-controllers/engine-docker.bats
 * (:14-50) step by step, and test 37's meta.json assertion (:801-827).
 *
 * Host flavours (where the BATS shell runs):
 *   windows  MSYS2/Git Bash on Windows: uname "MINGW64_NT-10.0-19045"
 *   msys     MSYS2's msys shell: uname "MSYS_NT-10.0-19045" (same OS)
 *   wsl2     a WSL2 distro: uname "Linux", osrelease contains "WSL2"; rdd is
 *            rdd.exe on the Windows side (defaults.bash:10-18)
 *   linux, darwin.
 * Tools: cygpath exists only under MSYS2, wslpath only under WSL2.  Under
 * WSL2 a Windows process sees only the variables named in WSLENV; the
 * suite's rdd() wrapper adds RDD_* only (commands.bash:71-82), so
 * DOCKER_CONFIG never reaches rdd.exe or the service it starts.
 *
 * Flags: is_msys gates cygpath on is_msys and decides WSL2 explicitly:
 * the shell keeps its Linux DOCKER_CONFIG and exports it to rdd.exe as
 * WSLENV=DOCKER_CONFIG/p (the distro's UNC path), and docker.exe dials the
 * npipe DOCKER_HOST; bats_endpoint_from_paths makes test 37 expect the
 * endpoint derived from `rdd svc paths docker_socket` on every OS.
 *
 * Output: the lines bats would print (TAP, with `# ` diagnostics), NUL-
 * terminated in out.  Pure functions: no loop, no trace.
 */
#ifndef RDD_BATS_H
#define RDD_BATS_H

#include <stddef.h>

#include "flags.h"
#include "host/host.h"

typedef enum {
    RDD_BATS_WINDOWS,
    RDD_BATS_MSYS,
    RDD_BATS_WSL2,
    RDD_BATS_LINUX,
    RDD_BATS_DARWIN,
    RDD_BATS__COUNT
} rdd_bats_flavour_t;

typedef struct {
    rdd_bats_flavour_t flavour;
    const char *rdd_instance;  /* RDD_INSTANCE; NULL: "bats" (defaults.bash) */
    const char *file_tmpdir;   /* BATS_FILE_TMPDIR as the shell sees it;
                                  NULL: "/tmp/bats-run-1/suite/file" */
    const char *docker_socket; /* what `rdd svc paths docker_socket` prints:
                                  the daemon's inst->id.docker_socket */
    const char *wsl_distro;    /* wsl2: the shell's distro; NULL "Ubuntu" */
    int wsl_root;              /* wsl2: the shell runs as root */
} rdd_bats_env_t;

/* os.bash:3-61. */
typedef struct {
    char uname[48];            /* `uname` */
    char osrelease[96];        /* /proc/sys/kernel/osrelease ("" none) */
    char os[16];               /* OS: windows | linux | darwin */
    int is_windows;            /* OS = windows (MSYS2 and WSL2) */
    int is_msys;               /* UNAME MSYS* / MINGW* */
    int is_unix;               /* ! is_windows */
    int has_cygpath;           /* MSYS2 only */
    int has_wslpath;           /* WSL2 only */
    char exe[8];               /* EXE: ".exe" when rdd is rdd.exe */
} rdd_bats_os_t;

/* What local_setup_file left behind. */
typedef struct {
    int rc;                    /* 0 pass, 1 fail */
    int status;                /* the failing command's exit status */
    char docker_config[HOST_PATH_MAX]; /* DOCKER_CONFIG (the shell's) */
    char daemon_docker_config[HOST_PATH_MAX]; /* DOCKER_CONFIG the service
                                  inherits ("": unset; it then uses
                                  <home>/.docker) */
    char shell_dir_on_host[HOST_PATH_MAX]; /* where the shell's
                                  $DOCKER_CONFIG lands on the machine's
                                  filesystem as the daemon names it ("":
                                  nowhere the daemon can see) */
    char docker_host[300];     /* DOCKER_HOST exported after the start */
    int docker_host_usable;    /* the shell's docker client can dial it */
    char context_name[96];     /* CONTEXT_NAME */
} rdd_bats_setup_t;

const char *rdd_bats_flavour_name(rdd_bats_flavour_t f);
int rdd_bats_flavour_by_name(const char *name); /* -1 if unknown */

/* os.bash detection for env->flavour. */
void rdd_bats_os(const rdd_bats_env_t *env, rdd_bats_os_t *out);

/* local_setup_file (engine-docker.bats:14-50) up to the service start and
 * the DOCKER_HOST export.  Returns res->rc (0 pass, 1 fail); out gets the
 * bats lines (the failure block, or `# ` notes of what was exported). */
int rdd_bats_setup(const rdd_bats_env_t *env, rdd_flags_t flags,
                   rdd_bats_setup_t *res, char *out, size_t len);

/* Test 37 "moby engine creates Docker context for the instance": reads
 * meta.json where the shell finds it (setup->shell_dir_on_host on h) and
 * checks .Name and .Endpoints.docker.Host.  Returns 0 pass, 1 fail, with
 * "ok 37 ..." or "not ok 37 ..." and bats-assert's block in out. */
int rdd_bats_test37(const rdd_bats_env_t *env, rdd_flags_t flags,
                    const rdd_bats_setup_t *setup, const host_t *h, char *out,
                    size_t len);

#endif
