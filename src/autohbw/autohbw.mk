# SPDX-License-Identifier: BSD-2-Clause
# autohbw.mk: libautohbw.so, the LD_PRELOAD library of autohbw(7), and its
# header autohbw_api.h (disableAutoHBW/enableAutoHBW, link -lautohbw).
# Unversioned, as a preload library is named by file:
# LD_PRELOAD=libautohbw.so.
lib_LTLIBRARIES += libautohbw.la
libautohbw_la_SOURCES = \
	src/autohbw/autohbw.c \
	src/autohbw/autohbw_env.c \
	src/autohbw/autohbw_env.h
libautohbw_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/autohbw
libautohbw_la_LIBADD = libmemkind.la -ldl
libautohbw_la_LDFLAGS = $(AM_LDFLAGS) -avoid-version

include_HEADERS += include/autohbw_api.h
