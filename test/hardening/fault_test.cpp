// SPDX-License-Identifier: BSD-2-Clause
/*
 * fault_test.cpp - fault injection over every step of kind creation, arena
 * growth and memtier construction (issue 8; CONVENTIONS.md 10).
 *
 * Each loop runs one operation with the n-th failure point failing, for
 * n = 0, 1, ... until a run reaches no armed point.  After every run it
 * checks: the documented error code (or success, where a fallback absorbs
 * the fault, e.g. O_TMPFILE -> mkostemp), no file descriptor leak
 * (/proc/self/fd), no mapping leak (/proc/self/maps: mappings of files in
 * the kind's directory, and anonymous mappings that the address map does
 * not attribute to MEMKIND_DEFAULT, i.e. not jemalloc's own), no registry
 * slot leak, and that the same operation succeeds once faults stop.
 *
 * The last test reads the section mk_fault_sites of this executable (one
 * record per mk_fault_hit() call site, memkind_fault.h) and fails when a
 * site was never made to fail by any loop: a new failure point needs a
 * loop that reaches it.
 *
 * White-box: links libmemkind_core.la (mk_fault_*, mk_addrmap_lookup).
 */
#include "config.h"

#include <memkind.h>
#include <memkind_memtier.h>

#include <memkind/internal/memkind_addrmap.h>
#include <memkind/internal/memkind_arena.h>
#include <memkind/internal/memkind_fault.h>
#include <memkind/internal/memkind_interleave.h>
#include <memkind/internal/memkind_registry.h>

#include "common/numa_kind.hpp"
#include "common/test_util.hpp"

#include <gtest/gtest.h>

#include <elf.h>
#include <signal.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef MK_FAULT_INJECTION
int main()
{
    std::printf("built without MK_FAULT_INJECTION: link the instrumented "
                "twin, libmemkind_core_fi.la\n");
    return 77;
}
#else

namespace
{

constexpr size_t kMiB = 1 << 20;

/* A sanitizer runtime maps memory for its own allocator and shadow as the
 * test runs: anonymous bytes are then not a leak signal (fds, file
 * mappings and registry slots still are). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
constexpr size_t kGranule = 2 * kMiB;

/* ------------------------------------------------------- leak snapshots */

/// What a leak would change.
struct Snapshot {
    int fds = 0;          ///< open descriptors
    size_t dir_maps = 0;  ///< mappings of files under the kind's directory
    size_t foreign = 0;   ///< anonymous bytes not attributed to DEFAULT
    unsigned dynamic = 0; ///< registered dynamic kinds
    int dir_entries = 0;  ///< files left in the directory

    bool operator==(const Snapshot &o) const
    {
        return fds == o.fds && dir_maps == o.dir_maps && foreign == o.foreign &&
               dynamic == o.dynamic && dir_entries == o.dir_entries;
    }
};

std::ostream &operator<<(std::ostream &os, const Snapshot &s)
{
    return os << "{fds " << s.fds << ", dir mappings " << s.dir_maps
              << ", foreign anonymous bytes " << s.foreign << ", dynamic kinds "
              << s.dynamic << ", dir entries " << s.dir_entries << "}";
}

/*
 * Anonymous bytes in mappings of at least 1 MiB whose 2 MiB granules the
 * address map does not give to MEMKIND_DEFAULT.  jemalloc's own mappings
 * (metadata, DEFAULT extents) are DEFAULT granules, so they may come and
 * go; a leaked kind reservation, chunk or extent is not.  Counting bytes
 * granule by granule makes the figure immune to the kernel merging
 * neighbouring mappings.
 */
Snapshot snapshot(const std::string &dir)
{
    Snapshot s;
    s.fds = mk_test::open_fds();
    s.dynamic = mk_registry_dynamic_count();
    s.dir_entries = dir.empty() ? 0 : mk_test::dir_entries(dir);
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        uintptr_t lo, hi;
        char perms[8];
        unsigned long long off;
        char dev[16];
        unsigned long inode;
        int pos = 0;
        if (std::sscanf(line.c_str(),
                        "%" SCNxPTR "-%" SCNxPTR " %7s %llx %15s %lu %n", &lo,
                        &hi, perms, &off, dev, &inode, &pos) < 6)
            continue;
        std::string path = pos > 0 && (size_t)pos <= line.size()
                               ? line.substr((size_t)pos)
                               : std::string();
        if (!dir.empty() && path.compare(0, dir.size(), dir) == 0) {
            s.dir_maps++;
            continue;
        }
        if (inode != 0 || !path.empty() || hi - lo < kMiB || kSanitized)
            continue;
        for (uintptr_t g = lo & ~(kGranule - 1); g < hi; g += kGranule) {
            uintptr_t a = g < lo ? lo : g;
            uintptr_t b = g + kGranule > hi ? hi : g + kGranule;
            if (mk_addrmap_lookup((void *)a) != MEMKIND_DEFAULT)
                s.foreign += b - a;
        }
    }
    return s;
}

/* ----------------------------------------------------------- the loop */

/// One operation under test.  prepare() runs without faults; run() with the
/// n-th point armed returns 0 or an error code and leaves what it made for
/// undo(), which frees it (without faults).
struct Op {
    const char *name;
    std::function<void()> prepare;
    std::function<int()> run;
    std::function<void()> undo;
    std::set<int> allowed;  ///< documented error codes of run()
    std::string dir;        ///< directory whose mappings/files are watched
    bool check_maps = true; ///< false: run() legitimately keeps mappings
};

struct LoopResult {
    int steps = 0;     ///< failure points the operation reaches
    int failures = 0;  ///< runs that failed with an allowed code
    int recovered = 0; ///< runs a fallback completed despite the fault
};

/// Loops run so far (the coverage test judges only a complete run).
int loops_run;

Snapshot snap(const Op &op)
{
    Snapshot s = snapshot(op.dir);
    if (!op.check_maps)
        s.foreign = s.dir_maps = 0;
    return s;
}

/// A run of op without faults; returns its result after undo().
int clean_run(const Op &op)
{
    if (op.prepare)
        op.prepare();
    int err = op.run();
    op.undo();
    return err;
}

/*
 * repeat 1: only the n-th point fails; repeat > 1: the n-th and the next
 * repeat - 1 points fail too (a lasting fault, such as a full file system).
 */
LoopResult fault_loop(const Op &op, int repeat = 1)
{
    LoopResult r;
    mk_fault_set_report(std::getenv("MK_FAULT_TRACE") != nullptr);
    // A clean run first: lazily made state (threads, stacks, caches) is
    // made now, not counted as a leak of step 0.
    EXPECT_EQ(0, clean_run(op)) << op.name << ": fails without faults";
    Snapshot base = snap(op);
    for (int n = 0; n < 2000 && !::testing::Test::HasFailure(); n++) {
        if (op.prepare)
            op.prepare();
        mk_fault_arm_n(n, repeat);
        errno = 0;
        int err = op.run();
        int injected = mk_fault_injected();
        mk_fault_arm(-1);
        op.undo();
        if (!injected) {
            EXPECT_EQ(0, err) << op.name << ": fails without a fault";
            r.steps = n;
            break;
        }
        if (err == 0) {
            r.recovered++;
        } else {
            r.failures++;
            EXPECT_TRUE(op.allowed.count(err))
                << op.name << ": step " << n << " gave error " << err << " ("
                << mk_test::error_text(err) << ")";
        }
        EXPECT_EQ(base, snap(op))
            << op.name << ": leak after a fault at step " << n;
        // Faults have stopped: the same operation must succeed now.
        EXPECT_EQ(0, clean_run(op))
            << op.name << ": no recovery after step " << n;
        EXPECT_EQ(base, snap(op))
            << op.name << ": leak after the recovery run of step " << n;
    }
    loops_run++;
    std::printf("[ faults   ] %s%s: %d failure points, %d failed as "
                "documented, %d absorbed by a fallback\n",
                op.name, repeat > 1 ? " (lasting fault)" : "", r.steps,
                r.failures, r.recovered);
    return r;
}

/// Destroys kind when it was made.
void destroy(memkind_t kind)
{
    if (kind) {
        EXPECT_EQ(0, memkind_destroy_kind(kind));
    }
}

const std::set<int> kCreateErrors = {MEMKIND_ERROR_MALLOC,
                                     MEMKIND_ERROR_INVALID, MEMKIND_ERROR_MMAP,
                                     MEMKIND_ERROR_RUNTIME};

} // namespace

/* ------------------------------------------------------------ creation */

class FaultTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir_.ok()) << dir_.why();
    }
    mk_test::TempDir dir_;
};

TEST_F(FaultTest, CreatePmemEveryStep)
{
    memkind_t kind = nullptr;
    std::string dir = dir_.path();
    Op op{"memkind_create_pmem",
          nullptr,
          [&] {
              kind = nullptr;
              return memkind_create_pmem(dir.c_str(), MEMKIND_PMEM_MIN_SIZE,
                                         &kind);
          },
          [&] { destroy(kind); },
          kCreateErrors,
          dir};
    LoopResult r = fault_loop(op);
    EXPECT_GE(r.steps, 7) << "struct, dir copy, file (+fallback), "
                             "reservation, kind, lock, arena set";
    EXPECT_GE(r.recovered, 1) << "O_TMPFILE failing must fall back to mkostemp";
}

/* A file system without O_TMPFILE: the mkostemp + unlink fallback. */
TEST_F(FaultTest, CreatePmemWithoutTmpfileEveryStep)
{
    memkind_t kind = nullptr;
    std::string dir = dir_.path();
    Op op{"memkind_create_pmem (no O_TMPFILE)",
          [] { mk_fault_set_no_tmpfile(true); },
          [&] {
              kind = nullptr;
              return memkind_create_pmem(dir.c_str(), MEMKIND_PMEM_MIN_SIZE,
                                         &kind);
          },
          [&] {
              mk_fault_set_no_tmpfile(false);
              destroy(kind);
          },
          kCreateErrors,
          dir};
    EXPECT_GE(fault_loop(op).steps, 8) << "path buffer, mkostemp";
}

TEST_F(FaultTest, CreatePmemUnlimitedEveryStep)
{
    memkind_t kind = nullptr;
    std::string dir = dir_.path();
    Op op{"memkind_create_pmem (unlimited)",
          nullptr,
          [&] {
              kind = nullptr;
              return memkind_create_pmem(dir.c_str(), 0, &kind);
          },
          [&] { destroy(kind); },
          kCreateErrors,
          dir};
    EXPECT_GE(fault_loop(op).steps, 7);
}

TEST_F(FaultTest, CreatePmemWithConfigEveryStep)
{
    memkind_t kind = nullptr;
    std::string dir = dir_.path();
    Op op{"memkind_create_pmem_with_config",
          nullptr,
          [&]() -> int {
              kind = nullptr;
              struct memkind_config *cfg = memkind_config_new();
              if (!cfg)
                  return MEMKIND_ERROR_MALLOC;
              memkind_config_set_path(cfg, dir.c_str());
              memkind_config_set_size(cfg, 2 * MEMKIND_PMEM_MIN_SIZE);
              memkind_config_set_memory_usage_policy(
                  cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
              int err = memkind_create_pmem_with_config(cfg, &kind);
              memkind_config_delete(cfg);
              return err;
          },
          [&] { destroy(kind); },
          kCreateErrors,
          dir};
    EXPECT_GE(fault_loop(op).steps, 8);
}

TEST(FaultInjection, CreateNumaKindEveryStep)
{
    // memkind_create_kind() makes no kind (it returns static ones, as 1.14
    // does) and allocates nothing; a dynamic kind of regular memory made
    // through the registry takes the steps it used to.
    memkind_t kind = nullptr;
    Op op{"registry kind of regular memory",
          nullptr,
          [&] {
              kind = nullptr;
              return mk_test::create_numa_kind(&kind);
          },
          [&] { destroy(kind); },
          {MEMKIND_ERROR_MALLOC, MEMKIND_ERROR_RUNTIME},
          ""};
    EXPECT_GE(fault_loop(op).steps, 3) << "kind, lock, arena set";
}

TEST(FaultInjection, CreateKindAllocatesNothing)
{
    // Every failure point armed from the first: memkind_create_kind() still
    // answers, because it only looks up a static kind.
    memkind_t kind = nullptr;
    Op op{"memkind_create_kind",
          nullptr,
          [&] {
              kind = nullptr;
              return memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                         MEMKIND_POLICY_PREFERRED_LOCAL,
                                         memkind_bits_t(), &kind);
          },
          [&] { destroy(kind); },
          {},
          ""};
    EXPECT_EQ(fault_loop(op).steps, 0);
    EXPECT_EQ(kind, MEMKIND_DEFAULT);
}

TEST(FaultInjection, CreateFixedEveryStep)
{
    size_t sz = 16 * kMiB;
    void *buf = mmap(nullptr, sz, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(MAP_FAILED, buf);
    memkind_t kind = nullptr;
    Op op{"memkind_create_fixed",
          nullptr,
          [&] {
              kind = nullptr;
              return memkind_create_fixed(buf, sz, &kind);
          },
          [&] { destroy(kind); },
          {MEMKIND_ERROR_MALLOC, MEMKIND_ERROR_RUNTIME},
          ""};
    EXPECT_GE(fault_loop(op).steps, 4);
    munmap(buf, sz);
}

/* ------------------------------------------------------------- growth */

/*
 * The first allocations of a thread from a kind: thread state, arena,
 * tcache, magazine, extent mapping, binding, file blocks.  Each allocation
 * either succeeds or gives NULL with errno ENOMEM (memkind(3)).  Returns 0,
 * MEMKIND_ERROR_MALLOC when some allocation failed, MEMKIND_ERROR_INVALID
 * for an undocumented errno.
 */
static int grow(memkind_t kind, std::vector<void *> &blocks)
{
    const size_t sizes[] = {64, 200, 4096, 3 * kMiB, 64, 9 * kMiB};
    int err = 0;
    // Freed and taken again: a CONSERVATIVE PMEM kind decommits the extent
    // on free (hole punched) and commits it again (blocks allocated).
    void *again = memkind_malloc(kind, 5 * kMiB);
    memkind_free(kind, again);
    again = memkind_malloc(kind, 5 * kMiB);
    if (again)
        blocks.push_back(again);
    else
        err = MEMKIND_ERROR_MALLOC;
    for (size_t s : sizes) {
        errno = 0;
        void *p = memkind_malloc(kind, s);
        if (p) {
            memset(p, 0xa5, s);
            blocks.push_back(p);
        } else if (errno != ENOMEM) {
            return MEMKIND_ERROR_INVALID;
        } else {
            err = MEMKIND_ERROR_MALLOC;
        }
        // A small block freed at once (magazine), then calloc.
        void *f = memkind_malloc(kind, 48);
        memkind_free(kind, f);
        errno = 0;
        void *q = memkind_calloc(kind, 3, 100);
        if (q) {
            EXPECT_TRUE(mk_test::all_bytes(q, 300, 0));
            blocks.push_back(q);
        } else if (errno != ENOMEM) {
            return MEMKIND_ERROR_INVALID;
        } else {
            err = MEMKIND_ERROR_MALLOC;
        }
    }
    return err;
}

/*
 * Growth of a kind made (without faults) by create(); the blocks are freed
 * and the kind destroyed by undo.  Growth runs in a new thread each time,
 * so that per-thread state is made under faults too.
 */
struct GrowthOp {
    std::function<memkind_t()> create;
    memkind_t kind = nullptr;
    std::vector<void *> blocks;

    Op op(const char *name, const std::string &dir)
    {
        return Op{name,
                  [this] { kind = create(); },
                  [this]() -> int {
                      if (!kind)
                          return MEMKIND_ERROR_RUNTIME; // fails the test
                      int err = 0;
                      std::thread t([&] { err = grow(kind, blocks); });
                      t.join();
                      return err;
                  },
                  [this] {
                      for (void *p : blocks)
                          memkind_free(kind, p);
                      blocks.clear();
                      destroy(kind);
                      kind = nullptr;
                  },
                  {MEMKIND_ERROR_MALLOC},
                  dir};
    }
};

TEST(FaultInjection, DynamicKindGrowthEveryStep)
{
    GrowthOp g;
    g.create = [] {
        memkind_t k = nullptr;
        EXPECT_EQ(0, mk_test::create_numa_kind(&k));
        return k;
    };
    EXPECT_GE(fault_loop(g.op("arena growth (dynamic kind)", "")).steps, 6)
        << "tls, arena, tcache list, tcache, mmap, region list, mbind";
    LoopResult r = fault_loop(g.op("arena growth (dynamic kind)", ""), 1000);
    EXPECT_GE(r.failures, 1) << "a lasting fault must surface as ENOMEM";
}

TEST_F(FaultTest, PmemGrowthEveryStep)
{
    GrowthOp g;
    std::string dir = dir_.path();
    // CONSERVATIVE: freed space is decommitted (a hole punched) at once, so
    // the growth below reuses it through the commit hook too.
    g.create = [dir] {
        memkind_t k = nullptr;
        struct memkind_config *cfg = memkind_config_new();
        memkind_config_set_path(cfg, dir.c_str());
        memkind_config_set_size(cfg, 64 * kMiB);
        memkind_config_set_memory_usage_policy(
            cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
        EXPECT_EQ(0, memkind_create_pmem_with_config(cfg, &k));
        memkind_config_delete(cfg);
        if (k) {
            void *p = memkind_malloc(k, 3 * kMiB);
            EXPECT_NE(nullptr, p);
            memkind_free(k, p);
        }
        return k;
    };
    EXPECT_GE(fault_loop(g.op("arena growth (PMEM kind)", dir)).steps, 6)
        << "tls, tcache, fallocate, mmap, commit";
    LoopResult r = fault_loop(g.op("arena growth (PMEM kind)", dir), 1000);
    EXPECT_GE(r.failures, 1) << "a lasting fault must surface as ENOMEM";
}

/*
 * A thread's first free of a large object (64 KiB) makes its magazine and
 * large cache.  When either cannot be made the object goes back to
 * jemalloc at once: the free still succeeds, keeps errno, and the same
 * memory is allocatable again (a kind of 8 MiB could not give 64 KiB
 * twice if a failed push lost the block).  PMEM and DEFAULT take the same
 * step through different entries.
 */
TEST_F(FaultTest, LargeCacheFirstFreeEveryStep)
{
    std::string dir = dir_.path();
    memkind_t kind = nullptr;
    void *pm = nullptr, *dm = nullptr;
    const size_t big = 64 << 10;
    Op op{"first large free of a thread (PMEM and DEFAULT)",
          [&] {
              EXPECT_EQ(0, memkind_create_pmem(dir.c_str(),
                                               MEMKIND_PMEM_MIN_SIZE, &kind));
              if (kind)
                  pm = memkind_malloc(kind, big);
              dm = memkind_malloc(MEMKIND_DEFAULT, big);
              EXPECT_NE(nullptr, pm);
              EXPECT_NE(nullptr, dm);
          },
          [&]() -> int {
              int err = 0;
              std::thread t([&] {
                  errno = EDOM;
                  memkind_free(kind, pm);
                  memkind_free(MEMKIND_DEFAULT, dm);
                  EXPECT_EQ(EDOM, errno) << "free changed errno";
                  pm = dm = nullptr;
                  for (memkind_t k : {kind, MEMKIND_DEFAULT}) {
                      errno = 0;
                      void *p = memkind_malloc(k, big);
                      if (!p && errno != ENOMEM)
                          err = MEMKIND_ERROR_INVALID;
                      else if (!p)
                          err = MEMKIND_ERROR_MALLOC;
                      (k == kind ? pm : dm) = p;
                  }
              });
              t.join();
              return err;
          },
          [&] {
              memkind_free(kind, pm);
              memkind_free(MEMKIND_DEFAULT, dm);
              pm = dm = nullptr;
              destroy(kind);
              kind = nullptr;
          },
          {MEMKIND_ERROR_MALLOC},
          dir};
    EXPECT_GE(fault_loop(op).steps, 2) << "magazine, large cache";
}

/*
 * A thread that only frees what another allocated hands its full cache to
 * its kind's depot, made on first need; the allocating thread takes the
 * objects back on a miss.  When the depot cannot be made the objects go
 * back to jemalloc instead, free keeps errno, and every object is
 * allocatable again (a fresh kind per run, so that each run makes its
 * depot).
 */
TEST_F(FaultTest, LargeCacheDepotEveryStep)
{
    std::string dir = dir_.path();
    memkind_t kind = nullptr;
    const size_t big = 64 << 10;
    // A size: 4 MiB per thread (1/32), not the 32 MiB an unsized kind
    // shares, which made each run 8 times longer.
    const size_t max_size = (size_t)128 << 20;
    Op op{"large cache depot of a PMEM kind",
          [&] {
              EXPECT_EQ(0, memkind_create_pmem(dir.c_str(), max_size, &kind));
          },
          [&]() -> int {
              int err = 0;
              // Enough frees for the freeing thread to count as a consumer
              // (struct mk_lcache), and then fill its cache twice.
              size_t n = (MK_LC_QUIET_BUDGETS + 3) *
                         (mk_arena_kind_large_cache_budget(kind) / big);
              std::vector<void *> v(n, nullptr);
              for (int round = 0; round < 2 && !err; round++) {
                  for (auto &p : v) {
                      errno = 0;
                      p = memkind_malloc(kind, big);
                      if (!p)
                          err = errno == ENOMEM ? MEMKIND_ERROR_MALLOC
                                                : MEMKIND_ERROR_INVALID;
                  }
                  std::thread consumer([&] {
                      errno = EDOM;
                      for (auto &p : v) {
                          memkind_free(kind, p);
                          p = nullptr;
                      }
                      if (errno != EDOM)
                          err = MEMKIND_ERROR_RUNTIME; // free changed errno
                  });
                  consumer.join();
              }
              return err;
          },
          [&] {
              destroy(kind);
              kind = nullptr;
          },
          {MEMKIND_ERROR_MALLOC},
          dir};
    EXPECT_GE(fault_loop(op).steps, 3) << "magazine, large cache, depot";
}

/*
 * Without membarrier(2) (an old kernel, a seccomp filter) the purger cannot
 * empty the caches of an idle thread safely, so it leaves them: the objects
 * a thread freed stay cached, with their file blocks, and nothing breaks.
 * Once membarrier is back, the next sweeps empty them.
 */
TEST_F(FaultTest, NoMembarrierLeavesIdleCachesAlone)
{
    std::string dir = dir_.path();
    memkind_t kind = nullptr;
    mk_fault_set_no_membarrier(true);
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    std::vector<void *> v;
    for (size_t total = 0, i = 0; total < 32 * kMiB; i++) {
        size_t s = 16 + (i * 7919) % 16384;
        void *p = memkind_malloc(kind, s);
        ASSERT_NE(nullptr, p);
        std::memset(p, 1, s);
        v.push_back(p);
        total += s;
    }
    for (void *p : v)
        memkind_free(kind, p);
    const long kept = (2L << 20) + (256L << 10); /* see pmem_test */
    usleep(900 * 1000);
    long before = mk_test::file_bytes_in(dir);
    EXPECT_GT(before, kept) << "caches emptied without membarrier";
    mk_fault_set_no_membarrier(false);
    long now = before;
    for (int i = 0; i < 30 && now > kept; i++) {
        usleep(50 * 1000);
        now = mk_test::file_bytes_in(dir);
    }
    EXPECT_LE(now, kept) << "caches not emptied once membarrier works";
    void *p = memkind_malloc(kind, 100);
    EXPECT_NE(nullptr, p);
    memkind_free(kind, p);
    EXPECT_EQ(0, memkind_destroy_kind(kind));
}

TEST(FaultInjection, FixedKindGrowthEveryStep)
{
    size_t sz = 64 * kMiB;
    void *buf = mmap(nullptr, sz, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(MAP_FAILED, buf);
    GrowthOp g;
    g.create = [buf, sz] {
        memkind_t k = nullptr;
        EXPECT_EQ(0, memkind_create_fixed(buf, sz, &k));
        return k;
    };
    EXPECT_GE(fault_loop(g.op("arena growth (fixed kind)", "")).steps, 4);
    EXPECT_GE(fault_loop(g.op("arena growth (fixed kind)", ""), 1000).failures,
              1);
    munmap(buf, sz);
}

/*
 * The ops of MEMKIND_INTERLEAVE (the kind with a madvise op) on a fresh
 * kind, registered as a kind author would: mmap, mbind and madvise.
 */
TEST(FaultInjection, InterleaveGrowthEveryStep)
{
    GrowthOp g;
    g.create = [] {
        memkind_t k = nullptr;
        EXPECT_EQ(0, mk_registry_create_kind(&MEMKIND_INTERLEAVE_OPS,
                                             "fault_interleave",
                                             MK_BACKING_NUMA, nullptr, &k));
        return k;
    };
    EXPECT_GE(fault_loop(g.op("arena growth (interleave ops)", "")).steps, 7)
        << "tls, arena, tcache, mmap, region list, mbind, madvise";
    EXPECT_GE(
        fault_loop(g.op("arena growth (interleave ops)", ""), 1000).failures,
        1);
}

/* ------------------------------------------------------------ memtier */

/*
 * What libmemtier's start-up does: a PMEM kind for an FS_DAX tier, then a
 * builder with five tiers (the tier list grows once), thresholds set with
 * memtier_ctl_set, and the memory built and used.  Failures are NULL / -1
 * (libmemtier(3)); the kinds are destroyed by undo.
 */
TEST_F(FaultTest, MemtierConstructionEveryStep)
{
    std::string dir = dir_.path();
    std::vector<memkind_t> dyn(3, nullptr);
    for (auto &k : dyn)
        ASSERT_EQ(0, mk_test::create_numa_kind(&k));
    memkind_t pmem = nullptr;
    struct memtier_memory *mem = nullptr;
    void *block = nullptr;
    const int kFail = -1000; // "failed as documented" for the loop
    Op op{
        "memtier construction",
        nullptr,
        [&]() -> int {
            pmem = nullptr;
            mem = nullptr;
            block = nullptr;
            int err =
                memkind_create_pmem(dir.c_str(), MEMKIND_PMEM_MIN_SIZE, &pmem);
            if (err)
                return err;
            struct memtier_builder *b =
                memtier_builder_new(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
            if (!b)
                return kFail;
            memkind_t tiers[] = {MEMKIND_DEFAULT, dyn[0], dyn[1], dyn[2], pmem};
            for (unsigned i = 0; i < 5; i++) {
                if (memtier_builder_add_tier(b, tiers[i], i + 1) != 0) {
                    memtier_builder_delete(b);
                    return kFail;
                }
            }
            size_t v = 1500; // within [513, 1536], below threshold 2

            EXPECT_EQ(0,
                      memtier_ctl_set(
                          b, "policy.dynamic_threshold.thresholds[0].val", &v));
            mem = memtier_builder_construct_memtier_memory(b);
            memtier_builder_delete(b);
            if (!mem)
                return kFail;
            block = memtier_malloc(mem, 100);
            return block ? 0 : kFail;
        },
        [&] {
            if (block)
                memtier_free(block);
            if (mem)
                memtier_delete_memtier_memory(mem);
            destroy(pmem);
        },
        {MEMKIND_ERROR_MALLOC, MEMKIND_ERROR_INVALID, MEMKIND_ERROR_MMAP,
         MEMKIND_ERROR_RUNTIME, kFail},
        dir};
    EXPECT_GE(fault_loop(op).steps, 10);
    for (memkind_t k : dyn)
        EXPECT_EQ(0, memkind_destroy_kind(k));
}

/*
 * jemalloc's munmap of part of its DEFAULT memory (src/addrmap.c): the
 * partial granules at each end are replaced by an inaccessible reservation,
 * the whole granules between are unmapped and forgotten.  When a step
 * fails, no granule may stay recorded as DEFAULT with a hole in it (another
 * mapping could land there and be taken for DEFAULT memory by
 * memkind_detect_kind(), and so by libmemtier's free()): every granule is
 * either recorded and wholly mapped, or unrecorded.  mincore() fails with
 * ENOMEM on a range with an unmapped page.
 */
TEST(FaultInjection, JemallocUnmapLeavesNoHoleInDefault)
{
    const size_t G = MK_GRANULE;
    char *base = nullptr;
    Op op;
    op.name = "jemalloc munmap inside DEFAULT granules";
    op.prepare = [&] {
        void *p = mk_jemk_mmap(nullptr, 3 * G, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(MAP_FAILED, p);
        base = static_cast<char *>(p);
    };
    op.run = [&]() -> int {
        // From the middle of granule 0 to the middle of granule 2.
        if (mk_jemk_munmap(base + G / 2, 2 * G) != 0)
            return MEMKIND_ERROR_MMAP;
        unsigned char vec[(3 * (1 << MK_GRANULE_BITS)) / 4096];
        for (size_t g = 0; g < 3; g++) {
            char *gp = base + g * G;
            bool recorded = mk_addrmap_lookup(gp) == MEMKIND_DEFAULT;
            bool whole = mincore(gp, G, vec) == 0;
            if (recorded && !whole) {
                ADD_FAILURE() << "granule " << g
                              << " is recorded DEFAULT with a hole in it";
                return MEMKIND_ERROR_RUNTIME;
            }
        }
        // What jemalloc still owns is intact and DEFAULT.
        base[0] = 1;
        base[3 * G - 1] = 1;
        if (mk_addrmap_lookup(base) != MEMKIND_DEFAULT ||
            mk_addrmap_lookup(base + 3 * G - 1) != MEMKIND_DEFAULT)
            return MEMKIND_ERROR_RUNTIME;
        return 0;
    };
    op.undo = [&] {
        if (base) {
            EXPECT_EQ(0, mk_jemk_munmap(base, 3 * G));
        }
        base = nullptr;
    };
    op.allowed = {MEMKIND_ERROR_MMAP};
    EXPECT_GE(fault_loop(op).steps, 3);
}

/* ----------------------------------------------------------- coverage */

namespace
{

/// The records of section mk_fault_sites of this executable, read from
/// its ELF section headers (the section is loaded, the headers are not).
std::vector<struct mk_fault_site *> fault_sites()
{
    std::vector<struct mk_fault_site *> out;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return out;
    }
    void *m = mmap(nullptr, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return out;
    const char *img = static_cast<const char *>(m);
    auto *eh = reinterpret_cast<const Elf64_Ehdr *>(img);
    auto *sh = reinterpret_cast<const Elf64_Shdr *>(img + eh->e_shoff);
    const char *names = img + sh[eh->e_shstrndx].sh_offset;
    uintptr_t bias = 0;
    dl_iterate_phdr(
        [](struct dl_phdr_info *info, size_t, void *data) {
            *static_cast<uintptr_t *>(data) = info->dlpi_addr;
            return 1; // the first object is the executable
        },
        &bias);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (std::strcmp(names + sh[i].sh_name, "mk_fault_sites") != 0)
            continue;
        auto *first =
            reinterpret_cast<struct mk_fault_site *>(bias + sh[i].sh_addr);
        size_t n = sh[i].sh_size / sizeof(struct mk_fault_site);
        for (size_t j = 0; j < n; j++)
            out.push_back(first + j);
    }
    munmap(m, (size_t)st.st_size);
    return out;
}

/// Why a site cannot be reached on this machine, or "" when it must be.
std::string unreachable_here(const struct mk_fault_site *s)
{
    if (std::strstr(s->file, "pmem_devdax.c"))
        return "needs a Device DAX device (test/dax lane)";
    return "";
}

/// True when addr lies in a writable mapping (/proc/self/maps).
bool writable(const void *addr)
{
    std::ifstream maps("/proc/self/maps");
    std::string line;
    uintptr_t a = reinterpret_cast<uintptr_t>(addr);
    while (std::getline(maps, line)) {
        uintptr_t lo, hi;
        char perms[8];
        if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %7s", &lo, &hi,
                        perms) == 3 &&
            a >= lo && a < hi)
            return perms[1] == 'w';
    }
    return false;
}

} // namespace

/*
 * Every step of what a forked child gets of a PMEM kind (kinds/
 * pmem_fork.c): the parent's pipe (then the parent copies in prepare), the
 * copy's file, the snapshot's steps, the remap; and, with a lasting fault,
 * the fallbacks down to the child stopping itself.  Whatever fails, the
 * child never writes into the parent's heap: it writes every block it can
 * and the parent checks its own contents afterwards.  Failure points
 * reached in the child count in the child's memory, so the child sends
 * back the records of the points it failed and the parent counts them for
 * ZzEverySiteWasInjected.
 */
TEST_F(FaultTest, PmemForkEveryStep)
{
    std::string dir = dir_.path();
    memkind_t kind = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &kind));
    std::vector<unsigned char *> blocks;
    for (size_t sz : {size_t(64), size_t(5000), 3 * kMiB}) {
        auto *b = static_cast<unsigned char *>(memkind_malloc(kind, sz));
        ASSERT_NE(nullptr, b);
        std::memset(b, 0x5A, sz);
        blocks.push_back(b);
    }
    int fds = mk_test::open_fds();
    int steps = 0, aborted = 0;
    // The child reports from its SIGABRT handler too (the last fallback
    // aborts): the records are listed before fork, so it only writes.
    static std::vector<struct mk_fault_site *> sites;
    static int report_fd = -1;
    sites = fault_sites();
    auto report = [] {
        for (struct mk_fault_site *s : sites)
            if (s->injected && write(report_fd, &s, sizeof(s)) != sizeof(s))
                return;
    };
    static void (*report_now)() = nullptr;
    static pid_t parent;
    report_now = report;
    parent = getpid();
    // Installed before fork(): the child aborts inside fork(), in the
    // library's child handler, before it could install anything.
    void (*old_abrt)(int) = signal(SIGABRT, [](int) {
        if (getpid() != parent)
            report_now();
        signal(SIGABRT, SIG_DFL);
        raise(SIGABRT);
    });
    for (int lasting : {1, 2, 1000}) {
        for (int n = 0; n < 40; n++) {
            int rep[2];
            ASSERT_EQ(0, pipe(rep));
            report_fd = rep[1];
            mk_fault_arm_n(n, lasting);
            pid_t pid = fork();
            if (pid == 0) {
                close(rep[0]);
                int injected = mk_fault_injected();
                mk_fault_arm(-1);
                // Write every block this child can reach (a private copy,
                // a copy-on-write view, or nothing when inaccessible).
                for (unsigned char *b : blocks)
                    if (writable(b))
                        b[0] = 0xC3;
                report_now();
                _exit(injected ? 1 : 0);
            }
            ASSERT_GT(pid, 0);
            close(rep[1]);
            struct mk_fault_site *s;
            while (read(rep[0], &s, sizeof(s)) == sizeof(s))
                s->injected++;
            close(rep[0]);
            int injected_here = mk_fault_injected();
            mk_fault_arm(-1);
            int st = 0;
            ASSERT_EQ(pid, waitpid(pid, &st, 0));
            for (unsigned char *b : blocks)
                ASSERT_EQ(0x5A, b[0]) << "step " << n << " (lasting " << lasting
                                      << "): the child wrote "
                                      << "into the parent's heap";
            if (WIFSIGNALED(st)) {
                EXPECT_EQ(SIGABRT, WTERMSIG(st)) << "step " << n;
                EXPECT_GT(lasting, 1) << "a single fault must not stop "
                                      << "the child (step " << n << ")";
                aborted++;
                continue;
            }
            ASSERT_TRUE(WIFEXITED(st));
            if (WEXITSTATUS(st) == 0 && injected_here == 0)
                break; // no point left to fail
            steps += lasting == 1;
        }
    }
    signal(SIGABRT, old_abrt);
    loops_run++;
    EXPECT_GE(steps, 5) << "pipe, copy file, snapshot, extents, write, map";
    EXPECT_GE(aborted, 1) << "a lasting fault must reach the child's stop";
    EXPECT_EQ(fds, mk_test::open_fds()) << "descriptors leaked by fork";
    for (unsigned char *b : blocks)
        memkind_free(kind, b);
    EXPECT_EQ(0, memkind_destroy_kind(kind));
}

/*
 * Runs last (tests run in the order they are defined): every failure point
 * compiled into this program must have been made to fail by a loop above.
 */
TEST(FaultInjection, ZzEverySiteWasInjected)
{
    const int kLoops = 18; // fault_loop() calls + PmemForkEveryStep
    if (loops_run < kLoops)
        GTEST_SKIP() << "only " << loops_run << " of " << kLoops
                     << " fault loops ran (filtered?)";
    std::vector<struct mk_fault_site *> sites = fault_sites();
    ASSERT_FALSE(sites.empty())
        << "no section mk_fault_sites in /proc/self/exe";
    std::map<std::string, int> per_file;
    int covered = 0, exempt = 0;
    for (const struct mk_fault_site *s : sites) {
        std::string file = s->file;
        per_file[file.substr(file.rfind('/') + 1)]++;
        if (s->injected) {
            covered++;
            continue;
        }
        std::string why = unreachable_here(s);
        if (!why.empty()) {
            exempt++;
            std::printf("[ faults   ] %s:%d not reached: %s\n", s->file,
                        s->line, why.c_str());
            continue;
        }
        ADD_FAILURE() << "failure point " << s->file << ":" << s->line
                      << " was never made to fail (reached " << s->reached
                      << " times): add a fault loop that reaches it";
    }
    std::string files;
    for (auto &f : per_file)
        files += " " + f.first + ":" + std::to_string(f.second);
    std::printf("[ faults   ] %zu injection points (%s); %d covered, %d need "
                "hardware this machine lacks\n",
                sites.size(), files.c_str() + 1, covered, exempt);
}

#endif
