/* pci.h: the VTL0 test kernel's small PCIe drivers (EL1 of VTL0): the ECAM
 * host bridge, QEMU's edu device and virtio-rng-pci. They exist so that
 * VTL0 can aim devices' DMA at memory it must not reach (dma_tests.c). */
#ifndef OVBS_VTL0_PCI_H
#define OVBS_VTL0_PCI_H
#include <stdbool.h>
#include <stdint.h>

/* ---- PCIe (pci.c) --------------------------------------------------------- */
struct pci_dev {
    uint8_t bus, dev;          /* function 0 only */
    uint16_t vendor, device;
    uint64_t bar[6];           /* CPU address of each memory BAR, 0 if none */
    uint64_t bar_size[6];
};

/* At boot, before the MMU is on (the tree is outside our stage 1). */
void pci_dt_init(const void *fdt);
/* Enumerate once (later calls return the first result): bus numbers,
 * bridge windows and BARs assigned, Memory Space and Bus Master on. */
bool pci_enumerate(void);
const struct pci_dev *pci_find(uint16_t vendor, uint16_t device);
uint32_t pci_cfg_read(const struct pci_dev *d, unsigned off);
void pci_cfg_write(const struct pci_dev *d, unsigned off, uint32_t value);
/* Offset of the first capability `id` at or after list entry `from` (0 =
 * the start of the list); 0 if none. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from);

/* A bounded wait: the virtual counter's value `ms` milliseconds from now. */
uint64_t deadline_ms(unsigned ms);
bool past(uint64_t deadline);

/* ---- edu (edu.c): QEMU's teaching device with a DMA engine -------------- */
#define EDU_BUF_SIZE 4096
bool edu_init(void);
/* Copy `len` (<= 2048) bytes from physical `src` into the device's buffer at
 * `off`, or from the buffer to physical `dst`. The physical address is the
 * device's DMA address (an IOVA: the SMMU maps VTL0 RAM one to one). False
 * if the engine did not finish in time. */
bool edu_dma_in(uint64_t src, unsigned off, unsigned len);
bool edu_dma_out(unsigned off, uint64_t dst, unsigned len);
/* MSI: point the capability at `addr` with `data`, then raise and ack an
 * interrupt; false if the device has no MSI capability. */
bool edu_msi_fire(uint64_t addr, uint32_t data);

/* ---- virtio-rng-pci (virtio_pci.c) ------------------------------------- */
/* Reset and set up the device and its one virtqueue; false (with a line
 * saying why) if a step is refused. */
bool vrng_init(void);
/* Post one device-writable buffer at physical `pa`, notify, and wait up to
 * `ms` for the used ring: *got = bytes the device says it wrote. False on
 * time-out. */
bool vrng_fill(uint64_t pa, uint32_t len, unsigned ms, uint32_t *got);
#endif
