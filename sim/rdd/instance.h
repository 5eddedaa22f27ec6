/*
 * instance.h: RDD's instance identity (rdd/pkg/instance/instance.go),
 * computed once from RDD_INSTANCE and the host OS, as RDD freezes it at
 * first use (sync.OnceValue).  See docs/rdd/identity.md.
 */
#ifndef RDD_INSTANCE_H
#define RDD_INSTANCE_H

#include "flags.h"

typedef enum {
    RDD_OS_WINDOWS,
    RDD_OS_LINUX,
    RDD_OS_DARWIN,
} rdd_os_t;

typedef struct {
    rdd_os_t os;
    char suffix[64];          /* Suffix() */
    int index;                /* Index() */
    char name[96];            /* Name() */
    char dir[256];            /* Dir() */
    char short_dir[128];      /* ShortDir() */
    char docker_socket[256];  /* DockerSocket() */
    char docker_endpoint[300]; /* DockerEndpoint() */
    char bridge_pipe[256];    /* the pipe NewDockerHostBridge listens on */
    char log_dir[256];        /* LogDir() (RDD_LOG_DIR: rdd_identity_log_dir) */
    char lima_home[256];      /* LimaHome() = ShortDir()/lima */
    char distro[96];          /* the WSL distro of LimaVM rd: lima-rd (H9) */
    char config[300];         /* Config() = Dir()/config.yaml: the
                                 kubeconfig `rdd ctl` reads */
    char tls_dir[300];        /* TLSDir() = Dir()/tls: the apiserver's
                                 self-signed serving cert */
} rdd_identity_t;

/* env_set = 0 means RDD_INSTANCE is unset.  home is the user's home
 * ("C:\Users\u" or "/home/u").  flags selects the I1 fix. */
void rdd_identity(rdd_identity_t *id, rdd_os_t os, int env_set,
                  const char *rdd_instance, const char *home,
                  rdd_flags_t flags);

/* LogDir() when the service's environment has RDD_LOG_DIR (NULL or ""
 * when it has not): instance.go:67-85.  Shared by every instance that sees
 * it (H12) unless flag LOG_DIR_PER_INSTANCE. */
void rdd_identity_log_dir(rdd_identity_t *id, const char *rdd_log_dir,
                          rdd_flags_t flags);

/* Index() alone (instance.go:30-39). */
int rdd_index(const char *suffix);

const char *rdd_os_name(rdd_os_t os);
/* The user's home on each OS, in its native form: C:\Users\u, /home/u,
 * /Users/u. */
const char *rdd_os_home(rdd_os_t os);
int rdd_os_by_name(const char *name); /* -1 if unknown */

#endif
