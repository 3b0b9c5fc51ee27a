/* gicr.c: the GICv3 redistributors' control frames as VTL0 sees them (EL2).
 * With LPIs on, a redistributor reads and writes its LPI property and
 * pending tables at whatever physical addresses GICR_PROPBASER and
 * GICR_PENDBASER hold, past every stage-2 check: pointed at VTL1's memory,
 * the pending table would turn secret bits into interrupts VTL0 receives.
 * GICv4 adds the same for virtual LPIs (GICR_VPROPBASER/VPENDBASER in the
 * VLPI frame). So the first 4 KiB page of each redistributor (RD_base: CTLR,
 * TYPER, WAKER, PROPBASER, PENDBASER, the LPI maintenance registers) and of
 * its VLPI frame, if any, is left out of VTL0's stage 2 and every access to
 * it is emulated here: VTL0 sees a GIC without LPIs, and everything else
 * reaches the hardware as VTL0 asked. The SGI/PPI page (SGI_base) stays
 * mapped: it has no memory pointers. */
#include "arm64/sysreg.h"
#include "gic.h"
#include "hv.h"
#include "stage2.h"

#define GICR_FRAME_SIZE   0x20000ull /* RD_base + SGI_base, 64 KiB each */
#define GICR_VLPI_FRAME   0x20000ull /* GICv4: VLPI_base follows SGI_base */
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

static uint64_t typer_of(uint64_t rd)
{
    return *(volatile uint64_t *)(uintptr_t)(rd + GICR_TYPER);
}

/* Distance between redistributors: the device tree's redistributor-stride
 * if it gives one, else 128 KiB, or 256 KiB with GICv4's VLPI frames. */
static uint64_t frame_stride(uint64_t rd)
{
    if (hv_platform.gicr_stride)
        return hv_platform.gicr_stride;
    return (typer_of(rd) & GICR_TYPER_VLPIS) ? 2 * GICR_FRAME_SIZE : GICR_FRAME_SIZE;
}

/* Redistributors whose LPIs firmware already enabled keep them (turning
 * EnableLPIs off again is IMPLEMENTATION DEFINED), with tables we did not
 * choose: that cannot be made safe, so the boot stops. */
static void disable_lpis(uint64_t rd)
{
    volatile uint32_t *ctlr = (volatile uint32_t *)(uintptr_t)(rd + GICR_CTLR);
    if (!(*ctlr & GICR_CTLR_ENABLE_LPIS))
        return;
    *ctlr &= ~(uint32_t)GICR_CTLR_ENABLE_LPIS;
    if (*ctlr & GICR_CTLR_ENABLE_LPIS) {
        hv_log("FATAL: LPIs of the redistributor at 0x%lx were enabled before us and stay on", rd);
        hv_halt_failure();
    }
}

static void unmap_page(struct stage2 *vtl0, uint64_t page)
{
    if (stage2_unmap(vtl0, page, PAGE_SIZE) != 0) {
        hv_log("FATAL: cannot take redistributor page 0x%lx out of VTL0's stage 2", page);
        hv_halt_failure();
    }
}

void gicr_protect(struct stage2 *vtl0)
{
    if (hv_platform.gicr_regions != 1) {
        hv_log("FATAL: %u redistributor regions: only one is supported",
               hv_platform.gicr_regions);
        hv_halt_failure();
    }
    uint64_t base = hv_platform.gicr.base, end = base + hv_platform.gicr.size;
    unsigned frames = 0;
    for (uint64_t rd = base; rd + GICR_FRAME_SIZE <= end; rd += frame_stride(rd)) {
        disable_lpis(rd);
        unmap_page(vtl0, rd);
        if (typer_of(rd) & GICR_TYPER_VLPIS)
            unmap_page(vtl0, rd + GICR_VLPI_FRAME);
        frames++;
        if (typer_of(rd) & GICR_TYPER_LAST)
            break;
    }
    hv_log("GICv3: %u redistributor control frame(s) emulated for VTL0: no LPIs", frames);
}

/* Where `ipa` falls: the control page (RD_base) of redistributor `*rd`
 * (returns 1), its VLPI page (returns 2), or neither (0). */
static int emulated_page_of(uint64_t ipa, uint64_t *rd)
{
    uint64_t base = hv_platform.gicr.base, end = base + hv_platform.gicr.size;
    if (ipa < base || ipa >= end)
        return 0;
    for (uint64_t r = base; r + GICR_FRAME_SIZE <= end; r += frame_stride(r)) {
        *rd = r;
        if (ipa >= r && ipa < r + PAGE_SIZE)
            return 1;
        if ((typer_of(r) & GICR_TYPER_VLPIS) && ipa >= r + GICR_VLPI_FRAME &&
            ipa < r + GICR_VLPI_FRAME + PAGE_SIZE)
            return 2;
        if (ipa < r || (typer_of(r) & GICR_TYPER_LAST))
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

/* The 64-bit registers of RD_base; either half of one, or the whole, is
 * the same register (off & ~7). */
static bool is_lpi_register(uint64_t reg)
{
    return reg == GICR_SETLPIR || reg == GICR_CLRLPIR || reg == GICR_PROPBASER ||
           reg == GICR_PENDBASER || reg == GICR_INVLPIR || reg == GICR_INVALLR ||
           reg == GICR_SYNCR;
}

/* What VTL0 reads at `off`: LPI state reads as absent. */
static uint64_t emulated_read(uint64_t rd, uint64_t off, unsigned size)
{
    uint64_t reg = off & ~7ull;
    if (is_lpi_register(reg))
        return 0;
    uint64_t v = hw_read(rd + off, size);
    if (off == GICR_CTLR)
        return v & ~GICR_CTLR_ENABLE_LPIS;
    if (off == GICR_TYPER) /* VLPIS stays: it tells the frame stride */
        return v & ~(GICR_TYPER_PLPIS | GICR_TYPER_DIRECT);
    return v;
}

/* What reaches the hardware when VTL0 writes at `off`. */
static void emulated_write(uint64_t rd, uint64_t off, unsigned size, uint64_t v)
{
    uint64_t reg = off & ~7ull;
    if (reg == GICR_TYPER || is_lpi_register(reg))
        return; /* read-only, or LPI machinery VTL0 does not have */
    if (off == GICR_CTLR)
        v &= ~GICR_CTLR_ENABLE_LPIS;
    hw_write(rd + off, size, v);
}

bool gicr_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa)
{
    uint64_t rd = 0;
    int page = emulated_page_of(ipa, &rd);
    if (!page)
        return false;
    unsigned size = 1u << ISS_DABT_SAS(esr), reg = ISS_DABT_SRT(esr);
    uint64_t off = ipa - rd;
    /* Plain, naturally aligned 32-bit accesses; 64-bit ones only to the
     * 64-bit registers. Anything else is refused as an abort. */
    if (!(esr & ISS_DABT_ISV) || (size != 4 && size != 8) || (off & (size - 1)))
        return false;
    if (size == 8 && page == 1 && off != GICR_TYPER && !is_lpi_register(off))
        return false;
    bool write = esr & ISS_DABT_WNR;
    if (page == 2) {
        /* VLPI frame: VPROPBASER, VPENDBASER and friends read as zero and
         * ignore writes, so no virtual LPI table is ever programmed. */
        if (!write && reg != 31)
            regs->x[reg] = 0;
    } else if (write) {
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
