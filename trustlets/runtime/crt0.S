/* crt0.S: trustlet start-up (EL0 of VTL1). The secure kernel enters here
 * with SP at the top of the trustlet's stack and, in x0, a random
 * stack-protector canary drawn for this trustlet alone. */
    .section .text.entry, "ax"
    .global _start
_start:
    adrp    x1, __stack_chk_guard
    str     x0, [x1, :lo12:__stack_chk_guard]
    mov     x29, #0
    mov     x30, #0
    bl      tl_main
    mov     x8, #0                  /* TL_SYS_EXIT with tl_main's result */
    svc     #0
1:  b       1b
