/* tl_tests.c: tests of trustlets from VTL0 (EL1 of VTL0): loading signed
 * images, every refusal, calls into a trustlet, and what happens when one
 * misbehaves. VTL0 hands over images from its own memory; it never sees
 * trustlet memory. */
#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"
#include "openvbs/trustlet.h"
#include "vsm_tests.h"

extern const uint8_t tl_echo_start[], tl_echo_end[];
extern const uint8_t tl_echo_rollback_start[], tl_echo_rollback_end[];
extern const uint8_t tl_echo_v2_start[], tl_echo_v2_end[];
extern const uint8_t tl_echo_unknown_start[], tl_echo_unknown_end[];
extern const uint8_t tl_echo_badelf_start[], tl_echo_badelf_end[];
extern const uint8_t tl_echo_wx_start[], tl_echo_wx_end[];
extern const uint8_t tl_echo_seg_below_start[], tl_echo_seg_below_end[];
extern const uint8_t tl_echo_seg_above_start[], tl_echo_seg_above_end[];
extern const uint8_t tl_echo_seg_past_start[], tl_echo_seg_past_end[];
extern const uint8_t tl_echo_policy_start[], tl_echo_policy_end[];

#define ECHO_ID 0x0ec40001ull

static uint8_t scratch[64 * 1024] __attribute__((aligned(4096)));
uint8_t tl_reply_buf[4096] __attribute__((aligned(4096)));
static struct tl_out out_desc = { 0, sizeof(tl_reply_buf) };

static struct hv_result load(const uint8_t *img, uint64_t size)
{
    return vcall(SC_TL_LOAD, pa(img), size, 0);
}

static uint64_t load_echo(void)
{
    struct hv_result r = load(tl_echo_start, (uint64_t)(tl_echo_end - tl_echo_start));
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : 0;
}

static uint64_t free_pages(void)
{
    return vcall(SC_TL_INFO, 0, 0, 0).x2;
}

uint64_t tl_open_session(uint64_t id)
{
    struct hv_result r = vcall(SC_TL_OPEN, id, 0, 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : 0;
}

struct hv_result tl_invoke(uint64_t session, uint64_t cmd, const void *in, uint64_t len)
{
    out_desc.buf = pa(tl_reply_buf);
    out_desc.max = sizeof(tl_reply_buf);
    return hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, session, cmd, pa(in), len, pa(&out_desc));
}

/* Load a modified copy of the echo image. */
static uint64_t load_mutated(uint64_t offset, uint8_t xor_with, int64_t size_delta)
{
    uint64_t size = (uint64_t)(tl_echo_end - tl_echo_start);
    memcpy(scratch, tl_echo_start, size);
    if (offset < size)
        scratch[offset] ^= xor_with;
    return load(scratch, size + (uint64_t)size_delta).x0;
}

bool t_tl_load_and_echo(void)
{
    uint64_t before = free_pages();
    uint64_t h = load_echo();
    uint64_t s = tl_open_session(ECHO_ID);
    static const char msg[] = "hello from VTL0";
    struct hv_result r = tl_invoke(s, 0, msg, sizeof(msg));
    bool echoed = r.x0 == HV_STATUS_SUCCESS && r.x2 == sizeof(msg) &&
                  !memcmp(tl_reply_buf, msg, sizeof(msg));
    struct hv_result r2 = tl_invoke(s, 0, "again", 5);
    bool twice = r2.x0 == HV_STATUS_SUCCESS && r2.x2 == 5 && !memcmp(tl_reply_buf, "again", 5);
    bool closed = vcall(SC_TL_CLOSE, s, 0, 0).x0 == HV_STATUS_SUCCESS &&
                  tl_invoke(s, 0, msg, 1).x0 == TL_ST_NO_SUCH;
    bool gone = vcall(SC_TL_UNLOAD, h, 0, 0).x0 == HV_STATUS_SUCCESS && free_pages() == before;
    return note(h && s && echoed && twice && closed && gone,
                "signed echo trustlet loaded, called twice, closed, unloaded; memory back");
}

/* Two trustlets, one runtime: the runtime's pages are counted once. */
bool t_tl_shared_runtime(void)
{
    uint64_t a = load_echo(), b = load_echo();
    struct hv_result ia = vcall(SC_TL_INFO, a, 0, 0), ib = vcall(SC_TL_INFO, b, 0, 0);
    uint64_t s = tl_open_session(ECHO_ID);
    bool works = tl_invoke(s, 0, "shared", 6).x2 == 6;
    vcall(SC_TL_UNLOAD, a, 0, 0);
    vcall(SC_TL_UNLOAD, b, 0, 0);
    kprintf("    runtime %lu pages shared; trustlets use %lu and %lu pages of their own\n", ia.x3,
            ia.x2, ib.x2);
    return note(a && b && ia.x0 == 0 && ia.x3 > 0 && ia.x3 == ib.x3 && works,
                "one read-only runtime copy mapped into both trustlets");
}

bool a_tl_bad_signature(void)
{
    const struct tl_header *h = (const void *)tl_echo_start;
    uint64_t sig = (uint64_t)((const uint8_t *)h->signature - tl_echo_start);
    uint64_t ver = (uint64_t)((const uint8_t *)&h->version - tl_echo_start);
    uint64_t before = free_pages();
    bool ok = load_mutated(sig, 0x01, 0) == TL_ST_BAD_SIGNATURE &&
              load_mutated(sig + 63, 0x80, 0) == TL_ST_BAD_SIGNATURE &&
              load_mutated(ver, 0x04, 0) == TL_ST_BAD_SIGNATURE &&
              free_pages() == before;
    return note(ok, "changed signature or signed header field: bad signature, nothing loaded");
}

bool a_tl_tampered_image(void)
{
    uint64_t size = (uint64_t)(tl_echo_end - tl_echo_start);
    uint64_t before = free_pages();
    bool ok = load_mutated(TL_HEADER_SIZE + 200, 0x20, 0) == TL_ST_BAD_HASH &&
              load_mutated(size - 1, 0x01, 0) == TL_ST_BAD_HASH &&
              load_mutated(TL_HEADER_SIZE, 0x7f, 0) == TL_ST_BAD_HASH &&
              free_pages() == before;
    return note(ok, "any tampered image byte: hash mismatch, nothing loaded");
}

bool a_tl_unknown_id(void)
{
    struct hv_result r = load(tl_echo_unknown_start,
                              (uint64_t)(tl_echo_unknown_end - tl_echo_unknown_start));
    return note(r.x0 == TL_ST_UNKNOWN_ID, "correctly signed image with an unknown ID refused");
}

/* v1 is below the compiled-in minimum (2). v2 meets it, but once v3 has
 * loaded, the secure kernel's floor for the ID is 3 and v2 is a rollback.
 * In the full suite echo v3 has loaded before, so v1's refusal proves the
 * minimum only when this test runs first in a boot
 * (tests/qemu/test_rollback.py). */
bool a_tl_rollback(void)
{
    struct hv_result r = load(tl_echo_rollback_start,
                              (uint64_t)(tl_echo_rollback_end - tl_echo_rollback_start));
    uint64_t h = load_echo();
    vcall(SC_TL_UNLOAD, h, 0, 0);
    struct hv_result r2 = load(tl_echo_v2_start, (uint64_t)(tl_echo_v2_end - tl_echo_v2_start));
    kprintf("    v1: %s; v2 after v3 ran: %s\n", r.x0 == TL_ST_ROLLBACK ? "refused" : "LOADED",
            r2.x0 == TL_ST_ROLLBACK ? "refused" : "LOADED");
    return note(h && r.x0 == TL_ST_ROLLBACK && r2.x0 == TL_ST_ROLLBACK,
                "versions below the minimum, or below one that already ran, refused");
}

/* Time of check to time of use on an image: VTL0's timer interrupt, while
 * the secure kernel is busy loading, inverts every byte of the ELF in VTL0's
 * copy. The secure kernel copies (and hashes) first and then works only on
 * its own copy: the load either succeeds with the original code (the flip
 * came after the copy) or is refused as not matching its signed hash (it came
 * during the copy). Running the flipped bytes would kill the trustlet. */
static uint64_t image_size;

static void flip_image(void)
{
    for (uint64_t i = TL_HEADER_SIZE; i < image_size; i++)
        scratch[i] ^= 0xff;
}

/* One load of the echo image from `scratch`, with the timer set to invert
 * the image `ticks` after the call starts. True if the interrupt landed inside
 * the call and the outcome is one of the two allowed. */
static bool load_while_inverting(uint64_t ticks)
{
    struct hv_result r = { 0 };
    bool hit = false;
    for (int attempt = 0; attempt < 3 && !hit; attempt++) {
        memcpy(scratch, tl_echo_start, image_size);
        r = vcall_with_timer(ticks, flip_image, &hit, SC_TL_LOAD, pa(scratch), image_size, 0, 0);
        hit &= scratch[TL_HEADER_SIZE] != tl_echo_start[TL_HEADER_SIZE];
        if (r.x0 == HV_STATUS_SUCCESS && !hit)
            vcall(SC_TL_UNLOAD, r.x1, 0, 0);
    }
    bool works = false;
    if (r.x0 == HV_STATUS_SUCCESS) {
        struct hv_result e = tl_invoke(tl_open_session(ECHO_ID), 0, "same code", 9);
        works = e.x0 == HV_STATUS_SUCCESS && e.x2 == 9 && !memcmp(tl_reply_buf, "same code", 9);
        vcall(SC_TL_UNLOAD, r.x1, 0, 0);
    }
    kprintf("    inverted after %lu us: %s; load status 0x%lx%s\n", ticks / 62, hit ? "yes" : "no",
            r.x0, r.x0 == HV_STATUS_SUCCESS ? (works ? ", original code runs" : ", BROKEN") : "");
    return hit && ((r.x0 == HV_STATUS_SUCCESS && works) || r.x0 == TL_ST_BAD_HASH);
}

bool a_tl_image_toctou(void)
{
    image_size = (uint64_t)(tl_echo_end - tl_echo_start);
    /* Early (usually while the image is copied) and late (while the
     * signature is checked, millions of instructions later). */
    bool early = load_while_inverting(31250), late = load_while_inverting(156250);
    return note(early && late, "the secure kernel used only its own copy of the image");
}

/* Correctly signed images that only one check refuses: a data segment
 * outside the trustlet window [TL_VA_IMAGE_MIN, TL_VA_IMAGE_MAX) (below it,
 * above it, or running past its end: tl_check_elf), and a policy with a bit
 * no system call has (check_header). Each must come back with its status. */
static bool signed_but_refused(void)
{
    static const struct {
        const uint8_t *start, *end;
        uint64_t status;
        const char *what;
    } images[] = {
        { tl_echo_seg_below_start, tl_echo_seg_below_end, TL_ST_BAD_ELF, "segment below" },
        { tl_echo_seg_above_start, tl_echo_seg_above_end, TL_ST_BAD_ELF, "segment above" },
        { tl_echo_seg_past_start, tl_echo_seg_past_end, TL_ST_BAD_ELF, "segment past the end" },
        { tl_echo_policy_start, tl_echo_policy_end, TL_ST_BAD_HEADER, "unknown policy bit" },
    };
    bool all = true;
    for (unsigned i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
        struct hv_result r = load(images[i].start, (uint64_t)(images[i].end - images[i].start));
        if (r.x0 == HV_STATUS_SUCCESS)
            vcall(SC_TL_UNLOAD, r.x1, 0, 0);
        kprintf("    %s: status 0x%lx\n", images[i].what, r.x0);
        all &= r.x0 == images[i].status;
    }
    return all;
}

bool a_tl_malformed(void)
{
    uint64_t size = (uint64_t)(tl_echo_end - tl_echo_start);
    uint64_t vtl1 = owned_base(OWNER_VTL1, true, NULL);
    uint64_t before = free_pages();
    bool bad_elf = load(tl_echo_badelf_start,
                        (uint64_t)(tl_echo_badelf_end - tl_echo_badelf_start)).x0 == TL_ST_BAD_ELF;
    bool wx = load(tl_echo_wx_start, (uint64_t)(tl_echo_wx_end - tl_echo_wx_start)).x0 ==
              TL_ST_BAD_ELF;
    bool truncated = load_mutated(~0ull, 0, -1) == TL_ST_BAD_HEADER;
    bool tiny = load(tl_echo_start, 100).x0 == TL_ST_BAD_HEADER;
    bool huge = load(tl_echo_start, 1ull << 30).x0 == TL_ST_TOO_LARGE;
    bool magic = load_mutated(0, 0x01, 0) == TL_ST_BAD_HEADER;
    bool in_vtl1 = load((const uint8_t *)(uintptr_t)vtl1, size).x0 == TL_ST_BUFFER;
    kprintf("    bad ELF %d, W+X %d, truncated %d, tiny %d, huge %d, magic %d, VTL1 source %d\n",
            bad_elf, wx, truncated, tiny, huge, magic, in_vtl1);
    bool placed = signed_but_refused();
    return note(bad_elf && wx && truncated && tiny && huge && magic && in_vtl1 && placed &&
                    free_pages() == before,
                "malformed ELF, W+X segment, segment outside the window, unknown policy bit, "
                "truncated, oversized or misplaced images refused");
}

/* Each misbehaviour kills only that trustlet; its memory comes back; the
 * secure kernel and another trustlet carry on. */
bool a_tl_misbehaving(void)
{
    static const struct {
        uint64_t cmd;
        const char *what;
    } bad[] = {
        { 1, "null write" }, { 2, "endless loop" }, { 3, "read secure kernel" },
        { 4, "undefined instruction" }, { 5, "call outside policy" }, { 6, "unknown call" },
        { 9, "read VTL0" }, { 11, "write own code" }, { 12, "stack overflow" },
        { 14, "write shared runtime" },
    };
    uint64_t before = free_pages();
    uint64_t witness = load_echo();
    uint64_t ws = tl_open_session(ECHO_ID);
    uint64_t baseline = free_pages();
    bool all = witness && ws;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t h = load_echo();
        /* the newest instance: open sessions go to the last match */
        uint64_t s = tl_open_session(ECHO_ID);
        struct hv_result r = tl_invoke(s, bad[i].cmd, "x", 1);
        struct hv_result again = tl_invoke(s, 0, "x", 1);
        bool unloaded = vcall(SC_TL_UNLOAD, h, 0, 0).x0 == HV_STATUS_SUCCESS;
        bool ok = h && r.x0 == TL_ST_DEAD && again.x0 == TL_ST_DEAD && unloaded &&
                  free_pages() == baseline;
        kprintf("    %-22s -> %s\n", bad[i].what, ok ? "killed, memory reclaimed" : "NOT HANDLED");
        all &= ok;
    }
    struct hv_result w = tl_invoke(ws, 0, "still here", 10);
    bool alive = w.x0 == HV_STATUS_SUCCESS && w.x2 == 10;
    vcall(SC_TL_UNLOAD, witness, 0, 0);
    return note(all && alive && free_pages() == before,
                "each misbehaving trustlet killed (VTL0 sees 'dead'); another trustlet unharmed");
}

/* Each trustlet instance runs with its own random stack-protector canary,
 * drawn by the secure kernel at load (not the constant in lib/chk.c). */
bool t_tl_canary(void)
{
    uint64_t canary[2] = { 0, 0 };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t h = load_echo();
        struct hv_result r = tl_invoke(tl_open_session(ECHO_ID), 16, "", 0);
        if (h && r.x0 == HV_STATUS_SUCCESS && r.x2 == 8)
            memcpy(&canary[i], tl_reply_buf, 8);
        vcall(SC_TL_UNLOAD, h, 0, 0);
    }
    kprintf("    canaries of two echo instances: 0x%lx, 0x%lx\n", canary[0], canary[1]);
    const uint64_t built_in = 0x5a17c0de0f1e5b5bull;
    return note(canary[0] && canary[1] && canary[0] != canary[1] && canary[0] != built_in &&
                    canary[1] != built_in,
                "each trustlet instance has its own random canary");
}

bool t_tl_services(void)
{
    uint64_t h = load_echo();
    uint64_t s = tl_open_session(ECHO_ID);
    uint8_t a[32], b[32];
    struct hv_result r1 = tl_invoke(s, 7, "", 0);
    memcpy(a, tl_reply_buf, 32);
    struct hv_result r2 = tl_invoke(s, 7, "", 0);
    memcpy(b, tl_reply_buf, 32);
    bool random = r1.x0 == 0 && r1.x2 == 32 && r2.x2 == 32 && memcmp(a, b, 32);
    struct hv_result heap = tl_invoke(s, 8, "", 0);
    struct hv_result bad_ptr = tl_invoke(s, 10, "", 0);
    int64_t bad_ptr_result;
    memcpy(&bad_ptr_result, tl_reply_buf, 8);
    struct hv_result rep = tl_invoke(s, 13, "", 0);
    struct tl_report report;
    memcpy(&report, tl_reply_buf, sizeof(report));
    struct ovbs_measurement m;
    hvc(OVBS_HV_MEASUREMENT, 0, pa(&m), sizeof(m));
    bool report_ok = rep.x0 == 0 && rep.x1 == 0 && report.trustlet_id == ECHO_ID &&
                     report.version == 3 && !memcmp(report.sk_sha256, m.sha256, 32);
    vcall(SC_TL_UNLOAD, h, 0, 0);
    kprintf("    random %d, heap status %ld, bad pointer -> %ld, report %d\n", random,
            (long)heap.x1, (long)bad_ptr_result, report_ok);
    return note(random && heap.x0 == 0 && heap.x1 == 0 && bad_ptr.x0 == 0 &&
                    bad_ptr_result == -TL_EINVAL && report_ok,
                "random bytes, heap within quota, checked pointers, measurement report");
}

bool a_tl_bad_buffers(void)
{
    uint64_t h = load_echo();
    uint64_t s = tl_open_session(ECHO_ID);
    uint64_t vtl1 = owned_base(OWNER_VTL1, true, NULL);
    uint64_t hv = owned_base(OWNER_HV, true, NULL);
    bool in_vtl1 = hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, s, 0, vtl1, 16, pa(&out_desc)).x0 ==
                   TL_ST_BUFFER;
    out_desc.buf = hv;
    out_desc.max = 16;
    bool out_hv = hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, s, 0, pa(scratch), 16, pa(&out_desc)).x0 ==
                  TL_ST_BUFFER;
    bool desc_vtl1 = hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, s, 0, pa(scratch), 16, vtl1).x0 ==
                     TL_ST_BUFFER;
    bool too_big = tl_invoke(s, 0, scratch, 5000).x0 == TL_ST_TOO_LARGE;
    bool no_session = tl_invoke(0x1234, 0, scratch, 1).x0 == TL_ST_NO_SUCH;
    bool no_trustlet = vcall(SC_TL_OPEN, 0x0ec4ffff, 0, 0).x0 == TL_ST_NO_SUCH;
    bool still = tl_invoke(s, 0, "ok", 2).x0 == HV_STATUS_SUCCESS;
    /* Every instance slot taken: the next load is told "busy". */
    uint64_t more[3] = { load_echo(), load_echo(), load_echo() };
    bool busy = load(tl_echo_start, (uint64_t)(tl_echo_end - tl_echo_start)).x0 == TL_ST_BUSY;
    for (unsigned i = 0; i < 3; i++)
        vcall(SC_TL_UNLOAD, more[i], 0, 0);
    vcall(SC_TL_UNLOAD, h, 0, 0);
    bool gone = vcall(SC_TL_UNLOAD, h, 0, 0).x0 == TL_ST_NO_SUCH;
    return note(in_vtl1 && out_hv && desc_vtl1 && too_big && no_session && no_trustlet && still &&
                    busy && gone,
                "buffers in VTL1 or hv memory, oversized input, bad handles, no free slot: refused");
}

extern const uint8_t tl_keyholder_start[], tl_keyholder_end[];

/* ---- Console: `tl load|call|unload` -------------------------------------- */

static void print_reply(uint64_t n)
{
    bool text = true;
    for (uint64_t i = 0; i < n; i++)
        text &= tl_reply_buf[i] >= 0x20 && tl_reply_buf[i] < 0x7f;
    kprintf("  reply (%lu bytes): ", n);
    for (uint64_t i = 0; i < n && i < 64; i++)
        kprintf(text ? "%c" : "%02x", tl_reply_buf[i]);
    kprintf("%s\n", n > 64 ? "..." : "");
}

/* Returns false on failure (counted by the console). */
bool tl_command(char *arg)
{
    char *end;
    if (!strncmp(arg, "load ", 5)) {
        const char *name = arg + 5;
        struct hv_result r;
        if (!strcmp(name, "echo"))
            r = load(tl_echo_start, (uint64_t)(tl_echo_end - tl_echo_start));
        else if (!strcmp(name, "keyholder"))
            r = load(tl_keyholder_start, (uint64_t)(tl_keyholder_end - tl_keyholder_start));
        else {
            kprintf("tl load: the images built in are: echo, keyholder\n");
            return false;
        }
        kprintf("tl load %s: status 0x%lx, instance %lu\n", name, r.x0, r.x1);
        return r.x0 == HV_STATUS_SUCCESS;
    }
    if (!strncmp(arg, "unload ", 7)) {
        struct hv_result r = vcall(SC_TL_UNLOAD, strtoul(arg + 7, NULL, 0), 0, 0);
        kprintf("tl unload: status 0x%lx\n", r.x0);
        return r.x0 == HV_STATUS_SUCCESS;
    }
    if (!strncmp(arg, "call ", 5)) {
        uint64_t id = strtoul(arg + 5, &end, 0);
        uint64_t cmd = strtoul(end, &end, 0);
        while (*end == ' ')
            end++;
        struct hv_result o = vcall(SC_TL_OPEN, id, 0, 0);
        if (o.x0 != HV_STATUS_SUCCESS) {
            kprintf("tl call: %s (status 0x%lx)\n",
                    o.x0 == TL_ST_DEAD ? "trustlet dead" : "no loaded trustlet with that ID", o.x0);
            return false;
        }
        uint64_t session = o.x1;
        size_t len = strlen(end);
        memcpy(scratch, end, len);
        struct hv_result r = tl_invoke(session, cmd, scratch, len);
        vcall(SC_TL_CLOSE, session, 0, 0);
        kprintf("tl call 0x%lx command %lu: status 0x%lx%s, trustlet status %lu\n", id, cmd,
                r.x0, r.x0 == TL_ST_DEAD ? " (trustlet dead)" : "", r.x1);
        if (r.x0 == HV_STATUS_SUCCESS)
            print_reply(r.x2);
        return r.x0 == HV_STATUS_SUCCESS;
    }
    kprintf("usage: tl load echo|keyholder | tl call ID COMMAND [TEXT] | tl unload INSTANCE\n");
    return false;
}

/* ---- The key holder: a secret that never leaves VTL1 -------------------- */

extern const uint8_t tl_keyholder_start[], tl_keyholder_end[];
extern const uint8_t tl_keyholder_b_start[], tl_keyholder_b_end[];
#define KEYHOLDER_ID 0x0ec40002ull
#define KEYHOLDER_B_ID 0x0ec40003ull

static bool verify(const uint8_t pubkey[65], const void *msg, size_t len, const uint8_t sig[64])
{
    uint8_t hash[32];
    br_sha256_context h;
    br_sha256_init(&h);
    br_sha256_update(&h, msg, len);
    br_sha256_out(&h, hash);
    br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)pubkey, 65 };
    return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, sig, 64) == 1;
}

/* Isolation of a trustlet holding a secret (a key-holder instance with a
 * fresh key). From VTL0, every page of VTL1's memory, where all trustlet
 * memory comes from, must be out of reach. From another trustlet (echo,
 * command 15 reads any address it is given), hypervisor memory, VTL1's
 * memory by its physical address (where the key holder's pages are), and a
 * heap address it never allocated must all kill the reader. The key holder
 * must not notice any of it. */
bool a_tl_isolation(void)
{
    uint64_t kh = load(tl_keyholder_start, (uint64_t)(tl_keyholder_end - tl_keyholder_start)).x1;
    uint64_t ks = tl_open_session(KEYHOLDER_ID);
    struct hv_result r = tl_invoke(ks, 0, "", 0); /* keygen */
    static uint8_t pub[65];
    memcpy(pub, tl_reply_buf, sizeof(pub));
    bool have_key = kh && r.x0 == 0 && r.x2 == 65;

    uint64_t vtl1_size, vtl1 = owned_base(OWNER_VTL1, false, &vtl1_size);
    unsigned pages = 0, blocked = 0;
    for (uint64_t a = vtl1; a < vtl1 + vtl1_size; a += 4096, pages++)
        blocked += read_blocked(a);
    kprintf("    VTL0 read of VTL1 memory: %u of %u pages blocked\n", blocked, pages);

    uint64_t hv = owned_base(OWNER_HV, true, NULL);
    const struct {
        uint64_t addr;
        const char *what;
    } targets[] = {
        { hv, "hypervisor memory" },
        { vtl1 + vtl1_size / 2, "VTL1 memory (middle)" },
        { vtl1 + vtl1_size - 8, "VTL1 memory (last word)" },
        { TL_VA_HEAP, "heap address it never mapped" },
    };
    bool all_killed = true;
    for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        uint64_t h = load_echo();
        uint64_t s = tl_open_session(ECHO_ID);
        r = tl_invoke(s, 15, &targets[i].addr, sizeof(targets[i].addr));
        bool killed = h && r.x0 == TL_ST_DEAD;
        kprintf("    echo reads %-30s -> %s\n", targets[i].what, killed ? "killed" : "NOT BLOCKED");
        all_killed &= killed;
        vcall(SC_TL_UNLOAD, h, 0, 0);
    }
    static const char challenge[] = "still mine";
    r = tl_invoke(ks, 1, challenge, sizeof(challenge));
    bool intact = r.x0 == 0 && r.x2 == 64 && verify(pub, challenge, sizeof(challenge), tl_reply_buf);
    vcall(SC_TL_UNLOAD, kh, 0, 0);
    return note(have_key && pages > 0 && blocked == pages && all_killed && intact,
                "trustlet memory unreachable from VTL0 and from another trustlet");
}

bool t_tl_keyholder(void)
{
    static uint8_t pub[65], sig[64], blob[128], pub2[65];
    static const char challenge[] = "prove you hold the key: 7f3a91";
    uint64_t h = load(tl_keyholder_start, (uint64_t)(tl_keyholder_end - tl_keyholder_start)).x1;
    uint64_t s = tl_open_session(KEYHOLDER_ID);
    /* A request whose reply could not be delivered (output buffer in
     * hypervisor memory) is refused before the trustlet acts on it. */
    out_desc.buf = owned_base(OWNER_HV, true, NULL);
    out_desc.max = 65;
    bool refused = hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, s, 0, pa(scratch), 0, pa(&out_desc)).x0 ==
                   TL_ST_BUFFER;
    bool no_key_made = tl_invoke(s, 4, "", 0).x1 == 1;
    struct hv_result r = tl_invoke(s, 0, "", 0);
    bool keygen = refused && no_key_made && r.x0 == 0 && r.x1 == 0 && r.x2 == 65;
    memcpy(pub, tl_reply_buf, 65);
    r = tl_invoke(s, 1, challenge, sizeof(challenge));
    memcpy(sig, tl_reply_buf, 64);
    bool signs = r.x0 == 0 && r.x2 == 64 && verify(pub, challenge, sizeof(challenge), sig);
    bool not_other = !verify(pub, "another challenge", 17, sig);
    r = tl_invoke(s, 2, "", 0);
    uint64_t blob_len = r.x2;
    memcpy(blob, tl_reply_buf, blob_len < sizeof(blob) ? blob_len : sizeof(blob));
    bool sealed = r.x0 == 0 && r.x1 == 0 && blob_len == 32 + 28;
    /* A new instance knows nothing until it is given the sealed key back. */
    vcall(SC_TL_UNLOAD, h, 0, 0);
    h = load(tl_keyholder_start, (uint64_t)(tl_keyholder_end - tl_keyholder_start)).x1;
    s = tl_open_session(KEYHOLDER_ID);
    bool fresh = tl_invoke(s, 4, "", 0).x1 == 1; /* no key */
    blob[20] ^= 1;
    bool tamper_refused = tl_invoke(s, 3, blob, blob_len).x1 == 2;
    blob[20] ^= 1;
    /* The same code under another trustlet ID cannot open the blob: the
     * sealing key is derived from the ID. */
    uint64_t hb = load(tl_keyholder_b_start, (uint64_t)(tl_keyholder_b_end - tl_keyholder_b_start)).x1;
    uint64_t sb = tl_open_session(KEYHOLDER_B_ID);
    struct hv_result rb = tl_invoke(sb, 3, blob, blob_len);
    bool other_id_refused = hb && rb.x0 == 0 && rb.x1 == 2;
    vcall(SC_TL_UNLOAD, hb, 0, 0);
    r = tl_invoke(s, 3, blob, blob_len);
    memcpy(pub2, tl_reply_buf, 65);
    bool restored = r.x0 == 0 && r.x1 == 0 && !memcmp(pub, pub2, 65);
    r = tl_invoke(s, 1, "again", 5);
    bool same_key = r.x0 == 0 && verify(pub, "again", 5, tl_reply_buf);
    vcall(SC_TL_UNLOAD, h, 0, 0);
    kprintf("    keygen %d, signature verifies %d, sealed %d, tampered blob refused %d, "
            "other ID refused %d, restored %d\n", keygen, signs && not_other, sealed,
            tamper_refused, other_id_refused, restored && same_key);
    return note(keygen && signs && not_other && sealed && fresh && tamper_refused &&
                    other_id_refused && restored && same_key,
                "key made in VTL1 signs challenges; VTL0 only ever holds public key and sealed blob");
}
