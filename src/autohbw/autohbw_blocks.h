// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_blocks.h - the set of blocks libautohbw.so took from its kind,
 * used instead of memkind_detect_kind() when the libmemkind.so.0 it runs
 * with cannot answer for pointers that are not its own (memkind 1.14's
 * crashes on them; see autohbw.c).  Nothing here allocates through malloc:
 * the table is mapped with mmap(2), so it may be used from inside the
 * malloc family.  One lock guards it; fork handlers keep it usable in the
 * child.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Sets the set up (lock, fork handlers).  Returns 0 or -1.
int autohbw_blocks_init(void);
/// Records block p (not NULL, not (void *)1).  Returns false when the
/// table could not grow (the caller must then give the block back and
/// not hand it out).
bool autohbw_blocks_add(void *p);
/// Forgets block p (nothing happens if it is not recorded).
void autohbw_blocks_remove(void *p);
/// True when p is a recorded block.
bool autohbw_blocks_has(const void *p);

#ifdef __cplusplus
}
#endif
