// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - the non-allocating logger (see memkind_log.h), shared by
 * libmemkind and libmemtier.  MEMKIND_DEBUG is read once with
 * secure_getenv; a value other than 0/1 draws one warning.
 */
#include "config.h"

#include <memkind/internal/memkind_log.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MK_LOG_LINE 512

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static int log_on;
static int log_bad_value;
static __thread int log_busy; /* dynamic TLS: see src/arena.c */

static void log_read_env(void)
{
    const char *v = secure_getenv("MEMKIND_DEBUG");
    if (!v)
        return;
    if (strcmp(v, "1") == 0)
        log_on = 1;
    else if (strcmp(v, "0") != 0)
        log_bad_value = 1;
}

static void log_write(const char *prefix, int with_errno, int err,
                      const char *fmt, va_list ap)
{
    char buf[MK_LOG_LINE];
    if (log_busy)
        return; /* a message from inside a message: drop it */
    log_busy = 1;
    size_t n = (size_t)snprintf(buf, sizeof(buf), "%s", prefix);
    if (n < sizeof(buf)) {
        int r = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
        n = r < 0 ? n : n + (size_t)r;
    }
    if (with_errno && n < sizeof(buf)) {
        char eb[128];
        const char *es = strerror_r(err, eb, sizeof(eb));
        int r = snprintf(buf + n, sizeof(buf) - n, ": %s", es);
        n = r < 0 ? n : n + (size_t)r;
    }
    if (n >= sizeof(buf) - 1)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w; /* nowhere to report a failed diagnostic */
    log_busy = 0;
}

int mk_log_enabled(void)
{
    (void)pthread_once(&log_once, log_read_env);
    if (log_bad_value) {
        log_bad_value = 0;
        mk_log_warn("MEMKIND_DEBUG should be 0 or 1; ignoring it");
    }
    return log_on;
}

#define MK_LOG_BODY(prefix, with_errno)                                        \
    do {                                                                       \
        int e = errno;                                                         \
        va_list ap;                                                            \
        va_start(ap, fmt);                                                     \
        log_write(prefix, with_errno, e, fmt, ap);                             \
        va_end(ap);                                                            \
        errno = e;                                                             \
    } while (0)

void mk_log_info(const char *fmt, ...)
{
    if (mk_log_enabled())
        MK_LOG_BODY("MEMKIND_INFO: ", 0);
}

void mk_log_warn(const char *fmt, ...)
{
    MK_LOG_BODY("MEMKIND_WARNING: ", 0);
}

void mk_log_err(const char *fmt, ...)
{
    if (mk_log_enabled())
        MK_LOG_BODY("MEMKIND_ERROR: ", 0);
}

void mk_log_perr(const char *fmt, ...)
{
    if (mk_log_enabled())
        MK_LOG_BODY("MEMKIND_ERROR: ", 1);
}

void mk_log_fatal(const char *fmt, ...)
{
    MK_LOG_BODY("MEMKIND_FATAL: ", 0);
}
