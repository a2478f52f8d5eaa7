// SPDX-License-Identifier: BSD-2-Clause
/*
 * negative_test.cpp - every memkind.h function fed bad input: NULL kinds
 * and pointers, out-of-range enums, bad directories and sizes, static kinds
 * where dynamic ones are expected.  Each call must return the documented
 * error (memkind(3), memkind_pmem(3)) or NULL, must not crash, must not leak
 * file descriptors, and must leave no half-made kind behind.  Also checks
 * memkind_error_message(), memkind_get_kind_by_partition() and
 * memkind_get_version().  Black box: links only libmemkind.
 */
#include "common/capabilities.hpp"
#include "common/test_util.hpp"

#include <memkind.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

// memkind_get_kind_by_partition() is deprecated; these tests exercise it.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

// Building blocks of memkind_default(3) and memkind_arena(3), exported as in
// 1.14; their headers (memkind/internal/) are not installed.
extern "C" int memkind_default_posix_memalign(struct memkind *kind,
                                              void **memptr, size_t alignment,
                                              size_t size);
extern "C" int memkind_arena_posix_memalign(struct memkind *kind, void **memptr,
                                            size_t alignment, size_t size);

using namespace mk_test;

namespace
{

struct StaticKind {
    const char *name;
    memkind_t *kind;
    int partition;
};

#define SK(ID)                                                                 \
    StaticKind                                                                 \
    {                                                                          \
#ID, &MEMKIND_##ID, MEMKIND_PARTITION_##ID                             \
    }
const StaticKind kStaticKinds[] = {
    SK(DEFAULT),
    SK(HBW),
    SK(HBW_HUGETLB),
    SK(HBW_PREFERRED),
    SK(HBW_PREFERRED_HUGETLB),
    SK(HUGETLB),
    SK(HBW_GBTLB),
    SK(HBW_PREFERRED_GBTLB),
    SK(GBTLB),
    SK(HBW_INTERLEAVE),
    SK(INTERLEAVE),
    SK(REGULAR),
    SK(HBW_ALL),
    SK(HBW_ALL_HUGETLB),
    SK(DAX_KMEM),
    SK(DAX_KMEM_ALL),
    SK(DAX_KMEM_PREFERRED),
    SK(DAX_KMEM_INTERLEAVE),
    SK(HIGHEST_CAPACITY),
    SK(HIGHEST_CAPACITY_PREFERRED),
    SK(HIGHEST_CAPACITY_LOCAL),
    SK(HIGHEST_CAPACITY_LOCAL_PREFERRED),
    SK(LOWEST_LATENCY_LOCAL),
    SK(LOWEST_LATENCY_LOCAL_PREFERRED),
    SK(HIGHEST_BANDWIDTH_LOCAL),
    SK(HIGHEST_BANDWIDTH_LOCAL_PREFERRED),
};
#undef SK

static_assert(sizeof(kStaticKinds) / sizeof(kStaticKinds[0]) ==
                  MEMKIND_NUM_BASE_KIND,
              "every static kind is listed");

/// Counts live dynamic kinds through the (deprecated) partition lookup.
int dynamic_kinds_alive()
{
    int n = 0;
    for (int p = MEMKIND_NUM_BASE_KIND; p < MEMKIND_MAX_KIND; p++) {
        memkind_t k = nullptr;
        if (memkind_get_kind_by_partition(p, &k) == 0)
            n++;
    }
    return n;
}

// ------------------------------------------------------- NULL kind / ptr

TEST(NullKind, MallocCallocReturnNull)
{
    EXPECT_EQ(memkind_malloc(nullptr, 16), nullptr);
    EXPECT_EQ(memkind_malloc(nullptr, 0), nullptr);
    EXPECT_EQ(memkind_calloc(nullptr, 1, 16), nullptr);
    EXPECT_EQ(memkind_calloc(nullptr, 0, 16), nullptr);
}

TEST(NullKind, ReallocNullNullIsEINVAL)
{
    // memkind(3): "Passing NULL for both kind and ptr returns NULL with
    // errno set to EINVAL, because there is no kind to allocate from."
    for (size_t n : {size_t(0), size_t(1), size_t(4096), SIZE_MAX}) {
        errno = 0;
        EXPECT_EQ(memkind_realloc(nullptr, nullptr, n), nullptr) << n;
        EXPECT_EQ(errno, EINVAL) << n;
    }
}

TEST(NullKind, PosixMemalignIsEINVALErrnoKept)
{
    // memkind(3): posix_memalign "reports failure through its return value
    // and leaves errno as it was on entry."
    void *p = nullptr;
    errno = kErrnoSentinel;
    EXPECT_EQ(memkind_posix_memalign(nullptr, &p, 64, 64), EINVAL);
    EXPECT_EQ(errno, kErrnoSentinel);
}

TEST(NullKind, PosixMemalignNullKindStoresNull)
{
    // CONVENTIONS.md 5: every kind but MEMKIND_DEFAULT clears *memptr on
    // failure; with no kind at all there is nothing to keep it for.
    void *p = reinterpret_cast<void *>(0x1234);
    EXPECT_EQ(memkind_posix_memalign(nullptr, &p, 64, 64), EINVAL);
    EXPECT_EQ(p, nullptr);
}

TEST(BuildingBlocks, PosixMemalignMemptrAs114)
{
    // Measured on Debian's libmemkind0 1.14.0, called directly as kind
    // authors do (memkind_default(3), memkind_arena(3)):
    // memkind_default_posix_memalign() leaves *memptr alone on failure,
    // memkind_arena_posix_memalign() stores NULL first; both return 0 with
    // NULL for size 0, and keep errno.
    void *const sentinel = reinterpret_cast<void *>(0x1234);
    void *p = sentinel;
    errno = kErrnoSentinel;
    EXPECT_EQ(memkind_default_posix_memalign(MEMKIND_DEFAULT, &p, 3, 64),
              EINVAL);
    EXPECT_EQ(p, sentinel);
    EXPECT_EQ(memkind_default_posix_memalign(MEMKIND_DEFAULT, &p, 64,
                                             SIZE_MAX - 8192),
              ENOMEM);
    EXPECT_EQ(p, sentinel);
    EXPECT_EQ(errno, kErrnoSentinel);
    EXPECT_EQ(memkind_default_posix_memalign(MEMKIND_DEFAULT, &p, 64, 0), 0);
    EXPECT_EQ(p, nullptr);

    // Through the API first: the static kind's arenas exist afterwards.
    void *q = nullptr;
    ASSERT_EQ(memkind_posix_memalign(MEMKIND_REGULAR, &q, 64, 64), 0);
    memkind_free(MEMKIND_REGULAR, q);
    p = sentinel;
    EXPECT_EQ(memkind_arena_posix_memalign(MEMKIND_REGULAR, &p, 3, 64), EINVAL);
    EXPECT_EQ(p, nullptr);
    p = sentinel;
    EXPECT_EQ(
        memkind_arena_posix_memalign(MEMKIND_REGULAR, &p, 64, SIZE_MAX - 8192),
        ENOMEM);
    EXPECT_EQ(p, nullptr);
    p = sentinel;
    EXPECT_EQ(memkind_arena_posix_memalign(MEMKIND_REGULAR, &p, 64, 0), 0);
    EXPECT_EQ(p, nullptr);
    EXPECT_EQ(errno, kErrnoSentinel);
    p = nullptr;
    ASSERT_EQ(memkind_arena_posix_memalign(MEMKIND_REGULAR, &p, 4096, 100), 0);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(uintptr_t(p) % 4096, 0u);
    memkind_free(MEMKIND_REGULAR, p);
}

TEST(NullKind, PosixMemalignNullMemptrIsEINVAL)
{
    errno = kErrnoSentinel;
    EXPECT_EQ(memkind_posix_memalign(MEMKIND_DEFAULT, nullptr, 64, 64), EINVAL);
    EXPECT_EQ(errno, kErrnoSentinel);
}

TEST(NullKind, FreeAndUsableSizeOfNull)
{
    // memkind(3): "A NULL ptr is ignored."  usable size: "It returns 0 for a
    // NULL ptr."  free: "never changes errno."
    errno = kErrnoSentinel;
    memkind_free(nullptr, nullptr);
    memkind_free(MEMKIND_DEFAULT, nullptr);
    EXPECT_EQ(errno, kErrnoSentinel);
    EXPECT_EQ(memkind_malloc_usable_size(nullptr, nullptr), 0u);
    EXPECT_EQ(memkind_malloc_usable_size(MEMKIND_DEFAULT, nullptr), 0u);
    EXPECT_EQ(memkind_detect_kind(nullptr), nullptr);
    EXPECT_EQ(memkind_defrag_reallocate(nullptr, nullptr), nullptr);
    EXPECT_EQ(memkind_defrag_reallocate(MEMKIND_DEFAULT, nullptr), nullptr);
}

TEST(NullKind, FreeWithNullKindFindsOwner)
{
    // memkind(3): "When kind is NULL the library looks the kind up from the
    // address".
    void *p = memkind_malloc(MEMKIND_DEFAULT, 100);
    ASSERT_NE(p, nullptr);
    EXPECT_GE(memkind_malloc_usable_size(nullptr, p), 100u);
    errno = kErrnoSentinel;
    memkind_free(nullptr, p);
    EXPECT_EQ(errno, kErrnoSentinel);
}

TEST(NullKind, CheckAvailableCapacityDestroy)
{
    // memkind(3): get_capacity "returns -1 on error".
    EXPECT_EQ(memkind_check_available(nullptr), MEMKIND_ERROR_INVALID);
    EXPECT_EQ(memkind_get_capacity(nullptr), -1);
    EXPECT_EQ(memkind_destroy_kind(nullptr), MEMKIND_ERROR_INVALID);
}

// ----------------------------------------------------------- static kinds

TEST(StaticKinds, DestroyIsRefusedAndKindStillWorks)
{
    std::vector<int> avail_before;
    for (const StaticKind &s : kStaticKinds)
        avail_before.push_back(memkind_check_available(*s.kind));
    for (const StaticKind &s : kStaticKinds)
        EXPECT_EQ(memkind_destroy_kind(*s.kind), MEMKIND_ERROR_INVALID)
            << s.name;
    for (size_t i = 0; i < MEMKIND_NUM_BASE_KIND; i++) {
        const StaticKind &s = kStaticKinds[i];
        EXPECT_EQ(memkind_check_available(*s.kind), avail_before[i]) << s.name;
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_get_kind_by_partition(s.partition, &k), 0) << s.name;
        EXPECT_EQ(k, *s.kind) << s.name;
        if (avail_before[i] != 0 || s.kind == &MEMKIND_HUGETLB ||
            s.kind == &MEMKIND_GBTLB)
            continue;
        void *p = memkind_malloc(*s.kind, 4096);
        ASSERT_NE(p, nullptr) << s.name << " stopped working";
        std::memset(p, 1, 4096);
        EXPECT_EQ(memkind_detect_kind(p), *s.kind) << s.name;
        memkind_free(*s.kind, p);
    }
}

// ---------------------------------------------------- memkind_create_kind

TEST(CreateKind, BadMemtypeIsInvalid)
{
    // memkind(3): "Combinations that make no sense are refused with
    // MEMKIND_ERROR_INVALID".
    const long long bad[] = {0, 4, 8, 1 | 4, 2 | 8, 0x10000, 1LL << 31, -1};
    for (long long m : bad) {
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_create_kind(raw_enum<memkind_memtype_t>(m),
                                      MEMKIND_POLICY_BIND_ALL,
                                      memkind_bits_t(0), &k),
                  MEMKIND_ERROR_INVALID)
            << "memtype " << m;
        EXPECT_EQ(k, nullptr);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, BadPolicyIsInvalid)
{
    // memkind(3): "MEMKIND_POLICY_MAX_VALUE One past the last policy; not a
    // valid argument."
    const long long bad[] = {MEMKIND_POLICY_MAX_VALUE,
                             MEMKIND_POLICY_MAX_VALUE + 1, 100, -1, INT_MAX};
    for (long long pol : bad) {
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                      raw_enum<memkind_policy_t>(pol),
                                      memkind_bits_t(0), &k),
                  MEMKIND_ERROR_INVALID)
            << "policy " << pol;
        EXPECT_EQ(k, nullptr);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, BadFlagsAreInvalid)
{
    // memkind(3): "flags is 0 or a value from MEMORY FLAGS".  The only
    // value is MEMKIND_MASK_PAGE_SIZE_2MB (21); bits of it are not values
    // (1, 4, 16, 20 were taken for 2 MiB pages before; 1.14 refuses them).
    const long long bad[] = {1, 2,       4,       8,         16, 20,
                             5, 1 << 20, 1 << 22, 1LL << 30, -1};
    for (long long f : bad) {
        memkind_t k = nullptr;
        EXPECT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                      MEMKIND_POLICY_BIND_ALL,
                                      raw_enum<memkind_bits_t>(f), &k),
                  MEMKIND_ERROR_INVALID)
            << "flags " << f;
        EXPECT_EQ(k, nullptr);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, NullKindPointerIsInvalid)
{
    EXPECT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                  MEMKIND_POLICY_BIND_ALL, memkind_bits_t(0),
                                  nullptr),
              MEMKIND_ERROR_INVALID);
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, HighBandwidthWithoutHbwIsNotAvailable)
{
    // memkind(3): "a memory type the machine does not have [is refused]
    // with MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE."
    if (has_hbw())
        GTEST_SKIP() << "this machine has high-bandwidth memory";
    const memkind_policy_t policies[] = {
        MEMKIND_POLICY_BIND_LOCAL, MEMKIND_POLICY_BIND_ALL,
        MEMKIND_POLICY_PREFERRED_LOCAL, MEMKIND_POLICY_INTERLEAVE_LOCAL,
        MEMKIND_POLICY_INTERLEAVE_ALL};
    for (memkind_policy_t pol : policies) {
        if (pol == MEMKIND_POLICY_PREFERRED_LOCAL)
            continue; // falls back to regular memory: the next test
        for (memkind_bits_t fl :
             {memkind_bits_t(0), MEMKIND_MASK_PAGE_SIZE_2MB}) {
            memkind_t k = nullptr;
            EXPECT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH, pol,
                                          fl, &k),
                      MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE)
                << "policy " << pol << " flags " << fl;
            EXPECT_EQ(k, nullptr);
        }
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, HighBandwidthPreferredWithoutHbwIsRegularMemory)
{
    // COMPAT(1.14): "preferred" HBW on a machine without HBW memory gives a
    // working kind of regular memory (1.14 returns MEMKIND_DEFAULT), so
    // programs written for it run here too.
    if (has_hbw())
        GTEST_SKIP() << "this machine has high-bandwidth memory";
    memkind_t k = nullptr;
    ASSERT_EQ(0, memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
                                     MEMKIND_POLICY_PREFERRED_LOCAL,
                                     memkind_bits_t(0), &k));
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(0, memkind_check_available(k));
    void *p = memkind_malloc(k, 1000);
    ASSERT_NE(p, nullptr);
    memset(p, 1, 1000);
    EXPECT_EQ(k, memkind_detect_kind(p));
    memkind_free(k, p);
    EXPECT_EQ(0, memkind_destroy_kind(k));
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, BothMemtypesInterleavedOverAllNodes)
{
    // COMPAT(1.14): DEFAULT | HIGH_BANDWIDTH with INTERLEAVE_ALL is
    // interleaving over every node with memory (1.14 returns
    // MEMKIND_INTERLEAVE); the other policies but PREFERRED_LOCAL are
    // refused.
    memkind_t k = nullptr;
    const auto both = memkind_memtype_t(MEMKIND_MEMTYPE_DEFAULT |
                                        MEMKIND_MEMTYPE_HIGH_BANDWIDTH);
    ASSERT_EQ(0, memkind_create_kind(both, MEMKIND_POLICY_INTERLEAVE_ALL,
                                     memkind_bits_t(0), &k));
    void *p = memkind_malloc(k, 1 << 20);
    ASSERT_NE(p, nullptr);
    memset(p, 1, 1 << 20);
    memkind_free(k, p);
    EXPECT_EQ(0, memkind_destroy_kind(k));
    for (memkind_policy_t pol :
         {MEMKIND_POLICY_BIND_LOCAL, MEMKIND_POLICY_BIND_ALL,
          MEMKIND_POLICY_INTERLEAVE_LOCAL}) {
        k = nullptr;
        EXPECT_EQ(MEMKIND_ERROR_INVALID,
                  memkind_create_kind(both, pol, memkind_bits_t(0), &k))
            << "policy " << pol;
        EXPECT_EQ(k, nullptr);
    }
    k = nullptr;
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(both, MEMKIND_POLICY_INTERLEAVE_ALL,
                                  MEMKIND_MASK_PAGE_SIZE_2MB, &k));
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateKind, ValidKindDestroysCleanly)
{
    // Positive control for the refusals above.
    memkind_t k = nullptr;
    ASSERT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                  MEMKIND_POLICY_BIND_ALL, memkind_bits_t(0),
                                  &k),
              0);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(dynamic_kinds_alive(), 1);
    void *p = memkind_malloc(k, 10);
    ASSERT_NE(p, nullptr);
    memkind_free(k, p);
    EXPECT_EQ(memkind_destroy_kind(k), 0);
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

// ---------------------------------------------------- memkind_create_pmem

class CreatePmem : public ::testing::Test {
  protected:
    TempDir dir;
    int fds_before = 0;

    void SetUp() override
    {
        if (!dir.ok())
            GTEST_SKIP() << dir.why();
        fds_before = open_fds();
    }
    void TearDown() override
    {
        if (!dir.ok())
            return;
        EXPECT_EQ(open_fds(), fds_before) << "file descriptor leaked";
        EXPECT_EQ(dynamic_kinds_alive(), 0) << "a failed creation left a kind";
    }

    /// Expects MEMKIND_ERROR_INVALID with errno set to want_errno (0: any).
    void expect_invalid(const char *path, size_t max, int want_errno,
                        const char *what)
    {
        memkind_t k = nullptr;
        errno = 0;
        int err = memkind_create_pmem(path, max, &k);
        int e = errno;
        EXPECT_EQ(err, MEMKIND_ERROR_INVALID) << what;
        EXPECT_EQ(k, nullptr) << what;
        if (want_errno) {
            // memkind_pmem(3): "no file can be created in the directory (it
            // does not exist, is not a directory, is not writable, or its
            // path is too long).  In the last case errno is the one set by
            // the call that failed."
            EXPECT_EQ(e, want_errno)
                << what << ": errno " << std::strerror(e) << ", expected "
                << std::strerror(want_errno);
        }
        if (err == 0 && k)
            memkind_destroy_kind(k);
    }
};

TEST_F(CreatePmem, NullDirIsInvalid)
{
    // memkind_pmem(3): "dir, kind or cfg is NULL" -> MEMKIND_ERROR_INVALID.
    expect_invalid(nullptr, 0, 0, "NULL dir");
    expect_invalid(nullptr, 32 * MiB, 0, "NULL dir, limited");
}

TEST_F(CreatePmem, NullKindPointerIsInvalid)
{
    EXPECT_EQ(memkind_create_pmem(dir.c_str(), 0, nullptr),
              MEMKIND_ERROR_INVALID);
    EXPECT_EQ(memkind_create_pmem(dir.c_str(), 32 * MiB, nullptr),
              MEMKIND_ERROR_INVALID);
    EXPECT_EQ(dir_entries(dir.path()), 0);
}

TEST_F(CreatePmem, MissingDirIsInvalidENOENT)
{
    std::string missing = dir.path() + "/does/not/exist";
    expect_invalid(missing.c_str(), 0, ENOENT, "missing dir");
    std::string missing1 = dir.path() + "/nope";
    expect_invalid(missing1.c_str(), 32 * MiB, ENOENT, "missing dir");
}

TEST_F(CreatePmem, RegularFileIsInvalidENOTDIR)
{
    std::string file = dir.path() + "/plain_file";
    int fd = open(file.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
    fds_before = open_fds();
    expect_invalid(file.c_str(), 0, ENOTDIR, "regular file");
    std::string below = file + "/sub";
    expect_invalid(below.c_str(), 0, ENOTDIR, "path through a regular file");
    EXPECT_EQ(dir_entries(dir.path()), 1) << "only plain_file may exist";
}

TEST_F(CreatePmem, NonWritableDirIsInvalidEACCES)
{
    std::string ro = dir.path() + "/ro";
    ASSERT_EQ(mkdir(ro.c_str(), 0555), 0);
    ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
    if (geteuid() != 0) {
        expect_invalid(ro.c_str(), 0, EACCES, "read-only dir");
        expect_invalid(ro.c_str(), 32 * MiB, EACCES, "read-only dir");
    } else {
        // root ignores permission bits; try as nobody in a child process.
        int pfd[2];
        ASSERT_EQ(pipe(pfd), 0);
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            close(pfd[0]);
            int res[3] = {1, 0, 0};
            if (setgroups(0, nullptr) == 0 &&
                setresgid(65534, 65534, 65534) == 0 &&
                setresuid(65534, 65534, 65534) == 0) {
                memkind_t k = nullptr;
                errno = 0;
                res[1] = memkind_create_pmem(ro.c_str(), 0, &k);
                res[2] = errno;
                res[0] = 0;
            }
            ssize_t w = write(pfd[1], res, sizeof(res));
            _exit(w == sizeof(res) ? 0 : 1);
        }
        close(pfd[1]);
        int res[3] = {-1, 0, 0};
        ssize_t r = read(pfd[0], res, sizeof(res));
        close(pfd[0]);
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_EQ(r, ssize_t(sizeof(res)));
        if (res[0] != 0)
            GTEST_SKIP()
                << "cannot drop root privileges to test a non-writable dir";
        EXPECT_EQ(res[1], MEMKIND_ERROR_INVALID) << "read-only dir as nobody";
        EXPECT_EQ(res[2], EACCES) << "errno " << std::strerror(res[2]);
    }
    EXPECT_EQ(dir_entries(ro), 0);
}

TEST_F(CreatePmem, PathLongerThanPathMaxIsInvalid)
{
    std::string longp = "/" + std::string(PATH_MAX + 10, 'a');
    expect_invalid(longp.c_str(), 0, ENAMETOOLONG, "path longer than PATH_MAX");
    // A long path made of existing-looking components inside dir.
    std::string deep = dir.path();
    while (deep.size() <= PATH_MAX)
        deep += "/" + std::string(200, 'b');
    expect_invalid(deep.c_str(), 0, ENAMETOOLONG,
                   "deep path longer than PATH_MAX");
}

TEST_F(CreatePmem, MaxSizeBelowMinimumIsInvalid)
{
    // memkind(3): "A non-zero max_size smaller than MEMKIND_PMEM_MIN_SIZE
    // (16 MiB) is refused with MEMKIND_ERROR_INVALID."
    for (size_t max :
         {size_t(1), size_t(4096), size_t(MEMKIND_PMEM_MIN_SIZE - 1)})
        expect_invalid(dir.c_str(), max, 0,
                       "max_size below MEMKIND_PMEM_MIN_SIZE");
    EXPECT_EQ(dir_entries(dir.path()), 0);
    memkind_t k = nullptr;
    ASSERT_EQ(memkind_create_pmem(dir.c_str(), MEMKIND_PMEM_MIN_SIZE, &k), 0)
        << "exactly MEMKIND_PMEM_MIN_SIZE is allowed";
    void *p = memkind_malloc(k, 1000);
    EXPECT_NE(p, nullptr);
    memkind_free(k, p);
    EXPECT_EQ(memkind_destroy_kind(k), 0);
}

TEST_F(CreatePmem, AbsurdMaxSizeFailsCleanly)
{
    // Whatever the result, no fd, file or kind may stay behind on failure.
    for (size_t max : {SIZE_MAX, SIZE_MAX - MiB, size_t(1) << 62}) {
        memkind_t k = nullptr;
        int err = memkind_create_pmem(dir.c_str(), max, &k);
        if (err == 0) {
            void *p = memkind_malloc(k, MiB);
            EXPECT_NE(p, nullptr)
                << "created with max_size " << max << " but unusable";
            memkind_free(k, p);
            EXPECT_EQ(memkind_destroy_kind(k), 0);
        } else {
            EXPECT_LT(err, 0);
        }
    }
    EXPECT_EQ(dir_entries(dir.path()), 0);
}

TEST_F(CreatePmem, WithConfigBadInput)
{
    memkind_t k = nullptr;
    // memkind_pmem(3): "dir, kind or cfg is NULL, or the configuration has
    // no directory; max_size is neither 0 nor at least
    // MEMKIND_PMEM_MIN_SIZE; the memory usage policy is not valid".
    EXPECT_EQ(memkind_create_pmem_with_config(nullptr, &k),
              MEMKIND_ERROR_INVALID);
    struct memkind_config *cfg = memkind_config_new();
    ASSERT_NE(cfg, nullptr);
    EXPECT_EQ(memkind_create_pmem_with_config(cfg, &k), MEMKIND_ERROR_INVALID)
        << "no directory";
    memkind_config_set_path(cfg, dir.c_str());
    EXPECT_EQ(memkind_create_pmem_with_config(cfg, nullptr),
              MEMKIND_ERROR_INVALID);
    memkind_config_set_size(cfg, 1);
    EXPECT_EQ(memkind_create_pmem_with_config(cfg, &k), MEMKIND_ERROR_INVALID)
        << "max_size 1";
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(cfg,
                                           MEMKIND_MEM_USAGE_POLICY_MAX_VALUE);
    EXPECT_EQ(memkind_create_pmem_with_config(cfg, &k), MEMKIND_ERROR_INVALID)
        << "policy MAX_VALUE";
    memkind_config_set_memory_usage_policy(
        cfg, raw_enum<memkind_mem_usage_policy>(-1));
    EXPECT_EQ(memkind_create_pmem_with_config(cfg, &k), MEMKIND_ERROR_INVALID)
        << "policy -1";
    std::string missing = dir.path() + "/missing";
    memkind_config_set_memory_usage_policy(cfg,
                                           MEMKIND_MEM_USAGE_POLICY_DEFAULT);
    memkind_config_set_path(cfg, missing.c_str());
    EXPECT_EQ(memkind_create_pmem_with_config(cfg, &k), MEMKIND_ERROR_INVALID)
        << "missing dir";
    EXPECT_EQ(k, nullptr);
    // Positive control: the same config with a good directory works, and
    // "A configuration may be deleted as soon as the kind has been created."
    memkind_config_set_path(cfg, dir.c_str());
    ASSERT_EQ(memkind_create_pmem_with_config(cfg, &k), 0);
    memkind_config_delete(cfg);
    void *p = memkind_malloc(k, 100);
    EXPECT_NE(p, nullptr);
    memkind_free(k, p);
    EXPECT_EQ(memkind_destroy_kind(k), 0);
    memkind_config_delete(nullptr);
}

// --------------------------------------------------- memkind_create_fixed

TEST(CreateFixed, BadArgumentsAreInvalid)
{
    static char buf[1 << 20];
    memkind_t k = nullptr;
    EXPECT_EQ(memkind_create_fixed(nullptr, MiB, &k), MEMKIND_ERROR_INVALID);
    EXPECT_EQ(memkind_create_fixed(buf, 0, &k), MEMKIND_ERROR_INVALID);
    EXPECT_EQ(memkind_create_fixed(buf, sizeof(buf), nullptr),
              MEMKIND_ERROR_INVALID);
    // A range that wraps around the end of the address space.
    EXPECT_EQ(memkind_create_fixed(reinterpret_cast<void *>(UINTPTR_MAX - 4095),
                                   2 * 4096, &k),
              MEMKIND_ERROR_INVALID);
    EXPECT_EQ(k, nullptr);
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateFixed, TinyBufferRefusedOrFailsWithENOMEM)
{
    // memkind(3): "When the buffer has no room for a request,
    // memkind_malloc() returns NULL and sets errno to ENOMEM."
    alignas(64) static char tiny[64];
    for (size_t sz : {size_t(1), size_t(16), sizeof(tiny)}) {
        memkind_t k = nullptr;
        int err = memkind_create_fixed(tiny, sz, &k);
        if (err != 0) {
            EXPECT_EQ(err, MEMKIND_ERROR_INVALID) << sz;
            continue;
        }
        errno = 0;
        void *p = memkind_malloc(k, 8);
        if (p) {
            EXPECT_TRUE(p >= static_cast<void *>(tiny) &&
                        p < static_cast<void *>(tiny + sz));
            memkind_free(k, p);
        } else {
            EXPECT_EQ(errno, ENOMEM);
        }
        errno = 0;
        EXPECT_EQ(memkind_malloc(k, 4096), nullptr);
        EXPECT_EQ(errno, ENOMEM);
        EXPECT_EQ(memkind_destroy_kind(k), 0);
    }
    EXPECT_EQ(dynamic_kinds_alive(), 0);
}

TEST(CreateFixed, ExhaustedBufferGivesENOMEM)
{
    // memkind(3): "When the buffer has no room for a request,
    // memkind_malloc() returns NULL and sets errno to ENOMEM."
    const size_t len = 4 * MiB;
    void *buf = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(buf, MAP_FAILED);
    memkind_t k = nullptr;
    ASSERT_EQ(memkind_create_fixed(buf, len, &k), 0);
    errno = 0;
    EXPECT_EQ(memkind_malloc(k, 8 * MiB), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    std::vector<void *> ps;
    for (;;) {
        errno = 0;
        void *p = memkind_malloc(k, 64 * KiB);
        if (!p)
            break;
        EXPECT_TRUE(p >= buf && static_cast<char *>(p) + 64 * KiB <=
                                    static_cast<char *>(buf) + len);
        ps.push_back(p);
        ASSERT_LT(ps.size(), len / (64 * KiB) + 1)
            << "more than the buffer holds";
    }
    EXPECT_EQ(errno, ENOMEM);
    EXPECT_GT(ps.size(), 0u);
    for (void *p : ps)
        memkind_free(k, p);
    EXPECT_EQ(memkind_destroy_kind(k), 0);
    munmap(buf, len);
}

// ------------------------------------------------------------ statistics

TEST(Stats, GetStatBadTypeOrNullValue)
{
    size_t v = 12345;
    ASSERT_EQ(memkind_update_cached_stats(), 0);
    const long long bad[] = {MEMKIND_STAT_TYPE_MAX_VALUE,
                             MEMKIND_STAT_TYPE_MAX_VALUE + 1, -1, 1000};
    for (long long t : bad) {
        EXPECT_EQ(memkind_get_stat(MEMKIND_DEFAULT,
                                   raw_enum<memkind_stat_type>(t), &v),
                  MEMKIND_ERROR_INVALID)
            << t;
        EXPECT_EQ(memkind_get_stat(nullptr, raw_enum<memkind_stat_type>(t), &v),
                  MEMKIND_ERROR_INVALID)
            << t;
    }
    for (int t = 0; t < MEMKIND_STAT_TYPE_MAX_VALUE; t++) {
        EXPECT_EQ(
            memkind_get_stat(MEMKIND_DEFAULT, memkind_stat_type(t), nullptr),
            MEMKIND_ERROR_INVALID);
        EXPECT_EQ(memkind_get_stat(nullptr, memkind_stat_type(t), nullptr),
                  MEMKIND_ERROR_INVALID);
        EXPECT_EQ(memkind_get_stat(nullptr, memkind_stat_type(t), &v), 0);
    }
}

void collect(void *opaque, const char *s)
{
    static_cast<std::string *>(opaque)->append(s);
}

TEST(Stats, PrintBadOptionBitsIsInvalid)
{
    // memkind(3): "an unknown bit makes the call fail with
    // MEMKIND_ERROR_INVALID."
    std::string out;
    const long long bad[] = {
        1 << 9,    1 << 10, 1 << 15,
        1LL << 31, -1,      MEMKIND_STAT_PRINT_JSON_FORMAT | (1 << 12)};
    for (long long o : bad) {
        EXPECT_EQ(memkind_stats_print(collect, &out,
                                      raw_enum<memkind_stat_print_opt>(o)),
                  MEMKIND_ERROR_INVALID)
            << o;
    }
    EXPECT_TRUE(out.empty()) << "nothing is printed on error";
    // Positive controls: JSON goes through the callback; NULL callback is
    // standard error (kept short by omitting everything).
    EXPECT_EQ(
        memkind_stats_print(collect, &out, MEMKIND_STAT_PRINT_JSON_FORMAT), 0);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.find('{'), out.find_first_not_of(" \n\t"));
    const unsigned all_omit =
        MEMKIND_STAT_PRINT_OMIT_GENERAL | MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA |
        MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA |
        MEMKIND_STAT_PRINT_OMIT_PER_ARENA |
        MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS |
        MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE |
        MEMKIND_STAT_PRINT_OMIT_MUTEX | MEMKIND_STAT_PRINT_OMIT_EXTENT;
    EXPECT_EQ(
        memkind_stats_print(nullptr, nullptr, memkind_stat_print_opt(all_omit)),
        0);
}

// ------------------------------------------------------------ partitions

TEST(Partition, OutOfRangeIsUnavailable)
{
    // memkind(3): "returns MEMKIND_ERROR_UNAVAILABLE when no kind has that
    // number."
    ASSERT_EQ(dynamic_kinds_alive(), 0);
    for (int p : {-1, -100, INT_MIN, int(MEMKIND_NUM_BASE_KIND),
                  int(MEMKIND_NUM_BASE_KIND) + 1, MEMKIND_MAX_KIND - 1,
                  int(MEMKIND_MAX_KIND), MEMKIND_MAX_KIND + 1, INT_MAX}) {
        memkind_t k = reinterpret_cast<memkind_t>(0x1);
        EXPECT_EQ(memkind_get_kind_by_partition(p, &k),
                  MEMKIND_ERROR_UNAVAILABLE)
            << p;
        EXPECT_EQ(k, reinterpret_cast<memkind_t>(0x1))
            << "*kind written on failure";
    }
}

TEST(Partition, StaticPartitionsMatchKindPointers)
{
    // memkind(3): "The static kinds have the numbers given by the
    // MEMKIND_PARTITION_* constants."
    for (const StaticKind &s : kStaticKinds) {
        memkind_t k = nullptr;
        ASSERT_EQ(memkind_get_kind_by_partition(s.partition, &k), 0) << s.name;
        EXPECT_EQ(k, *s.kind) << s.name;
    }
}

TEST(Partition, NullKindPointerDoesNotCrash)
{
    int err = memkind_get_kind_by_partition(MEMKIND_PARTITION_DEFAULT, nullptr);
    EXPECT_NE(err, 0);
}

TEST(Partition, DynamicKindGetsFreePartition)
{
    memkind_t k = nullptr;
    ASSERT_EQ(memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT,
                                  MEMKIND_POLICY_BIND_ALL, memkind_bits_t(0),
                                  &k),
              0);
    int found = -1;
    for (int p = 0; p < MEMKIND_MAX_KIND; p++) {
        memkind_t q = nullptr;
        if (memkind_get_kind_by_partition(p, &q) == 0 && q == k) {
            EXPECT_EQ(found, -1) << "kind listed under two partitions";
            found = p;
        }
    }
    EXPECT_GE(found, int(MEMKIND_NUM_BASE_KIND));
    EXPECT_EQ(memkind_destroy_kind(k), 0);
    memkind_t q = nullptr;
    EXPECT_EQ(memkind_get_kind_by_partition(found, &q),
              MEMKIND_ERROR_UNAVAILABLE);
}

// -------------------------------------------------------- error messages

const int kErrorCodes[] = {MEMKIND_ERROR_UNAVAILABLE,
                           MEMKIND_ERROR_MBIND,
                           MEMKIND_ERROR_MMAP,
                           MEMKIND_ERROR_MALLOC,
                           MEMKIND_ERROR_ENVIRON,
                           MEMKIND_ERROR_INVALID,
                           MEMKIND_ERROR_TOOMANY,
                           MEMKIND_ERROR_BADOPS,
                           MEMKIND_ERROR_HUGETLB,
                           MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
                           MEMKIND_ERROR_OPERATION_FAILED,
                           MEMKIND_ERROR_ARENAS_CREATE,
                           MEMKIND_ERROR_RUNTIME,
                           EINVAL,
                           ENOMEM};

TEST(ErrorMessage, KnownCodesHavePrefixedTextThatFits)
{
    // memkind(3): "a buffer of MEMKIND_ERROR_MESSAGE_SIZE bytes is always
    // large enough.  Every message starts with "<memkind> ".  Besides the
    // negative MEMKIND_ERROR_* codes the function also understands the
    // positive EINVAL and ENOMEM values".
    std::vector<std::string> seen;
    for (int code : kErrorCodes) {
        char big[4 * MEMKIND_ERROR_MESSAGE_SIZE];
        std::memset(big, 'x', sizeof(big));
        big[sizeof(big) - 1] = '\0';
        memkind_error_message(code, big, sizeof(big));
        std::string s(big);
        EXPECT_EQ(s.rfind("<memkind> ", 0), 0u) << code << ": " << s;
        EXPECT_LT(s.size(), size_t(MEMKIND_ERROR_MESSAGE_SIZE))
            << code << ": " << s;
        EXPECT_GT(s.size(), std::strlen("<memkind> ")) << code;
        EXPECT_EQ(s.find("Undefined error number"), std::string::npos)
            << code << " is a documented code: " << s;
        // The same text comes out of an exactly-sized buffer.
        char exact[MEMKIND_ERROR_MESSAGE_SIZE];
        memkind_error_message(code, exact, sizeof(exact));
        EXPECT_EQ(std::string(exact), s) << code;
        seen.push_back(s);
    }
    // Different codes, different texts.
    for (size_t i = 0; i < seen.size(); i++)
        for (size_t j = i + 1; j < seen.size(); j++)
            EXPECT_NE(seen[i], seen[j])
                << kErrorCodes[i] << " vs " << kErrorCodes[j];
}

TEST(ErrorMessage, UnknownCodeIsUndefinedErrorNumber)
{
    // memkind(3): "Any other value produces "<memkind> Undefined error
    // number: N"."
    for (int code : {0, -4, -5, -7, -14, -16, -19, -23, -100, -254, -256, 1, 3,
                     12345, INT_MAX, INT_MIN}) {
        char msg[MEMKIND_ERROR_MESSAGE_SIZE];
        memkind_error_message(code, msg, sizeof(msg));
        EXPECT_EQ(std::string(msg),
                  "<memkind> Undefined error number: " + std::to_string(code));
    }
}

TEST(ErrorMessage, NullOrTinyBufferIsSafe)
{
    // memkind(3): "It writes at most size bytes, including the terminating
    // null byte, into msg"; "A null msg or a zero size is accepted and
    // nothing is written."
    memkind_error_message(MEMKIND_ERROR_INVALID, nullptr,
                          MEMKIND_ERROR_MESSAGE_SIZE);
    memkind_error_message(MEMKIND_ERROR_INVALID, nullptr, 0);
    char buf[16];
    std::memset(buf, 'z', sizeof(buf));
    memkind_error_message(MEMKIND_ERROR_INVALID, buf, 0);
    EXPECT_TRUE(all_bytes(buf, sizeof(buf), 'z')) << "size 0 wrote something";
    memkind_error_message(MEMKIND_ERROR_INVALID, buf, 1);
    EXPECT_EQ(buf[0], '\0');
    EXPECT_TRUE(all_bytes(buf + 1, sizeof(buf) - 1, 'z'))
        << "wrote past size 1";
    std::memset(buf, 'z', sizeof(buf));
    memkind_error_message(MEMKIND_ERROR_INVALID, buf, 5);
    EXPECT_STREQ(buf, "<mem");
    EXPECT_TRUE(all_bytes(buf + 5, sizeof(buf) - 5, 'z'))
        << "wrote past size 5";
    std::memset(buf, 'z', sizeof(buf));
    memkind_error_message(4242, buf, 10);
    EXPECT_STREQ(buf, "<memkind>");
    EXPECT_TRUE(all_bytes(buf + 10, sizeof(buf) - 10, 'z'));
}

// --------------------------------------------------------------- version

TEST(Version, MatchesVersionFile)
{
    // memkind(3): "memkind_get_version() returns the three parts folded into
    // one integer: major * 1000000 + minor * 1000 + patch."
    std::string path;
    if (const char *top = getenv("top_srcdir"))
        path = std::string(top) + "/VERSION";
#ifdef MK_TEST_VERSION_FILE
    if (path.empty() || access(path.c_str(), R_OK) != 0)
        path = MK_TEST_VERSION_FILE;
#endif
    std::ifstream f(path);
    if (!f)
        GTEST_SKIP() << "cannot read the VERSION file (" << path
                     << "); set top_srcdir";
    std::string line;
    std::getline(f, line);
    int major = -1, minor = -1, patch = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d.%d.%d", &major, &minor, &patch), 3)
        << "VERSION is '" << line << "'";
    EXPECT_EQ(memkind_get_version(), major * 1000000 + minor * 1000 + patch)
        << "VERSION is " << line;
    EXPECT_EQ(major, 1) << "this is a memkind 1.x compatible library";
    EXPECT_EQ(minor, 14);
}

// --------------------------------------------------------------- misc

TEST(Misc, CheckDaxPath)
{
    // memkind_pmem(3): INVALID for NULL; RUNTIME when "No probe file can be
    // created in the directory"; MMAP when "the directory is not on a DAX
    // file system".
    EXPECT_EQ(memkind_check_dax_path(nullptr), MEMKIND_ERROR_INVALID);
    EXPECT_EQ(memkind_check_dax_path("/nonexistent/memkind/dir"),
              MEMKIND_ERROR_RUNTIME);
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) {
        EXPECT_EQ(memkind_check_dax_path("/dev/shm"), MEMKIND_ERROR_MMAP)
            << "tmpfs is not DAX";
    }
    int r = memkind_check_dax_path(mk_test_pmem_dir.c_str());
    EXPECT_TRUE(r == 0 || r == MEMKIND_ERROR_MMAP) << r;
}

TEST(Misc, BackgroundThreadsToggle)
{
    EXPECT_EQ(memkind_set_bg_threads(true), 0);
    void *p = memkind_malloc(MEMKIND_DEFAULT, MiB);
    ASSERT_NE(p, nullptr);
    memkind_free(MEMKIND_DEFAULT, p);
    EXPECT_EQ(memkind_set_bg_threads(false), 0);
}

} // namespace
