/* regspy_asm.S: the spy's assembly (EL0 of VTL1): FP arithmetic for the
 * benchmark, and system calls that plant a pattern in its general
 * registers around the SVC and count how many come back changed. */
    .text
    .global spy_fp_work
spy_fp_work:
    fmov    d0, #1.0
    fadd    d1, d0, d0
    fmul    d2, d1, d1
    ret

/* long spy_call(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2,
 *                uint64_t *x1_out, uint64_t *changed): system call `num`
 * with x0..x2 = a0..a2 and x3..x7, x9..x28 holding SPY_MARKER + n (n =
 * the register's number). The kernel answers in x0 and x1 only: every other
 * register must come back exactly, whatever ran in between (the secure
 * kernel, other trustlets, VTL0). *x1_out = x1 (if not NULL); *changed +=
 * how many of the others did not come back. */
#define SPY_MARKER_HI 0x6e70  /* SPY_MARKER = 0x6e70 << 48 */
    .global spy_call
spy_call:
    stp     x29, x30, [sp, #-112]!
    mov     x29, sp
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    stp     x4, x5, [sp, #96]        /* x1_out and changed pointers */
    mov     x8, x0
    mov     x0, x1
    mov     x1, x2
    mov     x2, x3
    movz    x9, #SPY_MARKER_HI, lsl #48
    .irp n, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
    add     x\n, x9, #\n
    .endr
    svc     #0
    /* x0, x1: the answer, parked in x29/x30 (saved above) while the
     * others are compared; x8 counts the changed ones. */
    mov     x29, x0
    mov     x30, x1
    mov     x8, #0
    movz    x0, #SPY_MARKER_HI, lsl #48
    cmp     x9, x0
    cinc    x8, x8, ne
    .irp n, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28
    add     x0, x9, #\n
    cmp     x\n, x0
    cinc    x8, x8, ne
    .endr
    mov     x0, sp
    ldp     x4, x5, [x0, #96]
    cbz     x4, 1f
    str     x30, [x4]
1:  ldr     x6, [x5]
    add     x6, x6, x8
    str     x6, [x5]
    mov     x0, x29
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #112
    ret
