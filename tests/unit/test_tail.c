/* Unit tests: the delivered-bytes tail (core/tail.c) - what it gives back
 * is exactly the most recent whole messages that fit its ring, across
 * wrap-around, batches larger than the ring, more batches than it keeps
 * boundaries for, and a clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/tail.h"

/* A batch of `count` messages "<tag><i>.....\n", each `len` bytes. */
struct batch {
    char data[4096];
    size_t ends[64];
    size_t count;
};

static void make_batch(struct batch *b, char tag, size_t count, size_t len)
{
    size_t n = 0;
    assert_true(count <= 64 && count * len <= sizeof b->data);
    for (size_t i = 0; i < count; i++) {
        memset(b->data + n, '.', len);
        b->data[n] = tag;
        b->data[n + 1] = (char)('0' + i % 10);
        b->data[n + len - 1] = '\n';
        n += len;
        b->ends[i] = n;
    }
    b->count = count;
}

static size_t get_all(const struct mds_tail *t, char *out, size_t size)
{
    const char *p1, *p2;
    size_t n1, n2;
    mds_tail_get(t, &p1, &n1, &p2, &n2);
    assert_true(n1 + n2 <= size);
    if (n1)
        memcpy(out, p1, n1);
    if (n2)
        memcpy(out + n1, p2, n2);
    return n1 + n2;
}

static void test_keeps_whole_recent_batches(void **state)
{
    (void)state;
    struct mds_tail t;
    struct batch a, b, c;
    char out[8192], want[8192];
    mds_tail_init(&t, 100);
    make_batch(&a, 'a', 3, 10); /* 30 */
    make_batch(&b, 'b', 4, 10); /* 40 */
    make_batch(&c, 'c', 5, 10); /* 50: a no longer fits */
    assert_int_equal(mds_tail_add(&t, a.data, a.ends, a.count), MDS_OK);
    assert_int_equal(get_all(&t, out, sizeof out), 30);
    assert_memory_equal(out, a.data, 30);
    assert_int_equal(mds_tail_add(&t, b.data, b.ends, b.count), MDS_OK);
    assert_int_equal(mds_tail_add(&t, c.data, c.ends, c.count), MDS_OK);
    memcpy(want, b.data, 40);
    memcpy(want + 40, c.data, 50);
    assert_int_equal(get_all(&t, out, sizeof out), 90); /* wrapped around the ring */
    assert_memory_equal(out, want, 90);
    assert_int_equal(mds_tail_messages(&t), 9);
    mds_tail_clear(&t);
    assert_int_equal(get_all(&t, out, sizeof out), 0);
    assert_int_equal(mds_tail_add(&t, a.data, a.ends, a.count), MDS_OK);
    assert_int_equal(get_all(&t, out, sizeof out), 30);
    assert_memory_equal(out, a.data, 30);
    mds_tail_finish(&t);
}

static void test_large_batch_keeps_the_messages_that_fit(void **state)
{
    (void)state;
    struct mds_tail t;
    struct batch a, big;
    char out[8192];
    mds_tail_init(&t, 100);
    make_batch(&a, 'a', 2, 10);
    make_batch(&big, 'z', 20, 15); /* 300 bytes: its last 6 messages (90) fit */
    assert_int_equal(mds_tail_add(&t, a.data, a.ends, a.count), MDS_OK);
    assert_int_equal(mds_tail_add(&t, big.data, big.ends, big.count), MDS_OK);
    assert_int_equal(get_all(&t, out, sizeof out), 90);
    assert_memory_equal(out, big.data + 210, 90);
    assert_int_equal(out[0], 'z'); /* starts on a message boundary */
    assert_int_equal(mds_tail_messages(&t), 6);
    make_batch(&big, 'y', 1, 150); /* one message larger than the ring */
    assert_int_equal(mds_tail_add(&t, big.data, big.ends, big.count), MDS_OK);
    assert_int_equal(get_all(&t, out, sizeof out), 0); /* nothing older is "the most recent" */
    assert_int_equal(mds_tail_messages(&t), 0);
    mds_tail_finish(&t);
}

static void test_more_batches_than_boundaries(void **state)
{
    (void)state;
    struct mds_tail t;
    struct batch one;
    static char out[1 << 16];
    mds_tail_init(&t, 1 << 16);
    make_batch(&one, 'm', 1, 8);
    for (int i = 0; i < MDS_TAIL_STARTS + 10; i++)
        assert_int_equal(mds_tail_add(&t, one.data, one.ends, one.count), MDS_OK);
    /* the ring holds every byte, but only the newest MDS_TAIL_STARTS starts */
    size_t n = get_all(&t, out, sizeof out);
    assert_int_equal(n, (size_t)MDS_TAIL_STARTS * 8);
    assert_int_equal(mds_tail_messages(&t), MDS_TAIL_STARTS);
    for (size_t i = 0; i < n; i += 8)
        assert_memory_equal(out + i, one.data, 8);
    mds_tail_finish(&t);
}

static void test_disabled(void **state)
{
    (void)state;
    struct mds_tail t;
    struct batch a;
    char out[64];
    mds_tail_init(&t, 0);
    make_batch(&a, 'a', 2, 10);
    assert_int_equal(mds_tail_add(&t, a.data, a.ends, a.count), MDS_OK);
    assert_int_equal(get_all(&t, out, sizeof out), 0);
    mds_tail_finish(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keeps_whole_recent_batches),
        cmocka_unit_test(test_large_batch_keeps_the_messages_that_fit),
        cmocka_unit_test(test_more_batches_than_boundaries),
        cmocka_unit_test(test_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
