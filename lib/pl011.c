/* pl011.c: polled PL011 UART (PrimeCell UART TRM, DDI0183). Any EL. */
#include "pl011.h"

#define UART_DR     0x00 /* data register */
#define UART_FR     0x18 /* flag register */
#define FR_RXFE     (1u << 4) /* receive FIFO empty */
#define FR_TXFF     (1u << 5) /* transmit FIFO full */

static volatile uint32_t *uart;

static uint32_t reg_read(unsigned off)
{
    return uart[off / 4];
}

void pl011_init(uintptr_t base)
{
    uart = (volatile uint32_t *)base;
}

void pl011_putc(char c)
{
    if (!uart)
        return;
    while (reg_read(UART_FR) & FR_TXFF)
        ;
    uart[UART_DR / 4] = (uint8_t)c;
}

void pl011_write(const char *s, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        if (s[i] == '\n')
            pl011_putc('\r');
        pl011_putc(s[i]);
    }
}

bool pl011_getc(char *c)
{
    if (!uart || (reg_read(UART_FR) & FR_RXFE))
        return false;
    *c = (char)(uart[UART_DR / 4] & 0xff);
    return true;
}
