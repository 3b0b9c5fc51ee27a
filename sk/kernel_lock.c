/* kernel_lock.c: kernel integrity for VTL0's kernel (EL1 of VTL1). VTL0
 * stages its kernel's layout (SC_KERNEL_LAYOUT), then locks it once
 * (SC_KERNEL_LOCK): code becomes read-only and kernel-executable, read-only
 * data read-only, every other VTL0 page loses kernel-execute, and no later
 * secure call can give it back. The only writes to locked code VTL1 still
 * allows are the ones it performs itself after checking them: a jump-label
 * site flipped between NOP and the branch its jump table names.
 * docs/kernel-integrity.md has the design and the trust model.
 *
 * State machine (kl_state, atomic): OPEN -> LOCKING -> LOCKED. Staging is
 * only allowed in OPEN, under kl_lock; SC_KERNEL_LOCK moves OPEN -> LOCKING
 * under kl_lock, after which `layout` and `sites` never change again (a
 * check that fails before anything was applied goes back to OPEN; a
 * hypervisor refusal halfway leaves LOCKING for good, with what was
 * applied kept). sites_ready (release) publishes the sites to the
 * intercept handlers of every VP, which read them without a lock.
 *
 * Locks: kl_lock alone (staging and the OPEN -> LOCKING step); the
 * protection changes take vtl0_lock (one chunk at a time, never with
 * kl_lock held). Lock order: kl_lock is never held with another. */
#include <bearssl_hash.h>
#include <string.h>
#include "arm64/sha256_ce.h"
#include "arm64/sysreg.h"
#include "kl_layout.h"
#include "sha256.h"
#include "sk.h"

#define CHUNK_PAGES 4096 /* pages per vtl0_lock section while stripping XK */
/* What VTL0 keeps of locked pages. Text: read and kernel-execute. Read-only
 * data: read, and user-execute, because Linux maps one piece of it to every
 * process as code (the vDSO's text lives in .rodata); executing it at EL0
 * gives an attacker nothing they lack, and EL1 still cannot. */
#define TEXT_MASK   (OVBS_ACC_R | OVBS_ACC_XK)
#define RODATA_MASK (OVBS_ACC_R | OVBS_ACC_XU)
#define ISS_DABT_ISV   (1u << 24)
#define ISS_DABT_SAS(e) (((e) >> 22) & 3)
#define ISS_DABT_SRT(e) (((e) >> 16) & 31)
#define TTBR1_VA_BIT   55 /* VA bit 55 selects TTBR1 (the kernel's half) */

static struct spinlock kl_lock = SPINLOCK_INIT;
static struct kl_layout layout;       /* kl_lock while OPEN; read-only after */
static struct kl_bounds bounds;       /* kl_lock; read-only after LOCKING */
static bool bounds_known;             /* kl_lock */
static struct kl_site sites[KL_MAX_JUMP_SITES]; /* the locking VP, then read-only */
static unsigned long nsites;          /* likewise */
static uint32_t kl_state = KLS_OPEN;  /* atomic */
static uint32_t sites_ready;          /* atomic: release after sites/nsites */
static uint64_t refusals, patches;    /* atomic counters */

uint32_t kl_current_state(void)
{
    return __atomic_load_n(&kl_state, __ATOMIC_ACQUIRE);
}

/* ---- The image the hypervisor measured ----------------------------------- */

/* The footprint of "vtl0-kernel" in the measurement log (Linux's Image as
 * the hypervisor loaded and hashed it): the kernel's own ranges must lie
 * in it. Without one (the VTL0 test kernel) no kernel range is accepted. */
static void find_bounds(void)
{
    struct ovbs_measurement m;
    bounds.is_vtl0_ram = vtl0_is_ram;
    for (unsigned i = 0;; i++) {
        if (hvc(OVBS_HV_MEASUREMENT, i, (uint64_t)(uintptr_t)&m, sizeof(m)).x0 != HV_STATUS_SUCCESS)
            break;
        if (!strncmp(m.name, "vtl0-kernel", sizeof(m.name))) {
            bounds.image_base = m.base;
            bounds.image_size = m.size;
        }
    }
    bounds_known = true;
}

/* ---- SC_KERNEL_LAYOUT ---------------------------------------------------- */

int sc_kernel_layout(uint64_t kind, uint64_t va, uint64_t gpa, uint64_t pages)
{
    int rc;
    sk_lock(&kl_lock);
    if (!bounds_known)
        find_bounds();
    if (__atomic_load_n(&kl_state, __ATOMIC_RELAXED) != KLS_OPEN) {
        rc = HV_STATUS_INVALID_VTL_STATE;
    } else if (kind == KL_RESET) {
        memset(&layout, 0, sizeof(layout));
        rc = HV_STATUS_SUCCESS;
    } else if (kind == KL_JUMP_TABLE) {
        rc = gpa ? HV_STATUS_INVALID_PARAMETER : kl_add_table(&layout, va, pages);
    } else {
        rc = kl_add_range(&layout, &bounds, (uint32_t)kind, va, gpa, pages);
    }
    sk_unlock(&kl_lock);
    if (rc != HV_STATUS_SUCCESS && sk_log_allowed(SK_LOG_KERNEL))
        sk_log("kernel layout: kind %lu VA 0x%lx GPA 0x%lx x%lu refused: status %d", kind, va,
               gpa, pages, rc);
    return rc;
}

/* ---- SC_KERNEL_LOCK: the checks ------------------------------------------ */

/* 8 bytes of a staged read-only range at va (8-aligned: never across a
 * page). Read straight from VTL0 RAM, which VTL1 maps at its address. */
static bool read_u64(uint64_t va, uint64_t *out)
{
    uint64_t gpa;
    if (!kl_va_to_gpa(&layout, va, false, &gpa))
        return false;
    *out = *(const volatile uint64_t *)(uintptr_t)gpa;
    return true;
}

static int collect_sites(void)
{
    unsigned long n = 0;
    for (unsigned t = 0; t < layout.ntables; t++) {
        for (uint64_t i = 0; i < layout.table[t].entries; i++) {
            uint64_t va = layout.table[t].va + i * sizeof(struct ovbs_jump_entry), w0, w1;
            if (!read_u64(va, &w0) || !read_u64(va + 8, &w1))
                return HV_STATUS_INVALID_PARAMETER;
            struct ovbs_jump_entry e = { (int32_t)(uint32_t)w0, (int32_t)(uint32_t)(w0 >> 32),
                                         (int64_t)w1 };
            int got = kl_site_of(&layout, va, &e, &sites[n]);
            if (got < 0) {
                sk_log("kernel lock: jump entry at VA 0x%lx has a target outside the text", va);
                return HV_STATUS_INVALID_PARAMETER;
            }
            n += (unsigned long)got;
        }
    }
    long sorted = kl_sort_sites(sites, n);
    if (sorted < 0) {
        sk_log("kernel lock: one jump site with two different targets");
        return HV_STATUS_INVALID_PARAMETER;
    }
    nsites = (unsigned long)sorted;
    return HV_STATUS_SUCCESS;
}

static int check_whole_layout(void)
{
    for (unsigned i = 0; i < layout.nranges; i++) {
        if (layout.range[i].kind == KL_KERNEL_TEXT)
            return collect_sites();
    }
    sk_log("kernel lock: the layout has no kernel text");
    return HV_STATUS_INVALID_PARAMETER;
}

/* ---- SC_KERNEL_LOCK: applying -------------------------------------------- */

/* Set and lock [gpa, +pages) to mask, marking kernel text: one vtl0_lock
 * section per chunk (docs/sk-smp.md bounds it). */
static int set_locked(uint64_t gpa, uint64_t pages, uint8_t mask, bool text)
{
    for (uint64_t done = 0; done < pages;) {
        uint64_t n = pages - done < CHUNK_PAGES ? pages - done : CHUNK_PAGES;
        uint64_t at = gpa + done * SK_PAGE;
        sk_lock(&vtl0_lock);
        struct hv_result r = hvc6(OVBS_MODIFY_VTL_PROTECTION_MASK, 0, at, n, mask, 0, 0);
        if (r.x0 == HV_STATUS_SUCCESS) {
            uint8_t *state = vtl0_state_span(at, n);
            for (uint64_t i = 0; i < n; i++)
                state[i] = (uint8_t)(mask | STATE_LOCKED | (text ? STATE_KTEXT : 0));
        }
        sk_unlock(&vtl0_lock);
        if (r.x0 != HV_STATUS_SUCCESS)
            return (int)r.x0;
        done += n;
    }
    return HV_STATUS_SUCCESS;
}

/* Every VTL0 page that is not locked kernel text loses XK, whatever VTL0
 * had; runs of equal state go to the hypervisor as one change. */
static int strip_chunk(uint64_t base, uint64_t pages)
{
    uint8_t *state = vtl0_state_span(base, pages);
    for (uint64_t i = 0; i < pages;) {
        uint8_t s = state[i];
        uint64_t j = i + 1;
        while (j < pages && state[j] == s)
            j++;
        if ((s & OVBS_ACC_XK) && !(s & STATE_KTEXT)) {
            uint8_t mask = (uint8_t)(s & OVBS_ACC_RWX & ~OVBS_ACC_XK);
            struct hv_result r = hvc6(OVBS_MODIFY_VTL_PROTECTION_MASK, 0, base + i * SK_PAGE,
                                      j - i, mask, 0, 0);
            if (r.x0 != HV_STATUS_SUCCESS)
                return (int)r.x0;
            for (uint64_t k = i; k < j; k++)
                state[k] = (uint8_t)(s & ~OVBS_ACC_XK);
        }
        i = j;
    }
    return HV_STATUS_SUCCESS;
}

static int strip_kernel_exec(void)
{
    uint64_t base[VTL0_MAX_RANGES], size[VTL0_MAX_RANGES];
    unsigned n = vtl0_ranges(base, size, VTL0_MAX_RANGES);
    for (unsigned r = 0; r < n; r++) {
        uint64_t pages = size[r] / SK_PAGE;
        for (uint64_t p = 0; p < pages; p += CHUNK_PAGES) {
            uint64_t c = pages - p < CHUNK_PAGES ? pages - p : CHUNK_PAGES;
            sk_lock(&vtl0_lock);
            int rc = strip_chunk(base[r] + p * SK_PAGE, c);
            sk_unlock(&vtl0_lock);
            if (rc != HV_STATUS_SUCCESS)
                return rc;
        }
    }
    return HV_STATUS_SUCCESS;
}

static void sha256_blocks_el1(uint32_t state[8], const void *data, size_t nblocks)
{
    sha256_ce_blocks(state, data, nblocks);
}

/* The locked text, range by range in staging order, into the measurement
 * log as "vtl0-ktext-lock" (read after the lock: it can no longer change). */
static int measure_text(uint64_t text_pages)
{
    struct ovbs_measurement m;
    memset(&m, 0, sizeof(m));
    memcpy(m.name, "vtl0-ktext-lock", 15);
    m.size = text_pages * SK_PAGE;
    bool ce = ID_AA64ISAR0_SHA2(READ_SYSREG(id_aa64isar0_el1)) >= 1;
    struct sha256_ctx ctx;
    br_sha256_context br;
    if (ce)
        sha256_init(&ctx, sha256_blocks_el1);
    else
        br_sha256_init(&br);
    for (unsigned i = 0; i < layout.nranges; i++) {
        const struct kl_range *r = &layout.range[i];
        if (!kl_is_text(r->kind))
            continue;
        if (!m.base)
            m.base = r->gpa;
        const void *p = (const void *)(uintptr_t)r->gpa;
        if (ce)
            sha256_update(&ctx, p, r->pages * SK_PAGE);
        else
            br_sha256_update(&br, p, r->pages * SK_PAGE);
    }
    if (ce)
        sha256_out(&ctx, m.sha256);
    else
        br_sha256_out(&br, m.sha256);
    return (int)hvc(OVBS_VTL1_ADD_MEASUREMENT, (uint64_t)(uintptr_t)&m, 0, 0).x0;
}

static int apply_layout(uint64_t *text_pages, uint64_t *ro_pages)
{
    *text_pages = *ro_pages = 0;
    /* Read-only data first (the jump tables in it stop changing), then the
     * text, from when on its patches are checked against the sites. */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < layout.nranges; i++) {
            const struct kl_range *r = &layout.range[i];
            bool text = kl_is_text(r->kind);
            if (text != (pass == 1))
                continue;
            int rc = set_locked(r->gpa, r->pages, text ? TEXT_MASK : RODATA_MASK, text);
            if (rc != HV_STATUS_SUCCESS)
                return rc;
            *(text ? text_pages : ro_pages) += r->pages;
        }
    }
    int rc = strip_kernel_exec();
    return rc != HV_STATUS_SUCCESS ? rc : measure_text(*text_pages);
}

/* VTL0's EL1 translation controls, as they are on this VP now, pinned on
 * every CPU by the hypervisor (hv/el1_pin.c), with the other page
 * directories TTBR1_EL1 may hold. */
static int pin_el1(const uint64_t pgdir[2])
{
    return (int)hvc(OVBS_VTL1_PIN_EL1, 0, pgdir[0], pgdir[1]).x0;
}

/* A page directory TTBR1_EL1 may also hold must be a page of the kernel's
 * staged read-only data: locked, so nobody can fill it with mappings. */
static bool pgdir_ok(uint64_t gpa)
{
    if (!gpa)
        return true;
    const struct kl_range *r = kl_range_at(&layout, gpa);
    return !(gpa & (SK_PAGE - 1)) && r && r->kind == KL_KERNEL_RODATA;
}

int sc_kernel_lock(uint64_t flags, const uint64_t pgdir[2], uint64_t *r1, uint64_t *r2,
                   uint64_t *r3)
{
    if (flags & ~(uint64_t)KL_LOCK_PIN_EL1)
        return HV_STATUS_INVALID_PARAMETER;
    sk_lock(&kl_lock);
    bool open = __atomic_load_n(&kl_state, __ATOMIC_RELAXED) == KLS_OPEN;
    if (open)
        __atomic_store_n(&kl_state, KLS_LOCKING, __ATOMIC_RELEASE);
    sk_unlock(&kl_lock);
    if (!open)
        return HV_STATUS_INVALID_VTL_STATE;
    /* From here the layout is this VP's alone to read: staging is closed. */
    int rc = check_whole_layout();
    if (rc == HV_STATUS_SUCCESS && (!pgdir_ok(pgdir[0]) || !pgdir_ok(pgdir[1]))) {
        sk_log("kernel lock: a TTBR1 page directory that is not locked kernel read-only data");
        rc = HV_STATUS_INVALID_PARAMETER;
    }
    if (rc != HV_STATUS_SUCCESS) {
        __atomic_store_n(&kl_state, KLS_OPEN, __ATOMIC_RELEASE); /* nothing changed */
        return rc;
    }
    __atomic_store_n(&sites_ready, 1, __ATOMIC_RELEASE);
    uint64_t text_pages, ro_pages;
    rc = apply_layout(&text_pages, &ro_pages);
    if (rc == HV_STATUS_SUCCESS && (flags & KL_LOCK_PIN_EL1))
        rc = pin_el1(pgdir);
    if (rc != HV_STATUS_SUCCESS) {
        sk_log("kernel lock failed halfway (status %d): what was applied stays, the lock "
               "cannot be retried", rc);
        return rc;
    }
    __atomic_store_n(&kl_state, KLS_LOCKED, __ATOMIC_RELEASE);
    sk_log("kernel locked: %lu text pages R+XK, %lu read-only pages, %lu jump sites, %u ranges; "
           "no other VTL0 page is kernel-executable", text_pages, ro_pages, nsites,
           layout.nranges);
    *r1 = text_pages;
    *r2 = ro_pages;
    *r3 = nsites;
    return HV_STATUS_SUCCESS;
}

int sc_kernel_status(uint64_t *r1, uint64_t *r2, uint64_t *r3)
{
    *r1 = kl_current_state();
    *r2 = __atomic_load_n(&refusals, __ATOMIC_RELAXED);
    *r3 = __atomic_load_n(&patches, __ATOMIC_RELAXED);
    return HV_STATUS_SUCCESS;
}

/* protect.c: after the lock starts, kernel-execute only where it already
 * is: on locked text. vtl0_lock held, state = the request's pages. */
bool kl_exec_allowed(const uint8_t *state, uint64_t pages)
{
    if (kl_current_state() == KLS_OPEN)
        return true;
    for (uint64_t i = 0; i < pages; i++) {
        if (!(state[i] & STATE_KTEXT))
            return false;
    }
    return true;
}

/* smp.c: PSCI CPU_ON's entry point (a physical address: VTL0 starts with
 * its MMU off) must be locked kernel text once the lock has started. A
 * refusal counts like any other. */
bool kl_start_allowed(uint64_t entry)
{
    if (kl_current_state() == KLS_OPEN)
        return true;
    if (vtl0_is_ram(entry, 4) && (vtl0_page_state(entry) & STATE_KTEXT))
        return true;
    __atomic_fetch_add(&refusals, 1, __ATOMIC_RELAXED);
    sk_event(SK_EV_KERNEL_REFUSED, entry, entry);
    return false;
}

/* ---- Intercepts ------------------------------------------------------------ */

/* Linux's aarch64_insn_write: one 32-bit STR of the new instruction through
 * the fixmap alias, at EL1. ESR_EL2 with ISV=1 gives the register (SRT; 31
 * is XZR) and the size (SAS = 2: a word); HPFAR gave the IPA, since FAR is
 * the alias. Anything else (ISV=0, another size, EL0, a site not in a jump
 * table, any other value) is not a jump-label patch. */
static bool emulate_patch(const struct ovbs_intercept_message *m)
{
    uint32_t esr = (uint32_t)m->syndrome;
    if (m->access != INTERCEPT_ACCESS_WRITE || m->from_el != 1 || !(esr & ISS_DABT_ISV) ||
        ISS_DABT_SAS(esr) != 2 || (m->gpa & 3) ||
        !__atomic_load_n(&sites_ready, __ATOMIC_ACQUIRE))
        return false;
    const struct kl_site *site = kl_find_site(sites, nsites, m->gpa);
    if (!site)
        return false;
    unsigned srt = ISS_DABT_SRT(esr);
    uint64_t value = 0;
    if (srt != 31) {
        struct hv_result r = hvc6(OVBS_GET_VP_REGISTER, m->vp_index, 0, VP_REG_X0 + srt, 0, 0, 0);
        if (r.x0 != HV_STATUS_SUCCESS)
            return false;
        value = r.x1;
    }
    uint32_t insn = (uint32_t)value;
    if (!kl_write_allowed(site, insn))
        return false;
    /* The write, then the data cache to the point of unification and the
     * instruction cache by address, so every CPU fetches the new word
     * (Linux's caches_clean_inval_pou does the same from its side). */
    volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)m->gpa;
    *p = insn;
    __asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb"
                     : : "r"(p) : "memory");
    __atomic_fetch_add(&patches, 1, __ATOMIC_RELAXED);
    sk_event(SK_EV_KERNEL_PATCHED, m->gpa, insn);
    if (sk_log_allowed(SK_LOG_KERNEL))
        sk_log("kernel patch: VP %u jump site GPA 0x%lx <- %s (0x%08x)", m->vp_index, m->gpa,
               insn == A64_NOP ? "nop" : "branch", insn);
    return true;
}

/* How a refused access reaches VTL0. An EL1 access to a kernel address
 * (TTBR1 half) becomes a permission fault: Linux then runs its exception
 * fixup (copy_to_kernel_nofault returns -EFAULT) or oopses the thread, and
 * never retries it, as no VMA covers a kernel address. From EL0, or to a
 * user address, Linux's fault handler would find the page present and
 * writable in its own tables and retry for ever: an external abort then.
 * A kernel that retried a permission fault anyway would come back to the
 * same place at once: after KL_REPEAT_LIMIT refusals in a row at one PC
 * and GPA on this VP, the external abort ends the loop. (Not on the
 * second: a fixed-up access may well be tried again on purpose.) */
#define KL_REPEAT_LIMIT 16

static uint64_t refusal_action(struct sk_cpu *cpu, const struct ovbs_intercept_message *m)
{
    if (cpu->kl_last_pc == m->pc && cpu->kl_last_gpa == m->gpa) {
        cpu->kl_repeats++;
    } else {
        cpu->kl_last_pc = m->pc;
        cpu->kl_last_gpa = m->gpa;
        cpu->kl_repeats = 0;
    }
    bool kernel_va = m->from_el == 1 && m->gva_valid && ((m->gva >> TTBR1_VA_BIT) & 1);
    if (kernel_va && cpu->kl_repeats < KL_REPEAT_LIMIT)
        return INTERCEPT_ACTION_INJECT_PERMISSION;
    return INTERCEPT_ACTION_INJECT_ABORT;
}

uint64_t kl_intercept(struct sk_cpu *cpu, const struct ovbs_intercept_message *m)
{
    if (emulate_patch(m)) {
        cpu->kl_last_pc = cpu->kl_last_gpa = cpu->kl_repeats = 0;
        return INTERCEPT_ACTION_EMULATED;
    }
    if (kl_current_state() != KLS_OPEN) {
        __atomic_fetch_add(&refusals, 1, __ATOMIC_RELAXED);
        sk_event(SK_EV_KERNEL_REFUSED, m->gpa, m->pc);
    }
    return refusal_action(cpu, m);
}
