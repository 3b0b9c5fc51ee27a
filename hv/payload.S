/* payload.S: the boot images the hypervisor loads, linked into its read-only
 * data (EL2 reads them at boot): the VTL0 kernel ELF. */
    .section .payload, "a"
    .balign 8
    .global vtl0_image_start, vtl0_image_end
vtl0_image_start:
    .incbin VTL0_IMAGE
vtl0_image_end:
