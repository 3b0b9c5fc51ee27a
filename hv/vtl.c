/* vtl.c: Virtual Trust Levels (EL2). Each VP has two register contexts and
 * two stage-2 views; this file owns the state machine that decides which one
 * runs (enum vtl1_state in percpu.h) and the Virtual Secure Mode hypercalls.
 *
 *   OFF --enable--> ENABLED --CPU_ON--> BOOTING --ready--> IDLE
 *   IDLE --VtlCall--> IN_CALL --VtlReturn--> IDLE
 *        --VTL0 breaks a protection--> IN_INTERCEPT --VtlReturn--> IDLE
 *        --VTL1's timer while VTL0 runs--> IN_INTERRUPT --VtlReturn--> IDLE
 *        --CPU_OFF--> ENABLED
 *   IN_CALL --interrupt for VTL0--> PREEMPTED --the same VtlCall--> IN_CALL
 *   PREEMPTED --VTL0 breaks a protection--> IN_NESTED_INTERCEPT
 *             --VtlReturn--> PREEMPTED (the same call, put back whole)
 *   (the table is vpstate.c; docs/smp.md draws it). Each VP's machine runs
 *   on its own CPU; other CPUs only touch a VP that is not running (CPU_ON,
 *   OVBS_ENABLE_VP_VTL), under that VP's lock.
 *
 * A switch saves everything of the outgoing VTL that its successor could read
 * (EL1 system registers, virtual GIC state, timer) and loads the incoming
 * VTL's; general registers were saved by the trap itself, and FP/SIMD
 * registers follow lazily (vtl_fp_access). */
#include <string.h>
#include "arm64/sysreg.h"
#include "events.h"
#include "gic.h"
#include "guestmem.h"
#include "smmu.h"
#include "hv.h"
#include "stage2.h"
#include "trap.h"
#include "vtl.h"

void sysregs_save(struct el1_sysregs *r);
void sysregs_restore(const struct el1_sysregs *r);
void sysregs_init(struct el1_sysregs *r);
extern _Noreturn void guest_first_entry(struct guest_regs *regs, uint64_t stack_top);
extern bool hv_bench_mode;

struct vp hv_vps[HV_MAX_CPUS];

/* vpstate.c's table as a [state][event] array, built once at boot, so a
 * step on the VtlCall fast path is one load. */
static int8_t next_state[VTL1_STATE_COUNT][VP_EVENT_COUNT];

void vtl_init_state_machine(void)
{
    for (unsigned s = 0; s < VTL1_STATE_COUNT; s++) {
        for (unsigned e = 0; e < VP_EVENT_COUNT; e++)
            next_state[s][e] = (int8_t)vp_next_state((enum vtl1_state)s, (enum vp_event)e);
    }
}

/* Take `event` on the VP's machine; false, and nothing changes, if the
 * table has no such step. */
static bool vp_step(struct vp *vp, enum vp_event event)
{
    int to = next_state[vp->vtl1][event];
    if (to < 0)
        return false;
    __atomic_store_n(&vp->vtl1, (enum vtl1_state)to, __ATOMIC_RELEASE);
    return true;
}


/* prot_lock guards VTL0's stage 2 (vtl0_stage2), the SMMU's tables, the
 * ownership map's VTL0 access bytes and the partition config below: one
 * protection change at a time, across all CPUs (docs/smp.md argues why a
 * change is global when the call returns). Lock order: prot_lock, then
 * the pool's lock (pool.c), then the SMMU's command-queue lock (smmu.c). */
struct spinlock prot_lock = SPINLOCK_INIT;
static bool protection_enabled;   /* prot_lock: VSM partition config, write-once */
static uint8_t default_mask = OVBS_ACC_RWX; /* prot_lock */

#define CNTV_CTL_ENABLE  (1ull << 0)
#define CNTV_CTL_IMASK   (1ull << 1)

static struct vp *current_vp(void)
{
    return this_cpu()->vp;
}

static void set_status(struct guest_regs *regs, int64_t status)
{
    regs->x[0] = (uint64_t)status;
}

/* The VTL that stops running may have a timer armed: CNTHP, the EL2
 * physical timer, watches its deadline (CNTVOFF_EL2 is 0, so virtual and
 * physical counts agree). */
static void arm_shadow_timer(const struct el1_sysregs *sleeping)
{
    if ((sleeping->cntv_ctl & (CNTV_CTL_ENABLE | CNTV_CTL_IMASK)) == CNTV_CTL_ENABLE) {
        WRITE_SYSREG(cnthp_cval_el2, sleeping->cntv_cval);
        WRITE_SYSREG(cnthp_ctl_el2, 1);
    } else {
        WRITE_SYSREG(cnthp_ctl_el2, 0);
    }
}

/* The PMU is VTL0's. While VTL1 runs, PMUSERENR_EL0 (one register for
 * both VTLs) is 0, so a trustlet's PMU access traps to the secure kernel
 * even where MDCR_EL2.TPM alone would not stop it (QEMU lets an EL0 read of
 * PMCCNTR_EL0 through when PMUSERENR_EL0.CR is set). And VTL0 must not
 * count VTL1's events: the PMU stops while VTL1 runs (PMCR_EL0.E clear),
 * except when benchmarking (hv.bench), where the counts are the point. */
static void pmu_on_switch(struct vp *vp, enum vtl to)
{
    if (to == VTL1) {
        vp->vtl0_pmuserenr = READ_SYSREG(pmuserenr_el0);
        WRITE_SYSREG(pmuserenr_el0, 0);
    } else {
        WRITE_SYSREG(pmuserenr_el0, vp->vtl0_pmuserenr);
    }
    if (hv_bench_mode)
        return;
    if (to == VTL1) {
        vp->vtl0_pmcr = READ_SYSREG(pmcr_el0);
        WRITE_SYSREG(pmcr_el0, vp->vtl0_pmcr & ~1ull);
    } else {
        WRITE_SYSREG(pmcr_el0, vp->vtl0_pmcr);
    }
}

/* FP/SIMD registers move lazily: they stay in the hardware until the other
 * VTL touches them. CPTR_EL2.TFP (bit 10) traps every FP/SIMD access at
 * EL0-EL2 while the registers hold the other VTL's values, so neither VTL
 * ever reads the other's. RES1 bits 13:12 and 9:0 as in entry.S. */
#define CPTR_EL2_TTA  (1ull << 20) /* trace registers trap: no cross-VTL tracing */
#define CPTR_EL2_BASE (0x33ffull | CPTR_EL2_TTA)
#define CPTR_EL2_TFP  (1ull << 10)

/* CPTR_EL2 without the ISB: vtl_switch synchronizes it with VTTBR_EL2. */
static void fp_trap_set(bool on)
{
    WRITE_SYSREG(cptr_el2, CPTR_EL2_BASE | (on ? CPTR_EL2_TFP : 0));
}

static void fp_trap(bool on)
{
    fp_trap_set(on);
    isb();
}

/* MDCR_EL2.TPM (bit 6): every PMU register access from EL0/EL1 traps to
 * EL2 (an undefined instruction for the guest). Set while VTL1 runs, so
 * neither the secure kernel nor a trustlet reads VTL0's counters or
 * PMUSERENR_EL0 (one register for both VTLs), nor leaves values there for
 * VTL0. CNTHCTL_EL2: EL1PCTEN (bit 0) lets EL1 read the physical counter,
 * EL1PCEN (bit 1) lets it use the EL1 physical timer (CNTP_*), which is
 * VTL0's alone: one timer for both VTLs would carry values between them. */
#define MDCR_EL2_TPM      (1ull << 6)
#define CNTHCTL_EL1PCTEN  (1ull << 0)
#define CNTHCTL_EL1PCEN   (1ull << 1)
#define HCR_EL2_VSE       (1ull << 8)

static void el2_controls_init(struct vp *vp)
{
    uint64_t mdcr = READ_SYSREG(mdcr_el2); /* loader.c's choice for VTL0 */
    vp->vtl[VTL0].el2 = (struct el2_controls){ mdcr, CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN };
    vp->vtl[VTL1].el2 = (struct el2_controls){ mdcr | MDCR_EL2_TPM, CNTHCTL_EL1PCTEN };
}

static void el2_controls_load(const struct el2_controls *c)
{
    WRITE_SYSREG(mdcr_el2, c->mdcr);
    WRITE_SYSREG(cnthctl_el2, c->cnthctl);
}

/* A pending virtual SError (HCR_EL2.VSE, raised in trap.c) belongs to the
 * VTL it was raised for: it leaves the hardware with that VTL and comes
 * back with it, and so does a virtual SError that VTL deferred with ESB
 * (VDISR_EL2, which EL1 reads as DISR_EL1). Only after the first virtual
 * SError on this VP: until then both are 0 for both VTLs. */
static void vserror_switch(struct vtl_ctx *out, const struct vtl_ctx *in)
{
    uint64_t hcr = READ_SYSREG(hcr_el2);
    out->vserror_pending = hcr & HCR_EL2_VSE;
    if (hv_features & OVBS_FEAT_RAS) {
        out->vdisr = READ_SYSREG(S3_4_C12_C1_1);
        WRITE_SYSREG(S3_4_C12_C1_1, in->vdisr);
    }
    WRITE_SYSREG(hcr_el2, in->vserror_pending ? hcr | HCR_EL2_VSE : hcr & ~HCR_EL2_VSE);
}

/* Make a virtual SError pending for the VTL that runs on `vp` (an SError
 * taken at EL2, trap.c). */
void vtl_raise_vserror(struct vp *vp)
{
    vp->vserror_used = true;
    WRITE_SYSREG(hcr_el2, READ_SYSREG(hcr_el2) | HCR_EL2_VSE);
}

/* hv.selftest=vserror: VTL0 starts with a virtual SError pending (masked
 * by its PSTATE.A until it unmasks it), so the tests can show that it never
 * reaches VTL1 (QEMU's virt machine has no way to cause a physical SError
 * on demand). hv.selftest=forge-vtl1-timer: VTL1 finds its timer's PPI
 * pending in its virtual interface on its next entry although its timer
 * never fired, what a hypervisor that failed to check the timer (gic.c)
 * would deliver: the secure kernel must ignore it (sk/irq.c). */
bool hv_selftest_vserror, hv_selftest_forge_vtl1_timer;

/* The running VTL touched FP/SIMD (EC 0x07): bring its registers in. */
void vtl_fp_access(struct vp *vp)
{
    fp_trap(false);
    if (vp->fp_owner != vp->active) {
        fpsimd_save(&vp->vtl[vp->fp_owner].fp);
        fpsimd_restore(&vp->vtl[vp->active].fp);
        vp->fp_owner = vp->active;
    }
}

void vtl_switch(struct vp *vp, enum vtl to)
{
    enum vtl from = vp->active;
    if (from == to)
        return;
    struct vtl_ctx *out = &vp->vtl[from], *in = &vp->vtl[to];
    sysregs_save(&out->sys);
    vgic_save(&out->gic);
    arm_shadow_timer(&out->sys);
    pmu_on_switch(vp, to);
    sysregs_restore(&in->sys);
    vgic_restore(&in->gic);
    el2_controls_load(&in->el2);
    if (vp->vserror_used)
        vserror_switch(out, in);
    /* FP/SIMD trap and stage 2 of the incoming VTL, with one ISB (the ERET
     * to the guest would synchronize them too; the ISB also covers the
     * hypervisor's own address translations for it, AT included). */
    fp_trap_set(vp->fp_owner != to);
    WRITE_SYSREG(vttbr_el2, in->s2->vttbr);
    isb();
    vp->active = to;
    this_cpu()->cur_regs = &in->regs;
}

/* VTL0 is about to run again: what came for it while VTL1 ran and found
 * no list register free is placed now (gic.c). One 64-bit load on the
 * VtlReturn path. */
static void vtl0_flush_waiting(struct vp *vp)
{
    if (__atomic_load_n((const uint64_t *)&vp->wait0, __ATOMIC_RELAXED))
        vgic_flush_waiting(vp);
}

/* ---- Entering and leaving VTL1 ----------------------------------------- */

/* The caller made the state machine's step into VTL1. */
static struct guest_regs *enter_vtl1(struct vp *vp, uint64_t reason)
{
    vtl_switch(vp, VTL1);
    struct guest_regs *r = &vp->vtl[VTL1].regs;
    r->x[0] = reason;
    return r;
}

/* VTL0's stack pointer as it is now in the hardware (VTL0 is running). */
static uint64_t vtl0_live_sp(const struct guest_regs *regs)
{
    return (regs->spsr & 0xf) == PSR_MODE_EL1h ? READ_SYSREG(sp_el1) : READ_SYSREG(sp_el0);
}

/* VTL0's stack pointer saved at the switch to VTL1 (VTL1 is running). */
static uint64_t vtl0_saved_sp(const struct vtl_ctx *c)
{
    return (c->regs.spsr & 0xf) == PSR_MODE_EL1h ? c->sys.sp_el1 : c->sys.sp_el0;
}

/* A VtlCall refused (no secure kernel, or it is busy): counted, and the
 * status says why. regs->elr is past the HVC. */
static void refuse_vtl_call(struct guest_regs *regs, int64_t status)
{
    hv_event(OVBS_EV_VTL_CALL_REFUSED, regs->elr - 4, (uint64_t)status);
    set_status(regs, status);
}

/* A VtlCall while VTL1's work is preempted (only a secure call can be:
 * vtl_preempt_for_vtl0). It is the resumption if it is the very call that
 * was preempted: same PC and stack pointer, the hypervisor having rewound
 * VTL0 onto its HVC. Anything else (a second secure call from VTL0's
 * interrupt handler, or another thread) would receive the results of work
 * it never asked for: refused, and VTL1 keeps its place. */
static void resume_preempted(struct vp *vp, struct guest_regs *regs)
{
    bool same_call = regs->elr - 4 == vp->preempted_call_pc &&
                     vtl0_live_sp(regs) == vp->preempted_call_sp;
    if (!same_call) {
        if (hv_log_allowed(LOG_SRC_VTL))
            hv_log("VtlCall at PC 0x%lx refused: VTL1 is busy with preempted work on VP %u",
                   regs->elr - 4, vp->index);
        refuse_vtl_call(regs, HV_STATUS_INVALID_PARTITION_STATE);
        return;
    }
    vp_step(vp, VPE_RESUME);
    if (vp->assist)
        vp->assist->preempted_ticks += READ_SYSREG(cntpct_el0) - vp->preempted_at;
    vtl_switch(vp, VTL1);
}

void call_vtl_call(struct guest_regs *regs)
{
    struct vp *vp = current_vp();
    if (!vp_step(vp, VPE_CALL)) {
        if (vp->vtl1 == VTL1_PREEMPTED)
            resume_preempted(vp, regs);
        else
            refuse_vtl_call(regs, vp->vtl1 == VTL1_OFF ? HV_STATUS_INVALID_VTL_STATE
                                                       : HV_STATUS_INVALID_PARTITION_STATE);
        return;
    }
    struct guest_regs *r = enter_vtl1(vp, VTL_ENTRY_CALL);
    for (unsigned i = 1; i <= 6; i++)
        r->x[i] = regs->x[i]; /* regs: VTL0's saved registers, still intact */
    r->x[7] = vp->index;
}

/* ---- Nested intercepts ----------------------------------------------------
 * VTL0 runs while VTL1 is IDLE or PREEMPTED. Preempted, VTL1's context is the
 * secure call's, stopped at any instruction (at EL0 in a trustlet, too), and
 * VTL0 decides when it resumes: an intercept then must not wait for that,
 * nor be dropped (a validated kernel patch would fail at random), nor run on
 * the call's registers. So VTL1 is entered at a second entry point of its
 * own choosing, on a stack of its own, and the call's context waits in
 * vp->nested. The call holds no VTL1 lock (it could not have been preempted
 * inside a critical section, assist.no_preempt), so the nested entry takes
 * any it needs. */

#define CPACR_EL1_FPEN  (3ull << 20)      /* 0: FP/SIMD traps at EL0 and EL1 */

/* The nested entry and stack VTL1 registered on this VP, read once from its
 * assist page (what is checked is what is used): both in VTL1's own
 * memory, the entry 4-byte and the stack 16-byte aligned. */
struct nested_entry {
    uint64_t pc, sp;
};

static bool nested_entry_of(const struct vp *vp, struct nested_entry *e)
{
    const volatile struct ovbs_vp_assist *a = vp->assist;
    if (!a)
        return false;
    e->pc = a->nested_entry;
    e->sp = a->nested_sp;
    return e->pc && e->sp && !(e->pc & 3) && !(e->sp & 15) &&
           owner_of(&hv_owners, e->pc) == OWNER_VTL1 &&
           owner_of(&hv_owners, e->sp - 16) == OWNER_VTL1;
}

/* Before the switch into VTL1: the call's context aside, the nested entry's
 * in its place. FP/SIMD traps to VTL1's EL1, because the registers may hold
 * the call's values (a trustlet's, or BearSSL's), which the nested entry
 * must neither read nor change. */
static void nested_enter(struct vp *vp, const struct nested_entry *e)
{
    struct vtl_ctx *v1 = &vp->vtl[VTL1];
    vp->nested.regs = v1->regs;
    vp->nested.sys = v1->sys;
    v1->regs.elr = e->pc;
    v1->regs.spsr = PSR_MODE_EL1h | PSR_DAIF;
    v1->sys.sp_el1 = e->sp;
    v1->sys.cpacr &= ~CPACR_EL1_FPEN;
}

/* After the nested entry's VtlReturn, VTL0 switched in: the call's context
 * back as it was. VTL1's virtual timer kept running meanwhile and stays as
 * it is now; its interrupt state (vgic) was never put aside. */
static void nested_leave(struct vp *vp)
{
    struct vtl_ctx *v1 = &vp->vtl[VTL1];
    uint64_t cntv_ctl = v1->sys.cntv_ctl, cntv_cval = v1->sys.cntv_cval;
    v1->regs = vp->nested.regs;
    v1->sys = vp->nested.sys;
    v1->sys.cntv_ctl = cntv_ctl;
    v1->sys.cntv_cval = cntv_cval;
}

/* VTL1's answer (vsm.h, INTERCEPT_ACTION_*). EMULATED means VTL1 did the
 * data access itself (a validated jump-label write): VTL0 goes on after
 * the instruction, which a data abort with ISV reports as 4 bytes long
 * (ESR_EL2.IL). For an instruction abort, an answer out of range, or a
 * syndrome without IL, the default holds: an external abort. */
static void finish_intercept(struct vp *vp, uint64_t action)
{
    struct guest_regs *v0 = &vp->vtl[VTL0].regs;
    const struct ovbs_intercept_message *m = &vp->intercept;
    bool instr = m->access == INTERCEPT_ACCESS_EXECUTE;
    switch (action) {
    case INTERCEPT_ACTION_RETRY:
        return;
    case INTERCEPT_ACTION_EMULATED:
        if (!instr && (m->syndrome & ESR_IL)) {
            v0->elr += 4;
            return;
        }
        break;
    case INTERCEPT_ACTION_INJECT_PERMISSION:
        inject_permission_fault(v0, (uint32_t)m->syndrome, m->gva, instr);
        return;
    case INTERCEPT_ACTION_INJECT_ABORT:
        break;
    default:
        if (hv_log_allowed(LOG_SRC_VTL))
            hv_log("VP %u: VTL1 answered an intercept with unknown action %lu: abort", vp->index,
                   action);
        break;
    }
    inject_abort(v0, (uint32_t)m->syndrome, m->gva, instr);
}

/* The end of an intercept, out of line: a secure call's return is the
 * fast path (`make bench`, vtl_call_null_roundtrip), and the intercept
 * cases inline would cost it a saved register and two compares. */
static __attribute__((noinline)) void return_from_intercept(struct vp *vp, enum vtl1_state was,
                                                            uint64_t action)
{
    if (was == VTL1_IN_INTERCEPT) {
        finish_intercept(vp, action);
    } else if (was == VTL1_IN_NESTED_INTERCEPT) {
        nested_leave(vp); /* VTL1's registers are the call's again */
        finish_intercept(vp, action);
    }
}

void call_vtl_return(struct guest_regs *regs)
{
    struct vp *vp = current_vp();
    enum vtl1_state was = vp->vtl1;
    if (!vp_step(vp, VPE_RETURN)) {
        if (hv_log_allowed(LOG_SRC_VTL))
            hv_log("VtlReturn on VP %u with nothing to return from (%s) refused", vp->index,
                   vtl1_state_name(was));
        set_status(regs, HV_STATUS_INVALID_PARTITION_STATE);
        return;
    }
    vtl_switch(vp, VTL0);
    vtl0_flush_waiting(vp);
    /* regs is VTL1's saved register set: it stays valid after the switch. */
    if (was == VTL1_IN_CALL) {
        struct guest_regs *v0 = &vp->vtl[VTL0].regs;
        for (unsigned i = 0; i < 4; i++)
            v0->x[i] = regs->x[i + 1];
        return;
    }
    return_from_intercept(vp, was, regs->x[1]);
}

/* The step BOOTING -> IDLE, under the VP's lock (AFFINITY_INFO reads it). */
static bool vp_ready(struct vp *vp)
{
    spin_lock(&vp->lock);
    bool ok = vp_step(vp, VPE_READY);
    spin_unlock(&vp->lock);
    return ok;
}

void call_vtl1_boot_done(struct guest_regs *regs)
{
    struct vp *vp = current_vp();
    if (vp->index != 0 || !vp_ready(vp)) {
        set_status(regs, HV_STATUS_INVALID_PARTITION_STATE);
        return;
    }
    set_status(regs, HV_STATUS_SUCCESS);
    owner_end_boot(&hv_owners);
    hv_log("VP 0: secure kernel finished booting: boot-only calls closed, starting VTL0");
    vtl_switch(vp, VTL0);
    vtl0_flush_waiting(vp);
    if (hv_selftest_vserror) {
        hv_log("selftest: VTL0 starts with a virtual SError pending");
        vtl_raise_vserror(vp);
    }
    if (hv_selftest_forge_vtl1_timer) {
        hv_log("selftest: VTL1's timer PPI pending for it, its timer not fired");
        vgic_inject(vp, VTL1, hv_platform.timer_virt_intid, false);
    }
}

static unsigned access_of(uint32_t esr, bool instr)
{
    if (instr)
        return INTERCEPT_ACCESS_EXECUTE;
    return (esr & ISS_DABT_WNR) ? INTERCEPT_ACCESS_WRITE : INTERCEPT_ACCESS_READ;
}

bool vtl_intercept(struct vp *vp, uint32_t esr, uint64_t ipa, uint64_t far, bool instr)
{
    bool nested = vp->vtl1 == VTL1_PREEMPTED;
    struct nested_entry entry;
    if (nested && !nested_entry_of(vp, &entry)) {
        if (hv_log_allowed(LOG_SRC_INTERCEPTS))
            hv_log("VP %u: VTL0 access to GPA 0x%lx while its call is preempted and VTL1 has no "
                   "nested entry: default action", vp->index, ipa);
        return false;
    }
    if (!vp_step(vp, VPE_INTERCEPT))
        return false; /* VTL1 is busy: default action */
    vp->intercepts++;
    const struct guest_regs *v0 = &vp->vtl[VTL0].regs;
    struct ovbs_intercept_message *m = &vp->intercept;
    m->vp_index = vp->index;
    m->access = access_of(esr, instr);
    m->from_el = ((v0->spsr >> 2) & 3) ? 1 : 0;
    m->gva_valid = !(esr & ISS_DABT_FNV) || instr;
    m->pc = v0->elr;
    m->gva = far;
    m->gpa = ipa;
    m->syndrome = esr;
    hv_event(OVBS_EV_INTERCEPT, ipa, esr);
    if (hv_log_allowed(LOG_SRC_INTERCEPTS))
        hv_log("VP %u: VTL0 EL%u %s of GPA 0x%lx (PC 0x%lx) breaks VTL1's protection (%x) -> intercept to VTL1%s",
               vp->index, m->from_el, m->access == INTERCEPT_ACCESS_WRITE ? "write" :
               m->access == INTERCEPT_ACCESS_READ ? "read" : "execute", ipa, m->pc,
               owner_vtl0_access(&hv_owners, ipa), nested ? " (nested: its call is preempted)" : "");
    if (nested)
        nested_enter(vp, &entry);
    struct guest_regs *r = enter_vtl1(vp, VTL_ENTRY_INTERCEPT);
    r->x[1] = m->vp_index | ((uint64_t)m->access << 32);
    r->x[2] = m->pc;
    r->x[3] = m->gva;
    r->x[4] = m->gpa;
    r->x[5] = m->syndrome;
    r->x[6] = m->from_el | ((uint64_t)m->gva_valid << 1);
    return true;
}

/* The call VTL1 handles stops; VTL0 runs with its PC back on the VtlCall. */
static void preempt_call(struct vp *vp)
{
    struct vtl_ctx *v0 = &vp->vtl[VTL0];
    vp_step(vp, VPE_PREEMPT);
    vp->preemptions++;
    vp->preempted_at = READ_SYSREG(cntpct_el0);
    v0->regs.elr -= 4; /* back onto the VtlCall, to resume it */
    vp->preempted_call_pc = v0->regs.elr;
    vp->preempted_call_sp = vtl0_saved_sp(v0);
    vtl_switch(vp, VTL0);
    vtl0_flush_waiting(vp);
}

/* Only a secure call can run long (a trustlet, a spin): VTL0's interrupt
 * stops it at once, unless VTL1 holds a lock other VPs may wait for (its
 * assist's no_preempt): then the interrupt waits in VTL0's list registers
 * until VTL1 leaves the critical section and yields (OVBS_VTL1_YIELD).
 * VTL1's decision about an intercept and its own interrupt are short and
 * bounded, and while VTL1 boots VTL0 has not started: then VTL0's
 * interrupt waits too. */
void vtl_preempt_for_vtl0(struct vp *vp)
{
    if (vp->vtl1 != VTL1_IN_CALL)
        return;
    if (vp->assist && vp->assist->no_preempt) {
        vp->assist->preempt_deferred = 1;
        vp->deferrals++;
        return;
    }
    preempt_call(vp);
}

/* OVBS_VTL1_YIELD: VTL1 left the critical section an interrupt for VTL0
 * waited on. When VTL0 resumes the call, this hypercall returns 0. */
void call_vtl1_yield(struct guest_regs *regs)
{
    struct vp *vp = current_vp();
    set_status(regs, HV_STATUS_SUCCESS);
    if (vp->vtl1 == VTL1_IN_CALL) {
        vp->yields++;
        preempt_call(vp);
    }
}

void vtl_shadow_timer_fired(struct vp *vp)
{
    if (vp->active == VTL1) {
        vtl_preempt_for_vtl0(vp);
        return;
    }
    /* VTL1's own timer expired while VTL0 ran: VTL1 is entered for it.
     * Busy or preempted, VTL1 takes it when it next runs instead. */
    if (vp_step(vp, VPE_INTERRUPT))
        enter_vtl1(vp, VTL_ENTRY_INTERRUPT);
}

/* ---- Protections --------------------------------------------------------- */

#define MAX_PROTECT_PAGES (1ull << 20) /* 4 GiB per call */

/* Cannot happen once the prepare step passed: stop rather than let the
 * CPU's and the devices' views differ. */
static _Noreturn void commit_failed(uint64_t gpa, uint64_t size)
{
    hv_log("FATAL: a protection change failed after its check [0x%lx, 0x%lx)", gpa, gpa + size);
    hv_halt_failure();
}

/* Change VTL0's stage 2 (the CPU's view), the SMMU's tables (the devices'
 * view) and the ownership map together, so the views never disagree.
 * Prepare: both table updates can fail only for lack of pool pages, so the
 * worst case of both is checked first; if the pool cannot cover it,
 * nothing changes. Commit: then neither can fail. The SMMU's TLBs are
 * invalidated and synced inside smmu_set_vtl0_access, before the call
 * returns to VTL1. */
static int apply_vtl0_access_locked(uint64_t gpa, uint64_t size, uint8_t mask)
{
    int rc = owner_check(&hv_owners, gpa, size, OWNER_VTL0);
    if (rc)
        return HV_STATUS_INVALID_PARAMETER;
    uint64_t need = pt_update_max_pages(&vtl0_stage2.pt, gpa, gpa, size, false) +
                    smmu_update_max_pages(gpa, size, mask);
    if (pool_pages_free() < need)
        return HV_STATUS_INSUFFICIENT_MEMORY;
    if (stage2_map(&vtl0_stage2, gpa, size, mask) != PT_OK)
        commit_failed(gpa, size);
    if (smmu_set_vtl0_access(gpa, size, mask) != PT_OK)
        commit_failed(gpa, size);
    owner_set_vtl0_access(&hv_owners, gpa, size, mask);
    return HV_STATUS_SUCCESS;
}

static int apply_vtl0_access(uint64_t gpa, uint64_t size, uint8_t mask)
{
    spin_lock(&prot_lock);
    int st = protection_enabled ? apply_vtl0_access_locked(gpa, size, mask)
                                : HV_STATUS_INVALID_PARTITION_STATE;
    spin_unlock(&prot_lock);
    return st;
}

/* A translation fault VTL0 took on its own RAM: a protection change on
 * another CPU may have had the entry out for a moment (break-before-make
 * when a block is split). Once no change is in progress, the access is
 * retried if the page is mapped again. */
bool vtl_translation_fault_is_transient(uint64_t ipa)
{
    uint64_t pa;
    unsigned prot;
    spin_lock(&prot_lock);
    bool mapped = pt_lookup(&vtl0_stage2.pt, ipa & ~(PAGE_SIZE - 1), &pa, &prot, NULL);
    spin_unlock(&prot_lock);
    return mapped;
}

void call_modify_vtl_protection_mask(struct guest_regs *regs)
{
    uint64_t target = regs->x[1], gpa = regs->x[2], pages = regs->x[3], mask = regs->x[4];
    int64_t st;
    if (target >= VTL1)
        st = target == VTL1 ? HV_STATUS_ACCESS_DENIED : HV_STATUS_INVALID_PARAMETER;
    else if (mask & ~(uint64_t)OVBS_ACC_RWX)
        st = HV_STATUS_INVALID_PARAMETER;
    else if (gpa & (PAGE_SIZE - 1))
        st = HV_STATUS_INVALID_ALIGNMENT;
    else if (pages == 0 || pages > MAX_PROTECT_PAGES || gpa + pages * PAGE_SIZE < gpa)
        st = HV_STATUS_INVALID_PARAMETER;
    else
        st = apply_vtl0_access(gpa, pages * PAGE_SIZE, (uint8_t)mask);
    set_status(regs, st);
}

/* Enabling VTL protection applies the default mask to all of VTL0's RAM. */
static int64_t set_partition_config_locked(uint64_t value)
{
    uint64_t known = VSM_CONFIG_ENABLE_PROTECTION | ((uint64_t)OVBS_ACC_RWX << VSM_CONFIG_MASK_SHIFT);
    if (value & ~known)
        return HV_STATUS_INVALID_PARAMETER;
    uint8_t mask = (value >> VSM_CONFIG_MASK_SHIFT) & OVBS_ACC_RWX;
    if (protection_enabled) {
        bool same = (value & VSM_CONFIG_ENABLE_PROTECTION) && mask == default_mask;
        return same ? HV_STATUS_SUCCESS : HV_STATUS_ACCESS_DENIED; /* write-once */
    }
    default_mask = mask;
    if (!(value & VSM_CONFIG_ENABLE_PROTECTION))
        return HV_STATUS_SUCCESS;
    struct own_run r;
    struct own_iter it;
    for (owner_iter_init(&it); owner_iter_next(&hv_owners, &it, &r);) {
        if (r.owner != OWNER_VTL0)
            continue;
        int rc = apply_vtl0_access_locked(r.base, r.size, mask);
        if (rc)
            return rc;
    }
    protection_enabled = true;
    hv_log("VTL protection enabled, default VTL0 mask %x", mask);
    return HV_STATUS_SUCCESS;
}

static int64_t set_partition_config(uint64_t value)
{
    spin_lock(&prot_lock);
    int64_t st = set_partition_config_locked(value);
    spin_unlock(&prot_lock);
    return st;
}

/* ---- VP registers -------------------------------------------------------- */

static uint64_t *vtl0_reg_slot(struct vp *vp, uint64_t reg)
{
    struct vtl_ctx *c = &vp->vtl[VTL0];
    if (reg <= 30)
        return &c->regs.x[reg];
    switch (reg) {
    case VP_REG_PC: return &c->regs.elr;
    case VP_REG_PSTATE: return &c->regs.spsr;
    case VP_REG_SP_EL0: return &c->sys.sp_el0;
    case VP_REG_SP_EL1: return &c->sys.sp_el1;
    case VP_REG_SCTLR_EL1: return &c->sys.sctlr;
    case VP_REG_TTBR0_EL1: return &c->sys.ttbr0;
    case VP_REG_TTBR1_EL1: return &c->sys.ttbr1;
    case VP_REG_TCR_EL1: return &c->sys.tcr;
    case VP_REG_MAIR_EL1: return &c->sys.mair;
    case VP_REG_VBAR_EL1: return &c->sys.vbar;
    case VP_REG_ELR_EL1: return &c->sys.elr;
    case VP_REG_SPSR_EL1: return &c->sys.spsr;
    case VP_REG_ESR_EL1: return &c->sys.esr;
    case VP_REG_FAR_EL1: return &c->sys.far;
    case VP_REG_CONTEXTIDR_EL1: return &c->sys.contextidr;
    case VP_REG_TPIDR_EL1: return &c->sys.tpidr_el1;
    default: return NULL;
    }
}

/* Checks shared by Get and Set: the VP exists and the target VTL is below
 * the caller's (VTL1 may only name VTL0). */
static int64_t check_vp_target(struct vp *vp, uint64_t index, uint64_t vtl)
{
    if (index != vp->index)
        return HV_STATUS_INVALID_VP_INDEX;
    if (vtl != VTL0)
        return vtl == VTL1 ? HV_STATUS_ACCESS_DENIED : HV_STATUS_INVALID_PARAMETER;
    return HV_STATUS_SUCCESS;
}

void call_get_vp_register(struct guest_regs *regs)
{
    struct vp *vp = current_vp();
    int64_t st = check_vp_target(vp, regs->x[1], regs->x[2]);
    uint64_t reg = regs->x[3], value = 0;
    if (st == HV_STATUS_SUCCESS) {
        uint64_t *slot = vtl0_reg_slot(vp, reg);
        if (slot)
            value = *slot;
        else if (reg == VP_REG_VSM_PARTITION_CONFIG)
            value = (__atomic_load_n(&protection_enabled, __ATOMIC_ACQUIRE)
                         ? VSM_CONFIG_ENABLE_PROTECTION : 0) |
                    ((uint64_t)default_mask << VSM_CONFIG_MASK_SHIFT);
        else if (reg == VP_REG_VSM_VP_STATUS)
            value = vp->active | (3u << 4);
        else
            st = HV_STATUS_INVALID_PARAMETER;
    }
    set_status(regs, st);
    regs->x[1] = st == HV_STATUS_SUCCESS ? value : 0;
}

/* PSTATE for VTL0 must describe AArch64 EL0t, EL1t or EL1h and nothing
 * illegal: the hypervisor would otherwise ERET somewhere it never should. */
static bool valid_vtl0_pstate(uint64_t v)
{
    uint64_t mode = v & 0x1f;
    return (mode == PSR_MODE_EL0t || mode == 0x4 || mode == PSR_MODE_EL1h) &&
           !(v & PSR_IL) && !(v >> 32);
}

void call_set_vp_register(struct guest_regs *regs)
{
    struct vp *vp = current_vp();
    uint64_t reg = regs->x[3], value = regs->x[4];
    int64_t st = check_vp_target(vp, regs->x[1], regs->x[2]);
    if (st == HV_STATUS_SUCCESS) {
        uint64_t *slot = vtl0_reg_slot(vp, reg);
        if (reg == VP_REG_VSM_PARTITION_CONFIG)
            st = set_partition_config(value);
        else if (!slot || reg == VP_REG_VSM_VP_STATUS)
            st = HV_STATUS_INVALID_PARAMETER;
        else if (reg == VP_REG_PSTATE && !valid_vtl0_pstate(value))
            st = HV_STATUS_INVALID_PARAMETER;
        else if (reg == VP_REG_PC && (value & 3))
            st = HV_STATUS_INVALID_ALIGNMENT;
        else
            *slot = value;
    }
    set_status(regs, st);
}

/* ---- VTL1 services: log, intercept message, fatal ----------------------- */

void call_vtl1_log(struct guest_regs *regs)
{
    char buf[200];
    uint64_t len = regs->x[2];
    if (len >= sizeof(buf)) {
        set_status(regs, HV_STATUS_INVALID_PARAMETER);
        return;
    }
    int st = guest_read(VTL1, regs->x[1], buf, len);
    if (st == HV_STATUS_SUCCESS) {
        for (uint64_t i = 0; i < len; i++) {
            if (buf[i] < 0x20 || buf[i] > 0x7e)
                buf[i] = '?';
        }
        buf[len] = '\0';
        if (hv_log_allowed(LOG_SRC_SK))
            hv_log_raw("[sk] ", buf);
    }
    set_status(regs, st);
}

void call_get_intercept(struct guest_regs *regs)
{
    struct vp *vp = current_vp();
    if (regs->x[2] < sizeof(vp->intercept)) {
        set_status(regs, HV_STATUS_INVALID_PARAMETER);
        return;
    }
    set_status(regs, guest_write(VTL1, regs->x[1], &vp->intercept, sizeof(vp->intercept)));
}

void call_vtl1_fatal(struct guest_regs *regs)
{
    hv_log("FATAL: the secure kernel stopped (code 0x%lx, PC 0x%lx): VTL0 cannot be protected",
           regs->x[1], regs->elr);
    hv_halt_failure();
}

/* ---- Virtual processors: enabling VTL1, starting, stopping ------------- */

/* OVBS_VTL1_SET_VP_ASSIST: x1 = this VP's struct ovbs_vp_assist, 64-byte
 * aligned (so it lies in one page) in VTL1 memory. */
void call_set_vp_assist(struct guest_regs *regs)
{
    uint64_t a = regs->x[1];
    int64_t st = HV_STATUS_SUCCESS;
    if (a & 63)
        st = HV_STATUS_INVALID_ALIGNMENT;
    else if (owner_of(&hv_owners, a) != OWNER_VTL1)
        st = HV_STATUS_INVALID_PARAMETER;
    else
        current_vp()->assist = (struct ovbs_vp_assist *)(uintptr_t)a;
    set_status(regs, st);
}

/* OVBS_ENABLE_VP_VTL (TLFS HvCallEnableVpVtl): VTL1 enables itself on a VP
 * VTL0 may then start, or records its own VP's restart entry while it
 * boots. Entry and stack must lie in VTL1 memory. */
void call_enable_vp_vtl(struct guest_regs *regs)
{
    uint64_t index = regs->x[1], pc = regs->x[2], sp = regs->x[3];
    struct vp *me = current_vp();
    int64_t st = HV_STATUS_SUCCESS;
    if (index >= hv_platform.ncpus)
        st = HV_STATUS_INVALID_VP_INDEX;
    else if ((pc & 3) || (sp & 15))
        st = HV_STATUS_INVALID_ALIGNMENT;
    else if (owner_of(&hv_owners, pc) != OWNER_VTL1 || sp < 16 ||
             owner_of(&hv_owners, sp - 16) != OWNER_VTL1)
        st = HV_STATUS_INVALID_PARAMETER;
    if (st != HV_STATUS_SUCCESS) {
        set_status(regs, st);
        return;
    }
    struct vp *t = &hv_vps[index];
    spin_lock(&t->lock);
    /* Another VP only while VTL1 is not enabled there; the caller's own
     * only while it boots (its restart entry). */
    bool allowed = t == me ? t->vtl1 == VTL1_BOOTING : t->vtl1 == VTL1_OFF;
    if (allowed && vp_step(t, VPE_ENABLE)) {
        t->vtl1_entry_pc = pc;
        t->vtl1_entry_sp = sp;
        t->vtl1_entry_arg = regs->x[4];
    } else {
        st = HV_STATUS_INVALID_VP_STATE;
    }
    spin_unlock(&t->lock);
    if (st == HV_STATUS_SUCCESS && t != me)
        hv_log("VP %lu: VTL1 enabled by VP %u (entry 0x%lx)", index, me->index, pc);
    set_status(regs, st);
}

static void init_ctx(struct vtl_ctx *c, struct stage2 *s2, uint64_t entry, uint64_t x0,
                     uint64_t x1)
{
    memset(c, 0, sizeof(*c));
    sysregs_init(&c->sys);
    vgic_init_state(&c->gic);
    c->s2 = s2;
    c->regs.x[0] = x0;
    c->regs.x[1] = x1;
    c->regs.elr = entry;
    c->regs.spsr = PSR_MODE_EL1h | PSR_DAIF;
}

/* A VP's contexts as VTL1 finds them on every start: both VTLs fresh, VTL1
 * runs first. Everything the VP's previous life left is gone. */
static void reset_vp(struct vp *vp)
{
    vp->active = VTL1;
    vp->fp_owner = VTL1;
    vp->assist = NULL;
    vp->vserror_used = false;
    vp->wait0 = (struct vgic_waiting){ 0 };
    el2_controls_init(vp);
    vgic_vtimer_init(&vp->vtimer0);
}

/* The VP's first instructions on this CPU: load VTL1's context and go. */
static _Noreturn void enter_vp(struct hv_cpu *cpu, struct vp *vp)
{
    cpu->vp = vp;
    cpu->cur_regs = &vp->vtl[VTL1].regs;
    sysregs_restore(&vp->vtl[VTL1].sys);
    fpsimd_restore(&vp->vtl[VTL1].fp);
    vgic_restore(&vp->vtl[VTL1].gic);
    el2_controls_load(&vp->vtl[VTL1].el2);
    fp_trap(false);
    WRITE_SYSREG(cnthp_ctl_el2, 0);
    stage2_activate(&vtl1_stage2);
    guest_first_entry(cpu->cur_regs, cpu->stack_top);
}

/* Boot: every VP exists with VTL1 off; the boot VP starts in the secure
 * kernel (x0 = VTL1 base, x1 = size, x2 = number of VPs). */
_Noreturn void vtl_start(uint64_t sk_entry, uint64_t vtl1_base, uint64_t vtl1_size,
                         uint64_t vtl0_entry, uint64_t vtl0_fdt)
{
    struct hv_cpu *cpu = this_cpu();
    vtl_init_state_machine();
    for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
        hv_vps[i].index = i;
        hv_vps[i].vtl1 = VTL1_OFF;
    }
    struct vp *vp = &hv_vps[cpu->index];
    init_ctx(&vp->vtl[VTL0], &vtl0_stage2, vtl0_entry, vtl0_fdt, 0);
    init_ctx(&vp->vtl[VTL1], &vtl1_stage2, sk_entry, vtl1_base, vtl1_size);
    vp->vtl[VTL1].regs.x[2] = hv_platform.ncpus;
    reset_vp(vp);
    vp_step(vp, VPE_BOOT);
    hv_log("VP %u: entering the secure kernel (VTL1, EL1) at 0x%lx", vp->index, sk_entry);
    enter_vp(cpu, vp);
}

/* A CPU that PSCI CPU_ON started (main.c): its VP was put in BOOTING by
 * psci_cpu_on, with VTL0's entry point; VTL1 runs first, at the entry it
 * registered. */
_Noreturn void vtl_start_vp(struct hv_cpu *cpu)
{
    struct vp *vp = &hv_vps[cpu->index];
    spin_lock(&vp->lock);
    uint64_t pc = vp->vtl1_entry_pc, sp = vp->vtl1_entry_sp, arg = vp->vtl1_entry_arg;
    uint64_t start_pc = vp->start_pc, start_ctx = vp->start_ctx;
    spin_unlock(&vp->lock);
    init_ctx(&vp->vtl[VTL0], &vtl0_stage2, start_pc, start_ctx, 0);
    init_ctx(&vp->vtl[VTL1], &vtl1_stage2, pc, VTL_ENTRY_VP_START, arg);
    vp->vtl[VTL1].regs.x[2] = vp->index;
    vp->vtl[VTL1].sys.sp_el1 = sp;
    reset_vp(vp);
    hv_log("VP %u: CPU up (MPIDR 0x%lx), entering VTL1 at 0x%lx", vp->index, cpu->mpidr, pc);
    enter_vp(cpu, vp);
}

/* OVBS_VTL1_VP_READY: VTL1 set up a VP it was started on: VTL0 starts
 * there, at its CPU_ON entry point with its context ID in x0. */
void call_vtl1_vp_ready(struct guest_regs *regs)
{
    struct vp *vp = current_vp();
    if (vp->index == 0 && !hv_owners.boot_done) {
        set_status(regs, HV_STATUS_INVALID_PARTITION_STATE); /* VP 0 boots with BOOT_DONE */
        return;
    }
    if (!vp_ready(vp)) {
        set_status(regs, HV_STATUS_INVALID_PARTITION_STATE);
        return;
    }
    set_status(regs, HV_STATUS_SUCCESS);
    hv_log("VP %u: VTL1 ready, starting VTL0 at 0x%lx", vp->index, vp->vtl[VTL0].regs.elr);
    vtl_switch(vp, VTL0);
    vtl0_flush_waiting(vp);
}

/* PSCI CPU_ON's side of the machine (psci.c): ENABLED -> BOOTING with
 * VTL0's entry. Returns the VP's state before, for psci.c's answer. */
enum vtl1_state vtl_vp_power_on(unsigned index, uint64_t entry, uint64_t ctx)
{
    struct vp *t = &hv_vps[index];
    spin_lock(&t->lock);
    enum vtl1_state was = t->vtl1;
    if (vp_step(t, VPE_CPU_ON)) {
        t->start_pc = entry;
        t->start_ctx = ctx;
    }
    spin_unlock(&t->lock);
    return was;
}

void vtl_vp_power_on_failed(unsigned index)
{
    struct vp *t = &hv_vps[index];
    spin_lock(&t->lock);
    vp_step(t, VPE_START_FAILED);
    spin_unlock(&t->lock);
}

/* OVBS_VTL1_VP_DECLINE's side of the machine (psci.c): BOOTING -> ENABLED
 * for a VP VTL1 was started on and will not let VTL0 run on (VP 0 while
 * the machine boots is not such a VP). */
bool vtl_vp_decline(struct vp *vp)
{
    if (vp->index == 0 && !hv_owners.boot_done)
        return false;
    spin_lock(&vp->lock);
    bool ok = vp_step(vp, VPE_START_FAILED);
    spin_unlock(&vp->lock);
    return ok;
}

/* PSCI CPU_OFF from VTL0 of the running VP: only while VTL1 is idle there
 * (nothing preempted, no call in progress). VTL1's per-VP context is
 * dropped; it starts again at its registered entry on the next CPU_ON. */
bool vtl_vp_power_off(struct vp *vp)
{
    spin_lock(&vp->lock);
    bool ok = vp_step(vp, VPE_CPU_OFF);
    spin_unlock(&vp->lock);
    return ok;
}

/* OVBS_HV_VP_STATS: counters another CPU may be changing: each read is
 * one aligned load, so a value is always one the counter had. */
void call_vp_stats(struct guest_regs *regs)
{
    uint64_t index = regs->x[1];
    if (index >= hv_platform.ncpus) {
        set_status(regs, HV_STATUS_INVALID_VP_INDEX);
        regs->x[1] = regs->x[2] = regs->x[3] = 0;
        return;
    }
    const struct vp *vp = &hv_vps[index];
    set_status(regs, HV_STATUS_SUCCESS);
    regs->x[1] = (uint64_t)vtl_vp_state((unsigned)index) |
                 (__atomic_load_n(&vp->intercepts, __ATOMIC_RELAXED) << 32);
    regs->x[2] = __atomic_load_n(&vp->preemptions, __ATOMIC_RELAXED) |
                 (__atomic_load_n(&vp->yields, __ATOMIC_RELAXED) << 32);
    regs->x[3] = __atomic_load_n(&vp->deferrals, __ATOMIC_RELAXED);
}

enum vtl1_state vtl_vp_state(unsigned index)
{
    return __atomic_load_n(&hv_vps[index].vtl1, __ATOMIC_ACQUIRE);
}
