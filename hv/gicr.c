/* gicr.c: the GICv3 redistributors as VTL0 sees them (EL2). Two pages of
 * each redistributor are left out of VTL0's stage 2, and every VTL0 access
 * to them is emulated here; everything else of the redistributor stays
 * mapped.
 *
 * The control page (RD_base: CTLR, TYPER, WAKER, PROPBASER, PENDBASER, the
 * LPI maintenance registers), and GICv4's VLPI page: with LPIs on, a
 * redistributor reads and writes its LPI property and pending tables at
 * whatever physical addresses GICR_PROPBASER and GICR_PENDBASER hold, past
 * every stage-2 check: pointed at VTL1's memory, the pending table would
 * turn secret bits into interrupts VTL0 receives (GICR_VPROPBASER and
 * VPENDBASER likewise for virtual LPIs). VTL0 sees a GIC without LPIs.
 *
 * The SGI/PPI page (SGI_base, RD_base + 64 KiB): the enable, pending,
 * active, priority, group and trigger state of INTIDs 0-31 of that CPU.
 * The PPIs the hypervisor depends on are there: the GIC maintenance
 * interrupt (25), its shadow timer (CNTHP, 26) and the EL1 virtual timer
 * (27), whose one physical PPI both VTLs' timers raise. VTL0 programs its
 * own SGIs and PPIs as it likes; 25 and 26 read as zero and ignore writes;
 * 27 reads and writes VTL0's virtual copy (struct vtimer_ppi, gic.c). No
 * SGI is reserved by the hypervisor today. Group is always 1 (IGROUPR0 is
 * all ones and ignores writes; IGRPMODR0 and NSACR read as zero): a Group 0
 * interrupt would be an FIQ at EL2. */
#include "arm64/sysreg.h"
#include "gic.h"
#include "hv.h"
#include "mmio.h"
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
#define GICR_SGI_PAGE     0x10000ull /* SGI_base: the SGI/PPI registers */

/* SGI_base registers, offsets in that page. Bit or byte n is INTID n. */
#define SGI_IGROUPR0      0x080 /* group: 1 = Group 1 (IRQ) */
#define SGI_ISENABLER0    0x100 /* write 1: enable; reads the enables */
#define SGI_ICENABLER0    0x180 /* write 1: disable; reads the enables */
#define SGI_ISPENDR0      0x200 /* write 1: set pending; reads pending */
#define SGI_ICPENDR0      0x280 /* write 1: clear pending; reads pending */
#define SGI_ISACTIVER0    0x300 /* write 1: set active; reads active */
#define SGI_ICACTIVER0    0x380 /* write 1: clear active; reads active */
#define SGI_IPRIORITYR    0x400 /* .. 0x41f: one priority byte per INTID */
#define SGI_IPRIORITYR_END 0x420
#define SGI_ICFGR0        0xc00 /* SGIs' trigger (read-only: edge) */
#define SGI_ICFGR1        0xc04 /* PPIs' trigger: 2 bits per PPI (16-31) */
#define SGI_IGRPMODR0     0xd00 /* group modifier (Secure Group 1) */
#define SGI_NSACR         0xe00 /* Non-secure access to Group 0 */

enum gicr_page { PAGE_NONE, PAGE_RD, PAGE_SGI, PAGE_VLPI };

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
        /* Every SGI and PPI in Group 1 (gic_init does it again for its own
         * CPU before it wakes the redistributor). */
        *(volatile uint32_t *)(uintptr_t)(rd + GICR_SGI_PAGE + SGI_IGROUPR0) = ~0u;
        unmap_page(vtl0, rd);
        unmap_page(vtl0, rd + GICR_SGI_PAGE);
        if (typer_of(rd) & GICR_TYPER_VLPIS)
            unmap_page(vtl0, rd + GICR_VLPI_FRAME);
        frames++;
        if (typer_of(rd) & GICR_TYPER_LAST)
            break;
    }
    hv_log("GICv3: %u redistributor(s): control and SGI/PPI pages emulated for VTL0 "
           "(no LPIs; PPIs 25-27 the hypervisor's)", frames);
}

static bool in_page(uint64_t ipa, uint64_t page)
{
    return ipa >= page && ipa < page + PAGE_SIZE;
}

/* Which emulated page of which redistributor (`*rd`) `ipa` falls on. */
static enum gicr_page emulated_page_of(uint64_t ipa, uint64_t *rd)
{
    uint64_t base = hv_platform.gicr.base, end = base + hv_platform.gicr.size;
    if (ipa < base || ipa >= end)
        return PAGE_NONE;
    for (uint64_t r = base; r + GICR_FRAME_SIZE <= end; r += frame_stride(r)) {
        *rd = r;
        if (in_page(ipa, r))
            return PAGE_RD;
        if (in_page(ipa, r + GICR_SGI_PAGE))
            return PAGE_SGI;
        if ((typer_of(r) & GICR_TYPER_VLPIS) && in_page(ipa, r + GICR_VLPI_FRAME))
            return PAGE_VLPI;
        if (ipa < r || (typer_of(r) & GICR_TYPER_LAST))
            return PAGE_NONE;
    }
    return PAGE_NONE;
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

/* GICR_WAKER: ProcessorSleep (bit 1) tells a redistributor that its CPU
 * goes to sleep; it then stops forwarding interrupts to the CPU, the
 * hypervisor's own timer and the SMMU's included, and shows
 * ChildrenAsleep (bit 2). VTL0 gets a copy per redistributor: its
 * ProcessorSleep, and ChildrenAsleep mirroring it at once; the hardware
 * stays awake. GICR_CTLR's DPG bits (24-26, disable the group's 1-of-N
 * wake-up to this CPU) stay the hypervisor's for the same reason. */
#define GICR_WAKER_OFF      0x0014
#define GICR_WAKER_SLEEP    (1u << 1)
#define GICR_WAKER_ASLEEP   (1u << 2)
#define GICR_CTLR_DPG       (7u << 24)
#define MAX_REDISTRIBUTORS  64
static bool vtl0_sleeping[MAX_REDISTRIBUTORS];

static bool *sleeping_of(uint64_t rd)
{
    uint64_t i = (rd - hv_platform.gicr.base) / frame_stride(rd);
    return i < MAX_REDISTRIBUTORS ? &vtl0_sleeping[i] : NULL;
}

/* What VTL0 reads at `off`: LPI state reads as absent. */
static uint64_t emulated_read(uint64_t rd, uint64_t off, unsigned size)
{
    uint64_t reg = off & ~7ull;
    if (is_lpi_register(reg))
        return 0;
    uint64_t v = hw_read(rd + off, size);
    if (off == GICR_WAKER_OFF) {
        bool *asleep = sleeping_of(rd);
        v &= ~(uint64_t)(GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP);
        return v | (asleep && *asleep ? GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP : 0);
    }
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
    if (off == GICR_WAKER_OFF) {
        bool *asleep = sleeping_of(rd);
        if (asleep)
            *asleep = v & GICR_WAKER_SLEEP;
        return; /* the hardware stays awake */
    }
    if (off == GICR_CTLR)
        v = (v & ~(uint64_t)(GICR_CTLR_ENABLE_LPIS | GICR_CTLR_DPG)) |
            (hw_read(rd + off, size) & GICR_CTLR_DPG);
    hw_write(rd + off, size, v);
}

/* ---- The SGI/PPI page ------------------------------------------------------ */

static volatile uint32_t *sgi_reg(uint64_t rd, uint64_t off)
{
    return (volatile uint32_t *)(uintptr_t)(rd + GICR_SGI_PAGE + off);
}

static volatile uint8_t *sgi_priority(uint64_t rd, unsigned intid)
{
    return (volatile uint8_t *)(uintptr_t)(rd + GICR_SGI_PAGE + SGI_IPRIORITYR + intid);
}

static uint32_t vtimer_bit(void)
{
    return 1u << hv_platform.timer_virt_intid;
}

/* Bits of INTIDs 0-31 VTL0 never reaches in hardware. */
static uint32_t owned_bits(void)
{
    return gic_hv_ppis() | vtimer_bit();
}

/* The VP whose CPU this redistributor serves (TYPER's affinity), if it
 * runs one: its copy of the virtual-timer PPI is what VTL0 sees there.
 * Without one, that PPI reads as zero too. */
static struct vp *vp_of(uint64_t rd)
{
    uint32_t aff = (uint32_t)(typer_of(rd) >> 32);
    for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
        if (hv_cpus[i].vp && gic_affinity(hv_cpus[i].mpidr) == aff)
            return hv_cpus[i].vp;
    }
    return 0;
}

/* VTL0's view of a bitmap register: the hardware's bits for its own
 * interrupts, its virtual copy for the timer, zero for 25 and 26. Active
 * has no copy: VTL0's list registers hold that. */
static uint32_t sgi_read_bits(uint64_t rd, uint64_t off)
{
    uint32_t v = *sgi_reg(rd, off) & ~owned_bits();
    struct vp *vp = vp_of(rd);
    bool timer = false;
    if (vp && (off == SGI_ISENABLER0 || off == SGI_ICENABLER0))
        timer = vp->vtimer0.enabled;
    else if (vp && (off == SGI_ISPENDR0 || off == SGI_ICPENDR0))
        timer = vp->vtimer0.held;
    return v | (timer ? vtimer_bit() : 0);
}

/* A write-1-to-set/clear register: VTL0's own bits reach the hardware,
 * the timer's bit changes VTL0's copy, 25 and 26 are ignored. */
static void sgi_write_bits(uint64_t rd, uint64_t off, uint32_t v)
{
    uint32_t mine = v & ~owned_bits();
    if (mine)
        *sgi_reg(rd, off) = mine;
    struct vp *vp = vp_of(rd);
    if (!vp || !(v & vtimer_bit()))
        return;
    if (off == SGI_ISENABLER0 || off == SGI_ICENABLER0)
        vgic_vtimer_set_enabled(vp, off == SGI_ISENABLER0);
    else if (off == SGI_ISPENDR0 || off == SGI_ICPENDR0)
        vgic_vtimer_set_pending(vp, off == SGI_ISPENDR0);
}

static uint8_t sgi_read_priority(uint64_t rd, unsigned intid)
{
    if (intid == hv_platform.timer_virt_intid) {
        struct vp *vp = vp_of(rd);
        return vp ? vp->vtimer0.priority : 0;
    }
    if (owned_bits() & (1u << intid))
        return 0;
    return *sgi_priority(rd, intid);
}

static void sgi_write_priority(uint64_t rd, unsigned intid, uint8_t prio)
{
    if (intid == hv_platform.timer_virt_intid) {
        struct vp *vp = vp_of(rd);
        if (vp)
            vp->vtimer0.priority = prio;
    } else if (!(owned_bits() & (1u << intid))) {
        *sgi_priority(rd, intid) = prio;
    }
}

/* ICFGR1's 2-bit fields of the owned PPIs (16-31) keep their hardware
 * value; VTL0 reads the hardware's trigger mode for them. */
static uint32_t owned_cfg_fields(void)
{
    uint32_t mask = 0, owned = owned_bits();
    for (unsigned intid = 16; intid < 32; intid++) {
        if (owned & (1u << intid))
            mask |= 3u << ((intid - 16) * 2);
    }
    return mask;
}

static bool is_bitmap_register(uint64_t off)
{
    return off == SGI_ISENABLER0 || off == SGI_ICENABLER0 || off == SGI_ISPENDR0 ||
           off == SGI_ICPENDR0 || off == SGI_ISACTIVER0 || off == SGI_ICACTIVER0;
}

static bool is_priority(uint64_t off)
{
    return off >= SGI_IPRIORITYR && off < SGI_IPRIORITYR_END;
}

static uint64_t sgi_read(uint64_t rd, uint64_t off, unsigned size)
{
    if (is_priority(off)) {
        uint64_t v = 0;
        for (unsigned b = 0; b < size; b++)
            v |= (uint64_t)sgi_read_priority(rd, (unsigned)(off - SGI_IPRIORITYR) + b) << (8 * b);
        return v;
    }
    if (is_bitmap_register(off))
        return sgi_read_bits(rd, off);
    if (off == SGI_IGROUPR0 || off == SGI_ICFGR0 || off == SGI_ICFGR1)
        return *sgi_reg(rd, off); /* all Group 1; the trigger modes */
    return 0; /* IGRPMODR0, NSACR, reserved: read as zero */
}

static void sgi_write(uint64_t rd, uint64_t off, unsigned size, uint64_t v)
{
    if (is_priority(off)) {
        for (unsigned b = 0; b < size; b++)
            sgi_write_priority(rd, (unsigned)(off - SGI_IPRIORITYR) + b, (uint8_t)(v >> (8 * b)));
    } else if (is_bitmap_register(off)) {
        sgi_write_bits(rd, off, (uint32_t)v);
    } else if (off == SGI_ICFGR1) {
        uint32_t keep = owned_cfg_fields();
        *sgi_reg(rd, off) = ((uint32_t)v & ~keep) | (*sgi_reg(rd, off) & keep);
    }
    /* IGROUPR0, IGRPMODR0, NSACR: the hypervisor's (all Group 1); ICFGR0
     * is read-only; anything else is reserved: writes ignored. */
}

/* 32-bit accesses, and byte accesses to the priorities (the GIC allows
 * both there; Linux uses 32-bit ones), naturally aligned. */
static bool sgi_access_ok(uint64_t off, unsigned size)
{
    if (off & (size - 1))
        return false;
    return size == 4 || (size == 1 && is_priority(off));
}

/* ---- Dispatch ---------------------------------------------------------- */

/* Plain, naturally aligned 32-bit accesses to the control page; 64-bit
 * ones only to its 64-bit registers. */
static bool rd_access_ok(uint64_t off, unsigned size)
{
    if ((size != 4 && size != 8) || (off & (size - 1)))
        return false;
    return size == 4 || off == GICR_TYPER || is_lpi_register(off);
}

static uint64_t emulate(enum gicr_page page, uint64_t rd, uint64_t ipa,
                        const struct mmio_access *a)
{
    if (page == PAGE_VLPI)
        return 0; /* VPROPBASER, VPENDBASER...: zero, writes ignored, so no
                   * virtual LPI table is ever programmed */
    if (page == PAGE_SGI) {
        uint64_t off = ipa - rd - GICR_SGI_PAGE;
        if (a->write)
            sgi_write(rd, off, a->size, a->value);
        return a->write ? 0 : sgi_read(rd, off, a->size);
    }
    if (a->write)
        emulated_write(rd, ipa - rd, a->size, a->value);
    return a->write ? 0 : emulated_read(rd, ipa - rd, a->size);
}

bool gicr_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa)
{
    uint64_t rd = 0;
    enum gicr_page page = emulated_page_of(ipa, &rd);
    struct mmio_access a;
    if (page == PAGE_NONE || !mmio_decode(regs, esr, &a))
        return false;
    uint64_t off = ipa & (PAGE_SIZE - 1);
    bool ok = page == PAGE_SGI ? sgi_access_ok(off, a.size) :
              page == PAGE_RD ? rd_access_ok(off, a.size) :
              a.size == 4 || a.size == 8;
    if (!ok || (off & (a.size - 1)))
        return false; /* refused as an abort */
    mmio_complete(regs, esr, emulate(page, rd, ipa, &a));
    return true;
}
