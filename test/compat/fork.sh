#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# fork.sh: parent and child both keep allocating from MEMKIND_DEFAULT and
# a dynamic kind after fork(), also when fork() happens while other threads
# allocate (test/compat/fork_app.c parts 1 and 2).
. "$top_srcdir/test/compat/compat-lib.sh"

app=$top_builddir/test/compat/fork_app
compat_need "$app"
to=
command -v timeout >/dev/null 2>&1 && to="timeout 300"
$to "$app"
rc=$?
[ $rc = 124 ] && echo "FAIL: fork_app did not finish in 300 s (deadlock?)"
[ $rc = 0 ] || exit 1
exit 0
