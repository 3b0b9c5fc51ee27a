/* sha256_ce.S: the SHA-256 compression function on the Armv8 Cryptographic
 * Extension (FEAT_SHA256), any EL; the hypervisor measures boot images with it
 * at EL2 (hv/measure.c), the host test runs it under qemu-aarch64.
 *
 * void sha256_ce_blocks(uint32_t state[8], const void *data, size_t nblocks)
 *
 * state is H0..H7 as native 32-bit words; data is nblocks whole 64-byte
 * blocks, any alignment. The padding and the length are lib/sha256.c's.
 *
 * The caller makes FP/SIMD usable (CPTR_EL2.TFP clear at EL2, CPACR_EL1.FPEN
 * at EL1/EL0) and knows the CPU has the instructions (ID_AA64ISAR0_EL1.SHA2,
 * bits [15:12], 1 or more). The V registers may hold someone else's values
 * (a guest's, switched lazily by hv/vtl.c), so every one used here is saved
 * on the stack first and loaded back before returning: 26 of them, 416
 * bytes. None of the instructions used reads or writes FPCR or FPSR: the
 * SHA instructions, integer vector adds, moves, loads and stores raise no
 * floating-point exception and honour no rounding mode, so both control
 * registers are left as they are and need no saving.
 *
 * How the instructions divide the work (Arm ARM, C7.2 SHA256H, SHA256H2,
 * SHA256SU0, SHA256SU1): the eight working variables live in two vectors,
 * ABCD (A in lane 0) and EFGH (E in lane 0). SHA256H Qd=ABCD, Qn=EFGH,
 * Vm=W+K does four rounds and returns the new ABCD; SHA256H2 Qd=EFGH,
 * Qn=ABCD *before* those rounds, same Vm, returns the new EFGH, which is why
 * ABCD is copied first. The message schedule moves four words at a time:
 * with W[i..i+15] in four vectors, SHA256SU0 Vd=W[i..i+3], Vn=W[i+4..i+7]
 * adds sigma0 of W[i+1..i+4], and SHA256SU1 Vd=that, Vn=W[i+8..i+11],
 * Vm=W[i+12..i+15] adds W[i+9..i+12] and sigma1 of W[i+14..i+17]: Vd
 * becomes W[i+16..i+19].
 *
 * Registers: v0 ABCD, v1 EFGH, v2/v3 their values at the start of the block
 * (added back at its end), v4-v7 the 16 schedule words, v8 W+K, v9 the copy
 * of ABCD for SHA256H2, v16-v31 the 64 round constants, loaded once per call. */

    .arch   armv8-a+crypto

/* Four rounds with schedule vector \w0 and constants \k; while the schedule
 * still has words to make (the first 12 of the 16 groups), \w0 is replaced
 * by the group 16 words later, from \w1, \w2, \w3 (the next three groups). */
.macro rounds4 k, w0, w1, w2, w3, more
    add         v8.4s, \w0\().4s, \k\().4s
    mov         v9.16b, v0.16b
    sha256h     q0, q1, v8.4s
    sha256h2    q1, q9, v8.4s
    .if \more
    sha256su0   \w0\().4s, \w1\().4s
    sha256su1   \w0\().4s, \w2\().4s, \w3\().4s
    .endif
.endm

    .text
    .global sha256_ce_blocks
    .type   sha256_ce_blocks, %function
    .balign 16
sha256_ce_blocks:
    cbz     x2, 9f                  /* no block: nothing touched, nothing to save */
    sub     sp, sp, #416
    stp     q0, q1, [sp, #0]
    stp     q2, q3, [sp, #32]
    stp     q4, q5, [sp, #64]
    stp     q6, q7, [sp, #96]
    stp     q8, q9, [sp, #128]
    stp     q16, q17, [sp, #160]
    stp     q18, q19, [sp, #192]
    stp     q20, q21, [sp, #224]
    stp     q22, q23, [sp, #256]
    stp     q24, q25, [sp, #288]
    stp     q26, q27, [sp, #320]
    stp     q28, q29, [sp, #352]
    stp     q30, q31, [sp, #384]

    adrp    x3, sha256_ce_k
    add     x3, x3, :lo12:sha256_ce_k
    ld1     {v16.4s-v19.4s}, [x3], #64
    ld1     {v20.4s-v23.4s}, [x3], #64
    ld1     {v24.4s-v27.4s}, [x3], #64
    ld1     {v28.4s-v31.4s}, [x3]
    ld1     {v0.4s, v1.4s}, [x0]    /* H0..H3 = ABCD, H4..H7 = EFGH */

1:  /* Byte loads (.16b) have no alignment requirement even with strict
     * alignment checking; SHA-256 words are big-endian, so REV32 swaps the
     * bytes of each 32-bit lane. */
    ld1     {v4.16b-v7.16b}, [x1], #64
    rev32   v4.16b, v4.16b
    rev32   v5.16b, v5.16b
    rev32   v6.16b, v6.16b
    rev32   v7.16b, v7.16b
    mov     v2.16b, v0.16b
    mov     v3.16b, v1.16b

    rounds4 v16, v4, v5, v6, v7, 1
    rounds4 v17, v5, v6, v7, v4, 1
    rounds4 v18, v6, v7, v4, v5, 1
    rounds4 v19, v7, v4, v5, v6, 1
    rounds4 v20, v4, v5, v6, v7, 1
    rounds4 v21, v5, v6, v7, v4, 1
    rounds4 v22, v6, v7, v4, v5, 1
    rounds4 v23, v7, v4, v5, v6, 1
    rounds4 v24, v4, v5, v6, v7, 1
    rounds4 v25, v5, v6, v7, v4, 1
    rounds4 v26, v6, v7, v4, v5, 1
    rounds4 v27, v7, v4, v5, v6, 1
    rounds4 v28, v4, v5, v6, v7, 0
    rounds4 v29, v5, v6, v7, v4, 0
    rounds4 v30, v6, v7, v4, v5, 0
    rounds4 v31, v7, v4, v5, v6, 0

    add     v0.4s, v0.4s, v2.4s
    add     v1.4s, v1.4s, v3.4s
    subs    x2, x2, #1
    b.ne    1b
    st1     {v0.4s, v1.4s}, [x0]

    ldp     q0, q1, [sp, #0]
    ldp     q2, q3, [sp, #32]
    ldp     q4, q5, [sp, #64]
    ldp     q6, q7, [sp, #96]
    ldp     q8, q9, [sp, #128]
    ldp     q16, q17, [sp, #160]
    ldp     q18, q19, [sp, #192]
    ldp     q20, q21, [sp, #224]
    ldp     q22, q23, [sp, #256]
    ldp     q24, q25, [sp, #288]
    ldp     q26, q27, [sp, #320]
    ldp     q28, q29, [sp, #352]
    ldp     q30, q31, [sp, #384]
    add     sp, sp, #416
9:  ret
    .size   sha256_ce_blocks, . - sha256_ce_blocks

/* The round constants K0..K63 (FIPS 180-4, 4.2.2: the first 32 bits of the
 * fractional parts of the cube roots of the first 64 primes), four per
 * vector, in the order the rounds use them. */
    .section .rodata
    .balign 16
sha256_ce_k:
    .word   0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5
    .word   0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5
    .word   0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3
    .word   0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174
    .word   0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc
    .word   0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da
    .word   0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7
    .word   0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967
    .word   0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13
    .word   0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85
    .word   0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3
    .word   0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070
    .word   0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5
    .word   0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3
    .word   0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208
    .word   0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
