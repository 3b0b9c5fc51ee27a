/* mem.c: physical memory at boot (EL2): carve the hypervisor's and VTL1's
 * ranges out of RAM in the ownership map, register devices, and build
 * VTL0's stage 2 from the map, so that the map is the single source of
 * truth for who may touch what. */
#include <libfdt.h>
#include "devices.h"
#include "hv.h"
#include "layout.h"
#include "percpu.h"
#include "smmu.h"
#include "stage2.h"

extern char __hv_start[], __hv_end[];

struct owner_map hv_owners;
struct stage2 vtl0_stage2, vtl1_stage2;

#define VMID_VTL0 1
#define VMID_VTL1 2

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static void stop(const char *what, uint64_t base, uint64_t size, int rc)
{
    hv_log("FATAL: %s [0x%lx, 0x%lx): error %d", what, base, base + size, rc);
    hv_halt_failure();
}

static void claim(uint64_t base, uint64_t size, uint8_t to, const char *what)
{
    int rc = owner_transition(&hv_owners, base, size, OWNER_VTL0, to);
    if (rc)
        stop(what, base, size, rc);
    hv_log("  %-10s [0x%010lx, 0x%010lx) %s", owner_name(to), base, base + size, what);
}

static void register_ram(void)
{
    uint64_t pages = 0;
    for (unsigned i = 0; i < hv_platform.nram; i++)
        pages += hv_platform.ram[i].size / PAGE_SIZE;
    /* The pool holds tables plus one ownership byte per RAM page. */
    uint64_t pool_base = align_up((uint64_t)(uintptr_t)__hv_end, PAGE_SIZE);
    uint64_t pool_size = HV_POOL_SIZE + align_up(pages, PAGE_SIZE);
    pool_init(pool_base, pool_size);
    for (unsigned i = 0; i < hv_platform.nram; i++) {
        uint64_t base = align_up(hv_platform.ram[i].base, PAGE_SIZE);
        uint64_t end = (hv_platform.ram[i].base + hv_platform.ram[i].size) & ~(PAGE_SIZE - 1);
        if (end <= base)
            continue;
        uint64_t n = (end - base) / PAGE_SIZE;
        uint8_t *state = pool_alloc_pages((unsigned)(align_up(n, PAGE_SIZE) / PAGE_SIZE), 1);
        int rc = state ? owner_add_ram(&hv_owners, base, end - base, state) : OWN_ERR_FULL;
        if (rc)
            stop("cannot register RAM", base, end - base, rc);
    }
    hv_log("memory layout:");
    uint64_t fdt = (uint64_t)(uintptr_t)hv_boot_fdt;
    claim(fdt & ~(PAGE_SIZE - 1), align_up(fdt_totalsize(hv_boot_fdt) + (fdt & (PAGE_SIZE - 1)), PAGE_SIZE),
          OWNER_HV, "boot device tree");
    uint64_t hv_base = (uint64_t)(uintptr_t)__hv_start;
    claim(hv_base, pool_base + pool_size - hv_base, OWNER_HV, "hypervisor image + page pool");
}

/* VTL1's memory: wherever the secure kernel's image says (loader.c). */
void mem_reserve_vtl1(uint64_t base, uint64_t size)
{
    claim(base, size, OWNER_VTL1, "VTL1: secure kernel and its memory");
}

/* Devices the hypervisor keeps are registered first, so a VTL0 device that
 * shares a page with one of them loses that page (fail closed). */
static void register_devices(void)
{
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < hv_platform.ndev; i++) {
            const struct plat_dev *d = &hv_platform.dev[i];
            if (d->hv_owned != (pass == 0))
                continue;
            uint8_t owner = d->hv_owned ? OWNER_MMIO_HV : OWNER_MMIO_VTL0;
            int rc = owner_add_mmio(&hv_owners, d->base, d->size, owner, d->name);
            if (rc)
                hv_log("  device %s [0x%lx, 0x%lx) not given to VTL0: error %d", d->name,
                       d->base, d->base + d->size, rc);
        }
    }
}

/* The ownership map's access bits double as page-table permissions. */
_Static_assert(OVBS_ACC_R == PT_R && OVBS_ACC_W == PT_W && OVBS_ACC_XK == PT_XK &&
                   OVBS_ACC_XU == PT_XU,
               "OVBS_ACC_* and PT_* must agree");

static unsigned stage2_prot_for(const struct own_run *r)
{
    unsigned prot = r->access; /* OVBS_ACC_* and PT_R/W/XK/XU share values */
    if (r->owner == OWNER_MMIO_VTL0)
        prot |= PT_DEVICE;
    return prot;
}

/* What each VTL's stage 2 shows of a run of the ownership map:
 *   VTL0: its RAM with the access VTL1 allows, its devices; nothing else.
 *   VTL1: its own RAM (RWX), VTL0's RAM read/write but never executable,
 *         no devices at all, never hypervisor memory. */
static bool vtl_view(enum vtl vtl, const struct own_run *r, unsigned *prot)
{
    if (vtl == VTL0) {
        if (r->owner == OWNER_VTL0 || r->owner == OWNER_MMIO_VTL0) {
            *prot = stage2_prot_for(r);
            return true;
        }
        return false;
    }
    if (r->owner == OWNER_VTL1) {
        *prot = OVBS_ACC_RWX;
        return true;
    }
    if (r->owner == OWNER_VTL0) {
        *prot = OVBS_ACC_R | OVBS_ACC_W;
        return true;
    }
    return false;
}

/* Build a VTL's stage 2 from the ownership map, then check the result: no
 * page outside the VTL's view may translate. */
static void build_stage2(struct stage2 *s2, enum vtl vtl, uint16_t vmid)
{
    int rc = stage2_init(s2, vmid);
    if (rc)
        stop("cannot create a stage 2", 0, 0, rc);
    struct own_run r;
    struct own_iter it;
    unsigned prot;
    for (owner_iter_init(&it); owner_iter_next(&hv_owners, &it, &r);) {
        if (!vtl_view(vtl, &r, &prot))
            continue;
        rc = stage2_map(s2, r.base, r.size, prot);
        if (rc)
            stop("cannot map in a stage 2", r.base, r.size, rc);
    }
    for (owner_iter_init(&it); owner_iter_next(&hv_owners, &it, &r);) {
        if (vtl_view(vtl, &r, &prot))
            continue;
        if (pt_lookup(&s2->pt, r.base, NULL, NULL, NULL) ||
            pt_lookup(&s2->pt, r.base + r.size - PAGE_SIZE, NULL, NULL, NULL))
            stop("a stage 2 maps memory outside its VTL's view", r.base, r.size, -1);
    }
    hv_log("VTL%u stage 2: VMID %u, %u-bit IPA, start level %u, %zu table pages (%zu KiB)", vtl,
           s2->vmid, stage2_ipa_bits(), s2->pt.start_level, s2->pt.table_pages,
           s2->pt.table_pages * 4);
}

/* The devices' view (the SMMU's tables): VTL0 RAM with VTL0's access, as
 * smmu_set_vtl0_access narrows it; never hypervisor or VTL1 memory, holes,
 * or any device register (peer-to-peer and MSI doorbells included). */
static bool device_view(const struct own_run *r)
{
    return r->owner == OWNER_VTL0;
}

/* Like the stage-2 check: the first and last page of every run outside
 * the devices' view must not translate (a run is mapped or not as a whole
 * by build_device_tables, so a stray page in the middle would need a
 * builder bug that also spared both ends). */
static void check_outside_device_view(const struct own_run *r)
{
    if (smmu_translates(r->base) || smmu_translates(r->base + r->size - PAGE_SIZE))
        stop("the SMMU's tables map memory outside VTL0 RAM", r->base, r->size, -1);
}

/* Built from the same runs as VTL0's stage 2, then checked the same way:
 * no run outside the devices' view may translate. One walk of the map (a
 * walk scans every RAM page's state byte): the runs to check are kept and
 * checked once every mapping is in; a second walk only if they overflow. */
#define CHECK_RUNS (OWN_MAX_MMIO + 2 * OWN_MAX_BANKS + 16)

static void build_device_tables(void)
{
    static struct own_run outside[CHECK_RUNS];
    unsigned n = 0;
    bool overflow = false;
    struct own_run r;
    struct own_iter it;
    for (owner_iter_init(&it); owner_iter_next(&hv_owners, &it, &r);) {
        if (!device_view(&r)) {
            if (n < CHECK_RUNS)
                outside[n++] = r;
            else
                overflow = true;
            continue;
        }
        int rc = smmu_set_vtl0_access(r.base, r.size, r.access);
        if (rc)
            stop("cannot map VTL0 RAM in the SMMU's tables", r.base, r.size, rc);
    }
    for (unsigned i = 0; i < n; i++)
        check_outside_device_view(&outside[i]);
    for (owner_iter_init(&it); overflow && owner_iter_next(&hv_owners, &it, &r);) {
        if (!device_view(&r))
            check_outside_device_view(&r);
    }
}

void mem_build_stage2(void)
{
    build_stage2(&vtl0_stage2, VTL0, VMID_VTL0);
    build_device_tables();
    build_stage2(&vtl1_stage2, VTL1, VMID_VTL1);
}

void mem_init(void)
{
    owner_init(&hv_owners);
    register_ram();
    virtio_mmio_probe(&hv_platform);
    register_devices();
    stage2_setup_vtcr();
}
