// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_util.h - small pure helpers shared by the API layer and the
 * exported building blocks: overflow checks, alignment and rounding.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Stores a * b in *res; returns true when the product overflowed.
static inline bool mk_mul_overflow(size_t a, size_t b, size_t *res)
{
    return __builtin_mul_overflow(a, b, res);
}

/// True for a power of two that is a multiple of sizeof(void *) (POSIX).
static inline bool mk_is_valid_alignment(size_t alignment)
{
    return alignment >= sizeof(void *) && (alignment & (alignment - 1)) == 0 &&
           alignment % sizeof(void *) == 0;
}

/// Rounds x up to a multiple of the power of two a (no overflow check).
static inline size_t mk_round_up(size_t x, size_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/// Rounds x up to a multiple of the power of two a; false on overflow.
static inline bool mk_round_up_checked(size_t x, size_t a, size_t *res)
{
    if (x > SIZE_MAX - (a - 1))
        return false;
    *res = mk_round_up(x, a);
    return true;
}

#define mk_container_of(ptr, type, member)                                     \
    ((type *)((char *)(ptr)-offsetof(type, member)))
