/* platform.c: device-tree discovery with libfdt (EL2 at boot, before any
 * guest runs; also host tests). Nothing about the machine is assumed: RAM,
 * console, GIC, PSCI, PCIe and SMMU all come from the tree. */
#include <libfdt.h>
#include <string.h>
#include "platform.h"

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

static int addr_cells(const void *fdt, int node)
{
    return fdt_address_cells(fdt, node);
}

static int size_cells(const void *fdt, int node)
{
    return fdt_size_cells(fdt, node);
}

#define MAX_DEPTH PLAT_MAX_DEPTH

/* Translate a bus address of a child of ancestors[level] up to the root's
 * address space through each ancestor's "ranges". ancestors[0] is the root.
 * False if some ancestor has no "ranges" (its children are not memory
 * mapped, e.g. /cpus). The walk keeps ancestors on a stack because libfdt's
 * fdt_parent_offset rescans the tree from the start on every call. */
static bool translate(const void *fdt, const int *ancestors, int level, uint64_t *addr)
{
    for (; level > 0; level--) {
        int bus = ancestors[level], parent = ancestors[level - 1];
        int len;
        const fdt32_t *r = fdt_getprop(fdt, bus, "ranges", &len);
        if (!r)
            return false;
        if (len == 0)
            continue;
        int ca = addr_cells(fdt, bus), pa = addr_cells(fdt, parent);
        int cs = size_cells(fdt, bus);
        if (ca < 1 || ca > 3 || pa < 1 || pa > 2 || cs < 1 || cs > 2)
            return false;
        int stride = (ca + pa + cs) * 4;
        bool found = false;
        for (int off = 0; off + stride <= len; off += stride) {
            const fdt32_t *e = r + off / 4;
            /* Only the low two cells of a child address are an offset
             * (PCI's first cell is a space code, not an address). */
            uint64_t child = read_cells(e + (ca > 2 ? ca - 2 : 0), ca > 2 ? 2 : ca);
            uint64_t paddr = read_cells(e + ca, pa);
            uint64_t size = read_cells(e + ca + pa, cs);
            if (*addr >= child && *addr - child < size) {
                *addr = paddr + (*addr - child);
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

static bool node_enabled(const void *fdt, int node)
{
    const char *s = fdt_getprop(fdt, node, "status", NULL);
    return !s || !strcmp(s, "okay") || !strcmp(s, "ok");
}

/* The SMMU the hypervisor drives: the first enabled arm,smmu-v3 node with
 * registers, the one parse_device records as p->smmu (any other is kept
 * from VTL0 and never programmed, so nothing counts as translated by it). */
static int driven_smmu(const void *fdt)
{
    int node = -1;
    while ((node = fdt_node_offset_by_compatible(fdt, node, "arm,smmu-v3")) >= 0) {
        if (node_enabled(fdt, node) && fdt_getprop(fdt, node, "reg", NULL))
            return node;
    }
    return -1;
}

static void copy_name(char *dst, const char *name)
{
    size_t n = strnlen(name, PLAT_NAME_LEN - 1);
    memcpy(dst, name, n);
    dst[n] = '\0';
}

static int add_dev(struct platform *p, uint64_t base, uint64_t size, bool hv,
                   const char *name)
{
    if (p->ndev == PLAT_MAX_DEVS)
        return PLAT_ERR_TOO_MANY;
    struct plat_dev *d = &p->dev[p->ndev++];
    d->base = base;
    d->size = size;
    d->hv_owned = hv;
    d->virtio_mmio = false;
    copy_name(d->name, name);
    return PLAT_OK;
}

static int parse_memory(const void *fdt, struct platform *p)
{
    int ac = addr_cells(fdt, 0), sc = size_cells(fdt, 0);
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
        return PLAT_ERR_CELLS;
    int node = -1;
    while ((node = fdt_node_offset_by_prop_value(fdt, node, "device_type", "memory",
                                                 sizeof("memory"))) >= 0) {
        if (!node_enabled(fdt, node))
            continue;
        int len;
        const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
        int stride = (ac + sc) * 4;
        for (int off = 0; reg && off + stride <= len; off += stride) {
            uint64_t base = read_cells(reg + off / 4, ac);
            uint64_t size = read_cells(reg + off / 4 + ac, sc);
            if (size == 0)
                continue;
            if (p->nram == PLAT_MAX_RAM)
                return PLAT_ERR_TOO_MANY;
            p->ram[p->nram].base = base;
            p->ram[p->nram].size = size;
            p->nram++;
        }
    }
    return p->nram ? PLAT_OK : PLAT_ERR_NO_RAM;
}

static void parse_cpus(const void *fdt, struct platform *p)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    if (cpus < 0)
        return;
    int ac = addr_cells(fdt, cpus);
    int node;
    fdt_for_each_subnode(node, fdt, cpus) {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        if (!type || strcmp(type, "cpu") || !node_enabled(fdt, node))
            continue;
        int len;
        const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
        if (!reg || ac < 1 || ac > 2 || len < ac * 4 || p->ncpus == PLAT_MAX_CPUS)
            continue;
        p->cpu_mpidr[p->ncpus++] = read_cells(reg, ac);
    }
}

static void parse_psci(const void *fdt, struct platform *p)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");
    if (node < 0)
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci");
    if (node < 0)
        return;
    const char *method = fdt_getprop(fdt, node, "method", NULL);
    p->psci = method != NULL;
    p->psci_smc = method && !strcmp(method, "smc");
}

/* Architected timer interrupts (binding arm,armv8-timer): four PPIs in the
 * order secure physical, non-secure physical, virtual, hypervisor physical;
 * each as (type, number, flags) with PPI n being INTID 16 + n. Without the
 * node, the SBSA-recommended INTIDs 27 and 26 are assumed. */
static void parse_timer(const void *fdt, struct platform *p)
{
    p->timer_virt_intid = 27;
    p->timer_hyp_intid = 26;
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
    int len;
    const fdt32_t *irq = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;
    if (!irq || len < 12 * 4)
        return;
    if (fdt32_to_cpu(irq[6]) == 1)
        p->timer_virt_intid = 16 + fdt32_to_cpu(irq[7]);
    if (fdt32_to_cpu(irq[9]) == 1)
        p->timer_hyp_intid = 16 + fdt32_to_cpu(irq[10]);
}

/* The windows of a PCIe host bridge, from its "ranges": each entry is
 * (3-cell PCI address, parent address, 2-cell size). */
static int parse_pcie_windows(const void *fdt, int node, int parent, bool hv_owned,
                              struct platform *p)
{
    int len;
    const fdt32_t *r = fdt_getprop(fdt, node, "ranges", &len);
    int pa = addr_cells(fdt, parent);
    if (!r || addr_cells(fdt, node) != 3 || size_cells(fdt, node) != 2 || pa < 1 || pa > 2)
        return PLAT_OK;
    int stride = (3 + pa + 2) * 4;
    for (int off = 0; off + stride <= len; off += stride) {
        const fdt32_t *e = r + off / 4;
        uint32_t space = (fdt32_to_cpu(e[0]) >> 24) & 3; /* 1 I/O, 2 mem32, 3 mem64 */
        uint64_t base = read_cells(e + 3, pa);
        uint64_t size = read_cells(e + 3 + pa, 2);
        const char *name = space == 1 ? "pcie-io" : space == 2 ? "pcie-mem32" : "pcie-mem64";
        int rc = add_dev(p, base, size, hv_owned, name);
        if (rc)
            return rc;
    }
    return PLAT_OK;
}

static bool is_compatible(const void *fdt, int node, const char *c);

/* The host bridge's "iommu-map" (PCI IOMMU binding): entries of (rid-base,
 * IOMMU phandle, stream-ID base, length). Only entries that name the SMMU
 * the hypervisor drives (driven_smmu) count: those RIDs are translated; any
 * other RID, one sent to a second SMMU that nobody programs included,
 * reaches memory untranslated. "bus-range" says which bus numbers the
 * bridge decodes. */
static void parse_pcie_iommu_map(const void *fdt, int node, struct platform *p)
{
    int smmu = driven_smmu(fdt);
    int len;
    const fdt32_t *r = fdt_getprop(fdt, node, "bus-range", &len);
    p->pcie_bus_first = r && len == 8 ? fdt32_to_cpu(r[0]) & 0xff : 0;
    p->pcie_bus_last = r && len == 8 ? fdt32_to_cpu(r[1]) & 0xff : 0xff;
    struct rid_map *m = &p->pcie_rids;
    const fdt32_t *mask = fdt_getprop(fdt, node, "iommu-map-mask", &len);
    m->mask = mask && len == 4 ? fdt32_to_cpu(mask[0]) : 0xffff;
    m->n = 0;
    const fdt32_t *map = fdt_getprop(fdt, node, "iommu-map", &len);
    for (int off = 0; map && off + 16 <= len && m->n < RID_MAP_MAX; off += 16) {
        const fdt32_t *e = map + off / 4;
        if (smmu < 0 || fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(e[1])) != smmu)
            continue;
        m->base[m->n] = fdt32_to_cpu(e[0]);
        m->length[m->n] = fdt32_to_cpu(e[3]);
        m->n++;
    }
}

/* A one-cell (u32) or one- or two-cell (u64) property, or `dflt`. */
static uint32_t prop_u32(const void *fdt, int node, const char *name, uint32_t dflt)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, name, &len);
    return v && len == 4 ? fdt32_to_cpu(v[0]) : dflt;
}

static uint64_t prop_u64(const void *fdt, int node, const char *name, uint64_t dflt)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, name, &len);
    if (v && len == 8)
        return ((uint64_t)fdt32_to_cpu(v[0]) << 32) | fdt32_to_cpu(v[1]);
    return v && len == 4 ? fdt32_to_cpu(v[0]) : dflt;
}

static bool is_compatible(const void *fdt, int node, const char *c)
{
    return fdt_node_check_compatible(fdt, node, c) == 0;
}

/* Devices the hypervisor keeps: never in VTL0's stage 2, their nodes
 * removed from VTL0's device tree. Each of them can write any physical
 * memory, past every stage-2 check:
 *   arm,smmu-v3       the IOMMU: whoever programs it decides where DMA goes;
 *   arm,gic-v3-its    the GIC's ITS walks and writes tables at addresses its
 *                     driver hands it;
 *   qemu,fw-cfg-mmio  QEMU's firmware configuration device: its DMA
 *                     interface copies to any address it is given. */
const char *const platform_hv_devices[] = {
    "arm,smmu-v3",
    "arm,gic-v3-its",
    "qemu,fw-cfg-mmio",
    NULL,
};

/* A host bridge has an SMMU in front of it if its iommu-map sends at
 * least one range of requester IDs to an enabled arm,smmu-v3 (the one the
 * hypervisor drives). Without one, none of its functions' DMA would be
 * translated: the whole bridge is kept from VTL0. With one, a function
 * whose RID the map does not send there is hidden on its own (pcie.c,
 * parse_pcie_iommu_map). */
static bool pcie_behind_smmu(const void *fdt, int node)
{
    int len;
    const fdt32_t *map = fdt_getprop(fdt, node, "iommu-map", &len);
    int smmu = driven_smmu(fdt);
    if (!map || len < 16 || smmu < 0)
        return false;
    for (int i = 0; i + 4 <= len / 4; i += 4) {
        if (fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(map[i + 1])) == smmu &&
            fdt32_to_cpu(map[i + 3]) != 0)
            return true;
    }
    return false;
}

bool platform_is_hv_device(const void *fdt, int node)
{
    for (unsigned i = 0; platform_hv_devices[i]; i++) {
        if (is_compatible(fdt, node, platform_hv_devices[i]))
            return true;
    }
    return false;
}

/* Record well-known devices and add every reg range of a memory-mapped node
 * to the device list. */
static int parse_device(const void *fdt, const int *ancestors, int depth, struct platform *p)
{
    int node = ancestors[depth], parent = ancestors[depth - 1];
    int ac = addr_cells(fdt, parent), sc = size_cells(fdt, parent);
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || ac < 1 || ac > 2 || sc < 0 || sc > 2)
        return PLAT_OK; /* not addressed like memory (PCI functions, cpus...) */
    const char *name = fdt_get_name(fdt, node, NULL);
    bool smmu = is_compatible(fdt, node, "arm,smmu-v3");
    bool hv_owned = platform_is_hv_device(fdt, node);
    bool virtio = is_compatible(fdt, node, "virtio,mmio");
    bool ecam = is_compatible(fdt, node, "pci-host-ecam-generic");
    if (ecam && !pcie_behind_smmu(fdt, node)) {
        hv_owned = true;
        p->pcie_unprotected = true;
    }
    int stride = (ac + sc) * 4, index = 0;
    for (int off = 0; off + stride <= len; off += stride, index++) {
        uint64_t base = read_cells(reg + off / 4, ac);
        uint64_t size = sc ? read_cells(reg + off / 4 + ac, sc) : 0;
        if (size == 0 || !translate(fdt, ancestors, depth - 1, &base))
            continue;
        if (is_compatible(fdt, node, "arm,pl011") && !p->uart.size) {
            p->uart.base = base;
            p->uart.size = size;
        }
        if (is_compatible(fdt, node, "arm,gic-v3")) {
            p->gic_version = 3;
            p->gicr_regions = prop_u32(fdt, node, "#redistributor-regions", 1);
            p->gicr_stride = prop_u64(fdt, node, "redistributor-stride", 0);
            if (index == 0)
                p->gicd = (struct plat_range){ base, size };
            else if (index == 1)
                p->gicr = (struct plat_range){ base, size };
        }
        if (smmu && !p->has_smmu) {
            p->has_smmu = true;
            p->smmu = (struct plat_range){ base, size };
        }
        if (is_compatible(fdt, node, "pci-host-ecam-generic") && index == 0) {
            if (p->has_pcie)
                hv_owned = true; /* one emulated ECAM only (pcie.c): keep the rest */
            else
                p->ecam = (struct plat_range){ base, size };
            p->has_pcie = true;
        }
        int rc = add_dev(p, base, size, hv_owned, name);
        if (rc)
            return rc;
        p->dev[p->ndev - 1].virtio_mmio = virtio;
    }
    if (ecam) {
        if (!hv_owned)
            parse_pcie_iommu_map(fdt, node, p);
        return parse_pcie_windows(fdt, node, parent, hv_owned, p);
    }
    return PLAT_OK;
}

int platform_parse(const void *fdt, struct platform *p)
{
    memset(p, 0, sizeof(*p));
    p->bootargs = "";
    if (fdt_check_header(fdt) != 0)
        return PLAT_ERR_FDT;
    int rc = parse_memory(fdt, p);
    if (rc)
        return rc;
    parse_cpus(fdt, p);
    parse_psci(fdt, p);
    parse_timer(fdt, p);

    /* fdt_next_node counts the root as depth 1; ancestors[d - 1] is the node
     * at depth d, so ancestors[0] is the root. */
    int ancestors[MAX_DEPTH];
    int node = -1, depth = 0;
    while ((node = fdt_next_node(fdt, node, &depth)) >= 0 && depth > 0) {
        if (depth > MAX_DEPTH)
            return PLAT_ERR_FDT;
        ancestors[depth - 1] = node;
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        if (depth == 1 || (type && (!strcmp(type, "memory") || !strcmp(type, "cpu"))))
            continue;
        if (!node_enabled(fdt, node))
            continue;
        rc = parse_device(fdt, ancestors, depth - 1, p);
        if (rc)
            return rc;
    }
    if (node < 0 && node != -FDT_ERR_NOTFOUND)
        return PLAT_ERR_FDT;
    if (!p->uart.size)
        return PLAT_ERR_NO_UART;

    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen >= 0) {
        const char *args = fdt_getprop(fdt, chosen, "bootargs", NULL);
        if (args)
            p->bootargs = args;
    }
    return PLAT_OK;
}

bool platform_node_base(const void *fdt, const int *ancestors, int depth, uint64_t *base)
{
    if (depth < 1 || depth >= MAX_DEPTH)
        return false;
    int node = ancestors[depth], parent = ancestors[depth - 1];
    int ac = addr_cells(fdt, parent), sc = size_cells(fdt, parent);
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || ac < 1 || ac > 2 || sc < 0 || sc > 2 || len < (ac + sc) * 4)
        return false;
    *base = read_cells(reg, ac);
    return translate(fdt, ancestors, depth - 1, base);
}

const char *platform_error(int err)
{
    switch (err) {
    case PLAT_OK: return "ok";
    case PLAT_ERR_FDT: return "invalid device tree";
    case PLAT_ERR_NO_RAM: return "no memory node";
    case PLAT_ERR_NO_UART: return "no PL011 UART";
    case PLAT_ERR_CELLS: return "unsupported #address-cells/#size-cells";
    case PLAT_ERR_TOO_MANY: return "too many ranges";
    default: return "unknown error";
    }
}

bool platform_has_arg(const struct platform *p, const char *key)
{
    size_t klen = strlen(key);
    const char *s = p->bootargs;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *end = s;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - s) == klen && !strncmp(s, key, klen))
            return true;
        s = end;
    }
    return false;
}
