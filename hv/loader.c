/* loader.c: loads and measures the boot images and starts the guests (EL2,
 * at the end of boot). The secure kernel is an ELF64 file in the
 * hypervisor's payload and goes into memory that becomes VTL1's. VTL0's
 * kernel is either the test kernel, an ELF64 file in the payload whose
 * segments must land entirely in VTL0 RAM, or a Linux arm64 Image (and an
 * initramfs) that the boot loader put in RAM and named in the hypervisor's
 * boot arguments (vtl0.kernel=ADDR,SIZE vtl0.initrd=ADDR,SIZE, VTL0's
 * command line after " -- "; docs/linux.md): checked to lie wholly in VTL0
 * RAM, apart from each other and from the device tree, and measured.
 * VTL0 receives a device tree (x0, as in the Linux arm64 boot protocol)
 * that describes only what VTL0 may use: its own RAM, no SMMU. The secure
 * kernel runs first; VTL0 starts when it says boot is done. */
#include <libfdt.h>
#include <string.h>
#include "arm64/sysreg.h"
#include "devices.h"
#include "elf.h"
#include "gic.h"
#include "hv.h"
#include "layout.h"
#include "linux_image.h"
#include "measure.h"
#include "percpu.h"
#include "smmu.h"
#include "trap.h"
#include "vtl.h"

extern const uint8_t vtl0_image_start[], vtl0_image_end[];
extern const uint8_t sk_image_start[], sk_image_end[];

bool hv_bench_mode;

static bool owned_by(uint8_t owner, uint64_t base, uint64_t size)
{
    if (size == 0 || base + size < base)
        return false;
    for (uint64_t a = base & ~(PAGE_SIZE - 1); a < base + size; a += PAGE_SIZE) {
        if (owner_of(&hv_owners, a) != owner)
            return false;
    }
    return true;
}

static void fail(const char *what, const char *why)
{
    hv_log("FATAL: %s: %s", what, why);
    hv_halt_failure();
}

static void check_image(const char *what, const uint8_t *start, const uint8_t *end,
                        struct elf_image *img)
{
    int rc = elf_check(start, (size_t)(end - start), img);
    if (rc)
        fail(what, elf_error(rc));
}

/* Copy every segment to where it belongs (all were checked to lie in
 * `owner`'s memory) and measure the file. */
static void load_image(const char *name, uint8_t owner, const uint8_t *start,
                       const uint8_t *end, const struct elf_image *img)
{
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_segment *s = &img->seg[i];
        if (!owned_by(owner, s->addr, s->memsz))
            fail(name, "segment outside its VTL's memory");
    }
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_segment *s = &img->seg[i];
        memcpy((void *)(uintptr_t)s->addr, start + s->offset, s->filesz);
        memset((void *)(uintptr_t)(s->addr + s->filesz), 0, s->memsz - s->filesz);
    }
    /* The guest starts with its MMU off, so its fetches and loads are not
     * cached: what we wrote must reach memory (real hardware has caches;
     * QEMU does not model them). Then it executes what we wrote through the
     * data side, so the instruction caches go too. */
    for (unsigned i = 0; i < img->nseg; i++)
        clean_to_poc((const void *)(uintptr_t)img->seg[i].addr, img->seg[i].memsz);
    dsb_ish();
    __asm__ volatile("ic ialluis" ::: "memory");
    dsb_ish();
    isb();
    measure_image(name, img->seg[0].addr, start, (uint64_t)(end - start));
    hv_log("%s: %u segments, entry 0x%lx", name, img->nseg, img->entry);
}

/* VTL1's memory is the 2 MiB-aligned window of HV_VTL1_SIZE that starts
 * below the secure kernel's lowest segment; the image must fit inside. */
static void reserve_vtl1(const struct elf_image *sk, uint64_t *base, uint64_t *size)
{
    uint64_t lo = ~0ull, hi = 0;
    for (unsigned i = 0; i < sk->nseg; i++) {
        if (sk->seg[i].addr < lo)
            lo = sk->seg[i].addr;
        if (sk->seg[i].addr + sk->seg[i].memsz > hi)
            hi = sk->seg[i].addr + sk->seg[i].memsz;
    }
    *base = lo & ~((2ull << 20) - 1);
    *size = HV_VTL1_SIZE;
    if (hi > *base + *size)
        fail("secure kernel image refused", "larger than VTL1's memory");
    mem_reserve_vtl1(*base, *size);
}

/* Rewrite the copied tree: memory = VTL0's RAM runs only; the SMMU and
 * references to it removed; the tree itself reserved. */
/* Whether any property may be called `name`: every property name is in the
 * tree's strings block, whole or as the tail of a longer name (dtc shares
 * tails), so looking for "name\0" anywhere there saves walking every node. */
static bool tree_uses_name(const void *fdt, const char *name)
{
    const char *strings = (const char *)fdt + fdt_off_dt_strings(fdt);
    size_t total = fdt_size_dt_strings(fdt), n = strlen(name) + 1;
    for (size_t off = 0; off + n <= total; off++) {
        if (!memcmp(strings + off, name, n))
            return true;
    }
    return false;
}

/* Remove every virtio-mmio node on a page VTL0 does not own (virtio_mmio.c
 * kept it): the driver would otherwise probe a page that is not there. One
 * walk finds them; they are deleted last first, because deleting a node
 * moves only the offsets after it. */
static int remove_kept_virtio_mmio(void *fdt)
{
    int ancestors[PLAT_MAX_DEPTH], doomed[PLAT_MAX_DEVS];
    int node = -1, depth = 0, n = 0;
    while ((node = fdt_next_node(fdt, node, &depth)) >= 0 && depth > 0) {
        if (depth > PLAT_MAX_DEPTH)
            return -FDT_ERR_BADSTRUCTURE;
        ancestors[depth - 1] = node;
        if (fdt_node_check_compatible(fdt, node, "virtio,mmio") != 0)
            continue;
        uint64_t base;
        if (platform_node_base(fdt, ancestors, depth - 1, &base) &&
            owner_of(&hv_owners, base) == OWNER_MMIO_VTL0)
            continue;
        if (n == PLAT_MAX_DEVS)
            return -FDT_ERR_NOSPACE;
        doomed[n++] = node;
    }
    while (n > 0) {
        int rc = fdt_del_node(fdt, doomed[--n]);
        if (rc)
            return rc;
    }
    return 0;
}

/* What VTL0 boots: the ranges its kernel (and initramfs) occupy, which the
 * device tree must not overlap, its entry point, and for Linux the
 * initramfs and command line the tree passes on. */
#define VTL0_MAX_RANGES (ELF_MAX_SEGMENTS + 2)
struct vtl0_boot {
    uint64_t entry;
    unsigned nranges;
    uint64_t range_base[VTL0_MAX_RANGES], range_size[VTL0_MAX_RANGES];
    uint64_t initrd_base, initrd_size; /* size 0: none */
    const char *cmdline;               /* NULL: none */
};

static void add_range(struct vtl0_boot *b, uint64_t base, uint64_t size)
{
    b->range_base[b->nranges] = base;
    b->range_size[b->nranges] = size;
    b->nranges++;
}

static bool overlaps(const struct vtl0_boot *b, uint64_t base, uint64_t size)
{
    for (unsigned i = 0; i < b->nranges; i++) {
        if (base < b->range_base[i] + b->range_size[i] && b->range_base[i] < base + size)
            return true;
    }
    return false;
}

/* /chosen for Linux (Documentation/devicetree/bindings/chosen.txt):
 * bootargs is VTL0's own command line, never the hypervisor's arguments;
 * linux,initrd-start/-end (64-bit cells) bound the initramfs. */
static int set_chosen_for_vtl0(void *fdt, int chosen, const struct vtl0_boot *b)
{
    int rc = b->cmdline ? fdt_setprop_string(fdt, chosen, "bootargs", b->cmdline)
                        : fdt_delprop(fdt, chosen, "bootargs");
    if (rc == -FDT_ERR_NOTFOUND)
        rc = 0;
    if (!rc && b->initrd_size)
        rc = fdt_setprop_u64(fdt, chosen, "linux,initrd-start", b->initrd_base);
    if (!rc && b->initrd_size)
        rc = fdt_setprop_u64(fdt, chosen, "linux,initrd-end", b->initrd_base + b->initrd_size);
    return rc;
}

static int edit_vtl0_fdt(void *fdt, uint64_t fdt_base, uint64_t fdt_size,
                         const struct vtl0_boot *b)
{
    int rc, node;
    while ((node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory",
                                                 sizeof("memory"))) >= 0) {
        rc = fdt_del_node(fdt, node);
        if (rc)
            return rc;
    }
    node = fdt_add_subnode(fdt, 0, "memory");
    if (node < 0)
        return node;
    rc = fdt_setprop_string(fdt, node, "device_type", "memory");
    struct own_run r;
    struct own_iter it;
    for (owner_iter_init(&it); !rc && owner_iter_next(&hv_owners, &it, &r);) {
        if (r.owner != OWNER_VTL0)
            continue;
        rc = fdt_appendprop_addrrange(fdt, 0, node, "reg", r.base, r.size);
    }
    if (rc)
        return rc;
    for (unsigned i = 0; platform_hv_devices[i]; i++) {
        while ((node = fdt_node_offset_by_compatible(fdt, -1, platform_hv_devices[i])) >= 0) {
            rc = fdt_del_node(fdt, node);
            if (rc)
                return rc;
        }
    }
    rc = remove_kept_virtio_mmio(fdt);
    if (rc)
        return rc;
    /* A host bridge with no SMMU in front of it is the hypervisor's whole
     * (platform.c): VTL0 must not find it and enumerate a window it does
     * not have. */
    while (hv_platform.pcie_unprotected &&
           (node = fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic")) >= 0) {
        rc = fdt_del_node(fdt, node);
        if (rc)
            return rc;
    }
    /* Drop references to the removed IOMMU and ITS. VTL0 gets no MSI
     * controller at all, so MSI parents go too. */
    static const char *const refs[] = { "iommu-map", "iommu-map-mask", "iommus",
                                        "msi-map", "msi-map-mask", "msi-parent" };
    for (unsigned i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        if (!tree_uses_name(fdt, refs[i]))
            continue; /* no node has it: skip the walk */
        node = -1;
        int depth = 0;
        while ((node = fdt_next_node(fdt, node, &depth)) >= 0)
            fdt_delprop(fdt, node, refs[i]);
    }
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0)
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    if (chosen < 0)
        return chosen;
    rc = fdt_setprop_string(fdt, chosen, "openvbs,hypervisor", "OpenVBS 0.2");
    if (!rc)
        rc = set_chosen_for_vtl0(fdt, chosen, b);
    if (rc)
        return rc;
    rc = fdt_add_mem_rsv(fdt, fdt_base, fdt_size);
    if (rc)
        return rc;
    return fdt_pack(fdt);
}

/* The tree goes at the first 2 MiB-aligned VTL0 address where it overlaps
 * nothing VTL0's kernel occupies. */
static uint64_t place_vtl0_fdt(const struct vtl0_boot *b, uint64_t size)
{
    struct own_run r;
    struct own_iter it;
    for (owner_iter_init(&it); owner_iter_next(&hv_owners, &it, &r);) {
        if (r.owner != OWNER_VTL0)
            continue;
        for (uint64_t a = (r.base + (2ull << 20) - 1) & ~((2ull << 20) - 1);
             a + size <= r.base + r.size; a += 2ull << 20) {
            if (!overlaps(b, a, size))
                return a;
        }
    }
    return 0;
}

static uint64_t prepare_vtl0_fdt(const struct vtl0_boot *b)
{
    /* Firmware trees often carry a large empty tail (QEMU's is 1 MiB for
     * 8 KiB of content): pack ours first so only the content is copied. */
    int packed = fdt_pack((void *)(uintptr_t)hv_boot_fdt);
    if (packed)
        fail("boot device tree", fdt_strerror(packed));
    /* Packing moved the strings hv_platform.bootargs pointed at. */
    int chosen = fdt_path_offset(hv_boot_fdt, "/chosen");
    const char *args = chosen >= 0 ? fdt_getprop(hv_boot_fdt, chosen, "bootargs", NULL) : NULL;
    hv_platform.bootargs = args ? args : "";
    uint64_t size = fdt_totalsize(hv_boot_fdt) + HV_FDT_SLACK;
    size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t base = place_vtl0_fdt(b, size);
    if (!base)
        fail("VTL0 device tree", "no room in VTL0 RAM");
    void *fdt = (void *)(uintptr_t)base;
    int rc = fdt_open_into(hv_boot_fdt, fdt, (int)size);
    if (!rc)
        rc = edit_vtl0_fdt(fdt, base, size, b);
    if (rc)
        fail("VTL0 device tree", fdt_strerror(rc));
    /* VTL0 reads it with its MMU off, i.e. uncached: it must be in memory,
     * not only in this CPU's cache. */
    clean_to_poc(fdt, fdt_totalsize(fdt));
    hv_log("VTL0 device tree at 0x%lx (%u bytes)", base, fdt_totalsize(fdt));
    measure_image("vtl0-dtb", base, fdt, fdt_totalsize(fdt));
    return base;
}

/* A boot argument range that must lie wholly in VTL0 RAM, and overlap
 * nothing else VTL0 boots with. */
static void check_vtl0_range(const struct vtl0_boot *b, const char *what, uint64_t base,
                             uint64_t size)
{
    if (!owned_by(OWNER_VTL0, base, size)) {
        hv_log("FATAL: %s [0x%lx, +0x%lx) is not wholly in VTL0 RAM (hypervisor, VTL1 or "
               "no RAM)", what, base, size);
        hv_halt_failure();
    }
    if (overlaps(b, base, size)) {
        hv_log("FATAL: %s [0x%lx, +0x%lx) overlaps the kernel", what, base, size);
        hv_halt_failure();
    }
}

/* VTL0's command line, copied out of the boot arguments: those live in the
 * firmware's device tree, which prepare_vtl0_fdt packs in place (moving its
 * strings) before the copy for VTL0 is made. Longer than the buffer:
 * refused, not cut. */
static char vtl0_cmdline[1024];

static void copy_cmdline(struct vtl0_boot *b, const char *cmdline)
{
    if (!cmdline)
        return;
    size_t n = strlen(cmdline);
    if (n >= sizeof(vtl0_cmdline))
        fail("VTL0 command line", "longer than 1023 bytes");
    memcpy(vtl0_cmdline, cmdline, n + 1);
    b->cmdline = vtl0_cmdline;
}

/* vtl0.kernel=ADDR,SIZE (and optionally vtl0.initrd=ADDR,SIZE): a Linux
 * Image the boot loader put in RAM. False if the arguments name none. */
static bool find_linux(struct vtl0_boot *b)
{
    const char *args = hv_platform.bootargs;
    bool present;
    uint64_t base, size;
    bool ok = bootarg_range(args, "vtl0.kernel=", &present, &base, &size);
    if (!present)
        return false;
    if (!ok)
        fail("vtl0.kernel=", "expected ADDR,SIZE");
    /* The header is read only once the file is known to be VTL0's. */
    check_vtl0_range(b, "Linux Image", base, size ? size : 1);
    struct linux_image img;
    enum image_err e = linux_image_check((const void *)(uintptr_t)base, base, size, &img);
    if (e != IMG_OK)
        fail("Linux Image refused", linux_image_error(e));
    check_vtl0_range(b, "Linux Image (with its image_size)", base, img.footprint);
    add_range(b, base, img.footprint);
    b->entry = base;
    copy_cmdline(b, bootarg_vtl0_cmdline(args));
    measure_image("vtl0-kernel", base, (const void *)(uintptr_t)base, size);
    hv_log("vtl0-kernel: Linux Image at 0x%lx, %lu bytes, image_size 0x%lx, text_offset 0x%lx",
           base, size, img.footprint, img.text_offset);
    ok = bootarg_range(args, "vtl0.initrd=", &present, &base, &size);
    if (present && (!ok || size == 0))
        fail("vtl0.initrd=", "expected ADDR,SIZE with SIZE > 0");
    if (present) {
        check_vtl0_range(b, "initramfs", base, size);
        add_range(b, base, size);
        b->initrd_base = base;
        b->initrd_size = size;
        measure_image("vtl0-initrd", base, (const void *)(uintptr_t)base, size);
        hv_log("vtl0-initrd: at 0x%lx, %lu bytes", base, size);
    }
    return true;
}

/* EL2 controls for the guests. HCR_EL2 bits:
 *   VM (0)    stage-2 translation on
 *   SWIO (1)  set/way invalidate becomes clean+invalidate
 *   FMO, IMO (3, 4)  physical FIQs and IRQs are taken to EL2 (gic.c)
 *   AMO (5)   SErrors are taken to EL2
 *   TID3 (18) reads of the feature ID registers trap: VTL0 sees only the
 *             features whose state the VTL switch keeps (idregs.c)
 *   TSC (19)  SMC traps to EL2: PSCI is relayed, never passed through
 *   TACR (21) ACTLR_EL1 traps: its IMPLEMENTATION DEFINED bits are one
 *             register for both VTLs, so neither may use it
 * Left clear on purpose: EnSCXT (53), so SCXTNUM_EL0/EL1 trap and carry
 * nothing between VTLs or trustlets; VI/VF/VSE, the pending virtual
 * interrupts (list registers inject IRQs; VSE is per VTL, vtl.c).
 *   RW (31)   EL1 is AArch64
 *   APK, API (40, 41)  pointer-authentication keys/instructions don't trap */
#define HCR_GUEST ((1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 4) | (1ull << 5) | \
                   (1ull << 18) | (1ull << 19) | (1ull << 21) | (1ull << 31) | (1ull << 40) | \
                   (1ull << 41))

void el2_controls_setup(void)
{
    idregs_cpu_init(this_cpu()->index);
    WRITE_SYSREG(hcr_el2, HCR_GUEST);
    el1_pin_cpu_init(); /* a CPU coming online after the kernel lock */
    WRITE_SYSREG(vpidr_el2, READ_SYSREG(midr_el1));
    WRITE_SYSREG(vmpidr_el2, READ_SYSREG(mpidr_el1));
    /* CNTHCTL_EL2 per VTL (vtl.c): EL1PCTEN, the physical counter, for
     * both; EL1PCEN, the physical timer, for VTL0 only. */
    WRITE_SYSREG(cnthctl_el2, 1);
    WRITE_SYSREG(cntvoff_el2, 0);
    if (hv_features & OVBS_FEAT_RAS) {
        WRITE_SYSREG(S3_4_C5_C2_3, 0);  /* VSESR_EL2: one fixed syndrome */
        WRITE_SYSREG(S3_4_C12_C1_1, 0); /* VDISR_EL2: nothing deferred */
    }
    /* ICC_SRE_EL2: SRE (GICv3 system registers at EL2), Enable (EL1 may
     * use them too). */
    if (hv_platform.gic_version == 3) {
        WRITE_SYSREG(S3_4_C12_C9_5, 0x9);
        isb();
    }
    /* MDCR_EL2: HPMN = all counters to the guest, so VTL0 may profile
     * itself. It must not profile the hypervisor or VTL1 (VTL1 is covered by
     * stopping the PMU on the switch, vtl.c). At EL2: HPMD (bit 17)
     * prohibits the event counters, but the cycle counter keeps counting
     * unless HCCD (bit 23, FEAT_PMUv3p5: ID_AA64DFR0_EL1.PMUVer >= 6) is
     * set too. `hv.bench` clears both for the instruction-count benchmarks. */
    uint64_t n = (READ_SYSREG(pmcr_el0) >> 11) & 0x1f;
    uint64_t pmuver = (READ_SYSREG(id_aa64dfr0_el1) >> 8) & 0xf;
    uint64_t hide = 1ull << 17;
    if (pmuver >= 6 && pmuver != 0xf)
        hide |= 1ull << 23;
    else
        hv_log("PMU without FEAT_PMUv3p5: VTL0's cycle counter also counts at EL2");
    /* TDA (bit 9), TDOSA (bit 10), TDRA (bit 11): debug registers, the OS
     * lock and the debug ROM address trap to EL2, which makes them read as
     * zero and ignore writes (trap.c): a breakpoint, watchpoint or single
     * step armed in one VTL would otherwise fire in the other. TTRF (bit 19):
     * the trace filter (TRFCR_EL1) traps too, so VTL0 cannot trace VTL1. */
    uint64_t debug_traps = (1ull << 9) | (1ull << 10) | (1ull << 11) | (1ull << 19);
    WRITE_SYSREG(mdcr_el2, n | debug_traps | (hv_bench_mode ? 0 : hide));
    isb();
}

_Noreturn void loader_boot(void)
{
    struct elf_image sk, k0;
    struct vtl0_boot b = { 0 };
    uint64_t vtl1_base, vtl1_size;
    check_image("secure kernel image refused", sk_image_start, sk_image_end, &sk);
    reserve_vtl1(&sk, &vtl1_base, &vtl1_size);
    bool linux = find_linux(&b); /* before anything is written to RAM */
    load_image("sk", OWNER_VTL1, sk_image_start, sk_image_end, &sk);
    if (!linux) {
        check_image("VTL0 kernel image refused", vtl0_image_start, vtl0_image_end, &k0);
        load_image("vtl0-kernel", OWNER_VTL0, vtl0_image_start, vtl0_image_end, &k0);
        for (unsigned i = 0; i < k0.nseg; i++)
            add_range(&b, k0.seg[i].addr, k0.seg[i].memsz);
        b.entry = k0.entry;
    }
    mem_build_stage2();
    gicr_protect(&vtl0_stage2);
    gicd_protect(&vtl0_stage2);
    pcie_protect(&vtl0_stage2);
    uint64_t fdt = prepare_vtl0_fdt(&b);
    el2_controls_setup();
    hv_log("boot images loaded (pool: %lu pages free)", pool_pages_free());
    smmu_enable(); /* last: every device's DMA is translated before any guest runs */
    vtl_start(sk.entry, vtl1_base, vtl1_size, b.entry, fdt);
}
