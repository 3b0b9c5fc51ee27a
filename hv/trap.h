/* trap.h: handling of guest exits at EL2: hypercalls, SMCs and aborts. */
#ifndef OVBS_HV_TRAP_H
#define OVBS_HV_TRAP_H
#include <stdint.h>
#include "percpu.h"

/* How a call arrived. */
enum conduit { CONDUIT_HVC, CONDUIT_SMC };

struct guest_regs *hv_guest_exit(struct guest_regs *regs, unsigned kind);
void hvc_dispatch(struct guest_regs *regs, enum conduit how);
/* PSCI relay: true if `fid` is a PSCI call (handled, result in x0). */
bool psci_handle(struct guest_regs *regs, uint32_t fid);
bool psci_implemented(uint32_t fid);
/* SMCCC architecture calls (smccc_arch.c). */
void smccc_arch_probe(void);
void call_smccc_version(struct guest_regs *regs);
void call_arch_features(struct guest_regs *regs);
void call_workaround_1(struct guest_regs *regs);
void call_workaround_3(struct guest_regs *regs);
void call_not_offered(struct guest_regs *regs);
/* The feature ID registers (idregs.c): VTL0's sanitized view per CPU,
 * computed on each CPU before its VTL0 runs; the trapped read. */
void idregs_cpu_init(unsigned cpu);
bool idregs_access(struct vp *vp, struct guest_regs *regs, uint32_t esr);
/* Make VTL0 take an exception at EL1 as if the hardware had raised it. */
void inject_sync_exception(struct guest_regs *regs, uint32_t esr, uint64_t far);
/* ... as a synchronous external abort for a refused memory access. */
void inject_abort(struct guest_regs *regs, uint32_t esr, uint64_t far, bool instr);
void inject_permission_fault(struct guest_regs *regs, uint32_t esr, uint64_t far, bool instr);
#endif
