/* entry.S: VTL0 test kernel entry, EL1 exception vectors, the switch to EL0
 * and the fault probes the attack tests use. Runs at EL1 in VTL0. */

#include "arm64/entry_macros.inc"

    .section .text.entry, "ax"
    .global _start
_start:
    mrs     x20, pmccntr_el0        /* first instruction: boot_to_vtl0 metric */
    mov     x19, x0                 /* device tree from the hypervisor */
    ZERO_BSS
    adrp    x1, kstack_top
    add     x1, x1, :lo12:kstack_top
    mov     sp, x1
    adrp    x1, vtl0_vectors
    add     x1, x1, :lo12:vtl0_vectors
    msr     vbar_el1, x1
    mov     x1, #(3 << 20)          /* CPACR_EL1.FPEN: FP/SIMD for libfdt */
    msr     cpacr_el1, x1
    isb
    mov     x0, x19
    mov     x1, x20
    bl      kmain
3:  wfe
    b       3b

/* A CPU that PSCI CPU_ON started (smp.c): EL1h, MMU off, DAIF masked,
 * x0 = its struct percpu (the context ID), whose first word is its stack
 * top. It gets that stack, TPIDR_EL1 = the struct, the vectors and FP/SIMD,
 * then C (secondary_main), which turns on the shared stage 1. */
    .global secondary_start
secondary_start:
    ldr     x1, [x0]
    mov     sp, x1
    msr     tpidr_el1, x0
    adrp    x1, vtl0_vectors
    add     x1, x1, :lo12:vtl0_vectors
    msr     vbar_el1, x1
    mov     x1, #(3 << 20)          /* CPACR_EL1.FPEN */
    msr     cpacr_el1, x1
    isb
    bl      secondary_main
4:  wfe
    b       4b

/* Frame layout: struct frame in kernel.h. */
#include "arm64/el1_vectors.inc"

    EL1_VECTORS vtl0_vectors, vtl0_exception

/* long enter_el0(uint64_t pc, uint64_t sp): run user code until it traps;
 * el0_return(result) comes back here from the exception handler. */
    .text
    .global enter_el0
enter_el0:
    KCTX_SAVE el0_saved
    msr     sp_el0, x1
    msr     elr_el1, x0
    msr     spsr_el1, xzr           /* EL0t, interrupts unmasked state irrelevant */
    isb
    eret

    .global el0_return
el0_return:
    KCTX_RESTORE el0_saved
    ret

/* Fault probes: each has one instruction that may fault, at a global
 * label the exception handler recognises; on a fault it resumes at the next
 * instruction with x0 = PROBE_FAULT_VALUE. */
    .global probe_load, probe_load_insn
probe_load:
    mov     x1, x0
probe_load_insn:
    ldr     x0, [x1]
    ret

    .global probe_store, probe_store_insn
probe_store:
    mov     x2, x0
    mov     x0, #0
probe_store_insn:
    str     x1, [x2]
    ret

    .global probe_dc_zva, probe_dc_zva_insn
probe_dc_zva:
    mov     x1, x0
    mov     x0, #0
probe_dc_zva_insn:
    dc      zva, x1
    ret

    .global probe_msr_vttbr, probe_msr_vttbr_insn
probe_msr_vttbr:
    mov     x1, x0
    mov     x0, #0
probe_msr_vttbr_insn:
    msr     vttbr_el2, x1
    ret

    .global probe_msr_hcr, probe_msr_hcr_insn
probe_msr_hcr:
    mov     x1, x0
    mov     x0, #0
probe_msr_hcr_insn:
    msr     hcr_el2, x1
    ret

/* Registers no VTL may use because one copy would serve both: the
 * hypervisor traps them (HCR_EL2.TACR; EnSCXT clear). */
    .global probe_mrs_actlr, probe_mrs_actlr_insn
probe_mrs_actlr:
    mov     x0, #0
probe_mrs_actlr_insn:
    mrs     x0, actlr_el1
    ret

    .global probe_mrs_scxtnum, probe_mrs_scxtnum_insn
probe_mrs_scxtnum:
    mov     x0, #0
probe_mrs_scxtnum_insn:
    mrs     x0, s3_0_c13_c0_7         /* SCXTNUM_EL1 */
    ret

/* uint64_t probe_sgi(uint64_t value): write ICC_SGI1R_EL1. Under
 * HCR_EL2.IMO a guest's SGI write traps to EL2, which sends it (VTL0) or
 * refuses it; 0 back, or PROBE_FAULT_VALUE if it faulted. */
    .global probe_sgi, probe_sgi_insn
probe_sgi:
    mov     x1, x0
    mov     x0, #0
probe_sgi_insn:
    msr     s3_0_c12_c11_5, x1
    ret

/* SVE and SME state (Z/P/FFR, ZA, SVCR) exists once for both VTLs and is
 * not switched: CPTR_EL2.TZ and TSM trap every use, so none can hold
 * anything. RDVL x0, #1 (SVE) and SMSTART (SME), spelled as words so the
 * assembler needs neither extension. */
    .global probe_sve, probe_sve_insn
probe_sve:
    mov     x0, #0
probe_sve_insn:
    .inst   0x04bf5020                /* rdvl x0, #1 */
    ret

    .global probe_sme, probe_sme_insn
probe_sme:
    mov     x0, #0
probe_sme_insn:
    .inst   0xd503477f                /* smstart */
    ret

/* uint64_t probe_exec(uint64_t addr): branch to addr; an instruction abort
 * there returns to our caller with x0 = PROBE_FAULT_VALUE. */
    .global probe_exec
probe_exec:
    mov     x1, x0
    mov     x0, #0
    br      x1

/* uint64_t probe_eret_el2(void): try to ERET into EL2h. The CPU refuses the
 * illegal return: PSTATE.IL is set and the next instruction raises an
 * illegal-execution-state exception, which resumes after probe_eret_target. */
    .global probe_eret_el2, probe_eret_target
probe_eret_el2:
    mov     x0, #0x3c9              /* SPSR: EL2h, DAIF masked */
    msr     spsr_el1, x0
    adr     x0, probe_eret_target
    msr     elr_el1, x0
    mov     x0, #0
    isb
    eret
probe_eret_target:
    nop
    ret

    .bss
    .balign 8
vtl0_timed_sp:
    .space  8
    .balign 16
el0_saved:
    .space  KCTX_SIZE
    .balign 16
kstack:
    .space  32768
    .global kstack_top
kstack_top:

/* EL0 test programs, on their own user-executable page. */
    .section .user_text, "ax"
    .global user_hvc, user_svc_exit
user_hvc:                            /* HVC is UNDEFINED at EL0 */
    movz    x0, #0xc600, lsl #16
    hvc     #0
    mov     x0, #0
    svc     #0
user_svc_exit:                       /* exit(42) */
    mov     x0, #42
    svc     #0

    .global user_vtl_call
user_vtl_call:                       /* VtlCall from EL0: HVC is UNDEFINED here */
    movz    w0, #0x0010
    movk    w0, #0xc600, lsl #16
    mov     x1, #0
    hvc     #0
    mov     x0, #0
    svc     #0

/* void vtl0_timed_vcall(uint64_t io[7]): the VtlCall of vcall_with_timer
 * (irq.c), io[0..6] = x0..x6 in, io[0..3] = x0..x3 out, with IRQs unmasked
 * only around its HVC. The hypervisor rewinds a call that VTL0's interrupt
 * preempts onto its HVC, so an interrupt taken with ELR_EL1 at
 * vtl0_timed_hvc arrived while VTL1 worked on this call, and one at any
 * other PC did not (vtl0_irq). An interrupt already pending when IRQs are
 * unmasked is taken at the ISB, before the NOP, never at the HVC itself;
 * only one becoming pending in the single instruction before the HVC
 * could be misread (on QEMU not even that: the NOP and the HVC form one
 * translation block, and TCG takes interrupts only between blocks).
 * vtl0_timed_sp records the SP of the call, which the hypervisor compares
 * when the call is re-issued. */
    .text
    .global vtl0_timed_vcall, vtl0_timed_hvc, vtl0_timed_sp
vtl0_timed_vcall:
    mov     x16, x0                 /* io and the return address live in x16 */
    mov     x17, x30                /* and x17, which the HVC keeps (SMCCC) */
    mov     x9, sp
    adrp    x10, vtl0_timed_sp
    str     x9, [x10, :lo12:vtl0_timed_sp]
    ldp     x0, x1, [x16]
    ldp     x2, x3, [x16, #16]
    ldp     x4, x5, [x16, #32]
    ldr     x6, [x16, #48]
    msr     daifclr, #2
    isb
    nop
vtl0_timed_hvc:
    hvc     #0
vtl0_timed_after:                   /* nothing from here on touches the stack */
    msr     daifset, #2
    stp     x0, x1, [x16]
    stp     x2, x3, [x16, #16]
    ret     x17

/* void vtl0_vcall_same_pc(uint64_t sp, uint64_t io[7]): the VtlCall of
 * vtl0_timed_vcall, from its very HVC (vtl0_timed_hvc) with SP = `sp`, IRQs
 * masked: another VP repeats a preempted call's PC and SP exactly
 * (smp_resume_other_vp). The code after that HVC uses no stack, so `sp`
 * may be another CPU's; ours waits in x15, which the HVC keeps. */
    .global vtl0_vcall_same_pc
vtl0_vcall_same_pc:
    mov     x16, x1
    adr     x17, 1f
    mov     x15, sp
    ldp     x2, x3, [x16, #16]
    ldp     x4, x5, [x16, #32]
    ldr     x6, [x16, #48]
    mov     sp, x0
    ldp     x0, x1, [x16]
    b       vtl0_timed_hvc
1:  mov     sp, x15
    ret

/* uint64_t vtl0_vcall_at_sp(uint64_t sp, uint64_t service): a VtlCall from
 * an HVC of its own (not vtl0_timed_hvc) made with SP set to `sp`: from an
 * interrupt handler, with the SP of a preempted call, it is the same stack
 * at another PC. Nothing is stored while SP is moved. Returns x0. */
    .global vtl0_vcall_at_sp
vtl0_vcall_at_sp:
    mov     x9, sp
    mov     sp, x0
    movz    w0, #0x0010             /* OVBS_VTL_CALL */
    movk    w0, #0xc600, lsl #16
    mov     x2, #0
    mov     x3, #0
    mov     x4, #0
    mov     x5, #0
    mov     x6, #0
    hvc     #0
    mov     sp, x9
    ret

/* uint64_t busy_spin(volatile uint32_t *phase): VTL0 work for the 4-CPU
 * protect benchmark (bench.c): loop until *phase is 2, counting the
 * iterations that saw 1. Every iteration is BUSY_INSNS (5) instructions,
 * whatever the phase, so the count says how many this CPU retired in the
 * phase-1 window. */
    .text
    .global busy_spin
busy_spin:
    mov     x1, #0
1:  ldar    w2, [x0]
    cmp     w2, #1
    cinc    x1, x1, eq
    cmp     w2, #2
    b.ne    1b
    mov     x0, x1
    ret

/* void vtl0_scrub_probe(uint64_t *out): make the SC_SCRUB_TEST secure call,
 * then record every register VTL1 could have left something in: x0..x30,
 * q0..q31, TPIDR_EL0, TPIDRRO_EL0, TPIDR_EL1, SP_EL0. */
    .text
    .global vtl0_scrub_probe
vtl0_scrub_probe:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mov     x19, x0
    movz    w0, #0x0010             /* OVBS_VTL_CALL */
    movk    w0, #0xc600, lsl #16
    mov     x1, #7                  /* SC_SCRUB_TEST */
    hvc     #0
    stp     x0, x1, [x19, #0]
    stp     x2, x3, [x19, #16]
    stp     x4, x5, [x19, #32]
    stp     x6, x7, [x19, #48]
    stp     x8, x9, [x19, #64]
    stp     x10, x11, [x19, #80]
    stp     x12, x13, [x19, #96]
    stp     x14, x15, [x19, #112]
    stp     x16, x17, [x19, #128]
    stp     x18, x19, [x19, #144]
    stp     x20, x21, [x19, #160]
    stp     x22, x23, [x19, #176]
    stp     x24, x25, [x19, #192]
    stp     x26, x27, [x19, #208]
    stp     x28, x29, [x19, #224]
    str     x30, [x19, #240]
    add     x20, x19, #248
    stp     q0, q1, [x20], #32
    stp     q2, q3, [x20], #32
    stp     q4, q5, [x20], #32
    stp     q6, q7, [x20], #32
    stp     q8, q9, [x20], #32
    stp     q10, q11, [x20], #32
    stp     q12, q13, [x20], #32
    stp     q14, q15, [x20], #32
    stp     q16, q17, [x20], #32
    stp     q18, q19, [x20], #32
    stp     q20, q21, [x20], #32
    stp     q22, q23, [x20], #32
    stp     q24, q25, [x20], #32
    stp     q26, q27, [x20], #32
    stp     q28, q29, [x20], #32
    stp     q30, q31, [x20], #32
    mrs     x0, tpidr_el0
    mrs     x1, tpidrro_el0
    stp     x0, x1, [x20], #16
    mrs     x0, tpidr_el1
    mrs     x1, sp_el0
    stp     x0, x1, [x20]
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret
