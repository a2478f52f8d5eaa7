// SPDX-License-Identifier: BSD-2-Clause
/* memkind_interleave.h - MEMKIND_INTERLEAVE: pages spread over all nodes. */
#pragma once

#include "memkind_private.h"

#ifdef __cplusplus
extern "C" {
#endif

void memkind_interleave_init_once(void);
extern struct memkind_ops MEMKIND_INTERLEAVE_OPS;

#ifdef __cplusplus
}
#endif
