// SPDX-License-Identifier: BSD-2-Clause
/* jemk_base.h: the base (metadata) blocks of a private jemalloc arena; see
 * jemk_base.c for why the arena layer needs them. */
#ifndef MK_JEMK_BASE_H
#define MK_JEMK_BASE_H

#include <stddef.h>

/* One mapping jemalloc made for an arena's metadata. */
struct mk_jemk_block {
    void *addr;
    size_t len;
};

unsigned mk_jemk_base_blocks(unsigned ind, struct mk_jemk_block *blocks,
                             unsigned max);

/* Start-up facts without jemalloc's control tree (jemk_base.c says why).
 * Pre: jemalloc initialised. */
size_t mk_jemk_large_minclass(void);
unsigned mk_jemk_opt_narenas(void);
size_t mk_jemk_opt_oversize(void);
int mk_jemk_arena0_set_oversize(size_t v);

#endif
