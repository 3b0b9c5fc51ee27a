/* mmu.c: the VTL0 test kernel's own stage 1 (EL1&0 regime, TTBR0_EL1,
 * identity mapped). Kernel text RX, user test code EL0-executable only,
 * everything else RW and never executable. Tables come from a static pool. */
#include <string.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "panic.h"
#include "pgtable.h"
#include "pt_el1.h"

#define POOL_PAGES 96
static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_used;
static void *free_list; /* pages pgtable handed back (unused reservations) */
static struct pgtable kpt;
static uint8_t user_stack[4096] __attribute__((aligned(4096)));
uint64_t user_stack_top;

extern char __kernel_start[], __text_end[], __user_text_start[], __user_text_end[];
extern char __kernel_end[];

static void *alloc_page(void *ctx)
{
    (void)ctx;
    if (free_list) {
        void *p = free_list;
        free_list = *(void **)p;
        memset(p, 0, 4096);
        return p;
    }
    return pool_used < POOL_PAGES ? pool[pool_used++] : 0;
}

static void *alloc_root(void *ctx, unsigned count)
{
    return count == 1 ? alloc_page(ctx) : 0;
}

static void free_page(void *ctx, void *p)
{
    (void)ctx;
    *(void **)p = free_list;
    free_list = p;
}

static const struct pt_ops ops = {
    alloc_page, alloc_root, free_page, pt_identity_pa, pt_identity_va, pt_el1_invalidate,
    pt_el1_sync,
};

bool mmu_map(uint64_t pa, uint64_t size, unsigned prot)
{
    return pt_map(&kpt, pa, pa, size, prot) == PT_OK;
}

static void map_or_panic(uint64_t pa, uint64_t size, unsigned prot)
{
    if (!mmu_map(pa, size, prot))
        panic("cannot build stage-1 tables");
}

void mmu_init(void)
{
    if (pt_init(&kpt, PT_S1_EL10, 48, false, &ops, 0))
        panic("no page for the stage-1 root");
    uint64_t k0 = (uint64_t)(uintptr_t)__kernel_start;
    uint64_t ut0 = (uint64_t)(uintptr_t)__user_text_start;
    uint64_t ut1 = (uint64_t)(uintptr_t)__user_text_end;
    map_or_panic(vtl0_ram_base, vtl0_ram_size, PT_R | PT_W);
    map_or_panic(k0, ut0 - k0, PT_R | PT_XK);
    map_or_panic(ut0, ut1 - ut0, PT_R | PT_XU | PT_USER);
    map_or_panic((uint64_t)(uintptr_t)__text_end,
                 (uint64_t)(uintptr_t)__kernel_end - (uint64_t)(uintptr_t)__text_end, PT_R | PT_W);
    map_or_panic((uint64_t)(uintptr_t)user_stack, 4096, PT_R | PT_W | PT_USER);
    user_stack_top = (uint64_t)(uintptr_t)user_stack + 4096;
    map_or_panic(uart_base & ~0xfffull, 4096, PT_R | PT_W | PT_DEVICE);

    WRITE_SYSREG(mair_el1, PT_MAIR_VALUE);
    /* TCR_EL1: T0SZ = 16 (48-bit VA), IRGN0/ORGN0 write-back, SH0 inner,
     * TG0 4 KiB, EPD1 (no TTBR1 walks), IPS 48 bits. */
    WRITE_SYSREG(tcr_el1, 16ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) |
                              (5ull << 32));
    WRITE_SYSREG(ttbr0_el1, pt_root_pa(&kpt));
    isb();
    __asm__ volatile("tlbi vmalle1" ::: "memory");
    dsb_ish();
    isb();
    /* SCTLR_EL1: M, C, I, SA, SA0 plus RES1 bits. */
    WRITE_SYSREG(sctlr_el1, 0x30d00800ull | 1 | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12));
    isb();
}

bool mmu_map_alias(uint64_t va, uint64_t pa)
{
    return pt_map(&kpt, va, pa, 4096, PT_R | PT_W) == PT_OK;
}
