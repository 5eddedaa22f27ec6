/*
 * bats.c: os.bash detection, engine-docker.bats's local_setup_file and
 * test 37 (see bats.h), after rdd/bats at 00f5645.  Models the shell's
 * view of paths (MSYS2 mounts, WSL2's wslpath, WSLENV) only as far as
 * these steps need it; the service start itself (`rdd svc delete`, `rdd
 * set running=true`) is the world's: this file says what environment the
 * service inherits.
 */
#include "bats.h"

#include <stdio.h>
#include <string.h>

#include "dockerctx.h"

static const char *const flavour_names[] = {"windows", "msys", "wsl2",
                                            "linux", "darwin"};

const char *rdd_bats_flavour_name(rdd_bats_flavour_t f)
{
    return f < RDD_BATS__COUNT ? flavour_names[f] : "?";
}

int rdd_bats_flavour_by_name(const char *name)
{
    int i;
    for (i = 0; i < RDD_BATS__COUNT; i++)
        if (!strcmp(name, flavour_names[i]))
            return i;
    return -1;
}

/* os.bash:3-27 (OS), :45-61 (is_windows, is_msys, is_unix);
 * commands.bash:1-11 and defaults.bash:10-18 (EXE). */
void rdd_bats_os(const rdd_bats_env_t *env, rdd_bats_os_t *o)
{
    memset(o, 0, sizeof(*o));
    switch (env->flavour) {
    case RDD_BATS_WINDOWS:
        snprintf(o->uname, sizeof(o->uname), "MINGW64_NT-10.0-19045");
        break;
    case RDD_BATS_MSYS:
        snprintf(o->uname, sizeof(o->uname), "MSYS_NT-10.0-19045");
        break;
    case RDD_BATS_WSL2:
        snprintf(o->uname, sizeof(o->uname), "Linux");
        snprintf(o->osrelease, sizeof(o->osrelease),
                 "5.15.167.4-microsoft-standard-WSL2");
        break;
    case RDD_BATS_LINUX:
        snprintf(o->uname, sizeof(o->uname), "Linux");
        snprintf(o->osrelease, sizeof(o->osrelease), "6.1.0-18-amd64");
        break;
    default:
        snprintf(o->uname, sizeof(o->uname), "Darwin");
        break;
    }
    if (!strcmp(o->uname, "Darwin"))
        snprintf(o->os, sizeof(o->os), "darwin");
    else if (!strcmp(o->uname, "Linux"))
        snprintf(o->os, sizeof(o->os), "%s",
                 strstr(o->osrelease, "WSL2") ? "windows" : "linux");
    else /* MSYS* | MINGW* */
        snprintf(o->os, sizeof(o->os), "windows");
    o->is_windows = !strcmp(o->os, "windows");
    o->is_msys = !strncmp(o->uname, "MSYS", 4) || !strncmp(o->uname, "MINGW", 5);
    o->is_unix = !o->is_windows;
    o->has_cygpath = o->is_msys;
    o->has_wslpath = env->flavour == RDD_BATS_WSL2;
    snprintf(o->exe, sizeof(o->exe), "%s", o->is_windows ? ".exe" : "");
}

static void add(char *out, size_t len, const char *fmt, const char *a,
                const char *b)
{
    size_t n = strlen(out);
    if (n < len)
        snprintf(out + n, len - n, fmt, a, b);
}

/* cygpath -m: /c/x -> C:/x; other absolute paths live under the MSYS2
 * root C:/msys64. */
static void cygpath_m(const char *in, char out[HOST_PATH_MAX])
{
    if (in[0] == '/' && in[1] && (in[2] == '/' || !in[2]))
        snprintf(out, HOST_PATH_MAX, "%c:%s", in[1] & ~0x20, in + 2);
    else
        snprintf(out, HOST_PATH_MAX, "C:/msys64%s", in);
}

/* wslpath -m: /mnt/c/x -> C:/x; the distro's own files are
 * //wsl.localhost/<distro>/... */
static void wslpath_m(const char *in, const char *distro,
                      char out[HOST_PATH_MAX])
{
    if (!strncmp(in, "/mnt/", 5) && in[5] && (in[6] == '/' || !in[6]))
        snprintf(out, HOST_PATH_MAX, "%c:%s", in[5] & ~0x20, in + 6);
    else
        snprintf(out, HOST_PATH_MAX, "//wsl.localhost/%s%s", distro, in);
}

static int fail_setup(rdd_bats_setup_t *res, int status, const char *line,
                      const char *cmd, const char *suffix, const char *err,
                      char *out, size_t len)
{
    res->rc = 1;
    res->status = status;
    add(out, len, "not ok 1 setup_file failed\n", "", "");
    add(out, len, "# (from function `local_setup_file' in file "
                  "tests/32-app-controllers/engine-docker.bats, line %s,\n",
        line, "");
    add(out, len, "#  from function `call_local_function' in file "
                  "tests/32-app-controllers/../../helpers/load.bash, "
                  "line 72,\n", "", "");
    add(out, len, "#  from function `setup_file' in file "
                  "tests/32-app-controllers/../../helpers/load.bash, "
                  "line 85)\n", "", "");
    add(out, len, "#   `%s' failed%s\n", cmd, suffix);
    add(out, len, "# %s\n", err, "");
    return 1;
}

/* engine-docker.bats:14-50 local_setup_file. */
int rdd_bats_setup(const rdd_bats_env_t *env, rdd_flags_t flags,
                   rdd_bats_setup_t *res, char *out, size_t len)
{
    rdd_bats_os_t o;
    const char *tmp = env->file_tmpdir ? env->file_tmpdir
                                       : "/tmp/bats-run-1/suite/file";
    const char *distro = env->wsl_distro ? env->wsl_distro : "Ubuntu";
    const char *sock = env->docker_socket ? env->docker_socket : "";
    char raw[HOST_PATH_MAX];
    int gate_msys = RDD_HAS(flags, IS_MSYS);
    memset(res, 0, sizeof(*res));
    if (len)
        out[0] = 0;
    rdd_bats_os(env, &o);
    snprintf(res->context_name, sizeof(res->context_name),
             "rancher-desktop-%s", env->rdd_instance ? env->rdd_instance
                                                     : "bats");
    snprintf(raw, sizeof(raw), "%s/docker-config", tmp);
    /* Step 1 (:24-31): DOCKER_CONFIG, export, mkdir -p. */
    if (gate_msys ? o.is_msys : o.is_windows) {
        if (!o.has_cygpath)
            return fail_setup(res, 127, "25",
                              "run -0 cygpath -m \"${BATS_FILE_TMPDIR}/"
                              "docker-config\"",
                              ", expected exit code 0, got 127",
                              "tests/32-app-controllers/engine-docker.bats: "
                              "line 25: cygpath: command not found",
                              out, len);
        cygpath_m(raw, res->docker_config);
        snprintf(res->daemon_docker_config, HOST_PATH_MAX, "%s",
                 res->docker_config);
        snprintf(res->shell_dir_on_host, HOST_PATH_MAX, "%s",
                 res->docker_config);
    } else if (gate_msys && o.is_windows) {
        /* The is_msys fix, deciding WSL2 explicitly (review I2): the shell
         * keeps its Linux path (mkdir works) and exports it to rdd.exe as
         * WSLENV=DOCKER_CONFIG/p, which WSL translates to the distro's
         * UNC path; that is where the service's contexts land, and the
         * same files the shell reads. */
        snprintf(res->docker_config, HOST_PATH_MAX, "%s", raw);
        wslpath_m(raw, distro, res->daemon_docker_config);
        snprintf(res->shell_dir_on_host, HOST_PATH_MAX, "%s",
                 res->daemon_docker_config);
        add(out, len, "# WSLENV=DOCKER_CONFIG/p (rdd.exe sees %s)\n",
            res->daemon_docker_config, "");
    } else {
        snprintf(res->docker_config, HOST_PATH_MAX, "%s", raw);
        /* Linux/macOS; or WSL2 at head with is_windows false (never). */
        snprintf(res->daemon_docker_config, HOST_PATH_MAX, "%s", raw);
        snprintf(res->shell_dir_on_host, HOST_PATH_MAX, "%s", raw);
    }
    /* Step 2 (:37-38): rdd svc delete; rdd set running=true (the world's).
     * Step 3 (:39-44): DOCKER_HOST, exported after the start. */
    if (o.is_windows) {
        /* At head both Windows shells export the npipe literal; a Linux
         * docker client under WSL2 cannot dial it.  The fix drives
         * docker.exe through WSL interop, which can. */
        snprintf(res->docker_host, sizeof(res->docker_host),
                 "npipe:////./pipe/docker_engine");
        res->docker_host_usable = o.is_msys || gate_msys;
    } else {
        snprintf(res->docker_host, sizeof(res->docker_host), "unix://%s",
                 sock);
        /* Under WSL2 `rdd svc paths` is rdd.exe's: a pipe path that a
         * Linux docker client cannot dial as a unix socket. */
        res->docker_host_usable = !o.is_windows;
    }
    add(out, len, "# setup_file: OS=%s UNAME=%s\n", o.os, o.uname);
    add(out, len, "# DOCKER_CONFIG=%s (service: %s)\n", res->docker_config,
        res->daemon_docker_config[0] ? res->daemon_docker_config
                                     : "unset, uses <home>/.docker");
    add(out, len, "# DOCKER_HOST=%s%s\n", res->docker_host,
        res->docker_host_usable ? "" : " (not dialable by this shell's docker)");
    return 0;
}

/* bats-assert's assert_output failure block. */
static int fail37(const char *line, const char *cmd, const char *what,
                  const char *a, const char *b, char *out, size_t len)
{
    add(out, len, "not ok 37 moby engine creates Docker context for the "
                  "instance\n", "", "");
    add(out, len, "# (in test file tests/32-app-controllers/"
                  "engine-docker.bats, line %s)\n", line, "");
    add(out, len, "#   `%s' failed\n#\n", cmd, "");
    add(out, len, "# -- %s --\n", what, "");
    if (b) {
        add(out, len, "# expected : %s\n# actual   : %s\n", a, b);
    } else {
        add(out, len, "# path : %s\n", a, "");
    }
    add(out, len, "# --\n#\n", "", "");
    return 1;
}

/* The URL `rdd svc paths docker_socket` stands for: a pipe path becomes
 * npipe:////./pipe/<x>, anything else unix://<path>. */
static void endpoint_of(const char *sock, char out[RDD_DCTX_HOST_MAX])
{
    if (!strncmp(sock, "\\\\.\\pipe\\", 9))
        snprintf(out, RDD_DCTX_HOST_MAX, "npipe:////./pipe/%s", sock + 9);
    else
        snprintf(out, RDD_DCTX_HOST_MAX, "unix://%s", sock);
}

/* engine-docker.bats:801-827 (the rdd set / wait are the world's). */
int rdd_bats_test37(const rdd_bats_env_t *env, rdd_flags_t flags,
                    const rdd_bats_setup_t *setup, const host_t *h, char *out,
                    size_t len)
{
    rdd_bats_os_t o;
    char shown[HOST_PATH_MAX + 16], dir[HOST_PATH_MAX], path[HOST_PATH_MAX + 16];
    char text[HOST_DATA_MAX], name[RDD_DCTX_NAME_MAX] = "";
    char want[RDD_DCTX_HOST_MAX], got[RDD_DCTX_HOST_MAX];
    const char *p;
    int from_paths = RDD_HAS(flags, BATS_ENDPOINT_FROM_PATHS);
    if (len)
        out[0] = 0;
    rdd_bats_os(env, &o);
    rdd_dctx_meta_dir(setup->docker_config, setup->context_name, shown);
    strcat(shown, "/meta.json");
    text[0] = 0;
    if (setup->shell_dir_on_host[0]) {
        rdd_dctx_meta_dir(setup->shell_dir_on_host, setup->context_name, dir);
        snprintf(path, sizeof(path), "%s/meta.json", dir);
        if (host_fs_read(h, path, text, sizeof(text)))
            text[0] = 0;
    }
    if (!text[0])
        return fail37("810", "assert_file_exists \"${meta_file}\"",
                      "file does not exist", shown, NULL, out, len);
    /* jq_raw '.Name' (the file is compact JSON written by the store). */
    if ((p = strstr(text, "\"Name\":\"")) != NULL)
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(p + 8, "\""),
                 p + 8);
    if (strcmp(name, setup->context_name))
        return fail37("816", "assert_output \"${CONTEXT_NAME}\"",
                      "output differs", setup->context_name, name, out, len);
    if (rdd_dctx_context_host(h, setup->shell_dir_on_host,
                              setup->context_name, got))
        got[0] = 0;
    if (o.is_windows && !from_paths) {
        snprintf(want, sizeof(want), "npipe:////./pipe/docker_engine");
        if (strcmp(got, want))
            return fail37("820",
                          "assert_output \"npipe:////./pipe/docker_engine\"",
                          "output differs", want, got, out, len);
    } else {
        endpoint_of(env->docker_socket ? env->docker_socket : "", want);
        if (strcmp(got, want))
            return fail37("825", "assert_output \"unix://${socket_path}\"",
                          "output differs", want, got, out, len);
    }
    add(out, len, "ok 37 moby engine creates Docker context for the "
                  "instance\n", "", "");
    return 0;
}
