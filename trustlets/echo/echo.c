/* echo.c: the echo trustlet (EL0 of VTL1). Command 0 echoes its input; the
 * others exist so tests can watch the secure kernel stop a trustlet that
 * misbehaves (and so a newcomer sees each IUM call used once). */
#include <string.h>
#include "ium.h"

enum {
    ECHO = 0,
    CRASH_NULL = 1,      /* write through a null pointer */
    SPIN = 2,            /* never answer: VTL1's timer must stop it */
    READ_SK = 3,         /* read the secure kernel's memory */
    UNDEFINED = 4,       /* an undefined instruction */
    FORBIDDEN_CALL = 5,  /* a system call its policy does not grant (seal) */
    UNKNOWN_CALL = 6,    /* a system call number that does not exist */
    RANDOM = 7,          /* 32 bytes from the CPU's RNDR */
    HEAP = 8,            /* allocate, use and free heap pages; then exceed the quota */
    READ_VTL0 = 9,       /* read VTL0's memory */
    BAD_POINTER = 10,    /* hand the kernel a pointer to its own memory */
    WRITE_CODE = 11,     /* write to its own code (W^X) */
    STACK_OVERFLOW = 12, /* run into the guard page below the stack */
    REPORT = 13,         /* its measurement report */
    WRITE_RUNTIME = 14,  /* write to the shared runtime's code */
    READ_ADDR = 15,      /* read 8 bytes at the address given as input */
    CANARY = 16,         /* its stack-protector canary (a test reads it) */
    FP_WORK = 17,        /* a little FP arithmetic (the FP benchmark) */
};

void echo_fp_work(void); /* echo_fp.S */

static uint8_t buf[4096];

static unsigned recurse(unsigned n)
{
    volatile uint8_t pad[1024];
    pad[0] = (uint8_t)n;
    return n == 0xffffffffu ? pad[0] : recurse(n + 1) + pad[0];
}

static long heap_test(void)
{
    uint8_t *p = tl_alloc(2);
    if (!p)
        return -1;
    p[0] = 1;
    p[8191] = 2;
    if (tl_free(p, 2) != 0)
        return -2;
    if (tl_alloc(1000) != NULL) /* beyond the quota */
        return -3;
    return 0;
}

static long handle(uint64_t cmd, long len)
{
    switch (cmd) {
    case ECHO:
        return tl_reply(buf, (size_t)len, 0);
    case CRASH_NULL:
        *(volatile uint64_t *)0 = 1;
        break;
    case SPIN:
        for (;;)
            __asm__ volatile("");
    case READ_SK:
        return tl_reply((const void *)(uintptr_t)*(volatile uint64_t *)0x41000000ull, 8, 0);
    case UNDEFINED:
        __asm__ volatile("udf #0");
        break;
    case FORBIDDEN_CALL:
        return tl_seal(buf, 16, buf + 64, 256);
    case UNKNOWN_CALL:
        return tl_syscall(99, 0, 0, 0, 0);
    case RANDOM:
        if (tl_random(buf, 32) < 0)
            return tl_reply(buf, 0, 1);
        return tl_reply(buf, 32, 0);
    case HEAP:
        return tl_reply(buf, 0, (uint64_t)heap_test());
    case READ_VTL0:
        return tl_reply((const void *)(uintptr_t)*(volatile uint64_t *)0x48000000ull, 8, 0);
    case BAD_POINTER: {
        long r = tl_syscall(TL_SYS_LOG, 0x41000000ull, 16, 0, 0);
        return tl_reply(&r, sizeof(r), 0);
    }
    case WRITE_CODE:
        *(volatile uint32_t *)(uintptr_t)&handle = 0;
        break;
    case STACK_OVERFLOW:
        return tl_reply(buf, recurse(0), 0);
    case WRITE_RUNTIME:
        *(volatile uint32_t *)(uintptr_t)&tl_log = 0;
        break;
    case READ_ADDR: {
        uint64_t addr = 0, value;
        memcpy(&addr, buf, len >= 8 ? 8 : 0);
        value = *(volatile uint64_t *)(uintptr_t)addr;
        return tl_reply(&value, sizeof(value), 0);
    }
    case CANARY: {
        extern uintptr_t __stack_chk_guard;
        uint64_t canary = __stack_chk_guard;
        return tl_reply(&canary, sizeof(canary), 0);
    }
    case FP_WORK:
        echo_fp_work();
        return tl_reply(buf, 0, 0);
    case REPORT: {
        struct tl_report r;
        long n = tl_report(&r);
        return tl_reply(&r, n < 0 ? 0 : (size_t)n, n < 0 ? 1 : 0);
    }
    default:
        return tl_reply(buf, 0, 0xbad);
    }
    return 0;
}

int tl_main(void)
{
    tl_logf("echo trustlet ready (runtime at %p)", (void *)&tl_log);
    for (;;) {
        uint64_t cmd;
        long len = tl_receive(buf, sizeof(buf), &cmd);
        handle(cmd, len);
    }
}
