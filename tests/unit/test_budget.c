/* Unit tests: the page budget (core/budget.c) - a bound on how many
 * threads hold a page at once, that still lets every thread through and
 * gives up on shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <cmocka.h>

#include "core/budget.h"
#include "core/lifecycle.h"

#define WORKERS 8
#define ROUNDS 50

struct shared {
    struct mds_budget budget;
    atomic_int inside, most_inside, done;
};

static void pause_us(long us)
{
    struct timespec ts = {0, us * 1000L};
    nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
    struct shared *s = arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (mds_budget_acquire(&s->budget) != MDS_OK)
            return NULL;
        int now = atomic_fetch_add(&s->inside, 1) + 1;
        int seen = atomic_load(&s->most_inside);
        while (now > seen && !atomic_compare_exchange_weak(&s->most_inside, &seen, now))
            ;
        pause_us(200);
        atomic_fetch_sub(&s->inside, 1);
        mds_budget_release(&s->budget);
    }
    atomic_fetch_add(&s->done, 1);
    return NULL;
}

static int run_workers(int limit)
{
    static struct shared s;
    pthread_t t[WORKERS];
    mds_budget_init(&s.budget, limit);
    atomic_store(&s.inside, 0);
    atomic_store(&s.most_inside, 0);
    atomic_store(&s.done, 0);
    for (int i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &s), 0);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&s.done), WORKERS);
    assert_int_equal(mds_budget_used(&s.budget), 0);
    mds_budget_finish(&s.budget);
    return atomic_load(&s.most_inside);
}

static void test_bounds_holders(void **state)
{
    (void)state;
    int most = run_workers(2);
    assert_true(most >= 1 && most <= 2);
    assert_int_equal(run_workers(1), 1);
}

static void test_zero_is_unlimited(void **state)
{
    (void)state;
    struct mds_budget b;
    mds_budget_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(mds_budget_acquire(&b), MDS_OK);
    assert_int_equal(mds_budget_used(&b), 1000);
    for (int i = 0; i < 1000; i++)
        mds_budget_release(&b);
    assert_int_equal(mds_budget_used(&b), 0);
    mds_budget_finish(&b);
    /* no budget at all: never waits */
    assert_int_equal(mds_budget_acquire(NULL), MDS_OK);
    mds_budget_release(NULL);
}

static void *blocked(void *arg)
{
    static mds_err rc;
    rc = mds_budget_acquire(arg);
    return &rc;
}

static void test_shutdown_ends_the_wait(void **state)
{
    (void)state;
    struct mds_budget b;
    pthread_t t;
    void *ret;
    mds_budget_init(&b, 1);
    assert_int_equal(mds_budget_acquire(&b), MDS_OK);
    assert_int_equal(pthread_create(&t, NULL, blocked, &b), 0);
    pause_us(50000);
    mds_shutdown_request();
    pthread_join(t, &ret);
    mds_shutdown_reset();
    assert_int_equal(*(mds_err *)ret, MDS_ERR_STOPPED);
    assert_int_equal(mds_budget_used(&b), 1); /* the stopped waiter took nothing */
    mds_budget_release(&b);
    mds_budget_finish(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_holders),
        cmocka_unit_test(test_zero_is_unlimited),
        cmocka_unit_test(test_shutdown_ends_the_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
