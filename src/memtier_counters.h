// SPDX-License-Identifier: BSD-2-Clause
/*
 * memtier_counters.h - the per-kind byte counters of the memtier_* API
 * (src/memtier_counters.c), private to src/: memtier.c counts every block
 * it hands out or takes back, and its placement policies read the counts.
 * Not installed: memkind 1.14 had no such header and kind authors have no
 * use for it (memtier_kind_allocated_size() is the public reader).
 *
 * The add and read functions are ordinary calls, as the static counter
 * functions of memtier.c were (GCC kept them out of line there too), so the
 * malloc and free paths make the same one call per block as before the
 * split.
 */
#pragma once

struct memkind;

/// Adds delta bytes (negative for a free) to kind's count.
void mk_memtier_counters_add(struct memkind *kind, long long delta);

/// Kind's settled bytes plus the calling thread's pending delta.
long long mk_memtier_counters_read_approx(struct memkind *kind);

/// Zeroes every count of registry slot partition (total and all thread
/// buckets); the registry calls it when it destroys the kind in the slot.
void mk_memtier_counters_forget(unsigned partition);
