#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run-test-cleanup.sh: test/run-test.sh gives a test its own TMPDIR and
# removes it afterwards, fails a passing test that left files there, and
# keeps the status of a failing or skipped one (still removing its files).
set -u
src=${top_srcdir:-.}
base=$(mktemp -d "${TMPDIR:-/tmp}/mk-runtest.XXXXXX") || exit 99
trap 'rm -rf "$base"' EXIT
trap 'exit 1' HUP INT TERM
nfail=0
nchecks=0
fake=$base/fake.sh
cat >"$fake" <<'FAKE'
case $1 in
    leak) mkdir "$TMPDIR/left" && touch "$TMPDIR/left/file"; exit 0 ;;
    clean) d=$(mktemp -d) && rmdir "$d"; exit 0 ;;
    crash) touch "$TMPDIR/core"; exit 3 ;;
    skip) touch "$TMPDIR/x"; exit 77 ;;
esac
FAKE
# expect MODE STATUS
expect()
{
    TMPDIR=$base/t sh "$src/test/run-test.sh" "$fake" "$1" >"$base/out" 2>&1
    rc=$?
    nchecks=$((nchecks + 2))
    [ "$rc" = "$2" ] || {
        echo "FAIL: $1: status $rc, expected $2: $(cat "$base/out")"
        nfail=$((nfail + 1))
    }
    [ -z "$(ls -A "$base/t")" ] || {
        echo "FAIL: $1: left $(ls -A "$base/t")"
        nfail=$((nfail + 1))
    }
}
mkdir "$base/t" || exit 99
expect clean 0
expect leak 1
expect crash 3
expect skip 77
TMPDIR=$base/t sh "$src/test/run-test.sh" "$fake" leak >"$base/out" 2>&1
nchecks=$((nchecks + 1))
grep -q "passed but left files" "$base/out" || {
    echo "FAIL: a leak is not reported: $(cat "$base/out")"
    nfail=$((nfail + 1))
}
echo "$nchecks checks, $nfail failed"
[ "$nfail" = 0 ]
