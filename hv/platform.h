/* platform.h: what the hypervisor learns about the machine from the device
 * tree (EL2; also built for host tests against a tree dumped from QEMU). */
#ifndef OVBS_HV_PLATFORM_H
#define OVBS_HV_PLATFORM_H
#include <stdbool.h>
#include <stdint.h>

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
    bool hv_owned; /* the hypervisor keeps it (platform_hv_devices) */
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
/* True if `key` (e.g. "hv.selftest=stack") appears as a word of bootargs. */
bool platform_has_arg(const struct platform *p, const char *key);
#endif
