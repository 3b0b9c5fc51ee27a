/* hvcall.h: the hypercall ABI between the EL2 hypervisor and the kernels it
 * hosts (VTL0 today, VTL1 next). Shared by hv/ and every guest; no code.
 *
 * Calls follow the Arm SMC Calling Convention 1.1 over `hvc #0`: the function
 * ID goes in w0, arguments in x1..x6, results come back in x0..x3 and every
 * other register is preserved. Function ID layout (SMCCC section 2.5):
 *   bit 31     1 = fast call (the only kind we implement)
 *   bit 30     1 = SMC64/HVC64 calling convention, 0 = SMC32/HVC32
 *   bits 29:24 owning entity number (OEN)
 *   bits 15:0  function number within that entity
 */
#ifndef OPENVBS_HVCALL_H
#define OPENVBS_HVCALL_H

/* ---- SMCCC architecture calls (OEN 0) ---------------------------------- */
#define SMCCC_VERSION              0x80000000u
#define SMCCC_ARCH_FEATURES        0x80000001u
#define SMCCC_ARCH_WORKAROUND_1    0x80008000u
#define SMCCC_VERSION_1_1          0x00010001u

/* SMCCC return values (in w0, sign-extended to x0). */
#define SMCCC_RET_SUCCESS          0
#define SMCCC_RET_NOT_SUPPORTED    (-1)
#define SMCCC_RET_NOT_REQUIRED     (-2)
#define SMCCC_RET_INVALID_PARAMETER (-3)

/* ---- Vendor-specific hypervisor service calls (OEN 6) ------------------ */
#define SMCCC_OEN_VENDOR_HYP       6u
#define SMCCC_FAST_CALL            (1u << 31)
#define SMCCC_64BIT                (1u << 30)
#define SMCCC_OEN_SHIFT            24
#define SMCCC_OEN_MASK             0x3fu

/* Standard queries every service range answers (SMCCC section 6.2). */
#define OVBS_CALL_COUNT            0x8600ff00u
#define OVBS_CALL_UID              0x8600ff01u
#define OVBS_CALL_REVISION         0x8600ff03u

/* UID returned by OVBS_CALL_UID in w0..w3: lets a guest (Linux's
 * arm_smccc_hypervisor_has_uuid) recognise OpenVBS. */
#define OVBS_UID_0                 0x4f70656eu /* "Open" */
#define OVBS_UID_1                 0x56425321u /* "VBS!" */
#define OVBS_UID_2                 0x2e68762eu /* ".hv." */
#define OVBS_UID_3                 0x61726d38u /* "arm8" */
#define OVBS_REVISION_MAJOR        0
#define OVBS_REVISION_MINOR        2

/* Instructions the hypervisor runs from reset before its PMU cycle counter
 * starts (hv/entry.S): add them to a count read from PMCCNTR_EL0. */
#define OVBS_BOOT_UNCOUNTED_INSNS  6

/* OpenVBS calls: SMC64 fast calls in the vendor hypervisor range. */
#define OVBS_FN(n)                 (0xc6000000u | (n))

/* x0 = status. Does nothing: the cost of one trap to EL2 and back. */
#define OVBS_HV_NULL               OVBS_FN(0x00)
/* x1 = entry index. Returns x0 = status, x1 = base, x2 = size,
 * x3 = owner | (vtl0 access << 8). Entries are runs of pages with one owner
 * and one access, in address order (maximal within a RAM bank or device). */
#define OVBS_HV_MEMMAP_ENTRY       OVBS_FN(0x01)
/* Returns x0 = status, x1 = feature bits (OVBS_FEAT_*), x2 = IPA bits,
 * x3 = pages used by VTL0's stage-2 tables. */
#define OVBS_HV_INFO               OVBS_FN(0x02)

#define OVBS_FEAT_XNX              (1u << 0) /* stage-2 XN split EL1/EL0 */
#define OVBS_FEAT_SMMU             (1u << 1) /* an SMMUv3 exists, hv owns it */
#define OVBS_FEAT_RNDR             (1u << 2)
#define OVBS_FEAT_PAUTH            (1u << 3)
#define OVBS_FEAT_TPIDR2           (1u << 4) /* SME's TPIDR2_EL0 exists: switched per VTL */
#define OVBS_FEAT_RAS              (1u << 5) /* FEAT_RAS: VDISR_EL2 kept per VTL */

/* Status codes of OpenVBS calls, numbered as HV_STATUS_* in the Hyper-V TLFS
 * so that readers of that document recognise them. */
#define HV_STATUS_SUCCESS                 0x0000
#define HV_STATUS_INVALID_HYPERCALL_CODE  0x0002
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003
#define HV_STATUS_INVALID_ALIGNMENT       0x0004
#define HV_STATUS_INVALID_PARAMETER       0x0005
#define HV_STATUS_ACCESS_DENIED           0x0006
#define HV_STATUS_INVALID_PARTITION_STATE 0x0007
#define HV_STATUS_OPERATION_DENIED        0x0008
#define HV_STATUS_INSUFFICIENT_MEMORY     0x000b
#define HV_STATUS_INVALID_VP_INDEX        0x000e
#define HV_STATUS_INVALID_VTL_STATE       0x0051

/* Owners of physical memory, as reported by OVBS_HV_MEMMAP_ENTRY. */
enum ovbs_owner {
    OWNER_NONE = 0,  /* no RAM and no device: a hole */
    OWNER_HV = 1,    /* hypervisor image, its tables, the boot device tree */
    OWNER_VTL1 = 2,  /* reserved for the secure kernel */
    OWNER_VTL0 = 3,  /* normal kernel RAM */
    OWNER_MMIO_VTL0 = 4, /* device registers passed through to VTL0 */
    OWNER_MMIO_HV = 5,   /* device registers only the hypervisor touches */
    OWNER_COUNT
};

/* VTL0 access bits (the protection mask of the TLFS's
 * HvModifyVtlProtectionMask: read, write, kernel-execute, user-execute). */
#define OVBS_ACC_R     (1u << 0)
#define OVBS_ACC_W     (1u << 1)
#define OVBS_ACC_XK    (1u << 2)
#define OVBS_ACC_XU    (1u << 3)
#define OVBS_ACC_RWX   (OVBS_ACC_R | OVBS_ACC_W | OVBS_ACC_XK | OVBS_ACC_XU)

/* ---- PSCI 1.0 (OEN 4), relayed by the hypervisor ------------------------ */
#define PSCI_VERSION               0x84000000u
#define PSCI_CPU_SUSPEND_64        0xc4000001u
#define PSCI_CPU_OFF               0x84000002u
#define PSCI_CPU_ON_64             0xc4000003u
#define PSCI_CPU_ON_32             0x84000003u
#define PSCI_AFFINITY_INFO_64      0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE     0x84000006u
#define PSCI_SYSTEM_OFF            0x84000008u
#define PSCI_SYSTEM_RESET          0x84000009u
#define PSCI_FEATURES              0x8400000au

#define PSCI_RET_SUCCESS           0
#define PSCI_RET_NOT_SUPPORTED     (-1)
#define PSCI_RET_INVALID_PARAMS    (-2)
#define PSCI_RET_DENIED            (-3)
#define PSCI_RET_ALREADY_ON        (-4)
#define PSCI_RET_INTERNAL_FAILURE  (-6)

#endif
