// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_blocks.c - the set of blocks libautohbw.so took from its kind
 * (see autohbw_blocks.h): an open-addressing hash set of addresses with
 * linear probing, in memory mapped for it, under one mutex.
 *
 * It is used only when libautohbw runs with a libmemkind.so.0 whose
 * memkind_detect_kind() must not be given other pointers (memkind 1.14),
 * so it favours simplicity over speed: every operation takes the lock.
 * Deleted entries become tombstones; the table is rebuilt, larger or not,
 * when live entries and tombstones fill half of it.
 *
 * Locks: lock guards everything below; nothing is called with it held but
 * mmap(2) and munmap(2).
 */
#include "config.h"

#include "autohbw_blocks.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOT_EMPTY ((uintptr_t)0)
#define SLOT_GONE  ((uintptr_t)1) /* a tombstone: no block lives at 1 */
#define MIN_SLOTS  ((size_t)1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t *slots; ///< the table, NULL before the first block
static size_t cap;       ///< slots in the table (a power of two)
static unsigned shift;   ///< 64 - log2(cap), for the hash
static size_t live;      ///< recorded blocks
static size_t gone;      ///< tombstones

/*
 * The lock calls, checked (CONVENTIONS.md 11: every int result is checked).
 * They can fail only on a corrupted mutex, after which no answer about a
 * block can be trusted: one line with write(2) (this runs inside malloc and
 * fork handlers: no stdio, no heap), then abort().  libmemkind's ranked
 * wrappers (memkind_lock.h) are hidden inside libmemkind.so, which this
 * library only links.
 */
static void blocks_call(int err, const char *what)
{
    static const char msg[] = "libautohbw: the block set's mutex failed in ";
    if (__builtin_expect(err == 0, 1))
        return;
    size_t n = 0;
    while (what[n])
        n++;
    if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, what, n) < 0 ||
        write(2, "\n", 1) < 0) {
        /* nothing more can be said: abort anyway */
    }
    abort();
}

static void blocks_lock(void)
{
    blocks_call(pthread_mutex_lock(&lock), "pthread_mutex_lock");
}

static void blocks_unlock(void)
{
    blocks_call(pthread_mutex_unlock(&lock), "pthread_mutex_unlock");
}

/* Fibonacci hashing: the top bits of the address times 2^64 / phi. */
static size_t slot_of(uintptr_t key)
{
    return (size_t)(((uint64_t)key * UINT64_C(0x9e3779b97f4a7c15)) >> shift);
}

/* Index of key in the table, or cap when absent.  Pre: lock held. */
static size_t find(uintptr_t key)
{
    if (!slots || key == SLOT_EMPTY || key == SLOT_GONE)
        return cap;
    for (size_t i = slot_of(key);; i = (i + 1) & (cap - 1)) {
        if (slots[i] == key)
            return i;
        if (slots[i] == SLOT_EMPTY)
            return cap;
    }
}

/* Moves the live entries to a fresh table of n slots (a power of two).
 * errno is kept.  Returns false when it cannot be mapped.  Pre: lock. */
static bool rebuild(size_t n)
{
    int oerrno = errno;
    uintptr_t *t = mmap(NULL, n * sizeof(*t), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED) {
        errno = oerrno;
        return false;
    }
    unsigned bits = 0;
    while (((size_t)1 << bits) < n)
        bits++;
    uintptr_t *old = slots;
    size_t old_cap = cap;
    slots = t;
    cap = n;
    shift = 64 - bits;
    for (size_t i = 0; i < old_cap; i++) {
        uintptr_t k = old[i];
        if (k == SLOT_EMPTY || k == SLOT_GONE)
            continue;
        size_t j = slot_of(k);
        while (slots[j] != SLOT_EMPTY)
            j = (j + 1) & (cap - 1);
        slots[j] = k;
    }
    gone = 0;
    if (old)
        (void)munmap(old, old_cap * sizeof(*old));
    errno = oerrno;
    return true;
}

static void fork_prepare(void)
{
    blocks_lock();
}

static void fork_release(void)
{
    blocks_unlock();
}

int autohbw_blocks_init(void)
{
    return pthread_atfork(fork_prepare, fork_release, fork_release) ? -1 : 0;
}

bool autohbw_blocks_add(void *p)
{
    uintptr_t key = (uintptr_t)p;
    bool ok = true;
    blocks_lock();
    if ((live + gone + 1) * 2 > cap) {
        /* at most a quarter full after the rebuild; when it cannot be
         * mapped, the table fills on, down to its last empty slot */
        size_t n = MIN_SLOTS;
        while (n < (live + 1) * 4)
            n *= 2;
        (void)rebuild(n);
    }
    if (!slots || key == SLOT_EMPTY || key == SLOT_GONE) {
        ok = false; /* the two values mark free slots */
    } else if (find(key) == cap) {
        size_t i = slot_of(key);
        while (slots[i] != SLOT_EMPTY && slots[i] != SLOT_GONE)
            i = (i + 1) & (cap - 1);
        if (slots[i] == SLOT_GONE) {
            gone--;
        } else if (cap - live - gone <= 1) {
            ok = false; /* the last empty slot ends every probe */
        }
        if (ok) {
            slots[i] = key;
            live++;
        }
    }
    blocks_unlock();
    return ok;
}

void autohbw_blocks_remove(void *p)
{
    blocks_lock();
    size_t i = find((uintptr_t)p);
    if (i != cap) {
        slots[i] = SLOT_GONE;
        live--;
        gone++;
    }
    blocks_unlock();
}

bool autohbw_blocks_has(const void *p)
{
    blocks_lock();
    bool has = find((uintptr_t)p) != cap;
    blocks_unlock();
    return has;
}
