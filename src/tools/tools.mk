# SPDX-License-Identifier: BSD-2-Clause
# tools.mk: the two node-listing commands of memkind 1.14's
# libmemkind-progs (memkind-hbw-nodes(1), memkind-auto-dax-kmem-nodes(1)).
# They use only libmemkind's exported functions (the kind-author headers
# declare the node-mask ones) and libnuma.
bin_PROGRAMS += \
	src/tools/memkind-hbw-nodes \
	src/tools/memkind-auto-dax-kmem-nodes

src_tools_memkind_hbw_nodes_SOURCES = src/tools/memkind-hbw-nodes.c
src_tools_memkind_hbw_nodes_LDADD = libmemkind.la -lnuma

src_tools_memkind_auto_dax_kmem_nodes_SOURCES = \
	src/tools/memkind-auto-dax-kmem-nodes.c
src_tools_memkind_auto_dax_kmem_nodes_LDADD = libmemkind.la
