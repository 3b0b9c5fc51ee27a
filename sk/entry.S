/* entry.S: secure kernel entry, EL1 exception vectors of VTL1, and the
 * hypercall stubs that leave VTL1 (VtlReturn and friends). Runs at EL1 in
 * VTL1. Leaving VTL1 is a hypercall that "returns" when VTL1 is next
 * entered, with the entry reason in x0 and its details in x1..x7. */

#include "arm64/entry_macros.inc"
#include "cpu_offsets.h"

/* The boot VP: x0 = VTL1 memory base, x1 = its size, x2 = VPs in the
 * partition. Only here is .bss zeroed: every other VP's entry runs on a
 * stack in it. TPIDR_EL1 = &sk_cpus[0] before any C code (this_cpu()). */
    .section .text.entry, "ax"
    .global _start
_start:
    mov     x19, x0                 /* VTL1 memory base (from the hypervisor) */
    mov     x20, x1                 /* and size */
    mov     x21, x2                 /* and the number of VPs */
    ZERO_BSS
    adrp    x1, sk_stack_top
    add     x1, x1, :lo12:sk_stack_top
    mov     sp, x1
    adrp    x1, sk_cpus
    add     x1, x1, :lo12:sk_cpus
    msr     tpidr_el1, x1
    adrp    x1, sk_vectors
    add     x1, x1, :lo12:sk_vectors
    msr     vbar_el1, x1
    mov     x1, #(3 << 20)          /* CPACR_EL1.FPEN: FP/SIMD allowed */
    msr     cpacr_el1, x1
    isb
    mov     x0, x19
    mov     x1, x20
    mov     x2, x21
    bl      sk_main
    mov     x1, #1
    b       sk_fatal_stub

/* Every other start of a VP (OVBS_ENABLE_VP_VTL), and the boot VP's
 * restart after CPU_OFF: MMU off, EL1h, DAIF masked, SP_EL1 = this VP's
 * own stack, x0 = VTL_ENTRY_VP_START, x1 = &sk_cpus[vp], x2 = vp. Every
 * EL1 register has its reset value. With the MMU off data accesses are
 * Device memory, so nothing is written before the MMU is on, and the only
 * loads are the aligned words of sk_mmu_regs, which the boot VP cleaned to
 * the point of coherency (mmu.c). The TLBs and the instruction cache of
 * this PE may hold anything from before: both are invalidated (locally: no
 * other PE used this one's) before SCTLR_EL1.M is set (Arm ARM D8.11,
 * "TLB maintenance"; D7.5.9 for the instruction cache). */
    .global sk_secondary_entry
sk_secondary_entry:
    cmp     x0, #4                  /* VTL_ENTRY_VP_START */
    b.ne    1f
    mov     x19, x1
    mov     x20, x2
    msr     tpidr_el1, x1
    adrp    x3, sk_vectors
    add     x3, x3, :lo12:sk_vectors
    msr     vbar_el1, x3
    mov     x3, #(3 << 20)          /* CPACR_EL1.FPEN: fp_init sets its own */
    msr     cpacr_el1, x3
    adrp    x9, sk_mmu_regs
    add     x9, x9, :lo12:sk_mmu_regs
    ldp     x10, x11, [x9, #0]      /* MAIR, TCR */
    ldp     x12, x13, [x9, #16]     /* TTBR0, SCTLR */
    cbz     x13, 1f                 /* the boot VP never saved them */
    msr     mair_el1, x10
    msr     tcr_el1, x11
    msr     ttbr0_el1, x12
    isb
    tlbi    vmalle1
    ic      iallu
    dsb     nsh
    isb
    msr     sctlr_el1, x13
    isb
    mov     x0, x19
    mov     x1, x20
    bl      sk_secondary_main
1:  mov     x1, #2
    b       sk_fatal_stub

/* An intercept while this VP's secure call is preempted (vsm.h, nested
 * intercepts): EL1h, DAIF masked, SP_EL1 = this VP's nested stack,
 * x0 = VTL_ENTRY_INTERCEPT, x1..x6 = the message, TPIDR_EL1 and the MMU as
 * the call left them. main.c answers with VtlReturn, which never returns:
 * the hypervisor puts the call's context back. */
    .global sk_nested_entry
sk_nested_entry:
    mov     x29, #0                 /* no frame below: the call's is not ours */
    mov     x30, #0
    bl      sk_nested_intercept
    mov     x1, #3
    b       sk_fatal_stub

#include "arm64/el1_vectors.inc"

    EL1_VECTORS sk_vectors, sk_exception

    .text
/* void sk_leave(struct sk_io *io, uint32_t fid): hypercall `fid` with
 * x1..x4 = io->x[1..4]; when VTL1 is entered again, io->x[0..7] = x0..x7.
 * The hypervisor preserves every other register of VTL1. */
    .global sk_leave
sk_leave:
    mov     x9, x0
    mov     w0, w1
    ldp     x1, x2, [x9, #8]
    ldp     x3, x4, [x9, #24]
    hvc     #0
    stp     x0, x1, [x9, #0]
    stp     x2, x3, [x9, #16]
    stp     x4, x5, [x9, #32]
    stp     x6, x7, [x9, #48]
    ret

/* void sk_scrub_and_return(struct sk_io *io): VtlReturn with success, after
 * filling every register VTL0 might inherit with SC_SCRUB_MARKER: general
 * registers, FP/SIMD registers, the thread-ID registers, and every EL1
 * register this kernel can change for a moment without harm: FAR, PAR,
 * ELR, SPSR, ESR, CONTEXTIDR, AFSR0/1 get the marker, CSSELR selects the
 * level-2 cache, CNTKCTL opens the counters to EL0 (no trustlet runs in the
 * window). A test in VTL0 then looks for the marker in its own registers
 * and checks that each of these holds its own value. Not planted, because
 * this kernel runs on them until the HVC: SCTLR, TTBR0/1, TCR, MAIR, AMAIR,
 * VBAR, CPACR (VTL0 checks its own values of those anyway); MDSCR traps to
 * EL2 for everyone. An interrupt taken before the HVC would overwrite ELR,
 * SPSR, ESR and FAR with its own values: that weakens one run of the test,
 * it cannot fail it. After re-entry every register gets this kernel's value
 * back. TPIDR_EL1 is planted after the vector registers (their first use
 * traps to fpu.c, which finds its VP through TPIDR_EL1), and IRQs stay
 * masked from before it is planted until it holds this VP's struct sk_cpu
 * again: VTL1's interrupt handler finds its VP through it too. An
 * interrupt of VTL1's own that comes meanwhile is taken when DAIF is put
 * back. Save area below the callee-saved registers: 0
 * TPIDR_EL1, 8 TPIDR_EL0, 16 TPIDRRO_EL0, 24 SP_EL0, 32 io, 40 FAR, 48 PAR,
 * 56 ELR, 64 SPSR, 72 ESR, 80 CONTEXTIDR, 88 AFSR0, 96 AFSR1, 104 CSSELR,
 * 112 CNTKCTL, 120 DAIF. */
/* The EL1 registers the scrub plants, in pairs, with their save slots; each
 * pair goes through x10/x11. */
.macro save_el1_pair a, b, off
    mrs     x10, \a
    mrs     x11, \b
    stp     x10, x11, [sp, #\off]
.endm
.macro load_el1_pair a, b, off
    ldp     x10, x11, [sp, #\off]
    msr     \a, x10
    msr     \b, x11
.endm
.macro SCRUBBED_EL1 op
    \op    far_el1, par_el1, 40
    \op    elr_el1, spsr_el1, 56
    \op    esr_el1, contextidr_el1, 72
    \op    afsr0_el1, afsr1_el1, 88
    \op    csselr_el1, cntkctl_el1, 104
.endm

    .global sk_scrub_and_return
sk_scrub_and_return:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mrs     x14, daif
    msr     daifset, #2
    mrs     x10, tpidr_el1
    mrs     x11, tpidr_el0
    mrs     x12, tpidrro_el0
    mrs     x13, sp_el0
    stp     x10, x11, [sp, #-128]!
    stp     x12, x13, [sp, #16]
    str     x0, [sp, #32]
    str     x14, [sp, #120]
    SCRUBBED_EL1 save_el1_pair
    /* x5 = 0x5ec7e75ec7e75ec7 = SC_SCRUB_MARKER */
    movz    x5, #0x5ec7
    movk    x5, #0xc7e7, lsl #16
    movk    x5, #0xe75e, lsl #32
    movk    x5, #0x5ec7, lsl #48
    msr     tpidr_el0, x5
    msr     tpidrro_el0, x5
    msr     sp_el0, x5
    msr     far_el1, x5
    msr     par_el1, x5
    msr     elr_el1, x5
    msr     spsr_el1, x5
    msr     esr_el1, x5
    msr     contextidr_el1, x5
    msr     afsr0_el1, x5
    msr     afsr1_el1, x5
    mov     x6, #2                  /* CSSELR: level 2, data or unified */
    msr     csselr_el1, x6
    mov     x6, #3                  /* CNTKCTL: EL0PCTEN, EL0VCTEN */
    msr     cntkctl_el1, x6
    dup     v0.2d, x5
    mov     v1.16b, v0.16b
    mov     v2.16b, v0.16b
    mov     v3.16b, v0.16b
    mov     v4.16b, v0.16b
    mov     v5.16b, v0.16b
    mov     v6.16b, v0.16b
    mov     v7.16b, v0.16b
    mov     v8.16b, v0.16b
    mov     v9.16b, v0.16b
    mov     v10.16b, v0.16b
    mov     v11.16b, v0.16b
    mov     v12.16b, v0.16b
    mov     v13.16b, v0.16b
    mov     v14.16b, v0.16b
    mov     v15.16b, v0.16b
    mov     v16.16b, v0.16b
    mov     v17.16b, v0.16b
    mov     v18.16b, v0.16b
    mov     v19.16b, v0.16b
    mov     v20.16b, v0.16b
    mov     v21.16b, v0.16b
    mov     v22.16b, v0.16b
    mov     v23.16b, v0.16b
    mov     v24.16b, v0.16b
    mov     v25.16b, v0.16b
    mov     v26.16b, v0.16b
    mov     v27.16b, v0.16b
    mov     v28.16b, v0.16b
    mov     v29.16b, v0.16b
    mov     v30.16b, v0.16b
    mov     v31.16b, v0.16b
    /* Only now: the first FP/SIMD instruction above may trap to fpu.c,
     * which finds this VP's state through TPIDR_EL1. */
    msr     tpidr_el1, x5
    mov     x6, x5
    mov     x7, x5
    mov     x8, x5
    mov     x9, x5
    mov     x10, x5
    mov     x11, x5
    mov     x12, x5
    mov     x13, x5
    mov     x14, x5
    mov     x15, x5
    mov     x16, x5
    mov     x17, x5
    mov     x18, x5
    mov     x19, x5
    mov     x20, x5
    mov     x21, x5
    mov     x22, x5
    mov     x23, x5
    mov     x24, x5
    mov     x25, x5
    mov     x26, x5
    mov     x27, x5
    mov     x28, x5
    mov     x29, x5
    mov     x30, x5
    mov     x1, #0                  /* results: HV_STATUS_SUCCESS, 0, 0, 0 */
    mov     x2, #0
    mov     x3, #0
    mov     x4, #0
    movz    w0, #0x0011             /* OVBS_VTL_RETURN = 0xc6000011 */
    movk    w0, #0xc600, lsl #16
    hvc     #0
    /* Entered again: x0..x7 describe the entry. */
    ldr     x9, [sp, #32]
    stp     x0, x1, [x9, #0]
    stp     x2, x3, [x9, #16]
    stp     x4, x5, [x9, #32]
    stp     x6, x7, [x9, #48]
    SCRUBBED_EL1 load_el1_pair
    ldp     x10, x11, [sp, #0]
    ldp     x12, x13, [sp, #16]
    ldr     x14, [sp, #120]
    add     sp, sp, #128
    msr     tpidr_el1, x10
    msr     tpidr_el0, x11
    msr     tpidrro_el0, x12
    msr     sp_el0, x13
    isb
    msr     daif, x14
    isb
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret

/* A runaway loop for the watchdog service, entered with IRQs masked: it
 * unmasks them and spins. Only VTL1's own timer gets the CPU out (the
 * interrupt handler moves ELR from the loop to sk_runaway_escape). */
    .global sk_runaway, sk_runaway_loop, sk_runaway_escape
sk_runaway:
    msr     daifclr, #2
sk_runaway_loop:
    b       sk_runaway_loop
sk_runaway_escape:
    ret

    .global sk_fatal_stub
sk_fatal_stub:                      /* x1 = code */
    movz    w0, #0x0018             /* OVBS_VTL1_FATAL */
    movk    w0, #0xc600, lsl #16
    hvc     #0
    b       sk_fatal_stub

    .bss
    .balign 16
sk_stack:
    .space  SK_STACK_SIZE
    .global sk_stack_top
sk_stack_top:                       /* the boot VP's, also after a restart */

/* VPs 1 .. SK_MAX_VPS - 1: one stack each, VP i's top at
 * sk_vp_stacks + i * SK_STACK_SIZE (smp.c). */
    .balign 16
    .global sk_vp_stacks
sk_vp_stacks:
    .space  SK_STACK_SIZE * (SK_MAX_VPS - 1)

/* Every VP's stack for nested intercepts, VP i's top at
 * sk_nested_stacks + (i + 1) * SK_NESTED_STACK_SIZE (smp.c). */
    .balign 16
    .global sk_nested_stacks
sk_nested_stacks:
    .space  SK_NESTED_STACK_SIZE * SK_MAX_VPS

/* The kernel context of entry_macros.inc's KCTX_SAVE/KCTX_RESTORE, kept in
 * this VP's struct sk_cpu (TPIDR_EL1 + SK_CPU_KCTX) instead of one global:
 * each VP runs its own trustlet. Clobber x9 and x10. */
.macro KCTX_SAVE_THIS_VP
    mrs     x9, tpidr_el1
    add     x9, x9, #SK_CPU_KCTX
    KCTX_SAVE_X9
.endm

.macro KCTX_RESTORE_THIS_VP
    mrs     x9, tpidr_el1
    add     x9, x9, #SK_CPU_KCTX
    KCTX_RESTORE_X9
.endm

/* long sk_enter_el0(const struct frame *user): save the kernel's callee-saved
 * registers and stack, load the trustlet's whole register frame and ERET to
 * EL0. sk_el0_return(result), called from an exception taken from EL0, comes
 * back here. Frame offsets as in vector_common; SP_EL0 at 280. */
    .text
    .global sk_enter_el0
sk_enter_el0:
    KCTX_SAVE_THIS_VP
    mov     x30, x0
    ldr     x1, [x30, #280]
    msr     sp_el0, x1
    ldp     x1, x2, [x30, #248]
    msr     elr_el1, x1
    msr     spsr_el1, x2
    ldp     x0, x1, [x30, #0]
    ldp     x2, x3, [x30, #16]
    ldp     x4, x5, [x30, #32]
    ldp     x6, x7, [x30, #48]
    ldp     x8, x9, [x30, #64]
    ldp     x10, x11, [x30, #80]
    ldp     x12, x13, [x30, #96]
    ldp     x14, x15, [x30, #112]
    ldp     x16, x17, [x30, #128]
    ldp     x18, x19, [x30, #144]
    ldp     x20, x21, [x30, #160]
    ldp     x22, x23, [x30, #176]
    ldp     x24, x25, [x30, #192]
    ldp     x26, x27, [x30, #208]
    ldp     x28, x29, [x30, #224]
    ldr     x30, [x30, #240]
    eret

    .global sk_el0_return
sk_el0_return:
    KCTX_RESTORE_THIS_VP
    ret
