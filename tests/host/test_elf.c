/* test_elf.c: host unit tests (cmocka) for ELF64 AArch64 image validation
 * (lib/elf.c); runs on the build host on images built in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "elf.h" /* lib/elf.h (the -I paths come before the system's <elf.h>) */

/* ELF64 file layouts, written out from the ELF specification rather than
 * taken from lib/elf.c, so the test checks that its private copy agrees. */
typedef struct {
    uint8_t e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;

typedef struct {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;

_Static_assert(sizeof(Elf64_Ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(offsetof(Elf64_Ehdr, e_entry) == 24, "e_entry at 24");
_Static_assert(offsetof(Elf64_Ehdr, e_phoff) == 32, "e_phoff at 32");
_Static_assert(offsetof(Elf64_Ehdr, e_phentsize) == 54, "e_phentsize at 54");
_Static_assert(offsetof(Elf64_Ehdr, e_phnum) == 56, "e_phnum at 56");
_Static_assert(sizeof(Elf64_Phdr) == 56, "ELF64 program header is 56 bytes");
_Static_assert(offsetof(Elf64_Phdr, p_paddr) == 24, "p_paddr at 24");

#define EI_CLASS     4
#define EI_DATA      5
#define EI_VERSION   6
#define ELFCLASS32   1
#define ELFCLASS64   2
#define ELFDATA2LSB  1
#define ELFDATA2MSB  2
#define EV_CURRENT   1
#define ET_EXEC      2
#define ET_DYN       3
#define EM_X86_64    62
#define EM_AARCH64   183
#define PT_LOAD      1
#define PT_DYNAMIC   2
#define PT_NOTE      4
#define PF_X         1
#define PF_W         2
#define PF_R         4

/* ---- A tiny image builder ------------------------------------------------ */

#define IMG_SIZE  0x3000
#define MAX_PH    12
#define TEXT      0x40080000ull
#define DATA      0x40090000ull

struct img {
    union {
        uint8_t bytes[IMG_SIZE];
        struct {
            Elf64_Ehdr eh;
            Elf64_Phdr ph[MAX_PH];
        };
    };
    size_t size;
};

static struct img im;
static struct elf_image out;

static Elf64_Phdr *add_ph(uint32_t type, uint32_t flags, uint64_t offset, uint64_t paddr,
                          uint64_t filesz, uint64_t memsz)
{
    unsigned i = im.eh.e_phnum++;
    assert_true(i < MAX_PH);
    im.ph[i] = (Elf64_Phdr){
        .p_type = type, .p_flags = flags, .p_offset = offset,
        .p_vaddr = paddr + 0xffff000000000000ull, /* the checker uses p_paddr */
        .p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz, .p_align = 0x1000,
    };
    return &im.ph[i];
}

/* One R+X text segment with the entry point and one R+W data segment whose
 * memory size is larger than its file size (bss). */
static int build_valid(void **state)
{
    (void)state;
    memset(&im, 0, sizeof(im));
    memcpy(im.eh.e_ident, "\177ELF", 4);
    im.eh.e_ident[EI_CLASS] = ELFCLASS64;
    im.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im.eh.e_ident[EI_VERSION] = EV_CURRENT;
    im.eh.e_type = ET_EXEC;
    im.eh.e_machine = EM_AARCH64;
    im.eh.e_version = EV_CURRENT;
    im.eh.e_entry = TEXT + 0x40;
    im.eh.e_phoff = offsetof(struct img, ph);
    im.eh.e_ehsize = sizeof(Elf64_Ehdr);
    im.eh.e_phentsize = sizeof(Elf64_Phdr);
    add_ph(PT_LOAD, PF_R | PF_X, 0x1000, TEXT, 0x800, 0x1000);
    add_ph(PT_LOAD, PF_R | PF_W, 0x2000, DATA, 0x100, 0x5000);
    memset(im.bytes + 0x1000, 0xd5, 0x800);
    im.size = IMG_SIZE;
    return 0;
}

static int check(void)
{
    return elf_check(im.bytes, im.size, &out);
}

/* ---- Tests ---------------------------------------------------------------- */

static void test_valid_image(void **state)
{
    (void)state;
    /* Non-loadable headers and empty PT_LOADs are ignored. */
    add_ph(PT_NOTE, PF_R, 0x1800, 0, 0x20, 0x20);
    add_ph(PT_LOAD, PF_R, 0x2000, 0x50000000, 0, 0);
    assert_int_equal(check(), ELF_OK);
    assert_int_equal(out.entry, TEXT + 0x40);
    assert_int_equal(out.nseg, 2);
    assert_int_equal(out.seg[0].addr, TEXT);
    assert_int_equal(out.seg[0].offset, 0x1000);
    assert_int_equal(out.seg[0].filesz, 0x800);
    assert_int_equal(out.seg[0].memsz, 0x1000);
    assert_int_equal(out.seg[0].flags, ELF_SEG_R | ELF_SEG_X);
    assert_int_equal(out.seg[1].addr, DATA);
    assert_int_equal(out.seg[1].offset, 0x2000);
    assert_int_equal(out.seg[1].filesz, 0x100);
    assert_int_equal(out.seg[1].memsz, 0x5000);
    assert_int_equal(out.seg[1].flags, ELF_SEG_R | ELF_SEG_W);
    assert_string_equal(elf_error(ELF_OK), "ok");

    /* Other p_flags bits are dropped; a segment may end at the file's end. */
    im.ph[1].p_flags |= 0x00f00000;
    im.ph[1].p_offset = IMG_SIZE - 0x100;
    assert_int_equal(check(), ELF_OK);
    assert_int_equal(out.seg[1].flags, ELF_SEG_R | ELF_SEG_W);
}

static void test_not_aarch64_elf64(void **state)
{
    (void)state;
    im.bytes[1] = 'e';
    assert_int_equal(check(), ELF_ERR_MAGIC);
    im.bytes[1] = 'E';
    im.eh.e_machine = EM_X86_64;
    assert_int_equal(check(), ELF_ERR_MAGIC);
    im.eh.e_machine = EM_AARCH64;
    im.eh.e_ident[EI_CLASS] = ELFCLASS32;
    assert_int_equal(check(), ELF_ERR_MAGIC);
    im.eh.e_ident[EI_CLASS] = ELFCLASS64;
    im.eh.e_ident[EI_DATA] = ELFDATA2MSB;
    assert_int_equal(check(), ELF_ERR_MAGIC);
    im.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im.eh.e_type = ET_DYN;
    assert_int_equal(check(), ELF_ERR_MAGIC);
    im.eh.e_type = ET_EXEC;
    assert_int_equal(check(), ELF_OK); /* every field restored */
}

static void test_truncated(void **state)
{
    (void)state;
    im.size = sizeof(Elf64_Ehdr) - 1;
    assert_int_equal(check(), ELF_ERR_TRUNCATED);
    im.size = 0;
    assert_int_equal(check(), ELF_ERR_TRUNCATED);
    /* Header complete but the program headers cut off. */
    im.size = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    assert_int_equal(check(), ELF_ERR_PHDR);
}

static void test_bad_program_headers(void **state)
{
    (void)state;
    im.eh.e_phoff = IMG_SIZE + 8;
    assert_int_equal(check(), ELF_ERR_PHDR);
    im.eh.e_phoff = IMG_SIZE - sizeof(Elf64_Phdr); /* room for one of two */
    assert_int_equal(check(), ELF_ERR_PHDR);
    im.eh.e_phoff = ~0ull - 8; /* would wrap around */
    assert_int_equal(check(), ELF_ERR_PHDR);
    im.eh.e_phoff = offsetof(struct img, ph);
    im.eh.e_phnum = 0xffff;
    assert_int_equal(check(), ELF_ERR_PHDR);
    im.eh.e_phnum = 0;
    assert_int_equal(check(), ELF_ERR_PHDR);
    im.eh.e_phnum = 2;
    im.eh.e_phentsize = sizeof(Elf64_Phdr) - 24; /* a 32-bit phdr */
    assert_int_equal(check(), ELF_ERR_PHDR);
    im.eh.e_phentsize = sizeof(Elf64_Phdr) + 8;
    assert_int_equal(check(), ELF_ERR_PHDR);
    im.eh.e_phentsize = sizeof(Elf64_Phdr);
    assert_int_equal(check(), ELF_OK);
}

static void test_segment_out_of_range(void **state)
{
    (void)state;
    Elf64_Phdr *d = &im.ph[1];
    d->p_offset = IMG_SIZE - 0x80; /* file data runs past the end */
    assert_int_equal(check(), ELF_ERR_SEGMENT);
    d->p_offset = IMG_SIZE + 0x1000;
    d->p_filesz = 0;
    assert_int_equal(check(), ELF_ERR_SEGMENT);
    d->p_offset = 0x100;
    d->p_filesz = ~0ull - 0x80; /* offset + filesz wraps */
    d->p_memsz = ~0ull;
    assert_int_equal(check(), ELF_ERR_SEGMENT);
    d->p_offset = 0x2000;
    d->p_filesz = 0x100;
    d->p_memsz = 0x80; /* filesz > memsz */
    assert_int_equal(check(), ELF_ERR_SEGMENT);
    d->p_memsz = 0x2000;
    d->p_paddr = 0xfffffffffffff000ull; /* paddr + memsz wraps */
    assert_int_equal(check(), ELF_ERR_SEGMENT);
    d->p_paddr = (1ull << 48) - 0x1000; /* beyond a 48-bit address space */
    assert_int_equal(check(), ELF_ERR_SEGMENT);
    d->p_paddr = DATA;
    assert_int_equal(check(), ELF_OK);
}

static void test_overlapping_segments(void **state)
{
    (void)state;
    im.ph[1].p_paddr = TEXT + 0xff8; /* last 8 bytes of text */
    assert_int_equal(check(), ELF_ERR_OVERLAP);
    im.ph[1].p_paddr = TEXT - 0x5000 + 8; /* data's end reaches into text */
    assert_int_equal(check(), ELF_ERR_OVERLAP);
    im.ph[1].p_paddr = TEXT - 0x1000; /* data covers text entirely */
    im.ph[1].p_memsz = 0x4000;
    assert_int_equal(check(), ELF_ERR_OVERLAP);
    im.ph[1].p_paddr = TEXT + 0x1000; /* adjacent is fine */
    assert_int_equal(check(), ELF_OK);
    im.ph[1].p_paddr = TEXT - 0x4000;
    assert_int_equal(check(), ELF_OK);
}

static void test_entry_point(void **state)
{
    (void)state;
    im.eh.e_entry = DATA + 0x40; /* in a segment, but not executable */
    assert_int_equal(check(), ELF_ERR_ENTRY);
    im.eh.e_entry = 0x10000000; /* in no segment */
    assert_int_equal(check(), ELF_ERR_ENTRY);
    im.eh.e_entry = TEXT + 0x1000; /* one past the end of text */
    assert_int_equal(check(), ELF_ERR_ENTRY);
    im.eh.e_entry = TEXT - 4;
    assert_int_equal(check(), ELF_ERR_ENTRY);
    im.eh.e_entry = TEXT + 0x42; /* not instruction aligned */
    assert_int_equal(check(), ELF_ERR_ENTRY);
    im.eh.e_entry = TEXT + 0xffc; /* the last instruction */
    assert_int_equal(check(), ELF_OK);
    assert_int_equal(out.entry, TEXT + 0xffc);
    im.eh.e_entry = TEXT;
    assert_int_equal(check(), ELF_OK);
    /* Making data executable makes an entry there acceptable. */
    im.ph[1].p_flags |= PF_X;
    im.eh.e_entry = DATA + 0x40;
    assert_int_equal(check(), ELF_OK);
    assert_int_equal(out.entry, DATA + 0x40);
}

static void test_too_many_segments(void **state)
{
    (void)state;
    /* Two segments already; six more make ELF_MAX_SEGMENTS, which is fine. */
    for (unsigned i = 0; i < ELF_MAX_SEGMENTS - 2; i++)
        add_ph(PT_LOAD, PF_R, 0x2000, 0x50000000 + i * 0x1000ull, 0x10, 0x1000);
    assert_int_equal(check(), ELF_OK);
    assert_int_equal(out.nseg, ELF_MAX_SEGMENTS);
    add_ph(PT_LOAD, PF_R, 0x2000, 0x60000000, 0x10, 0x1000);
    assert_int_equal(check(), ELF_ERR_TOO_MANY);
    /* An empty one more does not count. */
    im.ph[im.eh.e_phnum - 1].p_memsz = 0;
    im.ph[im.eh.e_phnum - 1].p_filesz = 0;
    assert_int_equal(check(), ELF_OK);
}

static void test_nothing_to_load(void **state)
{
    (void)state;
    im.ph[0].p_type = PT_NOTE;
    im.ph[1].p_type = PT_DYNAMIC;
    assert_int_equal(check(), ELF_ERR_EMPTY);
    im.ph[0].p_type = PT_LOAD; /* loadable but empty */
    im.ph[0].p_filesz = 0;
    im.ph[0].p_memsz = 0;
    assert_int_equal(check(), ELF_ERR_EMPTY);
    assert_int_equal(out.nseg, 0);
    assert_string_equal(elf_error(ELF_ERR_EMPTY), "nothing to load");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_valid_image, build_valid),
        cmocka_unit_test_setup(test_not_aarch64_elf64, build_valid),
        cmocka_unit_test_setup(test_truncated, build_valid),
        cmocka_unit_test_setup(test_bad_program_headers, build_valid),
        cmocka_unit_test_setup(test_segment_out_of_range, build_valid),
        cmocka_unit_test_setup(test_overlapping_segments, build_valid),
        cmocka_unit_test_setup(test_entry_point, build_valid),
        cmocka_unit_test_setup(test_too_many_segments, build_valid),
        cmocka_unit_test_setup(test_nothing_to_load, build_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
