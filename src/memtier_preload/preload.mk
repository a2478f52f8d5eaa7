# SPDX-License-Identifier: BSD-2-Clause
# preload.mk: libmemtier.so.0, the LD_PRELOAD tiering library
# (libmemtier(7), CONVENTIONS.md 9), and the memtier launcher (memtier(1)).
#
# libmemtier links libmemkind.so (the memtier_* API and the kinds live
# there) and compiles src/log.c a second time, hidden, because libmemkind
# does not export its logger.  -fno-builtin: the compiler must not turn
# code of the malloc replacement into calls to malloc/calloc.

lib_LTLIBRARIES += libmemtier.la
libmemtier_la_SOURCES = \
	src/memtier_preload/bootstrap.c \
	src/memtier_preload/bootstrap.h \
	src/memtier_preload/ctl.c \
	src/memtier_preload/ctl.h \
	src/memtier_preload/interpose.c \
	src/log.c
libmemtier_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/memtier_preload
libmemtier_la_CFLAGS = $(AM_CFLAGS) -fno-builtin
libmemtier_la_LIBADD = libmemkind.la -ldl
# libmemtier.so.0 (0:0:0 gives libmemtier.so.0.0.0, as 1.14).
libmemtier_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0

# The launcher: a shell script that knows where libmemtier is installed.
bin_SCRIPTS += src/memtier_preload/memtier
CLEANFILES += src/memtier_preload/memtier
EXTRA_DIST += src/memtier_preload/memtier.in src/memtier_preload/preload.mk
src/memtier_preload/memtier: $(srcdir)/src/memtier_preload/memtier.in Makefile
	$(AM_V_GEN)$(MKDIR_P) src/memtier_preload && \
	sed -e 's|@libdir[@]|$(libdir)|g' \
	    -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	    $(srcdir)/src/memtier_preload/memtier.in > $@.tmp && \
	chmod +x $@.tmp && mv -f $@.tmp $@
