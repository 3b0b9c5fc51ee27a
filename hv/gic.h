/* gic.h: the hypervisor's use of the GICv3 (EL2): physical interrupts are
 * taken at EL2 (HCR_EL2.IMO) and delivered to a VTL through the virtual CPU
 * interface's list registers; each VTL has its own virtual interface state. */
#ifndef OVBS_HV_GIC_H
#define OVBS_HV_GIC_H
#include <stdbool.h>
#include <stdint.h>
#include "percpu.h"

void gic_init(void);
/* A secondary CPU's redistributor and CPU interface; and before CPU_OFF. */
void gic_cpu_init(struct hv_cpu *cpu);
void gic_cpu_stop(struct hv_cpu *cpu);
/* A VTL's write of ICC_SGI1R_EL1 (trapped): virtual SGIs for the targets. */
void gic_send_sgi(struct vp *vp, uint64_t value);
void gic_kick_all_others(void);
/* VTL0's interrupts waiting for a list register, placed (own CPU only). */
void vgic_flush_waiting(struct vp *vp);
void vgic_init_state(struct vgic_state *s);
void vgic_save(struct vgic_state *s);
void vgic_restore(const struct vgic_state *s);
/* Make `intid` pending for `target` (its live list registers if it runs,
 * its saved copy otherwise). hw links it to the physical interrupt, whose
 * deactivation then follows the guest's. */
void vgic_inject(struct vp *vp, enum vtl target, uint32_t intid, bool hw);
/* An IRQ exit: acknowledge and route the physical interrupt. */
void gic_handle_irq(struct vp *vp);
/* An FIQ exit (a Group 0 interrupt): acknowledge, deactivate, drop. */
void gic_handle_fiq(struct vp *vp);
/* PPIs the hypervisor owns outright (bit n: INTID n): the maintenance
 * interrupt and the shadow timer. VTL0 reads them as zero, writes nothing.
 * The virtual-timer PPI is owned too, but VTL0 sees a copy of it. */
uint32_t gic_hv_ppis(void);
/* Take an SPI for the hypervisor (the SMMU's interrupts): edge-triggered,
 * routed to the boot CPU, enabled. VTL0's distributor emulation (gicd.c)
 * then hides it: RAZ/WI in every register that could enable, disable,
 * pend, activate, reprioritise, reconfigure or retarget it. */
void gic_claim_spi(uint32_t intid);
bool gic_is_hv_spi(uint32_t intid);
/* Bit n set: INTID first + n is the hypervisor's (first a multiple of 32). */
uint32_t gic_hv_spi_bits(uint32_t first);
/* An MPIDR's affinity as GICR_TYPER[63:32] gives it. */
uint32_t gic_affinity(uint64_t mpidr);
/* Boot self-test: pend both timer PPIs with no timer behind them. */
void gic_selftest_forge_timers(void);
/* VTL0's virtual copy of the virtual-timer PPI (struct vtimer_ppi). */
void vgic_vtimer_init(struct vtimer_ppi *t);
void vgic_vtimer_set_enabled(struct vp *vp, bool on);
void vgic_vtimer_set_pending(struct vp *vp, bool on);

struct stage2;
/* Take every redistributor's control page and SGI/PPI page out of VTL0's
 * stage 2 (gicr.c). */
void gicr_protect(struct stage2 *vtl0);
/* A VTL0 data abort on a redistributor page taken out of its stage 2:
 * emulate the access (true), or false if `ipa` is not on one or the access
 * is not emulable. */
bool gicr_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa);
/* The same for the distributor's first page (gicd.c). */
void gicd_protect(struct stage2 *vtl0);
bool gicd_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa);
#endif
