#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# summary.sh BUILDDIR: adds up the results of the last `make check`.
# googletest binaries count their test cases; other tests count as one.
# Prints one closing line: "N passed, N failed, N skipped".
set -u
dir=${1:-.}
pass=0 fail=0 skip=0
for trs in $(find "$dir" -name '*.trs' | sort); do
    log=${trs%.trs}.log
    res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
    gp=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" 2>/dev/null | tail -n 1)
    gs=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" 2>/dev/null | tail -n 1)
    gf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" 2>/dev/null | tail -n 1)
    if [ -n "$gp$gs$gf" ]; then
        pass=$((pass + ${gp:-0}))
        skip=$((skip + ${gs:-0}))
        fail=$((fail + ${gf:-0}))
        # a crash after some cases passed still fails the binary
        case "$res" in FAIL|ERROR) [ -z "$gf" ] && fail=$((fail + 1)) ;; esac
    else
        case "$res" in
            PASS|XFAIL) pass=$((pass + 1)) ;;
            SKIP) skip=$((skip + 1)) ;;
            *) fail=$((fail + 1)) ;;
        esac
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
