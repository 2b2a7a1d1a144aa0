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

/* Test hook: after `n` more successful allocations, fail every one.
 * A negative n disables injection (the default). */
void mds_mem_fail_after(long n);

#endif
