/* vtl.h: Virtual Trust Levels on a VP (EL2): the VTL switch, the VSM
 * hypercalls, and how intercepts and interrupts move a VP between VTLs. */
#ifndef OVBS_HV_VTL_H
#define OVBS_HV_VTL_H
#include <stdbool.h>
#include <stdint.h>
#include "percpu.h"

void vtl_switch(struct vp *vp, enum vtl to);
/* The running VTL trapped on FP/SIMD: its registers are not loaded yet. */
void vtl_fp_access(struct vp *vp);
void vtl_raise_vserror(struct vp *vp);
/* A stage-2 permission fault by VTL0 on its own RAM: VTL1's protection.
 * True if VTL1 was entered to decide; false if the caller must inject. */
bool vtl_intercept(struct vp *vp, uint32_t esr, uint64_t ipa, uint64_t far, bool instr);
/* An interrupt for VTL0 arrived while VTL1 runs. */
void vtl_preempt_for_vtl0(struct vp *vp);
/* CNTHP stood in for the timer of the VTL that is not running; it expired. */
void vtl_shadow_timer_fired(struct vp *vp);

/* VSM hypercall handlers (hvc.c's table). */
void call_vtl_call(struct guest_regs *regs);
void call_vtl_return(struct guest_regs *regs);
void call_modify_vtl_protection_mask(struct guest_regs *regs);
void call_get_vp_register(struct guest_regs *regs);
void call_set_vp_register(struct guest_regs *regs);
void call_vtl1_boot_done(struct guest_regs *regs);
void call_vtl1_log(struct guest_regs *regs);
void call_get_intercept(struct guest_regs *regs);
void call_vtl1_fatal(struct guest_regs *regs);
void call_enable_vp_vtl(struct guest_regs *regs);
void call_vtl1_vp_ready(struct guest_regs *regs);
void call_set_vp_assist(struct guest_regs *regs);
void call_vtl1_yield(struct guest_regs *regs);
void call_vtl1_vp_decline(struct guest_regs *regs); /* psci.c */
/* el1_pin.c: VTL0's EL1 translation controls, pinned after the kernel lock. */
void call_vtl1_pin_el1(struct guest_regs *regs);
void el1_pin_cpu_init(void);
bool el1_pin_trap(struct vp *vp, struct guest_regs *regs, uint32_t esr);
uint64_t el1_pin_refused(void);
void call_vp_stats(struct guest_regs *regs);

/* A VTL0 translation fault on its own RAM that a protection change in
 * progress on another CPU explains: retry the access. */
bool vtl_translation_fault_is_transient(uint64_t ipa);

/* The VP power side of the state machine (psci.c). */
enum vtl1_state vtl_vp_power_on(unsigned index, uint64_t entry, uint64_t ctx);
void vtl_vp_power_on_failed(unsigned index);
bool vtl_vp_power_off(struct vp *vp);
bool vtl_vp_decline(struct vp *vp);
enum vtl1_state vtl_vp_state(unsigned index);

/* Set up both VTLs of the boot VP and enter the secure kernel. */
_Noreturn void vtl_start(uint64_t sk_entry, uint64_t vtl1_base, uint64_t vtl1_size,
                         uint64_t vtl0_entry, uint64_t vtl0_fdt);
/* A CPU started by PSCI CPU_ON enters its VP: VTL1 first. */
_Noreturn void vtl_start_vp(struct hv_cpu *cpu);
#endif
