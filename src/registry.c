// SPDX-License-Identifier: BSD-2-Clause
/*
 * registry.c - static kinds (expanded from static_kinds.def), dynamic kinds
 * and library start-up.
 *
 * Slot i of the registry holds the kind whose partition is i.  Static kinds
 * fill 0 .. MEMKIND_NUM_BASE_KIND-1; dynamic kinds take the lowest free slot
 * above, so partitions are unique among live kinds and names are checked
 * against every slot.
 *
 * Lock: registry_lock (MK_RANK_REGISTRY, see memkind_lock.h) protects slot
 * assignment, name uniqueness and the kinds' pins (pins, dying); unpinned
 * is its condition (a destroy waiting for a kind's pins to go).  Readers of
 * a slot use acquire loads and never lock.
 */
#include "config.h"

#include <memkind/internal/memkind_registry.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_capacity.h>
#include <memkind/internal/memkind_dax_kmem.h>
#include <memkind/internal/memkind_default.h>
#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_hbw.h>
#include <memkind/internal/memkind_hugetlb.h>
#include <memkind/internal/memkind_interleave.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_pmem.h>
#include <memkind/internal/memkind_regular.h>

#include "fork.h"
#include "lookup.h"
#include "memtier_counters.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MK_STATIC_KIND(ID, NAME, OPS, BACKING, FLAGS)                          \
    static struct memkind mk_static_##ID = {                                   \
        .ops = &OPS,                                                           \
        .partition = MEMKIND_PARTITION_##ID,                                   \
        .name = NAME,                                                          \
        .init_once = PTHREAD_ONCE_INIT,                                        \
        .backing = BACKING,                                                    \
        .flags = MK_KIND_STATIC | (FLAGS),                                     \
        .gen = MEMKIND_PARTITION_##ID + 1u,                                    \
    };                                                                         \
    MK_EXPORT memkind_t MEMKIND_##ID = &mk_static_##ID;
#include "static_kinds.def"
#undef MK_STATIC_KIND

/* Counting the lines proves the list matches enum memkind_base_partition. */
enum
{
#define MK_STATIC_KIND(ID, NAME, OPS, BACKING, FLAGS) mk_count_##ID,
#include "static_kinds.def"
#undef MK_STATIC_KIND
    MK_STATIC_KIND_COUNT
};
_Static_assert((int)MK_STATIC_KIND_COUNT == (int)MEMKIND_NUM_BASE_KIND,
               "static_kinds.def must list every base partition");

_Atomic(struct memkind *) mk_registry_slots[MEMKIND_MAX_KIND] = {
#define MK_STATIC_KIND(ID, NAME, OPS, BACKING, FLAGS)                          \
    [MEMKIND_PARTITION_##ID] = &mk_static_##ID,
#include "static_kinds.def"
#undef MK_STATIC_KIND
};

static MK_FORK_PAGE pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
/* Never waited on with a deadline, so its clock does not matter. */
static pthread_cond_t unpinned = PTHREAD_COND_INITIALIZER;
static _Atomic uint32_t next_gen = MEMKIND_NUM_BASE_KIND + 1;
static unsigned ndynamic;

struct memkind *mk_registry_get(unsigned slot)
{
    if (slot >= MEMKIND_MAX_KIND)
        return NULL;
    return atomic_load_explicit(&mk_registry_slots[slot], memory_order_acquire);
}

uint32_t mk_registry_next_gen(void)
{
    uint32_t g;
    do {
        g = atomic_fetch_add(&next_gen, 1);
    } while (g == 0);
    return g;
}

unsigned mk_registry_dynamic_count(void)
{
    return ndynamic;
}

static bool name_taken(const char *name)
{
    for (unsigned i = 0; i < MEMKIND_MAX_KIND; i++) {
        struct memkind *k = atomic_load(&mk_registry_slots[i]);
        if (k && strncmp(k->name, name, MEMKIND_NAME_LENGTH_PRIV) == 0)
            return true;
    }
    return false;
}

/*
 * Creates and publishes a dynamic kind.  The kind struct comes from the
 * private jemalloc.  On any failure nothing stays registered or allocated.
 * Returns 0 or MEMKIND_ERROR_* (TOOMANY, INVALID for a taken name, MALLOC,
 * RUNTIME, or what ops->create returned).
 */
int mk_registry_create_kind(struct memkind_ops *ops, const char *name,
                            enum mk_backing backing, void *priv,
                            struct memkind **out)
{
    int err = mk_library_init();
    if (err)
        return err;
    if (!ops || !ops->create || !ops->destroy || !ops->malloc || !ops->calloc ||
        !ops->posix_memalign || !ops->realloc || !ops->free ||
        !ops->malloc_usable_size)
        return MEMKIND_ERROR_BADOPS;
    if (name && strlen(name) >= MEMKIND_NAME_LENGTH_PRIV)
        return MEMKIND_ERROR_INVALID;
    struct memkind *kind = mk_meta_calloc(1, sizeof(*kind));
    if (!kind)
        return MEMKIND_ERROR_MALLOC;
    if (mk_fault_hit()) {
        mk_meta_free(kind);
        return MEMKIND_ERROR_RUNTIME;
    }
    mk_mutex_lock(&registry_lock, MK_RANK_REGISTRY);
    unsigned slot;
    for (slot = MEMKIND_NUM_BASE_KIND; slot < MEMKIND_MAX_KIND; slot++)
        if (!atomic_load(&mk_registry_slots[slot]))
            break;
    if (slot == MEMKIND_MAX_KIND) {
        err = MEMKIND_ERROR_TOOMANY;
        goto err_unlock;
    }
    char gen_name[MEMKIND_NAME_LENGTH_PRIV];
    if (!name) {
        snprintf(gen_name, sizeof(gen_name), "memkind_dynamic_%u", slot);
        name = gen_name;
    }
    if (name_taken(name)) {
        err = MEMKIND_ERROR_INVALID;
        goto err_unlock;
    }
    kind->partition = slot;
    kind->backing = backing;
    kind->priv = priv;
    kind->init_once = (pthread_once_t)PTHREAD_ONCE_INIT;
    kind->gen = mk_registry_next_gen();
    err = kind_op_create(kind, ops, name);
    if (err)
        goto err_unlock;
    atomic_store_explicit(&mk_registry_slots[slot], kind, memory_order_release);
    ndynamic++;
    mk_mutex_unlock(&registry_lock, MK_RANK_REGISTRY);
    *out = kind;
    return 0;

err_unlock:
    mk_mutex_unlock(&registry_lock, MK_RANK_REGISTRY);
    mk_meta_free(kind);
    return err;
}

/*
 * Destroys a dynamic kind: under the registry lock, waits until no walker
 * has it pinned (mk_registry_pin), then unpublishes it (its slot reads NULL
 * from here on, so no lookup can find a half-destroyed kind), then runs its
 * destroy op, then frees it.  Thread exits and sweeps take the lock first,
 * so none of them can see it in between either.  COMPAT(1.14): a static
 * kind is left as it is and 0 returned, as 1.14 does; memkind_create_kind()
 * hands out static kinds and programs destroy what it gave them (memkind(3)
 * memkind_destroy_kind).
 * Returns 0, or MEMKIND_ERROR_INVALID for NULL or unregistered kinds
 * (their memory is not touched), or the destroy op's error.
 */
int mk_registry_destroy_kind(struct memkind *kind)
{
    if (!kind)
        return MEMKIND_ERROR_INVALID;
    if (kind->flags & MK_KIND_STATIC)
        return 0;
    mk_mutex_lock(&registry_lock, MK_RANK_REGISTRY);
    unsigned slot = kind->partition;
    if (slot < MEMKIND_NUM_BASE_KIND || slot >= MEMKIND_MAX_KIND ||
        atomic_load(&mk_registry_slots[slot]) != kind || kind->dying) {
        mk_mutex_unlock(&registry_lock, MK_RANK_REGISTRY);
        return MEMKIND_ERROR_INVALID;
    }
    /* The purger may be decaying the kind: it unpins when done, and pins
     * it no more once dying is set.  The wait releases the lock, so thread
     * exits and other kinds' creation go on meanwhile. */
    kind->dying = true;
    while (kind->pins)
        mk_cond_wait(&unpinned, &registry_lock, MK_RANK_REGISTRY);
    atomic_store_explicit(&mk_registry_slots[slot], NULL, memory_order_release);
    ndynamic--;
    int err = kind_op_destroy(kind);
    mk_memtier_counters_forget(slot);
    mk_mutex_unlock(&registry_lock, MK_RANK_REGISTRY);
    kind->gen = 0;
    mk_meta_free(kind);
    return err;
}

/* Pins the live kind of slot when any is true or its backing matches. */
static struct memkind *pin(unsigned slot, bool any, enum mk_backing backing)
{
    mk_mutex_lock(&registry_lock, MK_RANK_REGISTRY);
    struct memkind *k = mk_registry_get(slot);
    if (k && ((!any && k->backing != backing) || k->dying))
        k = NULL;
    if (k)
        k->pins++;
    mk_mutex_unlock(&registry_lock, MK_RANK_REGISTRY);
    return k;
}

struct memkind *mk_registry_pin(unsigned slot, enum mk_backing backing)
{
    return pin(slot, false, backing);
}

struct memkind *mk_registry_pin_any(unsigned slot)
{
    return pin(slot, true, MK_BACKING_NUMA);
}

void mk_registry_unpin(struct memkind *kind)
{
    mk_mutex_lock(&registry_lock, MK_RANK_REGISTRY);
    if (--kind->pins == 0 && kind->dying)
        mk_lock_check(pthread_cond_broadcast(&unpinned),
                      "pthread_cond_broadcast", MK_RANK_REGISTRY);
    mk_mutex_unlock(&registry_lock, MK_RANK_REGISTRY);
}

/*
 * In a forked child: the purger, the only pinner, does not exist, so its
 * pins are dropped; a kind whose destroy was waiting in the parent is whole
 * and published in the child, where nobody destroys it: it may be pinned
 * again.  unpinned is made anew: it may record the parent's waiters.
 */
void mk_registry_drop_pins_in_child(void)
{
    mk_mutex_lock(&registry_lock, MK_RANK_REGISTRY);
    for (unsigned s = MEMKIND_NUM_BASE_KIND; s < MEMKIND_MAX_KIND; s++) {
        struct memkind *k = mk_registry_get(s);
        if (k) {
            k->pins = 0;
            k->dying = false;
        }
    }
    mk_lock_check(pthread_cond_init(&unpinned, NULL), "pthread_cond_init",
                  MK_RANK_REGISTRY);
    mk_mutex_unlock(&registry_lock, MK_RANK_REGISTRY);
}

/* For walkers that must see kinds stay put (thread exit, the purger, the
 * fork protocol). */
void mk_registry_lock(void)
{
    mk_mutex_lock(&registry_lock, MK_RANK_REGISTRY);
}

void mk_registry_unlock(void)
{
    mk_mutex_unlock(&registry_lock, MK_RANK_REGISTRY);
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_err;

static void lib_init(void)
{
    lib_err = mk_fork_init();
    if (lib_err)
        return;
    lib_err = mk_arena_global_init();
    if (lib_err)
        mk_log_fatal("library initialisation failed (error %d)", lib_err);
}

/* Runs the one-time library set-up.  Returns 0 or MEMKIND_ERROR_*. */
int mk_library_init(void)
{
    (void)pthread_once(&lib_once, lib_init);
    return lib_err;
}

/*
 * Library constructor: initialise before main() so that the address map
 * exists before jemalloc's first mapping is made.  Priority 102 (after
 * fault.c's 101): in a program linked with the static archives, the
 * constructors of all objects run in one list, and libmemtier.a's (which
 * allocates through this library) must find it initialised, as the
 * dynamic loader guarantees for the shared libraries by their order.
 */
__attribute__((constructor(102))) static void mk_registry_ctor(void)
{
    (void)mk_library_init();
}
