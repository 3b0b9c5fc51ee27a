/* test_events.c: host unit tests (cmocka) for the security-event ring
 * (lib/evring.c) and the per-source rate limit (lib/ratelimit.c) that both
 * the hypervisor and the secure kernel use; runs on the build host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "evring.h"
#include "ratelimit.h"

#define KINDS 4

static struct ev_ring ring;

static int setup(void **state)
{
    (void)state;
    memset(&ring, 0, sizeof(ring));
    return 0;
}

static void test_record_and_read(void **state)
{
    (void)state;
    struct ev_record e;
    uint64_t hint = 99;
    assert_int_equal(evring_read(&ring, 0, &e, &hint), HV_STATUS_NO_DATA);
    assert_int_equal(hint, 0);
    evring_record(&ring, 2, 0, 1, 0x123450000ull, 0xaa, 0xbb);
    assert_int_equal(evring_read(&ring, 0, &e, &hint), HV_STATUS_SUCCESS);
    assert_int_equal(e.kind, 2);
    assert_int_equal(e.a, 0xaa);
    assert_int_equal(e.b, 0xbb);
    uint64_t h = evring_header(&e);
    assert_int_equal(h & 0xffff, 2);
    assert_int_equal((h >> OVBS_EV_HDR_VP_SHIFT) & 0xff, 1);
    assert_int_equal(h >> OVBS_EV_HDR_TIME_SHIFT, 0x12345);
    uint64_t n;
    assert_int_equal(evring_kind_count(&ring, 2, KINDS, &n), HV_STATUS_SUCCESS);
    assert_int_equal(n, 1);
}

static void test_wrap_and_bounds(void **state)
{
    (void)state;
    for (unsigned i = 0; i < EV_RING_SIZE + 10; i++)
        evring_record(&ring, 1, 0, 0, i, i, 0);
    struct ev_record e;
    uint64_t hint;
    assert_int_equal(evring_read(&ring, 9, &e, &hint), HV_STATUS_EVENT_OVERWRITTEN);
    assert_int_equal(hint, 10);
    assert_int_equal(evring_read(&ring, 10, &e, &hint), HV_STATUS_SUCCESS);
    assert_int_equal(e.a, 10);
    assert_int_equal(evring_read(&ring, EV_RING_SIZE + 9, &e, &hint), HV_STATUS_SUCCESS);
    assert_int_equal(evring_read(&ring, EV_RING_SIZE + 10, &e, &hint), HV_STATUS_NO_DATA);
    assert_int_equal(hint, EV_RING_SIZE + 10);
    assert_int_equal(evring_read(&ring, UINT64_MAX, &e, &hint), HV_STATUS_NO_DATA);
    uint64_t n;
    assert_int_equal(evring_kind_count(&ring, 1, KINDS, &n), HV_STATUS_SUCCESS);
    assert_int_equal(n, EV_RING_SIZE + 10);
    assert_int_equal(evring_kind_count(&ring, KINDS, KINDS, &n), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(n, 0);
}

static void test_count_only_and_bad_kind(void **state)
{
    (void)state;
    evring_count(&ring, 3);
    evring_count(&ring, EV_MAX_KINDS); /* no such kind: ignored */
    evring_record(&ring, EV_MAX_KINDS + 1, 0, 0, 0, 0, 0);
    uint64_t n;
    assert_int_equal(evring_kind_count(&ring, 3, KINDS, &n), HV_STATUS_SUCCESS);
    assert_int_equal(n, 1);
    assert_int_equal(ring.next, 0); /* nothing took a ring slot */
}

static void test_ratelimit_budget_and_recovery(void **state)
{
    (void)state;
    struct ratelimit rl = { 0 };
    uint32_t missed;
    const uint64_t second = 1000;
    uint64_t t = 5000;
    for (unsigned i = 0; i < 3; i++) {
        assert_true(ratelimit_take(&rl, t, second, 3, &missed));
        assert_int_equal(missed, 0);
    }
    for (unsigned i = 0; i < 5; i++)
        assert_false(ratelimit_take(&rl, t + 999, second, 3, &missed));
    /* The next window: allowed again, and told what the last one dropped. */
    assert_true(ratelimit_take(&rl, t + 1000, second, 3, &missed));
    assert_int_equal(missed, 5);
    assert_true(ratelimit_take(&rl, t + 1001, second, 3, &missed));
    assert_int_equal(missed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_record_and_read, setup),
        cmocka_unit_test_setup(test_wrap_and_bounds, setup),
        cmocka_unit_test_setup(test_count_only_and_bad_kind, setup),
        cmocka_unit_test(test_ratelimit_budget_and_recovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
