// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_unit_test.cpp - the AUTO_HBW_* parsers of libautohbw.so
 * (autohbw(7)), called directly: no preloading.
 */
#include "autohbw_env.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

namespace
{
std::map<std::string, std::string> vars;
const char *get(const char *name)
{
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
}
constexpr size_t K = 1024, M = K * K, G = M * K;
} // namespace

TEST(AutohbwSize, NumbersWithSuffixes)
{
    size_t v = 0;
    EXPECT_TRUE(autohbw_parse_size("0", &v));
    EXPECT_EQ(0u, v);
    EXPECT_TRUE(autohbw_parse_size("4096", &v));
    EXPECT_EQ(4096u, v);
    EXPECT_TRUE(autohbw_parse_size("4K", &v));
    EXPECT_EQ(4 * K, v);
    EXPECT_TRUE(autohbw_parse_size("3M", &v));
    EXPECT_EQ(3 * M, v);
    EXPECT_TRUE(autohbw_parse_size("2G", &v));
    EXPECT_EQ(2 * G, v);
    EXPECT_TRUE(autohbw_parse_size("5m", &v));
    EXPECT_EQ(5 * M, v);
    for (const char *bad :
         {"", "K", "4KB", "4 K", " 4K", "-4K", "+4K", "4T", "0x10", "1.5M",
          "99999999999999999999", "17179869184G"})
        EXPECT_FALSE(autohbw_parse_size(bad, &v)) << "\"" << bad << "\"";
    EXPECT_FALSE(autohbw_parse_size(nullptr, &v));
}

TEST(AutohbwSize, Ranges)
{
    size_t lo = 0, hi = 0;
    EXPECT_TRUE(autohbw_parse_range("4K", &lo, &hi));
    EXPECT_EQ(4 * K, lo);
    EXPECT_EQ(SIZE_MAX, hi);
    EXPECT_TRUE(autohbw_parse_range("1M:5M", &lo, &hi));
    EXPECT_EQ(M, lo);
    EXPECT_EQ(5 * M, hi);
    EXPECT_TRUE(autohbw_parse_range("1M:", &lo, &hi));
    EXPECT_EQ(SIZE_MAX, hi);
    for (const char *bad :
         {"", ":", ":5M", "5M:1M", "1M:1M", "1M:5M:9M", "1M;5M", "abc", "1M:x"})
        EXPECT_FALSE(autohbw_parse_range(bad, &lo, &hi)) << "\"" << bad << "\"";
}

TEST(AutohbwSize, InRangeIsStrict)
{
    autohbw_config c{};
    c.min_size = M;
    c.max_size = 4 * M;
    // autohbw(7): "larger than x and smaller than y".
    EXPECT_FALSE(autohbw_in_range(&c, M));
    EXPECT_TRUE(autohbw_in_range(&c, M + 1));
    EXPECT_TRUE(autohbw_in_range(&c, 4 * M - 1));
    EXPECT_FALSE(autohbw_in_range(&c, 4 * M));
}

TEST(AutohbwLevel, Bounds)
{
    int v = 7;
    EXPECT_TRUE(autohbw_parse_level("-1", -1, 2, &v));
    EXPECT_EQ(-1, v);
    EXPECT_TRUE(autohbw_parse_level("2", -1, 2, &v));
    EXPECT_EQ(2, v);
    // The library's environment parser (mk_env_parse_long): no blank or
    // '+' in front, nothing behind.
    for (const char *bad :
         {"", "3", "-2", "1x", " 1", "\t1", "+1", "1 ", "one", "0x1"})
        EXPECT_FALSE(autohbw_parse_level(bad, -1, 2, &v)) << bad;
    EXPECT_EQ(2, v) << "a rejected value leaves *out alone";
}

TEST(AutohbwKind, NamesOfTheManPage)
{
    const char *names[] = {"MEMKIND_DEFAULT",
                           "MEMKIND_HUGETLB",
                           "MEMKIND_INTERLEAVE",
                           "MEMKIND_HBW",
                           "MEMKIND_HBW_PREFERRED",
                           "MEMKIND_HBW_HUGETLB",
                           "MEMKIND_HBW_PREFERRED_HUGETLB",
                           "MEMKIND_HBW_GBTLB",
                           "MEMKIND_HBW_PREFERRED_GBTLB",
                           "MEMKIND_GBTLB",
                           "MEMKIND_HBW_INTERLEAVE"};
    for (const char *n : names) {
        autohbw_kind_id id = autohbw_kind_from_name(n);
        ASSERT_NE(AUTOHBW_KIND_COUNT, id) << n;
        EXPECT_STREQ(n, autohbw_kind_name(id));
    }
    for (const char *bad : {"", "memkind_hbw", "MEMKIND_HBW ", "MEMKIND_FOO",
                            "MEMKIND_REGULAR", "HBW"})
        EXPECT_EQ(AUTOHBW_KIND_COUNT, autohbw_kind_from_name(bad)) << bad;
}

TEST(AutohbwConfig, DefaultsAndBadValues)
{
    vars.clear();
    autohbw_config c;
    autohbw_config_parse(&c, get);
    EXPECT_EQ(AUTOHBW_DEFAULT_MIN, c.min_size);
    EXPECT_EQ(SIZE_MAX, c.max_size);
    EXPECT_EQ(1, c.log_level);
    EXPECT_EQ(0, c.debug_level);
    EXPECT_EQ(AUTOHBW_KIND_COUNT, c.kind);
    EXPECT_FALSE(c.bad_size || c.bad_log || c.bad_debug || c.bad_kind);

    vars = {{"AUTO_HBW_SIZE", "4K:8M"},
            {"AUTO_HBW_LOG", "0"},
            {"AUTO_HBW_DEBUG", "2"},
            {"AUTO_HBW_MEM_TYPE", "MEMKIND_HBW"}};
    autohbw_config_parse(&c, get);
    EXPECT_EQ(4 * K, c.min_size);
    EXPECT_EQ(8 * M, c.max_size);
    EXPECT_EQ(0, c.log_level);
    EXPECT_EQ(2, c.debug_level);
    EXPECT_EQ(AUTOHBW_KIND_HBW, c.kind);

    vars = {{"AUTO_HBW_SIZE", "8M:4K"},
            {"AUTO_HBW_LOG", "9"},
            {"AUTO_HBW_DEBUG", "x"},
            {"AUTO_HBW_MEM_TYPE", "nope"}};
    autohbw_config_parse(&c, get);
    EXPECT_TRUE(c.bad_size && c.bad_log && c.bad_debug && c.bad_kind);
    EXPECT_EQ(AUTOHBW_DEFAULT_MIN, c.min_size) << "defaults kept";
    EXPECT_EQ(1, c.log_level);
    EXPECT_EQ(0, c.debug_level);
}
