/* kernel_checks.c: vbsctl's checks and timings of the Linux kernel itself
 * under the kernel lock (EL0 of VTL0): a BPF socket filter, context
 * switches, static-key flips. They use only Linux's own interfaces, no
 * /dev/openvbs: they show that Linux keeps working, and what the lock
 * costs it (docs/kernel-integrity.md, "Numbers"). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel_checks.h"

static unsigned long long ticks_now(void)
{
    unsigned long long t;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t) : : "memory");
    return t;
}

static unsigned long long ns_of(unsigned long long ticks)
{
    unsigned long long freq;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    return freq ? ticks / freq * 1000000000ull + ticks % freq * 1000000000ull / freq : 0;
}

static int fail(const char *what)
{
    fprintf(stderr, "vbsctl: %s: %s\n", what, strerror(errno));
    return 3;
}

/* ---- bpf-check ------------------------------------------------------------ */

/* lo up (SIOCSIFFLAGS), so the check needs no `ip`. */
static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (!rc && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return rc;
}

static void jit_setting(char *out, size_t len)
{
    int fd = open("/proc/sys/net/core/bpf_jit_enable", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, out, len - 1) : -1;
    if (fd >= 0)
        close(fd);
    out[n > 0 ? (size_t)n : 0] = '\0';
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
    if (!out[0])
        strcpy(out, "?");
}

/* A classic BPF socket filter on a loopback UDP socket: it keeps datagrams
 * whose first byte is 'A' and drops the rest. The kernel runs it in softirq
 * on every datagram received (sk_filter), the interpreter or JIT code; a
 * UDP socket's filter sees the packet from the UDP header on, so the
 * payload starts at offset 8. */
int cmd_bpf_check(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 'A', 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffff),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    struct timeval tv = { 1, 0 };
    char buf[32], jit[16];
    if (loopback_up())
        return fail("bpf-check: loopback up");
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
    if (rx < 0 || tx < 0)
        return fail("bpf-check: socket");
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(rx, (struct sockaddr *)&a, sizeof(a)) || getsockname(rx, (struct sockaddr *)&a, &alen))
        return fail("bpf-check: bind");
    if (setsockopt(rx, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
        return fail("bpf-check: SO_ATTACH_FILTER");
    if (setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
        return fail("bpf-check: SO_RCVTIMEO");
    static const char *const sent[] = { "B-dropped", "A-kept", "C-dropped" };
    for (unsigned i = 0; i < 3; i++) {
        if (sendto(tx, sent[i], strlen(sent[i]), 0, (struct sockaddr *)&a, sizeof(a)) < 0)
            return fail("bpf-check: sendto");
    }
    ssize_t n = recv(rx, buf, sizeof(buf) - 1, 0);
    int first_ok = n == 6 && !memcmp(buf, "A-kept", 6);
    ssize_t more = recv(rx, buf, sizeof(buf) - 1, 0);
    int none_after = more < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    close(rx);
    close(tx);
    jit_setting(jit, sizeof(jit));
    if (!first_ok || !none_after) {
        fprintf(stderr, "vbsctl: bpf-check: socket filter FAILED (first %s, then %s)\n",
                first_ok ? "A-kept" : "wrong", none_after ? "nothing" : "a dropped datagram");
        return 1;
    }
    printf("bpf-check: socket filter on UDP loopback passed (kept 1 of 3, net.core.bpf_jit_enable "
           "%s)\n", jit);
    return 0;
}

/* ---- bench switch --------------------------------------------------------- */

/* How many times each timing runs; the fastest counts. Under QEMU's
 * -icount the console input that starts a command arrives at a moment that
 * depends on the host, so Linux's timer ticks and its background work fall
 * at different points of a loop from run to run; the fastest of several
 * short loops is the one nothing interrupted, the same in every run. */
#define TIMING_REPEATS 15

/* `rounds` one-byte round trips between this process and a child over two
 * pipes, both pinned to CPU 0: every round trip is two switches between
 * address spaces (TTBR0_EL1, TTBR1_EL1's ASID and CONTEXTIDR_EL1 written
 * each time), TIMING_REPEATS times. Prints BENCH linux_context_switch: ns
 * per round trip of the fastest. */
int cmd_bench_switch(unsigned long long rounds)
{
    int ping[2], pong[2];
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof(one), &one))
        return fail("bench switch: sched_setaffinity");
    if (pipe(ping) || pipe(pong))
        return fail("bench switch: pipe");
    pid_t child = fork();
    if (child < 0)
        return fail("bench switch: fork");
    char c = 'x';
    if (child == 0) {
        for (unsigned long long i = 0; i < rounds * TIMING_REPEATS; i++) {
            if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    unsigned long long best = ~0ull;
    for (unsigned r = 0; r < TIMING_REPEATS; r++) {
        unsigned long long t0 = ticks_now();
        for (unsigned long long i = 0; i < rounds; i++) {
            if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
                return fail("bench switch: pipe I/O");
        }
        unsigned long long t = ticks_now() - t0;
        best = t < best ? t : best;
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return fail("bench switch: child");
    printf("BENCH linux_context_switch %llu\n", ns_of(best) / rounds);
    printf("bench: %llu pipe round trips on CPU 0, fastest of %u: %llu ns\n", rounds,
           TIMING_REPEATS, ns_of(best));
    return 0;
}

/* ---- bench flip ------------------------------------------------------------- */

static int write_str(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, s, strlen(s));
    close(fd);
    return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* A static key flipped by Linux itself: kernel.sched_schedstats, whose
 * write calls static_branch_enable/disable(&sched_schedstats), patching
 * every site of that key (under the lock, each through VTL1). `rounds`
 * on-off pairs, each timed; prints BENCH linux_static_key_flip: ns per
 * flip of the fastest pair. */
int cmd_bench_flip(unsigned long long rounds)
{
    const char *path = "/proc/sys/kernel/sched_schedstats";
    unsigned long long best = ~0ull;
    for (unsigned long long i = 0; i < rounds; i++) {
        unsigned long long t0 = ticks_now();
        if (write_str(path, "1\n") || write_str(path, "0\n"))
            return fail("bench flip: kernel.sched_schedstats");
        unsigned long long t = ticks_now() - t0;
        best = t < best ? t : best;
    }
    printf("BENCH linux_static_key_flip %llu\n", ns_of(best) / 2);
    printf("bench: %llu on/off pairs of kernel.sched_schedstats, fastest %llu ns\n", rounds,
           ns_of(best));
    return 0;
}
