/*
 * errno.h: the one error table of rddsim.
 *
 * Every fallible call in sim/, fakes/ and the RDD models returns 0 or a
 * negative SIM_E* code from this X-macro list.  The same list produces
 * sim_err_name() ("EACCES") and sim_strerror() (a sentence).  Codes that
 * stand for a real component's failure name that failure in their comment;
 * the component-specific text (Win32 message, HTTP body) is built by the
 * fake that returns the code, so an injected fault and a real one print
 * the same bytes.
 */
#ifndef SIM_ERRNO_H
#define SIM_ERRNO_H

#define SIM_ERRNO_MAP(XX)                                                      \
    XX(ENOMEM, "out of memory")                                                \
    XX(EINVAL, "invalid argument")                                             \
    XX(EACCES, "access denied (Win32 ERROR_ACCESS_DENIED / EACCES)")           \
    XX(EBUSY, "all pipe instances are busy (Win32 ERROR_PIPE_BUSY)")           \
    XX(ENOENT, "no such file (Win32 ERROR_FILE_NOT_FOUND / ENOENT)")           \
    XX(EADDRINUSE, "address already in use")                                   \
    XX(ECONNREFUSED, "connection refused")                                     \
    XX(ETIMEDOUT, "i/o timeout")                                               \
    XX(EDEADLINE, "context deadline exceeded")                                 \
    XX(ECANCELED, "context canceled")                                          \
    XX(EPIPE, "broken pipe (Win32 ERROR_BROKEN_PIPE / ERROR_NO_DATA)")         \
    XX(ECLOSED, "use of closed network connection")                            \
    XX(ENOTFOUND, "not found (HTTP 404)")                                      \
    XX(ECONFLICT, "conflict (HTTP 409)")                                       \
    XX(EGONE, "gone (HTTP 410)")                                               \
    XX(EINVALID, "unprocessable (HTTP 422)")                                   \
    XX(ETOOMANY, "too many requests (HTTP 429)")                               \
    XX(ESERVER, "internal server error (HTTP 500)")                            \
    XX(ETIMEOUT504, "gateway timeout (HTTP 504)")                              \
    XX(EEXIST, "already exists")                                               \
    XX(ERANGE, "value out of range")                                           \
    XX(ESYNTAX, "syntax error")                                                \
    XX(ESTATE, "operation not allowed in this state")                          \
    XX(ESHARING, "the file is in use by another process (Win32 "              \
                 "ERROR_SHARING_VIOLATION)")                                   \
    XX(ESRCH, "no such process")                                              \
    XX(EX509, "tls: failed to verify certificate: x509: certificate signed "  \
              "by unknown authority")                                          \
    XX(EUNAUTHORIZED, "Unauthorized (HTTP 401)")                               \
    XX(ENOSPC, "no space left on device (Win32 ERROR_DISK_FULL: There is "    \
               "not enough space on the disk.)")

typedef enum {
    SIM_OK = 0,
#define SIM__ERR_ENUM(name, msg) SIM__##name,
    SIM__ERRNO_FIRST = 999,
    SIM_ERRNO_MAP(SIM__ERR_ENUM)
#undef SIM__ERR_ENUM
    SIM__ERRNO_END
} sim__errno_index_t;

/* Public codes are negative: SIM_EACCES == -SIM__EACCES. */
#define SIM__ERR_NEG(name, msg) enum { SIM_##name = -SIM__##name };
SIM_ERRNO_MAP(SIM__ERR_NEG)
#undef SIM__ERR_NEG

/* "EACCES" for SIM_EACCES, "OK" for 0, "EUNKNOWN" otherwise. */
const char *sim_err_name(int err);

/* A sentence for the code; never NULL. */
const char *sim_strerror(int err);

#endif
