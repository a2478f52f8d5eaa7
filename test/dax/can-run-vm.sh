#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# can-run-vm.sh: can this machine run the DAX VM lane (make check-dax)?
# Exits 0 when it can; otherwise prints why not and exits 1.  The lane needs
# the VM runner (test/dax/vm/mk-dax-vm, in the tree; DAX_VM_RUNNER names
# another) and QEMU, ndctl and xfsprogs, which the runner installs itself
# with apt-get when it runs as root (or with password-less sudo); without
# that, they must be installed already.  It also downloads Debian's kernel
# and busybox-static with apt-get once.  make check-all runs the lane only
# where this says yes (CHECK_DAX=auto).
set -u
runner=${DAX_VM_RUNNER:-${top_srcdir:-.}/test/dax/vm/mk-dax-vm}
if [ ! -x "$runner" ]; then
    echo "no VM runner at $runner (set DAX_VM_RUNNER)"
    exit 1
fi
if [ "$(uname -m)" != x86_64 ] || [ "$(uname -s)" != Linux ]; then
    echo "the DAX VM needs an x86_64 Linux host"
    exit 1
fi
have_tools=1
for t in qemu-system-x86_64 ndctl mkfs.xfs; do
    command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || [ -x "/sbin/$t" ] ||
        have_tools=0
done
[ $have_tools = 1 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "QEMU, ndctl or xfsprogs missing and no apt-get to install them"
    exit 1
fi
if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then
    echo "QEMU, ndctl or xfsprogs missing; installing them needs root or password-less sudo"
    exit 1
fi
exit 0
