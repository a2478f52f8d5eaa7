// SPDX-License-Identifier: BSD-2-Clause
/* memkind_fixed.h - kinds over a caller-supplied buffer (memkind_fixed(3)). */
#pragma once

#include "memkind_private.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * State of a fixed kind (kind->priv): memkind 1.14's fields, names, types
 * and offsets (src/abi_layout.c checks them).  One difference in meaning:
 * 1.14 moved addr forward as it handed the buffer out; ours stays at the
 * start and current alone records the use.
 */
struct memkind_fixed {
    void *addr;           ///< start of the user's buffer
    size_t size;          ///< its size
    size_t current;       ///< bytes handed to jemalloc so far (bump)
    pthread_mutex_t lock; ///< protects current
};

int memkind_fixed_create(struct memkind *kind, struct memkind_ops *ops,
                         const char *name);
int memkind_fixed_destroy(struct memkind *kind);
void *memkind_fixed_mmap(struct memkind *kind, void *addr, size_t size);

/// Fork protocol (src/fork.c): hold a fixed kind's lock across fork().
void mk_fixed_prefork(struct memkind *kind);
void mk_fixed_postfork(struct memkind *kind);

extern struct memkind_ops MEMKIND_FIXED_OPS;

#ifdef __cplusplus
}
#endif
