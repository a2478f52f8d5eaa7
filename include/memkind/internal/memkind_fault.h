// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_fault.h - test-only fault injection.  Compiled in only where
 * MK_FAULT_INJECTION is defined: the instrumented twin of the library that
 * make check builds (libmemkind_core_fi.la, test/fault/libmemkind.la; see
 * src/src.mk), never the library that is installed, where every hook below
 * is a constant.  It costs one branch on creation and growth paths only,
 * never on allocation fast paths.
 *
 * Every failure point of kind creation, arena growth and memtier
 * construction calls mk_fault_hit() first: system calls (open, mkostemp,
 * fallocate, mmap, mbind, madvise, ...), internal metadata allocations
 * (mk_meta_malloc & co) and lock acquisitions.  A test arms a countdown
 * with mk_fault_arm(n): the n-th point reached afterwards (0-based) fails as
 * if the underlying call had failed, then injection disarms itself.  Tests
 * loop n from 0 until no point fails any more, checking the error code and
 * that nothing leaked.
 *
 * Each call site of mk_fault_hit() owns a struct mk_fault_site placed in the
 * ELF section "mk_fault_sites" (an array: every record has the same size
 * and alignment), so a test can read the section of its own executable and
 * prove that every site was made to fail at least once
 * (test/hardening/fault_test.cpp).  No linker-made __start_ symbol is used:
 * it would be exported from libmemkind.so.
 *
 * MEMKIND_TEST_FAULT_AT=N in the environment arms mk_fault_arm(N) when the
 * library loads (for code that runs in constructors, such as libmemtier's
 * start-up); each injected fault is then reported on stderr.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef MK_FAULT_INJECTION
/// One call site of mk_fault_hit(); counters are updated atomically.
struct mk_fault_site {
    const char *file;       ///< source file of the call
    int line;               ///< line of the call
    unsigned long reached;  ///< times the site was reached
    unsigned long injected; ///< times it was made to fail
};

/// True when this failure point must fail now (consumes the countdown).
bool mk_fault_hit_at(struct mk_fault_site *site);

/* The statement expression gives every call site its own static record in
 * section mk_fault_sites (sanitizers leave user sections alone). */
#define mk_fault_hit()                                                         \
    __extension__({                                                            \
        static struct mk_fault_site mk_fault_site_                             \
            __attribute__((section("mk_fault_sites"), used, aligned(8))) = {   \
                __FILE__, __LINE__, 0, 0};                                     \
        mk_fault_hit_at(&mk_fault_site_);                                      \
    })

/// Arms the countdown (n >= 0) or disarms it (n < 0).
void mk_fault_arm(int n);
/// As mk_fault_arm(n), but count points in a row fail (a lasting fault).
void mk_fault_arm_n(int n, int count);
/// Failure points reached since the last arm (armed or not).
int mk_fault_points_seen(void);
/// Makes O_TMPFILE look unsupported (a file system without it), so the
/// mkostemp fallback of file-backed kinds runs; not a failure point.
void mk_fault_set_no_tmpfile(bool on);
/// True while mk_fault_set_no_tmpfile(true) is in force.
bool mk_fault_no_tmpfile(void);
/// Makes membarrier(2) look unavailable (an old kernel or a seccomp
/// filter): the idle sweep of thread caches then does nothing.
void mk_fault_set_no_membarrier(bool on);
/// True while mk_fault_set_no_membarrier(true) is in force.
bool mk_fault_no_membarrier(void);
/// Reports each injected failure on stderr (file:line) when on.
void mk_fault_set_report(bool on);
/// Failures injected since the last arm.
int mk_fault_injected(void);
/// Makes the PMEM purger sleep ms before it decays each kind (0: never), so
/// that a test can hold it inside a long decay.
void mk_fault_set_purger_delay(unsigned ms);
/// Called by the purger with a kind pinned, before its sweep and decay.
void mk_fault_purger_delay(void);
/// Delays the purger has started since the process began.
unsigned long mk_fault_purger_delays(void);
/// The PMEM purger's condition variable (a test checks its clock).
const pthread_cond_t *mk_fault_purger_cond(void);
/// Makes the idle sweep sleep ms once it has claimed some thread's caches,
/// its set lock held (0: never), so that a test can fork() meanwhile.
void mk_fault_set_sweep_delay(unsigned ms);
/// Called by the idle sweep with caches claimed, before it flushes them.
void mk_fault_sweep_delay(void);
/// Delays the idle sweep has started since the process began.
unsigned long mk_fault_sweep_delays(void);
#else
#define mk_fault_hit()           false
#define mk_fault_no_tmpfile()    false
#define mk_fault_no_membarrier() false
#define mk_fault_purger_delay()  ((void)0)
#define mk_fault_sweep_delay()   ((void)0)
#endif

#ifdef __cplusplus
}
#endif
