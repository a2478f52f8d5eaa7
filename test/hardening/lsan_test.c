// SPDX-License-Identifier: BSD-2-Clause
/*
 * lsan_test.c - LeakSanitizer must see through kind memory (DESIGN.md 3):
 * a block of the C library's malloc whose only reference is stored in
 * memory of MEMKIND_REGULAR (mapped by the library's own hooks), a PMEM
 * kind or a fixed kind (an mmap'ed buffer) is reachable, not leaked, because
 * the library registers kind mappings as LSan root regions.  A block referenced
 * from nowhere must still be reported, which proves the check is live. Runs in
 * sanitizer builds (make check-asan); exits 77 (skip) otherwise.
 */
#include <memkind.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MK_TEST_SANITIZED
int main(void)
{
    printf("SKIP: not a sanitizer build (make check-asan runs this)\n");
    return 77;
}
#else
/* Weak: only the ASan and LSan runtimes have it (not TSan's). */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* Hides a pointer from the scan of this frame and of the registers. */
static uintptr_t hide(void *p)
{
    return (uintptr_t)p ^ (uintptr_t)0x5a5a5a5a5a5a5a5aull;
}

/* Stores a fresh malloc'ed block in kind memory; returns the kind block. */
static void **park(memkind_t kind)
{
    void **slot = memkind_malloc(kind, 64);
    if (!slot)
        return NULL;
    void *leaf = malloc(1000);
    memset(leaf, 7, 1000);
    slot[0] = leaf;
    return slot;
}

/* The PMEM kind's directory; removed at exit on every path (its file is
 * anonymous, so the directory is empty once the kind is gone). */
static char dir[PATH_MAX];

static void remove_dir(void)
{
    (void)rmdir(dir);
}

int main(void)
{
    if (!__lsan_do_recoverable_leak_check) {
        printf("SKIP: no LeakSanitizer in this sanitizer build\n");
        return 77;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/mk-lsan.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    atexit(remove_dir);
    memkind_t pmem = NULL, fixed = NULL;
    size_t fsz = 16 << 20;
    void *buf = mmap(NULL, fsz, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memkind_create_pmem(dir, 0, &pmem) || buf == MAP_FAILED ||
        memkind_create_fixed(buf, fsz, &fixed)) {
        printf("FAIL: cannot create the kinds\n");
        return 1;
    }
    memkind_t kinds[] = {MEMKIND_REGULAR, pmem, fixed};
    const char *names[] = {"MEMKIND_REGULAR", "PMEM", "fixed"};
    uintptr_t slots[3];
    for (int i = 0; i < 3; i++) {
        void **s = park(kinds[i]);
        if (!s) {
            printf("FAIL: %s kind allocation\n", names[i]);
            return 1;
        }
        slots[i] = hide(s); /* the kind block itself is not LSan's */
    }
    if (__lsan_do_recoverable_leak_check() != 0) {
        printf("FAIL: blocks referenced only from kind memory were "
               "reported as leaks\n");
        return 1;
    }
    printf("PASS: no false leak through MEMKIND_REGULAR, PMEM and fixed kind "
           "memory\n");
    /* A real leak must be found. */
    volatile uintptr_t lost = hide(malloc(123));
    (void)lost;
    if (__lsan_do_recoverable_leak_check() == 0) {
        printf("FAIL: a real leak was not reported\n");
        return 1;
    }
    printf("PASS: a real leak is reported (the report above is expected)\n");
    /* Clean up so that the final check at exit finds nothing else. */
    free((void *)(lost ^ (uintptr_t)0x5a5a5a5a5a5a5a5aull));
    for (int i = 0; i < 3; i++) {
        void **s = (void **)(slots[i] ^ (uintptr_t)0x5a5a5a5a5a5a5a5aull);
        free(s[0]);
        memkind_free(kinds[i], s);
        memkind_destroy_kind(kinds[i]);
    }
    munmap(buf, fsz);
    return 0;
}
#endif
