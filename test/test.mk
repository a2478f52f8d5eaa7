# SPDX-License-Identifier: BSD-2-Clause
# test.mk: make check.  Each test binary is its own TESTS entry (parallel
# harness).  LOG_COMPILER may wrap them (valgrind); MK_TEST_PREFIX too.
