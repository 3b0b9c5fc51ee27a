/* devices.h: devices that could master memory past the SMMU, and how VTL0
 * is kept from them (EL2): virtio-mmio transports at boot
 * (virtio_mmio.c), PCIe functions on every config access (pcie.c). */
#ifndef OVBS_HV_DEVICES_H
#define OVBS_HV_DEVICES_H
#include <stdbool.h>
#include <stdint.h>
#include "percpu.h"
#include "platform.h"

/* Read every virtio-mmio transport's header and mark the pages to keep
 * hv_owned (before the ownership map registers devices). */
void virtio_mmio_probe(struct platform *p);

struct stage2;
/* Take the ECAM window out of VTL0's stage 2 (after it is built). */
void pcie_protect(struct stage2 *vtl0);
/* A VTL0 data abort in the ECAM window: emulate it (true), or false if
 * `ipa` is not there or the access is not a 1-, 2- or 4-byte aligned one. */
bool pcie_emulate(struct guest_regs *regs, uint32_t esr, uint64_t ipa);
#endif
