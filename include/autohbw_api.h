// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_api.h - switches libautohbw.so's redirection of heap allocations
 * to high-bandwidth memory off and on around parts of a program
 * (autohbw(7) NOTES).  Link with -lautohbw.
 */
#ifndef AUTOHBW_API_H
#define AUTOHBW_API_H

#ifdef __cplusplus
extern "C" {
#endif

/// Until enableAutoHBW(), every allocation stays in ordinary memory.
void disableAutoHBW(void);
/// Allocations in the AUTO_HBW_SIZE range go to the kind again (default).
void enableAutoHBW(void);

#ifdef __cplusplus
}
#endif

#endif /* AUTOHBW_API_H */
