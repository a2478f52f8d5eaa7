// SPDX-License-Identifier: BSD-2-Clause
/*
 * lock.c - lock ranks checked at run time (see memkind_lock.h).
 *
 * This file owns the lock-order checker and the failure report of the lock
 * wrappers; it owns no lock itself.  It does not decide which lock protects
 * what: each file that owns a lock says that at its top.
 *
 * The global lock order itself is written in one place, memkind_lock.h.
 *
 * Ranks exist so that a pair of locks taken in opposite orders by two code
 * paths (a deadlock that needs a rare interleaving to show) aborts on the
 * first run of the wrong path instead, in debug builds.
 *
 * With MK_LOCK_CHECK=1 each thread records the locks it holds (address and
 * rank) in a fixed thread-local array; nothing here allocates, takes a lock
 * or uses stdio, because the wrappers run inside the allocator and inside
 * fork handlers.  A violation writes one line to fd 2 with write(2) and
 * calls abort().  The record uses the default TLS model: initial-exec would
 * make dlopen() of the library fail (see src/arena.c).
 *
 * #if switches: MK_LOCK_CHECK (config.h, --enable-debug).  Without it this
 * file holds only mk_lock_rank_name() and mk_lock_fail(); the wrappers are
 * static inline in the header.
 */
#include "config.h"

#include <memkind/internal/memkind_lock.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define MK_LOCK_MSG_MAX 256

static const char *const rank_names[MK_RANK_COUNT] = {
    [MK_RANK_NONE] = "none",         [MK_RANK_PURGER] = "purger",
    [MK_RANK_REGISTRY] = "registry", [MK_RANK_ARENA_SET] = "arena_set",
    [MK_RANK_JEMALLOC] = "jemalloc", [MK_RANK_REGION] = "region",
    [MK_RANK_PMEM] = "pmem",         [MK_RANK_FIXED_KIND] = "fixed_kind",
    [MK_RANK_FAMILY] = "family",     [MK_RANK_ADDRMAP] = "addrmap",
};

/* Returns the rank's short name; "invalid" for a value outside the enum. */
const char *mk_lock_rank_name(enum mk_lock_rank rank)
{
    if ((unsigned)rank >= MK_RANK_COUNT)
        return "invalid";
    return rank_names[rank];
}

/* A diagnostic line built without stdio or heap. */
struct mk_lock_msg {
    char buf[MK_LOCK_MSG_MAX]; ///< the line, not NUL-terminated
    size_t len;                ///< bytes used
};

static void msg_str(struct mk_lock_msg *m, const char *s)
{
    /* One byte stays free for the newline msg_die() adds. */
    while (*s && m->len < sizeof(m->buf) - 1)
        m->buf[m->len++] = *s++;
}

static void msg_uint(struct mk_lock_msg *m, unsigned long v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && m->len < sizeof(m->buf) - 1)
        m->buf[m->len++] = digits[--n];
}

/* Appends "<name> (rank N)". */
static void msg_rank(struct mk_lock_msg *m, enum mk_lock_rank rank)
{
    msg_str(m, mk_lock_rank_name(rank));
    msg_str(m, " (rank ");
    msg_uint(m, (unsigned long)rank);
    msg_str(m, ")");
}

/* Writes the line with one write(2) to fd 2 and aborts. */
__attribute__((noreturn, cold)) static void msg_die(struct mk_lock_msg *m)
{
    m->buf[m->len++] = '\n';
    ssize_t w = write(STDERR_FILENO, m->buf, m->len);
    (void)w; /* nowhere to report a failed diagnostic */
    abort();
}

static const char *err_name(int err)
{
    switch (err) {
        case EINVAL:
            return "EINVAL";
        case EDEADLK:
            return "EDEADLK";
        case EPERM:
            return "EPERM";
        case EAGAIN:
            return "EAGAIN";
        case EBUSY:
            return "EBUSY";
        case ENOMEM:
            return "ENOMEM";
        case EOWNERDEAD:
            return "EOWNERDEAD";
        case ENOTRECOVERABLE:
            return "ENOTRECOVERABLE";
        default:
            return "error";
    }
}

/*
 * Reports a failed pthread call on a lock of rank and aborts: the wrappers'
 * only failure path (memkind_lock.h: such a failure means a corrupted or
 * uninitialised lock).  Never returns.
 */
void mk_lock_fail(const char *what, int err, enum mk_lock_rank rank)
{
    struct mk_lock_msg m = {.len = 0};
    msg_str(&m, "memkind: ");
    msg_str(&m, what);
    msg_str(&m, " failed on a ");
    msg_rank(&m, rank);
    msg_str(&m, " lock: ");
    msg_str(&m, err_name(err));
    msg_str(&m, " (");
    msg_uint(&m, (unsigned long)(unsigned)err);
    msg_str(&m, "); the lock is corrupted or was never initialised");
    msg_die(&m);
}

#if MK_LOCK_CHECKING

#define MK_LOCK_HELD_MAX 64
#define RANK_BIT(r)      (1u << (r))

_Static_assert(MK_RANK_COUNT <= 32, "ranks must fit the many_ranks mask");

/* Ranks of which a thread may hold several locks at once. */
static const unsigned many_ranks =
    RANK_BIT(MK_RANK_ARENA_SET) | RANK_BIT(MK_RANK_JEMALLOC) |
    RANK_BIT(MK_RANK_REGION) | RANK_BIT(MK_RANK_PMEM) |
    RANK_BIT(MK_RANK_FIXED_KIND);

/* One held lock. */
struct mk_held_lock {
    const void *addr;       ///< the mutex or rwlock (or &jemalloc_pseudo)
    enum mk_lock_rank rank; ///< its rank
};

/* The locks this thread holds, in the order taken. */
struct mk_lock_record {
    unsigned n;                                 ///< entries in use
    struct mk_held_lock held[MK_LOCK_HELD_MAX]; ///< oldest first
};

static __thread struct mk_lock_record lock_record;

/* The "address" of the MK_RANK_JEMALLOC pseudo-lock. */
static const char jemalloc_pseudo;

/* Aborts unless rank is one of the enum's real ranks. */
static void check_rank(enum mk_lock_rank rank, const char *what)
{
    if (rank > MK_RANK_NONE && rank < MK_RANK_COUNT)
        return;
    struct mk_lock_msg m = {.len = 0};
    msg_str(&m, "memkind: ");
    msg_str(&m, what);
    msg_str(&m, " with an invalid lock rank ");
    msg_uint(&m, (unsigned long)(unsigned)rank);
    msg_die(&m);
}

static int find_held(const struct mk_lock_record *r, const void *addr)
{
    for (unsigned i = r->n; i-- > 0;) {
        if (r->held[i].addr == addr)
            return (int)i;
    }
    return -1;
}

/*
 * Aborts unless this thread may now take (verb: "taking", "entering"...) a
 * lock of rank at addr: no held lock may rank above it, nor equal to it
 * unless the rank is "many", and addr itself may not be held (a second take
 * of the same lock deadlocks; the jemalloc pseudo-lock may nest).  The held
 * entry at index skip is ignored (the mutex a condition wait re-takes).
 */
static void check_order(const void *addr, enum mk_lock_rank rank,
                        const char *verb, int skip)
{
    const struct mk_lock_record *r = &lock_record;
    const struct mk_held_lock *worst = NULL;
    for (unsigned i = 0; i < r->n; i++) {
        const struct mk_held_lock *h = &r->held[i];
        if ((int)i == skip)
            continue;
        if (h->addr == addr && addr != &jemalloc_pseudo) {
            struct mk_lock_msg m = {.len = 0};
            msg_str(&m, "memkind: lock order violation: ");
            msg_str(&m, verb);
            msg_str(&m, " ");
            msg_rank(&m, rank);
            msg_str(&m, " that this thread already holds");
            msg_die(&m);
        }
        bool bad = h->rank > rank ||
                   (h->rank == rank && !(many_ranks & RANK_BIT(rank)));
        if (bad && (!worst || h->rank > worst->rank))
            worst = h;
    }
    if (!worst)
        return;
    struct mk_lock_msg m = {.len = 0};
    msg_str(&m, "memkind: lock order violation: ");
    msg_str(&m, verb);
    msg_str(&m, " ");
    msg_rank(&m, rank);
    msg_str(&m, " while holding ");
    msg_rank(&m, worst->rank);
    msg_die(&m);
}

static void record_push(const void *addr, enum mk_lock_rank rank)
{
    struct mk_lock_record *r = &lock_record;
    if (r->n == MK_LOCK_HELD_MAX) {
        struct mk_lock_msg m = {.len = 0};
        msg_str(&m, "memkind: lock record full: taking ");
        msg_rank(&m, rank);
        msg_str(&m, " while holding ");
        msg_uint(&m, MK_LOCK_HELD_MAX);
        msg_str(&m, " locks");
        msg_die(&m);
    }
    r->held[r->n++] = (struct mk_held_lock){.addr = addr, .rank = rank};
}

/*
 * Removes addr, taken with rank, from the record, wherever it is (release
 * out of LIFO order is allowed).  Aborts, naming what the caller was doing,
 * when addr is not held or was taken with another rank.
 */
static void record_pop(const void *addr, enum mk_lock_rank rank,
                       const char *what)
{
    struct mk_lock_record *r = &lock_record;
    int i = find_held(r, addr);
    if (i < 0 || r->held[i].rank != rank) {
        struct mk_lock_msg m = {.len = 0};
        msg_str(&m, "memkind: ");
        msg_str(&m, what);
        msg_str(&m, " ");
        msg_rank(&m, rank);
        if (i < 0) {
            msg_str(&m, " that this thread does not hold");
        } else {
            msg_str(&m, " that was taken as ");
            msg_rank(&m, r->held[i].rank);
        }
        msg_die(&m);
    }
    for (unsigned j = (unsigned)i; j + 1 < r->n; j++)
        r->held[j] = r->held[j + 1];
    r->n--;
}

/*
 * The checking wrappers.  Each checks the order before blocking (so a
 * violation aborts instead of deadlocking), then calls pthread, then updates
 * the record.  errno is saved and restored: the first touch of a dynamic TLS
 * block may allocate.  Each aborts with a message on a violation or on a
 * pthread failure, and returns nothing unless said.
 */

/* Takes m, of rank; aborts when the order forbids it. */
void mk_mutex_lock(pthread_mutex_t *m, enum mk_lock_rank rank)
{
    int oerrno = errno;
    check_rank(rank, "pthread_mutex_lock");
    check_order(m, rank, "taking", -1);
    int err = pthread_mutex_lock(m);
    if (err)
        mk_lock_fail("pthread_mutex_lock", err, rank);
    record_push(m, rank);
    errno = oerrno;
}

/* Releases m, of rank; aborts unless this thread holds it with that rank. */
void mk_mutex_unlock(pthread_mutex_t *m, enum mk_lock_rank rank)
{
    int oerrno = errno;
    record_pop(m, rank, "releasing");
    int err = pthread_mutex_unlock(m);
    if (err)
        mk_lock_fail("pthread_mutex_unlock", err, rank);
    errno = oerrno;
}

/* Takes l for reading; a second read lock by one thread counts as a
 * violation (it deadlocks behind a waiting writer). */
void mk_rwlock_rdlock(pthread_rwlock_t *l, enum mk_lock_rank rank)
{
    int oerrno = errno;
    check_rank(rank, "pthread_rwlock_rdlock");
    check_order(l, rank, "taking", -1);
    int err = pthread_rwlock_rdlock(l);
    if (err)
        mk_lock_fail("pthread_rwlock_rdlock", err, rank);
    record_push(l, rank);
    errno = oerrno;
}

/* Takes l for writing; aborts when the order forbids it. */
void mk_rwlock_wrlock(pthread_rwlock_t *l, enum mk_lock_rank rank)
{
    int oerrno = errno;
    check_rank(rank, "pthread_rwlock_wrlock");
    check_order(l, rank, "taking", -1);
    int err = pthread_rwlock_wrlock(l);
    if (err)
        mk_lock_fail("pthread_rwlock_wrlock", err, rank);
    record_push(l, rank);
    errno = oerrno;
}

/* Releases l (read or write); aborts unless this thread holds it. */
void mk_rwlock_unlock(pthread_rwlock_t *l, enum mk_lock_rank rank)
{
    int oerrno = errno;
    record_pop(l, rank, "releasing");
    int err = pthread_rwlock_unlock(l);
    if (err)
        mk_lock_fail("pthread_rwlock_unlock", err, rank);
    errno = oerrno;
}

/* In a forked child: l was taken for writing before fork() by this thread;
 * forget it and make it anew (memkind_lock.h says why unlock cannot). */
void mk_rwlock_reinit_in_child(pthread_rwlock_t *l, enum mk_lock_rank rank)
{
    int oerrno = errno;
    record_pop(l, rank, "re-initialising");
    int err = pthread_rwlock_init(l, NULL);
    if (err)
        mk_lock_fail("pthread_rwlock_init", err, rank);
    errno = oerrno;
}

/*
 * Before a condition wait on m: m must be held with rank, and re-taking it
 * on wake-up must respect the order against the other locks held (a lock
 * taken after m and still held would be an inversion).  m stays recorded.
 */
static void check_wait(pthread_mutex_t *m, enum mk_lock_rank rank,
                       const char *what)
{
    check_rank(rank, what);
    int i = find_held(&lock_record, m);
    if (i < 0 || lock_record.held[i].rank != rank) {
        struct mk_lock_msg msg = {.len = 0};
        msg_str(&msg, "memkind: ");
        msg_str(&msg, what);
        msg_str(&msg, " on ");
        msg_rank(&msg, rank);
        msg_str(&msg, " that this thread does not hold with that rank");
        msg_die(&msg);
    }
    check_order(m, rank, "waiting on", i);
}

/* Waits on c with m (rank) held; returns 0 or ETIMEDOUT, m held again. */
int mk_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                      enum mk_lock_rank rank, const struct timespec *abstime)
{
    int oerrno = errno;
    check_wait(m, rank, "pthread_cond_timedwait");
    int err = pthread_cond_timedwait(c, m, abstime);
    if (err != 0 && err != ETIMEDOUT)
        mk_lock_fail("pthread_cond_timedwait", err, rank);
    errno = oerrno;
    return err;
}

/* Waits on c with m (rank) held until signalled; m is held again. */
void mk_cond_wait(pthread_cond_t *c, pthread_mutex_t *m, enum mk_lock_rank rank)
{
    int oerrno = errno;
    check_wait(m, rank, "pthread_cond_wait");
    int err = pthread_cond_wait(c, m);
    if (err)
        mk_lock_fail("pthread_cond_wait", err, rank);
    errno = oerrno;
}

/*
 * At extent hook entry: records that the thread is inside jemalloc, which
 * may hold its own mutexes.  Aborts if a lock ranked above MK_RANK_JEMALLOC
 * is held (jemalloc could wait on a thread that waits on that lock).
 */
void mk_lock_enter_jemalloc(void)
{
    int oerrno = errno;
    check_order(&jemalloc_pseudo, MK_RANK_JEMALLOC, "entering", -1);
    record_push(&jemalloc_pseudo, MK_RANK_JEMALLOC);
    errno = oerrno;
}

/* At extent hook exit: drops the latest mk_lock_enter_jemalloc() record. */
void mk_lock_exit_jemalloc(void)
{
    int oerrno = errno;
    record_pop(&jemalloc_pseudo, MK_RANK_JEMALLOC, "leaving");
    errno = oerrno;
}

/*
 * Before any call into jemalloc: aborts if the thread holds a lock ranked
 * above MK_RANK_JEMALLOC (jemalloc may call an extent hook that takes it,
 * or block on a mutex whose holder waits for it).
 */
void mk_lock_assert_may_enter_jemalloc(void)
{
    int oerrno = errno;
    check_order(&jemalloc_pseudo, MK_RANK_JEMALLOC, "calling into", -1);
    errno = oerrno;
}

/*
 * Aborts if the thread holds any lock, the jemalloc pseudo-lock included
 * (before waiting for another thread that may need those locks, e.g. the
 * idle sweeper).
 */
void mk_lock_assert_none_held(void)
{
    int oerrno = errno;
    const struct mk_lock_record *r = &lock_record;
    if (r->n) {
        struct mk_lock_msg m = {.len = 0};
        msg_str(&m, "memkind: a lock is held where none may be: ");
        msg_rank(&m, r->held[r->n - 1].rank);
        msg_str(&m, ", ");
        msg_uint(&m, r->n);
        msg_str(&m, " held");
        msg_die(&m);
    }
    errno = oerrno;
}

/*
 * Empties this thread's record without touching any lock: for a forked
 * child that re-initialises the locks its parent's fork handler took, and
 * for tests.
 */
void mk_lock_forget_all(void)
{
    int oerrno = errno;
    lock_record.n = 0;
    errno = oerrno;
}

#endif /* MK_LOCK_CHECKING */
