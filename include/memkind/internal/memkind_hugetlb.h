// SPDX-License-Identifier: BSD-2-Clause
/* memkind_hugetlb.h - kinds backed by hugetlbfs pages (memkind_hugetlb(3)). */
#pragma once

#include "memkind_private.h"

#ifdef __cplusplus
extern "C" {
#endif

int memkind_hugetlb_get_mmap_flags(struct memkind *kind, int *flags);
void memkind_hugetlb_init_once(void);
int memkind_hugetlb_check_available_2mb(struct memkind *kind);

/// 1 GiB page variants (MEMKIND_GBTLB, deprecated).
int mk_hugetlb_check_available_1gb(struct memkind *kind);
int mk_hugetlb_get_mmap_flags_1gb(struct memkind *kind, int *flags);

/// Bytes of huge pages of page_size the pool can still hand out (free plus
/// overcommit room); 0 when none.
size_t mk_hugetlb_pool_bytes(size_t page_size);
/// Bytes of huge pages of the kind's page size configured in the pool.
size_t mk_hugetlb_capacity(struct memkind *kind);

extern struct memkind_ops MEMKIND_HUGETLB_OPS;
extern struct memkind_ops MEMKIND_GBTLB_OPS;

#ifdef __cplusplus
}
#endif
