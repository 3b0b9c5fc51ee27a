/* trustlet.c: trustlets in Isolated User Mode (EL1 of VTL1 managing EL0 of
 * VTL1). Loading (copy from VTL0 while hashing, then verify, then build a
 * fresh address space with its own ASID), running (only inside a secure call,
 * under VTL1's own timer), the IUM system calls, sessions from VTL0, and
 * killing a trustlet that misbehaves with all of its memory reclaimed.
 *
 * Instance states:  EMPTY -> (load) -> RUNNING -> PARKED (in TL_SYS_RECEIVE)
 *                   PARKED -> (invoke) -> RUNNING -> PARKED ...
 *                   RUNNING -> DEAD (exit, fault, forbidden call, timeout)
 *                   DEAD/PARKED -> (unload) -> EMPTY
 *
 * Several VPs. tl_lock guards the tables: each instance's `state` and
 * `claimed`, the sessions, `generation`, highest_loaded. An instance runs
 * on one VP at a time: a VP that loads, invokes or unloads it first claims
 * it under tl_lock, works with no lock held (the trustlet's own code, the
 * copies, the signature check, freeing its pages), then releases it under
 * tl_lock. While it is claimed only that VP touches its other fields, and
 * the others see only `claimed`: an invoke, unload, close or info that
 * finds it (or its session) in use answers HV_STATUS_BUSY at once, never
 * waits, so a call preempted on one VP blocks nothing on another. The
 * image being loaded is in the loading VP's own buffer (image_bufs).
 * Lock order: this file takes tl_lock and vtl0_lock (request_in), and
 * through the functions it calls alloc_lock, events_lock and log_lock,
 * but never one while holding another: each is held alone. */
#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_hash.h>
#include <bearssl_hmac.h>
#include <string.h>
#include "arm64/fpsimd.h"
#include "arm64/sysreg.h"
#include "fmt.h"
#include "panic.h"
#include "pgtable.h"
#include "sk.h"
#include "tl_pubkey.h"
#include "tlimage.h"

/* The trustlets this secure kernel knows. Only these IDs ever run. */
static const struct tl_known known_trustlets[] = {
    { 0x0ec40001, 2, "echo" },
    { 0x0ec40002, 1, "keyholder" },
    { 0x0ec40003, 1, "keyholder-b" }, /* the same code, a second identity */
    { 0x0ec40004, 1, "regspy-a" },    /* hostile test trustlet (register spy) */
    { 0x0ec40005, 1, "regspy-b" },    /* the same, a second instance to spy on */
};

#define NUM_KNOWN (sizeof(known_trustlets) / sizeof(known_trustlets[0]))

/* The highest version of each known ID loaded since boot. tl_verify refuses
 * versions below the compiled-in minimum; this refuses those below one that
 * already ran, so an older signed image cannot come back. Kept in VTL1
 * memory only: a reboot starts again from the minimum (persisting it needs
 * sealed storage). */
static uint32_t highest_loaded[NUM_KNOWN]; /* tl_lock */

#define MAX_INSTANCES   4
#define MAX_SESSIONS    8
#define MAX_PAGES       128 /* pages one trustlet may own, tables excluded */
#define MAX_REPLY       SC_MAX_BUFFER

enum tl_state { TL_EMPTY, TL_RUNNING, TL_PARKED, TL_DEAD };

/* state and claimed: tl_lock. The rest: the VP that claimed it while it is
 * claimed; otherwise under tl_lock (header, pt.root: fixed from the load
 * to the unload). */
struct instance {
    enum tl_state state;
    bool claimed;              /* in use on a VP (loading, invoked, unloading) */
    const struct tl_known *known;
    struct tl_header header;
    struct pgtable pt;
    unsigned asid;
    struct frame frame;        /* EL0 registers while not running */
    struct fpsimd_state fp;    /* its FP/SIMD registers while another holds them (fpu.c) */
    uint64_t tpidr_el0;        /* its thread register while it does not run */
    void *pages[MAX_PAGES];    /* every page it owns (image, stack, heap) */
    unsigned npages;
    uint64_t heap_used;        /* bitmap of TL_VA_HEAP pages (quota <= 64) */
    bool replied;
    uint64_t reply_status, reply_len;
};

struct session { /* tl_lock */
    bool open;
    bool in_use;               /* an invoke through it runs (or is preempted) */
    unsigned instance;
    unsigned generation;
};

/* The shared runtime: one physical copy, mapped read-only into every
 * trustlet at its link address (TL_VA_RUNTIME). */
#define MAX_RUNTIME_PAGES 16
struct runtime_page {
    uint64_t va;
    void *page;
    unsigned prot;
};
static struct runtime_page runtime[MAX_RUNTIME_PAGES];
static unsigned runtime_pages;
extern const uint8_t tl_runtime_start[], tl_runtime_end[];

static struct spinlock tl_lock = SPINLOCK_INIT;
static struct instance instances[MAX_INSTANCES];

/* TL_RUN_BUDGET_MS in ticks of the virtual counter (CNTFRQ_EL0 per
 * second), computed once at boot (trustlets_init) off the call path.
 * Written before VTL0 runs, read-only afterwards. */
static uint64_t run_budget_ticks;
static struct session sessions[MAX_SESSIONS];
static unsigned generation;
static uint8_t seal_secret[32]; /* read-only after boot */
/* The image each VP loads, copied and verified there with no lock held:
 * per VP (entry i: VP i). Written before it is read, so it is not in .bss
 * (sk.ld: .noinit), which the boot VP would otherwise zero (1 MiB). */
static uint8_t image_bufs[SK_MAX_VPS][TL_HEADER_SIZE + TL_MAX_IMAGE]
    __attribute__((aligned(16), section(".bss.noinit")));
_Static_assert(MAX_REPLY <= sizeof(((struct sk_cpu *)0)->reply_buf), "reply buffer");

/* ---- Memory of one trustlet --------------------------------------------- */

static void *own_page(struct instance *t)
{
    if (t->npages == MAX_PAGES)
        return NULL;
    void *p = page_alloc();
    if (p)
        t->pages[t->npages++] = p;
    return p;
}

static bool map_user(struct instance *t, uint64_t va, void *page, unsigned prot)
{
    return pt_map(&t->pt, va, (uint64_t)(uintptr_t)page, SK_PAGE,
                  prot | PT_USER | PT_NG) == PT_OK;
}

/* Reclaim everything: pages, tables, and the ASID's TLB entries. */
static void destroy(struct instance *t)
{
    fp_forget(&t->fp);
    for (unsigned i = 0; i < t->npages; i++) {
        memset(t->pages[i], 0, SK_PAGE); /* nothing of it outlives it */
        page_free(t->pages[i]);
    }
    t->npages = 0;
    if (t->pt.root)
        pt_destroy(&t->pt);
    __asm__ volatile("dsb ishst\n tlbi aside1is, %0\n dsb ish\n isb"
                     : : "r"((uint64_t)t->asid << 48) : "memory");
}

/* A user range, page by page: mapped for EL0, writable if asked. Returns
 * the kernel address of the byte at `va`, or NULL. */
static uint8_t *user_page(struct instance *t, uint64_t va, bool write)
{
    uint64_t pa;
    unsigned prot;
    if (!pt_lookup(&t->pt, va, &pa, &prot, NULL))
        return NULL;
    if (!(prot & PT_USER) || (write && !(prot & PT_W)))
        return NULL;
    return (uint8_t *)(uintptr_t)pa;
}

static bool user_copy(struct instance *t, uint64_t va, void *kbuf, uint64_t len, bool to_user)
{
    if (va + len < va || va + len > TL_VA_STACK_TOP)
        return false;
    uint8_t *k = kbuf;
    while (len) {
        uint8_t *p = user_page(t, va, to_user);
        if (!p)
            return false;
        uint64_t chunk = SK_PAGE - (va & (SK_PAGE - 1));
        if (chunk > len)
            chunk = len;
        if (to_user)
            memcpy(p, k, chunk);
        else
            memcpy(k, p, chunk);
        va += chunk;
        k += chunk;
        len -= chunk;
    }
    return true;
}

/* ---- Loading ------------------------------------------------------------- */

static int map_segments(struct instance *t, const struct tl_verified *v)
{
    for (unsigned i = 0; i < runtime_pages; i++) {
        if (!map_user(t, runtime[i].va, runtime[i].page, runtime[i].prot))
            return TL_ST_NO_MEMORY;
    }
    for (unsigned i = 0; i < v->elf.nseg; i++) {
        const struct elf_segment *s = &v->elf.seg[i];
        unsigned prot = PT_R | ((s->flags & ELF_SEG_W) ? PT_W : 0) |
                        ((s->flags & ELF_SEG_X) ? PT_XU : 0);
        uint64_t start = s->addr & ~(SK_PAGE - 1);
        for (uint64_t va = start; va < s->addr + s->memsz; va += SK_PAGE) {
            uint8_t *page = own_page(t);
            if (!page)
                return TL_ST_NO_MEMORY;
            /* The part of the file that lands on this page. */
            uint64_t lo = va > s->addr ? va : s->addr;
            uint64_t hi = va + SK_PAGE < s->addr + s->filesz ? va + SK_PAGE : s->addr + s->filesz;
            if (hi > lo)
                memcpy(page + (lo - va), v->elf_bytes + s->offset + (lo - s->addr), hi - lo);
            if (!map_user(t, va, page, prot))
                return TL_ST_NO_MEMORY;
        }
    }
    /* Stack below TL_VA_STACK_TOP; the page under it stays unmapped. */
    for (unsigned i = 1; i <= TL_STACK_PAGES; i++) {
        void *page = own_page(t);
        if (!page || !map_user(t, TL_VA_STACK_TOP - i * SK_PAGE, page, PT_R | PT_W))
            return TL_ST_NO_MEMORY;
    }
    dsb_ish();
    /* Its code may run on any VP: every PE's instruction cache. */
    __asm__ volatile("ic ialluis\n dsb ish\n isb" ::: "memory");
    return 0;
}

static long run(struct instance *t);

/* Copy the image out of VTL0 page by page, hashing the ELF part of what
 * was copied (never VTL0's memory itself), then verify the copy. */
static int copy_and_hash(uint8_t *image_buf, uint64_t gpa, uint64_t size, uint8_t sha[32])
{
    br_sha256_context ctx;
    br_sha256_init(&ctx);
    for (uint64_t off = 0; off < size;) {
        uint64_t chunk = SC_MAX_BUFFER - ((gpa + off) & (SC_MAX_BUFFER - 1));
        if (chunk > size - off)
            chunk = size - off;
        if (vtl0_copy_in(gpa + off, image_buf + off, chunk) != HV_STATUS_SUCCESS)
            return TL_ST_BUFFER;
        uint64_t elf_from = off > TL_HEADER_SIZE ? off : TL_HEADER_SIZE;
        if (off + chunk > elf_from)
            br_sha256_update(&ctx, image_buf + elf_from, off + chunk - elf_from);
        off += chunk;
    }
    br_sha256_out(&ctx, sha);
    return 0;
}

/* Older than a version that already ran? tl_lock held. */
static bool rollback(const struct tl_verified *v)
{
    return v->header.version < highest_loaded[v->known - known_trustlets];
}

/* Copy the image into this VP's buffer and check everything about it, with
 * no lock held (the signature check is millions of instructions): 0 or a
 * TL_ST_* status. */
static int check_image(uint64_t gpa, uint64_t size, struct tl_verified *v)
{
    uint8_t *image_buf = image_bufs[this_cpu()->index];
    const uint64_t max = sizeof(image_bufs[0]);
    uint8_t sha[32];
    if (size < TL_HEADER_SIZE)
        return TL_ST_BAD_HEADER;
    if (size > max)
        return TL_ST_TOO_LARGE;
    int rc = copy_and_hash(image_buf, gpa, size, sha);
    if (!rc)
        rc = tl_verify(image_buf, size, sha, known_trustlets, NUM_KNOWN, tl_signing_key, v);
    if (!rc) {
        sk_lock(&tl_lock);
        if (rollback(v))
            rc = TL_ST_ROLLBACK;
        sk_unlock(&tl_lock);
    }
    return rc;
}

/* An empty slot, claimed for a load and cleared (only `claimed` is set),
 * or NULL if all are in use. */
static struct instance *claim_empty_slot(void)
{
    struct instance *t = NULL;
    sk_lock(&tl_lock);
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        if (!instances[i].claimed && instances[i].state == TL_EMPTY) {
            t = &instances[i];
            t->claimed = true;
            break;
        }
    }
    sk_unlock(&tl_lock);
    return t;
}

/* A claimed instance is released in `state`. */
static void release(struct instance *t, enum tl_state state)
{
    sk_lock(&tl_lock);
    t->state = state;
    t->claimed = false;
    sk_unlock(&tl_lock);
}

/* A load's last step, under tl_lock: its rollback check again (another VP
 * may have installed a newer version meanwhile), then it is in. */
static bool install(struct instance *t)
{
    sk_lock(&tl_lock);
    struct tl_verified v = { .header = t->header, .known = t->known };
    bool ok = !rollback(&v);
    if (ok) {
        uint32_t *highest = &highest_loaded[t->known - known_trustlets];
        if (t->header.version > *highest)
            *highest = t->header.version;
        t->state = TL_PARKED;
        t->claimed = false;
    }
    sk_unlock(&tl_lock);
    return ok;
}

int sc_tl_load(uint64_t gpa, uint64_t size, uint64_t *handle)
{
    struct tl_verified v;
    int rc = check_image(gpa, size, &v);
    if (rc) {
        sk_event(SK_EV_TL_REFUSED, (uint64_t)rc, size);
        if (sk_log_allowed(SK_LOG_TL_LOAD))
            sk_log("trustlet image refused: %s", tl_status_name(rc));
        return rc;
    }
    struct instance *t = claim_empty_slot();
    if (!t)
        return TL_ST_BUSY;
    unsigned slot = (unsigned)(t - instances);
    /* Claimed: this VP alone touches it until release() or install(). */
    memset(&t->known, 0, sizeof(*t) - __builtin_offsetof(struct instance, known));
    t->asid = slot + 1;
    t->known = v.known;
    t->header = v.header;
    if (sk_address_space_init(&t->pt)) {
        t->pt.root = NULL;
        release(t, TL_EMPTY);
        return TL_ST_NO_MEMORY;
    }
    rc = map_segments(t, &v);
    if (rc) {
        destroy(t);
        release(t, TL_EMPTY);
        return rc;
    }
    /* x0 at entry: this trustlet's own stack-protector canary (crt0.S). */
    if (!sk_random_bytes(&t->frame.x[0], sizeof(t->frame.x[0]))) {
        destroy(t);
        release(t, TL_EMPTY);
        return TL_ST_NO_MEMORY;
    }
    t->frame.elr = v.elf.entry;
    t->frame.spsr = 0; /* EL0t, interrupts unmasked */
    t->frame.sp_el0 = TL_VA_STACK_TOP;
    t->state = TL_RUNNING;
    unsigned live = 1; /* this one, and the others that are loaded and alive */
    sk_lock(&tl_lock);
    for (unsigned i = 0; i < MAX_INSTANCES; i++)
        live += &instances[i] != t && instances[i].state != TL_EMPTY &&
                instances[i].state != TL_DEAD;
    sk_unlock(&tl_lock);
    if (sk_log_allowed(SK_LOG_TL_LOAD))
        sk_log("trustlet %s v%u loaded: ASID %u, %u pages of its own, %u runtime pages shared "
               "(%u pages saved across %u trustlets)", t->known->name, t->header.version,
               t->asid, t->npages, runtime_pages, runtime_pages * (live - 1), live);
    /* Let it initialise until it first waits for a request. */
    if (run(t) != TL_PARKED) {
        release(t, TL_EMPTY);
        return TL_ST_DEAD;
    }
    if (!install(t)) {
        destroy(t);
        release(t, TL_EMPTY);
        sk_event(SK_EV_TL_REFUSED, TL_ST_ROLLBACK, size);
        return TL_ST_ROLLBACK;
    }
    *handle = slot + 1;
    return HV_STATUS_SUCCESS;
}

/* ---- Running --------------------------------------------------------------- */

/* On the VP that claimed it: its memory goes now, the caller releases it
 * as DEAD. */
static void kill(struct instance *t, const char *why)
{
    sk_event(SK_EV_TL_KILLED, t->known->id, t->frame.elr);
    if (sk_log_allowed(SK_LOG_TL_KILL))
        sk_log("trustlet %s killed: %s (PC 0x%lx)", t->known->name, why, t->frame.elr);
    destroy(t);
}

/* Run the trustlet until it parks in TL_SYS_RECEIVE or dies. VTL1's timer
 * bounds the run; the exception handlers below come back through
 * sk_el0_return, with every interrupt masked as exception entry left them:
 * the caller's DAIF is put back explicitly.
 *
 * Per-instance EL0 state besides the register frame: TPIDR_EL0 (which EL0
 * can write: a channel between trustlets if it stayed) is loaded here and
 * saved after the run (each run loads its own, so none needs clearing); TPIDRRO_EL0, which EL0 cannot write,
 * is 0 on every VP of VTL1 (trustlets_cpu_init); FP/SIMD follow lazily
 * (fpu.c) within the run and are back in the instance after it, as its next
 * run may be on another VP. The caller claimed t, and holds no lock. */
static long run(struct instance *t)
{
    struct sk_cpu *cpu = this_cpu();
    uint64_t daif = READ_SYSREG(daif);
    cpu->running = t;
    sk_address_space_switch(&t->pt, t->asid);
    WRITE_SYSREG(tpidr_el0, t->tpidr_el0);
    fp_return_to_trustlet(&t->fp);
    cpu->budget_start = READ_SYSREG(cntvct_el0);
    cpu->budget_paused = cpu->assist.preempted_ticks;
    timer_arm(run_budget_ticks);
    long r = sk_enter_el0(&t->frame);
    WRITE_SYSREG(cntv_ctl_el0, 0);
    t->tpidr_el0 = READ_SYSREG(tpidr_el0);
    fp_release(&t->fp);
    sk_address_space_switch(NULL, 0);
    cpu->running = NULL;
    WRITE_SYSREG(daif, daif);
    return r;
}

static _Noreturn void park(struct instance *t, const struct frame *f)
{
    t->frame = *f;
    t->frame.sp_el0 = READ_SYSREG(sp_el0);
    sk_el0_return(TL_PARKED);
}

static _Noreturn void die(struct instance *t, const struct frame *f, const char *why)
{
    t->frame = *f;
    kill(t, why);
    sk_el0_return(TL_DEAD);
}

/* ---- System calls ----------------------------------------------------------- */

static int64_t sys_log(struct instance *t, uint64_t va, uint64_t len)
{
    char buf[201];
    if (len > 200 || !user_copy(t, va, buf, len, false))
        return -TL_EINVAL;
    for (uint64_t i = 0; i < len; i++) {
        if (buf[i] < 0x20 || buf[i] > 0x7e)
            buf[i] = '?';
    }
    buf[len] = '\0';
    if (sk_log_allowed(SK_LOG_TL_LOG))
        sk_log("[%s] %s", t->known->name, buf);
    return 0;
}

static int64_t sys_reply(struct instance *t, uint64_t va, uint64_t len, uint64_t status)
{
    if (len > MAX_REPLY || !user_copy(t, va, this_cpu()->reply_buf, len, false))
        return -TL_EINVAL;
    t->replied = true;
    t->reply_len = len;
    t->reply_status = status;
    return 0;
}

/* RNDR (ID_AA64ISAR0_EL1.RNDR): Z set means no entropy this time. */
bool sk_random_bytes(void *dst, uint64_t len)
{
    if (((READ_SYSREG(id_aa64isar0_el1) >> 60) & 0xf) == 0)
        return false; /* no FEAT_RNG: RNDR would be undefined */
    for (uint64_t i = 0; i < len; i += 8) {
        uint64_t v, fail = 1;
        for (int tries = 0; tries < 16 && fail; tries++)
            __asm__ volatile("mrs %0, s3_3_c2_c4_0\n cset %1, eq" : "=r"(v), "=r"(fail));
        if (fail)
            return false;
        uint64_t n = len - i < 8 ? len - i : 8;
        memcpy((uint8_t *)dst + i, &v, n);
    }
    return true;
}

static int64_t sys_random(struct instance *t, uint64_t va, uint64_t len)
{
    uint8_t buf[256];
    if (len > sizeof(buf) || !sk_random_bytes(buf, len) || !user_copy(t, va, buf, len, true))
        return -TL_EINVAL;
    return 0;
}

/* Sealing: ChaCha20-Poly1305 with a key bound to the trustlet's ID and a
 * secret only this secure kernel holds (drawn at boot: sealed data does not
 * survive a reboot until the platform offers a persistent device secret).
 * Format: nonce (12) || tag (16) || ciphertext. */
#define SEAL_OVERHEAD 28
#define SEAL_MAX      1024

static void seal_key(const struct instance *t, uint8_t key[32])
{
    br_hmac_key_context kc;
    br_hmac_context hc;
    br_hmac_key_init(&kc, &br_sha256_vtable, seal_secret, sizeof(seal_secret));
    br_hmac_init(&hc, &kc, 0);
    br_hmac_update(&hc, "openvbs-seal", 12);
    br_hmac_update(&hc, &t->header.trustlet_id, sizeof(t->header.trustlet_id));
    br_hmac_out(&hc, key);
}

_Static_assert(SEAL_MAX + SEAL_OVERHEAD == SK_SEAL_BUFFER, "SK_SEAL_BUFFER");

/* in and out are this VP's (struct sk_cpu). */
static int64_t sys_seal(struct instance *t, const uint64_t *a, bool seal)
{
    uint8_t *in = this_cpu()->seal_in, *out = this_cpu()->seal_out;
    uint64_t len = a[1], max = a[3];
    if (len > SK_SEAL_BUFFER || !user_copy(t, a[0], in, len, false))
        return -TL_EINVAL;
    uint8_t key[32];
    seal_key(t, key);
    uint64_t n;
    if (seal) {
        if (len > SEAL_MAX || !sk_random_bytes(out, 12))
            return -TL_EINVAL;
        memcpy(out + SEAL_OVERHEAD, in, len);
        br_poly1305_ctmul_run(key, out, out + SEAL_OVERHEAD, len, &t->header.trustlet_id, 8,
                              out + 12, br_chacha20_ct_run, 1);
        n = len + SEAL_OVERHEAD;
    } else {
        if (len < SEAL_OVERHEAD)
            return -TL_EINVAL;
        uint8_t tag[16];
        n = len - SEAL_OVERHEAD;
        memcpy(out, in + SEAL_OVERHEAD, n);
        br_poly1305_ctmul_run(key, in, out, n, &t->header.trustlet_id, 8, tag,
                              br_chacha20_ct_run, 0);
        uint8_t diff = 0;
        for (int i = 0; i < 16; i++)
            diff |= tag[i] ^ in[12 + i];
        if (diff) {
            memset(out, 0, n);
            return -TL_EAUTH;
        }
    }
    memset(key, 0, sizeof(key));
    if (n > max || !user_copy(t, a[2], out, n, true))
        return -TL_EINVAL;
    return (int64_t)n;
}

static int64_t sys_report(struct instance *t, uint64_t va, uint64_t max)
{
    struct tl_report r = { 0 };
    struct ovbs_measurement m;
    r.trustlet_id = t->header.trustlet_id;
    r.version = t->header.version;
    memcpy(r.image_sha256, t->header.image_sha256, 32);
    if (hvc(OVBS_HV_MEASUREMENT, 0, (uint64_t)(uintptr_t)&m, sizeof(m)).x0 == HV_STATUS_SUCCESS)
        memcpy(r.sk_sha256, m.sha256, 32);
    if (max < sizeof(r) || !user_copy(t, va, &r, sizeof(r), true))
        return -TL_EINVAL;
    return sizeof(r);
}

/* Heap pages at TL_VA_HEAP + i pages, i < quota (at most 64). */
static int64_t sys_alloc(struct instance *t, uint64_t pages)
{
    uint64_t quota = t->header.quota_pages < 64 ? t->header.quota_pages : 64;
    if (pages == 0 || pages > quota)
        return -TL_EINVAL;
    uint64_t want = pages == 64 ? ~0ull : (1ull << pages) - 1;
    for (uint64_t i = 0; i + pages <= quota; i++) {
        if (t->heap_used & (want << i))
            continue;
        for (uint64_t p = 0; p < pages; p++) {
            void *page = own_page(t);
            if (!page || !map_user(t, TL_VA_HEAP + (i + p) * SK_PAGE, page, PT_R | PT_W))
                return -TL_ENOMEM;
            t->heap_used |= 1ull << (i + p);
        }
        return (int64_t)(TL_VA_HEAP + i * SK_PAGE);
    }
    return -TL_ENOMEM;
}

static int64_t sys_free(struct instance *t, uint64_t va, uint64_t pages)
{
    if (va < TL_VA_HEAP || (va & (SK_PAGE - 1)) || pages == 0 || pages > 64)
        return -TL_EINVAL;
    uint64_t first = (va - TL_VA_HEAP) / SK_PAGE;
    if (first >= 64 || first + pages > 64)
        return -TL_EINVAL;
    for (uint64_t p = first; p < first + pages; p++) {
        if (!(t->heap_used & (1ull << p)))
            return -TL_EINVAL;
    }
    for (uint64_t p = first; p < first + pages; p++) {
        uint8_t *page = user_page(t, TL_VA_HEAP + p * SK_PAGE, true);
        pt_unmap(&t->pt, TL_VA_HEAP + p * SK_PAGE, SK_PAGE);
        __asm__ volatile("dsb ishst\n tlbi vae1is, %0\n dsb ish"
                         : : "r"(((TL_VA_HEAP + p * SK_PAGE) >> 12) | ((uint64_t)t->asid << 48))
                         : "memory");
        for (unsigned i = 0; i < t->npages; i++) {
            if (t->pages[i] == page) {
                memset(page, 0, SK_PAGE);
                page_free(page);
                t->pages[i] = t->pages[--t->npages];
                break;
            }
        }
        t->heap_used &= ~(1ull << p);
    }
    return 0;
}

static const char *const sys_names[TL_SYS_COUNT] = {
    "exit", "log", "receive", "reply", "random", "seal", "unseal", "report", "alloc", "free",
};

static void syscall(struct instance *t, struct frame *f)
{
    uint64_t num = f->x[8];
    char why[64];
    if (num >= TL_SYS_COUNT) {
        fmt_snprintf(why, sizeof(why), "unknown system call %lu", num);
        die(t, f, why);
    }
    if (!(t->header.policy & TL_POLICY(num))) {
        fmt_snprintf(why, sizeof(why), "system call %s not in its policy", sys_names[num]);
        die(t, f, why);
    }
    int64_t r = 0;
    switch (num) {
    case TL_SYS_EXIT: die(t, f, "exited");
    case TL_SYS_LOG: r = sys_log(t, f->x[0], f->x[1]); break;
    case TL_SYS_RECEIVE:
        if (f->x[1] > MAX_REPLY || f->x[0] + f->x[1] < f->x[0] ||
            (f->x[1] && (!user_page(t, f->x[0], true) ||
                         !user_page(t, f->x[0] + f->x[1] - 1, true))))
            die(t, f, "receive buffer is not its writable memory");
        park(t, f);
    case TL_SYS_REPLY: r = sys_reply(t, f->x[0], f->x[1], f->x[2]); break;
    case TL_SYS_RANDOM: r = sys_random(t, f->x[0], f->x[1]); break;
    case TL_SYS_SEAL: r = sys_seal(t, f->x, true); break;
    case TL_SYS_UNSEAL: r = sys_seal(t, f->x, false); break;
    case TL_SYS_REPORT: r = sys_report(t, f->x[0], f->x[1]); break;
    case TL_SYS_ALLOC: r = sys_alloc(t, f->x[0]); break;
    case TL_SYS_FREE: r = sys_free(t, f->x[0], f->x[1]); break;
    }
    f->x[0] = (uint64_t)r;
}

/* An exception from EL0 that kills the trustlet. */
static _Noreturn void fault(struct instance *t, struct frame *f, unsigned ec)
{
    char why[96];
    if (ec == EC_DABT_LOWER || ec == EC_IABT_LOWER)
        fmt_snprintf(why, sizeof(why), "%s at FAR 0x%lx", esr_class_name(ec), f->far);
    else
        fmt_snprintf(why, sizeof(why), "%s", esr_class_name(ec));
    die(t, f, why);
}

/* The run's budget timer fired: run_budget_ticks of this VP's time since the run
 * began, less the time the call spent preempted for VTL0 (the hypervisor
 * adds that to assist.preempted_ticks when it resumes the call), which VTL0
 * decides and must not be able to spend for the trustlet. If some budget
 * is left, the timer is armed for it and the trustlet runs on. */
static bool budget_left(void)
{
    struct sk_cpu *cpu = this_cpu();
    uint64_t elapsed = READ_SYSREG(cntvct_el0) - cpu->budget_start;
    uint64_t paused = cpu->assist.preempted_ticks - cpu->budget_paused;
    uint64_t used = elapsed > paused ? elapsed - paused : 0;
    if (used >= run_budget_ticks)
        return false;
    timer_arm(run_budget_ticks - used);
    return true;
}

/* Exceptions from EL0 (kind: 16 synchronous, 17 IRQ, 19 SError). Those the
 * trustlet survives return to it through the vector's ERET. */
void tl_exception(struct frame *f, unsigned kind)
{
    struct instance *t = this_cpu()->running;
    if (!t)
        panic("exception from EL0 with no trustlet running");
    fp_enter_kernel();
    unsigned ec = ESR_EC(f->esr);
    if (kind == 17) {
        irq_handle(f);
        if (!(READ_SYSREG(cntv_ctl_el0) & 1) && !budget_left()) /* our budget timer fired */
            die(t, f, "ran past its time budget");
    } else if (kind == 16 && ec == EC_SVC64) {
        syscall(t, f);
    } else if (kind == 16 && ec == EC_FP_SIMD) {
        fp_trustlet_trap(&t->fp); /* the instruction runs again */
    } else {
        fault(t, f, ec);
    }
    fp_return_to_trustlet(&t->fp);
}

/* ---- Secure calls from VTL0 ------------------------------------------------ */

/* Load the runtime once: read-only segments only, inside its window. */
static void load_runtime(void)
{
    struct elf_image img;
    size_t size = (size_t)(tl_runtime_end - tl_runtime_start);
    if (elf_check(tl_runtime_start, size, &img) != ELF_OK)
        panic("the trustlet runtime is not a valid ELF");
    for (unsigned i = 0; i < img.nseg; i++) {
        const struct elf_segment *s = &img.seg[i];
        if ((s->flags & ELF_SEG_W) || s->addr < TL_VA_RUNTIME ||
            s->addr + s->memsz > TL_VA_IMAGE_MIN)
            panic("the trustlet runtime has a writable or misplaced segment");
        unsigned prot = PT_R | ((s->flags & ELF_SEG_X) ? PT_XU : 0);
        for (uint64_t va = s->addr & ~(SK_PAGE - 1); va < s->addr + s->memsz; va += SK_PAGE) {
            uint8_t *page = page_alloc();
            if (!page || runtime_pages == MAX_RUNTIME_PAGES)
                panic("no memory for the trustlet runtime");
            uint64_t lo = va > s->addr ? va : s->addr;
            uint64_t hi = va + SK_PAGE < s->addr + s->filesz ? va + SK_PAGE : s->addr + s->filesz;
            if (hi > lo)
                memcpy(page + (lo - va), tl_runtime_start + s->offset + (lo - s->addr), hi - lo);
            runtime[runtime_pages++] = (struct runtime_page){ va, page, prot };
        }
    }
    sk_log("trustlet runtime: %u read-only pages, shared by every trustlet", runtime_pages);
}

void trustlets_init(void)
{
    run_budget_ticks = READ_SYSREG(cntfrq_el0) * TL_RUN_BUDGET_MS / 1000;
    if (!sk_random_bytes(seal_secret, sizeof(seal_secret)))
        panic("no entropy for the sealing secret");
    load_runtime();
}

/* On every entry of every VP: each VP has its own EL0 registers. What a
 * trustlet may not reach is set here explicitly rather than trusted to be
 * each VP's reset value: CNTKCTL_EL1 = 0, no counter or timer at EL0. */
void trustlets_cpu_init(void)
{
    WRITE_SYSREG(tpidr_el0, 0);   /* what a trustlet finds in its thread */
    WRITE_SYSREG(tpidrro_el0, 0); /* registers, besides its own TPIDR_EL0 */
    WRITE_SYSREG(cntkctl_el1, 0);
    isb();
}

/* tl_lock held: the loaded instance `handle` names, or NULL (*rc says why:
 * no such instance, or in use on a VP). */
static struct instance *instance_of(uint64_t handle, int *rc)
{
    *rc = TL_ST_NO_SUCH;
    if (handle == 0 || handle > MAX_INSTANCES)
        return NULL;
    struct instance *t = &instances[handle - 1];
    if (t->claimed) {
        *rc = HV_STATUS_BUSY;
        return NULL;
    }
    return t->state == TL_EMPTY ? NULL : t;
}

/* Claimed for the unload, EMPTY already (no new session can name it) and
 * with its sessions closed, under tl_lock; its memory is freed with no
 * lock held, and only then may a load take the slot. */
int sc_tl_unload(uint64_t handle)
{
    int rc;
    bool dead = false;
    sk_lock(&tl_lock);
    struct instance *t = instance_of(handle, &rc);
    if (t) {
        dead = t->state == TL_DEAD;
        t->state = TL_EMPTY;
        t->claimed = true;
        for (unsigned i = 0; i < MAX_SESSIONS; i++) {
            if (sessions[i].open && sessions[i].instance == handle - 1)
                sessions[i].open = false;
        }
    }
    sk_unlock(&tl_lock);
    if (!t)
        return rc;
    if (!dead)
        destroy(t);
    if (sk_log_allowed(SK_LOG_TL_LOAD))
        sk_log("trustlet %s unloaded, %lu pages of VTL1 memory free", t->known->name, pages_free());
    release(t, TL_EMPTY);
    return HV_STATUS_SUCCESS;
}

/* An instance in use on another VP can get sessions: it is loaded and
 * alive (its state says so while it is claimed by an invoke). */
int sc_tl_open(uint64_t id, uint64_t *session)
{
    unsigned inst = MAX_INSTANCES;
    bool dead = false;
    int rc = TL_ST_BUSY;
    sk_lock(&tl_lock);
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        const struct instance *t = &instances[i];
        /* EMPTY: free, or being loaded or unloaded (its header is not
         * fixed); otherwise the header is, while the state is tl_lock's. */
        if (t->state == TL_EMPTY || t->header.trustlet_id != id)
            continue;
        if (t->state == TL_PARKED || t->state == TL_RUNNING)
            inst = i;
        dead |= t->state == TL_DEAD;
    }
    if (inst == MAX_INSTANCES)
        rc = dead ? TL_ST_DEAD : TL_ST_NO_SUCH;
    for (unsigned i = 0; inst < MAX_INSTANCES && i < MAX_SESSIONS; i++) {
        if (sessions[i].open)
            continue;
        generation = (generation + 1) & 0xffff;
        sessions[i] = (struct session){ true, false, inst, generation };
        *session = (i + 1) | ((uint64_t)generation << 16);
        rc = HV_STATUS_SUCCESS;
        break;
    }
    sk_unlock(&tl_lock);
    return rc;
}

/* tl_lock held. */
static struct session *session_of(uint64_t handle)
{
    uint64_t i = (handle & 0xffff) - 1;
    if (i >= MAX_SESSIONS || !sessions[i].open || sessions[i].generation != handle >> 16)
        return NULL;
    return &sessions[i];
}

int sc_tl_close(uint64_t handle)
{
    int rc = HV_STATUS_SUCCESS;
    sk_lock(&tl_lock);
    struct session *s = session_of(handle);
    if (!s)
        rc = TL_ST_NO_SUCH;
    else if (s->in_use)
        rc = HV_STATUS_BUSY; /* an invoke through it runs on a VP */
    else
        s->open = false;
    sk_unlock(&tl_lock);
    return rc;
}

/* Claim the session's instance for an invoke, under tl_lock: NULL and *rc
 * if it cannot be (HV_STATUS_BUSY if in use on any VP, this one included:
 * a call preempted here and another one issued meanwhile). */
static struct instance *claim_for_invoke(uint64_t handle, struct session **sp, int *rc)
{
    struct instance *t = NULL;
    sk_lock(&tl_lock);
    struct session *s = session_of(handle);
    *rc = TL_ST_NO_SUCH;
    if (s) {
        struct instance *i = &instances[s->instance];
        if (i->claimed || s->in_use)
            *rc = HV_STATUS_BUSY;
        else if (i->state == TL_DEAD)
            *rc = TL_ST_DEAD;
        else if (i->state != TL_PARKED)
            *rc = TL_ST_BUSY;
        else
            t = i;
    }
    if (t) {
        t->claimed = true;
        t->state = TL_RUNNING;
        s->in_use = true;
        *sp = s;
    }
    sk_unlock(&tl_lock);
    return t;
}

static int invoke(struct instance *t, const uint64_t *a, uint64_t *status, uint64_t *written);

int sc_tl_invoke(const uint64_t *a, uint64_t *status, uint64_t *written)
{
    struct session *s;
    int rc;
    struct instance *t = claim_for_invoke(a[0], &s, &rc);
    if (!t)
        return rc;
    rc = invoke(t, a, status, written);
    sk_lock(&tl_lock);
    s->in_use = false;
    t->state = rc == TL_ST_DEAD ? TL_DEAD : TL_PARKED;
    t->claimed = false;
    sk_unlock(&tl_lock);
    return rc;
}

/* The request, the reply's descriptor, and whether the reply's buffer is
 * writable, in one vtl0_lock section (at most SC_MAX_BUFFER + 16 bytes
 * copied): 0 or a TL_ST_* status. */
static int request_in(const uint64_t *a, uint8_t *in, struct tl_out *out)
{
    uint64_t in_gpa = a[2], in_len = a[3];
    if (in_len > SC_MAX_BUFFER)
        return TL_ST_TOO_LARGE;
    if ((in_len && vtl0_copy_in_held(in_gpa, in, in_len) != HV_STATUS_SUCCESS) ||
        vtl0_copy_in_held(a[4], out, sizeof(*out)) != HV_STATUS_SUCCESS)
        return TL_ST_BUFFER;
    if (out->max > SC_MAX_BUFFER)
        return TL_ST_TOO_LARGE;
    /* Check where the reply goes before the trustlet acts on the request. */
    if (out->max && vtl0_check_writable_held(out->buf, out->max) != HV_STATUS_SUCCESS)
        return TL_ST_BUFFER;
    return 0;
}

/* The invoke proper, on the VP that claimed t, with no lock held: every
 * status but TL_ST_DEAD leaves it parked. */
static int invoke(struct instance *t, const uint64_t *a, uint64_t *status, uint64_t *written)
{
    uint8_t *in = this_cpu()->invoke_in;
    struct tl_out out;
    uint64_t cmd = a[1], in_len = a[3];
    sk_lock(&vtl0_lock);
    int rc = request_in(a, in, &out);
    sk_unlock(&vtl0_lock);
    if (rc)
        return rc;
    if (in_len > t->frame.x[1])
        return TL_ST_TOO_LARGE; /* more than the trustlet is ready to take */
    if (!user_copy(t, t->frame.x[0], in, in_len, true)) {
        kill(t, "its receive buffer went away");
        return TL_ST_DEAD;
    }
    t->frame.x[0] = in_len;
    t->frame.x[1] = cmd;
    t->replied = false;
    t->state = TL_RUNNING;
    if (run(t) != TL_PARKED)
        return TL_ST_DEAD;
    uint64_t n = t->replied ? t->reply_len : 0;
    if (n > out.max)
        return TL_ST_TOO_LARGE;
    if (n && vtl0_copy_out(out.buf, this_cpu()->reply_buf, n) != HV_STATUS_SUCCESS)
        return TL_ST_BUFFER;
    *status = t->replied ? t->reply_status : 0;
    *written = n;
    return HV_STATUS_SUCCESS;
}

int sc_tl_info(uint64_t handle, uint64_t *state, uint64_t *pages, uint64_t *shared)
{
    *shared = runtime_pages;
    if (handle == 0) { /* the secure kernel itself: free VTL1 pages */
        *state = 0;
        *pages = pages_free();
        return HV_STATUS_SUCCESS;
    }
    int rc;
    sk_lock(&tl_lock);
    struct instance *t = instance_of(handle, &rc); /* not while claimed: BUSY */
    if (t) {
        *state = t->state;
        *pages = t->npages + t->pt.table_pages;
        rc = HV_STATUS_SUCCESS;
    }
    sk_unlock(&tl_lock);
    return rc;
}
