/* pt_el1.c: pt_ops pieces for identity-mapped tables (any EL) and the TLB
 * maintenance for an EL1&0 stage 1 (kernels at EL1: the secure kernel, the
 * VTL0 test kernel). */
#include "arm64/sysreg.h"
#include "pgtable.h"
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

/* Turn on the EL1&0 stage 1 with `ttbr0` as its only range. TCR_EL1:
 * T0SZ = 16 (48-bit VA), IRGN0/ORGN0 write-back, SH0 inner shareable, TG0
 * 4 KiB, EPD1 (no TTBR1 walks), IPS 48 bits. SCTLR_EL1: M, C, SA, SA0, I
 * plus RES1 bits, and the caller's extra bits (WXN, ...). */
void el1_mmu_enable(uint64_t ttbr0, uint64_t sctlr_extra)
{
    WRITE_SYSREG(mair_el1, PT_MAIR_VALUE);
    WRITE_SYSREG(tcr_el1, 16ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) |
                              (5ull << 32));
    WRITE_SYSREG(ttbr0_el1, ttbr0);
    isb();
    __asm__ volatile("tlbi vmalle1" ::: "memory");
    dsb_ish();
    isb();
    WRITE_SYSREG(sctlr_el1, 0x30d00800ull | 1 | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12) |
                                sctlr_extra);
    isb();
}
