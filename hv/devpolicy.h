/* devpolicy.h: which devices VTL0 may have (EL2; pure logic, also built for
 * host tests). A device VTL0 gets must either be translated by the SMMU the
 * hypervisor owns or be unable to master memory; these functions decide,
 * from the bytes a device presents, which case it is. */
#ifndef OVBS_HV_DEVPOLICY_H
#define OVBS_HV_DEVPOLICY_H
#include <stdbool.h>
#include <stdint.h>

/* ---- virtio-mmio transports (never behind an IOMMU) ---------------------- */

#define VIRTIO_MMIO_MAGIC_VALUE 0x000 /* "virt" = 0x74726976 */
#define VIRTIO_MMIO_VERSION     0x004 /* 1 legacy, 2 virtio 1.x */
#define VIRTIO_MMIO_DEVICE_ID   0x008 /* 0: no device behind the transport */
#define VIRTIO_MMIO_MAGIC       0x74726976u

enum vmmio_verdict {
    VMMIO_EMPTY,   /* a transport with no device: it masters nothing */
    VMMIO_DEVICE,  /* a device that DMAs past every IOMMU: kept */
    VMMIO_UNKNOWN, /* not a virtio-mmio header we understand: kept */
};
enum vmmio_verdict vmmio_classify(uint32_t magic, uint32_t version, uint32_t device_id);
/* "entropy", "network", ...: the virtio device type's name, or "unknown". */
const char *virtio_device_name(uint32_t device_id);

/* ---- Requester IDs the SMMU translates (a host bridge's iommu-map) ------- */

#define RID_MAP_MAX 8
struct rid_map {
    unsigned n;           /* 0: no iommu-map to our SMMU, nothing translated */
    uint32_t mask;        /* iommu-map-mask (0xffff if absent) */
    uint32_t base[RID_MAP_MAX], length[RID_MAP_MAX];
};
bool rid_translated(const struct rid_map *m, uint32_t rid);
/* Every one of the 256 RIDs of `bus` is translated. */
bool rid_bus_translated(const struct rid_map *m, unsigned bus);

/* May a bridge route buses [secondary, subordinate]? Only buses the host
 * bridge decodes ([first, first + nbus)) whose every RID is translated. The
 * secondary bus counts even when subordinate is below it (bridges differ
 * on whether that routes it). */
bool pcie_bus_range_ok(const struct rid_map *m, unsigned first, unsigned nbus,
                       unsigned secondary, unsigned subordinate);

/* ---- PCI functions --------------------------------------------------------- */

enum pcifn_verdict {
    PCIFN_ABSENT,        /* no function here (vendor ID 0xffff): nothing to judge */
    PCIFN_SAFE,          /* its DMA goes through the SMMU */
    PCIFN_NO_IOMMU,      /* the host bridge has no iommu-map to our SMMU */
    PCIFN_RID_BYPASS,    /* its requester ID is outside the iommu-map */
    PCIFN_LEGACY_VIRTIO, /* legacy/transitional virtio: never ACCESS_PLATFORM */
    PCIFN_NO_PLATFORM,   /* modern virtio without VIRTIO_F_ACCESS_PLATFORM */
    PCIFN_BAD_VIRTIO,    /* modern virtio whose capabilities we cannot follow */
};
/* Config-space access for the classifier: 32-bit, naturally aligned. */
struct pcifn_cfg {
    uint32_t (*read32)(void *ctx, unsigned off);
    void (*write32)(void *ctx, unsigned off, uint32_t value);
    void *ctx;
};
enum pcifn_verdict pcifn_judge(const struct pcifn_cfg *cfg, uint32_t rid, const struct rid_map *m);
const char *pcifn_reason(enum pcifn_verdict v);
/* What would make this function safe, for the log line. */
const char *pcifn_remedy(enum pcifn_verdict v);

/* Virtio PCI IDs (virtio 1.x, 4.1.2): vendor 0x1af4; 0x1000-0x103f legacy or
 * transitional, 0x1040 + device type for modern-only devices. */
#define PCI_VENDOR_VIRTIO         0x1af4
#define VIRTIO_PCI_LEGACY_FIRST   0x1000
#define VIRTIO_PCI_LEGACY_LAST    0x103f
#define VIRTIO_PCI_MODERN_FIRST   0x1040
#define VIRTIO_PCI_MODERN_LAST    0x107f
#define VIRTIO_F_ACCESS_PLATFORM  33
#endif
