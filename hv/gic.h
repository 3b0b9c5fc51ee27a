/* gic.h: the hypervisor's use of the GICv3 (EL2): physical interrupts are
 * taken at EL2 (HCR_EL2.IMO) and delivered to a VTL through the virtual CPU
 * interface's list registers; each VTL has its own virtual interface state. */
#ifndef OVBS_HV_GIC_H
#define OVBS_HV_GIC_H
#include <stdbool.h>
#include <stdint.h>
#include "percpu.h"

void gic_init(void);
void vgic_init_state(struct vgic_state *s);
void vgic_save(struct vgic_state *s);
void vgic_restore(const struct vgic_state *s);
/* Make `intid` pending for `target` (its live list registers if it runs,
 * its saved copy otherwise). hw links it to the physical interrupt, whose
 * deactivation then follows the guest's. */
void vgic_inject(struct vp *vp, enum vtl target, uint32_t intid, bool hw);
/* An IRQ exit: acknowledge and route the physical interrupt. */
void gic_handle_irq(struct vp *vp);

struct stage2;
/* Take every redistributor's control page out of VTL0's stage 2 (gicr.c). */
void gicr_protect(struct stage2 *vtl0);
/* A VTL0 data abort on a redistributor control page: emulate the access
 * (true), or false if `ipa` is not one or the access is not emulable. */
bool gicr_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa);
#endif
