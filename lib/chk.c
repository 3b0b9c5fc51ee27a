/* chk.c: the stack-protector canary and the _FORTIFY_SOURCE checked copies
 * that Debian's static libraries (built with both) call. Every image links
 * its own copy: the canary is per image, so this file holds writable data and
 * is kept out of shared code. The hypervisor and the secure kernel set theirs
 * from RNDR at boot, and the secure kernel hands each trustlet its own at
 * start (trustlets/runtime/crt0.S); the VTL0 test kernel keeps this value. */
#include <stdint.h>
#include <string.h>
#include "panic.h"

/* ---- Stack protector ----------------------------------------------------- */
uintptr_t __stack_chk_guard = 0x5a17c0de0f1e5b5bull;

void __stack_chk_fail(void)
{
    panic("stack protector: stack smashed");
}

/* ---- _FORTIFY_SOURCE checked variants used by Debian's libraries ------- */
void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
    if (n > dstlen)
        panic("fortify: memcpy overflow");
    return memcpy(dst, src, n);
}

void *__memmove_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
    if (n > dstlen)
        panic("fortify: memmove overflow");
    return memmove(dst, src, n);
}

void *__memset_chk(void *dst, int c, size_t n, size_t dstlen)
{
    if (n > dstlen)
        panic("fortify: memset overflow");
    return memset(dst, c, n);
}
