// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_log.h - the library's logger, shared with libmemtier.
 *
 * Lines are formatted into a stack buffer and written with one write(2) to
 * fd 2: no stdio, no heap, no lock, safe inside an LD_PRELOAD malloc.
 * mk_log_info/err print only when MEMKIND_DEBUG=1; fatal always prints.
 */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#define MK_PRINTF(f, a) __attribute__((format(printf, f, a)))

void mk_log_info(const char *fmt, ...) MK_PRINTF(1, 2);
void mk_log_warn(const char *fmt, ...) MK_PRINTF(1, 2);
void mk_log_err(const char *fmt, ...) MK_PRINTF(1, 2);
/// As mk_log_err, adding ": " and strerror(errno); errno is preserved.
void mk_log_perr(const char *fmt, ...) MK_PRINTF(1, 2);
/// Always printed, whatever MEMKIND_DEBUG says.
void mk_log_fatal(const char *fmt, ...) MK_PRINTF(1, 2);
/// True when MEMKIND_DEBUG enables info/error messages.
int mk_log_enabled(void);

#ifdef __cplusplus
}
#endif
