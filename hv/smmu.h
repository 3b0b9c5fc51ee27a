/* smmu.h: the hypervisor's SMMUv3 driver (EL2). The SMMU translates every
 * DMA of the PCIe devices behind it through tables the hypervisor builds
 * from the ownership map, so a device VTL0 programs reaches exactly the
 * VTL0 RAM VTL0's own CPU may reach, with at most the same access. */
#ifndef OVBS_HV_SMMU_H
#define OVBS_HV_SMMU_H
#include <stdbool.h>
#include <stdint.h>

/* Probe and program the SMMU (queues, stream table, context), every
 * transaction aborting until smmu_enable. No-op without an SMMU. */
void smmu_init(void);
/* Set the devices' access to [base, base+size) of VTL0 RAM from VTL0's
 * access bits (OVBS_ACC_*): readable pages map read-only, or read/write
 * when VTL0 may write; anything VTL0 cannot read is unmapped. The SMMU's
 * TLBs are invalidated (CMD_TLBI + CMD_SYNC) before it returns. Returns
 * PT_OK or a PT_ERR_* code (nothing changed). */
int smmu_set_vtl0_access(uint64_t base, uint64_t size, uint8_t access);
/* The most pool pages smmu_set_vtl0_access of this range can take. */
uint64_t smmu_update_max_pages(uint64_t base, uint64_t size, uint8_t access);
/* True if a device's access to `addr` would translate (the boot check). */
bool smmu_translates(uint64_t addr);
/* SMMUEN, last, before any guest runs. */
void smmu_enable(void);
bool smmu_enabled(void);
/* Move every record in the event queue into the hypervisor's event record
 * (OVBS_EV_DMA_FAULT) and the log. Cheap when the queue is empty. */
void smmu_drain_events(void);
/* One of the SMMU's wired interrupts fired (gic.c): true if it was. */
bool smmu_handle_irq(uint32_t intid);
/* hv.selftest=smmu-bad-command: an illegal command (opcode 0x7f) and a
 * CMD_SYNC, which must stop the machine with a decoded report. */
void smmu_selftest_bad_command(void);
/* Pages the SMMU uses: translation tables for VTL0 RAM; stream table and
 * context descriptor; command and event queues. */
uint64_t smmu_table_pages(void);
uint64_t smmu_stream_pages(void);
uint64_t smmu_queue_pages(void);
#endif
