/* sha256.h: SHA-256 (FIPS 180-4) around a block routine the caller picks;
 * built into the hypervisor (EL2, hv/measure.c) and the host test. */
#ifndef OVBS_SHA256_H
#define OVBS_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define SHA256_BLOCK 64
#define SHA256_SIZE  32

/* Compress nblocks whole blocks into state[8]: the only part that differs
 * between the SHA-256 instructions and anything else. */
typedef void sha256_blocks_fn(uint32_t state[8], const void *data, size_t nblocks);

struct sha256_ctx {
    uint32_t state[8];
    uint64_t bytes;                /* message length so far */
    uint8_t buf[SHA256_BLOCK];     /* the partial block: bytes % 64 of it */
    sha256_blocks_fn *blocks;
};

void sha256_init(struct sha256_ctx *c, sha256_blocks_fn *blocks);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Pad, finish and write the digest (big-endian H0..H7). The context is
 * spent afterwards: init it again for another message. */
void sha256_out(struct sha256_ctx *c, uint8_t out[SHA256_SIZE]);
#endif
