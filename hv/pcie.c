/* pcie.c: VTL0's PCIe configuration space, emulated (EL2, on VTL0's data
 * aborts in the ECAM window). ECAM (PCIe 6.2.2, "Enhanced Configuration
 * Access Mechanism") gives every function 4 KiB of config space at
 * base + (bus - first bus) << 20 | device << 15 | function << 12.
 *
 * VTL0 enumerates and numbers the buses itself (no firmware does it), so
 * the hypervisor takes the whole window out of VTL0's stage 2 and performs
 * each access for it. The first access to a function judges it
 * (devpolicy.c: pcifn_judge) from what it presents: its requester ID
 * against the host bridge's iommu-map, its IDs, and for modern virtio its
 * VIRTIO_F_ACCESS_PLATFORM offer read through its PCI_CFG window. A
 * function whose DMA would bypass the SMMU is hidden: it reads as absent
 * (all ones) and ignores writes, so VTL0 can neither assign its BARs nor
 * turn on its memory decoding or bus mastering; it stays inert. Everything
 * else passes through unchanged.
 *
 * A verdict belongs to a bus/device/function number, and which function
 * answers there depends on the bus numbers VTL0 gives its bridges. So every
 * accepted write to a bridge's bus numbers forgets all verdicts, and a
 * write that would route a bus the iommu-map does not fully translate is
 * refused. Functions not present are judged again on every access (a
 * hot-plugged one is judged before VTL0 can use it). One CPU runs guests;
 * with more, the verdict table will need a lock. */
#include <string.h>
#include "devices.h"
#include "devpolicy.h"
#include "hv.h"
#include "mmio.h"
#include "stage2.h"

#define ECAM_BUS_SHIFT   20
#define ECAM_FN_SHIFT    12         /* devfn = device << 3 | function */
#define FN_PER_BUS       256
/* Type 1 (bridge) header: bytes 0x18-0x1b are the primary, secondary and
 * subordinate bus numbers and the secondary latency timer. Config requests
 * for buses [secondary, subordinate] are forwarded below the bridge. */
#define PCI_HEADER_TYPE_DW 0x0c     /* header type is byte 2 of this dword */
#define PCI_BUS_NUMBERS    0x18

/* One byte per function: its verdict, and whether it was logged. */
#define V_UNKNOWN  0
#define V_VISIBLE  1
#define V_HIDDEN   2
#define V_MASK     3
#define V_LOGGED   0x80

static uint8_t *verdicts;   /* nbus * 256 bytes from the pool */
static unsigned nbus;

static uint64_t fn_base(unsigned fn)
{
    return hv_platform.ecam.base + ((uint64_t)fn << ECAM_FN_SHIFT);
}

static uint32_t cfg_read32(void *ctx, unsigned off)
{
    return *(volatile uint32_t *)(uintptr_t)((uint64_t)(uintptr_t)ctx + off);
}

static void cfg_write32(void *ctx, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)((uint64_t)(uintptr_t)ctx + off) = v;
}

static uint64_t hw_read(uint64_t a, unsigned size)
{
    switch (size) {
    case 1: return *(volatile uint8_t *)(uintptr_t)a;
    case 2: return *(volatile uint16_t *)(uintptr_t)a;
    default: return *(volatile uint32_t *)(uintptr_t)a;
    }
}

static void hw_write(uint64_t a, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *(volatile uint8_t *)(uintptr_t)a = (uint8_t)v; break;
    case 2: *(volatile uint16_t *)(uintptr_t)a = (uint16_t)v; break;
    default: *(volatile uint32_t *)(uintptr_t)a = (uint32_t)v; break;
    }
}

void pcie_protect(struct stage2 *vtl0)
{
    const struct platform *p = &hv_platform;
    if (!p->has_pcie || p->pcie_unprotected)
        return; /* none, or kept whole by the hypervisor (platform.c) */
    nbus = (unsigned)(p->ecam.size >> ECAM_BUS_SHIFT);
    unsigned decoded = p->pcie_bus_last - p->pcie_bus_first + 1;
    if (nbus > decoded)
        nbus = decoded;
    unsigned pages = (unsigned)((nbus * FN_PER_BUS + PAGE_SIZE - 1) / PAGE_SIZE);
    verdicts = nbus ? pool_alloc_pages(pages, 1) : NULL;
    if (!verdicts || stage2_unmap(vtl0, p->ecam.base, p->ecam.size) != 0) {
        hv_log("FATAL: cannot take the PCIe ECAM window 0x%lx out of VTL0's stage 2", p->ecam.base);
        hv_halt_failure();
    }
    if (p->pcie_rids.n == 0)
        hv_log("PCIe: the host bridge has no iommu-map to the SMMU: every function is hidden "
               "from VTL0 (its DMA would not be translated)");
    hv_log("PCIe: ECAM [0x%lx, 0x%lx) emulated for VTL0, buses %u-%u; functions that would "
           "bypass the SMMU read as absent", p->ecam.base, p->ecam.base + p->ecam.size,
           p->pcie_bus_first, p->pcie_bus_first + nbus - 1);
}

/* Each function given to VTL0 is logged once per bus/device/function;
 * each hidden one every time it is judged (rate limited): after a
 * renumbering, another function may answer at the same numbers. */
static void log_verdict(unsigned fn, unsigned bus, uint32_t id, enum pcifn_verdict v)
{
    if (v == PCIFN_SAFE && (verdicts[fn] & V_LOGGED))
        return;
    if (!hv_log_allowed(LOG_SRC_DEVICES))
        return;
    if (v == PCIFN_SAFE)
        verdicts[fn] |= V_LOGGED;
    unsigned dev = (fn >> 3) & 31, func = fn & 7;
    if (v == PCIFN_SAFE)
        hv_log("PCIe %02x:%02x.%u [%04x:%04x]: given to VTL0: %s", bus, dev, func,
               id & 0xffff, id >> 16, pcifn_reason(v));
    else
        hv_log("PCIe %02x:%02x.%u [%04x:%04x]: hidden from VTL0: %s (%s)", bus, dev, func,
               id & 0xffff, id >> 16, pcifn_reason(v), pcifn_remedy(v));
}

/* The verdict for function `fn` (index in the window), judged on first use. */
static unsigned verdict_of(unsigned fn)
{
    unsigned v = verdicts[fn] & V_MASK;
    if (v != V_UNKNOWN)
        return v;
    unsigned bus = hv_platform.pcie_bus_first + (fn >> 8);
    uint32_t rid = (bus << 8) | (fn & 0xff);
    struct pcifn_cfg cfg = { cfg_read32, cfg_write32, (void *)(uintptr_t)fn_base(fn) };
    enum pcifn_verdict judged = pcifn_judge(&cfg, rid, &hv_platform.pcie_rids);
    if (judged == PCIFN_ABSENT)
        return V_VISIBLE; /* nothing there: reads all ones anyway; judged again next time */
    log_verdict(fn, bus, cfg_read32(cfg.ctx, 0), judged);
    v = judged == PCIFN_SAFE ? V_VISIBLE : V_HIDDEN;
    verdicts[fn] = (uint8_t)((verdicts[fn] & ~V_MASK) | v);
    return v;
}

static void forget_verdicts(void)
{
    for (unsigned i = 0; i < nbus * FN_PER_BUS; i++)
        verdicts[i] &= (uint8_t)~V_MASK;
}

static bool is_bridge(unsigned fn)
{
    return ((cfg_read32((void *)(uintptr_t)fn_base(fn), PCI_HEADER_TYPE_DW) >> 16) & 0x7f) == 1;
}

/* A write that overlaps a bridge's bus numbers: check the new routing,
 * then forget every verdict (functions answer at new numbers). False:
 * refused, the write is dropped. */
static bool bus_numbers_write(unsigned fn, unsigned reg, unsigned size, uint64_t value)
{
    uint64_t dw = fn_base(fn) + PCI_BUS_NUMBERS;
    uint32_t now = (uint32_t)hw_read(dw, 4);
    unsigned shift = (reg & 3) * 8;
    uint32_t mask = (size == 4 ? ~0u : ((1u << (8 * size)) - 1)) << shift;
    uint32_t next = (now & ~mask) | (((uint32_t)value << shift) & mask);
    unsigned secondary = (next >> 8) & 0xff, subordinate = (next >> 16) & 0xff;
    if (!pcie_bus_range_ok(&hv_platform.pcie_rids, hv_platform.pcie_bus_first, nbus, secondary,
                           subordinate)) {
        if (hv_log_allowed(LOG_SRC_DEVICES))
            hv_log("PCIe bridge %02x:%02x.%u: buses %u-%u refused: not all translated by the "
                   "SMMU", hv_platform.pcie_bus_first + (fn >> 8), (fn >> 3) & 31, fn & 7,
                   secondary, subordinate);
        return false;
    }
    forget_verdicts();
    return true;
}

static bool touches_bus_numbers(unsigned reg, unsigned size)
{
    return reg < PCI_BUS_NUMBERS + 3 && reg + size > PCI_BUS_NUMBERS + 1;
}

static uint64_t emulate(unsigned fn, unsigned reg, const struct mmio_access *a)
{
    uint64_t addr = fn_base(fn) + reg;
    if (verdict_of(fn) == V_HIDDEN)
        return a->write ? 0 : (a->size == 4 ? 0xffffffffull : (1ull << (8 * a->size)) - 1);
    if (!a->write)
        return hw_read(addr, a->size);
    if (touches_bus_numbers(reg, a->size) && is_bridge(fn) &&
        !bus_numbers_write(fn, reg, a->size, a->value))
        return 0;
    hw_write(addr, a->size, a->value);
    return 0;
}

bool pcie_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa)
{
    const struct platform *p = &hv_platform;
    if (!verdicts || ipa < p->ecam.base || ipa - p->ecam.base >= (uint64_t)nbus << ECAM_BUS_SHIFT)
        return false;
    struct mmio_access a;
    if (!mmio_decode(regs, esr, &a) || a.size > 4 || (ipa & (a.size - 1)))
        return false; /* refused as an abort: config space is 1, 2 or 4 bytes, aligned */
    uint64_t off = ipa - p->ecam.base;
    mmio_complete(regs, esr, emulate((unsigned)(off >> ECAM_FN_SHIFT),
                                     (unsigned)(off & (PAGE_SIZE - 1)), &a));
    return true;
}
