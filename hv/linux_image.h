/* linux_image.h: checking an arm64 Linux `Image` and the boot arguments that
 * describe where the loader put it (EL2, pure logic; host-tested). */
#ifndef OVBS_HV_LINUX_IMAGE_H
#define OVBS_HV_LINUX_IMAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Documentation/arm64/booting.rst, "Call the kernel image": the 64-byte
 * header at the start of the Image. */
#define IMAGE_HEADER_SIZE  64
#define IMAGE_MAGIC        0x644d5241u /* "ARM\x64" at offset 56 */
#define IMAGE_ALIGN        (2ull << 20) /* the base (Image - text_offset) */
#define IMAGE_FLAG_BE      (1ull << 0)
#define IMAGE_FLAG_ANYWHERE (1ull << 3) /* physical placement: anywhere in RAM */

enum image_err {
    IMG_OK = 0,
    IMG_ERR_SHORT,     /* smaller than its header */
    IMG_ERR_MAGIC,     /* no "ARM\x64" magic: not an arm64 Image */
    IMG_ERR_OLD,       /* image_size 0: a kernel before 3.17, layout unknown */
    IMG_ERR_ENDIAN,    /* big-endian kernel */
    IMG_ERR_PLACEMENT, /* must sit near the start of RAM (flags bit 3 clear) */
    IMG_ERR_SIZE,      /* image_size smaller than the file, or it wraps */
    IMG_ERR_ALIGN,     /* not text_offset past a 2 MiB boundary */
};

struct linux_image {
    uint64_t base;       /* where the file was loaded: also the entry point */
    uint64_t file_size;  /* bytes of the file (what is measured) */
    uint64_t footprint;  /* image_size: file plus BSS and early tables */
    uint64_t text_offset;
    uint64_t flags;
};

/* Check the header of a `size`-byte Image at physical `base`. */
enum image_err linux_image_check(const void *header, uint64_t base, uint64_t size,
                                 struct linux_image *out);
const char *linux_image_error(enum image_err e);

/* The value of boot argument `key` ("vtl0.kernel=") as ADDR,SIZE (each
 * decimal or 0x hex): true and both set if present and well formed;
 * *present tells whether the key appeared at all. Stops at " -- ", where
 * VTL0's own command line begins. */
bool bootarg_range(const char *args, const char *key, bool *present, uint64_t *addr,
                   uint64_t *size);
/* VTL0's command line: what follows the first " -- " word, or NULL. */
const char *bootarg_vtl0_cmdline(const char *args);
#endif
