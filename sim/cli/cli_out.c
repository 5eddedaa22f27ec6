/*
 * cli_out.c: the files rddsim writes.  Every write is checked: a stream
 * over the file descriptor keeps the errno of the first failed write, so
 * the message names the real reason (`--trace /dev/full: No space left on
 * device`).  A regular file is written as FILE.tmp and renamed when the
 * run is over, so a reader never sees half a trace.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static ssize_t fd_write(void *cookie, const char *buf, size_t len)
{
    cli_file_t *o = cookie;
    size_t done = 0;
    if (o->err) {
        errno = o->err;
        return -1;
    }
    while (done < len) {
        ssize_t n = write(o->fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            o->err = n < 0 ? errno : EIO;
            errno = o->err;
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)len;
}

static int fd_close(void *cookie)
{
    cli_file_t *o = cookie;
    if (close(o->fd) != 0 && !o->err)
        o->err = errno;
    o->fd = -1;
    return o->err ? -1 : 0;
}

int cli_file_open(cli_file_t *o, const char *opt, const char *path)
{
    static const cookie_io_functions_t io = {NULL, fd_write, NULL, fd_close};
    struct stat st;
    const char *target = path;
    memset(o, 0, sizeof(*o));
    o->opt = opt;
    o->fd = -1;
    snprintf(o->path, sizeof(o->path), "%s", path);
    if (!strcmp(path, "-")) {
        o->f = stdout;
        return 0;
    }
    if (strlen(path) + 5 > sizeof(o->path))
        return cli_usage(NULL, "%s %s: name too long", opt, path);
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) {
        snprintf(o->tmp, sizeof(o->tmp), "%s.tmp", path);
        target = o->tmp;
    }
    o->fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        /* a file that cannot be written: exit 3, as a failed write */
        fprintf(stderr, "rddsim: %s %s: %s\n", opt, path, strerror(errno));
        return EXIT_INTERNAL;
    }
    o->f = fopencookie(o, "w", io);
    if (!o->f) {
        fprintf(stderr, "rddsim: %s %s: %s\n", opt, path, strerror(errno));
        close(o->fd);
        if (o->tmp[0])
            unlink(o->tmp);
        return EXIT_INTERNAL;
    }
    return 0;
}

int cli_file_close(cli_file_t *o, int keep)
{
    int failed;
    if (!o->f)
        return 0;
    if (o->f == stdout) {
        o->f = NULL;
        return cli_stdout_check();
    }
    failed = fclose(o->f) != 0 || o->err;
    o->f = NULL;
    if (failed) {
        fprintf(stderr, "rddsim: %s %s: %s\n", o->opt, o->path,
                strerror(o->err ? o->err : EIO));
        if (o->tmp[0])
            unlink(o->tmp);
        return EXIT_INTERNAL;
    }
    if (!o->tmp[0])
        return 0;
    if (!keep) {
        unlink(o->tmp);
        return 0;
    }
    if (rename(o->tmp, o->path) != 0) {
        fprintf(stderr, "rddsim: %s %s: %s\n", o->opt, o->path,
                strerror(errno));
        unlink(o->tmp);
        return EXIT_INTERNAL;
    }
    return 0;
}

void cli_expand(const char *tmpl, const char *variant, uint64_t seed,
                char *out, size_t len)
{
    size_t used = 0;
    const char *p;
    for (p = tmpl; *p && used + 1 < len; p++) {
        int n = 0;
        if (p[0] == '%' && p[1] == 'v') {
            n = snprintf(out + used, len - used, "%s", variant);
            p++;
        } else if (p[0] == '%' && p[1] == 's') {
            n = snprintf(out + used, len - used, "%" PRIu64, seed);
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            out[used] = '%';
            n = 1;
            p++;
        } else {
            out[used] = *p;
            n = 1;
        }
        used += (size_t)n < len - used ? (size_t)n : len - used - 1;
    }
    out[used] = 0;
}

int cli_has_fields(const char *tmpl)
{
    const char *p;
    for (p = tmpl; *p; p++)
        if (p[0] == '%' && (p[1] == 'v' || p[1] == 's'))
            return 1;
    return 0;
}

int cli_stdout_check(void)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    fprintf(stderr, "rddsim: stdout: %s\n",
            errno ? strerror(errno) : "write error");
    clearerr(stdout);
    return EXIT_INTERNAL;
}
