#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# addr-bits.sh: the address map sized for a wider user address space than
# this machine's (MEMKIND_TEST_ADDR_BITS, read by the OS boundary in
# instrumented builds only: unit_test links the instrumented twin,
# libmemkind_core_fi.la): the white-box address-map tests must run, not
# skip, and pass, with ranges above 2^47 recorded and found.
. "$top_srcdir/test/env/env-lib.sh"

unit=$top_builddir/test/unit/unit_test
[ -x "$unit" ] || skip "test/unit/unit_test not built (no googletest)"

for bits in 48 57; do
    ctx="MEMKIND_TEST_ADDR_BITS=$bits"
    MEMKIND_TEST_ADDR_BITS=$bits "$unit" --gtest_filter='AddressMap.*' \
        > "$out" 2> "$err"
    rc=$?
    check "[ $rc -eq 0 ]" "bits=$bits: unit_test exited $rc: $(tail -n 5 "$out")"
    expect_match "^\[       OK \] AddressMap\.RangesAbove2To47AreRecorded"
    expect_match "^\[       OK \] AddressMap\.AddressesBeyondTheTableAreRefused"
done
finish
