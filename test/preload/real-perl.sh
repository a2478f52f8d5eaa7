#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# real-perl.sh: an allocation-heavy perl script (hashes, arrays, strings,
# regular expressions, sort), plainly and under the preload with the DRAM,
# FS_DAX and DRAM+FS_DAX tiers: same output, same exit status.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_real perl "perl heavy.pl"
