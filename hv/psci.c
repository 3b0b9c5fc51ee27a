/* psci.c: PSCI 1.0 relay (EL2). Guests call PSCI through a trapped SMC (or
 * HVC); the hypervisor decides, and talks to firmware itself only with its
 * own arguments, so no CPU can ever be started at EL2 on an address a guest
 * chose. Until multiprocessor support exists CPU_ON is denied. */
#include "arm64/smccc.h"
#include "arm64/sysreg.h"
#include "events.h"
#include "hv.h"
#include "openvbs/hvcall.h"
#include "percpu.h"
#include "trap.h"

#define PSCI_VERSION_1_0 0x10000
#define AFFINITY_ON      0
#define AFFINITY_OFF     1

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

static int64_t psci_cpu_on(struct guest_regs *regs)
{
    uint64_t target = regs->x[1], entry = regs->x[2];
    int cpu = cpu_by_mpidr(target);
    if (cpu < 0) {
        if (refused(PSCI_CPU_ON_64))
            hv_log("PSCI CPU_ON for unknown MPIDR 0x%lx refused", target);
        return PSCI_RET_INVALID_PARAMS;
    }
    if ((unsigned)cpu == this_cpu()->index)
        return PSCI_RET_ALREADY_ON;
    if (refused(PSCI_CPU_ON_64))
        hv_log("PSCI CPU_ON mpidr 0x%lx entry 0x%lx denied: one VP per partition until SMP support",
               target, entry);
    return PSCI_RET_DENIED;
}

static int64_t psci_affinity_info(struct guest_regs *regs)
{
    int cpu = cpu_by_mpidr(regs->x[1]);
    if (cpu < 0 || regs->x[2] != 0)
        return PSCI_RET_INVALID_PARAMS;
    return (unsigned)cpu == this_cpu()->index ? AFFINITY_ON : AFFINITY_OFF;
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
        return psci_implemented((uint32_t)regs->x[1]) ? PSCI_RET_SUCCESS
                                                       : PSCI_RET_NOT_SUPPORTED;
    case PSCI_CPU_ON_64:
        return psci_cpu_on(regs);
    case PSCI_AFFINITY_INFO_64:
        return psci_affinity_info(regs);
    case PSCI_MIGRATE_INFO_TYPE:
        return 2; /* no trusted OS needing migration */
    case PSCI_CPU_SUSPEND_64:
        if (regs->x[1] & (1u << 16))
            return PSCI_RET_INVALID_PARAMS; /* power-down states not offered */
        __asm__ volatile("wfi");
        return PSCI_RET_SUCCESS;
    case PSCI_CPU_OFF:
        if (refused(PSCI_CPU_OFF))
            hv_log("PSCI CPU_OFF of the last running CPU denied");
        return PSCI_RET_DENIED;
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
