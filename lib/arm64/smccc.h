/* smccc.h: making SMC Calling Convention 1.1 calls (HVC or SMC) from any
 * EL: x0 = function ID, x1..x6 arguments, x0..x3 results. */
#ifndef OVBS_SMCCC_H
#define OVBS_SMCCC_H
#include <stdint.h>

struct hv_result {
    uint64_t x0, x1, x2, x3;
};

struct hv_result hvc6(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5, uint64_t a6);
struct hv_result hvc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
struct hv_result smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
#endif
