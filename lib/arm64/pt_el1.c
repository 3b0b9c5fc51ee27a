/* pt_el1.c: pt_ops pieces for identity-mapped tables (any EL) and the TLB
 * maintenance for an EL1&0 stage 1 (kernels at EL1: the secure kernel, the
 * VTL0 test kernel). */
#include "arm64/sysreg.h"
#include "pt_el1.h"

uint64_t pt_identity_pa(void *ctx, const void *page)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)page;
}

void *pt_identity_va(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}

/* TLBI VAAE1IS drops the entries for one VA of every ASID; VMALLE1IS all
 * of this VMID's stage-1 entries (a removed table may have cached many). */
void pt_el1_invalidate(void *ctx, uint64_t va, unsigned level, bool whole_range)
{
    (void)ctx;
    (void)level;
    dsb_ishst();
    if (whole_range)
        __asm__ volatile("tlbi vmalle1is" ::: "memory");
    else
        __asm__ volatile("tlbi vaae1is, %0" : : "r"(va >> 12) : "memory");
    dsb_ish();
    isb();
}

void pt_el1_sync(void *ctx)
{
    (void)ctx;
    dsb_ishst();
    isb();
}
