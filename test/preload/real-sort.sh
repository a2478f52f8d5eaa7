#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# real-sort.sh: sort(1) of a 50 MB file (several threads, big buffers),
# plainly and under the preload with the DRAM, FS_DAX and DRAM+FS_DAX
# tiers: the same sorted file (by checksum) and exit status.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_real sort "sort of a 50 MB file"
