// SPDX-License-Identifier: BSD-2-Clause
/*
 * decorator_test.cpp - the optional decorator hooks of memkind(3): this
 * program defines memkind_*_pre and memkind_*_post, and checks that the
 * library calls them around memkind_malloc(), memkind_calloc(),
 * memkind_posix_memalign(), memkind_realloc() and memkind_free() with the
 * right arguments, and that the hooks can change the arguments (_pre) and
 * the result (_post).
 *
 * memkind(3): "A _pre hook receives pointers to all arguments and may change
 * them, for example to send a request to another kind.  A _post hook
 * receives the arguments by value and a pointer to the result (the returned
 * pointer, or for memkind_posix_memalign() the error code), which it may
 * also change."  NOTES: "The decorator hooks are always called when the
 * program defines them."
 *
 * The hooks record into one global struct while `armed` is set, and apply
 * the changes a test asks for.  gtest itself never calls memkind, so only
 * the tests' own calls reach the hooks.
 */
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace mk_test;

namespace
{

struct Call {
    std::string hook;
    memkind_t kind = nullptr;
    size_t a = 0, b = 0;    ///< size / nmemb+size / alignment+size
    void *ptr = nullptr;    ///< ptr argument or memptr
    void *result = nullptr; ///< *result seen by a _post hook
    int err = -1;           ///< *err seen by posix_memalign_post
};

struct Recorder {
    bool armed = false;
    std::vector<Call> calls;
    // Changes applied by the hooks when set.
    memkind_t pre_kind = nullptr;  ///< _pre: replace *kind
    size_t pre_size = 0;           ///< _pre: replace *size
    size_t pre_nmemb = 0;          ///< calloc_pre: replace *nmemb
    size_t pre_alignment = 0;      ///< posix_memalign_pre: replace *alignment
    bool pre_null_ptr = false;     ///< free_pre / realloc_pre: *ptr = NULL
    bool post_free_result = false; ///< _post: free the result, store NULL
    bool post_set_err = false;     ///< posix_memalign_post: *err = post_err
    int post_err = 0;

    void reset()
    {
        *this = Recorder();
    }
};

Recorder rec;
std::atomic<long> threaded_pre{0}, threaded_post{0};
thread_local bool in_worker = false;

void record(Call c)
{
    if (in_worker)
        return;
    if (rec.armed)
        rec.calls.push_back(std::move(c));
}

} // namespace

// ----------------------------------------------------------- the hooks

extern "C" {

void memkind_malloc_pre(memkind_t *kind, size_t *size)
{
    if (in_worker) {
        threaded_pre++;
        return;
    }
    if (!rec.armed)
        return;
    Call c;
    c.hook = "malloc_pre";
    c.kind = *kind;
    c.a = *size;
    record(c);
    if (rec.pre_kind)
        *kind = rec.pre_kind;
    if (rec.pre_size)
        *size = rec.pre_size;
}

void memkind_malloc_post(memkind_t kind, size_t size, void **result)
{
    if (in_worker) {
        threaded_post++;
        return;
    }
    if (!rec.armed)
        return;
    Call c;
    c.hook = "malloc_post";
    c.kind = kind;
    c.a = size;
    c.result = *result;
    record(c);
    if (rec.post_free_result && *result) {
        rec.armed = false; // the hook must not re-enter what it decorates
        memkind_free(kind, *result);
        rec.armed = true;
        *result = nullptr;
    }
}

void memkind_calloc_pre(memkind_t *kind, size_t *nmemb, size_t *size)
{
    if (!rec.armed || in_worker)
        return;
    Call c;
    c.hook = "calloc_pre";
    c.kind = *kind;
    c.a = *nmemb;
    c.b = *size;
    record(c);
    if (rec.pre_kind)
        *kind = rec.pre_kind;
    if (rec.pre_nmemb)
        *nmemb = rec.pre_nmemb;
    if (rec.pre_size)
        *size = rec.pre_size;
}

void memkind_calloc_post(memkind_t kind, size_t nmemb, size_t size,
                         void **result)
{
    if (!rec.armed || in_worker)
        return;
    Call c;
    c.hook = "calloc_post";
    c.kind = kind;
    c.a = nmemb;
    c.b = size;
    c.result = *result;
    record(c);
}

void memkind_posix_memalign_pre(memkind_t *kind, void **memptr,
                                size_t *alignment, size_t *size)
{
    if (!rec.armed || in_worker)
        return;
    Call c;
    c.hook = "posix_memalign_pre";
    c.kind = *kind;
    c.ptr = memptr;
    c.a = *alignment;
    c.b = *size;
    record(c);
    if (rec.pre_kind)
        *kind = rec.pre_kind;
    if (rec.pre_alignment)
        *alignment = rec.pre_alignment;
    if (rec.pre_size)
        *size = rec.pre_size;
}

void memkind_posix_memalign_post(memkind_t kind, void **memptr,
                                 size_t alignment, size_t size, int *err)
{
    if (!rec.armed || in_worker)
        return;
    Call c;
    c.hook = "posix_memalign_post";
    c.kind = kind;
    c.ptr = memptr;
    c.a = alignment;
    c.b = size;
    c.err = *err;
    c.result = memptr ? *memptr : nullptr;
    record(c);
    if (rec.post_set_err)
        *err = rec.post_err;
}

void memkind_realloc_pre(memkind_t *kind, void **ptr, size_t *size)
{
    if (!rec.armed || in_worker)
        return;
    Call c;
    c.hook = "realloc_pre";
    c.kind = *kind;
    c.ptr = *ptr;
    c.a = *size;
    record(c);
    if (rec.pre_kind)
        *kind = rec.pre_kind;
    if (rec.pre_size)
        *size = rec.pre_size;
    if (rec.pre_null_ptr)
        *ptr = nullptr;
}

// memkind(3) NOTES: "the hook receives the kind itself, as the other _post
// hooks do."
void memkind_realloc_post(memkind_t kind, void *ptr, size_t size, void **result)
{
    if (!rec.armed || in_worker)
        return;
    Call c;
    c.hook = "realloc_post";
    c.kind = kind;
    c.ptr = ptr;
    c.a = size;
    c.result = *result;
    record(c);
}

void memkind_free_pre(memkind_t *kind, void **ptr)
{
    if (!rec.armed || in_worker)
        return;
    Call c;
    c.hook = "free_pre";
    c.kind = *kind;
    c.ptr = *ptr;
    record(c);
    if (rec.pre_kind)
        *kind = rec.pre_kind;
    if (rec.pre_null_ptr)
        *ptr = nullptr;
}

void memkind_free_post(memkind_t kind, void *ptr)
{
    if (!rec.armed || in_worker)
        return;
    Call c;
    c.hook = "free_post";
    c.kind = kind;
    c.ptr = ptr;
    record(c);
}

} // extern "C"

namespace
{

class Decorators : public ::testing::Test {
  protected:
    void SetUp() override
    {
        rec.reset();
        rec.armed = true;
    }
    void TearDown() override
    {
        rec.reset();
    }

    /// The hooks seen since SetUp, in order.
    std::vector<std::string> hooks() const
    {
        std::vector<std::string> h;
        for (const Call &c : rec.calls)
            h.push_back(c.hook);
        return h;
    }
    void disarm()
    {
        rec.armed = false;
    }
};

using Names = std::vector<std::string>;

TEST_F(Decorators, MallocPreAndPostSeeArgumentsAndResult)
{
    void *p = memkind_malloc(MEMKIND_DEFAULT, 123);
    disarm();
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(hooks(), (Names{"malloc_pre", "malloc_post"}));
    EXPECT_EQ(rec.calls[0].kind, MEMKIND_DEFAULT);
    EXPECT_EQ(rec.calls[0].a, 123u);
    EXPECT_EQ(rec.calls[1].kind, MEMKIND_DEFAULT);
    EXPECT_EQ(rec.calls[1].a, 123u);
    EXPECT_EQ(rec.calls[1].result, p);
    memkind_free(MEMKIND_DEFAULT, p);
}

TEST_F(Decorators, MallocPreChangesSize)
{
    rec.pre_size = 64 * KiB;
    char *p = static_cast<char *>(memkind_malloc(MEMKIND_DEFAULT, 10));
    disarm();
    ASSERT_NE(p, nullptr);
    EXPECT_GE(memkind_malloc_usable_size(MEMKIND_DEFAULT, p), 64 * KiB)
        << "the size set by malloc_pre was not used";
    std::memset(p, 1, 64 * KiB);
    ASSERT_EQ(hooks(), (Names{"malloc_pre", "malloc_post"}));
    EXPECT_EQ(rec.calls[0].a, 10u) << "pre sees the caller's size";
    EXPECT_EQ(rec.calls[1].a, 64 * KiB) << "post sees the size actually used";
    memkind_free(MEMKIND_DEFAULT, p);
}

TEST_F(Decorators, MallocPreRedirectsToAnotherKind)
{
    disarm();
    const size_t len = 8 * MiB;
    void *buf = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(buf, MAP_FAILED);
    memkind_t fixed = nullptr;
    ASSERT_EQ(memkind_create_fixed(buf, len, &fixed), 0);
    rec.armed = true;
    rec.pre_kind = fixed;
    void *p = memkind_malloc(MEMKIND_DEFAULT, 500);
    disarm();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(memkind_detect_kind(p), fixed)
        << "malloc_pre's kind was not used";
    EXPECT_TRUE(p >= buf &&
                static_cast<char *>(p) < static_cast<char *>(buf) + len);
    ASSERT_EQ(hooks(), (Names{"malloc_pre", "malloc_post"}));
    EXPECT_EQ(rec.calls[0].kind, MEMKIND_DEFAULT);
    EXPECT_EQ(rec.calls[1].kind, fixed) << "post gets the kind the call used";
    memkind_free(fixed, p);
    EXPECT_EQ(memkind_destroy_kind(fixed), 0);
    munmap(buf, len);
}

TEST_F(Decorators, MallocPostChangesResult)
{
    rec.post_free_result = true;
    void *p = memkind_malloc(MEMKIND_DEFAULT, 77);
    disarm();
    EXPECT_EQ(p, nullptr) << "malloc_post's result was not returned";
    ASSERT_EQ(hooks(), (Names{"malloc_pre", "malloc_post"}));
    EXPECT_NE(rec.calls[1].result, nullptr);
}

TEST_F(Decorators, MallocZeroStillCallsHooks)
{
    errno = kErrnoSentinel;
    void *p = memkind_malloc(MEMKIND_DEFAULT, 0);
    disarm();
    EXPECT_EQ(p, nullptr);
    EXPECT_EQ(errno, kErrnoSentinel);
    ASSERT_EQ(hooks(), (Names{"malloc_pre", "malloc_post"}));
    EXPECT_EQ(rec.calls[1].result, nullptr);
}

TEST_F(Decorators, CallocHooksAndPreChangesCount)
{
    void *p = memkind_calloc(MEMKIND_REGULAR, 3, 40);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(hooks(), (Names{"calloc_pre", "calloc_post"}));
    EXPECT_EQ(rec.calls[0].kind, MEMKIND_REGULAR);
    EXPECT_EQ(rec.calls[0].a, 3u);
    EXPECT_EQ(rec.calls[0].b, 40u);
    EXPECT_EQ(rec.calls[1].kind, MEMKIND_REGULAR);
    EXPECT_EQ(rec.calls[1].a, 3u);
    EXPECT_EQ(rec.calls[1].b, 40u);
    EXPECT_EQ(rec.calls[1].result, p);
    rec.calls.clear();
    rec.pre_nmemb = 1000;
    rec.pre_size = 16;
    unsigned char *q =
        static_cast<unsigned char *>(memkind_calloc(MEMKIND_REGULAR, 1, 1));
    disarm();
    ASSERT_NE(q, nullptr);
    EXPECT_GE(memkind_malloc_usable_size(MEMKIND_REGULAR, q), 16000u);
    EXPECT_TRUE(all_bytes(q, 16000, 0))
        << "calloc with pre-set arguments not zeroed";
    ASSERT_EQ(hooks(), (Names{"calloc_pre", "calloc_post"}));
    EXPECT_EQ(rec.calls[1].a, 1000u);
    EXPECT_EQ(rec.calls[1].b, 16u);
    memkind_free(MEMKIND_REGULAR, p);
    memkind_free(MEMKIND_REGULAR, q);
}

TEST_F(Decorators, PosixMemalignHooksSeeMemptrAndError)
{
    void *p = nullptr;
    int err = memkind_posix_memalign(MEMKIND_DEFAULT, &p, 4096, 100);
    ASSERT_EQ(err, 0);
    ASSERT_EQ(hooks(), (Names{"posix_memalign_pre", "posix_memalign_post"}));
    EXPECT_EQ(rec.calls[0].kind, MEMKIND_DEFAULT);
    EXPECT_EQ(rec.calls[0].ptr, static_cast<void *>(&p))
        << "pre gets memptr itself";
    EXPECT_EQ(rec.calls[0].a, 4096u);
    EXPECT_EQ(rec.calls[0].b, 100u);
    EXPECT_EQ(rec.calls[1].ptr, static_cast<void *>(&p));
    EXPECT_EQ(rec.calls[1].result, p) << "post sees the stored pointer";
    EXPECT_EQ(rec.calls[1].err, 0);
    memkind_free(MEMKIND_DEFAULT, p);

    // A failing call: post sees the error code.
    rec.calls.clear();
    void *q = nullptr;
    EXPECT_EQ(memkind_posix_memalign(MEMKIND_DEFAULT, &q, 24, 100), EINVAL);
    ASSERT_EQ(hooks(), (Names{"posix_memalign_pre", "posix_memalign_post"}));
    EXPECT_EQ(rec.calls[1].err, EINVAL);
    disarm();
}

TEST_F(Decorators, PosixMemalignPreChangesAlignmentPostChangesError)
{
    rec.pre_alignment = 2 * MiB;
    void *p = nullptr;
    ASSERT_EQ(memkind_posix_memalign(MEMKIND_DEFAULT, &p, 64, 100), 0);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(uintptr_t(p) % (2 * MiB), 0u) << "pre's alignment was not used";
    ASSERT_EQ(hooks(), (Names{"posix_memalign_pre", "posix_memalign_post"}));
    EXPECT_EQ(rec.calls[1].a, 2 * MiB);
    memkind_free(MEMKIND_DEFAULT, p);

    // pre turns a bad alignment into a good one; post overrides the result.
    rec.calls.clear();
    rec.pre_alignment = 64;
    void *q = nullptr;
    EXPECT_EQ(memkind_posix_memalign(MEMKIND_DEFAULT, &q, 3, 100), 0);
    EXPECT_NE(q, nullptr);
    memkind_free(MEMKIND_DEFAULT, q);
    rec.pre_alignment = 0;
    rec.post_set_err = true;
    rec.post_err = ENOMEM;
    void *r = nullptr;
    EXPECT_EQ(memkind_posix_memalign(MEMKIND_DEFAULT, &r, 64, 0), ENOMEM)
        << "posix_memalign_post's error was not returned";
    disarm();
}

TEST_F(Decorators, ReallocHooksSeeArgumentsAndResult)
{
    disarm();
    void *p = memkind_malloc(MEMKIND_DEFAULT, 50);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, 50, 3);
    rec.armed = true;
    void *q = memkind_realloc(MEMKIND_DEFAULT, p, 5000);
    ASSERT_NE(q, nullptr);
    ASSERT_EQ(hooks(), (Names{"realloc_pre", "realloc_post"}));
    EXPECT_EQ(rec.calls[0].kind, MEMKIND_DEFAULT);
    EXPECT_EQ(rec.calls[0].ptr, p);
    EXPECT_EQ(rec.calls[0].a, 5000u);
    EXPECT_EQ(rec.calls[1].kind, MEMKIND_DEFAULT);
    EXPECT_EQ(rec.calls[1].ptr, p);
    EXPECT_EQ(rec.calls[1].a, 5000u);
    EXPECT_EQ(rec.calls[1].result, q);
    EXPECT_TRUE(check_pattern(q, 50, 3));

    // pre changes the size; realloc(NULL kind) is decorated too.
    rec.calls.clear();
    rec.pre_size = 300 * KiB;
    void *r = memkind_realloc(nullptr, q, 6000);
    disarm();
    ASSERT_NE(r, nullptr);
    EXPECT_GE(memkind_malloc_usable_size(nullptr, r), 300 * KiB);
    EXPECT_TRUE(check_pattern(r, 50, 3));
    ASSERT_EQ(hooks(), (Names{"realloc_pre", "realloc_post"}));
    EXPECT_EQ(rec.calls[0].kind, nullptr);
    EXPECT_EQ(rec.calls[0].a, 6000u);
    EXPECT_EQ(rec.calls[1].a, 300 * KiB);
    memkind_free(nullptr, r);
}

TEST_F(Decorators, ReallocPreNullPtrMakesItMalloc)
{
    disarm();
    void *p = memkind_malloc(MEMKIND_DEFAULT, 50);
    ASSERT_NE(p, nullptr);
    rec.armed = true;
    rec.pre_null_ptr = true;
    void *q = memkind_realloc(MEMKIND_DEFAULT, p, 200);
    disarm();
    ASSERT_NE(q, nullptr);
    EXPECT_NE(q, p) << "p must still be allocated: realloc behaved as malloc";
    EXPECT_EQ(rec.calls.back().ptr, nullptr) << "post sees the ptr pre set";
    memkind_free(MEMKIND_DEFAULT, p);
    memkind_free(MEMKIND_DEFAULT, q);
}

TEST_F(Decorators, FreeHooksSeeKindAndPtr)
{
    disarm();
    void *p = memkind_malloc(MEMKIND_DEFAULT, 64);
    void *q = memkind_malloc(MEMKIND_DEFAULT, 64);
    ASSERT_NE(p, nullptr);
    ASSERT_NE(q, nullptr);
    rec.armed = true;
    memkind_free(MEMKIND_DEFAULT, p);
    memkind_free(nullptr, q);
    memkind_free(nullptr, nullptr);
    disarm();
    ASSERT_EQ(hooks(), (Names{"free_pre", "free_post", "free_pre", "free_post",
                              "free_pre", "free_post"}));
    EXPECT_EQ(rec.calls[0].kind, MEMKIND_DEFAULT);
    EXPECT_EQ(rec.calls[0].ptr, p);
    EXPECT_EQ(rec.calls[1].kind, MEMKIND_DEFAULT);
    EXPECT_EQ(rec.calls[1].ptr, p);
    EXPECT_EQ(rec.calls[2].kind, nullptr);
    EXPECT_EQ(rec.calls[2].ptr, q);
    EXPECT_EQ(rec.calls[3].ptr, q);
    EXPECT_EQ(rec.calls[4].ptr, nullptr);
}

TEST_F(Decorators, FreePreCanCancelTheFree)
{
    // pre sets *ptr to NULL: nothing is freed, the block stays usable.
    disarm();
    char *p = static_cast<char *>(memkind_malloc(MEMKIND_DEFAULT, 256 * KiB));
    ASSERT_NE(p, nullptr);
    fill_pattern(p, 256 * KiB, 8);
    ASSERT_EQ(memkind_update_cached_stats(), 0);
    size_t before = 0;
    ASSERT_EQ(
        memkind_get_stat(MEMKIND_DEFAULT, MEMKIND_STAT_TYPE_ALLOCATED, &before),
        0);
    rec.armed = true;
    rec.pre_null_ptr = true;
    memkind_free(MEMKIND_DEFAULT, p);
    disarm();
    ASSERT_EQ(memkind_update_cached_stats(), 0);
    size_t after = 0;
    ASSERT_EQ(
        memkind_get_stat(MEMKIND_DEFAULT, MEMKIND_STAT_TYPE_ALLOCATED, &after),
        0);
    EXPECT_GE(after + 4096, before) << "the block was freed despite free_pre";
    EXPECT_TRUE(check_pattern(p, 256 * KiB, 8));
    ASSERT_EQ(hooks(), (Names{"free_pre", "free_post"}));
    EXPECT_EQ(rec.calls[1].ptr, nullptr);
    memkind_free(MEMKIND_DEFAULT, p);
    ASSERT_EQ(memkind_update_cached_stats(), 0);
    ASSERT_EQ(
        memkind_get_stat(MEMKIND_DEFAULT, MEMKIND_STAT_TYPE_ALLOCATED, &after),
        0);
    EXPECT_LE(after + 256 * KiB, before) << "control: a plain free releases it";
}

TEST_F(Decorators, HooksRunOnEveryThread)
{
    // memkind(3): "Hooks run on the caller's thread and may be entered from
    // several threads at once."
    disarm();
    threaded_pre = 0;
    threaded_post = 0;
    std::vector<std::thread> th;
    for (int t = 0; t < 4; t++) {
        th.emplace_back([] {
            in_worker = true;
            for (int i = 0; i < 500; i++) {
                void *p = memkind_malloc(MEMKIND_DEFAULT, 32);
                memkind_free(MEMKIND_DEFAULT, p);
            }
            in_worker = false;
        });
    }
    for (auto &x : th)
        x.join();
    EXPECT_EQ(threaded_pre.load(), 2000);
    EXPECT_EQ(threaded_post.load(), 2000);
}

} // namespace
