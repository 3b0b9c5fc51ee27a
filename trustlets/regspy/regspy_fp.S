/* regspy_fp.S: the spy's FP arithmetic (EL0 of VTL1): enough to need its
 * own FP/SIMD registers, so the call after another trustlet's pays the
 * switch. */
    .text
    .global spy_fp_work
spy_fp_work:
    fmov    d0, #1.0
    fadd    d1, d0, d0
    fmul    d2, d1, d1
    ret
