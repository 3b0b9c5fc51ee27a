/* psci.c: PSCI 1.0 relay (EL2). Guests call PSCI through a trapped SMC (or
 * HVC); the hypervisor decides, and talks to firmware itself only with its
 * own arguments, so no CPU can ever be started at EL2 on an address a guest
 * chose: CPU_ON hands firmware the hypervisor's secondary entry
 * (entry.S), and VTL0's entry point is only where VTL0 starts on that VP
 * after VTL1 set it up (vtl.c). Power state per VP is vpstate.c's machine. */
#include "arm64/smccc.h"
#include "arm64/sysreg.h"
#include "events.h"
#include "hv.h"
#include "openvbs/hvcall.h"
#include "percpu.h"
#include "trap.h"
#include "vtl.h"

#define PSCI_VERSION_1_0 0x10000
#define AFFINITY_ON         0
#define AFFINITY_OFF        1
#define AFFINITY_ON_PENDING 2
#define PSCI_RET_ON_PENDING (-5)
#define PSCI_CPU_ON_RETRIES 1000

extern char hv_secondary_entry[];

static int cpu_by_mpidr(uint64_t mpidr)
{
    for (unsigned i = 0; i < hv_platform.ncpus; i++) {
        if ((hv_platform.cpu_mpidr[i] & 0xff00ffffffull) == (mpidr & 0xff00ffffffull))
            return (int)i;
    }
    return -1;
}

/* A denied request is an event (OVBS_REFUSED_PSCI); true if it may also be
 * logged (rate limit of the PSCI source). */
static bool refused(uint32_t fid)
{
    hv_event(OVBS_EV_CALL_REFUSED, fid, OVBS_REFUSED_PSCI);
    return hv_log_allowed(LOG_SRC_PSCI);
}

/* About 10 us of the system counter. Not WFE: with no event stream and
 * interrupts masked at EL2, nothing need ever wake it. */
static void pause_briefly(void)
{
    uint64_t freq = READ_SYSREG(cntfrq_el0);
    uint64_t until = READ_SYSREG(cntpct_el0) + (freq ? freq : 62500000) / 100000 + 1;
    while (READ_SYSREG(cntpct_el0) < until)
        __asm__ volatile("yield" ::: "memory");
}

/* Ask firmware to start CPU `cpu` at the hypervisor's own entry with its
 * index as context ID. A CPU that is still finishing its CPU_OFF (it set
 * its VP off a few instructions before its own firmware call) answers
 * ALREADY_ON for a moment: retried. */
static int64_t firmware_cpu_on(unsigned cpu)
{
    hv_cpu_prepare(cpu);
    int64_t rc = PSCI_RET_ALREADY_ON;
    for (unsigned i = 0; i < PSCI_CPU_ON_RETRIES && rc == PSCI_RET_ALREADY_ON; i++) {
        rc = (int64_t)smc(PSCI_CPU_ON_64, hv_platform.cpu_mpidr[cpu],
                          (uint64_t)(uintptr_t)hv_secondary_entry, cpu).x0;
        if (rc == PSCI_RET_ALREADY_ON)
            pause_briefly(); /* let it get there */
    }
    return rc;
}

static int64_t psci_cpu_on(struct guest_regs *regs)
{
    uint64_t target = regs->x[1], entry = regs->x[2], ctx = regs->x[3];
    int cpu = cpu_by_mpidr(target);
    if (cpu < 0 || (entry & 3) || owner_of(&hv_owners, entry) != OWNER_VTL0) {
        if (refused(PSCI_CPU_ON_64))
            hv_log("PSCI CPU_ON mpidr 0x%lx entry 0x%lx refused: %s", target, entry,
                   cpu < 0 ? "unknown MPIDR" : "entry not in VTL0 RAM or misaligned");
        return PSCI_RET_INVALID_PARAMS;
    }
    enum vtl1_state was = vtl_vp_power_on((unsigned)cpu, entry, ctx);
    switch (was) {
    case VTL1_ENABLED:
        break;
    case VTL1_OFF:
        if (refused(PSCI_CPU_ON_64))
            hv_log("PSCI CPU_ON of VP %d denied: VTL1 is not enabled on it", cpu);
        return PSCI_RET_DENIED;
    case VTL1_BOOTING:
        return PSCI_RET_ON_PENDING;
    default:
        return PSCI_RET_ALREADY_ON;
    }
    int64_t rc = firmware_cpu_on((unsigned)cpu);
    if (rc != PSCI_RET_SUCCESS) {
        vtl_vp_power_on_failed((unsigned)cpu);
        hv_log("PSCI CPU_ON of VP %d: firmware answered %ld", cpu, rc);
        return PSCI_RET_INTERNAL_FAILURE;
    }
    return PSCI_RET_SUCCESS;
}

static int64_t psci_affinity_info(struct guest_regs *regs)
{
    int cpu = cpu_by_mpidr(regs->x[1]);
    if (cpu < 0 || regs->x[2] != 0)
        return PSCI_RET_INVALID_PARAMS;
    enum vtl1_state st = vtl_vp_state((unsigned)cpu);
    if (st == VTL1_OFF || st == VTL1_ENABLED)
        return AFFINITY_OFF;
    return st == VTL1_BOOTING ? AFFINITY_ON_PENDING : AFFINITY_ON;
}

/* CPU_OFF: this VP's VTL0 asks to stop. Refused while VTL1 is busy on it
 * (a preempted call would be lost with the context); otherwise the VP
 * leaves the machine and this CPU goes back to firmware. Firmware's
 * CPU_OFF does not return. */
static int64_t psci_cpu_off(void)
{
    struct hv_cpu *cpu = this_cpu();
    struct vp *vp = cpu->vp;
    if (!vtl_vp_power_off(vp)) {
        if (refused(PSCI_CPU_OFF))
            hv_log("PSCI CPU_OFF of VP %u denied: VTL1 is %s there", vp->index,
                   vtl1_state_name(vp->vtl1));
        return PSCI_RET_DENIED;
    }
    hv_log("VP %u: CPU off", vp->index);
    hv_cpu_stop(cpu);
    int64_t rc = (int64_t)smc(PSCI_CPU_OFF, 0, 0, 0).x0;
    hv_log("FATAL: firmware's CPU_OFF returned %ld on CPU %u", rc, cpu->index);
    hv_halt_failure();
}

/* OVBS_VTL1_VP_DECLINE: VTL1, entered on a VP CPU_ON started
 * (VTL_ENTRY_VP_START), will not let VTL0 run there: after the kernel
 * lock, VTL0 asked to start at an address outside its locked text. The VP
 * is off again, as if firmware had not started it (AFFINITY_INFO says
 * OFF, a later CPU_ON may try again), and this CPU goes back to firmware.
 * Returns, with INVALID_PARTITION_STATE, only on a VP that is not
 * starting. */
void call_vtl1_vp_decline(struct guest_regs *regs)
{
    struct hv_cpu *cpu = this_cpu();
    struct vp *vp = cpu->vp;
    if (!vtl_vp_decline(vp)) {
        regs->x[0] = HV_STATUS_INVALID_PARTITION_STATE;
        return;
    }
    hv_log("VP %u: VTL1 declined VTL0's start at 0x%lx: CPU off", vp->index,
           vp->vtl[VTL0].regs.elr);
    hv_cpu_stop(cpu);
    int64_t rc = (int64_t)smc(PSCI_CPU_OFF, 0, 0, 0).x0;
    hv_log("FATAL: firmware's CPU_OFF returned %ld on CPU %u", rc, cpu->index);
    hv_halt_failure();
}

static const uint32_t implemented[] = {
    PSCI_VERSION, PSCI_CPU_SUSPEND_64, PSCI_CPU_OFF, PSCI_CPU_ON_64, PSCI_AFFINITY_INFO_64,
    PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_FEATURES,
};

bool psci_implemented(uint32_t fid)
{
    for (unsigned i = 0; i < sizeof(implemented) / sizeof(implemented[0]); i++) {
        if (implemented[i] == fid)
            return true;
    }
    return false;
}

static int64_t psci_call(struct guest_regs *regs, uint32_t fid)
{
    switch (fid) {
    case PSCI_VERSION:
        return PSCI_VERSION_1_0;
    case PSCI_FEATURES:
        /* PSCI 1.0 5.1.14: also how a caller learns that SMCCC_VERSION
         * exists (SMCCC 1.1 section 7), which the hypervisor answers. */
        if ((uint32_t)regs->x[1] == SMCCC_VERSION)
            return PSCI_RET_SUCCESS;
        return psci_implemented((uint32_t)regs->x[1]) ? PSCI_RET_SUCCESS
                                                       : PSCI_RET_NOT_SUPPORTED;
    case PSCI_CPU_ON_64:
        return psci_cpu_on(regs);
    case PSCI_AFFINITY_INFO_64:
        return psci_affinity_info(regs);
    case PSCI_MIGRATE_INFO_TYPE:
        return 2; /* no trusted OS needing migration */
    case PSCI_CPU_SUSPEND_64:
        /* Standby only: WFI in the hypervisor, woken by any interrupt, which
         * the return path then delivers. A power-down state (StateType,
         * bit 16) is treated as standby: the VP keeps its context, which
         * PSCI allows (the caller must cope with a return from it). */
        __asm__ volatile("dsb sy\n wfi" ::: "memory");
        return PSCI_RET_SUCCESS;
    case PSCI_CPU_OFF:
        return psci_cpu_off();
    case PSCI_SYSTEM_OFF:
        hv_log("VTL0 requested SYSTEM_OFF: powering off");
        smc(PSCI_SYSTEM_OFF, 0, 0, 0);
        return PSCI_RET_INTERNAL_FAILURE;
    case PSCI_SYSTEM_RESET:
        hv_log("VTL0 requested SYSTEM_RESET: resetting");
        smc(PSCI_SYSTEM_RESET, 0, 0, 0);
        return PSCI_RET_INTERNAL_FAILURE;
    default:
        return PSCI_RET_NOT_SUPPORTED;
    }
}

bool psci_handle(struct guest_regs *regs, uint32_t fid)
{
    if (((fid >> SMCCC_OEN_SHIFT) & SMCCC_OEN_MASK) != 4 || !psci_implemented(fid))
        return false;
    regs->x[0] = (uint64_t)psci_call(regs, fid);
    return true;
}
