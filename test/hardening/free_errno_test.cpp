// SPDX-License-Identifier: BSD-2-Clause
/*
 * free_errno_test.cpp - memkind_free() and memtier_kind_free() (the free()
 * of libmemtier) never change errno, even when something they do on the
 * way fails (memkind(3): "memkind_free() ... errno is not changed";
 * issue 14, item 12).
 *
 * A thread's first free of a kind makes the thread's state, picks or
 * creates an arena and makes a tcache; its next small free makes the
 * thread's magazine.  Each of those can fail, and failing there only costs
 * caching, so the free itself goes on - but errno must stay as it was.
 * The loop frees from a fresh thread (and, where it can, a fresh kind)
 * with the n-th failure point armed, for n = 0, 1, ... until no point
 * fails, and checks errno after every call.
 *
 * White box: links libmemkind_core.la (mk_fault_*).
 */
#include "config.h"

#include <memkind.h>
#include <memkind_memtier.h>

#include <memkind/internal/memkind_fault.h>

#include "common/numa_kind.hpp"
#include "common/test_util.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#ifndef MK_FAULT_INJECTION
int main()
{
    std::printf("built without MK_FAULT_INJECTION: link the instrumented "
                "twin, libmemkind_core_fi.la\n");
    return 77;
}
#else

using mk_test::kErrnoSentinel;

namespace
{

struct FreeLoop {
    int steps = 0;         ///< runs with a point made to fail
    int errno_changed = 0; ///< calls that changed errno
    std::string first;     ///< description of the first change
};

/// Gives the kind of one run (a fresh one, or a static kind), and takes it
/// back afterwards.
struct KindSource {
    std::function<memkind_t()> get;
    std::function<void(memkind_t)> put = [](memkind_t) {};
};

/*
 * For n = 0, 1, ...: takes a kind, allocates blocks of it on this thread
 * (a fresh kind then has one arena, so the freeing thread makes a second),
 * frees them from a new thread with failure point n armed, errno set to a
 * sentinel before each call and checked after it.  Stops at the first n
 * that no point reached (or at a bound).
 */
FreeLoop free_loop(const KindSource &src)
{
    FreeLoop r;
    for (int n = 0; n < 200; n++) {
        memkind_t kind = src.get();
        if (!kind) {
            ADD_FAILURE() << "no kind for run " << n;
            break;
        }
        void *small1 = memkind_malloc(kind, 64);
        void *small2 = memkind_malloc(kind, 200);
        void *small3 = memkind_malloc(kind, 64);
        void *large = memkind_malloc(kind, 1 << 20);
        EXPECT_TRUE(small1 && small2 && small3 && large);
        int injected = 0;
        std::thread t([&] {
            auto check = [&](const char *what) {
                if (errno != kErrnoSentinel) {
                    if (r.errno_changed++ == 0)
                        r.first = std::string(what) + " with point " +
                                  std::to_string(n) + " failing: errno " +
                                  std::to_string(errno);
                }
                errno = kErrnoSentinel;
            };
            errno = kErrnoSentinel;
            mk_fault_arm(n);
            // first use: state, arena growth, tcache record and tcache
            memkind_free(kind, small1);
            check("memkind_free (first free of the thread)");
            memkind_free(nullptr, small2); // the magazine is made here
            check("memkind_free(NULL, p)");
            memtier_kind_free(kind, small3); // libmemtier's free() path
            check("memtier_kind_free");
            memkind_free(kind, large);
            check("memkind_free (large)");
            injected = mk_fault_injected();
            mk_fault_arm(-1);
        });
        t.join();
        src.put(kind);
        if (injected == 0)
            break;
        r.steps++;
    }
    return r;
}

void expect_free_keeps_errno(const KindSource &src, int min_steps)
{
    FreeLoop r = free_loop(src);
    std::printf("%d failure points reached by the frees\n", r.steps);
    EXPECT_EQ(r.errno_changed, 0) << r.first;
    EXPECT_GE(r.steps, min_steps) << "fewer failure points than expected";
}

} // namespace

TEST(FreeErrno, DynamicKindEveryFailurePoint)
{
    KindSource src;
    src.get = [] {
        // memkind_create_kind() returns static kinds (as 1.14): a kind of
        // our own through the registry, freed through the generic hooks.
        memkind_t kind = nullptr;
        EXPECT_EQ(mk_test::create_numa_kind(&kind), 0);
        return kind;
    };
    src.put = [](memkind_t kind) { EXPECT_EQ(memkind_destroy_kind(kind), 0); };
    // The thread's state, the tcache and the magazine; with two CPUs or
    // more, the second arena's creation as well.
    expect_free_keeps_errno(src, 3);
}

TEST(FreeErrno, PmemKindEveryFailurePoint)
{
    mk_test::TempDir dir;
    if (!dir.ok())
        GTEST_SKIP() << dir.why();
    KindSource src;
    src.get = [&dir] {
        memkind_t kind = nullptr;
        EXPECT_EQ(memkind_create_pmem(dir.c_str(), 0, &kind), 0);
        return kind;
    };
    src.put = [](memkind_t kind) { EXPECT_EQ(memkind_destroy_kind(kind), 0); };
    expect_free_keeps_errno(src, 3);
}

TEST(FreeErrno, RegularKindEveryFailurePoint)
{
    if (memkind_check_available(MEMKIND_REGULAR) != 0)
        GTEST_SKIP() << "MEMKIND_REGULAR is not available here";
    KindSource src;
    src.get = [] { return MEMKIND_REGULAR; };
    expect_free_keeps_errno(src, 3);
}

#endif
