// SPDX-License-Identifier: BSD-2-Clause
/*
 * lock_rank_release.c - the release (MK_LOCK_CHECK undefined) wrappers of
 * memkind_lock.h, compiled into test/unit/lock_rank_test next to the
 * checking build of src/lock.c, so that one binary tests both.  The target's
 * CPPFLAGS define MK_LOCK_CHECK=1 for every source; this file undefines it.
 */
#include "config.h"

#undef MK_LOCK_CHECK
#include <memkind/internal/memkind_lock.h>

#include "unit/lock_rank_release.h"

#if MK_LOCK_CHECKING
#error "lock_rank_release.c must see the release wrappers"
#endif

void mk_test_release_mutex_lock(pthread_mutex_t *m)
{
    mk_mutex_lock(m, MK_RANK_REGISTRY);
}

void mk_test_release_mutex_unlock(pthread_mutex_t *m)
{
    mk_mutex_unlock(m, MK_RANK_REGISTRY);
}

void mk_test_release_rwlock_rdlock(pthread_rwlock_t *l)
{
    mk_rwlock_rdlock(l, MK_RANK_ADDRMAP);
}

void mk_test_release_rwlock_wrlock(pthread_rwlock_t *l)
{
    mk_rwlock_wrlock(l, MK_RANK_ADDRMAP);
}

void mk_test_release_rwlock_unlock(pthread_rwlock_t *l)
{
    mk_rwlock_unlock(l, MK_RANK_ADDRMAP);
}

int mk_test_release_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                   const struct timespec *abstime)
{
    return mk_cond_timedwait(c, m, MK_RANK_REGISTRY, abstime);
}

void mk_test_release_checks(void)
{
    /* Empty in release builds: none of these may abort. */
    mk_lock_enter_jemalloc();
    mk_lock_assert_may_enter_jemalloc();
    mk_lock_exit_jemalloc();
    mk_lock_assert_none_held();
    mk_lock_forget_all();
}
