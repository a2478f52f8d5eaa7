#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# valgrind.sh TEST...: memcheck over the given test programs of the main
# build (make check-valgrind), through test/run-test.sh with MK_TEST_PREFIX.
# Each test leaves NAME.log and NAME.trs under $top_builddir/_build/valgrind
# (test/summary.sh counts them).  Memory errors fail the test (exit 99).
# The private jemalloc's blocks are invisible to memcheck (it sees mmap);
# what it checks is everything else: uninitialised reads, invalid accesses
# and frees in the library's and the tests' own code.
# MK_VALGRIND_FILTER: a googletest filter.  The default skips cases that
# only repeat the same paths many times (minutes under memcheck).
set -u
src=${top_srcdir:?}
bld=${top_builddir:?}
out=$bld/_build/valgrind
mkdir -p "$out"
rm -f "$out"/*.trs "$out"/*.log
# A missing tool fails the lane, counted (.ci/install-deps installs it).
command -v valgrind >/dev/null 2>&1 || {
    echo "check-valgrind: valgrind not installed (Debian package valgrind)" |
        tee "$out/valgrind.log"
    echo ":test-result: FAIL" > "$out/valgrind.trs"
    exit 1
}
filter=${MK_VALGRIND_FILTER:--*ThousandTimes*:*HundredPmem*:*FillDestroyMiddleRefill*:*SinglePageMmapsFillEveryHole*:*FreshMmapsAfterDefaultChurn*:*EightThreads*:*Hugetlb*:*HUGETLB*:*GBTLB*}
rc=0
start=$(date +%s)
for t in "$@"; do
    name=$(basename "$t")
    log=$out/$name.log
    trs=$out/$name.trs
    t0=$(date +%s)
    MK_TEST_PREFIX="valgrind -q --error-exitcode=99 --leak-check=no --track-origins=no" \
        GTEST_FILTER=$filter top_builddir=$bld top_srcdir=$src \
        sh "$src/test/run-test.sh" "$bld/$t" > "$log" 2>&1
    r=$?
    case $r in
        0) res=PASS ;;
        77) res=SKIP ;;
        *) res=FAIL; rc=1 ;;
    esac
    echo ":test-result: $res" > "$trs"
    echo "$res: valgrind $t ($(($(date +%s) - t0)) s)"
    [ $res = FAIL ] && tail -n 40 "$log"
done
echo "check-valgrind: $(sh "$src/test/summary.sh" "$out") ($(($(date +%s) - start)) s)"
exit $rc
