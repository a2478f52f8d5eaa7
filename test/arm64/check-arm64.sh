#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check-arm64.sh: make check-arm64.  Cross-builds the library and the
# tests for arm64 (./configure --host=aarch64-linux-gnu) out of tree in
# BUILDDIR/_build/arm64, boots Debian's arm64 kernel once under QEMU with
# two NUMA nodes (test/arm64/mk-arm64-vm, or $ARM64_VM_RUNNER) and runs the
# tests there, each as make check runs it (test/run-test.sh: a temporary
# directory of its own, leaks fail).  Each test's log and result land in
# BUILDDIR/test/arm64/lane/ as .log/.trs pairs, so test/summary.sh counts
# them (googletest cases one by one) with the rest of check-all.
#
# Environment: top_srcdir, top_builddir (absolute), MAKE, MK_LANE_JOBS,
# MK_ARM64_TESTS (the tests, paths relative to the build tree),
# MK_ARM64_BUILDS (what to build for them beyond `make all`),
# MK_ARM64_TIMEOUT (seconds for the VM, default 600).
# Exits 0 when every test passed or skipped; 1 otherwise.  A lane that
# cannot build or boot counts as one failed test.
set -u
src=${top_srcdir:?}
bld=${top_builddir:?}
make=${MAKE:-make}
jobs=${MK_LANE_JOBS:-$(nproc 2>/dev/null || echo 2)}
lane=$bld/_build/arm64
res=$bld/test/arm64/lane
runner=${ARM64_VM_RUNNER:-$src/test/arm64/mk-arm64-vm}
host=aarch64-linux-gnu
start=$(date +%s)

say() { echo "check-arm64: $*"; }
rm -rf "$res" && mkdir -p "$res" "$lane" || exit 1
lane_fail() {
    say "$*"
    echo ":test-result: FAIL" >"$res/check-arm64.trs"
    echo "check-arm64: $*" >"$res/check-arm64.log"
    exit 1
}

# 1. The source copy: what git tracks plus untracked files it does not
# ignore (the working tree as it is), as the hardening lanes make it
# (test/hardening/lane.sh), and the generated autotools files.
(cd "$src" && git rev-parse --is-inside-work-tree) >/dev/null 2>&1 ||
    lane_fail "the source tree is not a git checkout (the lane copies it with git ls-files)"
rm -rf "$lane/src.new" && mkdir -p "$lane/src.new" || lane_fail "cannot make $lane/src.new"
(cd "$src" && git ls-files -co --exclude-standard -z |
    xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh |
    tar -cf - -T -) | tar -xpf - -C "$lane/src.new" || lane_fail "cannot copy the source tree"
if [ -e "$src/configure" ]; then
    (cd "$src" && tar -cf - configure Makefile.in aclocal.m4 config.h.in build-aux m4) |
        tar -xpf - -C "$lane/src.new" || lane_fail "cannot copy the generated files"
else
    (cd "$lane/src.new" && ./autogen.sh >/dev/null 2>&1) || lane_fail "autogen.sh failed"
fi
rm -rf "$lane/src" && mv "$lane/src.new" "$lane/src" || lane_fail "cannot replace $lane/src"

# 2. Configure for arm64 (again only when the arguments change), with the
# jemalloc tarball the main build fetched.
# The test programs (C++, googletest) with CXXFLAGS=-O1 and no debug
# information: kind_api_test.cpp takes 5 s to cross-compile so, 15 s with
# autoconf's "-g -O2", and the test programs are most of the lane's build.
# The library (C) keeps the release flags: it is what the lane tests.
confargs="--host=$host --enable-werror CXXFLAGS=-O1"
tarball=$bld/jemalloc/build/jemalloc-5.3.0.tar.bz2
[ -r "$tarball" ] && confargs="$confargs --with-jemalloc-tarball=$tarball"
command -v "$host-gcc" >/dev/null && command -v "$host-g++" >/dev/null ||
    lane_fail "no $host-gcc/g++ (.ci/install-deps installs gcc-$host and g++-$host)"
[ "$(cat "$lane/build/.lane-args" 2>/dev/null)" = "$confargs" ] || rm -rf "$lane/build"
mkdir -p "$lane/build" && cd "$lane/build" || lane_fail "cannot make $lane/build"
if [ ! -f Makefile ] || [ ! -f .lane-args ]; then
    say "configure $confargs"
    # pkg-config reads the arm64 .pc files (hwloc, libdaxctl, gtest):
    # Debian's bookworm has no $host-pkg-config wrapper.
    # shellcheck disable=SC2086
    if ! PKG_CONFIG_LIBDIR=/usr/lib/$host/pkgconfig:/usr/share/pkgconfig \
        ../src/configure $confargs >lane-configure.log 2>&1; then
        tail -n 30 lane-configure.log
        lane_fail "configure failed (see $lane/build/lane-configure.log)"
    fi
    grep -q '^#define MK_HAVE_HWLOC 1' config.h || say "note: built without hwloc (libhwloc-dev:arm64 missing)"
    echo "$confargs" >.lane-args
fi

# 3. Build the library and only the test programs the lane runs.
# Two makes: `all` runs a sub-make of its own, which would build the
# private jemalloc at the same time as the test programs' make does.
# shellcheck disable=SC2086
if ! { $make -j"$jobs" all && $make -j"$jobs" ${MK_ARM64_BUILDS:-}; } >lane-build.log 2>&1; then
    grep -E 'error|Error' lane-build.log | head -n 30
    lane_fail "build failed (see $lane/build/lane-build.log)"
fi
built=$(date +%s)
say "built in $((built - start)) s"

# 4. The guest's script: each test through test/run-test.sh, its output
# framed on the console so that it can be split into .log files here.
# libtool's wrapper scripts need bash, which the guest lacks: the real
# programs from .libs/ replace them in the guest (LD_LIBRARY_PATH finds
# the library).
stage=$lane/stage
rm -rf "$stage" && mkdir -p "$stage" || lane_fail "cannot make $stage"
guest=$lane/run-tests.sh
{
    echo '#!/bin/sh'
    echo "top_builddir='$lane/build' top_srcdir='$lane/src'"
    echo 'export top_builddir top_srcdir'
    echo 'ulimit -c 0'
    # The tests run one after another in one guest, so what one leaves
    # behind lands on the next: a huge page pool left raised (by a test
    # killed before its clean-up) took the memory the later tests needed.
    # after_test puts the pool back and fails the test that changed it,
    # and copies the kernel's OOM reports (the console shows none at
    # loglevel=1) into the test's log, so that a SIGKILL says why.
    cat <<'EOF'
hp0=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null)
dmesg -c >/dev/null 2>&1
after_test() {
    rc=$1
    dmesg -c 2>/dev/null | grep -E 'invoked oom-killer|oom-kill:|Out of memory' |
        sed 's/^/kernel: /'
    hp=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null)
    if [ "$hp" != "$hp0" ]; then
        echo "FAIL: the test left /proc/sys/vm/nr_hugepages at $hp (it was $hp0); put back"
        echo "$hp0" >/proc/sys/vm/nr_hugepages
        case $rc in 0 | 77) rc=1 ;; esac
    fi
    return "$rc"
}
EOF
    for t in $MK_ARM64_TESTS; do
        echo "echo '@@MK-BEGIN $t'"
        # Scripts are sources; programs are built.
        case $t in *.sh) d=$lane/src ;; *) d=$lane/build ;; esac
        echo "sh '$lane/src/test/run-test.sh' '$d/$t'"
        echo "after_test \$?"
        echo "echo \"@@MK-END $t \$?\""
    done
} >"$guest"
copies=""
# The tools memtier(1) runs (launcher*.sh) go in like the test programs.
tools="src/tools/memkind-hbw-nodes src/tools/memkind-auto-dax-kmem-nodes"
for p in $MK_ARM64_TESTS $tools; do
    case $p in
        *.sh) continue ;;
    esac
    f=$lane/build/$p
    d=$(dirname "$f")
    n=$(basename "$f")
    [ -f "$f" ] || lane_fail "$p was not built"
    if head -c 2 "$f" | grep -q '#!'; then
        # The libtool wrapper: the guest gets the real program at its path.
        real=$d/.libs/$n
        [ -f "$real" ] || real=$d/.libs/lt-$n
        [ -f "$real" ] || lane_fail "no real program behind the wrapper $p"
        mkdir -p "$stage$d" && cp -p "$real" "$stage$d/$n" || lane_fail "cannot stage $p"
    fi
done
# The preload drivers' programs (test/preload/mt_*: real binaries) and
# libraries, the tests' own scripts and data, and the built libraries.
bins=""
for f in "$lane"/build/test/preload/mt_* "$lane"/build/test/preload/.libs/*.so \
    "$lane"/build/src/memtier_preload/memtier "$lane"/build/.libs; do
    [ -e "$f" ] && bins="$bins --copy $f"
done
for p in $MK_ARM64_TESTS $tools; do
    case $p in *.sh) ;; *)
        [ -e "$stage$lane/build/$p" ] || bins="$bins --copy $lane/build/$p" ;;
    esac
done
# hwloc and libdaxctl are dlopen()ed: no NEEDED entry brings them.
for l in libhwloc.so.15 libdaxctl.so.1; do
    [ -e "/usr/lib/$host/$l" ] && bins="$bins --copy /usr/lib/$host/$l"
done
say "booting the arm64 VM ($(echo "$MK_ARM64_TESTS" | wc -w) tests)"
vm_start=$(date +%s)
# shellcheck disable=SC2086
"$runner" --nodes 2 --cpus 2 --ram 4G --timeout "${MK_ARM64_TIMEOUT:-600}" \
    --libdir "$lane/build/.libs" --overlay "$stage" --copy "$lane/src/test" \
    --copy "$lane/build/config.h" --copy "$guest" $bins -- /bin/sh "$guest" >"$res/console.out" 2>"$res/runner.err"
vrc=$?
vm_end=$(date +%s)
[ -s "$res/runner.err" ] && cat "$res/runner.err"
# 5. Split the console into one .log/.trs per test.
awk -v dir="$res" '
    /^@@MK-BEGIN / { name = $2; gsub("/", "_", name); out = dir "/" name ".log"; printf "" > out; next }
    /^@@MK-END / {
        rc = $3; r = rc == 0 ? "PASS" : (rc == 77 ? "SKIP" : "FAIL")
        name = $2; gsub("/", "_", name)
        print ":test-result: " r > (dir "/" name ".trs"); close(dir "/" name ".trs")
        printf "%s: %s\n", r, $2; close(out); out = ""; next }
    out != "" { print > out }
' "$res/console.out"
[ "$vrc" = 0 ] || lane_fail "the VM run failed with status $vrc (see $res/console.out)"
missing=0
for t in $MK_ARM64_TESTS; do
    n=$(echo "$t" | tr / _)
    [ -f "$res/$n.trs" ] || { say "FAIL: $t did not report"; missing=1; }
done
[ $missing = 0 ] || lane_fail "tests did not report (see $res/console.out)"
r=$(sh "$src/test/summary.sh" "$res")
rc=$?
say "$r (build $((built - start)) s, VM $((vm_end - vm_start)) s, total $((vm_end - start)) s)"
exit $rc
