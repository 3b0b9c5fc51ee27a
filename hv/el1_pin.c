/* el1_pin.c: pinning VTL0's EL1 translation controls after the kernel lock
 * (EL2). VTL1 asks once (OVBS_VTL1_PIN_EL1, at the end of SC_KERNEL_LOCK);
 * from then on HCR_EL2.TVM traps every EL1 write of SCTLR_EL1, TTBR0_EL1,
 * TTBR1_EL1, TCR_EL1, ESR_EL1, FAR_EL1, AFSR0/1_EL1, MAIR_EL1, AMAIR_EL1
 * and CONTEXTIDR_EL1 (Arm ARM D13.2.48: TVM covers exactly that set) on
 * every CPU, and the hypervisor performs each write here after checking
 * VTL0's against the values pinned:
 *   SCTLR_EL1  M (bit 0, the stage-1 MMU) and WXN (bit 19) stay as pinned
 *              (M set: the MMU cannot be turned off);
 *   TCR_EL1    the fields that say how the kernel's half is translated:
 *              T1SZ, A1, EPD1, TG1, TBI1 (Linux sets others per CPU as it
 *              enables features: HA, HD, E0PD1, TCMA1; and T0SZ for the
 *              idmap);
 *   TTBR1_EL1  BADDR (bits 47:1): the kernel's page directory is the one
 *              of the lock (swapper_pg_dir), or one of at most two more
 *              VTL1 names, which it checked are locked read-only pages of
 *              the kernel image: Linux's reserved_pg_dir (empty, set for a
 *              moment whenever TTBR1 is replaced) and, with KPTI, its
 *              trampoline's tramp_pg_dir.
 * A refused write is not performed, counted and logged, and VTL0 goes on
 * after the MSR. VTL1's own writes are performed as asked: HCR_EL2 is one
 * register per CPU and is not switched between VTLs, which keeps the VTL
 * switch as it was (only a locked machine pays for the trap, in both VTLs).
 * docs/kernel-integrity.md, "EL1 registers", has the cost.
 *
 * Concurrency: the pinned values are written once, before pin_active is
 * set (release); every CPU reads pin_active (acquire) before them. A CPU
 * sets TVM in its own HCR_EL2: the pinning one at once, the others when
 * the hypervisor's SGI reaches them, and each CPU that starts later in
 * el2_controls_setup. */
#include "arm64/sysreg.h"
#include "events.h"
#include "gic.h"
#include "hv.h"
#include "openvbs/vsm.h"
#include "percpu.h"
#include "trap.h"
#include "vtl.h"

#define HCR_EL2_TVM    (1ull << 26)
#define SCTLR_M        (1ull << 0)
#define SCTLR_WXN      (1ull << 19)
#define TCR_PINNED     ((0x3full << 16) | (1ull << 22) | (1ull << 23) | (3ull << 30) | (1ull << 38))
#define TTBR_BADDR     0x0000fffffffffffeul

/* ISS of a trapped MSR (EC 0x18) without Rt and the direction. */
#define SYSREG_ISS(op0, op1, crn, crm, op2) \
    (((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1))
#define ISS_SYSREG_ENC ((3u << 20) | (7u << 17) | (7u << 14) | (0xfu << 10) | (0xfu << 1))

enum tvm_reg { R_SCTLR, R_TTBR0, R_TTBR1, R_TCR, R_AFSR0, R_AFSR1, R_ESR, R_FAR, R_MAIR,
               R_AMAIR, R_CONTEXTIDR, R_COUNT };

static const uint32_t tvm_iss[R_COUNT] = {
    [R_SCTLR] = SYSREG_ISS(3u, 0u, 1u, 0u, 0u),   [R_TTBR0] = SYSREG_ISS(3u, 0u, 2u, 0u, 0u),
    [R_TTBR1] = SYSREG_ISS(3u, 0u, 2u, 0u, 1u),   [R_TCR] = SYSREG_ISS(3u, 0u, 2u, 0u, 2u),
    [R_AFSR0] = SYSREG_ISS(3u, 0u, 5u, 1u, 0u),   [R_AFSR1] = SYSREG_ISS(3u, 0u, 5u, 1u, 1u),
    [R_ESR] = SYSREG_ISS(3u, 0u, 5u, 2u, 0u),     [R_FAR] = SYSREG_ISS(3u, 0u, 6u, 0u, 0u),
    [R_MAIR] = SYSREG_ISS(3u, 0u, 10u, 2u, 0u),   [R_AMAIR] = SYSREG_ISS(3u, 0u, 10u, 3u, 0u),
    [R_CONTEXTIDR] = SYSREG_ISS(3u, 0u, 13u, 0u, 1u),
};

static const char *const tvm_name[R_COUNT] = {
    "SCTLR_EL1", "TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "AFSR0_EL1", "AFSR1_EL1",
    "ESR_EL1", "FAR_EL1", "MAIR_EL1", "AMAIR_EL1", "CONTEXTIDR_EL1",
};

static uint32_t pin_active;      /* atomic: set once */
static uint64_t pin_sctlr;       /* SCTLR_EL1 & (M | WXN) at the pin */
static uint64_t pin_tcr;         /* TCR_EL1 & TCR_PINNED at the pin */
static uint64_t pin_ttbr1[3];    /* the TTBR1_EL1 bases allowed (0: none) */
static uint64_t refused_writes;  /* atomic */

/* This CPU traps the writes if the machine is pinned. */
void el1_pin_cpu_init(void)
{
    if (__atomic_load_n(&pin_active, __ATOMIC_ACQUIRE))
        WRITE_SYSREG(hcr_el2, READ_SYSREG(hcr_el2) | HCR_EL2_TVM);
}

static int tvm_reg_of(uint32_t esr)
{
    for (int r = 0; r < R_COUNT; r++) {
        if ((esr & ISS_SYSREG_ENC) == tvm_iss[r])
            return r;
    }
    return -1;
}

static void write_el1(enum tvm_reg r, uint64_t v)
{
    switch (r) {
    case R_SCTLR: WRITE_SYSREG(sctlr_el1, v); break;
    case R_TTBR0: WRITE_SYSREG(ttbr0_el1, v); break;
    case R_TTBR1: WRITE_SYSREG(ttbr1_el1, v); break;
    case R_TCR: WRITE_SYSREG(tcr_el1, v); break;
    case R_AFSR0: WRITE_SYSREG(afsr0_el1, v); break;
    case R_AFSR1: WRITE_SYSREG(afsr1_el1, v); break;
    case R_ESR: WRITE_SYSREG(esr_el1, v); break;
    case R_FAR: WRITE_SYSREG(far_el1, v); break;
    case R_MAIR: WRITE_SYSREG(mair_el1, v); break;
    case R_AMAIR: WRITE_SYSREG(amair_el1, v); break;
    case R_CONTEXTIDR: WRITE_SYSREG(contextidr_el1, v); break;
    default: break;
    }
}

/* Whether VTL0 may write v to r once pinned. The pins hold while VTL0's
 * stage-1 MMU is on (its SCTLR_EL1.M, live in the CPU while VTL0 traps):
 * a CPU that starts (CPU_ON, only into locked text) runs Linux's own boot
 * code with the MMU off, which sets these registers up before turning it
 * on, to the pinned values. */
static bool vtl0_write_allowed(enum tvm_reg r, uint64_t v)
{
    if (!(READ_SYSREG(sctlr_el1) & SCTLR_M))
        return true;
    switch (r) {
    case R_SCTLR: return (v & (SCTLR_M | SCTLR_WXN)) == pin_sctlr;
    case R_TCR: return (v & TCR_PINNED) == pin_tcr;
    case R_TTBR1:
        for (unsigned i = 0; i < 3; i++) {
            if (pin_ttbr1[i] && (v & TTBR_BADDR) == pin_ttbr1[i])
                return true;
        }
        return false;
    default: return true;
    }
}

/* A trapped MSR of one of TVM's registers: false for anything else. */
bool el1_pin_trap(struct vp *vp, struct guest_regs *regs, uint32_t esr)
{
    /* Unpinned, nothing traps for us: leave at once, since every trapped
     * MSR comes here first (an IPI's ICC_SGI1R_EL1 write among them). */
    if (!__atomic_load_n(&pin_active, __ATOMIC_RELAXED))
        return false;
    if (esr & 1)
        return false; /* TVM traps writes only: a read is not ours */
    int r = tvm_reg_of(esr);
    if (r < 0)
        return false;
    unsigned rt = (esr >> 5) & 31;
    uint64_t v = rt == 31 ? 0 : regs->x[rt];
    regs->elr += 4;
    if (vp->active == VTL0 && !vtl0_write_allowed((enum tvm_reg)r, v)) {
        __atomic_fetch_add(&refused_writes, 1, __ATOMIC_RELAXED);
        hv_event(OVBS_EV_TRAP_REFUSED, esr, regs->elr - 4);
        if (hv_log_allowed(LOG_SRC_TRAPS))
            hv_log("VP %u: VTL0 write of 0x%lx to %s at PC 0x%lx refused: pinned since the kernel "
                   "lock", vp->index, v, tvm_name[r], regs->elr - 4);
        return true;
    }
    /* No ISB: the ERET back to the guest is a context synchronization
     * event, after which the write governs the guest's instructions. */
    write_el1((enum tvm_reg)r, v);
    return true;
}

/* OVBS_VTL1_PIN_EL1: x1 = flags (0), x2 and x3 = two more TTBR1_EL1 bases
 * to allow (0: none; page-aligned). Pins VTL0's values of this VP as they
 * are now (VTL1 calls it from VTL0's secure call, so they are in VTL0's
 * saved context). Once only: ACCESS_DENIED after. */
void call_vtl1_pin_el1(struct guest_regs *regs)
{
    struct vp *vp = this_cpu()->vp;
    uint64_t flags = regs->x[1], extra0 = regs->x[2], extra1 = regs->x[3];
    if (flags || ((extra0 | extra1) & (0xfffull | ~TTBR_BADDR))) {
        regs->x[0] = HV_STATUS_INVALID_PARAMETER;
        return;
    }
    if (__atomic_load_n(&pin_active, __ATOMIC_ACQUIRE)) {
        regs->x[0] = HV_STATUS_ACCESS_DENIED;
        return;
    }
    const struct el1_sysregs *s = &vp->vtl[VTL0].sys;
    pin_sctlr = s->sctlr & (SCTLR_M | SCTLR_WXN);
    pin_tcr = s->tcr & TCR_PINNED;
    pin_ttbr1[0] = s->ttbr1 & TTBR_BADDR;
    pin_ttbr1[1] = extra0;
    pin_ttbr1[2] = extra1;
    __atomic_store_n(&pin_active, 1, __ATOMIC_RELEASE);
    el1_pin_cpu_init();
    gic_kick_all_others();
    hv_log("VP %u: VTL0's EL1 registers pinned: SCTLR_EL1 M/WXN 0x%lx, TCR_EL1 0x%lx (T1SZ A1 EPD1 "
           "TG1 TBI1), TTBR1_EL1 base 0x%lx (or 0x%lx, 0x%lx)", vp->index, pin_sctlr, pin_tcr,
           pin_ttbr1[0], pin_ttbr1[1], pin_ttbr1[2]);
    regs->x[0] = HV_STATUS_SUCCESS;
}

uint64_t el1_pin_refused(void)
{
    return __atomic_load_n(&refused_writes, __ATOMIC_RELAXED);
}
