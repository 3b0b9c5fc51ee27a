/* sysreg.h: system-register access and barriers for AArch64 code at any EL.
 * Register names are spelled as in the Arm ARM so they can be searched. */
#ifndef OVBS_SYSREG_H
#define OVBS_SYSREG_H
#include <stdint.h>

#define READ_SYSREG(name) ({                                   \
    uint64_t v_;                                               \
    __asm__ volatile("mrs %0, " #name : "=r"(v_));             \
    v_; })

#define WRITE_SYSREG(name, v) \
    __asm__ volatile("msr " #name ", %0" : : "r"((uint64_t)(v)) : "memory")

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void dsb_ishst(void) { __asm__ volatile("dsb ishst" ::: "memory"); }
static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }

/* ESR_ELx fields (Arm ARM D17.2.40). */
#define ESR_EC_SHIFT        26
#define ESR_EC(esr)         (((esr) >> ESR_EC_SHIFT) & 0x3f)
#define ESR_IL              (1u << 25)
#define ESR_ISS(esr)        ((esr) & 0x1ffffff)

/* Exception classes this project handles by name. */
#define EC_UNKNOWN          0x00
#define EC_WFX              0x01
#define EC_FP_SIMD          0x07
#define EC_ILLEGAL_STATE    0x0e
#define EC_SVC64            0x15
#define EC_HVC64            0x16
#define EC_SMC64            0x17
#define EC_SYSREG           0x18
#define EC_PAC              0x1c
#define EC_IABT_LOWER       0x20
#define EC_IABT_CUR         0x21
#define EC_PC_ALIGN         0x22
#define EC_DABT_LOWER       0x24
#define EC_DABT_CUR         0x25
#define EC_SP_ALIGN         0x26
#define EC_SERROR           0x2f
#define EC_BRK64            0x3c

/* Data/instruction abort ISS: fault status code and flags. */
#define ISS_FSC(iss)        ((iss) & 0x3f)
#define ISS_DABT_WNR        (1u << 6)  /* write, not read */
#define ISS_DABT_S1PTW      (1u << 7)  /* fault on a stage-1 table walk */
#define ISS_DABT_CM         (1u << 8)  /* cache maintenance */
#define ISS_DABT_FNV        (1u << 10) /* FAR not valid */
#define FSC_SYNC_EXT_ABORT  0x10
#define FSC_PERMISSION_L3   0x0f /* permission fault, level 3 */

/* PSTATE/SPSR fields. */
#define PSR_MODE_EL0t       0x0
#define PSR_MODE_EL1h       0x5
#define PSR_MODE_EL2h       0x9
#define PSR_MODE_MASK       0xf
#define PSR_F               (1u << 6)
#define PSR_I               (1u << 7)
#define PSR_A               (1u << 8)
#define PSR_D               (1u << 9)
#define PSR_DAIF            (PSR_D | PSR_A | PSR_I | PSR_F)
#define PSR_PAN             (1u << 22)
#define PSR_IL              (1u << 20)

const char *esr_class_name(unsigned ec);
const char *fsc_name(unsigned fsc);
#endif
