// SPDX-License-Identifier: BSD-2-Clause
/*
 * unit_test.cpp - white-box tests of hidden helpers: overflow and alignment
 * helpers, the environment parser, the address map and the magazines
 * (DESIGN.md, CONVENTIONS.md 10).  Fault injection has its own binary,
 * test/hardening/fault_test.
 */
#include "config.h"

#include <memkind.h>

#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_jemk.h>
#include <memkind/internal/memkind_pmem.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "common/capabilities.hpp"
#include "common/numa_kind.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <condition_variable>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(Util, MulOverflow)
{
    size_t r = 0;
    EXPECT_FALSE(mk_mul_overflow(3, 5, &r));
    EXPECT_EQ(15u, r);
    EXPECT_TRUE(mk_mul_overflow(SIZE_MAX / 2 + 1, 2, &r));
    EXPECT_TRUE(mk_mul_overflow(SIZE_MAX, SIZE_MAX, &r));
    EXPECT_FALSE(mk_mul_overflow(0, SIZE_MAX, &r));
    EXPECT_EQ(0u, r);
}

TEST(Util, ValidAlignment)
{
    // memkind(3): a power of 2 at least as large as sizeof(void*).
    EXPECT_FALSE(mk_is_valid_alignment(0));
    EXPECT_FALSE(mk_is_valid_alignment(1));
    EXPECT_FALSE(mk_is_valid_alignment(4));
    EXPECT_FALSE(mk_is_valid_alignment(24));
    EXPECT_TRUE(mk_is_valid_alignment(8));
    EXPECT_TRUE(mk_is_valid_alignment(4096));
    EXPECT_TRUE(mk_is_valid_alignment((size_t)1 << 40));
}

TEST(Util, RoundUpChecked)
{
    size_t r = 0;
    EXPECT_TRUE(mk_round_up_checked(1, 4096, &r));
    EXPECT_EQ(4096u, r);
    EXPECT_TRUE(mk_round_up_checked(4096, 4096, &r));
    EXPECT_EQ(4096u, r);
    EXPECT_FALSE(mk_round_up_checked(SIZE_MAX - 10, 4096, &r));
}

static std::map<std::string, std::string> fake_env;
static const char *fake_get(const char *name)
{
    auto it = fake_env.find(name);
    return it == fake_env.end() ? nullptr : it->second.c_str();
}

TEST(Env, DefaultsWhenUnset)
{
    fake_env.clear();
    struct mk_env e;
    mk_env_parse(&e, fake_get);
    EXPECT_EQ(0u, e.arena_cap);
    EXPECT_FALSE(e.arena_cap_bad);
    EXPECT_FALSE(e.hog_memory);
    EXPECT_EQ(-1, e.bg_thread_limit);
    EXPECT_FALSE(e.bg_thread_limit_bad);
    EXPECT_FALSE(e.heap_manager_bad);
}

TEST(Env, ValidValues)
{
    fake_env = {{"MEMKIND_ARENA_NUM_PER_KIND", "4"},
                {"MEMKIND_HOG_MEMORY", "1"},
                {"MEMKIND_BACKGROUND_THREAD_LIMIT", "0"},
                {"MEMKIND_HEAP_MANAGER", "JEMALLOC"}};
    struct mk_env e;
    mk_env_parse(&e, fake_get);
    EXPECT_EQ(4u, e.arena_cap);
    EXPECT_TRUE(e.hog_memory);
    EXPECT_EQ(0, e.bg_thread_limit);
    EXPECT_FALSE(e.heap_manager_bad);
}

TEST(Env, PmemForkModes)
{
    const std::pair<const char *, enum mk_pmem_fork_mode> good[] = {
        {"copy", MK_PMEM_FORK_COPY},
        {"none", MK_PMEM_FORK_NONE},
        {"shared", MK_PMEM_FORK_SHARED}};
    for (auto &g : good) {
        fake_env = {{"MEMKIND_PMEM_FORK", g.first}};
        struct mk_env e;
        mk_env_parse(&e, fake_get);
        EXPECT_EQ(g.second, e.pmem_fork) << g.first;
        EXPECT_FALSE(e.pmem_fork_bad) << g.first;
    }
    fake_env.clear();
    struct mk_env e;
    mk_env_parse(&e, fake_get);
    EXPECT_EQ(MK_PMEM_FORK_COPY, e.pmem_fork) << "the default";
    for (const char *v : {"", "Copy", "copy ", "NONE", "1", "private"}) {
        fake_env = {{"MEMKIND_PMEM_FORK", v}};
        mk_env_parse(&e, fake_get);
        EXPECT_TRUE(e.pmem_fork_bad) << "'" << v << "'";
        EXPECT_EQ(MK_PMEM_FORK_COPY, e.pmem_fork) << "'" << v << "'";
    }
}

TEST(Env, PressurePercent)
{
    fake_env.clear();
    struct mk_env e;
    mk_env_parse(&e, fake_get);
    EXPECT_EQ(-1, e.pressure_pct) << "unset: the library's default";
    EXPECT_FALSE(e.pressure_pct_bad);
    for (const char *v : {"0", "5", "100"}) {
        fake_env = {{"MEMKIND_PRESSURE_PERCENT", v}};
        mk_env_parse(&e, fake_get);
        EXPECT_EQ(atol(v), e.pressure_pct) << v;
        EXPECT_FALSE(e.pressure_pct_bad) << v;
    }
    for (const char *v : {"", "-1", "101", "5%", " 5", "abc"}) {
        fake_env = {{"MEMKIND_PRESSURE_PERCENT", v}};
        mk_env_parse(&e, fake_get);
        EXPECT_TRUE(e.pressure_pct_bad) << "'" << v << "'";
        EXPECT_EQ(-1, e.pressure_pct) << "'" << v << "'";
    }
}

TEST(Env, MalformedValuesAreFlagged)
{
    // memkind(3): "a positive integer (not greater than INT_MAX)".
    const char *bad[] = {"",
                         "0",
                         "-1",
                         "abc",
                         "4x",
                         " 4",
                         "\t4",
                         "\n4",
                         "+4",
                         "4 ",
                         "99999999999999999999",
                         "2147483648"};
    for (const char *v : bad) {
        fake_env = {{"MEMKIND_ARENA_NUM_PER_KIND", v},
                    {"MEMKIND_BACKGROUND_THREAD_LIMIT", v},
                    {"MEMKIND_HEAP_MANAGER", "TBB"}};
        struct mk_env e;
        mk_env_parse(&e, fake_get);
        EXPECT_TRUE(e.arena_cap_bad) << "'" << v << "'";
        EXPECT_EQ(0u, e.arena_cap);
        if (std::string(v) != "0") {
            EXPECT_TRUE(e.bg_thread_limit_bad) << "'" << v << "'";
        }
        EXPECT_TRUE(e.heap_manager_bad);
    }
}

TEST(Env, ParseLongKeepsErrnoAndOutOnFailure)
{
    // The one integer parser of environment values (memkind_env.h): a
    // failure leaves *out alone, and errno is never changed.
    long v = 7;
    errno = 4242;
    EXPECT_FALSE(mk_env_parse_long("99999999999999999999", 0, 10, &v));
    EXPECT_EQ(7, v);
    EXPECT_EQ(4242, errno);
    EXPECT_TRUE(mk_env_parse_long("-5", -5, 5, &v));
    EXPECT_EQ(-5, v);
    EXPECT_FALSE(mk_env_parse_long(nullptr, 0, 10, &v));
    EXPECT_EQ(4242, errno);
}

/* ------------------------------------------------------------ address map */

TEST(AddressMap, FixedEdgesShareGranulesWithDefault)
{
    // An 8 MiB DEFAULT block; a fixed kind on an unaligned 1 MiB slice.
    char *block = (char *)memkind_malloc(MEMKIND_DEFAULT, 8 << 20);
    ASSERT_NE(nullptr, block);
    char *slice = block + (3 << 20) + 12345;
    memkind_t fixed = nullptr;
    ASSERT_EQ(0, memkind_create_fixed(slice, 1 << 20, &fixed));
    EXPECT_EQ(fixed, mk_addrmap_lookup(slice + 100));
    EXPECT_EQ(fixed, mk_addrmap_lookup(slice + (1 << 20) - 1));
    EXPECT_EQ(MEMKIND_DEFAULT, mk_addrmap_lookup(slice - 1));
    EXPECT_EQ(MEMKIND_DEFAULT, mk_addrmap_lookup(slice + (1 << 20)));
    void *p = memkind_malloc(fixed, 100);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(fixed, memkind_detect_kind(p));
    memkind_free(NULL, p);
    ASSERT_EQ(0, memkind_destroy_kind(fixed));
    EXPECT_EQ(MEMKIND_DEFAULT, mk_addrmap_lookup(slice + 100));
    memkind_free(MEMKIND_DEFAULT, block);
}

TEST(AddressMap, ForeignAddressesAreNotOurs)
{
    int local = 0;
    static int global;
    EXPECT_EQ(nullptr, mk_addrmap_lookup(&local));
    EXPECT_EQ(nullptr, mk_addrmap_lookup(&global));
    EXPECT_EQ(nullptr, mk_addrmap_lookup((void *)1));
    EXPECT_EQ(nullptr, mk_addrmap_lookup((void *)UINTPTR_MAX));
    EXPECT_EQ(nullptr, mk_addrmap_lookup((void *)(uintptr_t(1) << 47)));
}

// The table covers exactly the width the OS boundary reported: beyond it
// stores are refused and lookups say "not ours" (an address above 2^47
// once wrote past the end of a 47-bit table).
TEST(AddressMap, AddressesBeyondTheTableAreRefused)
{
    size_t entries = mk_addrmap_entries();
    ASSERT_GE(entries, size_t(1) << (47 - MK_GRANULE_BITS));
    ASSERT_LT(entries, size_t(1) << (64 - MK_GRANULE_BITS));
    uintptr_t limit = uintptr_t(entries) << MK_GRANULE_BITS;
    memkind_t fixed = nullptr;
    static char buf[1 << 16];
    ASSERT_EQ(0, memkind_create_fixed(buf, sizeof(buf), &fixed));
    EXPECT_EQ(ERANGE, mk_addrmap_store(limit, MK_GRANULE, 1));
    EXPECT_EQ(ERANGE, mk_addrmap_store(limit - MK_GRANULE, 2 * MK_GRANULE, 1));
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              mk_addrmap_set_range(fixed, (void *)(limit + 4096), 4096));
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              mk_addrmap_set_range(fixed, (void *)(limit - 4096), 8192));
    EXPECT_EQ(nullptr, mk_addrmap_lookup((void *)limit));
    EXPECT_EQ(nullptr, mk_addrmap_lookup((void *)(limit + 12345)));
    EXPECT_EQ(nullptr, mk_addrmap_lookup((void *)UINTPTR_MAX));
    // The last granule inside the table is usable.
    void *last = (void *)(limit - MK_GRANULE);
    EXPECT_EQ(nullptr, mk_addrmap_lookup(last));
    ASSERT_EQ(0, mk_addrmap_set_range(fixed, last, MK_GRANULE));
    EXPECT_EQ(fixed, mk_addrmap_lookup((char *)last + MK_GRANULE - 1));
    mk_addrmap_clear_range(fixed, last, MK_GRANULE);
    EXPECT_EQ(nullptr, mk_addrmap_lookup(last));
    ASSERT_EQ(0, memkind_destroy_kind(fixed));
}

// With a table for 48 bits or more (arm64, LA57; here through
// MEMKIND_TEST_ADDR_BITS, test/env/addr-bits.sh), ranges above 2^47 are
// recorded and found, whole granules and fixed-kind edges alike.
TEST(AddressMap, RangesAbove2To47AreRecorded)
{
    if (mk_addrmap_entries() <= (size_t(1) << (47 - MK_GRANULE_BITS)))
        GTEST_SKIP() << "the address map covers 47 bits here (run with "
                        "MEMKIND_TEST_ADDR_BITS=48: test/env/addr-bits.sh)";
    static char buf[1 << 16];
    memkind_t fixed = nullptr;
    ASSERT_EQ(0, memkind_create_fixed(buf, sizeof(buf), &fixed));
    char *high = (char *)(uintptr_t(1) << 47) + 3 * MK_GRANULE;
    EXPECT_EQ(nullptr, mk_addrmap_lookup(high));
    ASSERT_EQ(0, mk_addrmap_set_range(fixed, high, 2 * MK_GRANULE));
    EXPECT_EQ(fixed, mk_addrmap_lookup(high));
    EXPECT_EQ(fixed, mk_addrmap_lookup(high + 2 * MK_GRANULE - 1));
    EXPECT_EQ(nullptr, mk_addrmap_lookup(high - 1));
    EXPECT_EQ(nullptr, mk_addrmap_lookup(high + 2 * MK_GRANULE));
    mk_addrmap_clear_range(fixed, high, 2 * MK_GRANULE);
    EXPECT_EQ(nullptr, mk_addrmap_lookup(high));
    // An unaligned range: its edge granules are shared (MIXED).
    char *odd = high + 12345;
    ASSERT_EQ(0, mk_addrmap_set_range(fixed, odd, 100000));
    EXPECT_EQ(fixed, mk_addrmap_lookup(odd));
    EXPECT_EQ(fixed, mk_addrmap_lookup(odd + 99999));
    EXPECT_EQ(nullptr, mk_addrmap_lookup(odd - 1));
    EXPECT_EQ(nullptr, mk_addrmap_lookup(odd + 100000));
    mk_addrmap_clear_range(fixed, odd, 100000);
    EXPECT_EQ(nullptr, mk_addrmap_lookup(odd));
    ASSERT_EQ(0, memkind_destroy_kind(fixed));
}

/// A free, granule-aligned range of n granules (reserved, then released).
static char *free_granules(size_t n)
{
    size_t len = (n + 1) * MK_GRANULE;
    void *p = mmap(nullptr, len, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return nullptr;
    munmap(p, len);
    return (char *)mk_round_up((uintptr_t)p, MK_GRANULE);
}

// Every mapping jemalloc asks for is recorded as DEFAULT or refused
// (src/addrmap.c): a hinted mapping (jemalloc growing an extent in place
// with retain:false) once came back as NULL, neither a mapping nor
// MAP_FAILED, leaving an unrecorded mapping behind.
TEST(AddressMap, JemallocHintedMappingIsRecordedOrRefused)
{
    char *hint = free_granules(2);
    ASSERT_NE(nullptr, hint);
    errno = 0;
    void *p = mk_jemk_mmap(hint, MK_GRANULE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(nullptr, p) << "neither a mapping nor MAP_FAILED";
    if (p == MAP_FAILED) {
        EXPECT_NE(0, errno);
        // Nothing was left mapped at the hint.
        unsigned char v;
        EXPECT_NE(0, mincore(hint, 4096, &v));
    } else {
        EXPECT_EQ(MEMKIND_DEFAULT, mk_addrmap_lookup(p));
        EXPECT_EQ(MEMKIND_DEFAULT,
                  mk_addrmap_lookup((char *)p + MK_GRANULE - 1));
        EXPECT_EQ(0, mk_jemk_munmap(p, MK_GRANULE));
    }
    munmap(hint, MK_GRANULE); // the unrecorded leftover of a pass-through
}

// jemalloc maps only anonymous memory; a file mapping could not be
// recorded as DEFAULT memory without lying, so it is refused.
TEST(AddressMap, JemallocFileMappingIsRefused)
{
    FILE *f = tmpfile();
    ASSERT_NE(nullptr, f);
    ASSERT_EQ(0, ftruncate(fileno(f), MK_GRANULE));
    errno = 0;
    void *p = mk_jemk_mmap(nullptr, MK_GRANULE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE, fileno(f), 0);
    EXPECT_EQ(MAP_FAILED, p);
    EXPECT_EQ(EINVAL, errno);
    if (p != MAP_FAILED && p != nullptr)
        munmap(p, MK_GRANULE);
    fclose(f);
}

// A MAP_FIXED mapping (jemalloc decommits its own memory that way when the
// system does not overcommit) may only replace memory recorded as
// DEFAULT: elsewhere it would make an unrecorded mapping.
TEST(AddressMap, JemallocFixedMappingOnlyOverDefault)
{
    const int rw = PROT_READ | PROT_WRITE;
    const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    char *hole = free_granules(1);
    ASSERT_NE(nullptr, hole);
    errno = 0;
    void *p =
        mk_jemk_mmap(hole, MK_GRANULE, PROT_NONE, anon | MAP_FIXED, -1, 0);
    EXPECT_EQ(MAP_FAILED, p) << "MAP_FIXED over memory that is not DEFAULT";
    if (p != MAP_FAILED)
        munmap(p, MK_GRANULE);
    void *own = mk_jemk_mmap(nullptr, MK_GRANULE, rw, anon, -1, 0);
    ASSERT_NE(MAP_FAILED, own);
    EXPECT_EQ(own, mk_jemk_mmap(own, 4096, PROT_NONE, anon | MAP_FIXED, -1, 0));
    EXPECT_EQ(MEMKIND_DEFAULT, mk_addrmap_lookup(own));
    EXPECT_EQ(0, mk_jemk_munmap(own, MK_GRANULE));
}

// Memory the kernel really placed above 2^47 (it does so on request where
// user space is wider: arm64's 48 bits, LA57) is detected and freed as the
// kind's.  On x86_64 without LA57 the hint is ignored: printed skip.
TEST(AddressMap, KernelMappingAbove2To47IsDetected)
{
    const size_t len = 4 * MK_GRANULE;
    void *hint = (void *)((uintptr_t(1) << 47) + 64 * MK_GRANULE);
    void *m = mmap(hint, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(MAP_FAILED, m);
    if ((uintptr_t)m < (uintptr_t(1) << 47)) {
        munmap(m, len);
        GTEST_SKIP() << "the kernel gives no addresses above 2^47 here";
    }
    ASSERT_GT(mk_addrmap_entries(), size_t(1) << (47 - MK_GRANULE_BITS))
        << "the OS boundary did not see the wider address space";
    memkind_t fixed = nullptr;
    ASSERT_EQ(0, memkind_create_fixed(m, len, &fixed));
    void *p = memkind_malloc(fixed, 1000);
    ASSERT_NE(nullptr, p);
    EXPECT_GE((uintptr_t)p, uintptr_t(1) << 47);
    EXPECT_EQ(fixed, memkind_detect_kind(p));
    memkind_free(NULL, p);
    ASSERT_EQ(0, memkind_destroy_kind(fixed));
    EXPECT_EQ(nullptr, mk_addrmap_lookup(m));
    munmap(m, len);
}

/* ------------------------------------------------------------ fork */

// A child forks again, and its child too (a shell running a pipeline does
// this): every lock the fork protocol held must be usable in each
// generation.  The address map's rwlock once stayed write-locked in the
// child (glibc ties an rwlock's writer to a thread id), so the grandchild's
// fork hung.  alarm() turns a hang into a failure.
static int fork_generations(int depth)
{
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        alarm(20);
        void *p = memkind_malloc(MEMKIND_DEFAULT, 100);
        if (!p)
            _exit(2);
        memkind_free(NULL, p);
        _exit(depth > 1 ? fork_generations(depth - 1) : 0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return 3;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}

TEST(Fork, ChildrenOfChildrenForkAgain)
{
    static char buf[1 << 16];
    memkind_t fixed = nullptr;
    ASSERT_EQ(0, memkind_create_fixed(buf + 100, sizeof(buf) - 200, &fixed));
    EXPECT_EQ(0, fork_generations(4));
    ASSERT_EQ(0, memkind_destroy_kind(fixed));
}

/* Fault injection over kind creation, arena growth and memtier
 * construction: test/hardening/fault_test.cpp. */

/* ---------------------------------------------------------- magazines */

TEST(Magazine, StaleObjectsOfADestroyedKindAreNeverHandedOut)
{
    memkind_t a = nullptr, b = nullptr;
    ASSERT_EQ(0, mk_test::create_numa_kind(&a));
    std::vector<void *> v;
    for (int i = 0; i < 64; i++)
        v.push_back(memkind_malloc(a, 64));
    for (void *p : v)
        memkind_free(a, p); // this thread's magazine now holds them
    unsigned slot = a->partition;
    ASSERT_EQ(0, memkind_destroy_kind(a));
    ASSERT_EQ(0, mk_test::create_numa_kind(&b));
    EXPECT_EQ(slot, b->partition) << "the slot is reused (lowest free)";
    for (int i = 0; i < 64; i++) {
        void *q = memkind_malloc(b, 64);
        ASSERT_NE(nullptr, q);
        EXPECT_EQ(b, memkind_detect_kind(q)) << "object of the dead kind";
        memkind_free(b, q);
    }
    ASSERT_EQ(0, memkind_destroy_kind(b));
}

TEST(Magazine, ThreadExitGivesCachedObjectsBack)
{
    memkind_t k = nullptr;
    ASSERT_EQ(0, mk_test::create_numa_kind(&k));
    auto allocated = [&] {
        size_t v = 0;
        EXPECT_EQ(0, memkind_update_cached_stats());
        EXPECT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &v));
        return v;
    };
    std::thread t([&] {
        std::vector<void *> v;
        for (int i = 0; i < 20000; i++)
            v.push_back(memkind_malloc(k, 16 + i % 500));
        for (void *p : v)
            memkind_free(k, p);
        EXPECT_GT(mk_arena_thread_tcache_count(), 0u);
    });
    t.join();
    // Nothing of the thread's magazines or tcache may stay allocated.
    EXPECT_EQ(0u, allocated());
    ASSERT_EQ(0, memkind_destroy_kind(k));
}

// The options memkind_detect_kind() depends on hold whatever the user's
// JEMK_MALLOC_CONF says (test/env/jemk-conf.sh runs this under hostile
// values): retain (jemalloc would otherwise unmap and re-map at hints) and
// dss (sbrk memory is never recorded).
TEST(JemallocOptions, DetectionOptionsAreForced)
{
    bool retain = false;
    size_t sz = sizeof(retain);
    ASSERT_EQ(0, jemk_mallctl("opt.retain", &retain, &sz, nullptr, 0));
    EXPECT_TRUE(retain) << "JEMK_MALLOC_CONF turned retain off";
    const char *dss = nullptr;
    sz = sizeof(dss);
    ASSERT_EQ(0, jemk_mallctl("opt.dss", &dss, &sz, nullptr, 0));
    ASSERT_NE(nullptr, dss);
    EXPECT_STREQ("disabled", dss) << "JEMK_MALLOC_CONF turned dss on";
}

/*
 * Freed large extents are kept for reuse up to the library's oversize
 * threshold (src/jemk_conf.c, issue 17), in arena 0 too: jemalloc 5.3.0
 * creates arena 0 before it reads the option, so without the library's
 * fix arena 0 keeps 8 MiB and purges every freed batch of 1 MiB objects
 * (60 times slower batches: the figures are in src/jemk_conf.c).
 */
TEST(JemallocOptions, LargeExtentsAreKeptUpToTheOversizeThreshold)
{
    size_t opt = 0, sz = sizeof(opt);
    ASSERT_EQ(0, jemk_mallctl("opt.oversize_threshold", &opt, &sz, nullptr, 0));
    if (std::getenv("JEMK_MALLOC_CONF") &&
        std::strstr(std::getenv("JEMK_MALLOC_CONF"), "oversize_threshold"))
        GTEST_SKIP() << "JEMK_MALLOC_CONF sets oversize_threshold";
    EXPECT_EQ((size_t)128 << 20, opt);
    size_t a0 = 0;
    sz = sizeof(a0);
    ASSERT_EQ(0,
              jemk_mallctl("arena.0.oversize_threshold", &a0, &sz, nullptr, 0));
    EXPECT_EQ(opt, a0) << "arena 0 kept jemalloc's built-in threshold";
    if (std::getenv("JEMK_MALLOC_CONF") &&
        std::strstr(std::getenv("JEMK_MALLOC_CONF"), "tcache_nslots"))
        return;
    unsigned slots = 0;
    sz = sizeof(slots);
    ASSERT_EQ(0, jemk_mallctl("opt.tcache_nslots_small_min", &slots, &sz,
                              nullptr, 0));
    EXPECT_EQ(64u, slots) << "a batch of 64 small objects leaves the thread";
    const char *conf = std::getenv("JEMK_MALLOC_CONF");
    if (conf && std::strstr(conf, "tcache_gc"))
        return;
    size_t gc = 0;
    sz = sizeof(gc);
    ASSERT_EQ(0,
              jemk_mallctl("opt.tcache_gc_incr_bytes", &gc, &sz, nullptr, 0));
    EXPECT_EQ(size_t(4) << 20, gc) << "the cache GC runs every 64 KiB again";
}

// The facts the library's start-up reads from jemalloc's headers and
// globals instead of mallctl (src/jemk_base.c: the first mallctl sets up
// jemalloc's control tree, 36 page faults per process) are the ones the
// mallctls give; arena 0's oversize threshold is checked by
// LargeExtentsAreKeptUpToTheOversizeThreshold above.
extern "C" {
size_t mk_jemk_large_minclass(void);
unsigned mk_jemk_opt_narenas(void);
size_t mk_jemk_opt_oversize(void);
}
TEST(JemallocOptions, StartUpFactsAreTheMallctlValues)
{
    size_t first = 0, sz = sizeof(first);
    ASSERT_EQ(0,
              jemk_mallctl("arenas.lextent.0.size", &first, &sz, nullptr, 0));
    EXPECT_EQ(first, mk_jemk_large_minclass());
    unsigned n = 0;
    sz = sizeof(n);
    ASSERT_EQ(0, jemk_mallctl("opt.narenas", &n, &sz, nullptr, 0));
    EXPECT_EQ(n, mk_jemk_opt_narenas());
    EXPECT_GT(n, 0u);
    size_t o = 0;
    sz = sizeof(o);
    ASSERT_EQ(0, jemk_mallctl("opt.oversize_threshold", &o, &sz, nullptr, 0));
    EXPECT_EQ(o, mk_jemk_opt_oversize());
}

/*
 * The 1 KiB and 4 KiB classes have slabs of 8 objects each
 * (src/jemk_conf.c, issue 17): with jemalloc's own slab sizes they held 4
 * and 1, and cross-thread frees of 4 KiB objects went through the arena's
 * extent lock once per object.  The other classes keep jemalloc's sizes
 * (bigger slabs grow a PMEM file's footprint after random frees).
 */
TEST(JemallocOptions, OneAndFourKiBSlabsHoldMoreObjects)
{
#if !defined(__x86_64__) && !defined(__i386__)
    GTEST_SKIP() << "slab sizes are set on x86 only (4 KiB jemalloc pages)";
#endif
    const char *conf = std::getenv("JEMK_MALLOC_CONF");
    if (conf && std::strstr(conf, "slab_sizes"))
        GTEST_SKIP() << "JEMK_MALLOC_CONF sets slab_sizes";
    unsigned nbins = 0;
    size_t sz = sizeof(nbins);
    ASSERT_EQ(0, jemk_mallctl("arenas.nbins", &nbins, &sz, nullptr, 0));
    unsigned checked = 0;
    for (unsigned i = 0; i < nbins; i++) {
        size_t size = 0;
        uint32_t nregs = 0;
        std::string b = "arenas.bin." + std::to_string(i);
        sz = sizeof(size);
        ASSERT_EQ(0,
                  jemk_mallctl((b + ".size").c_str(), &size, &sz, nullptr, 0));
        sz = sizeof(nregs);
        ASSERT_EQ(
            0, jemk_mallctl((b + ".nregs").c_str(), &nregs, &sz, nullptr, 0));
        unsigned want = size == 1024   ? 8u
                        : size == 4096 ? 8u
                        : size == 2048 ? 2u /* jemalloc's */
                        : size == 3072 ? 4u /* jemalloc's */
                                       : 0u;
        if (want) {
            EXPECT_EQ(want, nregs) << "class " << size << " B";
            checked++;
        }
    }
    EXPECT_EQ(4u, checked) << "classes of 1, 2, 3 and 4 KiB";
}

/*
 * A PMEM kind grows in address ranges (src/kinds/pmem_range.c): the first
 * is small, later ones are reserved as objects need them.  Every object of
 * every range translates to a file offset and back, is found by
 * memkind_detect_kind(), and ranges and their file offsets are granule
 * aligned (huge-page DAX mappings need address = offset modulo 2 MiB).
 */
TEST(PmemRanges, ObjectsOfEveryRangeTranslateBothWays)
{
    std::string dir = mk_test_pmem_dir;
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    auto *p = static_cast<struct memkind_pmem *>(kind->priv);
    ASSERT_EQ(1u, p->nranges) << "an empty kind has one range";
    EXPECT_LE(p->reserved, (size_t)8 << 20) << "an empty kind is cheap";
    std::vector<char *> objs;
    for (int i = 0; i < 40; i++) {
        auto *o = static_cast<char *>(memkind_malloc(kind, 3 << 20));
        ASSERT_NE(nullptr, o);
        o[0] = 1;
        objs.push_back(o);
    }
    EXPECT_GE(p->nranges, 3u) << "120 MiB needs more than the first ranges";
    for (unsigned i = 0; i < p->nranges; i++) {
        EXPECT_EQ(0u, (uintptr_t)p->ranges[i].base % MK_GRANULE);
        EXPECT_EQ(0, p->ranges[i].foff % (off_t)MK_GRANULE);
        if (i) {
            EXPECT_GE(p->ranges[i].foff, p->ranges[i - 1].foff);
        }
    }
    for (char *o : objs) {
        off_t off = mk_pmem_off_of(p, o);
        ASSERT_GE(off, 0);
        size_t contig = 0;
        EXPECT_EQ(o, mk_pmem_addr_of(p, off, &contig));
        EXPECT_GE(contig, (size_t)3 << 20);
        EXPECT_EQ(kind, memkind_detect_kind(o));
    }
    int local = 0;
    EXPECT_EQ(-1, mk_pmem_off_of(p, &local));
    for (char *o : objs)
        memkind_free(kind, o);
    EXPECT_EQ(0, memkind_destroy_kind(kind));
}

// The unused tail of a range shares file offsets with the next range: a
// lookup there belongs to the newer range, and a piece of the older one
// stops where the newer one starts.
TEST(PmemRanges, ContiguityStopsAtTheNextRange)
{
    static struct memkind_pmem p;
    static char a[4 << 20], b[4 << 20];
    p.ranges[0] = {a, sizeof(a), 0};
    p.ranges[1] = {b, sizeof(b), (off_t)2 << 20};
    p.nranges = 2;
    size_t contig = 0;
    EXPECT_EQ(a + (1 << 20), mk_pmem_addr_of(&p, 1 << 20, &contig));
    EXPECT_EQ((size_t)1 << 20, contig);
    EXPECT_EQ(b, mk_pmem_addr_of(&p, 2 << 20, &contig));
    EXPECT_EQ(sizeof(b), contig);
    EXPECT_EQ(nullptr, mk_pmem_addr_of(&p, (off_t)6 << 20, &contig));
    EXPECT_EQ(0u, contig);
    EXPECT_EQ((off_t)3 << 20, mk_pmem_off_of(&p, b + (1 << 20)));
    EXPECT_TRUE(mk_pmem_same_range(&p, a, a + 100));
    EXPECT_FALSE(mk_pmem_same_range(&p, a, b));
}

/* -------------------------------------------------------- large cache */

/*
 * The per-thread, per-kind cache of freed large objects (src/tcache.h,
 * issue 17): bounded in bytes, off with MEMKIND_LARGE_CACHE_BYTES=0, flushed
 * in a forked child, and never hands one kind's block to another kind.
 */
TEST(Env, LargeCacheBytes)
{
    struct mk_env e;
    fake_env.clear();
    mk_env_parse(&e, fake_get);
    EXPECT_EQ(-1, e.large_cache) << "unset: the default budget";
    fake_env["MEMKIND_LARGE_CACHE_BYTES"] = "0";
    mk_env_parse(&e, fake_get);
    EXPECT_EQ(0, e.large_cache);
    EXPECT_FALSE(e.large_cache_bad);
    fake_env["MEMKIND_LARGE_CACHE_BYTES"] = "67108864";
    mk_env_parse(&e, fake_get);
    EXPECT_EQ(64L << 20, e.large_cache);
    for (const char *bad : {"-1", "1073741825", "4M", ""}) {
        fake_env["MEMKIND_LARGE_CACHE_BYTES"] = bad;
        mk_env_parse(&e, fake_get);
        EXPECT_TRUE(e.large_cache_bad) << bad;
        EXPECT_EQ(-1, e.large_cache) << bad;
    }
    fake_env.clear();
}

// Large sizes from just above jemalloc's tcache limit to the largest class
// cached; each kind takes those >= min.
static const size_t lc_sizes[] = {
    (size_t)20 << 10,  (size_t)40 << 10, (size_t)64 << 10, (size_t)100 << 10,
    (size_t)256 << 10, (size_t)1 << 20,  (size_t)3 << 20,  (size_t)4 << 20};

// Every kind caches from just above 7/8 of jemalloc's first large class.
static size_t lc_min(memkind_t)
{
    return mk_arena_large_cache_default_min();
}

// jemalloc's first large class: 16 KiB with 4 KiB pages, 256 KiB with
// 64 KiB pages (arm64); the tests' objects are multiples of it, so that
// they are cached at every page size.
static size_t lc_first()
{
    size_t first = 0, sz = sizeof(first);
    EXPECT_EQ(0,
              jemk_mallctl("arenas.lextent.0.size", &first, &sz, nullptr, 0));
    return first;
}

// The tests' usual large object: 64 KiB with 4 KiB pages, 1 MiB with 64 KiB.
static size_t lc_unit()
{
    return 4 * lc_first();
}

// How many objects of size s the tests cache in one thread: 8, or fewer
// where kind's budget holds fewer (a PMEM kind's 4 MiB with 64 KiB pages).
static int lc_count(memkind_t kind, size_t s)
{
    return (int)std::min<size_t>(8, mk_arena_kind_large_cache_budget(kind) / s);
}

// Holds the idle sweep off (it does nothing without membarrier) for a
// test whose thread leaves the kind unused while it waits for a child or
// another thread: a slow child (the emulated arm64 guest: 420 ms) let the
// PMEM purger sweep the cache the test then found empty.
struct LcNoSweep {
    LcNoSweep()
    {
        mk_fault_set_no_membarrier(true);
    }
    ~LcNoSweep()
    {
        mk_fault_set_no_membarrier(false);
    }
};

struct LargeCache : ::testing::Test {
    memkind_t pmem = nullptr;
    size_t budget = 0;
    void SetUp() override
    {
        budget = mk_arena_large_cache_budget();
        if (budget == 0) {
            GTEST_SKIP() << "large cache off (MEMKIND_LARGE_CACHE_BYTES=0?)";
        }
        ASSERT_EQ(0, memkind_create_pmem(mk_test_pmem_dir.c_str(), 0, &pmem));
    }
    void TearDown() override
    {
        if (pmem) {
            EXPECT_EQ(0, memkind_destroy_kind(pmem));
        }
        (void)memkind_update_cached_stats(); // flushes this thread's caches
    }
};

// Frees far more than the budget, of every cached class: after each free
// the thread's cache holds at most the budget, and holds something.  A
// malloc of a cached size takes exactly one object of its class out.
TEST_F(LargeCache, BudgetIsNeverExceeded)
{
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        const size_t budget = mk_arena_kind_large_cache_budget(kind);
        std::vector<void *> v;
        size_t total = 0;
        for (int round = 0; round < 3; round++)
            for (size_t s : lc_sizes)
                for (int i = 0; i < 3 && s >= lc_min(kind); i++) {
                    void *p = memkind_malloc(kind, s);
                    ASSERT_NE(nullptr, p) << s;
                    v.push_back(p);
                    total += s;
                }
        ASSERT_GT(total, 2 * budget);
        size_t most = 0;
        for (void *p : v) {
            memkind_free(kind, p);
            size_t b = mk_arena_thread_large_cached(kind);
            EXPECT_LE(b, budget) << "kind " << kind->name;
            most = std::max(most, b);
        }
        EXPECT_GT(most, budget / 2) << kind->name << ": the cache is used";
        ASSERT_EQ(0, memkind_update_cached_stats());
        EXPECT_EQ(0u, mk_arena_thread_large_cached(kind));
        const size_t u = lc_unit();
        void *a = memkind_malloc(kind, u);
        void *b = memkind_malloc(kind, u);
        memkind_free(kind, a);
        memkind_free(kind, b);
        EXPECT_EQ(2 * u, mk_arena_thread_large_cached(kind));
        void *c = memkind_malloc(kind, u - u / 16);
        EXPECT_EQ(b, c) << "LIFO, same class";
        EXPECT_EQ(u, mk_arena_thread_large_cached(kind));
        memkind_free(kind, c);
    }
}

// The class of a size comes from a table by quanta (src/tcache.h): for
// every covered size on both sides of every quantum boundary, what the
// cache hands out after a free of that size's class is at least as big as
// the request, and exactly jemalloc's size for it.  A table off by one
// class would hand out objects smaller than asked for.
TEST_F(LargeCache, EverySizeGetsAnObjectOfItsOwnClass)
{
    const size_t q =
        lc_first() / 4; // the quantum: a quarter of the first class
    ASSERT_GT(q, 0u);
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        size_t checked = 0;
        for (size_t top = q; top <= ((size_t)4 << 20); top += q) {
            for (size_t s : {top - 1, top, top + 1}) {
                if (s < lc_min(kind) || s > ((size_t)4 << 20))
                    continue;
                void *p = memkind_malloc(kind, s);
                ASSERT_NE(nullptr, p) << s;
                memkind_free(kind, p);
                void *r = memkind_malloc(kind, s);
                ASSERT_NE(nullptr, r) << s;
                EXPECT_EQ(jemk_nallocx(s, 0),
                          memkind_malloc_usable_size(kind, r))
                    << kind->name << ": " << s << " B";
                memkind_free(kind, r);
                checked++;
            }
        }
        // two or three sizes per quantum above the kind's smallest cached
        // size (with 4 KiB pages about 3000 sizes, with 64 KiB about 180)
        EXPECT_GE(checked, 2 * (((size_t)4 << 20) - lc_min(kind)) / q)
            << kind->name;
        ASSERT_EQ(0, memkind_update_cached_stats());
    }
}

// Producer and consumer: the consumer frees what the producer allocated.
// Its cache fills, the rest of each class goes to the kind's depot, never
// beyond one budget, and the producer's next allocations take the
// consumer's objects from there (before, they went through jemalloc, whose
// extent lock the two threads fought over).  The depot's bytes leave the
// allocated statistic; objects of two kinds never meet (each kind has its
// own depot); once nobody transfers for a sweep period, the depot goes back.
TEST_F(LargeCache, ConsumerFreesReachTheProducerThroughTheDepot)
{
    memkind_t other = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(mk_test_pmem_dir.c_str(), 0, &other));
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        const size_t s = lc_unit();
        const size_t budget = mk_arena_kind_large_cache_budget(kind);
        // Past MK_LC_QUIET_BUDGETS budgets the consumer passes its cache on
        // (struct mk_lcache); two budgets more fill its cache and the depot.
        const size_t n = (MK_LC_QUIET_BUDGETS + 2) * (budget / s);
        mk_arena_kind_depot_flush(kind); // what earlier tests left
        std::vector<void *> made(n);
        for (auto &p : made) {
            p = memkind_malloc(kind, s);
            ASSERT_NE(nullptr, p);
        }
        size_t in_depot = 0, allocated_before = 0, allocated_after = 0;
        ASSERT_EQ(0, memkind_update_cached_stats());
        ASSERT_EQ(0, memkind_get_stat(kind, MEMKIND_STAT_TYPE_ALLOCATED,
                                      &allocated_before));
        std::thread consumer([&] {
            for (void *p : made)
                memkind_free(kind, p);
            in_depot = mk_arena_kind_depot_bytes(kind);
            (void)memkind_update_cached_stats(); // its own cache goes
        });
        consumer.join();
        EXPECT_GT(in_depot, 0u) << kind->name << ": nothing reached the depot";
        EXPECT_LE(in_depot, budget) << kind->name << ": beyond one budget";
        ASSERT_EQ(0, memkind_update_cached_stats());
        ASSERT_EQ(0, memkind_get_stat(kind, MEMKIND_STAT_TYPE_ALLOCATED,
                                      &allocated_after));
        EXPECT_LT(allocated_after + (n * s) - s, allocated_before)
            << kind->name << ": the depot's bytes still count as allocated";
        // The other kind's allocations never get this kind's objects.
        std::set<void *> freed(made.begin(), made.end());
        void *o = memkind_malloc(other, s);
        EXPECT_EQ(0u, freed.count(o)) << "another kind's object";
        memkind_free(other, o);
        // This thread (the producer) takes them back from the depot.
        size_t reused = 0;
        for (auto &p : made) {
            p = memkind_malloc(kind, s);
            ASSERT_NE(nullptr, p);
            reused += freed.count(p);
        }
        EXPECT_GE(reused * s, in_depot)
            << kind->name << ": the producer did not get the depot's objects";
        EXPECT_EQ(0u, mk_arena_kind_depot_bytes(kind))
            << kind->name << ": the producer left objects in the depot";
        for (void *p : made)
            memkind_free(kind, p);
        ASSERT_EQ(0, memkind_update_cached_stats());
    }
    ASSERT_EQ(0, memkind_destroy_kind(other));
}

// A depot nobody takes from goes back to jemalloc at the idle sweep.
TEST_F(LargeCache, IdleDepotGoesBack)
{
    const size_t s = lc_unit();
    const size_t n = (MK_LC_QUIET_BUDGETS + 2) *
                     (mk_arena_kind_large_cache_budget(pmem) / s);
    std::vector<void *> made(n);
    for (auto &p : made) {
        p = memkind_malloc(pmem, s);
        ASSERT_NE(nullptr, p);
    }
    std::thread consumer([&] {
        for (void *p : made)
            memkind_free(pmem, p);
    });
    consumer.join();
    ASSERT_GT(mk_arena_kind_depot_bytes(pmem), 0u);
    // Sweeps run every 100 ms while a PMEM kind exists; the first one may
    // find a transfer of this period.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (mk_arena_kind_depot_bytes(pmem) &&
           std::chrono::steady_clock::now() < until)
        usleep(10000);
    EXPECT_EQ(0u, mk_arena_kind_depot_bytes(pmem))
        << "the depot stayed full for 5 s without transfers";
}

// What another thread's large cache holds is freed memory for the
// application: the allocated and active statistics, of the kind and of the
// library, leave it out, and so do not change when that thread gives its
// cache back (they counted it as allocated before).
TEST_F(LargeCache, StatisticsLeaveOtherThreadsCachesOut)
{
    LcNoSweep no_sweep; // the cache stays put while the test reads
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        const size_t s = lc_unit();
        const int n = lc_count(kind, s);
        std::mutex mu;
        std::condition_variable cv;
        int phase = 0;
        size_t cached = 0;
        std::thread t([&] {
            std::vector<void *> v;
            for (int i = 0; i < n; i++)
                v.push_back(memkind_malloc(kind, s));
            for (void *p : v)
                memkind_free(kind, p);
            cached = mk_arena_thread_large_cached(kind);
            std::unique_lock<std::mutex> l(mu);
            phase = 1;
            cv.notify_all();
            cv.wait(l, [&] { return phase == 2; });
            (void)memkind_update_cached_stats(); // gives its cache back
            phase = 3;
            cv.notify_all();
            cv.wait(l, [&] { return phase == 4; }); // alive while read
        });
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return phase == 1; });
        l.unlock();
        const memkind_stat_type types[] = {MEMKIND_STAT_TYPE_ALLOCATED,
                                           MEMKIND_STAT_TYPE_ACTIVE};
        size_t held[2][2] = {}, back[2][2] = {}; // [type][kind, library]
        ASSERT_EQ(0, memkind_update_cached_stats());
        for (int i = 0; i < 2; i++) {
            ASSERT_EQ(0, memkind_get_stat(kind, types[i], &held[i][0]));
            ASSERT_EQ(0, memkind_get_stat(nullptr, types[i], &held[i][1]));
        }
        l.lock();
        phase = 2;
        cv.notify_all();
        cv.wait(l, [&] { return phase == 3; });
        l.unlock();
        int err = memkind_update_cached_stats();
        for (int i = 0; i < 2; i++) {
            err |= memkind_get_stat(kind, types[i], &back[i][0]);
            err |= memkind_get_stat(nullptr, types[i], &back[i][1]);
        }
        l.lock();
        phase = 4;
        cv.notify_all();
        l.unlock();
        t.join();
        ASSERT_EQ(0, err);
        ASSERT_EQ(n * s, cached) << kind->name << ": the thread cached them";
        // Without the fix each "held" figure is n * s (512 KiB) above the
        // "back" one; anything else the process did meanwhile is small.
        for (int i = 0; i < 2; i++)
            for (int w = 0; w < 2; w++)
                EXPECT_LT(held[i][w], back[i][w] + s / 2)
                    << kind->name << (w ? " library-wide " : " ")
                    << (i ? "active" : "allocated") << ": " << cached
                    << " B cached by another thread counted";
    }
}

// The GC: once frees of half a budget have been refused, a class the
// thread stopped using loses three quarters of its objects (the first GC
// finds nothing unused yet), and the refused size then fits; a class
// every batch empties keeps all of its objects however many GCs run.
TEST_F(LargeCache, GcReturnsClassesLeftUnusedAndKeepsBatches)
{
    const size_t b = 8 * lc_first(); // 128 KiB (2 MiB with 64 KiB pages)
    int ran = 0;
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        const size_t budget = mk_arena_kind_large_cache_budget(kind);
        const size_t a = budget / 128; // 128 objects fill the budget
        if (a < lc_first() || a > ((size_t)4 << 20) || a == b ||
            jemk_nallocx(a, 0) != a) {
            std::printf("[ gc       ] %s: skipped, its budget %zu / 128 is "
                        "no large class\n",
                        kind->name, budget);
            continue;
        }
        ran++;
        size_t left = 0, batch_kept = 0;
        std::thread t([&] { // a fresh thread: GC counters start at zero
            std::vector<void *> v;
            for (int i = 0; i < 128; i++)
                v.push_back(memkind_malloc(kind, a));
            for (void *p : v)
                memkind_free(kind, p);
            // refused while the cache is full of a: GC 1 after budget / 2,
            // GC 2 after another budget / 2 makes room, the rest fit
            for (size_t freed = 0; freed < budget + 4 * b; freed += b)
                memkind_free(kind, memkind_malloc(kind, b));
            left = mk_arena_thread_large_cached(kind);
            (void)memkind_update_cached_stats();
            for (int round = 0; round < 6; round++) {
                v.clear();
                for (int i = 0; i < 200; i++)
                    v.push_back(memkind_malloc(kind, a));
                for (void *p : v)
                    memkind_free(kind, p);
            }
            batch_kept = mk_arena_thread_large_cached(kind);
        });
        t.join();
        std::printf("[ gc       ] %s: class %zu KiB, %zu KiB left after the "
                    "GCs, %zu KiB kept by batches\n",
                    kind->name, a >> 10, left >> 10, batch_kept >> 10);
        EXPECT_EQ(32 * a + b, left)
            << kind->name << ": 3/4 of the unused class must go at the "
            << "second GC, nothing at the first";
        EXPECT_EQ(128 * a, batch_kept)
            << kind->name << ": a batch class lost objects to the GC";
    }
    if (ran == 0) {
        GTEST_SKIP() << "no kind's budget / 128 is a large class";
    }
}

// A thread that only frees what another allocated (a consumer) becomes one
// at the first GC after it freed MK_LC_QUIET_BUDGETS budgets without
// trying an allocation: from then on, each time its cache is full, the
// cache goes to the kind's depot for the threads that allocate (before, it
// kept a budget nobody reused while the producer took new memory from
// jemalloc).  With nobody taking, the depot fills up to one budget and the
// consumer's cache stays within its own; then the producer's allocations
// get those objects.  A thread that frees batches of twice its budget
// between allocations (two GCs in one burst) is no consumer: it keeps
// caching.
TEST_F(LargeCache, AThreadThatOnlyFreesPassesItsCacheOn)
{
    const size_t s = (size_t)1 << 20; // cached at any page size
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        const size_t budget = mk_arena_kind_large_cache_budget(kind);
        ASSERT_EQ(0, memkind_update_cached_stats());
        mk_arena_kind_depot_flush(kind); // what earlier tests left
        // MK_LC_QUIET_BUDGETS budgets freed, then up to the next GC (a GC
        // every budget at most: 3/4 refilled, 1/2 refused), and more
        const size_t n = (MK_LC_QUIET_BUDGETS + 3) * (budget / s);
        std::vector<void *> v;
        for (size_t i = 0; i < n; i++) {
            void *p = memkind_malloc(kind, s);
            ASSERT_NE(nullptr, p);
            v.push_back(p);
        }
        // the consumer's own budget: a file kind's is shared among the
        // threads that use it (this one too)
        size_t most = 0, after = 0, depot = 0, cbudget = 0;
        std::thread consumer([&] {
            for (void *p : v) {
                memkind_free(kind, p);
                if (!cbudget)
                    cbudget = mk_arena_kind_large_cache_budget(kind);
                most = std::max(most, mk_arena_thread_large_cached(kind));
            }
            after = mk_arena_thread_large_cached(kind);
            depot = mk_arena_kind_depot_bytes(kind);
            (void)memkind_update_cached_stats();
        });
        consumer.join();
        ASSERT_LE(cbudget, budget);
        EXPECT_EQ(cbudget / s * s, most)
            << kind->name << ": it cached at first";
        EXPECT_LE(after, cbudget) << kind->name << ": its own cache";
        EXPECT_EQ(cbudget / s * s, depot)
            << kind->name << ": a consumer's full caches fill the depot";
        std::set<void *> freed(v.begin(), v.end());
        size_t reused = 0;
        for (auto &p : v) {
            p = memkind_malloc(kind, s);
            ASSERT_NE(nullptr, p);
            reused += freed.count(p);
        }
        EXPECT_GE(reused, cbudget / s)
            << kind->name << ": the allocating thread got the depot's objects";
        EXPECT_EQ(0u, mk_arena_kind_depot_bytes(kind))
            << kind->name << ": the allocating thread left the depot's objects";
        for (void *p : v)
            memkind_free(kind, p);
        ASSERT_EQ(0, memkind_update_cached_stats());
        size_t batch_kept = 0;
        std::thread batcher([&] {
            std::vector<void *> b;
            for (int round = 0; round < 3; round++) {
                for (size_t i = 0; i < 2 * (budget / s); i++)
                    b.push_back(memkind_malloc(kind, s));
                for (void *p : b)
                    memkind_free(kind, p);
                b.clear();
            }
            batch_kept = mk_arena_thread_large_cached(kind);
            (void)memkind_update_cached_stats();
        });
        batcher.join();
        EXPECT_GT(batch_kept, 0u)
            << kind->name << ": batches of twice the budget keep caching";
    }
}

// How many bytes a fresh thread's cache keeps of kind after freeing 2
// objects of size obj more than budget holds (refused, too few for a GC).
static size_t lc_fill_fresh_thread(memkind_t kind, size_t budget, size_t obj)
{
    size_t cached = 0;
    std::thread t([&] {
        std::vector<void *> v;
        for (size_t i = 0; i < budget / obj + 2; i++) {
            void *p = memkind_malloc(kind, obj);
            ASSERT_NE(nullptr, p);
            v.push_back(p);
        }
        for (void *p : v)
            memkind_free(kind, p);
        cached = mk_arena_thread_large_cached(kind);
        (void)memkind_update_cached_stats();
    });
    t.join();
    return cached;
}

// A kind of limited size is cached up to 1/32 of its size per thread: other
// threads' caches are out of reach of a failing allocation's reclaim.
TEST(LargeCacheLimit, SizeLimitedKindsCacheAShare)
{
    if (mk_arena_large_cache_budget() < ((size_t)4 << 20)) {
        GTEST_SKIP() << "large cache budget under 4 MiB";
    }
    memkind_t pmem = nullptr, fixed = nullptr;
    ASSERT_EQ(0,
              memkind_create_pmem(mk_test_pmem_dir.c_str(), 64 << 20, &pmem));
    const size_t fsz = 32 << 20;
    void *buf = mmap(nullptr, fsz, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(MAP_FAILED, buf);
    ASSERT_EQ(0, memkind_create_fixed(buf, fsz, &fixed));
    for (auto [kind, limit] :
         {std::pair<memkind_t, size_t>{pmem, 64 << 20}, {fixed, fsz}}) {
        // of the first large class: the share (2 MiB, 1 MiB) fits its slots
        size_t cached = lc_fill_fresh_thread(kind, limit / 32, lc_first());
        EXPECT_EQ(limit / 32, cached) << kind->name;
    }
    EXPECT_EQ(0, memkind_destroy_kind(fixed));
    EXPECT_EQ(0, memkind_destroy_kind(pmem));
    munmap(buf, fsz);
}

// Run by LargeCacheOff.ZeroBytesTurnsItOff in a child started with
// MEMKIND_LARGE_CACHE_BYTES=0.
TEST(LargeCacheOff, InChild)
{
    if (!getenv("MK_TEST_LC_CHILD")) {
        GTEST_SKIP() << "run by LargeCacheOff.ZeroBytesTurnsItOff";
    }
    EXPECT_EQ(0u, mk_arena_large_cache_budget());
    memkind_t pmem = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(mk_test_pmem_dir.c_str(), 0, &pmem));
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        for (size_t s : lc_sizes) {
            void *p = memkind_malloc(kind, s);
            ASSERT_NE(nullptr, p);
            memkind_free(kind, p);
            EXPECT_EQ(0u, mk_arena_thread_large_cached(kind)) << s;
        }
    }
    EXPECT_EQ(0, memkind_destroy_kind(pmem));
}

// Runs this test program again in a child with env set (name, value pairs)
// and only filter; the child must pass exactly one test.
static void
run_self_in_child(const std::vector<std::pair<const char *, const char *>> &env,
                  const char *filter)
{
    int fd[2];
    ASSERT_EQ(0, pipe(fd));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        for (auto &kv : env)
            setenv(kv.first, kv.second, 1);
        std::string arg = std::string("--gtest_filter=") + filter;
        execl("/proc/self/exe", "unit_test", arg.c_str(), (char *)nullptr);
        _exit(127);
    }
    close(fd[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd[0], buf, sizeof(buf))) > 0)
        out.append(buf, (size_t)n);
    close(fd[0]);
    int status = 0;
    ASSERT_EQ(pid, waitpid(pid, &status, 0));
    ASSERT_TRUE(WIFEXITED(status)) << out;
    EXPECT_EQ(0, WEXITSTATUS(status)) << out;
    EXPECT_NE(std::string::npos, out.find("[  PASSED  ] 1 test.")) << out;
    // the child's own report lines ("[ idle     ] ..."), not gtest's
    for (size_t at = 0, nl; at < out.size(); at = nl + 1) {
        nl = out.find('\n', at);
        if (nl == std::string::npos)
            nl = out.size();
        if (out.compare(at, 2, "[ ") == 0 &&
            islower((unsigned char)out[at + 2]))
            std::printf("%s\n", out.substr(at, nl - at).c_str());
    }
}

// A PMEM kind without a size shares MK_LC_FILE_SHARE (32 MiB) among the
// threads that use it, at least MK_LC_FILE_BUDGET (4 MiB) each, when
// MEMKIND_LARGE_CACHE_BYTES is not set: cached blocks hold file space and
// a forked child copies them all, but one thread alone with 4 MiB ran
// 256 KiB batches 12 times slower.  1 MiB objects: 32 fit a class's slots.
// Fails with a fixed 4 MiB per thread (the budget before, checked).
TEST(LargeCacheLimit, FileKindsShareTheirBudgetUnlessBytesAreGiven)
{
    if (getenv("MEMKIND_LARGE_CACHE_BYTES")) {
        GTEST_SKIP() << "MEMKIND_LARGE_CACHE_BYTES is set";
    }
    if (mk_arena_large_cache_budget() < MK_LC_FILE_SHARE) {
        GTEST_SKIP() << "large cache budget under 32 MiB";
    }
    const size_t mib = (size_t)1 << 20;
    memkind_t pmem = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(mk_test_pmem_dir.c_str(), 0, &pmem));
    EXPECT_EQ(MK_LC_FILE_SHARE, mk_arena_kind_large_cache_budget(pmem));
    // one thread: all of it
    EXPECT_EQ(MK_LC_FILE_SHARE,
              lc_fill_fresh_thread(pmem, MK_LC_FILE_SHARE, mib));
    // two (this one uses the kind too): half each
    void *mine = memkind_malloc(pmem, 64);
    ASSERT_NE(nullptr, mine);
    EXPECT_EQ(MK_LC_FILE_SHARE / 2,
              lc_fill_fresh_thread(pmem, MK_LC_FILE_SHARE / 2, mib));
    // twelve: the floor, 4 MiB each
    const int others = 11;
    std::atomic<int> made{0}, done{0};
    std::vector<size_t> cached(others);
    std::vector<std::thread> ts;
    for (int i = 0; i < others; i++)
        ts.emplace_back([&, i] {
            std::vector<void *> v;
            for (size_t k = 0; k < MK_LC_FILE_BUDGET / mib + 2; k++)
                v.push_back(memkind_malloc(pmem, mib));
            made++;
            while (made.load() < others)
                std::this_thread::yield();
            for (void *p : v)
                memkind_free(pmem, p);
            cached[i] = mk_arena_thread_large_cached(pmem);
            done++;
            while (done.load() < others) // all still use the kind
                std::this_thread::yield();
            (void)memkind_update_cached_stats();
        });
    for (auto &t : ts)
        t.join();
    for (int i = 0; i < others; i++)
        EXPECT_EQ(MK_LC_FILE_BUDGET, cached[i]) << "thread " << i;
    // the others exited: this thread alone again
    EXPECT_EQ(MK_LC_FILE_SHARE, mk_arena_kind_large_cache_budget(pmem));
    memkind_free(pmem, mine);
    EXPECT_EQ(mk_arena_large_cache_budget(),
              mk_arena_kind_large_cache_budget(MEMKIND_DEFAULT));
    EXPECT_EQ(0, memkind_destroy_kind(pmem));
    run_self_in_child({{"MEMKIND_LARGE_CACHE_BYTES", "8388608"},
                       {"MK_TEST_LC_GIVEN_CHILD", "1"}},
                      "LargeCacheLimit.GivenBytesInChild");
}

// Run by the test above with MEMKIND_LARGE_CACHE_BYTES=8388608: a PMEM
// kind without a size takes the given budget.
TEST(LargeCacheLimit, GivenBytesInChild)
{
    if (!getenv("MK_TEST_LC_GIVEN_CHILD")) {
        GTEST_SKIP() << "run by FileKindsShareTheirBudgetUnlessBytesAreGiven";
    }
    const size_t given = (size_t)8 << 20;
    ASSERT_EQ(given, mk_arena_large_cache_budget());
    memkind_t pmem = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(mk_test_pmem_dir.c_str(), 0, &pmem));
    EXPECT_EQ(given, mk_arena_kind_large_cache_budget(pmem));
    EXPECT_EQ(given, lc_fill_fresh_thread(pmem, given, lc_unit()));
    EXPECT_EQ(0, memkind_destroy_kind(pmem));
}

TEST(LargeCacheOff, ZeroBytesTurnsItOff)
{
    if (getenv("MK_TEST_LC_CHILD")) {
        GTEST_SKIP();
    }
    run_self_in_child(
        {{"MEMKIND_LARGE_CACHE_BYTES", "0"}, {"MK_TEST_LC_CHILD", "1"}},
        "LargeCacheOff.InChild");
}

// Run by LargeCacheIdle.DefaultOnlyProcess in a fresh process that makes no
// PMEM kind: a thread caches DEFAULT blocks, then sleeps; the purger, which
// no PMEM kind started, must give them back within two of its DEFAULT-only
// periods (1 s each) plus slack.  Fails when DEFAULT's first cache does
// not start the purger (checked).
TEST(LargeCacheIdle, InChild)
{
    if (!getenv("MK_TEST_LC_IDLE_CHILD")) {
        GTEST_SKIP() << "run by LargeCacheIdle.DefaultOnlyProcess";
    }
    if (mk_arena_large_cache_budget() == 0) {
        GTEST_SKIP() << "MEMKIND_LARGE_CACHE_BYTES=0 in the environment";
    }
    const size_t s = lc_unit();
    // more than MK_LC_SWEEP_FLOOR, which starts the sweeping thread
    const int n = (int)(MK_LC_SWEEP_FLOOR / s) + 4;
    ASSERT_LE(n * s, mk_arena_kind_large_cache_budget(MEMKIND_DEFAULT));
    size_t cached = 0, left = 1;
    double waited = 0;
    std::thread t([&] {
        std::vector<void *> v;
        for (int i = 0; i < n; i++)
            v.push_back(memkind_malloc(MEMKIND_DEFAULT, s));
        for (void *p : v)
            memkind_free(MEMKIND_DEFAULT, p);
        cached = mk_arena_thread_large_cached(MEMKIND_DEFAULT);
        auto t0 = std::chrono::steady_clock::now();
        while ((left = mk_arena_thread_large_cached(MEMKIND_DEFAULT)) != 0 &&
               std::chrono::steady_clock::now() - t0 < std::chrono::seconds(8))
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        waited =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count();
    });
    t.join();
    EXPECT_EQ(n * s, cached) << "the frees were not cached";
    EXPECT_EQ(0u, left) << "an idle thread's DEFAULT cache was never swept";
    // two periods are 2 s; slack for loaded and instrumented (valgrind) runs
    EXPECT_LT(waited, 4.5) << "swept, but much later than two periods";
    std::printf("[ idle     ] %zu KiB cached, %zu KiB left after %.2f s\n",
                cached >> 10, left >> 10, waited);

    // A forked child: no sweeping thread is started inside fork() (a child
    // that only execs never gets one), nor by a cache smaller than
    // MK_LC_SWEEP_FLOOR (a thread costs a short-lived process more than
    // what it would sweep); its first DEFAULT cache of that size starts it,
    // and the cache is swept like the parent's.
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        alarm(20);
        auto tasks = [] {
            int n = 0;
            if (DIR *d = opendir("/proc/self/task")) {
                while (struct dirent *de = readdir(d))
                    n += de->d_name[0] != '.';
                closedir(d);
            }
            return n;
        };
        if (tasks() != 1)
            _exit(2);
        std::vector<void *> v;
        for (int i = 0; i < n; i++)
            v.push_back(memkind_malloc(MEMKIND_DEFAULT, s));
        const int below = (int)((MK_LC_SWEEP_FLOOR - 1) / s);
        for (int i = 0; i < below; i++)
            memkind_free(MEMKIND_DEFAULT, v[i]);
        if (below > 0 && tasks() != 1)
            _exit(6);
        for (int i = below; i < n; i++)
            memkind_free(MEMKIND_DEFAULT, v[i]);
        if (mk_arena_thread_large_cached(MEMKIND_DEFAULT) != n * s)
            _exit(3);
        if (tasks() != 2)
            _exit(4);
        for (int i = 0; i < 400; i++) {
            if (mk_arena_thread_large_cached(MEMKIND_DEFAULT) == 0)
                _exit(0);
            usleep(20000);
        }
        _exit(5);
    }
    int status = 0;
    ASSERT_EQ(pid, waitpid(pid, &status, 0));
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(0, WEXITSTATUS(status))
        << "2: a thread started inside fork(); 3: not cached; 4: no "
           "sweeping thread after the child's first cache; 5: not swept; 6: "
           "a sweeping thread for less than MK_LC_SWEEP_FLOOR";
}

TEST(LargeCacheIdle, DefaultOnlyProcess)
{
    if (getenv("MK_TEST_LC_IDLE_CHILD")) {
        GTEST_SKIP();
    }
    run_self_in_child({{"MK_TEST_LC_IDLE_CHILD", "1"}},
                      "LargeCacheIdle.InChild");
}

// Memory pressure (MEMKIND_PRESSURE_PERCENT, memkind(3)).  A thread that
// keeps using its cache is never idle, so the idle sweep leaves it alone;
// under pressure the purger takes it back anyway.  The thread frees n
// objects of size s (cached), then, every 20 ms, allocates and frees one
// object of 2 s, a use of the cache that keeps at most that one object
// besides.  Returns the bytes cached after the frees and what is left when
// the cache fell below them, or after `secs`.
static void pressure_thread(memkind_t kind, size_t s, int n, double secs,
                            size_t *cached, size_t *left,
                            const std::function<void()> &after_frees = {})
{
    std::thread t([&] {
        std::vector<void *> v;
        for (int i = 0; i < n; i++) {
            v.push_back(memkind_malloc(kind, s));
            if (v.back())
                memset(v.back(), 1, s);
        }
        for (void *p : v)
            memkind_free(kind, p);
        *cached = *left = mk_arena_thread_large_cached(kind);
        if (after_frees) {
            // the object of 2 s made and cached before, so that the loop
            // needs no new extent after_frees() (a full file system)
            memkind_free(kind, memkind_malloc(kind, 2 * s));
            after_frees();
        }
        auto t0 = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() - t0 <
               std::chrono::duration<double>(secs)) {
            void *p = memkind_malloc(kind, 2 * s);
            if (p)
                *(volatile char *)p = 1;
            memkind_free(kind, p);
            *left = mk_arena_thread_large_cached(kind);
            if (*left < *cached)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    t.join();
}

// Run by MemoryPressure.DefaultCaches with MEMKIND_PRESSURE_PERCENT=100
// (MemAvailable is always below MemTotal: pressure at every check) and =0
// (never).  Fails without the pressure check (checked: nothing took the
// used cache back).
TEST(MemoryPressure, InChild)
{
    const char *mode = getenv("MK_TEST_PRESSURE_CHILD");
    if (!mode) {
        GTEST_SKIP() << "run by MemoryPressure.DefaultCaches";
    }
    if (mk_arena_large_cache_budget() == 0) {
        GTEST_SKIP() << "MEMKIND_LARGE_CACHE_BYTES=0 in the environment";
    }
    const bool pressure = strcmp(mode, "1") == 0;
    const size_t s = lc_unit();
    // more than MK_LC_SWEEP_FLOOR: that starts the purger
    const int n = (int)(MK_LC_SWEEP_FLOOR / s) + 4;
    ASSERT_LE((n + 2) * s, mk_arena_kind_large_cache_budget(MEMKIND_DEFAULT));
    size_t cached = 0, left = 0;
    auto t0 = std::chrono::steady_clock::now();
    // rounds are a second apart: two of them and slack, or 2.5 s of
    // never-idle use with no pressure
    pressure_thread(MEMKIND_DEFAULT, s, n, pressure ? 6.0 : 2.5, &cached,
                    &left);
    double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    EXPECT_EQ(n * s, cached) << "the frees were not cached";
    if (pressure) {
        EXPECT_LE(left, 2 * s)
            << "a used thread's cache was not given back under pressure";
        EXPECT_GE(mk_pmem_purger_pressure_rounds(), 1u);
    } else {
        EXPECT_GE(left, n * s) << "taken back with no pressure";
        EXPECT_EQ(0u, mk_pmem_purger_pressure_rounds());
    }
    std::printf("[ pressure ] %s: %zu KiB cached, %zu KiB left after %.2f s\n",
                pressure ? "100 %" : "off", cached >> 10, left >> 10, waited);
}

TEST(MemoryPressure, DefaultCaches)
{
    if (getenv("MK_TEST_PRESSURE_CHILD")) {
        GTEST_SKIP();
    }
    run_self_in_child(
        {{"MEMKIND_PRESSURE_PERCENT", "100"}, {"MK_TEST_PRESSURE_CHILD", "1"}},
        "MemoryPressure.InChild");
    run_self_in_child(
        {{"MEMKIND_PRESSURE_PERCENT", "0"}, {"MK_TEST_PRESSURE_CHILD", "0"}},
        "MemoryPressure.InChild");
}

// jemalloc's dirty pages in every arena (stats.arenas.<all>.pdirty).
static size_t jemk_dirty_bytes()
{
    uint64_t epoch = 1;
    size_t pdirty = 0, sz = sizeof(pdirty);
    EXPECT_EQ(0,
              jemk_mallctl("epoch", nullptr, nullptr, &epoch, sizeof(epoch)));
    EXPECT_EQ(
        0, jemk_mallctl("stats.arenas.4096.pdirty", &pdirty, &sz, nullptr, 0));
    // in jemalloc's pages (64 KiB in the arm64 build, whatever the
    // kernel's page size)
    size_t page = 0;
    sz = sizeof(page);
    EXPECT_EQ(0, jemk_mallctl("arenas.page", &page, &sz, nullptr, 0));
    return pdirty * page;
}

// Under pressure the purger empties DEFAULT's automatic arenas of their
// dirty pages at once (mk_arena_purge_now), instead of over jemalloc's
// 10 s decay.  Fails when DEFAULT's arenas are left alone (checked).
// Every other object is freed, so the freed ones cannot coalesce: a
// coalesced extent past the oversize threshold is purged at once anyway
// (32 objects of 1 MiB with 64 KiB pages left 2.4 MB dirty, not 32 MiB).
TEST(MemoryPressure, PurgeNowEmptiesDefaultArenas)
{
    const size_t s = lc_unit();
    const int n = 16;
    std::vector<void *> v;
    for (int i = 0; i < 2 * n; i++)
        v.push_back(jemk_mallocx(s, MALLOCX_TCACHE_NONE));
    for (void *p : v) {
        ASSERT_NE(nullptr, p);
        memset(p, 1, s);
    }
    for (size_t i = 0; i < v.size(); i += 2)
        jemk_dallocx(v[i], MALLOCX_TCACHE_NONE);
    size_t before = jemk_dirty_bytes();
    EXPECT_GE(before, n * s) << "the frees left no dirty pages to purge";
    EXPECT_EQ(0, mk_arena_purge_now(MEMKIND_DEFAULT));
    size_t after = jemk_dirty_bytes();
    EXPECT_LE(after + n * s, before) << "DEFAULT's dirty pages stayed";
    for (size_t i = 1; i < v.size(); i += 2)
        jemk_dallocx(v[i], MALLOCX_TCACHE_NONE);
}

// A PMEM kind on a file system that runs short of space (under 5 %, the
// default threshold) gives its cached objects and free file blocks back,
// while the system has memory to spare.  A 256 MiB tmpfs is mounted for it
// (root only) and filled by another file once the objects are cached, to
// 2 % free: room for the thread's objects of 2 s (2 MiB with 64 KiB pages)
// and below 5 % whatever the kind's decay gives back meanwhile (it is
// purged first: with 64 KiB pages a 64 MiB file system filled to 1 % came
// back above 5 % by the decay alone).
// Fails without the file-system check (checked).
TEST(MemoryPressure, FileSystemShortOfSpace)
{
    if (getenv("MK_TEST_PRESSURE_CHILD") || getenv("MK_TEST_LC_CHILD")) {
        GTEST_SKIP();
    }
    const char *pct = getenv("MEMKIND_PRESSURE_PERCENT");
    if (pct && strcmp(pct, "5") != 0) {
        GTEST_SKIP() << "MEMKIND_PRESSURE_PERCENT set in the environment";
    }
    if (mk_arena_large_cache_budget() == 0) {
        GTEST_SKIP() << "MEMKIND_LARGE_CACHE_BYTES=0 in the environment";
    }
    size_t jpage = 0, jsz = sizeof(jpage);
    ASSERT_EQ(0, jemk_mallctl("arenas.page", &jpage, &jsz, nullptr, 0));
    if (jpage > 4096) {
        // Open (issue 17 note): on the arm64 lane (64 KiB jemalloc pages,
        // 1 MiB test objects) the thread's cache went back 0.9 s into the
        // loop with no pressure round, and the fill left 5.1 % free.
        GTEST_SKIP() << "jemalloc pages of " << jpage
                     << " bytes: this test's fill and objects are sized for "
                        "4 KiB pages (not understood on 64 KiB yet)";
    }
    std::string templ = mk_test_pmem_dir + "/mk_pressure_XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(&templ[0])) << strerror(errno);
    const std::string dir = templ;
    if (mount("mk_pressure", dir.c_str(), "tmpfs", 0, "size=256m") != 0) {
        int err = errno;
        rmdir(dir.c_str());
        GTEST_SKIP() << "cannot mount a tmpfs (" << strerror(err)
                     << "): needs root";
    }
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    const size_t s = lc_unit();
    const int n = lc_count(kind, s) - 2; // room for the 2 s object
    ASSERT_GE(n, 1);
    const unsigned long rounds0 = mk_pmem_purger_pressure_rounds();
    size_t cached = 0, left = 0;
    // no pressure yet: 1.5 s of use keeps the cache
    pressure_thread(kind, s, n, 1.5, &cached, &left);
    EXPECT_EQ(n * s, cached) << "the frees were not cached";
    EXPECT_GE(left, cached) << "taken back with space to spare";
    EXPECT_EQ(rounds0, mk_pmem_purger_pressure_rounds());

    const std::string filler = dir + "/filler";
    int fd = -1;
    size_t avail_full = 0;
    auto fill = [&] {
        struct statvfs st;
        ASSERT_EQ(0, statvfs(dir.c_str(), &st));
        size_t avail = (size_t)st.f_bavail * st.f_frsize;
        size_t total = (size_t)st.f_blocks * st.f_frsize;
        fd = open(filler.c_str(), O_CREAT | O_RDWR, 0600);
        ASSERT_GE(fd, 0);
        // the kind's free pages first, then 2 % left free
        EXPECT_EQ(0, mk_arena_purge_now(kind));
        ASSERT_EQ(0, statvfs(dir.c_str(), &st));
        avail = (size_t)st.f_bavail * st.f_frsize;
        ASSERT_GT(avail, total / 50);
        ASSERT_EQ(0, posix_fallocate(fd, 0, (off_t)(avail - total / 50)));
        ASSERT_EQ(0, statvfs(dir.c_str(), &st));
        avail_full = (size_t)st.f_bavail * st.f_frsize;
    };
    auto t0 = std::chrono::steady_clock::now();
    // a fresh thread: the first one's cache went back at its exit
    pressure_thread(kind, s, n, 6.0, &cached, &left, fill);
    double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    EXPECT_EQ(n * s, cached);
    EXPECT_LE(left, 2 * s) << "the cache stayed with the file system full";
    EXPECT_GT(mk_pmem_purger_pressure_rounds(), rounds0);
    // and their file blocks went back (the arenas purged at once)
    struct statvfs st;
    ASSERT_EQ(0, statvfs(dir.c_str(), &st));
    size_t avail_end = (size_t)st.f_bavail * st.f_frsize;
    EXPECT_GE(avail_end, avail_full + n * s)
        << "the file blocks of the given back objects stayed allocated";
    std::printf("[ pressure ] file system full: %zu KiB cached, %zu KiB left "
                "after %.2f s; free space %zu -> %zu KiB\n",
                cached >> 10, left >> 10, waited, avail_full >> 10,
                avail_end >> 10);
    if (fd >= 0)
        close(fd);
    unlink(filler.c_str());
    EXPECT_EQ(0, memkind_destroy_kind(kind));
    EXPECT_EQ(0, umount(dir.c_str())) << strerror(errno);
    rmdir(dir.c_str());
}

// fork() waits for an idle sweep in progress: one that had claimed the
// forking thread's caches when fork() took its snapshot left them claimed
// in the child, where no sweeper exists to release them, and the child's
// first allocation of a cached size from MEMKIND_DEFAULT waited forever
// (test/compat/fork.sh hung once in about 500 forks).  The sweep is made to
// sleep with the caches claimed, and the test forks meanwhile.
TEST_F(LargeCache, ForkDuringAnIdleSweepLeavesNoCacheClaimedInTheChild)
{
    const size_t s = lc_unit();
    if (lc_count(MEMKIND_DEFAULT, s) < 1)
        GTEST_SKIP() << "DEFAULT caches no object of " << s << " bytes";
    mk_fault_set_sweep_delay(300);
    bool forked_in_sweep = false;
    for (int attempt = 0; attempt < 3 && !forked_in_sweep; attempt++) {
        void *p = memkind_malloc(MEMKIND_DEFAULT, s); // cached by its free
        ASSERT_NE(nullptr, p);
        memkind_free(MEMKIND_DEFAULT, p);
        // Idle now: within two sweep periods one claims this thread's
        // caches and sleeps.
        const unsigned long d0 = mk_fault_sweep_delays();
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (mk_fault_sweep_delays() == d0 &&
               std::chrono::steady_clock::now() < until)
            usleep(200);
        if (mk_fault_sweep_delays() == d0)
            continue;
        pid_t pid = fork(); // the sweep sleeps 300 ms with the caches claimed
        if (pid == 0) {
            alarm(10);
            void *q = memkind_malloc(MEMKIND_DEFAULT, s);
            if (!q)
                _exit(3);
            memkind_free(MEMKIND_DEFAULT, q);
            _exit(0);
        }
        ASSERT_GE(pid, 0);
        forked_in_sweep = true;
        int status = 0;
        ASSERT_EQ(pid, waitpid(pid, &status, 0));
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM
                    ? "the child's allocation waited for a sweeper that does "
                      "not exist in it"
                    : "the child failed")
            << " (status " << status << ")";
    }
    mk_fault_set_sweep_delay(0);
    EXPECT_TRUE(forked_in_sweep)
        << "no idle sweep claimed this thread's caches within 5 s";
}

// A forked child starts with empty large caches (the parent's cached blocks
// went back to the child's jemalloc), its allocations work and no block is
// handed out twice (each object keeps the pattern written to it); the
// parent's cache is untouched and gives back exactly the blocks it cached.
// The idle sweep is held off meanwhile: the parent's thread does not use
// the kind while it waits for the child, and a slow child (the emulated
// arm64 guest: 420 ms) let the PMEM purger sweep its cache.
TEST_F(LargeCache, ForkedChildAllocatesAndParentBlocksAreNotHandedOutTwice)
{
    const size_t s = lc_unit();
    LcNoSweep no_sweep;
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        const int n = lc_count(kind, s);
        std::vector<void *> v;
        for (int i = 0; i < n; i++)
            v.push_back(memkind_malloc(kind, s));
        for (void *p : v)
            memkind_free(kind, p);
        ASSERT_EQ(n * s, mk_arena_thread_large_cached(kind)) << kind->name;
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            alarm(20);
            if (mk_arena_thread_large_cached(kind) != 0)
                _exit(2);
            unsigned char *c[3 * 8]; // no C library malloc after fork()
            for (int i = 0; i < 3 * n; i++) {
                auto *p = static_cast<unsigned char *>(memkind_malloc(kind, s));
                if (!p)
                    _exit(3);
                memset(p, i + 1, s);
                c[i] = p;
            }
            for (int i = 0; i < 3 * n; i++) {
                for (size_t off = 0; off < s; off += 4096) {
                    if (c[i][off] != i + 1 || c[i][s - 1] != i + 1)
                        _exit(4); // two objects share memory
                }
            }
            for (int i = 0; i < 3 * n; i++)
                memkind_free(kind, c[i]);
            _exit(0);
        }
        int status = 0;
        ASSERT_EQ(pid, waitpid(pid, &status, 0));
        ASSERT_TRUE(WIFEXITED(status)) << kind->name;
        EXPECT_EQ(0, WEXITSTATUS(status)) << kind->name;
        EXPECT_EQ(n * s, mk_arena_thread_large_cached(kind)) << kind->name;
        std::vector<void *> again;
        for (int i = 0; i < n; i++)
            again.push_back(memkind_malloc(kind, s));
        std::vector<void *> a = v, b = again;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        EXPECT_EQ(a, b) << kind->name << ": the cached blocks, once each";
        for (void *p : again)
            memkind_free(kind, p);
    }
}

// A forked child never gives back what another thread of the parent held
// in its caches: that thread does not exist in the child, and fork() may
// have caught it between taking an object out of its cache and recording
// that it did, or midway through a GC that frees objects it has not yet
// removed (a thread's cache has no lock; the child's copy of memory is not
// even taken at one instant), so the child could hand out an object the
// program still uses, or free one twice (the stress test's children
// crashed in that flush).  The other thread here sits idle at fork, so the
// child's statistics show its cached objects allocated: nothing of them
// went back to jemalloc.
TEST_F(LargeCache, ForkedChildNeverFreesAnotherThreadsCache)
{
    const size_t s = lc_unit();
    LcNoSweep no_sweep;
    for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
        const int n = lc_count(kind, s);
        std::mutex m;
        std::condition_variable cv;
        bool cached = false, forked = false;
        size_t held = 0;
        std::thread other([&] {
            std::vector<void *> v;
            for (int i = 0; i < n; i++)
                v.push_back(memkind_malloc(kind, s));
            for (void *p : v)
                memkind_free(kind, p);
            std::unique_lock<std::mutex> g(m);
            held = mk_arena_thread_large_cached(kind);
            cached = true;
            cv.notify_all();
            cv.wait(g, [&] { return forked; });
            g.unlock();
            (void)memkind_update_cached_stats(); // its caches, before exit
        });
        {
            std::unique_lock<std::mutex> g(m);
            cv.wait(g, [&] { return cached; });
        }
        auto release = [&] {
            {
                std::lock_guard<std::mutex> g(m);
                forked = true;
            }
            cv.notify_all();
            other.join();
        };
        size_t before = 0;
        if (held != n * s || memkind_update_cached_stats() != 0 ||
            memkind_get_stat(kind, MEMKIND_STAT_TYPE_ALLOCATED, &before)) {
            release();
            ADD_FAILURE() << kind->name << ": the other thread cached " << held
                          << " bytes, not " << n * s << ", or no statistics";
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            alarm(20);
            size_t after = 0;
            if (memkind_update_cached_stats() ||
                memkind_get_stat(kind, MEMKIND_STAT_TYPE_ALLOCATED, &after))
                _exit(3);
            // In the parent the other thread's cache left the figure
            // (statistics leave caches out); in the child that thread is
            // gone and what it held stays allocated, so it is back in.
            if (after < before + n * s)
                _exit(4); // the other thread's cache was given back
            if (after != before + n * s)
                _exit(5);
            void *p = memkind_malloc(kind, s); // the kind works
            if (!p)
                _exit(6);
            memkind_free(kind, p);
            _exit(0);
        }
        release();
        ASSERT_GE(pid, 0);
        int status = 0;
        ASSERT_EQ(pid, waitpid(pid, &status, 0));
        ASSERT_TRUE(WIFEXITED(status)) << kind->name;
        EXPECT_EQ(0, WEXITSTATUS(status))
            << kind->name
            << " (4: the child gave the other thread's cache back; 5: the "
               "allocated statistic moved otherwise)";
    }
}

// The race itself: threads cache and take large objects without pause
// while this one forks; each child allocates and frees of every size the
// others used, then exits.  With the other threads' caches flushed in the
// child, some children crashed (a pointer caught half-written) or freed a
// block twice.
TEST_F(LargeCache, ForkWhileOtherThreadsUseTheirCaches)
{
    const size_t s = (size_t)64 << 10; // 256 KiB-2 MiB: cached at any page
    std::atomic<bool> stop{false};
    std::vector<std::thread> ts;
    for (int t = 0; t < 2; t++) {
        ts.emplace_back([&, t] {
            memkind_t kind = t ? pmem : MEMKIND_DEFAULT;
            // Rounds of a batch (48 MiB) of one class, a different class
            // each round: the cache is full of the previous class, so the
            // frees are refused and the GC flushes most of the old class
            // (a loop of frees to jemalloc fork() can catch midway).
            std::vector<void *> v;
            for (unsigned r = t; !stop.load(std::memory_order_relaxed); r++) {
                size_t sz = s * ((size_t)4 << (r % 4));
                for (size_t got = 0; got < ((size_t)48 << 20); got += sz) {
                    void *p = memkind_malloc(kind, sz);
                    if (!p)
                        break;
                    v.push_back(p);
                }
                for (void *p : v)
                    memkind_free(kind, p);
                v.clear();
            }
            (void)memkind_update_cached_stats();
        });
    }
    // 3 s and at least 10 children (30 s at most: an emulated guest forks
    // slowly)
    int failed = 0, forks = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        auto spent = std::chrono::steady_clock::now() - t0;
        if (forks >= 200 || spent > std::chrono::seconds(30) ||
            (forks >= 10 && spent > std::chrono::seconds(3)))
            break;
        pid_t pid = fork();
        if (pid == 0) {
            // Nothing but the library here: the C library's malloc (a
            // std::vector) can be locked for ever by a thread fork() caught
            // inside it (the sanitizers' allocators have no fork handler;
            // the ASan lane's child hung until the alarm).
            alarm(20);
            void *c[64];
            for (memkind_t kind : {MEMKIND_DEFAULT, pmem}) {
                for (int i = 0; i < 64; i++) {
                    size_t sz = s * ((size_t)4 << (i % 4));
                    c[i] = memkind_malloc(kind, sz);
                    if (!c[i])
                        _exit(3);
                    memset(c[i], i, sz);
                }
                for (void *p : c)
                    memkind_free(kind, p);
            }
            _exit(0);
        }
        if (pid < 0)
            break;
        int status = 0;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            std::printf("[ fork     ] a child failed: %s %d\n",
                        WIFSIGNALED(status) ? "signal" : "exit status",
                        WIFSIGNALED(status) ? WTERMSIG(status)
                                            : WEXITSTATUS(status));
            failed++;
        }
        forks++;
    }
    stop = true;
    for (auto &t : ts)
        t.join();
    EXPECT_GE(forks, 10);
    EXPECT_EQ(0, failed) << "of " << forks << " children";
    std::printf("[ fork     ] %d children, %d failed\n", forks, failed);
}

// Two PMEM kinds share size classes: a block of one, cached or freed
// through the other (a wrong kind argument, or detection), never comes out
// of the other.
TEST_F(LargeCache, PmemBlocksAreNeverServedToAnotherKind)
{
    memkind_t other = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(mk_test_pmem_dir.c_str(), 0, &other));
    const size_t s = lc_unit();
    std::vector<void *> mine;
    for (int i = 0; i < 12; i++)
        mine.push_back(memkind_malloc(pmem, s));
    for (int i = 0; i < 4; i++)
        memkind_free(pmem, mine[i]); // pmem's cache
    for (int i = 4; i < 8; i++)
        memkind_free(other, mine[i]); // wrong kind given
    for (int i = 8; i < 12; i++)
        memkind_free(nullptr, mine[i]); // detected
    EXPECT_EQ(0u, mk_arena_thread_large_cached(other));
    // fewer than MK_LC_QUIET_BUDGETS budgets of other, so that freeing them
    // caches some (more would be a thread that only frees: 1 MiB objects
    // against a 4 MiB budget with 64 KiB pages)
    const size_t most =
        MK_LC_QUIET_BUDGETS * mk_arena_kind_large_cache_budget(other) / s - 1;
    std::vector<void *> got;
    for (size_t i = 0; i < std::min<size_t>(24, most); i++) {
        void *p = memkind_malloc(other, s);
        ASSERT_NE(nullptr, p);
        EXPECT_EQ(other, memkind_detect_kind(p));
        for (void *m : mine)
            EXPECT_NE(m, p) << "a block of the other PMEM kind";
        got.push_back(p);
    }
    for (void *p : got)
        memkind_free(other, p);
    EXPECT_GT(mk_arena_thread_large_cached(other), 0u);
    for (int i = 0; i < 4; i++) {
        void *p = memkind_malloc(pmem, s);
        EXPECT_EQ(pmem, memkind_detect_kind(p));
        memkind_free(pmem, p);
    }
    ASSERT_EQ(0, memkind_destroy_kind(other));
}
