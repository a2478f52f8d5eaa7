// SPDX-License-Identifier: BSD-2-Clause
/*
 * fork.c - the library's one fork protocol.
 *
 * Owns: the single pthread_atfork registration of libmemkind, and the
 * order in which every lock of the library and every lock of the private
 * jemalloc is taken before fork() and released after it, in the parent and
 * in the child; the per-kind work a child needs (a private copy of file
 * kinds) is called from here, but done by the kinds.
 *
 * Why one protocol: a child starts with only the forking thread, so every
 * lock another thread held at fork() would stay held for ever in it.  The
 * forking thread therefore takes all of them first, in the global lock
 * order (memkind_lock.h), so that it cannot deadlock with a thread that
 * holds one and waits for the next.  jemalloc's own mutexes sit in the
 * middle of that order (our arena-set locks are held while calling into
 * jemalloc; extent hooks take our region, PMEM, fixed-kind, node-family
 * and address-map locks with jemalloc's mutexes held).  Separate
 * registrations would make correctness depend on the order in which
 * pthread_atfork() was called relative to jemalloc's own call, which
 * happens at jemalloc's first use.  Instead jemalloc's pthread_atfork is
 * renamed at build time to mk_jemk_atfork(), which only records its
 * handlers, and the protocol below calls them at their place:
 *
 *   prepare: purger lock, registry lock, every arena-set lock (slot order),
 *            jemalloc's prefork (all its mutexes), every region lock, every
 *            PMEM kind (its lock; what the child will get of it),
 *            every fixed kind's lock, the node-family lock, the address-map
 *            lock;
 *   parent:  the same in reverse, releasing; then, with no lock held, the
 *            forking thread waits for the child's PMEM copies (the parent's
 *            other threads allocate meanwhile: kinds/pmem_fork.c);
 *   child:   the same in reverse, with the child's variants: the address
 *            map, family and fixed locks released, each PMEM kind copied
 *            and remapped onto its copy (then the parent is told), region
 *            locks released, jemalloc's child handler,
 *            arena-set and registry locks released, the purger's state reset
 *            (its thread does not exist in the child) and its thread started
 *            again when PMEM kinds exist (pmem_purger.c).
 *
 * Every mutex is released by the thread that took it (in the child, the
 * forking thread is that thread), so no mutex is re-initialised.  The one
 * rwlock (the address map's) is made anew in the child instead: glibc
 * recognises an rwlock's writer by thread id, which the child does not
 * share with its parent (mk_rwlock_reinit_in_child).  The PMEM purger's
 * condition variable is made anew in the child too (its parent's waiter
 * does not exist there).
 * Does not own: the locks themselves or what the kinds do for the child.
 */
#include "config.h"

#include "fork.h"

#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_fixed.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_numa.h>
#include <memkind/internal/memkind_pmem.h>
#include <memkind/internal/memkind_registry.h>

#include "arena_set.h"
#include "tcache.h"

#include <errno.h>
#include <pthread.h>

static void (*jemk_prepare)(void);
static void (*jemk_parent)(void);
static void (*jemk_child)(void);

int mk_jemk_atfork(void (*prepare)(void), void (*parent)(void),
                   void (*child)(void))
{
    if (jemk_prepare || jemk_parent || jemk_child)
        return ENOMEM;
    jemk_prepare = prepare;
    jemk_parent = parent;
    jemk_child = child;
    return 0;
}

/* Dynamic kinds backed by b, in slot order (static kinds are never file or
 * fixed kinds). */
static struct memkind *kind_at(unsigned s, enum mk_backing b)
{
    struct memkind *k = mk_registry_get(s);
    return k && k->backing == b ? k : NULL;
}

/* Locks of the kinds' own (PMEM, fixed), after jemalloc's prefork. */
static void kinds_prefork(void)
{
    for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND; s++) {
        struct memkind *k = kind_at(s, MK_BACKING_FILE);
        if (k)
            mk_pmem_prefork(k);
    }
    for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND; s++) {
        struct memkind *k = kind_at(s, MK_BACKING_FIXED);
        if (k)
            mk_fixed_prefork(k);
    }
}

static void kinds_postfork(bool child)
{
    for (unsigned s = MEMKIND_MAX_KIND; s-- > MEMKIND_NUM_BASE_KIND;) {
        struct memkind *k = kind_at(s, MK_BACKING_FIXED);
        if (k)
            mk_fixed_postfork(k);
    }
    for (unsigned s = MEMKIND_MAX_KIND; s-- > MEMKIND_NUM_BASE_KIND;) {
        struct memkind *k = kind_at(s, MK_BACKING_FILE);
        if (!k)
            continue;
        if (child)
            mk_pmem_postfork_child(k);
        else
            mk_pmem_postfork_parent(k);
    }
}

/* errno as the handler found it, written only if it changed: after fork()
 * the first write to the thread's TLS page would cost a copy of it. */
static void restore_errno(int oerrno)
{
    if (errno != oerrno)
        errno = oerrno;
}

static void fork_prepare(void)
{
    int oerrno = errno;
    mk_pmem_purger_prefork();
    mk_registry_lock();
    mk_arena_lock_all();
    if (jemk_prepare)
        jemk_prepare();
    mk_arena_region_lock_all();
    kinds_prefork();
    mk_numa_prefork();
    mk_addrmap_prefork();
    restore_errno(oerrno);
}

static void fork_parent(void)
{
    int oerrno = errno;
    mk_pmem_fork_parent_begin();
    mk_addrmap_postfork(false);
    mk_numa_postfork();
    kinds_postfork(false);
    mk_arena_region_unlock_all();
    if (jemk_parent)
        jemk_parent();
    mk_arena_unlock_all();
    mk_registry_unlock();
    mk_pmem_purger_postfork(false);
    mk_pmem_fork_parent_wait(); /* no lock held: the others allocate on */
    restore_errno(oerrno);
}

static void fork_child(void)
{
    int oerrno = errno;
    mk_addrmap_postfork(true);
    mk_numa_postfork();
    kinds_postfork(true);
    mk_pmem_fork_child_done();
    mk_arena_region_unlock_all();
    if (jemk_child)
        jemk_child();
    mk_arena_unlock_all();
    mk_registry_unlock();
    mk_tcache_postfork_child();
    mk_pmem_purger_postfork(true);
    restore_errno(oerrno);
}

int mk_fork_init(void)
{
    if (pthread_atfork(fork_prepare, fork_parent, fork_child)) {
        mk_log_fatal("cannot register fork handlers");
        return MEMKIND_ERROR_RUNTIME;
    }
    return 0;
}
