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
#define SMCCC_ARCH_WORKAROUND_2    0x80007fffu
#define SMCCC_ARCH_WORKAROUND_3    0x80003fffu
#define SMCCC_ARCH_SOC_ID          0x80000002u
#define SMCCC_TRNG_VERSION         0x84000050u
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
/* x1 = entry index, x2 = OVBS_MEMMAP_RANGE (0) or OVBS_MEMMAP_NAME (1).
 * RANGE returns x0 = status, x1 = base, x2 = size,
 * x3 = owner | (vtl0 access << 8). Entries are runs of pages with one owner
 * and one access, in address order (maximal within a RAM bank or device).
 * NAME returns the entry's device name (the device-tree node, or why the
 * hypervisor keeps it, e.g. "virtio-mmio: entropy") as 24 bytes of
 * NUL-padded ASCII in x1-x3, first character in x1's low byte; all zero
 * for RAM. Any other x2: INVALID_PARAMETER. */
#define OVBS_HV_MEMMAP_ENTRY       OVBS_FN(0x01)
#define OVBS_MEMMAP_RANGE          0
#define OVBS_MEMMAP_NAME           1
/* Returns x0 = status, x1 = feature bits (OVBS_FEAT_*), x2 = IPA bits,
 * x3 = pages used by VTL0's stage-2 tables. */
#define OVBS_HV_INFO               OVBS_FN(0x02)

/* ---- Security events (OVBS_HV_EVENT_READ, OVBS_HV_EVENT_COUNT) ----------
 * The hypervisor keeps its guaranteed record in memory, not on the console
 * (which VTL0 owns and can flood, switch off or loop back): a ring of the
 * last OVBS_EV_RING_SIZE (64) events and a counter per kind that never stops
 * counting. Both calls are fast, callable from any VTL, and need no buffer.
 * The secure kernel keeps one of its own (SC_EVENT_*, vsm.h).
 *
 * OVBS_HV_EVENT_READ: x1 = sequence number (0 = the first since boot).
 *   HV_STATUS_SUCCESS: x1 = header (OVBS_EV_HDR_*), x2 = a, x3 = b (below).
 *   HV_STATUS_NO_DATA: not recorded yet; x1 = the next sequence number
 *     (so reading ~0 tells how many events there have been).
 *   HV_STATUS_EVENT_OVERWRITTEN: the ring no longer holds it; x1 = the
 *     oldest sequence number it holds.
 * OVBS_HV_EVENT_COUNT: x1 = kind (OVBS_EV_*). x1 = events of that kind
 *   since boot, x2 = the next sequence number, x3 = OVBS_EV_COUNT;
 *   HV_STATUS_INVALID_PARAMETER (x1 = 0) for a kind that does not exist. */
#define OVBS_EV_RING_SIZE          64 /* records each ring holds */
#define OVBS_HV_EVENT_READ         OVBS_FN(0x04)
#define OVBS_HV_EVENT_COUNT        OVBS_FN(0x05)
/* Per-VP statistics, any caller: x1 = VP index. x0 = status
 * (HV_STATUS_INVALID_VP_INDEX if there is no such VP), x1 = bits 7:0 the
 * VP's state (enum vtl1_state of hv/vpstate.h: 0 off, 1 enabled, 2 booting,
 * 3 idle, 4 in call, 5 preempted, 6 in intercept, 7 in interrupt, 8 in nested
 * intercept) | bits 63:32 intercepts delivered to VTL1 there (nested ones
 * too), x2 = bits 31:0 secure calls preempted there (yields included) |
 * bits 63:32 of those, the ones VTL1 asked for with OVBS_VTL1_YIELD after
 * a deferral, x3 = preemptions VTL1 deferred there (an interrupt for VTL0
 * during a critical section). */
#define OVBS_HV_VP_STATS           OVBS_FN(0x06)

/* The header register: kind, the VTL that caused the event, the VP, and
 * the system counter (CNTPCT) divided by 2^16 (about 1 ms at 62.5 MHz). */
#define OVBS_EV_HDR_KIND_SHIFT     0  /* bits 15:0 */
#define OVBS_EV_HDR_VTL_SHIFT      16 /* bits 23:16 */
#define OVBS_EV_HDR_VP_SHIFT       24 /* bits 31:24 */
#define OVBS_EV_HDR_TIME_SHIFT     32 /* bits 63:32 */
#define OVBS_EV_TIME_UNIT_SHIFT    16

/* Kinds of hypervisor event, with what a and b hold. "Count only" kinds
 * are counted but never take a ring slot (a flood of them would push the
 * events that matter out). */
enum ovbs_event_kind {
    OVBS_EV_INTERCEPT = 0,        /* VTL0 broke a VTL1 protection: a = GPA, b = ESR_EL2 */
    OVBS_EV_STAGE2_ABORT = 1,     /* abort injected for memory the VTL may not touch:
                                   * a = IPA, b = ESR_EL2 */
    OVBS_EV_CALL_REFUSED = 2,     /* a = function ID, b = OVBS_REFUSED_* */
    OVBS_EV_VTL_CALL_REFUSED = 3, /* VtlCall refused (VTL1 off or busy): a = PC, b = status */
    OVBS_EV_TRAP_REFUSED = 4,     /* unhandled trap, undefined injected: a = ESR_EL2, b = PC */
    OVBS_EV_IRQ_DROPPED = 5,      /* no free list register: a = INTID, b = target VTL */
    OVBS_EV_LINES_SUPPRESSED = 6, /* count only: log lines over their source's rate limit */
    OVBS_EV_LINES_DROPPED = 7,    /* count only: log lines lost to a stalled UART */
    OVBS_EV_TIMER_FORGED = 8,     /* a timer PPI no timer raised, dropped: a = INTID,
                                   * b = that timer's CTL register */
    OVBS_EV_FIQ = 9,              /* a Group 0 interrupt (FIQ), dropped: a = INTID, b = VTL */
    OVBS_EV_GIC_REFUSED = 10,     /* reserved: a GIC register access the emulation refused */
    OVBS_EV_DMA_FAULT = 11,       /* a device's DMA blocked by the SMMU (one per event
                                   * record it wrote): a = the device (input) address,
                                   * 0 for a configuration error;
                                   * b = StreamID (bits 31:0: the PCIe requester ID,
                                   * bus << 8 | device << 3 | function) | write << 32
                                   * (bit 32: 1 write, 0 read or no access). Recorded
                                   * when the hypervisor drains the SMMU's event queue:
                                   * on its interrupt, and at the start of
                                   * OVBS_HV_EVENT_READ / OVBS_HV_EVENT_COUNT, so a
                                   * fault is counted by the next such call. The
                                   * header's VTL/VP are those running at the drain. */
    OVBS_EV_SGI_REFUSED = 12,     /* VTL0 sent the hypervisor's reserved SGI
                                   * (OVBS_HV_RESERVED_SGI): a = ICC_SGI1R_EL1 value,
                                   * b = 1 */
    OVBS_EV_COUNT
};

/* The SGI the hypervisor keeps for itself (to kick another CPU when it
 * injects a virtual SGI or must act there): no VTL may send it, and VTL0
 * never sees it. VTL0 may use SGIs 0-14. */
#define OVBS_HV_RESERVED_SGI       15

/* Why a call was refused (b of OVBS_EV_CALL_REFUSED). */
#define OVBS_REFUSED_WRONG_VTL     1 /* not callable from this VTL */
#define OVBS_REFUSED_BOOT_ONLY     2 /* boot-only call after boot */
#define OVBS_REFUSED_UNKNOWN       3 /* no such call */
#define OVBS_REFUSED_IMMEDIATE     4 /* hvc/smc #n with n != 0 (a = w0) */
#define OVBS_REFUSED_PSCI          5 /* PSCI request denied (a = function ID) */

#define OVBS_FEAT_XNX              (1u << 0) /* stage-2 XN split EL1/EL0 */
#define OVBS_FEAT_SMMU             (1u << 1) /* an SMMUv3 exists, hv owns it */
#define OVBS_FEAT_RNDR             (1u << 2)
#define OVBS_FEAT_PAUTH            (1u << 3)
#define OVBS_FEAT_TPIDR2           (1u << 4) /* SME's TPIDR2_EL0 exists: switched per VTL */
#define OVBS_FEAT_RAS              (1u << 5) /* FEAT_RAS: VDISR_EL2 kept per VTL */
#define OVBS_FEAT_SMMU_ENFORCED    (1u << 6) /* set once the hypervisor has programmed the
                                              * SMMU and enabled it */

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
#define HV_STATUS_INVALID_VP_STATE        0x0015 /* the VP is not in a state for it */
#define HV_STATUS_NO_DATA                 0x001b /* event not recorded yet */
#define HV_STATUS_INVALID_VTL_STATE       0x0051
/* OpenVBS's own, outside the TLFS numbers: the ring overwrote the event. */
#define HV_STATUS_EVENT_OVERWRITTEN       0x0100

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
