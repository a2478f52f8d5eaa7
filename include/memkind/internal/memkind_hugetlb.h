// SPDX-License-Identifier: BSD-2-Clause
/* memkind_hugetlb.h - kinds backed by hugetlbfs pages (memkind_hugetlb(3)). */
#pragma once

#include "memkind_private.h"

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The page size of every hugetlb kind (the GBTLB kinds included: 1.14
/// maps their 1 GiB chunks with 2 MiB pages).
#define MK_HUGETLB_PAGE_SIZE ((size_t)2 << 20)

int memkind_hugetlb_get_mmap_flags(struct memkind *kind, int *flags);
void memkind_hugetlb_init_once(void);
int memkind_hugetlb_check_available_2mb(struct memkind *kind);

/// Mapping unit of a MK_BACKING_HUGETLB kind: 1 GiB for the deprecated
/// *GBTLB kinds (MK_KIND_GBTLB: chunks of 2 MiB pages, as in 1.14), else
/// MK_HUGETLB_PAGE_SIZE.
size_t mk_hugetlb_chunk_size(const struct memkind *kind);

/// Bytes of huge pages of page_size in the pool: reserved pages plus the
/// overcommit room; 0 when none.
size_t mk_hugetlb_pool_bytes(size_t page_size);
/// memkind_get_capacity() of a MK_BACKING_HUGETLB kind, as 1.14 answers:
/// the pool (0 when empty) for kinds not bound to HBW nodes - the 1 GiB
/// pool for MEMKIND_GBTLB - -1 for the HBW kinds on huge pages but
/// MEMKIND_HBW_GBTLB, which answers with node memory.  Bytes or -1.
ssize_t mk_hugetlb_capacity(struct memkind *kind);

extern struct memkind_ops MEMKIND_HUGETLB_OPS;
extern struct memkind_ops MEMKIND_GBTLB_OPS;

#ifdef __cplusplus
}
#endif
