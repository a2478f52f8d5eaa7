// SPDX-License-Identifier: BSD-2-Clause
/*
 * topo_place: checks where the pages of each kind land on the NUMA
 * topology the program runs on (make check-topology boots QEMU with HMAT
 * and runs it in the guest).  It reads the topology's expectation file
 * (test/topology/NAME.topo, written from the topology's description, not
 * from a run of any library) and, for each check line, allocates from a
 * thread bound to the CPUs of the given CPU node, touches every page there
 * and asks the kernel (move_pages(2) with no target nodes) on which node
 * each page is.  Only the public memkind 1.14 API is used, so the same
 * binary runs against Debian's libmemkind.so.0 through LD_LIBRARY_PATH.
 *
 * Usage: topo_place FILE            the "place", "create" and "capacity"
 *                                   lines
 *        topo_place FILE --hbw POL  the "hbw POL" lines, after
 *                                   hbw_set_policy(POL) (once per process:
 *                                   hbwmalloc allows one policy)
 *        topo_place FILE --huge     the "huge" lines (the guest reserves
 *                                   2 MiB pages on the nodes first)
 * Output: one "ok N - WHAT -> NODES" or "not ok N - WHAT: WHY" line per
 * check (NODES: the page nodes seen, so two libraries' runs can be
 * compared check by check; a failed placement also gives the free memory
 * of the expected nodes just before the allocation, "(free MiB: 0=3)",
 * which tells a full node from a wrong one), then "placement: N passed,
 * N failed (VmRSS N MiB)", written out before anything is freed (a
 * library that crashes at exit is told from one that stops on the way).  Exit 0
 * only when nothing failed; 2 on a malformed file.
 *
 * Lines (fields separated by blanks; "#" starts a comment; other words
 * are the host script's):
 *   place KIND CPUNODE MODE [NODES]
 *   create MEMTYPE POLICY CPUNODE MODE [NODES]  (memkind_create_kind;
 *                                   MEMTYPE DEFAULT, HIGH_BANDWIDTH or
 *                                   DEFAULT+HIGH_BANDWIDTH; POLICY
 *                                   BIND_LOCAL, BIND_ALL, PREFERRED_LOCAL,
 *                                   INTERLEAVE_LOCAL or INTERLEAVE_ALL)
 *   hbw POL CPUNODE MODE [NODES]    (hbw_malloc; POL bind, preferred or
 *                                   interleave; MODE all also requires
 *                                   hbw_verify_memory_region() to say 0)
 *   overflow WHO CPUNODE MIB FIRST ALLOWED  (MIB MiB, more than node
 *                                   FIRST has free, through kind WHO or
 *                                   "hbw-preferred" (hbw_malloc under
 *                                   HBW_POLICY_PREFERRED): FIRST must be
 *                                   used, some page must be elsewhere, all
 *                                   of them in ALLOWED: a preferred kind
 *                                   falls back when its node is full)
 *   move KIND FROMNODE CPUNODE MODE [NODES]  (the thread first takes
 *                                   and touches SIZE bytes of KIND on CPU
 *                                   node FROMNODE, then moves itself to
 *                                   CPUNODE with sched_setaffinity, as
 *                                   libomp does, and is checked there as
 *                                   by a place line: a thread's kind
 *                                   state must follow it to its new node)
 *   huge KIND CPUNODE MODE [NODES]  (as place, for the hugetlb kinds;
 *                                   every page must also be a 2 MiB page,
 *                                   KernelPageSize in /proc/self/smaps)
 *   capacity KIND CPUNODE NODES     (memkind_get_capacity() from that
 *                                   node equals the sum of the MemTotal of
 *                                   NODES; "-" for "returns -1")
 * MODE: "in" (every page on one of NODES), "spread" (every page on one of
 * NODES and every one of NODES used), "fail" (the allocation returns
 * NULL).  NODES: a list such as 0,2-3.
 */
#include <hbwmalloc.h>
#include <memkind.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXNODE 64
/* 1 MiB: 256 pages, enough to see an interleave over 8 nodes.  Nothing
 * is freed, so that every allocation is memory first touched by its own
 * thread (a reused page would show where an earlier check put it). */
#define SIZE (1u << 20)

static int passed, failed, checks;

struct kindname {
    const char *name;
    memkind_t *kind;
};
#define K(n)                                                                   \
    {                                                                          \
#n, &n                                                                 \
    }
static const struct kindname kinds[] = {
    K(MEMKIND_DEFAULT),
    K(MEMKIND_REGULAR),
    K(MEMKIND_INTERLEAVE),
    K(MEMKIND_HBW),
    K(MEMKIND_HBW_ALL),
    K(MEMKIND_HBW_PREFERRED),
    K(MEMKIND_HBW_INTERLEAVE),
    K(MEMKIND_DAX_KMEM),
    K(MEMKIND_DAX_KMEM_ALL),
    K(MEMKIND_DAX_KMEM_PREFERRED),
    K(MEMKIND_DAX_KMEM_INTERLEAVE),
    K(MEMKIND_HIGHEST_CAPACITY),
    K(MEMKIND_HIGHEST_CAPACITY_PREFERRED),
    K(MEMKIND_HIGHEST_CAPACITY_LOCAL),
    K(MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED),
    K(MEMKIND_LOWEST_LATENCY_LOCAL),
    K(MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED),
    K(MEMKIND_HIGHEST_BANDWIDTH_LOCAL),
    K(MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED),
    K(MEMKIND_HUGETLB),
    K(MEMKIND_HBW_HUGETLB),
    K(MEMKIND_HBW_ALL_HUGETLB),
    K(MEMKIND_HBW_PREFERRED_HUGETLB),
};

/* parse_nodes TEXT SET: fills SET (MAXNODE flags) from "0,2-3"; "-" is the
 * empty set.  Returns 0, or -1 when malformed. */
static int parse_nodes(const char *s, char *set)
{
    memset(set, 0, MAXNODE);
    if (!strcmp(s, "-"))
        return 0;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s || a < 0 || a >= MAXNODE)
            return -1;
        if (*end == '-') {
            s = end + 1;
            b = strtol(s, &end, 10);
            if (end == s || b < a || b >= MAXNODE)
                return -1;
        }
        for (long i = a; i <= b; i++)
            set[i] = 1;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        s = end;
    }
    return 0;
}

static void format_nodes(const char *set, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < MAXNODE && o + 8 < len; i++)
        if (set[i])
            o += (size_t)snprintf(buf + o, len - o, "%s%d", o ? "," : "", i);
    if (!o)
        snprintf(buf, len, "-");
}

/* The CPUs of a node, from sysfs.  Returns 0 or -1. */
static int node_cpus(int node, cpu_set_t *cpus)
{
    char path[96], line[256];
    snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
             node);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    line[strcspn(line, "\n")] = '\0';
    if (strlen(line) == 0)
        return -1;
    CPU_ZERO(cpus);
    char *s = line;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s)
            return -1;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        for (long i = a; i <= b && i < CPU_SETSIZE; i++)
            CPU_SET((int)i, cpus);
        if (*end == ',')
            end++;
        s = end;
    }
    return 0;
}

/* node_meminfo NODE FIELD: a "FIELD:" value of the node's meminfo in
 * bytes, or -1. */
static long long node_meminfo(int node, const char *field)
{
    char path[96], line[256];
    long long kb = -1;
    size_t len = strlen(field);
    snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
             node);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        char *m = strstr(line, field);
        if (m && m[len] == ':')
            kb = strtoll(m + len + 1, NULL, 10);
    }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

static long long node_memtotal(int node)
{
    return node_meminfo(node, "MemTotal");
}

/* kernel_page_kb ADDR: KernelPageSize (kB) of the mapping holding ADDR,
 * from /proc/self/smaps, or -1. */
static long kernel_page_kb(const void *addr)
{
    char line[256];
    long kb = -1;
    int in = 0;
    uintptr_t a = (uintptr_t)addr;
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        size_t hex = strspn(line, "0123456789abcdef");
        /* A mapping's first line starts "lo-hi "; its fields "Name:". */
        if (hex && line[hex] == '-' &&
            sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            in = a >= lo && a < hi;
        } else if (in && !strncmp(line, "KernelPageSize:", 15)) {
            kb = strtol(line + 15, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

enum op
{
    OP_PLACE,
    OP_CREATE,
    OP_HBW,
    OP_CAPACITY
};
enum mode
{
    MODE_IN,
    MODE_SPREAD,
    MODE_FAIL,
    MODE_OVERFLOW
};

struct job {
    enum op op;
    memkind_t kind;
    enum mode mode;
    size_t size; /* bytes to allocate (SIZE, or an overflow line's) */
    int first;   /* MODE_OVERFLOW: the node that must fill up first */
    char want[MAXNODE];
    /* results */
    char seen[MAXNODE];
    int got_null, bad_status, verify;
    long long capacity;
    char err[128];
    int move;                    /* move line: run on from_cpus first */
    cpu_set_t to_cpus;           /* move line: the CPUs of CPUNODE */
    int huge;                    /* huge line: pages must be 2 MiB pages */
    long page_kb;                /* huge line: KernelPageSize seen */
    long long free_mib[MAXNODE]; /* MemFree of the wanted nodes before */
};

static void *worker(void *arg)
{
    struct job *j = arg;
    if (j->op == OP_CAPACITY) {
        j->capacity = memkind_get_capacity(j->kind);
        return NULL;
    }
    if (j->move) {
        /* Kept allocated (see SIZE); touched so the node is in use. */
        char *q = memkind_malloc(j->kind, j->size);
        if (q)
            memset(q, 1, j->size);
        if (sched_setaffinity(0, sizeof(j->to_cpus), &j->to_cpus)) {
            snprintf(j->err, sizeof(j->err), "sched_setaffinity: %s",
                     strerror(errno));
            return NULL;
        }
        sched_yield(); /* the kernel moves us at the next switch at latest */
    }
    for (int i = 0; i < MAXNODE; i++)
        if (j->want[i])
            j->free_mib[i] = node_meminfo(i, "MemFree") >> 20;
    char *p = j->op == OP_HBW ? hbw_malloc(j->size)
                              : memkind_malloc(j->kind, j->size);
    if (!p) {
        j->got_null = 1;
        return NULL;
    }
    long pg = sysconf(_SC_PAGESIZE);
    size_t n = j->size / (size_t)pg;
    void **pages = calloc(n, sizeof(*pages));
    int *status = calloc(n, sizeof(*status));
    if (!pages || !status) {
        snprintf(j->err, sizeof(j->err), "out of memory");
        free(pages);
        free(status);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        p[i * (size_t)pg] = 1;
        pages[i] = p + i * (size_t)pg;
    }
    long rc =
        syscall(SYS_move_pages, 0, (unsigned long)n, pages, NULL, status, 0);
    /* A page the kernel is migrating at that moment (compaction on a full
     * node) reads as not present (-ENOENT) although it was just written:
     * touch such pages again and ask again, a few times. */
    for (int retry = 0; rc == 0 && retry < 5; retry++) {
        size_t again = 0;
        for (size_t i = 0; i < n; i++)
            if (status[i] == -ENOENT) {
                ((volatile char *)pages[i])[0] = 1;
                again++;
            }
        if (!again)
            break;
        usleep(10000);
        rc = syscall(SYS_move_pages, 0, (unsigned long)n, pages, NULL, status,
                     0);
    }
    if (rc) {
        snprintf(j->err, sizeof(j->err), "move_pages: %s", strerror(errno));
    } else {
        for (size_t i = 0; i < n; i++) {
            if (status[i] < 0 || status[i] >= MAXNODE)
                j->bad_status = status[i];
            else
                j->seen[status[i]] = 1;
        }
    }
    if (j->op == OP_HBW)
        j->verify = hbw_verify_memory_region(p, j->size, HBW_TOUCH_PAGES);
    if (j->huge)
        j->page_kb = kernel_page_kb(p);
    free(pages);
    free(status);
    return NULL;
}

static memkind_t kind_named(const char *name)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strcmp(kinds[i].name, name))
            return *kinds[i].kind;
    return NULL;
}

static int policy_named(const char *s, memkind_policy_t *p)
{
    static const char *const names[] = {"BIND_LOCAL", "BIND_ALL",
                                        "PREFERRED_LOCAL", "INTERLEAVE_LOCAL",
                                        "INTERLEAVE_ALL"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *p = (memkind_policy_t)i;
            return 0;
        }
    return -1;
}

/* run: runs job J in a thread bound to CPU node CPUNODE and reports. */
static void run(struct job *j, int cpunode, const char *what)
{
    cpu_set_t cpus;
    pthread_attr_t attr;
    pthread_t t;
    char got[MAXNODE * 4], want[MAXNODE * 4];
    checks++;
    if (node_cpus(cpunode, &cpus)) {
        printf("not ok %d - %s: node %d has no CPUs\n", checks, what, cpunode);
        failed++;
        return;
    }
    pthread_attr_init(&attr);
    pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
    if (pthread_create(&t, &attr, worker, j)) {
        printf("not ok %d - %s: pthread_create failed\n", checks, what);
        failed++;
        return;
    }
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
    format_nodes(j->seen, got, sizeof(got));
    format_nodes(j->want, want, sizeof(want));
    const char *why = NULL;
    char buf[3 * MAXNODE * 4 + 128];
    if (j->err[0]) {
        why = j->err;
    } else if (j->op == OP_CAPACITY) {
        long long sum = 0;
        int empty = 1;
        for (int i = 0; i < MAXNODE; i++)
            if (j->want[i]) {
                empty = 0;
                sum += node_memtotal(i);
            }
        if (empty)
            sum = -1;
        snprintf(got, sizeof(got), "%lld", j->capacity);
        if (j->capacity != sum) {
            snprintf(buf, sizeof(buf),
                     "capacity %lld, expected %lld (nodes %s)", j->capacity,
                     sum, want);
            why = buf;
        }
    } else if (j->mode == MODE_FAIL) {
        if (!j->got_null) {
            snprintf(buf, sizeof(buf), "expected NULL, got pages on %s", got);
            why = buf;
        } else {
            snprintf(got, sizeof(got), "NULL");
        }
    } else if (j->got_null) {
        snprintf(buf, sizeof(buf), "NULL, expected pages on %s", want);
        snprintf(got, sizeof(got), "NULL");
        why = buf;
    } else if (j->bad_status) {
        snprintf(buf, sizeof(buf), "move_pages status %d", j->bad_status);
        why = buf;
    } else {
        int bad = 0;
        for (int i = 0; i < MAXNODE; i++) {
            if (j->seen[i] && !j->want[i])
                bad = 1;
            if (j->mode == MODE_SPREAD && j->want[i] && !j->seen[i])
                bad = 1;
        }
        /* Overflow: the first node filled, the rest went elsewhere. */
        int beyond = 0;
        for (int i = 0; i < MAXNODE; i++)
            if (j->seen[i] && i != j->first)
                beyond = 1;
        if (j->mode == MODE_OVERFLOW && (!j->seen[j->first] || !beyond))
            bad = 1;
        if (bad) {
            char fr[MAXNODE * 12] = "";
            size_t o = 0;
            for (int i = 0; i < MAXNODE && o + 24 < sizeof(fr); i++)
                if (j->want[i])
                    o += (size_t)snprintf(fr + o, sizeof(fr) - o, " %d=%lld", i,
                                          j->free_mib[i]);
            snprintf(buf, sizeof(buf),
                     "pages on %s, expected %s %s (free MiB:%s)", got,
                     j->mode == MODE_SPREAD     ? "spread over"
                     : j->mode == MODE_OVERFLOW ? "node first then others of"
                                                : "in",
                     want, fr);
            why = buf;
        } else if (j->huge && j->page_kb != 2048) {
            snprintf(buf, sizeof(buf), "pages on %s in %ld kB pages, not 2 MiB",
                     got, j->page_kb);
            why = buf;
        } else if (j->op == OP_HBW && j->mode != MODE_OVERFLOW &&
                   j->verify != 0) {
            snprintf(buf, sizeof(buf),
                     "pages on %s but hbw_verify_memory_region says %d", got,
                     j->verify);
            why = buf;
        }
    }
    if (why) {
        printf("not ok %d - %s: %s\n", checks, what, why);
        failed++;
    } else {
        printf("ok %d - %s -> %s\n", checks, what, got);
        passed++;
    }
    fflush(stdout);
}

/* The process's resident memory (VmRSS of /proc/self/status), MiB. */
static long rss_mib(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb < 0 ? -1 : kb >> 10;
}

static int parse_mode(const char *s, enum mode *m)
{
    if (!strcmp(s, "in"))
        *m = MODE_IN;
    else if (!strcmp(s, "spread"))
        *m = MODE_SPREAD;
    else if (!strcmp(s, "fail"))
        *m = MODE_FAIL;
    else
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *hbw_pol = NULL;
    int huge = 0;
    if (argc == 4 && !strcmp(argv[2], "--hbw"))
        hbw_pol = argv[3];
    else if (argc == 3 && !strcmp(argv[2], "--huge"))
        huge = 1;
    else if (argc != 2) {
        fprintf(stderr, "usage: topo_place FILE [--hbw "
                        "bind|preferred|interleave | --huge]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    if (hbw_pol) {
        hbw_policy_t pol;
        if (!strcmp(hbw_pol, "bind"))
            pol = HBW_POLICY_BIND;
        else if (!strcmp(hbw_pol, "preferred"))
            pol = HBW_POLICY_PREFERRED;
        else if (!strcmp(hbw_pol, "interleave"))
            pol = HBW_POLICY_INTERLEAVE;
        else {
            fprintf(stderr, "unknown hbw policy %s\n", hbw_pol);
            return 2;
        }
        if (hbw_set_policy(pol)) {
            printf("not ok 1 - hbw_set_policy(%s) failed\n", hbw_pol);
            printf("placement: 0 passed, 1 failed\n");
            return 1;
        }
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "#\n")] = '\0';
        char *w[8];
        int n = 0;
        for (char *s = strtok(line, " \t"); s && n < 8; s = strtok(NULL, " \t"))
            w[n++] = s;
        if (n == 0)
            continue;
        struct job j;
        memset(&j, 0, sizeof(j));
        j.size = SIZE;
        char what[256];
        int cpu, first; /* index of the CPUNODE word */
        memkind_t created = NULL;
        if (huge != !strcmp(w[0], "huge")) {
            continue; /* --huge runs the huge lines and nothing else */
        } else if (!strcmp(w[0], "huge")) {
            j.op = OP_PLACE;
            j.huge = 1;
            first = 2;
            if (n < 4 || !(j.kind = kind_named(w[1])))
                goto bad;
        } else if (!strcmp(w[0], "place") && !hbw_pol) {
            j.op = OP_PLACE;
            first = 2;
            if (n < 4 || !(j.kind = kind_named(w[1])))
                goto bad;
        } else if (!strcmp(w[0], "move") && !hbw_pol) {
            /* move KIND FROMNODE CPUNODE MODE [NODES]: run() binds the
             * thread to FROMNODE; the worker moves it to CPUNODE. */
            j.op = OP_PLACE;
            j.move = 1;
            first = 3;
            if (n < 5 || !(j.kind = kind_named(w[1])) ||
                node_cpus(atoi(w[3]), &j.to_cpus))
                goto bad;
            cpu = atoi(w[first]);
            if (parse_mode(w[first + 1], &j.mode) ||
                (j.mode != MODE_FAIL &&
                 (n != first + 3 || parse_nodes(w[first + 2], j.want))))
                goto bad;
            snprintf(what, sizeof(what), "move %s from node %s to node %d",
                     w[1], w[2], cpu);
            run(&j, atoi(w[2]), what);
            continue;
        } else if (!strcmp(w[0], "capacity") && !hbw_pol) {
            j.op = OP_CAPACITY;
            if (n != 4 || !(j.kind = kind_named(w[1])) ||
                parse_nodes(w[3], j.want))
                goto bad;
            cpu = atoi(w[2]);
            snprintf(what, sizeof(what), "capacity %s from node %d", w[1], cpu);
            run(&j, cpu, what);
            continue;
        } else if (!strcmp(w[0], "create") && !hbw_pol) {
            j.op = OP_CREATE;
            first = 3;
            memkind_memtype_t mt = 0;
            memkind_policy_t pol;
            if (n < 5 || policy_named(w[2], &pol))
                goto bad;
            if (strstr(w[1], "HIGH_BANDWIDTH"))
                mt |= MEMKIND_MEMTYPE_HIGH_BANDWIDTH;
            if (!strncmp(w[1], "DEFAULT", 7))
                mt |= MEMKIND_MEMTYPE_DEFAULT;
            if (!mt)
                goto bad;
            int err = memkind_create_kind(mt, pol, 0, &created);
            if (err) {
                /* A kind that cannot be made is what "fail" expects. */
                checks++;
                if (n > 4 && !strcmp(w[4], "fail")) {
                    printf("ok %d - create %s %s -> error %d\n", checks, w[1],
                           w[2], err);
                    passed++;
                } else {
                    printf(
                        "not ok %d - create %s %s: memkind_create_kind says %d\n",
                        checks, w[1], w[2], err);
                    failed++;
                }
                continue;
            }
            j.kind = created;
        } else if (!strcmp(w[0], "overflow")) {
            /* overflow WHO CPUNODE MIB FIRST ALLOWED */
            int is_hbw = !strcmp(w[1], "hbw-preferred");
            if (is_hbw ? !hbw_pol || strcmp(hbw_pol, "preferred") : !!hbw_pol)
                continue;
            if (n != 6 || (!is_hbw && !(j.kind = kind_named(w[1]))) ||
                atoi(w[3]) <= 0 || parse_nodes(w[5], j.want))
                goto bad;
            j.op = is_hbw ? OP_HBW : OP_PLACE;
            j.mode = MODE_OVERFLOW;
            j.size = (size_t)atoi(w[3]) << 20;
            j.first = atoi(w[4]);
            cpu = atoi(w[2]);
            snprintf(what, sizeof(what), "overflow %s %s MiB from node %d",
                     w[1], w[3], cpu);
            run(&j, cpu, what);
            continue;
        } else if (!strcmp(w[0], "hbw") && hbw_pol) {
            if (n < 4 || strcmp(w[1], hbw_pol))
                continue;
            j.op = OP_HBW;
            first = 2;
        } else if (!strcmp(w[0], "place") || !strcmp(w[0], "capacity") ||
                   !strcmp(w[0], "move") || !strcmp(w[0], "create") ||
                   !strcmp(w[0], "hbw")) {
            continue;
        } else {
            continue; /* the host script's lines */
        }
        cpu = atoi(w[first]);
        if (parse_mode(w[first + 1], &j.mode) ||
            (j.mode != MODE_FAIL &&
             (n != first + 3 || parse_nodes(w[first + 2], j.want))))
            goto bad;
        if (j.op == OP_CREATE)
            snprintf(what, sizeof(what), "create %s %s from node %d", w[1],
                     w[2], cpu);
        else
            snprintf(what, sizeof(what), "%s %s from node %d",
                     j.op == OP_HBW ? "hbw"
                     : j.huge       ? "huge"
                                    : "place",
                     w[1], cpu);
        run(&j, cpu, what);
        /* created kinds are kept: their memory is still allocated */
        continue;
    bad:
        fprintf(stderr, "%s:%d: malformed line\n", argv[1], lineno);
        return 2;
    }
    printf("placement: %d passed, %d failed (VmRSS %ld MiB)\n", passed, failed,
           rss_mib());
    fflush(stdout);
    fclose(f);
    return failed ? 1 : 0;
}
