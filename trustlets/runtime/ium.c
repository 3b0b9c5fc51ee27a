/* ium.c: IUM system-call wrappers of the trustlet runtime (EL0 of VTL1):
 * svc #0 with the number in x8, arguments in x0..x3, result in x0 (and a
 * second result in x1 for TL_SYS_RECEIVE). */
#include <stdarg.h>
#include <string.h>
#include "fmt.h"
#include "ium.h"

long tl_syscall(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    register uint64_t x8 __asm__("x8") = num;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x2), "r"(x3), "r"(x8) : "memory");
    return (long)x0;
}

_Noreturn void tl_exit(long code)
{
    tl_syscall(TL_SYS_EXIT, (uint64_t)code, 0, 0, 0);
    for (;;)
        ;
}

long tl_log(const char *text)
{
    return tl_syscall(TL_SYS_LOG, (uint64_t)(uintptr_t)text, strlen(text), 0, 0);
}

long tl_receive(void *buf, size_t max, uint64_t *cmd)
{
    register uint64_t x0 __asm__("x0") = (uint64_t)(uintptr_t)buf;
    register uint64_t x1 __asm__("x1") = max;
    register uint64_t x8 __asm__("x8") = TL_SYS_RECEIVE;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x8) : "memory");
    *cmd = x1;
    return (long)x0;
}

long tl_reply(const void *buf, size_t len, uint64_t status)
{
    return tl_syscall(TL_SYS_REPLY, (uint64_t)(uintptr_t)buf, len, status, 0);
}

long tl_random(void *buf, size_t len)
{
    return tl_syscall(TL_SYS_RANDOM, (uint64_t)(uintptr_t)buf, len, 0, 0);
}

long tl_seal(const void *in, size_t len, void *out, size_t max)
{
    return tl_syscall(TL_SYS_SEAL, (uint64_t)(uintptr_t)in, len, (uint64_t)(uintptr_t)out, max);
}

long tl_unseal(const void *in, size_t len, void *out, size_t max)
{
    return tl_syscall(TL_SYS_UNSEAL, (uint64_t)(uintptr_t)in, len, (uint64_t)(uintptr_t)out,
                      max);
}

long tl_report(struct tl_report *r)
{
    return tl_syscall(TL_SYS_REPORT, (uint64_t)(uintptr_t)r, sizeof(*r), 0, 0);
}

void *tl_alloc(size_t pages)
{
    long r = tl_syscall(TL_SYS_ALLOC, pages, 0, 0, 0);
    return r < 0 ? NULL : (void *)(uintptr_t)r;
}

long tl_free(void *p, size_t pages)
{
    return tl_syscall(TL_SYS_FREE, (uint64_t)(uintptr_t)p, pages, 0, 0);
}

/* lib/libc.c's fatal hook (fortify and stack-protector failures): the
 * trustlet reports and ends itself. */
_Noreturn void panic(const char *msg)
{
    tl_log(msg);
    tl_exit(-1);
}

long tl_logf(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return tl_log(buf);
}
