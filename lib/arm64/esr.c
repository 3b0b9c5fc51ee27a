/* esr.c: names for exception classes and fault status codes, for the crash
 * and fault reports of every image (any EL). Arm ARM D17.2.40. */
#include "sysreg.h"

const char *esr_class_name(unsigned ec)
{
    switch (ec) {
    case EC_UNKNOWN: return "unknown/undefined instruction";
    case EC_WFX: return "WFI/WFE";
    case EC_FP_SIMD: return "FP/SIMD access";
    case EC_ILLEGAL_STATE: return "illegal execution state";
    case EC_SVC64: return "SVC";
    case EC_HVC64: return "HVC";
    case EC_SMC64: return "SMC";
    case EC_SYSREG: return "MSR/MRS/system instruction";
    case EC_PAC: return "pointer authentication failure";
    case EC_IABT_LOWER: return "instruction abort from lower EL";
    case EC_IABT_CUR: return "instruction abort from same EL";
    case EC_PC_ALIGN: return "PC alignment fault";
    case EC_DABT_LOWER: return "data abort from lower EL";
    case EC_DABT_CUR: return "data abort from same EL";
    case EC_SP_ALIGN: return "SP alignment fault";
    case EC_SERROR: return "SError";
    case EC_BRK64: return "BRK";
    default: return "other";
    }
}

const char *fsc_name(unsigned fsc)
{
    switch (fsc & 0x3c) {
    case 0x00: return "address size fault";
    case 0x04: return "translation fault";
    case 0x08: return "access flag fault";
    case 0x0c: return "permission fault";
    case 0x10: return fsc == 0x10 ? "synchronous external abort" : "external abort on walk";
    case 0x20: return "alignment fault";
    case 0x30: return fsc == 0x30 ? "TLB conflict" : "other";
    default: return "other";
    }
}
