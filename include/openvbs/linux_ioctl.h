/* linux_ioctl.h: the ioctl ABI of /dev/openvbs, between the Linux module
 * (linux/module/, EL1 of VTL0) and user space (linux/vbsctl/, EL0 of VTL0).
 * Shared by both; its only code is the status table at the end. docs/linux.md describes every call.
 *
 * Rules every call follows:
 *  - each argument struct starts with struct ovbs_ioc_head; user space sets
 *    version = OVBS_IOCTL_VERSION and flags = 0, and zeroes every reserved
 *    field, or the module refuses the call with EINVAL before doing anything;
 *  - the struct is copied back even when the hypervisor or the secure kernel
 *    refused: head.status then holds their raw status (HV_STATUS_* of
 *    hvcall.h/vsm.h, TL_ST_* of trustlet.h) and the ioctl fails with the
 *    errno docs/linux.md maps it to. A failure with head.status == 0 is the
 *    module's own (bad argument, no memory, bad user pointer);
 *  - user pointers (the *_ptr fields) are only read or written by the module
 *    (copy_from_user/copy_to_user); VTL1 only ever sees physical addresses of
 *    kernel buffers the module filled. */
#ifndef OPENVBS_LINUX_IOCTL_H
#define OPENVBS_LINUX_IOCTL_H
#include <stdint.h>
#include <linux/ioctl.h>
#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#endif
#include "openvbs/vsm.h"
#include "openvbs/trustlet.h"

#define OVBS_IOCTL_VERSION   1
#define OVBS_IOC_MAGIC       0xb5
#define OVBS_DEVICE          "/dev/openvbs"

struct ovbs_ioc_head {
    uint32_t version;  /* in: OVBS_IOCTL_VERSION */
    uint32_t flags;    /* in: 0 */
    uint64_t status;   /* out: raw status of the hypervisor or VTL1, 0 = success */
};

/* OVBS_IOC_INFO: what the hypervisor says about itself and every VP. */
#define OVBS_IOC_MAX_VPS     16
struct ovbs_ioc_vp {
    uint32_t state;          /* OVBS_HV_VP_STATS x1 bits 7:0 (0 off ... 8 in nested intercept) */
    uint32_t intercepts;     /* intercepts delivered to VTL1 on this VP */
    uint32_t preempted;      /* secure calls preempted there (yields included) */
    uint32_t yields;         /* of those, the ones VTL1 yielded after a deferral */
    uint64_t deferred;       /* preemptions VTL1 deferred there */
};
struct ovbs_ioc_info {
    struct ovbs_ioc_head head;
    uint32_t rev_major, rev_minor;   /* out: OVBS_CALL_REVISION */
    uint64_t features;               /* out: OVBS_FEAT_* */
    uint64_t ipa_bits;               /* out */
    uint64_t s2_pages;               /* out: pages of VTL0's stage-2 tables */
    uint32_t vp_count;               /* out: VPs the hypervisor knows (at most MAX_VPS) */
    uint32_t reserved;               /* 0 */
    struct ovbs_ioc_vp vp[OVBS_IOC_MAX_VPS];
};

/* OVBS_IOC_MEMMAP: entry `index` of the hypervisor's ownership map. */
struct ovbs_ioc_memmap {
    struct ovbs_ioc_head head;
    uint32_t index;          /* in */
    uint32_t owner;          /* out: enum ovbs_owner */
    uint64_t base, size;     /* out: bytes */
    uint32_t access;         /* out: VTL0 access, OVBS_ACC_* */
    uint32_t reserved;       /* 0 */
    char name[32];           /* out: device name, NUL-terminated ("" for RAM) */
};

/* OVBS_IOC_MEASUREMENT: boot image `index` of the measurement log. */
struct ovbs_ioc_measurement {
    struct ovbs_ioc_head head;
    uint32_t index;          /* in */
    uint32_t reserved;       /* 0 */
    char name[16];           /* out, NUL-terminated */
    uint64_t base, size;     /* out */
    uint8_t sha256[32];      /* out */
};

/* OVBS_IOC_PROTECT: SC_PROTECT or SC_LOCK on a page-aligned range. */
#define OVBS_IOC_PROTECT_SET  0
#define OVBS_IOC_PROTECT_LOCK 1
#define OVBS_IOC_MAX_PAGES    (1u << 20) /* 4 GiB: more than any VTL0 RAM here */
struct ovbs_ioc_protect {
    struct ovbs_ioc_head head;
    uint32_t op;             /* in: OVBS_IOC_PROTECT_SET or _LOCK */
    uint32_t mask;           /* in: OVBS_ACC_* (bits 3:0 only) */
    uint64_t gpa;            /* in: page-aligned guest-physical address */
    uint64_t pages;          /* in: 1 .. OVBS_IOC_MAX_PAGES */
};

/* OVBS_IOC_QUERY: SC_QUERY_RANGE, one byte per page: bits 3:0 the VTL0
 * access VTL1 keeps (OVBS_ACC_*), OVBS_PROT_LOCKED if locked. */
#define OVBS_IOC_QUERY_MAX    512 /* the reply stays one small struct */
#define OVBS_PROT_LOCKED      0x10 /* the secure kernel's lock bit (sk/protect.c) */
struct ovbs_ioc_query {
    struct ovbs_ioc_head head;
    uint64_t gpa;            /* in: page-aligned */
    uint32_t pages;          /* in: 1 .. OVBS_IOC_QUERY_MAX */
    uint32_t reserved;       /* 0 */
    uint8_t prot[OVBS_IOC_QUERY_MAX]; /* out */
};

/* OVBS_IOC_STATS: the event counters of both layers and SC_STATS. */
#define OVBS_IOC_MAX_KINDS    32
struct ovbs_ioc_stats {
    struct ovbs_ioc_head head;
    uint64_t sc_intercepts;      /* out: SC_STATS x1 */
    uint64_t sc_timer_irqs;      /* out: SC_STATS x2 */
    uint64_t sc_own_irq_entries; /* out: SC_STATS x3 */
    uint32_t hv_kinds, sk_kinds; /* out: OVBS_EV_COUNT, SK_EV_COUNT as reported */
    uint64_t hv_next_seq, sk_next_seq; /* out: events recorded since boot */
    uint64_t hv_count[OVBS_IOC_MAX_KINDS]; /* out: per enum ovbs_event_kind */
    uint64_t sk_count[OVBS_IOC_MAX_KINDS]; /* out: per enum sk_event_kind */
    uint64_t kernel_state;       /* out: SC_KERNEL_STATUS x1 (KLS_*) */
    uint64_t kernel_refusals;    /* out: SC_KERNEL_STATUS x2 */
    uint64_t kernel_patches;     /* out: SC_KERNEL_STATUS x3 */
};

/* OVBS_IOC_LOCK_KERNEL: the kernel integrity lock (docs/kernel-integrity.md).
 * The module reads the kernel's link-time layout from a System.map
 * (Debian's /proc/kallsyms holds text symbols only: no KALLSYMS_ALL), finds
 * the running kernel's slide from a symbol it can take the address of,
 * describes the kernel's and every loaded module's text, read-only data and
 * jump table to VTL1 (SC_KERNEL_LAYOUT) and locks (SC_KERNEL_LOCK). From
 * then on it refuses new modules and keeps the loaded ones loaded. */
#define OVBS_IOC_MAP_PATH     256
struct ovbs_ioc_lock_kernel {
    struct ovbs_ioc_head head;
    char system_map[OVBS_IOC_MAP_PATH]; /* in: NUL-terminated path; "" means
                                         * /boot/System.map-$(uname -r) */
    uint64_t text_pages;     /* out: SC_KERNEL_LOCK x1 */
    uint64_t ro_pages;       /* out: SC_KERNEL_LOCK x2 */
    uint64_t jump_sites;     /* out: SC_KERNEL_LOCK x3 */
    uint32_t modules;        /* out: loaded modules described */
    uint32_t ranges;         /* out: SC_KERNEL_LAYOUT ranges staged */
    uint64_t slide;          /* out: runtime minus link-time address (KASLR) */
    uint32_t options;        /* in: OVBS_LOCK_* */
    uint32_t reserved;       /* 0 */
};
/* Pin SCTLR_EL1/TCR_EL1/TTBR1_EL1 too (KL_LOCK_PIN_EL1, vbsctl
 * --pin-el1): every context switch then traps three times, +12% on the
 * context-switch test, so it is not the default (docs/kernel-integrity.md,
 * "Numbers"). */
#define OVBS_LOCK_PIN_EL1     (1u << 0)

/* OVBS_IOC_TL_LOAD: the module copies the signed image into kernel memory
 * and hands VTL1 its physical address (SC_TL_LOAD). */
#define OVBS_IOC_TL_MAX_IMAGE (TL_HEADER_SIZE + TL_MAX_IMAGE)
struct ovbs_ioc_tl_load {
    struct ovbs_ioc_head head;
    uint64_t image_ptr;      /* in: user address of the image */
    uint64_t image_len;      /* in: 1 .. OVBS_IOC_TL_MAX_IMAGE */
    uint64_t handle;         /* out: instance handle */
};

/* OVBS_IOC_TL_OPEN / _CLOSE / _UNLOAD: one handle in, one out. */
struct ovbs_ioc_tl_handle {
    struct ovbs_ioc_head head;
    uint64_t in;             /* in: trustlet ID (open), session (close), instance (unload) */
    uint64_t out;            /* out: session handle (open), 0 otherwise */
};

/* OVBS_IOC_TL_INVOKE: SC_TL_INVOKE with kernel copies of both buffers. */
#define OVBS_IOC_TL_MAX_DATA  SC_MAX_BUFFER
struct ovbs_ioc_tl_invoke {
    struct ovbs_ioc_head head;
    uint64_t session;        /* in */
    uint64_t command;        /* in */
    uint64_t in_ptr;         /* in: user address of the request (0 if in_len is 0) */
    uint64_t in_len;         /* in: 0 .. OVBS_IOC_TL_MAX_DATA */
    uint64_t out_ptr;        /* in: user address for the reply (0 if out_max is 0) */
    uint64_t out_max;        /* in: 0 .. OVBS_IOC_TL_MAX_DATA */
    uint64_t tl_status;      /* out: the status the trustlet replied */
    uint64_t out_len;        /* out: reply bytes copied to out_ptr */
};

/* OVBS_IOC_BENCH: the null secure call's round trip as the VTL0 test
 * kernel times it (vtl0/bench.c): a loop of `rounds` SC_NULL calls, and
 * the same loop with a nop in place of the HVC, each timed with the PMU
 * cycle counter (with EL2 counted: PMCCFILTR_EL0.NSH) and with CNTVCT_EL0,
 * interrupts masked. Each loop runs `repeats` times after one untimed
 * warm-up and the fastest counts, so work another CPU did meanwhile (the
 * counters follow one clock under QEMU's -icount) drops out. The cost of one
 * call is (call_cycles - nop_cycles) / rounds + 1 (the nop's own). Counts
 * EL2 and VTL1 only in a boot with the hypervisor's `hv.bench`. */
#define OVBS_IOC_BENCH_MAX_ROUNDS  100000
#define OVBS_IOC_BENCH_MAX_REPEATS 16
struct ovbs_ioc_bench {
    struct ovbs_ioc_head head;
    uint32_t rounds;         /* in: calls per loop, 1 .. OVBS_IOC_BENCH_MAX_ROUNDS */
    uint32_t repeats;        /* in: timed loops of each kind, 1 .. OVBS_IOC_BENCH_MAX_REPEATS */
    uint64_t call_cycles;    /* out: PMCCNTR_EL0 over the fastest loop of calls */
    uint64_t nop_cycles;     /* out: PMCCNTR_EL0 over the fastest loop of nops */
    uint64_t call_ticks;     /* out: CNTVCT_EL0 over that same loop of calls */
    uint64_t cntfrq;         /* out: CNTFRQ_EL0, ticks per second */
};

/* The errno a raw status becomes, and its name, for the module and vbsctl
 * alike. TL_EINVAL/TL_ENOMEM/TL_EAUTH (trustlet.h) share numbers with
 * HV_STATUS_EVENT_OVERWRITTEN/HV_STATUS_BUSY but are only ever returned to
 * trustlets, so the hypervisor's meaning wins. HV_STATUS_BUSY is EBUSY: the
 * instance is in use on another VP; nobody waits for it. */
struct ovbs_status_desc {
    uint32_t status;
    int err;
    const char *name;
};
static inline const struct ovbs_status_desc *ovbs_status_lookup(uint64_t status)
{
    static const struct ovbs_status_desc table[] = {
        { HV_STATUS_SUCCESS, 0, "success" },
        { HV_STATUS_INVALID_HYPERCALL_CODE, EOPNOTSUPP, "INVALID_HYPERCALL_CODE" },
        { HV_STATUS_INVALID_HYPERCALL_INPUT, EINVAL, "INVALID_HYPERCALL_INPUT" },
        { HV_STATUS_INVALID_ALIGNMENT, EINVAL, "INVALID_ALIGNMENT" },
        { HV_STATUS_INVALID_PARAMETER, EINVAL, "INVALID_PARAMETER" },
        { HV_STATUS_ACCESS_DENIED, EACCES, "ACCESS_DENIED" },
        { HV_STATUS_INVALID_PARTITION_STATE, EPERM, "INVALID_PARTITION_STATE" },
        { HV_STATUS_OPERATION_DENIED, EPERM, "OPERATION_DENIED" },
        { HV_STATUS_INSUFFICIENT_MEMORY, ENOMEM, "INSUFFICIENT_MEMORY" },
        { HV_STATUS_INVALID_VP_INDEX, ENXIO, "INVALID_VP_INDEX" },
        { HV_STATUS_INVALID_VP_STATE, EAGAIN, "INVALID_VP_STATE" },
        { HV_STATUS_NO_DATA, ENODATA, "NO_DATA" },
        { HV_STATUS_INVALID_VTL_STATE, ENXIO, "INVALID_VTL_STATE" },
        { HV_STATUS_TIME_OUT, ETIMEDOUT, "TIME_OUT" },
        { HV_STATUS_EVENT_OVERWRITTEN, EOVERFLOW, "EVENT_OVERWRITTEN" },
        { HV_STATUS_BUSY, EBUSY, "BUSY" },
        { TL_EAUTH, EBADMSG, "TL_EAUTH" },
        { TL_ST_BAD_HEADER, ENOEXEC, "TL_BAD_HEADER" },
        { TL_ST_BAD_SIGNATURE, EKEYREJECTED, "TL_BAD_SIGNATURE" },
        { TL_ST_BAD_HASH, EBADMSG, "TL_BAD_HASH" },
        { TL_ST_UNKNOWN_ID, EPERM, "TL_UNKNOWN_ID" },
        { TL_ST_ROLLBACK, EKEYREVOKED, "TL_ROLLBACK" },
        { TL_ST_BAD_ELF, ENOEXEC, "TL_BAD_ELF" },
        { TL_ST_TOO_LARGE, E2BIG, "TL_TOO_LARGE" },
        { TL_ST_NO_MEMORY, ENOMEM, "TL_NO_MEMORY" },
        { TL_ST_NO_SUCH, ENOENT, "TL_NO_SUCH" },
        { TL_ST_DEAD, EOWNERDEAD, "TL_DEAD" },
        { TL_ST_BUFFER, EFAULT, "TL_BUFFER" },
        { TL_ST_BUSY, EBUSY, "TL_BUSY" },
    };
    static const struct ovbs_status_desc unknown = { 0, EIO, "unknown status" };
    for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].status == status)
            return &table[i];
    }
    return &unknown;
}

#define OVBS_IOC_INFO        _IOWR(OVBS_IOC_MAGIC, 0x00, struct ovbs_ioc_info)
#define OVBS_IOC_MEMMAP      _IOWR(OVBS_IOC_MAGIC, 0x01, struct ovbs_ioc_memmap)
#define OVBS_IOC_MEASUREMENT _IOWR(OVBS_IOC_MAGIC, 0x02, struct ovbs_ioc_measurement)
#define OVBS_IOC_PROTECT     _IOWR(OVBS_IOC_MAGIC, 0x03, struct ovbs_ioc_protect)
#define OVBS_IOC_QUERY       _IOWR(OVBS_IOC_MAGIC, 0x04, struct ovbs_ioc_query)
#define OVBS_IOC_STATS       _IOWR(OVBS_IOC_MAGIC, 0x05, struct ovbs_ioc_stats)
#define OVBS_IOC_BENCH       _IOWR(OVBS_IOC_MAGIC, 0x06, struct ovbs_ioc_bench)
#define OVBS_IOC_LOCK_KERNEL _IOWR(OVBS_IOC_MAGIC, 0x07, struct ovbs_ioc_lock_kernel)
#define OVBS_IOC_TL_LOAD     _IOWR(OVBS_IOC_MAGIC, 0x10, struct ovbs_ioc_tl_load)
#define OVBS_IOC_TL_OPEN     _IOWR(OVBS_IOC_MAGIC, 0x11, struct ovbs_ioc_tl_handle)
#define OVBS_IOC_TL_INVOKE   _IOWR(OVBS_IOC_MAGIC, 0x12, struct ovbs_ioc_tl_invoke)
#define OVBS_IOC_TL_CLOSE    _IOWR(OVBS_IOC_MAGIC, 0x13, struct ovbs_ioc_tl_handle)
#define OVBS_IOC_TL_UNLOAD   _IOWR(OVBS_IOC_MAGIC, 0x14, struct ovbs_ioc_tl_handle)

#endif
