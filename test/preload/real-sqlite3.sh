#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# real-sqlite3.sh: sqlite3 creates a database file, inserts 200000 rows,
# indexes and queries it, plainly and under the preload with the DRAM,
# FS_DAX and DRAM+FS_DAX tiers: same output, same exit status.  memkind
# 1.14 lost sqlite3's buffered output at exit with an FS_DAX tier.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_real sqlite3 "sqlite3 create/insert/index/query"
