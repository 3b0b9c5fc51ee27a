/* smccc.c: SMCCC 1.1 calls over HVC (hypervisor services) and SMC (PSCI and
 * firmware; trapped to EL2 when made by a guest). Any EL that can make them. */
#include "smccc.h"

struct hv_result hvc6(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5, uint64_t a6)
{
    register uint64_t x0 __asm__("x0") = fid;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    register uint64_t x4 __asm__("x4") = a4;
    register uint64_t x5 __asm__("x5") = a5;
    register uint64_t x6 __asm__("x6") = a6;
    __asm__ volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     : "r"(x4), "r"(x5), "r"(x6)
                     : "memory");
    return (struct hv_result){ x0, x1, x2, x3 };
}

struct hv_result hvc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return hvc6(fid, a1, a2, a3, 0, 0, 0);
}

struct hv_result smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fid;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (struct hv_result){ x0, x1, x2, x3 };
}
