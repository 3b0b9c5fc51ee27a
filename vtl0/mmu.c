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

    el1_mmu_enable(pt_root_pa(&kpt), 0);
}

bool mmu_map_alias(uint64_t va, uint64_t pa)
{
    return pt_map(&kpt, va, pa, 4096, PT_R | PT_W) == PT_OK;
}

/* The root of the one stage 1 every CPU runs on (smp.c). */
uint64_t mmu_root(void)
{
    return pt_root_pa(&kpt);
}
