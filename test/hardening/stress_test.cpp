// SPDX-License-Identifier: BSD-2-Clause
/*
 * stress_test.cpp - many threads allocating and freeing across threads on
 * several kinds at once (MEMKIND_DEFAULT, MEMKIND_REGULAR, a PMEM kind, a
 * fixed kind), while other threads create and destroy kinds and fork in
 * the middle of it all (issue 8).
 *
 * Passes when nothing crashes, nothing deadlocks (a watchdog aborts the
 * run DEADLINE seconds after its planned end; every forked child must exit
 * within 10 s), every block keeps its contents, and once all blocks are
 * freed and the threads joined, memkind_get_stat(ALLOCATED) of each kind
 * is back at its value before the run.
 *
 * Environment: MK_STRESS_SECONDS (default 3: `make check`; `make
 * check-stress` runs 60), MK_STRESS_THREADS (default 8), MK_STRESS_NO_FORK=1
 * (ThreadSanitizer does not support fork with threads).
 */
#include <memkind.h>

#include "common/test_util.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace
{

using clk = std::chrono::steady_clock;

long env_long(const char *name, long dflt)
{
    const char *v = std::getenv(name);
    return v && *v ? std::strtol(v, nullptr, 10) : dflt;
}

/// A block in flight: who made it and what it holds.
struct Block {
    void *p = nullptr;
    size_t size = 0;
    memkind_t kind = nullptr;
    unsigned seed = 0;
};

/// Blocks handed from thread to thread; slots are taken and refilled
/// under one lock per shard.
class Exchange {
  public:
    static constexpr unsigned kShards = 16;
    static constexpr unsigned kSlots = 256;

    /// Swaps b with a random slot; returns what was there.
    Block swap(const Block &b, unsigned r)
    {
        Shard &s = shards_[r % kShards];
        std::lock_guard<std::mutex> g(s.lock);
        Block old = s.slot[(r / kShards) % kSlots];
        s.slot[(r / kShards) % kSlots] = b;
        return old;
    }
    /// Takes every block out.
    std::vector<Block> drain()
    {
        std::vector<Block> v;
        for (Shard &s : shards_) {
            std::lock_guard<std::mutex> g(s.lock);
            for (Block &b : s.slot) {
                if (b.p)
                    v.push_back(b);
                b = Block();
            }
        }
        return v;
    }

  private:
    struct Shard {
        std::mutex lock;
        Block slot[kSlots];
    };
    Shard shards_[kShards];
};

/// Stamps the first and last bytes (the whole block when small).
void stamp(const Block &b)
{
    size_t n = b.size < 256 ? b.size : 64;
    mk_test::fill_pattern(b.p, n, b.seed);
    if (b.size >= 256)
        mk_test::fill_pattern(static_cast<char *>(b.p) + b.size - 64, 64,
                              b.seed + 1);
}

bool intact(const Block &b)
{
    size_t n = b.size < 256 ? b.size : 64;
    if (!mk_test::check_pattern(b.p, n, b.seed))
        return false;
    return b.size < 256 ||
           mk_test::check_pattern(static_cast<char *>(b.p) + b.size - 64, 64,
                                  b.seed + 1);
}

size_t allocated(memkind_t kind)
{
    size_t v = 0;
    EXPECT_EQ(0, memkind_update_cached_stats());
    EXPECT_EQ(0, memkind_get_stat(kind, MEMKIND_STAT_TYPE_ALLOCATED, &v));
    return v;
}

/// Aborts the process when the run overstays (a deadlock).
class Watchdog {
  public:
    explicit Watchdog(long seconds)
        : thread_([this, seconds] {
              std::unique_lock<std::mutex> g(lock_);
              if (!cv_.wait_for(g, std::chrono::seconds(seconds),
                                [this] { return done_; })) {
                  std::fprintf(stderr,
                               "stress: no progress after %ld s: "
                               "deadlock\n",
                               seconds);
                  std::abort();
              }
          })
    {
    }
    ~Watchdog()
    {
        {
            std::lock_guard<std::mutex> g(lock_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

  private:
    std::mutex lock_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

} // namespace

TEST(Stress, ManyThreadsManyKindsCreateDestroyAndFork)
{
    const long seconds = env_long("MK_STRESS_SECONDS", 3);
    const long nthreads = env_long("MK_STRESS_THREADS", 8);
    const bool fork_on = env_long("MK_STRESS_NO_FORK", 0) == 0;
    Watchdog dog(seconds + 120);

    mk_test::TempDir dir;
    ASSERT_TRUE(dir.ok()) << dir.why();
    memkind_t pmem = nullptr, fixed = nullptr;
    ASSERT_EQ(0, memkind_create_pmem(dir.c_str(), 0, &pmem));
    const size_t fixed_size = 256 * mk_test::MiB;
    void *buf = mmap(nullptr, fixed_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ASSERT_NE(MAP_FAILED, buf);
    ASSERT_EQ(0, memkind_create_fixed(buf, fixed_size, &fixed));
    const memkind_t kinds[] = {MEMKIND_DEFAULT, MEMKIND_REGULAR, pmem, fixed};
    // Fixed kinds the creator thread makes, one at a time.
    const size_t made_size = 16 * mk_test::MiB;
    void *made_buf = mmap(nullptr, made_size, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ASSERT_NE(MAP_FAILED, made_buf);
    size_t base[4];

    Exchange ex;
    std::atomic<bool> stop{false};
    std::atomic<long> ops{0}, cross_frees{0}, kinds_made{0}, forks{0};
    std::atomic<long> corrupt{0}, bad_detect{0}, failed_children{0};
    std::atomic<long> stats_failed{0};
    // Longest fork() in the parent and longest child life, in ms.
    std::atomic<long> fork_ms_max{0}, child_ms_max{0};
    auto end = clk::now() + std::chrono::seconds(seconds);

    auto worker = [&](unsigned id) {
        std::mt19937 rng(id * 7919u + 1);
        long n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            Block b;
            b.kind = kinds[rng() % 4];
            unsigned r = rng();
            b.size = r % 16 == 0 ? 64 * 1024 + r % (1 << 20) : 1 + r % 2048;
            b.seed = rng();
            if (r % 7 == 0) {
                b.p = memkind_calloc(b.kind, 1, b.size);
                if (b.p &&
                    !mk_test::all_bytes(b.p, b.size < 512 ? b.size : 512, 0))
                    corrupt++;
            } else {
                b.p = memkind_malloc(b.kind, b.size);
            }
            if (!b.p)
                continue; // a full fixed kind: fine
            stamp(b);
            if (r % 11 == 0) {
                size_t ns = b.size + r % 4096;
                void *q = memkind_realloc(b.kind, b.p, ns);
                if (q) {
                    b.p = q;
                    if (!mk_test::check_pattern(q, b.size < 256 ? b.size : 64,
                                                b.seed))
                        corrupt++;
                    b.size = ns;
                    stamp(b);
                }
            }
            Block old = ex.swap(b, rng());
            if (old.p) {
                if (!intact(old))
                    corrupt++;
                if (memkind_detect_kind(old.p) != old.kind)
                    bad_detect++;
                // Every other block freed through kind detection.
                memkind_free(r & 1 ? nullptr : old.kind, old.p);
                cross_frees++;
            }
            // Statistics while the others allocate: they read every
            // thread's cached byte counts (ThreadSanitizer lane).
            size_t st = 0;
            if (n % 4096 == 0 &&
                (memkind_update_cached_stats() != 0 ||
                 memkind_get_stat(b.kind, MEMKIND_STAT_TYPE_ALLOCATED, &st) ||
                 memkind_get_stat(nullptr, MEMKIND_STAT_TYPE_ACTIVE, &st)))
                stats_failed++;
            if (++n % 256 == 0 && clk::now() >= end)
                stop = true;
        }
        ops += n;
    };

    // Kinds created and destroyed while the others allocate.
    auto creator = [&] {
        std::mt19937 rng(4242);
        while (!stop.load(std::memory_order_relaxed)) {
            memkind_t k = nullptr;
            int err = rng() % 2 ? memkind_create_fixed(made_buf, made_size, &k)
                                : memkind_create_pmem(
                                      dir.c_str(), MEMKIND_PMEM_MIN_SIZE, &k);
            if (err) {
                ADD_FAILURE()
                    << "kind creation failed: " << mk_test::error_text(err);
                stop = true;
                break;
            }
            std::vector<void *> v;
            for (int i = 0; i < 200; i++)
                if (void *p = memkind_malloc(k, 16 + rng() % 4000))
                    v.push_back(p);
            std::thread t([&] { // freed by another thread
                for (void *p : v)
                    memkind_free(nullptr, p);
            });
            t.join();
            EXPECT_EQ(0, memkind_destroy_kind(k));
            kinds_made++;
        }
    };

    // fork() while every other thread allocates: the child must be able
    // to use each kind (PMEM: its private copy) and exit promptly.
    auto forker = [&] {
        while (!stop.load(std::memory_order_relaxed)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            auto f0 = clk::now();
            pid_t pid = fork();
            if (pid == 0) {
                int bad = 0;
                for (unsigned ki = 0; ki < 4; ki++) {
                    memkind_t k = kinds[ki];
                    for (int i = 0; i < 100; i++) {
                        char *p = static_cast<char *>(
                            memkind_malloc(k, 1 + (size_t)i * 37));
                        if (!p) {
                            if (k != fixed && !bad)
                                std::fprintf(stderr,
                                             "stress: child: kind %u "
                                             "malloc(%zu): %s\n",
                                             ki, 1 + (size_t)i * 37,
                                             std::strerror(errno));
                            bad |= k != fixed;
                            continue;
                        }
                        memset(p, i, 1 + (size_t)i * 37);
                        memkind_free(nullptr, p);
                    }
                }
                _exit(bad);
            }
            if (pid < 0) {
                ADD_FAILURE() << "fork: " << std::strerror(errno);
                break;
            }
            auto f1 = clk::now();
            int st = 0;
            auto limit = clk::now() + std::chrono::seconds(10);
            while (waitpid(pid, &st, WNOHANG) == 0) {
                if (clk::now() > limit) {
                    kill(pid, SIGKILL);
                    (void)waitpid(pid, &st, 0);
                    std::fprintf(stderr, "stress: child %d hung\n", (int)pid);
                    st = 1;
                    break;
                }
                poll(nullptr, 0, 5);
            }
            auto ms = [](clk::duration d) {
                return (long)
                    std::chrono::duration_cast<std::chrono::milliseconds>(d)
                        .count();
            };
            fork_ms_max = std::max(fork_ms_max.load(), ms(f1 - f0));
            child_ms_max = std::max(child_ms_max.load(), ms(clk::now() - f1));
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                if (WIFSIGNALED(st))
                    std::fprintf(stderr, "stress: child %d: signal %d\n",
                                 (int)pid, WTERMSIG(st));
                else if (WIFEXITED(st))
                    std::fprintf(stderr, "stress: child %d: exit %d\n",
                                 (int)pid, WEXITSTATUS(st));
                failed_children++;
            }
            forks++;
        }
    };

    // One phase: all threads until end, then every block freed by a thread
    // that exits, so that its caches (tcache, magazines), which count as
    // allocated, are flushed too.
    auto phase = [&] {
        std::vector<std::thread> ts;
        for (long i = 0; i < nthreads; i++)
            ts.emplace_back(worker, (unsigned)i);
        ts.emplace_back(creator);
        if (fork_on)
            ts.emplace_back(forker);
        for (auto &t : ts)
            t.join();
        std::thread drainer([&] {
            for (const Block &b : ex.drain()) {
                if (!intact(b))
                    corrupt++;
                memkind_free(b.kind, b.p);
            }
        });
        drainer.join();
    };

    // A short warm-up makes what is made once (jemalloc's arenas for new
    // threads, the thread caches' own metadata); the baseline follows it.
    end = clk::now() + std::chrono::milliseconds(300);
    phase();
    for (int i = 0; i < 4; i++)
        base[i] = allocated(kinds[i]);
    ops = cross_frees = kinds_made = forks = 0;
    stop = false;
    end = clk::now() + std::chrono::seconds(seconds);
    auto t0 = clk::now();
    phase();
    double secs = std::chrono::duration<double>(clk::now() - t0).count();

    EXPECT_EQ(0, corrupt.load()) << "blocks lost their contents";
    EXPECT_EQ(0, bad_detect.load()) << "memkind_detect_kind wrong";
    EXPECT_EQ(0, stats_failed.load()) << "statistics failed while in use";
    EXPECT_EQ(0, failed_children.load()) << "forked children failed";
    const char *names[] = {"MEMKIND_DEFAULT", "MEMKIND_REGULAR", "PMEM",
                           "fixed"};
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(base[i], allocated(kinds[i]))
            << names[i] << ": allocated bytes did not return to the baseline";
    std::printf("[ stress   ] %.1f s, %ld threads: %ld allocations, %ld "
                "cross-thread frees, %ld kinds created and destroyed, %ld "
                "forks (longest fork() %ld ms, longest child %ld ms)\n",
                secs, nthreads, ops.load(), cross_frees.load(),
                kinds_made.load(), forks.load(), fork_ms_max.load(),
                child_ms_max.load());
    EXPECT_EQ(0, memkind_destroy_kind(fixed));
    EXPECT_EQ(0, memkind_destroy_kind(pmem));
    munmap(buf, fixed_size);
    munmap(made_buf, made_size);
}
