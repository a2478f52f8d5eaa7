// SPDX-License-Identifier: BSD-2-Clause
/*
 * lock_rank_release.h - entry points of lock_rank_release.c: the release
 * wrappers of memkind_lock.h (registry rank for mutexes, address map rank
 * for rwlocks), callable from the C++ test.
 */
#pragma once

#include <pthread.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

void mk_test_release_mutex_lock(pthread_mutex_t *m);
void mk_test_release_mutex_unlock(pthread_mutex_t *m);
void mk_test_release_rwlock_rdlock(pthread_rwlock_t *l);
void mk_test_release_rwlock_wrlock(pthread_rwlock_t *l);
void mk_test_release_rwlock_unlock(pthread_rwlock_t *l);
int mk_test_release_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                   const struct timespec *abstime);
/// Calls every check of the release build (all empty).
void mk_test_release_checks(void);

#ifdef __cplusplus
}
#endif
