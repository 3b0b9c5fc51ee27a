/* pl011.c: polled PL011 UART (PrimeCell UART TRM, DDI0183). Any EL. */
#include "pl011.h"

#define UART_DR     0x00 /* data register */
#define UART_FR     0x18 /* flag register */
#define FR_RXFE     (1u << 4) /* receive FIFO empty */
#define FR_TXFF     (1u << 5) /* transmit FIFO full */

static volatile uint32_t *uart;
static uint64_t (*clock_now)(void);
static uint64_t char_timeout;
static bool stalled; /* a character timed out and the FIFO has not drained since */

static uint32_t reg_read(unsigned off)
{
    return uart[off / 4];
}

void pl011_init(uintptr_t base)
{
    uart = (volatile uint32_t *)base;
    stalled = false;
}

void pl011_set_clock(uint64_t (*now)(void), uint64_t timeout)
{
    clock_now = now;
    char_timeout = timeout;
}

static bool tx_full(void)
{
    return reg_read(UART_FR) & FR_TXFF;
}

/* Wait for room in the transmit FIFO, within the bound if there is one. A
 * stalled UART is looked at once, never waited for. */
static bool tx_room(void)
{
    if (!tx_full()) {
        stalled = false;
        return true;
    }
    if (stalled)
        return false;
    if (!clock_now) {
        while (tx_full())
            ;
        return true;
    }
    uint64_t start = clock_now();
    while (tx_full()) {
        if (clock_now() - start >= char_timeout) {
            stalled = true;
            return false;
        }
    }
    return true;
}

bool pl011_putc(char c)
{
    if (!uart || !tx_room())
        return false;
    uart[UART_DR / 4] = (uint8_t)c;
    return true;
}

bool pl011_write(const char *s, unsigned long n)
{
    bool all = true;
    for (unsigned long i = 0; i < n; i++) {
        if (s[i] == '\n')
            all &= pl011_putc('\r');
        all &= pl011_putc(s[i]);
    }
    return all;
}

bool pl011_getc(char *c)
{
    if (!uart || (reg_read(UART_FR) & FR_RXFE))
        return false;
    *c = (char)(uart[UART_DR / 4] & 0xff);
    return true;
}
