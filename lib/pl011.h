/* pl011.h: polled driver for the Arm PL011 UART, used by the hypervisor and
 * by kernels that own the console (any EL; the caller maps the registers). */
#ifndef OVBS_PL011_H
#define OVBS_PL011_H
#include <stdbool.h>
#include <stdint.h>

void pl011_init(uintptr_t base);
void pl011_putc(char c);
void pl011_write(const char *s, unsigned long n);
bool pl011_getc(char *c); /* false when no character is waiting */
#endif
