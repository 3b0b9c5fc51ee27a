/* pl011.h: polled driver for the Arm PL011 UART, used by the hypervisor and
 * by kernels that own the console (any EL; the caller maps the registers). */
#ifndef OVBS_PL011_H
#define OVBS_PL011_H
#include <stdbool.h>
#include <stdint.h>

void pl011_init(uintptr_t base);
/* Bound every wait for room in the transmit FIFO: at most `timeout` ticks
 * of `now` per character. A user that does not own the UART (the
 * hypervisor: VTL0 can disable it or loop it back) must set this; without
 * it a full FIFO is waited out for as long as it takes. Once a character
 * times out the UART counts as stalled: output is dropped without waiting
 * until the FIFO has room again. */
void pl011_set_clock(uint64_t (*now)(void), uint64_t timeout);
bool pl011_putc(char c); /* false: dropped (UART stalled) */
bool pl011_write(const char *s, unsigned long n); /* false: some was dropped */
bool pl011_getc(char *c); /* false when no character is waiting */
#endif
