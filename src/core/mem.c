/* mem.c - allocation wrapper with optional failure injection for tests. */
#include "core/mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static atomic_long fail_after = -1;

static int should_fail(void)
{
    long n = atomic_load(&fail_after);
    if (n < 0)
        return 0;
    if (n == 0)
        return 1;
    atomic_fetch_sub(&fail_after, 1);
    return 0;
}

void mds_mem_fail_after(long n) { atomic_store(&fail_after, n); }

void *mds_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }

void *mds_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *mds_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }

char *mds_strndup(const char *s, size_t n)
{
    char *d = mds_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *mds_strdup(const char *s) { return s ? mds_strndup(s, strlen(s)) : NULL; }

void mds_free(void *p) { free(p); }

void mds_mem_set_policy(enum mds_mem_policy p)
{
#ifdef __GLIBC__
    /* fixed thresholds (which also turn off glibc's dynamic adjustment),
     * so a reload can switch back and forth */
    int large = p == MDS_MEM_REUSE ? 32 << 20 : 128 << 10;
    mallopt(M_MMAP_THRESHOLD, large);
    mallopt(M_TRIM_THRESHOLD, p == MDS_MEM_REUSE ? 2 * large : large);
#else
    (void)p;
#endif
}

void mds_mem_share_arenas(int n)
{
#ifdef __GLIBC__
    mallopt(M_ARENA_MAX, n);
#else
    (void)n;
#endif
}

void mds_mem_trim(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}
