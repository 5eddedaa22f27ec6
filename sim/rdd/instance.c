/*
 * instance.c: identity derivation, rdd/pkg/instance/instance.go at 00f5645.
 * Models Suffix, Index, Name, Dir, ShortDir, DockerSocket, DockerEndpoint,
 * LogDir, Config, TLSDir and the bridge's pipe constant
 * (rdd/pkg/socketbridge/host_windows.go:21-23).
 * Leaves out ArgsFile, K3sConfig and PIDFile (service.c writes rdd.pid).
 */
#include "instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const os_names[] = {"windows", "linux", "darwin"};

const char *rdd_os_name(rdd_os_t os)
{
    return os_names[os];
}

int rdd_os_by_name(const char *name)
{
    int i;
    for (i = 0; i < 3; i++)
        if (!strcmp(os_names[i], name))
            return i;
    return -1;
}

/* instance.go:30-39: a decimal integer 0 < i < 100 is the index; anything
 * else is 100 + (sum of code points mod 100).  Go's strconv.Atoi accepts a
 * leading sign, so "+2" is 2. */
int rdd_index(const char *suffix)
{
    const unsigned char *p = (const unsigned char *)suffix;
    const char *q = suffix;
    long v = 0;
    int digits = 0, neg = 0, sum = 0;
    if (*q == '+' || *q == '-') {
        neg = *q == '-';
        q++;
    }
    for (; *q >= '0' && *q <= '9' && digits < 18; q++, digits++)
        v = v * 10 + (*q - '0');
    if (digits > 0 && *q == 0) {
        if (neg)
            v = -v;
        if (v > 0 && v < 100)
            return (int)v;
    }
    /* Code points: decode UTF-8 so a rune counts once, as Go's range does. */
    while (*p) {
        unsigned cp = *p;
        int extra = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
        if (extra) {
            cp &= 0x3fu >> extra;
            while (extra-- && p[1]) {
                p++;
                cp = (cp << 6) | (*p & 0x3fu);
            }
        }
        sum = (int)((sum + cp) % 100);
        p++;
    }
    return 100 + sum;
}

/* instance.go:17-23 Suffix, :42-44 Name, :47-62 Dir, :119-125 ShortDir,
 * :142-151 DockerSocket, :153-161 DockerEndpoint; host_windows.go:21-23
 * DockerPipeName, :41-48 NewDockerHostBridge. */
void rdd_identity(rdd_identity_t *id, rdd_os_t os, int env_set,
                  const char *rdd_instance, const char *home,
                  rdd_flags_t flags)
{
    memset(id, 0, sizeof(*id));
    id->os = os;
    snprintf(id->suffix, sizeof(id->suffix), "%s",
             env_set && rdd_instance[0] ? rdd_instance : "2");
    id->index = rdd_index(id->suffix);
    snprintf(id->name, sizeof(id->name), "rancher-desktop-%s", id->suffix);
    switch (os) {
    case RDD_OS_WINDOWS:
        snprintf(id->dir, sizeof(id->dir), "%s\\AppData\\Local\\%s", home,
                 id->name);
        snprintf(id->short_dir, sizeof(id->short_dir), "%s\\.rd%s", home,
                 id->suffix);
        if (RDD_HAS(flags, PIPE_PER_INSTANCE)) {
            snprintf(id->docker_socket, sizeof(id->docker_socket),
                     "\\\\.\\pipe\\%s-docker_engine", id->name);
            snprintf(id->docker_endpoint, sizeof(id->docker_endpoint),
                     "npipe:////./pipe/%s-docker_engine", id->name);
        } else {
            snprintf(id->docker_socket, sizeof(id->docker_socket),
                     "\\\\.\\pipe\\docker_engine");
            snprintf(id->docker_endpoint, sizeof(id->docker_endpoint),
                     "npipe:////./pipe/docker_engine");
        }
        if (RDD_HAS(flags, BRIDGE_PIPE_FROM_INSTANCE))
            snprintf(id->bridge_pipe, sizeof(id->bridge_pipe), "%s",
                     id->docker_socket);
        else
            snprintf(id->bridge_pipe, sizeof(id->bridge_pipe),
                     "\\\\.\\pipe\\docker_engine");
        break;
    case RDD_OS_LINUX:
    case RDD_OS_DARWIN:
        if (os == RDD_OS_LINUX)
            snprintf(id->dir, sizeof(id->dir), "%s/.local/share/%s", home,
                     id->name);
        else
            snprintf(id->dir, sizeof(id->dir),
                     "%s/Library/Application Support/%s", home, id->name);
        snprintf(id->short_dir, sizeof(id->short_dir), "%s/.rd%s", home,
                 id->suffix);
        snprintf(id->docker_socket, sizeof(id->docker_socket),
                 "%s/docker.sock", id->short_dir);
        snprintf(id->docker_endpoint, sizeof(id->docker_endpoint),
                 "unix://%s", id->docker_socket);
        break;
    }
    snprintf(id->lima_home, sizeof(id->lima_home),
             os == RDD_OS_WINDOWS ? "%s\\lima" : "%s/lima", id->short_dir);
    /* instance.go:88-113: Config() and TLSDir() are children of Dir(). */
    snprintf(id->config, sizeof(id->config),
             os == RDD_OS_WINDOWS ? "%s\\config.yaml" : "%s/config.yaml",
             id->dir);
    snprintf(id->tls_dir, sizeof(id->tls_dir),
             os == RDD_OS_WINDOWS ? "%s\\tls" : "%s/tls", id->dir);
    /* Lima's wsl2 driver names the distro "lima-" + the instance name, and
     * the LimaVM is always "rd" (limavm_controller.go). */
    if (RDD_HAS(flags, DISTRO_PER_INSTANCE))
        snprintf(id->distro, sizeof(id->distro), "lima-rd-%s", id->suffix);
    else
        snprintf(id->distro, sizeof(id->distro), "lima-rd");
    rdd_identity_log_dir(id, NULL, flags);
}

/* instance.go:67-85 LogDir. */
void rdd_identity_log_dir(rdd_identity_t *id, const char *rdd_log_dir,
                          rdd_flags_t flags)
{
    if (rdd_log_dir && rdd_log_dir[0]) {
        if (RDD_HAS(flags, LOG_DIR_PER_INSTANCE))
            snprintf(id->log_dir, sizeof(id->log_dir),
                     id->os == RDD_OS_WINDOWS ? "%s\\%s" : "%s/%s",
                     rdd_log_dir, id->name);
        else
            snprintf(id->log_dir, sizeof(id->log_dir), "%s", rdd_log_dir);
        return;
    }
    switch (id->os) {
    case RDD_OS_WINDOWS: {
        /* Dir() is <home>\AppData\Local\<Name>: its sibling <Name>-logs. */
        snprintf(id->log_dir, sizeof(id->log_dir), "%s-logs", id->dir);
        break;
    }
    case RDD_OS_LINUX: {
        const char *e = strstr(id->dir, "/.local/share/");
        int home = e ? (int)(e - id->dir) : 0;
        snprintf(id->log_dir, sizeof(id->log_dir), "%.*s/.local/state/%s",
                 home, id->dir, id->name);
        break;
    }
    case RDD_OS_DARWIN: {
        const char *e = strstr(id->dir, "/Library/");
        int home = e ? (int)(e - id->dir) : 0;
        snprintf(id->log_dir, sizeof(id->log_dir), "%.*s/Library/Logs/%s",
                 home, id->dir, id->name);
        break;
    }
    }
}

const char *rdd_os_home(rdd_os_t os)
{
    return os == RDD_OS_WINDOWS ? "C:\\Users\\u"
           : os == RDD_OS_DARWIN ? "/Users/u"
                                 : "/home/u";
}
