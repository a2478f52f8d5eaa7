// SPDX-License-Identifier: BSD-2-Clause
/* memkind_dax_kmem.h - kinds on KMEM DAX nodes (memkind_dax_kmem(3)). */
#pragma once

#include "memkind_private.h"

#ifdef __cplusplus
extern "C" {
#endif

int memkind_dax_kmem_all_get_mbind_nodemask(struct memkind *kind,
                                            unsigned long *nodemask,
                                            unsigned long maxnode);

extern struct memkind_ops MEMKIND_DAX_KMEM_OPS;
extern struct memkind_ops MEMKIND_DAX_KMEM_ALL_OPS;
extern struct memkind_ops MEMKIND_DAX_KMEM_PREFERRED_OPS;
extern struct memkind_ops MEMKIND_DAX_KMEM_INTERLEAVE_OPS;

#ifdef __cplusplus
}
#endif
