/* elf.c: ELF64 executable validation (pure logic, any EL or host). */
#include <string.h>
#include "elf.h"

#define EI_NIDENT   16
#define ET_EXEC     2
#define EM_AARCH64  183
#define PT_LOAD     1

struct ehdr {
    uint8_t ident[EI_NIDENT];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int check_header(const struct ehdr *h, size_t size)
{
    static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };
    if (memcmp(h->ident, magic, 4) || h->ident[4] != 2 /* ELFCLASS64 */ ||
        h->ident[5] != 1 /* little-endian */ || h->type != ET_EXEC ||
        h->machine != EM_AARCH64)
        return ELF_ERR_MAGIC;
    if (h->phentsize != sizeof(struct phdr) || h->phnum == 0)
        return ELF_ERR_PHDR;
    if (h->phoff > size || (uint64_t)h->phnum * sizeof(struct phdr) > size - h->phoff)
        return ELF_ERR_PHDR;
    return ELF_OK;
}

static int add_segment(struct elf_image *out, const struct phdr *p, size_t size)
{
    if (p->filesz > p->memsz || p->offset > size || p->filesz > size - p->offset)
        return ELF_ERR_SEGMENT;
    if (p->memsz == 0)
        return ELF_OK;
    if (p->paddr + p->memsz < p->paddr || p->paddr + p->memsz > (1ull << 48))
        return ELF_ERR_SEGMENT;
    for (unsigned i = 0; i < out->nseg; i++) {
        const struct elf_segment *s = &out->seg[i];
        if (p->paddr < s->addr + s->memsz && s->addr < p->paddr + p->memsz)
            return ELF_ERR_OVERLAP;
    }
    if (out->nseg == ELF_MAX_SEGMENTS)
        return ELF_ERR_TOO_MANY;
    struct elf_segment *s = &out->seg[out->nseg++];
    s->addr = p->paddr;
    s->memsz = p->memsz;
    s->offset = p->offset;
    s->filesz = p->filesz;
    s->flags = p->flags & (ELF_SEG_R | ELF_SEG_W | ELF_SEG_X);
    return ELF_OK;
}

int elf_check(const void *image, size_t size, struct elf_image *out)
{
    struct ehdr h;
    memset(out, 0, sizeof(*out));
    if (size < sizeof(h))
        return ELF_ERR_TRUNCATED;
    memcpy(&h, image, sizeof(h)); /* no unaligned or in-place access */
    int rc = check_header(&h, size);
    if (rc)
        return rc;
    for (unsigned i = 0; i < h.phnum; i++) {
        struct phdr p;
        memcpy(&p, (const uint8_t *)image + h.phoff + i * sizeof(p), sizeof(p));
        if (p.type != PT_LOAD)
            continue;
        rc = add_segment(out, &p, size);
        if (rc)
            return rc;
    }
    if (out->nseg == 0)
        return ELF_ERR_EMPTY;
    for (unsigned i = 0; i < out->nseg; i++) {
        const struct elf_segment *s = &out->seg[i];
        if ((s->flags & ELF_SEG_X) && h.entry >= s->addr && h.entry - s->addr < s->memsz &&
            !(h.entry & 3)) {
            out->entry = h.entry;
            return ELF_OK;
        }
    }
    return ELF_ERR_ENTRY;
}

const char *elf_error(int err)
{
    switch (err) {
    case ELF_OK: return "ok";
    case ELF_ERR_TRUNCATED: return "truncated";
    case ELF_ERR_MAGIC: return "not an ELF64 AArch64 executable";
    case ELF_ERR_PHDR: return "bad program headers";
    case ELF_ERR_SEGMENT: return "segment out of range";
    case ELF_ERR_OVERLAP: return "overlapping segments";
    case ELF_ERR_ENTRY: return "entry point outside code";
    case ELF_ERR_TOO_MANY: return "too many segments";
    case ELF_ERR_EMPTY: return "nothing to load";
    default: return "unknown error";
    }
}
