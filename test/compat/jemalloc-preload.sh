#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# jemalloc-preload.sh: test/compat/mixed_app.c (a glibc-malloc program) run
# with LD_PRELOAD=libjemalloc.so.2: the preloaded jemalloc becomes the
# application's malloc and stays separate from ours.
. "$top_srcdir/test/compat/compat-lib.sh"

compat_skip_if_sanitized "LD_PRELOAD of another malloc conflicts with the sanitizer's"
app=$top_builddir/test/compat/mixed_app
compat_need "$app"
je=$(compat_find_jemalloc)
if [ -z "$je" ]; then
    compat_skip "libjemalloc.so.2 not installed (apt-get install libjemalloc2)"
fi
compat_mixed_suite "LD_PRELOAD=$je" "$app" "$je" 1
exit $compat_status
