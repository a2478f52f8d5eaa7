// SPDX-License-Identifier: BSD-2-Clause
/*
 * memtier.c - the memtier_* tiering API of memkind_memtier.h (libmemtier(3)).
 *
 * Owns the tier builder, the memtier_memory objects, the two placement
 * policies and the memtier_kind_* / memtier_* allocation entry points with
 * their decorator hooks.  Does not own the per-kind byte counters: it adds
 * each block's usable size to them and the policies read them, both
 * through memtier_counters.h, and memtier_kind_allocated_size() lives
 * there too (src/memtier_counters.c).  It allocates nothing itself: every
 * block comes from memkind_malloc() and friends, and every kind lookup goes
 * through memkind_detect_kind(), so this file uses only the public memkind
 * API.  Its own metadata (builders, memories) lives in the private
 * jemalloc (mk_meta_*).  The LD_PRELOAD library (src/memtier_preload/) is a
 * client of this file.
 *
 * Locks: none.  A memory's thresholds are adjusted by one thread at a time
 * (a try-flag, never waited on); readers load them with relaxed atomics.
 */
#include "config.h"

#include <memkind_memtier.h>

#include <memkind.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_private.h>

#include "memtier_counters.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* COMPAT(1.14): failures of the builder functions are -1, not a
 * MEMKIND_ERROR_* code - libmemtier(3) only says "other values". */
#define MT_FAIL (-1)

/* DYNAMIC_THRESHOLD defaults, libmemtier(3) and libmemtier(7) POLICIES:
 * threshold ID starts at 1024 * (ID + 1) and moves within [val - 511,
 * val + 512].  COMPAT(1.14): the 1.14 binary used [val - 512, val + 511];
 * we follow the man pages. */
#define MT_THRES_STEP      1024u
#define MT_THRES_BELOW     511u
#define MT_THRES_ABOVE     512u
#define MT_DEFAULT_CHECK   20u
#define MT_DEFAULT_TRIGGER 0.02f
#define MT_DEFAULT_DEGREE  0.15f

#define MT_CTL_PREFIX "policy.dynamic_threshold."

/* Decorators (libmemtier(3) DECORATORS): weak, defined (if at all) by the
 * application, which may read and change the result.  Without a
 * definition each costs one test of a null address. */
#pragma weak memtier_kind_malloc_post
#pragma weak memtier_kind_calloc_post
#pragma weak memtier_kind_posix_memalign_post
#pragma weak memtier_kind_realloc_post
#pragma weak memtier_kind_free_pre
#pragma weak memtier_kind_usable_size_post
void memtier_kind_malloc_post(memkind_t, size_t, void **);
void memtier_kind_calloc_post(memkind_t, size_t, size_t, void **);
void memtier_kind_posix_memalign_post(memkind_t, void **, size_t, size_t,
                                      int *);
/* COMPAT(1.14): libmemtier(3) of 1.14 shows a memkind_t * first parameter;
 * like the other hooks (and memkind_realloc_post of memkind(3)) it gets the
 * kind itself.  Both are one pointer, so either definition links. */
void memtier_kind_realloc_post(memkind_t, void *, size_t, void **);
void memtier_kind_free_pre(void **);
void memtier_kind_usable_size_post(void **, size_t);

/* ------------------------------------------------------------- builder */

/* One tier as configured.  thres is the threshold between this tier and the
 * next one; it is meaningful once a next tier exists. */
struct mt_tier_cfg {
    memkind_t kind; ///< memory of the tier
    unsigned ratio; ///< weight, > 0
    size_t thr_val; ///< initial threshold to the next tier
    size_t thr_min; ///< lowest value the threshold may take
    size_t thr_max; ///< highest value the threshold may take
};

struct memtier_builder {
    memtier_policy_t policy;   ///< policy of the memories it builds
    unsigned size;             ///< tiers added
    unsigned cap;              ///< capacity of tiers[]
    struct mt_tier_cfg *tiers; ///< tiers in the order they were added
    unsigned check_cnt;        ///< DYNAMIC: allocations between checks
    float trigger;             ///< DYNAMIC: ratio error that triggers
    float degree;              ///< DYNAMIC: relative threshold step
};

MK_EXPORT struct memtier_builder *memtier_builder_new(memtier_policy_t policy)
{
    if ((unsigned)policy >= MEMTIER_POLICY_MAX_VALUE) {
        mk_log_err("memtier: unknown policy %u", (unsigned)policy);
        return NULL;
    }
    struct memtier_builder *b = mk_meta_calloc(1, sizeof(*b));
    if (!b) {
        mk_log_err("memtier: cannot allocate a builder");
        return NULL;
    }
    *b = (struct memtier_builder){
        .policy = policy,
        .check_cnt = MT_DEFAULT_CHECK,
        .trigger = MT_DEFAULT_TRIGGER,
        .degree = MT_DEFAULT_DEGREE,
    };
    return b;
}

MK_EXPORT void memtier_builder_delete(struct memtier_builder *builder)
{
    /* COMPAT(1.14): 1.14 crashed on NULL; free(3) semantics are kinder. */
    if (!builder)
        return;
    mk_meta_free(builder->tiers);
    mk_meta_free(builder);
}

/*
 * Appends a tier.  Kinds must be distinct: a tier is known by its kind's
 * counter, so two tiers of one kind could never be told apart.  Since every
 * live kind has a distinct partition below MEMKIND_MAX_KIND, that is also
 * the bound on tiers.  Returns 0 or -1; the builder is unchanged on error.
 */
MK_EXPORT int memtier_builder_add_tier(struct memtier_builder *builder,
                                       memkind_t kind, unsigned kind_ratio)
{
    if (!builder) {
        mk_log_err("memtier: builder is NULL");
        return MT_FAIL;
    }
    if (!kind) {
        mk_log_err("memtier: kind is NULL");
        return MT_FAIL;
    }
    /* COMPAT(1.14): 1.14 accepted ratio 0 and then divided by it;
     * libmemtier(7) gives the range as 1 to UINT_MAX. */
    if (kind_ratio == 0) {
        mk_log_err("memtier: ratio of kind %s must be at least 1", kind->name);
        return MT_FAIL;
    }
    for (unsigned i = 0; i < builder->size; ++i) {
        if (builder->tiers[i].kind == kind) {
            mk_log_err("memtier: kind %s is already a tier", kind->name);
            return MT_FAIL;
        }
    }
    if (builder->size >= MEMKIND_MAX_KIND) {
        mk_log_err("memtier: too many tiers (at most %d)", MEMKIND_MAX_KIND);
        return MT_FAIL;
    }
    if (builder->size == builder->cap) {
        unsigned cap = builder->cap ? builder->cap * 2 : 4;
        struct mt_tier_cfg *t =
            mk_meta_realloc(builder->tiers, cap * sizeof(*t));
        if (!t) {
            mk_log_err("memtier: cannot grow the tier list");
            return MT_FAIL;
        }
        builder->tiers = t;
        builder->cap = cap;
    }
    size_t init = (size_t)MT_THRES_STEP * (builder->size + 1);
    builder->tiers[builder->size] = (struct mt_tier_cfg){
        .kind = kind,
        .ratio = kind_ratio,
        .thr_val = init,
        .thr_min = init - MT_THRES_BELOW,
        .thr_max = init + MT_THRES_ABOVE,
    };
    builder->size++;
    return 0;
}

/* ------------------------------------------------------------ memtier_ctl */

enum mt_field
{
    MT_F_VAL,
    MT_F_MIN,
    MT_F_MAX,
};

/*
 * Parses "thresholds[ID].val|min|max" (after the policy prefix).  ID is
 * plain decimal.  COMPAT(1.14): 1.14 also took " 0", "+0" and let
 * 4294967296 wrap to 0; we take digits only and refuse overflow.  Returns
 * true on success.
 */
static bool mt_parse_threshold(const char *s, unsigned *id,
                               enum mt_field *field)
{
    static const char head[] = "thresholds[";
    if (strncmp(s, head, sizeof(head) - 1) != 0)
        return false;
    s += sizeof(head) - 1;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long v = 0;
    for (; *s >= '0' && *s <= '9'; ++s) {
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > UINT_MAX)
            return false;
    }
    *id = (unsigned)v;
    if (strcmp(s, "].val") == 0)
        *field = MT_F_VAL;
    else if (strcmp(s, "].min") == 0)
        *field = MT_F_MIN;
    else if (strcmp(s, "].max") == 0)
        *field = MT_F_MAX;
    else
        return false;
    return true;
}

/* NaN compares false with everything, so this refuses it too. */
static inline bool mt_is_nonneg(float f)
{
    return f >= 0.0f;
}

/*
 * Sets one DYNAMIC_THRESHOLD parameter (names in libmemtier(3)).  The
 * threshold fields are checked against each other only at construction,
 * because setting val, min and max one at a time passes through
 * inconsistent states.  Returns 0 or -1.
 */
MK_EXPORT int memtier_ctl_set(struct memtier_builder *builder, const char *name,
                              const void *val)
{
    if (!builder || !name || !val) {
        mk_log_err("memtier: ctl_set needs a builder, a name and a value");
        return MT_FAIL;
    }
    /* COMPAT(1.14): every name belongs to DYNAMIC_THRESHOLD; a
     * STATIC_RATIO builder knows none of them. */
    size_t plen = sizeof(MT_CTL_PREFIX) - 1;
    if (builder->policy != MEMTIER_POLICY_DYNAMIC_THRESHOLD ||
        strncmp(name, MT_CTL_PREFIX, plen) != 0)
        goto err_name;
    const char *rest = name + plen;

    unsigned id;
    enum mt_field field;
    if (mt_parse_threshold(rest, &id, &field)) {
        /* Threshold ID lies between tiers ID and ID + 1. */
        if (builder->size < 2 || id > builder->size - 2) {
            mk_log_err("memtier: threshold %u needs %u tiers, builder has %u",
                       id, id + 2, builder->size);
            return MT_FAIL;
        }
        size_t v = *(const size_t *)val;
        struct mt_tier_cfg *t = &builder->tiers[id];
        if (field == MT_F_VAL)
            t->thr_val = v;
        else if (field == MT_F_MIN)
            t->thr_min = v;
        else
            t->thr_max = v;
        return 0;
    }
    if (strcmp(rest, "check_cnt") == 0) {
        /* COMPAT(1.14): 0 is accepted and means "never adjust". */
        builder->check_cnt = *(const unsigned *)val;
        return 0;
    }
    if (strcmp(rest, "trigger") == 0 || strcmp(rest, "degree") == 0) {
        float f = *(const float *)val;
        /* COMPAT(1.14): any value is stored; a negative one makes
         * memtier_builder_construct_memtier_memory() fail, as in 1.14. */
        if (rest[0] == 't')
            builder->trigger = f;
        else
            builder->degree = f;
        return 0;
    }
err_name:
    mk_log_err("memtier: unknown control name %s", name);
    return MT_FAIL;
}

/* -------------------------------------------------------------- memory */

/* A threshold as the running memory keeps it. */
struct mt_threshold {
    _Atomic size_t val; ///< sizes below go to the lower tier
    size_t min;         ///< lowest value val may take
    size_t max;         ///< highest value val may take
    double exp_ratio;   ///< wanted bytes(upper) / bytes(lower)
};

struct mt_tier {
    memkind_t kind;         ///< memory of the tier
    double weight;          ///< 1 / ratio (STATIC_RATIO)
    struct mt_threshold th; ///< to the next tier (DYNAMIC_THRESHOLD)
};

struct memtier_memory {
    _Atomic unsigned long ops; ///< DYNAMIC: allocations so far
    atomic_bool adjusting;     ///< DYNAMIC: a thread is moving thresholds
    /* keeps the read-mostly fields below off the counter's cache line */
    char pad[64];
    memtier_policy_t policy; ///< placement policy
    unsigned size;           ///< number of tiers
    unsigned check_cnt;      ///< allocations between checks; 0 = never
    double trigger;          ///< ratio error that moves a threshold
    double degree;           ///< relative size of one threshold move
    struct mt_tier tiers[];  ///< size entries
};

/* Checks a DYNAMIC_THRESHOLD configuration: every threshold within its own
 * range, ranges in increasing order.  Returns true when usable. */
static bool mt_thresholds_ok(const struct memtier_builder *b)
{
    for (unsigned i = 0; i + 1 < b->size; ++i) {
        const struct mt_tier_cfg *t = &b->tiers[i];
        if (t->thr_min > t->thr_val) {
            mk_log_err("memtier: threshold %u: min %zu is above val %zu", i,
                       t->thr_min, t->thr_val);
            return false;
        }
        if (t->thr_val > t->thr_max) {
            mk_log_err("memtier: threshold %u: val %zu is above max %zu", i,
                       t->thr_val, t->thr_max);
            return false;
        }
        /* Equal bounds are allowed, as in 1.14. */
        if (i > 0 && b->tiers[i - 1].thr_max > t->thr_min) {
            mk_log_err("memtier: threshold %u: max %zu is above min %zu of "
                       "threshold %u",
                       i - 1, b->tiers[i - 1].thr_max, t->thr_min, i);
            return false;
        }
    }
    return true;
}

/*
 * Copies the builder's configuration into a new memory; the builder may be
 * changed or deleted afterwards.  Returns NULL when the builder is NULL, has
 * no tier (STATIC_RATIO) or fewer than two (DYNAMIC_THRESHOLD), has
 * inconsistent thresholds, or memory is short.
 */
MK_EXPORT struct memtier_memory *
memtier_builder_construct_memtier_memory(struct memtier_builder *builder)
{
    if (!builder) {
        mk_log_err("memtier: builder is NULL");
        return NULL;
    }
    bool dynamic = builder->policy == MEMTIER_POLICY_DYNAMIC_THRESHOLD;
    if (builder->size < (dynamic ? 2u : 1u)) {
        mk_log_err("memtier: policy needs at least %u tier(s), builder has %u",
                   dynamic ? 2u : 1u, builder->size);
        return NULL;
    }
    if (dynamic) {
        if (!mt_thresholds_ok(builder))
            return NULL;
        if (!mt_is_nonneg(builder->trigger) || !mt_is_nonneg(builder->degree)) {
            mk_log_err("memtier: trigger and degree must be >= 0");
            return NULL;
        }
    }
    struct memtier_memory *m =
        mk_meta_calloc(1, sizeof(*m) + builder->size * sizeof(m->tiers[0]));
    if (!m) {
        mk_log_err("memtier: cannot allocate a tiered memory");
        return NULL;
    }
    m->policy = builder->policy;
    m->size = builder->size;
    m->check_cnt = builder->check_cnt;
    m->trigger = builder->trigger;
    m->degree = builder->degree;
    atomic_init(&m->ops, 0);
    atomic_init(&m->adjusting, false);
    for (unsigned i = 0; i < builder->size; ++i) {
        const struct mt_tier_cfg *c = &builder->tiers[i];
        struct mt_tier *t = &m->tiers[i];
        t->kind = c->kind;
        t->weight = 1.0 / (double)c->ratio;
        atomic_init(&t->th.val, c->thr_val);
        t->th.min = c->thr_min;
        t->th.max = c->thr_max;
        t->th.exp_ratio = i + 1 < builder->size
                              ? (double)builder->tiers[i + 1].ratio / c->ratio
                              : 0.0;
    }
    return m;
}

MK_EXPORT void memtier_delete_memtier_memory(struct memtier_memory *memory)
{
    /* COMPAT(1.14): 1.14 crashed on NULL. */
    mk_meta_free(memory);
}

/* ------------------------------------------------------------- policies */

/* STATIC_RATIO: the tier whose bytes / ratio is smallest, i.e. furthest
 * below its share; ties go to the earlier tier. */
static memkind_t mt_pick_static(const struct memtier_memory *m)
{
    unsigned best = 0;
    double best_score =
        (double)mk_memtier_counters_read_approx(m->tiers[0].kind) *
        m->tiers[0].weight;
    for (unsigned i = 1; i < m->size; ++i) {
        double s = (double)mk_memtier_counters_read_approx(m->tiers[i].kind) *
                   m->tiers[i].weight;
        if (s < best_score) {
            best_score = s;
            best = i;
        }
    }
    return m->tiers[best].kind;
}

/* DYNAMIC_THRESHOLD: the first tier whose threshold is above size; sizes
 * at or above every threshold go to the last tier (libmemtier(3)). */
static memkind_t mt_pick_dynamic(const struct memtier_memory *m, size_t size)
{
    unsigned i = 0;
    for (; i + 1 < m->size; ++i) {
        if (size <
            atomic_load_explicit(&m->tiers[i].th.val, memory_order_relaxed))
            break;
    }
    return m->tiers[i].kind;
}

static memkind_t mt_pick(const struct memtier_memory *m, size_t size)
{
    if (m->size == 1)
        return m->tiers[0].kind;
    if (m->policy == MEMTIER_POLICY_STATIC_RATIO)
        return mt_pick_static(m);
    return mt_pick_dynamic(m, size);
}

/*
 * Moves each threshold by degree (at least one byte) towards the ratio of
 * its two tiers, when the observed ratio bytes(upper) / bytes(lower) is off
 * by trigger or more; libmemtier(3) policy.dynamic_threshold.*.  Too much in
 * the upper tier raises the threshold, too little lowers it, always within
 * [min, max].
 */
static void mt_adjust(struct memtier_memory *m)
{
    for (unsigned i = 0; i + 1 < m->size; ++i) {
        struct mt_threshold *th = &m->tiers[i].th;
        long long lo = mk_memtier_counters_read_approx(m->tiers[i].kind);
        long long hi = mk_memtier_counters_read_approx(m->tiers[i + 1].kind);
        if (hi <= 0 && lo <= 0)
            continue;
        /* An empty lower tier reads as an infinite ratio: raise. */
        bool raise;
        if (lo <= 0) {
            raise = true;
        } else {
            double cur = (hi > 0 ? (double)hi : 0.0) / (double)lo;
            double diff = cur - th->exp_ratio;
            if ((diff < 0 ? -diff : diff) < m->trigger)
                continue;
            raise = diff > 0;
        }
        size_t v = atomic_load_explicit(&th->val, memory_order_relaxed);
        double d = (double)v * m->degree;
        size_t step = d >= (double)SIZE_MAX ? SIZE_MAX : (size_t)d;
        if (step == 0 && m->degree > 0)
            step = 1;
        if (raise)
            v = th->max - v <= step ? th->max : v + step;
        else
            v = v - th->min <= step ? th->min : v - step;
        atomic_store_explicit(&th->val, v, memory_order_relaxed);
    }
}

/* Counts one allocating call on memory and, every check_cnt calls, lets
 * one thread re-balance the thresholds. */
static void mt_after_alloc(struct memtier_memory *m)
{
    if (m->policy != MEMTIER_POLICY_DYNAMIC_THRESHOLD || m->check_cnt == 0)
        return;
    unsigned long n =
        atomic_fetch_add_explicit(&m->ops, 1, memory_order_relaxed) + 1;
    if (n % m->check_cnt != 0)
        return;
    if (atomic_exchange_explicit(&m->adjusting, true, memory_order_acquire))
        return; /* another thread is at it */
    mt_adjust(m);
    atomic_store_explicit(&m->adjusting, false, memory_order_release);
}

/* ---------------------------------------------------- kind allocations */

/* Usable size of a block known to belong to kind: what its count moves by. */
static inline long long mt_usable(memkind_t kind, void *ptr)
{
    return (long long)memkind_malloc_usable_size(kind, ptr);
}

/* The _post decorators run after the count, so a hook that frees or
 * replaces the result sees (and leaves) consistent counters only if it
 * goes through memtier_* itself; libmemtier(3). */
MK_EXPORT void *memtier_kind_malloc(memkind_t kind, size_t size)
{
    void *p = memkind_malloc(kind, size);
    if (p)
        mk_memtier_counters_add(kind, mt_usable(kind, p));
    if (MK_UNLIKELY(memtier_kind_malloc_post != NULL))
        memtier_kind_malloc_post(kind, size, &p);
    return p;
}

MK_EXPORT void *memtier_kind_calloc(memkind_t kind, size_t num, size_t size)
{
    void *p = memkind_calloc(kind, num, size);
    if (p)
        mk_memtier_counters_add(kind, mt_usable(kind, p));
    if (MK_UNLIKELY(memtier_kind_calloc_post != NULL))
        memtier_kind_calloc_post(kind, num, size, &p);
    return p;
}

MK_EXPORT int memtier_kind_posix_memalign(memkind_t kind, void **memptr,
                                          size_t alignment, size_t size)
{
    int err = memkind_posix_memalign(kind, memptr, alignment, size);
    if (err == 0 && *memptr)
        mk_memtier_counters_add(kind, mt_usable(kind, *memptr));
    if (MK_UNLIKELY(memtier_kind_posix_memalign_post != NULL))
        memtier_kind_posix_memalign_post(kind, memptr, alignment, size, &err);
    return err;
}

/*
 * Frees ptr and takes its usable size off its kind's count.  kind NULL is
 * looked up; a pointer no kind owns is left alone.  errno is preserved.
 */
MK_EXPORT void memtier_kind_free(memkind_t kind, void *ptr)
{
    int oerrno = errno;
    if (MK_UNLIKELY(memtier_kind_free_pre != NULL)) {
        memtier_kind_free_pre(&ptr);
        errno = oerrno;
    }
    if (!ptr)
        return;
    if (!kind) {
        kind = memkind_detect_kind(ptr);
        /* COMPAT(1.14): 1.14 crashed on pointers it did not allocate. */
        if (!kind) {
            errno = oerrno;
            return;
        }
    }
    mk_memtier_counters_add(kind, -mt_usable(kind, ptr));
    memkind_free(kind, ptr);
    errno = oerrno;
}

/*
 * memkind_realloc() with the count moved from the old usable size to the
 * new one.  On failure ptr and the count are unchanged.  Returns the new
 * block, or NULL (with errno from memkind_realloc).
 */
MK_EXPORT void *memtier_kind_realloc(memkind_t kind, void *ptr, size_t size)
{
    if (!ptr) {
        /* memkind(3): NULL kind and NULL ptr is EINVAL. */
        if (!kind) {
            errno = EINVAL;
            return NULL;
        }
        return memtier_kind_malloc(kind, size);
    }
    if (size == 0) {
        memtier_kind_free(kind, ptr);
        return NULL;
    }
    if (!kind) {
        kind = memkind_detect_kind(ptr);
        if (!kind) {
            errno = EINVAL;
            return NULL;
        }
    }
    long long before = mt_usable(kind, ptr);
    void *p = memkind_realloc(kind, ptr, size);
    if (p)
        mk_memtier_counters_add(kind, mt_usable(kind, p) - before);
    if (MK_UNLIKELY(memtier_kind_realloc_post != NULL))
        memtier_kind_realloc_post(kind, ptr, size, &p);
    return p;
}

MK_EXPORT size_t memtier_usable_size(void *ptr)
{
    size_t n = memkind_malloc_usable_size(NULL, ptr);
    if (MK_UNLIKELY(memtier_kind_usable_size_post != NULL))
        memtier_kind_usable_size_post(&ptr, n);
    return n;
}

/* ------------------------------------------------- memory allocations */

/* COMPAT(1.14): a NULL memory crashed 1.14; we fail like a NULL kind in
 * memkind(3): NULL with errno EINVAL. */
MK_EXPORT void *memtier_malloc(struct memtier_memory *memory, size_t size)
{
    if (!memory) {
        errno = EINVAL;
        return NULL;
    }
    void *p = memtier_kind_malloc(mt_pick(memory, size), size);
    mt_after_alloc(memory);
    return p;
}

MK_EXPORT void *memtier_calloc(struct memtier_memory *memory, size_t num,
                               size_t size)
{
    if (!memory) {
        errno = EINVAL;
        return NULL;
    }
    /* An overflowing product is refused by memkind_calloc (ENOMEM); any
     * tier will do for it. */
    size_t total;
    if (__builtin_mul_overflow(num, size, &total))
        total = SIZE_MAX;
    void *p = memtier_kind_calloc(mt_pick(memory, total), num, size);
    mt_after_alloc(memory);
    return p;
}

/*
 * Resizes ptr on the tier it already lives on (libmemtier(3)); only a NULL
 * ptr consults the policy.  Returns as memkind_realloc().
 */
MK_EXPORT void *memtier_realloc(struct memtier_memory *memory, void *ptr,
                                size_t size)
{
    if (!ptr)
        return memtier_malloc(memory, size);
    if (size == 0) {
        memtier_kind_free(NULL, ptr);
        return NULL;
    }
    void *p = memtier_kind_realloc(memkind_detect_kind(ptr), ptr, size);
    if (memory)
        mt_after_alloc(memory);
    return p;
}

MK_EXPORT int memtier_posix_memalign(struct memtier_memory *memory,
                                     void **memptr, size_t alignment,
                                     size_t size)
{
    if (!memory) {
        if (memptr)
            *memptr = NULL;
        return EINVAL;
    }
    int err = memtier_kind_posix_memalign(mt_pick(memory, size), memptr,
                                          alignment, size);
    mt_after_alloc(memory);
    return err;
}
