/* fuzz_tlimage.c: libFuzzer target for the secure kernel's trustlet image
 * verifier and ELF checks (sk/tlimage.c, lib/elf.c), built for the build
 * host. Any crash, sanitizer report or timeout fails `make fuzz`. */
#include <bearssl_hash.h>
#include <stddef.h>
#include <stdint.h>
#include "tl_pubkey.h"
#include "tlimage.h"

static const struct tl_known table[] = {
    { 0x0ec40001, 2, "echo" },
    { 0x0ec40002, 1, "keyholder" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TL_HEADER_SIZE + TL_MAX_IMAGE)
        return 0;
    uint8_t sha[32] = { 0 };
    if (size > TL_HEADER_SIZE) {
        br_sha256_context ctx;
        br_sha256_init(&ctx);
        br_sha256_update(&ctx, data + TL_HEADER_SIZE, size - TL_HEADER_SIZE);
        br_sha256_out(&ctx, sha);
    }
    struct tl_verified v;
    (void)tl_verify(data, size, sha, table, 2, tl_signing_key, &v);
    /* Past the signature: the same bytes as a trustlet's ELF. */
    struct elf_image img;
    (void)tl_check_elf(data, size, &img);
    return 0;
}
