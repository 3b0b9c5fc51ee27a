/* sha256.c: the SHA-256 driver (any EL, and the build host's test): initial
 * value, buffering into 64-byte blocks, padding and the big-endian digest.
 * The compression itself is the block routine given to sha256_init. */
#include <string.h>
#include "sha256.h"

/* FIPS 180-4, 5.3.3: the first 32 bits of the fractional parts of the
 * square roots of the first eight primes. */
static const uint32_t sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

void sha256_init(struct sha256_ctx *c, sha256_blocks_fn *blocks)
{
    memcpy(c->state, sha256_iv, sizeof(c->state));
    c->bytes = 0;
    c->blocks = blocks;
}

/* Whole blocks go to the routine straight from the caller's buffer, in one
 * call: with the SHA-256 instructions each call saves and restores vector
 * registers, so a 32 MiB image should cost a handful of calls, not 500,000. */
void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t used = (size_t)(c->bytes % SHA256_BLOCK);
    c->bytes += len;
    if (used) {
        size_t n = SHA256_BLOCK - used;
        if (n > len)
            n = len;
        memcpy(c->buf + used, p, n);
        p += n;
        len -= n;
        if (used + n < SHA256_BLOCK)
            return;
        c->blocks(c->state, c->buf, 1);
    }
    if (len >= SHA256_BLOCK) {
        c->blocks(c->state, p, len / SHA256_BLOCK);
        p += len & ~(size_t)(SHA256_BLOCK - 1);
        len %= SHA256_BLOCK;
    }
    memcpy(c->buf, p, len);
}

/* FIPS 180-4, 5.1.1: a 1 bit, zeros up to 56 bytes into a block, then the
 * length in bits as a big-endian 64-bit number; one or two blocks. */
void sha256_out(struct sha256_ctx *c, uint8_t out[SHA256_SIZE])
{
    size_t used = (size_t)(c->bytes % SHA256_BLOCK);
    uint64_t bits = c->bytes * 8;
    c->buf[used++] = 0x80;
    if (used > SHA256_BLOCK - 8) {
        memset(c->buf + used, 0, SHA256_BLOCK - used);
        c->blocks(c->state, c->buf, 1);
        used = 0;
    }
    memset(c->buf + used, 0, SHA256_BLOCK - 8 - used);
    for (int i = 0; i < 8; i++)
        c->buf[SHA256_BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
    c->blocks(c->state, c->buf, 1);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->state[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->state[i];
    }
}
