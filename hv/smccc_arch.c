/* smccc_arch.c: the SMCCC architecture calls (OEN 0) and the TRNG query that
 * guests make (EL2). The hypervisor answers SMCCC 1.1 itself. Firmware's
 * CPU-vulnerability workarounds are relayed only where firmware says it
 * implements them: the hypervisor asks once at boot, and never issues an
 * SMC with a function ID firmware has not declared (on a machine without
 * SMCCC 1.1 firmware, QEMU's built-in PSCI among them, an unknown SMC is
 * an undefined instruction at EL2). */
#include "arm64/smccc.h"
#include "hv.h"
#include "openvbs/hvcall.h"
#include "percpu.h"
#include "trap.h"

#define PSCI_FEATURES_FN    0x8400000au

/* What firmware answered to ARCH_FEATURES for workarounds 1 and 3 (or
 * NOT_SUPPORTED when firmware has no SMCCC 1.1). Written once by the boot
 * CPU before any guest runs, read-only afterwards. */
static int64_t fw_workaround_1 = SMCCC_RET_NOT_SUPPORTED;
static int64_t fw_workaround_3 = SMCCC_RET_NOT_SUPPORTED;

/* SMCCC 1.1 section 7: SMCCC_VERSION exists if PSCI_FEATURES says so;
 * only then may ARCH_FEATURES be asked. */
void smccc_arch_probe(void)
{
    if ((int64_t)smc(PSCI_FEATURES_FN, SMCCC_VERSION, 0, 0).x0 != SMCCC_RET_SUCCESS) {
        hv_log("firmware: SMCCC 1.0 (no SMCCC_VERSION): no CPU workaround calls to relay");
        return;
    }
    uint64_t version = smc(SMCCC_VERSION, 0, 0, 0).x0;
    if ((int64_t)version < (int64_t)SMCCC_VERSION_1_1) {
        hv_log("firmware: SMCCC 0x%lx: no CPU workaround calls to relay", version);
        return;
    }
    fw_workaround_1 = (int32_t)smc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1, 0, 0).x0;
    fw_workaround_3 = (int32_t)smc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_3, 0, 0).x0;
    hv_log("firmware: SMCCC 0x%lx, ARCH_WORKAROUND_1 %ld, ARCH_SMCCC_ARCH_WORKAROUND_3 %ld", version,
           fw_workaround_1, fw_workaround_3);
}

void call_smccc_version(struct guest_regs *regs)
{
    regs->x[0] = SMCCC_VERSION_1_1;
}

/* ARCH_FEATURES(x1): SUCCESS for the calls answered here; for workarounds
 * 1 and 3 what firmware said (SUCCESS: call it, 1: this CPU is not
 * affected, NOT_SUPPORTED). Workaround 2 (SSBD) is refused: its mitigation
 * state is one per CPU, shared by both VTLs, and VTL0 must not turn it off
 * under VTL1. */
void call_arch_features(struct guest_regs *regs)
{
    uint32_t q = (uint32_t)regs->x[1];
    int64_t rc = SMCCC_RET_NOT_SUPPORTED;
    if (q == SMCCC_VERSION || q == SMCCC_ARCH_FEATURES)
        rc = SMCCC_RET_SUCCESS;
    else if (q == SMCCC_ARCH_WORKAROUND_1)
        rc = fw_workaround_1;
    else if (q == SMCCC_ARCH_WORKAROUND_3)
        rc = fw_workaround_3;
    regs->x[0] = (uint64_t)rc;
}

/* The workaround itself (branch-predictor invalidation, and for 3 the
 * branch-history clearing) acts on the CPU that calls: relayed from this
 * CPU to firmware, only if firmware said it implements it. A guest that
 * calls one firmware did not offer gets NOT_SUPPORTED. */
static void relay_workaround(struct guest_regs *regs, uint32_t fid, int64_t offered)
{
    if (offered != SMCCC_RET_SUCCESS) {
        regs->x[0] = (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED;
        return;
    }
    smc(fid, 0, 0, 0);
    regs->x[0] = SMCCC_RET_SUCCESS;
}

void call_workaround_1(struct guest_regs *regs)
{
    relay_workaround(regs, SMCCC_ARCH_WORKAROUND_1, fw_workaround_1);
}

void call_workaround_3(struct guest_regs *regs)
{
    relay_workaround(regs, SMCCC_ARCH_WORKAROUND_3, fw_workaround_3);
}

/* Calls a guest kernel probes at boot that the hypervisor does not offer:
 * answered NOT_SUPPORTED without the "unknown call" log line. Linux asks
 * TRNG_VERSION (SMCCC TRNG, DEN0098) and ARCH_SOC_ID; workaround 2 is
 * refused as above. */
void call_not_offered(struct guest_regs *regs)
{
    regs->x[0] = (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED;
}
