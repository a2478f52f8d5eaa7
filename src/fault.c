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
static atomic_int fault_repeat;
static atomic_int fault_seen;

bool mk_fault_hit(void)
{
    atomic_fetch_add_explicit(&fault_seen, 1, memory_order_relaxed);
    int c = atomic_load_explicit(&fault_countdown, memory_order_relaxed);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&fault_countdown, &c, c - 1))
            return false;
    }
    if (c < 0)
        return false;
    /* c == 0: this point fails; so do the next repeat-1 ones */
    if (atomic_fetch_sub(&fault_repeat, 1) <= 1)
        atomic_store(&fault_countdown, -1);
    return true;
}

void mk_fault_arm_n(int n, int count)
{
    atomic_store(&fault_seen, 0);
    atomic_store(&fault_repeat, count < 1 ? 1 : count);
    atomic_store(&fault_countdown, n < 0 ? -1 : n);
}

void mk_fault_arm(int n)
{
    mk_fault_arm_n(n, 1);
}

int mk_fault_points_seen(void)
{
    return atomic_load(&fault_seen);
}
#endif
