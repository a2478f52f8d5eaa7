#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# can-run.sh: can this machine run make check-arm64?  Exits 0 when it can;
# otherwise prints why not and exits 1.  The lane needs an x86_64 (or
# other non-arm64) Linux host with Debian's cross compiler for aarch64 and
# the arm64 -dev packages (.ci/install-deps installs them), and QEMU for
# aarch64 and cpio, which the runner installs itself as root.
set -u
host=aarch64-linux-gnu
[ "$(uname -s)" = Linux ] || { echo "the arm64 lane needs a Linux host"; exit 1; }
for c in $host-gcc $host-g++; do
    command -v "$c" >/dev/null 2>&1 ||
        { echo "no $c (Debian package gcc-$host / g++-$host; .ci/install-deps)"; exit 1; }
done
for h in numa.h gtest/gtest.h; do
    [ -e "/usr/include/$h" ] || [ -e "/usr/include/$host/$h" ] ||
        { echo "no arm64 $h (libnuma-dev:arm64, libgtest-dev:arm64; .ci/install-deps)"; exit 1; }
done
[ -e "/usr/lib/$host/libnuma.so" ] ||
    { echo "no arm64 libnuma (libnuma-dev:arm64; .ci/install-deps)"; exit 1; }
[ -e "/usr/lib/$host/libgtest.a" ] || [ -e "/usr/lib/$host/libgtest.so" ] ||
    { echo "no arm64 googletest (libgtest-dev:arm64; .ci/install-deps)"; exit 1; }
command -v qemu-system-aarch64 >/dev/null 2>&1 && command -v cpio >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then
    echo "qemu-system-aarch64 or cpio missing; installing them needs root or password-less sudo"
    exit 1
fi
command -v apt-get >/dev/null 2>&1 || { echo "qemu-system-aarch64 missing and no apt-get"; exit 1; }
exit 0
