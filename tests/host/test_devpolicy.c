/* test_devpolicy.c: host unit tests (cmocka) for the device rules of
 * hv/devpolicy.c: virtio-mmio headers, iommu-map coverage, and the PCI
 * function classifier run against config spaces built here (a small model
 * of a virtio-pci function's PCI_CFG window included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devpolicy.h"

static void test_vmmio_classify(void **state)
{
    (void)state;
    assert_int_equal(vmmio_classify(VIRTIO_MMIO_MAGIC, 2, 0), VMMIO_EMPTY);
    assert_int_equal(vmmio_classify(VIRTIO_MMIO_MAGIC, 1, 0), VMMIO_EMPTY);
    assert_int_equal(vmmio_classify(VIRTIO_MMIO_MAGIC, 2, 4), VMMIO_DEVICE);
    assert_int_equal(vmmio_classify(VIRTIO_MMIO_MAGIC, 1, 1), VMMIO_DEVICE);
    /* Not a header we understand: kept, like a device. */
    assert_int_equal(vmmio_classify(0, 2, 0), VMMIO_UNKNOWN);
    assert_int_equal(vmmio_classify(0xffffffff, 0xffffffff, 0xffffffff), VMMIO_UNKNOWN);
    assert_int_equal(vmmio_classify(VIRTIO_MMIO_MAGIC, 3, 0), VMMIO_UNKNOWN);
    assert_int_equal(vmmio_classify(VIRTIO_MMIO_MAGIC, 0, 4), VMMIO_UNKNOWN);
    assert_string_equal(virtio_device_name(4), "entropy");
    assert_string_equal(virtio_device_name(2), "block");
    assert_string_equal(virtio_device_name(999), "unknown");
}

static const struct rid_map all_rids = { 1, 0xffff, { 0 }, { 0x10000 } };

static void test_rid_map(void **state)
{
    (void)state;
    assert_true(rid_translated(&all_rids, 0));
    assert_true(rid_translated(&all_rids, 0xffff));
    assert_true(rid_bus_translated(&all_rids, 0));
    assert_true(rid_bus_translated(&all_rids, 255));
    /* Buses 0 and 1 only, and half of bus 2. */
    struct rid_map part = { 2, 0xffff, { 0, 0x200 }, { 0x200, 0x80 } };
    assert_true(rid_translated(&part, 0x1ff));
    assert_true(rid_translated(&part, 0x27f));
    assert_false(rid_translated(&part, 0x280));
    assert_false(rid_translated(&part, 0x300));
    assert_true(rid_bus_translated(&part, 1));
    assert_false(rid_bus_translated(&part, 2)); /* partly */
    assert_false(rid_bus_translated(&part, 3));
    /* The mask is applied first. */
    struct rid_map masked = { 1, 0xff, { 0 }, { 0x100 } };
    assert_true(rid_translated(&masked, 0x5ff));
    struct rid_map none = { 0, 0xffff, { 0 }, { 0 } };
    assert_false(rid_translated(&none, 0));
    assert_false(rid_bus_translated(&none, 0));
}

static void test_bridge_bus_ranges(void **state)
{
    (void)state;
    assert_true(pcie_bus_range_ok(&all_rids, 0, 256, 1, 1));
    assert_true(pcie_bus_range_ok(&all_rids, 0, 256, 0, 0));
    assert_true(pcie_bus_range_ok(&all_rids, 0, 256, 1, 255));
    assert_false(pcie_bus_range_ok(&all_rids, 0, 16, 1, 16));  /* past the host's buses */
    assert_false(pcie_bus_range_ok(&all_rids, 4, 16, 3, 5));   /* below them */
    assert_false(pcie_bus_range_ok(&all_rids, 0, 16, 20, 0));  /* secondary alone counts */
    struct rid_map two = { 1, 0xffff, { 0 }, { 0x200 } };      /* buses 0 and 1 */
    assert_true(pcie_bus_range_ok(&two, 0, 256, 1, 1));
    assert_false(pcie_bus_range_ok(&two, 0, 256, 1, 2));
    assert_false(pcie_bus_range_ok(&two, 0, 256, 2, 1));
}

/* ---- A config space and a virtio-pci model ---------------------------- */

struct fake_fn {
    uint8_t cfg[4096];
    uint32_t select;       /* device_feature_select */
    uint64_t features;     /* device_feature */
    unsigned win;          /* PCI_CFG capability offset, 0: none */
    unsigned common_off;   /* common config offset in its BAR */
    unsigned accesses;
};

static uint32_t rd(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* What the device answers in the window's data field. */
static uint32_t window_read(struct fake_fn *f)
{
    uint32_t off = rd(&f->cfg[f->win + 8]);
    if (rd(&f->cfg[f->win + 12]) != 4)
        return 0;
    if (off == f->common_off + 0)
        return f->select;
    if (off == f->common_off + 4)
        return f->select == 0 ? (uint32_t)f->features : f->select == 1 ? (uint32_t)(f->features >> 32) : 0;
    return 0;
}

static uint32_t fake_read(void *ctx, unsigned off)
{
    struct fake_fn *f = ctx;
    assert_true(off < 4096 && (off & 3) == 0);
    f->accesses++;
    if (f->win && off == f->win + 16)
        return window_read(f);
    return rd(&f->cfg[off]);
}

static void fake_write(void *ctx, unsigned off, uint32_t v)
{
    struct fake_fn *f = ctx;
    assert_true(off < 4096 && (off & 3) == 0);
    f->accesses++;
    if (f->win && off == f->win + 16) {
        if (rd(&f->cfg[f->win + 8]) == f->common_off)
            f->select = v;
        return;
    }
    wr(&f->cfg[off], v);
}

static void set_id(struct fake_fn *f, uint16_t vendor, uint16_t device)
{
    memset(f, 0, sizeof(*f));
    wr(&f->cfg[0], (uint32_t)device << 16 | vendor);
}

/* A modern virtio function: caps at 0x40 (common, BAR 4 offset 0x1000),
 * 0x50 (notify), 0x64 (PCI_CFG). */
static void set_modern(struct fake_fn *f, uint16_t device, bool platform, bool with_window)
{
    set_id(f, PCI_VENDOR_VIRTIO, device);
    wr(&f->cfg[0x04], 1u << 20);      /* status: capability list */
    wr(&f->cfg[0x34], 0x40);
    wr(&f->cfg[0x40], 0x09 | 0x50 << 8 | 16 << 16 | 1u << 24);
    wr(&f->cfg[0x44], 4);
    wr(&f->cfg[0x48], 0x1000);
    wr(&f->cfg[0x50], 0x09 | (with_window ? 0x64 : 0) << 8 | 20 << 16 | 2u << 24);
    if (with_window) {
        wr(&f->cfg[0x64], 0x09 | 0 << 8 | 20 << 16 | 5u << 24);
        wr(&f->cfg[0x68], 0x0000aa02); /* bar 2, id 0xaa: must come back */
        wr(&f->cfg[0x6c], 0x123);
        wr(&f->cfg[0x70], 2);
        f->win = 0x64;
    }
    f->common_off = 0x1000;
    f->select = 7;
    f->features = (1ull << 32) | (platform ? 1ull << VIRTIO_F_ACCESS_PLATFORM : 0);
}

static enum pcifn_verdict judge(struct fake_fn *f, uint32_t rid, const struct rid_map *m)
{
    struct pcifn_cfg c = { fake_read, fake_write, f };
    return pcifn_judge(&c, rid, m);
}

static struct fake_fn fn;

static void test_pcifn_plain(void **state)
{
    (void)state;
    set_id(&fn, 0xffff, 0xffff);
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_ABSENT);
    set_id(&fn, 0x1234, 0x11e8); /* edu */
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_SAFE);
    set_id(&fn, 0x1b36, 0x000c); /* a root port */
    assert_int_equal(judge(&fn, 0x18, &all_rids), PCIFN_SAFE);
    set_id(&fn, PCI_VENDOR_VIRTIO, 0x1110); /* ivshmem: not a virtio transport */
    assert_int_equal(judge(&fn, 0x18, &all_rids), PCIFN_SAFE);
}

static void test_pcifn_rids(void **state)
{
    (void)state;
    struct rid_map none = { 0, 0xffff, { 0 }, { 0 } };
    set_id(&fn, 0x1234, 0x11e8);
    assert_int_equal(judge(&fn, 0x10, &none), PCIFN_NO_IOMMU);
    struct rid_map bus0 = { 1, 0xffff, { 0 }, { 0x100 } };
    assert_int_equal(judge(&fn, 0x0ff, &bus0), PCIFN_SAFE);
    assert_int_equal(judge(&fn, 0x100, &bus0), PCIFN_RID_BYPASS);
    /* The RID decides before the IDs do: even safe virtio is hidden. */
    set_modern(&fn, 0x1044, true, true);
    assert_int_equal(judge(&fn, 0x100, &bus0), PCIFN_RID_BYPASS);
}

static void test_pcifn_legacy_virtio(void **state)
{
    (void)state;
    for (uint16_t d = VIRTIO_PCI_LEGACY_FIRST; d <= VIRTIO_PCI_LEGACY_LAST; d++) {
        set_modern(&fn, d, true, true); /* whatever it claims */
        assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_LEGACY_VIRTIO);
    }
    assert_non_null(strstr(pcifn_remedy(PCIFN_LEGACY_VIRTIO), "iommu_platform=on"));
}

static void test_pcifn_modern_virtio(void **state)
{
    (void)state;
    set_modern(&fn, 0x1044, true, true);
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_SAFE);
    /* The window and the selector are as the driver left them. */
    assert_int_equal(fn.select, 7);
    assert_int_equal(rd(&fn.cfg[0x68]), 0x0000aa02);
    assert_int_equal(rd(&fn.cfg[0x6c]), 0x123);
    assert_int_equal(rd(&fn.cfg[0x70]), 2);
    set_modern(&fn, 0x107f, false, true);
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_NO_PLATFORM);
    /* Bit 32 alone (VERSION_1) is not bit 33. */
    set_modern(&fn, 0x1041, false, true);
    fn.features = 1ull << 32 | 1ull << 34;
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_NO_PLATFORM);
}

static void test_pcifn_bad_capabilities(void **state)
{
    (void)state;
    set_modern(&fn, 0x1044, true, false); /* no PCI_CFG window */
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_BAD_VIRTIO);
    set_modern(&fn, 0x1044, true, true);
    wr(&fn.cfg[0x04], 0); /* no capability list */
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_BAD_VIRTIO);
    set_modern(&fn, 0x1044, true, true);
    wr(&fn.cfg[0x44], 6); /* common config in a BAR that does not exist */
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_BAD_VIRTIO);
    /* A capability list that loops ends (bounded walk), then fails. */
    set_modern(&fn, 0x1044, true, false);
    wr(&fn.cfg[0x50], 0x09 | 0x40 << 8 | 20 << 16 | 2u << 24);
    fn.accesses = 0;
    assert_int_equal(judge(&fn, 0x10, &all_rids), PCIFN_BAD_VIRTIO);
    assert_true(fn.accesses < 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vmmio_classify),
        cmocka_unit_test(test_rid_map),
        cmocka_unit_test(test_bridge_bus_ranges),
        cmocka_unit_test(test_pcifn_plain),
        cmocka_unit_test(test_pcifn_rids),
        cmocka_unit_test(test_pcifn_legacy_virtio),
        cmocka_unit_test(test_pcifn_modern_virtio),
        cmocka_unit_test(test_pcifn_bad_capabilities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
