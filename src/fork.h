// SPDX-License-Identifier: BSD-2-Clause
/*
 * fork.h - the library's one fork protocol (src/fork.c).
 */
#pragma once

/// Registers the protocol with pthread_atfork (the only registration in
/// the library).  Called once from library start-up.  Returns 0 or
/// MEMKIND_ERROR_RUNTIME.
int mk_fork_init(void);

/// jemalloc's own pthread_atfork() call, renamed to this at build time
/// (jemalloc/jemalloc.mk): its handlers are kept and run by the protocol
/// at their place in the lock order instead of being registered.
/// Returns 0 (or ENOMEM, like pthread_atfork, for a second registration,
/// which jemalloc never makes).
int mk_jemk_atfork(void (*prepare)(void), void (*parent)(void),
                   void (*child)(void));
