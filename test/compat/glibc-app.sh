#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# glibc-app.sh: a program using glibc's malloc and memkind heavily,
# interleaved, from 8 threads (test/compat/mixed_app.c); glibc ignores
# MALLOC_CONF, and so must our private jemalloc (DESIGN.md 3).
. "$top_srcdir/test/compat/compat-lib.sh"

app=$top_builddir/test/compat/mixed_app
compat_need "$app"
compat_mixed_suite "glibc malloc" "$app" "" 0
exit $compat_status
