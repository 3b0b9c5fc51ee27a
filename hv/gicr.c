/* gicr.c: the GICv3 redistributors' control frames as VTL0 sees them (EL2).
 * With LPIs on, a redistributor reads and writes its LPI property and
 * pending tables at whatever physical addresses GICR_PROPBASER and
 * GICR_PENDBASER hold, past every stage-2 check: pointed at VTL1's memory,
 * the pending table would turn secret bits into interrupts VTL0 receives.
 * So the first 4 KiB page of each redistributor (RD_base: CTLR, TYPER,
 * WAKER, PROPBASER, PENDBASER, the LPI maintenance registers) is left out of
 * VTL0's stage 2 and every access to it is emulated here: VTL0 sees a GIC
 * without LPIs, and everything else reaches the hardware as VTL0 asked.
 * The SGI/PPI page (SGI_base) stays mapped: it has no memory pointers. */
#include "arm64/sysreg.h"
#include "gic.h"
#include "hv.h"
#include "stage2.h"

#define GICR_FRAME_SIZE   0x20000ull /* RD_base + SGI_base, 64 KiB each */
#define GICR_CTLR         0x0000
#define GICR_CTLR_ENABLE_LPIS (1ull << 0)
#define GICR_TYPER        0x0008
#define GICR_TYPER_PLPIS  (1ull << 0) /* physical LPIs supported */
#define GICR_TYPER_VLPIS  (1ull << 1) /* virtual LPIs (GICv4: two more 64 KiB frames) */
#define GICR_TYPER_DIRECT (1ull << 3) /* DirectLPI: SETLPIR and friends */
#define GICR_TYPER_LAST   (1ull << 4)
#define GICR_SETLPIR      0x0040
#define GICR_CLRLPIR      0x0048
#define GICR_PROPBASER    0x0070
#define GICR_PENDBASER    0x0078
#define GICR_INVLPIR      0x00a0
#define GICR_INVALLR      0x00b0
#define GICR_SYNCR        0x00c0

/* ESR_EL2 instruction-specific syndrome of a data abort with ISV set. */
#define ISS_DABT_ISV      (1u << 24)        /* the fields below are valid */
#define ISS_DABT_SAS(e)   (((e) >> 22) & 3) /* access size: 1 << SAS bytes */
#define ISS_DABT_SSE      (1u << 21)        /* sign-extend the loaded value */
#define ISS_DABT_SRT(e)   (((e) >> 16) & 31) /* the general register */
#define ISS_DABT_SF       (1u << 15)        /* 64-bit register */

/* Distance between redistributors: 128 KiB, or 256 KiB with GICv4's
 * virtual-LPI frames. */
static uint64_t frame_stride(uint64_t rd)
{
    uint64_t typer = *(volatile uint64_t *)(uintptr_t)(rd + GICR_TYPER);
    return (typer & GICR_TYPER_VLPIS) ? 2 * GICR_FRAME_SIZE : GICR_FRAME_SIZE;
}

void gicr_protect(struct stage2 *vtl0)
{
    uint64_t base = hv_platform.gicr.base, end = base + hv_platform.gicr.size;
    unsigned frames = 0;
    for (uint64_t rd = base; rd + GICR_FRAME_SIZE <= end; rd += frame_stride(rd)) {
        if (stage2_unmap(vtl0, rd, PAGE_SIZE) != 0) {
            hv_log("FATAL: cannot take the redistributor at 0x%lx out of VTL0's stage 2", rd);
            hv_halt_failure();
        }
        frames++;
        if (*(volatile uint64_t *)(uintptr_t)(rd + GICR_TYPER) & GICR_TYPER_LAST)
            break;
    }
    hv_log("GICv3: %u redistributor control frame(s) emulated for VTL0: no LPIs", frames);
}

/* The redistributor whose control page holds `ipa`, or 0. */
static uint64_t control_page_of(uint64_t ipa)
{
    uint64_t base = hv_platform.gicr.base, end = base + hv_platform.gicr.size;
    if (ipa < base || ipa >= end)
        return 0;
    for (uint64_t rd = base; rd + GICR_FRAME_SIZE <= end; rd += frame_stride(rd)) {
        if (ipa < rd + PAGE_SIZE)
            return ipa >= rd ? rd : 0;
        if (*(volatile uint64_t *)(uintptr_t)(rd + GICR_TYPER) & GICR_TYPER_LAST)
            return 0;
    }
    return 0;
}

static uint64_t hw_read(uint64_t addr, unsigned size)
{
    if (size == 8)
        return *(volatile uint64_t *)(uintptr_t)addr;
    return *(volatile uint32_t *)(uintptr_t)addr;
}

static void hw_write(uint64_t addr, unsigned size, uint64_t value)
{
    if (size == 8)
        *(volatile uint64_t *)(uintptr_t)addr = value;
    else
        *(volatile uint32_t *)(uintptr_t)addr = (uint32_t)value;
}

/* What VTL0 reads at `off`: LPI state reads as absent. */
static uint64_t emulated_read(uint64_t rd, uint64_t off, unsigned size)
{
    switch (off) {
    case GICR_CTLR:
        return hw_read(rd + off, size) & ~GICR_CTLR_ENABLE_LPIS;
    case GICR_TYPER:
        return hw_read(rd + off, size) &
               ~(GICR_TYPER_PLPIS | GICR_TYPER_VLPIS | GICR_TYPER_DIRECT);
    case GICR_SETLPIR: case GICR_CLRLPIR: case GICR_PROPBASER: case GICR_PENDBASER:
    case GICR_INVLPIR: case GICR_INVALLR: case GICR_SYNCR:
        return 0;
    default:
        return hw_read(rd + off, size);
    }
}

/* What reaches the hardware when VTL0 writes at `off`. */
static void emulated_write(uint64_t rd, uint64_t off, unsigned size, uint64_t v)
{
    switch (off) {
    case GICR_CTLR:
        hw_write(rd + off, size, v & ~GICR_CTLR_ENABLE_LPIS);
        return;
    case GICR_TYPER: case GICR_TYPER + 4:
    case GICR_SETLPIR: case GICR_CLRLPIR: case GICR_PROPBASER: case GICR_PENDBASER:
    case GICR_INVLPIR: case GICR_INVALLR: case GICR_SYNCR:
        return; /* read-only, or LPI machinery VTL0 does not have */
    default:
        hw_write(rd + off, size, v);
        return;
    }
}

bool gicr_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa)
{
    uint64_t rd = control_page_of(ipa);
    if (!rd)
        return false;
    unsigned size = 1u << ISS_DABT_SAS(esr), reg = ISS_DABT_SRT(esr);
    uint64_t off = ipa - rd;
    /* Only plain, naturally aligned 32- and 64-bit accesses, as the GIC
     * architecture requires; anything else is refused as an abort. */
    if (!(esr & ISS_DABT_ISV) || (size != 4 && size != 8) || (off & (size - 1)))
        return false;
    if (esr & ISS_DABT_WNR) {
        emulated_write(rd, off, size, reg == 31 ? 0 : regs->x[reg]);
    } else {
        uint64_t v = emulated_read(rd, off, size);
        if ((esr & ISS_DABT_SSE) && size == 4)
            v = (uint64_t)(int64_t)(int32_t)v;
        if (!(esr & ISS_DABT_SF))
            v &= 0xffffffffull;
        if (reg != 31)
            regs->x[reg] = v;
    }
    regs->elr += 4; /* ESR.IL: a 32-bit instruction */
    return true;
}
