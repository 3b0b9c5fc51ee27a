/* console.c: the hypervisor's log on the shared PL011 UART (EL2). VTL0 owns
 * the UART; the hypervisor only writes whole lines, each prefixed "[hv] ".
 * The log is best effort: VTL0 can switch the UART off, so every wait for
 * it is bounded, and lines VTL0 can cause at will are rate limited per
 * source. The guaranteed record is the event ring (events.c). */
#include <stdarg.h>
#include "arm64/sysreg.h"
#include "events.h"
#include "fmt.h"
#include "hv.h"
#include "pl011.h"
#include "ratelimit.h"
#include "spinlock.h"

/* Locks: uart_lock makes a line one unit on the UART (lines from all CPUs
 * interleave only whole); limits_lock guards the rate limits' state. Order:
 * limits_lock, then uart_lock (a "suppressed" line is logged while the
 * limit is examined), then the event ring's lock (events.c). */
static struct spinlock uart_lock = SPINLOCK_INIT, limits_lock = SPINLOCK_INIT;

#define DEFAULT_CNTFRQ 62500000 /* firmware left CNTFRQ_EL0 unset: assume 62.5 MHz */

static uint64_t counter_now(void)
{
    return READ_SYSREG(cntpct_el0);
}

static uint64_t counter_freq(void)
{
    uint64_t freq = READ_SYSREG(cntfrq_el0);
    return freq ? freq : DEFAULT_CNTFRQ;
}

/* At most about 1 ms per character: a UART VTL0 stopped cannot hold EL2
 * (interrupts masked) for longer than that once. */
void hv_console_init(uintptr_t uart_base)
{
    pl011_init(uart_base);
    pl011_set_clock(counter_now, counter_freq() / 1000);
}

static void write_line(const char *line, unsigned long len)
{
    hv_lock(&uart_lock);
    bool ok = pl011_write(line, len);
    hv_unlock(&uart_lock);
    if (!ok)
        hv_event_count(OVBS_EV_LINES_DROPPED);
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
    write_line(line, len);
}

/* A line from another component relayed by the hypervisor (the secure
 * kernel has no UART): its own prefix, then the already checked text. */
void hv_log_raw(const char *prefix, const char *text)
{
    char line[256];
    int n = fmt_snprintf(line, sizeof(line) - 1, "%s%s", prefix, text);
    unsigned long len = n < (int)sizeof(line) - 1 ? (unsigned long)n : sizeof(line) - 2;
    line[len++] = '\n';
    write_line(line, len);
}

/* ---- Rate limits ----------------------------------------------------------
 * Each source may log `budget` lines per second of the system counter
 * (CNTPCT_EL0: no guest can offset it). Lines over the budget are counted
 * (OVBS_EV_LINES_SUPPRESSED); the first line of the next window that the
 * source logs is preceded by how many of its lines were left out. */
struct log_source {
    const char *name;
    uint32_t budget;
    struct ratelimit rl;
};

static struct log_source sources[LOG_SRC_COUNT] = {
    [LOG_SRC_CALLS] = { "refused hypercalls", 32, { 0 } },
    [LOG_SRC_ABORTS] = { "stage-2 aborts", 32, { 0 } },
    [LOG_SRC_INTERCEPTS] = { "intercepts", 32, { 0 } },
    [LOG_SRC_TRAPS] = { "unhandled traps", 32, { 0 } },
    [LOG_SRC_PSCI] = { "PSCI", 32, { 0 } },
    [LOG_SRC_VTL] = { "VtlCall refusals", 32, { 0 } },
    [LOG_SRC_GIC] = { "GIC", 32, { 0 } },
    [LOG_SRC_DEVICES] = { "PCIe devices", 32, { 0 } },
    [LOG_SRC_DMA] = { "DMA faults", 32, { 0 } },
    /* The secure kernel limits its own sources; this only bounds the sum. */
    [LOG_SRC_SK] = { "the secure kernel", 128, { 0 } },
};

bool hv_log_allowed(enum hv_log_source src)
{
    if (src >= LOG_SRC_COUNT)
        src = LOG_SRC_TRAPS;
    struct log_source *s = &sources[src];
    uint32_t missed;
    hv_lock(&limits_lock);
    bool ok = ratelimit_take(&s->rl, counter_now(), counter_freq(), s->budget, &missed);
    hv_unlock(&limits_lock);
    if (missed)
        hv_log("(%u lines from %s suppressed)", missed, s->name);
    if (!ok)
        hv_event_count(OVBS_EV_LINES_SUPPRESSED);
    return ok;
}
