// SPDX-License-Identifier: BSD-2-Clause
/*
 * abi_layout.c - compile-time proof that the structs memkind 1.14's kind
 * authors read through the installed memkind/internal headers (struct
 * memkind, memkind_ops, memkind_pmem, memkind_fixed, memkind_config) keep
 * 1.14's fields: same names, types, order and offsets, ours only after
 * them (issue #14 item 10).  Holds no code and no data.
 *
 * Built into the library, so every build checks it, and compiled again by
 * test/abi/check-layout.sh against include/ alone, as a program built on
 * the installed headers would see them (C11 and C++, without config.h).
 *
 * Two kinds of checks:
 *  - portable: each 1.14 field has the type 1.14 declared and the offset it
 *    has in a struct declared with exactly 1.14's field list (mk114_*
 *    below), on whatever ABI this is compiled for;
 *  - x86_64 (LP64): the offsets as numbers.  Measured from Debian
 *    libmemkind-dev 1.14.0-2 on x86_64: that package installs no
 *    memkind/internal headers, so offsetof/sizeof were taken over 1.14's
 *    declarations of these structs and confirmed against the machine code
 *    of Debian's libmemkind.so.0.0.1 (1.14.0-2, amd64): a kind is
 *    calloc(1, 0x78); memkind_pmem_create() allocates 0x50 bytes and
 *    stores priv at +0x68; memkind_pmem_mmap() takes the lock at priv+0x18,
 *    checks max_size (+0x10) against current_size (+0x40) and passes fd
 *    (+0) and offset (+8) to posix_fallocate(); memkind_pmem_destroy()
 *    frees dir (+0x48); memkind_fixed_create() allocates 0x40 with its lock
 *    at +0x18 and the extent hook bumps addr (+0) and current (+0x10)
 *    against size (+8); memkind_config_set_*() store at +0, +8 and +0x10;
 *    memkind_set_arena_map_len() writes arena_map_mask (+0x70) from
 *    arena_map_len (+0x50); memkind_arena_create_map() writes arena_zero
 *    (+0x74); the kind-by-name lookup compares name at +0xc; each
 *    MEMKIND_*_OPS table is 0xa8 bytes.
 *
 * Define MK_LAYOUT_SELF_TEST to add one assertion that must fail (the test
 * uses it to prove the checks are live in its compilations).
 */
#ifdef HAVE_CONFIG_H /* absent when test/abi/check-layout.sh compiles it */
#include "config.h"
#endif

#include <memkind/internal/memkind_fixed.h>
#include <memkind/internal/memkind_pmem.h>
#include <memkind/internal/memkind_private.h>

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
#include <type_traits>
#define MK_LAYOUT_ASSERT(e, msg) static_assert(e, msg)
#define MK_HAS_TYPE(s, f, T)                                                   \
    (std::is_same<decltype(&((struct s *)0)->f), T *>::value)
#else
#define MK_LAYOUT_ASSERT(e, msg) _Static_assert(e, msg)
#define MK_HAS_TYPE(s, f, T)     _Generic(&((struct s *)0)->f, T * : 1, default : 0)
#endif

/* 1.14's field lists, nothing else (our own declarations of them). */
typedef char mk_kind_name_t[MEMKIND_NAME_LENGTH_PRIV];
typedef void (*mk_any_fn)(void);

struct mk114_memkind {
    struct memkind_ops *ops;
    unsigned int partition;
    mk_kind_name_t name;
    pthread_once_t init_once;
    unsigned int arena_map_len;
    unsigned int *arena_map;
    pthread_key_t arena_key;
    void *priv;
    unsigned int arena_map_mask;
    unsigned int arena_zero;
};

struct mk114_memkind_pmem {
    int fd;
    off_t offset;
    size_t max_size;
    pthread_mutex_t pmem_lock;
    size_t current_size;
    char *dir;
};

struct mk114_memkind_fixed {
    void *addr;
    size_t size;
    size_t current;
    pthread_mutex_t lock;
};

struct mk114_memkind_config {
    const char *pmem_dir;
    size_t pmem_size;
    memkind_mem_usage_policy policy;
};

/* Field f of struct s has type T and sits where 1.14 put it. */
#define MK_FIELD(s, f, T)                                                      \
    MK_LAYOUT_ASSERT(MK_HAS_TYPE(s, f, T), #s "." #f " has not 1.14's type");  \
    MK_LAYOUT_ASSERT(offsetof(struct s, f) == offsetof(struct mk114_##s, f),   \
                     #s "." #f " is not at 1.14's offset")

MK_FIELD(memkind, ops, struct memkind_ops *);
MK_FIELD(memkind, partition, unsigned int);
MK_FIELD(memkind, name, mk_kind_name_t);
MK_FIELD(memkind, init_once, pthread_once_t);
MK_FIELD(memkind, arena_map_len, unsigned int);
MK_FIELD(memkind, arena_map, unsigned int *);
MK_FIELD(memkind, arena_key, pthread_key_t);
MK_FIELD(memkind, priv, void *);
MK_FIELD(memkind, arena_map_mask, unsigned int);
MK_FIELD(memkind, arena_zero, unsigned int);
MK_LAYOUT_ASSERT(sizeof(struct memkind) >= sizeof(struct mk114_memkind),
                 "struct memkind is smaller than 1.14's");

MK_FIELD(memkind_pmem, fd, int);
MK_FIELD(memkind_pmem, offset, off_t);
MK_FIELD(memkind_pmem, max_size, size_t);
MK_FIELD(memkind_pmem, pmem_lock, pthread_mutex_t);
MK_FIELD(memkind_pmem, current_size, size_t);
MK_FIELD(memkind_pmem, dir, char *);
MK_LAYOUT_ASSERT(sizeof(struct memkind_pmem) >=
                     sizeof(struct mk114_memkind_pmem),
                 "struct memkind_pmem is smaller than 1.14's");

MK_FIELD(memkind_fixed, addr, void *);
MK_FIELD(memkind_fixed, size, size_t);
MK_FIELD(memkind_fixed, current, size_t);
MK_FIELD(memkind_fixed, lock, pthread_mutex_t);
MK_LAYOUT_ASSERT(sizeof(struct memkind_fixed) ==
                     sizeof(struct mk114_memkind_fixed),
                 "struct memkind_fixed differs from 1.14's in size");

MK_FIELD(memkind_config, pmem_dir, const char *);
MK_FIELD(memkind_config, pmem_size, size_t);
MK_FIELD(memkind_config, policy, memkind_mem_usage_policy);
MK_LAYOUT_ASSERT(sizeof(struct memkind_config) ==
                     sizeof(struct mk114_memkind_config),
                 "struct memkind_config differs from 1.14's in size");

/* struct memkind_ops: 21 function pointers, member i at slot i. */
#define MK_OP(f, i)                                                            \
    MK_LAYOUT_ASSERT(offsetof(struct memkind_ops, f) ==                        \
                         (i) * sizeof(mk_any_fn),                              \
                     "memkind_ops." #f " is not 1.14's member " #i)
MK_OP(create, 0);
MK_OP(destroy, 1);
MK_OP(malloc, 2);
MK_OP(calloc, 3);
MK_OP(posix_memalign, 4);
MK_OP(realloc, 5);
MK_OP(free, 6);
MK_OP(mmap, 7);
MK_OP(mbind, 8);
MK_OP(madvise, 9);
MK_OP(get_mmap_flags, 10);
MK_OP(get_mbind_mode, 11);
MK_OP(get_mbind_nodemask, 12);
MK_OP(get_arena, 13);
MK_OP(check_available, 14);
MK_OP(init_once, 15);
MK_OP(finalize, 16);
MK_OP(malloc_usable_size, 17);
MK_OP(update_memory_usage_policy, 18);
MK_OP(get_stat, 19);
MK_OP(defrag_reallocate, 20);
MK_LAYOUT_ASSERT(sizeof(struct memkind_ops) == 21 * sizeof(mk_any_fn),
                 "struct memkind_ops has not 1.14's 21 members");

#if defined(__x86_64__) && defined(__LP64__)
/* The numbers, measured as the file comment says. */
#define MK_AT(s, f, off)                                                       \
    MK_LAYOUT_ASSERT(offsetof(struct s, f) == (off),                           \
                     #s "." #f " is not at offset " #off " as in 1.14")
MK_AT(memkind, ops, 0);
MK_AT(memkind, partition, 8);
MK_AT(memkind, name, 12);
MK_AT(memkind, init_once, 76);
MK_AT(memkind, arena_map_len, 80);
MK_AT(memkind, arena_map, 88);
MK_AT(memkind, arena_key, 96);
MK_AT(memkind, priv, 104);
MK_AT(memkind, arena_map_mask, 112);
MK_AT(memkind, arena_zero, 116);
MK_LAYOUT_ASSERT(sizeof(struct mk114_memkind) == 120, "1.14 kind size");

MK_AT(memkind_pmem, fd, 0);
MK_AT(memkind_pmem, offset, 8);
MK_AT(memkind_pmem, max_size, 16);
MK_AT(memkind_pmem, pmem_lock, 24);
MK_AT(memkind_pmem, current_size, 64);
MK_AT(memkind_pmem, dir, 72);
MK_LAYOUT_ASSERT(sizeof(struct mk114_memkind_pmem) == 80, "1.14 pmem size");

MK_AT(memkind_fixed, addr, 0);
MK_AT(memkind_fixed, size, 8);
MK_AT(memkind_fixed, current, 16);
MK_AT(memkind_fixed, lock, 24);
MK_LAYOUT_ASSERT(sizeof(struct memkind_fixed) == 64, "1.14 fixed size");

MK_AT(memkind_config, pmem_dir, 0);
MK_AT(memkind_config, pmem_size, 8);
MK_AT(memkind_config, policy, 16);
MK_LAYOUT_ASSERT(sizeof(struct memkind_config) == 24, "1.14 config size");

MK_LAYOUT_ASSERT(sizeof(struct memkind_ops) == 168, "1.14 ops size");
#endif

#ifdef MK_LAYOUT_SELF_TEST
MK_LAYOUT_ASSERT(offsetof(struct memkind, priv) ==
                     offsetof(struct mk114_memkind, priv) + 1,
                 "self test: this assertion must fail");
#endif
