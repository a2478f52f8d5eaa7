// SPDX-License-Identifier: BSD-2-Clause
/*
 * memtier_test.cpp - black-box tests of the memtier_* API
 * (memkind_memtier.h, libmemtier(3)) against libmemkind.
 *
 * Covered: builder and ctl_set argument errors, STATIC_RATIO keeping the
 * per-kind byte ratio, DYNAMIC_THRESHOLD routing by size and moving its
 * thresholds within [min, max], calloc/realloc/posix_memalign through tiers,
 * the per-kind counters (usable sizes, exact after concurrent use, back to
 * their start after frees), counters forgotten when a kind is destroyed
 * (a new kind in the same registry slot starts from 0) and pointers the
 * library does not own.
 *
 * The tiers are MEMKIND_DEFAULT and MEMKIND_REGULAR (and MEMKIND_INTERLEAVE
 * for three tiers), which exist on any Linux machine with libnuma.
 * memtier_kind_allocated_size() is per kind and process-wide, so every test
 * measures against the value it found on entry and frees what it allocated.
 */
#include "common/test_util.hpp"

#include <memkind.h>
#include <memkind_memtier.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace
{

const char *const kValName = "policy.dynamic_threshold.thresholds[0].val";
const char *const kMinName = "policy.dynamic_threshold.thresholds[0].min";
const char *const kMaxName = "policy.dynamic_threshold.thresholds[0].max";
const char *const kCheckName = "policy.dynamic_threshold.check_cnt";
const char *const kTriggerName = "policy.dynamic_threshold.trigger";
const char *const kDegreeName = "policy.dynamic_threshold.degree";

long long counted(memkind_t kind)
{
    return static_cast<long long>(memtier_kind_allocated_size(kind));
}

// Snapshot of the counters of the two usual tiers.
struct Counters {
    long long def = counted(MEMKIND_DEFAULT);
    long long reg = counted(MEMKIND_REGULAR);
};

bool available(memkind_t kind)
{
    return memkind_check_available(kind) == MEMKIND_SUCCESS;
}

// Owns a builder and the memory made from it.
class Tiers {
  public:
    explicit Tiers(memtier_policy_t policy)
        : builder_(memtier_builder_new(policy))
    {
    }
    // NULL checks here keep the helper usable against 1.14, which crashed
    // on NULL; DeleteNullIsHarmless covers our NULL handling.
    ~Tiers()
    {
        if (memory_)
            memtier_delete_memtier_memory(memory_);
        if (builder_)
            memtier_builder_delete(builder_);
    }
    Tiers(const Tiers &) = delete;
    Tiers &operator=(const Tiers &) = delete;

    memtier_builder *builder() const
    {
        return builder_;
    }
    int add(memkind_t kind, unsigned ratio)
    {
        return memtier_builder_add_tier(builder_, kind, ratio);
    }
    int set(const char *name, size_t v)
    {
        return memtier_ctl_set(builder_, name, &v);
    }
    memtier_memory *construct()
    {
        if (memory_)
            memtier_delete_memtier_memory(memory_);
        memory_ = memtier_builder_construct_memtier_memory(builder_);
        return memory_;
    }
    memtier_memory *memory() const
    {
        return memory_;
    }

  private:
    memtier_builder *builder_;
    memtier_memory *memory_ = nullptr;
};

class MemtierTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (!available(MEMKIND_DEFAULT) || !available(MEMKIND_REGULAR))
            GTEST_SKIP() << "needs MEMKIND_DEFAULT and MEMKIND_REGULAR";
    }
};

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

using MemtierBuilder = MemtierTest;

TEST_F(MemtierBuilder, NewRejectsUnknownPolicy)
{
    EXPECT_EQ(nullptr, memtier_builder_new(MEMTIER_POLICY_MAX_VALUE));
    EXPECT_EQ(nullptr, memtier_builder_new(static_cast<memtier_policy_t>(-1)));
}

TEST_F(MemtierBuilder, EnumValuesMatch114)
{
    EXPECT_EQ(0, MEMTIER_POLICY_STATIC_RATIO);
    EXPECT_EQ(1, MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    EXPECT_EQ(2, MEMTIER_POLICY_MAX_VALUE);
}

TEST_F(MemtierBuilder, AddTierRejectsBadArguments)
{
    Tiers t(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_NE(nullptr, t.builder());
    EXPECT_EQ(-1, memtier_builder_add_tier(nullptr, MEMKIND_DEFAULT, 1));
    EXPECT_EQ(-1, t.add(nullptr, 1));
    // libmemtier(7): RATIO is "in a range from 1 to UINT_MAX".
    EXPECT_EQ(-1, t.add(MEMKIND_DEFAULT, 0));
    EXPECT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    // A kind is one tier: its counter could not tell two tiers apart.
    EXPECT_EQ(-1, t.add(MEMKIND_DEFAULT, 3));
    EXPECT_EQ(0, t.add(MEMKIND_REGULAR, UINT32_MAX));
    EXPECT_NE(nullptr, t.construct());
}

TEST_F(MemtierBuilder, FailedAddLeavesBuilderUsable)
{
    Tiers t(MEMTIER_POLICY_STATIC_RATIO);
    EXPECT_EQ(-1, t.add(MEMKIND_DEFAULT, 0));
    // The failed add must not have left a tier behind.
    EXPECT_EQ(nullptr, t.construct());
    EXPECT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    EXPECT_NE(nullptr, t.construct());
}

TEST_F(MemtierBuilder, ConstructNeedsEnoughTiers)
{
    EXPECT_EQ(nullptr, memtier_builder_construct_memtier_memory(nullptr));

    Tiers s(MEMTIER_POLICY_STATIC_RATIO);
    EXPECT_EQ(nullptr, s.construct());
    ASSERT_EQ(0, s.add(MEMKIND_DEFAULT, 1));
    EXPECT_NE(nullptr, s.construct());

    // libmemtier(7): "Minimum two tiers are required for this policy".
    Tiers d(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    EXPECT_EQ(nullptr, d.construct());
    ASSERT_EQ(0, d.add(MEMKIND_DEFAULT, 1));
    EXPECT_EQ(nullptr, d.construct());
    ASSERT_EQ(0, d.add(MEMKIND_REGULAR, 1));
    EXPECT_NE(nullptr, d.construct());
}

TEST_F(MemtierBuilder, DeleteNullIsHarmless)
{
    memtier_builder_delete(nullptr);
    memtier_delete_memtier_memory(nullptr);
}

// libmemtier(3): "The builder can be safely removed after this operation".
TEST_F(MemtierBuilder, MemoryOutlivesBuilder)
{
    memtier_builder *b = memtier_builder_new(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_NE(nullptr, b);
    ASSERT_EQ(0, memtier_builder_add_tier(b, MEMKIND_REGULAR, 1));
    memtier_memory *m = memtier_builder_construct_memtier_memory(b);
    ASSERT_NE(nullptr, m);
    // The builder stays usable and its later changes do not reach m.
    ASSERT_EQ(0, memtier_builder_add_tier(b, MEMKIND_DEFAULT, 1000));
    memtier_memory *m2 = memtier_builder_construct_memtier_memory(b);
    ASSERT_NE(nullptr, m2);
    memtier_builder_delete(b);

    for (int i = 0; i < 100; ++i) {
        void *p = memtier_malloc(m, 64);
        ASSERT_NE(nullptr, p);
        EXPECT_EQ(MEMKIND_REGULAR, memkind_detect_kind(p));
        memtier_free(p);
    }
    memtier_delete_memtier_memory(m2);
    memtier_delete_memtier_memory(m);
}

// ---------------------------------------------------------------------------
// memtier_ctl_set
// ---------------------------------------------------------------------------

using MemtierCtl = MemtierTest;

TEST_F(MemtierCtl, AcceptsDocumentedNames)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    EXPECT_EQ(0, t.set(kMinName, 100));
    EXPECT_EQ(0, t.set(kValName, 200));
    EXPECT_EQ(0, t.set(kMaxName, 300));
    unsigned cnt = 5;
    EXPECT_EQ(0, memtier_ctl_set(t.builder(), kCheckName, &cnt));
    float f = 0.5f;
    EXPECT_EQ(0, memtier_ctl_set(t.builder(), kTriggerName, &f));
    EXPECT_EQ(0, memtier_ctl_set(t.builder(), kDegreeName, &f));
    EXPECT_NE(nullptr, t.construct());
}

TEST_F(MemtierCtl, RejectsUnknownNames)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    const char *bad[] = {
        "",
        "policy",
        "policy.dynamic_threshold.",
        "policy.dynamic_threshold.check_cntx",
        "policy.dynamic_threshold.foo",
        "policy.dynamic_threshold.thresholds[0]",
        "policy.dynamic_threshold.thresholds[0].",
        "policy.dynamic_threshold.thresholds[0].val2",
        "policy.dynamic_threshold.thresholds[0].foo",
        "policy.dynamic_threshold.thresholds[].val",
        "policy.dynamic_threshold.thresholds[-1].val",
        "policy.dynamic_threshold.thresholds[0x0].val",
        "policy.dynamic_threshold.thresholds[4294967296].val",
        "policy.dynamic_threshold.thresholds0.val",
        "policy.static_ratio",
        "POLICY.DYNAMIC_THRESHOLD.TRIGGER",
    };
    size_t v = 1024;
    for (const char *name : bad)
        EXPECT_EQ(-1, memtier_ctl_set(t.builder(), name, &v)) << name;
    // The builder is unharmed.
    EXPECT_NE(nullptr, t.construct());
}

TEST_F(MemtierCtl, RejectsNullArguments)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    float f = 0.1f;
    EXPECT_EQ(-1, memtier_ctl_set(nullptr, kDegreeName, &f));
    EXPECT_EQ(-1, memtier_ctl_set(t.builder(), nullptr, &f));
    EXPECT_EQ(-1, memtier_ctl_set(t.builder(), kDegreeName, nullptr));
    EXPECT_EQ(-1, memtier_ctl_set(t.builder(), kValName, nullptr));
}

// Every name belongs to DYNAMIC_THRESHOLD (libmemtier(3)).
TEST_F(MemtierCtl, StaticRatioBuilderHasNoNames)
{
    Tiers t(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    float f = 0.1f;
    EXPECT_EQ(-1, memtier_ctl_set(t.builder(), kDegreeName, &f));
    EXPECT_EQ(-1, t.set(kValName, 1024));
}

// libmemtier(3): "The last configuration's ID is equal to the number of
// tiers minus one" - threshold ID sits between tiers ID and ID + 1, so it
// exists once tier ID + 1 has been added.
TEST_F(MemtierCtl, ThresholdIdMustNameAnExistingBoundary)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    EXPECT_EQ(-1, t.set(kValName, 1024));
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    EXPECT_EQ(-1, t.set(kValName, 1024));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    EXPECT_EQ(0, t.set(kValName, 1024));
    EXPECT_EQ(-1, t.set("policy.dynamic_threshold.thresholds[1].val", 2048));
    EXPECT_EQ(-1,
              t.set("policy.dynamic_threshold.thresholds[4294967295].val", 1));
}

TEST_F(MemtierCtl, NegativeTriggerOrDegreeFailsAtConstruct)
{
    // COMPAT(1.14), measured on Debian's libmemkind0 1.14.0:
    // memtier_ctl_set() stores any trigger or degree and returns 0; a
    // negative one makes memtier_builder_construct_memtier_memory() return
    // NULL.  Zero (also -0.0) and infinity are valid values.
    const float inf = std::numeric_limits<float>::infinity();
    for (const char *name : {kTriggerName, kDegreeName}) {
        for (float f : {-1.0f, -0.0001f, -inf}) {
            Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
            ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
            ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
            EXPECT_EQ(0, memtier_ctl_set(t.builder(), name, &f))
                << name << " " << f;
            EXPECT_EQ(nullptr, t.construct()) << name << " " << f;
            // A valid value set afterwards repairs the builder.
            float one = 1.0f;
            EXPECT_EQ(0, memtier_ctl_set(t.builder(), name, &one));
            EXPECT_NE(nullptr, t.construct()) << name << " after " << f;
        }
        for (float f : {0.0f, -0.0f, 0.5f, inf}) {
            Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
            ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
            ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
            EXPECT_EQ(0, memtier_ctl_set(t.builder(), name, &f))
                << name << " " << f;
            ASSERT_NE(nullptr, t.construct()) << name << " " << f;
            void *p = memtier_malloc(t.memory(), 100);
            EXPECT_NE(nullptr, p);
            memtier_free(p);
        }
    }
}

TEST_F(MemtierCtl, NanTriggerOrDegreeIsStoredButNotBuilt)
{
    // memtier_ctl_set() takes NaN as 1.14 does; construction refuses it
    // (a deliberate difference: 1.14 builds a memory whose threshold steps
    // are then computed from NaN, undefined in C).
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (const char *name : {kTriggerName, kDegreeName}) {
        Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
        ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
        ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
        EXPECT_EQ(0, memtier_ctl_set(t.builder(), name, &nan)) << name;
        EXPECT_EQ(nullptr, t.construct()) << name;
    }
}

// Fields are set one at a time, so their consistency is checked when the
// memory is built: min <= val <= max (libmemtier(7) INIT_VAL).
TEST_F(MemtierCtl, InconsistentThresholdFailsConstruct)
{
    struct Case {
        size_t min, val, max;
        bool ok;
    } cases[] = {
        {100, 200, 300, true},  {200, 200, 200, true},  {0, 0, 0, true},
        {201, 200, 300, false}, {100, 301, 300, false}, {300, 200, 100, false},
    };
    for (const Case &c : cases) {
        Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
        ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
        ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
        ASSERT_EQ(0, t.set(kMinName, c.min));
        ASSERT_EQ(0, t.set(kValName, c.val));
        ASSERT_EQ(0, t.set(kMaxName, c.max));
        EXPECT_EQ(c.ok, t.construct() != nullptr)
            << c.min << " " << c.val << " " << c.max;
    }
}

// libmemtier(3)/(7): the first threshold defaults to val 1024, min 513,
// max 1536, so with only val set the accepted range is [513, 1536].
TEST_F(MemtierCtl, DefaultRangeOfFirstThreshold)
{
    struct Case {
        size_t val;
        bool ok;
    } cases[] = {{0, false},   {512, false}, {513, true},
                 {1024, true}, {1536, true}, {1537, false}};
    for (const Case &c : cases) {
        Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
        ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
        ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
        ASSERT_EQ(0, t.set(kValName, c.val));
        EXPECT_EQ(c.ok, t.construct() != nullptr) << c.val;
    }
}

// Ranges of neighbouring thresholds may touch but not overlap.
TEST_F(MemtierCtl, OverlappingThresholdRangesFailConstruct)
{
    if (!available(MEMKIND_INTERLEAVE))
        GTEST_SKIP() << "needs MEMKIND_INTERLEAVE";
    struct Case {
        size_t max0, min1;
        bool ok;
    } cases[] = {{1536, 1537, true}, {1537, 1537, true}, {1538, 1537, false}};
    for (const Case &c : cases) {
        Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
        ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
        ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
        ASSERT_EQ(0, t.add(MEMKIND_INTERLEAVE, 1));
        ASSERT_EQ(0, t.set(kMaxName, c.max0));
        ASSERT_EQ(0,
                  t.set("policy.dynamic_threshold.thresholds[1].min", c.min1));
        EXPECT_EQ(c.ok, t.construct() != nullptr) << c.max0 << " " << c.min1;
    }
}

// ---------------------------------------------------------------------------
// STATIC_RATIO
// ---------------------------------------------------------------------------

class MemtierStaticRatio
    : public MemtierTest,
      public ::testing::WithParamInterface<std::pair<unsigned, unsigned>> {};

/*
 * libmemtier(3): given ratio DRAM:KMEM_DAX 1:4, "20 GB total, 4 GB DRAM,
 * 16 GB KMEM_DAX".  Tolerance: the policy sends each request to the tier
 * whose bytes / ratio is lowest, so the tiers' bytes / ratio stay within one
 * allocation of each other, plus the staleness of the counters it reads
 * (per-thread batches of 64 KiB in our library, 50 KiB in 1.14).  Over
 * 16 MiB that is below 0.5 % of the total; the test allows 1 %.
 */
TEST_P(MemtierStaticRatio, KeepsRatioOfAllocatedBytes)
{
    const unsigned r_def = GetParam().first, r_reg = GetParam().second;
    Tiers t(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, r_def));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, r_reg));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);

    for (bool random_sizes : {false, true}) {
        Counters start;
        std::mt19937 rng(42);
        std::uniform_int_distribution<size_t> size_of(1, 4096);
        std::vector<void *> blocks;
        size_t total = 0;
        while (total < 16u << 20) {
            size_t size = random_sizes ? size_of(rng) : 1024;
            void *p = memtier_malloc(m, size);
            ASSERT_NE(nullptr, p);
            memkind_t k = memkind_detect_kind(p);
            ASSERT_TRUE(k == MEMKIND_DEFAULT || k == MEMKIND_REGULAR);
            total += memtier_usable_size(p);
            blocks.push_back(p);
        }
        Counters end;
        double def = double(end.def - start.def);
        double reg = double(end.reg - start.reg);
        EXPECT_EQ(double(total), def + reg);
        double want = double(r_def) / (r_def + r_reg);
        EXPECT_NEAR(want, def / (def + reg), 0.01)
            << "DEFAULT " << def << " REGULAR " << reg
            << (random_sizes ? " (random sizes)" : " (1 KiB)");

        for (void *p : blocks)
            memtier_free(p);
        Counters freed;
        EXPECT_EQ(start.def, freed.def);
        EXPECT_EQ(start.reg, freed.reg);
    }
}

INSTANTIATE_TEST_SUITE_P(Ratios, MemtierStaticRatio,
                         ::testing::Values(std::make_pair(1u, 1u),
                                           std::make_pair(1u, 4u),
                                           std::make_pair(3u, 1u)));

TEST_F(MemtierTest, SingleTierTakesEverything)
{
    Tiers t(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 7));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    for (size_t size = 1; size < (1u << 22); size *= 3) {
        void *p = memtier_malloc(m, size);
        ASSERT_NE(nullptr, p);
        EXPECT_EQ(MEMKIND_REGULAR, memkind_detect_kind(p));
        memtier_free(p);
    }
}

// ---------------------------------------------------------------------------
// DYNAMIC_THRESHOLD
// ---------------------------------------------------------------------------

using MemtierDynamicThreshold = MemtierTest;

memkind_t kind_of_new(memtier_memory *m, size_t size)
{
    void *p = memtier_malloc(m, size);
    memkind_t k = memkind_detect_kind(p);
    memtier_free(p);
    return k;
}

// libmemtier(3) thresholds[ID].val: "all alocations of the size below this
// value will come from the IDth tier, greater than or equal to this value
// will come from the (ID+1)th tier".  Default 1024.
TEST_F(MemtierDynamicThreshold, DefaultThresholdSplitsAt1024)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    unsigned never = 0;
    ASSERT_EQ(0, memtier_ctl_set(t.builder(), kCheckName, &never));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    EXPECT_EQ(MEMKIND_DEFAULT, kind_of_new(m, 1));
    EXPECT_EQ(MEMKIND_DEFAULT, kind_of_new(m, 1023));
    EXPECT_EQ(MEMKIND_REGULAR, kind_of_new(m, 1024));
    EXPECT_EQ(MEMKIND_REGULAR, kind_of_new(m, 1 << 20));
}

TEST_F(MemtierDynamicThreshold, CtlSetMovesTheSplit)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    // val first: the intermediate state (val below min) is allowed.
    ASSERT_EQ(0, t.set(kValName, 100));
    ASSERT_EQ(0, t.set(kMinName, 50));
    ASSERT_EQ(0, t.set(kMaxName, 200));
    unsigned never = 0;
    ASSERT_EQ(0, memtier_ctl_set(t.builder(), kCheckName, &never));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(MEMKIND_DEFAULT, kind_of_new(m, 99));
        EXPECT_EQ(MEMKIND_REGULAR, kind_of_new(m, 100));
    }
}

// libmemtier(7): "If there are more tiers defined, each next undefined
// threshold will have all parameters increased by 1024".
TEST_F(MemtierDynamicThreshold, ThreeTiersUseDefaultSecondThreshold)
{
    if (!available(MEMKIND_INTERLEAVE))
        GTEST_SKIP() << "needs MEMKIND_INTERLEAVE";
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    ASSERT_EQ(0, t.add(MEMKIND_INTERLEAVE, 1));
    unsigned never = 0;
    ASSERT_EQ(0, memtier_ctl_set(t.builder(), kCheckName, &never));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    EXPECT_EQ(MEMKIND_DEFAULT, kind_of_new(m, 1023));
    EXPECT_EQ(MEMKIND_REGULAR, kind_of_new(m, 1024));
    EXPECT_EQ(MEMKIND_REGULAR, kind_of_new(m, 2047));
    EXPECT_EQ(MEMKIND_INTERLEAVE, kind_of_new(m, 2048));
    // Its default range is [1537, 2560].
    Tiers bad(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, bad.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, bad.add(MEMKIND_REGULAR, 1));
    ASSERT_EQ(0, bad.add(MEMKIND_INTERLEAVE, 1));
    ASSERT_EQ(0, bad.set("policy.dynamic_threshold.thresholds[1].val", 2561));
    EXPECT_EQ(nullptr, bad.construct());
    ASSERT_EQ(0, bad.set("policy.dynamic_threshold.thresholds[1].val", 1537));
    EXPECT_NE(nullptr, bad.construct());
}

/*
 * Too many bytes in the upper tier raise the threshold, too many in the
 * lower tier lower it, never beyond [min, max] (libmemtier(3) degree,
 * libmemtier(7) "it will not be lesser than MIN_VAL and it will not be
 * greater than MAX_VAL").  check_cnt 1 re-checks after every allocation.
 */
TEST_F(MemtierDynamicThreshold, ThresholdMovesWithinItsRange)
{
    for (bool upper_heavy : {true, false}) {
        Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
        ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
        ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
        ASSERT_EQ(0, t.set(kMinName, 600));
        ASSERT_EQ(0, t.set(kValName, 1000));
        ASSERT_EQ(0, t.set(kMaxName, 1400));
        unsigned every = 1;
        ASSERT_EQ(0, memtier_ctl_set(t.builder(), kCheckName, &every));
        memtier_memory *m = t.construct();
        ASSERT_NE(nullptr, m);

        Counters start;
        std::vector<void *> blocks;
        size_t size = upper_heavy ? 4000 : 16;
        for (int i = 0; i < 200; ++i)
            blocks.push_back(memtier_malloc(m, size));
        if (upper_heavy) {
            EXPECT_EQ(MEMKIND_DEFAULT, kind_of_new(m, 1399));
            EXPECT_EQ(MEMKIND_REGULAR, kind_of_new(m, 1400));
        } else {
            EXPECT_EQ(MEMKIND_REGULAR, kind_of_new(m, 600));
            EXPECT_EQ(MEMKIND_DEFAULT, kind_of_new(m, 599));
        }
        for (void *p : blocks)
            memtier_free(p);
        Counters end;
        EXPECT_EQ(start.def, end.def);
        EXPECT_EQ(start.reg, end.reg);
    }
}

// degree 0, or a trigger larger than any finite ratio error, keep the
// threshold where it starts although the tiers are far from 1:1.
TEST_F(MemtierDynamicThreshold, ZeroDegreeOrHugeTriggerFreezeThreshold)
{
    for (int which = 0; which < 2; ++which) {
        Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
        ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
        ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
        float degree = 0.0f, trigger = 1e30f;
        unsigned every = 1;
        ASSERT_EQ(0, memtier_ctl_set(t.builder(),
                                     which ? kDegreeName : kTriggerName,
                                     which ? &degree : &trigger));
        ASSERT_EQ(0, memtier_ctl_set(t.builder(), kCheckName, &every));
        memtier_memory *m = t.construct();
        ASSERT_NE(nullptr, m);
        std::vector<void *> blocks;
        for (int i = 0; i < 100; ++i) {
            blocks.push_back(memtier_malloc(m, 16));
            blocks.push_back(memtier_malloc(m, 5000));
        }
        EXPECT_EQ(MEMKIND_DEFAULT, kind_of_new(m, 1023)) << which;
        EXPECT_EQ(MEMKIND_REGULAR, kind_of_new(m, 1024)) << which;
        for (void *p : blocks)
            memtier_free(p);
    }
}

/*
 * Sizes spread evenly over 1..2048 with ratio 1:4: a fixed threshold of
 * 1024 would give REGULAR:DEFAULT = 3:1; the policy must move it (to about
 * 916) and hold 4:1.  1.14 keeps it within 1 %; we allow 5 % of the ratio
 * because the threshold only moves in steps of degree = 15 %.
 */
TEST_F(MemtierDynamicThreshold, AdaptsToKeepRatio)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 4));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    Counters start;
    std::mt19937 rng(7);
    std::uniform_int_distribution<size_t> size_of(1, 2048);
    std::vector<void *> blocks;
    for (int i = 0; i < 50000; ++i) {
        void *p = memtier_malloc(m, size_of(rng));
        ASSERT_NE(nullptr, p);
        blocks.push_back(p);
    }
    Counters end;
    double def = double(end.def - start.def);
    double reg = double(end.reg - start.reg);
    ASSERT_GT(def, 0);
    EXPECT_NEAR(4.0, reg / def, 0.2);
    for (void *p : blocks)
        memtier_free(p);
    Counters freed;
    EXPECT_EQ(start.def, freed.def);
    EXPECT_EQ(start.reg, freed.reg);
}

// ---------------------------------------------------------------------------
// Heap functions and counters
// ---------------------------------------------------------------------------

using MemtierHeap = MemtierTest;

// libmemtier(3): memtier_kind_allocated_size() "returns the total size of
// memory allocated with the usage of kind and the memtier API"; we count
// usable sizes, as 1.14 does.
TEST_F(MemtierHeap, KindFunctionsCountUsableSize)
{
    Counters start;
    void *a = memtier_kind_malloc(MEMKIND_REGULAR, 100000);
    ASSERT_NE(nullptr, a);
    size_t ua = memkind_malloc_usable_size(MEMKIND_REGULAR, a);
    EXPECT_EQ(start.reg + (long long)ua, counted(MEMKIND_REGULAR));
    EXPECT_EQ(ua, memtier_usable_size(a));

    void *b = memtier_kind_calloc(MEMKIND_REGULAR, 10, 10);
    ASSERT_NE(nullptr, b);
    for (int i = 0; i < 100; ++i)
        ASSERT_EQ(0, static_cast<char *>(b)[i]);
    size_t ub = memtier_usable_size(b);

    void *c = nullptr;
    ASSERT_EQ(0, memtier_kind_posix_memalign(MEMKIND_REGULAR, &c, 4096, 10));
    ASSERT_NE(nullptr, c);
    EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(c) % 4096);
    size_t uc = memtier_usable_size(c);
    EXPECT_EQ(start.reg + (long long)(ua + ub + uc), counted(MEMKIND_REGULAR));
    // Memory of other kinds is not counted for REGULAR.
    EXPECT_EQ(start.def, counted(MEMKIND_DEFAULT));

    memtier_kind_free(MEMKIND_REGULAR, a);
    memtier_kind_free(nullptr, b);
    memtier_free(c);
    EXPECT_EQ(start.reg, counted(MEMKIND_REGULAR));
}

TEST_F(MemtierHeap, KindReallocMovesTheCount)
{
    Counters start;
    void *p = memtier_kind_realloc(MEMKIND_REGULAR, nullptr, 100);
    ASSERT_NE(nullptr, p);
    std::memset(p, 0x5a, 100);
    EXPECT_EQ(start.reg + (long long)memtier_usable_size(p),
              counted(MEMKIND_REGULAR));
    p = memtier_kind_realloc(MEMKIND_REGULAR, p, 1 << 20);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(MEMKIND_REGULAR, memkind_detect_kind(p));
    for (int i = 0; i < 100; ++i)
        ASSERT_EQ(0x5a, static_cast<unsigned char *>(p)[i]);
    EXPECT_EQ(start.reg + (long long)memtier_usable_size(p),
              counted(MEMKIND_REGULAR));
    // Kind looked up when NULL.
    p = memtier_kind_realloc(nullptr, p, 64);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(start.reg + (long long)memtier_usable_size(p),
              counted(MEMKIND_REGULAR));
    // libmemtier(3): "If size is equal to zero and ptr is not NULL, then the
    // call is equivalent to memkind_free(kind, ptr) and NULL is returned".
    EXPECT_EQ(nullptr, memtier_kind_realloc(MEMKIND_REGULAR, p, 0));
    EXPECT_EQ(start.reg, counted(MEMKIND_REGULAR));
    // memkind(3): "If kind is NULL and ptr is NULL, then memkind_realloc()
    // returns NULL and sets errno to EINVAL".
    errno = 0;
    EXPECT_EQ(nullptr, memtier_kind_realloc(nullptr, nullptr, 10));
    EXPECT_EQ(EINVAL, errno);
}

// libmemtier(3): memtier_realloc() resizes "using memory from the tier on
// which ptr is allocated"; a NULL ptr allocates from the memory's tiers.
TEST_F(MemtierHeap, ReallocStaysOnItsTier)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    unsigned never = 0;
    ASSERT_EQ(0, memtier_ctl_set(t.builder(), kCheckName, &never));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    Counters start;

    void *small = memtier_realloc(m, nullptr, 10);
    ASSERT_NE(nullptr, small);
    EXPECT_EQ(MEMKIND_DEFAULT, memkind_detect_kind(small));
    std::memcpy(small, "memtier", 8);
    small = memtier_realloc(m, small, 100000);
    ASSERT_NE(nullptr, small);
    EXPECT_EQ(MEMKIND_DEFAULT, memkind_detect_kind(small));
    EXPECT_STREQ("memtier", static_cast<char *>(small));
    EXPECT_EQ(start.def + (long long)memtier_usable_size(small),
              counted(MEMKIND_DEFAULT));

    void *big = memtier_malloc(m, 5000);
    ASSERT_NE(nullptr, big);
    EXPECT_EQ(MEMKIND_REGULAR, memkind_detect_kind(big));
    big = memtier_realloc(m, big, 8);
    ASSERT_NE(nullptr, big);
    EXPECT_EQ(MEMKIND_REGULAR, memkind_detect_kind(big));
    EXPECT_EQ(start.reg + (long long)memtier_usable_size(big),
              counted(MEMKIND_REGULAR));

    // A failing realloc leaves the block and the counters alone.
    long long before = counted(MEMKIND_REGULAR);
    errno = 0;
    EXPECT_EQ(nullptr, memtier_realloc(m, big, SIZE_MAX / 2));
    EXPECT_EQ(ENOMEM, errno);
    EXPECT_EQ(before, counted(MEMKIND_REGULAR));
    EXPECT_EQ(MEMKIND_REGULAR, memkind_detect_kind(big));

    EXPECT_EQ(nullptr, memtier_realloc(m, small, 0));
    EXPECT_EQ(nullptr, memtier_realloc(m, big, 0));
    EXPECT_EQ(nullptr, memtier_realloc(m, nullptr, 0));
    Counters end;
    EXPECT_EQ(start.def, end.def);
    EXPECT_EQ(start.reg, end.reg);
}

TEST_F(MemtierHeap, CallocAndPosixMemalignThroughTiers)
{
    Tiers t(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    Counters start;
    std::vector<void *> blocks;
    size_t total = 0;
    bool saw_def = false, saw_reg = false;
    for (int i = 0; i < 64; ++i) {
        auto *c = static_cast<unsigned char *>(memtier_calloc(m, 33, 31));
        ASSERT_NE(nullptr, c);
        for (int j = 0; j < 33 * 31; ++j)
            ASSERT_EQ(0, c[j]);
        void *a = nullptr;
        ASSERT_EQ(0, memtier_posix_memalign(m, &a, 256, 3000));
        ASSERT_NE(nullptr, a);
        EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(a) % 256);
        for (void *p : {static_cast<void *>(c), a}) {
            memkind_t k = memkind_detect_kind(p);
            saw_def |= k == MEMKIND_DEFAULT;
            saw_reg |= k == MEMKIND_REGULAR;
            total += memtier_usable_size(p);
            blocks.push_back(p);
        }
    }
    EXPECT_TRUE(saw_def && saw_reg);
    Counters mid;
    EXPECT_EQ((long long)total, mid.def - start.def + mid.reg - start.reg);
    for (void *p : blocks)
        memtier_free(p);
    Counters end;
    EXPECT_EQ(start.def, end.def);
    EXPECT_EQ(start.reg, end.reg);
}

// memkind(3) rules carried over: calloc overflow is ENOMEM, bad alignment
// EINVAL with *memptr as the tier's kind leaves it (memkind_posix_memalign:
// untouched for MEMKIND_DEFAULT, NULL for the others; Debian's 1.14.0 does
// the same through memtier), size 0 gives 0 and NULL, malloc(0) is NULL.
TEST_F(MemtierHeap, EdgeCasesAreNotCounted)
{
    Tiers t(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 1));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    Counters start;

    EXPECT_EQ(nullptr, memtier_malloc(m, 0));
    errno = 0;
    EXPECT_EQ(nullptr, memtier_calloc(m, SIZE_MAX / 2, 3));
    EXPECT_EQ(ENOMEM, errno);
    errno = 0;
    EXPECT_EQ(nullptr, memtier_kind_malloc(MEMKIND_DEFAULT, SIZE_MAX));
    EXPECT_EQ(ENOMEM, errno);

    void *p = reinterpret_cast<void *>(0x1);
    errno = 1234;
    // Nothing is allocated yet, so the first tier, MEMKIND_DEFAULT, serves.
    EXPECT_EQ(EINVAL, memtier_posix_memalign(m, &p, 3, 64));
    EXPECT_EQ(reinterpret_cast<void *>(0x1), p);
    EXPECT_EQ(1234, errno);
    EXPECT_EQ(EINVAL, memtier_kind_posix_memalign(MEMKIND_REGULAR, &p, 3, 64));
    EXPECT_EQ(nullptr, p);
    EXPECT_EQ(1234, errno);
    p = reinterpret_cast<void *>(0x1);
    EXPECT_EQ(0, memtier_posix_memalign(m, &p, 64, 0));
    EXPECT_EQ(nullptr, p);

    Counters end;
    EXPECT_EQ(start.def, end.def);
    EXPECT_EQ(start.reg, end.reg);
}

TEST_F(MemtierHeap, NullArgumentsFailCleanly)
{
    errno = 0;
    EXPECT_EQ(nullptr, memtier_malloc(nullptr, 16));
    EXPECT_EQ(EINVAL, errno);
    errno = 0;
    EXPECT_EQ(nullptr, memtier_calloc(nullptr, 1, 16));
    EXPECT_EQ(EINVAL, errno);
    void *p = reinterpret_cast<void *>(0x1);
    EXPECT_EQ(EINVAL, memtier_posix_memalign(nullptr, &p, 64, 16));
    EXPECT_EQ(nullptr, p);
    errno = 0;
    EXPECT_EQ(nullptr, memtier_kind_malloc(nullptr, 16));
    EXPECT_EQ(EINVAL, errno);
    EXPECT_EQ(0u, memtier_kind_allocated_size(nullptr));
    EXPECT_EQ(0u, memtier_usable_size(nullptr));
    memtier_free(nullptr);
    memtier_kind_free(MEMKIND_DEFAULT, nullptr);
}

// DESIGN section 4: pointers the library does not own are looked up, found
// to be nobody's and left alone (1.14 crashed).
TEST_F(MemtierHeap, ForeignPointersAreIgnored)
{
    static char buffer[4096];
    int on_stack = 0;
    Counters start;
    errno = 4321;
    memtier_free(buffer + 64);
    memtier_free(&on_stack);
    EXPECT_EQ(4321, errno);
    EXPECT_EQ(0u, memtier_usable_size(buffer + 64));
    errno = 0;
    EXPECT_EQ(nullptr, memtier_kind_realloc(nullptr, buffer + 64, 10));
    EXPECT_EQ(EINVAL, errno);
    Counters end;
    EXPECT_EQ(start.def, end.def);
    EXPECT_EQ(start.reg, end.reg);
}

TEST_F(MemtierHeap, FreeKeepsErrno)
{
    void *p = memtier_kind_malloc(MEMKIND_DEFAULT, 32);
    ASSERT_NE(nullptr, p);
    errno = 77;
    memtier_kind_free(MEMKIND_DEFAULT, p);
    EXPECT_EQ(77, errno);
}

// ---------------------------------------------------------------------------
// Counters across kind destruction
// ---------------------------------------------------------------------------

// memkind_get_kind_by_partition() is deprecated; it is how a kind's registry
// slot is visible from outside.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
int partition_of(memkind_t k)
{
    for (int p = 0; p < MEMKIND_MAX_KIND; ++p) {
        memkind_t q = nullptr;
        if (memkind_get_kind_by_partition(p, &q) == 0 && q == k)
            return p;
    }
    return -1;
}
#pragma GCC diagnostic pop

// Allocates through the memtier kind API on its own thread, so that the
// count sits in that thread's counter bucket, and keeps the thread alive
// (bucket not folded) until release().
class PendingThread {
  public:
    PendingThread(memkind_t kind, size_t size)
        : th_([this, kind, size] {
              void *p = memtier_kind_malloc(kind, size);
              std::unique_lock<std::mutex> l(mu_);
              ok_ = p != nullptr;
              ready_ = true;
              cv_.notify_all();
              cv_.wait(l, [this] { return go_; });
              // The block dies with its kind; freeing it after the kind
              // was destroyed would be undefined (memkind(3)).
          })
    {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return ready_; });
    }
    ~PendingThread()
    {
        release();
    }
    bool ok() const
    {
        return ok_;
    }
    void release()
    {
        {
            std::lock_guard<std::mutex> l(mu_);
            go_ = true;
        }
        cv_.notify_all();
        if (th_.joinable())
            th_.join();
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool ready_ = false, go_ = false, ok_ = false;
    std::thread th_;
};

class MemtierKindLifetime : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (!dir_.ok())
            GTEST_SKIP() << dir_.why();
    }
    memkind_t pmem()
    {
        memkind_t k = nullptr;
        EXPECT_EQ(0, memkind_create_pmem(dir_.c_str(), 0, &k));
        return k;
    }

    mk_test::TempDir dir_;
};

/*
 * Issue #14 item 2.  A kind destroyed with memtier blocks still counted
 * (here 4 KiB in the main thread's bucket, 8 KiB in two other threads'
 * buckets, 1 MiB settled in the total) leaves nothing to the next kind in
 * its registry slot: libmemtier(3) memtier_kind_allocated_size() reports
 * what was allocated "with the usage of kind", and 1.14 resets the counts
 * when the kind is destroyed (test/compat/parity-1.14.sh prints 0 there
 * on Debian's 1.14).
 */
TEST_F(MemtierKindLifetime, DestroyForgetsCountsOfItsSlot)
{
    memkind_t a = pmem();
    ASSERT_NE(nullptr, a);
    const int slot = partition_of(a);
    ASSERT_GE(slot, (int)MEMKIND_NUM_BASE_KIND);

    // Freed blocks leave 0, as in 1.14.
    void *big = memtier_kind_malloc(a, 1 << 20);
    ASSERT_NE(nullptr, big);
    EXPECT_EQ((long long)memtier_usable_size(big), counted(a));
    memtier_kind_free(a, big);
    EXPECT_EQ(0, counted(a));

    // Left allocated at destruction: settled, and pending in three buckets
    // (two threads that allocate one after the other never share one).
    void *settled = memtier_kind_malloc(a, 1 << 20);
    void *pending = memtier_kind_malloc(a, 4096);
    ASSERT_NE(nullptr, settled);
    ASSERT_NE(nullptr, pending);
    PendingThread t1(a, 4096), t2(a, 4096);
    ASSERT_TRUE(t1.ok() && t2.ok());
    EXPECT_EQ((1 << 20) + 3 * 4096, counted(a));

    ASSERT_EQ(0, memkind_destroy_kind(a));
    memkind_t b = pmem();
    ASSERT_NE(nullptr, b);
    // Lowest free slot: the one a left.
    ASSERT_EQ(slot, partition_of(b));
    EXPECT_EQ(0, counted(b));
    // The threads' buckets fold into the totals when they exit: still 0.
    t1.release();
    t2.release();
    EXPECT_EQ(0, counted(b));

    // And b counts from 0 from now on.
    void *p = memtier_kind_malloc(b, 100);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ((long long)memtier_usable_size(p), counted(b));
    memtier_kind_free(b, p);
    EXPECT_EQ(0, counted(b));
    EXPECT_EQ(0, memkind_destroy_kind(b));
}

/*
 * STATIC_RATIO 1:1 over two fresh kinds, one in a slot never used, one in
 * the slot of a destroyed kind that had 64 KiB counted: equal requests
 * split evenly (the policy sends each to the tier with the fewest bytes
 * per ratio unit), which a count carried over from the destroyed kind
 * would tilt against the second.
 */
TEST_F(MemtierKindLifetime, StaticRatioOverReusedSlotIsNotSkewed)
{
    memkind_t old = pmem();
    ASSERT_NE(nullptr, old);
    const int slot = partition_of(old);
    std::vector<void *> left;
    for (int i = 0; i < 16; ++i) {
        left.push_back(memtier_kind_malloc(old, 4096));
        ASSERT_NE(nullptr, left.back());
    }
    EXPECT_EQ(16 * 4096, counted(old));
    ASSERT_EQ(0, memkind_destroy_kind(old));

    memkind_t reused = pmem();
    memkind_t fresh = pmem();
    ASSERT_NE(nullptr, reused);
    ASSERT_NE(nullptr, fresh);
    ASSERT_EQ(slot, partition_of(reused));
    ASSERT_NE(slot, partition_of(fresh));

    {
        Tiers t(MEMTIER_POLICY_STATIC_RATIO);
        ASSERT_EQ(0, t.add(fresh, 1));
        ASSERT_EQ(0, t.add(reused, 1));
        memtier_memory *m = t.construct();
        ASSERT_NE(nullptr, m);
        std::vector<void *> blocks;
        int to_reused = 0;
        for (int i = 0; i < 64; ++i) {
            void *p = memtier_malloc(m, 4096);
            ASSERT_NE(nullptr, p);
            to_reused += memkind_detect_kind(p) == reused;
            blocks.push_back(p);
        }
        EXPECT_EQ(32, to_reused);
        EXPECT_EQ(counted(fresh), counted(reused));
        for (void *p : blocks)
            memtier_free(p);
    }
    EXPECT_EQ(0, memkind_destroy_kind(reused));
    EXPECT_EQ(0, memkind_destroy_kind(fresh));
}

// ---------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------

using MemtierThreads = MemtierTest;

/*
 * Many threads share one memory; each block is freed by another thread
 * than the one that allocated it.  The counters must be exact once the
 * threads are joined, the ratio must hold (tolerance: each thread's counter
 * batch of 64 KiB is invisible to the others, 16 threads x 2 kinds x 64 KiB
 * = 2 MiB against some 100 MiB allocated, i.e. 2 %; allowed 3 %), and
 * everything must come back to the start after the frees.
 */
TEST_F(MemtierThreads, StaticRatioSharedByManyThreads)
{
    Tiers t(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 4));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    Counters start;

    const int nthreads = 16, per_thread = 6000;
    std::vector<std::vector<void *>> blocks(nthreads);
    std::vector<size_t> bytes(nthreads, 0);
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < nthreads; ++i) {
        threads.emplace_back([&, i] {
            std::mt19937 rng(i);
            std::uniform_int_distribution<size_t> size_of(1, 2048);
            for (int j = 0; j < per_thread; ++j) {
                void *p = nullptr;
                size_t s = size_of(rng);
                switch (j % 4) {
                    case 0:
                        p = memtier_malloc(m, s);
                        break;
                    case 1:
                        p = memtier_calloc(m, 1, s);
                        break;
                    case 2:
                        if (memtier_posix_memalign(m, &p, 64, s) != 0)
                            p = nullptr;
                        break;
                    default:
                        p = memtier_realloc(m, memtier_malloc(m, 8), s);
                        break;
                }
                if (!p) {
                    failed = true;
                    return;
                }
                bytes[i] += memtier_usable_size(p);
                blocks[i].push_back(p);
            }
        });
    }
    for (auto &th : threads)
        th.join();
    threads.clear();
    ASSERT_FALSE(failed);

    size_t total = 0;
    for (size_t b : bytes)
        total += b;
    Counters mid;
    double def = double(mid.def - start.def), reg = double(mid.reg - start.reg);
    EXPECT_EQ(double(total), def + reg);
    EXPECT_NEAR(0.2, def / (def + reg), 0.03);

    for (int i = 0; i < nthreads; ++i) {
        threads.emplace_back([&, i] {
            for (void *p : blocks[(i + 1) % nthreads])
                memtier_free(p);
        });
    }
    for (auto &th : threads)
        th.join();
    Counters end;
    EXPECT_EQ(start.def, end.def);
    EXPECT_EQ(start.reg, end.reg);
}

// More threads than counter buckets, each allocating and freeing through
// the kind functions; the running count must be exact at every join.
TEST_F(MemtierThreads, CountsExactWithMoreThreadsThanBuckets)
{
    Counters start;
    const int nthreads = 200;
    std::vector<std::vector<void *>> blocks(nthreads);
    std::vector<size_t> bytes(nthreads, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < nthreads; ++i) {
        threads.emplace_back([&, i] {
            memkind_t k = (i % 2) ? MEMKIND_REGULAR : MEMKIND_DEFAULT;
            for (int j = 0; j < 300; ++j) {
                void *p = memtier_kind_malloc(k, 1 + (i * 131 + j * 17) % 9000);
                if (!p)
                    return;
                bytes[i] += memkind_malloc_usable_size(k, p);
                blocks[i].push_back(p);
            }
            // Free a third here, the rest from another thread below.
            for (size_t j = 0; j < blocks[i].size() / 3; ++j) {
                bytes[i] -= memtier_usable_size(blocks[i][j]);
                memtier_kind_free(k, blocks[i][j]);
                blocks[i][j] = nullptr;
            }
        });
    }
    for (auto &th : threads)
        th.join();
    threads.clear();
    long long want_def = 0, want_reg = 0;
    for (int i = 0; i < nthreads; ++i)
        ((i % 2) ? want_reg : want_def) += (long long)bytes[i];
    EXPECT_EQ(start.def + want_def, counted(MEMKIND_DEFAULT));
    EXPECT_EQ(start.reg + want_reg, counted(MEMKIND_REGULAR));

    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            for (int b = i; b < nthreads; b += 8)
                for (void *p : blocks[b])
                    memtier_free(p);
        });
    }
    for (auto &th : threads)
        th.join();
    Counters end;
    EXPECT_EQ(start.def, end.def);
    EXPECT_EQ(start.reg, end.reg);
}

// Threads racing through threshold adjustments: the split must stay within
// [min, max] of the configuration and the counters must balance.
TEST_F(MemtierThreads, DynamicThresholdUnderContention)
{
    Tiers t(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_EQ(0, t.add(MEMKIND_DEFAULT, 1));
    ASSERT_EQ(0, t.add(MEMKIND_REGULAR, 4));
    unsigned every = 2;
    ASSERT_EQ(0, memtier_ctl_set(t.builder(), kCheckName, &every));
    memtier_memory *m = t.construct();
    ASSERT_NE(nullptr, m);
    Counters start;

    const int nthreads = 12;
    std::atomic<int> misplaced{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < nthreads; ++i) {
        threads.emplace_back([&, i] {
            std::mt19937 rng(100 + i);
            std::uniform_int_distribution<size_t> size_of(1, 4096);
            std::vector<void *> mine;
            for (int j = 0; j < 8000; ++j) {
                size_t s = size_of(rng);
                void *p = memtier_malloc(m, s);
                if (!p)
                    continue;
                memkind_t k = memkind_detect_kind(p);
                // Default range [513, 1536]: below always DEFAULT, at or
                // above always REGULAR.
                if ((s < 513 && k != MEMKIND_DEFAULT) ||
                    (s >= 1536 && k != MEMKIND_REGULAR))
                    ++misplaced;
                mine.push_back(p);
                if (j % 3 == 0) {
                    memtier_free(mine.back());
                    mine.pop_back();
                }
            }
            for (void *p : mine)
                memtier_free(p);
        });
    }
    for (auto &th : threads)
        th.join();
    EXPECT_EQ(0, misplaced.load());
    Counters end;
    EXPECT_EQ(start.def, end.def);
    EXPECT_EQ(start.reg, end.reg);
}

} // namespace
