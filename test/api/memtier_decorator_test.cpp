// SPDX-License-Identifier: BSD-2-Clause
/*
 * memtier_decorator_test.cpp - the optional decorators of libmemtier(3):
 * this program defines memtier_kind_malloc_post, _calloc_post,
 * _posix_memalign_post, _realloc_post, memtier_kind_free_pre and
 * memtier_kind_usable_size_post, and checks that libmemkind calls each one
 * from its function (and from the memtier_* functions built on it) with
 * the arguments and result of the call, and that a hook can change the
 * result (_post) or the block to free (free_pre).
 *
 * libmemtier(3) DECORATORS: the _post hooks "run at the end of the
 * corresponding memtier_kind_* function and receive its arguments and a
 * pointer to the result"; memtier_kind_free_pre "runs at the start of
 * memtier_kind_free() with a pointer to the block pointer";
 * memtier_kind_usable_size_post "runs at the end of memtier_usable_size()
 * with a pointer to the block pointer and the size found".
 *
 * The executable exports the hooks because libmemkind refers to them
 * (weakly) at link time.  They record only while `armed` is set, and gtest
 * never calls memtier_*.
 */
#include <memkind.h>
#include <memkind_memtier.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace
{

struct Call {
    std::string hook;
    memkind_t kind = nullptr;
    size_t a = 0, b = 0;    ///< size / nmemb+size / alignment+size
    void *ptr = nullptr;    ///< ptr or memptr argument
    void *result = nullptr; ///< *result (or *memptr) seen by the hook
    int err = -1;           ///< *err seen by posix_memalign_post
};

struct Recorder {
    bool armed = false;
    std::vector<Call> calls;
    bool post_null = false; ///< _post: free the result, store NULL
    int post_err = 0;       ///< posix_memalign_post: *err, when non-zero
    bool pre_null = false;  ///< free_pre: *ptr = NULL
    void *freed = nullptr;  ///< free_pre: the block it was given
} rec;

void record(const Call &c)
{
    if (rec.armed)
        rec.calls.push_back(c);
}

} // namespace

extern "C" {

void memtier_kind_malloc_post(memkind_t kind, size_t size, void **result)
{
    record({"malloc_post", kind, size, 0, nullptr, *result, -1});
    if (rec.armed && rec.post_null && *result) {
        memkind_free(kind, *result);
        *result = nullptr;
    }
}

void memtier_kind_calloc_post(memkind_t kind, size_t nmemb, size_t size,
                              void **result)
{
    record({"calloc_post", kind, nmemb, size, nullptr, *result, -1});
}

void memtier_kind_posix_memalign_post(memkind_t kind, void **memptr,
                                      size_t alignment, size_t size, int *err)
{
    record(
        {"posix_memalign_post", kind, alignment, size, memptr, *memptr, *err});
    if (rec.armed && rec.post_err)
        *err = rec.post_err;
}

void memtier_kind_realloc_post(memkind_t kind, void *ptr, size_t size,
                               void **result)
{
    record({"realloc_post", kind, size, 0, ptr, *result, -1});
}

void memtier_kind_free_pre(void **ptr)
{
    record({"free_pre", nullptr, 0, 0, *ptr, nullptr, -1});
    if (rec.armed && rec.pre_null) {
        rec.freed = *ptr;
        *ptr = nullptr;
    }
}

void memtier_kind_usable_size_post(void **ptr, size_t size)
{
    record({"usable_size_post", nullptr, size, 0, *ptr, nullptr, -1});
}

} // extern "C"

namespace
{

class MemtierDecoratorTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        rec = Recorder();
        rec.armed = true;
    }
    void TearDown() override
    {
        rec.armed = false;
    }
    const Call &only(const char *hook)
    {
        static const Call none;
        size_t n = 0;
        const Call *found = &none;
        for (const Call &c : rec.calls)
            if (c.hook == hook) {
                n++;
                found = &c;
            }
        EXPECT_EQ(n, 1u) << hook << " called " << n << " times";
        return *found;
    }
};

TEST_F(MemtierDecoratorTest, MallocPostSeesArgumentsAndResult)
{
    void *p = memtier_kind_malloc(MEMKIND_DEFAULT, 100);
    ASSERT_NE(p, nullptr);
    const Call &c = only("malloc_post");
    EXPECT_EQ(c.kind, MEMKIND_DEFAULT);
    EXPECT_EQ(c.a, 100u);
    EXPECT_EQ(c.result, p);
    memtier_free(p);
}

TEST_F(MemtierDecoratorTest, MallocPostCanReplaceTheResult)
{
    rec.post_null = true;
    errno = 0;
    void *p = memtier_kind_malloc(MEMKIND_DEFAULT, 64);
    EXPECT_EQ(p, nullptr);
    ASSERT_EQ(rec.calls.size(), 1u);
    EXPECT_NE(rec.calls[0].result, nullptr);
}

TEST_F(MemtierDecoratorTest, TieredMallocReachesTheKindHook)
{
    struct memtier_builder *b =
        memtier_builder_new(MEMTIER_POLICY_STATIC_RATIO);
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(memtier_builder_add_tier(b, MEMKIND_DEFAULT, 1), 0);
    struct memtier_memory *m = memtier_builder_construct_memtier_memory(b);
    memtier_builder_delete(b);
    ASSERT_NE(m, nullptr);
    void *p = memtier_malloc(m, 48);
    ASSERT_NE(p, nullptr);
    const Call &c = only("malloc_post");
    EXPECT_EQ(c.kind, MEMKIND_DEFAULT);
    EXPECT_EQ(c.a, 48u);
    EXPECT_EQ(c.result, p);
    memtier_free(p);
    memtier_delete_memtier_memory(m);
}

TEST_F(MemtierDecoratorTest, CallocPost)
{
    void *p = memtier_kind_calloc(MEMKIND_DEFAULT, 3, 40);
    ASSERT_NE(p, nullptr);
    const Call &c = only("calloc_post");
    EXPECT_EQ(c.kind, MEMKIND_DEFAULT);
    EXPECT_EQ(c.a, 3u);
    EXPECT_EQ(c.b, 40u);
    EXPECT_EQ(c.result, p);
    memtier_free(p);
}

TEST_F(MemtierDecoratorTest, PosixMemalignPostSeesAndChangesTheError)
{
    void *p = nullptr;
    ASSERT_EQ(memtier_kind_posix_memalign(MEMKIND_DEFAULT, &p, 64, 200), 0);
    const Call &c = only("posix_memalign_post");
    EXPECT_EQ(c.kind, MEMKIND_DEFAULT);
    EXPECT_EQ(c.a, 64u);
    EXPECT_EQ(c.b, 200u);
    EXPECT_EQ(c.ptr, static_cast<void *>(&p));
    EXPECT_EQ(c.result, p);
    EXPECT_EQ(c.err, 0);
    memtier_free(p);

    /* A failing call reports its error to the hook. */
    rec.calls.clear();
    void *q = nullptr;
    EXPECT_EQ(memtier_kind_posix_memalign(MEMKIND_DEFAULT, &q, 3, 16), EINVAL);
    EXPECT_EQ(only("posix_memalign_post").err, EINVAL);

    /* The hook's error is what the caller gets. */
    rec.calls.clear();
    rec.post_err = ENOMEM;
    void *r = nullptr;
    EXPECT_EQ(memtier_kind_posix_memalign(MEMKIND_DEFAULT, &r, 64, 16), ENOMEM);
    rec.armed = false;
    memtier_free(r);
}

TEST_F(MemtierDecoratorTest, ReallocPost)
{
    void *p = memtier_kind_malloc(MEMKIND_DEFAULT, 16);
    ASSERT_NE(p, nullptr);
    rec.calls.clear();
    void *q = memtier_kind_realloc(MEMKIND_DEFAULT, p, 5000);
    ASSERT_NE(q, nullptr);
    const Call &c = only("realloc_post");
    EXPECT_EQ(c.kind, MEMKIND_DEFAULT);
    EXPECT_EQ(c.ptr, p);
    EXPECT_EQ(c.a, 5000u);
    EXPECT_EQ(c.result, q);
    memtier_free(q);
}

TEST_F(MemtierDecoratorTest, FreePreSeesTheBlockAndCanKeepIt)
{
    void *p = memtier_kind_malloc(MEMKIND_DEFAULT, 32);
    ASSERT_NE(p, nullptr);
    size_t before = memtier_kind_allocated_size(MEMKIND_DEFAULT);
    rec.calls.clear();
    rec.pre_null = true;
    memtier_kind_free(MEMKIND_DEFAULT, p);
    EXPECT_EQ(only("free_pre").ptr, p);
    EXPECT_EQ(rec.freed, p);
    /* The hook replaced the block with NULL: nothing was freed. */
    EXPECT_EQ(memtier_kind_allocated_size(MEMKIND_DEFAULT), before);
    rec.pre_null = false;
    rec.calls.clear();
    memtier_free(p);
    EXPECT_EQ(only("free_pre").ptr, p);
    EXPECT_LT(memtier_kind_allocated_size(MEMKIND_DEFAULT), before);
}

TEST_F(MemtierDecoratorTest, UsableSizePost)
{
    void *p = memtier_kind_malloc(MEMKIND_DEFAULT, 100);
    ASSERT_NE(p, nullptr);
    rec.calls.clear();
    size_t n = memtier_usable_size(p);
    EXPECT_GE(n, 100u);
    const Call &c = only("usable_size_post");
    EXPECT_EQ(c.ptr, p);
    EXPECT_EQ(c.a, n);
    memtier_free(p);
}

} // namespace
