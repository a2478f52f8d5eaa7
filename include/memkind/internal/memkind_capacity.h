// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_capacity.h - kinds chosen by memory attributes: highest capacity,
 * lowest latency, highest bandwidth (memkind(3) KINDS).
 */
#pragma once

#include "memkind_private.h"

#ifdef __cplusplus
extern "C" {
#endif

extern struct memkind_ops MEMKIND_HIGHEST_CAPACITY_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_CAPACITY_PREFERRED_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_CAPACITY_LOCAL_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED_OPS;
extern struct memkind_ops MEMKIND_LOWEST_LATENCY_LOCAL_OPS;
extern struct memkind_ops MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_BANDWIDTH_LOCAL_OPS;
extern struct memkind_ops MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED_OPS;

#ifdef __cplusplus
}
#endif
