// SPDX-License-Identifier: BSD-2-Clause
/*
 * registry_test.cpp - the registry of dynamic kinds seen through the public
 * API: how many kinds may exist at once (memkind(3) ERRORS:
 * "MEMKIND_ERROR_TOOMANY Creating the kind would make more than
 * MEMKIND_MAX_KIND (512) kinds exist at once."), that every live kind has
 * its own partition (memkind_get_kind_by_partition), that slots freed in
 * the middle are reused without collisions and without handing one kind's
 * arenas to another (memkind(3) NOTES: "A new kind never shares arenas, or
 * memory, with a kind destroyed before"), that PMEM kinds release their file
 * descriptors, and long create/destroy loops.  Black box: links only
 * libmemkind.
 */
#include "common/capabilities.hpp"
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

// memkind_get_kind_by_partition() is deprecated; it is how the registry's
// slots are visible from outside.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

using namespace mk_test;

namespace
{

constexpr int kDynamicSlots = MEMKIND_MAX_KIND - MEMKIND_NUM_BASE_KIND;

/// Partition -> kind for every live dynamic kind.
std::map<int, memkind_t> live_partitions()
{
    std::map<int, memkind_t> m;
    for (int p = MEMKIND_NUM_BASE_KIND; p < MEMKIND_MAX_KIND; p++) {
        memkind_t k = nullptr;
        if (memkind_get_kind_by_partition(p, &k) == 0)
            m[p] = k;
    }
    return m;
}

/// Partition of kind k, or -1.
int partition_of(memkind_t k)
{
    for (int p = 0; p < MEMKIND_MAX_KIND; p++) {
        memkind_t q = nullptr;
        if (memkind_get_kind_by_partition(p, &q) == 0 && q == k)
            return p;
    }
    return -1;
}

/// Address space for fixed kinds: slot j gets [base + 2 MiB * j, +2 MiB),
/// used whole (even j) or as an unaligned 1 MiB slice (odd j).
class FixedArena {
  public:
    explicit FixedArena(size_t slots) : len_((slots + 1) * 2 * MiB)
    {
        raw_ = mmap(nullptr, len_, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (raw_ != MAP_FAILED)
            base_ = reinterpret_cast<char *>((uintptr_t(raw_) + 2 * MiB - 1) &
                                             ~uintptr_t(2 * MiB - 1));
    }
    ~FixedArena()
    {
        if (raw_ != MAP_FAILED)
            munmap(raw_, len_);
    }
    bool ok() const
    {
        return raw_ != MAP_FAILED;
    }
    void *addr(size_t j) const
    {
        return base_ + j * 2 * MiB + (j % 2 ? 64 * KiB + 100 : 0);
    }
    size_t size(size_t j) const
    {
        return j % 2 ? MiB : 2 * MiB;
    }
    int create(size_t j, memkind_t *k) const
    {
        return memkind_create_fixed(addr(j), size(j), k);
    }

  private:
    void *raw_ = MAP_FAILED;
    size_t len_;
    char *base_ = nullptr;
};

struct Live {
    memkind_t kind;
    bool fixed;
    size_t slot; ///< FixedArena slot (fixed kinds)
    void *block; ///< 200-byte block carrying a per-kind pattern
    unsigned seed;
};

/// A dynamic kind over slot j of fa.  (memkind_create_kind() makes no
/// kinds: it returns static ones, as 1.14 does.  PMEM kinds are left out:
/// their purger's idle sweep flushes thread caches, which moves the
/// allocated statistic step 7 compares.)
int create_one(size_t slot, const FixedArena &fa, memkind_t *k)
{
    return fa.create(slot, k);
}

TEST(Registry, FillDestroyMiddleRefillNoCollision)
{
    ASSERT_TRUE(live_partitions().empty())
        << "dynamic kinds left by another test";
    FixedArena fa(kDynamicSlots);
    ASSERT_TRUE(fa.ok());
    std::vector<Live> live;
    size_t next_slot = 0;
    unsigned seed = 1;

    // 1. Create fixed kinds, over whole granules and unaligned slices in
    //    turn (FixedArena), until TOOMANY.
    int err = 0;
    for (int i = 0; i < kDynamicSlots + 10; i++) {
        bool fixed = true;
        memkind_t k = nullptr;
        err = create_one(next_slot, fa, &k);
        if (err)
            break;
        live.push_back({k, fixed, fixed ? next_slot++ : 0, nullptr, 0});
    }
    EXPECT_EQ(err, MEMKIND_ERROR_TOOMANY) << error_text(err);
    ASSERT_EQ(int(live.size()), kDynamicSlots)
        << "MEMKIND_MAX_KIND - MEMKIND_NUM_BASE_KIND dynamic kinds fit";
    {
        memkind_t k = nullptr;
        // Static kinds need no slot: memkind_create_kind() still works.
        EXPECT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                      MEMKIND_POLICY_PREFERRED_LOCAL,
                                      memkind_bits_t(0), &k),
                  0);
        EXPECT_EQ(k, MEMKIND_DEFAULT);
        EXPECT_EQ(fa.create(next_slot, &k), MEMKIND_ERROR_TOOMANY);
        TempDir dir;
        if (dir.ok()) {
            int fds = open_fds();
            EXPECT_EQ(memkind_create_pmem(dir.c_str(), 0, &k),
                      MEMKIND_ERROR_TOOMANY);
            EXPECT_EQ(open_fds(), fds) << "a refused PMEM kind kept its file";
        }
    }

    // 2. Every partition holds exactly one of our kinds.
    auto check_partitions = [&](const char *when) {
        std::map<int, memkind_t> parts = live_partitions();
        EXPECT_EQ(parts.size(), live.size()) << when;
        std::set<memkind_t> seen;
        for (auto &pk : parts)
            EXPECT_TRUE(seen.insert(pk.second).second)
                << "kind in two partitions " << when;
        for (const Live &l : live)
            EXPECT_EQ(seen.count(l.kind), 1u)
                << "live kind without partition " << when;
    };
    check_partitions("after filling");

    // 3. A block of every kind, tagged with a pattern of its own.
    for (Live &l : live) {
        l.seed = seed++;
        l.block = memkind_malloc(l.kind, 200);
        ASSERT_NE(l.block, nullptr);
        fill_pattern(l.block, 200, l.seed);
        EXPECT_EQ(memkind_detect_kind(l.block), l.kind);
    }

    // 4. Destroy every third kind (holes all over the slot range).
    std::set<int> freed;
    std::vector<size_t> free_fixed_slots;
    std::vector<Live> survivors;
    for (size_t i = 0; i < live.size(); i++) {
        if (i % 3 == 1) {
            int p = partition_of(live[i].kind);
            ASSERT_GE(p, int(MEMKIND_NUM_BASE_KIND));
            freed.insert(p);
            if (live[i].fixed)
                free_fixed_slots.push_back(live[i].slot);
            memkind_free(live[i].kind, live[i].block);
            ASSERT_EQ(memkind_destroy_kind(live[i].kind), 0);
        } else {
            survivors.push_back(live[i]);
        }
    }
    live = survivors;
    for (int p : freed) {
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_get_kind_by_partition(p, &k),
                  MEMKIND_ERROR_UNAVAILABLE)
            << p;
    }
    check_partitions("after destroying every third kind");

    // 5. Refill: the new kinds take exactly the freed partitions.
    std::vector<Live> fresh;
    size_t reuse = 0;
    for (int i = 0; i < int(freed.size()); i++) {
        bool fixed = true;
        size_t slot = reuse < free_fixed_slots.size()
                          ? free_fixed_slots[reuse++]
                          : next_slot++;
        memkind_t k = nullptr;
        err = create_one(slot, fa, &k);
        ASSERT_EQ(err, 0) << "refill " << i << ": " << error_text(err);
        int p = partition_of(k);
        EXPECT_EQ(freed.count(p), 1u)
            << "new kind in partition " << p << ", which was not freed";
        fresh.push_back({k, fixed, slot, nullptr, seed++});
    }
    {
        memkind_t k = nullptr;
        EXPECT_EQ(fa.create(next_slot, &k), MEMKIND_ERROR_TOOMANY);
    }

    // 6. New kinds allocate their own memory; survivors' blocks are intact
    //    and still theirs; nothing overlaps.
    for (Live &l : fresh) {
        l.block = memkind_malloc(l.kind, 200);
        ASSERT_NE(l.block, nullptr);
        EXPECT_EQ(memkind_detect_kind(l.block), l.kind)
            << "new kind got memory of another kind";
        fill_pattern(l.block, 200, l.seed);
    }
    live.insert(live.end(), fresh.begin(), fresh.end());
    check_partitions("after refilling");
    std::map<uintptr_t, const Live *> by_addr;
    for (const Live &l : live) {
        EXPECT_EQ(memkind_detect_kind(l.block), l.kind);
        EXPECT_TRUE(check_pattern(l.block, 200, l.seed))
            << "block of partition " << partition_of(l.kind) << " overwritten";
        if (l.fixed) {
            uintptr_t a = uintptr_t(l.block), s = uintptr_t(fa.addr(l.slot));
            EXPECT_TRUE(a >= s && a + 200 <= s + fa.size(l.slot))
                << "fixed kind allocated outside its buffer";
        }
        EXPECT_TRUE(by_addr.emplace(uintptr_t(l.block), &l).second)
            << "same block twice";
    }
    uintptr_t prev_end = 0;
    for (auto &e : by_addr) {
        EXPECT_LE(prev_end, e.first) << "blocks of two kinds overlap";
        prev_end = e.first + 200;
    }

    // 7. The allocated statistic moves for the kind that allocates only.
    ASSERT_EQ(memkind_update_cached_stats(), 0);
    std::vector<size_t> before(live.size());
    for (size_t i = 0; i < live.size(); i++)
        ASSERT_EQ(memkind_get_stat(live[i].kind, MEMKIND_STAT_TYPE_ALLOCATED,
                                   &before[i]),
                  0);
    const Live &target = fresh.front();
    void *big = memkind_malloc(target.kind, 256 * KiB);
    ASSERT_NE(big, nullptr);
    ASSERT_EQ(memkind_update_cached_stats(), 0);
    for (size_t i = 0; i < live.size(); i++) {
        size_t v = 0;
        ASSERT_EQ(
            memkind_get_stat(live[i].kind, MEMKIND_STAT_TYPE_ALLOCATED, &v), 0);
        if (live[i].kind == target.kind)
            EXPECT_GE(v, before[i] + 256 * KiB);
        else
            EXPECT_EQ(v, before[i])
                << "kind in partition " << partition_of(live[i].kind)
                << " saw another kind's allocation";
    }
    memkind_free(target.kind, big);

    for (Live &l : live) {
        memkind_free(nullptr, l.block);
        EXPECT_EQ(memkind_destroy_kind(l.kind), 0);
    }
    EXPECT_TRUE(live_partitions().empty());
}

TEST(Registry, HundredPmemKindsReleaseTheirFds)
{
    TempDir dir;
    if (!dir.ok())
        GTEST_SKIP() << dir.why();
    ASSERT_TRUE(live_partitions().empty());
    int fds = open_fds();
    std::vector<memkind_t> kinds;
    for (int i = 0; i < 100; i++) {
        memkind_t k = nullptr;
        int err = memkind_create_pmem(dir.c_str(), i % 2 ? 0 : 32 * MiB, &k);
        ASSERT_EQ(err, 0) << i << ": " << error_text(err);
        void *a = memkind_malloc(k, 1000), *b = memkind_malloc(k, MiB);
        ASSERT_NE(a, nullptr);
        ASSERT_NE(b, nullptr);
        std::memset(b, 1, MiB);
        EXPECT_EQ(memkind_detect_kind(b), k);
        memkind_free(k, a); // b goes away with the kind
        kinds.push_back(k);
    }
    // memkind(3): "The file has no name in the directory, so it never shows
    // up in a listing".
    EXPECT_EQ(dir_entries(dir.path()), 0);
    for (memkind_t k : kinds)
        EXPECT_EQ(memkind_destroy_kind(k), 0);
    EXPECT_EQ(open_fds(), fds)
        << "destroyed PMEM kinds left file descriptors open";
    EXPECT_EQ(dir_entries(dir.path()), 0);
    EXPECT_TRUE(live_partitions().empty());
}

TEST(Registry, CreateDestroyThousandTimes)
{
    TempDir dir;
    if (!dir.ok())
        GTEST_SKIP() << dir.why();
    ASSERT_TRUE(live_partitions().empty());
    int fds = open_fds();
    FixedArena fa(2);
    ASSERT_TRUE(fa.ok());
    for (int i = 0; i < 1000; i++) {
        memkind_t k = nullptr;
        int err;
        switch (i % 3) {
            case 0:
            case 1:
                err = fa.create(size_t(i) % 2, &k);
                break;
            default:
                err = memkind_create_pmem(dir.c_str(), 16 * MiB, &k);
                break;
        }
        ASSERT_EQ(err, 0) << "iteration " << i << ": " << error_text(err);
        // The only dynamic kind alive takes the first dynamic slot.
        memkind_t q = nullptr;
        ASSERT_EQ(memkind_get_kind_by_partition(MEMKIND_NUM_BASE_KIND, &q), 0);
        EXPECT_EQ(q, k) << "iteration " << i;
        void *p = memkind_malloc(k, 100 + size_t(i));
        ASSERT_NE(p, nullptr) << "iteration " << i;
        EXPECT_EQ(memkind_detect_kind(p), k) << "iteration " << i;
        memkind_free(nullptr, p);
        ASSERT_EQ(memkind_destroy_kind(k), 0) << "iteration " << i;
    }
    EXPECT_EQ(open_fds(), fds);
    EXPECT_TRUE(live_partitions().empty());
}

TEST(Registry, ConcurrentCreateDestroy)
{
    // memkind(3) NOTES: "Calls from several threads ... are safe."
    ASSERT_TRUE(live_partitions().empty());
    constexpr int kThreads = 4, kIters = 200;
    FixedArena fa(kThreads);
    ASSERT_TRUE(fa.ok());
    std::atomic<int> errors{0}, misdetect{0};
    std::vector<std::thread> th;
    for (int t = 0; t < kThreads; t++) {
        th.emplace_back([&, t] {
            for (int i = 0; i < kIters; i++) {
                memkind_t k = nullptr;
                int err = fa.create(size_t(t), &k);
                if (err) {
                    errors++;
                    continue;
                }
                void *p = memkind_malloc(k, 64 + size_t(i));
                if (!p || memkind_detect_kind(p) != k)
                    misdetect++;
                memkind_free(nullptr, p);
                if (memkind_destroy_kind(k) != 0)
                    errors++;
            }
        });
    }
    for (auto &x : th)
        x.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(misdetect.load(), 0);
    EXPECT_TRUE(live_partitions().empty());
}

} // namespace
