// SPDX-License-Identifier: BSD-2-Clause
/*
 * unit_test.cpp - white-box tests of hidden helpers: overflow and alignment
 * helpers, the environment parser, the address map, and fault injection on
 * every failure point of kind creation (DESIGN.md, CONVENTIONS.md 10).
 */
#include "config.h"

#include <memkind.h>

#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_env.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_registry.h>
#include <memkind/internal/memkind_util.h>

#include "common/capabilities.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>
#include <sys/mman.h>
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

TEST(Env, MalformedValuesAreFlagged)
{
    // memkind(3): "a positive integer (not greater than INT_MAX)".
    const char *bad[] = {"",          "0",  "-1", "abc",
                         "4x",        " 4", "+4", "99999999999999999999",
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

/* ------------------------------------------------------------ address map */

TEST(AddressMap, FixedEdgesShareGranulesWithDefault)
{
    // An 8 MiB DEFAULT block; a fixed kind on an unaligned 1 MiB slice.
    char *block = (char *)memkind_malloc(MEMKIND_DEFAULT, 8 << 20);
    ASSERT_NE(nullptr, block);
    char *slice = block + (3 << 20) + 12345;
    memkind_t fixed = nullptr;
    ASSERT_EQ(0, memkind_create_fixed(slice, 1 << 20, &fixed));
    EXPECT_EQ(fixed, mk_arena_lookup(slice + 100));
    EXPECT_EQ(fixed, mk_arena_lookup(slice + (1 << 20) - 1));
    EXPECT_EQ(MEMKIND_DEFAULT, mk_arena_lookup(slice - 1));
    EXPECT_EQ(MEMKIND_DEFAULT, mk_arena_lookup(slice + (1 << 20)));
    void *p = memkind_malloc(fixed, 100);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(fixed, memkind_detect_kind(p));
    memkind_free(NULL, p);
    ASSERT_EQ(0, memkind_destroy_kind(fixed));
    EXPECT_EQ(MEMKIND_DEFAULT, mk_arena_lookup(slice + 100));
    memkind_free(MEMKIND_DEFAULT, block);
}

TEST(AddressMap, ForeignAddressesAreNotOurs)
{
    int local = 0;
    static int global;
    EXPECT_EQ(nullptr, mk_arena_lookup(&local));
    EXPECT_EQ(nullptr, mk_arena_lookup(&global));
    EXPECT_EQ(nullptr, mk_arena_lookup((void *)1));
    EXPECT_EQ(nullptr, mk_arena_lookup((void *)UINTPTR_MAX));
    EXPECT_EQ(nullptr, mk_arena_lookup((void *)(uintptr_t(1) << 47)));
}

/* ---------------------------------------------------------- fault injection */

struct FaultLoop {
    int points = 0;   ///< injection points that were exercised
    int failures = 0; ///< calls that failed under injection
};

/*
 * Runs create() with the n-th failure point failing, for n = 0, 1, ... until
 * it succeeds; after each failure checks the error code is one of allowed,
 * no fd and no registry slot leaked, and the same call then succeeds.
 */
template <typename Create>
static FaultLoop fault_loop(Create create, std::initializer_list<int> allowed)
{
    FaultLoop r;
    for (int n = 0; n < 1000; n++) {
        int fds = mk_test::open_fds();
        unsigned kinds = mk_registry_dynamic_count();
        memkind_t kind = nullptr;
        mk_fault_arm(n);
        int err = create(&kind);
        int seen = mk_fault_points_seen();
        mk_fault_arm(-1);
        if (err == 0) {
            EXPECT_NE(nullptr, kind);
            EXPECT_EQ(0, memkind_destroy_kind(kind));
            EXPECT_EQ(fds, mk_test::open_fds());
            r.points = n;
            return r;
        }
        r.failures++;
        bool ok = false;
        for (int a : allowed)
            ok = ok || a == err;
        EXPECT_TRUE(ok) << "step " << n << " gave error " << err;
        EXPECT_GT(seen, n) << "failed without reaching failure point " << n;
        EXPECT_EQ(fds, mk_test::open_fds()) << "fd leak at step " << n;
        EXPECT_EQ(kinds, mk_registry_dynamic_count())
            << "registry slot leak at step " << n;
    }
    ADD_FAILURE() << "create never succeeded";
    return r;
}

TEST(FaultInjection, CreatePmemEveryStep)
{
    char dir[] = "/tmp/mk-unit.XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(dir));
    FaultLoop r = fault_loop(
        [&](memkind_t *k) {
            return memkind_create_pmem(dir, MEMKIND_PMEM_MIN_SIZE, k);
        },
        {MEMKIND_ERROR_MALLOC, MEMKIND_ERROR_INVALID, MEMKIND_ERROR_MMAP});
    EXPECT_GE(r.points, 4) << "struct, dir copy, file, reservation, kind";
    EXPECT_EQ(r.points, r.failures);
    EXPECT_EQ(0, rmdir(dir)) << "a backing file was left behind";
    std::printf("[ faults   ] memkind_create_pmem: %d failure points\n",
                r.points);
}

TEST(FaultInjection, CreateKindEveryStep)
{
    FaultLoop r = fault_loop(
        [](memkind_t *k) {
            return memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                       MEMKIND_POLICY_BIND_ALL,
                                       memkind_bits_t(), k);
        },
        {MEMKIND_ERROR_MALLOC});
    EXPECT_GE(r.points, 3) << "priv, kind, arena set";
    std::printf("[ faults   ] memkind_create_kind: %d failure points\n",
                r.points);
}

TEST(FaultInjection, CreateFixedEveryStep)
{
    size_t sz = 16 << 20;
    void *buf = mmap(nullptr, sz, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(MAP_FAILED, buf);
    FaultLoop r = fault_loop(
        [&](memkind_t *k) { return memkind_create_fixed(buf, sz, k); },
        {MEMKIND_ERROR_MALLOC});
    EXPECT_GE(r.points, 3);
    munmap(buf, sz);
    std::printf("[ faults   ] memkind_create_fixed: %d failure points\n",
                r.points);
}

TEST(FaultInjection, ArenaCreationFailureGivesEnomemThenRecovers)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                     MEMKIND_POLICY_BIND_ALL, memkind_bits_t(),
                                     &kind));
    mk_fault_arm(0); // the first arena of the kind fails to be created
    errno = 0;
    void *p = memkind_malloc(kind, 64);
    mk_fault_arm(-1);
    EXPECT_EQ(nullptr, p);
    EXPECT_EQ(ENOMEM, errno);
    p = memkind_malloc(kind, 64);
    EXPECT_NE(nullptr, p) << "the kind must recover once faults stop";
    memkind_free(kind, p);
    EXPECT_EQ(0, memkind_destroy_kind(kind));
}

TEST(FaultInjection, PmemBlockAllocationFailureGivesEnomemThenRecovers)
{
    char dir[] = "/tmp/mk-unit.XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(dir));
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir, 0, &kind));
    // Points on the first allocation: arena creation, then the file blocks
    // of each chunk jemalloc tries (fallocate).  Let the arena be made and
    // every block allocation fail, as on a full file system.
    mk_fault_arm_n(1, 1000);
    errno = 0;
    void *p = memkind_malloc(kind, 4096);
    mk_fault_arm(-1);
    EXPECT_EQ(nullptr, p);
    EXPECT_EQ(ENOMEM, errno);
    p = memkind_malloc(kind, 4096);
    EXPECT_NE(nullptr, p) << "the kind must recover once faults stop";
    memkind_free(kind, p);
    EXPECT_EQ(0, memkind_destroy_kind(kind));
    EXPECT_EQ(0, rmdir(dir));
}

TEST(FaultInjection, ConfigNewFailureReturnsNull)
{
    mk_fault_arm(0);
    struct memkind_config *cfg = memkind_config_new();
    mk_fault_arm(-1);
    EXPECT_EQ(nullptr, cfg);
    cfg = memkind_config_new();
    ASSERT_NE(nullptr, cfg);
    memkind_config_delete(cfg);
}

/* ---------------------------------------------------------- magazines */

TEST(Magazine, StaleObjectsOfADestroyedKindAreNeverHandedOut)
{
    memkind_t a = nullptr, b = nullptr;
    ASSERT_EQ(0, memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                     MEMKIND_POLICY_BIND_ALL, memkind_bits_t(),
                                     &a));
    std::vector<void *> v;
    for (int i = 0; i < 64; i++)
        v.push_back(memkind_malloc(a, 64));
    for (void *p : v)
        memkind_free(a, p); // this thread's magazine now holds them
    unsigned slot = a->partition;
    ASSERT_EQ(0, memkind_destroy_kind(a));
    ASSERT_EQ(0, memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                     MEMKIND_POLICY_BIND_ALL, memkind_bits_t(),
                                     &b));
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
    ASSERT_EQ(0, memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                     MEMKIND_POLICY_BIND_ALL, memkind_bits_t(),
                                     &k));
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
