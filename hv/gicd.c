/* gicd.c: the GICv3 distributor as VTL0 sees it (EL2). The distributor's
 * first 4 KiB page holds the registers that could take the hypervisor's
 * interrupts away: GICD_CTLR, whose group enables gate every interrupt of
 * the machine (Linux clears them around its GIC setup), and the group
 * registers (a Group 0 interrupt is an FIQ at EL2). So that page is left
 * out of VTL0's stage 2 and every access to it is emulated here:
 *   - GICD_CTLR: the hardware keeps ARE and EnableGrp1 set; VTL0 reads and
 *     writes its own copy of the group enables (it does not gate delivery:
 *     Linux only clears them while it programs the GIC);
 *   - GICD_TYPER: without LPIS (VTL0 has no LPIs, gicr.c);
 *   - IGROUPR<n> read the hardware's all-ones and ignore writes; IGRPMODR<n>
 *     and NSACR<n> read as zero and ignore writes;
 *   - the SPIs the hypervisor took (the SMMU's, gic_claim_spi) read as
 *     zero and ignore writes in every register of this page that could
 *     enable, disable, pend, activate, reprioritise or reconfigure them
 *     (ISENABLER..ICACTIVER, IPRIORITYR, ICFGR, SETSPI/CLRSPI), as gicr.c
 *     does for PPIs 25-27;
 *   - everything else reaches the hardware as VTL0 asked.
 * The page of GICD_IROUTER<n> (0x6000-0x6fff, INTIDs 0-511) is emulated
 * too, so VTL0 cannot retarget the hypervisor's SPIs; others pass through.
 * With affinity routing (ARE) the distributor's registers for INTIDs 0-31
 * read as zero and ignore writes in hardware: those live in each
 * redistributor's SGI/PPI page (gicr.c). The ID registers and the rest of
 * GICD_IROUTER are on later pages, which stay mapped. */
#include "arm64/sysreg.h"
#include "gic.h"
#include "hv.h"
#include "mmio.h"
#include "stage2.h"

#define GICD_CTLR          0x000
#define GICD_CTLR_ENGRP0   (1u << 0)  /* DS = 1 layout: Group 0 enable */
#define GICD_CTLR_ENGRP1   (1u << 1)  /* Group 1 enable */
#define GICD_TYPER         0x004
#define GICD_TYPER_ITLINES(t) ((t) & 0x1f) /* 32 * (N + 1) INTIDs */
#define GICD_TYPER_LPIS    (1u << 17)
#define GICD_IGROUPR       0x080      /* .. 0x0ff: one bit per INTID */
#define GICD_IGROUPR_END   0x100
#define GICD_SETSPI_NSR    0x040      /* write an INTID: pend it */
#define GICD_CLRSPI_NSR    0x048
#define GICD_SETSPI_SR     0x050
#define GICD_CLRSPI_SR     0x058
#define GICD_ISENABLER     0x100      /* ISENABLER, ICENABLER, ISPENDR, ICPENDR, */
#define GICD_BITS_END      0x400      /* ISACTIVER, ICACTIVER: 1 bit per INTID */
#define GICD_ICFGR         0xc00      /* .. 0xcff: 2 bits per INTID */
#define GICD_ICFGR_END     0xd00
#define GICD_IROUTER_PAGE  0x6000     /* IROUTER<n> at 0x6000 + 8n, n < 512 here */
#define GICD_IPRIORITYR    0x400      /* .. 0x7ff: one byte per INTID */
#define GICD_ITARGETSR_END 0xc00      /* ITARGETSR 0x800-0xbff: bytes too */
#define GICD_IGRPMODR      0xd00      /* .. 0xd7f */
#define GICD_IGRPMODR_END  0xd80
#define GICD_NSACR         0xe00      /* .. 0xeff */
#define GICD_NSACR_END     0xf00
#define GICD_SGI_BYTES     0xf10      /* CPENDSGIR, SPENDSGIR: .. 0xf2f, bytes */
#define GICD_SGI_BYTES_END 0xf30

/* VTL0's copy of GICD_CTLR's group enables (partition-wide, like the
 * distributor). At handover VTL0 finds Group 1 enabled. */
static uint32_t vtl0_enables = GICD_CTLR_ENGRP1;

static volatile uint32_t *gicd_reg(uint64_t off)
{
    return (volatile uint32_t *)(uintptr_t)(hv_platform.gicd.base + off);
}

static volatile uint8_t *gicd_byte(uint64_t off)
{
    return (volatile uint8_t *)(uintptr_t)(hv_platform.gicd.base + off);
}

/* Every SPI in Group 1, before VTL0 runs. IGROUPR0 (INTIDs 0-31) is the
 * redistributors' under ARE. IGRPMODR is RAZ/WI with one security state
 * (GICD_CTLR.DS = 1, as on QEMU); cleared anyway for a GIC that has two. */
static void spis_to_group1(void)
{
    unsigned regs = GICD_TYPER_ITLINES(*gicd_reg(GICD_TYPER)) + 1;
    for (unsigned n = 1; n < regs; n++) {
        *gicd_reg(GICD_IGROUPR + 4 * n) = ~0u;
        *gicd_reg(GICD_IGRPMODR + 4 * n) = 0;
    }
}

void gicd_protect(struct stage2 *vtl0)
{
    spis_to_group1();
    if (stage2_unmap(vtl0, hv_platform.gicd.base, PAGE_SIZE) != 0 ||
        stage2_unmap(vtl0, hv_platform.gicd.base + GICD_IROUTER_PAGE, PAGE_SIZE) != 0) {
        hv_log("FATAL: cannot take the distributor's page out of VTL0's stage 2");
        hv_halt_failure();
    }
    hv_log("GICv3: distributor control page emulated for VTL0 (GICD_CTLR 0x%x; VTL0's "
           "group enables virtual, all interrupts Group 1)", *gicd_reg(GICD_CTLR));
}

static bool in_range(uint64_t off, uint64_t start, uint64_t end)
{
    return off >= start && off < end;
}

/* The byte-accessible registers: priorities, targets, SGI pending. */
static bool byte_register(uint64_t off)
{
    return in_range(off, GICD_IPRIORITYR, GICD_ITARGETSR_END) ||
           in_range(off, GICD_SGI_BYTES, GICD_SGI_BYTES_END);
}

static bool read_as_zero(uint64_t off)
{
    return in_range(off, GICD_IGRPMODR, GICD_IGRPMODR_END) ||
           in_range(off, GICD_NSACR, GICD_NSACR_END);
}

/* Which bits of the register at `off` belong to the hypervisor's SPIs:
 * one bit, one byte or two bits per INTID, by register. */
static uint32_t hv_owned_mask(uint64_t off, unsigned size)
{
    uint32_t mask = 0;
    if (in_range(off, GICD_ISENABLER, GICD_BITS_END)) {
        mask = gic_hv_spi_bits((uint32_t)((off & 0x7f) / 4) * 32);
    } else if (in_range(off, GICD_IPRIORITYR, GICD_ITARGETSR_END)) {
        uint32_t first = (uint32_t)(off - GICD_IPRIORITYR) % 0x400;
        for (unsigned i = 0; i < size; i++)
            mask |= gic_is_hv_spi(first + i) ? 0xffu << (8 * i) : 0;
    } else if (in_range(off, GICD_ICFGR, GICD_ICFGR_END)) {
        uint32_t first = (uint32_t)(off - GICD_ICFGR) * 4;
        for (unsigned i = 0; i < 16; i++)
            mask |= gic_is_hv_spi(first + i) ? 3u << (2 * i) : 0;
    }
    return mask;
}

static bool is_setclr_spi(uint64_t off)
{
    return off == GICD_SETSPI_NSR || off == GICD_CLRSPI_NSR || off == GICD_SETSPI_SR ||
           off == GICD_CLRSPI_SR;
}

static uint32_t hw_read(uint64_t off, unsigned size)
{
    return size == 1 ? *gicd_byte(off) : *gicd_reg(off);
}

/* A write that leaves the hypervisor's bits as the hardware has them. For
 * the write-1 registers (ISENABLER...) writing 0 there changes nothing. */
static void hw_write_masked(uint64_t off, unsigned size, uint32_t v, uint32_t owned)
{
    if (owned && (in_range(off, GICD_IPRIORITYR, GICD_ITARGETSR_END) ||
                  in_range(off, GICD_ICFGR, GICD_ICFGR_END)))
        v = (hw_read(off, size) & owned) | (v & ~owned);
    else
        v &= ~owned;
    if (size == 1) {
        if (!owned)
            *gicd_byte(off) = (uint8_t)v;
    } else {
        *gicd_reg(off) = v;
    }
}

static uint32_t gicd_read(uint64_t off, unsigned size)
{
    uint32_t owned = hv_owned_mask(off, size);
    if (owned)
        return hw_read(off, size) & ~owned;
    if (size == 1)
        return *gicd_byte(off);
    if (off == GICD_CTLR)
        return (*gicd_reg(off) & ~(GICD_CTLR_ENGRP0 | GICD_CTLR_ENGRP1)) | vtl0_enables;
    if (off == GICD_TYPER)
        return *gicd_reg(off) & ~GICD_TYPER_LPIS;
    if (read_as_zero(off))
        return 0;
    return *gicd_reg(off); /* IGROUPR: the hardware's all-ones */
}

static void gicd_write(uint64_t off, unsigned size, uint32_t v)
{
    if (size == 1) {
        hw_write_masked(off, size, v, hv_owned_mask(off, size));
    } else if (is_setclr_spi(off)) {
        if (!gic_is_hv_spi(v & 0x3ff))
            *gicd_reg(off) = v;
    } else if (off == GICD_CTLR) {
        /* Only VTL0's copy changes, so there is no write in progress
         * (RWP) to wait for: VTL0 reads the hardware's RWP, which tracks
         * its own enable changes. */
        vtl0_enables = v & (GICD_CTLR_ENGRP0 | GICD_CTLR_ENGRP1);
    } else if (off != GICD_TYPER && !in_range(off, GICD_IGROUPR, GICD_IGROUPR_END) &&
               !read_as_zero(off)) {
        hw_write_masked(off, size, v, hv_owned_mask(off, size));
    }
}

/* GICD_IROUTER<n>: 64-bit registers, accessed whole or as 32-bit halves.
 * The hypervisor's SPIs read as zero and ignore writes. */
static bool irouter_emulate(struct guest_regs *regs, uint32_t esr, uint64_t off,
                            const struct mmio_access *a)
{
    if ((a->size != 4 && a->size != 8) || (off & (a->size - 1)))
        return false;
    uint32_t intid = (uint32_t)(off - GICD_IROUTER_PAGE) / 8;
    uintptr_t reg = (uintptr_t)(hv_platform.gicd.base + off);
    bool owned = gic_is_hv_spi(intid);
    uint64_t value = 0;
    if (a->write && !owned) {
        if (a->size == 8)
            *(volatile uint64_t *)reg = a->value;
        else
            *(volatile uint32_t *)reg = (uint32_t)a->value;
    } else if (!a->write && !owned) {
        value = a->size == 8 ? *(volatile uint64_t *)reg : *(volatile uint32_t *)reg;
    }
    mmio_complete(regs, esr, value);
    return true;
}

bool gicd_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa)
{
    uint64_t base = hv_platform.gicd.base;
    struct mmio_access a;
    if (ipa >= base + GICD_IROUTER_PAGE && ipa < base + GICD_IROUTER_PAGE + PAGE_SIZE &&
        mmio_decode(regs, esr, &a))
        return irouter_emulate(regs, esr, ipa - base, &a);
    if (ipa < base || ipa >= base + PAGE_SIZE || !mmio_decode(regs, esr, &a))
        return false;
    uint64_t off = ipa - base;
    bool size_ok = a.size == 4 || (a.size == 1 && byte_register(off));
    if (!size_ok || (off & (a.size - 1)))
        return false; /* refused as an abort */
    if (a.write)
        gicd_write(off, a.size, (uint32_t)a.value);
    mmio_complete(regs, esr, a.write ? 0 : gicd_read(off, a.size));
    return true;
}
