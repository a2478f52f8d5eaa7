#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check-dax.sh: the real-DAX lane (make check-dax).  Boots the emulated-
# NVDIMM VM (test/dax/vm/mk-dax-vm) once per configuration and runs
# test/dax/vm-suite.sh inside it:
#   ext4  ext4 mounted -o dax, a Device DAX device, a KMEM DAX NUMA node
#   xfs   xfs mounted -o dax, a Device DAX device (made again with 4 KiB and
#         1 GiB alignment at the end)
# Before them, test/dax/vm/runner-test.sh checks the runner's own contract
# (reported as configuration "runner").
# Each program's log and result are written to test/dax/lane/CONFIG/NAME.log
# and .trs (automake's format), so test/summary.sh counts them; the lane
# prints one line per program and ends with "N passed, N failed, N skipped".
#
# Exit status 0 only when every configuration booted, ran to its end and
# had no failure.  A VM or infrastructure failure (the runner's 124:
# timeout, 125: setup, boot or NVDIMM failure) fails the lane, as does a
# suite that stops without its closing line: the lane never passes silently.
#
# Environment: top_builddir, top_srcdir (absolute; set by make),
# DAX_VM_RUNNER (default: the in-tree test/dax/vm/mk-dax-vm, so that a
# clean clone runs the lane with nothing beside it; any runner with the
# same options and exit statuses will do), MK_DAX_CONFIGS (default
# "ext4 xfs"), MK_DAX_TIMEOUT (seconds per boot, default 400: two boots and
# the set-up stay under 15 minutes), MK_DAX_VM_CACHE (mk-dax-vm's cache).
set -u
B=${top_builddir:?} S=${top_srcdir:?}
runner=${DAX_VM_RUNNER:-$S/test/dax/vm/mk-dax-vm}
configs=${MK_DAX_CONFIGS:-ext4 xfs}
limit=${MK_DAX_TIMEOUT:-400}
t_start=$(date +%s)

say() { echo "check-dax: $*"; }
if [ ! -x "$runner" ]; then
    say "FAIL: no VM runner at $runner (set DAX_VM_RUNNER)"
    exit 1
fi

# Stale results of an earlier run must not be counted again.
rm -rf "$B/test/dax/lane"
work=$(mktemp -d "${TMPDIR:-/tmp}/mk-check-dax.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' HUP INT TERM

# infra CONFIG WHY LOGFILE: a configuration that could not run is a failure
# of its own, with a log, counted by summary.sh too.
infra_fail=0
infra()
{
    d=$B/test/dax/lane/$1
    mkdir -p "$d"
    { echo "$2"; [ -f "$3" ] && tail -n 40 "$3"; } >"$d/vm.log"
    printf ':test-result: FAIL\n:global-test-result: FAIL\n' >"$d/vm.trs"
    say "FAIL: $1/vm: $2"
    [ -f "$3" ] && tail -n 40 "$3" | sed 's/^/    | /'
    infra_fail=$((infra_fail + 1))
}

# split_results CONFIG OUTPUT: splits a suite's output into one log and one
# automake result per program (test/dax/lane/CONFIG/NAME.log and .trs).
split_results()
{
    d=$B/test/dax/lane/$1
    mkdir -p "$d"
    awk -v d="$d" '
        /^--- BEGIN / { f = d "/" $3 ".log"; printf "" > f; next }
        /^--- END /   { close(f); f = ""; next }
        f != ""       { print > f; next }
        /^(PASS|FAIL|SKIP): / {
            split($2, a, "/"); r = substr($1, 1, 4)
            t = d "/" a[2] ".trs"
            printf ":test-result: %s\n:global-test-result: %s\n", r, r > t
            close(t)
            # The counts of the lane for this entry, in googletest words, so
            # that test/summary.sh counts what the lane counted.
            n = split($0, c, /[() ,]+/)
            for (i = 1; i < n; i++) {
                if (c[i + 1] == "passed") p = c[i]
                if (c[i + 1] == "failed") x = c[i]
                if (c[i + 1] == "skipped") k = c[i]
            }
            l = d "/" a[2] ".log"
            printf "[  PASSED  ] %d tests (lane total).\n", p >> l
            printf "[  SKIPPED ] %d tests (lane total).\n", k >> l
            printf "[  FAILED  ] %d tests (lane total).\n", x >> l
            close(l)
        }' "$2" || infra "$1" "cannot split the output of the suite" ""
}

# Install and cache what the VM needs (qemu, ndctl, xfsprogs, the kernel,
# the initramfs) before the first boot.
t0=$(date +%s)
"$runner" --prepare --fs xfs >"$work/prepare.log" 2>&1
rc=$?
if [ $rc != 0 ]; then
    infra prepare "$runner --prepare failed (exit status $rc)" "$work/prepare.log"
    say "0 passed, 1 failed, 0 skipped"
    exit 1
fi
say "VM ready in $(($(date +%s) - t0)) s: $(tail -n 1 "$work/prepare.log" | sed 's/^[a-z-]*: //')"

# The in-tree runner's own contract first (exit statuses, output streams,
# timeout, broken kernel or initramfs, boot watchdog): the lane's verdict
# rests on it.  Its counts join the lane's as configuration "runner".
t0=$(date +%s)
if [ -z "${DAX_VM_RUNNER:-}" ]; then
    say "checking the VM runner (test/dax/vm/runner-test.sh)"
    sh "$S/test/dax/vm/runner-test.sh" "$runner" "$work/runner-test" >"$work/rt.log" 2>&1
    rc=$?
    grep '^not ok' "$work/rt.log" | sed 's/^/    /'
    tot=$(tail -n 1 "$work/rt.log" |
          sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2/p')
    set -- ${tot:-0 1}
    res=PASS
    [ $rc = 0 ] && [ "$2" = 0 ] || res=FAIL
    [ $res = FAIL ] && [ "$2" = 0 ] && set -- "$1" 1
    { echo "--- BEGIN runner-test"
      cat "$work/rt.log"
      echo "--- END runner-test"
      echo "$res: runner/runner-test ($1 passed, $2 failed, 0 skipped) $(($(date +%s) - t0))s"
      echo "runner: $1 passed, $2 failed, 0 skipped"; } >"$work/runner.out"
else
    { echo "SKIP: runner/runner-test (0 passed, 0 failed, 1 skipped) 0s:" \
           "it checks test/dax/vm/mk-dax-vm, not DAX_VM_RUNNER=$runner"
      echo "runner: 0 passed, 0 failed, 1 skipped"; } >"$work/runner.out"
fi
grep -E '^(PASS|FAIL|SKIP): ' "$work/runner.out"
split_results runner "$work/runner.out"

# What the VM gets: the test programs (real binaries, not libtool wrappers),
# the compat driver, the library (found by ldd through LD_LIBRARY_PATH) and
# libmemtier when built, and real programs for the libmemtier tests.
copies=""
add() { for f in "$@"; do [ -e "$f" ] && copies="$copies --copy $f"; done; }
for t in dax/dax_test kinds/pmem_test api/kind_api_test api/negative_test \
         api/detect_kind_test; do
    bin=$B/test/${t%/*}/.libs/${t#*/}
    if [ ! -x "$bin" ]; then
        infra build "$bin is not built (run make check-dax from the build tree)" ""
        say "0 passed, 1 failed, 0 skipped"
        exit 1
    fi
    add "$bin"
done
add "$B/test/dax/devdax_fault_test" "$B/test/compat/fork_app" \
    "$S/test/compat/fork-pmem.sh" \
    "$S/test/compat/compat-lib.sh" "$B/.libs/libmemtier.so.0"
# libmemkind dlopen()s libhwloc (src/hmat.c), so ldd of the tests no longer
# lists it: a program linked with it brings it into the guest.
add "$B/test/env/mk_topology_xml"
# HOOK(issue 4): the programs its KMEM DAX suite (dax-kmem-vm-inner.sh)
# runs, as its own runner (run-dax-kmem-vm.sh) lists them in bins="...".
if [ -f "$S/test/kinds/dax-kmem-vm-inner.sh" ]; then
    add "$S/test/kinds/dax-kmem-vm-inner.sh"
    for b in $(sed -n '/^bins="/,/"/p' "$S/test/kinds/run-dax-kmem-vm.sh" |
               tr -d '"' | sed 's/^bins=//'); do
        add "$B/$b"
    done
fi
mkdir -p "$work/bin"
for p in cat sort gzip cksum perl sqlite3; do
    f=$(command -v "$p" 2>/dev/null) && cp "$f" "$work/bin/"
done
add "$work/bin"

export LD_LIBRARY_PATH="$B/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
boots=0
for cfg in $configs; do
    case $cfg in
        ext4) opts="--fs ext4 --devdax --kmem" ;;
        xfs) opts="--fs xfs --devdax --devdax-mem 3G" ;; # 1 GiB alignment
        *) infra "$cfg" "unknown configuration $cfg (ext4 or xfs)" ""
           continue ;;
    esac
    out=$work/$cfg.out
    t0=$(date +%s)
    say "booting the VM: $cfg ($opts)"
    # shellcheck disable=SC2086 # word splitting of opts and copies wanted
    { "$runner" $opts --timeout "$limit" $copies -- \
          "$S/test/dax/vm-suite.sh" "$cfg" "$B" "$S" "$work" 2>"$work/$cfg.err"
      echo $? >"$work/$cfg.rc"; } |
        tee "$out" | awk '/^--- BEGIN /, /^--- END / { next }
                          /^(PASS|FAIL|SKIP): |^=== |^[a-z0-9]+: [0-9]+ passed/ {
                              print; fflush() }'
    rc=$(cat "$work/$cfg.rc")
    boots=$((boots + 1))
    el=$(($(date +%s) - t0))
    split_results "$cfg" "$out"
    case $rc in
        0 | 1)
            if ! grep -Eq "^$cfg: [0-9]+ passed, [0-9]+ failed" "$out"; then
                infra "$cfg" "the suite stopped before its end (exit status $rc)" "$work/$cfg.err"
            fi ;;
        124) infra "$cfg" "the VM timed out after $limit s (runner exit 124)" "$work/$cfg.err" ;;
        125) infra "$cfg" "VM or infrastructure failure (runner exit 125)" "$work/$cfg.err" ;;
        *) infra "$cfg" "the suite died (exit status $rc)" "$work/$cfg.err" ;;
    esac
    say "$cfg: $el s"
done

# Totals over the configurations, from the suites' own closing lines.
pass=0 fail=$infra_fail skip=0
for cfg in runner $configs; do
    [ -f "$work/$cfg.out" ] || continue
    line=$(grep -E "^$cfg: [0-9]+ passed" "$work/$cfg.out" | tail -n 1)
    [ -n "$line" ] || continue
    set -- $line
    pass=$((pass + $2)) fail=$((fail + $4)) skip=$((skip + $6))
done
if [ "$fail" != 0 ]; then
    for log in "$B"/test/dax/lane/*/*.trs; do
        grep -q ':test-result: FAIL' "$log" || continue
        say "log of ${log%.trs}.log (last 60 lines):"
        tail -n 60 "${log%.trs}.log" | sed 's/^/    | /'
    done
fi
say "$boots VM boots, $(($(date +%s) - t_start)) s in all"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
