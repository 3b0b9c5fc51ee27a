/* mmio.h: decoding a guest's trapped load or store to an emulated device
 * page (EL2): what the data abort's syndrome says about the access, and how
 * a read is completed into the guest's register. */
#ifndef OVBS_HV_MMIO_H
#define OVBS_HV_MMIO_H
#include <stdbool.h>
#include <stdint.h>
#include "percpu.h"

/* One trapped access, as ESR_EL2's instruction-specific syndrome gives it. */
struct mmio_access {
    unsigned size;   /* bytes: 1, 2, 4 or 8 */
    bool write;
    uint64_t value;  /* for a write: the value stored (xzr reads as 0) */
};

/* Decode the access; false when the syndrome does not describe it (ISV
 * clear: a load/store pair, a post-indexed access...): the caller then
 * refuses it with an abort. */
bool mmio_decode(const struct guest_regs *regs, uint32_t esr, struct mmio_access *a);
/* Finish the access: a read puts `value` into the target register (with
 * the sign extension and width the syndrome asks for); both step the guest
 * over the instruction. */
void mmio_complete(struct guest_regs *regs, uint32_t esr, uint64_t value);
#endif
