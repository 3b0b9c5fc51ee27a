/* layout.h: sizes and structure offsets shared by the hypervisor's assembly
 * and C (EL2). Memory map of the machine as the hypervisor arranges it:
 *
 *   RAM base  +----------------------------+
 *             | device tree from firmware  |  hv (read at boot, kept)
 *   +2 MiB    +----------------------------+  __hv_start (link address)
 *             | hv text  (RX)              |
 *             | hv rodata + payload (R)    |  payload = VTL0 kernel ELF
 *             | hv data, bss, stacks (RW)  |  per-CPU stacks with guard pages
 *             +----------------------------+  __hv_end
 *             | hv page pool (RW)          |  tables, ownership bytes
 *             +----------------------------+  2 MiB aligned
 *             | reserved for VTL1          |  HV_VTL1_SIZE, never in VTL0's stage 2
 *             +----------------------------+
 *             | VTL0 RAM                   |  device tree for VTL0 at its start,
 *             |  ...                       |  VTL0 kernel where its ELF says
 *   RAM end   +----------------------------+
 *
 * Devices: passed to VTL0 as found in the device tree, except those the
 * hypervisor owns (SMMUv3). Holes are mapped for nobody.
 */
#ifndef OVBS_HV_LAYOUT_H
#define OVBS_HV_LAYOUT_H

#define HV_MAX_CPUS        8
#define HV_STACK_SIZE      (16 * 1024)
#define HV_STACK_GUARD     4096            /* unmapped page below each stack */
#define HV_PANIC_STACK     4096
#define HV_POOL_SIZE       (4 * 1024 * 1024)
#define HV_VTL1_SIZE       (16 * 1024 * 1024)
#define HV_FDT_SLACK       (64 * 1024)     /* room to edit VTL0's device tree */

/* struct hv_cpu field offsets (checked by _Static_assert in percpu.h). */
#define CPU_CUR_REGS       0
#define CPU_PANIC_SP       8
#define CPU_STACK_TOP      16
#define CPU_SIZE           64

/* struct guest_regs layout: x0..x30, then ELR_EL2, SPSR_EL2. */
#define REGS_X(n)          ((n) * 8)
#define REGS_ELR           248
#define REGS_SPSR          256
#define REGS_SIZE          272

/* Exit kinds passed from the vectors to C. */
#define EXIT_SYNC          0
#define EXIT_IRQ           1
#define EXIT_FIQ           2
#define EXIT_SERROR        3

/* Instructions executed at reset before the PMU cycle counter starts; the
 * hypercall ABI publishes the same number (OVBS_BOOT_UNCOUNTED_INSNS). */
#define HV_BOOT_UNCOUNTED  6
#endif
