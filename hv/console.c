/* console.c: the hypervisor's log on the shared PL011 UART (EL2). VTL0 owns
 * the UART; the hypervisor only writes whole lines, each prefixed "[hv] ". */
#include <stdarg.h>
#include "arm64/sysreg.h"
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

/* A line from another component relayed by the hypervisor (the secure
 * kernel has no UART): its own prefix, then the already checked text. */
void hv_log_raw(const char *prefix, const char *text)
{
    char line[256];
    int n = fmt_snprintf(line, sizeof(line) - 1, "%s%s", prefix, text);
    unsigned long len = n < (int)sizeof(line) - 1 ? (unsigned long)n : sizeof(line) - 2;
    line[len++] = '\n';
    pl011_write(line, len);
}

/* Refusals VTL0 can cause at will are logged at most LOG_BUDGET per second
 * of the system counter, so VTL0 cannot flood the console (and stall the
 * machine on the UART) with them; the first line over the budget says so,
 * and the next window starts with a count of what was left out. */
#define LOG_BUDGET 64

bool hv_log_budget(void)
{
    static unsigned used;
    static uint64_t window_start;
    uint64_t now = READ_SYSREG(cntpct_el0), freq = READ_SYSREG(cntfrq_el0);
    if (!freq)
        freq = 62500000; /* firmware left CNTFRQ_EL0 unset: assume 62.5 MHz */
    if (now - window_start >= freq) {
        if (used > LOG_BUDGET)
            hv_log("(%u refusals were not logged)", used - LOG_BUDGET);
        window_start = now;
        used = 0;
    }
    if (used++ < LOG_BUDGET)
        return true;
    if (used == LOG_BUDGET + 1)
        hv_log("(further refusals are not logged for up to a second)");
    return false;
}
