#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench-fork.sh: fork() of a process with a PMEM heap (issue 15), over
# file systems (tmpfs, and ext4 and XFS on loop devices this script mounts:
# root only, else those rows are left out), heap sizes, dirty or clean
# pages, and the MEMKIND_PMEM_FORK modes.  Prints a markdown table: the
# forking thread's fork() latency, the longest stall of another allocating
# thread, the file system's peak extra space.  Then a second table: the
# fork() latency of a small process, 100 forks (what the library adds to
# every fork, with or without a PMEM heap).  Not a test.
#   MK_FORK_SIZES   heap sizes in MiB (default "64 512 2048")
#   MK_FORK_FS      file systems (default "tmpfs ext4 xfs"; "skip": only
#                   the second table)
#   MK_FORK_MODES   modes (default "copy none shared")
set -u
b=${top_builddir:-.}
bin=$b/test/bench/fork_bench
[ -x "$bin" ] || { echo "build $bin first (make test/bench/fork_bench)"; exit 1; }
sizes=${MK_FORK_SIZES:-64 512 2048}
fss=${MK_FORK_FS:-tmpfs ext4 xfs}
modes=${MK_FORK_MODES:-copy none shared}
work=$(mktemp -d "${TMPDIR:-/tmp}/mk-fork-bench.XXXXXX") || exit 1
cleanup() {
    for m in "$work"/mnt-*; do [ -d "$m" ] && umount "$m" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT HUP INT TERM
mount_fs() { # fs -> prints the mount point or nothing
    m=$work/mnt-$1
    mkdir -p "$m"
    case $1 in
        tmpfs) mount -t tmpfs -o size=6g tmpfs "$m" 2>/dev/null || return 1 ;;
        ext4|xfs)
            truncate -s 8G "$work/$1.img" || return 1
            if [ "$1" = ext4 ]; then mkfs.ext4 -q -F "$work/$1.img" >/dev/null 2>&1 || return 1
            else mkfs.xfs -q -f "$work/$1.img" >/dev/null 2>&1 || return 1; fi
            mount -o loop "$work/$1.img" "$m" 2>/dev/null || return 1 ;;
        *) return 1 ;;
    esac
    echo "$m"
}
echo "| fs | heap | pages | mode | fork() ms | other thread's longest stall ms | peak extra disk MiB |"
echo "|---|---|---|---|---|---|---|"
for fs in $fss; do
    [ "$fs" = skip ] && continue
    m=$(mount_fs "$fs") || { echo "| $fs | (cannot mount here: not root, or no loop device) |||||"; continue; }
    for mib in $sizes; do
        for state in dirty clean; do
            for mode in $modes; do
                r=$(MEMKIND_PMEM_FORK=$mode "$bin" "$m" "$mib" "$state" 2>&1 | tail -n 1)
                f=$(echo "$r" | sed -n 's/.*fork_ms=\([0-9.]*\).*/\1/p')
                s=$(echo "$r" | sed -n 's/.*stall_ms=\([0-9.]*\).*/\1/p')
                d=$(echo "$r" | sed -n 's/.*disk_extra_mib=\([0-9.-]*\).*/\1/p')
                echo "| $fs | $mib MiB | $state | $mode | ${f:-?} | ${s:-?} | ${d:-?} |"
            done
        done
    done
done

# fork() of a small process, 100 times (fork_bench repeat): what the
# library adds to every fork, PMEM heap or not (the parent's page faults
# are copies of pages written after fork(): memkind_lock.h, MK_FORK_PAGE).
echo
echo "| process | other allocating thread | fork() median ms | p10 ms | p90 ms | parent's page faults per fork |"
echo "|---|---|---|---|---|---|"
shm=$(mktemp -d /dev/shm/mk-fork-bench.XXXXXX 2>/dev/null || mktemp -d "$work/pmem.XXXXXX")
for what in default pmem; do
    for t in 0 1; do
        if [ "$what" = default ]; then d=-; label="MEMKIND_DEFAULT only"
        else d=$shm; label="64 MiB PMEM heap (tmpfs), MEMKIND_PMEM_FORK=none"; fi
        r=$(MEMKIND_PMEM_FORK=none "$bin" repeat "$d" "$t" 2>&1 | tail -n 1)
        v() { echo "$r" | sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
        echo "| $label | $([ "$t" = 1 ] && echo yes || echo no) | $(v median_ms) | $(v p10_ms) | $(v p90_ms) | $(v parent_faults) |"
    done
done
rm -rf "$shm"
