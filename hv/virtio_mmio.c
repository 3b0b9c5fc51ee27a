/* virtio_mmio.c: virtio-mmio transports at boot (EL2, MMU off, before the
 * ownership map takes devices). A virtio-mmio device masters memory with
 * physical addresses and sits behind no IOMMU, so VTL0 could aim it at any
 * page. Each transport's header is read once; a page (4 KiB) that holds a
 * transport with a device behind it, or one we cannot read as virtio, is
 * kept by the hypervisor whole: the device and its empty neighbours on that
 * page (ownership is page-granular; virt packs eight 0x200-byte slots in a
 * page). Kept transports become mmio-hv and leave VTL0's device tree
 * (loader.c); a page of only empty transports stays VTL0's: with nothing
 * behind them they cannot master anything, and QEMU cannot plug a
 * virtio-mmio device in later. */
#include "devpolicy.h"
#include "hv.h"

static uint32_t reg32(uint64_t base, unsigned off)
{
    return *(volatile uint32_t *)(uintptr_t)(base + off);
}

static uint64_t page_of(uint64_t a)
{
    return a & ~(PAGE_SIZE - 1);
}

/* Judge one transport: true if it must be kept. */
static bool probe_one(struct plat_dev *d)
{
    uint32_t magic = reg32(d->base, VIRTIO_MMIO_MAGIC_VALUE);
    uint32_t version = reg32(d->base, VIRTIO_MMIO_VERSION);
    uint32_t id = reg32(d->base, VIRTIO_MMIO_DEVICE_ID);
    switch (vmmio_classify(magic, version, id)) {
    case VMMIO_EMPTY:
        return false;
    case VMMIO_DEVICE:
        hv_log("virtio-mmio@0x%08lx: device %u (%s) kept: it masters memory outside the SMMU",
               d->base, id, virtio_device_name(id));
        return true;
    case VMMIO_UNKNOWN:
        break;
    }
    hv_log("virtio-mmio@0x%08lx: unreadable header (magic 0x%x, version %u) kept: fail closed",
           d->base, magic, version);
    return true;
}

/* Mark every transport on `page` kept, naming the page after the reason. */
static void keep_page(struct platform *p, uint64_t page, const char *why)
{
    for (unsigned i = 0; i < p->ndev; i++) {
        struct plat_dev *d = &p->dev[i];
        if (!d->virtio_mmio || page_of(d->base) != page || d->hv_owned)
            continue;
        d->hv_owned = true;
        for (unsigned c = 0; c < PLAT_NAME_LEN; c++) {
            d->name[c] = why[c];
            if (!why[c])
                break;
        }
        d->name[PLAT_NAME_LEN - 1] = '\0';
    }
}

/* "virtio-mmio: entropy": what the memory map calls a kept page. */
static void kept_name(char out[PLAT_NAME_LEN], const struct plat_dev *d)
{
    static const char prefix[] = "virtio-mmio: ";
    uint32_t id = reg32(d->base, VIRTIO_MMIO_DEVICE_ID);
    const char *type = reg32(d->base, VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC ?
                       virtio_device_name(id) : "not virtio";
    unsigned n = 0;
    for (unsigned i = 0; prefix[i] && n < PLAT_NAME_LEN - 1; i++)
        out[n++] = prefix[i];
    for (unsigned i = 0; type[i] && n < PLAT_NAME_LEN - 1; i++)
        out[n++] = type[i];
    out[n] = '\0';
}

void virtio_mmio_probe(struct platform *p)
{
    uint64_t kept_pages[8];
    char names[8][PLAT_NAME_LEN];
    unsigned nkept = 0, ntransports = 0, kept = 0;
    for (unsigned i = 0; i < p->ndev; i++) {
        struct plat_dev *d = &p->dev[i];
        if (!d->virtio_mmio)
            continue;
        ntransports++;
        if (!probe_one(d))
            continue;
        kept++;
        if (nkept < sizeof(kept_pages) / sizeof(kept_pages[0])) {
            kept_name(names[nkept], d);
            kept_pages[nkept++] = page_of(d->base);
        } else {
            hv_log("FATAL: more than %u virtio-mmio pages to keep", nkept);
            hv_halt_failure();
        }
    }
    for (unsigned k = 0; k < nkept; k++)
        keep_page(p, kept_pages[k], names[k]);
    unsigned whole = 0;
    for (unsigned i = 0; i < p->ndev; i++)
        whole += p->dev[i].virtio_mmio && p->dev[i].hv_owned;
    if (ntransports)
        hv_log("virtio-mmio: %u transport(s), %u with a device; %u kept with their pages, "
               "%u empty left to VTL0", ntransports, kept, whole, ntransports - whole);
}
