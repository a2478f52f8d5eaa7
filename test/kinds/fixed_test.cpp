// SPDX-License-Identifier: BSD-2-Clause
/*
 * fixed_test.cpp - memkind_create_fixed() with buffers of any size
 * (memkind_fixed(3)).  COMPAT(1.14), measured on Debian's libmemkind0
 * 1.14.0: every size is accepted, 0 included, at any alignment;
 * memkind_get_capacity() is the size; allocations that the buffer cannot
 * hold - all of them when it holds no whole page - return NULL with errno
 * ENOMEM (posix_memalign: ENOMEM); destroying the kind returns 0.
 * Refused, unlike 1.14 (which crashes or hands out memory outside the
 * buffer later): a NULL kind pointer, NULL with a non-zero size, and a
 * buffer that wraps around the address space.
 */
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

using namespace mk_test;

namespace
{

/// An anonymous buffer of kLen bytes aligned to 64 KiB (the largest page
/// of jemalloc's, arm64's), unmapped with the object.
class Buffer {
  public:
    Buffer()
    {
        raw_ = static_cast<char *>(mmap(nullptr, kLen + kAlign,
                                        PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (raw_ != MAP_FAILED)
            p_ = raw_ + (kAlign - uintptr_t(raw_) % kAlign) % kAlign;
    }
    ~Buffer()
    {
        if (raw_ != MAP_FAILED)
            munmap(raw_, kLen + kAlign);
    }
    bool ok() const
    {
        return raw_ != MAP_FAILED;
    }
    char *at(size_t off) const
    {
        return p_ + off;
    }
    static constexpr size_t kLen = 256 * KiB;
    static constexpr size_t kAlign = 64 * KiB;

  private:
    char *raw_;
    char *p_ = nullptr;
};

/// Every allocation entry point fails with ENOMEM on kind.
void expect_nothing_fits(memkind_t kind, const char *what)
{
    for (size_t sz : {size_t(1), size_t(8), size_t(100), size_t(4096)}) {
        errno = 0;
        EXPECT_EQ(nullptr, memkind_malloc(kind, sz)) << what << ": " << sz;
        EXPECT_EQ(ENOMEM, errno) << what << ": malloc " << sz;
    }
    errno = 0;
    EXPECT_EQ(nullptr, memkind_calloc(kind, 1, 10)) << what;
    EXPECT_EQ(ENOMEM, errno) << what << ": calloc";
    errno = 0;
    EXPECT_EQ(nullptr, memkind_realloc(kind, nullptr, 10)) << what;
    EXPECT_EQ(ENOMEM, errno) << what << ": realloc";
    void *p = reinterpret_cast<void *>(0x1);
    EXPECT_EQ(ENOMEM, memkind_posix_memalign(kind, &p, 64, 10)) << what;
}

} // namespace

TEST(FixedSize, BuffersUnderOnePageAreAccepted)
{
    // The sizes issue 14 found refused, and the smallest ones, aligned and
    // not: 1.14 accepts all and reports the size as the capacity.
    Buffer b;
    ASSERT_TRUE(b.ok());
    const long page = sysconf(_SC_PAGESIZE);
    for (size_t off : {size_t(0), size_t(13)}) {
        for (size_t sz : {size_t(0), size_t(1), size_t(25), size_t(87),
                          size_t(1024), size_t(page - 1)}) {
            memkind_t k = nullptr;
            ASSERT_EQ(0, memkind_create_fixed(b.at(off), sz, &k))
                << "size " << sz << " offset " << off;
            ASSERT_NE(nullptr, k);
            EXPECT_EQ(ssize_t(sz), memkind_get_capacity(k)) << sz;
            EXPECT_EQ(0, memkind_check_available(k)) << sz;
            expect_nothing_fits(k, "buffer under one page");
            EXPECT_EQ(0, memkind_destroy_kind(k)) << sz;
        }
    }
}

TEST(FixedSize, OnePageServesSmallBlocksOnly)
{
    // One aligned page: small blocks come from it (jemalloc takes whole
    // pages); what does not fit is ENOMEM.  Unaligned by 13 bytes, the
    // same size holds no whole page: nothing fits.  The page is
    // jemalloc's, which is fixed when it is built: 64 KiB on arm64
    // (jemalloc/README: it must be the largest page of any arm64 kernel),
    // the kernel's 4 KiB elsewhere unless configured otherwise
    // (--with-jemalloc-lg-page), so it is asked for, not assumed.
    Buffer b;
    ASSERT_TRUE(b.ok());
    const size_t page = jemalloc_page();
    ASSERT_LE(page + 13, Buffer::kLen) << "the buffer holds one page";
    memkind_t k = nullptr;
    ASSERT_EQ(0, memkind_create_fixed(b.at(0), page, &k));
    EXPECT_EQ(ssize_t(page), memkind_get_capacity(k));
    void *p = memkind_malloc(k, 8);
    ASSERT_NE(nullptr, p);
    EXPECT_TRUE(p >= b.at(0) && p < b.at(page));
    EXPECT_EQ(k, memkind_detect_kind(p));
    errno = 0;
    EXPECT_EQ(nullptr, memkind_malloc(k, 4 * page));
    EXPECT_EQ(ENOMEM, errno);
    memkind_free(k, p);
    EXPECT_EQ(0, memkind_destroy_kind(k));

    ASSERT_EQ(0, memkind_create_fixed(b.at(13), page, &k));
    EXPECT_EQ(ssize_t(page), memkind_get_capacity(k));
    expect_nothing_fits(k, "one unaligned page");
    EXPECT_EQ(0, memkind_destroy_kind(k));
}

TEST(FixedSize, NullBufferOfSizeZeroIsAnEmptyKind)
{
    // 1.14 accepts (NULL, 0); the kind has nothing to hand out.
    memkind_t k = nullptr;
    ASSERT_EQ(0, memkind_create_fixed(nullptr, 0, &k));
    EXPECT_EQ(0, memkind_get_capacity(k));
    expect_nothing_fits(k, "NULL, 0");
    EXPECT_EQ(0, memkind_destroy_kind(k));
}

TEST(FixedSize, TinyKindsUseNoAddressMapSlot)
{
    // Tiny kinds are cheap: as many as the registry holds can exist, and
    // pointers near their buffers stay foreign.
    Buffer b;
    ASSERT_TRUE(b.ok());
    std::vector<memkind_t> ks;
    for (int i = 0; i < 100; i++) {
        memkind_t k = nullptr;
        ASSERT_EQ(0, memkind_create_fixed(b.at(size_t(i) * 100 + 1), 99, &k))
            << i;
        ks.push_back(k);
    }
    EXPECT_EQ(nullptr, memkind_detect_kind(b.at(150)));
    for (memkind_t k : ks)
        EXPECT_EQ(0, memkind_destroy_kind(k));
}

TEST(FixedSize, StillRefusedWhere114Misbehaves)
{
    Buffer b;
    ASSERT_TRUE(b.ok());
    memkind_t k = nullptr;
    // 1.14 crashes on a NULL kind pointer.
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_fixed(b.at(0), 4096, nullptr));
    // 1.14 accepts these and later hands out memory that is not there.
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_fixed(nullptr, 4096, &k));
    EXPECT_EQ(nullptr, k);
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_fixed(b.at(0), SIZE_MAX, &k));
    EXPECT_EQ(nullptr, k);
}
