/* idregs.c: the ID registers VTL0 sees (EL2). HCR_EL2.TID3 traps every EL1
 * read of the feature ID space (Op0 3, Op1 0, CRn 0, CRm 1-7: ID_AA64*_EL1
 * and the AArch32 ID_* and MVFR*) with EC 0x18. VTL1 gets the hardware's
 * values; VTL0 gets them with every feature hidden whose state a VTL switch
 * does not keep (docs/linux.md lists each field and why), and with every
 * field this file does not know read as 0: an unknown feature is hidden. */
#include "arm64/sysreg.h"
#include "hv.h"
#include "percpu.h"
#include "trap.h"

#define ID_REGS 56 /* CRm 1..7 x Op2 0..7 */

/* The raw value of ID register (CRm, Op2) = index CRm * 8 + Op2 - 8. MRS
 * takes the register as part of the instruction, hence one line each;
 * unallocated encodings in this space read as zero (Arm ARM D18.3.1). */
static uint64_t read_id(unsigned crm_op2)
{
    switch (crm_op2) {
    case 8: return READ_SYSREG(S3_0_C0_C1_0);
    case 9: return READ_SYSREG(S3_0_C0_C1_1);
    case 10: return READ_SYSREG(S3_0_C0_C1_2);
    case 11: return READ_SYSREG(S3_0_C0_C1_3);
    case 12: return READ_SYSREG(S3_0_C0_C1_4);
    case 13: return READ_SYSREG(S3_0_C0_C1_5);
    case 14: return READ_SYSREG(S3_0_C0_C1_6);
    case 15: return READ_SYSREG(S3_0_C0_C1_7);
    case 16: return READ_SYSREG(S3_0_C0_C2_0);
    case 17: return READ_SYSREG(S3_0_C0_C2_1);
    case 18: return READ_SYSREG(S3_0_C0_C2_2);
    case 19: return READ_SYSREG(S3_0_C0_C2_3);
    case 20: return READ_SYSREG(S3_0_C0_C2_4);
    case 21: return READ_SYSREG(S3_0_C0_C2_5);
    case 22: return READ_SYSREG(S3_0_C0_C2_6);
    case 23: return READ_SYSREG(S3_0_C0_C2_7);
    case 24: return READ_SYSREG(S3_0_C0_C3_0);
    case 25: return READ_SYSREG(S3_0_C0_C3_1);
    case 26: return READ_SYSREG(S3_0_C0_C3_2);
    case 27: return READ_SYSREG(S3_0_C0_C3_3);
    case 28: return READ_SYSREG(S3_0_C0_C3_4);
    case 29: return READ_SYSREG(S3_0_C0_C3_5);
    case 30: return READ_SYSREG(S3_0_C0_C3_6);
    case 31: return READ_SYSREG(S3_0_C0_C3_7);
    case 32: return READ_SYSREG(S3_0_C0_C4_0);
    case 33: return READ_SYSREG(S3_0_C0_C4_1);
    case 34: return READ_SYSREG(S3_0_C0_C4_2);
    case 35: return READ_SYSREG(S3_0_C0_C4_3);
    case 36: return READ_SYSREG(S3_0_C0_C4_4);
    case 37: return READ_SYSREG(S3_0_C0_C4_5);
    case 38: return READ_SYSREG(S3_0_C0_C4_6);
    case 39: return READ_SYSREG(S3_0_C0_C4_7);
    case 40: return READ_SYSREG(S3_0_C0_C5_0);
    case 41: return READ_SYSREG(S3_0_C0_C5_1);
    case 42: return READ_SYSREG(S3_0_C0_C5_2);
    case 43: return READ_SYSREG(S3_0_C0_C5_3);
    case 44: return READ_SYSREG(S3_0_C0_C5_4);
    case 45: return READ_SYSREG(S3_0_C0_C5_5);
    case 46: return READ_SYSREG(S3_0_C0_C5_6);
    case 47: return READ_SYSREG(S3_0_C0_C5_7);
    case 48: return READ_SYSREG(S3_0_C0_C6_0);
    case 49: return READ_SYSREG(S3_0_C0_C6_1);
    case 50: return READ_SYSREG(S3_0_C0_C6_2);
    case 51: return READ_SYSREG(S3_0_C0_C6_3);
    case 52: return READ_SYSREG(S3_0_C0_C6_4);
    case 53: return READ_SYSREG(S3_0_C0_C6_5);
    case 54: return READ_SYSREG(S3_0_C0_C6_6);
    case 55: return READ_SYSREG(S3_0_C0_C6_7);
    case 56: return READ_SYSREG(S3_0_C0_C7_0);
    case 57: return READ_SYSREG(S3_0_C0_C7_1);
    case 58: return READ_SYSREG(S3_0_C0_C7_2);
    case 59: return READ_SYSREG(S3_0_C0_C7_3);
    case 60: return READ_SYSREG(S3_0_C0_C7_4);
    case 61: return READ_SYSREG(S3_0_C0_C7_5);
    case 62: return READ_SYSREG(S3_0_C0_C7_6);
    case 63: return READ_SYSREG(S3_0_C0_C7_7);
    default: return 0;
    }
}

/* A field of 4 bits at `lsb`. */
#define F(lsb) (0xfull << (lsb))

/* What VTL0 may see of each register: the fields passed through as the
 * hardware has them. Registers not listed read as 0 (ID_AA64PFR2,
 * ID_AA64ZFR0 (SVE), ID_AA64SMFR0 (SME), ID_AA64DFR1, ID_AA64AFR0/1,
 * ID_AA64ISAR3, ID_AA64MMFR3/4, and every unallocated encoding). */
struct id_view {
    uint8_t crm, op2;
    uint64_t keep;
    uint64_t set; /* fields forced to a value after `keep` */
};

static const struct id_view views[] = {
    /* AArch32 (EL0 may run AArch32): kept, except the trace fields of
     * ID_DFR0 (CopTrc 15:12, MMapTrc 19:16, TraceFilt 31:28) and the AMU of
     * ID_PFR0 (23:20). */
    { 1, 0, ~F(20), 0 },                         /* ID_PFR0_EL1 */
    { 1, 1, ~0ull, 0 },                          /* ID_PFR1_EL1 */
    { 1, 2, ~(F(12) | F(16) | F(28)), 0 },       /* ID_DFR0_EL1 */
    { 1, 4, ~0ull, 0 }, { 1, 5, ~0ull, 0 },      /* ID_MMFR0/1_EL1 */
    { 1, 6, ~0ull, 0 }, { 1, 7, ~0ull, 0 },      /* ID_MMFR2/3_EL1 */
    { 2, 0, ~0ull, 0 }, { 2, 1, ~0ull, 0 },      /* ID_ISAR0/1_EL1 */
    { 2, 2, ~0ull, 0 }, { 2, 3, ~0ull, 0 },      /* ID_ISAR2/3_EL1 */
    { 2, 4, ~0ull, 0 }, { 2, 5, ~0ull, 0 },      /* ID_ISAR4/5_EL1 */
    { 2, 6, ~0ull, 0 }, { 2, 7, ~0ull, 0 },      /* ID_MMFR4, ID_ISAR6 */
    { 3, 0, ~0ull, 0 }, { 3, 1, ~0ull, 0 },      /* MVFR0/1_EL1 */
    { 3, 2, ~0ull, 0 }, { 3, 4, ~0ull, 0 },      /* MVFR2, ID_PFR2 */
    { 3, 5, ~0ull, 0 }, { 3, 6, ~0ull, 0 },      /* ID_DFR1, ID_MMFR5 */
    /* ID_AA64PFR0_EL1: EL0-EL3, FP, AdvSIMD, GIC, RAS (31:0), DIT (51:48),
     * CSV2 (59:56), CSV3 (63:60). Hidden: SVE (35:32; ZCR_EL1 and the Z
     * registers are not switched and CPTR_EL2 traps them), SEL2 (39:36),
     * MPAM (43:40), AMU (47:44; its counters are one set for both VTLs),
     * RME (55:52). */
    { 4, 0, 0xffffffffull | F(48) | F(56) | F(60), 0 },
    /* ID_AA64PFR1_EL1: BT (3:0), SSBS (7:4), RAS_frac (15:12), CSV2_frac
     * (35:32): PSTATE bits, in SPSR. Hidden: MTE (11:8; GCR/RGSR/TFSR are
     * not switched), MPAM_frac, SME (27:24; SVCR/SMCR/ZA), RNDR_trap, NMI,
     * and everything newer. */
    { 4, 1, F(0) | F(4) | F(12) | F(32), 0 },
    /* ID_AA64DFR0_EL1: DebugVer (3:0), PMUVer (11:8; the PMU is switched
     * with the VTL), DoubleLock (39:36), MTPMU (51:48). The debug registers
     * read as zero and ignore writes (MDCR_EL2.TDA, trap.c), so BRPs and
     * WRPs (15:12, 23:20; count minus one) show the architectural minimum
     * of two each and CTX_CMPs (31:28) one. Hidden: trace (TraceVer 7:4,
     * TraceFilt 43:40, TraceBuffer 47:44), SPE (PMSVer 35:32), BRBE
     * (55:52). */
    { 5, 0, F(0) | F(8) | F(36) | F(48), (1ull << 12) | (1ull << 20) },
    /* ID_AA64ISAR0_EL1: all but TME (27:24; transactional state). */
    { 6, 0, ~F(24), 0 },
    /* ID_AA64ISAR1_EL1: all but LS64 (63:60; ACCDATA_EL1 is not switched). */
    { 6, 1, ~F(60), 0 },
    /* ID_AA64ISAR2_EL1: WFxT, RPRES, GPA3, APA3, MOPS, BC, PAC_frac,
     * CLRBHB (31:0). */
    { 6, 2, 0xffffffffull, 0 },
    /* ID_AA64MMFR0_EL1: all (granules, PARange, ASID bits, ...). */
    { 7, 0, ~0ull, 0 },
    /* ID_AA64MMFR1_EL1: 51:0 (HAFDBS, VMIDBits, VH, HPDS, PAN, XNX, ...)
     * but LO (19:16): the LORegion registers are not switched. */
    { 7, 1, ((1ull << 52) - 1) & ~F(16), 0 },
    /* ID_AA64MMFR2_EL1: all but NV (27:24). */
    { 7, 2, ~F(24), 0 },
};

/* VTL0's view of register `idx`, per CPU: computed on that CPU when it
 * starts (a heterogeneous system has different values per CPU, and Linux
 * reads and reconciles them per CPU itself). Written only by its CPU
 * before VTL0 runs there. */
static uint64_t vtl0_view[HV_MAX_CPUS][ID_REGS];

static uint64_t sanitize(unsigned crm, unsigned op2, uint64_t raw)
{
    for (unsigned i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
        if (views[i].crm == crm && views[i].op2 == op2)
            return (raw & views[i].keep) | views[i].set;
    }
    return 0;
}

void idregs_cpu_init(unsigned cpu)
{
    for (unsigned i = 0; i < ID_REGS; i++)
        vtl0_view[cpu][i] = sanitize(1 + i / 8, i % 8, read_id(i + 8));
}

static uint64_t idregs_vtl0_value(unsigned cpu, unsigned crm, unsigned op2)
{
    if (cpu >= HV_MAX_CPUS || crm < 1 || crm > 7 || op2 > 7)
        return 0;
    return vtl0_view[cpu][(crm - 1) * 8 + op2];
}

/* A trapped MSR/MRS (EC 0x18) of the feature ID space. ISS: Op0 [21:20],
 * Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0]
 * (1: MRS). These registers are read-only: a write is UNDEFINED and is not
 * trapped by TID3, so only reads arrive here. False if it is not one. */
bool idregs_access(struct vp *vp, struct guest_regs *regs, uint32_t esr)
{
    unsigned op0 = (esr >> 20) & 3, op2 = (esr >> 17) & 7, op1 = (esr >> 14) & 7;
    unsigned crn = (esr >> 10) & 0xf, rt = (esr >> 5) & 31, crm = (esr >> 1) & 0xf;
    if (op0 != 3 || op1 != 0 || crn != 0 || crm < 1 || crm > 7 || !(esr & 1))
        return false;
    bool raw = vp->active == VTL1; /* the secure kernel sees the hardware */
    uint64_t v = raw ? read_id(crm * 8 + op2) : idregs_vtl0_value(this_cpu()->index, crm, op2);
    if (rt != 31)
        regs->x[rt] = v;
    regs->elr += 4;
    return true;
}
