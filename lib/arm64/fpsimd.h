/* fpsimd.h: FP/SIMD register file save, restore and wipe (lib/arm64/fpsimd.S),
 * used at EL2 to switch VTLs and at EL1 of VTL1 to switch trustlets. */
#ifndef OVBS_FPSIMD_H
#define OVBS_FPSIMD_H
#include <stdint.h>

/* Everything an FP/SIMD instruction can observe: q0..q31 and the two
 * control/status registers. With SVE and SME trapped (CPTR_EL2.TZ/TSM) there
 * is no wider state. */
struct fpsimd_state {
    uint64_t q[64]; /* q0..q31, 128 bits each, low half first */
    uint64_t fpsr, fpcr;
};

void fpsimd_save(struct fpsimd_state *s);
void fpsimd_restore(const struct fpsimd_state *s);
/* Zero q0..q31, FPSR and FPCR: nothing of the last user is left. */
void fpsimd_wipe(void);
#endif
