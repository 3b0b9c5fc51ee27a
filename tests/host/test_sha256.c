/* test_sha256.c: host test of the SHA-256 block routine on the Armv8 SHA-256
 * instructions (lib/arm64/sha256_ce.S) and its driver (lib/sha256.c). A
 * static aarch64 Linux program, run under `qemu-aarch64 -cpu max` on the
 * build host (the Makefile's wrapper build/host/test_sha256); prints TAP.
 *
 * BearSSL (Debian's arm64 libbearssl.a) is the reference: the FIPS 180-2
 * vectors first, then every alignment and many lengths, whole and in
 * pieces; then the promise the hypervisor depends on: the routine hands
 * every V register and FPCR/FPSR back as it found them. */
#include <bearssl_hash.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include "sha256.h"
#include "sha256_ce.h"

#define HWCAP_SHA2_BIT (1ul << 6) /* AT_HWCAP bit Linux sets for SHA256H & co. */

static int test_no;
static int failures;

static void result(bool ok, const char *name)
{
    printf("%sok %d - %s\n", ok ? "" : "not ", ++test_no, name);
    if (!ok)
        failures++;
}

static void ce_hash(const void *data, size_t len, uint8_t out[32])
{
    struct sha256_ctx c;
    sha256_init(&c, sha256_ce_blocks);
    sha256_update(&c, data, len);
    sha256_out(&c, out);
}

static void ref_hash(const void *data, size_t len, uint8_t out[32])
{
    br_sha256_context c;
    br_sha256_init(&c);
    br_sha256_update(&c, data, len);
    br_sha256_out(&c, out);
}

static void hex(const uint8_t d[32], char s[65])
{
    for (int i = 0; i < 32; i++)
        sprintf(s + 2 * i, "%02x", d[i]);
}

/* xorshift64: the same "random" lengths and bytes on every run. */
static uint64_t rng = 0x5eed5eed12345678ull;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The CPU must have the instructions, and both ways of asking must say
 * so: the kernel's HWCAP and the ID register the hypervisor reads (Linux
 * and qemu-user emulate EL0 reads of the ID registers). */
static void test_cpu_has_sha2(void)
{
    uint64_t isar0;
    __asm__ volatile("mrs %0, id_aa64isar0_el1" : "=r"(isar0));
    bool ok = (getauxval(AT_HWCAP) & HWCAP_SHA2_BIT) && ID_AA64ISAR0_SHA2(isar0) >= 1;
    if (!ok)
        printf("# HWCAP 0x%lx ID_AA64ISAR0_EL1 0x%lx\n", getauxval(AT_HWCAP), isar0);
    result(ok, "cpu_has_sha2");
}

/* FIPS 180-2, appendix B: one block, two blocks, a million bytes. */
static void test_fips_vectors(void)
{
    static const struct { const char *msg; size_t repeat; const char *digest; } v[] = {
        { "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t n = strlen(v[i].msg) * v[i].repeat;
        char *msg = malloc(n + 1);
        for (size_t r = 0; r < v[i].repeat; r++)
            memcpy(msg + r * strlen(v[i].msg), v[i].msg, strlen(v[i].msg));
        uint8_t d[32], ref[32];
        char s[65];
        ce_hash(msg, n, d);
        ref_hash(msg, n, ref);
        hex(d, s);
        if (strcmp(s, v[i].digest) || memcmp(d, ref, 32)) {
            printf("# vector %zu: got %s, want %s\n", i, s, v[i].digest);
            ok = false;
        }
        free(msg);
    }
    result(ok, "fips_vectors");
}

/* Every length 0..300 (around the one- and two-block padding cases) and 600
 * random lengths up to 10000, each at all 16 offsets into the buffer. */
static void test_lengths_and_alignments(void)
{
    enum { MAX = 10000, PAD = 16 };
    uint8_t *buf = malloc(MAX + PAD);
    for (size_t i = 0; i < MAX + PAD; i++)
        buf[i] = (uint8_t)next_random();
    bool ok = true;
    for (int k = 0; k < 301 + 600 && ok; k++) {
        size_t len = k <= 300 ? (size_t)k : (size_t)(next_random() % (MAX + 1));
        for (size_t off = 0; off < PAD; off++) {
            uint8_t d[32], ref[32];
            ce_hash(buf + off, len, d);
            ref_hash(buf + off, len, ref);
            if (memcmp(d, ref, 32)) {
                printf("# length %zu offset %zu differs from BearSSL\n", len, off);
                ok = false;
                break;
            }
        }
    }
    free(buf);
    result(ok, "lengths_and_alignments");
}

/* The same messages fed in random pieces (0 to 200 bytes, so partial
 * blocks are filled, completed and skipped over): the driver's buffering. */
static void test_pieces(void)
{
    enum { MAX = 10000 };
    uint8_t *buf = malloc(MAX);
    for (size_t i = 0; i < MAX; i++)
        buf[i] = (uint8_t)next_random();
    bool ok = true;
    for (int k = 0; k < 300 && ok; k++) {
        size_t len = (size_t)(next_random() % (MAX + 1)), done = 0;
        struct sha256_ctx c;
        sha256_init(&c, sha256_ce_blocks);
        while (done < len) {
            size_t n = (size_t)(next_random() % 201);
            if (n > len - done)
                n = len - done;
            sha256_update(&c, buf + done, n);
            done += n;
        }
        uint8_t d[32], ref[32];
        sha256_out(&c, d);
        ref_hash(buf, len, ref);
        if (memcmp(d, ref, 32)) {
            printf("# length %zu in pieces differs from BearSSL\n", len);
            ok = false;
        }
    }
    free(buf);
    result(ok, "pieces");
}

/* Call sha256_ce_blocks with v0-v31, FPCR and FPSR set from `in`, and
 * store what they hold after the call to `out` (the compiler must not get
 * between the loads, the call and the stores, hence one assembly routine).
 * in/out: 32 q registers then FPCR, FPSR (528 bytes). */
void call_with_registers(const void *in, void *out, uint32_t state[8], const void *data,
                         size_t nblocks);
__asm__(
    "    .text\n"
    "    .global call_with_registers\n"
    "call_with_registers:\n"
    "    stp     x29, x30, [sp, #-32]!\n"
    "    mov     x29, sp\n"
    "    str     x1, [sp, #16]\n"
    "    add     x7, x0, #512\n"
    "    ldp     x5, x6, [x7]\n"
    "    msr     fpcr, x5\n"
    "    msr     fpsr, x6\n"
    "    ldp     q0, q1, [x0, #0]\n"
    "    ldp     q2, q3, [x0, #32]\n"
    "    ldp     q4, q5, [x0, #64]\n"
    "    ldp     q6, q7, [x0, #96]\n"
    "    ldp     q8, q9, [x0, #128]\n"
    "    ldp     q10, q11, [x0, #160]\n"
    "    ldp     q12, q13, [x0, #192]\n"
    "    ldp     q14, q15, [x0, #224]\n"
    "    ldp     q16, q17, [x0, #256]\n"
    "    ldp     q18, q19, [x0, #288]\n"
    "    ldp     q20, q21, [x0, #320]\n"
    "    ldp     q22, q23, [x0, #352]\n"
    "    ldp     q24, q25, [x0, #384]\n"
    "    ldp     q26, q27, [x0, #416]\n"
    "    ldp     q28, q29, [x0, #448]\n"
    "    ldp     q30, q31, [x0, #480]\n"
    "    mov     x0, x2\n"
    "    mov     x1, x3\n"
    "    mov     x2, x4\n"
    "    bl      sha256_ce_blocks\n"
    "    ldr     x1, [sp, #16]\n"
    "    stp     q0, q1, [x1, #0]\n"
    "    stp     q2, q3, [x1, #32]\n"
    "    stp     q4, q5, [x1, #64]\n"
    "    stp     q6, q7, [x1, #96]\n"
    "    stp     q8, q9, [x1, #128]\n"
    "    stp     q10, q11, [x1, #160]\n"
    "    stp     q12, q13, [x1, #192]\n"
    "    stp     q14, q15, [x1, #224]\n"
    "    stp     q16, q17, [x1, #256]\n"
    "    stp     q18, q19, [x1, #288]\n"
    "    stp     q20, q21, [x1, #320]\n"
    "    stp     q22, q23, [x1, #352]\n"
    "    stp     q24, q25, [x1, #384]\n"
    "    stp     q26, q27, [x1, #416]\n"
    "    stp     q28, q29, [x1, #448]\n"
    "    stp     q30, q31, [x1, #480]\n"
    "    mrs     x5, fpcr\n"
    "    mrs     x6, fpsr\n"
    "    add     x7, x1, #512\n"
    "    stp     x5, x6, [x7]\n"
    "    msr     fpcr, xzr\n"
    "    msr     fpsr, xzr\n"
    "    ldp     x29, x30, [sp], #32\n"
    "    ret\n");

/* A guest's registers, as far as the hypervisor's hashing goes: every byte
 * of v0-v31 distinct, FPCR with flush-to-zero and round-towards-zero, FPSR
 * with sticky flags; after 0, 1 and 37 blocks all of it must be back. */
static void test_registers_preserved(void)
{
    static uint8_t data[37 * 64];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)next_random();
    bool ok = true;
    static const size_t nblocks[] = { 0, 1, 37 };
    for (size_t t = 0; t < 3; t++) {
        uint64_t in[66], out[66];
        for (int i = 0; i < 64; i++)
            in[i] = 0x0101010101010101ull * (uint64_t)(t + 1) ^ (0x1000003ull * (uint64_t)i) ^
                    ((uint64_t)i << 56);
        in[64] = (1ull << 24) | (3ull << 22); /* FPCR: FZ, RMode = towards zero */
        in[65] = (1ull << 27) | 0x9f;         /* FPSR: QC and every cumulative flag */
        uint32_t st[8], ref_st[8];
        for (int i = 0; i < 8; i++)
            st[i] = ref_st[i] = (uint32_t)next_random();
        memset(out, 0, sizeof(out));
        call_with_registers(in, out, st, data, nblocks[t]);
        sha256_ce_blocks(ref_st, data, nblocks[t]);
        for (int i = 0; i < 66; i++) {
            if (in[i] != out[i]) {
                printf("# %zu blocks: %s%d changed: 0x%016lx -> 0x%016lx\n", nblocks[t],
                       i < 64 ? "q" : i == 64 ? "fpcr" : "fpsr", i < 64 ? i / 2 : 0, in[i],
                       out[i]);
                ok = false;
            }
        }
        if (memcmp(st, ref_st, sizeof(st))) {
            printf("# %zu blocks: the state differs between the two calls\n", nblocks[t]);
            ok = false;
        }
    }
    result(ok, "registers_preserved");
}

int main(void)
{
    printf("1..5\n");
    test_cpu_has_sha2();
    test_fips_vectors();
    test_lengths_and_alignments();
    test_pieces();
    test_registers_preserved();
    return failures ? 1 : 0;
}
