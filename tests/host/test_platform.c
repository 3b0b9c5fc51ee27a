/* test_platform.c: host unit tests (cmocka) for device-tree discovery (hv/platform.c); runs
 * on the build host against QEMU virt's tree ($OVBS_VIRT_DTB) and trees built with libfdt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "platform.h"

static void *virt_dtb;
static size_t virt_size;
static struct platform plat; /* parsed from virt_dtb by the group setup */

static int load_virt(void **state)
{
    (void)state;
    const char *path = getenv("OVBS_VIRT_DTB");
    if (!path || !*path)
        path = "build/host/virt.dtb";
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (run `make build/host/virt.dtb`)\n", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    virt_dtb = n > 0 ? malloc((size_t)n) : NULL;
    if (!virt_dtb || fread(virt_dtb, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    fclose(f);
    virt_size = (size_t)n;
    return 0;
}

static int free_virt(void **state)
{
    (void)state;
    free(virt_dtb);
    return 0;
}

static const struct plat_dev *find_dev(const struct platform *p, uint64_t base)
{
    const struct plat_dev *found = NULL;
    for (unsigned i = 0; i < p->ndev; i++) {
        if (p->dev[i].base == base) {
            assert_null(found); /* listed once */
            found = &p->dev[i];
        }
    }
    assert_non_null(found);
    return found;
}

static void test_virt_ram_and_uart(void **state)
{
    (void)state;
    assert_int_equal(platform_parse(virt_dtb, &plat), PLAT_OK);
    assert_int_equal(plat.nram, 1);
    assert_int_equal(plat.ram[0].base, 0x40000000);
    assert_int_equal(plat.ram[0].size, 512ull << 20);
    assert_int_equal(plat.uart.base, 0x09000000);
    assert_int_equal(plat.uart.size, 0x1000);
    assert_string_equal(plat.bootargs, ""); /* no -append */
    /* No device range may cover RAM. */
    for (unsigned i = 0; i < plat.ndev; i++) {
        const struct plat_dev *d = &plat.dev[i];
        assert_true(d->size > 0);
        assert_true(d->base + d->size <= plat.ram[0].base ||
                    d->base >= plat.ram[0].base + plat.ram[0].size);
    }
}

static void test_virt_gic_psci_cpus(void **state)
{
    (void)state;
    assert_int_equal(platform_parse(virt_dtb, &plat), PLAT_OK);
    assert_int_equal(plat.gic_version, 3);
    assert_int_equal(plat.gicd.base, 0x08000000);
    assert_int_equal(plat.gicd.size, 0x10000);
    assert_int_equal(plat.gicr.base, 0x080a0000);
    assert_int_equal(plat.gicr.size, 0xf60000);
    assert_true(plat.psci);
    assert_true(plat.psci_smc);
    assert_int_equal(plat.ncpus, 4);
    assert_int_equal(plat.cpu_mpidr[0], 0);
    assert_int_equal(plat.cpu_mpidr[1], 1);
}

static void test_virt_pcie_smmu_ownership(void **state)
{
    (void)state;
    assert_int_equal(platform_parse(virt_dtb, &plat), PLAT_OK);
    assert_true(plat.has_pcie);
    assert_int_equal(plat.ecam.base, 0x4010000000ull);
    assert_int_equal(plat.ecam.size, 0x10000000);
    assert_true(plat.has_smmu);
    assert_int_equal(plat.smmu.base, 0x09050000);
    assert_int_equal(plat.smmu.size, 0x20000);
    const struct plat_dev *smmu = find_dev(&plat, 0x09050000);
    assert_true(smmu->hv_owned);
    assert_int_equal(smmu->size, 0x20000);
    unsigned owned = 0;
    for (unsigned i = 0; i < plat.ndev; i++)
        owned += plat.dev[i].hv_owned;
    /* The SMMU, the ITS and fw-cfg stay with the hypervisor: each can
     * write any physical memory. */
    assert_int_equal(owned, 3);
    assert_true(find_dev(&plat, 0x08080000)->hv_owned);  /* ITS */
    assert_true(find_dev(&plat, 0x09020000)->hv_owned);  /* fw-cfg */
    assert_false(find_dev(&plat, 0x09000000)->hv_owned);
    assert_false(find_dev(&plat, 0x4010000000ull)->hv_owned);
}

static void test_virt_device_list(void **state)
{
    (void)state;
    assert_int_equal(platform_parse(virt_dtb, &plat), PLAT_OK);
    const struct plat_dev *d = find_dev(&plat, 0x10000000);
    assert_string_equal(d->name, "pcie-mem32");
    assert_int_equal(d->size, 0x2eff0000);
    d = find_dev(&plat, 0x8000000000ull);
    assert_string_equal(d->name, "pcie-mem64");
    assert_int_equal(d->size, 0x8000000000ull);
    d = find_dev(&plat, 0x3eff0000);
    assert_string_equal(d->name, "pcie-io");
    assert_int_equal(d->size, 0x10000);
    /* The ITS is a child of the GIC, reached through its empty "ranges". */
    d = find_dev(&plat, 0x08080000);
    assert_int_equal(d->size, 0x20000);
    assert_string_equal(d->name, "its@8080000");
    /* Both reg entries of the flash, and devices named after their node. */
    assert_int_equal(find_dev(&plat, 0)->size, 0x4000000);
    assert_int_equal(find_dev(&plat, 0x4000000)->size, 0x4000000);
    assert_string_equal(find_dev(&plat, 0x09000000)->name, "pl011@9000000");
    assert_string_equal(find_dev(&plat, 0x0a003e00)->name, "virtio_mmio@a003e00");
    assert_int_equal(find_dev(&plat, 0x09020000)->size, 0x18);
}

/* The DMA devices of QEMU_ARGS: 32 virtio-mmio transports flagged (the
 * hypervisor probes them, virtio_mmio.c), and the host bridge's iommu-map
 * sending every RID of buses 0-255 to the SMMU. */
static void test_virt_dma_devices(void **state)
{
    (void)state;
    assert_int_equal(platform_parse(virt_dtb, &plat), PLAT_OK);
    unsigned virtio = 0;
    for (unsigned i = 0; i < plat.ndev; i++) {
        const struct plat_dev *d = &plat.dev[i];
        if (!d->virtio_mmio)
            continue;
        virtio++;
        assert_int_equal(d->size, 0x200);
        assert_true(d->base >= 0x0a000000 && d->base < 0x0a004000);
        assert_false(d->hv_owned); /* decided by probing, not by the tree */
    }
    assert_int_equal(virtio, 32);
    assert_true(find_dev(&plat, 0x0a003e00)->virtio_mmio);
    assert_false(find_dev(&plat, 0x09000000)->virtio_mmio);
    assert_int_equal(plat.pcie_bus_first, 0);
    assert_int_equal(plat.pcie_bus_last, 255);
    assert_int_equal(plat.pcie_rids.n, 1);
    assert_int_equal(plat.pcie_rids.mask, 0xffff);
    assert_int_equal(plat.pcie_rids.base[0], 0);
    assert_int_equal(plat.pcie_rids.length[0], 0x10000);
    assert_true(rid_bus_translated(&plat.pcie_rids, 255));
}

/* An iommu-map entry counts only if it names an enabled arm,smmu-v3. */
static void test_iommu_map_must_name_the_smmu(void **state)
{
    (void)state;
    uint8_t *copy = malloc(virt_size + 4096);
    assert_non_null(copy);
    assert_int_equal(fdt_open_into(virt_dtb, copy, (int)virt_size + 4096), 0);
    int pcie = fdt_node_offset_by_compatible(copy, -1, "pci-host-ecam-generic");
    int smmu = fdt_node_offset_by_compatible(copy, -1, "arm,smmu-v3");
    assert_true(pcie > 0 && smmu > 0);
    int gic = fdt_node_offset_by_compatible(copy, -1, "arm,gic-v3");
    uint32_t phandle = fdt_get_phandle(copy, smmu), other = fdt_get_phandle(copy, gic);
    assert_true(phandle != 0 && other != 0);
    /* Three entries: buses 0-1 to the SMMU, bus 2 to a node that is no
     * IOMMU of ours (the GIC), the rest to a phandle no node has. */
    fdt32_t map[12] = { cpu_to_fdt32(0), cpu_to_fdt32(phandle), cpu_to_fdt32(0),
                        cpu_to_fdt32(0x200), cpu_to_fdt32(0x200), cpu_to_fdt32(other),
                        cpu_to_fdt32(0x200), cpu_to_fdt32(0x100), cpu_to_fdt32(0x300),
                        cpu_to_fdt32(0x7777), cpu_to_fdt32(0x300), cpu_to_fdt32(0xfd00) };
    assert_int_equal(fdt_setprop(copy, pcie, "iommu-map", map, sizeof(map)), 0);
    assert_int_equal(platform_parse(copy, &plat), PLAT_OK);
    assert_int_equal(plat.pcie_rids.n, 1);
    assert_true(rid_bus_translated(&plat.pcie_rids, 1));
    assert_false(rid_translated(&plat.pcie_rids, 0x200));
    assert_false(rid_translated(&plat.pcie_rids, 0x300));
    /* The SMMU disabled: nothing is translated. */
    assert_int_equal(fdt_setprop_string(copy, smmu, "status", "disabled"), 0);
    assert_int_equal(platform_parse(copy, &plat), PLAT_OK);
    assert_int_equal(plat.pcie_rids.n, 0);
    /* No iommu-map at all (offsets moved with the new property). */
    pcie = fdt_node_offset_by_compatible(copy, -1, "pci-host-ecam-generic");
    assert_int_equal(fdt_delprop(copy, pcie, "iommu-map"), 0);
    assert_int_equal(platform_parse(copy, &plat), PLAT_OK);
    assert_int_equal(plat.pcie_rids.n, 0);
    free(copy);
}

/* A second SMMU in the tree is kept from VTL0 but never programmed (the
 * hypervisor drives the first enabled one): requester IDs the iommu-map
 * sends there are not translated. */
static void test_second_smmu_does_not_count(void **state)
{
    (void)state;
    uint8_t *copy = malloc(virt_size + 4096);
    assert_non_null(copy);
    assert_int_equal(fdt_open_into(virt_dtb, copy, (int)virt_size + 4096), 0);
    int other = fdt_add_subnode(copy, 0, "smmuv3@9f00000");
    assert_true(other > 0);
    assert_int_equal(fdt_setprop_string(copy, other, "compatible", "arm,smmu-v3"), 0);
    assert_int_equal(fdt_setprop_u32(copy, other, "phandle", 0x7abc), 0);
    fdt32_t reg[4] = { 0, cpu_to_fdt32(0x09f00000), 0, cpu_to_fdt32(0x20000) };
    assert_int_equal(fdt_setprop(copy, other, "reg", reg, sizeof(reg)), 0);
    /* libfdt puts the new node first under the root, so in tree order it is
     * the first SMMU, the one the hypervisor drives; QEMU's own is now the
     * second. */
    int pcie = fdt_node_offset_by_compatible(copy, -1, "pci-host-ecam-generic");
    other = fdt_node_offset_by_compatible(copy, -1, "arm,smmu-v3");
    int qemus = fdt_node_offset_by_compatible(copy, other, "arm,smmu-v3");
    assert_true(pcie > 0 && other > 0 && qemus > other);
    assert_int_equal(fdt_get_phandle(copy, other), 0x7abc);
    uint32_t second = fdt_get_phandle(copy, qemus);
    /* Buses 0-0x7f to the driven SMMU, the rest to the second one. */
    fdt32_t map[8] = { cpu_to_fdt32(0), cpu_to_fdt32(0x7abc), cpu_to_fdt32(0), cpu_to_fdt32(0x8000),
                       cpu_to_fdt32(0x8000), cpu_to_fdt32(second), cpu_to_fdt32(0x8000),
                       cpu_to_fdt32(0x8000) };
    assert_int_equal(fdt_setprop(copy, pcie, "iommu-map", map, sizeof(map)), 0);
    assert_int_equal(platform_parse(copy, &plat), PLAT_OK);
    assert_true(plat.has_smmu && plat.smmu.base == 0x09f00000); /* the one driven */
    assert_false(plat.pcie_unprotected);
    assert_int_equal(plat.pcie_rids.n, 1);
    assert_true(rid_translated(&plat.pcie_rids, 0x7fff));
    assert_false(rid_translated(&plat.pcie_rids, 0x8000));
    free(copy);
}

static void test_has_arg_matches_whole_words(void **state)
{
    (void)state;
    static struct platform p;
    p.bootargs = "a hv.bench b=1";
    assert_true(platform_has_arg(&p, "hv.bench"));
    assert_true(platform_has_arg(&p, "a"));
    assert_true(platform_has_arg(&p, "b=1"));
    assert_false(platform_has_arg(&p, "hv"));
    assert_false(platform_has_arg(&p, "bench"));
    assert_false(platform_has_arg(&p, "b"));
    assert_false(platform_has_arg(&p, "hv.bench b=1"));
    p.bootargs = "  hv.selftest=stack  ";
    assert_true(platform_has_arg(&p, "hv.selftest=stack"));
    assert_false(platform_has_arg(&p, "hv.selftest"));
    p.bootargs = "";
    assert_false(platform_has_arg(&p, "a"));
}

static void test_corrupted_tree(void **state)
{
    (void)state;
    uint8_t *copy = malloc(virt_size);
    assert_non_null(copy);
    memcpy(copy, virt_dtb, virt_size);
    memset(copy, 0, 4); /* magic */
    int rc = platform_parse(copy, &plat);
    free(copy);
    assert_int_equal(rc, PLAT_ERR_FDT);
    assert_string_equal(platform_error(PLAT_ERR_FDT), "invalid device tree");
}

/* ---- Trees built in memory ---------------------------------------------- */

static void set_cells(void *fdt, int node, const char *name, const uint32_t *v, int n)
{
    fdt32_t be[8];
    for (int i = 0; i < n; i++)
        be[i] = cpu_to_fdt32(v[i]);
    assert_int_equal(fdt_setprop(fdt, node, name, be, n * 4), 0);
}

/* Root with 2/2 cells, optionally a memory node, optionally a PL011. */
static void build_tree(void *fdt, int size, bool memory, bool uart, uint32_t addr_cells)
{
    assert_int_equal(fdt_create_empty_tree(fdt, size), 0);
    set_cells(fdt, 0, "#address-cells", &addr_cells, 1);
    set_cells(fdt, 0, "#size-cells", (const uint32_t[]){ 2 }, 1);
    if (memory) {
        int mem = fdt_add_subnode(fdt, 0, "memory@80000000");
        assert_true(mem > 0);
        assert_int_equal(fdt_setprop_string(fdt, mem, "device_type", "memory"), 0);
        set_cells(fdt, mem, "reg", (const uint32_t[]){ 0, 0x80000000, 0, 0x10000000 }, 4);
    }
    if (uart) {
        int u = fdt_add_subnode(fdt, 0, "serial@1c090000");
        assert_true(u > 0);
        static const char compat[] = "arm,pl011\0arm,primecell";
        assert_int_equal(fdt_setprop(fdt, u, "compatible", compat, sizeof(compat)), 0);
        set_cells(fdt, u, "reg", (const uint32_t[]){ 0, 0x1c090000, 0, 0x1000 }, 4);
    }
    int chosen = fdt_add_subnode(fdt, 0, "chosen");
    assert_true(chosen > 0);
    assert_int_equal(fdt_setprop_string(fdt, chosen, "bootargs", "quiet hv.bench"), 0);
}

static void test_built_trees(void **state)
{
    (void)state;
    static uint8_t buf[4096];
    /* Control: a complete minimal tree parses. */
    build_tree(buf, sizeof(buf), true, true, 2);
    assert_int_equal(platform_parse(buf, &plat), PLAT_OK);
    assert_int_equal(plat.nram, 1);
    assert_int_equal(plat.ram[0].base, 0x80000000);
    assert_int_equal(plat.ram[0].size, 0x10000000);
    assert_int_equal(plat.uart.base, 0x1c090000);
    assert_true(platform_has_arg(&plat, "hv.bench"));
    assert_false(plat.has_pcie);
    assert_false(plat.has_smmu);
    assert_false(plat.psci);

    build_tree(buf, sizeof(buf), false, true, 2);
    assert_int_equal(platform_parse(buf, &plat), PLAT_ERR_NO_RAM);
    build_tree(buf, sizeof(buf), true, false, 2);
    assert_int_equal(platform_parse(buf, &plat), PLAT_ERR_NO_UART);
    build_tree(buf, sizeof(buf), true, true, 3);
    assert_int_equal(platform_parse(buf, &plat), PLAT_ERR_CELLS);
}

/* A PCIe host bridge whose requester IDs do not all go to the SMMU the
 * hypervisor drives is kept from VTL0, ECAM and windows (hv/platform.c,
 * pcie_behind_smmu): without "iommu-map", and with one that covers half. */
static void test_pcie_without_smmu_is_kept(void **state)
{
    (void)state;
    static uint8_t copy[1 << 20];
    assert_int_equal(platform_parse(virt_dtb, &plat), PLAT_OK);
    assert_false(plat.pcie_unprotected);
    /* Variants: no iommu-map; a map whose only entry names another node
     * (the GIC); the SMMU disabled. Each leaves the bridge with no SMMU in
     * front of it, so the hypervisor keeps all of it. */
    for (int variant = 0; variant < 3; variant++) {
        assert_int_equal(fdt_open_into(virt_dtb, copy, sizeof(copy)), 0);
        int node = fdt_node_offset_by_compatible(copy, -1, "pci-host-ecam-generic");
        assert_true(node >= 0);
        if (variant == 0) {
            assert_int_equal(fdt_delprop(copy, node, "iommu-map"), 0);
        } else if (variant == 1) {
            int len;
            const fdt32_t *map = fdt_getprop(copy, node, "iommu-map", &len);
            assert_int_equal(len, 16);
            int gic = fdt_node_offset_by_compatible(copy, -1, "arm,gic-v3");
            fdt32_t other[4] = { map[0], cpu_to_fdt32(fdt_get_phandle(copy, gic)), map[2],
                                 map[3] };
            assert_int_equal(fdt_setprop(copy, node, "iommu-map", other, sizeof(other)), 0);
        } else {
            int smmu = fdt_node_offset_by_compatible(copy, -1, "arm,smmu-v3");
            assert_int_equal(fdt_setprop_string(copy, smmu, "status", "disabled"), 0);
        }
        assert_int_equal(platform_parse(copy, &plat), PLAT_OK);
        assert_true(plat.pcie_unprotected);
        assert_true(find_dev(&plat, 0x4010000000ull)->hv_owned); /* ECAM */
        assert_true(find_dev(&plat, 0x10000000)->hv_owned);      /* 32-bit window */
        assert_true(find_dev(&plat, 0x8000000000ull)->hv_owned); /* 64-bit window */
    }
    /* A map that sends only half the requester IDs to the SMMU: the bridge
     * is VTL0's, and the functions outside the map are hidden one by one
     * (pcie.c; test_iommu_map_must_name_the_smmu). */
    assert_int_equal(fdt_open_into(virt_dtb, copy, sizeof(copy)), 0);
    int node = fdt_node_offset_by_compatible(copy, -1, "pci-host-ecam-generic");
    int len;
    const fdt32_t *map = fdt_getprop(copy, node, "iommu-map", &len);
    fdt32_t half[4] = { map[0], map[1], map[2], cpu_to_fdt32(0x8000) };
    assert_int_equal(fdt_setprop(copy, node, "iommu-map", half, sizeof(half)), 0);
    assert_int_equal(platform_parse(copy, &plat), PLAT_OK);
    assert_false(plat.pcie_unprotected);
    assert_false(find_dev(&plat, 0x4010000000ull)->hv_owned);
    assert_true(rid_translated(&plat.pcie_rids, 0x7fff));
    assert_false(rid_translated(&plat.pcie_rids, 0x8000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virt_ram_and_uart),
        cmocka_unit_test(test_virt_gic_psci_cpus),
        cmocka_unit_test(test_virt_pcie_smmu_ownership),
        cmocka_unit_test(test_virt_device_list),
        cmocka_unit_test(test_virt_dma_devices),
        cmocka_unit_test(test_iommu_map_must_name_the_smmu),
        cmocka_unit_test(test_second_smmu_does_not_count),
        cmocka_unit_test(test_has_arg_matches_whole_words),
        cmocka_unit_test(test_corrupted_tree),
        cmocka_unit_test(test_built_trees),
        cmocka_unit_test(test_pcie_without_smmu_is_kept),
    };
    return cmocka_run_group_tests(tests, load_virt, free_virt);
}
