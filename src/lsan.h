// SPDX-License-Identifier: BSD-2-Clause
/*
 * lsan.h - kind mappings as LeakSanitizer root regions (DESIGN.md 3).
 *
 * A block of the application's malloc whose only reference is stored in
 * kind memory (mmap'ed by the hooks, a PMEM file mapping, a fixed buffer)
 * is reachable; LeakSanitizer scans only registered regions of such
 * memory, so each kind mapping is registered while it exists.
 *
 * #if MK_SANITIZERS (configure --enable-sanitizers): the sanitizer API is
 * declared weak, because only ASan/LSan runtimes provide it and a TSan or
 * UBSan-only build must link too; otherwise the calls compile to nothing.
 */
#pragma once

#include <stddef.h>

#ifdef MK_SANITIZERS
void __lsan_register_root_region(const void *p, size_t size)
    __attribute__((weak));
void __lsan_unregister_root_region(const void *p, size_t size)
    __attribute__((weak));

static inline void mk_lsan_register(const void *p, size_t size)
{
    if (__lsan_register_root_region)
        __lsan_register_root_region(p, size);
}

static inline void mk_lsan_unregister(const void *p, size_t size)
{
    if (__lsan_unregister_root_region)
        __lsan_unregister_root_region(p, size);
}
#else
static inline void mk_lsan_register(const void *p, size_t size)
{
    (void)p, (void)size;
}

static inline void mk_lsan_unregister(const void *p, size_t size)
{
    (void)p, (void)size;
}
#endif
