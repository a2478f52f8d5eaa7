// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_jemk.h - the one place that includes the private jemalloc header.
 *
 * Our jemalloc is built with the jemk_ prefix (jemalloc/README), so its
 * functions are jemk_mallocx, jemk_mallctl, ...  JEMALLOC_NO_DEMANGLE keeps
 * jemalloc.h from defining the plain names (malloc, free) as macros.
 */
#pragma once

#define JEMALLOC_NO_DEMANGLE
#include <jemalloc/jemalloc.h>

#include <stdbool.h>

/*
 * Mirror of jemalloc 5.3's arena_config_t, the argument of
 * experimental.arenas_create_ext (not in the public header).  Checked by
 * size in jemalloc's mallctl handler.
 */
struct mk_jemk_arena_config {
    extent_hooks_t *extent_hooks; ///< hooks of the new arena
    bool metadata_use_hooks;      ///< false: jemalloc metadata in DRAM
};

#include "memkind_fault.h"

#include <errno.h>
#include <stddef.h>

/*
 * Internal metadata allocation: the private jemalloc's DEFAULT arenas,
 * never the application's malloc.  Each call site is a failure point for
 * fault injection (macros, so that every site is counted on its own).
 * Return NULL with errno ENOMEM on failure.
 */
#define mk_meta_malloc(size)                                                   \
    (mk_fault_hit() ? (errno = ENOMEM, (void *)NULL) : jemk_malloc(size))
#define mk_meta_calloc(num, size)                                              \
    (mk_fault_hit() ? (errno = ENOMEM, (void *)NULL) : jemk_calloc(num, size))
#define mk_meta_realloc(ptr, size)                                             \
    (mk_fault_hit() ? (errno = ENOMEM, (void *)NULL) : jemk_realloc(ptr, size))

static inline void mk_meta_free(void *p)
{
    jemk_free(p);
}
