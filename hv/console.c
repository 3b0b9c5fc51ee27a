/* console.c: the hypervisor's log on the shared PL011 UART (EL2). VTL0 owns
 * the UART; the hypervisor only writes whole lines, each prefixed "[hv] ". */
#include <stdarg.h>
#include "fmt.h"
#include "hv.h"
#include "pl011.h"

void hv_console_init(uintptr_t uart_base)
{
    pl011_init(uart_base);
}

void hv_log(const char *fmt, ...)
{
    char line[256] = "[hv] ";
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(line + 5, sizeof(line) - 6, fmt, ap);
    va_end(ap);
    unsigned long len = 5 + (n < (int)sizeof(line) - 6 ? (unsigned long)n : sizeof(line) - 7);
    line[len++] = '\n';
    pl011_write(line, len);
}
