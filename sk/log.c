/* log.c: the secure kernel's log, relayed by the hypervisor to the console
 * with the prefix "[sk] " (EL1 of VTL1; VTL1 owns no device). */
#include <stdarg.h>
#include "fmt.h"
#include "panic.h"
#include "sk.h"

void sk_log(const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    uint64_t len = n < (int)sizeof(buf) ? (uint64_t)n : sizeof(buf) - 1;
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

/* Refusals VTL0 can provoke at will are logged a limited number of times. */
bool sk_log_budget(void)
{
    static unsigned used;
    if (used < 64)
        return ++used, true;
    if (used++ == 64)
        sk_log("(further refusals are not logged)");
    return false;
}
