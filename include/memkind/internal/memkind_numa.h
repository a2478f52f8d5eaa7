// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_numa.h - NUMA topology for the mbind-based kinds: a snapshot of
 * the machine's nodes (taken once, from sysfs), the node-list parser behind
 * MEMKIND_HBW_NODES / MEMKIND_DAX_KMEM_NODES, and "node families": the
 * candidate nodes of a kind family for each initiator (CPU) node, from
 * which a kind picks all nodes, the closest ones or exactly one.
 *
 * The parser and the candidate/pick functions are pure: they work on data
 * the caller passes, so unit tests drive them with made-up topologies.
 */
#pragma once

#include "memkind_private.h"

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Nodes a node mask can name; masks are MK_NODEMASK_WORDS longs.
#define MK_MAX_NODES      1024
#define MK_NODEMASK_WORDS (MK_MAX_NODES / (8 * sizeof(unsigned long)))
/// cpu_node entry of a CPU that belongs to no node.
#define MK_NO_NODE 0xffffu
/// SLIT distance the snapshot uses when the kernel gives none.
#define MK_DIST_UNKNOWN 255

static inline void mk_nodemask_set(unsigned long *mask, unsigned node)
{
    mask[node / (8 * sizeof(unsigned long))] |=
        1UL << (node % (8 * sizeof(unsigned long)));
}

static inline int mk_nodemask_isset(const unsigned long *mask, unsigned node)
{
    return (mask[node / (8 * sizeof(unsigned long))] >>
            (node % (8 * sizeof(unsigned long)))) &
           1UL;
}

/// Zeroed memory for discovery tables, from mmap(2): usable inside extent
/// hooks.  Returns NULL on failure.
void *mk_numa_table_alloc(size_t size);
/// Releases a table of mk_numa_table_alloc() (NULL is ignored).
void mk_numa_table_free(void *p, size_t size);

/// Number of nodes in a full-size (MK_MAX_NODES) mask.
unsigned mk_nodemask_weight(const unsigned long *mask);
/// Lowest node in a full-size mask, or -1 when it is empty.
int mk_nodemask_first(const unsigned long *mask);

/*
 * The machine as the library sees it.  Filled once by mk_topology_get();
 * tests build their own.  Arrays are indexed by node id (dist: row = from,
 * column = to) and by CPU number.
 */
struct mk_topology {
    unsigned nr_nodes;                    ///< highest node id + 1
    unsigned long mem[MK_NODEMASK_WORDS]; ///< nodes with memory we may use
    unsigned long cpu[MK_NODEMASK_WORDS]; ///< nodes with CPUs
    const uint8_t *dist;                  ///< nr_nodes^2 SLIT distances
    const uint64_t *size;                 ///< bytes of memory per node
    unsigned nr_cpus;                     ///< entries in cpu_node
    const uint16_t *cpu_node;             ///< node of each CPU or MK_NO_NODE
};

/// The snapshot of this machine (never NULL; a one-node machine when sysfs
/// has no NUMA information).  Thread-safe, built on first use.
const struct mk_topology *mk_topology_get(void);
/// Distance from node a to node b (MK_DIST_UNKNOWN when unknown).
unsigned mk_topology_distance(const struct mk_topology *t, unsigned a,
                              unsigned b);
/// Node of cpu, or of the first node with CPUs when cpu is unknown.
unsigned mk_topology_cpu_node(const struct mk_topology *t, int cpu);

/* ------------------------------------------------------------ node lists */

/// Outcome of mk_nodelist_parse().
enum mk_nodelist_status
{
    MK_NODELIST_OK = 0,  ///< parsed; at least one node selected
    MK_NODELIST_EMPTY,   ///< the string is empty
    MK_NODELIST_SYNTAX,  ///< not a node list; parsing stopped at pos
    MK_NODELIST_MISSING, ///< a '-' is not followed by a node (at pos)
    MK_NODELIST_RANGE,   ///< node is not one of the allowed nodes
    MK_NODELIST_NONE,    ///< well formed, but selects no node
};

struct mk_nodelist_error {
    enum mk_nodelist_status status; ///< as returned
    size_t pos;                     ///< offset where parsing stopped
    long long node;                 ///< offending node (MK_NODELIST_RANGE)
};

/*
 * Parses a node list with the syntax of libnuma's numa_parse_nodestring()
 * (numa(3)), which memkind 1.14 used for MEMKIND_HBW_NODES and
 * MEMKIND_DAX_KMEM_NODES: "N", "N-M" and comma-separated lists of them
 * (numbers as strtoul base 0 reads them), "all", a leading "!" to invert
 * the selection within the allowed nodes and a leading "+" for node numbers
 * relative to the allowed set.  Every node named must be in allowed (a
 * full-size mask).  Pure: no allocation, no output.
 * Returns MK_NODELIST_OK with the nodes in out (full size), else a status
 * also stored in *err when err is not NULL; out is then undefined.
 */
enum mk_nodelist_status mk_nodelist_parse(const char *s,
                                          const unsigned long *allowed,
                                          unsigned long *out,
                                          struct mk_nodelist_error *err);

/// Formats one line describing err for variable name=value into buf.
void mk_nodelist_describe(char *buf, size_t len, const char *name,
                          const char *value,
                          const struct mk_nodelist_error *err);

/*
 * Reads environment variable name as a node list over t's memory nodes.
 * Returns 1 when it is unset, 0 with the nodes in out when it parses, or
 * MEMKIND_ERROR_ENVIRON after printing one warning line.
 */
int mk_numa_env_nodes(const struct mk_topology *t, const char *name,
                      unsigned long *out);

/* --------------------------------------------------------- node families */

/// Candidate nodes of a family for one initiator node.
struct mk_node_cand {
    int err;                               ///< 0 or MEMKIND_ERROR_*
    unsigned long mask[MK_NODEMASK_WORDS]; ///< candidates (err == 0)
};

/// How a kind chooses among its family's candidates.
enum mk_pick
{
    MK_PICK_ALL,         ///< every candidate (the *_ALL and INTERLEAVE kinds)
    MK_PICK_CLOSEST,     ///< the candidates nearest the initiator (ties: all)
    MK_PICK_CLOSEST_ONE, ///< the nearest candidate; ties are an error
    MK_PICK_ONLY_ONE,    ///< the candidate; more than one is an error
};

/*
 * Chooses, for a thread on initiator node init, the nodes a kind binds to.
 * cand has t->nr_nodes entries.  Pure.
 * Returns 0 with the nodes in out (full size), the candidate's error,
 * MEMKIND_ERROR_UNAVAILABLE when there is no candidate, or
 * MEMKIND_ERROR_RUNTIME when a single node was required and several
 * qualify.
 */
int mk_nodes_pick(const struct mk_topology *t, const struct mk_node_cand *cand,
                  unsigned init, enum mk_pick pick, unsigned long *out);

/// Gives every initiator node the same candidates set.  Returns 0, or
/// MEMKIND_ERROR_UNAVAILABLE when set has no memory node of t.
int mk_cand_from_set(const struct mk_topology *t, const unsigned long *set,
                     struct mk_node_cand *cand);

/*
 * A family of kinds that share node discovery (HBW, DAX_KMEM, ...).
 * build fills the zeroed cand array (t->nr_nodes entries) and returns 0 or
 * a MEMKIND_ERROR_* that then holds for the whole family.  It runs once,
 * on first use, under a library-wide build lock (so it must not use another
 * family), and may log and allocate; the result is kept for the process
 * lifetime.
 */
typedef int mk_family_build_fn(const struct mk_topology *t,
                               struct mk_node_cand *cand);

struct mk_node_family {
    mk_family_build_fn *build; ///< discovery
    int done;                  ///< build ran (atomic)
    int err;                   ///< build result
    struct mk_node_cand *cand; ///< per initiator node (NULL on error)
};

#define MK_NODE_FAMILY_INIT(build_)                                            \
    {                                                                          \
        .build = build_, .done = 0, .err = 0, .cand = NULL,                    \
    }

/// Fork protocol (src/fork.c): hold the family build lock across fork().
void mk_numa_prefork(void);
void mk_numa_postfork(void);

/// Runs f's discovery once. Returns 0 or the family's MEMKIND_ERROR_*.
int mk_node_family_ready(struct mk_node_family *f);

/*
 * Nodes of family f for the calling thread's node, chosen by pick, copied
 * into nodemask (maxnode bits, cleared first).  Called from extent hooks:
 * does not allocate after the first call.
 * Returns 0 or MEMKIND_ERROR_* (see mk_nodes_pick()).
 */
int mk_node_family_nodes(struct mk_node_family *f, enum mk_pick pick,
                         unsigned long *nodemask, unsigned long maxnode);

/// Union over all initiator nodes of family f's candidates (full size).
/// Returns 0 or the family's error (MEMKIND_ERROR_UNAVAILABLE when empty).
int mk_node_family_union(struct mk_node_family *f, unsigned long *out);

/* ------------------------------------------------- simple node sets */

/// Fills mask (maxnode bits, zeroed first) with the nodes that have CPUs and
/// memory.  Returns 0 or MEMKIND_ERROR_UNAVAILABLE.
int mk_numa_regular_nodes(unsigned long *mask, unsigned long maxnode);
/// Fills mask with every node that has memory. Returns 0 or error.
int mk_numa_all_nodes(unsigned long *mask, unsigned long maxnode);
/// Node of the CPU the caller runs on (the first CPU node when unknown).
unsigned mk_numa_current_node(void);

/// Node of the CPU the caller runs on now, whatever the override below.
unsigned mk_numa_cpu_node_now(void);
/*
 * The node mk_numa_current_node() reports while set: the node of the arena
 * whose extent an extent hook binds (src/arena.c), or the node whose mask
 * the arena layer asks a kind for, so that the kind's get_mbind_nodemask op
 * answers for that node instead of the CPU the thread runs on now.
 * Returns the previous value, to restore it; MK_NO_NODE clears it.
 */
unsigned mk_numa_node_override(unsigned node);
/*
 * Sum of the sizes of the nodes in kind's node set (all nodes for kinds
 * without one).  COMPAT(1.14): -1 for kinds bound with MPOL_PREFERRED,
 * which may take memory from any node - memkind(3) memkind_get_capacity()
 * lists no PREFERRED kind.  Returns bytes or -1.
 */
ssize_t mk_numa_kind_capacity(struct memkind *kind);

#ifdef __cplusplus
}
#endif
