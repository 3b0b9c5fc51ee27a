/* owner.c: page ownership map and its transition rules (EL2; also built for
 * host tests). See owner.h for the state diagram. */
#include <stddef.h>
#include <string.h>
#include "owner.h"

#define PAGE_SIZE   4096ull
#define PAGE_MASK   (PAGE_SIZE - 1)
#define STATE(owner, acc) ((uint8_t)((owner) | ((acc) << 4)))
#define STATE_OWNER(s)    ((uint8_t)((s) & 0xf))
#define STATE_ACCESS(s)   ((uint8_t)((s) >> 4))

static const char *const names[OWNER_COUNT] = {
    [OWNER_NONE] = "none",
    [OWNER_HV] = "hv",
    [OWNER_VTL1] = "vtl1",
    [OWNER_VTL0] = "vtl0",
    [OWNER_MMIO_VTL0] = "mmio-vtl0",
    [OWNER_MMIO_HV] = "mmio-hv",
};

const char *owner_name(uint8_t owner)
{
    return owner < OWNER_COUNT ? names[owner] : "?";
}

/* VTL0's access to a page follows from its owner until VTL1 changes it. */
static uint8_t default_access(uint8_t owner)
{
    switch (owner) {
    case OWNER_VTL0: return OVBS_ACC_RWX;
    case OWNER_MMIO_VTL0: return OVBS_ACC_R | OVBS_ACC_W;
    default: return 0;
    }
}

void owner_init(struct owner_map *m)
{
    memset(m, 0, sizeof(*m));
}

void owner_end_boot(struct owner_map *m)
{
    m->boot_done = true;
}

static bool ranges_overlap(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
    return a < b + bsize && b < a + asize;
}

static bool overlaps_ram(const struct owner_map *m, uint64_t base, uint64_t size)
{
    for (unsigned i = 0; i < m->nbanks; i++) {
        if (ranges_overlap(base, size, m->bank[i].base, m->bank[i].pages * PAGE_SIZE))
            return true;
    }
    return false;
}

int owner_add_ram(struct owner_map *m, uint64_t base, uint64_t size, uint8_t *state)
{
    if ((base | size) & PAGE_MASK || size == 0 || base + size < base)
        return OWN_ERR_ALIGN;
    if (m->nbanks == OWN_MAX_BANKS)
        return OWN_ERR_FULL;
    if (overlaps_ram(m, base, size))
        return OWN_ERR_OVERLAP;
    for (unsigned i = 0; i < m->nmmio; i++) {
        if (ranges_overlap(base, size, m->mmio[i].base, m->mmio[i].size))
            return OWN_ERR_OVERLAP;
    }
    unsigned pos = m->nbanks;
    while (pos > 0 && m->bank[pos - 1].base > base) {
        m->bank[pos] = m->bank[pos - 1];
        pos--;
    }
    m->bank[pos].base = base;
    m->bank[pos].pages = size / PAGE_SIZE;
    m->bank[pos].state = state;
    memset(state, STATE(OWNER_VTL0, default_access(OWNER_VTL0)), size / PAGE_SIZE);
    m->nbanks++;
    return OWN_OK;
}

static void copy_name(char *dst, const char *src)
{
    size_t n = src ? strnlen(src, OWN_NAME_LEN - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

int owner_add_mmio(struct owner_map *m, uint64_t base, uint64_t size, uint8_t owner,
                   const char *name)
{
    if (owner != OWNER_MMIO_VTL0 && owner != OWNER_MMIO_HV)
        return OWN_ERR_ILLEGAL;
    if (size == 0 || base + size < base)
        return OWN_ERR_ALIGN;
    uint64_t start = base & ~PAGE_MASK;
    uint64_t end = (base + size + PAGE_MASK) & ~PAGE_MASK;
    if (overlaps_ram(m, start, end - start))
        return OWN_ERR_OVERLAP;
    /* Merge with every same-owner range it touches; refuse other owners. */
    for (unsigned i = 0; i < m->nmmio; i++) {
        struct own_mmio *r = &m->mmio[i];
        if (ranges_overlap(start, end - start, r->base, r->size) && r->owner != owner)
            return OWN_ERR_OVERLAP;
    }
    for (unsigned i = 0; i < m->nmmio;) {
        struct own_mmio *r = &m->mmio[i];
        if (ranges_overlap(start, end - start, r->base, r->size)) {
            start = start < r->base ? start : r->base;
            end = end > r->base + r->size ? end : r->base + r->size;
            memmove(r, r + 1, (m->nmmio - i - 1) * sizeof(*r));
            m->nmmio--;
            continue;
        }
        i++;
    }
    if (m->nmmio == OWN_MAX_MMIO)
        return OWN_ERR_FULL;
    unsigned pos = m->nmmio;
    while (pos > 0 && m->mmio[pos - 1].base > start) {
        m->mmio[pos] = m->mmio[pos - 1];
        pos--;
    }
    m->mmio[pos].base = start;
    m->mmio[pos].size = end - start;
    m->mmio[pos].owner = owner;
    copy_name(m->mmio[pos].name, name);
    m->nmmio++;
    return OWN_OK;
}

static const struct own_bank *bank_of(const struct owner_map *m, uint64_t addr);

bool owner_transition_allowed(const struct owner_map *m, uint8_t from, uint8_t to)
{
    if (from == OWNER_VTL0 && to == OWNER_HV)
        return !m->boot_done;
    if (from == OWNER_VTL0 && to == OWNER_VTL1)
        return true;
    if (from == OWNER_VTL1 && to == OWNER_VTL0)
        return true;
    return false;
}

static const struct own_bank *bank_of(const struct owner_map *m, uint64_t addr)
{
    for (unsigned i = 0; i < m->nbanks; i++) {
        const struct own_bank *b = &m->bank[i];
        if (addr >= b->base && addr - b->base < b->pages * PAGE_SIZE)
            return b;
    }
    return NULL;
}

int owner_transition(struct owner_map *m, uint64_t base, uint64_t size, uint8_t from,
                     uint8_t to)
{
    if ((base | size) & PAGE_MASK || size == 0 || base + size < base)
        return OWN_ERR_ALIGN;
    if (!owner_transition_allowed(m, from, to))
        return OWN_ERR_ILLEGAL;
    /* Check phase: the whole range must be RAM of one bank in state `from`. */
    int rc = owner_check(m, base, size, from);
    if (rc)
        return rc;
    /* Commit phase: cannot fail. */
    const struct own_bank *b = bank_of(m, base);
    memset(b->state + (base - b->base) / PAGE_SIZE, STATE(to, default_access(to)),
           size / PAGE_SIZE);
    return OWN_OK;
}

int owner_check(const struct owner_map *m, uint64_t base, uint64_t size, uint8_t owner)
{
    if ((base | size) & PAGE_MASK || size == 0 || base + size < base)
        return OWN_ERR_ALIGN;
    const struct own_bank *b = bank_of(m, base);
    if (!b || base + size - b->base > b->pages * PAGE_SIZE)
        return OWN_ERR_NOT_RAM;
    uint64_t first = (base - b->base) / PAGE_SIZE, n = size / PAGE_SIZE;
    for (uint64_t i = 0; i < n; i++) {
        if (STATE_OWNER(b->state[first + i]) != owner)
            return OWN_ERR_STATE;
    }
    return OWN_OK;
}

int owner_set_vtl0_access(struct owner_map *m, uint64_t base, uint64_t size, uint8_t access)
{
    int rc = owner_check(m, base, size, OWNER_VTL0);
    if (rc)
        return rc;
    const struct own_bank *b = bank_of(m, base);
    memset(b->state + (base - b->base) / PAGE_SIZE, STATE(OWNER_VTL0, access & OVBS_ACC_RWX),
           size / PAGE_SIZE);
    return OWN_OK;
}

uint8_t owner_of(const struct owner_map *m, uint64_t addr)
{
    const struct own_bank *b = bank_of(m, addr);
    if (b)
        return STATE_OWNER(b->state[(addr - b->base) / PAGE_SIZE]);
    for (unsigned i = 0; i < m->nmmio; i++) {
        if (addr >= m->mmio[i].base && addr - m->mmio[i].base < m->mmio[i].size)
            return m->mmio[i].owner;
    }
    return OWNER_NONE;
}

uint8_t owner_vtl0_access(const struct owner_map *m, uint64_t addr)
{
    const struct own_bank *b = bank_of(m, addr);
    if (b)
        return STATE_ACCESS(b->state[(addr - b->base) / PAGE_SIZE]);
    return default_access(owner_of(m, addr));
}

void owner_iter_init(struct own_iter *it)
{
    it->bank = 0;
    it->mmio = 0;
    it->page = 0;
}

/* The first page at or after `page` whose state is not `s`. A bank has up
 * to a million state bytes and this runs with the MMU still off (Device
 * memory: no unaligned accesses), so it compares one byte at a time up to an
 * 8-byte boundary, then eight at a time with aligned loads. */
static uint64_t run_end(const struct own_bank *b, uint64_t page, uint8_t s)
{
    const uint64_t same = 0x0101010101010101ull * s;
    while (page < b->pages && ((uintptr_t)&b->state[page] & 7) && b->state[page] == s)
        page++;
    while (page + 8 <= b->pages && ((uintptr_t)&b->state[page] & 7) == 0) {
        uint64_t word;
        memcpy(&word, __builtin_assume_aligned(&b->state[page], 8), sizeof(word));
        if (word != same)
            break;
        page += 8;
    }
    while (page < b->pages && b->state[page] == s)
        page++;
    return page;
}

/* Runs come from two sorted lists (device ranges, RAM banks) merged by base;
 * a RAM bank contributes one run per change of page state. */
bool owner_iter_next(const struct owner_map *m, struct own_iter *it, struct own_run *r)
{
    if (it->bank == m->nbanks && it->mmio == m->nmmio)
        return false;
    bool take_mmio = it->bank == m->nbanks ||
                     (it->mmio < m->nmmio && m->mmio[it->mmio].base < m->bank[it->bank].base);
    if (take_mmio) {
        const struct own_mmio *d = &m->mmio[it->mmio++];
        r->base = d->base;
        r->size = d->size;
        r->owner = d->owner;
        r->access = default_access(d->owner);
        r->name = d->name;
        return true;
    }
    const struct own_bank *b = &m->bank[it->bank];
    uint8_t s = b->state[it->page];
    uint64_t start = it->page;
    it->page = run_end(b, it->page, s);
    r->base = b->base + start * PAGE_SIZE;
    r->size = (it->page - start) * PAGE_SIZE;
    r->owner = STATE_OWNER(s);
    r->access = STATE_ACCESS(s);
    r->name = NULL;
    if (it->page == b->pages) {
        it->bank++;
        it->page = 0;
    }
    return true;
}

bool owner_run(const struct owner_map *m, unsigned index, struct own_run *run)
{
    struct own_iter it;
    owner_iter_init(&it);
    for (unsigned i = 0; owner_iter_next(m, &it, run); i++) {
        if (i == index)
            return true;
    }
    return false;
}
