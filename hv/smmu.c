/* smmu.c: the SMMUv3 at EL2 (Arm IHI 0070). The hypervisor brings it up
 * before any guest runs and is its only driver; its registers are never in
 * a guest's stage 2 (owner mmio-hv). What it programs:
 *
 *   STRTAB_BASE -> L1 table: 2^(SIDSIZE-6) descriptors, all pointing to
 *                  one shared L2 table of 64 identical STEs
 *                  -> one context descriptor (ASID 1)  [stage 1, QEMU]
 *                     -> translation tables: identity map of VTL0 RAM
 *                  or, with IDR0.S2P, a stage-2 STE (VMID 1) -> the same
 *                     tables in stage-2 format  [untested on hardware]
 *   CMDQ: 256 commands, polled (CMD_SYNC with no signal).
 *   EVTQ: 1,024 records (32 KiB), drained on its interrupt and by the event
 *         calls: room for every fault of one 1 KiB transfer QEMU's SMMU
 *         reports access by access.
 *
 * Every StreamID a PCIe requester ID can give (the iommu-map covers RIDs
 * 0-0xffff, and VTL0 numbers its buses itself) therefore lands on the same
 * context, whose tables map exactly the VTL0 RAM VTL0's CPU may read, with
 * write access only where VTL0 may write. Anything else -- hypervisor and
 * VTL1 memory, holes, every device register (the ITS's MSI doorbell
 * included) -- faults, and the fault is reported. Tables, queues and the
 * stream table live in the hypervisor's page pool. */
#include <libfdt.h>
#include "arm64/sysreg.h"
#include "events.h"
#include "gic.h"
#include "hv.h"
#include "pgtable.h"
#include "pt_el1.h"
#include "smmu.h"
#include "spinlock.h"
#include "smmu_desc.h"

/* ---- Registers (IHI 0070 6.3), page 0 unless noted ---------------------- */
#define SMMU_IDR0            0x0000
#define SMMU_IDR1            0x0004
#define SMMU_IDR5            0x0014
#define SMMU_CR0             0x0020
#define SMMU_CR0ACK          0x0024
#define SMMU_CR1             0x0028
#define SMMU_CR2             0x002c
#define SMMU_GBPA            0x0044
#define SMMU_IRQ_CTRL        0x0050
#define SMMU_IRQ_CTRLACK     0x0054
#define SMMU_GERROR          0x0060
#define SMMU_GERRORN         0x0064
#define SMMU_GERROR_IRQ_CFG0 0x0068
#define SMMU_STRTAB_BASE     0x0080
#define SMMU_STRTAB_BASE_CFG 0x0088
#define SMMU_CMDQ_BASE       0x0090
#define SMMU_CMDQ_PROD       0x0098
#define SMMU_CMDQ_CONS       0x009c
#define SMMU_EVENTQ_BASE     0x00a0
#define SMMU_EVENTQ_IRQ_CFG0 0x00b0
#define SMMU_EVENTQ_PROD     0x100a8 /* page 1 */
#define SMMU_EVENTQ_CONS     0x100ac /* page 1 */

/* IDR0: S2P 0, S1P 1, TTF 3:2 (bit 3: AArch64 tables), COHACC 4,
 * ASID16 12, VMID16 18, TTENDIAN 22:21 (3 = big-endian only),
 * ST_LEVEL 28:27 (1 = two-level stream tables). */
#define IDR0_S2P             (1u << 0)
#define IDR0_S1P             (1u << 1)
#define IDR0_TTF_AA64        (1u << 3)
#define IDR0_COHACC          (1u << 4)
#define IDR0_TTENDIAN(r)     (((r) >> 21) & 3)
#define IDR0_ST_LEVEL(r)     (((r) >> 27) & 3)
/* IDR1: SIDSIZE 5:0, EVENTQS 20:16, CMDQS 25:21 (log2 of the maximum). */
#define IDR1_SIDSIZE(r)      ((r) & 0x3f)
#define IDR1_EVENTQS(r)      (((r) >> 16) & 0x1f)
#define IDR1_CMDQS(r)        (((r) >> 21) & 0x1f)
/* IDR5: OAS 2:0 (0 = 32 bits ... 5 = 48, 6 = 52), GRAN4K 4. */
#define IDR5_OAS(r)          ((r) & 7)
#define IDR5_GRAN4K          (1u << 4)

/* CR0: SMMUEN 0, EVENTQEN 2, CMDQEN 3; each acknowledged in CR0ACK. */
#define CR0_SMMUEN           (1u << 0)
#define CR0_EVENTQEN         (1u << 2)
#define CR0_CMDQEN           (1u << 3)
/* CR1: QUEUE_IC 1:0, QUEUE_OC 3:2, QUEUE_SH 5:4, TABLE_IC 7:6,
 * TABLE_OC 9:8, TABLE_SH 11:10: attributes of queue and table accesses. */
#define CR1_ATTRS(cache, sh) ((cache) | ((cache) << 2) | ((sh) << 4) | \
                              ((cache) << 6) | ((cache) << 8) | ((sh) << 10))
/* CR2: E2H 0 (off: EL1 StreamWorld), RECINVSID 1 (record events for
 * StreamIDs out of range), PTM 2 (ignore broadcast TLB maintenance: only
 * this driver's commands invalidate the SMMU's TLBs). */
#define CR2_RECINVSID        (1u << 1)
#define CR2_PTM              (1u << 2)
/* GBPA: ABORT 20 (with SMMUEN clear, abort instead of bypass), UPDATE 31. */
#define GBPA_ABORT           (1u << 20)
#define GBPA_UPDATE          (1u << 31)
/* IRQ_CTRL: GERROR_IRQEN 0, EVENTQ_IRQEN 2. */
#define IRQ_CTRL_GERROR      (1u << 0)
#define IRQ_CTRL_EVENTQ      (1u << 2)
/* GERROR (active bits differ from GERRORN): CMDQ_ERR 0, EVENTQ_ABT_ERR 2,
 * MSI_*_ABT_ERR 7:4, SFM_ERR 8 (the SMMU stopped: service failure mode). */
#define GERROR_CMDQ_ERR      (1u << 0)
#define GERROR_EVTQ_ABT      (1u << 2)
#define GERROR_SFM_ERR       (1u << 8)
/* CMDQ_CONS.ERR 30:24: 1 CERROR_ILL, 2 CERROR_ABT, 3 CERROR_ATC_INV_SYNC. */
#define CMDQ_CONS_ERR(r)     (((r) >> 24) & 0x7f)
/* EVENTQ_PROD.OVFLG 31 / EVENTQ_CONS.OVACKFLG 31: overflow, and its ack. */
#define EVTQ_OVFLG           (1u << 31)

#define ASID_VTL0            1
#define VMID_VTL0            1
#define STRTAB_SPLIT         6  /* an L2 table of 64 STEs is one 4 KiB page */
#define MAX_SID_BITS         16 /* PCIe requester IDs */
#define CMDQ_LOG2            8
#define EVTQ_LOG2            10
#define EVTQ_PAGES           ((1u << EVTQ_LOG2) * 32 / 4096) /* 32-byte records */
#define CMD_TIMEOUT_DIV      10 /* a command batch gets 1/10 s */

/* The driver's state: one SMMU, one CPU (the boot CPU drives it). */
static struct {
    uintptr_t regs;
    bool present, enabled, coherent, stage2;
    uint32_t idr0, idr1, idr5;
    unsigned sid_bits, oas_bits;
    uint64_t *strtab, *l2, *cd;   /* stream table, shared L2 table (or linear table), CD */
    unsigned strtab_pages, l2_pages;
    uint64_t *cmdq, *evtq;
    unsigned cmdq_log2, evtq_log2;
    uint32_t cmdq_prod;           /* index | wrap bit, as the register holds it */
    uint32_t evtq_cons;
    struct pgtable pt;            /* the devices' view of VTL0 RAM */
    uint32_t irq_eventq, irq_gerror; /* INTIDs, 0 if the tree names none */
    uint64_t events_lost;
    bool tlb_pending;             /* a page changed since the last TLBI */
} smmu;

static volatile uint32_t *reg32(uint32_t off)
{
    return (volatile uint32_t *)(smmu.regs + off);
}

static volatile uint64_t *reg64(uint32_t off)
{
    return (volatile uint64_t *)(smmu.regs + off);
}

static _Noreturn void fatal(const char *what, uint32_t detail)
{
    hv_log("FATAL: SMMU: %s (0x%x; GERROR 0x%x GERRORN 0x%x CMDQ_PROD 0x%x CMDQ_CONS 0x%x): "
           "DMA can no longer be controlled", what, detail, *reg32(SMMU_GERROR),
           *reg32(SMMU_GERRORN), *reg32(SMMU_CMDQ_PROD), *reg32(SMMU_CMDQ_CONS));
    hv_halt_failure();
}

/* ---- Cache maintenance for an SMMU that does not snoop the CPU's caches --
 * (IDR0.COHACC clear): whatever the CPU writes for it is cleaned to the
 * point of coherency (DC CVAC), and event records it writes are invalidated
 * (DC CIVAC) before they are read. A coherent SMMU needs only the DSB. */
static void dcache_op(const void *p, uint64_t len, bool invalidate)
{
    if (smmu.coherent)
        return;
    uint64_t line = 4ull << ((READ_SYSREG(ctr_el0) >> 16) & 0xf); /* DminLine */
    uint64_t a = (uint64_t)(uintptr_t)p & ~(line - 1), end = (uint64_t)(uintptr_t)p + len;
    for (; a < end; a += line) {
        if (invalidate)
            __asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
        else
            __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    }
    dsb_sy();
}

/* Every table page of the devices' tree, after an update (non-coherent only). */
static void clean_tables(uint64_t *table, unsigned level, unsigned entries)
{
    dcache_op(table, entries * sizeof(uint64_t), false);
    if (level == 3)
        return;
    for (unsigned i = 0; i < entries; i++) {
        if ((table[i] & 3) == 3) /* valid table descriptor */
            clean_tables(pt_identity_va(NULL, table[i] & 0x0000fffffffff000ull), level + 1,
                         PT_ENTRIES);
    }
}

/* ---- Command queue ------------------------------------------------------
 * Commands go in at PROD, the SMMU consumes at CONS; both carry a wrap bit
 * above the index, so full and empty differ. Every batch ends with a
 * CMD_SYNC and is waited for, so the queue is empty between batches. */
static uint32_t q_next(uint32_t v, unsigned log2)
{
    uint32_t mask = (2u << log2) - 1; /* index and wrap bit */
    return (v + 1) & mask;
}

static void cmdq_push(const uint64_t cmd[SMMU_CMD_DWORDS])
{
    uint64_t *slot = &smmu.cmdq[(smmu.cmdq_prod & ((1u << smmu.cmdq_log2) - 1)) * SMMU_CMD_DWORDS];
    slot[0] = cmd[0];
    slot[1] = cmd[1];
    dcache_op(slot, SMMU_CMD_DWORDS * 8, false);
    smmu.cmdq_prod = q_next(smmu.cmdq_prod, smmu.cmdq_log2);
}

/* Publish PROD and wait, bounded, until CONS reaches it. A command error
 * (CMDQ_CONS.ERR, GERROR.CMDQ_ERR) or a timeout stops the machine: a
 * protection change the SMMU may not have applied cannot be reported as
 * done (fail closed). */
static void cmdq_run(void)
{
    dsb_ishst(); /* the commands (and the tables they refer to) before PROD */
    *reg32(SMMU_CMDQ_PROD) = smmu.cmdq_prod;
    uint64_t freq = READ_SYSREG(cntfrq_el0);
    if (!freq)
        freq = 62500000; /* firmware left CNTFRQ_EL0 unset: assume 62.5 MHz (console.c too) */
    uint64_t deadline = READ_SYSREG(cntpct_el0) + freq / CMD_TIMEOUT_DIV;
    for (;;) {
        uint32_t cons = *reg32(SMMU_CMDQ_CONS);
        uint32_t gerr = *reg32(SMMU_GERROR) ^ *reg32(SMMU_GERRORN);
        if (gerr & (GERROR_CMDQ_ERR | GERROR_SFM_ERR)) {
            uint32_t at = cons & ((1u << smmu.cmdq_log2) - 1);
            hv_log("SMMU command %s at CONS %u failed: CERROR %u (1 ILL, 2 ABT, 3 ATC_INV_SYNC)",
                   smmu_cmd_name((uint8_t)smmu.cmdq[at * SMMU_CMD_DWORDS]), at,
                   CMDQ_CONS_ERR(cons));
            fatal("command queue error", gerr);
        }
        if ((cons & ((2u << smmu.cmdq_log2) - 1)) == smmu.cmdq_prod)
            return;
        if (READ_SYSREG(cntpct_el0) > deadline)
            fatal("CMD_SYNC did not complete within 100 ms", cons);
    }
}

static void cmdq_sync(void)
{
    uint64_t c[SMMU_CMD_DWORDS];
    smmu_cmd_sync(c);
    cmdq_push(c);
    cmdq_run();
}

void smmu_selftest_bad_command(void)
{
    if (!smmu.present)
        return;
    uint64_t c[SMMU_CMD_DWORDS] = { 0x7f, 0 }; /* no such opcode: CERROR_ILL */
    cmdq_push(c);
    cmdq_sync();
    hv_log("selftest: the SMMU accepted an illegal command");
}

/* The SMMU's cached translations for the devices' context: by ASID for
 * stage 1, by VMID for stage 2. */
static void tlb_invalidate(void)
{
    uint64_t c[SMMU_CMD_DWORDS];
    if (smmu.stage2)
        smmu_cmd_tlbi_s12_vmall(c, VMID_VTL0);
    else
        smmu_cmd_tlbi_nh_asid(c, ASID_VTL0);
    cmdq_push(c);
    cmdq_sync();
    smmu.tlb_pending = false;
}

/* ---- The devices' translation tables ------------------------------------
 * Built by lib/arm64/pgtable.c like the CPU's stage 2, in the pool. The
 * builder clears every live entry it changes (break-before-make) and calls
 * pt_invalidate. A level-1/2 entry may be turning from a block into a table
 * (a change of size, which needs the TLBI before the new entry is
 * written): invalidated at once. A level-3 entry only ever changes its
 * permissions here (identity map, same attributes), which the architecture
 * allows without break-before-make: the TLBI is batched into one at the end
 * of the update, still before the secure call returns. */
static void pt_invalidate(void *ctx, uint64_t va, unsigned level, bool whole_range)
{
    (void)ctx, (void)va;
    if (!smmu.coherent)
        clean_tables(smmu.pt.root, smmu.pt.start_level, smmu.pt.root_entries);
    if (level == 3 && !whole_range)
        smmu.tlb_pending = true; /* a page's permissions: one TLBI at the end */
    else
        tlb_invalidate();        /* a block or table may change size: now */
}

static void pt_sync(void *ctx)
{
    (void)ctx;
    if (!smmu.coherent)
        clean_tables(smmu.pt.root, smmu.pt.start_level, smmu.pt.root_entries);
    dsb_ishst();
}

static const struct pt_ops smmu_pt_ops = {
    .alloc_page = pool_pt_alloc_page,
    .alloc_root = pool_pt_alloc_root,
    .free_page = pool_pt_free_page,
    .pa_of = pt_identity_pa,
    .va_of = pt_identity_va,
    .invalidate = pt_invalidate,
    .sync = pt_sync,
};

/* What a device may do where VTL0 has `access`: read where VTL0 reads,
 * write where it also writes, never more. PCIe requests are unprivileged
 * (and the STE forces PRIVCFG unprivileged), so stage-1 leaves carry EL0
 * access (AP[1], PT_USER); execute never matters to a device. Stage-1
 * leaves are non-global (nG, PT_NG): CMD_TLBI_NH_ASID removes only
 * entries tagged with the ASID, so a global one would outlive a revoke on
 * hardware (QEMU's model ignores nG and would not show it). */
static bool device_prot(uint8_t access, unsigned *prot)
{
    if (!(access & OVBS_ACC_R))
        return false;
    *prot = PT_R | (access & OVBS_ACC_W ? PT_W : 0) | (smmu.stage2 ? 0 : PT_USER | PT_NG);
    return true;
}

bool smmu_translates(uint64_t addr)
{
    return smmu.present && pt_lookup(&smmu.pt, addr, NULL, NULL, NULL);
}

uint64_t smmu_update_max_pages(uint64_t base, uint64_t size, uint8_t access)
{
    unsigned prot;
    if (!smmu.present)
        return 0;
    return pt_update_max_pages(&smmu.pt, base, base, size, !device_prot(access, &prot));
}

int smmu_set_vtl0_access(uint64_t base, uint64_t size, uint8_t access)
{
    unsigned prot;
    if (!smmu.present)
        return PT_OK;
    int rc = device_prot(access, &prot) ? pt_map(&smmu.pt, base, base, size, prot)
                                        : pt_unmap(&smmu.pt, base, size);
    if (rc == PT_OK && smmu.tlb_pending)
        tlb_invalidate(); /* the change is in effect before the caller returns */
    return rc;
}

/* ---- Bring-up ------------------------------------------------------------ */

static unsigned oas_bits(unsigned oas)
{
    static const unsigned bits[] = { 32, 36, 40, 42, 44, 48, 52 };
    return oas < 7 ? bits[oas] : 32;
}

/* The SMMU's wired interrupts, from its device-tree node ("interrupts",
 * named by "interrupt-names": eventq, priq, cmdq-sync, gerror), GIC SPIs
 * with three cells each (type 0 = SPI, number, flags 1 = edge). */
static void find_irqs(void)
{
    const void *fdt = hv_boot_fdt;
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,smmu-v3");
    int len, nlen;
    const fdt32_t *irq = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;
    const char *names = node >= 0 ? fdt_getprop(fdt, node, "interrupt-names", &nlen) : NULL;
    if (!irq || !names)
        return;
    for (int i = 0, off = 0; (i + 1) * 12 <= len && off < nlen; i++) {
        const char *name = names + off;
        off += (int)strnlen(name, (size_t)(nlen - off)) + 1;
        if (fdt32_to_cpu(irq[i * 3]) != 0)
            continue; /* not an SPI */
        uint32_t intid = 32 + fdt32_to_cpu(irq[i * 3 + 1]);
        if (!strcmp(name, "eventq"))
            smmu.irq_eventq = intid;
        else if (!strcmp(name, "gerror"))
            smmu.irq_gerror = intid;
    }
}

static bool check_features(void)
{
    const char *why = NULL;
    if (!(smmu.idr0 & (IDR0_S1P | IDR0_S2P)))
        why = "no translation stage";
    else if (!(smmu.idr0 & IDR0_TTF_AA64))
        why = "no AArch64 translation tables";
    else if (IDR0_TTENDIAN(smmu.idr0) == 3)
        why = "big-endian tables only";
    else if (!(smmu.idr5 & IDR5_GRAN4K))
        why = "no 4 KiB granule";
    else if (IDR0_ST_LEVEL(smmu.idr0) != 1 && smmu.sid_bits > STRTAB_SPLIT)
        why = "no two-level stream table for a StreamID space this large";
    if (why)
        hv_log("FATAL: SMMU unusable: %s (IDR0 0x%x IDR1 0x%x IDR5 0x%x)", why, smmu.idr0,
               smmu.idr1, smmu.idr5);
    return why == NULL;
}

static void cr0_write(uint32_t v)
{
    *reg32(SMMU_CR0) = v;
    for (unsigned i = 0; *reg32(SMMU_CR0ACK) != v; i++) {
        if (i > 1000000)
            fatal("CR0 not acknowledged", v);
    }
}

/* Abort incoming transactions while SMMUEN is clear (GBPA.ABORT), and turn
 * off whatever firmware left on. GBPA is optional in QEMU 7.2 (reads as
 * zero, ignores writes): the bounded wait for UPDATE does not rely on it. */
static void quiesce(void)
{
    *reg32(SMMU_GBPA) = GBPA_UPDATE | GBPA_ABORT;
    for (unsigned i = 0; i < 1000000 && (*reg32(SMMU_GBPA) & GBPA_UPDATE); i++)
        ;
    cr0_write(0);
}

static void *alloc_or_stop(unsigned pages, const char *what)
{
    void *p = pool_alloc_pages(pages, pages);
    if (!p) {
        hv_log("FATAL: SMMU: no pool memory for the %s", what);
        hv_halt_failure();
    }
    return p;
}

static uint64_t pa(const void *p)
{
    return pt_identity_pa(NULL, p);
}

/* The stream table: one L2 table of 2^SPLIT identical STEs, shared by every
 * L1 descriptor, so all 2^sid_bits StreamIDs cost 1 + 1 pages (plus the CD).
 * With StreamIDs no wider than SPLIT, the L2 table alone is a linear table. */
static void build_stream_table(void)
{
    smmu.cd = alloc_or_stop(1, "context descriptor");
    unsigned l2_entries = 1u << (smmu.sid_bits < STRTAB_SPLIT ? smmu.sid_bits : STRTAB_SPLIT);
    smmu.l2_pages = 1;
    smmu.l2 = alloc_or_stop(1, "stream table");
    if (smmu.stage2) {
        struct smmu_s2_ctx c = { pt_root_pa(&smmu.pt), smmu.pt.va_bits,
                                 2 - smmu.pt.start_level, IDR5_OAS(smmu.idr5) > 5 ? 5 :
                                 IDR5_OAS(smmu.idr5), VMID_VTL0, smmu.coherent };
        for (unsigned i = 0; i < l2_entries; i++)
            smmu_ste_s2(&smmu.l2[i * SMMU_STE_DWORDS], &c);
    } else {
        struct smmu_s1_ctx c = { pt_root_pa(&smmu.pt), smmu.pt.va_bits,
                                 IDR5_OAS(smmu.idr5) > 5 ? 5 : IDR5_OAS(smmu.idr5),
                                 ASID_VTL0, PT_MAIR_VALUE, smmu.coherent };
        smmu_cd_s1(smmu.cd, &c);
        for (unsigned i = 0; i < l2_entries; i++)
            smmu_ste_s1(&smmu.l2[i * SMMU_STE_DWORDS], pa(smmu.cd), smmu.coherent);
    }
    dcache_op(smmu.cd, PAGE_SIZE, false);
    dcache_op(smmu.l2, PAGE_SIZE, false);
    if (smmu.sid_bits <= STRTAB_SPLIT) {
        smmu.strtab = smmu.l2;
        smmu.strtab_pages = 0;
        *reg64(SMMU_STRTAB_BASE) = pa(smmu.l2);
        *reg32(SMMU_STRTAB_BASE_CFG) = smmu.sid_bits; /* FMT 0: linear */
        return;
    }
    unsigned l1_entries = 1u << (smmu.sid_bits - STRTAB_SPLIT);
    smmu.strtab_pages = (l1_entries * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
    smmu.strtab = alloc_or_stop(smmu.strtab_pages, "level-1 stream table");
    for (unsigned i = 0; i < l1_entries; i++)
        smmu.strtab[i] = smmu_l1_desc(pa(smmu.l2), STRTAB_SPLIT);
    dcache_op(smmu.strtab, smmu.strtab_pages * PAGE_SIZE, false);
    *reg64(SMMU_STRTAB_BASE) = pa(smmu.strtab) | (smmu.coherent ? 1ull << 62 : 0); /* RA */
    *reg32(SMMU_STRTAB_BASE_CFG) = smmu_strtab_cfg_2lvl(smmu.sid_bits, STRTAB_SPLIT);
}

static void setup_queues(void)
{
    smmu.cmdq_log2 = IDR1_CMDQS(smmu.idr1) < CMDQ_LOG2 ? IDR1_CMDQS(smmu.idr1) : CMDQ_LOG2;
    smmu.evtq_log2 = IDR1_EVENTQS(smmu.idr1) < EVTQ_LOG2 ? IDR1_EVENTQS(smmu.idr1) : EVTQ_LOG2;
    smmu.cmdq = alloc_or_stop(1, "command queue");
    smmu.evtq = alloc_or_stop(EVTQ_PAGES, "event queue");
    *reg64(SMMU_CMDQ_BASE) = smmu_queue_base(pa(smmu.cmdq), smmu.cmdq_log2, smmu.coherent);
    *reg32(SMMU_CMDQ_PROD) = 0;
    *reg32(SMMU_CMDQ_CONS) = 0;
    *reg64(SMMU_EVENTQ_BASE) = smmu_queue_base(pa(smmu.evtq), smmu.evtq_log2, smmu.coherent);
    *reg32(SMMU_EVENTQ_PROD) = 0;
    *reg32(SMMU_EVENTQ_CONS) = 0;
    smmu.cmdq_prod = 0;
    smmu.evtq_cons = 0;
}

/* Wired interrupts only: MSI addresses 0 (IRQ_CFG0) send no MSI. */
static void setup_irqs(void)
{
    *reg64(SMMU_EVENTQ_IRQ_CFG0) = 0;
    *reg64(SMMU_GERROR_IRQ_CFG0) = 0;
    if (smmu.irq_eventq)
        gic_claim_spi(smmu.irq_eventq);
    if (smmu.irq_gerror)
        gic_claim_spi(smmu.irq_gerror);
    uint32_t v = IRQ_CTRL_GERROR | IRQ_CTRL_EVENTQ;
    *reg32(SMMU_IRQ_CTRL) = v;
    for (unsigned i = 0; *reg32(SMMU_IRQ_CTRLACK) != v; i++) {
        if (i > 1000000)
            fatal("IRQ_CTRL not acknowledged", v);
    }
}

static void init_tables(void)
{
    unsigned ia = smmu.oas_bits > 48 ? 48 : smmu.oas_bits;
    int rc = pt_init(&smmu.pt, smmu.stage2 ? PT_S2 : PT_S1_EL10, ia, false, &smmu_pt_ops, NULL);
    if (rc) {
        hv_log("FATAL: SMMU: cannot create its translation tables: error %d", rc);
        hv_halt_failure();
    }
}

void smmu_init(void)
{
    if (!hv_platform.has_smmu)
        return;
    smmu.regs = (uintptr_t)hv_platform.smmu.base;
    smmu.idr0 = *reg32(SMMU_IDR0);
    smmu.idr1 = *reg32(SMMU_IDR1);
    smmu.idr5 = *reg32(SMMU_IDR5);
    smmu.sid_bits = IDR1_SIDSIZE(smmu.idr1) < MAX_SID_BITS ? IDR1_SIDSIZE(smmu.idr1) : MAX_SID_BITS;
    smmu.oas_bits = oas_bits(IDR5_OAS(smmu.idr5));
    smmu.coherent = smmu.idr0 & IDR0_COHACC;
    smmu.stage2 = smmu.idr0 & IDR0_S2P;
    if (!check_features())
        hv_halt_failure();
    find_irqs();
    hv_log("SMMU  found at 0x%lx: stage 1 %s, stage 2 %s, %s, %u-bit StreamIDs, %u-bit OAS, "
           "IRQs eventq %u gerror %u", hv_platform.smmu.base, smmu.idr0 & IDR0_S1P ? "yes" : "no",
           smmu.stage2 ? "yes" : "no", smmu.coherent ? "coherent" : "not coherent (cleaning to PoC)",
           IDR1_SIDSIZE(smmu.idr1), smmu.oas_bits, smmu.irq_eventq, smmu.irq_gerror);
    quiesce();
    init_tables();
    setup_queues();
    build_stream_table();
    /* Queue and table accesses: write-back inner shareable if coherent. */
    *reg32(SMMU_CR1) = smmu.coherent ? CR1_ATTRS(1u, 3u) : CR1_ATTRS(0u, 2u);
    *reg32(SMMU_CR2) = CR2_RECINVSID | CR2_PTM;
    cr0_write(CR0_CMDQEN);
    /* Nothing cached from before: every configuration and TLB entry. */
    uint64_t c[SMMU_CMD_DWORDS];
    smmu_cmd_cfgi_all(c);
    cmdq_push(c);
    smmu_cmd_tlbi_nsnh_all(c);
    cmdq_push(c);
    cmdq_sync();
    cr0_write(CR0_CMDQEN | CR0_EVENTQEN);
    setup_irqs();
    smmu.present = true;
    hv_log("SMMU  stream table: %s, %u StreamIDs -> 1 shared table of %u STEs -> %s "
           "(%u pages); queues: %u commands, %u events",
           smmu.sid_bits > STRTAB_SPLIT ? "two-level" : "linear", 1u << smmu.sid_bits,
           1u << (smmu.sid_bits < STRTAB_SPLIT ? smmu.sid_bits : STRTAB_SPLIT),
           smmu.stage2 ? "stage-2 VMID 1" : "stage-1 context ASID 1", (unsigned)smmu_stream_pages(),
           1u << smmu.cmdq_log2, 1u << smmu.evtq_log2);
}

void smmu_enable(void)
{
    if (!smmu.present) {
        hv_log("SMMU  absent: PCIe is kept from VTL0 (docs/dma.md)");
        return;
    }
    tlb_invalidate();
    cr0_write(CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    smmu.enabled = true;
    hv_features |= OVBS_FEAT_SMMU_ENFORCED; /* guests can tell (OVBS_HV_INFO) */
    hv_log("SMMU  context: %s, %u-bit input, identity map of VTL0 RAM with VTL0's access",
           smmu.stage2 ? "stage 2" : "stage 1 (TTB0, 4 KiB granule, unprivileged data)",
           smmu.pt.va_bits);
    hv_log("SMMU enabled before any guest: %lu table pages (+%lu stream table, %lu queue pages)",
           smmu_table_pages(), smmu_stream_pages(), smmu_queue_pages());
}

bool smmu_enabled(void)
{
    return smmu.enabled;
}

uint64_t smmu_table_pages(void)
{
    return smmu.present ? smmu.pt.table_pages : 0;
}

uint64_t smmu_stream_pages(void)
{
    return smmu.present ? smmu.strtab_pages + smmu.l2_pages + 1 : 0;
}

uint64_t smmu_queue_pages(void)
{
    return smmu.present ? 1 + EVTQ_PAGES : 0;
}

/* ---- Events and errors ---------------------------------------------------- */

static void report_event(const uint64_t *rec)
{
    struct smmu_event e;
    smmu_event_decode(rec, &e);
    hv_event(OVBS_EV_DMA_FAULT, e.addr, e.sid | (uint64_t)e.write << 32);
    if (hv_log_allowed(LOG_SRC_DMA))
        hv_log("DMA %s by StreamID 0x%x (PCI %02x:%02x.%u) at 0x%lx blocked by the SMMU (%s)",
               e.write ? "write" : "read", e.sid, (e.sid >> 8) & 0xff, (e.sid >> 3) & 0x1f,
               e.sid & 7, e.addr, smmu_event_name(e.type));
}

/* evtq_lock guards the event queue's consumer side (evtq_cons,
 * events_lost): any CPU may drain. The command queue and the tables are
 * only used under vtl.c's prot_lock (protection changes) or at boot. Lock
 * order: prot_lock, then evtq_lock, then the log's and events' locks. */
static struct spinlock evtq_lock = SPINLOCK_INIT;

static void drain_locked(void);

void smmu_drain_events(void)
{
    if (!smmu.present)
        return;
    uint32_t prod = *reg32(SMMU_EVENTQ_PROD);
    uint32_t mask = (2u << smmu.evtq_log2) - 1;
    if ((prod & mask) == (__atomic_load_n(&smmu.evtq_cons, __ATOMIC_RELAXED) & mask) &&
        !((prod ^ smmu.evtq_cons) & EVTQ_OVFLG))
        return; /* empty, no overflow: the common case, two loads */
    spin_lock(&evtq_lock);
    drain_locked();
    spin_unlock(&evtq_lock);
}

static void drain_locked(void)
{
    uint32_t prod = *reg32(SMMU_EVENTQ_PROD);
    uint32_t mask = (2u << smmu.evtq_log2) - 1;
    while ((prod & mask) != (smmu.evtq_cons & mask)) {
        const uint64_t *rec = &smmu.evtq[(smmu.evtq_cons & ((1u << smmu.evtq_log2) - 1)) *
                                         SMMU_EVT_DWORDS];
        dcache_op(rec, SMMU_EVT_DWORDS * 8, true);
        report_event(rec);
        smmu.evtq_cons = (smmu.evtq_cons & EVTQ_OVFLG) | q_next(smmu.evtq_cons & mask, smmu.evtq_log2);
    }
    if ((prod ^ smmu.evtq_cons) & EVTQ_OVFLG) {
        smmu.events_lost++;
        hv_log("SMMU event queue overflowed: some DMA faults were not recorded");
        smmu.evtq_cons ^= EVTQ_OVFLG; /* acknowledge: OVACKFLG = OVFLG */
    }
    *reg32(SMMU_EVENTQ_CONS) = smmu.evtq_cons;
}

static void handle_gerror(void)
{
    uint32_t active = *reg32(SMMU_GERROR) ^ *reg32(SMMU_GERRORN);
    if (active & (GERROR_CMDQ_ERR | GERROR_SFM_ERR))
        fatal(active & GERROR_SFM_ERR ? "service failure mode" : "command queue error", active);
    if (active & GERROR_EVTQ_ABT)
        hv_log("SMMU could not write its event queue: DMA faults lost");
    *reg32(SMMU_GERRORN) = *reg32(SMMU_GERRORN) ^ active; /* acknowledge */
}

bool smmu_handle_irq(uint32_t intid)
{
    if (!smmu.present || !intid)
        return false;
    if (intid == smmu.irq_eventq) {
        smmu_drain_events();
        return true;
    }
    if (intid == smmu.irq_gerror) {
        handle_gerror();
        return true;
    }
    return false;
}
