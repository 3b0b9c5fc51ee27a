/* devpolicy.c: the rules that decide which devices VTL0 may have (EL2, at
 * boot and on VTL0's PCIe config accesses; pure logic, also built for host
 * tests). Nothing here touches hardware: callers hand in the bytes. */
#include <stddef.h>
#include "devpolicy.h"

/* ---- virtio-mmio ----------------------------------------------------------
 * A transport's first three registers (virtio 1.x, 4.2.2): MagicValue
 * "virt", Version (1 for the legacy interface, 2 for 1.x), DeviceID (0: the
 * transport is there but nothing is plugged into it). Anything else is a
 * header we do not understand, and is kept like a device (fail closed). */
enum vmmio_verdict vmmio_classify(uint32_t magic, uint32_t version, uint32_t device_id)
{
    if (magic != VIRTIO_MMIO_MAGIC || (version != 1 && version != 2))
        return VMMIO_UNKNOWN;
    return device_id == 0 ? VMMIO_EMPTY : VMMIO_DEVICE;
}

/* Device types (virtio 1.x, 5: "Device Types"). */
const char *virtio_device_name(uint32_t device_id)
{
    switch (device_id) {
    case 1: return "network";
    case 2: return "block";
    case 3: return "console";
    case 4: return "entropy";
    case 5: return "balloon";
    case 8: return "SCSI";
    case 9: return "9P";
    case 16: return "GPU";
    case 18: return "input";
    case 19: return "vsock";
    case 26: return "file system";
    default: return "unknown";
    }
}

/* ---- iommu-map ------------------------------------------------------------
 * The PCI IOMMU binding: a requester ID (bus << 8 | device << 3 | function),
 * ANDed with iommu-map-mask, that falls in one of the map's
 * [rid-base, rid-base + length) entries reaches the IOMMU; any other RID is
 * not translated by it. The parser keeps only entries that name our SMMU. */
bool rid_translated(const struct rid_map *m, uint32_t rid)
{
    uint32_t r = rid & m->mask;
    for (unsigned i = 0; i < m->n && i < RID_MAP_MAX; i++) {
        if (r >= m->base[i] && r - m->base[i] < m->length[i])
            return true;
    }
    return false;
}

bool rid_bus_translated(const struct rid_map *m, unsigned bus)
{
    for (uint32_t devfn = 0; devfn < 256; devfn++) {
        if (!rid_translated(m, (bus << 8) | devfn))
            return false;
    }
    return true;
}

bool pcie_bus_range_ok(const struct rid_map *m, unsigned first, unsigned nbus,
                       unsigned secondary, unsigned subordinate)
{
    unsigned last = subordinate > secondary ? subordinate : secondary;
    for (unsigned b = secondary; b <= last; b++) {
        if (b < first || b >= first + nbus || !rid_bus_translated(m, b))
            return false;
    }
    return true;
}

/* ---- PCI functions ----------------------------------------------------------
 * Type 0 and type 1 headers share the first 16 bytes: Vendor ID (0x00),
 * Device ID (0x02), Command (0x04), Status (0x06, bit 4: a capability list
 * exists), and both keep the first capability's offset at 0x34. Each
 * capability starts with its ID (byte 0) and the next one's offset (byte 1);
 * offsets are dword aligned and past the 64-byte header. */
#define PCI_ID             0x00
#define PCI_COMMAND_STATUS 0x04
#define PCI_STATUS_CAPS    (1u << (16 + 4))
#define PCI_CAP_PTR        0x34
#define PCI_CAP_VENDOR     0x09
#define PCI_MAX_CAPS       48 /* (256 - 64) / 4: a loop bound for a hostile list */

/* A virtio vendor capability (virtio 1.x, 4.1.4): cap_vndr, cap_next,
 * cap_len, cfg_type (bytes 0-3), bar (4), id (5), offset (8), length (12).
 * VIRTIO_PCI_CAP_PCI_CFG adds pci_cfg_data (16): a window through which
 * config space reaches any BAR region named by bar/offset/length, whether
 * or not the BAR is assigned or memory decoding is on. */
#define VIRTIO_CAP_BAR        4
#define VIRTIO_CAP_OFFSET     8
#define VIRTIO_CAP_LENGTH     12
#define VIRTIO_CAP_DATA       16
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_PCI    5
/* Common configuration (4.1.4.3): device_feature_select, device_feature. */
#define VIRTIO_COMMON_DFSELECT 0x00
#define VIRTIO_COMMON_DF       0x04

struct virtio_caps {
    unsigned common_bar;
    uint32_t common_off;
    unsigned pcicfg;      /* config offset of the PCI_CFG capability, 0 if none */
    bool have_common;
};

static bool find_virtio_caps(const struct pcifn_cfg *c, struct virtio_caps *v)
{
    *v = (struct virtio_caps){ 0 };
    if (!(c->read32(c->ctx, PCI_COMMAND_STATUS) & PCI_STATUS_CAPS))
        return false;
    unsigned ptr = c->read32(c->ctx, PCI_CAP_PTR) & 0xfc;
    for (unsigned n = 0; n < PCI_MAX_CAPS && ptr >= 0x40; n++) {
        uint32_t head = c->read32(c->ctx, ptr);
        unsigned len = (head >> 16) & 0xff, type = head >> 24;
        if ((head & 0xff) == PCI_CAP_VENDOR) {
            if (type == VIRTIO_PCI_CAP_COMMON && len >= 16 && !v->have_common) {
                v->common_bar = c->read32(c->ctx, ptr + VIRTIO_CAP_BAR) & 0xff;
                v->common_off = c->read32(c->ctx, ptr + VIRTIO_CAP_OFFSET);
                v->have_common = true;
            } else if (type == VIRTIO_PCI_CAP_PCI && len >= 20 && !v->pcicfg && ptr <= 0xe8) {
                v->pcicfg = ptr;
            }
        }
        ptr = (head >> 8) & 0xfc;
    }
    return v->have_common && v->pcicfg && v->common_bar < 6 && !(v->common_off & 3);
}

/* device_feature bits 63:32, read through the PCI_CFG window: point it at
 * the common configuration, select feature word 1, read it, then put back
 * the selector and the window as they were, so the driver finds the device
 * untouched. */
static uint32_t read_feature_word1(const struct pcifn_cfg *c, const struct virtio_caps *v)
{
    unsigned w = v->pcicfg;
    uint32_t bar = c->read32(c->ctx, w + VIRTIO_CAP_BAR);
    uint32_t off = c->read32(c->ctx, w + VIRTIO_CAP_OFFSET);
    uint32_t len = c->read32(c->ctx, w + VIRTIO_CAP_LENGTH);
    c->write32(c->ctx, w + VIRTIO_CAP_BAR, (bar & ~0xffu) | v->common_bar);
    c->write32(c->ctx, w + VIRTIO_CAP_LENGTH, 4);
    c->write32(c->ctx, w + VIRTIO_CAP_OFFSET, v->common_off + VIRTIO_COMMON_DFSELECT);
    uint32_t select = c->read32(c->ctx, w + VIRTIO_CAP_DATA);
    c->write32(c->ctx, w + VIRTIO_CAP_DATA, 1);
    c->write32(c->ctx, w + VIRTIO_CAP_OFFSET, v->common_off + VIRTIO_COMMON_DF);
    uint32_t word1 = c->read32(c->ctx, w + VIRTIO_CAP_DATA);
    c->write32(c->ctx, w + VIRTIO_CAP_OFFSET, v->common_off + VIRTIO_COMMON_DFSELECT);
    c->write32(c->ctx, w + VIRTIO_CAP_DATA, select);
    c->write32(c->ctx, w + VIRTIO_CAP_OFFSET, off);
    c->write32(c->ctx, w + VIRTIO_CAP_LENGTH, len);
    c->write32(c->ctx, w + VIRTIO_CAP_BAR, bar);
    return word1;
}

static enum pcifn_verdict judge_virtio(const struct pcifn_cfg *c, uint32_t device)
{
    if (device >= VIRTIO_PCI_LEGACY_FIRST && device <= VIRTIO_PCI_LEGACY_LAST)
        return PCIFN_LEGACY_VIRTIO;
    if (device < VIRTIO_PCI_MODERN_FIRST || device > VIRTIO_PCI_MODERN_LAST)
        return PCIFN_SAFE; /* another device of that vendor: not a virtio transport */
    struct virtio_caps v;
    if (!find_virtio_caps(c, &v))
        return PCIFN_BAD_VIRTIO;
    uint32_t word1 = read_feature_word1(c, &v);
    return (word1 & (1u << (VIRTIO_F_ACCESS_PLATFORM - 32))) ? PCIFN_SAFE : PCIFN_NO_PLATFORM;
}

/* The order matters: a function no IOMMU translates is unsafe whatever it
 * is, so the RID is checked before the function is asked anything. */
enum pcifn_verdict pcifn_judge(const struct pcifn_cfg *c, uint32_t rid, const struct rid_map *m)
{
    uint32_t id = c->read32(c->ctx, PCI_ID);
    if ((id & 0xffff) == 0xffff)
        return PCIFN_ABSENT;
    if (m->n == 0)
        return PCIFN_NO_IOMMU;
    if (!rid_translated(m, rid))
        return PCIFN_RID_BYPASS;
    if ((id & 0xffff) == PCI_VENDOR_VIRTIO)
        return judge_virtio(c, id >> 16);
    return PCIFN_SAFE;
}

const char *pcifn_reason(enum pcifn_verdict v)
{
    switch (v) {
    case PCIFN_ABSENT: return "absent";
    case PCIFN_SAFE: return "translated by the SMMU";
    case PCIFN_NO_IOMMU: return "its host bridge has no iommu-map to the SMMU";
    case PCIFN_RID_BYPASS: return "its requester ID is outside the host bridge's iommu-map";
    case PCIFN_LEGACY_VIRTIO: return "legacy virtio-pci never offers VIRTIO_F_ACCESS_PLATFORM and bypasses the SMMU";
    case PCIFN_NO_PLATFORM: return "virtio-pci without VIRTIO_F_ACCESS_PLATFORM bypasses the SMMU";
    case PCIFN_BAD_VIRTIO: return "virtio-pci capabilities missing or malformed";
    }
    return "unknown";
}

const char *pcifn_remedy(enum pcifn_verdict v)
{
    switch (v) {
    case PCIFN_LEGACY_VIRTIO:
    case PCIFN_NO_PLATFORM:
    case PCIFN_BAD_VIRTIO:
        return "start it with iommu_platform=on,disable-legacy=on";
    case PCIFN_NO_IOMMU:
    case PCIFN_RID_BYPASS:
        return "put it behind an SMMU the device tree's iommu-map names";
    default:
        return "";
    }
}
