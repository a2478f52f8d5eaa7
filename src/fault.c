// SPDX-License-Identifier: BSD-2-Clause
/*
 * fault.c - the countdown behind mk_fault_hit() and the list of failure
 * points (see memkind_fault.h).  Atomic so that tests may create kinds from
 * several threads; injection is process-wide.  Nothing here allocates or
 * takes a lock: sites are reached from extent hooks and fork handlers.
 *
 * #if MK_FAULT_INJECTION: all of it (otherwise the file is empty).
 */
#include "config.h"

#include <memkind/internal/memkind_fault.h>

#ifdef MK_FAULT_INJECTION
#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_log.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

static atomic_int fault_countdown = -1;
static atomic_int fault_repeat;
static atomic_int fault_seen;
static atomic_int fault_injected;
static bool fault_report; /* MEMKIND_TEST_FAULT_AT: say where it failed */
static atomic_bool fault_no_tmpfile;
static atomic_bool fault_no_membarrier;
static atomic_uint fault_purger_delay_ms;
static atomic_ulong fault_purger_delays;
static atomic_uint fault_sweep_delay_ms;
static atomic_ulong fault_sweep_delays;

bool mk_fault_hit_at(struct mk_fault_site *site)
{
    __atomic_fetch_add(&site->reached, 1, __ATOMIC_RELAXED);
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
    __atomic_fetch_add(&site->injected, 1, __ATOMIC_RELAXED);
    atomic_fetch_add(&fault_injected, 1);
    if (fault_report)
        mk_log_warn("fault injected at %s:%d", site->file, site->line);
    return true;
}

void mk_fault_arm_n(int n, int count)
{
    atomic_store(&fault_seen, 0);
    atomic_store(&fault_injected, 0);
    atomic_store(&fault_repeat, count < 1 ? 1 : count);
    atomic_store(&fault_countdown, n < 0 ? -1 : n);
}

void mk_fault_arm(int n)
{
    mk_fault_arm_n(n, 1);
}

void mk_fault_set_no_tmpfile(bool on)
{
    atomic_store(&fault_no_tmpfile, on);
}

bool mk_fault_no_tmpfile(void)
{
    return atomic_load_explicit(&fault_no_tmpfile, memory_order_relaxed);
}

void mk_fault_set_no_membarrier(bool on)
{
    atomic_store(&fault_no_membarrier, on);
}

bool mk_fault_no_membarrier(void)
{
    return atomic_load_explicit(&fault_no_membarrier, memory_order_relaxed);
}

void mk_fault_set_report(bool on)
{
    fault_report = on;
}

int mk_fault_points_seen(void)
{
    return atomic_load(&fault_seen);
}

int mk_fault_injected(void)
{
    return atomic_load(&fault_injected);
}

void mk_fault_set_purger_delay(unsigned ms)
{
    atomic_store(&fault_purger_delay_ms, ms);
}

/* Sleeps ms (0: returns at once), counting the sleep in *count first. */
static void fault_delay(unsigned ms, atomic_ulong *count)
{
    if (!ms)
        return;
    atomic_fetch_add(count, 1);
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* interrupted: sleep the rest */
    }
}

void mk_fault_purger_delay(void)
{
    fault_delay(atomic_load(&fault_purger_delay_ms), &fault_purger_delays);
}

unsigned long mk_fault_purger_delays(void)
{
    return atomic_load(&fault_purger_delays);
}

void mk_fault_set_sweep_delay(unsigned ms)
{
    atomic_store(&fault_sweep_delay_ms, ms);
}

void mk_fault_sweep_delay(void)
{
    fault_delay(atomic_load(&fault_sweep_delay_ms), &fault_sweep_delays);
}

unsigned long mk_fault_sweep_delays(void)
{
    return atomic_load(&fault_sweep_delays);
}

/*
 * MEMKIND_TEST_FAULT_AT=N arms the countdown before any other constructor
 * of a program can reach the library (libmemtier's start-up, for one).
 * Priority 101: before the registry's constructor.
 */
__attribute__((constructor(101))) static void fault_from_env(void)
{
    long n;
    const char *v = secure_getenv("MEMKIND_TEST_FAULT_AT");
    if (v && mk_env_parse_long(v, 0, 1000000, &n)) {
        fault_report = true;
        mk_fault_arm((int)n);
    }
}
#endif
