// SPDX-License-Identifier: BSD-2-Clause
/* jemk_conf.h: forced jemalloc options and the environment (jemk_conf.c). */
#ifndef MK_JEMK_CONF_H
#define MK_JEMK_CONF_H

#include <memkind/internal/memkind_env.h>

#include <stddef.h>

/* Warns once per forced option that JEMK_MALLOC_CONF or /etc/jemk_malloc.conf
 * set otherwise.  Any time after jemalloc's first use; no locks. */
void mk_jemk_conf_warn_user(void);

/* Applies the core environment variables (decay, background threads) to
 * jemalloc; a bad MEMKIND_BACKGROUND_THREAD_LIMIT aborts, as in 1.14.
 * Once, during library initialisation. */
void mk_jemk_conf_apply_env(const struct mk_env *env);

/// The configured oversize threshold (opt.oversize_threshold), as a value
/// for arena.<i>.oversize_threshold: 0, "no oversize arena", becomes
/// SIZE_MAX, "never purge eagerly".  Read with jemalloc initialised.
size_t mk_jemk_configured_oversize(void);

#endif
