#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pmem-fork-modes.sh: test/kinds/pmem_fork_test under each value of
# MEMKIND_PMEM_FORK other than the default (make check runs the program
# itself for "copy"): none, shared, and an invalid value, which must warn
# once and behave as copy.
set -u
b=${top_builddir:-.}
bin=$b/test/kinds/pmem_fork_test
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
rc=0
for m in none shared; do
    echo "== MEMKIND_PMEM_FORK=$m"
    MEMKIND_PMEM_FORK=$m ${MK_TEST_PREFIX:-} "$bin" || rc=1
done
echo "== MEMKIND_PMEM_FORK=bogus (copy, one warning)"
err=$(mktemp "${TMPDIR:-/tmp}/mk-fork-modes.XXXXXX") || exit 99
MEMKIND_PMEM_FORK=bogus ${MK_TEST_PREFIX:-} "$bin" 2> "$err" || rc=1
n=$(grep -c 'MEMKIND_PMEM_FORK must be copy, none or shared' "$err")
cat "$err" >&2
rm -f "$err"
if [ "$n" != 1 ]; then
    echo "FAIL: an invalid MEMKIND_PMEM_FORK gave $n warnings, not 1"
    rc=1
fi
exit $rc
