#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# real-git.sh: git init, twenty commits, branch, merge, log, diff, gc and
# fsck in a fresh repository, plainly and under the preload with the DRAM,
# FS_DAX and DRAM+FS_DAX tiers.  Fixed names and dates make the commit
# hashes, hence the whole output, reproducible.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_real git "git init/commit/merge/log/gc"
