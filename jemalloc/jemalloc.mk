# SPDX-License-Identifier: BSD-2-Clause
# jemalloc.mk: builds the private jemalloc 5.3.0 used inside libmemkind.
# Everything happens under $(JEMK_DIR) in the build tree (never the source
# tree); each step leaves a stamp file, so `make -j` and out-of-tree builds
# work and a failed step fails the build.  See jemalloc/README.

JEMK_DIR = $(abs_top_builddir)/jemalloc/build
JEMK_SRC = $(JEMK_DIR)/jemalloc-5.3.0
JEMK_OBJ = $(JEMK_DIR)/obj
JEMK_PIC = $(JEMK_OBJ)/lib/libjemalloc_pic.a
# The archive we link: jemalloc's, with its mmap/munmap/sbrk calls renamed
# to ours (src/addrmap.c), so every mapping jemalloc makes itself is
# recorded in the address map as MEMKIND_DEFAULT memory and sbrk is never
# used; its madvise keeps errno, so free paths never change errno; and its
# pthread_atfork registration goes to the library's one fork protocol
# (src/fork.c), which runs jemalloc's handlers at their place in the lock
# order.
# (JEMK_LIB_NAME: libmemkind's -Wl,--exclude-libs names it, src/src.mk.)
JEMK_LIB_NAME = libjemk.a
JEMK_LIB = $(JEMK_DIR)/$(JEMK_LIB_NAME)
JEMK_INC = $(JEMK_OBJ)/include

# JEMK_EXTRA_CFLAGS: more compiler flags for jemalloc itself (make
# check-tsan instruments it with -fsanitize=thread).
JEMK_EXTRA_CFLAGS =

# -fdata-sections: each global of jemalloc in a section of its own, so that
# src/fork_page.ld can put the mutexes its fork handlers take on the
# library's fork page.  It changes nothing else (no --gc-sections).
JEMK_SECTION_CFLAGS = -fdata-sections

# Configure flags; each is explained in jemalloc/README.
JEMK_CONFIGURE_FLAGS = \
	--with-jemalloc-prefix=jemk_ \
	--with-private-namespace=jemk_ \
	--without-export \
	--disable-initial-exec-tls \
	--disable-cxx \
	--disable-libdl \
	--disable-zone-allocator \
	--with-malloc-conf=retain:true,percpu_arena:disabled,dss:disabled \
	--disable-cache-oblivious \
	$(JEMALLOC_DEBUG_FLAGS) \
	$(JEMK_HOST_FLAGS)

$(JEMK_DIR)/.stamp-fetch: $(top_srcdir)/jemalloc/fetch-source.sh
	@$(MKDIR_P) $(JEMK_DIR)
	$(AM_V_GEN)$(SHELL) $(top_srcdir)/jemalloc/fetch-source.sh $(JEMK_DIR) "$(JEMALLOC_TARBALL)"
	@touch $@

$(JEMK_DIR)/.stamp-unpack: $(JEMK_DIR)/.stamp-fetch
	$(AM_V_GEN)rm -rf $(JEMK_SRC) && cd $(JEMK_DIR) && bzip2 -dc jemalloc-5.3.0.tar.bz2 | tar xf -
	@test -x $(JEMK_SRC)/configure
	@touch $@

# The configuration jemalloc is built with, rewritten only when it changes
# (e.g. ./configure --enable-debug-jemalloc in a configured tree), so that
# such a change rebuilds jemalloc and nothing else does.
$(JEMK_DIR)/.stamp-flags: jemalloc-flags-check
	@:
jemalloc-flags-check:
	@$(MKDIR_P) $(JEMK_DIR); \
	printf '%s\n' 'CC=$(CC)' 'CFLAGS=$(JEMK_TLS_CFLAGS) $(JEMK_SECTION_CFLAGS) $(JEMK_EXTRA_CFLAGS)' \
	  '$(JEMK_CONFIGURE_FLAGS)' > $(JEMK_DIR)/.stamp-flags.new; \
	if cmp -s $(JEMK_DIR)/.stamp-flags.new $(JEMK_DIR)/.stamp-flags; \
	then rm -f $(JEMK_DIR)/.stamp-flags.new; \
	else mv $(JEMK_DIR)/.stamp-flags.new $(JEMK_DIR)/.stamp-flags; fi
.PHONY: jemalloc-flags-check

$(JEMK_DIR)/.stamp-configure: $(JEMK_DIR)/.stamp-unpack $(top_srcdir)/jemalloc/jemalloc.mk \
	$(JEMK_DIR)/.stamp-flags
	$(AM_V_GEN)rm -rf $(JEMK_OBJ) && $(MKDIR_P) $(JEMK_OBJ) && cd $(JEMK_OBJ) && \
	  CC="$(CC)" CFLAGS="-O2 -g $(JEMK_TLS_CFLAGS) $(JEMK_SECTION_CFLAGS) $(JEMK_EXTRA_CFLAGS)" \
	  $(JEMK_SRC)/configure $(JEMK_CONFIGURE_FLAGS) > configure.log 2>&1 || \
	  { tail -n 40 $(JEMK_OBJ)/configure.log; echo "jemalloc configure failed" >&2; exit 1; }
	@touch $@

$(JEMK_DIR)/.stamp-build: $(JEMK_DIR)/.stamp-configure
	$(AM_V_GEN)$(MAKE) -C $(JEMK_OBJ) lib/libjemalloc_pic.a > $(JEMK_OBJ)/build.log 2>&1 || \
	  { tail -n 40 $(JEMK_OBJ)/build.log; echo "jemalloc build failed" >&2; exit 1; }
	@test -f $(JEMK_PIC)
	@touch $@

$(JEMK_LIB): $(JEMK_DIR)/.stamp-build
	$(AM_V_GEN)$(OBJCOPY) --redefine-sym mmap=mk_jemk_mmap \
	  --redefine-sym munmap=mk_jemk_munmap --redefine-sym sbrk=mk_jemk_sbrk \
	  --redefine-sym madvise=mk_jemk_madvise \
	  --redefine-sym pthread_atfork=mk_jemk_atfork \
	  $(JEMK_PIC) $@.tmp && mv $@.tmp $@

# The headers exist after configure; the library after the build.
jemalloc-headers: $(JEMK_DIR)/.stamp-configure
.PHONY: jemalloc-headers

clean-local: clean-jemalloc
clean-jemalloc:
	rm -rf $(JEMK_DIR)
.PHONY: clean-jemalloc

EXTRA_DIST += jemalloc/fetch-source.sh jemalloc/jemalloc.mk jemalloc/README
