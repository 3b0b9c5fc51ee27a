/* edu.c: driver for QEMU's "edu" teaching device (EL1 of VTL0). BAR0 holds
 * its registers; its DMA engine copies between memory (a DMA address) and
 * a 4 KiB buffer inside the device, which the device addresses as
 * 0x40000..0x40fff and the CPU cannot read directly. One transfer at a
 * time: program source, destination and count, then start it with the
 * command register; the engine works for about 100 ms of virtual time
 * and clears the command's RUN bit when done. QEMU aborts on a transfer
 * ending exactly at the buffer's end, so callers stay at 2 KiB or less.
 * Its interrupt is an MSI when the MSI capability is enabled. */
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pci.h"

#define EDU_VENDOR    0x1234
#define EDU_DEVICE    0x11e8
#define EDU_ID        0x00 /* 0x010000ed: version 1.0, "ed" */
#define EDU_LIVENESS  0x04 /* reads back the inverse of what was written */
#define EDU_IRQ_RAISE 0x60 /* write: these bits set in the status, interrupt raised */
#define EDU_IRQ_ACK   0x64 /* write: these bits cleared, interrupt lowered */
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD   0x98
#define CMD_RUN       (1u << 0) /* start; reads as 1 until the transfer ends */
#define CMD_TO_RAM    (1u << 1) /* direction: device buffer -> memory */
#define EDU_BUF       0x40000   /* the device's own address of its buffer */
#define EDU_MAX_LEN   2048
#define EDU_WAIT_MS   2000      /* a transfer takes ~100 ms; then give up */

#define PCI_CAP_MSI   0x05
#define MSI_ENABLE    (1u << 16) /* Message Control bit 0, in the capability's first dword */
#define MSI_64BIT     (1u << 23) /* Message Control bit 7 */

static const struct pci_dev *edu;
static volatile uint8_t *regs;

static uint64_t rd64(unsigned off) { return *(volatile uint64_t *)(regs + off); }
static uint32_t rd32(unsigned off) { return *(volatile uint32_t *)(regs + off); }
static void wr64(unsigned off, uint64_t v) { *(volatile uint64_t *)(regs + off) = v; }
static void wr32(unsigned off, uint32_t v) { *(volatile uint32_t *)(regs + off) = v; }

bool edu_init(void)
{
    if (edu)
        return true;
    if (!pci_enumerate())
        return false;
    const struct pci_dev *d = pci_find(EDU_VENDOR, EDU_DEVICE);
    if (!d || !d->bar[0]) {
        kprintf("    edu: no device with an assigned BAR0 (QEMU -device edu?)\n");
        return false;
    }
    regs = (volatile uint8_t *)(uintptr_t)d->bar[0];
    wr32(EDU_LIVENESS, 0x12345678);
    if (rd32(EDU_ID) >> 16 != 0x0100 || rd32(EDU_LIVENESS) != ~0x12345678u) {
        kprintf("    edu: BAR0 at 0x%lx does not answer like edu\n", d->bar[0]);
        return false;
    }
    edu = d;
    return true;
}

/* Start a transfer and wait for the RUN bit to clear. A refused DMA (the
 * SMMU faulted it) still completes from the device's point of view. */
static bool run(uint64_t src, uint64_t dst, unsigned len, uint32_t dir)
{
    if (!edu || len == 0 || len > EDU_MAX_LEN || (rd64(EDU_DMA_CMD) & CMD_RUN))
        return false;
    dsb_sy(); /* our writes to the memory reach it before the device reads it */
    wr64(EDU_DMA_SRC, src);
    wr64(EDU_DMA_DST, dst);
    wr64(EDU_DMA_COUNT, len);
    wr64(EDU_DMA_CMD, CMD_RUN | dir);
    uint64_t until = deadline_ms(EDU_WAIT_MS);
    while (rd64(EDU_DMA_CMD) & CMD_RUN) {
        if (past(until)) {
            kprintf("    edu: DMA 0x%lx -> 0x%lx (%u bytes) did not finish in %u ms\n", src, dst,
                    len, EDU_WAIT_MS);
            return false;
        }
    }
    dsb_sy();
    return true;
}

bool edu_dma_in(uint64_t src, unsigned off, unsigned len)
{
    return off + len < EDU_BUF_SIZE && run(src, EDU_BUF + off, len, 0);
}

bool edu_dma_out(unsigned off, uint64_t dst, unsigned len)
{
    return off + len < EDU_BUF_SIZE && run(EDU_BUF + off, dst, len, CMD_TO_RAM);
}

/* The MSI capability: dword 0 = ID, next, Message Control; then the
 * address (low, and high if 64-bit capable) and the 16-bit data. An MSI is
 * nothing but a DMA write of the data to the address, so it goes through
 * the SMMU like any other write. */
bool edu_msi_fire(uint64_t addr, uint32_t data)
{
    unsigned cap = edu ? pci_find_cap(edu, PCI_CAP_MSI, 0) : 0;
    if (!cap)
        return false;
    uint32_t ctl = pci_cfg_read(edu, cap);
    bool wide = ctl & MSI_64BIT;
    pci_cfg_write(edu, cap + 4, (uint32_t)addr);
    if (wide)
        pci_cfg_write(edu, cap + 8, (uint32_t)(addr >> 32));
    pci_cfg_write(edu, cap + (wide ? 12 : 8), data & 0xffff);
    pci_cfg_write(edu, cap, ctl | MSI_ENABLE);
    wr32(EDU_IRQ_RAISE, 1);
    dsb_sy();
    wr32(EDU_IRQ_ACK, 1);
    pci_cfg_write(edu, cap, ctl & ~MSI_ENABLE);
    return true;
}
