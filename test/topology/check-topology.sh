#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check-topology.sh: the NUMA topology lane (make check-topology, issue
# 18).  Boots QEMU once per topology (test/topology/NAME.topo) with the
# VM runner of the DAX lane (test/dax/vm/mk-dax-vm: --numa, --hmat,
# --kmem-node) and runs test/topology/guest.sh inside: the node lists,
# distances and HMAT attributes in /sys, then topo_place's placement
# checks (every kind, hbwmalloc's policies, memkind_create_kind,
# memkind_get_capacity) against the expectations written in NAME.topo,
# with our libmemkind and then with Debian's memkind 1.14 (downloaded with
# apt-get download and unpacked here, never installed) for comparison.
#
# A .topo file is data: "vm OPTIONS" (the runner's options), "qemu -numa
# ..." / "qemu -object ..." (the guest's NUMA layout), then the checks
# (see guest.sh and topo_place.c).  The expectations come from the
# topology's description, not from a run of any library.
#
# Each "1.14 differs:" line says why ours is right, from the table
# test/topology/known-1.14 (guest.sh picks the row by what the two runs
# show); one without a known reason reads "1.14 differs (unexplained):"
# and is counted on the "1.14:" summary line, so that new ones are seen.
#
# Prints one "topology NAME: pass|FAIL" line per topology and ends with
# "N passed, N failed, N skipped"; results land in
# test/topology/lane/NAME.log/.trs for test/summary.sh.  Exit 0 only when
# every topology booted, ran to its end and had no failure.
#
# Cost (TCG, 2 cores, this workplace): see topology.mk.
# Environment: top_builddir, top_srcdir (absolute; set by make),
# MK_TOPOLOGIES (default: every test/topology/*.topo), MK_TOPO_TIMEOUT
# (seconds per boot, default 240), MK_DAX_VM_CACHE (mk-dax-vm's cache),
# MK_TOPO_NO_114=1 (leave the 1.14 comparison out).
set -u
B=${top_builddir:?} S=${top_srcdir:?}
runner=$S/test/dax/vm/mk-dax-vm
limit=${MK_TOPO_TIMEOUT:-240}
t_start=$(date +%s)
say() { echo "check-topology: $*"; }

topos=${MK_TOPOLOGIES:-}
if [ -z "$topos" ]; then
    for f in "$S"/test/topology/*.topo; do
        n=${f##*/}
        topos="$topos ${n%.topo}"
    done
fi
lane=$B/test/topology/lane
rm -rf "$lane"
mkdir -p "$lane"
work=$(mktemp -d "${TMPDIR:-/tmp}/mk-check-topo.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' HUP INT TERM

# result NAME PASS|FAIL|SKIP P F S LOGFILE: one automake result with the
# lane's counts in googletest words (test/summary.sh adds them up).
result() {
    cp "$6" "$lane/$1.log" 2>/dev/null || : >"$lane/$1.log"
    printf '[  PASSED  ] %d tests (lane total).\n[  SKIPPED ] %d tests (lane total).\n[  FAILED  ] %d tests (lane total).\n' \
        "$3" "$5" "$4" >>"$lane/$1.log"
    printf ':test-result: %s\n:global-test-result: %s\n' "$2" "$2" >"$lane/$1.trs"
}

prog=$B/test/topology/.libs/topo_place
[ -x "$prog" ] || prog=$B/test/topology/topo_place
if ! [ -x "$prog" ] || ! [ -x "$runner" ]; then
    say "FAIL: $prog or $runner missing (run from the build tree)"
    echo "not built" >"$work/nb"
    result build FAIL 0 1 0 "$work/nb"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

if ! "$runner" --prepare >"$work/prepare.log" 2>&1; then
    say "FAIL: $runner --prepare failed"
    tail -n 20 "$work/prepare.log"
    result prepare FAIL 0 1 0 "$work/prepare.log"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

# Debian's memkind 1.14, unpacked only.  Without it the comparison is one
# counted skip.
pass=0 fail=0 skip=0 unexplained=0
lib114=""
if [ "${MK_TOPO_NO_114:-0}" != 1 ] &&
   (cd "$work" && apt-get download -q libmemkind0) >"$work/apt.log" 2>&1 &&
   dpkg-deb -x "$work"/libmemkind0_*.deb "$work/deb" 2>>"$work/apt.log" &&
   [ -e "$work/deb/usr/lib/x86_64-linux-gnu/libmemkind.so.0" ]; then
    lib114=$work/deb/usr/lib/x86_64-linux-gnu
    say "comparing with $(cd "$work" && ls libmemkind0_*.deb)"
else
    say "SKIP: no comparison with memkind 1.14 ($(tail -n 1 "$work/apt.log" 2>/dev/null))"
    echo "no libmemkind0 1.14" >"$work/skip114"
    result memkind-1.14 SKIP 0 0 1 "$work/skip114"
    skip=1
fi

# libmemkind dlopen()s libhwloc (src/hmat.c), so ldd does not list it: it
# goes into the guest by name, with its own libraries.
hwloc=$(ldconfig -p 2>/dev/null | sed -n 's/.*libhwloc\.so\.15 .*=> //p' | head -n 1)
copies="--copy $S/test/topology/guest.sh --copy $prog"
copies="$copies --copy $S/test/topology/known-1.14 --env TOPO_KNOWN_114=$S/test/topology/known-1.14"
[ -n "$hwloc" ] && copies="$copies --copy $hwloc"
[ -n "$lib114" ] && copies="$copies --copy $lib114/libmemkind.so.0 --copy $lib114/libmemtier.so.0"
# The libmemtier checks ("memtier" lines): tier_probe under our libmemtier.
probe=$B/test/topology/tier_probe
copies="$copies --copy $probe --copy $B/.libs/libmemtier.so.0"
copies="$copies --env TOPO_TIER_PROBE=$probe --env TOPO_MEMTIER_LIB=$B/.libs/libmemtier.so.0"
# The memtier(1) launcher ("memtier-tool" lines): the build tree's script,
# which finds ../../.libs/libmemtier.so from where it lies.
copies="$copies --copy $B/src/memtier_preload/memtier --copy $B/.libs/libmemtier.so"
copies="$copies --env TOPO_MEMTIER_TOOL=$B/src/memtier_preload/memtier"
# The tools, real binaries (not libtool's wrappers).
tools=$B/src/tools/.libs
[ -x "$tools/memkind-hbw-nodes" ] || tools=$B/src/tools
copies="$copies --copy $tools/memkind-hbw-nodes --copy $tools/memkind-auto-dax-kmem-nodes --env TOPO_TOOLS=$tools"
# OpenMP (LLVM's libomp5): omp_place, built here against libomp.so.5; in
# the guest libomp dlopen()s "libmemkind.so", so that name goes along (a
# copy of the library, which omp_place does not link otherwise).
if "${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 -o "$work/omp_place" "$S/test/topology/omp_place.c" \
       -l:libomp.so.5 >"$work/omp.log" 2>&1; then
    copies="$copies --copy $work/omp_place --copy $B/.libs/libmemkind.so --env TOPO_OMP=$work/omp_place"
    if [ -n "$lib114" ]; then
        ln -s libmemkind.so.0 "$lib114/libmemkind.so" && copies="$copies --copy $lib114/libmemkind.so"
    fi
else
    say "SKIP: OpenMP checks: cannot build omp_place against libomp.so.5 (libomp5-14): $(tail -n 1 "$work/omp.log")"
    result openmp SKIP 0 0 1 "$work/omp.log"
    skip=$((skip + 1))
fi
export LD_LIBRARY_PATH="$B/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

boots=0
for t in $topos; do
    f=$S/test/topology/$t.topo
    t0=$(date +%s)
    if [ ! -f "$f" ]; then
        say "FAIL: no $f"
        echo "no $f" >"$work/$t.out"
        result "$t" FAIL 0 1 0 "$work/$t.out"
        fail=$((fail + 1))
        continue
    fi
    sed -n 's/^qemu //p' "$f" >"$work/$t.numa"
    opts=$(sed -n 's/^vm //p' "$f")
    # shellcheck disable=SC2086 # word splitting of opts and copies wanted
    "$runner" $opts --numa "$work/$t.numa" --timeout "$limit" $copies --copy "$f" -- \
        "$S/test/topology/guest.sh" "$t" "$f" "$prog" $lib114 \
        >"$work/$t.out" 2>"$work/$t.err"
    rc=$?
    boots=$((boots + 1))
    grep -a -E '^not ok|^skip|^1\.14 differs' "$work/$t.out" | sed 's/^/    /'
    line=$(grep -a -E "^$t: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped, [0-9]+ unexplained$" \
        "$work/$t.out" | tail -n 1)
    k=0 u=0
    if [ -n "$line" ] && { [ "$rc" = 0 ] || [ "$rc" = 1 ]; }; then
        set -- $line
        p=$2 x=$4 k=$6 u=$8
    else
        say "$t: the VM or the suite failed (runner exit status $rc)"
        tail -n 30 "$work/$t.err" | sed 's/^/    | /'
        cat "$work/$t.err" >>"$work/$t.out"
        p=$(grep -a -c '^ok ' "$work/$t.out") x=$(($(grep -a -c '^not ok ' "$work/$t.out") + 1))
    fi
    pass=$((pass + p)) fail=$((fail + x)) skip=$((skip + k)) unexplained=$((unexplained + u))
    if [ "$x" = 0 ]; then r=pass; else r=FAIL; fi
    [ $r = pass ] && result "$t" PASS "$p" 0 "$k" "$work/$t.out" ||
        result "$t" FAIL "$p" "$x" "$k" "$work/$t.out"
    echo "topology $t: $r ($p passed, $x failed, $k skipped, $(($(date +%s) - t0)) s)"
done
say "$boots VM boots, $(($(date +%s) - t_start)) s in all"
if [ -n "$lib114" ]; then
    echo "1.14: $(cat "$lane"/*.log 2>/dev/null | grep -a -c '^1\.14 differs: ') differences explained," \
        "$unexplained unexplained (test/topology/known-1.14)"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
