/* test_pl011.c: host unit tests (cmocka) for the bounded transmit wait of
 * the PL011 driver (lib/pl011.c) against a fake register block and an
 * injected clock; runs on the build host. A wait without a bound never
 * returns: the alarm turns that hang into a failure. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pl011.h"

#define FR_INDEX   (0x18 / 4)
#define DR_INDEX   0
#define FR_TXFF    (1u << 5)
#define TIMEOUT    1000 /* clock ticks allowed per character */

static volatile uint32_t regs[0x1000 / 4];
static uint64_t ticks;        /* the fake clock */
static uint64_t clock_reads;  /* how often the driver looked at it */
static uint64_t drain_at;     /* the FIFO gets room at this tick (0: never) */

/* Each read of the clock advances it by one tick; the UART may drain. */
static uint64_t fake_clock(void)
{
    clock_reads++;
    ticks++;
    if (drain_at && ticks >= drain_at)
        regs[FR_INDEX] &= ~FR_TXFF;
    return ticks;
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "not ok - the transmit wait is unbounded (hung)\n";
    (void)!write(1, msg, sizeof(msg) - 1);
    _exit(1);
}

static int setup(void **state)
{
    (void)state;
    memset((void *)regs, 0, sizeof(regs));
    ticks = clock_reads = drain_at = 0;
    pl011_init((uintptr_t)regs);
    pl011_set_clock(fake_clock, TIMEOUT);
    return 0;
}

static void test_room_in_fifo_no_waiting(void **state)
{
    (void)state;
    assert_true(pl011_putc('a'));
    assert_int_equal(regs[DR_INDEX], 'a');
    assert_int_equal(clock_reads, 0);
}

static void test_stuck_txff_times_out_once(void **state)
{
    (void)state;
    regs[FR_INDEX] = FR_TXFF;
    regs[DR_INDEX] = 0;
    assert_false(pl011_putc('x'));
    assert_int_equal(regs[DR_INDEX], 0);
    /* Bounded: about TIMEOUT clock reads, no more. */
    assert_true(clock_reads >= TIMEOUT && clock_reads <= TIMEOUT + 2);
    /* Stalled: the rest of the line is dropped without waiting. */
    uint64_t after_first = clock_reads;
    assert_false(pl011_write("hello\n", 6));
    assert_false(pl011_putc('y'));
    assert_int_equal(clock_reads, after_first);
    assert_int_equal(regs[DR_INDEX], 0);
}

static void test_recovers_when_fifo_drains(void **state)
{
    (void)state;
    regs[FR_INDEX] = FR_TXFF;
    assert_false(pl011_putc('x'));
    regs[FR_INDEX] = 0; /* VTL0 turned the UART back on */
    assert_true(pl011_write("ok\n", 3));
    assert_int_equal(regs[DR_INDEX], '\n');
    /* Not stalled any more: a slow FIFO is waited for again. */
    regs[FR_INDEX] = FR_TXFF;
    drain_at = ticks + TIMEOUT / 2;
    assert_true(pl011_putc('z'));
    assert_int_equal(regs[DR_INDEX], 'z');
}

static void test_slow_fifo_within_bound(void **state)
{
    (void)state;
    regs[FR_INDEX] = FR_TXFF;
    drain_at = TIMEOUT - 10;
    assert_true(pl011_putc('s'));
    assert_int_equal(regs[DR_INDEX], 's');
    assert_true(clock_reads < TIMEOUT);
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    alarm(10);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_room_in_fifo_no_waiting, setup),
        cmocka_unit_test_setup(test_stuck_txff_times_out_once, setup),
        cmocka_unit_test_setup(test_recovers_when_fifo_drains, setup),
        cmocka_unit_test_setup(test_slow_fifo_within_bound, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
