# SPDX-License-Identifier: BSD-2-Clause
# pkg.mk: what `make install` adds for people who link against memkind
# rather than run it: the static archives libmemkind.a and libmemtier.a,
# memtier.pc (next to memkind.pc) and the CMake package config
# (find_package(memkind CONFIG)).  Issue 19; README "Linking".
#
# The static archives.  A plain `ar` of our objects plus the private
# jemalloc would put every jemk_* function and our hidden mk_* helpers in
# the application's global symbol namespace, where they meet the
# application's own jemalloc (or a second copy of memkind's helpers from
# libmemtier.a): memkind 1.14's libmemkind.a had exactly that problem.  So
# each archive holds ONE relocatable object, made by a partial link
# (ld -r) of the library's PIC objects and the parts of the private
# jemalloc they use, in which every symbol that the shared library does
# not export is made local (objcopy --keep-global-symbols with the list
# read from the .so itself).  Contract: the defined global symbols of
# libX.a are exactly the dynamic symbols of libX.so.0, nothing more
# (test/packaging/static-symbols.sh checks it), so the static and the
# shared library expose the same API and no jemalloc symbol.

MK_STATIC_LIBS = src/pkg/libmemkind.a src/pkg/libmemtier.a
CLEANFILES += $(MK_STATIC_LIBS)
all-local: $(MK_STATIC_LIBS)

# src/pkg/static-archive.sh does the partial link; .lo names are mapped
# to the PIC objects libtool left beside them.  --whole-archive takes every
# object of our own convenience archive (as the shared library does); the
# jemalloc archive contributes only the members they need, as it does in
# the shared link.
MK_STATIC_ARCHIVE = NM='$(NM)' LD='$(LD)' OBJCOPY='$(OBJCOPY)' AR='$(AR)' \
	$(SHELL) $(srcdir)/src/pkg/static-archive.sh
EXTRA_DIST += src/pkg/static-archive.sh

src/pkg/libmemkind.a: libmemkind.la $(JEMK_LIB) $(srcdir)/src/pkg/static-archive.sh
	@$(MKDIR_P) src/pkg
	$(AM_V_GEN)$(MK_STATIC_ARCHIVE) $@ .libs/libmemkind.so \
	  --whole-archive .libs/libmemkind_core.a --no-whole-archive $(JEMK_LIB)

src/pkg/libmemtier.a: libmemtier.la $(srcdir)/src/pkg/static-archive.sh
	@$(MKDIR_P) src/pkg
	$(AM_V_GEN)$(MK_STATIC_ARCHIVE) $@ .libs/libmemtier.so $(libmemtier_la_OBJECTS)

# memtier.pc and the CMake files are made here rather than by configure
# (sed, as the memtier launcher is), with the directories of this
# configuration.  The CMake config finds everything relative to its own
# location, so an installation unpacked elsewhere (dpkg -x into a
# throw-away root, a DESTDIR) works without editing it; the include
# directory is found by the relative path from the CMake directory.
mkcmakedir = $(libdir)/cmake/memkind
MK_PKG_GENERATED = src/pkg/memtier.pc src/pkg/memkind-config.cmake \
	src/pkg/memkind-config-version.cmake
CLEANFILES += $(MK_PKG_GENERATED)
all-local: $(MK_PKG_GENERATED)
EXTRA_DIST += src/pkg/pkg.mk src/pkg/memtier.pc.in \
	src/pkg/memkind-config.cmake.in src/pkg/memkind-config-version.cmake.in

MK_PKG_SED = sed -e 's|@prefix[@]|$(prefix)|g' -e 's|@exec_prefix[@]|$(exec_prefix)|g' \
	-e 's|@libdir[@]|$(libdir)|g' -e 's|@includedir[@]|$(includedir)|g' \
	-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	-e "s|@MK_CMAKE_TO_INCLUDEDIR[@]|`realpath -m --relative-to='$(mkcmakedir)' '$(includedir)'`|g"

src/pkg/memtier.pc: $(srcdir)/src/pkg/memtier.pc.in Makefile
	@$(MKDIR_P) src/pkg
	$(AM_V_GEN)$(MK_PKG_SED) $(srcdir)/src/pkg/memtier.pc.in > $@.tmp && mv -f $@.tmp $@
src/pkg/memkind-config.cmake: $(srcdir)/src/pkg/memkind-config.cmake.in Makefile
	@$(MKDIR_P) src/pkg
	$(AM_V_GEN)$(MK_PKG_SED) $(srcdir)/src/pkg/memkind-config.cmake.in > $@.tmp && mv -f $@.tmp $@
src/pkg/memkind-config-version.cmake: $(srcdir)/src/pkg/memkind-config-version.cmake.in Makefile
	@$(MKDIR_P) src/pkg
	$(AM_V_GEN)$(MK_PKG_SED) $(srcdir)/src/pkg/memkind-config-version.cmake.in > $@.tmp && \
	  mv -f $@.tmp $@

install-exec-local: install-mk-pkg
install-mk-pkg: $(MK_STATIC_LIBS) $(MK_PKG_GENERATED)
	$(MKDIR_P) '$(DESTDIR)$(libdir)' '$(DESTDIR)$(pkgconfigdir)' '$(DESTDIR)$(mkcmakedir)'
	$(INSTALL_DATA) $(MK_STATIC_LIBS) '$(DESTDIR)$(libdir)'
	$(INSTALL_DATA) src/pkg/memtier.pc '$(DESTDIR)$(pkgconfigdir)'
	$(INSTALL_DATA) src/pkg/memkind-config.cmake src/pkg/memkind-config-version.cmake \
	  '$(DESTDIR)$(mkcmakedir)'
uninstall-local: uninstall-mk-pkg
uninstall-mk-pkg:
	rm -f '$(DESTDIR)$(libdir)/libmemkind.a' '$(DESTDIR)$(libdir)/libmemtier.a' \
	  '$(DESTDIR)$(pkgconfigdir)/memtier.pc' \
	  '$(DESTDIR)$(mkcmakedir)/memkind-config.cmake' \
	  '$(DESTDIR)$(mkcmakedir)/memkind-config-version.cmake'
.PHONY: install-mk-pkg uninstall-mk-pkg
