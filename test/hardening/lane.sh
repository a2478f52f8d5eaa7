#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# lane.sh NAME "CONFIGURE ARGS" "TESTS" [VAR=VALUE ...]
#
# A checker lane (make check-asan, check-tsan, check-valgrind): builds the
# library and the tests in a build directory of their own, out of tree
# (VPATH), and runs TESTS ("" = the whole suite) with the given variables in
# the environment.
#
# automake refuses a VPATH build from a source tree that is itself
# configured in place, so the lane first copies the source tree (the files
# git tracks plus untracked ones it does not ignore, i.e. the working tree
# as it is, and the generated autotools files) to
# BUILDDIR/_build/lane-NAME/src, keeping modification times: an unchanged
# file is not rebuilt the next time.  The build directory next to it is
# made afresh only when the configure arguments change.  The private
# jemalloc is built from the tarball the main build fetched.
#
# Environment: top_srcdir, top_builddir (absolute), MAKE, MK_LANE_JOBS,
# MK_LANE_MAKEVARS (VAR=VALUE words given to every make of the lane).
# Exits with the lane's status; the lane's *.trs files stay under
# BUILDDIR/_build, where test/summary.sh counts them.
set -u
name=$1
confargs=$2
tests=$3
shift 3

src=${top_srcdir:?}
bld=${top_builddir:?}
make=${MAKE:-make}
jobs=${MK_LANE_JOBS:-$(nproc 2>/dev/null || echo 2)}
lane=$bld/_build/lane-$name
start=$(date +%s)

say() { echo "check-$name: $*"; }

# One run of a lane at a time per build tree.  A second run would replace
# the source copy and the build directory (and make check would delete the
# logs) under the tests of the first: a test whose log is unlinked while it
# runs ends with its status and no output at all.  flock is util-linux's.
if [ -z "${MK_LANE_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    mkdir -p "$lane" || exit 1
    MK_LANE_LOCKED=1 exec flock "$lane.lock" \
        sh "$0" "$name" "$confargs" "$tests" "$@"
fi

# A lane that cannot build counts as one failed test in the summary.
lane_fail()
{
    say "$*"
    echo ":test-result: FAIL" > "$bld/_build/lane-$name.trs"
    echo "check-$name: $*" > "$bld/_build/lane-$name.log"
    exit 1
}
mkdir -p "$bld/_build" || exit 1
rm -f "$bld/_build/lane-$name.trs" "$bld/_build/lane-$name.log"
mvars=${MK_LANE_MAKEVARS:-}

if ! (cd "$src" && git rev-parse --is-inside-work-tree) >/dev/null 2>&1; then
    # Counted, with its reason: a release tarball has no git index to copy.
    say "SKIP: the source tree is not a git checkout (the lanes copy it with git ls-files)"
    echo ":test-result: SKIP" > "$bld/_build/lane-$name.trs"
    echo "check-$name: SKIP: not a git checkout" > "$bld/_build/lane-$name.log"
    exit 0
fi

# 1. The source copy (tracked + untracked-not-ignored, as in the work tree).
rm -rf "$lane/src.new" && mkdir -p "$lane/src.new" ||
    lane_fail "cannot make $lane/src.new"
(cd "$src" && git ls-files -co --exclude-standard -z |
    xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh |
    tar -cf - -T -) | tar -xpf - -C "$lane/src.new" ||
    lane_fail "cannot copy the source tree"
gen=""
for f in configure Makefile.in aclocal.m4 config.h.in build-aux m4; do
    [ -e "$src/$f" ] && gen="$gen $f"
done
if [ -e "$src/configure" ]; then
    # shellcheck disable=SC2086
    (cd "$src" && tar -cf - $gen) | tar -xpf - -C "$lane/src.new" ||
        lane_fail "cannot copy the generated files"
else
    (cd "$lane/src.new" && ./autogen.sh >/dev/null 2>&1) ||
        lane_fail "autogen.sh failed"
fi
rm -rf "$lane/src" && mv "$lane/src.new" "$lane/src" ||
    lane_fail "cannot replace $lane/src"

# 2. Configure (again only when the arguments changed).
tarball=$bld/jemalloc/build/jemalloc-5.3.0.tar.bz2
case "$confargs" in *--with-jemalloc-tarball*) ;; *)
    [ -r "$tarball" ] && confargs="$confargs --with-jemalloc-tarball=$tarball" ;;
esac
if [ "$(cat "$lane/build/.lane-args" 2>/dev/null)" != "$confargs" ]; then
    # New arguments: a clean build directory (the jemalloc stamps do not
    # depend on configure's choices, e.g. --enable-debug).
    rm -rf "$lane/build"
fi
mkdir -p "$lane/build" && cd "$lane/build" ||
    lane_fail "cannot make $lane/build"
if [ ! -f Makefile ] || [ ! -f .lane-args ]; then
    say "configure $confargs"
    # shellcheck disable=SC2086
    if ! ../src/configure $confargs > lane-configure.log 2>&1; then
        tail -n 30 lane-configure.log
        lane_fail "configure failed"
    fi
    echo "$confargs" > .lane-args
fi

# 3. Build, then run the tests (old results first removed).
find . -name '*.trs' -exec rm -f {} + 2>/dev/null
# shellcheck disable=SC2086
if ! $make -j"$jobs" $mvars > lane-build.log 2>&1; then
    grep -E 'error|Error' lane-build.log | head -n 30
    lane_fail "build failed (see $lane/build/lane-build.log)"
fi
built=$(date +%s)
rc=0
if [ -n "$tests" ]; then
    # check-TESTS builds only the programs these tests need.
    env "$@" $make -j"$jobs" $mvars -k check-TESTS TESTS="$tests" > lane-check.log 2>&1 || rc=1
else
    env "$@" $make -j"$jobs" $mvars -k check > lane-check.log 2>&1 || rc=1
fi
end=$(date +%s)
if [ $rc != 0 ]; then
    [ -f test-suite.log ] && cat test-suite.log
    grep -E '^(FAIL|ERROR|XPASS)' lane-check.log
fi
res=$(sh "$src/test/summary.sh" .)
say "$res (build $((built - start)) s, tests $((end - built)) s)"
# make failed, yet no test failed (a test program that did not build, a
# killed make): the lane itself counts as a failure, never as a pass.
if [ $rc != 0 ] && sh "$src/test/summary.sh" . >/dev/null; then
    lane_fail "make check failed outside the tests (see $lane/build/lane-check.log)"
fi
exit $rc
