// SPDX-License-Identifier: BSD-2-Clause
/*
 * placement_test.cpp - pages of the NUMA-bound kinds land where memkind(3)
 * says: each kind's memory policy (get_mempolicy(MPOL_F_ADDR)) has the
 * promised mode and nodes, and every page of an allocation is on one of
 * them (move_pages()).  Black box: links libmemkind and libnuma only.
 *
 * The expected nodes come from outside the library where possible:
 *  - MEMKIND_HBW_NODES / MEMKIND_DAX_KMEM_NODES are parsed here with
 *    libnuma's numa_parse_nodestring() (numa(3): the syntax memkind uses);
 *  - DAX_KMEM_NODE, which the dax-vm sets, names the KMEM DAX node that
 *    libdaxctl must find;
 *  - otherwise the nodes the library reports are taken as given, and the
 *    test only checks that pages stay on them.
 * test/kinds/placement.sh runs this binary once per node of the machine
 * with both variables naming that node; test/kinds/run-dax-kmem-vm.sh runs
 * it on a real KMEM DAX node.  The thread is pinned to its CPU first, so
 * "closest to the calling CPU" is well defined.
 */
#include "common/capabilities.hpp"

#include <hbwmalloc.h>
#include <memkind.h>

#include <gtest/gtest.h>

#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
// Exported by libmemkind 1.14 (kind-author API, memkind_hbw.h and
// memkind_dax_kmem.h): the node masks of the *_ALL kinds.
int memkind_hbw_all_get_mbind_nodemask(struct memkind *kind,
                                       unsigned long *nodemask,
                                       unsigned long maxnode);
int memkind_dax_kmem_all_get_mbind_nodemask(struct memkind *kind,
                                            unsigned long *nodemask,
                                            unsigned long maxnode);
}

namespace
{

using Nodes = std::set<int>;
constexpr unsigned long kMaxNode = 1024;
constexpr size_t kBig = 4u << 20;

std::string str(const Nodes &s)
{
    std::ostringstream o;
    const char *sep = "";
    for (int n : s) {
        o << sep << n;
        sep = ",";
    }
    return "{" + o.str() + "}";
}

Nodes from_mask(const unsigned long *mask, unsigned long maxnode)
{
    Nodes s;
    for (unsigned long n = 0; n < maxnode; n++)
        if ((mask[n / (8 * sizeof(long))] >> (n % (8 * sizeof(long)))) & 1)
            s.insert(int(n));
    return s;
}

/// Nodes with memory this process may use (libnuma's view).
Nodes memory_nodes()
{
    Nodes s;
    for (int n = 0; n <= numa_max_node(); n++)
        if (numa_bitmask_isbitset(numa_all_nodes_ptr, unsigned(n)) &&
            numa_node_size64(n, nullptr) > 0)
            s.insert(n);
    return s;
}

Nodes cpu_nodes()
{
    Nodes s;
    struct bitmask *cpus = numa_allocate_cpumask();
    for (int n = 0; n <= numa_max_node(); n++)
        if (numa_node_to_cpus(n, cpus) == 0 && numa_bitmask_weight(cpus) > 0)
            s.insert(n);
    numa_free_cpumask(cpus);
    return s;
}

int my_node;

/// The nodes of set nearest my_node (SLIT distance).
Nodes closest(const Nodes &set)
{
    Nodes best;
    int bd = INT_MAX;
    for (int n : set) {
        int d = numa_distance(my_node, n);
        if (d < bd) {
            bd = d;
            best.clear();
        }
        if (d == bd)
            best.insert(n);
    }
    return best;
}

/// What a family's nodes are expected to be.
struct Family {
    bool known = false;     ///< the nodes are known (else: skip)
    bool env_error = false; ///< the override does not parse
    Nodes nodes;            ///< all nodes of the family
    std::string why;        ///< reason when not known
};

/*
 * Expectation for a family overridden by variable var, else discovered:
 * from hint (a node number in the environment, e.g. DAX_KMEM_NODE), else
 * from what get_all reports.
 */
Family expect_family(const char *var, const char *hint,
                     int (*get_all)(struct memkind *, unsigned long *,
                                    unsigned long))
{
    Family f;
    if (const char *v = getenv(var)) {
        struct bitmask *bm = numa_parse_nodestring(v);
        if (!bm || numa_bitmask_weight(bm) == 0) {
            f.env_error = true;
            f.why = std::string(var) + "=\"" + v + "\" names no node";
        } else {
            for (unsigned n = 0; n < bm->size; n++)
                if (numa_bitmask_isbitset(bm, n))
                    f.nodes.insert(int(n));
            f.known = true;
        }
        if (bm)
            numa_bitmask_free(bm);
        return f;
    }
    if (hint && getenv(hint)) {
        f.nodes.insert(atoi(getenv(hint)));
        f.known = true;
        return f;
    }
    unsigned long mask[kMaxNode / (8 * sizeof(long))] = {};
    if (get_all(nullptr, mask, kMaxNode) == 0) {
        f.nodes = from_mask(mask, kMaxNode);
        f.known = true;
    } else {
        f.why = std::string("the machine has none; set ") + var +
                " to test with ordinary nodes";
    }
    return f;
}

Family hbw_family()
{
    return expect_family("MEMKIND_HBW_NODES", nullptr,
                         memkind_hbw_all_get_mbind_nodemask);
}

Family dax_family()
{
    return expect_family("MEMKIND_DAX_KMEM_NODES", "DAX_KMEM_NODE",
                         memkind_dax_kmem_all_get_mbind_nodemask);
}

/// Node of each page of [p, p + size) (negative: not present).
std::vector<int> page_nodes(void *p, size_t size)
{
    long psz = sysconf(_SC_PAGESIZE);
    uintptr_t a = uintptr_t(p) & ~uintptr_t(psz - 1);
    uintptr_t end = uintptr_t(p) + size;
    std::vector<void *> pages;
    for (; a < end; a += uintptr_t(psz))
        pages.push_back(reinterpret_cast<void *>(a));
    std::vector<int> status(pages.size(), -1);
    EXPECT_EQ(0, move_pages(0, pages.size(), pages.data(), nullptr,
                            status.data(), 0));
    return status;
}

/*
 * Allocates from kind, writes every byte and checks policy and pages:
 * mode is the MPOL_* mode the range must have, policy_nodes its node set
 * (empty: not checked), page_set where every page must be.
 */
void check_kind(memkind_t kind, int mode, const Nodes &policy_nodes,
                const Nodes &page_set)
{
    char *p = static_cast<char *>(memkind_malloc(kind, kBig));
    ASSERT_NE(nullptr, p) << "memkind_malloc(" << kBig << ") failed";
    memset(p, 0x5a, kBig);
    int got_mode = -1;
    unsigned long mask[kMaxNode / (8 * sizeof(long))] = {};
    ASSERT_EQ(0, get_mempolicy(&got_mode, mask, kMaxNode, p, MPOL_F_ADDR));
    EXPECT_EQ(mode, got_mode) << "memory policy mode";
    if (!policy_nodes.empty()) {
        EXPECT_EQ(str(policy_nodes), str(from_mask(mask, kMaxNode)))
            << "memory policy nodes";
    }
    Nodes used;
    size_t wrong = 0;
    for (int n : page_nodes(p, kBig)) {
        used.insert(n);
        wrong += page_set.count(n) == 0;
    }
    EXPECT_EQ(0u, wrong) << "pages on " << str(used) << ", expected within "
                         << str(page_set);
    if (mode == MPOL_INTERLEAVE && page_set.size() > 1) {
        EXPECT_GT(used.size(), 1u) << "interleaved pages all on one node";
    }
    // Small objects live in the same kind's extents.
    std::vector<void *> small;
    for (int i = 0; i < 64; i++) {
        char *s = static_cast<char *>(memkind_malloc(kind, 100 + i));
        ASSERT_NE(nullptr, s);
        memset(s, 1, 100 + i);
        small.push_back(s);
    }
    for (void *s : small) {
        std::vector<int> n = page_nodes(s, 1);
        EXPECT_EQ(1u, page_set.count(n[0])) << "small object on node " << n[0];
        memkind_free(kind, s);
    }
    memkind_free(kind, p);
}

ssize_t size_of(const Nodes &s)
{
    ssize_t t = 0;
    for (int n : s)
        t += ssize_t(numa_node_size64(n, nullptr));
    return t;
}

class Placement : public ::testing::Test {
  protected:
    static void SetUpTestSuite()
    {
        // Pin to the CPU we run on: "closest" is relative to it.
        int cpu = sched_getcpu();
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
        my_node = numa_node_of_cpu(cpu);
        std::printf("[ numa     ] cpu %d on node %d; memory nodes %s; "
                    "CPU nodes %s\n",
                    cpu, my_node, str(memory_nodes()).c_str(),
                    str(cpu_nodes()).c_str());
    }
    void SetUp() override
    {
        if (numa_available() < 0)
            GTEST_SKIP() << "libnuma reports no NUMA support";
    }
};

/// Runs the checks of one family kind, or checks it is unavailable.
void family_kind(const Family &f, memkind_t kind, int mode, int pick,
                 const char *name)
{
    SCOPED_TRACE(name);
    if (f.env_error) {
        EXPECT_EQ(MEMKIND_ERROR_ENVIRON, memkind_check_available(kind));
        EXPECT_EQ(nullptr, memkind_malloc(kind, 64));
        return;
    }
    if (!f.known)
        GTEST_SKIP() << name << ": " << f.why;
    ASSERT_EQ(0, memkind_check_available(kind)) << name;
    Nodes want = f.nodes;
    if (pick == 1) // closest
        want = closest(f.nodes);
    if (pick == 2) { // the one closest
        want = closest(f.nodes);
        if (want.size() != 1) {
            // memkind(3): allocations fail for equally close nodes.
            EXPECT_EQ(nullptr, memkind_malloc(kind, kBig));
            return;
        }
    }
    check_kind(kind, mode, want, want);
}

} // namespace

TEST_F(Placement, HbwBindsToTheClosestHbwNodes)
{
    family_kind(hbw_family(), MEMKIND_HBW, MPOL_BIND, 1, "MEMKIND_HBW");
}

TEST_F(Placement, HbwAllBindsToEveryHbwNode)
{
    family_kind(hbw_family(), MEMKIND_HBW_ALL, MPOL_BIND, 0, "MEMKIND_HBW_ALL");
}

TEST_F(Placement, HbwPreferredPrefersTheClosestHbwNode)
{
    family_kind(hbw_family(), MEMKIND_HBW_PREFERRED, MPOL_PREFERRED, 2,
                "MEMKIND_HBW_PREFERRED");
}

TEST_F(Placement, HbwInterleaveSpreadsOverEveryHbwNode)
{
    family_kind(hbw_family(), MEMKIND_HBW_INTERLEAVE, MPOL_INTERLEAVE, 0,
                "MEMKIND_HBW_INTERLEAVE");
}

TEST_F(Placement, HbwHugetlbKinds)
{
    Family f = hbw_family();
    if (!f.known)
        GTEST_SKIP() << f.why;
    // Three kinds, each a 4 MiB block and small-object extents.
    if (mk_test::reserve_hugepages(64) < 64)
        GTEST_SKIP() << "needs 64 free 2 MiB huge pages (root reserves them)";
    family_kind(f, MEMKIND_HBW_HUGETLB, MPOL_BIND, 1, "MEMKIND_HBW_HUGETLB");
    family_kind(f, MEMKIND_HBW_ALL_HUGETLB, MPOL_BIND, 0,
                "MEMKIND_HBW_ALL_HUGETLB");
    family_kind(f, MEMKIND_HBW_PREFERRED_HUGETLB, MPOL_PREFERRED, 2,
                "MEMKIND_HBW_PREFERRED_HUGETLB");
}

TEST_F(Placement, DaxKmemBindsToTheClosestKmemNodes)
{
    family_kind(dax_family(), MEMKIND_DAX_KMEM, MPOL_BIND, 1,
                "MEMKIND_DAX_KMEM");
}

TEST_F(Placement, DaxKmemAllBindsToEveryKmemNode)
{
    family_kind(dax_family(), MEMKIND_DAX_KMEM_ALL, MPOL_BIND, 0,
                "MEMKIND_DAX_KMEM_ALL");
}

TEST_F(Placement, DaxKmemPreferredPrefersTheClosestKmemNode)
{
    family_kind(dax_family(), MEMKIND_DAX_KMEM_PREFERRED, MPOL_PREFERRED, 2,
                "MEMKIND_DAX_KMEM_PREFERRED");
}

TEST_F(Placement, DaxKmemInterleaveSpreadsOverEveryKmemNode)
{
    family_kind(dax_family(), MEMKIND_DAX_KMEM_INTERLEAVE, MPOL_INTERLEAVE, 0,
                "MEMKIND_DAX_KMEM_INTERLEAVE");
}

TEST_F(Placement, FamilyCapacityIsTheSizeOfItsNodes)
{
    // memkind(3) memkind_get_capacity(): the nodes available to the kind;
    // -1 for the PREFERRED kinds, which 1.14 does not support either.
    struct {
        Family f;
        memkind_t all, closest, pref;
    } fams[] = {
        {hbw_family(), MEMKIND_HBW_ALL, MEMKIND_HBW, MEMKIND_HBW_PREFERRED},
        {dax_family(), MEMKIND_DAX_KMEM_ALL, MEMKIND_DAX_KMEM,
         MEMKIND_DAX_KMEM_PREFERRED}};
    int checked = 0;
    for (auto &c : fams) {
        if (!c.f.known) {
            EXPECT_EQ(-1, memkind_get_capacity(c.all));
            continue;
        }
        EXPECT_EQ(size_of(c.f.nodes), memkind_get_capacity(c.all));
        EXPECT_EQ(size_of(closest(c.f.nodes)), memkind_get_capacity(c.closest));
        EXPECT_EQ(-1, memkind_get_capacity(c.pref));
        checked++;
    }
    if (!checked)
        GTEST_SKIP() << "no HBW or KMEM DAX nodes; set MEMKIND_HBW_NODES";
}

TEST_F(Placement, RegularBindsToTheCpuNodes)
{
    // memkind(3): "general purpose memory from the NUMA nodes containing
    // CPUs", whatever MEMKIND_HBW_NODES says (as 1.14).
    Nodes want;
    for (int n : cpu_nodes())
        if (memory_nodes().count(n))
            want.insert(n);
    check_kind(MEMKIND_REGULAR, MPOL_BIND, want, want);
    EXPECT_EQ(size_of(want), memkind_get_capacity(MEMKIND_REGULAR));
}

TEST_F(Placement, InterleaveSpreadsOverEveryNode)
{
    check_kind(MEMKIND_INTERLEAVE, MPOL_INTERLEAVE, memory_nodes(),
               memory_nodes());
}

TEST_F(Placement, DefaultHasNoPolicyOfItsOwn)
{
    check_kind(MEMKIND_DEFAULT, MPOL_DEFAULT, Nodes(), memory_nodes());
}

TEST_F(Placement, HighestCapacityNodes)
{
    Nodes mem = memory_nodes(), best;
    long long max = 0;
    for (int n : mem)
        max = std::max(max, numa_node_size64(n, nullptr));
    for (int n : mem)
        if (numa_node_size64(n, nullptr) == max)
            best.insert(n);
    ASSERT_EQ(0, memkind_check_available(MEMKIND_HIGHEST_CAPACITY));
    check_kind(MEMKIND_HIGHEST_CAPACITY, MPOL_BIND, best, best);
    EXPECT_EQ(size_of(best), memkind_get_capacity(MEMKIND_HIGHEST_CAPACITY));
    if (best.size() == 1)
        check_kind(MEMKIND_HIGHEST_CAPACITY_PREFERRED, MPOL_PREFERRED, best,
                   best);
    else {
        EXPECT_EQ(nullptr,
                  memkind_malloc(MEMKIND_HIGHEST_CAPACITY_PREFERRED, kBig));
    }
    EXPECT_EQ(-1, memkind_get_capacity(MEMKIND_HIGHEST_CAPACITY_PREFERRED));
}

TEST_F(Placement, LocalAttributeKindsUseOneNode)
{
    // The *_LOCAL kinds pick one node of the calling CPU's locality; which
    // one depends on hwloc's attributes, so only consistency is checked.
    struct {
        memkind_t kind;
        int mode;
        const char *name;
    } kinds[] = {
        {MEMKIND_HIGHEST_CAPACITY_LOCAL, MPOL_BIND, "HIGHEST_CAPACITY_LOCAL"},
        {MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED, MPOL_PREFERRED,
         "HIGHEST_CAPACITY_LOCAL_PREFERRED"},
        {MEMKIND_LOWEST_LATENCY_LOCAL, MPOL_BIND, "LOWEST_LATENCY_LOCAL"},
        {MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED, MPOL_PREFERRED,
         "LOWEST_LATENCY_LOCAL_PREFERRED"},
        {MEMKIND_HIGHEST_BANDWIDTH_LOCAL, MPOL_BIND, "HIGHEST_BANDWIDTH_LOCAL"},
        {MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED, MPOL_PREFERRED,
         "HIGHEST_BANDWIDTH_LOCAL_PREFERRED"}};
    int available = 0;
    for (auto &k : kinds) {
        SCOPED_TRACE(k.name);
        int err = memkind_check_available(k.kind);
        if (err) {
            // memkind(3): needs hwloc and, for latency/bandwidth, HMAT.
            EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, err);
            EXPECT_EQ(nullptr, memkind_malloc(k.kind, 64));
            continue;
        }
        available++;
        char *p = static_cast<char *>(memkind_malloc(k.kind, kBig));
        ASSERT_NE(nullptr, p);
        memset(p, 1, kBig);
        int mode = -1;
        unsigned long mask[kMaxNode / (8 * sizeof(long))] = {};
        ASSERT_EQ(0, get_mempolicy(&mode, mask, kMaxNode, p, MPOL_F_ADDR));
        EXPECT_EQ(k.mode, mode);
        Nodes one = from_mask(mask, kMaxNode);
        EXPECT_EQ(1u, one.size()) << str(one);
        for (int n : page_nodes(p, kBig))
            ASSERT_EQ(1u, one.count(n)) << "page on node " << n;
        if (k.mode == MPOL_BIND) {
            EXPECT_EQ(size_of(one), memkind_get_capacity(k.kind));
        } else {
            EXPECT_EQ(-1, memkind_get_capacity(k.kind));
        }
        memkind_free(k.kind, p);
    }
    if (!available)
        GTEST_SKIP() << "no *_LOCAL kind available (needs hwloc locality)";
}

TEST_F(Placement, DynamicHighBandwidthKind)
{
    Family f = hbw_family();
    memkind_t kind = nullptr;
    int err =
        memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
                            MEMKIND_POLICY_BIND_ALL, memkind_bits_t(0), &kind);
    if (!f.known) {
        EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, err);
        GTEST_SKIP() << f.why;
    }
    ASSERT_EQ(0, err);
    // COMPAT(1.14): the combination names MEMKIND_HBW_ALL.
    EXPECT_EQ(MEMKIND_HBW_ALL, kind);
    check_kind(kind, MPOL_BIND, f.nodes, f.nodes);
    EXPECT_EQ(0, memkind_destroy_kind(kind));
}

TEST_F(Placement, VerifyMemoryRegionKnowsHbwPages)
{
    Family f = hbw_family();
    if (!f.known)
        GTEST_SKIP() << f.why;
    char *p = static_cast<char *>(memkind_malloc(MEMKIND_HBW_ALL, kBig));
    ASSERT_NE(nullptr, p);
    // hbwmalloc(3): -1 while pages are not faulted in, 0 once touched.
    EXPECT_EQ(0, hbw_verify_memory_region(p, kBig, HBW_TOUCH_PAGES));
    EXPECT_EQ(0, hbw_verify_memory_region(p + 5, 100, 0));
    memkind_free(MEMKIND_HBW_ALL, p);
    Nodes others;
    for (int n : memory_nodes())
        if (!f.nodes.count(n))
            others.insert(n);
    if (others.empty())
        GTEST_SKIP() << "every node is an HBW node: no non-HBW page to test";
    char *q = static_cast<char *>(numa_alloc_onnode(kBig, *others.begin()));
    ASSERT_NE(nullptr, q);
    memset(q, 1, kBig);
    EXPECT_EQ(-1, hbw_verify_memory_region(q, kBig, 0));
    numa_free(q, kBig);
}
