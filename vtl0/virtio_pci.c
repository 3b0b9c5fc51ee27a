/* virtio_pci.c: a modern (virtio 1.x) PCI driver for virtio-rng, one
 * virtqueue, polled (EL1 of VTL0). The device's registers are found through
 * vendor-specific PCI capabilities (ID 0x09), each naming a BAR, an offset
 * and a length: the common configuration (features, status, queues) and
 * the notification area. A split virtqueue is three arrays in our RAM: the
 * descriptors (buffer address, length, flags), the available ring (which
 * descriptors we offer) and the used ring (which the device has filled). */
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pci.h"

#define VIRTIO_VENDOR  0x1af4
#define VIRTIO_RNG_PCI 0x1044 /* 0x1040 + device type 4 (entropy): modern only */
#define PCI_CAP_VENDOR 0x09
#define CFG_COMMON     1
#define CFG_NOTIFY     2

/* The common configuration structure (virtio 1.x, 4.1.4.3). */
struct virtio_common {
    uint32_t device_feature_select, device_feature;
    uint32_t driver_feature_select, driver_feature;
    uint16_t msix_config, num_queues;
    uint8_t device_status, config_generation;
    uint16_t queue_select, queue_size, queue_msix_vector, queue_enable, queue_notify_off;
    /* 64-bit addresses as two 32-bit halves: the spec lets a device take
     * only 32-bit accesses (QEMU ignores wider ones). */
    uint32_t queue_desc[2], queue_driver[2], queue_device[2];
};
#define ST_ACKNOWLEDGE 1
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8
/* Feature bits we accept, in the upper 32-bit word: VIRTIO_F_VERSION_1
 * (32, the modern interface) and VIRTIO_F_ACCESS_PLATFORM (33: the device
 * uses the platform's IOMMU; without it QEMU lets it bypass the SMMU). */
#define F_HI_VERSION_1       (1u << 0)
#define F_HI_ACCESS_PLATFORM (1u << 1)

#define QSIZE       8
#define DESC_WRITE  2 /* descriptor flag: the device writes this buffer */
struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq_avail { uint16_t flags, idx, ring[QSIZE], used_event; };
struct vq_used_elem { uint32_t id, len; };
struct vq_used { uint16_t flags, idx; struct vq_used_elem ring[QSIZE]; uint16_t avail_event; };

static struct vq_desc desc[QSIZE] __attribute__((aligned(4096)));
static struct vq_avail avail __attribute__((aligned(4096)));
static struct vq_used used __attribute__((aligned(4096)));
static uint16_t last_used;

static volatile struct virtio_common *common;
static volatile uint16_t *notify; /* where queue 0's notification goes */

/* Capability fields after ID, next, length: cfg_type (byte 3), BAR (4),
 * offset (dword 2), length (dword 3); the notify capability adds the
 * multiplier for queue_notify_off (dword 4). */
static bool find_caps(const struct pci_dev *d, uint32_t *mult, uint64_t *notify_base)
{
    common = 0;
    *notify_base = 0;
    for (unsigned cap = pci_find_cap(d, PCI_CAP_VENDOR, 0); cap;
         cap = pci_find_cap(d, PCI_CAP_VENDOR, cap)) {
        uint32_t w0 = pci_cfg_read(d, cap), w1 = pci_cfg_read(d, cap + 4);
        unsigned type = w0 >> 24, bar = w1 & 0xff;
        if (bar > 5 || !d->bar[bar])
            continue;
        uint64_t at = d->bar[bar] + pci_cfg_read(d, cap + 8);
        if (type == CFG_COMMON && !common)
            common = (volatile struct virtio_common *)(uintptr_t)at;
        if (type == CFG_NOTIFY && !*notify_base) {
            *notify_base = at;
            *mult = pci_cfg_read(d, cap + 16);
        }
    }
    return common && *notify_base;
}

static bool fail(const char *why)
{
    kprintf("    virtio-rng: %s\n", why);
    if (common)
        common->device_status = 0;
    return false;
}

/* Features: read both 32-bit halves, accept only the two we know. */
static bool negotiate(void)
{
    common->device_feature_select = 1;
    uint32_t hi = common->device_feature;
    uint32_t want = F_HI_VERSION_1 | F_HI_ACCESS_PLATFORM;
    if ((hi & want) != want)
        return fail("device lacks VERSION_1 or ACCESS_PLATFORM (iommu_platform=on?)");
    common->driver_feature_select = 0;
    common->driver_feature = 0;
    common->driver_feature_select = 1;
    common->driver_feature = want;
    common->device_status = ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK;
    if (!(common->device_status & ST_FEATURES_OK))
        return fail("FEATURES_OK refused");
    return true;
}

static void set64(volatile uint32_t *half, uint64_t v)
{
    half[0] = (uint32_t)v;
    half[1] = (uint32_t)(v >> 32);
}

static bool setup_queue(uint64_t notify_base, uint32_t mult)
{
    common->queue_select = 0;
    if (common->queue_size < QSIZE)
        return fail("queue 0 too small");
    common->queue_size = QSIZE;
    avail.idx = 0;
    avail.flags = 1; /* no interrupts: we poll */
    used.idx = 0;
    last_used = 0;
    set64(common->queue_desc, pa(desc));
    set64(common->queue_driver, pa(&avail));
    set64(common->queue_device, pa(&used));
    common->queue_enable = 1;
    notify = (volatile uint16_t *)(uintptr_t)(notify_base + (uint64_t)common->queue_notify_off *
                                                                mult);
    return true;
}

bool vrng_init(void)
{
    if (!pci_enumerate())
        return false;
    const struct pci_dev *d = pci_find(VIRTIO_VENDOR, VIRTIO_RNG_PCI);
    uint32_t mult = 0;
    uint64_t notify_base;
    if (!d)
        return fail("no modern virtio-rng-pci device");
    if (!find_caps(d, &mult, &notify_base))
        return fail("no common or notify capability in an assigned BAR");
    common->device_status = 0; /* reset; reads 0 once done */
    uint64_t until = deadline_ms(100);
    while (common->device_status != 0) {
        if (past(until))
            return fail("reset did not finish");
    }
    common->device_status = ST_ACKNOWLEDGE | ST_DRIVER;
    if (!negotiate() || !setup_queue(notify_base, mult))
        return false;
    common->device_status = ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK;
    return true;
}

bool vrng_fill(uint64_t buf, uint32_t len, unsigned ms, uint32_t *got)
{
    if (!notify)
        return false;
    uint16_t slot = avail.idx % QSIZE;
    desc[slot] = (struct vq_desc){ buf, len, DESC_WRITE, 0 };
    avail.ring[slot] = slot;
    dsb_sy(); /* the descriptor before the index that offers it */
    avail.idx++;
    dsb_sy(); /* the index before the notification */
    *notify = 0;
    uint64_t until = deadline_ms(ms);
    while (*(volatile uint16_t *)&used.idx == last_used) {
        if (past(until))
            return false;
    }
    dsb_sy();
    *got = used.ring[last_used % QSIZE].len;
    last_used++;
    return true;
}
