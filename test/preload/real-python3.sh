#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# real-python3.sh: an allocation-heavy python3 script (dicts, JSON, lists
# of strings, big integers, growing byte arrays, a long linked list) run
# plainly and under the preload with the DRAM, FS_DAX and DRAM+FS_DAX
# tiers: same output, same exit status.  memkind 1.14 crashed python3 at
# exit with an FS_DAX tier.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_real python3 "python3 heavy.py"
