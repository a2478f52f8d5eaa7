// SPDX-License-Identifier: BSD-2-Clause
/*
 * fake_hwloc.c - stand-ins for libhwloc.so.15 that src/hmat.c cannot use,
 * for memattrs.sh (LD_LIBRARY_PATH picks one):
 *   -DMK_FAKE_EMPTY       a library without hwloc's functions (dlsym fails)
 *   -DMK_FAKE_OLD         every function, but an API of another major
 *                         version (hwloc 1.x)
 *   -DMK_FAKE_UNRESOLVED  needs a symbol nothing defines (dlopen fails)
 * Plain functions without hwloc's headers: only the names matter.
 */
#ifdef MK_FAKE_EMPTY
int mk_fake_hwloc_nothing;
#endif

#ifdef MK_FAKE_OLD
#define FAIL(name)                                                             \
    int name(void);                                                            \
    int name(void)                                                             \
    {                                                                          \
        return -1;                                                             \
    }
FAIL(hwloc_topology_init)
FAIL(hwloc_topology_load)
FAIL(hwloc_topology_destroy)
FAIL(hwloc_get_type_depth)
FAIL(hwloc_get_nbobjs_by_depth)
FAIL(hwloc_get_obj_by_depth)
FAIL(hwloc_bitmap_iszero)
FAIL(hwloc_memattr_get_value)
FAIL(hwloc_get_local_numanode_objs)
unsigned hwloc_get_api_version(void);
unsigned hwloc_get_api_version(void)
{
    return 0x10b00; /* hwloc 1.11 */
}
#endif

#ifdef MK_FAKE_UNRESOLVED
void mk_fake_hwloc_missing(void);
unsigned hwloc_get_api_version(void);
unsigned hwloc_get_api_version(void)
{
    mk_fake_hwloc_missing();
    return 0x20000;
}
#endif
