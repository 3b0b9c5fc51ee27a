/* sysregs.c: save and restore one VTL's EL1 system-register context (EL2).
 * Called only on a VTL switch: a plain trap to EL2 leaves EL1 registers in
 * the hardware untouched. After a switch, every EL1 register VTL0 can read
 * holds VTL0's own value. */
#include "arm64/sysreg.h"
#include "hv.h"
#include "percpu.h"

/* Relaxed accessors for the context switch only. READ_SYSREG and
 * WRITE_SYSREG are volatile with a memory clobber, which forces one
 * load or store per register; here the compiler may reorder the reads
 * (nothing in between writes these registers) and move memory accesses
 * across the writes (nothing in between reads this memory), and the writes come in pairs from
 * adjacent fields, so it can pair
 * them into LDP/STP. The writes themselves stay volatile and in order; they
 * take effect for EL1 at the ERET that enters the guest (a context
 * synchronization event). */
#define SAVE_SYSREG(name) ({                          \
    uint64_t v_;                                      \
    __asm__("mrs %0, " #name : "=r"(v_));             \
    v_; })
#define LOAD_SYSREG2(name1, name2, v1, v2)                      \
    __asm__ volatile("msr " #name1 ", %0\n\tmsr " #name2 ", %1" \
                     : : "r"((uint64_t)(v1)), "r"((uint64_t)(v2)))

/* Pointer-authentication keys exist only with FEAT_PAuth. */
static bool has_pauth(void)
{
    return hv_features & OVBS_FEAT_PAUTH;
}

/* TPIDR2_EL0 (S3_3_C13_C0_5) exists only with SME. */
static bool has_tpidr2(void)
{
    return hv_features & OVBS_FEAT_TPIDR2;
}

/* Never inlined: the relaxed reads above must not be moved across the
 * loads of the other VTL's values (one call each, in vtl_switch). */
__attribute__((noinline)) void sysregs_save(struct el1_sysregs *r)
{
    r->sctlr = SAVE_SYSREG(sctlr_el1);
    r->ttbr0 = SAVE_SYSREG(ttbr0_el1);
    r->ttbr1 = SAVE_SYSREG(ttbr1_el1);
    r->tcr = SAVE_SYSREG(tcr_el1);
    r->mair = SAVE_SYSREG(mair_el1);
    r->amair = SAVE_SYSREG(amair_el1);
    r->vbar = SAVE_SYSREG(vbar_el1);
    r->contextidr = SAVE_SYSREG(contextidr_el1);
    r->tpidr_el0 = SAVE_SYSREG(tpidr_el0);
    r->tpidrro_el0 = SAVE_SYSREG(tpidrro_el0);
    r->tpidr_el1 = SAVE_SYSREG(tpidr_el1);
    r->sp_el0 = SAVE_SYSREG(sp_el0);
    r->sp_el1 = SAVE_SYSREG(sp_el1);
    r->elr = SAVE_SYSREG(elr_el1);
    r->spsr = SAVE_SYSREG(spsr_el1);
    r->esr = SAVE_SYSREG(esr_el1);
    r->far = SAVE_SYSREG(far_el1);
    r->par = SAVE_SYSREG(par_el1);
    r->afsr0 = SAVE_SYSREG(afsr0_el1);
    r->afsr1 = SAVE_SYSREG(afsr1_el1);
    r->cpacr = SAVE_SYSREG(cpacr_el1);
    r->csselr = SAVE_SYSREG(csselr_el1);
    r->mdscr = SAVE_SYSREG(mdscr_el1);
    r->cntkctl = SAVE_SYSREG(cntkctl_el1);
    r->cntv_ctl = SAVE_SYSREG(cntv_ctl_el0);
    r->cntv_cval = SAVE_SYSREG(cntv_cval_el0);
    if (has_pauth()) {
        r->apia_lo = SAVE_SYSREG(S3_0_C2_C1_0);
        r->apia_hi = SAVE_SYSREG(S3_0_C2_C1_1);
        r->apib_lo = SAVE_SYSREG(S3_0_C2_C1_2);
        r->apib_hi = SAVE_SYSREG(S3_0_C2_C1_3);
        r->apda_lo = SAVE_SYSREG(S3_0_C2_C2_0);
        r->apda_hi = SAVE_SYSREG(S3_0_C2_C2_1);
        r->apdb_lo = SAVE_SYSREG(S3_0_C2_C2_2);
        r->apdb_hi = SAVE_SYSREG(S3_0_C2_C2_3);
        r->apga_lo = SAVE_SYSREG(S3_0_C2_C3_0);
        r->apga_hi = SAVE_SYSREG(S3_0_C2_C3_1);
    }
    if (has_tpidr2())
        r->tpidr2_el0 = SAVE_SYSREG(S3_3_C13_C0_5);
}

__attribute__((noinline)) void sysregs_restore(const struct el1_sysregs *r)
{
    LOAD_SYSREG2(sctlr_el1, ttbr0_el1, r->sctlr, r->ttbr0);
    LOAD_SYSREG2(ttbr1_el1, tcr_el1, r->ttbr1, r->tcr);
    LOAD_SYSREG2(mair_el1, amair_el1, r->mair, r->amair);
    LOAD_SYSREG2(vbar_el1, contextidr_el1, r->vbar, r->contextidr);
    LOAD_SYSREG2(tpidr_el0, tpidrro_el0, r->tpidr_el0, r->tpidrro_el0);
    LOAD_SYSREG2(tpidr_el1, sp_el0, r->tpidr_el1, r->sp_el0);
    LOAD_SYSREG2(sp_el1, elr_el1, r->sp_el1, r->elr);
    LOAD_SYSREG2(spsr_el1, esr_el1, r->spsr, r->esr);
    LOAD_SYSREG2(far_el1, par_el1, r->far, r->par);
    LOAD_SYSREG2(afsr0_el1, afsr1_el1, r->afsr0, r->afsr1);
    LOAD_SYSREG2(cpacr_el1, csselr_el1, r->cpacr, r->csselr);
    LOAD_SYSREG2(mdscr_el1, cntkctl_el1, r->mdscr, r->cntkctl);
    LOAD_SYSREG2(cntv_cval_el0, cntv_ctl_el0, r->cntv_cval, r->cntv_ctl);
    if (has_pauth()) {
        LOAD_SYSREG2(S3_0_C2_C1_0, S3_0_C2_C1_1, r->apia_lo, r->apia_hi);
        LOAD_SYSREG2(S3_0_C2_C1_2, S3_0_C2_C1_3, r->apib_lo, r->apib_hi);
        LOAD_SYSREG2(S3_0_C2_C2_0, S3_0_C2_C2_1, r->apda_lo, r->apda_hi);
        LOAD_SYSREG2(S3_0_C2_C2_2, S3_0_C2_C2_3, r->apdb_lo, r->apdb_hi);
        LOAD_SYSREG2(S3_0_C2_C3_0, S3_0_C2_C3_1, r->apga_lo, r->apga_hi);
    }
    if (has_tpidr2())
        __asm__ volatile("msr S3_3_C13_C0_5, %0" : : "r"(r->tpidr2_el0));
}

/* The state a VTL's EL1 starts in: MMU and caches off (SCTLR_EL1 RES1
 * bits only), everything else zero. */
void sysregs_init(struct el1_sysregs *r)
{
    *r = (struct el1_sysregs){ 0 };
    r->sctlr = 0x30d00800ull;
}
