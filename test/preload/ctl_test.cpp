// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl_test.cpp - the MEMKIND_MEM_TIERS / MEMKIND_MEM_THRESHOLDS parser of
 * libmemtier (src/memtier_preload/ctl.c), called directly: no preload.
 * Valid values come from libmemtier(7) and from what memkind 1.14's
 * library accepted; each invalid one must give MEMKIND_ERROR_ENVIRON and
 * one message that names the problem.
 */
#include "ctl.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

namespace
{

struct Parsed {
    int rc;
    mk_ctl_config cfg;
    std::string err;
};

Parsed parse(const char *tiers, const char *thresholds = nullptr)
{
    Parsed p;
    char err[MK_CTL_ERR_LEN];
    std::memset(&p.cfg, 0xa5, sizeof(p.cfg));
    p.rc = mk_ctl_parse(tiers, thresholds, &p.cfg, err, sizeof(err));
    p.err = err;
    return p;
}

std::string path_of(const mk_ctl_tier &t)
{
    return t.path ? std::string(t.path, t.path_len) : std::string("(null)");
}

const char *const DYN2 =
    "KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:/p,RATIO:4;POLICY:DYNAMIC_THRESHOLD";
const char *const DYN3 = "KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:/p,RATIO:4;"
                         "KIND:FS_DAX,PATH:/q,RATIO:4;POLICY:DYNAMIC_THRESHOLD";

} // namespace

TEST(MemtierCtl, OneDramTier)
{
    Parsed p = parse("KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ("", p.err);
    EXPECT_EQ(MEMTIER_POLICY_STATIC_RATIO, p.cfg.policy);
    ASSERT_EQ(1u, p.cfg.ntiers);
    EXPECT_EQ(0u, p.cfg.nthresholds);
    EXPECT_EQ(MK_CTL_DRAM, p.cfg.tiers[0].kind);
    EXPECT_EQ(1u, p.cfg.tiers[0].ratio);
    EXPECT_EQ(nullptr, p.cfg.tiers[0].path);
    EXPECT_EQ(0u, p.cfg.tiers[0].pmem_size);
}

// libmemtier(7) EXAMPLES, first example.
TEST(MemtierCtl, ManPageFsDaxExample)
{
    Parsed p = parse("KIND:FS_DAX,PATH:/mnt/pmem0,PMEM_SIZE_LIMIT:10G,RATIO:1;"
                     "KIND:DRAM,RATIO:4;POLICY:STATIC_RATIO");
    ASSERT_EQ(0, p.rc) << p.err;
    ASSERT_EQ(2u, p.cfg.ntiers);
    EXPECT_EQ(MK_CTL_FS_DAX, p.cfg.tiers[0].kind);
    EXPECT_EQ("/mnt/pmem0", path_of(p.cfg.tiers[0]));
    EXPECT_EQ((size_t)10 << 30, p.cfg.tiers[0].pmem_size);
    EXPECT_EQ(1u, p.cfg.tiers[0].ratio);
    EXPECT_EQ(MK_CTL_DRAM, p.cfg.tiers[1].kind);
    EXPECT_EQ(4u, p.cfg.tiers[1].ratio);
}

// libmemtier(7) EXAMPLES, threshold example.
TEST(MemtierCtl, ManPageThresholdExample)
{
    Parsed p = parse(
        "KIND:DRAM,RATIO:1;KIND:KMEM_DAX,RATIO:4;POLICY:DYNAMIC_THRESHOLD",
        "INIT_VAL:64,MIN_VAL:1,MAX_VAL:10000");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ(MEMTIER_POLICY_DYNAMIC_THRESHOLD, p.cfg.policy);
    ASSERT_EQ(2u, p.cfg.ntiers);
    EXPECT_EQ(MK_CTL_KMEM_DAX, p.cfg.tiers[1].kind);
    ASSERT_EQ(1u, p.cfg.nthresholds);
    EXPECT_EQ(64u, p.cfg.thresholds[0].val);
    EXPECT_EQ(1u, p.cfg.thresholds[0].min);
    EXPECT_EQ(10000u, p.cfg.thresholds[0].max);
}

// libmemtier(7) POLICIES: 1024 [513, 1536], then each further threshold
// 1024 higher.
TEST(MemtierCtl, DefaultThresholds)
{
    Parsed p = parse(DYN3);
    ASSERT_EQ(0, p.rc) << p.err;
    ASSERT_EQ(2u, p.cfg.nthresholds);
    EXPECT_EQ(1024u, p.cfg.thresholds[0].val);
    EXPECT_EQ(513u, p.cfg.thresholds[0].min);
    EXPECT_EQ(1536u, p.cfg.thresholds[0].max);
    EXPECT_EQ(2048u, p.cfg.thresholds[1].val);
    EXPECT_EQ(1537u, p.cfg.thresholds[1].min);
    EXPECT_EQ(2560u, p.cfg.thresholds[1].max);
}

// Parameters left out keep their defaults; an empty item keeps them all.
TEST(MemtierCtl, PartialThresholds)
{
    Parsed p = parse(DYN2, "MIN_VAL:1");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ(1024u, p.cfg.thresholds[0].val);
    EXPECT_EQ(1u, p.cfg.thresholds[0].min);
    EXPECT_EQ(1536u, p.cfg.thresholds[0].max);

    p = parse(DYN2, "INIT_VAL:1K,MIN_VAL:1,MAX_VAL:1M");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ(1024u, p.cfg.thresholds[0].val);
    EXPECT_EQ(1u << 20, p.cfg.thresholds[0].max);

    p = parse(DYN3, ";INIT_VAL:2000");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ(1024u, p.cfg.thresholds[0].val);
    EXPECT_EQ(2000u, p.cfg.thresholds[1].val);
    EXPECT_EQ(1537u, p.cfg.thresholds[1].min);

    p = parse(DYN2, "INIT_VAL:0,MIN_VAL:0,MAX_VAL:0");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ(0u, p.cfg.thresholds[0].max);

    p = parse(DYN2, "INIT_VAL:64,MIN_VAL:1,MAX_VAL:10000,");
    EXPECT_EQ(0, p.rc) << p.err;
}

TEST(MemtierCtl, AcceptedSpellings)
{
    // Any parameter order; a trailing comma (1.14 took it); DAX_KMEM as
    // another name of KMEM_DAX.
    Parsed p = parse("RATIO:2,KIND:DRAM,;KIND:DAX_KMEM,RATIO:3;"
                     "POLICY:STATIC_RATIO");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ(2u, p.cfg.tiers[0].ratio);
    EXPECT_EQ(MK_CTL_KMEM_DAX, p.cfg.tiers[1].kind);
    // A path keeps colons after the first one.
    p = parse("KIND:FS_DAX,PATH:/a:b,RATIO:1;POLICY:STATIC_RATIO");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ("/a:b", path_of(p.cfg.tiers[0]));
    // Several FS_DAX tiers are allowed, even in one directory.
    p = parse("KIND:FS_DAX,PATH:/x,RATIO:1;KIND:FS_DAX,PATH:/x,RATIO:1;"
              "POLICY:STATIC_RATIO");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ(2u, p.cfg.ntiers);
    p = parse("KIND:DRAM,RATIO:4294967295;POLICY:STATIC_RATIO");
    ASSERT_EQ(0, p.rc) << p.err;
    EXPECT_EQ(UINT_MAX, p.cfg.tiers[0].ratio);
}

TEST(MemtierCtl, Sizes)
{
    const struct {
        const char *text;
        size_t value;
    } cases[] = {
        {"0", 0},
        {"1", 1},
        {"1K", 1024},
        {"16M", (size_t)16 << 20},
        {"16m", (size_t)16 << 20},
        {"2G", (size_t)2 << 30},
        {"16384K", (size_t)16 << 20},
        {"18446744073709551615", SIZE_MAX},
        {"17179869183G", (size_t)17179869183 << 30},
    };
    for (const auto &c : cases) {
        std::string s = std::string("KIND:FS_DAX,PATH:/p,PMEM_SIZE_LIMIT:") +
                        c.text + ",RATIO:1;POLICY:STATIC_RATIO";
        Parsed p = parse(s.c_str());
        ASSERT_EQ(0, p.rc) << c.text << ": " << p.err;
        EXPECT_EQ(c.value, p.cfg.tiers[0].pmem_size) << c.text;
    }
}

struct BadCase {
    const char *tiers;
    const char *thresholds;
    const char *message; ///< a part of the expected message
};

class MemtierCtlBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(MemtierCtlBad, RefusedWithOneClearMessage)
{
    const BadCase &c = GetParam();
    Parsed p = parse(c.tiers, c.thresholds);
    EXPECT_EQ(MEMKIND_ERROR_ENVIRON, p.rc);
    EXPECT_NE(std::string::npos, p.err.find(c.message)) << "message: " << p.err;
    EXPECT_EQ(std::string::npos, p.err.find('\n')) << p.err;
    EXPECT_LT(p.err.size(), (size_t)MK_CTL_ERR_LEN - 1) << p.err;
}

#define T1 "KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO"

INSTANTIATE_TEST_SUITE_P(
    Tiers, MemtierCtlBad,
    ::testing::Values(
        BadCase{nullptr, nullptr, "MEMKIND_MEM_TIERS is not set"},
        BadCase{"", nullptr, "MEMKIND_MEM_TIERS is empty"},
        BadCase{"KIND:DRAM,RATIO:1", nullptr, "last item must be POLICY"},
        BadCase{"POLICY:STATIC_RATIO", nullptr, "no tier before POLICY"},
        BadCase{"KIND:DRAM,RATIO:1;;POLICY:STATIC_RATIO", nullptr,
                "item 2 is empty"},
        BadCase{";" T1, nullptr, "item 1 is empty"},
        BadCase{T1 ";", nullptr, "follows POLICY"},
        BadCase{T1 ";KIND:FS_DAX,PATH:/p,RATIO:1", nullptr, "follows POLICY"},
        BadCase{"KIND:DRAM,RATIO:1;POLICY:static_ratio", nullptr,
                "unknown POLICY static_ratio"},
        BadCase{"KIND:DRAM,RATIO:1;POLICY:", nullptr, "unknown POLICY"},
        BadCase{"KIND:DRAM,RATIO:1,POLICY:STATIC_RATIO", nullptr,
                "POLICY must be an item of its own"},
        BadCase{"KIND:dram,RATIO:1;POLICY:STATIC_RATIO", nullptr,
                "unknown KIND dram"},
        BadCase{"KIND:DRAM:X,RATIO:1;POLICY:STATIC_RATIO", nullptr,
                "unknown KIND DRAM:X"},
        BadCase{"kind:DRAM,RATIO:1;POLICY:STATIC_RATIO", nullptr,
                "unknown parameter kind"},
        BadCase{"KIND:DRAM,KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO", nullptr,
                "KIND is given twice"},
        BadCase{"KIND:DRAM;POLICY:STATIC_RATIO", nullptr, "RATIO is missing"},
        BadCase{"RATIO:1;POLICY:STATIC_RATIO", nullptr, "KIND is missing"},
        BadCase{"KIND:DRAM,RATIO;POLICY:STATIC_RATIO", nullptr,
                "RATIO is not NAME:VALUE"},
        BadCase{"KIND:,RATIO:1;POLICY:STATIC_RATIO", nullptr,
                "KIND has no value"},
        BadCase{"KIND:FS_DAX,RATIO:1;POLICY:STATIC_RATIO", nullptr,
                "KIND:FS_DAX needs a PATH"},
        BadCase{"KIND:FS_DAX,PATH:,RATIO:1;POLICY:STATIC_RATIO", nullptr,
                "PATH has no value"},
        BadCase{"KIND:FS_DAX,PATH:/a,PATH:/b,RATIO:1;POLICY:STATIC_RATIO",
                nullptr, "PATH is given twice"},
        BadCase{"KIND:DRAM,PATH:/p,RATIO:1;POLICY:STATIC_RATIO", nullptr,
                "PATH is allowed only with KIND:FS_DAX"},
        BadCase{"KIND:KMEM_DAX,PMEM_SIZE_LIMIT:1G,RATIO:1;POLICY:STATIC_RATIO",
                nullptr, "PMEM_SIZE_LIMIT is allowed only with KIND:FS_DAX"},
        BadCase{"KIND:DRAM,RATIO:1;KIND:DRAM,RATIO:2;POLICY:STATIC_RATIO",
                nullptr, "KIND DRAM is already tier 1"},
        BadCase{"KIND:DRAM,RATIO:1;KIND:KMEM_DAX,RATIO:1;KIND:DAX_KMEM,"
                "RATIO:1;POLICY:STATIC_RATIO",
                nullptr,
                "tier 3 (KIND:DAX_KMEM,RATIO:1): KIND KMEM_DAX is "
                "already tier 2"},
        BadCase{"KIND:DRAM,RATIO:1;POLICY:DYNAMIC_THRESHOLD", nullptr,
                "needs at least 2 tiers"},
        BadCase{"KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:/p,RATIO:1,FOO:1;"
                "POLICY:STATIC_RATIO",
                nullptr,
                "tier 2 (KIND:FS_DAX,PATH:/p,RATIO:1,FOO:1): "
                "unknown parameter FOO"}));

INSTANTIATE_TEST_SUITE_P(
    Ratios, MemtierCtlBad,
    ::testing::Values(
        // COMPAT(1.14): strtoul let "+1", " 1", "1x" and "1:2" through.
        BadCase{"KIND:DRAM,RATIO:0;POLICY:STATIC_RATIO", nullptr, "RATIO 0"},
        BadCase{"KIND:DRAM,RATIO:4294967296;POLICY:STATIC_RATIO", nullptr,
                "RATIO 4294967296"},
        BadCase{"KIND:DRAM,RATIO:-1;POLICY:STATIC_RATIO", nullptr, "RATIO -1"},
        BadCase{"KIND:DRAM,RATIO:+1;POLICY:STATIC_RATIO", nullptr, "RATIO +1"},
        BadCase{"KIND:DRAM,RATIO: 1;POLICY:STATIC_RATIO", nullptr, "RATIO  1"},
        BadCase{"KIND:DRAM,RATIO:1x;POLICY:STATIC_RATIO", nullptr, "RATIO 1x"},
        BadCase{"KIND:DRAM,RATIO:1:2;POLICY:STATIC_RATIO", nullptr,
                "RATIO 1:2"}));

#define FSL(s)                                                                 \
    "KIND:FS_DAX,PATH:/p,PMEM_SIZE_LIMIT:" s ",RATIO:1;POLICY:STATIC_RATIO"

INSTANTIATE_TEST_SUITE_P(
    Sizes, MemtierCtlBad,
    ::testing::Values(
        BadCase{FSL("1T"), nullptr, "PMEM_SIZE_LIMIT 1T is not a size"},
        BadCase{FSL("1KB"), nullptr, "PMEM_SIZE_LIMIT 1KB is not a size"},
        BadCase{FSL("G"), nullptr, "PMEM_SIZE_LIMIT G is not a size"},
        BadCase{FSL("1Gx"), nullptr, "is not a size"},
        BadCase{FSL("-1"), nullptr, "is not a size"},
        BadCase{FSL("18446744073709551616"), nullptr, "is too big"},
        BadCase{FSL("17179869184G"), nullptr, "is too big"}));

INSTANTIATE_TEST_SUITE_P(
    Thresholds, MemtierCtlBad,
    ::testing::Values(
        BadCase{T1, "", "applies only to POLICY:DYNAMIC_THRESHOLD"},
        BadCase{T1, "INIT_VAL:64", "applies only to POLICY:DYNAMIC_THRESHOLD"},
        BadCase{DYN2, "INIT_VAL:64",
                "INIT_VAL 64 is not between MIN_VAL 513 and MAX_VAL 1536"},
        BadCase{DYN2, "INIT_VAL:5,MIN_VAL:10,MAX_VAL:20", "INIT_VAL 5"},
        BadCase{DYN2, "INIT_VAL=64,MIN_VAL=1", "is not NAME:VALUE"},
        BadCase{DYN2, "INIT_VAL:64,INIT_VAL:65,MIN_VAL:1",
                "INIT_VAL is given twice"},
        BadCase{DYN2, "INIT_VAL:64,MIN_VAL:1,MAX_VAL:10000;INIT_VAL:64",
                "more than 1 threshold(s) for 2 tiers"},
        BadCase{DYN2, ";", "more than 1 threshold(s)"},
        BadCase{DYN2, "FOO:1", "unknown parameter FOO"},
        BadCase{DYN2, "INIT_VAL:x", "INIT_VAL x is not a size"},
        BadCase{DYN2, "MAX_VAL:99999999999999999999",
                "MAX_VAL "
                "99999999999999999999 is "
                "too big"},
        BadCase{DYN3,
                "INIT_VAL:64,MIN_VAL:1,MAX_VAL:10000;INIT_VAL:5000,MIN_VAL:"
                "100,MAX_VAL:20000",
                "threshold 2: MIN_VAL 100 is below MAX_VAL 10000 of threshold "
                "1"}));

TEST(MemtierCtl, TooManyTiers)
{
    std::string s;
    for (int i = 0; i <= MK_CTL_MAX_TIERS; ++i)
        s += "KIND:FS_DAX,PATH:/p,RATIO:1;";
    std::string ok = s.substr(s.find(';') + 1) + "POLICY:STATIC_RATIO";
    Parsed p = parse(ok.c_str());
    EXPECT_EQ(0, p.rc) << p.err;
    EXPECT_EQ((unsigned)MK_CTL_MAX_TIERS, p.cfg.ntiers);
    s += "POLICY:STATIC_RATIO";
    p = parse(s.c_str());
    EXPECT_EQ(MEMKIND_ERROR_ENVIRON, p.rc);
    EXPECT_NE(std::string::npos, p.err.find("more than 16 tiers")) << p.err;
}

// Messages quote the offending text, shortened when long.
TEST(MemtierCtl, LongValuesAreShortenedInMessages)
{
    std::string kind(500, 'X');
    std::string s = "KIND:" + kind + ",RATIO:1;POLICY:STATIC_RATIO";
    Parsed p = parse(s.c_str());
    EXPECT_EQ(MEMKIND_ERROR_ENVIRON, p.rc);
    EXPECT_NE(std::string::npos, p.err.find("...")) << p.err;
    EXPECT_LT(p.err.size(), (size_t)MK_CTL_ERR_LEN - 1);
}

// The parser neither keeps state nor writes to its input, and takes any
// error buffer (or none).
TEST(MemtierCtl, PureFunction)
{
    const char *in = "KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:/mnt/p,"
                     "PMEM_SIZE_LIMIT:1G,RATIO:3;POLICY:DYNAMIC_THRESHOLD";
    std::string copy = in;
    Parsed a = parse(copy.c_str(), "INIT_VAL:100,MIN_VAL:10");
    Parsed bad = parse("KIND:FOO;POLICY:STATIC_RATIO");
    Parsed b = parse(copy.c_str(), "INIT_VAL:100,MIN_VAL:10");
    EXPECT_EQ(in, copy);
    ASSERT_EQ(0, a.rc);
    ASSERT_EQ(0, b.rc);
    EXPECT_NE(0, bad.rc);
    EXPECT_EQ(a.cfg.ntiers, b.cfg.ntiers);
    EXPECT_EQ(a.cfg.thresholds[0].val, b.cfg.thresholds[0].val);
    EXPECT_EQ(a.cfg.tiers[1].pmem_size, b.cfg.tiers[1].pmem_size);
    // The path points into the caller's string.
    EXPECT_GE(a.cfg.tiers[1].path, copy.c_str());
    EXPECT_LT(a.cfg.tiers[1].path, copy.c_str() + copy.size());

    mk_ctl_config cfg;
    EXPECT_EQ(MEMKIND_ERROR_ENVIRON,
              mk_ctl_parse("KIND:FOO;POLICY:STATIC_RATIO", nullptr, &cfg,
                           nullptr, 0));
    char small[8];
    EXPECT_EQ(MEMKIND_ERROR_ENVIRON,
              mk_ctl_parse("KIND:FOO;POLICY:STATIC_RATIO", nullptr, &cfg, small,
                           sizeof(small)));
    EXPECT_EQ(7u, std::strlen(small));
    EXPECT_EQ(MEMKIND_ERROR_ENVIRON,
              mk_ctl_parse(T1, nullptr, nullptr, small, sizeof(small)));
}

TEST(MemtierCtl, LogLevel)
{
    const char *good[] = {"0", "1", "2", "00", "02"};
    const unsigned want[] = {0, 1, 2, 0, 2};
    for (unsigned i = 0; i < 5; ++i) {
        unsigned level = 99;
        EXPECT_EQ(0, mk_ctl_parse_log_level(good[i], &level)) << good[i];
        EXPECT_EQ(want[i], level) << good[i];
    }
    const char *bad[] = {
        "3", "-1", "", "x", "1 ", " 1", "99999999999999999999"};
    for (const char *b : bad) {
        unsigned level = 99;
        EXPECT_EQ(MEMKIND_ERROR_ENVIRON, mk_ctl_parse_log_level(b, &level))
            << b;
        EXPECT_EQ(99u, level) << b;
    }
    unsigned level;
    EXPECT_EQ(MEMKIND_ERROR_ENVIRON, mk_ctl_parse_log_level(nullptr, &level));
}

TEST(MemtierCtl, KindNames)
{
    EXPECT_STREQ("DRAM", mk_ctl_kind_name(MK_CTL_DRAM));
    EXPECT_STREQ("KMEM_DAX", mk_ctl_kind_name(MK_CTL_KMEM_DAX));
    EXPECT_STREQ("FS_DAX", mk_ctl_kind_name(MK_CTL_FS_DAX));
}
