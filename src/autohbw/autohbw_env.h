// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_env.h - the configuration of libautohbw.so (autohbw(7)) and its
 * pure parsers, kept apart from the interposer so unit tests can call them
 * without preloading anything.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The kinds AUTO_HBW_MEM_TYPE may name (autohbw(7)), in table order.
enum autohbw_kind_id
{
    AUTOHBW_KIND_DEFAULT,
    AUTOHBW_KIND_HUGETLB,
    AUTOHBW_KIND_INTERLEAVE,
    AUTOHBW_KIND_HBW,
    AUTOHBW_KIND_HBW_PREFERRED,
    AUTOHBW_KIND_HBW_HUGETLB,
    AUTOHBW_KIND_HBW_PREFERRED_HUGETLB,
    AUTOHBW_KIND_HBW_GBTLB,
    AUTOHBW_KIND_HBW_PREFERRED_GBTLB,
    AUTOHBW_KIND_GBTLB,
    AUTOHBW_KIND_HBW_INTERLEAVE,
    AUTOHBW_KIND_COUNT, ///< number of names; also "not set"
};

/// Parsed environment of libautohbw.
struct autohbw_config {
    size_t min_size;           ///< serve sizes > min_size (AUTO_HBW_SIZE x)
    size_t max_size;           ///< ... and < max_size (y; SIZE_MAX: none)
    int log_level;             ///< AUTO_HBW_LOG, -1 .. 2 (default 1)
    int debug_level;           ///< AUTO_HBW_DEBUG, 0 .. 2 (default 0)
    enum autohbw_kind_id kind; ///< AUTO_HBW_MEM_TYPE; COUNT: default
    bool bad_size;             ///< AUTO_HBW_SIZE set but malformed
    bool bad_log;              ///< AUTO_HBW_LOG set but malformed
    bool bad_debug;            ///< AUTO_HBW_DEBUG set but malformed
    bool bad_kind;             ///< AUTO_HBW_MEM_TYPE names no listed kind
};

/// AUTO_HBW_SIZE lower bound when the variable is not set: 1 MiB.
#define AUTOHBW_DEFAULT_MIN ((size_t)1 << 20)

/// Parses "N", "NK", "NM" or "NG" (decimal N; k/m/g also accepted) into
/// bytes.  Returns false on anything else or on overflow.  Pure.
bool autohbw_parse_size(const char *s, size_t *out);
/// Parses AUTO_HBW_SIZE, "x", "x:" or "x:y" with x < y.  Pure.
bool autohbw_parse_range(const char *s, size_t *min, size_t *max);
/// Parses a decimal level in [lo, hi].  Pure.
bool autohbw_parse_level(const char *s, int lo, int hi, int *out);
/// Looks a kind name up ("MEMKIND_HBW", ...).  Returns AUTOHBW_KIND_COUNT
/// when it is not one autohbw(7) lists.  Pure.
enum autohbw_kind_id autohbw_kind_from_name(const char *name);
/// The name of id ("MEMKIND_DEFAULT", ...).
const char *autohbw_kind_name(enum autohbw_kind_id id);
/// True when size is to be served from the kind.
bool autohbw_in_range(const struct autohbw_config *c, size_t size);

/*
 * Fills cfg from the variables get returns (NULL: unset).  A malformed
 * variable keeps its default and sets its bad_* flag.  Pure apart from
 * calling get.
 */
void autohbw_config_parse(struct autohbw_config *cfg,
                          const char *(*get)(const char *name));

#ifdef __cplusplus
}
#endif
