#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pmem-scale.sh: PMEM kinds at scale (issue 16), on a 64 TiB XFS file system
# made in a sparse image file (on a private tmpfs: its sparse files may be
# that large, the root file system's may not) and loop-mounted.  Needs root,
# loop devices and mkfs.xfs (xfsprogs); skips with the reason otherwise.
#  - one unlimited kind grows past 2 TiB (1 GiB objects);
#  - 479 unlimited kinds live at once (memkind 1.14's count on 2 CPUs);
#  - 100,000 create/destroy cycles leave nothing behind;
#  - under `ulimit -v 4000000`, 211 kinds with 1 MiB used each (1.14's
#    count; not under a sanitizer, whose shadow memory needs more).
# About 20 s here.
set -u
b=${top_builddir:-.}
bin=$b/test/kinds/pmem_scale
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root (a loop mount is needed)"
command -v mkfs.xfs >/dev/null 2>&1 || skip "no mkfs.xfs (apt-get install xfsprogs)"
work=$(mktemp -d "${TMPDIR:-/tmp}/mk-scale.XXXXXX") || exit 1
cleanup() {
    umount "$work/mnt" 2>/dev/null
    umount "$work/img" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT HUP INT TERM PIPE
mkdir -p "$work/img" "$work/mnt"
mount -t tmpfs -o size=1g,mode=700 tmpfs "$work/img" || skip "cannot mount a tmpfs"
truncate -s 64T "$work/img/xfs.img" || skip "no 64 TiB sparse file on tmpfs"
mkfs.xfs -q -f -K -l size=64m "$work/img/xfs.img" > "$work/mkfs.log" 2>&1 ||
    { cat "$work/mkfs.log"; echo "FAIL: mkfs.xfs"; exit 1; }
mount -o loop "$work/img/xfs.img" "$work/mnt" 2>/dev/null || skip "no loop device"
echo "file system: $(df -h "$work/mnt" | tail -n 1)"
# jemalloc's junk filling (the ASan lane sets it) would write every byte of
# 2 TiB of objects: the test allocates file space, it does not fill it.
JEMK_MALLOC_CONF=junk:false
export JEMK_MALLOC_CONF
rc=0
${MK_TEST_PREFIX:-} "$bin" grow "$work/mnt" 2100 || rc=1
${MK_TEST_PREFIX:-} "$bin" live "$work/mnt" 479 || rc=1
${MK_TEST_PREFIX:-} "$bin" soak "$work/mnt" 100000 || rc=1
if [ -n "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}${MK_TEST_PREFIX:-}" ]; then
    echo "ulimit -v: not checked under a sanitizer or a test prefix (their shadow memory needs more address space)"
else
    (ulimit -v 4000000 && "$bin" live "$work/mnt" 211) || rc=1
fi
echo "file system after: $(df -h "$work/mnt" | tail -n 1)"
exit $rc
