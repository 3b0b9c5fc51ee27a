/* vbsctl.c: command-line tool for OpenVBS, a static Linux program at EL0 of
 * VTL0. Talks to the openvbs module through /dev/openvbs (ABI in
 * include/openvbs/linux_ioctl.h), all but `clock`, which reads the
 * counter itself; `vbsctl --help` lists the commands.
 *
 * Exit codes: 0 done, 1 refused by VTL1 or the hypervisor (the status is
 * printed), 2 usage error, 3 device or I/O error. The output does not depend
 * on whether stdout is a terminal, so tests see what people see. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openvbs/linux_ioctl.h"
#include "kernel_checks.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

static const char usage_text[] =
    "usage: vbsctl COMMAND [ARGS]\n"
    "  info                      hypervisor revision, features and virtual processors\n"
    "  map                       physical memory map: owner and VTL0 access of every range\n"
    "  protect GPA PAGES MASK    ask VTL1 to set VTL0's access to pages\n"
    "  lock GPA PAGES MASK       ... and lock it (Kernel Data Protection; no w)\n"
    "  prot GPA [PAGES]          the access VTL1 keeps for pages (default 1, at most 512)\n"
    "  tl load FILE              load a signed trustlet image; prints the instance handle\n"
    "  tl call ID CMD [DATA...]  open a session on trustlet ID, invoke CMD with DATA, close\n"
    "  tl unload HANDLE          unload a trustlet instance\n"
    "  measurements              the hypervisor's measured boot images (SHA-256)\n"
    "  stats                     event counters of the hypervisor and the secure kernel\n"
    "  lock-kernel [--pin-el1] [--system-map PATH]\n"
    "                            lock the kernel's code and read-only data (VTL1 keeps them);\n"
    "                            --pin-el1 also pins SCTLR/TCR/TTBR1_EL1 (context switches trap);\n"
    "                            PATH defaults to /boot/System.map-$(uname -r)\n"
    "  bench [N]                 time N null secure calls (default 1000); needs hv.bench\n"
    "  bench switch [N]          time N pipe round trips between two processes on CPU 0\n"
    "  bench flip [N]            time N on/off flips of a static key (kernel.sched_schedstats)\n"
    "  bpf-check                 a BPF socket filter on UDP loopback keeps and drops what it should\n"
    "  clock [LABEL]             the virtual counter since reset in ns (no device needed)\n"
    "  --help                    this text\n"
    "MASK: a number (r=1 w=2 x=4 u=8) or letters from 'rwxu' ('-' ignored, '-' alone = none);\n"
    "x is kernel execute, u user execute. Numbers take C notation (0x...).\n"
    "exit status: 0 done, 1 refused by VTL1 or the hypervisor, 2 usage, 3 device or I/O error\n";

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vbsctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(vbsctl --help lists the commands)\n", stderr);
    return EXIT_USAGE;
}

static int dev_fd = -1;

static int open_device(void)
{
    dev_fd = open(OVBS_DEVICE, O_RDWR | O_CLOEXEC);
    if (dev_fd >= 0)
        return EXIT_OK;
    int err = errno;
    fprintf(stderr, "vbsctl: cannot open %s: %s\n", OVBS_DEVICE, strerror(err));
    if (err == ENOENT)
        fprintf(stderr, "vbsctl: the openvbs module is not loaded; it loads only under the "
                        "OpenVBS hypervisor (dmesg says why)\n");
    return EXIT_IO;
}

/* One ioctl, silent: 0, EXIT_REFUSED when VTL1 or the hypervisor refused
 * (head.status != 0, the status is the answer), or EXIT_IO for a failure of
 * the module or the device itself (errno in call_errno). */
static int call_errno;

static int try_call(unsigned long cmd, struct ovbs_ioc_head *head)
{
    if (dev_fd < 0 && open_device())
        return -1;
    head->version = OVBS_IOCTL_VERSION;
    if (ioctl(dev_fd, cmd, head) == 0)
        return EXIT_OK;
    call_errno = errno;
    return head->status ? EXIT_REFUSED : EXIT_IO;
}

/* Says what went wrong with a try_call; `what` names the operation. */
static int report(int rc, const struct ovbs_ioc_head *head, const char *what)
{
    if (rc == EXIT_REFUSED)
        fprintf(stderr, "vbsctl: %s: refused, status 0x%llx %s (%s)\n", what,
                (unsigned long long)head->status, ovbs_status_lookup(head->status)->name,
                strerror(call_errno));
    else if (rc == EXIT_IO)
        fprintf(stderr, "vbsctl: %s: %s\n", what, strerror(call_errno));
    /* -1: open_device has said why. */
    return rc < 0 ? EXIT_IO : rc;
}

static int call(unsigned long cmd, struct ovbs_ioc_head *head, const char *what)
{
    return report(try_call(cmd, head), head, what);
}

/* A whole argument as an unsigned number in C notation. */
static int parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return 0;
    errno = 0;
    *out = strtoull(s, &end, 0);
    return !*end && !errno;
}

/* The console's letters (access_string in vtl0/console.c prints "rwxu"
 * with '-' for a missing bit) or a number. */
static int parse_mask(const char *s, unsigned *out)
{
    unsigned long long n;
    if (parse_u64(s, &n)) {
        *out = (unsigned)n;
        return n <= OVBS_ACC_RWX;
    }
    unsigned m = 0;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case 'r': m |= OVBS_ACC_R; break;
        case 'w': m |= OVBS_ACC_W; break;
        case 'x': m |= OVBS_ACC_XK; break;
        case 'u': m |= OVBS_ACC_XU; break;
        case '-': break;
        default: return 0;
        }
    }
    *out = m;
    return *s != '\0';
}

static void access_letters(unsigned acc, char out[5])
{
    static const char letters[] = "rwxu";
    for (unsigned b = 0; b < 4; b++)
        out[b] = (acc & (1u << b)) ? letters[b] : '-';
    out[4] = '\0';
}

/* ---- info, map, measurements, stats ------------------------------------- */

static const char *const feature_names[] = {
    "XNX", "SMMU", "RNDR", "PAuth", "TPIDR2", "RAS", "SMMU-enforced",
};
static const char *const vp_states[] = {
    "off", "enabled", "booting", "idle", "in call", "preempted", "in intercept", "in interrupt",
    "in nested intercept",
};

static int get_info(struct ovbs_ioc_info *info)
{
    memset(info, 0, sizeof(*info));
    return call(OVBS_IOC_INFO, &info->head, "info");
}

static void print_features(unsigned long long f)
{
    printf("features 0x%llx (", f);
    const char *sep = "";
    for (unsigned b = 0; b < sizeof(feature_names) / sizeof(feature_names[0]); b++) {
        if (f & (1ull << b)) {
            printf("%s%s", sep, feature_names[b]);
            sep = " ";
        }
    }
    printf(")");
}

static int cmd_info(void)
{
    struct ovbs_ioc_info info;
    int rc = get_info(&info);
    if (rc)
        return rc;
    printf("OpenVBS hypervisor revision %u.%u\n", info.rev_major, info.rev_minor);
    printf("hypervisor: ");
    print_features(info.features);
    printf(", %llu-bit IPA, VTL0 stage-2 tables %llu pages\n",
           (unsigned long long)info.ipa_bits, (unsigned long long)info.s2_pages);
    printf("virtual processors: %u\n", info.vp_count);
    for (unsigned i = 0; i < info.vp_count; i++) {
        unsigned s = info.vp[i].state;
        printf("  VP%u  %s\n", i, s < 8 ? vp_states[s] : "?");
    }
    return EXIT_OK;
}

static const char *const owner_names[] = {
    "none", "hv", "vtl1", "vtl0", "mmio-vtl0", "mmio-hv",
};

static int cmd_map(void)
{
    printf("physical memory map (from the hypervisor's ownership map)\n");
    printf("  %-37s %-10s %s\n", "range", "owner", "VTL0 access (r w x=kernel-exec u=user-exec)");
    for (unsigned i = 0;; i++) {
        struct ovbs_ioc_memmap m;
        memset(&m, 0, sizeof(m));
        m.index = i;
        /* The first index past the end is refused: that ends the map. */
        int rc = try_call(OVBS_IOC_MEMMAP, &m.head);
        if (rc == EXIT_REFUSED && i > 0)
            break;
        if (rc)
            return report(rc, &m.head, "map");
        char acc[5];
        access_letters(m.access, acc);
        printf("  [0x%010llx, 0x%010llx) %-10s %s  %llu KiB%s%s\n", (unsigned long long)m.base,
               (unsigned long long)(m.base + m.size),
               m.owner < OWNER_COUNT ? owner_names[m.owner] : "?", acc,
               (unsigned long long)(m.size >> 10), m.name[0] ? "  " : "", m.name);
    }
    struct ovbs_ioc_info info;
    int rc = get_info(&info);
    if (rc)
        return rc;
    printf("hypervisor: ");
    print_features(info.features);
    printf(", %llu-bit IPA, VTL0 stage-2 tables %llu pages\n",
           (unsigned long long)info.ipa_bits, (unsigned long long)info.s2_pages);
    return EXIT_OK;
}

static int cmd_measurements(void)
{
    printf("%-5s %-16s %-10s %s\n", "index", "name", "size", "sha256");
    for (unsigned i = 0;; i++) {
        struct ovbs_ioc_measurement m;
        memset(&m, 0, sizeof(m));
        m.index = i;
        int rc = try_call(OVBS_IOC_MEASUREMENT, &m.head);
        if (rc == EXIT_REFUSED && i > 0 && m.head.status == HV_STATUS_INVALID_PARAMETER)
            break; /* past the last entry */
        if (rc)
            return report(rc, &m.head, "measurements");
        printf("%-5u %-16s %-10llu ", i, m.name, (unsigned long long)m.size);
        for (unsigned b = 0; b < 32; b++)
            printf("%02x", m.sha256[b]);
        printf("\n");
    }
    return EXIT_OK;
}

static const char *const hv_event_names[] = {
    "intercept", "stage-2 abort", "call refused", "VtlCall refused", "trap refused",
    "interrupt dropped", "lines suppressed", "lines dropped (UART)", "forged timer", "FIQ",
    "GIC refused", "DMA fault", "SGI refused",
};
static const char *const sk_event_names[] = {
    "intercept", "protection refused", "secure call refused", "trustlet refused",
    "trustlet killed", "lines suppressed", "spurious timer", "kernel access refused",
    "kernel patched",
};
static const char *const kernel_lock_states[] = { "open", "locking", "locked" };

static void print_counts(const char *who, unsigned long long next, const uint64_t *count,
                         unsigned kinds, const char *const *names, unsigned named)
{
    printf("%s: %llu events recorded\n", who, next);
    for (unsigned k = 0; k < kinds; k++)
        printf("  %-22s %llu\n", k < named ? names[k] : "?", (unsigned long long)count[k]);
}

static int cmd_stats(void)
{
    struct ovbs_ioc_stats s;
    memset(&s, 0, sizeof(s));
    int rc = call(OVBS_IOC_STATS, &s.head, "stats");
    if (rc)
        return rc;
    struct ovbs_ioc_info info;
    rc = get_info(&info);
    if (rc)
        return rc;
    printf("secure kernel: %llu intercepts, %llu VTL1 timer interrupts, "
           "%llu entries by its own interrupt\n",
           (unsigned long long)s.sc_intercepts, (unsigned long long)s.sc_timer_irqs,
           (unsigned long long)s.sc_own_irq_entries);
    print_counts("hypervisor", s.hv_next_seq, s.hv_count, s.hv_kinds, hv_event_names,
                 sizeof(hv_event_names) / sizeof(hv_event_names[0]));
    print_counts("secure kernel", s.sk_next_seq, s.sk_count, s.sk_kinds, sk_event_names,
                 sizeof(sk_event_names) / sizeof(sk_event_names[0]));
    printf("kernel lock: %s, %llu kernel accesses refused, %llu patches validated\n",
           s.kernel_state <= KLS_LOCKED ? kernel_lock_states[s.kernel_state] : "?",
           (unsigned long long)s.kernel_refusals, (unsigned long long)s.kernel_patches);
    printf("virtual processors: %u\n", info.vp_count);
    for (unsigned i = 0; i < info.vp_count; i++) {
        const struct ovbs_ioc_vp *v = &info.vp[i];
        printf("  VP%u  %-12s intercepts %u, calls preempted %u (yields %u), deferred %llu\n", i,
               v->state < 8 ? vp_states[v->state] : "?", v->intercepts, v->preempted, v->yields,
               (unsigned long long)v->deferred);
    }
    return EXIT_OK;
}

/* ---- protect, lock, prot ------------------------------------------------ */

static int cmd_protect(int argc, char **argv, int lock)
{
    const char *name = lock ? "lock" : "protect";
    unsigned long long gpa, pages;
    unsigned mask;
    if (argc != 3 || !parse_u64(argv[0], &gpa) || !parse_u64(argv[1], &pages) ||
        !parse_mask(argv[2], &mask))
        return usage_error("usage: %s GPA PAGES MASK", name);
    if (gpa & 0xfff)
        return usage_error("%s: GPA 0x%llx is not page-aligned", name, gpa);
    if (!pages || pages > OVBS_IOC_MAX_PAGES)
        return usage_error("%s: PAGES must be 1..%u", name, OVBS_IOC_MAX_PAGES);
    struct ovbs_ioc_protect p;
    memset(&p, 0, sizeof(p));
    p.op = lock ? OVBS_IOC_PROTECT_LOCK : OVBS_IOC_PROTECT_SET;
    p.gpa = gpa;
    p.pages = pages;
    p.mask = mask;
    int rc = call(OVBS_IOC_PROTECT, &p.head, name);
    if (rc)
        return rc;
    char acc[5];
    access_letters(mask, acc);
    printf("%s: 0x%llx, %llu page(s): %s (done)\n", name, gpa, pages, acc);
    return EXIT_OK;
}

static int cmd_prot(int argc, char **argv)
{
    unsigned long long gpa, pages = 1;
    if (argc < 1 || argc > 2 || !parse_u64(argv[0], &gpa) ||
        (argc == 2 && !parse_u64(argv[1], &pages)))
        return usage_error("usage: prot GPA [PAGES]");
    if (gpa & 0xfff)
        return usage_error("prot: GPA 0x%llx is not page-aligned", gpa);
    if (!pages || pages > OVBS_IOC_QUERY_MAX)
        return usage_error("prot: PAGES must be 1..%u", OVBS_IOC_QUERY_MAX);
    struct ovbs_ioc_query q;
    memset(&q, 0, sizeof(q));
    q.gpa = gpa;
    q.pages = (uint32_t)pages;
    int rc = call(OVBS_IOC_QUERY, &q.head, "prot");
    if (rc)
        return rc;
    for (unsigned i = 0; i < pages; i++) {
        char acc[5];
        access_letters(q.prot[i] & OVBS_ACC_RWX, acc);
        printf("  0x%llx: %s%s\n", gpa + 4096ull * i, acc,
               (q.prot[i] & OVBS_PROT_LOCKED) ? " locked" : "");
    }
    return EXIT_OK;
}

/* ---- trustlets ---------------------------------------------------------- */

static int tl_load(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "vbsctl: tl load: %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    if (st.st_size <= 0 || (unsigned long long)st.st_size > OVBS_IOC_TL_MAX_IMAGE) {
        close(fd);
        return usage_error("tl load: %s: %lld bytes; an image has 1..%u", path,
                           (long long)st.st_size, (unsigned)OVBS_IOC_TL_MAX_IMAGE);
    }
    size_t size = (size_t)st.st_size, got = 0;
    unsigned char *img = malloc(size);
    while (img && got < size) {
        ssize_t n = read(fd, img + got, size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!img || got != size) {
        fprintf(stderr, "vbsctl: tl load: %s: short read\n", path);
        free(img);
        return EXIT_IO;
    }
    struct ovbs_ioc_tl_load l;
    memset(&l, 0, sizeof(l));
    l.image_ptr = (uint64_t)(uintptr_t)img;
    l.image_len = size;
    int rc = call(OVBS_IOC_TL_LOAD, &l.head, "tl load");
    free(img);
    if (rc)
        return rc;
    printf("tl load %s: instance %llu\n", path, (unsigned long long)l.handle);
    return EXIT_OK;
}

static int tl_handle(unsigned long cmd, uint64_t in, uint64_t *out, const char *what)
{
    struct ovbs_ioc_tl_handle h;
    memset(&h, 0, sizeof(h));
    h.in = in;
    int rc = call(cmd, &h.head, what);
    if (out)
        *out = h.out;
    return rc;
}

static void print_reply(const unsigned char *buf, unsigned long long n)
{
    int text = n > 0;
    for (unsigned long long i = 0; i < n; i++)
        text &= buf[i] >= 0x20 && buf[i] < 0x7f;
    if (text)
        printf("  text: %.*s\n", (int)n, (const char *)buf);
    printf("  hex: ");
    for (unsigned long long i = 0; i < n; i++)
        printf("%02x", buf[i]);
    printf("\n");
}

static int tl_call(int argc, char **argv)
{
    unsigned long long id, cmd;
    if (argc < 2 || !parse_u64(argv[0], &id) || !parse_u64(argv[1], &cmd))
        return usage_error("usage: tl call ID CMD [DATA...]");
    /* DATA: the remaining words, joined by single spaces. */
    static char data[OVBS_IOC_TL_MAX_DATA];
    size_t len = 0;
    for (int i = 2; i < argc; i++) {
        size_t w = strlen(argv[i]) + (i > 2);
        if (len + w > sizeof(data))
            return usage_error("tl call: DATA longer than %u bytes", OVBS_IOC_TL_MAX_DATA);
        if (i > 2)
            data[len++] = ' ';
        memcpy(data + len, argv[i], strlen(argv[i]));
        len += strlen(argv[i]);
    }
    uint64_t session;
    int rc = tl_handle(OVBS_IOC_TL_OPEN, id, &session, "tl call: open");
    if (rc)
        return rc;
    static unsigned char reply[OVBS_IOC_TL_MAX_DATA];
    struct ovbs_ioc_tl_invoke v;
    memset(&v, 0, sizeof(v));
    v.session = session;
    v.command = cmd;
    v.in_ptr = (uint64_t)(uintptr_t)data;
    v.in_len = len;
    v.out_ptr = (uint64_t)(uintptr_t)reply;
    v.out_max = sizeof(reply);
    rc = call(OVBS_IOC_TL_INVOKE, &v.head, "tl call: invoke");
    /* Close whatever happened: a session left open holds a slot in VTL1. */
    int close_rc = tl_handle(OVBS_IOC_TL_CLOSE, session, NULL, "tl call: close");
    if (rc)
        return rc;
    printf("tl call 0x%llx command %llu: trustlet status %llu, reply %llu bytes\n", id, cmd,
           (unsigned long long)v.tl_status, (unsigned long long)v.out_len);
    print_reply(reply, v.out_len);
    return close_rc;
}

static int cmd_tl(int argc, char **argv)
{
    unsigned long long h;
    if (argc == 2 && !strcmp(argv[0], "load"))
        return tl_load(argv[1]);
    if (argc >= 1 && !strcmp(argv[0], "call"))
        return tl_call(argc - 1, argv + 1);
    if (argc == 2 && !strcmp(argv[0], "unload")) {
        if (!parse_u64(argv[1], &h))
            return usage_error("usage: tl unload HANDLE");
        int rc = tl_handle(OVBS_IOC_TL_UNLOAD, h, NULL, "tl unload");
        if (!rc)
            printf("tl unload %llu: done\n", h);
        return rc;
    }
    return usage_error("usage: tl load FILE | tl call ID CMD [DATA...] | tl unload HANDLE");
}

/* ---- bench, clock ------------------------------------------------------ */

/* Nanoseconds in `ticks` of a `freq` Hz counter, without overflowing for
 * any count a boot reaches (ticks * 10^9 would pass 2^64 after 5 minutes
 * at 62.5 MHz). */
static unsigned long long ticks_to_ns(unsigned long long ticks, unsigned long long freq)
{
    return ticks / freq * 1000000000ull + ticks % freq * 1000000000ull / freq;
}

/* The same definition as the VTL0 test kernel's vtl_call_null_roundtrip
 * (vtl0/bench.c): loop with the call minus loop with a nop, per round,
 * plus the nop. The module times each loop several times and keeps the
 * fastest (linux_ioctl.h). The second line checks the counters against
 * each other: under QEMU's -icount shift=0 the cycle counter is the
 * virtual clock in ns, so cycles per CNTVCT tick must be 10^9 / CNTFRQ. */
#define BENCH_REPEATS 5

static int cmd_bench_linux(int argc, char **argv)
{
    unsigned long long n = 0;
    int flip = !strcmp(argv[0], "flip");
    if (argc > 2 || (argc == 2 && !parse_u64(argv[1], &n)))
        return usage_error("usage: bench %s [N]", argv[0]);
    if (argc == 1)
        n = flip ? 20 : 2000;
    if (!n || n > 1000000)
        return usage_error("bench %s: N must be 1..1000000", argv[0]);
    return flip ? cmd_bench_flip(n) : cmd_bench_switch(n);
}

static int cmd_bench(int argc, char **argv)
{
    unsigned long long n = 1000;
    if (argc >= 1 && (!strcmp(argv[0], "switch") || !strcmp(argv[0], "flip")))
        return cmd_bench_linux(argc, argv);
    if (argc > 1 || (argc == 1 && !parse_u64(argv[0], &n)))
        return usage_error("usage: bench [N]");
    if (!n || n > OVBS_IOC_BENCH_MAX_ROUNDS)
        return usage_error("bench: N must be 1..%u", OVBS_IOC_BENCH_MAX_ROUNDS);
    struct ovbs_ioc_bench b;
    memset(&b, 0, sizeof(b));
    b.rounds = (uint32_t)n;
    b.repeats = BENCH_REPEATS;
    int rc = call(OVBS_IOC_BENCH, &b.head, "bench");
    if (rc)
        return rc;
    if (b.call_cycles < b.nop_cycles || !b.call_ticks || !b.cntfrq) {
        fprintf(stderr, "vbsctl: bench: counters make no sense (calls %llu, nops %llu cycles)\n",
                (unsigned long long)b.call_cycles, (unsigned long long)b.nop_cycles);
        return EXIT_IO;
    }
    printf("BENCH linux_vtl_call_null %llu\n", (b.call_cycles - b.nop_cycles) / n + 1);
    printf("bench: %llu calls, fastest of %u loops: %llu cycles (nops %llu), CNTVCT %llu ticks "
           "= %llu ns at %llu Hz, %llu.%03llu cycles per tick\n", n, BENCH_REPEATS,
           (unsigned long long)b.call_cycles, (unsigned long long)b.nop_cycles,
           (unsigned long long)b.call_ticks, ticks_to_ns(b.call_ticks, b.cntfrq),
           (unsigned long long)b.cntfrq, (unsigned long long)(b.call_cycles / b.call_ticks),
           (unsigned long long)(b.call_cycles % b.call_ticks * 1000 / b.call_ticks));
    return EXIT_OK;
}

/* CNTVCT_EL0 at EL0 (Linux sets CNTKCTL_EL1.EL0VCTEN): with CNTVOFF 0, as
 * bare QEMU and the hypervisor both leave it, the count since reset. /init
 * prints it first thing; under -icount shift=0 one ns is one instruction
 * (or one ns of idle time skipped). */
static int cmd_clock(int argc, char **argv)
{
    if (argc > 1)
        return usage_error("usage: clock [LABEL]");
    unsigned long long ticks, freq;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(ticks) : : "memory");
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    if (!freq) {
        fprintf(stderr, "vbsctl: clock: CNTFRQ_EL0 is 0\n");
        return EXIT_IO;
    }
    printf("%s%s%llu ns (CNTVCT_EL0 %llu at %llu Hz)\n", argc ? argv[0] : "", argc ? " " : "",
           ticks_to_ns(ticks, freq), ticks, freq);
    return EXIT_OK;
}

/* ---- lock-kernel ---------------------------------------------------------- */

static int cmd_lock_kernel(int argc, char **argv)
{
    struct ovbs_ioc_lock_kernel l;
    memset(&l, 0, sizeof(l));
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--pin-el1")) {
            l.options |= OVBS_LOCK_PIN_EL1;
        } else if (!strcmp(argv[i], "--system-map") && i + 1 < argc) {
            i++;
            if (!argv[i][0] || strlen(argv[i]) >= sizeof(l.system_map))
                return usage_error("lock-kernel: PATH must be 1..%u bytes",
                                   (unsigned)sizeof(l.system_map) - 1);
            strcpy(l.system_map, argv[i]);
        } else {
            return usage_error("usage: lock-kernel [--pin-el1] [--system-map PATH]");
        }
    }
    unsigned long long t0, t1, freq;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t0) : : "memory");
    int rc = call(OVBS_IOC_LOCK_KERNEL, &l.head, "lock-kernel");
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t1) : : "memory");
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    if (rc == EXIT_IO && dev_fd >= 0)
        fprintf(stderr, "vbsctl: lock-kernel: the module's reason is in dmesg\n");
    if (rc)
        return rc;
    printf("kernel locked: %llu text pages (r+x), %llu read-only pages, %llu jump sites; "
           "%u modules, %u ranges; KASLR slide 0x%llx\n",
           (unsigned long long)l.text_pages, (unsigned long long)l.ro_pages,
           (unsigned long long)l.jump_sites, l.modules, l.ranges, (unsigned long long)l.slide);
    /* The lock's own time, System.map read included (make bench). */
    printf("BENCH linux_lock_kernel %llu\n", freq ? ticks_to_ns(t1 - t0, freq) : 0);
    return EXIT_OK;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("no command");
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    static const char *const known[] = {
        "info", "map", "protect", "lock", "prot", "tl", "measurements", "stats", "bench",
        "clock", "lock-kernel", "bpf-check",
    };
    unsigned k = 0;
    while (k < sizeof(known) / sizeof(known[0]) && strcmp(c, known[k]))
        k++;
    if (k == sizeof(known) / sizeof(known[0]))
        return usage_error("unknown command '%s'", c);
    /* Commands without arguments take none. Arguments are checked before
     * the device is opened (by the first call), so a usage error is 2
     * whether or not the module is there. */
    if ((k <= 1 || k == 6 || k == 7 || k == 11) && argc != 2)
        return usage_error("%s takes no arguments", c);
    int n = argc - 2, rc;
    char **args = argv + 2;
    switch (k) {
    case 0: rc = cmd_info(); break;
    case 1: rc = cmd_map(); break;
    case 2: rc = cmd_protect(n, args, 0); break;
    case 3: rc = cmd_protect(n, args, 1); break;
    case 4: rc = cmd_prot(n, args); break;
    case 5: rc = cmd_tl(n, args); break;
    case 6: rc = cmd_measurements(); break;
    case 7: rc = cmd_stats(); break;
    case 8: rc = cmd_bench(n, args); break;
    case 9: rc = cmd_clock(n, args); break;
    case 10: rc = cmd_lock_kernel(n, args); break;
    default: rc = cmd_bpf_check(); break;
    }
    fflush(stdout);
    return rc;
}
