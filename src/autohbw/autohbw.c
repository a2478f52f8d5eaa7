// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw.c - libautohbw.so, the LD_PRELOAD library of autohbw(7): heap
 * requests whose size is in the AUTO_HBW_SIZE range go to a memkind kind
 * (MEMKIND_HBW_PREFERRED by default when HBW memory exists, else
 * MEMKIND_DEFAULT, or AUTO_HBW_MEM_TYPE), all others to the C library.
 *
 * The whole malloc family is replaced, so no pointer from one allocator
 * reaches the other: free, realloc and malloc_usable_size ask memkind's
 * address map (memkind_detect_kind(), O(1) and safe on any pointer) once
 * libmemkind is up, and hand everything it does not know to glibc.  Run
 * with memkind 1.14's libmemkind.so.0 instead of ours (a mixed
 * installation), whose memkind_detect_kind() crashes on pointers it does
 * not own, the library keeps the set of blocks it took from the kind
 * itself (autohbw_blocks.c) and asks that set instead.  glibc's own allocator
 * is reached through its __libc_* entry points (malloc_usable_size through
 * dlsym(RTLD_NEXT)), so requests before the constructor ran, after it gave
 * up, or made by memkind itself while it serves us (hwloc, libnuma, the
 * backtrace machinery) are simply served by glibc: a thread-local flag
 * marks "inside memkind" and sends every nested request there.
 *
 * Nothing here allocates or uses stdio; messages are formatted on the
 * stack and written with write(2).
 */
#include "config.h"

#include "autohbw_blocks.h"
#include "autohbw_env.h"

#include <autohbw_api.h>
#include <memkind.h>

#include <memkind/internal/memkind_util.h>

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTOHBW_EXPORT __attribute__((visibility("default")))

/* glibc's allocator under its internal names (exported by libc.so.6). */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t num, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void __libc_free(void *ptr);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);

/* Declared here because <malloc.h> would declare them with other
 * attributes; -Wmissing-prototypes wants a prototype before definition. */
AUTOHBW_EXPORT void *memalign(size_t alignment, size_t size);
AUTOHBW_EXPORT void *valloc(size_t size);
AUTOHBW_EXPORT void *pvalloc(size_t size);
AUTOHBW_EXPORT size_t malloc_usable_size(void *ptr);

static struct autohbw_config cfg;
static enum autohbw_kind_id target_id;
/// The kind in-range requests go to; NULL while (or when) passive.
static memkind_t target;
/// disableAutoHBW() / enableAutoHBW().
static atomic_int redirect_on = 1;
/// Set while this thread is inside memkind on our behalf (or in our
/// constructor): nested requests go to glibc.
static __thread int busy __attribute__((tls_model("initial-exec")));
static size_t (*libc_usable_size)(void *);
/// Set once our constructor runs.  libmemkind is our dependency, so its own
/// constructors ran before ours; until then no block can be the kind's,
/// and libmemkind must not be asked: libnuma's constructor, which runs
/// before libmemkind's, reallocates (getdelim), and memkind 1.14's
/// memkind_detect_kind crashes before its library is initialised.
static atomic_bool memkind_up;
/// The libmemkind we run with is not ours: track our blocks ourselves.
static bool use_blocks;

static memkind_t *const kind_table[AUTOHBW_KIND_COUNT] = {
    [AUTOHBW_KIND_DEFAULT] = &MEMKIND_DEFAULT,
    [AUTOHBW_KIND_HUGETLB] = &MEMKIND_HUGETLB,
    [AUTOHBW_KIND_INTERLEAVE] = &MEMKIND_INTERLEAVE,
    [AUTOHBW_KIND_HBW] = &MEMKIND_HBW,
    [AUTOHBW_KIND_HBW_PREFERRED] = &MEMKIND_HBW_PREFERRED,
    [AUTOHBW_KIND_HBW_HUGETLB] = &MEMKIND_HBW_HUGETLB,
    [AUTOHBW_KIND_HBW_PREFERRED_HUGETLB] = &MEMKIND_HBW_PREFERRED_HUGETLB,
    [AUTOHBW_KIND_HBW_GBTLB] = &MEMKIND_HBW_GBTLB,
    [AUTOHBW_KIND_HBW_PREFERRED_GBTLB] = &MEMKIND_HBW_PREFERRED_GBTLB,
    [AUTOHBW_KIND_GBTLB] = &MEMKIND_GBTLB,
    [AUTOHBW_KIND_HBW_INTERLEAVE] = &MEMKIND_HBW_INTERLEAVE,
};

/*
 * The kind that owns ptr, or NULL for a C library block (every block
 * before our constructor ran).  One relaxed load before the lookup.
 */
static memkind_t owner(void *ptr)
{
    if (!atomic_load_explicit(&memkind_up, memory_order_relaxed))
        return NULL;
    if (__builtin_expect(use_blocks, 0))
        return autohbw_blocks_has(ptr) ? target : NULL;
    return memkind_detect_kind(ptr);
}

/*
 * True when the libmemkind.so.0 we run with is the one built with us,
 * whose memkind_detect_kind() answers for any pointer (DESIGN.md 4).
 * memkind 1.14 reports version 1.14.0 and crashes on pointers it does not
 * own, so that version is never trusted.
 */
static bool detect_is_safe(void)
{
    const int ours = MEMKIND_VERSION_MAJOR * 1000000 +
                     MEMKIND_VERSION_MINOR * 1000 + MEMKIND_VERSION_PATCH;
    int v = memkind_get_version();
    return v == ours && v != 1014000;
}

/* Gives a block back to its kind, forgetting it first. */
static void kind_release(memkind_t k, void *ptr)
{
    if (use_blocks)
        autohbw_blocks_remove(ptr);
    memkind_free(k, ptr); /* keeps errno */
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int e = errno;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
    (void)w; /* nowhere to report a failed diagnostic */
    errno = e;
}

static size_t libc_usable(void *ptr)
{
    if (!libc_usable_size) {
        busy++;
        libc_usable_size =
            (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
        busy--;
    }
    return libc_usable_size ? libc_usable_size(ptr) : 0;
}

static bool want(size_t size)
{
    return target && !busy &&
           atomic_load_explicit(&redirect_on, memory_order_relaxed) &&
           autohbw_in_range(&cfg, size);
}

static void log_alloc(const char *fn, size_t size, void *p)
{
    if (cfg.log_level < 1)
        return;
    say("autohbw: %s(%zu) = %p from %s", fn, size, p,
        autohbw_kind_name(target_id));
    if (cfg.log_level >= 2) {
        void *frames[32];
        busy++;
        int n = backtrace(frames, 32);
        backtrace_symbols_fd(frames, n, STDERR_FILENO);
        busy--;
    }
}

/*
 * Allocates size bytes from the kind (zeroed, or aligned when align is not
 * 0).  Returns NULL with errno as on entry when the kind has no memory;
 * the caller then asks glibc.
 */
static void *kind_alloc(const char *fn, size_t size, size_t align, bool zero)
{
    void *p = NULL;
    int e = errno;
    busy++;
    if (align) {
        if (memkind_posix_memalign(target, &p, align, size) != 0)
            p = NULL;
    } else if (zero) {
        p = memkind_calloc(target, 1, size);
    } else {
        p = memkind_malloc(target, size);
    }
    if (p && use_blocks && !autohbw_blocks_add(p)) {
        memkind_free(target, p); /* untracked, it must not leave */
        p = NULL;
    }
    busy--;
    errno = e;
    if (p)
        log_alloc(fn, size, p);
    else if (cfg.debug_level >= 1)
        say("autohbw: debug: %s(%zu): %s has no memory, using the C library",
            fn, size, autohbw_kind_name(target_id));
    return p;
}

static void debug_libc(const char *fn, size_t size)
{
    if (__builtin_expect(cfg.debug_level >= 2, 0) && !busy)
        say("autohbw: debug: %s(%zu) from the C library", fn, size);
}

/* In range: the kind, else (or when it is full) glibc. */
AUTOHBW_EXPORT void *malloc(size_t size)
{
    if (want(size)) {
        void *p = kind_alloc("malloc", size, 0, false);
        if (p)
            return p;
    }
    debug_libc("malloc", size);
    return __libc_malloc(size);
}

/* As malloc() for num * size; NULL with ENOMEM when that overflows. */
AUTOHBW_EXPORT void *calloc(size_t num, size_t size)
{
    size_t total;
    if (mk_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (want(total)) {
        void *p = kind_alloc("calloc", total, 0, true);
        if (p)
            return p;
    }
    debug_libc("calloc", total);
    return __libc_calloc(num, size);
}

/* To whichever allocator owns ptr; errno is kept. */
AUTOHBW_EXPORT void free(void *ptr)
{
    if (!ptr)
        return;
    memkind_t k = owner(ptr);
    if (k)
        kind_release(k, ptr); /* keeps errno */
    else
        __libc_free(ptr);
}

/* Moves the block at ptr (old usable bytes) to fresh memory n. */
static void *move_block(void *n, void *ptr, size_t old, size_t size)
{
    memcpy(n, ptr, old < size ? old : size);
    return n;
}

/*
 * Resizes in the owner's heap, or moves the block (contents kept) when the
 * new size enters or leaves the range.  Returns the block or NULL (ENOMEM;
 * ptr untouched), NULL after freeing for size 0 as glibc does.
 */
AUTOHBW_EXPORT void *realloc(void *ptr, size_t size)
{
    if (!ptr)
        return malloc(size);
    memkind_t k = owner(ptr);
    if (!k) {
        /* glibc block: it moves to the kind when it grows into range. */
        if (size && want(size)) {
            void *n = kind_alloc("realloc", size, 0, false);
            if (n) {
                move_block(n, ptr, libc_usable(ptr), size);
                __libc_free(ptr);
                return n;
            }
        }
        return __libc_realloc(ptr, size);
    }
    if (size == 0) { /* glibc's realloc(p, 0) frees and returns NULL */
        kind_release(k, ptr);
        return NULL;
    }
    if (use_blocks && want(size)) {
        /* By hand: ptr stays valid (and tracked) until its copy is. */
        void *n = kind_alloc("realloc", size, 0, false);
        if (n) {
            move_block(n, ptr, memkind_malloc_usable_size(k, ptr), size);
            kind_release(k, ptr);
            return n;
        }
    } else if (want(size)) {
        int e = errno;
        busy++;
        void *n = memkind_realloc(k, ptr, size);
        busy--;
        if (n) {
            log_alloc("realloc", size, n);
            return n;
        }
        errno = e;
    }
    /* Out of range (or the kind is full): the block moves to glibc. */
    void *n = __libc_malloc(size);
    if (!n)
        return NULL;
    move_block(n, ptr, memkind_malloc_usable_size(k, ptr), size);
    kind_release(k, ptr);
    return n;
}

/* realloc() of num * size; NULL with ENOMEM when that overflows. */
AUTOHBW_EXPORT void *reallocarray(void *ptr, size_t num, size_t size)
{
    size_t total;
    if (mk_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(ptr, total);
}

static bool is_pow2(size_t a)
{
    return a && (a & (a - 1)) == 0;
}

/* Aligned request: the kind for power-of-two alignments in range, glibc
 * (which also rounds odd alignments up) otherwise. */
static void *aligned(const char *fn, size_t align, size_t size)
{
    if (is_pow2(align) && want(size)) {
        void *p = kind_alloc(
            fn, size, align < sizeof(void *) ? sizeof(void *) : align, false);
        if (p)
            return p;
    }
    debug_libc(fn, size);
    return __libc_memalign(align, size);
}

/* Returns 0, EINVAL (alignment) or ENOMEM; errno is kept. */
AUTOHBW_EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size)
{
    if (!mk_is_valid_alignment(alignment))
        return EINVAL;
    int e = errno;
    void *p = aligned("posix_memalign", alignment, size);
    errno = e;
    if (!p)
        return ENOMEM;
    *memptr = p;
    return 0;
}

/* Odd alignments go to glibc, which decides what they mean. */
AUTOHBW_EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
    return aligned("aligned_alloc", alignment, size);
}

/* As aligned_alloc(). */
AUTOHBW_EXPORT void *memalign(size_t alignment, size_t size)
{
    return aligned("memalign", alignment, size);
}

/* Page-aligned size bytes. */
AUTOHBW_EXPORT void *valloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (want(size)) {
        void *p = kind_alloc("valloc", size, page, false);
        if (p)
            return p;
    }
    return __libc_valloc(size);
}

/* Page-aligned, size rounded up to whole pages (0: one page). */
AUTOHBW_EXPORT void *pvalloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t whole = size ? size : 1;
    if (whole > SIZE_MAX - page) {
        errno = ENOMEM;
        return NULL;
    }
    whole = (whole + page - 1) & ~(page - 1);
    if (want(whole)) {
        void *p = kind_alloc("pvalloc", whole, page, false);
        if (p)
            return p;
    }
    return __libc_pvalloc(size);
}

/* Returns the usable size from the owner of ptr, 0 for NULL. */
AUTOHBW_EXPORT size_t malloc_usable_size(void *ptr)
{
    if (!ptr)
        return 0;
    memkind_t k = owner(ptr);
    return k ? memkind_malloc_usable_size(k, ptr) : libc_usable(ptr);
}

/* autohbw(7) NOTES: stop redirecting (per process, not per thread). */
AUTOHBW_EXPORT void disableAutoHBW(void)
{
    atomic_store(&redirect_on, 0);
}

/* autohbw(7) NOTES: redirect again. */
AUTOHBW_EXPORT void enableAutoHBW(void)
{
    atomic_store(&redirect_on, 1);
}

static const char *env_get(const char *name)
{
    return secure_getenv(name); /* CONVENTIONS.md 11: never getenv */
}

/* Reads the configuration and picks the kind; on any problem the library
 * stays passive (every request to glibc) after saying why. */
__attribute__((constructor)) static void autohbw_init(void)
{
    busy++;
    use_blocks = !detect_is_safe();
    if (use_blocks && autohbw_blocks_init() != 0) {
        say("autohbw: cannot set up; allocations stay in the C library's "
            "heap");
        busy--;
        return; /* memkind_up stays false: memkind is never asked */
    }
    atomic_store(&memkind_up, true);
    (void)libc_usable(NULL); /* resolve glibc's malloc_usable_size now */
    autohbw_config_parse(&cfg, env_get);
    bool quiet = cfg.log_level < 0 && !cfg.bad_log;
    if (cfg.bad_log && !quiet)
        say("autohbw: AUTO_HBW_LOG must be -1, 0, 1 or 2; using 1");
    if (cfg.bad_debug && !quiet)
        say("autohbw: AUTO_HBW_DEBUG must be 0, 1 or 2; using 0");
    if (cfg.bad_size || cfg.bad_kind) {
        if (!quiet)
            say("autohbw: %s; allocations stay in the C library's heap",
                cfg.bad_size ? "AUTO_HBW_SIZE must be x[K|M|G][:y[K|M|G]] "
                               "with x < y"
                             : "AUTO_HBW_MEM_TYPE names no kind autohbw(7) "
                               "lists");
        busy--;
        return;
    }
    enum autohbw_kind_id id = cfg.kind;
    if (id == AUTOHBW_KIND_COUNT)
        id = memkind_check_available(MEMKIND_HBW) == 0
                 ? AUTOHBW_KIND_HBW_PREFERRED
                 : AUTOHBW_KIND_DEFAULT;
    memkind_t kind = *kind_table[id];
    int err = memkind_check_available(kind);
    if (err) {
        if (!quiet)
            say("autohbw: %s is not available here (memkind error %d); "
                "allocations stay in the C library's heap",
                autohbw_kind_name(id), err);
        busy--;
        return;
    }
    target_id = id;
    if (cfg.log_level >= 0) {
        if (cfg.max_size == SIZE_MAX)
            say("autohbw: allocations larger than %zu bytes go to %s",
                cfg.min_size, autohbw_kind_name(id));
        else
            say("autohbw: allocations larger than %zu and smaller than %zu "
                "bytes go to %s",
                cfg.min_size, cfg.max_size, autohbw_kind_name(id));
    }
    target = kind;
    busy--;
}
