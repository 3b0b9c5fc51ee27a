/* log.c: the secure kernel's log, relayed by the hypervisor to the console
 * with the prefix "[sk] " (EL1 of VTL1; VTL1 owns no device). Lines VTL0 or
 * a trustlet can cause at will are rate limited per source; the guaranteed
 * record is the event ring (events.c).
 *
 * Several VPs: each line is built in a buffer on the caller's stack and
 * handed over in one hypercall, so lines of different VPs never mix and
 * need no lock; the rate limits are shared (log_lock, taken with IRQs
 * masked, as for the event ring). Every line says which VP wrote it, at
 * its end: " (vpN)". (Not "vpN: " in front: test_front_door.py finds lines
 * by their first words after "[sk] ".) */
#include <stdarg.h>
#include "arm64/sysreg.h"
#include "fmt.h"
#include "panic.h"
#include "ratelimit.h"
#include "sk.h"

#define LINE_MAX 160
#define VP_TAG   8 /* " (vpN)" with N < 8 */

void sk_log(const char *fmt, ...)
{
    char buf[LINE_MAX + VP_TAG];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, LINE_MAX, fmt, ap);
    va_end(ap);
    uint64_t len = n < LINE_MAX ? (uint64_t)n : LINE_MAX - 1;
    int tag = fmt_snprintf(buf + len, VP_TAG, " (vp%u)", this_cpu()->index);
    if (tag > 0 && tag < VP_TAG)
        len += (uint64_t)tag;
    hvc(OVBS_VTL1_LOG, (uint64_t)(uintptr_t)buf, len, 0);
}

/* A bug in the secure kernel: VTL0 can no longer be protected, so the
 * hypervisor stops the machine (fail closed). */
_Noreturn void panic(const char *msg)
{
    sk_log("PANIC: %s", msg);
    for (;;)
        hvc(OVBS_VTL1_FATAL, 0xdead, 0, 0);
}

/* Each source may log SOURCE_BUDGET lines per second of CNTVCT_EL0 (VTL0
 * cannot offset it); lines over it are counted (SK_EV_LINES_SUPPRESSED),
 * and the source's next line in a later second says how many were left out. */
#define SOURCE_BUDGET 16

struct log_source {
    const char *name;
    struct ratelimit rl;
};

static struct spinlock log_lock = SPINLOCK_INIT;
static struct log_source sources[SK_LOG_COUNT] = { /* .rl: log_lock */
    [SK_LOG_CALLS] = { "secure calls", { 0 } },
    [SK_LOG_PROTECT] = { "protection changes", { 0 } },
    [SK_LOG_INTERCEPT] = { "intercepts", { 0 } },
    [SK_LOG_TL_LOAD] = { "trustlet loads", { 0 } },
    [SK_LOG_TL_KILL] = { "trustlet kills", { 0 } },
    [SK_LOG_TL_LOG] = { "trustlets' own lines", { 0 } },
    [SK_LOG_KERNEL] = { "kernel integrity", { 0 } },
};

bool sk_log_allowed(enum sk_log_source src)
{
    if (src >= SK_LOG_COUNT)
        src = SK_LOG_CALLS;
    struct log_source *s = &sources[src];
    uint64_t freq = READ_SYSREG(cntfrq_el0);
    uint32_t missed;
    uint64_t daif = sk_lock_irq(&log_lock);
    bool ok = ratelimit_take(&s->rl, READ_SYSREG(cntvct_el0), freq ? freq : 62500000,
                             SOURCE_BUDGET, &missed);
    sk_unlock_irq(&log_lock, daif);
    if (missed)
        sk_log("(%u lines from %s suppressed)", missed, s->name);
    if (!ok)
        sk_event_count(SK_EV_LINES_SUPPRESSED);
    return ok;
}
