/* kl_layout.h: the kernel layout of the integrity lock as pure logic (EL1 of
 * VTL1; also built for the host's unit test): ranges, lookups, jump sites.
 * kernel_lock.c owns the state and the locking; nothing here takes a lock
 * or makes a hypercall. */
#ifndef OVBS_SK_KL_LAYOUT_H
#define OVBS_SK_KL_LAYOUT_H
#include <stdbool.h>
#include <stdint.h>
#include "openvbs/vsm.h"

#define KL_PAGE          4096ull
#define KL_MAX_TABLES    64
#define KL_MAX_RANGE_PAGES (1ull << 18) /* 1 GiB: more than any kernel's text */

struct kl_range {
    uint64_t va, gpa, pages;
    uint32_t kind; /* KL_KERNEL_TEXT .. KL_MODULE_RODATA */
};
struct kl_table {
    uint64_t va, entries;
};
struct kl_layout {
    struct kl_range range[KL_MAX_RANGES];
    unsigned nranges;
    struct kl_table table[KL_MAX_TABLES];
    unsigned ntables;
    uint64_t table_entries; /* all tables together, at most KL_MAX_JUMP_SITES */
};
/* A patchable site: the only instructions VTL1 writes there are A64_NOP and
 * `branch`. 16 bytes, so an array of them needs no unaligned access. */
struct kl_site {
    uint64_t gpa;
    uint32_t branch;
    uint32_t reserved;
};

/* Where the measured kernel image lies, and whether a range is VTL0 RAM. */
struct kl_bounds {
    uint64_t image_base, image_size;                 /* image_size 0: none measured */
    bool (*is_vtl0_ram)(uint64_t gpa, uint64_t size);
};

bool kl_is_text(uint32_t kind);
bool kl_is_rodata(uint32_t kind);
/* SC_KERNEL_LAYOUT's checks and the staging itself: HV_STATUS_*; on any
 * refusal the layout is unchanged. */
int kl_add_range(struct kl_layout *l, const struct kl_bounds *b, uint32_t kind, uint64_t va,
                 uint64_t gpa, uint64_t pages);
int kl_add_table(struct kl_layout *l, uint64_t va, uint64_t entries);
/* The GPA behind va, if a staged range of an accepted kind holds it. */
bool kl_va_to_gpa(const struct kl_layout *l, uint64_t va, bool text, uint64_t *gpa);
/* The staged range holding gpa, or NULL. */
const struct kl_range *kl_range_at(const struct kl_layout *l, uint64_t gpa);
/* `B target` placed at `from`: false if out of the ±128 MiB reach or
 * misaligned. */
bool kl_a64_branch(uint64_t from, uint64_t target, uint32_t *insn);
/* One jump-table entry found at entry_va: 1 and the site if its code lies
 * in staged text (0 if it does not: init text, freed and not locked);
 * -1 if its target is not staged text or out of a branch's reach. */
int kl_site_of(const struct kl_layout *l, uint64_t entry_va, const struct ovbs_jump_entry *e,
               struct kl_site *out);
/* Sort by GPA and drop exact duplicates: the count, or -1 if one site is
 * given two different branches. */
long kl_sort_sites(struct kl_site *s, unsigned long n);
/* Binary search: the site at gpa or NULL. */
const struct kl_site *kl_find_site(const struct kl_site *s, unsigned long n, uint64_t gpa);
/* Whether `insn` may be written at `site` (a NOP or its own branch). */
bool kl_write_allowed(const struct kl_site *site, uint32_t insn);
#endif
