// SPDX-License-Identifier: BSD-2-Clause
/*
 * fault.c - the countdown behind mk_fault_hit() (see memkind_fault.h).
 * Atomic so that tests may create kinds from several threads; injection is
 * process-wide.
 */
#include "config.h"

#include <memkind/internal/memkind_fault.h>

#ifdef MK_FAULT_INJECTION
#include <stdatomic.h>

static atomic_int fault_countdown = -1;
static atomic_int fault_seen;

bool mk_fault_hit(void)
{
    atomic_fetch_add_explicit(&fault_seen, 1, memory_order_relaxed);
    int c = atomic_load_explicit(&fault_countdown, memory_order_relaxed);
    while (c >= 0) {
        if (atomic_compare_exchange_weak(&fault_countdown, &c, c - 1))
            return c == 0;
    }
    return false;
}

void mk_fault_arm(int n)
{
    atomic_store(&fault_seen, 0);
    atomic_store(&fault_countdown, n < 0 ? -1 : n);
}

int mk_fault_points_seen(void)
{
    return atomic_load(&fault_seen);
}
#endif
