// SPDX-License-Identifier: BSD-2-Clause
/*
 * interpose.c - libmemtier.so: the malloc family of the C library replaced
 * by memory tiering (libmemtier(7)).
 *
 * Owns the interposed entry points (malloc, calloc, realloc, reallocarray,
 * free, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
 * malloc_usable_size and 1.14's je_* aliases), the constructor that turns
 * MEMKIND_MEM_TIERS into a memtier_memory, and the routing of every
 * request.  Parsing is ctl.c's; the before/after heap is bootstrap.c's;
 * placement and counting are libmemkind's memtier_* API.
 *
 * Where a new block comes from:
 *   - nested call (the thread is already inside the tiering layer, which
 *     called into the C library, which called malloc): the C library;
 *   - tiers built (MT_TIERED): memtier_malloc() and friends;
 *   - configuration missing or wrong (MT_LIBC): the C library;
 *   - before the constructor (MT_BOOT) and after the destructor (MT_DONE):
 *     the bootstrap region, the C library once that is full.
 * Where a block goes back to is decided by its address, whatever the state:
 * bootstrap region (nothing to do), a memkind kind (memkind_detect_kind():
 * memtier_kind_free), anything else belongs to the C library (__libc_free).
 * That also covers blocks of the C library's own aligned allocators.
 *
 * Nothing is ever torn down: the destructor only stops new requests from
 * reaching the tiers.  Exit handlers and destructors that run later, and
 * the C library's final flush of stdio buffers, still find every block
 * where it was (memkind 1.14 unmapped its tiers there and lost sqlite3's
 * buffered output).
 *
 * The recursion guard is one initial-exec TLS int.  Initial-exec marks this
 * module DF_STATIC_TLS, which costs nothing for a preloaded library (the
 * loader gives it static TLS at start-up); libmemkind keeps its dynamic
 * TLS and stays dlopen()-able.
 *
 * Built with -fno-builtin so that the compiler never turns code here into
 * calls to the functions being defined.
 */
#include "config.h"

#include <malloc.h>
#include <stdlib.h>

#include "bootstrap.h"
#include "ctl.h"

#include <memkind.h>
#include <memkind/internal/memkind_log.h>
#include <memkind/internal/memkind_private.h>
#include <memkind_memtier.h>

#include <dlfcn.h>
#include <errno.h>
#include <gnu/lib-names.h>
#include <limits.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The C library's allocator under its own names (glibc exports them for
 * malloc replacements like this one). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t num, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *ptr);

enum mt_state
{
    MT_BOOT = 0, ///< before the constructor: bootstrap region
    MT_TIERED,   ///< tiers built: memtier_*
    MT_LIBC,     ///< no usable configuration: the C library
    MT_DONE,     ///< after the destructor: bootstrap region
};

static _Atomic int mt_state; ///< enum mt_state
/* Written once by the constructor before mt_state becomes MT_TIERED
 * (release), read after an acquire load of mt_state. */
static struct memtier_memory *mt_memory;
/* The kind of a one-tier configuration, else NULL.  One tier has nothing
 * to balance, so its blocks bypass memtier_* and its byte counters (the
 * counting costs two usable-size lookups and two atomic updates per
 * malloc/free pair): malloc is memkind_malloc(mt_single, ...), free is
 * memkind_free().  Same publication rule as mt_memory. */
static memkind_t mt_single;
static unsigned mt_log_level;
static size_t mt_page = 4096; ///< replaced by sysconf() in the constructor
/* glibc's malloc_usable_size, found with dlsym() (glibc exports no __libc_
 * name for it). */
static size_t (*_Atomic mt_libc_usable)(void *);

/* Set while this thread runs tiering code: a malloc from inside it (the
 * C library called by libmemkind or libnuma) goes to the C library. */
static __thread int mt_busy __attribute__((tls_model("initial-exec")));

/* Messages the user asked for with the log level variables.  log.c prints
 * info only under MEMKIND_DEBUG=1, so these go out as warnings. */
#define mt_info(...)                                                           \
    do {                                                                       \
        if (mt_log_level >= 1)                                                 \
            mk_log_warn(__VA_ARGS__);                                          \
    } while (0)
#define mt_debug(...)                                                          \
    do {                                                                       \
        if (mt_log_level >= 2)                                                 \
            mk_log_warn(__VA_ARGS__);                                          \
    } while (0)

/* --------------------------------------------------------------- routing */

/* Block of size bytes (alignment align, or the default when 0) outside the
 * tiers, for state st: the bootstrap region first where the state wants
 * it, the C library otherwise or when the region is full.  zero: calloc.
 * Returns NULL with errno ENOMEM (or EINVAL from the C library). */
static void *other_alloc(int st, size_t size, size_t align, bool zero)
{
    if (st == MT_BOOT || st == MT_DONE) {
        void *p = mk_boot_alloc(size, align);
        if (p)
            return p; /* fresh region memory is zero already */
    }
    if (align)
        return __libc_memalign(align, size);
    return zero ? __libc_calloc(1, size) : __libc_malloc(size);
}

/* Where new blocks of this thread come from now. */
static inline int new_block_route(void)
{
    if (MK_UNLIKELY(mt_busy))
        return MT_LIBC;
    return atomic_load_explicit(&mt_state, memory_order_acquire);
}

/*
 * A new block of size bytes aligned to align (0: malloc's alignment;
 * otherwise a power of two >= sizeof(void *)), zeroed when zero is set.
 * Size 0 gives a unique minimal block, as the C library does.  Returns NULL
 * with errno ENOMEM when memory is short.
 */
static void *new_block(size_t size, size_t align, bool zero)
{
    int st = new_block_route();
    if (st != MT_TIERED)
        return other_alloc(st, size, align, zero);
    if (size == 0)
        size = 1;
    void *p = NULL;
    int err = 0;
    mt_busy = 1;
    if (mt_single) {
        if (align)
            err = memkind_posix_memalign(mt_single, &p, align, size);
        else if (zero)
            p = memkind_calloc(mt_single, 1, size);
        else
            p = memkind_malloc(mt_single, size);
    } else {
        if (align)
            err = memtier_posix_memalign(mt_memory, &p, align, size);
        else if (zero)
            p = memtier_calloc(mt_memory, 1, size);
        else
            p = memtier_malloc(mt_memory, size);
    }
    mt_busy = 0;
    if (err) {
        p = NULL;
        errno = ENOMEM;
    }
    return p;
}

/* Frees a block of kind, nested or not.  errno is kept (memtier_kind_free
 * and memkind_free keep it). */
static inline void kind_free(memkind_t kind, void *ptr)
{
    int busy = mt_busy;
    mt_busy = 1;
    if (mt_single)
        memkind_free(kind, ptr);
    else
        memtier_kind_free(kind, ptr);
    mt_busy = busy;
}

/*
 * Finds the C library's malloc_usable_size in the C library itself, not in
 * whatever object follows this one (another preloaded allocator would).
 * The loader may allocate meanwhile: that goes to the C library.  errno is
 * kept.  Returns the function or NULL.
 */
static size_t (*find_libc_usable(void))(void *)
{
    int oerrno = errno;
    int busy = mt_busy;
    mt_busy = 1;
    void *fn = NULL;
    void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
    if (libc) {
        fn = dlsym(libc, "malloc_usable_size");
        (void)dlclose(libc); /* RTLD_NOLOAD: only drops our reference */
    }
    if (!fn)
        fn = dlsym(RTLD_NEXT, "malloc_usable_size");
    mt_busy = busy;
    errno = oerrno;
    return (size_t(*)(void *))fn;
}

static size_t libc_usable_size(void *ptr)
{
    size_t (*fn)(void *) =
        atomic_load_explicit(&mt_libc_usable, memory_order_acquire);
    if (MK_UNLIKELY(!fn)) {
        /* Only before the constructor, which looks it up itself. */
        fn = find_libc_usable();
        if (!fn)
            return 0;
        atomic_store_explicit(&mt_libc_usable, fn, memory_order_release);
    }
    return fn(ptr);
}

/*
 * realloc of a bootstrap block: the region never frees, so the block stays
 * when it is big enough and is copied out of the region otherwise.  Size 0
 * frees it (a no-op) and returns NULL, as glibc's realloc(ptr, 0) does.
 */
static void *boot_realloc(void *ptr, size_t size)
{
    size_t old = mk_boot_usable_size(ptr);
    if (size == 0)
        return NULL;
    if (size <= old)
        return ptr;
    void *p = new_block(size, 0, false);
    if (p)
        memcpy(p, ptr, old);
    return p;
}

/*
 * memalign(3) as glibc 2.36 does it: alignments up to that of malloc() are
 * malloc(); others are rounded up to a power of two; absurd ones fail with
 * EINVAL.  Returns NULL with errno ENOMEM or EINVAL.
 */
static void *aligned_block(size_t align, size_t size)
{
    if (align <= sizeof(void *))
        return new_block(size, 0, false);
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align & (align - 1)) {
        size_t a = 2 * alignof(max_align_t);
        while (a < align)
            a <<= 1;
        align = a;
    }
    return new_block(size, align, false);
}

/* ------------------------------------------------------- the malloc family */

/*
 * malloc(3).  The hot path: one TLS load, one state load, one call into
 * libmemkind.  malloc(0) gives a unique block, as glibc's does (memkind
 * 1.14 returned NULL, which broke grep and sed).  Returns NULL with errno
 * ENOMEM on failure.
 */
MK_EXPORT void *malloc(size_t size)
{
    if (MK_LIKELY(!mt_busy) &&
        MK_LIKELY(atomic_load_explicit(&mt_state, memory_order_acquire) ==
                  MT_TIERED)) {
        size += size == 0;
        mt_busy = 1;
        void *p = mt_single ? memkind_malloc(mt_single, size)
                            : memtier_malloc(mt_memory, size);
        mt_busy = 0;
        return p;
    }
    return new_block(size, 0, false);
}

/* calloc(3); num * size is checked.  Returns NULL with errno ENOMEM on
 * overflow or failure. */
MK_EXPORT void *calloc(size_t num, size_t size)
{
    size_t total;
    if (MK_UNLIKELY(__builtin_mul_overflow(num, size, &total))) {
        errno = ENOMEM;
        return NULL;
    }
    return new_block(total, 0, true);
}

/*
 * free(3).  The owner of ptr is found from its address.  errno is never
 * changed: memtier_kind_free keeps it, and so does glibc's free since 2.33.
 */
MK_EXPORT void free(void *ptr)
{
    if (MK_UNLIKELY(!ptr) || MK_UNLIKELY(mk_boot_owns(ptr)))
        return;
    memkind_t kind = memkind_detect_kind(ptr);
    if (MK_LIKELY(kind != NULL))
        kind_free(kind, ptr);
    else
        __libc_free(ptr);
}

/*
 * realloc(3).  A block stays with its owner: a tier block is resized on its
 * tier, a C library block by the C library; a bootstrap block moves to
 * where new blocks come from now.  realloc(ptr, 0) frees ptr and returns
 * NULL, as glibc does.  Returns NULL with errno ENOMEM on failure (ptr is
 * then untouched).
 */
static void *resize_block(void *ptr, size_t size)
{
    if (!ptr)
        return new_block(size, 0, false);
    if (MK_UNLIKELY(mk_boot_owns(ptr)))
        return boot_realloc(ptr, size);
    memkind_t kind = memkind_detect_kind(ptr);
    if (!kind)
        return __libc_realloc(ptr, size);
    if (size == 0) {
        kind_free(kind, ptr);
        return NULL;
    }
    int busy = mt_busy;
    mt_busy = 1;
    void *p;
    if (mt_single)
        p = memkind_realloc(kind, ptr, size);
    else if (!busy &&
             atomic_load_explicit(&mt_state, memory_order_acquire) == MT_TIERED)
        p = memtier_realloc(mt_memory, ptr, size); /* counts for the policy */
    else
        p = memtier_kind_realloc(kind, ptr, size);
    mt_busy = busy;
    return p;
}

/* realloc(3): see resize_block(). */
MK_EXPORT void *realloc(void *ptr, size_t size)
{
    return resize_block(ptr, size);
}

/* reallocarray(3): realloc() with num * size checked; ptr is untouched on
 * overflow.  Returns NULL with errno ENOMEM on overflow or failure. */
MK_EXPORT void *reallocarray(void *ptr, size_t num, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return resize_block(ptr, total);
}

/*
 * posix_memalign(3): EINVAL for an alignment that is not a power of two
 * multiple of sizeof(void *), ENOMEM when memory is short; *memptr is
 * written only on success and errno is left alone, as in glibc.
 */
MK_EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    int oerrno = errno;
    void *p = new_block(size, alignment, false);
    errno = oerrno;
    if (!p)
        return ENOMEM;
    *memptr = p;
    return 0;
}

/* aligned_alloc(3): glibc 2.36 makes it memalign(), and so do we. */
MK_EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
    return aligned_block(alignment, size);
}

/* memalign(3): see aligned_block(). */
MK_EXPORT void *memalign(size_t alignment, size_t size)
{
    return aligned_block(alignment, size);
}

/* valloc(3): page-aligned.  Returns NULL with errno ENOMEM on failure. */
MK_EXPORT void *valloc(size_t size)
{
    return aligned_block(mt_page, size);
}

/* pvalloc(3): whole pages, at least one. */
MK_EXPORT void *pvalloc(size_t size)
{
    size_t rounded;
    if (__builtin_add_overflow(size, mt_page - 1, &rounded)) {
        errno = ENOMEM;
        return NULL;
    }
    rounded &= ~(mt_page - 1);
    return aligned_block(mt_page, rounded ? rounded : mt_page);
}

/* malloc_usable_size(3); never changes errno. */
MK_EXPORT size_t malloc_usable_size(void *ptr)
{
    if (!ptr)
        return 0;
    if (mk_boot_owns(ptr))
        return mk_boot_usable_size(ptr);
    memkind_t kind = memkind_detect_kind(ptr);
    if (kind)
        return memkind_malloc_usable_size(kind, ptr);
    return libc_usable_size(ptr);
}

/*
 * memkind 1.14's libmemtier exported its entry points a second time under
 * jemalloc's je_ names (memtier-1.14-abi.txt).  Nothing documents them, but
 * a program could have bound to them; they stay, as aliases.
 */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 9
/* An alias carries its target's attributes (malloc, alloc_size, ...). */
#define MT_ALIAS(target) __attribute__((alias(#target), copy(target)))
#else
#define MT_ALIAS(target) __attribute__((alias(#target)))
#endif
MK_EXPORT void *je_malloc(size_t size) MT_ALIAS(malloc);
MK_EXPORT void *je_calloc(size_t num, size_t size) MT_ALIAS(calloc);
MK_EXPORT void *je_realloc(void *ptr, size_t size) MT_ALIAS(realloc);
MK_EXPORT void je_free(void *ptr) MT_ALIAS(free);
MK_EXPORT int je_posix_memalign(void **memptr, size_t alignment, size_t size)
    MT_ALIAS(posix_memalign);
MK_EXPORT size_t je_malloc_usable_size(void *ptr) MT_ALIAS(malloc_usable_size);

/* ---------------------------------------------------- building the tiers */

/* strerror_r without the GNU/XSI ambiguity of its return value. */
static const char *mt_strerror(int err, char *buf, size_t len)
{
    return strerror_r(err, buf, len);
}

/*
 * The kind of tier i of cfg: a static kind, or a new PMEM kind for FS_DAX
 * (*created set).  Returns 0, or MEMKIND_ERROR_* with err filled.
 */
static int tier_kind(const struct mk_ctl_config *cfg, unsigned i,
                     memkind_t *kind, bool *created, char *err, size_t len)
{
    const struct mk_ctl_tier *t = &cfg->tiers[i];
    *created = false;
    if (t->kind == MK_CTL_DRAM) {
        *kind = MEMKIND_DEFAULT;
        return 0;
    }
    if (t->kind == MK_CTL_KMEM_DAX) {
        if (memkind_check_available(MEMKIND_DAX_KMEM) != 0) {
            snprintf(err, len,
                     "MEMKIND_MEM_TIERS: tier %u: KIND:KMEM_DAX, but this "
                     "machine has no KMEM DAX memory",
                     i + 1);
            return MEMKIND_ERROR_UNAVAILABLE;
        }
        *kind = MEMKIND_DAX_KMEM;
        return 0;
    }

    char path[PATH_MAX], eb[128];
    struct stat st;
    if (t->path_len >= sizeof(path)) {
        snprintf(err, len, "MEMKIND_MEM_TIERS: tier %u: PATH is too long",
                 i + 1);
        return MEMKIND_ERROR_INVALID;
    }
    memcpy(path, t->path, t->path_len);
    path[t->path_len] = '\0';
    /* Say why a directory is refused; memkind_create_pmem() would only say
     * "invalid argument". */
    const char *why = NULL;
    if (stat(path, &st) != 0)
        why = mt_strerror(errno, eb, sizeof(eb));
    else if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    else if (access(path, W_OK | X_OK) != 0)
        why = mt_strerror(errno, eb, sizeof(eb));
    if (why) {
        snprintf(err, len, "MEMKIND_MEM_TIERS: tier %u: PATH %s: %s", i + 1,
                 path, why);
        return MEMKIND_ERROR_INVALID;
    }
    int r = memkind_create_pmem(path, t->pmem_size, kind);
    if (r != 0) {
        memkind_error_message(r, eb, sizeof(eb));
        snprintf(err, len,
                 "MEMKIND_MEM_TIERS: tier %u: cannot create an FS_DAX kind "
                 "in %s with PMEM_SIZE_LIMIT %zu: %s",
                 i + 1, path, t->pmem_size, eb);
        return r;
    }
    *created = true;
    if (memkind_check_dax_path(path) != 0)
        mt_info("libmemtier: tier %u: %s is not on a DAX file system", i + 1,
                path);
    return 0;
}

/*
 * Makes the kinds and the memtier_memory of cfg.  Nothing is left behind on
 * failure.  Returns 0 with mt_memory set, or MEMKIND_ERROR_* with err
 * filled.
 */
static int build_tiers(const struct mk_ctl_config *cfg, char *err, size_t len)
{
    memkind_t kinds[MK_CTL_MAX_TIERS];
    bool created[MK_CTL_MAX_TIERS] = {false};
    struct memtier_builder *b = NULL;
    unsigned n = 0;
    int r = 0;

    for (; n < cfg->ntiers; ++n) {
        r = tier_kind(cfg, n, &kinds[n], &created[n], err, len);
        if (r)
            goto err_kinds;
    }
    b = memtier_builder_new(cfg->policy);
    if (!b) {
        snprintf(err, len, "%s", "cannot allocate a tier builder");
        r = MEMKIND_ERROR_MALLOC;
        goto err_kinds;
    }
    for (unsigned i = 0; i < cfg->ntiers; ++i) {
        if (memtier_builder_add_tier(b, kinds[i], cfg->tiers[i].ratio)) {
            snprintf(err, len, "MEMKIND_MEM_TIERS: cannot add tier %u", i + 1);
            r = MEMKIND_ERROR_INVALID;
            goto err_builder;
        }
    }
    for (unsigned i = 0; i < cfg->nthresholds; ++i) {
        static const char *const field[] = {"val", "min", "max"};
        const size_t v[] = {cfg->thresholds[i].val, cfg->thresholds[i].min,
                            cfg->thresholds[i].max};
        for (unsigned f = 0; f < 3; ++f) {
            char name[96];
            snprintf(name, sizeof(name),
                     "policy.dynamic_threshold.thresholds[%u].%s", i, field[f]);
            if (memtier_ctl_set(b, name, &v[f])) {
                snprintf(err, len, "MEMKIND_MEM_THRESHOLDS: cannot set %s",
                         name);
                r = MEMKIND_ERROR_INVALID;
                goto err_builder;
            }
        }
    }
    mt_memory = memtier_builder_construct_memtier_memory(b);
    if (!mt_memory) {
        snprintf(err, len, "%s", "cannot build the tiered memory");
        r = MEMKIND_ERROR_INVALID;
        goto err_builder;
    }
    memtier_builder_delete(b);
    if (cfg->ntiers == 1)
        mt_single = kinds[0];
    return 0;

err_builder:
    memtier_builder_delete(b);
err_kinds:
    while (n-- > 0)
        if (created[n])
            (void)memkind_destroy_kind(kinds[n]); /* unused: cannot fail */
    return r;
}

/* Reads the log level: MEMKIND_MEM_TIERS_LOG_LEVEL, or the name memkind
 * 1.14's library read, MEMKIND_MEM_TIERING_LOG_LEVEL. */
static void read_log_level(void)
{
    static const char *const vars[] = {"MEMKIND_MEM_TIERS_LOG_LEVEL",
                                       "MEMKIND_MEM_TIERING_LOG_LEVEL"};
    for (unsigned i = 0; i < 2; ++i) {
        const char *v = secure_getenv(vars[i]);
        if (!v)
            continue;
        /* COMPAT(1.14): 1.14 aborted on a bad value; we warn and go on. */
        if (mk_ctl_parse_log_level(v, &mt_log_level) != 0)
            mk_log_warn("libmemtier: %s=%s is not 0, 1 or 2; using 0", vars[i],
                        v);
        return;
    }
}

static void log_config(const struct mk_ctl_config *cfg)
{
    for (unsigned i = 0; i < cfg->ntiers; ++i) {
        const struct mk_ctl_tier *t = &cfg->tiers[i];
        if (t->kind == MK_CTL_FS_DAX)
            mt_info("libmemtier: tier %u: FS_DAX in %.*s, limit %zu, ratio %u",
                    i + 1, (int)t->path_len, t->path, t->pmem_size, t->ratio);
        else
            mt_info("libmemtier: tier %u: %s, ratio %u", i + 1,
                    mk_ctl_kind_name(t->kind), t->ratio);
    }
    for (unsigned i = 0; i < cfg->nthresholds; ++i)
        mt_info("libmemtier: threshold %u: INIT_VAL %zu, MIN_VAL %zu, "
                "MAX_VAL %zu",
                i + 1, cfg->thresholds[i].val, cfg->thresholds[i].min,
                cfg->thresholds[i].max);
    mt_info("libmemtier: policy %s", cfg->policy == MEMTIER_POLICY_STATIC_RATIO
                                         ? "STATIC_RATIO"
                                         : "DYNAMIC_THRESHOLD");
}

/*
 * Constructor: builds the tiers from the environment.  On any error it
 * prints one message and leaves the program on the C library's allocator.
 * COMPAT(1.14): 1.14 aborted the program instead (libmemtier(7) NOTE).
 */
__attribute__((constructor)) static void mt_init(void)
{
    static struct mk_ctl_config cfg;
    char err[MK_CTL_ERR_LEN];
    int state = MT_LIBC;

    mt_busy = 1;
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0)
        mt_page = (size_t)page;
    read_log_level();
    mt_debug("libmemtier: %zu bytes of the bootstrap region used before "
             "start-up",
             mk_boot_used());
    const char *tiers = secure_getenv("MEMKIND_MEM_TIERS");
    const char *thresholds = secure_getenv("MEMKIND_MEM_THRESHOLDS");
    if (mk_ctl_parse(tiers, thresholds, &cfg, err, sizeof(err)) == 0 &&
        build_tiers(&cfg, err, sizeof(err)) == 0)
        state = MT_TIERED;
    if (state == MT_TIERED) {
        log_config(&cfg);
        mt_info("libmemtier: loaded");
    } else {
        mk_log_warn("libmemtier: %s; the program runs on the C library's "
                    "malloc",
                    err);
    }
    if (!atomic_load_explicit(&mt_libc_usable, memory_order_relaxed))
        atomic_store_explicit(&mt_libc_usable, find_libc_usable(),
                              memory_order_release);
    atomic_store_explicit(&mt_state, state, memory_order_release);
    mt_busy = 0;
}

/*
 * Destructor: from now on new blocks come from the bootstrap region (then
 * the C library), so that nothing reaches the tiers while the process
 * winds down.  Blocks already handed out stay valid and can be freed.
 */
__attribute__((destructor)) static void mt_fini(void)
{
    int expected = MT_TIERED;
    if (atomic_compare_exchange_strong(&mt_state, &expected, MT_DONE))
        mt_info("libmemtier: unloading; %zu bytes of the bootstrap region "
                "used",
                mk_boot_used());
}
