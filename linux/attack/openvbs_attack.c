// SPDX-License-Identifier: GPL-2.0
/* openvbs_attack.c: test-only Linux kernel module, EL1 of VTL0. Plays the
 * attacker the threat model gives VTL0: root with kernel code execution.
 * Each file under /sys/kernel/debug/openvbs_attack/ is one attack: writing
 * a value runs it, reading gives its last result, and every step is logged
 * with pr_info. Never loaded by /init; tests/qemu/test_linux_attacks.py
 * insmods it (docs/linux.md, docs/threat-model.md).
 *
 * Targets are physical addresses, or names resolved at run time from the
 * hypervisor's memory map: "canary" (VTL1's DMA canary page, whose contents
 * VTL0 knows), "vtl1", "hv", "hv-last", "mmio-hv", "mmio-vtl0" (the first,
 * or last, run with that owner), "locked" (a page of ours VTL1 locked
 * read-only) and "self" (a page of ours, unprotected: the control case).
 * "check" reports whether a target is intact after an attack whose thread
 * died (VTL1 checks its canary; a locked page is compared with its pattern).
 * "ktext" is the page of a kernel function no test calls (__arm64_sys_acct),
 * compared with the copy taken when it was first named.
 *
 * The kernel-integrity attacks (section 6) run after `vbsctl lock-kernel`:
 * the module is loaded before it, as an exploit that already has kernel
 * write and execute primitives would be.
 *
 * The memory attacks expect the hypervisor to abort the access: Linux then
 * oopses the writing process, so the result left behind says "started" and
 * no value. They take no lock across the access, since a dying thread
 * keeps whatever it holds. Everything else runs under attack_mutex. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/arm-smccc.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/io.h>
#include <linux/jump_label.h>
#include <linux/kernel_read_file.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/cacheflush.h>
#include <asm/memory.h>
#include <asm/sysreg.h>
#include <asm/uaccess.h>

/* The shared headers define the SMCCC return values with the same
 * numbers as linux/arm-smccc.h: theirs stand. */
#undef SMCCC_RET_SUCCESS
#undef SMCCC_RET_NOT_SUPPORTED
#undef SMCCC_RET_NOT_REQUIRED
#undef SMCCC_RET_INVALID_PARAMETER
#include "openvbs/hvcall.h"
#include "openvbs/vsm.h"
#include "openvbs/trustlet.h"

#define RESULT_MAX 1024
#define MARKER     0x4b41545441545441ull /* "ATTATTAK": what our writes leave */

static DEFINE_MUTEX(attack_mutex);

/* ---- Calls --------------------------------------------------------------- */

struct call { u64 st, r1, r2, r3; };

static struct call hv(u32 fn, u64 a1, u64 a2, u64 a3)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(fn, a1, a2, a3, &res);
	return (struct call){ res.a0, res.a1, res.a2, res.a3 };
}

/* Made directly, not through /dev/openvbs: the attacker picks every
 * argument. Pinned to this CPU because the hypervisor resumes a preempted
 * call only on its own VP; interrupts stay on. */
static struct call sc(u64 service, u64 a2, u64 a3, u64 a4, u64 a5)
{
	struct arm_smccc_res res;

	preempt_disable();
	arm_smccc_1_1_hvc(OVBS_VTL_CALL, service, a2, a3, a4, a5, 0, &res);
	preempt_enable();
	return (struct call){ res.a0, res.a1, res.a2, res.a3 };
}

static u64 hv_events(unsigned int kind)
{
	struct call c = hv(OVBS_HV_EVENT_COUNT, kind, 0, 0);

	return c.st == HV_STATUS_SUCCESS ? c.r1 : 0;
}

/* FNV-1a, as the secure kernel's SC_CHECKSUM and SC_DMA_CANARY compute it. */
static u64 fnv1a(const u8 *p, size_t len)
{
	u64 h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* VTL1's own judgement of its canary page: intact if its checksum is the
 * boot pattern's. */
static bool canary_intact(u64 *pa)
{
	u64 want = 0xcbf29ce484222325ull;
	struct call c = sc(SC_DMA_CANARY, 0, 0, 0, 0);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++)
		want = (want ^ sc_dma_canary_byte(i)) * 0x100000001b3ull;
	if (pa)
		*pa = c.r1;
	return c.st == HV_STATUS_SUCCESS && c.r2 == want;
}

/* ---- Targets ------------------------------------------------------------- */

static u8 *self_page;   /* ours, VTL0 access rwxu */
static u8 *locked_page; /* ours, locked read-only by VTL1: never freed */

static void pattern(u8 *p, u8 seed, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seed + i * 7);
}

static bool has_pattern(const u8 *p, u8 seed, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (u8)(seed + i * 7))
			return false;
	return true;
}

#define LOCKED_SEED 0x3c

/* The page is locked once and kept: freed, Linux would hand a page it may
 * not write to someone else. */
static int make_locked_page(void)
{
	struct call c;
	u8 *p;

	if (locked_page)
		return 0;
	p = (u8 *)get_zeroed_page(GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	pattern(p, LOCKED_SEED, PAGE_SIZE);
	c = sc(SC_LOCK, virt_to_phys(p), 1, OVBS_ACC_R, 0);
	pr_info("locked page 0x%llx: SC_LOCK read-only -> status 0x%llx\n",
		(u64)virt_to_phys(p), c.st);
	if (c.st != HV_STATUS_SUCCESS) {
		free_page((unsigned long)p);
		return -EACCES;
	}
	locked_page = p;
	return 0;
}

/* The base of the first (or last) run of the memory map with that owner
 * (0 is a real base: QEMU's flash starts there). */
static bool owner_run(unsigned int owner, bool last, u64 *base)
{
	bool found = false;
	unsigned int i;

	for (i = 0; i < 4096; i++) {
		struct call c = hv(OVBS_HV_MEMMAP_ENTRY, i, OVBS_MEMMAP_RANGE, 0);

		if (c.st != HV_STATUS_SUCCESS)
			break;
		if ((c.r3 & 0xff) == owner) {
			*base = c.r1;
			found = true;
			if (!last)
				break;
		}
	}
	return found;
}

struct target {
	u64 pa;
	char what[24];
};

/* Kernel text: a function's address from kallsyms (not exported; its
 * address comes from a kprobe on kallsyms_lookup_name, registered and
 * removed at once at load, before any lock), its physical page through
 * kimage_voffset, and a copy of that page taken when first named. */
#define KTEXT_VICTIM "__arm64_sys_acct" /* process accounting: nothing here calls it */
static unsigned long (*lookup_name)(const char *name);
static u64 ktext_pa;
static u8 ktext_copy[PAGE_SIZE];

static int resolve_lookup_name(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	int rc = register_kprobe(&kp);

	if (!rc)
		unregister_kprobe(&kp);
	if (!kp.addr)
		return rc ? rc : -ENOENT;
	lookup_name = (unsigned long (*)(const char *))kp.addr;
	return 0;
}

static unsigned long ksym(const char *name)
{
	return lookup_name ? lookup_name(name) : 0;
}

static u64 kimage_pa(unsigned long va)
{
	return (u64)(va - kimage_voffset);
}

static int ktext_snapshot(void)
{
	unsigned long va = ksym(KTEXT_VICTIM);

	if (!va)
		return -ENOENT;
	if (!ktext_pa) {
		ktext_pa = kimage_pa(va) & PAGE_MASK;
		memcpy(ktext_copy, (void *)(va & PAGE_MASK), PAGE_SIZE);
	}
	return 0;
}

static bool ktext_intact(void)
{
	unsigned long va = ksym(KTEXT_VICTIM);

	return va && !memcmp(ktext_copy, (void *)(va & PAGE_MASK), PAGE_SIZE);
}

static int resolve(const char *arg, struct target *t)
{
	static const struct { const char *name; unsigned int owner; bool last; } runs[] = {
		{ "vtl1", OWNER_VTL1, false },     { "hv", OWNER_HV, false },
		{ "hv-last", OWNER_HV, true },     { "mmio-hv", OWNER_MMIO_HV, false },
		{ "mmio-vtl0", OWNER_MMIO_VTL0, false },
	};
	unsigned int i;
	int rc;

	strscpy(t->what, arg, sizeof(t->what));
	t->pa = 0;
	if (!strcmp(arg, "canary")) {
		canary_intact(&t->pa); /* only its address, here */
		return t->pa ? 0 : -ENOENT;
	}
	if (!strcmp(arg, "self")) {
		t->pa = virt_to_phys(self_page);
		return 0;
	}
	if (!strcmp(arg, "locked")) {
		rc = make_locked_page();
		if (!rc)
			t->pa = virt_to_phys(locked_page);
		return rc;
	}
	if (!strcmp(arg, "ktext")) {
		rc = ktext_snapshot();
		if (!rc)
			t->pa = ktext_pa;
		return rc;
	}
	for (i = 0; i < ARRAY_SIZE(runs); i++)
		if (!strcmp(arg, runs[i].name))
			return owner_run(runs[i].owner, runs[i].last, &t->pa) ? 0 : -ENOENT;
	strscpy(t->what, "address", sizeof(t->what));
	return kstrtou64(arg, 0, &t->pa);
}

/* ---- Results ------------------------------------------------------------- */

struct attack {
	const char *name;
	int (*run)(struct attack *a, const char *arg);
	bool unlocked; /* may fault: runs without attack_mutex */
	spinlock_t lock;
	char result[RESULT_MAX];
};

/* Replace the result, and log it line by line. */
static __printf(2, 3) void result_set(struct attack *a, const char *fmt, ...)
{
	char *line, *text;
	va_list ap;

	va_start(ap, fmt);
	text = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	if (!text)
		return;
	spin_lock(&a->lock);
	strscpy(a->result, text, sizeof(a->result));
	spin_unlock(&a->lock);
	for (line = text; line; ) {
		char *next = strchr(line, '\n');

		if (next)
			*next++ = '\0';
		if (*line)
			pr_info("%s: %s\n", a->name, line);
		line = next;
	}
	kfree(text);
}

/* ---- 1. CPU access to VTL1 and hypervisor memory ---------------------------
 * memremap(MEMREMAP_WB) gives a cacheable mapping (Linux's ioremap_cache
 * for memory that is not its RAM), ioremap a Device one: stage 1 lets both
 * through, and the access itself must stop at stage 2. */

static void __iomem *map_phys(u64 pa, bool io)
{
	return io ? ioremap(pa, PAGE_SIZE) : (void __iomem *)memremap(pa, PAGE_SIZE, MEMREMAP_WB);
}

static void unmap_phys(void __iomem *p, bool io)
{
	if (io)
		iounmap(p);
	else
		memunmap((void __force *)p);
}

/* What the first 8 bytes of a target would be, if they leaked. */
static const char *leak_name(const struct target *t, u64 v)
{
	u64 canary = 0;
	unsigned int i;

	for (i = 0; i < 8; i++)
		canary |= (u64)sc_dma_canary_byte(i) << (8 * i);
	if (!strcmp(t->what, "canary") && v == canary)
		return "LEAKED: VTL1's canary bytes";
	if ((v & 0xffffffff) == 0xedfe0dd0)
		return "LEAKED: a device-tree magic";
	return "no known marker";
}

static int mem_access(struct attack *a, const char *arg, bool write, bool io)
{
	const char *how = io ? "ioremap" : "memremap(WB)";
	void __iomem *p;
	struct target t;
	u64 v;
	int rc = resolve(arg, &t);

	if (rc)
		return rc;
	p = map_phys(t.pa, io);
	if (!p) {
		result_set(a, "%s 0x%llx (%s): %s refused the mapping", a->name, t.pa, t.what, how);
		return -ENOMEM;
	}
	/* Left behind if the access kills us. */
	result_set(a, "%s 0x%llx (%s) via %s at %px: started, not completed (no value)",
		   a->name, t.pa, t.what, how, (void __force *)p);
	if (write) {
		writeq_relaxed(MARKER, p);
		v = readq_relaxed(p);
		result_set(a, "%s 0x%llx (%s) via %s: wrote the marker, reads back 0x%016llx%s",
			   a->name, t.pa, t.what, how, v, v == MARKER ? " (WRITTEN)" : "");
	} else {
		v = readq_relaxed(p);
		result_set(a, "%s 0x%llx (%s) via %s: value 0x%016llx (%s)", a->name, t.pa,
			   t.what, how, v, leak_name(&t, v));
	}
	unmap_phys(p, io);
	return 0;
}

static int a_read_phys(struct attack *a, const char *arg) { return mem_access(a, arg, false, false); }
static int a_write_phys(struct attack *a, const char *arg) { return mem_access(a, arg, true, false); }
static int a_ioread_phys(struct attack *a, const char *arg) { return mem_access(a, arg, false, true); }
static int a_iowrite_phys(struct attack *a, const char *arg) { return mem_access(a, arg, true, true); }

/* ---- 2. Secure calls with buffers in protected memory ----------------------
 * Four calls each name the target as a buffer: SC_QUERY_RANGE's output,
 * SC_CHECKSUM's input and its progress word (an output), SC_TL_LOAD's
 * image. VTL1 must refuse each before touching a byte. */

/* What VTL1 could have written on the target, checked afterwards. */
static const char *target_state(const struct target *t)
{
	if (!strcmp(t->what, "canary"))
		return canary_intact(NULL) ? "VTL1's canary intact" : "VTL1's canary CHANGED";
	if (!strcmp(t->what, "locked"))
		return has_pattern(locked_page, LOCKED_SEED, PAGE_SIZE) ? "locked page unchanged"
								      : "locked page CHANGED";
	if (!strcmp(t->what, "ktext"))
		return ktext_intact() ? "kernel text unchanged" : "kernel text CHANGED";
	return hv(OVBS_HV_NULL, 0, 0, 0).st == HV_STATUS_SUCCESS ? "hypervisor answers"
								  : "hypervisor SILENT";
}

/* After an attack that killed its thread: is the target as it was? */
static int a_check(struct attack *a, const char *arg)
{
	struct target t;
	int rc = resolve(arg, &t);

	if (!rc)
		result_set(a, "target 0x%llx (%s): %s", t.pa, t.what, target_state(&t));
	return rc;
}

static int a_sc_buffers(struct attack *a, const char *arg)
{
	u64 self = virt_to_phys(self_page);
	struct call q, in, prog, load;
	struct target t;
	int rc = resolve(arg, &t);

	if (rc)
		return rc;
	memset(self_page, 0x77, PAGE_SIZE);
	q = sc(SC_QUERY_RANGE, self, 1, t.pa, 0);
	in = sc(SC_CHECKSUM, t.pa, 64, 0, 0);
	prog = sc(SC_CHECKSUM, self, 64, 0, t.pa);
	load = sc(SC_TL_LOAD, t.pa, PAGE_SIZE, 0, 0);
	if (load.st == HV_STATUS_SUCCESS)
		sc(SC_TL_UNLOAD, load.r1, 0, 0, 0);
	result_set(a,
		   "target 0x%llx (%s)\n"
		   "SC_QUERY_RANGE out=target: status 0x%llx\n"
		   "SC_CHECKSUM in=target: status 0x%llx\n"
		   "SC_CHECKSUM progress=target: status 0x%llx\n"
		   "SC_TL_LOAD image=target: status 0x%llx\n"
		   "after: %s\n",
		   t.pa, t.what, q.st, in.st, prog.st, load.st, target_state(&t));
	return 0;
}

/* Racing the buffer: a kthread on another CPU waits for VTL1's progress
 * word (set once VTL1 has its copy) and inverts every byte while VTL1 is
 * still working on the call. The checksum must be the one of the buffer
 * before the flip: VTL1 reads VTL0 memory once. */
struct flipper {
	u8 *buf;
	size_t len;
	volatile u64 *progress; /* NULL: flip the last byte without pause */
	bool ready, flipped;
	unsigned long flips;
	int cpu;
};

static int flip_thread(void *arg)
{
	struct flipper *f = arg;

	WRITE_ONCE(f->ready, true);
	while (!kthread_should_stop()) {
		if (!f->progress) {
			f->buf[f->len - 1] ^= 1;
			f->flips++;
		} else if (!READ_ONCE(f->flipped) && READ_ONCE(*f->progress)) {
			size_t i;

			for (i = 0; i < f->len; i++)
				f->buf[i] ^= 0xff;
			smp_wmb();
			WRITE_ONCE(f->flipped, true);
		}
		cpu_relax();
	}
	return 0;
}

/* Started on a CPU other than ours (the caller has migration off). */
static struct task_struct *flipper_start(struct flipper *f)
{
	int here = smp_processor_id(), cpu;
	struct task_struct *k;
	unsigned long until = jiffies + HZ;

	cpu = cpumask_next_wrap(here, cpu_online_mask, here, false);
	if (cpu >= nr_cpu_ids || cpu == here)
		return ERR_PTR(-ENODEV);
	k = kthread_create(flip_thread, f, "ovbs_flip/%d", cpu);
	if (IS_ERR(k))
		return k;
	kthread_bind(k, cpu);
	f->cpu = cpu;
	wake_up_process(k);
	while (!READ_ONCE(f->ready) && time_before(jiffies, until))
		cpu_relax();
	return k;
}

static int a_race_checksum(struct attack *a, const char *arg)
{
	u64 *progress = kzalloc(sizeof(*progress), GFP_KERNEL);
	u64 before = 0, after = 0;
	struct flipper f = { .buf = self_page, .len = PAGE_SIZE };
	struct task_struct *k;
	struct call c = { 0 };
	unsigned int attempt, attempts = 5;
	bool in_call = false;
	int here;

	if (!progress)
		return -ENOMEM;
	if (*arg && kstrtouint(arg, 0, &attempts))
		attempts = 5;
	migrate_disable();
	here = smp_processor_id();
	for (attempt = 1; attempt <= attempts && !in_call; attempt++) {
		pattern(self_page, 3, PAGE_SIZE);
		before = fnv1a(self_page, PAGE_SIZE);
		*progress = 0;
		f.progress = progress;
		f.ready = f.flipped = false;
		k = flipper_start(&f);
		if (IS_ERR(k)) {
			migrate_enable();
			kfree(progress);
			return PTR_ERR(k);
		}
		c = sc(SC_CHECKSUM, virt_to_phys(self_page), PAGE_SIZE, SC_MAX_SPIN,
		       virt_to_phys(progress));
		in_call = READ_ONCE(f.flipped); /* flipped before the call came back */
		kthread_stop(k);
		smp_rmb();
		after = fnv1a(self_page, PAGE_SIZE);
	}
	migrate_enable();
	kfree(progress);
	result_set(a,
		   "attempt %u: buffer flipped by CPU %d during the call on CPU %d: %s\n"
		   "status 0x%llx, checksum 0x%016llx\n"
		   "before the flip 0x%016llx, after 0x%016llx: %s\n",
		   attempt - 1, f.cpu, here, in_call ? "yes" : "no", c.st, c.r1, before, after,
		   c.r1 == before ? "the snapshot before the flip" :
		   c.r1 == after ? "the FLIPPED buffer (read twice)" : "NEITHER snapshot");
	return 0;
}

/* SC_TL_LOAD of a signed image whose last byte another CPU keeps toggling:
 * each load must be the genuine image (loaded) or the changed one
 * (TL_BAD_HASH), never anything else. A loaded one is unloaded again. */
static int a_race_tl_load(struct attack *a, const char *arg)
{
	unsigned int n, loaded = 0, bad_hash = 0, other = 0, attempts = 4;
	u64 other_status = 0, pa;
	struct flipper f = { 0 };
	void *file = NULL;
	size_t size = 0;
	char path[128], *sp;
	struct task_struct *k;
	ssize_t got;

	strscpy(path, arg, sizeof(path));
	sp = strchr(path, ' ');
	if (sp) {
		*sp++ = '\0';
		if (kstrtouint(sp, 0, &attempts) || !attempts)
			return -EINVAL;
	}
	got = kernel_read_file_from_path(path, 0, &file, TL_HEADER_SIZE + TL_MAX_IMAGE, &size,
					 READING_UNKNOWN);
	if (got < 0)
		return (int)got;
	f.len = size;
	f.buf = alloc_pages_exact(size, GFP_KERNEL);
	if (!f.buf || size < TL_HEADER_SIZE) {
		vfree(file);
		if (f.buf)
			free_pages_exact(f.buf, size);
		return -ENOMEM;
	}
	memcpy(f.buf, file, size);
	vfree(file);
	pa = virt_to_phys(f.buf);
	migrate_disable();
	k = flipper_start(&f);
	if (!IS_ERR(k)) {
		for (n = 0; n < attempts; n++) {
			struct call c = sc(SC_TL_LOAD, pa, size, 0, 0);

			if (c.st == HV_STATUS_SUCCESS) {
				loaded++;
				sc(SC_TL_UNLOAD, c.r1, 0, 0, 0);
			} else if (c.st == TL_ST_BAD_HASH) {
				bad_hash++;
			} else {
				other++;
				other_status = c.st;
			}
		}
		kthread_stop(k);
	}
	migrate_enable();
	free_pages_exact(f.buf, size);
	if (IS_ERR(k))
		return PTR_ERR(k);
	result_set(a,
		   "%s (%zu bytes), last byte toggled %lu times by CPU %d\n"
		   "%u loads: %u loaded (genuine snapshot), %u TL_BAD_HASH (changed snapshot), "
		   "%u other (last status 0x%llx)\n",
		   path, size, f.flips, f.cpu, attempts, loaded, bad_hash, other, other_status);
	return 0;
}

/* ---- 3. Protection changes of foreign memory ------------------------------ */

static int a_protect(struct attack *a, const char *arg)
{
	struct call p_r, p_rwx, l_r, q;
	struct target t;
	int rc = resolve(arg, &t);

	if (rc)
		return rc;
	p_r = sc(SC_PROTECT, t.pa, 1, OVBS_ACC_R, 0);
	p_rwx = sc(SC_PROTECT, t.pa, 1, OVBS_ACC_RWX, 0);
	l_r = sc(SC_LOCK, t.pa, 1, OVBS_ACC_R, 0);
	q = sc(SC_QUERY, t.pa, 0, 0, 0);
	result_set(a,
		   "target 0x%llx (%s)\n"
		   "SC_PROTECT r: status 0x%llx\n"
		   "SC_PROTECT rwxu: status 0x%llx\n"
		   "SC_LOCK r: status 0x%llx\n"
		   "SC_QUERY: status 0x%llx, protection 0x%llx\n",
		   t.pa, t.what, p_r.st, p_rwx.st, l_r.st, q.st, q.r1);
	return 0;
}

/* ---- 4. DMA with QEMU's edu device, past the Linux DMA API -----------------
 * The SMMU gives every device an identity-mapped context of VTL0 RAM, so a
 * physical address is the device address. Protocol as in vtl0/edu.c:
 * source, destination, count, then the command; RUN clears when done. */
#define EDU_VENDOR    0x1234
#define EDU_DEVICE    0x11e8
#define EDU_ID        0x00
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD   0x98
#define EDU_CMD_RUN   (1u << 0)
#define EDU_TO_RAM    (1u << 1)
#define EDU_BUF       0x40000
#define DMA_LEN       1024 /* QEMU aborts on a transfer that ends at the buffer's end */

static struct pci_dev *edu;
static void __iomem *edu_regs;

static int edu_open(void)
{
	int rc;

	if (edu_regs)
		return 0;
	edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!edu)
		return -ENODEV;
	rc = pci_enable_device(edu);
	if (rc)
		goto put;
	pci_set_master(edu);
	edu_regs = pci_iomap(edu, 0, 0);
	if (!edu_regs) {
		rc = -ENOMEM;
		goto disable;
	}
	if (ioread32(edu_regs + EDU_ID) >> 16 != 0x0100) {
		rc = -ENODEV;
		goto unmap;
	}
	pr_info("edu %s: BAR0 at %pR, bus master on\n", pci_name(edu), &edu->resource[0]);
	return 0;
unmap:
	pci_iounmap(edu, edu_regs);
	edu_regs = NULL;
disable:
	pci_disable_device(edu);
put:
	pci_dev_put(edu);
	edu = NULL;
	return rc;
}

/* A refused transfer still completes as far as the device knows. */
static int edu_dma(u64 src, u64 dst, u32 dir)
{
	unsigned long until = jiffies + 2 * HZ;

	if (readq(edu_regs + EDU_DMA_CMD) & EDU_CMD_RUN)
		return -EBUSY;
	writeq(src, edu_regs + EDU_DMA_SRC);
	writeq(dst, edu_regs + EDU_DMA_DST);
	writeq(DMA_LEN, edu_regs + EDU_DMA_COUNT);
	writeq(EDU_CMD_RUN | dir, edu_regs + EDU_DMA_CMD);
	while (readq(edu_regs + EDU_DMA_CMD) & EDU_CMD_RUN) {
		if (time_after(jiffies, until))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
	return 0;
}

/* Resolve the target, give the device's buffer our pattern from our own
 * page (that transfer must work: it shows DMA works at all), and note the
 * hypervisor's DMA fault count before the attack. */
static int dma_begin(const char *arg, u8 seed, struct target *t, u64 *faults)
{
	int rc = resolve(arg, t);

	if (!rc)
		rc = edu_open();
	if (rc)
		return rc;
	pattern(self_page, seed, DMA_LEN);
	rc = edu_dma(virt_to_phys(self_page), EDU_BUF, 0);
	*faults = hv_events(OVBS_EV_DMA_FAULT);
	return rc;
}

static int a_dma_write(struct attack *a, const char *arg)
{
	u64 faults;
	struct target t;
	int rc = dma_begin(arg, 0xa5, &t, &faults);

	if (rc)
		return rc;
	rc = edu_dma(EDU_BUF, t.pa, EDU_TO_RAM);
	if (rc)
		return rc;
	result_set(a, "edu DMA of %u bytes to 0x%llx (%s): done\nDMA faults %llu -> %llu\n"
		   "after: %s\n", DMA_LEN, t.pa, t.what, faults, hv_events(OVBS_EV_DMA_FAULT),
		   !strcmp(t.what, "self") ?
		   (has_pattern(self_page, 0xa5, DMA_LEN) ? "our page holds the data" :
		    "our page did NOT get the data") : target_state(&t));
	return 0;
}

/* Read the target into the device, then the device's buffer back into our
 * page: our pattern (or zeros, QEMU's answer to a refused read) shows that
 * nothing of the target arrived. */
static int a_dma_read(struct attack *a, const char *arg)
{
	const char *kept;
	u64 faults;
	struct target t;
	int rc = dma_begin(arg, 0x5a, &t, &faults);

	if (rc)
		return rc;
	rc = edu_dma(t.pa, EDU_BUF, 0);
	if (!rc) {
		memset(self_page, 0x99, DMA_LEN);
		rc = edu_dma(EDU_BUF, virt_to_phys(self_page), EDU_TO_RAM);
	}
	if (rc)
		return rc;
	if (has_pattern(self_page, 0x5a, DMA_LEN))
		kept = "the device kept our pattern";
	else if (!memchr_inv(self_page, 0, DMA_LEN))
		kept = "the device read zeros";
	else
		kept = "the device got the target's bytes";
	result_set(a, "edu DMA of %u bytes from 0x%llx (%s): done\nDMA faults %llu -> %llu\n"
		   "after: %s\n", DMA_LEN, t.pa, t.what, faults, hv_events(OVBS_EV_DMA_FAULT),
		   kept);
	return 0;
}

/* ---- 6. Kernel integrity, after the lock -----------------------------------
 * Each attack reports what VTL1 counted (SC_KERNEL_STATUS: refusals and
 * validated patches) before and after, and whether the target changed.
 * A refused EL1 write to a kernel address reaches Linux as a permission
 * fault, so the accessors with exception fixups return -EFAULT and the
 * thread lives; refused execution oopses the thread that tried. */

struct klock { u64 state, refusals, patches; };

static struct klock klock_now(void)
{
	struct call c = sc(SC_KERNEL_STATUS, 0, 0, 0, 0);

	return (struct klock){ c.r1, c.r2, c.r3 };
}

static int (*patch_nosync)(void *addr, u32 insn);
#define A64_BRK_ATTACK 0xd4294820u /* brk #0x4a41: what the attacks try to plant */

/* One store of `size` bytes (4 or 8: a single str, as the stage-2 check
 * sees it) with an exception fixup, the way Linux's own
 * copy_to_kernel_nofault stores: -EFAULT instead of an oops. */
static int store_nofault(void *dst, u64 v, size_t size)
{
	u32 v32 = (u32)v;

	if (size == sizeof(u32))
		__put_kernel_nofault(dst, &v32, u32, fault);
	else
		__put_kernel_nofault(dst, &v, u64, fault);
	return 0;
fault:
	return -EFAULT;
}

/* A writable vmap alias of the page of a kernel-image address. */
static void *kimage_alias(unsigned long va, struct page **page)
{
	*page = pfn_to_page(kimage_pa(va) >> PAGE_SHIFT);
	return vmap(page, 1, VM_MAP, PAGE_KERNEL);
}

/* "text_patch", "text_vmap", "text_linear": plant a BRK at the victim
 * function through Linux's text-patching path (the fixmap alias), through a
 * writable vmap alias of its page, and through the linear map. */
static int text_write(struct attack *a, const char *how)
{
	unsigned long va = ksym(KTEXT_VICTIM);
	struct klock before = klock_now(), after;
	struct page *page;
	u32 old, now;
	void *alias;
	int rc;

	if (!va || ktext_snapshot())
		return -ENOENT;
	old = *(u32 *)va;
	if (!strcmp(how, "patch")) {
		if (!patch_nosync)
			return -ENOENT;
		rc = patch_nosync((void *)va, A64_BRK_ATTACK);
	} else if (!strcmp(how, "vmap")) {
		alias = kimage_alias(va, &page);
		if (!alias)
			return -ENOMEM;
		rc = store_nofault(alias + (va & ~PAGE_MASK), A64_BRK_ATTACK, 4);
		vunmap(alias);
	} else {
		rc = store_nofault(lm_alias((void *)va), A64_BRK_ATTACK, 4);
	}
	now = *(u32 *)va;
	after = klock_now();
	result_set(a, "%s %s at 0x%lx (PA 0x%llx) via %s: status %d\n"
		   "instruction 0x%08x -> 0x%08x (%s)\nVTL1 refusals %llu -> %llu\n",
		   a->name, KTEXT_VICTIM, va, kimage_pa(va), how, rc, old, now,
		   now == old ? "UNCHANGED" : "CHANGED", before.refusals, after.refusals);
	return 0;
}

static int a_text_patch(struct attack *a, const char *arg) { return text_write(a, "patch"); }
static int a_text_vmap(struct attack *a, const char *arg) { return text_write(a, "vmap"); }
static int a_text_linear(struct attack *a, const char *arg) { return text_write(a, "linear"); }

/* "kdata_write VA": 8 bytes at a kernel-image address (sys_call_table, a
 * __ro_after_init variable) through a writable vmap alias; put back if
 * the write went through. */
static int a_kdata_write(struct attack *a, const char *arg)
{
	struct klock before = klock_now(), after;
	struct page *page;
	unsigned long va;
	u64 old, now;
	void *alias;
	int rc = kstrtoul(arg, 0, &va);

	if (rc)
		return rc;
	if (va & 7)
		return -EINVAL;
	old = *(u64 *)va;
	alias = kimage_alias(va, &page);
	if (!alias)
		return -ENOMEM;
	rc = store_nofault(alias + (va & ~PAGE_MASK), MARKER, 8);
	now = *(u64 *)va;
	if (now != old)
		store_nofault(alias + (va & ~PAGE_MASK), old, 8);
	vunmap(alias);
	after = klock_now();
	result_set(a, "kdata_write 0x%lx (PA 0x%llx) via vmap: status %d\n"
		   "value 0x%016llx -> 0x%016llx (%s)\nVTL1 refusals %llu -> %llu\n",
		   va, kimage_pa(va), rc, old, now, now == old ? "UNCHANGED" : "CHANGED",
		   before.refusals, after.refusals);
	return 0;
}

/* "exec_kmalloc", "exec_vmalloc": `mov x0, #0x1234; ret` in fresh kernel
 * memory, made executable at stage 1 the way an exploit would, and called:
 * vmalloc memory with set_memory_x; a kmalloc page through a vmap alias
 * whose vm area is marked VM_ALLOC first, so that set_memory_x takes it
 * too (neither function is exported: kallsyms gives them). Before the
 * lock the call returns 0x1234 (the control case). After it, stage 2 lets
 * no page outside the locked text execute at EL1: the call takes an
 * instruction abort and this thread dies, leaving "started" behind. */
static int exec_fresh(struct attack *a, bool from_kmalloc)
{
	static const u32 code[] = { 0xd2824680u, 0xd65f03c0u };
	int (*set_x)(unsigned long addr, int numpages) = (void *)ksym("set_memory_x");
	struct vm_struct *(*find_area)(const void *addr) = (void *)ksym("find_vm_area");
	struct vm_struct *area;
	struct page *page;
	void *buf, *code_va;
	u64 (*fn)(void);
	u64 ret;
	int rc;

	if (!set_x || !find_area)
		return -ENOENT;
	buf = from_kmalloc ? kmalloc(PAGE_SIZE, GFP_KERNEL) : vmalloc(PAGE_SIZE);
	if (!buf)
		return -ENOMEM;
	code_va = buf;
	if (from_kmalloc) {
		page = virt_to_page(buf);
		code_va = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
		area = code_va ? find_area(code_va) : NULL;
		if (!area) {
			kfree(buf);
			return -ENOMEM;
		}
		area->flags |= VM_ALLOC;
	}
	memcpy(code_va, code, sizeof(code));
	rc = set_x((unsigned long)code_va, 1);
	if (rc)
		return rc;
	caches_clean_inval_pou((unsigned long)code_va, (unsigned long)code_va + sizeof(code));
	result_set(a, "%s: shellcode at %px (PA 0x%llx), executable at stage 1: started, not "
		   "completed", a->name, code_va,
		   (u64)page_to_phys(from_kmalloc ? virt_to_page(buf) : vmalloc_to_page(buf)));
	fn = code_va;
	ret = fn();
	result_set(a, "%s: shellcode at %px returned 0x%llx (EXECUTED)", a->name, code_va, ret);
	/* Left mapped and allocated: freeing executable pages needs the
	 * attacker's clean-up, not ours. */
	return 0;
}

static int a_exec_kmalloc(struct attack *a, const char *arg) { return exec_fresh(a, true); }
static int a_exec_vmalloc(struct attack *a, const char *arg) { return exec_fresh(a, false); }

/* "static_key on|off": our own static key, whose site is in this module's
 * text (locked with it): Linux patches the site through its text-patching
 * path, VTL1 validates and performs the write, the branch follows. */
static DEFINE_STATIC_KEY_FALSE(attack_key);

static noinline bool attack_key_taken(void)
{
	return static_branch_unlikely(&attack_key);
}

static int a_static_key(struct attack *a, const char *arg)
{
	struct klock before = klock_now(), after;
	bool on = !strcmp(arg, "on");

	if (!on && strcmp(arg, "off"))
		return -EINVAL;
	if (on)
		static_branch_enable(&attack_key);
	else
		static_branch_disable(&attack_key);
	after = klock_now();
	result_set(a, "static_key %s: branch %s\nVTL1 patches %llu -> %llu, refusals %llu -> %llu\n",
		   arg, attack_key_taken() == on ? "FOLLOWS" : "DOES NOT FOLLOW", before.patches,
		   after.patches, before.refusals, after.refusals);
	return 0;
}

/* "site_wrong": the same patching path, at our static key's own site,
 * with an instruction that is neither its NOP nor its branch. */
static int a_site_wrong(struct attack *a, const char *arg)
{
	struct klock before = klock_now(), after;
	struct jump_entry *e = THIS_MODULE->jump_entries;
	unsigned int i;
	u32 *site = NULL, old, now;
	int rc;

	for (i = 0; e && i < THIS_MODULE->num_jump_entries; i++) {
		if (jump_entry_key(&e[i]) == &attack_key.key) {
			site = (u32 *)jump_entry_code(&e[i]);
			break;
		}
	}
	if (!site || !patch_nosync)
		return -ENOENT;
	old = *site;
	rc = patch_nosync(site, A64_BRK_ATTACK);
	now = *site;
	after = klock_now();
	result_set(a, "site_wrong at %px: status %d\ninstruction 0x%08x -> 0x%08x (%s)\n"
		   "VTL1 refusals %llu -> %llu, patches %llu -> %llu\n", site, rc, old, now,
		   now == old ? "UNCHANGED" : "CHANGED", before.refusals, after.refusals,
		   before.patches, after.patches);
	return 0;
}

/* Our static key's jump-table entry (its site and branch target). */
static struct jump_entry *attack_key_entry(void)
{
	struct jump_entry *e = THIS_MODULE->jump_entries;
	unsigned int i;

	for (i = 0; e && i < THIS_MODULE->num_jump_entries; i++)
		if (jump_entry_key(&e[i]) == &attack_key.key)
			return &e[i];
	return NULL;
}

/* "patch_preempted": a validated jump-label patch while this VP's secure
 * call is preempted (VTL1 busy there). An hrtimer on this CPU fires during
 * a long SC_SPIN: the hypervisor preempts VTL1 for it, and in its handler
 * (hard interrupt context, the call still preempted) we patch our key's
 * site to its other legal instruction and back, through Linux's own
 * aarch64_insn_patch_text_nosync. Both writes must be validated and done
 * by VTL1 (a nested intercept), the site end as it began, and the spin
 * resume with its own result. */
#define A64_NOP_INSN 0xd503201fu
static struct hrtimer pp_timer;
static u32 *pp_site;
static u32 pp_other;
static int pp_rc1, pp_rc2;
static u64 pp_state;
static bool pp_fired;

static u64 vp_state_here(void)
{
	return hv(OVBS_HV_VP_STATS, read_cpuid_mpidr() & MPIDR_HWID_BITMASK, 0, 0).r1 & 0xff;
}

static enum hrtimer_restart pp_fire(struct hrtimer *t)
{
	u32 was = READ_ONCE(*pp_site);

	pp_fired = true;
	pp_state = vp_state_here();
	if (pp_state != 5) /* not preempted: the call had ended, or not begun */
		return HRTIMER_NORESTART;
	pp_rc1 = patch_nosync(pp_site, pp_other);
	pp_rc2 = patch_nosync(pp_site, was);
	return HRTIMER_NORESTART;
}

static int a_patch_preempted(struct attack *a, const char *arg)
{
	struct jump_entry *e = attack_key_entry();
	struct klock before, after;
	struct call c = { 0 }, plain;
	unsigned int attempt;
	u32 start;

	if (!e || !patch_nosync)
		return -ENOENT;
	pp_site = (u32 *)jump_entry_code(e);
	start = READ_ONCE(*pp_site);
	pp_other = start == A64_NOP_INSN ?
		   0x14000000u | (((jump_entry_target(e) - jump_entry_code(e)) >> 2) & 0x03ffffffu) :
		   A64_NOP_INSN;
	plain = sc(SC_SPIN, SC_MAX_SPIN, 0, 0, 0);
	before = klock_now();
	hrtimer_init(&pp_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	pp_timer.function = pp_fire;
	pp_state = 0;
	for (attempt = 1; attempt <= 10 && pp_state != 5; attempt++) {
		pp_fired = false;
		pp_rc1 = pp_rc2 = -EINVAL;
		preempt_disable(); /* the timer, the call and its resumption on one CPU */
		hrtimer_start(&pp_timer, ns_to_ktime(50 * NSEC_PER_USEC * attempt),
			      HRTIMER_MODE_REL_PINNED_HARD);
		c = sc(SC_SPIN, SC_MAX_SPIN, 0, 0, 0);
		preempt_enable();
		hrtimer_cancel(&pp_timer);
	}
	after = klock_now();
	result_set(a, "patch_preempted: VP state in the timer %llu (%s), attempt %u\n"
		   "patches to 0x%08x and back: %d %d; site 0x%08x -> 0x%08x (%s)\n"
		   "spin: status 0x%llx, %s result\n"
		   "VTL1 patches %llu -> %llu, refusals %llu -> %llu\n",
		   pp_state, pp_state == 5 ? "preempted" : "NOT preempted", attempt - 1, pp_other,
		   pp_rc1, pp_rc2, start, READ_ONCE(*pp_site),
		   READ_ONCE(*pp_site) == start ? "as it began" : "CHANGED", c.st,
		   c.st == plain.st && c.r1 == plain.r1 ? "its own" : "a WRONG", before.patches,
		   after.patches, before.refusals, after.refusals);
	return 0;
}

/* "cpu_on MPIDR": PSCI CPU_ON of an offline CPU straight to the
 * hypervisor, at a fresh page of ours (not locked text). PSCI answers at
 * once; the start itself happens, or not, on that CPU: AFFINITY_INFO
 * tells, polled for a second. */
static int a_cpu_on(struct attack *a, const char *arg)
{
	struct klock before = klock_now(), after;
	unsigned long mpidr;
	struct call on, aff = { 0 };
	struct page *page;
	unsigned int i;
	int rc = kstrtoul(arg, 0, &mpidr);

	if (rc)
		return rc;
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	on = hv(PSCI_CPU_ON_64, mpidr, page_to_phys(page), 0);
	for (i = 0; i < 100; i++) {
		msleep(10);
		aff = hv(PSCI_AFFINITY_INFO_64, mpidr, 0, 0);
		if ((int)on.st != 0 || aff.st == 1 /* OFF */)
			break;
	}
	after = klock_now();
	/* Left allocated if the CPU did start there: it would run from it. */
	if (aff.st == 1)
		__free_page(page);
	result_set(a, "cpu_on 0x%lx at PA 0x%llx: PSCI %lld, AFFINITY_INFO %lld (%s)\n"
		   "VTL1 refusals %llu -> %llu\n", mpidr, (u64)page_to_phys(page), (s64)on.st,
		   (s64)aff.st, aff.st == 1 ? "off" : aff.st == 0 ? "ON" : "pending",
		   before.refusals, after.refusals);
	return 0;
}

/* "kdata_sym LINK_ADDR LINK_STEXT": kdata_write at a symbol's address
 * from System.map (link time), slid like the running kernel's _stext. */
static int a_kdata_sym(struct attack *a, const char *arg)
{
	unsigned long link, link_stext, stext = ksym("_stext");
	char va[24];

	if (sscanf(arg, "%lx %lx", &link, &link_stext) != 2 || !stext)
		return -EINVAL;
	snprintf(va, sizeof(va), "0x%lx", link - link_stext + stext);
	return a_kdata_write(a, va);
}

/* "el1_regs": change what the lock pinned. Each write is tried with
 * interrupts off and read back; a write that went through is undone at
 * once where that is possible (WXN, TBI1). A TTBR1_EL1 base that went
 * through cannot be undone: the kernel's own page tables are gone. */
static int a_el1_regs(struct attack *a, const char *arg)
{
	u64 sctlr, tcr, ttbr1, now_sctlr, now_tcr, now_ttbr1;
	unsigned long flags;

	local_irq_save(flags);
	sctlr = read_sysreg(sctlr_el1);
	write_sysreg(sctlr ^ SCTLR_ELx_WXN, sctlr_el1);
	isb();
	now_sctlr = read_sysreg(sctlr_el1);
	if (now_sctlr != sctlr) {
		write_sysreg(sctlr, sctlr_el1);
		isb();
	}
	tcr = read_sysreg(tcr_el1);
	write_sysreg(tcr ^ TCR_TBI1, tcr_el1);
	isb();
	now_tcr = read_sysreg(tcr_el1);
	if (now_tcr != tcr) {
		write_sysreg(tcr, tcr_el1);
		isb();
	}
	ttbr1 = read_sysreg(ttbr1_el1);
	write_sysreg(ttbr1 + PAGE_SIZE, ttbr1_el1);
	isb();
	now_ttbr1 = read_sysreg(ttbr1_el1);
	local_irq_restore(flags);
	result_set(a, "SCTLR_EL1.WXN: %s\nTCR_EL1.TBI1: %s\nTTBR1_EL1 base: %s\n",
		   now_sctlr == sctlr ? "unchanged" : "CHANGED",
		   now_tcr == tcr ? "unchanged" : "CHANGED",
		   now_ttbr1 == ttbr1 ? "unchanged" : "CHANGED");
	return 0;
}

/* ---- debugfs ----------------------------------------------------------------- */

static struct attack attacks[] = {
	{ .name = "read_phys", .run = a_read_phys, .unlocked = true },
	{ .name = "write_phys", .run = a_write_phys, .unlocked = true },
	{ .name = "ioread_phys", .run = a_ioread_phys, .unlocked = true },
	{ .name = "iowrite_phys", .run = a_iowrite_phys, .unlocked = true },
	{ .name = "check", .run = a_check },
	{ .name = "sc_buffers", .run = a_sc_buffers },
	{ .name = "race_checksum", .run = a_race_checksum },
	{ .name = "race_tl_load", .run = a_race_tl_load },
	{ .name = "protect", .run = a_protect },
	{ .name = "dma_write", .run = a_dma_write },
	{ .name = "dma_read", .run = a_dma_read },
	{ .name = "text_patch", .run = a_text_patch },
	{ .name = "text_vmap", .run = a_text_vmap },
	{ .name = "text_linear", .run = a_text_linear },
	{ .name = "kdata_write", .run = a_kdata_write },
	{ .name = "exec_kmalloc", .run = a_exec_kmalloc, .unlocked = true },
	{ .name = "exec_vmalloc", .run = a_exec_vmalloc, .unlocked = true },
	{ .name = "static_key", .run = a_static_key },
	{ .name = "site_wrong", .run = a_site_wrong },
	{ .name = "patch_preempted", .run = a_patch_preempted },
	{ .name = "cpu_on", .run = a_cpu_on },
	{ .name = "kdata_sym", .run = a_kdata_sym },
	{ .name = "el1_regs", .run = a_el1_regs },
};

static ssize_t attack_write(struct file *file, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	struct attack *a = file->private_data;
	char arg[160];
	int rc;

	if (len >= sizeof(arg))
		return -EINVAL;
	if (copy_from_user(arg, ubuf, len))
		return -EFAULT;
	arg[len] = '\0';
	strim(arg);
	pr_info("%s: attack on '%s'\n", a->name, arg);
	if (a->unlocked) {
		rc = a->run(a, arg);
	} else {
		mutex_lock(&attack_mutex);
		rc = a->run(a, arg);
		mutex_unlock(&attack_mutex);
	}
	if (rc) {
		result_set(a, "%s '%s': not run, error %d", a->name, arg, rc);
		return rc;
	}
	return len;
}

static ssize_t attack_read(struct file *file, char __user *ubuf, size_t len, loff_t *ppos)
{
	struct attack *a = file->private_data;
	char *copy = kmalloc(RESULT_MAX + 1, GFP_KERNEL);
	ssize_t n;

	if (!copy)
		return -ENOMEM;
	spin_lock(&a->lock);
	n = scnprintf(copy, RESULT_MAX + 1, "%s%s", a->result,
		      strlen(a->result) && a->result[strlen(a->result) - 1] != '\n' ? "\n" : "");
	spin_unlock(&a->lock);
	n = simple_read_from_buffer(ubuf, len, ppos, copy, n);
	kfree(copy);
	return n;
}

static const struct file_operations attack_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = attack_read,
	.write = attack_write,
	.llseek = default_llseek,
};

static struct dentry *dir;

static int __init attack_init(void)
{
	struct call uid;
	unsigned int i;

	/* No EL2 below us: an HVC would be an undefined instruction. */
	if (!((read_sysreg_s(SYS_ID_AA64PFR0_EL1) >> ID_AA64PFR0_EL1_EL2_SHIFT) & 0xf))
		return -ENODEV;
	uid = hv(OVBS_CALL_UID, 0, 0, 0);
	if ((u32)uid.st != OVBS_UID_0 || (u32)uid.r1 != OVBS_UID_1)
		return -ENODEV;
	self_page = (u8 *)get_zeroed_page(GFP_KERNEL);
	if (!self_page)
		return -ENOMEM;
	if (resolve_lookup_name())
		pr_warn("kallsyms_lookup_name not found: the kernel-text attacks are off\n");
	else
		patch_nosync = (int (*)(void *, u32))ksym("aarch64_insn_patch_text_nosync");
	dir = debugfs_create_dir("openvbs_attack", NULL);
	for (i = 0; i < ARRAY_SIZE(attacks); i++) {
		spin_lock_init(&attacks[i].lock);
		debugfs_create_file(attacks[i].name, 0600, dir, &attacks[i], &attack_fops);
	}
	pr_info("ready: %zu attacks in /sys/kernel/debug/openvbs_attack/, own page 0x%llx\n",
		ARRAY_SIZE(attacks), (u64)virt_to_phys(self_page));
	return 0;
}

/* The locked page stays allocated (see make_locked_page). */
static void __exit attack_exit(void)
{
	debugfs_remove_recursive(dir);
	if (edu) {
		pci_iounmap(edu, edu_regs);
		pci_clear_master(edu);
		pci_disable_device(edu);
		pci_dev_put(edu);
	}
	free_page((unsigned long)self_page);
}

module_init(attack_init);
module_exit(attack_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("OpenVBS test-only attacks from Linux in VTL0 (root with kernel code execution)");
