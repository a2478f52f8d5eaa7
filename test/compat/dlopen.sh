#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# dlopen.sh: libmemkind.so.0 loaded with dlopen() by processes not linked
# with it (DESIGN.md 3: no initial-exec TLS, -z nodelete):
#   - test/compat/dlopen_app: dlopen, use from 2 threads, dlclose while one
#     of them still runs, open again;
#   - python3 ctypes: CDLL by path, memkind_malloc(MEMKIND_DEFAULT, ...)
#     through the exported data symbol, from 4 threads.
. "$top_srcdir/test/compat/compat-lib.sh"

compat_skip_if_sanitized "a sanitized library cannot be dlopen()ed into a process without the sanitizer runtime"
compat_need "$MK_LIB"
app=$top_builddir/test/compat/dlopen_app
compat_need "$app"

if ldd "$app" | grep -q libmemkind; then
    echo "FAIL: $app is linked with libmemkind; the test needs a bare process"
    exit 1
fi
if out=$("$app" "$MK_LIB" 2>&1); then
    compat_pass "C program: $(echo "$out" | tr '\n' ';' | sed 's/;$//')"
else
    compat_fail "C program dlopen_app:"
    echo "$out" | sed 's/^/    /'
fi

py=$(command -v python3 2>/dev/null)
if [ -z "$py" ]; then
    echo "SKIP: python3 not installed: ctypes part not run"
else
    if out=$("$py" - "$MK_LIB" 2>&1 <<'PYEOF'
import ctypes, sys, threading

lib = ctypes.CDLL(sys.argv[1])
vp, sz = ctypes.c_void_p, ctypes.c_size_t
lib.memkind_malloc.restype = vp
lib.memkind_malloc.argtypes = [vp, sz]
lib.memkind_calloc.restype = vp
lib.memkind_calloc.argtypes = [vp, sz, sz]
lib.memkind_free.restype = None
lib.memkind_free.argtypes = [vp, vp]
lib.memkind_detect_kind.restype = vp
lib.memkind_detect_kind.argtypes = [vp]
lib.memkind_check_available.argtypes = [vp]

# MEMKIND_DEFAULT is a data object: a memkind_t variable.
default = vp.in_dll(lib, "MEMKIND_DEFAULT").value
assert default, "MEMKIND_DEFAULT is NULL"
assert lib.memkind_check_available(default) == 0, "MEMKIND_DEFAULT unavailable"
version = lib.memkind_get_version()
assert version >= 1014000, "memkind_get_version() = %d" % version

errors = []

def work(seed):
    try:
        for i in range(3000):
            n = 1 + (i * 7919 + seed) % 20000
            p = lib.memkind_malloc(default, n)
            assert p, "memkind_malloc returned NULL"
            ctypes.memset(p, 0x5A, n)
            assert ctypes.string_at(p, 1) == b"Z"
            assert lib.memkind_detect_kind(p) == default, "detect_kind"
            lib.memkind_free(None if i & 1 else default, p)
        z = lib.memkind_calloc(default, 10, 100)
        assert z and ctypes.string_at(z, 1000) == bytes(1000), "calloc"
        lib.memkind_free(default, z)
    except Exception as e:  # reported by the main thread
        errors.append(repr(e))

threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
for t in threads:
    t.start()
work(99)
for t in threads:
    t.join()
if errors:
    print("errors:", errors)
    sys.exit(1)
print("memkind %d, 5 threads x 3000 memkind_malloc(MEMKIND_DEFAULT) via ctypes" % version)
PYEOF
    ); then
        compat_pass "python3 ctypes ($py): $out"
    else
        compat_fail "python3 ctypes ($py):"
        echo "$out" | sed 's/^/    /'
    fi
fi
exit $compat_status
