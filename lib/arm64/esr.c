/* esr.c: names for exception classes and fault status codes, for the crash
 * and fault reports of every image (any EL). Arm ARM D17.2.40. */
#include "sysreg.h"

/* Every exception class the Arm ARM defines (ESR_ELx.EC, DDI 0487 D17.2.37),
 * AArch32 ones included: a log line names the class whatever trapped. The
 * gaps are reserved encodings. */
static const char *const ec_names[64] = {
    [0x00] = "unknown/undefined instruction",
    [0x01] = "WFI/WFE",
    [0x03] = "AArch32 MCR/MRC (coproc 15)",
    [0x04] = "AArch32 MCRR/MRRC (coproc 15)",
    [0x05] = "AArch32 MCR/MRC (coproc 14)",
    [0x06] = "AArch32 LDC/STC",
    [0x07] = "FP/SIMD access",
    [0x08] = "AArch32 VMRS (ID group trap)",
    [0x09] = "pointer authentication instruction trapped",
    [0x0a] = "LD64B/ST64B",
    [0x0c] = "AArch32 MRRC (coproc 14)",
    [0x0d] = "branch target exception",
    [0x0e] = "illegal execution state",
    [0x11] = "AArch32 SVC",
    [0x12] = "AArch32 HVC",
    [0x13] = "AArch32 SMC",
    [0x15] = "SVC",
    [0x16] = "HVC",
    [0x17] = "SMC",
    [0x18] = "MSR/MRS/system instruction",
    [0x19] = "SVE access",
    [0x1a] = "ERET/ERETAA/ERETAB (nested virtualization)",
    [0x1b] = "TSTART (transactional memory)",
    [0x1c] = "pointer authentication failure",
    [0x1d] = "SME access",
    [0x1e] = "granule protection check",
    [0x1f] = "IMPLEMENTATION DEFINED (to EL3)",
    [0x20] = "instruction abort from lower EL",
    [0x21] = "instruction abort from same EL",
    [0x22] = "PC alignment fault",
    [0x24] = "data abort from lower EL",
    [0x25] = "data abort from same EL",
    [0x26] = "SP alignment fault",
    [0x27] = "memory operation (MOPS) exception",
    [0x28] = "AArch32 trapped FP exception",
    [0x2c] = "trapped FP exception",
    [0x2f] = "SError",
    [0x30] = "breakpoint from lower EL",
    [0x31] = "breakpoint from same EL",
    [0x32] = "software step from lower EL",
    [0x33] = "software step from same EL",
    [0x34] = "watchpoint from lower EL",
    [0x35] = "watchpoint from same EL",
    [0x38] = "AArch32 BKPT",
    [0x3a] = "AArch32 vector catch",
    [0x3c] = "BRK",
};

const char *esr_class_name(unsigned ec)
{
    const char *name = ec < 64 ? ec_names[ec] : 0;
    return name ? name : "reserved exception class";
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
