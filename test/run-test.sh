#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run-test.sh PROGRAM [ARGS]: how make check runs each test.  A test program
# runs under $MK_TEST_PREFIX when set (e.g. "valgrind --error-exitcode=1");
# libtool wrapper scripts are run through libtool so that the prefix wraps
# the real binary, not the shell.  Shell scripts run under sh.
#
# Each test gets a TMPDIR of its own inside the caller's, removed afterwards
# whatever happened: a test that crashes or is killed cannot clean up after
# itself.  A test that passes but leaves anything there fails, because a
# test that leaks temporary files is a bug (they piled up in /tmp).  The
# gtest binaries put their directories under TMPDIR too (test/main.cpp).
tdir=$(mktemp -d "${TMPDIR:-/tmp}/mk-test.XXXXXX") || exit 99
trap 'rm -rf "$tdir"' EXIT
trap 'exit 1' HUP INT TERM
TMPDIR=$tdir
export TMPDIR

case "$1" in
    *.sh)
        ${MK_TEST_SHELL:-sh} "$@"
        ;;
    *)
        if [ -n "${MK_TEST_PREFIX:-}" ] && [ -x "${top_builddir:-.}/libtool" ] &&
            head -c 2 "$1" | grep -q '#!'; then
            # shellcheck disable=SC2086  # MK_TEST_PREFIX is a word list
            "${top_builddir:-.}/libtool" --mode=execute $MK_TEST_PREFIX "$@"
        else
            # shellcheck disable=SC2086
            ${MK_TEST_PREFIX:-} "$@"
        fi
        ;;
esac
rc=$?
if [ "$rc" = 0 ] && [ -n "$(ls -A "$tdir")" ]; then
    echo "FAIL: $1 passed but left files in its temporary directory:"
    ls -lAR "$tdir" | head -n 20
    rc=1
fi
exit $rc
