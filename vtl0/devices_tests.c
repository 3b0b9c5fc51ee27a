/* devices_tests.c: VTL0 tests (EL1 of VTL0) that devices able to master
 * memory past the SMMU are out of VTL0's reach: the kept virtio-mmio page
 * aborts and is absent from our device tree, and no PCIe function we can
 * see through ECAM would bypass the SMMU (hv/virtio_mmio.c, hv/pcie.c). */
#include <libfdt.h>
#include <string.h>
#include "arm64/sysreg.h"
#include "pgtable.h"
#include "kernel.h"
#include "vsm_tests.h"

/* QEMU's virt machine puts the first -device virtio-*-device in the last
 * virtio-mmio slot (hw/arm/virt.c: 0x0a000000 + 31 * 0x200); attacked
 * whatever the hypervisor reports, so a transport it forgot is caught. */
#define VIRT_VIRTIO_MMIO_LAST 0x0a003e00ull
#define VIRTIO_MMIO_STATUS    0x070

static bool blocked(uint64_t value, unsigned before)
{
    return value == PROBE_FAULT_VALUE && this_cpu()->fault.count == before + 1 &&
           ESR_EC(this_cpu()->fault.esr) == EC_DABT_CUR && ISS_FSC(this_cpu()->fault.esr) == FSC_SYNC_EXT_ABORT;
}

/* Read and write `pa` through a device mapping of our own; true if stage 2
 * stopped both. */
static bool rw_blocked(uint64_t pa)
{
    if (!mmu_map(pa & ~0xfffull, 4096, PT_R | PT_W | PT_DEVICE))
        return false;
    unsigned before = this_cpu()->fault.count;
    if (!blocked(probe_load(pa), before))
        return false;
    before = this_cpu()->fault.count;
    return blocked(probe_store(pa + VIRTIO_MMIO_STATUS, 0x0f), before);
}

/* Our device tree, mapped into our stage 1 (it lies below the RAM this
 * kernel maps at boot). */
static const void *dt(void)
{
    static bool mapped;
    uint64_t base = (uint64_t)(uintptr_t)vtl0_fdt & ~0xfffull;
    if (!mapped && mmu_map(base, 4096, PT_R)) {
        uint64_t end = (uint64_t)(uintptr_t)vtl0_fdt + fdt_totalsize(vtl0_fdt);
        mapped = mmu_map(base, ((end - base) + 0xfff) & ~0xfffull, PT_R);
    }
    return vtl0_fdt;
}

/* Memory-map entries the hypervisor kept as virtio-mmio pages. */
static unsigned kept_virtio_pages(uint64_t *first)
{
    unsigned n = 0;
    for (unsigned i = 0;; i++) {
        struct hv_result r = hvc(OVBS_HV_MEMMAP_ENTRY, i, 0, 0);
        if (r.x0 != HV_STATUS_SUCCESS)
            return n;
        char name[25];
        memmap_name(i, name);
        if ((r.x3 & 0xff) == OWNER_MMIO_HV && !strncmp(name, "virtio-mmio", 11)) {
            if (n++ == 0)
                *first = r.x1;
        }
    }
}

/* Our device tree's virtio-mmio nodes: how many, and whether one has its
 * registers in [lo, lo + 4 KiB). */
static unsigned dt_virtio_nodes(uint64_t lo, bool *on_page)
{
    unsigned n = 0;
    *on_page = false;
    int node = -1;
    while ((node = fdt_node_offset_by_compatible(dt(), node, "virtio,mmio")) >= 0) {
        int len;
        const fdt32_t *reg = fdt_getprop(dt(), node, "reg", &len);
        if (!reg || len < 16)
            continue;
        uint64_t base = ((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1]);
        n++;
        if (base >= lo && base < lo + 4096)
            *on_page = true;
    }
    return n;
}

bool a_virtio_mmio_kept(void)
{
    uint64_t page = 0;
    unsigned kept = kept_virtio_pages(&page);
    if (kept == 0)
        return note(false, "the hypervisor reports no kept virtio-mmio page");
    if (!rw_blocked(page) || !rw_blocked(VIRT_VIRTIO_MMIO_LAST))
        return note(false, "a virtio-mmio device that masters memory is reachable from VTL0");
    bool listed, listed_last;
    unsigned nodes = dt_virtio_nodes(page, &listed);
    dt_virtio_nodes(VIRT_VIRTIO_MMIO_LAST & ~0xfffull, &listed_last);
    kprintf("    %u kept virtio-mmio page(s), first 0x%lx; %u virtio-mmio node(s) left in our tree\n",
            kept, page, nodes);
    if (listed || listed_last)
        return note(false, "a kept virtio-mmio transport is still in VTL0's device tree");
    return note(true, "kept virtio-mmio page aborts on read and write, its nodes are gone");
}

/* ---- PCIe ----------------------------------------------------------------
 * Bus 0 through ECAM: 32 devices, 8 functions each (function 0's header
 * type bit 7 says whether the others exist). VTL0 has numbered no bridges,
 * so bus 0 is all we can reach. Every function we see must be one whose
 * DMA the SMMU translates: no legacy virtio, and modern virtio only with
 * VIRTIO_F_ACCESS_PLATFORM, which we read ourselves through the device's
 * PCI_CFG window. */
static uint64_t ecam_base;

static unsigned cur_bus; /* the bus cfg() addresses */

static volatile uint32_t *cfg(unsigned dev, unsigned fn, unsigned off)
{
    return (volatile uint32_t *)(uintptr_t)(ecam_base + ((uint64_t)cur_bus << 20) +
                                            ((uint64_t)dev << 15) + ((uint64_t)fn << 12) + off);
}

static bool find_ecam(void)
{
    int node = fdt_node_offset_by_compatible(dt(), -1, "pci-host-ecam-generic");
    int len;
    const fdt32_t *reg = node >= 0 ? fdt_getprop(dt(), node, "reg", &len) : NULL;
    if (!reg || len < 16)
        return false;
    ecam_base = ((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1]);
    return mmu_map(ecam_base, 32ull << 15, PT_R | PT_W | PT_DEVICE);
}

/* device_feature word 1 through the virtio PCI_CFG capability (cfg_type 5). */
static bool virtio_platform_bit(unsigned dev, unsigned fn)
{
    unsigned common_bar = 0, common_off = 0, win = 0;
    bool have_common = false;
    unsigned ptr = *cfg(dev, fn, 0x34) & 0xfc;
    for (unsigned n = 0; n < 48 && ptr >= 0x40; n++) {
        uint32_t head = *cfg(dev, fn, ptr);
        if ((head & 0xff) == 0x09 && (head >> 24) == 1 && !have_common) {
            common_bar = *cfg(dev, fn, ptr + 4) & 0xff;
            common_off = *cfg(dev, fn, ptr + 8);
            have_common = true;
        } else if ((head & 0xff) == 0x09 && (head >> 24) == 5) {
            win = ptr;
        }
        ptr = (head >> 8) & 0xfc;
    }
    if (!have_common || !win)
        return false;
    uint32_t bar = *cfg(dev, fn, win + 4);
    *cfg(dev, fn, win + 4) = (bar & ~0xffu) | common_bar;
    *cfg(dev, fn, win + 12) = 4;
    *cfg(dev, fn, win + 8) = common_off;       /* device_feature_select */
    *cfg(dev, fn, win + 16) = 1;
    *cfg(dev, fn, win + 8) = common_off + 4;   /* device_feature */
    uint32_t word1 = *cfg(dev, fn, win + 16);
    *cfg(dev, fn, win + 8) = common_off;
    *cfg(dev, fn, win + 16) = 0;
    return word1 & 2; /* bit 33 */
}

/* False if function (dev, fn) is visible and would bypass the SMMU. */
static bool function_ok(unsigned dev, unsigned fn, unsigned *seen)
{
    uint32_t id = *cfg(dev, fn, 0);
    if ((id & 0xffff) == 0xffff)
        return true;
    (*seen)++;
    unsigned vendor = id & 0xffff, device = id >> 16;
    kprintf("    00:%02x.%u [%04x:%04x] visible\n", dev, fn, vendor, device);
    if (vendor != 0x1af4 || device < 0x1000 || device > 0x107f)
        return true;
    if (device <= 0x103f) {
        kprintf("    00:%02x.%u is legacy virtio: it bypasses the SMMU\n", dev, fn);
        return false;
    }
    if (!virtio_platform_bit(dev, fn)) {
        kprintf("    00:%02x.%u is virtio without ACCESS_PLATFORM\n", dev, fn);
        return false;
    }
    return true;
}

bool a_pci_hidden(void)
{
    if (!find_ecam())
        return note(false, "no PCIe host bridge in our device tree");
    unsigned seen = 0;
    bool ok = true;
    for (unsigned dev = 0; dev < 32; dev++) {
        ok &= function_ok(dev, 0, &seen);
        if ((*cfg(dev, 0, 0) & 0xffff) == 0xffff || !((*cfg(dev, 0, 0x0c) >> 16) & 0x80))
            continue;
        for (unsigned fn = 1; fn < 8; fn++)
            ok &= function_ok(dev, fn, &seen);
    }
    if (!ok)
        return note(false, "a PCIe function that bypasses the SMMU is visible");
    /* A 64-bit config access is not a PCIe access: refused with an abort. */
    unsigned before = this_cpu()->fault.count;
    if (!blocked(probe_load(ecam_base), before))
        return note(false, "a 64-bit ECAM access was not refused");
    if (seen == 0)
        return note(false, "no PCIe function visible: nothing the test could check");
    kprintf("    %u function(s) visible on bus 0\n", seen);
    return note(true, "every visible function on bus 0 goes through the SMMU");
}

/* MSIs are memory writes to the ITS's doorbell; VTL0 gets no ITS (the
 * hypervisor keeps it, and removes every MSI and IOMMU reference from our
 * tree, so drivers fall back to INTx). */
#define VIRT_ITS 0x08080000ull

bool a_msi_absent(void)
{
    const void *fdt = dt();
    if (fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its") >= 0)
        return note(false, "an ITS node is in VTL0's device tree");
    static const char *const props[] = { "msi-map", "msi-parent", "iommu-map", "iommus" };
    int node = -1, depth = 0;
    while ((node = fdt_next_node(fdt, node, &depth)) >= 0) {
        for (unsigned i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
            if (fdt_getprop(fdt, node, props[i], NULL)) {
                kprintf("    %s has %s\n", fdt_get_name(fdt, node, NULL), props[i]);
                return note(false, "an MSI or IOMMU reference is left in VTL0's tree");
            }
        }
    }
    if (!mmu_map(VIRT_ITS, 4096, PT_R | PT_W | PT_DEVICE))
        return note(false, "could not map the ITS in our stage 1");
    unsigned before = this_cpu()->fault.count;
    if (!blocked(probe_load(VIRT_ITS), before))
        return note(false, "the ITS is reachable from VTL0");
    return note(true, "no ITS, no msi-map/msi-parent/iommu-map; ITS registers abort");
}

/* Bridges: numbering a root port's buses (secondary = subordinate = 1)
 * makes the functions behind it answer at bus 1. Each bridge of bus 0 in
 * turn gets bus 1, so different functions answer at the same numbers one
 * after the other: the hypervisor must judge each anew (it forgets its
 * verdicts when bus numbers change), and none we then see may bypass the
 * SMMU. Bus numbers are put back after each. */
static unsigned check_bus1(bool *ok)
{
    unsigned seen = 0;
    cur_bus = 1;
    for (unsigned dev = 0; dev < 32; dev++)
        *ok &= function_ok(dev, 0, &seen);
    cur_bus = 0;
    return seen;
}

bool a_pci_renumber(void)
{
    if (!find_ecam() || !mmu_map(ecam_base + (1ull << 20), 1ull << 20, PT_R | PT_W | PT_DEVICE))
        return note(false, "no PCIe host bridge in our device tree");
    unsigned bridges = 0, behind = 0;
    bool ok = true;
    for (unsigned dev = 0; dev < 32; dev++) {
        uint32_t id = *cfg(dev, 0, 0);
        if ((id & 0xffff) == 0xffff || ((*cfg(dev, 0, 0x0c) >> 16) & 0x7f) != 1)
            continue;
        bridges++;
        uint32_t saved = *cfg(dev, 0, 0x18);
        *cfg(dev, 0, 0x18) = (saved & 0xff000000u) | 1u << 16 | 1u << 8; /* sub 1, sec 1 */
        bool routed = ((*cfg(dev, 0, 0x18) >> 8) & 0xffff) == 0x0101;
        unsigned seen = routed ? check_bus1(&ok) : 0;
        *cfg(dev, 0, 0x18) = saved;
        kprintf("    bridge 00:%02x.0: bus 1 %s, %u function(s) visible behind it\n", dev,
                routed ? "routed" : "refused", seen);
        behind += seen;
        if (!routed)
            return note(false, "a bridge could not be given a translated bus");
    }
    if (!ok)
        return note(false, "a function behind a renumbered bridge bypasses the SMMU");
    if (bridges == 0 || behind == 0)
        return note(false, "no bridge with a function behind it: nothing the test could check");
    return note(true, "every function behind each renumbered bridge goes through the SMMU");
}
