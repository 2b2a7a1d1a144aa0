/*
 * mem.h - the one allocation wrapper.
 *
 * All heap memory goes through these so tests can inject failures
 * (mds_mem_fail_after) and so out-of-memory is handled in one way: the
 * functions return NULL and the caller reports MDS_ERR_NOMEM.
 */
#ifndef MDS_MEM_H
#define MDS_MEM_H

#include <stddef.h>

void *mds_malloc(size_t n);
void *mds_calloc(size_t count, size_t size);
void *mds_realloc(void *p, size_t n);
char *mds_strdup(const char *s);
char *mds_strndup(const char *s, size_t n);
void mds_free(void *p);

/* What happens to large freed blocks; chosen by the engine at each start
 * and reload from its sources. A no-op without glibc. */
enum mds_mem_policy {
    /* Blocks of 128 KiB or more go back to the operating system when
     * freed. Polling sources: a page or a batch comes in a burst, then the
     * process idles, and glibc would otherwise raise its mmap threshold to
     * the size of each large block freed and keep such buffers resident in
     * every thread arena (measured with 10 sources: 20 MB peak instead of
     * 33 MB, and the 33 MB stay after the burst). */
    MDS_MEM_RETURN,
    /* Blocks up to 32 MiB stay in the heap for reuse. A streaming source
     * allocates fetch responses and batch buffers of megabytes many times
     * a second; a fresh mapping costs a page fault and the zeroing of
     * every page again (measured: twice the system time, a quarter of the
     * wall time of reading a topic). */
    MDS_MEM_REUSE,
};
void mds_mem_set_policy(enum mds_mem_policy p);

/* For long-running commands, once at start, before any thread: at most
 * n malloc arenas. glibc gives threads up to 8 per core, and each arena
 * keeps its own free and fragmented memory, so with one thread per source
 * idle memory grows with the number of sources. Source threads mostly
 * wait on the network, so sharing a few arenas costs little contention.
 * A no-op without glibc. */
void mds_mem_share_arenas(int n);
#define MDS_MEM_ARENAS 2

/* Hands the free memory of every arena back to the operating system
 * (glibc malloc_trim; a no-op elsewhere): for the places that just freed
 * a page or a batch, after which SQLite's page cache and other small
 * blocks leave megabytes free but resident. Any thread; costs a walk of
 * the free lists, so only worth it after at least MDS_MEM_TRIM_AT bytes. */
void mds_mem_trim(void);
#define MDS_MEM_TRIM_AT ((size_t)1 << 20)

/* Test hook: after `n` more successful allocations, fail every one.
 * A negative n disables injection (the default). */
void mds_mem_fail_after(long n);

#endif
