/* smmu_desc.h: encoders for the SMMUv3's in-memory structures (Arm IHI 0070):
 * stream table entries, context descriptors, level-1 stream table
 * descriptors, commands, and the decoder for event records. Pure bit
 * layout, no hardware access: used by hv/smmu.c at EL2 and by the host test
 * tests/host/test_smmu.c. All structures are little-endian 64-bit words. */
#ifndef OVBS_HV_SMMU_DESC_H
#define OVBS_HV_SMMU_DESC_H
#include <stdbool.h>
#include <stdint.h>

#define SMMU_STE_DWORDS   8  /* a stream table entry is 64 bytes */
#define SMMU_CD_DWORDS    8  /* a context descriptor is 64 bytes */
#define SMMU_CMD_DWORDS   2  /* a command is 16 bytes */
#define SMMU_EVT_DWORDS   4  /* an event record is 32 bytes */

/* Where the SMMU's table walks and structure fetches go: cacheable and
 * inner shareable when it is coherent with the CPUs (IDR0.COHACC), else
 * non-cacheable (and the CPU cleans what it writes to PoC). */
struct smmu_s1_ctx {
    uint64_t ttb0;      /* stage-1 table root (physical address) */
    unsigned ia_bits;   /* input address size: T0SZ = 64 - ia_bits */
    unsigned ips;       /* output size, IDR5.OAS encoding (0 = 32 bits .. 5 = 48) */
    uint16_t asid;
    uint64_t mair;      /* MAIR value for the AttrIndx of the leaves */
    bool coherent;
};

struct smmu_s2_ctx {
    uint64_t ttb;       /* stage-2 table root */
    unsigned ia_bits;   /* S2T0SZ = 64 - ia_bits */
    unsigned sl0;       /* start level, VTCR encoding: 2 = level 0, 1 = level 1, 0 = level 2 */
    unsigned ps;        /* output size, IDR5.OAS encoding */
    uint16_t vmid;
    bool coherent;
};

/* A context descriptor for one stage-1 address space: TTB0 only (TTB1's
 * walks disabled, EPD1), 4 KiB granule, AArch64 tables, faults recorded
 * (R) and aborted (A), never stalled. */
void smmu_cd_s1(uint64_t cd[SMMU_CD_DWORDS], const struct smmu_s1_ctx *c);
/* An STE that translates with stage 1 through the context descriptor at
 * cd_pa (S1CDMAX 0: one CD, no substreams; a transaction with a substream
 * ID is terminated), stage 2 bypassed, ATS off (EATS 0), every transaction
 * made unprivileged data (PRIVCFG, INSTCFG). */
void smmu_ste_s1(uint64_t ste[SMMU_STE_DWORDS], uint64_t cd_pa, bool coherent);
/* An STE that translates with stage 2 only (Config 0b110, for an SMMU
 * with IDR0.S2P): untested on real hardware, QEMU 7.2 has no stage 2. */
void smmu_ste_s2(uint64_t ste[SMMU_STE_DWORDS], const struct smmu_s2_ctx *c);
/* A valid STE that aborts every transaction (Config 0b000). */
void smmu_ste_abort(uint64_t ste[SMMU_STE_DWORDS]);

/* A level-1 stream table descriptor: the level-2 table at l2_pa holds
 * 2^split STEs (Span = split + 1). */
uint64_t smmu_l1_desc(uint64_t l2_pa, unsigned split);
/* SMMU_STRTAB_BASE_CFG for a two-level table. */
uint32_t smmu_strtab_cfg_2lvl(unsigned log2size, unsigned split);
/* SMMU_CMDQ_BASE / SMMU_EVENTQ_BASE: address, 2^log2size entries,
 * read/write-allocate hint when coherent. */
uint64_t smmu_queue_base(uint64_t pa, unsigned log2size, bool coherent);

/* Commands (opcode in bits 7:0 of the first word). */
#define SMMU_OP_CFGI_STE      0x03
#define SMMU_OP_CFGI_ALL      0x04 /* CFGI_STE_RANGE with Range 31 */
#define SMMU_OP_TLBI_NH_ALL   0x10
#define SMMU_OP_TLBI_NH_ASID  0x11
#define SMMU_OP_TLBI_S12_VMALL 0x28
#define SMMU_OP_TLBI_NSNH_ALL 0x30
#define SMMU_OP_SYNC          0x46
void smmu_cmd_cfgi_all(uint64_t cmd[SMMU_CMD_DWORDS]);
void smmu_cmd_tlbi_nh_asid(uint64_t cmd[SMMU_CMD_DWORDS], uint16_t asid);
void smmu_cmd_tlbi_nsnh_all(uint64_t cmd[SMMU_CMD_DWORDS]);
void smmu_cmd_tlbi_s12_vmall(uint64_t cmd[SMMU_CMD_DWORDS], uint16_t vmid);
/* CMD_SYNC with no signal (CS = SIG_NONE): it completes when the command
 * queue's CONS moves past it, after every earlier command completed. */
void smmu_cmd_sync(uint64_t cmd[SMMU_CMD_DWORDS]);
const char *smmu_cmd_name(uint8_t opcode);

/* Event records (type in bits 7:0). */
#define SMMU_EVT_F_UUT            0x01
#define SMMU_EVT_C_BAD_STREAMID   0x02
#define SMMU_EVT_F_STE_FETCH      0x03
#define SMMU_EVT_C_BAD_STE        0x04
#define SMMU_EVT_F_STREAM_DISABLED 0x06
#define SMMU_EVT_F_TRANSL_FORBIDDEN 0x07
#define SMMU_EVT_C_BAD_SUBSTREAMID 0x08
#define SMMU_EVT_F_CD_FETCH       0x09
#define SMMU_EVT_C_BAD_CD         0x0a
#define SMMU_EVT_F_WALK_EABT      0x0b
#define SMMU_EVT_F_TRANSLATION    0x10
#define SMMU_EVT_F_ADDR_SIZE      0x11
#define SMMU_EVT_F_ACCESS         0x12
#define SMMU_EVT_F_PERMISSION     0x13

struct smmu_event {
    uint8_t type;
    uint32_t sid;       /* StreamID: the PCIe requester ID behind an iommu-map */
    uint64_t addr;      /* input (device) address, 0 if the type has none */
    bool write;         /* RnW clear: the transaction was a write */
};
void smmu_event_decode(const uint64_t rec[SMMU_EVT_DWORDS], struct smmu_event *e);
const char *smmu_event_name(uint8_t type);
#endif
