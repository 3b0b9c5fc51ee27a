/* loader.c: loads the VTL0 kernel and starts it (EL2, at the end of boot).
 * The kernel is an ELF64 image from the hypervisor's payload; every segment
 * must land in VTL0-owned RAM. VTL0 receives a device tree (x0, as in the
 * Linux arm64 boot protocol) that describes only what VTL0 may use: its own
 * RAM, no SMMU. */
#include <libfdt.h>
#include <string.h>
#include "arm64/sysreg.h"
#include "elf.h"
#include "hv.h"
#include "percpu.h"

extern const uint8_t vtl0_image_start[], vtl0_image_end[];

static struct vp vps[HV_MAX_CPUS];
bool hv_bench_mode;

static bool vtl0_owns(uint64_t base, uint64_t size)
{
    if (size == 0 || base + size < base)
        return false;
    for (uint64_t a = base & ~(PAGE_SIZE - 1); a < base + size; a += PAGE_SIZE) {
        if (owner_of(&hv_owners, a) != OWNER_VTL0)
            return false;
    }
    return true;
}

static void fail(const char *what, const char *why)
{
    hv_log("FATAL: %s: %s", what, why);
    hv_halt_failure();
}

static uint64_t load_kernel(struct elf_image *img, uint64_t *end)
{
    size_t size = (size_t)(vtl0_image_end - vtl0_image_start);
    int rc = elf_check(vtl0_image_start, size, img);
    if (rc)
        fail("VTL0 kernel image refused", elf_error(rc));
    *end = 0;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_segment *s = &img->seg[i];
        if (!vtl0_owns(s->addr, s->memsz))
            fail("VTL0 kernel image refused", "segment outside VTL0 RAM");
    }
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_segment *s = &img->seg[i];
        memcpy((void *)(uintptr_t)s->addr, vtl0_image_start + s->offset, s->filesz);
        memset((void *)(uintptr_t)(s->addr + s->filesz), 0, s->memsz - s->filesz);
        if (s->addr + s->memsz > *end)
            *end = s->addr + s->memsz;
    }
    /* The kernel will execute what we just wrote through the data side. */
    dsb_ish();
    __asm__ volatile("ic ialluis" ::: "memory");
    dsb_ish();
    isb();
    hv_log("VTL0 kernel: %u segments, entry 0x%lx, %zu bytes", img->nseg, img->entry, size);
    return img->entry;
}

/* Rewrite the copied tree: memory = VTL0's RAM runs only; the SMMU and
 * references to it removed; the tree itself reserved. */
static int edit_vtl0_fdt(void *fdt, uint64_t fdt_base, uint64_t fdt_size)
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
    while ((node = fdt_node_offset_by_compatible(fdt, -1, "arm,smmu-v3")) >= 0) {
        rc = fdt_del_node(fdt, node);
        if (rc)
            return rc;
    }
    node = -1;
    int depth = 0;
    while ((node = fdt_next_node(fdt, node, &depth)) >= 0) {
        fdt_delprop(fdt, node, "iommu-map");
        fdt_delprop(fdt, node, "iommu-map-mask");
        fdt_delprop(fdt, node, "iommus");
    }
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0)
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    if (chosen < 0)
        return chosen;
    rc = fdt_setprop_string(fdt, chosen, "openvbs,hypervisor", "OpenVBS 0.2");
    if (rc)
        return rc;
    rc = fdt_add_mem_rsv(fdt, fdt_base, fdt_size);
    if (rc)
        return rc;
    return fdt_pack(fdt);
}

/* The tree goes at the first 2 MiB-aligned VTL0 address past the kernel's
 * lowest segment conflicts. */
static uint64_t place_vtl0_fdt(const struct elf_image *img, uint64_t size)
{
    struct own_run r;
    struct own_iter it;
    for (owner_iter_init(&it); owner_iter_next(&hv_owners, &it, &r);) {
        if (r.owner != OWNER_VTL0)
            continue;
        for (uint64_t a = (r.base + (2ull << 20) - 1) & ~((2ull << 20) - 1);
             a + size <= r.base + r.size; a += 2ull << 20) {
            bool clash = false;
            for (unsigned s = 0; s < img->nseg; s++) {
                if (a < img->seg[s].addr + img->seg[s].memsz && img->seg[s].addr < a + size)
                    clash = true;
            }
            if (!clash)
                return a;
        }
    }
    return 0;
}

static uint64_t prepare_vtl0_fdt(const struct elf_image *img)
{
    uint64_t size = fdt_totalsize(hv_boot_fdt) + HV_FDT_SLACK;
    size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t base = place_vtl0_fdt(img, size);
    if (!base)
        fail("VTL0 device tree", "no room in VTL0 RAM");
    void *fdt = (void *)(uintptr_t)base;
    int rc = fdt_open_into(hv_boot_fdt, fdt, (int)size);
    if (!rc)
        rc = edit_vtl0_fdt(fdt, base, size);
    if (rc)
        fail("VTL0 device tree", fdt_strerror(rc));
    hv_log("VTL0 device tree at 0x%lx (%u bytes)", base, fdt_totalsize(fdt));
    return base;
}

/* EL2 controls for a VTL0 guest. HCR_EL2 bits:
 *   VM (0)    stage-2 translation on
 *   SWIO (1)  set/way invalidate becomes clean+invalidate
 *   AMO (5)   SErrors are taken to EL2
 *   TSC (19)  SMC traps to EL2: PSCI is relayed, never passed through
 *   RW (31)   EL1 is AArch64
 *   APK, API (40, 41)  pointer-authentication keys/instructions don't trap */
#define HCR_GUEST ((1ull << 0) | (1ull << 1) | (1ull << 5) | (1ull << 19) | (1ull << 31) | \
                   (1ull << 40) | (1ull << 41))

static void setup_el2_controls(void)
{
    WRITE_SYSREG(hcr_el2, HCR_GUEST);
    WRITE_SYSREG(vpidr_el2, READ_SYSREG(midr_el1));
    WRITE_SYSREG(vmpidr_el2, READ_SYSREG(mpidr_el1));
    /* CNTHCTL_EL2: EL1PCTEN, EL1PCEN: EL1 may use the physical counter/timer. */
    WRITE_SYSREG(cnthctl_el2, 3);
    WRITE_SYSREG(cntvoff_el2, 0);
    /* ICC_SRE_EL2: SRE (GICv3 system registers at EL2), Enable (EL1 may
     * use them too). */
    if (hv_platform.gic_version == 3) {
        WRITE_SYSREG(S3_4_C12_C9_5, 0x9);
        isb();
    }
    /* MDCR_EL2: HPMN = all counters to the guest. HPMD (bit 17) stops the
     * counters at EL2 so VTL0 cannot profile the hypervisor; `hv.bench`
     * clears it for the instruction-count benchmarks. */
    uint64_t n = (READ_SYSREG(pmcr_el0) >> 11) & 0x1f;
    WRITE_SYSREG(mdcr_el2, n | (hv_bench_mode ? 0 : (1ull << 17)));
    /* SCTLR_EL1: RES1 bits only; the guest starts with its MMU off. */
    WRITE_SYSREG(sctlr_el1, 0x30d00800ull);
    isb();
}

void loader_start_vtl0(void)
{
    struct elf_image img;
    uint64_t end;
    uint64_t entry = load_kernel(&img, &end);
    uint64_t fdt = prepare_vtl0_fdt(&img);

    struct hv_cpu *cpu = this_cpu();
    struct vp *vp = &vps[cpu->index];
    vp->index = cpu->index;
    vp->active = VTL0;
    vp->vtl[VTL0].s2 = &vtl0_stage2;
    struct guest_regs *regs = &vp->vtl[VTL0].regs;
    memset(regs, 0, sizeof(*regs));
    regs->x[0] = fdt;
    regs->elr = entry;
    regs->spsr = PSR_MODE_EL1h | PSR_DAIF;
    cpu->vp = vp;
    cpu->cur_regs = regs;

    setup_el2_controls();
    stage2_activate(&vtl0_stage2);
    owner_end_boot(&hv_owners);
    hv_log("boot complete: entering VTL0 at EL1 (pool: %lu pages free)", pool_pages_free());
    extern _Noreturn void guest_first_entry(struct guest_regs *regs, uint64_t stack_top);
    guest_first_entry(regs, cpu->stack_top);
}
