// SPDX-License-Identifier: BSD-2-Clause
/*
 * parity_app.c - prints one line per behaviour of issue #14 ("memkind 1.14
 * parity"), so that test/compat/parity-1.14.sh can run the same binary on
 * Debian's libmemkind.so.0 1.14 and on ours and compare the output.
 *
 * Built at test time against Debian's libmemkind-dev 1.14 headers only
 * (never ours), so it sees the API exactly as a 1.14 program does.  Each
 * line is "SECTION ITEM: RESULT" with results that do not depend on
 * addresses, arena numbers or timing.  Lines starting with '#' are
 * information, not compared.
 *
 * Usage: parity_app DIR [SECTION [ARG]]
 *   DIR      an empty scratch directory for PMEM kinds
 *   SECTION  runs one section in this process; without it every section
 *            runs in a fresh process of its own (fork + exec of
 *            /proc/self/exe), so that one section's crash, abort or state
 *            (a kind initialised, a kind destroyed) cannot change another's
 *            lines.  A crashed section prints "SECTION: crashed (signal N)".
 *
 * Layout facts of memkind 1.14 used here (issue #14 item 10): a kind's
 * partition (registry slot) is the unsigned int at byte 8 of struct memkind
 * (ops pointer first), on LP64.
 */
#define _GNU_SOURCE
#include <memkind.h>
#include <memkind_memtier.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exported by libmemkind.so.0 1.14 but declared only in its internal
 * memkind_arena.h, which Debian's libmemkind-dev does not install. */
int memkind_thread_get_arena(struct memkind *kind, unsigned int *arena,
                             size_t size);

static const char *dir;

/* ----------------------------------------------------------------------- */
/* Built-in kinds                                                           */

struct named_kind {
    const char *name;
    memkind_t *kind;
};

#define K(n)                                                                   \
    {                                                                          \
        .name = #n, .kind = &(n)                                               \
    }
static const struct named_kind builtins[] = {
    K(MEMKIND_DEFAULT),
    K(MEMKIND_REGULAR),
    K(MEMKIND_HUGETLB),
    K(MEMKIND_GBTLB),
    K(MEMKIND_INTERLEAVE),
    K(MEMKIND_HBW),
    K(MEMKIND_HBW_ALL),
    K(MEMKIND_HBW_PREFERRED),
    K(MEMKIND_HBW_HUGETLB),
    K(MEMKIND_HBW_ALL_HUGETLB),
    K(MEMKIND_HBW_PREFERRED_HUGETLB),
    K(MEMKIND_HBW_GBTLB),
    K(MEMKIND_HBW_PREFERRED_GBTLB),
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
};
#undef K
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

/* Which built-in kind k is, "new" for any other kind, "null" for NULL. */
static const char *identity(memkind_t k)
{
    if (!k)
        return "null";
    for (size_t i = 0; i < NBUILTINS; ++i)
        if (*builtins[i].kind == k)
            return builtins[i].name;
    return "new";
}

static memkind_t builtin_by_name(const char *name)
{
    for (size_t i = 0; i < NBUILTINS; ++i)
        if (strcmp(builtins[i].name, name) == 0)
            return *builtins[i].kind;
    return NULL;
}

static const char *yes(int b)
{
    return b ? "yes" : "no";
}

/* ----------------------------------------------------------------------- */
/* create_kind: every memtype x policy x flags                              */

static void section_create_kind(const char *arg)
{
    (void)arg;
    static const unsigned long long memtypes[] = {
        0, MEMKIND_MEMTYPE_DEFAULT, MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
        MEMKIND_MEMTYPE_DEFAULT | MEMKIND_MEMTYPE_HIGH_BANDWIDTH, 4};
    static const unsigned long long flagsets[] = {0, MEMKIND_MASK_PAGE_SIZE_2MB,
                                                  30, 1ull << 8};
    for (size_t m = 0; m < sizeof(memtypes) / sizeof(memtypes[0]); ++m) {
        for (int p = 0; p <= (int)MEMKIND_POLICY_MAX_VALUE; ++p) {
            for (size_t f = 0; f < sizeof(flagsets) / sizeof(flagsets[0]);
                 ++f) {
                memkind_t k = NULL;
                int rc = memkind_create_kind((memkind_memtype_t)memtypes[m],
                                             (memkind_policy_t)p,
                                             (memkind_bits_t)flagsets[f], &k);
                const char *id = rc == 0 ? identity(k) : "-";
                printf("create_kind memtype=%llu policy=%d flags=%llu: "
                       "code=%d kind=%s",
                       memtypes[m], p, flagsets[f], rc, id);
                if (rc == 0 && strcmp(id, "new") == 0)
                    printf(" destroy=%d", memkind_destroy_kind(k));
                printf("\n");
            }
        }
    }
}

/* ----------------------------------------------------------------------- */
/* destroy of a built-in kind (one kind per process: arg is its name)       */

static void section_destroy_builtin(const char *name)
{
    memkind_t k = builtin_by_name(name);
    int avail = memkind_check_available(k) == 0;
    int rc = memkind_destroy_kind(k);
    printf("destroy_builtin %s: code=%d", name, rc);
    if (avail) {
        void *p = memkind_malloc(k, 64);
        printf(" usable_after=%s", yes(p != NULL));
        memkind_free(k, p);
    } else {
        printf(" usable_after=unavailable");
    }
    printf("\n");
}

/* ----------------------------------------------------------------------- */
/* size-0 malloc, then memkind_thread_get_arena (fresh process per kind)    */

static memkind_t make_pmem(size_t max_size, int *rc)
{
    memkind_t k = NULL;
    *rc = memkind_create_pmem(dir, max_size, &k);
    return *rc == 0 ? k : NULL;
}

static void section_size0(const char *name)
{
    memkind_t k;
    int rc = 0;
    if (strcmp(name, "pmem") == 0)
        k = make_pmem(0, &rc);
    else
        k = builtin_by_name(name);
    if (!k) {
        printf("size0 %s: kind unavailable (code %d)\n", name, rc);
        return;
    }
    errno = 0;
    void *p = memkind_malloc(k, 0);
    int e = errno;
    unsigned arena = 0;
    int ga = memkind_thread_get_arena(k, &arena, 64);
    printf("size0 %s: malloc0=%s errno=%d get_arena=%d\n", name,
           p ? "non-NULL" : "NULL", e, ga);
    memkind_free(k, p);
}

/* ----------------------------------------------------------------------- */
/* Small fixed kinds                                                        */

static void section_fixed(const char *arg)
{
    (void)arg;
    static const size_t sizes[] = {25, 87, 1024, 4096};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        void *buf = aligned_alloc(4096, 8192);
        memkind_t k = NULL;
        int rc = memkind_create_fixed(buf, sizes[i], &k);
        printf("fixed size=%zu: create=%d", sizes[i], rc);
        if (rc == 0) {
            printf(" capacity=%zd", memkind_get_capacity(k));
            void *p = memkind_malloc(k, 8);
            printf(" malloc8=%s", p ? "non-NULL" : "NULL");
            memkind_free(k, p);
            printf(" destroy=%d", memkind_destroy_kind(k));
        }
        printf("\n");
        free(buf);
    }
}

/* ----------------------------------------------------------------------- */
/* Defragmentation on an uneven heap                                        */

static unsigned mix(unsigned x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; ++i)
        p[i] = (unsigned char)(seed + i * 31);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; ++i)
        if (p[i] != (unsigned char)(seed + i * 31))
            return 0;
    return 1;
}

static void defrag_kind(const char *label, memkind_t k)
{
    enum
    {
        N = 60000,
        SZ = 48
    };
    void **blocks = calloc(N, sizeof(*blocks));
    if (!blocks)
        return;
    for (unsigned i = 0; i < N; ++i) {
        blocks[i] = memkind_malloc(k, SZ);
        if (!blocks[i]) {
            printf("defrag %s: malloc failed\n", label);
            return;
        }
        fill(blocks[i], SZ, i);
    }
    /* Uneven: the share freed varies from 5 % to 95 % in runs of 512
     * blocks, so slabs end up at many fill levels. */
    unsigned live = 0;
    for (unsigned i = 0; i < N; ++i) {
        unsigned pct = 5 + (mix(i / 512) % 91);
        if (mix(i) % 100 < pct) {
            memkind_free(k, blocks[i]);
            blocks[i] = NULL;
        } else {
            ++live;
        }
    }
    unsigned moved = 0, ok = 1;
    for (unsigned i = 0; i < N; ++i) {
        if (!blocks[i])
            continue;
        void *n = memkind_defrag_reallocate(k, blocks[i]);
        if (n) {
            ++moved;
            blocks[i] = n;
        }
        if (!intact(blocks[i], SZ, i))
            ok = 0;
    }
    printf("# defrag %s: %u of %u live blocks moved\n", label, moved, live);
    printf("defrag %s: moved>0=%s intact=%s\n", label, yes(moved > 0), yes(ok));
    for (unsigned i = 0; i < N; ++i)
        memkind_free(k, blocks[i]);
    free(blocks);
}

static void section_defrag(const char *arg)
{
    (void)arg;
    defrag_kind("MEMKIND_DEFAULT", MEMKIND_DEFAULT);
}

/* ----------------------------------------------------------------------- */
/* memtier counters after a registry slot is reused                         */

static unsigned partition_of(memkind_t k)
{
    unsigned v;
    memcpy(&v, (const char *)k + sizeof(void *), sizeof(v));
    return v;
}

/* Where a STATIC_RATIO 1:1 memtier over MEMKIND_DEFAULT and k puts 64
 * requests of 4 KiB, as a string of '0' (DEFAULT) and 'k'; all freed. */
static void static_ratio_pattern(memkind_t k, char out[65])
{
    enum
    {
        NB = 64
    };
    void *p[NB];
    memset(out, '-', NB);
    out[NB] = '\0';
    struct memtier_builder *bld =
        memtier_builder_new(MEMTIER_POLICY_STATIC_RATIO);
    memtier_builder_add_tier(bld, MEMKIND_DEFAULT, 1);
    memtier_builder_add_tier(bld, k, 1);
    struct memtier_memory *m = memtier_builder_construct_memtier_memory(bld);
    if (m) {
        for (int i = 0; i < NB; ++i) {
            p[i] = memtier_malloc(m, 4096);
            if (p[i])
                out[i] = memkind_detect_kind(p[i]) == k ? 'k' : '0';
        }
        for (int i = 0; i < NB; ++i)
            memtier_free(p[i]);
        memtier_delete_memtier_memory(m);
    }
    memtier_builder_delete(bld);
}

static void section_memtier_counters(const char *arg)
{
    (void)arg;
    int rc;
    memkind_t a = make_pmem(0, &rc);
    if (!a) {
        printf("memtier_counters: create A failed (code %d)\n", rc);
        return;
    }
    unsigned slot_a = partition_of(a);
    void *big = memtier_kind_malloc(a, 1 << 20);
    printf("memtier_counters A after 1MiB malloc: %zu\n",
           memtier_kind_allocated_size(a));
    memtier_kind_free(a, big);
    printf("memtier_counters A after free: %zu\n",
           memtier_kind_allocated_size(a));
    /* Left allocated when A is destroyed. */
    void *left = memtier_kind_malloc(a, 4096);
    printf("memtier_counters A with 4096 B live: %zu\n",
           memtier_kind_allocated_size(a));
    (void)left;
    printf("memtier_counters destroy A: %d\n", memkind_destroy_kind(a));

    memkind_t b = make_pmem(0, &rc);
    if (!b) {
        printf("memtier_counters: create B failed (code %d)\n", rc);
        return;
    }
    printf("memtier_counters B same slot as A: %s\n",
           yes(partition_of(b) == slot_a));
    printf("memtier_counters B fresh: %zu\n", memtier_kind_allocated_size(b));
    /* C: a slot never used before, in 1.14 (partition = number of kinds)
     * and in ours (first free slot) alike. */
    memkind_t c = make_pmem(0, &rc);
    if (!c) {
        printf("memtier_counters: create C failed (code %d)\n", rc);
        return;
    }

    /* Placement over B (reused slot) must be that over C (a slot never
     * used before): a carried count would tilt it.  The pattern itself is
     * policy detail (1.14 rebalances in batches), so only the comparison
     * is printed. */
    char with_b[65], with_c[65];
    static_ratio_pattern(c, with_c);
    static_ratio_pattern(b, with_b);
    printf("# static_ratio over a never-used kind: %s\n", with_c);
    printf("# static_ratio over the reused slot:   %s\n", with_b);
    printf("memtier_counters static_ratio over B places as over a never-used "
           "kind: %s\n",
           yes(strcmp(with_b, with_c) == 0));
    printf("memtier_counters destroy B: %d\n", memkind_destroy_kind(b));
    memkind_destroy_kind(c);
}

/* ----------------------------------------------------------------------- */
/* memkind_stats_print: one digest per option bit                           */

struct buf {
    char *s;
    size_t len, cap;
};

static void collect(void *opaque, const char *text)
{
    struct buf *b = opaque;
    size_t n = strlen(text);
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s)
            return;
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
}

static void section_stats_print(const char *arg)
{
    (void)arg;
    static const struct {
        const char *name;
        unsigned bit;
    } opts[] = {
        {"ALL", MEMKIND_STAT_PRINT_ALL},
        {"JSON_FORMAT", MEMKIND_STAT_PRINT_JSON_FORMAT},
        {"OMIT_GENERAL", MEMKIND_STAT_PRINT_OMIT_GENERAL},
        {"OMIT_MERGED_ARENA", MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA},
        {"OMIT_DESTROYED_MERGED_ARENA",
         MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA},
        {"OMIT_PER_ARENA", MEMKIND_STAT_PRINT_OMIT_PER_ARENA},
        {"OMIT_PER_SIZE_CLASS_BINS",
         MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS},
        {"OMIT_PER_SIZE_CLASS_LARGE",
         MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE},
        {"OMIT_MUTEX", MEMKIND_STAT_PRINT_OMIT_MUTEX},
        {"OMIT_EXTENT", MEMKIND_STAT_PRINT_OMIT_EXTENT},
    };
    /* Text markers of the sections the OMIT_* bits drop (jemalloc's
     * malloc_stats_print text format). */
    static const struct {
        const char *section;
        const char *marker;
    } marks[] = {
        {"general", "Version:"},
        {"merged", "Merged arenas stats:"},
        {"destroyed", "Destroyed arenas stats:"},
        {"per_arena", "arenas[0]:"},
        {"bins", "bins:"},
        {"large", "large:"},
        {"mutex", "mutex"},
        {"extent", "extents:"},
    };
    /* Something in every section: small and large blocks of a kind with
     * its own arenas, and a destroyed arena. */
    memkind_t tmp;
    int rc;
    if ((tmp = make_pmem(0, &rc)) != NULL) {
        void *x = memkind_malloc(tmp, 100);
        memkind_free(tmp, x);
        memkind_destroy_kind(tmp);
    }
    void *small = memkind_malloc(MEMKIND_REGULAR, 100);
    void *large = memkind_malloc(MEMKIND_REGULAR, 1 << 20);
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); ++i) {
        struct buf b = {0};
        rc = memkind_stats_print(collect, &b, opts[i].bit);
        printf("stats_print %s: code=%d nonempty=%s", opts[i].name, rc,
               yes(b.len > 0));
        if (opts[i].bit == MEMKIND_STAT_PRINT_JSON_FORMAT) {
            printf(" json=%s", yes(b.s && b.s[0] == '{'));
        } else {
            printf(" has:");
            for (size_t j = 0; j < sizeof(marks) / sizeof(marks[0]); ++j)
                if (b.s && strstr(b.s, marks[j].marker))
                    printf(" %s", marks[j].section);
        }
        printf("\n");
        free(b.s);
    }
    memkind_free(MEMKIND_REGULAR, small);
    memkind_free(MEMKIND_REGULAR, large);
}

/* ----------------------------------------------------------------------- */
/* errno across memkind_free                                                */

static void section_errno_free(const char *arg)
{
    (void)arg;
    static const size_t sizes[] = {16, 4096, 1 << 20};
    int rc;
    memkind_t pm = make_pmem(0, &rc);
    struct {
        const char *name;
        memkind_t k;
    } kinds[] = {{"MEMKIND_DEFAULT", MEMKIND_DEFAULT},
                 {"MEMKIND_REGULAR", MEMKIND_REGULAR},
                 {"pmem", pm}};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); ++i) {
        if (!kinds[i].k)
            continue;
        for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); ++j) {
            for (int detect = 0; detect < 2; ++detect) {
                void *p = memkind_malloc(kinds[i].k, sizes[j]);
                errno = EDOM;
                memkind_free(detect ? NULL : kinds[i].k, p);
                printf("errno_free %s size=%zu kind=%s: unchanged=%s\n",
                       kinds[i].name, sizes[j], detect ? "NULL" : "given",
                       yes(errno == EDOM));
            }
        }
    }
    errno = EDOM;
    memkind_free(MEMKIND_DEFAULT, NULL);
    printf("errno_free NULL pointer: unchanged=%s\n", yes(errno == EDOM));
    if (pm)
        memkind_destroy_kind(pm);
}

/* ----------------------------------------------------------------------- */
/* memtier_ctl_set with negative values                                     */

static void section_memtier_ctl(const char *arg)
{
    (void)arg;
    static const char *const names[] = {
        "policy.dynamic_threshold.trigger",
        "policy.dynamic_threshold.degree",
    };
    static const float values[] = {-1.0f, -0.5f, 0.0f};
    for (size_t n = 0; n < 2; ++n) {
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); ++v) {
            struct memtier_builder *b =
                memtier_builder_new(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
            memtier_builder_add_tier(b, MEMKIND_DEFAULT, 1);
            memtier_builder_add_tier(b, MEMKIND_REGULAR, 1);
            int rc = memtier_ctl_set(b, names[n], &values[v]);
            struct memtier_memory *m =
                memtier_builder_construct_memtier_memory(b);
            printf("memtier_ctl %s=%g: set=%d construct=%s\n", names[n],
                   (double)values[v], rc, m ? "non-NULL" : "NULL");
            if (m)
                memtier_delete_memtier_memory(m);
            memtier_builder_delete(b);
        }
    }
}

/* ----------------------------------------------------------------------- */
/* memkind_create_pmem with huge max_size                                   */

static void section_create_pmem(const char *arg)
{
    (void)arg;
    static const struct {
        const char *name;
        size_t size;
    } sizes[] = {
        {"2^47-1", (1ull << 47) - 1},
        {"2^47", 1ull << 47},
        {"2^60", 1ull << 60},
        {"SIZE_MAX", SIZE_MAX},
    };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        int rc;
        memkind_t k = make_pmem(sizes[i].size, &rc);
        printf("create_pmem max_size=%s: code=%d", sizes[i].name, rc);
        if (k) {
            void *p = memkind_malloc(k, 4096);
            printf(" malloc=%s", p ? "non-NULL" : "NULL");
            memkind_free(k, p);
            printf(" destroy=%d", memkind_destroy_kind(k));
        }
        printf("\n");
    }
}

/* ----------------------------------------------------------------------- */
/* Struct layout as kind authors read it (1.14's offsets, LP64)            */

static void *field_ptr(const void *base, size_t off)
{
    void *v;
    memcpy(&v, (const char *)base + off, sizeof(v));
    return v;
}

static size_t field_size(const void *base, size_t off)
{
    size_t v;
    memcpy(&v, (const char *)base + off, sizeof(v));
    return v;
}

static void section_layout(const char *arg)
{
    (void)arg;
    if (sizeof(void *) != 8 || sizeof(off_t) != 8) {
        printf("layout: not LP64, not checked\n");
        return;
    }
    /* struct memkind: name at 12, priv at 104. */
    printf("layout MEMKIND_DEFAULT name@12: %.64s\n",
           (const char *)MEMKIND_DEFAULT + 12);
    printf("layout MEMKIND_REGULAR name@12: %.64s\n",
           (const char *)MEMKIND_REGULAR + 12);
    printf("layout MEMKIND_DEFAULT partition@8: %u\n",
           partition_of(MEMKIND_DEFAULT));
    printf("layout MEMKIND_INTERLEAVE partition@8: %u\n",
           partition_of(MEMKIND_INTERLEAVE));

    /* struct memkind_pmem: fd 0, offset 8, max_size 16, current_size 64,
     * dir 72. */
    const size_t max = (size_t)64 << 20;
    int rc;
    memkind_t k = make_pmem(max, &rc);
    if (!k) {
        printf("layout pmem: create failed (code %d)\n", rc);
        return;
    }
    const char *priv = field_ptr(k, 104);
    int fd;
    memcpy(&fd, priv, sizeof(fd));
    printf("layout pmem fd@0 is an open file: %s\n",
           yes(fd >= 0 && fcntl(fd, F_GETFD) != -1));
    printf("layout pmem max_size@16 is the limit: %s\n",
           yes(field_size(priv, 16) == max));
    const char *d = field_ptr(priv, 72);
    printf("layout pmem dir@72 is the directory: %s\n",
           yes(d && strncmp(d, dir, strlen(dir)) == 0));
    void *p = memkind_malloc(k, 1 << 20);
    off_t off;
    memcpy(&off, priv + 8, sizeof(off));
    printf("layout pmem after 1 MiB malloc: offset@8>0=%s "
           "current_size@64>0=%s\n",
           yes(off > 0), yes(field_size(priv, 64) > 0));
    memkind_free(k, p);
    memkind_destroy_kind(k);

    /* struct memkind_fixed: size at 8. */
    const size_t fsize = (size_t)1 << 20;
    void *buf = aligned_alloc(4096, fsize);
    memkind_t f = NULL;
    if (buf && memkind_create_fixed(buf, fsize, &f) == 0) {
        printf("layout fixed size@8 is the buffer size: %s\n",
               yes(field_size(field_ptr(f, 104), 8) == fsize));
        memkind_destroy_kind(f);
    } else {
        printf("layout fixed: create failed\n");
    }
    free(buf);
}

/* ----------------------------------------------------------------------- */
/* Driver                                                                   */

static const struct {
    const char *name;
    void (*fn)(const char *arg);
} sections[] = {
    {"size0", section_size0},
    {"create_kind", section_create_kind},
    {"destroy_builtin", section_destroy_builtin},
    {"fixed", section_fixed},
    {"defrag", section_defrag},
    {"memtier_counters", section_memtier_counters},
    {"stats_print", section_stats_print},
    {"errno_free", section_errno_free},
    {"memtier_ctl", section_memtier_ctl},
    {"create_pmem", section_create_pmem},
    {"layout", section_layout},
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* Runs "SECTION ARG" in a fresh process and reports how it ended. */
static void spawn(const char *section, const char *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"parity_app", (char *)dir, (char *)section, (char *)arg,
                        NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
        printf("%s %s: cannot run\n", section, arg ? arg : "");
        return;
    }
    if (WIFSIGNALED(st))
        printf("%s%s%s: crashed (signal %d)\n", section, arg ? " " : "",
               arg ? arg : "", WTERMSIG(st));
    else if (WEXITSTATUS(st) != 0)
        printf("%s%s%s: exit %d\n", section, arg ? " " : "", arg ? arg : "",
               WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [SECTION [ARG]]\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3) {
        for (size_t i = 0; i < NSECTIONS; ++i) {
            if (strcmp(sections[i].name, argv[2]) == 0) {
                sections[i].fn(argc >= 4 ? argv[3] : "");
                return 0;
            }
        }
        fprintf(stderr, "unknown section %s\n", argv[2]);
        return 2;
    }

    Dl_info info;
    if (dladdr((void *)memkind_malloc, &info) && info.dli_fname)
        printf("# library: %s\n", info.dli_fname);
    static const char *const size0_kinds[] = {
        "MEMKIND_DEFAULT", "MEMKIND_REGULAR",  "MEMKIND_INTERLEAVE",
        "MEMKIND_HBW",     "MEMKIND_DAX_KMEM", "pmem"};
    for (size_t i = 0; i < sizeof(size0_kinds) / sizeof(size0_kinds[0]); ++i)
        spawn("size0", size0_kinds[i]);
    for (size_t i = 0; i < NBUILTINS; ++i)
        spawn("destroy_builtin", builtins[i].name);
    for (size_t i = 0; i < NSECTIONS; ++i)
        if (sections[i].fn != section_size0 &&
            sections[i].fn != section_destroy_builtin)
            spawn(sections[i].name, NULL);
    return 0;
}
