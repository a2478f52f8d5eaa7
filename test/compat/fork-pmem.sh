#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# fork-pmem.sh: a PMEM kind is copied, not shared, across fork()
# (DESIGN.md 5 and 8; memkind 1.14 shared the MAP_SHARED file, so parent
# and child handed out and wrote the same memory).
. "$top_srcdir/test/compat/compat-lib.sh"

app=$top_builddir/test/compat/fork_app
compat_need "$app"
dir=$(mktemp -d "${TMPDIR:-/tmp}/mk-fork-pmem.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT HUP INT TERM
to=
command -v timeout >/dev/null 2>&1 && to="timeout 300"
$to "$app" --pmem "$dir"
rc=$?
[ $rc = 124 ] && echo "FAIL: fork_app --pmem did not finish in 300 s (deadlock?)"
[ $rc = 0 ] || exit 1
exit 0
