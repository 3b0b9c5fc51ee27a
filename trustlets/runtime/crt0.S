/* crt0.S: trustlet start-up (EL0 of VTL1). The secure kernel enters here
 * with SP at the top of the trustlet's stack. */
    .section .text.entry, "ax"
    .global _start
_start:
    mov     x29, #0
    mov     x30, #0
    bl      tl_main
    mov     x8, #0                  /* TL_SYS_EXIT with tl_main's result */
    svc     #0
1:  b       1b
