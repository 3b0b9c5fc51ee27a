/* payload.S: signed trustlet images the VTL0 test kernel hands to the
 * secure kernel (EL1 of VTL0 reads them; they are data to it). The build
 * finds them through -I build/trustlets. */
    .section .rodata.trustlets, "a"
    .balign 4096
    .global tl_echo_start, tl_echo_end
tl_echo_start:
    .incbin "echo.tl"
tl_echo_end:
    .balign 4096
    .global tl_echo_rollback_start, tl_echo_rollback_end
tl_echo_rollback_start:
    .incbin "echo-rollback.tl"
tl_echo_rollback_end:
    .balign 4096
    .global tl_echo_v2_start, tl_echo_v2_end
tl_echo_v2_start:
    .incbin "echo-v2.tl"
tl_echo_v2_end:
    .balign 4096
    .global tl_echo_unknown_start, tl_echo_unknown_end
tl_echo_unknown_start:
    .incbin "echo-unknown.tl"
tl_echo_unknown_end:
    .balign 4096
    .global tl_echo_badelf_start, tl_echo_badelf_end
tl_echo_badelf_start:
    .incbin "echo-badelf.tl"
tl_echo_badelf_end:
    .balign 4096
    .global tl_echo_wx_start, tl_echo_wx_end
tl_echo_wx_start:
    .incbin "echo-wx.tl"
tl_echo_wx_end:
    .balign 4096
    .global tl_echo_seg_below_start, tl_echo_seg_below_end
tl_echo_seg_below_start:
    .incbin "echo-seg-below.tl"
tl_echo_seg_below_end:
    .balign 4096
    .global tl_echo_seg_above_start, tl_echo_seg_above_end
tl_echo_seg_above_start:
    .incbin "echo-seg-above.tl"
tl_echo_seg_above_end:
    .balign 4096
    .global tl_echo_seg_past_start, tl_echo_seg_past_end
tl_echo_seg_past_start:
    .incbin "echo-seg-past.tl"
tl_echo_seg_past_end:
    .balign 4096
    .global tl_echo_policy_start, tl_echo_policy_end
tl_echo_policy_start:
    .incbin "echo-policy.tl"
tl_echo_policy_end:
    .balign 4096
    .global tl_keyholder_start, tl_keyholder_end
tl_keyholder_start:
    .incbin "keyholder.tl"
tl_keyholder_end:
    .balign 4096
    .global tl_keyholder_b_start, tl_keyholder_b_end
tl_keyholder_b_start:
    .incbin "keyholder-b.tl"
tl_keyholder_b_end:
    .balign 4096
    .global tl_regspy_a_start, tl_regspy_a_end
tl_regspy_a_start:
    .incbin "regspy-a.tl"
tl_regspy_a_end:
    .balign 4096
    .global tl_regspy_b_start, tl_regspy_b_end
tl_regspy_b_start:
    .incbin "regspy-b.tl"
tl_regspy_b_end:
