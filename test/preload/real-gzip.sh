#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# real-gzip.sh: a gzip/gunzip round trip of 8 MB, plainly and under the
# preload with the DRAM, FS_DAX and DRAM+FS_DAX tiers: the same compressed
# size, the same data back, the same exit status.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_real gzip "gzip/gunzip round trip"
