// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.cpp - shared googletest main.  Options (after gtest's own):
 *   --pmem-dir=DIR   directory for PMEM kinds and the tests' temporary
 *                    directories (default: $PMEM_DIR, else $TMPDIR, else /tmp)
 * Prints what the machine offers so that skips are easy to read.
 */
#include "common/capabilities.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

std::string mk_test_pmem_dir = "/tmp";

int main(int argc, char **argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    // TMPDIR too, so that `TMPDIR=... make check` keeps every test's
    // directories there (and a leak check can look at one place).
    if (const char *env = getenv("PMEM_DIR"))
        mk_test_pmem_dir = env;
    else if (const char *tmp = getenv("TMPDIR"); tmp && *tmp)
        mk_test_pmem_dir = tmp;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--pmem-dir=", 11) == 0)
            mk_test_pmem_dir = argv[i] + 11;
    }
    std::printf("[ caps     ] pmem dir %s; hugepages 2M: %s; HBW: %s; "
                "NUMA nodes: %d\n",
                mk_test_pmem_dir.c_str(),
                mk_test::has_hugepages() ? "yes" : "no",
                mk_test::has_hbw() ? "yes" : "no", mk_test::numa_nodes());
    return RUN_ALL_TESTS();
}
