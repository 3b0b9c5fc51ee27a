/* pci.c: PCIe enumeration for the VTL0 test kernel (EL1 of VTL0), with no
 * firmware before us. The host bridge is "pci-host-ecam-generic" in the
 * device tree: "reg" is the ECAM, where function (bus, dev, fn) has 4 KiB
 * of configuration space at (bus << 20 | dev << 15 | fn << 12); "ranges"
 * maps PCI memory windows to CPU addresses. We number the buses behind
 * bridges, size each BAR (write all ones, read back which bits stick),
 * give it space in the 32-bit window and turn on Memory Space and Bus
 * Master (without Bus Master a device's DMA is dropped). */
#include <libfdt.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pci.h"
#include "pgtable.h"

#define PCI_ID         0x00
#define PCI_COMMAND    0x04 /* bit 1 Memory Space, bit 2 Bus Master */
#define PCI_CMD_MEM    (1u << 1)
#define PCI_CMD_MASTER (1u << 2)
#define PCI_STATUS_CAP (1u << 20) /* in the dword at 0x04: a capability list exists */
#define PCI_HEADER     0x0c       /* byte 2 of this dword: header type */
#define PCI_BAR0       0x10
#define PCI_CAP_PTR    0x34
/* Type 1 (bridge) header. */
#define BR_BUSES       0x18 /* primary, secondary, subordinate bus numbers */
#define BR_IO          0x1c /* I/O base and limit (bytes 0, 1) */
#define BR_MEM         0x20 /* memory base, limit: address bits 31:20 in bits 15:4 */
#define BR_PREF        0x24 /* prefetchable base, limit; upper halves at 0x28, 0x2c */
#define BR_WINDOW      (1ull << 20) /* bridge windows are 1 MiB granular */

#define MAX_DEVS  16
#define ECAM_BUSES 8 /* buses we map: the tree has a root port or two */

static uint64_t ecam;                /* CPU address of bus 0 */
static uint64_t win_cpu, win_pci, win_size; /* the 32-bit memory window */
static uint64_t win_next;            /* next free PCI address in it */
static unsigned next_bus;
static struct pci_dev devs[MAX_DEVS];
static unsigned ndevs;

/* ---- the device tree ------------------------------------------------------ */

static uint64_t cells(const fdt32_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

/* "ranges" entries: (3-cell PCI address whose first cell's bits 25:24 are
 * the space, 1 I/O, 2 32-bit memory, 3 64-bit memory; parent address;
 * 2-cell size). We keep the 32-bit memory window. */
static void find_window(const void *fdt, int node, int pac)
{
    int len;
    const fdt32_t *r = fdt_getprop(fdt, node, "ranges", &len);
    int n = 3 + pac + 2;
    for (int off = 0; r && (off + n) * 4 <= len; off += n) {
        if (((fdt32_to_cpu(r[off]) >> 24) & 3) != 2)
            continue;
        win_pci = cells(r + off + 1, 2);
        win_cpu = cells(r + off + 3, pac);
        win_size = cells(r + off + 3 + pac, 2);
        return;
    }
}

void pci_dt_init(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic");
    if (node < 0)
        return;
    int parent = fdt_parent_offset(fdt, node), len;
    int ac = fdt_address_cells(fdt, parent);
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || ac < 1 || ac > 2 || len < ac * 4)
        return;
    ecam = cells(reg, ac);
    find_window(fdt, node, ac);
}

/* ---- configuration space ------------------------------------------------- */

static volatile uint32_t *cfg(unsigned bus, unsigned dev, unsigned off)
{
    return (volatile uint32_t *)(uintptr_t)(ecam + ((uint64_t)bus << 20) +
                                            ((uint64_t)dev << 15) + (off & 0xffc));
}

uint32_t pci_cfg_read(const struct pci_dev *d, unsigned off)
{
    return *cfg(d->bus, d->dev, off);
}

void pci_cfg_write(const struct pci_dev *d, unsigned off, uint32_t value)
{
    *cfg(d->bus, d->dev, off) = value;
    dsb_sy();
}

/* Capabilities are a list in configuration space: byte 0 the ID, byte 1
 * the offset of the next (0 ends it); the first is at the pointer at 0x34. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from)
{
    if (!(pci_cfg_read(d, PCI_COMMAND) & PCI_STATUS_CAP))
        return 0;
    unsigned at = from ? (pci_cfg_read(d, from) >> 8) & 0xfc : pci_cfg_read(d, PCI_CAP_PTR) & 0xfc;
    for (unsigned hops = 0; at && hops < 48; hops++) {
        uint32_t v = pci_cfg_read(d, at);
        if ((v & 0xff) == id)
            return at;
        at = (v >> 8) & 0xfc;
    }
    return 0;
}

/* ---- BARs ------------------------------------------------------------------ */

/* A memory BAR: bit 0 clear, bits 2:1 = 2 for 64 bits (the next BAR holds
 * the upper half). Writing all ones leaves the size's alignment bits zero. */
static uint64_t bar_size(volatile uint32_t *bar, bool wide)
{
    uint32_t lo = bar[0], hi = wide ? bar[1] : 0;
    bar[0] = 0xffffffff;
    if (wide)
        bar[1] = 0xffffffff;
    uint64_t mask = (bar[0] & ~0xfull) | (wide ? (uint64_t)bar[1] << 32 : 0xffffffff00000000ull);
    bar[0] = lo;
    if (wide)
        bar[1] = hi;
    return ~mask + 1;
}

static uint64_t window_alloc(uint64_t size, uint64_t align)
{
    uint64_t a = (win_next + align - 1) & ~(align - 1);
    if (!size || a + size > win_pci + win_size)
        return 0;
    win_next = a + size;
    return a;
}

/* Give every memory BAR of a function an address and map it, uncached,
 * in our stage 1. I/O BARs are left alone. */
static void assign_bars(struct pci_dev *d, unsigned nbars)
{
    for (unsigned i = 0; i < nbars; i++) {
        volatile uint32_t *bar = cfg(d->bus, d->dev, PCI_BAR0 + 4 * i);
        if (*bar & 1)
            continue;
        bool wide = ((*bar >> 1) & 3) == 2 && i + 1 < nbars;
        uint64_t size = bar_size(bar, wide);
        uint64_t pci = size <= (1ull << 31) ? window_alloc(size, size < 4096 ? 4096 : size) : 0;
        if (pci) {
            bar[0] = (uint32_t)pci;
            if (wide)
                bar[1] = (uint32_t)(pci >> 32);
            d->bar[i] = pci - win_pci + win_cpu;
            d->bar_size[i] = size;
            mmu_map(d->bar[i], size < 4096 ? 4096 : size, PT_R | PT_W | PT_DEVICE);
        }
        i += wide;
    }
}

static void enable(unsigned bus, unsigned dev)
{
    volatile uint32_t *c = cfg(bus, dev, PCI_COMMAND);
    *c = (*c & 0xffff) | PCI_CMD_MEM | PCI_CMD_MASTER;
    dsb_sy();
}

/* ---- enumeration ------------------------------------------------------------ */

static void scan_bus(unsigned bus);

/* A bridge forwards configuration cycles for buses secondary..subordinate
 * and memory cycles inside its window [base, limit], in 1 MiB units. The
 * I/O and prefetchable windows stay closed (base above limit): every BAR
 * behind it, prefetchable or not, gets space in the one memory window. */
static void setup_bridge(unsigned bus, unsigned dev)
{
    volatile uint32_t *buses = cfg(bus, dev, BR_BUSES);
    unsigned secondary = ++next_bus;
    *buses = (*buses & 0xff000000u) | 0xff0000u | (secondary << 8) | bus;
    *cfg(bus, dev, BR_IO) = (*cfg(bus, dev, BR_IO) & 0xffff0000u) | 0x00f0;
    *cfg(bus, dev, BR_PREF) = 0x0000fff0;
    *cfg(bus, dev, BR_PREF + 4) = 0;
    *cfg(bus, dev, BR_PREF + 8) = 0;
    win_next = (win_next + BR_WINDOW - 1) & ~(BR_WINDOW - 1);
    uint64_t start = win_next;
    scan_bus(secondary);
    win_next = (win_next + BR_WINDOW - 1) & ~(BR_WINDOW - 1);
    *buses = (*buses & 0xff00ffffu) | (next_bus << 16);
    uint32_t mem = 0x0000fff0;
    if (win_next > start)
        mem = (uint32_t)((start >> 16) & 0xfff0) | (uint32_t)(((win_next - 1) >> 16) & 0xfff0) << 16;
    *cfg(bus, dev, BR_MEM) = mem;
    enable(bus, dev);
}

static void setup_function(unsigned bus, unsigned dev)
{
    uint32_t id = *cfg(bus, dev, PCI_ID);
    if ((id & 0xffff) == 0xffff)
        return;
    unsigned header = (*cfg(bus, dev, PCI_HEADER) >> 16) & 0x7f;
    if (header == 1 && next_bus + 1 < ECAM_BUSES) {
        setup_bridge(bus, dev);
        return;
    }
    if (header != 0 || ndevs == MAX_DEVS)
        return;
    struct pci_dev *d = &devs[ndevs++];
    d->bus = (uint8_t)bus;
    d->dev = (uint8_t)dev;
    d->vendor = (uint16_t)id;
    d->device = (uint16_t)(id >> 16);
    assign_bars(d, 6);
    enable(bus, dev);
}

static void scan_bus(unsigned bus)
{
    for (unsigned dev = 0; dev < 32; dev++)
        setup_function(bus, dev);
}

bool pci_enumerate(void)
{
    static int done = -1;
    if (done >= 0)
        return done;
    done = 0;
    if (!ecam || !win_size) {
        kprintf("    pci: no pci-host-ecam-generic node with a 32-bit window\n");
        return false;
    }
    if (!mmu_map(ecam, (uint64_t)ECAM_BUSES << 20, PT_R | PT_W | PT_DEVICE))
        return false;
    /* The hypervisor's fatal path puts pvpanic at the window's base (hv/fatal.c):
     * leave it the first megabyte. */
    win_next = win_pci + BR_WINDOW;
    scan_bus(0);
    for (unsigned i = 0; i < ndevs; i++)
        kprintf("    pci %02x:%02x %04x:%04x BAR0 0x%lx\n", devs[i].bus, devs[i].dev,
                devs[i].vendor, devs[i].device, devs[i].bar[0]);
    done = 1;
    return true;
}

const struct pci_dev *pci_find(uint16_t vendor, uint16_t device)
{
    for (unsigned i = 0; i < ndevs; i++) {
        if (devs[i].vendor == vendor && devs[i].device == device)
            return &devs[i];
    }
    return 0;
}

/* ---- bounded waits ---------------------------------------------------------- */

uint64_t deadline_ms(unsigned ms)
{
    return READ_SYSREG(cntvct_el0) + READ_SYSREG(cntfrq_el0) / 1000 * ms;
}

bool past(uint64_t deadline)
{
    return READ_SYSREG(cntvct_el0) >= deadline;
}
