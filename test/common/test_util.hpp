// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_util.hpp - small helpers shared by the black-box API tests:
 * temporary directories for file-backed kinds, errno sentinels, byte
 * patterns, raw enum values (to pass values outside an enum's range without
 * undefined behaviour), the version file, 1 GiB page counts, the private
 * jemalloc's page size, a mapping's /proc/self/smaps fields.
 */
#pragma once

#include "common/capabilities.hpp"

#include <memkind.h>

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace mk_test
{

constexpr size_t KiB = 1024;
constexpr size_t MiB = 1024 * KiB;

/// An errno value no library call sets, to prove errno was left alone.
constexpr int kErrnoSentinel = 4242;

/// Builds an enum value from any integer, also outside the enumerators'
/// range (a plain cast would be undefined behaviour in C++).
template <class E> E raw_enum(long long v)
{
    E e;
    static_assert(sizeof(E) <= sizeof(v), "enum too large");
    unsigned char bytes[sizeof(v)];
    std::memcpy(bytes, &v, sizeof(v)); // little-endian: low bytes first
    std::memcpy(&e, bytes, sizeof(E));
    return e;
}

/// Writes a pattern that depends on seed and position.
inline void fill_pattern(void *p, size_t n, unsigned seed)
{
    unsigned char *c = static_cast<unsigned char *>(p);
    for (size_t i = 0; i < n; i++)
        c[i] = static_cast<unsigned char>((i * 131u + seed * 7u + (i >> 12)) &
                                          0xff);
}

/// True when the pattern written by fill_pattern(p, n, seed) is intact.
inline bool check_pattern(const void *p, size_t n, unsigned seed)
{
    const unsigned char *c = static_cast<const unsigned char *>(p);
    for (size_t i = 0; i < n; i++)
        if (c[i] != static_cast<unsigned char>(
                        (i * 131u + seed * 7u + (i >> 12)) & 0xff))
            return false;
    return true;
}

inline bool all_bytes(const void *p, size_t n, unsigned char v)
{
    const unsigned char *c = static_cast<const unsigned char *>(p);
    for (size_t i = 0; i < n; i++)
        if (c[i] != v)
            return false;
    return true;
}

/// Text of a memkind error code, for skip reasons and failure messages.
inline std::string error_text(int err)
{
    char msg[MEMKIND_ERROR_MESSAGE_SIZE];
    memkind_error_message(err, msg, sizeof(msg));
    return std::string(msg) + " (" + std::to_string(err) + ")";
}

/// Free 1 GiB huge pages in the pool, or 0.
inline long free_gigantic_pages()
{
    long v = read_long(
        "/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages");
    return v > 0 ? v : 0;
}

/// Removes path and everything below it; returns 0 or -1.
inline int remove_tree(const std::string &path)
{
    return nftw(
        path.c_str(),
        [](const char *p, const struct stat *, int, struct FTW *) {
            return ::remove(p);
        },
        16, FTW_DEPTH | FTW_PHYS);
}

/// A fresh directory under the PMEM test directory, removed with its
/// contents on destruction.  ok() is false when mkdtemp failed.
class TempDir {
  public:
    TempDir()
    {
        std::string templ = mk_test_pmem_dir + "/mk_api_XXXXXX";
        char buf[4096];
        std::snprintf(buf, sizeof(buf), "%s", templ.c_str());
        if (mkdtemp(buf))
            path_ = buf;
        else
            err_ = errno;
    }
    ~TempDir()
    {
        if (!path_.empty())
            (void)remove_tree(path_);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    bool ok() const
    {
        return !path_.empty();
    }
    const std::string &path() const
    {
        return path_;
    }
    const char *c_str() const
    {
        return path_.c_str();
    }
    /// Why mkdtemp failed, for a skip message.
    std::string why() const
    {
        return "mkdtemp under " + mk_test_pmem_dir +
               " failed: " + std::strerror(err_);
    }

  private:
    std::string path_;
    int err_ = 0;
};

/// Number of entries (files) in a directory, or -1.
inline int dir_entries(const std::string &path)
{
    DIR *d = opendir(path.c_str());
    if (!d)
        return -1;
    int n = 0;
    while (struct dirent *e = readdir(d)) {
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
            n++;
    }
    closedir(d);
    return n;
}

/// Bytes of file blocks behind the open files of this process that live in
/// dir (backing files of PMEM kinds are anonymous: found through
/// /proc/self/fd), or -1.
inline long file_bytes_in(const std::string &dir)
{
    long total = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (struct dirent *e = readdir(d)) {
        std::string link = std::string("/proc/self/fd/") + e->d_name;
        char target[PATH_MAX];
        ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (std::string(target).compare(0, dir.size() + 1, dir + "/") != 0)
            continue;
        struct stat st;
        if (stat(link.c_str(), &st) == 0)
            total += (long)st.st_blocks * 512;
    }
    closedir(d);
    return total;
}

/// The private jemalloc's page, the unit of its slabs and extents, fixed
/// when it was built (64 KiB on arm64, jemalloc/README) and so not always
/// the kernel's: read through the public API, from the "Page size" line of
/// memkind_stats_print()'s general section (jemalloc's "arenas.page").
/// Falls back to the kernel's page when that line is missing.
inline size_t jemalloc_page()
{
    static size_t page = [] {
        std::string text;
        auto append = [](void *out, const char *s) {
            static_cast<std::string *>(out)->append(s);
        };
        size_t v = 0;
        auto opts = raw_enum<memkind_stat_print_opt>(
            MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA |
            MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA |
            MEMKIND_STAT_PRINT_OMIT_PER_ARENA);
        if (memkind_stats_print(append, &text, opts) == 0) {
            size_t at = text.find("Page size: ");
            if (at != std::string::npos)
                v = std::strtoul(text.c_str() + at + 11, nullptr, 10);
        }
        return v ? v : size_t(sysconf(_SC_PAGESIZE));
    }();
    return page;
}

/// The text after "FIELD:" (leading blanks dropped) in /proc/self/smaps
/// for the mapping that holds p, e.g. "4 kB" for KernelPageSize or the
/// two-letter flags of VmFlags; "" when p is in no mapping or the mapping
/// has no such field.
inline std::string smaps_field(const void *p, const std::string &field)
{
    std::ifstream f("/proc/self/smaps");
    std::string line, key = field + ":";
    uintptr_t a = (uintptr_t)p;
    bool in = false;
    while (std::getline(f, line)) {
        unsigned long lo, hi;
        // A mapping's header line: "lo-hi perms ...", no colon before its
        // first blank (field lines start "Name:").
        if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 &&
            line.find(':') > line.find(' ')) {
            in = a >= lo && a < hi;
            continue;
        }
        if (in && line.compare(0, key.size(), key) == 0) {
            size_t v = line.find_first_not_of(" \t", key.size());
            return v == std::string::npos ? "" : line.substr(v);
        }
    }
    return "";
}

/// True when the VmFlags of the mapping holding p include the two-letter
/// flag (proc(5): "rr" random read advised, "dc" do not copy on fork...).
inline bool vm_flag(const void *p, const char *flag)
{
    std::string flags = " " + smaps_field(p, "VmFlags") + " ";
    return flags.find(std::string(" ") + flag + " ") != std::string::npos;
}

} // namespace mk_test
