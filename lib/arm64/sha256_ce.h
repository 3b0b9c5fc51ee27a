/* sha256_ce.h: the SHA-256 block routine on the Armv8 SHA-256 instructions
 * (lib/arm64/sha256_ce.S); called at EL2 by hv/measure.c and by the host test. */
#ifndef OVBS_SHA256_CE_H
#define OVBS_SHA256_CE_H
#include <stddef.h>
#include <stdint.h>

/* ID_AA64ISAR0_EL1.SHA2, bits [15:12]: 1 is SHA256H/H2/SU0/SU1, 2 adds
 * the SHA-512 ones. 0 means the instructions are undefined. */
#define ID_AA64ISAR0_SHA2(isar0) (((isar0) >> 12) & 0xf)

/* Compress nblocks whole 64-byte blocks at data (any alignment) into
 * state (H0..H7). FP/SIMD must be usable at the caller's EL; every V
 * register the routine uses is saved and restored, FPCR/FPSR untouched. */
void sha256_ce_blocks(uint32_t state[8], const void *data, size_t nblocks);
#endif
