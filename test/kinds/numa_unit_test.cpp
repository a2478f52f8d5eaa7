// SPDX-License-Identifier: BSD-2-Clause
/*
 * numa_unit_test.cpp - white-box tests of NUMA node discovery: the node
 * list parser of MEMKIND_HBW_NODES / MEMKIND_DAX_KMEM_NODES (also against
 * libnuma's numa_parse_nodestring(), the parser memkind 1.14 used), the
 * MEMKIND_HBW_THRESHOLD parser, choosing nodes per initiator (closest, all,
 * exactly one), the HBW-by-bandwidth rule and the *_LOCAL kinds' choice,
 * all on made-up topologies, plus sanity checks of this machine's
 * snapshot.  Links the convenience library (hidden mk_* functions).
 */
#include "config.h"

#include <memkind.h>

#include <memkind/internal/memkind_capacity.h>
#include <memkind/internal/memkind_hbw.h>
#include <memkind/internal/memkind_hmat.h>
#include <memkind/internal/memkind_numa.h>

#include <gtest/gtest.h>

#include <numa.h>
#include <sched.h>

#include <climits>
#include <cstdarg>
#include <cstring>
#include <initializer_list>
#include <set>
#include <string>
#include <thread>
#include <vector>

// libnuma's parser warns on stderr for every bad list; the comparison test
// feeds it many.  libnuma lets a program replace these (weak) functions.
extern "C" void numa_warn(int, char *, ...)
{
}
extern "C" void numa_error(char *)
{
}

namespace
{

using Nodes = std::set<unsigned>;

struct Mask {
    unsigned long w[MK_NODEMASK_WORDS] = {};
    Mask() = default;
    Mask(std::initializer_list<unsigned> nodes)
    {
        for (unsigned n : nodes)
            mk_nodemask_set(w, n);
    }
    Nodes nodes() const
    {
        Nodes s;
        for (unsigned n = 0; n < MK_MAX_NODES; n++)
            if (mk_nodemask_isset(w, n))
                s.insert(n);
        return s;
    }
};

Nodes parse_ok(const char *s, const Mask &allowed)
{
    Mask out;
    mk_nodelist_error err{};
    EXPECT_EQ(MK_NODELIST_OK, mk_nodelist_parse(s, allowed.w, out.w, &err))
        << "\"" << s << "\"";
    return out.nodes();
}

mk_nodelist_error parse_bad(const char *s, const Mask &allowed)
{
    Mask out;
    mk_nodelist_error err{};
    EXPECT_NE(MK_NODELIST_OK, mk_nodelist_parse(s, allowed.w, out.w, &err))
        << "\"" << s << "\"";
    return err;
}

const Mask four{0, 1, 2, 3};
const Mask sparse{0, 2, 5};

} // namespace

// ------------------------------------------------------------- node lists

TEST(NodeList, SingleNodesListsAndRanges)
{
    EXPECT_EQ(Nodes({0}), parse_ok("0", four));
    EXPECT_EQ(Nodes({1, 3}), parse_ok("1,3", four));
    EXPECT_EQ(Nodes({1, 2, 3}), parse_ok("1-3", four));
    EXPECT_EQ(Nodes({0, 2, 3}), parse_ok("0,2-3", four));
    EXPECT_EQ(Nodes({1}), parse_ok("1-1", four));
    EXPECT_EQ(Nodes({0}), parse_ok("0,0,0", four));
    // numa(3): a range keeps only the allowed nodes between its ends.
    EXPECT_EQ(Nodes({0, 2, 5}), parse_ok("0-5", sparse));
    // libnuma sets the start of a backwards range and nothing else.
    EXPECT_EQ(Nodes({3}), parse_ok("3-1", four));
}

TEST(NodeList, NumbersAsStrtoulReadsThem)
{
    EXPECT_EQ(Nodes({1}), parse_ok("0x1", four));
    EXPECT_EQ(Nodes({3}), parse_ok("03", four)); // octal
    EXPECT_EQ(Nodes({2}), parse_ok(" 2", four)); // leading blank
    EXPECT_EQ(Nodes({0, 1}), parse_ok("0,+1", four));
    EXPECT_EQ(MK_NODELIST_RANGE, parse_bad("010", four).status); // 8
}

TEST(NodeList, AllInvertAndRelative)
{
    EXPECT_EQ(Nodes({0, 1, 2, 3}), parse_ok("all", four));
    EXPECT_EQ(Nodes({0, 2, 5}), parse_ok("all", sparse));
    EXPECT_EQ(Nodes({0, 2, 3}), parse_ok("!1", four));
    // Inverting stays within the allowed nodes, also when they are sparse.
    EXPECT_EQ(Nodes({0, 5}), parse_ok("!2", sparse));
    EXPECT_EQ(Nodes({0}), parse_ok("+0", sparse));
    EXPECT_EQ(Nodes({5}), parse_ok("+2", sparse));
    EXPECT_EQ(Nodes({2, 5}), parse_ok("+1-2", sparse));
    EXPECT_EQ(Nodes({2, 5}), parse_ok("!+0", sparse));
    mk_nodelist_error e = parse_bad("+3", sparse);
    EXPECT_EQ(MK_NODELIST_RANGE, e.status);
}

TEST(NodeList, ErrorsSayWhatAndWhere)
{
    EXPECT_EQ(MK_NODELIST_EMPTY, parse_bad("", four).status);
    mk_nodelist_error e = parse_bad("abc", four);
    EXPECT_EQ(MK_NODELIST_SYNTAX, e.status);
    EXPECT_EQ(0u, e.pos);
    e = parse_bad("1;2", four);
    EXPECT_EQ(MK_NODELIST_SYNTAX, e.status);
    EXPECT_EQ(1u, e.pos);
    EXPECT_EQ(MK_NODELIST_SYNTAX, parse_bad("1 ", four).status);
    EXPECT_EQ(MK_NODELIST_SYNTAX, parse_bad("1,", four).status);
    EXPECT_EQ(MK_NODELIST_SYNTAX, parse_bad(",1", four).status);
    EXPECT_EQ(MK_NODELIST_SYNTAX, parse_bad("0x", four).status);
    EXPECT_EQ(MK_NODELIST_SYNTAX, parse_bad("all,1", four).status);
    EXPECT_EQ(MK_NODELIST_SYNTAX, parse_bad("!", four).status);
    e = parse_bad("1-", four);
    EXPECT_EQ(MK_NODELIST_MISSING, e.status);
    EXPECT_EQ(2u, e.pos);
    e = parse_bad("4", four);
    EXPECT_EQ(MK_NODELIST_RANGE, e.status);
    EXPECT_EQ(4, e.node);
    e = parse_bad("-1", four);
    EXPECT_EQ(MK_NODELIST_RANGE, e.status);
    EXPECT_EQ(-1, e.node);
    e = parse_bad("1-7", four);
    EXPECT_EQ(MK_NODELIST_RANGE, e.status);
    EXPECT_EQ(7, e.node);
    EXPECT_EQ(MK_NODELIST_RANGE, parse_bad("1024", four).status);
    EXPECT_EQ(MK_NODELIST_RANGE,
              parse_bad("99999999999999999999999999", four).status);
    EXPECT_EQ(MK_NODELIST_RANGE, parse_bad("1", sparse).status);
    EXPECT_EQ(MK_NODELIST_NONE, parse_bad("!all", four).status);
    EXPECT_EQ(MK_NODELIST_NONE, parse_bad("!0-3", four).status);
}

// "!0" names the other nodes: none on a one-node machine (refused), node 1
// on a two-node one (the arm64 lane's guest), where launcher-dax-nodes.sh
// once expected a refusal.  The answer depends on the allowed nodes only.
TEST(NodeList, InvertingNodeZeroDependsOnTheNodeCount)
{
    const Mask one{0}, two{0, 1};
    EXPECT_EQ(MK_NODELIST_NONE, parse_bad("!0", one).status);
    EXPECT_EQ(Nodes({1}), parse_ok("!0", two));
    EXPECT_EQ(MK_NODELIST_NONE, parse_bad("!all", one).status);
    EXPECT_EQ(MK_NODELIST_NONE, parse_bad("!all", two).status);
    EXPECT_EQ(MK_NODELIST_NONE, parse_bad("!0-1", two).status);
}

// Bytes above 0x7f are never blanks, digits or signs, whether char is
// signed (x86_64) or unsigned (aarch64): the parser must not index a
// ctype table with a negative value nor take such a byte for a separator.
TEST(NodeList, BytesAbove127AreSyntaxErrors)
{
    // Octal escapes: "\2400" is byte 0xa0, then '0'.
    const char *values[] = {"\2400", "0\240",  "\377",  "0,\2001",
                            "\2551", "1-\261", "!\2400"};
    for (const char *v : values) {
        mk_nodelist_error e = parse_bad(v, four);
        EXPECT_TRUE(e.status == MK_NODELIST_SYNTAX ||
                    e.status == MK_NODELIST_MISSING)
            << "status " << int(e.status);
    }
}

TEST(NodeList, HugeInputsAreLinearAndBounded)
{
    std::string many;
    for (int i = 0; i < 200000; i++)
        many += "3,";
    many += "1";
    EXPECT_EQ(Nodes({1, 3}), parse_ok(many.c_str(), four));
    Mask every;
    for (unsigned n = 0; n < MK_MAX_NODES; n++)
        mk_nodemask_set(every.w, n);
    EXPECT_EQ(size_t(MK_MAX_NODES), parse_ok("0-1023", every).size());
    std::string bad = many + ",x";
    EXPECT_EQ(MK_NODELIST_SYNTAX, parse_bad(bad.c_str(), four).status);
}

TEST(NodeList, DescriptionIsOneBoundedLine)
{
    std::string long_value(5000, '7');
    const char *values[] = {"", "abc", "1-", "9", "!0-3", long_value.c_str()};
    for (const char *v : values) {
        Mask out;
        mk_nodelist_error err{};
        ASSERT_NE(MK_NODELIST_OK, mk_nodelist_parse(v, four.w, out.w, &err));
        char buf[320];
        mk_nodelist_describe(buf, sizeof(buf), "MEMKIND_HBW_NODES", v, &err);
        std::string s(buf);
        EXPECT_NE(std::string::npos, s.find("MEMKIND_HBW_NODES")) << s;
        EXPECT_EQ(std::string::npos, s.find('\n')) << s;
        EXPECT_LT(s.size(), 200u) << s;
    }
}

// Every string libnuma accepts we accept with the same nodes, and the
// other way round.  Exceptions: libnuma maps names of I/O devices to nodes
// (we do not), and returns an empty mask where we report "no node".
TEST(NodeList, AgreesWithLibnuma)
{
    if (numa_available() < 0)
        GTEST_SKIP() << "libnuma reports no NUMA support on this machine";
    const mk_topology *t = mk_topology_get();
    std::vector<std::string> inputs = {
        "0",    "1",   "0-0",  "0,0",  "all", "!0",   "+0",   "+1",   " 0",
        "0 ",   "0x0", "00",   "0-",   "-0",  "-1",   "0-1",  "1-0",  "0,1",
        "0,",   ",0",  "0;1",  "!all", "0x",  "08",   "1023", "1024", "0-3",
        "+0-0", "!+0", "0,+0", "+",    "!",   "0--1", "0-+0"};
    for (unsigned n = 0; n < t->nr_nodes; n++) {
        inputs.push_back(std::to_string(n));
        inputs.push_back("0-" + std::to_string(n));
        inputs.push_back("!" + std::to_string(n));
    }
    for (const std::string &in : inputs) {
        Mask ours;
        mk_nodelist_error err{};
        bool ok = mk_nodelist_parse(in.c_str(), t->mem, ours.w, &err) ==
                  MK_NODELIST_OK;
        struct bitmask *bm = numa_parse_nodestring(in.c_str());
        Nodes theirs;
        for (unsigned n = 0; bm && n < bm->size; n++)
            if (numa_bitmask_isbitset(bm, n))
                theirs.insert(n);
        if (bm)
            numa_bitmask_free(bm);
        if (err.status == MK_NODELIST_NONE) {
            EXPECT_TRUE(bm && theirs.empty()) << "\"" << in << "\"";
            continue;
        }
        EXPECT_EQ(ok, bm != nullptr) << "\"" << in << "\"";
        if (ok && bm) {
            EXPECT_EQ(theirs, ours.nodes()) << "\"" << in << "\"";
        }
    }
}

// ------------------------------------------------------------ threshold

TEST(HbwThreshold, DecimalMBpsUpToUintMax)
{
    uint64_t v = 0;
    EXPECT_TRUE(mk_hbw_parse_threshold("204800", &v));
    EXPECT_EQ(204800u, v);
    EXPECT_TRUE(mk_hbw_parse_threshold("0", &v));
    EXPECT_EQ(0u, v);
    EXPECT_TRUE(mk_hbw_parse_threshold("4294967295", &v));
    EXPECT_EQ(4294967295u, v);
    EXPECT_TRUE(mk_hbw_parse_threshold("010", &v)); // decimal, as 1.14
    EXPECT_EQ(10u, v);
    EXPECT_TRUE(mk_hbw_parse_threshold(" 5", &v));
    EXPECT_TRUE(mk_hbw_parse_threshold("+5", &v));
    for (const char *bad : {"", "abc", "-1", "5 ", "0x10", "4294967296",
                            "99999999999999999999", "1e6"})
        EXPECT_FALSE(mk_hbw_parse_threshold(bad, &v)) << "\"" << bad << "\"";
    EXPECT_FALSE(mk_hbw_parse_threshold(nullptr, &v));
}

// --------------------------------------------------- made-up topologies

namespace
{

/*
 * Four nodes: 0 and 1 have CPUs and DDR (8 and 16 GiB), 2 and 3 are
 * memory-only (4 GiB each).  Node 2 is near node 0, node 3 near node 1.
 */
struct Topo {
    mk_topology t{};
    std::vector<uint8_t> dist;
    std::vector<uint64_t> size;
    std::vector<uint16_t> cpu_node;

    Topo()
    {
        const unsigned nr = 4;
        t.nr_nodes = nr;
        for (unsigned n : {0u, 1u, 2u, 3u})
            mk_nodemask_set(t.mem, n);
        mk_nodemask_set(t.cpu, 0);
        mk_nodemask_set(t.cpu, 1);
        dist = {10, 21, 17, 28, //
                21, 10, 28, 17, //
                17, 28, 10, 28, //
                28, 17, 28, 10};
        size = {8ull << 30, 16ull << 30, 4ull << 30, 4ull << 30};
        cpu_node = {0, 0, 1, 1};
        t.dist = dist.data();
        t.size = size.data();
        t.nr_cpus = 4;
        t.cpu_node = cpu_node.data();
    }
};

struct Cands {
    std::vector<mk_node_cand> c;
    explicit Cands(unsigned nr) : c(nr)
    {
    }
    mk_node_cand *data()
    {
        return c.data();
    }
};

Nodes pick(const Topo &tp, Cands &c, unsigned init, mk_pick p, int *err)
{
    Mask out;
    *err = mk_nodes_pick(&tp.t, c.data(), init, p, out.w);
    return out.nodes();
}

} // namespace

TEST(NodePick, ClosestAllAndSingle)
{
    Topo tp;
    Cands c(4);
    Mask hbw{2, 3};
    ASSERT_EQ(0, mk_cand_from_set(&tp.t, hbw.w, c.data()));
    int err;
    EXPECT_EQ(Nodes({2, 3}), pick(tp, c, 0, MK_PICK_ALL, &err));
    EXPECT_EQ(0, err);
    EXPECT_EQ(Nodes({2}), pick(tp, c, 0, MK_PICK_CLOSEST, &err));
    EXPECT_EQ(0, err);
    EXPECT_EQ(Nodes({3}), pick(tp, c, 1, MK_PICK_CLOSEST, &err));
    EXPECT_EQ(Nodes({3}), pick(tp, c, 1, MK_PICK_CLOSEST_ONE, &err));
    EXPECT_EQ(0, err);
    pick(tp, c, 0, MK_PICK_ONLY_ONE, &err);
    EXPECT_EQ(MEMKIND_ERROR_RUNTIME, err);
    pick(tp, c, 7, MK_PICK_ALL, &err);
    EXPECT_EQ(MEMKIND_ERROR_UNAVAILABLE, err);
}

TEST(NodePick, EquallyCloseNodes)
{
    Topo tp;
    tp.dist[0 * 4 + 3] = 17; // node 3 now as close to node 0 as node 2
    Cands c(4);
    Mask hbw{2, 3};
    ASSERT_EQ(0, mk_cand_from_set(&tp.t, hbw.w, c.data()));
    int err;
    EXPECT_EQ(Nodes({2, 3}), pick(tp, c, 0, MK_PICK_CLOSEST, &err));
    EXPECT_EQ(0, err);
    // memkind(3) MEMKIND_HBW_PREFERRED: "the allocation will not succeed if
    // two or more high bandwidth memory NUMA nodes are in the same shortest
    // distance to the same CPU".
    pick(tp, c, 0, MK_PICK_CLOSEST_ONE, &err);
    EXPECT_EQ(MEMKIND_ERROR_RUNTIME, err);
}

TEST(NodePick, UnknownDistancesTieAndErrorsPropagate)
{
    Topo tp;
    tp.t.dist = nullptr;
    Cands c(4);
    Mask hbw{2, 3};
    ASSERT_EQ(0, mk_cand_from_set(&tp.t, hbw.w, c.data()));
    int err;
    EXPECT_EQ(Nodes({2, 3}), pick(tp, c, 0, MK_PICK_CLOSEST, &err));
    c.c[1].err = MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE;
    pick(tp, c, 1, MK_PICK_ALL, &err);
    EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, err);
}

TEST(NodePick, SetWithoutMemoryNodesIsUnavailable)
{
    Topo tp;
    Cands c(4);
    Mask none{9};
    EXPECT_EQ(MEMKIND_ERROR_UNAVAILABLE,
              mk_cand_from_set(&tp.t, none.w, c.data()));
}

// -------------------------------------------------- HBW by bandwidth

namespace
{

struct Attrs {
    mk_memattrs a{};
    std::vector<uint64_t> bw, lat;
    std::vector<unsigned long> local;

    explicit Attrs(unsigned nr)
        : bw(nr * nr), lat(nr * nr), local(nr * MK_NODEMASK_WORDS)
    {
        a.nr = nr;
        a.has_bw = a.has_lat = true;
    }
    /// The table, pointing at the vectors as they are now.
    const mk_memattrs *get()
    {
        a.bw = bw.data();
        a.lat = lat.data();
        a.local = local.data();
        return &a;
    }
    void set_local(unsigned init, std::initializer_list<unsigned> nodes)
    {
        for (unsigned n : nodes)
            mk_nodemask_set(&local[init * MK_NODEMASK_WORDS], n);
    }
};

} // namespace

TEST(HbwBandwidth, AtLeastThresholdPerInitiator)
{
    Topo tp;
    Attrs at(4);
    // From node 0: DDR 0 at 100 GB/s, HBM 2 at exactly the threshold,
    // HBM 3 (far) at 150.  From node 1: only node 3 is fast.
    at.bw = {100000, 50000,  204800, 150000, //
             50000,  100000, 150000, 400000, //
             0,      0,      0,      0,      //
             0,      0,      0,      0};
    Cands c(4);
    ASSERT_EQ(0, mk_hbw_cand_by_bandwidth(&tp.t, at.get(), 204800, c.data()));
    int err;
    EXPECT_EQ(Nodes({2}), pick(tp, c, 0, MK_PICK_ALL, &err));
    EXPECT_EQ(Nodes({3}), pick(tp, c, 1, MK_PICK_ALL, &err));
    // Memory-only nodes are no initiators.
    pick(tp, c, 2, MK_PICK_ALL, &err);
    EXPECT_NE(0, err);
    // One above the value: node 2 no longer qualifies from node 0.
    Cands c2(4);
    ASSERT_EQ(0, mk_hbw_cand_by_bandwidth(&tp.t, at.get(), 204801, c2.data()));
    pick(tp, c2, 0, MK_PICK_ALL, &err);
    EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, err);
    EXPECT_EQ(Nodes({3}), pick(tp, c2, 1, MK_PICK_ALL, &err));
    // Nobody qualifies: the whole family is unavailable.
    Cands c3(4);
    EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
              mk_hbw_cand_by_bandwidth(&tp.t, at.get(), 500000, c3.data()));
}

TEST(HbwBandwidth, UnknownBandwidthNeverQualifies)
{
    Topo tp;
    Attrs at(4); // all zero: unknown
    Cands c(4);
    EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
              mk_hbw_cand_by_bandwidth(&tp.t, at.get(), 0, c.data()));
}

// ------------------------------------------------------ capacity kinds

TEST(Capacity, HighestCapacityNodes)
{
    Topo tp;
    Cands c(4);
    ASSERT_EQ(0, mk_cand_highest_capacity(&tp.t, c.data()));
    int err;
    EXPECT_EQ(Nodes({1}), pick(tp, c, 0, MK_PICK_ALL, &err));
    EXPECT_EQ(Nodes({1}), pick(tp, c, 0, MK_PICK_ONLY_ONE, &err));
    EXPECT_EQ(0, err);
    tp.size[0] = tp.size[1]; // two nodes with the most memory
    Cands c2(4);
    ASSERT_EQ(0, mk_cand_highest_capacity(&tp.t, c2.data()));
    EXPECT_EQ(Nodes({0, 1}), pick(tp, c2, 1, MK_PICK_ALL, &err));
    // memkind(3) MEMKIND_HIGHEST_CAPACITY_PREFERRED: "the allocation will
    // not succeed if there are two or more NUMA nodes that have the highest
    // capacity".
    pick(tp, c2, 1, MK_PICK_ONLY_ONE, &err);
    EXPECT_EQ(MEMKIND_ERROR_RUNTIME, err);
}

TEST(Capacity, LocalBestWithTieBreaks)
{
    Topo tp;
    Attrs at(4);
    at.set_local(0, {0, 2});
    at.set_local(1, {1, 3});
    at.lat = {80, 0,  120, 0,  //
              0,  80, 0,   90, //
              0,  0,  0,   0,  //
              0,  0,  0,   0};
    at.bw = {100, 0,   400, 0,   //
             0,   300, 0,   300, //
             0,   0,   0,   0,   //
             0,   0,   0,   0};
    int err;
    Cands cap(4);
    ASSERT_EQ(
        0, mk_cand_local_best(&tp.t, at.get(), MK_LOCAL_CAPACITY, cap.data()));
    EXPECT_EQ(Nodes({0}), pick(tp, cap, 0, MK_PICK_ALL, &err));
    EXPECT_EQ(Nodes({1}), pick(tp, cap, 1, MK_PICK_ALL, &err));
    Cands lat(4);
    ASSERT_EQ(
        0, mk_cand_local_best(&tp.t, at.get(), MK_LOCAL_LATENCY, lat.data()));
    EXPECT_EQ(Nodes({0}), pick(tp, lat, 0, MK_PICK_ALL, &err));
    EXPECT_EQ(Nodes({1}), pick(tp, lat, 1, MK_PICK_ALL, &err));
    Cands bw(4);
    ASSERT_EQ(
        0, mk_cand_local_best(&tp.t, at.get(), MK_LOCAL_BANDWIDTH, bw.data()));
    EXPECT_EQ(Nodes({2}), pick(tp, bw, 0, MK_PICK_ALL, &err));
    // Equal bandwidth from node 1: "the NUMA node with smaller memory
    // capacity" (node 3, 4 GiB, against node 1, 16 GiB).
    EXPECT_EQ(Nodes({3}), pick(tp, bw, 1, MK_PICK_ALL, &err));
    // Equal capacity: "the NUMA node with worse latency".
    tp.size[2] = tp.size[0];
    Cands cap2(4);
    ASSERT_EQ(
        0, mk_cand_local_best(&tp.t, at.get(), MK_LOCAL_CAPACITY, cap2.data()));
    EXPECT_EQ(Nodes({2}), pick(tp, cap2, 0, MK_PICK_ALL, &err));
    // Equal latency: the smaller capacity.
    at.lat[0 * 4 + 2] = 80;
    tp.size[2] = 4ull << 30;
    Cands lat2(4);
    ASSERT_EQ(
        0, mk_cand_local_best(&tp.t, at.get(), MK_LOCAL_LATENCY, lat2.data()));
    EXPECT_EQ(Nodes({2}), pick(tp, lat2, 0, MK_PICK_ALL, &err));
}

TEST(Capacity, LocalKindsNeedTheAttribute)
{
    Topo tp;
    Attrs at(4);
    at.set_local(0, {0, 2});
    at.set_local(1, {1, 3});
    Cands lat(4);
    // No latency values at all (no HMAT): unavailable, as 1.14.
    EXPECT_EQ(
        MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
        mk_cand_local_best(&tp.t, at.get(), MK_LOCAL_LATENCY, lat.data()));
    // Capacity needs only locality.
    Cands cap(4);
    EXPECT_EQ(
        0, mk_cand_local_best(&tp.t, at.get(), MK_LOCAL_CAPACITY, cap.data()));
    at.a.err = MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE; // hwloc missing
    Cands cap2(4);
    EXPECT_EQ(
        MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
        mk_cand_local_best(&tp.t, at.get(), MK_LOCAL_CAPACITY, cap2.data()));
}

// --------------------------------------------------- this machine

TEST(Topology, SnapshotOfThisMachineIsConsistent)
{
    const mk_topology *t = mk_topology_get();
    ASSERT_GE(t->nr_nodes, 1u);
    ASSERT_GE(mk_nodemask_first(t->mem), 0) << "no node with memory";
    ASSERT_GE(mk_nodemask_first(t->cpu), 0) << "no node with CPUs";
    for (unsigned n = 0; n < t->nr_nodes; n++) {
        if (mk_nodemask_isset(t->mem, n)) {
            EXPECT_GT(t->size[n], 0u) << "node " << n;
        }
        unsigned d = mk_topology_distance(t, n, n);
        if (d != MK_DIST_UNKNOWN && mk_nodemask_isset(t->mem, n)) {
            EXPECT_EQ(10u, d) << "node " << n;
        }
    }
    unsigned here = mk_numa_current_node();
    EXPECT_TRUE(mk_nodemask_isset(t->cpu, here)) << here;
    if (numa_available() >= 0) {
        EXPECT_EQ(numa_node_of_cpu(sched_getcpu()), int(here));
    }
    EXPECT_EQ(mk_topology_cpu_node(t, -1), unsigned(mk_nodemask_first(t->cpu)));
}

TEST(Topology, SizesMatchLibnuma)
{
    if (numa_available() < 0)
        GTEST_SKIP() << "libnuma reports no NUMA support on this machine";
    const mk_topology *t = mk_topology_get();
    for (unsigned n = 0; n < t->nr_nodes; n++) {
        if (!mk_nodemask_isset(t->mem, n))
            continue;
        EXPECT_EQ(numa_node_size64(int(n), nullptr), (long long)t->size[n])
            << "node " << n;
    }
}

// The extent hooks of a node-local kind bind for their arena's node through
// mk_numa_node_override(): while set, mk_numa_current_node() (what the
// kinds' get_mbind_nodemask ops ask) reports it, in the calling thread
// only; mk_numa_cpu_node_now() (the allocation-path check) ignores it.
TEST(Topology, NodeOverrideIsPerThreadAndRestored)
{
    const unsigned real = mk_numa_cpu_node_now();
    EXPECT_EQ(mk_numa_current_node(), real);
    const unsigned fake = real + 3; // need not exist: it is only reported
    EXPECT_EQ(mk_numa_node_override(fake), (unsigned)MK_NO_NODE);
    EXPECT_EQ(mk_numa_current_node(), fake);
    EXPECT_EQ(mk_numa_cpu_node_now(), real);
    unsigned seen = MK_NO_NODE;
    std::thread other([&seen] { seen = mk_numa_current_node(); });
    other.join();
    EXPECT_NE(seen, fake);
    EXPECT_EQ(mk_numa_node_override(MK_NO_NODE), fake);
    EXPECT_EQ(mk_numa_current_node(), real);
}
