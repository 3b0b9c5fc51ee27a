/* tlimage.h: verification of signed trustlet images (EL1 of VTL1; pure
 * logic, also built for host tests and the fuzzer). */
#ifndef OVBS_SK_TLIMAGE_H
#define OVBS_SK_TLIMAGE_H
#include <stddef.h>
#include <stdint.h>
#include "elf.h"
#include "openvbs/trustlet.h"

/* The secure kernel's compiled-in knowledge of trustlets. */
struct tl_known {
    uint64_t id;
    uint32_t min_version; /* images below this are a rollback */
    const char *name;
};

struct tl_verified {
    struct tl_header header;  /* copied out of the image */
    const struct tl_known *known;
    struct elf_image elf;
    const uint8_t *elf_bytes; /* inside the verified buffer */
};

/* Check a whole image already copied into VTL1 memory. `elf_sha256` is the
 * SHA-256 of bytes [TL_HEADER_SIZE, size) computed while copying. Returns 0
 * or a TL_ST_* status; checks run in this order: header, signature, hash,
 * known ID, rollback, ELF. */
int tl_verify(const uint8_t *image, size_t size, const uint8_t elf_sha256[32],
              const struct tl_known *table, unsigned n, const uint8_t pubkey[65],
              struct tl_verified *out);
const char *tl_status_name(int status);
/* The checks on the ELF inside an image (also run by tl_verify after the
 * signature): exposed so the fuzzer reaches them without a valid signature. */
int tl_check_elf(const uint8_t *elf, size_t size, struct elf_image *img);
#endif
