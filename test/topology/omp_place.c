// SPDX-License-Identifier: BSD-2-Clause
/*
 * omp_place: a client no one here wrote.  LLVM's OpenMP runtime (Debian's
 * libomp5) dlopen()s "libmemkind.so" and serves omp_high_bw_mem_alloc and
 * omp_large_cap_mem_alloc from memkind's HBW_PREFERRED and DAX_KMEM_ALL
 * kinds when it finds them.  make check-topology builds this program on
 * the host against libomp.so.5 (check-topology.sh; it is not linked with
 * libmemkind, so the only copy in the process is the one libomp loads) and
 * runs it in the guests on the "omp" lines of the .topo file:
 *   omp high_bw|large_cap CPUNODE in NODES
 * Each line: bind the process to the CPUs of CPUNODE, omp_alloc 1 MiB,
 * write every page, read the page nodes with move_pages(2), compare.
 * Output as topo_place: "ok N - ..." / "not ok N - ...", then
 * "placement: N passed, N failed".
 *
 * omp.h is not included: gcc's is libgomp's.  The two functions are
 * declared here with the OpenMP 5 signatures, and the predefined
 * allocators have the values LLVM's omp.h gives them (2: large capacity,
 * 4: high bandwidth), which is the runtime this program is linked with.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *omp_alloc(size_t size, uintptr_t allocator);
extern void omp_free(void *ptr, uintptr_t allocator);

#define OMP_LARGE_CAP_MEM_ALLOC ((uintptr_t)2)
#define OMP_HIGH_BW_MEM_ALLOC   ((uintptr_t)4)
#define SIZE                    (1u << 20)
#define MAXNODE                 64

static int set_of(const char *s, char *set, int max)
{
    memset(set, 0, (size_t)max);
    while (*s && *s != '\n') {
        char *e;
        long a = strtol(s, &e, 10), b = a;
        if (e == s)
            return -1;
        if (*e == '-')
            b = strtol(e + 1, &e, 10);
        for (long i = a; i <= b && i < max; i++)
            set[i] = 1;
        s = *e == ',' ? e + 1 : e;
    }
    return 0;
}

static int bind_node(int node)
{
    char path[96], line[256], set[CPU_SETSIZE];
    snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
             node);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    if (!ok || set_of(line, set, CPU_SETSIZE))
        return -1;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    int any = 0;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (set[i]) {
            CPU_SET(i, &cpus);
            any = 1;
        }
    return any ? sched_setaffinity(0, sizeof(cpus), &cpus) : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: omp_place FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char line[512];
    int n = 0, passed = 0, failed = 0;
    long pg = sysconf(_SC_PAGESIZE);
    while (fgets(line, sizeof(line), f)) {
        char alloc[32], mode[16], nodes[128];
        int cpu;
        if (sscanf(line, "omp %31s %d %15s %127s", alloc, &cpu, mode, nodes) !=
            4)
            continue;
        char want[MAXNODE], seen[MAXNODE] = {0};
        uintptr_t a = !strcmp(alloc, "high_bw")     ? OMP_HIGH_BW_MEM_ALLOC
                      : !strcmp(alloc, "large_cap") ? OMP_LARGE_CAP_MEM_ALLOC
                                                    : 0;
        if (!a || strcmp(mode, "in") || set_of(nodes, want, MAXNODE)) {
            fprintf(stderr, "malformed: %s", line);
            return 2;
        }
        n++;
        char why[160] = "";
        if (bind_node(cpu)) {
            snprintf(why, sizeof(why), "cannot bind to node %d", cpu);
        } else {
            char *p = omp_alloc(SIZE, a);
            if (!p) {
                snprintf(why, sizeof(why), "omp_alloc returned NULL");
            } else {
                for (size_t i = 0; i < SIZE; i += (size_t)pg) {
                    p[i] = 1;
                    void *page = p + i;
                    int st = -1;
                    if (syscall(SYS_move_pages, 0, 1UL, &page, NULL, &st, 0) ||
                        st < 0 || st >= MAXNODE) {
                        snprintf(why, sizeof(why), "move_pages: status %d", st);
                        break;
                    }
                    seen[st] = 1;
                }
                /* Kept, not freed: a reused page would show an earlier
                 * line's node. */
            }
        }
        char got[256] = "";
        size_t o = 0;
        for (int i = 0; i < MAXNODE; i++)
            if (seen[i]) {
                o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%d",
                                      o ? "," : "", i);
                if (!want[i] && !why[0])
                    snprintf(why, sizeof(why), "pages on node %d", i);
            }
        if (why[0]) {
            printf(
                "not ok %d - omp %s from node %d: %s (pages on %s, expected in %s)\n",
                n, alloc, cpu, why, o ? got : "-", nodes);
            failed++;
        } else {
            printf("ok %d - omp %s from node %d -> %s\n", n, alloc, cpu, got);
            passed++;
        }
        fflush(stdout);
    }
    fclose(f);
    printf("placement: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
