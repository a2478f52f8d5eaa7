// SPDX-License-Identifier: BSD-2-Clause
/*
 * jemk_conf.c: the private jemalloc's configuration as the library needs
 * it: the options forced whatever the user says (and the warning when the
 * user said otherwise), and the core environment variables applied through
 * mallctl.  Called once, from mk_arena_global_init() (src/arena.c).
 */
#include "config.h"

#include <memkind.h>
#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_log.h>

#include "jemk_base.h"
#include "jemk_conf.h"
#include "jemk_ctl.h"
#include "os.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * jemalloc's options that memkind_detect_kind() depends on, forced whatever
 * the user's configuration says:
 *  - retain:true: jemalloc never unmaps extents (partial unmaps of DEFAULT
 *    granules would be frequent) and never asks mk_jemk_mmap for a mapping
 *    at a hint to grow an extent in place (src/addrmap.c refuses those);
 *  - dss:disabled: sbrk memory is never recorded (mk_jemk_sbrk refuses it
 *    anyway; this keeps jemalloc from trying).
 * jemalloc 5.3.0 reads five configuration sources in order, each
 * overriding the ones before: --with-malloc-conf (jemalloc/jemalloc.mk),
 * the malloc_conf symbol (MK_JEMK_DEFAULT_CONF below), the
 * /etc/jemk_malloc.conf link, JEMK_MALLOC_CONF, and last the
 * malloc_conf_2_conf_harder symbol, which is defined here (a strong definition
 * over jemalloc's weak one; hidden, so a program cannot interpose it).
 * test/unit's JemallocOptions test reads the options back under hostile values
 * (test/env/jemk-conf.sh).
 */
#define MK_JEMK_FORCED_CONF "retain:true,dss:disabled"
extern const char *jemk_malloc_conf_2_conf_harder;
__attribute__((visibility("hidden")))
const char *jemk_malloc_conf_2_conf_harder = MK_JEMK_FORCED_CONF;

/*
 * jemalloc's defaults the library changes, which the user's configuration
 * still overrides (this is the malloc_conf symbol: the second source).
 *  - oversize_threshold:128 MiB (jemalloc: 8 MiB).  jemalloc purges a
 *    freed large extent at once when, coalesced with its free neighbours,
 *    it reaches the threshold; with 8 MiB, a program that frees a batch of
 *    1 MiB objects and allocates the next batch has the kernel zero and
 *    fault every page again: 0.048 million 1 MiB malloc+free pairs per CPU
 *    second in batches of 64, 0.014 at 4 MiB (issue 17).  At 128 MiB, 3.0
 *    and 3.1 (mimalloc 2.0.9: 4.3 and 3.0).  Smaller freed extents go back
 *    by jemalloc's decay (10 s) instead; objects of 128 MiB and more still
 *    live in jemalloc's oversize arena, which purges them when freed.
 *    32 MiB helped 1 MiB batches but not 4 MiB ones (0.044).
 *  - tcache_nslots_small_min:64 (jemalloc: 20).  A thread cache bin of a
 *    small size class holds at least 64 objects, so a batch of 64 frees
 *    and reallocations stays in the thread: 1 KiB batches of 64 went from
 *    40 to 9 ns per malloc+free pair, 4 KiB from 135 to 12 ns, PMEM 4 KiB
 *    from 72 to 19 ns (pair_bench -w -b 64).  The price is a bound: a
 *    thread's cache of small objects can hold up to 5.5 MiB (64 of each
 *    of the 36 classes) instead of about 2 MiB, given back by jemalloc's
 *    cache GC as the thread allocates.  The large classes (16-32 KiB) keep
 *    jemalloc's 20 slots; the library's own large cache, bounded in bytes,
 *    stands in front of them (src/tcache.h).
 *  - tcache_gc_incr_bytes:4 MiB (jemalloc: 64 KiB).  jemalloc's thread
 *    cache GC visits one bin each time the thread has allocated this many
 *    bytes and flushes part of what that bin kept unused; every 64 KiB it
 *    ran after each 64 KiB object and emptied bins a mix was about to
 *    reuse.  The 10,000-object log-uniform 16 B-64 KiB mix went from 4.7
 *    to 8.0 million pairs per CPU second and its peak RSS from 80 to 70 MiB
 *    (test/bench/peer_bench default mix64k, medians of 3, issue 17); the
 *    cache's bound is unchanged, an unused object is only flushed later.
 *  - slab_sizes (x86 only, below): the 1 KiB class gets slabs of 8
 *    objects (2 pages) and the 4 KiB class of 8 (8 pages) instead of 4 and
 *    1.  jemalloc sizes a slab to the fewest pages that hold whole objects,
 *    so the power-of-two classes got few objects per slab.  A thread that
 *    frees objects another thread allocated sends each back to its slab,
 *    and a slab that empties goes back to the arena's extents at once
 *    while the allocating thread takes new ones: with a slab per object
 *    every such free and every refill went through the arena's extent
 *    lock.  4 KiB cross-thread pairs ran at 0.55 million per CPU second
 *    (mimalloc 2.0.9: 1.5-2.1), 1.0-1.4 with 4 objects per slab (peak RSS
 *    6-41 MiB from run to run, mimalloc 6), 2.2-2.6 with 8 (RSS 3.5-7
 *    MiB), 4.7 with 16; 1 KiB ones went from 1.8 to 3.2 (mimalloc: 2.8)
 *    (peer_bench default xthread 4096 / 1024, 3-6 runs each, 2026-12-07).
 *    Single-thread batches, pairs and mixes kept their instruction counts
 *    (callgrind).  Why not more: slab sizes are global, file kinds' arenas
 *    included, and bigger slabs leave more partly used ones behind when
 *    random objects are freed.  After freeing a random 90 % of 256 MiB of
 *    log-uniform 16 B-64 KiB objects a PMEM kind's file is 1.31 times the
 *    pages the live objects touch with jemalloc's slabs, 1.325 with 4
 *    objects per 4 KiB slab, 1.339 (one run in four 1.354) with 8, 1.354
 *    with 16, 1.38 with 16 objects for the 1, 2 and 4 KiB classes, 2.3
 *    with 16 objects for every class from 512 B to 14 KiB (PmemTest.
 *    SparseHeapOfSmallObjectsStaysNearTheLivePageFloor, pmem_bench
 *    footprint -T 256M); sizes uniform: 1.171 times the live bytes with 4,
 *    1.173 with 8.
 *    The sizes are in jemalloc's configured pages, 4 KiB on x86; on other
 *    architectures they are the build machine's (4, 16 or 64 KiB), and
 *    jemalloc's defaults are kept there.
 */
#if defined(__x86_64__) || defined(__i386__)
#define MK_JEMK_SLAB_CONF ",slab_sizes:1024-1024:2|4096-4096:8"
#else
#define MK_JEMK_SLAB_CONF ""
#endif
#define MK_JEMK_DEFAULT_CONF                                                   \
    "oversize_threshold:134217728,tcache_nslots_small_min:64,"                 \
    "tcache_gc_incr_bytes:4194304" MK_JEMK_SLAB_CONF
/* Hidden like every jemalloc name here (-fvisibility=hidden; nm -D shows
 * none: test/hardening/lint.sh). */
const char *jemk_malloc_conf = MK_JEMK_DEFAULT_CONF;

/* One forced option: the key, the only value kept, and the user's
 * effective setting of it (pointers into the source's string). */
struct mk_forced_opt {
    const char *key;
    const char *value;
    const char *user_src; ///< source of the user's last setting, or NULL
    const char *user_val;
    size_t user_vlen;
};

/*
 * Notes in opts[] the last setting of each forced key in conf (jemalloc's
 * "key:value,key:value" syntax), which overrides the ones before, as later
 * sources override earlier ones.  Reads conf in place: nothing allocated.
 */
static void scan_conf(struct mk_forced_opt *opts, size_t n, const char *src,
                      const char *conf)
{
    while (conf && *conf) {
        const char *k = conf;
        size_t klen = strcspn(k, ":,");
        const char *v = k + klen;
        size_t vlen = 0;
        if (*v == ':') {
            v++;
            vlen = strcspn(v, ",");
        }
        conf = v + vlen;
        if (*conf == ',')
            conf++;
        for (size_t i = 0; i < n; i++) {
            if (strlen(opts[i].key) == klen &&
                strncmp(k, opts[i].key, klen) == 0) {
                opts[i].user_src = src;
                opts[i].user_val = v;
                opts[i].user_vlen = vlen;
            }
        }
    }
}

/*
 * Warns once for each forced option the user set to another value, in the
 * sources jemalloc reads after its built-in string (the malloc_conf symbol
 * is not exported: only the library could set it).
 */
void mk_jemk_conf_warn_user(void)
{
    struct mk_forced_opt opts[] = {{.key = "retain", .value = "true"},
                                   {.key = "dss", .value = "disabled"}};
    const size_t n = sizeof(opts) / sizeof(opts[0]);
    char link[4096];
    ssize_t len = readlink("/etc/jemk_malloc.conf", link, sizeof(link) - 1);
    if (len > 0) {
        link[len] = '\0';
        scan_conf(opts, n, "/etc/jemk_malloc.conf", link);
    }
    scan_conf(opts, n, "JEMK_MALLOC_CONF", secure_getenv("JEMK_MALLOC_CONF"));
    for (size_t i = 0; i < n; i++) {
        if (!opts[i].user_src ||
            (strlen(opts[i].value) == opts[i].user_vlen &&
             strncmp(opts[i].user_val, opts[i].value, opts[i].user_vlen) == 0))
            continue;
        mk_log_warn("%s: %s:%.*s ignored: memkind_detect_kind() needs %s:%s",
                    opts[i].user_src, opts[i].key, (int)opts[i].user_vlen,
                    opts[i].user_val, opts[i].key, opts[i].value);
    }
}

/*
 * jemalloc 5.3.0 creates arena 0 before it reads opt.oversize_threshold
 * into the threshold new arenas get (arena_init_huge() runs after
 * arena_new(0)), so arena 0 keeps the built-in 8 MiB whatever the
 * configuration says.  Arena 0 is where a single-threaded program's
 * MEMKIND_DEFAULT memory lives: give it the configured threshold, as every
 * later arena has.  0 means "no oversize arena": no eager purge either.
 */
size_t mk_jemk_configured_oversize(void)
{
    size_t v = mk_jemk_opt_oversize();
    return v ? v : SIZE_MAX;
}

/* Without a mallctl, as the library's whole start-up (jemk_base.c). */
static void fix_arena0_oversize(void)
{
    if (mk_jemk_arena0_set_oversize(mk_jemk_configured_oversize()))
        mk_log_err("cannot set arena 0's oversize threshold");
}

/*
 * Applies the core environment variables to jemalloc.  A bad
 * MEMKIND_BACKGROUND_THREAD_LIMIT is fatal, as in memkind 1.14 (there is no
 * error channel at library load).
 */
void mk_jemk_conf_apply_env(const struct mk_env *env)
{
    if (env->heap_manager_bad)
        mk_log_warn("MEMKIND_HEAP_MANAGER: only JEMALLOC is supported, "
                    "using it");
    if (env->bg_thread_limit_bad) {
        mk_log_fatal("MEMKIND_BACKGROUND_THREAD_LIMIT must be an integer "
                     "from 0 to the number of CPUs");
        abort();
    }
    if (env->arena_cap_bad)
        mk_log_err("MEMKIND_ARENA_NUM_PER_KIND must be a positive integer");
    if (env->pmem_fork_bad)
        mk_log_warn("MEMKIND_PMEM_FORK must be copy, none or shared; "
                    "using copy");
    if (env->hog_memory) {
        ssize_t never = -1;
        (void)mk_ctl_arena(MALLCTL_ARENAS_ALL, MK_CTL_ARENA_DIRTY_DECAY_MS,
                           &never, sizeof(never));
        (void)mk_ctl_arena(MALLCTL_ARENAS_ALL, MK_CTL_ARENA_MUZZY_DECAY_MS,
                           &never, sizeof(never));
        (void)jemk_mallctl("arenas.dirty_decay_ms", NULL, NULL, &never,
                           sizeof(never));
        (void)jemk_mallctl("arenas.muzzy_decay_ms", NULL, NULL, &never,
                           sizeof(never));
    }
    fix_arena0_oversize();
    if (env->bg_thread_limit >= 0) {
        size_t limit = env->bg_thread_limit ? (size_t)env->bg_thread_limit
                                            : (size_t)mk_os_ncpus();
        bool on = true;
        if (jemk_mallctl("max_background_threads", NULL, NULL, &limit,
                         sizeof(limit)) ||
            jemk_mallctl("background_thread", NULL, NULL, &on, sizeof(on)))
            mk_log_err("cannot enable background threads");
    }
}
