/* platform.h: what the hypervisor learns about the machine from the device
 * tree (EL2; also built for host tests against a tree dumped from QEMU). */
#ifndef OVBS_HV_PLATFORM_H
#define OVBS_HV_PLATFORM_H
#include <stdbool.h>
#include <stdint.h>
#include "devpolicy.h"

#define PLAT_MAX_RAM     8
#define PLAT_MAX_DEVS    64
#define PLAT_MAX_CPUS    8
#define PLAT_NAME_LEN    24

#define PLAT_OK          0
#define PLAT_ERR_FDT     (-1) /* not a valid flattened device tree */
#define PLAT_ERR_NO_RAM  (-2) /* no usable /memory node */
#define PLAT_ERR_NO_UART (-3) /* no PL011 console */
#define PLAT_ERR_CELLS   (-4) /* #address-cells/#size-cells we cannot handle */
#define PLAT_ERR_TOO_MANY (-5)

struct plat_range {
    uint64_t base;
    uint64_t size;
};

struct plat_dev {
    uint64_t base;
    uint64_t size;
    bool hv_owned; /* the hypervisor keeps it (platform_hv_devices, virtio_mmio.c) */
    bool virtio_mmio; /* a "virtio,mmio" transport: behind no IOMMU */
    char name[PLAT_NAME_LEN];
};

struct platform {
    struct plat_range ram[PLAT_MAX_RAM];
    unsigned nram;
    struct plat_range uart;        /* PL011 console */
    struct plat_range gicd, gicr;  /* GICv3 distributor, redistributors */
    unsigned gicr_regions;         /* #redistributor-regions (1 if absent) */
    uint64_t gicr_stride;          /* redistributor-stride, 0 if absent */
    unsigned gic_version;
    unsigned timer_virt_intid;     /* EL1 virtual timer PPI (INTID) */
    unsigned timer_hyp_intid;      /* EL2 physical timer PPI (INTID) */
    bool psci;                     /* PSCI node present */
    bool psci_smc;                 /* conduit: SMC (true) or HVC */
    bool has_pcie;
    bool pcie_unprotected;         /* a host bridge without an SMMU: kept by hv */
    struct plat_range ecam;
    unsigned pcie_bus_first, pcie_bus_last; /* bus-range (0-255 if absent) */
    struct rid_map pcie_rids;      /* RIDs the iommu-map sends to our SMMU */
    bool has_smmu;
    struct plat_range smmu;
    struct plat_dev dev[PLAT_MAX_DEVS]; /* every MMIO range, windows included */
    unsigned ndev;
    uint64_t cpu_mpidr[PLAT_MAX_CPUS];
    unsigned ncpus;
    const char *bootargs;          /* /chosen/bootargs, "" if none */
};

int platform_parse(const void *fdt, struct platform *p);
/* Compatible strings of the devices the hypervisor keeps from VTL0 (NULL
 * terminated), and whether `node` is one of them. */
extern const char *const platform_hv_devices[];
bool platform_is_hv_device(const void *fdt, int node);
const char *platform_error(int err);
/* The root-space address of the first reg entry of ancestors[depth]
 * (ancestors[0] is the root, as a walk with fdt_next_node keeps them);
 * false if it has none or it does not translate (loader.c). */
#define PLAT_MAX_DEPTH 16
bool platform_node_base(const void *fdt, const int *ancestors, int depth, uint64_t *base);
/* True if `key` (e.g. "hv.selftest=stack") appears as a word of bootargs. */
bool platform_has_arg(const struct platform *p, const char *key);
#endif
