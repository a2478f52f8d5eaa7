// SPDX-License-Identifier: BSD-2-Clause
/* memkind_hugetlb.h - kinds backed by hugetlbfs pages (memkind_hugetlb(3)). */
#pragma once

#include "memkind_private.h"

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

int memkind_hugetlb_get_mmap_flags(struct memkind *kind, int *flags);
void memkind_hugetlb_init_once(void);
int memkind_hugetlb_check_available_2mb(struct memkind *kind);

/// mmap flags of the 1 GiB page kinds (MEMKIND_GBTLB, deprecated).
int mk_hugetlb_get_mmap_flags_1gb(struct memkind *kind, int *flags);

/// Whether kind maps 1 GiB pages (the deprecated *GBTLB kinds), from its
/// mmap flags.
bool mk_hugetlb_uses_1gb_pages(struct memkind *kind);

/// Bytes of huge pages of page_size in the pool: reserved pages plus the
/// overcommit room; 0 when none.
size_t mk_hugetlb_pool_bytes(size_t page_size);
/// memkind_get_capacity() of a MK_BACKING_HUGETLB kind, as 1.14 answers:
/// the pool (0 when empty) for kinds not bound to HBW nodes, -1 for the
/// 2 MiB HBW kinds, node memory for MEMKIND_HBW_GBTLB.  Bytes or -1.
ssize_t mk_hugetlb_capacity(struct memkind *kind);

extern struct memkind_ops MEMKIND_HUGETLB_OPS;
extern struct memkind_ops MEMKIND_GBTLB_OPS;

#ifdef __cplusplus
}
#endif
