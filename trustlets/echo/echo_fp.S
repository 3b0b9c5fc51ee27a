/* echo_fp.S: the echo trustlet's FP arithmetic (EL0 of VTL1), enough to
 * need its own FP/SIMD registers: the benchmark's FP call. */
    .text
    .global echo_fp_work
echo_fp_work:
    fmov    d0, #1.0
    fadd    d1, d0, d0
    fmul    d2, d1, d1
    ret
