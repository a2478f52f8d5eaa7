// SPDX-License-Identifier: BSD-2-Clause
/*
 * dlopen_app.c - loads libmemkind.so.0 with dlopen() into a process that is
 * not linked with it (plugins, language bindings and MPI components load it
 * that way; DESIGN.md 3), uses it from two threads, and dlclose()s it while
 * one of those threads still runs; that thread then exits, which runs the
 * library's thread-exit cleanup after the dlclose().  Finally the library
 * is opened, used and closed once more.
 *
 *   dlopen_app PATH-TO-libmemkind.so.0
 *
 * memkind.h is included for its types only: every function is reached
 * through dlsym().  Exit status 0 when all went well.
 */
#include <memkind.h>

#include <dlfcn.h>
#include <pthread.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 20000

struct api {
    void *(*malloc)(memkind_t, size_t);
    void *(*realloc)(memkind_t, void *, size_t);
    void (*free)(memkind_t, void *);
    memkind_t (*detect)(void *);
    int (*create_kind)(memkind_memtype_t, memkind_policy_t, memkind_bits_t,
                       memkind_t *);
    int (*create_fixed)(void *, size_t, memkind_t *);
    int (*destroy_kind)(memkind_t);
    memkind_t *default_kind; ///< the exported data object MEMKIND_DEFAULT
};

static struct api api;
static memkind_t dyn_kind; ///< a fixed kind over dyn_buf
static void *dyn_buf;
#define DYN_BUF_SIZE ((size_t)256 << 20)
static int failed;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int lingerer_used; ///< the lingering thread has used the library
static int may_exit;      ///< the library is closed: the lingerer may exit

static void fail(const char *what)
{
    fprintf(stderr, "dlopen_app: %s\n", what);
    pthread_mutex_lock(&lock);
    failed = 1;
    pthread_mutex_unlock(&lock);
}

static void *sym(void *h, const char *name)
{
    dlerror();
    void *p = dlsym(h, name);
    if (!p) {
        const char *e = dlerror();
        fprintf(stderr, "dlopen_app: dlsym(%s): %s\n", name, e ? e : "NULL");
    }
    return p;
}

static void *load(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen_app: dlopen(%s): %s\n", path, dlerror());
        return NULL;
    }
    api.malloc = (void *(*)(memkind_t, size_t))sym(h, "memkind_malloc");
    api.realloc =
        (void *(*)(memkind_t, void *, size_t))sym(h, "memkind_realloc");
    api.free = (void (*)(memkind_t, void *))sym(h, "memkind_free");
    api.detect = (memkind_t(*)(void *))sym(h, "memkind_detect_kind");
    api.create_kind =
        (int (*)(memkind_memtype_t, memkind_policy_t, memkind_bits_t,
                 memkind_t *))sym(h, "memkind_create_kind");
    api.create_fixed =
        (int (*)(void *, size_t, memkind_t *))sym(h, "memkind_create_fixed");
    api.destroy_kind = (int (*)(memkind_t))sym(h, "memkind_destroy_kind");
    api.default_kind = (memkind_t *)sym(h, "MEMKIND_DEFAULT");
    if (!api.malloc || !api.realloc || !api.free || !api.detect ||
        !api.create_kind || !api.create_fixed || !api.destroy_kind ||
        !api.default_kind || !*api.default_kind) {
        dlclose(h);
        return NULL;
    }
    return h;
}

/* Allocates, checks and frees from kind k; returns 0 when all went well. */
static int exercise(memkind_t k, unsigned seed)
{
    void *keep[64] = {0};
    for (unsigned i = 0; i < ROUNDS; i++) {
        unsigned slot = (i * 2654435761u + seed) % 64;
        size_t n = 1 + (i * 7919u + seed) % 8192;
        if (keep[slot]) {
            if (api.detect(keep[slot]) != k) {
                fail("memkind_detect_kind() does not find the kind");
                return -1;
            }
            api.free(i & 1 ? k : NULL, keep[slot]);
        }
        keep[slot] = i % 5 ? api.malloc(k, n) : api.realloc(k, NULL, n);
        if (!keep[slot]) {
            fail("memkind_malloc() returned NULL");
            return -1;
        }
        memset(keep[slot], (int)(i & 0xff), n);
    }
    for (unsigned s = 0; s < 64; s++)
        api.free(k, keep[s]);
    return 0;
}

static void *short_lived(void *arg)
{
    (void)arg;
    if (exercise(*api.default_kind, 1) == 0)
        (void)exercise(dyn_kind, 2);
    return NULL;
}

static void *lingerer(void *arg)
{
    (void)arg;
    if (exercise(*api.default_kind, 3) == 0)
        (void)exercise(dyn_kind, 4);
    pthread_mutex_lock(&lock);
    lingerer_used = 1;
    pthread_cond_broadcast(&cond);
    while (!may_exit)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    /* Still running after dlclose(); thread exit runs the library's
       thread-specific-data destructors now. */
    void *p = malloc(100);
    free(p);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH-TO-libmemkind.so.0\n", argv[0]);
        return 2;
    }
    void *h = load(argv[1]);
    if (!h)
        return 1;
    /* memkind_create_kind() returns static kinds (as 1.14 does); a kind
       of our own comes from memkind_create_fixed(). */
    memkind_t k = NULL;
    if (api.create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL,
                        0, &k) != 0 ||
        k != *api.default_kind) {
        fprintf(stderr, "dlopen_app: memkind_create_kind failed\n");
        return 1;
    }
    dyn_buf = mmap(NULL, DYN_BUF_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (dyn_buf == MAP_FAILED ||
        api.create_fixed(dyn_buf, DYN_BUF_SIZE, &dyn_kind) != 0) {
        fprintf(stderr, "dlopen_app: memkind_create_fixed failed\n");
        return 1;
    }

    pthread_t a, b;
    if (pthread_create(&a, NULL, short_lived, NULL) != 0 ||
        pthread_create(&b, NULL, lingerer, NULL) != 0) {
        fprintf(stderr, "dlopen_app: pthread_create failed\n");
        return 1;
    }
    pthread_join(a, NULL);
    pthread_mutex_lock(&lock);
    while (!lingerer_used)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);

    (void)exercise(*api.default_kind, 5);
    if (api.destroy_kind(dyn_kind) != 0)
        fail("memkind_destroy_kind failed");
    munmap(dyn_buf, DYN_BUF_SIZE);
    if (dlclose(h) != 0) {
        fprintf(stderr, "dlopen_app: dlclose: %s\n", dlerror());
        failed = 1;
    }

    pthread_mutex_lock(&lock);
    may_exit = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(b, NULL);
    printf("dlopen, 2 threads, dlclose with a user thread alive: %s\n",
           failed ? "failed" : "ok");

    /* Open it again: it still works. */
    h = load(argv[1]);
    if (!h)
        return 1;
    if (exercise(*api.default_kind, 6) != 0)
        failed = 1;
    if (dlclose(h) != 0)
        failed = 1;
    printf("dlopen again after dlclose: %s\n", failed ? "failed" : "ok");
    return failed;
}
