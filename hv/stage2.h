/* stage2.h: stage-2 translation for one VTL of the partition (EL2): the
 * tables, their VMID, and the TLB maintenance that goes with changing them. */
#ifndef OVBS_HV_STAGE2_H
#define OVBS_HV_STAGE2_H
#include <stdint.h>
#include "pgtable.h"

struct stage2 {
    struct pgtable pt;
    uint16_t vmid;
    uint64_t vttbr;  /* VTTBR_EL2 value: VMID in 63:48, root address */
};

/* Stage-2 input-address size and VTCR_EL2, derived from the CPU's PA size. */
void stage2_setup_vtcr(void);
void stage2_cpu_init(void); /* VTCR_EL2 on a secondary CPU */
unsigned stage2_ipa_bits(void);
int stage2_init(struct stage2 *s2, uint16_t vmid);
/* Map/unmap an identity range in this VTL's view (with TLB maintenance). */
int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t size, unsigned prot);
int stage2_unmap(struct stage2 *s2, uint64_t ipa, uint64_t size);
void stage2_activate(const struct stage2 *s2);
#endif
