// SPDX-License-Identifier: BSD-2-Clause
/*
 * tier_probe: where does plain malloc() memory land?  make check-topology
 * runs it in the CXL guest under libmemtier (LD_PRELOAD, MEMKIND_MEM_TIERS
 * naming a DRAM and a DAX_KMEM tier, and under the memtier(1) launcher)
 * and compares the bytes per node with the tiers' ratio
 * (test/topology/guest.sh, "memtier" and "memtier-tool" lines).  The nodes
 * come from the kernel (move_pages(2) on each block's pages), not from
 * libmemtier's own counters.
 *
 * Allocates 2000 blocks of 256 bytes to 2 KiB (sizes cycle around the
 * DYNAMIC_THRESHOLD policy's default threshold, 1024 within 513..1536,
 * so that the policy can meet the ratio; larger blocks would all stay
 * above the threshold's upper bound), writes every
 * byte, keeps them all, and prints one line "node N BYTES" per node that
 * holds any, each block's bytes split over the nodes of its pages (a page
 * shared by several blocks counts for each of them by the part it holds).
 * Exit 0, or 1 when something fails.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXNODE 64
#define BLOCKS  2000

int main(void)
{
    static const size_t sizes[] = {256, 512, 768, 1024, 1280, 1536, 1792, 2048};
    unsigned long long bytes[MAXNODE] = {0};
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int b = 0; b < BLOCKS; b++) {
        size_t sz = sizes[b % (sizeof(sizes) / sizeof(sizes[0]))];
        char *p = malloc(sz);
        if (!p) {
            printf("malloc(%zu) failed\n", sz);
            return 1;
        }
        memset(p, 1, sz);
        uintptr_t a = (uintptr_t)p, end = a + sz;
        while (a < end) {
            uintptr_t next = (a & ~(pg - 1)) + pg;
            if (next > end)
                next = end;
            void *page = (void *)(a & ~(pg - 1));
            int st = -1;
            if (syscall(SYS_move_pages, 0, 1UL, &page, NULL, &st, 0) != 0 ||
                st < 0 || st >= MAXNODE) {
                printf("move_pages: %s (status %d)\n", strerror(errno), st);
                return 1;
            }
            bytes[st] += next - a;
            a = next;
        }
    }
    for (int n = 0; n < MAXNODE; n++)
        if (bytes[n])
            printf("node %d %llu\n", n, bytes[n]);
    /* Written out now, not by exit(): memkind 1.14's libmemtier releases
     * the heap that holds stdio's buffer before exit flushes it (the lane
     * compares placement, not that defect). */
    return fflush(stdout) ? 1 : 0;
}
