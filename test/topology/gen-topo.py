#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# gen-topo.py: writes test/topology/*.topo, the lane's data (issue 18).
# Each topology is described once below (node sizes, CPUs, initiators,
# SLIT distances, HMAT latency/bandwidth, caches) and both the QEMU options
# and the expectations are derived from that description by the rules in
# PLACEMENT_NOTE (memkind(3) of 1.14), never from a run of any library.
# Not part of the build: run it after changing a topology and commit the
# .topo files it writes (python3 test/topology/gen-topo.py).
import os
HERE = os.path.dirname(os.path.abspath(__file__))

def qemu(mems, nodes, dist, lb, caches=()):
    out=[]
    for i,(n,sz) in enumerate(mems): out.append("qemu -object memory-backend-ram,id=m%d,size=%s"%(n,sz))
    for n,cpus,mem,init in nodes:
        s="qemu -numa node,nodeid=%d"%n
        if cpus is not None: s+=",cpus=%s"%cpus
        if mem: s+=",memdev=m%d"%n
        if init is not None: s+=",initiator=%d"%init
        out.append(s)
    N=len(nodes)
    for a in range(N):
        for b in range(a+1,N):
            out.append("qemu -numa dist,src=%d,dst=%d,val=%d"%(a,b,dist(a,b)))
    for (i,t),(lat,bw) in sorted(lb.items()):
        out.append("qemu -numa hmat-lb,initiator=%d,target=%d,hierarchy=memory,data-type=access-latency,latency=%d"%(i,t,lat))
        out.append("qemu -numa hmat-lb,initiator=%d,target=%d,hierarchy=memory,data-type=access-bandwidth,bandwidth=%dG"%(i,t,bw))
    for c in caches: out.append("qemu -numa hmat-cache,"+c)
    return out
def dists(N,dist):
    return ["distance %d %s"%(a," ".join(str(10 if a==b else dist(min(a,b),max(a,b))) for b in range(N))) for a in range(N)]
def access(N,lb):
    out=[]
    for t in range(N):
        best=[(i,l,b) for (i,tt),(l,b) in lb.items() if tt==t]
        if not best: continue
        # best initiator: highest bandwidth (the kernel picks best per attribute; ours agree by construction)
        i,l,b=max(best,key=lambda x:(x[2],-x[1]))
        out.append("access %d %d %d %d"%(t,i,b*1024,l))
    return out

def kinds_block(i, H, hbw_all, local_cap, local_lat, local_bw, hicap, inter, kmem=None, kmem_all=None, nohbw=False, dram=None, hicap_pref=None):
    L=[]
    p=lambda k,m,n=None: L.append("place MEMKIND_%s %d %s%s"%(k,i,m,(" "+n) if n else ""))
    p("DEFAULT","in",dram); p("REGULAR","in",str(i)); p("INTERLEAVE","spread",inter)
    if nohbw:
        for k in ("HBW","HBW_ALL","HBW_PREFERRED","HBW_INTERLEAVE"): p(k,"fail")
    else:
        p("HBW","in",H); p("HBW_ALL","in",hbw_all); p("HBW_PREFERRED","in",H); p("HBW_INTERLEAVE","spread",hbw_all)
    if kmem is None:
        for k in ("DAX_KMEM","DAX_KMEM_ALL","DAX_KMEM_PREFERRED","DAX_KMEM_INTERLEAVE"): p(k,"fail")
    else:
        p("DAX_KMEM","in",kmem); p("DAX_KMEM_ALL","in",kmem_all); p("DAX_KMEM_PREFERRED","in",kmem); p("DAX_KMEM_INTERLEAVE","spread",kmem_all)
    p("HIGHEST_CAPACITY","in",hicap)
    if hicap_pref == "fail": p("HIGHEST_CAPACITY_PREFERRED","fail")
    else: p("HIGHEST_CAPACITY_PREFERRED","in",hicap)
    for k,v in (("HIGHEST_CAPACITY_LOCAL",local_cap),("LOWEST_LATENCY_LOCAL",local_lat),("HIGHEST_BANDWIDTH_LOCAL",local_bw)):
        p(k,"in",v); p(k+"_PREFERRED","in",v)
    c=lambda a,b,m,n=None: L.append("create %s %s %d %s%s"%(a,b,i,m,(" "+n) if n else ""))
    if nohbw:
        for pol in ("BIND_LOCAL","BIND_ALL","INTERLEAVE_ALL"): c("HIGH_BANDWIDTH",pol,"fail")
        c("HIGH_BANDWIDTH","PREFERRED_LOCAL","in",str(i))
    else:
        c("HIGH_BANDWIDTH","BIND_LOCAL","in",H); c("HIGH_BANDWIDTH","BIND_ALL","in",hbw_all)
        c("HIGH_BANDWIDTH","PREFERRED_LOCAL","in",H); c("HIGH_BANDWIDTH","INTERLEAVE_ALL","spread",hbw_all)
    c("DEFAULT","BIND_LOCAL","fail")
    if nohbw:
        for pol in ("bind","interleave"): L.append("hbw %s %d fail"%(pol,i))
    else:
        L.append("hbw bind %d in %s"%(i,H)); L.append("hbw preferred %d in %s"%(i,H)); L.append("hbw interleave %d spread %s"%(i,hbw_all))
    cap=lambda k,n: L.append("capacity MEMKIND_%s %d %s"%(k,i,n))
    cap("HBW","-" if nohbw else H); cap("HBW_ALL","-" if nohbw else hbw_all)
    cap("DAX_KMEM","-" if kmem is None else kmem)
    cap("HIGHEST_BANDWIDTH_LOCAL",local_bw)
    L.append("omp high_bw %d in %s"%(i, dram if nohbw else H))
    L.append("omp large_cap %d in %s"%(i, kmem_all if kmem else dram))
    L+=huge_lines(i, dram, None if nohbw else H, hbw_all)
    return L

def huge_lines(i, dram, H, hbw_all):
    # The hugetlb kinds (topo_place --huge, after the hugepages lines).
    h=lambda k,m,n=None: "huge MEMKIND_%s %d %s%s"%(k,i,m,(" "+n) if n else "")
    L=[h("HUGETLB","in",dram)]
    if H is None:
        L+=[h(k,"fail") for k in ("HBW_HUGETLB","HBW_ALL_HUGETLB","HBW_PREFERRED_HUGETLB")]
    else:
        L+=[h("HBW_HUGETLB","in",H),h("HBW_ALL_HUGETLB","in",hbw_all),h("HBW_PREFERRED_HUGETLB","in",H)]
    return L

MOVE_NOTE = """# Threads that move (sched_setaffinity, as libomp does) after using a kind
# on the previous CPU node: their next allocation must follow them, so each
# move line expects what the place line from the new node expects.
# memkind 1.14 fails them: a moved thread keeps allocating memory bound
# for (or first touched on) its old node."""
def moves(blocks):
    # One move per kind that allocates, into each CPU node from the one
    # before it (cyclically); none with a single CPU node.
    if len(blocks) < 2: return []
    L=["", MOVE_NOTE]
    nodes=[int([l for l in b if l.startswith("place ")][0].split()[2]) for b in blocks]
    for j,b in enumerate(blocks):
        src=nodes[j-1]
        for l in b:
            w=l.split()
            if w[0]!="place" or w[3]=="fail" or w[1]=="MEMKIND_DEFAULT": continue
            L.append("move %s %d %s"%(w[1],src," ".join(w[2:])))
    return L

HUGE_NOTE = """# The hugetlb kinds, from each CPU node, on 2 MiB pages reserved per node
# (nr_hugepages of /sys/devices/system/node/nodeN; guest.sh reserves them
# after the other checks, runs "topo_place --huge" and gives them back, or
# prints a counted skip when a node cannot hold them).  Pages go on the
# CPU nodes and on the HBW nodes, so each kind has pages of both kinds of
# memory to choose from.  memkind(3): MEMKIND_HUGETLB is standard memory
# on huge pages (no binding: a CPU node, as MEMKIND_DEFAULT);
# MEMKIND_HBW_HUGETLB, _ALL_HUGETLB and _PREFERRED_HUGETLB are MEMKIND_HBW,
# _ALL and _PREFERRED on huge pages (they fail where those do).  Every
# page must also be a 2 MiB page (KernelPageSize in /proc/self/smaps)."""
HUGE_PAGES = 16   # per node: 32 MiB, an eighth of the smallest node

def write(name, header, vm, mems, nodes, dist, lb, sysfs, blocks, caches=(), cachechecks=(), extra=(), hugenodes=()):
    N=len(nodes)
    L=[header.rstrip(), "vm "+vm]
    L+=qemu(mems,nodes,dist,lb,caches)
    L+=["", "# What /sys/devices/system/node must show (guest.sh checks each line):",
        "# node lists, SLIT rows, and access0: each memory node's best initiator",
        "# with its HMAT read bandwidth (MiB/s) and latency (ns)."]
    L+=["sysfs %s %s"%kv for kv in sysfs]
    L+=dists(N,dist)
    L+=access(N,lb)
    L+=list(cachechecks)
    L+=["", PLACEMENT_NOTE.rstrip()]
    for b in blocks: L+=[l for l in b if not l.startswith("huge ")]
    L+=moves(blocks)
    L+=["", HUGE_NOTE]
    L+=["hugepages %d %d"%(n,HUGE_PAGES) for n in hugenodes]
    for b in blocks: L+=[l for l in b if l.startswith("huge ")]
    L+=["", "# The tools: memkind-hbw-nodes prints the union of every CPU node's HBW",
        "# nodes, memkind-auto-dax-kmem-nodes the KMEM DAX nodes (\"-\": none).",
        "tool memkind-hbw-nodes %s" % TOOLS[name][0],
        "tool memkind-auto-dax-kmem-nodes %s" % TOOLS[name][1]]
    L+=list(extra)
    open(os.path.join(HERE, "%s.topo"%name),"w").write("\n".join(L)+"\n")

PLACEMENT_NOTE = """# Placement from each CPU node (memkind(3) of 1.14).  "in" lists the nodes
# every page must be on, "spread" the nodes an interleave must cover.
# DEFAULT: no binding; the kernel's local-first policy keeps it on DRAM/DDR
# (it need not be the local node: jemalloc hands out memory that another
# thread of the process may have touched first, a 2 MiB THP page for
# instance).  REGULAR: bound to the nodes with CPUs, so the local one.
# INTERLEAVE: every node with memory.  HBW family: the nodes whose HMAT
# bandwidth from the CPU's node is >= 200 GiB/s (MEMKIND_HBW_THRESHOLD's
# default); Linux publishes each target's attributes for its best
# initiator only (access0), so from a CPU node the HBW nodes are those
# whose initiator it is: HBW_ALL and HBW_INTERLEAVE cover just those.
# DAX_KMEM family: the KMEM DAX node(s), else the kinds fail.
# HIGHEST_CAPACITY: the largest node(s) (several equal ones make the
# _PREFERRED kind fail, memkind(3); a CPU node's MemTotal loses what the
# kernel keeps for itself, so equal nodes tie only off node 0); *_LOCAL: among the nodes local to
# the CPU's node (its own memory and the CPU-less nodes whose initiator it
# is).  memkind_create_kind: HIGH_BANDWIDTH as the HBW kinds, except that
# PREFERRED_LOCAL without any HBW node falls back to local memory (1.14's
# kind does too, unlike MEMKIND_HBW_PREFERRED, which fails there); DEFAULT
# with BIND_LOCAL is refused (MEMKIND_ERROR_INVALID, as in 1.14).
# hbwmalloc: bind, preferred and interleave as MEMKIND_HBW, _PREFERRED and
# _INTERLEAVE.  capacity: memkind_get_capacity() from that CPU node equals
# the MemTotal of the nodes listed ("-": -1, no such memory).
# omp: LLVM's libomp through our library: omp_high_bw_mem_alloc as
# MEMKIND_HBW_PREFERRED (default memory without HBW nodes),
# omp_large_cap_mem_alloc as MEMKIND_DAX_KMEM_ALL (default memory without
# a KMEM DAX node)."""

OVERFLOW_NOTE = ["", "# Fallback of the preferred kinds when their node is full: more than the",
    "# node's size, from a CPU node it serves; the node must be used, the rest",
    "# must land elsewhere (the kernel's fallback order from that node), and",
    "# the allocation must not fail.  Last in the file: the node stays full."]

TOOLS = {"hbm-snc": ("4,5,6,7", "-"), "knl": ("2,3", "-"), "cxl": ("-", "3"),
         "gpu-hbm": ("1", "-"), "nohmat": ("-", "-")}

# ---- hbm-snc
lb={}
for i in range(4):
    for t in range(8):
        if t==i: lb[(i,t)]=(100,100)
        elif t<4: lb[(i,t)]=(130,60)
        elif t==i+4: lb[(i,t)]=(110,400)
        else: lb[(i,t)]=(140,200)
def d_hbm(a,b):
    if a<4 and b<4: return 12
    if b==a+4: return 13
    return 14
write("hbm-snc", """# hbm-snc: HBM flat mode with sub-NUMA clustering (Xeon Max-like, SNC4).
# Nodes 0-3: one CPU and 256 MiB of DDR each; nodes 4-7: 128 MiB of HBM
# each, CPU-less, node 4+i attached to CPU node i (its HMAT initiator;
# SLIT 13 against 14 to the other HBM nodes, 12 between DDR nodes).  HMAT:
# local DDR 100 ns, 100 GiB/s; remote DDR 130 ns, 60 GiB/s; local HBM
# 110 ns, 400 GiB/s; remote HBM 140 ns, 200 GiB/s.""",
 "--cpus 4 --mem 64M --hmat",
 [(i,"256M") for i in range(4)]+[(i,"128M") for i in range(4,8)],
 [(i,str(i),True,i) for i in range(4)]+[(i+4,None,True,i) for i in range(4)],
 d_hbm, lb, [("possible","0-7"),("online","0-7"),("has_cpu","0-3"),("has_memory","0-7")],
 [kinds_block(i,str(i+4),str(i+4),str(i),str(i),str(i+4),"0-3","0-7",dram="0-3",hicap_pref="fail") for i in range(4)],
 extra=OVERFLOW_NOTE + ["overflow MEMKIND_HBW_PREFERRED 0 160 4 0-7", "overflow hbw-preferred 1 160 5 0-7"],
 hugenodes=range(8))

# ---- knl
lb={}
for i in range(2):
    for t in range(4):
        if t==i: lb[(i,t)]=(130,90)
        elif t<2: lb[(i,t)]=(150,70)
        elif t==i+2: lb[(i,t)]=(150,400)
        else: lb[(i,t)]=(170,300)
knl_d={(0,1):21,(0,2):31,(0,3):41,(1,2):41,(1,3):31,(2,3):41}
write("knl", """# knl: Knights Landing-like, SNC-2 flat mode.  Nodes 0-1: one CPU and
# 256 MiB of DDR each; nodes 2-3: 128 MiB of MCDRAM each, CPU-less, node
# 2+i attached to CPU node i (SLIT 10/21/31/41 as on KNL).  HMAT: MCDRAM's
# bandwidth well above DDR's (400 against 90 GiB/s locally), latency
# similar (150 against 130 ns).  Node 0 also declares a 16 MiB memory-side
# cache (hmat-cache), which the kernel must show.""",
 "--cpus 2 --mem 64M --hmat",
 [(0,"256M"),(1,"256M"),(2,"128M"),(3,"128M")],
 [(0,"0",True,0),(1,"1",True,1),(2,None,True,0),(3,None,True,1)],
 lambda a,b: knl_d[(a,b)], lb, [("possible","0-3"),("online","0-3"),("has_cpu","0-1"),("has_memory","0-3")],
 [kinds_block(i,str(i+2),str(i+2),str(i),str(i),str(i+2),"0-1","0-3",dram="0-1") for i in range(2)],
 extra=OVERFLOW_NOTE + ["overflow MEMKIND_HBW_PREFERRED 0 160 2 0-3", "overflow hbw-preferred 1 160 3 0-3"],
 caches=["node-id=0,size=16M,level=1,associativity=direct,policy=write-back,line=64"],
 cachechecks=["cache 0 1 16777216"], hugenodes=range(4))

# ---- cxl
lb={(0,0):(100,100),(0,1):(150,60),(0,2):(250,30),(0,3):(300,20),
    (1,1):(100,100),(1,0):(150,60),(1,3):(250,30),(1,2):(300,20)}
cxl_d={(0,1):21,(0,2):14,(0,3):24,(1,2):24,(1,3):14,(2,3):28}
write("cxl", """# cxl: CXL-style far memory.  Nodes 0-1: one CPU and 256 MiB of DRAM each;
# node 2: 512 MiB of plain memory-only far memory attached to node 0;
# node 3: 384 MiB of far memory onlined from a Device DAX as system RAM
# (KMEM DAX, an NVDIMM bound to kmem by the runner), attached to node 1.
# HMAT: local DRAM 100 ns, 100 GiB/s; remote DRAM 150 ns, 60 GiB/s; near
# far memory 250 ns, 30 GiB/s; the other one 300 ns, 20 GiB/s.  No node
# reaches the HBW threshold.""",
 "--cpus 2 --mem 64M --hmat --kmem --kmem-node 3 --kmem-mem 384M",
 [(0,"256M"),(1,"256M"),(2,"512M")],
 [(0,"0",True,0),(1,"1",True,1),(2,None,True,0),(3,None,False,1)],
 lambda a,b: cxl_d[(a,b)], lb, [("possible","0-3"),("online","0-3"),("has_cpu","0-1"),("has_memory","0-3"),("has_normal_memory","0-2")],
 [kinds_block(0,None,None,"2","0","0","2","0-3",kmem="3",kmem_all="3",nohbw=True,dram="0-1"),
  kinds_block(1,None,None,"3","1","1","2","0-3",kmem="3",kmem_all="3",nohbw=True,dram="0-1")],
 extra=["", "# libmemtier (LD_PRELOAD) over a DRAM tier (MEMKIND_DEFAULT: nodes 0-1) and",
        "# a DAX_KMEM tier (node 3): malloc'd bytes by the nodes their pages are",
        "# on, in the tiers' ratio within a factor of 2.",
        "memtier STATIC_RATIO 0-1 1 3 1", "memtier STATIC_RATIO 0-1 4 3 1",
        "memtier DYNAMIC_THRESHOLD 0-1 1 3 1",
        "", "# The memtier(1) launcher (our script) running tier_probe: memtier -r",
        "# RATIO [-t THRESHOLDS] tier_probe (\"-\": option left out), checked as",
        "# the memtier lines.  Without -r the ratio is the installed memory's:",
        "# CPU nodes 0-1 (512 MiB) against CPU-less nodes 2-3 (896 MiB), 4:7.",
        "memtier-tool 1:1 - 0-1 1 3 1", "memtier-tool 1:3 - 0-1 1 3 3",
        "memtier-tool 1:1 INIT_VAL:1024,MIN_VAL:513,MAX_VAL:1536 0-1 1 3 1",
        "memtier-tool - - 0-1 4 3 7"] + OVERFLOW_NOTE +
       ["overflow MEMKIND_DAX_KMEM_PREFERRED 1 448 3 0-3"],
 hugenodes=(0,1))

# ---- gpu-hbm
lb={(0,0):(100,100),(0,1):(300,1000)}
write("gpu-hbm", """# gpu-hbm: GPU memory as a NUMA node (Grace Hopper-like).  Node 0: two
# CPUs and 512 MiB of DRAM; node 1: 256 MiB of GPU HBM, CPU-less, attached
# to node 0 (SLIT 40).  HMAT: DRAM 100 ns, 100 GiB/s; GPU memory 300 ns
# (much higher latency), 1000 GiB/s (much higher bandwidth).""",
 "--cpus 2 --mem 64M --hmat",
 [(0,"512M"),(1,"256M")],
 [(0,"0-1",True,0),(1,None,True,0)],
 lambda a,b: 40, lb, [("possible","0-1"),("online","0-1"),("has_cpu","0"),("has_memory","0-1")],
 [kinds_block(0,"1","1","0","0","1","0","0-1",dram="0")],
 extra=OVERFLOW_NOTE + ["overflow MEMKIND_HBW_PREFERRED 0 320 1 0-1", "overflow hbw-preferred 0 320 1 0-1"],
 hugenodes=(0,1))

# ---- nohmat: the KNL layout on firmware without an HMAT
def nohmat_block(i):
    L=[]
    p=lambda k,m,n=None: L.append("place MEMKIND_%s %d %s%s"%(k,i,m,(" "+n) if n else ""))
    p("DEFAULT","in","0-1"); p("REGULAR","in",str(i)); p("INTERLEAVE","spread","0-3")
    for k in ("HBW","HBW_ALL","HBW_PREFERRED","HBW_INTERLEAVE","DAX_KMEM","DAX_KMEM_ALL","DAX_KMEM_PREFERRED","DAX_KMEM_INTERLEAVE",
              "LOWEST_LATENCY_LOCAL","LOWEST_LATENCY_LOCAL_PREFERRED","HIGHEST_BANDWIDTH_LOCAL","HIGHEST_BANDWIDTH_LOCAL_PREFERRED"):
        p(k,"fail")
    p("HIGHEST_CAPACITY","in","0-1"); p("HIGHEST_CAPACITY_PREFERRED","in","0-1")
    p("HIGHEST_CAPACITY_LOCAL","in",str(i)); p("HIGHEST_CAPACITY_LOCAL_PREFERRED","in",str(i))
    for pol in ("BIND_LOCAL","BIND_ALL","INTERLEAVE_ALL"): L.append("create HIGH_BANDWIDTH %s %d fail"%(pol,i))
    L.append("create HIGH_BANDWIDTH PREFERRED_LOCAL %d in %d"%(i,i))
    L.append("create DEFAULT BIND_LOCAL %d fail"%i)
    L.append("hbw bind %d fail"%i); L.append("hbw interleave %d fail"%i)
    for k in ("HBW","HBW_ALL","DAX_KMEM","HIGHEST_BANDWIDTH_LOCAL","LOWEST_LATENCY_LOCAL"):
        L.append("capacity MEMKIND_%s %d -"%(k,i))
    L.append("omp high_bw %d in 0-1"%i); L.append("omp large_cap %d in 0-1"%i)
    L+=huge_lines(i, "0-1", None, None)
    return L
write("nohmat", """# nohmat: the knl layout (2 CPU nodes with 256 MiB of DDR, 2 CPU-less
# 128 MiB nodes) booted without an HMAT (older firmware): no -machine
# hmat=on, no initiators, no hmat-lb lines.  memkind(3): nothing is known
# to be high-bandwidth (this is not a Xeon Phi), the latency and bandwidth
# kinds have no attributes to go by and fail, capacity still works, and
# without initiators the CPU-less nodes are local to no CPU node.""",
 "--cpus 2 --mem 64M",
 [(0,"256M"),(1,"256M"),(2,"128M"),(3,"128M")],
 [(0,"0",True,None),(1,"1",True,None),(2,None,True,None),(3,None,True,None)],
 lambda a,b: knl_d[(a,b)], {}, [("possible","0-3"),("online","0-3"),("has_cpu","0-1"),("has_memory","0-3")],
 [nohmat_block(0), nohmat_block(1)],
 cachechecks=["noaccess %d"%n for n in range(4)], hugenodes=(0,1))
