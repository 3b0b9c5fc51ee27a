/* payload.S: the boot images the hypervisor loads, linked into its read-only
 * data (EL2 reads them at boot): the secure kernel and VTL0 kernel ELFs. */
    .section .payload, "a"
    .balign 8
    .global vtl0_image_start, vtl0_image_end
vtl0_image_start:
    .incbin VTL0_IMAGE
vtl0_image_end:

    .balign 8
    .global sk_image_start, sk_image_end
sk_image_start:
    .incbin SK_IMAGE
sk_image_end:
