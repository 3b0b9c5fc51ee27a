/* elf.h: validation of ELF64 AArch64 executables before loading (pure
 * logic; the hypervisor uses it for kernel images, the secure kernel will for
 * trustlets, host tests and fuzzers for itself). Every field that a loader
 * will trust is bounds-checked here, with integer overflow in mind. */
#ifndef OVBS_ELF_H
#define OVBS_ELF_H
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 8

#define ELF_OK              0
#define ELF_ERR_TRUNCATED   (-1) /* shorter than its headers say */
#define ELF_ERR_MAGIC       (-2) /* not ELF64 little-endian AArch64 executable */
#define ELF_ERR_PHDR        (-3) /* program header table malformed */
#define ELF_ERR_SEGMENT     (-4) /* a segment lies outside the file or overflows */
#define ELF_ERR_OVERLAP     (-5) /* two loadable segments overlap in memory */
#define ELF_ERR_ENTRY       (-6) /* entry point not in an executable segment */
#define ELF_ERR_TOO_MANY    (-7) /* more loadable segments than we accept */
#define ELF_ERR_EMPTY       (-8) /* nothing to load */

#define ELF_SEG_R 4u /* p_flags bits */
#define ELF_SEG_W 2u
#define ELF_SEG_X 1u

struct elf_segment {
    uint64_t addr;     /* p_paddr: where it goes */
    uint64_t memsz;
    uint64_t offset;   /* file offset of the initialised part */
    uint64_t filesz;
    uint32_t flags;    /* ELF_SEG_* */
};

struct elf_image {
    uint64_t entry;
    unsigned nseg;
    struct elf_segment seg[ELF_MAX_SEGMENTS];
};

int elf_check(const void *image, size_t size, struct elf_image *out);
const char *elf_error(int err);
#endif
