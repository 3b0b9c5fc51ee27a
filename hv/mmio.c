/* mmio.c: decoding a guest's trapped load or store to an emulated device
 * page (EL2). A stage-2 data abort with ESR_EL2.ISV set describes the
 * instruction completely, so the hypervisor can perform it on the guest's
 * behalf without reading guest memory to decode the instruction. */
#include "arm64/sysreg.h"
#include "mmio.h"

/* ESR_EL2 instruction-specific syndrome of a data abort with ISV set. */
#define ISS_DABT_ISV      (1u << 24)         /* the fields below are valid */
#define ISS_DABT_SAS(e)   (((e) >> 22) & 3)  /* access size: 1 << SAS bytes */
#define ISS_DABT_SSE      (1u << 21)         /* sign-extend the loaded value */
#define ISS_DABT_SRT(e)   (((e) >> 16) & 31) /* the general register (31: xzr) */
#define ISS_DABT_SF       (1u << 15)         /* 64-bit register, else 32-bit */

bool mmio_decode(const struct guest_regs *regs, uint32_t esr, struct mmio_access *a)
{
    if (!(esr & ISS_DABT_ISV))
        return false;
    unsigned reg = ISS_DABT_SRT(esr);
    a->size = 1u << ISS_DABT_SAS(esr);
    a->write = esr & ISS_DABT_WNR;
    a->value = 0;
    if (a->write && reg != 31) {
        a->value = regs->x[reg];
        if (a->size < 8)
            a->value &= (1ull << (8 * a->size)) - 1;
    }
    return true;
}

void mmio_complete(struct guest_regs *regs, uint32_t esr, uint64_t value)
{
    unsigned reg = ISS_DABT_SRT(esr);
    if (!(esr & ISS_DABT_WNR) && reg != 31) {
        unsigned bits = 8u << ISS_DABT_SAS(esr);
        if (bits < 64) {
            value &= (1ull << bits) - 1;
            if ((esr & ISS_DABT_SSE) && (value >> (bits - 1)))
                value |= ~0ull << bits;
        }
        if (!(esr & ISS_DABT_SF))
            value &= 0xffffffffull;
        regs->x[reg] = value;
    }
    regs->elr += (esr & ESR_IL) ? 4 : 2; /* ESR.IL: a 32- or (T32) 16-bit instruction */
}
