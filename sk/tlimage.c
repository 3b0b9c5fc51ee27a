/* tlimage.c: verification of signed trustlet images (EL1 of VTL1; pure
 * logic, also host tests and the fuzzer). The image has already been copied
 * into VTL1 memory; nothing here reads VTL0 memory. Every field is checked
 * before it is trusted; the signature (ECDSA P-256, BearSSL) covers the
 * header, and the header carries the SHA-256 of the ELF. */
#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <string.h>
#include "tlimage.h"

static int check_header(const struct tl_header *h, size_t size)
{
    static const uint8_t zero[16] = { 0 };
    if (size < TL_HEADER_SIZE)
        return TL_ST_BAD_HEADER;
    if (memcmp(h->magic, TL_MAGIC, 8) || h->format_version != TL_FORMAT_VERSION ||
        h->header_size != TL_HEADER_SIZE || h->reserved || memcmp(h->reserved2, zero, 16))
        return TL_ST_BAD_HEADER;
    if (h->image_size > TL_MAX_IMAGE)
        return TL_ST_TOO_LARGE;
    if (h->image_size != size - TL_HEADER_SIZE)
        return TL_ST_BAD_HEADER;
    if (h->policy & ~((1u << TL_SYS_COUNT) - 1))
        return TL_ST_BAD_HEADER;
    return 0;
}

static int check_signature(const uint8_t *image, const struct tl_header *h,
                           const uint8_t pubkey[65])
{
    uint8_t digest[32];
    br_sha256_context ctx;
    br_sha256_init(&ctx);
    br_sha256_update(&ctx, image, TL_SIGNED_BYTES);
    br_sha256_out(&ctx, digest);
    br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)pubkey, 65 };
    return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, digest, sizeof(digest), &pk, h->signature,
                                 sizeof(h->signature))
               ? 0
               : TL_ST_BAD_SIGNATURE;
}

/* Trustlet code and data live in [TL_VA_IMAGE_MIN, TL_VA_IMAGE_MAX), no
 * segment is both writable and executable, and the entry is code. */
int tl_check_elf(const uint8_t *elf, size_t size, struct elf_image *img)
{
    if (elf_check(elf, size, img) != ELF_OK)
        return TL_ST_BAD_ELF;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_segment *s = &img->seg[i];
        if (s->addr < TL_VA_IMAGE_MIN || s->addr > TL_VA_IMAGE_MAX ||
            s->memsz > TL_VA_IMAGE_MAX - s->addr)
            return TL_ST_BAD_ELF;
        if ((s->flags & ELF_SEG_W) && (s->flags & ELF_SEG_X))
            return TL_ST_BAD_ELF;
    }
    return 0;
}

int tl_verify(const uint8_t *image, size_t size, const uint8_t elf_sha256[32],
              const struct tl_known *table, unsigned n, const uint8_t pubkey[65],
              struct tl_verified *out)
{
    memset(out, 0, sizeof(*out));
    if (size < TL_HEADER_SIZE)
        return TL_ST_BAD_HEADER;
    memcpy(&out->header, image, sizeof(out->header));
    const struct tl_header *h = &out->header;
    int rc = check_header(h, size);
    if (!rc)
        rc = check_signature(image, h, pubkey);
    if (!rc && memcmp(h->image_sha256, elf_sha256, 32))
        rc = TL_ST_BAD_HASH;
    if (rc)
        return rc;
    for (unsigned i = 0; i < n; i++) {
        if (table[i].id == h->trustlet_id)
            out->known = &table[i];
    }
    if (!out->known)
        return TL_ST_UNKNOWN_ID;
    if (h->version < out->known->min_version)
        return TL_ST_ROLLBACK;
    out->elf_bytes = image + TL_HEADER_SIZE;
    return tl_check_elf(out->elf_bytes, size - TL_HEADER_SIZE, &out->elf);
}

const char *tl_status_name(int status)
{
    switch (status) {
    case 0: return "ok";
    case TL_ST_BAD_HEADER: return "bad header";
    case TL_ST_BAD_SIGNATURE: return "bad signature";
    case TL_ST_BAD_HASH: return "image does not match its signed hash";
    case TL_ST_UNKNOWN_ID: return "unknown trustlet ID";
    case TL_ST_ROLLBACK: return "version below the minimum (rollback)";
    case TL_ST_BAD_ELF: return "malformed or unsafe ELF";
    case TL_ST_TOO_LARGE: return "too large";
    case TL_ST_NO_MEMORY: return "no memory";
    case TL_ST_BUFFER: return "image not in VTL0 memory VTL0 may read";
    case TL_ST_BUSY: return "no free trustlet slot";
    default: return "error";
    }
}
