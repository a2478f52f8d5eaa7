// SPDX-License-Identifier: BSD-2-Clause
/* memkind_regular.h - MEMKIND_REGULAR: memory of the nodes that have CPUs. */
#pragma once

#include "memkind_private.h"

#ifdef __cplusplus
extern "C" {
#endif

int memkind_regular_all_get_mbind_nodemask(struct memkind *kind,
                                           unsigned long *nodemask,
                                           unsigned long maxnode);
extern struct memkind_ops MEMKIND_REGULAR_OPS;

#ifdef __cplusplus
}
#endif
