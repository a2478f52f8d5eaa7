// SPDX-License-Identifier: BSD-2-Clause
/*
 * numa.c - the NUMA topology snapshot and the node-family engine the
 * mbind-based kinds choose their nodes with (memkind_numa.h).  The
 * node-list parser of the MEMKIND_*_NODES variables is in nodelist.c.
 *
 * The snapshot is read from sysfs once, with open/read into a static
 * buffer (no stdio, no libc malloc: this code also runs under LD_PRELOAD
 * malloc replacements).  What a family's nodes are (HBW, DAX_KMEM, ...) is
 * decided by the family's own file; this file only stores the candidates
 * per initiator node and picks from them.  Tables come from mmap(2), not
 * from the private jemalloc, because the first use may be inside one of
 * its extent hooks (the mbind of a fresh extent).  Nothing here is freed:
 * the snapshot and the families live as long as the process.
 */
#include "config.h"

#include <memkind/internal/memkind_numa.h>

#include <memkind/internal/memkind_dispatch.h>
#include <memkind/internal/memkind_lock.h>
#include <memkind/internal/memkind_log.h>

#include "os.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MK_BITS_PER_LONG (8 * sizeof(unsigned long))
#define MK_SYSFS_NODE    "/sys/devices/system/node"
/// Most CPUs the cpu -> node table covers (cpu_node entries are 16 bits).
#define MK_MAX_CPUS 65535u

/* Popcount of a full-size mask. Returns the number of nodes in it. */
unsigned mk_nodemask_weight(const unsigned long *mask)
{
    unsigned w = 0;
    for (size_t i = 0; i < MK_NODEMASK_WORDS; i++)
        w += (unsigned)__builtin_popcountl(mask[i]);
    return w;
}

/* Returns the lowest node of a full-size mask, or -1 when it is empty. */
int mk_nodemask_first(const unsigned long *mask)
{
    for (size_t i = 0; i < MK_NODEMASK_WORDS; i++)
        if (mask[i])
            return (int)(i * MK_BITS_PER_LONG) + __builtin_ctzl(mask[i]);
    return -1;
}

/* Anonymous zeroed pages for a discovery table (see the file comment).
 * Returns the table or NULL. */
void *mk_numa_table_alloc(size_t size)
{
    void *p = NULL;
    int err = mk_os_map(NULL, size ? size : 1, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &p);
    return err ? NULL : p;
}

/* Gives back a table of mk_numa_table_alloc(); NULL is ignored. */
void mk_numa_table_free(void *p, size_t size)
{
    if (p)
        (void)mk_os_unmap(p, size ? size : 1); /* nothing to do if it fails */
}

/* ---------------------------------------------------------- sysfs reader */

/*
 * One buffer for every file the snapshot reads; only used inside the
 * snapshot's pthread_once, so never by two threads at a time.
 */
static char sysfs_buf[16384];

/* Contents of path, NUL-terminated, in sysfs_buf; NULL when unreadable. */
static const char *read_text(const char *path)
{
    return mk_os_read_text(path, sysfs_buf, sizeof(sysfs_buf)) == 0 ? sysfs_buf
                                                                    : NULL;
}

/*
 * Walks a kernel list ("0-3,8,10-11\n", possibly empty) calling fn for each
 * range.  Returns false on anything that is not such a list.
 */
static bool each_range(const char *s,
                       void (*fn)(void *, unsigned long, unsigned long),
                       void *ctx)
{
    while (*s == ' ' || *s == '\n')
        s++;
    while (*s) {
        char *end;
        if (!isdigit((unsigned char)*s))
            return false;
        unsigned long lo = strtoul(s, &end, 10), hi = lo;
        s = end;
        if (*s == '-') {
            if (!isdigit((unsigned char)s[1]))
                return false;
            hi = strtoul(s + 1, &end, 10);
            s = end;
        }
        if (hi < lo)
            return false;
        fn(ctx, lo, hi);
        if (*s == ',')
            s++;
        else if (*s == '\n' || *s == ' ' || *s == '\0')
            break;
        else
            return false;
    }
    return true;
}

static void set_range_in_mask(void *ctx, unsigned long lo, unsigned long hi)
{
    unsigned long *mask = ctx;
    for (unsigned long n = lo; n <= hi && n < MK_MAX_NODES; n++)
        mk_nodemask_set(mask, (unsigned)n);
}

/* Reads a node list file into mask; false when absent or malformed. */
static bool read_node_list(const char *path, unsigned long *mask)
{
    memset(mask, 0, MK_NODEMASK_WORDS * sizeof(*mask));
    const char *s = read_text(path);
    return s && each_range(s, set_range_in_mask, mask);
}

/* Value of "key:   N kB" in a meminfo-style text, in bytes (0: none). */
static uint64_t meminfo_bytes(const char *text, const char *key)
{
    size_t v = 0;
    return mk_os_meminfo_bytes(text, key, &v) ? v : 0;
}

/* ------------------------------------------------------------- snapshot */

static struct mk_topology topo;
static uint64_t topo_size[MK_MAX_NODES];
static pthread_once_t topo_once = PTHREAD_ONCE_INIT;

struct cpu_fill {
    uint16_t *table; ///< cpu -> node, or NULL while counting
    unsigned node;   ///< node whose CPUs are listed
    unsigned count;  ///< CPUs seen in the current list
    unsigned max;    ///< highest CPU seen + 1, over all lists
};

static void note_cpus(void *ctx, unsigned long lo, unsigned long hi)
{
    struct cpu_fill *f = ctx;
    for (unsigned long c = lo; c <= hi && c < MK_MAX_CPUS; c++) {
        if (f->table)
            f->table[c] = (uint16_t)f->node;
        f->count++;
        if (c + 1 > f->max)
            f->max = (unsigned)c + 1;
    }
}

/* Machines (or containers) without /sys/devices/system/node: one node. */
static void topology_single_node(void)
{
    static uint8_t dist0 = 10;
    const char *mi = read_text("/proc/meminfo");
    topo.nr_nodes = 1;
    mk_nodemask_set(topo.mem, 0);
    mk_nodemask_set(topo.cpu, 0);
    topo.dist = &dist0;
    topo_size[0] = mi ? meminfo_bytes(mi, "MemTotal") : 0;
    topo.size = topo_size;
    topo.nr_cpus = 0;
    topo.cpu_node = NULL; /* every CPU maps to the first CPU node */
}

/* Parses one node's distance line; entries follow the online nodes. */
static void read_distances(uint8_t *dist, unsigned nr, unsigned from,
                           const unsigned long *online)
{
    char path[96];
    (void)snprintf(path, sizeof(path), MK_SYSFS_NODE "/node%u/distance", from);
    const char *s = read_text(path);
    unsigned to = 0;
    while (s && *s) {
        while (to < nr && !mk_nodemask_isset(online, to))
            to++;
        char *end;
        unsigned long d = strtoul(s, &end, 10);
        if (end == s || to >= nr)
            break;
        dist[from * nr + to] = d > 254 ? 254 : (uint8_t)d;
        to++;
        s = end;
        while (*s == ' ' || *s == '\n')
            s++;
    }
}

static void topology_build(void)
{
    unsigned long online[MK_NODEMASK_WORDS], has_mem[MK_NODEMASK_WORDS];
    unsigned long allowed[MK_NODEMASK_WORDS];
    if (!read_node_list(MK_SYSFS_NODE "/online", online) ||
        mk_nodemask_first(online) < 0) {
        topology_single_node();
        return;
    }
    unsigned nr = 0;
    for (unsigned n = 0; n < MK_MAX_NODES; n++)
        if (mk_nodemask_isset(online, n))
            nr = n + 1;
    topo.nr_nodes = nr;
    bool mem_list = read_node_list(MK_SYSFS_NODE "/has_memory", has_mem);
    /* COMPAT(numa(3)): nodes outside the cpuset's mems cannot be bound;
     * libnuma's numa_all_nodes_ptr excludes them the same way. */
    const char *st = read_text("/proc/self/status");
    const char *ma = st ? strstr(st, "Mems_allowed_list:") : NULL;
    memset(allowed, 0xff, sizeof(allowed));
    if (ma) {
        ma += strlen("Mems_allowed_list:");
        while (*ma == ' ' || *ma == '\t')
            ma++;
        unsigned long tmp[MK_NODEMASK_WORDS] = {0};
        if (each_range(ma, set_range_in_mask, tmp))
            memcpy(allowed, tmp, sizeof(allowed));
    }
    struct cpu_fill cf = {.table = NULL, .node = 0, .count = 0, .max = 0};
    for (unsigned n = 0; n < nr; n++) {
        char path[96];
        if (!mk_nodemask_isset(online, n))
            continue;
        (void)snprintf(path, sizeof(path), MK_SYSFS_NODE "/node%u/meminfo", n);
        const char *mi = read_text(path);
        topo_size[n] = mi ? meminfo_bytes(mi, "MemTotal") : 0;
        bool has =
            mem_list ? mk_nodemask_isset(has_mem, n) != 0 : topo_size[n] != 0;
        if (has && topo_size[n] && mk_nodemask_isset(allowed, n))
            mk_nodemask_set(topo.mem, n);
        (void)snprintf(path, sizeof(path), MK_SYSFS_NODE "/node%u/cpulist", n);
        const char *cl = read_text(path);
        cf.count = 0;
        if (cl && each_range(cl, note_cpus, &cf) && cf.count)
            mk_nodemask_set(topo.cpu, n);
    }
    topo.size = topo_size;
    /* Tables sized by what this machine has.  Allocation failure leaves
     * them NULL: distances then read as unknown, CPUs as the first node. */
    uint8_t *dist = mk_numa_table_alloc((size_t)nr * nr);
    if (dist) {
        memset(dist, MK_DIST_UNKNOWN, (size_t)nr * nr);
        for (unsigned n = 0; n < nr; n++)
            if (mk_nodemask_isset(online, n))
                read_distances(dist, nr, n, online);
    }
    topo.dist = dist;
    uint16_t *table =
        cf.max ? mk_numa_table_alloc(cf.max * sizeof(*table)) : NULL;
    if (table) {
        for (unsigned c = 0; c < cf.max; c++)
            table[c] = MK_NO_NODE;
        cf.table = table;
        for (unsigned n = 0; n < nr; n++) {
            char path[96];
            if (!mk_nodemask_isset(topo.cpu, n))
                continue;
            (void)snprintf(path, sizeof(path), MK_SYSFS_NODE "/node%u/cpulist",
                           n);
            const char *cl = read_text(path);
            cf.node = n;
            if (cl)
                (void)each_range(cl, note_cpus, &cf);
        }
        topo.nr_cpus = cf.max;
    }
    topo.cpu_node = table;
    if (mk_nodemask_first(topo.cpu) < 0)
        mk_nodemask_set(topo.cpu, (unsigned)mk_nodemask_first(online));
}

/* Set (release) once topo is built: mk_numa_current_node(), on the
 * allocation path of node-local kinds, then skips pthread_once. */
static bool topo_built;

static void topology_build_once(void)
{
    topology_build();
    __atomic_store_n(&topo_built, true, __ATOMIC_RELEASE);
}

/* The snapshot, built by the first caller.  Returns it, never NULL. */
const struct mk_topology *mk_topology_get(void)
{
    (void)pthread_once(&topo_once, topology_build_once);
    return &topo;
}

/* Returns the SLIT distance a -> b, or MK_DIST_UNKNOWN. */
unsigned mk_topology_distance(const struct mk_topology *t, unsigned a,
                              unsigned b)
{
    if (!t->dist || a >= t->nr_nodes || b >= t->nr_nodes)
        return MK_DIST_UNKNOWN;
    return t->dist[a * t->nr_nodes + b];
}

/* Returns the node of cpu; unknown CPUs (hotplugged later, or no table)
 * count as the first node with CPUs. */
unsigned mk_topology_cpu_node(const struct mk_topology *t, int cpu)
{
    if (cpu >= 0 && t->cpu_node && (unsigned)cpu < t->nr_cpus &&
        t->cpu_node[cpu] != MK_NO_NODE)
        return t->cpu_node[cpu];
    int first = mk_nodemask_first(t->cpu);
    return first < 0 ? 0 : (unsigned)first;
}

/* --------------------------------------------------------- node families */

/*
 * Picks from init's candidates: all, the nearest ones by SLIT distance, the
 * single nearest one, or the only one.  Pure.  Returns 0 or the candidate's
 * error, MEMKIND_ERROR_UNAVAILABLE (none) or MEMKIND_ERROR_RUNTIME (a
 * single node was required and several qualify).
 */
int mk_nodes_pick(const struct mk_topology *t, const struct mk_node_cand *cand,
                  unsigned init, enum mk_pick pick, unsigned long *out)
{
    memset(out, 0, MK_NODEMASK_WORDS * sizeof(*out));
    if (init >= t->nr_nodes)
        return MEMKIND_ERROR_UNAVAILABLE;
    const struct mk_node_cand *c = &cand[init];
    if (c->err)
        return c->err;
    unsigned w = mk_nodemask_weight(c->mask);
    if (w == 0)
        return MEMKIND_ERROR_UNAVAILABLE;
    if (pick == MK_PICK_ALL) {
        memcpy(out, c->mask, sizeof(c->mask));
        return 0;
    }
    if (pick == MK_PICK_ONLY_ONE) {
        if (w != 1)
            return MEMKIND_ERROR_RUNTIME;
        memcpy(out, c->mask, sizeof(c->mask));
        return 0;
    }
    unsigned best = UINT_MAX, count = 0;
    for (unsigned n = 0; n < t->nr_nodes; n++) {
        if (!mk_nodemask_isset(c->mask, n))
            continue;
        unsigned d = mk_topology_distance(t, init, n);
        if (d < best) {
            best = d;
            count = 0;
            memset(out, 0, MK_NODEMASK_WORDS * sizeof(*out));
        }
        if (d == best) {
            mk_nodemask_set(out, n);
            count++;
        }
    }
    /* memkind(3) *_PREFERRED: fails when two nodes are equally close. */
    if (pick == MK_PICK_CLOSEST_ONE && count != 1)
        return MEMKIND_ERROR_RUNTIME;
    return 0;
}

/* Same candidates (set's memory nodes) for every initiator.  Pure.
 * Returns 0 or MEMKIND_ERROR_UNAVAILABLE. */
int mk_cand_from_set(const struct mk_topology *t, const unsigned long *set,
                     struct mk_node_cand *cand)
{
    unsigned long use[MK_NODEMASK_WORDS];
    for (size_t i = 0; i < MK_NODEMASK_WORDS; i++)
        use[i] = set[i] & t->mem[i];
    if (mk_nodemask_first(use) < 0)
        return MEMKIND_ERROR_UNAVAILABLE;
    for (unsigned n = 0; n < t->nr_nodes; n++) {
        cand[n].err = 0;
        memcpy(cand[n].mask, use, sizeof(use));
    }
    return 0;
}

/*
 * Builds are rare (once per family) and serialised by one mutex; a build
 * must not use another family.  done is read without the lock on the fast
 * path, so it is published with release/acquire ordering after err and
 * cand.
 */
static MK_FORK_PAGE pthread_mutex_t family_lock = PTHREAD_MUTEX_INITIALIZER;

static void family_build(struct mk_node_family *f)
{
    const struct mk_topology *t = mk_topology_get();
    size_t bytes = t->nr_nodes * sizeof(struct mk_node_cand);
    struct mk_node_cand *cand = mk_numa_table_alloc(bytes);
    if (!cand) {
        f->err = MEMKIND_ERROR_MALLOC;
        return;
    }
    f->err = f->build(t, cand);
    if (f->err) {
        mk_numa_table_free(cand, bytes);
        return;
    }
    f->cand = cand;
}

/* fork() while another thread builds: the child must not inherit the lock
 * held (it would wait for a build that never ends), so the fork protocol
 * (src/fork.c) holds it across fork(). */
void mk_numa_prefork(void)
{
    mk_mutex_lock(&family_lock, MK_RANK_FAMILY);
}

void mk_numa_postfork(void)
{
    mk_mutex_unlock(&family_lock, MK_RANK_FAMILY);
}

/* Builds f once (first caller; others wait).  One load when built.
 * Returns 0 or the family's MEMKIND_ERROR_*. */
int mk_node_family_ready(struct mk_node_family *f)
{
    if (MK_LIKELY(__atomic_load_n(&f->done, __ATOMIC_ACQUIRE)))
        return f->err;
    mk_mutex_lock(&family_lock, MK_RANK_FAMILY);
    if (!f->done) {
        family_build(f);
        __atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
    }
    mk_mutex_unlock(&family_lock, MK_RANK_FAMILY);
    return f->err;
}

/* The calling thread's nodes of f, chosen by pick, into a maxnode-bit
 * mask.  Returns 0 or MEMKIND_ERROR_*. */
int mk_node_family_nodes(struct mk_node_family *f, enum mk_pick pick,
                         unsigned long *nodemask, unsigned long maxnode)
{
    unsigned long nodes[MK_NODEMASK_WORDS];
    int err = mk_node_family_ready(f);
    if (err)
        return err;
    const struct mk_topology *t = mk_topology_get();
    err = mk_nodes_pick(t, f->cand, mk_numa_current_node(), pick, nodes);
    if (err)
        return err;
    memset(nodemask, 0, (maxnode + 7) / 8);
    bool any = false;
    for (unsigned n = 0; n < t->nr_nodes && n < maxnode; n++) {
        if (mk_nodemask_isset(nodes, n)) {
            mk_nodemask_set(nodemask, n);
            any = true;
        }
    }
    return any ? 0 : MEMKIND_ERROR_UNAVAILABLE;
}

/* Every candidate of every initiator.  Returns 0 or MEMKIND_ERROR_*. */
int mk_node_family_union(struct mk_node_family *f, unsigned long *out)
{
    int err = mk_node_family_ready(f);
    memset(out, 0, MK_NODEMASK_WORDS * sizeof(*out));
    if (err)
        return err;
    const struct mk_topology *t = mk_topology_get();
    int first_err = 0;
    for (unsigned n = 0; n < t->nr_nodes; n++) {
        if (f->cand[n].err) {
            if (!first_err)
                first_err = f->cand[n].err;
            continue;
        }
        for (size_t i = 0; i < MK_NODEMASK_WORDS; i++)
            out[i] |= f->cand[n].mask[i];
    }
    if (mk_nodemask_first(out) >= 0)
        return 0;
    return first_err ? first_err : MEMKIND_ERROR_UNAVAILABLE;
}

/* ------------------------------------------------------ simple node sets */

/* Copies the full-size mask src into dst of maxnode bits. */
static int copy_out(unsigned long *dst, unsigned long maxnode,
                    const unsigned long *src)
{
    bool any = false;
    memset(dst, 0, (maxnode + 7) / 8);
    for (unsigned n = 0; n < MK_MAX_NODES && n < maxnode; n++) {
        if (mk_nodemask_isset(src, n)) {
            mk_nodemask_set(dst, n);
            any = true;
        }
    }
    return any ? 0 : MEMKIND_ERROR_UNAVAILABLE;
}

/* memkind(3) MEMKIND_REGULAR: "the NUMA nodes containing CPUs" (with
 * memory).  Returns 0 or MEMKIND_ERROR_UNAVAILABLE. */
int mk_numa_regular_nodes(unsigned long *mask, unsigned long maxnode)
{
    const struct mk_topology *t = mk_topology_get();
    unsigned long both[MK_NODEMASK_WORDS];
    for (size_t i = 0; i < MK_NODEMASK_WORDS; i++)
        both[i] = t->cpu[i] & t->mem[i];
    return copy_out(mask, maxnode, both);
}

/* Every node with memory.  Returns 0 or MEMKIND_ERROR_UNAVAILABLE. */
int mk_numa_all_nodes(unsigned long *mask, unsigned long maxnode)
{
    return copy_out(mask, maxnode, mk_topology_get()->mem);
}

/* Node the calling thread acts for, MK_NO_NODE when none (see
 * mk_numa_node_override()).  Same TLS block as the thread caches' state,
 * which every thread that reaches an extent hook has already touched. */
static __thread unsigned node_override = MK_NO_NODE;

unsigned mk_numa_node_override(unsigned node)
{
    unsigned old = node_override;
    node_override = node;
    return old;
}

/* Returns the node of the CPU the caller runs on, ignoring any override:
 * the allocation-path check of node-local kinds (src/tcache.h), which runs
 * outside hooks.  sched_getcpu() reads the rseq area with glibc 2.35 and
 * later (the vDSO otherwise, and under valgrind). */
unsigned mk_numa_cpu_node_now(void)
{
    const struct mk_topology *t =
        MK_LIKELY(__atomic_load_n(&topo_built, __ATOMIC_ACQUIRE))
            ? &topo
            : mk_topology_get();
    int cpu = sched_getcpu();
    if (MK_LIKELY(cpu >= 0 && (unsigned)cpu < t->nr_cpus) &&
        t->cpu_node[cpu] != MK_NO_NODE)
        return t->cpu_node[cpu];
    return mk_topology_cpu_node(t, cpu);
}

/* Returns the node of the CPU the caller runs on (sched_getcpu: rseq or
 * vDSO), or the node it acts for (mk_numa_node_override()). */
unsigned mk_numa_current_node(void)
{
    if (node_override != MK_NO_NODE)
        return node_override;
    const struct mk_topology *t =
        MK_LIKELY(__atomic_load_n(&topo_built, __ATOMIC_ACQUIRE))
            ? &topo
            : mk_topology_get();
    return mk_topology_cpu_node(t, sched_getcpu());
}

/*
 * memkind_get_capacity() of NUMA kinds: the sizes of the nodes the kind
 * binds to.  COMPAT(1.14): -1 for MPOL_PREFERRED kinds - memkind(3) lists
 * none of them as supported.  Returns bytes or -1.
 */
ssize_t mk_numa_kind_capacity(struct memkind *kind)
{
    unsigned long mask[MK_NODEMASK_WORDS];
    int mode = MPOL_BIND, err;
    if (kind_op_get_mbind_mode(kind, &mode) != 0 || mode == MPOL_PREFERRED)
        return -1;
    if (kind_op_has_mbind_nodemask(kind))
        err = kind_op_get_mbind_nodemask(kind, mask, MK_MAX_NODES);
    else
        err = mk_numa_all_nodes(mask, MK_MAX_NODES);
    if (err)
        return -1;
    const struct mk_topology *t = mk_topology_get();
    uint64_t total = 0;
    for (unsigned n = 0; n < t->nr_nodes; n++)
        if (mk_nodemask_isset(mask, n))
            total += t->size[n];
    return total > 0 && total <= (uint64_t)SSIZE_MAX ? (ssize_t)total : -1;
}
