/* probe.S: reads (and one write) of registers the secure kernel must NOT
 * be able to reach (EL1 of VTL1), for SC_STATE_PROBE. Each probe returns 1
 * with the value in *out if the access worked; if the hypervisor refused
 * it (an undefined instruction, or an abort), the exception handler finds
 * the faulting PC in sk_probe_insns (probe_fixup in main.c), makes x0 0
 * and steps over it. */

.macro PROBE name, reg
    .global \name
\name:
    mov     x1, x0
    mov     x0, #1
    mov     x2, #0
\name\()_insn:
    mrs     x2, \reg
    str     x2, [x1]
    ret
.endm

    .text
    PROBE   sk_probe_cntp_cval, cntp_cval_el0    /* VTL0's EL1 physical timer */
    PROBE   sk_probe_cntp_ctl, cntp_ctl_el0
    PROBE   sk_probe_pmccntr, pmccntr_el0        /* VTL0's cycle counter */
    PROBE   sk_probe_pmuserenr, pmuserenr_el0    /* one register for both VTLs */
    PROBE   sk_probe_actlr, actlr_el1            /* IMPLEMENTATION DEFINED, shared */
    PROBE   sk_probe_scxtnum_el1, s3_0_c13_c0_7
    PROBE   sk_probe_scxtnum_el0, s3_3_c13_c0_7

/* int sk_probe_sgi(uint64_t *out): a write, not a read: ICC_SGI1R_EL1 with
 * an empty target list (SGI 0 to no CPU). Under HCR_EL2.IMO it traps, and
 * the hypervisor sends SGIs for VTL0 only, so VTL1 gets an undefined
 * instruction (hv/trap.c, sgi_write); *out stays 0 either way. */
    .global sk_probe_sgi
sk_probe_sgi:
    mov     x1, x0
    mov     x0, #1
    mov     x2, #0
sk_probe_sgi_insn:
    msr     s3_0_c12_c11_5, x2
    str     x2, [x1]
    ret

/* int sk_probe_load(uint64_t pa, uint64_t *out): a read of memory mapped
 * at pa; the abort the hypervisor injects if stage 2 stops it (EC 0x25)
 * comes back through probe_fixup like an undefined instruction. */
    .global sk_probe_load
sk_probe_load:
    mov     x2, x1
    mov     x1, x0
    mov     x0, #1
    mov     x3, #0
sk_probe_load_insn:
    ldr     x3, [x1]
    str     x3, [x2]
    ret

    .section .rodata
    .balign 8
    .global sk_probe_insns, sk_probe_count
sk_probe_insns:
    .quad   sk_probe_cntp_cval_insn, sk_probe_cntp_ctl_insn, sk_probe_pmccntr_insn
    .quad   sk_probe_pmuserenr_insn, sk_probe_actlr_insn, sk_probe_scxtnum_el1_insn
    .quad   sk_probe_scxtnum_el0_insn, sk_probe_sgi_insn, sk_probe_load_insn
sk_probe_count:
    .quad   9
