/* fuzz_tlimage.c: libFuzzer target for the secure kernel's trustlet image
 * verifier and ELF checks (sk/tlimage.c, lib/elf.c), built for the build
 * host. Any crash, sanitizer report or timeout fails `make fuzz`, and so does
 * a verdict that breaks what the verifier promises: an accepted image that
 * is not signed by the key, does not match its hash, or carries an ELF that
 * a loader could not trust. With OVBS_FUZZ_MUST_VERIFY set, an input that is
 * refused fails too (`make fuzz` checks its freshly signed seed that way). */
#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tl_pubkey.h"
#include "tlimage.h"

static const struct tl_known table[] = {
    { 0x0ec40001, 2, "echo" },
    { 0x0ec40002, 1, "keyholder" },
};
#define NKNOWN (sizeof(table) / sizeof(table[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_tlimage: %s: %s\n", what, detail);
    abort();
}

/* What elf_check and tl_check_elf promise about an ELF they accept, checked
 * against the raw fields again: a loader copies [offset, offset + filesz)
 * of every segment and jumps to the entry. */
static void check_elf_promises(const struct elf_image *img, size_t size, const char *what)
{
    if (img->nseg == 0 || img->nseg > ELF_MAX_SEGMENTS)
        broken(what, "segment count out of range");
    int entry_ok = 0;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_segment *s = &img->seg[i];
        if (s->offset > size || s->filesz > size - s->offset)
            broken(what, "segment bytes outside the file");
        if (s->filesz > s->memsz || s->memsz == 0)
            broken(what, "segment sizes inconsistent");
        if (s->addr < TL_VA_IMAGE_MIN || s->addr >= TL_VA_IMAGE_MAX ||
            s->memsz > TL_VA_IMAGE_MAX - s->addr)
            broken(what, "segment outside the trustlet image window");
        if ((s->flags & ELF_SEG_W) && (s->flags & ELF_SEG_X))
            broken(what, "writable and executable segment");
        for (unsigned j = 0; j < i; j++) {
            const struct elf_segment *t = &img->seg[j];
            if (s->addr < t->addr + t->memsz && t->addr < s->addr + s->memsz)
                broken(what, "overlapping segments");
        }
        if ((s->flags & ELF_SEG_X) && img->entry >= s->addr && img->entry - s->addr < s->memsz)
            entry_ok = 1;
    }
    if (!entry_ok || (img->entry & 3))
        broken(what, "entry point not in an executable segment");
}

/* The signature checked again with BearSSL's other big-integer code (i15,
 * not the i31 that sk/tlimage.c uses), so a verifier that stopped checking
 * cannot agree with itself. */
static void sha256(const uint8_t *data, size_t size, uint8_t out[32])
{
    br_sha256_context ctx;
    br_sha256_init(&ctx);
    br_sha256_update(&ctx, data, size);
    br_sha256_out(&ctx, out);
}

static int really_signed(const uint8_t *image)
{
    uint8_t digest[32];
    sha256(image, TL_SIGNED_BYTES, digest);
    br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)tl_signing_key, 65 };
    return br_ecdsa_i15_vrfy_raw(&br_ec_p256_m15, digest, sizeof(digest), &pk,
                                 image + TL_SIGNED_BYTES, 64) == 1;
}

/* What tl_verify promises about an image it accepts. */
static void check_verified(const uint8_t *data, size_t size, const uint8_t sha[32],
                           const struct tl_verified *v)
{
    const struct tl_header *h = &v->header;
    if (size < TL_HEADER_SIZE || memcmp(h, data, sizeof(*h)))
        broken("accepted image", "header is not the image's own");
    if (!really_signed(data))
        broken("accepted image", "not signed by the key");
    if (memcmp(h->image_sha256, sha, 32))
        broken("accepted image", "ELF does not match the signed hash");
    if (memcmp(h->magic, TL_MAGIC, 8) || h->format_version != TL_FORMAT_VERSION ||
        h->header_size != TL_HEADER_SIZE || h->image_size != size - TL_HEADER_SIZE ||
        h->image_size > TL_MAX_IMAGE || h->reserved)
        broken("accepted image", "header fields not the format's");
    if (h->policy & ~((1u << TL_SYS_COUNT) - 1))
        broken("accepted image", "policy grants calls that do not exist");
    if (v->known < table || v->known >= table + NKNOWN || v->known->id != h->trustlet_id)
        broken("accepted image", "ID not in the known table");
    if (h->version < v->known->min_version)
        broken("accepted image", "version below the minimum");
    if (v->elf_bytes != data + TL_HEADER_SIZE)
        broken("accepted image", "ELF not inside the verified buffer");
    check_elf_promises(&v->elf, size - TL_HEADER_SIZE, "accepted image's ELF");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TL_HEADER_SIZE + TL_MAX_IMAGE)
        return 0;
    uint8_t sha[32] = { 0 };
    if (size > TL_HEADER_SIZE)
        sha256(data + TL_HEADER_SIZE, size - TL_HEADER_SIZE, sha);
    struct tl_verified v;
    int rc = tl_verify(data, size, sha, table, NKNOWN, tl_signing_key, &v);
    if (rc == 0)
        check_verified(data, size, sha, &v);
    else if (getenv("OVBS_FUZZ_MUST_VERIFY"))
        broken("seed refused", tl_status_name(rc));
    /* Past the signature: the same checks on the bytes as a bare ELF and as
     * the ELF part of an image, which no fuzzed signature would reach. */
    struct elf_image img;
    if (tl_check_elf(data, size, &img) == 0)
        check_elf_promises(&img, size, "accepted ELF");
    if (size > TL_HEADER_SIZE &&
        tl_check_elf(data + TL_HEADER_SIZE, size - TL_HEADER_SIZE, &img) == 0)
        check_elf_promises(&img, size - TL_HEADER_SIZE, "accepted ELF of an image");
    return 0;
}
