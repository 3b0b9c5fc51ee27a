/* payload.S: the shared trustlet runtime, carried inside the secure kernel's
 * image (and so measured with it by the hypervisor). EL1 of VTL1 maps it,
 * read-only, into every trustlet. */
    .section .rodata.runtime, "a"
    .balign 4096
    .global tl_runtime_start, tl_runtime_end
tl_runtime_start:
    .incbin "runtime.stripped.elf"
tl_runtime_end:
