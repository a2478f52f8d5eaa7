# SPDX-License-Identifier: BSD-2-Clause
# autohbw.mk: libautohbw.so, the LD_PRELOAD library of autohbw(7), and its
# header autohbw_api.h (disableAutoHBW/enableAutoHBW, link -lautohbw).
# Versioned as 1.14 built it (libtool's default 0:0:0): libautohbw.so.0.0.0
# with the SONAME libautohbw.so.0, and the libautohbw.so link that
# LD_PRELOAD=libautohbw.so and -lautohbw name.
lib_LTLIBRARIES += libautohbw.la
libautohbw_la_SOURCES = \
	src/autohbw/autohbw.c \
	src/autohbw/autohbw_blocks.c \
	src/autohbw/autohbw_blocks.h \
	src/autohbw/autohbw_env.c \
	src/autohbw/autohbw_env.h
libautohbw_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/autohbw
libautohbw_la_LIBADD = libmemkind.la -ldl
libautohbw_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0

include_HEADERS += include/autohbw_api.h
