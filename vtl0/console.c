/* console.c: the interactive console of the VTL0 test kernel (EL1 of VTL0),
 * the shell `make run` leaves the user in. Every command prints what it did;
 * failed commands are counted and reported at power-off so scripted runs
 * can exit non-zero. */
#include <stdlib.h>
#include <string.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pl011.h"
#include "smp_tests.h"
#include "vsm_tests.h"

static unsigned failures;

static const char *const owner_names[] = {
    "none", "hv", "vtl1", "vtl0", "mmio-vtl0", "mmio-hv",
};

static void access_string(unsigned acc, char out[5])
{
    out[0] = (acc & OVBS_ACC_R) ? 'r' : '-';
    out[1] = (acc & OVBS_ACC_W) ? 'w' : '-';
    out[2] = (acc & OVBS_ACC_XK) ? 'x' : '-';
    out[3] = (acc & OVBS_ACC_XU) ? 'u' : '-';
    out[4] = '\0';
}

/* The device name of memory-map entry `index` ("" for RAM). */
void memmap_name(unsigned index, char out[25])
{
    struct hv_result r = hvc(OVBS_HV_MEMMAP_ENTRY, index, OVBS_MEMMAP_NAME, 0);
    uint64_t w[3] = { r.x1, r.x2, r.x3 };
    for (unsigned i = 0; i < 24; i++)
        out[i] = r.x0 == HV_STATUS_SUCCESS ? (char)(w[i / 8] >> (8 * (i % 8))) : 0;
    out[24] = '\0';
}

void print_memmap(void)
{
    struct hv_result info = hvc(OVBS_HV_INFO, 0, 0, 0);
    kprintf("physical memory map (from the hypervisor's ownership map)\n");
    kprintf("  %-37s %-10s %s\n", "range", "owner", "VTL0 access (r w x=kernel-exec u=user-exec)");
    for (unsigned i = 0;; i++) {
        struct hv_result r = hvc(OVBS_HV_MEMMAP_ENTRY, i, 0, 0);
        if (r.x0 != HV_STATUS_SUCCESS)
            break;
        unsigned owner = r.x3 & 0xff;
        char acc[5];
        access_string((r.x3 >> 8) & 0xff, acc);
        char name[25];
        memmap_name(i, name);
        kprintf("  [0x%010lx, 0x%010lx) %-10s %s  %lu KiB%s%s\n", r.x1, r.x1 + r.x2,
                owner < 6 ? owner_names[owner] : "?", acc, r.x2 >> 10, name[0] ? "  " : "", name);
    }
    static const char *const feature_names[] = {
        "XNX", "SMMU", "RNDR", "PAuth", "TPIDR2", "RAS", "SMMU-enforced",
    };
    kprintf("hypervisor: features 0x%lx (", info.x1);
    for (unsigned b = 0; b < sizeof(feature_names) / sizeof(feature_names[0]); b++) {
        if (info.x1 & (1ull << b))
            kprintf("%s%s", feature_names[b], (info.x1 >> (b + 1)) ? " " : "");
    }
    kprintf("), %lu-bit IPA, VTL0 stage-2 tables %lu pages\n", info.x2, info.x3);
}

static const char *const help_lines[] = {
    "commands:",
    "  help            this list",
    "  info            physical memory map: owner and VTL0 access of every range",
    "  test list|all|NAME   run functional and attack tests",
    "  attack list|all|NAME run attack scenarios and show how they were blocked",
    "  protect ADDR PAGES MASK  ask VTL1 to set VTL0 access (mask bits r=1 w=2 x=4 u=8)",
    "  lock ADDR PAGES MASK     ... and lock it (Kernel Data Protection)",
    "  prot ADDR PAGES  show the protection VTL1 keeps for VTL0 pages",
    "  fuzz SEED COUNT [trace]  random hypercalls and secure calls",
    "  tl load echo|keyholder | tl call ID CMD [TEXT] | tl unload N   trustlets",
    "                  (echo 0x0ec40001: CMD 0 echoes, 7 random, 8 heap, 13 report, the",
    "                  others misbehave (trustlets/echo/echo.c); keyholder 0x0ec40002:",
    "                  0 keygen, 1 sign TEXT, 2 export sealed, 4 public key)",
    "  events [N]      security-event counters and the newest N records (hv and VTL1)",
    "  smp list|all|NAME    multiprocessor tests (four CPUs)",
    "  stress [OPS] [SEED]  seeded mix of operations on four CPUs (default 4000)",
    "  bench           instruction counts (meaningful under make bench)",
    "  poweroff        PSCI SYSTEM_OFF through the hypervisor",
};

/* One line at a time: kprintf formats into a bounded buffer. */
static void help(void)
{
    for (unsigned i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++)
        kprintf("%s\n", help_lines[i]);
}

/* Up to three numbers in C notation ("ADDR PAGES MASK"); false if fewer
 * than `need` are present. */
static bool parse_numbers(const char *arg, uint64_t *out, unsigned need)
{
    const char *p = arg;
    for (unsigned i = 0; i < need; i++) {
        char *end;
        out[i] = strtoul(p, &end, 0);
        if (end == p)
            return false;
        p = end;
    }
    return true;
}

static void protect_command(const char *arg, bool lock)
{
    uint64_t n[3];
    if (!parse_numbers(arg, n, 3)) {
        kprintf("usage: %s ADDR PAGES MASK\n", lock ? "lock" : "protect");
        failures++;
        return;
    }
    struct hv_result r = vcall(lock ? SC_LOCK : SC_PROTECT, n[0], n[1], n[2]);
    kprintf("%s: status %lu%s\n", lock ? "lock" : "protect", r.x0,
            r.x0 == HV_STATUS_SUCCESS ? " (done)" : " (refused)");
    if (r.x0 != HV_STATUS_SUCCESS)
        failures++;
}

static void prot_command(const char *arg)
{
    uint64_t n[2];
    if (!parse_numbers(arg, n, 2) || n[1] == 0 || n[1] > 64) {
        kprintf("usage: prot ADDR PAGES (at most 64)\n");
        failures++;
        return;
    }
    uint64_t gpa = n[0];
    for (uint64_t i = 0; i < n[1]; i++) {
        struct hv_result r = vcall(SC_QUERY, gpa + i * 4096, 0, 0);
        if (r.x0 != HV_STATUS_SUCCESS) {
            kprintf("  0x%lx: not VTL0 RAM (status %lu)\n", gpa + i * 4096, r.x0);
            failures++;
            return;
        }
        char acc[5];
        access_string(r.x1 & 0xf, acc);
        kprintf("  0x%lx: %s%s\n", gpa + i * 4096, acc, (r.x1 & SC_LOCKED) ? " locked" : "");
    }
}

/* The SMP tests that need a boot of their own: smp_cpu_on_unenabled one
 * with more CPUs than the secure kernel enables, smp_rollback_race one in
 * which no echo v3 has loaded yet (the rollback floor only rises). */
static bool own_boot_only(const char *name)
{
    return !strcmp(name, "smp_cpu_on_unenabled") || !strcmp(name, "smp_rollback_race");
}

/* `smp list|all|NAME`: the multiprocessor tests (smp_tests.c); `all`
 * leaves out those above. */
static void run_smp_tests(const char *arg)
{
    unsigned pass = 0, fail = 0;
    if (!strcmp(arg, "list")) {
        for (unsigned i = 0; i < num_smp_tests; i++)
            kprintf("  %-24s %s%s\n", smp_tests[i].name, smp_tests[i].attack ? "[attack] " : "",
                    smp_tests[i].what);
        return;
    }
    if (!strcmp(arg, "all") || !arg[0]) {
        for (unsigned i = 0; i < num_smp_tests; i++) {
            if (own_boot_only(smp_tests[i].name))
                continue;
            if (run_test(&smp_tests[i]))
                pass++;
            else
                fail++;
        }
        kprintf("SMP TESTS %u passed, %u failed\n", pass, fail);
        failures += fail;
        return;
    }
    for (unsigned i = 0; i < num_smp_tests; i++) {
        if (!strcmp(smp_tests[i].name, arg)) {
            if (!run_test(&smp_tests[i]))
                failures++;
            return;
        }
    }
    kprintf("no such SMP test: %s (try 'smp list')\n", arg);
    failures++;
}

static void run_tests(const char *arg, bool attacks_only)
{
    unsigned pass = 0, fail = 0;
    if (!strcmp(arg, "list")) {
        for (unsigned i = 0; i < num_tests; i++) {
            if (!attacks_only || tests[i].attack)
                kprintf("  %-24s %s%s\n", tests[i].name, tests[i].attack ? "[attack] " : "",
                        tests[i].what);
        }
        return;
    }
    if (!strcmp(arg, "all") || !arg[0]) {
        for (unsigned i = 0; i < num_tests; i++) {
            if (attacks_only && !tests[i].attack)
                continue;
            if (run_test(&tests[i]))
                pass++;
            else
                fail++;
        }
        kprintf("TESTS %u passed, %u failed\n", pass, fail);
        failures += fail;
        return;
    }
    const struct test *t = find_test(arg);
    if (!t || (attacks_only && !t->attack)) {
        kprintf("no such %s: %s (try '%s list')\n", attacks_only ? "attack" : "test", arg,
                attacks_only ? "attack" : "test");
        failures++;
        return;
    }
    if (attacks_only)
        kprintf("attack %s: %s\n", t->name, t->what);
    if (!run_test(t))
        failures++;
}

static void execute(char *line)
{
    while (*line == ' ')
        line++;
    char *arg = line;
    while (*arg && *arg != ' ')
        arg++;
    if (*arg)
        *arg++ = '\0';
    while (*arg == ' ')
        arg++;

    if (!line[0] || line[0] == '#')
        return;
    if (!strcmp(line, "help")) {
        help();
    } else if (!strcmp(line, "info")) {
        print_memmap();
    } else if (!strcmp(line, "test")) {
        run_tests(arg, false);
    } else if (!strcmp(line, "attack")) {
        run_tests(arg[0] ? arg : "list", true);
    } else if (!strcmp(line, "protect") || !strcmp(line, "lock")) {
        protect_command(arg, line[0] == 'l');
    } else if (!strcmp(line, "prot")) {
        prot_command(arg);
    } else if (!strcmp(line, "fuzz")) {
        char *end;
        uint64_t seed = strtoul(arg, &end, 0);
        unsigned long count = strtoul(end, &end, 0);
        fuzz_trace = strstr(end, "trace") != NULL;
        if (!fuzz_hypercalls(seed, count ? (unsigned)count : 10000))
            failures++;
    } else if (!strcmp(line, "tl")) {
        if (!tl_command(arg))
            failures++;
    } else if (!strcmp(line, "events")) {
        if (!events_command(arg))
            failures++;
    } else if (!strcmp(line, "smp")) {
        run_smp_tests(arg[0] ? arg : "list");
    } else if (!strcmp(line, "stress")) {
        if (!stress_command(arg))
            failures++;
    } else if (!strcmp(line, "bench")) {
        run_bench();
    } else if (!strcmp(line, "poweroff")) {
        kprintf("console: %u failure(s); powering off\n", failures);
        poweroff();
    } else {
        kprintf("unknown command '%s' (try 'help')\n", line);
        failures++;
    }
}

static int read_char(void)
{
    char c;
    while (!pl011_getc(&c))
        ;
    return (unsigned char)c;
}

void console_run(void)
{
    char line[128];
    kprintf("OpenVBS VTL0 console. Type 'help'.\n");
    for (;;) {
        unsigned n = 0;
        kprintf("vtl0> ");
        for (;;) {
            int c = read_char();
            if (c == '\r' || c == '\n') {
                kprintf("\n");
                break;
            }
            if ((c == 0x7f || c == 0x08) && n > 0) {
                n--;
                kprintf("\b \b");
                continue;
            }
            if (c >= 0x20 && c < 0x7f && n < sizeof(line) - 1) {
                line[n++] = (char)c;
                kprintf("%c", c);
            }
        }
        line[n] = '\0';
        execute(line);
    }
}
