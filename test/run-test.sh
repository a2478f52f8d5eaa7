#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run-test.sh PROGRAM [ARGS]: how make check runs each test.  A test program
# runs under $MK_TEST_PREFIX when set (e.g. "valgrind --error-exitcode=1");
# shell scripts run under sh.
case "$1" in
    *.sh) exec ${MK_TEST_SHELL:-sh} "$@" ;;
    *) exec $MK_TEST_PREFIX "$@" ;;
esac
