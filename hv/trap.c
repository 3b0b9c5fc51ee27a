/* trap.c: what happens when a guest traps to EL2 (entry.S saves its
 * registers and calls hv_guest_exit). ESR_EL2 says why: HVC and SMC go to
 * the call dispatcher; stage-2 aborts are logged and reflected into the
 * guest as synchronous external aborts; anything else is refused as an
 * undefined instruction. The hypervisor itself never stops for a guest. */
#include "arm64/sysreg.h"
#include "devices.h"
#include "events.h"
#include "hv.h"
#include "gic.h"
#include "trap.h"
#include "spinlock.h"
#include "vtl.h"

/* Offsets in the EL1 vector table (VBAR_EL1) by where the exception came from. */
#define VEC_CUR_SP0   0x000
#define VEC_CUR_SPX   0x200
#define VEC_LOWER_64  0x400
#define VEC_LOWER_32  0x600

static bool from_el0(uint64_t spsr)
{
    return ((spsr >> 2) & 3) == 0;
}

static uint64_t vector_offset(uint64_t spsr)
{
    if (spsr & (1u << 4))
        return VEC_LOWER_32;     /* M[4]: AArch32 EL0 */
    if (from_el0(spsr))
        return VEC_LOWER_64;
    return (spsr & 1) ? VEC_CUR_SPX : VEC_CUR_SP0;
}

/* Emulate exception entry to EL1 (Arm ARM D1.10): save the return state in
 * ELR_EL1/SPSR_EL1, report ESR_EL1/FAR_EL1, and continue at the vector with
 * all of DAIF masked, in EL1h, with PAN set unless SCTLR_EL1.SPAN says not. */
void inject_sync_exception(struct guest_regs *regs, uint32_t esr, uint64_t far)
{
    WRITE_SYSREG(elr_el1, regs->elr);
    WRITE_SYSREG(spsr_el1, regs->spsr);
    WRITE_SYSREG(esr_el1, esr);
    WRITE_SYSREG(far_el1, far);
    uint64_t pstate = PSR_MODE_EL1h | PSR_DAIF;
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    if (!(sctlr & (1ull << 23)))  /* SPAN == 0: PAN is set on exception entry */
        pstate |= PSR_PAN;
    regs->elr = READ_SYSREG(vbar_el1) + vector_offset(regs->spsr);
    regs->spsr = pstate;
}

static void inject_undef(struct guest_regs *regs)
{
    inject_sync_exception(regs, (EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0);
}

static const char *access_name(uint32_t esr, bool instr)
{
    if (instr)
        return "execute";
    if (esr & ISS_DABT_CM)
        return "cache maintenance";
    return (esr & ISS_DABT_WNR) ? "write" : "read";
}

/* Reflect a stage-2 abort into the guest as an instruction or data abort
 * at EL1 with the given fault status code, keeping WnR/CM so the guest
 * sees what it tried. */
static void inject_abort_fsc(struct guest_regs *regs, uint32_t esr, uint64_t far, bool instr,
                             uint32_t fsc)
{
    bool el0 = from_el0(regs->spsr);
    unsigned ec;
    if (instr)
        ec = el0 ? EC_IABT_LOWER : EC_IABT_CUR;
    else
        ec = el0 ? EC_DABT_LOWER : EC_DABT_CUR;
    uint32_t iss = fsc | (instr ? 0 : (esr & (ISS_DABT_WNR | ISS_DABT_CM)));
    inject_sync_exception(regs, (ec << ESR_EC_SHIFT) | ESR_IL | iss, far);
}

/* A synchronous external abort (FSC 0x10): the default. A guest cannot
 * retry it into a loop, it takes it as a hardware error. */
void inject_abort(struct guest_regs *regs, uint32_t esr, uint64_t far, bool instr)
{
    inject_abort_fsc(regs, esr, far, instr, FSC_SYNC_EXT_ABORT);
}

/* A permission fault at level 3 (FSC 0b001111), as if the guest's own
 * stage 1 had refused: Linux then runs its exception fixup for an EL1
 * access to a kernel address (copy_to_kernel_nofault returns -EFAULT)
 * instead of treating it as a machine error. FAR is the guest's VA. */
void inject_permission_fault(struct guest_regs *regs, uint32_t esr, uint64_t far, bool instr)
{
    inject_abort_fsc(regs, esr, far, instr, FSC_PERMISSION_L3);
}

static bool is_permission_fault(uint32_t esr)
{
    return (ISS_FSC(esr) & 0x3c) == 0x0c;
}

/* FSC 0b0001LL: translation fault at level LL. */
static bool is_translation_fault(uint32_t esr)
{
    return (ISS_FSC(esr) & 0x3c) == 0x04;
}

/* A stage-2 fault: the running VTL touched an IPA it has no right to.
 * HPFAR_EL2.FIPA (bits 43:4) holds IPA[51:12]; the page offset comes from
 * FAR_EL2. If VTL0 broke a protection VTL1 set on VTL0's own RAM, VTL1
 * decides (an intercept); anything else is refused here. */
/* emul_lock serializes the emulated device pages (GIC distributor and
 * redistributors, PCIe configuration space): their read-modify-writes of
 * shared registers and the emulation's state (another VP's virtual-timer
 * copy, the PCIe verdicts) from several CPUs. Lock order: emul_lock, then
 * the log's and the events' locks. */
static struct spinlock emul_lock = SPINLOCK_INIT;

static bool emulate_mmio(struct guest_regs *regs, uint32_t esr, uint64_t ipa)
{
    spin_lock(&emul_lock);
    bool done = gicr_emulate(regs, esr, ipa) || gicd_emulate(regs, esr, ipa) ||
                pcie_emulate(regs, esr, ipa);
    spin_unlock(&emul_lock);
    return done;
}

static void stage2_abort(struct vp *vp, struct guest_regs *regs, uint32_t esr, bool instr)
{
    uint64_t far = READ_SYSREG(far_el2);
    uint64_t ipa = ((READ_SYSREG(hpfar_el2) >> 4) << 12) | (far & 0xfff);
    uint8_t owner = owner_of(&hv_owners, ipa);
    if (vp->active == VTL0 && !instr && owner == OWNER_MMIO_VTL0 && emulate_mmio(regs, esr, ipa))
        return;
    if (vp->active == VTL0 && owner == OWNER_VTL0 && is_permission_fault(esr) &&
        vtl_intercept(vp, esr, ipa, far, instr))
        return;
    if (vp->active == VTL0 && owner == OWNER_VTL0 && is_translation_fault(esr) &&
        vtl_translation_fault_is_transient(ipa))
        return; /* another CPU's change had the entry out for a moment: retry */
    hv_event(OVBS_EV_STAGE2_ABORT, ipa, esr);
    if (hv_log_allowed(LOG_SRC_ABORTS))
        hv_log("VP %u: VTL%u %s %s at IPA 0x%lx (VA 0x%lx, PC 0x%lx): %s, page owner %s -> abort injected",
               vp->index, vp->active, from_el0(regs->spsr) ? "EL0" : "EL1", access_name(esr, instr), ipa,
               far, regs->elr, fsc_name(ISS_FSC(esr)), owner_name(owner));
    inject_abort(regs, esr, far, instr);
}

/* A trapped MSR/MRS (EC 0x18). ISS: Op0 [21:20], Op2 [19:17], Op1 [16:14],
 * CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] (1: MRS, a read). Three
 * kinds trap: the feature ID registers (HCR_EL2.TID3, idregs.c), ICC_SGI1R
 * (below), and the debug registers (Op0 = 2: breakpoints, watchpoints,
 * MDSCR_EL1, the OS lock; MDCR_EL2.TDA and TDOSA), handled here: they read
 * as zero and ignore writes, so no guest can arm a breakpoint, watchpoint
 * or single step that would fire in the other VTL. Returns false for
 * anything else. */
static bool debug_reg_access(struct guest_regs *regs, uint32_t esr)
{
    unsigned op0 = (esr >> 20) & 3, rt = (esr >> 5) & 31;
    if (op0 != 2)
        return false;
    if ((esr & 1) && rt != 31)
        regs->x[rt] = 0;
    regs->elr += 4;
    return true;
}

/* ICC_SGI1R_EL1 as a trapped-MSR ISS: Op0 3, Op2 5, Op1 0, CRn 12, CRm 11,
 * a write (Direction 0). With HCR_EL2.IMO set every EL1 write of it traps
 * (GICv3): the hypervisor sends the SGI (gic.c). */
#define ISS_SYSREG_MASK   ((3u << 20) | (7u << 17) | (7u << 14) | (0xfu << 10) | (0xfu << 1) | 1u)
#define ISS_ICC_SGI1R_W   ((3u << 20) | (5u << 17) | (0u << 14) | (12u << 10) | (11u << 1))

static bool sgi_write(struct vp *vp, struct guest_regs *regs, uint32_t esr)
{
    if ((esr & ISS_SYSREG_MASK) != ISS_ICC_SGI1R_W || vp->active != VTL0)
        return false; /* VTL1 sends no SGIs: undefined, as every other trap */
    unsigned rt = (esr >> 5) & 31;
    gic_send_sgi(vp, rt == 31 ? 0 : regs->x[rt]);
    regs->elr += 4;
    return true;
}

static void unhandled(struct vp *vp, struct guest_regs *regs, uint32_t esr);

/* Out of line: kept in guest_sync, its chain of calls would make every
 * trap (the hypercall fast path too) save two more registers. */
static __attribute__((noinline)) void sysreg_trap(struct vp *vp, struct guest_regs *regs,
                                                  uint32_t esr)
{
    /* The pinned registers first: after the kernel lock they trap on every
     * context switch (el1_pin.c), the others rarely. */
    if (!el1_pin_trap(vp, regs, esr) && !debug_reg_access(regs, esr) &&
        !idregs_access(vp, regs, esr) && !sgi_write(vp, regs, esr))
        unhandled(vp, regs, esr);
}

static void unhandled(struct vp *vp, struct guest_regs *regs, uint32_t esr)
{
    hv_event(OVBS_EV_TRAP_REFUSED, esr, regs->elr);
    if (hv_log_allowed(LOG_SRC_TRAPS))
        hv_log("VP %u: VTL%u trap not handled: %s (ESR 0x%x, PC 0x%lx) -> undefined instruction injected",
               vp->index, vp->active, esr_class_name(ESR_EC(esr)), esr, regs->elr);
    inject_undef(regs);
}

/* hvc/smc #n with n != 0: no SMCCC call, so not dispatched and not logged,
 * but counted like any refused call. */
static void refuse_immediate(struct guest_regs *regs)
{
    hv_event(OVBS_EV_CALL_REFUSED, (uint32_t)regs->x[0], OVBS_REFUSED_IMMEDIATE);
    regs->x[0] = (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED;
}

static void guest_sync(struct vp *vp, struct guest_regs *regs)
{
    uint32_t esr = (uint32_t)READ_SYSREG(esr_el2);
    unsigned ec = ESR_EC(esr);
    switch (ec) {
    case EC_HVC64:
        /* ELR already points past the HVC. SMCCC uses only `hvc #0`. */
        if (esr & 0xffff)
            refuse_immediate(regs);
        else
            hvc_dispatch(regs, CONDUIT_HVC);
        break;
    case EC_SMC64:
        /* A trapped SMC reports the SMC itself in ELR: step over it. */
        regs->elr += 4;
        if (esr & 0xffff)
            refuse_immediate(regs);
        else
            hvc_dispatch(regs, CONDUIT_SMC);
        break;
    case EC_FP_SIMD:
        /* ELR is the FP instruction itself: it runs again with the right
         * registers loaded. */
        vtl_fp_access(vp);
        break;
    case EC_SYSREG:
        sysreg_trap(vp, regs, esr);
        break;
    case EC_DABT_LOWER:
        stage2_abort(vp, regs, esr, false);
        break;
    case EC_IABT_LOWER:
        stage2_abort(vp, regs, esr, true);
        break;
    default:
        unhandled(vp, regs, esr);
        break;
    }
}

struct guest_regs *hv_guest_exit(struct guest_regs *regs, unsigned kind)
{
    struct vp *vp = this_cpu()->vp;
    switch (kind) {
    case EXIT_SYNC:
        guest_sync(vp, regs);
        break;
    case EXIT_IRQ:
        gic_handle_irq(vp);
        break;
    case EXIT_SERROR:
        /* Reflect it into the VTL that ran: HCR_EL2.VSE makes a virtual
         * SError pending, for that VTL only (vtl.c moves it on a switch). */
        if (hv_log_allowed(LOG_SRC_TRAPS))
            hv_log("SError while VTL%u ran (ESR 0x%lx) -> virtual SError injected", vp->active,
                   READ_SYSREG(esr_el2));
        vtl_raise_vserror(vp);
        break;
    default:
        gic_handle_fiq(vp); /* FIQs are Group 0 interrupts */
        break;
    }
    return this_cpu()->cur_regs;
}
