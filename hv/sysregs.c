/* sysregs.c: save and restore one VTL's EL1 system-register context (EL2).
 * Called only on a VTL switch: a plain trap to EL2 leaves EL1 registers in
 * the hardware untouched. After a switch, every EL1 register VTL0 can read
 * holds VTL0's own value. */
#include "arm64/sysreg.h"
#include "hv.h"
#include "percpu.h"

/* Pointer-authentication keys exist only with FEAT_PAuth. */
static bool has_pauth(void)
{
    return hv_features & OVBS_FEAT_PAUTH;
}

void sysregs_save(struct el1_sysregs *r)
{
    r->sctlr = READ_SYSREG(sctlr_el1);
    r->ttbr0 = READ_SYSREG(ttbr0_el1);
    r->ttbr1 = READ_SYSREG(ttbr1_el1);
    r->tcr = READ_SYSREG(tcr_el1);
    r->mair = READ_SYSREG(mair_el1);
    r->amair = READ_SYSREG(amair_el1);
    r->vbar = READ_SYSREG(vbar_el1);
    r->contextidr = READ_SYSREG(contextidr_el1);
    r->tpidr_el0 = READ_SYSREG(tpidr_el0);
    r->tpidrro_el0 = READ_SYSREG(tpidrro_el0);
    r->tpidr_el1 = READ_SYSREG(tpidr_el1);
    r->sp_el0 = READ_SYSREG(sp_el0);
    r->sp_el1 = READ_SYSREG(sp_el1);
    r->elr = READ_SYSREG(elr_el1);
    r->spsr = READ_SYSREG(spsr_el1);
    r->esr = READ_SYSREG(esr_el1);
    r->far = READ_SYSREG(far_el1);
    r->par = READ_SYSREG(par_el1);
    r->afsr0 = READ_SYSREG(afsr0_el1);
    r->afsr1 = READ_SYSREG(afsr1_el1);
    r->cpacr = READ_SYSREG(cpacr_el1);
    r->csselr = READ_SYSREG(csselr_el1);
    r->mdscr = READ_SYSREG(mdscr_el1);
    r->cntkctl = READ_SYSREG(cntkctl_el1);
    r->cntv_ctl = READ_SYSREG(cntv_ctl_el0);
    r->cntv_cval = READ_SYSREG(cntv_cval_el0);
    if (has_pauth()) {
        r->apia_lo = READ_SYSREG(S3_0_C2_C1_0);
        r->apia_hi = READ_SYSREG(S3_0_C2_C1_1);
        r->apib_lo = READ_SYSREG(S3_0_C2_C1_2);
        r->apib_hi = READ_SYSREG(S3_0_C2_C1_3);
        r->apda_lo = READ_SYSREG(S3_0_C2_C2_0);
        r->apda_hi = READ_SYSREG(S3_0_C2_C2_1);
        r->apdb_lo = READ_SYSREG(S3_0_C2_C2_2);
        r->apdb_hi = READ_SYSREG(S3_0_C2_C2_3);
        r->apga_lo = READ_SYSREG(S3_0_C2_C3_0);
        r->apga_hi = READ_SYSREG(S3_0_C2_C3_1);
    }
}

void sysregs_restore(const struct el1_sysregs *r)
{
    WRITE_SYSREG(sctlr_el1, r->sctlr);
    WRITE_SYSREG(ttbr0_el1, r->ttbr0);
    WRITE_SYSREG(ttbr1_el1, r->ttbr1);
    WRITE_SYSREG(tcr_el1, r->tcr);
    WRITE_SYSREG(mair_el1, r->mair);
    WRITE_SYSREG(amair_el1, r->amair);
    WRITE_SYSREG(vbar_el1, r->vbar);
    WRITE_SYSREG(contextidr_el1, r->contextidr);
    WRITE_SYSREG(tpidr_el0, r->tpidr_el0);
    WRITE_SYSREG(tpidrro_el0, r->tpidrro_el0);
    WRITE_SYSREG(tpidr_el1, r->tpidr_el1);
    WRITE_SYSREG(sp_el0, r->sp_el0);
    WRITE_SYSREG(sp_el1, r->sp_el1);
    WRITE_SYSREG(elr_el1, r->elr);
    WRITE_SYSREG(spsr_el1, r->spsr);
    WRITE_SYSREG(esr_el1, r->esr);
    WRITE_SYSREG(far_el1, r->far);
    WRITE_SYSREG(par_el1, r->par);
    WRITE_SYSREG(afsr0_el1, r->afsr0);
    WRITE_SYSREG(afsr1_el1, r->afsr1);
    WRITE_SYSREG(cpacr_el1, r->cpacr);
    WRITE_SYSREG(csselr_el1, r->csselr);
    WRITE_SYSREG(mdscr_el1, r->mdscr);
    WRITE_SYSREG(cntkctl_el1, r->cntkctl);
    WRITE_SYSREG(cntv_cval_el0, r->cntv_cval);
    WRITE_SYSREG(cntv_ctl_el0, r->cntv_ctl);
    if (has_pauth()) {
        WRITE_SYSREG(S3_0_C2_C1_0, r->apia_lo);
        WRITE_SYSREG(S3_0_C2_C1_1, r->apia_hi);
        WRITE_SYSREG(S3_0_C2_C1_2, r->apib_lo);
        WRITE_SYSREG(S3_0_C2_C1_3, r->apib_hi);
        WRITE_SYSREG(S3_0_C2_C2_0, r->apda_lo);
        WRITE_SYSREG(S3_0_C2_C2_1, r->apda_hi);
        WRITE_SYSREG(S3_0_C2_C2_2, r->apdb_lo);
        WRITE_SYSREG(S3_0_C2_C2_3, r->apdb_hi);
        WRITE_SYSREG(S3_0_C2_C3_0, r->apga_lo);
        WRITE_SYSREG(S3_0_C2_C3_1, r->apga_hi);
    }
}

/* The state a VTL's EL1 starts in: MMU and caches off (SCTLR_EL1 RES1
 * bits only), everything else zero. */
void sysregs_init(struct el1_sysregs *r)
{
    *r = (struct el1_sysregs){ 0 };
    r->sctlr = 0x30d00800ull;
}
