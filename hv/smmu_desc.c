/* smmu_desc.c: SMMUv3 structure and command encoders (see smmu_desc.h).
 * Pure bit layout; runs at EL2 and in the host test. Field positions are
 * from the SMMUv3 architecture (Arm IHI 0070), chapters 5 (STE, CD), 4
 * (commands) and 7 (events). */
#include "smmu_desc.h"

#define BITS(v, lo)      ((uint64_t)(v) << (lo))
#define ADDR_52_4        0x000ffffffffffff0ull /* address bits 51:4 */
#define ADDR_52_6        0x000fffffffffffc0ull /* address bits 51:6 */
#define ADDR_52_5        0x000fffffffffffe0ull /* address bits 51:5 */

/* Memory attributes of table walks and fetches: 1 = write-back
 * read/write-allocate, 0 = non-cacheable; shareability 3 = inner, 2 = outer. */
#define CACHE_WB         1u
#define CACHE_NC         0u
#define SH_INNER         3u
#define SH_OUTER         2u

static unsigned cache_of(bool coherent)
{
    return coherent ? CACHE_WB : CACHE_NC;
}

static unsigned sh_of(bool coherent)
{
    return coherent ? SH_INNER : SH_OUTER;
}

static void zero(uint64_t *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        w[i] = 0;
}

/* ---- Context descriptor (IHI 0070 5.4) ---------------------------------
 * word 0: T0SZ 5:0, TG0 7:6 (0 = 4 KiB), IR0 9:8, OR0 11:10, SH0 13:12,
 *   EPD0 14, ENDI 15, EPD1 30, V 31, IPS 34:32, AFFD 35, TBI 39:38,
 *   AA64 41, HD 42, HA 43, S 44 (stall), R 45 (record faults), A 46 (abort
 *   faulting transactions), ASET 47, ASID 63:48.
 * word 1: TTB0 51:4.  word 2: TTB1.  word 3: MAIR (MAIR0 31:0, MAIR1 63:32). */
#define CD0_EPD1         BITS(1, 30)
#define CD0_V            BITS(1, 31)
#define CD0_AA64         BITS(1, 41)
#define CD0_R            BITS(1, 45)
#define CD0_A            BITS(1, 46)
#define CD0_ASET         BITS(1, 47) /* private ASID set: no broadcast TLBI hits it */

void smmu_cd_s1(uint64_t cd[SMMU_CD_DWORDS], const struct smmu_s1_ctx *c)
{
    zero(cd, SMMU_CD_DWORDS);
    unsigned cache = cache_of(c->coherent);
    cd[0] = BITS(64 - c->ia_bits, 0) | BITS(0, 6) /* TG0 4 KiB */ | BITS(cache, 8) |
            BITS(cache, 10) | BITS(sh_of(c->coherent), 12) | CD0_EPD1 | CD0_V |
            BITS(c->ips & 7, 32) | CD0_AA64 | CD0_R | CD0_A | CD0_ASET | BITS(c->asid, 48);
    cd[1] = c->ttb0 & ADDR_52_4;
    cd[3] = c->mair;
}

/* ---- Stream table entry (IHI 0070 5.2) ---------------------------------
 * word 0: V 0, Config 3:1 (0b000 abort, 0b100 bypass, 0b101 stage 1,
 *   0b110 stage 2, 0b111 both), S1Fmt 5:4, S1ContextPtr 51:6, S1CDMax 63:59.
 * word 1: S1DSS 1:0, S1CIR 3:2, S1COR 5:4, S1CSH 7:6, S1STALLD 27,
 *   EATS 29:28 (0: ATS translation requests refused), STRW 31:30 (0 = EL1),
 *   SHCFG 45:44 (1 = incoming), PRIVCFG 49:48 (2 = unprivileged),
 *   INSTCFG 51:50 (2 = data).
 * word 2: S2VMID 15:0, S2T0SZ 37:32, S2SL0 39:38, S2IR0 41:40, S2OR0 43:42,
 *   S2SH0 45:44, S2TG 47:46 (0 = 4 KiB), S2PS 50:48, S2AA64 51, S2ENDI 52,
 *   S2AFFD 53, S2PTW 54, S2S 57, S2R 58.
 * word 3: S2TTB 51:4. */
#define STE0_V           BITS(1, 0)
#define STE0_CFG_ABORT   BITS(0, 1)
#define STE0_CFG_S1      BITS(5, 1)
#define STE0_CFG_S2      BITS(6, 1)
#define STE1_SHCFG_IN    BITS(1, 44)
#define STE1_PRIV_UNPRIV BITS(2, 48)
#define STE1_INST_DATA   BITS(2, 50)
#define STE2_S2AA64      BITS(1, 51)
#define STE2_S2PTW       BITS(1, 54) /* stage-1 walks to Device memory fault */
#define STE2_S2R         BITS(1, 58)

/* What every translating STE says about the transactions themselves:
 * unprivileged data accesses, the device's own shareability, no ATS. */
static uint64_t ste1_transaction_attrs(void)
{
    return STE1_SHCFG_IN | STE1_PRIV_UNPRIV | STE1_INST_DATA;
}

void smmu_ste_s1(uint64_t ste[SMMU_STE_DWORDS], uint64_t cd_pa, bool coherent)
{
    zero(ste, SMMU_STE_DWORDS);
    unsigned cache = cache_of(coherent);
    ste[0] = STE0_V | STE0_CFG_S1 | (cd_pa & ADDR_52_6); /* S1Fmt 0, S1CDMax 0 */
    ste[1] = BITS(0, 0) /* S1DSS: terminate substreams */ | BITS(cache, 2) |
             BITS(cache, 4) | BITS(sh_of(coherent), 6) | ste1_transaction_attrs();
}

void smmu_ste_s2(uint64_t ste[SMMU_STE_DWORDS], const struct smmu_s2_ctx *c)
{
    zero(ste, SMMU_STE_DWORDS);
    unsigned cache = cache_of(c->coherent);
    ste[0] = STE0_V | STE0_CFG_S2;
    ste[1] = ste1_transaction_attrs();
    ste[2] = BITS(c->vmid, 0) | BITS(64 - c->ia_bits, 32) | BITS(c->sl0 & 3, 38) |
             BITS(cache, 40) | BITS(cache, 42) | BITS(sh_of(c->coherent), 44) |
             BITS(0, 46) /* S2TG 4 KiB */ | BITS(c->ps & 7, 48) | STE2_S2AA64 | STE2_S2PTW |
             STE2_S2R;
    ste[3] = c->ttb & ADDR_52_4;
}

void smmu_ste_abort(uint64_t ste[SMMU_STE_DWORDS])
{
    zero(ste, SMMU_STE_DWORDS);
    ste[0] = STE0_V | STE0_CFG_ABORT;
}

/* ---- Stream table descriptors and queue registers ----------------------
 * L1STD (IHI 0070 5.1): Span 4:0 (0 = invalid: every StreamID under it
 * aborts with C_BAD_STREAMID; n = 2^(n-1) STEs), L2Ptr 51:6.
 * STRTAB_BASE_CFG: LOG2SIZE 5:0, SPLIT 10:6, FMT 17:16 (1 = two-level).
 * CMDQ_BASE/EVENTQ_BASE: LOG2SIZE 4:0, ADDR 51:5, RA/WA 62. */
uint64_t smmu_l1_desc(uint64_t l2_pa, unsigned split)
{
    return (l2_pa & ADDR_52_6) | BITS(split + 1, 0);
}

uint32_t smmu_strtab_cfg_2lvl(unsigned log2size, unsigned split)
{
    return (uint32_t)(BITS(1, 16) | BITS(split & 0x1f, 6) | BITS(log2size & 0x3f, 0));
}

uint64_t smmu_queue_base(uint64_t pa, unsigned log2size, bool coherent)
{
    return (coherent ? BITS(1, 62) : 0) | (pa & ADDR_52_5) | (log2size & 0x1f);
}

/* ---- Commands (IHI 0070 4.3-4.7) ----------------------------------------
 * CFGI_STE_RANGE (0x04): Range in word 1 bits 4:0, 31 = every StreamID.
 * TLBI_NH_ASID (0x11): ASID 63:48 (VMID 47:32 unused without stage 2).
 * TLBI_S12_VMALL (0x28): VMID 47:32.  TLBI_NSNH_ALL (0x30): everything
 * non-secure.  SYNC (0x46): CS 13:12 (0 = no signal), MSH, MSIAttr,
 * MSIData 63:32, MSIAddr in word 1. */
static void cmd(uint64_t c[SMMU_CMD_DWORDS], uint64_t w0, uint64_t w1)
{
    c[0] = w0;
    c[1] = w1;
}

void smmu_cmd_cfgi_all(uint64_t c[SMMU_CMD_DWORDS])
{
    cmd(c, SMMU_OP_CFGI_ALL, 31);
}

void smmu_cmd_tlbi_nh_asid(uint64_t c[SMMU_CMD_DWORDS], uint16_t asid)
{
    cmd(c, SMMU_OP_TLBI_NH_ASID | BITS(asid, 48), 0);
}

void smmu_cmd_tlbi_nsnh_all(uint64_t c[SMMU_CMD_DWORDS])
{
    cmd(c, SMMU_OP_TLBI_NSNH_ALL, 0);
}

void smmu_cmd_tlbi_s12_vmall(uint64_t c[SMMU_CMD_DWORDS], uint16_t vmid)
{
    cmd(c, SMMU_OP_TLBI_S12_VMALL | BITS(vmid, 32), 0);
}

void smmu_cmd_sync(uint64_t c[SMMU_CMD_DWORDS])
{
    cmd(c, SMMU_OP_SYNC, 0);
}

const char *smmu_cmd_name(uint8_t op)
{
    switch (op) {
    case SMMU_OP_CFGI_STE: return "CFGI_STE";
    case SMMU_OP_CFGI_ALL: return "CFGI_ALL";
    case SMMU_OP_TLBI_NH_ALL: return "TLBI_NH_ALL";
    case SMMU_OP_TLBI_NH_ASID: return "TLBI_NH_ASID";
    case SMMU_OP_TLBI_S12_VMALL: return "TLBI_S12_VMALL";
    case SMMU_OP_TLBI_NSNH_ALL: return "TLBI_NSNH_ALL";
    case SMMU_OP_SYNC: return "SYNC";
    default: return "?";
    }
}

/* ---- Event records (IHI 0070 7.3) ---------------------------------------
 * word 0: type 7:0, SSV 11, SubstreamID 31:12, StreamID 63:32.
 * word 1 (translation-type faults): STAG 15:0, Stall 31, PnU 33, InD 34,
 *   RnW 35 (1 = read), S2 39, CLASS 41:40.
 * word 2: InputAddr.  word 3: the IPA (stage-2 faults) or fetch address. */
static bool has_input_addr(uint8_t type)
{
    switch (type) {
    case SMMU_EVT_F_UUT:
    case SMMU_EVT_F_TRANSL_FORBIDDEN:
    case SMMU_EVT_F_WALK_EABT:
    case SMMU_EVT_F_TRANSLATION:
    case SMMU_EVT_F_ADDR_SIZE:
    case SMMU_EVT_F_ACCESS:
    case SMMU_EVT_F_PERMISSION:
        return true;
    default:
        return false;
    }
}

void smmu_event_decode(const uint64_t rec[SMMU_EVT_DWORDS], struct smmu_event *e)
{
    e->type = (uint8_t)rec[0];
    e->sid = (uint32_t)(rec[0] >> 32);
    bool addr = has_input_addr(e->type);
    e->addr = addr ? rec[2] : 0;
    e->write = addr && !((rec[1] >> 35) & 1);
}

const char *smmu_event_name(uint8_t type)
{
    switch (type) {
    case SMMU_EVT_F_UUT: return "F_UUT";
    case SMMU_EVT_C_BAD_STREAMID: return "C_BAD_STREAMID";
    case SMMU_EVT_F_STE_FETCH: return "F_STE_FETCH";
    case SMMU_EVT_C_BAD_STE: return "C_BAD_STE";
    case SMMU_EVT_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
    case SMMU_EVT_F_TRANSL_FORBIDDEN: return "F_TRANSL_FORBIDDEN";
    case SMMU_EVT_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
    case SMMU_EVT_F_CD_FETCH: return "F_CD_FETCH";
    case SMMU_EVT_C_BAD_CD: return "C_BAD_CD";
    case SMMU_EVT_F_WALK_EABT: return "F_WALK_EABT";
    case SMMU_EVT_F_TRANSLATION: return "F_TRANSLATION";
    case SMMU_EVT_F_ADDR_SIZE: return "F_ADDR_SIZE";
    case SMMU_EVT_F_ACCESS: return "F_ACCESS";
    case SMMU_EVT_F_PERMISSION: return "F_PERMISSION";
    default: return "event";
    }
}
