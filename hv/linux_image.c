/* linux_image.c: checks an arm64 Linux Image header and parses the boot
 * arguments that say where the loader put the Image and the initramfs (EL2,
 * at boot; pure logic, host-tested in tests/host/test_linux_image.c). */
#include <string.h>
#include "linux_image.h"

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Header (booting.rst): code0, code1 (u32 each), text_offset (u64 at 8),
 * image_size (at 16), flags (at 24), three reserved u64, magic (u32 at
 * 56), reserved u32. Since 3.17 image_size is the memory the kernel needs
 * from the start of the Image (BSS and its early page tables past the end
 * of the file); flags bit 0 is big-endian, bits 1-2 the page size, bit 3
 * whether the 2 MiB-aligned base may be anywhere in RAM. */
enum image_err linux_image_check(const void *header, uint64_t base, uint64_t size,
                                 struct linux_image *out)
{
    const uint8_t *h = header;
    if (size < IMAGE_HEADER_SIZE)
        return IMG_ERR_SHORT;
    uint32_t magic = (uint32_t)le64(h + 56);
    if (magic != IMAGE_MAGIC)
        return IMG_ERR_MAGIC;
    uint64_t text_offset = le64(h + 8), image_size = le64(h + 16), flags = le64(h + 24);
    if (image_size == 0)
        return IMG_ERR_OLD;
    if (flags & IMAGE_FLAG_BE)
        return IMG_ERR_ENDIAN;
    if (!(flags & IMAGE_FLAG_ANYWHERE))
        return IMG_ERR_PLACEMENT;
    if (image_size < size || base + image_size < base)
        return IMG_ERR_SIZE;
    if (base < text_offset || (base - text_offset) % IMAGE_ALIGN != 0)
        return IMG_ERR_ALIGN;
    *out = (struct linux_image){ base, size, image_size, text_offset, flags };
    return IMG_OK;
}

const char *linux_image_error(enum image_err e)
{
    switch (e) {
    case IMG_OK: return "ok";
    case IMG_ERR_SHORT: return "shorter than the 64-byte Image header";
    case IMG_ERR_MAGIC: return "no ARM\\x64 magic: not an arm64 Linux Image";
    case IMG_ERR_OLD: return "image_size is 0: a kernel older than 3.17";
    case IMG_ERR_ENDIAN: return "big-endian kernel";
    case IMG_ERR_PLACEMENT: return "kernel must be placed near the start of RAM (flags bit 3 clear)";
    case IMG_ERR_SIZE: return "image_size smaller than the file, or past the end of memory";
    case IMG_ERR_ALIGN: return "not loaded text_offset bytes past a 2 MiB boundary";
    default: return "unknown error";
    }
}

/* A number: 0x-prefixed hex or decimal; *end past its digits. */
static bool parse_number(const char *s, const char **end, uint64_t *v)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    uint64_t n = 0;
    const char *p = s;
    for (;; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            break;
        if (n > (UINT64_MAX - d) / base)
            return false; /* overflow */
        n = n * base + d;
    }
    *end = p;
    *v = n;
    return p != s;
}

/* The word at or after `s` (spaces skipped); *end past it. */
static const char *next_word(const char *s, const char **end)
{
    while (*s == ' ')
        s++;
    const char *e = s;
    while (*e && *e != ' ')
        e++;
    *end = e;
    return s;
}

static bool is_separator(const char *word, const char *end)
{
    return end - word == 2 && word[0] == '-' && word[1] == '-';
}

bool bootarg_range(const char *args, const char *key, bool *present, uint64_t *addr,
                   uint64_t *size)
{
    size_t klen = strlen(key);
    *present = false;
    const char *end;
    for (const char *w = next_word(args, &end); *w; w = next_word(end, &end)) {
        if (is_separator(w, end))
            return false; /* VTL0's command line from here */
        if (!strncmp(w, key, klen)) {
            *present = true;
            const char *p = w + klen;
            return parse_number(p, &p, addr) && *p == ',' && parse_number(p + 1, &p, size) &&
                   p == end;
        }
    }
    return false;
}

const char *bootarg_vtl0_cmdline(const char *args)
{
    const char *end;
    for (const char *w = next_word(args, &end); *w; w = next_word(end, &end)) {
        if (is_separator(w, end)) {
            const char *rest;
            return next_word(end, &rest);
        }
    }
    return NULL;
}
