/* owner.h: the hypervisor's map of who owns each page of physical memory
 * (EL2). Pure bookkeeping, no hardware access: the caller keeps stage 2 in
 * step with it. Also compiled for the host unit tests.
 *
 * RAM has one state byte per 4 KiB page: owner in bits 3:0 and VTL0's access
 * (OVBS_ACC_*) in bits 7:4. Device ranges are whole ranges that never change
 * owner. Transitions between owners are explicit and checked for the whole
 * range before any page changes:
 *
 *            claim (boot only)
 *     VTL0 --------------------> HV        (HV pages never leave HV)
 *     VTL0 <-------------------> VTL1      (reserve / release)
 *     MMIO_VTL0, MMIO_HV: fixed at discovery.   NONE: not memory at all.
 */
#ifndef OVBS_HV_OWNER_H
#define OVBS_HV_OWNER_H
#include <stdbool.h>
#include <stdint.h>
#include "openvbs/hvcall.h"

#define OWN_MAX_BANKS 8
#define OWN_MAX_MMIO  48
#define OWN_NAME_LEN  24

#define OWN_OK            0
#define OWN_ERR_ALIGN     (-1) /* not page aligned or empty */
#define OWN_ERR_NOT_RAM   (-2) /* part of the range is not RAM */
#define OWN_ERR_STATE     (-3) /* a page is not in the expected state */
#define OWN_ERR_ILLEGAL   (-4) /* the transition itself is forbidden */
#define OWN_ERR_OVERLAP   (-5) /* new range collides with a known one */
#define OWN_ERR_FULL      (-6) /* no room for another bank or range */

struct own_bank {
    uint64_t base;
    uint64_t pages;
    uint8_t *state; /* one byte per page, storage given by the caller */
};

struct own_mmio {
    uint64_t base;
    uint64_t size;
    uint8_t owner;
    char name[OWN_NAME_LEN];
};

struct owner_map {
    struct own_bank bank[OWN_MAX_BANKS]; /* sorted by base */
    unsigned nbanks;
    struct own_mmio mmio[OWN_MAX_MMIO];  /* sorted by base, page aligned */
    unsigned nmmio;
    bool boot_done; /* set once VTL0 runs: boot-only transitions close */
};

/* A run of pages with one owner and one VTL0 access: maximal within one RAM
 * bank or one device range (touching banks or devices give separate runs). */
struct own_run {
    uint64_t base;
    uint64_t size;
    uint8_t owner;
    uint8_t access;
    const char *name; /* device name, or NULL for RAM */
};

void owner_init(struct owner_map *m);
/* Add a RAM bank; every page starts as VTL0's with full access. */
int owner_add_ram(struct owner_map *m, uint64_t base, uint64_t size, uint8_t *state);
/* Add a device range (rounded out to pages). A range that overlaps one with
 * the same owner is merged into it; with another owner it is refused. */
int owner_add_mmio(struct owner_map *m, uint64_t base, uint64_t size, uint8_t owner,
                   const char *name);
/* Move every page of [base, base+size) from `from` to `to`. */
int owner_transition(struct owner_map *m, uint64_t base, uint64_t size, uint8_t from,
                     uint8_t to);
bool owner_transition_allowed(const struct owner_map *m, uint8_t from, uint8_t to);
/* OWN_OK if every page of the range is RAM (of one bank) owned by `owner`. */
int owner_check(const struct owner_map *m, uint64_t base, uint64_t size, uint8_t owner);
/* Record VTL0's access (OVBS_ACC_*) to VTL0 pages; refuses other owners. */
int owner_set_vtl0_access(struct owner_map *m, uint64_t base, uint64_t size, uint8_t access);
uint8_t owner_of(const struct owner_map *m, uint64_t addr);
uint8_t owner_vtl0_access(const struct owner_map *m, uint64_t addr);
/* Walking the runs in address order: init, then next until it returns false. */
struct own_iter {
    unsigned bank, mmio;
    uint64_t page;
};
void owner_iter_init(struct own_iter *it);
bool owner_iter_next(const struct owner_map *m, struct own_iter *it, struct own_run *run);
/* The index-th run in address order; false past the last. */
bool owner_run(const struct owner_map *m, unsigned index, struct own_run *run);
const char *owner_name(uint8_t owner);
void owner_end_boot(struct owner_map *m);
#endif
