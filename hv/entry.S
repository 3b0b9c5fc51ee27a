/* entry.S: EL2 reset entry, exception vectors, and the guest entry/exit path
 * of the hypervisor. Runs at EL2 (non-VHE: HCR_EL2.E2H = 0). */
#include "layout.h"
#include "arm64/entry_macros.inc"

    .section .text.entry, "ax"
    .global _start
_start:
    /* Start the PMU cycle counter first so boot_to_vtl0 counts from here
     * (under icount one cycle = one instruction). PMCCFILTR_EL0.NSH (bit 27)
     * makes it count at EL2 too. HV_BOOT_UNCOUNTED names these six. */
    mov     x9, #(1 << 27)
    msr     pmccfiltr_el0, x9
    mov     x9, #(1 << 31)          /* PMCNTENSET_EL0.C: enable cycle counter */
    msr     pmcntenset_el0, x9
    mov     x9, #0x45               /* PMCR_EL0: E (enable), C (reset), LC (64-bit) */
    msr     pmcr_el0, x9

    mov     x19, x0                 /* device tree address, 0 from QEMU's ELF boot */

    ZERO_BSS
    /* Boot CPU: per-CPU data in TPIDR_EL2, stack above its guard page. */
    adrp    x0, hv_cpus
    add     x0, x0, :lo12:hv_cpus
    msr     tpidr_el2, x0
    adrp    x1, hv_stacks
    add     x1, x1, :lo12:hv_stacks
    add     x1, x1, #(HV_STACK_GUARD + HV_STACK_SIZE)
    mov     sp, x1

    adrp    x1, hv_vectors
    add     x1, x1, :lo12:hv_vectors
    msr     vbar_el2, x1
    /* CPTR_EL2: RES1 bits 13:12 and 9:0, TFP (bit 10) clear: the libraries
     * used during boot (libfdt) may use FP/SIMD registers. */
    mov     x1, #0x33ff
    msr     cptr_el2, x1
    isb

    mov     x0, x19
    bl      hv_main
3:  wfe
    b       3b

/* A CPU started by PSCI CPU_ON (psci.c), at EL2 with the MMU and caches
 * off; x0 = its index (the context ID the hypervisor gave firmware). The
 * EL2 MMU goes on before the first store: until then data accesses are
 * Device accesses straight to memory, and the stack must not be written
 * around the caches. The boot CPU cleaned the values read here to the
 * point of coherency (hv_cpu_prepare). */
    .global hv_secondary_entry
hv_secondary_entry:
    cmp     x0, #HV_MAX_CPUS
    b.hs    9f
    adrp    x1, hv_el2_mmu
    add     x1, x1, :lo12:hv_el2_mmu
    ldp     x2, x3, [x1]            /* MAIR_EL2, TCR_EL2 */
    ldp     x4, x5, [x1, #16]       /* TTBR0_EL2, SCTLR_EL2 */
    msr     mair_el2, x2
    msr     tcr_el2, x3
    msr     ttbr0_el2, x4
    isb
    tlbi    alle2                   /* nothing of a former life stays */
    dsb     nsh
    ic      iallu
    dsb     nsh
    isb
    msr     sctlr_el2, x5
    isb
    adrp    x1, hv_cpus
    add     x1, x1, :lo12:hv_cpus
    mov     x2, #CPU_SIZE
    madd    x1, x0, x2, x1
    msr     tpidr_el2, x1
    ldr     x2, [x1, #CPU_STACK_TOP]
    mov     sp, x2
    adrp    x2, hv_vectors
    add     x2, x2, :lo12:hv_vectors
    msr     vbar_el2, x2
    mov     x2, #0x33ff             /* CPTR_EL2 as on the boot CPU */
    msr     cptr_el2, x2
    isb
    mov     x0, x1
    bl      hv_secondary_main
9:  wfe
    b       9b

/* ---- Exception vectors (VBAR_EL2), 16 entries of 0x80 bytes ---------- */
.macro vector_fatal kind
    .balign 0x80
    msr     sp_el0, x0              /* scratch: we are stopping anyway */
    mrs     x0, tpidr_el2
    ldr     x0, [x0, #CPU_PANIC_SP]
    sub     x0, x0, #REGS_SIZE
    stp     x1, x2, [x0, #REGS_X(1)]
    mov     x1, #\kind
    b       hv_fatal_entry
.endm

.macro vector_guest kind
    .balign 0x80
    sub     sp, sp, #16
    stp     x0, x1, [sp]
    mov     x1, #\kind
    b       guest_exit_common
.endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global hv_vectors
hv_vectors:
    vector_fatal EXIT_SYNC          /* current EL, SP_EL0 */
    vector_fatal EXIT_IRQ
    vector_fatal EXIT_FIQ
    vector_fatal EXIT_SERROR
    vector_fatal EXIT_SYNC          /* current EL, SP_EL2 */
    vector_fatal EXIT_IRQ
    vector_fatal EXIT_FIQ
    vector_fatal EXIT_SERROR
    vector_guest EXIT_SYNC          /* lower EL, AArch64 */
    vector_guest EXIT_IRQ
    vector_guest EXIT_FIQ
    vector_guest EXIT_SERROR
    vector_guest EXIT_SYNC          /* lower EL, AArch32 (EL0 of a guest) */
    vector_guest EXIT_IRQ
    vector_guest EXIT_FIQ
    vector_guest EXIT_SERROR

/* A guest trapped: save its general registers into the current VP's
 * struct guest_regs, handle the exit in C, resume whichever register set
 * C returns (the same VTL, or another after a VTL switch). x0/x1 are on the
 * stack, x1 holds the exit kind. */
guest_exit_common:
    mrs     x0, tpidr_el2
    ldr     x0, [x0, #CPU_CUR_REGS]
    stp     x2, x3, [x0, #REGS_X(2)]
    stp     x4, x5, [x0, #REGS_X(4)]
    stp     x6, x7, [x0, #REGS_X(6)]
    stp     x8, x9, [x0, #REGS_X(8)]
    stp     x10, x11, [x0, #REGS_X(10)]
    stp     x12, x13, [x0, #REGS_X(12)]
    stp     x14, x15, [x0, #REGS_X(14)]
    stp     x16, x17, [x0, #REGS_X(16)]
    stp     x18, x19, [x0, #REGS_X(18)]
    stp     x20, x21, [x0, #REGS_X(20)]
    stp     x22, x23, [x0, #REGS_X(22)]
    stp     x24, x25, [x0, #REGS_X(24)]
    stp     x26, x27, [x0, #REGS_X(26)]
    stp     x28, x29, [x0, #REGS_X(28)]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #REGS_X(0)]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x30, x2, [x0, #REGS_X(30)]
    str     x3, [x0, #REGS_SPSR]
    bl      hv_guest_exit
    /* fall through with x0 = registers to resume */

/* void guest_resume(struct guest_regs *regs): restore and ERET. */
    .global guest_resume
guest_resume:
    ldp     x30, x2, [x0, #REGS_X(30)]
    ldr     x3, [x0, #REGS_SPSR]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldp     x2, x3, [x0, #REGS_X(2)]
    ldp     x4, x5, [x0, #REGS_X(4)]
    ldp     x6, x7, [x0, #REGS_X(6)]
    ldp     x8, x9, [x0, #REGS_X(8)]
    ldp     x10, x11, [x0, #REGS_X(10)]
    ldp     x12, x13, [x0, #REGS_X(12)]
    ldp     x14, x15, [x0, #REGS_X(14)]
    ldp     x16, x17, [x0, #REGS_X(16)]
    ldp     x18, x19, [x0, #REGS_X(18)]
    ldp     x20, x21, [x0, #REGS_X(20)]
    ldp     x22, x23, [x0, #REGS_X(22)]
    ldp     x24, x25, [x0, #REGS_X(24)]
    ldp     x26, x27, [x0, #REGS_X(26)]
    ldp     x28, x29, [x0, #REGS_X(28)]
    ldp     x0, x1, [x0, #REGS_X(0)]
    eret
    dsb nsh
    isb                             /* speculation barrier after ERET */

/* void guest_first_entry(struct guest_regs *regs, uintptr_t stack_top):
 * drop the boot call chain and enter the guest for the first time. */
    .global guest_first_entry
guest_first_entry:
    mov     sp, x1
    b       guest_resume

/* An exception taken from EL2 itself is always a hypervisor bug (or a
 * stack overflow into a guard page). Switch to this CPU's panic stack, save
 * every register in a struct guest_regs-shaped frame there and report. On
 * entry x0 points at the frame (x1, x2 already saved), x1 holds the kind and
 * the interrupted x0 is in SP_EL0. */
hv_fatal_entry:
    stp     x3, x4, [x0, #REGS_X(3)]
    stp     x5, x6, [x0, #REGS_X(5)]
    stp     x7, x8, [x0, #REGS_X(7)]
    stp     x9, x10, [x0, #REGS_X(9)]
    stp     x11, x12, [x0, #REGS_X(11)]
    stp     x13, x14, [x0, #REGS_X(13)]
    stp     x15, x16, [x0, #REGS_X(15)]
    stp     x17, x18, [x0, #REGS_X(17)]
    stp     x19, x20, [x0, #REGS_X(19)]
    stp     x21, x22, [x0, #REGS_X(21)]
    stp     x23, x24, [x0, #REGS_X(23)]
    stp     x25, x26, [x0, #REGS_X(25)]
    stp     x27, x28, [x0, #REGS_X(27)]
    stp     x29, x30, [x0, #REGS_X(29)]
    mrs     x2, sp_el0
    str     x2, [x0, #REGS_X(0)]
    mov     x2, sp
    str     x2, [x0, #REGS_SPSR]    /* SPSR slot holds the faulting SP */
    mov     sp, x0
    bl      hv_fatal                /* (frame, kind) */
4:  wfe
    b       4b
