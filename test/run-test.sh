#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run-test.sh PROGRAM [ARGS]: how make check runs each test.  A test program
# runs under $MK_TEST_PREFIX when set (e.g. "valgrind --error-exitcode=1");
# libtool wrapper scripts are run through libtool so that the prefix wraps
# the real binary, not the shell.  Shell scripts run under sh.
case "$1" in
    *.sh) exec ${MK_TEST_SHELL:-sh} "$@" ;;
esac
if [ -n "${MK_TEST_PREFIX:-}" ] && [ -x "${top_builddir:-.}/libtool" ] &&
    head -c 2 "$1" | grep -q '#!'; then
    exec "${top_builddir:-.}/libtool" --mode=execute $MK_TEST_PREFIX "$@"
fi
exec ${MK_TEST_PREFIX:-} "$@"
